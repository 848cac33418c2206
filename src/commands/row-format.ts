// How rows of a result are encoded on the wire: text (COM_QUERY) or binary (COM_STMT_EXECUTE). The
// result reader, the column cache, every sink and cursor are shared; only the per-column decoders and
// the row walker differ, and both are chosen once per result shape.

import type { BinaryCell } from '../protocol/binary-row.ts'
import { decodeBinaryRow } from '../protocol/binary-row.ts'
import type { Column } from '../protocol/column.ts'
import { decodeTextRow, type CellDecoder } from '../protocol/text-row.ts'
import { binaryDecoderFor } from '../types/binary-decode.ts'
import { castDecoder } from '../types/cast.ts'
import { textDecoderFor } from '../types/decode.ts'
import type { ResolvedTypeOptions } from '../types/options.ts'

export interface RowFormat<D> {
  /** Which of the column cache's decoder lists holds this format's decoders. */
  readonly slot: 0 | 1
  decoderFor(column: Column, types: ResolvedTypeOptions): D
  /** Decode the row payload buf[start, end) into `out` (one value per column). */
  decodeRow(buf: Buffer, start: number, end: number, decoders: readonly D[], out: unknown[]): void
}

export const TEXT_ROWS: RowFormat<CellDecoder> = {
  slot: 0,
  decoderFor: (column, types) => castDecoder(textDecoderFor(column, types), column, types),
  decodeRow: decodeTextRow,
}

export const BINARY_ROWS: RowFormat<BinaryCell> = {
  slot: 1,
  decoderFor: (column, types) => {
    const cell = binaryDecoderFor(column, types)
    const decode = castDecoder(cell.decode, column, types)
    return decode === cell.decode ? cell : { width: cell.width, decode }
  },
  decodeRow: decodeBinaryRow,
}
