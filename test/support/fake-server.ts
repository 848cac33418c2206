// A scripted MySQL server on 127.0.0.1 for tests that need a server to misbehave or to speak a
// plugin MariaDB lacks (caching_sha2_password, sha256_password). It greets like MySQL 8, then runs
// the test's script; it records every byte the client sent, so tests can prove what never left.

import {
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  randomInt,
  timingSafeEqual,
  constants as cryptoConstants,
} from 'node:crypto'
import net from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import { inflateSync } from 'node:zlib'
import { Capability, ColumnType, Command } from '../../src/protocol/constants.ts'
import { PacketReader } from '../../src/protocol/reader.ts'
import { columnCount, columnDef, eof, err, greeting, ok, SERVER_CAPS, textRow } from './packets.ts'

export const FAKE_HOST = '127.0.0.1'

export interface Packet {
  readonly seq: number
  readonly payload: Buffer
}

export interface TlsMaterial {
  readonly key: string | Buffer
  readonly cert: string | Buffer
}

export interface FakeServerOptions {
  /** Offer TLS (CLIENT_SSL) in the greeting; default true. Ignored when `capabilities` is given. */
  ssl?: boolean
  /** The greeting's capability flags, exactly. */
  capabilities?: number
  /** The greeting's plugin; default caching_sha2_password. */
  plugin?: string
  version?: string
  /** Sent instead of the greeting (an ERR, garbage); null sends nothing at all. */
  greeting?: Buffer | null
  /** Server key and certificate, needed when a client asks for TLS. */
  tls?: TlsMaterial
  /** Bound on each `read()` (ms); default 3000. */
  readTimeoutMs?: number
}

export type Script = (session: FakeSession) => Promise<void>

/** What a HandshakeResponse41 carried (read by the server side). */
export interface HandshakeResponse {
  readonly seq: number
  readonly capabilities: number
  readonly user: string
  readonly authResponse: Buffer
  readonly database: string | undefined
  readonly plugin: string
  /** The response arrived over TLS (an SSLRequest came first). */
  readonly tls: boolean
}

const MAX_PAYLOAD = 0xffffff - 1

/** One accepted connection: the script's view of the client. */
export class FakeSession {
  /** The 20-byte nonce sent in the greeting (bytes 1..127, like MySQL's, so no NUL). */
  readonly nonce: Buffer
  readonly serverCapabilities: number
  /** Bytes as they crossed TCP from the client (after TLS starts, ciphertext). */
  readonly wire: Buffer[] = []
  /** Bytes the protocol layer read from the client (before TLS raw, after TLS decrypted). */
  readonly plain: Buffer[] = []
  tls = false
  /** The client's capability flags, from its SSLRequest or HandshakeResponse. */
  clientCapabilities = 0
  /** Sequence id of the last packet read or written. */
  seq = 0

  private readonly raw: net.Socket
  private stream: net.Socket | tls.TLSSocket
  private bridge: Duplex | null = null
  private buffer: Buffer = Buffer.alloc(0)
  private ended = false
  private wake: (() => void) | null = null
  private readonly material: TlsMaterial | undefined
  private readonly readTimeoutMs: number

  constructor(raw: net.Socket, serverCapabilities: number, options: FakeServerOptions) {
    this.raw = raw
    this.stream = raw
    this.serverCapabilities = serverCapabilities
    this.material = options.tls
    this.readTimeoutMs = options.readTimeoutMs ?? 3000
    this.nonce = Buffer.from(Array.from({ length: 20 }, () => randomInt(1, 128)))
    raw.on('data', (chunk: Buffer) => {
      this.wire.push(chunk)
      if (this.bridge !== null) this.bridge.push(chunk)
      else this.onPlain(chunk)
    })
    raw.on('end', () => this.bridge?.push(null))
    raw.on('close', () => {
      this.ended = true
      this.notify()
    })
    raw.on('error', () => {})
  }

