import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, DictCursor, InterfaceError, ProgrammingError } from '../../src/index.ts'
import { requireHarness, serverUrl } from '../support/env.ts'
import { open, tableName, withConnection } from '../support/db.ts'

test('connect with a URL, SELECT VERSION(), server info and thread id', async () => {
  await using conn = await connect(serverUrl)
  const cur = conn.cursor()
  await cur.execute('SELECT VERSION(), CONNECTION_ID()')
  const row = await cur.fetchOne()
  assert.ok(row)
  assert.equal(row[0], conn.getServerInfo())
  assert.equal(row[1], conn.threadId())
  assert.match(conn.getServerInfo(), /^\d+\.\d+\.\d+/)
})

test('unknown options are refused before connecting', async () => {
  await assert.rejects(connect(serverUrl, { nope: 1 } as never), ProgrammingError)
  await assert.rejects(
    connect(`${serverUrl}${serverUrl.includes('?') ? '&' : '?'}sslmode=required`),
    /unknown connection option/,
  )
})

test('ping, selectDb, and ping(reconnect) after the server killed the connection', async () => {
  await withConnection(async (conn) => {
    await conn.ping()
    await conn.selectDb('information_schema')
    assert.deepEqual(await conn.query('SELECT DATABASE() AS db'), [{ db: 'information_schema' }])
    const killer = await open()
    const before = conn.threadId()
    await killer.kill(before)
    await killer.ensureClosed()
    // The server closes the socket: wait until the client notices, then ping reconnects.
    for (let i = 0; i < 100 && !conn.closed; i++) await new Promise((r) => setTimeout(r, 10))
    await conn.ping(true)
    assert.notEqual(conn.threadId(), before)
    assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }])
  })
})

test('ping(false) on a closed connection rejects with InterfaceError', async () => {
  const conn = await open()
  conn.close()
  await assert.rejects(conn.ping(false), InterfaceError)
})

