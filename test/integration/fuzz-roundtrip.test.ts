// Property-based round trips through the real server: random strings, bytes, integers, 64-bit bigints
// (signed and unsigned), doubles and Dates go in through `%s` parameters, the `sql` tag and
// executeMany, each as text and with `{ prepare: true }`, under sql_mode '' and NO_BACKSLASH_ESCAPES,
// and must come back exactly: stored in a TEMPORARY table with columns that hold them losslessly, and
// (strings, bytes, numbers) selected directly as parameters.
//
// Decisions on the value domain: strings are any well-formed Unicode; lone surrogates are filtered out,
// because utf8mb4 has no encoding for them (Node would send U+FFFD, which is a different string). -0
// is compared as 0: integral numbers are sent as integers (SPEC §6, "its digits"), so the sign of zero
// is not kept. Dates are whole milliseconds in years 1000–9999 (DATETIME(3)'s range), with the
// connection timezone 'Z' so the instant, not a wall-clock reading, is what must survive.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sql, type Connection } from '../../src/index.ts'
import { tableName, withConnection } from '../support/db.ts'
import { fuzzer } from '../fuzz/harness.ts'

const property = fuzzer(import.meta.filename)

const MODES = ['', 'NO_BACKSLASH_ESCAPES'] as const

// ---- values --------------------------------------------------------------------------------------

/** Characters that escaping, placeholders or charsets could get wrong, weighted in among all others. */
const TRICKY = [
  "'",
  '"',
  '\\',
  '\0',
  '\x1a',
  '\n',
  '\r',
  '\t',
  '%',
  '%s',
  '?',
  '`',
  '#',
  '-- ',
  '/*',
  '*/',
  ';',
  '$',
  '{',
  'é',
  '€',
  '😀',
  '\u0300',
  '\ufffd',
  '\u2028',
  '\ufeff',
  ' ',
]

/** Contains a lone surrogate (\p{Cs} matches only unpaired halves under the u flag). */
const loneSurrogate = /\p{Cs}/u

const stringArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({
      unit: fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary', maxLength: 1 })),
      maxLength: 200,
    }),
  )
  .filter((s) => !loneSurrogate.test(s))

const bytesArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc
      .array(fc.constantFrom(0x00, 0x27, 0x22, 0x5c, 0x1a, 0x0a, 0x0d, 0x25, 0x3f, 0xff, 0x80, 0xc3), {
        maxLength: 20,
      })
      .map((a) => Uint8Array.from(a)),
  )
  .map((u) => Buffer.from(u))

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

const doubleArb: fc.Arbitrary<number> = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      Number.MAX_VALUE,
      2 ** 53,
      2 ** 63,
      2 ** 64,
      1e21,
      0.1,
      1 / 3,
    ),
    fc.integer().map((n) => n / 1000),
  )
  // -0 travels as the integer 0 (see the header).
  .map((d) => (Object.is(d, -0) ? 0 : d))

