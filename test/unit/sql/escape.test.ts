// Literals and identifiers (src/sql/escape.ts): exact SQL text for every accepted value type, and a
// ProgrammingError for every rejected one, with messages that never echo the value.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ProgrammingError } from '../../../src/errors.ts'
import {
  checkValue,
  type EscapeContext,
  escapeId,
  escapeString,
  literal,
  quoteQualifiedId,
} from '../../../src/sql/escape.ts'

const bs: EscapeContext = { noBackslashEscapes: false, tzOffset: 0 }
const nbe: EscapeContext = { noBackslashEscapes: true, tzOffset: 0 }

describe('escapeString', () => {
  it('escapes what mysql_real_escape_string escapes, in backslash mode', () => {
    assert.equal(escapeString('\0\n\r\x1a"\'\\', false), '\\0\\n\\r\\Z\\"\\\'\\\\')
    assert.equal(escapeString("foo'bar", false), "foo\\'bar")
    assert.equal(escapeString('foo\nbar', false), 'foo\\nbar')
  })

  it('leaves other characters alone (tabs, %, ?, multibyte text)', () => {
    const s = 'tab\there 100% ? `x` ünï 😀 \u2028'
    assert.equal(escapeString(s, false), s)
    assert.equal(escapeString(s, true), s)
    assert.equal(escapeString('', false), '')
  })

  it('only doubles quotes under NO_BACKSLASH_ESCAPES; backslashes are ordinary there', () => {
    assert.equal(escapeString("foo'bar", true), "foo''bar")
    assert.equal(escapeString('a\\b\n"c\0', true), 'a\\b\n"c\0')
    assert.equal(escapeString("''", true), "''''")
  })

  it('gives the same result for short and long strings (two code paths), surrogates included', () => {
    const table: Record<string, string> = {
      '\0': '\\0',
      '\n': '\\n',
      '\r': '\\r',
      '\x1a': '\\Z',
      '"': '\\"',
      "'": "\\'",
      '\\': '\\\\',
    }
    const reference = (s: string): string => [...s].map((c) => table[c] ?? c).join('')
    const alphabet = [
      'a',
      'ü',
      '😀',
      '\ud800',
      '\udfff',
      '\0',
      '\n',
      '\r',
      '\x1a',
      '"',
      "'",
      '\\',
      '%',
      '?',
      '`',
      ' ',
    ]
    let seed = 1
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n
    for (const len of [1, 5, 100, 255, 256, 257, 1000, 70_000]) {
      let s = ''
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)]
      assert.equal(escapeString(s, false), reference(s), `length ${len}`)
      assert.equal(escapeString(s, true), s.replaceAll("'", "''"), `length ${len}`)
    }
    const long = "x'".repeat(1000) + '\ud800'
    assert.equal(escapeString(long, false), "x\\'".repeat(1000) + '\ud800')
  })

  it("neutralises \\' OR 1=1 --  in both modes", () => {
    const attack = "\\' OR 1=1 -- "
    // Backslash mode: the attacker's backslash becomes \\ (a literal backslash) and their quote \'
    // (a literal quote), so the server sees one string: backslash, quote, " OR 1=1 -- ".
    assert.equal(literal(attack, bs), "'\\\\\\' OR 1=1 -- '")
    // NO_BACKSLASH_ESCAPES: a backslash escapes nothing, so escaping it would corrupt data; the quote
    // is doubled ('' is a literal quote), and the literal still ends only at the final quote.
    assert.equal(literal(attack, nbe), "'\\'' OR 1=1 -- '")
    // Backslash escaping under NO_BACKSLASH_ESCAPES would be the injectable combination: there the
    // server reads '\\\' as a complete string and runs OR 1=1; hence the mode is checked per statement.
  })
})

