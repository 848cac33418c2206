// Property-based fuzzing through a real Connection and a scripted server on loopback (no MariaDB):
// hostile greetings and authentication replies, and text and prepared-statement replies that are valid,
// edited packet by packet, or garbled on the wire (headers and sequence ids included), delivered in
// random chunks. Whatever arrives, connect() and query() settle within a deadline, with a MySQLError at
// most: a malformed reply is errno 2027 (CR_MALFORMED_PACKET), a cut one 2013, a server's ERR its own
// errno. An internal exception escaping the protocol layer shows up as CR_UNKNOWN_ERROR (2000), or
// during the handshake as "authentication plugin failed", and fails the property. Valid replies succeed.

import { after } from 'node:test'
import fc from 'fast-check'
import { connect, MySQLError, type Connection } from '../../src/index.ts'
import type { Column } from '../../src/protocol/column.ts'
import {
  Capability,
  ColumnType,
  Command,
  FieldFlag,
  MariaDbCapability,
} from '../../src/protocol/constants.ts'
import { DEFAULT_TYPE_OPTIONS } from '../../src/types/options.ts'
import {
  FAKE_HOST,
  startFakeServer,
  type FakeServer,
  type FakeSession,
  type Packet,
} from '../support/fake-server.ts'
import { eof, greeting, ok, packets, SERVER_CAPS, textRow } from '../support/packets.ts'
import {
  mutate,
  mutateSequence,
  mutationsArb,
  randomPayloadArb,
  sequenceEditsArb,
  type Mutation,
  type SequenceEdit,
} from '../fuzz/bytes.ts'
import { fuzzer } from '../fuzz/harness.ts'
import { prepareReply, resultScenarios, serverReply } from '../fuzz/replies.ts'
import { columnDefinition, errArb, greetingFieldsArb, type Caps } from '../fuzz/wire.ts'

const property = fuzzer(import.meta.filename)

/** libmysql's CR_UNKNOWN_ERROR: what the wire reports for an exception that is not MalformedPacket. */
const CR_UNKNOWN_ERROR = 2000

/** Bound on one run: connect, one statement, close. Every wait in it is shorter. */
const RUN_MS = 10_000

// ---- the scripted server -------------------------------------------------------------------------

/** What the server does with the next connection. */
type Serve = (s: FakeSession) => Promise<void>

const pending: Serve[] = []
const servers = new Map<number, FakeServer>()

/**
 * The scripted server whose reads wait at most `readTimeoutMs` for the client: long enough for a
 * client that is answering, short for one that (rightly) stopped talking after a garbled greeting.
 */
async function fakeServer(readTimeoutMs: number): Promise<FakeServer> {
  let server = servers.get(readTimeoutMs)
  if (server === undefined) {
    // The greeting is written by each scenario (it is fuzzed too), so the server sends none itself.
    server = await startFakeServer(
      async (s) => {
        const serve = pending.shift()
        try {
          await serve?.(s)
        } catch {
          // The client gave up or closed first: what it did is judged on the client side.
        }
      },
      { greeting: null, readTimeoutMs },
    )
    servers.set(readTimeoutMs, server)
  }
  return server
}

after(async () => {
  for (const server of servers.values()) await server.close()
})

