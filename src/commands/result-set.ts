// The result-set sub-machine shared by COM_QUERY and COM_STMT_EXECUTE: column count -> column
// definitions -> (EOF) -> rows -> OK/EOF, repeated while SERVER_MORE_RESULTS_EXISTS is set. The row
// format (text or binary) only changes how a row's cells are decoded.

import type { Column } from '../protocol/column.ts'
import { Capability, MariaDbCapability, ServerStatus } from '../protocol/constants.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { PacketReader } from '../protocol/reader.ts'
import {
  ERR_HEADER,
  LOCAL_INFILE_HEADER,
  OK_HEADER,
  isEofPacket,
  parseEof,
  parseErr,
  parseOk,
  type ErrPacket,
} from '../protocol/responses.ts'
import { noteRefusal, type Session } from './command.ts'
import { TEXT_ROWS, type RowFormat } from './row-format.ts'

/** The end of one result: an OK-only result, or the terminator after rows. */
export interface ResultSummary {
  readonly affectedRows: number | bigint
  readonly insertId: number | bigint
  readonly warningCount: number
  readonly status: number
  readonly info: string
  /** Another result follows (SERVER_MORE_RESULTS_EXISTS). */
  readonly more: boolean
}

/** Receives one command's results. Rows are fresh arrays the sink may keep. */
export interface ResultSink {
  columns(columns: readonly Column[]): void
  row(values: unknown[]): void
  end(summary: ResultSummary): void
  /** The server answered a statement with ERR: the command is over, the connection usable. */
  error(err: ErrPacket): void
  /** The server asks for a local file (LOAD DATA LOCAL INFILE); absent = the request is malformed. */
  localInfile?(fileName: string): void
}

/**
 * A prepared statement's result columns as last described, which its executions may omit
 * (MARIADB_CLIENT_CACHE_METADATA); decoders are made once, on the first execution that needs them.
 */
export interface KnownColumns {
  columns: readonly Column[]
  decoders: unknown[] | null
}

/**
 * One reader for every result on every connection: it is used only synchronously inside a single
 * handle() call, so it never holds a payload across packets (and a command needs no reader of its own).
 */
const scratch = new PacketReader(Buffer.alloc(0))

/** What the reader expects next. */
export const ResultState = {
  HEAD: 0,
  COLUMNS: 1,
  COLUMNS_EOF: 2,
  ROWS: 3,
  INFILE_SENT: 4,
  DONE: 5,
} as const
type State = (typeof ResultState)[keyof typeof ResultState]

/** Decoders before a result's columns are known (shared, never written). */
const NO_DECODERS: never[] = []

export class ResultSetReader<D = unknown> {
  state: State = ResultState.HEAD
  private columnCount = 0
  private columnsSeen = 0
  /**
   * This result's columns, built only from the first one that differs from the last result on the
   * connection; while null, every column so far is the last result's (then its arrays are reused).
   */
  private columnList: Column[] | null = null
  private decoders: D[] = NO_DECODERS

  private readonly session: Session
  private readonly sink: ResultSink
  private readonly format: RowFormat<D>
  private readonly known: KnownColumns | null

  constructor(
    session: Session,
    sink: ResultSink,
    format: RowFormat<D> = TEXT_ROWS as RowFormat<never>,
    known: KnownColumns | null = null,
  ) {
    this.session = session
    this.sink = sink
    this.format = format
    this.known = known
  }

  /** Consume one payload; returns true when the command's last result has ended. */
  handle(payload: Buffer): boolean {
    return this.handleSpan(payload, 0, payload.length)
  }

  /** handle() for buf[start, end): rows are decoded in place, other packets through a view. */
  handleSpan(buf: Buffer, start: number, end: number): boolean {
    if (this.state === ResultState.ROWS) return this.handleRow(buf, start, end)
    // Column definitions are matched in place against the cache (no view per packet: ten columns
    // made ten Buffer objects per query, a large share of the garbage of a point select).
    if (this.state === ResultState.COLUMNS) return this.handleColumn(buf, start, end)
    switch (this.state) {
      case ResultState.HEAD:
      case ResultState.INFILE_SENT:
        return this.handleHead(buf, start, end)
      case ResultState.COLUMNS_EOF:
        if (!isEofPacket(buf, start, end)) throw new MalformedPacket('expected EOF after column definitions')
        this.state = ResultState.ROWS
        return false
      case ResultState.DONE:
        throw new MalformedPacket('packet after the end of the result')
    }
  }

  private serverError(err: ErrPacket): void {
    noteRefusal(this.session, err.errno)
    this.sink.error(err)
  }

