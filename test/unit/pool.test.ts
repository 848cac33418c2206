// Pool logic against fake connections from an injected open(): FIFO waiters, abort, acquire
// timeout, release paths (idempotent, foreign, closed, in transaction, reset), waitClosed,
// terminate, failed opens that must not hang, recycling, idle and lifetime reaping, options.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config.ts'
import type { Connection } from '../../src/connection.ts'
import { attachCore, type ConnectionCore } from '../../src/connection-core.ts'
import { InterfaceError, OperationalError, ProgrammingError } from '../../src/errors.ts'
import { createPool, Pool } from '../../src/pool/pool.ts'
import { resolvePoolArgs, resolvePoolSettings, type PoolSettings } from '../../src/pool/options.ts'

let nextId = 1

/**
 * Just the part of Connection (and of the core under it) the pool touches, with counters: the fake
 * is its own core.
 */
class FakeConn {
  readonly id = nextId++
  constructor() {
    attachCore(this as unknown as Connection, this as unknown as ConnectionCore)
  }
  closed = false
  inTrans = false
  quits = 0
  rollbacks = 0
  resets = 0
  failRollback = false
  autocommit = false
  /** A refusal that makes the connection unfit for the pool (1047, 1290, …), or 0. */
  unfitErrno = 0
  /** Commands issued and not yet answered (the fake answers them in a later turn). */
  unanswered = 0
  maxUnanswered = 0
  readonly statements: string[] = []
  /** Set by the pool that lends it (ConnectionCore.lease). */
  lease: (() => void) | null = null

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.lease !== null) this.lease()
    else await this.ensureClosed()
  }
  getAutocommit(): boolean {
    return this.autocommit
  }

  close(): void {
    this.closed = true
  }
  async ensureClosed(): Promise<void> {
    if (!this.closed) this.quits++
    this.closed = true
  }
  getTransactionStatus(): boolean {
    return this.inTrans
  }
  async rollback(): Promise<void> {
    this.rollbacks++
    await Promise.resolve()
    if (this.failRollback) throw new OperationalError('rollback failed')
    this.inTrans = false
  }
  async resetSession(): Promise<void> {
    this.resets++
    this.inTrans = false
  }
  async begin(): Promise<void> {
    this.statements.push('BEGIN')
    this.inTrans = true
  }
  async commit(): Promise<void> {
    this.statements.push('COMMIT')
    this.unanswered++
    await Promise.resolve()
    this.unanswered--
    this.inTrans = false
  }
  async query(sql: string): Promise<unknown[]> {
    this.statements.push(sql)
    if (sql.startsWith('INSERT') && !this.autocommit) this.inTrans = true // an implicit transaction
    this.maxUnanswered = Math.max(this.maxUnanswered, ++this.unanswered)
    await new Promise((r) => setTimeout(r, 1))
    this.unanswered--
    return [{ id: this.id }]
  }
}

/** An injectable open(): immediate by default; `manual` holds each open until settled by hand. */
class Factory {
  readonly opened: FakeConn[] = []
  calls = 0
  manual = false
  failWith: Error | null = null
  readonly held: Array<{ succeed(): void; fail(e: Error): void }> = []

  readonly open = (): Promise<Connection> => {
    this.calls++
    if (this.failWith !== null) return Promise.reject(this.failWith)
    const make = (): Connection => {
      const c = new FakeConn()
      this.opened.push(c)
      return c as unknown as Connection
    }
    if (!this.manual) return Promise.resolve(make())
    return new Promise((resolve, reject) => this.held.push({ succeed: () => resolve(make()), fail: reject }))
  }
}

const config = resolveConfig({})
const fake = (c: Connection): FakeConn => c as unknown as FakeConn
/** Let promise callbacks (opens, rollbacks) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function makePool(settings: PoolSettings = {}, factory = new Factory()): Promise<[Pool, Factory]> {
  const pool = new Pool(config, settings, factory.open)
  await pool.warmUp()
  return [pool, factory]
}

/** Resolution order of several pending acquires. */
function track(pool: Pool, n: number, order: number[]): Array<Promise<Connection>> {
  return Array.from({ length: n }, (_, i) =>
    pool.acquire().then((c) => {
      order.push(i)
      return c
    }),
  )
}

