// Regenerates src/error-codes.ts from the error lists installed on this machine: the server's own
// errmsg-utf8.txt (names, numbers, SQLSTATEs) and Connector/C's errmsg.h (client CR_* codes).
// Run with `npm run gen:errors`. The output is committed, so builds and tests never need these files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const SERVER_LIST = '/usr/share/mysql/errmsg-utf8.txt'
const CLIENT_HEADER = '/usr/include/mariadb/errmsg.h'
const SERVER_HEADER = '/usr/include/mariadb/mysqld_error.h'
const VERSION_HEADER = '/usr/include/mariadb/mariadb_version.h'
const OUTPUT = fileURLToPath(new URL('../src/error-codes.ts', import.meta.url))

interface Entry {
  readonly errno: number
  readonly name: string
  readonly sqlState: string
}

const SQLSTATE = /^[0-9A-Z]{5}$/

/**
 * errmsg-utf8.txt is the input of the server's comp_err: errno is not written next to each name, it is
 * the running count since the last `start-error-number` / `skip-to-error-number`. Message lines are
 * indented, so anything at column 0 is a directive, a comment or an entry; fail on anything else so a
 * format change cannot shift every number silently.
 */
function parseServerList(text: string): Entry[] {
  const entries: Entry[] = []
  let next: number | undefined
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '' || /^\s/.test(line) || line.startsWith('#')) continue
    const where = `${SERVER_LIST}:${index + 1}`
    const tokens = line.trim().split(/\s+/)
    const [head = '', ...rest] = tokens
    if (head === 'languages' || head === 'default-language') continue
    if (head === 'start-error-number' || head === 'skip-to-error-number') {
      const target = Number(rest[0])
      if (!Number.isInteger(target) || rest.length !== 1) throw new Error(`${where}: bad directive: ${line}`)
      if (next !== undefined && target < next)
        throw new Error(`${where}: ${head} goes backwards to ${target}`)
      next = target
      continue
    }
    if (!/^[A-Z][A-Z0-9_]*$/.test(head)) throw new Error(`${where}: unexpected line: ${line}`)
    if (next === undefined) throw new Error(`${where}: entry before start-error-number`)
    // Optional SQLSTATE, then an optional ODBC state (S1009, sometimes lowercase) that we drop.
    if (rest.length > 2) throw new Error(`${where}: too many fields: ${line}`)
    const sqlState = rest[0]?.toUpperCase() ?? ''
    if (sqlState !== '' && !SQLSTATE.test(sqlState)) throw new Error(`${where}: bad SQLSTATE: ${line}`)
    entries.push({ errno: next, name: head, sqlState })
    next += 1
  }
  return entries
}

