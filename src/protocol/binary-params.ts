// Parameters of COM_STMT_EXECUTE and COM_STMT_BULK_EXECUTE in the binary protocol (SPEC §11): each
// value is sent with its type, never as SQL text. Integers and bigint bind as LONGLONG (unsigned above
// 2^63−1), so `LIMIT ?` works on every server; other numbers as DOUBLE, booleans as TINY, strings as
// VAR_STRING in the connection charset, bytes as BLOB, Dates as DATETIME in the connection timezone.
// Values were checked when the markers were made (sql/markers.ts); a Date outside 0000-9999 is
// refused here, still before anything is sent.

import { ProgrammingError } from '../errors.ts'
import { checkLiteral } from '../sql/escape.ts'
import { formatDateTime } from '../types/temporal.ts'
import { ColumnType, Command } from './constants.ts'
import { PacketWriter } from './writer.ts'

/** What binding depends on: the timezone of Dates and the encoder of the connection charset. */
export interface BindContext {
  readonly tzOffset: number | null
  /** Encodes text for the connection charset; null means UTF-8. */
  readonly encode: ((s: string) => Buffer) | null
}

/** The statement id MariaDB reads as "the statement prepared just before" (PREPARE + EXECUTE in one trip). */
export const LAST_PREPARED = 0xffffffff

/** Where the statement id sits in a framed COM_STMT_EXECUTE / BULK_EXECUTE payload. */
const ID_OFFSET = 5

const UNSIGNED = 0x8000
const TWO_63 = 2n ** 63n
const TWO_64 = 2n ** 64n

/** The wire type of a value (with the unsigned bit), chosen from its JS type. */
export function paramType(value: unknown): number {
  switch (typeof value) {
    case 'number':
      if (Number.isSafeInteger(value)) return ColumnType.MYSQL_TYPE_LONGLONG
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 64)
        return value >= 2 ** 63 ? ColumnType.MYSQL_TYPE_LONGLONG | UNSIGNED : ColumnType.MYSQL_TYPE_LONGLONG
      return ColumnType.MYSQL_TYPE_DOUBLE
    case 'bigint':
      if (value >= -TWO_63 && value < TWO_63) return ColumnType.MYSQL_TYPE_LONGLONG
      return value >= 0n && value < TWO_64
        ? ColumnType.MYSQL_TYPE_LONGLONG | UNSIGNED
        : ColumnType.MYSQL_TYPE_NEWDECIMAL
    case 'boolean':
      return ColumnType.MYSQL_TYPE_TINY
    case 'string':
      return ColumnType.MYSQL_TYPE_VAR_STRING
    case 'object':
      if (value === null) return ColumnType.MYSQL_TYPE_NULL
      if (value instanceof Uint8Array) return ColumnType.MYSQL_TYPE_BLOB
      if (value instanceof Date) return ColumnType.MYSQL_TYPE_DATETIME
      break
    case 'undefined':
      return ColumnType.MYSQL_TYPE_NULL
    case 'function':
    case 'symbol':
      break
  }
  // markers.ts checked every value, so nothing else reaches here.
  throw new ProgrammingError('a parameter of an unsupported type reached binding')
}

/** Write the value of a non-NULL parameter of type `type` (from paramType). */
export function writeValue(
  w: PacketWriter,
  value: unknown,
  type: number,
  ctx: BindContext,
  where: number,
): void {
  switch (type & 0xff) {
    case ColumnType.MYSQL_TYPE_LONGLONG:
      return writeLongLong(w, value as number | bigint)
    case ColumnType.MYSQL_TYPE_DOUBLE:
      w.ensure(8)
      w.buf.writeDoubleLE(value as number, w.pos)
      w.pos += 8
      return
    case ColumnType.MYSQL_TYPE_NEWDECIMAL:
      w.writeLenencBytes(Buffer.from(String(value), 'latin1'))
      return
    case ColumnType.MYSQL_TYPE_TINY:
      w.writeUInt8(value === true ? 1 : 0)
      return
    case ColumnType.MYSQL_TYPE_VAR_STRING:
      if (ctx.encode === null) w.writeLenencString(value as string)
      else w.writeLenencBytes(ctx.encode(value as string))
      return
    case ColumnType.MYSQL_TYPE_BLOB:
      w.writeLenencBytes(value as Uint8Array)
      return
    case ColumnType.MYSQL_TYPE_DATETIME:
      return writeDateTime(w, value as Date, ctx, where)
  }
}

