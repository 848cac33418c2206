// Authentication math and plugin rules: Ed25519 against RFC 8032 and OpenSSL, the password-seeded
// variant against a key MariaDB stored, scrambles checked the way the server checks them, and the
// channel rules that keep cleartext secrets off insecure links.

import assert from 'node:assert/strict'
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { test } from 'node:test'
import { parseAuthSwitch } from '../../../src/protocol/handshake.ts'
import {
  AuthRefused,
  builtinAuthPlugins,
  type AuthContext,
  type Channel,
} from '../../../src/commands/auth-plugins.ts'
import {
  cachingSha2Scramble,
  clearPassword,
  nativePasswordScramble,
  rsaEncryptPassword,
} from '../../../src/protocol/auth.ts'
import {
  ed25519PasswordPublicKey,
  ed25519PasswordSign,
  publicKeyFromExpandedKey,
  signWithExpandedKey,
} from '../../../src/protocol/ed25519.ts'
import {
  cachingSha2Stored,
  decryptRsaPassword,
  rsaKeyPair,
  verifyCachingSha2Scramble,
} from '../../support/fake-server.ts'

const sha512 = (b: Uint8Array): Buffer => createHash('sha512').update(b).digest()
const sha1 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha1')
  for (const p of parts) h.update(p)
  return h.digest()
}
const hex = (s: string): Buffer => Buffer.from(s, 'hex')

/** DER wrappers so OpenSSL (node:crypto) can check our keys and signatures independently. */
const PKCS8_SEED_PREFIX = hex('302e020100300506032b657004220420')
const SPKI_PREFIX = hex('302a300506032b6570032100')
const opensslPrivate = (seed: Buffer) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: 'der', type: 'pkcs8' })
const opensslPublic = (raw: Buffer) =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })

// Ed25519 -----------------------------------------------------------------------------------------

