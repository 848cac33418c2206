// Authentication against the throwaway MariaDB: every harness account (mysql_native_password,
// ed25519, no password) over TCP, verified TLS (by name and by IP) and the Unix socket; wrong
// passwords; ed25519 with passwords of unusual length and alphabet.

import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { connect, OperationalError, type Connection, type ConnectionOptions } from '../../src/index.ts'
import { requireHarness, type Harness } from '../support/env.ts'

type Account = keyof Harness['users']
const ACCOUNTS: readonly Account[] = ['native', 'ed25519', 'nopass']

/** Who the server thinks we are, and whether TLS is on. */
async function whoAndTls(conn: Connection): Promise<{ user: string; tls: boolean }> {
  const [who] = await conn.query<{ u: string }>('SELECT CURRENT_USER() AS u')
  const [ssl] = await conn.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_version'")
  return { user: who!.u.split('@')[0]!, tls: (ssl?.Value ?? '') !== '' }
}

function transports(h: Harness): Array<{ name: string; options: ConnectionOptions; tls: boolean }> {
  const ca = readFileSync(path.join(h.tlsDir, 'ca.pem'))
  return [
    { name: 'TCP', options: { host: '127.0.0.1', port: h.port, sslMode: 'disabled' }, tls: false },
    {
      name: 'TLS to localhost',
      options: { host: 'localhost', port: h.port, sslMode: 'verify-identity', ssl: { ca } },
      tls: true,
    },
    {
      name: 'TLS to 127.0.0.1',
      options: { host: '127.0.0.1', port: h.port, sslMode: 'verify-identity', ssl: { ca } },
      tls: true,
    },
    { name: 'Unix socket', options: { unixSocket: h.socketPath }, tls: false },
  ]
}

test('every harness account connects over TCP, verified TLS and the Unix socket', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  for (const account of ACCOUNTS) {
    const { user, password } = h.users[account]
    for (const transport of transports(h)) {
      await t.test(`${account} over ${transport.name}`, async () => {
        await using conn = await connect({ ...transport.options, user, password, db: 'aiomysql_test' })
        assert.deepEqual(await whoAndTls(conn), { user, tls: transport.tls })
      })
    }
  }
})

test('a wrong password is OperationalError 1045 ER_ACCESS_DENIED_ERROR, without the password', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const wrong = 'Wr0ng-pa55word-XYZ'
  for (const account of ['native', 'ed25519', 'nopass'] as const) {
    for (const options of [{ host: '127.0.0.1', port: h.port }, { unixSocket: h.socketPath }]) {
      const e: unknown = await connect({ ...options, user: h.users[account].user, password: wrong }).catch(
        (x: unknown) => x,
      )
      assert.ok(e instanceof OperationalError, `${account}: ${String(e)}`)
      assert.equal(e.errno, 1045)
      assert.equal(e.code, 'ER_ACCESS_DENIED_ERROR')
      assert.equal(e.sqlState, '28000')
      assert.equal(e.fatal, true)
      assert.ok(!e.message.includes(wrong))
      assert.ok(!(e.stack ?? '').includes(wrong))
    }
  }
})

test('ed25519 works when chosen up front (authPlugin) and through a URL', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.ed25519
  await using up = await connect({
    host: '127.0.0.1',
    port: h.port,
    user,
    password,
    authPlugin: 'client_ed25519',
  })
  assert.equal((await whoAndTls(up)).user, user)
  const url = `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:${h.port}/aiomysql_test?sslMode=disabled`
  await using viaUrl = await connect(url)
  assert.equal((await whoAndTls(viaUrl)).user, user)
})

test('ed25519 with passwords of any length and alphabet (the password is the seed)', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  await using root = await connect(h.rootUrl)
  const user = `aiomysql_ed_${process.pid}`
  const passwords = ['x', 'pässwörd ✓ 密码', 'long-'.repeat(60), "quote' and \\ backslash"]
  try {
    for (const password of passwords) {
      await root.query(`CREATE OR REPLACE USER %s@'%%' IDENTIFIED VIA ed25519 USING PASSWORD(%s)`, [
        user,
        password,
      ])
      await using conn: Connection = await connect({
        host: '127.0.0.1',
        port: h.port,
        user,
        password,
        sslMode: 'disabled',
      })
      assert.equal((await whoAndTls(conn)).user, user)
      await assert.rejects(
        connect({ host: '127.0.0.1', port: h.port, user, password: password + 'x', sslMode: 'disabled' }),
        (e: unknown) => e instanceof OperationalError && e.errno === 1045,
      )
    }
  } finally {
    await root.query(`DROP USER IF EXISTS %s@'%%'`, [user])
  }
})

test('an unknown initial authPlugin is refused with 2059 before anything is computed', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.native
  await assert.rejects(
    connect({ host: '127.0.0.1', port: h.port, user, password, authPlugin: 'no_such_plugin' }),
    (e: unknown) =>
      e instanceof OperationalError && e.errno === 2059 && e.code === 'CR_AUTH_PLUGIN_CANNOT_LOAD',
  )
})

test('readDefaultFile: credentials from a my.cnf [client] group; explicit options still win', async (t) => {
  const h = requireHarness(t)
  if (h === undefined) return
  const { user, password } = h.users.ed25519
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aiomysql-cnf-'))
  try {
    const file = path.join(dir, 'my.cnf')
    writeFileSync(
      file,
      `[client]\nhost = 127.0.0.1\nport = ${h.port}\nuser = ${user}\npassword = "${password}"\nssl-mode = DISABLED\n`,
    )
    await using conn = await connect({ readDefaultFile: file })
    assert.deepEqual(await whoAndTls(conn), { user, tls: false })
    const native = h.users.native
    await using other = await connect({ readDefaultFile: file, user: native.user, password: native.password })
    assert.equal((await whoAndTls(other)).user, native.user)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
