// Turns the workers' measurements into the Markdown table of BENCH.md: medians per driver and workload,
// the ratios of aiomysql to the best Node peer and to the C reference, client CPU per op and peak RSS
// per driver (the RSS columns are what the decode and stream rows are judged by), and the server's CPU
// per op where the worker could read it (what bounds a workload when the server is the busy side).
import { type Column, type Measurement, REFERENCE, UNITS, type Workload } from './workloads.ts'

/** Everything one (workload, driver) cell collected over the repetitions. */
export interface Cell {
  runs: Measurement[]
  skipped?: string
  errors: string[]
}

export type Results = Map<Workload, Map<Column, Cell>>

/** A column's name in the table and the chart. */
export function label(c: Column): string {
  return c === REFERENCE ? 'libmariadb (C)' : c
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** 6712 → "6.71k", 24512 → "24.5k", 427000 → "427k". */
export function formatRate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toPrecision(3)}M`
  if (v >= 1e3) return `${(v / 1e3).toPrecision(3)}k`
  return v.toPrecision(3)
}

function formatCpu(us: number): string {
  return us >= 10 ? us.toFixed(0) : us.toFixed(2)
}

export interface Summary {
  rate: number
  cpu: number
  rss: number
  /** the server's CPU µs per op; undefined when no run could read it */
  server: number | undefined
}

/** The medians of a cell, or why there are none ('n/a', 'error', or '—' for a driver not in the run). */
export function summarize(cell: Cell | undefined): Summary | string {
  if (cell === undefined) return '—'
  if (cell.runs.length === 0) return cell.errors.length > 0 ? 'error' : 'n/a'
  return {
    rate: median(cell.runs.map((r) => r.rate)),
    cpu: median(cell.runs.map((r) => r.cpuUsPerOp)),
    rss: median(cell.runs.map((r) => r.peakRssMiB)),
    server: serverMedian(cell.runs),
  }
}

function serverMedian(runs: Measurement[]): number | undefined {
  const values = runs.flatMap((r) => (r.serverCpuUsPerOp === undefined ? [] : [r.serverCpuUsPerOp]))
  return values.length === 0 ? undefined : median(values)
}

const PEERS: readonly Column[] = ['mysql2', 'mariadb']

function ratio(ours: Summary | string | undefined, others: (Summary | string | undefined)[]): string {
  const rates = others.flatMap((v) => (v !== undefined && typeof v !== 'string' ? [v.rate] : []))
  return ours !== undefined && typeof ours !== 'string' && rates.length > 0
    ? (ours.rate / Math.max(...rates)).toFixed(2)
    : 'n/a'
}

/**
 * One row per workload: the rate of every column (C reference first), aiomysql / best Node peer,
 * aiomysql / C (when the C reference is in the run), then CPU µs/op and peak RSS MiB per column, and
 * server CPU µs/op per column when the run measured it.
 */
export function markdownTable(results: Results, columns: readonly Column[]): string {
  const withC = columns.includes(REFERENCE)
  const withServer = [...results.values()].some((cells) =>
    [...cells.values()].some((cell) => cell.runs.some((r) => r.serverCpuUsPerOp !== undefined)),
  )
  const head = [
    'workload',
    'unit',
    ...columns.map(label),
    'aiomysql / best peer',
    ...(withC ? ['aiomysql / C'] : []),
    ...columns.map((d) => `CPU µs/op ${label(d)}`),
    ...columns.map((d) => `peak RSS MiB ${label(d)}`),
    ...(withServer ? columns.map((d) => `server CPU µs/op ${label(d)}`) : []),
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, k) => (k < 2 ? '---' : '---:')).join('|')}|`]
  for (const [workload, cells] of results) {
    const s = new Map(columns.map((d) => [d, summarize(cells.get(d))] as const))
    const num = (d: Column, pick: (x: Summary) => string): string => {
      const v = s.get(d)
      return v === undefined ? '—' : typeof v === 'string' ? v : pick(v)
    }
    const ours = s.get('aiomysql')
    lines.push(
      `| ${[
        workload,
        UNITS[workload],
        ...columns.map((d) => num(d, (v) => formatRate(v.rate))),
        ratio(
          ours,
          PEERS.map((d) => s.get(d)),
        ),
        ...(withC ? [ratio(ours, [s.get(REFERENCE)])] : []),
        ...columns.map((d) => num(d, (v) => formatCpu(v.cpu))),
        ...columns.map((d) => num(d, (v) => v.rss.toFixed(0))),
        ...(withServer
          ? columns.map((d) => num(d, (v) => (v.server === undefined ? 'n/a' : formatCpu(v.server))))
          : []),
      ].join(' | ')} |`,
    )
  }
  return lines.join('\n')
}

/**
 * How busy the server's one core was during each column's run (median rate × median server CPU per
 * op), per workload: near 100 % the server, not the client, sets the rate, and no driver can go
 * faster on that row. Empty when the run did not measure the server.
 */
export function serverBusy(results: Results, columns: readonly Column[]): string {
  const out: string[] = []
  for (const [workload, cells] of results) {
    const parts = columns.flatMap((d) => {
      const v = summarize(cells.get(d))
      return typeof v === 'string' || v.server === undefined
        ? []
        : [`${label(d)} ${Math.round((v.rate * v.server) / 1e4)} %`]
    })
    if (parts.length > 0) out.push(`- ${workload}: ${parts.join(', ')}`)
  }
  return out.join('\n')
}

/** Every repetition's rate, and why a cell is n/a or error, for judging the noise behind a median. */
export function details(results: Results, drivers: readonly Column[]): string {
  const out: string[] = []
  for (const [workload, cells] of results) {
    for (const d of drivers) {
      const cell = cells.get(d)
      if (cell === undefined) continue
      const rates = cell.runs.map((r) => formatRate(r.rate)).join(', ')
      const notes = [
        cell.skipped !== undefined ? `skipped: ${cell.skipped}` : '',
        ...cell.errors.map((e) => `error: ${e}`),
        ...cell.runs.flatMap((r) => (r.closeError !== undefined ? [`close failed: ${r.closeError}`] : [])),
      ].filter((x) => x !== '')
      out.push(
        `- ${workload} / ${label(d)}: ${rates || '—'}${notes.length > 0 ? ` (${[...new Set(notes)].join('; ')})` : ''}`,
      )
    }
  }
  return out.join('\n')
}
