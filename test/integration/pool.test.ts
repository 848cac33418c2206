// Pool against the real server: aiomysql's pool tests (sizes, clear, growth, FIFO reuse, close,
// waitClosed, terminate, killed and timed-out connections), then what aiomysql lacks: a stress run
// with throws and aborts, session reset, acquire timeout, transactions, await using.

import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createPool,
  InterfaceError,
  OperationalError,
  ProgrammingError,
  type Connection,
  type Pool,
  type PoolOptions,
} from '../../src/index.ts'
import { requireHarness, serverUrl } from '../support/env.ts'
import { open, tableName, withConnection } from '../support/db.ts'

/** Poll until `cond` holds (the client learns of a server-side close asynchronously). */
async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await sleep(10)
  }
}

/**
 * A pool for one test. Leaving its scope closes it; a connection still out 2 s later (a failed
 * assertion skipped a release) terminates it and fails, instead of waiting forever.
 */
async function testPool(options: PoolOptions = {}): Promise<Pool> {
  const pool = await createPool(serverUrl, options)
  Object.defineProperty(pool, Symbol.asyncDispose, {
    value: async (): Promise<void> => {
      pool.close()
      const closed = pool.waitClosed().then(() => true)
      if (await Promise.race([closed, sleep(2000, false, { ref: false })])) return
      pool.terminate()
      await closed
      throw new Error('connections were still out when the test ended')
    },
  })
  return pool
}

/** Wait until every connection is back in the free list (background rollbacks finish). */
async function settled(pool: Pool): Promise<void> {
  await until(() => pool.freeSize === pool.size)
}

test('defaults: minSize 1, maxSize 10, size 1, free 1; acquire, query, release', async () => {
  await using pool = await testPool()
  assert.deepEqual([pool.minSize, pool.maxSize, pool.size, pool.freeSize], [1, 10, 1, 1])
  const conn = await pool.acquire()
  assert.equal(pool.freeSize, 0)
  assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }])
  pool.release(conn)
  assert.equal(pool.freeSize, 1)
})

test('minSize 10 opens ten free connections', async () => {
  await using pool = await testPool({ minSize: 10, maxSize: 20 })
  assert.deepEqual([pool.size, pool.freeSize], [10, 10])
})

test('releasing a closed connection shrinks the pool; the next acquire refills; clear() empties it', async () => {
  await using pool = await testPool({ minSize: 10, maxSize: 10 })
  const conn = await pool.acquire()
  conn.close()
  pool.release(conn)
  assert.deepEqual([pool.size, pool.freeSize], [9, 9])
  const next = await pool.acquire()
  assert.equal(pool.size, 10)
  pool.release(next)
  await until(() => pool.freeSize === 10)
  await pool.clear()
  assert.deepEqual([pool.size, pool.freeSize], [0, 0])
})

test('minSize 0 grows with concurrent acquires, and released connections are reused FIFO', async () => {
  await using pool = await testPool({ minSize: 0 })
  assert.equal(pool.size, 0)
  const c1 = await pool.acquire()
  assert.equal(pool.size, 1)
  const [c2, c3] = await Promise.all([pool.acquire(), pool.acquire()])
  assert.equal(pool.size, 3)
  const ids = [c1, c2, c3].map((c) => c.threadId())
  assert.equal(new Set(ids).size, 3)
  pool.release(c1)
  pool.release(c2)
  pool.release(c3)
  const again = await pool.acquire()
  assert.equal(again, c1, 'the first released is handed out first')
  pool.release(again)
})

test('maxSize 1 with two tasks: never more than one connection', async () => {
  await using pool = await testPool({ minSize: 0, maxSize: 1 })
  let maxSize = 0
  let minFree = Infinity
  const task = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      const conn = await pool.acquire()
      maxSize = Math.max(maxSize, pool.size)
      minFree = Math.min(minFree, pool.freeSize)
      await conn.query('SELECT 1')
      pool.release(conn)
    }
  }
  await Promise.all([task(), task()])
  assert.deepEqual([maxSize, minFree], [1, 0])
})

test('close(): acquire rejects; waitClosed waits for every release and rejects without close()', async () => {
  const pool = await createPool(serverUrl, { minSize: 2 })
  await assert.rejects(pool.waitClosed(), ProgrammingError)
  const a = await pool.acquire()
  const b = await pool.acquire()
  pool.close()
  await assert.rejects(pool.acquire(), InterfaceError)
  const events: string[] = []
  const done = pool.waitClosed().then(() => events.push('waitClosed'))
  await sleep(20)
  events.push('release')
  pool.release(a)
  await sleep(20)
  events.push('release')
  pool.release(b)
  await done
  assert.deepEqual(events, ['release', 'release', 'waitClosed'])
  assert.ok(pool.closed && a.closed && b.closed)
})

