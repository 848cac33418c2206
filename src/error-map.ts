// errno/SQLSTATE -> PEP 249 class, and the builders that turn plain ErrorRecords into thrown errors.
// The class follows PyMySQL's errno table first (what aiomysql code already catches), then the SQLSTATE
// class, so codes PyMySQL never listed still land somewhere sensible.
import { errnoByName, errorName, errorSqlState } from './error-codes.ts'
import {
  DataError,
  IntegrityError,
  InterfaceError,
  InternalError,
  MySQLError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
} from './errors.ts'
import type { DatabaseError, ErrorRecord, MySQLErrorOptions } from './errors.ts'

type ErrorClass = typeof DatabaseError | typeof InterfaceError

function byErrno(cls: ErrorClass, errnos: readonly number[]): Array<[number, ErrorClass]> {
  return errnos.map((errno) => [errno, cls])
}

/** Explicit errno choices; they win over the SQLSTATE class (1044 is 42000 yet OperationalError). */
const ERRNO_CLASS: ReadonlyMap<number, ErrorClass> = new Map([
  // PyMySQL err.py, list by list.
  ...byErrno(ProgrammingError, [
    1007, // ER_DB_CREATE_EXISTS
    1149, // ER_SYNTAX_ERROR
    1064, // ER_PARSE_ERROR
    1146, // ER_NO_SUCH_TABLE
    1102, // ER_WRONG_DB_NAME
    1103, // ER_WRONG_TABLE_NAME
    1110, // ER_FIELD_SPECIFIED_TWICE
    1111, // ER_INVALID_GROUP_FUNC_USE
    1112, // ER_UNSUPPORTED_EXTENSION
    1113, // ER_TABLE_MUST_HAVE_COLUMNS
    1179, // ER_CANT_DO_THIS_DURING_AN_TRANSACTION
    1166, // ER_WRONG_COLUMN_NAME
  ]),
  ...byErrno(DataError, [
    1265, // WARN_DATA_TRUNCATED
    1263, // ER_WARN_NULL_TO_NOTNULL
    1264, // ER_WARN_DATA_OUT_OF_RANGE
    1230, // ER_NO_DEFAULT
    1171, // ER_PRIMARY_CANT_HAVE_NULL
    1406, // ER_DATA_TOO_LONG
    1441, // ER_DATETIME_FUNCTION_OVERFLOW
    1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  ]),
  ...byErrno(IntegrityError, [
    1062, // ER_DUP_ENTRY
    1216, // ER_NO_REFERENCED_ROW
    1452, // ER_NO_REFERENCED_ROW_2
    1217, // ER_ROW_IS_REFERENCED
    1451, // ER_ROW_IS_REFERENCED_2
    1215, // ER_CANNOT_ADD_FOREIGN
    1048, // ER_BAD_NULL_ERROR
  ]),
  ...byErrno(NotSupportedError, [
    1196, // ER_WARNING_NOT_COMPLETE_ROLLBACK
    1235, // ER_NOT_SUPPORTED_YET
    1289, // ER_FEATURE_DISABLED
    1286, // ER_UNKNOWN_STORAGE_ENGINE
  ]),
  ...byErrno(OperationalError, [
    1044, // ER_DBACCESS_DENIED_ERROR
    1045, // ER_ACCESS_DENIED_ERROR
    1040, // ER_CON_COUNT_ERROR
    1142, // ER_TABLEACCESS_DENIED_ERROR
    1143, // ER_COLUMNACCESS_DENIED_ERROR
    1213, // ER_LOCK_DEADLOCK
    // PyMySQL lists this CHECK-constraint failure (SQLSTATE 23000) as operational; kept for compatibility.
    4025, // ER_CONSTRAINT_FAILED
    // Not in PyMySQL's lists, but PyMySQL's fallback makes it OperationalError and aiomysql's own tests
    // expect that for connect(db: 'missing'); without this its SQLSTATE 42000 would say ProgrammingError.
    1049, // ER_BAD_DB_ERROR
  ]),
  // Client codes that describe API misuse rather than a failing link (PEP 249's own examples).
  ...byErrno(ProgrammingError, [
    2030, // CR_NO_PREPARE_STMT
    2031, // CR_PARAMS_NOT_BOUND
    2034, // CR_INVALID_PARAMETER_NO
    2056, // CR_STMT_CLOSED
  ]),
  ...byErrno(NotSupportedError, [
    2054, // CR_NOT_IMPLEMENTED
    5003, // CR_FUNCTION_NOT_SUPPORTED
  ]),
])

