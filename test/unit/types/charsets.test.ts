// Collation and charset lookups (MySQL and MariaDB ids), and each codec's decode/encode round trips.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DataError, NotSupportedError } from '../../../src/errors.ts'
import { charsetByName, charsetForCollation, collationByName } from '../../../src/types/charsets.ts'

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

function decodeAll(charset: string, buf: Buffer): string {
  const padded = Buffer.concat([Buffer.from([0xff]), buf, Buffer.from([0x80])])
  return charsetByName(charset)!.info.decode(padded, 1, 1 + buf.length)
}

describe('charsetForCollation', () => {
  const cases: [number, string][] = [
    [8, 'latin1'],
    [5, 'latin1'],
    [15, 'latin1'],
    [31, 'latin1'],
    [47, 'latin1'],
    [48, 'latin1'],
    [49, 'latin1'],
    [94, 'latin1'],
    [33, 'utf8mb3'],
    [83, 'utf8mb3'],
    [76, 'utf8mb3'],
    [192, 'utf8mb3'],
    [215, 'utf8mb3'],
    [223, 'utf8mb3'],
    [45, 'utf8mb4'],
    [46, 'utf8mb4'],
    [224, 'utf8mb4'],
    [247, 'utf8mb4'],
    [255, 'utf8mb4'],
    [309, 'utf8mb4'],
    [323, 'utf8mb4'],
    [63, 'binary'],
    [11, 'ascii'],
    [65, 'ascii'],
    [1, 'big5'],
    [28, 'gbk'],
    [13, 'sjis'],
    [95, 'cp932'],
    [248, 'gb18030'],
    [24, 'gb2312'],
    [19, 'euckr'],
    [12, 'ujis'],
    [97, 'eucjpms'],
    [35, 'ucs2'],
    [159, 'ucs2'],
    [54, 'utf16'],
    [124, 'utf16'],
    [56, 'utf16le'],
    [60, 'utf32'],
    [51, 'cp1251'],
    [14, 'cp1251'],
    [57, 'cp1256'],
    [7, 'koi8r'],
    [22, 'koi8u'],
    [9, 'latin2'],
    [30, 'latin5'],
    [41, 'latin7'],
    [25, 'greek'],
    [16, 'hebrew'],
    [18, 'tis620'],
    // MariaDB: NO PAD twins (id + 1024), the 576+ extras and the 10.10+ UCA 14.0.0 blocks.
    [1032, 'latin1'],
    [1071, 'latin1'],
    [1057, 'utf8mb3'],
    [1069, 'utf8mb4'],
    [1070, 'utf8mb4'],
    [1248, 'utf8mb4'],
    [1270, 'utf8mb4'],
    [1052, 'gbk'],
    [576, 'utf8mb3'],
    [610, 'utf8mb4'],
    [642, 'ucs2'],
    [674, 'utf16'],
    [738, 'utf32'],
    [2048, 'utf8mb3'],
    [2247, 'utf8mb3'],
    [2304, 'utf8mb4'],
    [2503, 'utf8mb4'],
    [2560, 'ucs2'],
    [2816, 'utf16'],
    [3072, 'utf32'],
  ]
  for (const [id, name] of cases) {
    test(`${id} -> ${name}`, () => assert.equal(charsetForCollation(id).name, name))
  }

  test('unknown ids are utf8mb4', () => {
    for (const id of [0, 17, 100, 251, 324, 1000, 1279, 4000, 65535, -1, 1.5]) {
      assert.equal(charsetForCollation(id).name, 'utf8mb4', String(id))
    }
  })
})

