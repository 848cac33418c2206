// One driver, one workload, one process: `node --import tsx bench/worker.ts <driver> <workload> <url>
// [--objects]`. Runs the warm-up, times the run, and prints exactly one JSON line on stdout:
// a measurement, `{"skipped": reason}` when the driver lacks the API, or `{"error": message}`.
import { performance } from 'node:perf_hooks'
import {
  type Bench,
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

async function measure(
  driver: DriverName,
  workload: Workload,
  url: string,
  objects: boolean,
): Promise<WorkerOutput> {
  const entry = new URL(`./drivers/${driver}.ts`, import.meta.url).href
  const mod = ((await import(entry)) as { default: DriverModule }).default
  const factory = mod[workload]
  if (factory === undefined) return { skipped: `${driver} has no ${workload} workload` }

  let bench: Bench
  try {
    bench = await factory({ url, objects })
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

async function main(): Promise<number> {
  const [driver, workload, url, ...rest] = process.argv.slice(2)
  if (!isOneOf(DRIVERS, driver) || !isOneOf(WORKLOADS, workload) || url === undefined) {
    process.stderr.write(
      `usage: worker.ts <${DRIVERS.join('|')}> <${WORKLOADS.join('|')}> <mysql-url> [--objects]\n`,
    )
    return 2
  }
  let out: WorkerOutput
  try {
    out = await measure(driver, workload, url, rest.includes('--objects'))
  } catch (err) {
    out = { error: message(err) }
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
  }
  await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(out)}\n`, () => resolve()))
  return 'error' in out ? 1 : 0
}

// Exit explicitly: a driver that leaves a handle open must not keep the worker (and the run) alive.
process.exit(await main())
