// Authentication and connect-phase faults against the scripted fake server (test/support/fake-server.ts):
// MySQL 8's caching_sha2_password and sha256_password, downgrade refusals, user plugins, hostile or
// silent greetings. Only the TLS cases need the harness (for its certificates); none needs MariaDB.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { AuthRefused, type AuthPlugin } from '../../src/commands/auth-plugins.ts'
import { connect, MySQLError, OperationalError, type ConnectionOptions } from '../../src/index.ts'
import { ed25519PasswordPublicKey } from '../../src/protocol/ed25519.ts'
import { requireHarness } from '../support/env.ts'
import {
  contains,
  FAKE_HOST,
  rsaKeyPair,
  serveCachingSha2,
  serveSha256,
  startFakeServer,
  type FakeServer,
  type FakeSession,
  type TlsMaterial,
} from '../support/fake-server.ts'
import { err, ok } from '../support/packets.ts'
import { createPublicKey, verify } from 'node:crypto'

const USER = 'fake_user_7c1e'
const PASSWORD = 'pw-Zq8!fake-secret'

function options(server: FakeServer, extra: ConnectionOptions = {}): ConnectionOptions {
  return { host: FAKE_HOST, port: server.port, user: USER, password: PASSWORD, sslMode: 'disabled', ...extra }
}

/** The harness certificates for the fake server, and the CA that signed them. */
function tlsFiles(t: TestContext): { material: TlsMaterial; ca: Buffer } | undefined {
  const h = requireHarness(t)
  if (h === undefined) return undefined
  const read = (name: string): Buffer => readFileSync(path.join(h.tlsDir, name))
  return { material: { key: read('server-key.pem'), cert: read('server-cert.pem') }, ca: read('ca.pem') }
}

/** Expect `promise` to reject with this errno/code; returns the error for further checks. */
async function rejectsWith(promise: Promise<unknown>, errno: number, code: string): Promise<MySQLError> {
  let caught: unknown
  await assert.rejects(promise, (e: unknown) => {
    caught = e
    return true
  })
  assert.ok(caught instanceof MySQLError, `expected a MySQLError, got ${String(caught)}`)
  assert.equal(caught.errno, errno, caught.message)
  assert.equal(caught.code, code)
  assert.ok(!caught.message.includes(PASSWORD), 'the password leaked into an error message')
  return caught
}

// caching_sha2_password ---------------------------------------------------------------------------

test('caching_sha2 fast path: the scramble verifies and SELECT 1 works; no password bytes on the wire', async () => {
  let seen: { plugin: string; user: string; path: string } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      const outcome = await serveCachingSha2(s, hs, { password: PASSWORD })
      seen = { plugin: hs.plugin, user: hs.user, path: outcome.path }
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(options(server))
  assert.deepEqual(await conn.query('SELECT 1'), [{ '1': 1 }])
  assert.equal(conn.getServerInfo(), '8.0.36')
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(seen, { plugin: 'caching_sha2_password', user: USER, path: 'fast' })
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('caching_sha2 fast path: a wrong password is ER_ACCESS_DENIED_ERROR (1045)', async () => {
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      assert.equal((await serveCachingSha2(s, hs, { password: 'the-real-one' })).ok, false)
    },
    { ssl: false },
  )
  const e = await rejectsWith(connect(options(server)), 1045, 'ER_ACCESS_DENIED_ERROR')
  assert.ok(e instanceof OperationalError)
  await server.finished()
})

test('caching_sha2 full auth over TLS (sslMode required): cleartext inside TLS only', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  let outcome: { path: string; keyRequested: boolean; tls: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      const o = await serveCachingSha2(s, hs, { password: PASSWORD, cached: false })
      outcome = { path: o.path, keyRequested: o.keyRequested, tls: hs.tls }
      await s.serveQueries()
    },
    { tls: files.material },
  )
  const conn = await connect(options(server, { sslMode: 'required' }))
  assert.deepEqual(await conn.query('SELECT 7'), [{ '7': 7 }])
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { path: 'cleartext', keyRequested: false, tls: true })
  // The password reached the server (decrypted) but never crossed TCP in the clear.
  assert.ok(contains(server.sessions[0]!.received, PASSWORD))
  assert.ok(!contains(server.wireBytes, PASSWORD))
  assert.ok(!contains(server.wireBytes, USER), 'the user name travelled inside TLS too')
})

