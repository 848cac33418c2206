// Binary-protocol cell decoders: for every type and every type option, the value decoded from the
// binary encoding must equal what the text decoder makes of the text the server sends for the same
// value. Binary values travel through decodeBinaryRow inside foreign bytes, as they come off the wire.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CellWidth, decodeBinaryRow } from '../../../src/protocol/binary-row.ts'
import type { Column } from '../../../src/protocol/column.ts'
import { ColumnType, FieldFlag } from '../../../src/protocol/constants.ts'
import { MalformedPacket } from '../../../src/protocol/malformed.ts'
import { binaryDecoderFor } from '../../../src/types/binary-decode.ts'
import { textDecoderFor } from '../../../src/types/decode.ts'
import { resolveTypeOptions, type TypeOptions } from '../../../src/types/options.ts'
import { testColumn, lenencPrefix } from '../../support/packets.ts'

const T = ColumnType
const UTF8MB4 = 45
const BINARY = 63
const UNSIGNED = FieldFlag.UNSIGNED_FLAG
/** decimals of a FLOAT/DOUBLE without a fixed number of decimals (NOT_FIXED_DEC). */
const NOT_FIXED = 31

const column = testColumn

/** Every type option, each on its own and in the combinations that interact. */
const OPTION_SETS: readonly TypeOptions[] = [
  {},
  { timezone: 'Z' },
  { timezone: '+05:30' },
  { timezone: '-08:00' },
  { dateStrings: true },
  { dateStrings: true, timezone: '+05:30' },
  { decimalNumbers: true },
  { bigIntMode: 'bigint' },
  { bigIntMode: 'string' },
  { jsonParse: false },
]

/** The binary decoder's value for `value` (its bytes, without length prefix) in a one-column row. */
function fromBinary(col: Column, value: Buffer, options: TypeOptions = {}): unknown {
  const cell = binaryDecoderFor(col, resolveTypeOptions(options))
  let prefix: Buffer = Buffer.alloc(0)
  if (cell.width === CellWidth.LENGTH_BYTE) prefix = Buffer.from([value.length])
  else if (cell.width === CellWidth.LENENC) prefix = lenencPrefix(value.length)
  else assert.equal(value.length, cell.width, 'fixed-width value of the wrong size')
  const payload = Buffer.concat([Buffer.from([0x00, 0x00]), prefix, value])
  const buf = Buffer.concat([Buffer.from('-9'), payload, Buffer.from('7x')])
  const out: unknown[] = [undefined]
  decodeBinaryRow(buf, 2, 2 + payload.length, [cell], out)
  return out[0]
}

/** The text decoder's value for the server's text (UTF-8) or raw bytes of the same value. */
function fromText(col: Column, cell: string | Buffer, options: TypeOptions = {}): unknown {
  const bytes = typeof cell === 'string' ? Buffer.from(cell, 'utf8') : cell
  const buf = Buffer.concat([Buffer.from('-9'), bytes, Buffer.from('7x')])
  return textDecoderFor(col, resolveTypeOptions(options))(buf, 2, 2 + bytes.length)
}

/**
 * Asserts that the binary value and the server's text decode to the same value under every option
 * set, and returns the value under `options` so callers can pin it down too.
 */
function same(col: Column, binary: Buffer, text: string | Buffer, options: TypeOptions = {}): unknown {
  for (const o of OPTION_SETS) {
    const b = fromBinary(col, binary, o)
    const t = fromText(col, text, o)
    assert.deepStrictEqual(b, t, `type ${col.type} decimals ${col.decimals} ${JSON.stringify(o)}: ${text}`)
  }
  return fromBinary(col, binary, options)
}

// Little-endian encoders for the fixed-width binary values.
const le = {
  i8: (n: number): Buffer => withBuf(1, (b) => b.writeInt8(n)),
  u8: (n: number): Buffer => withBuf(1, (b) => b.writeUInt8(n)),
  i16: (n: number): Buffer => withBuf(2, (b) => b.writeInt16LE(n)),
  u16: (n: number): Buffer => withBuf(2, (b) => b.writeUInt16LE(n)),
  i32: (n: number): Buffer => withBuf(4, (b) => b.writeInt32LE(n)),
  u32: (n: number): Buffer => withBuf(4, (b) => b.writeUInt32LE(n)),
  i64: (n: bigint): Buffer => withBuf(8, (b) => b.writeBigInt64LE(n)),
  u64: (n: bigint): Buffer => withBuf(8, (b) => b.writeBigUInt64LE(n)),
  f32: (n: number): Buffer => withBuf(4, (b) => b.writeFloatLE(n)),
  f64: (n: number): Buffer => withBuf(8, (b) => b.writeDoubleLE(n)),
}

function withBuf(size: number, write: (b: Buffer) => unknown): Buffer {
  const b = Buffer.alloc(size)
  write(b)
  return b
}

/** DATE/DATETIME/TIMESTAMP bytes the way the server shortens them: 0, 4, 7 or 11 bytes. */
function dateBytes(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, us = 0): Buffer {
  const b = Buffer.alloc(11)
  b.writeUInt16LE(y, 0)
  b.set([mo, d, h, mi, s], 2)
  b.writeUInt32LE(us, 7)
  return b.subarray(0, us !== 0 ? 11 : h || mi || s ? 7 : y || mo || d ? 4 : 0)
}