void test('defaults: minSize 1, maxSize 10, one connection open and free', async () => {
  const [pool, f] = await makePool()
  assert.deepEqual([pool.minSize, pool.maxSize, pool.size, pool.freeSize], [1, 10, 1, 1])
  assert.equal(f.calls, 1)
  const [big] = await makePool({ minSize: 10, maxSize: 20 })
  assert.deepEqual([big.size, big.freeSize], [10, 10])
})

void test('warmUp opens minSize connections in parallel, and on a failure closes the rest and rejects', async () => {
  const f = new Factory()
  f.manual = true
  const pool = new Pool(config, { minSize: 3 }, f.open)
  const warm = pool.warmUp()
  assert.equal(f.calls, 3, 'all three opens started before any finished')
  f.held[0]!.succeed()
  f.held[1]!.fail(new OperationalError('connect refused', { code: 'CR_CONN_HOST_ERROR' }))
  f.held[2]!.succeed()
  await assert.rejects(warm, /connect refused/)
  assert.equal(f.opened.length, 2)
  assert.ok(
    f.opened.every((c) => c.closed),
    'nothing left open',
  )
  assert.equal(pool.size, 0)
})

void test('options are validated with ProgrammingError before anything is opened', async () => {
  const bad: PoolSettings[] = [
    { minSize: 3, maxSize: 2 },
    { maxSize: 0 },
    { minSize: -1 },
    { minSize: 1.5 },
    { acquireTimeoutMs: 0 },
    { idleTimeoutMs: -5 },
    { maxLifetimeMs: Number.NaN },
    { resetOnRelease: 'yes' as unknown as boolean },
    { nope: 1 } as PoolSettings,
  ]
  for (const s of bad) assert.throws(() => resolvePoolSettings(s), ProgrammingError, JSON.stringify(s))
  await assert.rejects(createPool({ maxSize: 1, minSize: 2 }), ProgrammingError)
  await assert.rejects(createPool({ minsize: 2 } as never), /unknown connection option/)
  await assert.rejects(createPool('mysql://u@127.0.0.1:1/db?maxSize=abc'), /maxSize must be a number/)
  await assert.rejects(createPool('mysql://u@127.0.0.1:1/db?minSize=3&maxSize=2'), ProgrammingError)
})

void test('pool options can come from a URL query; explicit options win', () => {
  const { config: c, settings } = resolvePoolArgs(
    'mysql://u:p%40ss@h:3307/db?minSize=2&maxSize=5&charset=latin1',
    {
      maxSize: 7,
      resetOnRelease: true,
    },
  )
  assert.deepEqual(settings, { minSize: 2, maxSize: 7, resetOnRelease: true })
  assert.deepEqual(
    [c.host, c.port, c.user, c.password, c.db, c.charset],
    ['h', 3307, 'u', 'p@ss', 'db', 'latin1'],
  )
  const fromObject = resolvePoolArgs({ host: 'h', minSize: 0 }, { minSize: undefined, maxSize: 3 } as never)
  assert.deepEqual(fromObject.settings, { minSize: 0, maxSize: 3 })
})

void test('acquire and release: accounting, FIFO reuse of released connections', async () => {
  const [pool] = await makePool({ minSize: 0 })
  const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
  assert.deepEqual([pool.size, pool.freeSize], [3, 0])
  pool.release(a)
  pool.release(b)
  pool.release(c)
  assert.equal(pool.freeSize, 3)
  assert.equal(await pool.acquire(), a, 'the first released goes out first')
  assert.equal(await pool.acquire(), b)
})

void test('several waiters open several connections at once, never beyond maxSize', async () => {
  const f = new Factory()
  f.manual = true
  const [pool] = await makePool({ minSize: 0, maxSize: 4 }, f)
  const pending = Array.from({ length: 6 }, () => pool.acquire())
  assert.equal(f.calls, 4, 'four opens in flight together')
  assert.equal(pool.size, 4, 'in-flight opens count toward size')
  for (const h of f.held) h.succeed()
  const got = await Promise.all(pending.slice(0, 4))
  assert.equal(new Set(got).size, 4)
  pool.release(got[0]!)
  pool.release(got[1]!)
  assert.deepEqual(await Promise.all(pending.slice(4)), [got[0], got[1]])
  assert.equal(f.calls, 4)
})

