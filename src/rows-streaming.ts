// RowSource over a result streaming from the socket (SSCursor, SSDictCursor): rows are taken from the
// StreamingQuery's small queue as they arrive, with backpressure; moving is forward only; closing (or
// another command on the connection) discards what is unread.

import { checkCancelOptions, type CancelOptions } from './cancel.ts'
import { raise } from './error-map.ts'
import { NotSupportedError, ProgrammingError } from './errors.ts'
import type { ResultInfo, RowSource } from './row-source.ts'
import type { StreamingQuery, StreamSet } from './streaming-result.ts'

export class StreamingRows implements RowSource {
  readonly #stream: StreamingQuery
  #set: StreamSet
  /** The statement, for error messages (never its bound values). */
  readonly #sql: string | undefined
  /** The reader reached the end of the current result: its row count is known. */
  #ended = false
  position = 0

  private constructor(stream: StreamingQuery, set: StreamSet, sql: string | undefined) {
    this.#stream = stream
    this.#set = set
    this.#sql = sql
  }

  /** Resolves once the first result has started; rejects with the statement's error. */
  static async open(stream: StreamingQuery, sql: string | undefined): Promise<StreamingRows> {
    return new StreamingRows(stream, await firstSet(stream, sql), sql)
  }

  info(): ResultInfo {
    const set = this.#set
    const s = set.summary
    if (set.columns !== null) {
      return {
        columns: set.columns,
        rowCount: this.#ended ? this.position : -1,
        lastRowId: null,
        warningCount: this.#ended ? s!.warningCount : 0,
        info: '',
      }
    }
    return {
      columns: null,
      rowCount: Number(s!.affectedRows),
      lastRowId: s!.insertId,
      warningCount: s!.warningCount,
      info: s!.info,
    }
  }

  async next(options?: CancelOptions): Promise<unknown> {
    const set = this.#set
    if (set.lost !== true) {
      const row = this.#stream.take(set)
      if (row !== undefined) {
        this.position++
        return row
      }
    }
    checkCancelOptions(options)
    const disarm = this.#stream.arm(options)
    try {
      return await this.#waitRow(set)
    } finally {
      disarm()
    }
  }

  nextNow(): unknown {
    const set = this.#set
    if (set.lost === true) return undefined
    const row = this.#stream.take(set)
    if (row !== undefined) this.position++
    return row
  }

  async #waitRow(set: StreamSet): Promise<unknown> {
    const stream = this.#stream
    for (;;) {
      if (set.lost === true) {
        throw new ProgrammingError(
          'the rest of this result was discarded: another command ran on the connection',
        )
      }
      const row = stream.take(set)
      if (row !== undefined) {
        this.position++
        return row
      }
      if (set.summary !== null) {
        this.#ended = true
        return null
      }
      if (stream.failure !== null) throw raise(stream.failure, this.#sql)
      await stream.changed()
    }
  }

  async many(limit: number, options?: CancelOptions): Promise<unknown[]> {
    checkCancelOptions(options)
    const disarm = this.#stream.arm(options)
    const out: unknown[] = []
    try {
      while (out.length < limit) {
        const row = await this.next()
        if (row === null) break
        out.push(row)
      }
    } finally {
      disarm()
    }
    return out
  }

  async moveTo(target: number): Promise<void> {
    if (target < this.position) throw new NotSupportedError('unbuffered cursors scroll forward only')
    while (this.position < target) if ((await this.next()) === null) break
  }

  async nextSet(): Promise<boolean> {
    const stream = this.#stream
    const set = this.#set
    stream.drop(set)
    while (set.summary === null && stream.failure === null) await stream.changed()
    if (set.summary === null || !set.summary.more) {
      if (set.summary === null && stream.failure !== null) throw raise(stream.failure, this.#sql)
      return false
    }
    stream.sets.shift()
    this.#set = await firstSet(stream, this.#sql)
    this.position = 0
    this.#ended = false
    return true
  }

  async close(): Promise<void> {
    const stream = this.#stream
    stream.discardAll()
    while (!stream.done) await stream.changed()
  }
}

async function firstSet(stream: StreamingQuery, sql: string | undefined): Promise<StreamSet> {
  while (stream.sets.length === 0 && stream.failure === null) await stream.changed()
  const set = stream.sets[0]
  if (set === undefined) throw raise(stream.failure!, sql)
  return set
}