/** TIME bytes the way the server shortens them: 0, 8 or 12 bytes. */
function timeBytes(negative: boolean, days: number, h: number, mi: number, s: number, us = 0): Buffer {
  const b = Buffer.alloc(12)
  b[0] = negative ? 1 : 0
  b.writeUInt32LE(days, 1)
  b.set([h, mi, s], 5)
  b.writeUInt32LE(us, 8)
  return b.subarray(0, us !== 0 ? 12 : days || h || mi || s ? 8 : 0)
}

describe('integers', () => {
  const cases: [type: number, size: number, min: number, max: number, umax: number][] = [
    [T.MYSQL_TYPE_TINY, 1, -128, 127, 255],
    [T.MYSQL_TYPE_SHORT, 2, -32768, 32767, 65535],
    [T.MYSQL_TYPE_INT24, 4, -8388608, 8388607, 16777215],
    [T.MYSQL_TYPE_LONG, 4, -2147483648, 2147483647, 4294967295],
  ]

  test('signed and unsigned min, max, 0 and -1 of TINYINT, SMALLINT, MEDIUMINT and INT', () => {
    for (const [type, size, min, max, umax] of cases) {
      const signed = size === 1 ? le.i8 : size === 2 ? le.i16 : le.i32
      const unsigned = size === 1 ? le.u8 : size === 2 ? le.u16 : le.u32
      for (const n of [min, max, 0, -1, 1]) assert.equal(same(column(type), signed(n), String(n)), n)
      const ucol = column(type, { flags: UNSIGNED })
      for (const n of [0, 1, max, umax]) assert.equal(same(ucol, unsigned(n), String(n)), n)
    }
  })

  test('ZEROFILL integers are numbers, like the zero-padded text', () => {
    const col = column(T.MYSQL_TYPE_LONG, { flags: UNSIGNED | FieldFlag.ZEROFILL_FLAG, columnLength: 10 })
    assert.equal(same(col, le.u32(42), '0000000042'), 42)
  })

  test('YEAR is two bytes and a number', () => {
    const year = column(T.MYSQL_TYPE_YEAR, { flags: UNSIGNED | FieldFlag.ZEROFILL_FLAG, columnLength: 4 })
    for (const y of [1901, 2024, 2155]) assert.equal(same(year, le.u16(y), String(y)), y)
    assert.equal(same(year, le.u16(0), '0000'), 0)
  })
})

describe('BIGINT', () => {
  const signed = column(T.MYSQL_TYPE_LONGLONG)
  const unsigned = column(T.MYSQL_TYPE_LONGLONG, { flags: UNSIGNED })
  const values = [
    0n,
    1n,
    -1n,
    123456789012n,
    9007199254740991n,
    -9007199254740991n,
    9007199254740992n,
    -9007199254740992n,
    9007199254740993n,
    -9223372036854775808n,
    9223372036854775807n,
  ]

  test('signed values in every bigIntMode', () => {
    for (const v of values) same(signed, le.i64(v), String(v))
  })

  test('unsigned values in every bigIntMode, up to 2^64 - 1', () => {
    for (const v of [0n, 1n, 9007199254740991n, 9007199254740992n, 2n ** 63n, 2n ** 64n - 1n]) {
      same(unsigned, le.u64(v), String(v))
    }
  })

  test('unsigned max: bigint in auto and bigint mode, the digits in string mode', () => {
    const max = le.u64(18446744073709551615n)
    assert.equal(same(unsigned, max, '18446744073709551615'), 18446744073709551615n)
    assert.equal(fromBinary(unsigned, max, { bigIntMode: 'bigint' }), 18446744073709551615n)
    assert.equal(fromBinary(unsigned, max, { bigIntMode: 'string' }), '18446744073709551615')
  })

  test('safe values are numbers in auto mode, bigints in bigint mode, digits in string mode', () => {
    const v = le.i64(-9007199254740991n)
    assert.equal(fromBinary(signed, v), -9007199254740991)
    assert.equal(fromBinary(signed, v, { bigIntMode: 'bigint' }), -9007199254740991n)
    assert.equal(fromBinary(signed, v, { bigIntMode: 'string' }), '-9007199254740991')
    assert.equal(fromBinary(signed, le.i64(-9007199254740992n)), -9007199254740992n)
  })

  test('ZEROFILL in string mode is padded to the display width, as the text is', () => {
    const zerofill = column(T.MYSQL_TYPE_LONGLONG, {
      flags: UNSIGNED | FieldFlag.ZEROFILL_FLAG,
      columnLength: 20,
    })
    assert.equal(
      same(zerofill, le.u64(42n), '00000000000000000042', { bigIntMode: 'string' }),
      '00000000000000000042',
    )
    same(zerofill, le.u64(2n ** 64n - 1n), '18446744073709551615')
    assert.equal(same(zerofill, le.u64(42n), '00000000000000000042'), 42)
  })

  test('random 64-bit patterns agree in every mode', () => {
    let seed = 7n
    for (let k = 0; k < 2000; k++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn
      const bitsKept = BigInt(k % 64) + 1n
      const u = seed >> (64n - bitsKept)
      same(unsigned, le.u64(u), String(u))
      const s = BigInt.asIntN(64, u << (64n - bitsKept)) >> (64n - bitsKept)
      same(signed, le.i64(s), String(s))
    }
  })
})

