// `npm run bench`: aiomysql, mysql2, mariadb and a libmariadb C reference on the same server and data,
// each workload in its own child process, drivers alternating, server and client pinned to different
// cores when possible, every driver on the same transport; prints the BENCH.md table (medians) on stdout
// and progress on stderr, and draws the table as an SVG chart.
//
//   npm run bench -- [--reps 3] [--only select1,decode] [--drivers libmariadb,mysql2,mariadb,aiomysql]
//                    [--objects] [--tls] [--tls-ca ca.pem] [--quick] [--no-pin] [--recreate]
//                    [--timeout 600] [--json results.json] [--svg results.svg]
//
// MYSQL_URL=mysql://user:pw@host:port/db selects an existing server; otherwise a throwaway MariaDB is
// started by test/support/server.ts (without TLS, or with it under --tls) and stopped at the end.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { svgChart } from './chart.ts'
import { type Cell, type Results, details, formatRate, label, markdownTable, serverBusy } from './report.ts'
import {
  COLUMNS,
  type Column,
  QUICK_DIVISOR,
  QUICK_ENV,
  REFERENCE,
  type Sizes,
  TABLE_ROWS,
  UNITS,
  WORKLOADS,
  type Workload,
  type WorkerOutput,
  expectedOps,
  parseMysqlUrl,
  sizesFor,
} from './workloads.ts'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))
const C_SOURCE = fileURLToPath(new URL('./c/reference.c', import.meta.url))
// Build output of the C reference; ignored by bench/.gitignore.
const C_BUILD_DIR = fileURLToPath(new URL('./.build/', import.meta.url))
const C_HEADER = '/usr/include/mariadb/mysql.h'
const DEFAULT_SVG = path.join(BENCH_DIR, 'results.svg')

interface ThrowawayServer {
  url: string
  socketPath?: string
  tlsDir: string
  stop(): Promise<void>
}

function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

