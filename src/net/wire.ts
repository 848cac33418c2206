// Glue between one socket and its commands: socket chunks -> framer -> the command at the head of
// a FIFO queue. Commands never interleave; a fatal error fails the head and everything queued.

import type tls from 'node:tls'
import { clientFailure, serverError, type Command, type Failure, type Outbox } from '../commands/command.ts'
import type { SslMode } from '../commands/handshake.ts'
import { MySQLError } from '../errors.ts'
import { framePayload, PacketFramer } from '../protocol/framing.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { ERR_HEADER, parseErr } from '../protocol/responses.ts'
import { upgradeToTls, type Socket } from './transport.ts'

export interface TlsSettings {
  readonly host: string
  readonly mode: SslMode
  readonly options: tls.ConnectionOptions
}

export class Wire implements Outbox {
  private socket: Socket
  private readonly framer: PacketFramer
  private readonly queue: Command[] = []
  private queueHead = 0
  private head: Command | null = null
  private seq = 0
  private holds = 0
  /** No byte has arrived yet: a failure now means the server could not be reached. */
  private connecting = true
  /** Set once: why the wire is unusable. */
  failure: Failure | null = null
  /** Called once when the wire closes for any reason. */
  onClose: ((failure: Failure | null) => void) | null = null

  private readonly tlsSettings: TlsSettings | null

  constructor(socket: Socket, maxPacketSize: number, tlsSettings: TlsSettings | null) {
    this.tlsSettings = tlsSettings
    this.socket = socket
    this.framer = new PacketFramer(maxPacketSize)
    this.attach(socket)
  }

  get closed(): boolean {
    return this.failure !== null
  }

  /** True when no command is running or waiting. */
  get idle(): boolean {
    return this.head === null && this.queueHead === this.queue.length
  }

