// Server-side prepared statements against the real server (SPEC §11): the binary protocol gives the
// same values and descriptions as the text protocol for every type and type option; parameters
// round-trip byte for byte; the server's own counters prove what was prepared, executed and closed.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createPool, DictCursor, ProgrammingError, sql, SSCursor, type Connection } from '../../src/index.ts'
import { createEngine } from '../../src/sa/index.ts'
import { open, questions, sessionCounter, tableName, withConnection } from '../support/db.ts'
import { serverUrl } from '../support/env.ts'
import { startHoldingRelay } from '../support/holding-relay.ts'
import { coreOf } from '../../src/connection-core.ts'
import { MariaDbCapability } from '../../src/protocol/constants.ts'
import { createMatrixTables, matrixQueries, TYPE_OPTION_SETS } from '../support/type-matrix.ts'

const COM_STMT_PREPARE = 0x16
const COM_STMT_EXECUTE = 0x17

/** The session's prepare/execute/close counters (SHOW SESSION STATUS). */
async function stmtCounters(conn: Connection): Promise<{ prepare: number; execute: number; close: number }> {
  const rows = await conn.query<{ Variable_name: string; Value: string }>(
    "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute', 'Com_stmt_close')",
  )
  const get = (name: string): number => Number(rows.find((r) => r.Variable_name === name)?.Value ?? NaN)
  return { prepare: get('Com_stmt_prepare'), execute: get('Com_stmt_execute'), close: get('Com_stmt_close') }
}

/** Statements the session holds on the server: prepared minus closed (no PREPARE here fails). */
async function held(conn: Connection): Promise<number> {
  const c = await stmtCounters(conn)
  return c.prepare - c.close
}

test('type matrix: every type and type option gives the same values and description prepared and as text', async () => {
  const t = tableName('psmatrix')
  await withConnection((conn) => createMatrixTables(conn, t))
  try {
    for (const options of TYPE_OPTION_SETS) {
      await withConnection(async (conn) => {
        for (const query of matrixQueries(t)) {
          const text = conn.cursor()
          await text.execute(query)
          const bin = conn.cursor()
          await bin.execute(query, undefined, { prepare: true })
          const label = `${JSON.stringify(options)} ${query.slice(0, 30)}`
          assert.deepStrictEqual(bin.description, text.description, `description, ${label}`)
          const [tr, br] = [await text.fetchAll(), await bin.fetchAll()]
          assert.equal(br.length, tr.length)
          for (let r = 0; r < tr.length; r++) {
            for (let c = 0; c < tr[r]!.length; c++) {
              assert.deepStrictEqual(
                br[r]![c],
                tr[r]![c],
                `row ${r + 1} column ${text.description![c]![0]}, ${label}`,
              )
            }
          }
        }
      }, options)
    }
  } finally {
    await withConnection((conn) => conn.query(`DROP TABLE ${t}, ${t}_f`))
  }
})

const TRICKY_STRINGS = [
  "it's",
  'back\\slash',
  "\\' OR 1=1 -- ",
  'a\\b',
  'nul\0byte',
  '"double"',
  'emoji 😀 and Zoë',
  '\n\r\x1a\t',
  '',
  String.fromCharCode(...Array.from({ length: 255 }, (_, i) => i + 1)),
]