describe('literal', () => {
  it('NULL, booleans, bigint', () => {
    assert.equal(literal(null, bs), 'NULL')
    assert.equal(literal(undefined, bs), 'NULL')
    assert.equal(literal(true, bs), '1')
    assert.equal(literal(false, bs), '0')
    assert.equal(literal(123n, bs), '123')
    assert.equal(literal(-18446744073709551615n, bs), '-18446744073709551615')
  })

  it('integers as digits, other numbers as DOUBLE literals', () => {
    assert.equal(literal(2, bs), '2')
    assert.equal(literal(-42, bs), '-42')
    assert.equal(literal(-0, bs), '0')
    assert.equal(literal(Number.MAX_SAFE_INTEGER, bs), '9007199254740991')
    // Exact digits of the double, not String()'s rounded '1152921504606847000'.
    assert.equal(literal(2 ** 60, bs), '1152921504606846976')
    assert.equal(literal(-(2 ** 63), bs), '-9223372036854775808')
    assert.equal(literal(2 ** 64, bs), '18446744073709552000e0')
    assert.equal(literal(1e300, bs), '1e+300')
    assert.equal(literal(3.1415, bs), '3.1415e0')
    assert.equal(literal(1.5, bs), '1.5e0')
    assert.equal(literal(-0.1, bs), '-0.1e0')
    assert.equal(literal(1e-7, bs), '1e-7')
    assert.equal(literal(5e-324, bs), '5e-324')
  })

  it('strings quoted and escaped per mode', () => {
    assert.equal(literal('foo', bs), "'foo'")
    assert.equal(literal("foo'bar", bs), "'foo\\'bar'")
    assert.equal(literal("foo'bar", nbe), "'foo''bar'")
    assert.equal(literal('', bs), "''")
  })

  it('bytes as X hex literals, all 256 byte values, in either mode', () => {
    const all = Buffer.alloc(256)
    for (let i = 0; i < 256; i++) all[i] = i
    let hex = ''
    for (let i = 0; i < 256; i++) hex += i.toString(16).padStart(2, '0')
    assert.equal(literal(all, bs), `X'${hex}'`)
    assert.equal(literal(all, nbe), `X'${hex}'`)
    assert.match(literal(all, bs), /^X'[0-9a-f]{512}'$/)
    assert.equal(literal(Buffer.alloc(0), bs), "X''")
    assert.equal(literal(new Uint8Array([0x27, 0x5c, 0xbf]), bs), "X'275cbf'")
    // A view into a larger buffer covers only its own bytes.
    const view = new Uint8Array(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)
    assert.equal(literal(view, bs), "X'0203'")
    assert.equal(literal(all.subarray(250, 252), bs), "X'fafb'")
  })

  it('Dates in the context timezone with milliseconds', () => {
    const d = new Date(Date.UTC(2024, 1, 29, 23, 5, 9, 7))
    assert.equal(literal(d, bs), "'2024-02-29 23:05:09.007'")
    assert.equal(literal(d, { noBackslashEscapes: false, tzOffset: 120 }), "'2024-03-01 01:05:09.007'")
    assert.equal(literal(d, { noBackslashEscapes: false, tzOffset: -330 }), "'2024-02-29 17:35:09.007'")
    const local = new Date(2001, 2, 3, 4, 5, 6, 789)
    assert.equal(literal(local, { noBackslashEscapes: false, tzOffset: null }), "'2001-03-03 04:05:06.789'")
  })

  it('arrays and Sets as (a, b, c), one nesting level for row constructors', () => {
    assert.equal(literal([1, 'a', null, true], bs), "(1,'a',NULL,1)")
    assert.equal(literal([7], bs), '(7)')
    // aiomysql spells lists without spaces: (3,4).
    assert.equal(literal(new Set([3, 4]), bs), '(3,4)')
    assert.equal(
      literal(
        [
          [1, 2],
          [3, 4],
        ],
        bs,
      ),
      '((1,2),(3,4))',
    )
    assert.equal(literal([new Set(['x']), ["o'k"]], bs), "(('x'),('o\\'k'))")
    assert.equal(literal(["o'k"], nbe), "('o''k')")
  })

  const rejected: [string, unknown][] = [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['invalid Date', new Date('nope')],
    ['Date after 9999', new Date(Date.UTC(10000, 0, 1))],
    ['Date before year 0', new Date(Date.UTC(-1, 0, 1))],
    ['empty array', []],
    ['empty Set', new Set()],
    ['empty nested array', [[]]],
    ['three levels', [[[1]]]],
    ['plain object', { password: 1 }],
    ['null-prototype object', Object.create(null) as object],
    ['Map', new Map([['a', 1]])],
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['class instance', new (class Foo {})()],
    ['ArrayBuffer', new ArrayBuffer(2)],
    ['Int16Array', new Int16Array(2)],
    ['boxed string', new String('x')],
    ['RegExp', /x/],
    ['Promise', Promise.resolve(1)],
    ['object with toSqlString', { toSqlString: () => 'NOW()' }],
    ['object inside a list', [1, { a: 1 }]],
    ['NaN inside a list', [1, NaN]],
  ]
  for (const [name, value] of rejected) {
    it(`rejects ${name}`, () => {
      assert.throws(() => literal(value, bs), ProgrammingError)
    })
  }

  it('error messages name the problem but never the value', () => {
    assert.throws(
      () => literal({ secret: 'hunter2' }, bs),
      (e: unknown) => {
        assert.ok(e instanceof ProgrammingError)
        assert.match(e.message, /plain object/)
        assert.doesNotMatch(e.message, /hunter2|secret/)
        return true
      },
    )
    assert.throws(() => literal(new Map(), bs), /object \(Map\)/)
    assert.throws(() => literal([], bs), /empty list/)
    assert.throws(() => literal(NaN, bs), /NaN or Infinity/)
  })
})

describe('checkValue', () => {
  it('accepts what literal accepts and rejects the same scalars', () => {
    for (const v of [
      null,
      undefined,
      1,
      1.5,
      2n,
      'x',
      true,
      Buffer.alloc(1),
      new Date(0),
      [1],
      new Set([1]),
    ]) {
      assert.doesNotThrow(() => checkValue(v, 0))
    }
    for (const v of [NaN, Infinity, new Date(NaN), {}, new Map(), () => 1, Symbol('s')]) {
      assert.throws(() => checkValue(v, 0), ProgrammingError)
    }
  })
})

describe('escapeId / quoteQualifiedId', () => {
  it('quotes with backticks, doubling backticks inside', () => {
    assert.equal(escapeId('users'), '`users`')
    assert.equal(escapeId('we`ird'), '`we``ird`')
    assert.equal(escapeId('`'), '````')
    assert.equal(escapeId('a b; DROP TABLE x'), '`a b; DROP TABLE x`')
    assert.equal(escapeId('ünï'), '`ünï`')
  })

  it('does not split on dots', () => {
    assert.equal(escapeId('db.table'), '`db.table`')
  })

  it('rejects empty names, NUL bytes and non-strings', () => {
    assert.throws(() => escapeId(''), ProgrammingError)
    assert.throws(() => escapeId('a\0b'), ProgrammingError)
    assert.throws(() => escapeId(1 as unknown as string), ProgrammingError)
  })

  it('quoteQualifiedId splits on dots for db.proc', () => {
    assert.equal(quoteQualifiedId('proc'), '`proc`')
    assert.equal(quoteQualifiedId('db.proc'), '`db`.`proc`')
    assert.equal(quoteQualifiedId('d`b.p'), '`d``b`.`p`')
    assert.throws(() => quoteQualifiedId('db.'), ProgrammingError)
    assert.throws(() => quoteQualifiedId('.p'), ProgrammingError)
  })
})
