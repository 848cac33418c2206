import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OperationalError, SSCursor } from '../../src/index.ts'
import { serverUrl } from '../support/env.ts'
import { open } from '../support/db.ts'
import { startFaultProxy } from '../support/fault-proxy.ts'

const target = (): { host: string; port: number } => {
  const u = new URL(serverUrl)
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 3306) }
}

const lost = (e: unknown): boolean =>
  e instanceof OperationalError && e.fatal && (e.errno === 2013 || e.errno === 2006)

test('a connection cut in the middle of a result rejects with a fatal error, never hangs', async () => {
  const proxy = await startFaultProxy(target())
  try {
    const conn = await open({ host: '127.0.0.1', port: proxy.port })
    proxy.cutAfter(20_000)
    const big = conn.query("SELECT seq, REPEAT('x', 100) FROM seq_1_to_100000")
    const queued = conn.query('SELECT 2')
    await assert.rejects(big, lost)
    await assert.rejects(queued, (e: unknown) => e instanceof OperationalError && e.fatal)
    assert.equal(conn.closed, true)
    await assert.rejects(conn.query('SELECT 1'), (e: unknown) => e instanceof OperationalError && e.fatal)
    conn.close()
    await conn.ensureClosed()
  } finally {
    await proxy.close()
  }
})

test('a stream cut mid-way ends with the error; later commands reject as fatal', async () => {
  const proxy = await startFaultProxy(target())
  try {
    const conn = await open({ host: '127.0.0.1', port: proxy.port })
    const cur = conn.cursor(SSCursor)
    await cur.execute("SELECT seq, REPEAT('x', 100) FROM seq_1_to_1000000")
    await cur.fetchMany(10)
    proxy.cutAll()
    await assert.rejects(cur.fetchAll(), lost)
    await assert.rejects(conn.query('SELECT 2'), (e: unknown) => e instanceof OperationalError && e.fatal)
  } finally {
    await proxy.close()
  }
})

test('a connection dropped while idle is noticed; ping() reconnects', async () => {
  const proxy = await startFaultProxy(target())
  try {
    const conn = await open({ host: '127.0.0.1', port: proxy.port })
    proxy.cutAll()
    for (let i = 0; i < 100 && !conn.closed; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(conn.closed, true)
    await conn.ping()
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
    await conn.ensureClosed()
  } finally {
    await proxy.close()
  }
})
