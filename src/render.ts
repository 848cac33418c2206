// Rendering a statement at the call site (SPEC §10): Query + arguments -> SQL text -> COM_QUERY bytes.
// Errors in the values are thrown here, where the user called, before anything is queued. The
// rendering records whether it depends on NO_BACKSLASH_ESCAPES, so the connection can tell whether the
// statement may be written behind unanswered ones or must wait for them.

import { ProgrammingError } from './errors.ts'
import type { EscapeContext } from './sql/escape.ts'
import { formatQuery, formatQuestionMarks, refuseUnsafeCharset } from './sql/format.ts'
import { isSqlFragment, renderFragment, type SqlFragment } from './sql/tag.ts'

/**
 * A statement with `?` placeholders and its parameters: the shape Kysely's `compile()` returns and
 * mysql2 users write. `?` inside quotes and comments is left alone (the text is lexed).
 */
export interface CompiledStatement {
  readonly sql: string
  readonly parameters: readonly unknown[]
}

/**
 * A statement: text with %s / %(name)s placeholders (values in the args), a fragment from the `sql`
 * tag, or a compiled `{ sql, parameters }` statement with `?` placeholders.
 */
export type Query = string | SqlFragment | CompiledStatement

/** Produces a statement's text for the given escaping rules (called again when deferred). */
export type Renderer = (ctx: EscapeContext) => string

/** The SQL for a query and its arguments under `charset` and `ctx` (what mogrify returns). */
export function renderQuery(query: Query, args: unknown, charset: string, ctx: EscapeContext): string {
  if (typeof query === 'string') {
    if (args === undefined) return query
    refuseUnsafeCharset(charset)
    return formatQuery(query, args, ctx)
  }
  if (isSqlFragment(query)) {
    if (args !== undefined)
      throw new ProgrammingError('a sql`` fragment carries its own values; pass no args')
    refuseUnsafeCharset(charset)
    return renderFragment(query, ctx)
  }
  if (isCompiledStatement(query)) {
    if (args !== undefined)
      throw new ProgrammingError('a compiled statement carries its own parameters; pass no args')
    refuseUnsafeCharset(charset)
    return formatQuestionMarks(query.sql, query.parameters, ctx)
  }
  throw new ProgrammingError('query must be a string, a sql`` fragment or a compiled { sql, parameters }')
}

// The server answers `LOAD DATA LOCAL` and `LOAD XML LOCAL` with a file request; any statement that
// mentions LOCAL is treated as one (a false positive only costs pipelining for that statement).
const MAY_LOAD_LOCAL = /local/i

/** Whether the server might answer this statement with a LOCAL INFILE request. */
export function mayRequestLocalFile(sql: string): boolean {
  return MAY_LOAD_LOCAL.test(sql)
}

/** A `{ sql, parameters }` object (not a fragment): Kysely's compiled queries qualify. */
export function isCompiledStatement(x: unknown): x is CompiledStatement {
  return (
    typeof x === 'object' &&
    x !== null &&
    !isSqlFragment(x) &&
    typeof (x as { sql?: unknown }).sql === 'string' &&
    Array.isArray((x as { parameters?: unknown }).parameters)
  )
}
