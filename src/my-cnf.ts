// my.cnf support (readDefaultFile / readDefaultGroup): read the [client] group and the named group of
// a MySQL option file into connection options. It is the user's shared file, read by other programs
// too, so unknown keys are ignored; `!include` / `!includedir` are ignored (never followed).

import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type tls from 'node:tls'
import type { ConnectionOptions, SslMode } from './config.ts'
import { ProgrammingError } from './errors.ts'

/** Bound on the file read (an option file is a few lines; this is not the place for a 1 GB file). */
const MAX_FILE_BYTES = 1024 * 1024

/** MySQL's option-file escapes, valid quoted or not; a backslash before anything else stays. */
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', t: '\t', n: '\n', r: '\r', s: ' ', '\\': '\\' }

const SSL_MODES: Readonly<Record<string, SslMode>> = {
  disabled: 'disabled',
  preferred: 'preferred',
  required: 'required',
  'verify-ca': 'verify-ca',
  'verify-identity': 'verify-identity',
}

function unescape(s: string, quote: string | null): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    const next = s[i + 1]
    if (c === '\\' && next !== undefined) {
      const mapped = next === quote ? quote : ESCAPES[next]
      if (mapped !== undefined) {
        out += mapped
        i++
        continue
      }
    }
    out += c
  }
  return out
}

/**
 * The value after `=`: '…' or "…" (the same quote inside escaped with a backslash), else bare text
 * up to a `#` comment. Surrounding spaces are dropped either way, as MySQL does.
 */
function parseValue(raw: string): string {
  const text = raw.trim()
  const quote = text[0]
  if (quote === '"' || quote === "'") {
    for (let i = 1; i < text.length; i++) {
      if (text[i] === '\\') i++
      else if (text[i] === quote) return unescape(text.slice(1, i), quote)
    }
    // No closing quote: MySQL keeps the text as it is; so do we.
  }
  const hash = text.indexOf('#')
  return unescape((hash < 0 ? text : text.slice(0, hash)).trimEnd(), null)
}

/** Option name -> value; null for a bare `name` line (no `=`). */
export type OptionGroup = Map<string, string | null>

/**
 * Parse option-file text into groups (lower-cased names) of options (names with `-`, any
 * `loose-` prefix dropped). A later line wins over an earlier one.
 */
export function parseOptionFile(text: string): Map<string, OptionGroup> {
  const groups = new Map<string, OptionGroup>()
  let current: OptionGroup | null = null
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('!')) continue
    if (line.startsWith('[')) {
      const end = line.indexOf(']')
      const name = (end < 0 ? line.slice(1) : line.slice(1, end)).trim().toLowerCase()
      current = groups.get(name) ?? new Map<string, string | null>()
      groups.set(name, current)
      continue
    }
    // Options before any [group] belong to none, as in MySQL (which rejects them).
    if (current === null) continue
    const eq = line.indexOf('=')
    const rawName = (eq < 0 ? line : line.slice(0, eq)).trim()
    // A bare option may carry a trailing comment too (`ssl # on`).
    const name = rawName
      .split('#')[0]!
      .trim()
      .toLowerCase()
      .replaceAll('_', '-')
      .replace(/^loose-/, '')
    if (name === '') continue
    current.set(name, eq < 0 ? null : parseValue(line.slice(eq + 1)))
  }
  return groups
}

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(os.homedir(), file.slice(1)) : file
}

function readSslFile(key: string, file: string): Buffer {
  try {
    return readFileSync(expandHome(file))
  } catch (e) {
    const reason = e instanceof Error && 'code' in e ? String(e.code) : 'unreadable'
    throw new ProgrammingError(`option file: ${key} ${JSON.stringify(file)} cannot be read (${reason})`)
  }
}

/** A boolean option's value as the mysql CLI reads it (1/0, true/false, on/off). */
function flagValue(key: string, value: string): boolean {
  const v = value.toLowerCase()
  if (v === '1' || v === 'true' || v === 'on') return true
  if (v === '0' || v === 'false' || v === 'off') return false
  throw new ProgrammingError(`option file: ${key} takes 1/0, true/false or on/off`)
}