/** SQLSTATE class (first two characters) -> class, for errnos the table above does not name. */
const SQLSTATE_CLASS: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['22', DataError], // data exception
  ['23', IntegrityError], // integrity constraint violation
  ['42', ProgrammingError], // syntax error or access rule violation
  ['0A', NotSupportedError], // feature not supported
  ['08', OperationalError], // connection exception
  ['28', OperationalError], // invalid authorization (1045 and friends)
  ['40', OperationalError], // transaction rollback: PyMySQL treats deadlock as operational
])

/** libmysql's client codes: 2000-2999, plus Connector/C's own 5000-5999. */
function isClientErrno(errno: number): boolean {
  return (errno >= 2000 && errno <= 2999) || (errno >= 5000 && errno <= 5999)
}

/**
 * The PEP 249 class for an error. errno 0 is PyMySQL's marker for interface errors ('Not connected');
 * client codes are OperationalError (2013 lost, 2014 out of sync, as PyMySQL raises them); HY000 and
 * unclassified states fall back to PyMySQL's rule: errno < 1000 InternalError, else OperationalError.
 */
export function errorClassFor(errno: number, sqlState: string): typeof DatabaseError | typeof InterfaceError {
  const explicit = ERRNO_CLASS.get(errno)
  if (explicit !== undefined) return explicit
  if (errno === 0) return InterfaceError
  if (isClientErrno(errno)) return OperationalError
  const byState = SQLSTATE_CLASS.get(sqlState.slice(0, 2).toUpperCase())
  if (byState !== undefined) return byState
  return errno < 1000 ? InternalError : OperationalError
}

/**
 * ERR packet record -> error instance. Message = server message. `sql` is attached as given: callers pass
 * the statement text with its placeholders, never the bound values, which would leak data into logs.
 * Call it from the public async method after the await, so the stack starts at the user's call.
 */
export function toError(record: ErrorRecord, sql?: string): MySQLError {
  // Packets sent before the handshake (1040 Too many connections) carry no SQLSTATE; use the listed one.
  const sqlState = record.sqlState !== '' ? record.sqlState : (errorSqlState(record.errno) ?? 'HY000')
  const cls = errorClassFor(record.errno, sqlState)
  const options: MySQLErrorOptions = {
    errno: record.errno,
    code: record.code !== '' ? record.code : errorName(record.errno),
    sqlState,
    fatal: record.fatal,
  }
  if (record.sentToServer !== undefined) options.sentToServer = record.sentToServer
  if (sql !== undefined) options.sql = sql
  const error = new cls(record.message, options)
  // Drop this helper's own frame so the trace's first line is the library method the user called.
  Error.captureStackTrace(error, toError)
  return error
}

/**
 * Link failures get 08S01 (ODBC's 'communication link failure', which the server also uses for its
 * ER_NET_* errors), so the SQLSTATE class agrees with OperationalError; every other client code is HY000.
 */
const LINK_FAILURES: ReadonlySet<string> = new Set([
  'CR_SOCKET_CREATE_ERROR',
  'CR_CONNECTION_ERROR',
  'CR_CONN_HOST_ERROR',
  'CR_IPSOCK_ERROR',
  'CR_UNKNOWN_HOST',
  'CR_SERVER_GONE_ERROR',
  'CR_SERVER_HANDSHAKE_ERR',
  'CR_SERVER_LOST',
  'CR_SERVER_LOST_EXTENDED',
  'CR_SSL_CONNECTION_ERROR',
  'CR_ERR_NET_READ',
  'CR_ERR_NET_WRITE',
])

const CR_UNKNOWN_ERROR = 2000

/**
 * A client-side error as a record, e.g. clientError('CR_SERVER_LOST', 'Lost connection to server during
 * query', true). errno comes from the generated table; a name it lacks gets CR_UNKNOWN_ERROR's number but
 * keeps its own code, because throwing here would hide the failure being reported.
 */
export function clientError(code: string, message: string, fatal: boolean): ErrorRecord {
  const errno = errnoByName(code) ?? CR_UNKNOWN_ERROR
  const sqlState = errorSqlState(errno) ?? (LINK_FAILURES.has(code) ? '08S01' : 'HY000')
  return { errno, code, sqlState, message, fatal }
}

/** Turn a lower-layer failure into a public error class (a fresh object: stack = caller). */
export function raise(failure: ErrorRecord | MySQLError, sql?: string): MySQLError {
  return failure instanceof MySQLError ? failure : toError(failure, sql)
}
