// Statements for server-side preparation (src/sql/markers.ts): %s / %(name)s templates, sql fragments
// and compiled { sql, parameters } objects become text with `?` markers plus the flat list of values;
// every placeholder must be a marker to the server and nothing else may be one. Also preparedText()
// (conn.prepare's text) and isBulkStatement(). Ends with a seeded random check that the markers the
// lexer finds in the output always match the values.

import assert from 'node:assert/strict'
import { describe, it, test } from 'node:test'

import { ProgrammingError } from '../../../src/errors.ts'
import type { EscapeContext } from '../../../src/sql/escape.ts'
import { markerOffsets } from '../../../src/sql/lexer.ts'
import { isBulkStatement, preparedText, toMarkers } from '../../../src/sql/markers.ts'
import { compileFragment, sql } from '../../../src/sql/tag.ts'

const bs: EscapeContext = { noBackslashEscapes: false, tzOffset: 0 }
const nbe: EscapeContext = { noBackslashEscapes: true, tzOffset: 0 }
const ist: EscapeContext = { noBackslashEscapes: false, tzOffset: 330 }

const throwsPE = (fn: () => unknown, re?: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProgrammingError, `expected ProgrammingError, got ${String(e)}`)
    if (re !== undefined) assert.match(e.message, re)
    return true
  })
}

const utc = (iso: string): Date => new Date(iso)

