// Health checks (SPEC §12) without a server: galeraRefusal for each Galera field (ready, local
// state, cluster status, desync, reject_queries) and the all-good case; checkHealth against a fake
// connection (just probe(sql) and ping(reconnect)): 'ping', a user function, the default that
// detects Galera from wsrep_on (a server without it answers 1193), and an explicit 'galera'.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Connection } from '../../src/connection.ts'
import { attachCore, type ConnectionCore } from '../../src/connection-core.ts'
import { OperationalError, ProgrammingError, type MySQLError } from '../../src/errors.ts'
import { checkHealth, galeraRefusal, type GaleraState, type HealthCheck } from '../../src/hosts/health.ts'

const SYNCED: GaleraState = {
  on: true,
  desync: false,
  rejectQueries: 'NONE',
  ready: 'ON',
  localState: '4',
  clusterStatus: 'Primary',
}

void test('galeraRefusal: a ready, Synced, Primary node that neither desyncs nor rejects is fine', () => {
  assert.equal(galeraRefusal(SYNCED), null)
  assert.equal(galeraRefusal({ ...SYNCED, ready: 'on', rejectQueries: 'none' }), null, 'case does not matter')
})

void test('galeraRefusal: each field alone refuses the node, and says which', () => {
  const cases: Array<[Partial<GaleraState>, RegExp]> = [
    [{ ready: 'OFF' }, /wsrep_ready=OFF/],
    [{ ready: '' }, /wsrep_ready=\?/],
    [{ localState: '2' }, /wsrep_local_state=2 \(not Synced\)/], // Donor/Desynced
    [{ localState: '1' }, /wsrep_local_state=1/], // Joining
    [{ localState: '3' }, /wsrep_local_state=3/], // Joined
    [{ clusterStatus: 'non-Primary' }, /wsrep_cluster_status=non-Primary/],
    [{ clusterStatus: 'Disconnected' }, /wsrep_cluster_status=Disconnected/],
    [{ desync: true }, /wsrep_desync=ON/],
    [{ rejectQueries: 'ALL' }, /wsrep_reject_queries=ALL$/],
    [{ rejectQueries: 'ALL_KILL' }, /wsrep_reject_queries=ALL_KILL/],
  ]
  for (const [change, why] of cases) {
    const refusal = galeraRefusal({ ...SYNCED, ...change })
    assert.ok(refusal !== null, JSON.stringify(change))
    assert.match(refusal, why)
  }
})

/**
 * A connection with only what checkHealth touches (ping, and its core's probe: the fake is its own
 * core); each SQL string maps to rows or an error.
 */
class FakeConn {
  readonly sql: string[] = []
  pings: boolean[] = []
  pingError: Error | null = null
  readonly answers: Array<[RegExp, unknown[][] | Error]>
  constructor(answers: Array<[RegExp, unknown[][] | Error]>) {
    this.answers = answers
    attachCore(this.conn, this as unknown as ConnectionCore)
  }

  probe(sql: string): Promise<unknown[][]> {
    this.sql.push(sql)
    const answer = this.answers.find(([re]) => re.test(sql))?.[1]
    if (answer === undefined) return Promise.reject(new Error(`unexpected probe: ${sql}`))
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
  }
  async ping(reconnect: boolean): Promise<void> {
    this.pings.push(reconnect)
    if (this.pingError !== null) throw this.pingError
  }
  get conn(): Connection {
    return this as unknown as Connection
  }
}

const VARIABLES = /SELECT @@wsrep_on/
const STATUS = /SHOW GLOBAL STATUS/
const noWsrepVariable = (): MySQLError =>
  new ProgrammingError("Unknown system variable 'wsrep_on'", {
    errno: 1193,
    code: 'ER_UNKNOWN_SYSTEM_VARIABLE',
    sqlState: 'HY000',
  })
const statusRows = (ready = 'ON', state = '4', cluster = 'Primary'): unknown[][] => [
  ['wsrep_ready', ready],
  ['wsrep_local_state', state],
  ['wsrep_cluster_status', cluster],
]
const galeraNode = (variables: unknown[], status = statusRows()): FakeConn =>
  new FakeConn([
    [VARIABLES, [variables]],
    [STATUS, status],
  ])

