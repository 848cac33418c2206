// Pool options: the pool's own keys split off from the connection options (object or URL query),
// validated into PoolSettings. The connection part is left to resolveConfig, which rejects
// anything unknown, so a misspelt pool option is still an error.

import { resolveConfig, type ConnectionOptions, type ResolvedConfig } from '../config.ts'
import { ProgrammingError } from '../errors.ts'

/** The pool's own options; every duration is in milliseconds and `undefined` means off. */
export interface PoolSettings {
  /** Connections opened at creation and kept open (default 1). */
  minSize?: number
  /** Upper bound on open connections, counting those being opened (default 10). */
  maxSize?: number
  /** aiomysql's pool_recycle: on acquire, a free connection unused for longer is closed and replaced. */
  poolRecycleMs?: number
  /** How long acquire() waits before rejecting with an OperationalError (code POOL_ACQUIRE_TIMEOUT). */
  acquireTimeoutMs?: number
  /** Free connections above minSize are closed after being idle this long. */
  idleTimeoutMs?: number
  /** A connection older than this is closed the next time it is idle (never while in use). */
  maxLifetimeMs?: number
  /** Send COM_RESET_CONNECTION on release and re-apply the session options before reuse. */
  resetOnRelease?: boolean
  /**
   * When no connection is free, `pool.query()` calls share a busy connection lent to other
   * `pool.query()` calls, up to this many unanswered commands on it (pipelined; SPEC §10). Default 4;
   * 1 turns sharing off. Connections from acquire() and transaction() are never shared.
   */
  pipelineDepth?: number
}

export interface PoolOptions extends ConnectionOptions, PoolSettings {}

export interface ResolvedPoolSettings {
  readonly minSize: number
  readonly maxSize: number
  readonly poolRecycleMs: number | undefined
  readonly acquireTimeoutMs: number | undefined
  readonly idleTimeoutMs: number | undefined
  readonly maxLifetimeMs: number | undefined
  readonly resetOnRelease: boolean
  readonly pipelineDepth: number
}

const POOL_KEYS: Readonly<Record<keyof PoolSettings, 'number' | 'boolean'>> = {
  minSize: 'number',
  maxSize: 'number',
  poolRecycleMs: 'number',
  acquireTimeoutMs: 'number',
  idleTimeoutMs: 'number',
  maxLifetimeMs: 'number',
  resetOnRelease: 'boolean',
  pipelineDepth: 'number',
}

function isPoolKey(key: string): key is keyof PoolSettings {
  return Object.hasOwn(POOL_KEYS, key)
}

/** Separate the pool's keys from the connection's (unknown keys stay with the connection part). */
export function splitPoolOptions(options: PoolOptions): {
  pool: PoolSettings
  connection: ConnectionOptions
} {
  const pool: Record<string, unknown> = {}
  const connection: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options)) {
    if (isPoolKey(k)) pool[k] = v
    else connection[k] = v
  }
  return { pool: pool as PoolSettings, connection: connection as ConnectionOptions }
}

/**
 * Take pool keys out of a URL's query (`?minSize=2&maxSize=5`), converted by kind. The rest of the
 * URL goes to resolveConfig untouched: it is rebuilt only when a pool key was present.
 */
export function splitPoolUrl(url: string): { url: string; pool: PoolSettings } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return { url, pool: {} } // resolveConfig reports the bad URL in its own words
  }
  const pool: Record<string, unknown> = {}
  for (const key of Object.keys(POOL_KEYS)) {
    const raw = u.searchParams.get(key)
    if (raw === null || !isPoolKey(key)) continue
    u.searchParams.delete(key)
    if (POOL_KEYS[key] === 'number') {
      const n = Number(raw)
      if (raw === '' || !Number.isFinite(n)) throw new ProgrammingError(`URL option ${key} must be a number`)
      pool[key] = n
    } else {
      if (!['true', 'false', '1', '0'].includes(raw))
        throw new ProgrammingError(`URL option ${key} must be true or false`)
      pool[key] = raw === 'true' || raw === '1'
    }
  }
  return Object.keys(pool).length === 0
    ? { url, pool: {} }
    : { url: u.toString(), pool: pool as PoolSettings }
}

function duration(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ProgrammingError(`option ${name} must be a positive number of milliseconds`)
  }
  return value
}

/** Defaults and validation (ProgrammingError) for the pool's own options. */
export function resolvePoolSettings(s: PoolSettings): ResolvedPoolSettings {
  for (const [k, v] of Object.entries(s)) {
    if (!isPoolKey(k)) throw new ProgrammingError(`unknown pool option: ${JSON.stringify(k)}`)
    if (v !== undefined && typeof v !== POOL_KEYS[k])
      throw new ProgrammingError(`option ${k} must be a ${POOL_KEYS[k]}`)
  }
  const minSize = s.minSize ?? 1
  const maxSize = s.maxSize ?? 10
  if (!Number.isSafeInteger(minSize) || minSize < 0) {
    throw new ProgrammingError('option minSize must be an integer ≥ 0')
  }
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) {
    throw new ProgrammingError('option maxSize must be an integer ≥ 1')
  }
  const pipelineDepth = s.pipelineDepth ?? 4
  if (!Number.isSafeInteger(pipelineDepth) || pipelineDepth < 1) {
    throw new ProgrammingError('option pipelineDepth must be an integer ≥ 1')
  }
  if (minSize > maxSize)
    throw new ProgrammingError(`minSize (${minSize}) must not exceed maxSize (${maxSize})`)
  return Object.freeze({
    minSize,
    maxSize,
    poolRecycleMs: duration('poolRecycleMs', s.poolRecycleMs),
    acquireTimeoutMs: duration('acquireTimeoutMs', s.acquireTimeoutMs),
    idleTimeoutMs: duration('idleTimeoutMs', s.idleTimeoutMs),
    maxLifetimeMs: duration('maxLifetimeMs', s.maxLifetimeMs),
    resetOnRelease: s.resetOnRelease ?? false,
    pipelineDepth,
  })
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * createPool's arguments → the connection config and the pool's settings. A URL may carry pool keys
 * in its query; explicit options win over the URL's, and `overrides` over `options`.
 */
export function resolvePoolArgs(
  options: PoolOptions | string,
  overrides: PoolOptions | undefined,
): { config: ResolvedConfig; settings: PoolSettings } {
  if (typeof options === 'string') {
    const explicit = splitPoolOptions(overrides ?? {})
    const fromUrl = splitPoolUrl(options)
    return {
      config: resolveConfig(explicit.connection, fromUrl.url),
      settings: { ...fromUrl.pool, ...withoutUndefined(explicit.pool) },
    }
  }
  const explicit = splitPoolOptions({ ...options, ...withoutUndefined(overrides ?? {}) })
  return { config: resolveConfig(explicit.connection), settings: explicit.pool }
}
