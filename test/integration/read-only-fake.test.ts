// A read-only server refusing statements (SPEC §12), played by the scripted fake server: ERR 1290
// (`--read-only`) and 1836 (read-only mode) reach the caller, the connection is discarded (the next
// acquire opens a new one: a new handshake), nothing is retried, and with two hosts the refusing
// host is marked down in pool.status() while the other takes over. Needs no MariaDB.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ColumnType, Command } from '../../src/protocol/constants.ts'
import { createPool, MySQLError, type Pool, type PoolOptions } from '../../src/index.ts'
import { FAKE_HOST, startFakeServer, type FakeServer, type FakeSession } from '../support/fake-server.ts'
import { columnCount, columnDef, err, ok, textRow } from '../support/packets.ts'

const READ_ONLY_1290 =
  'The MySQL server is running with the --read-only option so it cannot execute this statement'
const READ_ONLY_1836 = 'Running in read-only mode'

/** A one-column, one-row text result (the client asked for CLIENT_DEPRECATE_EOF: no EOF packets). */
function oneRow(s: FakeSession, name: string, value: string): void {
  s.write(columnCount(1))
  s.write(columnDef(name, ColumnType.MYSQL_TYPE_LONGLONG, 63))
  s.write(textRow([value]))
  s.write(ok({ header: 0xfe, status: 2 }))
}

/**
 * A server without Galera: session SETs, max_allowed_packet, SELECT 1 and transaction control are
 * answered; `readOnly` refuses INSERT with 1290 and UPDATE with 1836, otherwise they succeed. Every
 * statement is logged (per server) so a test can tell what ran where, and how often.
 */
function script(log: string[], readOnly: boolean) {
  return async (s: FakeSession): Promise<void> => {
    await s.readHandshakeResponse()
    s.write(ok())
    for (let i = 0; i < 500; i++) {
      let packet
      try {
        packet = await s.read(10_000)
      } catch {
        return // the client closed the connection
      }
      const command = packet.payload[0]
      if (command === Command.COM_QUIT) return
      if (command === Command.COM_PING) {
        s.write(ok())
        continue
      }
      if (command !== Command.COM_QUERY) {
        s.write(err(1047, '08S01', 'Unknown command'))
        continue
      }
      const sql = packet.payload.toString('utf8', 1)
      log.push(sql)
      if (/^\s*(SET|BEGIN|START TRANSACTION|COMMIT|ROLLBACK)\b/i.test(sql)) s.write(ok())
      else if (/@@max_allowed_packet/.test(sql)) oneRow(s, '@@max_allowed_packet', '16777216')
      else if (/@@wsrep_on/.test(sql)) s.write(err(1193, 'HY000', "Unknown system variable 'wsrep_on'"))
      else if (/^SHOW GLOBAL STATUS/i.test(sql)) s.write(err(1064, '42000', 'not here'))
      else if (/^SELECT 1$/.test(sql)) oneRow(s, '1', '1')
      else if (/^INSERT/.test(sql))
        s.write(readOnly ? err(1290, 'HY000', READ_ONLY_1290) : ok({ affectedRows: 1 }))
      else if (/^UPDATE/.test(sql))
        s.write(readOnly ? err(1836, 'HY000', READ_ONLY_1836) : ok({ affectedRows: 1 }))
      else s.write(err(1064, '42000', `fake server does not understand ${sql}`))
    }
  }
}

async function server(log: string[], readOnly: boolean): Promise<FakeServer> {
  return startFakeServer(script(log, readOnly), { ssl: false, plugin: 'mysql_native_password' })
}

function options(extra: PoolOptions): PoolOptions {
  return { user: 'u', sslMode: 'disabled', connectTimeoutMs: 3000, acquireTimeoutMs: 5000, ...extra }
}

