// Client-side interpolation: aiomysql's `%s` / `%(name)s` paramstyle (formatQuery), the `?` style of
// compiled Kysely queries (formatQuestionMarks), and the charset guard both rely on. Every value
// becomes one complete literal (escape.ts), so a placeholder can only ever produce one SQL token.

import { NotSupportedError, ProgrammingError } from '../errors.ts'
import { checkLiteral, type EscapeContext, literalAt } from './escape.ts'
import { markerOffsets } from './lexer.ts'

/**
 * aiomysql's mogrify: `query % escaped(args)` with Python's rules.
 * - args undefined: the query is returned untouched (`%%` stays `%%`).
 * - an array: each `%s` takes the next item; too few or too many items is an error.
 * - a plain object (prototype Object.prototype or null): `%(name)s` takes the own property `name`;
 *   a missing key is an error, inherited properties are never read, unused keys are allowed (as in Python).
 * - anything else (string, number, null, Date, Buffer, Set...): the one and only `%s` argument.
 * With args, `%%` is `%`; any other `%x` directive (`%d`, `%f`, `%(n)d`...) is rejected, as is mixing
 * `%s` with named arguments. Like PyMySQL, placeholders are found everywhere in the text, inside
 * quotes and comments too: that stays safe because each replacement is a whole, self-delimiting literal
 * (a `%s` inside a template's quoted string just yields a nested quoted literal, never open syntax).
 */
export function formatQuery(query: string, args: unknown, ctx: EscapeContext): string {
  return fillPlaceholders(query, args, (value, where) => literalAt(value, ctx, where))
}

/**
 * Throws exactly the ProgrammingError formatQuery() would throw for these arguments, without building
 * the text (executeMany checks every row this way before it sends anything).
 */
export function checkQueryArgs(query: string, args: unknown, ctx: EscapeContext): void {
  fillPlaceholders(query, args, (value, where) => {
    checkLiteral(value, ctx, where)
    return ''
  })
}

/**
 * The placeholder scan shared by formatQuery, checkQueryArgs and the prepared-statement markers
 * (sql/markers.ts); `literal` renders (or checks) a value inserted at `offset` of the output.
 */
export function fillPlaceholders(
  query: string,
  args: unknown,
  literal: (value: unknown, where: number | string, offset: number) => string,
): string {
  if (typeof query !== 'string') throw new ProgrammingError('query must be a string')
  if (args === undefined) return query
  const list: readonly unknown[] | null = Array.isArray(args) ? args : null
  const named = list === null && isPlainObject(args) ? args : null
  let used = 0 // positional placeholders seen
  let out = ''
  let from = 0
  for (let i = query.indexOf('%'); i !== -1; i = query.indexOf('%', from)) {
    out += query.slice(from, i)
    const c = query.charCodeAt(i + 1)
    if (c === 0x25 /* % */) {
      out += '%'
      from = i + 2
    } else if (c === 0x73 /* s */) {
      if (named !== null) {
        throw new ProgrammingError(
          `%s at offset ${i}, but the arguments are an object of named values; use %(name)s placeholders`,
        )
      }
      if (list !== null) {
        if (used >= list.length) throw countError(list.length, i)
        out += literal(list[used], used, out.length)
      } else {
        if (used >= 1) throw countError(1, i)
        out += literal(args, 0, out.length)
      }
      used++
      from = i + 2
    } else if (c === 0x28 /* ( */) {
      const close = closingParen(query, i + 2)
      if (close === -1) throw new ProgrammingError(`unterminated %( placeholder at offset ${i}`)
      const name = query.slice(i + 2, close)
      if (query.charCodeAt(close + 1) !== 0x73) {
        throw new ProgrammingError(
          `unsupported placeholder %(${clip(name)})${query.charAt(close + 1)} at offset ${i}; only %(name)s is supported`,
        )
      }
      if (named === null) {
        throw new ProgrammingError(
          `%(${clip(name)})s at offset ${i} needs the arguments to be a plain object of named values`,
        )
      }
      if (!Object.hasOwn(named, name)) {
        throw new ProgrammingError(
          `no argument named '${clip(name)}' for %(${clip(name)})s (own properties only)`,
        )
      }
      out += literal(named[name], name, out.length)
      from = close + 2
    } else {
      throw new ProgrammingError(
        `unsupported placeholder '%${query.charAt(i + 1)}' at offset ${i}; use %s, %(name)s, or %% for a literal %`,
      )
    }
  }
  out += query.slice(from)
  if (named === null) {
    const given = list !== null ? list.length : 1
    if (used !== given) {
      throw new ProgrammingError(
        `${given} argument${given === 1 ? '' : 's'} given but the query has ${used} %s placeholder${used === 1 ? '' : 's'}`,
      )
    }
  }
  return out
}

