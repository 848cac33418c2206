import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DictCursor, IndexError, ProgrammingError, sql } from '../../src/index.ts'
import { tableName, withConnection } from '../support/db.ts'

test('buffered Cursor: fetchOne/fetchMany/fetchAll, scroll, description, rowNumber, arraySize', async () => {
  await withConnection(async (conn) => {
    await using cur = conn.cursor()
    assert.equal(cur.rowCount, -1)
    assert.equal(await cur.execute('SELECT seq, seq * 2 AS dbl FROM seq_1_to_10'), 10)
    assert.equal(cur.rowCount, 10)
    assert.equal(cur.description?.length, 2)
    assert.equal(cur.description?.[1]?.[0], 'dbl')
    assert.deepEqual(await cur.fetchOne(), [1, 2])
    assert.equal(cur.rowNumber, 1)
    assert.deepEqual(await cur.fetchMany(), [[2, 4]])
    cur.arraySize = 3
    assert.deepEqual(
      (await cur.fetchMany()).map((r) => r[0]),
      [3, 4, 5],
    )
    await cur.scroll(-2)
    assert.equal(cur.rowNumber, 3)
    await cur.scroll(8, 'absolute')
    assert.deepEqual(await cur.fetchAll(), [
      [9, 18],
      [10, 20],
    ])
    assert.equal(await cur.fetchOne(), null)
    await assert.rejects(cur.scroll(5), IndexError)
    const seen: unknown[] = []
    await cur.execute('SELECT 1 UNION ALL SELECT 2')
    for await (const row of cur) seen.push(row[0])
    assert.deepEqual(seen, [1, 2])
  })
})

test('DictCursor: typed rows, repeated names become table.column', async () => {
  await withConnection(async (conn) => {
    const a = tableName('dca')
    const b = tableName('dcb')
    await conn.query(`CREATE TABLE ${a} (id INT, name VARCHAR(10))`)
    await conn.query(`CREATE TABLE ${b} (id INT, name VARCHAR(10))`)
    try {
      await conn.query(`INSERT INTO ${a} VALUES (1, 'x')`)
      await conn.query(`INSERT INTO ${b} VALUES (1, 'y')`)
      interface User {
        id: number
        name: string
      }
      const typed = conn.cursor(DictCursor<User>)
      await typed.execute(`SELECT id, name FROM ${a} WHERE id = %(id)s`, { id: 1 })
      const user = await typed.fetchOne()
      assert.equal(user?.name, 'x')
      const cur = conn.cursor(DictCursor)
      await cur.execute(`SELECT * FROM ${a} JOIN ${b} USING (id)`)
      await cur.execute(`SELECT ${a}.id, ${a}.name, ${b}.name FROM ${a} JOIN ${b} ON ${a}.id = ${b}.id`)
      assert.deepEqual(await cur.fetchOne(), { id: 1, name: 'x', [`${b}.name`]: 'y' })
    } finally {
      await conn.query(`DROP TABLE ${a}, ${b}`)
    }
  })
})

test('mogrify returns exactly what execute sends; sql tag fragments work with execute', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor()
    assert.equal(cur.mogrify('SELECT %s, %s', [1, "a'b"]), "SELECT 1, 'a\\'b'")
    assert.equal(cur.mogrify('SELECT %(a)s, 100%%', { a: null }), 'SELECT NULL, 100%')
    assert.equal(cur.mogrify('SELECT 100%%'), 'SELECT 100%%')
    await cur.execute('SELECT %s AS v', ["a'b"])
    assert.equal(cur.lastExecuted, cur.mogrify('SELECT %s AS v', ["a'b"]))
    const id = 5
    await cur.execute(sql`SELECT ${id} + 1 AS ${sql.id('six')}, ${'%s'} AS lit`)
    assert.deepEqual(await cur.fetchAll(), [[6, '%s']])
  })
})

test('closed cursor rejects execute with ProgrammingError', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor()
    await cur.close()
    await assert.rejects(cur.execute('SELECT 1'), ProgrammingError)
  })
})

