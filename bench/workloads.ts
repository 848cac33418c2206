// The workloads of BENCH.md, defined once so that every driver runs exactly the same amount of work on
// the same ids and rows. Driver files only say *how* their library does each step; counts, ids, SQL and
// the task runner live here.

export const WORKLOADS = [
  'select1',
  'decode',
  'stream',
  'bulk',
  'batch',
  'pool',
  'pool-autocommit',
  'prepared',
  'pipeline',
] as const
export type Workload = (typeof WORKLOADS)[number]

/** The Node drivers, each run by worker.ts. */
export const DRIVERS = ['aiomysql', 'mysql2', 'mariadb'] as const
export type DriverName = (typeof DRIVERS)[number]

/** The C reference (bench/c/reference.c on libmariadb), run as its own executable. */
export const REFERENCE = 'libmariadb'

/** Every column of the table, in table order: the C reference first, this library last. */
export const COLUMNS = [REFERENCE, 'mysql2', 'mariadb', 'aiomysql'] as const
export type Column = (typeof COLUMNS)[number]

export const TABLE_ROWS = 100_000

/** `--quick` divides the counts by this (smoke runs only: the numbers mean little). */
export const QUICK_DIVISOR = 20
/** Set to '1' by run.ts in every worker's environment under `--quick`. */
export const QUICK_ENV = 'BENCH_QUICK'

export interface Size {
  readonly count: number
  readonly warmup: number
}
export interface Sizes extends Record<Workload, Size> {
  readonly pool: Size & { readonly tasks: number; readonly size: number }
}

/**
 * How much each workload does: `count` operations timed, `warmup` operations before the clock starts,
 * divided by `divisor` for smoke runs. decode and stream count full-table reads (5 × 100,000 rows, one
 * read of warm-up), which cannot shrink below one read. The pool's concurrency never shrinks.
 */
export function sizesFor(divisor: number): Sizes {
  const d = (n: number): number => Math.max(1, Math.round(n / divisor))
  return {
    select1: { count: d(20_000), warmup: d(2_000) },
    decode: { count: d(5), warmup: 1 },
    stream: { count: d(5), warmup: 1 },
    bulk: { count: d(100_000), warmup: d(10_000) },
    batch: { count: d(100_000), warmup: d(10_000) },
    pool: { count: d(40_000), warmup: d(4_000), tasks: 64, size: 8 },
    // The pool workload again, with aiomysql's autocommit on (its concurrency is the pool's).
    'pool-autocommit': { count: d(40_000), warmup: d(4_000) },
    prepared: { count: d(20_000), warmup: d(2_000) },
    pipeline: { count: d(20_000), warmup: d(2_000) },
  }
}

/** The sizes of this process: workers learn about `--quick` from their environment. */
export const SIZES: Sizes = sizesFor(process.env[QUICK_ENV] === '1' ? QUICK_DIVISOR : 1)

/** What one "op" is in each workload, for the rate column. */
export const UNITS: Record<Workload, string> = {
  select1: 'queries/s',
  decode: 'rows/s',
  stream: 'rows/s',
  bulk: 'rows/s',
  batch: 'rows/s',
  pool: 'queries/s',
  'pool-autocommit': 'queries/s',
  prepared: 'queries/s',
  pipeline: 'queries/s',
}

export const SQL = {
  select1: 'SELECT 1',
  all: 'SELECT * FROM bench_rows',
  truncateBulk: 'TRUNCATE TABLE bench_bulk',
} as const

/** Point select with the driver's placeholder (`?` for mysql2/mariadb, `%s` for aiomysql). */
export function pointSql(placeholder: '?' | '%s'): string {
  return `SELECT * FROM bench_rows WHERE id = ${placeholder}`
}

/** Bulk insert statement with one row's placeholders. */
export function bulkSql(placeholder: '?' | '%s'): string {
  return `INSERT INTO bench_bulk (a, b, c) VALUES (${placeholder}, ${placeholder}, ${placeholder})`
}

/**
 * `n` primary keys in 1..TABLE_ROWS, pseudo-random but identical in every process (a fixed-seed LCG),
 * so no driver is favoured by a warmer part of the buffer pool.
 */
export function pointIds(n: number, seed = 12345): Int32Array {
  const ids = new Int32Array(n)
  let x = seed >>> 0
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    ids[k] = (x % TABLE_ROWS) + 1
  }
  return ids
}

