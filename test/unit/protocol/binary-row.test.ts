// Binary-protocol rows: the NULL bitmap at every size and position, each way a value is delimited,
// and every malformed row (truncations, bad header, bad prefixes, leftover bytes) as a MalformedPacket.
// Rows sit between foreign bytes, so a reader that strays outside [start, end) is caught.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CellWidth, decodeBinaryRow, type BinaryCell } from '../../../src/protocol/binary-row.ts'
import type { Column } from '../../../src/protocol/column.ts'
import { ColumnType } from '../../../src/protocol/constants.ts'
import { MalformedPacket } from '../../../src/protocol/malformed.ts'
import { binaryDecoderFor } from '../../../src/types/binary-decode.ts'
import { DEFAULT_TYPE_OPTIONS } from '../../../src/types/options.ts'
import { lenencPrefix, testColumn } from '../../support/packets.ts'

/** A cell that returns its bytes as hex, so tests see exactly the range it was given. */
function hexCell(width: number): BinaryCell {
  return { width, decode: (buf, start, end) => buf.toString('hex', start, end) }
}

/** A cell whose decoder must never run (its column is NULL in every row it is used with). */
const neverCell: BinaryCell = {
  width: 4,
  decode: () => assert.fail('decoder called for a NULL cell'),
}

const SAMPLE: Record<number, Buffer> = {
  1: Buffer.from([0x11]),
  2: Buffer.from([0x21, 0x22]),
  4: Buffer.from([0x41, 0x42, 0x43, 0x44]),
  8: Buffer.from('8182838485868788', 'hex'),
}

/** The payload of a binary row: values[i] null for NULL, else the value bytes (prefix added per cell). */
function rowPayload(cells: readonly BinaryCell[], values: readonly (Buffer | null)[]): Buffer {
  const bitmap = Buffer.alloc((cells.length + 9) >> 3)
  const parts: Buffer[] = [Buffer.from([0x00]), bitmap]
  values.forEach((v, i) => {
    if (v === null) {
      bitmap[(i + 2) >> 3]! |= 1 << ((i + 2) & 7)
      return
    }
    const width = cells[i]!.width
    if (width === CellWidth.LENENC) parts.push(lenencPrefix(v.length))
    else if (width === CellWidth.LENGTH_BYTE) parts.push(Buffer.from([v.length]))
    parts.push(v)
  })
  return Buffer.concat(parts)
}

/** Decode `payload` placed between foreign bytes. */
function decode(cells: readonly BinaryCell[], payload: Buffer, out: unknown[] = []): unknown[] {
  const buf = Buffer.concat([Buffer.from([0xfe, 0xfb]), payload, Buffer.from([0x00, 0xff, 0x07])])
  decodeBinaryRow(buf, 2, 2 + payload.length, cells, out)
  return out
}

describe('NULL bitmap', () => {
  test('is (n + 9) >> 3 bytes, with the first two bits reserved', () => {
    for (const [n, size] of [
      [1, 1],
      [6, 1],
      [7, 2],
      [8, 2],
      [9, 2],
      [14, 2],
      [15, 3],
      [16, 3],
      [17, 3],
      [64, 9],
    ] as const) {
      const cells = Array.from({ length: n }, () => hexCell(1))
      const allNull = rowPayload(
        cells,
        cells.map(() => null),
      )
      assert.equal(allNull.length, 1 + size, `${n} columns`)
      assert.deepEqual(decode(cells, allNull), new Array<null>(n).fill(null))
    }
  })

  test('NULL in each single position, for bitmaps that cross byte boundaries', () => {
    for (const n of [1, 2, 6, 7, 8, 9, 15, 16, 17, 33]) {
      const cells = Array.from({ length: n }, (_, i) => hexCell([1, 2, 4, 8][i % 4]!))
      const values = cells.map((c) => SAMPLE[c.width]!)
      const expected = values.map((v) => v.toString('hex'))
      assert.deepEqual(decode(cells, rowPayload(cells, values)), expected, `${n} columns, no NULL`)
      for (let i = 0; i < n; i++) {
        const withNull = values.map((v, j) => (j === i ? null : v))
        const want = expected.map((v, j) => (j === i ? null : v))
        assert.deepEqual(decode(cells, rowPayload(cells, withNull)), want, `${n} columns, NULL at ${i}`)
      }
    }
  })

  test('first, middle and last NULL together; random patterns', () => {
    let seed = 3
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 1
    for (const n of [3, 7, 8, 9, 17, 40]) {
      const cells = Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? hexCell(CellWidth.LENENC) : hexCell(2),
      )
      const value = (i: number): Buffer => (i % 3 === 0 ? Buffer.from(`v${i}`) : SAMPLE[2]!)
      const patterns = [
        cells.map((_, i) => i === 0 || i === n >> 1 || i === n - 1),
        ...Array.from({ length: 20 }, () => cells.map(() => rand() === 1)),
      ]
      for (const isNull of patterns) {
        const values = cells.map((_, i) => (isNull[i] ? null : value(i)))
        const want = values.map((v) => (v === null ? null : v.toString('hex')))
        assert.deepEqual(decode(cells, rowPayload(cells, values)), want)
      }
    }
  })

  test('the decoder of a NULL cell is never called', () => {
    const cells = [hexCell(1), neverCell, hexCell(1)]
    assert.deepEqual(decode(cells, rowPayload(cells, [SAMPLE[1]!, null, SAMPLE[1]!])), ['11', null, '11'])
  })

  test('out is overwritten in place, NULLs included', () => {
    const cells = [hexCell(1), hexCell(2)]
    const out: unknown[] = ['stale', 'stale']
    decode(cells, rowPayload(cells, [null, SAMPLE[2]!]), out)
    assert.deepEqual(out, [null, '2122'])
    decode(cells, rowPayload(cells, [SAMPLE[1]!, null]), out)
    assert.deepEqual(out, ['11', null])
  })

  test('no columns: a header and an empty bitmap byte', () => {
    assert.deepEqual(decode([], Buffer.from([0x00, 0x00])), [])
  })
})

