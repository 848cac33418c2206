// Valid server payloads as fast-check arbitraries, the starting points the protocol fuzzing mutates:
// column definitions (with MariaDB's extended type block), OK packets with session-state blocks,
// PREPARE_OK, text and binary rows whose cells fit their columns, and whole result-set and PREPARE
// replies. test/support/packets.ts builds fixed packets for the unit tests; these builders cover every
// field so the round-trip properties can check what the parsers read back.

import fc from 'fast-check'
import { CellWidth, type BinaryCell } from '../../src/protocol/binary-row.ts'
import type { Column } from '../../src/protocol/column.ts'
import {
  Capability,
  ColumnType,
  FieldFlag,
  MariaDbCapability,
  ServerStatus,
} from '../../src/protocol/constants.ts'
import { PacketWriter } from '../../src/protocol/writer.ts'
import { resolveTypeOptions, type ResolvedTypeOptions } from '../../src/types/options.ts'
import { byteArb, lenenc } from './bytes.ts'

// ---- columns -------------------------------------------------------------------------------------

const COLUMN_TYPES = Object.values(ColumnType)

/** Collations worth covering: binary, the utf8 ones, single-byte, ucs2/utf16/utf32, East Asian, NO PAD. */
const COLLATIONS = [63, 45, 33, 8, 11, 48, 35, 54, 56, 60, 28, 24, 1, 95, 224, 255, 1069, 2047] as const

const FLAGS = [
  0,
  FieldFlag.UNSIGNED_FLAG,
  FieldFlag.UNSIGNED_FLAG | FieldFlag.ZEROFILL_FLAG,
  FieldFlag.BINARY_FLAG,
  FieldFlag.ENUM_FLAG,
  FieldFlag.SET_FLAG,
  FieldFlag.BLOB_FLAG | FieldFlag.BINARY_FLAG,
] as const

/** Names as servers send them: mostly short ASCII, sometimes any Unicode. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
)

export const extendedTypeArb: fc.Arbitrary<string> = fc.constantFrom(
  '',
  'json',
  'JSON',
  'uuid',
  'point',
  'inet6',
)

export const columnArb: fc.Arbitrary<Column> = fc.record({
  schema: nameArb,
  table: nameArb,
  orgTable: nameArb,
  name: nameArb,
  orgName: nameArb,
  characterSet: fc.oneof(fc.constantFrom(...COLLATIONS), fc.integer({ min: 0, max: 0xffff })),
  // Display widths: the usual ones, and any u32 a broken server could send.
  columnLength: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 1, 4, 11, 20, 21, 64, 255, 1024) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  ),
  type: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...COLUMN_TYPES) },
    { weight: 1, arbitrary: byteArb },
  ),
  flags: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...FLAGS) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  ),
  decimals: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }) },
    { weight: 2, arbitrary: fc.constantFrom(31, 39) },
    { weight: 1, arbitrary: byteArb },
  ),
  extendedType: extendedTypeArb,
})

/** A ColumnDefinition41 payload for `c`, with the extended-type block when `extended`. */
export function columnDefinition(c: Column, extended: boolean): Buffer {
  const w = new PacketWriter(96)
  for (const s of ['def', c.schema, c.table, c.orgTable, c.name, c.orgName]) w.writeLenencString(s)
  if (extended) {
    // Sub-entries: kind (0 type name, 1 format), one length byte, the bytes. JSON is a format.
    const block = new PacketWriter(16)
    if (c.extendedType !== '') {
      const kind = /^json$/i.test(c.extendedType) || c.extendedType === 'uuid' ? 1 : 0
      block.writeUInt8(kind).writeUInt8(c.extendedType.length).writeString(c.extendedType)
    }
    w.writeLenencBytes(block.payload())
  }
  w.writeLenencInt(0x0c)
    .writeUInt16(c.characterSet)
    .writeUInt32(c.columnLength)
    .writeUInt8(c.type)
    .writeUInt16(c.flags)
    .writeUInt8(c.decimals)
  w.writeZeros(2)
  return Buffer.from(w.payload())
}