describe('toMarkers: %s templates', () => {
  it('each %s becomes a ? and its value a parameter, in order', () => {
    const d = utc('2024-02-29T12:00:00Z')
    const bytes = Buffer.from([0, 1])
    assert.deepEqual(
      toMarkers('INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s)', [1, 'a', null, d, bytes, 2n, true], bs),
      {
        sql: 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)',
        params: [1, 'a', null, d, bytes, 2n, true],
      },
    )
  })

  it('a value that looks like SQL or a marker stays a parameter', () => {
    assert.deepEqual(toMarkers('SELECT %s, %s, %s', ['?', '%s', "' OR 1=1 -- "], bs), {
      sql: 'SELECT ?, ?, ?',
      params: ['?', '%s', "' OR 1=1 -- "],
    })
  })

  it('a single non-array value is the one %s argument', () => {
    assert.deepEqual(toMarkers('SELECT %s', 5, bs), { sql: 'SELECT ?', params: [5] })
    assert.deepEqual(toMarkers('SELECT %s', 'x', bs), { sql: 'SELECT ?', params: ['x'] })
    assert.deepEqual(toMarkers('SELECT %s', null, bs), { sql: 'SELECT ?', params: [null] })
    assert.deepEqual(toMarkers('WHERE id IN %s', new Set([1, 2]), bs), {
      sql: 'WHERE id IN (?, ?)',
      params: [1, 2],
    })
  })

  it('%(name)s takes own keys of a plain object, repeats included, unused keys allowed', () => {
    assert.deepEqual(toMarkers('SELECT %(a)s, %(b)s, %(a)s', { a: 1, b: 'x', unused: 3 }, bs), {
      sql: 'SELECT ?, ?, ?',
      params: [1, 'x', 1],
    })
    const noProto = Object.assign(Object.create(null) as Record<string, unknown>, { k: 7 })
    assert.deepEqual(toMarkers('SELECT %(k)s', noProto, bs), { sql: 'SELECT ?', params: [7] })
    throwsPE(() => toMarkers('SELECT %(missing)s', { a: 1 }, bs), /no argument named 'missing'/)
    throwsPE(() => toMarkers('SELECT %(toString)s', {}, bs), /no argument named/)
    throwsPE(() => toMarkers('SELECT %(a)s', [1], bs), /plain object/)
    throwsPE(() => toMarkers('SELECT %s', { a: 1 }, bs), /named values/)
  })

  it('%% becomes % when args are given; without args the text is returned as is', () => {
    assert.deepEqual(toMarkers("SELECT '100%%', 5 %% 2, %s", [1], bs), {
      sql: "SELECT '100%', 5 % 2, ?",
      params: [1],
    })
    assert.deepEqual(toMarkers('SELECT 5 %% 2', [], bs), { sql: 'SELECT 5 % 2', params: [] })
    assert.deepEqual(toMarkers("SELECT '%%s'", [], bs), { sql: "SELECT '%s'", params: [] })
    assert.deepEqual(toMarkers('SELECT 5 %% 2, %s', undefined, bs), {
      sql: 'SELECT 5 %% 2, %s',
      params: [],
    })
  })

  it('arrays and Sets become (?, ?, …); one nesting level makes row tuples', () => {
    assert.deepEqual(toMarkers('WHERE a = %s AND id IN %s AND b = %s', [0, [1, 2, 3], 'z'], bs), {
      sql: 'WHERE a = ? AND id IN (?, ?, ?) AND b = ?',
      params: [0, 1, 2, 3, 'z'],
    })
    assert.deepEqual(toMarkers('WHERE (a, b) IN %s', [[[1, 'x'], new Set([2, 'y'])]], bs), {
      sql: 'WHERE (a, b) IN ((?, ?), (?, ?))',
      params: [1, 'x', 2, 'y'],
    })
    assert.deepEqual(toMarkers('WHERE id IN %(ids)s', { ids: new Set(['p', 'q']) }, bs), {
      sql: 'WHERE id IN (?, ?)',
      params: ['p', 'q'],
    })
    assert.deepEqual(toMarkers('VALUES %s', [[[1]]], bs), { sql: 'VALUES ((?))', params: [1] })
    throwsPE(() => toMarkers('WHERE id IN %s', [[[[1]]]], bs), /more than one level/)
  })

  it('empty lists are errors, at any level', () => {
    throwsPE(() => toMarkers('WHERE id IN %s', [[]], bs), /empty list/)
    throwsPE(() => toMarkers('WHERE id IN %s', new Set(), bs), /empty list/)
    throwsPE(() => toMarkers('WHERE (a, b) IN %s', [[[1, 2], []]], bs), /empty list/)
    throwsPE(() => toMarkers('WHERE id IN %(ids)s', { ids: [] }, bs), /empty list/)
  })

  it('wrong argument counts are errors', () => {
    throwsPE(() => toMarkers('SELECT %s, %s', [1], bs), /not enough arguments/)
    throwsPE(() => toMarkers('SELECT %s', [1, 2], bs), /2 arguments given/)
    throwsPE(() => toMarkers('SELECT 1', [1], bs), /1 argument given/)
    throwsPE(() => toMarkers('SELECT %s', [], bs), /not enough arguments/)
    throwsPE(() => toMarkers('SELECT %s, %s', 5, bs), /not enough arguments/)
  })

  it('other % directives are errors', () => {
    throwsPE(() => toMarkers('SELECT %d', [1], bs), /unsupported placeholder '%d'/)
    throwsPE(() => toMarkers('SELECT %(a)d', { a: 1 }, bs), /only %\(name\)s/)
    throwsPE(() => toMarkers('SELECT %(a', { a: 1 }, bs), /unterminated/)
  })

  it('values that are not SQL values are errors', () => {
    class Point {
      x = 1
    }
    for (const bad of [
      { a: 1 },
      Object.create(null) as object,
      new Point(),
      new Map(),
      NaN,
      Infinity,
      -Infinity,
      () => 1,
      Symbol('s'),
      new Date(NaN),
      new Int16Array(2),
    ]) {
      throwsPE(() => toMarkers('SELECT %s', [bad], bs))
      throwsPE(() => toMarkers('SELECT %(v)s', { v: bad }, bs))
      throwsPE(() => toMarkers('WHERE id IN %s', [[1, bad]], bs))
      throwsPE(() =>
        toMarkers(
          'WHERE (a, b) IN %s',
          [
            [
              [1, 2],
              [3, bad],
            ],
          ],
          bs,
        ),
      )
    }
    throwsPE(() => toMarkers('SELECT %s', [{ a: 1 }], bs), /argument 1 is a plain object/)
    throwsPE(() => toMarkers('SELECT %s, %s', [1, NaN], bs), /argument 2 is NaN or Infinity/)
  })

  it('Dates must be valid and within years 0000-9999 in the session timezone', () => {
    const last = utc('9999-12-31T23:59:59.999Z')
    const first = utc('0000-01-01T00:00:00.000Z')
    assert.deepEqual(toMarkers('SELECT %s, %s', [last, first], bs).params, [last, first])
    throwsPE(() => toMarkers('SELECT %s', [utc('+010000-01-01T00:00:00Z')], bs), /outside years 0000-9999/)
    throwsPE(() => toMarkers('SELECT %s', [utc('-000001-12-31T23:59:59Z')], bs), /outside years/)
    // 23:00 UTC on the last day is already year 10000 at +05:30.
    const lateUtc = utc('9999-12-31T23:00:00Z')
    assert.deepEqual(toMarkers('SELECT %s', [lateUtc], bs).params, [lateUtc])
    throwsPE(() => toMarkers('SELECT %s', [lateUtc], ist), /outside years/)
    throwsPE(() => toMarkers('SELECT %s', [first], { noBackslashEscapes: false, tzOffset: -60 }))
    throwsPE(() => toMarkers('SELECT %s', [new Date(NaN)], bs), /invalid Date/)
    // Dates inside lists are checked too, where they end up among the parameters.
    throwsPE(() => toMarkers('WHERE d IN %s', [[first, utc('+010000-01-01T00:00:00Z')]], bs), /argument 2/)
  })

  it('a %s inside a quoted string, identifier or comment is an error', () => {
    for (const q of [
      "SELECT '%s'",
      'SELECT "%s"',
      'SELECT `%s`',
      "SELECT 'it''s %s'",
      'SELECT 1 /* %s */',
      'SELECT 1 -- %s',
      'SELECT 1 # %s',
      "SELECT 'open %s",
      'SELECT 1 /* open %s',
    ]) {
      throwsPE(() => toMarkers(q, [1], bs), /inside a quoted string or a comment/)
      throwsPE(() => toMarkers(q, [1], nbe), /inside a quoted string or a comment/)
    }
    throwsPE(() => toMarkers("SELECT %s, '%s'", [1, 2], bs), /placeholder 2 is inside/)
    throwsPE(() => toMarkers("SELECT '%(a)s'", { a: 1 }, bs), /placeholder 1 is inside/)
  })

  it('a %s in an executable comment, or after a non-comment --x, is a marker', () => {
    assert.deepEqual(toMarkers('SELECT 1 /*! + %s */', [2], bs), {
      sql: 'SELECT 1 /*! + ? */',
      params: [2],
    })
    assert.deepEqual(toMarkers('SELECT 1 /*M!100000 + %s */', [2], bs).sql, 'SELECT 1 /*M!100000 + ? */')
    assert.deepEqual(toMarkers('SELECT 1 --%s', [2], bs).sql, 'SELECT 1 --?')
  })

  it('a bare ? outside quotes is an error; inside quotes or comments it is kept as text', () => {
    throwsPE(() => toMarkers('SELECT ?, %s', [1], bs), /a \? at offset 7 outside quotes/)
    throwsPE(() => toMarkers('SELECT %s, ?', [1], bs), /a \? at offset 10 outside quotes/)
    throwsPE(() => toMarkers('SELECT ?', [], bs), /outside quotes/)
    throwsPE(() => toMarkers('SELECT 1 /*! ? */, %s', [1], bs), /outside quotes/)
    const q = 'SELECT \'?\', "?", `?`, %s /* ? */ -- ?\n# ?\n'
    assert.deepEqual(toMarkers(q, [1], bs), {
      sql: 'SELECT \'?\', "?", `?`, ? /* ? */ -- ?\n# ?\n',
      params: [1],
    })
  })

  it('backslash escapes inside quotes follow ctx.noBackslashEscapes', () => {
    // 'a\'?' is one string with backslash escapes; without them it is 'a\' then a bare ? and a quote.
    const q = "SELECT 'a\\'?', %s"
    assert.deepEqual(toMarkers(q, [1], bs), { sql: "SELECT 'a\\'?', ?", params: [1] })
    throwsPE(() => toMarkers(q, [1], nbe))
    // The mirror case: with escapes the %s is inside the string, without them it is not.
    const r = "SELECT 'a\\', %s, 'b'"
    assert.deepEqual(toMarkers(r, [1], nbe), { sql: "SELECT 'a\\', ?, 'b'", params: [1] })
    throwsPE(() => toMarkers(r, [1], bs), /inside a quoted string/)
    // Backticks never take backslash escapes.
    assert.deepEqual(toMarkers('SELECT `a\\`, %s', [1], bs).sql, 'SELECT `a\\`, ?')
  })

  it('a non-string, non-fragment, non-compiled query is an error', () => {
    for (const bad of [5, null, undefined, {}, { sql: 'SELECT 1' }, { sql: 1, parameters: [] }]) {
      throwsPE(() => toMarkers(bad as never, undefined, bs), /query must be/)
    }
  })
})

