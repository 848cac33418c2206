// The sql tagged template (src/sql/tag.ts): values always bound, fragments composable, identifiers
// quoted, raw text only through sql.raw, and a brand that plain data cannot forge.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'

import { ProgrammingError } from '../../../src/errors.ts'
import type { EscapeContext } from '../../../src/sql/escape.ts'
import { compileFragment, isSqlFragment, renderFragment, SqlFragment, sql } from '../../../src/sql/tag.ts'

const bs: EscapeContext = { noBackslashEscapes: false, tzOffset: 0 }
const nbe: EscapeContext = { noBackslashEscapes: true, tzOffset: 0 }

describe('sql tag: values', () => {
  it('binds every ${} as a value', () => {
    const name = "x' OR 1=1 -- "
    const f = sql`SELECT * FROM t WHERE id = ${5} AND name = ${name} AND d IS ${null}`
    assert.equal(
      renderFragment(f, bs),
      "SELECT * FROM t WHERE id = 5 AND name = 'x\\' OR 1=1 -- ' AND d IS NULL",
    )
    assert.equal(
      renderFragment(f, nbe),
      "SELECT * FROM t WHERE id = 5 AND name = 'x'' OR 1=1 -- ' AND d IS NULL",
    )
    assert.deepEqual(compileFragment(f), {
      sql: 'SELECT * FROM t WHERE id = ? AND name = ? AND d IS ?',
      parameters: [5, name, null],
    })
  })

  it('a string that looks like SQL, or a %s / ?, stays a value', () => {
    const f = sql`SELECT ${'NOW()'}, ${'%s'}, ${'?'}`
    assert.equal(renderFragment(f, bs), "SELECT 'NOW()', '%s', '?'")
    assert.deepEqual(compileFragment(f).parameters, ['NOW()', '%s', '?'])
  })

  it('lists become (a, b) in both renderings', () => {
    const f = sql`WHERE id IN ${[1, 2, 3]} AND (a, b) IN ${[[1, 'x'], new Set([2, 'y'])]}`
    assert.equal(renderFragment(f, bs), "WHERE id IN (1,2,3) AND (a, b) IN ((1,'x'),(2,'y'))")
    assert.deepEqual(compileFragment(f), {
      sql: 'WHERE id IN (?, ?, ?) AND (a, b) IN ((?, ?), (?, ?))',
      parameters: [1, 2, 3, 1, 'x', 2, 'y'],
    })
  })

  it('rejected values fail in both renderings', () => {
    for (const bad of [{ a: 1 }, new Map(), NaN, [], [[[1]]], () => 1, new Date(NaN)]) {
      const f = sql`SELECT ${bad}`
      assert.throws(() => renderFragment(f, bs), ProgrammingError)
      assert.throws(() => compileFragment(f), ProgrammingError)
    }
  })

  it('escape sequences in the template are cooked like a string literal', () => {
    assert.equal(renderFragment(sql`SELECT 'a\tb'`, bs), "SELECT 'a\tb'")
  })
})