export const typeOptionsArb: fc.Arbitrary<ResolvedTypeOptions> = fc
  .record({
    timezone: fc.constantFrom('local', 'Z', '+05:30', '-11:00', '+14:00'),
    dateStrings: fc.boolean(),
    decimalNumbers: fc.boolean(),
    bigIntMode: fc.constantFrom('auto' as const, 'bigint' as const, 'string' as const),
    jsonParse: fc.boolean(),
  })
  .map((o) => resolveTypeOptions(o))

// ---- greeting ----------------------------------------------------------------------------------

/** Fields of an Initial Handshake v10 (what test/support/packets.ts greeting() writes). */
export const greetingFieldsArb = fc.record({
  version: fc.oneof(
    fc.constantFrom('8.0.36', '5.5.5-10.11.6-MariaDB', '11.4.2-MariaDB-log', ''),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replaceAll('\0', '')),
  ),
  connectionId: fc.integer({ min: 0, max: 0xffffffff }),
  nonce: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => Buffer.from(u.map((b) => b | 1))),
  capabilities: fc
    .integer({ min: 0, max: 0xffffffff })
    .map(
      (c) =>
        (c |
          Capability.CLIENT_PROTOCOL_41 |
          Capability.CLIENT_SECURE_CONNECTION |
          Capability.CLIENT_PLUGIN_AUTH) >>>
        0,
    ),
  plugin: fc.oneof(
    fc.constantFrom('mysql_native_password', 'caching_sha2_password', 'client_ed25519', ''),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => s.replaceAll('\0', '')),
  ),
  status: fc.integer({ min: 0, max: 0xffff }),
  mariaDbCapabilities: fc.integer({ min: 0, max: 0xffffffff }),
})

// ---- OK, ERR, EOF, PREPARE_OK --------------------------------------------------------------------

export interface OkFields {
  readonly header: 0x00 | 0xfe
  readonly affectedRows: bigint
  readonly insertId: bigint
  readonly status: number
  readonly warnings: number
  readonly info: string
  /** A schema change to report in a session-state block (needs SERVER_SESSION_STATE_CHANGED). */
  readonly schema: string | null
}