describe('toMarkers: sql fragments', () => {
  it('bound values become markers and lists expand, as compileFragment does', () => {
    const f = sql`SELECT * FROM ${sql.id('t')} WHERE a = ${1} AND b IN ${[2, 3]} AND (c, d) IN ${[[4, 5]]}`
    const expected = {
      sql: 'SELECT * FROM `t` WHERE a = ? AND b IN (?, ?) AND (c, d) IN ((?, ?))',
      params: [1, 2, 3, 4, 5],
    }
    assert.deepEqual(toMarkers(f, undefined, bs), expected)
    assert.deepEqual(toMarkers(f, undefined, nbe), expected)
  })

  it('%s and ? inside a value or the quoted template text are not placeholders', () => {
    assert.deepEqual(toMarkers(sql`SELECT '%s', '?', ${'%s'}, ${'?'} -- ?`, undefined, bs), {
      sql: "SELECT '%s', '?', ?, ? -- ?",
      params: ['%s', '?'],
    })
  })

  it('args with a fragment are an error', () => {
    throwsPE(() => toMarkers(sql`SELECT ${1}`, [1], bs), /carries its own values/)
    throwsPE(() => toMarkers(sql`SELECT 1`, [], bs), /carries its own values/)
  })

  it('a ? from sql.raw outside quotes, or a value inside quotes, is an error', () => {
    throwsPE(() => toMarkers(sql`SELECT ${1}, ${sql.raw('?')}`, undefined, bs), /not a bound value/)
    throwsPE(() => toMarkers(sql`SELECT ${sql.raw('?')}`, undefined, bs), /offset 7/)
    throwsPE(() => toMarkers(sql`SELECT '${sql.raw('')}${1}'`, undefined, bs), /inside quotes/)
    throwsPE(() => toMarkers(sql`SELECT 1 -- ${1}`, undefined, bs), /inside quotes or a comment/)
    // Regression: a value inside quotes was hidden by a sql.raw('?') outside them (the counts matched).
    throwsPE(() => toMarkers(sql`SELECT '${1}', ${sql.raw('?')}`, undefined, bs), /not a bound value/)
    // Inside an executable comment a bound value is still a marker.
    assert.deepEqual(toMarkers(sql`SELECT 1 /*! + ${2} */`, undefined, bs), {
      sql: 'SELECT 1 /*! + ? */',
      params: [2],
    })
  })

  it('where quotes end depends on the mode', () => {
    const f = sql`SELECT 'a\\', ${1}, 'b'`
    assert.deepEqual(toMarkers(f, undefined, nbe), { sql: "SELECT 'a\\', ?, 'b'", params: [1] })
    throwsPE(() => toMarkers(f, undefined, bs))
  })

  it('bad values are errors; Dates get the range check compileFragment does not make', () => {
    for (const bad of [{ a: 1 }, NaN, [], [[[1]]], new Date(NaN)]) {
      throwsPE(() => toMarkers(sql`SELECT ${bad}`, undefined, bs))
    }
    const far = sql`SELECT ${utc('+010000-01-01T00:00:00Z')}`
    assert.equal(compileFragment(far).parameters.length, 1)
    throwsPE(() => toMarkers(far, undefined, bs), /outside years/)
    const late = sql`SELECT ${1}, ${utc('9999-12-31T23:00:00Z')}`
    assert.equal(toMarkers(late, undefined, bs).params.length, 2)
    throwsPE(() => toMarkers(late, undefined, ist), /argument 2 is a Date outside/)
  })
})

