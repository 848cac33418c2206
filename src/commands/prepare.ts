// COM_STMT_PREPARE: send the statement text, read PREPARE_OK (statement id, column and parameter
// counts), then the parameter definitions and the column definitions, each list ended by EOF unless
// CLIENT_DEPRECATE_EOF. The answer goes into the statement's entry (src/prepared/entry.ts).

import type { Column } from '../protocol/column.ts'
import { decodeColumn } from '../protocol/column.ts'
import { Capability, Command as Com, MariaDbCapability } from '../protocol/constants.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { PacketReader } from '../protocol/reader.ts'
import { ERR_HEADER, OK_HEADER, isEofPacket, parseErr } from '../protocol/responses.ts'
import { PacketWriter } from '../protocol/writer.ts'
import type { StatementEntry } from '../prepared/entry.ts'
import { noteRefusal, serverError, type Command, type Failure, type Outbox, type Session } from './command.ts'

/** Bound for the counts in PREPARE_OK (the server's own limit is 65,535 markers). */
const MAX_COUNT = 0xffff

export class PrepareCommand implements Command {
  readonly #session: Session
  readonly #entry: StatementEntry
  readonly #payload: Buffer
  #id = -1
  #params = 0
  #columnCount = 0
  /** Definitions still to read: parameters first, then columns (EOF after each list, if sent). */
  #paramsLeft = 0
  #columns: Column[] = []
  #expectEof = false
  #phase: 'ok' | 'params' | 'columns' | 'done' = 'ok'
  readonly #reader = new PacketReader(Buffer.alloc(0))

  constructor(session: Session, entry: StatementEntry, encode: ((s: string) => Buffer) | null) {
    this.#session = session
    this.#entry = entry
    const body = encode === null ? Buffer.from(entry.sql, 'utf8') : encode(entry.sql)
    this.#payload = new PacketWriter(body.length + 1)
      .writeUInt8(Com.COM_STMT_PREPARE)
      .writeBytes(body)
      .framed()
  }

  start(out: Outbox): void {
    out.send(this.#payload)
  }

  handle(payload: Buffer): boolean {
    const withEof = (this.#session.capabilities & Capability.CLIENT_DEPRECATE_EOF) === 0
    if (this.#expectEof) {
      if (!isEofPacket(payload)) throw new MalformedPacket('expected EOF after definitions')
      this.#expectEof = false
      return this.#next()
    }
    switch (this.#phase) {
      case 'ok': {
        if (payload[0] === ERR_HEADER) {
          const err = parseErr(payload)
          noteRefusal(this.#session, err.errno)
          this.#entry.fail(serverError(err))
          return true
        }
        if (payload[0] !== OK_HEADER || payload.length < 12) throw new MalformedPacket('bad PREPARE_OK')
        const r = this.#reader.reset(payload, 1)
        this.#id = r.readUInt32()
        this.#columnCount = r.readUInt16()
        this.#params = r.readUInt16()
        if (this.#columnCount > MAX_COUNT || this.#params > MAX_COUNT) throw new MalformedPacket('bad counts')
        this.#paramsLeft = this.#params
        this.#phase = 'params'
        return this.#next()
      }
      case 'params':
        // Parameter definitions carry nothing a client needs (MariaDB sends placeholders); skipped.
        if (--this.#paramsLeft === 0) {
          this.#expectEof = withEof
          this.#phase = 'columns'
          return this.#expectEof ? false : this.#next()
        }
        return false
      case 'columns': {
        const extended =
          (this.#session.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0
        this.#columns.push(decodeColumn(this.#reader.reset(payload), extended))
        if (this.#columns.length === this.#columnCount) {
          this.#expectEof = withEof
          this.#phase = 'done'
          return this.#expectEof ? false : this.#next()
        }
        return false
      }
      case 'done':
        throw new MalformedPacket('packet after the end of PREPARE')
    }
  }

  /** Move past an empty list (or the EOF of one); true when the whole answer has been read. */
  #next(): boolean {
    if (this.#phase === 'params' && this.#paramsLeft === 0) this.#phase = 'columns'
    if (this.#phase === 'columns' && this.#columns.length === this.#columnCount) this.#phase = 'done'
    if (this.#phase !== 'done') return false
    this.#entry.settle(this.#id, this.#params, this.#columns)
    return true
  }

  fail(failure: Failure): void {
    this.#entry.fail(failure)
  }
}

/** COM_STMT_CLOSE: no reply; the server frees the statement. */
export class CloseStatementCommand implements Command {
  readonly noReply = true
  readonly #id: number
  constructor(id: number) {
    this.#id = id
  }
  start(out: Outbox): void {
    out.send(new PacketWriter(5).writeUInt8(Com.COM_STMT_CLOSE).writeUInt32(this.#id).framed())
  }
  handle(): boolean {
    return true
  }
  fail(): void {}
}
