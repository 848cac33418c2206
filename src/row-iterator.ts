// `for await (const row of cur)` without an async generator. An async generator awaits every value it
// yields and resolves each next() through its own request queue: several microtask turns and promises
// per row, the largest per-row cost of a streamed read after decoding. This iterator hands out a row
// already at hand in one settled promise, and waits only when the queue is empty; it keeps a
// generator's contract: calls are answered in order even when not awaited, an error ends it, and
// return(), throw() and asyncDispose finish it.

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true })
const settled: Promise<unknown> = Promise.resolve()

export class RowIterator<Row> implements AsyncGenerator<Row, void, undefined> {
  /** A row at hand now, or undefined when the next one must be waited for; throws when unreadable. */
  readonly #take: () => Row | undefined
  /** Waits for the next row; null at the end of the result. */
  readonly #fetch: () => Promise<Row | null>
  #done = false
  /** Calls not yet answered (while any is, later ones queue behind them). */
  #pending = 0
  /** Settles when every call so far has been answered (never rejects). */
  #tail: Promise<unknown> = settled

  constructor(take: () => Row | undefined, fetch: () => Promise<Row | null>) {
    this.#take = take
    this.#fetch = fetch
  }

  next(): Promise<IteratorResult<Row, void>> {
    if (this.#pending === 0) {
      let now: IteratorResult<Row, void> | null
      try {
        now = this.#now()
      } catch (e) {
        return Promise.reject(e as Error)
      }
      if (now !== null) return Promise.resolve(now)
    }
    this.#pending++
    const answer = this.#tail.then(() => this.#wait())
    const settle = (): void => {
      this.#pending--
    }
    this.#tail = answer.then(settle, settle)
    return answer
  }

  return(): Promise<IteratorResult<Row, void>> {
    this.#done = true
    return Promise.resolve(DONE)
  }

  throw(e: unknown): Promise<IteratorResult<Row, void>> {
    this.#done = true
    return Promise.reject(e as Error)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return()
  }

  /** The answer available without waiting, or null; an error ends the iteration. */
  #now(): IteratorResult<Row, void> | null {
    if (this.#done) return DONE
    try {
      const row = this.#take()
      return row === undefined ? null : { value: row, done: false }
    } catch (e) {
      this.#done = true
      throw e
    }
  }

  async #wait(): Promise<IteratorResult<Row, void>> {
    const now = this.#now()
    if (now !== null) return now
    try {
      const row = await this.#fetch()
      if (row !== null) return { value: row, done: false }
      this.#done = true
      return DONE
    } catch (e) {
      this.#done = true
      throw e
    }
  }
}