describe('toMarkers: text without arguments', () => {
  it('a ? marker with no values is an error before anything is sent; quoted ones are text', () => {
    // Regression: 'SELECT ?' with no args went to the server with a marker and no value.
    throwsPE(() => toMarkers('SELECT ?', undefined, bs), /0 parameters given/)
    assert.deepEqual(toMarkers("SELECT '?' /* ? */", undefined, bs), {
      sql: "SELECT '?' /* ? */",
      params: [],
    })
  })
})

describe('toMarkers: compiled { sql, parameters }', () => {
  it('keeps the text when no value is a list', () => {
    const q = { sql: 'SELECT ?, ?', parameters: [1, 'a'] }
    assert.deepEqual(toMarkers(q, undefined, bs), { sql: 'SELECT ?, ?', params: [1, 'a'] })
  })

  it('? inside quotes, identifiers and comments is not a marker', () => {
    const text = "SELECT '?', \"?\", `?`, ? /* ? */, 'it''s ?' -- ?\n# ?\n, ?"
    assert.deepEqual(toMarkers({ sql: text, parameters: [1, 2] }, undefined, bs), {
      sql: text,
      params: [1, 2],
    })
  })

  it('? inside an executable comment is a marker', () => {
    assert.deepEqual(toMarkers({ sql: 'SELECT 1 /*! + ? */', parameters: [2] }, undefined, bs), {
      sql: 'SELECT 1 /*! + ? */',
      params: [2],
    })
    assert.deepEqual(
      toMarkers({ sql: 'SELECT 1 /*M!100000 + ? */, ?', parameters: [2, 3] }, undefined, bs).params,
      [2, 3],
    )
  })

  it('%s and %% are plain text in a compiled statement', () => {
    assert.deepEqual(toMarkers({ sql: "SELECT '%s', 5 %% 2, ?", parameters: [1] }, undefined, bs), {
      sql: "SELECT '%s', 5 %% 2, ?",
      params: [1],
    })
  })

  it('lists expand in place, before and after scalars', () => {
    assert.deepEqual(
      toMarkers(
        { sql: 'WHERE a IN ? AND b = ? AND (c, d) IN ? AND e = ?', parameters: [[1, 2], 3, [[4, 5]], 6] },
        undefined,
        bs,
      ),
      { sql: 'WHERE a IN (?, ?) AND b = ? AND (c, d) IN ((?, ?)) AND e = ?', params: [1, 2, 3, 4, 5, 6] },
    )
    assert.deepEqual(
      toMarkers({ sql: "SELECT '?', ? /* ? */", parameters: [new Set(['x'])] }, undefined, bs),
      { sql: "SELECT '?', (?) /* ? */", params: ['x'] },
    )
    throwsPE(() => toMarkers({ sql: 'WHERE a IN ?', parameters: [[]] }, undefined, bs), /empty list/)
  })

  it('the number of parameters must equal the number of markers', () => {
    throwsPE(
      () => toMarkers({ sql: 'SELECT ?, ?', parameters: [1] }, undefined, bs),
      /another \? at offset 10/,
    )
    throwsPE(() => toMarkers({ sql: "SELECT '?'", parameters: [1] }, undefined, bs), /has 0 \? placeholders/)
    throwsPE(() => toMarkers({ sql: 'SELECT ?', parameters: [] }, undefined, bs))
  })

  it('args with a compiled statement are an error', () => {
    throwsPE(() => toMarkers({ sql: 'SELECT ?', parameters: [1] }, [1], bs), /carries its own parameters/)
  })

  it("backslash escapes follow the mode: 'a\\'?' is a string, or a string, a marker and an open quote", () => {
    const text = "SELECT 'a\\'?'"
    assert.deepEqual(toMarkers({ sql: text, parameters: [] }, undefined, bs), { sql: text, params: [] })
    throwsPE(() => toMarkers({ sql: text, parameters: [] }, undefined, nbe), /another \? at offset 11/)
    assert.deepEqual(toMarkers({ sql: text, parameters: [1] }, undefined, nbe), { sql: text, params: [1] })
    throwsPE(() => toMarkers({ sql: text, parameters: [1] }, undefined, bs))
    // Double quotes too: 1 marker with escapes; without them "a\" closes early and a second ? is bare.
    const dq = 'SELECT "a\\"?", ?, "?"'
    assert.deepEqual(markerOffsets(dq, true), [15])
    assert.deepEqual(markerOffsets(dq, false), [11, 19])
    assert.equal(toMarkers({ sql: dq, parameters: [1] }, undefined, bs).params.length, 1)
    throwsPE(() => toMarkers({ sql: dq, parameters: [1] }, undefined, nbe), /another \? at offset 19/)
  })

  it('bad values and Dates are checked', () => {
    throwsPE(() => toMarkers({ sql: 'SELECT ?', parameters: [{ a: 1 }] }, undefined, bs), /plain object/)
    throwsPE(() => toMarkers({ sql: 'SELECT ?', parameters: [NaN] }, undefined, bs), /NaN/)
    throwsPE(() => toMarkers({ sql: 'SELECT ?', parameters: [new Date(NaN)] }, undefined, bs), /invalid/)
    throwsPE(
      () => toMarkers({ sql: 'SELECT ?', parameters: [utc('9999-12-31T23:00:00Z')] }, undefined, ist),
      /outside years/,
    )
  })
})

