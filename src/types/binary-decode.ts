// Binary-protocol cell decoders (COM_STMT_EXECUTE result rows). Each column gets its cell once, when
// its definition arrives. A value decodes to exactly what textDecoderFor (decode.ts) gives for the
// text the server would have sent for it under the same type options, so a prepared statement and a
// plain query return identical rows. Integers, floats and temporal values have binary encodings of
// their own; everything else is a length-encoded string with the text cell's bytes, decoded by the
// text decoder unchanged. Decoders are shared top-level functions or closures over resolved options.

import { CellWidth, type BinaryCell } from '../protocol/binary-row.ts'
import type { Column } from '../protocol/column.ts'
import { ColumnType, FieldFlag } from '../protocol/constants.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import type { CellDecoder } from '../protocol/text-row.ts'
import { textDecoderFor } from './decode.ts'
import type { ResolvedTypeOptions } from './options.ts'
import { parseDateTime } from './temporal.ts'

/** The cell for every value of `column`, following the binary encodings and the type options. */
export function binaryDecoderFor(column: Column, opts: ResolvedTypeOptions): BinaryCell {
  const unsigned = (column.flags & FieldFlag.UNSIGNED_FLAG) !== 0
  switch (column.type) {
    case ColumnType.MYSQL_TYPE_TINY:
      return unsigned ? UINT8 : INT8
    case ColumnType.MYSQL_TYPE_SHORT:
      return unsigned ? UINT16 : INT16
    case ColumnType.MYSQL_TYPE_YEAR:
      return UINT16
    case ColumnType.MYSQL_TYPE_INT24: // sent as 4 bytes, sign-extended
    case ColumnType.MYSQL_TYPE_LONG:
      return unsigned ? UINT32 : INT32
    case ColumnType.MYSQL_TYPE_LONGLONG:
      return bigIntCell(column, unsigned, opts.bigIntMode)
    case ColumnType.MYSQL_TYPE_FLOAT:
      return column.decimals >= NOT_FIXED_DEC ? FLOAT : fixedPointCell(4, column.decimals)
    case ColumnType.MYSQL_TYPE_DOUBLE:
      return column.decimals >= NOT_FIXED_DEC ? DOUBLE : fixedPointCell(8, column.decimals)
    case ColumnType.MYSQL_TYPE_DATE:
    case ColumnType.MYSQL_TYPE_NEWDATE:
      return dateCell(DATE_ONLY, opts)
    case ColumnType.MYSQL_TYPE_DATETIME:
    case ColumnType.MYSQL_TYPE_DATETIME2:
    case ColumnType.MYSQL_TYPE_TIMESTAMP:
    case ColumnType.MYSQL_TYPE_TIMESTAMP2:
      return dateCell(fractionDigits(column.decimals), opts)
    case ColumnType.MYSQL_TYPE_TIME:
    case ColumnType.MYSQL_TYPE_TIME2:
      return timeCell(fractionDigits(column.decimals))
    default:
      // DECIMAL, strings, BLOBs, ENUM, SET, BIT, GEOMETRY, JSON, VECTOR, NULL, unknown types: the bytes
      // of a length-encoded string are those of the text cell.
      return lenencCell(textDecoderFor(column, opts))
  }
}

// ---- integers ----------------------------------------------------------------------------------
// Little-endian, read from the bytes directly; the row reader has checked the width.

const INT8 = fixed(1, (buf, start) => (buf[start]! << 24) >> 24)
const UINT8 = fixed(1, (buf, start) => buf[start]!)
const INT16 = fixed(2, (buf, start) => ((buf[start]! | (buf[start + 1]! << 8)) << 16) >> 16)
const UINT16 = fixed(2, (buf, start) => buf[start]! | (buf[start + 1]! << 8))
const INT32 = fixed(4, int32)
const UINT32 = fixed(4, (buf, start) => int32(buf, start) >>> 0)

function int32(buf: Buffer, start: number): number {
  return buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16) | (buf[start + 3]! << 24)
}

/**
 * BIGINT as a double. hi·2^32 is exact and the sum is exact whenever the true value is a safe
 * integer; rounding is monotonic, so a result beyond ±MAX_SAFE_INTEGER means the true value is too,
 * and the caller then reads the exact bigint (the same rule decodeBigInt applies to the digits).
 */
function int64Number(buf: Buffer, start: number): number {
  return int32(buf, start + 4) * 0x100000000 + (int32(buf, start) >>> 0)
}