/** `#define NAME 1234` lines of a C header; values that are not plain numbers (aliases) are skipped. */
function parseDefines(text: string, prefix: RegExp): Map<string, number> {
  const defines = new Map<string, number>()
  for (const match of text.matchAll(/^#define\s+(\w+)\s+(\d+)\b/gm)) {
    const [, name = '', value = ''] = match
    if (prefix.test(name)) defines.set(name, Number(value))
  }
  return defines
}

function fail(message: string): never {
  console.error(`gen-error-codes: ${message}`)
  process.exit(1)
}

if (!existsSync(SERVER_LIST)) fail(`${SERVER_LIST} not found (it ships with mariadb-server)`)
const server = parseServerList(readFileSync(SERVER_LIST, 'utf8'))

// The header is generated from the same list by comp_err, so any disagreement means the parser is wrong.
const sources = [SERVER_LIST]
if (existsSync(SERVER_HEADER)) {
  const defined = parseDefines(readFileSync(SERVER_HEADER, 'utf8'), /^(ER|WARN)_/)
  const parsed = new Map(server.map((entry) => [entry.name, entry.errno]))
  let checked = 0
  for (const [name, errno] of defined) {
    if (/^ER_ERROR_(FIRST|LAST)/.test(name)) continue // section markers, not errors
    const got = parsed.get(name)
    if (got === undefined) fail(`${name} (${errno}) is in ${SERVER_HEADER} but not in ${SERVER_LIST}`)
    if (got !== errno) fail(`${name}: parsed ${got}, ${SERVER_HEADER} says ${errno}`)
    checked += 1
  }
  if (checked !== server.length)
    fail(`${SERVER_HEADER} has ${checked} errors, ${SERVER_LIST} has ${server.length}`)
  sources.push(`${SERVER_HEADER} (cross-check)`)
} else {
  console.warn(`gen-error-codes: ${SERVER_HEADER} not found, errnos not cross-checked`)
}

// Client codes: CR_MIN_ERROR / CR_MAX_ERROR are range markers that would shadow CR_UNKNOWN_ERROR.
const client: Entry[] = []
if (existsSync(CLIENT_HEADER)) {
  for (const [name, errno] of parseDefines(readFileSync(CLIENT_HEADER, 'utf8'), /^CR_/)) {
    if (name === 'CR_MIN_ERROR' || name === 'CR_MAX_ERROR') continue
    client.push({ errno, name, sqlState: '' })
  }
  sources.push(CLIENT_HEADER)
} else {
  fail(`${CLIENT_HEADER} not found (apt-get install -y libmariadb-dev)`)
}

// ER_UNUSED_n placeholders are never sent by MariaDB; MySQL reuses several of those numbers for real
// errors (3024 is MySQL's ER_QUERY_TIMEOUT), so 'UNKNOWN' is more honest than a placeholder name.
const kept = server.filter((entry) => !/^ER_UNUSED_\d+$/.test(entry.name))
const all = [...kept, ...client].sort((a, b) => a.errno - b.errno)
for (const [i, entry] of all.entries()) {
  if (all[i - 1]?.errno === entry.errno)
    fail(`errno ${entry.errno} is both ${all[i - 1]?.name} and ${entry.name}`)
}

const version = existsSync(VERSION_HEADER)
  ? /MYSQL_SERVER_VERSION\s+"([^"]+)"/.exec(readFileSync(VERSION_HEADER, 'utf8'))?.[1]
  : undefined

const rows = all.map((entry) => `  [${entry.errno}, '${entry.name}', '${entry.sqlState}'],`)
const output = `// GENERATED by \`npm run gen:errors\` (tools/gen-error-codes.ts). Do not edit; rerun the generator.
// Sources${version === undefined ? '' : ` (${version})`}:
${sources.map((source) => `//   ${source}`).join('\n')}
// ${kept.length} server errors (ER_UNUSED_n placeholders dropped) and ${client.length} client CR_* errors.
// Names are MariaDB's; MySQL numbers above ~1900 diverge, so a MySQL-only errno reads as 'UNKNOWN'.

/** [errno, symbolic name, SQLSTATE from the list ('' when it gives none; the server then sends HY000)] */
const rows: ReadonlyArray<readonly [number, string, string]> = [
${rows.join('\n')}
]

export const errorCodes: ReadonlyMap<number, { readonly name: string; readonly sqlState: string }> = new Map(
  rows.map(([errno, name, sqlState]) => [errno, Object.freeze({ name, sqlState })]),
)

const errnos: ReadonlyMap<string, number> = new Map(rows.map(([errno, name]) => [name, errno]))

/** Symbolic name of an errno ('ER_DUP_ENTRY', 'CR_SERVER_LOST'), or 'UNKNOWN'. */
export function errorName(errno: number): string {
  return errorCodes.get(errno)?.name ?? 'UNKNOWN'
}

/** The SQLSTATE the list gives for an errno; undefined when unknown or when the list gives none. */
export function errorSqlState(errno: number): string | undefined {
  const sqlState = errorCodes.get(errno)?.sqlState
  return sqlState === '' ? undefined : sqlState
}

/** The errno of a symbolic name ('CR_SERVER_LOST' -> 2013), or undefined. */
export function errnoByName(name: string): number | undefined {
  return errnos.get(name)
}
`

writeFileSync(OUTPUT, output)
console.log(
  `gen-error-codes: wrote ${all.length} codes (${kept.length} server, ${client.length} client) to ${OUTPUT}`,
)
