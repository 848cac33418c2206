// TLS against the throwaway MariaDB: every sslMode, what `ssl` implies, chain and host-name checks,
// and client certificates. `SHOW STATUS LIKE 'Ssl_version'` is the server's word on whether TLS is on.
// Host-name mismatch: a loopback proxy on 127.0.0.2 forwards to the server, whose certificate covers
// only localhost and 127.0.0.1, so the name the client dialed is honestly not in the certificate.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { connect, MySQLError, type Connection, type ConnectionOptions } from '../../src/index.ts'
import { requireHarness, type Harness } from '../support/env.ts'

interface Setup {
  readonly h: Harness
  readonly base: ConnectionOptions
  readonly file: (name: string) => Buffer
}

function setup(t: TestContext): Setup | undefined {
  const h = requireHarness(t)
  if (h === undefined) return undefined
  const { user, password } = h.users.native
  return {
    h,
    base: { host: '127.0.0.1', port: h.port, user, password, connectTimeoutMs: 5000 },
    file: (name) => readFileSync(path.join(h.tlsDir, name)),
  }
}

/** The server's Ssl_version for this session: '' when TLS is off. */
async function sslVersion(conn: Connection): Promise<string> {
  const [row] = await conn.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_version'")
  return row?.Value ?? ''
}

async function versionFor(options: ConnectionOptions): Promise<string> {
  await using conn = await connect(options)
  // Awaited here, inside the `using` scope: the connection closes only after the answer.
  return await sslVersion(conn)
}

async function tlsError(options: ConnectionOptions): Promise<MySQLError> {
  const e = await connect(options).catch((x: unknown) => x)
  assert.ok(e instanceof MySQLError, `expected a TLS error, got ${String(e)}`)
  assert.equal(e.errno, 2026, e.message)
  assert.equal(e.code, 'CR_SSL_CONNECTION_ERROR')
  assert.equal(e.fatal, true)
  return e
}

const TLS_VERSION = /^TLSv1\.[23]$/

test('sslMode disabled: no TLS; preferred (the default): TLS when offered', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  assert.equal(await versionFor({ ...s.base, sslMode: 'disabled' }), '')
  assert.match(await versionFor({ ...s.base, sslMode: 'preferred' }), TLS_VERSION)
  assert.match(await versionFor(s.base), TLS_VERSION)
})

test('sslMode required encrypts without verifying (any CA, any name); ssl: true means required', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  assert.match(await versionFor({ ...s.base, sslMode: 'required' }), TLS_VERSION)
  assert.match(
    await versionFor({ ...s.base, sslMode: 'required', ssl: { ca: s.file('untrusted-ca.pem') } }),
    TLS_VERSION,
  )
  assert.match(await versionFor({ ...s.base, ssl: true }), TLS_VERSION)
})

test('verify-ca: the right CA passes, an untrusted CA fails with 2026, no CA is refused up front', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  assert.match(
    await versionFor({ ...s.base, sslMode: 'verify-ca', ssl: { ca: s.file('ca.pem') } }),
    TLS_VERSION,
  )
  const untrusted = await tlsError({
    ...s.base,
    sslMode: 'verify-ca',
    ssl: { ca: s.file('untrusted-ca.pem') },
  })
  assert.match(untrusted.message, /TLS error/)
  // No CA: refused before connecting (the system roots would accept any public certificate).
  // Regression: no CA was a ProgrammingError with errno 0; it is a TLS error, as in MySQL's client.
  await assert.rejects(connect({ ...s.base, sslMode: 'verify-ca' }), (e: unknown) => {
    const err = e as { errno: number; code: string; message: string }
    return (
      err.errno === 2026 &&
      err.code === 'CR_SSL_CONNECTION_ERROR' &&
      /CA certificate is required/.test(err.message)
    )
  })
})

test('verify-identity: localhost and 127.0.0.1 are in the certificate', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  const ssl = { ca: s.file('ca.pem') }
  assert.match(
    await versionFor({ ...s.base, host: 'localhost', sslMode: 'verify-identity', ssl }),
    TLS_VERSION,
  )
  assert.match(
    await versionFor({ ...s.base, host: '127.0.0.1', sslMode: 'verify-identity', ssl }),
    TLS_VERSION,
  )
  // `ssl` without sslMode means verify-identity: the untrusted CA is now an error.
  await tlsError({ ...s.base, ssl: { ca: s.file('untrusted-ca.pem') } })
  assert.match(await versionFor({ ...s.base, ssl }), TLS_VERSION)
})

/** A TCP relay on `host` (another loopback address) to the server; closed by the caller. */
async function relay(host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a)
      a.pipe(b)
      a.on('error', () => b.destroy())
      a.on('close', () => {
        sockets.delete(a)
        b.destroy()
      })
    }
  })
  const listening = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : 0)
    })
  })
  return {
    port: listening,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

test('verify-identity: a host name the certificate does not cover fails with 2026 (verify-ca passes)', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  let proxy: Awaited<ReturnType<typeof relay>>
  try {
    proxy = await relay('127.0.0.2', s.h.port)
  } catch (e) {
    // Linux routes all of 127/8 to lo; other systems may not have 127.0.0.2.
    t.skip(`cannot listen on 127.0.0.2: ${String(e)}`)
    return
  }
  try {
    const ssl = { ca: s.file('ca.pem') }
    const via = { ...s.base, host: '127.0.0.2', port: proxy.port }
    // Same path, same certificate: the chain is fine...
    assert.match(await versionFor({ ...via, sslMode: 'verify-ca', ssl }), TLS_VERSION)
    // ...but 127.0.0.2 is not in its subjectAltName.
    const e = await tlsError({ ...via, sslMode: 'verify-identity', ssl })
    assert.match(e.message, /127\.0\.0\.2/)
    // A servername (SNI) does not change which name is checked: it is the host that was dialed.
    await tlsError({ ...via, sslMode: 'verify-identity', ssl: { ...ssl, servername: 'localhost' } })
  } finally {
    await proxy.close()
  }
})

test('a client certificate is presented: a REQUIRE X509 account gets in only with it', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  await using root = await connect(s.h.rootUrl)
  const user = `aiomysql_x509_${process.pid}`
  const password = 'x509-pw-1'
  await root.query(`CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s REQUIRE X509`, [user, password])
  try {
    const base = { ...s.base, user, password, sslMode: 'verify-identity' as const }
    const ca = s.file('ca.pem')
    const withCert = { ca, cert: s.file('client-cert.pem'), key: s.file('client-key.pem') }
    assert.match(await versionFor({ ...base, ssl: withCert }), TLS_VERSION)
    await assert.rejects(
      connect({ ...base, ssl: { ca } }),
      (e: unknown) => e instanceof MySQLError && e.errno === 1045,
    )
  } finally {
    await root.query(`DROP USER IF EXISTS %s@'%%'`, [user])
  }
})

test('the Unix socket: no TLS under preferred; TLS when required', async (t) => {
  const s = setup(t)
  if (s === undefined) return
  const { user, password } = s.h.users.native
  const socket = { unixSocket: s.h.socketPath, user, password }
  assert.equal(await versionFor(socket), '')
  assert.match(await versionFor({ ...socket, sslMode: 'required' }), TLS_VERSION)
})
