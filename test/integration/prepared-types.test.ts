// Parameter types are sent only when they change (new-params-bound 0 otherwise): the values stay
// exact whatever the order of types, also when an execution is dropped from the queue before it is
// written (the server never saw its types), and the server receives fewer bytes for repeated types.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MySQLError, type Connection } from '../../src/index.ts'
import { open, sessionCounter } from '../support/db.ts'

const bytesReceived = (conn: Connection): Promise<number> => sessionCounter(conn, 'Bytes_received')

void test('one prepared statement executed with changing parameter types gives exact values every time', async () => {
  const conn = await open({ prepare: true })
  try {
    const sqlText = 'SELECT %s AS v, %s AS w'
    const runs: Array<[unknown, unknown, unknown, unknown]> = [
      [1, 'a', 1, 'a'],
      [2, 'b', 2, 'b'], // same types: sent without them
      ['x', 3, 'x', 3], // changed
      ['y', 4, 'y', 4],
      [null, null, null, null],
      [null, null, null, null],
      [2n ** 63n, true, 2n ** 63n, 1],
      [1.5, Buffer.from([0, 255]), 1.5, Buffer.from([0, 255])],
      [7, 'z', 7, 'z'],
    ]
    for (const [a, b, v, w] of runs) {
      const [row] = await conn.query<{ v: unknown; w: unknown }>(sqlText, [a, b])
      assert.deepEqual([row!.v, row!.w], [v, w], `${String(a)}, ${String(b)}`)
    }
  } finally {
    conn.close()
  }
})

void test('an execution dropped from the queue before it was written does not make the next one skip its types', async () => {
  const conn = await open({ prepare: true })
  try {
    const stmt = await conn.prepare('SELECT ? AS v, SLEEP(?) AS s')
    const cur = conn.cursor()
    // In flight: holds the line. Queued behind it: the first executions with these types, aborted
    // before they are written. Then the same types again: they must be sent.
    const running = cur.execute(stmt, [1, 0.3])
    const abort = new AbortController()
    const dropped = conn.cursor().execute(stmt, ['a', 0], { signal: abort.signal })
    abort.abort()
    await assert.rejects(dropped, (e: unknown) => e instanceof MySQLError && e.code === 'ABORT_ERR')
    const next = conn.cursor()
    const after = next.execute(stmt, ['b', 0])
    await running
    await after
    assert.deepEqual(await next.fetchAll(), [['b', 0]])
    await stmt.close()
  } finally {
    conn.close()
  }
})

void test('repeated types are not sent again: the server receives fewer bytes', async () => {
  const conn = await open({ prepare: true })
  try {
    const run = async (values: (n: number) => unknown[]): Promise<number> => {
      const before = await bytesReceived(conn)
      for (let i = 0; i < 50; i++) await conn.query('SELECT %s, %s, %s, %s', values(i))
      return (await bytesReceived(conn)) - before
    }
    await conn.query('SELECT %s, %s, %s, %s', [0, 0, 0, 0]) // prepared, types sent once
    const same = await run((i) => [i, i, i, i])
    // Alternating LONGLONG and DOUBLE (values of the same size): every execution sends its types.
    const changing = await run((i) => (i % 2 === 0 ? [i, i, i, i] : [i + 0.5, i + 0.5, i + 0.5, i + 0.5]))
    // 50 executions × 4 parameters × 2 type bytes.
    assert.ok(changing - same >= 50 * 8 - 16, `same types: ${same} bytes, changing: ${changing} bytes`)
  } finally {
    conn.close()
  }
})
