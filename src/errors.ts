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

/**
 * What `new MySQLError(message, options)` (and every subclass) takes; each field becomes the property of the
 * same name.
 */
export interface MySQLErrorOptions {
  /** Server or client error number (default 0). */
  errno?: number
  /** Symbolic error name (default 'UNKNOWN'). */
  code?: string
  /** Five-character SQLSTATE (default 'HY000'). */
  sqlState?: string
  /** The connection can no longer be used (default false). */
  fatal?: boolean
  /** Fatal errors only: whether the statement's bytes had been written. */
  sentToServer?: boolean
  /** The connection was lost after COMMIT was sent (default false). */
  commitUnknown?: boolean
  /** The statement that failed, without its bound values. */
  sql?: string
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown
}

/** Base of every error this library throws. */
export class MySQLError extends Error {
  /**
   * The server's error number (e.g. 1062), a client code (2000-2999, e.g. 2013 for a lost connection), or 0
   * for errors raised by this library itself.
   */
  readonly errno: number
  /**
   * The error's symbolic name: 'ER_DUP_ENTRY', 'CR_SERVER_LOST', 'ABORT_ERR'…; 'UNKNOWN' when none applies.
   */
  readonly code: string
  /** The five-character SQLSTATE ('23000', '08S01'; 'HY000' when unclassified). */
  readonly sqlState: string
  /** The connection this happened on is closed and can no longer be used. */
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

  /** The class name ('IntegrityError', …), as `error.name` and stack traces show it. */
  override get name(): string {
    return this.constructor.name
  }
}

/**
 * PEP 249 `Warning`: kept for code ported from aiomysql that catches it; this library does not throw it (read
 * server warnings with SHOW WARNINGS).
 */
export class Warning extends MySQLError {}
/**
 * PEP 249 `InterfaceError`: a problem with the client interface rather than the database (a closed
 * connection or pool, a password function that failed).
 */
export class InterfaceError extends MySQLError {}
/**
 * PEP 249 `DatabaseError`: base of the errors that concern the database; the subclasses below say which kind.
 */
export class DatabaseError extends MySQLError {}
/** Bad data: a value out of range, too long or invalid for its column (SQLSTATE class 22, e.g. 1406). */
export class DataError extends DatabaseError {}
/**
 * Trouble with the database's operation, not the statement: a lost connection, access denied, deadlock,
 * timeout, too many connections (SQLSTATE classes 08, 28, 40; client codes).
 */
export class OperationalError extends DatabaseError {}
/** A constraint failed: duplicate key, foreign key, NOT NULL (SQLSTATE class 23, e.g. 1062). */
export class IntegrityError extends DatabaseError {}
/** The server reports an internal error (an unclassified errno below 1000). */
export class InternalError extends DatabaseError {}
/**
 * A mistake in the program: SQL syntax, a missing table, wrong arguments or options, a closed cursor
 * (SQLSTATE class 42; also the client's own argument checks).
 */
export class ProgrammingError extends DatabaseError {}
/** The server or this client does not support what was asked (SQLSTATE class 0A, e.g. 1235). */
export class NotSupportedError extends DatabaseError {}

/** scroll() beyond a buffered result (a ProgrammingError, like PyMySQL's IndexError). */
export class IndexError extends ProgrammingError {}