test('caching_sha2 full auth over plain TCP with a pinned serverPublicKey: RSA, no key request', async () => {
  const keys = rsaKeyPair()
  let outcome: { path: string; keyRequested: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      const o = await serveCachingSha2(s, hs, { password: PASSWORD, cached: false, keys })
      outcome = { path: o.path, keyRequested: o.keyRequested }
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(options(server, { serverPublicKey: keys.publicKey }))
  await conn.ping()
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { path: 'rsa', keyRequested: false })
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('caching_sha2 full auth over plain TCP without a key: refused (2059), no password, no key request', async () => {
  let after: Buffer[] | undefined
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      s.write(Buffer.from([0x01, 0x04])) // "perform full authentication"
      after = (await s.drain()).map((p) => p.payload)
    },
    { ssl: false },
  )
  const e = await rejectsWith(connect(options(server)), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  assert.match(e.message, /serverPublicKey|allowPublicKeyRetrieval/)
  await server.finished()
  assert.deepEqual(after, [], 'the client sent something after the full-auth request')
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('caching_sha2 with allowPublicKeyRetrieval: the key is requested (0x02) and RSA works', async () => {
  let outcome: { path: string; keyRequested: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      const o = await serveCachingSha2(s, hs, { password: PASSWORD, cached: false })
      outcome = { path: o.path, keyRequested: o.keyRequested }
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(options(server, { allowPublicKeyRetrieval: true }))
  assert.deepEqual(await conn.query('SELECT 1'), [{ '1': 1 }])
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { path: 'rsa', keyRequested: true })
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('caching_sha2 with an empty password sends an empty response', async () => {
  let response: Buffer | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      response = hs.authResponse
      assert.equal((await serveCachingSha2(s, hs, { password: '' })).path, 'empty')
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(options(server, { password: '' }))
  await conn.ensureClosed()
  await server.finished()
  assert.equal(response?.length, 0)
})

// sha256_password ---------------------------------------------------------------------------------

test('sha256_password over plain TCP with a pinned key: RSA', async () => {
  const keys = rsaKeyPair()
  let outcome: { path: string; keyRequested: boolean; ok: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      assert.equal(hs.plugin, 'sha256_password')
      outcome = await serveSha256(s, hs, { password: PASSWORD, keys })
      await s.serveQueries()
    },
    { ssl: false, plugin: 'sha256_password' },
  )
  const conn = await connect(options(server, { serverPublicKey: keys.publicKey }))
  await conn.ping()
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { ok: true, path: 'rsa', keyRequested: false })
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('sha256_password with allowPublicKeyRetrieval asks with 0x01; without a key it is refused', async () => {
  let outcome: { path: string; keyRequested: boolean; ok: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      outcome = await serveSha256(s, hs, { password: PASSWORD })
      await s.serveQueries()
    },
    { ssl: false, plugin: 'sha256_password' },
  )
  const conn = await connect(options(server, { allowPublicKeyRetrieval: true }))
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { ok: true, path: 'rsa', keyRequested: true })

  // Refused before the HandshakeResponse is even written: nothing reaches the server.
  await using silent = await startFakeServer(async (s) => void (await s.drain()), {
    ssl: false,
    plugin: 'sha256_password',
  })
  await rejectsWith(connect(options(silent)), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  await silent.finished()
  assert.equal(silent.wireBytes.length, 0)
})

test('sha256_password over TLS sends the password in cleartext inside TLS', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  let outcome: { path: string; ok: boolean; keyRequested: boolean } | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      outcome = await serveSha256(s, hs, { password: PASSWORD })
      await s.serveQueries()
    },
    { plugin: 'sha256_password', tls: files.material },
  )
  const conn = await connect(options(server, { sslMode: 'required' }))
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(outcome, { ok: true, path: 'cleartext', keyRequested: false })
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

// Downgrades --------------------------------------------------------------------------------------

const CLEAR_PASSWORD_SWITCH = Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_clear_password\0')])

/** A server that answers the HandshakeResponse with a switch to mysql_clear_password. */
function clearPasswordSwitch(record: (after: Buffer[]) => void): (s: FakeSession) => Promise<void> {
  return async (s) => {
    await s.readHandshakeResponse()
    s.write(CLEAR_PASSWORD_SWITCH)
    record((await s.drain()).map((p) => p.payload))
  }
}

test('auth switch to mysql_clear_password over plain TCP: refused, nothing sent', async () => {
  let after: Buffer[] | undefined
  await using server = await startFakeServer(
    clearPasswordSwitch((a) => (after = a)),
    { ssl: false },
  )
  const e = await rejectsWith(connect(options(server)), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  assert.match(e.message, /mysql_clear_password/)
  await server.finished()
  assert.deepEqual(after, [])
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('auth switch to mysql_clear_password over unverified TLS (required): refused', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  let after: Buffer[] | undefined
  await using server = await startFakeServer(
    clearPasswordSwitch((a) => (after = a)),
    { tls: files.material },
  )
  await rejectsWith(connect(options(server, { sslMode: 'required' })), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  await server.finished()
  assert.deepEqual(after, [])
  assert.ok(!contains(server.sessions[0]!.received, PASSWORD))
})

test('auth switch to mysql_clear_password over verified TLS: allowed', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  let answer: Buffer | undefined
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      s.write(CLEAR_PASSWORD_SWITCH)
      answer = (await s.read()).payload
      s.write(answer.equals(Buffer.from(PASSWORD + '\0')) ? ok() : err(1045, '28000', 'denied'))
      await s.serveQueries()
    },
    { tls: files.material },
  )
  const conn = await connect(options(server, { sslMode: 'verify-identity', ssl: { ca: files.ca } }))
  await conn.ensureClosed()
  await server.finished()
  assert.deepEqual(answer, Buffer.from(PASSWORD + '\0'))
  assert.ok(!contains(server.wireBytes, PASSWORD))
})

test('auth switch to an unknown plugin: refused (2059), nothing sent', async () => {
  let after: Buffer[] | undefined
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      s.write(Buffer.concat([Buffer.from([0xfe]), Buffer.from('dialog\0'), Buffer.from('Password: ')]))
      after = (await s.drain()).map((p) => p.payload)
    },
    { ssl: false },
  )
  await rejectsWith(connect(options(server)), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  await server.finished()
  assert.deepEqual(after, [])
})

test('a server without CLIENT_SSL under sslMode required: 2026 before anything is sent', async () => {
  await using server = await startFakeServer(async (s) => void (await s.drain()), { ssl: false })
  for (const sslMode of ['required', 'verify-ca', 'verify-identity'] as const) {
    await rejectsWith(
      connect(options(server, { sslMode, ssl: { ca: 'unused' } })),
      2026,
      'CR_SSL_CONNECTION_ERROR',
    )
  }
  await server.finished()
  assert.equal(server.sessions.length, 3)
  assert.ok(!contains(server.wireBytes, USER), 'the user name was sent')
  assert.equal(server.wireBytes.length, 0)
})

test('sslMode preferred against a server without TLS falls back to plain TCP (the only fallback)', async () => {
  let tls: boolean | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      tls = hs.tls
      await serveCachingSha2(s, hs, { password: PASSWORD })
      await s.serveQueries()
    },
    { ssl: false },
  )
  const conn = await connect(options(server, { sslMode: 'preferred' }))
  await conn.ensureClosed()
  await server.finished()
  assert.equal(tls, false)
})

