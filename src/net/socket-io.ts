// Socket I/O for one connection: coalesced writes, TLS upgrade, pause/resume, and the socket's events
// reported through one listener object. Every write made in one turn of the event loop leaves in one
// socket write (flushed from a microtask), so N pipelined commands cost one syscall, not N; a burst
// past 32 KiB is written in 32 KiB steps as it is issued, so the server need not wait for the last.

import type tls from 'node:tls'
import type { SslMode } from '../commands/handshake.ts'
import { upgradeToTls, type ReceiveTarget, type Socket } from './transport.ts'

export interface TlsSettings {
  readonly host: string
  readonly mode: SslMode
  readonly options: tls.ConnectionOptions
}

/** What the socket reports upward (the pipeline); each is called on the current socket only. */
export interface SocketEvents {
  data(chunk: Buffer): void
  error(err: Error): void
  /** The socket closed (the peer ended it, or it was destroyed). */
  closed(): void
  /** TLS is established on the upgraded socket. */
  secure(): void
  /** The TLS handshake failed. */
  tlsFailed(err: Error): void
}

/**
 * Below this many pending bytes, one concatenated buffer is cheaper than a corked writev of many small
 * ones; above it, chunks go out corked so a large statement is never copied a second time.
 */
const CONCAT_LIMIT = 64 * 1024

/**
 * A burst this large goes out at once instead of at the end of the turn, so the server starts on the
 * first statements while the rest are still being rendered (thousands issued in one loop): measured
 * on 20,000 concurrent point selects, +25 % throughput over one write at the end of the turn, and
 * 32 KiB steps +11 % over 64 KiB ones (bench worker, 10 alternating runs: 47.3k/s vs 42.5k/s): the
 * server, reading as fast as it answers, waits less for the next step.
 */
const EARLY_FLUSH_BYTES = 32 * 1024

/**
 * Schedules the flush as a microtask. Node's queueMicrotask wraps every callback in an AsyncResource
 * (async ids, hooks, a bound function): one per statement showed in the per-query profile; a reaction
 * on a settled promise runs in the same queue, at the same point, without that bookkeeping.
 */
const settled = Promise.resolve()

/** Pending-chunk slots an array keeps between flushes; a burst's longer array is let go. */
const KEEP_CHUNK_SLOTS = 1024

export class SocketIo {
  private socket: Socket
  private readonly events: SocketEvents
  private readonly tlsSettings: TlsSettings | null
  /**
   * Chunks [0, pendingCount) wait for the flush. Two arrays take turns (a write made while one is being
   * flushed lands in the other) and keep their room: a fresh array per statement grew to 17 slots.
   */
  private pending: (Buffer | undefined)[] = []
  private spare: (Buffer | undefined)[] = []
  private pendingCount = 0
  private pendingBytes = 0
  private flushScheduled = false
  /** Writes handed over so far, and how many of them reached the socket (for `sentToServer`). */
  private queuedWrites = 0
  private flushedWrites = 0
  private destroyed = false
  /** COM_QUIT was written: end the socket after the next flush. */
  private endAfterFlush = false

  private readonly receive: ReceiveTarget | null

  /**
   * `receive`: the socket was opened reading into one reused buffer (openSocket), and delivers its
   * bytes there instead of through 'data' events.
   */
  constructor(
    socket: Socket,
    events: SocketEvents,
    tlsSettings: TlsSettings | null,
    receive: ReceiveTarget | null = null,
  ) {
    this.socket = socket
    this.events = events
    this.tlsSettings = tlsSettings
    this.receive = receive
    if (receive !== null) receive.deliver = this.onData
    this.attach(socket)
  }

