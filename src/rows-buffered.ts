// RowSource over results held in memory (Cursor, DictCursor): every result set of the statement was
// read by execute(); reading, scrolling both ways and nextSet() then work on the arrays.

import type { BufferedResults, BufferedSet } from './buffered-result.ts'
import { raise } from './error-map.ts'
import { IndexError } from './errors.ts'
import type { ResultInfo, RowSource } from './row-source.ts'

export class BufferedRows implements RowSource {
  #results: BufferedResults
  #setIndex = 0
  #set: BufferedSet
  /** The current set's info, made once (execute and fetchAll both ask; a held result never changes). */
  #info: ResultInfo | null = null
  position = 0

  constructor(results: BufferedResults) {
    this.#results = results
    this.#set = results.sets[0]!
  }

  info(): ResultInfo {
    return (this.#info ??= infoOf(this.#set))
  }

  async next(): Promise<unknown> {
    const rows = this.#set.rows
    return this.position < rows.length ? rows[this.position++] : null
  }

  nextNow(): unknown {
    const rows = this.#set.rows
    return this.position < rows.length ? rows[this.position++] : undefined
  }

  async many(limit: number): Promise<unknown[]> {
    return this.manyNow(limit)
  }

  manyNow(limit: number): unknown[] {
    const rows = this.#set.rows
    // The whole result untouched is handed over as it is (no copy), as fetchAll() always did.
    const out =
      this.position === 0 && limit >= rows.length ? rows : rows.slice(this.position, this.position + limit)
    this.position += out.length
    return out
  }

  async moveTo(target: number): Promise<void> {
    if (target < 0 || target >= this.#set.rows.length) throw new IndexError('out of range')
    this.position = target
  }

  async nextSet(): Promise<boolean> {
    const results = this.#results
    const next = results.sets[this.#setIndex + 1]
    if (next === undefined) {
      if (results.laterError !== null) {
        const err = results.laterError
        this.#results = { sets: results.sets, laterError: null }
        throw raise(err)
      }
      return false
    }
    this.#setIndex++
    this.#set = next
    this.#info = null
    this.position = 0
    return true
  }

  async close(): Promise<void> {}
}

function infoOf(set: BufferedSet): ResultInfo {
  const s = set.summary
  return set.columns !== null
    ? {
        columns: set.columns,
        rowCount: set.rows.length,
        lastRowId: null,
        warningCount: s.warningCount,
        info: '',
      }
    : {
        columns: null,
        rowCount: Number(s.affectedRows),
        lastRowId: s.insertId,
        warningCount: s.warningCount,
        info: s.info,
      }
}
