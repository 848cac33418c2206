// Parameters of COM_STMT_EXECUTE and COM_STMT_BULK_EXECUTE (src/protocol/binary-params.ts), checked
// byte by byte against the protocol documentation: the header, the NULL bitmap, the new-params-bound
// flag, two type bytes per parameter (0x80 in the second for unsigned) and each value's binary form.
// A small decoder written from the documentation reads the payloads back, so random batches can be
// checked for covering every row once, in order, with the right values.

import assert from 'node:assert/strict'
import { describe, it, test } from 'node:test'

import { ProgrammingError } from '../../../src/errors.ts'
import {
  encodeBulk,
  encodeExecute,
  executeParamTypes,
  LAST_PREPARED,
  paramType,
  setStatementId,
  withoutParamTypes,
  type BindContext,
} from '../../../src/protocol/binary-params.ts'

const utf8: BindContext = { tzOffset: 0, encode: null }
const ist: BindContext = { tzOffset: 330, encode: null }

// Wire types (MYSQL_TYPE_*), written out here rather than imported, as the documentation lists them.
const TINY = 0x01
const DOUBLE = 0x05
const NULL = 0x06
const LONGLONG = 0x08
const DATETIME = 0x0c
const NEWDECIMAL = 0xf6
const BLOB = 0xfc
const VAR_STRING = 0xfd
const UNSIGNED = 0x8000

const hex = (s: string): string => s.replace(/\s+/g, '')
/** The payload of a framed buffer (after the 4 spare header bytes) as hex. */
const payloadHex = (framed: Buffer): string => framed.subarray(4).toString('hex')

const throwsPE = (fn: () => unknown, re?: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProgrammingError, `expected ProgrammingError, got ${String(e)}`)
    if (re !== undefined) assert.match(e.message, re)
    return true
  })
}

/** 8 bytes little-endian two's complement (signed) or unsigned, as hex. */
function int64Hex(v: bigint): string {
  const b = Buffer.alloc(8)
  if (v < 0n) b.writeBigInt64LE(v)
  else b.writeBigUInt64LE(v)
  return b.toString('hex')
}

/** A length-encoded integer as hex. */
function lenencHex(n: number): string {
  if (n < 0xfb) return Buffer.from([n]).toString('hex')
  if (n < 0x10000) return 'fc' + Buffer.from([n & 0xff, n >> 8]).toString('hex')
  if (n < 0x1000000) return 'fd' + Buffer.from([n & 0xff, (n >> 8) & 0xff, n >> 16]).toString('hex')
  return 'fe' + int64Hex(BigInt(n))
}

/** The two type bytes: the type, then 0x80 when unsigned. */
function typeHex(type: number): string {
  return Buffer.from([type & 0xff, type >> 8]).toString('hex')
}

/** A DATETIME value: length 11, year u16, month, day, hour, minute, second, microseconds u32. */
function dateTimeHex(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number): string {
  const b = Buffer.alloc(12)
  b[0] = 11
  b.writeUInt16LE(y, 1)
  b[3] = mo
  b[4] = d
  b[5] = h
  b[6] = mi
  b[7] = s
  b.writeUInt32LE(us, 8)
  return b.toString('hex')
}

/** COM_STMT_EXECUTE header with id 0, flags 0 (CURSOR_TYPE_NO_CURSOR) and iteration count 1. */
const EXECUTE_HEADER = hex('17 00000000 00 01000000')

/** The payload for one parameter of `type` whose value bytes are `valueHex`. */
const oneParam = (type: number, valueHex: string): string =>
  EXECUTE_HEADER + '00' + '01' + typeHex(type) + valueHex

// ---- A decoder written from the protocol documentation ----

