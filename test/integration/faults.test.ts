// Network and server faults through the loopback fault proxy and the real server (issue 12): each
// test asserts no hang (a deadline), no leak (open sockets, pool counters), and no lost or phantom
// result. The proxy re-chunks, cuts at chosen byte offsets, or stalls without closing.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { createPool, SSCursor, type Connection, type ConnectionOptions } from '../../src/index.ts'
import { open, withConnection } from '../support/db.ts'
import { requireHarness, serverUrl } from '../support/env.ts'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts'

const target = (): { host: string; port: number } => {
  const u = new URL(serverUrl)
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 3306) }
}

async function withProxy<T>(fn: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(target())
  try {
    return await fn(proxy)
  } finally {
    await proxy.close()
  }
}

/** Open TCP sockets of this process (for leak checks). */
function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
}

/** Wait until `cond` holds, bounded. */
async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  return cond()
}

/** A fixed workload whose results must not depend on how the bytes arrive. */
async function workload(conn: Connection): Promise<unknown[]> {
  const out: unknown[] = []
  out.push(await conn.query("SELECT seq, REPEAT('ab', seq % 50) AS s, seq * 1.5 AS d FROM seq_1_to_300"))
  out.push(
    await conn.query('SELECT %s AS a, %s AS b, %s AS c', ['x'.repeat(70_000), 2n ** 63n, null], {
      prepare: true,
    }),
  )
  const cur = conn.cursor(SSCursor)
  await cur.execute("SELECT seq, REPEAT('z', 200) FROM seq_1_to_2000")
  const streamed: unknown[] = []
  for await (const row of cur) streamed.push(row)
  out.push(streamed)
  return out
}

test('one byte at a time, or randomly re-chunked, the results are identical', async () => {
  const expected = await withConnection(workload)
  let seed = 12345
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 3000) + 1
  for (const mode of [() => 1, random, () => 4, () => 16_777_300]) {
    await withProxy(async (proxy) => {
      const conn = await open({ host: '127.0.0.1', port: proxy.port })
      try {
        proxy.rechunk(mode)
        assert.deepStrictEqual(await workload(conn), expected)
      } finally {
        conn.close()
      }
    })
  }
})

/**
 * Cut the connection after each offset `next` yields until a handshake fits: every attempt must fail
 * within connectTimeoutMs (2 s) with a 20xx error, and no socket may be left open. Returns the failures.
 */
async function cutHandshakes(options: ConnectionOptions, next: (offset: number) => number): Promise<number> {
  return withProxy(async (proxy) => {
    const before = tcpSockets()
    let failures = 0
    for (let offset = 0; offset < 20_000; offset = next(offset)) {
      proxy.cutAfter(offset)
      const started = Date.now()
      try {
        const conn = await open({ ...options, host: '127.0.0.1', port: proxy.port, connectTimeoutMs: 2000 })
        conn.close()
        break // the whole handshake fitted in `offset` bytes
      } catch (e) {
        failures++
        const error = e as { errno?: number; message: string }
        assert.ok(Date.now() - started < 2500, `offset ${offset}: took ${Date.now() - started} ms`)
        assert.ok(
          typeof error.errno === 'number' && error.errno >= 2000,
          `offset ${offset}: ${error.message}`,
        )
      }
    }
    proxy.cutAfter(Infinity)
    assert.ok(await eventually(() => tcpSockets() <= before), `sockets: ${tcpSockets()} > ${before}`)
    return failures
  })
}

test('the connection cut at every byte offset of the handshake: each attempt fails fast and clearly, no socket leaks', async () => {
  const failures = await cutHandshakes({ sslMode: 'disabled' }, (offset) => offset + 1)
  assert.ok(failures > 100, `${failures} cut handshakes`)
})

test('the TLS handshake cut at every byte offset (sampled): each attempt fails within connectTimeoutMs, no socket leaks', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.native
  const sampled = (offset: number): number => offset + (offset < 300 ? 1 : 13)
  const failures = await cutHandshakes({ user, password, sslMode: 'required' }, sampled)
  assert.ok(failures > 300, `${failures} cut TLS handshakes`)
})

