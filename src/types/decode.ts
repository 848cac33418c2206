// Text-protocol cell decoders (SPEC §5). One is chosen per column when its definition arrives and is
// reused for every row, so nothing is decided per value; no code is generated from server data (SPEC §8).
// Decoders are shared top-level functions or small closures over resolved options, never per-row objects.

import type { Column } from '../protocol/column.ts'
import { BINARY_COLLATION_ID, ColumnType, FieldFlag } from '../protocol/constants.ts'
import { charsetForCollation } from './charsets.ts'
import type { ResolvedTypeOptions } from './options.ts'
import { parseDateTime, parseDateTimeBytes } from './temporal.ts'
import { latin1Text, utf8Text } from './text-slice.ts'

/**
 * Decodes the value bytes buf[start, end) of one text-protocol cell. NULL cells are handled by the
 * row reader and never reach a decoder.
 */
export type TextDecoder = (buf: Buffer, start: number, end: number) => unknown

/** The decoder for every cell of `column`, following SPEC §5 and the type options. */
export function textDecoderFor(column: Column, opts: ResolvedTypeOptions): TextDecoder {
  // MariaDB announces JSON columns only in extended metadata; on the wire they are LONGTEXT (BLOB type).
  if (column.type === ColumnType.MYSQL_TYPE_JSON || column.extendedType.toLowerCase() === 'json') {
    return jsonDecoder(column, opts.jsonParse)
  }
  switch (column.type) {
    case ColumnType.MYSQL_TYPE_TINY:
    case ColumnType.MYSQL_TYPE_SHORT:
    case ColumnType.MYSQL_TYPE_INT24:
    case ColumnType.MYSQL_TYPE_LONG:
    case ColumnType.MYSQL_TYPE_YEAR:
      return decodeInt
    case ColumnType.MYSQL_TYPE_LONGLONG:
      return opts.bigIntMode === 'auto'
        ? decodeBigInt
        : opts.bigIntMode === 'bigint'
          ? decodeBigIntAlways
          : decodeAscii
    case ColumnType.MYSQL_TYPE_DECIMAL:
    case ColumnType.MYSQL_TYPE_NEWDECIMAL:
      return opts.decimalNumbers ? decodeNumber : decodeAscii
    case ColumnType.MYSQL_TYPE_FLOAT:
    case ColumnType.MYSQL_TYPE_DOUBLE:
      return decodeNumber
    case ColumnType.MYSQL_TYPE_DATE:
    case ColumnType.MYSQL_TYPE_NEWDATE:
    case ColumnType.MYSQL_TYPE_DATETIME:
    case ColumnType.MYSQL_TYPE_DATETIME2:
    case ColumnType.MYSQL_TYPE_TIMESTAMP:
    case ColumnType.MYSQL_TYPE_TIMESTAMP2:
      return opts.dateStrings ? decodeAscii : dateDecoder(opts.tzOffset)
    case ColumnType.MYSQL_TYPE_TIME:
    case ColumnType.MYSQL_TYPE_TIME2:
      // TIME is a duration (up to ±838:59:59), not a time of day: the server's text is the value.
      return decodeAscii
    case ColumnType.MYSQL_TYPE_NULL:
      return decodeNull
    case ColumnType.MYSQL_TYPE_BIT:
    case ColumnType.MYSQL_TYPE_GEOMETRY:
    case ColumnType.MYSQL_TYPE_VECTOR:
      return copyBytes
    case ColumnType.MYSQL_TYPE_ENUM:
    case ColumnType.MYSQL_TYPE_SET:
      return textOf(column)
    default:
      // CHAR, VARCHAR, TEXT and BLOB (and types this table does not know): the collation decides.
      // ENUM and SET normally arrive as STRING with a flag; SPEC §5 makes them strings whatever the collation.
      if ((column.flags & (FieldFlag.ENUM_FLAG | FieldFlag.SET_FLAG)) !== 0) return textOf(column)
      return column.characterSet === BINARY_COLLATION_ID
        ? copyBytes
        : charsetForCollation(column.characterSet).decode
  }
}

/** Text in the column's charset; a binary collation here (ENUM/SET, JSON) is read as UTF-8. */
function textOf(column: Column): (buf: Buffer, start: number, end: number) => string {
  return column.characterSet === BINARY_COLLATION_ID
    ? decodeUtf8
    : charsetForCollation(column.characterSet).decode
}

function decodeUtf8(buf: Buffer, start: number, end: number): string {
  return utf8Text(buf, start, end)
}

/** Numbers, DECIMAL, temporal values: the server sends them as ASCII, for which latin1 is the fastest exact codec. */
function decodeAscii(buf: Buffer, start: number, end: number): string {
  return latin1Text(buf, start, end)
}

