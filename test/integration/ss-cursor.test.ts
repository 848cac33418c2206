import assert from 'node:assert/strict'
import { liveHeapGrowth } from '../support/heap.ts'
import { test } from 'node:test'
import { NotSupportedError, SSCursor, SSDictCursor } from '../../src/index.ts'
import { withConnection } from '../support/db.ts'

test('SSCursor streams rows; rowCount is -1 until exhausted; forward-only scroll', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    assert.equal(await cur.execute('SELECT seq FROM seq_1_to_100'), -1)
    assert.deepEqual(await cur.fetchOne(), [1])
    assert.deepEqual(await cur.fetchMany(2), [[2], [3]])
    await cur.scroll(2)
    assert.deepEqual(await cur.fetchOne(), [6])
    await assert.rejects(cur.scroll(-1), NotSupportedError)
    await cur.scroll(10, 'absolute')
    assert.deepEqual(await cur.fetchOne(), [11])
    assert.equal(cur.rowCount, -1)
    assert.equal((await cur.fetchAll()).length, 89)
    assert.equal(cur.rowCount, 100)
    await cur.close()
  })
})

test('SSDictCursor with for await', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSDictCursor<{ seq: number }>)
    await cur.execute('SELECT seq FROM seq_1_to_5')
    let sum = 0
    for await (const row of cur) sum += row.seq
    assert.equal(sum, 15)
  })
})

test('abandoning a stream mid-way, then another query on the same connection returns the right rows', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    await cur.execute('SELECT seq FROM seq_1_to_100000')
    assert.deepEqual(await cur.fetchOne(), [1])
    assert.deepEqual(await conn.query('SELECT 42 AS answer'), [{ answer: 42 }])
    await assert.rejects(cur.fetchOne(), /discarded/)
    await cur.execute('SELECT 7')
    assert.deepEqual(await cur.fetchAll(), [[7]])
    await cur.execute('SELECT seq FROM seq_1_to_100000')
    await cur.close()
    assert.deepEqual(await conn.query('SELECT 43 AS answer'), [{ answer: 43 }])
  })
})

test('an error packet in the middle of a stream ends it with that error; the connection stays usable', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    await cur.execute(
      'SET STATEMENT max_statement_time = 0.3 FOR SELECT seq, SLEEP(0.001) FROM seq_1_to_100000',
    )
    const err = await (async () => {
      for (let i = 0; i < 200000; i++) if ((await cur.fetchOne()) === null) return null
      return null
    })().catch((e: unknown) => e)
    assert.ok(err instanceof Error)
    assert.equal((err as Error & { errno: number }).errno, 1969)
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
  })
})

test('unbuffered nextSet over multiple results, including an error in a later statement', async () => {
  await withConnection(
    async (conn) => {
      const cur = conn.cursor(SSCursor)
      await cur.execute('SELECT 1; SELECT 2; xyzzy')
      assert.deepEqual(await cur.fetchAll(), [[1]])
      assert.equal(await cur.nextSet(), true)
      assert.deepEqual(await cur.fetchOne(), [2])
      await assert.rejects(cur.nextSet(), /syntax/)
      assert.deepEqual(await conn.query('SELECT 3 AS x'), [{ x: 3 }])
    },
    { multiStatements: true },
  )
})

test('streaming 1,000,000 rows keeps heap growth bounded while consuming slowly', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    await cur.execute("SELECT seq, REPEAT('x', 100) FROM seq_1_to_1000000")
    const growth = liveHeapGrowth()
    let n = 0
    let peak = 0
    for await (const row of cur) {
      n++
      if (row.length !== 2) assert.fail('bad row')
      if (n % 50000 === 0) {
        // Slow consumer: give the socket time to fill any buffer it could.
        await new Promise((r) => setTimeout(r, 20))
        peak = Math.max(peak, growth())
      }
    }
    assert.equal(n, 1_000_000)
    // 1M rows of ~110 bytes would be >150 MB if buffered; a stream stays far below.
    assert.ok(peak < 16 * 1024 * 1024, `heap grew by ${Math.round(peak / 1048576)} MiB`)
  })
})
