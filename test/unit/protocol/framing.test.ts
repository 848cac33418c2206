import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PacketFramer, writePayload } from '../../../src/protocol/framing.ts'
import { MalformedPacket } from '../../../src/protocol/malformed.ts'
import { HEADER_SIZE } from '../../../src/protocol/writer.ts'
import { packets } from '../../support/packets.ts'

/** The packets writePayload() writes, collected, and the next sequence id. */
function framePayload(framed: Buffer, seq: number): { chunks: Buffer[]; nextSeq: number } {
  const chunks: Buffer[] = []
  const nextSeq = writePayload(framed, seq, { write: (c) => chunks.push(c) })
  return { chunks, nextSeq }
}

function collect(chunks: Buffer[], max = 1 << 30): { payloads: string[]; seqs: number[] } {
  const f = new PacketFramer(max)
  const payloads: string[] = []
  const seqs: number[] = []
  for (const c of chunks) f.feed(c, (p, s) => (payloads.push(p.toString('hex')), seqs.push(s)))
  return { payloads, seqs }
}

test('framing: payloads come out the same whatever byte the stream is split at', () => {
  const payloads = [
    Buffer.from('hello'),
    Buffer.alloc(0),
    Buffer.from([0xfe, 0, 0, 2, 0]),
    Buffer.alloc(300, 7),
  ]
  const stream = packets(payloads, 0)
  const expected = payloads.map((p) => p.toString('hex'))
  for (let i = 0; i <= stream.length; i++) {
    for (let j = i; j <= stream.length; j++) {
      const got = collect([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])
      assert.deepEqual(got.payloads, expected, `split at ${i}/${j}`)
      assert.deepEqual(got.seqs, [0, 1, 2, 3])
    }
  }
})

test('framing: one byte at a time', () => {
  const stream = packets([Buffer.from('abc'), Buffer.from('de')], 5)
  const got = collect([...stream].map((b) => Buffer.from([b])))
  assert.deepEqual(got.payloads, ['616263', '6465'])
  assert.deepEqual(got.seqs, [5, 6])
})

test('framing: a 16 MiB continuation is joined into one payload', () => {
  const big = Buffer.alloc(0xffffff + 10)
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff
  const { chunks } = framePayload(Buffer.concat([Buffer.alloc(HEADER_SIZE), big]), 0)
  const stream = Buffer.concat(chunks)
  assert.equal(stream.length, big.length + 8)
  const f = new PacketFramer(64 << 20)
  const out: Buffer[] = []
  for (let i = 0; i < stream.length; i += 65536)
    f.feed(stream.subarray(i, i + 65536), (p) => out.push(Buffer.from(p)))
  assert.equal(out.length, 1)
  assert.ok(out[0]!.equals(big))
})

test('framing: a payload of exactly 16 MiB - 1 ends with an empty packet', () => {
  const payload = Buffer.alloc(0xffffff, 1)
  const { chunks, nextSeq } = framePayload(Buffer.concat([Buffer.alloc(HEADER_SIZE), payload]), 3)
  assert.equal(nextSeq, 5)
  const headers = chunks.filter((_, i) => i % 2 === 0).map((h) => h.toString('hex'))
  assert.deepEqual(headers, ['ffffff03', '00000004'])
  const got: number[] = []
  new PacketFramer(1 << 25).feed(Buffer.concat(chunks), (p) => got.push(p.length))
  assert.deepEqual(got, [0xffffff])
})

test('framing: sequence ids wrap at 255', () => {
  const { nextSeq } = framePayload(Buffer.alloc(HEADER_SIZE + 1), 255)
  assert.equal(nextSeq, 0)
})

test('framing: a declared size over maxAllowedPacket is refused before it is buffered', () => {
  const f = new PacketFramer(1024)
  assert.throws(() => f.feed(Buffer.from([0x00, 0x10, 0x00, 0x00]), () => {}), MalformedPacket)
})

test('framing: continuation pieces count toward maxAllowedPacket', () => {
  const f = new PacketFramer(0xffffff + 5)
  const head = Buffer.from([0xff, 0xff, 0xff, 0])
  f.feed(Buffer.concat([head, Buffer.alloc(0xffffff)]), () => assert.fail('no payload yet'))
  assert.throws(() => f.feed(Buffer.from([10, 0, 0, 1]), () => {}), MalformedPacket)
})

test('framing: an incomplete packet stays buffered and emits nothing', () => {
  const f = new PacketFramer(1024)
  let n = 0
  f.feed(Buffer.from([5, 0, 0, 0, 1, 2]), () => n++)
  assert.equal(n, 0)
  assert.equal(f.buffered, 6)
})

test("framing: a continued payload is reported with its first packet's sequence id", () => {
  const f = new PacketFramer(1 << 26)
  const seqs: number[] = []
  const head = Buffer.from([0xff, 0xff, 0xff, 4])
  f.feed(Buffer.concat([head, Buffer.alloc(0xffffff), Buffer.from([1, 0, 0, 5, 9])]), (_, s) => seqs.push(s))
  assert.deepEqual(seqs, [4])
  assert.equal(f.seq, 5)
})

test('a receive buffer reused for every read: packets split across reads come out intact', () => {
  // The socket reads into one buffer (openSocket's onread): each chunk is overwritten by the next.
  const payloads = [Buffer.alloc(300, 0x61), Buffer.alloc(5, 0x62), Buffer.alloc(1000, 0x63)]
  const stream = Buffer.concat(
    payloads.map((p, i) => Buffer.concat([Buffer.from([p.length & 0xff, p.length >> 8, 0, i]), p])),
  )
  for (const size of [1, 7, 64, 301, 512]) {
    const reused = Buffer.alloc(size)
    const framer = new PacketFramer(1 << 20)
    const out: string[] = []
    for (let pos = 0; pos < stream.length; pos += size) {
      const n = stream.copy(reused, 0, pos, Math.min(pos + size, stream.length))
      framer.feed(reused.subarray(0, n), (payload) => out.push(payload.toString('latin1')))
      reused.fill(0x7a) // the next read overwrites it
    }
    assert.deepEqual(
      out,
      payloads.map((p) => p.toString('latin1')),
      `reads of ${size} bytes`,
    )
  }
})
