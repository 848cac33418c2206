// `npm run fuzz -- --seconds N [path-substring…]`: long fuzz runs. Collects the fuzz test files
// (test/unit/fuzz-*.test.ts, test/integration/fuzz-*.test.ts), starts a throwaway MariaDB for the
// integration ones unless MYSQL_URL is set (as test/run.ts does), and runs the files one at a time
// (the machine is shared; each property already keeps one core busy) with FUZZ_FILE_SECONDS set so
// their properties repeat with fresh seeds until the time is spent. Prints, at the end, the counts per
// property and in total; a failure prints its seed and replay command where it happens.
// Without --seconds, every property runs once with its default numRuns, as in `npm test`.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { collectTestFiles, displayName, isUnitTest } from '../support/collect.ts'
import { harnessEnv, startThrowawayServer, type ThrowawayServer } from '../support/server.ts'
import type { PropertyReport } from './harness.ts'

const testRoot = path.dirname(import.meta.dirname)
const repoRoot = path.dirname(testRoot)
const say = (message: string): void => console.error(`[fuzz] ${message}`)

/** Beyond the budget, what starting node, a server and each file's setup may take. */
const SLACK_SECONDS = 300

function parseArgs(argv: readonly string[]): { seconds: number; filters: string[] } {
  let seconds = 0
  const filters: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--seconds' || arg.startsWith('--seconds=')) {
      const value = arg === '--seconds' ? argv[++i] : arg.slice('--seconds='.length)
      seconds = Number(value)
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new Error(`--seconds needs a positive number, got ${value}`)
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg} (usage: npm run fuzz -- [--seconds N] [path-substring…])`)
    } else filters.push(arg)
  }
  return { seconds, filters }
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>
  let files: string[]
  try {
    args = parseArgs(process.argv.slice(2))
    files = (await collectTestFiles(testRoot, { filters: ['/fuzz-'] })).filter(
      (f) => args.filters.length === 0 || args.filters.some((s) => displayName(testRoot, f).includes(s)),
    )
    if (files.length === 0) throw new Error(`no fuzz test file matches ${args.filters.join(' or ')}`)
  } catch (error) {
    say(error instanceof Error ? error.message : String(error))
    return 2
  }
  // The regression files hold fixed cases, not properties: they run, but take no share of the time.
  const propertyFiles = files.filter((f) => !path.basename(f).includes('regressions')).length
  const perFile = args.seconds / Math.max(1, propertyFiles)
  say(
    args.seconds > 0
      ? `${files.length} file(s), ${perFile.toFixed(1)} s for each of the ${propertyFiles} with properties`
      : `${files.length} file(s), default runs (add --seconds N for a long run)`,
  )

  const reportDir = await mkdtemp(path.join(os.tmpdir(), 'aiomysql-fuzz-'))
  const reportFile = path.join(reportDir, 'report.jsonl')
  const env: NodeJS.ProcessEnv = { ...process.env, FUZZ_REPORT: reportFile }
  if (args.seconds > 0) env['FUZZ_FILE_SECONDS'] = String(perFile)
  else delete env['FUZZ_FILE_SECONDS']

  let child: ChildProcess | undefined
  let interrupted: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130)
    interrupted = signal
    say(`${signal}: stopping (send it again to exit at once)`)
    child?.kill(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const started = performance.now()
  let server: ThrowawayServer | undefined
  let code: number
  try {
    const needsServer = files.some((f) => !isUnitTest(testRoot, f))
    if (needsServer && env['MYSQL_URL']) {
      delete env['AIOMYSQL_TEST_HARNESS']
      say('using MYSQL_URL from the environment')
    } else if (needsServer) {
      server = await startThrowawayServer({ log: (line) => say(line) })
      Object.assign(env, harnessEnv(server))
    }
    if (interrupted) return 130
    const limitMs = (args.seconds + SLACK_SECONDS) * 1000
    const nodeArgs = [
      '--import',
      import.meta.resolve('tsx'),
      '--test',
      // One file at a time: the budget is wall-clock time, and the machine is shared.
      '--test-concurrency=1',
      `--test-timeout=${Math.ceil((perFile + SLACK_SECONDS) * 1000)}`,
      ...files.map((f) => path.relative(repoRoot, f)),
    ]
    const runner = spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: 'inherit' })
    child = runner
    // A hang that no test timeout catches (a synchronous loop) still ends the run.
    const watchdog = setTimeout(() => {
      say(`still running ${limitMs / 1000} s after the start: stopping the tests`)
      runner.kill('SIGKILL')
    }, limitMs)
    watchdog.unref()
    code = await new Promise<number>((resolve, reject) => {
      runner.once('error', reject)
      runner.once('exit', (exitCode, signal) => {
        clearTimeout(watchdog)
        resolve(exitCode ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))
      })
    })
  } catch (error) {
    say(error instanceof Error ? error.message : String(error))
    code = 1
  } finally {
    child = undefined
    if (server) await server.stop()
  }
  const failures = await summarize(reportFile, (performance.now() - started) / 1000)
  await rm(reportDir, { recursive: true, force: true })
  return code !== 0 ? code : failures > 0 ? 1 : 0
}

/** Print the counts per property and in total; returns the number of failed properties. */
async function summarize(reportFile: string, seconds: number): Promise<number> {
  let lines: string[] = []
  try {
    lines = (await readFile(reportFile, 'utf8')).split('\n').filter((l) => l !== '')
  } catch {
    // No property ran (the runner failed first): the totals below say so.
  }
  const reports = lines.map((l) => JSON.parse(l) as PropertyReport)
  console.log('')
  console.log('fuzz counts (runs per property):')
  for (const r of reports) {
    const status = r.failed ? `FAILED seed=${r.seed} path=${r.path}` : 'ok'
    console.log(
      `  ${String(r.runs).padStart(9)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${status}  ${r.file}: ${r.property}`,
    )
  }
  const runs = reports.reduce((n, r) => n + r.runs, 0)
  const failures = reports.filter((r) => r.failed).length
  console.log(
    `fuzz: ${reports.length} properties, ${runs} runs, ${failures} failures, ${seconds.toFixed(1)} s`,
  )
  return failures
}

process.exitCode = await main()
