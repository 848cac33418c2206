// What runs under a Connection's public API: statements are rendered here, at the caller (bad input
// throws before anything is queued), then handed to the connection's pipeline (net/pipeline.ts), which
// writes them at once or behind a barrier (SPEC §10). Also here: the prepared-statement runner, charset
// changes, reconnect and reset (which apply session-settings.ts again) and cancellation targets.
// Cursors, the pool and the health checks reach it with coreOf(conn); users never see it.

import { debuglog } from 'node:util'
import {
  armCancellation,
  checkCancelOptions,
  isCancellable,
  type CancelOptions,
  type CancelTarget,
} from './cancel.ts'
import { clientFailure, type Command, type Failure, type Session } from './commands/command.ts'
import {
  QueryCommand,
  textRequest,
  type Barriers,
  type LocalInfileOpener,
  type QueryRequest,
  type QuerySink,
} from './commands/query.ts'
import { localInfileOpener } from './local-infile.ts'
import type { RowMode } from './commands/row-shape.ts'
import { QuitCommand, resetConnection, resetStatement, type SimpleCommand } from './commands/simple.ts'
import type { ResolvedConfig } from './config.ts'
import type { Connection } from './connection.ts'
import { handshake } from './connect.ts'
import { raise } from './error-map.ts'
import { ProgrammingError } from './errors.ts'
import { BufferedQuery, type BufferedResults } from './buffered-result.ts'
import { StreamingQuery } from './streaming-result.ts'
import type { Pipeline } from './net/pipeline.ts'
import { MariaDbCapability, ServerStatus } from './protocol/constants.ts'
import { HEADER_SIZE } from './protocol/writer.ts'
import { PreparedRunner } from './prepared/runner.ts'
import type { StatementEntry } from './prepared/entry.ts'
import { bindStatement, PreparedStatement } from './prepared/statement.ts'
import {
  mayRequestLocalFile,
  renderQuery,
  runsPrepared,
  wantsPrepared,
  type Query,
  type Renderer,
  type StatementOptions,
} from './render.ts'
import { isBulkStatement, preparedText, toMarkers } from './sql/markers.ts'
import { bufferedSummary, traceStatement, tracingStatements } from './statement-trace.ts'
import type { StatementTraceContext } from './tracing.ts'
import { applySessionSettings } from './session-settings.ts'
import type { EscapeContext } from './sql/escape.ts'
import { versionNumber, type ServerVersion } from './sql/lexer.ts'
import { refuseUnsafeCharset } from './sql/format.ts'
import { charsetByName } from './types/charsets.ts'

const echoLog = debuglog('aiomysql')
const noop = (): void => {}

/** Encodes statement text for the connection charset; null means UTF-8. */
type Encoder = ((sql: string) => Buffer) | null

// Kept outside the Connection so nothing internal shows on the public object.
const cores = new WeakMap<Connection, ConnectionCore>()

/** The core under a Connection (cursors, the pool, health checks). */
export function coreOf(conn: Connection): ConnectionCore {
  const core = cores.get(conn)
  if (core === undefined) throw new ProgrammingError('not a Connection made by connect() or a pool')
  return core
}

/** Called once by the Connection constructor. */
export function attachCore(conn: Connection, core: ConnectionCore): void {
  cores.set(conn, core)
}

/** One connection's session, pipeline and statement machinery. */
export class ConnectionCore {
  readonly config: ResolvedConfig
  #pipe: Pipeline
  readonly session: Session
  /** Charset and encoder for statements rendered from now on (changed when SET NAMES is issued). */
  #encode: Encoder = null
  #charset = ''
  readonly #openLocalFile: LocalInfileOpener | null
  /** Server-side prepared statements and their cache (SPEC §11). */
  readonly #prepared: PreparedRunner
  /** Which server this is: decides which versioned `/*!NNNNN` comments hold markers. */
  readonly #server: ServerVersion
  /** Set by the pool that lends the connection: `await using` then releases it instead of closing. */
  lease: (() => void) | null = null