test('terminate() closes connections still in use', async () => {
  const pool = await createPool(serverUrl, { minSize: 2 })
  const a = await pool.acquire()
  pool.terminate()
  assert.equal(a.closed, true)
  await assert.rejects(a.query('SELECT 1'))
  pool.release(a)
  await pool.waitClosed()
  assert.equal(pool.closed, true)
})

test('a connection killed by the server is not handed out', async () => {
  await using pool = await testPool({ minSize: 2 })
  const victim = await pool.acquire()
  const victimId = victim.threadId()
  pool.release(victim)
  await withConnection((killer) => killer.kill(victimId))
  await until(() => victim.closed)
  for (let i = 0; i < 3; i++) {
    const conn = await pool.acquire()
    assert.notEqual(conn, victim)
    assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }])
    pool.release(conn)
  }
})

test('connections dropped by wait_timeout are replaced: 10 queries after idling succeed', async (t) => {
  if (!requireHarness(t)) return
  let pool: Pool
  const admin = await open()
  try {
    const [{ old }] = (await admin.query<{ old: number }>('SELECT @@GLOBAL.wait_timeout AS old')) as [
      { old: number },
    ]
    // wait_timeout is copied into each new session: set it only while the pool opens its connections.
    await admin.query('SET GLOBAL wait_timeout = 2')
    try {
      pool = await createPool(serverUrl, { minSize: 3 })
    } finally {
      await admin.query('SET GLOBAL wait_timeout = %s', [old])
    }
  } finally {
    await admin.ensureClosed()
  }
  await using p = pool
  const idle = await Promise.all([p.acquire(), p.acquire(), p.acquire()])
  for (const c of idle) p.release(c)
  await sleep(3000)
  assert.ok(
    idle.every((c) => c.closed),
    'the server closed every idle connection',
  )
  const results = await Promise.all(Array.from({ length: 10 }, () => p.query('SELECT 1 AS one')))
  assert.deepEqual(
    results,
    Array.from({ length: 10 }, () => [{ one: 1 }]),
  )
})

test('500 tasks over maxSize 4 with throws and aborts: every connection back, no transaction open', async () => {
  const t = tableName('pool_stress')
  await withConnection((c) => c.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, task INT) ENGINE=InnoDB`))
  try {
    await using pool = await testPool({ minSize: 1, maxSize: 4 })
    let seed = 12345
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    let committed = 0
    let aborted = 0
    let thrown = 0
    const task = async (i: number): Promise<void> => {
      const roll = random()
      const signal = roll < 0.15 ? AbortSignal.timeout(Math.floor(random() * 5)) : undefined
      let conn: Connection
      try {
        conn = await pool.acquire(signal === undefined ? {} : { signal })
      } catch (e) {
        assert.equal((e as OperationalError).code, 'ABORT_ERR')
        assert.equal(((e as Error).cause as Error).name, 'TimeoutError')
        aborted++
        return
      }
      try {
        await conn.begin()
        await conn.query(`INSERT INTO ${t} VALUES (%s, %s)`, [i, i])
        if (roll > 0.8) throw new Error('task failed') // released inside the transaction
        if (roll > 0.7) return // forgot to commit: release must roll back
        await conn.commit()
        committed++
      } catch {
        thrown++
      } finally {
        pool.release(conn)
      }
    }
    await Promise.all(Array.from({ length: 500 }, (_, i) => task(i)))
    assert.ok(aborted > 0 && thrown > 0, `aborted ${aborted}, thrown ${thrown}`)
    await settled(pool)
    assert.ok(pool.size >= 1 && pool.size <= 4, `size ${pool.size}`)
    const conns = await Promise.all(Array.from({ length: pool.size }, () => pool.acquire()))
    assert.ok(conns.every((c) => !c.getTransactionStatus()))
    const ids = conns.map((c) => c.threadId())
    for (const c of conns) pool.release(c)
    await withConnection(async (c) => {
      const open = await c.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_mysql_thread_id IN %s',
        [ids],
      )
      assert.equal(Number(open[0]!.n), 0)
      const rows = await c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`)
      assert.equal(Number(rows[0]!.n), committed)
    })
  } finally {
    await withConnection((c) => c.query(`DROP TABLE ${t}`))
  }
})