  /** Everything the client sent, as read by the protocol layer (decrypted after TLS). */
  get received(): Buffer {
    return Buffer.concat(this.plain)
  }

  /** Everything that crossed TCP from the client. */
  get wireBytes(): Buffer {
    return Buffer.concat(this.wire)
  }

  get closed(): boolean {
    return this.ended
  }

  /** The next packet; rejects when the client closes first or after `timeoutMs`. */
  async read(timeoutMs = this.readTimeoutMs): Promise<Packet> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const packet = this.take()
      if (packet !== null) {
        this.seq = packet.seq
        return packet
      }
      if (this.ended) throw new Error('fake server: the client closed the connection')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`fake server: no packet from the client within ${timeoutMs} ms`)
      await this.waitForData(left)
    }
  }

  /**
   * The next compressed frame, once CLIENT_COMPRESS is agreed: its compressed sequence id, the length
   * it declared before compression (0: sent as it is) and its packet bytes, inflated.
   */
  async readFrame(timeoutMs = this.readTimeoutMs): Promise<{ seq: number; declared: number; plain: Buffer }> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const b = this.buffer
      if (b.length >= 7 && b.length >= 7 + b.readUIntLE(0, 3)) {
        const end = 7 + b.readUIntLE(0, 3)
        const declared = b.readUIntLE(4, 3)
        const body = Buffer.from(b.subarray(7, end))
        this.buffer = b.subarray(end)
        return { seq: b[3]!, declared, plain: declared === 0 ? body : inflateSync(body) }
      }
      if (this.ended) throw new Error('fake server: the client closed the connection')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`fake server: no frame from the client within ${timeoutMs} ms`)
      await this.waitForData(left)
    }
  }

  /** Send one payload with sequence id `seq` (default: one after the last packet seen). */
  write(payload: Buffer, seq: number = (this.seq + 1) & 0xff): void {
    this.seq = seq
    if (this.stream.destroyed) return
    const header = Buffer.from([
      payload.length & 0xff,
      (payload.length >> 8) & 0xff,
      payload.length >> 16,
      seq,
    ])
    this.stream.write(Buffer.concat([header, payload]))
  }

  /** Write raw bytes, framing and all (for malformed input). */
  writeRaw(bytes: Buffer): void {
    if (!this.stream.destroyed) this.stream.write(bytes)
  }

  /**
   * Server-side TLS on this connection. Bytes the client sent after its SSLRequest (its
   * ClientHello, often in the same TCP segment) are handed to TLS first.
   */
  async startTls(material: TlsMaterial | undefined = this.material): Promise<void> {
    if (material === undefined)
      throw new Error('fake server: the client asked for TLS but no certificate was given')
    const raw = this.raw
    const bridge = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        raw.write(chunk, (e) => callback(e ?? null))
      },
      final(callback) {
        raw.end()
        callback()
      },
      destroy(error, callback) {
        raw.destroy()
        callback(error)
      },
    })
    this.bridge = bridge
    const leftover = this.buffer
    this.buffer = Buffer.alloc(0)
    if (leftover.length > 0) bridge.push(leftover)
    const secure = new tls.TLSSocket(bridge, {
      isServer: true,
      key: material.key,
      cert: material.cert,
    })
    this.stream = secure
    secure.on('data', (chunk: Buffer) => this.onPlain(chunk))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('fake server: TLS handshake timed out')),
        this.readTimeoutMs,
      )
      secure.once('secure', () => {
        clearTimeout(timer)
        resolve()
      })
      secure.once('error', (e: Error) => {
        clearTimeout(timer)
        reject(e)
      })
    })
    secure.on('error', () => {})
    this.tls = true
  }

  /** Read the HandshakeResponse41, upgrading to TLS first when the client sends an SSLRequest. */
  async readHandshakeResponse(): Promise<HandshakeResponse> {
    let packet = await this.read()
    if (packet.payload.length === 32 && (packet.payload.readUInt32LE(0) & Capability.CLIENT_SSL) !== 0) {
      await this.startTls()
      packet = await this.read()
    }
    const response = parseHandshakeResponse(packet.payload)
    this.clientCapabilities = response.capabilities
    return { ...response, seq: packet.seq, tls: this.tls }
  }

  /**
   * Collect what the client sends until it closes (or `timeoutMs` passes); for asserting that a
   * refusing client sent nothing more. Bounded: at most 100 packets.
   */
  async drain(timeoutMs = 1000): Promise<Packet[]> {
    const got: Packet[] = []
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 100; i++) {
      const left = deadline - Date.now()
      if (left <= 0) break
      try {
        got.push(await this.read(left))
      } catch {
        break
      }
    }
    return got
  }

  /**
   * Answer commands after authentication until COM_QUIT or the client leaves: COM_PING and SET
   * get OK, `SELECT <integer>` a one-row result, anything else ERR 1064. At most 1000 commands.
   */
  async serveQueries(idleTimeoutMs = 10_000): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      let packet: Packet
      try {
        packet = await this.read(idleTimeoutMs)
      } catch {
        return
      }
      const command = packet.payload[0]
      if (command === Command.COM_QUIT) return
      if (command === Command.COM_PING) this.write(ok({ status: 0 }))
      else if (command === Command.COM_QUERY) this.answerQuery(packet.payload.toString('utf8', 1))
      else this.write(err(1047, '08S01', 'Unknown command'))
    }
  }

  /** End the connection politely (after the script). */
  end(): void {
    this.stream.end()
  }

  destroy(): void {
    this.stream.destroy()
    this.raw.destroy()
  }

  private answerQuery(sql: string): void {
    const select = /^\s*SELECT\s+(-?\d+)\s*$/i.exec(sql)
    if (/^\s*SET\s/i.test(sql)) {
      this.write(ok({ status: 0 }))
    } else if (select !== null) {
      const value = select[1]!
      const deprecateEof = (this.clientCapabilities & Capability.CLIENT_DEPRECATE_EOF) !== 0
      this.write(columnCount(1))
      this.write(columnDef(value, ColumnType.MYSQL_TYPE_LONGLONG, 63))
      if (!deprecateEof) this.write(eof(0))
      this.write(textRow([value]))
      this.write(deprecateEof ? ok({ header: 0xfe, status: 0 }) : eof(0))
    } else {
      this.write(err(1064, '42000', 'fake server: only SELECT <integer> and SET are understood'))
    }
  }

  private onPlain(chunk: Buffer): void {
    this.plain.push(chunk)
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    this.notify()
  }

  private take(): Packet | null {
    const b = this.buffer
    if (b.length < 4) return null
    const length = b[0]! | (b[1]! << 8) | (b[2]! << 16)
    if (length > MAX_PAYLOAD) throw new Error('fake server: continued packets are not supported')
    if (b.length < 4 + length) return null
    this.buffer = b.subarray(4 + length)
    return { seq: b[3]!, payload: Buffer.from(b.subarray(4, 4 + length)) }
  }

  private notify(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, timeoutMs)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}

