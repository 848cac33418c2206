// `npm run test:runtimes`: the examples and the integration tests that need no Node-only internals, on
// Bun and on Deno (both dev dependencies, run from node_modules/.bin). One throwaway MariaDB is started
// for the whole run (unless MYSQL_URL is set) and always stopped. Per runtime:
//
//   1. a TLS probe (test/runtimes/tls-probe.ts): can this runtime upgrade the connection to TLS?
//   2. every examples/NN-*.ts, one process each, through test/runtimes/example.ts (main(url), as
//      examples/run-all.ts calls it on Node);
//   3. the integration test files in TEST_FILES, one `bun test` / `deno test` process each (both run
//      node:test files; their JUnit reports give the per-test results).
//
// A failure listed in KNOWN (a runtime difference, with its reason) is reported but does not fail the
// run; a known failure that passes is reported too, so the list can shrink. Anything else that fails
// makes the exit code 1. Every child has a timeout and is killed, with its process group, on timeout,
// on Ctrl-C and on exit. Usage: tsx tools/runtimes.ts [bun] [deno]   (default: both)

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { harnessEnv, startThrowawayServer, type ThrowawayServer } from '../test/support/server.ts'

const repoRoot = path.dirname(import.meta.dirname)
const say = (message: string): void => console.error(`[runtimes] ${message}`)

type RuntimeName = 'bun' | 'deno'
const RUNTIMES: readonly RuntimeName[] = ['bun', 'deno']

const RUN_LIMIT_MS = 10 * 60_000
const VERSION_TIMEOUT_MS = 15_000
const PROBE_TIMEOUT_MS = 30_000
const EXAMPLE_TIMEOUT_MS = 60_000
const TEST_FILE_TIMEOUT_MS = 180_000
/** Per-test timeout for `bun test` (its default is 5 s); test/run.ts gives node --test the same. */
const BUN_TEST_TIMEOUT_MS = 120_000
/** Test files run two at a time (bun's and deno's interleaved), as `npm test` runs node's. */
const TEST_CONCURRENCY = 2
/** Lines of a failing child's output printed; the whole log stays in the log directory. */
const LOG_TAIL_LINES = 60

/**
 * Integration test files run on both runtimes: everything under test/integration/ except NOT_RUN.
 * A name listed here that does not exist fails the run (a rename must not silently drop coverage).
 */
const TEST_FILES: readonly string[] = [
  'auth',
  'cancel',
  'cast-column',
  'compression',
  'connection',
  'cursor',
  'cursor-class',
  'errors',
  'fake-server',
  'fuzz-regressions',
  'kysely',
  'limits',
  'local-infile',
  'network-faults',
  'otel-example',
  'password-function',
  'pipelining',
  'pool',
  'prepared',
  'prepared-fake',
  'prepared-types',
  'read-only-fake',
  'sa',
  'ss-cursor',
  'tls',
  'tracing',
  'types',
  'values',
]

/** Integration test files not run on Bun or Deno, and why. */
const NOT_RUN: Readonly<Record<string, string>> = {
  faults:
    'starts Node children (process.execPath --import tsx --input-type=module -e) and cuts connections at ' +
    'every byte offset through a proxy: 25+ s per runtime for protocol code that is the same on every runtime',
  'fuzz-lexer': 'randomized property runs (fast-check) of runtime-independent SQL lexing; npm test runs them',
  'fuzz-roundtrip':
    'randomized property runs (fast-check) of runtime-independent escaping; npm test runs them',
}

/** Files that need a TLS connection; not run on a runtime whose TLS probe failed. */
const TLS_FILES: ReadonlySet<string> = new Set([
  'auth',
  'compression',
  'fake-server',
  'password-function',
  'tls',
])

/**
 * Files a runtime runs in plain text (sslMode=disabled) even when its TLS probe passes, and why. They
 * matter because Deno's TLS sockets do not stop reading when paused and do not report a cut while paused.
 */
