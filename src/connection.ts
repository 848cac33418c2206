// The public Connection: open (handshake + session setup), queue commands, transactions, escaping
// and the small aiomysql helpers. Errors become classes here, after the await, so stacks show the
// caller's line.

import { debuglog } from 'node:util'
import { armCancellation, checkCancelOptions, type CancelOptions, type CancelTarget } from './cancel.ts'
import { builtinAuthPlugins } from './commands/auth-plugins.ts'
import { clientFailure, type Failure, type Session } from './commands/command.ts'
import { HandshakeCommand } from './commands/handshake.ts'
import { QueryCommand, type LocalInfileOpener, type QuerySink } from './commands/query.ts'
import { localInfileOpener } from './local-infile.ts'
import type { RowMode } from './commands/row-shape.ts'
import { initDb, ping, QuitCommand, resetConnection } from './commands/simple.ts'
import { resolveConfig, type ConnectionOptions, type ResolvedConfig } from './config.ts'
import { Cursor } from './cursor.ts'
import { toError } from './error-map.ts'
import { InterfaceError, MySQLError, ProgrammingError } from './errors.ts'
import { BufferedQuery, type BufferedResults } from './buffered-result.ts'
import { StreamingQuery } from './streaming-result.ts'
import { openSocket } from './net/transport.ts'
import { Wire } from './net/wire.ts'
import { ServerStatus } from './protocol/constants.ts'
import { escapeString, literal, type EscapeContext } from './sql/escape.ts'
import { formatQuery, refuseUnsafeCharset } from './sql/format.ts'
import { isSqlFragment, renderFragment, type SqlFragment } from './sql/tag.ts'
import { charsetByName } from './types/charsets.ts'

const echoLog = debuglog('aiomysql')
const noop = (): void => {}

/** A statement: text with %s / %(name)s placeholders, or a fragment from the `sql` tag. */
export type Query = string | SqlFragment

/** Turn a lower-layer failure into a public error class (a fresh object: stack = caller). */
export function raise(failure: Failure, sql?: string): MySQLError {
  return failure instanceof MySQLError ? failure : toError(failure, sql)
}

export class Connection {
  readonly #config: ResolvedConfig
  #wire: Wire
  readonly #session: Session
  #encode: ((sql: string) => Buffer) | null = null
  #charset: string
  readonly #openLocalFile: LocalInfileOpener | null
  #insertId: number | bigint = 0

  /** Not for direct use: connections come from connect() (or a pool). */
  constructor(config: ResolvedConfig, wire: Wire, session: Session) {
    this.#config = config
    this.#wire = wire
    this.#session = session
    this.#charset = config.charset
    this.#setEncoder(config.charset)
    this.#openLocalFile = localInfileOpener(config.localInfile, () => this.escapeContext().noBackslashEscapes)
  }

  /** @internal Open a socket, authenticate and apply the session settings. */
  static async open(config: ResolvedConfig): Promise<Connection> {
    const { wire, session } = await handshake(config)
    const conn = new Connection(config, wire, session)
    try {
      await conn.#applySessionSettings()
    } catch (e) {
      conn.close()
      throw e
    }
    return conn
  }

  get closed(): boolean {
    return this.#wire.closed
  }

  /** The options this connection was opened with (password hidden). */
  get config(): ResolvedConfig {
    return this.#config
  }

