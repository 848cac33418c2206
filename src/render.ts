// Rendering a statement at the call site (SPEC §10): Query + arguments -> SQL text -> COM_QUERY bytes.
// Errors in the values are thrown here, where the user called, before anything is queued. The
// rendering records whether it depends on NO_BACKSLASH_ESCAPES, so the connection can tell whether the
// statement may be written behind unanswered ones or must wait for them.

import { ProgrammingError } from './errors.ts'
import type { EscapeContext } from './sql/escape.ts'
import { formatQuery, refuseUnsafeCharset } from './sql/format.ts'
import { isSqlFragment, renderFragment, type SqlFragment } from './sql/tag.ts'

/** A statement: text with %s / %(name)s placeholders, or a fragment from the `sql` tag. */
export type Query = string | SqlFragment

/** Produces a statement's text for the given escaping rules (called again when deferred). */
export type Renderer = (ctx: EscapeContext) => string

/** The SQL for a query and its arguments under `charset` and `ctx` (what mogrify returns). */
export function renderQuery(query: Query, args: unknown, charset: string, ctx: EscapeContext): string {
  if (isSqlFragment(query)) {
    if (args !== undefined)
      throw new ProgrammingError('a sql`` fragment carries its own values; pass no args')
    refuseUnsafeCharset(charset)
    return renderFragment(query, ctx)
  }
  if (typeof query !== 'string') throw new ProgrammingError('query must be a string or a sql`` fragment')
  if (args === undefined) return query
  refuseUnsafeCharset(charset)
  return formatQuery(query, args, ctx)
}

// The server answers `LOAD DATA LOCAL` and `LOAD XML LOCAL` with a file request; any statement that
// mentions LOCAL is treated as one (a false positive only costs pipelining for that statement).
const MAY_LOAD_LOCAL = /local/i

/** Whether the server might answer this statement with a LOCAL INFILE request. */
export function mayRequestLocalFile(sql: string): boolean {
  return MAY_LOAD_LOCAL.test(sql)
}
