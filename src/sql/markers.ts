// Statements for server-side preparation (SPEC §11): a Query and its arguments become SQL text with
// `?` markers and the flat list of values bound to them. `%s` and `%(name)s` become markers, never
// inside quotes or comments; arrays and Sets become `(?, ?, …)`; every value is checked here (SPEC §6),
// at the call site, before anything is sent. The text never contains a value.

import { ProgrammingError } from '../errors.ts'
import { isCompiledStatement, type CompiledStatement, type Query } from './query.ts'
import { checkLiteral, checkValue, isList, type EscapeContext } from './escape.ts'
import { fillPlaceholders, isPlainObject, markerCountError } from './format.ts'
import { markerOffsets, skipBlank, wordEnd, type ServerVersion } from './lexer.ts'

/** How the server will lex the text: its backslash mode and, when known, which server it is. */
export interface LexMode {
  readonly backslashEscapes: boolean
  readonly server?: ServerVersion | undefined
}
import { compileFragment, isSqlFragment, markersFor } from './tag.ts'

/** SQL with `?` markers and the values for them, in order. */
export interface MarkedStatement {
  readonly sql: string
  readonly params: unknown[]
}

/** `query` + `args` as a statement with markers; throws ProgrammingError for bad input. */
export function toMarkers(query: Query, args: unknown, ctx: EscapeContext): MarkedStatement {
  const marked = markersOf(query, args, ctx)
  // Dates get the checks of a Date literal (valid, years 0000-9999 in the connection's timezone).
  const params = marked.params
  for (let i = 0; i < params.length; i++) if (params[i] instanceof Date) checkLiteral(params[i], ctx, i)
  return marked
}

function markersOf(query: Query, args: unknown, ctx: EscapeContext): MarkedStatement {
  const lex: LexMode = { backslashEscapes: !ctx.noBackslashEscapes, server: ctx.server }
  if (typeof query === 'string') {
    if (args === undefined) {
      const found = markerOffsets(query, lex.backslashEscapes, undefined, lex.server)
      if (found.length > 0) throw markerCountError(0, found)
      return { sql: query, params: [] }
    }
    return fromPercent(query, args, lex)
  }
  if (isSqlFragment(query)) {
    if (args !== undefined)
      throw new ProgrammingError('a sql`` fragment carries its own values; pass no args')
    const at: number[] = []
    const { sql, parameters } = compileFragment(query, at)
    const found = markerOffsets(sql, lex.backslashEscapes, undefined, lex.server)
    if (found.length !== at.length || found.some((offset, i) => offset !== at[i]))
      throw strayMarker(found, at)
    return { sql, params: parameters }
  }
  if (isCompiledStatement(query)) {
    if (args !== undefined)
      throw new ProgrammingError('a compiled statement carries its own parameters; pass no args')
    return fromQuestionMarks(query, lex)
  }
  throw new ProgrammingError('query must be a string, a sql`` fragment or a compiled { sql, parameters }')
}

/**
 * What a query's text alone decides about its placeholders (the text with markers, where they are,
 * and the names of `%(name)s` ones), kept for the next run of the same text under the same lexing:
 * a statement run again skips the scan and the lexer and only takes its values from the arguments.
 * No value is ever kept.
 */
interface PercentShape {
  readonly template: string
  readonly at: readonly number[]
  /** The `%(name)s` names in order; null when every placeholder is `%s`. */
  readonly names: readonly string[] | null
  readonly backslashEscapes: boolean
  readonly server: ServerVersion | undefined
}

/** Distinct query texts kept; past this the map starts again (applications run few distinct ones). */
const MAX_SHAPES = 256
const shapes = new Map<string, PercentShape>()

/** The values for a known shape, or null when the arguments do not fit it (the full path then says why). */
function valuesFor(shape: PercentShape, args: unknown): readonly unknown[] | null {
  const names = shape.names
  if (names === null) {
    if (Array.isArray(args)) return args.length === shape.at.length ? args : null
    return shape.at.length === 1 && !isPlainObject(args) ? [args] : null
  }
  if (!isPlainObject(args)) return null
  const values = new Array<unknown>(names.length)
  for (let i = 0; i < names.length; i++) {
    if (!Object.hasOwn(args, names[i]!)) return null
    values[i] = args[names[i]!]
  }
  return values
}

function sameLex(shape: PercentShape, lex: LexMode): boolean {
  const a = shape.server
  const b = lex.server
  return (
    shape.backslashEscapes === lex.backslashEscapes &&
    (a === b || (a !== undefined && b !== undefined && a.mariaDb === b.mariaDb && a.version === b.version))
  )
}

