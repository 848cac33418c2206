// Text-protocol cell decoders: every SPEC §5 type from the bytes the server sends, with the type options.
// Cells are embedded between foreign bytes so a decoder that reads outside [start, end) is caught.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Column } from '../../../src/protocol/column.ts'
import { ColumnType, FieldFlag } from '../../../src/protocol/constants.ts'
import { textDecoderFor } from '../../../src/types/decode.ts'
import { resolveTypeOptions, type TypeOptions } from '../../../src/types/options.ts'
import { testColumn } from '../../support/packets.ts'

const T = ColumnType
const UTF8MB4 = 45
const BINARY = 63

const column = testColumn

/** Decode one cell given as text (UTF-8) or raw bytes, surrounded by bytes that must not be read. */
function decode(col: Column, cell: string | Buffer, options: TypeOptions = {}): unknown {
  const bytes = typeof cell === 'string' ? Buffer.from(cell, 'utf8') : cell
  const buf = Buffer.concat([Buffer.from('-9'), bytes, Buffer.from('7x')])
  return textDecoderFor(col, resolveTypeOptions(options))(buf, 2, 2 + bytes.length)
}

describe('integers', () => {
  test('TINY, SHORT, INT24, LONG and YEAR give numbers', () => {
    assert.equal(decode(column(T.MYSQL_TYPE_TINY), '-128'), -128)
    assert.equal(decode(column(T.MYSQL_TYPE_TINY, { flags: FieldFlag.UNSIGNED_FLAG }), '255'), 255)
    assert.equal(decode(column(T.MYSQL_TYPE_SHORT), '-32768'), -32768)
    assert.equal(decode(column(T.MYSQL_TYPE_INT24), '8388607'), 8388607)
    assert.equal(decode(column(T.MYSQL_TYPE_LONG), '-2147483648'), -2147483648)
    assert.equal(
      decode(column(T.MYSQL_TYPE_LONG, { flags: FieldFlag.UNSIGNED_FLAG }), '4294967295'),
      4294967295,
    )
    assert.equal(decode(column(T.MYSQL_TYPE_LONG), '0'), 0)
    assert.equal(decode(column(T.MYSQL_TYPE_LONG, { flags: FieldFlag.ZEROFILL_FLAG }), '0000042'), 42)
    assert.equal(decode(column(T.MYSQL_TYPE_YEAR), '2024'), 2024)
    assert.equal(decode(column(T.MYSQL_TYPE_YEAR), '0000'), 0)
  })

  test('text that is not an integer falls back to Number() instead of reading past the cell', () => {
    assert.ok(Number.isNaN(decode(column(T.MYSQL_TYPE_LONG), '')))
    assert.ok(Number.isNaN(decode(column(T.MYSQL_TYPE_LONG), '-')))
    assert.ok(Number.isNaN(decode(column(T.MYSQL_TYPE_LONG), '12a')))
    assert.equal(decode(column(T.MYSQL_TYPE_LONG), ' 12'), 12)
  })
})

describe('BIGINT', () => {
  const bigint = column(T.MYSQL_TYPE_LONGLONG)
  const unsigned = column(T.MYSQL_TYPE_LONGLONG, { flags: FieldFlag.UNSIGNED_FLAG })

  test('safe integers are numbers', () => {
    assert.equal(decode(bigint, '9007199254740991'), 9007199254740991)
    assert.equal(decode(bigint, '-9007199254740991'), -9007199254740991)
    assert.equal(decode(bigint, '123456789012'), 123456789012)
    assert.equal(decode(bigint, '0'), 0)
  })

  test('beyond 2^53 - 1 they are exact bigints, never rounded numbers', () => {
    assert.equal(decode(bigint, '9007199254740992'), 9007199254740992n)
    assert.equal(decode(bigint, '-9007199254740992'), -9007199254740992n)
    assert.equal(decode(bigint, '9007199254740993'), 9007199254740993n)
    assert.equal(decode(bigint, '-9223372036854775808'), -9223372036854775808n)
    assert.equal(decode(bigint, '9223372036854775807'), 9223372036854775807n)
    assert.equal(decode(unsigned, '18446744073709551615'), 18446744073709551615n)
  })

  test("bigIntMode 'bigint' always gives a bigint", () => {
    const o = { bigIntMode: 'bigint' } as const
    assert.equal(decode(bigint, '1', o), 1n)
    assert.equal(decode(bigint, '-42', o), -42n)
    assert.equal(decode(unsigned, '18446744073709551615', o), 18446744073709551615n)
  })

  test("bigIntMode 'string' gives the digits", () => {
    const o = { bigIntMode: 'string' } as const
    assert.equal(decode(bigint, '1', o), '1')
    assert.equal(decode(unsigned, '18446744073709551615', o), '18446744073709551615')
  })
})