  constructor(config: ResolvedConfig, pipe: Pipeline, session: Session) {
    this.config = config
    this.#pipe = pipe
    this.session = session
    this.#server = { mariaDb: session.isMariaDb, version: versionNumber(session.serverVersion) }
    this.#useCharset(config.charset)
    this.#openLocalFile = localInfileOpener(config.localInfile, () => this.escapeContext().noBackslashEscapes)
    this.#prepared = new PreparedRunner(
      {
        pipe: () => this.#pipe,
        session,
        bind: () => ({ tzOffset: config.types.tzOffset, encode: this.#encode }),
        database: () => session.database,
        checkSize: (bytes) => this.#checkSize(bytes),
        pipelining: config.pipelining,
      },
      config.preparedCacheSize,
    )
  }

  /** Open a socket, authenticate and apply the session settings. */
  static async open(config: ResolvedConfig): Promise<ConnectionCore> {
    const { pipe, session } = await handshake(config)
    const core = new ConnectionCore(config, pipe, session)
    try {
      await applySessionSettings(core)
    } catch (e) {
      core.close()
      throw e
    }
    return core
  }

  /** True once the socket is closed (by close(), ensureClosed(), the server, or a fatal error). */
  get closed(): boolean {
    return this.#pipe.closed
  }

  /** Commands written or queued and not yet answered (the pool shares the least busy). */
  get unanswered(): number {
    return this.#pipe.unanswered
  }

  /** Called once when the connection closes, for any reason (with why). */
  onClose(listener: (failure: Failure) => void): void {
    this.#pipe.onClose(listener)
  }

  /**
   * The errno of a refusal that says this server cannot serve the pool (1047 node not
   * ready, 1290/1792/1836 read-only), or 0. A pool discards such a connection and marks its host down.
   */
  get unfitErrno(): number {
    return this.session.unfitErrno
  }

  /** Whether autocommit is on, from the status the server last reported. */
  get autocommitOn(): boolean {
    return (this.session.status & ServerStatus.SERVER_STATUS_AUTOCOMMIT) !== 0
  }

  /** The first result's rows of an untraced statement (health checks): not a user statement. */
  async probe(sql: string): Promise<unknown[][]> {
    const { sets } = await this.run(sql, undefined, false)
    return (sets[0]?.rows ?? []) as unknown[][]
  }

  /**
   * The escaping rules right now (server's NO_BACKSLASH_ESCAPES and the timezone), as a
   * fresh object whose modeDependent flag a rendering sets.
   */
  escapeContext(): EscapeContext {
    return {
      noBackslashEscapes: (this.session.status & ServerStatus.SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0,
      tzOffset: this.config.types.tzOffset,
      server: this.#server,
      modeDependent: false,
    }
  }

  /** The exact SQL for a query and its arguments (what mogrify returns). */
  render(query: Query, args?: unknown): string {
    return renderQuery(query, args, this.#charset, this.escapeContext())
  }

  /** Throws when client-side interpolation is unsafe under the connection's charset. */
  checkInterpolationCharset(): void {
    refuseUnsafeCharset(this.#charset)
  }

  /** A renderer for query + args with this moment's charset (a deferred render keeps it). */
  renderer(query: Query, args: unknown): Renderer {
    const charset = this.#charset
    return (ctx) => renderQuery(query, args, charset, ctx)
  }

  /**
   * Run a text query, buffering every result set. Renders now (bad input throws here,
   * synchronously) and enqueues; the promise rejects with a lower-layer Failure, which the public
   * method that awaits it turns into an error class with raise() (so the stack shows the caller).
   */
  runBuffered(
    query: Query | PreparedStatement,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: StatementOptions,
  ): Promise<BufferedResults> {
    if (!tracingStatements()) return this.#runBuffered(query, args, mode, onSql, cancel)
    return this.#traced(
      query,
      args,
      cancel,
      () => this.#runBuffered(query, args, mode, onSql, cancel),
      bufferedSummary,
    )
  }

  /** runBuffered() without tracing (the session settings applied while connecting belong to connect). */
  #runBuffered(
    query: Query | PreparedStatement,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: StatementOptions,
  ): Promise<BufferedResults> {
    checkCancelOptions(cancel)
    const sink = new BufferedQuery(mode)
    return this.#enqueue(this.#commandFor(query, args, sink, onSql, cancel), sink, cancel)
  }

  /** Run `run` traced as one statement, on the channel of how it runs (prepared or text). */
  #traced<T>(
    query: Query | PreparedStatement,
    values: unknown,
    options: StatementOptions | undefined,
    run: () => Promise<T>,
    summary: (value: T) => StatementTraceContext['result'],
  ): Promise<T> {
    const prepared =
      query instanceof PreparedStatement || wantsPrepared(query, values, options, this.config.prepare)
    return traceStatement(prepared, query, values, this.session, this.config, run, summary)
  }

  /**
   * Run `run` (a whole executeMany call) traced as one statement whose values are its rows.
   */
  traceMany<T>(
    query: string,
    rows: readonly unknown[],
    options: StatementOptions | undefined,
    run: () => Promise<T>,
    summary: (value: T) => StatementTraceContext['result'],
  ): Promise<T> {
    return tracingStatements() ? this.#traced(query, rows, options, run, summary) : run()
  }

  /** runBuffered() for a statement given as a renderer (executeMany's batches). */
  runRendered(render: Renderer, mode: RowMode, onSql?: (sql: string) => void): Promise<BufferedResults> {
    const ctx = this.escapeContext()
    const sql = render(ctx)
    const sink = new BufferedQuery(mode)
    const cmd = this.#queryCommand(sql, ctx.modeDependent === true ? render : null, sink, onSql, false)
    return this.#enqueue(cmd, sink, undefined)
  }

  /** Write (or queue) a buffered statement; a cancellable one is armed for its whole run. */
  #enqueue(cmd: Command, sink: BufferedQuery, cancel: CancelOptions | undefined): Promise<BufferedResults> {
    if (!isCancellable(cancel)) {
      this.#pipe.enqueue(cmd)
      return sink.promise
    }
    const disarm = armCancellation(this.#cancelTarget(), cmd, cancel, (f) => sink.abort(f))
    this.#pipe.enqueue(cmd)
    return sink.promise.finally(disarm)
  }

  /**
   * The command for query + args, built here at the call site: a COM_QUERY rendered now (see
   * #queryCommand), or the execution of a prepared statement with its values bound now.
   */
  #commandFor(
    query: Query | PreparedStatement,
    args: unknown,
    sink: QuerySink,
    onSql: ((sql: string) => void) | undefined,
    cancel: StatementOptions | undefined,
  ): Command {
    if (query instanceof PreparedStatement || runsPrepared(query, args, cancel, this.config.prepare)) {
      return this.#executeCommand(query, args, sink, onSql, isCancellable(cancel))
    }
    const ctx = this.escapeContext()
    const sql = renderQuery(query, args, this.#charset, ctx)
    const again = ctx.modeDependent === true ? this.renderer(query, args) : null
    return this.#queryCommand(sql, again, sink, onSql, isCancellable(cancel))
  }

  /** A prepared statement's execution: markers and values made and checked now, then enqueued. */
  #executeCommand(
    query: Query | PreparedStatement,
    args: unknown,
    sink: QuerySink,
    onSql: ((sql: string) => void) | undefined,
    cancellable: boolean,
  ): Command {
    const barriers = cancellable ? CANCELLABLE : NO_BARRIERS
    if (query instanceof PreparedStatement) {
      const { entry, params } = bindStatement(query, this, args)
      this.#echo(entry.sql, onSql)
      return this.#prepared.runOwned(entry, params, sink, barriers)
    }
    const marked = toMarkers(query, args, this.escapeContext())
    this.#echo(marked.sql, onSql)
    return this.#prepared.run(marked, sink, barriers)
  }