/** aiomysql's `%s` / `%(name)s` style: each placeholder becomes a marker, lists expand. */
function fromPercent(query: string, args: unknown, lex: LexMode): MarkedStatement {
  const known = shapes.get(query)
  if (known !== undefined && sameLex(known, lex)) {
    const values = valuesFor(known, args)
    if (values !== null) return expand(known.template, known.at, values)
  }
  const values: unknown[] = []
  const at: number[] = []
  let names: string[] | null = null
  const template = fillPlaceholders(query, args, (value, where, offset) => {
    values.push(value)
    at.push(offset)
    if (typeof where === 'string') (names ??= []).push(where)
    return '?'
  })
  // Every placeholder must be a marker to the server, and nothing else may be one.
  const found = markerOffsets(template, lex.backslashEscapes, undefined, lex.server)
  for (let i = 0; i < Math.max(found.length, at.length); i++) {
    if (found[i] === at[i]) continue
    if (at[i] !== undefined && !found.includes(at[i]!)) {
      throw new ProgrammingError(
        `placeholder ${i + 1} is inside a quoted string or a comment, where a prepared statement ` +
          'cannot take a parameter; move it out of the quotes or run the statement unprepared',
      )
    }
    throw new ProgrammingError(
      `the query has a ? at offset ${found[i] ?? found[found.length - 1]!} outside quotes, which a ` +
        'prepared statement would read as a parameter marker; write it inside a string literal',
    )
  }
  if (shapes.size >= MAX_SHAPES) shapes.clear()
  shapes.set(query, { template, at, names, backslashEscapes: lex.backslashEscapes, server: lex.server })
  return expand(template, at, values)
}

/** `{ sql, parameters }` with `?` markers (Kysely's compile()): lists expand in place. */
function fromQuestionMarks(query: CompiledStatement, lex: LexMode): MarkedStatement {
  if (!Array.isArray(query.parameters)) throw new ProgrammingError('parameters must be an array')
  const found = markerOffsets(query.sql, lex.backslashEscapes, undefined, lex.server)
  if (found.length !== query.parameters.length) throw markerCountError(query.parameters.length, found)
  return expand(query.sql, found, query.parameters)
}

/** Replace the markers at `at` by the markers of each value (`(?, ?)` for a list), checking values. */
function expand(sql: string, at: readonly number[], values: readonly unknown[]): MarkedStatement {
  // No list among the values (the usual case): the text stays, the values are the parameters, in an
  // array of their own (values may be the caller's arguments) made at its size, not grown from [].
  if (!values.some(isList)) {
    for (let i = 0; i < at.length; i++) checkValue(values[i], i)
    return { sql, params: values.slice(0, at.length) }
  }
  const params: unknown[] = []
  let out = ''
  let from = 0
  for (let i = 0; i < at.length; i++) {
    const marker = markersFor(values[i], params)
    if (marker === '?') continue // the marker is already in the text
    out += sql.slice(from, at[i]) + marker
    from = at[i]! + 1
  }
  return { sql: from === 0 ? sql : out + sql.slice(from), params }
}

/** Why a fragment's markers are not where its values are (sql.raw text with a `?` or a quote). */
function strayMarker(found: readonly number[], at: readonly number[]): ProgrammingError {
  const stray = found.find((offset) => !at.includes(offset))
  return stray !== undefined
    ? new ProgrammingError(
        `the statement has a ? outside quotes at offset ${stray} that is not a bound value ` +
          '(sql.raw text?); a prepared statement would read it as a parameter marker',
      )
    : new ProgrammingError(
        'a bound value of the fragment ended up inside quotes or a comment (sql.raw text?)',
      )
}

/**
 * The text of a statement given to conn.prepare(): `%s` and `%(name)s` placeholders become markers
 * (their names kept, in order, for object arguments); text without them keeps its own `?` markers,
 * as mysql2 users write them. `%%` is a literal `%` only when the text has placeholders, as in
 * execute() with arguments.
 */
export function preparedText(
  query: string,
  lex: LexMode,
): { sql: string; names: string[] | null; paramCount: number } {
  // Placeholders count only in code: '%s' in a string literal (a DATE_FORMAT pattern, a LIKE) is text.
  const percents = markerOffsets(query, lex.backslashEscapes, 0x25 /* % */, lex.server)
  const placeholder = (c: number): boolean => c === 0x73 /* s */ || c === 0x28 /* ( */
  if (!percents.some((i) => placeholder(query.charCodeAt(i + 1)))) {
    return {
      sql: query,
      names: null,
      paramCount: markerOffsets(query, lex.backslashEscapes, undefined, lex.server).length,
    }
  }
  const names: string[] = []
  // An argument object that records the names the template asks for (values are all null).
  const recorder = new Proxy(Object.create(null) as Record<string, unknown>, {
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string') return undefined
      names.push(key)
      return { value: null, writable: true, enumerable: true, configurable: true }
    },
  })
  const named = percents.some((i) => query.charCodeAt(i + 1) === 0x28)
  const probe = named ? recorder : new Array<unknown>(countPositional(query)).fill(null)
  const { sql, params } = fromPercent(query, probe, lex)
  return { sql, names: named ? names : null, paramCount: params.length }
}

/** Whether COM_STMT_BULK_EXECUTE can run the statement: INSERT, REPLACE, UPDATE or DELETE. */
export function isBulkStatement(sql: string): boolean {
  const start = skipBlank(sql, 0)
  if (start < 0) return false
  return /^(insert|replace|update|delete)$/i.test(sql.slice(start, wordEnd(sql, start)))
}

/** `%s` placeholders in a template (`%%` is an escaped percent sign). */
function countPositional(query: string): number {
  let n = 0
  for (let i = query.indexOf('%'); i !== -1; i = query.indexOf('%', i + 2)) {
    if (query.charCodeAt(i + 1) === 0x73) n++
  }
  return n
}
