// Several servers (SPEC §12): one pool over a list of hosts. Here the list is a host that is down
// (a loopback port nobody listens on) followed by the database from the URL, with 'failover': the
// pool skips the dead one, reports it in status(), and runs a transaction that is retried on a
// deadlock or a lost connection (never after COMMIT was sent). On a Galera cluster, list every node
// and use loadBalance: 'round-robin'.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/12-several-hosts.ts

import net from 'node:net'
import { createPool } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

/** A loopback port with nothing listening: a server that is down. */
async function deadPort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as net.AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export async function main(url: string): Promise<void> {
  const u = new URL(url)
  // Explicit `hosts` replace the URL's host; user, password, database and options still come from it.
  const pool = await createPool(url, {
    hosts: [`127.0.0.1:${await deadPort()}`, `${u.hostname}:${u.port || 3306}`],
    loadBalance: 'failover',
    autocommit: true,
  })
  try {
    for (const h of pool.status().hosts) {
      console.log(`${h.state === 'up' ? 'up  ' : 'down'} open=${h.open}`, h.lastError ? '(refused)' : '')
    }
    await pool.query('CREATE TABLE IF NOT EXISTS example_hosts (id INT PRIMARY KEY, n INT NOT NULL)')
    await pool.query('REPLACE INTO example_hosts VALUES (1, 0)')
    const n = await pool.transaction(
      async (conn) => {
        await conn.query('UPDATE example_hosts SET n = n + 1 WHERE id = 1')
        const [row] = await conn.query<{ n: number }>('SELECT n FROM example_hosts WHERE id = 1')
        return row!.n
      },
      { retries: 3 },
    )
    console.log(`counter: ${n}`) // 1
    await pool.query('DROP TABLE example_hosts')
  } finally {
    pool.close()
    await pool.waitClosed()
  }
}

await runIfMain(import.meta.url, main)
