// Entry point for `npm test`: collect test/**/*.test.ts, start a throwaway MariaDB unless MYSQL_URL
// is set or only unit tests were selected, run everything with `node --test` in child processes, and
// always stop the server. Usage: tsx test/run.ts [--unit] [path-substring…] [--test-name-pattern=…]
// (other `--` options are passed on to node). The exit code is the test runner's.

import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { collectTestFiles, isUnitTest } from './support/collect.ts'
import type { Harness } from './support/env.ts'
import { startThrowawayServer, type ThrowawayServer } from './support/server.ts'

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
  const needsServer = files.some((file) => !isUnitTest(testRoot, file))

  let child: ChildProcess | undefined
  let interrupted: NodeJS.Signals | undefined
  // First signal: let the test runner wind down (it gets the signal forwarded) and fall through to
  // the finally block, which stops the server. A second one exits at once; server.ts's exit hook
  // still SIGKILLs mariadbd and deletes its directory.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(signalExitCode(signal))
    interrupted = signal
    say(`${signal}: stopping (send it again to exit at once)`)
    child?.kill(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const env: NodeJS.ProcessEnv = { ...process.env }
  let server: ThrowawayServer | undefined
  try {
    if (!needsServer) {
      say(`${files.length} unit test file(s); no server needed`)
    } else if (env['MYSQL_URL']) {
      // A stale harness description would point tests at a server that no longer exists.
      delete env['AIOMYSQL_TEST_HARNESS']
      say(`using MYSQL_URL from the environment; harness-only tests will skip`)
    } else {
      const started = performance.now()
      try {
        server = await startThrowawayServer({ log: (line) => say(line) })
      } catch (error) {
        // A Ctrl-C during startup also reaches openssl and install-db, so their failure is expected.
        if (interrupted) return signalExitCode(interrupted)
        say(`could not start the throwaway MariaDB; set MYSQL_URL to use another server.`)
        say(error instanceof Error ? error.message : String(error))
        return 1
      }
      say(`throwaway MariaDB started in ${((performance.now() - started) / 1000).toFixed(2)} s`)
      const harness: Harness = {
        socketPath: server.socketPath,
        tlsDir: server.tlsDir,
        users: server.users,
        rootUrl: server.rootUrl,
        port: server.port,
      }
      env['MYSQL_URL'] = server.url
      env['AIOMYSQL_TEST_HARNESS'] = JSON.stringify(harness)
    }
    if (interrupted) return signalExitCode(interrupted)

    // An absolute URL for tsx's loader, so the children need not resolve `tsx` from their cwd.
    const tsxLoader = import.meta.resolve('tsx')
    const nodeArgs = [
      '--import',
      tsxLoader,
      '--test',
      '--test-concurrency=2',
      '--test-timeout=120000',
      ...args.nodeFlags,
      ...files.map((file) => path.relative(repoRoot, file)),
    ]
    const runner = spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: 'inherit' })
    child = runner
    // A watchdog instead of --test-force-exit (which, on Node 20, drops reported subtests): a test
    // file that leaks a handle would otherwise keep the run, and CI, waiting forever.
    const watchdog = setTimeout(() => {
      console.error(`[test/run] still running after ${RUN_LIMIT_MS / 60_000} min: stopping the tests`)
      runner.kill('SIGKILL')
    }, RUN_LIMIT_MS)
    watchdog.unref()
    return await new Promise<number>((resolve, reject) => {
      runner.once('error', reject)
      runner.once('exit', (code, signal) => {
        clearTimeout(watchdog)
        resolve(code ?? (signal ? signalExitCode(signal) : 1))
      })
    })
  } finally {
    child = undefined
    if (server) await server.stop()
  }
}

process.exitCode = await main()
