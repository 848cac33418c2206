// Property-based fuzzing of the pure protocol layer (no server): the packet framer, the handshake
// greeting, OK/ERR/EOF, column definitions, text rows and binary rows. For random and mutated input the
// only error allowed is MalformedPacket; a TypeError or RangeError (a read past a buffer, a decoder
// choking) fails the property. Every parser also runs on the payload alone and on the same bytes inside
// a larger buffer: a parser that reads outside its range then answers differently. Valid input must
// parse back to what was written. Runs: `npm test`; long runs: `npm run fuzz -- --seconds N`.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CellWidth, decodeBinaryRow, type BinaryCell } from '../../src/protocol/binary-row.ts'
import { decodeColumn, type Column } from '../../src/protocol/column.ts'
import { Capability, MAX_PACKET_PAYLOAD, ServerStatus } from '../../src/protocol/constants.ts'
import { PacketFramer, writePayload } from '../../src/protocol/framing.ts'
import { parseAuthSwitch, parseGreeting } from '../../src/protocol/handshake.ts'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { PacketReader } from '../../src/protocol/reader.ts'
import { isEofPacket, parseEof, parseErr, parseOk } from '../../src/protocol/responses.ts'
import { decodeTextRow } from '../../src/protocol/text-row.ts'
import { HEADER_SIZE } from '../../src/protocol/writer.ts'
import { binaryDecoderFor } from '../../src/types/binary-decode.ts'
import { textDecoderFor } from '../../src/types/decode.ts'
import type { ResolvedTypeOptions } from '../../src/types/options.ts'
import { greeting, packets } from '../support/packets.ts'
import {
  alone,
  embed,
  mutate,
  mutationsArb,
  type Mutation,
  outcome,
  paddingArb,
  payloadVariants,
  randomPayloadArb,
  sameOutcome,
} from '../fuzz/bytes.ts'
import { fuzzer } from '../fuzz/harness.ts'
import {
  binaryCellArb,
  binaryRowPayload,
  columnArb,
  columnDefinition,
  errArb,
  eofPacket,
  greetingFieldsArb,
  okFieldsArb,
  okPacket,
  temporalKind,
  textCellArb,
  textRowPayload,
  typeOptionsArb,
} from '../fuzz/wire.ts'

const property = fuzzer(import.meta.filename)

// ---- framing -------------------------------------------------------------------------------------

/** `stream` cut at the given points (taken modulo its length), as fresh chunks. */
function chunked(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let from = 0
  for (const c of [...at, stream.length]) {
    if (c > from) chunks.push(Buffer.from(stream.subarray(from, c)))
    from = c
  }
  return chunks
}

interface Framed {
  payloads: Buffer[]
  seqs: number[]
  malformed: boolean
}

/**
 * Feed the chunks through a fresh framer, copying what it emits. Each chunk is scribbled over right
 * after its feed() returns, as a socket reusing its receive buffer would: a framer that kept a view
 * into an old chunk then hands out the scribble.
 */
function frame(chunks: readonly Buffer[], maxPayload: number, spans: boolean): Framed {
  const framer = new PacketFramer(maxPayload)
  const got: Framed = { payloads: [], seqs: [], malformed: false }
  const keep = (p: Buffer, seq: number): void => {
    got.payloads.push(Buffer.from(p))
    got.seqs.push(seq)
  }
  try {
    for (const chunk of chunks) {
      if (spans) framer.feedSpans(chunk, (buf, start, end, seq) => keep(buf.subarray(start, end), seq))
      else framer.feed(chunk, keep)
      chunk.fill(0xee)
    }
  } catch (e) {
    if (!(e instanceof MalformedPacket)) throw e
    got.malformed = true
  }
  return got
}

const cutsArb = fc.array(fc.nat(), { maxLength: 24 })

property(
  'framer: any chunking of a valid stream gives the same payloads and sequence ids',
  { numRuns: 300 },
  () =>
    fc.property(
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
          // Sizes whose length header has zero or 0xff bytes in it.
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(0xff, 0x100, 0xffff, 0x10000)
              .map((n) => new Uint8Array(n).fill(n & 0x7f)),
          },
        ),
        { maxLength: 12 },
      ),
      fc.integer({ min: 0, max: 255 }),
      cutsArb,
      fc.boolean(),
      (list, firstSeq, cuts, spans) => {
        const payloads = list.map((u) => Buffer.from(u))
        const got = frame(chunked(packets(payloads, firstSeq), cuts), 64 << 20, spans)
        assert.equal(got.malformed, false)
        assert.deepEqual(
          got.payloads.map((p) => p.toString('hex')),
          payloads.map((p) => p.toString('hex')),
        )
        assert.deepEqual(
          got.seqs,
          payloads.map((_, i) => (firstSeq + i) & 0xff),
        )
      },
    ),
)

