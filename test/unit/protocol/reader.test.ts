import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MalformedPacket } from '../../../src/protocol/malformed.ts'
import { PacketReader } from '../../../src/protocol/reader.ts'
import { PacketWriter } from '../../../src/protocol/writer.ts'
import { decodeTextRow } from '../../../src/protocol/text-row.ts'

test('reader: length-encoded integers round-trip at every prefix boundary', () => {
  for (const v of [0, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000, 2 ** 53 - 1]) {
    const w = new PacketWriter().writeLenencInt(v)
    const r = new PacketReader(Buffer.from(w.payload()))
    assert.equal(r.readLenencInt(), v)
    assert.equal(r.remaining, 0)
  }
})

test('reader: 0xFB is the NULL marker', () => {
  assert.equal(new PacketReader(Buffer.from([0xfb])).readLenencInt(), -1)
})

test('reader: exact 8-byte integers above 2^53 come back as bigint', () => {
  const r = new PacketReader(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
  assert.equal(r.readLenencIntExact(), 18446744073709551615n)
})

test('reader: every truncation of a packet is a MalformedPacket, never an out-of-bounds read', () => {
  const full = Buffer.from(
    new PacketWriter().writeLenencInt(70000).writeLenencString('abc').writeUInt32(9).payload(),
  )
  for (let i = 0; i < full.length; i++) {
    const r = new PacketReader(full.subarray(0, i))
    assert.throws(() => {
      r.readLenencInt()
      r.readLenencString()
      r.readUInt32()
    }, MalformedPacket)
  }
})

test('reader: a string length running past the end is refused', () => {
  const r = new PacketReader(Buffer.from([0xfc, 0xff, 0xff, 0x41]))
  assert.throws(() => r.readLenencString(), MalformedPacket)
})

test('reader: 0xFF is not a valid length prefix', () => {
  assert.throws(() => new PacketReader(Buffer.from([0xff])).readLenencInt(), MalformedPacket)
})

test('reader: an unterminated NUL string is refused', () => {
  assert.throws(() => new PacketReader(Buffer.from('abc')).readNulString(), MalformedPacket)
})

test('text row: cells, NULL, and every malformed shape', () => {
  const dec = (b: Buffer, s: number, e: number): string => b.toString('utf8', s, e)
  const out: unknown[] = [undefined, undefined]
  decodeTextRow(Buffer.from([2, 0x68, 0x69, 0xfb]), 0, 4, [dec, dec], out)
  assert.deepEqual(out, ['hi', null])
  assert.throws(() => decodeTextRow(Buffer.from([5, 0x68]), 0, 2, [dec], [undefined]), MalformedPacket)
  assert.throws(
    () => decodeTextRow(Buffer.from([1, 0x68]), 0, 2, [dec, dec], [undefined, undefined]),
    MalformedPacket,
  )
  assert.throws(() => decodeTextRow(Buffer.from([1, 0x68, 0]), 0, 3, [dec], [undefined]), MalformedPacket)
  assert.throws(() => decodeTextRow(Buffer.from([0xfc, 1]), 0, 2, [dec], [undefined]), MalformedPacket)
  assert.throws(() => decodeTextRow(Buffer.from([0xff]), 0, 1, [dec], [undefined]), MalformedPacket)
})
