// Collation ids (handshake byte, column definitions) -> charsets, and a byte <-> string codec for each.
// Ids cover MySQL 5.7–9.x and MariaDB 10.4–11.x (checked against MariaDB 10.11's information_schema).
// MySQL's `latin1` is really Windows-1252, and ucs2 / utf16 / utf32 travel big-endian.

import { TextDecoder } from 'node:util'

import { DataError, NotSupportedError } from '../errors.ts'
import { latin1Text, utf8Text } from './text-slice.ts'

export interface CharsetInfo {
  /** MySQL's name for the charset: 'utf8mb4', 'utf8mb3', 'latin1', 'binary', ... */
  readonly name: string
  /** The text held in buf[start, end). Bytes the charset does not define decode to U+FFFD. */
  readonly decode: (buf: Buffer, start: number, end: number) => string
  /**
   * The bytes of `s` in this charset. Throws DataError for a character the charset lacks, and
   * NotSupportedError for non-ASCII text in a multibyte East Asian charset (only decoding is built in).
   */
  readonly encode: (s: string) => Buffer
  /** A multibyte charset whose trailing byte can be 0x5c, so backslash escaping is unsafe in it. */
  readonly backslashUnsafe: boolean
}

// ---------------------------------------------------------------------------------------------------
// Codecs

const utf8Decode = utf8Text
const utf8Encode = (s: string): Buffer => Buffer.from(s, 'utf8')

function utf8Codec(name: string): CharsetInfo {
  return { name, decode: utf8Decode, encode: utf8Encode, backslashUnsafe: false }
}

/** True when every UTF-16 unit of `s` is below 0x80 (then its bytes are the same in every ASCII superset). */
function isAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length
}

function hasHighByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return true
  return false
}

function unencodable(charset: string, s: string, index: number): DataError {
  const cp = s.codePointAt(index)!
  const hex = cp.toString(16).toUpperCase().padStart(4, '0')
  return new DataError(`character U+${hex} cannot be encoded in ${charset}`, { code: 'CHARSET_UNENCODABLE' })
}

/** Map bytes through a 256-entry table; chunked because fromCharCode takes its input as arguments. */
function mapBytes(table: Uint16Array, buf: Buffer, start: number, end: number): string {
  const chunk = new Uint16Array(Math.min(end - start, 4096))
  let out = ''
  for (let i = start; i < end; i += chunk.length) {
    const n = Math.min(end - i, chunk.length)
    for (let j = 0; j < n; j++) chunk[j] = table[buf[i + j]!]!
    out += String.fromCharCode(...(n === chunk.length ? chunk : chunk.subarray(0, n)))
  }
  return out
}

/**
 * A single-byte charset from a 256-entry byte -> UTF-16 table, built on first use. All of them keep
 * ASCII in 0x00–0x7f, so pure-ASCII data takes Node's native latin1 path.
 */
function singleByteCodec(name: string, buildTable: () => Uint16Array): CharsetInfo {
  let table: Uint16Array | undefined
  let reverse: Map<number, number> | undefined
  const decode = (buf: Buffer, start: number, end: number): string =>
    hasHighByte(buf, start, end)
      ? mapBytes((table ??= buildTable()), buf, start, end)
      : latin1Text(buf, start, end)
  const encode = (s: string): Buffer => {
    if (isAscii(s)) return Buffer.from(s, 'latin1')
    if (reverse === undefined) {
      table ??= buildTable()
      reverse = new Map()
      // 0xfffd marks a byte the charset leaves undefined; nothing encodes to it.
      for (let b = 0x80; b < 0x100; b++) if (table[b] !== 0xfffd) reverse.set(table[b]!, b)
    }
    const out = Buffer.allocUnsafe(s.length)
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      const b = c < 0x80 ? c : reverse.get(c)
      if (b === undefined) throw unencodable(name, s, i)
      out[i] = b
    }
    return out
  }
  return { name, decode, encode, backslashUnsafe: false }
}

/**
 * Windows-1252 0x80–0x9f. The five bytes it leaves undefined map to the C1 controls, as MySQL does.
 * Written out rather than taken from TextDecoder('windows-1252'), which Node 20 decodes wrongly.
 */
