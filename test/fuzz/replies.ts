// Whole server replies as fast-check scenarios: a command's results (OK, ERR, LOCAL INFILE requests,
// result sets with text or binary rows, several results chained by SERVER_MORE_RESULTS_EXISTS, skipped
// metadata) and PREPARE replies, each laid out for the capabilities in force. Used by the state-machine
// fuzzing (test/unit/fuzz-commands.test.ts) and, through a scripted server, by the connection-level
// fuzzing (test/unit/fuzz-wire.test.ts).

import fc from 'fast-check'
import { CellWidth, type BinaryCell } from '../../src/protocol/binary-row.ts'
import type { Column } from '../../src/protocol/column.ts'
import { Capability, ColumnType, MariaDbCapability, ServerStatus } from '../../src/protocol/constants.ts'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { binaryDecoderFor } from '../../src/types/binary-decode.ts'
import { textDecoderFor } from '../../src/types/decode.ts'
import type { ResolvedTypeOptions } from '../../src/types/options.ts'
import {
  binaryCellArb,
  binaryRowPayload,
  capsArb,
  columnArb,
  columnDefinition,
  eofPacket,
  errArb,
  okFieldsArb,
  okPacket,
  prepareOk,
  temporalKind,
  textCellArb,
  textRowPayload,
  typeOptionsArb,
  type Caps,
  type OkFields,
} from './wire.ts'

const MORE = ServerStatus.SERVER_MORE_RESULTS_EXISTS

// ---- results -------------------------------------------------------------------------------------

/** One result of a command's reply. */
export type ResultPlan =
  | { readonly kind: 'ok'; readonly ok: OkFields }
  | { readonly kind: 'err'; readonly packet: Buffer }
  | { readonly kind: 'infile'; readonly file: string; readonly ok: OkFields }
  | {
      readonly kind: 'rows'
      readonly rows: readonly (Buffer | null)[][]
      /** Omit the definitions (MARIADB_CLIENT_CACHE_METADATA, when the reader knows them). */
      readonly skipDefinitions: boolean
      readonly end: OkFields
    }

export interface ResultScenario {
  readonly caps: Caps
  readonly opts: ResolvedTypeOptions
  readonly binary: boolean
  /** Every rows result has these columns (as a re-executed statement would). */
  readonly columns: readonly Column[]
  /** The statement's columns known from before (prepared statements), or null. */
  readonly known: boolean
  /** The sink accepts LOAD DATA LOCAL requests. */
  readonly infile: boolean
  readonly results: readonly ResultPlan[]
}

/** Cells for generating binary values; a column that gets none is refused later, in the property. */
function cellsFor(cols: readonly Column[], opts: ResolvedTypeOptions): BinaryCell[] {
  return cols.map((c) => {
    try {
      return binaryDecoderFor(c, opts)
    } catch {
      return { width: CellWidth.LENENC, decode: () => null }
    }
  })
}

/**
 * Whether the client takes this column definition for this row format: one it refuses as malformed
 * (a BIGINT ZEROFILL wider than 255, say) is no valid reply. Any other error counts as taken, so the
 * property that reads the reply meets it and fails.
 */
function accepted(c: Column, opts: ResolvedTypeOptions, binary: boolean): boolean {
  try {
    if (binary) binaryDecoderFor(c, opts)
    else textDecoderFor(c, opts)
    return true
  } catch (e) {
    return !(e instanceof MalformedPacket)
  }
}

/** What a caller fixes about the scenarios (a connection knows its type options, row format, …). */
export interface ScenarioSettings {
  readonly opts?: ResolvedTypeOptions
  readonly binary?: boolean
  readonly known?: boolean
  readonly infile?: boolean
}

/** Result scenarios with the given settings fixed and everything else random. */
export function resultScenarios(fixed: ScenarioSettings = {}): fc.Arbitrary<ResultScenario> {
  const or = <T>(value: T | undefined, arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    value === undefined ? arb : fc.constant(value)
  return fc
    .record({
      // Every server speaks protocol 4.1; the client refuses others at the handshake.
      caps: capsArb.map((c) => ({
        ...c,
        capabilities: (c.capabilities | Capability.CLIENT_PROTOCOL_41) >>> 0,
      })),
      opts: or(fixed.opts, typeOptionsArb),
      binary: or(fixed.binary, fc.boolean()),
      columns: fc.array(columnArb, { minLength: 1, maxLength: 4 }),
      known: or(fixed.known, fc.boolean()),
      infile: or(fixed.infile, fc.boolean()),
    })
    .filter((s) => s.columns.every((c) => accepted(c, s.opts, s.binary)))
    .chain((s) => {
      const cells = cellsFor(s.columns, s.opts)
      const row = s.binary
        ? fc.tuple(...cells.map((cell, i) => binaryCellArb(cell, temporalKind(s.columns[i]!), true)))
        : fc.tuple(...s.columns.map((c) => textCellArb(c)))
      const result: fc.Arbitrary<ResultPlan> = fc.oneof(
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('ok' as const), ok: okFieldsArb }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('err' as const), packet: errArb }) },
        {
          weight: s.infile ? 1 : 0,
          arbitrary: fc.record({
            kind: fc.constant('infile' as const),
            file: fc.string({ maxLength: 20 }),
            ok: okFieldsArb,
          }),
        },
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('rows' as const),
            rows: fc.array(row, { maxLength: 4 }),
            skipDefinitions: fc.boolean(),
            end: okFieldsArb,
          }),
        },
      )
      return fc.record({
        caps: fc.constant(s.caps),
        opts: fc.constant(s.opts),
        binary: fc.constant(s.binary),
        columns: fc.constant(s.columns),
        known: fc.constant(s.known),
        infile: fc.constant(s.infile),
        results: fc.array(result, { minLength: 1, maxLength: 3 }),
      })
    })
}