test('the proxy resets the connection with 20 statements written and more queued: each fails with its own sentToServer', async () => {
  await withProxy(async (proxy) => {
    const conn = await open({ host: '127.0.0.1', port: proxy.port })
    try {
      const written = Array.from({ length: 20 }, (_, i) =>
        conn.query('SELECT SLEEP(%s) AS s, %s AS i', [i === 0 ? 2 : 0, i]),
      )
      // A cancellable statement waits for every earlier reply: it is queued, never written.
      const queued = conn.query('SELECT 1', undefined, { timeoutMs: 10_000 })
      const all = Promise.allSettled([...written, queued])
      await new Promise((r) => setTimeout(r, 200))
      proxy.cutAll()
      const settled = await all
      const reasons = settled.map(
        (r) => (r as PromiseRejectedResult).reason as { fatal: boolean; sentToServer: boolean },
      )
      assert.ok(settled.every((r) => r.status === 'rejected'))
      for (const r of reasons.slice(0, 20)) assert.deepEqual([r.fatal, r.sentToServer], [true, true])
      assert.deepEqual([reasons[20]!.fatal, reasons[20]!.sentToServer], [true, false])
    } finally {
      conn.close()
    }
  })
})

test('200 timeouts landing just as their statement finishes: the next statement is never killed and sees only its rows', async () => {
  await withConnection(async (conn) => {
    let seed = 7
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    let timedOut = 0
    for (let round = 0; round < 200; round++) {
      const timed = conn
        .query<{ m: number }>('SELECT %s AS m, SLEEP(0.004) AS s', [round], {
          timeoutMs: 2 + Math.floor(random() * 5),
        })
        .then(
          (rows) => assert.equal(rows[0]!.m, round),
          (e: unknown) => {
            assert.equal((e as { code: string }).code, 'ER_STATEMENT_TIMEOUT')
            timedOut++
          },
        )
      // Long enough that a KILL aimed at the timed statement would land on it if it were written behind.
      const innocent = conn.query<{ m: number }>('SELECT %s AS m, SLEEP(0.02) AS s', [100_000 + round])
      await timed
      assert.deepEqual(await innocent, [{ m: 100_000 + round, s: 0 }], `round ${round}`)
    }
    assert.ok(timedOut > 20 && timedOut < 190, `${timedOut} of 200 timed out`)
  })
})

test('a half-open connection: the deadline fires, then the connection is found dead and the pool replaces it', async () => {
  await withProxy(async (proxy) => {
    const pool = await createPool({ ...connOptions(proxy), minSize: 1, maxSize: 1 })
    try {
      const first = await pool.acquire()
      const id = first.threadId()
      pool.release(first)
      proxy.stall()
      const started = Date.now()
      await assert.rejects(pool.query('SELECT SLEEP(5)', undefined, { timeoutMs: 300 }), {
        code: 'ER_STATEMENT_TIMEOUT',
      })
      assert.ok(Date.now() - started < 2000)
      // The killed statement's reply never arrives: the connection is declared dead.
      assert.ok(await eventually(() => first.closed, 6000), 'the stalled connection was closed')
      const rows = await pool.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
      assert.notEqual(rows[0]!.id, id, 'a new connection')
    } finally {
      pool.terminate()
    }
  })
})

function connOptions(proxy: FaultProxy): {
  host: string
  port: number
  user: string
  password: string
  db: string
} {
  const u = new URL(serverUrl)
  return {
    host: '127.0.0.1',
    port: proxy.port,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    db: u.pathname.slice(1),
  }
}

test('KILL QUERY in the middle of a streamed million-row result: rows read are intact, the error is not fatal', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    await cur.execute('SELECT seq FROM seq_1_to_1000000')
    let expected = 1
    const rows = await cur.fetchMany(5000)
    for (const [seq] of rows as [number][]) assert.equal(seq, expected++)
    await withConnection((killer) => killer.query('KILL QUERY %s', [conn.threadId()]))
    let error: { errno: number; fatal: boolean } | null = null
    try {
      for await (const row of cur) assert.equal((row as [number])[0], expected++)
    } catch (e) {
      error = e as { errno: number; fatal: boolean }
    }
    assert.ok(error !== null, 'the result ended with the kill')
    assert.equal(error.errno, 1317)
    assert.equal(error.fatal, false)
    assert.ok(expected < 1_000_001)
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
  })
})

