// Tracing (SPEC §13): node:diagnostics_channel TracingChannels, traced with tracePromise, published
// only while someone subscribes (a check of hasSubscribers is all it costs otherwise). Context fields
// use mysql2's names so its subscribers port by renaming the channel. `query` is the statement as
// written, with its placeholders: values are never pasted into it.

import diagnostics from 'node:diagnostics_channel'

/** What subscribers of aiomysql:query and aiomysql:execute receive. */
export interface StatementTraceContext {
  /** The statement as written, with placeholders (%s, %(name)s or ?), never with values. */
  query: string
  /** The values bound to the placeholders (for executeMany: the rows). */
  values: unknown
  database: string
  /** Host name, or the Unix socket path. */
  serverAddress: string
  /** TCP port; absent for a Unix socket. */
  serverPort?: number
  /** The server's thread id for the connection (conn.threadId()). */
  connectionId: number
  /** Which server it is (OpenTelemetry's db.system.name). */
  system: 'mariadb' | 'mysql'
  /** On success: rows read (or affected) and the insert id. */
  result?: { rowCount: number; insertId: number | bigint | null }
  error?: unknown
}

/** What subscribers of aiomysql:connect receive. */
export interface ConnectTraceContext {
  database: string
  serverAddress: string
  serverPort?: number
  user: string
  /** Set once connected. */
  connectionId?: number
  error?: unknown
}

/** What subscribers of aiomysql:pool:acquire receive. */
export interface AcquireTraceContext {
  serverAddress: string
  serverPort?: number
  database: string
  /** Set once a connection was handed out. */
  connectionId?: number
  error?: unknown
}

export const queryChannel = diagnostics.tracingChannel<unknown, StatementTraceContext>('aiomysql:query')
export const executeChannel = diagnostics.tracingChannel<unknown, StatementTraceContext>('aiomysql:execute')
export const connectChannel = diagnostics.tracingChannel<unknown, ConnectTraceContext>('aiomysql:connect')
export const acquireChannel = diagnostics.tracingChannel<unknown, AcquireTraceContext>(
  'aiomysql:pool:acquire',
)

/** Where a connection goes, as the context fields name it (a Unix socket: its path, no port). */
export function serverFields(config: {
  readonly host: string
  readonly port: number
  readonly unixSocket: string | undefined
}): { serverAddress: string; serverPort?: number } {
  return config.unixSocket === undefined
    ? { serverAddress: config.host, serverPort: config.port }
    : { serverAddress: config.unixSocket }
}

/**
 * Trace getting a connection (aiomysql:connect, aiomysql:pool:acquire): `context` gains the
 * connection's id once `get` resolves, and subscribers see it as the result.
 */
export function tracedConnection<T extends { threadId(): number }, C extends { connectionId?: number }>(
  channel: diagnostics.TracingChannel<unknown, C>,
  context: C,
  get: () => Promise<T>,
): Promise<T> {
  return traced(
    channel,
    () => context,
    async () => {
      const conn = await get()
      context.connectionId = conn.threadId()
      return conn
    },
    () => ({ connectionId: context.connectionId }),
  )
}

/**
 * Run `run` traced on `channel` with the context `context()` builds — only when someone subscribes.
 * `outcome` turns the value into what subscribers see as `result` (a summary, not the rows).
 */
export function traced<T, C extends object>(
  channel: diagnostics.TracingChannel<unknown, C>,
  context: () => C,
  run: () => Promise<T>,
  outcome?: (value: T) => unknown,
): Promise<T> {
  if (!hasSubscribers(channel)) return run()
  let value: T
  return channel
    .tracePromise(async () => {
      value = await run()
      return outcome === undefined ? value : outcome(value)
    }, context())
    .then(() => value)
}

/**
 * TracingChannel.hasSubscribers, computed from the five channels where the runtime lacks the property
 * (Bun 1.4 leaves it undefined).
 */
export function hasSubscribers(channel: diagnostics.TracingChannel<unknown, object>): boolean {
  const own = (channel as { hasSubscribers?: boolean }).hasSubscribers
  if (own !== undefined) return own
  return (
    channel.start.hasSubscribers ||
    channel.end.hasSubscribers ||
    channel.asyncStart.hasSubscribers ||
    channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers
  )
}
