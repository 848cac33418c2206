// A result sink that keeps every result set of one statement in memory (buffered cursors and
// conn.query). An error in a later statement is kept and surfaces from nextSet(), as in aiomysql.

import { serverError, type Failure } from './commands/command.ts'
import type { QuerySink } from './commands/query.ts'
import type { ResultSummary } from './commands/result-set.ts'
import { dictKeys, objectRow, type RowMode } from './commands/row-shape.ts'
import type { ErrorRecord } from './errors.ts'
import type { Column } from './protocol/column.ts'
import type { ErrPacket } from './protocol/responses.ts'

export interface BufferedSet {
  /** null for a result without rows (OK packet). */
  readonly columns: readonly Column[] | null
  readonly rows: unknown[]
  readonly summary: ResultSummary
}

export interface BufferedResults {
  readonly sets: BufferedSet[]
  /** A later statement failed: reported when the caller moves to that set. */
  readonly laterError: ErrorRecord | null
}

/**
 * "No row yet": never written to or handed out. The first row makes a one-element array, not an
 * empty one that push() grows to 17 slots (most results of a point select hold one row).
 */
const NO_ROWS: unknown[] = []

export class BufferedQuery implements QuerySink {
  readonly promise: Promise<BufferedResults>
  private resolve!: (r: BufferedResults) => void
  private reject!: (f: Failure) => void
  /** Made with the first set: most statements have one, and push() on [] makes room for 17. */
  private sets: BufferedSet[] | null = null
  private columnList: readonly Column[] | null = null
  private rows: unknown[] = NO_ROWS
  private keys: string[] | null = null
  private aborted = false

  private readonly mode: RowMode

  constructor(mode: RowMode) {
    this.mode = mode
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  columns(columns: readonly Column[]): void {
    this.columnList = columns
    this.rows = NO_ROWS
    this.keys = this.mode === 'object' ? dictKeys(columns) : null
  }

  /** Settle now with `failure` (a cancellation); what the server still sends is dropped. */
  abort(failure: Failure): void {
    this.aborted = true
    this.rows = NO_ROWS
    this.reject(failure)
  }

  row(values: unknown[]): void {
    if (this.aborted) return
    const row = this.keys === null ? values : objectRow(this.keys, values)
    if (this.rows === NO_ROWS) this.rows = [row]
    else this.rows.push(row)
  }

  end(summary: ResultSummary): void {
    // Every set gets an array of its own (the caller may keep and change it).
    const rows = this.columnList === null || this.rows === NO_ROWS ? [] : this.rows
    const set: BufferedSet = { columns: this.columnList, rows, summary }
    if (this.sets === null) this.sets = [set]
    else this.sets.push(set)
    this.columnList = null
    this.rows = NO_ROWS
    if (!summary.more) this.resolve({ sets: this.sets, laterError: null })
  }

  error(err: ErrPacket): void {
    if (this.sets === null) this.reject(serverError(err))
    else this.resolve({ sets: this.sets, laterError: serverError(err) })
  }

  fail(failure: Failure): void {
    this.reject(failure)
  }
}
