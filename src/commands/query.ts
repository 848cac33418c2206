// COM_QUERY: send the statement text, then read its results with the shared result-set reader.
// The statement arrives rendered (at the caller, so bad input never reaches the wire); only a
// statement whose bytes depend on session state an unanswered command can change comes as a
// render function, which makes it a barrier: it is written once every earlier reply is in.

import type { Column } from '../protocol/column.ts'
import { Command as Com } from '../protocol/constants.ts'
import type { ErrPacket } from '../protocol/responses.ts'
import { PacketWriter } from '../protocol/writer.ts'
import { clientFailure, type Command, type Failure, type Outbox, type Session } from './command.ts'
import { ResultSetReader, type ResultSink, type ResultSummary } from './result-set.ts'

/** Returns the data for a server's file request, or why it is refused (see src/local-infile.ts). */
export type LocalInfileOpener = (
  fileName: string,
  sql: string,
) => Promise<AsyncIterable<Uint8Array> | { refused: string }>

/** Data packets stay well under 16 MiB; 64 KiB matches socket chunks. */
const INFILE_PACKET = 65536

/** A result sink that can also be told the command failed (fatal error or bad input). */
export interface QuerySink extends ResultSink {
  fail(failure: Failure): void
  /** Streaming sinks: stop keeping rows because the connection is needed for something else. */
  discardAll?(): void
}

/** A rendered statement: its text (for LOCAL INFILE checks) and its COM_QUERY payload. */
export interface QueryRequest {
  readonly sql: string
  readonly payload: Buffer
}

/** Where a statement must wait (see Command); a deferred render always waits for replies. */
export interface Barriers {
  readonly waitsForReplies?: boolean
  readonly blocksLater?: boolean
}

export class QueryCommand implements Command, ResultSink {
  private readonly results: ResultSetReader
  private out: Outbox | null = null
  private request: QueryRequest | null
  /** The statement's text once written (a LOCAL INFILE request is checked against it). */
  private sql = ''
  private refusal: Failure | null = null
  private readonly openLocalFile: LocalInfileOpener | null
  /** Renders the statement when it is written; may throw a ProgrammingError, failing only it. */
  private readonly render: (() => QueryRequest) | null
  private readonly sink: QuerySink
  readonly waitsForReplies: boolean
  readonly blocksLater: boolean

  constructor(
    session: Session,
    source: QueryRequest | (() => QueryRequest),
    sink: QuerySink,
    openLocalFile: LocalInfileOpener | null = null,
    barriers: Barriers = {},
  ) {
    if (typeof source === 'function') {
      this.request = null
      this.render = source
    } else {
      this.request = source
      this.render = null
    }
    this.sink = sink
    this.openLocalFile = openLocalFile
    this.waitsForReplies = this.render !== null || barriers.waitsForReplies === true
    this.blocksLater = barriers.blocksLater === true
    this.results = new ResultSetReader(session, this)
  }

  start(out: Outbox): void {
    this.out = out
    const request = this.request ?? this.render!()
    this.sql = request.sql
    // Only the text is kept: the payload's memory is free once it is written.
    this.request = null
    out.send(request.payload)
  }

  handle(payload: Buffer): boolean {
    return this.results.handle(payload)
  }

  handleSpan(buf: Buffer, start: number, end: number): boolean {
    return this.results.handleSpan(buf, start, end)
  }

  fail(failure: Failure): void {
    this.sink.fail(failure)
  }

  onQueuedBehind(): void {
    this.sink.discardAll?.()
  }

  // ResultSink, forwarded so a refused LOCAL INFILE can be reported once the server has answered.
  columns(columns: readonly Column[]): void {
    this.sink.columns(columns)
  }
  row(values: unknown[]): void {
    this.sink.row(values)
  }
  end(summary: ResultSummary): void {
    if (this.refusal !== null && !summary.more) return this.sink.fail(this.refusal)
    this.sink.end(summary)
  }
  error(err: ErrPacket): void {
    if (this.refusal !== null) return this.sink.fail(this.refusal)
    this.sink.error(err)
  }

  /** ResultSink: the server asks for a file; the statement's policy answers (never throws). */
  localInfile(name: string): void {
    const out = this.out!
    if (this.openLocalFile === null) {
      this.refuse(out, 'the localInfile option is off, no file was read')
      return
    }
    // The wire is not reading a reply now (the server waits for the data), so the pump may take
    // its time; the socket's own buffering gives backpressure through `drained`.
    this.openLocalFile(name, this.sql).then(
      (data) =>
        'refused' in data ? this.refuse(out, `${data.refused}; no file was read`) : this.pump(out, data),
      (e: unknown) =>
        this.refuse(out, `could not open the file: ${e instanceof Error ? e.message : String(e)}`),
    )
  }

  private async pump(out: Outbox, data: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const item of data as AsyncIterable<Uint8Array | string>) {
        // Node streams in object or text mode yield strings; the file's bytes are their UTF-8.
        const chunk = typeof item === 'string' ? Buffer.from(item) : item
        for (let i = 0; i < chunk.length; i += INFILE_PACKET) {
          const part = chunk.subarray(i, i + INFILE_PACKET)
          out.send(new PacketWriter(part.length).writeBytes(part).framed())
        }
        await out.drained()
      }
      out.send(new PacketWriter(0).framed())
    } catch (e) {
      this.refuse(out, `reading the file failed: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  /** An empty packet means "no (more) data": the server ends the statement and stays in sync. */
  private refuse(out: Outbox, why: string): void {
    this.refusal = clientFailure(
      'CR_LOAD_DATA_LOCAL_INFILE_REJECTED',
      `LOAD DATA LOCAL INFILE refused: ${why}`,
      false,
    )
    out.send(new PacketWriter(0).framed())
  }
}

/** A statement's request as sent: its text and COM_QUERY payload. */
export function textRequest(sql: string, encode: ((sql: string) => Buffer) | null = null): QueryRequest {
  return { sql, payload: encodeQuery(sql, encode) }
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