describe('preparedText', () => {
  it('named placeholders: markers, and the names in order with repeats', () => {
    assert.deepEqual(preparedText("SELECT %(a)s, %(b)s, %(a)s, '%%', `%%`", { backslashEscapes: true }), {
      sql: "SELECT ?, ?, ?, '%', `%`",
      names: ['a', 'b', 'a'],
      paramCount: 3,
    })
    assert.deepEqual(preparedText('SELECT %(f(x))s', { backslashEscapes: true }), {
      sql: 'SELECT ?',
      names: ['f(x)'],
      paramCount: 1,
    })
  })

  it('positional placeholders: markers, no names', () => {
    assert.deepEqual(preparedText('INSERT INTO t VALUES (%s, %s) -- 100%%', { backslashEscapes: true }), {
      sql: 'INSERT INTO t VALUES (?, ?) -- 100%',
      names: null,
      paramCount: 2,
    })
    assert.deepEqual(preparedText('SELECT %%%s, %%s', { backslashEscapes: true }), {
      sql: 'SELECT %?, %s',
      names: null,
      paramCount: 1,
    })
  })

  it('text with only ? markers is kept as is (%% included), with the count of markers', () => {
    const text = 'SELECT ?, \'?\', `?`, "?", 5 %% 2 /* ? */, ? -- ?\n'
    assert.deepEqual(preparedText(text, { backslashEscapes: true }), {
      sql: text,
      names: null,
      paramCount: 2,
    })
    assert.deepEqual(preparedText('SELECT 1', { backslashEscapes: true }), {
      sql: 'SELECT 1',
      names: null,
      paramCount: 0,
    })
    assert.deepEqual(preparedText('SELECT 1 /*! + ? */', { backslashEscapes: true }).paramCount, 1)
  })

  it('the count follows the backslash mode', () => {
    const text = "SELECT 'a\\'?'"
    assert.equal(preparedText(text, { backslashEscapes: true }).paramCount, 0)
    assert.equal(preparedText(text, { backslashEscapes: false }).paramCount, 1)
  })

  it('%s and %( inside string literals or comments do not make the text a %s template', () => {
    // Regression: `?` statements with a LIKE '%son' or a DATE_FORMAT '%H:%i:%s' were refused.
    const texts = [
      "SELECT * FROM t WHERE name LIKE '%son' AND id = ?",
      "SELECT DATE_FORMAT(d, '%H:%i:%s') FROM t WHERE id = ?",
      "SELECT * FROM t WHERE name LIKE '%(%' AND id = ?",
      "SELECT '%%s', ?",
      'SELECT 1 /* %(a)s */ + ?',
    ]
    for (const text of texts)
      assert.deepEqual(preparedText(text, { backslashEscapes: true }), {
        sql: text,
        names: null,
        paramCount: 1,
      })
  })

  it('placeholders inside quotes beside ones outside, bare ? beside %s, and mixed styles are errors', () => {
    throwsPE(() => preparedText("SELECT '%s', %s", { backslashEscapes: true }), /inside a quoted string/)
    throwsPE(() => preparedText('SELECT ?, %s', { backslashEscapes: true }), /outside quotes/)
    throwsPE(() => preparedText('SELECT %s, %(a)s', { backslashEscapes: true }))
    throwsPE(() => preparedText('SELECT %s, %d', { backslashEscapes: true }), /unsupported placeholder/)
    // Under backslash escapes the quote never closes: everything after it is text, not a placeholder.
    assert.equal(preparedText("SELECT 'a\\', %s", { backslashEscapes: true }).paramCount, 0)
    assert.equal(preparedText("SELECT 'a\\', %s", { backslashEscapes: false }).paramCount, 1)
  })
})

