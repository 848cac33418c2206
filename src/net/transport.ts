// The only importer of node:net and node:tls: open a TCP or Unix socket, and upgrade it to TLS
// with the verification the sslMode asks for.

import net from 'node:net'
import tls from 'node:tls'
import type { SslMode } from '../commands/handshake.ts'

export type Socket = net.Socket

export interface SocketTarget {
  readonly host: string
  readonly port: number
  readonly unixSocket: string | undefined
  /** Only read on Deno: whether the socket may later be upgraded to TLS. */
  readonly sslMode?: SslMode
}

/** Where a socket's bytes go; set by the reader (the pipeline) once it exists. */
export interface ReceiveTarget {
  deliver: (chunk: Buffer) => void
}

/** The one receive buffer each connection reads into (the kernel fills it; nothing is allocated per read). */
const RECEIVE_BUFFER_BYTES = 64 * 1024

/**
 * Start connecting; errors arrive as the socket's 'error' event. Plain-text bytes are read into one
 * reused buffer and handed to `receive.deliver` (no Buffer and no stream bookkeeping per read): the
 * chunk is valid only during that call, so the reader copies whatever it keeps. After a TLS upgrade
 * the TLS socket's own 'data' events take over.
 */
export function openSocket(target: SocketTarget, receive: ReceiveTarget): net.Socket {
  const onread = {
    buffer: Buffer.allocUnsafe(RECEIVE_BUFFER_BYTES),
    callback: (n: number, buf: Uint8Array): boolean => {
      receive.deliver((buf as Buffer).subarray(0, n))
      return true
    },
  }
  // Deno never completes tls.connect({ socket }) on a socket opened with `onread`: there, a connection
  // that may be upgraded reads through 'data' events instead ('preferred' skips TLS on Unix sockets).
  const mayUpgrade =
    target.sslMode !== 'disabled' && !(target.unixSocket !== undefined && target.sslMode === 'preferred')
  const read = mayUpgrade && 'Deno' in globalThis ? {} : { onread }
  const socket =
    target.unixSocket !== undefined
      ? net.connect({ path: target.unixSocket, ...read })
      : net.connect({ host: target.host, port: target.port, ...read })
  socket.setNoDelay(true)
  if (target.unixSocket === undefined) socket.setKeepAlive(true, 30_000)
  return socket
}

/**
 * Wrap a connected socket in TLS. `required` encrypts without verifying; `verify-ca` checks the
 * chain but not the name; `verify-identity` (and `preferred` never reaches here unverified unless
 * the user chose it) checks both, like MySQL's own client.
 */
export function upgradeToTls(
  socket: net.Socket,
  host: string,
  mode: SslMode,
  options: tls.ConnectionOptions,
): tls.TLSSocket {
  const verify = mode === 'verify-ca' || mode === 'verify-identity'
  const servername = net.isIP(host) === 0 ? host : undefined
  return tls.connect({
    ...options,
    socket,
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: verify,
    checkServerIdentity:
      mode === 'verify-identity'
        ? (name, cert) => tls.checkServerIdentity(host || name, cert)
        : () => undefined,
  })
}
