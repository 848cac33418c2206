// Several servers on a real 3-node Galera cluster (SPEC §12, issue 11's "what must be shown"):
// round-robin and failover placement, a node killed under load, a node cut off from its cluster
// (answers ping, refuses tables), a node told to reject queries, certification conflicts retried
// without double apply, and read-your-writes with and without causalReads. Every wait is bounded;
// every node a test breaks is healed (and waited Synced) before the next test.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  connect,
  createPool,
  MySQLError,
  type Connection,
  type Pool,
  type PoolOptions,
} from '../../src/index.ts'
import { requireCluster, requireControlledCluster } from '../support/env.ts'
import {
  killNode,
  nodeStatus,
  startNode,
  waitSynced,
  type ClusterDescription,
  type ClusterNode,
} from '../support/galera.ts'

/** Short backoff and check interval, so each scenario settles in seconds. */
function poolOptions(c: ClusterDescription, extra: PoolOptions = {}): PoolOptions {
  return {
    hosts: c.nodes.map((n) => `${n.host}:${n.port}`),
    user: c.user,
    password: c.password,
    db: c.database,
    hostDownMs: 500,
    healthCheckIntervalMs: 1000,
    connectTimeoutMs: 3000,
    autocommit: true,
    ...extra,
  }
}

/** Poll `probe` every 50 ms until it is true; false after `ms`. */
async function eventually(ms: number, probe: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await probe()) return true
    await sleep(50)
  }
  return probe()
}

interface Sample {
  at: number
  node: string | null
  error: MySQLError | null
}

/**
 * `workers` loops of pool.query(sql) until stop(); each result's `n` column (the node name) or
 * error is recorded with its time.
 */