const PLAIN_TEXT: Readonly<Record<RuntimeName, Readonly<Record<string, string>>>> = {
  bun: {},
  deno: {
    'ss-cursor':
      "Deno's TLSSocket.pause() does not stop reading from the network (a paused client buffered all " +
      '100 MiB a server sent, where Node and Bun stop near 4 MiB): over TLS an unbuffered stream is not ' +
      'memory-bounded, and the heap check fails',
    'network-faults':
      'over TLS on Deno, a connection cut while an unbuffered stream is paused is never reported: the ' +
      'file hangs until its timeout',
  },
}

/**
 * Examples whose main() resolving is not enough: what their output must contain. The OpenTelemetry
 * example prints nothing when no statement reaches the tracing channels, and still resolves.
 */
const EXAMPLE_OUTPUT: Readonly<Record<string, RegExp>> = {
  '11-opentelemetry.ts': /^span /m,
}

const BUN_ASYNC_STACKS =
  'JavaScriptCore keeps no async stack frames: the stack of a rejected query ends inside src/ and does not ' +
  'name the awaiting caller'
const BUN_GC =
  "test/support/heap.ts takes V8's gc() through node:v8 setFlagsFromString('--expose-gc') and node:vm; " +
  'JavaScriptCore has no such function, so the live-heap measurement throws (the streaming itself passes ' +
  'the rest of the file)'
const BUN_EXTERNAL =
  "the test measures the whole process's process.memoryUsage().external, and its fake server runs in the " +
  'same process: Bun copies a queued socket write (one 16 MiB piece here) where Node and Deno keep a ' +
  'reference, so the server side is counted too (measured with the server in another process, the client ' +
  'grows 22-29 MiB on Bun, 16 MiB on Node: under the 32 MiB bound)'
const DENO_NODE_CLI =
  'spawns process.execPath with Node command-line flags (--import tsx --input-type=module -e); under ' +
  'Deno, process.execPath is deno'

/** `what`: 'tls probe', 'examples/NN-name.ts' or 'test/integration/name.test.ts'. */
interface Known {
  runtime: RuntimeName
  what: string
  /** A top-level test of the file (its name, or the start of it); none: every test of the file. */
  test?: string
  reason: string
  /** The failure must say this (its first line); anything else is an ordinary failure. */
  failure?: RegExp
  /** Fails most of the time, not always: a pass is not worth a note. */
  sometimes?: boolean
}

const KNOWN: readonly Known[] = [
  {
    runtime: 'bun',
    what: 'test/integration/errors.test.ts',
    test: 'the error stack points at the caller',
    reason: BUN_ASYNC_STACKS,
    failure: /did not match/,
  },
  {
    runtime: 'bun',
    what: 'test/integration/ss-cursor.test.ts',
    test: 'streaming 1,000,000 rows keeps heap growth bounded',
    reason: BUN_GC,
    failure: /gc is not defined/,
  },
  {
    runtime: 'bun',
    what: 'test/integration/kysely.test.ts',
    test: 'kysely: .stream() of 100,000 rows keeps heap growth bounded',
    reason: BUN_GC,
    failure: /gc is not defined/,
  },
  {
    runtime: 'bun',
    what: 'test/integration/limits.test.ts',
    test: 'a flood of continuation packets is refused at maxAllowedPacket',
    reason: BUN_EXTERNAL,
    failure: /^grew \d/,
    sometimes: true,
  },
  {
    runtime: 'deno',
    what: 'test/integration/tracing.test.ts',
    test: 'a subscriber that throws does not break the statement',
    reason: DENO_NODE_CLI,
  },
]

/** The KNOWN entry for this item (a test of the file, when `test` is given), whatever its outcome. */
function knownEntry(runtime: RuntimeName, what: string, test?: string): Known | undefined {
  return KNOWN.find(
    (k) =>
      k.runtime === runtime &&
      k.what === what &&
      (k.test === undefined || (test !== undefined && test.startsWith(k.test))),
  )
}

/** Whether a failure with this message is the known one. */
function isKnown(entry: Known | undefined, message: string): entry is Known {
  return entry !== undefined && (entry.failure === undefined || entry.failure.test(message))
}

