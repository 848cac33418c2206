// Text-protocol rows: each cell is a length-encoded string, or 0xFB for NULL. Cells are decoded in
// place by the per-column decoders chosen when the column definitions arrived.

import { MalformedPacket } from './malformed.ts'

export type CellDecoder = (buf: Buffer, start: number, end: number) => unknown

/** Decode the row payload in payload[start, end) into `out` (length = number of columns). */
export function decodeTextRow(
  payload: Buffer,
  start: number,
  end: number,
  decoders: readonly CellDecoder[],
  out: unknown[],
): void {
  let pos = start
  const n = decoders.length
  for (let i = 0; i < n; i++) {
    if (pos >= end) throw new MalformedPacket('row has fewer cells than columns')
    let len = payload[pos]!
    if (len < 0xfb) {
      pos += 1
    } else if (len === 0xfb) {
      out[i] = null
      pos += 1
      continue
    } else if (len === 0xfc) {
      if (pos + 3 > end) throw new MalformedPacket('truncated cell length')
      len = payload[pos + 1]! | (payload[pos + 2]! << 8)
      pos += 3
    } else if (len === 0xfd) {
      if (pos + 4 > end) throw new MalformedPacket('truncated cell length')
      len = payload[pos + 1]! | (payload[pos + 2]! << 8) | (payload[pos + 3]! << 16)
      pos += 4
    } else if (len === 0xfe) {
      if (pos + 9 > end) throw new MalformedPacket('truncated cell length')
      len = payload.readUInt32LE(pos + 1) + payload.readUInt32LE(pos + 5) * 0x100000000
      pos += 9
    } else {
      throw new MalformedPacket('invalid cell length prefix 0xff')
    }
    if (pos + len > end) throw new MalformedPacket('cell runs past the end of the row')
    out[i] = decoders[i]!(payload, pos, pos + len)
    pos += len
  }
  if (pos !== end) throw new MalformedPacket('row has more bytes than its columns')
}