/** A plain object (prototype Object.prototype or null): the arguments of `%(name)s` placeholders. */
export function isPlainObject(x: unknown): x is Readonly<Record<string, unknown>> {
  if (typeof x !== 'object' || x === null) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

// Python's `%(` key runs to the matching ')' (parentheses nest), so `%(f(x))s` names 'f(x)'.
function closingParen(s: string, start: number): number {
  let depth = 1
  for (let j = start; j < s.length; j++) {
    const c = s.charCodeAt(j)
    if (c === 0x28) depth++
    else if (c === 0x29 && --depth === 0) return j
  }
  return -1
}

function countError(given: number, offset: number): ProgrammingError {
  return new ProgrammingError(
    `not enough arguments: ${given} given, but there is another %s at offset ${offset}`,
  )
}

// Placeholder names come from the template, not from values, but may be long if a paren is missing.
const clip = (name: string): string => (name.length > 64 ? name.slice(0, 61) + '...' : name)

/**
 * Inline `?` placeholders of a compiled query (Kysely's `{ sql, parameters }`). Unlike formatQuery
 * this lexes the text the way the server does, so a `?` inside '...', "...", `...`, `-- ` / `#`
 * line comments or `/* *\/` comments is left alone. Backslash escapes inside quotes follow
 * ctx.noBackslashEscapes. `/*!` and `/*M!` comments are executable code to the server, so `?` inside
 * them are placeholders. The number of `?` must equal params.length.
 */
export function formatQuestionMarks(query: string, params: readonly unknown[], ctx: EscapeContext): string {
  if (typeof query !== 'string') throw new ProgrammingError('query must be a string')
  if (!Array.isArray(params)) throw new ProgrammingError('parameters must be an array')
  // Where a quoted string ends depends on the mode when the text holds a backslash.
  if (query.includes('\\')) ctx.modeDependent = true
  const markers = markerOffsets(query, !ctx.noBackslashEscapes, undefined, ctx.server)
  if (markers.length !== params.length) throw markerCountError(params.length, markers)
  let out = ''
  let from = 0
  for (let n = 0; n < markers.length; n++) {
    out += query.slice(from, markers[n]) + literalAt(params[n], ctx, n)
    from = markers[n]! + 1
  }
  return out + query.slice(from)
}

/** The error for `given` parameters against the `?` markers found. */
export function markerCountError(given: number, markers: readonly number[]): ProgrammingError {
  return given < markers.length
    ? new ProgrammingError(`${given} parameters given but there is another ? at offset ${markers[given]!}`)
    : new ProgrammingError(`${given} parameters given but the query has ${markers.length} ? placeholders`)
}

// Charsets in which 0x5C ('\') can be the second byte of a character: the server would read an
// escaping backslash as part of that character and the quote after it would end the literal.
const UNSAFE_CHARSETS: ReadonlySet<string> = new Set(['big5', 'gbk', 'sjis', 'cp932', 'gb18030'])

/** Throws NotSupportedError when client-side interpolation is unsafe under `charset` (or a collation of it). */
export function refuseUnsafeCharset(charset: string): void {
  const name = String(charset).toLowerCase()
  const base = name.includes('_') ? name.slice(0, name.indexOf('_')) : name
  if (UNSAFE_CHARSETS.has(base)) {
    throw new NotSupportedError(
      `charset ${base} is not supported: a backslash can be the trail byte of a multibyte character ` +
        'in it, so client-side escaping could be bypassed (SQL injection); use utf8mb4',
    )
  }
}
