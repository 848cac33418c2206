// aiomysql/kysely against the real server: a Kysely<DB> over AiomysqlDialect on a Pool whose
// autocommit default is off (statements outside a transaction must still be committed): schema,
// selects, joins, inserts, updates, deletes, transactions, savepoints, streaming and db.destroy().

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kysely, sql, type Generated } from 'kysely'
import { createPool, escapeId, MySQLError, ProgrammingError, type Pool } from '../../src/index.ts'
import { AiomysqlDialect } from '../../src/kysely/index.ts'
import { tableName, withConnection } from '../support/db.ts'
import { serverUrl } from '../support/env.ts'
import { liveHeapGrowth } from '../support/heap.ts'

// Kysely types tables by name, so the tests use fixed names (person, pet) in a database of this
// process's own, made on first use; test files run in parallel against one server.
const database = tableName('kysely')
let created: Promise<void> | undefined

interface DB {
  person: { id: Generated<number>; first_name: string; last_name: string | null; age: number }
  pet: { id: Generated<number>; name: string; owner_id: number }
}

/** A pool (autocommit off, the library default) and a Kysely over it; `await using` destroys both. */
async function kysely(): Promise<{ db: Kysely<DB>; pool: Pool } & AsyncDisposable> {
  created ??= withConnection(async (conn) => {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${escapeId(database)}`)
  })
  await created
  const pool = await createPool(serverUrl, { db: database, minSize: 1, maxSize: 4 })
  const db = new Kysely<DB>({ dialect: new AiomysqlDialect({ pool }) })
  return {
    db,
    pool,
    [Symbol.asyncDispose]: async () => {
      pool.terminate() // a failed assertion may leave a stream open; never hang on it
      await db.destroy()
    },
  }
}

after(async () => {
  if (created) await withConnection((conn) => conn.query(`DROP DATABASE IF EXISTS ${escapeId(database)}`))
})

async function createTables(db: Kysely<DB>): Promise<void> {
  await db.schema
    .createTable('person')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('first_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('last_name', 'varchar(255)')
    .addColumn('age', 'integer', (c) => c.notNull())
    .execute()
  await sql`CREATE TABLE IF NOT EXISTS pet (
    id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, owner_id INT NOT NULL)`.execute(db)
  await db.deleteFrom('pet').execute()
  await db.deleteFrom('person').execute()
  await sql`ALTER TABLE person AUTO_INCREMENT = 1`.execute(db)
}

test('kysely: schema, inserts (insertId), selects, joins, updates and deletes', async () => {
  await using k = await kysely()
  const { db } = k
  await createTables(db)

  const jennifer = await db
    .insertInto('person')
    .values({ first_name: 'Jennifer', last_name: 'Aniston', age: 40 })
    .executeTakeFirstOrThrow()
  assert.equal(jennifer.insertId, 1n)
  assert.equal(jennifer.numInsertedOrUpdatedRows, 1n)
  const many = await db
    .insertInto('person')
    .values([
      { first_name: 'Arnold', last_name: 'Schwarzenegger', age: 70 },
      { first_name: "O'Brien", last_name: null, age: 30 },
    ])
    .executeTakeFirstOrThrow()
  assert.equal(many.numInsertedOrUpdatedRows, 2n)
  assert.equal(many.insertId, 2n) // MySQL reports the first id of a multi-row insert
  await db
    .insertInto('pet')
    .values([
      { name: 'Catto', owner_id: 1 },
      { name: 'Doggo', owner_id: 2 },
      { name: 'Hammo', owner_id: 2 },
    ])
    .execute()

  const people = await db.selectFrom('person').selectAll().orderBy('id').execute()
  assert.deepEqual(people, [
    { id: 1, first_name: 'Jennifer', last_name: 'Aniston', age: 40 },
    { id: 2, first_name: 'Arnold', last_name: 'Schwarzenegger', age: 70 },
    { id: 3, first_name: "O'Brien", last_name: null, age: 30 },
  ])
  const found = await db
    .selectFrom('person')
    .select(['id', 'first_name'])
    .where('first_name', '=', "O'Brien")
    .where('last_name', 'is', null)
    .executeTakeFirst()
  assert.deepEqual(found, { id: 3, first_name: "O'Brien" })
  const inList = await db.selectFrom('person').select('id').where('id', 'in', [1, 3]).orderBy('id').execute()
  assert.deepEqual(inList, [{ id: 1 }, { id: 3 }])

  const joined = await db
    .selectFrom('pet')
    .innerJoin('person', 'person.id', 'pet.owner_id')
    .select(['person.first_name as owner', 'pet.name as pet'])
    .orderBy('pet.id')
    .execute()
  assert.deepEqual(joined, [
    { owner: 'Jennifer', pet: 'Catto' },
    { owner: 'Arnold', pet: 'Doggo' },
    { owner: 'Arnold', pet: 'Hammo' },
  ])
  const counts = await db
    .selectFrom('person')
    .leftJoin('pet', 'pet.owner_id', 'person.id')
    .select(['person.first_name', (eb) => eb.fn.count<number>('pet.id').as('pets')])
    .groupBy('person.id')
    .orderBy('person.id')
    .execute()
  assert.deepEqual(
    counts.map((r) => [r.first_name, Number(r.pets)]),
    [
      ['Jennifer', 1],
      ['Arnold', 2],
      ["O'Brien", 0],
    ],
  )

  const updated = await db
    .updateTable('person')
    .set({ age: 41 })
    .where('age', '>=', 40)
    .where('first_name', '=', 'Jennifer')
    .executeTakeFirst()
  assert.equal(updated.numUpdatedRows, 1n)
  assert.equal(updated.numChangedRows, 1n)
  const unchanged = await db.updateTable('person').set({ age: 41 }).where('id', '=', 1).executeTakeFirst()
  assert.equal(unchanged.numUpdatedRows, 1n) // matched rows, as Kysely means them ...
  assert.equal(unchanged.numChangedRows, 0n) // ... but nothing changed

  const deleted = await db.deleteFrom('pet').where('owner_id', '=', 2).executeTakeFirst()
  assert.equal(deleted.numDeletedRows, 2n)
  assert.equal(
    await db
      .selectFrom('pet')
      .select('id')
      .execute()
      .then((r) => r.length),
    1,
  )

  const tables = await db.introspection.getTables()
  assert.ok(tables.some((t) => t.name === 'person'))
})

test('kysely: raw sql, ? inside quotes and comments, and values that need escaping', async () => {
  await using k = await kysely()
  const { db } = k
  const value = 'it\'s a \\ back\\slash ? and a "quote" -- not a comment'
  const { rows } = await sql<{
    q: string
    v: string
    n: number
    big: string
  }>`SELECT '?' AS q, ${value} AS v /* ? */ , ${41} + 1 AS n, ${123456789012345678901n} AS big`.execute(db)
  assert.deepEqual(rows, [{ q: '?', v: value, n: 42, big: '123456789012345678901' }])
  const date = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250))
  const { rows: dates } = await sql<{ d: string }>`SELECT CAST(${date} AS CHAR) AS d`.execute(db)
  assert.equal(typeof dates[0]?.d, 'string')
  const { rows: blobs } = await sql<{ b: Buffer }>`SELECT ${Buffer.from([0, 1, 0x27, 0x5c])} AS b`.execute(db)
  assert.deepEqual(blobs[0]?.b, Buffer.from([0, 1, 0x27, 0x5c]))
  await assert.rejects(
    sql`SELEC 1`.execute(db),
    (e) => e instanceof ProgrammingError && e instanceof MySQLError,
  )
  // Objects are never expanded into SQL (stringify JSON yourself).
  await assert.rejects(sql`SELECT ${{ a: 1 }}`.execute(db), ProgrammingError)
})

test('kysely: statements outside a transaction are committed although the pool default is autocommit off', async () => {
  await using k = await kysely()
  const { db, pool } = k
  await createTables(db)
  await db.insertInto('person').values({ first_name: 'Committed', last_name: null, age: 1 }).execute()
  // Seen from a plain pooled connection: the write was committed, not rolled back on release.
  const rows = await pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM person`)
  assert.equal(Number(rows[0]?.n), 1)
  // And the pool's connections have their own autocommit setting back.
  const conn = await pool.acquire()
  try {
    assert.equal(conn.getAutocommit(), false)
  } finally {
    pool.release(conn)
  }
})

