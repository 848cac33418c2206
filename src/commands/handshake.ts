// Connection phase: greeting -> (SSLRequest, TLS) -> HandshakeResponse41 -> auth switch / more
// data -> OK or ERR. TLS is decided before any credential is written (SPEC §8).

import { Capability, MariaDbCapability } from '../protocol/constants.ts'
import {
  encodeHandshakeResponse,
  encodeSslRequest,
  negotiateCapabilities,
  parseAuthSwitch,
  parseGreeting,
  type Greeting,
} from '../protocol/handshake.ts'
import { MalformedPacket } from '../protocol/malformed.ts'
import { ERR_HEADER, OK_HEADER, parseErr, parseOk } from '../protocol/responses.ts'
import { PacketWriter } from '../protocol/writer.ts'
import {
  AuthRefused,
  type AuthContext,
  type AuthExchange,
  type AuthPlugin,
  type Channel,
} from './auth-plugins.ts'
import {
  clientFailure,
  serverError,
  type Command,
  type Failure,
  type Outbox,
  type Session,
} from './command.ts'

/**
 * How TLS is used, with MySQL's meanings: 'disabled' never; 'preferred' when the server offers it
 * (not on Unix sockets, and never retried in plain text after a failed TLS handshake); 'required'
 * always, without checking the certificate; 'verify-ca' always, checking the certificate against
 * `ssl.ca`; 'verify-identity' also checking the host name.
 */
export type SslMode = 'disabled' | 'preferred' | 'required' | 'verify-ca' | 'verify-identity'

export interface HandshakeOptions {
  readonly user: string
  readonly password: string
  readonly database: string | undefined
  readonly collationId: number
  readonly sslMode: SslMode
  readonly unixSocket: boolean
  readonly localInfile: boolean
  readonly multiStatements: boolean
  readonly clientFlag: number
  readonly attributes: ReadonlyMap<string, string>
  readonly authPlugin: string | undefined
  readonly plugins: Readonly<Record<string, AuthPlugin>>
  readonly serverPublicKey: string | Buffer | undefined
  readonly allowPublicKeyRetrieval: boolean
  /** Ask for the compressed protocol (used only when the server offers CLIENT_COMPRESS). */
  readonly compress?: boolean
}

const State = { GREETING: 0, TLS: 1, AUTH: 2, DONE: 3 } as const
type State = (typeof State)[keyof typeof State]

export class HandshakeCommand implements Command {
  /** Authentication (and the TLS upgrade inside it) is a barrier: nothing is written until it ends. */
  readonly blocksLater = true
  readonly promise: Promise<Greeting>
  private resolve!: (g: Greeting) => void
  private reject!: (f: Failure) => void
  private state: State = State.GREETING
  private greeting: Greeting | null = null
  private exchange: AuthExchange | null = null
  private tls = false

  private readonly session: Session
  private readonly options: HandshakeOptions

