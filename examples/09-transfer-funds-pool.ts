// "Transaction Management" as the Python writes it: the transfer takes a connection from the pool,
// begins, runs two UPDATEs, commits, and rolls back explicitly on any error. Then the same with
// pool.transaction(), which commits on success, rolls back on throw and releases exactly once.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/09-transfer-funds-pool.ts

import { createPool, type Pool } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_pool_accounts'

export async function transferFunds(pool: Pool, fromId: number, toId: number, amount: number): Promise<void> {
  await using conn = await pool.acquire()
  await using cur = conn.cursor()
  try {
    await conn.begin()
    await cur.execute(`UPDATE ${TABLE} SET balance = balance - %s WHERE id = %s`, [amount, fromId])
    await cur.execute(`UPDATE ${TABLE} SET balance = balance + %s WHERE id = %s`, [amount, toId])
    await conn.commit()
  } catch (error) {
    await conn.rollback()
    throw error
  }
}

async function balances(pool: Pool): Promise<string> {
  const rows = await pool.query<{ id: number; balance: string }>(
    `SELECT id, balance FROM ${TABLE} ORDER BY id`,
  )
  return rows.map((r) => `#${r.id} ${r.balance}`).join(', ')
}

export async function main(url: string): Promise<void> {
  await using pool = await createPool(url, { minSize: 1, maxSize: 4 })
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}`)
  await pool.query(
    `CREATE TABLE ${TABLE} (id INT PRIMARY KEY, balance DECIMAL(12,2) NOT NULL CHECK (balance >= 0))`,
  )
  try {
    await pool.query(`INSERT INTO ${TABLE} VALUES (1, 100.00), (2, 50.00)`)
    console.log(`start: ${await balances(pool)}`)
    await transferFunds(pool, 1, 2, 25.5)
    console.log(`after moving 25.50: ${await balances(pool)}`)
    // Overdrawing breaks the CHECK constraint on the first UPDATE: the transfer is rolled back.
    await transferFunds(pool, 2, 1, 1000).catch((e: Error) => console.log(`overdraft refused: ${e.message}`))
    console.log(`after the refused transfer: ${await balances(pool)}`)
    const moved = await pool.transaction(async (conn) => {
      await conn.query(`UPDATE ${TABLE} SET balance = balance - 10 WHERE id = 2`)
      await conn.query(`UPDATE ${TABLE} SET balance = balance + 10 WHERE id = 1`)
      return 10
    })
    console.log(`pool.transaction moved ${moved}: ${await balances(pool)}`)
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
