// Throwaway 3-node MariaDB Galera cluster for the tests under test/cluster/, all on 127.0.0.1, in one
// temp directory. test/run.ts starts it with startGaleraCluster() and passes its description to the
// test processes as JSON (AIOMYSQL_TEST_CLUSTER); tests read it through test/support/env.ts and use
// nodePid / killNode / startNode / waitSynced / nodeStatus below to crash and restart nodes.
//
// As in server.ts: every program gets --no-defaults (nothing reads /etc/mysql or touches a system
// server), nothing runs through a shell, every spawned process is tracked and an exit hook kills it.
// Nodes run as the `mysql` OS user when we are root, because rsync SST fails under root (its daemon
// drops privileges and can no longer write the datadir). Only node 1 gets a datadir from
// mariadb-install-db; nodes 2 and 3 start empty and receive a copy by rsync SST. A node restarted by a
// test is detached and outlives the test process, so stopping goes by pid-file (and, for a node still
// joining, which has none yet, and its rsync daemon, by their command lines naming the temp directory).

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants as fsConstants, readdirSync, readFileSync, rmSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { collectTail, findBinary as findProgram, freePorts, runTool, tailOf } from './server.ts'

/** One member as tests see it. Only `name`, `host`, `port` and `url` exist for a user-supplied cluster. */
export interface ClusterNode {
  /** `n1`, `n2`, `n3` (= @@wsrep_node_name) when started by test/run.ts; `host:port` for MYSQL_CLUSTER_URLS. */
  name: string
  host: string
  /** The SQL port. */
  port: number
  /** mysql://aiomysql_cluster:<password>@127.0.0.1:<port>/aiomysql_test (all privileges, incl. SUPER). */
  url: string
  /** Present only on a cluster test/run.ts started (see ControlledNode). */
  socketPath?: string
  pidFile?: string
  errorLog?: string
  dataDir?: string
  argv?: string[]
  rootUrl?: string
}

/** A member test/run.ts started: the test process can kill and relaunch it. */
export interface ControlledNode extends ClusterNode {
  /** The node's unix socket. */
  socketPath: string
  /** Written by mariadbd once the node has its state (after SST/IST); use nodePid() to find the process. */
  pidFile: string
  errorLog: string
  dataDir: string
  /** Binary and arguments that relaunch the node into the existing cluster (no --wsrep-new-cluster). */
  argv: string[]
  /** The OS-socket administrative account over the unix socket (needs the same OS user as test/run.ts). */
  rootUrl: string
}

export interface ClusterDescription {
  /** true when test/run.ts started the cluster and every node is a ControlledNode. */
  controlled: boolean
  database: string
  /** The account in every node's `url` (GRANT ALL ... WITH GRANT OPTION). */
  user: string
  password: string
  nodes: ClusterNode[]
}

export interface ControlledCluster extends ClusterDescription {
  controlled: true
  nodes: ControlledNode[]
  /** The temp directory holding every node's files. */
  dir: string
}

/** The four wsrep status variables tests usually wait on. */
export interface NodeStatus {
  /** wsrep_local_state_comment: 'Synced', 'Donor/Desynced', 'Joining', 'Joined', 'Initialized', … */
  state: string
  /** wsrep_cluster_size */
  clusterSize: number
  /** wsrep_ready = 'ON' */
  ready: boolean
  /** wsrep_cluster_status: 'Primary', 'non-Primary' or 'Disconnected' */
  clusterStatus: string
}

export interface RunningCluster {
  description: ControlledCluster
  /** Stops every node by pid-file (also ones tests restarted) and removes the temp directory; idempotent. */
  stop(): Promise<void>
}

export interface StartClusterOptions {
  log?: (s: string) => void
  /** Aborting stops the start (and everything it started) at the next poll. */
  signal?: AbortSignal
}

