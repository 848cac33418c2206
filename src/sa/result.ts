// ResultProxy: the buffered result of one SAConnection.execute (aiomysql's are buffered too). It
// closes itself once exhausted, and at once for a statement without rows; after that every fetch
// is a ResourceClosedError, as in aiomysql.sa.

import { ArgumentError, ResourceClosedError } from './errors.ts'
import { makeRow, RowLayout, type RowProxy } from './row.ts'

/** What a statement left behind: column names and rows (null for a statement without rows). */
export interface ResultData {
  readonly keys: readonly string[] | null
  readonly rows: readonly unknown[][]
  readonly rowCount: number
  readonly lastRowId: number | bigint | null
}

/**
 * The buffered result of `SAConnection.execute()`: fetch rows as RowProxy objects (read by name or
 * position) or iterate with `for await`. It closes itself once exhausted (at once for a statement
 * without rows); fetching after that is a ResourceClosedError.
 */
export class ResultProxy<T extends object = Record<string, unknown>> implements AsyncIterable<RowProxy<T>> {
  /** Rows in the result, or rows the statement affected. */
  readonly rowCount: number
  /** AUTO_INCREMENT id of an INSERT; null after a statement that returned rows. */
  readonly lastRowId: number | bigint | null
  /** False for statements without a result set (DML, DDL); such a proxy is closed from the start. */
  readonly returnsRows: boolean
  readonly #layout: RowLayout | null
  #rows: readonly unknown[][]
  #next = 0
  #closed: boolean

  /** @internal Built by SAConnection.execute. */
  constructor(data: ResultData) {
    this.rowCount = data.rowCount
    this.lastRowId = data.lastRowId
    this.returnsRows = data.keys !== null
    this.#layout = data.keys === null ? null : new RowLayout(data.keys)
    this.#rows = data.rows
    this.#closed = !this.returnsRows
  }

  /** True once every row was fetched, close() was called, or the statement returned no rows. */
  get closed(): boolean {
    return this.#closed
  }

  /** Column names in order; empty for a statement without rows. */
  keys(): string[] {
    return this.#layout === null ? [] : [...this.#layout.keys]
  }

  /** The next row, or null (and the proxy closes) when there is none left. */
  async fetchOne(): Promise<RowProxy<T> | null> {
    const layout = this.#check()
    const values = this.#rows[this.#next]
    if (values === undefined) {
      this.close()
      return null
    }
    this.#next++
    return makeRow<T>(layout, values)
  }

  /** Up to `size` rows (default 1); an empty array (and the proxy closes) when there is none left. */
  async fetchMany(size = 1): Promise<RowProxy<T>[]> {
    const layout = this.#check()
    if (!Number.isInteger(size) || size < 0) {
      throw new ArgumentError('fetchMany size must be a non-negative integer')
    }
    const slice = this.#rows.slice(this.#next, this.#next + size)
    this.#next += slice.length
    if (slice.length === 0 && size > 0) this.close()
    return slice.map((values) => makeRow<T>(layout, values))
  }

  /** Every remaining row; the proxy closes. */
  async fetchAll(): Promise<RowProxy<T>[]> {
    const layout = this.#check()
    const rows = this.#rows.slice(this.#next).map((values) => makeRow<T>(layout, values))
    this.close()
    return rows
  }

  /** The first remaining row or null; the proxy closes either way. */
  async first(): Promise<RowProxy<T> | null> {
    const layout = this.#check()
    const values = this.#rows[this.#next]
    this.close()
    return values === undefined ? null : makeRow<T>(layout, values)
  }

  /** The first column of the first remaining row, or null when there is no row; the proxy closes. */
  async scalar<V = unknown>(): Promise<V | null> {
    const row = await this.first()
    return row === null ? null : (row[0] as V)
  }

  /** Drop the rows (idempotent). */
  close(): void {
    this.#closed = true
    this.#rows = []
  }

  /** Rows one by one; the proxy closes at the end or when the loop is left early. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RowProxy<T>, void, undefined> {
    try {
      for (;;) {
        const row = await this.fetchOne()
        if (row === null) return
        yield row
      }
    } finally {
      this.close()
    }
  }

  #check(): RowLayout {
    if (this.#layout === null) {
      throw new ResourceClosedError(
        'This result object does not return rows. It has been closed automatically.',
      )
    }
    if (this.#closed) throw new ResourceClosedError('This result object is closed.')
    return this.#layout
  }
}