describe('charsetByName', () => {
  test('default collations', () => {
    const cases: [string, string, number][] = [
      ['utf8mb4', 'utf8mb4', 45],
      ['utf8', 'utf8mb3', 33],
      ['utf8mb3', 'utf8mb3', 33],
      ['latin1', 'latin1', 8],
      ['binary', 'binary', 63],
      ['ascii', 'ascii', 11],
      ['gbk', 'gbk', 28],
      ['big5', 'big5', 1],
      ['sjis', 'sjis', 13],
      ['cp932', 'cp932', 95],
      ['gb18030', 'gb18030', 248],
      ['cp1251', 'cp1251', 51],
      ['cp1257', 'cp1257', 59],
      ['latin7', 'latin7', 41],
      ['ucs2', 'ucs2', 35],
      ['utf16', 'utf16', 54],
      ['utf32', 'utf32', 60],
    ]
    for (const [input, name, id] of cases) {
      const cs = charsetByName(input)
      assert.ok(cs, input)
      assert.equal(cs.info.name, name)
      assert.equal(cs.defaultCollationId, id, input)
      assert.equal(charsetForCollation(id).name, name)
    }
  })

  test('lookups ignore case; unknown names are undefined', () => {
    assert.equal(charsetByName('UTF8MB4')?.defaultCollationId, 45)
    assert.equal(charsetByName('LaTiN1')?.defaultCollationId, 8)
    assert.equal(charsetByName('utf-8'), undefined)
    assert.equal(charsetByName('klingon'), undefined)
    assert.equal(charsetByName('__proto__'), undefined)
  })

  test('backslash-unsafe charsets', () => {
    const unsafe = ['gbk', 'big5', 'sjis', 'cp932', 'gb18030']
    for (const name of unsafe) assert.equal(charsetByName(name)!.info.backslashUnsafe, true, name)
    for (const name of [
      'utf8mb4',
      'utf8',
      'latin1',
      'ascii',
      'binary',
      'gb2312',
      'euckr',
      'ujis',
      'ucs2',
      'cp1251',
    ]) {
      assert.equal(charsetByName(name)!.info.backslashUnsafe, false, name)
    }
  })
})

describe('collationByName', () => {
  const cases: [string, number][] = [
    ['utf8mb4_general_ci', 45],
    ['UTF8MB4_BIN', 46],
    ['utf8mb4_unicode_ci', 224],
    ['utf8mb4_unicode_520_ci', 246],
    ['utf8mb3_general_ci', 33],
    ['utf8_general_ci', 33],
    ['utf8_bin', 83],
    ['utf8_unicode_ci', 192],
    ['latin1_swedish_ci', 8],
    ['latin1_german1_ci', 5],
    ['latin1_bin', 47],
    ['binary', 63],
    ['ascii_general_ci', 11],
    ['gbk_chinese_ci', 28],
    ['cp1251_bulgarian_ci', 14],
    ['utf16_vietnamese_ci', 124],
    ['utf32_spanish2_ci', 174],
    ['ucs2_general_mysql500_ci', 159],
    ['gb18030_chinese_ci', 248],
    // MySQL 8's 0900 family.
    ['utf8mb4_0900_ai_ci', 255],
    ['utf8mb4_de_pb_0900_ai_ci', 256],
    ['utf8mb4_vi_0900_ai_ci', 277],
    ['utf8mb4_0900_as_cs', 278],
    ['utf8mb4_vi_0900_as_cs', 300],
    ['utf8mb4_ja_0900_as_cs_ks', 304],
    ['utf8mb4_0900_bin', 309],
    ['utf8mb4_mn_cyrl_0900_as_cs', 323],
    // MariaDB's ids above 255.
    ['latin1_swedish_nopad_ci', 1032],
    ['latin1_nopad_bin', 1071],
    ['utf8mb4_general_nopad_ci', 1069],
    ['utf8mb4_nopad_bin', 1070],
    ['utf8mb4_unicode_520_nopad_ci', 1270],
    ['utf8_general_nopad_ci', 1057],
    ['macce_nopad_bin', 1067],
    ['utf8mb4_myanmar_ci', 609],
    ['utf32_thai_520_w2', 738],
    ['utf8mb4_croatian_mysql561_ci', 245],
    ['utf8mb4_uca1400_ai_ci', 2304],
    ['utf8mb4_uca1400_nopad_as_cs', 2311],
    ['utf8mb4_uca1400_icelandic_ai_ci', 2312],
    ['utf8mb3_uca1400_german2_nopad_as_cs', 2215],
    ['utf8mb3_uca1400_vietnamese_ai_ci', 2232],
    ['utf8mb4_uca1400_croatian_nopad_as_cs', 2503],
    ['ucs2_uca1400_ai_ci', 2560],
    ['utf32_uca1400_swedish_ai_cs', 3072 + 8 * 8 + 1],
  ]
  for (const [name, id] of cases) {
    test(`${name} -> ${id}`, () => assert.equal(collationByName(name), id))
  }

  test('a name shared by MySQL and MariaDB resolves to the id below 256', () => {
    assert.equal(collationByName('utf8mb4_croatian_ci'), 245)
  })

  test('unknown names are undefined', () => {
    for (const name of [
      'utf8mb4',
      'latin1_klingon_ci',
      '',
      'utf8mb4_uca1400__ai_ci',
      'constructor',
      '__proto__',
    ]) {
      assert.equal(collationByName(name), undefined, name)
    }
  })

  test('every collation name belongs to the charset its id maps to', () => {
    for (const [name] of cases) {
      const id = collationByName(name)!
      const charset = charsetForCollation(id).name
      assert.ok(
        name
          .toLowerCase()
          .replace(/^utf8_/, 'utf8mb3_')
          .startsWith(charset),
        `${name} ${id} ${charset}`,
      )
    }
  })
})

