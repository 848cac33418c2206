// Unbuffered cursors: SSCursor (arrays) and SSDictCursor (objects). Rows stream from the socket
// with backpressure (rows-streaming.ts); scroll is forward only; close() and a new command discard
// what is unread. Everything else is the Cursor's: only the source of rows differs.

import type { RowMode } from './commands/row-shape.ts'
import { Cursor } from './cursor.ts'

/**
 * An unbuffered cursor with rows as arrays: rows stream from the socket as they are fetched (with
 * backpressure), so a large result is never held in memory. `rowCount` is -1 until the result is
 * read, `scroll()` goes forward only, and starting any other command on the connection discards the
 * rest of the result.
 */
export class SSCursor<Row = unknown[]> extends Cursor<Row> {
  protected override get unbuffered(): boolean {
    return true
  }
}

/**
 * An unbuffered cursor (see SSCursor) with rows as plain objects keyed by column name
 * (`table.column` when a name repeats).
 */
export class SSDictCursor<Row = Record<string, unknown>> extends SSCursor<Row> {
  protected override get rowMode(): RowMode {
    return 'object'
  }
}
