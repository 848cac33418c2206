import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SSCursor } from '../../src/index.ts'
import { questions, runningStatements, withConnection } from '../support/db.ts'

const isCancel = (e: unknown): boolean => {
  const code = (e as { code?: string }).code
  return code === 'ABORT_ERR' || code === 'ER_STATEMENT_TIMEOUT'
}

test('an already-aborted signal rejects before anything is sent', async () => {
  await withConnection(async (conn) => {
    const before = await questions(conn)
    await assert.rejects(conn.query('SELECT 1', undefined, { signal: AbortSignal.abort() }), isCancel)
    assert.equal((await questions(conn)) - before, 1)
  })
})

test('timeoutMs stops a long statement on the server and the connection stays usable', async () => {
  await withConnection(async (conn) => {
    const started = Date.now()
    const cur = conn.cursor()
    await assert.rejects(cur.execute('SELECT SLEEP(10)', undefined, { timeoutMs: 200 }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ER_STATEMENT_TIMEOUT')
      return true
    })
    assert.ok(Date.now() - started < 2000)
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
    assert.equal(await runningStatements(conn.threadId(), 'SELECT SLEEP%'), 0)
  })
})

test('a queued statement aborted before its turn is never sent', async () => {
  await withConnection(async (conn) => {
    const ac = new AbortController()
    const slow = conn.query('SELECT SLEEP(0.2) AS s')
    const queued = conn.query('SELECT 2 AS two', undefined, { signal: ac.signal })
    ac.abort()
    await assert.rejects(queued, isCancel)
    assert.deepEqual(await slow, [{ s: 0 }])
  })
})

test('an unbuffered fetch can be aborted mid-stream; the stream ends and the connection is usable', async () => {
  await withConnection(async (conn) => {
    const cur = conn.cursor(SSCursor)
    // Wide rows, so the server's 16 KiB network buffer flushes every few rows and they trickle in.
    await cur.execute("SELECT seq, REPEAT('x', 4000), SLEEP(0.01) FROM seq_1_to_1000")
    assert.deepEqual((await cur.fetchOne())?.[0], 1)
    await assert.rejects(cur.fetchAll({ timeoutMs: 100 }), isCancel)
    assert.deepEqual(await conn.query('SELECT 5 AS five'), [{ five: 5 }])
  })
})

test("200 aborts at random moments never yield another statement's rows and leave nothing running", async () => {
  await withConnection(async (conn) => {
    let cancelled = 0
    for (let i = 0; i < 200; i++) {
      const marker = 1000 + i
      const sleep = (Math.random() * 0.02).toFixed(3)
      const ac = new AbortController()
      setTimeout(() => ac.abort(), Math.random() * 25)
      try {
        const rows = await conn.query<{ m: number }>(
          `SELECT ${marker} AS m, SLEEP(${sleep}) AS s`,
          undefined,
          {
            signal: ac.signal,
          },
        )
        assert.equal(rows[0]!.m, marker)
      } catch (e) {
        if (!isCancel(e)) throw e
        cancelled++
      }
      // The very next statement must never be the one a late KILL QUERY hits.
      const next = await conn.query<{ m: number }>('SELECT %s AS m', [-marker])
      assert.equal(next[0]!.m, -marker)
    }
    assert.ok(cancelled > 0, 'some statements were cancelled')
    assert.equal(await runningStatements(conn.threadId()), 0)
  })
})