// ---- FLOAT and DOUBLE: reference formatters -----------------------------------------------------
// The server prints with dtoa, which rounds exact halfway cases to even. These build that text with
// exact BigInt arithmetic, independently of the decoder's toFixed/toPrecision fix-ups.

/** |x| = digits · 10^exp exactly, for a finite double. */
function exactDecimal(x: number): { digits: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, Math.abs(x))
  const raw = view.getBigUint64(0)
  const biased = Number(raw >> 52n)
  const fraction = raw & ((1n << 52n) - 1n)
  const m = biased === 0 ? fraction : fraction | (1n << 52n)
  const e = biased === 0 ? -1074 : biased - 1075
  if (e >= 0) return { digits: m << BigInt(e), exp: 0 }
  return { digits: m * 5n ** BigInt(-e), exp: e } // m·2^e = m·5^-e / 10^-e
}

/** digits / 10^cut rounded half to even. */
function roundHalfEven(digits: bigint, cut: number): bigint {
  if (cut <= 0) return digits * 10n ** BigInt(-cut)
  const p = 10n ** BigInt(cut)
  const q = digits / p
  const r = (digits % p) * 2n
  return r > p || (r === p && q % 2n === 1n) ? q + 1n : q
}

/** my_gcvt(x, FLOAT): at most 6 significant digits, trailing zeros dropped, %g-like layout. */
function serverFloatText(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  const { digits, exp } = exactDecimal(x)
  const cut = Math.max(0, digits.toString().length - 6)
  let q = roundHalfEven(digits, cut)
  let e = exp + cut
  while (q % 10n === 0n) {
    q /= 10n
    e++
  }
  const s = q.toString()
  const decpt = s.length + e // position of the point relative to the digits
  const sign = x < 0 ? '-' : ''
  if (decpt > 15 || decpt < -3) return `${sign}${s[0]}${s.length > 1 ? '.' + s.slice(1) : ''}e${decpt - 1}`
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${s}`
  if (decpt >= s.length) return sign + s + '0'.repeat(decpt - s.length)
  return `${sign}${s.slice(0, decpt)}.${s.slice(decpt)}`
}

/** my_fcvt(x, decimals): exactly `decimals` digits after the point, the sign kept even for zero. */
function serverFixedText(x: number, decimals: number): string {
  const { digits, exp } = exactDecimal(x)
  const q = roundHalfEven(digits, -exp - decimals)
    .toString()
    .padStart(decimals + 1, '0')
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  return decimals === 0 ? sign + q : `${sign}${q.slice(0, -decimals)}.${q.slice(-decimals)}`
}

describe('FLOAT and DOUBLE', () => {
  const float = column(T.MYSQL_TYPE_FLOAT, { decimals: NOT_FIXED })
  const double = column(T.MYSQL_TYPE_DOUBLE, { decimals: NOT_FIXED })

  test('FLOAT reads back as the 6 significant digits the text has, not float noise', () => {
    assert.equal(same(float, le.f32(1.2345678), '1.23457'), 1.23457)
    assert.equal(same(float, le.f32(0.1), '0.1'), 0.1)
    assert.equal(same(float, le.f32(-3.14159), '-3.14159'), -3.14159)
    assert.equal(same(float, le.f32(100), '100'), 100)
    assert.equal(same(float, le.f32(1234567), '1234570'), 1234570)
    assert.equal(same(float, le.f32(3.4028234663852886e38), '3.40282e38'), 3.40282e38)
    assert.equal(same(float, le.f32(1e-10), '1e-10'), 1e-10)
    assert.equal(same(float, le.f32(1e-40), '9.99995e-41'), 9.99995e-41) // subnormal
    assert.ok(Object.is(same(float, le.f32(-0), '-0'), -0))
  })

  test('FLOAT halfway cases round to even, as dtoa does', () => {
    assert.equal(same(float, le.f32(1.015625), '1.01562'), 1.01562)
    assert.equal(same(float, le.f32(-1.015625), '-1.01562'), -1.01562)
    assert.equal(same(float, le.f32(1.234375), '1.23438'), 1.23438) // odd: away from zero
    assert.equal(same(float, le.f32(0.001953125), '0.00195312'), 0.00195312)
    assert.equal(same(float, le.f32(1234565), '1234560'), 1234560)
    assert.equal(same(float, le.f32(1234575), '1234580'), 1234580)
    assert.equal(same(float, le.f32(9999995), '1e7'), 1e7)
  })

  test('FLOAT with fixed decimals has exactly that many digits after the point', () => {
    const float2 = column(T.MYSQL_TYPE_FLOAT, { decimals: 2 })
    assert.equal(same(float2, le.f32(3.14159), '3.14'), 3.14)
    assert.equal(same(float2, le.f32(-2.5), '-2.50'), -2.5)
    assert.equal(same(float2, le.f32(0.125), '0.12'), 0.12) // exact halfway: to even
    assert.equal(same(float2, le.f32(1e10), '10000000000.00'), 1e10)
    const float0 = column(T.MYSQL_TYPE_FLOAT, { decimals: 0 })
    assert.equal(same(float0, le.f32(2.5), '2'), 2)
    assert.equal(same(float0, le.f32(3.5), '4'), 4)
  })

  test('DOUBLE without fixed decimals is the exact double', () => {
    for (const [x, text] of [
      [5.7, '5.7'],
      [0.1 + 0.2, '0.30000000000000004'],
      [-1.7976931348623157e308, '-1.7976931348623157e308'],
      [1e-300, '1e-300'],
      [5e-324, '5e-324'],
      [123456789012345.6, '123456789012345.6'],
      [1.2345677614212036, '1.2345677614212036'],
    ] as const) {
      assert.equal(same(double, le.f64(x), text), x)
    }
    assert.ok(Object.is(same(double, le.f64(-0), '-0'), -0))
  })

  test('DOUBLE with fixed decimals reads back as the rounded text', () => {
    const double4 = column(T.MYSQL_TYPE_DOUBLE, { decimals: 4 })
    assert.equal(same(double4, le.f64(100000 / 7), '14285.7143'), 14285.7143)
    const double2 = column(T.MYSQL_TYPE_DOUBLE, { decimals: 2 })
    assert.equal(same(double2, le.f64(1.005), '1.00'), 1) // 1.005 is 1.00499999999999989…
    assert.equal(same(double2, le.f64(0.125), '0.12'), 0.12)
    assert.equal(same(double2, le.f64(0.375), '0.38'), 0.38)
    assert.equal(same(double2, le.f64(-0.125), '-0.12'), -0.12)
    assert.ok(Object.is(same(double2, le.f64(-0.001), '-0.00'), -0))
    assert.ok(Object.is(same(double2, le.f64(-0), '-0.00'), -0))
    assert.equal(same(double2, le.f64(1e300), serverFixedText(1e300, 2)), 1e300)
    const double0 = column(T.MYSQL_TYPE_DOUBLE, { decimals: 0 })
    assert.equal(same(double0, le.f64(2.5), '2'), 2)
    assert.ok(Object.is(same(double0, le.f64(-0.5), '-0'), -0))
    assert.equal(same(double0, le.f64(-1.5), '-2'), -2)
  })

  test('random FLOAT bit patterns agree with the server text, at every precision', () => {
    let seed = 12345
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
    const columns = [float, ...[0, 1, 2, 3, 5, 8].map((d) => column(T.MYSQL_TYPE_FLOAT, { decimals: d }))]
    for (let k = 0; k < 3000; k++) {
      let raw = next()
      if (k % 3 === 0) raw = ((raw & 0xc3ffffff) | 0x3c000000) >>> 0 // magnitudes near 1, where the digits matter
      if (((raw >>> 23) & 0xff) === 0xff) continue // no Infinity or NaN in a FLOAT column
      const bytes = withBuf(4, (b) => b.writeUInt32LE(raw))
      const x = bytes.readFloatLE(0)
      for (const col of columns) {
        const text = col.decimals === NOT_FIXED ? serverFloatText(x) : serverFixedText(x, col.decimals)
        assert.deepStrictEqual(fromBinary(col, bytes), fromText(col, text), `${x} ${col.decimals}: ${text}`)
      }
    }
  })

  test('FLOAT halfway cases of every magnitude agree with the server text', () => {
    // x = K·5^(e+1)·2^e with K = 2N+1 odd and 10^5 <= N < 10^6 lies halfway between two 6-digit
    // decimals; it is a float when that mantissa is an integer below 2^24.
    let checked = 0
    for (let e = -10; e <= 1; e++) {
      for (let k = 200_001; k < 2_000_000; k += 2 * 111) {
        const m = e + 1 >= 0 ? k * 5 ** (e + 1) : k / 5 ** -(e + 1)
        if (!Number.isInteger(m) || m >= 2 ** 24) continue
        const x = m * 2 ** e
        const text = serverFloatText(x)
        assert.deepStrictEqual(fromBinary(float, le.f32(x)), fromText(float, text), `${x}: ${text}`)
        assert.deepStrictEqual(fromBinary(float, le.f32(-x)), fromText(float, '-' + text), `-${x}: ${text}`)
        checked++
      }
    }
    assert.ok(checked > 1000)
  })

  test('random DOUBLEs with fixed decimals agree, including exact halfway cases', () => {
    let seed = 99
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
    for (let k = 0; k < 3000; k++) {
      // j / 2^s hits exact halves at decimals = s - 1; the rest are arbitrary doubles.
      const s = next() % 12
      const x =
        k % 2 === 0 ? ((next() % 2000000) - 1000000) / 2 ** s : (next() / 2 ** 16 - 32768) * 10 ** (s - 6)
      for (const d of [0, 1, 2, 3, 4, 6, 10]) {
        const col = column(T.MYSQL_TYPE_DOUBLE, { decimals: d })
        const text = serverFixedText(x, d)
        assert.deepStrictEqual(fromBinary(col, le.f64(x)), fromText(col, text), `${x} ${d}: ${text}`)
      }
    }
  })
})

describe('DECIMAL', () => {
  const decimal = column(T.MYSQL_TYPE_NEWDECIMAL, { decimals: 2 })

  test('the length-encoded text, as a string or (decimalNumbers) a number', () => {
    for (const text of ['123.45', '-0.01', '0.00', '99999999999999999999999999999999999.99']) {
      same(decimal, Buffer.from(text), text)
    }
    assert.equal(same(decimal, Buffer.from('123.45'), '123.45'), '123.45')
    assert.equal(fromBinary(decimal, Buffer.from('123.45'), { decimalNumbers: true }), 123.45)
    same(column(T.MYSQL_TYPE_DECIMAL), Buffer.from('45'), '45')
  })
})

describe('DATE, DATETIME and TIMESTAMP', () => {
  const date = column(T.MYSQL_TYPE_DATE)

  test('DATE', () => {
    same(date, dateBytes(2024, 1, 2), '2024-01-02')
    same(date, dateBytes(2024, 2, 29), '2024-02-29')
    same(date, dateBytes(1000, 1, 1), '1000-01-01')
    same(date, dateBytes(9999, 12, 31), '9999-12-31')
    same(date, dateBytes(1970, 1, 1), '1970-01-01')
    same(column(T.MYSQL_TYPE_NEWDATE), dateBytes(1988, 2, 2), '1988-02-02')
    assert.deepEqual(
      same(date, dateBytes(1988, 2, 2), '1988-02-02', { timezone: 'Z' }),
      new Date(Date.UTC(1988, 1, 2)),
    )
    assert.equal(fromBinary(date, dateBytes(1988, 2, 2), { dateStrings: true }), '1988-02-02')
  })

  test('zero, zero-in-date and invalid dates stay strings', () => {
    assert.equal(same(date, dateBytes(0, 0, 0), '0000-00-00'), '0000-00-00')
    assert.equal(same(date, dateBytes(2024, 0, 0), '2024-00-00'), '2024-00-00')
    assert.equal(same(date, dateBytes(2024, 2, 30), '2024-02-30'), '2024-02-30')
    assert.equal(same(date, dateBytes(2023, 2, 29), '2023-02-29'), '2023-02-29')
    assert.equal(same(date, dateBytes(2024, 4, 31), '2024-04-31'), '2024-04-31')
  })

  test('years before 100 go through the text parser, as their text does', () => {
    const d = same(date, dateBytes(99, 12, 31), '0099-12-31', { timezone: 'Z' })
    assert.ok(d instanceof Date)
    assert.equal(d.getUTCFullYear(), 99)
    same(date, dateBytes(1, 1, 1), '0001-01-01')
  })

  test('DATETIME(0..6) shows exactly `decimals` fraction digits', () => {
    const texts = [
      '2024-01-02 03:04:05',
      '2024-01-02 03:04:05.1',
      '2024-01-02 03:04:05.12',
      '2024-01-02 03:04:05.123',
      '2024-01-02 03:04:05.1234',
      '2024-01-02 03:04:05.12345',
      '2024-01-02 03:04:05.123456',
    ]
    for (let decimals = 0; decimals <= 6; decimals++) {
      const col = column(T.MYSQL_TYPE_DATETIME, { decimals })
      // What the server sends (microseconds already cut to the precision), and a value it did not cut.
      const cut = 123456 - (123456 % 10 ** (6 - decimals))
      same(col, dateBytes(2024, 1, 2, 3, 4, 5, cut), texts[decimals]!)
      same(col, dateBytes(2024, 1, 2, 3, 4, 5, 123456), texts[decimals]!)
      assert.equal(
        fromBinary(col, dateBytes(2024, 1, 2, 3, 4, 5, cut), { dateStrings: true }),
        texts[decimals],
      )
    }
  })

  test('omitted fields are zeros, shown with the fraction digits of the column', () => {
    const dt3 = column(T.MYSQL_TYPE_DATETIME, { decimals: 3 })
    assert.equal(
      same(dt3, dateBytes(2024, 1, 2), '2024-01-02 00:00:00.000', { dateStrings: true }),
      '2024-01-02 00:00:00.000',
    )
    same(dt3, dateBytes(2024, 1, 2, 3, 4, 5), '2024-01-02 03:04:05.000')
    same(dt3, dateBytes(2024, 1, 2, 0, 0, 0, 7000), '2024-01-02 00:00:00.007')
    same(column(T.MYSQL_TYPE_DATETIME), dateBytes(2024, 1, 2), '2024-01-02 00:00:00')
    // A server may also send the long forms with zero fields: same value.
    const long = Buffer.from([0xe8, 0x07, 1, 2, 0, 0, 0, 0, 0, 0, 0])
    same(dt3, long, '2024-01-02 00:00:00.000')
    same(dt3, long.subarray(0, 7), '2024-01-02 00:00:00.000')
  })

  test('zero DATETIME and TIMESTAMP (length 0) stay strings', () => {
    for (const type of [T.MYSQL_TYPE_DATETIME, T.MYSQL_TYPE_TIMESTAMP]) {
      assert.equal(same(column(type), dateBytes(0, 0, 0), '0000-00-00 00:00:00'), '0000-00-00 00:00:00')
      const d6 = column(type, { decimals: 6 })
      assert.equal(same(d6, dateBytes(0, 0, 0), '0000-00-00 00:00:00.000000'), '0000-00-00 00:00:00.000000')
      same(column(type, { decimals: 2 }), Buffer.alloc(0), '0000-00-00 00:00:00.00')
    }
    same(column(T.MYSQL_TYPE_DATETIME), dateBytes(2007, 2, 31), '2007-02-31 00:00:00')
    same(column(T.MYSQL_TYPE_DATETIME), dateBytes(0, 0, 0, 10, 0, 0), '0000-00-00 10:00:00')
  })

  test('timezones: Z, +05:30, -08:00 and local', () => {
    const dt6 = column(T.MYSQL_TYPE_DATETIME, { decimals: 6 })
    const bytes = dateBytes(2024, 1, 2, 3, 4, 5, 123456)
    const text = '2024-01-02 03:04:05.123456'
    assert.equal(
      (same(dt6, bytes, text, { timezone: 'Z' }) as Date).toISOString(),
      '2024-01-02T03:04:05.123Z',
    )
    assert.equal(
      (same(dt6, bytes, text, { timezone: '+05:30' }) as Date).toISOString(),
      '2024-01-01T21:34:05.123Z',
    )
    assert.equal(
      (same(dt6, bytes, text, { timezone: '-08:00' }) as Date).toISOString(),
      '2024-01-02T11:04:05.123Z',
    )
    assert.equal((same(dt6, bytes, text) as Date).getTime(), new Date(2024, 0, 2, 3, 4, 5, 123).getTime())
    const ts = column(T.MYSQL_TYPE_TIMESTAMP)
    assert.deepEqual(
      same(ts, dateBytes(1970, 1, 1, 0, 0, 1), '1970-01-01 00:00:01', { timezone: 'Z' }),
      new Date(1000),
    )
    same(ts, dateBytes(2038, 1, 19, 3, 14, 7), '2038-01-19 03:14:07')
  })

  test("'local' across daylight-saving gaps and overlaps matches the text path", () => {
    const saved = process.env.TZ
    try {
      for (const tz of ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe']) {
        process.env.TZ = tz
        const dt = column(T.MYSQL_TYPE_DATETIME)
        for (const [y, mo, d] of [
          [2024, 3, 10],
          [2024, 11, 3],
          [2024, 3, 31],
          [2024, 10, 27],
          [2024, 4, 7],
          [2024, 10, 6],
        ] as const) {
          for (let h = 0; h < 4; h++) {
            for (const mi of [0, 15, 30, 59]) {
              const text = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')} 0${h}:${String(mi).padStart(2, '0')}:00`
              assert.deepStrictEqual(
                fromBinary(dt, dateBytes(y, mo, d, h, mi)),
                fromText(dt, text),
                `${tz} ${text}`,
              )
            }
          }
        }
      }
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  test('decimals above 6 (MariaDB AUTO_SEC_PART_DIGITS): 6 digits when the fraction is non-zero', () => {
    const auto = column(T.MYSQL_TYPE_DATETIME, { decimals: 39 })
    same(auto, dateBytes(2024, 1, 2, 3, 4, 5, 120), '2024-01-02 03:04:05.000120')
    same(auto, dateBytes(2024, 1, 2, 3, 4, 5), '2024-01-02 03:04:05')
  })

  test('random dates and times agree in every timezone', () => {
    let seed = 4242
    const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n
    const p = (n: number, w = 2): string => String(n).padStart(w, '0')
    for (let k = 0; k < 1500; k++) {
      const y = [0, 1, 99, 100, 1969, 1970, 2024, 9998][next(8)]! + next(2)
      const mo = next(14) // 0 and 13 included: the server can hold neither, but both must agree
      const d = next(33)
      const h = next(24)
      const mi = next(60)
      const s = next(60)
      const decimals = next(7)
      const raw = next(1_000_000)
      const us = raw - (raw % 10 ** (6 - decimals))
      const frac = decimals === 0 ? '' : '.' + p(us / 10 ** (6 - decimals), decimals)
      const col = column(k % 2 ? T.MYSQL_TYPE_DATETIME : T.MYSQL_TYPE_TIMESTAMP, { decimals })
      same(
        col,
        dateBytes(y, mo, d, h, mi, s, us),
        `${p(y, 4)}-${p(mo)}-${p(d)} ${p(h)}:${p(mi)}:${p(s)}${frac}`,
      )
      same(date, dateBytes(y, mo, d), `${p(y, 4)}-${p(mo)}-${p(d)}`)
    }
  })

  test('a wrong length or impossible field is a MalformedPacket', () => {
    const dt = column(T.MYSQL_TYPE_DATETIME)
    for (const len of [1, 2, 3, 5, 6, 8, 9, 10, 12]) {
      assert.throws(() => fromBinary(dt, Buffer.alloc(len, 1)), MalformedPacket, `length ${len}`)
      assert.throws(() => fromBinary(date, Buffer.alloc(len, 1)), MalformedPacket, `length ${len}`)
    }
    const badMicros = Buffer.from([0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0x42, 0x0f, 0x00]) // 1,000,000
    assert.throws(() => fromBinary(dt, badMicros), MalformedPacket)
    assert.throws(() => fromBinary(dt, dateBytes(10000, 1, 1)), MalformedPacket)
    assert.throws(() => fromBinary(dt, dateBytes(2024, 1, 1, 100, 0, 0)), MalformedPacket)
  })
})