interface Runtime {
  name: RuntimeName
  bin: string
  /** Arguments that run a script file with every permission. */
  script(file: string, args?: readonly string[]): string[]
  /** Arguments that run one node:test file, writing a JUnit report to `junit`. */
  test(file: string, junit: string): string[]
  parseVersion(output: string): string
}

const runtimes: Record<RuntimeName, Runtime> = {
  bun: {
    name: 'bun',
    bin: path.join(repoRoot, 'node_modules', '.bin', 'bun'),
    script: (file, args = []) => [file, ...args],
    // `./` keeps bun from reading the path as a name filter.
    test: (file, junit) => [
      'test',
      `--timeout=${BUN_TEST_TIMEOUT_MS}`,
      '--reporter=junit',
      `--reporter-outfile=${junit}`,
      `./${file}`,
    ],
    parseVersion: (output) => output.trim(),
  },
  deno: {
    name: 'deno',
    bin: path.join(repoRoot, 'node_modules', '.bin', 'deno'),
    // Deno reads package.json and node_modules itself (npm packages, node: builtins); --no-lock keeps it
    // from writing a deno.lock into the repository.
    script: (file, args = []) => ['run', '-A', '--no-lock', file, ...args],
    // --no-check: Deno would type-check with its own lib (no @types/node globals); tsc checks the code.
    test: (file, junit) => ['test', '-A', '--no-lock', '--no-check', `--junit-path=${junit}`, file],
    parseVersion: (output) => /^deno (\S+)/m.exec(output)?.[1] ?? output.trim().split('\n')[0] ?? '',
  },
}

// ---------------------------------------------------------------------------------------------------
// Child processes

interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  output: string
  ms: number
}

/** Live children, each the leader of its own process group. */
const children = new Set<ChildProcess>()

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL')
})

/**
 * Run `bin args` in the repository root; stdout and stderr are collected together. The child leads a
 * process group of its own, so a timeout (or its own exit) also kills whatever it started.
 */
function runChild(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  const started = performance.now()
  return new Promise<ChildResult>((resolve, reject) => {
    const child = spawn(bin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    children.add(child)
    const chunks: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    child.stderr.on('data', (d: Buffer) => chunks.push(d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child, 'SIGKILL')
    }, timeoutMs)
    // Leftover grandchildren would keep the pipes (and so 'close') open.
    child.once('exit', () => killGroup(child, 'SIGKILL'))
    child.once('error', (error) => {
      clearTimeout(timer)
      children.delete(child)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve({
        code,
        signal,
        timedOut,
        output: Buffer.concat(chunks).toString('utf8'),
        ms: performance.now() - started,
      })
    })
  })
}

function describeExit(result: ChildResult, timeoutMs: number): string {
  if (result.timedOut) return `timed out after ${timeoutMs / 1000} s`
  if (result.signal) return `killed by ${result.signal}`
  return `exit code ${result.code}`
}

function tail(text: string, lines = LOG_TAIL_LINES): string {
  const all = text.trimEnd().split('\n')
  return (all.length > lines ? [`… (${all.length - lines} more lines in the log)`] : [])
    .concat(all.slice(-lines))
    .join('\n')
}

// ---------------------------------------------------------------------------------------------------
// JUnit reports (bun test --reporter=junit, deno test --junit-path)

interface TestCase {
  name: string
  status: 'passed' | 'failed' | 'skipped'
  message: string
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()] ?? ''
  })
}

/**
 * The top-level tests of a report. Deno also reports each subtest (t.test) as `parent > child`; those
 * are left out, so both runtimes count what `bun test` counts: one entry per top-level test.
 */
