// aiomysql: the public entry point. Exports only; defines nothing.

/**
 * Async MySQL/MariaDB client: `connect()` and Connection, the DB-API cursors (Cursor, DictCursor,
 * SSCursor, SSDictCursor), server-side prepared statements, `createPool()` and Pool with
 * transactions over one server or several, the `sql` tag, and the PEP 249 error classes.
 *
 * @module aiomysql
 */
export { connect, Connection, type ConnectionWithCursor } from './connection.ts'
export { isCompiledStatement, type CompiledStatement, type Query, type StatementOptions } from './render.ts'
export { PreparedStatement } from './prepared/statement.ts'
export { Cursor, DictCursor, IndexError, type ColumnDescription } from './cursor.ts'
export { SSCursor, SSDictCursor } from './ss-cursor.ts'
export type {
  ConnectionOptions,
  CursorClass,
  HealthCheck,
  HostAddress,
  HostSpec,
  LoadBalance,
  PasswordProvider,
  ResolvedConfig,
  SslMode,
} from './config.ts'
export type { TypeOptions } from './types/options.ts'
export type { CastColumn, ValueConverter } from './types/cast.ts'
export type { Column } from './protocol/column.ts'
export {
  AuthRefused,
  type AuthPlugin,
  type AuthExchange,
  type AuthContext,
  type Channel,
} from './commands/auth-plugins.ts'
export {
  MySQLError,
  type MySQLErrorOptions,
  Warning,
  InterfaceError,
  DatabaseError,
  DataError,
  OperationalError,
  IntegrityError,
  InternalError,
  ProgrammingError,
  NotSupportedError,
} from './errors.ts'
export { sql, SqlFragment, isSqlFragment } from './sql/tag.ts'
export { escapeId } from './sql/escape.ts'
export { ColumnType, FieldFlag, ServerStatus } from './protocol/constants.ts'
export {
  createPool,
  Pool,
  type PooledConnection,
  type AcquireOptions,
  type TransactionOptions,
  type PoolStatus,
  type HostStatus,
  type PoolWithCursor,
} from './pool/pool.ts'
export type { PoolOptions, PoolSettings } from './pool/options.ts'
export type { CancelOptions } from './cancel.ts'
export type { LocalInfileHandler } from './local-infile.ts'