// Hostile or silent greetings ---------------------------------------------------------------------

test('a greeting that is an ERR packet (1040 Too many connections) surfaces as ER_CON_COUNT_ERROR', async () => {
  await using server = await startFakeServer(async (s) => void (await s.drain(300)), {
    greeting: Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')]),
  })
  const e = await rejectsWith(connect(options(server)), 1040, 'ER_CON_COUNT_ERROR')
  assert.ok(e instanceof OperationalError)
  assert.match(e.message, /Too many connections/)
  await server.finished()
})

test('connectTimeoutMs covers a server that accepts and never greets', async () => {
  await using server = await startFakeServer(async (s) => void (await s.drain(3000)), { greeting: null })
  const started = Date.now()
  await rejectsWith(connect(options(server, { connectTimeoutMs: 300 })), 2003, 'CR_CONN_HOST_ERROR')
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 250 && elapsed < 1000, `timed out after ${elapsed} ms`)
})

test('connectTimeoutMs covers a server that greets but never answers the auth response', async () => {
  let gotResponse = false
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      gotResponse = true
      await s.drain(3000)
    },
    { ssl: false },
  )
  const started = Date.now()
  await rejectsWith(connect(options(server, { connectTimeoutMs: 300 })), 2003, 'CR_CONN_HOST_ERROR')
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 250 && elapsed < 1000, `timed out after ${elapsed} ms`)
  await server.finished()
  assert.ok(gotResponse)
})

