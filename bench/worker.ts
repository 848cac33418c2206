// One driver, one workload, one process: `node --import tsx bench/worker.ts <driver> <workload> <url>
// [--objects] [--tls-ca ca.pem]`. Runs the warm-up, times the run, and prints exactly one JSON line on
// stdout: a measurement, `{"skipped": reason}` when the driver lacks the API, or `{"error": message}`.
// With --tls-ca the driver connects over TLS verified against that CA; `--quick` sizes come from the
// environment (see SIZES). With --server-pid (Linux) it also reports the server's CPU per op during
// the timed run, from /proc/<pid>/stat.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import {
  type Bench,
  type BenchOptions,
  DRIVERS,
  type DriverModule,
  type DriverName,
  type Measurement,
  WORKLOADS,
  type Workload,
  type WorkerOutput,
  expectedOps,
} from './workloads.ts'

function isOneOf<T extends string>(list: readonly T[], v: string | undefined): v is T {
  return v !== undefined && (list as readonly string[]).includes(v)
}

function message(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/**
 * A reader of the server process's CPU time in microseconds (user + system of all its threads, dead
 * ones included: fields 14 and 15 of /proc/<pid>/stat, in clock ticks), or null when unreadable.
 */
function serverClock(pid: number | undefined): (() => number) | null {
  if (pid === undefined) return null
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout)
  const read = (): number => {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticks
  }
  try {
    return Number.isFinite(ticks) && ticks > 0 && Number.isFinite(read()) ? read : null
  } catch {
    return null
  }
}

async function measure(
  driver: DriverName,
  workload: Workload,
  opts: BenchOptions,
  serverCpu: (() => number) | null,
): Promise<WorkerOutput> {
  const entry = new URL(`./drivers/${driver}.ts`, import.meta.url).href
  const mod = ((await import(entry)) as { default: DriverModule }).default
  const factory = mod[workload]
  if (factory === undefined) return { skipped: `${driver} has no ${workload} workload` }

  let bench: Bench
  try {
    bench = await factory(opts)
  } catch (err) {
    if (err instanceof Error && err.name === 'Skip') return { skipped: err.message }
    throw err
  }
  let result: Measurement
  try {
    await bench.warmup()
    const server0 = serverCpu?.()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const ops = await bench.run()
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const server1 = serverCpu?.()
    const want = expectedOps(workload)
    if (ops !== want) throw new Error(`${workload} did ${ops} ops, expected ${want}`)
    result = {
      driver,
      workload,
      ops,
      seconds,
      rate: ops / seconds,
      cpuUsPerOp: (cpu.user + cpu.system) / ops,
      userUsPerOp: cpu.user / ops,
      systemUsPerOp: cpu.system / ops,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }
    if (server0 !== undefined && server1 !== undefined) result.serverCpuUsPerOp = (server1 - server0) / ops
  } catch (err) {
    await bench.close().catch(() => undefined)
    if (err instanceof Error && err.name === 'Skip') return { skipped: err.message }
    throw err
  }
  try {
    await bench.close()
  } catch (err) {
    result.closeError = message(err)
  }
  return result
}

function usage(): number {
  process.stderr.write(
    `usage: worker.ts <${DRIVERS.join('|')}> <${WORKLOADS.join('|')}> <mysql-url> [--objects] [--tls-ca file] [--server-pid pid]\n`,
  )
  return 2
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>
  try {
    args = parseCommandLine()
  } catch {
    return usage()
  }
  const [driver, workload, url] = args.positionals
  if (!isOneOf(DRIVERS, driver) || !isOneOf(WORKLOADS, workload) || url === undefined) return usage()
  let out: WorkerOutput
  try {
    // Read before anything is timed; a missing CA file is an error, never a silent plain run.
    const caFile = args.values['tls-ca']
    const ca = caFile === undefined ? undefined : readFileSync(caFile, 'utf8')
    const pid = args.values['server-pid']
    const serverCpu = serverClock(pid === undefined ? undefined : Number(pid))
    out = await measure(driver, workload, { url, objects: args.values.objects, ca }, serverCpu)
  } catch (err) {
    out = { error: message(err) }
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
  }
  await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(out)}\n`, () => resolve()))
  return 'error' in out ? 1 : 0
}

function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: {
      objects: { type: 'boolean', default: false },
      'tls-ca': { type: 'string' },
      'server-pid': { type: 'string' },
    },
    strict: true,
  })
}

// Exit explicitly: a driver that leaves a handle open must not keep the worker (and the run) alive.
process.exit(await main())
