// The one MySQL lexer: the few token rules every scanner of SQL text in this library needs, written
// once — quoted strings and identifiers (with or without backslash escapes), `#` and `-- ` line
// comments, `/* */` block comments and the executable `/*! */` / `/*M! */` ones, whitespace and bare
// words. Used by `?` binding (format.ts), executeMany's INSERT recogniser (execute-many.ts) and the
// LOCAL INFILE file-name check (local-infile.ts). Every function is linear and never throws.

const QUOTE = 0x27 // '
const DOUBLE_QUOTE = 0x22 // "
const BACKTICK = 0x60 // `
const BACKSLASH = 0x5c

/** Result of skipBlank() at an executable comment (`/*!` or `/*M!`), which is code, not blank. */
export const EXECUTABLE_COMMENT = -2

/** True for ' " and ` (the characters that open a quoted token). */
export function isQuote(c: number): boolean {
  return c === QUOTE || c === DOUBLE_QUOTE || c === BACKTICK
}

/**
 * Index just past the quote closing the one at `start`, or -1 when it is never closed. A doubled
 * quote needs no special case: it closes and at once reopens the token. Backslash escapes apply to
 * strings when `backslashEscapes` (the server's mode without NO_BACKSLASH_ESCAPES), never to
 * `identifiers`.
 */
export function quotedEnd(s: string, start: number, backslashEscapes: boolean): number {
  const quote = s.charCodeAt(start)
  const escapes = backslashEscapes && quote !== BACKTICK
  for (let j = start + 1; j < s.length; j++) {
    const c = s.charCodeAt(j)
    if (c === quote) return j + 1
    if (escapes && c === BACKSLASH) j++
  }
  return -1
}

/**
 * The value of the quoted string at `start` as the server reads it (doubled quotes and, with
 * `backslashEscapes`, \\0 \\n \\r \\t \\Z and \\x for anything else), or null when it is not closed.
 */
export function unquote(s: string, start: number, backslashEscapes: boolean): string | null {
  const quote = s.charCodeAt(start)
  let out = ''
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === quote) {
      if (s.charCodeAt(i + 1) !== quote) return out
      out += s[i]
      i++
    } else if (c === BACKSLASH && backslashEscapes && i + 1 < s.length) {
      const n = s[++i]!
      out +=
        n === '0' ? '\0' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === 'Z' ? '\x1a' : n
    } else {
      out += s[i]
    }
  }
  return null
}

/** A `#` comment, or `--` followed by whitespace, a control character or the end (MySQL's rule). */
export function lineCommentAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  if (c === 0x23) return true
  if (c !== 0x2d || s.charCodeAt(i + 1) !== 0x2d) return false
  // The server starts a comment at `--` followed by whitespace or any control character (DEL too).
  const next = s.charCodeAt(i + 2)
  return !(next > 0x20) || next === 0x7f
}

/** Index just past the end of the line holding `i` (or the end of the text). */
export function lineEnd(s: string, i: number): number {
  const nl = s.indexOf('\n', i)
  return nl === -1 ? s.length : nl + 1
}

/**
 * Which server reads the text: whether a versioned executable comment runs depends on it. `version`
 * as the comments write it: 10.11.19 → 101119, 8.0.35 → 80035.
 */
export interface ServerVersion {
  readonly mariaDb: boolean
  readonly version: number
}

/** The comment-style number of a server version string (`5.5.5-10.11.19-MariaDB…` → 101119), 0 if none. */
export function versionNumber(serverVersion: string): number {
  const m = /^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)/.exec(serverVersion)
  return m === null ? 0 : Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3])
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Result of executableCommentAt() for an executable comment the server skips (see skippedCommentEnd). */
export const SKIPPED_COMMENT = -1

/**
 * Length of the opener of an executable comment at i (`/*!` 3, `/*M!` 4) that the server runs; 0 when
 * there is none (MySQL reads `/*M!` as a plain comment); SKIPPED_COMMENT for one it skips. MySQL runs
 * `/*!NNNNN` up to its own version; MariaDB runs `/*M!NNNNN[N]` up to its version, and `/*!NNNNN[N]` up
 * to its version except MySQL 5.7+ ones (50700–99999). Without `server` every executable comment runs.
 */