describe('isBulkStatement', () => {
  it('INSERT, REPLACE, UPDATE and DELETE, in any case, after whitespace and comments', () => {
    for (const s of [
      'INSERT INTO t VALUES (?)',
      'insert into t values (?)',
      'Replace INTO t VALUES (?)',
      'UPDATE t SET a = ?',
      'DELETE FROM t WHERE id = ?',
      '  \n\tINSERT INTO t VALUES (?)',
      '/* c */ INSERT INTO t VALUES (?)',
      '-- c\nUPDATE t SET a = ?',
      '# c\r\n  DELETE FROM t',
      '/* a */ -- b\n /* c */ replace t VALUES (?)',
      'INSERT',
      'INSERT(a) VALUES (?)',
    ]) {
      assert.equal(isBulkStatement(s), true, s)
    }
  })

  it('anything else is not', () => {
    for (const s of [
      'SELECT ?',
      'CALL p(?)',
      'SET @a = ?',
      'DO ?',
      'WITH x AS (SELECT 1) SELECT ?',
      'INSERTX INTO t VALUES (?)',
      'INSERT_ INTO t',
      'UPDATED',
      '(SELECT ?)',
      '/*! INSERT INTO t VALUES (?) */',
      '/* open INSERT',
      '--INSERT',
      '',
      '   ',
      '-- only a comment',
    ]) {
      assert.equal(isBulkStatement(s), false, s)
    }
  })
})

// ---- Seeded random templates ----

/** A deterministic PRNG (a 32-bit LCG); rand(n) is an integer in [0, n). */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return (state >>> 8) % n
  }
}

/** Template text, the text expected in the output, and whether it holds a placeholder. */
interface Piece {
  readonly text: string
  readonly out: string
  readonly hasPlaceholder: boolean
}

const fixed = (text: string, out = text): Piece => ({ text, out, hasPlaceholder: false })

// Plain words and operators (joined by spaces, so they never form a comment or a quote together).
const WORDS: readonly Piece[] = [
  'SELECT',
  'a',
  'b_1',
  '42',
  ',',
  '(',
  ')',
  '=',
  '+',
  'IN',
  'FROM t',
  '--x',
  '/',
  '*',
].map((w) => fixed(w))
const PERCENT_WORDS: readonly Piece[] = [fixed('%%', '%'), fixed('100%%', '100%'), fixed('5 %% 2', '5 % 2')]
// Quoted strings and identifiers holding ?, %%, quote characters and comment openers.
const QUOTED: readonly Piece[] = [
  fixed("'a?b'"),
  fixed('"?%%"', '"?%"'),
  fixed('`c?`'),
  fixed("'%%s?'", "'%s?'"),
  fixed("'it''s ?'"),
  fixed('"say ""?"""'),
  fixed("'-- ? /* ? # ?'"),
  fixed("'x\\\\'"), // two backslashes: a complete string in both modes
  fixed("'\"?'"),
  fixed('"\'?"'),
  fixed('`a``?`'),
]
const QUOTED_BACKSLASH: readonly Piece[] = [fixed("'x\\'?'"), fixed('"y\\"?"'), fixed("'\\\\?\\''")]
const QUOTED_NO_BACKSLASH: readonly Piece[] = [fixed("'x\\'"), fixed("'?\\'")]
const COMMENTS: readonly Piece[] = [
  fixed('/* ? %% */', '/* ? % */'),
  fixed('-- ? %%\n', '-- ? %\n'),
  fixed('# ?\n'),
  fixed('/* \'?" */'),
  fixed("-- it's ?\n"),
  fixed('/** ? **/'),
]

