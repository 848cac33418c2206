// Column definitions seen last on this connection, kept with their decoders. The text protocol sends
// every column definition again with every result; a statement run again (a point select, a pool's
// hot query) sends byte-identical packets. A byte comparison (memcmp) against the last definition at
// the same position then replaces parsing six strings and choosing a decoder, and a result whose
// columns all match gets the very same column array, so row shapes built from it can be reused.

import { decodeColumn, type Column } from '../protocol/column.ts'
import type { PacketReader } from '../protocol/reader.ts'
import type { ResolvedTypeOptions } from '../types/options.ts'
import type { RowFormat } from './row-format.ts'

/** Results wider than this are decoded every time (their definitions are not kept). */
const MAX_CACHED_COLUMNS = 64

export class ColumnCache {
  private readonly raw: Buffer[] = []
  private readonly columns: Column[] = []
  /** Decoders per row format (text, binary), made when a format first reads the column. */
  private readonly decoders: [unknown[], unknown[]] = [[], []]
  /** The column array handed out for the last result, reused when every definition matches. */
  private list: readonly Column[] = []
  /** The decoders of `list` per row format, made when a format first reads it. */
  private listDecoders: [unknown[] | null, unknown[] | null] = [null, null]
  private readonly types: ResolvedTypeOptions

  constructor(types: ResolvedTypeOptions) {
    this.types = types
  }

  /**
   * The column at `index` of a result whose definition is buf[start, end), from cache when it is
   * byte-identical (compared in place: no view is made for a cached column).
   */
  column(
    index: number,
    buf: Buffer,
    start: number,
    end: number,
    reader: PacketReader,
    extendedTypes: boolean,
  ): Column {
    const known = this.raw[index]
    if (known !== undefined && sameBytes(known, buf, start, end)) return this.columns[index]!
    const payload = buf.subarray(start, end)
    const column = decodeColumn(reader.reset(payload), extendedTypes)
    if (index < MAX_CACHED_COLUMNS) {
      // A copy: the payload is a view into a socket chunk that must not be pinned.
      this.raw[index] = Buffer.from(payload)
      this.columns[index] = column
      this.decoders[0][index] = undefined
      this.decoders[1][index] = undefined
    }
    return column
  }

  /** The decoder in `format` for the column just returned by column(index, ...). */
  decoder<D>(index: number, column: Column, format: RowFormat<D>): D {
    if (this.columns[index] !== column) return format.decoderFor(column, this.types)
    const list = this.decoders[format.slot] as (D | undefined)[]
    return (list[index] ??= format.decoderFor(column, this.types))
  }

  /** The same array as last time when every column is the cached one (keeps row shapes stable). */
  stable(columns: Column[]): readonly Column[] {
    const last = this.list
    if (last.length === columns.length && columns.every((c, i) => c === last[i])) return last
    this.list = columns
    this.listDecoders = [null, null]
    return columns
  }

  /** The column array of the last result (see stable()). */
  get last(): readonly Column[] {
    return this.list
  }

  /** Whether `column`, at `index` of a result of `count` columns, is the last result's there. */
  continuesLast(index: number, column: Column, count: number): boolean {
    return this.list.length === count && this.list[index] === column
  }

  /** The last result's first `n` columns, in a new array to build a differing result on. */
  lastPrefix(n: number): Column[] {
    return this.list.slice(0, n)
  }

  /** The decoders in `format` for the last result's columns, one array per format and list. */
  lastDecoders<D>(format: RowFormat<D>): D[] {
    const list = this.list
    return (this.listDecoders[format.slot] ??= list.map((c, i) => this.decoder(i, c, format))) as D[]
  }
}

/**
 * Whether `a` equals buf[start, end); short definitions are compared in JS, cheaper than a call into
 * native code.
 */
function sameBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  const n = a.length
  if (n !== end - start) return false
  if (n > 128) return buf.compare(a, 0, n, start, end) === 0
  for (let i = 0; i < n; i++) if (a[i] !== buf[start + i]) return false
  return true
}