describe('sql tag: composition', () => {
  it('splices nested fragments, keeping value order', () => {
    const where = sql`a = ${1} AND b = ${'two'}`
    const f = sql`SELECT * FROM t WHERE ${where} OR c = ${3}`
    assert.equal(renderFragment(f, bs), "SELECT * FROM t WHERE a = 1 AND b = 'two' OR c = 3")
    assert.deepEqual(compileFragment(f), {
      sql: 'SELECT * FROM t WHERE a = ? AND b = ? OR c = ?',
      parameters: [1, 'two', 3],
    })
    const deeper = sql`(${sql`(${sql`${0}`})`})`
    assert.equal(renderFragment(deeper, bs), '((0))')
  })

  it('sql.id quotes identifiers, doubling backticks', () => {
    assert.equal(renderFragment(sql`SELECT * FROM ${sql.id('users')}`, bs), 'SELECT * FROM `users`')
    assert.equal(renderFragment(sql.id('we`ird'), bs), '`we``ird`')
    assert.equal(renderFragment(sql.id('db', 't'), bs), '`db`.`t`')
    assert.equal(renderFragment(sql.id('db', 't', 'c'), bs), '`db`.`t`.`c`')
    assert.equal(renderFragment(sql.id('a.b'), bs), '`a.b`')
    assert.deepEqual(compileFragment(sql`SELECT ${sql.id('c')} FROM t`), {
      sql: 'SELECT `c` FROM t',
      parameters: [],
    })
    assert.throws(() => sql.id(''), ProgrammingError)
    assert.throws(() => sql.id('a\0'), ProgrammingError)
  })

  it('sql.raw splices text as is', () => {
    const dir = sql.raw('DESC')
    assert.equal(renderFragment(sql`SELECT 1 ORDER BY a ${dir}`, bs), 'SELECT 1 ORDER BY a DESC')
    assert.equal(renderFragment(sql.raw(''), bs), '')
    assert.throws(() => sql.raw(5 as unknown as string), ProgrammingError)
  })

  it('sql.join joins values and fragments', () => {
    const cols = sql.join(['a', 'b'].map((c) => sql.id(c)))
    const vals = sql.join([1, sql`NOW()`, 'x'])
    const f = sql`INSERT INTO t (${cols}) VALUES (${vals})`
    assert.equal(renderFragment(f, bs), "INSERT INTO t (`a`, `b`) VALUES (1, NOW(), 'x')")
    assert.deepEqual(compileFragment(f), {
      sql: 'INSERT INTO t (`a`, `b`) VALUES (?, NOW(), ?)',
      parameters: [1, 'x'],
    })
    assert.equal(renderFragment(sql.join([sql`a = ${1}`, sql`b = ${2}`], sql` AND `), bs), 'a = 1 AND b = 2')
    assert.equal(renderFragment(sql.join([]), bs), '')
    assert.equal(renderFragment(sql.join(new Set([7])), bs), '7')
    assert.throws(() => sql.join([1], ', ' as unknown as SqlFragment), ProgrammingError)
    assert.throws(() => sql.join(5 as unknown as unknown[]), ProgrammingError)
  })

  it('compileFragment gives a ? per value, none for raw text or identifiers', () => {
    const f = sql`UPDATE ${sql.id('t')} SET ${sql.join([sql`a = ${1}`, sql`b = ${null}`])} WHERE id IN ${[7, 8]} ${sql.raw('LIMIT 1')}`
    assert.deepEqual(compileFragment(f), {
      sql: 'UPDATE `t` SET a = ?, b = ? WHERE id IN (?, ?) LIMIT 1',
      parameters: [1, null, 7, 8],
    })
  })
})

describe('sql tag: brand', () => {
  it('isSqlFragment only accepts real fragments', () => {
    assert.equal(isSqlFragment(sql`x`), true)
    assert.equal(isSqlFragment(sql.raw('x')), true)
    assert.equal(isSqlFragment({ parts: ['DROP TABLE t'] }), false)
    assert.equal(isSqlFragment(JSON.parse('{"sql":"x","parts":["x"]}')), false)
    assert.equal(isSqlFragment(Object.create(SqlFragment.prototype)), false)
    assert.equal(isSqlFragment(null), false)
    assert.equal(isSqlFragment('x'), false)
  })

  it('look-alike objects are bound as values (and rejected), never spliced', () => {
    const fake = Object.create(SqlFragment.prototype) as SqlFragment
    assert.throws(() => renderFragment(sql`SELECT ${fake}`, bs), ProgrammingError)
    assert.throws(() => renderFragment(fake, bs), ProgrammingError)
    assert.throws(() => compileFragment(fake), ProgrammingError)
  })

  it('fragments cannot be constructed or changed from outside', () => {
    const Ctor = SqlFragment as unknown as new (k: symbol, p: unknown[]) => SqlFragment
    assert.throws(() => new Ctor(Symbol('x'), ['DROP TABLE t']), ProgrammingError)
    const f = sql`SELECT 1`
    assert.ok(Object.isFrozen(f))
    assert.ok(Object.isFrozen(sql))
  })

  it('sql must be used as a tag', () => {
    const call = sql as unknown as (s: unknown) => unknown
    assert.throws(() => call('SELECT 1'), ProgrammingError)
  })

  it('inspect shows the SQL shape but not the values', () => {
    const shown = inspect(sql`SELECT ${'secret'}`)
    assert.equal(shown, 'SqlFragment("SELECT ?")')
    assert.equal(inspect(sql`SELECT ${{ bad: 'value' }}`), 'SqlFragment("SELECT ?")')
  })
})