function parseJunit(xml: string): TestCase[] {
  const cases: TestCase[] = []
  const open = /<testcase\b([^>]*?)(\/?)>/g
  for (let m = open.exec(xml); m !== null; m = open.exec(xml)) {
    const name = unescapeXml(/\bname="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '')
    let body = ''
    if (m[2] !== '/') {
      const end = xml.indexOf('</testcase>', open.lastIndex)
      body = end < 0 ? xml.slice(open.lastIndex) : xml.slice(open.lastIndex, end)
    }
    if (name.includes(' > ')) continue
    const failure = /<(failure|error)\b([^>]*)/.exec(body)
    const message = failure ? unescapeXml(/\bmessage="([^"]*)"/.exec(failure[2] ?? '')?.[1] ?? '') : ''
    cases.push({
      name,
      status: failure ? 'failed' : /<skipped\b/.test(body) ? 'skipped' : 'passed',
      message: message.split('\n').find((line) => line.trim() !== '') ?? '',
    })
  }
  return cases
}

// ---------------------------------------------------------------------------------------------------
// The run

interface Tally {
  version: string
  tls: 'ok' | 'known' | 'off' | 'failed'
  examples: { passed: number; known: number; failed: number; total: number }
  files: { run: number; failed: number }
  tests: { passed: number; failed: number; known: number; skipped: number }
  ms: number
}

interface Outcome {
  /** Unexpected failures: any makes the exit code 1. */
  failures: string[]
  /** Known failures that happened, with their reason. */
  known: { runtime: RuntimeName; what: string; reason: string }[]
  /** Known failures that did not happen, and anything else worth reading. */
  notes: string[]
}

