// What integration tests know about the server they run against. test/run.ts sets MYSQL_URL, and
// AIOMYSQL_TEST_HARNESS (JSON) when it started the throwaway server itself; tests that need root,
// TLS files or the extra accounts call requireHarness() and skip against a user-supplied server.

import type { TestContext } from 'node:test'
import type { ThrowawayServer } from './server.ts'

export interface Harness {
  socketPath: string
  tlsDir: string
  users: ThrowawayServer['users']
  /** Root over the unix socket: mysql://root@localhost/aiomysql_test?unixSocket=… */
  rootUrl: string
  port: number
}

/** The server under test: MYSQL_URL, set by test/run.ts or by the user. */
export const serverUrl: string = readServerUrl()

/** Details of the throwaway server, or null when MYSQL_URL points at the user's own server. */
export const harness: Harness | null = readHarness()

/** Returns the harness, or marks the test skipped (the caller should return) when there is none. */
export function requireHarness(t: TestContext): Harness | undefined {
  if (harness) return harness
  t.skip('needs the throwaway server')
  return undefined
}

function readServerUrl(): string {
  const url = process.env['MYSQL_URL']
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