for (const noBackslashEscapes of [false, true]) {
  test(`parameters round-trip byte for byte (NO_BACKSLASH_ESCAPES ${noBackslashEscapes ? 'on' : 'off'})`, async () => {
    await withConnection(async (conn) => {
      if (noBackslashEscapes) await conn.query("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'")
      const t = tableName('psbytes')
      await conn.query(`CREATE TEMPORARY TABLE ${t} (id INT PRIMARY KEY, s TEXT, b BLOB)`)
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      const cur = conn.cursor()
      for (const [i, s] of TRICKY_STRINGS.entries()) {
        await cur.execute(`INSERT INTO ${t} VALUES (%s, %s, %s)`, [i, s, all], { prepare: true })
      }
      const rows = await conn.query<{ id: number; s: string; b: Buffer }>(
        `SELECT id, s, b FROM ${t} WHERE id >= %s ORDER BY id`,
        [0],
        { prepare: true },
      )
      assert.equal(rows.length, TRICKY_STRINGS.length)
      for (const row of rows) {
        assert.equal(row.s, TRICKY_STRINGS[row.id])
        assert.ok(row.b.equals(all))
      }
      // The values come back through a SELECT of the parameters themselves, too.
      const echo = await conn.query<{ v: string }>('SELECT %s AS v', [TRICKY_STRINGS[2]], { prepare: true })
      assert.equal(echo[0]!.v, TRICKY_STRINGS[2])
    })
  })
}

test('integers and bigint bind as LONGLONG: LIMIT %s works and unsigned max survives', async () => {
  await withConnection(async (conn) => {
    const rows = await conn.query('SELECT seq FROM seq_1_to_10 LIMIT %s OFFSET %s', [3, 2], { prepare: true })
    assert.deepEqual(
      rows.map((r) => r['seq']),
      [3, 4, 5],
    )
    const [row] = await conn.query(
      'SELECT %s AS u, %s AS neg, %s AS big, %s AS dbl, %s AS flag, %s AS huge',
      [18446744073709551615n, -9223372036854775808n, 2 ** 60, 0.5, true, 10n ** 30n],
      { prepare: true },
    )
    assert.equal(row!['u'], 18446744073709551615n)
    assert.equal(row!['neg'], -9223372036854775808n)
    assert.equal(row!['big'], 2n ** 60n)
    assert.equal(row!['dbl'], 0.5)
    assert.equal(row!['flag'], 1)
    assert.equal(String(row!['huge']), '1000000000000000000000000000000')
  })
})

test('bad values, lists and placeholders in quotes are refused before anything is sent', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor()
    const before = await questions(conn)
    const bad: [string, unknown][] = [
      ['SELECT %s', [{ a: 1 }]],
      ['SELECT %s', [NaN]],
      ['SELECT %s', [new Date(NaN)]],
      ['SELECT %s', [new Date('+010000-01-01T00:00:00Z')]],
      ['SELECT %s IN %s', [1, []]],
      ["SELECT '%s'", [1]],
      ['SELECT ?, %s', [1]],
      ['SELECT %s, %s', [1]],
      ['SELECT %(a)s', { b: 1 }],
      ['SELECT %s', [Symbol('x')]],
    ]
    for (const [query, args] of bad) {
      await assert.rejects(cur.execute(query, args, { prepare: true }), ProgrammingError, query)
    }
    assert.equal(await questions(conn), before + 1, 'only the counter query itself ran')
  })
})

test('a statement executed many times is prepared once (Com_stmt_prepare rises by one)', async () => {
  await withConnection(async (conn) => {
    const before = await stmtCounters(conn)
    const cur = conn.cursor()
    for (let i = 0; i < 50; i++) {
      await cur.execute('SELECT %s + 1 AS n', [i], { prepare: true })
      assert.deepEqual(await cur.fetchAll(), [[i + 1]])
    }
    // Issued together they are pipelined and still share the one statement.
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => conn.query('SELECT %s + 1 AS n', [i], { prepare: true })),
    )
    assert.deepEqual(
      many.map((rows) => rows[0]!['n']),
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
    const after = await stmtCounters(conn)
    assert.equal(after.prepare - before.prepare, 1)
    assert.equal(after.execute - before.execute, 100)
    assert.equal(coreOf(conn).preparedCached, 1)
  })
})