/** Parse a HandshakeResponse41 payload (the fields a test asserts on). */
export function parseHandshakeResponse(payload: Buffer): Omit<HandshakeResponse, 'seq' | 'tls'> {
  const r = new PacketReader(payload)
  const capabilities = r.readUInt32()
  r.skip(4 + 1 + 23)
  const user = r.readNulString()
  let authResponse: Buffer
  if (capabilities & Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = r.readLenencBytes()
  else authResponse = r.readBytes(r.readUInt8())
  const database =
    capabilities & Capability.CLIENT_CONNECT_WITH_DB && r.remaining > 0 ? r.readNulString() : undefined
  const plugin = capabilities & Capability.CLIENT_PLUGIN_AUTH && r.remaining > 0 ? r.readNulString() : ''
  return { capabilities, user, authResponse: Buffer.from(authResponse), database, plugin }
}

export class FakeServer {
  readonly port: number
  readonly sessions: FakeSession[] = []
  private readonly server: net.Server
  private readonly scripts: Promise<unknown>[] = []
  private readonly errors: unknown[] = []

  constructor(server: net.Server, port: number) {
    this.server = server
    this.port = port
  }

  /** @internal */
  track(session: FakeSession, run: Promise<void>): void {
    this.sessions.push(session)
    this.scripts.push(run.catch((e: unknown) => this.errors.push(e)))
  }

  /** Every byte every client sent over TCP, joined. */
  get wireBytes(): Buffer {
    return Buffer.concat(this.sessions.map((s) => s.wireBytes))
  }

  /** Wait for every script so far; rethrow the first failure (a script's assertion). */
  async finished(): Promise<void> {
    await Promise.all(this.scripts)
    if (this.errors.length > 0) throw this.errors[0]
  }

  /** Stop listening and drop every connection. */
  async close(): Promise<void> {
    for (const s of this.sessions) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Listen on 127.0.0.1:<free port>; each connection gets the greeting, then `script`. */
export async function startFakeServer(script: Script, options: FakeServerOptions = {}): Promise<FakeServer> {
  const capabilities =
    options.capabilities ?? (SERVER_CAPS | (options.ssl === false ? 0 : Capability.CLIENT_SSL)) >>> 0
  let fake: FakeServer | null = null
  const server = net.createServer((socket) => {
    const session = new FakeSession(socket, capabilities, options)
    if (options.greeting === undefined) {
      session.write(
        greeting({
          version: options.version ?? '8.0.36',
          nonce: session.nonce,
          capabilities,
          plugin: options.plugin ?? 'caching_sha2_password',
          connectionId: 1000 + (fake?.sessions.length ?? 0),
        }),
        0,
      )
    } else if (options.greeting !== null) {
      session.write(options.greeting, 0)
    }
    const run = (async () => {
      try {
        await script(session)
        session.end()
      } catch (e) {
        session.destroy()
        throw e
      }
    })()
    fake?.track(session, run)
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, FAKE_HOST, () => {
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : 0)
    })
  })
  fake = new FakeServer(server, port)
  return fake
}

// Server-side authentication, computed the way MySQL does ------------------------------------------

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!
  return out
}

