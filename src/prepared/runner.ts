// Server-side prepared statements on one connection (SPEC §11): finds or prepares the statement for
// a text, enqueues its execution, and closes statements that left the cache once nothing uses them.
// On MariaDB a new statement's first execution is written right behind its PREPARE (id 0xFFFFFFFF),
// so it costs one round trip; elsewhere the execution waits for the statement id.

import type { Session } from '../commands/command.ts'
import { clientFailure } from '../commands/command.ts'
import { ExecuteCommand } from '../commands/execute.ts'
import { CloseStatementCommand, PrepareCommand } from '../commands/prepare.ts'
import type { Barriers, QuerySink } from '../commands/query.ts'
import type { Pipeline } from '../net/pipeline.ts'
import { encodeBulk, encodeExecute, type BindContext } from '../protocol/binary-params.ts'
import { HEADER_SIZE } from '../protocol/writer.ts'
import type { MarkedStatement } from '../sql/markers.ts'
import { StatementCache } from './cache.ts'
import { StatementEntry } from './entry.ts'

/** What the runner needs from its connection (read when used: a reconnect replaces the pipe). */
export interface PreparedHost {
  pipe(): Pipeline
  readonly session: Session
  /** Timezone and charset encoder for binding, as of now. */
  bind(): BindContext
  /** The current database (part of the cache key: the same text means other tables elsewhere). */
  database(): string
  /** Throws when a payload of this many bytes is more than the server takes (nothing is sent). */
  checkSize(bytes: number): void
  readonly pipelining: boolean
}

export class PreparedRunner {
  readonly #host: PreparedHost
  #cache: StatementCache
  readonly #capacity: number
  /** Statements from conn.prepare(), owned by the user (outside the cache). */
  readonly #owned = new Set<StatementEntry>()
  /** The last cache key and what it was made of: a statement run again reuses it (no new string). */
  #lastKey = { database: '', sql: '', key: '' }

  constructor(host: PreparedHost, capacity: number) {
    this.#host = host
    this.#capacity = capacity
    this.#cache = new StatementCache(capacity)
  }

  /** Statements the cache holds now. */
  get cached(): number {
    return this.#cache.size
  }

  /**
   * The execution of `marked` into `sink`, for the caller to enqueue at once (right behind the PREPARE
   * this queues when the cache does not hold the statement). Binding happens here, so a bad value
   * throws before anything is queued.
   */
  run(marked: MarkedStatement, sink: QuerySink, barriers: Barriers): ExecuteCommand {
    const payload = this.#bound(marked.params, this.#host.bind())
    const { entry, fresh } = this.#entryFor(marked.sql)
    return this.#execute(entry, payload, sink, barriers, fresh, marked.params.length)
  }

