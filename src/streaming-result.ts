// A result sink for unbuffered cursors: rows wait in a small queue; when it is full the socket is
// paused, and it resumes as the consumer catches up, so memory stays flat for any result size.

import type { CancelOptions } from './cancel.ts'
import { serverError, type Failure, type Outbox } from './commands/command.ts'
import { raise } from './error-map.ts'
import type { QuerySink } from './commands/query.ts'
import type { ResultSummary } from './commands/result-set.ts'
import { dictKeys, objectRow, type RowMode } from './commands/row-shape.ts'
import { Fifo } from './fifo.ts'
import type { Column } from './protocol/column.ts'
import type { ErrPacket } from './protocol/responses.ts'

/** Arms cancellation of the statement for one wait; `abort` settles the sink. Returns the disarm. */
export type Armer = (opts: CancelOptions, abort: (failure: Failure) => void) => () => void

const noop = (): void => {}

/** Pause reading above this many queued rows; resume below the low mark. */
const HIGH_WATER = 2048
const LOW_WATER = 512

/** One result of the statement as it streams in. */
export interface StreamSet {
  readonly columns: readonly Column[] | null
  /** Rows received and not yet read. */
  readonly rows: Fifo<unknown>
  /** Set when the result has ended. */
  summary: ResultSummary | null
  /** The consumer moved past this result: further rows are dropped. */
  dropped: boolean
  /** Unread rows were thrown away because the connection was needed (reading on is an error). */
  lost?: boolean
}

export class StreamingQuery implements QuerySink {
  /** Results in arrival order; the consumer reads sets[0]. A failure ends the list. */
  readonly sets: StreamSet[] = []
  failure: Failure | null = null
  /** The whole command is over (last result ended, an error, or the connection failed). */
  done = false
  /** Rows will never be read (cursor closed, or another command was queued): drop them. */
  discarding = false
  private open: StreamSet | null = null
  private keys: string[] | null = null
  private queued = 0
  private paused = false
  private wake: (() => void) | null = null
  /** Rows received in all (the traced result of a streamed statement). */
  private received = 0
  /** Told once when the command is over (see completion()). */
  private onDone: ((failure: Failure | null) => void) | null = null
  private readonly mode: RowMode
  /** Flow control of the socket the rows arrive on. */
  private readonly out: Pick<Outbox, 'pause' | 'resume'>
  private readonly armer: Armer

  /** `arm` is the connection's: it arms cancellation of this statement for one wait (see arm()). */
  constructor(mode: RowMode, out: Pick<Outbox, 'pause' | 'resume'>, arm: Armer) {
    this.mode = mode
    this.out = out
    this.armer = arm
  }

  columns(columns: readonly Column[]): void {
    this.keys = this.mode === 'object' ? dictKeys(columns) : null
    this.open = { columns, rows: new Fifo(), summary: null, dropped: this.discarding }
    this.sets.push(this.open)
    this.notify()
  }

  row(values: unknown[]): void {
    this.received++
    const set = this.open!
    if (set.dropped) return
    set.rows.push(this.keys === null ? values : objectRow(this.keys, values))
    if (++this.queued >= HIGH_WATER && !this.paused) {
      this.paused = true
      this.out.pause()
    }
    if (this.queued === 1) this.notify()
  }

  end(summary: ResultSummary): void {
    if (this.open !== null) {
      this.open.summary = summary
      this.open = null
    } else {
      this.sets.push({ columns: null, rows: new Fifo(), summary, dropped: false })
    }
    if (!summary.more) {
      this.done = true
      this.onDone?.(null)
      // Queued rows stay readable, but the socket must flow again for the next command.
      if (this.paused) {
        this.paused = false
        this.out.resume()
      }
    }
    this.notify()
  }

  error(err: ErrPacket): void {
    this.finish(serverError(err))
  }

  fail(failure: Failure): void {
    this.finish(failure)
  }

  /** Take the next row of the first set, or undefined when none is queued right now. */
  take(set: StreamSet): unknown {
    const row = set.rows.shift()
    if (row !== undefined) this.consumed(1)
    return row
  }

  /** Drop what is queued for a set and any rows still to come for it. */
  drop(set: StreamSet): void {
    set.dropped = true
    this.consumed(set.rows.size)
    set.rows.clear()
  }

  /** Drop everything, now and to come, and keep reading so the connection frees up. */
  discardAll(markLost = true): void {
    this.discarding = true
    for (const s of this.sets) {
      if (markLost && (s.rows.size > 0 || s.summary === null)) s.lost = true
      this.drop(s)
    }
    if (this.paused) {
      this.paused = false
      this.out.resume()
    }
  }

  /**
   * Resolves with the number of rows received once the whole command is over, or rejects with its
   * failure (for tracing; made only when asked for).
   */
  completion(): Promise<number> {
    return new Promise((resolve, reject) => {
      const settle = (failure: Failure | null): void => {
        this.onDone = null
        if (failure === null) resolve(this.received)
        else reject(raise(failure))
      }
      if (this.done) settle(this.failure)
      else this.onDone = settle
    })
  }

  /** Resolves when the first result has started (or the statement failed). */
  async firstResult(): Promise<void> {
    while (this.sets.length === 0 && this.failure === null) await this.changed()
  }

  /** Resolves on the next event (row, result end, failure). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
    })
  }

  private consumed(n: number): void {
    this.queued -= n
    if (this.paused && this.queued <= LOW_WATER) {
      this.paused = false
      this.out.resume()
    }
  }

  /** Cancellation: fail the reader now and drop the rest while the server winds down. */
  abort(failure: Failure): void {
    this.failure = failure
    this.discardAll(false)
    this.notify()
  }

  /**
   * Arm cancellation for one wait of the reader (the execute, or a fetch with a signal): a cancelled
   * wait aborts this sink. Returns the disarm; without options nothing is armed.
   */
  arm(opts: CancelOptions | undefined): () => void {
    return opts === undefined ? noop : this.armer(opts, (f) => this.abort(f))
  }

  private finish(failure: Failure): void {
    // A cancellation already told the reader why; the server's own error (1317) is expected now.
    if (this.failure === null) this.failure = failure
    this.done = true
    this.onDone?.(this.failure)
    if (this.paused) {
      this.paused = false
      this.out.resume()
    }
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    if (wake !== null) {
      this.wake = null
      wake()
    }
  }
}