function parseArgs(argv: readonly string[]): RuntimeName[] {
  const picked: RuntimeName[] = []
  for (const arg of argv) {
    if (arg === 'bun' || arg === 'deno') picked.push(arg)
    else throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: tsx tools/runtimes.ts [bun] [deno]`)
  }
  return picked.length === 0 ? [...RUNTIMES] : RUNTIMES.filter((r) => picked.includes(r))
}

async function listExamples(): Promise<string[]> {
  const dir = path.join(repoRoot, 'examples')
  return (await readdir(dir)).filter((name) => /^\d+-.+\.ts$/.test(name)).sort()
}

async function listIntegrationFiles(): Promise<string[]> {
  const dir = path.join(repoRoot, 'test', 'integration')
  return (await readdir(dir))
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => name.slice(0, -'.test.ts'.length))
    .sort()
}

function withSslDisabled(url: string): string {
  const u = new URL(url)
  u.searchParams.set('sslMode', 'disabled')
  return u.href
}

async function main(): Promise<number> {
  const selected = parseArgs(process.argv.slice(2))
  for (const name of selected) {
    if (!existsSync(runtimes[name].bin)) {
      say(`${runtimes[name].bin} is missing: run npm ci (bun and deno are dev dependencies)`)
      return 1
    }
  }
  const examples = await listExamples()
  const present = await listIntegrationFiles()
  const missing = TEST_FILES.filter((f) => !present.includes(f))
  if (missing.length > 0) {
    say(`TEST_FILES names files that do not exist: ${missing.map((f) => `${f}.test.ts`).join(', ')}`)
    return 1
  }
  const outcome: Outcome = { failures: [], known: [], notes: [] }
  const unclassified = present.filter((f) => !TEST_FILES.includes(f) && !(f in NOT_RUN))
  if (unclassified.length > 0) {
    outcome.notes.push(
      `not run, not classified (add to TEST_FILES or NOT_RUN in tools/runtimes.ts): ` +
        unclassified.map((f) => `${f}.test.ts`).join(', '),
    )
  }

  const logDir = await mkdtemp(path.join(os.tmpdir(), 'aiomysql-runtimes-'))
  let server: ThrowawayServer | undefined
  /** Set by Ctrl-C / SIGTERM: 130 whatever else happened. */
  let interrupted = false
  /** Set by a signal or by the watchdog: start nothing new. */
  let stopping = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130)
    interrupted = true
    stopping = true
    say(`${signal}: stopping (send it again to exit at once)`)
    for (const child of children) killGroup(child, 'SIGKILL')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const watchdog = setTimeout(() => {
    say(`still running after ${RUN_LIMIT_MS / 60_000} min: stopping`)
    outcome.failures.push(`the whole run took longer than ${RUN_LIMIT_MS / 60_000} min`)
    stopping = true
    for (const child of children) killGroup(child, 'SIGKILL')
  }, RUN_LIMIT_MS)
  watchdog.unref()

  const runStarted = performance.now()
  const tallies = new Map<RuntimeName, Tally>()
  try {
    const baseEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      DO_NOT_TRACK: '1',
    }
    delete baseEnv['FORCE_COLOR']
    if (process.env['MYSQL_URL']) {
      delete baseEnv['AIOMYSQL_TEST_HARNESS']
      say('using MYSQL_URL from the environment; harness-only tests will skip')
    } else {
      const started = performance.now()
      server = await startThrowawayServer({ log: say })
      say(`throwaway MariaDB started in ${((performance.now() - started) / 1000).toFixed(2)} s`)
      Object.assign(baseEnv, harnessEnv(server))
    }
    const serverUrl = baseEnv['MYSQL_URL']!

    const envOf = new Map<RuntimeName, NodeJS.ProcessEnv>()
    const testFilesOf = new Map<RuntimeName, string[]>()
    const logName = (runtime: RuntimeName, what: string): string =>
      path.join(logDir, `${runtime}-${path.basename(what).replace(/\.ts$/, '')}`)
    const fail = (runtime: RuntimeName, what: string, why: string, output: string): void => {
      outcome.failures.push(`${runtime}: ${what}: ${why}`)
      say(`${runtime} ${what} FAILED (${why}); last lines of its output:\n${tail(output)}`)
    }

    // 1. Version and TLS probe.
    for (const name of selected) {
      if (stopping) break
      const rt = runtimes[name]
      const started = performance.now()
      const v = await runChild(rt.bin, ['--version'], baseEnv, VERSION_TIMEOUT_MS)
      const version = v.code === 0 ? rt.parseVersion(v.output) : '?'
      if (v.code !== 0) fail(name, `${name} --version`, describeExit(v, VERSION_TIMEOUT_MS), v.output)
      const tally: Tally = {
        version,
        tls: 'ok',
        examples: { passed: 0, known: 0, failed: 0, total: 0 },
        files: { run: 0, failed: 0 },
        tests: { passed: 0, failed: 0, known: 0, skipped: 0 },
        ms: 0,
      }
      tallies.set(name, tally)
      const probe = await runChild(rt.bin, rt.script('test/runtimes/tls-probe.ts'), baseEnv, PROBE_TIMEOUT_MS)
      await writeFile(`${logName(name, 'tls-probe')}.log`, probe.output)
      const known = knownEntry(name, 'tls probe')
      let env = baseEnv
      if (probe.code === 0 && !probe.timedOut) {
        say(`${name} ${version}: ${probe.output.trim().split('\n').at(-1) ?? 'TLS ok'}`)
        if (known)
          outcome.notes.push(`${name}: the TLS probe passes now; drop its KNOWN entry (${known.reason})`)
      } else {
        const why = `${describeExit(probe, PROBE_TIMEOUT_MS)}: ${lastErrorLine(probe.output)}`
        if (isKnown(known, why)) {
          tally.tls = 'known'
          outcome.known.push({ runtime: name, what: 'tls probe', reason: known.reason })
          say(`${name} ${version}: TLS probe failed as known (${why}); running with sslMode=disabled`)
        } else if (!server) {
          // A user-supplied server may simply not offer TLS.
          tally.tls = 'off'
          outcome.notes.push(`${name}: TLS probe against MYSQL_URL failed (${why}); TLS files not run`)
        } else {
          tally.tls = 'failed'
          fail(name, 'tls probe', why, probe.output)
        }
        env = { ...baseEnv, MYSQL_URL: withSslDisabled(serverUrl) }
      }
      envOf.set(name, env)
      testFilesOf.set(
        name,
        TEST_FILES.filter((f) => tally.tls === 'ok' || !TLS_FILES.has(f)),
      )
      tally.ms += performance.now() - started
    }

    // 2. Examples, one runtime after the other (they use fixed table names).
    for (const name of selected) {
      const rt = runtimes[name]
      const tally = tallies.get(name)
      const env = envOf.get(name)
      if (!tally || !env) continue
      for (const example of examples) {
        if (stopping) break
        const what = `examples/${example}`
        const result = await runChild(
          rt.bin,
          rt.script('test/runtimes/example.ts', [what]),
          env,
          EXAMPLE_TIMEOUT_MS,
        )
        tally.ms += result.ms
        tally.examples.total++
        await writeFile(`${logName(name, example)}.log`, result.output)
        const expected = EXAMPLE_OUTPUT[example]
        let why: string | undefined
        if (result.code !== 0 || result.timedOut) {
          why = `${describeExit(result, EXAMPLE_TIMEOUT_MS)}: ${lastErrorLine(result.output)}`
        } else if (expected && !expected.test(result.output)) {
          why = `main() resolved, but its output has no line matching ${String(expected)}`
        }
        const known = knownEntry(name, what)
        const ms = Math.round(result.ms)
        if (why === undefined) {
          tally.examples.passed++
          say(`${name} ${what} ok (${ms} ms)`)
          if (known) outcome.notes.push(`${name}: ${what} passes now; drop its KNOWN entry`)
        } else if (isKnown(known, why)) {
          tally.examples.known++
          outcome.known.push({ runtime: name, what, reason: known.reason })
          say(`${name} ${what} failed as known (${why})`)
        } else {
          tally.examples.failed++
          fail(name, what, why, result.output)
        }
      }
    }

    // 3. Integration test files, two at a time.
    const jobs = selected.flatMap((name) => (testFilesOf.get(name) ?? []).map((file) => ({ name, file })))
    // Interleave the runtimes, so the slow deno files do not all run at the end.
    jobs.sort((a, b) => TEST_FILES.indexOf(a.file) - TEST_FILES.indexOf(b.file))
    const runJob = async ({ name, file }: { name: RuntimeName; file: string }): Promise<void> => {
      const rt = runtimes[name]
      const tally = tallies.get(name)!
      const what = `test/integration/${file}.test.ts`
      const junit = `${logName(name, file)}.xml`
      let env = envOf.get(name)!
      const plain = PLAIN_TEXT[name][file]
      if (plain !== undefined && tally.tls === 'ok') {
        env = { ...env, MYSQL_URL: withSslDisabled(env['MYSQL_URL']!) }
        outcome.known.push({ runtime: name, what: `${what} runs with sslMode=disabled`, reason: plain })
      }
      const result = await runChild(rt.bin, rt.test(what, junit), env, TEST_FILE_TIMEOUT_MS)
      tally.ms += result.ms
      tally.files.run++
      await writeFile(`${logName(name, file)}.log`, result.output)
      const xml = existsSync(junit) ? await readFile(junit, 'utf8') : ''
      const cases = parseJunit(xml)
      let unexpected = 0
      let knownHere = 0
      for (const c of cases) {
        const known = knownEntry(name, what, c.name)
        if (c.status === 'skipped') tally.tests.skipped++
        else if (c.status === 'passed') {
          tally.tests.passed++
          if (known && !known.sometimes) {
            outcome.notes.push(`${name}: ${what} › ${c.name} passes now; drop its KNOWN entry`)
          }
        } else if (isKnown(known, c.message)) {
          tally.tests.known++
          knownHere++
          outcome.known.push({ runtime: name, what: `${what} › ${c.name}`, reason: known.reason })
        } else {
          tally.tests.failed++
          unexpected++
          outcome.failures.push(`${name}: ${what} › ${c.name}: ${c.message}`)
        }
      }
      const counts = `${cases.length} tests${knownHere ? `, ${knownHere} known failure(s)` : ''}`
      const ms = Math.round(result.ms)
      let why: string | undefined
      if (result.timedOut || result.signal) why = describeExit(result, TEST_FILE_TIMEOUT_MS)
      else if (xml === '') why = `${describeExit(result, TEST_FILE_TIMEOUT_MS)}, no JUnit report`
      else if (cases.length === 0) why = `${describeExit(result, TEST_FILE_TIMEOUT_MS)}, no test ran`
      else if (unexpected > 0) why = `${unexpected} test(s) failed`
      // Exit code 1 with every failure a known one is fine; without any failing test it is not.
      else if (result.code !== 0 && knownHere === 0) why = `${describeExit(result, 0)} with no failing test`
      if (why === undefined) {
        say(`${name} ${what} ok: ${counts} (${ms} ms)`)
      } else {
        tally.files.failed++
        if (unexpected === 0) outcome.failures.push(`${name}: ${what}: ${why}`)
        say(`${name} ${what} FAILED (${why}; ${counts}); last lines of its output:\n${tail(result.output)}`)
      }
    }
    const queue = [...jobs]
    await Promise.all(
      Array.from({ length: TEST_CONCURRENCY }, async () => {
        for (let job = queue.shift(); job !== undefined && !stopping; job = queue.shift()) await runJob(job)
      }),
    )
  } finally {
    clearTimeout(watchdog)
    await server?.stop()
  }

  printSummary(selected, tallies, outcome, performance.now() - runStarted, interrupted)
  for (const [file, reason] of Object.entries(NOT_RUN)) say(`not run anywhere: ${file}.test.ts: ${reason}`)
  const ok = outcome.failures.length === 0 && !stopping
  if (ok || interrupted) await rm(logDir, { recursive: true, force: true })
  else say(`logs and JUnit reports kept in ${logDir}`)
  if (interrupted) return 130
  return ok ? 0 : 1
}

/** The most telling line of a failed child's output: its first error line, or its last line. */
function lastErrorLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim())
  return (
    lines.find((l) => /^(error|Error|\w*Error\b|Uncaught)/.test(l)) ??
    lines.filter((l) => l !== '').at(-1) ??
    '(no output)'
  ).slice(0, 300)
}

function printSummary(
  selected: readonly RuntimeName[],
  tallies: ReadonlyMap<RuntimeName, Tally>,
  outcome: Outcome,
  ms: number,
  interrupted: boolean,
): void {
  const header = [
    'runtime',
    'version',
    'TLS',
    'examples ok/known/failed',
    'test files',
    'tests passed',
    'failed',
    'known',
    'skipped',
    'time (sum)',
  ]
  const rows = selected.map((name) => {
    const t = tallies.get(name)
    if (!t) return [name, '?', '-', '-', '-', '-', '-', '-', '-', '-']
    const e = t.examples
    return [
      name,
      t.version,
      { ok: 'ok', known: 'off (known)', off: 'off', failed: 'FAILED' }[t.tls],
      `${e.passed}/${e.known}/${e.failed} of ${e.total}`,
      `${t.files.run - t.files.failed}/${t.files.run} ok`,
      String(t.tests.passed),
      String(t.tests.failed),
      String(t.tests.known),
      String(t.tests.skipped),
      `${(t.ms / 1000).toFixed(1)} s`,
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const out: string[] = ['', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  if (outcome.known.length > 0) {
    out.push('', 'known runtime differences (not failures):')
    const reasons = [...new Set(outcome.known.map((k) => k.reason))]
    for (const reason of reasons) {
      const items = outcome.known.filter((k) => k.reason === reason)
      out.push(`  ${items.map((k) => `${k.runtime}: ${k.what}`).join('\n  ')}`, `      ${reason}`)
    }
  }
  if (outcome.notes.length > 0) out.push('', 'notes:', ...outcome.notes.map((n) => `  ${n}`))
  if (outcome.failures.length > 0) out.push('', 'FAILURES:', ...outcome.failures.map((f) => `  ${f}`))
  out.push(
    '',
    `runtimes ${interrupted ? 'INTERRUPTED' : outcome.failures.length === 0 ? 'ok' : 'FAILED'} in ${(ms / 1000).toFixed(1)} s`,
  )
  console.log(out.join('\n'))
}

process.exitCode = await main()