export const okFieldsArb: fc.Arbitrary<OkFields> = fc.record({
  header: fc.constantFrom(0x00 as const, 0xfe as const),
  affectedRows: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
  insertId: fc.oneof(fc.bigInt({ min: 0n, max: 70000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
  status: fc.integer({ min: 0, max: 0xffff }),
  warnings: fc.integer({ min: 0, max: 0xffff }),
  info: fc.string({ maxLength: 40 }),
  schema: fc.option(nameArb, { nil: null }),
})

/**
 * An OK packet as a server with these capabilities writes it: with CLIENT_SESSION_TRACK the info is
 * length-encoded and, when SERVER_SESSION_STATE_CHANGED is set, a state block follows (here a
 * system-variable entry to be skipped, then the schema entry).
 */
export function okPacket(f: OkFields, capabilities: number): Buffer {
  const w = new PacketWriter(64)
  w.writeUInt8(f.header)
  writeLenencBig(w, f.affectedRows)
  writeLenencBig(w, f.insertId)
  if (capabilities & Capability.CLIENT_PROTOCOL_41) w.writeUInt16(f.status).writeUInt16(f.warnings)
  if (capabilities & Capability.CLIENT_SESSION_TRACK) {
    const changed = (f.status & ServerStatus.SERVER_SESSION_STATE_CHANGED) !== 0
    if (f.info !== '' || changed) w.writeLenencString(f.info)
    if (changed) {
      const state = new PacketWriter(32)
      const sysvar = new PacketWriter(16).writeLenencString('autocommit').writeLenencString('ON').payload()
      state.writeUInt8(0).writeLenencBytes(sysvar)
      if (f.schema !== null) {
        const data = new PacketWriter(16).writeLenencString(f.schema).payload()
        state.writeUInt8(1).writeLenencBytes(data)
      }
      w.writeLenencBytes(state.payload())
    }
  } else if (f.info !== '') {
    w.writeString(f.info)
  }
  return Buffer.from(w.payload())
}

function writeLenencBig(w: PacketWriter, v: bigint): void {
  if (v < 0x1000000n) w.writeLenencInt(Number(v))
  else {
    const b = Buffer.alloc(9)
    b[0] = 0xfe
    b.writeBigUInt64LE(v, 1)
    w.writeBytes(b)
  }
}

export function errPacket(errno: number, sqlState: string | null, message: string): Buffer {
  const w = new PacketWriter(64).writeUInt8(0xff).writeUInt16(errno)
  if (sqlState !== null) w.writeString('#' + sqlState)
  w.writeString(message)
  return Buffer.from(w.payload())
}

export const errArb: fc.Arbitrary<Buffer> = fc
  .record({
    errno: fc.integer({ min: 0, max: 0xffff }),
    // Protocol 4.1 servers always send the SQLSTATE; without it a message starting with '#' is ambiguous.
    sqlState: fc.string({ unit: 'binary-ascii', minLength: 5, maxLength: 5 }),
    message: fc.string({ maxLength: 40 }),
  })
  .map((e) => errPacket(e.errno, e.sqlState, e.message))

export function eofPacket(status: number, warnings: number): Buffer {
  return Buffer.from([0xfe, warnings & 0xff, warnings >> 8, status & 0xff, status >> 8])
}

export function prepareOk(id: number, columns: number, params: number, warnings: number): Buffer {
  const w = new PacketWriter(16)
  w.writeUInt8(0).writeUInt32(id).writeUInt16(columns).writeUInt16(params).writeUInt8(0).writeUInt16(warnings)
  return Buffer.from(w.payload())
}

// ---- cells and rows ------------------------------------------------------------------------------

/** Text a server could send for a cell of this column (or anything, sometimes). */
export function textCellArb(c: Column): fc.Arbitrary<Buffer | null> {
  const digits = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String)
  const decimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 999999 }))
    .map(([i, f]) => `${i}.${f}`)
  const double = fc.double().map(String)
  const datetime = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 24 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.option(fc.nat({ max: 999999 }), { nil: null }),
    )
    .map(
      ([y, mo, d, h, mi, s, us]) =>
        `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)} ${p2(h)}:${p2(mi)}:${p2(s)}` +
        (us === null ? '' : '.' + String(us).padStart(6, '0')),
    )
  const json = fc.json({ maxDepth: 3 })
  const plausible: fc.Arbitrary<string> = fc.oneof(
    digits,
    decimal,
    double,
    datetime,
    json,
    fc.string({ maxLength: 20 }),
  )
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 4, arbitrary: plausible.map((s) => Buffer.from(s)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)) },
    // A cell whose type says otherwise is still only text to the row reader.
    {
      weight: c.type === ColumnType.MYSQL_TYPE_BLOB ? 1 : 0,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
    },
  )
}

export function textRowPayload(cells: readonly (Buffer | null)[]): Buffer {
  return Buffer.concat(
    cells.map((c) => (c === null ? Buffer.from([0xfb]) : Buffer.concat([lenenc(c.length), c]))),
  )
}

/**
 * Value bytes for a binary cell of this width (no length prefix), or null for NULL. `strict` keeps to
 * what a server sends (temporal fields in range, their four lengths); otherwise anything goes.
 */
export function binaryCellArb(
  cell: BinaryCell,
  temporal: 'date' | 'time' | null,
  strict: boolean,
): fc.Arbitrary<Buffer | null> {
  let value: fc.Arbitrary<Uint8Array>
  if (cell.width > 0) value = fc.uint8Array({ minLength: cell.width, maxLength: cell.width })
  else if (cell.width === CellWidth.LENGTH_BYTE) {
    const lengths = temporal === 'time' ? [0, 8, 12] : [0, 4, 7, 11]
    value = strict
      ? temporalBytes(temporal === 'time', true)
      : fc.oneof(
          { weight: 4, arbitrary: temporalBytes(temporal === 'time', false) },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(...lengths)
              .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
          },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 250 }) },
        )
  } else value = fc.uint8Array({ maxLength: 300 })
  return fc.option(
    value.map((u) => Buffer.from(u)),
    { nil: null, freq: 6 },
  )
}

