// Opening a connection when there are several servers (SPEC §12): try the hosts in the order the
// HostSet gives, health-check each new connection, mark hosts down and up as they fail and succeed;
// when every host fails, one error names each host and its last error.

import { withHost, type ResolvedConfig } from '../config.ts'
import type { Connection } from '../connection.ts'
import { InterfaceError, MySQLError, OperationalError } from '../errors.ts'
import { checkHealth, type ResolvedCheck } from './health.ts'
import type { HostSet, HostState } from './host-set.ts'

/** How a connection is opened to one server (the pool's is injectable for tests). */
export type OpenConnection = (config: ResolvedConfig) => Promise<Connection>

export interface Opened {
  readonly conn: Connection
  readonly host: HostState
  /** What the connection is checked with later; undefined when health checks are off. */
  readonly check: ResolvedCheck | undefined
}

/** Errors are recorded as MySQLErrors; anything else (a bug in a user callback) is wrapped. */
export function asMySQLError(e: unknown): MySQLError {
  return e instanceof MySQLError ? e : new InterfaceError(String(e), { cause: e })
}

/** Open on one host: connect, then (when `checked`) the health check, which closes a failing connection. */
export async function openOn(
  config: ResolvedConfig,
  host: HostState,
  open: OpenConnection,
  checked: boolean,
): Promise<Opened> {
  let conn: Connection
  host.opening++
  try {
    conn = await open(withHost(config, host.address))
  } finally {
    host.opening--
  }
  if (!checked) return { conn, host, check: undefined }
  try {
    return { conn, host, check: await checkHealth(conn, config.healthCheck, host.name, true) }
  } catch (e) {
    conn.close()
    throw e
  }
}

export interface OpenOnHostsOptions {
  /** Health-check each new connection. */
  readonly checked: boolean
  /** Connections held per host (least-connections). */
  readonly openCount?: (h: HostState) => number
  /** Called after a host was marked down (the pool closes its free connections there). */
  readonly onDown?: (h: HostState) => void
}

/**
 * A connection on the first host that opens and passes its check, in the set's order; a host that
 * fails is marked down and the next is tried, so each is tried at most once. With one host its error
 * is thrown as is; with several, an OperationalError (2003) naming every host and its last error.
 */
export async function openOnHosts(
  config: ResolvedConfig,
  hosts: HostSet,
  open: OpenConnection,
  options: OpenOnHostsOptions,
): Promise<Opened> {
  const tried = new Set<HostState>()
  let last: unknown
  for (;;) {
    const host = hosts.order(options.openCount).find((h) => !tried.has(h))
    if (host === undefined) break
    tried.add(host)
    try {
      const opened = await openOn(config, host, open, options.checked)
      hosts.markUp(host)
      return opened
    } catch (e) {
      last = e
      hosts.markDown(host, asMySQLError(e), Date.now())
      options.onDown?.(host)
    }
  }
  if (hosts.hosts.length === 1) throw last
  const each = hosts.hosts.map((h) => `${h.name} (${h.lastError?.message ?? 'not tried'})`)
  throw new OperationalError(`Could not open a connection on any host: ${each.join('; ')}`, {
    errno: 2003,
    code: 'CR_CONN_HOST_ERROR',
    sqlState: '08001',
    cause: last,
  })
}
