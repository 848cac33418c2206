// Connection options: the public type, URL parsing, defaults and validation, resolved once into
// a frozen config. The password is a non-enumerable property so it never reaches JSON or logs.

import { inspect } from 'node:util'
import type tls from 'node:tls'
import type { AuthPlugin } from './commands/auth-plugins.ts'
import type { Connection } from './connection.ts'
import type { Cursor } from './cursor.ts'
import type { LocalInfileHandler } from './local-infile.ts'
import type { SslMode } from './commands/handshake.ts'
import { ProgrammingError } from './errors.ts'
import type { HealthCheck } from './hosts/health.ts'
import {
  LOAD_BALANCE,
  parseHosts,
  splitMultiHostUrl,
  type HostAddress,
  type HostSpec,
  type LoadBalance,
} from './hosts/addresses.ts'
import { applyDefaultsFile } from './my-cnf.ts'
import { charsetByName, collationByName } from './types/charsets.ts'
import { resolveTypeOptions, type ResolvedTypeOptions, type TypeOptions } from './types/options.ts'

export type { SslMode, HealthCheck, HostSpec, LoadBalance, HostAddress }

/** A cursor class: Cursor, DictCursor, SSCursor, SSDictCursor, or a subclass of one. */
export type CursorClass<C extends Cursor<unknown> = Cursor<unknown>> = new (connection: Connection) => C

/** Gives the password for a new connection (a cloud IAM token, a secret store lookup). */
export type PasswordProvider = () => string | Promise<string>

/**
 * Options for `connect()` (a Pool takes these plus its own, see PoolOptions). Every option except objects and
 * functions can also be given in a `mysql://` URL's query (`?sslMode=required`); explicit options win over
 * the URL, which wins over `readDefaultFile`. An unknown option is a ProgrammingError.
 */