test('autocommit defaults to false, changes only when asked, and transactions follow IN_TRANS', async () => {
  await withConnection(async (conn) => {
    assert.equal(conn.getAutocommit(), false)
    const t = tableName('tx')
    await conn.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`)
    try {
      await conn.begin()
      await conn.query(`INSERT INTO ${t} VALUES (1, 1)`)
      assert.equal(conn.getTransactionStatus(), true)
      await conn.rollback()
      assert.equal(conn.getTransactionStatus(), false)
      assert.deepEqual(await conn.query(`SELECT * FROM ${t}`), [])
      await conn.begin()
      await conn.query(`INSERT INTO ${t} VALUES (2, 2)`)
      await conn.commit()
      assert.deepEqual(await conn.query(`SELECT id FROM ${t}`), [{ id: 2 }])
      await conn.autocommit(true)
      assert.equal(conn.getAutocommit(), true)
      assert.deepEqual(await conn.query('SELECT @@autocommit AS a'), [{ a: 1 }])
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
  await withConnection(async (conn) => assert.equal(conn.getAutocommit(), true), { autocommit: true })
})

test('insertId, rowCount and lastRowId after INSERT; showWarnings on demand', async () => {
  await withConnection(async (conn) => {
    const t = tableName('ins')
    await conn.query(`CREATE TABLE ${t} (id INT AUTO_INCREMENT PRIMARY KEY, v TINYINT)`)
    try {
      const cur = conn.cursor()
      assert.equal(await cur.execute(`INSERT INTO ${t} (v) VALUES (%s), (%s)`, [1, 2]), 2)
      assert.equal(cur.rowCount, 2)
      assert.equal(cur.lastRowId, 1)
      assert.equal(conn.insertId(), 1)
      await cur.execute(`INSERT IGNORE INTO ${t} (v) VALUES (%s)`, [1000])
      assert.equal(cur.warningCount, 1)
      const warnings = await conn.showWarnings()
      assert.equal(warnings.length, 1)
      assert.equal(warnings[0]![1], 1264) // out of range value
      await cur.execute(`SELECT * FROM ${t}`)
      assert.equal(cur.lastRowId, null)
      // Regression: a stale id from the earlier INSERT; aiomysql's insert_id() is 0 after rows.
      assert.equal(conn.insertId(), 0)
      // fetchMany(0) fetches arraySize rows, as aiomysql's fetchmany(0) does.
      cur.arraySize = 2
      await cur.execute(`SELECT * FROM ${t} ORDER BY id`)
      assert.equal((await cur.fetchMany(0)).length, 2)
      // description[5] is the definition's decimals byte: 31 for a DOUBLE expression, 39 for a string.
      await cur.execute("SELECT 1.5e0 AS d, 'x' AS s")
      assert.deepEqual(
        cur.description!.map((d) => d[5]),
        [31, 39],
      )
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('sqlMode is bound as a value and initCommand runs on connect', async () => {
  await withConnection(
    async (conn) => {
      const [row] = await conn.query<{ m: string; v: number }>('SELECT @@SESSION.sql_mode AS m, @init AS v')
      assert.equal(row!.m, 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES')
      assert.equal(row!.v, 42)
    },
    { sqlMode: 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES', initCommand: 'SET @init = 42' },
  )
  // A hostile sqlMode cannot break out of the literal it is bound into.
  await assert.rejects(
    open({ sqlMode: "'; SET @x = 1; --" }),
    (e: Error & { errno: number }) => e.errno === 1231,
  )
})

test('setCharset and the collation option send SET NAMES', async () => {
  await withConnection(
    async (conn) => {
      const [row] = await conn.query<{ c: string }>('SELECT @@collation_connection AS c')
      assert.equal(row!.c, 'utf8mb4_unicode_ci')
      await conn.setCharset('latin1')
      const [r2] = await conn.query<{ c: string; s: string }>("SELECT @@character_set_client AS c, 'é€' AS s")
      assert.equal(r2!.c, 'latin1')
      assert.equal(r2!.s, 'é€')
    },
    { collation: 'utf8mb4_unicode_ci' },
  )
})

test('close() is synchronous and idempotent; ensureClosed() twice is safe; queued calls reject', async () => {
  const conn = await open()
  const pending = conn.query('SELECT SLEEP(0.2)')
  conn.close()
  conn.close()
  await assert.rejects(pending, (e: Error & { fatal: boolean }) => e.fatal)
  assert.equal(conn.closed, true)
  const conn2 = await open()
  await conn2.ensureClosed()
  await conn2.ensureClosed()
  assert.equal(conn2.closed, true)
})

test('two concurrent execute calls on one connection each get their own rows', async () => {
  await withConnection(async (conn) => {
    const a = conn.cursor()
    const b = conn.cursor(DictCursor)
    const results = await Promise.all([
      a.execute('SELECT SLEEP(0.05), %s AS who', ['a']).then(() => a.fetchAll()),
      b.execute('SELECT %s AS who', ['b']).then(() => b.fetchAll()),
      conn.query('SELECT %s AS who', ['c']),
    ])
    assert.deepEqual(results, [[[0, 'a']], [{ who: 'b' }], [{ who: 'c' }]])
  })
})

test('escape, literal and escapeString', async () => {
  await withConnection(async (conn) => {
    assert.equal(conn.escape("it's"), "'it\\'s'")
    assert.equal(conn.literal(null), 'NULL')
    assert.equal(conn.escapeString('a\nb'), 'a\\nb')
  })
})

test('the password never appears in inspect, JSON or errors', async () => {
  const { inspect } = await import('node:util')
  const secret = 'sup3r-s3cret-pw'
  const url = new URL(serverUrl)
  url.password = secret
  const err = await connect(url.toString()).catch((e: unknown) => e)
  assert.ok(err instanceof Error)
  assert.ok(!inspect(err).includes(secret))
  await withConnection(async (conn) => {
    assert.ok(!inspect(conn).includes(new URL(serverUrl).password || '\0'))
    assert.ok(!JSON.stringify(conn.config).includes(new URL(serverUrl).password || '\0'))
  })
})

test('regression: ensureClosed() while a query runs lets it finish instead of dropping its reply', async () => {
  const conn = await open()
  const running = conn.query<{ s: number }>('SELECT SLEEP(0.2) AS s')
  const closing = conn.ensureClosed()
  assert.deepEqual(await running, [{ s: 0 }])
  await closing
  assert.equal(conn.closed, true)
})

test('ping() reconnect re-applies sqlMode, initCommand and autocommit', async () => {
  await withConnection(
    async (conn) => {
      const killer = await open()
      await killer.kill(conn.threadId())
      await killer.ensureClosed()
      for (let i = 0; i < 100 && !conn.closed; i++) await new Promise((r) => setTimeout(r, 10))
      await conn.ping()
      const [row] = await conn.query<{ m: string; v: number; a: number }>(
        'SELECT @@SESSION.sql_mode AS m, @init AS v, @@autocommit AS a',
      )
      assert.deepEqual(row, { m: 'ANSI_QUOTES', v: 7, a: 1 })
    },
    { sqlMode: 'ANSI_QUOTES', initCommand: 'SET @init = 7', autocommit: true },
  )
})

test('programName and connectAttributes reach the server', async (t) => {
  // The throwaway server runs with performance_schema on (MariaDB's default is off).
  if (requireHarness(t) === undefined) return
  await withConnection(
    async (conn) => {
      const rows = await conn.query<{ ATTR_NAME: string; ATTR_VALUE: string }>(
        'SELECT ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs WHERE PROCESSLIST_ID = CONNECTION_ID()',
      )
      const attrs = Object.fromEntries(rows.map((r) => [r.ATTR_NAME, r.ATTR_VALUE]))
      assert.equal(attrs['program_name'], 'aiomysql-test')
      assert.equal(attrs['team'], 'db')
      assert.equal(attrs['_client_name'], 'aiomysql-ts')
    },
    { programName: 'aiomysql-test', connectAttributes: { team: 'db' } },
  )
})
