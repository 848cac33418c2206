// Turning JS values into SQL literals, and names into quoted identifiers, for client-side
// interpolation. Only primitives, Dates, byte arrays and (for IN lists) arrays/Sets are accepted;
// everything else is a ProgrammingError, so no object's *shape* can ever become SQL syntax.
// Error messages name the type and position of a bad value, never the value itself.

import type { ServerVersion } from './lexer.ts'
import { ProgrammingError } from '../errors.ts'
import { formatDateTime } from '../types/temporal.ts'

/** The session facts escaping depends on; the connection supplies fresh ones for every statement. */
export interface EscapeContext {
  /** SERVER_STATUS_NO_BACKSLASH_ESCAPES as last reported by the server. */
  readonly noBackslashEscapes: boolean
  /** Minutes east of UTC for Date literals (from parseTimezone); null = the process's local time. */
  readonly tzOffset: number | null
  /** The server, so versioned `/*!NNNNN` comments it skips hold no markers; unknown = all run. */
  readonly server?: ServerVersion | undefined
  /**
   * Set to true by rendering when a string was escaped in a way that depends on noBackslashEscapes
   * (it held a quote, backslash, NUL, CR, LF or Ctrl-Z). A pipelined statement rendered with such a
   * value must wait for every earlier reply, which may change the mode (SPEC §10).
   */
  modeDependent?: boolean
}

// Characters mysql_real_escape_string() escapes. A quick test skips the copy for most strings.
// eslint-disable-next-line no-control-regex -- NUL and Ctrl-Z are among the characters to find
const NEEDS_ESCAPE = /[\0\n\r\x1a"'\\]/

/**
 * The escaped body of a string literal, without the surrounding quotes.
 * Backslash mode escapes what MySQL's own client escapes (\0 \n \r \Z \" \' \\). Under
 * NO_BACKSLASH_ESCAPES a backslash is an ordinary character, so it is left alone and the only
 * special character, the quote, is doubled.
 */
export function escapeString(s: string, noBackslashEscapes: boolean): string {
  return NEEDS_ESCAPE.test(s) ? escapeSpecial(s, noBackslashEscapes) : s
}

/** escapeString for a string known to hold at least one special character. */
function escapeSpecial(s: string, noBackslashEscapes: boolean): string {
  if (noBackslashEscapes) return s.includes("'") ? s.replaceAll("'", "''") : s
  return s.length < 256 ? escapeShort(s) : escapeLong(s)
}

// Short strings: slices and concatenation, cheapest when there are few characters to escape.
function escapeShort(s: string): string {
  let out = ''
  let from = 0
  for (let i = 0; i < s.length; i++) {
    const rep = escapeOf(s.charCodeAt(i))
    if (rep === 0) continue
    out += s.slice(from, i) + '\\' + String.fromCharCode(rep)
    from = i + 1
  }
  return out + s.slice(from)
}

// Long strings (JSON documents, big texts): one pass into a UTF-16 buffer, about 5x faster than
// concatenation when escapes are dense, with memory bounded by the exact output size.
function escapeLong(s: string): string {
  const n = s.length
  let extra = 0
  for (let i = 0; i < n; i++) if (escapeOf(s.charCodeAt(i)) !== 0) extra++
  const out = new Uint16Array(n + extra)
  let j = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    const rep = escapeOf(c)
    if (rep === 0) out[j++] = c
    else {
      out[j++] = 0x5c
      out[j++] = rep
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('utf16le')
}

// The character written after the backslash for c, or 0 when c is not escaped.
function escapeOf(c: number): number {
  if (c > 0x5c) return 0
  switch (c) {
    case 0x00:
      return 0x30 // \0
    case 0x0a:
      return 0x6e // \n
    case 0x0d:
      return 0x72 // \r
    case 0x1a:
      return 0x5a // \Z
    case 0x22:
    case 0x27:
    case 0x5c:
      return c
    default:
      return 0
  }
}

/** The SQL literal for one value (SPEC §6). Throws ProgrammingError for anything not listed there. */
export function literal(value: unknown, ctx: EscapeContext): string {
  return literalAt(value, ctx, null)
}

/**
 * literal() with a position for error messages: a number is a 0-based `%s` argument index, a string
 * a placeholder name, null means "the value". Used by the formatters so a bad argument is located.
 */
export function literalAt(value: unknown, ctx: EscapeContext, where: number | string | null): string {
  switch (typeof value) {
    case 'string':
      // Strings without special characters read the same in both modes (the common case, cheaply).
      if (!NEEDS_ESCAPE.test(value)) return "'" + value + "'"
      ctx.modeDependent = true
      return "'" + escapeSpecial(value, ctx.noBackslashEscapes) + "'"
    case 'number':
      return numberLiteral(value, where)
    case 'bigint':
      return String(value)
    case 'boolean':
      return value ? '1' : '0'
    case 'undefined':
      return 'NULL'
    case 'object':
      if (value === null) return 'NULL'
      if (value instanceof Uint8Array) return bytesLiteral(value)
      if (value instanceof Date) return "'" + dateBody(value, ctx, where) + "'"
      if (isList(value)) return listLiteral(value, ctx, where, 0)
      break
    case 'function':
    case 'symbol':
      break
  }
  throw rejected(value, where)
}

/**
 * Throws the ProgrammingError literalAt() would throw for a scalar, without building the literal
 * (for parameters that are sent separately). Arrays and Sets pass: the caller expands them.
 */
export function checkValue(value: unknown, where: number | string | null): void {
  switch (typeof value) {
    case 'string':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return
    case 'number':
      if (!Number.isFinite(value)) numberLiteral(value, where)
      return
    case 'object':
      if (value === null || value instanceof Uint8Array || Array.isArray(value) || value instanceof Set)
        return
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime()))
          throw new ProgrammingError(`${describeWhere(where)} is an invalid Date`)
        return
      }
      break
    case 'function':
    case 'symbol':
      break
  }
  throw rejected(value, where)
}