/** Poll until `done()`; fails after `limitMs`. */
async function until(done: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`not within ${limitMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** terminate() (lent connections too, should a test fail midway) and waitClosed(), bounded. */
async function shut(pool: Pool): Promise<void> {
  pool.terminate()
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    pool.waitClosed(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the pool did not close within 5 s')), 5000)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** The rejection of `p`, checked to be a MySQLError with this errno. */
async function refusedWith(p: Promise<unknown>, errno: number, message: string): Promise<MySQLError> {
  let caught: unknown
  await assert.rejects(p, (e: unknown) => {
    caught = e
    return true
  })
  assert.ok(caught instanceof MySQLError, `expected a MySQLError, got ${String(caught)}`)
  assert.equal(caught.errno, errno, caught.message)
  assert.equal(caught.sqlState, 'HY000')
  assert.equal(caught.message, message)
  return caught
}

const count = (log: readonly string[], re: RegExp): number => log.filter((sql) => re.test(sql)).length

test('1290 from pool.query reaches the caller; the connection is discarded, not retried', async () => {
  const log: string[] = []
  await using fake = await server(log, true)
  const pool = await createPool(options({ host: FAKE_HOST, port: fake.port, minSize: 1, maxSize: 2 }))
  try {
    assert.equal(fake.sessions.length, 1)
    await refusedWith(pool.query('INSERT INTO t VALUES (1)'), 1290, READ_ONLY_1290)
    assert.equal(count(log, /^INSERT/), 1, 'run once, not retried')
    await until(() => fake.sessions[0]!.closed, 'the refused connection to be closed')
    assert.deepEqual([pool.size, pool.freeSize], [0, 0], 'it left the pool')
    // The next statement needs a new connection: a second handshake.
    assert.deepEqual(await pool.query('SELECT 1'), [{ '1': 1 }])
    assert.equal(fake.sessions.length, 2)
    assert.deepEqual([pool.size, pool.freeSize], [1, 1])
    assert.equal(count(log, /^INSERT/), 1)
  } finally {
    await shut(pool)
  }
  await fake.finished()
})

test('1836 inside pool.transaction reaches the caller; the connection is never lent again', async () => {
  const log: string[] = []
  await using fake = await server(log, true)
  const pool = await createPool(options({ host: FAKE_HOST, port: fake.port, minSize: 1, maxSize: 1 }))
  try {
    let calls = 0
    await refusedWith(
      pool.transaction(async (conn) => {
        calls++
        await conn.query('UPDATE t SET v = 1')
      }),
      1836,
      READ_ONLY_1836,
    )
    assert.equal(calls, 1)
    assert.equal(count(log, /^UPDATE/), 1, 'not retried')
    assert.equal(count(log, /^COMMIT/), 0, 'nothing committed')
    const conn = await pool.acquire()
    assert.equal(fake.sessions.length, 2, 'the acquire after it opened a new connection')
    await until(() => fake.sessions[0]!.closed, 'the refused connection to be closed')
    assert.deepEqual(await conn.query('SELECT 1'), [{ '1': 1 }])
    pool.release(conn)
  } finally {
    await shut(pool)
  }
  await fake.finished()
})

test('two hosts: the read-only one is marked down in status(); the other takes the next statements', async () => {
  const primaryLog: string[] = []
  const standbyLog: string[] = []
  await using readOnly = await server(primaryLog, true)
  await using writable = await server(standbyLog, false)
  const pool = await createPool(
    options({
      hosts: [`${FAKE_HOST}:${readOnly.port}`, `${FAKE_HOST}:${writable.port}`],
      loadBalance: 'failover',
      hostDownMs: 20_000,
      minSize: 1,
      maxSize: 2,
    }),
  )
  try {
    assert.deepEqual([readOnly.sessions.length, writable.sessions.length], [1, 0], 'failover: the first host')
    // The default health check found no Galera (1193) and settled for ping.
    assert.equal(count(primaryLog, /@@wsrep_on/), 1)
    const before = Date.now()
    await refusedWith(pool.query('INSERT INTO t VALUES (1)'), 1290, READ_ONLY_1290)
    const [first, second] = pool.status().hosts
    assert.deepEqual([first!.host, first!.port, first!.state], [FAKE_HOST, readOnly.port, 'down'])
    assert.equal(first!.lastError?.errno, 1290)
    assert.ok(
      first!.retryAt instanceof Date && first!.retryAt.getTime() >= before + 20_000,
      'retryAt hostDownMs later',
    )
    assert.deepEqual([second!.state, second!.lastError, second!.retryAt], ['up', null, null])
    assert.equal(first!.open, 0, 'the refused connection left the pool')

    // Nothing was retried, here or on the other host.
    assert.equal(count(primaryLog, /^INSERT/), 1)
    assert.equal(count(standbyLog, /^INSERT/), 0)
    // The next statement goes to the writable host; the read-only one gets no new handshake.
    assert.deepEqual(await pool.query('INSERT INTO t VALUES (2)'), [])
    assert.equal(count(standbyLog, /^INSERT INTO t VALUES \(2\)/), 1)
    assert.deepEqual([readOnly.sessions.length, writable.sessions.length], [1, 1])
    await until(() => readOnly.sessions[0]!.closed, 'the refused connection to be closed')
    assert.deepEqual(
      pool.status().hosts.map((h) => [h.state, h.open]),
      [
        ['down', 0],
        ['up', 1],
      ],
    )
  } finally {
    await shut(pool)
  }
  await readOnly.finished()
  await writable.finished()
})

// Regression: after COM_QUIT the server closes the socket, and the Connection reported that as
// CR_SERVER_GONE_ERROR (2006) to its close listeners; the pool took it for a dying connection and
// marked the host down, so clear() and every retirement (maxLifetimeMs, idleTimeoutMs,
// poolRecycleMs) took healthy hosts out of rotation.
test('two hosts: clear() (a polite COM_QUIT) does not mark a healthy host down', async () => {
  const logA: string[] = []
  const logB: string[] = []
  await using a = await server(logA, false)
  await using b = await server(logB, false)
  const pool = await createPool(
    options({
      hosts: [`${FAKE_HOST}:${a.port}`, `${FAKE_HOST}:${b.port}`],
      hostDownMs: 20_000,
      minSize: 1,
    }),
  )
  try {
    await pool.clear()
    await until(() => a.sessions[0]!.closed, 'the connection to be closed')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(
      pool.status().hosts.map((h) => [h.state, h.lastError?.message ?? null]),
      [
        ['up', null],
        ['up', null],
      ],
    )
  } finally {
    await shut(pool)
  }
})