test('preparedCacheSize 4 with 20 distinct statements: the session never holds more than 5', async () => {
  await withConnection(
    async (conn) => {
      const base = await held(conn)
      let most = 0
      for (let i = 0; i < 20; i++) {
        const rows = await conn.query(`SELECT %s AS v, ${i} AS i`, ['x'], { prepare: true })
        assert.deepEqual(rows, [{ v: 'x', i }])
        most = Math.max(most, (await held(conn)) - base)
      }
      assert.ok(most <= 5, `held ${most}`)
      assert.ok(most >= 4, 'the cache was used')
      assert.equal(coreOf(conn).preparedCached, 4)
    },
    { preparedCacheSize: 4 },
  )
})

test('preparedCacheSize 0 closes every statement after its use', async () => {
  await withConnection(
    async (conn) => {
      const base = await held(conn)
      for (let i = 0; i < 5; i++) await conn.query('SELECT %s AS v', [i], { prepare: true })
      assert.equal((await held(conn)) - base, 0)
    },
    { preparedCacheSize: 0 },
  )
})

test('a pool of 10 running 20,000 distinct statements stays within the cache on every connection', async () => {
  const pool = await createPool(serverUrl, { maxSize: 10, preparedCacheSize: 16, prepare: true })
  try {
    const conns = await Promise.all(Array.from({ length: 10 }, () => pool.acquire()))
    const bases = await Promise.all(conns.map((c) => held(c)))
    for (const c of conns) pool.release(c)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < 20_000) {
        const i = next++
        const rows = await pool.query(`SELECT %s AS v /* ${i} */`, [i])
        assert.equal(rows[0]!['v'], i)
      }
    }
    await Promise.all(Array.from({ length: 20 }, worker))
    const again = await Promise.all(conns.map(() => pool.acquire()))
    assert.deepEqual(new Set(again), new Set(conns), 'the same ten connections')
    for (const [i, c] of conns.entries()) {
      assert.ok((await held(c)) - bases[i]! <= 17, `connection ${i} holds too many statements`)
    }
    for (const c of again) pool.release(c)
  } finally {
    pool.close()
    await pool.waitClosed()
  }
})

test('executeMany with prepare inserts 100,000 rows through BULK_EXECUTE: count and first insert id', async () => {
  await withConnection(async (conn) => {
    const t = tableName('psbulk')
    await conn.query(
      `CREATE TEMPORARY TABLE ${t} (id INT AUTO_INCREMENT PRIMARY KEY, n INT, s VARCHAR(40), d DATETIME(3), b BLOB)`,
    )
    await conn.query(`INSERT INTO ${t} (n) VALUES (0)`) // ids start at 2 for the batch
    const rows = Array.from({ length: 100_000 }, (_, i) => [
      i,
      i % 7 === 0 ? null : `row ${i} 'q' \\ 😀`,
      new Date(Date.UTC(2020, 0, 1, 0, 0, 0, i % 1000)),
      i % 3 === 0 ? Buffer.from([i & 255, 0]) : null,
    ])
    const before = await stmtCounters(conn)
    const cur = conn.cursor()
    const count = await cur.executeMany(`INSERT INTO ${t} (n, s, d, b) VALUES (%s, %s, %s, %s)`, rows, {
      prepare: true,
    })
    const after = await stmtCounters(conn)
    assert.equal(count, 100_000)
    assert.equal(cur.lastRowId, 2)
    // A handful of bulk packets, not 100,000 executions.
    assert.ok(after.execute - before.execute < 50, `${after.execute - before.execute} executions`)
    assert.equal(after.prepare - before.prepare, 1)
    const [check] = await conn.query(
      `SELECT COUNT(*) AS c, SUM(n) AS total, SUM(s IS NULL) AS nulls, SUM(b IS NOT NULL) AS blobs, MAX(id) AS last FROM ${t} WHERE id > 1`,
    )
    assert.equal(check!['c'], 100_000)
    assert.equal(String(check!['total']), String((99_999 * 100_000) / 2))
    assert.equal(String(check!['nulls']), String(Math.ceil(100_000 / 7)))
    assert.equal(String(check!['blobs']), String(Math.ceil(100_000 / 3)))
    assert.equal(check!['last'], 100_001)
    const [one] = await conn.query(`SELECT s, d, b FROM ${t} WHERE n = %s`, [12_345], { prepare: true })
    assert.equal(one!['s'], `row 12345 'q' \\ 😀`)
    assert.equal((one!['d'] as Date).getTime(), Date.UTC(2020, 0, 1, 0, 0, 0, 345))
    assert.ok((one!['b'] as Buffer).equals(Buffer.from([12_345 & 255, 0])))
  })
})