test('kysely: db.transaction() commits, and rolls back when the callback throws', async () => {
  await using k = await kysely()
  const { db } = k
  await createTables(db)

  const id = await db.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto('person')
      .values({ first_name: 'Tx', last_name: null, age: 5 })
      .executeTakeFirst()
    await trx
      .insertInto('pet')
      .values({ name: 'Tx pet', owner_id: Number(r.insertId) })
      .execute()
    return r.insertId
  })
  assert.equal(id, 1n)
  assert.equal((await db.selectFrom('pet').selectAll().execute()).length, 1)

  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('person').values({ first_name: 'Gone', last_name: null, age: 6 }).execute()
      throw new Error('boom')
    }),
    /boom/,
  )
  const names = await db.selectFrom('person').select('first_name').execute()
  assert.deepEqual(names, [{ first_name: 'Tx' }])

  // Isolation level and access mode go through SET TRANSACTION.
  await db
    .transaction()
    .setIsolationLevel('serializable')
    .execute(async (trx) => {
      await trx.selectFrom('person').select('id').execute() // InnoDB starts the transaction on first read
      const { rows } = await sql<{
        l: string
      }>`SELECT trx_isolation_level AS l FROM information_schema.innodb_trx
        WHERE trx_mysql_thread_id = CONNECTION_ID()`.execute(trx)
      assert.equal(rows[0]?.l, 'SERIALIZABLE')
    })
  await assert.rejects(
    db
      .transaction()
      .setAccessMode('read only')
      .execute(async (trx) => {
        await trx.insertInto('person').values({ first_name: 'RO', last_name: null, age: 7 }).execute()
      }),
    /READ ONLY/i,
  )
  await assert.rejects(
    db
      .transaction()
      .setIsolationLevel('snapshot')
      .execute(async () => undefined),
    /not supported/,
  )
})