const dateArb: fc.Arbitrary<Date> = fc.date({
  min: new Date('1000-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
})

interface Row {
  readonly s: string
  readonly b: Buffer
  readonly i: number
  readonly big: bigint
  readonly ubig: bigint
  readonly d: number
  readonly dt: Date
}

const rowArb: fc.Arbitrary<Row> = fc.record({
  s: stringArb,
  b: bytesArb,
  i: fc.oneof(fc.integer(), fc.maxSafeInteger()),
  big: fc.oneof(
    fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
    fc.constantFrom(INT64_MIN, INT64_MAX, -1n, 0n),
  ),
  ubig: fc.oneof(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(UINT64_MAX, INT64_MAX + 1n)),
  d: doubleArb,
  dt: dateArb,
})

// ---- the ways in ---------------------------------------------------------------------------------

const COLUMNS = 'id, s, b, i, big, ubig, d, dt'

/** The values of a row as the statement's arguments, in COLUMNS order. */
const args = (id: number, r: Row): unknown[] => [id, r.s, r.b, r.i, r.big, r.ubig, r.d, r.dt]

type Path = (conn: Connection, table: string, rows: readonly Row[], prepare: boolean) => Promise<void>

const PATHS: Record<string, Path> = {
  '%s': async (conn, table, rows, prepare) => {
    const cur = conn.cursor()
    for (const [id, r] of rows.entries()) {
      await cur.execute(
        `INSERT INTO ${table} (${COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)`,
        args(id, r),
        {
          prepare,
        },
      )
    }
  },
  'sql tag': async (conn, table, rows, prepare) => {
    for (const [id, r] of rows.entries()) {
      const q = sql`INSERT INTO ${sql.id(table)} (id, s, b, i, big, ubig, d, dt)
        VALUES (${id}, ${r.s}, ${r.b}, ${r.i}, ${r.big}, ${r.ubig}, ${r.d}, ${r.dt})`
      await conn.query(q, undefined, { prepare })
    }
  },
  executeMany: async (conn, table, rows, prepare) => {
    const cur = conn.cursor()
    await cur.executeMany(
      `INSERT INTO ${table} (${COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)`,
      rows.map((r, id) => args(id, r)),
      { prepare },
    )
  },
}

/** A row read back, in the form it is compared in (exact: strings, hex, digits, time values). */
function readBack(v: Record<string, unknown>): string {
  return JSON.stringify({
    s: v['s'],
    b: Buffer.isBuffer(v['b']) ? v['b'].toString('hex') : `not a Buffer: ${String(v['b'])}`,
    i: exactInteger(v['i']),
    big: exactInteger(v['big']),
    ubig: exactInteger(v['ubig']),
    d: v['d'],
    dt: v['dt'] instanceof Date ? v['dt'].getTime() : `not a Date: ${String(v['dt'])}`,
  })
}

function expected(r: Row): string {
  return JSON.stringify({
    s: r.s,
    b: r.b.toString('hex'),
    i: String(r.i),
    big: String(r.big),
    ubig: String(r.ubig),
    d: r.d,
    dt: r.dt.getTime(),
  })
}

/** Digits of an integer read back: a number (safe), a bigint, or a DECIMAL's exact text. */
function exactInteger(v: unknown): string {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : `unsafe number ${v}`
  if (typeof v === 'bigint' || typeof v === 'string') return String(v)
  return `not an integer: ${String(v)}`
}

async function inMode(conn: Connection, mode: string): Promise<void> {
  await conn.query('SET SESSION sql_mode = %s', [mode])
}

property(
  'round trip: values stored through %s, the sql tag and executeMany, as text and prepared, come back exactly',
  { numRuns: 40, runTimeoutMs: 60_000 },
  () =>
    fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 4 }), async (rows) => {
      await withConnection(
        async (conn) => {
          const table = tableName('fuzz_rt')
          await conn.query(
            `CREATE TEMPORARY TABLE ${table} (id INT PRIMARY KEY, s LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, ` +
              'b LONGBLOB, i BIGINT, big BIGINT, ubig BIGINT UNSIGNED, d DOUBLE, dt DATETIME(3))',
          )
          for (const mode of MODES) {
            await inMode(conn, mode)
            for (const [name, path] of Object.entries(PATHS)) {
              for (const prepare of [false, true]) {
                const how = `${name}${prepare ? ' prepared' : ''}, sql_mode '${mode}'`
                await path(conn, table, rows, prepare)
                // Read back both ways: the text protocol, and the binary one (a prepared SELECT).
                for (const readPrepared of [false, true]) {
                  const got = await conn.query(
                    `SELECT ${COLUMNS} FROM ${table} WHERE id >= %s ORDER BY id`,
                    [0],
                    {
                      prepare: readPrepared,
                    },
                  )
                  assert.deepEqual(
                    got.map(readBack),
                    rows.map(expected),
                    `${how}, read ${readPrepared ? 'prepared' : 'as text'}`,
                  )
                }
                await conn.query(`DELETE FROM ${table}`)
              }
            }
          }
        },
        { timezone: 'Z' },
      )
    }),
)

property(
  'round trip: strings, bytes and numbers selected directly as parameters come back exactly',
  { numRuns: 100, runTimeoutMs: 60_000 },
  () =>
    fc.asyncProperty(rowArb, async (r) => {
      await withConnection(async (conn) => {
        for (const mode of MODES) {
          await inMode(conn, mode)
          for (const prepare of [false, true]) {
            const how = `${prepare ? 'prepared' : 'as text'}, sql_mode '${mode}'`
            const [got] = await conn.query(
              'SELECT %s AS s, %s AS b, %s AS i, %s AS big, %s AS ubig, %s AS d',
              [r.s, r.b, r.i, r.big, r.ubig, r.d],
              { prepare },
            )
            assert.ok(got !== undefined)
            assert.equal(got['s'], r.s, `string, ${how}`)
            assert.ok(Buffer.isBuffer(got['b']) && got['b'].equals(r.b), `bytes, ${how}`)
            // A literal beyond BIGINT is a DECIMAL, read as its exact digits: compare the digits.
            assert.equal(exactInteger(got['i']), String(r.i), `integer, ${how}`)
            assert.equal(exactInteger(got['big']), String(r.big), `bigint, ${how}`)
            assert.equal(exactInteger(got['ubig']), String(r.ubig), `unsigned bigint, ${how}`)
            // An integral double beyond 2^53 is sent as its exact digits, i.e. a DECIMAL literal.
            assert.equal(Number(got['d']), r.d, `double, ${how}`)
          }
        }
      })
    }),
)
