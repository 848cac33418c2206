// One statement prepared (or being prepared) on one connection: what PREPARE_OK said about it, how
// many executions use it, and whether it is to be closed once they finish.

import type { Failure } from '../commands/command.ts'
import type { KnownColumns } from '../commands/result-set.ts'
import type { Column } from '../protocol/column.ts'

export class StatementEntry implements KnownColumns {
  /** The SQL text with `?` markers, exactly as prepared. */
  readonly sql: string
  /** The server's statement id; -1 until PREPARE_OK arrives. */
  id = -1
  /** Markers the server counted; -1 until PREPARE_OK arrives. */
  paramCount = -1
  /** Result columns as last described (at PREPARE, then by executions that sent them). */
  columns: readonly Column[] = []
  /** Binary decoders for `columns`, for executions whose definitions the server skips. */
  decoders: unknown[] | null = null
  /** Why the PREPARE failed (or the statement was forgotten by the server). */
  failure: Failure | null = null
  /**
   * The parameter types the server was last sent for this statement, so an execution with the same
   * types leaves them out (new-params-bound 0); null: the next execution sends them.
   */
  serverTypes: Buffer | null = null
  /** Executions queued or in flight that name this statement. */
  uses = 0
  /** Out of the cache or closed by the user: no new executions; closed on the server once unused. */
  retired = false
  /** Resolves once the PREPARE has answered (never rejects; see `failure`). */
  readonly ready: Promise<void>
  #settle!: () => void

  constructor(sql: string) {
    this.sql = sql
    this.ready = new Promise((resolve) => {
      this.#settle = resolve
    })
  }

  get prepared(): boolean {
    return this.id >= 0
  }

  /** PREPARE_OK and its definitions have been read. */
  settle(id: number, paramCount: number, columns: readonly Column[]): void {
    this.id = id
    this.paramCount = paramCount
    this.columns = columns
    this.decoders = null
    this.#settle()
  }

  /** The PREPARE failed, or the server no longer knows the statement (reset, reconnect). */
  fail(failure: Failure): void {
    this.failure ??= failure
    this.retired = true
    this.#settle()
  }
}