test('ed25519: RFC 8032 test vectors 1 and 2 through the expanded-key path', () => {
  const vectors = [
    {
      seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      message: '',
      signature:
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      message: '72',
      signature:
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
  ]
  for (const v of vectors) {
    const az = sha512(hex(v.seed))
    assert.equal(publicKeyFromExpandedKey(az).toString('hex'), v.publicKey)
    assert.equal(signWithExpandedKey(az, hex(v.message)).toString('hex'), v.signature)
  }
})

test('ed25519: agrees with OpenSSL for many seeds and message lengths', () => {
  for (let i = 0; i < 24; i++) {
    const seed = createHash('sha256').update(`seed ${i}`).digest()
    const message = createHash('sha512')
      .update(`message ${i}`)
      .digest()
      .subarray(0, i * 3)
    const ours = signWithExpandedKey(sha512(seed), message)
    assert.deepEqual(ours, sign(null, message, opensslPrivate(seed)), `seed ${i}`)
  }
})

test('ed25519: the password is the seed, whatever its length (MariaDB client_ed25519)', () => {
  // What MariaDB 10.11 stores for `CREATE USER … IDENTIFIED VIA ed25519 USING PASSWORD('foo')`.
  assert.equal(
    ed25519PasswordPublicKey('foo').toString('base64').replace(/=+$/, ''),
    'vubFBzIrapbfHct1/J72dnUryz5VS7lA6XHH8sIx4TI',
  )
  const nonce = createHash('sha256').update('nonce').digest()
  for (const password of ['', 'foo', 'pässwörd', 'x'.repeat(300)]) {
    const signature = ed25519PasswordSign(password, nonce)
    assert.equal(signature.length, 64)
    const publicKey = opensslPublic(ed25519PasswordPublicKey(password))
    assert.ok(verify(null, nonce, publicKey, signature), JSON.stringify(password.slice(0, 10)))
    assert.ok(!verify(null, Buffer.concat([nonce, Buffer.from([0])]), publicKey, signature))
  }
  assert.notDeepEqual(ed25519PasswordSign('foo', nonce), ed25519PasswordSign('foO', nonce))
})

test('ed25519: an expanded key must be 64 bytes', () => {
  assert.throws(() => signWithExpandedKey(Buffer.alloc(32), Buffer.alloc(0)), RangeError)
  assert.throws(() => publicKeyFromExpandedKey(Buffer.alloc(65)), RangeError)
})

// Scrambles, checked as the server checks them ----------------------------------------------------

const NONCE = Buffer.from('abcdefghij0123456789')

test('mysql_native_password: the server recovers SHA1(pw) and matches the stored hash', () => {
  // The stored hash MySQL shows for PASSWORD('password').
  assert.equal(
    '*' +
      sha1(sha1(Buffer.from('password')))
        .toString('hex')
        .toUpperCase(),
    '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',
  )
  const stored = sha1(sha1(Buffer.from('s3cret')))
  const response = nativePasswordScramble('s3cret', NONCE)
  const mask = sha1(NONCE, stored)
  const stage1 = Buffer.from(response.map((b, i) => b ^ mask[i]!))
  assert.deepEqual(sha1(stage1), stored)
  assert.equal(nativePasswordScramble('', NONCE).length, 0)
})

test('caching_sha2_password: the fast-path scramble verifies; a wrong one does not', () => {
  const stored = cachingSha2Stored('s3cret')
  assert.ok(verifyCachingSha2Scramble(cachingSha2Scramble('s3cret', NONCE), NONCE, stored))
  assert.ok(!verifyCachingSha2Scramble(cachingSha2Scramble('s3creT', NONCE), NONCE, stored))
  assert.ok(!verifyCachingSha2Scramble(cachingSha2Scramble('s3cret', Buffer.alloc(20)), NONCE, stored))
  // A 21-byte nonce (trailing NUL kept by mistake) still uses only the first 20 bytes.
  const withNul = Buffer.concat([NONCE, Buffer.from([0])])
  assert.deepEqual(cachingSha2Scramble('s3cret', withNul), cachingSha2Scramble('s3cret', NONCE))
  assert.equal(cachingSha2Scramble('', NONCE).length, 0)
})

test('RSA password: OAEP-encrypted (password + NUL) XOR nonce round-trips with the private key', () => {
  const keys = rsaKeyPair()
  const blob = rsaEncryptPassword('pässwörd', NONCE, keys.publicKey)
  assert.equal(blob.length, 256)
  assert.equal(decryptRsaPassword(blob, NONCE, keys.privateKey), 'pässwörd')
  // Longer than the nonce: the XOR wraps around.
  const long = 'y'.repeat(50)
  assert.equal(
    decryptRsaPassword(rsaEncryptPassword(long, NONCE, keys.publicKey), NONCE, keys.privateKey),
    long,
  )
  assert.deepEqual(clearPassword('pw'), Buffer.from('pw\0'))
})

// Plugin rules -------------------------------------------------------------------------------------

function ctx(channel: Channel, extra: Partial<AuthContext> = {}): AuthContext {
  return {
    user: 'u',
    password: 'pw-secret',
    channel,
    serverPublicKey: undefined,
    allowPublicKeyRetrieval: false,
    ...extra,
  }
}

const plugin = (name: string) => {
  const p = builtinAuthPlugins[name]
  assert.ok(p, name)
  return p
}

test('builtin plugins: client_ed25519 is registered next to the MySQL ones', () => {
  assert.deepEqual(Object.keys(builtinAuthPlugins).sort(), [
    'caching_sha2_password',
    'client_ed25519',
    'mysql_clear_password',
    'mysql_native_password',
    'sha256_password',
  ])
  assert.ok(Object.isFrozen(builtinAuthPlugins))
})

test('client_ed25519: signs a 32-byte nonce; a greeting scramble gets an empty answer', () => {
  const nonce = createHash('sha256').update('n').digest()
  const signature = plugin('client_ed25519')(ctx('plain')).initial(nonce)
  assert.ok(verify(null, nonce, opensslPublic(ed25519PasswordPublicKey('pw-secret')), signature))
  // Chosen up front, the first call sees the greeting's 20-byte scramble; the server then switches.
  assert.equal(plugin('client_ed25519')(ctx('plain')).initial(NONCE).length, 0)
  // Regression (ed25519 login failed when the nonce ended in 0x00): the auth-switch parser keeps
  // a 32-byte nonce whole, NUL included, and the plugin signs all of it.
  const endsInNul = Buffer.from(nonce)
  endsInNul[31] = 0
  const sw = Buffer.concat([Buffer.from([0xfe]), Buffer.from('client_ed25519\0'), endsInNul])
  const parsed = parseAuthSwitch(sw)
  assert.equal(parsed.data.length, 32)
  const signed = plugin('client_ed25519')(ctx('plain')).initial(parsed.data)
  assert.deepEqual(signed, ed25519PasswordSign('pw-secret', endsInNul))
  // The MySQL plugins' 20-byte nonce + NUL is still trimmed.
  const native = Buffer.concat([
    Buffer.from([0xfe]),
    Buffer.from('mysql_native_password\0'),
    NONCE,
    Buffer.from([0]),
  ])
  assert.equal(parseAuthSwitch(native).data.length, 20)
  for (const length of [0, 8, 33, 64]) {
    assert.throws(() => plugin('client_ed25519')(ctx('plain')).initial(Buffer.alloc(length, 1)), AuthRefused)
  }
  assert.throws(() => plugin('client_ed25519')(ctx('plain')).more(Buffer.alloc(1)), AuthRefused)
})

test('mysql_clear_password: only over a Unix socket or verified TLS', () => {
  for (const channel of ['plain', 'tls'] as const) {
    assert.throws(() => plugin('mysql_clear_password')(ctx(channel)).initial(NONCE), AuthRefused)
  }
  for (const channel of ['socket', 'verified-tls'] as const) {
    assert.deepEqual(plugin('mysql_clear_password')(ctx(channel)).initial(NONCE), Buffer.from('pw-secret\0'))
  }
})

test('caching_sha2_password full auth: cleartext only when secure, key request only when allowed', () => {
  const full = Buffer.from([4])
  const start = (c: AuthContext) => {
    const x = plugin('caching_sha2_password')(c)
    x.initial(NONCE)
    return x
  }
  assert.equal(start(ctx('plain')).more(Buffer.from([3])), null, 'fast auth success waits for OK')
  assert.throws(() => start(ctx('plain')).more(full), AuthRefused)
  assert.deepEqual(start(ctx('tls')).more(full), Buffer.from('pw-secret\0'))
  assert.deepEqual(start(ctx('socket')).more(full), Buffer.from('pw-secret\0'))
  const retrieving = start(ctx('plain', { allowPublicKeyRetrieval: true }))
  assert.deepEqual(retrieving.more(full), Buffer.from([2]))
  const keys = rsaKeyPair()
  const blob = retrieving.more(Buffer.from(keys.publicKey))
  assert.ok(blob !== null)
  assert.equal(decryptRsaPassword(blob, NONCE, keys.privateKey), 'pw-secret')
  const pinned = start(ctx('plain', { serverPublicKey: keys.publicKey })).more(full)
  assert.ok(pinned !== null)
  assert.equal(decryptRsaPassword(pinned, NONCE, keys.privateKey), 'pw-secret')
})

test('sha256_password: RSA over plain TCP (key request 0x01 when allowed), cleartext when secure', () => {
  const keys = rsaKeyPair()
  assert.throws(() => plugin('sha256_password')(ctx('plain')).initial(NONCE), AuthRefused)
  assert.deepEqual(plugin('sha256_password')(ctx('tls')).initial(NONCE), Buffer.from('pw-secret\0'))
  assert.deepEqual(
    plugin('sha256_password')(ctx('plain', { allowPublicKeyRetrieval: true })).initial(NONCE),
    Buffer.from([1]),
  )
  const blob = plugin('sha256_password')(ctx('plain', { serverPublicKey: keys.publicKey })).initial(NONCE)
  assert.equal(decryptRsaPassword(blob, NONCE, keys.privateKey), 'pw-secret')
  assert.deepEqual(plugin('sha256_password')(ctx('plain', { password: '' })).initial(NONCE), Buffer.from([0]))
})