  /**
   * executeMany without the bulk command: one execution per statement, all bound and size-checked
   * before any is queued (a bad row fails the call with nothing sent), then written together.
   */
  runMany(statements: readonly MarkedStatement[], sinkFor: () => QuerySink): void {
    const bind = this.#host.bind()
    const payloads = statements.map((m) => this.#bound(m.params, bind))
    const pipe = this.#host.pipe()
    statements.forEach((m, i) => {
      const { entry, fresh } = this.#entryFor(m.sql)
      pipe.enqueue(this.#execute(entry, payloads[i]!, sinkFor(), {}, fresh, m.params.length))
    })
  }

  /**
   * executeMany on MariaDB: the rows' values (all already checked) as COM_STMT_BULK_EXECUTE batches of
   * at most `limit` bytes, all written together; one sink per batch.
   */
  bulk(sql: string, rows: readonly (readonly unknown[])[], limit: number, sinkFor: () => QuerySink): void {
    // Every batch is built (and its size checked) before anything is queued: a row too large for
    // the server fails the call with nothing sent.
    const bind = this.#host.bind()
    const payloads: Buffer[] = []
    for (let from = 0; from < rows.length;) {
      const { payload, to } = encodeBulk(rows, from, limit, bind)
      this.#host.checkSize(payload.length - HEADER_SIZE)
      payloads.push(payload)
      from = to
    }
    const { entry, fresh } = this.#entryFor(sql)
    const pipe = this.#host.pipe()
    payloads.forEach((payload, i) =>
      pipe.enqueue(this.#execute(entry, payload, sinkFor(), {}, fresh && i === 0)),
    )
  }

  /** The execution of a statement from conn.prepare(), for the caller to enqueue. */
  runOwned(
    entry: StatementEntry,
    params: readonly unknown[],
    sink: QuerySink,
    barriers: Barriers,
  ): ExecuteCommand {
    return this.#execute(entry, this.#bound(params, this.#host.bind()), sink, barriers, false, params.length)
  }

  /** The EXECUTE payload for `params`, refused (nothing sent) when the server would not take it. */
  #bound(params: readonly unknown[], bind: BindContext): Buffer {
    const payload = encodeExecute(params, bind)
    this.#host.checkSize(payload.length - HEADER_SIZE)
    return payload
  }

  /** PREPARE a statement the user keeps (conn.prepare()); resolves once the server has answered. */
  prepare(sql: string): StatementEntry {
    this.#host.checkSize(Buffer.byteLength(sql) + 1)
    const entry = new StatementEntry(sql)
    this.#owned.add(entry)
    this.#prepare(entry)
    return entry
  }

  /** The user closed a statement: closed on the server once its executions are over. */
  release(entry: StatementEntry): void {
    if (!this.#owned.delete(entry)) return
    entry.retired = true
    this.#closeIfUnused(entry)
  }

  /** The server forgot every statement (COM_RESET_CONNECTION, a new session): drop them, closing none. */
  forgetAll(): void {
    const gone = clientFailure(
      'CR_NO_PREPARE_STMT',
      'the prepared statement is gone: the connection was reset or reconnected',
      false,
    )
    for (const e of this.#cache.clear()) e.fail(gone)
    for (const e of this.#owned) e.fail(gone)
    this.#owned.clear()
    this.#cache = new StatementCache(this.#capacity)
  }

  /** The cached statement for `sql` in the current database, or a new one whose PREPARE is queued now. */
  #entryFor(sql: string): { entry: StatementEntry; fresh: boolean } {
    const database = this.#host.database()
    const last = this.#lastKey
    let key = last.key
    if (last.sql !== sql || last.database !== database || key === '') {
      key = `${database}\0${sql}`
      this.#lastKey = { database, sql, key }
    }
    const cached = this.#cache.get(key)
    if (cached !== undefined) return { entry: cached, fresh: false }
    this.#host.checkSize(Buffer.byteLength(sql) + 1)
    const entry = new StatementEntry(sql)
    for (const old of this.#cache.add(key, entry)) this.#closeIfUnused(old)
    this.#prepare(entry)
    return { entry, fresh: true }
  }

  #prepare(entry: StatementEntry): void {
    this.#host.pipe().enqueue(new PrepareCommand(this.#host.session, entry, this.#host.bind().encode))
  }

  #execute(
    entry: StatementEntry,
    payload: Buffer,
    sink: QuerySink,
    barriers: Barriers,
    fresh: boolean,
    paramCount?: number,
  ): ExecuteCommand {
    const host = this.#host
    const behindPrepare =
      fresh && host.session.isMariaDb && host.pipelining && barriers.waitsForReplies !== true
    entry.uses++
    const cmd = new ExecuteCommand(host.session, entry, payload, sink, {
      waitsForReplies: barriers.waitsForReplies === true,
      blocksLater: barriers.blocksLater === true,
      behindPrepare,
      paramCount,
      done: () => {
        entry.uses--
        this.#closeIfUnused(entry)
      },
    })
    return cmd
  }

  /**
   * COM_STMT_CLOSE for a retired statement nothing uses any more. It has no reply and is queued in
   * a microtask, so it leaves with the next write and never lands inside a result being read.
   */
  #closeIfUnused(entry: StatementEntry): void {
    if (!entry.retired || entry.uses > 0) return
    if (entry.id === -1 && entry.failure === null) {
      // Still being prepared: close it once the server has said which id it got.
      void entry.ready.then(() => this.#closeIfUnused(entry))
      return
    }
    if (!entry.prepared) return
    const id = entry.id
    entry.id = -2 // closed: never sent twice
    const pipe = this.#host.pipe()
    queueMicrotask(() => pipe.enqueue(new CloseStatementCommand(id)))
  }
}