describe('DECIMAL, FLOAT, DOUBLE', () => {
  const decimal = column(T.MYSQL_TYPE_NEWDECIMAL, { decimals: 30 })
  const big = '12345678901234567890123456789012345.123456789012345678901234567890'

  test('DECIMAL is an exact string', () => {
    assert.equal(decode(decimal, big), big)
    assert.equal(decode(decimal, '-0.000000000000000000000000000001'), '-0.000000000000000000000000000001')
    assert.equal(decode(column(T.MYSQL_TYPE_DECIMAL), '45'), '45')
  })

  test('decimalNumbers gives a number', () => {
    assert.equal(decode(decimal, '123.45', { decimalNumbers: true }), 123.45)
    assert.equal(decode(column(T.MYSQL_TYPE_DECIMAL), '-7.5', { decimalNumbers: true }), -7.5)
  })

  test('FLOAT and DOUBLE are numbers', () => {
    assert.equal(decode(column(T.MYSQL_TYPE_FLOAT), '3.14'), 3.14)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '5.7'), 5.7)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '-1.7976931348623157e308'), -1.7976931348623157e308)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '1e-300'), 1e-300)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '14285.7143'), 14285.7143)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '0.1'), 0.1)
    assert.equal(decode(column(T.MYSQL_TYPE_DOUBLE), '123456789012345.6'), 123456789012345.6)
    assert.ok(Object.is(decode(column(T.MYSQL_TYPE_DOUBLE), '-0'), -0))
  })

  test('the digit fast path agrees with Number() on every form', () => {
    let seed = 12345
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const digits = (n: number): string => Array.from({ length: n }, () => String(rand(10))).join('')
    const double = column(T.MYSQL_TYPE_DOUBLE)
    for (let k = 0; k < 20_000; k++) {
      let text = (rand(2) ? '-' : '') + digits(rand(18))
      if (rand(2)) text += '.' + digits(rand(18))
      if (rand(10) === 0) text += 'e' + (rand(2) ? '-' : '+') + digits(1 + rand(3))
      const want = Number(text)
      const got = decode(double, text)
      assert.ok(
        Object.is(got, want) || (Number.isNaN(want) && Number.isNaN(got)),
        `${text}: ${String(got)} vs ${want}`,
      )
    }
  })
})

