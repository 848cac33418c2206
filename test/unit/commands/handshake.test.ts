import assert from 'node:assert/strict'
import { test } from 'node:test'
import { builtinAuthPlugins } from '../../../src/commands/auth-plugins.ts'
import { newSession, type Outbox, type Session } from '../../../src/commands/command.ts'
import { HandshakeCommand, type HandshakeOptions } from '../../../src/commands/handshake.ts'
import { nativePasswordScramble } from '../../../src/protocol/auth.ts'
import { Capability } from '../../../src/protocol/constants.ts'
import { PacketReader } from '../../../src/protocol/reader.ts'
import { resolveTypeOptions } from '../../../src/types/options.ts'
import { err, greeting, ok, SERVER_CAPS } from '../../support/packets.ts'

function setup(overrides: Partial<HandshakeOptions> = {}) {
  const session: Session = newSession(resolveTypeOptions({}), 1 << 24)
  const options: HandshakeOptions = {
    user: 'alice',
    password: 'secret',
    database: 'shop',
    collationId: 45,
    sslMode: 'preferred',
    unixSocket: false,
    localInfile: false,
    multiStatements: false,
    clientFlag: 0,
    attributes: new Map([['_client_name', 'test']]),
    authPlugin: undefined,
    plugins: builtinAuthPlugins,
    serverPublicKey: undefined,
    allowPublicKeyRetrieval: false,
    ...overrides,
  }
  const sent: Buffer[] = []
  let tls = 0
  const out: Outbox = {
    send: (b) => sent.push(Buffer.from(b.subarray(4))),
    startTls: () => tls++,
    pause: () => {},
    resume: () => {},
    drained: () => Promise.resolve(),
  }
  const cmd = new HandshakeCommand(session, options)
  return { cmd, out, sent, session, tlsCount: () => tls }
}

const nonce = Buffer.from('abcdefghijklmnopqrst')

test('handshake: greeting v10 -> HandshakeResponse41 with user, scramble, database and plugin', async () => {
  const { cmd, out, sent, session } = setup()
  assert.equal(cmd.handle(greeting({ nonce, connectionId: 99, version: '8.0.36' }), out), false)
  assert.equal(sent.length, 1)
  const r = new PacketReader(sent[0]!)
  const caps = r.readUInt32()
  assert.ok(caps & Capability.CLIENT_PROTOCOL_41)
  assert.ok(caps & Capability.CLIENT_CONNECT_WITH_DB)
  assert.ok(caps & Capability.CLIENT_DEPRECATE_EOF)
  assert.equal(caps & Capability.CLIENT_MULTI_STATEMENTS, 0, 'multi statements stay off')
  assert.equal(caps & Capability.CLIENT_LOCAL_FILES, 0, 'local files stay off')
  assert.equal(caps & Capability.CLIENT_SSL, 0, 'server offers no TLS in this greeting')
  r.skip(4 + 1 + 23)
  assert.equal(r.readNulString(), 'alice')
  assert.ok(r.readLenencBytes().equals(nativePasswordScramble('secret', nonce)))
  assert.equal(r.readNulString(), 'shop')
  assert.equal(r.readNulString(), 'mysql_native_password')
  assert.equal(session.connectionId, 99)
  assert.equal(cmd.handle(ok(), out), true)
  assert.equal((await cmd.promise).serverVersion, '8.0.36')
})

test('handshake: auth switch answers with the new nonce', async () => {
  const { cmd, out, sent } = setup()
  cmd.handle(greeting({ nonce, plugin: 'caching_sha2_password' }), out)
  const nonce2 = Buffer.from('ZYXWVUTSRQPONMLKJIHG')
  const sw = Buffer.concat([
    Buffer.from([0xfe]),
    Buffer.from('mysql_native_password\0'),
    nonce2,
    Buffer.from([0]),
  ])
  assert.equal(cmd.handle(sw, out), false)
  assert.ok(sent[1]!.equals(nativePasswordScramble('secret', nonce2)))
  assert.equal(cmd.handle(ok(), out), true)
  await cmd.promise
})

test('handshake: an unknown plugin in an auth switch fails cleanly with nothing sent', async () => {
  const { cmd, out, sent } = setup()
  cmd.handle(greeting({ nonce }), out)
  const sw = Buffer.concat([Buffer.from([0xfe]), Buffer.from('dialog\0'), nonce])
  assert.equal(cmd.handle(sw, out), true)
  assert.equal(sent.length, 1)
  await assert.rejects(cmd.promise, (e: { errno: number }) => e.errno === 2059)
})

test('handshake: sslMode required with a server that has no TLS fails before the user name is sent', async () => {
  const { cmd, out, sent } = setup({ sslMode: 'required' })
  assert.equal(cmd.handle(greeting({ nonce, capabilities: SERVER_CAPS & ~Capability.CLIENT_SSL }), out), true)
  assert.equal(sent.length, 0)
  await assert.rejects(cmd.promise, (e: { errno: number; fatal: boolean }) => e.errno === 2026 && e.fatal)
})

test('handshake: sslMode preferred with TLS offered sends SSLRequest, then the response after TLS', async () => {
  const { cmd, out, sent, tlsCount } = setup()
  cmd.handle(greeting({ nonce, capabilities: SERVER_CAPS | Capability.CLIENT_SSL }), out)
  assert.equal(sent.length, 1)
  assert.equal(sent[0]!.length, 32, 'SSLRequest is the 32-byte prefix only')
  assert.equal(tlsCount(), 1)
  cmd.tlsReady(out)
  assert.ok(sent[1]!.includes(Buffer.from('alice\0')))
})

test('handshake: an ERR instead of a greeting (1040) surfaces as a fatal record', async () => {
  const { cmd, out } = setup()
  assert.equal(cmd.handle(err(1040, '08004', 'Too many connections'), out), true)
  await assert.rejects(cmd.promise, (e: { errno: number; code: string; fatal: boolean }) => {
    return e.errno === 1040 && e.code === 'ER_CON_COUNT_ERROR' && e.fatal
  })
})
