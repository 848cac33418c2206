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

export class BufferedQuery implements QuerySink {
  readonly promise: Promise<BufferedResults>
  private resolve!: (r: BufferedResults) => void
  private reject!: (f: Failure) => void
  private readonly sets: BufferedSet[] = []
  private columnList: readonly Column[] | null = null
  private rows: unknown[] = []
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
    this.rows = []
    this.keys = this.mode === 'object' ? dictKeys(columns) : null
  }

  /** Settle now with `failure` (a cancellation); what the server still sends is dropped. */
  abort(failure: Failure): void {
    this.aborted = true
    this.rows = []
    this.reject(failure)
  }

  row(values: unknown[]): void {
    if (this.aborted) return
    this.rows.push(this.keys === null ? values : objectRow(this.keys, values))
  }

  end(summary: ResultSummary): void {
    this.sets.push({ columns: this.columnList, rows: this.columnList === null ? [] : this.rows, summary })
    this.columnList = null
    this.rows = []
    if (!summary.more) this.resolve({ sets: this.sets, laterError: null })
  }

  error(err: ErrPacket): void {
    if (this.sets.length === 0) this.reject(serverError(err))
    else this.resolve({ sets: this.sets, laterError: serverError(err) })
  }

  fail(failure: Failure): void {
    this.reject(failure)
  }
}
