// The cursorClass option (SPEC §2, aiomysql's cursorclass): `conn.cursor()` without a class makes
// the configured one, on connect() and on every pooled connection, and is typed as it; an explicit
// class still wins; a value that is not a cursor class is a ProgrammingError before connecting.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  connect,
  createPool,
  Cursor,
  DictCursor,
  ProgrammingError,
  SSDictCursor,
  type CursorClass,
} from '../../src/index.ts'
import { serverUrl } from '../support/env.ts'

void test('connect({ cursorClass: DictCursor<Row> }): cursor() makes dict rows, typed so', async () => {
  const conn = await connect(serverUrl, { cursorClass: DictCursor<{ one: number; two: string }> })
  try {
    const cur = conn.cursor()
    assert.ok(cur instanceof DictCursor)
    await cur.execute('SELECT 1 AS one, %s AS two', ['2'])
    const row = await cur.fetchOne()
    // Compiles only because cursor() is typed DictCursor: rows are records.
    assert.deepEqual([row?.one, row?.two], [1, '2'])
    // An explicit class still wins.
    const plain = conn.cursor(Cursor)
    await plain.execute('SELECT 1')
    assert.deepEqual(await plain.fetchOne(), [1])
  } finally {
    conn.close()
  }
})

void test('createPool({ cursorClass: SSDictCursor }): every pooled connection uses it, in transactions too', async () => {
  const pool = await createPool(serverUrl, {
    cursorClass: SSDictCursor<Record<string, unknown>>,
    minSize: 1,
    maxSize: 2,
  })
  try {
    {
      await using conn = await pool.acquire()
      await using cur = conn.cursor()
      assert.ok(cur instanceof SSDictCursor)
      await cur.execute('SELECT 7 AS seven')
      const rows: Record<string, unknown>[] = []
      for await (const row of cur) rows.push(row)
      assert.deepEqual(rows, [{ seven: 7 }])
    }
    const got = await pool.transaction(async (conn) => {
      const cur = conn.cursor()
      await cur.execute('SELECT 8 AS eight')
      return (await cur.fetchAll())[0]?.['eight']
    })
    assert.equal(got, 8)
  } finally {
    pool.close()
    await pool.waitClosed()
  }
})

void test('cursorClass must be a cursor class: refused before anything is sent', async () => {
  for (const bad of [Map, 'DictCursor', {}, () => 1]) {
    await assert.rejects(
      connect(serverUrl, { cursorClass: bad as unknown as CursorClass }),
      (e: unknown) => e instanceof ProgrammingError && /cursorClass/.test(e.message),
    )
  }
  await assert.rejects(
    connect(`${serverUrl}${serverUrl.includes('?') ? '&' : '?'}cursorClass=DictCursor`),
    ProgrammingError,
  )
})