void test('waiters are served first come, first served', async () => {
  const [pool] = await makePool({ maxSize: 1 })
  const held = await pool.acquire()
  const order: number[] = []
  const waiting = track(pool, 3, order)
  for (let i = 0; i < 3; i++) {
    pool.release(i === 0 ? held : await waiting[i - 1]!)
    await settle()
  }
  await Promise.all(waiting)
  assert.deepEqual(order, [0, 1, 2])
  // A newcomer does not jump the queue: the freed connection goes to the one already waiting.
  const first = await waiting[2]!
  const queued = pool.acquire()
  pool.release(first)
  const late = pool.acquire()
  assert.equal(await queued, first)
  pool.release(first)
  assert.equal(await late, first)
})

void test('aborting a waiting acquire rejects with ABORT_ERR (cause: the reason) and loses no connection', async () => {
  const [pool] = await makePool({ maxSize: 1 })
  const held = await pool.acquire()
  const ac = new AbortController()
  const aborted = pool.acquire({ signal: ac.signal })
  const next = pool.acquire()
  ac.abort()
  await assert.rejects(aborted, (e: unknown) => {
    assert.ok(e instanceof OperationalError)
    assert.equal(e.code, 'ABORT_ERR')
    assert.equal((e.cause as Error).name, 'AbortError')
    return true
  })
  pool.release(held)
  assert.equal(await next, held, 'the next waiter gets it')
  pool.release(held)
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])

  const reason = new Error('user gave up')
  const ac2 = new AbortController()
  ac2.abort(reason)
  await assert.rejects(pool.acquire({ signal: ac2.signal }), { code: 'ABORT_ERR', cause: reason })
  assert.equal(pool.freeSize, 1, 'an already-aborted signal takes nothing')
})

void test('a connection handed over in the same tick as the abort goes back to the pool', async () => {
  const [pool] = await makePool({ maxSize: 1 })
  const held = await pool.acquire()
  const ac = new AbortController()
  const waiting = pool.acquire({ signal: ac.signal })
  pool.release(held) // hands it to the waiter synchronously...
  ac.abort() // ...which gives up before it resumes
  await assert.rejects(waiting, { code: 'ABORT_ERR' })
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
})

void test('acquireTimeoutMs fires at its deadline with counts in the message', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  const [pool] = await makePool({ minSize: 2, maxSize: 2, acquireTimeoutMs: 1000 })
  await pool.acquire()
  await pool.acquire()
  let settled = false
  const waiting = pool.acquire().finally(() => (settled = true))
  const other = pool.acquire()
  t.mock.timers.tick(999)
  await settle()
  assert.equal(settled, false)
  t.mock.timers.tick(1)
  await assert.rejects(waiting, (e: unknown) => {
    assert.ok(e instanceof OperationalError)
    assert.equal(e.code, 'POOL_ACQUIRE_TIMEOUT')
    assert.match(e.message, /after 1000 ms: 2 of maxSize 2 in use, 2 waiting/)
    return true
  })
  await assert.rejects(other, /1 waiting/)
})

void test('the acquire-timeout error carries the last connect error as its cause', async (t) => {
  // Date too: the backoff after a failed open is measured against the clock.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const f = new Factory()
  const [pool] = await makePool({ minSize: 1, maxSize: 2, acquireTimeoutMs: 500 }, f)
  await pool.acquire()
  const refused = new OperationalError('connect ECONNREFUSED', { code: 'CR_CONN_HOST_ERROR' })
  f.failWith = refused
  await assert.rejects(pool.acquire(), (e) => e === refused, 'the waiter that caused the open gets its error')
  f.manual = true
  f.failWith = null
  const waiting = pool.acquire() // its open is held: the waiter times out
  t.mock.timers.tick(500)
  await assert.rejects(waiting, (e: unknown) => {
    assert.ok(e instanceof OperationalError)
    assert.match(e.message, /1 opening/)
    return true
  })
})