export const CLUSTER_DATABASE = 'aiomysql_test'
export const CLUSTER_USER = 'aiomysql_cluster'
export const CLUSTER_SIZE = 3
const HOST = '127.0.0.1'
const PROVIDER = '/usr/lib/galera/libgalera_smm.so'
/** Whole cluster from nothing to three Synced nodes; measured 13–22 s on 2 cores. */
const CLUSTER_TIMEOUT_MS = 90_000
/** A (re)started node until Synced in a cluster of three; IST takes a few seconds. */
const NODE_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 10_000
const QUERY_TIMEOUT_MS = 10_000
const POLL_MS = 200
// Linux rejects unix socket paths longer than 107 bytes.
const MAX_SOCKET_PATH = 100

/**
 * Starts three nodes, waits until all are Synced in a cluster of three, and creates the test database
 * and the `aiomysql_cluster` account (checked by logging in on node 3).
 * @throws Error with every node's error-log tail if the cluster is not up within 90 s.
 */
export async function startGaleraCluster(opts: StartClusterOptions = {}): Promise<RunningCluster> {
  // A port found free can be taken (by another process) before a node binds it; a bind failure gets
  // one more try. A joiner whose SST port was taken dies during the transfer ("exited with") with no
  // bind message in its log tail, so that counts too.
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptStart(opts)
    } catch (error) {
      const bindFailed =
        error instanceof Error &&
        /Address already in use|Bind on TCP\/IP port|bind\(\) failed|exited with/i.test(error.message)
      if (!bindFailed || attempt >= 2 || opts.signal?.aborted) throw error
      opts.log?.('a port was taken while the cluster started; retrying with new ports')
    }
  }
}

