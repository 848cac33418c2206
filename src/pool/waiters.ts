// The pool's queue of acquire() calls waiting for a connection: first come, first served, each with
// an optional AbortSignal and timeout. A waiter leaves the queue exactly once (served, failed,
// aborted or timed out), so a connection can never be handed to a waiter that already gave up.

interface Waiter<T> {
  resolve(value: T): void
  reject(reason: unknown): void
  cleanup(): void
}

export class WaitQueue<T> {
  readonly #items: Waiter<T>[] = []

  get length(): number {
    return this.#items.length
  }

  /**
   * Join the queue now (synchronously); the promise settles when serve() or fail*() reaches this
   * waiter, when `signal` aborts (with `onAbort(signal.reason)`), or after `timeoutMs` (with
   * `onTimeout()`, built before the waiter leaves so it can count it).
   */
  wait(
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    onTimeout: () => Error,
    onAbort: (reason: unknown) => Error,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, cleanup: () => {} }
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              const error = onTimeout()
              if (this.#remove(waiter)) reject(error)
            }, timeoutMs).unref()
      const aborted = (): void => {
        if (this.#remove(waiter)) reject(onAbort(signal?.reason))
      }
      signal?.addEventListener('abort', aborted, { once: true })
      waiter.cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', aborted)
      }
      this.#items.push(waiter)
    })
  }

  /** Give `value` to the oldest waiter; false when nobody waits. */
  serve(value: T): boolean {
    const waiter = this.#items.shift()
    if (waiter === undefined) return false
    waiter.cleanup()
    waiter.resolve(value)
    return true
  }

  /** Reject the oldest waiter. */
  failOldest(reason: unknown): void {
    const waiter = this.#items.shift()
    waiter?.cleanup()
    waiter?.reject(reason)
  }

  /** Reject every waiter, each with its own error. */
  failAll(reason: () => unknown): void {
    for (const waiter of this.#items.splice(0)) {
      waiter.cleanup()
      waiter.reject(reason())
    }
  }

  #remove(waiter: Waiter<T>): boolean {
    const i = this.#items.indexOf(waiter)
    if (i < 0) return false
    this.#items.splice(i, 1)
    waiter.cleanup()
    return true
  }
}
