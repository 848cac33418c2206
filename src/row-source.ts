// The one reading state every cursor shares: a cursor keeps the DB-API attributes and delegates the
// reading to a RowSource, which knows where rows come from (memory for Cursor/DictCursor, the socket
// for SSCursor/SSDictCursor) and how far the reader got. Cursor classes differ only in row shape and
// in which source they open.

import type { CancelOptions } from './cancel.ts'
import type { Column } from './protocol/column.ts'

/** What a cursor shows for the result it is on. */
export interface ResultInfo {
  /** Column definitions; null for a statement without rows. */
  readonly columns: readonly Column[] | null
  /** Rows in the result (-1 while a streamed one is unread), or rows affected. */
  readonly rowCount: number
  /** AUTO_INCREMENT id of an INSERT; null for a result with rows. */
  readonly lastRowId: number | bigint | null
  readonly warningCount: number
  /** The OK packet's message for a statement without rows (e.g. "Rows matched: 2 ..."). */
  readonly info: string
}

export interface RowSource {
  /** The current result's attributes (a streamed result's row count is known once it is read). */
  info(): ResultInfo
  /** Rows read from the current result so far (the cursor's rowNumber). */
  readonly position: number
  /** The next row, or null at the end of the current result. */
  next(options?: CancelOptions): Promise<unknown>
  /** The next row if one is at hand without waiting, else undefined (the iterator's fast path). */
  nextNow(): unknown
  /** Up to `limit` rows; a signal or timeout bounds the whole call. */
  many(limit: number, options?: CancelOptions): Promise<unknown[]>
  /** many() without waiting, for a source whose rows are all at hand (buffered); absent otherwise. */
  manyNow?(limit: number): unknown[]
  /** Move the position to `target` (buffered: both ways within the result; streamed: forward only). */
  moveTo(target: number): Promise<void>
  /** Move to the next result; false when there is none. A failed later statement rejects here. */
  nextSet(): Promise<boolean>
  /** Let go of the result (a stream reads and drops what the server still sends). */
  close(): Promise<void>
}
