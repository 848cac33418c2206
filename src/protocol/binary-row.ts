// Binary-protocol rows (COM_STMT_EXECUTE results): a 0x00 header, a NULL bitmap, then the non-NULL
// values back to back. How each value is delimited depends only on its column's type (a fixed byte
// count, one length byte for the temporal types, or a length-encoded string), so the per-column
// cells chosen when the column definitions arrived say both how to find a value and how to decode it.

import { MalformedPacket } from './malformed.ts'
import type { CellDecoder } from './text-row.ts'

/** How a binary cell's bytes are delimited; a positive width is a fixed byte count (1, 2, 4 or 8). */
export const CellWidth = {
  /** A length-encoded string, as in text rows (but 0xFB is not a NULL marker here: NULL is in the bitmap). */
  LENENC: -1,
  /** One length byte, then that many bytes (DATE, DATETIME, TIMESTAMP, TIME). */
  LENGTH_BYTE: -2,
} as const

/** One column's share of a binary row: where its value ends, and what it becomes. */
export interface BinaryCell {
  /** A fixed byte count, or CellWidth.LENENC / CellWidth.LENGTH_BYTE. */
  readonly width: number
  /** Gets the value bytes only (no length prefix); never called for NULL. */
  readonly decode: CellDecoder
}

/**
 * Decode a binary row payload buf[start, end) into `out` (length = number of cells): a 0x00 header,
 * a NULL bitmap of (n + 9) >> 3 bytes whose first two bits are reserved (column i is bit i + 2), then
 * the non-NULL values. Anything that does not fit the columns exactly is a MalformedPacket.
 */
export function decodeBinaryRow(
  buf: Buffer,
  start: number,
  end: number,
  cells: readonly BinaryCell[],
  out: unknown[],
): void {
  if (start >= end || buf[start] !== 0x00) {
    const what = start >= end ? 'an empty payload' : `header 0x${buf[start]!.toString(16)}`
    throw new MalformedPacket(`binary row with ${what} instead of 0x00`)
  }
  const n = cells.length
  const bitmap = start + 1
  let pos = bitmap + ((n + 9) >> 3)
  if (pos > end) throw new MalformedPacket('binary row shorter than its NULL bitmap')
  for (let i = 0; i < n; i++) {
    const bit = i + 2
    if ((buf[bitmap + (bit >> 3)]! & (1 << (bit & 7))) !== 0) {
      out[i] = null
      continue
    }
    const cell = cells[i]!
    let len = cell.width
    if (len < 0) {
      if (pos >= end) throw new MalformedPacket('binary row has fewer values than columns')
      len = buf[pos]!
      if (cell.width === CellWidth.LENGTH_BYTE || len < 0xfb) {
        pos += 1
      } else if (len === 0xfc) {
        if (pos + 3 > end) throw new MalformedPacket('truncated value length')
        len = buf[pos + 1]! | (buf[pos + 2]! << 8)
        pos += 3
      } else if (len === 0xfd) {
        if (pos + 4 > end) throw new MalformedPacket('truncated value length')
        len = buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16)
        pos += 4
      } else if (len === 0xfe) {
        if (pos + 9 > end) throw new MalformedPacket('truncated value length')
        len = buf.readUInt32LE(pos + 1) + buf.readUInt32LE(pos + 5) * 0x100000000
        pos += 9
      } else {
        // 0xFB would be the text protocol's NULL and 0xFF is no prefix at all.
        throw new MalformedPacket(`invalid length prefix 0x${len.toString(16)} in a binary row`)
      }
    }
    if (pos + len > end) throw new MalformedPacket('value runs past the end of the binary row')
    out[i] = cell.decode(buf, pos, pos + len)
    pos += len
  }
  if (pos !== end) throw new MalformedPacket('binary row has more bytes than its columns')
}