test('resetOnRelease: variables, sql_mode, temporary tables and time_zone do not leak', async () => {
  // Connections are held with `await using`, so a failed assertion cannot leave one out (which
  // would make the pool's own disposal wait forever).
  const leak = async (pool: Pool): Promise<Record<string, unknown>> => {
    let id: number
    {
      await using before = await pool.acquire()
      id = before.threadId()
      await before.query("SET @secret = 'x', SESSION sql_mode = 'ANSI_QUOTES', time_zone = '+05:00'")
      await before.query('CREATE TEMPORARY TABLE tmp_leak (id INT)')
    }
    await using after = await pool.acquire()
    assert.equal(after.threadId(), id, 'the same connection comes back')
    const [row] = await after.query(
      'SELECT @secret AS secret, @@SESSION.sql_mode AS sqlMode, @@SESSION.time_zone AS tz',
    )
    const tmp = await after.query('SELECT COUNT(*) AS n FROM tmp_leak').then(
      () => 'exists',
      (e: unknown) => (e as { code?: string }).code,
    )
    return { ...row, tmp }
  }
  {
    await using pool = await testPool({
      maxSize: 1,
      resetOnRelease: true,
      sqlMode: 'STRICT_ALL_TABLES',
    })
    const row = await leak(pool)
    assert.deepEqual(row, {
      secret: null,
      sqlMode: 'STRICT_ALL_TABLES',
      tz: 'SYSTEM',
      tmp: 'ER_NO_SUCH_TABLE',
    })
  }
  {
    // Without it (the default, as aiomysql), the session state stays with the connection.
    await using pool = await testPool({ maxSize: 1 })
    const row = await leak(pool)
    assert.deepEqual([row['secret'], row['tz'], row['tmp']], ['x', '+05:00', 'exists'])
  }
})

test('a connection released inside a transaction is rolled back, not closed', async () => {
  const t = tableName('pool_rb')
  await withConnection((c) => c.query(`CREATE TABLE ${t} (id INT) ENGINE=InnoDB`))
  try {
    await using pool = await testPool({ maxSize: 1 })
    const conn = await pool.acquire()
    await conn.begin()
    await conn.query(`INSERT INTO ${t} VALUES (1)`)
    pool.release(conn)
    const again = await pool.acquire()
    assert.equal(again, conn)
    assert.equal(again.getTransactionStatus(), false)
    assert.deepEqual(await again.query(`SELECT * FROM ${t}`), [])
    pool.release(again)
  } finally {
    await withConnection((c) => c.query(`DROP TABLE ${t}`))
  }
})

test('acquireTimeoutMs fires at its deadline while the pool is busy', async () => {
  await using pool = await testPool({ maxSize: 1, acquireTimeoutMs: 300 })
  const held = await pool.acquire()
  const started = performance.now()
  await assert.rejects(pool.acquire(), (e: unknown) => {
    const elapsed = performance.now() - started
    assert.ok(e instanceof OperationalError)
    assert.equal(e.code, 'POOL_ACQUIRE_TIMEOUT')
    assert.match(e.message, /1 of maxSize 1 in use, 1 waiting/)
    assert.ok(elapsed >= 295 && elapsed <= 350, `fired after ${elapsed.toFixed(1)} ms`)
    return true
  })
  pool.release(held)
})

test('pool.transaction commits, rolls back on throw, and returns the result; pool.query commits', async () => {
  const t = tableName('pool_tx')
  await withConnection((c) => c.query(`CREATE TABLE ${t} (id INT) ENGINE=InnoDB`))
  try {
    await using pool = await testPool({ minSize: 2 })
    const result = await pool.transaction(async (conn) => {
      await conn.query(`INSERT INTO ${t} VALUES (1)`)
      return 'done'
    })
    assert.equal(result, 'done')
    await assert.rejects(
      pool.transaction(async (conn) => {
        await conn.query(`INSERT INTO ${t} VALUES (2)`)
        throw new Error('nope')
      }),
      /nope/,
    )
    await pool.query(`INSERT INTO ${t} VALUES (%s)`, [3])
    await withConnection(async (c) => {
      assert.deepEqual(await c.query(`SELECT id FROM ${t} ORDER BY id`), [{ id: 1 }, { id: 3 }])
    })
    assert.deepEqual([pool.size, pool.freeSize], [2, 2])
  } finally {
    await withConnection((c) => c.query(`DROP TABLE ${t}`))
  }
})

test('await using: a pooled connection is released, the pool is closed', async () => {
  let kept: Pool
  {
    await using pool = await createPool(serverUrl)
    kept = pool
    {
      await using conn = await pool.acquire()
      assert.equal(pool.freeSize, 0)
      await conn.query('SELECT 1')
    }
    assert.equal(pool.freeSize, 1)
  }
  assert.equal(kept.closed, true)
})

test('createPool rejects with the connection error when the server is down', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
  await assert.rejects(createPool({ host: '127.0.0.1', port, user: 'x', minSize: 3 }), OperationalError)
})
