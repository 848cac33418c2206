// LOAD DATA LOCAL INFILE policy (SPEC §8): off by default. When on, the file the server asks for
// must be the one named in the statement this client sent, or one a user handler accepts; anything
// else is refused and nothing is read.

import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import type { LocalInfileOpener } from './commands/query.ts'
import { unquote } from './sql/lexer.ts'

/** Decide on a server's file request: return the data to send, or null to refuse. */
export type LocalInfileHandler = (
  fileName: string,
  sql: string,
) => AsyncIterable<Uint8Array> | Readable | null | Promise<AsyncIterable<Uint8Array> | Readable | null>

/**
 * The file name in `LOAD DATA [LOW_PRIORITY | CONCURRENT] LOCAL INFILE '<name>'`, unescaped as the
 * server reads it; null when the statement is not such a LOAD DATA.
 */
export function statementFileName(sql: string, noBackslashEscapes: boolean): string | null {
  const m = /^\s*LOAD\s+(?:DATA|XML)\s+(?:(?:LOW_PRIORITY|CONCURRENT)\s+)?LOCAL\s+INFILE\s+(?=['"])/i.exec(
    sql,
  )
  if (m === null) return null
  return unquote(sql, m[0].length, !noBackslashEscapes)
}

/** The opener for a connection's `localInfile` option. */
export function localInfileOpener(
  option: boolean | LocalInfileHandler,
  noBackslashEscapes: () => boolean,
): LocalInfileOpener | null {
  if (option === false) return null
  if (option === true) {
    return async (fileName, sql) => {
      const named = statementFileName(sql, noBackslashEscapes())
      if (named === null || named !== fileName) {
        return { refused: 'the server asked for a file the statement did not name' }
      }
      return createReadStream(fileName)
    }
  }
  return async (fileName, sql) => {
    const data = await option(fileName, sql)
    return data === null ? { refused: 'the localInfile handler refused the request' } : data
  }
}
