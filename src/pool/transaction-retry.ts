// Which failed transactions pool.transaction({ retries }) may run again (SPEC §12): deadlocks and
// Galera certification conflicts (1213), lock-wait timeouts (1205), a node not ready (1047), a
// read-only server (1290, 1792, 1836: its connection is dropped and its host marked down, so the
// next attempt goes elsewhere), and a lost connection before COMMIT was sent. Never a lost connection after COMMIT was sent: the
// outcome is unknown, and the error says so.

import { MySQLError, OperationalError } from '../errors.ts'

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