/** The COM_STMT_EXECUTE payload (framed) for `params`; the statement id is set later (setStatementId). */
export function encodeExecute(params: readonly unknown[], ctx: BindContext): Buffer {
  const n = params.length
  const w = new PacketWriter(10 + ((n + 7) >> 3) + 1 + n * 11)
  w.writeUInt8(Command.COM_STMT_EXECUTE).writeUInt32(0).writeUInt8(0).writeUInt32(1)
  if (n === 0) return w.framed()
  const bitmap = w.pos
  w.writeZeros((n + 7) >> 3).writeUInt8(1) // new-params-bound: types follow
  const types = w.pos
  w.writeZeros(2 * n)
  for (let i = 0; i < n; i++) {
    const value = params[i]
    const type = paramType(value)
    w.buf.writeUInt16LE(type, types + 2 * i)
    if (type === ColumnType.MYSQL_TYPE_NULL) w.buf[bitmap + (i >> 3)]! |= 1 << (i & 7)
    else writeValue(w, value, type, ctx, i)
  }
  return w.framed()
}

/** Where the new-params-bound flag of a framed EXECUTE with `n` parameters sits (the types follow it). */
function boundFlagAt(n: number): number {
  // 4 header bytes, command, statement id (4), flags, iteration count (4), then the NULL bitmap.
  return 14 + ((n + 7) >> 3)
}

/**
 * The parameter types of a framed COM_STMT_EXECUTE with `n` parameters (a view), or null when the
 * payload is not one that carries them (a BULK_EXECUTE, no parameters, or more than one packet).
 */
export function executeParamTypes(framed: Buffer, n: number): Buffer | null {
  if (n <= 0 || framed[4] !== Command.COM_STMT_EXECUTE || framed.length - 4 >= 0xffffff) return null
  const flag = boundFlagAt(n)
  if (framed[flag] !== 1 || framed.length < flag + 1 + 2 * n) return null
  return framed.subarray(flag + 1, flag + 1 + 2 * n)
}

/**
 * The same EXECUTE without its parameter types (new-params-bound 0): the server binds with the types
 * it was last sent for the statement. Only for a payload executeParamTypes() accepted. Done in place
 * (the values move over the types; nothing is allocated): the result is a shorter view of `framed`.
 */
export function withoutParamTypes(framed: Buffer, n: number): Buffer {
  const flag = boundFlagAt(n)
  const cut = 2 * n
  framed.copyWithin(flag + 1, flag + 1 + cut)
  framed[flag] = 0
  const out = framed.subarray(0, framed.length - cut)
  out.writeUIntLE(out.length - 4, 0, 3)
  return out
}

/** Put the statement id into a framed EXECUTE / BULK_EXECUTE payload. */
export function setStatementId(framed: Buffer, id: number): void {
  framed.writeUInt32LE(id >>> 0, ID_OFFSET)
}

function writeLongLong(w: PacketWriter, v: number | bigint): void {
  w.ensure(8)
  const buf = w.buf
  const pos = w.pos
  if (typeof v === 'number' && v >= -0x80000000 && v <= 0xffffffff) {
    // The common case without a BigInt: low word, then the sign extension.
    buf.writeUInt32LE(v >>> 0, pos)
    buf.writeInt32LE(v < 0 ? -1 : 0, pos + 4)
  } else {
    const b = BigInt(v)
    if (b >= TWO_63) buf.writeBigUInt64LE(b, pos)
    else buf.writeBigInt64LE(b, pos)
  }
  w.pos = pos + 8
}

// DATETIME: length 11, year (2), month, day, hour, minute, second, microseconds (4).
function writeDateTime(w: PacketWriter, d: Date, ctx: BindContext, where: number): void {
  // The same checks as a Date literal (invalid, or outside years 0000-9999).
  checkLiteral(d, { noBackslashEscapes: false, tzOffset: ctx.tzOffset }, where)
  const s = formatDateTime(d, ctx.tzOffset)
  const num = (from: number, to: number): number => Number(s.slice(from, to))
  w.writeUInt8(11)
    .writeUInt16(num(0, 4))
    .writeUInt8(num(5, 7))
    .writeUInt8(num(8, 10))
    .writeUInt8(num(11, 13))
    .writeUInt8(num(14, 16))
    .writeUInt8(num(17, 19))
    .writeUInt32(num(20, 23) * 1000)
}

/** COM_STMT_BULK_EXECUTE (MariaDB): one statement run for many rows in one packet. */
const COM_STMT_BULK_EXECUTE = 0xfa
/** Bulk flag: the parameter types follow the header (they are the same for every row of the batch). */
const BULK_SEND_TYPES = 128
/** Per-value indicators of a bulk row. */
const INDICATOR_NONE = 0
const INDICATOR_NULL = 1

