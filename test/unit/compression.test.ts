// The compressed protocol's frames (src/protocol/compressed-frames.ts) and its layer between the
// socket and the packet framer (src/net/compression.ts): frames split and joined at any byte, runs of
// at most 16 MiB - 1, compressed sequence ids, and hostile frames refused within bounded memory.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { deflateSync } from 'node:zlib'
import { Compression } from '../../src/net/compression.ts'
import {
  FRAME_HEADER_SIZE,
  FrameInflater,
  MAX_FRAME_PAYLOAD,
  MIN_COMPRESS_LENGTH,
  writeFrames,
} from '../../src/protocol/compressed-frames.ts'
import { PacketFramer, writePayload } from '../../src/protocol/framing.ts'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { HEADER_SIZE } from '../../src/protocol/writer.ts'

interface FrameHeader {
  readonly length: number
  readonly seq: number
  readonly declared: number
}

/** The frames writeFrames() writes for `pieces`, joined, and the next compressed sequence id. */
function framed(pieces: readonly Buffer[], seq = 0): { stream: Buffer; next: number } {
  const chunks: Buffer[] = []
  const next = writeFrames(pieces, seq, { write: (c) => chunks.push(c) })
  return { stream: Buffer.concat(chunks), next }
}

/** The headers of every frame in a stream. */
function headers(stream: Buffer): FrameHeader[] {
  const out: FrameHeader[] = []
  for (let pos = 0; pos < stream.length;) {
    const h = {
      length: stream.readUIntLE(pos, 3),
      seq: stream[pos + 3]!,
      declared: stream.readUIntLE(pos + 4, 3),
    }
    out.push(h)
    pos += FRAME_HEADER_SIZE + h.length
  }
  return out
}

/** A frame written by hand (for hostile input): `declared` 0 means the body is sent as it is. */
function frame(body: Buffer, declared: number, seq = 0): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_SIZE)
  header.writeUIntLE(body.length, 0, 3)
  header[3] = seq
  header.writeUIntLE(declared, 4, 3)
  return Buffer.concat([header, body])
}

/** Feed chunks to an inflater; the joined bytes it emits (copied: they are views) and the frame ids. */
function inflate(chunks: readonly Buffer[], max = 1 << 30): { plain: Buffer; seqs: number[] } {
  const inflater = new FrameInflater(max)
  const parts: Buffer[] = []
  const seqs: number[] = []
  for (const c of chunks)
    inflater.feed(c, (plain, seq) => {
      parts.push(Buffer.from(plain))
      seqs.push(seq)
    })
  return { plain: Buffer.concat(parts), seqs }
}

/** A command payload as commands build it: HEADER_SIZE spare bytes, then the payload. */
function command(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(HEADER_SIZE), payload])
}

const compressible = (n: number): Buffer => Buffer.from('SELECT col_a, col_b FROM some_table; '.repeat(n))

test('a short run goes as it is, a compressible one deflated, one zlib cannot shrink as it is', () => {
  const short = Buffer.alloc(MIN_COMPRESS_LENGTH - 1, 0x61)
  const text = compressible(20)
  const random = randomBytes(1000)
  assert.deepEqual(headers(framed([short]).stream), [{ length: short.length, seq: 0, declared: 0 }])
  const h = headers(framed([text]).stream)
  assert.equal(h.length, 1)
  assert.equal(h[0]!.declared, text.length)
  assert.ok(h[0]!.length < text.length / 5, `deflated to ${h[0]!.length} of ${text.length} bytes`)
  assert.deepEqual(headers(framed([random]).stream), [{ length: 1000, seq: 0, declared: 0 }])
  assert.ok(inflate([framed([text]).stream]).plain.equals(text))
})

test('frames come back byte for byte whatever byte the stream is split at', () => {
  const runs = [Buffer.from('tiny'), compressible(3), randomBytes(120)]
  const stream = Buffer.concat(runs.map((r, i) => framed([r], i).stream))
  const expected = Buffer.concat(runs)
  for (let i = 0; i <= stream.length; i++) {
    const got = inflate([stream.subarray(0, i), stream.subarray(i)])
    assert.ok(got.plain.equals(expected), `split at ${i}`)
    assert.deepEqual(got.seqs, [0, 1, 2])
  }
  const bytewise = inflate([...stream].map((b) => Buffer.from([b])))
  assert.ok(bytewise.plain.equals(expected))
})

