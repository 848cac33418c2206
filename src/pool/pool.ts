// Pool: aiomysql's create_pool without its traps. Connections open in parallel and outside any lock,
// waiters are served first come first served (with AbortSignal and a timeout), release is
// synchronous and idempotent, a connection is rolled back (or reset) before reuse, and every path
// that frees a slot wakes a waiter.

import type { CursorClass, ResolvedConfig } from '../config.ts'
import {
  openConnection,
  type Connection,
  type ConnectionWithCursor,
  type Query,
  type StatementOptions,
} from '../connection.ts'
import { coreOf, type ConnectionCore } from '../connection-core.ts'
import type { Cursor } from '../cursor.ts'
import {
  acquireChannel,
  hasSubscribers,
  serverFields,
  tracedConnection,
  type AcquireTraceContext,
} from '../tracing.ts'
import { raise } from '../error-map.ts'
import { InterfaceError, OperationalError, ProgrammingError, type MySQLError } from '../errors.ts'
import { checkHealth, type ResolvedCheck } from '../hosts/health.ts'
import { HostSet, type HostState } from '../hosts/host-set.ts'
import { asMySQLError, openOn, openOnHosts, type OpenConnection, type Opened } from '../hosts/open.ts'
import { isConnectionLost, runTransaction, type TransactionPool } from './transaction-retry.ts'
import { leaveReason, nextDeadline, type LeaveReason } from './aging.ts'
import {
  resolvePoolArgs,
  resolvePoolSettings,
  type PoolOptions,
  type PoolSettings,
  type ResolvedPoolSettings,
} from './options.ts'
import { WaitQueue } from './waiters.ts'

export type { PoolOptions, PoolSettings }

/** A connection lent by a pool: the real Connection, whose `Symbol.asyncDispose` releases it. */
export type PooledConnection = Connection

/** How the pool opens a connection (injectable: tests give a pool connections without a server). */
export type { OpenConnection }

/** Options of `pool.acquire()`. */
export interface AcquireOptions {
  /**
   * Aborting rejects a waiting acquire with OperationalError code 'ABORT_ERR' (cause: the signal's
   * reason), as an aborted query does.
   */
  signal?: AbortSignal | undefined
}

/** Options of `pool.transaction()`. */
export interface TransactionOptions extends AcquireOptions {
  /**
   * Run `fn` again, on a connection acquired anew (possibly on another host), when the transaction
   * failed with a deadlock or Galera certification conflict (1213), a lock-wait timeout (1205), a
   * node not ready (1047) or a lost connection before COMMIT was sent; at most this many times
   * (default 0). A connection lost after COMMIT was sent is never retried (`commitUnknown: true`).
   */
  retries?: number | undefined
}

/** One server of the pool, as pool.status() reports it. */
export interface HostStatus {
  /** The server's host name or address, as configured. */
  readonly host: string
  /** The server's port. */
  readonly port: number
  /** 'down' after a failed open or an unfit connection there, until a background probe succeeds. */
  readonly state: 'up' | 'down'
  /** Connections the pool holds there: free, lent and returning. */
  readonly open: number
  /** Of `open`, those lent or returning (not free). */
  readonly inUse: number
  /** The error that last marked the host down (kept after it is up again); null if it never went down. */
  readonly lastError: MySQLError | null
  /** When a down host is tried again; null while up. */
  readonly retryAt: Date | null
}

/** What `pool.status()` returns. */
export interface PoolStatus {
  /** Every server, in the order configured (one entry without `hosts`). */
  readonly hosts: HostStatus[]
}

interface Entry {
  readonly conn: Connection
  /** What runs under conn's public API (its load, refusals, reset, lease and close listener). */
  readonly core: ConnectionCore
  readonly createdAt: number
  /** Creation, then each release: what poolRecycleMs and idleTimeoutMs measure. */
  lastUsedAt: number
  /** 'returning' = rolling back or resetting after release; the slot is still taken. */
  state: 'free' | 'used' | 'returning'
  /** pool.query() calls running on it; > 0 only on a connection lent to pool.query (shareable). */
  queries: number
  /** The server it is connected to, and that server's epoch then (a later down makes it stale). */
  readonly host: HostState
  readonly epoch: number
  /** The health check it gets before being lent after an idle spell; undefined = none. */
  readonly check: ResolvedCheck | undefined
  /** The last passed health check, or the open (ms since the epoch). */
  checkedAt: number
}

