// executeMany's fast path: recognise `INSERT|REPLACE ... VALUES (<row template>) [tail]` and send many
// rows per statement (aiomysql's RE_INSERT_VALUES, widened). A small hand-written scanner instead of
// a regex: linear on any input, and it knows quotes, comments and nested parentheses. Anything it
// does not fully understand returns null and the caller runs the statement once per row (always correct).

import { ProgrammingError } from '../errors.ts'
import type { EscapeContext } from './escape.ts'
import { checkQueryArgs, formatQuery } from './format.ts'
import { isQuote, quotedEnd, skipBlank, wordEnd } from './lexer.ts'

/**
 * A multi-row INSERT split around its row template. `prefix` and `suffix` are final SQL (`%%` already
 * collapsed to `%`, no placeholders); `values` is the `%s` / `%(name)s` template formatted per row.
 */
export interface BulkInsertPlan {
  readonly prefix: string
  readonly values: string
  readonly suffix: string
}

export const MAX_STATEMENT_BYTES = 1_024_000

/*
 * Grammar accepted (keywords case-insensitive; whitespace and non-executable comments allowed between
 * tokens; strings may not contain a backslash, whose meaning depends on NO_BACKSLASH_ESCAPES):
 *   (INSERT | REPLACE) {LOW_PRIORITY | DELAYED | HIGH_PRIORITY | IGNORE} [INTO] name ['.' name]
 *     [PARTITION (...)] [(...)] (VALUES | VALUE) (<row template, balanced parentheses>)
 *     [AS alias [(...)]] [ON DUPLICATE KEY UPDATE <anything without a top-level ';'>] [';']
 * where name is a bare word or a `backticked` identifier. Everything else, including INSERT ... SELECT,
 * INSERT ... SET, several value groups and `/*! ... *\/` comments, gives null.
 */
export function parseBulkInsert(query: string): BulkInsertPlan | null {
  if (typeof query !== 'string') return null
  const q = query
  let i = skipSpace(q, 0)
  let w = word(q, i)
  if (w !== 'INSERT' && w !== 'REPLACE') return null
  i = skipSpace(q, i + w.length)
  while ((w = word(q, i)) === 'LOW_PRIORITY' || w === 'DELAYED' || w === 'HIGH_PRIORITY' || w === 'IGNORE') {
    i = skipSpace(q, i + w.length)
  }
  if (w === 'INTO') i = skipSpace(q, i + w.length)
  i = skipName(q, i)
  if (i === -1) return null
  if (q.charCodeAt(i) === 0x2e /* . */) {
    i = skipName(q, skipSpace(q, i + 1))
    if (i === -1) return null
  }
  if (word(q, i) === 'PARTITION') {
    i = skipGroup(q, skipSpace(q, i + 9))
    if (i === -1) return null
    i = skipSpace(q, i)
  }
  if (q.charCodeAt(i) === 0x28 /* ( */) {
    i = skipGroup(q, i)
    if (i === -1) return null
    i = skipSpace(q, i)
  }
  w = word(q, i)
  if (w !== 'VALUES' && w !== 'VALUE') return null
  const valuesStart = skipSpace(q, i + w.length)
  const valuesEnd = skipGroup(q, valuesStart)
  if (valuesEnd === -1) return null

  let j = skipSpace(q, valuesEnd)
  if (word(q, j) === 'AS') {
    j = skipName(q, skipSpace(q, j + 2))
    if (j === -1) return null
    if (q.charCodeAt(j) === 0x28) {
      j = skipGroup(q, j)
      if (j === -1) return null
      j = skipSpace(q, j)
    }
  }
  if (word(q, j) === 'ON') {
    for (const kw of ['DUPLICATE', 'KEY', 'UPDATE']) {
      j = skipSpace(q, j + (kw === 'DUPLICATE' ? 2 : 0))
      if (word(q, j) !== kw) return null
      j = skipSpace(q, j + kw.length)
    }
    j = skipToSemicolon(q, j)
    if (j === -1) return null
  }
  // Only a trailing ';' (dropped) and whitespace/comments may follow.
  let end = j
  if (q.charCodeAt(j) === 0x3b /* ; */) j = skipSpace(q, j + 1)
  else end = q.length
  if (j !== q.length) return null

  const prefix = collapsePercents(q.slice(0, valuesStart))
  const suffix = collapsePercents(q.slice(valuesEnd, end).trimEnd())
  if (prefix === null || suffix === null) return null
  return { prefix, values: q.slice(valuesStart, valuesEnd), suffix }
}

/** One multi-row statement of executeMany: rows [from, to) of the argument list. */
export interface BulkBatch {
  readonly from: number
  readonly to: number
  readonly sql: string
}

/**
 * The next multi-row statement of at most maxBytes, holding rows [from, to), rendered with `ctx`.
 * When a row's text depends on NO_BACKSLASH_ESCAPES (ctx.modeDependent is then set), its size is
 * counted as the larger of the two renderings, so the batch still fits if it has to be rendered again
 * under the other mode (a pipelined batch behind an unanswered statement that may change the mode;
 * see renderBulkRange). Throws ProgrammingError naming the row of a bad value.
 */
