// Property-based fuzzing of the command state machines that read many packets (no server): the
// result-set reader shared by COM_QUERY and COM_STMT_EXECUTE, and the PREPARE reply reader. Valid
// replies are built from the server's rules (every capability layout, text and binary rows, several
// results, LOCAL INFILE, skipped metadata) and must be read whole; the same replies with packets
// edited, dropped, duplicated, swapped, inserted or cut must end in MalformedPacket at most, never in
// another error. Rows are decoded in place from a larger receive buffer too (handleSpan), and must come
// out exactly as from the payload alone.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { newSession, type Session } from '../../src/commands/command.ts'
import { PrepareCommand } from '../../src/commands/prepare.ts'
import { ResultSetReader, type KnownColumns, type ResultSink } from '../../src/commands/result-set.ts'
import { BINARY_ROWS, TEXT_ROWS, type RowFormat } from '../../src/commands/row-format.ts'
import { decodeColumn, type Column } from '../../src/protocol/column.ts'
import { Capability, MariaDbCapability } from '../../src/protocol/constants.ts'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { PacketReader } from '../../src/protocol/reader.ts'
import { StatementEntry } from '../../src/prepared/entry.ts'
import { DEFAULT_TYPE_OPTIONS, type ResolvedTypeOptions } from '../../src/types/options.ts'
import { alone, canon, embed, mutateSequence, paddingArb, sequenceEditsArb } from '../fuzz/bytes.ts'
import { fuzzer } from '../fuzz/harness.ts'
import {
  prepareReply,
  prepareScenarioArb,
  resultScenarioArb,
  serverReply,
  type PrepareScenario,
  type ResultScenario,
} from '../fuzz/replies.ts'
import { columnDefinition, type Caps } from '../fuzz/wire.ts'

const property = fuzzer(import.meta.filename)

/** A session as the handshake leaves it; the result reader reads and updates it. */
function session(caps: Caps, opts: ResolvedTypeOptions): Session {
  const s = newSession(opts, 1 << 24)
  s.capabilities = caps.capabilities
  s.mariaDbCapabilities = caps.mariaDbCapabilities
  s.serverVersion = 'fuzz'
  return s
}

/** The column as the client decodes it back (the extended type exists only when negotiated). */
function asDecoded(c: Column, extended: boolean): Column {
  return decodeColumn(new PacketReader(columnDefinition(c, extended)), extended)
}

// ---- result sets ---------------------------------------------------------------------------------

interface ReadLog {
  events: string[]
  malformed: boolean
  /** Index of the payload after which the reader said the command was over; -1 if it never did. */
  doneAt: number
}

/**
 * Feed payloads to a fresh reader until it says the reply is over or refuses one, recording what its
 * sink saw (canonical text, taken at once: row values may be views of the receive buffer). `spans`
 * hands each payload as a range of a larger buffer, as the wire does. At most one call per payload.
 */