test('executeMany with prepare: rows whose types change split batches; a SELECT runs once per row', async () => {
  await withConnection(async (conn) => {
    const t = tableName('psmixed')
    await conn.query(`CREATE TEMPORARY TABLE ${t} (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))`)
    const cur = conn.cursor()
    const n = await cur.executeMany(
      `INSERT INTO ${t} (v) VALUES (%s)`,
      [[1], ['two'], [null], [3n], [true]],
      {
        prepare: true,
      },
    )
    assert.equal(n, 5)
    const rows = await conn.query(`SELECT v FROM ${t} ORDER BY id`)
    assert.deepEqual(
      rows.map((r) => r['v']),
      ['1', 'two', null, '3', '1'],
    )
    assert.equal(await cur.executeMany('SELECT %s', [[1], [2]], { prepare: true }), 2)
  })
})

test('changed result metadata (ALTER TABLE between executions) is picked up', async () => {
  await withConnection(async (conn) => {
    const t = tableName('psalter')
    await conn.query(`CREATE TEMPORARY TABLE ${t} (id INT, v INT)`)
    await conn.query(`INSERT INTO ${t} VALUES (1, 10)`)
    const query = `SELECT * FROM ${t} WHERE id = %s`
    assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ id: 1, v: 10 }])
    await conn.query(`ALTER TABLE ${t} MODIFY v VARCHAR(10), ADD COLUMN w DATE`)
    await conn.query(`UPDATE ${t} SET v = 'ten', w = '2024-01-02'`)
    const cur = conn.cursor(DictCursor)
    await cur.execute(query, [1], { prepare: true })
    const [row] = await cur.fetchAll()
    assert.equal(row!['v'], 'ten')
    assert.ok(row!['w'] instanceof Date)
    assert.deepEqual(
      cur.description!.map((d) => d[0]),
      ['id', 'v', 'w'],
    )
  })
})

/** The bytes the server sends for what `run` does (Bytes_sent, less one SHOW reply of its own). */
async function bytesSentBy(conn: Connection, run: () => Promise<unknown>): Promise<number> {
  const read = (): Promise<number> => sessionCounter(conn, 'Bytes_sent')
  const a = await read()
  const b = await read()
  await run()
  // c - b is b's own reply plus run's bytes; b - a is one such reply.
  return (await read()) - b - (b - a)
}