test('multi statements: off by default, nextSet with [[1]], true, [[2]], false', async () => {
  await withConnection(async (conn) => {
    await assert.rejects(conn.query('SELECT 1; SELECT 2'), ProgrammingError)
  })
  await withConnection(
    async (conn) => {
      const cur = conn.cursor()
      await cur.execute('SELECT 1; SELECT 2')
      assert.deepEqual(await cur.fetchAll(), [[1]])
      assert.equal(await cur.nextSet(), true)
      assert.deepEqual(await cur.fetchAll(), [[2]])
      assert.equal(await cur.nextSet(), false)
      const started = Date.now()
      await cur.execute('SELECT 1; xyzzy')
      assert.deepEqual(await cur.fetchAll(), [[1]])
      await assert.rejects(cur.nextSet(), ProgrammingError)
      assert.ok(Date.now() - started < 1000)
      assert.deepEqual(await conn.query('SELECT 3 AS x'), [{ x: 3 }])
    },
    { multiStatements: true },
  )
})

test('executeMany: multi-row INSERT, summed count, and once-per-row for everything else', async () => {
  await withConnection(async (conn) => {
    const t = tableName('em')
    await conn.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, v VARCHAR(20))`)
    try {
      const cur = conn.cursor()
      const n = await cur.executeMany(`INSERT INTO ${t} (id, v) VALUES (%s, %s)`, [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ])
      assert.equal(n, 3)
      assert.equal(cur.lastExecuted, `INSERT INTO ${t} (id, v) VALUES (1, 'a'),(2, 'b'),(3, 'c')`)
      const upd = await cur.executeMany(
        `INSERT INTO ${t} (id, v) VALUES(%(id)s, %(v)s) ON DUPLICATE KEY UPDATE v = VALUES(v);`,
        [
          { id: 1, v: 'A' },
          { id: 4, v: 'D' },
        ],
      )
      assert.equal(upd, 3) // 2 for the update, 1 for the insert
      assert.equal(
        cur.lastExecuted,
        `INSERT INTO ${t} (id, v) VALUES(1, 'A'),(4, 'D') ON DUPLICATE KEY UPDATE v = VALUES(v)`,
      )
      assert.equal(await cur.executeMany(`SELECT * FROM ${t} WHERE id = %s`, [1, 2, 3]), 3)
      assert.deepEqual(await cur.fetchAll(), [[3, 'c']])
      // Large batches split into statements of at most 1,024,000 bytes.
      const rows = Array.from({ length: 20000 }, (_, i) => [i + 100, 'x'.repeat(20)])
      assert.equal(await cur.executeMany(`INSERT INTO ${t} (id, v) VALUES (%s, %s)`, rows), 20000)
      assert.deepEqual(await conn.query(`SELECT COUNT(*) AS n FROM ${t}`), [{ n: 20004 }])
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('callProc quotes the name, sets @_name_n in one round trip, and returns the args', async () => {
  await withConnection(async (conn) => {
    const p = tableName('proc')
    await conn.query(
      `CREATE PROCEDURE ${p}(IN a INT, INOUT b INT) BEGIN SELECT a + b AS s; SET b = a * 10; END`,
    )
    try {
      const cur = conn.cursor()
      assert.deepEqual(await cur.callProc(p, [2, 3]), [2, 3])
      assert.deepEqual(await cur.fetchAll(), [[5]])
      assert.equal(await cur.nextSet(), true) // the CALL's own OK result
      assert.equal(await cur.nextSet(), false)
      // The INOUT argument as the procedure left it, readable once the results are consumed.
      await cur.execute(`SELECT @\`_${p}_0\`, @\`_${p}_1\``)
      assert.deepEqual(await cur.fetchAll(), [[2, 20]])
      await assert.rejects(cur.callProc('x`; DROP TABLE t; --', []), /does not exist/)
      const db = (await conn.query<{ d: string }>('SELECT DATABASE() AS d'))[0]!.d
      await cur.callProc(`${db}.${p}`, [1, 1])
      assert.deepEqual(await cur.fetchAll(), [[2]])
    } finally {
      await conn.query(`DROP PROCEDURE ${p}`)
    }
  })
})