property(
  'framer: payloads of 16 MiB and more join the same whatever the chunking (continuation packets)',
  { numRuns: 2 },
  () =>
    fc.property(
      fc.array(
        fc.oneof(
          fc.nat({ max: 64 }),
          fc.constantFrom(1, 2).chain((k) => fc.nat({ max: 40 }).map((r) => k * MAX_PACKET_PAYLOAD + r)),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      fc.integer({ min: 0, max: 255 }),
      // Cuts near packet boundaries (where a header or a continuation starts), and anywhere.
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: -6, max: 6 })), { maxLength: 6 }),
      cutsArb,
      fc.boolean(),
      (sizes, firstSeq, near, anywhere, spans) => {
        const wire: Buffer[] = []
        const starts: number[] = []
        const expected: { payload: Buffer; seq: number }[] = []
        let seq = firstSeq
        let offset = 0
        for (const [i, size] of sizes.entries()) {
          const framed = Buffer.alloc(HEADER_SIZE + size, i + 1)
          // A marker per 64 KiB, so a piece joined in the wrong place shows.
          for (let j = HEADER_SIZE; j + 4 <= framed.length; j += 65536) framed.writeUInt32LE(j, j)
          expected.push({ payload: framed.subarray(HEADER_SIZE), seq })
          seq = writePayload(framed, seq, {
            write: (c) => {
              starts.push(offset)
              offset += c.length
              wire.push(Buffer.from(c))
            },
          })
        }
        const stream = Buffer.concat(wire)
        const cuts = [...near.map(([k, d]) => Math.max(0, starts[k % starts.length]! + d)), ...anywhere]
        const got = frame(chunked(stream, cuts), 64 << 20, spans)
        assert.equal(got.malformed, false)
        assert.equal(got.payloads.length, expected.length)
        for (const [i, e] of expected.entries()) {
          assert.ok(got.payloads[i]!.equals(e.payload), `payload ${i} differs`)
          assert.equal(got.seqs[i], e.seq, `sequence id of payload ${i}`)
        }
      },
    ),
)

property(
  'framer: random and mutated streams give MalformedPacket at most, the same for every chunking',
  { numRuns: 400 },
  () =>
    fc.property(
      fc.oneof(
        randomPayloadArb,
        fc
          .tuple(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 6 }), mutationsArb)
          .map(([list, edits]) =>
            mutate(
              packets(
                list.map((u) => Buffer.from(u)),
                0,
              ),
              edits,
            ),
          ),
      ),
      fc.oneof(fc.nat({ max: 300 }), fc.constantFrom(0xfffffe, 0xffffff, 64 << 20)),
      cutsArb,
      cutsArb,
      fc.boolean(),
      (stream, maxPayload, cutsA, cutsB, spans) => {
        const a = frame(chunked(stream, cutsA), maxPayload, spans)
        const b = frame(chunked(stream, cutsB), maxPayload, !spans)
        assert.equal(a.malformed, b.malformed)
        assert.deepEqual(
          a.payloads.map((p) => p.toString('hex')),
          b.payloads.map((p) => p.toString('hex')),
        )
        assert.deepEqual(a.seqs, b.seqs)
        // Nothing over the bound is ever handed out, and nothing is made up.
        let total = 0
        for (const p of a.payloads) {
          assert.ok(p.length <= maxPayload, `payload of ${p.length} bytes over the bound ${maxPayload}`)
          total += p.length + HEADER_SIZE
        }
        assert.ok(total <= stream.length)
      },
    ),
)

// ---- handshake -----------------------------------------------------------------------------------

property('greeting: what a server writes parses back field for field', { numRuns: 1000 }, () =>
  fc.property(greetingFieldsArb, (f) => {
    const g = parseGreeting(greeting(f))
    assert.equal(g.protocolVersion, 10)
    assert.equal(g.serverVersion, f.version.replace(/^5\.5\.5-/, ''))
    assert.equal(g.connectionId, f.connectionId)
    assert.ok(g.scramble.equals(f.nonce), 'scramble')
    assert.equal(g.capabilities, f.capabilities)
    assert.equal(g.status, f.status)
    assert.equal(g.authPluginName, f.plugin === '' ? 'mysql_native_password' : f.plugin)
    const mariaDb = (f.capabilities & Capability.CLIENT_LONG_PASSWORD) === 0
    assert.equal(g.mariaDbCapabilities, mariaDb ? f.mariaDbCapabilities : 0)
  }),
)

