// Generic responses: OK, ERR and EOF packets, decoded into plain records.
// OK is 0x00 (or 0xFE when it ends a result under CLIENT_DEPRECATE_EOF); ERR is 0xFF; EOF is 0xFE.

import { Capability, MAX_PACKET_PAYLOAD } from './constants.ts'
import { PacketReader } from './reader.ts'

export const OK_HEADER = 0x00
export const ERR_HEADER = 0xff
export const EOF_HEADER = 0xfe
export const LOCAL_INFILE_HEADER = 0xfb

export interface OkPacket {
  readonly affectedRows: number | bigint
  readonly insertId: number | bigint
  readonly status: number
  readonly warningCount: number
  readonly info: string
  /** The current database after this statement, when the server reported a change (session tracking). */
  readonly schema: string | null
}

export interface ErrPacket {
  readonly errno: number
  readonly sqlState: string
  readonly message: string
}

/**
 * True when the payload buf[start, end) is an EOF/OK terminator (0xFE) rather than a row whose first
 * cell is huge (such a row fills a whole packet).
 */
export function isEofPacket(buf: Buffer, start = 0, end = buf.length): boolean {
  // An empty payload is never EOF (buf[start] would be the next packet's first byte).
  return end > start && buf[start] === EOF_HEADER && end - start < MAX_PACKET_PAYLOAD
}

/** SESSION_TRACK_SCHEMA: the current database changed (CLIENT_SESSION_TRACK state info). */
const SESSION_TRACK_SCHEMA = 1
/** SERVER_SESSION_STATE_CHANGED: state-change info follows the OK's message. */
const SESSION_STATE_CHANGED = 0x4000

/**
 * The OK packet in payload[start, end) (the whole buffer by default: result readers pass the span of
 * a socket chunk instead of making a view of it).
 */
export function parseOk(payload: Buffer, capabilities: number, start = 0, end = payload.length): OkPacket {
  const r = new PacketReader(payload, start + 1, end)
  const affectedRows = r.readLenencIntExact()
  const insertId = r.readLenencIntExact()
  let status = 0
  let warningCount = 0
  if (capabilities & Capability.CLIENT_PROTOCOL_41) {
    status = r.readUInt16()
    warningCount = r.readUInt16()
  }
  let info = ''
  let schema: string | null = null
  if (r.remaining > 0) {
    // With CLIENT_SESSION_TRACK the info is length-encoded; without it, it is the rest.
    if (capabilities & Capability.CLIENT_SESSION_TRACK) {
      const len = r.readLenencInt()
      if (len > 0 && len <= r.remaining) info = payload.toString('utf8', r.pos, r.pos + len)
      r.skip(Math.min(len, r.remaining))
      if (status & SESSION_STATE_CHANGED && r.remaining > 0) schema = trackedSchema(r)
    } else {
      // MariaDB length-prefixes the info even without CLIENT_SESSION_TRACK; MySQL sends it bare.
      const rest = r.readRest()
      const prefixed = rest.length > 1 && rest[0]! < 0xfb && rest[0] === rest.length - 1
      info = rest.toString('utf8', prefixed ? 1 : 0)
    }
  }
  return { affectedRows, insertId, status, warningCount, info, schema }
}

/**
 * The new current database from an OK's session-state block (entries: type, length, data), or null
 * when none is reported. Entries of other types are skipped; a block that does not parse is ignored
 * (it only ever refines what the client knows).
 */
function trackedSchema(r: PacketReader): string | null {
  try {
    const end = Math.min(r.pos + r.readLenencInt(), r.end)
    let schema: string | null = null
    while (r.pos < end) {
      const type = r.readUInt8()
      const data = r.readLenencBytes()
      if (type === SESSION_TRACK_SCHEMA) schema = new PacketReader(data).readLenencString()
    }
    return schema
  } catch {
    return null
  }
}

export function parseErr(payload: Buffer): ErrPacket {
  const r = new PacketReader(payload, 1)
  const errno = r.readUInt16()
  // Progress reports (MariaDB, errno 0xFFFF) are never requested, so they are not expected here.
  let sqlState = 'HY000'
  if (r.remaining > 0 && payload[r.pos] === 0x23 /* '#' */) {
    r.skip(1)
    sqlState = r.readBytes(5).toString('latin1')
  }
  return { errno, sqlState, message: r.readRestString() }
}

/** EOF packet: warnings then status flags (protocol 4.1). */
export function parseEof(payload: Buffer): { warningCount: number; status: number } {
  if (payload.length < 5) return { warningCount: 0, status: 0 }
  return { warningCount: payload.readUInt16LE(1), status: payload.readUInt16LE(3) }
}
