// "Transaction Management": move money between two accounts in one transaction. begin, two UPDATEs,
// commit; on any error, roll back explicitly and rethrow. (The Python takes a connection from a pool;
// here the caller passes one connection.)
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/04-transfer-funds.ts

import { connect, DictCursor, type Connection } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_accounts'

export async function transferFunds(
  conn: Connection,
  fromId: number,
  toId: number,
  amount: number,
): Promise<void> {
  await using cur = conn.cursor()
  try {
    await conn.begin()
    await cur.execute(`UPDATE ${TABLE} SET balance = balance - %s WHERE id = %s`, [amount, fromId])
    if (cur.rowCount !== 1) throw new Error(`no account ${fromId}`)
    await cur.execute(`UPDATE ${TABLE} SET balance = balance + %s WHERE id = %s`, [amount, toId])
    if (cur.rowCount !== 1) throw new Error(`no account ${toId}`)
    await conn.commit()
  } catch (error) {
    // Never rely on auto-rollback: undo the first UPDATE explicitly, then let the caller see why.
    await conn.rollback()
    throw error
  }
}

async function printBalances(conn: Connection, label: string): Promise<void> {
  // DECIMAL comes back as an exact string.
  await using cur = conn.cursor(DictCursor<{ id: number; balance: string }>)
  await cur.execute(`SELECT id, balance FROM ${TABLE} ORDER BY id`)
  const rows = await cur.fetchAll()
  console.log(`${label}: ${rows.map((r) => `#${r.id} ${r.balance}`).join(', ')}`)
}

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)
  await using setup = conn.cursor()
  await setup.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  await setup.execute(
    `CREATE TABLE ${TABLE} (id INT PRIMARY KEY, balance DECIMAL(12, 2) NOT NULL) ENGINE=InnoDB`,
  )
  try {
    await setup.executeMany(`INSERT INTO ${TABLE} (id, balance) VALUES (%s, %s)`, [
      [1, 100],
      [2, 50],
    ])
    await conn.commit()
    await printBalances(conn, 'start')

    await transferFunds(conn, 1, 2, 25.5)
    await printBalances(conn, 'after moving 25.50 from #1 to #2')

    // Account #999 does not exist: #1 is debited first, then the credit finds no row, and the
    // rollback undoes the debit.
    try {
      await transferFunds(conn, 1, 999, 30)
      throw new Error('the transfer to a missing account should have failed')
    } catch (error) {
      console.log(`transfer to #999 failed and was rolled back: ${(error as Error).message}`)
    }
    console.log(`transaction still open: ${conn.getTransactionStatus()}`)
    await printBalances(conn, 'after the failed transfer')
  } finally {
    await setup.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