  /**
   * Queue bytes for the socket; they leave with everything else written in this turn.
   * Returns a ticket for `reached` (whether these bytes were handed to the socket).
   */
  write(chunk: Buffer): number {
    const ticket = ++this.queuedWrites
    const i = this.pendingCount++
    if (i < this.pending.length) this.pending[i] = chunk
    else this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes >= EARLY_FLUSH_BYTES) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      void settled.then(this.flush)
    }
    return ticket
  }

  /** True when the write with this ticket left the process (it may have reached the server). */
  reached(ticket: number): boolean {
    return ticket <= this.flushedWrites
  }

  /** Half-close once everything written so far has been flushed (COM_QUIT). */
  endAfterWrites(): void {
    this.endAfterFlush = true
    if (!this.flushScheduled) this.flush()
  }

  readonly flush = (): void => {
    this.flushScheduled = false
    if (this.destroyed) return
    const chunks = this.pending
    const n = this.pendingCount
    if (n > 0) {
      this.pending = this.spare
      this.spare = chunks
      this.pendingCount = 0
      this.pendingBytes = 0
    }
    if (n === 1) this.socket.write(chunks[0]!)
    else if (n > 1) this.writeGrouped(chunks, n)
    if (n > 0) {
      // Written: drop the references (a burst's array of thousands is let go whole).
      if (chunks.length > KEEP_CHUNK_SLOTS) this.spare = []
      else chunks.fill(undefined, 0, n)
    }
    this.flushedWrites = this.queuedWrites
    if (this.endAfterFlush) this.socket.end()
  }

  /**
   * Many chunks: runs of small ones joined into buffers of up to CONCAT_LIMIT bytes (usually just one),
   * large ones written as they are (never copied), all inside one cork so they leave in one writev.
   */
  private writeGrouped(chunks: readonly (Buffer | undefined)[], n: number): void {
    const s = this.socket
    s.cork()
    let run: Buffer[] = []
    let runBytes = 0
    const flushRun = (): void => {
      if (run.length === 1) s.write(run[0]!)
      else if (run.length > 1) s.write(Buffer.concat(run, runBytes))
      run = []
      runBytes = 0
    }
    for (let i = 0; i < n; i++) {
      const c = chunks[i]!
      if (c.length >= CONCAT_LIMIT / 2) {
        flushRun()
        s.write(c)
        continue
      }
      if (runBytes + c.length > CONCAT_LIMIT) flushRun()
      run.push(c)
      runBytes += c.length
    }
    flushRun()
    s.uncork()
  }

  /** Upgrade to TLS; `events.secure` fires when the handshake is done. Pending bytes go out first. */
  startTls(): boolean {
    const settings = this.tlsSettings
    if (settings === null) return false
    this.flush()
    const plain = this.socket
    this.detach(plain)
    // From now on the TLS socket's 'data' events carry the (decrypted) bytes.
    if (this.receive !== null) this.receive.deliver = ignore
    // Errors of the wrapped socket surface on the TLS socket; keep the raw one from crashing the process.
    plain.on('error', () => {})
    const secure = upgradeToTls(plain, settings.host, settings.mode, settings.options)
    this.socket = secure
    secure.once('secureConnect', () => {
      if (this.destroyed) return
      secure.removeListener('error', this.onTlsSetupError)
      this.attach(secure)
      this.events.secure()
    })
    secure.on('error', this.onTlsSetupError)
    return true
  }

  /** Resolves when the socket has flushed what was written (backpressure for uploads). */
  drained(): Promise<void> {
    this.flush()
    const s = this.socket
    if (!s.writableNeedDrain || this.destroyed) return Promise.resolve()
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

  /** Close now; unflushed bytes are dropped (idempotent). */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.pending = []
    this.pendingCount = 0
    this.pendingBytes = 0
    this.socket.destroy()
  }

  private readonly onData = (chunk: Buffer): void => this.events.data(chunk)
  private readonly onError = (err: Error): void => this.events.error(err)
  private readonly onClose = (): void => this.events.closed()
  private readonly onTlsSetupError = (err: Error): void => this.events.tlsFailed(err)

  private attach(s: Socket): void {
    s.on('data', this.onData)
    s.on('error', this.onError)
    s.on('close', this.onClose)
  }

  private detach(s: Socket): void {
    s.removeListener('data', this.onData)
    s.removeListener('error', this.onError)
    s.removeListener('close', this.onClose)
  }
}

function ignore(): void {}