describe('TIME', () => {
  const time = column(T.MYSQL_TYPE_TIME)

  test('negative, beyond 24 hours, and the extremes', () => {
    assert.equal(same(time, timeBytes(true, 34, 22, 59, 59), '-838:59:59'), '-838:59:59')
    assert.equal(same(time, timeBytes(false, 34, 22, 59, 59), '838:59:59'), '838:59:59')
    assert.equal(same(time, timeBytes(false, 5, 0, 0, 6), '120:00:06'), '120:00:06')
    assert.equal(same(time, timeBytes(false, 0, 5, 6, 7), '05:06:07'), '05:06:07')
    assert.equal(same(time, timeBytes(true, 0, 0, 0, 1), '-00:00:01'), '-00:00:01')
    assert.equal(same(time, timeBytes(false, 4, 3, 0, 0), '99:00:00'), '99:00:00')
    assert.equal(same(time, timeBytes(false, 4, 4, 0, 0), '100:00:00'), '100:00:00')
  })

  test('fraction digits follow the column decimals', () => {
    const t1 = column(T.MYSQL_TYPE_TIME, { decimals: 1 })
    assert.equal(same(t1, timeBytes(false, 4, 4, 0, 0, 500000), '100:00:00.5'), '100:00:00.5')
    const t3 = column(T.MYSQL_TYPE_TIME, { decimals: 3 })
    assert.equal(same(t3, timeBytes(true, 0, 1, 2, 3, 40000), '-01:02:03.040'), '-01:02:03.040')
    assert.equal(same(t3, timeBytes(false, 0, 1, 2, 3), '01:02:03.000'), '01:02:03.000')
    const t6 = column(T.MYSQL_TYPE_TIME, { decimals: 6 })
    assert.equal(same(t6, timeBytes(false, 0, 12, 30, 0, 500000), '12:30:00.500000'), '12:30:00.500000')
    assert.equal(same(t6, timeBytes(true, 0, 0, 0, 0, 1), '-00:00:00.000001'), '-00:00:00.000001')
    const auto = column(T.MYSQL_TYPE_TIME, { decimals: 39 })
    same(auto, timeBytes(false, 0, 12, 0, 0, 1), '12:00:00.000001')
    same(auto, timeBytes(false, 0, 12, 0, 0), '12:00:00')
  })

  test('zero (length 0)', () => {
    assert.equal(same(time, Buffer.alloc(0), '00:00:00'), '00:00:00')
    assert.equal(
      same(column(T.MYSQL_TYPE_TIME, { decimals: 2 }), Buffer.alloc(0), '00:00:00.00'),
      '00:00:00.00',
    )
    same(time, Buffer.alloc(8), '00:00:00') // the long form of zero
  })

  test('a wrong length or sign byte is a MalformedPacket', () => {
    for (const len of [1, 4, 7, 9, 11, 13]) {
      assert.throws(() => fromBinary(time, Buffer.alloc(len)), MalformedPacket, `length ${len}`)
    }
    const badSign = timeBytes(false, 0, 1, 0, 0)
    badSign[0] = 2
    assert.throws(() => fromBinary(time, badSign), MalformedPacket)
    assert.throws(() => fromBinary(time, timeBytes(false, 0, 1, 0, 0, 1_000_000)), MalformedPacket)
  })
})