function list<T extends string>(value: string | undefined, all: readonly T[], what: string): T[] {
  if (value === undefined) return [...all]
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const item of items) {
    if (!(all as readonly string[]).includes(item))
      throw new Error(`unknown ${what} '${item}' (known: ${all.join(', ')})`)
  }
  // Keep the canonical order, so tables from different runs line up.
  return all.filter((x) => items.includes(x))
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      only: { type: 'string' },
      drivers: { type: 'string' },
      objects: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      'tls-ca': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      recreate: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      json: { type: 'string' },
      svg: { type: 'string' },
    },
    strict: true,
  })
  const reps = Number(values.reps)
  const timeoutS = Number(values.timeout)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps must be a positive integer, got ${values.reps}`)
  if (!(timeoutS > 0))
    throw new Error(`--timeout must be a positive number of seconds, got ${values.timeout}`)
  if (values['tls-ca'] !== undefined && !values.tls) throw new Error('--tls-ca is only meaningful with --tls')
  return {
    reps,
    timeoutMs: timeoutS * 1000,
    workloads: list(values.only, WORKLOADS, 'workload'),
    columns: list(values.drivers, COLUMNS, 'driver'),
    objects: values.objects,
    tls: values.tls,
    tlsCa: values['tls-ca'],
    quick: values.quick,
    pin: !values['no-pin'],
    recreate: values.recreate,
    json: values.json,
    // A chart of a partial run would look like a full one, so only all-workload runs draw by default.
    svg: values.svg ?? (values.only === undefined ? DEFAULT_SVG : undefined),
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The peers live in bench/'s own package so they never enter the library's install. */
function ensureBenchDependencies(): void {
  const installed = ['mysql2', 'mariadb'].every((p) =>
    existsSync(`${BENCH_DIR}node_modules/${p}/package.json`),
  )
  if (installed) return
  log('bench: installing mysql2 and mariadb into bench/node_modules (npm ci --prefix bench)')
  const r = spawnSync(npm, ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 2, 2],
  })
  if (r.status !== 0) throw new Error('npm ci --prefix bench failed')
}

/** Measure the compiled package (dist/), as users run it, not the sources through tsx. */
function buildPackage(): void {
  log('bench: building dist/ (npm run build)')
  const r = spawnSync(npm, ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) throw new Error('npm run build failed')
}

type Reference = { binary: string; version: string } | { skipped: string }

/**
 * Compiles bench/c/reference.c against the system's libmariadb when its development files are there
 * (Debian: libmariadb-dev). Never installs anything: without them the C column is left out, with a note.
 */
function buildReference(): Reference {
  if (!existsSync(C_HEADER)) return { skipped: 'libmariadb-dev not installed' }
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0)
    return { skipped: 'no C compiler (cc) on PATH' }
  const pkgConfig = spawnSync('pkg-config', ['--cflags', '--libs', 'libmariadb'], { encoding: 'utf8' })
  let flags: string[]
  if (pkgConfig.status === 0) {
    flags = pkgConfig.stdout.trim().split(/\s+/)
  } else {
    // No pkg-config (or no .pc file): the library itself, where the compiler would find it.
    const lib = spawnSync('cc', ['-print-file-name=libmariadb.so'], { encoding: 'utf8' })
    const file = lib.stdout.trim()
    if (lib.status !== 0 || !path.isAbsolute(file) || !existsSync(file))
      return { skipped: 'libmariadb-dev not installed' }
    flags = ['-I/usr/include/mariadb', '-lmariadb']
  }

  mkdirSync(C_BUILD_DIR, { recursive: true })
  const binary = path.join(C_BUILD_DIR, 'reference')
  log('bench: compiling the C reference (cc -O2 bench/c/reference.c, libmariadb)')
  const cc = spawnSync(
    'cc',
    ['-std=c11', '-O2', '-Wall', '-Wextra', '-pthread', '-o', binary, C_SOURCE, ...flags],
    { encoding: 'utf8' },
  )
  if (cc.status !== 0) {
    const why = `${cc.stdout}${cc.stderr}`.trim().split('\n').slice(-3).join(' / ')
    return { skipped: `cc failed: ${why}` }
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' })
  return { binary, version: version.status === 0 ? version.stdout.trim() : '?' }
}

function hasTaskset(): boolean {
  return process.platform === 'linux' && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0
}

/** The process ids of the throwaway server (found by its socket path on the command line). */
function serverPids(server: ThrowawayServer): string[] {
  if (server.socketPath === undefined) return []
  const found = spawnSync('pgrep', ['-f', server.socketPath], { encoding: 'utf8' })
  return (found.stdout ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
}

/** Pins every thread of the throwaway server to CPU 0; returns whether it worked. */
function pinServer(server: ThrowawayServer): boolean {
  const pids = serverPids(server)
  if (pids.length === 0) return false
  return pids.every((pid) => spawnSync('taskset', ['-a', '-cp', '0', pid], { stdio: 'ignore' }).status === 0)
}

async function startServer(tls: boolean): Promise<ThrowawayServer> {
  const entry = new URL('../test/support/server.ts', import.meta.url).href
  let start: unknown
  try {
    start = ((await import(entry)) as Record<string, unknown>).startThrowawayServer
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new Error(`MYSQL_URL is not set and test/support/server.ts cannot be loaded (${why})`, {
      cause: err,
    })
  }
  if (typeof start !== 'function')
    throw new Error('test/support/server.ts does not export startThrowawayServer')
  // Plain unless --tls, so that no driver's default (aiomysql's sslMode 'preferred') changes the transport.
  const opts = { log: (line: string) => log(`server: ${line}`), tls }
  return (start as (o: typeof opts) => Promise<ThrowawayServer>)(opts)
}

function redact(url: string): string {
  const u = new URL(url)
  if (u.password !== '') u.password = '***'
  return u.toString()
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(`${BENCH_DIR}node_modules/${name}/package.json`, 'utf8')) as {
      version: string
    }
    return pkg.version
  } catch {
    return '?'
  }
}

function gitRevision(): string {
  const rev = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' })
  if (rev.status !== 0) return '?'
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' })
  return `${rev.stdout.trim()}${dirty.stdout.trim() !== '' ? ' + uncommitted src/' : ''}`
}

function columnVersion(c: Column, reference: Reference): string {
  if (c === REFERENCE) return `libmariadb ${'version' in reference ? reference.version : '?'} (C, cc -O2)`
  return `${c} ${c === 'aiomysql' ? gitRevision() : packageVersion(c)}`
}

/** Runs one measuring process and returns what it printed (or an error describing how it died). */
function runProcess(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  opts: { pin: boolean; timeoutMs: number },
): Promise<WorkerOutput> {
  const [file, args] = opts.pin ? ['taskset', ['-c', '1', cmd, ...argv]] : [cmd, argv]
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
    child.on('error', (err) => resolve({ error: `cannot start ${cmd}: ${err.message}` }))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'))
      if (line !== undefined) {
        try {
          resolve(JSON.parse(line) as WorkerOutput)
          return
        } catch {
          // fall through: report the raw output below
        }
      }
      const why =
        signal === 'SIGKILL' ? `killed after ${opts.timeoutMs / 1000} s` : `exited with ${code ?? signal}`
      const tail = stderr.trim().split('\n').slice(-3).join(' / ')
      resolve({ error: `worker ${why}${tail ? `: ${tail}` : ''}` })
    })
  })
}

interface RunContext {
  url: string
  /** The CA file every driver verifies against under --tls; undefined for a plain run. */
  caFile: string | undefined
  objects: boolean
  quick: boolean
  sizes: Sizes
  pin: boolean
  timeoutMs: number
  reference: Reference
  /** The throwaway server's process id (Linux): workers then report its CPU per op. */
  serverPid: string | undefined
}

/** One measurement of one column: a Node worker, or the compiled C reference. */
async function measure(column: Column, workload: Workload, ctx: RunContext): Promise<WorkerOutput> {
  const opts = { pin: ctx.pin, timeoutMs: ctx.timeoutMs }
  const ca = ctx.caFile === undefined ? [] : [ctx.caFile]
  if (column !== REFERENCE) {
    // The environment decides the sizes inside the worker; set it either way, never inherit it.
    const env = { ...process.env, [QUICK_ENV]: ctx.quick ? '1' : '0' }
    const args = [
      '--import',
      'tsx',
      WORKER,
      column,
      workload,
      ctx.url,
      ...(ctx.objects ? ['--objects'] : []),
      ...ca.flatMap((file) => ['--tls-ca', file]),
      ...(ctx.serverPid === undefined ? [] : ['--server-pid', ctx.serverPid]),
    ]
    return runProcess(process.execPath, args, env, opts)
  }
  if (!('binary' in ctx.reference)) return { skipped: ctx.reference.skipped }
  // The password goes through the environment, not the command line, where `ps` would show it.
  const u = parseMysqlUrl(ctx.url)
  const env = {
    ...process.env,
    BENCH_MYSQL_HOST: u.host,
    BENCH_MYSQL_PORT: String(u.port),
    BENCH_MYSQL_USER: u.user,
    BENCH_MYSQL_PASSWORD: u.password,
    BENCH_MYSQL_DB: u.database,
    // The C program reads the server's CPU time itself, around its timed run, as the workers do.
    ...(ctx.serverPid === undefined ? {} : { BENCH_SERVER_PID: ctx.serverPid }),
  }
  const size = ctx.sizes[workload]
  // libmariadb's default is autocommit on: its pool-autocommit row is its pool workload.
  const cWorkload = workload === 'pool-autocommit' ? 'pool' : workload
  const args = [cWorkload, size.count, size.warmup, TABLE_ROWS, ctx.sizes.pool.size].map(String)
  const out = await runProcess(ctx.reference.binary, [...args, ...ca], env, opts)
  // The C program checks its counts too; this keeps one rule for every column.
  const want = expectedOps(workload, ctx.sizes)
  if ('ops' in out && out.ops !== want) return { error: `${workload} did ${out.ops} ops, expected ${want}` }
  return out
}

/** The server-busy section of the report, when the run measured the server. */
function busyLines(busy: string, pinned: boolean): string[] {
  if (busy === '') return []
  const core = pinned ? 'its one core, CPU 0' : 'one core; the server is not pinned and may pass 100 %'
  return [
    `Server busy during each run (median rate × median server CPU per op, as a share of ${core}): ` +
      'near 100 % the server sets the rate and no client can go faster on that row:',
    '',
    busy,
    '',
  ]
}

function describe(out: WorkerOutput, workload: Workload): string {
  if ('skipped' in out) return `n/a (${out.skipped})`
  if ('error' in out) return `ERROR ${out.error}`
  return `${formatRate(out.rate)} ${UNITS[workload]}, ${out.cpuUsPerOp.toFixed(1)} µs CPU/op, ${out.peakRssMiB.toFixed(0)} MiB`
}

/** The method line about the transport: BENCH.md's first rule for a fair table. */
function transportLine(opts: {
  tls: boolean
  external: boolean
  caSource: string
  haveSsl: string
  columns: readonly Column[]
}): string {
  if (opts.tls) {
    return (
      `Transport: TLS for every driver, verified against ${opts.caSource} and the host name ` +
      "(aiomysql `sslMode: 'verify-identity', ssl: { ca }`; mysql2 and mariadb `ssl: { ca, rejectUnauthorized: true }`; " +
      'libmariadb MYSQL_OPT_SSL_CA + MYSQL_OPT_SSL_VERIFY_SERVER_CERT + MYSQL_OPT_SSL_ENFORCE)'
    )
  }
  if (!opts.external) {
    return (
      'Transport: plain TCP for every driver (the throwaway server is started without TLS, so every ' +
      "driver keeps its default options, aiomysql's `sslMode: 'preferred'` included)"
    )
  }
  const line = `Transport: whatever the server at MYSQL_URL offers to each driver's defaults (have_ssl = ${opts.haveSsl})`
  if (opts.haveSsl !== 'YES') return `${line}: plain TCP for every driver`
  const plain = opts.columns.filter((c) => c !== 'aiomysql').map(label)
  return opts.columns.includes('aiomysql') && plain.length > 0
    ? `${line}: aiomysql (default \`sslMode: 'preferred'\`) runs encrypted, ${plain.join(', ')} plain — ` +
        'NOT like for like; use --tls --tls-ca <ca.pem> for an all-TLS table'
    : `${line}: plain TCP for every driver in this run`
}

