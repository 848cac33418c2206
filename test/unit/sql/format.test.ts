// Client-side interpolation (src/sql/format.ts): aiomysql's %s / %(name)s rules, the `?` lexer used
// for compiled Kysely queries, and the multibyte-charset guard.

import assert from 'node:assert/strict'
import { describe, it, test } from 'node:test'

import { NotSupportedError, ProgrammingError } from '../../../src/errors.ts'
import type { EscapeContext } from '../../../src/sql/escape.ts'
import {
  checkQueryArgs,
  formatQuery,
  formatQuestionMarks,
  refuseUnsafeCharset,
} from '../../../src/sql/format.ts'

const bs: EscapeContext = { noBackslashEscapes: false, tzOffset: 0 }
const nbe: EscapeContext = { noBackslashEscapes: true, tzOffset: 0 }

const throwsPE = (fn: () => unknown, re?: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProgrammingError, `expected ProgrammingError, got ${String(e)}`)
    if (re !== undefined) assert.match(e.message, re)
    return true
  })
}

describe('formatQuery: no args', () => {
  it('returns the query untouched, %% and stray % included', () => {
    const q = "SELECT '100%%', '%d', 5 % 2, %s"
    assert.equal(formatQuery(q, undefined, bs), q)
  })
})

describe('formatQuery: positional', () => {
  it('takes array items in order', () => {
    assert.equal(
      formatQuery('INSERT INTO tbl VALUES(%s, %s)', [1, 'a'], bs),
      "INSERT INTO tbl VALUES(1, 'a')",
    )
    assert.equal(formatQuery('%s%s', ['a', null], bs), "'a'NULL")
  })

  it('collapses %% when args are given, even an empty array', () => {
    assert.equal(formatQuery("SELECT '100%%' LIKE %s", ['1%'], bs), "SELECT '100%' LIKE '1%'")
    assert.equal(formatQuery('SELECT 5 %% 2', [], bs), 'SELECT 5 % 2')
    assert.equal(formatQuery('%%%%s', [], bs), '%%s')
    assert.equal(formatQuery('%%%s', [1], bs), '%1')
  })

  it('an array item that is a list becomes an IN list', () => {
    assert.equal(formatQuery('WHERE i IN %s', [[2, 6]], bs), 'WHERE i IN (2,6)')
    assert.equal(formatQuery('WHERE (a,b) IN %s', [[[1, 2]]], bs), 'WHERE (a,b) IN ((1,2))')
  })

  it('too few and too many arguments are errors', () => {
    throwsPE(() => formatQuery('%s %s', [1], bs), /not enough arguments: 1 given.*offset 3/)
    throwsPE(() => formatQuery('%s', [1, 2], bs), /2 arguments given but the query has 1 %s placeholder/)
    throwsPE(() => formatQuery('SELECT 1', [1], bs), /1 argument given but the query has 0/)
    throwsPE(() => formatQuery('SELECT %s', [], bs), /not enough arguments/)
  })

  it('replaces %s inside quotes and comments too (PyMySQL does not lex), always as a whole literal', () => {
    assert.equal(formatQuery("SELECT '%s' /* %s */", ["x'y", 2], bs), "SELECT ''x\\'y'' /* 2 */")
  })

  it('escapes according to the mode', () => {
    assert.equal(formatQuery('SELECT %s', ["a'\\"], bs), "SELECT 'a\\'\\\\'")
    assert.equal(formatQuery('SELECT %s', ["a'\\"], nbe), "SELECT 'a''\\'")
  })
})

describe('formatQuery: single value', () => {
  it('any non-array, non-plain-object value is the one %s argument', () => {
    assert.equal(formatQuery('SELECT %s', 'x', bs), "SELECT 'x'")
    assert.equal(formatQuery('SELECT %s', 5, bs), 'SELECT 5')
    assert.equal(formatQuery('SELECT %s', null, bs), 'SELECT NULL')
    assert.equal(formatQuery('SELECT %s', Buffer.from([1]), bs), "SELECT X'01'")
    assert.equal(formatQuery('SELECT %s', new Date(0), bs), "SELECT '1970-01-01 00:00:00.000'")
    assert.equal(formatQuery('WHERE i IN %s', new Set([1, 2]), bs), 'WHERE i IN (1,2)')
  })

  it('needs exactly one %s', () => {
    throwsPE(() => formatQuery('SELECT %s, %s', 'x', bs), /not enough arguments/)
    throwsPE(() => formatQuery('SELECT 1', 'x', bs), /1 argument given but the query has 0/)
  })

  it('a rejected value type is a ProgrammingError naming the argument', () => {
    throwsPE(() => formatQuery('SELECT %s', new Map(), bs), /argument 1 is an object \(Map\)/)
    throwsPE(() => formatQuery('SELECT %s, %s', [1, NaN], bs), /argument 2 is NaN/)
    throwsPE(() => formatQuery('SELECT %s', [{ a: 1 }], bs), /argument 1 is a plain object/)
  })
})

