// PEP 249 error classes. Lower layers pass plain ErrorRecords; the public async method that awaited
// the failure builds the class (toError), so the stack points at the caller's line.

/** What every error carries, as a plain record (no stack) so the protocol layers stay cheap. */
export interface ErrorRecord {
  readonly errno: number
  readonly code: string
  readonly sqlState: string
  readonly message: string
  /** The connection can no longer be used. */
  readonly fatal: boolean
  /**
   * Set on a fatal failure: whether this command's bytes had left the client (it may have run on
   * the server) or it was still queued (it certainly did not run).
   */
  readonly sentToServer?: boolean
}

export interface MySQLErrorOptions {
  errno?: number
  code?: string
  sqlState?: string
  fatal?: boolean
  sentToServer?: boolean
  commitUnknown?: boolean
  sql?: string
  cause?: unknown
}

/** Base of every error this library throws. */
export class MySQLError extends Error {
  readonly errno: number
  readonly code: string
  readonly sqlState: string
  readonly fatal: boolean
  /**
   * Only on fatal errors (connection lost): true when this statement's bytes had been written, so
   * it may have run; false when it was still queued and certainly did not. Undefined otherwise.
   */
  readonly sentToServer: boolean | undefined
  /**
   * The connection was lost after COMMIT was sent: the transaction may or may not have committed,
   * so it was not retried (SPEC §12). False otherwise.
   */
  readonly commitUnknown: boolean
  /** The statement that failed (never the parameter values bound into it). */
  readonly sql: string | undefined

  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.errno = options.errno ?? 0
    this.code = options.code ?? 'UNKNOWN'
    this.sqlState = options.sqlState ?? 'HY000'
    this.fatal = options.fatal ?? false
    this.sentToServer = options.sentToServer
    this.commitUnknown = options.commitUnknown ?? false
    this.sql = options.sql
  }

  override get name(): string {
    return this.constructor.name
  }
}

export class Warning extends MySQLError {}
export class InterfaceError extends MySQLError {}
export class DatabaseError extends MySQLError {}
export class DataError extends DatabaseError {}
export class OperationalError extends DatabaseError {}
export class IntegrityError extends DatabaseError {}
export class InternalError extends DatabaseError {}
export class ProgrammingError extends DatabaseError {}
export class NotSupportedError extends DatabaseError {}

/** scroll() beyond a buffered result (a ProgrammingError, like PyMySQL's IndexError). */
export class IndexError extends ProgrammingError {}