/** checkHealth's rejection, checked to be HOST_UNHEALTHY naming the server. */
async function unhealthy(p: Promise<unknown>, why: RegExp): Promise<OperationalError> {
  let caught: unknown
  await assert.rejects(p, (e: unknown) => {
    caught = e
    return true
  })
  assert.ok(caught instanceof OperationalError, `expected an OperationalError, got ${String(caught)}`)
  assert.equal(caught.code, 'HOST_UNHEALTHY')
  assert.match(caught.message, /^db1:3306 failed its health check/)
  assert.match(caught.message, why)
  return caught
}

void test("'ping': nothing on a fresh connection (the handshake proved it), COM_PING later", async () => {
  const c = new FakeConn([])
  assert.equal(await checkHealth(c.conn, 'ping', 'db1:3306', true), 'ping')
  assert.deepEqual([c.pings, c.sql], [[], []])
  assert.equal(await checkHealth(c.conn, 'ping', 'db1:3306', false), 'ping')
  assert.deepEqual(c.pings, [false], 'one ping, never reconnecting')
  assert.deepEqual(c.sql, [])
  const lost = new OperationalError('lost', { errno: 2013, fatal: true })
  c.pingError = lost
  await assert.rejects(checkHealth(c.conn, 'ping', 'db1:3306', false), (e) => e === lost)
})

void test('a function: true passes; false or a throw is HOST_UNHEALTHY (the throw as its cause)', async () => {
  const c = new FakeConn([])
  const seen: Connection[] = []
  const ok: HealthCheck = async (conn) => {
    seen.push(conn)
    return true
  }
  assert.equal(await checkHealth(c.conn, ok, 'db1:3306', true), ok, 'the function is kept for later checks')
  assert.deepEqual(seen, [c.conn], 'called with the connection, also when fresh')
  const sync = (): boolean => true
  assert.equal(await checkHealth(c.conn, sync, 'db1:3306', false), sync, 'a synchronous function too')
  await unhealthy(
    checkHealth(c.conn, async () => false, 'db1:3306', true),
    /returned false/,
  )
  await unhealthy(
    checkHealth(c.conn, () => false, 'db1:3306', false),
    /returned false/,
  )
  const boom = new Error('replica lag 300 s')
  const e = await unhealthy(
    checkHealth(
      c.conn,
      async () => {
        throw boom
      },
      'db1:3306',
      true,
    ),
    /the healthCheck function failed/,
  )
  assert.equal(e.cause, boom)
  await unhealthy(
    checkHealth(c.conn, () => 1 as unknown as boolean, 'db1:3306', true),
    /returned false/,
  )
  assert.deepEqual(c.pings, [], 'a function replaces the ping')
})

void test('default: a server without Galera (SELECT @@wsrep_on fails with 1193) is checked by ping', async () => {
  const c = new FakeConn([
    [VARIABLES, noWsrepVariable()],
    [STATUS, new ProgrammingError('status refused', { errno: 1064 })],
  ])
  assert.equal(await checkHealth(c.conn, undefined, 'db1:3306', true), 'ping')
  assert.equal(c.sql.length, 2)
  assert.match(c.sql[0]!, /@@wsrep_on, @@wsrep_desync, @@wsrep_reject_queries/)
  assert.match(c.sql[1]!, /wsrep_ready.*wsrep_local_state.*wsrep_cluster_status/)
  // The status probe's failure was caught, not left unhandled (that would fail this file).
  await new Promise((resolve) => setImmediate(resolve))
})

void test('default: a fatal error while probing is not "no Galera": it is thrown', async () => {
  const lost = new OperationalError('lost', { errno: 2013, code: 'CR_SERVER_LOST', fatal: true })
  const c = new FakeConn([
    [VARIABLES, lost],
    [STATUS, lost],
  ])
  await assert.rejects(checkHealth(c.conn, undefined, 'db1:3306', true), (e) => e === lost)
})

