// Byte-level tools for the protocol fuzz properties: mutations of payloads and of packet sequences
// (as fast-check values, so failures shrink and replay), payloads embedded between foreign bytes (a
// parser that reads outside its [start, end) then gives a different answer), a canonical text form of
// decoded values for comparing two decodings, and the one rule of the protocol layer: the only error a
// malformed input may raise is MalformedPacket.

import fc from 'fast-check'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { lenencPrefix } from '../support/packets.ts'

// ---- byte mutations ------------------------------------------------------------------------------

/** Byte values that mean something on the wire: lenenc prefixes, OK/EOF/ERR headers, sign bits. */
const SPECIAL_BYTES = [0x00, 0x01, 0x0c, 0x7f, 0x80, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff] as const

export const byteArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...SPECIAL_BYTES),
  fc.integer({ min: 0, max: 255 }),
)

/**
 * One edit of a payload. Positions are taken modulo the payload's length at the time of the edit, so
 * any mutation applies to any payload (and shrinks towards the start).
 */
export type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number }
  /** A length-encoded integer written over the bytes at `at` (a lying length). */
  | { readonly kind: 'length'; readonly at: number; readonly value: number }

const position = fc.nat({ max: 1 << 16 })

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: position, value: byteArb }),
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('length' as const),
    at: position,
    value: fc.oneof(
      fc.constantFrom(0, 1, 0xfa, 0xfb, 0xfc, 0xffff, 0x10000, 0xffffff, 0x1000000, 2 ** 32, 2 ** 53 - 1),
      fc.nat(),
    ),
  }),
)

/** At least one edit, usually a few. */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 4 })

/** `payload` with the edits applied in order (a new buffer; the input is left alone). */
export function mutate(payload: Uint8Array, edits: readonly Mutation[]): Buffer {
  let b = Buffer.from(payload)
  for (const m of edits) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.kind === 'insert' ? 1 : 0))
    switch (m.kind) {
      case 'set':
        if (b.length > 0) b[at] = m.value
        break
      case 'flip':
        if (b.length > 0) b[at]! ^= 1 << m.bit
        break
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)])
        break
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)])
        break
      case 'truncate':
        b = b.subarray(0, at)
        break
      case 'length': {
        const enc = lenenc(m.value)
        const end = Math.min(b.length, at + enc.length)
        b = Buffer.concat([b.subarray(0, at), enc, b.subarray(end)])
        break
      }
    }
  }
  return Buffer.from(b)
}

/** A length-encoded integer as the wire spells it (the shared test helper). */
export const lenenc = lenencPrefix

/** Random bytes: mostly short (where the structure is), sometimes a few hundred. */
export const randomPayloadArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  )
  .map((u) => Buffer.from(u))

/** A valid payload, or the same mutated, or plain random bytes. */
export function payloadVariants(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 4, arbitrary: fc.tuple(valid, mutationsArb).map(([p, m]) => mutate(p, m)) },
    { weight: 1, arbitrary: randomPayloadArb },
  )
}

// ---- packet-sequence mutations -------------------------------------------------------------------

/** One edit of a list of payloads (indices modulo the list's length at the time). */
export type SequenceEdit =
  | { readonly kind: 'bytes'; readonly packet: number; readonly edits: Mutation[] }
  | { readonly kind: 'drop'; readonly packet: number }
  | { readonly kind: 'duplicate'; readonly packet: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number }
  | { readonly kind: 'insert'; readonly packet: number; readonly payload: Uint8Array }
  | { readonly kind: 'cut'; readonly packet: number }

const index = fc.nat({ max: 255 })

export const sequenceEditArb: fc.Arbitrary<SequenceEdit> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('bytes' as const), packet: index, edits: mutationsArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), packet: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), packet: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), a: index, b: index }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      packet: index,
      payload: fc.uint8Array({ maxLength: 32 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), packet: index }) },
)

export const sequenceEditsArb: fc.Arbitrary<SequenceEdit[]> = fc.array(sequenceEditArb, {
  minLength: 1,
  maxLength: 4,
})