describe('codecs', () => {
  test('latin1 is Windows-1252 both ways, for every byte', () => {
    const cp1252 = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8DŽ\x8F\x90‘’“”•–—˜™š›œ\x9DžŸ'
    assert.equal(
      decodeAll('latin1', ALL_BYTES),
      ALL_BYTES.toString('latin1', 0, 0x80) + cp1252 + ALL_BYTES.toString('latin1', 0xa0),
    )
    assert.equal(decodeAll('latin1', Buffer.from([0x80, 0x9f, 0xa0, 0xff])), '€Ÿ\u00a0ÿ')
    const latin1 = charsetByName('latin1')!.info
    assert.deepEqual(latin1.encode(latin1.decode(ALL_BYTES, 0, 256)), ALL_BYTES)
    assert.deepEqual(
      latin1.encode('€ Piñata “quoted”'),
      Buffer.from([
        0x80, 0x20, 0x50, 0x69, 0xf1, 0x61, 0x74, 0x61, 0x20, 0x93, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x64, 0x94,
      ]),
    )
    assert.equal(decodeAll('latin1', Buffer.from('plain ascii')), 'plain ascii')
  })

  test('a character a single-byte charset lacks is a DataError, not a silent "?"', () => {
    assert.throws(
      () => charsetByName('latin1')!.info.encode('Ā'),
      (e: unknown) => e instanceof DataError && /U\+0100.*latin1/.test(e.message),
    )
    assert.throws(() => charsetByName('latin1')!.info.encode('😀'), /U\+1F600/)
    assert.throws(() => charsetByName('ascii')!.info.encode('é'), DataError)
    assert.throws(() => charsetByName('cp1251')!.info.encode('€ and ü'), /U\+00FC/)
  })

  test('single-byte charsets round-trip every byte they define', () => {
    for (const name of [
      'latin2',
      'latin5',
      'latin7',
      'greek',
      'hebrew',
      'cp1250',
      'cp1251',
      'cp1256',
      'cp1257',
      'koi8r',
      'koi8u',
      'cp866',
      'macroman',
      'tis620',
    ]) {
      const info = charsetByName(name)!.info
      const text = info.decode(ALL_BYTES, 0, 256)
      assert.equal(text.length, 256, name)
      const defined = [...ALL_BYTES].filter((b) => text[b] !== '\ufffd')
      const bytes = Buffer.from(defined)
      assert.deepEqual(info.encode(info.decode(bytes, 0, bytes.length)), bytes, name)
    }
  })

  test('single-byte samples', () => {
    assert.equal(decodeAll('cp1251', Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2])), 'Привет')
    assert.deepEqual(
      charsetByName('cp1251')!.info.encode('Привет'),
      Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]),
    )
    assert.equal(decodeAll('koi8r', Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4])), 'Привет')
    assert.equal(decodeAll('latin2', Buffer.from([0xa3, 0xf3, 0x64, 0xbc])), 'Łódź')
    assert.equal(decodeAll('greek', Buffer.from([0xe1, 0xe2, 0xe3])), 'αβγ')
    // latin5 is ISO 8859-9: 0x80–0x9f stay C1 controls (WHATWG would read them as Windows-1254).
    assert.equal(decodeAll('latin5', Buffer.from([0x80, 0xd0, 0xfd])), '\u0080Ğı')
  })

  test('charsets without a table keep ASCII and mark other bytes undefined', () => {
    assert.equal(decodeAll('cp850', Buffer.from([0x41, 0x82])), 'A\ufffd')
    assert.deepEqual(charsetByName('cp850')!.info.encode('ok'), Buffer.from('ok'))
    assert.throws(() => charsetByName('cp850')!.info.encode('é'), DataError)
  })

  test('utf8mb4 and utf8mb3', () => {
    const s = 'héllo 😀 世界 \u0000 end'
    for (const name of ['utf8mb4', 'utf8mb3', 'utf8']) {
      const info = charsetByName(name)!.info
      assert.equal(decodeAll(name, info.encode(s)), s)
      assert.deepEqual(info.encode(s), Buffer.from(s, 'utf8'))
    }
    assert.equal(decodeAll('utf8mb4', Buffer.from([0xff])), '\ufffd')
  })

  test('utf16 and ucs2 are big-endian', () => {
    const utf16 = charsetByName('utf16')!.info
    assert.deepEqual(utf16.encode('A😀'), Buffer.from([0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]))
    assert.equal(decodeAll('utf16', Buffer.from([0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00])), 'A😀')
    assert.equal(decodeAll('utf16', Buffer.from([0x00, 0x41, 0x00])), 'A\ufffd')
    const ucs2 = charsetByName('ucs2')!.info
    assert.deepEqual(ucs2.encode('Жé'), Buffer.from([0x04, 0x16, 0x00, 0xe9]))
    assert.equal(decodeAll('ucs2', Buffer.from([0x04, 0x16, 0x00, 0xe9])), 'Жé')
    assert.throws(
      () => ucs2.encode('x😀'),
      (e: unknown) => e instanceof DataError && /U\+1F600/.test(e.message),
    )
    assert.equal(decodeAll('utf16le', Buffer.from([0x41, 0x00, 0x16, 0x04])), 'AЖ')
    assert.deepEqual(charsetByName('utf16le')!.info.encode('AЖ'), Buffer.from([0x41, 0x00, 0x16, 0x04]))
  })

  test('utf32 is big-endian', () => {
    const utf32 = charsetByName('utf32')!.info
    const bytes = Buffer.from([0, 0, 0, 0x41, 0, 0x01, 0xf6, 0x00, 0, 0, 0x4e, 0x16])
    assert.deepEqual(utf32.encode('A😀世'), bytes)
    assert.equal(decodeAll('utf32', bytes), 'A😀世')
    assert.equal(decodeAll('utf32', Buffer.from([0, 0x11, 0, 0, 0, 0, 0xd8, 0, 0, 0])), '\ufffd\ufffd\ufffd')
    const long = 'ab😀'.repeat(3000)
    assert.equal(decodeAll('utf32', utf32.encode(long)), long)
  })

  test('long single-byte text is decoded in chunks', () => {
    const bytes = Buffer.alloc(20_000, 0x80)
    assert.equal(decodeAll('latin1', bytes), '€'.repeat(20_000))
  })

  test('East Asian charsets decode; encoding takes ASCII only', () => {
    assert.equal(decodeAll('gbk', Buffer.from([0xd6, 0xd0, 0xce, 0xc4])), '中文')
    assert.equal(decodeAll('gb2312', Buffer.from([0xd6, 0xd0, 0xce, 0xc4])), '中文')
    assert.equal(decodeAll('gb18030', Buffer.from([0x81, 0x30, 0x81, 0x30])), '\u0080')
    assert.equal(decodeAll('big5', Buffer.from([0xa4, 0xa4, 0xa4, 0xe5])), '中文')
    assert.equal(decodeAll('sjis', Buffer.from([0x93, 0xfa, 0x96, 0x7b])), '日本')
    assert.equal(decodeAll('cp932', Buffer.from([0x95, 0x5c])), '表') // 0x5c as the trailing byte
    assert.equal(decodeAll('ujis', Buffer.from([0xc6, 0xfc, 0xcb, 0xdc])), '日本')
    assert.equal(decodeAll('euckr', Buffer.from([0xc7, 0xd1, 0xb1, 0xdb])), '한글')
    for (const name of ['gbk', 'big5', 'sjis', 'cp932', 'gb18030', 'gb2312', 'euckr', 'ujis', 'eucjpms']) {
      const info = charsetByName(name)!.info
      assert.deepEqual(info.encode("SELECT 'x'"), Buffer.from("SELECT 'x'"), name)
      assert.throws(() => info.encode('中'), NotSupportedError, name)
    }
  })

  test('binary reads and writes UTF-8 (metadata and messages on a binary connection)', () => {
    const info = charsetByName('binary')!.info
    assert.deepEqual(info.encode('é'), Buffer.from('é'))
    assert.equal(decodeAll('binary', Buffer.from('é')), 'é')
  })
})
