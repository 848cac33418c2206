// The `sql` tagged template: `${x}` is always a bound value, never text. Text enters a query only from
// the template itself, sql.raw() or sql.id(). Fragments compose and are immutable; the brand is a
// private class field, so nothing built from server data or JSON can pass for one.

import { ProgrammingError } from '../errors.ts'
import { type EscapeContext, checkValue, escapeId, isList, literalAt } from './escape.ts'

/** A value slot inside a fragment (internal). */
class Bound {
  readonly value: unknown
  constructor(value: unknown) {
    this.value = value
    Object.freeze(this)
  }
}

type Part = string | Bound

// Only this module may construct fragments: `new SqlFragment(...)` from outside throws.
const CONSTRUCT = Symbol('SqlFragment.construct')
// Reads a fragment's parts; assigned in the class's static block so no public accessor exists.
let partsOf: (f: SqlFragment) => readonly Part[]

/**
 * A piece of SQL with its bound values. Build it with `sql`, `sql.id`, `sql.raw` or `sql.join`;
 * `new SqlFragment()` throws.
 * @hideconstructor
 */
export class SqlFragment {
  readonly #parts: readonly Part[]

  constructor(key: symbol, parts: readonly Part[]) {
    if (key !== CONSTRUCT)
      throw new ProgrammingError('SqlFragment cannot be constructed directly; use the sql tag')
    this.#parts = Object.freeze(parts)
    Object.freeze(this)
  }

  static {
    partsOf = (f) => f.#parts
  }

  /** Whether `x` is a fragment built by `sql` (an object that only looks like one never is). */
  static isFragment(x: unknown): x is SqlFragment {
    return typeof x === 'object' && x !== null && #parts in x
  }

  // util.inspect shows the text with '?' for values, never the values themselves (and never throws).
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    let text = ''
    for (const p of this.#parts) text += typeof p === 'string' ? p : '?'
    return `SqlFragment(${JSON.stringify(text)})`
  }
}

/** Whether `x` is a fragment built by `sql` (an object that only looks like one never is). */
export function isSqlFragment(x: unknown): x is SqlFragment {
  return SqlFragment.isFragment(x)
}

/** Appends text, merging it with a preceding text part so rendering walks few parts. */
function pushText(parts: Part[], text: string): void {
  if (text.length === 0) return
  const last = parts.length - 1
  if (last >= 0 && typeof parts[last] === 'string') parts[last] += text
  else parts.push(text)
}

/** A fragment's parts spliced in; anything else bound as a value. */
function pushItem(parts: Part[], item: unknown): void {
  if (isSqlFragment(item)) {
    for (const p of partsOf(item)) {
      if (typeof p === 'string') pushText(parts, p)
      else parts.push(p)
    }
  } else {
    parts.push(new Bound(item))
  }
}

function tag(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
    throw new ProgrammingError('sql must be used as a tagged template: sql`...`')
  }
  const parts: Part[] = []
  for (let i = 0; i < strings.length; i++) {
    const text = strings[i]
    // An invalid escape sequence in a tagged template leaves the cooked string undefined.
    if (typeof text !== 'string') throw new ProgrammingError('invalid escape sequence in sql template')
    pushText(parts, text)
    if (i < values.length) pushItem(parts, values[i])
  }
  return new SqlFragment(CONSTRUCT, parts)
}

/** An identifier, or a qualified one: sql.id('db', 't') -> `db`.`t`. Backticks in names are doubled. */
function id(name: string, ...more: string[]): SqlFragment {
  let text = escapeId(name)
  for (const m of more) text += '.' + escapeId(m)
  return new SqlFragment(CONSTRUCT, [text])
}

/** Trusted SQL text, spliced as is. The only way to put text that is not in the template into SQL. */
function raw(text: string): SqlFragment {
  if (typeof text !== 'string') throw new ProgrammingError('sql.raw() takes a string')
  return new SqlFragment(CONSTRUCT, text.length > 0 ? [text] : [])
}

const COMMA = new SqlFragment(CONSTRUCT, [', '])

