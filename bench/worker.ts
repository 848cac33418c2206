// One driver, one workload, one process: `node --import tsx bench/worker.ts <driver> <workload> <url>
// [--objects] [--tls-ca ca.pem]`. Runs the warm-up, times the run, and prints exactly one JSON line on
// stdout: a measurement, `{"skipped": reason}` when the driver lacks the API, or `{"error": message}`.
// With --tls-ca the driver connects over TLS verified against that CA; `--quick` sizes come from the
// environment (see SIZES).
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

async function measure(driver: DriverName, workload: Workload, opts: BenchOptions): Promise<WorkerOutput> {
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
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const ops = await bench.run()
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
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
    `usage: worker.ts <${DRIVERS.join('|')}> <${WORKLOADS.join('|')}> <mysql-url> [--objects] [--tls-ca file]\n`,
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
    out = await measure(driver, workload, { url, objects: args.values.objects, ca })
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
    options: { objects: { type: 'boolean', default: false }, 'tls-ca': { type: 'string' } },
    strict: true,
  })
}

// Exit explicitly: a driver that leaves a handle open must not keep the worker (and the run) alive.
process.exit(await main())
