// Rendering a statement at the call site (SPEC §10): Query + arguments -> SQL text -> COM_QUERY bytes.
// Errors in the values are thrown here, where the user called, before anything is queued. The
// rendering records whether it depends on NO_BACKSLASH_ESCAPES, so the connection can tell whether the
// statement may be written behind unanswered ones or must wait for them.

import type { CancelOptions } from './cancel.ts'
import { ProgrammingError } from './errors.ts'
import type { EscapeContext } from './sql/escape.ts'
import { formatQuery, formatQuestionMarks, refuseUnsafeCharset } from './sql/format.ts'
import { isCompiledStatement, type Query } from './sql/query.ts'
import { isSqlFragment, renderFragment } from './sql/tag.ts'

export { isCompiledStatement, type CompiledStatement, type Query } from './sql/query.ts'

/** Per-call options, the third argument everywhere (SPEC §11): cancellation and preparation. */
export interface StatementOptions extends CancelOptions {
  /**
   * Run as a server-side prepared statement (binary protocol). Default: the connection's `prepare`
   * option, for statements that have arguments.
   */
  readonly prepare?: boolean | undefined
}

/** Whether a call runs prepared: its own option, else the connection's for statements with arguments. */
export function runsPrepared(
  query: Query,
  args: unknown,
  options: StatementOptions | undefined,
  connectionDefault: boolean,
): boolean {
  const own = options?.prepare
  if (own !== undefined && typeof own !== 'boolean')
    throw new ProgrammingError('option prepare must be a boolean')
  return wantsPrepared(query, args, options, connectionDefault)
}

/** runsPrepared() without the option check (a bad option is reported when the call runs). */
export function wantsPrepared(
  query: Query,
  args: unknown,
  options: StatementOptions | undefined,
  connectionDefault: boolean,
): boolean {
  const own = options?.prepare
  if (typeof own === 'boolean') return own
  return connectionDefault && (args !== undefined || typeof query !== 'string')
}

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