/** The payload list with the edits applied (new buffers; the inputs are left alone). */
export function mutateSequence(payloads: readonly Buffer[], edits: readonly SequenceEdit[]): Buffer[] {
  const out: Buffer[] = payloads.map((p) => Buffer.from(p))
  for (const e of edits) {
    const n = out.length
    switch (e.kind) {
      case 'bytes':
        if (n > 0) out[e.packet % n] = mutate(out[e.packet % n]!, e.edits)
        break
      case 'drop':
        if (n > 0) out.splice(e.packet % n, 1)
        break
      case 'duplicate':
        if (n > 0) out.splice(e.packet % n, 0, Buffer.from(out[e.packet % n]!))
        break
      case 'swap':
        if (n > 1) [out[e.a % n], out[e.b % n]] = [out[e.b % n]!, out[e.a % n]!]
        break
      case 'insert':
        out.splice(e.packet % (n + 1), 0, Buffer.from(e.payload))
        break
      case 'cut':
        out.length = n === 0 ? 0 : e.packet % n
        break
    }
  }
  return out
}

// ---- embedding -----------------------------------------------------------------------------------

/** Bytes placed around a payload; generated, so a failing case replays with the same neighbours. */
export const paddingArb: fc.Arbitrary<{ before: Uint8Array; after: Uint8Array }> = fc.record({
  before: fc.uint8Array({ maxLength: 16 }),
  after: fc.uint8Array({ minLength: 1, maxLength: 16 }),
})

/** `payload` copied between foreign bytes: buf[start, end) is the payload. */
export function embed(
  payload: Uint8Array,
  padding: { before: Uint8Array; after: Uint8Array },
): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.concat([padding.before, payload, padding.after])
  return { buf, start: padding.before.length, end: padding.before.length + payload.length }
}

/** A fresh exact-size copy: a read past its end returns undefined rather than a neighbour's byte. */
export function alone(payload: Uint8Array): Buffer {
  return Buffer.from(payload)
}

// ---- outcomes ------------------------------------------------------------------------------------

/** Longest string a decoder may produce from the fuzzed payloads (all far shorter than this). */
const MAX_DECODED_LENGTH = 1 << 16

/**
 * Decoded values as text, exact for what the decoders return: -0 and NaN, bigints, Buffers by content,
 * Dates by time value (invalid ones too), nested arrays and objects (bounded depth).
 */
export function canon(v: unknown, depth = 0): string {
  if (depth > 64) return '…'
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v)
    case 'bigint':
      return `${v}n`
    case 'string':
      // The fuzzed payloads are at most a few KiB; a value far larger was made up by a decoder
      // (unbounded output from a few input bytes), which SPEC §8's bounded reads rule out.
      if (v.length > MAX_DECODED_LENGTH)
        throw new Error(`a decoder produced a string of ${v.length} characters from a fuzzed payload`)
      return JSON.stringify(v)
    case 'undefined':
      return 'undefined'
    case 'boolean':
      return String(v)
    case 'object':
      if (v === null) return 'null'
      if (v instanceof Uint8Array)
        return `<${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}>`
      if (v instanceof Date) return `Date(${v.getTime()})`
      if (Array.isArray(v)) return `[${v.map((x) => canon(x, depth + 1)).join(',')}]`
      return `{${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}:${canon(x, depth + 1)}`)
        .join(',')}}`
    case 'function':
    case 'symbol':
      return `?${typeof v}`
  }
}

/** What a decode gave: its canonical value, or that it refused the input. */
export type Outcome = { readonly value: string } | { readonly malformed: true }

/**
 * Run a decode. A MalformedPacket is an allowed outcome; any other error (a TypeError or RangeError
 * from reading past a buffer, a decoder throwing) is what the fuzzing looks for, and fails the property.
 */
export function outcome(what: string, decode: () => unknown): Outcome {
  try {
    return { value: canon(decode()) }
  } catch (e) {
    if (e instanceof MalformedPacket) return { malformed: true }
    throw new Error(
      `${what} threw ${e instanceof Error ? e.name : typeof e}, not MalformedPacket: ${String(e)}`,
      {
        cause: e,
      },
    )
  }
}

/** The two outcomes are the same, else a message that shows both. */
export function sameOutcome(what: string, a: Outcome, b: Outcome): void {
  const text = (o: Outcome): string => ('value' in o ? o.value : 'MalformedPacket')
  if (text(a) !== text(b)) {
    throw new Error(
      `${what}: the payload alone and inside a larger buffer decode differently:\n  alone:    ${text(a)}\n  embedded: ${text(b)}`,
    )
  }
}