async function main(): Promise<void> {
  const opts = parseOptions()
  const sizes = sizesFor(opts.quick ? QUICK_DIVISOR : 1)
  ensureBenchDependencies()
  if (opts.columns.includes('aiomysql')) buildPackage()
  const reference: Reference = opts.columns.includes(REFERENCE)
    ? buildReference()
    : { skipped: 'not selected' }
  // Without a usable C reference its column (and the aiomysql / C ratio) is left out, with a note.
  const columns = opts.columns.filter((c) => c !== REFERENCE || 'binary' in reference)
  const notes: string[] = []
  if (opts.columns.includes(REFERENCE) && 'skipped' in reference)
    notes.push(`C reference skipped: ${reference.skipped}`)
  if (columns.length === 0) throw new Error(`no driver left to run (${notes.join('; ')})`)
  // Loaded only now: it needs mysql2 from bench/node_modules.
  const { prepareData } = await import('./setup.ts')

  let server: ThrowawayServer | undefined
  let url = process.env.MYSQL_URL
  const external = url !== undefined && url !== ''
  if (opts.tls && external && opts.tlsCa === undefined)
    throw new Error('--tls with MYSQL_URL needs --tls-ca <file>: the CA that signed that server')
  const stopServer = async (): Promise<void> => {
    const s = server
    server = undefined
    if (s !== undefined) await s.stop()
  }
  const onSignal = (): void => {
    void stopServer().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    if (url === undefined || url === '') {
      log(`bench: MYSQL_URL not set, starting a throwaway server (${opts.tls ? 'with' : 'without'} TLS)`)
      server = await startServer(opts.tls)
      url = server.url
    }
    const ownCa = server === undefined ? undefined : path.join(server.tlsDir, 'ca.pem')
    const caFile = opts.tls ? (opts.tlsCa ?? ownCa) : undefined
    const caSource = opts.tlsCa !== undefined ? opts.tlsCa : "the throwaway server's CA"
    const canPin = opts.pin && hasTaskset() && os.cpus().length >= 2
    const serverPinned = canPin && server !== undefined && pinServer(server)
    log(`bench: server ${redact(url)}${serverPinned ? ' (pinned to CPU 0)' : ''}`)

    const ca = caFile === undefined ? undefined : readFileSync(caFile, 'utf8')
    const info = await prepareData(url, opts.recreate, ca)
    log(`bench: ${info.version}; have_ssl ${info.haveSsl}; bench_rows ${info.created ? 'created' : 'reused'}`)

    const ctx: RunContext = {
      url,
      caFile,
      objects: opts.objects,
      quick: opts.quick,
      sizes,
      pin: canPin,
      timeoutMs: opts.timeoutMs,
      reference,
      // One mariadbd process (its threads are counted through /proc/<pid>/stat).
      serverPid:
        server !== undefined && process.platform === 'linux' && serverPids(server).length === 1
          ? serverPids(server)[0]
          : undefined,
    }
    const results: Results = new Map(
      opts.workloads.map((w) => [w, new Map(columns.map((d) => [d, { runs: [], errors: [] } as Cell]))]),
    )
    const started = Date.now()
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const workload of opts.workloads) {
        // Rotate the driver order every repetition (and workload) so no driver always runs first.
        const shift = (rep + opts.workloads.indexOf(workload)) % columns.length
        const order = [...columns.slice(shift), ...columns.slice(0, shift)]
        for (const column of order) {
          const cell = results.get(workload)!.get(column)!
          if (cell.skipped !== undefined) continue // the API is missing; no point asking again
          const out = await measure(column, workload, ctx)
          log(
            `[${rep + 1}/${opts.reps}] ${workload.padEnd(8)} ${column.padEnd(10)} ${describe(out, workload)}`,
          )
          if ('skipped' in out) cell.skipped = out.skipped
          else if ('error' in out) cell.errors.push(out.error)
          else cell.runs.push(out)
        }
      }
    }

    const cpus = os.cpus()
    const date = new Date().toISOString().slice(0, 10)
    const transport = transportLine({ tls: opts.tls, external, caSource, haveSsl: info.haveSsl, columns })
    if (opts.workloads.includes('pool-autocommit')) {
      notes.push(
        'pool-autocommit is the pool workload with aiomysql given `autocommit: true`, so each pool.query is one ' +
          'statement as in the other columns, whose drivers run their pool workload unchanged (autocommit is ' +
          'their default); the pool row is aiomysql with its defaults (statement and COMMIT).',
      )
    }
    if (columns.includes(REFERENCE)) {
      notes.push(
        'libmariadb (C) is bench/c/reference.c: values are read as the text the server sends (no conversion ' +
          'to numbers or dates), pool = 8 threads with a connection each, no prepared or pipeline workload.',
      )
    }
    const lines = [
      `### aiomysql benchmark — ${date}`,
      '',
      `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${os.type()} ${os.release()}, Node ${process.version}; ` +
        `server ${info.version} on ${new URL(url).hostname}`,
      `Drivers: ${columns.map((c) => columnVersion(c, reference)).join(', ')}; ` +
        `rows as ${opts.objects ? 'objects' : 'arrays'} (pool: objects)`,
      `Method: median of ${opts.reps} run(s), one process per driver and workload, drivers alternating; ` +
        `client ${canPin ? 'pinned to CPU 1' : 'not pinned'}, server ${serverPinned ? 'pinned to CPU 0' : 'not pinned'}; ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s` +
        (opts.quick ? `; QUICK: counts divided by ${QUICK_DIVISOR} (a smoke run, not a measurement)` : ''),
      transport,
      '',
      markdownTable(results, columns),
      '',
      ...notes,
      ...(notes.length > 0 ? [''] : []),
      ...busyLines(serverBusy(results, columns), serverPinned),
      'Runs (rate per repetition) and notes:',
      '',
      details(results, columns),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)

    if (opts.svg !== undefined) {
      // The chart is often seen without the table, so it carries the transport and a quick run's warning.
      const wire = opts.tls
        ? 'TLS (verified) for every driver'
        : external
          ? `transport: what the server offers (have_ssl = ${info.haveSsl})`
          : 'plain TCP for every driver'
      const quick = opts.quick ? `; QUICK smoke run (counts / ${QUICK_DIVISOR}), not a measurement` : ''
      const subtitle = [
        `${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}; Node ${process.version}; server ${info.version}`,
        `median of ${opts.reps} run(s); ${wire}${quick}`,
      ]
      writeFileSync(opts.svg, svgChart(results, columns, `aiomysql benchmark — ${date}`, subtitle))
      log(`bench: chart written to ${opts.svg}`)
    }

    if (opts.json !== undefined) {
      const raw = Object.fromEntries(
        [...results].map(([w, cells]) => [
          w,
          Object.fromEntries([...cells].map(([d, c]) => [d, c] as const)),
        ]),
      )
      const meta = {
        date: new Date().toISOString(),
        server: info.version,
        node: process.version,
        cpus: cpus.length,
        reps: opts.reps,
        quick: opts.quick,
        transport,
        notes,
      }
      writeFileSync(opts.json, `${JSON.stringify({ meta, results: raw }, null, 2)}\n`)
      log(`bench: raw results written to ${opts.json}`)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopServer()
  }
}

try {
  await main()
} catch (err) {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
}
