// "Accessing INSERT IDs and Row Counts": after an INSERT, cur.lastRowId is the AUTO_INCREMENT value
// of the new row and cur.rowCount the number of rows the statement affected.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/06-insert-id-rowcount.ts

import { connect } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_orders'

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)
  await using cur = conn.cursor()
  await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  await cur.execute(
    `CREATE TABLE ${TABLE} (
       id INT AUTO_INCREMENT PRIMARY KEY,
       user_id INT NOT NULL,
       total DECIMAL(10, 2) NOT NULL
     )`,
  )
  try {
    for (const [userId, total] of [
      [7, 19.99],
      [8, 5.0],
    ] as const) {
      await cur.execute(`INSERT INTO ${TABLE} (user_id, total) VALUES (%s, %s)`, [userId, total])
      await conn.commit()

      const newId = cur.lastRowId // AUTO_INCREMENT value of the inserted row (number, or bigint if huge)
      const affected = cur.rowCount // rows affected by the last DML statement
      console.log(`order ${newId} for user ${userId}: ${affected} row affected`)
    }

    // rowCount counts every row an UPDATE changed; lastRowId is 0 when nothing was generated.
    await cur.execute(`UPDATE ${TABLE} SET total = total + %s`, [1])
    await conn.commit()
    console.log(`UPDATE: ${cur.rowCount} rows affected, lastRowId ${cur.lastRowId}`)

    // After a SELECT, rowCount is the number of rows and lastRowId is null.
    await cur.execute(`SELECT id FROM ${TABLE}`)
    console.log(`SELECT: rowCount ${cur.rowCount}, lastRowId ${cur.lastRowId}`)
  } finally {
    await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
