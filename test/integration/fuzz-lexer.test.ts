// Property-based check that the SQL lexer (src/sql/lexer.ts markerOffsets) finds the `?` markers where
// the server does. Statements are generated from pieces: string literals in both quote styles with
// doubled and backslash-escaped quotes and backslashes, backtick identifiers, `#`, `-- ` and `/* */`
// comments, executable `/*! */` comments holding code, and `?` in and out of all of them. Each is
// written for one backslash mode and run under both: the lexer's marker count must equal the server's
// (conn.prepare(sql).paramCount), and the text the `?` binding makes (formatQuestionMarks, through a
// compiled { sql, parameters } query) must return the same row as the prepared statement with the
// same values. Statements the server refuses (syntax errors, mostly) are skipped; their share is
// printed at the end, and FUZZ_DEBUG=1 prints each with the server's message.

import assert from 'node:assert/strict'
import { after } from 'node:test'
import fc from 'fast-check'
import { MySQLError, PreparedStatement, type CompiledStatement, type Connection } from '../../src/index.ts'
import { markerOffsets } from '../../src/sql/lexer.ts'
import { serverVersionOf, withConnection } from '../support/db.ts'
import { canon } from '../fuzz/bytes.ts'
import { fuzzer } from '../fuzz/harness.ts'

const property = fuzzer(import.meta.filename)

const MODES = ['', 'NO_BACKSLASH_ESCAPES'] as const
type Mode = (typeof MODES)[number]

// ---- pieces --------------------------------------------------------------------------------------

/** Characters that matter to a SQL lexer, and some that do not. No `%`: prepare() would read `%s`. */
const CHARS = [
  'a',
  ' ',
  '?',
  "'",
  '"',
  '`',
  '\\',
  '#',
  '-',
  '/',
  '*',
  '!',
  '\n',
  '\t',
  '\0',
  'é',
  '😀',
  ';',
  ',',
]

/** Identifier characters: no NUL, and nothing beyond the BMP (MariaDB refuses both in names). */
const NAME_CHARS = CHARS.filter((c) => c !== '\0' && c !== '😀')

const charArb = fc.constantFrom(...CHARS)
const textArb = fc.array(charArb, { maxLength: 10 }).map((cs) => cs.join(''))
/** Line-comment text: no NUL, which the server takes for the end of the statement there (a syntax error). */
const lineTextArb = fc
  .array(fc.constantFrom(...CHARS.filter((c) => c !== '\0')), { maxLength: 10 })
  .map((cs) => cs.join(''))

/** One unit of a string literal's body, before it is written for a mode. */
type BodyPart = { readonly plain: string } | { readonly escape: string }

const bodyArb: fc.Arbitrary<BodyPart[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: charArb.map((plain) => ({ plain })) },
    // A backslash and the character after it: an escape sequence in backslash mode, two characters else.
    { weight: 1, arbitrary: charArb.map((escape) => ({ escape })) },
  ),
  { maxLength: 8 },
)

/**
 * A string literal as a user writing for `mode` would: the quote doubled or (in backslash mode)
 * backslash-escaped, a lone backslash doubled in backslash mode. An `escape` part is a backslash and
 * the character after it: an escape sequence in backslash mode, two plain characters otherwise.
 */
function literal(
  quote: "'" | '"',
  body: readonly BodyPart[],
  mode: Mode,
  backslashQuote: boolean,
  prefix: string,
): string {
  const backslashes = mode === ''
  const plain = (c: string): string => {
    if (c === quote) return backslashes && backslashQuote ? '\\' + quote : quote + quote
    if (c === '\\') return backslashes ? '\\\\' : '\\'
    return c
  }
  // N'…' is the national-charset literal; N"…" would be a column N and a string.
  let out = (quote === '"' && prefix === 'N' ? '' : prefix) + quote
  for (const part of body) {
    if ('plain' in part) out += plain(part.plain)
    else out += '\\' + (backslashes || part.escape !== quote ? part.escape : quote + quote)
  }
  return out + quote
}

/** One expression of the select list. */
type Expr =
  | { readonly k: 'marker' }
  | { readonly k: 'number'; readonly n: number }
  | {
      readonly k: 'string'
      readonly quote: "'" | '"'
      readonly body: BodyPart[]
      readonly backslashQuote: boolean
      readonly prefix: string
    }
  | { readonly k: 'sum'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'concat'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'alias'; readonly e: Expr; readonly name: string }
  /** `1--x`: two minus signs that are not a comment (nothing blank after them). */
  | { readonly k: 'negneg'; readonly e: Expr }

