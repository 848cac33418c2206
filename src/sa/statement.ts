// What SAConnection.execute accepts, reduced to what a cursor runs: a %s / %(name)s string with its
// arguments (once, or executeMany over a list of rows), an sql`` fragment, or a compiled query with
// `?` placeholders (a Kysely builder's compile(), or { sql, parameters }) inlined by formatQuestionMarks.

import {
  isCompiledStatement as isCompiled,
  type CompiledStatement,
  isSqlFragment,
  type SqlFragment,
} from '../index.ts'
import { ArgumentError } from './errors.ts'

export type { CompiledStatement } from '../index.ts'

/** Anything whose `compile()` gives a compiled query: a Kysely query or schema builder. */
export interface CompilableStatement {
  /** The statement as `?` text and its parameters. */
  compile(): CompiledStatement
}

/** What SAConnection.execute runs. */
export type Statement = string | SqlFragment | CompiledStatement | CompilableStatement

export type Plan =
  | { readonly kind: 'one'; readonly query: string | SqlFragment; readonly args: unknown }
  | { readonly kind: 'many'; readonly query: string; readonly rows: readonly unknown[] }
  | { readonly kind: 'compiled'; readonly compiled: CompiledStatement }

/**
 * Parameters for a string query, as aiomysql's _distill_params reads them: nothing or `[]` = no
 * arguments (the text is sent untouched); a non-empty array whose items are all arrays, or all
 * plain objects, = executeMany; any other array = the %s values; a plain object = the %(name)s
 * values; any other single value = the one %s value.
 */
export function planStatement(statement: Statement, params: unknown): Plan {
  if (typeof statement === 'string') {
    if (params === undefined || (Array.isArray(params) && params.length === 0)) {
      return { kind: 'one', query: statement, args: undefined }
    }
    if (Array.isArray(params) && (params.every(Array.isArray) || params.every(isPlainObject))) {
      return { kind: 'many', query: statement, rows: params }
    }
    return { kind: 'one', query: statement, args: params }
  }
  if (isSqlFragment(statement)) {
    noParams(params, 'an sql`` fragment carries its own values')
    return { kind: 'one', query: statement, args: undefined }
  }
  if (typeof statement === 'object' && statement !== null) {
    if ('compile' in statement && typeof statement.compile === 'function') {
      noParams(params, 'a query builder carries its own values')
      const compiled: unknown = statement.compile()
      if (!isCompiled(compiled)) {
        throw new ArgumentError('compile() did not return a compiled query { sql, parameters }')
      }
      return { kind: 'compiled', compiled }
    }
    if (isCompiled(statement)) {
      noParams(params, 'a compiled query carries its own parameters')
      return { kind: 'compiled', compiled: statement }
    }
  }
  throw new ArgumentError(
    'sql statement should be a string, an sql`` fragment, a query builder (compile()) or a compiled ' +
      'query { sql, parameters }',
  )
}

function isPlainObject(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

function noParams(params: unknown, why: string): void {
  if (params !== undefined) throw new ArgumentError(`${why}; pass no params`)
}