  /** @internal The escaping rules right now (server's NO_BACKSLASH_ESCAPES and the timezone). */
  escapeContext(): EscapeContext {
    return {
      noBackslashEscapes: (this.#session.status & ServerStatus.SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0,
      tzOffset: this.#config.types.tzOffset,
    }
  }

  /** @internal The exact SQL for a query and its arguments (what mogrify returns). */
  render(query: Query, args?: unknown): string {
    if (isSqlFragment(query)) {
      if (args !== undefined)
        throw new ProgrammingError('a sql`` fragment carries its own values; pass no args')
      refuseUnsafeCharset(this.#charset)
      return renderFragment(query, this.escapeContext())
    }
    if (typeof query !== 'string') throw new ProgrammingError('query must be a string or a sql`` fragment')
    if (args === undefined) return query
    refuseUnsafeCharset(this.#charset)
    return formatQuery(query, args, this.escapeContext())
  }

  /** @internal Run a text query, buffering every result set. */
  async runBuffered(
    query: Query,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: CancelOptions,
  ): Promise<BufferedResults> {
    checkCancelOptions(cancel)
    const sink = new BufferedQuery(mode)
    const cmd = this.#queryCommand(query, args, sink, onSql)
    const disarm =
      cancel === undefined ? noop : armCancellation(this.#cancelTarget(), cmd, cancel, (f) => sink.abort(f))
    this.#wire.enqueue(cmd)
    try {
      const results = await sink.promise
      const last = results.sets[results.sets.length - 1]
      if (last !== undefined && last.columns === null) this.#insertId = last.summary.insertId
      return results
    } catch (e) {
      throw raise(e as Failure, typeof query === 'string' ? query : undefined)
    } finally {
      disarm()
    }
  }

  /** @internal Run a text query whose rows stream to the caller (unbuffered cursors). */
  runStreaming(
    query: Query,
    args: unknown,
    mode: RowMode,
    onSql?: (sql: string) => void,
    cancel?: CancelOptions,
  ): StreamingQuery {
    checkCancelOptions(cancel)
    const sink = new StreamingQuery(mode, this.#wire)
    const cmd = this.#queryCommand(query, args, sink, onSql)
    sink.arm = (opts) =>
      opts === undefined ? noop : armCancellation(this.#cancelTarget(), cmd, opts, (f) => sink.abort(f))
    const disarm = sink.arm(cancel)
    this.#wire.enqueue(cmd)
    // Execute-time cancellation covers the wait for the first result; fetches arm their own.
    void sink.firstResult().then(disarm)
    return sink
  }

  #cancelTarget(): CancelTarget {
    return {
      wire: this.#wire,
      config: this.#config,
      threadId: this.#session.connectionId,
      killQuery: async (id) => {
        const side = await Connection.open(this.#config)
        try {
          await side.runBuffered(`KILL QUERY ${id}`, undefined, 'array')
        } finally {
          side.close()
        }
      },
    }
  }

  /** Run a statement and return the rows of its first result as objects. */
  async query<Row extends object = Record<string, unknown>>(
    query: Query,
    args?: unknown,
    options?: CancelOptions,
  ): Promise<Row[]> {
    const { sets } = await this.runBuffered(query, args, 'object', undefined, options)
    return (sets[0]?.rows ?? []) as Row[]
  }

  /** A new cursor (synchronously). `conn.cursor(DictCursor<User>)` types the rows. */
  cursor(): Cursor<unknown[]>
  cursor<C extends Cursor<unknown>>(cls: new (connection: Connection) => C): C
  cursor(cls?: new (connection: Connection) => Cursor<unknown>): Cursor<unknown> {
    return new (cls ?? Cursor)(this)
  }

  async ping(reconnect = true): Promise<void> {
    if (this.closed) {
      if (!reconnect)
        throw new InterfaceError('connection is closed', { errno: 2006, code: 'CR_SERVER_GONE_ERROR' })
      return this.#reconnect()
    }
    try {
      await this.#simple(ping(this.#session))
    } catch (e) {
      if (!reconnect || !(e instanceof MySQLError) || !e.fatal) throw e
      await this.#reconnect()
    }
  }

  async selectDb(db: string): Promise<void> {
    await this.#simple(initDb(this.#session, db))
  }

  async begin(): Promise<void> {
    await this.runBuffered('BEGIN', undefined, 'array')
  }

  async commit(): Promise<void> {
    await this.runBuffered('COMMIT', undefined, 'array')
  }

  async rollback(): Promise<void> {
    await this.runBuffered('ROLLBACK', undefined, 'array')
  }

  /** Set autocommit; talks to the server only when the mode changes. */
  async autocommit(value: boolean): Promise<void> {
    if (typeof value !== 'boolean') throw new ProgrammingError('autocommit takes a boolean')
    if (this.getAutocommit() === value) return
    await this.runBuffered(`SET autocommit = ${value ? 1 : 0}`, undefined, 'array')
  }

  getAutocommit(): boolean {
    return (this.#session.status & ServerStatus.SERVER_STATUS_AUTOCOMMIT) !== 0
  }

  /** Whether a transaction is open, from the server's IN_TRANS flag. */
  getTransactionStatus(): boolean {
    return (this.#session.status & ServerStatus.SERVER_STATUS_IN_TRANS) !== 0
  }

  /** The SQL literal for a value (SPEC §6). */
  literal(value: unknown): string {
    return literal(value, this.escapeContext())
  }

  escape(value: unknown): string {
    return this.literal(value)
  }

  /** The escaped body of a string, without quotes. */
  escapeString(value: string): string {
    if (typeof value !== 'string') throw new ProgrammingError('escapeString takes a string')
    return escapeString(value, this.escapeContext().noBackslashEscapes)
  }

  threadId(): number {
    return this.#session.connectionId
  }

  getServerInfo(): string {
    return this.#session.serverVersion
  }

  /** AUTO_INCREMENT id of the last INSERT on this connection (BIGINT rule: number or bigint). */
  insertId(): number | bigint {
    return this.#insertId
  }

  /** SHOW WARNINGS, on demand only (never fetched automatically). */
  async showWarnings(): Promise<unknown[][]> {
    const { sets } = await this.runBuffered('SHOW WARNINGS', undefined, 'array')
    return (sets[0]?.rows ?? []) as unknown[][]
  }

  /** KILL a connection by thread id. */
  async kill(threadId: number | bigint): Promise<void> {
    if (!(typeof threadId === 'bigint' || Number.isSafeInteger(threadId)) || threadId < 0) {
      throw new ProgrammingError('kill takes a non-negative integer thread id')
    }
    await this.runBuffered(`KILL ${String(threadId)}`, undefined, 'array')
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
    await this.runBuffered(sql, undefined, 'array')
    this.#charset = name
    this.#setEncoder(name)
  }

  /** @internal COM_RESET_CONNECTION, then the configured session settings again. */
  async resetSession(): Promise<void> {
    await this.#simple(resetConnection(this.#session))
    this.#charset = this.#config.charset
    this.#setEncoder(this.#charset)
    await this.#applySessionSettings()
  }

  /** Close the socket now (synchronous, idempotent). Queued commands reject. */
  close(): void {
    this.#wire.destroy(clientFailure('CR_CONNECTION_CLOSED', 'Connection closed by the client', true))
  }

  /** Send COM_QUIT after queued commands, then close. Safe to call twice. */
  async ensureClosed(): Promise<void> {
    if (this.closed) return
    const wire = this.#wire
    const gone = new Promise<void>((resolve) => {
      const previous = wire.onClose
      wire.onClose = (f) => {
        previous?.(f)
        resolve()
      }
    })
    wire.enqueue(new QuitCommand())
    // Queued statements finish first; then the server closes. A silent peer is cut off.
    const timer = setTimeout(() => this.close(), 2000)
    await gone
    clearTimeout(timer)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.ensureClosed()
  }

  /** A COM_QUERY whose SQL is rendered when it starts, so escaping sees the latest server status. */
  #queryCommand(query: Query, args: unknown, sink: QuerySink, onSql?: (sql: string) => void): QueryCommand {
    const render = (): string => {
      const sql = this.render(query, args)
      if (this.#config.echo) echoLog('%s', sql)
      onSql?.(sql)
      return sql
    }
    return new QueryCommand(this.#session, render, sink, this.#encode, this.#openLocalFile)
  }

  async #simple(cmd: { promise: Promise<unknown> } & Parameters<Wire['enqueue']>[0]): Promise<void> {
    this.#wire.enqueue(cmd)
    try {
      await cmd.promise
    } catch (e) {
      throw raise(e as Failure)
    }
  }

  async #reconnect(): Promise<void> {
    const { wire, session } = await handshake(this.#config)
    this.#wire = wire
    Object.assign(this.#session, session)
    this.#charset = this.#config.charset
    this.#setEncoder(this.#charset)
    await this.#applySessionSettings()
  }

  /** collation (SET NAMES), sqlMode (bound), autocommit, then initCommand. */
  async #applySessionSettings(): Promise<void> {
    const c = this.#config
    if (c.collation !== undefined) await this.setCharset(c.charset, c.collation)
    const sets: string[] = []
    if (c.sqlMode !== undefined) sets.push(`sql_mode = ${this.literal(c.sqlMode)}`)
    if (this.getAutocommit() !== c.autocommit) sets.push(`autocommit = ${c.autocommit ? 1 : 0}`)
    if (sets.length > 0) await this.runBuffered(`SET ${sets.join(', ')}`, undefined, 'array')
    if (c.initCommand !== undefined) await this.runBuffered(c.initCommand, undefined, 'array')
  }

  #setEncoder(charset: string): void {
    const utf8 = charset.startsWith('utf8') || charset === 'ascii' || charset === 'binary'
    this.#encode = utf8 ? null : (charsetByName(charset)?.info.encode ?? null)
  }
}

/** Connect and authenticate; resolves with the live wire and session. */
async function handshake(config: ResolvedConfig): Promise<{ wire: Wire; session: Session }> {
  const session: Session = {
    capabilities: 0,
    mariaDbCapabilities: 0,
    status: 0,
    serverVersion: '',
    isMariaDb: false,
    connectionId: 0,
    typeOptions: config.types,
    maxPacketSize: config.maxPacketSize,
  }
  const socket = openSocket(config)
  const wire = new Wire(socket, config.maxPacketSize, {
    host: config.host,
    mode: config.sslMode,
    options: config.ssl,
  })
  const attributes = new Map<string, string>([
    ['_client_name', 'aiomysql-ts'],
    ['_pid', String(process.pid)],
    ['_platform', process.arch],
    ['_os', process.platform],
  ])
  if (config.programName !== undefined) attributes.set('program_name', config.programName)
  for (const [k, v] of Object.entries(config.connectAttributes)) attributes.set(k, String(v))
  const hs = new HandshakeCommand(session, {
    user: config.user,
    password: config.password,
    database: config.db,
    // The handshake has one byte for it; larger ids go out with SET NAMES ... COLLATE afterwards.
    collationId:
      config.collationId <= 255
        ? config.collationId
        : (charsetByName(config.charset)?.defaultCollationId ?? 45),
    sslMode: config.sslMode,
    unixSocket: config.unixSocket !== undefined,
    localInfile: config.localInfile !== false,
    multiStatements: config.multiStatements,
    clientFlag: config.clientFlag,
    attributes,
    authPlugin: config.authPlugin,
    plugins: { ...builtinAuthPlugins, ...config.authPlugins },
    serverPublicKey: config.serverPublicKey,
    allowPublicKeyRetrieval: config.allowPublicKeyRetrieval,
  })
  const timer = setTimeout(() => {
    wire.destroy(
      clientFailure(
        'CR_CONN_HOST_ERROR',
        `Connect timeout: no session within ${config.connectTimeoutMs} ms`,
        true,
      ),
    )
  }, config.connectTimeoutMs)
  wire.enqueue(hs)
  try {
    await hs.promise
  } catch (e) {
    wire.destroy(e as Failure)
    throw raise(e as Failure)
  } finally {
    clearTimeout(timer)
  }
  return { wire, session }
}

/**
 * Open a connection: `connect({ host, user, ... })`, `connect('mysql://user:pw@host/db')`, or
 * `connect(url, options)` where the explicit options win over the URL's.
 */
export async function connect(
  options: ConnectionOptions | string = {},
  overrides?: ConnectionOptions,
): Promise<Connection> {
  const config =
    typeof options === 'string' ? resolveConfig(overrides ?? {}, options) : resolveConfig(options)
  return Connection.open(config)
}
