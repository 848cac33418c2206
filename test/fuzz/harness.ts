// The driver every fuzz property runs under (test/unit/fuzz-*.test.ts, test/integration/fuzz-*.test.ts).
// In `npm test` each property is one node:test test that runs its default numRuns once, with a fresh
// seed, so CI stays short. Under `npm run fuzz -- --seconds N` (test/fuzz/run.ts) the runner gives each
// file a time budget in FUZZ_FILE_SECONDS; every property of the file then repeats with fresh seeds
// until its share of that budget is spent, and appends its counts to FUZZ_REPORT for the final tally.
// A failure always prints its seed and path and the command that replays exactly that case
// (FUZZ_SEED / FUZZ_PATH select it; fast-check regenerates the same values from them).

import { appendFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'

/** Options of one property. */
export interface PropertyOptions {
  /** Runs per batch: the whole CI run for this property. */
  readonly numRuns: number
  /**
   * Bound on one async run (fast-check's timeout plugin): a run still pending then fails as a hang.
   * Synchronous code cannot be interrupted; its loops are bounded by construction instead.
   */
  readonly runTimeoutMs?: number
}

/** Registers one property as a node:test test. */
export type Register = <Ts>(name: string, options: PropertyOptions, make: () => fc.IRawProperty<Ts>) => void

/** What a file's properties append to FUZZ_REPORT, one JSON line per property. */
export interface PropertyReport {
  readonly file: string
  readonly property: string
  readonly runs: number
  readonly batches: number
  readonly failed: boolean
  readonly seed: number | null
  readonly path: string | null
  readonly ms: number
}

const fileBudgetMs = Number(process.env['FUZZ_FILE_SECONDS'] ?? 0) * 1000
const reportFile = process.env['FUZZ_REPORT'] ?? ''
const replaySeed = process.env['FUZZ_SEED'] === undefined ? null : Number(process.env['FUZZ_SEED'])
const replayPath = process.env['FUZZ_PATH'] ?? null
const repoRoot = path.resolve(import.meta.dirname, '../..')

/** Counterexamples can be large (packet lists, long strings); the report keeps the start. */
const MAX_SHOWN = 4000

/**
 * The `property(name, options, make)` function for one test file. Properties are counted as they are
 * registered (all at import), so by the time the first one runs each knows its share of the budget.
 */
export function fuzzer(file: string): Register {
  const display = path.relative(repoRoot, file)
  let registered = 0
  return function register<Ts>(
    name: string,
    options: PropertyOptions,
    make: () => fc.IRawProperty<Ts>,
  ): void {
    registered++
    test(name, async (t) => {
      const started = Date.now()
      // A property's share of its file's budget; 0 outside long runs, i.e. exactly one batch.
      const deadline = started + (fileBudgetMs > 0 ? fileBudgetMs / registered : 0)
      const replay = replaySeed !== null
      let runs = 0
      let batches = 0
      let failure: fc.RunDetails<unknown> | null = null
      do {
        const seed = replay ? replaySeed : freshSeed()
        const plugins: fc.UniversalPlugin[] = []
        if (options.runTimeoutMs !== undefined) plugins.push(fc.timeout(options.runTimeoutMs))
        // In a long run, stop a batch when the share is spent rather than overrun it by a whole batch.
        if (fileBudgetMs > 0 && !replay)
          plugins.push(fc.interruptAfterTimeLimit(Math.max(1, deadline - Date.now())))
        const params: fc.Parameters<Ts> = { numRuns: options.numRuns, seed, plugins }
        if (replay && replayPath !== null) params.path = replayPath
        const details = await fc.check(make(), params)
        runs += details.numRuns
        batches++
        // fast-check reports a batch whose time ran out before its first async run ended as failed,
        // with no counterexample: that is the end of the share, not a failure.
        const outOfTime = details.interrupted && details.counterexample === null
        if (details.failed && !outOfTime) {
          failure = details as fc.RunDetails<unknown>
          break
        }
      } while (!replay && Date.now() < deadline)
      report({
        file: display,
        property: name,
        runs,
        batches,
        failed: failure !== null,
        seed: failure?.seed ?? null,
        path: failure?.counterexamplePath ?? null,
        ms: Date.now() - started,
      })
      if (failure !== null) throw new Error(describeFailure(display, name, failure))
      t.diagnostic(`${runs} runs in ${batches} batch${batches === 1 ? '' : 'es'}`)
    })
  }
}

function freshSeed(): number {
  // fast-check seeds are 32-bit integers; Math.random is enough (the seed is printed, not secret).
  return (Math.random() * 0x1_0000_0000) | 0
}

function report(r: PropertyReport): void {
  // One short line per append: concurrent test files cannot interleave it (O_APPEND).
  if (reportFile !== '') appendFileSync(reportFile, JSON.stringify(r) + '\n')
}

/** The failure as a message: what failed, the minimal counterexample, and how to replay it. */
function describeFailure(file: string, name: string, d: fc.RunDetails<unknown>): string {
  // The error and its causes: a property often wraps what the library threw.
  const why: string[] = []
  for (let e: unknown = d.errorInstance, depth = 0; e !== undefined && depth < 4; depth++) {
    why.push(e instanceof Error ? (e.stack ?? e.message) : fc.stringify(e))
    e = e instanceof Error ? e.cause : undefined
  }
  let shown = fc.stringify(d.counterexample)
  if (shown.length > MAX_SHOWN) shown = shown.slice(0, MAX_SHOWN) + ` … (${shown.length} characters)`
  const pattern = name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
  return [
    `property failed after ${d.numRuns} run(s) and ${d.numShrinks} shrink(s): ${name}`,
    `seed: ${d.seed}  path: ${d.counterexamplePath ?? '(none)'}`,
    `replay: FUZZ_SEED=${d.seed} FUZZ_PATH='${d.counterexamplePath ?? ''}' npx tsx test/run.ts ${file} ` +
      `'--test-name-pattern=^${pattern}$'`,
    `counterexample: ${shown}`,
    `error: ${why.join('\ncaused by: ')}`,
  ].join('\n')
}