describe('formatQuery: named', () => {
  it('takes own keys of a plain object', () => {
    assert.equal(formatQuery('SELECT %(a)s, %(b)s, %(a)s', { a: 1, b: "it's" }, bs), "SELECT 1, 'it\\'s', 1")
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { x: true })
    assert.equal(formatQuery('%(x)s', bare, bs), '1')
    assert.equal(formatQuery('%(list)s', { list: [1, 2, 3] }, bs), '(1,2,3)')
  })

  it('allows unused keys and %% (Python rules)', () => {
    assert.equal(formatQuery("SELECT %(a)s, '5%%'", { a: 1, extra: 2 }, bs), "SELECT 1, '5%'")
  })

  it('names may contain balanced parentheses and odd characters, as in Python', () => {
    assert.equal(formatQuery('%(f(x))s %(a-b c)s', { 'f(x)': 1, 'a-b c': 2 }, bs), '1 2')
  })

  it('a missing key is an error', () => {
    throwsPE(() => formatQuery('SELECT %(a)s, %(b)s', { a: 1 }, bs), /no argument named 'b'/)
  })

  it('never reads __proto__, constructor or toString from the prototype', () => {
    throwsPE(() => formatQuery('%(__proto__)s', { a: 1 }, bs), /no argument named '__proto__'/)
    throwsPE(() => formatQuery('%(constructor)s', { a: 1 }, bs), /no argument named 'constructor'/)
    throwsPE(() => formatQuery('%(toString)s', {}, bs), /no argument named 'toString'/)
    throwsPE(() => formatQuery('%(hasOwnProperty)s', Object.create(null) as object, bs), /no argument named/)
  })

  it('an own __proto__ key (from JSON.parse) is an ordinary value', () => {
    const args = JSON.parse('{"__proto__": "p", "constructor": 7}') as Record<string, unknown>
    assert.equal(formatQuery('%(__proto__)s %(constructor)s', args, bs), "'p' 7")
  })

  it('mixing styles is an error', () => {
    throwsPE(() => formatQuery('%(a)s %s', { a: 1 }, bs), /%s at offset 6.*named values/)
    throwsPE(() => formatQuery('%(a)s', [1], bs), /needs the arguments to be a plain object/)
    throwsPE(() => formatQuery('%(a)s', 'x', bs), /needs the arguments to be a plain object/)
  })

  it('class instances and Maps are not named arguments; they are rejected single values', () => {
    throwsPE(() => formatQuery('%(a)s', new Map([['a', 1]]), bs))
    throwsPE(() => formatQuery('SELECT %s', new (class Row {})(), bs), /object/)
  })
})