test('kysely: controlled transactions with savepoints', async () => {
  await using k = await kysely()
  const { db } = k
  await createTables(db)
  const trx = await db.startTransaction().execute()
  await trx.insertInto('person').values({ first_name: 'Kept', last_name: null, age: 1 }).execute()
  const sp = await trx.savepoint("sp'1`").execute()
  await sp.insertInto('person').values({ first_name: 'Undone', last_name: null, age: 2 }).execute()
  const back = await sp.rollbackToSavepoint("sp'1`").execute()
  const sp2 = await back.savepoint('sp2').execute()
  await sp2.insertInto('person').values({ first_name: 'Released', last_name: null, age: 3 }).execute()
  await sp2.releaseSavepoint('sp2').execute()
  await trx.commit().execute()
  const names = await db.selectFrom('person').select('first_name').orderBy('id').execute()
  assert.deepEqual(names, [{ first_name: 'Kept' }, { first_name: 'Released' }])
})

test('kysely: .stream() of 100,000 rows keeps heap growth bounded; an early break leaves a clean connection', async () => {
  await using k = await kysely()
  const { db, pool } = k
  const seq = () =>
    db
      .selectFrom(sql<{ seq: number }>`seq_1_to_100000`.as('s'))
      .select([sql<number>`seq`.as('seq'), sql<string>`REPEAT('x', 100)`.as('pad')])
  const growth = liveHeapGrowth()
  let n = 0
  let peak = 0
  let sum = 0
  for await (const row of seq().stream(1000)) {
    n++
    sum += row.seq
    if (n % 20000 === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10)) // a slow consumer
      peak = Math.max(peak, growth())
    }
  }
  assert.equal(n, 100_000)
  assert.equal(sum, (100_000 * 100_001) / 2)
  // 100,000 rows of ~110 bytes, buffered, would take well over 20 MB of heap.
  assert.ok(peak < 12 * 1024 * 1024, `heap grew by ${Math.round(peak / 1048576)} MiB`)

  let seen = 0
  for await (const row of seq().stream(50)) {
    seen++
    if (row.seq === 3) break
  }
  assert.equal(seen, 3)
  // The connection went back with its result drained: the next queries just work.
  assert.deepEqual(await pool.query('SELECT 1 AS one'), [{ one: 1 }])
  const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db)
  assert.deepEqual(rows, [{ one: 1 }])
  // Kysely releases the stream's connection after the loop has exited (restoring autocommit is a
  // round trip), so give it a bounded moment before checking that nothing is still lent.
  for (let i = 0; i < 200 && pool.size - pool.freeSize !== 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(pool.size - pool.freeSize, 0)
})

test('kysely: db.destroy() closes the pool', async () => {
  const pool = await createPool(serverUrl, { minSize: 1, maxSize: 2 })
  const db = new Kysely<DB>({ dialect: new AiomysqlDialect({ pool }) })
  await sql`SELECT 1`.execute(db)
  await db.destroy()
  assert.equal(pool.closed, true)
  assert.throws(() => new AiomysqlDialect({ pool: {} as Pool }), /needs \{ pool \}/)
})

test('kysely: { prepare: true } sends compiled queries as server-side prepared statements', async () => {
  created ??= withConnection(async (conn) => {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${escapeId(database)}`)
  })
  await created
  const pool = await createPool(serverUrl, { db: database, minSize: 1, maxSize: 1 })
  const db = new Kysely<DB>({ dialect: new AiomysqlDialect({ pool, prepare: true }) })
  try {
    const executions = async (): Promise<number> => {
      const conn = await pool.acquire()
      try {
        const rows = await conn.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Com_stmt_execute'")
        return Number(rows[0]!.Value)
      } finally {
        pool.release(conn)
      }
    }
    await createTables(db)
    const before = await executions()
    const { insertId } = await db
      .insertInto('person')
      .values({ first_name: "O'Brien \\ ?", last_name: null, age: 36 })
      .executeTakeFirstOrThrow()
    assert.equal(insertId, 1n)
    const rows = await db
      .selectFrom('person')
      .select(['first_name', 'last_name', 'age'])
      .where('age', 'in', [35, 36])
      .execute()
    assert.deepEqual(rows, [{ first_name: "O'Brien \\ ?", last_name: null, age: 36 }])
    const { numUpdatedRows } = await db
      .updateTable('person')
      .set({ age: 37 })
      .where('id', '=', 1)
      .executeTakeFirst()
    assert.equal(numUpdatedRows, 1n)
    assert.equal(await executions(), before + 3)
  } finally {
    pool.terminate()
    await db.destroy()
  }
})
