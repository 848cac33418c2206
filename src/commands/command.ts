// The contract between the pipeline (net/) and the per-command state machines (commands/):
// a command writes through the Outbox it is given (which owns its sequence ids) and consumes
// payloads until it says it is done.

import { errorName } from '../error-codes.ts'
import { clientError } from '../error-map.ts'
import type { ErrorRecord, MySQLError } from '../errors.ts'
import type { ErrPacket } from '../protocol/responses.ts'
import type { ResolvedTypeOptions } from '../types/options.ts'
import { ColumnCache } from './column-cache.ts'

/** What a command may do to the connection: send payloads, and (handshake only) start TLS. */
export interface Outbox {
  /** Send one payload that sits after HEADER_SIZE spare bytes (see PacketWriter.framed). */
  send(framed: Buffer): void
  /** Upgrade the socket to TLS; the pipeline calls `tlsReady` on the command when it is secure. */
  startTls(): void
  /** Stop reading from the socket until `resume()` (backpressure for streaming results). */
  pause(): void
  resume(): void
  /** Resolves when the socket has flushed what was written (backpressure for uploads). */
  drained(): Promise<void>
}

/** A failure handed from the lower layers upward: a plain record or an already-built error. */
export type Failure = ErrorRecord | MySQLError

export interface Command {
  /** Write the request (the handshake writes nothing: the server speaks first). */
  start(out: Outbox): void
  /** Consume one payload; return true when the command expects nothing more. */
  handle(payload: Buffer, out: Outbox): boolean
  /**
   * handle() for the payload buf[start, end), which is only valid during the call: commands that read
   * many packets (result sets) decode rows straight from the receive buffer, with no view per packet.
   */
  handleSpan?(buf: Buffer, start: number, end: number, out: Outbox): boolean
  /** The connection failed under this command, or before it started. Settle with `failure`. */
  fail(failure: Failure): void
  /** Another command was queued behind this one (an unread stream then discards its rows). */
  onQueuedBehind?(): void
  /**
   * Written only once every earlier command has answered: its bytes depend on session state an
   * unanswered command can change, or it must be alone on the wire (cancellable statements).
   */
  readonly waitsForReplies?: boolean
  /**
   * False while the command cannot be written yet for a reason of its own (an execution waiting for
   * its statement's id); asked again after every reply. It and everything behind it wait, in order.
   */
  readyToWrite?(): boolean
  /**
   * Nothing later is written until this command has answered: authentication, COM_RESET_CONNECTION,
   * a statement that may start a LOAD DATA LOCAL exchange, a cancellable statement.
   */
  readonly blocksLater?: boolean
  /** COM_QUIT and friends: done as soon as written. */
  readonly noReply?: boolean
  /** COM_QUIT: the pipeline half-closes the socket once this is written. */
  readonly closesConnection?: boolean
  /** Handshake only: TLS is up, continue the exchange. */
  tlsReady?(out: Outbox): void
}

/** Per-connection state that commands read and update (status flags come with every OK/EOF). */
export interface Session {
  capabilities: number
  /** Negotiated MariaDB extended capabilities (0 on MySQL). */
  mariaDbCapabilities: number
  /** SERVER_STATUS_* bits from the last OK or EOF packet. */
  status: number
  serverVersion: string
  isMariaDb: boolean
  connectionId: number
  readonly typeOptions: ResolvedTypeOptions
  /** Bound for one payload from the server, continuation packets joined (maxAllowedPacket). */
  readonly maxPacketSize: number
  /** The server's max_allowed_packet, read after connecting (0 until known): bound for what is sent. */
  serverMaxAllowedPacket: number
  /** AUTO_INCREMENT id from the last OK packet of a statement without rows. */
  lastInsertId: number | bigint
  /** The current database: the one connected to, then as the server reports changes (USE, COM_INIT_DB). */
  database: string
  /** Column definitions last seen on this connection, with their decoders. */
  readonly columnCache: ColumnCache
  /** The errno of a refusal meaning this server cannot serve (see noteRefusal), or 0. */
  unfitErrno: number
}

/** The state of a connection before its greeting: everything learned later starts empty. */
export function newSession(typeOptions: ResolvedTypeOptions, maxPacketSize: number, database = ''): Session {
  return {
    capabilities: 0,
    mariaDbCapabilities: 0,
    status: 0,
    serverVersion: '',
    isMariaDb: false,
    connectionId: 0,
    typeOptions,
    maxPacketSize,
    serverMaxAllowedPacket: 0,
    lastInsertId: 0,
    database,
    unfitErrno: 0,
    columnCache: new ColumnCache(typeOptions),
  }
}

/** An ERR packet from the server as an error record (server errors leave the connection usable). */
export function serverError(err: ErrPacket, fatal = false): ErrorRecord {
  const closed = fatal || closesSession(err.errno)
  return {
    errno: err.errno,
    code: errorName(err.errno),
    sqlState: err.sqlState,
    message: err.message,
    fatal: closed,
  }
}

/**
 * Refusals that say the server, not the statement, is the problem: 1047 (a Galera node not ready —
 * cut off from its cluster, or told to reject queries), 1290/1792/1836 (read-only: a failed-over
 * primary). Remembered on the session, so a pool stops lending the connection (SPEC §12).
 */
const UNFIT_SERVER_ERRORS: ReadonlySet<number> = new Set([1047, 1290, 1792, 1836])

/** Remember a server refusal that makes the connection unfit for a pool. */
export function noteRefusal(session: Session, errno: number): void {
  if (UNFIT_SERVER_ERRORS.has(errno)) session.unfitErrno = errno
}

/**
 * Server errors after which the server has closed the session: 1153 (a packet larger than
 * max_allowed_packet), 1927 (connection killed), 4031 (idle too long). The connection is dead.
 */
const SESSION_CLOSING_ERRORS: ReadonlySet<number> = new Set([1153, 1927, 4031])

export function closesSession(errno: number): boolean {
  return SESSION_CLOSING_ERRORS.has(errno)
}

/** A client-side failure record with libmysql's numbering (CR_*). */
export const clientFailure = clientError