describe('formatQuery: bad directives', () => {
  for (const q of [
    'SELECT %d',
    'SELECT %f',
    "LIKE 'a%'",
    'x %',
    'SELECT %(a)d',
    'SELECT %(a',
    'SELECT %(a)',
  ]) {
    it(`rejects ${JSON.stringify(q)} when args are given`, () => {
      throwsPE(() => formatQuery(q, { a: 1 }, bs))
      throwsPE(() => formatQuery(q, [1], bs))
    })
  }

  it('says which directive and where', () => {
    throwsPE(() => formatQuery('SELECT %d', [1], bs), /unsupported placeholder '%d' at offset 7/)
    throwsPE(() => formatQuery('SELECT %(a', { a: 1 }, bs), /unterminated %\( placeholder at offset 7/)
  })

  it('rejects a non-string query', () => {
    throwsPE(() => formatQuery(1 as unknown as string, [], bs), /query must be a string/)
  })
})

describe('formatQuestionMarks', () => {
  it('replaces ? in order', () => {
    assert.equal(formatQuestionMarks('select ? , ?', [1, 'a'], bs), "select 1 , 'a'")
    assert.equal(formatQuestionMarks('select 1', [], bs), 'select 1')
    assert.equal(formatQuestionMarks('?', [[1, 2]], bs), '(1,2)')
  })

  it('skips ? in quotes, identifiers and comments', () => {
    const q = "select ?, '?', \"?\", `?`, 'it''s ?', `a``?` -- ?\n, ? # ?\n, /* ? */ ?"
    assert.equal(
      formatQuestionMarks(q, [1, 2, 3], bs),
      "select 1, '?', \"?\", `?`, 'it''s ?', `a``?` -- ?\n, 2 # ?\n, /* ? */ 3",
    )
    assert.equal(formatQuestionMarks('select ? -- ?', [1], bs), 'select 1 -- ?')
    assert.equal(formatQuestionMarks('select ? #?', [1], bs), 'select 1 #?')
    assert.equal(formatQuestionMarks('select ? /* ? ', [1], bs), 'select 1 /* ? ')
  })

  it('treats --x (no space) as an operator, not a comment', () => {
    assert.equal(formatQuestionMarks('select 1--?', [2], bs), 'select 1--2')
    assert.equal(formatQuestionMarks('select 1 --\t?\n?', [2], bs), 'select 1 --\t?\n2')
  })

  it('follows backslash rules of the mode inside strings', () => {
    const q = "select 'a\\', ?"
    // Backslash mode: \' does not close the string, so the ? is inside it.
    throwsPE(() => formatQuestionMarks(q, [1], bs), /1 parameters given but the query has 0/)
    // NO_BACKSLASH_ESCAPES: the string is 'a\' and the ? is a placeholder.
    assert.equal(formatQuestionMarks(q, [1], nbe), "select 'a\\', 1")
  })

  it('treats /*! and /*M! comments as code', () => {
    assert.equal(formatQuestionMarks('select /*!50000 ? */ 1', [7], bs), 'select /*!50000 7 */ 1')
    assert.equal(formatQuestionMarks('select /*M! ? */ 1', [7], bs), 'select /*M! 7 */ 1')
  })

  it('a value containing quotes or comment markers cannot escape its literal', () => {
    assert.equal(
      formatQuestionMarks('select * /* x */ from t where id = ?', ['*/ 1; --'], bs),
      "select * /* x */ from t where id = '*/ 1; --'",
    )
  })

  it('count mismatch is an error', () => {
    throwsPE(() => formatQuestionMarks('select ?, ?', [1], bs), /another \? at offset 10/)
    throwsPE(() => formatQuestionMarks('select ?', [1, 2], bs), /2 parameters given but the query has 1/)
    throwsPE(() => formatQuestionMarks('select 1', 'x' as unknown as unknown[], bs), /must be an array/)
  })

  it('rejects bad values', () => {
    throwsPE(() => formatQuestionMarks('select ?', [{}], bs), /argument 1 is a plain object/)
  })
})

describe('refuseUnsafeCharset', () => {
  it('refuses charsets where 0x5C can be a trail byte', () => {
    for (const cs of ['gbk', 'GBK', 'big5', 'sjis', 'cp932', 'gb18030', 'gbk_chinese_ci', 'big5_bin']) {
      assert.throws(() => refuseUnsafeCharset(cs), NotSupportedError)
    }
    assert.throws(() => refuseUnsafeCharset('sjis'), /backslash can be the trail byte/)
  })

  it('allows the others', () => {
    for (const cs of [
      'utf8mb4',
      'utf8mb4_general_ci',
      'utf8',
      'utf8mb3',
      'latin1',
      'ascii',
      'binary',
      'gb2312',
      'ujis',
    ]) {
      assert.doesNotThrow(() => refuseUnsafeCharset(cs))
    }
  })
})

test('checkQueryArgs throws exactly when formatQuery throws, with the same message', () => {
  const ctx = { noBackslashEscapes: false, tzOffset: 120 }
  const cases: Array<[string, unknown]> = [
    ['%s', [1]],
    ['%s, %s', [1]],
    ['%s', [1, 2]],
    ['%s', []],
    ['%(a)s', { a: 'x' }],
    ['%(a)s', { b: 1 }],
    ['%(a)s', [1]],
    ['%s', { a: 1 }],
    ['%d', [1]],
    ['%(a', { a: 1 }],
    ['%s', [NaN]],
    ['%s', [Infinity]],
    ['%s', [{ x: 1 }]],
    ['%s', [() => 1]],
    ['%s', [Symbol('s')]],
    ['%s', [new Date(NaN)]],
    ['%s', [new Date('9999-12-31T23:30:00Z')]],
    ['%s', [new Date('2020-01-01T00:00:00Z')]],
    ['%s', [[]]],
    ['%s', [[1, [2, 3]]]],
    ['%s', [[[1, [2]]]]],
    ['%s', [new Set()]],
    ['%s', [[1, { a: 1 }]]],
    ['%s', [Buffer.from('x')]],
    ['%s', ["it's"]],
    ['%s', [10n]],
    ['%s', [null]],
    ['%s', 'single'],
    ['%s %%', ['x']],
  ]
  for (const [i, [query, args]] of cases.entries()) {
    let expected: string | null = null
    try {
      formatQuery(query, args, ctx)
    } catch (e) {
      expected = (e as Error).message
    }
    let actual: string | null = null
    try {
      checkQueryArgs(query, args, ctx)
    } catch (e) {
      actual = (e as Error).message
    }
    assert.equal(actual, expected, `case ${i}: ${query}`)
  }
})