export interface ConnectionOptions extends TypeOptions {
  /** Server host name or IP address (default 'localhost'); not together with `hosts`. */
  host?: string
  /** Server TCP port (default 3306). */
  port?: number
  /**
   * Several equivalent servers (a Galera cluster, a primary and its standbys): `'db1'`,
   * `'db2:3307'` or `{ host, port }`; not together with `host`/`port`. SPEC §12.
   */
  hosts?: readonly HostSpec[]
  /** Which of `hosts` a new connection goes to (default 'failover': the first healthy one). */
  loadBalance?: LoadBalance
  /**
   * How a pool decides a server is fit: 'ping', 'galera' (ready, Synced, Primary, not desynced,
   * not rejecting queries) or a function. Default: 'galera' when the server reports wsrep_on, else 'ping'.
   */
  healthCheck?: HealthCheck
  /** A free pooled connection last checked longer ago than this is checked before it is lent (default 5,000 ms). */
  healthCheckIntervalMs?: number
  /** A failing host is skipped this long, doubling with each failure in a row up to 30 s (default 1,000 ms). */
  hostDownMs?: number
  /** Galera: `wsrep_sync_wait = 1` on every connection, so a read sees every write committed before it. */
  causalReads?: boolean
  /** User name to log in as (default ''). */
  user?: string
  /**
   * The password, or a function giving it (sync or async) that is called for every new connection:
   * short-lived tokens (cloud IAM) stay fresh. What it returns is kept as secret as a password.
   */
  password?: string | PasswordProvider
  /** Default database (aiomysql's `db`). */
  db?: string
  /** Alias of `db`, as mysql2 and mariadb spell it. */
  database?: string
  /** Path of a Unix socket to connect through instead of TCP; not together with `hosts`. */
  unixSocket?: string
  /** Connection charset, sent in the handshake and with SET NAMES (default 'utf8mb4'). */
  charset?: string
  /**
   * Connection collation (e.g. 'utf8mb4_unicode_ci') instead of the charset's default; sent in the handshake
   * and with SET NAMES.
   */
  collation?: string
  /** Session sql_mode, bound as a value (never pasted into SQL). */
  sqlMode?: string
  /** A statement run after every (re)connect. */
  initCommand?: string
  /**
   * The class `conn.cursor()` makes when called without one (aiomysql's `cursorclass`; default
   * Cursor). `connect({ cursorClass: DictCursor })` types `cursor()` accordingly.
   */
  cursorClass?: CursorClass
  /** Autocommit mode, set on every (re)connect (default false, as in aiomysql). */
  autocommit?: boolean
  /** Time allowed for the TCP connect, TLS and authentication together, in milliseconds (default 10,000). */
  connectTimeoutMs?: number
  /**
   * Log every statement's text through `util.debuglog('aiomysql')`, shown with `NODE_DEBUG=aiomysql` (default
   * false). Prepared statements show their `?` markers, never the values.
   */
  echo?: boolean
  /** LOAD DATA LOCAL INFILE: false (default), true (only the file the statement names), or a handler. */
  localInfile?: boolean | LocalInfileHandler
  /**
   * Node TLS options (`ca`, `cert`, `key`, …) or `true`. Without `sslMode`, an object means 'verify-identity'
   * and `true` means 'required'.
   */
  ssl?: tls.ConnectionOptions | boolean
  /**
   * How TLS is used: 'disabled', 'preferred' (the default; skipped on Unix sockets), 'required', 'verify-ca'
   * (needs `ssl.ca`) or 'verify-identity', with MySQL's meanings. A server without TLS under 'required' or
   * stricter is refused before the user name is sent.
   */
  sslMode?: SslMode
  /**
   * The authentication plugin to answer the greeting with (e.g. 'caching_sha2_password') instead of the one
   * the server names; the server may still switch.
   */
  authPlugin?: string
  /** Extra authentication plugins by name (e.g. a cloud IAM token plugin). */
  authPlugins?: Readonly<Record<string, AuthPlugin>>
  /**
   * The server's RSA public key (PEM), pinned: caching_sha2_password and sha256_password then send the
   * password RSA-encrypted over a channel without TLS.
   */
  serverPublicKey?: string | Buffer
  /**
   * Let caching_sha2_password and sha256_password ask the server for its RSA key over a channel without TLS
   * (default false; a man in the middle can answer with their own key).
   */
  allowPublicKeyRetrieval?: boolean
  /** Sent as the `program_name` connection attribute. */
  programName?: string
  /**
   * Extra connection attributes sent in the handshake (visible in performance_schema.session_connect_attrs).
   */
  connectAttributes?: Readonly<Record<string, string>>
  /**
   * Path of a MySQL option file (my.cnf) to read: its `[client]` group, then `readDefaultGroup`. It fills
   * only what the URL and explicit options leave unset.
   */
  readDefaultFile?: string
  /** The option-file group read after `[client]` (default 'client'). */
  readDefaultGroup?: string
  /** Extra CLIENT_* capability bits to ask for; only those the server offers are kept. */
  clientFlag?: number
  /**
   * Allow several `;`-separated statements in one query (CLIENT_MULTI_STATEMENTS; default false). `CALL`
   * results work without it.
   */
  multiStatements?: boolean
  /**
   * Write commands issued before earlier ones have answered at once, and match the replies in order
   * (default true; false waits for each reply, for proxies that cannot take pipelining). SPEC §10.
   */
  pipelining?: boolean
  /**
   * Run every statement that has arguments as a server-side prepared statement (binary protocol);
   * `{ prepare: false }` on a call overrides it (default false). SPEC §11.
   */
  prepare?: boolean
  /** Prepared statements kept per connection, least recently used closed first (default 256; 0 = none). */
  preparedCacheSize?: number
  /**
   * The largest logical packet accepted from the server, continuation packets included (default
   * 64 MiB); a larger one is a fatal error (2027) before it is buffered. SPEC §14.
   */
  maxAllowedPacket?: number
  /** The old name of maxAllowedPacket. */
  maxPacketSize?: number
  /**
   * Use the compressed protocol (zlib) when the server offers it, plain packets when it does not
   * (default false; in a URL `?compress=true`): fewer bytes on slow links for more CPU. Each frame
   * the server sends is bounded by `maxAllowedPacket` before it is buffered and while it is
   * inflated; one that breaks a bound is a fatal error (2027). SPEC §8, §14.
   */
  compress?: boolean
}

