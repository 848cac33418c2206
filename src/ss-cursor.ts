// Unbuffered cursors: SSCursor (arrays) and SSDictCursor (objects). Rows stream from the socket
// with backpressure (rows-streaming.ts); scroll is forward only; close() and a new command discard
// what is unread. Everything else is the Cursor's: only the source of rows differs.

import type { RowMode } from './commands/row-shape.ts'
import { Cursor } from './cursor.ts'

export class SSCursor<Row = unknown[]> extends Cursor<Row> {
  protected override get unbuffered(): boolean {
    return true
  }
}

export class SSDictCursor<Row = Record<string, unknown>> extends SSCursor<Row> {
  protected override get rowMode(): RowMode {
    return 'object'
  }
}
