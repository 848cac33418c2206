// Error codes and classes: the generated table against numbers users know, the errno/SQLSTATE -> class
// mapping (PyMySQL's lists first, then the SQLSTATE class), and what toError/clientError build.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorCodes, errorName, errnoByName, errorSqlState } from '../../src/error-codes.ts'
import { clientError, errorClassFor, toError } from '../../src/error-map.ts'
import {
  DataError,
  DatabaseError,
  IntegrityError,
  InterfaceError,
  InternalError,
  MySQLError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
} from '../../src/errors.ts'
import type { ErrorRecord } from '../../src/errors.ts'

void test('generated table has the well-known server errnos with their names and SQLSTATEs', () => {
  const expected: Array<[number, string, string | undefined]> = [
    [1040, 'ER_CON_COUNT_ERROR', '08004'],
    [1045, 'ER_ACCESS_DENIED_ERROR', '28000'],
    [1049, 'ER_BAD_DB_ERROR', '42000'],
    [1062, 'ER_DUP_ENTRY', '23000'],
    [1064, 'ER_PARSE_ERROR', '42000'],
    [1146, 'ER_NO_SUCH_TABLE', '42S02'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT', undefined], // the list gives none; the server sends HY000
    [1213, 'ER_LOCK_DEADLOCK', '40001'],
    [1317, 'ER_QUERY_INTERRUPTED', '70100'],
    [1365, 'ER_DIVISION_BY_ZERO', '22012'],
    [1969, 'ER_STATEMENT_TIMEOUT', '70100'], // MariaDB's section 2, after start-error-number 1900
    [4025, 'ER_CONSTRAINT_FAILED', '23000'], // after skip-to-error-number 4000
  ]
  for (const [errno, name, sqlState] of expected) {
    assert.equal(errorName(errno), name, `errno ${errno}`)
    assert.equal(errorSqlState(errno), sqlState, `SQLSTATE of ${name}`)
    assert.equal(errnoByName(name), errno)
  }
})

void test('generated table has the client CR_* codes from errmsg.h', () => {
  const expected: Array<[number, string]> = [
    [2000, 'CR_UNKNOWN_ERROR'],
    [2003, 'CR_CONN_HOST_ERROR'],
    [2006, 'CR_SERVER_GONE_ERROR'],
    [2013, 'CR_SERVER_LOST'],
    [2014, 'CR_COMMANDS_OUT_OF_SYNC'],
    [2026, 'CR_SSL_CONNECTION_ERROR'],
    [2027, 'CR_MALFORMED_PACKET'],
    [2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD'],
  ]
  for (const [errno, name] of expected) {
    assert.equal(errorName(errno), name)
    assert.equal(errorCodes.get(errno)?.sqlState, '')
  }
})

void test('unknown errnos and placeholders read as UNKNOWN', () => {
  assert.equal(errorName(9999), 'UNKNOWN')
  assert.equal(errorSqlState(9999), undefined)
  assert.equal(errnoByName('ER_NOT_A_THING'), undefined)
  // MariaDB's ER_UNUSED_1 is MySQL's ER_QUERY_TIMEOUT; a placeholder name would mislead.
  assert.equal(errorName(3024), 'UNKNOWN')
})

void test('generated table is well formed', () => {
  assert.ok(errorCodes.size > 1000, `only ${errorCodes.size} codes`)
  const names = new Set<string>()
  for (const [errno, { name, sqlState }] of errorCodes) {
    assert.ok(Number.isInteger(errno) && errno > 0)
    assert.match(name, /^(ER|WARN|CR)_[A-Z0-9_]+$/)
    assert.match(sqlState, /^([0-9A-Z]{5})?$/)
    assert.ok(!names.has(name), `duplicate ${name}`)
    names.add(name)
  }
  assert.ok(Object.isFrozen(errorCodes.get(1062)))
})

void test('errorClassFor follows PyMySQL lists, then the SQLSTATE class', () => {
  const cases: Array<[number, string, typeof MySQLError, string]> = [
    [1062, '23000', IntegrityError, 'PyMySQL IntegrityError list'],
    [1048, '23000', IntegrityError, 'PyMySQL IntegrityError list'],
    [1452, '23000', IntegrityError, 'PyMySQL IntegrityError list'],
    [1064, '42000', ProgrammingError, 'PyMySQL ProgrammingError list'],
    [1146, '42S02', ProgrammingError, 'PyMySQL ProgrammingError list'],
    [1406, '22001', DataError, 'PyMySQL DataError list'],
    [1235, '42000', NotSupportedError, 'PyMySQL NotSupportedError list, over SQLSTATE 42'],
    [1045, '28000', OperationalError, 'PyMySQL OperationalError list'],
    [1040, '08004', OperationalError, 'PyMySQL OperationalError list'],
    [1044, '42000', OperationalError, 'PyMySQL OperationalError list, over SQLSTATE 42'],
    [1213, '40001', OperationalError, 'PyMySQL OperationalError list'],
    [4025, '23000', OperationalError, 'PyMySQL OperationalError list, over SQLSTATE 23'],
    [1049, '42000', OperationalError, "in no list: PyMySQL's fallback, pinned over SQLSTATE 42"],
    [1317, '70100', OperationalError, 'in no list; 70 unclassified -> errno >= 1000 fallback'],
    [1969, '70100', OperationalError, 'in no list; 70 unclassified -> errno >= 1000 fallback'],
    [1205, 'HY000', OperationalError, 'in no list; HY -> errno >= 1000 fallback'],
    [1365, '22012', DataError, 'in no list; SQLSTATE class 22'],
    [1054, '42S22', ProgrammingError, 'in no list; SQLSTATE class 42'],
    [1178, '42000', ProgrammingError, 'in no list; SQLSTATE class 42'],
    [9999, '23505', IntegrityError, 'unknown errno; SQLSTATE class 23'],
    [9999, '0A000', NotSupportedError, 'unknown errno; SQLSTATE class 0A'],
    [9999, '08S01', OperationalError, 'unknown errno; SQLSTATE class 08'],
    [9999, '', OperationalError, 'unknown errno, no SQLSTATE: errno >= 1000 fallback'],
    [999, 'HY000', InternalError, 'errno < 1000 fallback'],
    [2003, 'HY000', OperationalError, 'client: cannot connect'],
    [2006, 'HY000', OperationalError, 'client: gone away'],
    [2013, 'HY000', OperationalError, 'client: lost during query'],
    [2014, 'HY000', OperationalError, 'client: out of sync, as PyMySQL raises it'],
    [2026, '08S01', OperationalError, 'client: TLS'],
    [2059, 'HY000', OperationalError, 'client: auth plugin'],
    [2054, 'HY000', NotSupportedError, 'client: CR_NOT_IMPLEMENTED'],
    [2031, 'HY000', ProgrammingError, 'client: CR_PARAMS_NOT_BOUND'],
    [0, '', InterfaceError, "errno 0: PyMySQL's interface errors"],
  ]
  for (const [errno, sqlState, expected, why] of cases) {
    assert.equal(errorClassFor(errno, sqlState), expected, `${errno}/${sqlState}: ${why}`)
  }
})

const record = (overrides: Partial<ErrorRecord> = {}): ErrorRecord => ({
  errno: 1062,
  code: 'ER_DUP_ENTRY',
  sqlState: '23000',
  message: "Duplicate entry '1' for key 'PRIMARY'",
  fatal: false,
  ...overrides,
})

void test('toError builds the mapped class with every field set', () => {
  const error = toError(record(), 'INSERT INTO t (id) VALUES (?)')
  assert.ok(error instanceof IntegrityError)
  assert.ok(error instanceof DatabaseError)
  assert.ok(error instanceof MySQLError)
  assert.ok(error instanceof Error)
  assert.equal(error.name, 'IntegrityError')
  assert.equal(error.message, "Duplicate entry '1' for key 'PRIMARY'")
  assert.equal(error.errno, 1062)
  assert.equal(error.code, 'ER_DUP_ENTRY')
  assert.equal(error.sqlState, '23000')
  assert.equal(error.fatal, false)
  assert.equal(error.sql, 'INSERT INTO t (id) VALUES (?)')
  assert.match(String(error), /^IntegrityError: Duplicate entry/)
})

void test('toError without sql leaves it undefined, and starts the stack at its caller', () => {
  const error = toError(record({ errno: 1064, code: 'ER_PARSE_ERROR', sqlState: '42000', message: 'bad' }))
  assert.ok(error instanceof ProgrammingError)
  assert.equal(error.sql, undefined)
  const frames = (error.stack ?? '').split('\n').slice(1)
  assert.ok(frames[0]?.includes('errors.test.ts'), `first frame: ${frames[0]}`)
  assert.ok(!frames.some((frame) => frame.includes('error-map.ts')))
})

void test('toError fills a missing SQLSTATE and code from the table', () => {
  // 1040 arrives before the handshake, without '#SQLSTATE'.
  const error = toError(record({ errno: 1040, code: '', sqlState: '', message: 'Too many connections' }))
  assert.ok(error instanceof OperationalError)
  assert.equal(error.code, 'ER_CON_COUNT_ERROR')
  assert.equal(error.sqlState, '08004')
  const bare = toError(record({ errno: 1205, code: '', sqlState: '', message: 'Lock wait timeout' }))
  assert.equal(bare.sqlState, 'HY000')
  assert.equal(bare.code, 'ER_LOCK_WAIT_TIMEOUT')
})

void test('clientError fills errno, code and SQLSTATE', () => {
  const lost = clientError('CR_SERVER_LOST', 'Lost connection to server during query', true)
  assert.deepEqual(lost, {
    errno: 2013,
    code: 'CR_SERVER_LOST',
    sqlState: '08S01',
    message: 'Lost connection to server during query',
    fatal: true,
  })
  const sync = clientError('CR_COMMANDS_OUT_OF_SYNC', 'Commands out of sync', true)
  assert.equal(sync.errno, 2014)
  assert.equal(sync.sqlState, 'HY000')
  assert.equal(clientError('CR_CONN_HOST_ERROR', "Can't connect", true).errno, 2003)
  assert.equal(clientError('CR_SERVER_GONE_ERROR', 'gone', true).errno, 2006)
  assert.equal(clientError('CR_SSL_CONNECTION_ERROR', 'tls', true).errno, 2026)
  assert.equal(clientError('CR_MALFORMED_PACKET', 'bad packet', true).errno, 2027)
  assert.equal(clientError('CR_AUTH_PLUGIN_CANNOT_LOAD', 'no plugin', true).errno, 2059)
  // A server code raised client-side keeps its listed SQLSTATE.
  assert.equal(clientError('ER_DUP_ENTRY', 'dup', false).sqlState, '23000')
  // An unknown name keeps its code but gets CR_UNKNOWN_ERROR's number.
  const odd = clientError('CR_NOT_IN_TABLE', 'odd', false)
  assert.equal(odd.errno, 2000)
  assert.equal(odd.code, 'CR_NOT_IN_TABLE')
})

void test('a client record becomes an OperationalError carrying its fields', () => {
  const error = toError(
    clientError('CR_SERVER_LOST', 'Lost connection to server during query', true),
    'SELECT 1',
  )
  assert.ok(error instanceof OperationalError)
  assert.equal(error.name, 'OperationalError')
  assert.equal(error.errno, 2013)
  assert.equal(error.code, 'CR_SERVER_LOST')
  assert.equal(error.sqlState, '08S01')
  assert.equal(error.fatal, true)
  assert.equal(error.sql, 'SELECT 1')
})
