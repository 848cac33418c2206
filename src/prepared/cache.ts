// The per-connection LRU of prepared statements (SPEC §11), keyed by the current database and the
// final SQL text. A Map keeps insertion order, so re-inserting on use makes the first key the least
// recently used. Eviction only retires the entry; the runner closes it on the server once unused.

import type { StatementEntry } from './entry.ts'

export class StatementCache {
  readonly #entries = new Map<string, StatementEntry>()
  readonly #capacity: number
  /** The most recently used key: a hit on it needs no reordering (a statement run again and again). */
  #newest: string | null = null

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  /** The live entry for `key`, now the most recently used; undefined when absent or retired. */
  get(key: string): StatementEntry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (key === this.#newest && !entry.retired) return entry
    this.#entries.delete(key)
    if (entry.retired) {
      if (key === this.#newest) this.#newest = null
      return undefined
    }
    this.#entries.set(key, entry)
    this.#newest = key
    return entry
  }

  /** Keep `entry`; returns the entries pushed out to stay within the capacity (already retired). */
  add(key: string, entry: StatementEntry): StatementEntry[] {
    if (this.#capacity === 0) {
      entry.retired = true
      return []
    }
    const evicted: StatementEntry[] = []
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    this.#newest = key
    for (const [k, old] of this.#entries) {
      if (this.#entries.size <= this.#capacity) break
      this.#entries.delete(k)
      old.retired = true
      evicted.push(old)
    }
    return evicted
  }

  /** Forget every entry (the server already has: reset or reconnect). */
  clear(): StatementEntry[] {
    const all = [...this.#entries.values()]
    this.#entries.clear()
    this.#newest = null
    return all
  }
}