/**
 * One COM_STMT_BULK_EXECUTE payload (framed, statement id set later) for rows[from, …): as many
 * rows as fit in `limit` bytes and share one type per parameter (see planBatch).
 * Returns the payload and the index of the first row not included.
 */
export function encodeBulk(
  rows: readonly (readonly unknown[])[],
  from: number,
  limit: number,
  ctx: BindContext,
): { payload: Buffer; to: number } {
  const plan = planBatch(rows, from, rows.length)
  const first = writeBatch(rows, from, plan, limit, ctx)
  if (first.to === plan.to) return first
  // The size limit cut the batch short: its types must come from the rows it holds, not from rows
  // beyond the cut (an integer column is DOUBLE only when a fraction is among its own rows).
  const cut = planBatch(rows, from, first.to)
  return cut.types.every((t, i) => t === plan.types[i]) ? first : writeBatch(rows, from, cut, limit, ctx)
}

interface BatchPlan {
  readonly types: number[]
  /** One past the last row that fits these types. */
  readonly to: number
}

/**
 * The rows from `from` (before `end`) that can share one type per parameter, and those types: each
 * parameter's from its first non-NULL value. A parameter holding only JS numbers is LONGLONG while
 * they are integers and DOUBLE once one is not (every JS number is a double, so integers go exactly),
 * so a column mixing 3 and 3.75 stays in one batch; a value of another kind ends the batch. A
 * parameter NULL in every row is sent as VAR_STRING.
 */
function planBatch(rows: readonly (readonly unknown[])[], from: number, end: number): BatchPlan {
  const n = rows[from]!.length
  const types = new Array<number>(n).fill(ColumnType.MYSQL_TYPE_NULL)
  /** Every non-NULL value of the parameter so far is a JS number (not a bigint). */
  const numbersOnly = new Array<boolean>(n).fill(true)
  let to = from
  for (; to < end; to++) {
    const row = rows[to]!
    if (to > from && !fits(row, types, numbersOnly)) break
    for (let i = 0; i < n; i++) {
      const value = row[i]
      const t = paramType(value)
      if (t === ColumnType.MYSQL_TYPE_NULL) continue
      if (typeof value !== 'number') numbersOnly[i] = false
      if (types[i] === ColumnType.MYSQL_TYPE_NULL || t === ColumnType.MYSQL_TYPE_DOUBLE) types[i] = t
    }
  }
  return {
    types: types.map((t) => (t === ColumnType.MYSQL_TYPE_NULL ? ColumnType.MYSQL_TYPE_VAR_STRING : t)),
    to,
  }
}

/** Whether `row` can join a batch of these types without changing any but LONGLONG to DOUBLE. */
function fits(row: readonly unknown[], types: readonly number[], numbersOnly: readonly boolean[]): boolean {
  for (let i = 0; i < types.length; i++) {
    const value = row[i]
    const t = paramType(value)
    const have = types[i]!
    if (t === ColumnType.MYSQL_TYPE_NULL || t === have || have === ColumnType.MYSQL_TYPE_NULL) continue
    // A number joins a numbers-only DOUBLE parameter; a fraction turns a LONGLONG one into DOUBLE.
    const numeric = typeof value === 'number' && numbersOnly[i] === true
    const toDouble = have === ColumnType.MYSQL_TYPE_LONGLONG && t === ColumnType.MYSQL_TYPE_DOUBLE
    if (numeric && (have === ColumnType.MYSQL_TYPE_DOUBLE || toDouble)) continue
    return false
  }
  return true
}

/** Write rows[from, plan.to) with the plan's types, stopping before the first row past `limit` bytes. */
function writeBatch(
  rows: readonly (readonly unknown[])[],
  from: number,
  plan: BatchPlan,
  limit: number,
  ctx: BindContext,
): { payload: Buffer; to: number } {
  const { types } = plan
  const n = types.length
  const w = new PacketWriter(Math.min(limit, 64 * 1024))
  w.writeUInt8(COM_STMT_BULK_EXECUTE).writeUInt32(0).writeUInt16(BULK_SEND_TYPES)
  for (let i = 0; i < n; i++) w.writeUInt16(types[i]!)
  let to = from
  for (; to < plan.to; to++) {
    const row = rows[to]!
    const mark = w.pos
    for (let i = 0; i < n; i++) {
      const value = row[i]
      if (value === null || value === undefined) w.writeUInt8(INDICATOR_NULL)
      else {
        w.writeUInt8(INDICATOR_NONE)
        writeValue(w, value, types[i]!, ctx, i)
      }
    }
    // A row that does not fit starts the next batch (a batch always takes at least one row).
    if (w.pos - 4 > limit && to > from) {
      w.pos = mark
      break
    }
  }
  return { payload: w.framed(), to }
}