export const resultScenarioArb: fc.Arbitrary<ResultScenario> = resultScenarios()

/** What a valid reply must produce. */
export interface Expected {
  payloads: Buffer[]
  rows: number
  columnEvents: number
  ends: number
  errors: number
  infiles: number
}

/** The packets a server sends for the scenario; results after an ERR are dropped (ERR ends the reply). */
export function serverReply(s: ResultScenario): Expected {
  const caps = s.caps.capabilities
  const deprecateEof = (caps & Capability.CLIENT_DEPRECATE_EOF) !== 0
  const extended = (s.caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_TYPE_INFO) !== 0
  const flagged = (s.caps.mariaDbCapabilities & MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA) !== 0
  const cells = s.binary ? s.columns.map((c) => binaryDecoderFor(c, s.opts)) : []
  const out: Expected = { payloads: [], rows: 0, columnEvents: 0, ends: 0, errors: 0, infiles: 0 }
  const end = s.results.findIndex((r) => r.kind === 'err')
  const results = end < 0 ? s.results : s.results.slice(0, end + 1)
  // Definitions may be skipped only once the reader has them: known before, or sent earlier.
  let defined = s.known
  for (const [i, r] of results.entries()) {
    const last = i === results.length - 1
    const status = (f: OkFields): number => (last ? f.status & ~MORE : f.status | MORE)
    switch (r.kind) {
      case 'ok':
        out.payloads.push(okPacket({ ...r.ok, header: 0, status: status(r.ok) }, caps))
        out.ends++
        break
      case 'err':
        out.payloads.push(r.packet)
        out.errors++
        break
      case 'infile':
        out.payloads.push(Buffer.concat([Buffer.from([0xfb]), Buffer.from(r.file)]))
        out.payloads.push(okPacket({ ...r.ok, header: 0, status: status(r.ok) }, caps))
        out.infiles++
        out.ends++
        break
      case 'rows': {
        const skip = flagged && defined && r.skipDefinitions
        const count = Buffer.from([s.columns.length])
        out.payloads.push(flagged ? Buffer.concat([count, Buffer.from([skip ? 0 : 1])]) : count)
        if (!skip) {
          for (const c of s.columns) out.payloads.push(columnDefinition(c, extended))
          if (!deprecateEof) out.payloads.push(eofPacket(0, 0))
          // The reader keeps what it read for later skipped definitions only when it has a `known`.
          defined = defined || s.known
        }
        for (const row of r.rows)
          out.payloads.push(s.binary ? binaryRowPayload(cells, row) : textRowPayload(row))
        const st = status(r.end)
        out.payloads.push(
          deprecateEof
            ? okPacket({ ...r.end, header: 0xfe, status: st }, caps)
            : eofPacket(st, r.end.warnings),
        )
        out.rows += r.rows.length
        out.columnEvents++
        out.ends++
        break
      }
    }
  }
  return out
}

// ---- PREPARE -------------------------------------------------------------------------------------

export interface PrepareScenario {
  readonly deprecateEof: boolean
  readonly extended: boolean
  readonly id: number
  readonly params: number
  readonly columns: readonly Column[]
  readonly warnings: number
  /** The server refuses the statement instead. */
  readonly err: Buffer | null
}

export const prepareScenarioArb: fc.Arbitrary<PrepareScenario> = fc.record({
  deprecateEof: fc.boolean(),
  extended: fc.boolean(),
  id: fc.integer({ min: 0, max: 0xffffffff }),
  params: fc.nat({ max: 5 }),
  columns: fc.array(columnArb, { maxLength: 5 }),
  warnings: fc.integer({ min: 0, max: 0xffff }),
  err: fc.option(errArb, { nil: null, freq: 6 }),
})

/** MariaDB describes each parameter as a column named '?' of type NULL. */
const PARAM: Column = {
  schema: '',
  table: '',
  orgTable: '',
  name: '?',
  orgName: '',
  characterSet: 63,
  columnLength: 0,
  type: ColumnType.MYSQL_TYPE_NULL,
  flags: 0,
  decimals: 0,
  extendedType: '',
}

export function prepareReply(s: PrepareScenario): Buffer[] {
  if (s.err !== null) return [s.err]
  const out = [prepareOk(s.id, s.columns.length, s.params, s.warnings)]
  for (let i = 0; i < s.params; i++) out.push(columnDefinition(PARAM, s.extended))
  if (s.params > 0 && !s.deprecateEof) out.push(eofPacket(2, 0))
  for (const c of s.columns) out.push(columnDefinition(c, s.extended))
  if (s.columns.length > 0 && !s.deprecateEof) out.push(eofPacket(2, 0))
  return out
}
