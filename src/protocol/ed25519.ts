// Ed25519 signatures for MariaDB's client_ed25519, where the password of any length stands in for
// the RFC 8032 32-byte seed. node:crypto only signs with a 32-byte seed, so the group arithmetic is
// done here with BigInt: correct and simple rather than fast (one signature per connect).

import { createHash } from 'node:crypto'

const P = 2n ** 255n - 19n
/** Order of the base point. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n

function mod(a: bigint, m: bigint = P): bigint {
  const r = a % m
  return r >= 0n ? r : r + m
}

/** base^exp mod P, square-and-multiply over a fixed 255 bits. */
function pow(base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = mod(base)
  for (let i = 0; i < 255; i++) {
    if ((exp >> BigInt(i)) & 1n) result = mod(result * b)
    b = mod(b * b)
  }
  return result
}

const invert = (a: bigint): bigint => pow(a, P - 2n)

/** The curve constant d = -121665/121666, doubled once for the addition formula. */
const D2 = mod(2n * mod(-121665n * invert(121666n)))

/** A point in extended coordinates: x = X/Z, y = Y/Z, x·y = T/Z. */
interface Point {
  readonly x: bigint
  readonly y: bigint
  readonly z: bigint
  readonly t: bigint
}

const IDENTITY: Point = { x: 0n, y: 1n, z: 1n, t: 0n }
const BASE_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202n
const BASE_Y = 46316835694926478169428394003475163141307993866256225615783033603165251855960n
const BASE: Point = { x: BASE_X, y: BASE_Y, z: 1n, t: mod(BASE_X * BASE_Y) }

/**
 * Point addition for a = -1 (Hisil–Wong–Carter–Dawson). The formula is complete on this curve (d is
 * not a square), so it also doubles and handles the identity: no special cases, no branches.
 */
function add(p: Point, q: Point): Point {
  const a = mod((p.y - p.x) * (q.y - q.x))
  const b = mod((p.y + p.x) * (q.y + q.x))
  const c = mod(p.t * D2 * q.t)
  const d = mod(2n * p.z * q.z)
  const e = b - a
  const f = d - c
  const g = d + c
  const h = b + a
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) }
}

/** k·p with a Montgomery ladder: 256 steps of one addition and one doubling, whatever the bits. */
function multiply(k: bigint, p: Point): Point {
  let r0 = IDENTITY
  let r1 = p
  for (let i = 255; i >= 0; i--) {
    if ((k >> BigInt(i)) & 1n) {
      r0 = add(r0, r1)
      r1 = add(r1, r1)
    } else {
      r1 = add(r0, r1)
      r0 = add(r0, r0)
    }
  }
  return r0
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

function toLittleEndian(n: bigint, length: number): Buffer {
  const out = Buffer.alloc(length)
  let v = n
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** RFC 8032 point encoding: y little-endian, the sign (low bit) of x in the top bit. */
function encode(p: Point): Buffer {
  const zInv = invert(p.z)
  const x = mod(p.x * zInv)
  const y = mod(p.y * zInv)
  const out = toLittleEndian(y, 32)
  out[31] = out[31]! | (Number(x & 1n) << 7)
  return out
}

function sha512(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha512')
  for (const part of parts) h.update(part)
  return h.digest()
}

/** The secret scalar from the first half of the expanded key, clamped as RFC 8032 5.1.5 says. */
function secretScalar(az: Uint8Array): bigint {
  const a = Buffer.from(az.subarray(0, 32))
  a[0] = a[0]! & 248
  a[31] = (a[31]! & 127) | 64
  return fromLittleEndian(a)
}

function checkExpandedKey(az: Uint8Array): void {
  if (az.length !== 64) throw new RangeError(`an expanded Ed25519 key has 64 bytes, got ${az.length}`)
}

/** @internal The public key A for an expanded key az (= SHA-512 of the seed). */
export function publicKeyFromExpandedKey(az: Uint8Array): Buffer {
  checkExpandedKey(az)
  return encode(multiply(secretScalar(az), BASE))
}

/**
 * @internal RFC 8032 signing from the expanded key az = SHA-512(seed): R ‖ S, 64 bytes. Exposed so
 * the RFC's test vectors (32-byte seeds) can check the same code the password path uses.
 */
export function signWithExpandedKey(az: Uint8Array, message: Uint8Array): Buffer {
  checkExpandedKey(az)
  const a = secretScalar(az)
  const publicKey = encode(multiply(a, BASE))
  const r = mod(fromLittleEndian(sha512(az.subarray(32, 64), message)), L)
  const R = encode(multiply(r, BASE))
  const k = mod(fromLittleEndian(sha512(R, publicKey, message)), L)
  const s = mod(r + k * a, L)
  return Buffer.concat([R, toLittleEndian(s, 32)])
}

/** client_ed25519's answer to the server's nonce: the nonce signed with the password as the seed. */
export function ed25519PasswordSign(password: string, nonce: Uint8Array): Buffer {
  return signWithExpandedKey(sha512(Buffer.from(password, 'utf8')), nonce)
}

/** The public key the server stores for a password (MariaDB shows it base64-encoded, unpadded). */
export function ed25519PasswordPublicKey(password: string): Buffer {
  return publicKeyFromExpandedKey(sha512(Buffer.from(password, 'utf8')))
}