/**
 * Connection options from an option file's [client] group, overlaid by `group` when it differs.
 * Keys understood (`_` and `-` alike): host, port, user, password, database / db, socket,
 * default-character-set, ssl-ca / ssl-cert / ssl-key (files read now), ssl-mode, connect-timeout
 * (seconds), init-command, compress (bare or 1/0, true/false, on/off; skip-compress and
 * disable-compress turn it off). Anything else is someone else's option and is skipped.
 * @throws ProgrammingError when the file (or an ssl-* file it names) cannot be read.
 */
export function readDefaults(file: string, group = 'client'): Partial<ConnectionOptions> {
  const resolved = expandHome(file)
  let text: string
  try {
    const bytes = readFileSync(resolved)
    if (bytes.length > MAX_FILE_BYTES)
      throw new ProgrammingError(`option file ${JSON.stringify(file)} is too large`)
    text = bytes.toString('utf8')
  } catch (e) {
    if (e instanceof ProgrammingError) throw e
    const reason = e instanceof Error && 'code' in e ? String(e.code) : 'unreadable'
    throw new ProgrammingError(`option file ${JSON.stringify(file)} cannot be read (${reason})`)
  }
  const groups = parseOptionFile(text)
  const values: OptionGroup = new Map(groups.get('client'))
  const wanted = group.toLowerCase()
  if (wanted !== 'client') for (const [k, v] of groups.get(wanted) ?? []) values.set(k, v)

  const out: Partial<ConnectionOptions> = {}
  const ssl: tls.ConnectionOptions = {}
  for (const [key, value] of values) {
    // A flag of the mysql CLI: bare or with a boolean value; skip-/disable- turn it off.
    if (key === 'compress' || key === 'skip-compress' || key === 'disable-compress') {
      out.compress = key === 'compress' && (value === null || flagValue(key, value))
      continue
    }
    // A bare `password` asks the mysql CLI to prompt, and no other key here means anything bare.
    if (value === null) continue
    switch (key) {
      case 'host':
        out.host = value
        break
      case 'port':
        // Validated with everything else by resolveConfig (a non-number fails there).
        out.port = value === '' ? NaN : Number(value)
        break
      case 'user':
        out.user = value
        break
      case 'password':
        out.password = value
        break
      case 'database':
      case 'db':
        out.db = value
        break
      case 'socket':
        out.unixSocket = value
        break
      case 'default-character-set':
        out.charset = value
        break
      case 'ssl-ca':
        ssl.ca = readSslFile(key, value)
        break
      case 'ssl-cert':
        ssl.cert = readSslFile(key, value)
        break
      case 'ssl-key':
        ssl.key = readSslFile(key, value)
        break
      case 'ssl-mode': {
        const mode = SSL_MODES[value.toLowerCase().replaceAll('_', '-')]
        if (mode === undefined)
          throw new ProgrammingError(`option file: unknown ssl-mode ${JSON.stringify(value)}`)
        out.sslMode = mode
        break
      }
      case 'connect-timeout':
        out.connectTimeoutMs = Number(value) * 1000
        break
      case 'init-command':
        out.initCommand = value
        break
      default:
        break
    }
  }
  if (Object.keys(ssl).length > 0) out.ssl = ssl
  return out
}

/**
 * Put the option file named by `options.readDefaultFile` under `options` (the URL and explicit
 * options, already merged): a value from the file is used only where `options` has none. The file's
 * socket is dropped when the host is not localhost (MySQL uses the socket only for localhost), its
 * db when `options` names a database either way, and its TLS files when TLS is off.
 */
export function applyDefaultsFile(options: ConnectionOptions): ConnectionOptions {
  if (options.readDefaultFile === undefined) return options
  const fromFile = readDefaults(options.readDefaultFile, options.readDefaultGroup ?? 'client')
  if (options.db !== undefined || options.database !== undefined) delete fromFile.db
  const host = options.host ?? fromFile.host
  if (options.unixSocket === undefined && host !== undefined && host !== 'localhost')
    delete fromFile.unixSocket
  const sslMode = options.sslMode ?? fromFile.sslMode
  if (options.ssl !== undefined || sslMode === 'disabled') delete fromFile.ssl
  const merged: Record<string, unknown> = { ...fromFile }
  for (const [k, v] of Object.entries(options)) if (v !== undefined) merged[k] = v
  return merged as ConnectionOptions
}
