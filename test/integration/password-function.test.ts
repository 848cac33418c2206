// `password` as a function (SPEC §2): called for every new connection, sync or async, and what it
// returns is as secret as a password — absent from errors, inspect() and JSON.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { connect, createPool, InterfaceError } from '../../src/index.ts'
import { requireHarness } from '../support/env.ts'

test('a password function is called for every new connection, sync or async', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.native
  let calls = 0
  const base = { host: '127.0.0.1', port: h.port, user }
  for (const fn of [() => (calls++, password), async () => (calls++, password)]) {
    const conn = await connect({ ...base, password: fn })
    assert.deepEqual(await conn.query('SELECT 1 AS one'), [{ one: 1 }])
    assert.ok(!inspect(conn.config).includes(password) && !JSON.stringify(conn.config).includes(password))
    await conn.ensureClosed()
  }
  assert.equal(calls, 2)
  const pool = await createPool({ ...base, password: () => (calls++, password), minSize: 0, maxSize: 3 })
  try {
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    for (const c of conns) pool.release(c)
    assert.equal(calls, 2 + 3, 'one call per connection opened (the first, made by createPool, is reused)')
  } finally {
    pool.close()
    await pool.waitClosed()
  }
})

test('a wrong token is refused without appearing in the error; a failing function is a clear error', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const base = { host: '127.0.0.1', port: h.port, user: h.users.native.user }
  const secret = 'tok-3f9a-super-secret-token'
  await assert.rejects(connect({ ...base, password: async () => secret }), (e: unknown) => {
    const error = e as Error & { errno: number }
    return error.errno === 1045 && !inspect(error).includes(secret) && !String(error.stack).includes(secret)
  })
  await assert.rejects(
    connect({
      ...base,
      password: () => {
        throw new Error('vault unreachable')
      },
    }),
    (e: unknown) => e instanceof InterfaceError && e.code === 'PASSWORD_FUNCTION_FAILED',
  )
  await assert.rejects(
    connect({ ...base, password: (() => 42) as unknown as () => string }),
    /must return a string, got number/,
  )
})