describe('value delimiting', () => {
  test('length-encoded values at every prefix size', () => {
    const cells = [hexCell(CellWidth.LENENC), hexCell(1)]
    for (const n of [0, 1, 250, 251, 252, 0xffff, 0x10000, 0x10001]) {
      const v = Buffer.alloc(n, 0xab)
      assert.deepEqual(
        decode(cells, rowPayload(cells, [v, SAMPLE[1]!])),
        [v.toString('hex'), '11'],
        `length ${n}`,
      )
    }
  })

  test('an 8-byte length prefix', () => {
    const cells = [hexCell(CellWidth.LENENC)]
    const payload = Buffer.concat([
      Buffer.from([0x00, 0x00, 0xfe, 3, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('abc'),
    ])
    assert.deepEqual(decode(cells, payload), ['616263'])
  })

  test('length-byte values (temporal types) of 0 to 255 bytes; 0xFB and above are plain lengths here', () => {
    const cells = [hexCell(CellWidth.LENGTH_BYTE), hexCell(1)]
    for (const n of [0, 4, 7, 11, 251, 252, 255]) {
      const v = Buffer.alloc(n, 0x5a)
      assert.deepEqual(
        decode(cells, rowPayload(cells, [v, SAMPLE[1]!])),
        [v.toString('hex'), '11'],
        `length ${n}`,
      )
    }
  })

  test('real cells of every kind in one row', () => {
    const column = (type: number, decimals = 0): Column => ({
      schema: '',
      table: '',
      orgTable: '',
      name: '',
      orgName: '',
      characterSet: 45,
      columnLength: 0,
      type,
      flags: 0,
      decimals,
      extendedType: '',
    })
    const T = ColumnType
    const cols = [
      column(T.MYSQL_TYPE_TINY),
      column(T.MYSQL_TYPE_NULL),
      column(T.MYSQL_TYPE_LONGLONG),
      column(T.MYSQL_TYPE_VAR_STRING),
      column(T.MYSQL_TYPE_DATETIME, 3),
      column(T.MYSQL_TYPE_TIME),
      column(T.MYSQL_TYPE_DOUBLE, 31),
      column(T.MYSQL_TYPE_NEWDECIMAL, 2),
    ]
    const cells = cols.map((c) => binaryDecoderFor(c, DEFAULT_TYPE_OPTIONS))
    const payload = rowPayload(cells, [
      Buffer.from([0xff]),
      null,
      Buffer.from('2a00000000000000', 'hex'),
      Buffer.from('héllo'),
      Buffer.from([0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0x00]),
      Buffer.from([1, 1, 0, 0, 0, 2, 3, 4]),
      Buffer.from('9a9999999999b93f', 'hex'),
      Buffer.from('-1.50'),
    ])
    const [tiny, nul, big, str, datetime, time, double, decimal] = decode(cells, payload)
    assert.deepEqual(
      [tiny, nul, big, str, time, double, decimal],
      [-1, null, 42, 'héllo', '-26:03:04', 0.1, '-1.50'],
    )
    assert.ok(datetime instanceof Date)
    assert.equal(datetime.getTime(), new Date(2024, 0, 2, 3, 4, 5, 123).getTime())
  })
})

describe('malformed rows', () => {
  const cells = [hexCell(4), hexCell(CellWidth.LENENC), hexCell(CellWidth.LENGTH_BYTE), hexCell(8)]
  const valid = rowPayload(cells, [SAMPLE[4]!, Buffer.from('text'), Buffer.from([1, 2, 3, 4]), SAMPLE[8]!])

  test('the valid row decodes', () => {
    assert.deepEqual(decode(cells, valid), ['41424344', '74657874', '01020304', SAMPLE[8]!.toString('hex')])
  })

  test('every truncation is a MalformedPacket, never a read past the end', () => {
    for (let i = 0; i < valid.length; i++) {
      assert.throws(() => decode(cells, valid.subarray(0, i)), MalformedPacket, `truncated to ${i} bytes`)
    }
  })

  test('trailing bytes', () => {
    assert.throws(() => decode(cells, Buffer.concat([valid, Buffer.from([0])])), MalformedPacket)
    const allNull = rowPayload(cells, [null, null, null, null])
    assert.throws(() => decode(cells, Buffer.concat([allNull, Buffer.from([0])])), MalformedPacket)
  })

  test('a header other than 0x00, or no header at all', () => {
    for (const header of [0x01, 0xfe, 0xff]) {
      const bad = Buffer.from(valid)
      bad[0] = header
      assert.throws(() => decode(cells, bad), MalformedPacket, `header ${header}`)
    }
    assert.throws(() => decode([], Buffer.alloc(0)), MalformedPacket)
  })

  test('a truncated fixed-width value', () => {
    const fixed8 = [hexCell(8)]
    assert.throws(() => decode(fixed8, Buffer.from([0, 0, 1, 2, 3, 4, 5, 6, 7])), MalformedPacket)
  })

  test('truncated length-encoded lengths and values', () => {
    const lenenc = [hexCell(CellWidth.LENENC)]
    for (const bytes of [
      [0x00, 0x00], // no length at all
      [0x00, 0x00, 0xfc, 0x01],
      [0x00, 0x00, 0xfd, 0x01, 0x00],
      [0x00, 0x00, 0xfe, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
      [0x00, 0x00, 0x03, 0x61, 0x62],
      [0x00, 0x00, 0xfc, 0x00, 0x01, 0x61],
      [0x00, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], // 2^40 bytes
      [0x00, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ]) {
      assert.throws(
        () => decode(lenenc, Buffer.from(bytes)),
        MalformedPacket,
        Buffer.from(bytes).toString('hex'),
      )
    }
  })

  test('0xFB (the text NULL marker) and 0xFF are not length prefixes', () => {
    const lenenc = [hexCell(CellWidth.LENENC)]
    assert.throws(() => decode(lenenc, Buffer.from([0x00, 0x00, 0xfb])), MalformedPacket)
    assert.throws(() => decode(lenenc, Buffer.from([0x00, 0x00, 0xff, 0x00])), MalformedPacket)
  })

  test('a length byte running past the end', () => {
    const lengthByte = [hexCell(CellWidth.LENGTH_BYTE)]
    assert.throws(() => decode(lengthByte, Buffer.from([0x00, 0x00, 0x04, 1, 2, 3])), MalformedPacket)
    assert.throws(() => decode(lengthByte, Buffer.from([0x00, 0x00])), MalformedPacket)
  })

  test('a TIME or DATETIME of a length its type does not have', () => {
    const column = (type: number): Column => testColumn(type)
    const time = [binaryDecoderFor(column(ColumnType.MYSQL_TYPE_TIME), DEFAULT_TYPE_OPTIONS)]
    for (const len of [4, 7, 11]) {
      assert.throws(() => decode(time, rowPayload(time, [Buffer.alloc(len)])), MalformedPacket, `TIME ${len}`)
    }
    const datetime = [binaryDecoderFor(column(ColumnType.MYSQL_TYPE_DATETIME), DEFAULT_TYPE_OPTIONS)]
    for (const len of [3, 8, 12]) {
      assert.throws(
        () => decode(datetime, rowPayload(datetime, [Buffer.alloc(len)])),
        MalformedPacket,
        `DATETIME ${len}`,
      )
    }
  })
})