void test('a failed open rejects its waiter, frees the slot, and the pool recovers', async () => {
  const f = new Factory()
  const [pool] = await makePool({ minSize: 0, maxSize: 2 }, f)
  const down = new OperationalError("Can't connect", { code: 'CR_CONN_HOST_ERROR' })
  f.failWith = down
  await assert.rejects(pool.acquire(), (e) => e === down)
  await assert.rejects(pool.acquire(), (e) => e === down)
  assert.equal(pool.size, 0)
  f.failWith = null
  const conn = await pool.acquire()
  assert.equal(pool.size, 1)
  pool.release(conn)

  // Two waiters, two opens: the first failure goes to the oldest; the second open serves the other.
  f.manual = true
  await pool.acquire() // the free one
  const a = pool.acquire()
  const b = pool.acquire()
  assert.equal(f.held.length, 1, 'maxSize 2: only one more open')
  f.held[0]!.fail(down)
  await assert.rejects(a, (e) => e === down)
  await settle()
  assert.equal(f.held.length, 1, 'right after a failure the next open waits (backoff)')
  for (let i = 0; i < 100 && f.held.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(f.held.length, 2, 'b is still uncovered: a new open is started for it after the backoff')
  f.held[1]!.succeed()
  assert.equal(fake(await b).id, f.opened.at(-1)!.id)
})

void test('release is idempotent; a connection from elsewhere is a ProgrammingError', async () => {
  const [pool] = await makePool()
  const conn = await pool.acquire()
  pool.release(conn)
  pool.release(conn)
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
  const [other] = await makePool()
  const foreign = await other.acquire()
  assert.throws(() => pool.release(foreign), ProgrammingError)
  assert.throws(() => pool.release(new FakeConn() as unknown as Connection), /does not belong/)
})

void test('releasing a closed connection shrinks the pool; the next acquire tops it up', async () => {
  const [pool] = await makePool({ minSize: 10, maxSize: 10 })
  const conn = await pool.acquire()
  conn.close()
  pool.release(conn)
  assert.deepEqual([pool.size, pool.freeSize], [9, 9])
  const next = await pool.acquire()
  assert.notEqual(next, conn)
  assert.equal(pool.size, 10)
})

void test('every path that frees a slot wakes a waiter (closed, failed rollback)', async () => {
  const [pool, f] = await makePool({ minSize: 1, maxSize: 1 })
  const conn = await pool.acquire()
  const waiting = pool.acquire()
  conn.close()
  pool.release(conn)
  const fresh = await waiting
  assert.notEqual(fresh, conn)

  const waiting2 = pool.acquire()
  fake(fresh).inTrans = true
  fake(fresh).failRollback = true
  pool.release(fresh)
  const third = await waiting2
  assert.ok(fake(fresh).closed, 'a connection that could not roll back is closed')
  assert.equal(f.opened.length, 3)
  assert.notEqual(third, fresh)
})

void test('a connection released inside a transaction is rolled back before anyone gets it', async () => {
  const [pool] = await makePool({ maxSize: 1 })
  const conn = await pool.acquire()
  fake(conn).inTrans = true
  const waiting = pool.acquire()
  pool.release(conn)
  assert.deepEqual([pool.size, pool.freeSize], [1, 0], 'the slot stays taken while rolling back')
  assert.equal(await waiting, conn)
  assert.equal(fake(conn).rollbacks, 1)
  assert.equal(fake(conn).inTrans, false)
})

void test('resetOnRelease resets the session (no separate ROLLBACK); a failed reset closes', async () => {
  const [pool] = await makePool({ resetOnRelease: true })
  const conn = await pool.acquire()
  fake(conn).inTrans = true
  pool.release(conn)
  await settle()
  assert.deepEqual([fake(conn).resets, fake(conn).rollbacks, pool.freeSize], [1, 0, 1])
  const again = await pool.acquire()
  fake(again).resetSession = () => Promise.reject(new OperationalError('reset failed'))
  pool.release(again)
  await settle()
  assert.equal(fake(again).closed, true)
  assert.deepEqual([pool.size, pool.freeSize], [0, 0])
})

void test('a free connection the server closed is never handed out', async () => {
  const [pool] = await makePool({ minSize: 2 })
  const [a, b] = [await pool.acquire(), await pool.acquire()]
  pool.release(a)
  pool.release(b)
  fake(a).closed = true // e.g. KILL or wait_timeout while idle
  const got = await pool.acquire()
  assert.equal(got, b)
  const got2 = await pool.acquire()
  assert.ok(got2 !== a && got2 !== b, 'a new one was opened')
})

void test('close() rejects waiters and later acquires; waitClosed waits for every release', async () => {
  const [pool] = await makePool({ minSize: 2, maxSize: 2 })
  await assert.rejects(pool.waitClosed(), ProgrammingError)
  const [a, b] = [await pool.acquire(), await pool.acquire()]
  const waiting = pool.acquire()
  const events: string[] = []
  pool.close()
  await assert.rejects(waiting, InterfaceError)
  await assert.rejects(pool.acquire(), { code: 'POOL_CLOSED' })
  const done = pool.waitClosed().then(() => events.push('waitClosed'))
  await settle()
  assert.equal(pool.closed, false)
  events.push('release')
  pool.release(a)
  await settle()
  events.push('release')
  pool.release(b)
  await done
  assert.deepEqual(events, ['release', 'release', 'waitClosed'])
  assert.equal(pool.closed, true)
  assert.deepEqual([fake(a).quits, fake(b).quits], [1, 1], 'closed with COM_QUIT')
})

void test('close() closes the free connections at once', async () => {
  const [pool, f] = await makePool({ minSize: 3 })
  pool.close()
  await pool.waitClosed()
  assert.ok(f.opened.every((c) => c.closed))
  assert.equal(pool.size, 0)
})

void test('terminate() closes connections that are still out; their release is a no-op', async () => {
  const [pool] = await makePool({ minSize: 2 })
  const a = await pool.acquire()
  const b = await pool.acquire()
  fake(b).inTrans = true
  pool.release(b) // rolling back when terminate() hits
  pool.terminate()
  assert.equal(a.closed, true)
  pool.release(a)
  await pool.waitClosed()
  assert.equal(pool.closed, true)
})

void test('an open that completes after close() is closed, and waitClosed waits for it', async () => {
  const f = new Factory()
  const [pool] = await makePool({ minSize: 0 }, f)
  f.manual = true
  const waiting = pool.acquire()
  pool.close()
  await assert.rejects(waiting, InterfaceError)
  let done = false
  const closed = pool.waitClosed().then(() => (done = true))
  await settle()
  assert.equal(done, false)
  f.held[0]!.succeed()
  await closed
  assert.equal(f.opened[0]!.closed, true)
})

void test('clear() closes the free connections; the next acquire opens a new one', async () => {
  const [pool, f] = await makePool({ minSize: 3 })
  const out = await pool.acquire()
  await pool.clear()
  assert.deepEqual([pool.freeSize, pool.size], [0, 1])
  pool.release(out)
  assert.equal(pool.freeSize, 1)
  assert.equal(f.opened.filter((c) => c.closed).length, 2)
})

void test('poolRecycleMs closes a free connection unused for longer, on acquire', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 })
  const [pool, f] = await makePool({ poolRecycleMs: 1000 })
  const first = await pool.acquire()
  pool.release(first)
  t.mock.timers.tick(1000)
  assert.equal(await pool.acquire(), first, 'not older than poolRecycleMs yet')
  pool.release(first)
  t.mock.timers.tick(1001)
  const second = await pool.acquire()
  assert.notEqual(second, first)
  assert.equal(f.opened[0]!.quits, 1)
})

