// What a statement can be: text with %s / %(name)s placeholders, an `sql` fragment, or a compiled
// `{ sql, parameters }` with `?` placeholders (Kysely's compile(), as mysql2 users write them).

import { isSqlFragment, type SqlFragment } from './tag.ts'

/**
 * A statement with `?` placeholders and its parameters: the shape Kysely's `compile()` returns and
 * mysql2 users write. `?` inside quotes and comments is left alone (the text is lexed).
 */
export interface CompiledStatement {
  /** The statement text with `?` placeholders. */
  readonly sql: string
  /** One value per `?`, in order (the same values and checks as `%s` arguments). */
  readonly parameters: readonly unknown[]
}

/**
 * A statement: text with %s / %(name)s placeholders (values in the args), a fragment from the `sql`
 * tag, or a compiled `{ sql, parameters }` statement with `?` placeholders.
 */
export type Query = string | SqlFragment | CompiledStatement

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
