// Which failed transactions pool.transaction({ retries }) may run again (SPEC §12): 1213, 1205,
// 1047 and the read-only refusals (1290, 1792, 1836) at any point; a lost connection only before COMMIT was sent (or when the COMMIT never left);
// nothing else. isConnectionLost, and the commitUnknown error for a connection lost after COMMIT.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { IntegrityError, InterfaceError, OperationalError } from '../../src/errors.ts'
import { commitUnknown, isConnectionLost, mayRetry } from '../../src/pool/transaction-retry.ts'
import { lostConnectionError } from '../support/errors.ts'

const lost = lostConnectionError

void test('mayRetry: deadlock/certification (1213), lock wait (1205), node not ready (1047), read-only (1290, 1792, 1836): any phase', () => {
  for (const [errno, code] of [
    [1213, 'ER_LOCK_DEADLOCK'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT'],
    [1047, 'ER_UNKNOWN_COM_ERROR'],
    [1290, 'ER_OPTION_PREVENTS_STATEMENT'],
    [1792, 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION'],
    [1836, 'ER_READ_ONLY_MODE'],
  ] as const) {
    const e = new OperationalError('refused', { errno, code })
    assert.equal(mayRetry(e, false), true, `${errno} before COMMIT`)
    assert.equal(mayRetry(e, true), true, `${errno} from COMMIT itself (rolled back)`)
  }
})

void test('mayRetry: a lost connection before COMMIT was sent may be retried', () => {
  assert.equal(mayRetry(lost(true), false), true)
  assert.equal(mayRetry(lost(), false), true)
  for (const errno of [2006, 2002, 2003, 2055, 1927]) {
    assert.equal(mayRetry(new OperationalError('gone', { errno, fatal: true }), false), true, String(errno))
  }
})

void test('mayRetry: a lost connection after COMMIT was sent is not retried, unless COMMIT never left', () => {
  assert.equal(mayRetry(lost(true), true), false, 'COMMIT on the wire: the outcome is unknown')
  assert.equal(mayRetry(lost(), true), false, 'unknown whether it left: not retried')
  assert.equal(mayRetry(lost(false), true), true, 'COMMIT still queued: it certainly did not run')
})

void test('mayRetry: anything else is not retried', () => {
  assert.equal(mayRetry(new Error('boom'), false), false, 'not a MySQLError')
  assert.equal(mayRetry({ errno: 1213, fatal: false }, false), false, 'a look-alike object')
  assert.equal(mayRetry(undefined, false), false)
  assert.equal(mayRetry('1213', false), false)
  const dup = new IntegrityError("Duplicate entry '1' for key 'PRIMARY'", {
    errno: 1062,
    code: 'ER_DUP_ENTRY',
  })
  assert.equal(mayRetry(dup, false), false)
  assert.equal(mayRetry(dup, true), false)
  for (const errno of [1064, 1146, 0]) {
    assert.equal(mayRetry(new OperationalError('no', { errno }), false), false, String(errno))
  }
  // A connection error the client raised without the connection being gone (not fatal).
  assert.equal(mayRetry(new OperationalError('x', { errno: 2013, fatal: false }), false), false)
  // Already marked commitUnknown: never again, whatever its errno.
  assert.equal(mayRetry(new OperationalError('x', { errno: 1213, commitUnknown: true }), false), false)
  assert.equal(mayRetry(commitUnknown(lost(true)), false), false)
})

void test('isConnectionLost: fatal errors of a gone connection only', () => {
  for (const errno of [1927, 2002, 2003, 2006, 2013, 2055]) {
    assert.equal(isConnectionLost(new OperationalError('x', { errno, fatal: true })), true, String(errno))
    assert.equal(
      isConnectionLost(new OperationalError('x', { errno, fatal: false })),
      false,
      `${errno} not fatal`,
    )
  }
  assert.equal(isConnectionLost(new InterfaceError('closed', { errno: 2000, fatal: true })), false)
  assert.equal(isConnectionLost(new OperationalError('x', { errno: 1213, fatal: true })), false)
  assert.equal(isConnectionLost(new Error('x')), false)
})

void test('commitUnknown: an OperationalError that keeps the cause and says the outcome is unknown', () => {
  const cause = lost(true)
  const e = commitUnknown(cause)
  assert.ok(e instanceof OperationalError, 'an OperationalError')
  assert.deepEqual(
    [e.errno, e.code, e.sqlState, e.fatal, e.sentToServer, e.commitUnknown],
    [2013, 'CR_SERVER_LOST', 'HY000', true, true, true],
  )
  assert.equal(e.cause, cause)
  assert.match(e.message, /after COMMIT was sent/)
  assert.match(e.message, /may or may not have committed/)
  assert.match(e.message, /not retried/)
  assert.ok(e.message.includes(cause.message), 'the original message is kept')
  assert.equal(cause.commitUnknown, false, 'ordinary errors are not commitUnknown')
})
