// The compressed protocol (`compress: true`) against the real server: the server's own status says
// it is on; every type reads the same as over plain packets, text and prepared; a 20 MiB BLOB goes
// both ways; pipelined statements, multi-result replies, LOAD DATA LOCAL (the client answering the
// server mid-command), a pool, cancellation and TLS all work on compressed connections; `compress` is
// read from an option file too.

import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { deflateSync } from 'node:zlib'
import { connect, createPool, MySQLError, type Connection, type ConnectionOptions } from '../../src/index.ts'
import { Capability, ColumnType } from '../../src/protocol/constants.ts'
import { open, sessionCounter, sessionStatus, tableName, withConnection } from '../support/db.ts'
import { requireHarness, serverUrl } from '../support/env.ts'
import {
  FAKE_HOST,
  serveCachingSha2,
  startFakeServer,
  type FakeServer,
  type FakeSession,
} from '../support/fake-server.ts'
import { columnCount, columnDef, err, ok, packets, SERVER_CAPS, textRow } from '../support/packets.ts'
import { coreOf } from '../../src/connection-core.ts'
import { createMatrixTables, matrixQueries, TYPE_OPTION_SETS } from '../support/type-matrix.ts'

const Z = { compress: true } as const

/** The server's word on this session: 'ON' when its packets are compressed. */
const compression = (conn: Connection): Promise<string> => sessionStatus(conn, 'Compression')

/** Bytes the server has written to this session so far (after compression). */
const bytesSent = (conn: Connection): Promise<number> => sessionCounter(conn, 'Bytes_sent')

test('compress: true is compression ON for the server, as is ?compress=true; off by default', async () => {
  assert.equal(await withConnection(compression, Z), 'ON')
  assert.equal(await withConnection(compression), 'OFF')
  const url = new URL(serverUrl)
  url.searchParams.set('compress', 'true')
  await using conn = await connect(url.href)
  assert.equal(await compression(conn), 'ON')
})

