// Unbuffered cursors: SSCursor (arrays) and SSDictCursor (objects). Rows stream from the socket
// with backpressure; scroll is forward only; close() and a new command discard what is unread.

import type { Connection, Query } from './connection.ts'
import { raise } from './error-map.ts'
import { checkCancelOptions, type CancelOptions } from './cancel.ts'
import type { RowMode } from './commands/row-shape.ts'
import { Cursor } from './cursor.ts'
import { NotSupportedError, ProgrammingError } from './errors.ts'
import type { StreamingQuery, StreamSet } from './streaming-result.ts'

export class SSCursor<Row = unknown[]> extends Cursor<Row> {
  #stream: StreamingQuery | null = null
  #set: StreamSet | null = null
  #sql: string | undefined

  constructor(connection: Connection) {
    super(connection)
  }

  /** Send the statement; resolves once its first result starts (rows are read as you fetch). */
  override async execute(query: Query, args?: unknown, options?: CancelOptions): Promise<number> {
    this.#checkOpen()
    await this.#discardCurrent()
    this.#sql = typeof query === 'string' ? query : undefined
    this.#stream = this.connection.runStreaming(query, args, this.rowMode, undefined, options)
    this.#set = null
    await this.#loadNextSet()
    return this.rowCount
  }

  /** The next row, or null at the end. `{ signal, timeoutMs }` bound the wait for it. */
  override async fetchOne(options?: CancelOptions): Promise<Row | null> {
    const set = this.#current()
    const stream = this.#stream!
    if (set.lost !== true) {
      const row = stream.take(set)
      if (row !== undefined) {
        this.rowNumber++
        return row as Row
      }
    }
    checkCancelOptions(options)
    const disarm = stream.arm(options)
    try {
      return await this.#waitRow(set, stream)
    } finally {
      disarm()
    }
  }

  async #waitRow(set: StreamSet, stream: StreamingQuery): Promise<Row | null> {
    for (;;) {
      if (set.lost === true) {
        throw new ProgrammingError(
          'the rest of this result was discarded: another command ran on the connection',
        )
      }
      const row = stream.take(set)
      if (row !== undefined) {
        this.rowNumber++
        return row as Row
      }
      if (set.summary !== null) {
        this.rowCount = this.rowNumber
        this.warningCount = set.summary.warningCount
        return null
      }
      if (stream.failure !== null) throw raise(stream.failure, this.#sql)
      await stream.changed()
    }
  }

  override async fetchMany(size: number = this.arraySize, options?: CancelOptions): Promise<Row[]> {
    if (!Number.isInteger(size) || size < 0)
      throw new ProgrammingError('fetchMany size must be a non-negative integer')
    return this.#collect(size, options)
  }

  override async fetchAll(options?: CancelOptions): Promise<Row[]> {
    return this.#collect(Infinity, options)
  }

  /** Up to `limit` rows; a signal or timeout bounds the whole call, not each row. */
  async #collect(limit: number, options: CancelOptions | undefined): Promise<Row[]> {
    this.#current()
    checkCancelOptions(options)
    const disarm = this.#stream!.arm(options)
    const out: Row[] = []
    try {
      while (out.length < limit) {
        const row = await this.fetchOne()
        if (row === null) break
        out.push(row)
      }
    } finally {
      disarm()
    }
    return out
  }

  /** Forward only: skips rows. Moving backwards is a NotSupportedError. */
  override async scroll(value: number, mode: 'relative' | 'absolute' = 'relative'): Promise<void> {
    this.#current()
    if (!Number.isInteger(value)) throw new ProgrammingError('scroll takes an integer')
    const skip = mode === 'absolute' ? value - this.rowNumber : mode === 'relative' ? value : NaN
    if (Number.isNaN(skip)) throw new ProgrammingError(`unknown scroll mode ${JSON.stringify(mode)}`)
    if (skip < 0) throw new NotSupportedError('unbuffered cursors scroll forward only')
    for (let i = 0; i < skip; i++) if ((await this.fetchOne()) === null) break
  }

  /** Discard the rest of this result and move to the next; a failed later statement rejects here. */
  override async nextSet(): Promise<boolean> {
    this.#checkOpen()
    const set = this.#set
    const stream = this.#stream
    if (set === null || stream === null) return false
    stream.drop(set)
    while (set.summary === null && stream.failure === null) await stream.changed()
    if (set.summary === null || !set.summary.more) {
      if (set.summary === null && stream.failure !== null) throw raise(stream.failure, this.#sql)
      return false
    }
    stream.sets.shift()
    await this.#loadNextSet()
    return true
  }

  /** Close the cursor, reading and dropping whatever the server still sends for it. */
  override async close(): Promise<void> {
    await this.#discardCurrent()
    await super.close()
  }

  async #discardCurrent(): Promise<void> {
    const stream = this.#stream
    if (stream === null) return
    stream.discardAll()
    while (!stream.done) await stream.changed()
    this.#stream = null
    this.#set = null
  }

  async #loadNextSet(): Promise<void> {
    const stream = this.#stream!
    while (stream.sets.length === 0 && stream.failure === null) await stream.changed()
    const set = stream.sets[0]
    if (set === undefined) throw raise(stream.failure!, this.#sql)
    this.#set = set
    this.rowNumber = 0
    if (set.columns !== null) {
      this.setColumns(set.columns)
      this.rowCount = -1
      this.lastRowId = null
      this.warningCount = 0
    } else {
      const s = set.summary!
      this.setColumns(null)
      this.rowCount = Number(s.affectedRows)
      this.lastRowId = s.insertId
      this.warningCount = s.warningCount
    }
  }

  #current(): StreamSet {
    this.#checkOpen()
    if (this.#set === null) throw new ProgrammingError('execute() first')
    return this.#set
  }

  #checkOpen(): void {
    if (this.closed) throw new ProgrammingError('Cursor closed')
  }
}

export class SSDictCursor<Row = Record<string, unknown>> extends SSCursor<Row> {
  protected override get rowMode(): RowMode {
    return 'object'
  }
}