/** Wait after the first failed open; it doubles with each failure in a row, up to the maximum. */
const MIN_BACKOFF_MS = 50
/** Longest wait between opens while the server stays down (recovery comes at most this late). */
const MAX_BACKOFF_MS = 1000

/**
 * A pool of connections, made by `createPool()`: `acquire()` / `release()`, `query()` for one
 * statement and `transaction()` for a unit of work, over one server or several (`hosts`). Close it
 * with `close()` then `waitClosed()`, or `await using`.
 * @hideconstructor
 */
export class Pool {
  readonly #config: ResolvedConfig
  readonly #settings: ResolvedPoolSettings
  readonly #open: OpenConnection
  /** Every connection that holds a slot: free, lent or returning. */
  readonly #entries = new Map<Connection, Entry>()
  /** Every connection this pool ever opened, so releasing one it already let go of is a no-op. */
  readonly #known = new WeakSet<Connection>()
  /** Oldest release first: handed out in FIFO order, as aiomysql does. */
  #free: Entry[] = []
  readonly #waiters = new WaitQueue<Connection>()
  /** Connections leaving the pool with COM_QUIT; waitClosed() waits for them too. */
  readonly #leaving = new Map<Connection, Promise<void>>()
  #opening = 0
  #returning = 0
  #closing = false
  #drainWaiters: Array<() => void> = []
  #reapTimer: NodeJS.Timeout | undefined
  #reapAt = Infinity
  /** The last failed open, cleared by a successful one: the root cause for acquire-timeout errors. */
  #lastOpenError: unknown
  /** Opens that failed in a row; each doubles the wait before the next one (up to MAX_BACKOFF_MS). */
  #openFailures = 0
  /** No new connection is opened before this time (ms since the epoch) after a failed open. */
  #retryAt = 0
  #retryTimer: NodeJS.Timeout | undefined
  /** Every server and its up/down state (one entry without `hosts`). */
  readonly #hosts: HostSet
  /** Health checks on open and after idle spells: with several hosts, or a healthCheck given. */
  readonly #checked: boolean
  /** Down hosts being probed in the background right now. */
  readonly #probing = new Set<HostState>()
  #probeTimer: NodeJS.Timeout | undefined
  /** What pool.transaction() runs its attempts with (made once, not per transaction). */
  readonly #lender: TransactionPool = {
    acquire: (options) => this.acquire(options),
    release: (conn) => this.release(conn),
    closing: () => this.#closing,
  }
  #probeAt = Infinity

  /** Not for direct use: pools come from createPool(). */
  constructor(config: ResolvedConfig, settings: PoolSettings = {}, open: OpenConnection = openConnection) {
    this.#config = config
    this.#settings = resolvePoolSettings(settings)
    this.#open = open
    this.#hosts = new HostSet(config.hosts, config.loadBalance, config.hostDownMs)
    this.#checked = config.hosts.length > 1 || config.healthCheck !== undefined
  }

  /** @internal Open minSize connections in parallel; if one fails, close the others and reject. */
  async warmUp(): Promise<void> {
    const n = this.#settings.minSize - this.size
    if (n <= 0) return
    this.#opening += n
    const results = await Promise.allSettled(Array.from({ length: n }, () => this.#openOnHosts()))
    this.#opening -= n
    const failure = results.find((r) => r.status === 'rejected')
    for (const r of results) {
      if (r.status !== 'fulfilled') continue
      if (failure !== undefined || this.#closing) r.value.conn.close()
      else this.#makeFree(this.#add(r.value))
    }
    this.#checkDrained()
    if (failure !== undefined) throw failure.reason
  }

  /** Connections the pool keeps open even when idle. */
  get minSize(): number {
    return this.#settings.minSize
  }

  /** The most connections the pool holds at once; acquires beyond it wait. */
  get maxSize(): number {
    return this.#settings.maxSize
  }

  /** Free + lent + returning + being opened (as aiomysql counts). */
  get size(): number {
    return this.#entries.size + this.#opening
  }

  /** Idle connections ready to be lent. */
  get freeSize(): number {
    return this.#free.length
  }

  /** Each server: up or down, the connections held there, its last error and next retry. */
  status(): PoolStatus {
    return {
      hosts: this.#hosts.hosts.map((h) => {
        let open = 0
        let inUse = 0
        for (const e of this.#entries.values()) {
          if (e.host !== h) continue
          open++
          if (e.state !== 'free') inUse++
        }
        const { host, port } = h.address
        const down = h.state === 'down'
        return {
          host,
          port,
          state: h.state,
          open,
          inUse,
          lastError: h.lastError,
          retryAt: down ? new Date(h.retryAt) : null,
        }
      }),
    }
  }

  /** True once close() was called and every connection is closed. */
  get closed(): boolean {
    return this.#closing && this.#drained()
  }

  /**
   * A connection, now or when one frees up (FIFO). Rejects with InterfaceError POOL_CLOSED after
   * close(), OperationalError POOL_ACQUIRE_TIMEOUT after acquireTimeoutMs, the connect error when
   * the open made for this waiter fails, and OperationalError ABORT_ERR when `signal` aborts.
   */
  acquire(options: AcquireOptions = {}): Promise<PooledConnection> {
    if (!hasSubscribers(acquireChannel)) return this.#acquire(options)
    const context: AcquireTraceContext = { ...serverFields(this.#config), database: this.#config.db ?? '' }
    return tracedConnection(acquireChannel, context, () => this.#acquire(options))
  }

  async #acquire(options: AcquireOptions): Promise<PooledConnection> {
    const { signal } = options
    if (this.#closing) throw poolClosed()
    if (isAborted(signal)) throw acquireAborted(signal?.reason)
    const waiting = this.#waiters.wait(
      signal,
      this.#settings.acquireTimeoutMs,
      () => this.#timeoutError(),
      acquireAborted,
    )
    this.#dispatch(true)
    const conn = await waiting
    // Aborted after the hand-over but before this caller resumed: give it back, report the abort.
    if (isAborted(signal)) {
      this.release(conn)
      throw acquireAborted(signal?.reason)
    }
    return conn
  }

  /**
   * Give a connection back (synchronous; a second release is a no-op). A connection inside a
   * transaction is rolled back first (resetOnRelease: COM_RESET_CONNECTION), and closed if that
   * fails; a closed one is dropped. Releasing a connection of another pool is a ProgrammingError.
   */
  release(conn: Connection): void {
    const entry = this.#entries.get(conn)
    if (entry === undefined) {
      if (this.#known.has(conn)) return
      throw new ProgrammingError('release(): this connection does not belong to this pool', {
        code: 'POOL_FOREIGN_CONNECTION',
      })
    }
    if (entry.state !== 'used') return
    entry.lastUsedAt = Date.now()
    if (conn.closed) return this.#drop(entry)
    if (entry.core.unfitErrno !== 0) return this.#unfit(entry)
    if (this.#closing || entry.epoch !== entry.host.epoch) return void this.#retire(entry)
    const reset = this.#settings.resetOnRelease
    if (!reset && !conn.getTransactionStatus()) return this.#makeFree(entry)
    entry.state = 'returning'
    this.#returning++
    // COM_RESET_CONNECTION also ends an open transaction, so resetting needs no ROLLBACK first.
    ;(reset ? entry.core.resetSession() : conn.rollback()).then(
      () => this.#returned(entry, true),
      () => this.#returned(entry, false),
    )
  }

  /** Stop new acquires and reject waiting ones; free connections close now, lent ones on release. */
  close(): void {
    if (this.#closing) return
    this.#closing = true
    clearTimeout(this.#reapTimer)
    this.#reapTimer = undefined
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    clearTimeout(this.#probeTimer)
    this.#probeTimer = undefined
    this.#waiters.failAll(poolClosed)
    for (const entry of this.#free.splice(0)) void this.#retire(entry)
    this.#checkDrained()
  }

  /** close(), and close the lent connections too (their later release is a no-op). */
  terminate(): void {
    this.close()
    for (const entry of [...this.#entries.values()]) {
      this.#entries.delete(entry.conn)
      entry.conn.close()
    }
    for (const conn of this.#leaving.keys()) conn.close()
    this.#checkDrained()
  }

  /** Resolves when, after close(), every connection is back and closed; rejects if close() was not called. */
  async waitClosed(): Promise<void> {
    if (!this.#closing) {
      throw new ProgrammingError('waitClosed() must be called after close()', { code: 'POOL_NOT_CLOSED' })
    }
    if (this.#drained()) return
    await new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
  }

  /** Close the free connections (COM_QUIT); resolves when they are closed. */
  async clear(): Promise<void> {
    await Promise.all(this.#free.splice(0).map((entry) => this.#retire(entry)))
  }

  /**
   * One statement on a pooled connection; rows as objects. With autocommit off, the implicit
   * transaction the statement opened is committed: the statement and its COMMIT are written together
   * (one round trip). When no connection is free, the call may share a connection busy with other
   * pool.query() calls (pipelined, up to `pipelineDepth` unanswered commands; SPEC §10).
   * `signal` covers the wait for a connection and the statement; `timeoutMs` the statement.
   */
  async query<Row extends object = Record<string, unknown>>(
    query: Query,
    args?: unknown,
    options?: StatementOptions,
  ): Promise<Row[]> {
    let entry = this.#shareable()
    if (entry === undefined) {
      const conn = await this.acquire({ signal: options?.signal })
      entry = this.#entries.get(conn)!
    }
    entry.queries++
    const conn = entry.conn
    try {
      const rows = conn.query<Row>(query, args, options)
      if (conn.getAutocommit()) return await rows
      // Written right behind the statement; it runs even if the statement fails (committing nothing).
      const committed = conn.commit()
      // A failed statement is reported at once (a deadline must not wait for the COMMIT's reply).
      committed.catch(() => {})
      const result = await rows
      await committed
      return result
    } finally {
      if (--entry.queries === 0) this.release(conn)
    }
  }

  /**
   * A connection lent to pool.query() calls that can take one more, when sharing is allowed and no
   * connection is free or can be opened: the one with the fewest unanswered commands.
   */
  #shareable(): Entry | undefined {
    const depth = this.#settings.pipelineDepth
    if (depth <= 1 || this.#closing || this.#free.length > 0 || this.size < this.#settings.maxSize)
      return undefined
    let best: Entry | undefined
    let bestLoad = depth
    for (const e of this.#entries.values()) {
      if (e.state !== 'used' || e.queries === 0 || e.conn.closed) continue
      const load = e.core.unanswered
      if (load < bestLoad) {
        best = e
        bestLoad = load
      }
    }
    return best
  }

  /**
   * BEGIN, fn(conn), COMMIT; ROLLBACK if fn throws. The connection is released exactly once. With
   * `retries`, a transaction that failed in a way that left nothing committed runs again (see
   * TransactionOptions); a connection lost after COMMIT was sent rejects with `commitUnknown: true`.
   */
  transaction<T>(fn: (conn: PooledConnection) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return runTransaction(this.#lender, fn, options)
  }

  /** `await using pool = await createPool(…)`: close() and waitClosed(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.waitClosed()
  }

  // Internals -----------------------------------------------------------------------------------

  #add({ conn, host, check }: Opened): Entry {
    const now = Date.now()
    const entry: Entry = {
      conn,
      core: coreOf(conn),
      createdAt: now,
      lastUsedAt: now,
      state: 'used',
      queries: 0,
      host,
      epoch: host.epoch,
      check,
      checkedAt: now,
    }
    this.#entries.set(conn, entry)
    this.#known.add(conn)
    // `await using conn = await pool.acquire()` must release, not close.
    entry.core.lease = () => this.release(conn)
    // A connection that dies of a network error takes its host down with it (SPEC §12).
    if (this.#hosts.hosts.length > 1) {
      entry.core.onClose((failure) => {
        const error = raise(failure)
        // Not 1927: one connection killed on purpose says nothing about the server.
        if (isConnectionLost(error) && error.errno !== 1927 && !this.#closing) {
          this.#hostFailed(host, error, entry.epoch)
        }
      })
    }
    return entry
  }

  /** Open on the hosts in loadBalance order (one host: just open). */
  #openOnHosts(): Promise<Opened> {
    return openOnHosts(this.#config, this.#hosts, this.#open, {
      checked: this.#checked,
      openCount: (h) => this.#heldOn(h),
      onDown: (h) => this.#hostWentDown(h),
    })
  }

  /** Connections held on a host, and being opened there. */
  #heldOn(h: HostState): number {
    let n = h.opening
    for (const e of this.#entries.values()) if (e.host === h) n++
    return n
  }

  /** A connection's failure marks its host down, unless the host went down (again) since it opened. */
  #hostFailed(h: HostState, error: MySQLError, epoch: number): void {
    if (h.epoch !== epoch || h.state === 'down') return
    this.#hosts.markDown(h, error, Date.now())
    this.#hostWentDown(h)
  }

  /** A host just went down: its free connections close now, lent ones on release; probe it later. */
  #hostWentDown(h: HostState): void {
    if (this.#hosts.hosts.length > 1) {
      const keep: Entry[] = []
      for (const e of this.#free) {
        if (e.host === h) this.#forget(e)
        else keep.push(e)
      }
      this.#free = keep
    }
    this.#scheduleProbe()
  }

  /** A lent connection the server refused as unfit (1047, read-only): never lent again; host down. */
  #unfit(entry: Entry): void {
    const errno = entry.core.unfitErrno
    const error = new OperationalError(
      `${entry.host.name} refused a statement with error ${errno} (${errno === 1047 ? 'node not ready' : 'read-only'})`,
      { errno, code: 'HOST_UNFIT' },
    )
    this.#forget(entry)
    if (this.#hosts.hosts.length > 1) this.#hostFailed(entry.host, error, entry.epoch)
    this.#dispatch()
  }

  /**
   * Arm one unref'd timer for the soonest retry of a down host not being probed. A host already due
   * (its wait ran out before this ran: a stalled process) is probed at once when the pool has room;
   * without room it waits for #dispatch to probe it when a slot frees (a timer then would only spin).
   */
  #scheduleProbe(): void {
    if (this.#closing || this.#hosts.hosts.length < 2) return
    const now = Date.now()
    const room = this.size < this.#settings.maxSize
    let at = Infinity
    for (const h of this.#hosts.hosts) {
      if (h.state !== 'down' || this.#probing.has(h)) continue
      if (h.retryAt > now) at = Math.min(at, h.retryAt)
      else if (room) at = Math.min(at, now)
    }
    if (at >= this.#probeAt) return
    clearTimeout(this.#probeTimer)
    this.#probeAt = at
    this.#probeTimer = setTimeout(
      () => {
        this.#probeTimer = undefined
        this.#probeAt = Infinity
        this.#probeDue()
        this.#scheduleProbe()
      },
      Math.max(0, at - Date.now()),
    ).unref()
  }

  /**
   * Try each down host whose wait is over with one connection, in the background, when the pool has
   * room for it: success marks the host up and the connection joins the pool; failure doubles the wait.
   */
  #probeDue(): void {
    if (this.#closing) return
    for (const h of this.#hosts.due(Date.now())) {
      if (this.#probing.has(h) || this.size >= this.#settings.maxSize) continue
      this.#probing.add(h)
      this.#opening++
      openOn(this.#config, h, this.#open, this.#checked).then(
        (opened) => {
          this.#probing.delete(h)
          this.#opening--
          this.#hosts.markUp(h)
          this.#adopt(opened)
        },
        (error: unknown) => {
          this.#probing.delete(h)
          this.#opening--
          this.#hosts.markDown(h, asMySQLError(error), Date.now())
          this.#scheduleProbe()
          this.#dispatch()
          this.#checkDrained()
        },
      )
    }
  }

  /** Hand free connections to waiters; then open what uncovered waiters (and minSize) need. */
  #dispatch(fillToMin = false): void {
    while (this.#waiters.length > 0) {
      const entry = this.#takeFree()
      if (entry === undefined) break
      entry.state = 'used'
      this.#waiters.serve(entry.conn)
    }
    if (this.#closing) return
    if (this.#hosts.hosts.length > 1 && this.#hosts.nextRetryAt() <= Date.now()) this.#probeDue()
    // A connection being opened or rolled back will serve a waiter soon: don't open one more for it.
    const uncovered = this.#waiters.length - this.#opening - this.#returning
    const belowMin = fillToMin ? this.#settings.minSize - this.size : 0
    const n = Math.min(this.#settings.maxSize - this.size, Math.max(uncovered, belowMin))
    if (n <= 0) return
    // After a failed open the server is probably down: wait out the backoff, so a pool under load
    // tries at a bounded rate (at most once per interval) instead of once per query.
    const wait = this.#retryAt - Date.now()
    if (wait > 0) {
      this.#retryTimer ??= setTimeout(() => {
        this.#retryTimer = undefined
        this.#dispatch(fillToMin)
      }, wait)
      return
    }
    for (let i = 0; i < n; i++) this.#openOne()
  }

  /**
   * The oldest healthy free connection; closed, recycled and expired ones leave on the way, and one
   * last checked longer than healthCheckIntervalMs ago (so any idle that long, and a busy one too: a
   * Galera node cut off under load still answers simple statements) goes to its health check first,
   * and comes back free if it passes.
   */
  #takeFree(): Entry | undefined {
    const now = Date.now()
    for (let entry = this.#free.shift(); entry !== undefined; entry = this.#free.shift()) {
      const reason = leaveReason(entry, now, this.#settings, { onAcquire: true, aboveMin: false })
      if (reason !== undefined) {
        this.#leave(entry, reason)
      } else if (entry.check !== undefined && now - entry.checkedAt > this.#config.healthCheckIntervalMs) {
        this.#recheck(entry, entry.check)
      } else {
        return entry
      }
    }
    return undefined
  }

  /** Health-check a free connection before lending it; a failure closes it and marks its host down. */
  #recheck(entry: Entry, check: ResolvedCheck): void {
    entry.state = 'returning'
    this.#returning++
    checkHealth(entry.conn, check, entry.host.name, false).then(
      () => {
        entry.checkedAt = Date.now()
        this.#returned(entry, true)
      },
      (error: unknown) => {
        if (this.#hosts.hosts.length > 1) this.#hostFailed(entry.host, asMySQLError(error), entry.epoch)
        this.#returned(entry, false)
      },
    )
  }

  /** A dead connection is closed at once; a healthy one politely (COM_QUIT). */
  #leave(entry: Entry, reason: LeaveReason): void {
    if (reason === 'closed') this.#forget(entry)
    else void this.#retire(entry)
  }

  #openOne(): void {
    this.#opening++
    this.#openOnHosts().then(
      (opened) => {
        this.#opening--
        this.#lastOpenError = undefined
        this.#openFailures = 0
        this.#retryAt = 0
        this.#adopt(opened)
      },
      (error: unknown) => {
        this.#opening--
        this.#lastOpenError = error
        this.#openFailures++
        this.#retryAt = Date.now() + Math.min(MIN_BACKOFF_MS * 2 ** (this.#openFailures - 1), MAX_BACKOFF_MS)
        // The open was made for the oldest waiter nothing else will serve: it gets the connect
        // error rather than waiting on. Waiters stay covered one-for-one, so this cannot spin.
        if (!this.#closing && this.#waiters.length > this.#opening + this.#returning) {
          this.#waiters.failOldest(error)
        }
        this.#dispatch()
        this.#checkDrained()
      },
    )
  }

  /** A connection just opened joins the pool free, or leaves at once when the pool is closing. */
  #adopt(opened: Opened): void {
    if (this.#closing) {
      this.#known.add(opened.conn)
      void this.#quit(opened.conn)
    } else {
      this.#makeFree(this.#add(opened))
    }
  }

  #returned(entry: Entry, ok: boolean): void {
    this.#returning--
    if (this.#entries.get(entry.conn) !== entry) {
      // terminate() took it meanwhile.
      this.#checkDrained()
    } else if (!ok || entry.conn.closed) {
      this.#drop(entry)
    } else if (this.#closing) {
      void this.#retire(entry)
    } else {
      this.#makeFree(entry)
    }
  }

  /** A lent (or new) connection becomes free, unless it must leave the pool. */
  #makeFree(entry: Entry): void {
    if (entry.conn.closed) return this.#drop(entry)
    if (this.#closing) return void this.#retire(entry)
    if (entry.epoch !== entry.host.epoch) {
      void this.#retire(entry)
      return this.#dispatch()
    }
    if (leaveReason(entry, Date.now(), this.#settings, { onAcquire: false, aboveMin: false })) {
      void this.#retire(entry)
      return this.#dispatch(true)
    }
    entry.state = 'free'
    this.#free.push(entry)
    this.#dispatch()
    this.#scheduleReap()
  }

  /** Close a dead (or suspect) connection at once and give up its slot. */
  #forget(entry: Entry): void {
    this.#entries.delete(entry.conn)
    entry.conn.close()
    this.#checkDrained()
  }

  /** #forget, then the freed slot may go to a waiter (a new open). */
  #drop(entry: Entry): void {
    this.#forget(entry)
    this.#dispatch()
  }

  /** Take a healthy connection out of the pool politely (COM_QUIT). */
  #retire(entry: Entry): Promise<void> {
    this.#entries.delete(entry.conn)
    return this.#quit(entry.conn)
  }

  #quit(conn: Connection): Promise<void> {
    const done = conn
      .ensureClosed()
      .catch(() => conn.close())
      .then(() => {
        this.#leaving.delete(conn)
        this.#checkDrained()
      })
    this.#leaving.set(conn, done)
    return done
  }

  #timeoutError(): OperationalError {
    const timeoutMs = this.#settings.acquireTimeoutMs
    const cause = this.#lastOpenError
    const inUse = this.#entries.size - this.#free.length - this.#returning
    let message =
      `Pool acquire timed out after ${timeoutMs} ms: ${inUse} of maxSize ${this.maxSize} in use, ` +
      `${this.#waiters.length} waiting, ${this.#opening} opening, ${this.#returning} rolling back`
    if (cause instanceof Error) message += `; last connect error: ${cause.message}`
    return new OperationalError(message, { code: 'POOL_ACQUIRE_TIMEOUT', cause })
  }

  #drained(): boolean {
    return this.#entries.size === 0 && this.#opening === 0 && this.#leaving.size === 0
  }

  #checkDrained(): void {
    if (!this.#closing || !this.#drained()) return
    for (const resolve of this.#drainWaiters.splice(0)) resolve()
  }

  /** Arm one unref'd timer for the earliest idle or lifetime deadline among free connections. */
  #scheduleReap(): void {
    const { idleTimeoutMs, maxLifetimeMs, minSize } = this.#settings
    if (this.#closing || (idleTimeoutMs === undefined && maxLifetimeMs === undefined)) return
    const at = nextDeadline(this.#free, this.#settings, this.size > minSize)
    if (at >= this.#reapAt) return
    clearTimeout(this.#reapTimer)
    this.#reapAt = at
    this.#reapTimer = setTimeout(() => this.#reap(), Math.max(0, at - Date.now())).unref()
  }

  /** Close free connections that are dead, past maxLifetimeMs, or idle above minSize; refill to minSize. */
  #reap(): void {
    this.#reapTimer = undefined
    this.#reapAt = Infinity
    if (this.#closing) return
    const now = Date.now()
    let lost = false
    const keep: Entry[] = []
    for (const e of this.#free.splice(0)) {
      const aboveMin = this.size > this.#settings.minSize
      const reason = leaveReason(e, now, this.#settings, { onAcquire: false, aboveMin })
      if (reason === undefined) keep.push(e)
      else this.#leave(e, reason)
      if (reason === 'closed' || reason === 'lifetime') lost = true
    }
    this.#free = keep
    if (lost) this.#dispatch(true)
    this.#scheduleReap()
  }
}

/** A function, so the check after an await is not narrowed away by the one before it. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

function acquireAborted(reason: unknown): OperationalError {
  return new OperationalError('Pool acquire aborted', { code: 'ABORT_ERR', sqlState: '70100', cause: reason })
}

function poolClosed(): InterfaceError {
  return new InterfaceError('Cannot acquire a connection: the pool is closed', { code: 'POOL_CLOSED' })
}

/**
 * Create a pool and open its minSize connections in parallel: `createPool({ host, user, maxSize })`,
 * `createPool('mysql://user:pw@host/db?maxSize=5')` or `createPool(url, options)` (explicit options
 * win). If a connection cannot be opened, it rejects with that error and leaves nothing open.
 */
export async function createPool<C extends Cursor<unknown> = Cursor<unknown[]>>(
  options: (PoolOptions & { cursorClass?: CursorClass<C> }) | string = {},
  overrides?: PoolOptions & { cursorClass?: CursorClass<C> },
): Promise<PoolWithCursor<C>> {
  const { config, settings } = resolvePoolArgs(options, overrides)
  const pool = new Pool(config, settings)
  await pool.warmUp()
  return pool as PoolWithCursor<C>
}

/**
 * A pool whose connections' `cursor()` makes the `cursorClass` it was created with (what
 * `createPool` returns when given one): acquire() and transaction() hand out connections typed so.
 */
export type PoolWithCursor<C extends Cursor<unknown>> = {
  /** As `Pool.acquire()`, with `cursor()` typed as the pool's `cursorClass`. */
  acquire(options?: AcquireOptions): Promise<ConnectionWithCursor<C>>
  /** As `Pool.transaction()`, with `cursor()` typed as the pool's `cursorClass`. */
  transaction<T>(fn: (conn: ConnectionWithCursor<C>) => Promise<T>, options?: TransactionOptions): Promise<T>
} & Pool
