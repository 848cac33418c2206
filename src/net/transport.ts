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
}

/** Start connecting; errors arrive as the socket's 'error' event. */
export function openSocket(target: SocketTarget): net.Socket {
  const socket =
    target.unixSocket !== undefined
      ? net.connect({ path: target.unixSocket })
      : net.connect({ host: target.host, port: target.port })
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