  /**
   * executeMany with prepared statements: every row is turned into markers and values (and
   * checked) first; then one COM_STMT_BULK_EXECUTE per batch on MariaDB, else one execution per row,
   * all pipelined. Returns one result per batch or row.
   */
  async runPreparedMany(
    query: string,
    rows: readonly unknown[],
    mode: RowMode,
    onSql?: (sql: string) => void,
  ): Promise<Promise<BufferedResults>[]> {
    const ctx = this.escapeContext()
    const marked = rows.map((row) => toMarkers(query, row, ctx))
    const sql = marked[0]!.sql
    const bulk =
      (this.session.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS) !== 0 &&
      marked[0]!.params.length > 0 &&
      isBulkStatement(sql) &&
      marked.every((m) => m.sql === sql)
    const results: Promise<BufferedResults>[] = []
    const sinkFor = (): BufferedQuery => {
      const sink = new BufferedQuery(mode)
      results.push(sink.promise)
      return sink
    }
    if (!bulk) {
      this.#prepared.runMany(marked, sinkFor)
      for (const m of marked) this.#echo(m.sql, onSql)
      return results
    }
    const limit = this.#bulkLimit()
    this.#echo(sql, onSql)
    this.#prepared.bulk(
      sql,
      marked.map((m) => m.params),
      limit,
      sinkFor,
    )
    return results
  }

  /** Bytes one bulk packet may hold: the server's max_allowed_packet less room for the header. */
  #bulkLimit(): number {
    const server = this.session.serverMaxAllowedPacket
    return Math.min(server > 0 ? server : 1048576, 64 * 1024 * 1024) - 1024
  }

  /**
   * Refuse a statement the server would not take (larger than its max_allowed_packet, read at
   * connect): it would close the connection. Nothing is sent and the connection stays usable.
   */
  #checkSize(payloadBytes: number): void {
    const limit = this.session.serverMaxAllowedPacket
    if (limit > 0 && payloadBytes > limit) {
      throw raise(
        clientFailure(
          'CR_NET_PACKET_TOO_LARGE',
          `the statement is ${payloadBytes} bytes, more than the server's max_allowed_packet ` +
            `(${limit}); nothing was sent`,
          false,
        ),
      )
    }
  }

  #echo(sql: string, onSql: ((sql: string) => void) | undefined): void {
    if (this.config.echo) echoLog('%s', sql)
    onSql?.(sql)
  }

  /**
   * Prepare a statement on the server and keep it until close() (outside the cache). `%s` and
   * `%(name)s` become markers; text without them keeps its own `?` markers (as written for mysql2).
   * Run it with `cur.execute(stmt, args)`.
   */
  async prepare(query: Query): Promise<PreparedStatement> {
    let text: string
    let names: string[] | null = null
    if (typeof query === 'string') {
      const ctx = this.escapeContext()
      const t = preparedText(query, { backslashEscapes: !ctx.noBackslashEscapes, server: ctx.server })
      text = t.sql
      names = t.names
    } else {
      const marked = toMarkers(query, undefined, this.escapeContext())
      if (marked.params.length > 0)
        throw new ProgrammingError('prepare() takes the statement without values; pass them to execute()')
      text = marked.sql
    }
    const entry = this.#prepared.prepare(text)
    await entry.ready
    if (entry.failure !== null) throw raise(entry.failure, text)
    return new PreparedStatement(this, entry, names)
  }

  /** A PreparedStatement was closed by its user. */
  releaseStatement(entry: StatementEntry): void {
    this.#prepared.release(entry)
  }

  /** COM_STMT_RESET for a statement from conn.prepare(). */
  async resetStatement(entry: StatementEntry): Promise<void> {
    // The server keeps the parameter types; sending them again after a reset costs little and
    // assumes nothing.
    entry.serverTypes = null
    await this.simple(resetStatement(this.session, entry.id))
  }

  /** Prepared statements held in this connection's cache (tests and pool status). */
  get preparedCached(): number {
    return this.#prepared.cached
  }

  /** Run a query whose rows stream to the caller (unbuffered cursors). */
  runStreaming(
    query: Query | PreparedStatement,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: StatementOptions,
  ): StreamingQuery {
    const stream = this.#runStreaming(query, args, mode, onSql, cancel)
    // Traced until the whole result has streamed (or failed); the caller gets the stream at once.
    if (tracingStatements()) {
      const rows = (n: number): StatementTraceContext['result'] => ({ rowCount: n, insertId: null })
      void this.#traced(query, args, cancel, () => stream.completion(), rows).catch(noop)
    }
    return stream
  }

  #runStreaming(
    query: Query | PreparedStatement,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: StatementOptions,
  ): StreamingQuery {
    checkCancelOptions(cancel)
    // The sink arms cancellation of its own command, made right below (the command needs the sink).
    // eslint-disable-next-line prefer-const -- read by the closure, assigned once the sink exists
    let cmd: Command | undefined
    const sink = new StreamingQuery(mode, this.#pipe.io, (opts, abort) =>
      armCancellation(this.#cancelTarget(), cmd!, opts, abort),
    )
    cmd = this.#commandFor(query, args, sink, onSql, cancel)
    const disarm = sink.arm(cancel)
    this.#pipe.enqueue(cmd)
    // Execute-time cancellation covers the wait for the first result; fetches arm their own.
    void sink.firstResult().then(disarm)
    return sink
  }

  #cancelTarget(): CancelTarget {
    return {
      pipe: this.#pipe,
      config: this.config,
      threadId: this.session.connectionId,
      killQuery: async (id) => {
        const side = await ConnectionCore.open(this.config)
        try {
          await side.run(`KILL QUERY ${id}`)
        } finally {
          side.close()
        }
      },
    }
  }

  /** runBuffered() for the connection's own statements: a failure becomes its error class here. */
  async run(query: Query, args?: unknown, traced = true): Promise<BufferedResults> {
    try {
      return await (traced ? this.runBuffered(query, args, 'array') : this.#runBuffered(query, args, 'array'))
    } catch (e) {
      throw raise(e as Failure, typeof query === 'string' ? query : undefined)
    }
  }

  /**
   * A COM_QUERY for `sql`, rendered at the call site with the escaping rules as last reported. When the
   * text depends on NO_BACKSLASH_ESCAPES (`again` renders it once more) and earlier statements are
   * unanswered (one may change the mode), it becomes a barrier rendered again when written, once every
   * earlier reply is in.
   */
  #queryCommand(
    sql: string,
    again: Renderer | null,
    sink: QuerySink,
    onSql: ((sql: string) => void) | undefined,
    cancellable: boolean,
  ): QueryCommand {
    let source: QueryRequest | (() => QueryRequest)
    if (again === null || this.#pipe.idle) {
      source = textRequest(sql, this.#encode)
      this.#checkSize(source.payload.length - HEADER_SIZE)
      this.#echo(sql, onSql)
    } else {
      const encode = this.#encode
      source = () => {
        const text = again(this.escapeContext())
        const request = textRequest(text, encode)
        this.#checkSize(request.payload.length - HEADER_SIZE)
        this.#echo(text, onSql)
        return request
      }
    }
    const infile = this.#openLocalFile !== null && mayRequestLocalFile(sql)
    const barriers = cancellable ? CANCELLABLE : infile ? BLOCKS_LATER : NO_BARRIERS
    return new QueryCommand(this.session, source, sink, this.#openLocalFile, barriers)
  }

  /** Enqueue a simple command and wait for its OK; a failure becomes its error class here. */
  async simple(cmd: SimpleCommand): Promise<void> {
    this.#pipe.enqueue(cmd)
    try {
      await cmd.promise
    } catch (e) {
      throw raise(e as Failure)
    }
  }

  /** Open the connection again with the same options and session settings (ping's reconnect). */
  async reconnect(): Promise<void> {
    const { pipe, session } = await handshake(this.config)
    this.#pipe = pipe
    Object.assign(this.session, session)
    this.#prepared.forgetAll()
    this.#useCharset(this.config.charset)
    await applySessionSettings(this)
  }

  /** COM_RESET_CONNECTION, then the configured session settings again. */
  async resetSession(): Promise<void> {
    const reset = this.simple(resetConnection(this.session))
    this.#useCharset(this.config.charset)
    this.#prepared.forgetAll()
    await reset
    await applySessionSettings(this)
  }

  /** SET NAMES for a known charset (names come from the library's table, never from input). */
  async setCharset(charset: string, collation?: string): Promise<void> {
    const cs = charsetByName(charset.toLowerCase())
    if (cs === undefined) throw new ProgrammingError(`unknown charset ${JSON.stringify(charset)}`)
    const name = charset.toLowerCase()
    let sql = `SET NAMES ${name}`
    if (collation !== undefined) {
      if (!/^[a-z0-9_]+$/i.test(collation)) throw new ProgrammingError('invalid collation name')
      sql += ` COLLATE ${collation}`
    }
    // Statements issued from now on run after the SET NAMES, so they are rendered and encoded for the
    // new charset at once (rendering happens at the call site); a refused SET NAMES restores the old.
    const previous = this.#charset
    const done = this.run(sql)
    this.#useCharset(name)
    try {
      await done
    } catch (e) {
      if (this.#charset === name) this.#useCharset(previous)
      throw e
    }
  }

  /** Close the socket now (synchronous, idempotent). Queued commands reject. */
  close(): void {
    this.#pipe.destroy(clientFailure('CR_CONNECTION_CLOSED', 'Connection closed by the client', true))
  }

  /** Send COM_QUIT after queued commands, then close; a silent peer is cut off after 2 s. */
  async quit(): Promise<void> {
    if (this.closed) return
    const pipe = this.#pipe
    const gone = new Promise<void>((resolve) => pipe.onClose(() => resolve()))
    pipe.enqueue(new QuitCommand())
    const timer = setTimeout(() => this.close(), 2000)
    await gone
    clearTimeout(timer)
  }

  #useCharset(charset: string): void {
    this.#charset = charset
    const utf8 = charset.startsWith('utf8') || charset === 'ascii' || charset === 'binary'
    this.#encode = utf8 ? null : (charsetByName(charset)?.info.encode ?? null)
  }
}

const NO_BARRIERS: Barriers = {}
const BLOCKS_LATER: Barriers = { blocksLater: true }
/** Alone on the wire, so its KILL QUERY can reach only it. */
const CANCELLABLE: Barriers = { waitsForReplies: true, blocksLater: true }