property(
  'greeting and auth switch: random and mutated payloads give MalformedPacket at most, read only their bytes',
  { numRuns: 1500 },
  () =>
    fc.property(
      payloadVariants(greetingFieldsArb.map((f) => greeting(f))),
      paddingArb,
      (payload, padding) => {
        const { buf, start, end } = embed(payload, padding)
        sameOutcome(
          'parseGreeting',
          outcome('parseGreeting', () => parseGreeting(alone(payload))),
          outcome('parseGreeting', () => parseGreeting(buf.subarray(start, end))),
        )
        sameOutcome(
          'parseAuthSwitch',
          outcome('parseAuthSwitch', () => parseAuthSwitch(alone(payload))),
          outcome('parseAuthSwitch', () => parseAuthSwitch(buf.subarray(start, end))),
        )
      },
    ),
)

// ---- OK / ERR / EOF ------------------------------------------------------------------------------

const okCapsArb = fc
  .tuple(fc.boolean(), fc.boolean())
  .map(
    ([p41, track]) =>
      ((p41 ? Capability.CLIENT_PROTOCOL_41 : 0) | (track ? Capability.CLIENT_SESSION_TRACK : 0)) >>> 0,
  )

/** What readUInt64 gives for a value: a number while it is a safe integer. */
const exact = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v)

property(
  'OK: what a server writes parses back (counts, status, info, tracked schema)',
  { numRuns: 1000 },
  () =>
    fc.property(okFieldsArb, okCapsArb, (f, caps) => {
      const payload = okPacket(f, caps)
      const p41 = (caps & Capability.CLIENT_PROTOCOL_41) !== 0
      const track = (caps & Capability.CLIENT_SESSION_TRACK) !== 0
      // Without session tracking the info is the rest of the packet, and MariaDB length-prefixes it:
      // an info whose first byte happens to equal its remaining length reads as prefixed (documented).
      const info = Buffer.from(f.info)
      fc.pre(track || !(info.length > 1 && info[0]! < 0xfb && info[0] === info.length - 1))
      const ok = parseOk(payload, caps)
      assert.equal(ok.affectedRows, exact(f.affectedRows))
      assert.equal(ok.insertId, exact(f.insertId))
      assert.equal(ok.status, p41 ? f.status : 0)
      assert.equal(ok.warningCount, p41 ? f.warnings : 0)
      assert.equal(ok.info, f.info)
      const changed = p41 && track && (f.status & ServerStatus.SERVER_SESSION_STATE_CHANGED) !== 0
      assert.equal(ok.schema, changed ? f.schema : null)
    }),
)

property(
  'OK, ERR and EOF: random and mutated payloads give MalformedPacket at most, read only their bytes',
  { numRuns: 1500 },
  () =>
    fc.property(
      payloadVariants(
        fc.oneof(
          fc.tuple(okFieldsArb, okCapsArb).map(([f, caps]) => okPacket(f, caps)),
          errArb,
          fc
            .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
            .map(([s, w]) => eofPacket(s, w)),
        ),
      ),
      okCapsArb,
      paddingArb,
      (payload, caps, padding) => {
        const { buf, start, end } = embed(payload, padding)
        const view = (): Buffer => buf.subarray(start, end)
        const parsers: [string, (b: Buffer) => unknown][] = [
          ['parseOk', (b) => parseOk(b, caps)],
          ['parseErr', parseErr],
          ['parseEof', parseEof],
        ]
        for (const [name, parse] of parsers) {
          sameOutcome(
            name,
            outcome(name, () => parse(alone(payload))),
            outcome(name, () => parse(view())),
          )
        }
        sameOutcome(
          'isEofPacket',
          outcome('isEofPacket', () => isEofPacket(alone(payload))),
          outcome('isEofPacket', () => isEofPacket(buf, start, end)),
        )
      },
    ),
)

// ---- column definitions --------------------------------------------------------------------------

property('column definitions: what a server writes parses back field for field', { numRuns: 1000 }, () =>
  fc.property(columnArb, fc.boolean(), (c, extended) => {
    const got = decodeColumn(new PacketReader(columnDefinition(c, extended)), extended)
    assert.deepEqual(got, { ...c, extendedType: extended ? c.extendedType : '' })
  }),
)