function steadyLoad(pool: Pool, sql: string, workers = 4): { samples: Sample[]; stop: () => Promise<void> } {
  const samples: Sample[] = []
  let running = true
  const loops = Array.from({ length: workers }, async () => {
    // Bounded: stop() ends it, and the test's own deadline stops the process.
    while (running) {
      try {
        const [row] = await pool.query<{ n: string }>(sql)
        samples.push({ at: Date.now(), node: row?.n ?? null, error: null })
      } catch (e) {
        assert.ok(e instanceof MySQLError, `a MySQLError, got ${String(e)}`)
        samples.push({ at: Date.now(), node: null, error: e })
        await sleep(5)
      }
    }
  })
  return {
    samples,
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

async function withConn<T>(node: ClusterNode, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await connect(node.url, { autocommit: true })
  try {
    return await fn(conn)
  } finally {
    conn.close()
  }
}

async function closePool(pool: Pool): Promise<void> {
  pool.close()
  await Promise.race([pool.waitClosed(), sleep(5000).then(() => pool.terminate())])
}

void test('round-robin spreads connections over the three nodes; failover takes the first healthy node', async (t) => {
  const c = requireCluster(t)
  if (c === undefined) return
  const names = c.nodes.map((n) => n.name)
  const rr = await createPool(poolOptions(c, { loadBalance: 'round-robin', minSize: 6, maxSize: 6 }))
  try {
    const conns = await Promise.all(Array.from({ length: 6 }, () => rr.acquire()))
    const seen = await Promise.all(
      conns.map(async (conn) => (await conn.query<{ n: string }>('SELECT @@wsrep_node_name AS n'))[0]!.n),
    )
    for (const conn of conns) rr.release(conn)
    for (const name of names)
      assert.equal(seen.filter((n) => n === name).length, 2, `two on ${name}: ${seen}`)
    assert.deepEqual(
      rr.status().hosts.map((h) => [h.state, h.open]),
      [
        ['up', 2],
        ['up', 2],
        ['up', 2],
      ],
    )
  } finally {
    await closePool(rr)
  }
  // Failover, with an address nobody listens on first: everything lands on the first healthy node.
  const dead = { host: '127.0.0.1', port: 1 }
  const fo = await createPool({
    ...poolOptions(c, { minSize: 3, maxSize: 3 }),
    hosts: [dead, ...c.nodes.slice(1).map((n) => ({ host: n.host, port: n.port }))],
  })
  try {
    const conns = await Promise.all(Array.from({ length: 3 }, () => fo.acquire()))
    for (const conn of conns) {
      assert.equal((await conn.query<{ n: string }>('SELECT @@wsrep_node_name AS n'))[0]!.n, names[1])
      fo.release(conn)
    }
    const [first] = fo.status().hosts
    assert.equal(first!.state, 'down')
    assert.ok(first!.lastError instanceof MySQLError)
    assert.ok(first!.retryAt instanceof Date)
  } finally {
    await closePool(fo)
  }
  // connect() with hosts: the first healthy one, checked like a pool's.
  const conn = await connect({
    ...poolOptions(c),
    hosts: [dead, { host: c.nodes[2]!.host, port: c.nodes[2]!.port }],
  })
  try {
    assert.equal((await conn.query<{ n: string }>('SELECT @@wsrep_node_name AS n'))[0]!.n, names[2])
  } finally {
    conn.close()
  }
})

void test('kill -9 one node under steady pool.query load: only its statements fail, the others take over, and it is used again once back', async (t) => {
  const c = requireControlledCluster(t)
  if (c === undefined) return
  const victim = c.nodes[1]!
  const pool = await createPool(
    poolOptions(c, { loadBalance: 'round-robin', minSize: 3, maxSize: 6, maxLifetimeMs: 1500 }),
  )
  const load = steadyLoad(pool, 'SELECT @@wsrep_node_name AS n')
  try {
    assert.ok(await eventually(10_000, () => load.samples.some((s) => s.node === victim.name)), 'victim used')
    const before = pool.status().hosts[1]!
    const killedAt = Date.now()
    await killNode(victim, 'SIGKILL')
    // The others take over at once: shortly after the kill every statement succeeds, none on the victim.
    await sleep(1500)
    const settledAt = Date.now()
    await sleep(1500)
    const failed = load.samples.filter((s) => s.error !== null)
    for (const s of failed) {
      assert.ok(s.error!.fatal, `a lost connection, got ${s.error!.errno} ${s.error!.message}`)
      assert.ok(s.at - killedAt < 1500, `failures only right after the kill (${s.at - killedAt} ms)`)
    }
    // Each connection on the victim fails what it was running: at most its pipeline depth (4) each.
    assert.ok(
      failed.length <= Math.max(1, before.open) * 4,
      `${failed.length} failures, ${before.open} conns there`,
    )
    const after = load.samples.filter((s) => s.at >= settledAt)
    assert.ok(after.length > 50, `load continued (${after.length} statements)`)
    assert.ok(after.every((s) => s.error === null && s.node !== victim.name))
    assert.equal(pool.status().hosts[1]!.state, 'down')
    // Back: the background probe marks it up and the pool opens there again within the backoff.
    await startNode(victim)
    const backAt = Date.now()
    assert.ok(
      await eventually(35_000, () => load.samples.some((s) => s.at >= backAt && s.node === victim.name)),
      `used again after restart (${JSON.stringify(pool.status().hosts[1])})`,
    )
    t.diagnostic(
      `kill -9: ${failed.length} failed statements (${before.open} connections there); used again ` +
        `${load.samples.find((s) => s.at >= backAt && s.node === victim.name)!.at - backAt} ms after Synced`,
    )
  } finally {
    await load.stop()
    await closePool(pool)
    await waitSynced(c)
  }
})

void test('a node cut off from its cluster (gmcast.isolate) still answers ping: the pool stops using it within one health-check interval, and uses it again once rejoined', async (t) => {
  const c = requireControlledCluster(t)
  if (c === undefined) return
  const victim = c.nodes[2]!
  const pool = await createPool(poolOptions(c, { loadBalance: 'round-robin', minSize: 3, maxSize: 6 }))
  // Statements that need no table: they keep succeeding on the isolated node, so only the check can tell.
  const load = steadyLoad(pool, 'SELECT @@wsrep_node_name AS n')
  const admin = await connect(victim.url, { autocommit: true })
  try {
    assert.ok(await eventually(10_000, () => load.samples.some((s) => s.node === victim.name)))
    await admin.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
    assert.ok(
      await eventually(20_000, async () => (await nodeStatus(victim)).clusterStatus !== 'Primary'),
      'the node left the Primary component',
    )
    const cutAt = Date.now()
    await admin.ping(false) // still answers
    assert.ok(
      await eventually(1000 + 1500, () => pool.status().hosts[2]!.state === 'down'),
      'marked down within one interval',
    )
    const downAt = Date.now()
    await sleep(1000)
    const late = load.samples.filter((s) => s.at > downAt + 200 && s.node === victim.name)
    assert.equal(late.length, 0, 'not used once marked down')
    t.diagnostic(`isolated: marked down ${downAt - cutAt} ms after it left the Primary component`)
    await admin.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    await waitSynced(c)
    const backAt = Date.now()
    assert.ok(
      await eventually(35_000, () => load.samples.some((s) => s.at >= backAt && s.node === victim.name)),
      'used again after rejoining',
    )
  } finally {
    await load.stop()
    await admin.query("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'").catch(() => {})
    admin.close()
    await closePool(pool)
    await waitSynced(c)
  }
})

void test('wsrep_reject_queries=ALL_KILL on one node: its connections are replaced on the others, each statement fails at most once', async (t) => {
  const c = requireControlledCluster(t)
  if (c === undefined) return
  const victim = c.nodes[0]!
  const pool = await createPool(poolOptions(c, { loadBalance: 'round-robin', minSize: 3, maxSize: 6 }))
  const load = steadyLoad(pool, 'SELECT @@wsrep_node_name AS n')
  try {
    assert.ok(await eventually(10_000, () => load.samples.some((s) => s.node === victim.name)))
    const before = pool.status().hosts[0]!
    // The setting session is killed with the others; its error is expected.
    await withConn(victim, (a) => a.query('SET GLOBAL wsrep_reject_queries = ALL_KILL')).catch(() => {})
    const setAt = Date.now()
    await sleep(2000)
    const failed = load.samples.filter((s) => s.error !== null)
    assert.ok(
      failed.length <= Math.max(1, before.open) * 4,
      `${failed.length} failures for ${before.open} connections`,
    )
    for (const s of failed) assert.ok(s.at - setAt < 1000, 'failures only as the connections are killed')
    assert.equal(pool.status().hosts[0]!.state, 'down')
    const settled = load.samples.filter((s) => s.at > setAt + 1000)
    assert.ok(settled.length > 50 && settled.every((s) => s.error === null && s.node !== victim.name))
    t.diagnostic(`ALL_KILL: ${failed.length} failed statements (${before.open} connections there)`)
  } finally {
    await load.stop()
    await closePool(pool)
    // An administrator's SET still runs on a node rejecting queries.
    await withConn(victim, (a) => a.query('SET GLOBAL wsrep_reject_queries = NONE'))
    await waitSynced(c)
  }
})

void test('certification conflict: the loser gets 1213; with retries each function is applied exactly once', async (t) => {
  const c = requireCluster(t)
  if (c === undefined) return
  const [n1, n2] = c.nodes as [ClusterNode, ClusterNode]
  await withConn(n1, async (a) => {
    await a.query('CREATE TABLE IF NOT EXISTS cert (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB')
    await a.query('REPLACE INTO cert VALUES (1, 0)')
  })
  await waitSynced(c)
  const onNode = (n: ClusterNode): Promise<Pool> =>
    createPool({ ...poolOptions(c, { minSize: 1, maxSize: 1 }), hosts: [`${n.host}:${n.port}`] })
  const [pa, pb] = await Promise.all([onNode(n1), onNode(n2)])
  try {
    /** Both update the row, each waits (first attempt only) until the other has too, then commits. */
    const race = async (
      retries: number,
    ): Promise<{ results: PromiseSettledResult<number>[]; runs: number }> => {
      let runs = 0
      let updated = 0
      const both = async (): Promise<void> => {
        updated++
        assert.ok(await eventually(5000, () => updated >= 2), 'the other side updated too')
      }
      const fn = (first: { yes: boolean }) => async (conn: Connection) => {
        runs++
        await conn.query('UPDATE cert SET v = v + 1 WHERE id = 1')
        if (first.yes) {
          first.yes = false
          await both()
        }
        return runs
      }
      const results = await Promise.allSettled([
        pa.transaction(fn({ yes: true }), { retries }),
        pb.transaction(fn({ yes: true }), { retries }),
      ])
      return { results, runs }
    }
    const plain = await race(0)
    const rejected = plain.results.filter((r) => r.status === 'rejected')
    assert.equal(rejected.length, 1, 'one side loses')
    const loss = (rejected[0] as PromiseRejectedResult).reason as MySQLError
    assert.equal(loss.errno, 1213, `the loser gets 1213: ${loss.message}`)
    await withConn(n1, async (a) => {
      await a.query('SET SESSION wsrep_sync_wait = 1')
      assert.equal((await a.query<{ v: number }>('SELECT v FROM cert WHERE id = 1'))[0]!.v, 1)
      await a.query('UPDATE cert SET v = 0 WHERE id = 1')
    })
    const retried = await race(3)
    assert.ok(
      retried.results.every((r) => r.status === 'fulfilled'),
      'both succeed with retries',
    )
    // A retry can lose again (the winner's write set still being applied on its node): at least once.
    assert.ok(retried.runs >= 3, `the loser ran again (${retried.runs} runs)`)
    await withConn(n2, async (b) => {
      await b.query('SET SESSION wsrep_sync_wait = 1')
      assert.equal(
        (await b.query<{ v: number }>('SELECT v FROM cert WHERE id = 1'))[0]!.v,
        2,
        'no double apply',
      )
    })
  } finally {
    await Promise.all([closePool(pa), closePool(pb)])
  }
})

void test('read-your-writes across nodes: stale reads without causalReads, none with it', async (t) => {
  const c = requireCluster(t)
  if (c === undefined) return
  const [n1, n2] = c.nodes as [ClusterNode, ClusterNode]
  await withConn(n1, async (a) => {
    await a.query('CREATE TABLE IF NOT EXISTS ryw (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB')
    await a.query('REPLACE INTO ryw VALUES (1, 0)')
  })
  await waitSynced(c)
  const writer = await connect(n1.url, { autocommit: true })
  /** Write through n1, read through n2 at once, `n` times; the number of stale reads. */
  const staleReads = async (reader: Connection, n: number, from: number): Promise<number> => {
    let stale = 0
    for (let i = from; i < from + n; i++) {
      await writer.query('UPDATE ryw SET v = %s WHERE id = 1', [i])
      const [row] = await reader.query<{ v: number }>('SELECT v FROM ryw WHERE id = 1')
      if (row!.v !== i) stale++
    }
    return stale
  }
  const plain = await connect(n2.url, { autocommit: true })
  const causal = await connect(n2.url, { autocommit: true, causalReads: true })
  try {
    assert.equal((await causal.query<{ w: number }>('SELECT @@wsrep_sync_wait AS w'))[0]!.w, 1)
    let without = await staleReads(plain, 400, 1)
    const withCausal = await staleReads(causal, 400, 1001)
    // Stale reads are a race; if 400 showed none, look (bounded) until one shows.
    let extra = 0
    while (without === 0 && extra < 2000) {
      without += await staleReads(plain, 100, 5001 + extra)
      extra += 100
    }
    t.diagnostic(`stale reads: ${without} of ${400 + extra} without causalReads, ${withCausal} of 400 with`)
    assert.ok(without > 0, 'stale reads happen without causalReads')
    assert.equal(withCausal, 0, 'never with causalReads')
  } finally {
    writer.close()
    plain.close()
    causal.close()
  }
})
