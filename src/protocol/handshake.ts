// Connection phase packets: the server's Initial Handshake v10, and the client's SSLRequest and
// HandshakeResponse41. Capability negotiation is one pure function (negotiateCapabilities).

import { Capability } from './constants.ts'
import { MalformedPacket } from './malformed.ts'
import { PacketReader } from './reader.ts'
import { PacketWriter } from './writer.ts'

export interface Greeting {
  readonly protocolVersion: number
  readonly serverVersion: string
  readonly connectionId: number
  /** The full 20-byte nonce (both parts, without the trailing NUL). */
  readonly scramble: Buffer
  readonly capabilities: number
  /** MariaDB's extended capabilities (0 for MySQL). */
  readonly mariaDbCapabilities: number
  readonly collation: number
  readonly status: number
  readonly authPluginName: string
  readonly isMariaDb: boolean
}

export function parseGreeting(payload: Buffer): Greeting {
  const r = new PacketReader(payload)
  const protocolVersion = r.readUInt8()
  if (protocolVersion !== 10) throw new MalformedPacket(`unsupported protocol version ${protocolVersion}`)
  const serverVersion = r.readNulString('latin1')
  const connectionId = r.readUInt32()
  const scramble1 = r.readBytes(8)
  r.skip(1)
  let capabilities = r.readUInt16()
  let collation = 0
  let status = 0
  let mariaDbCapabilities = 0
  let scramble2: Buffer = Buffer.alloc(0)
  let authPluginName = ''
  if (r.remaining > 0) {
    collation = r.readUInt8()
    status = r.readUInt16()
    capabilities = (capabilities | (r.readUInt16() << 16)) >>> 0
    const authDataLength = r.readUInt8()
    r.skip(6)
    // MariaDB puts its extended capabilities in the last 4 filler bytes (when it clears bit 0).
    mariaDbCapabilities = r.readUInt32()
    if (capabilities & Capability.CLIENT_SECURE_CONNECTION) {
      const len = Math.max(13, authDataLength - 8)
      scramble2 = r.readBytes(len)
      // The second part ends with a NUL that is not part of the nonce.
      if (scramble2[scramble2.length - 1] === 0) scramble2 = scramble2.subarray(0, scramble2.length - 1)
    }
    if (capabilities & Capability.CLIENT_PLUGIN_AUTH && r.remaining > 0) {
      const i = payload.indexOf(0, r.pos)
      authPluginName = payload.toString('latin1', r.pos, i < 0 ? payload.length : i)
    }
  }
  const isMariaDb = (capabilities & Capability.CLIENT_LONG_PASSWORD) === 0 || /mariadb/i.test(serverVersion)
  if ((capabilities & Capability.CLIENT_LONG_PASSWORD) !== 0) mariaDbCapabilities = 0
  return {
    protocolVersion,
    serverVersion: serverVersion.replace(/^5\.5\.5-/, ''),
    connectionId,
    scramble: Buffer.concat([scramble1, scramble2]),
    capabilities,
    mariaDbCapabilities,
    collation,
    status,
    authPluginName: authPluginName || 'mysql_native_password',
    isMariaDb,
  }
}

export interface ResponseFields {
  readonly capabilities: number
  readonly mariaDbCapabilities: number
  readonly maxPacketSize: number
  readonly collation: number
  readonly user: string
  readonly authResponse: Buffer
  readonly database: string | undefined
  readonly authPluginName: string
  readonly attributes: ReadonlyMap<string, string>
}

/** SSLRequest: the first 32 bytes of a HandshakeResponse41, sent before the TLS handshake. */
export function encodeSslRequest(
  f: Pick<ResponseFields, 'capabilities' | 'mariaDbCapabilities' | 'maxPacketSize' | 'collation'>,
): PacketWriter {
  const w = new PacketWriter(32)
  w.writeUInt32(f.capabilities)
    .writeUInt32(f.maxPacketSize)
    .writeUInt8(f.collation & 0xff)
  w.writeZeros(19).writeUInt32(f.mariaDbCapabilities)
  return w
}

export function encodeHandshakeResponse(f: ResponseFields): PacketWriter {
  const w = encodeSslRequest(f)
  w.writeNulString(f.user)
  if (f.capabilities & Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) w.writeLenencBytes(f.authResponse)
  else w.writeUInt8(f.authResponse.length).writeBytes(f.authResponse)
  if (f.capabilities & Capability.CLIENT_CONNECT_WITH_DB) w.writeNulString(f.database ?? '')
  if (f.capabilities & Capability.CLIENT_PLUGIN_AUTH) w.writeNulString(f.authPluginName)
  if (f.capabilities & Capability.CLIENT_CONNECT_ATTRS) {
    const attrs = new PacketWriter(64)
    for (const [k, v] of f.attributes) attrs.writeLenencString(k).writeLenencString(v)
    w.writeLenencBytes(attrs.payload())
  }
  return w
}

/** Capabilities this client asks for, limited to what the server offers. */
export function negotiateCapabilities(
  server: number,
  wanted: {
    readonly database: boolean
    readonly ssl: boolean
    readonly localFiles: boolean
    readonly multiStatements: boolean
    readonly foundRows: boolean
    readonly extra: number
  },
): number {
  let c =
    Capability.CLIENT_LONG_PASSWORD |
    Capability.CLIENT_LONG_FLAG |
    Capability.CLIENT_PROTOCOL_41 |
    Capability.CLIENT_TRANSACTIONS |
    Capability.CLIENT_SECURE_CONNECTION |
    Capability.CLIENT_MULTI_RESULTS |
    Capability.CLIENT_PS_MULTI_RESULTS |
    Capability.CLIENT_PLUGIN_AUTH |
    Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
    Capability.CLIENT_CONNECT_ATTRS |
    Capability.CLIENT_DEPRECATE_EOF |
    // Session-state info in OK packets: the current database after USE (the prepared cache's key).
    Capability.CLIENT_SESSION_TRACK |
    wanted.extra
  if (wanted.database) c |= Capability.CLIENT_CONNECT_WITH_DB
  if (wanted.ssl) c |= Capability.CLIENT_SSL
  if (wanted.localFiles) c |= Capability.CLIENT_LOCAL_FILES
  if (wanted.multiStatements) c |= Capability.CLIENT_MULTI_STATEMENTS
  if (wanted.foundRows) c |= Capability.CLIENT_FOUND_ROWS
  return (c & (server | Capability.CLIENT_LONG_PASSWORD)) >>> 0
}

/** AuthSwitchRequest (0xFE): plugin name and its data (the new nonce, trailing NUL removed). */
export function parseAuthSwitch(payload: Buffer): { pluginName: string; data: Buffer } {
  const r = new PacketReader(payload, 1)
  if (r.remaining === 0) return { pluginName: 'mysql_old_password', data: Buffer.alloc(0) }
  const pluginName = r.readNulString('latin1')
  let data = r.readRest()
  // The MySQL plugins send a 20-byte nonce plus a NUL terminator; others (client_ed25519's 32
  // bytes) send raw data whose last byte may itself be 0, so only that exact shape is trimmed.
  if (data.length === 21 && data[20] === 0) data = data.subarray(0, 20)
  return { pluginName, data }
}