void test('default and galera: any other refusal of the probe (1047 from a node rejecting queries) is HOST_UNHEALTHY', async () => {
  for (const check of [undefined, 'galera'] as const) {
    const notReady = new OperationalError('WSREP has not yet prepared node for application use', {
      errno: 1047,
      code: 'ER_UNKNOWN_COM_ERROR',
      sqlState: '08S01',
    })
    const c = new FakeConn([
      [VARIABLES, notReady],
      [STATUS, notReady],
    ])
    const e = await unhealthy(
      checkHealth(c.conn, check, 'db1:3306', true),
      /error 1047: WSREP has not yet prepared/,
    )
    assert.equal(e.cause, notReady)
  }
})

void test('default: wsrep_on 0 is no Galera (ping); wsrep_on ON and synced is Galera', async () => {
  assert.equal(await checkHealth(galeraNode([0, 0, 'NONE']).conn, undefined, 'db1:3306', true), 'ping')
  assert.equal(await checkHealth(galeraNode(['OFF', 0, 'NONE']).conn, undefined, 'db1:3306', true), 'ping')
  for (const on of [1, 1n, '1', 'ON']) {
    assert.equal(await checkHealth(galeraNode([on, 0, 'NONE']).conn, undefined, 'db1:3306', true), 'galera')
  }
  // Variable names as the server spells them, whatever the case.
  const upper = galeraNode(
    [1, 0, 'NONE'],
    [
      ['WSREP_READY', 'ON'],
      ['WSREP_LOCAL_STATE', 4],
      ['WSREP_CLUSTER_STATUS', 'Primary'],
    ],
  )
  assert.equal(await checkHealth(upper.conn, undefined, 'db1:3306', false), 'galera')
})

void test('default and galera: an unfit Galera node is HOST_UNHEALTHY with the reason', async () => {
  for (const check of [undefined, 'galera'] as const) {
    await unhealthy(
      checkHealth(galeraNode([1, 0, 'NONE'], statusRows('OFF')).conn, check, 'db1:3306', true),
      /wsrep_ready=OFF/,
    )
    await unhealthy(
      checkHealth(galeraNode([1, 0, 'NONE'], statusRows('ON', '2')).conn, check, 'db1:3306', true),
      /wsrep_local_state=2/,
    )
    await unhealthy(
      checkHealth(
        galeraNode([1, 0, 'NONE'], statusRows('ON', '4', 'non-Primary')).conn,
        check,
        'db1:3306',
        true,
      ),
      /non-Primary/,
    )
    await unhealthy(checkHealth(galeraNode([1, 1, 'NONE']).conn, check, 'db1:3306', true), /wsrep_desync=ON/)
    await unhealthy(
      checkHealth(galeraNode(['ON', 'OFF', 'ALL']).conn, check, 'db1:3306', true),
      /wsrep_reject_queries=ALL/,
    )
    await unhealthy(checkHealth(galeraNode([1, 0, 'ALL_KILL']).conn, check, 'db1:3306', true), /ALL_KILL/)
    await unhealthy(
      checkHealth(galeraNode([1, 0, 'NONE'], []).conn, check, 'db1:3306', true),
      /wsrep_ready=\?/,
    )
  }
})

void test("explicit 'galera' on a server without Galera is HOST_UNHEALTHY", async () => {
  const mysql = new FakeConn([
    [VARIABLES, noWsrepVariable()],
    [STATUS, []],
  ])
  await unhealthy(checkHealth(mysql.conn, 'galera', 'db1:3306', true), /not a Galera node/)
  await unhealthy(
    checkHealth(galeraNode([0, 0, 'NONE']).conn, 'galera', 'db1:3306', false),
    /not a Galera node/,
  )
  assert.equal(await checkHealth(galeraNode([1, 0, 'NONE']).conn, 'galera', 'db1:3306', false), 'galera')
  assert.deepEqual(mysql.pings, [], 'galera probes with queries, not ping')
})
