// A Pool over three fake hosts a:1, b:2, c:3 (SPEC §12), through the injectable open(): how
// loadBalance places connections, failover past a refusing host, a connection dying of a network
// error taking its host down (free connections there closed, lent ones on release), recovery by the
// background probe after hostDownMs (doubling while it keeps failing), every host down naming each
// host, unfit servers (unfitErrno 1290/1047), health re-checks of idle connections, and
// pool.transaction({ retries }) including the commit-unknown case.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { resolveConfig, type ConnectionOptions, type ResolvedConfig } from '../../src/config.ts'
import type { Connection } from '../../src/connection.ts'
import { attachCore, type ConnectionCore } from '../../src/connection-core.ts'
import {
  IntegrityError,
  MySQLError,
  OperationalError,
  ProgrammingError,
  type ErrorRecord,
} from '../../src/errors.ts'
import { Pool, type HostStatus } from '../../src/pool/pool.ts'
import { lostConnectionError } from '../support/errors.ts'
import type { PoolSettings } from '../../src/pool/options.ts'

let nextId = 1

/** A connection lost under a statement, as the pipeline reports it to onClose listeners. */
const LOST: ErrorRecord = {
  errno: 2013,
  code: 'CR_SERVER_LOST',
  sqlState: 'HY000',
  message: 'lost',
  fatal: true,
}
/** What Connection.close() reports: the client's own doing, not a failure of the server. */
const CLOSED_BY_CLIENT: ErrorRecord = {
  errno: 2000,
  code: 'CR_CONNECTION_CLOSED',
  sqlState: 'HY000',
  message: 'Connection closed by the client',
  fatal: true,
}

/** Just the part of Connection (and of the core under it) the pool touches, on one named host. */
class FakeConn {
  readonly id = nextId++
  closed = false
  inTrans = false
  autocommit = false
  quits = 0
  rollbacks = 0
  pings = 0
  unfitErrno = 0
  unanswered = 0
  pingError: Error | null = null
  /** The next COMMIT fails with this (a fatal one also kills the connection). */
  commitError: MySQLError | null = null
  /** The next statement fails with this; `unfit` also sets unfitErrno, as the protocol layer does. */
  queryError: { error: MySQLError; unfit: boolean } | null = null
  /** What ensureClosed() reports to onClose listeners once the server has closed the socket. */
  quitFailure: ErrorRecord = CLOSED_BY_CLIENT
  readonly statements: string[] = []
  /** Set by the pool that lends it (ConnectionCore.lease). */
  lease: (() => void) | null = null
  readonly #listeners: Array<(failure: ErrorRecord) => void> = []

  readonly host: string
  constructor(host: string) {
    this.host = host
    // The fake is its own core.
    attachCore(this as unknown as Connection, this as unknown as ConnectionCore)
  }

  onClose(listener: (failure: ErrorRecord) => void): void {
    if (this.closed) listener(CLOSED_BY_CLIENT)
    else this.#listeners.push(listener)
  }
  /** The connection ends: every onClose listener hears why. */
  die(failure: ErrorRecord = LOST): void {
    if (this.closed) return
    this.closed = true
    for (const listener of this.#listeners.splice(0)) listener(failure)
  }
  /** close() keeps the process busy this long first (a stall of a loaded machine). */
  stallOnCloseMs = 0
  close(): void {
    const until = Date.now() + this.stallOnCloseMs
    while (Date.now() < until) {
      // busy: no timer or promise may run meanwhile
    }
    this.die(CLOSED_BY_CLIENT)
  }
  async ensureClosed(): Promise<void> {
    if (this.closed) return
    this.quits++
    await Promise.resolve()
    this.die(this.quitFailure)
  }
  getAutocommit(): boolean {
    return this.autocommit
  }
  getTransactionStatus(): boolean {
    return this.inTrans
  }
  async rollback(): Promise<void> {
    this.rollbacks++
    this.inTrans = false
  }
  async resetSession(): Promise<void> {
    this.inTrans = false
  }
  async ping(_reconnect: boolean): Promise<void> {
    this.pings++
    if (this.pingError !== null) throw this.pingError
  }
  async begin(): Promise<void> {
    this.statements.push('BEGIN')
    this.inTrans = true
  }
  async commit(): Promise<void> {
    this.statements.push('COMMIT')
    const e = this.commitError
    this.commitError = null
    if (e !== null) {
      if (e.fatal)
        this.die({ ...LOST, ...(e.sentToServer === undefined ? {} : { sentToServer: e.sentToServer }) })
      throw e
    }
    this.inTrans = false
  }
  async query(sql: string): Promise<unknown[]> {
    this.statements.push(sql)
    const failure = this.queryError
    this.queryError = null
    if (failure !== null) {
      if (failure.unfit) this.unfitErrno = failure.error.errno
      throw failure.error
    }
    return [{ id: this.id, host: this.host }]
  }
}

/** open(): a fake connection on config.host, or a refusal while the test says that host is down. */
class Hosts {
  readonly down = new Set<string>()
  readonly opened: FakeConn[] = []
  /** The host of each open attempt, in order, and when it was made. */
  readonly tries: string[] = []
  readonly triedAt: number[] = []
  /** Opens of this host wait until the test settles them by hand (in `held`). */
  holdHost: string | null = null
  readonly held: Array<(refuse: boolean) => void> = []

