// "Lifecycle: Single Connection (Scripts / Tests)": connect, ask the server for its version, close.
// A bare connection suits scripts and tests; a long-lived service should use a pool.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/01-connect-version.ts

import { connect } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

export async function main(url: string): Promise<void> {
  // As in the Python: close() in `finally`. It is synchronous and closes the socket at once.
  const conn = await connect(url, { charset: 'utf8mb4' })
  try {
    await using cur = conn.cursor()
    await cur.execute('SELECT VERSION()')
    const [version] = (await cur.fetchOne()) ?? []
    console.log(`MySQL ${version}`)
  } finally {
    conn.close()
  }

  // The async variant: ensureClosed() sends COM_QUIT first, then waits for the socket to close.
  // (`await using conn = await connect(url)` calls it for you at the end of the scope.)
  const conn2 = await connect(url)
  try {
    await using cur = conn2.cursor()
    await cur.execute('SELECT CONNECTION_ID()')
    const [id] = (await cur.fetchOne()) ?? []
    console.log(`connection ${id} open`)
  } finally {
    await conn2.ensureClosed()
  }
  console.log(`closed: ${conn2.closed}`)
}

await runIfMain(import.meta.url, main)