const CP1252_80_9F = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
  0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122,
  0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
]

function latin1Table(): Uint16Array {
  const t = new Uint16Array(256)
  for (let b = 0; b < 256; b++) t[b] = b
  t.set(CP1252_80_9F, 0x80)
  return t
}

/** ASCII, with every high byte undefined (ascii itself, and charsets Node has no table for). */
function asciiOnlyTable(): Uint16Array {
  const t = new Uint16Array(256).fill(0xfffd)
  for (let b = 0; b < 0x80; b++) t[b] = b
  return t
}

/**
 * A table taken from Node's ICU decoder for a WHATWG label. `c1` keeps 0x80–0x9f as C1 controls
 * (ISO 8859 proper, where WHATWG substitutes a Windows code page). Without ICU, high bytes are undefined.
 */
function icuTable(label: string, c1 = false): () => Uint16Array {
  return () => {
    const all = new Uint8Array(256)
    for (let b = 0; b < 256; b++) all[b] = b
    let text: string
    try {
      text = new TextDecoder(label).decode(all)
    } catch {
      return asciiOnlyTable()
    }
    if (text.length !== 256) return asciiOnlyTable()
    const t = new Uint16Array(256)
    // ASCII stays ASCII: ICU's IBM866 converter moves 0x1a/0x1c/0x7f, which neither MySQL nor WHATWG do.
    for (let b = 0; b < 256; b++) t[b] = b < 0x80 || (c1 && b < 0xa0) ? b : text.charCodeAt(b)
    return t
  }
}

/**
 * A multibyte East Asian charset. Decoding uses Node's ICU (WHATWG decoders, which are the Windows
 * supersets MySQL's own tables follow); encoding handles ASCII only, enough for SQL text and
 * identifiers. Non-ASCII values go as binary literals or in a Unicode connection charset.
 */
function multiByteCodec(name: string, label: string, backslashUnsafe: boolean): CharsetInfo {
  let decoder: TextDecoder | null | undefined
  const decode = (buf: Buffer, start: number, end: number): string => {
    if (!hasHighByte(buf, start, end)) return latin1Text(buf, start, end)
    if (decoder === undefined) {
      try {
        decoder = new TextDecoder(label)
      } catch {
        decoder = null // Node built without ICU: keep ASCII, mark the rest undefined
      }
    }
    return decoder === null
      ? mapBytes(asciiOnlyTable(), buf, start, end)
      : decoder.decode(buf.subarray(start, end))
  }
  const encode = (s: string): Buffer => {
    if (isAscii(s)) return Buffer.from(s, 'latin1')
    throw new NotSupportedError(`encoding non-ASCII text to ${name} is not supported; use utf8mb4`, {
      code: 'CHARSET_NOT_SUPPORTED',
    })
  }
  return { name, decode, encode, backslashUnsafe }
}

/** ucs2 and utf16: UTF-16 big-endian on the wire, so bytes are swapped around Node's utf16le codec. */
function utf16beCodec(name: string, bmpOnly: boolean): CharsetInfo {
  const decode = (buf: Buffer, start: number, end: number): string => {
    const n = (end - start) & ~1
    const tmp = Buffer.allocUnsafe(n)
    buf.copy(tmp, 0, start, start + n)
    const s = tmp.swap16().toString('utf16le')
    return n === end - start ? s : s + '\ufffd'
  }
  const encode = (s: string): Buffer => {
    if (bmpOnly) {
      // ucs2 has no surrogate pairs: characters beyond U+FFFF do not exist in it.
      const i = s.search(/[\ud800-\udfff]/)
      if (i >= 0) throw unencodable(name, s, i)
    }
    return Buffer.from(s, 'utf16le').swap16()
  }
  return { name, decode, encode, backslashUnsafe: false }
}

function utf16leCodec(name: string): CharsetInfo {
  return {
    name,
    decode: (buf, start, end) => buf.toString('utf16le', start, end),
    encode: (s) => Buffer.from(s, 'utf16le'),
    backslashUnsafe: false,
  }
}

