// What integration tests know about the server they run against. test/run.ts sets MYSQL_URL, and
// AIOMYSQL_TEST_HARNESS (JSON) when it started the throwaway server itself; tests that need root,
// TLS files or the extra accounts call requireHarness() and skip against a user-supplied server.
//
// Cluster tests (test/cluster/) read `cluster`: AIOMYSQL_TEST_CLUSTER (JSON), written by test/run.ts
// when it started the throwaway Galera cluster, or MYSQL_CLUSTER_URLS (comma-separated URLs of the
// user's own cluster, which wins when set). They call requireCluster(), or requireControlledCluster()
// when they kill and restart nodes (only possible on the cluster test/run.ts started).

import type { TestContext } from 'node:test'
import {
  clusterFromUrls,
  isControlled,
  type ClusterDescription,
  type ClusterNode,
  type ControlledCluster,
  type ControlledNode,
} from './galera.ts'
import type { ThrowawayServer } from './server.ts'

export type { ClusterDescription, ClusterNode, ControlledCluster, ControlledNode }

export interface Harness {
  socketPath: string
  tlsDir: string
  users: ThrowawayServer['users']
  /** Root over the unix socket: mysql://root@localhost/aiomysql_test?unixSocket=… */
  rootUrl: string
  port: number
}

/**
 * The Galera cluster for test/cluster/, or null when there is none (the run did not select cluster
 * tests). `cluster.controlled` is false for MYSQL_CLUSTER_URLS: its nodes have only name, host, port and url.
 */
export const cluster: ClusterDescription | null = readCluster()

/**
 * The server under test: MYSQL_URL, set by test/run.ts or by the user. A run of cluster tests only
 * starts no single server; then this is the cluster's first node.
 */
export const serverUrl: string = readServerUrl()

/** Details of the throwaway server, or null when MYSQL_URL points at the user's own server. */
export const harness: Harness | null = readHarness()

/** Returns the harness, or marks the test skipped (the caller should return) when there is none. */
export function requireHarness(t: TestContext): Harness | undefined {
  if (harness) return harness
  t.skip('needs the throwaway server')
  return undefined
}

/** Returns the cluster, or marks the test skipped (the caller should return) when there is none. */
export function requireCluster(t: TestContext): ClusterDescription | undefined {
  if (cluster) return cluster
  t.skip('needs a Galera cluster (test/run.ts starts one for test/cluster/, or set MYSQL_CLUSTER_URLS)')
  return undefined
}

/**
 * Returns the cluster when its nodes can be killed and restarted (test/run.ts started it), or marks the
 * test skipped (the caller should return).
 */
export function requireControlledCluster(t: TestContext): ControlledCluster | undefined {
  if (cluster && isControlled(cluster)) return cluster
  t.skip(
    cluster
      ? 'kills and restarts nodes: needs the cluster test/run.ts starts, not MYSQL_CLUSTER_URLS'
      : 'needs the Galera cluster test/run.ts starts for test/cluster/',
  )
  return undefined
}

function readServerUrl(): string {
  const url = process.env['MYSQL_URL'] || cluster?.nodes[0]?.url
  if (!url) {
    // Thrown at import so a file run by hand fails on its first line with the fix, not deep in a test.
    throw new Error(
      'MYSQL_URL is not set. Run integration tests with `npm test` (it starts a throwaway MariaDB), ' +
        'or set MYSQL_URL=mysql://user:password@host:port/database to use your own server.',
    )
  }
  return url
}

function readHarness(): Harness | null {
  const raw = process.env['AIOMYSQL_TEST_HARNESS']
  if (!raw) return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new Error('AIOMYSQL_TEST_HARNESS is not valid JSON', { cause: error })
  }
  if (!isHarness(value)) {
    throw new Error('AIOMYSQL_TEST_HARNESS does not have the shape test/run.ts writes; unset it.')
  }
  return value
}

function isHarness(value: unknown): value is Harness {
  if (!isRecord(value) || !isRecord(value['users'])) return false
  const { users } = value
  const isAccount = (account: unknown): boolean =>
    isRecord(account) && typeof account['user'] === 'string' && typeof account['password'] === 'string'
  return (
    typeof value['socketPath'] === 'string' &&
    typeof value['tlsDir'] === 'string' &&
    typeof value['rootUrl'] === 'string' &&
    typeof value['port'] === 'number' &&
    isAccount(users['native']) &&
    isAccount(users['ed25519']) &&
    isAccount(users['nopass'])
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function readCluster(): ClusterDescription | null {
  const urls = process.env['MYSQL_CLUSTER_URLS']
  if (urls) return clusterFromUrls(urls)
  const raw = process.env['AIOMYSQL_TEST_CLUSTER']
  if (!raw) return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new Error('AIOMYSQL_TEST_CLUSTER is not valid JSON', { cause: error })
  }
  if (!isClusterDescription(value)) {
    throw new Error('AIOMYSQL_TEST_CLUSTER does not have the shape test/run.ts writes; unset it.')
  }
  return value
}

function isClusterDescription(value: unknown): value is ClusterDescription {
  if (!isRecord(value) || !Array.isArray(value['nodes']) || value['nodes'].length === 0) return false
  const isNode = (node: unknown): boolean =>
    isRecord(node) &&
    typeof node['name'] === 'string' &&
    typeof node['host'] === 'string' &&
    typeof node['port'] === 'number' &&
    typeof node['url'] === 'string'
  return (
    typeof value['controlled'] === 'boolean' &&
    typeof value['database'] === 'string' &&
    typeof value['user'] === 'string' &&
    typeof value['password'] === 'string' &&
    value['nodes'].every(isNode) &&
    (!value['controlled'] || isControlled(value as unknown as ClusterDescription))
  )
}