class Reader {
  readonly buf: Buffer
  pos: number
  constructor(buf: Buffer, start: number) {
    this.buf = buf
    this.pos = start
  }
  u8(): number {
    assert.ok(this.pos < this.buf.length, 'read past the end')
    return this.buf[this.pos++]!
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.pos)
    this.pos += 2
    return v
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }
  lenenc(): number {
    const first = this.u8()
    if (first < 0xfb) return first
    if (first === 0xfc) return this.u16()
    if (first === 0xfd) return this.u16() + this.u8() * 0x10000
    assert.equal(first, 0xfe, 'bad length prefix')
    const v = this.buf.readBigUInt64LE(this.pos)
    this.pos += 8
    return Number(v)
  }
  bytes(n: number): Buffer {
    assert.ok(this.pos + n <= this.buf.length, 'value runs past the end')
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
  get done(): boolean {
    return this.pos === this.buf.length
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** A decoded value in the same canonical form as canon() below. */
function readValue(r: Reader, type: number): unknown {
  switch (type & 0xff) {
    case LONGLONG: {
      const b = r.bytes(8)
      return type & UNSIGNED ? b.readBigUInt64LE() : b.readBigInt64LE()
    }
    case DOUBLE:
      return r.bytes(8).readDoubleLE()
    case TINY: {
      const v = r.u8()
      assert.ok(v === 0 || v === 1, `TINY ${v}`)
      return v === 1
    }
    case NEWDECIMAL:
      return { decimal: r.bytes(r.lenenc()).toString('latin1') }
    case VAR_STRING:
      return r.bytes(r.lenenc()).toString('utf8')
    case BLOB:
      return { bytes: r.bytes(r.lenenc()).toString('hex') }
    case DATETIME: {
      assert.equal(r.u8(), 11, 'DATETIME length')
      const [y, mo, d, h, mi, s] = [r.u16(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8()]
      const us = r.u32()
      assert.equal(us % 1000, 0, 'a Date has milliseconds only')
      return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(us / 1000, 3)}`
    }
    default:
      return assert.fail(`unexpected type 0x${type.toString(16)}`)
  }
}

/** What a value should decode to: integers as bigint, huge ones as decimals, bytes as hex, Dates as text. */
function canon(v: unknown, tzOffset: number): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 64) return BigInt(v)
  if (typeof v === 'bigint') return v >= -(2n ** 63n) && v < 2n ** 64n ? v : { decimal: String(v) }
  if (v instanceof Uint8Array)
    return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') }
  if (v instanceof Date)
    return new Date(v.getTime() + tzOffset * 60_000).toISOString().slice(0, 23).replace('T', ' ')
  return v
}

interface DecodedExecute {
  readonly command: number
  readonly id: number
  readonly flags: number
  readonly iterations: number
  readonly nullBitmap: Buffer
  readonly types: number[]
  readonly values: unknown[]
}

/** Reads a framed COM_STMT_EXECUTE payload with n parameters. */
function decodeExecute(framed: Buffer, n: number): DecodedExecute {
  const r = new Reader(framed, 4)
  const command = r.u8()
  const id = r.u32()
  const flags = r.u8()
  const iterations = r.u32()
  const types: number[] = []
  const values: unknown[] = []
  let nullBitmap: Buffer = Buffer.alloc(0)
  if (n > 0) {
    nullBitmap = r.bytes((n + 7) >> 3)
    assert.equal(r.u8(), 1, 'new-params-bound flag')
    for (let i = 0; i < n; i++) types.push(r.u16())
    for (let i = 0; i < n; i++) {
      const isNull = (nullBitmap[i >> 3]! & (1 << (i & 7))) !== 0
      assert.equal(isNull, types[i] === NULL, `parameter ${i}: NULL bit and NULL type agree`)
      values.push(isNull ? null : readValue(r, types[i]!))
    }
  }
  assert.ok(r.done, 'bytes left after the last value')
  return { command, id, flags, iterations, nullBitmap, types, values }
}

interface DecodedBulk {
  readonly command: number
  readonly id: number
  readonly flags: number
  readonly types: number[]
  readonly rows: unknown[][]
}

/** Reads a framed COM_STMT_BULK_EXECUTE payload with n parameters per row. */
function decodeBulk(framed: Buffer, n: number): DecodedBulk {
  const r = new Reader(framed, 4)
  const command = r.u8()
  const id = r.u32()
  const flags = r.u16()
  const types: number[] = []
  for (let i = 0; i < n; i++) types.push(r.u16())
  const rows: unknown[][] = []
  while (!r.done) {
    const row: unknown[] = []
    for (let i = 0; i < n; i++) {
      const indicator = r.u8()
      assert.ok(indicator === 0 || indicator === 1, `indicator ${indicator}`)
      row.push(indicator === 1 ? null : readValue(r, types[i]!))
    }
    rows.push(row)
  }
  return { command, id, flags, types, rows }
}

/** Every batch of `rows` under `limit`, checking that the calls go forward. */
function allBatches(
  rows: readonly (readonly unknown[])[],
  limit: number,
  ctx: BindContext = utf8,
): { from: number; to: number; payload: Buffer }[] {
  const out: { from: number; to: number; payload: Buffer }[] = []
  for (let from = 0; from < rows.length;) {
    const { payload, to } = encodeBulk(rows, from, limit, ctx)
    assert.ok(to > from && to <= rows.length, `batch from ${from} ends at ${to}`)
    out.push({ from, to, payload: Buffer.from(payload) })
    from = to
  }
  return out
}

// ---- COM_STMT_EXECUTE ----

describe('encodeExecute: layout', () => {
  it('no parameters: 4 spare header bytes, then 0x17, id 0, flags 0, iteration count 1 and nothing else', () => {
    const framed = encodeExecute([], utf8)
    assert.equal(framed.length, 4 + 10)
    assert.equal(payloadHex(framed), EXECUTE_HEADER)
  })

  it('one parameter: NULL bitmap, new-params-bound 1, type, value', () => {
    assert.equal(
      payloadHex(encodeExecute([1], utf8)),
      hex('17 00000000 00 01000000 00 01 0800 0100000000000000'),
    )
  })

  it('several parameters: all types first, then the values of the non-NULL ones', () => {
    assert.equal(
      payloadHex(encodeExecute([1, 'ab', null, true], utf8)),
      hex('17 00000000 00 01000000') +
        hex('04') + // NULL bitmap: parameter 2
        hex('01') +
        hex('0800 fd00 0600 0100') +
        hex('0100000000000000 02 6162 01'),
    )
  })

  it('the framed buffer is exactly as long as the payload plus the header', () => {
    const framed = encodeExecute(['x'.repeat(5000), 1, null], utf8)
    assert.equal(framed.length, 4 + 10 + 1 + 1 + 6 + 3 + 5000 + 8)
  })
})

describe('executeParamTypes / withoutParamTypes: an EXECUTE without its types', () => {
  it('reads the types block and drops it, with new-params-bound 0 and the header length fixed', () => {
    const framed = encodeExecute([1, 'ab', null, true], utf8)
    assert.equal(executeParamTypes(framed, 4)?.toString('hex'), hex('0800 fd00 0600 0100'))
    const short = withoutParamTypes(framed, 4)
    assert.equal(
      payloadHex(short),
      hex('17 00000000 00 01000000') + hex('04') + hex('00') + hex('0100000000000000 02 6162 01'),
    )
    assert.equal(short.readUIntLE(0, 3), short.length - 4)
  })

  it('nothing to drop: no parameters, or not an EXECUTE', () => {
    assert.equal(executeParamTypes(encodeExecute([], utf8), 0), null)
    const framed = encodeExecute([1], utf8)
    const bulk = Buffer.from(framed)
    bulk[4] = 0xfa
    assert.equal(executeParamTypes(bulk, 1), null)
  })
})

describe('encodeExecute: integers', () => {
  it('safe integers are LONGLONG, 8 bytes two’s complement', () => {
    for (const v of [
      0,
      -0,
      1,
      -1,
      255,
      256,
      2 ** 31 - 1,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 32 - 1,
      2 ** 32,
      -(2 ** 32),
      123456789012,
      -123456789012,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]) {
      assert.equal(payloadHex(encodeExecute([v], utf8)), oneParam(LONGLONG, int64Hex(BigInt(v))), String(v))
    }
    assert.equal(int64Hex(-1n), 'ffffffffffffffff')
    assert.equal(
      payloadHex(encodeExecute([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER], utf8)).slice(-32),
      hex('ffffffffffff1f00 010000000000e0ff'),
    )
  })

  it('integral numbers beyond 2^53 are LONGLONG too; from 2^63 unsigned; from 2^64 DOUBLE', () => {
    assert.equal(payloadHex(encodeExecute([2 ** 60], utf8)), oneParam(LONGLONG, '0000000000000010'))
    assert.equal(payloadHex(encodeExecute([-(2 ** 60)], utf8)), oneParam(LONGLONG, '00000000000000f0'))
    assert.equal(payloadHex(encodeExecute([2 ** 53], utf8)), oneParam(LONGLONG, '0000000000002000'))
    assert.equal(payloadHex(encodeExecute([-(2 ** 63)], utf8)), oneParam(LONGLONG, '0000000000000080'))
    assert.equal(
      payloadHex(encodeExecute([2 ** 63], utf8)),
      oneParam(LONGLONG | UNSIGNED, '0000000000000080'),
    )
    assert.equal(
      payloadHex(encodeExecute([2 ** 64 - 2 ** 11], utf8)),
      oneParam(LONGLONG | UNSIGNED, '00f8ffffffffffff'),
    )
    const dbl = Buffer.alloc(8)
    dbl.writeDoubleLE(2 ** 64)
    assert.equal(payloadHex(encodeExecute([2 ** 64], utf8)), oneParam(DOUBLE, dbl.toString('hex')))
  })

  it('bigint: LONGLONG signed within int64, unsigned up to 2^64-1, NEWDECIMAL digits beyond', () => {
    const cases: [bigint, number, string][] = [
      [0n, LONGLONG, '0000000000000000'],
      [-1n, LONGLONG, 'ffffffffffffffff'],
      [2n ** 63n - 1n, LONGLONG, 'ffffffffffffff7f'],
      [-(2n ** 63n), LONGLONG, '0000000000000080'],
      [2n ** 63n, LONGLONG | UNSIGNED, '0000000000000080'],
      [2n ** 64n - 1n, LONGLONG | UNSIGNED, 'ffffffffffffffff'],
    ]
    for (const [v, type, bytes] of cases) {
      assert.equal(payloadHex(encodeExecute([v], utf8)), oneParam(type, bytes), String(v))
    }
    const decimal = (v: bigint): string => {
      const digits = Buffer.from(String(v), 'latin1')
      return lenencHex(digits.length) + digits.toString('hex')
    }
    assert.equal(
      payloadHex(encodeExecute([10n ** 30n], utf8)),
      oneParam(NEWDECIMAL, '1f31' + '30'.repeat(30)), // 31 digits: '1' and 30 zeros
    )
    for (const v of [2n ** 64n, -(2n ** 63n) - 1n, -(10n ** 40n), 10n ** 300n]) {
      assert.equal(payloadHex(encodeExecute([v], utf8)), oneParam(NEWDECIMAL, decimal(v)), String(v))
    }
    assert.equal(paramType(10n ** 30n), 0xf6)
  })
})

describe('encodeExecute: other scalars', () => {
  it('non-integral numbers are DOUBLE, 8 bytes IEEE 754 little-endian', () => {
    assert.equal(payloadHex(encodeExecute([0.5], utf8)), oneParam(DOUBLE, '000000000000e03f'))
    assert.equal(payloadHex(encodeExecute([-2.5], utf8)), oneParam(DOUBLE, '00000000000004c0'))
    for (const v of [0.1, -1e-300, 1.5e300, 1e20, Number.MIN_VALUE]) {
      const b = Buffer.alloc(8)
      b.writeDoubleLE(v)
      assert.equal(payloadHex(encodeExecute([v], utf8)), oneParam(DOUBLE, b.toString('hex')), String(v))
    }
  })

  it('booleans are TINY 1 / 0', () => {
    assert.equal(payloadHex(encodeExecute([true], utf8)), oneParam(TINY, '01'))
    assert.equal(payloadHex(encodeExecute([false], utf8)), oneParam(TINY, '00'))
  })

  it('strings are VAR_STRING with a length-encoded UTF-8 body', () => {
    assert.equal(payloadHex(encodeExecute(['abc'], utf8)), oneParam(VAR_STRING, '03616263'))
    assert.equal(payloadHex(encodeExecute([''], utf8)), oneParam(VAR_STRING, '00'))
    // é (2 bytes), € (3 bytes), 😀 (4 bytes): the length counts bytes.
    assert.equal(
      payloadHex(encodeExecute(['é€😀'], utf8)),
      oneParam(VAR_STRING, '09' + Buffer.from('é€😀', 'utf8').toString('hex')),
    )
    assert.equal(payloadHex(encodeExecute(["'\0\\"], utf8)), oneParam(VAR_STRING, '0327005c'))
  })

  it('length prefixes at their boundaries: 1 byte up to 250, then 0xfc + 2 bytes, then 0xfd + 3 bytes', () => {
    for (const [len, prefix] of [
      [250, 'fa'],
      [251, 'fcfb00'],
      [300, 'fc2c01'],
      [65535, 'fcffff'],
      [65536, 'fd000001'],
    ] as const) {
      const s = 'x'.repeat(len)
      assert.equal(
        payloadHex(encodeExecute([s], utf8)),
        oneParam(VAR_STRING, prefix + Buffer.from(s).toString('hex')),
        `length ${len}`,
      )
    }
    // 150 characters of 2 bytes each: 300 bytes, so the 0xfc prefix.
    const wide = 'é'.repeat(150)
    assert.equal(
      payloadHex(encodeExecute([wide], utf8)),
      oneParam(VAR_STRING, 'fc2c01' + Buffer.from(wide, 'utf8').toString('hex')),
    )
  })

  it('a custom encode function is used for strings (and only strings)', () => {
    const seen: string[] = []
    const latin1: BindContext = {
      tzOffset: 0,
      encode: (s) => {
        seen.push(s)
        return Buffer.from(s, 'latin1')
      },
    }
    assert.equal(
      payloadHex(encodeExecute(['é', 1, 'ab'], latin1)).slice(-26),
      hex('01e9 0100000000000000 026162'),
    )
    assert.deepEqual(seen, ['é', 'ab'])
    const long = 'é'.repeat(300)
    assert.equal(payloadHex(encodeExecute([long], latin1)), oneParam(VAR_STRING, 'fc2c01' + 'e9'.repeat(300)))
  })

  it('Buffers and Uint8Arrays are BLOB with a length-encoded body (views included)', () => {
    assert.equal(payloadHex(encodeExecute([Buffer.from([0, 0xff, 0x27])], utf8)), oneParam(BLOB, '0300ff27'))
    assert.equal(payloadHex(encodeExecute([new Uint8Array([1, 2])], utf8)), oneParam(BLOB, '020102'))
    assert.equal(payloadHex(encodeExecute([Buffer.alloc(0)], utf8)), oneParam(BLOB, '00'))
    const backing = new Uint8Array([9, 9, 5, 6, 7, 9])
    assert.equal(payloadHex(encodeExecute([backing.subarray(2, 5)], utf8)), oneParam(BLOB, '03050607'))
    const big = Buffer.alloc(70_000, 0xab)
    assert.equal(payloadHex(encodeExecute([big], utf8)), oneParam(BLOB, 'fd701101' + 'ab'.repeat(70_000)))
  })
})

describe('encodeExecute: Dates', () => {
  it('DATETIME, length 11, in UTC when tzOffset is 0', () => {
    assert.equal(
      payloadHex(encodeExecute([new Date('2024-02-29T13:14:15.678Z')], utf8)),
      oneParam(DATETIME, hex('0b e807 02 1d 0d 0e 0f 70580a00')),
    )
    assert.equal(dateTimeHex(2024, 2, 29, 13, 14, 15, 678_000), hex('0b e807 02 1d 0d 0e 0f 70580a00'))
    assert.equal(
      payloadHex(encodeExecute([new Date('1970-01-01T00:00:00.000Z')], utf8)),
      oneParam(DATETIME, dateTimeHex(1970, 1, 1, 0, 0, 0, 0)),
    )
  })

  it('in the session timezone: +05:30 moves the wall clock, across days and years', () => {
    assert.equal(
      payloadHex(encodeExecute([new Date('2024-02-29T13:14:15.678Z')], ist)),
      oneParam(DATETIME, dateTimeHex(2024, 2, 29, 18, 44, 15, 678_000)),
    )
    assert.equal(
      payloadHex(encodeExecute([new Date('2023-12-31T18:30:00.001Z')], ist)),
      oneParam(DATETIME, dateTimeHex(2024, 1, 1, 0, 0, 0, 1000)),
    )
    assert.equal(
      payloadHex(encodeExecute([new Date('2024-03-01T02:00:00.000Z')], { tzOffset: -480, encode: null })),
      oneParam(DATETIME, dateTimeHex(2024, 2, 29, 18, 0, 0, 0)),
    )
  })

  it('years 0000 and 9999 are allowed; outside them, or an invalid Date, is a ProgrammingError', () => {
    assert.equal(
      payloadHex(encodeExecute([new Date('0000-01-01T00:00:00.000Z')], utf8)),
      oneParam(DATETIME, dateTimeHex(0, 1, 1, 0, 0, 0, 0)),
    )
    assert.equal(
      payloadHex(encodeExecute([new Date('9999-12-31T23:59:59.999Z')], utf8)),
      oneParam(DATETIME, dateTimeHex(9999, 12, 31, 23, 59, 59, 999_000)),
    )
    throwsPE(() => encodeExecute([new Date('+010000-01-01T00:00:00Z')], utf8), /outside years/)
    throwsPE(() => encodeExecute([new Date('-000001-01-01T00:00:00Z')], utf8), /outside years/)
    throwsPE(() => encodeExecute([1, new Date('9999-12-31T23:00:00Z')], ist), /argument 2 .*outside years/)
    throwsPE(() => encodeExecute([new Date(NaN)], utf8), /invalid Date/)
  })
})

describe('encodeExecute: NULL', () => {
  it('null and undefined are type NULL, a bit in the bitmap and no value bytes', () => {
    assert.equal(payloadHex(encodeExecute([null], utf8)), EXECUTE_HEADER + hex('01 01 0600'))
    assert.equal(payloadHex(encodeExecute([undefined], utf8)), EXECUTE_HEADER + hex('01 01 0600'))
    assert.equal(
      payloadHex(encodeExecute([1, null, 'a', undefined], utf8)),
      EXECUTE_HEADER + hex('0a 01 0800 0600 fd00 0600 0100000000000000 0161'),
    )
  })

  it('bit i of byte i >> 3, across byte boundaries (9 and 17 parameters)', () => {
    const nine: unknown[] = [null, 1, 2, 3, 4, 5, 6, 7, null]
    const d9 = decodeExecute(encodeExecute(nine, utf8), 9)
    assert.equal(d9.nullBitmap.toString('hex'), '0101')
    assert.equal(
      payloadHex(encodeExecute(nine, utf8)).slice(EXECUTE_HEADER.length, EXECUTE_HEADER.length + 6),
      '010101',
    )

    const seventeen: unknown[] = Array.from({ length: 17 }, (_, i) =>
      i === 7 || i === 8 || i === 16 ? null : i,
    )
    const d17 = decodeExecute(encodeExecute(seventeen, utf8), 17)
    assert.equal(d17.nullBitmap.toString('hex'), '800101')
    assert.deepEqual(
      d17.values,
      seventeen.map((v) => canon(v, 0)),
    )

    const allNull = decodeExecute(encodeExecute(new Array<unknown>(17).fill(null), utf8), 17)
    assert.equal(allNull.nullBitmap.toString('hex'), 'ffff01')
    assert.deepEqual(allNull.types, new Array<number>(17).fill(NULL))
    const none = decodeExecute(
      encodeExecute(
        Array.from({ length: 16 }, (_, i) => i),
        utf8,
      ),
      16,
    )
    assert.equal(none.nullBitmap.toString('hex'), '0000')
  })

  it('every single NULL position of 1 to 20 parameters', () => {
    for (let n = 1; n <= 20; n++) {
      for (let at = 0; at < n; at++) {
        const params = Array.from({ length: n }, (_, i) => (i === at ? null : `v${i}`))
        const d = decodeExecute(encodeExecute(params, utf8), n)
        const expected = Buffer.alloc((n + 7) >> 3)
        expected[at >> 3] = 1 << (at & 7)
        assert.deepEqual(d.nullBitmap, expected, `${n} parameters, NULL at ${at}`)
        assert.deepEqual(d.values, params)
      }
    }
  })
})

describe('setStatementId and paramType', () => {
  it('writes the id little-endian at offset 5 and nothing else', () => {
    const framed = encodeExecute([1, 'x'], utf8)
    const before = Buffer.from(framed)
    setStatementId(framed, 0xffffffff)
    assert.equal(framed.subarray(5, 9).toString('hex'), 'ffffffff')
    assert.deepEqual(framed.subarray(0, 5), before.subarray(0, 5))
    assert.deepEqual(framed.subarray(9), before.subarray(9))
    setStatementId(framed, 0x01020304)
    assert.equal(decodeExecute(framed, 2).id, 0x01020304)
    assert.equal(framed.subarray(5, 9).toString('hex'), '04030201')
    assert.equal(LAST_PREPARED, 0xffffffff)
    setStatementId(framed, LAST_PREPARED)
    assert.equal(decodeExecute(framed, 2).id, 0xffffffff)
  })

  it('works on a bulk payload too (the id sits at the same offset)', () => {
    const { payload } = encodeBulk([[1]], 0, 1 << 20, utf8)
    setStatementId(payload, 7)
    assert.equal(decodeBulk(payload, 1).id, 7)
    assert.equal(payload[4], 0xfa)
  })

  it('paramType: the wire type of each JS type', () => {
    const cases: [unknown, number][] = [
      [1, LONGLONG],
      [2 ** 63, LONGLONG | UNSIGNED],
      [1.5, DOUBLE],
      [NaN, DOUBLE],
      [2n ** 64n - 1n, LONGLONG | UNSIGNED],
      [2n ** 64n, NEWDECIMAL],
      [true, TINY],
      ['', VAR_STRING],
      [null, NULL],
      [undefined, NULL],
      [new Uint8Array(0), BLOB],
      [Buffer.alloc(1), BLOB],
      [new Date(0), DATETIME],
    ]
    for (const [v, type] of cases) assert.equal(paramType(v), type, String(v))
  })

  it('paramType: anything else is a ProgrammingError', () => {
    for (const bad of [{}, [1], new Set([1]), new Map(), () => 1, Symbol('s'), new Int16Array(1)]) {
      throwsPE(() => paramType(bad))
      throwsPE(() => encodeExecute([bad], utf8))
    }
  })
})

// ---- COM_STMT_BULK_EXECUTE ----

/** COM_STMT_BULK_EXECUTE header: 0xfa, id 0, flags 128 (SEND_TYPES_TO_SERVER). */
const BULK_HEADER = hex('fa 00000000 8000')
const BIG = 1 << 24

describe('encodeBulk: layout', () => {
  it('header, one type per parameter, then per row an indicator (0 value, 1 NULL) and the value', () => {
    const rows = [
      [1, 'a'],
      [2, null],
      [undefined, 'bc'],
    ]
    const { payload, to } = encodeBulk(rows, 0, BIG, utf8)
    assert.equal(to, 3)
    assert.equal(
      payloadHex(payload),
      BULK_HEADER +
        hex('0800 fd00') +
        hex('00 0100000000000000 00 0161') +
        hex('00 0200000000000000 01') +
        hex('01 00 026263'),
    )
  })

  it('each value in its binary form, unsigned flagged in the type', () => {
    const row = [
      2n ** 64n - 1n,
      -5,
      0.5,
      true,
      Buffer.from([7]),
      new Date('2024-02-29T13:14:15.678Z'),
      10n ** 30n,
    ]
    const { payload, to } = encodeBulk([row], 0, BIG, ist)
    assert.equal(to, 1)
    assert.equal(
      payloadHex(payload),
      BULK_HEADER +
        hex('0880 0800 0500 0100 fc00 0c00 f600') +
        hex('00 ffffffffffffffff') +
        hex('00 fbffffffffffffff') +
        hex('00 000000000000e03f') +
        hex('00 01') +
        hex('00 0107') +
        '00' +
        dateTimeHex(2024, 2, 29, 18, 44, 15, 678_000) +
        hex('00 1f31') +
        '30'.repeat(30),
    )
  })

  it('starts at rows[from]', () => {
    const rows = [['skip'], ['me'], ['x'], ['y']]
    const { payload, to } = encodeBulk(rows, 2, BIG, utf8)
    assert.equal(to, 4)
    assert.deepEqual(decodeBulk(payload, 1).rows, [['x'], ['y']])
  })

  it('a Date outside 0000-9999 is a ProgrammingError', () => {
    throwsPE(
      () => encodeBulk([[new Date(0)], [new Date('+010000-01-01T00:00:00Z')]], 0, BIG, utf8),
      /outside years/,
    )
    throwsPE(() => encodeBulk([[new Date('9999-12-31T23:00:00Z')]], 0, BIG, ist), /outside years/)
  })
})

describe('encodeBulk: types and batches', () => {
  it('each type comes from the first non-NULL value of its parameter in the batch', () => {
    const { payload, to } = encodeBulk(
      [
        [null, null, 'x'],
        [5, null, null],
        [6, 1.5, 'y'],
      ],
      0,
      BIG,
      utf8,
    )
    assert.equal(to, 3)
    const d = decodeBulk(payload, 3)
    assert.deepEqual(d.types, [LONGLONG, DOUBLE, VAR_STRING])
    assert.deepEqual(d.rows, [
      [null, null, 'x'],
      [5n, null, null],
      [6n, 1.5, 'y'],
    ])
  })

  it('a parameter NULL in every row is typed VAR_STRING', () => {
    const d = decodeBulk(
      encodeBulk(
        [
          [null, 1],
          [undefined, 2],
          [null, 3],
        ],
        0,
        BIG,
        utf8,
      ).payload,
      2,
    )
    assert.deepEqual(d.types, [VAR_STRING, LONGLONG])
    assert.deepEqual(d.rows, [
      [null, 1n],
      [null, 2n],
      [null, 3n],
    ])
  })

  it('a row whose type differs starts a new batch; NULL fits any type', () => {
    const rows = [[1], [null], [2], ['x'], [null], ['y'], [3], [true], [false]]
    const batches = allBatches(rows, BIG)
    assert.deepEqual(
      batches.map((b) => [b.from, b.to]),
      [
        [0, 3],
        [3, 6],
        [6, 7],
        [7, 9],
      ],
    )
    assert.deepEqual(
      batches.map((b) => decodeBulk(b.payload, 1).types[0]),
      [LONGLONG, VAR_STRING, LONGLONG, TINY],
    )
  })

  it('signed and unsigned LONGLONG, LONGLONG and NEWDECIMAL, BLOB and VAR_STRING are different types', () => {
    assert.equal(encodeBulk([[1n], [2n ** 64n - 1n]], 0, BIG, utf8).to, 1)
    assert.equal(encodeBulk([[2n ** 63n], [2 ** 63]], 0, BIG, utf8).to, 2)
    assert.equal(encodeBulk([[1], [10n ** 30n]], 0, BIG, utf8).to, 1)
    assert.equal(encodeBulk([[Buffer.from('a')], ['a']], 0, BIG, utf8).to, 1)
    assert.equal(encodeBulk([[true], [1]], 0, BIG, utf8).to, 1)
    assert.equal(encodeBulk([[new Date(0)], ['1970-01-01']], 0, BIG, utf8).to, 1)
  })

  it('a fraction beyond the end of a batch does not make the batch’s integers DOUBLE', () => {
    // Regression: types were read from up to 64 rows ahead, past the row where the batch stopped.
    const batches = allBatches(
      [
        [1, 'a'],
        [2, 3],
        [2.5, 'b'],
      ],
      BIG,
    )
    assert.deepEqual(
      batches.map((b) => [b.from, b.to, decodeBulk(b.payload, 2).types[0]]),
      [
        [0, 1, LONGLONG],
        [1, 2, LONGLONG],
        [2, 3, DOUBLE],
      ],
    )
    // A batch cut by the size limit takes its types from its own rows too.
    const rows = [
      [1, 'x'.repeat(100)],
      [2, 'y'.repeat(100)],
      [2.5, 'z'],
    ]
    const first = encodeBulk(rows, 0, 150, utf8)
    assert.equal(first.to, 1)
    assert.equal(decodeBulk(first.payload, 2).types[0], LONGLONG)
  })

  it('an unsigned number never joins a signed LONGLONG batch (2^63 would read as negative)', () => {
    const batches = allBatches([[1], [2 ** 63]], BIG)
    assert.deepEqual(
      batches.map((b) => [b.from, b.to, decodeBulk(b.payload, 1).types[0]]),
      [
        [0, 1, LONGLONG],
        [1, 2, LONGLONG | UNSIGNED],
      ],
    )
  })

  it('numbers mixing integers and fractions share one DOUBLE batch; integers stay exact', () => {
    const rows = [[1], [null], [2.5], [2 ** 60], [-(2 ** 53) + 1], [0]]
    const { payload, to } = encodeBulk(rows, 0, BIG, utf8)
    assert.equal(to, 6)
    const d = decodeBulk(payload, 1)
    assert.deepEqual(d.types, [DOUBLE])
    assert.deepEqual(d.rows, [[1], [null], [2.5], [2 ** 60], [-(2 ** 53) + 1], [0]])
    assert.equal(
      payloadHex(payload).slice(BULK_HEADER.length + 4, BULK_HEADER.length + 22),
      hex('00 000000000000f03f'),
    )
  })

  it('a bigint first keeps LONGLONG: a fraction after it starts a new batch', () => {
    const batches = allBatches([[1n], [2], [2.5], [3]], BIG)
    assert.deepEqual(
      batches.map((b) => [b.from, b.to, decodeBulk(b.payload, 1).types[0]]),
      [
        [0, 2, LONGLONG],
        [2, 4, DOUBLE],
      ],
    )
    // A bigint never goes into a DOUBLE batch.
    const mixed = allBatches([[1], [2.5], [3n]], BIG)
    assert.deepEqual(
      mixed.map((b) => [b.from, b.to]),
      [
        [0, 2],
        [2, 3],
      ],
    )
    assert.deepEqual(decodeBulk(mixed[1]!.payload, 1).rows, [[3n]])
  })

  it('an unsigned integer and a fraction do not share a batch', () => {
    const batches = allBatches([[2 ** 63], [0.5]], BIG)
    assert.deepEqual(
      batches.map((b) => decodeBulk(b.payload, 1).types[0]),
      [LONGLONG | UNSIGNED, DOUBLE],
    )
  })

  it('a change in any parameter splits, however many rows of NULLs come first', () => {
    const rows: unknown[][] = [...Array.from({ length: 100 }, () => [null, 'a']), [1, 'b'], ['s', 'c']]
    const batches = allBatches(rows, BIG)
    const decoded = batches.flatMap((b) => decodeBulk(b.payload, 2).rows)
    assert.deepEqual(
      decoded,
      rows.map((r) => r.map((v) => canon(v, 0))),
    )
    for (const b of batches) {
      const d = decodeBulk(b.payload, 2)
      assert.equal(d.rows.length, b.to - b.from)
    }
    assert.ok(batches.length >= 2)
    assert.equal(batches.at(-1)!.to, 102)
  })
})

describe('encodeBulk: limit', () => {
  // One BIGINT parameter: header 1 + 4 + 2 + 2 = 9 bytes, each row 1 + 8 = 9 bytes.
  const rows = Array.from({ length: 10 }, (_, i) => [i])
  const HEADER = 9
  const ROW = 9

  it('takes as many rows as fit in limit bytes of payload', () => {
    for (let k = 1; k <= 10; k++) {
      const { payload, to } = encodeBulk(rows, 0, HEADER + k * ROW, utf8)
      assert.equal(to, k, `limit for ${k} rows`)
      assert.equal(payload.length - 4, HEADER + k * ROW)
    }
    for (let k = 2; k <= 10; k++) {
      assert.equal(encodeBulk(rows, 0, HEADER + k * ROW - 1, utf8).to, k - 1, `one byte short of ${k} rows`)
    }
  })

  it('a batch always holds at least one row, even one larger than limit', () => {
    assert.equal(encodeBulk(rows, 0, 0, utf8).to, 1)
    assert.equal(encodeBulk(rows, 3, 1, utf8).to, 4)
    const { payload, to } = encodeBulk([['x'.repeat(1000)], ['y']], 0, 100, utf8)
    assert.equal(to, 1)
    assert.deepEqual(decodeBulk(payload, 1).rows, [['x'.repeat(1000)]])
    assert.deepEqual(
      allBatches(rows, 0).map((b) => b.to),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    )
  })

  it('consecutive calls cover every row exactly once', () => {
    const batches = allBatches(rows, HEADER + 3 * ROW)
    assert.deepEqual(
      batches.map((b) => [b.from, b.to]),
      [
        [0, 3],
        [3, 6],
        [6, 9],
        [9, 10],
      ],
    )
    assert.deepEqual(
      batches.flatMap((b) => decodeBulk(b.payload, 1).rows),
      rows.map((r) => [BigInt(r[0]!)]),
    )
  })
})

/** A deterministic PRNG (a 32-bit LCG); rand(n) is an integer in [0, n). */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return (state >>> 8) % n
  }
}

/** Whether a value may go into a batch whose parameter has type `type` (NULL fits any). */
const fits = (v: unknown, type: number): boolean =>
  v === null || v === undefined || (type === DOUBLE && typeof v === 'number') || paramType(v) === type

/** Bytes of one bulk row under `types`: an indicator per parameter and each value's binary form. */
function rowSize(row: readonly unknown[], types: readonly number[], ctx: BindContext): number {
  const lenenc = (n: number): number => (n < 0xfb ? 1 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 9)
  let size = 0
  for (let i = 0; i < types.length; i++) {
    const v = row[i]
    size++
    if (v === null || v === undefined) continue
    switch (types[i]! & 0xff) {
      case LONGLONG:
      case DOUBLE:
        size += 8
        break
      case TINY:
        size += 1
        break
      case DATETIME:
        size += 12
        break
      case NEWDECIMAL: {
        const digits = (v as bigint).toString()
        size += lenenc(digits.length) + digits.length
        break
      }
      case VAR_STRING: {
        const n = ctx.encode === null ? Buffer.byteLength(v as string) : ctx.encode(v as string).length
        size += lenenc(n) + n
        break
      }
      case BLOB:
        size += lenenc((v as Uint8Array).length) + (v as Uint8Array).length
        break
      default:
        assert.fail(`type ${types[i]}`)
    }
  }
  return size
}

test('random bulk batches: every row once, in order, with its values; limits and types respected', () => {
  const rand = prng(4242)
  const makers: ((r: (n: number) => number) => unknown)[] = [
    (r) => r(1000) - 500,
    (r) => BigInt(r(1 << 30)) * 2n ** 33n, // large signed
    () => 2n ** 64n - 1n, // unsigned
    (r) => r(1000) / 8 + 0.0625,
    (r) => r(2) === 0,
    (r) => 'é'.repeat(r(5)) + 'x'.repeat(r(300)),
    (r) => Buffer.alloc(r(40), r(256)),
    (r) => new Date(Date.UTC(1990 + r(60), r(12), 1 + r(28), r(24), r(60), r(60), r(1000))),
    (r) => 10n ** BigInt(20 + r(20)),
  ]
  let splitsByType = 0
  let splitsByLimit = 0
  let mixedDoubles = 0
  for (let round = 0; round < 80; round++) {
    const n = 1 + rand(5)
    // Mostly one kind per parameter, sometimes a change, often NULL.
    const kinds = Array.from({ length: n }, () => rand(makers.length))
    const rows: unknown[][] = Array.from({ length: 1 + rand(60) }, () => {
      if (rand(10) === 0) kinds[rand(n)] = rand(makers.length)
      return kinds.map((k) => (rand(4) === 0 ? (rand(2) === 0 ? null : undefined) : makers[k]!(rand)))
    })
    const ctx = rand(2) === 0 ? utf8 : ist
    const tz = ctx.tzOffset!
    const limit = rand(3) === 0 ? BIG : rand(2000)
    const batches = allBatches(rows, limit, ctx)
    const decoded: unknown[][] = []
    const expected: unknown[][] = []
    for (const b of batches) {
      const d = decodeBulk(b.payload, n)
      assert.equal(d.command, 0xfa)
      assert.equal(d.id, 0)
      assert.equal(d.flags, 128)
      assert.equal(d.rows.length, b.to - b.from)
      const size = b.payload.length - 4
      if (b.to - b.from > 1) assert.ok(size <= limit, `batch ${b.from}-${b.to}: ${size} bytes over ${limit}`)
      for (let r = b.from; r < b.to; r++) {
        const row = rows[r]!
        for (let i = 0; i < n; i++) {
          assert.ok(fits(row[i], d.types[i]!), `row ${r} param ${i} in a batch of type ${d.types[i]}`)
          if (d.types[i] === DOUBLE && Number.isInteger(row[i])) mixedDoubles++
        }
        // A number in a DOUBLE batch is sent as a double, whatever it is alone.
        expected.push(row.map((v, i) => (d.types[i] === DOUBLE && typeof v === 'number' ? v : canon(v, tz))))
      }
      // The batch is as long as it may be: the next row has another type or does not fit.
      if (b.to < rows.length) {
        const next = rows[b.to]!
        if (next.every((v, i) => fits(v, d.types[i]!))) {
          assert.ok(size + rowSize(next, d.types, ctx) > limit, `row ${b.to} would have fit in ${limit}`)
          splitsByLimit++
        } else splitsByType++
      }
      decoded.push(...d.rows)
    }
    assert.deepEqual(decoded, expected, `round ${round}`)
  }
  assert.ok(
    splitsByType > 10 && splitsByLimit > 10,
    `splits: ${splitsByType} by type, ${splitsByLimit} by limit`,
  )
  assert.ok(mixedDoubles > 0, 'no integer went into a DOUBLE batch')
})

test('random executes decode to the values given', () => {
  const rand = prng(99)
  const pool: unknown[] = [
    0,
    -1,
    2 ** 60,
    2 ** 63,
    Number.MIN_SAFE_INTEGER,
    0.25,
    -1e100,
    true,
    false,
    '',
    'héllo',
    'x'.repeat(300),
    Buffer.from('ab'),
    new Uint8Array([1, 2, 3]),
    new Date('2001-02-03T04:05:06.789Z'),
    2n ** 64n - 1n,
    -(2n ** 63n),
    10n ** 30n,
    null,
    undefined,
  ]
  for (let round = 0; round < 200; round++) {
    const params = Array.from({ length: rand(40) }, () => pool[rand(pool.length)])
    const ctx = rand(2) === 0 ? utf8 : ist
    const d = decodeExecute(encodeExecute(params, ctx), params.length)
    assert.equal(d.command, 0x17)
    assert.equal(d.id, 0)
    assert.equal(d.flags, 0)
    assert.equal(d.iterations, 1)
    assert.deepEqual(
      d.types,
      params.map((v) => paramType(v)),
    )
    assert.deepEqual(
      d.values,
      params.map((v) => canon(v, ctx.tzOffset!)),
    )
  }
})