async function attemptStart(opts: StartClusterOptions): Promise<RunningCluster> {
  const log = opts.log ?? (() => {})
  const signal = opts.signal
  const bin = {
    mariadbd: findBinary(['mariadbd', 'mysqld']),
    installDb: findBinary(['mariadb-install-db', 'mysql_install_db']),
    client: findBinary(['mariadb', 'mysql']),
  }
  for (const [file, what] of [
    [PROVIDER, 'galera-4'],
    [findBinary(['rsync']), 'rsync'],
  ] as const) {
    try {
      accessSync(file, fsConstants.R_OK)
    } catch {
      throw new Error(
        `${file} not found: install ${what}, or set MYSQL_CLUSTER_URLS to use an existing cluster.`,
      )
    }
  }
  const isRoot = process.getuid?.() === 0
  // mariadb-install-db names a second socket-authenticated account after --user; as root the client
  // logs in as `root` over the socket, otherwise as ourselves (see server.ts).
  const adminUser = isRoot ? 'root' : os.userInfo().username

  let dir = await mkdtemp(path.join(os.tmpdir(), 'aiomysql-galera-'))
  if (path.join(dir, 'n1', 'mysql.sock').length > MAX_SOCKET_PATH) {
    await rm(dir, { recursive: true, force: true })
    dir = await mkdtemp('/tmp/aiomysql-galera-')
  }
  // mkdtemp makes it 0700; the mysql user must be able to pass through it to its node directories.
  await chmod(dir, 0o711)

  const ports = await freePorts(4 * CLUSTER_SIZE)
  const layout = Array.from({ length: CLUSTER_SIZE }, (_, i) => {
    const name = `n${i + 1}`
    const nodeDir = path.join(dir, name)
    const [sql, gcomm, ist, sst] = ports.slice(4 * i, 4 * i + 4) as [number, number, number, number]
    return {
      name,
      nodeDir,
      dataDir: path.join(nodeDir, 'data'),
      tmpDir: path.join(nodeDir, 'tmp'),
      socketPath: path.join(nodeDir, 'mysql.sock'),
      pidFile: path.join(nodeDir, 'mariadbd.pid'),
      errorLog: path.join(nodeDir, 'error.log'),
      ports: { sql, gcomm, ist, sst },
    }
  })
  const clusterAddress = `gcomm://${layout.map((n) => `${HOST}:${n.ports.gcomm}`).join(',')}`
  const argsOf = (n: (typeof layout)[number]): string[] => [
    '--no-defaults',
    ...(isRoot ? ['--user=mysql'] : []),
    `--datadir=${n.dataDir}`,
    `--tmpdir=${n.tmpDir}`,
    `--socket=${n.socketPath}`,
    `--port=${n.ports.sql}`,
    `--bind-address=${HOST}`,
    '--skip-name-resolve',
    `--pid-file=${n.pidFile}`,
    `--log-error=${n.errorLog}`,
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=48M',
    '--max-allowed-packet=64M',
    '--max-connections=300',
    // Fault tests abort connections on purpose; the default of 100 would block 127.0.0.1.
    '--max-connect-errors=1000000',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    // Durability is worthless here (a crashed node catches up by IST anyway).
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--innodb-buffer-pool-load-at-startup=0',
    '--innodb-buffer-pool-dump-at-shutdown=0',
    // Required by Galera.
    '--binlog-format=ROW',
    '--default-storage-engine=InnoDB',
    '--innodb-autoinc-lock-mode=2',
    '--wsrep-on=ON',
    `--wsrep-provider=${PROVIDER}`,
    '--wsrep-cluster-name=aiomysql_test',
    `--wsrep-cluster-address=${clusterAddress}`,
    `--wsrep-node-name=${n.name}`,
    `--wsrep-node-address=${HOST}:${n.ports.gcomm}`,
    `--wsrep-node-incoming-address=${HOST}:${n.ports.sql}`,
    // keepalive must stay under a third of suspect_timeout, or the node aborts at start.
    `--wsrep-provider-options=${[
      `gmcast.listen_addr=tcp://${HOST}:${n.ports.gcomm}`,
      `ist.recv_addr=${HOST}:${n.ports.ist}`,
      'gcache.size=32M',
      'evs.keepalive_period=PT0.5S',
      'evs.suspect_timeout=PT2S',
      'evs.inactive_timeout=PT4S',
      'evs.install_timeout=PT4S',
      'pc.wait_prim_timeout=PT30S',
    ].join(';')}`,
    // mariabackup SST needs a config file; rsync works with --no-defaults.
    '--wsrep-sst-method=rsync',
    `--wsrep-sst-receive-address=${HOST}:${n.ports.sst}`,
  ]

  const password = randomBytes(18).toString('base64url')
  const nodes: ControlledNode[] = layout.map((n) => ({
    name: n.name,
    host: HOST,
    port: n.ports.sql,
    url: `mysql://${CLUSTER_USER}:${encodeURIComponent(password)}@${HOST}:${n.ports.sql}/${CLUSTER_DATABASE}`,
    socketPath: n.socketPath,
    pidFile: n.pidFile,
    errorLog: n.errorLog,
    dataDir: n.dataDir,
    argv: [bin.mariadbd, ...argsOf(n)],
    rootUrl: `mysql://${adminUser}@localhost/${CLUSTER_DATABASE}?unixSocket=${encodeURIComponent(n.socketPath)}`,
  }))
  const description: ControlledCluster = {
    controlled: true,
    database: CLUSTER_DATABASE,
    user: CLUSTER_USER,
    password,
    nodes,
    dir,
  }

  // Everything spawned is tracked so the exit hook can kill it even mid-startup. Nodes a test
  // restarted are found through their pid-files, and anything else still using the directory (a node
  // still joining has no pid-file yet; an rsync daemon) by its command line.
  const helpers = new Set<ChildProcess>()
  const children: ChildProcess[] = []
  const onExit = (): void => {
    for (const child of [...helpers, ...children]) {
      if (isRunning(child)) child.kill('SIGKILL')
    }
    for (const node of nodes) {
      const pid = nodePid(node)
      if (pid !== undefined) killGroup(pid, 'SIGKILL')
    }
    for (const pid of processesMentioning(`${dir}/`)) signalPid(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', onExit)

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const helper of helpers) helper.kill('SIGKILL')
      await stopNodes(nodes, children, dir)
      await rm(dir, { recursive: true, force: true, maxRetries: 3 })
      process.off('exit', onExit)
    })()
    return stopping
  }

  const tool = (file: string, args: readonly string[]): Promise<string> => runTool(file, args, helpers)
  const admin = (node: ControlledNode): Target => ({
    client: bin.client,
    socket: node.socketPath,
    user: adminUser,
  })
  const exits = new Map<string, string>()
  const stderrOf = new Map<string, () => Promise<string>>()
  const failedExit = (): string | undefined => [...exits.values()][0]
  /** The reason, every error-log tail, and the stderr of nodes that exited (options it refused). */
  const failure = async (what: string): Promise<Error> => {
    const stderr = await Promise.all(
      [...exits.keys()].map(async (name) => {
        const text = (await stderrOf.get(name)?.()) ?? ''
        return text ? `--- ${name} stderr ---\n${text}` : ''
      }),
    )
    return new Error([what, await logTails(nodes), ...stderr].filter(Boolean).join('\n').trimEnd())
  }
  const launch = (node: ControlledNode, extra: readonly string[]): ChildProcess => {
    const [file, ...args] = node.argv as [string, ...string[]]
    const child = spawn(file, [...args, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    stderrOf.set(node.name, collectTail(child))
    child.once('exit', (code, sig) =>
      exits.set(node.name, `${node.name} exited with ${sig ?? `code ${code}`}`),
    )
    children.push(child)
    return child
  }

  try {
    const started = performance.now()
    const elapsed = (): string => ((performance.now() - started) / 1000).toFixed(1)
    for (const n of layout) {
      await Promise.all([mkdir(n.dataDir, { recursive: true }), mkdir(n.tmpDir, { recursive: true })])
    }
    await tool(bin.installDb, [
      '--no-defaults',
      ...(isRoot ? ['--user=mysql'] : []),
      `--datadir=${layout[0]!.dataDir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
      '--innodb-log-file-size=48M',
      '--innodb-buffer-pool-size=64M',
    ])
    if (isRoot) await tool(findBinary(['chown']), ['-R', 'mysql:mysql', ...layout.map((n) => n.nodeDir)])
    log(`node 1 datadir ready in ${dir} (${elapsed()} s)`)

    const [n1, ...joiners] = nodes as [ControlledNode, ...ControlledNode[]]
    launch(n1, ['--wsrep-new-cluster'])
    const deadline = Date.now() + CLUSTER_TIMEOUT_MS
    const bootstrapped = await pollUntil(deadline, signal, failedExit, async () => {
      const status = await tryStatus(admin(n1))
      return status?.state === 'Synced' && status.clusterStatus === 'Primary'
    })
    if (bootstrapped !== true) throw await failure(`Galera node 1 did not bootstrap (${bootstrapped}).`)
    log(`node 1 bootstrapped, Synced (${elapsed()} s)`)

    // Both joiners at once: the second one waits for the donor by itself, and the whole start takes
    // about 15 s instead of about 17 s one after the other (the two SSTs from node 1 run in turn anyway).
    for (const node of joiners) launch(node, [])
    const synced = await pollUntil(deadline, signal, failedExit, async () => {
      const statuses = await Promise.all(nodes.map((node) => tryStatus(admin(node))))
      return statuses.every((s) => s?.state === 'Synced' && s.clusterSize === CLUSTER_SIZE && s.ready)
    })
    if (synced !== true)
      throw await failure(`Galera cluster did not reach ${CLUSTER_SIZE} Synced nodes (${synced}).`)
    log(`${CLUSTER_SIZE} nodes Synced (${elapsed()} s)`)

    // base64url passwords contain no quote or backslash, so plain literals are safe.
    const accounts = [`'${CLUSTER_USER}'@'%'`, `'${CLUSTER_USER}'@'localhost'`]
    const sql = [
      `CREATE DATABASE ${CLUSTER_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
      ...accounts.flatMap((account) => [
        `CREATE USER ${account} IDENTIFIED VIA mysql_native_password USING PASSWORD('${password}')`,
        `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`,
      ]),
    ].join(';\n')
    await tool(bin.client, ['--no-defaults', `--socket=${n1.socketPath}`, `-u${adminUser}`, '-e', sql])
    // DDL replicates synchronously (TOI), but prove it on the last node with the account itself.
    const n3 = nodes[CLUSTER_SIZE - 1]!
    const loggedIn = await pollUntil(Date.now() + 10_000, signal, failedExit, async () => {
      const rows = await tryQuery(
        tcpTarget(n3, bin.client),
        `SELECT CURRENT_USER(), COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${CLUSTER_DATABASE}'`,
      )
      return rows?.[0]?.[0] === `${CLUSTER_USER}@%` && rows[0][1] === '1'
    })
    if (loggedIn !== true)
      throw await failure(`${CLUSTER_USER} could not log in on ${n3.name} (${loggedIn}).`)
    log(`database ${CLUSTER_DATABASE} and account ${CLUSTER_USER} ready on every node (${elapsed()} s)`)
    return { description, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** True when the description came from test/run.ts, so nodes can be killed and restarted. */
export function isControlled(cluster: ClusterDescription): cluster is ControlledCluster {
  return (
    cluster.controlled &&
    typeof (cluster as Partial<ControlledCluster>).dir === 'string' &&
    cluster.nodes.every(isControlledNode)
  )
}

export function isControlledNode(node: ClusterNode): node is ControlledNode {
  return (
    typeof node.socketPath === 'string' &&
    typeof node.pidFile === 'string' &&
    typeof node.errorLog === 'string' &&
    typeof node.dataDir === 'string' &&
    typeof node.rootUrl === 'string' &&
    Array.isArray(node.argv) &&
    node.argv.length > 0
  )
}

/**
 * A user-supplied cluster: MYSQL_CLUSTER_URLS, comma-separated mysql:// URLs. Nodes are named
 * `host:port`; the account is the first URL's.
 */
export function clusterFromUrls(urls: string): ClusterDescription {
  const list = urls
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (list.length === 0) throw new Error('MYSQL_CLUSTER_URLS holds no URL')
  const nodes = list.map((url): ClusterNode => {
    const parsed = new URL(url)
    const port = parsed.port ? Number(parsed.port) : 3306
    return { name: `${parsed.hostname}:${port}`, host: parsed.hostname, port, url }
  })
  const first = new URL(list[0]!)
  return {
    controlled: false,
    database: decodeURIComponent(first.pathname.replace(/^\//, '')),
    user: decodeURIComponent(first.username),
    password: decodeURIComponent(first.password),
    nodes,
  }
}

/**
 * The pid of the mariadbd running the node now, or undefined when none is. Read from its pid-file,
 * which mariadbd writes only once it has its state (after an SST or IST); before that, the process
 * whose command line names this pid-file. Either way the pid must belong to a live process started with
 * this pid-file, so a stale file can never make us signal an unrelated process (or the system MariaDB).
 */
export function nodePid(node: ControlledNode): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(node.pidFile, 'utf8').trim(), 10)
    if (Number.isSafeInteger(pid) && pid > 1 && isNodeProcess(pid, node)) return pid
  } catch {
    // no pid-file (yet): look for the process
  }
  return processesMentioning(`--pid-file=${node.pidFile}`).find((pid) => isNodeProcess(pid, node))
}

/**
 * Sends `signal` to the node's mariadbd (found by nodePid). SIGKILL and SIGTERM (by default) also
 * wait, up to 30 s, until the process is gone; SIGKILL also kills its SST helpers (its process group).
 * SIGSTOP / SIGCONT freeze and thaw a member (restoreCluster sends SIGCONT to all).
 * @returns the pid signalled.
 * @throws Error when the node is not running.
 */
export async function killNode(
  node: ControlledNode,
  signal: NodeJS.Signals = 'SIGKILL',
  opts: { waitExit?: boolean } = {},
): Promise<number> {
  const pid = nodePid(node)
  if (pid === undefined) throw new Error(`${node.name} is not running (pid-file ${node.pidFile})`)
  process.kill(pid, signal)
  if (signal === 'SIGKILL') killGroup(pid, 'SIGKILL')
  if (opts.waitExit ?? (signal === 'SIGKILL' || signal === 'SIGTERM')) {
    if (!(await waitGone(pid, node, 30_000))) {
      throw new Error(`${node.name} (pid ${pid}) still runs 30 s after ${signal}`)
    }
  }
  return pid
}

export interface StartNodeOptions {
  /** Default 60 s. */
  timeoutMs?: number
  /** The wsrep_cluster_size to wait for; default 3. */
  clusterSize?: number
  /** Appended to the node's argv (later options win), e.g. a provider option for one test. */
  extraArgs?: readonly string[]
}

/**
 * Relaunches a stopped node into the running cluster (detached, outliving this process; test/run.ts
 * stops it by pid-file) and waits until it is Synced in a cluster of `clusterSize`. A node killed
 * with SIGKILL catches up by IST (see recoveredStart), in about 4–8 s here. Wait until the survivors
 * have evicted the old incarnation (wsrep_cluster_size dropped) first, or joining takes longer.
 * @throws Error with the node's error-log tail if it exits or is not Synced within `timeoutMs`.
 */
export async function startNode(node: ControlledNode, opts: StartNodeOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? NODE_TIMEOUT_MS
  const clusterSize = opts.clusterSize ?? CLUSTER_SIZE
  const running = nodePid(node)
  if (running !== undefined) throw new Error(`${node.name} is already running (pid ${running})`)
  const [file, ...args] = node.argv as [string, ...string[]]
  const start = await recoveredStart(node)
  const child = spawn(file, [...args, ...start, ...(opts.extraArgs ?? [])], {
    stdio: 'ignore',
    detached: true,
  })
  let exited: string | undefined
  child.once('exit', (code, sig) => (exited = `${node.name} exited with ${sig ?? `code ${code}`}`))
  child.once('error', (error) => (exited = `${node.name} could not be spawned: ${error.message}`))
  child.unref()
  const target = tcpTarget(node, findBinary(['mariadb', 'mysql']))
  const result = await pollUntil(
    Date.now() + timeoutMs,
    undefined,
    () => exited,
    async () => {
      const status = await tryStatus(target)
      return status?.state === 'Synced' && status.clusterSize === clusterSize && status.ready
    },
  )
  if (result !== true) {
    throw new Error(`${node.name} did not rejoin (${result}).\n${await logTails([node])}`.trimEnd())
  }
}

/**
 * After a crash grastate.dat says seqno -1, and mariadbd does not look up its position itself: that is
 * mysqld_safe's (or galera_recovery's) job. Without it the node rejoins by a full SST instead of IST.
 * Like them: run `mariadbd --wsrep-recover`, read "Recovered position" from its log, and pass it as
 * --wsrep-start-position. Returns no argument when the shutdown was clean or recovery finds nothing.
 */
async function recoveredStart(node: ControlledNode): Promise<string[]> {
  let state: string
  try {
    state = await readFile(path.join(node.dataDir, 'grastate.dat'), 'utf8')
  } catch {
    return []
  }
  if (!/^seqno:\s*-1\s*$/m.test(state)) return []
  const recoverLog = path.join(path.dirname(node.pidFile), 'recover.log')
  await rm(recoverLog, { force: true })
  const [file, ...args] = node.argv as [string, ...string[]]
  try {
    await runTool(file, [...args, '--wsrep-recover', `--log-error=${recoverLog}`], new Set())
  } catch {
    return []
  }
  const found = /Recovered position: ([0-9a-f-]{36}:\d+)/.exec(await tailOf(recoverLog, 200))
  return found ? [`--wsrep-start-position=${found[1]}`] : []
}

/**
 * Puts a controlled cluster back the way tests found it, for an `after` hook: SIGCONT to every node
 * (in case a test left one stopped), startNode for every node that is not running, then waitSynced.
 * @throws Error when no node is running (that needs a new bootstrap) or the cluster does not recover.
 */
export async function restoreCluster(cluster: ControlledCluster, timeoutMs = NODE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const down: ControlledNode[] = []
  for (const node of cluster.nodes) {
    const pid = nodePid(node)
    if (pid === undefined) down.push(node)
    else signalPid(pid, 'SIGCONT')
  }
  if (down.length === cluster.nodes.length) throw new Error('no node of the cluster is running')
  let size = cluster.nodes.length - down.length
  for (const node of down) {
    size += 1
    await startNode(node, { clusterSize: size, timeoutMs: Math.max(1_000, deadline - Date.now()) })
  }
  await waitSynced(cluster, Math.max(1_000, deadline - Date.now()))
}

/**
 * Waits until every node is Synced, ready and in a cluster of all of them.
 * @throws Error with the last status of each node (and error-log tails, when known) after `timeoutMs`.
 */
export async function waitSynced(cluster: ClusterDescription, timeoutMs = NODE_TIMEOUT_MS): Promise<void> {
  const client = findBinary(['mariadb', 'mysql'])
  let last: (NodeStatus | undefined)[] = []
  const result = await pollUntil(Date.now() + timeoutMs, undefined, undefined, async () => {
    last = await Promise.all(cluster.nodes.map((node) => tryStatus(tcpTarget(node, client))))
    return last.every((s) => s?.state === 'Synced' && s.ready && s.clusterSize === cluster.nodes.length)
  })
  if (result !== true) {
    const states = cluster.nodes.map((node, i) => `${node.name}: ${JSON.stringify(last[i] ?? 'unreachable')}`)
    const tails = await logTails(cluster.nodes.filter(isControlledNode))
    throw new Error(`cluster not Synced (${result})\n${states.join('\n')}\n${tails}`.trimEnd())
  }
}

/**
 * The node's wsrep status, read over TCP with the node's `url` account by the mariadb CLI (so it does
 * not depend on the driver under test).
 * @throws Error when the node cannot be reached.
 */
export async function nodeStatus(node: ClusterNode): Promise<NodeStatus> {
  return statusOf(tcpTarget(node, findBinary(['mariadb', 'mysql'])))
}

// ---------------------------------------------------------------------------------------------------

type Target =
  | { client: string; socket: string; user: string }
  | { client: string; host: string; port: number; user: string; password: string }

function tcpTarget(node: ClusterNode, client: string): Target {
  const url = new URL(node.url)
  return {
    client,
    host: node.host,
    port: node.port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  }
}

/** Runs one statement with the mariadb CLI; rows as arrays of strings (tab-separated batch output). */
function query(target: Target, sql: string): Promise<string[][]> {
  const args = ['--no-defaults', '--batch', '--skip-column-names', '--connect-timeout=3', `-u${target.user}`]
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env['MYSQL_PWD']
  if ('socket' in target) {
    args.push(`--socket=${target.socket}`)
  } else {
    args.push('--protocol=TCP', `--host=${target.host}`, `--port=${target.port}`)
    // The environment, not argv, so the password does not show in `ps`.
    if (target.password) env['MYSQL_PWD'] = target.password
  }
  args.push('-e', sql)
  return new Promise((resolve, reject) => {
    execFile(target.client, args, { env, timeout: QUERY_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${sql}: ${`${stderr}`.trim() || error.message}`, { cause: error }))
      else resolve(stdout.split('\n').flatMap((line) => (line ? [line.split('\t')] : [])))
    })
  })
}

async function tryQuery(target: Target, sql: string): Promise<string[][] | undefined> {
  try {
    return await query(target, sql)
  } catch {
    return undefined
  }
}

const STATUS_SQL =
  'SHOW GLOBAL STATUS WHERE Variable_name IN ' +
  "('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready', 'wsrep_cluster_status')"

async function statusOf(target: Target): Promise<NodeStatus> {
  const values = new Map(
    (await query(target, STATUS_SQL)).map((row) => [row[0]?.toLowerCase(), row[1] ?? '']),
  )
  return {
    state: values.get('wsrep_local_state_comment') ?? '',
    clusterSize: Number(values.get('wsrep_cluster_size') ?? 0),
    ready: values.get('wsrep_ready') === 'ON',
    clusterStatus: values.get('wsrep_cluster_status') ?? '',
  }
}

async function tryStatus(target: Target): Promise<NodeStatus | undefined> {
  try {
    return await statusOf(target)
  } catch {
    return undefined
  }
}

/**
 * Calls `check` every POLL_MS until it returns true. Returns true, or why it gave up: the deadline,
 * an abort, or `dead()` naming a process that exited.
 */
async function pollUntil(
  deadline: number,
  signal: AbortSignal | undefined,
  dead: (() => string | undefined) | undefined,
  check: () => Promise<boolean>,
): Promise<true | string> {
  for (;;) {
    if (signal?.aborted) return 'interrupted'
    const died = dead?.()
    if (died) return died
    if (await check()) return true
    if (Date.now() >= deadline) return 'timed out'
    await sleep(POLL_MS)
  }
}

/**
 * SIGTERM in reverse order, SIGKILL after the grace period; by pid-file, so restarted nodes too. Then
 * SIGKILL whatever still has `dir` on its command line (SST scripts, rsync daemons).
 */
async function stopNodes(
  nodes: readonly ControlledNode[],
  children: readonly ChildProcess[],
  dir: string,
): Promise<void> {
  const pids = [...nodes].reverse().flatMap((node) => {
    const pid = nodePid(node)
    return pid === undefined ? [] : [{ pid, node }]
  })
  for (const { pid } of pids) signalPid(pid, 'SIGTERM')
  for (const child of children) if (isRunning(child)) child.kill('SIGTERM')
  const deadline = Date.now() + STOP_GRACE_MS
  await Promise.all(
    pids.map(async ({ pid, node }) => {
      if (!(await waitGone(pid, node, deadline - Date.now()))) signalPid(pid, 'SIGKILL')
      // rsync SST helpers live in the node's process group and may outlive it.
      killGroup(pid, 'SIGKILL')
    }),
  )
  // Children still running without a pid-file (killed mid-startup) and not yet reaped.
  await Promise.all(
    children.map(async (child) => {
      if (!isRunning(child)) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      if (await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })])) return
      child.kill('SIGKILL')
      if (child.pid) killGroup(child.pid, 'SIGKILL')
      await Promise.race([exited, sleep(5_000, undefined, { ref: false })])
    }),
  )
  const deadline2 = Date.now() + 5_000
  for (let left = processesMentioning(`${dir}/`); left.length > 0; left = processesMentioning(`${dir}/`)) {
    if (Date.now() >= deadline2)
      throw new Error(`processes ${left.join(', ')} outlived the cluster in ${dir}`)
    for (const pid of left) signalPid(pid, 'SIGKILL')
    await sleep(50)
  }
}

/** Polls until the pid no longer runs the node (gone, reused by something else, or a zombie). */
async function waitGone(pid: number, node: ControlledNode, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isNodeProcess(pid, node)) {
    if (Date.now() >= deadline) return false
    await sleep(50)
  }
  return true
}

/**
 * True if `pid` is a live (non-zombie) process whose command line names this node's pid-file, and
 * not the short `--wsrep-recover` run startNode makes.
 */
function isNodeProcess(pid: number, node: ControlledNode): boolean {
  try {
    if (isZombie(pid)) return false
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return argv.includes(`--pid-file=${node.pidFile}`) && !argv.includes('--wsrep-recover')
  } catch {
    return false
  }
}

function isZombie(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Field 3, after the parenthesised command name (which may contain spaces).
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
}

/**
 * Live processes other than this one whose command line contains `text` (Linux /proc). With the
 * cluster's random temp directory in `text`, only processes of this cluster can match.
 */
function processesMentioning(text: string): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const found: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && !isZombie(Number(entry))) {
        found.push(Number(entry))
      }
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

/** Signals the process group a detached node leads (the node and its SST scripts and rsync daemon). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  signalPid(-pid, signal)
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

async function logTails(nodes: readonly { name: string; errorLog?: string }[]): Promise<string> {
  const tails = await Promise.all(
    nodes.map(async (node) =>
      node.errorLog
        ? `--- ${node.name}: ${node.errorLog} (tail) ---\n${await tailOf(node.errorLog, 30)}`
        : '',
    ),
  )
  return tails.filter(Boolean).join('\n')
}

/** A program on PATH or in the sbin directories, or an error that says what to install. */
function findBinary(names: readonly string[]): string {
  return findProgram(
    names,
    'Install mariadb-server, galera-4 and rsync, or set MYSQL_CLUSTER_URLS to use an existing cluster.',
  )
}