test('connectTimeoutMs covers a TLS handshake that never completes', async () => {
  let sawSslRequest = false
  await using server = await startFakeServer(async (s) => {
    const p = await s.read()
    sawSslRequest = p.payload.length === 32
    await s.drain(3000) // never answers the ClientHello
  })
  const started = Date.now()
  await rejectsWith(
    connect(options(server, { sslMode: 'required', connectTimeoutMs: 300 })),
    2003,
    'CR_CONN_HOST_ERROR',
  )
  assert.ok(Date.now() - started < 1000)
  await server.finished()
  assert.ok(sawSslRequest)
})

test('a malformed greeting is CR_MALFORMED_PACKET, without a hang', async () => {
  const truncated = Buffer.concat([Buffer.from([10]), Buffer.from('8.0.36\0'), Buffer.from([1, 0])])
  const wrongProtocol = Buffer.concat([Buffer.from([9]), Buffer.from('3.23\0'), Buffer.alloc(20)])
  for (const greeting of [truncated, wrongProtocol, Buffer.alloc(0)]) {
    await using server = await startFakeServer(async (s) => void (await s.drain(500)), { greeting })
    const started = Date.now()
    await rejectsWith(connect(options(server, { connectTimeoutMs: 5000 })), 2027, 'CR_MALFORMED_PACKET')
    assert.ok(Date.now() - started < 1000)
  }
})

test('a greeting with a wrong sequence id is CR_MALFORMED_PACKET', async () => {
  await using server = await startFakeServer(
    async (s) => {
      s.writeRaw(Buffer.from([1, 0, 0, 5, 10]))
      await s.drain(500)
    },
    { greeting: null },
  )
  await rejectsWith(connect(options(server, { connectTimeoutMs: 5000 })), 2027, 'CR_MALFORMED_PACKET')
})

// client_ed25519 against a server that verifies with OpenSSL ------------------------------------

/** SubjectPublicKeyInfo DER prefix for a raw 32-byte Ed25519 key. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

function ed25519Verifier(nonce: Buffer): (s: FakeSession) => Promise<void> {
  return async (s) => {
    await s.readHandshakeResponse()
    s.write(Buffer.concat([Buffer.from([0xfe]), Buffer.from('client_ed25519\0'), nonce]))
    const signature = (await s.read()).payload
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, ed25519PasswordPublicKey(PASSWORD)]),
      format: 'der',
      type: 'spki',
    })
    const valid = signature.length === 64 && verify(null, nonce, key, signature)
    s.write(valid ? ok() : err(1045, '28000', 'Access denied'))
    if (valid) await s.serveQueries()
  }
}

test('client_ed25519: the signature over the switch nonce verifies (also when it ends in 0x00)', async () => {
  const endsInNul = Buffer.alloc(32, 0x41)
  endsInNul[31] = 0
  for (const nonce of [Buffer.alloc(32, 0x5a), endsInNul]) {
    await using server = await startFakeServer(ed25519Verifier(nonce), { ssl: false })
    const conn = await connect(options(server))
    await conn.ensureClosed()
    await server.finished()
    assert.ok(!contains(server.wireBytes, PASSWORD))
  }
})

// User plugins ------------------------------------------------------------------------------------

const TOKEN = 'tok-3f9a.signed-by-the-cloud'

/**
 * A user plugin with mysql_clear_password-like semantics: it sends a token (not the password) NUL-
 * terminated, and only over TLS or a socket, refusing otherwise.
 */