describe('length-encoded types use the text decoders', () => {
  test('strings in their charsets, long ones included', () => {
    same(
      column(T.MYSQL_TYPE_VAR_STRING, { characterSet: UTF8MB4 }),
      Buffer.from('héllo 😀 世界'),
      'héllo 😀 世界',
    )
    same(column(T.MYSQL_TYPE_VARCHAR, { characterSet: UTF8MB4 }), Buffer.alloc(0), '')
    const long = 'x'.repeat(300) + 'é'.repeat(40000)
    same(
      column(T.MYSQL_TYPE_BLOB, { characterSet: UTF8MB4, flags: FieldFlag.BLOB_FLAG }),
      Buffer.from(long),
      long,
    )
    const latin1 = Buffer.from([0x93, 0x48, 0xe9, 0x94, 0x99])
    assert.equal(same(column(T.MYSQL_TYPE_VAR_STRING, { characterSet: 8 }), latin1, latin1), '“Hé”™')
  })

  test('ENUM and SET', () => {
    const e = column(T.MYSQL_TYPE_STRING, { characterSet: UTF8MB4, flags: FieldFlag.ENUM_FLAG })
    assert.equal(same(e, Buffer.from('médium'), 'médium'), 'médium')
    const s = column(T.MYSQL_TYPE_STRING, { characterSet: BINARY, flags: FieldFlag.SET_FLAG })
    assert.equal(same(s, Buffer.from('a,b'), 'a,b'), 'a,b')
  })

  test('BLOB, BIT, GEOMETRY and VECTOR are copied Buffers', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    assert.deepStrictEqual(same(column(T.MYSQL_TYPE_BLOB), all, all), all)
    assert.deepStrictEqual(
      same(column(T.MYSQL_TYPE_BIT), Buffer.from([1]), Buffer.from([1])),
      Buffer.from([1]),
    )
    assert.deepStrictEqual(
      same(column(T.MYSQL_TYPE_BIT), Buffer.from([0, 0xff]), Buffer.from([0, 0xff])),
      Buffer.from([0, 0xff]),
    )
    const point = Buffer.from('000000000101000000000000000000f03f0000000000000040', 'hex')
    const geometry = column(T.MYSQL_TYPE_GEOMETRY, { extendedType: 'point' })
    assert.deepStrictEqual(same(geometry, point, point), point)
    const vector = le.f32(1.5)
    assert.deepStrictEqual(same(column(T.MYSQL_TYPE_VECTOR), vector, vector), vector)
  })

  test('JSON, parsed or (jsonParse: false) as text', () => {
    const mysqlJson = column(T.MYSQL_TYPE_JSON)
    const text = '{"name":"Piñata","n":[1,2.5,null,true]}'
    assert.deepStrictEqual(same(mysqlJson, Buffer.from(text), text), {
      name: 'Piñata',
      n: [1, 2.5, null, true],
    })
    assert.equal(fromBinary(mysqlJson, Buffer.from(text), { jsonParse: false }), text)
    const mariaJson = column(T.MYSQL_TYPE_BLOB, {
      characterSet: UTF8MB4,
      flags: FieldFlag.BLOB_FLAG,
      extendedType: 'json',
    })
    assert.deepStrictEqual(same(mariaJson, Buffer.from('{"a":["ß"]}'), '{"a":["ß"]}'), { a: ['ß'] })
    assert.equal(same(mariaJson, Buffer.from('{not json'), '{not json'), '{not json')
  })

  test('the cell is the text decoder itself, behind a length-encoded width', () => {
    const opts = resolveTypeOptions({})
    for (const col of [
      column(T.MYSQL_TYPE_NEWDECIMAL),
      column(T.MYSQL_TYPE_VAR_STRING, { characterSet: UTF8MB4 }),
      column(T.MYSQL_TYPE_NULL),
    ]) {
      const cell = binaryDecoderFor(col, opts)
      assert.equal(cell.width, CellWidth.LENENC)
      assert.equal(cell.decode, textDecoderFor(col, opts))
    }
  })
})