/** utf32: one big-endian 32-bit code point per character. */
function utf32Codec(name: string): CharsetInfo {
  const decode = (buf: Buffer, start: number, end: number): string => {
    const points: number[] = []
    let out = ''
    let i = start
    for (; i + 4 <= end; i += 4) {
      const cp = buf.readUInt32BE(i)
      points.push(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp)
      if (points.length === 4096) {
        out += String.fromCodePoint(...points)
        points.length = 0
      }
    }
    out += String.fromCodePoint(...points)
    return i === end ? out : out + '\ufffd'
  }
  const encode = (s: string): Buffer => {
    const out = Buffer.alloc(s.length * 4)
    let o = 0
    for (const ch of s) {
      const cp = ch.codePointAt(0)!
      // A lone surrogate is not a character; U+FFFD is what Node's own UTF-8 encoder sends for it.
      out.writeUInt32BE(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp, o)
      o += 4
    }
    return out.subarray(0, o)
  }
  return { name, decode, encode, backslashUnsafe: false }
}

// ---------------------------------------------------------------------------------------------------
// Charsets

const CODECS: readonly CharsetInfo[] = [
  utf8Codec('utf8mb4'),
  utf8Codec('utf8mb3'),
  // binary columns are returned as Buffers by the row decoders; this codec only reads metadata and
  // messages on a `binary` connection, which the server sends as UTF-8 bytes.
  utf8Codec('binary'),
  singleByteCodec('latin1', latin1Table),
  singleByteCodec('ascii', asciiOnlyTable),
  singleByteCodec('latin2', icuTable('iso-8859-2')),
  singleByteCodec('latin5', icuTable('iso-8859-9', true)),
  singleByteCodec('latin7', icuTable('iso-8859-13')),
  singleByteCodec('greek', icuTable('iso-8859-7')),
  singleByteCodec('hebrew', icuTable('iso-8859-8')),
  singleByteCodec('cp1250', icuTable('windows-1250')),
  singleByteCodec('cp1251', icuTable('windows-1251')),
  singleByteCodec('cp1256', icuTable('windows-1256')),
  singleByteCodec('cp1257', icuTable('windows-1257')),
  singleByteCodec('koi8r', icuTable('koi8-r')),
  singleByteCodec('koi8u', icuTable('koi8-u')),
  singleByteCodec('cp866', icuTable('ibm866')),
  singleByteCodec('macroman', icuTable('macintosh')),
  singleByteCodec('tis620', icuTable('windows-874', true)),
  // Code pages ICU's WHATWG set lacks: ASCII round-trips, other bytes decode to U+FFFD.
  singleByteCodec('dec8', asciiOnlyTable),
  singleByteCodec('cp850', asciiOnlyTable),
  singleByteCodec('hp8', asciiOnlyTable),
  singleByteCodec('swe7', asciiOnlyTable),
  singleByteCodec('keybcs2', asciiOnlyTable),
  singleByteCodec('macce', asciiOnlyTable),
  singleByteCodec('cp852', asciiOnlyTable),
  singleByteCodec('armscii8', asciiOnlyTable),
  singleByteCodec('geostd8', asciiOnlyTable),
  multiByteCodec('big5', 'big5', true),
  multiByteCodec('gbk', 'gbk', true),
  multiByteCodec('gb18030', 'gb18030', true),
  multiByteCodec('sjis', 'shift_jis', true),
  multiByteCodec('cp932', 'shift_jis', true),
  multiByteCodec('gb2312', 'gbk', false),
  multiByteCodec('euckr', 'euc-kr', false),
  multiByteCodec('ujis', 'euc-jp', false),
  multiByteCodec('eucjpms', 'euc-jp', false),
  utf16beCodec('ucs2', true),
  utf16beCodec('utf16', false),
  utf16leCodec('utf16le'),
  utf32Codec('utf32'),
]

const CODEC_BY_NAME = new Map(CODECS.map((c) => [c.name, c]))
const UTF8MB4 = CODECS[0]!

