// castColumn, the per-column conversion hook (issue 13 item 7): chosen once per column when a
// result's definitions arrive, the same through text and prepared statements; NULL never reaches a
// converter; a hook that throws fails the statement and closes the connection (no hang, no
// half-read result); the default path without a hook is unchanged.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ColumnType, MySQLError, type CastColumn, type Column } from '../../src/index.ts'
import { open, tableName } from '../support/db.ts'

/** TINYINT(1) as boolean, DECIMAL as number; everything else standard. Counts its calls. */
function booleanTinyints(): { hook: CastColumn; seen: string[] } {
  const seen: string[] = []
  const hook: CastColumn = (c: Column) => {
    seen.push(c.name)
    if (c.type === ColumnType.MYSQL_TYPE_TINY && c.columnLength === 1) return (v) => v === 1
    if (c.type === ColumnType.MYSQL_TYPE_NEWDECIMAL) return (v) => Number(v)
    return undefined
  }
  return { hook, seen }
}

void test('castColumn converts per column, the same through text and prepared, called once per column', async () => {
  const { hook, seen } = booleanTinyints()
  const conn = await open({ castColumn: hook, autocommit: true })
  const t = tableName('cast')
  try {
    await conn.query(
      `CREATE TABLE ${t} (id INT PRIMARY KEY, flag TINYINT(1) NULL, small TINYINT, price DECIMAL(10,2))`,
    )
    await conn.query(`INSERT INTO ${t} VALUES (1, 1, 1, 9.50), (2, 0, 7, 0.25), (3, NULL, NULL, NULL)`)
    for (const prepare of [false, true]) {
      seen.length = 0
      const rows = await conn.query(
        `SELECT id, flag, small, price FROM ${t} WHERE id > %s ORDER BY id`,
        [0],
        {
          prepare,
        },
      )
      assert.deepEqual(
        rows,
        [
          { id: 1, flag: true, small: 1, price: 9.5 },
          { id: 2, flag: false, small: 7, price: 0.25 },
          { id: 3, flag: null, small: null, price: null },
        ],
        `prepare: ${prepare}`,
      )
      // Chosen when the definitions arrived: at most once per column, not once per value (3 rows).
      assert.ok(seen.length <= 4, `${seen.length} calls: ${seen.join(',')}`)
    }
  } finally {
    await conn.query(`DROP TABLE IF EXISTS ${t}`).catch(() => {})
    conn.close()
  }
})

void test('castColumn returning undefined everywhere leaves every value as without the hook', async () => {
  const plain = await open()
  const hooked = await open({ castColumn: () => undefined })
  try {
    const sql =
      "SELECT 1 AS i, 'x' AS s, 1.25 AS d, CAST('2024-01-02' AS DATE) AS dt, NULL AS n, X'00ff' AS b"
    assert.deepEqual(await hooked.query(sql), await plain.query(sql))
  } finally {
    plain.close()
    hooked.close()
  }
})

void test('a castColumn hook that throws fails the statement with its message and closes the connection', async () => {
  const conn = await open({
    castColumn: (c) => {
      if (c.name === 'boom') throw new Error('hook exploded')
      return undefined
    },
  })
  try {
    await assert.rejects(conn.query('SELECT 1 AS fine, 2 AS boom'), (e: unknown) => {
      assert.ok(e instanceof MySQLError, 'a MySQLError')
      assert.match(e.message, /hook exploded/)
      assert.equal(e.fatal, true)
      return true
    })
    assert.equal(conn.closed, true)
  } finally {
    conn.close()
  }
  const bad = await open({
    castColumn: ((c: Column) => (c.name === 'x' ? 42 : undefined)) as unknown as CastColumn,
  })
  try {
    await assert.rejects(bad.query('SELECT 1 AS x'), /castColumn must return a function or undefined/)
  } finally {
    bad.close()
  }
})

void test('castColumn must be a function, and cannot come from a URL', async () => {
  await assert.rejects(open({ castColumn: 'yes' as unknown as CastColumn }), /castColumn must be a function/)
})