describe('temporal types', () => {
  const datetime = column(T.MYSQL_TYPE_DATETIME, { decimals: 6 })
  const text = '2024-01-02 03:04:05.123456'

  test("DATETIME(6) in 'Z'", () => {
    const d = decode(datetime, text, { timezone: 'Z' })
    assert.ok(d instanceof Date)
    assert.equal(d.toISOString(), '2024-01-02T03:04:05.123Z')
  })

  test("DATETIME(6) in '+05:30'", () => {
    const d = decode(datetime, text, { timezone: '+05:30' })
    assert.ok(d instanceof Date)
    assert.equal(d.toISOString(), '2024-01-01T21:34:05.123Z')
  })

  test("DATETIME(6) in 'local'", () => {
    const d = decode(datetime, text)
    assert.ok(d instanceof Date)
    assert.equal(d.getTime(), new Date(2024, 0, 2, 3, 4, 5, 123).getTime())
  })

  test('TIMESTAMP and DATE', () => {
    const ts = decode(column(T.MYSQL_TYPE_TIMESTAMP), '1970-01-01 00:00:01', { timezone: 'Z' })
    assert.deepEqual(ts, new Date(1000))
    const date = decode(column(T.MYSQL_TYPE_DATE), '1988-02-02', { timezone: 'Z' })
    assert.deepEqual(date, new Date(Date.UTC(1988, 1, 2)))
    const newdate = decode(column(T.MYSQL_TYPE_NEWDATE), '0099-12-31', { timezone: 'Z' })
    assert.ok(newdate instanceof Date)
    assert.equal(newdate.getUTCFullYear(), 99)
  })

  test('zero and invalid dates come back as the server sent them', () => {
    assert.equal(decode(column(T.MYSQL_TYPE_DATETIME), '0000-00-00 00:00:00'), '0000-00-00 00:00:00')
    assert.equal(decode(column(T.MYSQL_TYPE_DATE), '0000-00-00'), '0000-00-00')
    assert.equal(decode(column(T.MYSQL_TYPE_DATE), '2024-02-30'), '2024-02-30')
    assert.equal(decode(column(T.MYSQL_TYPE_DATE), '2024-02-30', { timezone: 'Z' }), '2024-02-30')
    assert.equal(
      decode(column(T.MYSQL_TYPE_DATETIME), '2007-02-31 00:00:00', { timezone: '+01:00' }),
      '2007-02-31 00:00:00',
    )
  })

  test('dateStrings returns temporal values as text', () => {
    const o = { dateStrings: true }
    assert.equal(decode(datetime, text, o), text)
    assert.equal(decode(column(T.MYSQL_TYPE_DATE), '2024-01-02', o), '2024-01-02')
    assert.equal(decode(column(T.MYSQL_TYPE_TIMESTAMP), '2024-01-02 03:04:05', o), '2024-01-02 03:04:05')
  })

  test('TIME is the server text', () => {
    const time = column(T.MYSQL_TYPE_TIME)
    assert.equal(decode(time, '-838:59:59'), '-838:59:59')
    assert.equal(decode(time, '12:30:00.500000'), '12:30:00.500000')
    assert.equal(decode(time, '120:00:06'), '120:00:06')
  })
})

describe('JSON', () => {
  const mysqlJson = column(T.MYSQL_TYPE_JSON, { characterSet: BINARY })
  // How MariaDB announces a JSON column: LONGTEXT (BLOB type) with extended type info "json".
  const mariaJson = column(T.MYSQL_TYPE_BLOB, {
    characterSet: UTF8MB4,
    flags: FieldFlag.BLOB_FLAG,
    extendedType: 'json',
  })

  test('MySQL JSON type is parsed as UTF-8 even though it reports the binary collation', () => {
    assert.deepEqual(decode(mysqlJson, '{"name":"Piñata","emoji":"😀","n":[1,2.5,null,true]}'), {
      name: 'Piñata',
      emoji: '😀',
      n: [1, 2.5, null, true],
    })
    assert.equal(decode(mysqlJson, '"ünïcödé"'), 'ünïcödé')
    assert.equal(decode(mysqlJson, '42'), 42)
    assert.equal(decode(mysqlJson, 'null'), null)
  })

  test('MariaDB JSON columns (extended metadata) are parsed too', () => {
    assert.deepEqual(decode(mariaJson, '{"a":[1,"ß"]}'), { a: [1, 'ß'] })
    assert.deepEqual(decode({ ...mariaJson, type: T.MYSQL_TYPE_STRING, extendedType: 'JSON' }, '[]'), [])
  })

  test('a LONGTEXT without the json format stays text', () => {
    assert.equal(decode({ ...mariaJson, extendedType: '' }, '{"a":1}'), '{"a":1}')
  })

  test('text that does not parse is returned as text', () => {
    assert.equal(decode(mariaJson, '{not json'), '{not json')
    assert.equal(decode(mariaJson, ''), '')
  })

  test('jsonParse: false gives the JSON text', () => {
    assert.equal(decode(mysqlJson, '{"a": "é"}', { jsonParse: false }), '{"a": "é"}')
    assert.equal(decode(mariaJson, '{"a": 1}', { jsonParse: false }), '{"a": 1}')
  })

  test('"__proto__" becomes an own property and no prototype changes', () => {
    const v = decode(mysqlJson, '{"__proto__":{"x":1},"constructor":{"prototype":{"y":2}}}') as Record<
      string,
      unknown
    >
    assert.equal(Object.getPrototypeOf(v), Object.prototype)
    assert.ok(Object.hasOwn(v, '__proto__'))
    assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { x: 1 })
    assert.equal(({} as Record<string, unknown>).x, undefined)
    assert.equal(({} as Record<string, unknown>).y, undefined)
    assert.equal((v as { x?: unknown }).x, undefined)
  })
})