/** Write `bytes` in pieces cut at the given points, letting the event loop turn between them. */
async function writeChunked(s: FakeSession, bytes: Buffer, cuts: readonly number[]): Promise<void> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const c of [...at, bytes.length]) {
    if (c > from) s.writeRaw(bytes.subarray(from, c))
    from = c
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The greeting of a server whose capabilities lay replies out as `caps` says (MariaDB when it has any). */
function greetingFor(caps: Caps): Buffer {
  const mariaDb = caps.mariaDbCapabilities !== 0
  const layout = Capability.CLIENT_DEPRECATE_EOF | Capability.CLIENT_SESSION_TRACK
  let capabilities = ((SERVER_CAPS & ~layout) | (caps.capabilities & layout)) >>> 0
  if (mariaDb) capabilities = (capabilities & ~Capability.CLIENT_LONG_PASSWORD) >>> 0
  return greeting({
    version: mariaDb ? '5.5.5-11.4.2-MariaDB' : '8.0.36',
    plugin: 'mysql_native_password',
    capabilities,
    mariaDbCapabilities: caps.mariaDbCapabilities,
  })
}

// ---- the client side -----------------------------------------------------------------------------

/** Settle `p` or fail as a hang: the client must end every exchange by itself. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} neither resolved nor rejected within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Throws unless `e` is an error the contract allows for a hostile server. */
function judge(e: unknown, what: string): void {
  if (!(e instanceof MySQLError)) {
    throw new Error(
      `${what} rejected with ${e instanceof Error ? e.name : typeof e}, not a MySQLError: ${String(e)}`,
      {
        cause: e,
      },
    )
  }
  if (e.errno === CR_UNKNOWN_ERROR)
    throw new Error(`${what}: an internal exception reached the user as CR_UNKNOWN_ERROR: ${e.message}`, {
      cause: e,
    })
  // The handshake reports a built-in plugin's exception this way: a parser that threw, not a refusal.
  if (/authentication plugin failed:/.test(e.message))
    throw new Error(`${what}: an exception inside the handshake: ${e.message}`, { cause: e })
}

const options = (port: number, maxAllowedPacket: number) => ({
  host: FAKE_HOST,
  port,
  user: 'fuzz',
  password: 'fuzz-password',
  sslMode: 'disabled' as const,
  connectTimeoutMs: 5000,
  maxAllowedPacket,
})

/** Connect with the next scenario served; the connection, or the (allowed) error that refused it. */
async function open(
  serve: Serve,
  maxAllowedPacket: number,
  readTimeoutMs = 5000,
): Promise<{ conn: Connection } | { refused: MySQLError }> {
  const srv = await fakeServer(readTimeoutMs)
  pending.push(serve)
  try {
    return { conn: await within(connect(options(srv.port, maxAllowedPacket)), RUN_MS, 'connect()') }
  } catch (e) {
    judge(e, 'connect()')
    return { refused: e as MySQLError }
  } finally {
    // A scenario the client never reached (it failed before connecting) must not serve the next one.
    pending.length = 0
  }
}

async function closeQuietly(conn: Connection): Promise<void> {
  await within(conn.ensureClosed(), RUN_MS, 'ensureClosed()').catch((e: unknown) =>
    judge(e, 'ensureClosed()'),
  )
}

// ---- properties ----------------------------------------------------------------------------------

/** How the reply to a statement is damaged on its way (null: not at all). */
interface Damage {
  readonly packets: SequenceEdit[] | null
  /** Edits of the framed bytes (lengths and sequence ids too). */
  readonly wire: Mutation[] | null
  readonly cuts: number[]
  readonly maxAllowedPacket: number
}

const damageArb: fc.Arbitrary<Damage> = fc.record({
  packets: fc.option(sequenceEditsArb, { nil: null, freq: 2 }),
  wire: fc.option(mutationsArb, { nil: null, freq: 3 }),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
  maxAllowedPacket: fc.constantFrom(64 << 20, 1 << 16, 1024),
})

/** A BIGINT UNSIGNED column, as the server describes `SELECT @@max_allowed_packet`. */
const VARIABLE: Column = {
  schema: '',
  table: '',
  orgTable: '',
  name: '',
  orgName: '',
  characterSet: 63,
  columnLength: 20,
  type: ColumnType.MYSQL_TYPE_LONGLONG,
  flags: FieldFlag.UNSIGNED_FLAG,
  decimals: 0,
  extendedType: '',
}

/** Marks the statement under test, so the statements the client sends on connecting can be told apart. */
const PROBE = 'fuzz-probe'

/**
 * The command under test. What the client sends on connecting (SET autocommit, SELECT @@variables, …)
 * gets plain answers: OK, or one row with a number per variable asked.
 */
async function nextCommand(s: FakeSession, caps: Caps): Promise<Packet> {
  const deprecateEof = (caps.capabilities & Capability.CLIENT_DEPRECATE_EOF) !== 0
  const flagged = (caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA) !== 0
  const extended = (caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0
  for (let i = 0; i < 20; i++) {
    const p = await s.read()
    if (p.payload[0] !== Command.COM_QUERY) return p
    const text = p.payload.toString('utf8', 1)
    if (text.includes(PROBE)) return p
    const variables = text.split('@@').length - 1
    if (variables === 0) {
      s.write(ok())
      continue
    }
    const names = Array.from({ length: variables }, (_, i) => `v${i}`)
    s.write(flagged ? Buffer.from([variables, 1]) : Buffer.from([variables]))
    for (const name of names) s.write(columnDefinition({ ...VARIABLE, name }, extended))
    if (!deprecateEof) s.write(eof(2))
    s.write(textRow(names.map(() => '16777216')))
    s.write(deprecateEof ? ok({ header: 0xfe }) : eof(2))
  }
  throw new Error('fake server: too many statements before the one under test')
}

const damaged = (d: Damage): boolean => d.packets !== null || d.wire !== null

/** Read the command, send `payloads` (damaged as told) as its reply; returns the command's first byte. */
async function reply(
  s: FakeSession,
  caps: Caps,
  payloads: readonly Buffer[],
  damage: Damage,
): Promise<number> {
  const command = await nextCommand(s, caps)
  const sent = damage.packets === null ? [...payloads] : mutateSequence(payloads, damage.packets)
  const framed = packets(sent, (command.seq + 1) & 0xff)
  await writeChunked(s, damage.wire === null ? framed : mutate(framed, damage.wire), damage.cuts)
  return command.payload[0]!
}

/**
 * Replies as a connection with the default type options gets them: text rows to a query (whose columns
 * it never knows beforehand), binary rows to a prepared statement (which knows them from PREPARE).
 */
const textReplies = resultScenarios({ opts: DEFAULT_TYPE_OPTIONS, binary: false, known: false })
const binaryReplies = resultScenarios({ opts: DEFAULT_TYPE_OPTIONS, binary: true, known: true })

property(
  'connection: a text query answered by a valid, edited or garbled reply settles with 2027 at most',
  { numRuns: 40, runTimeoutMs: RUN_MS },
  () =>
    fc.asyncProperty(textReplies, damageArb, async (s, damage) => {
      const expected = serverReply(s)
      const opened = await open(async (fake) => {
        fake.writeRaw(packets([greetingFor(s.caps)], 0))
        await fake.readHandshakeResponse()
        fake.write(ok())
        await reply(fake, s.caps, expected.payloads, damage)
      }, damage.maxAllowedPacket)
      if ('refused' in opened)
        throw new Error('connect() failed against a valid greeting', { cause: opened.refused })
      const { conn } = opened
      try {
        await within(conn.query(`SELECT '${PROBE}'`), RUN_MS, 'query()')
      } catch (e) {
        judge(e, 'query()')
        const valid = !damaged(damage) && damage.maxAllowedPacket > 1 << 16
        if (valid && expected.errors === 0 && expected.infiles === 0)
          throw new Error('a valid reply failed', { cause: e })
      } finally {
        await closeQuietly(conn)
      }
    }),
)

property(
  'connection: a prepared statement answered by valid, edited or garbled PREPARE and EXECUTE replies settles with 2027 at most',
  { numRuns: 30, runTimeoutMs: RUN_MS },
  () =>
    fc.asyncProperty(binaryReplies, damageArb, fc.boolean(), async (s, damage, damagePrepare) => {
      const prepared = prepareReply({
        deprecateEof: (s.caps.capabilities & Capability.CLIENT_DEPRECATE_EOF) !== 0,
        extended: (s.caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0,
        id: 7,
        params: 1,
        columns: s.columns,
        warnings: 0,
        err: null,
      })
      const executed = serverReply(s)
      const intact: Damage = {
        packets: null,
        wire: null,
        cuts: damage.cuts,
        maxAllowedPacket: damage.maxAllowedPacket,
      }
      const opened = await open(async (fake) => {
        fake.writeRaw(packets([greetingFor(s.caps)], 0))
        await fake.readHandshakeResponse()
        fake.write(ok())
        const first = await reply(fake, s.caps, prepared, damagePrepare ? damage : intact)
        // After a damaged PREPARE reply the client may wait for packets that never come: hang up.
        if (first !== Command.COM_STMT_PREPARE || (damagePrepare && damaged(damage))) return
        await reply(fake, s.caps, executed.payloads, damage)
      }, damage.maxAllowedPacket)
      if ('refused' in opened)
        throw new Error('connect() failed against a valid greeting', { cause: opened.refused })
      const { conn } = opened
      try {
        await within(conn.query('SELECT %s', [1], { prepare: true }), RUN_MS, 'query({ prepare: true })')
      } catch (e) {
        judge(e, 'query({ prepare: true })')
        const valid = !damaged(damage) && damage.maxAllowedPacket > 1 << 16
        if (valid && executed.errors === 0 && executed.infiles === 0)
          throw new Error('a valid reply failed', { cause: e })
      } finally {
        await closeQuietly(conn)
      }
    }),
)

property(
  'connection: a hostile greeting or authentication reply ends connect() with a MySQLError at most',
  { numRuns: 60, runTimeoutMs: RUN_MS },
  () =>
    fc.asyncProperty(
      fc.oneof(
        { weight: 1, arbitrary: greetingFieldsArb.map((f) => greeting(f)) },
        {
          weight: 3,
          arbitrary: fc.tuple(greetingFieldsArb, mutationsArb).map(([f, m]) => mutate(greeting(f), m)),
        },
        { weight: 1, arbitrary: randomPayloadArb },
      ),
      fc.oneof(
        fc.constant(ok()),
        errArb,
        fc.tuple(fc.constant(ok()), mutationsArb).map(([p, m]) => mutate(p, m)),
        randomPayloadArb,
      ),
      fc.option(mutationsArb, { nil: null, freq: 4 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (hello, authReply, wire, cuts) => {
        const opened = await open(
          async (fake) => {
            const framed = packets([hello], 0)
            await writeChunked(fake, wire === null ? framed : mutate(framed, wire), cuts)
            await fake.readHandshakeResponse()
            fake.write(authReply)
          },
          64 << 20,
          // A client that (rightly) stopped talking after a garbled greeting is hung up on soon.
          50,
        )
        if ('conn' in opened) await closeQuietly(opened.conn)
      },
    ),
)
