// One SAConnection's operations run one after another, in call order, even when the caller does not
// await between them: transaction state is then always what the previous call left, and a compiled
// query is inlined with the escaping rules of the session as the statements before it left them.

export class Serial {
  // Never rejects: a failed task must not stop the ones queued after it.
  #tail: Promise<void> = Promise.resolve()

  /** Run `task` once every task queued before it has settled. Never call run() from inside a task. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task)
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}