function read(
  s: ResultScenario,
  payloads: readonly Buffer[],
  spans: { before: Uint8Array; after: Uint8Array } | null,
): ReadLog {
  const log: ReadLog = { events: [], malformed: false, doneAt: -1 }
  const sink: ResultSink = {
    columns: (cols) => log.events.push(`columns ${canon(cols)}`),
    row: (values) => log.events.push(`row ${canon(values)}`),
    end: (summary) => log.events.push(`end ${canon(summary)}`),
    error: (err) => log.events.push(`error ${canon(err)}`),
  }
  if (s.infile) sink.localInfile = (name) => log.events.push(`infile ${JSON.stringify(name)}`)
  const extended = (s.caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0
  const known: KnownColumns | null = s.known
    ? { columns: s.columns.map((c) => asDecoded(c, extended)), decoders: null }
    : null
  const format = (s.binary ? BINARY_ROWS : TEXT_ROWS) as RowFormat<unknown>
  const reader = new ResultSetReader(session(s.caps, s.opts), sink, format, known)
  for (const [i, p] of payloads.entries()) {
    let done: boolean
    try {
      if (spans === null) done = reader.handle(alone(p))
      else {
        const { buf, start, end } = embed(p, spans)
        done = reader.handleSpan(buf, start, end)
      }
    } catch (e) {
      if (e instanceof MalformedPacket) {
        log.malformed = true
        break
      }
      throw new Error(
        `payload ${i}: ResultSetReader threw ${e instanceof Error ? e.name : typeof e}, not MalformedPacket: ${String(e)}`,
        { cause: e },
      )
    }
    if (done) {
      log.doneAt = i
      break
    }
  }
  return log
}

const count = (log: ReadLog, kind: string): number =>
  log.events.filter((e) => e.startsWith(kind + ' ')).length

property(
  'result sets: every valid reply is read whole, in place or not, ending at its last packet',
  { numRuns: 200 },
  () =>
    fc.property(resultScenarioArb, paddingArb, (s, padding) => {
      const want = serverReply(s)
      const log = read(s, want.payloads, null)
      assert.equal(log.malformed, false, 'a valid reply was refused')
      assert.equal(log.doneAt, want.payloads.length - 1, 'the reply ended early or not at all')
      assert.equal(count(log, 'row'), want.rows)
      assert.equal(count(log, 'columns'), want.columnEvents)
      assert.equal(count(log, 'end'), want.ends)
      assert.equal(count(log, 'error'), want.errors)
      assert.equal(count(log, 'infile'), want.infiles)
      assert.deepEqual(read(s, want.payloads, padding), log, 'rows decoded in place differ')
    }),
)

property(
  'result sets: edited, dropped, duplicated, swapped, inserted or cut packets give MalformedPacket at most',
  { numRuns: 400 },
  () =>
    fc.property(resultScenarioArb, sequenceEditsArb, paddingArb, (s, edits, padding) => {
      const payloads = mutateSequence(serverReply(s).payloads, edits)
      const log = read(s, payloads, null)
      assert.deepEqual(
        read(s, payloads, padding),
        log,
        'the reply read in place differs from the payloads alone',
      )
    }),
)

// ---- PREPARE replies -----------------------------------------------------------------------------

/** Feed a PREPARE reply to a fresh command; returns the entry, whether it refused, and where it ended. */
function prepare(
  s: PrepareScenario,
  payloads: readonly Buffer[],
): { entry: StatementEntry; malformed: boolean; doneAt: number } {
  const caps: Caps = {
    capabilities:
      (Capability.CLIENT_PROTOCOL_41 | (s.deprecateEof ? Capability.CLIENT_DEPRECATE_EOF : 0)) >>> 0,
    mariaDbCapabilities: s.extended ? MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO : 0,
  }
  const entry = new StatementEntry('SELECT ?')
  const cmd = new PrepareCommand(session(caps, DEFAULT_TYPE_OPTIONS), entry, null)
  for (const [i, p] of payloads.entries()) {
    try {
      if (cmd.handle(alone(p))) return { entry, malformed: false, doneAt: i }
    } catch (e) {
      if (e instanceof MalformedPacket) return { entry, malformed: true, doneAt: -1 }
      throw new Error(
        `payload ${i}: PrepareCommand threw ${e instanceof Error ? e.name : typeof e}, not MalformedPacket: ${String(e)}`,
        { cause: e },
      )
    }
  }
  return { entry, malformed: false, doneAt: -1 }
}

property(
  'PREPARE: every valid reply settles the statement with its id, parameter count and columns',
  { numRuns: 1000 },
  () =>
    fc.property(prepareScenarioArb, (s) => {
      const payloads = prepareReply(s)
      const { entry, malformed, doneAt } = prepare(s, payloads)
      assert.equal(malformed, false)
      assert.equal(doneAt, payloads.length - 1, 'the reply ended early or not at all')
      if (s.err !== null) {
        assert.notEqual(entry.failure, null)
        return
      }
      assert.equal(entry.id, s.id)
      assert.equal(entry.paramCount, s.params)
      assert.deepEqual(
        entry.columns,
        s.columns.map((c) => asDecoded(c, s.extended)),
      )
    }),
)

property(
  'PREPARE: edited, dropped, duplicated, swapped, inserted or cut packets give MalformedPacket at most',
  { numRuns: 1500 },
  () =>
    fc.property(prepareScenarioArb, sequenceEditsArb, (s, edits) => {
      const { entry, malformed, doneAt } = prepare(s, mutateSequence(prepareReply(s), edits))
      // Settled means consistent: a statement id and exactly the columns announced.
      if (!malformed && doneAt >= 0 && entry.failure === null)
        assert.ok(entry.id >= 0 && entry.paramCount >= 0)
    }),
)