test('a slow consumer that breaks out of a stream: memory bounded, the connection drained, the pool at baseline', async () => {
  const pool = await createPool(serverUrl, { minSize: 1, maxSize: 2 })
  try {
    const conn = await pool.acquire()
    const heapBefore = process.memoryUsage().heapUsed
    {
      await using cur = conn.cursor(SSCursor)
      await cur.execute("SELECT seq, REPEAT('x', 500) FROM seq_1_to_300000")
      let n = 0
      for await (const _row of cur) {
        if (++n % 100 === 0) await new Promise((r) => setTimeout(r, 5))
        if (n === 1000) break
      }
    }
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024)
    assert.deepEqual(await conn.query('SELECT 2 AS two'), [{ two: 2 }], 'the connection is clean')
    pool.release(conn)
    assert.equal(pool.freeSize, pool.size)
  } finally {
    pool.close()
    await pool.waitClosed()
  }
})

test('pool.close() with queued acquires and running statements: the process exits by itself', async () => {
  const script = `
    import { createPool } from ${JSON.stringify(path.join(import.meta.dirname, '../../src/index.ts'))}
    const pool = await createPool(${JSON.stringify(serverUrl)}, { minSize: 1, maxSize: 1 })
    const conn = await pool.acquire()
    const running = conn.query('SELECT SLEEP(0.3)')
    const queued = [pool.acquire(), pool.acquire(), pool.query('SELECT 1')]
    pool.close()
    for (const p of queued) p.catch(() => {})
    await running
    pool.release(conn)
    console.log('closed')
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(null)
    }, 15_000)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  assert.equal(code, 0, `the process did not exit by itself: ${out}`)
  assert.match(out, /closed/)
})

test('the server gone for 1.5 s under steady pool load: errors only during the outage, recovery right after, bounded reconnects', async () => {
  await withProxy(async (proxy) => {
    const pool = await createPool({ ...connOptions(proxy), minSize: 2, maxSize: 4, acquireTimeoutMs: 5000 })
    try {
      const start = Date.now()
      const downAt = 500
      const upAt = 2000
      const endAt = 3500
      let attemptsWhileDown = 0
      setTimeout(() => {
        proxy.down(true)
        attemptsWhileDown = -proxy.accepted
      }, downAt)
      setTimeout(() => {
        attemptsWhileDown += proxy.accepted
        proxy.down(false)
      }, upAt)
      const outcomes: { at: number; ok: boolean }[] = []
      const worker = async (): Promise<void> => {
        while (Date.now() - start < endAt) {
          const at = Date.now() - start
          try {
            await pool.query('SELECT 1 AS one')
            outcomes.push({ at, ok: true })
          } catch {
            outcomes.push({ at, ok: false })
            await new Promise((r) => setTimeout(r, 10))
          }
        }
      }
      await Promise.all(Array.from({ length: 8 }, worker))
      const failures = outcomes.filter((o) => !o.ok)
      assert.ok(failures.length > 0, 'the outage was seen')
      // A statement started just before the cut may fail as it lands; none fail well before or after.
      for (const f of failures) assert.ok(f.at > downAt - 50 && f.at < upAt + 100, `a failure at ${f.at} ms`)
      const recovered = outcomes.find((o) => o.ok && o.at >= upAt)
      assert.ok(recovered !== undefined && recovered.at < upAt + 1200, `recovered at ${recovered?.at} ms`)
      assert.ok(outcomes.filter((o) => o.ok && o.at > upAt + 1200).length > 100, 'steady again')
      // Backoff: a handful of connection attempts during 1.5 s of outage, not one per query.
      assert.ok(attemptsWhileDown <= 20, `${attemptsWhileDown} connection attempts while down`)
    } finally {
      pool.terminate()
    }
  })
})
