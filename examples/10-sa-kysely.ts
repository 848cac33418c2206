// "SQLAlchemy Expression Layer (aiomysql.sa)", with Kysely's query builder in SQLAlchemy's place:
// an engine, an insert inside a transaction, a select read with `for await`, then close the engine
// and wait for it. Last, the same select through aiomysql/kysely, where Kysely also runs the queries.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/10-sa-kysely.ts

import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type Generated,
} from 'kysely'
import { createPool } from '../src/index.ts'
import { AiomysqlDialect } from '../src/kysely/index.ts'
import { createEngine } from '../src/sa/index.ts'
import { runIfMain } from './run-direct.ts'

// The Python's `users = sa.Table("users", ...)`: Kysely describes tables as a type.
interface Database {
  example_users_sa: { id: Generated<number>; name: string; email: string }
}

// A Kysely that only builds queries (DummyDriver never connects); the engine runs them.
const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new MysqlIntrospector(db),
    createQueryCompiler: () => new MysqlQueryCompiler(),
  },
})

export async function main(url: string): Promise<void> {
  const engine = await createEngine(url)
  try {
    await using conn = await engine.acquire()
    await conn.execute(builder.schema.dropTable('example_users_sa').ifExists())
    await conn.execute(
      builder.schema
        .createTable('example_users_sa')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('email', 'varchar(255)', (c) => c.notNull()),
    )

    // `async with conn.begin() as tx: ... await tx.commit()`; leaving the scope without a commit
    // would roll back.
    {
      await using tx = await conn.begin()
      const result = await conn.execute(
        builder.insertInto('example_users_sa').values({ name: 'Alice', email: 'a@x.com' }),
      )
      console.log(`inserted user #${result.lastRowId}`)
      await tx.commit()
    }

    // Rows are typed from the builder: row.id is a number, row.name a string.
    const result = await conn.execute(builder.selectFrom('example_users_sa').select(['id', 'name']))
    for await (const row of result) console.log(row.id, row.name)

    await conn.execute(builder.schema.dropTable('example_users_sa'))
  } finally {
    engine.close()
    await engine.waitClosed()
  }

  // aiomysql/kysely: Kysely runs the queries itself, on an aiomysql pool.
  const db = new Kysely<Database>({ dialect: new AiomysqlDialect({ pool: await createPool(url) }) })
  try {
    await db.schema
      .createTable('example_users_sa')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('email', 'varchar(255)', (c) => c.notNull())
      .execute()
    await db
      .transaction()
      .execute((trx) =>
        trx.insertInto('example_users_sa').values({ name: 'Bob', email: 'b@x.com' }).execute(),
      )
    for (const row of await db.selectFrom('example_users_sa').select(['id', 'name']).execute()) {
      console.log(row.id, row.name)
    }
    await db.schema.dropTable('example_users_sa').execute()
  } finally {
    await db.destroy() // closes the pool
  }
}

await runIfMain(import.meta.url, main)
