// DATE / DATETIME / TIMESTAMP text <-> JS Date in the connection's timezone ('local', 'Z', '±hh:mm').
// Zero and out-of-range dates cannot be a Date; they come back as the server's string.

/** Minutes east of UTC for a fixed-offset timezone, or null for 'local'. Throws on a bad spelling. */
export function parseTimezone(tz: string): number | null {
  if (tz === 'local') return null
  if (tz === 'Z' || tz === 'z' || tz === 'UTC') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz)
  if (m === null) throw new TypeError(`timezone must be 'local', 'Z' or '±hh:mm', got ${JSON.stringify(tz)}`)
  if (Number(m[3]) > 59) throw new TypeError(`timezone minutes out of range: ${tz}`)
  const minutes = Number(m[2]) * 60 + Number(m[3])
  if (minutes > 14 * 60) throw new TypeError(`timezone offset out of range: ${tz}`)
  return m[1] === '-' ? -minutes : minutes
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n
const pad3 = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + n
const pad4 = (n: number): string => String(n).padStart(4, '0')

/** 'YYYY-MM-DD HH:MM:SS.mmm' for a valid Date, in the given offset (null = local time). */
export function formatDateTime(d: Date, offsetMinutes: number | null): string {
  if (offsetMinutes === null) {
    return (
      `${pad4(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`
    )
  }
  const s = new Date(d.getTime() + offsetMinutes * 60_000)
  return (
    `${pad4(s.getUTCFullYear())}-${pad2(s.getUTCMonth() + 1)}-${pad2(s.getUTCDate())} ` +
    `${pad2(s.getUTCHours())}:${pad2(s.getUTCMinutes())}:${pad2(s.getUTCSeconds())}.${pad3(s.getUTCMilliseconds())}`
  )
}

/**
 * Parse the server's 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' into a Date in the given offset.
 * Returns the text unchanged when it is a zero date or does not name a real instant.
 * Fractions beyond milliseconds are truncated (a Date cannot hold them).
 */
export function parseDateTime(text: string, offsetMinutes: number | null): Date | string {
  if (text.length < 10) return text
  const y = num(text, 0, 4)
  const mo = num(text, 5, 7)
  const d = num(text, 8, 10)
  let h = 0
  let mi = 0
  let s = 0
  let ms = 0
  if (text.length >= 19) {
    h = num(text, 11, 13)
    mi = num(text, 14, 16)
    s = num(text, 17, 19)
    if (text.length > 20)
      ms = Math.floor(num(text, 20, Math.min(23, text.length)) * 10 ** (3 - Math.min(3, text.length - 20)))
  }
  if (!(y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60 && ms >= 0))
    return text
  let t: number
  if (offsetMinutes === null) {
    const date = new Date(2000, 0, 1, h, mi, s, ms)
    date.setFullYear(y, mo - 1, d)
    t = date.getTime()
  } else {
    const date = new Date(Date.UTC(2000, 0, 1, h, mi, s, ms))
    date.setUTCFullYear(y, mo - 1, d)
    t = date.getTime() - offsetMinutes * 60_000
  }
  const out = new Date(t)
  // Reject dates the calendar rolled over (e.g. Feb 30), which the server can hold with ALLOW_INVALID_DATES.
  const check = offsetMinutes === null ? out.getDate() : new Date(t + offsetMinutes * 60_000).getUTCDate()
  return check === d ? out : text
}

/** Digits text[start, end) as a number; NaN when any is not a digit. */
function num(text: string, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return NaN
    n = n * 10 + c
  }
  return n
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * The hot-path twin of parseDateTime for the decode loop: reads digits straight from the receive
 * buffer (no string), and returns null for anything unusual (zero dates, years before 100, odd
 * shapes) so the caller falls back to parseDateTime on the text.
 */
export function parseDateTimeBytes(
  buf: Buffer,
  start: number,
  end: number,
  offsetMinutes: number | null,
): Date | null {
  const len = end - start
  if (len !== 10 && len < 19) return null
  const y = digits(buf, start, 4)
  const mo = digits(buf, start + 5, 2)
  const d = digits(buf, start + 8, 2)
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return null
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return null
  let h = 0
  let mi = 0
  let s = 0
  let ms = 0
  if (len >= 19) {
    h = digits(buf, start + 11, 2)
    mi = digits(buf, start + 14, 2)
    s = digits(buf, start + 17, 2)
    if (!(h < 24 && mi < 60 && s < 60)) return null
    if (len > 20) {
      const n = Math.min(3, len - 20)
      ms = digits(buf, start + 20, n) * (n === 1 ? 100 : n === 2 ? 10 : 1)
      if (!(ms >= 0)) return null
    }
  }
  if (offsetMinutes === null) return new Date(y, mo - 1, d, h, mi, s, ms)
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000)
}

/** n ASCII digits at buf[pos] as a number; NaN when any byte is not a digit. */
function digits(buf: Buffer, pos: number, n: number): number {
  let v = 0
  for (let i = 0; i < n; i++) {
    const c = buf[pos + i]! - 48
    if (c < 0 || c > 9) return NaN
    v = v * 10 + c
  }
  return v
}
