// Authentication plugin exchanges. Each plugin answers the server's nonce and any "more data"
// packets; it refuses (throws AuthRefused) before sending a secret over a channel it must not use.

import {
  cachingSha2Scramble,
  clearPassword,
  nativePasswordScramble,
  rsaEncryptPassword,
} from '../protocol/auth.ts'
import { ed25519PasswordSign } from '../protocol/ed25519.ts'

/** How the bytes travel: cleartext secrets need 'socket' or 'verified-tls' (SPEC §8). */
export type Channel = 'plain' | 'socket' | 'tls' | 'verified-tls'

/** What an authentication plugin is given for one attempt. */
export interface AuthContext {
  /** The user name logging in. */
  readonly user: string
  /** The password (a password function's result, already resolved). */
  readonly password: string
  /** How the bytes travel: decide from it whether a secret may be sent as is (never over 'plain'). */
  readonly channel: Channel
  /** The `serverPublicKey` option: the server's pinned RSA key (PEM). */
  readonly serverPublicKey: string | Buffer | undefined
  /** The `allowPublicKeyRetrieval` option. */
  readonly allowPublicKeyRetrieval: boolean
}

/**
 * One authentication attempt of a plugin: answers the server's nonce, then any more-data packets.
 * Throw AuthRefused to stop.
 */
export interface AuthExchange {
  /** The response to the server's nonce (the first auth data this plugin sends). */
  initial(nonce: Buffer): Buffer
  /** An AuthMoreData body (after the 0x01 byte): bytes to send, or null to wait for the next packet. */
  more(data: Buffer): Buffer | null
}

/** A plugin: builds one exchange per authentication attempt. Users may add their own. */
export type AuthPlugin = (ctx: AuthContext) => AuthExchange

/** Thrown by a plugin that will not continue; the message says why and never holds a secret. */
export class AuthRefused extends Error {
  /** Always 'AuthRefused'. */
  override readonly name = 'AuthRefused'
}

const isSecure = (c: Channel): boolean => c !== 'plain'

function rsaPath(ctx: AuthContext, nonce: Buffer, plugin: string): { send: Buffer; awaitingKey: boolean } {
  if (ctx.serverPublicKey !== undefined) {
    return { send: rsaEncryptPassword(ctx.password, nonce, ctx.serverPublicKey), awaitingKey: false }
  }
  if (ctx.allowPublicKeyRetrieval) {
    // caching_sha2 asks with 0x02, sha256_password with 0x01.
    return { send: Buffer.from([plugin === 'caching_sha2_password' ? 2 : 1]), awaitingKey: true }
  }
  throw new AuthRefused(
    `${plugin} needs the password sent over TLS, a Unix socket, or RSA-encrypted: ` +
      `pin the server's key with serverPublicKey or enable allowPublicKeyRetrieval`,
  )
}

const nativePassword: AuthPlugin = (ctx) => ({
  initial: (nonce) => nativePasswordScramble(ctx.password, nonce),
  more: () => {
    throw new AuthRefused('mysql_native_password: unexpected extra authentication data')
  },
})

const cachingSha2: AuthPlugin = (ctx) => {
  let nonce = Buffer.alloc(0)
  let awaitingKey = false
  return {
    initial: (n) => {
      nonce = Buffer.from(n)
      return cachingSha2Scramble(ctx.password, nonce)
    },
    more: (data) => {
      if (awaitingKey) {
        awaitingKey = false
        return rsaEncryptPassword(ctx.password, nonce, data)
      }
      if (data.length === 1 && data[0] === 3) return null // fast authentication succeeded; OK follows
      if (data.length === 1 && data[0] === 4) {
        // Full authentication: the server needs the password itself.
        if (isSecure(ctx.channel)) return clearPassword(ctx.password)
        const step = rsaPath(ctx, nonce, 'caching_sha2_password')
        awaitingKey = step.awaitingKey
        return step.send
      }
      throw new AuthRefused('caching_sha2_password: unexpected authentication data')
    },
  }
}

const sha256Password: AuthPlugin = (ctx) => {
  let nonce = Buffer.alloc(0)
  return {
    initial: (n) => {
      nonce = Buffer.from(n)
      if (ctx.password === '') return Buffer.from([0])
      if (isSecure(ctx.channel)) return clearPassword(ctx.password)
      return rsaPath(ctx, nonce, 'sha256_password').send
    },
    more: (data) => rsaEncryptPassword(ctx.password, nonce, data),
  }
}

const cleartext: AuthPlugin = (ctx) => ({
  initial: () => {
    if (ctx.channel !== 'socket' && ctx.channel !== 'verified-tls') {
      throw new AuthRefused('mysql_clear_password refused: it runs only over verified TLS or a Unix socket')
    }
    return clearPassword(ctx.password)
  },
  more: () => {
    throw new AuthRefused('mysql_clear_password: unexpected extra authentication data')
  },
})

/** MariaDB's client_ed25519 nonce length, and the greeting's (which is not one). */
const ED25519_NONCE_BYTES = 32
const GREETING_SCRAMBLE_BYTES = 20

/**
 * MariaDB's client_ed25519: sign the server's 32-byte nonce with the password as the Ed25519 seed.
 * Only the signature travels, so any channel will do. An empty password is signed too (as
 * libmariadb does); the server compares against the key stored for the empty password.
 */
const clientEd25519: AuthPlugin = (ctx) => ({
  initial: (n) => {
    // Chosen up front (authPlugin), we get the greeting's 20-byte scramble: answer empty and the
    // server switches to client_ed25519 with a real nonce.
    if (n.length === GREETING_SCRAMBLE_BYTES) return Buffer.alloc(0)
    // The server sends exactly 32 bytes with no terminator, but the auth-switch parser drops a
    // trailing NUL, so a nonce that happens to end in 0x00 arrives one byte short: put it back.
    const nonce = n
    if (nonce.length !== ED25519_NONCE_BYTES) {
      throw new AuthRefused(`client_ed25519: expected a ${ED25519_NONCE_BYTES}-byte nonce, got ${n.length}`)
    }
    return ed25519PasswordSign(ctx.password, nonce)
  },
  more: () => {
    throw new AuthRefused('client_ed25519: unexpected extra authentication data')
  },
})

export const builtinAuthPlugins: Readonly<Record<string, AuthPlugin>> = Object.freeze({
  mysql_native_password: nativePassword,
  caching_sha2_password: cachingSha2,
  sha256_password: sha256Password,
  mysql_clear_password: cleartext,
  client_ed25519: clientEd25519,
})
