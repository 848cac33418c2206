// Commands answered by one OK or ERR: COM_PING, COM_INIT_DB, COM_RESET_CONNECTION, COM_STMT_RESET,
// and COM_QUIT (answered by the server closing the socket).

import { Command as Com } from '../protocol/constants.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { ERR_HEADER, OK_HEADER, parseErr, parseOk, type OkPacket } from '../protocol/responses.ts'
import { PacketWriter } from '../protocol/writer.ts'
import { serverError, type Command, type Failure, type Outbox, type Session } from './command.ts'

export class SimpleCommand implements Command {
  readonly promise: Promise<OkPacket>
  private resolve!: (ok: OkPacket) => void
  private reject!: (f: Failure) => void

  private readonly session: Session
  private readonly command: number
  private readonly argument: string | Buffer
  readonly waitsForReplies: boolean
  readonly blocksLater: boolean

  /** `barrier`: written alone, nothing after it until it answers (COM_RESET_CONNECTION). */
  constructor(session: Session, command: number, argument: string | Buffer = '', barrier = false) {
    this.session = session
    this.command = command
    this.argument = argument
    this.waitsForReplies = barrier
    this.blocksLater = barrier
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  start(out: Outbox): void {
    const w = new PacketWriter(this.argument.length + 8).writeUInt8(this.command)
    out.send(
      (typeof this.argument === 'string'
        ? w.writeString(this.argument)
        : w.writeBytes(this.argument)
      ).framed(),
    )
  }

  handle(payload: Buffer): boolean {
    if (payload[0] === OK_HEADER) {
      const ok = parseOk(payload, this.session.capabilities)
      this.session.status = ok.status
      if (ok.schema !== null) this.session.database = ok.schema
      this.resolve(ok)
    } else if (payload[0] === ERR_HEADER) {
      this.reject(serverError(parseErr(payload)))
    } else {
      throw new MalformedPacket(
        `unexpected reply 0x${(payload[0] ?? 0).toString(16)} to command ${this.command}`,
      )
    }
    return true
  }

  fail(failure: Failure): void {
    this.reject(failure)
  }
}

export const ping = (s: Session): SimpleCommand => new SimpleCommand(s, Com.COM_PING)
export const initDb = (s: Session, db: string): SimpleCommand => new SimpleCommand(s, Com.COM_INIT_DB, db)
/** COM_STMT_RESET: drops a statement's pending long data and open cursor; the statement stays. */
export const resetStatement = (s: Session, id: number): SimpleCommand => {
  const arg = Buffer.alloc(4)
  arg.writeUInt32LE(id)
  return new SimpleCommand(s, Com.COM_STMT_RESET, arg)
}
/** Resets session state every later statement depends on: a barrier both ways. */
export const resetConnection = (s: Session): SimpleCommand =>
  new SimpleCommand(s, Com.COM_RESET_CONNECTION, '', true)

/** COM_QUIT: no reply; the server closes the connection. Completes as soon as it is written. */
export class QuitCommand implements Command {
  /** Written after every earlier reply, so nothing is cut short by the close. */
  readonly waitsForReplies = true
  readonly noReply = true
  readonly closesConnection = true
  start(out: Outbox): void {
    out.send(new PacketWriter(1).writeUInt8(Com.COM_QUIT).framed())
  }
  handle(): boolean {
    return true
  }
  fail(): void {}
}
