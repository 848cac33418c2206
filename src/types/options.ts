// Options that change how values read from the server become JavaScript values (SPEC §5).
// They are validated once, when a connection is configured, so the per-column decoders can read the
// resolved record without re-checking anything per value.

import type { CastColumn } from './cast.ts'
import { parseTimezone } from './temporal.ts'

/**
 * How values read from the server become JavaScript values (SPEC §5); part of ConnectionOptions and
 * PoolOptions, validated once when the connection is configured.
 */
export interface TypeOptions {
  /** 'local' | 'Z' | '±hh:mm' — timezone of DATETIME/TIMESTAMP/DATE values (default 'local') */
  timezone?: string
  /** temporal values as the server's strings (default false) */
  dateStrings?: boolean
  /** DECIMAL as number instead of exact string (default false) */
  decimalNumbers?: boolean
  /** BIGINT: 'auto' (number when safe, else bigint — default), 'bigint' (always), 'string' */
  bigIntMode?: 'auto' | 'bigint' | 'string'
  /** parse JSON columns (default true); false gives the JSON text */
  jsonParse?: boolean
  /**
   * A per-column conversion hook, called once per column when a result's definitions arrive (not
   * per value): return a converter for that column's values, or undefined to keep them as they are.
   * E.g. TINYINT(1) as boolean: `(c) => c.type === ColumnType.MYSQL_TYPE_TINY && c.columnLength === 1
   * ? (v) => v === 1 : undefined`. NULL stays null and never reaches a converter. A hook or converter
   * that throws fails the statement and closes the connection (the rest of the result cannot be read).
   * It sees every result on the connection, also the few the library reads itself (the server's
   * max_allowed_packet at connect, Galera health checks): return undefined for columns you don't know.
   */
  castColumn?: CastColumn
}

/**
 * The type options after validation and defaults (`ResolvedConfig.types`).
 * @inline
 */
export interface ResolvedTypeOptions {
  /** Minutes east of UTC, or null for the process's local time. */
  readonly tzOffset: number | null
  /** Temporal values as the server's strings. */
  readonly dateStrings: boolean
  /** DECIMAL as number instead of exact string. */
  readonly decimalNumbers: boolean
  /** How BIGINT values are given. */
  readonly bigIntMode: 'auto' | 'bigint' | 'string'
  /** Whether JSON columns are parsed. */
  readonly jsonParse: boolean
  /** The castColumn hook, or null when none was given. */
  readonly castColumn: CastColumn | null
}

const BIGINT_MODES: readonly string[] = ['auto', 'bigint', 'string']

/**
 * Validate and normalise the type options. Keys other than the six above are ignored, because the
 * same object usually carries every connection option; the connection validates those.
 * Throws a TypeError naming the option and the value it got.
 */
export function resolveTypeOptions(o: TypeOptions = {}): ResolvedTypeOptions {
  // Checked at run time too: options often come from JavaScript callers, URLs or config files.
  if (typeof o !== 'object' || o === null)
    throw new TypeError(`type options must be an object, got ${describe(o)}`)
  const timezone: unknown = o.timezone ?? 'local'
  if (typeof timezone !== 'string')
    throw new TypeError(`timezone must be a string, got ${describe(timezone)}`)
  const bigIntMode: unknown = o.bigIntMode ?? 'auto'
  if (typeof bigIntMode !== 'string' || !BIGINT_MODES.includes(bigIntMode)) {
    throw new TypeError(`bigIntMode must be 'auto', 'bigint' or 'string', got ${describe(bigIntMode)}`)
  }
  if (o.castColumn !== undefined && typeof o.castColumn !== 'function')
    throw new TypeError(`castColumn must be a function, got ${describe(o.castColumn)}`)
  return Object.freeze({
    castColumn: o.castColumn ?? null,
    tzOffset: parseTimezone(timezone),
    dateStrings: flag('dateStrings', o.dateStrings, false),
    decimalNumbers: flag('decimalNumbers', o.decimalNumbers, false),
    bigIntMode: bigIntMode as ResolvedTypeOptions['bigIntMode'],
    jsonParse: flag('jsonParse', o.jsonParse, true),
  })
}

/** The defaults (local time, Dates, exact DECIMAL strings, safe BIGINTs as numbers, parsed JSON). */
export const DEFAULT_TYPE_OPTIONS: ResolvedTypeOptions = resolveTypeOptions({})

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`)
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}
