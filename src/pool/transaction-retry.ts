// pool.transaction(fn, { retries }): BEGIN, fn, COMMIT (ROLLBACK if fn throws) on a lent connection,
// and which failed transactions may run again (SPEC §12): deadlocks and Galera certification
// conflicts (1213), lock-wait timeouts (1205), a node not ready (1047), a read-only server (1290,
// 1792, 1836: its connection is dropped and its host marked down, so the next attempt goes
// elsewhere), and a lost connection before COMMIT was sent. Never a lost connection after COMMIT was
// sent: the outcome is unknown, and the error says so.

import type { Connection } from '../connection.ts'
import { MySQLError, OperationalError, ProgrammingError } from '../errors.ts'

/** What a transaction needs of its pool. */
export interface TransactionPool {
  acquire(options: { signal?: AbortSignal | undefined }): Promise<Connection>
  release(conn: Connection): void
  /** close() was called: a failed attempt is not run again. */
  closing(): boolean
}

/**
 * Run `fn` in a transaction on a connection from `pool`, again on a connection acquired anew (after a
 * short jitter) while the failure allows it and `retries` lasts. The connection is released exactly
 * once per attempt.
 */
export async function runTransaction<T>(
  pool: TransactionPool,
  fn: (conn: Connection) => Promise<T>,
  options: { signal?: AbortSignal | undefined; retries?: number | undefined },
): Promise<T> {
  const retries = options.retries ?? 0
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new ProgrammingError('option retries must be an integer ≥ 0')
  }
  for (let attempt = 0; ; attempt++) {
    const state = { commitSent: false }
    try {
      return await transactionOnce(pool, fn, options, state)
    } catch (e) {
      if (attempt >= retries || !mayRetry(e, state.commitSent) || pool.closing()) throw e
      if (options.signal?.aborted === true) throw e
      // A little jitter, so two transactions that conflicted do not meet again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1)))
    }
  }
}

async function transactionOnce<T>(
  pool: TransactionPool,
  fn: (conn: Connection) => Promise<T>,
  options: { signal?: AbortSignal | undefined },
  state: { commitSent: boolean },
): Promise<T> {
  const conn = await pool.acquire(options)
  try {
    await conn.begin()
    let result: T
    try {
      result = await fn(conn)
    } catch (e) {
      // A connection whose rollback failed is in an unknown state: closing it makes release drop it.
      await conn.rollback().catch(() => conn.close())
      throw e
    }
    state.commitSent = true
    try {
      await conn.commit()
    } catch (e) {
      if (isConnectionLost(e) && (e as MySQLError).sentToServer !== false)
        throw commitUnknown(e as MySQLError)
      throw e
    }
    return result
  } finally {
    pool.release(conn)
  }
}

/** The transaction was rolled back, or could write nothing: running it again is safe. */
const ROLLED_BACK = new Set([1213, 1205, 1047, 1290, 1792, 1836])

/** The connection is gone: lost, refused, or killed on the server. */
const CONNECTION_LOST = new Set([1927, 2002, 2003, 2006, 2013, 2055])

export function isConnectionLost(e: unknown): boolean {
  return e instanceof MySQLError && e.fatal && CONNECTION_LOST.has(e.errno)
}

/** May a transaction that failed with `e` run again? `commitSent`: COMMIT had been issued. */
export function mayRetry(e: unknown, commitSent: boolean): boolean {
  if (!(e instanceof MySQLError) || e.commitUnknown) return false
  if (ROLLED_BACK.has(e.errno)) return true
  // A lost COMMIT still queued (sentToServer false) certainly did not run.
  return isConnectionLost(e) && (!commitSent || e.sentToServer === false)
}

/** The error for a connection lost once COMMIT had left: the transaction may have committed. */
export function commitUnknown(e: MySQLError): OperationalError {
  return new OperationalError(
    `The connection was lost after COMMIT was sent; the transaction may or may not have committed ` +
      `(not retried): ${e.message}`,
    {
      errno: e.errno,
      code: e.code,
      sqlState: e.sqlState,
      fatal: true,
      sentToServer: true,
      commitUnknown: true,
      cause: e,
    },
  )
}
