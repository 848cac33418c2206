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
  return buf[start] === EOF_HEADER && end - start < MAX_PACKET_PAYLOAD
}

export function parseOk(payload: Buffer, capabilities: number): OkPacket {
  const r = new PacketReader(payload, 1)
  const affectedRows = r.readLenencIntExact()
  const insertId = r.readLenencIntExact()
  let status = 0
  let warningCount = 0
  if (capabilities & Capability.CLIENT_PROTOCOL_41) {
    status = r.readUInt16()
    warningCount = r.readUInt16()
  }
  let info = ''
  if (r.remaining > 0) {
    // With CLIENT_SESSION_TRACK the info is length-encoded; without it, it is the rest.
    if (capabilities & Capability.CLIENT_SESSION_TRACK) {
      const len = r.readLenencInt()
      if (len > 0 && len <= r.remaining) info = payload.toString('utf8', r.pos, r.pos + len)
    } else {
      // MariaDB length-prefixes the info even without CLIENT_SESSION_TRACK; MySQL sends it bare.
      const rest = r.readRest()
      const prefixed = rest.length > 1 && rest[0]! < 0xfb && rest[0] === rest.length - 1
      info = rest.toString('utf8', prefixed ? 1 : 0)
    }
  }
  return { affectedRows, insertId, status, warningCount, info }
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
