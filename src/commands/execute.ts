// COM_STMT_EXECUTE: run a prepared statement with its parameters bound in the binary protocol, then
// read its results (binary rows) with the shared result-set reader. The payload was built at the call
// site (sql/markers.ts, protocol/binary-params.ts), so bad input never reaches this point; only the
// statement id is filled in when the command is written, from the entry its PREPARE settled.

import { raise } from '../error-map.ts'
import {
  executeParamTypes,
  LAST_PREPARED,
  setStatementId,
  withoutParamTypes,
} from '../protocol/binary-params.ts'
import type { Column } from '../protocol/column.ts'
import type { ErrPacket } from '../protocol/responses.ts'
import type { StatementEntry } from '../prepared/entry.ts'
import type { Command, Failure, Outbox, Session } from './command.ts'
import type { Barriers, QuerySink } from './query.ts'
import { ResultSetReader, type ResultSink, type ResultSummary } from './result-set.ts'
import { BINARY_ROWS } from './row-format.ts'

export interface ExecuteOptions extends Barriers {
  /**
   * Written right behind its own PREPARE, before that answers (MariaDB): the statement is named by
   * the id meaning "the one prepared just before".
   */
  readonly behindPrepare?: boolean
  /** How many parameters the payload binds (a COM_STMT_EXECUTE); undefined for a BULK_EXECUTE. */
  readonly paramCount?: number | undefined
  /** Called once when the command is over, however it ended (the entry's use count). */
  readonly done?: () => void
}

export class ExecuteCommand implements Command, ResultSink {
  readonly #results: ResultSetReader
  readonly #entry: StatementEntry
  #payload: Buffer | null
  readonly #sink: QuerySink
  readonly #behindPrepare: boolean
  readonly #paramCount: number
  #done: (() => void) | undefined
  readonly waitsForReplies: boolean
  readonly blocksLater: boolean

  constructor(
    session: Session,
    entry: StatementEntry,
    payload: Buffer,
    sink: QuerySink,
    opts: ExecuteOptions,
  ) {
    this.#entry = entry
    this.#payload = payload
    this.#sink = sink
    this.#behindPrepare = opts.behindPrepare === true
    this.#paramCount = opts.paramCount ?? -1
    this.#done = opts.done
    this.waitsForReplies = opts.waitsForReplies === true
    this.blocksLater = opts.blocksLater === true
    this.#results = new ResultSetReader(session, this, BINARY_ROWS, entry)
  }

  /**
   * Without the pipelined form, an execution of a statement still being prepared waits for its id
   * (the PREPARE's reply), not for every earlier reply: it is written right after that one arrives.
   */
  readyToWrite(): boolean {
    const entry = this.#entry
    return this.#behindPrepare || entry.prepared || entry.failure !== null
  }

  start(out: Outbox): void {
    const entry = this.#entry
    if (entry.failure !== null) throw raise(entry.failure)
    let payload = this.#payload!
    this.#payload = null
    setStatementId(payload, entry.prepared ? entry.id : LAST_PREPARED)
    // Decided here, when written: executions reach the server in this order, so `serverTypes` is
    // what the server holds — an execution dropped from the queue before this point never counted.
    const n = this.#paramCount
    const types = entry.prepared && n === entry.paramCount ? executeParamTypes(payload, n) : null
    if (types === null) {
      entry.serverTypes = null
    } else if (entry.serverTypes !== null && types.equals(entry.serverTypes)) {
      payload = withoutParamTypes(payload, n)
    } else {
      entry.serverTypes = Buffer.from(types)
    }
    out.send(payload)
  }

  handle(payload: Buffer): boolean {
    return this.#results.handle(payload)
  }

  handleSpan(buf: Buffer, start: number, end: number): boolean {
    return this.#results.handleSpan(buf, start, end)
  }

  fail(failure: Failure): void {
    this.#finish()
    this.#sink.fail(failure)
  }

  onQueuedBehind(): void {
    this.#sink.discardAll?.()
  }

  columns(columns: readonly Column[]): void {
    this.#sink.columns(columns)
  }
  row(values: unknown[]): void {
    this.#sink.row(values)
  }
  end(summary: ResultSummary): void {
    if (!summary.more) this.#finish()
    this.#sink.end(summary)
  }
  error(err: ErrPacket): void {
    this.#finish()
    // Behind a PREPARE that failed, the server's complaint about the id is not the news: the PREPARE's is.
    const failure = this.#entry.failure
    if (this.#behindPrepare && failure !== null) this.#sink.fail(failure)
    else this.#sink.error(err)
  }

  #finish(): void {
    const done = this.#done
    this.#done = undefined
    done?.()
  }
}