property(
  'column definitions: random and mutated payloads give MalformedPacket at most, read only their bytes',
  { numRuns: 1500 },
  () =>
    fc.property(
      fc
        .boolean()
        .chain((extended) =>
          fc.tuple(
            fc.constant(extended),
            payloadVariants(columnArb.map((c) => columnDefinition(c, extended))),
          ),
        ),
      fc.boolean(),
      paddingArb,
      ([builtExtended, payload], extended, padding) => {
        // Usually parsed as it was built; sometimes with the other extended-metadata setting.
        const ext = builtExtended === extended || padding.before.length % 2 === 0 ? builtExtended : extended
        const { buf, start, end } = embed(payload, padding)
        sameOutcome(
          'decodeColumn',
          outcome('decodeColumn', () => decodeColumn(new PacketReader(alone(payload)), ext)),
          outcome('decodeColumn', () => decodeColumn(new PacketReader(buf, start, end), ext)),
        )
      },
    ),
)

// ---- rows ----------------------------------------------------------------------------------------

const columnsArb = fc.array(columnArb, { minLength: 1, maxLength: 6 })

/** What becomes of a valid row: kept (null), edited, or replaced by random bytes. */
const rowEditArb: fc.Arbitrary<Mutation[] | Buffer | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: mutationsArb },
  { weight: 1, arbitrary: randomPayloadArb },
)

function edited(valid: Buffer, edit: Mutation[] | Buffer | null): Buffer {
  return edit === null ? valid : Buffer.isBuffer(edit) ? edit : mutate(valid, edit)
}

/**
 * Decoders are chosen when the column definitions arrive, so choosing one is fuzzed too: refusing a
 * column with MalformedPacket is allowed (null: nothing to decode), any other error fails.
 */
function decodersFor<T>(what: string, choose: () => T): T | null {
  try {
    return choose()
  } catch (e) {
    if (e instanceof MalformedPacket) return null
    throw new Error(`${what} threw ${e instanceof Error ? e.name : typeof e}: ${String(e)}`, { cause: e })
  }
}

property(
  'text rows: any cells decode with every column decoder; mutated rows give MalformedPacket at most, read only their bytes',
  { numRuns: 500 },
  () =>
    fc.property(
      fc
        .tuple(columnsArb, typeOptionsArb)
        .chain(([cols, opts]) =>
          fc.tuple(fc.constant(cols), fc.constant(opts), fc.tuple(...cols.map((c) => textCellArb(c)))),
        ),
      rowEditArb,
      paddingArb,
      ([cols, opts, cells], edit, padding) => {
        const payload = edited(textRowPayload(cells), edit)
        const decoders = decodersFor('textDecoderFor', () => cols.map((c) => textDecoderFor(c, opts)))
        if (decoders === null) return
        const { buf, start, end } = embed(payload, padding)
        const a = outcome('decodeTextRow', () => {
          const out = new Array<unknown>(cols.length)
          decodeTextRow(alone(payload), 0, payload.length, decoders, out)
          return out
        })
        const b = outcome('decodeTextRow', () => {
          const out = new Array<unknown>(cols.length)
          decodeTextRow(buf, start, end, decoders, out)
          return out
        })
        sameOutcome('decodeTextRow', a, b)
        // A well-formed row never fails, whatever its cells hold: a text decoder has no reason to throw.
        if (edit === null) assert.ok('value' in a, 'a well-formed text row was refused')
      },
    ),
)

/** Cells for generating values; a column whose cell cannot be made fails later, in the property. */
function cellsFor(cols: readonly Column[], opts: ResolvedTypeOptions): BinaryCell[] {
  return cols.map((c) => {
    try {
      return binaryDecoderFor(c, opts)
    } catch {
      return { width: CellWidth.LENENC, decode: () => null }
    }
  })
}

property(
  'binary rows: valid and mutated rows into every binary cell give MalformedPacket at most, read only their bytes',
  { numRuns: 1000 },
  () =>
    fc.property(
      fc.tuple(columnsArb, typeOptionsArb).chain(([cols, opts]) => {
        const cells = cellsFor(cols, opts)
        return fc.tuple(
          fc.constant(cols),
          fc.constant(opts),
          fc.tuple(...cells.map((cell, i) => binaryCellArb(cell, temporalKind(cols[i]!), false))),
        )
      }),
      rowEditArb,
      paddingArb,
      ([cols, opts, values], edit, padding) => {
        const cells = decodersFor('binaryDecoderFor', () => cols.map((c) => binaryDecoderFor(c, opts)))
        if (cells === null) return
        const payload = edited(binaryRowPayload(cells, values), edit)
        const { buf, start, end } = embed(payload, padding)
        sameOutcome(
          'decodeBinaryRow',
          outcome('decodeBinaryRow', () => {
            const out = new Array<unknown>(cells.length)
            decodeBinaryRow(alone(payload), 0, payload.length, cells, out)
            return out
          }),
          outcome('decodeBinaryRow', () => {
            const out = new Array<unknown>(cells.length)
            decodeBinaryRow(buf, start, end, cells, out)
            return out
          }),
        )
      },
    ),
)
