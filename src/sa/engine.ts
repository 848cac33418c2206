// Engine: aiomysql.sa's create_engine over this library's Pool. It lends SAConnections, refuses to
// take one back while its transaction is open, and delegates sizes and shutdown to the pool.
// Unlike aiomysql, autocommit defaults to true here: see createEngine.

import { type AcquireOptions, createPool, type Pool, type PoolOptions } from '../index.ts'
import { SAConnection } from './connection.ts'
import { InvalidRequestError } from './errors.ts'

/**
 * aiomysql.sa's engine over a Pool, made by `createEngine()`: lends SAConnections (`acquire()`, or
 * `await using conn = await engine.acquire()`). Shut it down with `close()` then `waitClosed()`.
 */
export class Engine {
  /** The dialect's name, as SQLAlchemy reports it. */
  readonly name = 'mysql'
  /** The DB-API driver underneath. */
  readonly driver = 'aiomysql'
  readonly #pool: Pool
  readonly #lent = new Set<SAConnection>()

  /** @internal Use createEngine(). */
  constructor(pool: Pool) {
    this.#pool = pool
  }

  /** The pool's minSize. */
  get minSize(): number {
    return this.#pool.minSize
  }

  /** The pool's maxSize. */
  get maxSize(): number {
    return this.#pool.maxSize
  }

  /** Connections held: free, lent, returning and being opened. */
  get size(): number {
    return this.#pool.size
  }

  /** Idle connections ready to be lent. */
  get freeSize(): number {
    return this.#pool.freeSize
  }

  /** True once close() was called and every connection is closed. */
  get closed(): boolean {
    return this.#pool.closed
  }

  /** A connection from the pool (waits when it is exhausted). `await using conn = ...` closes it. */
  async acquire(options: AcquireOptions = {}): Promise<SAConnection> {
    const conn = new SAConnection(await this.#pool.acquire(options), this)
    this.#lent.add(conn)
    return conn
  }

  /**
   * Give a connection back (synchronous; a second release is a no-op). A connection with an active
   * transaction is refused with InvalidRequestError: commit or roll it back, or use conn.close().
   */
  release(conn: SAConnection): void {
    if (!this.#lent.has(conn)) {
      if (conn instanceof SAConnection && conn.connection === null) return
      throw new InvalidRequestError('release(): this connection was not acquired from this engine')
    }
    if (conn.inTransaction) {
      throw new InvalidRequestError('Cannot release a connection with not finished transaction')
    }
    this.#lent.delete(conn)
    const raw = conn.detach()
    if (raw !== null) this.#pool.release(raw)
  }

  /** Stop lending; free connections close now, lent ones when released. Then await waitClosed(). */
  close(): void {
    this.#pool.close()
  }

  /** close(), and close the lent connections too. */
  terminate(): void {
    this.#pool.terminate()
  }

  /** Resolves when, after close(), every connection is back and closed. */
  async waitClosed(): Promise<void> {
    await this.#pool.waitClosed()
  }

  /** `await using engine = await createEngine(...)`: close() and waitClosed(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.waitClosed()
  }
}

/**
 * Create an engine: a pool (every createPool option, or a `mysql://` URL plus options) whose
 * connections are lent as SAConnections. One connection is acquired and released first, so bad
 * credentials fail here. `autocommit` defaults to **true**, unlike a bare pool: statements run outside
 * begin() are committed, as SQLAlchemy users expect (aiomysql's own tests turn it on by hand).
 * Transactions are explicit (BEGIN) either way. Pass `autocommit: false` for aiomysql's default.
 */
export async function createEngine(
  options: PoolOptions | string = {},
  overrides?: PoolOptions,
): Promise<Engine> {
  const pool =
    typeof options === 'string'
      ? await createPool(options, urlSetsAutocommit(options) ? overrides : { autocommit: true, ...overrides })
      : await createPool({ autocommit: true, ...options }, overrides)
  try {
    pool.release(await pool.acquire())
  } catch (e) {
    pool.terminate()
    throw e
  }
  return new Engine(pool)
}

function urlSetsAutocommit(url: string): boolean {
  try {
    return new URL(url).searchParams.has('autocommit')
  } catch {
    return false // createPool reports the bad URL in its own words
  }
}