// ---------------------------------------------------------------------------------------------------
// Collations

/**
 * Collations below 256 as `id suffix` pairs (name = charset_suffix); the first pair is the charset's
 * default. The Unicode families, MariaDB's ids above 255 and MySQL 8's 0900 family are added below.
 */
const COLLATIONS: Readonly<Record<string, string>> = {
  big5: '1 chinese_ci 84 bin',
  latin2: '9 general_ci 2 czech_cs 21 hungarian_ci 27 croatian_ci 77 bin',
  dec8: '3 swedish_ci 69 bin',
  cp850: '4 general_ci 80 bin',
  latin1:
    '8 swedish_ci 5 german1_ci 15 danish_ci 31 german2_ci 47 bin 48 general_ci 49 general_cs 94 spanish_ci',
  hp8: '6 english_ci 72 bin',
  koi8r: '7 general_ci 74 bin',
  swe7: '10 swedish_ci 82 bin',
  ascii: '11 general_ci 65 bin',
  ujis: '12 japanese_ci 91 bin',
  sjis: '13 japanese_ci 88 bin',
  cp1251: '51 general_ci 14 bulgarian_ci 23 ukrainian_ci 50 bin 52 general_cs',
  hebrew: '16 general_ci 71 bin',
  tis620: '18 thai_ci 89 bin',
  euckr: '19 korean_ci 85 bin',
  latin7: '41 general_ci 20 estonian_cs 42 general_cs 79 bin',
  koi8u: '22 general_ci 75 bin',
  gb2312: '24 chinese_ci 86 bin',
  greek: '25 general_ci 70 bin',
  cp1250: '26 general_ci 34 czech_cs 44 croatian_ci 66 bin 99 polish_ci',
  gbk: '28 chinese_ci 87 bin',
  cp1257: '59 general_ci 29 lithuanian_ci 58 bin',
  latin5: '30 turkish_ci 78 bin',
  armscii8: '32 general_ci 64 bin',
  utf8mb3: '33 general_ci 83 bin 76 tolower_ci 223 general_mysql500_ci',
  ucs2: '35 general_ci 90 bin 159 general_mysql500_ci',
  cp866: '36 general_ci 68 bin',
  keybcs2: '37 general_ci 73 bin',
  macce: '38 general_ci 43 bin',
  macroman: '39 general_ci 53 bin',
  cp852: '40 general_ci 81 bin',
  utf8mb4: '45 general_ci 46 bin',
  utf16: '54 general_ci 55 bin',
  utf16le: '56 general_ci 62 bin',
  cp1256: '57 general_ci 67 bin',
  utf32: '60 general_ci 61 bin',
  geostd8: '92 general_ci 93 bin',
  cp932: '95 japanese_ci 96 bin',
  eucjpms: '97 japanese_ci 98 bin',
  gb18030: '248 chinese_ci 249 bin 250 unicode_520_ci',
}

/** The UCA language collations every Unicode charset has, 24 consecutive ids from its base. */
const UNICODE_BASE: Readonly<Record<string, number>> = {
  utf16: 101,
  ucs2: 128,
  utf32: 160,
  utf8mb3: 192,
  utf8mb4: 224,
}
const UNICODE_LANGS = (
  'unicode icelandic latvian romanian slovenian polish estonian spanish swedish turkish czech danish ' +
  'lithuanian slovak spanish2 roman persian esperanto hungarian sinhala german2 croatian unicode_520 vietnamese'
).split(' ')

/** MariaDB-only Unicode collations, three consecutive ids from each base. */
const MARIADB_EXTRA_SUFFIXES = ['croatian_ci', 'myanmar_ci', 'thai_520_w2']
const MARIADB_EXTRA_BASE: Readonly<Record<string, number>> = {
  utf8mb3: 576,
  utf8mb4: 608,
  ucs2: 640,
  utf16: 672,
  utf32: 736,
}

/**
 * MariaDB 10.10+ UCA 14.0.0 collations: a block of 256 ids per charset, 8 ids per language
 * (ai/as × ci/cs, then the NO PAD four); slots 21 and 22 are unused.
 */
