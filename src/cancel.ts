// Cancellation of a running statement (AbortSignal or timeoutMs). A statement still queued is
// simply dropped; one on the wire is stopped with KILL QUERY from a side connection while the
// pipeline is held. A cancellable statement is written alone (a barrier both ways, SPEC §10), so the
// KILL can only reach that statement. If the KILL fails, the connection dies.

import { clientFailure, type Command, type Failure } from './commands/command.ts'
import type { ResolvedConfig } from './config.ts'
import { OperationalError, type MySQLError } from './errors.ts'
import type { Pipeline } from './net/pipeline.ts'

/**
 * Stop a statement early: a statement still queued is dropped, one on the wire is stopped with KILL
 * QUERY from a side connection, and the call rejects with OperationalError code 'ABORT_ERR' or
 * 'ER_STATEMENT_TIMEOUT'; the connection stays usable (if the KILL itself fails, it is closed).
 */
export interface CancelOptions {
  /** Abort the statement when this signal fires. */
  readonly signal?: AbortSignal | undefined
  /** Abort the statement after this many milliseconds. */
  readonly timeoutMs?: number | undefined
}

export interface CancelTarget {
  readonly pipe: Pipeline
  readonly config: ResolvedConfig
  readonly threadId: number
  /** Opens a side connection and runs KILL QUERY; supplied by the Connection (no import cycle). */
  readonly killQuery: (threadId: number) => Promise<void>
}

export function abortError(reason: unknown): MySQLError {
  return new OperationalError('Query aborted', {
    code: 'ABORT_ERR',
    errno: 0,
    sqlState: '70100',
    cause: reason,
  })
}

export function timeoutError(ms: number): MySQLError {
  return new OperationalError(`Query timed out after ${ms} ms`, {
    code: 'ER_STATEMENT_TIMEOUT',
    errno: 1969,
    sqlState: '70100',
  })
}

/** Whether the options ask for cancellation (which makes the statement run alone on the wire). */
export function isCancellable(opts: CancelOptions | undefined): opts is CancelOptions {
  return opts !== undefined && (opts.signal !== undefined || opts.timeoutMs !== undefined)
}

/** Validate options before anything is sent; throws the abort error if the signal already fired. */
export function checkCancelOptions(opts: CancelOptions | undefined): void {
  if (opts === undefined) return
  const t = opts.timeoutMs
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) {
    throw new OperationalError('timeoutMs must be a positive number of milliseconds', {
      code: 'ER_WRONG_ARGUMENTS',
    })
  }
  if (opts.signal?.aborted === true) throw abortError(opts.signal.reason)
}

/**
 * Arm cancellation for one command. `abortSink` settles the caller's promise at once; the command
 * keeps reading (and dropping) whatever the server still sends, so the protocol stays in step.
 * Returns a disarm function to call when the command completes.
 */
export function armCancellation(
  target: CancelTarget,
  cmd: Command,
  opts: CancelOptions | undefined,
  abortSink: (failure: Failure) => void,
): () => void {
  if (!isCancellable(opts)) return noop
  let done = false
  const fire = (failure: MySQLError): void => {
    if (done) return
    done = true
    disarm()
    if (target.pipe.cancelQueued(cmd)) {
      cmd.fail(failure)
      return
    }
    if (!target.pipe.isInFlight(cmd)) return // finished already: nothing to stop
    abortSink(failure)
    // KILL QUERY stops whatever the server thread runs now: only safe when nothing else was written
    // (a cancellable statement is always alone; a stream read on with others behind it is just dropped).
    if (!target.pipe.isAloneInFlight(cmd)) return
    const release = target.pipe.hold()
    const dead = (why: string): void => {
      target.pipe.destroy(clientFailure('CR_SERVER_LOST', `connection closed: ${why}`, true))
    }
    withDeadline(
      target.killQuery(target.threadId),
      target.config.connectTimeoutMs + KILL_REPLY_GRACE_MS,
    ).then(
      () => {
        release()
        // The killed statement answers at once (its error, or the end of its rows). If that reply
        // never comes, the network is half-open: the connection is dead, and a pool must not lend it.
        const watchdog = setTimeout(() => {
          if (target.pipe.isInFlight(cmd)) dead('the cancelled statement never answered (network stalled?)')
        }, KILL_REPLY_GRACE_MS)
        watchdog.unref()
      },
      () => {
        // Without the KILL the statement may run on: the connection's state is unknown.
        dead('a cancelled query could not be stopped')
        release()
      },
    )
  }
  const onAbort = (): void => fire(abortError(opts.signal?.reason))
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => fire(timeoutError(opts.timeoutMs!)), opts.timeoutMs)
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  function disarm(): void {
    done = true
    if (timer !== undefined) clearTimeout(timer)
    opts?.signal?.removeEventListener('abort', onAbort)
  }
  return disarm
}

function noop(): void {}

/** How long a killed statement (or the KILL itself, beyond connecting) may take to answer. */
const KILL_REPLY_GRACE_MS = 3000

/** `p`, or a rejection once `ms` have passed. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('deadline')), ms)
    timer.unref()
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}