  constructor(session: Session, options: HandshakeOptions) {
    this.session = session
    this.options = options
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  start(): void {}

  handle(received: Buffer, out: Outbox): boolean {
    // A private copy: the greeting's nonce and a plugin's data are used after this call returns
    // (TLS upgrade, plugin exchanges), and the received bytes are only valid during it.
    const payload = Buffer.from(received)
    try {
      return this.state === State.GREETING ? this.onGreeting(payload, out) : this.onAuthReply(payload, out)
    } catch (e) {
      if (e instanceof MalformedPacket) throw e
      this.pluginFailed(e)
      return true
    }
  }

  tlsReady(out: Outbox): void {
    this.tls = true
    try {
      this.sendResponse(out)
    } catch (e) {
      // This runs from a TLS event, not from the wire's payload loop: nothing above may throw.
      this.pluginFailed(e)
    }
  }

  /** A plugin refused (or a user plugin threw): end the handshake with CR_AUTH_PLUGIN_CANNOT_LOAD. */
  private pluginFailed(e: unknown): void {
    this.state = State.DONE
    const why =
      e instanceof AuthRefused
        ? e.message
        : `authentication plugin failed: ${e instanceof Error ? e.message : String(e)}`
    this.reject(clientFailure('CR_AUTH_PLUGIN_CANNOT_LOAD', why, true))
  }

  fail(failure: Failure): void {
    this.state = State.DONE
    this.reject(failure)
  }

  /** The handshake could not go on (e.g. TLS refused): reject, then the wire is torn down. */
  get finished(): boolean {
    return this.state === State.DONE
  }

  private onGreeting(payload: Buffer, out: Outbox): boolean {
    if (payload[0] === ERR_HEADER) {
      // e.g. 1040 "Too many connections", sent instead of a greeting.
      this.state = State.DONE
      this.reject(serverError(parseErr(payload), true))
      return true
    }
    const g = parseGreeting(payload)
    this.greeting = g
    const o = this.options
    const serverHasTls = (g.capabilities & Capability.CLIENT_SSL) !== 0
    const mustTls = o.sslMode === 'required' || o.sslMode === 'verify-ca' || o.sslMode === 'verify-identity'
    const useTls = mustTls || (o.sslMode === 'preferred' && serverHasTls && !o.unixSocket)
    if (useTls && !serverHasTls) {
      this.state = State.DONE
      this.reject(
        clientFailure(
          'CR_SSL_CONNECTION_ERROR',
          `sslMode '${o.sslMode}' needs TLS but the server does not offer it`,
          true,
        ),
      )
      return true
    }
    let capabilities =
      negotiateCapabilities(g.capabilities, {
        database: o.database !== undefined && o.database !== '',
        ssl: useTls,
        localFiles: o.localInfile,
        multiStatements: o.multiStatements,
        foundRows: false,
        // Compression is asked for by `compress` alone: the pipeline must know to start it.
        extra:
          (o.clientFlag & ~Capability.CLIENT_COMPRESS) |
          (o.compress === true ? Capability.CLIENT_COMPRESS : 0),
      }) | (useTls ? Capability.CLIENT_SSL : 0)
    // MariaDB reads its extended capabilities only from a client that clears bit 0 (CLIENT_MYSQL).
    // Extended type info is what tells JSON columns apart there; bulk execution and cached result
    // metadata serve prepared statements (SPEC §11). Each is asked for only when offered.
    const mariaDbCapabilities =
      g.mariaDbCapabilities &
      (MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO |
        MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS |
        MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA)
    if (mariaDbCapabilities !== 0) capabilities = (capabilities & ~Capability.CLIENT_LONG_PASSWORD) >>> 0
    Object.assign(this.session, {
      capabilities,
      mariaDbCapabilities,
      status: g.status,
      serverVersion: g.serverVersion,
      isMariaDb: g.isMariaDb,
      connectionId: g.connectionId,
    })
    if (useTls) {
      out.send(
        encodeSslRequest({
          capabilities,
          mariaDbCapabilities: this.session.mariaDbCapabilities,
          maxPacketSize: this.session.maxPacketSize,
          collation: o.collationId,
        }).framed(),
      )
      this.state = State.TLS
      out.startTls()
      return false
    }
    this.sendResponse(out)
    return false
  }

  private sendResponse(out: Outbox): void {
    const g = this.greeting!
    const o = this.options
    const pluginName = o.authPlugin ?? g.authPluginName
    this.exchange = this.plugin(pluginName)
    const authResponse = this.exchange.initial(g.scramble)
    const w = encodeHandshakeResponse({
      capabilities: this.session.capabilities,
      mariaDbCapabilities: this.session.mariaDbCapabilities,
      maxPacketSize: this.session.maxPacketSize,
      collation: o.collationId,
      user: o.user,
      authResponse,
      database: o.database,
      authPluginName: pluginName,
      attributes: o.attributes,
    })
    this.state = State.AUTH
    out.send(w.framed())
  }

  private onAuthReply(payload: Buffer, out: Outbox): boolean {
    const first = payload[0]
    if (first === OK_HEADER) {
      this.session.status = parseOk(payload, this.session.capabilities).status
      this.state = State.DONE
      this.resolve(this.greeting!)
      return true
    }
    if (first === ERR_HEADER) {
      this.state = State.DONE
      this.reject(serverError(parseErr(payload), true))
      return true
    }
    if (first === 0xfe) {
      const { pluginName, data } = parseAuthSwitch(payload)
      this.exchange = this.plugin(pluginName)
      this.sendRaw(out, this.exchange.initial(data))
      return false
    }
    if (first === 0x01 && this.exchange !== null) {
      const reply = this.exchange.more(payload.subarray(1))
      if (reply !== null) this.sendRaw(out, reply)
      return false
    }
    throw new AuthRefused(`unexpected packet 0x${(first ?? 0).toString(16)} during authentication`)
  }

  private plugin(name: string): AuthExchange {
    const factory = Object.hasOwn(this.options.plugins, name) ? this.options.plugins[name] : undefined
    if (factory === undefined) throw new AuthRefused(`authentication plugin '${name}' is not supported`)
    const ctx: AuthContext = {
      user: this.options.user,
      password: this.options.password,
      channel: this.channel(),
      serverPublicKey: this.options.serverPublicKey,
      allowPublicKeyRetrieval: this.options.allowPublicKeyRetrieval,
    }
    return factory(ctx)
  }

  private channel(): Channel {
    if (this.tls) {
      return this.options.sslMode === 'verify-ca' || this.options.sslMode === 'verify-identity'
        ? 'verified-tls'
        : 'tls'
    }
    return this.options.unixSocket ? 'socket' : 'plain'
  }

  private sendRaw(out: Outbox, data: Buffer): void {
    out.send(new PacketWriter(data.length).writeBytes(data).framed())
  }
}
