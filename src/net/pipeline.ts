// The pipeline of one connection (SPEC §10): a send queue of commands waiting to be written and an
// in-flight FIFO of commands written and waiting for replies. MySQL and MariaDB read a socket's
// commands one after another, so replies arrive in the order the commands were written: every payload
// belongs to the oldest in-flight command. Each command owns its sequence ids (a Flight).
//
// A command is written at once unless a barrier holds it: it waits for every earlier reply
// (`waitsForReplies`), an in-flight command lets nothing past it (`blocksLater`), a cancellation holds
// the line, or `pipelining` is off. A fatal error fails every written and queued command, each with
// its own record telling whether its bytes had been sent.

import {
  clientFailure,
  closesSession,
  serverError,
  type Command,
  type Failure,
  type Outbox,
} from '../commands/command.ts'
import { MySQLError } from '../errors.ts'
import { PacketFramer, writePayload, type PacketSink } from '../protocol/framing.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { ERR_HEADER, parseErr } from '../protocol/responses.ts'
import { Fifo } from '../fifo.ts'
import { Compression } from './compression.ts'
import { SocketIo, type SocketEvents, type TlsSettings } from './socket-io.ts'
import type { ReceiveTarget, Socket } from './transport.ts'

export type { TlsSettings } from './socket-io.ts'

/** One command on its way: the Outbox it writes through, and its own sequence counter. */
class Flight implements Outbox, PacketSink {
  readonly cmd: Command
  private readonly pipe: Pipeline
  /** The sequence id the next packet of this command carries (sent or expected). */
  seq = 0
  /** Ticket of this command's last write (see SocketIo.reached); 0 before it is written. */
  ticket = 0

  constructor(cmd: Command, pipe: Pipeline) {
    this.cmd = cmd
    this.pipe = pipe
  }

  send(framed: Buffer): void {
    const z = this.pipe.compression
    if (z === null) this.seq = writePayload(framed, this.seq, this)
    else this.seq = z.send(framed, this.seq, this.ticket === 0, this)
  }

  /** PacketSink: one framed piece to the socket, remembered for `sentToServer`. */
  write(chunk: Buffer): void {
    this.ticket = this.pipe.io.write(chunk)
  }

  startTls(): void {
    this.pipe.startTls()
  }

  pause(): void {
    this.pipe.io.pause()
  }

  resume(): void {
    this.pipe.io.resume()
  }

  drained(): Promise<void> {
    return this.pipe.io.drained()
  }
}

export interface PipelineOptions {
  readonly maxPacketSize: number
  readonly tls: TlsSettings | null
  /** false: write a command only when nothing is in flight (proxies that cannot take pipelining). */
  readonly pipelining: boolean
  /** Set when the socket reads into a reused buffer (openSocket); see SocketIo. */
  readonly receive?: ReceiveTarget
}

export class Pipeline {
  readonly io: SocketIo
  private readonly framer: PacketFramer
  private readonly maxPacketSize: number
  /** The compressed protocol, once started (after authentication); null: plain packets. */
  compression: Compression | null = null
  private readonly waiting = new Fifo<Flight>()
  private readonly inFlight = new Fifo<Flight>()
  private readonly pipelining: boolean
  private holds = 0
  /** No byte has arrived yet: a failure now means the server could not be reached. */
  private connecting = true
  /** COM_QUIT was written: the socket's end is expected. */
  private quitting = false
  /** Set once: why the connection is unusable. */
  failure: Failure | null = null
  private readonly closeListeners: ((failure: Failure) => void)[] = []

  constructor(socket: Socket, options: PipelineOptions) {
    this.framer = new PacketFramer(options.maxPacketSize)
    this.maxPacketSize = options.maxPacketSize
    this.pipelining = options.pipelining
    this.io = new SocketIo(socket, this.socketEvents, options.tls, options.receive ?? null)
  }

  get closed(): boolean {
    return this.failure !== null
  }

  /** True when no command is in flight or waiting. */
  get idle(): boolean {
    return this.inFlight.size === 0 && this.waiting.size === 0
  }

  /** Commands not yet answered (written or waiting): the pool shares the least busy connection. */
  get unanswered(): number {
    return this.inFlight.size + this.waiting.size
  }

  /** Called once when the connection closes for any reason. */
  onClose(listener: (failure: Failure) => void): void {
    if (this.failure !== null) listener(this.failure)
    else this.closeListeners.push(listener)
  }