  /**
   * Keep the next command from starting until the returned release is called (a cancellation
   * holds the line while KILL QUERY is in flight, so it can only hit the statement it targets).
   */
  hold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.holds--
      if (this.head === null) this.next()
    }
  }

  /** Remove a command that has not started; false when it already started (or finished). */
  cancelQueued(cmd: Command): boolean {
    const i = this.queue.indexOf(cmd, this.queueHead)
    if (i < 0) return false
    this.queue.splice(i, 1)
    return true
  }

  /** The command is on the wire now (started, not finished). */
  isRunning(cmd: Command): boolean {
    return this.head === cmd
  }

  enqueue(cmd: Command): void {
    if (this.failure !== null) {
      cmd.fail(this.failure)
      return
    }
    this.queue.push(cmd)
    if (this.head === null) this.next()
    else this.head.onQueuedBehind?.()
  }

  // Outbox ------------------------------------------------------------------------------------

  send(framed: Buffer): void {
    const { chunks, nextSeq } = framePayload(framed, this.seq)
    this.seq = nextSeq
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!)
      return
    }
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
  }

  startTls(): void {
    const settings = this.tlsSettings
    if (settings === null) {
      this.destroy(clientFailure('CR_SSL_CONNECTION_ERROR', 'TLS requested without TLS settings', true))
      return
    }
    const plain = this.socket
    this.detach(plain)
    // Errors of the wrapped socket surface on the TLS socket; keep the raw one from crashing the process.
    plain.on('error', () => {})
    const secure = upgradeToTls(plain, settings.host, settings.mode, settings.options)
    this.socket = secure
    secure.once('secureConnect', () => {
      if (this.failure !== null) return
      this.attach(secure)
      this.head?.tlsReady?.(this)
    })
    secure.on('error', this.onTlsSetupError)
  }

  drained(): Promise<void> {
    const s = this.socket
    if (!s.writableNeedDrain || this.failure !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done)
        s.off('close', done)
        resolve()
      }
      s.on('drain', done)
      s.on('close', done)
    })
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  /** Close the socket and fail every command; idempotent. */
  destroy(failure: Failure): void {
    if (this.failure !== null) return
    this.failure = failure
    this.socket.destroy()
    const head = this.head
    this.head = null
    head?.fail(failure)
    while (this.queueHead < this.queue.length) this.queue[this.queueHead++]!.fail(failure)
    this.queue.length = 0
    this.queueHead = 0
    this.onClose?.(failure)
  }

  // Internals ---------------------------------------------------------------------------------

  private next(): void {
    while (
      this.head === null &&
      this.holds === 0 &&
      this.queueHead < this.queue.length &&
      this.failure === null
    ) {
      const cmd = this.queue[this.queueHead]!
      // Drop the reference (a finished command may hold a whole result) and reuse the array.
      this.queue[this.queueHead++] = undefined as unknown as Command
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0
        this.queueHead = 0
      } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead)
        this.queueHead = 0
      }
      this.head = cmd
      this.seq = 0
      try {
        cmd.start(this)
      } catch (e) {
        // Bad input found while rendering (nothing was written): fail this command only.
        this.head = null
        if (e instanceof MySQLError) cmd.fail(e)
        else this.destroy(clientFailure('CR_UNKNOWN_ERROR', String(e), true))
        continue
      }
      if (cmd.noReply === true) {
        this.head = null
        // COM_QUIT: half-close only once it is written, after everything queued before it.
        if (cmd.closesConnection === true) this.socket.end()
      }
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.framer.feed(chunk, this.onPayload)
    } catch (e) {
      if (e instanceof MalformedPacket) {
        this.destroy(clientFailure('CR_MALFORMED_PACKET', `Malformed packet: ${e.message}`, true))
      } else {
        this.destroy(clientFailure('CR_UNKNOWN_ERROR', e instanceof Error ? e.message : String(e), true))
      }
    }
  }

  private readonly onPayload = (payload: Buffer, seq: number): void => {
    if (this.failure !== null) return
    this.connecting = false
    const cmd = this.head
    if (cmd === null) {
      // Unsolicited: the server says goodbye (e.g. 1927 "Connection was killed", shutdown).
      this.destroy(
        payload[0] === ERR_HEADER
          ? serverError(parseErr(payload), true)
          : clientFailure('CR_MALFORMED_PACKET', 'Malformed packet: unexpected packet while idle', true),
      )
      return
    }
    if (seq !== this.seq) throw new MalformedPacket(`packets out of order: got ${seq}, expected ${this.seq}`)
    this.seq = (this.framer.seq + 1) & 0xff
    if (cmd.handle(payload, this)) {
      this.head = null
      this.next()
    }
  }

  private readonly onError = (err: Error): void => {
    if (this.connecting) {
      this.destroy(clientFailure('CR_CONN_HOST_ERROR', `Can't connect to server (${err.message})`, true))
      return
    }
    const lost = this.head !== null
    this.destroy(
      clientFailure(
        lost ? 'CR_SERVER_LOST' : 'CR_SERVER_GONE_ERROR',
        `${lost ? 'Lost connection to server during query' : 'Server has gone away'} (${err.message})`,
        true,
      ),
    )
  }

  private readonly onEnd = (): void => {
    if (this.connecting) {
      this.destroy(
        clientFailure('CR_CONN_HOST_ERROR', `Can't connect to server (closed before the greeting)`, true),
      )
      return
    }
    const lost = this.head !== null
    this.destroy(
      clientFailure(
        lost ? 'CR_SERVER_LOST' : 'CR_SERVER_GONE_ERROR',
        lost ? 'Lost connection to server during query' : 'Server closed the connection',
        true,
      ),
    )
  }

  private readonly onTlsSetupError = (err: Error): void => {
    this.destroy(clientFailure('CR_SSL_CONNECTION_ERROR', `TLS error: ${err.message}`, true))
  }

  private attach(s: Socket): void {
    s.on('data', this.onData)
    s.on('error', this.onError)
    s.on('close', this.onEnd)
    s.removeListener('error', this.onTlsSetupError)
  }

  private detach(s: Socket): void {
    s.removeListener('data', this.onData)
    s.removeListener('error', this.onError)
    s.removeListener('close', this.onEnd)
  }
}