test('MARIADB_CLIENT_CACHE_METADATA on the real server: later executions come without column definitions, same values', async (t) => {
  await withConnection(async (conn) => {
    // MariaDB offers it from 10.6 on; there the client must take it.
    const [major = 0, minor = 0] = conn.getServerInfo().split('.').map(Number)
    if (!/mariadb/i.test(conn.getServerInfo()) || major * 100 + minor < 1006)
      return t.skip('the server does not offer MARIADB_CLIENT_CACHE_METADATA (MariaDB < 10.6 or MySQL)')
    const negotiated = coreOf(conn).session.mariaDbCapabilities
    assert.ok(negotiated & MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA, 'negotiated')
    const tbl = tableName('pscachemeta')
    await conn.query(
      `CREATE TEMPORARY TABLE ${tbl} (id INT, s VARCHAR(40), d DECIMAL(10,2), dt DATETIME, b BLOB, n INT NULL)`,
    )
    await conn.query(`INSERT INTO ${tbl} VALUES (1, 'one', 1.50, '2024-01-02 03:04:05', 'x', NULL)`)
    const query = `SELECT * FROM ${tbl} WHERE id = %s`
    // The same statement as text: its reply carries all six column definitions.
    let asText: unknown[] = []
    const textBytes = await bytesSentBy(conn, async () => (asText = await conn.query(query, [1])))
    const cur = conn.cursor(DictCursor)
    const executions: number[] = []
    for (let i = 0; i < 4; i++) {
      executions.push(await bytesSentBy(conn, () => cur.execute(query, [1], { prepare: true })))
      assert.deepEqual(await cur.fetchAll(), asText, `execution ${i + 1} reads the text protocol's values`)
      assert.deepEqual(
        cur.description!.map((d) => d[0]),
        ['id', 's', 'd', 'dt', 'b', 'n'],
      )
    }
    t.diagnostic(`bytes from the server: text ${textBytes}, executions ${executions.join(', ')}`)
    // Six definitions are at least 6 × 20 bytes; the first execution (with its PREPARE) has them twice.
    assert.ok(executions[0]! > textBytes, 'the first execution brings the PREPARE reply and the definitions')
    for (const later of executions.slice(1))
      assert.ok(later < textBytes - 6 * 20, `a later execution (${later} bytes) carries no definitions`)
  })
})

