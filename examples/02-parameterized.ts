// "Parameterized Queries — SQL Injection Prevention": values go in the second argument of execute(),
// as an array for %s or an object for %(name)s. The library escapes them; nothing is pasted by hand.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/02-parameterized.ts

import { connect } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_users'

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)
  await using cur = conn.cursor()
  await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  await cur.execute(
    `CREATE TABLE ${TABLE} (
       id INT AUTO_INCREMENT PRIMARY KEY,
       name VARCHAR(128) NOT NULL,
       email VARCHAR(255) NOT NULL UNIQUE,
       active BOOLEAN NOT NULL DEFAULT TRUE
     )`,
  )
  try {
    // CORRECT — bulk insert via executeMany (batched automatically: one multi-row INSERT)
    const rows = [
      ['Alice', 'alice@example.com'],
      ['Bob', 'bob@example.com'],
    ]
    const inserted = await cur.executeMany(`INSERT INTO ${TABLE} (name, email) VALUES (%s, %s)`, rows)
    await conn.commit() // autocommit is off by default, as in aiomysql
    console.log(`inserted ${inserted} users with: ${cur.lastExecuted}`)

    // CORRECT — parameterized, positional %s with an array
    const email = 'alice@example.com'
    await cur.execute(`SELECT id, name FROM ${TABLE} WHERE email = %s AND active = %s`, [email, true])
    console.log('positional:', await cur.fetchAll())

    // CORRECT — parameterized, named %(name)s with an object
    await cur.execute(`SELECT id, name FROM ${TABLE} WHERE email = %(email)s AND active = %(active)s`, {
      email: 'bob@example.com',
      active: true,
    })
    console.log('named:', await cur.fetchAll())

    // A hostile value stays a value: it is quoted and escaped, so it matches nothing.
    const hostile = "' OR '1'='1"
    const query = `SELECT id, name FROM ${TABLE} WHERE email = %s`
    console.log(`sent: ${cur.mogrify(query, [hostile])}`)
    await cur.execute(query, [hostile])
    console.log(`rows matched: ${cur.rowCount}`)

    // WRONG — string interpolation, never do this:
    //   await cur.execute(`SELECT * FROM users WHERE email = '${email}'`)
  } finally {
    await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