void test('idleTimeoutMs closes idle connections above minSize only', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  const [pool] = await makePool({ minSize: 1, maxSize: 4, idleTimeoutMs: 5000 })
  const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
  for (const c of conns) pool.release(c)
  assert.equal(pool.size, 3)
  t.mock.timers.tick(4999)
  assert.equal(pool.size, 3)
  t.mock.timers.tick(1)
  await settle()
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
  t.mock.timers.tick(60_000)
  assert.equal(pool.size, 1, 'never below minSize')
})

void test('maxLifetimeMs retires a connection when idle (never in use) and keeps minSize', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  const [pool, f] = await makePool({ minSize: 1, maxSize: 2, maxLifetimeMs: 10_000 })
  const old = await pool.acquire()
  t.mock.timers.tick(20_000)
  assert.equal(old.closed, false, 'in use: left alone')
  pool.release(old)
  assert.equal(old.closed, true, 'retired on release')
  await settle()
  assert.deepEqual([pool.size, pool.freeSize], [1, 1], 'replaced to keep minSize')
  t.mock.timers.tick(10_000)
  await settle()
  assert.equal(f.opened[1]!.closed, true, 'an idle one past its lifetime is retired by the timer')
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
})

void test('await using releases the connection instead of closing it', async () => {
  const [pool] = await makePool()
  let kept: Connection | undefined
  {
    await using conn = await pool.acquire()
    kept = conn
    assert.equal(pool.freeSize, 0)
  }
  assert.equal(kept.closed, false)
  assert.equal(pool.freeSize, 1)
  {
    await using p2 = pool
    assert.equal(p2.closed, false)
  }
  assert.equal(pool.closed, true)
})

