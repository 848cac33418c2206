// Buffered cursors (DB-API shape): Cursor gives rows as arrays, DictCursor as plain objects.
// execute() reads every result set of the statement; fetch* and nextSet() then work in memory.

import type { BufferedResults } from './buffered-result.ts'
import type { CancelOptions } from './cancel.ts'
import type { RowMode } from './commands/row-shape.ts'
import type { Connection, Query, StatementOptions } from './connection.ts'
import { coreOf, type ConnectionCore } from './connection-core.ts'
import type { PreparedStatement } from './prepared/statement.ts'
import type { Failure } from './commands/command.ts'
import { raise } from './error-map.ts'
import { ProgrammingError } from './errors.ts'
import { RowIterator } from './row-iterator.ts'
import type { RowSource } from './row-source.ts'
import { BufferedRows } from './rows-buffered.ts'
import { StreamingRows } from './rows-streaming.ts'
import type { Column } from './protocol/column.ts'
import { describe, type ColumnDescription } from './describe.ts'
import { escapeId, quoteQualifiedId } from './sql/escape.ts'
import { runsPrepared, type Renderer } from './render.ts'
import { checkBulkRows, nextBulkBatch, parseBulkInsert, renderBulkRange } from './sql/execute-many.ts'
import { checkQueryArgs } from './sql/format.ts'

export { describe, type ColumnDescription } from './describe.ts'

/**
 * A buffered cursor (DB-API shape) with rows as arrays: `execute()` reads every result set of the
 * statement into memory, then `fetchOne()` / `fetchMany()` / `fetchAll()`, `scroll()` and
 * `nextSet()` work on it. Get one with `conn.cursor()`; close it with `close()` or `await using`.
 * `Row` types the rows.
 */
export class Cursor<Row = unknown[]> {
  /** How rows are shaped; subclasses override. */
  protected get rowMode(): RowMode {
    return 'array'
  }

  /** Where rows are read from: memory (false) or the socket as they arrive (SSCursor: true). */
  protected get unbuffered(): boolean {
    return false
  }

  /** The connection statements run on. */
  readonly connection: Connection
  /** Rows fetched per fetchMany() call when no size is given. */
  arraySize = 1
  #columns: readonly Column[] | null = null
  #description: ColumnDescription[] | null = null
  /** Rows in the result (-1 while a streamed one is unread), or rows affected; -1 before execute. */
  rowCount = -1
  /** AUTO_INCREMENT id of an INSERT; null after a statement that returned rows. */
  lastRowId: number | bigint | null = null
  /** Warnings the server reported for the last statement (read them with `conn.showWarnings()`). */
  warningCount = 0
  /** The server's message in the OK packet of a statement without rows (e.g. "Rows matched: 2 ..."). */
  info = ''
  #closed = false
  #source: RowSource | null = null
  #executed: string | null = null
  /** What runs the statements under the connection's public API. */
  readonly #core: ConnectionCore

