// COM_QUERY: send the statement text, then read its results with the shared result-set reader.
// The SQL is rendered when the command reaches the head of the queue, so escaping sees the
// server's NO_BACKSLASH_ESCAPES status as left by every earlier statement.

import { Command as Com } from '../protocol/constants.ts'
import type { ErrPacket } from '../protocol/responses.ts'
import { PacketWriter } from '../protocol/writer.ts'
import { clientFailure, type Command, type Failure, type Outbox, type Session } from './command.ts'
import { ResultSetReader, type ResultSink, type ResultSummary } from './result-set.ts'

/** A result sink that can also be told the command failed (fatal error or bad input). */
export interface QuerySink extends ResultSink {
  fail(failure: Failure): void
  /** Streaming sinks: stop keeping rows because the connection is needed for something else. */
  discardAll?(): void
}

export class QueryCommand implements Command, ResultSink {
  private readonly results: ResultSetReader
  private out: Outbox | null = null
  private refusedFile: string | null = null

  /** Produces the statement; may throw a ProgrammingError, which fails only this command. */
  private readonly render: () => string
  private readonly sink: QuerySink
  private readonly encode: ((sql: string) => Buffer) | null

  constructor(
    session: Session,
    render: () => string,
    sink: QuerySink,
    encode: ((sql: string) => Buffer) | null = null,
  ) {
    this.render = render
    this.sink = sink
    this.encode = encode
    this.results = new ResultSetReader(session, this, (name) => this.refuseLocalInfile(name))
  }

  start(out: Outbox): void {
    this.out = out
    out.send(encodeQuery(this.render(), this.encode))
  }

  handle(payload: Buffer): boolean {
    return this.results.handle(payload)
  }

  fail(failure: Failure): void {
    this.sink.fail(failure)
  }

  onQueuedBehind(): void {
    this.sink.discardAll?.()
  }

  // ResultSink, forwarded so a refused LOCAL INFILE can be reported once the server has answered.
  columns: ResultSink['columns'] = (columns) => this.sink.columns(columns)
  row: ResultSink['row'] = (values) => this.sink.row(values)
  end(summary: ResultSummary): void {
    if (this.refusedFile !== null && !summary.more) return this.sink.fail(this.refusal())
    this.sink.end(summary)
  }
  error(err: ErrPacket): void {
    if (this.refusedFile !== null) return this.sink.fail(this.refusal())
    this.sink.error(err)
  }

  private refuseLocalInfile(name: string): void {
    // An empty packet means "no data": the server ends the statement and the connection stays in sync.
    this.refusedFile = name
    this.out?.send(new PacketWriter(0).framed())
  }

  private refusal(): Failure {
    return clientFailure(
      'CR_LOAD_DATA_LOCAL_INFILE_REJECTED',
      'LOAD DATA LOCAL INFILE refused: the localInfile option is off, no file was read',
      false,
    )
  }
}

/** COM_QUERY payload after HEADER_SIZE spare bytes, so framing writes the header in place. */
export function encodeQuery(sql: string, encode: ((sql: string) => Buffer) | null): Buffer {
  if (encode !== null) {
    const body = encode(sql)
    return new PacketWriter(body.length + 1).writeUInt8(Com.COM_QUERY).writeBytes(body).framed()
  }
  const len = Buffer.byteLength(sql)
  const buf = Buffer.allocUnsafe(5 + len)
  buf[4] = Com.COM_QUERY
  buf.write(sql, 5, 'utf8')
  return buf
}