export function executableCommentAt(s: string, i: number, server?: ServerVersion): number {
  if (s.charCodeAt(i) !== 0x2f || s.charCodeAt(i + 1) !== 0x2a) return 0
  const d = s.charCodeAt(i + 2)
  const mariaOnly = d === 0x4d && s.charCodeAt(i + 3) === 0x21
  if (d !== 0x21 && !mariaOnly) return 0
  const open = mariaOnly ? 4 : 3
  if (server === undefined) return open
  if (mariaOnly && !server.mariaDb) return 0
  let digits = 0
  while (digits < 6 && isDigit(s.charCodeAt(i + open + digits))) digits++
  // MySQL reads five digits; MariaDB five or six. Fewer: no version, the comment always runs.
  if (digits < 5) return open
  const version = Number(s.slice(i + open, i + open + (digits === 6 && server.mariaDb ? 6 : 5)))
  if (version > server.version) return SKIPPED_COMMENT
  if (server.mariaDb && !mariaOnly && version >= 50700 && version <= 99999) return SKIPPED_COMMENT
  return open
}

/**
 * Index just past an executable comment at i that the server skips (-1 when unclosed): the server
 * consumes it as a comment that may hold one nested `/* *\/` (its consume_comment with one level).
 */
export function skippedCommentEnd(s: string, i: number): number {
  for (let j = i + 2; j < s.length; j++) {
    const c = s.charCodeAt(j)
    if (c === 0x2a && s.charCodeAt(j + 1) === 0x2f) return j + 2
    if (c === 0x2f && s.charCodeAt(j + 1) === 0x2a) {
      const inner = s.indexOf('*/', j + 2)
      if (inner === -1) return -1
      j = inner + 1
    }
  }
  return -1
}

/** Index just past a plain `/* ... *\/` comment at i (-1 when unclosed); assumes one starts there. */
export function blockCommentEnd(s: string, i: number): number {
  const end = s.indexOf('*/', i + 2)
  return end === -1 ? -1 : end + 2
}

/** True when a (non-executable) block comment starts at i. */
export function blockCommentAt(s: string, i: number): boolean {
  return s.charCodeAt(i) === 0x2f && s.charCodeAt(i + 1) === 0x2a && executableCommentAt(s, i) === 0
}

const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c

/**
 * Past whitespace and comments from i. Returns EXECUTABLE_COMMENT at an executable comment (code the
 * caller must read), and -1 at an unclosed block comment.
 */
export function skipBlank(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i)
    if (isSpace(c)) i++
    else if (lineCommentAt(s, i)) i = lineEnd(s, i)
    else if (executableCommentAt(s, i) > 0) return EXECUTABLE_COMMENT
    else if (blockCommentAt(s, i)) {
      i = blockCommentEnd(s, i)
      if (i === -1) return -1
    } else return i
  }
}

/** Letters, digits, `_`, `$` and anything beyond ASCII: the characters of a bare word. */
export function isWordChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  )
}

/** Index just past the bare word starting at i (i itself when there is none). */
export function wordEnd(s: string, i: number): number {
  let j = i
  while (j < s.length && isWordChar(s.charCodeAt(j))) j++
  return j
}

/**
 * Offsets of the `?` parameter markers the server would see in `s` (or of another character, `mark`):
 * outside quoted strings, identifiers and comments, but inside executable comments (which are code
 * to the server) — those `server` runs, when it is given.
 */
export function markerOffsets(
  s: string,
  backslashEscapes: boolean,
  mark = 0x3f /* ? */,
  server?: ServerVersion,
): number[] {
  const out: number[] = []
  const len = s.length
  let i = 0
  while (i < len) {
    const c = s.charCodeAt(i)
    if (c === mark) {
      out.push(i++)
    } else if (c === 0) {
      // The server reads a statement only up to a NUL in code (the rest is ignored after `;`, an
      // error otherwise), so nothing after it can be a marker.
      break
    } else if (isQuote(c)) {
      const end = quotedEnd(s, i, backslashEscapes)
      i = end === -1 ? len : end
    } else if (lineCommentAt(s, i)) {
      const end = lineEnd(s, i)
      // A NUL in a line comment ends the statement too.
      if (s.lastIndexOf('\0', end - 1) >= i) break
      i = end
    } else if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
      // A comment: code the server runs, one it skips (with one nested level), or a plain one.
      const open = executableCommentAt(s, i, server)
      if (open > 0) {
        i += open
      } else {
        const end = open === SKIPPED_COMMENT ? skippedCommentEnd(s, i) : blockCommentEnd(s, i)
        i = end === -1 ? len : end
      }
    } else {
      i++
    }
  }
  return out
}
