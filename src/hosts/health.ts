// Is this server fit to serve (SPEC §12)? 'ping', 'galera' or the user's function. A Galera node cut
// off from its cluster still answers ping and SELECT 1 but refuses every table access with 1047, and a
// node told to reject queries still says ready and Synced — so 'galera' asks for all of it. Checked
// when a pooled connection opens and before lending one idle longer than healthCheckIntervalMs.

import type { Connection } from '../connection.ts'
import { coreOf } from '../connection-core.ts'
import { MySQLError, OperationalError } from '../errors.ts'

/** How a pool (or connect with `hosts`) decides a server is fit; see SPEC §12. */
export type HealthCheck = 'ping' | 'galera' | ((conn: Connection) => boolean | Promise<boolean>)

const GALERA_VARIABLES = 'SELECT @@wsrep_on, @@wsrep_desync, @@wsrep_reject_queries'
const GALERA_STATUS =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state', 'wsrep_cluster_status')"

/** What Galera reports about a node, as read by galeraProbe. */
export interface GaleraState {
  readonly on: boolean
  readonly desync: boolean
  readonly rejectQueries: string
  readonly ready: string
  readonly localState: string
  readonly clusterStatus: string
}

/** Why a Galera node must not be used, or null when it may (Synced, Primary, ready, not desynced or rejecting). */
export function galeraRefusal(s: GaleraState): string | null {
  if (s.ready.toUpperCase() !== 'ON') return `wsrep_ready=${s.ready || '?'}`
  if (s.localState !== '4') return `wsrep_local_state=${s.localState || '?'} (not Synced)`
  if (s.clusterStatus !== 'Primary') return `wsrep_cluster_status=${s.clusterStatus || '?'}`
  if (s.desync) return 'wsrep_desync=ON'
  if (s.rejectQueries.toUpperCase() !== 'NONE') return `wsrep_reject_queries=${s.rejectQueries}`
  return null
}

function truthy(v: unknown): boolean {
  return v === 1 || v === 1n || v === '1' || (typeof v === 'string' && v.toUpperCase() === 'ON')
}

/** Read the node's Galera state (two statements, pipelined); undefined when the server has no Galera. */
async function galeraProbe(conn: Connection): Promise<GaleraState | undefined> {
  const core = coreOf(conn)
  const variables = core.probe(GALERA_VARIABLES)
  const status = core.probe(GALERA_STATUS)
  let row: unknown[]
  try {
    row = (await variables)[0] ?? []
  } catch (e) {
    status.catch(() => {})
    // 1193 unknown system variable: a server built without Galera (MySQL). Anything else — 1047
    // from a node rejecting queries — is the node's answer, and fails the check.
    if (e instanceof MySQLError && e.errno === 1193) return undefined
    throw e
  }
  const values = new Map<string, string>()
  for (const [name, value] of await status) values.set(String(name).toLowerCase(), String(value))
  if (!truthy(row[0])) return undefined
  return {
    on: true,
    desync: truthy(row[1]),
    rejectQueries: typeof row[2] === 'string' ? row[2] : '',
    ready: values.get('wsrep_ready') ?? '',
    localState: values.get('wsrep_local_state') ?? '',
    clusterStatus: values.get('wsrep_cluster_status') ?? '',
  }
}

function unhealthy(server: string, why: string, cause?: unknown): OperationalError {
  return new OperationalError(`${server} failed its health check: ${why}`, {
    code: 'HOST_UNHEALTHY',
    sqlState: '08S01',
    cause,
  })
}

/** What a connection is checked with after it opened: the configured check, or what 'auto' found. */
export type ResolvedCheck = 'ping' | 'galera' | Exclude<HealthCheck, string>

/**
 * Check a connection; throws OperationalError HOST_UNHEALTHY when it is unfit. `check` undefined is
 * the default: 'galera' when the server reports wsrep_on, else 'ping'. `fresh` (just opened) skips
 * the ping, which the handshake has just proven. Resolves with the check to use from now on.
 */
export async function checkHealth(
  conn: Connection,
  check: HealthCheck | undefined,
  server: string,
  fresh: boolean,
): Promise<ResolvedCheck> {
  if (check === 'ping') {
    if (!fresh) await conn.ping(false)
    return check
  }
  if (typeof check === 'function') {
    let ok: boolean
    try {
      ok = await check(conn)
    } catch (e) {
      throw unhealthy(server, 'the healthCheck function failed', e)
    }
    if (ok !== true) throw unhealthy(server, 'the healthCheck function returned false')
    return check
  }
  let state: GaleraState | undefined
  try {
    state = await galeraProbe(conn)
  } catch (e) {
    // A refusal (1047 while rejecting queries) is an answer; a lost connection stays what it is.
    if (e instanceof MySQLError && !e.fatal) throw unhealthy(server, `error ${e.errno}: ${e.message}`, e)
    throw e
  }
  if (state === undefined) {
    if (check === 'galera') throw unhealthy(server, 'the server is not a Galera node (wsrep_on is off)')
    return 'ping'
  }
  const refusal = galeraRefusal(state)
  if (refusal !== null) throw unhealthy(server, refusal)
  return 'galera'
}