/**
 * Throws exactly what literalAt() would throw for `value`, building no literal for strings, numbers
 * and bytes (the costly part of rendering); lists are checked item by item, Dates fully.
 */
export function checkLiteral(
  value: unknown,
  ctx: EscapeContext,
  where: number | string | null,
  depth = 0,
): void {
  if (value instanceof Date) {
    dateBody(value, ctx, where)
    return
  }
  if (!isList(value)) return checkValue(value, where)
  requireItems(value, where)
  for (const item of value) {
    if (isList(item) && depth > 0) throw tooDeep(where)
    checkLiteral(item, ctx, where, depth + 1)
  }
}

/** An array or Set: an IN list (or, one level down, a row constructor). */
/** An array or a Set: a value that becomes a parenthesised list (`(1, 2)` / `(?, ?)`). */
export function isList(x: unknown): x is readonly unknown[] | ReadonlySet<unknown> {
  return typeof x === 'object' && x !== null && (Array.isArray(x) || x instanceof Set)
}

/** '()' is not valid SQL: a list must have items. */
function requireItems(list: readonly unknown[] | ReadonlySet<unknown>, where: number | string | null): void {
  const size = Array.isArray(list) ? list.length : (list as ReadonlySet<unknown>).size
  if (size === 0)
    throw new ProgrammingError(`${describeWhere(where)} is an empty list; '()' is not valid SQL`)
}

function tooDeep(where: number | string | null): ProgrammingError {
  return new ProgrammingError(`${describeWhere(where)} nests lists more than one level deep`)
}

