// Bugs the fuzzing found that are not fixed yet. Each has a deterministic reproduction, a `todo` test
// (so the suite stays green) in test/integration/fuzz-regressions.test.ts (bugs 3–5: the lexer against
// the server; bugs 1–2, fixed, are regression tests in test/unit/fuzz-regressions.test.ts). The
// properties steer around the open ones so they keep finding *other* bugs instead of these again.
// FUZZ_KNOWN_BUGS=1 turns the steering off: run the fuzz that way to see whether a fix holds, then
// delete the entry here and the `todo` in the regression test.

import {
  blockCommentAt,
  blockCommentEnd,
  executableCommentAt,
  isQuote,
  lineCommentAt,
  lineEnd,
  quotedEnd,
} from '../../src/sql/lexer.ts'

const include = process.env['FUZZ_KNOWN_BUGS'] === '1'

/**
 * Bug 4: a versioned executable comment the server does not run is a plain comment to it, but the
 * lexer reads every executable comment as code. MariaDB 10.11 skips `/*!50700 … *\/`, `/*!80000 … *\/`,
 * `/*!99999 … *\/` and `/*M!101120 … *\/` and up (it runs `/*!50000`, `/*!100000`, `/*M!101119`); MySQL
 * skips `/*M!…*\/` and versions above its own. `SELECT 1 /*!80000 , ? *\/` has one marker for the lexer
 * and none for MariaDB. Returns the versions to generate: those every supported server runs (and
 * `M!100100`, which the MariaDB the tests start runs).
 */
export function commentVersions(all: readonly string[]): string[] {
  const runEverywhere = new Set(['', '50000', 'M!100100'])
  return all.filter((v) => include || runEverywhere.has(v))
}

/**
 * Bug 5: the server's parser takes a NUL byte in code, or in a `#` / `-- ` comment, for the end of the
 * statement (its lexer hands the NUL on as the parser's end-of-input token; block comments and strings
 * may hold NULs). That is a syntax error, except after a `;`, where the rest of the text is silently
 * ignored, markers and all. The lexer reads on: `SELECT 1;\0?` and `SELECT 1; #\0\n, ?` have one
 * marker for the lexer and none for the server. True when `sql` has such a NUL, as the lexer reads it.
 */
export function nulEndsStatement(sql: string, backslashEscapes: boolean): boolean {
  if (include) return false
  // The walk of markerOffsets (src/sql/lexer.ts), looking for NULs in code and in line comments.
  for (let i = 0; i < sql.length;) {
    const c = sql.charCodeAt(i)
    if (c === 0) return true
    if (isQuote(c)) {
      const end = quotedEnd(sql, i, backslashEscapes)
      i = end === -1 ? sql.length : end
    } else if (lineCommentAt(sql, i)) {
      const end = lineEnd(sql, i)
      if (sql.slice(i, end).includes('\0')) return true
      i = end
    } else if (executableCommentAt(sql, i) > 0) {
      i += executableCommentAt(sql, i)
    } else if (blockCommentAt(sql, i)) {
      const end = blockCommentEnd(sql, i)
      i = end === -1 ? sql.length : end
    } else i++
  }
  return false
}