/** Blank space between tokens: whitespace and comments. */
type Gap =
  | { readonly k: 'space'; readonly s: string }
  | { readonly k: 'block'; readonly body: string }
  | { readonly k: 'hash'; readonly body: string }
  | { readonly k: 'dashes'; readonly after: string; readonly body: string }

/** An executable comment after a select item, adding items (or a space) as code. */
interface Executable {
  readonly version: string
  readonly items: Item[]
}

interface Item {
  readonly before: Gap[]
  readonly e: Expr
  readonly after: Gap[]
  readonly executable: Executable | null
}

const atomArb: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ k: 'marker' as const }) },
  { weight: 1, arbitrary: fc.nat({ max: 99 }).map((n) => ({ k: 'number' as const, n })) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('string' as const),
      quote: fc.constantFrom("'" as const, '"' as const),
      body: bodyArb,
      backslashQuote: fc.boolean(),
      prefix: fc.constantFrom('', '', '', '_utf8mb4', 'N'),
    }),
  },
)

const exprArb: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: atomArb },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('sum' as const), a: atomArb, b: atomArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('concat' as const), a: atomArb, b: atomArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('alias' as const),
      e: atomArb,
      name: fc
        .array(fc.constantFrom(...NAME_CHARS.filter((c) => c !== ' ')), {
          minLength: 1,
          maxLength: 6,
        })
        .map((cs) => cs.join('')),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('negneg' as const), e: atomArb }) },
)

/**
 * What may follow `--` in a comment: blanks and control characters (DEL included) make it one for the
 * server. `--` followed by anything else is two minus signs, which the `negneg` expression covers.
 */
const DASH_FOLLOWERS = [' ', '\t', '\n', '\r', '\x0b', '\x0c', '\x01', '\x1f', '\x7f']

const gapArb: fc.Arbitrary<Gap> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(' ', '\n', '\t', '\r\n').map((s) => ({ k: 'space' as const, s })) },
  { weight: 2, arbitrary: textArb.map((body) => ({ k: 'block' as const, body })) },
  { weight: 1, arbitrary: lineTextArb.map((body) => ({ k: 'hash' as const, body })) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('dashes' as const),
      after: fc.constantFrom(...DASH_FOLLOWERS),
      body: lineTextArb,
    }),
  },
)

const gapsArb = fc.array(gapArb, { maxLength: 2 })

/**
 * Versions: none, old enough for every server, MariaDB-only (`/*M!`), those of mysqldump's comments
 * (5.7, 8.0) and newer than any server. Which run is the server's call; the lexer, told which server
 * it is, must agree (bug 4).
 */
const VERSIONS = ['', '', '50000', 'M!100100', '50700', '80000', '100000', '99999', 'M!999999', '999999']

/** An item inside an executable comment: no executable comment of its own (the server refuses nesting). */
const innerItemArb: fc.Arbitrary<Item> = fc.record({
  before: gapsArb,
  e: exprArb,
  after: gapsArb,
  executable: fc.constant(null),
})

const itemArb: fc.Arbitrary<Item> = fc.record({
  before: gapsArb,
  e: exprArb,
  after: gapsArb,
  executable: fc.option(
    fc.record({
      version: fc.constantFrom(...VERSIONS),
      items: fc.array(innerItemArb, { maxLength: 2 }),
    }),
    { nil: null, freq: 4 },
  ),
})

const statementArb = fc.record({
  items: fc.array(itemArb, { minLength: 1, maxLength: 4 }),
  /** The mode the statement's literals are written for; it runs under both. */
  writtenFor: fc.constantFrom(...MODES),
})

function expr(e: Expr, mode: Mode): string {
  switch (e.k) {
    case 'marker':
      return '?'
    case 'number':
      return String(e.n)
    case 'string':
      return literal(e.quote, e.body, mode, e.backslashQuote, e.prefix)
    case 'sum':
      return `${expr(e.a, mode)} + ${expr(e.b, mode)}`
    case 'concat':
      return `CONCAT(${expr(e.a, mode)}, ${expr(e.b, mode)})`
    case 'alias':
      return `${expr(e.e, mode)} AS \`${e.name.replaceAll('`', '``')}\``
    case 'negneg':
      return `1--${expr(e.e, mode)}`
  }
}