  /**
   * Keep further commands from being written until the returned release is called (a cancellation
   * holds the line while KILL QUERY is in flight, so it can only hit the statement it targets).
   */
  hold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.holds--
      this.pump()
    }
  }

  /** Remove a command that has not been written; false when it was written (or has finished). */
  cancelQueued(cmd: Command): boolean {
    const i = this.waiting.indexOf((f) => f.cmd === cmd)
    if (i < 0) return false
    this.waiting.removeAt(i)
    return true
  }

  /** The command has been written and its reply is not complete yet. */
  isInFlight(cmd: Command): boolean {
    return this.inFlight.indexOf((f) => f.cmd === cmd) >= 0
  }

  /** The command is the only one written and unanswered: a KILL QUERY now can reach only it. */
  isAloneInFlight(cmd: Command): boolean {
    return this.inFlight.size === 1 && this.inFlight.first()!.cmd === cmd
  }

  enqueue(cmd: Command): void {
    if (this.failure !== null) {
      cmd.fail(withSent(this.failure, false))
      return
    }
    // An unread stream ahead must let go of its rows, or the command behind it would wait forever.
    const before = this.waiting.last() ?? this.inFlight.last()
    this.waiting.push(new Flight(cmd, this))
    if (before !== undefined) before.cmd.onQueuedBehind?.()
    this.pump()
  }

  /** Close the socket and fail every command, written or queued; idempotent. */
  destroy(failure: Failure): void {
    if (this.failure !== null) return
    this.failure = failure
    this.io.destroy()
    for (const f of this.inFlight.drain())
      f.cmd.fail(withSent(failure, f.ticket > 0 && this.io.reached(f.ticket)))
    for (const f of this.waiting.drain()) f.cmd.fail(withSent(failure, false))
    for (const listener of this.closeListeners.splice(0)) listener(failure)
  }

  startTls(): void {
    if (!this.io.startTls())
      this.destroy(clientFailure('CR_SSL_CONNECTION_ERROR', 'TLS requested without TLS settings', true))
  }

  /**
   * From now on every byte, both ways, travels in compressed frames (called once authentication has
   * ended with CLIENT_COMPRESS agreed; the server sends nothing until the next command).
   */
  startCompression(): void {
    this.compression ??= new Compression(this.maxPacketSize, (plain) =>
      this.framer.feedSpans(plain, this.onPayload),
    )
  }

  // Internals ---------------------------------------------------------------------------------

  /** Write every waiting command no barrier holds back. */
  private pump(): void {
    while (this.waiting.size > 0 && this.holds === 0 && this.failure === null) {
      const next = this.waiting.first()!
      const busy = this.inFlight.last()
      if (
        busy !== undefined &&
        (!this.pipelining || next.cmd.waitsForReplies === true || busy.cmd.blocksLater === true)
      )
        return
      if (next.cmd.readyToWrite?.() === false) return
      this.waiting.shift()
      this.inFlight.push(next)
      try {
        next.cmd.start(next)
      } catch (e) {
        // Bad input found while rendering a deferred statement (nothing was written): fail it alone.
        this.inFlight.pop()
        if (e instanceof MySQLError) next.cmd.fail(e)
        else this.destroy(clientFailure('CR_UNKNOWN_ERROR', String(e), true))
        continue
      }
      if (next.cmd.noReply === true) {
        this.inFlight.pop()
        // COM_QUIT: half-close only once it is written, after everything before it.
        if (next.cmd.closesConnection === true) {
          this.quitting = true
          this.io.endAfterWrites()
        }
      }
    }
  }

  private readonly onPayload = (buf: Buffer, start: number, end: number, seq: number): void => {
    if (this.failure !== null) return
    this.connecting = false
    const head = this.inFlight.first()
    if (head === undefined) {
      const payload = buf.subarray(start, end)
      // Unsolicited: the server says goodbye (e.g. 1927 "Connection was killed", shutdown).
      this.destroy(
        payload[0] === ERR_HEADER
          ? serverError(parseErr(payload), true)
          : clientFailure('CR_MALFORMED_PACKET', 'Malformed packet: unexpected packet while idle', true),
      )
      return
    }
    // Under compression the server numbers packets from its frame count (and restarts the count at
    // each result of a multi-result reply): only the frames' order holds, so ids are not checked.
    if (seq !== head.seq && this.compression === null)
      throw new MalformedPacket(`packets out of order: got ${seq}, expected ${head.seq}`)
    head.seq = (this.framer.seq + 1) & 0xff
    const cmd = head.cmd
    // An error after which the server closes the session (read before the command consumes it).
    const closing =
      buf[start] === ERR_HEADER && end - start >= 3 && closesSession(buf.readUInt16LE(start + 1))
    const done =
      cmd.handleSpan !== undefined
        ? cmd.handleSpan(buf, start, end, head)
        : cmd.handle(buf.subarray(start, end), head)
    if (done) {
      this.inFlight.shift()
      if (closing) {
        // The command has its (fatal) error; everything behind it fails too, and no pool lends this.
        this.destroy(serverError(parseErr(buf.subarray(start, end)), true))
        return
      }
      if (this.waiting.size > 0) this.pump()
    }
  }

  private lost(detail: string | null): void {
    // The server closing after our COM_QUIT is the goodbye we asked for, not a lost connection.
    if (this.quitting) {
      this.destroy(clientFailure('CR_CONNECTION_CLOSED', 'Connection closed by the client (COM_QUIT)', true))
      return
    }
    if (this.connecting) {
      const why = detail ?? 'closed before the greeting'
      this.destroy(clientFailure('CR_CONN_HOST_ERROR', `Can't connect to server (${why})`, true))
      return
    }
    const running = this.inFlight.size > 0
    const message = running ? 'Lost connection to server during query' : 'Server has gone away'
    this.destroy(
      clientFailure(
        running ? 'CR_SERVER_LOST' : 'CR_SERVER_GONE_ERROR',
        detail === null ? (running ? message : 'Server closed the connection') : `${message} (${detail})`,
        true,
      ),
    )
  }

  private readonly socketEvents: SocketEvents = {
    data: (chunk) => {
      try {
        if (this.compression === null) this.framer.feedSpans(chunk, this.onPayload)
        else this.compression.feed(chunk)
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e)
        this.destroy(
          e instanceof MalformedPacket
            ? clientFailure('CR_MALFORMED_PACKET', `Malformed packet: ${why}`, true)
            : clientFailure('CR_UNKNOWN_ERROR', why, true),
        )
      }
    },
    error: (err) => this.lost(err.message),
    closed: () => this.lost(null),
    secure: () => {
      const head = this.inFlight.first()
      head?.cmd.tlsReady?.(head)
    },
    tlsFailed: (err) =>
      this.destroy(clientFailure('CR_SSL_CONNECTION_ERROR', `TLS error: ${err.message}`, true)),
  }
}

/** The failure as one command sees it: whether its own bytes had been sent. */
function withSent(failure: Failure, sent: boolean): Failure {
  if (failure instanceof MySQLError || !failure.fatal) return failure
  return { ...failure, sentToServer: sent }
}