const SCALARS: readonly unknown[] = [
  1,
  -2,
  2 ** 60,
  10n ** 20n,
  0.5,
  'str?',
  "it's",
  '%s',
  '',
  null,
  undefined,
  true,
  Buffer.from('?'),
  utc('2020-02-03T04:05:06.007Z'),
]

/** A random value for a placeholder: its parameters and marker text. */
function randomValue(rand: (n: number) => number): { value: unknown; markers: string; params: unknown[] } {
  const scalar = (): unknown => SCALARS[rand(SCALARS.length)]
  const kind = rand(10)
  if (kind < 6) {
    const v = scalar()
    return { value: v, markers: '?', params: [v] }
  }
  if (kind < 9) {
    const items = Array.from({ length: 1 + rand(3) }, scalar)
    const markers = '(' + items.map(() => '?').join(', ') + ')'
    if (kind === 8) {
      const set = new Set(items)
      const unique = [...set]
      return { value: set, markers: '(' + unique.map(() => '?').join(', ') + ')', params: unique }
    }
    return { value: items, markers, params: items }
  }
  const rows = Array.from({ length: 1 + rand(2) }, () => [scalar(), scalar()])
  return {
    value: rows,
    markers: '(' + rows.map(() => '(?, ?)').join(', ') + ')',
    params: rows.flat(),
  }
}

interface Case {
  readonly template: string
  readonly args: unknown
  readonly sql: string
  readonly params: unknown[]
  readonly pieces: readonly Piece[]
  readonly named: boolean
}

type Placeholder = ReturnType<typeof randomValue>

function randomCase(rand: (n: number) => number, backslash: boolean): Case {
  const named = rand(2) === 0
  const quoted = [...QUOTED, ...(backslash ? QUOTED_BACKSLASH : QUOTED_NO_BACKSLASH)]
  const pieces: Piece[] = []
  const byName = new Map<string, Placeholder>()
  const list: unknown[] = []
  const params: unknown[] = []
  const count = 1 + rand(14)
  for (let k = 0; k < count; k++) {
    const kind = rand(12)
    if (kind < 3) pieces.push(WORDS[rand(WORDS.length)]!)
    else if (kind < 4) pieces.push(PERCENT_WORDS[rand(PERCENT_WORDS.length)]!)
    else if (kind < 6) pieces.push(quoted[rand(quoted.length)]!)
    else if (kind < 7) pieces.push(COMMENTS[rand(COMMENTS.length)]!)
    else {
      let name = `p${byName.size}`
      // A named template may use a name again: its value (and all its parameters) again.
      if (named && byName.size > 0 && rand(4) === 0) name = `p${rand(byName.size)}`
      const value = byName.get(name) ?? randomValue(rand)
      byName.set(name, value)
      if (!named) list.push(value.value)
      params.push(...value.params)
      const placeholder = named ? `%(${name})s` : '%s'
      // Sometimes inside an executable comment, which is code to the server.
      const exec = rand(5) === 0
      pieces.push({
        text: exec ? `/*! + ${placeholder} */` : placeholder,
        out: exec ? `/*! + ${value.markers} */` : value.markers,
        hasPlaceholder: true,
      })
    }
  }
  const args = named ? Object.fromEntries([...byName].map(([k, v]) => [k, v.value])) : list
  return {
    template: pieces.map((p) => p.text).join(' '),
    args,
    sql: pieces.map((p) => p.out).join(' '),
    params,
    pieces,
    named,
  }
}

test('random templates: the markers in the output are exactly the parameters', () => {
  const rand = prng(20240229)
  let withLists = 0
  for (const ctx of [bs, nbe]) {
    for (let n = 0; n < 300; n++) {
      const c = randomCase(rand, !ctx.noBackslashEscapes)
      const label = `${JSON.stringify(c.template)} (noBackslashEscapes: ${ctx.noBackslashEscapes})`
      const out = toMarkers(c.template, c.args, ctx)
      assert.equal(markerOffsets(out.sql, !ctx.noBackslashEscapes).length, out.params.length, label)
      assert.equal(out.sql, c.sql, label)
      assert.deepEqual(out.params, c.params, label)
      if (c.sql.includes('(?')) withLists++
    }
  }
  assert.ok(withLists > 100, `only ${withLists} templates had a list`)
})

