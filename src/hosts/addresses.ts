// Several equivalent servers (SPEC §12): the `hosts` option and the multi-host URL
// (`mysql://u:pw@db1,db2:3307,db3/app`) parsed into addresses, and the loadBalance names. Pure
// functions: which host is tried when lives in host-set.ts.

import { ProgrammingError } from '../errors.ts'

/** One server of several: `'db1'`, `'db2:3307'`, `'[::1]:3307'` or `{ host, port }`. */
export type HostSpec = string | { readonly host: string; readonly port?: number | undefined }

/** One server as a host and port, after parsing (`ResolvedConfig.hosts`). */
export interface HostAddress {
  /** Host name or IP address (without IPv6 brackets). */
  readonly host: string
  /** TCP port. */
  readonly port: number
}

/**
 * Which host a new connection goes to: `'failover'` (the first healthy host in the order given),
 * `'round-robin'`, `'random'`, or `'least-connections'` (the host the pool holds fewest to).
 */
export type LoadBalance = 'failover' | 'round-robin' | 'random' | 'least-connections'

export const LOAD_BALANCE: readonly LoadBalance[] = ['failover', 'round-robin', 'random', 'least-connections']

/** `host:port` as people write it (IPv6 in brackets). */
export function formatHost(a: HostAddress): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`
}

function checkPort(port: unknown, where: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port >= 65536) {
    throw new ProgrammingError(`${where}: port must be an integer from 1 to 65535`)
  }
  return port
}

/** `'db2:3307'`, `'db1'`, `'[::1]:3307'`, `'[::1]'` → address (the default port when none is written). */
function parseHostString(spec: string, defaultPort: number): HostAddress {
  const where = `hosts entry ${JSON.stringify(spec)}`
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(spec)
  if (m === null || m[1]!.trim() === '' || /\s/.test(spec)) {
    throw new ProgrammingError(`${where} must be "host" or "host:port"`)
  }
  return { host: m[1]!, port: m[2] === undefined ? defaultPort : checkPort(Number(m[2]), where) }
}

/** The `hosts` option → addresses; an empty list, a bad entry or a repeated address is an error. */
export function parseHosts(specs: unknown, defaultPort: number): HostAddress[] {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new ProgrammingError(
      'option hosts must be a non-empty array of "host", "host:port" or { host, port }',
    )
  }
  const out: HostAddress[] = []
  for (const spec of specs as unknown[]) {
    let a: HostAddress
    if (typeof spec === 'string') {
      a = parseHostString(spec, defaultPort)
    } else if (
      typeof spec === 'object' &&
      spec !== null &&
      typeof (spec as { host?: unknown }).host === 'string'
    ) {
      const { host, port } = spec as { host: string; port?: unknown }
      if (host === '') throw new ProgrammingError('hosts entry: host must not be empty')
      a = {
        host,
        port: port === undefined ? defaultPort : checkPort(port, `hosts entry ${JSON.stringify(host)}`),
      }
    } else {
      throw new ProgrammingError('option hosts: each entry must be "host", "host:port" or { host, port }')
    }
    if (out.some((b) => b.host === a.host && b.port === a.port)) {
      throw new ProgrammingError(`option hosts names ${formatHost(a)} twice`)
    }
    out.push(a)
  }
  return out
}

/**
 * A URL whose authority lists several hosts (`mysql://u:pw@db1,db2:3307/app`) → the URL with only
 * the first (so the WHATWG parser reads the rest as usual) and the list; a one-host URL unchanged.
 */
export function splitMultiHostUrl(url: string): { url: string; hosts: string[] | undefined } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url)
  if (m === null) return { url, hosts: undefined }
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string]
  const at = authority.lastIndexOf('@')
  const userinfo = at < 0 ? '' : authority.slice(0, at + 1)
  const list = authority.slice(at + 1)
  if (!list.includes(',')) return { url, hosts: undefined }
  const hosts = list.split(',')
  if (hosts.some((h) => h === '')) throw new ProgrammingError('connection URL: empty host in the host list')
  return { url: `${scheme}${userinfo}${hosts[0]!}${rest}`, hosts }
}
