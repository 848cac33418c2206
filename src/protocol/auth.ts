// Authentication math, pure functions over bytes (node:crypto only).
// mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw))).
// caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce).

import { createHash, publicEncrypt, constants as cryptoConstants } from 'node:crypto'

const sha1 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha1')
  for (const p of parts) h.update(p)
  return h.digest()
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!
  return out
}

/** mysql_native_password scramble; an empty password sends an empty response. */
export function nativePasswordScramble(password: string, nonce: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0)
  const stage1 = sha1(Buffer.from(password, 'utf8'))
  const stage2 = sha1(stage1)
  return xor(stage1, sha1(nonce.subarray(0, 20), stage2))
}

/** caching_sha2_password fast-path scramble. */
export function cachingSha2Scramble(password: string, nonce: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0)
  const stage1 = sha256(Buffer.from(password, 'utf8'))
  const stage2 = sha256(stage1)
  return xor(stage1, sha256(stage2, nonce.subarray(0, 20)))
}

/**
 * RSA-encrypted password for caching_sha2_password / sha256_password full authentication over an
 * insecure channel: (password + NUL) XOR nonce, encrypted with the server's key using OAEP padding.
 */
export function rsaEncryptPassword(password: string, nonce: Buffer, publicKeyPem: string | Buffer): Buffer {
  const plain = xor(Buffer.from(password + '\0', 'utf8'), nonce.subarray(0, 20))
  return publicEncrypt({ key: publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING }, plain)
}

/** The password as sent by cleartext plugins (only over TLS or a Unix socket). */
export function clearPassword(password: string): Buffer {
  return Buffer.from(password + '\0', 'utf8')
}