/**
 * A connection's options after URL parsing, validation and defaults (see ConnectionOptions for each one's
 * meaning); frozen. The password is a non-enumerable property, so it stays out of JSON, logs and `inspect`.
 */
export interface ResolvedConfig {
  /** The server this connection goes to (with `hosts`: the one it was opened on, or the first). */
  readonly host: string
  /** Port of `host`. */
  readonly port: number
  /** Every server, in the order given (one entry, host and port, without `hosts`). */
  readonly hosts: readonly HostAddress[]
  /** How a new connection picks one of `hosts`. */
  readonly loadBalance: LoadBalance
  /**
   * The health check given, or undefined for the default ('galera' when the server reports wsrep_on, else
   * 'ping').
   */
  readonly healthCheck: HealthCheck | undefined
  /** A free pooled connection checked longer ago than this is checked before it is lent, in milliseconds. */
  readonly healthCheckIntervalMs: number
  /** How long a failing host is first skipped, in milliseconds (doubling up to 30 s). */
  readonly hostDownMs: number
  /** Galera: `wsrep_sync_wait = 1` on every connection. */
  readonly causalReads: boolean
  /** User name ('' when none was given). */
  readonly user: string
  /** The password or the function giving it; non-enumerable. */
  readonly password: string | PasswordProvider
  /** Default database (from `db` or `database`). */
  readonly db: string | undefined
  /** Unix socket path, when connecting through one. */
  readonly unixSocket: string | undefined
  /** Connection charset, lower case. */
  readonly charset: string
  /** The collation given, or undefined for the charset's default. */
  readonly collation: string | undefined
  /** The collation id sent in the handshake. */
  readonly collationId: number
  /** Session sql_mode set on every (re)connect. */
  readonly sqlMode: string | undefined
  /** Statement run after every (re)connect. */
  readonly initCommand: string | undefined
  /** Autocommit mode set on every (re)connect. */
  readonly autocommit: boolean
  /** The class `conn.cursor()` makes when called without one; undefined means Cursor. */
  readonly cursorClass: CursorClass | undefined
  /** Time allowed for connect, TLS and authentication, in milliseconds. */
  readonly connectTimeoutMs: number
  /** Whether statements are logged through `util.debuglog('aiomysql')`. */
  readonly echo: boolean
  /** LOAD DATA LOCAL INFILE: off, on (only the file the statement names), or a handler. */
  readonly localInfile: boolean | LocalInfileHandler
  /** Node TLS options (`{}` when none were given). */
  readonly ssl: tls.ConnectionOptions
  /** The effective TLS mode. */
  readonly sslMode: SslMode
  /** The plugin to start authentication with, or undefined for the server's choice. */
  readonly authPlugin: string | undefined
  /** Extra authentication plugins by name. */
  readonly authPlugins: Readonly<Record<string, AuthPlugin>>
  /** The pinned RSA public key of the server. */
  readonly serverPublicKey: string | Buffer | undefined
  /** Whether the server's RSA key may be requested over a channel without TLS. */
  readonly allowPublicKeyRetrieval: boolean
  /** The `program_name` connection attribute. */
  readonly programName: string | undefined
  /** Extra connection attributes sent in the handshake. */
  readonly connectAttributes: Readonly<Record<string, string>>
  /** Extra capability bits asked for. */
  readonly clientFlag: number
  /** Whether several statements per query are allowed. */
  readonly multiStatements: boolean
  /** Whether commands are written before earlier ones have answered. */
  readonly pipelining: boolean
  /** Whether statements with arguments run as server-side prepared statements. */
  readonly prepare: boolean
  /** Prepared statements kept per connection (0 = none). */
  readonly preparedCacheSize: number
  /** The largest logical packet accepted from the server, in bytes. */
  readonly maxAllowedPacket: number
  /** Whether the compressed protocol is asked for. */
  readonly compress: boolean
  /** The validated type options (how column values are decoded). */
  readonly types: ResolvedTypeOptions
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'any'

/** Every accepted option and how a URL query value is converted to it. */
const OPTION_KINDS: Readonly<Record<keyof ConnectionOptions, Kind>> = {
  host: 'string',
  port: 'number',
  hosts: 'object',
  loadBalance: 'string',
  healthCheck: 'any',
  healthCheckIntervalMs: 'number',
  hostDownMs: 'number',
  causalReads: 'boolean',
  user: 'string',
  password: 'any',
  db: 'string',
  database: 'string',
  unixSocket: 'string',
  charset: 'string',
  collation: 'string',
  sqlMode: 'string',
  initCommand: 'string',
  autocommit: 'boolean',
  cursorClass: 'object',
  connectTimeoutMs: 'number',
  echo: 'boolean',
  localInfile: 'any',
  ssl: 'any',
  sslMode: 'string',
  authPlugin: 'string',
  authPlugins: 'object',
  serverPublicKey: 'any',
  allowPublicKeyRetrieval: 'boolean',
  programName: 'string',
  connectAttributes: 'object',
  readDefaultFile: 'string',
  readDefaultGroup: 'string',
  clientFlag: 'number',
  multiStatements: 'boolean',
  pipelining: 'boolean',
  prepare: 'boolean',
  preparedCacheSize: 'number',
  maxAllowedPacket: 'number',
  maxPacketSize: 'number',
  compress: 'boolean',
  timezone: 'string',
  dateStrings: 'boolean',
  decimalNumbers: 'boolean',
  bigIntMode: 'string',
  jsonParse: 'boolean',
  castColumn: 'object',
}

export const SSL_MODES: readonly SslMode[] = [
  'disabled',
  'preferred',
  'required',
  'verify-ca',
  'verify-identity',
]

/** Options that another layer (Pool) adds on top; `resolveConfig` ignores these names. */
export function isConnectionOption(name: string): name is keyof ConnectionOptions {
  return Object.hasOwn(OPTION_KINDS, name)
}

/** Parse `mysql://user:pass@host:port/db?option=value` into options (values converted by kind). */
export function parseUrl(url: string): ConnectionOptions {
  const multi = splitMultiHostUrl(url)
  let u: URL
  try {
    u = new URL(multi.url)
  } catch {
    throw new ProgrammingError('invalid connection URL')
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new ProgrammingError(`connection URL must start with mysql://, got ${u.protocol}//`)
  }
  const out: Record<string, unknown> = {}
  if (multi.hosts !== undefined) out['hosts'] = multi.hosts
  else if (u.hostname !== '') out['host'] = u.hostname.replace(/^\[(.*)\]$/, '$1')
  if (u.port !== '' && multi.hosts === undefined) out['port'] = Number(u.port)
  if (u.username !== '') out['user'] = decodeURIComponent(u.username)
  if (u.password !== '') out['password'] = decodeURIComponent(u.password)
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (db !== '') out['db'] = db
  for (const [key, raw] of u.searchParams) {
    if (!isConnectionOption(key))
      throw new ProgrammingError(`unknown connection option in URL: ${JSON.stringify(key)}`)
    const kind = key === 'localInfile' ? 'boolean' : OPTION_KINDS[key]
    if (kind === 'number') {
      const n = Number(raw)
      if (raw === '' || !Number.isFinite(n)) throw new ProgrammingError(`URL option ${key} must be a number`)
      out[key] = n
    } else if (kind === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(raw))
        throw new ProgrammingError(`URL option ${key} must be true or false`)
      out[key] = raw === 'true' || raw === '1'
    } else if (kind === 'string' || kind === 'any') {
      out[key] = raw
    } else {
      throw new ProgrammingError(`option ${key} cannot be given in a URL`)
    }
  }
  return out as ConnectionOptions
}