export type BulkRow = [number, string, number]

/** The rows of the bulk workload: (INT, VARCHAR, DOUBLE), built before the clock starts. */
export function bulkRows(n: number, offset = 0): BulkRow[] {
  const rows: BulkRow[] = new Array<BulkRow>(n)
  for (let k = 0; k < n; k++) {
    const v = offset + k
    rows[k] = [v, `bulk row ${v} some text to fill`, v * 1.25 + 0.5]
  }
  return rows
}

/**
 * Runs `count` calls of `fn(index)` with `tasks` concurrent workers pulling the next index from a shared
 * counter; resolves when all are done, rejects on the first failure.
 */
export async function runTasks(
  count: number,
  tasks: number,
  fn: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      await fn(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(tasks, count) }, worker))
}

/** Throws when a read returned the wrong number of rows: a short read must never produce a number. */
export function expectRows(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`${what}: expected ${want} rows, got ${got}`)
}

/** Connection parameters from a mysql:// URL, for drivers (and pools) that take an options object. */
export interface UrlParts {
  host: string
  port: number
  user: string
  password: string
  database: string
}

export function parseMysqlUrl(url: string): UrlParts {
  const u = new URL(url)
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:')
    throw new Error(`not a mysql:// URL: ${u.protocol}`)
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  }
}

/**
 * One workload instance inside a worker process. `warmup` runs first and must leave the server as
 * `run` expects it (the bulk warm-up truncates its table again); only `run` is timed. `run` returns the
 * number of ops it did (queries or rows), which the worker checks against the expected count.
 */
export interface Bench {
  warmup(): Promise<void>
  run(): Promise<number>
  close(): Promise<void>
}

/**
 * Options every driver file receives. `objects` asks for object rows where arrays are the default. `ca`
 * (PEM text) asks for TLS verified against that CA and the host name; without it the driver keeps its
 * default transport (plain for the peers, `sslMode: 'preferred'` for aiomysql).
 */
export interface BenchOptions {
  url: string
  objects: boolean
  ca: string | undefined
}

/** A driver's implementation of the workloads; a missing one, or one that throws `Skip`, is `n/a`. */
export type DriverModule = Partial<Record<Workload, (opts: BenchOptions) => Promise<Bench>>>

/** What a worker measured for one driver and workload (one JSON line on its stdout). */
export interface Measurement {
  driver: Column
  workload: Workload
  ops: number
  seconds: number
  /** ops per second of wall time */
  rate: number
  /** client CPU (user + system) per op, in microseconds */
  cpuUsPerOp: number
  userUsPerOp: number
  systemUsPerOp: number
  /** peak resident set size of the whole worker process, in MiB */
  peakRssMiB: number
  /**
   * the server's CPU (every thread, user + system) per op during the timed run, in microseconds; only
   * when the worker was told the server's process id (the harness's throwaway server on Linux)
   */
  serverCpuUsPerOp?: number
  closeError?: string
}
export type WorkerOutput = Measurement | { skipped: string } | { error: string }

/** Thrown by a driver file when the library lacks what a workload needs (reported as skipped). */
export class Skip extends Error {
  override name = 'Skip'
}

/**
 * A `Bench` over one resource (a connection or a pool): `go(n)` does n ops (or n full reads) and
 * returns the ops it did; warm-up is `go(sizes.warmup)`, the timed run `go(sizes.count)`.
 */
export function benchOf(
  sizes: { readonly count: number; readonly warmup: number },
  go: (n: number) => Promise<number>,
  close: () => Promise<void>,
): Bench {
  return { warmup: async () => void (await go(sizes.warmup)), run: () => go(sizes.count), close }
}

/** The ids every point-select workload walks through, in order (the warm-up reuses the first ones). */
export const IDS: Int32Array = pointIds(SIZES.pool.count)

/** The number of ops `run` must report for a workload. */
export function expectedOps(w: Workload, sizes: Sizes = SIZES): number {
  switch (w) {
    case 'decode':
    case 'stream':
      return sizes[w].count * TABLE_ROWS
    case 'select1':
    case 'bulk':
    case 'batch':
    case 'pool':
    case 'pool-autocommit':
    case 'prepared':
    case 'pipeline':
      return sizes[w].count
  }
}
