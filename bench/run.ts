// `npm run bench`: aiomysql, mysql2 and mariadb on the same server and data, each workload in its own
// child process, drivers alternating, server and client pinned to different cores when possible; prints
// the BENCH.md table (medians) on stdout and progress on stderr.
//
//   npm run bench -- [--reps 3] [--only select1,decode] [--drivers aiomysql,mysql2,mariadb]
//                    [--objects] [--no-pin] [--recreate] [--timeout 600] [--json results.json]
//
// MYSQL_URL=mysql://user:pw@host:port/db selects an existing server; otherwise a throwaway MariaDB is
// started by test/support/server.ts and stopped at the end.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type Cell, type Results, details, formatRate, markdownTable } from './report.ts'
import { DRIVERS, type DriverName, UNITS, WORKLOADS, type Workload, type WorkerOutput } from './workloads.ts'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

interface ThrowawayServer {
  url: string
  socketPath?: string
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
      'no-pin': { type: 'boolean', default: false },
      recreate: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      json: { type: 'string' },
    },
    strict: true,
  })
  const reps = Number(values.reps)
  const timeoutS = Number(values.timeout)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps must be a positive integer, got ${values.reps}`)
  if (!(timeoutS > 0))
    throw new Error(`--timeout must be a positive number of seconds, got ${values.timeout}`)
  return {
    reps,
    timeoutMs: timeoutS * 1000,
    workloads: list(values.only, WORKLOADS, 'workload'),
    drivers: list(values.drivers, DRIVERS, 'driver'),
    objects: values.objects,
    pin: !values['no-pin'],
    recreate: values.recreate,
    json: values.json,
  }
}

/** The peers live in bench/'s own package so they never enter the library's install. */
function ensureBenchDependencies(): void {
  const installed = ['mysql2', 'mariadb'].every((p) =>
    existsSync(`${BENCH_DIR}node_modules/${p}/package.json`),
  )
  if (installed) return
  log('bench: installing mysql2 and mariadb into bench/node_modules (npm ci --prefix bench)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 2, 2],
  })
  if (r.status !== 0) throw new Error('npm ci --prefix bench failed')
}

/** Measure the compiled package (dist/), as users run it, not the sources through tsx. */
function buildPackage(): void {
  log('bench: building dist/ (npm run build)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) throw new Error('npm run build failed')
}

function hasTaskset(): boolean {
  return process.platform === 'linux' && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0
}

/** Pins every thread of the throwaway server to CPU 0; returns whether it worked. */
function pinServer(server: ThrowawayServer): boolean {
  if (server.socketPath === undefined) return false
  const found = spawnSync('pgrep', ['-f', server.socketPath], { encoding: 'utf8' })
  const pids = (found.stdout ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
  if (pids.length === 0) return false
  return pids.every((pid) => spawnSync('taskset', ['-a', '-cp', '0', pid], { stdio: 'ignore' }).status === 0)
}

async function startServer(): Promise<ThrowawayServer> {
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
  const opts = { log: (line: string) => log(`server: ${line}`) }
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

function driverVersion(driver: DriverName): string {
  return `${driver} ${driver === 'aiomysql' ? gitRevision() : packageVersion(driver)}`
}

/** Runs one worker process and returns what it printed (or an error describing how it died). */
function runWorker(
  driver: DriverName,
  workload: Workload,
  url: string,
  opts: { pin: boolean; objects: boolean; timeoutMs: number },
): Promise<WorkerOutput> {
  const args = ['--import', 'tsx', WORKER, driver, workload, url, ...(opts.objects ? ['--objects'] : [])]
  const [cmd, argv] = opts.pin
    ? ['taskset', ['-c', '1', process.execPath, ...args]]
    : [process.execPath, args]
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
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

function describe(out: WorkerOutput, workload: Workload): string {
  if ('skipped' in out) return `n/a (${out.skipped})`
  if ('error' in out) return `ERROR ${out.error}`
  return `${formatRate(out.rate)} ${UNITS[workload]}, ${out.cpuUsPerOp.toFixed(1)} µs CPU/op, ${out.peakRssMiB.toFixed(0)} MiB`
}

async function main(): Promise<void> {
  const opts = parseOptions()
  ensureBenchDependencies()
  buildPackage()
  // Loaded only now: it needs mysql2 from bench/node_modules.
  const { prepareData } = await import('./setup.ts')

  let server: ThrowawayServer | undefined
  let url = process.env.MYSQL_URL
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
      log('bench: MYSQL_URL not set, starting a throwaway server')
      server = await startServer()
      url = server.url
    }
    const canPin = opts.pin && hasTaskset() && os.cpus().length >= 2
    const serverPinned = canPin && server !== undefined && pinServer(server)
    log(`bench: server ${redact(url)}${serverPinned ? ' (pinned to CPU 0)' : ''}`)

    const info = await prepareData(url, opts.recreate)
    log(`bench: ${info.version}; bench_rows ${info.created ? 'created' : 'reused'}`)

    const results: Results = new Map(
      opts.workloads.map((w) => [w, new Map(opts.drivers.map((d) => [d, { runs: [], errors: [] } as Cell]))]),
    )
    const started = Date.now()
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const workload of opts.workloads) {
        // Rotate the driver order every repetition (and workload) so no driver always runs first.
        const shift = (rep + opts.workloads.indexOf(workload)) % opts.drivers.length
        const order = [...opts.drivers.slice(shift), ...opts.drivers.slice(0, shift)]
        for (const driver of order) {
          const cell = results.get(workload)!.get(driver)!
          if (cell.skipped !== undefined) continue // the API is missing; no point asking again
          const out = await runWorker(driver, workload, url, {
            pin: canPin,
            objects: opts.objects,
            timeoutMs: opts.timeoutMs,
          })
          log(
            `[${rep + 1}/${opts.reps}] ${workload.padEnd(8)} ${driver.padEnd(8)} ${describe(out, workload)}`,
          )
          if ('skipped' in out) cell.skipped = out.skipped
          else if ('error' in out) cell.errors.push(out.error)
          else cell.runs.push(out)
        }
      }
    }

    const cpus = os.cpus()
    const lines = [
      `### aiomysql benchmark — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${os.type()} ${os.release()}, Node ${process.version}; ` +
        `server ${info.version} on ${new URL(url).hostname}`,
      `Drivers: ${opts.drivers.map(driverVersion).join(', ')}; ` +
        `rows as ${opts.objects ? 'objects' : 'arrays'} (pool: objects)`,
      `Method: median of ${opts.reps} run(s), one process per driver and workload, drivers alternating; ` +
        `client ${canPin ? 'pinned to CPU 1' : 'not pinned'}, server ${serverPinned ? 'pinned to CPU 0' : 'not pinned'}; ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s`,
      '',
      markdownTable(results, opts.drivers),
      '',
      'Runs (rate per repetition) and notes:',
      '',
      details(results, opts.drivers),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)

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