function decodeNull(): null {
  return null
}

/**
 * A private copy of the bytes. The cell is a view into the connection's receive buffer, which is
 * reused for the next packets, so handing out the view would let later rows overwrite this value.
 */
function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const n = end - start
  const out = Buffer.allocUnsafe(n) // every byte is overwritten just below
  // For short values (hashes, UUIDs, BIT) a plain loop beats the argument checks of buf.copy.
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = buf[start + i]!
  else buf.copy(out, 0, start, end)
  return out
}

/**
 * TINYINT..INT and YEAR: digits read straight from the bytes, no intermediate string. Anything other
 * than an optional '-' and digits (never sent by a real server) goes through Number(), i.e. NaN.
 */
function decodeInt(buf: Buffer, start: number, end: number): number {
  let i = start
  let negative = false
  if (i < end && buf[i] === 0x2d) {
    negative = true
    i++
  }
  if (i === end) return NaN
  let n = 0
  for (; i < end; i++) {
    const d = buf[i]! - 0x30
    if (d < 0 || d > 9) return Number(buf.toString('latin1', start, end))
    n = n * 10 + d
  }
  return negative ? -n : n
}

/**
 * BIGINT in 'auto' mode: a number when it is a safe integer, otherwise an exact bigint.
 * Accumulating in a double is exact while the value stays ≤ 2^53 - 1, and rounding is monotonic, so a
 * result above MAX_SAFE_INTEGER means the true value is too: only then is BigInt parsed from the text.
 */
function decodeBigInt(buf: Buffer, start: number, end: number): number | bigint {
  const n = decodeInt(buf, start, end)
  if (!(Math.abs(n) > Number.MAX_SAFE_INTEGER)) return n // safe, or NaN for a malformed cell
  const text = buf.toString('latin1', start, end)
  return /^-?\d+$/.test(text) ? BigInt(text) : n
}

/** BIGINT in 'bigint' mode: always a bigint. */
function decodeBigIntAlways(buf: Buffer, start: number, end: number): bigint | number {
  const v = decodeBigInt(buf, start, end)
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i)

/**
 * FLOAT, DOUBLE (and DECIMAL with decimalNumbers). Plain `[-]digits[.digits]` with at most 15
 * significant digits is read from the bytes: the digits form an exact integer below 2^53 and 10^k is
 * exact, so one IEEE division gives the correctly rounded value, the same as Number(text). Longer
 * forms and exponents go through Number().
 */
function decodeNumber(buf: Buffer, start: number, end: number): number {
  let i = start
  let negative = false
  if (i < end && buf[i] === 0x2d) {
    negative = true
    i++
  }
  let mantissa = 0
  let digits = 0
  let scale = -1 // digits after the point; -1 until a point is seen
  for (; i < end; i++) {
    const c = buf[i]!
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30)
      digits++
      if (scale >= 0) scale++
    } else if (c === 0x2e && scale < 0) {
      scale = 0
    } else {
      digits = 16 // exponent or anything unexpected
      break
    }
  }
  if (digits === 0 || digits > 15) return Number(buf.toString('latin1', start, end))
  const v = scale > 0 ? mantissa / POW10[scale]! : mantissa
  return negative ? -v : v
}

// One closure per timezone, shared by every column and result that uses it.
const dateDecoders = new Map<number | null, TextDecoder>()

/** DATE / DATETIME / TIMESTAMP -> Date in the connection's timezone; zero or invalid dates stay strings. */
function dateDecoder(tzOffset: number | null): TextDecoder {
  let d = dateDecoders.get(tzOffset)
  if (d === undefined) {
    d = (buf: Buffer, start: number, end: number): Date | string =>
      parseDateTimeBytes(buf, start, end, tzOffset) ?? parseDateTime(latin1Text(buf, start, end), tzOffset)
    if (dateDecoders.size < 64) dateDecoders.set(tzOffset, d)
  }
  return d
}

/**
 * JSON. MySQL's JSON type reports the binary collation but its text is always utf8mb4; MariaDB's JSON
 * columns carry the connection's charset. Text that does not parse (MariaDB stores JSON as LONGTEXT,
 * so it can hold anything) comes back as the text. JSON.parse defines "__proto__" as an own property
 * and never changes a prototype, so server data cannot pollute objects.
 */
function jsonDecoder(column: Column, parse: boolean): TextDecoder {
  const text = column.type === ColumnType.MYSQL_TYPE_JSON ? decodeUtf8 : textOf(column)
  if (!parse) return text
  return (buf: Buffer, start: number, end: number): unknown => {
    const s = text(buf, start, end)
    try {
      return JSON.parse(s) as unknown
    } catch {
      return s
    }
  }
}