function uint64Number(buf: Buffer, start: number): number {
  return (int32(buf, start + 4) >>> 0) * 0x100000000 + (int32(buf, start) >>> 0)
}

const isSafe = (n: number): boolean => n >= -Number.MAX_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER

const INT64_AUTO = fixed(8, (buf, start): number | bigint => {
  const n = int64Number(buf, start)
  return isSafe(n) ? n : buf.readBigInt64LE(start)
})
const UINT64_AUTO = fixed(8, (buf, start): number | bigint => {
  const n = uint64Number(buf, start)
  return isSafe(n) ? n : buf.readBigUInt64LE(start)
})
const INT64_BIGINT = fixed(8, (buf, start) => buf.readBigInt64LE(start))
const UINT64_BIGINT = fixed(8, (buf, start) => buf.readBigUInt64LE(start))

function int64Digits(buf: Buffer, start: number): string {
  const n = int64Number(buf, start)
  return isSafe(n) ? String(n) : buf.readBigInt64LE(start).toString()
}

function uint64Digits(buf: Buffer, start: number): string {
  const n = uint64Number(buf, start)
  return isSafe(n) ? String(n) : buf.readBigUInt64LE(start).toString()
}

const INT64_STRING = fixed(8, int64Digits)
const UINT64_STRING = fixed(8, uint64Digits)

// ZEROFILL columns of a given display width; ZEROFILL implies UNSIGNED.
const zerofillCells = new Map<number, BinaryCell>()

function bigIntCell(column: Column, unsigned: boolean, mode: ResolvedTypeOptions['bigIntMode']): BinaryCell {
  if (mode === 'auto') return unsigned ? UINT64_AUTO : INT64_AUTO
  if (mode === 'bigint') return unsigned ? UINT64_BIGINT : INT64_BIGINT
  const width = column.columnLength
  if ((column.flags & FieldFlag.ZEROFILL_FLAG) === 0 || width <= 1)
    return unsigned ? UINT64_STRING : INT64_STRING
  // Servers give BIGINT a display width of at most 255; a larger one would pad each value without bound.
  if (width > 255) throw new MalformedPacket(`BIGINT ZEROFILL display width ${width}`)
  // The text protocol pads ZEROFILL values to the display width; in 'string' mode that text is the value.
  let cell = zerofillCells.get(width)
  if (cell === undefined) {
    const digits = unsigned ? uint64Digits : int64Digits
    cell = fixed(8, (buf, start) => digits(buf, start).padStart(width, '0'))
    if (zerofillCells.size < 64) zerofillCells.set(width, cell)
  }
  return cell
}

// ---- FLOAT and DOUBLE --------------------------------------------------------------------------
// The text protocol prints a FLOAT or DOUBLE column with the server's dtoa: with `decimals` digits
// after the point when decimals < 31 (my_fcvt), otherwise FLOAT with at most 6 significant digits and
// DOUBLE with the shortest digits that read back as the same double (my_gcvt). dtoa rounds exact
// halfway cases to even, JavaScript's toFixed/toPrecision away from zero: ties are fixed up below.

/** decimals >= NOT_FIXED_DEC (31) means "no fixed number of decimals". */
const NOT_FIXED_DEC = 31

/** FLOAT printed as %g with 6 significant digits: 1.2345678 reads back as 1.23457, not 1.2345677614212036. */
const FLOAT = fixed(4, (buf, start) => roundSignificant6(buf.readFloatLE(start)))

/** DOUBLE: the shortest round-trip digits read back as the very same double. */
const DOUBLE = fixed(8, (buf, start) => buf.readDoubleLE(start))

const fixedPointCells = new Map<number, BinaryCell>()

/** FLOAT(M,D) / DOUBLE(M,D) and real expressions with fixed decimals: rounded to `decimals` places. */
function fixedPointCell(width: 4 | 8, decimals: number): BinaryCell {
  const key = width * 100 + decimals
  let cell = fixedPointCells.get(key)
  if (cell === undefined) {
    cell =
      width === 4
        ? fixed(4, (buf, start) => roundFixed(buf.readFloatLE(start), decimals))
        : fixed(8, (buf, start) => roundFixed(buf.readDoubleLE(start), decimals))
    fixedPointCells.set(key, cell)
  }
  return cell
}