/** Items (values or fragments) separated by `separator` (default ', '). */
function join(items: Iterable<unknown>, separator: SqlFragment = COMMA): SqlFragment {
  if (!isSqlFragment(separator)) throw new ProgrammingError('sql.join() separator must be an sql fragment')
  if (items === null || typeof items !== 'object' || !(Symbol.iterator in items)) {
    throw new ProgrammingError('sql.join() takes an array (or other iterable) of items')
  }
  const parts: Part[] = []
  let first = true
  for (const item of items) {
    if (!first) pushItem(parts, separator)
    first = false
    pushItem(parts, item)
  }
  return new SqlFragment(CONSTRUCT, parts)
}

/**
 * The type of `sql`: a template tag with identifier, raw-text and join helpers.
 * @inline
 */
export interface SqlTag {
  (strings: TemplateStringsArray, ...values: unknown[]): SqlFragment
  /** A quoted identifier; several names make a qualified one (`db`.`t`). */
  readonly id: (name: string, ...more: string[]) => SqlFragment
  /** Trusted SQL text, spliced as is. Never pass user input. */
  readonly raw: (text: string) => SqlFragment
  /** Values or fragments joined by `separator` (default `, `). */
  readonly join: (items: Iterable<unknown>, separator?: SqlFragment) => SqlFragment
}

/**
 * The SQL template tag: every `${…}` is bound as a value, never spliced in as text, e.g.
 * ``sql`SELECT * FROM t WHERE id IN ${ids}` `` (an array or Set becomes a list). Pass the fragment
 * to `execute()` or `query()`; fragments nest. Text enters only through the template itself,
 * `sql.id()` (quoted identifiers) and `sql.raw()`.
 */
export const sql: SqlTag = Object.freeze(Object.assign(tag, { id, raw, join }))

/** Inline SQL: every bound value becomes its literal (escape.ts rules) for this session. */
export function renderFragment(f: SqlFragment, ctx: EscapeContext): string {
  if (!isSqlFragment(f)) throw new ProgrammingError('renderFragment() takes an sql fragment')
  let out = ''
  let n = 0
  for (const p of partsOf(f)) out += typeof p === 'string' ? p : literalAt(p.value, ctx, n++)
  return out
}

/**
 * '?' placeholders and their parameters, for server-side prepared statements or Kysely. An array
 * or Set value becomes '(?, ?, ?)' with one parameter per item (one nesting level for row tuples),
 * so `IN ${list}` means the same as in renderFragment; an empty list is a ProgrammingError.
 */
export function compileFragment(f: SqlFragment, offsets?: number[]): { sql: string; parameters: unknown[] } {
  if (!isSqlFragment(f)) throw new ProgrammingError('compileFragment() takes an sql fragment')
  const parameters: unknown[] = []
  let text = ''
  for (const p of partsOf(f)) {
    if (typeof p === 'string') {
      text += p
      continue
    }
    const markers = markersFor(p.value, parameters)
    // Where each marker of a value lands, so a caller can check the server will see it there.
    if (offsets !== undefined)
      for (let j = 0; j < markers.length; j++)
        if (markers.charCodeAt(j) === 0x3f) offsets.push(text.length + j)
    text += markers
  }
  return { sql: text, parameters }
}

/**
 * The marker text for one bound value: `?`, or `(?, ?, …)` for an array or Set (one nesting level for
 * row tuples), its scalars appended to `out` after the checks of SPEC §6.
 */
export function markersFor(value: unknown, out: unknown[], depth = 0): string {
  if (!isList(value)) {
    checkValue(value, out.length)
    out.push(value)
    return '?'
  }
  const items: readonly unknown[] = Array.isArray(value) ? value : [...value]
  if (items.length === 0) {
    throw new ProgrammingError(`value ${out.length + 1} is an empty list; '()' is not valid SQL`)
  }
  if (depth > 1) throw new ProgrammingError(`value ${out.length + 1} nests lists more than one level deep`)
  return '(' + items.map((x) => markersFor(x, out, depth + 1)).join(', ') + ')'
}