test('compress from an option file (readDefaultFile): a bare compress turns it on, explicit options win', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'aiomysql-zcnf-'))
  try {
    const file = path.join(dir, 'my.cnf')
    await writeFile(file, '[client]\ncompress\n')
    await using conn = await connect(serverUrl, { readDefaultFile: file })
    assert.equal(await compression(conn), 'ON')
    await using off = await connect(serverUrl, { readDefaultFile: file, compress: false })
    assert.equal(await compression(off), 'OFF')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('type matrix: every type and type option reads the same compressed as plain, text and prepared', async () => {
  const t = tableName('zmatrix')
  await withConnection((conn) => createMatrixTables(conn, t))
  try {
    for (const options of TYPE_OPTION_SETS) {
      await using plain = await open(options)
      await using zipped = await open({ ...options, ...Z })
      assert.equal(await compression(zipped), 'ON')
      for (const query of matrixQueries(t)) {
        for (const prepare of [false, true]) {
          const expected = plain.cursor()
          await expected.execute(query, undefined, { prepare })
          const got = zipped.cursor()
          await got.execute(query, undefined, { prepare })
          const label = `${JSON.stringify(options)} prepare ${prepare} ${query.slice(0, 30)}`
          assert.deepStrictEqual(got.description, expected.description, `description, ${label}`)
          assert.deepStrictEqual(await got.fetchAll(), await expected.fetchAll(), label)
        }
      }
      // Values sent compressed arrive as sent: strings, bytes, dates and big integers, both ways.
      const args = [
        "it's \\ 😀 ".repeat(20),
        randomBytes(300),
        new Date('2020-05-06T07:08:09.010Z'),
        2n ** 64n - 1n,
      ]
      const echo = 'SELECT %s AS s, %s AS b, CAST(%s AS DATETIME(3)) AS d, CAST(%s AS DECIMAL(20)) AS n'
      for (const prepare of [false, true]) {
        assert.deepStrictEqual(
          await zipped.query(echo, args, { prepare }),
          await plain.query(echo, args, { prepare }),
          `echo, prepare ${prepare}`,
        )
      }
    }
  } finally {
    await withConnection((conn) => conn.query(`DROP TABLE ${t}, ${t}_f`))
  }
})

test('a 20 MiB BLOB round-trips compressed: compressible and random, written and read as text and prepared', async (t) => {
  await using conn = await open({ ...Z, autocommit: true })
  const [limit] = await conn.query<{ m: number }>('SELECT @@max_allowed_packet AS m')
  // Sent as text, 20 MiB of bytes grows with escaping: the throwaway server allows 64 MiB.
  if (limit!.m < 48 * 1024 * 1024) {
    t.skip(`needs max_allowed_packet ≥ 48 MiB (the server has ${limit!.m}); the throwaway server has 64M`)
    return
  }
  const size = 20 * 1024 * 1024
  const patterned = Buffer.alloc(size)
  for (let i = 0; i < size; i++) patterned[i] = (i * 7) % 251
  const random = randomBytes(size)
  const table = tableName('zblob')
  await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, b LONGBLOB)`)
  try {
    await conn.query(`INSERT INTO ${table} VALUES (1, %s)`, [patterned])
    await conn.query(`INSERT INTO ${table} VALUES (2, %s)`, [random], { prepare: true })
    const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex')
    // The server stored exactly what was sent.
    assert.deepEqual(await conn.query(`SELECT id, LENGTH(b) AS n, MD5(b) AS h FROM ${table} ORDER BY id`), [
      { id: 1, n: size, h: md5(patterned) },
      { id: 2, n: size, h: md5(random) },
    ])
    for (const prepare of [false, true]) {
      for (const [id, data] of [
        [1, patterned],
        [2, random],
      ] as const) {
        const before = await bytesSent(conn)
        const [row] = await conn.query<{ b: Buffer }>(`SELECT b FROM ${table} WHERE id = %s`, [id], {
          prepare,
        })
        const sent = (await bytesSent(conn)) - before
        assert.ok(row!.b.equals(data), `id ${id}, prepare ${prepare}`)
        // What crossed the wire: the patterned BLOB compressed (well under 1 MiB), the random one not.
        if (id === 1) assert.ok(sent < 1024 * 1024, `compressible BLOB: ${sent} bytes on the wire`)
        else assert.ok(sent > size, `random BLOB: ${sent} bytes on the wire`)
      }
    }
  } finally {
    await conn.query(`DROP TABLE ${table}`)
  }
})

test('pipelined statements on a compressed connection: 300 at once, small and large, text and prepared', async () => {
  await using conn = await open({ ...Z, multiStatements: true })
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) => {
      if (i % 3 === 0) return conn.query<{ v: number }>('SELECT %s AS v', [i])
      if (i % 3 === 1) return conn.query<{ v: number }>(`SELECT LENGTH(REPEAT('x', ${5000 + i})) AS v`)
      return conn.query<{ v: number }>('SELECT %s + 0 AS v', [i], { prepare: true })
    }),
  )
  results.forEach((rows, i) => assert.equal(Number(rows[0]!.v), i % 3 === 1 ? 5000 + i : i, `statement ${i}`))
  // A multi-result reply: the server restarts its packet numbering at each result under compression.
  const cur = conn.cursor()
  await cur.execute("SELECT 1; SELECT REPEAT('a', 30000) AS r; DO 1; SELECT 3")
  assert.deepEqual(await cur.fetchAll(), [[1]])
  assert.equal(await cur.nextSet(), true)
  assert.deepEqual(await cur.fetchAll(), [['a'.repeat(30000)]])
  assert.equal(await cur.nextSet(), true)
  assert.equal(await cur.nextSet(), true)
  assert.deepEqual(await cur.fetchAll(), [[3]])
  assert.equal(await cur.nextSet(), false)
  assert.deepEqual(await conn.query('SELECT 4 AS x'), [{ x: 4 }])
})

test('LOAD DATA LOCAL INFILE on a compressed connection: the client answers the server mid-command', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'aiomysql-zinfile-'))
  const file = path.join(dir, 'data.tsv')
  await writeFile(file, Array.from({ length: 100_000 }, (_, i) => `${i}\tname${i}`).join('\n'))
  const table = tableName('zinfile')
  try {
    await using conn = await open({ ...Z, localInfile: true, autocommit: true })
    await conn.query(`CREATE TABLE ${table} (id INT, name VARCHAR(20))`)
    try {
      const n = await conn.cursor().execute(`LOAD DATA LOCAL INFILE %s INTO TABLE ${table}`, [file])
      assert.equal(n, 100_000)
      assert.deepEqual(await conn.query(`SELECT COUNT(*) AS n, MAX(id) AS m FROM ${table}`), [
        { n: 100_000, m: 99_999 },
      ])
    } finally {
      await conn.query(`DROP TABLE ${table}`)
    }
  } finally {
    await rm(dir, { recursive: true })
  }
})

test('a pool with compress: every connection compressed; reset, reuse and pool.query keep working', async () => {
  await using pool = await createPool(serverUrl, { ...Z, maxSize: 3, resetOnRelease: true })
  const rows = await Promise.all(
    Array.from({ length: 30 }, (_, i) => pool.query<{ v: number }>('SELECT %s AS v', [i])),
  )
  assert.deepEqual(
    rows.map((r) => r[0]!.v),
    Array.from({ length: 30 }, (_, i) => i),
  )
  for (let round = 0; round < 2; round++) {
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    for (const conn of held) {
      assert.equal(await compression(conn), 'ON')
      await conn.query('SET @x = 1')
      await coreOf(conn).resetSession()
      assert.deepEqual(await conn.query('SELECT @x AS x'), [{ x: null }])
      pool.release(conn)
    }
  }
})

test('a cancelled statement on a compressed connection: KILL QUERY, and the connection stays usable', async () => {
  await using conn = await open(Z)
  const started = Date.now()
  await assert.rejects(
    conn.cursor().execute('SELECT SLEEP(10)', undefined, { timeoutMs: 200 }),
    (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ER_STATEMENT_TIMEOUT')
      return true
    },
  )
  assert.ok(Date.now() - started < 3000)
  assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
  assert.equal(await compression(conn), 'ON')
})

test('TLS and compression together: frames inside TLS (verify-ca)', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.native
  await using conn = await connect({
    host: '127.0.0.1',
    port: h.port,
    user,
    password,
    sslMode: 'verify-ca',
    ssl: { ca: readFileSync(path.join(h.tlsDir, 'ca.pem')) },
    compress: true,
  })
  assert.match(await sessionStatus(conn, 'Ssl_version'), /^TLS/)
  assert.equal(await compression(conn), 'ON')
  const big = 'compressible text '.repeat(200_000)
  assert.deepEqual(await conn.query('SELECT LENGTH(%s) AS n', [big]), [{ n: big.length }])
  const [row] = await conn.query<{ r: string }>("SELECT REPEAT('tls+zlib ', 300000) AS r", undefined, {
    prepare: true,
  })
  assert.equal(row!.r, 'tls+zlib '.repeat(300_000))
})

// Against a scripted server (test/support/fake-server.ts): what goes on the wire, and hostile frames.

const COMPRESSING_SERVER = (SERVER_CAPS | Capability.CLIENT_COMPRESS) >>> 0

function fakeOptions(server: FakeServer, extra: ConnectionOptions = {}): ConnectionOptions {
  // autocommit: true, as the greeting says: the session setup's only statement then reads
  // max_allowed_packet.
  return {
    host: FAKE_HOST,
    port: server.port,
    user: 'zuser',
    password: '',
    sslMode: 'disabled',
    autocommit: true,
    ...Z,
    ...extra,
  }
}

/** A frame as a server writes it: `plain` deflated (declaring its length) or as it is. */
function frameOf(plain: Buffer, seq: number, compress: boolean): Buffer {
  const body = compress ? deflateSync(plain) : plain
  const header = Buffer.alloc(7)
  header.writeUIntLE(body.length, 0, 3)
  header[3] = seq
  header.writeUIntLE(compress ? plain.length : 0, 4, 3)
  return Buffer.concat([header, body])
}

/**
 * Authenticate (empty password), then answer the session setup's one statement (SELECT
 * @@max_allowed_packet) with an error, which leaves the limit unknown; returns the client's flags.
 */
async function authenticate(s: FakeSession): Promise<number> {
  const hs = await s.readHandshakeResponse()
  await serveCachingSha2(s, hs, { password: '' })
  if ((hs.capabilities & Capability.CLIENT_COMPRESS) === 0) {
    const setup = await s.read()
    assert.equal(setup.payload.toString('latin1', 1), 'SELECT @@max_allowed_packet')
    s.write(err(1064, '42000', 'not here'))
    return hs.capabilities
  }
  const setup = await s.readFrame()
  assert.equal(setup.seq, 0)
  assert.equal(setup.plain.toString('latin1', 5), 'SELECT @@max_allowed_packet')
  s.writeRaw(frameOf(packets([err(1064, '42000', 'not here')], 1), 1, false))
  return hs.capabilities
}

test('scripted server: CLIENT_COMPRESS asked, the OK read plain, then each command in frames from id 0', async () => {
  const seen: { capabilities?: number; frames: { seq: number; declared: number; plain: string }[] } = {
    frames: [],
  }
  await using server = await startFakeServer(
    async (s) => {
      seen.capabilities = await authenticate(s)
      let f = await s.readFrame()
      seen.frames.push({ ...f, plain: f.plain.toString('latin1') })
      // A one-row result in two frames, the first compressed, the row split between them; the packet
      // ids are the server's to choose under compression (here they restart), and are not checked.
      const reply = packets(
        [columnCount(1), columnDef('1', ColumnType.MYSQL_TYPE_LONGLONG, 63), textRow(['1'])],
        1,
      )
      const done = packets([ok({ header: 0xfe, status: 0 })], 1)
      const cut = reply.length - 2
      s.writeRaw(
        Buffer.concat([
          frameOf(reply.subarray(0, cut), 1, true),
          frameOf(Buffer.concat([reply.subarray(cut), done]), 2, false),
        ]),
      )
      f = await s.readFrame()
      seen.frames.push({ ...f, plain: f.plain.toString('latin1') })
      s.writeRaw(frameOf(packets([ok({ status: 0, affectedRows: 3 })], 1), 1, false))
      f = await s.readFrame()
      seen.frames.push({ ...f, plain: f.plain.toString('latin1') })
    },
    { capabilities: COMPRESSING_SERVER, plugin: 'caching_sha2_password' },
  )
  const conn = await connect(fakeOptions(server))
  assert.deepEqual(await conn.query('SELECT 1'), [{ '1': 1 }])
  const long = `SET @note = '${'compress me '.repeat(20)}'`
  assert.equal(await conn.cursor().execute(long), 3)
  await conn.ensureClosed()
  await server.finished()
  assert.ok(((seen.capabilities ?? 0) & Capability.CLIENT_COMPRESS) !== 0)
  const query = (sql: string): string => packets([Buffer.from('\x03' + sql, 'latin1')], 0).toString('latin1')
  assert.deepEqual(seen.frames, [
    { seq: 0, declared: 0, plain: query('SELECT 1') },
    { seq: 0, declared: long.length + 5, plain: query(long) },
    { seq: 0, declared: 0, plain: '\x01\x00\x00\x00\x01' },
  ])
})

test('scripted server without CLIENT_COMPRESS: compress: true goes on in plain packets', async () => {
  let asked = -1
  await using server = await startFakeServer(
    async (s) => {
      asked = await authenticate(s)
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(fakeOptions(server))
  assert.deepEqual(await conn.query('SELECT 7'), [{ '7': 7 }])
  await conn.ensureClosed()
  await server.finished()
  assert.equal(asked & Capability.CLIENT_COMPRESS, 0)
})

/** Expect the statement to fail with CR_MALFORMED_PACKET (2027), fatal, naming `why`. */
async function malformed(promise: Promise<unknown>, why: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof MySQLError, String(e))
    assert.equal(e.errno, 2027, e.message)
    assert.equal(e.fatal, true)
    assert.match(e.message, why)
    return true
  })
}

test('hostile frame: a zlib bomb declaring 100 bytes fails at once with 2027, in bounded memory', async () => {
  // 64 MiB of zeros in about 64 KiB of zlib.
  const bomb = deflateSync(Buffer.alloc(64 << 20), { level: 9 })
  await using server = await startFakeServer(
    async (s) => {
      await authenticate(s)
      await s.readFrame()
      const header = Buffer.alloc(7)
      header.writeUIntLE(bomb.length, 0, 3)
      header[3] = 1
      header.writeUIntLE(100, 4, 3)
      s.writeRaw(Buffer.concat([header, bomb]))
      await s.drain(2000)
    },
    { capabilities: COMPRESSING_SERVER },
  )
  const conn = await connect(fakeOptions(server))
  const before = process.memoryUsage().arrayBuffers
  const started = Date.now()
  await malformed(conn.query('SELECT 1'), /compressed frame inflates past its declared 100 bytes/)
  const grown = process.memoryUsage().arrayBuffers - before
  assert.ok(Date.now() - started < 2000)
  assert.ok(grown < 8 << 20, `buffers grew by ${grown} bytes`)
  assert.equal(conn.closed, true)
  await server.finished()
})

test('hostile frame: one declaring more than maxAllowedPacket fails from its header, its body never awaited', async () => {
  await using server = await startFakeServer(
    async (s) => {
      await authenticate(s)
      await s.readFrame()
      // 2 MiB announced (compressed and declared) against a 1 MiB limit: only the header is sent.
      s.writeRaw(Buffer.from([0x00, 0x00, 0x20, 1, 0x00, 0x00, 0x20]))
      await s.drain(2000)
    },
    { capabilities: COMPRESSING_SERVER },
  )
  const conn = await connect(fakeOptions(server, { maxAllowedPacket: 1 << 20 }))
  const started = Date.now()
  await malformed(
    conn.query('SELECT 1'),
    /compressed frame of 2097152 bytes exceeds maxAllowedPacket 1048576/,
  )
  assert.ok(Date.now() - started < 2000)
  await server.finished()
})