  /** The first packet of a result, buf[start, end): OK, ERR, a LOCAL INFILE request or a column count. */
  private handleHead(buf: Buffer, start: number, end: number): boolean {
    // An empty payload has no first byte (buf[start] would belong to the next packet).
    const first = end > start ? buf[start] : undefined
    if (first === OK_HEADER) {
      const ok = parseOk(buf, this.session.capabilities, start, end)
      this.session.lastInsertId = ok.insertId
      if (ok.schema !== null) this.session.database = ok.schema
      return this.finish(ok)
    }
    if (first === ERR_HEADER) {
      this.state = ResultState.DONE
      this.serverError(parseErr(buf.subarray(start, end)))
      return true
    }
    if (first === LOCAL_INFILE_HEADER && this.state === ResultState.HEAD) {
      if (this.sink.localInfile === undefined) throw new MalformedPacket('unexpected LOCAL INFILE request')
      this.state = ResultState.INFILE_SENT
      this.sink.localInfile(buf.toString('utf8', start + 1, end))
      return false
    }
    const count = scratch.reset(buf, start, end).readLenencInt()
    // With MARIADB_CLIENT_CACHE_METADATA one more byte says whether the definitions follow.
    const flagged = (this.session.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA) !== 0
    if (count <= 0 || count > 4096 || scratch.remaining !== (flagged ? 1 : 0)) {
      throw new MalformedPacket(`invalid column count`)
    }
    this.columnCount = count
    this.decoders = NO_DECODERS
    if (flagged && scratch.readUInt8() === 0) return this.useKnownColumns(count)
    this.columnsSeen = 0
    this.columnList = null
    this.state = ResultState.COLUMNS
    return false
  }

  /** The server skipped the definitions: they are the statement's, unchanged since last sent. */
  private useKnownColumns(count: number): boolean {
    const known = this.known
    if (known === null || known.columns.length !== count)
      throw new MalformedPacket('the server skipped column definitions the client does not have')
    this.decoders = (known.decoders ??= known.columns.map((c) =>
      this.format.decoderFor(c, this.session.typeOptions),
    )) as D[]
    this.state = ResultState.ROWS
    this.sink.columns(known.columns)
    return false
  }

  private handleColumn(buf: Buffer, start: number, end: number): boolean {
    const cache = this.session.columnCache
    const count = this.columnCount
    const index = this.columnsSeen++
    const column = cache.column(index, buf, start, end, scratch, this.extendedTypes)
    let list = this.columnList
    // A statement run again gets the same columns as last time: no arrays of its own (a point
    // select made two per query), until a column differs.
    if (list === null && !cache.continuesLast(index, column, count))
      list = this.columnList = cache.lastPrefix(index)
    if (list !== null) list.push(column)
    if (index + 1 < count) return false
    this.state =
      this.session.capabilities & Capability.CLIENT_DEPRECATE_EOF ? ResultState.ROWS : ResultState.COLUMNS_EOF
    const columns = list === null ? cache.last : cache.stable(list)
    this.decoders = cache.lastDecoders(this.format)
    if (this.known !== null) {
      // Kept for executions whose definitions the server will skip (MARIADB_CLIENT_CACHE_METADATA).
      this.known.columns = columns
      this.known.decoders = this.decoders
    }
    this.sink.columns(columns)
    return false
  }

  private handleRow(buf: Buffer, start: number, end: number): boolean {
    // A row has at least one cell byte; an empty payload's buf[start] belongs to the next packet.
    if (end === start) throw new MalformedPacket('empty row packet')
    const first = buf[start]
    if (first === ERR_HEADER) {
      this.state = ResultState.DONE
      this.serverError(parseErr(buf.subarray(start, end)))
      return true
    }
    if (isEofPacket(buf, start, end)) {
      // A result with rows has no insert id: conn.insertId() is then 0, as in aiomysql.
      this.session.lastInsertId = 0
      if (this.session.capabilities & Capability.CLIENT_DEPRECATE_EOF) {
        return this.finish(parseOk(buf, this.session.capabilities, start, end))
      }
      const eof = parseEof(buf.subarray(start, end))
      return this.finish({ affectedRows: 0, insertId: 0, info: '', ...eof })
    }
    const values = new Array<unknown>(this.columnCount)
    this.format.decodeRow(buf, start, end, this.decoders, values)
    this.sink.row(values)
    return false
  }

  private finish(ok: Omit<ResultSummary, 'more'>): boolean {
    this.session.status = ok.status
    const more = (ok.status & ServerStatus.SERVER_MORE_RESULTS_EXISTS) !== 0
    this.state = more ? ResultState.HEAD : ResultState.DONE
    // Built field by field: an object spread here showed up in the per-query profile.
    this.sink.end({
      affectedRows: ok.affectedRows,
      insertId: ok.insertId,
      warningCount: ok.warningCount,
      status: ok.status,
      info: ok.info,
      more,
    })
    return !more
  }

  /** MariaDB extended type info (tells JSON columns apart) when negotiated. */
  private get extendedTypes(): boolean {
    return (this.session.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0
  }
}