const tokenPlugin: AuthPlugin = (ctx) => ({
  initial: () => {
    if (ctx.channel === 'plain')
      throw new AuthRefused('token plugin: refusing to send a token over plain TCP')
    return Buffer.from(`${TOKEN}\0`)
  },
  more: () => {
    throw new AuthRefused('token plugin: unexpected extra data')
  },
})

/** Switch to the token plugin and check the token. */
async function tokenServer(s: FakeSession): Promise<void> {
  const hs = await s.readHandshakeResponse()
  if (hs.plugin !== 'iam_token') {
    s.write(Buffer.concat([Buffer.from([0xfe]), Buffer.from('iam_token\0'), s.nonce, Buffer.from([0])]))
    const packet = await s.read()
    s.write(packet.payload.equals(Buffer.from(`${TOKEN}\0`)) ? ok() : err(1045, '28000', 'bad token'))
  } else {
    s.write(hs.authResponse.equals(Buffer.from(`${TOKEN}\0`)) ? ok() : err(1045, '28000', 'bad token'))
  }
  await s.serveQueries()
}

test('a user plugin (authPlugins) answers an auth switch, over TLS', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  await using server = await startFakeServer(tokenServer, { tls: files.material })
  const conn = await connect(
    options(server, { sslMode: 'required', authPlugins: { iam_token: tokenPlugin } }),
  )
  assert.deepEqual(await conn.query('SELECT 2'), [{ '2': 2 }])
  await conn.ensureClosed()
  await server.finished()
  assert.ok(contains(server.sessions[0]!.received, TOKEN))
  assert.ok(!contains(server.wireBytes, TOKEN))
})

test('a user plugin chosen up front with authPlugin goes in the HandshakeResponse', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  let plugin: string | undefined
  await using server = await startFakeServer(
    async (s) => {
      const hs = await s.readHandshakeResponse()
      plugin = hs.plugin
      s.write(hs.authResponse.equals(Buffer.from(`${TOKEN}\0`)) ? ok() : err(1045, '28000', 'bad token'))
      await s.serveQueries()
    },
    { tls: files.material },
  )
  const conn = await connect(
    options(server, {
      sslMode: 'required',
      authPlugin: 'iam_token',
      authPlugins: { iam_token: tokenPlugin },
    }),
  )
  await conn.ensureClosed()
  await server.finished()
  assert.equal(plugin, 'iam_token')
})

test('a user plugin that refuses over plain TCP fails with 2059; an unregistered one is not run', async () => {
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      s.write(Buffer.concat([Buffer.from([0xfe]), Buffer.from('iam_token\0'), s.nonce, Buffer.from([0])]))
      await s.drain()
    },
    { ssl: false },
  )
  const refused = await rejectsWith(
    connect(options(server, { authPlugins: { iam_token: tokenPlugin } })),
    2059,
    'CR_AUTH_PLUGIN_CANNOT_LOAD',
  )
  assert.match(refused.message, /plain TCP/)
  const unknown = await rejectsWith(connect(options(server)), 2059, 'CR_AUTH_PLUGIN_CANNOT_LOAD')
  assert.match(unknown.message, /iam_token/)
  await server.finished()
  assert.ok(!contains(server.wireBytes, TOKEN))
})

test('regression: a user plugin that throws after TLS is up rejects with 2059 instead of crashing', async (t) => {
  const files = tlsFiles(t)
  if (files === undefined) return
  await using server = await startFakeServer(
    async (s) => {
      // Upgrades to TLS, then waits for a response that never comes: the client gives up.
      await s.readHandshakeResponse().catch(() => undefined)
    },
    { tls: files.material },
  )
  const boom = (): never => {
    throw new Error('plugin bug')
  }
  await rejectsWith(
    connect(
      options(server, {
        sslMode: 'required',
        authPlugin: 'boom',
        authPlugins: { boom: () => ({ initial: boom, more: () => null }) },
      }),
    ),
    2059,
    'CR_AUTH_PLUGIN_CANNOT_LOAD',
  )
})