  constructor(connection: Connection) {
    this.connection = connection
    this.#core = coreOf(connection)
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** Rows read from the current result so far (moved by fetch* and scroll). */
  get rowNumber(): number {
    return this.#source?.position ?? 0
  }

  /** DB-API column descriptions of the current result; null for statements without rows. */
  get description(): ColumnDescription[] | null {
    if (this.#description === null && this.#columns !== null) this.#description = describe(this.#columns)
    return this.#description
  }

  /** The last statement sent, exactly (for logs and tests). */
  get lastExecuted(): string | null {
    return this.#executed
  }

  /**
   * Run a statement; resolves with the row count (-1 for an unbuffered result with rows). Args fill
   * %s (array) or %(name)s (object). `{ signal, timeoutMs }` stop it on the server (KILL QUERY) and
   * reject with code ABORT_ERR or ER_STATEMENT_TIMEOUT; the connection stays usable. `{ prepare: true }`
   * (or the connection's `prepare` option) runs it as a server-side prepared statement, as does a
   * PreparedStatement from conn.prepare() (SPEC §11).
   */
  async execute(
    query: Query | PreparedStatement,
    args?: unknown,
    options?: StatementOptions,
  ): Promise<number> {
    this.#checkOpen()
    // Only when there is something to let go of: a fresh cursor enqueues its statement synchronously,
    // so statements issued together leave in one write.
    if (this.#source !== null) await this.#release()
    this.#executed = null
    const onSql = (sql: string): void => {
      this.#executed = sql
    }
    const core = this.#core
    if (this.unbuffered) {
      const stream = core.runStreaming(query, args, this.rowMode, onSql, options)
      this.#use(await StreamingRows.open(stream, typeof query === 'string' ? query : undefined))
    } else {
      let results: BufferedResults
      try {
        results = await core.runBuffered(query, args, this.rowMode, onSql, options)
      } catch (e) {
        throw raise(e as Failure, typeof query === 'string' ? query : undefined)
      }
      this.#use(new BufferedRows(results))
    }
    return this.rowCount
  }

  /**
   * Run a statement for each row of args. INSERT/REPLACE ... VALUES become multi-row statements
   * of at most 1,024,000 bytes; anything else runs once per row. Every statement is rendered first
   * (a bad value throws before anything is sent), then all are written pipelined (SPEC §10).
   * Resolves with the summed row count; lastRowId is the first statement's insert id. If one fails,
   * the first failure is thrown; statements already written after it still ran, as on the server they
   * would have with the mariadb connector's batches: use a transaction to make the batch all-or-nothing.
   * With `{ prepare: true }` the rows are bound to one prepared statement: COM_STMT_BULK_EXECUTE batches
   * on MariaDB, one pipelined execution per row elsewhere.
   */
  async executeMany(query: string, rows: Iterable<unknown>, options?: StatementOptions): Promise<number> {
    this.#checkOpen()
    const list = [...rows]
    return this.#core.traceMany(
      query,
      list,
      options,
      () => this.#executeMany(query, list, options),
      (n) => ({
        rowCount: n,
        insertId: this.lastRowId,
      }),
    )
  }

  async #executeMany(query: string, list: unknown[], options: StatementOptions | undefined): Promise<number> {
    if (list.length === 0) return (this.rowCount = 0)
    const core = this.#core
    const plan = parseBulkInsert(query)
    const onSql = (sql: string): void => {
      this.#executed = sql
    }
    let runs: Promise<BufferedResults>[] = []
    if (runsPrepared(query, list, options, core.config.prepare)) {
      runs = await core.runPreparedMany(query, list, this.rowMode, onSql)
    } else if (plan !== null) {
      core.checkInterpolationCharset()
      const built = core.escapeContext()
      // Every row is checked first (nothing is sent if one is bad); then each statement is rendered
      // and written in turn, its bytes leaving while the next one is rendered.
      checkBulkRows(plan, list, built)
      for (let from = 0; from < list.length;) {
        const b = nextBulkBatch(plan, list, from, built)
        // The batch keeps its text for the mode it was built under and renders again only if the
        // mode it is finally written under differs (a batch deferred behind a mode change).
        const render: Renderer = (ctx) => {
          if (ctx.noBackslashEscapes !== built.noBackslashEscapes)
            return renderBulkRange(plan, list, b.from, b.to, ctx)
          if (built.modeDependent === true) ctx.modeDependent = true
          return b.sql
        }
        runs.push(core.runRendered(render, this.rowMode, onSql))
        from = b.to
        // A microtask turn: the coalesced write of this statement is flushed before the next render.
        if (from < list.length) await Promise.resolve()
      }
    } else {
      // Every row is checked first (as rendering would), so a bad value in row n sends nothing at all.
      const ctx = core.escapeContext()
      if (list.some((row) => row !== undefined)) core.checkInterpolationCharset()
      for (const row of list) checkQueryArgs(query, row, ctx)
      for (const row of list) runs.push(core.runRendered(core.renderer(query, row), this.rowMode, onSql))
    }
    const settled = await Promise.allSettled(runs)
    await this.#release()
    let total = 0
    let firstId: number | bigint | null = null
    for (const r of settled) {
      if (r.status === 'rejected') throw raise(r.reason as Failure, query)
      this.#use(new BufferedRows(r.value))
      total += this.rowCount
      firstId ??= this.lastRowId
    }
    this.lastRowId = firstId
    this.rowCount = total
    return total
  }

  /** The exact SQL execute() would send for these arguments. */
  mogrify(query: Query, args?: unknown): string {
    return this.#core.render(query, args)
  }

  /** The next row, or null at the end. Unbuffered: `{ signal, timeoutMs }` bound the wait for it. */
  async fetchOne(options?: CancelOptions): Promise<Row | null> {
    const source = this.#current()
    const row = (await source.next(options)) as Row | null
    if (row === null) this.#refresh(source)
    return row
  }

  /**
   * Up to `size` rows (default, and for 0 as in aiomysql: arraySize). Unbuffered: a signal or timeout
   * bounds the whole call.
   */
  async fetchMany(size: number = this.arraySize, options?: CancelOptions): Promise<Row[]> {
    const source = this.#current()
    if (!Number.isInteger(size) || size < 0)
      throw new ProgrammingError('fetchMany size must be a non-negative integer')
    if (size === 0) size = this.arraySize
    const rows = (await source.many(size, options)) as Row[]
    if (rows.length < size) this.#refresh(source)
    return rows
  }

  /** Every remaining row of the current result. */
  async fetchAll(options?: CancelOptions): Promise<Row[]> {
    const source = this.#current()
    // Buffered rows are at hand: no inner promise and await per call (a point select's garbage).
    const rows = (source.manyNow?.(Infinity) ?? (await source.many(Infinity, options))) as Row[]
    this.#refresh(source)
    return rows
  }

  /**
   * Move the row pointer. Buffered: both ways within the result (outside it: IndexError).
   * Unbuffered: forward only, skipping rows (backwards: NotSupportedError).
   */
  async scroll(value: number, mode: 'relative' | 'absolute' = 'relative'): Promise<void> {
    const source = this.#current()
    if (!Number.isInteger(value)) throw new ProgrammingError('scroll takes an integer')
    if (mode !== 'relative' && mode !== 'absolute')
      throw new ProgrammingError(`unknown scroll mode ${JSON.stringify(mode)}`)
    await source.moveTo(mode === 'relative' ? source.position + value : value)
  }

  /** Move to the next result set; false when there is none. A failed later statement rejects here. */
  async nextSet(): Promise<boolean> {
    this.#checkOpen()
    const source = this.#source
    if (source === null || !(await source.nextSet())) return false
    this.#use(source)
    return true
  }

  /** Call a stored procedure: arguments set as @_name_n in one round trip, then CALL. */
  async callProc(name: string, args: readonly unknown[] = []): Promise<unknown[]> {
    this.#checkOpen()
    if (typeof name !== 'string') throw new ProgrammingError('callProc takes the procedure name as a string')
    const proc = quoteQualifiedId(name)
    // aiomysql's variable names (@_name_n), quoted so no procedure name can break out of them.
    const vars = args.map((_, i) => `@${escapeId(`_${name}_${i}`)}`)
    if (args.length > 0) await this.execute(`SET ${vars.map((v) => `${v} = %s`).join(', ')}`, [...args])
    const params = vars.join(', ')
    await this.execute(`CALL ${proc}(${params})`)
    return [...args]
  }

  /** Close the cursor: buffered results are dropped, an unread stream is read and discarded. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#release()
  }

  /**
   * `for await (const row of cur)`: every remaining row of the current result. Rows already at hand
   * are handed out without waiting; only an empty queue waits (see RowIterator).
   */
  [Symbol.asyncIterator](): AsyncGenerator<Row, void, undefined> {
    return new RowIterator<Row>(
      () => this.#current().nextNow() as Row | undefined,
      () => this.fetchOne(),
    )
  }

  /** `await using cur = conn.cursor()`: close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Read from `source` now: its current result's attributes become the cursor's. */
  #use(source: RowSource): void {
    this.#source = source
    this.#refresh(source)
  }

  #refresh(source: RowSource): void {
    const info = source.info()
    if (info.columns !== this.#columns) {
      this.#columns = info.columns
      this.#description = null
    }
    this.rowCount = info.rowCount
    this.lastRowId = info.lastRowId
    this.warningCount = info.warningCount
    this.info = info.info
  }

  /** Let go of the current result (an unread stream is drained so the connection frees up). */
  async #release(): Promise<void> {
    const source = this.#source
    this.#source = null
    if (source !== null) await source.close()
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProgrammingError('Cursor closed')
  }

  #current(): RowSource {
    this.#checkOpen()
    if (this.#source === null) throw new ProgrammingError('execute() first')
    return this.#source
  }
}

/** Rows as plain objects keyed by column name (`table.column` when a name repeats). */
export class DictCursor<Row = Record<string, unknown>> extends Cursor<Row> {
  protected override get rowMode(): RowMode {
    return 'object'
  }
}

export { IndexError } from './errors.ts'