/** The number the server's my_fcvt(x, decimals) text reads as. */
function roundFixed(x: number, decimals: number): number {
  // Integers print exactly ("12.00"); so does -0 ("-0.00"), whose sign toFixed would drop.
  if (Number.isInteger(x) || !Number.isFinite(x)) return x
  const text = x.toFixed(decimals)
  // Exactly halfway iff 2·x·10^decimals is an odd integer, i.e. x = odd·2^-(decimals+1).
  return Number(lowBitExponent(x) === -(decimals + 1) ? tieToEven(text) : text)
}

/** The number the server's my_gcvt(x, FLOAT) text (6 significant digits) reads as. */
function roundSignificant6(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x // keeps -0, which the server prints as "-0"
  const text = x.toPrecision(6)
  return Number(isHalfwayAt6Digits(x) ? tieToEven(text) : text)
}

/**
 * Whether x lies exactly halfway between two 6-significant-digit decimals, i.e. |x| = (2N+1)·5·10^p
 * with 10^5 ≤ N < 10^6. Writing |x| = m·2^e with m odd forces p = e, so (2N+1) = m / 5^(e+1); all the
 * arithmetic below is on integers below 2^53, hence exact.
 */
function isHalfwayAt6Digits(x: number): boolean {
  const e = lowBitExponent(x)
  // Beyond this range (2N+1) is either not an integer or has more than 7 digits.
  if (e < -10 || e > 21) return false
  const m = Math.abs(x) * 2 ** -e
  let k: number
  if (e + 1 >= 0) {
    const p = 5 ** (e + 1)
    if (m % p !== 0) return false
    k = m / p
  } else {
    k = m * 5 ** -(e + 1)
  }
  return k > 200_000 && k < 2_000_000
}

/**
 * `text` is a halfway case rounded away from zero to N+1. Round-half-even keeps N instead when N is
 * even, i.e. when the last digit shown is odd; decrementing that digit then never borrows.
 */
function tieToEven(text: string): string {
  const e = text.indexOf('e')
  const last = (e < 0 ? text.length : e) - 1
  const digit = text.charCodeAt(last) - 0x30
  if ((digit & 1) === 0) return text
  return text.slice(0, last) + String(digit - 1) + text.slice(last + 1)
}

const bits = new DataView(new ArrayBuffer(8))

/** The exponent e with |x| = odd·2^e, for finite non-zero x (read from the IEEE 754 bits). */
function lowBitExponent(x: number): number {
  bits.setFloat64(0, x, true)
  const lo = bits.getUint32(0, true)
  const hi = bits.getUint32(4, true)
  const biased = (hi >>> 20) & 0x7ff
  const e = biased === 0 ? -1074 : biased - 1075 // exponent of the mantissa's lowest bit
  if (lo !== 0) return e + 31 - Math.clz32(lo & -lo)
  const top = (hi & 0xfffff) | (biased === 0 ? 0 : 0x100000)
  return e + 63 - Math.clz32(top & -top)
}

// ---- DATE, DATETIME, TIMESTAMP, TIME -----------------------------------------------------------
// One length byte, then year u16, month, day [, hour, minute, second [, microseconds u32]] (0, 4, 7
// or 11 bytes), or for TIME: is_negative, days u32, hour, minute, second [, microseconds u32] (0, 8
// or 12 bytes). Omitted fields are zero. The text the server would send is rebuilt from the fields.

// Besides 0..6 fraction digits: MariaDB's AUTO_SEC_PART_DIGITS (decimals 39, and any other value
// above 6), i.e. 6 digits when the fraction is non-zero and none otherwise; and DATE, with no time.
const AUTO_DIGITS = -1
const DATE_ONLY = -2

function fractionDigits(decimals: number): number {
  return decimals <= 6 ? decimals : AUTO_DIGITS
}

const temporalCells = new Map<string, BinaryCell>()