export function nextBulkBatch(
  plan: BulkInsertPlan,
  rows: readonly unknown[],
  from: number,
  ctx: EscapeContext,
  maxBytes: number = MAX_STATEMENT_BYTES,
): BulkBatch {
  const fixed = Buffer.byteLength(plan.prefix) + Buffer.byteLength(plan.suffix)
  const rowCtx: EscapeContext = { noBackslashEscapes: ctx.noBackslashEscapes, tzOffset: ctx.tzOffset }
  const parts: string[] = []
  let size = fixed
  let k = from
  for (; k < rows.length; k++) {
    rowCtx.modeDependent = false
    const v = formatRow(plan, rows[k], k, rowCtx)
    let bytes = Buffer.byteLength(v)
    if (rowCtx.modeDependent) {
      ctx.modeDependent = true
      const other = { noBackslashEscapes: !ctx.noBackslashEscapes, tzOffset: ctx.tzOffset }
      bytes = Math.max(bytes, Buffer.byteLength(formatRow(plan, rows[k], k, other)))
    }
    if (parts.length > 0 && size + 1 + bytes > maxBytes) break
    size += (parts.length > 0 ? 1 : 0) + bytes
    parts.push(v)
  }
  return { from, to: k, sql: plan.prefix + parts.join(',') + plan.suffix }
}

/** Throws the ProgrammingError rendering would throw for any row, naming the row, building nothing. */
export function checkBulkRows(plan: BulkInsertPlan, rows: readonly unknown[], ctx: EscapeContext): void {
  for (let k = 0; k < rows.length; k++) {
    try {
      checkQueryArgs(plan.values, rows[k], ctx)
    } catch (err) {
      if (err instanceof ProgrammingError) throw new ProgrammingError(`row ${k + 1}: ${err.message}`)
      throw err
    }
  }
}

/** The statement for rows [from, to) rendered with `ctx` (a batch rendered again when written). */
export function renderBulkRange(
  plan: BulkInsertPlan,
  rows: readonly unknown[],
  from: number,
  to: number,
  ctx: EscapeContext,
): string {
  const parts: string[] = []
  for (let k = from; k < to; k++) parts.push(formatRow(plan, rows[k], k, ctx))
  return plan.prefix + parts.join(',') + plan.suffix
}

/** Every statement for the rows, as text (nextBulkBatch until the rows run out). */
export function buildBulkStatements(
  plan: BulkInsertPlan,
  rows: readonly unknown[],
  ctx: EscapeContext,
  maxBytes: number = MAX_STATEMENT_BYTES,
): string[] {
  if (!Array.isArray(rows)) throw new ProgrammingError('executeMany rows must be an array')
  const statements: string[] = []
  for (let from = 0; from < rows.length;) {
    const batch = nextBulkBatch(plan, rows, from, ctx, maxBytes)
    statements.push(batch.sql)
    from = batch.to
  }
  return statements
}

function formatRow(plan: BulkInsertPlan, row: unknown, k: number, ctx: EscapeContext): string {
  try {
    return formatQuery(plan.values, row, ctx)
  } catch (err) {
    if (err instanceof ProgrammingError) throw new ProgrammingError(`row ${k + 1}: ${err.message}`)
    throw err
  }
}

// ---- scanner steps over the shared lexer: each returns the index after what it skipped, or -1 when
// in doubt (an executable comment, an unclosed token, a string holding a backslash) ----

/** The upper-cased bare word starting at i ('' if none). */
function word(s: string, i: number): string {
  return s.slice(i, wordEnd(s, i)).toUpperCase()
}

/** Skips whitespace and comments; returns s.length + 1 (never matches anything) when in doubt. */
function skipSpace(s: string, i: number): number {
  const j = skipBlank(s, i)
  return j < 0 ? s.length + 1 : j
}

/** A bare word or `backticked` identifier, then any space. */
function skipName(s: string, i: number): number {
  const j = s.charCodeAt(i) === 0x60 ? skipQuote(s, i) : wordEnd(s, i)
  if (j === -1 || j === i) return -1
  return skipSpace(s, j)
}

/**
 * Past a quoted string/identifier at i; -1 when unterminated or when a string holds a backslash,
 * whose meaning depends on NO_BACKSLASH_ESCAPES (such templates run once per row instead).
 */
function skipQuote(s: string, i: number): number {
  const end = quotedEnd(s, i, false)
  if (end === -1) return -1
  if (s.charCodeAt(i) !== 0x60 && s.slice(i, end).includes('\\')) return -1
  return end
}

/** Just past the balanced '(...)' group at i (quotes and comments inside respected). */
function skipGroup(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x28) return -1
  let depth = 0
  let j = i
  while (j < s.length) {
    const c = s.charCodeAt(j)
    if (c === 0x28) depth++
    else if (c === 0x29 && --depth === 0) return j + 1
    j = step(s, j)
    if (j === -1) return -1
  }
  return -1
}

/** Index of the first top-level ';' from i, or s.length; -1 when in doubt. */
function skipToSemicolon(s: string, i: number): number {
  let j = i
  while (j < s.length) {
    const c = s.charCodeAt(j)
    if (c === 0x3b) return j
    j = step(s, j)
    if (j === -1) return -1
  }
  return s.length
}

/** Just past the token at i: a whole quoted string, a run of spaces and comments, or one character. */
function step(s: string, i: number): number {
  if (isQuote(s.charCodeAt(i))) return skipQuote(s, i)
  const k = skipSpace(s, i)
  if (k > s.length) return -1
  return k === i ? i + 1 : k
}

/** `%%` -> `%` for text that takes no arguments; null if it holds any other `%` directive. */
function collapsePercents(text: string): string | null {
  let out = ''
  let from = 0
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', from)) {
    if (text.charCodeAt(i + 1) !== 0x25) return null
    out += text.slice(from, i + 1)
    from = i + 2
  }
  return out + text.slice(from)
}
