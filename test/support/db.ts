// Integration-test helpers: open a connection to the server under test, and give each test file
// its own table names so files can run in parallel against one server.

import { connect, type Connection, type ConnectionOptions } from '../../src/index.ts'
import { versionNumber, type ServerVersion } from '../../src/sql/lexer.ts'
import { serverUrl } from './env.ts'

export function open(options: ConnectionOptions = {}): Promise<Connection> {
  return connect(serverUrl, options)
}

let counter = 0
/** A table name unique to this process and call. */
export function tableName(prefix: string): string {
  return `t_${prefix}_${process.pid}_${++counter}`
}

/** Run `fn` with a connection that is closed afterwards, pass or fail. */
export async function withConnection<T>(
  fn: (conn: Connection) => Promise<T>,
  options: ConnectionOptions = {},
): Promise<T> {
  const conn = await open(options)
  try {
    return await fn(conn)
  } finally {
    await conn.ensureClosed()
  }
}

/**
 * A status variable of this session as the server prints it (SHOW SESSION STATUS). The name is the
 * test's own constant, written into the statement as text so that a connection opened with
 * `prepare: true` still sends the same plain statement.
 */
export async function sessionStatus(conn: Connection, name: string): Promise<string> {
  if (!/^\w+$/.test(name)) throw new Error(`not a status variable name: ${name}`)
  const rows = await conn.query<{ Value: string }>(`SHOW SESSION STATUS LIKE '${name}'`)
  return rows[0]!.Value
}

/** A counter among the session's status variables (Questions, Bytes_sent, Com_stmt_reset, …). */
export async function sessionCounter(conn: Connection, name: string): Promise<number> {
  return Number(await sessionStatus(conn, name))
}

/** Count of statements this session has sent (to prove that nothing was sent). */
export function questions(conn: Connection): Promise<number> {
  return sessionCounter(conn, 'Questions')
}

/** Statements a session is running now, seen from a separate connection (INFO LIKE `pattern`). */
export async function runningStatements(threadId: number, pattern = '%'): Promise<number> {
  const watcher = await open()
  try {
    const rows = await watcher.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = %s AND COMMAND = 'Query' AND INFO LIKE %s",
      [threadId, pattern],
    )
    return rows[0]!.n
  } finally {
    await watcher.ensureClosed()
  }
}

/** The server behind `conn` as the lexer needs it (which versioned comments it runs). */
export function serverVersionOf(conn: Connection): ServerVersion {
  const info = conn.getServerInfo()
  return { mariaDb: /mariadb/i.test(info), version: versionNumber(info) }
}