/** DATETIME / TIME field bytes: in range when `strict` (as servers send), else sometimes not. */
function temporalBytes(time: boolean, strict: boolean): fc.Arbitrary<Uint8Array> {
  const us = strict ? fc.nat({ max: 999999 }) : fc.oneof(fc.nat({ max: 999999 }), fc.nat())
  if (time) {
    return fc
      .tuple(
        fc.constantFrom(...(strict ? [0, 1] : [0, 1, 2])),
        fc.nat({ max: 40 }),
        fc.nat({ max: strict ? 23 : 30 }),
        fc.nat({ max: strict ? 59 : 100 }),
        fc.nat({ max: strict ? 59 : 100 }),
        us,
        fc.constantFrom(0, 8, 12),
      )
      .map(([neg, days, h, mi, s, micros, len]) => {
        const b = Buffer.alloc(len)
        if (len === 0) return b
        b[0] = neg
        b.writeUInt32LE(days, 1)
        b[5] = h
        b[6] = mi
        b[7] = s
        if (len === 12) b.writeUInt32LE(micros >>> 0, 8)
        return b
      })
  }
  return fc
    .tuple(
      fc.nat({ max: strict ? 9999 : 10000 }),
      fc.nat({ max: 13 }),
      fc.nat({ max: 32 }),
      fc.nat({ max: strict ? 23 : 25 }),
      fc.nat({ max: strict ? 59 : 61 }),
      fc.nat({ max: strict ? 59 : 61 }),
      us,
      fc.constantFrom(0, 4, 7, 11),
    )
    .map(([y, mo, d, h, mi, s, micros, len]) => {
      const b = Buffer.alloc(len)
      if (len === 0) return b
      b.writeUInt16LE(y, 0)
      b[2] = mo
      b[3] = d
      if (len >= 7) {
        b[4] = h
        b[5] = mi
        b[6] = s
      }
      if (len === 11) b.writeUInt32LE(micros >>> 0, 7)
      return b
    })
}

/** Which temporal encoding a column's binary cell uses, if any. */
export function temporalKind(c: Column): 'date' | 'time' | null {
  switch (c.type) {
    case ColumnType.MYSQL_TYPE_TIME:
    case ColumnType.MYSQL_TYPE_TIME2:
      return 'time'
    case ColumnType.MYSQL_TYPE_DATE:
    case ColumnType.MYSQL_TYPE_NEWDATE:
    case ColumnType.MYSQL_TYPE_DATETIME:
    case ColumnType.MYSQL_TYPE_DATETIME2:
    case ColumnType.MYSQL_TYPE_TIMESTAMP:
    case ColumnType.MYSQL_TYPE_TIMESTAMP2:
      return 'date'
    default:
      return null
  }
}

/** A binary-protocol row: 0x00, the NULL bitmap (column i at bit i + 2), the values with their prefixes. */
export function binaryRowPayload(cells: readonly BinaryCell[], values: readonly (Buffer | null)[]): Buffer {
  const bitmap = Buffer.alloc((cells.length + 9) >> 3)
  const parts: Buffer[] = [Buffer.from([0x00]), bitmap]
  values.forEach((v, i) => {
    if (v === null) {
      bitmap[(i + 2) >> 3]! |= 1 << ((i + 2) & 7)
      return
    }
    const width = cells[i]!.width
    if (width === CellWidth.LENGTH_BYTE) parts.push(Buffer.from([v.length]))
    else if (width === CellWidth.LENENC) parts.push(lenenc(v.length))
    parts.push(v)
  })
  return Buffer.concat(parts)
}

// ---- capabilities --------------------------------------------------------------------------------

export interface Caps {
  readonly capabilities: number
  readonly mariaDbCapabilities: number
}

/** The capability combinations that change how replies are laid out. */
export const capsArb: fc.Arbitrary<Caps> = fc
  .record({
    protocol41: fc.boolean(),
    deprecateEof: fc.boolean(),
    sessionTrack: fc.boolean(),
    extendedTypes: fc.boolean(),
    cacheMetadata: fc.boolean(),
  })
  .map((c) => ({
    capabilities:
      ((c.protocol41 ? Capability.CLIENT_PROTOCOL_41 : 0) |
        (c.deprecateEof ? Capability.CLIENT_DEPRECATE_EOF : 0) |
        (c.sessionTrack ? Capability.CLIENT_SESSION_TRACK : 0)) >>>
      0,
    mariaDbCapabilities:
      (c.extendedTypes ? MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO : 0) |
      (c.cacheMetadata ? MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA : 0),
  }))

const p2 = (n: number): string => String(n).padStart(2, '0')