/** What a MySQL server stores for caching_sha2's fast path: SHA256(SHA256(password)). */
export function cachingSha2Stored(password: string): Buffer {
  return sha256(sha256(Buffer.from(password, 'utf8')))
}

/**
 * The server's check of a fast-path scramble: recover SHA256(pw) = scramble XOR
 * SHA256(stored ‖ nonce), and compare its hash with the stored value.
 */
export function verifyCachingSha2Scramble(scramble: Buffer, nonce: Buffer, stored: Buffer): boolean {
  if (scramble.length !== 32) return false
  const stage1 = xor(scramble, sha256(stored, nonce))
  return timingSafeEqual(sha256(stage1), stored)
}

export interface RsaKeyPair {
  readonly publicKey: string
  readonly privateKey: string
}

let cachedKeyPair: RsaKeyPair | null = null

/** One RSA-2048 key pair per process (generation takes a moment). */
export function rsaKeyPair(): RsaKeyPair {
  cachedKeyPair ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return cachedKeyPair
}

/** Undo the client's RSA step: OAEP-decrypt, XOR with the nonce, drop the NUL. */
export function decryptRsaPassword(blob: Buffer, nonce: Buffer, privateKey: string): string {
  const plain = privateDecrypt({ key: privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING }, blob)
  const password = xor(plain, nonce)
  if (password[password.length - 1] !== 0) throw new Error('fake server: RSA password is not NUL-terminated')
  return password.toString('utf8', 0, password.length - 1)
}

export interface AuthOutcome {
  readonly ok: boolean
  /** How the password was proven: scramble, cleartext over TLS, RSA, or an empty password. */
  readonly path: 'fast' | 'cleartext' | 'rsa' | 'empty' | 'none'
  /** The client asked for the server's public key. */
  readonly keyRequested: boolean
}