function cached(key: string, make: () => BinaryCell): BinaryCell {
  let cell = temporalCells.get(key)
  if (cell === undefined) {
    cell = make()
    if (temporalCells.size < 256) temporalCells.set(key, cell)
  }
  return cell
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

/** '.' and the first `digits` of the microseconds (the server truncates, never rounds), or ''. */
function fraction(micros: number, digits: number): string {
  const shown = digits === AUTO_DIGITS ? (micros === 0 ? 0 : 6) : digits
  if (shown === 0) return ''
  return '.' + String(Math.floor(micros / POW10[6 - shown]!)).padStart(shown, '0')
}

/**
 * DATE (digits = DATE_ONLY) or DATETIME/TIMESTAMP. dateStrings gives the server's text. Otherwise the
 * value is what dateDecoder in decode.ts makes of that text: parseDateTimeBytes' Date when its checks
 * pass (the same checks and the same Date construction are applied to the fields here, without the
 * text), else parseDateTime(text), which keeps zero and invalid dates as strings.
 */
function dateCell(digits: number, opts: ResolvedTypeOptions): BinaryCell {
  const dateOnly = digits === DATE_ONLY
  const { dateStrings, tzOffset } = opts
  const key = `${dateOnly ? 'date' : 'datetime'}|${digits}|${dateStrings}|${tzOffset}`
  return cached(key, () => ({
    width: CellWidth.LENGTH_BYTE,
    decode: (buf: Buffer, start: number, end: number): Date | string => {
      const len = end - start
      if (len !== 0 && len !== 4 && len !== 7 && len !== 11) {
        throw new MalformedPacket(`${dateOnly ? 'DATE' : 'DATETIME'} value of ${len} bytes`)
      }
      let y = 0
      let mo = 0
      let d = 0
      let h = 0
      let mi = 0
      let s = 0
      let us = 0
      if (len >= 4) {
        y = buf[start]! | (buf[start + 1]! << 8)
        mo = buf[start + 2]!
        d = buf[start + 3]!
      }
      if (len >= 7 && !dateOnly) {
        h = buf[start + 4]!
        mi = buf[start + 5]!
        s = buf[start + 6]!
      }
      if (len === 11 && !dateOnly) {
        us = int32(buf, start + 7) >>> 0
        if (us > 999_999) throw new MalformedPacket(`microseconds out of range: ${us}`)
      }
      // Fields wider than their text slots cannot come from a server, and would shift the text.
      if (y > 9999 || mo > 99 || d > 99 || h > 99 || mi > 99 || s > 99) {
        throw new MalformedPacket('date or time field out of range')
      }
      // Fraction digits the text shows; the server truncates the microseconds to them.
      const shown = dateOnly ? 0 : digits === AUTO_DIGITS ? (us === 0 ? 0 : 6) : digits
      if (!dateStrings && y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && h < 24 && mi < 60 && s < 60) {
        const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        if (d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) {
          // parseDateTimeBytes reads the first (up to) three digits shown as milliseconds.
          const ms = shown === 0 ? 0 : Math.floor((us - (us % POW10[6 - shown]!)) / 1000)
          if (tzOffset === null) return new Date(y, mo - 1, d, h, mi, s, ms)
          return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - tzOffset * 60_000)
        }
      }
      let text = `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}`
      if (!dateOnly) text += ` ${pad2(h)}:${pad2(mi)}:${pad2(s)}${fraction(us, shown)}`
      return dateStrings ? text : parseDateTime(text, tzOffset)
    },
  }))
}

/** TIME: always the server's text '[-]HH:MM:SS[.f…]', hours = days·24 + hours (at least 2 digits). */
function timeCell(digits: number): BinaryCell {
  return cached(`time|${digits}`, () => ({
    width: CellWidth.LENGTH_BYTE,
    decode: (buf: Buffer, start: number, end: number): string => {
      const len = end - start
      if (len === 0) return '00:00:00' + fraction(0, digits)
      if (len !== 8 && len !== 12) throw new MalformedPacket(`TIME value of ${len} bytes`)
      const negative = buf[start]!
      if (negative !== 0 && negative !== 1) throw new MalformedPacket(`TIME sign byte ${negative}`)
      const hours = (int32(buf, start + 1) >>> 0) * 24 + buf[start + 5]!
      const mi = buf[start + 6]!
      const s = buf[start + 7]!
      const us = len === 12 ? int32(buf, start + 8) >>> 0 : 0
      if (mi > 99 || s > 99 || us > 999_999) throw new MalformedPacket('TIME field out of range')
      return `${negative === 1 ? '-' : ''}${pad2(hours)}:${pad2(mi)}:${pad2(s)}${fraction(us, digits)}`
    },
  }))
}

// ---- cells -------------------------------------------------------------------------------------

function fixed(width: number, decode: CellDecoder): BinaryCell {
  return { width, decode }
}

// One cell per text decoder, so columns that share a decoder share the cell too.
const lenencCells = new WeakMap<CellDecoder, BinaryCell>()

function lenencCell(decode: CellDecoder): BinaryCell {
  let cell = lenencCells.get(decode)
  if (cell === undefined) {
    cell = { width: CellWidth.LENENC, decode }
    lenencCells.set(decode, cell)
  }
  return cell
}
