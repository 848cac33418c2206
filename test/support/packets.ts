// Builders for server-side payloads (greeting, OK, ERR, EOF, column definitions, text rows),
// shared by the protocol unit tests and the scripted fake server.

import type { Column } from '../../src/protocol/column.ts'
import { Capability, ColumnType } from '../../src/protocol/constants.ts'
import { PacketWriter } from '../../src/protocol/writer.ts'

export const SERVER_CAPS =
  (Capability.CLIENT_LONG_PASSWORD |
    Capability.CLIENT_LONG_FLAG |
    Capability.CLIENT_CONNECT_WITH_DB |
    Capability.CLIENT_PROTOCOL_41 |
    Capability.CLIENT_TRANSACTIONS |
    Capability.CLIENT_SECURE_CONNECTION |
    Capability.CLIENT_MULTI_STATEMENTS |
    Capability.CLIENT_MULTI_RESULTS |
    Capability.CLIENT_PS_MULTI_RESULTS |
    Capability.CLIENT_PLUGIN_AUTH |
    Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
    Capability.CLIENT_CONNECT_ATTRS |
    Capability.CLIENT_SESSION_TRACK |
    Capability.CLIENT_DEPRECATE_EOF) >>>
  0

export function greeting(o: {
  version?: string
  connectionId?: number
  nonce?: Buffer
  capabilities?: number
  plugin?: string
  status?: number
  /** MariaDB's extended capabilities (last 4 filler bytes; a MariaDB greeting clears bit 0). */
  mariaDbCapabilities?: number
}): Buffer {
  const nonce = o.nonce ?? Buffer.from('0123456789abcdefghij')
  const caps = o.capabilities ?? SERVER_CAPS
  const w = new PacketWriter(128)
  w.writeUInt8(10)
    .writeNulString(o.version ?? '8.0.36')
    .writeUInt32(o.connectionId ?? 7)
  w.writeBytes(nonce.subarray(0, 8)).writeUInt8(0)
  w.writeUInt16(caps & 0xffff)
    .writeUInt8(45)
    .writeUInt16(o.status ?? 2)
    .writeUInt16(caps >>> 16)
  w.writeUInt8(21)
    .writeZeros(6)
    .writeUInt32(o.mariaDbCapabilities ?? 0)
  w.writeBytes(nonce.subarray(8, 20)).writeUInt8(0)
  w.writeNulString(o.plugin ?? 'mysql_native_password')
  return Buffer.from(w.payload())
}

export function ok(
  o: { affectedRows?: number; insertId?: number; status?: number; warnings?: number; header?: number } = {},
): Buffer {
  const w = new PacketWriter(16)
  w.writeUInt8(o.header ?? 0)
    .writeLenencInt(o.affectedRows ?? 0)
    .writeLenencInt(o.insertId ?? 0)
  w.writeUInt16(o.status ?? 2).writeUInt16(o.warnings ?? 0)
  return Buffer.from(w.payload())
}

export function err(errno: number, sqlState: string, message: string): Buffer {
  const w = new PacketWriter(64)
  w.writeUInt8(0xff)
    .writeUInt16(errno)
    .writeString('#' + sqlState)
    .writeString(message)
  return Buffer.from(w.payload())
}

export function eof(status = 2, warnings = 0): Buffer {
  return Buffer.from([0xfe, warnings & 0xff, warnings >> 8, status & 0xff, status >> 8])
}

export function columnCount(n: number): Buffer {
  return Buffer.from(new PacketWriter(9).writeLenencInt(n).payload())
}

export function columnDef(
  name: string,
  type: number = ColumnType.MYSQL_TYPE_VAR_STRING,
  charset = 45,
  flags = 0,
): Buffer {
  const w = new PacketWriter(64)
  for (const s of ['def', 'test', 't', 't', name, name]) w.writeLenencString(s)
  w.writeLenencInt(0x0c)
    .writeUInt16(charset)
    .writeUInt32(255)
    .writeUInt8(type)
    .writeUInt16(flags)
    .writeUInt8(0)
  w.writeZeros(2)
  return Buffer.from(w.payload())
}

export function textRow(cells: readonly (string | Buffer | null)[]): Buffer {
  const w = new PacketWriter(64)
  for (const c of cells) {
    if (c === null) w.writeUInt8(0xfb)
    else w.writeLenencBytes(typeof c === 'string' ? Buffer.from(c) : c)
  }
  return Buffer.from(w.payload())
}

/** Frame payloads into packets with consecutive sequence ids. */
export function packets(payloads: readonly Buffer[], firstSeq = 1): Buffer {
  const out: Buffer[] = []
  let seq = firstSeq
  for (const p of payloads) {
    out.push(Buffer.from([p.length & 0xff, (p.length >> 8) & 0xff, p.length >> 16, seq++ & 0xff]), p)
  }
  return Buffer.concat(out)
}

/** A decoded column definition for decoder tests: binary collation, no flags, unless overridden. */
export function testColumn(type: number, over: Partial<Column> = {}): Column {
  return {
    schema: 'db',
    table: 't',
    orgTable: 't',
    name: 'c',
    orgName: 'c',
    characterSet: 63,
    columnLength: 0,
    type,
    flags: 0,
    decimals: 0,
    extendedType: '',
    ...over,
  }
}

/** A length-encoded length prefix, as the server writes it. */
export function lenencPrefix(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n])
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8])
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16])
  const b = Buffer.alloc(9)
  b[0] = 0xfe
  b.writeBigUInt64LE(BigInt(n), 1)
  return b
}