/** A class whose instances are cursors (checked by shape: config.ts cannot import the Cursor class). */
function isCursorClass(value: unknown): boolean {
  if (typeof value !== 'function') return false
  const proto: unknown = (value as { prototype?: unknown }).prototype
  return (
    typeof proto === 'object' &&
    proto !== null &&
    typeof (proto as { execute?: unknown }).execute === 'function' &&
    typeof (proto as { fetchAll?: unknown }).fetchAll === 'function'
  )
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new ProgrammingError(message)
}

/** Merge URL and explicit options (explicit win), validate, apply defaults. */
export function resolveConfig(input: ConnectionOptions | string, url?: string): ResolvedConfig {
  const explicit: ConnectionOptions = typeof input === 'string' ? {} : input
  const fromUrl = typeof input === 'string' ? parseUrl(input) : url !== undefined ? parseUrl(url) : {}
  const merged: ConnectionOptions = { ...fromUrl }
  // Explicit options win over the URL's: explicit `hosts` replace the URL's host and port, an
  // explicit `host` the URL's host list.
  if (explicit.hosts !== undefined) {
    delete merged.host
    delete merged.port
  }
  if (explicit.host !== undefined) delete merged.hosts
  for (const [k, v] of Object.entries(explicit)) {
    if (!isConnectionOption(k)) throw new ProgrammingError(`unknown connection option: ${JSON.stringify(k)}`)
    if (v !== undefined) (merged as Record<string, unknown>)[k] = v
  }
  if (merged.hosts !== undefined && (merged.host !== undefined || merged.port !== undefined)) {
    throw new ProgrammingError('options host/port and hosts cannot be given together')
  }
  if (merged.hosts !== undefined && merged.unixSocket !== undefined) {
    throw new ProgrammingError('options unixSocket and hosts cannot be given together')
  }
  // readDefaultFile: the option file fills only what the URL and explicit options left unset.
  const o = applyDefaultsFile(merged)
  for (const [k, v] of Object.entries(o)) {
    const kind = OPTION_KINDS[k as keyof ConnectionOptions]
    if (kind !== 'any' && kind !== 'object' && v !== undefined) {
      check(typeof v === kind, `option ${k} must be a ${kind}`)
    }
  }
  check(
    o.password === undefined || typeof o.password === 'string' || typeof o.password === 'function',
    'option password must be a string or a function returning one',
  )
  if (o.localInfile !== undefined) {
    check(
      typeof o.localInfile === 'boolean' || typeof o.localInfile === 'function',
      'option localInfile must be a boolean or a handler function',
    )
  }
  const port = o.port ?? 3306
  check(Number.isInteger(port) && port > 0 && port < 65536, 'option port must be an integer from 1 to 65535')
  const hosts =
    merged.hosts !== undefined ? parseHosts(o.hosts, 3306) : [{ host: o.host ?? 'localhost', port }]
  const loadBalance = o.loadBalance ?? 'failover'
  check(LOAD_BALANCE.includes(loadBalance), `option loadBalance must be one of ${LOAD_BALANCE.join(', ')}`)
  check(
    o.healthCheck === undefined ||
      o.healthCheck === 'ping' ||
      o.healthCheck === 'galera' ||
      typeof o.healthCheck === 'function',
    "option healthCheck must be 'ping', 'galera' or a function",
  )
  check(
    o.cursorClass === undefined || isCursorClass(o.cursorClass),
    'option cursorClass must be a cursor class',
  )
  const healthCheckIntervalMs = o.healthCheckIntervalMs ?? 5000
  check(healthCheckIntervalMs >= 0, 'option healthCheckIntervalMs must be ≥ 0')
  const hostDownMs = o.hostDownMs ?? 1000
  check(hostDownMs > 0, 'option hostDownMs must be positive')
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000
  check(connectTimeoutMs > 0, 'option connectTimeoutMs must be positive')
  const charset = (o.charset ?? 'utf8mb4').toLowerCase()
  const cs = charsetByName(charset)
  check(cs !== undefined, `unknown charset ${JSON.stringify(charset)}`)
  let collationId = cs!.defaultCollationId
  if (o.collation !== undefined) {
    const id = collationByName(o.collation)
    check(id !== undefined, `unknown collation ${JSON.stringify(o.collation)}`)
    collationId = id!
  }
  const sslMode: SslMode =
    o.sslMode ??
    (o.ssl === undefined || o.ssl === false ? 'preferred' : o.ssl === true ? 'required' : 'verify-identity')
  check(SSL_MODES.includes(sslMode), `option sslMode must be one of ${SSL_MODES.join(', ')}`)
  if (o.ssl !== undefined && o.ssl !== false)
    check(sslMode !== 'disabled', 'ssl was given but sslMode is disabled')
  if (
    o.maxAllowedPacket !== undefined &&
    o.maxPacketSize !== undefined &&
    o.maxAllowedPacket !== o.maxPacketSize
  )
    throw new ProgrammingError('options maxAllowedPacket and maxPacketSize (its old name) disagree')
  const maxAllowedPacket = o.maxAllowedPacket ?? o.maxPacketSize ?? 64 * 1024 * 1024
  check(
    Number.isInteger(maxAllowedPacket) && maxAllowedPacket >= 1024,
    'option maxAllowedPacket must be an integer ≥ 1024',
  )
  const preparedCacheSize = o.preparedCacheSize ?? 256
  check(
    Number.isSafeInteger(preparedCacheSize) && preparedCacheSize >= 0,
    'option preparedCacheSize must be an integer ≥ 0',
  )
  if (o.db !== undefined && o.database !== undefined && o.db !== o.database) {
    throw new ProgrammingError('options db and database disagree')
  }
  let types: ResolvedTypeOptions
  try {
    types = resolveTypeOptions(o)
  } catch (e) {
    throw new ProgrammingError(e instanceof Error ? e.message : String(e))
  }
  const config = {
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    hosts: Object.freeze(hosts),
    loadBalance,
    healthCheck: o.healthCheck,
    healthCheckIntervalMs,
    hostDownMs,
    causalReads: o.causalReads ?? false,
    user: o.user ?? '',
    db: o.db ?? o.database,
    unixSocket: o.unixSocket,
    charset,
    collation: o.collation,
    collationId,
    sqlMode: o.sqlMode,
    initCommand: o.initCommand,
    autocommit: o.autocommit ?? false,
    cursorClass: o.cursorClass,
    connectTimeoutMs,
    echo: o.echo ?? false,
    localInfile: o.localInfile ?? false,
    ssl: typeof o.ssl === 'object' ? o.ssl : {},
    sslMode,
    authPlugin: o.authPlugin,
    authPlugins: o.authPlugins ?? {},
    serverPublicKey: o.serverPublicKey,
    allowPublicKeyRetrieval: o.allowPublicKeyRetrieval ?? false,
    programName: o.programName,
    connectAttributes: o.connectAttributes ?? {},
    clientFlag: o.clientFlag ?? 0,
    multiStatements: o.multiStatements ?? false,
    pipelining: o.pipelining ?? true,
    prepare: o.prepare ?? false,
    preparedCacheSize,
    maxAllowedPacket,
    compress: o.compress ?? false,
    types,
  }
  return sealConfig(config, o.password ?? '')
}

/** Freeze a config with its password as a hidden property (not in JSON, logs or inspect). */
function sealConfig(
  config: Omit<ResolvedConfig, 'password'>,
  password: string | PasswordProvider,
): ResolvedConfig {
  Object.defineProperty(config, 'password', { value: password, enumerable: false })
  Object.defineProperty(config, inspect.custom, {
    value: () =>
      `ResolvedConfig { host: ${JSON.stringify(config.host)}, user: ${JSON.stringify(config.user)}, password: '***' }`,
    enumerable: false,
  })
  return Object.freeze(config) as ResolvedConfig
}

/** The same config aimed at one of its hosts. */
export function withHost(config: ResolvedConfig, address: HostAddress): ResolvedConfig {
  if (config.host === address.host && config.port === address.port) return config
  return sealConfig({ ...config, host: address.host, port: address.port }, config.password)
}
