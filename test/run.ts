// Entry point for `npm test`: collect test/**/*.test.ts, start a throwaway MariaDB unless MYSQL_URL
// is set or only unit and cluster tests were selected, and (at the same time) a throwaway 3-node Galera
// cluster when tests under test/cluster/ were selected, unless MYSQL_CLUSTER_URLS is set; run
// everything with `node --test` in child processes, and always stop the servers. Usage:
// tsx test/run.ts [--unit] [path-substring…] [--test-name-pattern=…] (other `--` options are passed
// on to node). The exit code is the test runner's.

import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { collectTestFiles, isClusterTest, isUnitTest } from './support/collect.ts'
import { startGaleraCluster, type RunningCluster } from './support/galera.ts'
import { harnessEnv, startThrowawayServer, type ThrowawayServer } from './support/server.ts'

/** The whole run's bound; the suite takes well under a minute on 2 cores. */
const RUN_LIMIT_MS = 20 * 60_000

const testRoot = import.meta.dirname
const repoRoot = path.dirname(testRoot)
const say = (message: string): void => console.error(`[test/run] ${message}`)

function parseArgs(argv: readonly string[]): { unitOnly: boolean; filters: string[]; nodeFlags: string[] } {
  const parsed = { unitOnly: false, filters: [] as string[], nodeFlags: [] as string[] }
  for (const arg of argv) {
    if (arg === '--unit') parsed.unitOnly = true
    else if (arg.startsWith('--')) parsed.nodeFlags.push(arg)
    else parsed.filters.push(arg)
  }
  return parsed
}

/** Exit code for a child that died of a signal, the way shells report it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0)
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  let files: string[]
  try {
    files = await collectTestFiles(testRoot, { unitOnly: args.unitOnly, filters: args.filters })
  } catch (error) {
    say(error instanceof Error ? error.message : String(error))
    return 1
  }
  const needsCluster = files.some((file) => isClusterTest(testRoot, file))
  const needsServer = files.some((file) => !isUnitTest(testRoot, file) && !isClusterTest(testRoot, file))

  let child: ChildProcess | undefined
  let interrupted: NodeJS.Signals | undefined
  // Cuts short the cluster's wait for Synced nodes (they are detached, so Ctrl-C does not reach them).
  const startup = new AbortController()
  // First signal: let the test runner wind down (it gets the signal forwarded) and fall through to
  // the finally block, which stops the servers. A second one exits at once; the exit hooks of
  // server.ts and galera.ts still SIGKILL every mariadbd and delete their directories.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(signalExitCode(signal))
    interrupted = signal
    say(`${signal}: stopping (send it again to exit at once)`)
    startup.abort()
    child?.kill(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const env: NodeJS.ProcessEnv = { ...process.env }
  let server: ThrowawayServer | undefined
  let cluster: RunningCluster | undefined
  const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(2)

  const startServer = async (): Promise<void> => {
    const started = performance.now()
    try {
      server = await startThrowawayServer({ log: (line) => say(line) })
    } catch (error) {
      throw new Error(
        'could not start the throwaway MariaDB; set MYSQL_URL to use another server.\n' +
          (error instanceof Error ? error.message : String(error)),
        { cause: error },
      )
    }
    say(`throwaway MariaDB started in ${seconds(started)} s`)
    Object.assign(env, harnessEnv(server))
  }

  const startCluster = async (): Promise<void> => {
    const started = performance.now()
    try {
      cluster = await startGaleraCluster({ log: (line) => say(`galera: ${line}`), signal: startup.signal })
    } catch (error) {
      throw new Error(
        'could not start the throwaway Galera cluster; set MYSQL_CLUSTER_URLS to use another cluster.\n' +
          (error instanceof Error ? error.message : String(error)),
        { cause: error },
      )
    }
    const nodes = cluster.description.nodes
    say(`Galera cluster (${nodes.length} nodes) Synced in ${seconds(started)} s`)
    say(`galera: ${nodes.map((node) => `${node.name} ${node.host}:${node.port}`).join(', ')}`)
    env['AIOMYSQL_TEST_CLUSTER'] = JSON.stringify(cluster.description)
  }

  try {
    const starts: Promise<void>[] = []
    if (!needsServer) {
      // A stale harness description would point tests at a server that no longer exists.
      delete env['AIOMYSQL_TEST_HARNESS']
      if (!needsCluster) say(`${files.length} unit test file(s); no server needed`)
    } else if (env['MYSQL_URL']) {
      delete env['AIOMYSQL_TEST_HARNESS']
      say(`using MYSQL_URL from the environment; harness-only tests will skip`)
    } else {
      starts.push(startServer())
    }
    if (!needsCluster) {
      delete env['AIOMYSQL_TEST_CLUSTER']
    } else if (env['MYSQL_CLUSTER_URLS']) {
      delete env['AIOMYSQL_TEST_CLUSTER']
      say('using MYSQL_CLUSTER_URLS from the environment; tests that kill or restart nodes will skip')
    } else {
      starts.push(startCluster())
    }
    // Both at once: the cluster's start is mostly waiting for state transfers. The first failure cuts
    // the other start short; only that first error is worth reporting.
    let failure: string | undefined
    const failFast = (start: Promise<void>): Promise<void> =>
      start.catch((error: unknown) => {
        failure ??= error instanceof Error ? error.message : String(error)
        startup.abort()
      })
    await Promise.all(starts.map(failFast))
    // A Ctrl-C during startup also reaches openssl and install-db, so their failure is expected.
    if (interrupted) return signalExitCode(interrupted)
    if (failure !== undefined) {
      say(failure)
      return 1
    }

    // An absolute URL for tsx's loader, so the children need not resolve `tsx` from their cwd.
    const tsxLoader = import.meta.resolve('tsx')
    // Cluster files kill, isolate and drain nodes of the one shared cluster, so they run one at a time,
    // in a second pass after everything else.
    const passes = [
      { files: files.filter((file) => !isClusterTest(testRoot, file)), concurrency: 2, cluster: false },
      { files: files.filter((file) => isClusterTest(testRoot, file)), concurrency: 1, cluster: true },
    ].filter((pass) => pass.files.length > 0)
    // A watchdog instead of --test-force-exit (which, on Node 20, drops reported subtests): a test
    // file that leaks a handle would otherwise keep the run, and CI, waiting forever.
    let timedOut = false
    const watchdog = setTimeout(() => {
      console.error(`[test/run] still running after ${RUN_LIMIT_MS / 60_000} min: stopping the tests`)
      timedOut = true
      child?.kill('SIGKILL')
    }, RUN_LIMIT_MS)
    watchdog.unref()
    let exitCode = 0
    try {
      for (const pass of passes) {
        if (interrupted) return signalExitCode(interrupted)
        if (timedOut) break
        if (pass.cluster) say(`${pass.files.length} cluster test file(s), one at a time`)
        const nodeArgs = [
          '--import',
          tsxLoader,
          '--test',
          `--test-concurrency=${pass.concurrency}`,
          '--test-timeout=120000',
          ...args.nodeFlags,
          ...pass.files.map((file) => path.relative(repoRoot, file)),
        ]
        const runner = spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: 'inherit' })
        child = runner
        const code = await new Promise<number>((resolve, reject) => {
          runner.once('error', reject)
          runner.once('exit', (exit, signal) => resolve(exit ?? (signal ? signalExitCode(signal) : 1)))
        })
        exitCode ||= code
      }
      return exitCode
    } finally {
      clearTimeout(watchdog)
    }
  } finally {
    child = undefined
    await Promise.all([server?.stop(), cluster?.stop()])
  }
}

process.exitCode = await main()