const ACCESS_DENIED = (user: string): Buffer =>
  err(1045, '28000', `Access denied for user '${user}'@'localhost' (using password: YES)`)

/**
 * MySQL's caching_sha2_password, server side, after the HandshakeResponse. `cached: false` forces
 * full authentication (as after a server restart). Over plain TCP the full path takes only RSA;
 * a key request (0x02) is answered with the public key. Writes OK or ERR 1045.
 */
export async function serveCachingSha2(
  s: FakeSession,
  hs: Pick<HandshakeResponse, 'authResponse' | 'user' | 'tls'>,
  o: { password: string; cached?: boolean; keys?: RsaKeyPair },
): Promise<AuthOutcome> {
  const keys = o.keys ?? rsaKeyPair()
  const finish = (pass: boolean, path: AuthOutcome['path'], keyRequested: boolean): AuthOutcome => {
    s.write(pass ? ok({ status: 2 }) : ACCESS_DENIED(hs.user))
    return { ok: pass, path, keyRequested }
  }
  if (o.password === '' && hs.authResponse.length === 0) return finish(true, 'empty', false)
  if (o.cached !== false) {
    const valid = verifyCachingSha2Scramble(hs.authResponse, s.nonce, cachingSha2Stored(o.password))
    if (valid) {
      s.write(Buffer.from([0x01, 0x03]))
      return finish(true, 'fast', false)
    }
    return finish(false, 'fast', false)
  }
  s.write(Buffer.from([0x01, 0x04]))
  let packet = await s.read()
  let keyRequested = false
  if (!hs.tls && packet.payload.length === 1 && packet.payload[0] === 0x02) {
    keyRequested = true
    s.write(Buffer.concat([Buffer.from([0x01]), Buffer.from(keys.publicKey)]))
    packet = await s.read()
  }
  if (hs.tls) {
    const expected = Buffer.from(o.password + '\0', 'utf8')
    return finish(packet.payload.equals(expected), 'cleartext', keyRequested)
  }
  let given: string | null
  try {
    given = decryptRsaPassword(packet.payload, s.nonce, keys.privateKey)
  } catch {
    given = null
  }
  return finish(given === o.password, 'rsa', keyRequested)
}

/**
 * MySQL's sha256_password, server side: the first auth response is the cleartext password (over
 * TLS), 0x01 (a key request), or the RSA blob. Writes OK or ERR 1045.
 */
export async function serveSha256(
  s: FakeSession,
  hs: Pick<HandshakeResponse, 'authResponse' | 'user' | 'tls'>,
  o: { password: string; keys?: RsaKeyPair },
): Promise<AuthOutcome> {
  const keys = o.keys ?? rsaKeyPair()
  let response = hs.authResponse
  let keyRequested = false
  const finish = (pass: boolean, path: AuthOutcome['path']): AuthOutcome => {
    s.write(pass ? ok({ status: 2 }) : ACCESS_DENIED(hs.user))
    return { ok: pass, path, keyRequested }
  }
  if (response.length === 1 && response[0] === 0) return finish(o.password === '', 'empty')
  if (hs.tls) return finish(response.equals(Buffer.from(o.password + '\0', 'utf8')), 'cleartext')
  if (response.length === 1 && response[0] === 0x01) {
    keyRequested = true
    s.write(Buffer.concat([Buffer.from([0x01]), Buffer.from(keys.publicKey)]))
    response = (await s.read()).payload
  }
  let given: string | null
  try {
    given = decryptRsaPassword(response, s.nonce, keys.privateKey)
  } catch {
    given = null
  }
  return finish(given === o.password, 'rsa')
}

/** True when `needle` occurs anywhere in `haystack` (for "the password never crossed the wire"). */
export function contains(haystack: Buffer, needle: string | Buffer): boolean {
  return haystack.indexOf(typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle) >= 0
}
