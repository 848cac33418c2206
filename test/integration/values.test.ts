import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DictCursor, ProgrammingError } from '../../src/index.ts'
import { questions, tableName, withConnection } from '../support/db.ts'

class Point {
  x = 1
}

test('every rejected value is a ProgrammingError and nothing reaches the server', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor()
    const bad: unknown[] = [
      NaN,
      Infinity,
      -Infinity,
      new Date('nope'),
      [],
      { a: 1 },
      new Map([[1, 2]]),
      () => 1,
      Symbol('s'),
      new Point(),
      new Set(),
    ]
    const before = await questions(conn)
    for (const value of bad) {
      await assert.rejects(cur.execute('SELECT %s', [value]), ProgrammingError, String(value))
    }
    await assert.rejects(cur.execute('SELECT %s, %s', [1]), ProgrammingError)
    await assert.rejects(cur.execute('SELECT %s', [1, 2]), ProgrammingError)
    await assert.rejects(cur.execute('SELECT %(a)s', { b: 1 }), ProgrammingError)
    // Only the SHOW STATUS itself was counted after `before`.
    assert.equal((await questions(conn)) - before, 1)
  })
})

test("the string \\' OR 1=1 -- matches zero rows with and without NO_BACKSLASH_ESCAPES", async () => {
  await withConnection(async (conn) => {
    const t = tableName('inj')
    await conn.query(`CREATE TABLE ${t} (name VARCHAR(64))`)
    try {
      await conn.query(`INSERT INTO ${t} VALUES ('alice'), ('bob')`)
      const attack = "\\' OR 1=1 -- "
      for (const mode of ['', 'NO_BACKSLASH_ESCAPES']) {
        await conn.query('SET SESSION sql_mode = %s', [mode])
        const cur = conn.cursor()
        assert.equal(await cur.execute(`SELECT * FROM ${t} WHERE name = %s`, [attack]), 0, `sql_mode=${mode}`)
        // And the value itself survives the round trip unchanged.
        assert.deepEqual(await conn.query('SELECT %s AS v', [attack]), [{ v: attack }])
      }
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('a column named __proto__ (or constructor, toString) is an own property; prototypes untouched', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(DictCursor)
    await cur.execute(
      "SELECT 1 AS `__proto__`, 2 AS `constructor`, 3 AS `toString`, JSON_OBJECT('__proto__', JSON_OBJECT('polluted', 1)) AS j",
    )
    const row = (await cur.fetchOne())!
    assert.equal(Object.getPrototypeOf(row), Object.prototype)
    assert.deepEqual(Object.keys(row), ['__proto__', 'constructor', 'toString', 'j'])
    assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 1)
    assert.equal(row['constructor'], 2)
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
  })
})

test('a query larger than 16 MiB round-trips', async () => {
  await withConnection(async (conn) => {
    const big = 'x'.repeat(17 * 1024 * 1024)
    const [row] = await conn.query<{ n: number; tail: string }>(
      'SELECT LENGTH(%s) AS n, RIGHT(%s, 3) AS tail',
      [big, big],
    )
    assert.equal(row!.n, big.length)
    assert.equal(row!.tail, 'xxx')
    const [row2] = await conn.query<{ s: string }>('SELECT %s AS s', [big])
    assert.equal(row2!.s.length, big.length)
  })
})

test('multibyte charsets with backslash trail bytes are refused for client-side interpolation', async () => {
  await withConnection(async (conn) => {
    await conn.setCharset('gbk')
    await assert.rejects(conn.query('SELECT %s', ['x']), /gbk/)
    // Without arguments nothing is interpolated, so the statement runs.
    assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }])
  })
})

test('regression: sql`` fragments are refused under gbk like %s arguments (no unsafe escaping)', async () => {
  const { sql } = await import('../../src/index.ts')
  await withConnection(async (conn) => {
    await conn.setCharset('gbk')
    await assert.rejects(conn.query(sql`SELECT ${'x'} AS v`), /gbk/)
  })
})
