// The public Connection: aiomysql's API and nothing else. Every method is a short step into the
// connection's core (connection-core.ts), which renders statements at the call site and hands them to
// the pipeline. Errors become classes after the await, so stacks show the caller's line.

import type { Failure } from './commands/command.ts'
import { initDb, ping } from './commands/simple.ts'
import { resolveConfig, type ConnectionOptions, type CursorClass, type ResolvedConfig } from './config.ts'
import { attachCore, ConnectionCore } from './connection-core.ts'
import { HostSet } from './hosts/host-set.ts'
import { openOnHosts } from './hosts/open.ts'
import { Cursor } from './cursor.ts'
import { raise } from './error-map.ts'
import { InterfaceError, MySQLError, ProgrammingError } from './errors.ts'
import type { BufferedResults } from './buffered-result.ts'
import { ServerStatus } from './protocol/constants.ts'
import type { PreparedStatement } from './prepared/statement.ts'
import type { Query, StatementOptions } from './render.ts'
import {
  connectChannel,
  hasSubscribers,
  serverFields,
  tracedConnection,
  type ConnectTraceContext,
} from './tracing.ts'
import { escapeString, literal } from './sql/escape.ts'

export type { Query, StatementOptions } from './render.ts'

/**
 * One connection to a MySQL or MariaDB server, made by `connect()` or lent by a Pool. Commands
 * issued together are pipelined; run statements with `query()`, a `cursor()` or `prepare()`. Close
 * it with `ensureClosed()` (polite) or `close()` (at once), or `await using`.
 * @hideconstructor
 */
export class Connection {
  readonly #core: ConnectionCore

  /** Not for direct use: connections come from connect() (or a pool). */
  constructor(core: ConnectionCore) {
    this.#core = core
    attachCore(this, core)
  }

  /** True once the socket is closed (by close(), ensureClosed(), the server, or a fatal error). */
  get closed(): boolean {
    return this.#core.closed
  }

  /** The options this connection was opened with (password hidden). */
  get config(): ResolvedConfig {
    return this.#core.config
  }

  /** Run a statement and return the rows of its first result as objects. */
  async query<Row extends object = Record<string, unknown>>(
    query: Query | PreparedStatement,
    args?: unknown,
    options?: StatementOptions,
  ): Promise<Row[]> {
    let results: BufferedResults
    try {
      results = await this.#core.runBuffered(query, args, 'object', undefined, options)
    } catch (e) {
      throw raise(e as Failure, typeof query === 'string' ? query : undefined)
    }
    return (results.sets[0]?.rows ?? []) as Row[]
  }

  /**
   * Prepare a statement on the server and keep it until close() (outside the cache). `%s` and
   * `%(name)s` become markers; text without them keeps its own `?` markers (as written for mysql2).
   * Run it with `cur.execute(stmt, args)`.
   */
  prepare(query: Query): Promise<PreparedStatement> {
    return this.#core.prepare(query)
  }

