// "Cursor Types": the default Cursor gives rows as arrays (Python's tuples), DictCursor as objects
// keyed by column name. `DictCursor<User>` types the rows, so `row.name` needs no cast.
// (SSCursor / SSDictCursor, the unbuffered cursors for large results, get their own example.)
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/03-cursor-types.ts

import { connect, DictCursor } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_cursor_users'

interface User {
  id: number
  name: string
}

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)
  await using setup = conn.cursor()
  await setup.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  await setup.execute(`CREATE TABLE ${TABLE} (id INT PRIMARY KEY, name VARCHAR(128) NOT NULL)`)
  try {
    await setup.executeMany(`INSERT INTO ${TABLE} (id, name) VALUES (%s, %s)`, [
      [42, 'Alice'],
      [43, 'Bob'],
    ])
    await conn.commit()

    // Cursor (default): each row is an array, in SELECT order.
    {
      await using cur = conn.cursor()
      await cur.execute(`SELECT id, name FROM ${TABLE} WHERE id = %s`, [42])
      const row = await cur.fetchOne() // unknown[] | null
      console.log('Cursor:', row)
    }

    // DictCursor: each row is an object keyed by column name.
    {
      await using cur = conn.cursor(DictCursor)
      await cur.execute(`SELECT id, name FROM ${TABLE} WHERE id = %s`, [42])
      const row = await cur.fetchOne() // Record<string, unknown> | null
      console.log('DictCursor:', row?.['name']) // "Alice"
    }

    // DictCursor<User>: the same rows, typed.
    {
      await using cur = conn.cursor(DictCursor<User>)
      await cur.execute(`SELECT id, name FROM ${TABLE} ORDER BY id`)
      const first = await cur.fetchOne() // User | null
      console.log('DictCursor<User>:', first?.name)
      // Every cursor is async-iterable; this continues after the row fetchOne() took.
      for await (const user of cur) console.log(`  then ${user.id}: ${user.name}`)
    }
  } finally {
    await setup.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