test('the cache is keyed by database: the same text in another database reads that database', async () => {
  await withConnection(async (conn) => {
    const [{ db }] = (await conn.query('SELECT DATABASE() AS db')) as [{ db: string }]
    const other = `${db}_ps_${process.pid}`
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${other}`)
    try {
      await conn.query(`CREATE TABLE ${other}.t_where (v VARCHAR(10))`)
      await conn.query(`INSERT INTO ${other}.t_where VALUES ('other')`)
      const t = tableName('pswhere')
      await conn.query(`CREATE TABLE ${t} (v VARCHAR(10))`)
      await conn.query(`INSERT INTO ${t} VALUES ('home')`)
      await conn.query(`CREATE TABLE ${other}.${t} (v VARCHAR(10))`)
      await conn.query(`INSERT INTO ${other}.${t} VALUES ('other')`)
      const query = `SELECT v FROM ${t} WHERE %s = 1`
      assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ v: 'home' }])
      await conn.selectDb(other)
      assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ v: 'other' }])
      await conn.selectDb(db)
      assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ v: 'home' }])
      // A USE statement is seen too (the server reports the change through session tracking).
      await conn.query(`USE ${other}`)
      assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ v: 'other' }])
      await conn.query(`USE ${db}`)
      assert.deepEqual(await conn.query(query, [1], { prepare: true }), [{ v: 'home' }])
      await conn.query(`DROP TABLE ${t}`)
    } finally {
      await conn.query(`DROP DATABASE ${other}`)
    }
  })
})

test('resetSession drops the cache (the server forgot the statements); the next use prepares again', async () => {
  await withConnection(async (conn) => {
    await conn.query('SELECT %s AS v', [1], { prepare: true })
    const stmt = await conn.prepare('SELECT %s AS v')
    await coreOf(conn).resetSession()
    const before = await stmtCounters(conn)
    assert.deepEqual(await conn.query('SELECT %s AS v', [2], { prepare: true }), [{ v: 2 }])
    assert.equal((await stmtCounters(conn)).prepare - before.prepare, 1)
    await assert.rejects(conn.cursor().execute(stmt, [1]), ProgrammingError)
  })
})

test('conn.prepare(): paramCount, columns, named and ? markers, close(), await using, other connections', async () => {
  await withConnection(async (conn) => {
    const base = await held(conn)
    {
      await using stmt = await conn.prepare('SELECT %(a)s + %(b)s AS sum, %(a)s AS a')
      assert.equal(stmt.paramCount, 3)
      assert.deepEqual(
        stmt.columns.map((c) => c[0]),
        ['sum', 'a'],
      )
      const cur = conn.cursor(DictCursor)
      await cur.execute(stmt, { a: 2, b: 3 })
      assert.deepEqual(await cur.fetchAll(), [{ sum: 5, a: 2 }])
      await assert.rejects(cur.execute(stmt, { a: 2 }), ProgrammingError)
      await assert.rejects(cur.execute(stmt, [1, 2, 3]), ProgrammingError)
      const mysql2Style = await conn.prepare('SELECT ? * ? AS p')
      assert.equal(mysql2Style.paramCount, 2)
      assert.deepEqual(await conn.query(mysql2Style, [6, 7]), [{ p: 42 }])
      await assert.rejects(conn.query(mysql2Style, [[1, 2], 3]), ProgrammingError)
      await mysql2Style.close()
      await assert.rejects(conn.query(mysql2Style, [6, 7]), ProgrammingError)
      await withConnection(async (other) => {
        await assert.rejects(other.cursor().execute(stmt, { a: 1, b: 1 }), /another connection/)
      })
      assert.equal((await held(conn)) - base, 1, 'the closed statement left the server')
    }
    assert.equal(await held(conn), base, '`await using` closed the other one')
    await assert.rejects(conn.prepare('SELEC nonsense'), ProgrammingError)
    // COM_STMT_RESET keeps the statement usable (the server counts it).
    await using again = await conn.prepare('SELECT ? AS r')
    const resets = (): Promise<number> => sessionCounter(conn, 'Com_stmt_reset')
    const before = await resets()
    await again.reset()
    assert.equal((await resets()) - before, 1)
    assert.deepEqual(await conn.query(again, ['still']), [{ r: 'still' }])
    assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }], 'still usable')
  })
})

test('a failed PREPARE fails its execution with the PREPARE error; the connection stays usable', async () => {
  await withConnection(async (conn) => {
    const results = await Promise.allSettled([
      conn.query('SELECT * FROM no_such_table_ps WHERE id = %s', [1], { prepare: true }),
      conn.query('SELECT %s AS ok', [1], { prepare: true }),
    ])
    assert.equal(results[0].status, 'rejected')
    assert.equal((results[0] as PromiseRejectedResult).reason.code, 'ER_NO_SUCH_TABLE')
    assert.deepEqual((results[1] as PromiseFulfilledResult<unknown>).value, [{ ok: 1 }])
  })
})

test('unbuffered cursors stream prepared results with backpressure', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    await cur.execute('SELECT seq, REPEAT(%s, 100) AS pad FROM seq_1_to_200000', ['x'], { prepare: true })
    let n = 0
    let sum = 0
    for await (const row of cur) {
      n++
      sum += row[0] as number
      if (n === 1000) await new Promise((r) => setTimeout(r, 50)) // a slow consumer
    }
    assert.equal(n, 200_000)
    assert.equal(sum, (200_000 * 200_001) / 2)
    assert.deepEqual(await conn.query('SELECT %s AS after', [1], { prepare: true }), [{ after: 1 }])
  })
})

test('the prepare option on the connection: statements with arguments run prepared, { prepare: false } opts out', async () => {
  await withConnection(
    async (conn) => {
      const before = await stmtCounters(conn)
      await conn.query('SELECT %s AS a', [1])
      await conn.query(sql`SELECT ${2} AS b`)
      await conn.query('SELECT 3 AS c')
      await conn.query('SELECT %s AS d', [4], { prepare: false })
      const after = await stmtCounters(conn)
      assert.equal(after.execute - before.execute, 2)
    },
    { prepare: true },
  )
})

test('a new statement costs one round trip on MariaDB: PREPARE and EXECUTE are written before any reply', async () => {
  const u = new URL(serverUrl)
  const relay = await startHoldingRelay({ host: u.hostname || '127.0.0.1', port: Number(u.port || 3306) })
  try {
    const conn = await open({ host: '127.0.0.1', port: relay.port, sslMode: 'disabled' })
    try {
      if (!/mariadb/i.test(conn.getServerInfo())) return
      relay.hold()
      const result = conn.query('SELECT %s AS once', [1], { prepare: true })
      assert.equal(await relay.commandsWritten(2, 1000), 2, 'both written while no reply has come')
      const sent = relay.packets.slice(-2).map((p) => p.first)
      assert.deepEqual(sent, [COM_STMT_PREPARE, COM_STMT_EXECUTE])
      relay.release()
      assert.deepEqual(await result, [{ once: 1 }])
      // Known now: the next execution is a single command.
      relay.hold()
      const again = conn.query('SELECT %s AS once', [2], { prepare: true })
      assert.equal(await relay.commandsWritten(2, 300), 1)
      relay.release()
      assert.deepEqual(await again, [{ once: 2 }])
    } finally {
      relay.release()
      conn.close()
    }
  } finally {
    await relay.close()
  }
})

test('aiomysql/sa: createEngine({ prepare: true }) runs statements with parameters prepared', async () => {
  const engine = await createEngine(serverUrl, { prepare: true, minSize: 0, maxSize: 1 })
  try {
    const conn = await engine.acquire()
    try {
      const raw = conn.connection!
      const before = await stmtCounters(raw)
      assert.equal(await conn.scalar('SELECT %s + 1', [41]), 42)
      assert.equal(await conn.scalar({ sql: 'SELECT ? * 2', parameters: [21] }), 42)
      assert.equal((await stmtCounters(raw)).execute - before.execute, 2)
    } finally {
      await conn.close()
    }
  } finally {
    engine.close()
    await engine.waitClosed()
  }
})

test('an evicted statement whose stream is still being read is closed only after its result is read', async () => {
  await withConnection(
    async (conn) => {
      const base = await held(conn)
      const stream = conn.cursor(SSCursor)
      await stream.execute('SELECT seq FROM seq_1_to_50000 WHERE seq > %s', [0], { prepare: true })
      const first = await stream.fetchMany(10)
      assert.equal(first.length, 10)
      // Another statement evicts the streaming one from the one-entry cache while its rows are unread;
      // the stream's rest is dropped by that command (aiomysql's rule), but nothing breaks.
      const other = await conn.query('SELECT %s AS other', [1], { prepare: true })
      assert.deepEqual(other, [{ other: 1 }])
      assert.equal((await held(conn)) - base, 1, 'the evicted statement was closed once its result ended')
    },
    { preparedCacheSize: 1 },
  )
})

test('a prepared statement with timeoutMs is stopped with KILL QUERY; the connection and the cache stay usable', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor()
    await assert.rejects(cur.execute('SELECT SLEEP(%s)', [5], { prepare: true, timeoutMs: 200 }), {
      code: 'ER_STATEMENT_TIMEOUT',
    })
    await cur.execute('SELECT SLEEP(%s) AS s', [0], { prepare: true })
    assert.deepEqual(await cur.fetchAll(), [[0]])
  })
})

test('a connection killed with 20 prepared executions written fails all 20, each with sentToServer', async () => {
  const conn = await open()
  try {
    const id = conn.threadId()
    const settling = Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        conn.query('SELECT SLEEP(%s) AS s, %s AS i', [i === 0 ? 3 : 0, i], { prepare: true }),
      ),
    )
    await withConnection(async (killer) => {
      await new Promise((r) => setTimeout(r, 300))
      await killer.query('KILL CONNECTION %s', [id])
    })
    const settled = await settling
    assert.ok(settled.every((r) => r.status === 'rejected'))
    for (const r of settled) {
      const reason = (r as PromiseRejectedResult).reason as { fatal: boolean; sentToServer: boolean }
      assert.equal(reason.fatal, true)
      assert.equal(reason.sentToServer, true, 'all were written before the kill')
    }
  } finally {
    conn.close()
  }
})
