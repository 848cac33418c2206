// Smoke test of the Galera harness itself (test/support/galera.ts, started by test/run.ts): three Synced
// nodes with their own names, a write on node 1 read on node 3, and a node killed with SIGKILL that
// startNode brings back (by IST) with what was written while it was down.

import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect, type Connection } from '../../src/index.ts'
import { cluster, requireCluster, requireControlledCluster, type ClusterNode } from '../support/env.ts'
import {
  isControlled,
  killNode,
  nodePid,
  nodeStatus,
  restoreCluster,
  startNode,
  waitSynced,
  type NodeStatus,
} from '../support/galera.ts'

const table = `t_galera_harness_${process.pid}`

async function onNode<T>(node: ClusterNode, fn: (conn: Connection) => Promise<T>): Promise<T> {
  // aiomysql's default is autocommit off; these writes must commit on their own.
  const conn = await connect(node.url, { autocommit: true })
  try {
    return await fn(conn)
  } finally {
    await conn.ensureClosed()
  }
}

/** Polls `nodeStatus` until `cond` holds; bounded. */
async function statusUntil(
  node: ClusterNode,
  cond: (s: NodeStatus) => boolean,
  timeoutMs = 30_000,
): Promise<NodeStatus> {
  const deadline = Date.now() + timeoutMs
  let last: NodeStatus | string
  for (;;) {
    try {
      last = await nodeStatus(node)
      if (cond(last)) return last
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    if (Date.now() > deadline)
      throw new Error(`${node.name}: condition not reached; last ${JSON.stringify(last)}`)
    await sleep(200)
  }
}

after(async () => {
  if (!cluster) return
  // Leave the cluster whole for the next file even if a test failed halfway.
  if (isControlled(cluster)) await restoreCluster(cluster)
  await onNode(cluster.nodes[0]!, (conn) => conn.query(`DROP TABLE IF EXISTS ${table}`))
})

test('every node is Synced and Primary in a cluster of all of them, with its own wsrep_node_name', async (t) => {
  const c = requireCluster(t)
  if (!c) return
  await waitSynced(c, 30_000)
  const names: string[] = []
  for (const node of c.nodes) {
    assert.deepEqual(await nodeStatus(node), {
      state: 'Synced',
      clusterSize: c.nodes.length,
      ready: true,
      clusterStatus: 'Primary',
    })
    const rows = await onNode(node, (conn) =>
      conn.query<{ name: string; size: string }>(
        "SELECT @@wsrep_node_name AS name, VARIABLE_VALUE AS size FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'",
      ),
    )
    assert.equal(Number(rows[0]?.size), c.nodes.length)
    names.push(rows[0]!.name)
  }
  assert.equal(new Set(names).size, c.nodes.length, `node names ${names.join(', ')}`)
  if (c.controlled) assert.deepEqual(names, ['n1', 'n2', 'n3'])
})

test('a row written through node 1 is read through node 3 with wsrep_sync_wait=1', async (t) => {
  const c = requireCluster(t)
  if (!c) return
  const first = c.nodes[0]!
  const last = c.nodes[c.nodes.length - 1]!
  await onNode(first, async (conn) => {
    await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(64) NOT NULL)`)
    await conn.query(`INSERT INTO ${table} VALUES (1, 'written on ${first.name}')`)
  })
  const rows = await onNode(last, async (conn) => {
    await conn.query('SET SESSION wsrep_sync_wait = 1')
    return conn.query<{ id: number; v: string }>(`SELECT id, v FROM ${table} ORDER BY id`)
  })
  assert.deepEqual(rows, [{ id: 1, v: `written on ${first.name}` }])
})

test('a node killed with SIGKILL rejoins through startNode and catches up by IST', async (t) => {
  const c = requireControlledCluster(t)
  if (!c) return
  const [n1, n2, n3] = [c.nodes[0]!, c.nodes[1]!, c.nodes[2]!]
  const oldPid = nodePid(n2)
  assert.ok(oldPid, `${n2.name} has a live pid in ${n2.pidFile}`)

  const killed = await killNode(n2, 'SIGKILL')
  assert.equal(killed, oldPid)
  assert.equal(nodePid(n2), undefined)
  // The survivors evict it after evs.suspect_timeout (2 s) and keep quorum (2 of 3).
  for (const node of [n1, n3]) {
    await statusUntil(
      node,
      (s) => s.clusterSize === 2 && s.state === 'Synced' && s.clusterStatus === 'Primary',
    )
  }
  await onNode(n1, (conn) =>
    conn.query(`INSERT INTO ${table} VALUES (2, 'written while ${n2.name} was down')`),
  )

  const logBefore = (await stat(n2.errorLog)).size
  const started = Date.now()
  await startNode(n2)
  t.diagnostic(`${n2.name} Synced again ${((Date.now() - started) / 1000).toFixed(1)} s after startNode`)
  const newPid = nodePid(n2)
  assert.ok(newPid !== undefined && newPid !== oldPid, `new pid ${newPid}, old ${oldPid}`)
  await waitSynced(c, 30_000)

  const rows = await onNode(n2, async (conn) => {
    await conn.query('SET SESSION wsrep_sync_wait = 1')
    return conn.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)
  })
  assert.deepEqual(
    rows.map((row) => row.id),
    [1, 2],
  )
  // IST, not a full SST: startNode passed the position `mariadbd --wsrep-recover` found.
  const rejoinLog = (await readFile(n2.errorLog)).subarray(logBefore).toString('utf8')
  assert.match(rejoinLog, /rsync IST completed on joiner/)
  assert.doesNotMatch(rejoinLog, /rsync SST completed on joiner/)
})