  readonly open = (config: ResolvedConfig): Promise<Connection> => {
    this.tries.push(config.host)
    this.triedAt.push(Date.now())
    if (config.host === this.holdHost) {
      return new Promise((resolve, reject) =>
        this.held.push((refuse) =>
          refuse
            ? reject(new OperationalError('refused late', { errno: 2003, fatal: true }))
            : resolve(this.#make(config.host)),
        ),
      )
    }
    if (this.down.has(config.host)) {
      return Promise.reject(
        new OperationalError(`connect ECONNREFUSED ${config.host}:${config.port}`, {
          errno: 2003,
          code: 'CR_CONN_HOST_ERROR',
          fatal: true,
        }),
      )
    }
    return Promise.resolve(this.#make(config.host))
  }

  #make(host: string): Connection {
    const conn = new FakeConn(host)
    this.opened.push(conn)
    return conn as unknown as Connection
  }

  on(host: string): FakeConn[] {
    return this.opened.filter((c) => c.host === host)
  }
}

const fake = (c: Connection): FakeConn => c as unknown as FakeConn
/** Let promise callbacks (opens, probes, rollbacks) run. */
const settle = async (turns = 3): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Poll (real time) until `done()`; fails the test after `limitMs`. */
async function until(done: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`not within ${limitMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function makePool(
  t: TestContext,
  options: ConnectionOptions = {},
  settings: PoolSettings = {},
  hosts = new Hosts(),
): Promise<[Pool, Hosts]> {
  const config = resolveConfig({
    hosts: ['a:1', 'b:2', 'c:3'],
    healthCheck: 'ping',
    hostDownMs: 10_000,
    ...options,
  })
  const pool = new Pool(config, settings, hosts.open)
  t.after(async () => {
    pool.terminate()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      pool.waitClosed(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('pool did not close within 2 s')), 2000)
      }),
    ]).finally(() => clearTimeout(timer))
  })
  await pool.warmUp()
  return [pool, hosts]
}

function hostStatus(pool: Pool, name: string): HostStatus {
  const h = pool.status().hosts.find((s) => s.host === name)
  assert.ok(h !== undefined, `no host ${name} in status()`)
  return h
}
const states = (pool: Pool): string[] => pool.status().hosts.map((h) => `${h.host}:${h.state}`)

void test('round-robin spreads minSize 3 over a, b and c; status() shows each', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'round-robin' }, { minSize: 3 })
  assert.deepEqual([...hosts.tries].sort(), ['a', 'b', 'c'])
  assert.deepEqual(pool.status(), {
    hosts: [
      { host: 'a', port: 1, state: 'up', open: 1, inUse: 0, lastError: null, retryAt: null },
      { host: 'b', port: 2, state: 'up', open: 1, inUse: 0, lastError: null, retryAt: null },
      { host: 'c', port: 3, state: 'up', open: 1, inUse: 0, lastError: null, retryAt: null },
    ],
  })
  const lent = await Promise.all([pool.acquire(), pool.acquire()])
  assert.equal(
    pool.status().hosts.reduce((n, h) => n + h.inUse, 0),
    2,
  )
  for (const c of lent) assert.equal(hostStatus(pool, fake(c).host).inUse, 1)
  // Three more opened one after another keep rotating: one more on each host.
  const more = [await pool.acquire(), await pool.acquire(), await pool.acquire(), await pool.acquire()]
  assert.equal(more.length, 4)
  assert.deepEqual(
    pool.status().hosts.map((h) => h.open),
    [2, 2, 2],
  )
})

void test('failover: connections go to the first healthy host; a down one is skipped, not retried', async (t) => {
  const hosts = new Hosts()
  hosts.down.add('a')
  const before = Date.now()
  const [pool] = await makePool(t, { loadBalance: 'failover' }, { minSize: 1 }, hosts)
  assert.deepEqual(hosts.tries, ['a', 'b'])
  const a = hostStatus(pool, 'a')
  assert.equal(a.state, 'down')
  assert.ok(a.lastError instanceof OperationalError, 'lastError is the refusal')
  assert.equal(a.lastError.errno, 2003)
  assert.match(a.lastError.message, /ECONNREFUSED a:1/)
  assert.ok(a.retryAt instanceof Date, 'retryAt is a Date')
  const at = a.retryAt.getTime()
  assert.ok(at >= before + 10_000 && at <= Date.now() + 10_000, 'retryAt is hostDownMs after the failure')
  assert.deepEqual(
    pool.status().hosts.map((h) => [h.host, h.state, h.open]),
    [
      ['a', 'down', 0],
      ['b', 'up', 1],
      ['c', 'up', 0],
    ],
  )
  const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
  assert.deepEqual(
    conns.map((c) => fake(c).host),
    ['b', 'b', 'b'],
  )
  assert.deepEqual(
    hosts.tries,
    ['a', 'b', 'b', 'b'],
    'a is not tried again before its retryAt; c is not needed',
  )
})

void test('a connection that dies with 2013 takes its host down: free ones close now, lent ones on release', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover' }, { minSize: 3 })
  assert.equal(hosts.on('a').length, 3)
  const lent = await pool.acquire()
  const [free1, free2] = hosts.on('a').filter((c) => c !== fake(lent))
  const before = Date.now()
  free1!.die(LOST)
  const a = hostStatus(pool, 'a')
  assert.equal(a.state, 'down')
  assert.ok(a.lastError instanceof MySQLError, 'lastError is a MySQLError')
  assert.deepEqual([a.lastError.errno, a.lastError.code], [2013, 'CR_SERVER_LOST'])
  assert.ok(a.retryAt instanceof Date && a.retryAt.getTime() >= before + 10_000, 'retryAt hostDownMs later')
  assert.equal(free2!.closed, true, 'the other free connection on a is closed at once')
  assert.equal(free2!.quits, 0, 'closed, not politely quit: the server is suspect')
  assert.equal(fake(lent).closed, false, 'a lent connection finishes its work')
  assert.deepEqual([a.open, a.inUse], [1, 1])
  assert.equal(pool.freeSize, 0)
  pool.release(lent)
  await settle()
  assert.equal(fake(lent).closed, true, 'closed on release, never free again')
  assert.deepEqual([hostStatus(pool, 'a').open, hostStatus(pool, 'a').inUse], [0, 0])
  const next = await pool.acquire()
  assert.equal(fake(next).host, 'b')
  assert.notEqual(next, lent)
  assert.deepEqual(states(pool), ['a:down', 'b:up', 'c:up'])
})

void test('a connection killed on purpose (1927) or closed by the client does not take its host down', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover' }, { minSize: 2 })
  hosts
    .on('a')[0]!
    .die({ errno: 1927, code: 'ER_CONNECTION_KILLED', sqlState: '70100', message: 'killed', fatal: true })
  const conn = await pool.acquire()
  conn.close()
  pool.release(conn)
  assert.deepEqual(states(pool), ['a:up', 'b:up', 'c:up'])
  assert.equal(fake(await pool.acquire()).host, 'a')
})

void test('regression: a host whose wait ran out before its probe was scheduled (a stalled process) is still probed', async (t) => {
  // In CI the process stalled past hostDownMs between marking the host down and scheduling its probe:
  // the host was already due, no timer was armed, and it was never probed ("not within 3000 ms").
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover', hostDownMs: 20 }, { minSize: 2 })
  const [first, second] = hosts.on('a')
  second!.stallOnCloseMs = 40 // the other free connection on a is closed on the way: the stall
  hosts.down.add('a')
  first!.die(LOST)
  assert.equal(hostStatus(pool, 'a').state, 'down')
  const triesOfA = (): number => hosts.tries.filter((h) => h === 'a').length
  await until(() => triesOfA() >= 3, 'a probe of a', 1000)
  hosts.down.delete('a')
  await until(() => hostStatus(pool, 'a').state === 'up', 'a marked up again by a probe', 2000)
})

void test('a down host comes back through the background probe after hostDownMs, the wait doubling meanwhile', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover', hostDownMs: 40 }, { minSize: 1 })
  hosts.down.add('a')
  const diedAt = Date.now()
  hosts.on('a')[0]!.die(LOST)
  const firstRetry = hostStatus(pool, 'a').retryAt!.getTime()
  assert.ok(firstRetry >= diedAt + 40 && firstRetry <= Date.now() + 40, 'the first wait is hostDownMs')
  await until(() => hosts.tries.length >= 2, 'a first probe of a')
  assert.deepEqual(hosts.tries, ['a', 'a'])
  assert.ok(hosts.triedAt[1]! >= firstRetry, 'not probed before hostDownMs was over')
  await until(() => hostStatus(pool, 'a').retryAt!.getTime() > firstRetry, 'the failed probe to be recorded')
  const a = hostStatus(pool, 'a')
  assert.equal(a.state, 'down', 'still refusing')
  const wait = a.retryAt!.getTime() - hosts.triedAt[1]!
  assert.ok(wait >= 80 && wait <= 80 + 50, `the second wait is twice the first (got ${wait} ms)`)
  hosts.down.delete('a')
  await until(() => hostStatus(pool, 'a').state === 'up', 'a marked up again by a probe')
  assert.equal(hosts.tries.length, 3, 'one more probe, and it succeeded')
  assert.ok(hosts.triedAt[2]! >= a.retryAt!.getTime(), 'the next probe waited for the doubled wait')
  const back = hostStatus(pool, 'a')
  assert.deepEqual(
    [back.retryAt, back.open, back.inUse],
    [null, 1, 0],
    'the probe connection joined the pool',
  )
  const conn = await pool.acquire()
  assert.equal(conn, hosts.on('a')[1] as unknown as Connection, 'failover uses a again')
})

// Regression: #scheduleProbe re-armed the probe timer at 0 ms while a probe of a due host was in
// flight (the host stays due until its open settles), waking the pool about once a millisecond for
// as long as the connect took.
void test('while a background probe is in flight, the probe timer does not spin', async (t) => {
  const [, hosts] = await makePool(t, { loadBalance: 'failover', hostDownMs: 10 }, { minSize: 1 })
  hosts.holdHost = 'a'
  hosts.on('a')[0]!.die(LOST)
  await until(() => hosts.held.length === 1, 'the probe of a to start')
  const realSetTimeout = globalThis.setTimeout
  let armed = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++
    return realSetTimeout(...args)
  }) as typeof setTimeout
  try {
    await new Promise((resolve) => realSetTimeout(resolve, 200))
  } finally {
    globalThis.setTimeout = realSetTimeout
  }
  hosts.held[0]!(true)
  assert.ok(armed <= 5, `timers armed during 200 ms of one pending probe: ${armed}`)
})

void test('every host down: an acquire tries each once, then rejects naming a:1, b:2 and c:3', async (t) => {
  const hosts = new Hosts()
  for (const h of ['a', 'b', 'c']) hosts.down.add(h)
  const [pool] = await makePool(
    t,
    { loadBalance: 'round-robin' },
    { minSize: 0, acquireTimeoutMs: 5000 },
    hosts,
  )
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof OperationalError, `got ${String(e)}`)
    assert.deepEqual([e.errno, e.code], [2003, 'CR_CONN_HOST_ERROR'])
    for (const name of ['a:1', 'b:2', 'c:3']) assert.ok(e.message.includes(name), `${name} in ${e.message}`)
    assert.match(e.message, /a:1 \(connect ECONNREFUSED a:1\)/, 'each host with its last error')
    assert.ok(e.cause instanceof OperationalError, 'the last error is the cause')
    return true
  }
  await assert.rejects(pool.acquire(), check)
  assert.deepEqual([...hosts.tries].sort(), ['a', 'b', 'c'], 'each host tried exactly once')
  assert.deepEqual(states(pool), ['a:down', 'b:down', 'c:down'])
  for (const h of pool.status().hosts)
    assert.ok(
      h.retryAt instanceof Date && h.lastError instanceof MySQLError,
      `${h.host}: retryAt and lastError`,
    )
  // Still all down (and none due yet): the next acquire tries every host once more, then fails.
  await assert.rejects(pool.acquire(), check)
  assert.equal(hosts.tries.length, 6)
  assert.deepEqual([...hosts.tries.slice(3)].sort(), ['a', 'b', 'c'])
  // One comes back: the next acquire finds it.
  hosts.down.delete('c')
  const conn = await pool.acquire()
  assert.equal(fake(conn).host, 'c')
  assert.equal(hostStatus(pool, 'c').state, 'up')
})

void test('every host down at warmUp: it rejects with the error naming every host', async (t) => {
  const hosts = new Hosts()
  for (const h of ['a', 'b', 'c']) hosts.down.add(h)
  await assert.rejects(makePool(t, {}, { minSize: 1 }, hosts), /a:1 .*b:2 .*c:3/)
})

void test('unfitErrno 1290 (read-only): the connection is never lent again and its host goes down', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover' }, { minSize: 1, maxSize: 3 })
  const conn = await pool.acquire()
  assert.equal(fake(conn).host, 'a')
  fake(conn).unfitErrno = 1290
  pool.release(conn)
  assert.equal(conn.closed, true, 'discarded')
  assert.equal(pool.freeSize, 0)
  const a = hostStatus(pool, 'a')
  assert.equal(a.state, 'down')
  assert.ok(a.lastError instanceof OperationalError, 'lastError says why')
  assert.deepEqual([a.lastError.errno, a.lastError.code], [1290, 'HOST_UNFIT'])
  assert.match(a.lastError.message, /a:1 refused a statement with error 1290 \(read-only\)/)
  assert.equal(a.open, 0)
  const next = await pool.acquire()
  assert.notEqual(next, conn)
  assert.equal(fake(next).host, 'b')

  // Through pool.query: the statement's error reaches the caller, nothing is retried, b goes down.
  fake(next).autocommit = true
  pool.release(next)
  const denied = new OperationalError('read-only', { errno: 1836, code: 'ER_READ_ONLY_MODE' })
  fake(next).queryError = { error: denied, unfit: true }
  await assert.rejects(pool.query('UPDATE t SET v = 1'), (e) => e === denied)
  assert.deepEqual(fake(next).statements, ['UPDATE t SET v = 1'], 'run once')
  assert.equal(next.closed, true)
  assert.deepEqual(states(pool), ['a:down', 'b:down', 'c:up'])
  assert.equal(hostStatus(pool, 'b').lastError?.errno, 1836)
  const third = await pool.acquire()
  assert.equal(fake(third).host, 'c')
  assert.equal(
    hosts.opened.filter((c) => c.statements.includes('UPDATE t SET v = 1')).length,
    1,
    'not retried elsewhere',
  )
})

void test('unfitErrno 1047 (node not ready) is named as such; one host: discarded, nothing to mark', async (t) => {
  const [pool] = await makePool(t, { loadBalance: 'failover' }, { minSize: 1 })
  const conn = await pool.acquire()
  fake(conn).unfitErrno = 1047
  pool.release(conn)
  assert.match(hostStatus(pool, 'a').lastError?.message ?? '', /error 1047 \(node not ready\)/)

  const hosts = new Hosts()
  const single = new Pool(resolveConfig({ host: 'solo', port: 9 }), { minSize: 1 }, hosts.open)
  t.after(() => single.terminate())
  await single.warmUp()
  const only = await single.acquire()
  fake(only).unfitErrno = 1290
  single.release(only)
  assert.equal(only.closed, true)
  const again = await single.acquire()
  assert.notEqual(again, only, 'a new connection was opened')
  assert.equal(hosts.opened.length, 2)
})

void test('a failing health check at open closes that connection and marks its host down', async (t) => {
  const refused = new Set(['a'])
  const checked: string[] = []
  const [pool, hosts] = await makePool(
    t,
    {
      loadBalance: 'failover',
      healthCheck: (conn) => {
        checked.push(fake(conn).host)
        return !refused.has(fake(conn).host)
      },
    },
    { minSize: 1 },
  )
  assert.deepEqual(checked, ['a', 'b'])
  assert.equal(hosts.on('a')[0]!.closed, true)
  const a = hostStatus(pool, 'a')
  assert.equal(a.state, 'down')
  assert.equal(a.lastError?.code, 'HOST_UNHEALTHY')
  assert.deepEqual(
    pool.status().hosts.map((h) => h.open),
    [0, 1, 0],
  )
})

void test('a free connection last checked longer than healthCheckIntervalMs ago is checked before it is lent', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
  const [pool, hosts] = await makePool(
    t,
    { loadBalance: 'failover', healthCheckIntervalMs: 1000 },
    { minSize: 1 },
  )
  const x = hosts.on('a')[0]!
  let conn = await pool.acquire()
  assert.equal(fake(conn), x)
  assert.equal(x.pings, 0, 'just opened (and checked): no ping')
  pool.release(conn)
  t.mock.timers.tick(1000)
  pool.release(await pool.acquire())
  assert.equal(x.pings, 0, 'checked exactly the interval ago: not yet')
  t.mock.timers.tick(1001)
  conn = await pool.acquire()
  assert.deepEqual([fake(conn) === x, x.pings], [true, 1], 'idle longer: pinged, passed, lent')
  pool.release(conn)
  // Busy all the time (lent again every 600 ms): still checked once its last check is too old.
  t.mock.timers.tick(600)
  pool.release(await pool.acquire())
  assert.equal(x.pings, 1, 'checked 600 ms ago: not again')
  t.mock.timers.tick(600)
  pool.release(await pool.acquire())
  assert.equal(x.pings, 2, 'used 600 ms ago but checked 1200 ms ago: pinged')

  const failure = new OperationalError('ping timed out', { errno: 2013, code: 'CR_SERVER_LOST', fatal: true })
  x.pingError = failure
  t.mock.timers.tick(1001)
  conn = await pool.acquire()
  assert.equal(x.pings, 3)
  assert.equal(x.closed, true, 'the connection that failed its check is dropped')
  assert.equal(fake(conn).host, 'b', 'the waiter got a connection elsewhere')
  const a = hostStatus(pool, 'a')
  assert.deepEqual([a.state, a.lastError, a.open], ['down', failure, 0])
})

void test('least-connections: each new connection goes to the host holding fewest', async (t) => {
  const [pool] = await makePool(t, { loadBalance: 'least-connections' }, { minSize: 0 })
  const got: string[] = []
  for (let i = 0; i < 4; i++) got.push(fake(await pool.acquire()).host)
  assert.deepEqual(got, ['a', 'b', 'c', 'a'])
})

// Regression: least-connections counted only the connections a host held, so opens started
// together (warmUp's minSize, a burst of acquires) all saw 0 and piled onto the first host.
void test('least-connections spreads connections opened together (warmUp minSize 3 → a, b, c)', async (t) => {
  const [pool] = await makePool(t, { loadBalance: 'least-connections' }, { minSize: 3 })
  assert.deepEqual(
    pool.status().hosts.map((h) => h.open),
    [1, 1, 1],
  )
})

void test('transaction({ retries }): reruns fn after 1213 and returns the last result', async (t) => {
  const [pool, hosts] = await makePool(t, {}, { minSize: 1 })
  let calls = 0
  const deadlock = (): OperationalError =>
    new OperationalError('Deadlock found when trying to get lock', { errno: 1213, code: 'ER_LOCK_DEADLOCK' })
  const result = await pool.transaction(
    async (conn) => {
      calls++
      await conn.query('UPDATE t SET v = v + 1')
      if (calls < 3) throw deadlock()
      return `attempt ${calls}`
    },
    { retries: 3 },
  )
  assert.equal(result, 'attempt 3')
  assert.equal(calls, 3)
  assert.equal(hosts.opened.length, 1, 'each attempt acquired the (free again) connection anew')
  const conn = hosts.opened[0]!
  assert.equal(conn.rollbacks, 2, 'each failed attempt rolled back')
  assert.equal(conn.statements.filter((s) => s === 'COMMIT').length, 1, 'committed once')
  assert.deepEqual([pool.size, pool.freeSize], [1, 1], 'released every time')

  // Retries run out: the last error.
  calls = 0
  let last: unknown
  await assert.rejects(
    pool.transaction(
      async () => {
        calls++
        throw (last = deadlock())
      },
      { retries: 2 },
    ),
    (e) => e === last,
  )
  assert.equal(calls, 3, 'the first run and two retries')

  // The default is no retry.
  calls = 0
  await assert.rejects(
    pool.transaction(async () => {
      calls++
      throw deadlock()
    }),
    { errno: 1213 },
  )
  assert.equal(calls, 1)
})

void test('transaction({ retries }): node not ready (1047) is rerun on another host, the unfit one marked down', async (t) => {
  const [pool] = await makePool(t, { loadBalance: 'failover' }, { minSize: 1 })
  const used: string[] = []
  const result = await pool.transaction(
    async (conn) => {
      used.push(fake(conn).host)
      if (used.length === 1) {
        fake(conn).queryError = {
          error: new OperationalError('WSREP has not yet prepared node for application use', { errno: 1047 }),
          unfit: true,
        }
      }
      await conn.query('SELECT * FROM t FOR UPDATE')
      return used.length
    },
    { retries: 1 },
  )
  assert.equal(result, 2)
  assert.deepEqual(used, ['a', 'b'])
  assert.equal(hostStatus(pool, 'a').state, 'down')
  assert.equal(hostStatus(pool, 'a').lastError?.errno, 1047)
})

void test('transaction({ retries }): a duplicate key (1062) is not retried', async (t) => {
  const [pool] = await makePool(t, {}, { minSize: 1 })
  let calls = 0
  const dup = new IntegrityError("Duplicate entry '1' for key 'PRIMARY'", {
    errno: 1062,
    code: 'ER_DUP_ENTRY',
  })
  await assert.rejects(
    pool.transaction(
      async () => {
        calls++
        throw dup
      },
      { retries: 3 },
    ),
    (e) => e === dup,
  )
  assert.equal(calls, 1)
})

void test('transaction({ retries }): a connection lost after COMMIT was sent rejects with commitUnknown, no rerun', async (t) => {
  const [pool] = await makePool(t, {}, { minSize: 1 })
  let calls = 0
  const lost = lostConnectionError(true)
  let caught: unknown
  await assert.rejects(
    pool.transaction(
      async (conn) => {
        calls++
        fake(conn).commitError = lost
        await conn.query('INSERT INTO t VALUES (1)')
        return 'never'
      },
      { retries: 3 },
    ),
    (e: unknown) => {
      caught = e
      return true
    },
  )
  assert.equal(calls, 1, 'fn was not run again')
  assert.ok(caught instanceof OperationalError, `got ${String(caught)}`)
  assert.equal(caught.commitUnknown, true)
  assert.deepEqual([caught.errno, caught.fatal, caught.sentToServer], [2013, true, true])
  assert.equal(caught.cause, lost)
  assert.match(caught.message, /may or may not have committed/)
})

void test('transaction({ retries }): a COMMIT lost before it was sent, or a connection lost before COMMIT, is rerun', async (t) => {
  const [pool, hosts] = await makePool(t, { loadBalance: 'failover' }, { minSize: 1 })
  let calls = 0
  const used: string[] = []
  const result = await pool.transaction(
    async (conn) => {
      calls++
      used.push(fake(conn).host)
      if (calls === 1) fake(conn).commitError = lostConnectionError(false)
      return calls
    },
    { retries: 1 },
  )
  assert.equal(result, 2, 'the COMMIT never left: safe to run again')
  // The connection was lost, so a went down with it: the rerun ran on a fresh connection on b.
  assert.deepEqual(used, ['a', 'b'])
  assert.equal(hostStatus(pool, 'a').state, 'down')
  assert.ok(
    hosts.on('a').every((c) => c.closed),
    'nothing left open on a',
  )

  // Lost under a statement before COMMIT: rerun on a fresh connection, on another host.
  calls = 0
  used.length = 0
  const got = await pool.transaction(
    async (conn) => {
      calls++
      used.push(fake(conn).host)
      if (calls === 1) {
        await conn.query('UPDATE t SET v = 1')
        fake(conn).die(LOST)
        throw lostConnectionError(true)
      }
      return 'second'
    },
    { retries: 2 },
  )
  assert.equal(got, 'second')
  assert.deepEqual(used, ['b', 'c'])
  assert.deepEqual(states(pool), ['a:down', 'b:down', 'c:up'])
  assert.deepEqual(
    hosts.on('b')[0]!.statements.slice(-2),
    ['BEGIN', 'UPDATE t SET v = 1'],
    'the lost attempt never reached COMMIT',
  )
})

void test('transaction({ retries }): a negative or fractional count is a ProgrammingError, and fn never runs', async (t) => {
  const [pool] = await makePool(t, {}, { minSize: 1 })
  let calls = 0
  for (const retries of [-1, 1.5, Number.NaN, Infinity, '2' as unknown as number]) {
    await assert.rejects(
      pool.transaction(
        async () => {
          calls++
        },
        { retries },
      ),
      ProgrammingError,
      String(retries),
    )
  }
  assert.equal(calls, 0)
})