describe('strings and bytes', () => {
  test('utf8mb4 text, including emoji', () => {
    for (const id of [45, 46, 224, 255, 309, 2304, 1069]) {
      assert.equal(
        decode(column(T.MYSQL_TYPE_VAR_STRING, { characterSet: id }), 'héllo 😀 世界'),
        'héllo 😀 世界',
      )
    }
    assert.equal(decode(column(T.MYSQL_TYPE_VARCHAR, { characterSet: 33 }), 'Español'), 'Español')
    assert.equal(decode(column(T.MYSQL_TYPE_STRING, { characterSet: UTF8MB4 }), ''), '')
  })

  test('TEXT (a BLOB type with a text collation) is a string', () => {
    const text = column(T.MYSQL_TYPE_BLOB, { characterSet: UTF8MB4, flags: FieldFlag.BLOB_FLAG })
    assert.equal(decode(text, 'x'.repeat(10_000)), 'x'.repeat(10_000))
  })

  test('ENUM and SET are strings', () => {
    const e = column(T.MYSQL_TYPE_STRING, { characterSet: UTF8MB4, flags: FieldFlag.ENUM_FLAG })
    assert.equal(decode(e, 'médium'), 'médium')
    const s = column(T.MYSQL_TYPE_STRING, { characterSet: BINARY, flags: FieldFlag.SET_FLAG })
    assert.equal(decode(s, 'a,b'), 'a,b')
    assert.equal(decode(column(T.MYSQL_TYPE_ENUM, { characterSet: 8 }), 'x'), 'x')
  })

  test('latin1 is Windows-1252', () => {
    const latin1 = column(T.MYSQL_TYPE_VAR_STRING, { characterSet: 8 })
    assert.equal(decode(latin1, Buffer.from([0x80])), '€')
    assert.equal(decode(latin1, Buffer.from([0x93, 0x48, 0xe9, 0x94, 0x99])), '“Hé”™')
  })

  test('utf16 and ucs2 are big-endian', () => {
    const be = Buffer.from([0x00, 0x41, 0x00, 0xe9, 0xd8, 0x3d, 0xde, 0x00, 0x4e, 0x16])
    assert.equal(decode(column(T.MYSQL_TYPE_VAR_STRING, { characterSet: 54 }), be), 'Aé😀世')
    assert.equal(
      decode(column(T.MYSQL_TYPE_VAR_STRING, { characterSet: 35 }), Buffer.from([0x04, 0x16])),
      'Ж',
    )
  })

  test('BLOB, BINARY and VARBINARY with all 256 byte values are copied Buffers', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    for (const type of [
      T.MYSQL_TYPE_BLOB,
      T.MYSQL_TYPE_STRING,
      T.MYSQL_TYPE_VAR_STRING,
      T.MYSQL_TYPE_LONG_BLOB,
    ]) {
      const buf = Buffer.concat([Buffer.from('ab'), all, Buffer.from('cd')])
      const v = textDecoderFor(column(type), resolveTypeOptions({}))(buf, 2, 258)
      assert.ok(Buffer.isBuffer(v))
      assert.deepEqual(v, all)
      buf.fill(0) // the receive buffer is reused: the value must not change with it
      assert.deepEqual(v, all)
    }
  })

  test('an empty binary value is an empty Buffer', () => {
    assert.deepEqual(decode(column(T.MYSQL_TYPE_VAR_STRING), Buffer.alloc(0)), Buffer.alloc(0))
  })

  test('BIT and GEOMETRY are Buffers', () => {
    assert.deepEqual(decode(column(T.MYSQL_TYPE_BIT), Buffer.from([0x01])), Buffer.from([0x01]))
    assert.deepEqual(
      decode(column(T.MYSQL_TYPE_BIT, { characterSet: UTF8MB4 }), Buffer.from([0, 0xff])),
      Buffer.from([0, 0xff]),
    )
    const point = Buffer.from('000000000101000000000000000000f03f0000000000000040', 'hex')
    const geometry = column(T.MYSQL_TYPE_GEOMETRY, { extendedType: 'point' })
    assert.deepEqual(decode(geometry, point), point)
  })

  test('NULL type gives null', () => {
    assert.equal(decode(column(T.MYSQL_TYPE_NULL), ''), null)
  })

  test('unknown types: text collation -> string, binary -> Buffer', () => {
    assert.equal(decode(column(0xe0, { characterSet: UTF8MB4 }), 'ok'), 'ok')
    assert.deepEqual(decode(column(0xe0), 'ok'), Buffer.from('ok'))
  })
})