// Safe integers as their digits. Larger integers that fit a 64-bit column as the *exact* digits of
// the double (String(2 ** 60) would round them to '...847000'). Everything else as a DOUBLE literal:
// String(n) is the shortest round-trip form, with 'e0' appended when it has no exponent
// ('1.5' -> '1.5e0'), so the server reads a DOUBLE rather than a DECIMAL, as PyMySQL does for floats.
// String(-0) is '0'.
function numberLiteral(n: number, where: number | string | null): string {
  if (Number.isSafeInteger(n)) return String(n)
  if (!Number.isFinite(n)) {
    throw new ProgrammingError(`${describeWhere(where)} is NaN or Infinity, which MySQL cannot store`)
  }
  if (Number.isInteger(n) && n < 18446744073709551616 && n >= -9223372036854775808)
    return BigInt(n).toString()
  const s = String(n)
  return s.includes('e') ? s : s + 'e0'
}

// X'..' is read as raw bytes whatever the connection charset or sql_mode: hex digits can never
// be a quote, a backslash or part of a multibyte character.
function bytesLiteral(b: Uint8Array): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  return "X'" + buf.toString('hex') + "'"
}

const FOUR_DIGIT_YEAR = /^\d{4}-/

function dateBody(d: Date, ctx: EscapeContext, where: number | string | null): string {
  if (Number.isNaN(d.getTime())) throw new ProgrammingError(`${describeWhere(where)} is an invalid Date`)
  const s = formatDateTime(d, ctx.tzOffset)
  // Years before 0 or after 9999 have no 'YYYY-...' spelling MySQL would accept.
  if (s.length !== 23 || !FOUR_DIGIT_YEAR.test(s)) {
    throw new ProgrammingError(`${describeWhere(where)} is a Date outside years 0000-9999`)
  }
  return s
}

// (a,b,c) for IN, spelled as aiomysql does; one level of nesting gives row constructors: IN ((1,2),(3,4)).
function listLiteral(
  list: readonly unknown[] | ReadonlySet<unknown>,
  ctx: EscapeContext,
  where: number | string | null,
  depth: number,
): string {
  requireItems(list, where)
  let out = '('
  let first = true
  for (const item of list) {
    if (!first) out += ',' // aiomysql's spelling: (1,2,3)
    first = false
    if (isList(item)) {
      if (depth > 0) throw tooDeep(where)
      out += listLiteral(item, ctx, where, depth + 1)
    } else {
      out += literalAt(item, ctx, where)
    }
  }
  return out + ')'
}

function describeWhere(where: number | string | null): string {
  if (where === null) return 'the value'
  return typeof where === 'number' ? `argument ${where + 1}` : `argument %(${where})s`
}

function rejected(value: unknown, where: number | string | null): ProgrammingError {
  let kind: string
  if (typeof value === 'function') kind = 'a function'
  else if (typeof value === 'symbol') kind = 'a symbol'
  else {
    const proto: unknown = Object.getPrototypeOf(value)
    kind =
      proto === Object.prototype || proto === null
        ? 'a plain object'
        : `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
  }
  return new ProgrammingError(
    `${describeWhere(where)} is ${kind}, which cannot be used as an SQL value; objects are never ` +
      'expanded into SQL (pass JSON.stringify(x) for a JSON column)',
  )
}

/**
 * A quoted identifier: backticks doubled, the whole name one identifier ('db.t' is a table whose
 * name contains a dot; use quoteQualifiedId or sql.id('db', 't') for a qualified name).
 */
export function escapeId(name: string): string {
  if (typeof name !== 'string') throw new ProgrammingError('an identifier must be a string')
  if (name.length === 0) throw new ProgrammingError('an identifier cannot be empty')
  if (name.includes('\0')) throw new ProgrammingError('an identifier cannot contain a NUL character')
  return '`' + (name.includes('`') ? name.replaceAll('`', '``') : name) + '`'
}

/** 'db.proc' -> `db`.`proc` (for callProc names). Each dot-separated part is quoted on its own. */
export function quoteQualifiedId(name: string): string {
  if (typeof name !== 'string') throw new ProgrammingError('an identifier must be a string')
  return name.split('.').map(escapeId).join('.')
}