test('a receive buffer reused for every read: frames split across reads come out intact', () => {
  const runs = [compressible(40), randomBytes(3000), Buffer.from('x')]
  const stream = Buffer.concat(runs.map((r) => framed([r]).stream))
  for (const size of [1, 6, 7, 100, 1024]) {
    const reused = Buffer.alloc(size)
    const inflater = new FrameInflater(1 << 20)
    const out: Buffer[] = []
    for (let pos = 0; pos < stream.length; pos += size) {
      const n = stream.copy(reused, 0, pos, Math.min(pos + size, stream.length))
      inflater.feed(reused.subarray(0, n), (plain) => out.push(Buffer.from(plain)))
      reused.fill(0x7a)
    }
    assert.ok(Buffer.concat(out).equals(Buffer.concat(runs)), `reads of ${size} bytes`)
    assert.equal(inflater.buffered, 0)
  }
})

test('a 20 MiB payload: frames of at most 16 MiB - 1 bytes, its packets joined again by the framer', () => {
  const big = Buffer.alloc(20 * 1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251
  const pieces: Buffer[] = []
  const nextPacketSeq = writePayload(command(big), 0, { write: (c) => pieces.push(c) })
  assert.equal(nextPacketSeq, 2)
  const { stream, next } = framed(pieces, 0)
  const h = headers(stream)
  assert.deepEqual(
    h.map((f) => [f.seq, f.declared]),
    [
      [0, MAX_FRAME_PAYLOAD],
      [1, big.length + 2 * HEADER_SIZE - MAX_FRAME_PAYLOAD],
    ],
  )
  assert.equal(next, 2)
  const framer = new PacketFramer(64 << 20)
  const payloads: Buffer[] = []
  const inflater = new FrameInflater(64 << 20)
  for (let pos = 0; pos < stream.length; pos += 65536)
    inflater.feed(stream.subarray(pos, pos + 65536), (plain) =>
      framer.feed(plain, (p) => payloads.push(Buffer.from(p))),
    )
  assert.equal(payloads.length, 1)
  assert.ok(payloads[0]!.equals(big))
})

test('compressed sequence ids: one per frame from the given start, wrapping at 255', () => {
  const { stream, next } = framed([Buffer.from('ab')], 255)
  assert.equal(next, 0)
  assert.equal(headers(stream)[0]!.seq, 255)
  const many = framed([Buffer.alloc(MAX_FRAME_PAYLOAD + 10)], 254)
  assert.deepEqual(
    headers(many.stream).map((f) => f.seq),
    [254, 255],
  )
  assert.equal(many.next, 0)
})

test('Compression: a new command starts at id 0; answering the server continues after its last frame', () => {
  const delivered: Buffer[] = []
  const z = new Compression(1 << 20, (plain) => delivered.push(Buffer.from(plain)))
  const written: Buffer[] = []
  const sink = { write: (c: Buffer) => void written.push(c) }
  const take = (): { frames: FrameHeader[]; plain: Buffer } => {
    const stream = Buffer.concat(written.splice(0))
    return { frames: headers(stream), plain: inflate([stream]).plain }
  }
  // A command's packets keep their own ids (writePayload's), inside frames numbered from 0.
  assert.equal(z.send(command(Buffer.from([0x03, 0x31])), 0, true, sink), 1)
  let out = take()
  assert.deepEqual(
    out.frames.map((f) => f.seq),
    [0],
  )
  assert.equal(out.plain.toString('hex'), '020000000331')
  // The server answers in frames 1 and 2; the command's next write goes out as frame 3, then 4.
  z.feed(Buffer.concat([frame(Buffer.from([1, 0, 0, 1, 0xfb]), 0, 1), frame(Buffer.from('x'), 0, 2)]))
  assert.equal(delivered.length, 2)
  z.send(command(Buffer.from('file data')), 2, false, sink)
  z.send(command(Buffer.alloc(0)), 3, false, sink)
  assert.deepEqual(
    take().frames.map((f) => f.seq),
    [3, 4],
  )
  // Pipelined commands: each starts again at 0, never sharing a frame.
  z.send(command(Buffer.from([0x0e])), 0, true, sink)
  z.send(command(Buffer.from([0x0e])), 0, true, sink)
  out = take()
  assert.deepEqual(
    out.frames.map((f) => f.seq),
    [0, 0],
  )
})

test('an incomplete frame stays buffered and emits nothing', () => {
  const inflater = new FrameInflater(1024)
  let n = 0
  const whole = frame(Buffer.from('abcdef'), 0)
  inflater.feed(whole.subarray(0, 10), () => n++)
  inflater.feed(whole.subarray(10, 12), () => n++)
  assert.equal(n, 0)
  assert.equal(inflater.buffered, 12)
  inflater.feed(whole.subarray(12), () => n++)
  assert.equal(n, 1)
  assert.equal(inflater.buffered, 0)
})

// Hostile frames ----------------------------------------------------------------------------------

test('a zlib bomb declaring 100 bytes fails after at most 101 bytes of output, not 64 MiB', () => {
  const bomb = deflateSync(Buffer.alloc(64 << 20), { level: 9 })
  assert.ok(bomb.length < 128 * 1024)
  const hostile = frame(bomb, 100)
  const before = process.memoryUsage().arrayBuffers
  const started = performance.now()
  assert.throws(
    () => inflate([hostile], 1 << 30),
    (e: unknown) => e instanceof MalformedPacket && /inflates past its declared 100 bytes/.test(e.message),
  )
  const grown = process.memoryUsage().arrayBuffers - before
  // Inflating it would allocate 64 MiB (and take tens of milliseconds); stopping at 101 bytes costs
  // nothing measurable. The copy the test makes of the frame is under 128 KiB.
  assert.ok(grown < 4 << 20, `inflating grew buffers by ${grown} bytes`)
  assert.ok(performance.now() - started < 1000)
  // The same with a small bomb (1 KiB of zlib) and the layer above.
  const small = deflateSync(Buffer.alloc(1 << 20), { level: 9 })
  assert.ok(small.length < 1200, `${small.length}`)
  const z = new Compression(1 << 30, () => assert.fail('nothing may be delivered'))
  assert.throws(() => z.feed(frame(small, 100)), /inflates past its declared 100 bytes/)
})

test('a frame that declares more than maxAllowedPacket is refused from its header, before its body', () => {
  const inflater = new FrameInflater(4096)
  const header = frame(Buffer.alloc(0), 0).subarray(0, FRAME_HEADER_SIZE)
  header.writeUIntLE(10, 0, 3)
  header.writeUIntLE(4097, 4, 3)
  assert.throws(
    () => inflater.feed(header, () => assert.fail('nothing emitted')),
    (e: unknown) =>
      e instanceof MalformedPacket && /declares 4097 bytes, more than maxAllowedPacket 4096/.test(e.message),
  )
  // The header split across reads: refused as soon as its 7th byte arrives.
  const split = new FrameInflater(4096)
  split.feed(header.subarray(0, 6), () => assert.fail('nothing emitted'))
  assert.throws(() => split.feed(header.subarray(6), () => {}), MalformedPacket)
})

test('a frame whose body is longer than maxAllowedPacket is refused from its header, nothing buffered', () => {
  const inflater = new FrameInflater(4096)
  const header = Buffer.from([0x01, 0x10, 0x00, 0, 0, 0, 0]) // 4097 bytes follow, uncompressed
  assert.throws(
    () => inflater.feed(header, () => {}),
    (e: unknown) =>
      e instanceof MalformedPacket && /frame of 4097 bytes exceeds maxAllowedPacket 4096/.test(e.message),
  )
  assert.equal(inflater.buffered, 0)
})

test('a frame that inflates to fewer bytes than it declared fails', () => {
  const body = deflateSync(Buffer.from('only twenty-six bytes here'))
  assert.throws(
    () => inflate([frame(body, 27)]),
    (e: unknown) => e instanceof MalformedPacket && /inflates to 26 bytes, declared 27/.test(e.message),
  )
})

test('a truncated or corrupt zlib body fails as a malformed frame', () => {
  const body = deflateSync(compressible(10))
  const truncated = body.subarray(0, body.length - 8)
  assert.throws(() => inflate([frame(truncated, compressible(10).length)]), /not a valid zlib stream/)
  assert.throws(() => inflate([frame(Buffer.from('definitely not zlib'), 50)]), /not a valid zlib stream/)
  const flipped = Buffer.from(body)
  flipped[flipped.length - 1]! ^= 0xff // the Adler-32 checksum
  assert.throws(() => inflate([frame(flipped, compressible(10).length)]), MalformedPacket)
})
