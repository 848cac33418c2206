// Live-heap measurement for the flat-memory streaming tests: collect garbage first, so the number
// is what the process still holds, not what the next collection would free.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Returns a probe: each call collects garbage and gives heap growth since the baseline, in bytes. */
export function liveHeapGrowth(): () => number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  const base = process.memoryUsage().heapUsed
  return () => {
    gc()
    return process.memoryUsage().heapUsed - base
  }
}
