// "Connection Pool (Preferred Pattern)": one pool created at start-up, shared for the life of the
// service, closed cleanly at shutdown (close() then waitClosed()).
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/08-pool.ts

import { createPool, type Pool } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

/** create_app_pool(): the Python's parameters, spelled the TypeScript way (durations in ms). */
export function createAppPool(url: string): Promise<Pool> {
  return createPool(url, {
    minSize: 2,
    maxSize: 10,
    autocommit: false,
    poolRecycleMs: 3_600_000, // recycle connections idle for an hour (shorter than wait_timeout)
    charset: 'utf8mb4',
  })
}

export async function main(url: string): Promise<void> {
  const pool = await createAppPool(url)
  try {
    {
      await using conn = await pool.acquire() // released (not closed) at the end of this block
      await using cur = conn.cursor()
      await cur.execute('SELECT 1')
      const [result] = (await cur.fetchOne()) ?? []
      console.log(result) // 1
    }
    console.log(`pool: size ${pool.size}, free ${pool.freeSize}, min ${pool.minSize}, max ${pool.maxSize}`)
    // The shortcut for one statement: acquire, run, release.
    console.log(await pool.query('SELECT %s AS greeting', ['hello']))
  } finally {
    pool.close()
    await pool.waitClosed()
  }
  console.log(`closed: ${pool.closed}`)
}

await runIfMain(import.meta.url, main)