test('a cell is chosen once per column kind and shared', () => {
  const opts = resolveTypeOptions({})
  const z = resolveTypeOptions({ timezone: 'Z' })
  const same2 = (a: Column, b: Column, o = opts): void =>
    assert.equal(binaryDecoderFor(a, o), binaryDecoderFor(b, o))
  same2(column(T.MYSQL_TYPE_LONG), column(T.MYSQL_TYPE_LONG, { name: 'other' }))
  same2(column(T.MYSQL_TYPE_LONGLONG), column(T.MYSQL_TYPE_LONGLONG))
  same2(column(T.MYSQL_TYPE_DOUBLE, { decimals: 2 }), column(T.MYSQL_TYPE_DOUBLE, { decimals: 2 }))
  same2(column(T.MYSQL_TYPE_DATETIME, { decimals: 3 }), column(T.MYSQL_TYPE_TIMESTAMP, { decimals: 3 }))
  same2(column(T.MYSQL_TYPE_DATETIME), column(T.MYSQL_TYPE_DATETIME), z)
  same2(
    column(T.MYSQL_TYPE_VAR_STRING, { characterSet: UTF8MB4 }),
    column(T.MYSQL_TYPE_VARCHAR, { characterSet: UTF8MB4 }),
  )
  assert.notEqual(
    binaryDecoderFor(column(T.MYSQL_TYPE_DATETIME), opts),
    binaryDecoderFor(column(T.MYSQL_TYPE_DATETIME), z),
  )
  assert.notEqual(
    binaryDecoderFor(column(T.MYSQL_TYPE_LONG), opts),
    binaryDecoderFor(column(T.MYSQL_TYPE_LONG, { flags: UNSIGNED }), opts),
  )
  const widths = [
    T.MYSQL_TYPE_TINY,
    T.MYSQL_TYPE_SHORT,
    T.MYSQL_TYPE_YEAR,
    T.MYSQL_TYPE_INT24,
    T.MYSQL_TYPE_LONG,
    T.MYSQL_TYPE_LONGLONG,
    T.MYSQL_TYPE_FLOAT,
    T.MYSQL_TYPE_DOUBLE,
  ]
  assert.deepEqual(
    widths.map((t) => binaryDecoderFor(column(t), opts).width),
    [1, 2, 2, 4, 4, 8, 4, 8],
  )
  for (const t of [T.MYSQL_TYPE_DATE, T.MYSQL_TYPE_DATETIME, T.MYSQL_TYPE_TIMESTAMP, T.MYSQL_TYPE_TIME]) {
    assert.equal(binaryDecoderFor(column(t), opts).width, CellWidth.LENGTH_BYTE)
  }
})