void test('pool.query shares a connection lent to pool.query when none is free, up to pipelineDepth', async () => {
  for (const depth of [4, 1]) {
    const [pool, f] = await makePool({ minSize: 2, maxSize: 2, pipelineDepth: depth })
    for (const c of f.opened) c.autocommit = true
    const held = await pool.acquire() // an acquired connection is never shared
    const first = pool.query('SELECT 0')
    // Let the first call get its connection and write its statement (a bounded number of turns).
    for (let i = 0; i < 100 && !f.opened.some((c) => c.unanswered > 0); i++) await Promise.resolve()
    const rest = Array.from({ length: 5 }, (_, i) => pool.query(`SELECT ${i + 1}`))
    const results = await Promise.all([first, ...rest])
    const other = f.opened.find((c) => c !== fake(held))!
    assert.ok(results.every((r) => (r[0] as { id: number }).id === other.id))
    assert.equal(fake(held).statements.length, 0, 'the acquired connection ran nothing')
    assert.equal(other.maxUnanswered, depth, `pipelineDepth ${depth}`)
    pool.release(held)
    assert.equal(pool.freeSize, 2)
    pool.close()
  }
})

void test('pool.query commits what it opened; pool.transaction commits or rolls back and releases once', async () => {
  const [pool] = await makePool()
  const conn = fake(await peek(pool))
  assert.deepEqual(await pool.query('SELECT 1'), [{ id: conn.id }])
  // With autocommit off the COMMIT is written with the statement, before its reply is known.
  assert.deepEqual(conn.statements, ['SELECT 1', 'COMMIT'])
  conn.autocommit = true
  await pool.query('SELECT 2')
  assert.deepEqual(conn.statements.slice(-1), ['SELECT 2'], 'autocommit on: nothing to commit')
  conn.autocommit = false
  await pool.query('INSERT INTO t VALUES (1)')
  assert.deepEqual(conn.statements.slice(-2), ['INSERT INTO t VALUES (1)', 'COMMIT'])
  assert.equal(conn.rollbacks, 0)

  const result = await pool.transaction(async (c) => {
    await c.query('UPDATE t SET v = 1')
    return 42
  })
  assert.equal(result, 42)
  assert.deepEqual(conn.statements.slice(-3), ['BEGIN', 'UPDATE t SET v = 1', 'COMMIT'])
  const boom = new Error('boom')
  await assert.rejects(
    pool.transaction(async (c) => {
      await c.query('UPDATE t SET v = 2')
      throw boom
    }),
    (e) => e === boom,
  )
  assert.equal(conn.rollbacks, 1)
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
})

void test('pool.query: the signal also covers the wait for a connection', async () => {
  const [pool] = await makePool({ maxSize: 1 })
  const held = await pool.acquire()
  const ac = new AbortController()
  const q = pool.query('SELECT 1', undefined, { signal: ac.signal })
  ac.abort()
  await assert.rejects(q, { code: 'ABORT_ERR' })
  pool.release(held)
  assert.deepEqual([pool.size, pool.freeSize], [1, 1])
})

void test("the pool's timers (acquire timeout, idle reaping) never keep the process alive", async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  const [pool] = await makePool({ minSize: 0, maxSize: 2, idleTimeoutMs: 60_000, acquireTimeoutMs: 60_000 })
  const [a, b] = [await pool.acquire(), await pool.acquire()]
  pool.release(a) // arms the idle timer
  const waiting = pool.acquire() // arms an acquire timer
  assert.equal(timers(), before)
  pool.release(b)
  pool.release(await waiting)
  pool.close()
  await pool.waitClosed()
})

/** The free connection, put back at once. */
async function peek(pool: Pool): Promise<Connection> {
  const c = await pool.acquire()
  pool.release(c)
  return c
}

void test('pipelining and pipelineDepth: defaults, URL keys, bad values refused before anything opens', () => {
  assert.equal(resolveConfig({}).pipelining, true)
  assert.equal(resolveConfig('mysql://u@h/db?pipelining=false').pipelining, false)
  assert.throws(() => resolveConfig({ pipelining: 'yes' as unknown as boolean }), ProgrammingError)
  assert.throws(() => resolveConfig('mysql://u@h/db?pipelining=maybe'), ProgrammingError)
  assert.equal(resolvePoolSettings({}).pipelineDepth, 4)
  assert.equal(resolvePoolArgs('mysql://u@h/db?pipelineDepth=1', undefined).settings.pipelineDepth, 1)
  for (const bad of [0, -1, 1.5, Infinity]) {
    assert.throws(() => resolvePoolSettings({ pipelineDepth: bad }), ProgrammingError, String(bad))
  }
})