const UCA1400_BASE: Readonly<Record<string, number>> = {
  utf8mb3: 2048,
  utf8mb4: 2304,
  ucs2: 2560,
  utf16: 2816,
  utf32: 3072,
}
const UCA1400_LANGS = (
  '- icelandic latvian romanian slovenian polish estonian spanish swedish turkish czech danish lithuanian ' +
  'slovak spanish2 roman persian esperanto hungarian sinhala german2 _ _ vietnamese croatian'
).split(' ')
const UCA1400_VARIANTS = 'ai_ci ai_cs as_ci as_cs nopad_ai_ci nopad_ai_cs nopad_as_ci nopad_as_cs'.split(' ')

/** MySQL 8 utf8mb4 collations (ids 255–323): language tags in id order, '_' for unused ids. */
const MYSQL0900_LANGS = 'de_pb is lv ro sl pl et es sv tr cs da lt sk es_trad la _ eo hu hr _ vi'.split(' ')
const MYSQL0900_EXTRA =
  '303 ja_0900_as_cs 304 ja_0900_as_cs_ks 305 0900_as_ci 306 ru_0900_ai_ci 307 ru_0900_as_cs 308 zh_0900_as_cs ' +
  '309 0900_bin 310 nb_0900_ai_ci 311 nb_0900_as_cs 312 nn_0900_ai_ci 313 nn_0900_as_cs 314 sr_latn_0900_ai_ci ' +
  '315 sr_latn_0900_as_cs 316 bs_0900_ai_ci 317 bs_0900_as_cs 318 bg_0900_ai_ci 319 bg_0900_as_cs ' +
  '320 gl_0900_ai_ci 321 gl_0900_as_cs 322 mn_cyrl_0900_ai_ci 323 mn_cyrl_0900_as_cs'

const MAX_ID = 3328
/** Collation id -> index + 1 into CODECS (0 = unknown). MariaDB's NO PAD twins (id + 1024) are derived. */
const CHARSET_OF = new Uint8Array(MAX_ID)
const DEFAULT_COLLATION = new Map<string, number>()

function assign(charset: string, from: number, to = from): void {
  const index = CODECS.indexOf(CODEC_BY_NAME.get(charset)!) + 1
  for (let id = from; id <= to; id++) CHARSET_OF[id] = index
}

for (const [charset, pairs] of Object.entries(COLLATIONS)) {
  const parts = pairs.split(' ')
  DEFAULT_COLLATION.set(charset, Number(parts[0]))
  for (let i = 0; i < parts.length; i += 2) assign(charset, Number(parts[i]))
}
DEFAULT_COLLATION.set('binary', 63)
assign('binary', 63)
for (const [charset, base] of Object.entries(UNICODE_BASE))
  assign(charset, base, base + UNICODE_LANGS.length - 1)
for (const [charset, base] of Object.entries(MARIADB_EXTRA_BASE)) assign(charset, base, base + 2)
for (const [charset, base] of Object.entries(UCA1400_BASE)) assign(charset, base, base + 255)
assign('utf8mb4', 255, 323)

/**
 * The charset of a collation id. Unknown ids (a newer server's collations) are treated as utf8mb4:
 * every collation added since MySQL 5.7 / MariaDB 10.4 is a Unicode one, and UTF-8 is what servers
 * send for anything they cannot convert.
 */
export function charsetForCollation(id: number): CharsetInfo {
  // MariaDB numbers each NO PAD collation 1024 above the PAD SPACE collation it mirrors.
  const index = id >= 1024 && id < 1280 ? CHARSET_OF[id - 1024] : CHARSET_OF[id]
  return index === undefined || index === 0 ? UTF8MB4 : CODECS[index - 1]!
}

interface CharsetEntry {
  readonly info: CharsetInfo
  readonly defaultCollationId: number
}