function gap(g: Gap): string {
  switch (g.k) {
    case 'space':
      return g.s
    case 'block':
      // A body cannot close its comment early (or open an executable one: that is code).
      return `/*${g.body.replaceAll('*/', '* /').replace(/^[!M]/, ' ')}*/`
    case 'hash':
      return `#${g.body.replaceAll('\n', ' ')}\n`
    case 'dashes':
      return `--${g.after}${g.body.replaceAll('\n', ' ')}\n`
  }
}

function item(it: Item, mode: Mode): string {
  let out = it.before.map(gap).join('') + expr(it.e, mode) + it.after.map(gap).join('')
  if (it.executable !== null) {
    const x = it.executable
    const opener = x.version.startsWith('M!') ? `/*${x.version}` : `/*!${x.version}`
    out += ` ${opener} ${x.items.map((i) => ', ' + item(i, mode)).join('')} */`
  }
  return out
}

function statement(s: { items: Item[]; writtenFor: Mode }): string {
  return 'SELECT ' + s.items.map((i) => item(i, s.writtenFor)).join(', ')
}

// ---- the server's view ---------------------------------------------------------------------------

const stats = { statements: 0, refused: 0 }

after(() => {
  // How much of the generated SQL the server accepted: a property that mostly skips tests little.
  console.log(
    `# lexer fuzz: ${stats.statements} statements, ${stats.refused} refused by the server (syntax errors, mostly)`,
  )
})

/**
 * The rows a statement gives, as text; a server error (a collation mix in CONCAT, say) is an answer
 * too, and must be the same one both ways.
 */
async function rows(
  conn: Connection,
  query: PreparedStatement | CompiledStatement,
  values: readonly number[],
): Promise<string> {
  const cur = conn.cursor()
  try {
    if (query instanceof PreparedStatement) await cur.execute(query, [...values])
    else await cur.execute(query)
    // Values as text: the protocols may type an expression differently (`- -?` is DECIMAL prepared,
    // BIGINT as text); what is compared is which value went where.
    const all = (await cur.fetchAll()) as unknown[][]
    return canon(all.map((row) => row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v)))))
  } catch (e) {
    if (e instanceof MySQLError && e.errno > 0 && e.errno < 2000) return `error ${e.errno}`
    throw e
  }
}

/** The server's marker count, and its row for these values; null when it refuses the statement. */
async function serverView(
  conn: Connection,
  sql: string,
  values: readonly number[],
): Promise<{ count: number; row: string } | null> {
  let stmt: PreparedStatement
  try {
    stmt = await conn.prepare(sql)
  } catch (e) {
    // A server error (a syntax error, mostly: text that is not SQL in this mode) leaves nothing to compare.
    if (e instanceof MySQLError && e.errno > 0 && e.errno < 2000) {
      if (process.env['FUZZ_DEBUG'])
        console.log('REFUSED', e.errno, JSON.stringify(sql), e.message.slice(0, 150))
      return null
    }
    throw e
  }
  try {
    if (stmt.paramCount !== values.length) return { count: stmt.paramCount, row: '' }
    return { count: stmt.paramCount, row: await rows(conn, stmt, values) }
  } finally {
    await stmt.close()
  }
}

property(
  "lexer: the `?` markers the lexer finds are the server's, under both NO_BACKSLASH_ESCAPES settings",
  { numRuns: 100, runTimeoutMs: 30_000 },
  () =>
    fc.asyncProperty(statementArb, async (s) => {
      const sql = statement(s)
      await withConnection(async (conn) => {
        for (const mode of MODES) {
          await conn.query('SET SESSION sql_mode = %s', [mode])
          const markers = markerOffsets(sql, mode === '', undefined, serverVersionOf(conn)).length
          // Distinct values, so a value bound to the wrong marker shows in the row.
          const values = Array.from({ length: markers }, (_, i) => 1001 + i)
          stats.statements++
          const server = await serverView(conn, sql, values)
          if (server === null) {
            stats.refused++
            continue
          }
          assert.equal(markers, server.count, `sql_mode '${mode}': markers in ${JSON.stringify(sql)}`)
          // The same values spliced in as literals by the `?` binding give the same row.
          const text = await rows(conn, { sql, parameters: values }, values)
          assert.equal(text, server.row, `sql_mode '${mode}': rows of ${JSON.stringify(sql)}`)
        }
      })
    }),
)
