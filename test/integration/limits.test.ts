// Limits (SPEC §14): what the client accepts from the server is bounded before the memory is spent,
// what it sends is bounded by the server's max_allowed_packet before anything leaves, and errors
// after which the server has closed the session leave the connection dead, never lent again.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, type Connection } from '../../src/index.ts'
import { MAX_PACKET_PAYLOAD } from '../../src/protocol/constants.ts'
import { questions, withConnection } from '../support/db.ts'
import { FAKE_HOST, startFakeServer, type FakeSession } from '../support/fake-server.ts'
import { columnCount, err, ok } from '../support/packets.ts'

const MiB = 1024 * 1024

/** Authenticate anyone, answer the statements sent at connect with OK, return the next packet's payload. */
async function afterConnect(s: FakeSession): Promise<Buffer> {
  await s.readHandshakeResponse()
  s.write(ok())
  for (let i = 0; i < 20; i++) {
    const p = await s.read()
    const isQuery = p.payload[0] === 0x03
    if (!isQuery || !/^(SET|SELECT @@max_allowed_packet)/.test(p.payload.toString('latin1', 1)))
      return p.payload
    s.write(ok())
  }
  throw new Error('too many session statements')
}

function fakeOptions(port: number): { host: string; port: number; user: string; sslMode: 'disabled' } {
  return { host: FAKE_HOST, port, user: 'u', sslMode: 'disabled' }
}

test("a statement larger than the server's max_allowed_packet is refused before it is sent; the connection stays usable", async () => {
  await withConnection(async (conn) => {
    const [row] = await conn.query<{ m: number }>('SELECT @@max_allowed_packet AS m')
    const limit = Number(row!.m)
    const big = 'x'.repeat(limit + 16)
    const before = await questions(conn)
    for (const prepare of [false, true]) {
      await assert.rejects(conn.query('SELECT %s AS v', [big], { prepare }), (e: unknown) => {
        const error = e as { errno: number; fatal: boolean; message: string }
        return error.errno === 2020 && !error.fatal && error.message.includes(String(limit))
      })
    }
    await assert.rejects(
      conn.cursor().executeMany('INSERT INTO nowhere VALUES (%s)', [['a'], [big]], { prepare: true }),
      {
        errno: 2020,
      },
    )
    assert.equal(await questions(conn), before + 1, 'nothing but the counter query reached the server')
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
  })
})

test('ERR 1153 (packet too large) leaves the connection dead: the statement and those behind it fail, fatal', async () => {
  await using server = await startFakeServer(
    async (s) => {
      await afterConnect(s)
      s.write(err(1153, '08S01', "Got a packet bigger than 'max_allowed_packet' bytes"))
      await s.drain(500)
    },
    { ssl: false },
  )
  const conn = await connect(fakeOptions(server.port))
  const results = await Promise.allSettled([conn.query('SELECT 1'), conn.query('SELECT 2')])
  const [first, second] = results.map(
    (r) => (r as PromiseRejectedResult).reason as { errno: number; fatal: boolean },
  )
  assert.equal(first!.errno, 1153)
  assert.equal(first!.fatal, true)
  assert.equal(second!.fatal, true)
  assert.equal(conn.closed, true)
})

/** Memory outside the JS heap (Buffers included), in bytes. */
function external(): number {
  return process.memoryUsage().external
}

test('a flood of continuation packets is refused at maxAllowedPacket with < 32 MiB growth (fatal 2027)', async () => {
  let sent = 0
  // 16 MiB - 1 payload pieces, each announcing that another follows, without end (bounded here). The
  // fake server runs in this process: its piece is allocated before the client's memory is measured.
  const piece = Buffer.alloc(4 + MAX_PACKET_PAYLOAD, 0x61)
  piece.writeUIntLE(MAX_PACKET_PAYLOAD, 0, 3)
  await using server = await startFakeServer(
    async (s) => {
      await afterConnect(s)
      for (let i = 0; i < 16 && !s.closed; i++) {
        piece[3] = (i + 1) & 0xff
        s.writeRaw(Buffer.from(piece.subarray(0, 4)))
        s.writeRaw(piece.subarray(4))
        sent++
        await new Promise((r) => setTimeout(r, 5))
      }
    },
    { ssl: false },
  )
  const conn: Connection = await connect({ ...fakeOptions(server.port), maxAllowedPacket: 16 * MiB })
  const base = external()
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, external())), 1)
  try {
    await assert.rejects(conn.query('SELECT 1'), (e: unknown) => {
      const error = e as { errno: number; fatal: boolean; message: string }
      return error.errno === 2027 && error.fatal && /maxAllowedPacket/.test(error.message)
    })
  } finally {
    clearInterval(timer)
  }
  peak = Math.max(peak, external())
  assert.ok(peak - base < 32 * MiB, `grew ${((peak - base) / MiB).toFixed(1)} MiB`)
  assert.ok(sent < 16, 'the client stopped reading long before the server stopped sending')
})

test('a result announcing 2^24 columns is refused at once (fatal 2027), with no growth', async () => {
  await using server = await startFakeServer(
    async (s) => {
      await afterConnect(s)
      s.write(columnCount(2 ** 24))
      await s.drain(300)
    },
    { ssl: false },
  )
  const conn = await connect(fakeOptions(server.port))
  const base = external()
  await assert.rejects(conn.query('SELECT 1'), { errno: 2027 })
  assert.ok(external() - base < 4 * MiB)
  assert.equal(conn.closed, true)
})