test('random templates: a placeholder in quotes or a comment, or a bare ?, is always refused', () => {
  const rand = prng(77)
  const badPlaceholders = ["'%s'", '"x %s"', '`%s`', '/* %s */', '-- %s\n', '# %s\n', "'a?%s'"]
  for (const ctx of [bs, nbe]) {
    for (let n = 0; n < 200; n++) {
      const c = randomCase(rand, !ctx.noBackslashEscapes)
      const at = rand(c.pieces.length + 1)
      const texts = c.pieces.map((p) => p.text)
      let args = c.args
      if (rand(3) === 0) {
        texts.splice(at, 0, '?')
      } else {
        const bad = badPlaceholders[rand(badPlaceholders.length)]!
        if (c.named) {
          texts.splice(at, 0, bad.replace('%s', '%(bad)s'))
          args = { ...(c.args as Record<string, unknown>), bad: 1 }
        } else {
          texts.splice(at, 0, bad)
          const before = c.pieces.slice(0, at).filter((p) => p.hasPlaceholder).length
          args = [...(c.args as unknown[])]
          ;(args as unknown[]).splice(before, 0, 1)
        }
      }
      const template = texts.join(' ')
      throwsPE(() => toMarkers(template, args, ctx))
    }
  }
})

describe('toMarkers: the same text run again (its placeholders are remembered, never its values)', () => {
  it('takes each run its own values, lists expanded per run, named or positional', () => {
    const q = 'SELECT * FROM t WHERE a = %s AND b IN %s -- again-1'
    assert.deepEqual(toMarkers(q, [1, [2, 3]], bs), {
      sql: 'SELECT * FROM t WHERE a = ? AND b IN (?, ?) -- again-1',
      params: [1, 2, 3],
    })
    assert.deepEqual(toMarkers(q, ['x', new Set([4])], bs), {
      sql: 'SELECT * FROM t WHERE a = ? AND b IN (?) -- again-1',
      params: ['x', 4],
    })
    const n = 'UPDATE t SET a = %(a)s WHERE id = %(id)s /* again-2 */'
    assert.deepEqual(toMarkers(n, { a: 'v', id: 7 }, bs).params, ['v', 7])
    assert.deepEqual(toMarkers(n, { id: 8, a: null, extra: 1 }, bs).params, [null, 8])
    const one = 'SELECT %s -- again-3'
    assert.deepEqual(toMarkers(one, 5, bs).params, [5])
    const args = [6]
    const marked = toMarkers(one, args, bs)
    assert.deepEqual(marked.params, [6])
    assert.notEqual(marked.params, args, "the parameters are a copy, never the caller's array")
  })

  it('arguments that do not fit throw as they did the first time', () => {
    const q = 'SELECT %s, %s -- again-4'
    toMarkers(q, [1, 2], bs)
    throwsPE(() => toMarkers(q, [1], bs), /not enough arguments/)
    throwsPE(() => toMarkers(q, [1, 2, 3], bs), /3 arguments given but the query has 2/)
    throwsPE(() => toMarkers(q, { a: 1 }, bs), /named values/)
    const n = 'SELECT %(a)s -- again-5'
    toMarkers(n, { a: 1 }, bs)
    throwsPE(() => toMarkers(n, { b: 1 }, bs), /no argument named 'a'/)
    throwsPE(() => toMarkers(n, Object.create({ a: 1 }) as object, bs), /plain object/)
    throwsPE(() => toMarkers(n, [1], bs), /plain object/)
    throwsPE(() => toMarkers(q, [1, new Date(Number.NaN)], bs))
  })

  it('what the lexer decided is not reused under another backslash mode', () => {
    // With backslash escapes the quote ends after \\' ... and the %s is outside it; without them the
    // string ends at the backslash's quote and the %s stands inside the next string.
    const q = "SELECT 'a\\\\', %s, 'b' -- again-6"
    assert.deepEqual(toMarkers(q, [1], bs).params, [1])
    assert.deepEqual(toMarkers(q, [1], nbe).params, [1])
    const tricky = "SELECT 'a\\', %s, '' -- again-7"
    throwsPE(() => toMarkers(tricky, [1], bs), /inside a quoted string/)
    assert.deepEqual(toMarkers(tricky, [1], nbe).params, [1])
    throwsPE(() => toMarkers(tricky, [1], bs), /inside a quoted string/)
  })
})
