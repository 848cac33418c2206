// Opening a connection: host -> socket -> pipeline -> handshake (authentication, TLS). Session
// settings are applied afterwards by the Connection, through its public statements.

import { builtinAuthPlugins } from './commands/auth-plugins.ts'
import { clientFailure, newSession, type Failure, type Session } from './commands/command.ts'
import { HandshakeCommand } from './commands/handshake.ts'
import { Capability } from './protocol/constants.ts'
import type { ResolvedConfig } from './config.ts'
import { raise } from './error-map.ts'
import { InterfaceError } from './errors.ts'
import { Pipeline } from './net/pipeline.ts'
import { openSocket, type ReceiveTarget } from './net/transport.ts'
import { charsetByName } from './types/charsets.ts'

/** utf8mb4_general_ci: the collation sent when the configured one has no one-byte id. */
const FALLBACK_COLLATION_ID = 45

/** Connect and authenticate; resolves with the live pipeline and session. */
export async function handshake(config: ResolvedConfig): Promise<{ pipe: Pipeline; session: Session }> {
  // verify-ca means "this CA": falling back to the system roots would accept any public certificate.
  // Refused before a socket is opened, as a TLS error (MySQL's client: "CA certificate is required").
  if (config.sslMode === 'verify-ca' && config.ssl.ca === undefined) {
    throw raise(
      clientFailure(
        'CR_SSL_CONNECTION_ERROR',
        "sslMode 'verify-ca' needs the CA certificate (ssl: { ca }): CA certificate is required",
        true,
      ),
    )
  }
  const password = await passwordFor(config)
  const session = newSession(config.types, config.maxAllowedPacket, config.db ?? '')
  const receive: ReceiveTarget = { deliver: () => {} }
  const pipe = new Pipeline(openSocket(config, receive), {
    maxPacketSize: config.maxAllowedPacket,
    tls: { host: config.host, mode: config.sslMode, options: config.ssl },
    pipelining: config.pipelining,
    receive,
  })
  const attributes = new Map<string, string>([
    ['_client_name', 'aiomysql-ts'],
    ['_pid', String(process.pid)],
    ['_platform', process.arch],
    ['_os', process.platform],
  ])
  if (config.programName !== undefined) attributes.set('program_name', config.programName)
  for (const [k, v] of Object.entries(config.connectAttributes)) attributes.set(k, String(v))
  const hs = new HandshakeCommand(session, {
    user: config.user,
    password,
    database: config.db,
    // The handshake has one byte for it; larger ids go out with SET NAMES ... COLLATE afterwards.
    collationId:
      config.collationId <= 255
        ? config.collationId
        : (charsetByName(config.charset)?.defaultCollationId ?? FALLBACK_COLLATION_ID),
    sslMode: config.sslMode,
    unixSocket: config.unixSocket !== undefined,
    localInfile: config.localInfile !== false,
    multiStatements: config.multiStatements,
    clientFlag: config.clientFlag,
    attributes,
    authPlugin: config.authPlugin,
    plugins: { ...builtinAuthPlugins, ...config.authPlugins },
    serverPublicKey: config.serverPublicKey,
    allowPublicKeyRetrieval: config.allowPublicKeyRetrieval,
    compress: config.compress,
  })
  const timer = setTimeout(() => {
    pipe.destroy(
      clientFailure(
        'CR_CONN_HOST_ERROR',
        `Connect timeout: no session within ${config.connectTimeoutMs} ms`,
        true,
      ),
    )
  }, config.connectTimeoutMs)
  pipe.enqueue(hs)
  try {
    await hs.promise
  } catch (e) {
    pipe.destroy(e as Failure)
    throw raise(e as Failure)
  } finally {
    clearTimeout(timer)
  }
  // Compression starts after the OK that ends authentication (the server sends that one plain), and
  // before anything else is written: the server says nothing more until the next command.
  if ((session.capabilities & Capability.CLIENT_COMPRESS) !== 0) pipe.startCompression()
  return { pipe, session }
}

/**
 * The password for a new connection: the configured string, or what the password function gives now
 * (called for every connection). Its failures never show a returned value.
 */
async function passwordFor(config: ResolvedConfig): Promise<string> {
  const given = config.password
  if (typeof given === 'string') return given
  let value: unknown
  try {
    value = await given()
  } catch (e) {
    throw new InterfaceError('the password function failed', {
      cause: e,
      errno: 0,
      code: 'PASSWORD_FUNCTION_FAILED',
    })
  }
  if (typeof value !== 'string') {
    throw new InterfaceError(
      `the password function must return a string, got ${value === null ? 'null' : typeof value}`,
      {
        errno: 0,
        code: 'PASSWORD_FUNCTION_FAILED',
      },
    )
  }
  return value
}