test('a decoder is chosen once per column and reused for every row', () => {
  const opts = resolveTypeOptions({})
  const decoders = [
    T.MYSQL_TYPE_LONG,
    T.MYSQL_TYPE_LONGLONG,
    T.MYSQL_TYPE_NEWDECIMAL,
    T.MYSQL_TYPE_DATETIME,
  ].map((type) => textDecoderFor(column(type), opts))
  assert.equal(new Set(decoders).size, 4)
  // Columns of the same kind share one function (no per-column closure for fixed decoders).
  assert.equal(textDecoderFor(column(T.MYSQL_TYPE_LONG), opts), decoders[0])
  assert.equal(textDecoderFor(column(T.MYSQL_TYPE_DATETIME), opts), decoders[3])
  const row = Buffer.from('42' + '-5' + '1.50' + '2020-05-06 07:08:09')
  assert.deepEqual(
    [decoders[0]!(row, 0, 2), decoders[1]!(row, 2, 4), decoders[2]!(row, 4, 8)],
    [42, -5, '1.50'],
  )
  assert.ok(decoders[3]!(row, 8, row.length) instanceof Date)
})

void test('the byte-level DATETIME parser agrees with the text parser', async () => {
  const { parseDateTime, parseDateTimeBytes } = await import('../../../src/types/temporal.ts')
  const samples = [
    '2024-01-02 03:04:05',
    '2024-02-29',
    '2023-02-29',
    '1999-12-31 23:59:59.999999',
    '2024-06-01 12:00:00.5',
    '0000-00-00 00:00:00',
    '0099-01-01',
    '2024-13-01',
    '2024-04-31',
    '2024-01-01 24:00:00',
  ]
  for (const tz of [null, 0, 330, -480]) {
    for (const text of samples) {
      const fast = parseDateTimeBytes(Buffer.from(text), 0, text.length, tz)
      const slow = parseDateTime(text, tz)
      if (fast !== null) assert.equal(fast.getTime(), (slow as Date).getTime(), `${text} ${tz}`)
      else assert.ok(typeof slow === 'string' || new Date(slow).getFullYear() < 100, `${text} ${tz}`)
    }
  }
})