const CHARSET_ENTRIES = new Map<string, CharsetEntry>()
for (const info of CODECS) {
  CHARSET_ENTRIES.set(
    info.name,
    Object.freeze({ info, defaultCollationId: DEFAULT_COLLATION.get(info.name)! }),
  )
}
// The server's own alias: 'utf8' means utf8mb3 on MySQL 5.7–9.x and MariaDB (default old_mode).
CHARSET_ENTRIES.set('utf8', CHARSET_ENTRIES.get('utf8mb3')!)

/**
 * A charset by MySQL's name (case-insensitive) and its default collation: utf8mb4 -> 45
 * (utf8mb4_general_ci, valid on every supported server), utf8 / utf8mb3 -> 33, latin1 -> 8, binary -> 63.
 */
export function charsetByName(name: string): { info: CharsetInfo; defaultCollationId: number } | undefined {
  return CHARSET_ENTRIES.get(name.toLowerCase())
}

let collationIds: Map<string, number> | undefined

/**
 * A collation id by name (case-insensitive; 'utf8_' names mean 'utf8mb3_'). Where MySQL and MariaDB
 * use one name for different ids (`utf8mb4_croatian_ci`), the id below 256 wins, as only those fit in
 * the handshake; a later `SET NAMES ... COLLATE name` lets the server resolve the name exactly.
 */
export function collationByName(name: string): number | undefined {
  collationIds ??= buildCollationNames()
  const key = name.toLowerCase()
  return (
    collationIds.get(key) ??
    (key.startsWith('utf8_') ? collationIds.get('utf8mb3' + key.slice(4)) : undefined)
  )
}

function buildCollationNames(): Map<string, number> {
  const m = new Map<string, number>()
  const add = (name: string, id: number): void => {
    if (!m.has(name)) m.set(name, id)
  }
  const low: [string, number][] = []
  for (const [charset, pairs] of Object.entries(COLLATIONS)) {
    const parts = pairs.split(' ')
    for (let i = 0; i < parts.length; i += 2) low.push([`${charset}_${parts[i + 1]!}`, Number(parts[i])])
  }
  for (const [charset, base] of Object.entries(UNICODE_BASE)) {
    UNICODE_LANGS.forEach((lang, i) => low.push([`${charset}_${lang}_ci`, base + i]))
    add(`${charset}_croatian_mysql561_ci`, base + 21) // MariaDB's name for the id MySQL calls croatian_ci
  }
  low.push(['binary', 63])
  for (const [name, id] of low) add(name, id)
  // MariaDB NO PAD twins exist for each charset's default and _bin collations and the two unicode ones.
  for (const [name, id] of low) {
    const charset = charsetForCollation(id).name
    if (charset === 'binary' || charset === 'gb18030') continue
    const isDefault = DEFAULT_COLLATION.get(charset) === id
    if (name.endsWith('_bin')) add(`${name.slice(0, -3)}nopad_bin`, id + 1024)
    else if (isDefault || /_unicode(_520)?_ci$/.test(name)) add(`${name.slice(0, -2)}nopad_ci`, id + 1024)
  }
  for (const [charset, base] of Object.entries(MARIADB_EXTRA_BASE)) {
    MARIADB_EXTRA_SUFFIXES.forEach((suffix, i) => add(`${charset}_${suffix}`, base + i))
  }
  for (const [charset, base] of Object.entries(UCA1400_BASE)) {
    UCA1400_LANGS.forEach((lang, slot) => {
      if (lang === '_') return
      const prefix = lang === '-' ? `${charset}_uca1400_` : `${charset}_uca1400_${lang}_`
      UCA1400_VARIANTS.forEach((v, k) => add(prefix + v, base + slot * 8 + k))
    })
  }
  add('utf8mb4_0900_ai_ci', 255)
  add('utf8mb4_0900_as_cs', 278)
  MYSQL0900_LANGS.forEach((lang, i) => {
    if (lang === '_') return
    add(`utf8mb4_${lang}_0900_ai_ci`, 256 + i)
    add(`utf8mb4_${lang}_0900_as_cs`, 279 + i)
  })
  const extra = MYSQL0900_EXTRA.split(' ')
  for (let i = 0; i < extra.length; i += 2) add(`utf8mb4_${extra[i + 1]!}`, Number(extra[i]))
  return m
}