  /**
   * A new cursor (synchronously): of class `cls`, else the `cursorClass` option's, else Cursor.
   * `conn.cursor(DictCursor<User>)` types the rows.
   */
  cursor(): Cursor<unknown[]>
  cursor<C extends Cursor<unknown>>(cls: CursorClass<C>): C
  cursor(cls?: CursorClass): Cursor<unknown> {
    return new (cls ?? this.#core.config.cursorClass ?? Cursor)(this)
  }

  /**
   * Check the server answers (COM_PING). With `reconnect` (the default), a closed or lost
   * connection is opened again with the same options and session settings (prepared statements are
   * gone); without it, a closed connection is an InterfaceError.
   */
  async ping(reconnect = true): Promise<void> {
    const core = this.#core
    if (core.closed) {
      if (!reconnect)
        throw new InterfaceError('connection is closed', { errno: 2006, code: 'CR_SERVER_GONE_ERROR' })
      return core.reconnect()
    }
    try {
      await core.simple(ping(core.session))
    } catch (e) {
      if (!reconnect || !(e instanceof MySQLError) || !e.fatal) throw e
      await core.reconnect()
    }
  }

  /** Make `db` the default database (COM_INIT_DB, like USE). */
  async selectDb(db: string): Promise<void> {
    await this.#core.simple(initDb(this.#core.session, db))
    // Servers without session tracking do not report the change: it is known from the call.
    this.#core.session.database = db
  }

  /** Start a transaction (BEGIN). */
  async begin(): Promise<void> {
    await this.#core.run('BEGIN')
  }

  /** Commit the current transaction (COMMIT). */
  async commit(): Promise<void> {
    await this.#core.run('COMMIT')
  }

  /** Roll back the current transaction (ROLLBACK). */
  async rollback(): Promise<void> {
    await this.#core.run('ROLLBACK')
  }

  /** Set autocommit; talks to the server only when the mode changes. */
  async autocommit(value: boolean): Promise<void> {
    if (typeof value !== 'boolean') throw new ProgrammingError('autocommit takes a boolean')
    if (this.getAutocommit() === value) return
    await this.#core.run(`SET autocommit = ${value ? 1 : 0}`)
  }

  /** Whether autocommit is on, from the status the server last reported. */
  getAutocommit(): boolean {
    return this.#core.autocommitOn
  }

  /** Whether a transaction is open, from the server's IN_TRANS flag. */
  getTransactionStatus(): boolean {
    return (this.#core.session.status & ServerStatus.SERVER_STATUS_IN_TRANS) !== 0
  }

  /** The SQL literal for a value (SPEC §6). */
  literal(value: unknown): string {
    return literal(value, this.#core.escapeContext())
  }

  /** The same as literal() (aiomysql's name). */
  escape(value: unknown): string {
    return this.literal(value)
  }

  /** The escaped body of a string, without quotes. */
  escapeString(value: string): string {
    if (typeof value !== 'string') throw new ProgrammingError('escapeString takes a string')
    return escapeString(value, this.#core.escapeContext().noBackslashEscapes)
  }

  /** The server's id for this connection (CONNECTION_ID(), what KILL takes). */
  threadId(): number {
    return this.#core.session.connectionId
  }

  /** The server's version string from the handshake (e.g. '11.4.2-MariaDB'). */
  getServerInfo(): string {
    return this.#core.session.serverVersion
  }

  /** AUTO_INCREMENT id of the last INSERT on this connection (BIGINT rule: number or bigint). */
  insertId(): number | bigint {
    return this.#core.session.lastInsertId
  }

  /** SHOW WARNINGS, on demand only (never fetched automatically). */
  async showWarnings(): Promise<unknown[][]> {
    const { sets } = await this.#core.run('SHOW WARNINGS')
    return (sets[0]?.rows ?? []) as unknown[][]
  }

  /** KILL a connection by thread id. */
  async kill(threadId: number | bigint): Promise<void> {
    if (!(typeof threadId === 'bigint' || Number.isSafeInteger(threadId)) || threadId < 0) {
      throw new ProgrammingError('kill takes a non-negative integer thread id')
    }
    await this.#core.run(`KILL ${String(threadId)}`)
  }

  /** SET NAMES for a known charset (names come from the library's table, never from input). */
  setCharset(charset: string, collation?: string): Promise<void> {
    return this.#core.setCharset(charset, collation)
  }

  /** Close the socket now (synchronous, idempotent). Queued commands reject. */
  close(): void {
    this.#core.close()
  }

  /** Send COM_QUIT after queued commands, then close. Safe to call twice. */
  ensureClosed(): Promise<void> {
    return this.#core.quit()
  }

  /** `await using`: closes the connection, or gives it back to the pool that lent it. */
  async [Symbol.asyncDispose](): Promise<void> {
    const lease = this.#core.lease
    if (lease !== null) lease()
    else await this.#core.quit()
  }
}

/**
 * A connection whose `cursor()` makes the `cursorClass` it was opened with (what `connect` returns
 * when given one): `cursor()` is typed as that class.
 */
export type ConnectionWithCursor<C extends Cursor<unknown>> = {
  /** A new cursor of the connection's `cursorClass`. */
  cursor(): C
  /** A new cursor of the class given, as `Connection.cursor(cls)`. */
  cursor<D extends Cursor<unknown>>(cls: CursorClass<D>): D
} & Connection

/** Open one connection to the configured server (traced on `aiomysql:connect`): connect() and pools. */
export function openConnection(config: ResolvedConfig): Promise<Connection> {
  const open = async (): Promise<Connection> => new Connection(await ConnectionCore.open(config))
  if (!hasSubscribers(connectChannel)) return open()
  const context: ConnectTraceContext = {
    database: config.db ?? '',
    ...serverFields(config),
    user: config.user,
  }
  return tracedConnection(connectChannel, context, open)
}

/**
 * Open a connection: `connect({ host, user, ... })`, `connect('mysql://user:pw@host/db')`, or
 * `connect(url, options)` where the explicit options win over the URL's.
 */
export async function connect<C extends Cursor<unknown> = Cursor<unknown[]>>(
  options: (ConnectionOptions & { cursorClass?: CursorClass<C> }) | string = {},
  overrides?: ConnectionOptions & { cursorClass?: CursorClass<C> },
): Promise<ConnectionWithCursor<C>> {
  return (await connectTo(options, overrides)) as ConnectionWithCursor<C>
}

async function connectTo(
  options: ConnectionOptions | string,
  overrides: ConnectionOptions | undefined,
): Promise<Connection> {
  const config =
    typeof options === 'string' ? resolveConfig(overrides ?? {}, options) : resolveConfig(options)
  if (config.hosts.length === 1) return openConnection(config)
  // Several hosts: tried in loadBalance order, each new connection health-checked (SPEC §12).
  const hosts = new HostSet(config.hosts, config.loadBalance, config.hostDownMs)
  const { conn } = await openOnHosts(config, hosts, openConnection, { checked: true })
  return conn
}
