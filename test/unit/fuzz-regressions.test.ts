// Regression tests for the protocol bugs the fuzzing found, one deterministic test each, from the
// smallest input the property shrank to; both were fixed in a7a51c6. (The lexer's, still open, are
// todo tests in test/integration/fuzz-regressions.test.ts.)

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newSession } from '../../src/commands/command.ts'
import { ResultSetReader, type ResultSink } from '../../src/commands/result-set.ts'
import { Capability, ColumnType, FieldFlag } from '../../src/protocol/constants.ts'
import { MalformedPacket } from '../../src/protocol/malformed.ts'
import { isEofPacket } from '../../src/protocol/responses.ts'
import { binaryDecoderFor } from '../../src/types/binary-decode.ts'
import { DEFAULT_TYPE_OPTIONS, resolveTypeOptions } from '../../src/types/options.ts'
import { columnCount, columnDef, eof, packets, testColumn } from '../support/packets.ts'

test('bug 1: a binary BIGINT ZEROFILL cell of display width 2^32-1 in bigIntMode string is refused, not a RangeError', () => {
  const column = testColumn(ColumnType.MYSQL_TYPE_LONGLONG, {
    flags: FieldFlag.ZEROFILL_FLAG | FieldFlag.UNSIGNED_FLAG,
    columnLength: 0xffffffff,
  })
  const decode = (): unknown => {
    const cell = binaryDecoderFor(column, resolveTypeOptions({ bigIntMode: 'string' }))
    return cell.decode(Buffer.alloc(8), 0, 8)
  }
  // A column no server sends (BIGINT widths stop at 255) is a MalformedPacket. Before the fix each
  // value was padded to the width: RangeError (Invalid string length), or at 2^28 a 256 Mi-char string.
  assert.throws(decode, MalformedPacket)
})

test('bug 2: an empty payload is not an EOF packet, whatever byte follows it in the receive buffer', () => {
  // Before the fix isEofPacket read buf[start] with start === end: the next packet's first byte.
  // The empty payload at [1, 1) of a buffer whose next byte is 0xFE (the next packet's length byte).
  const buf = Buffer.from([0x00, 0xfe, 0x00, 0x00, 0x05])
  assert.equal(isEofPacket(buf, 1, 1), false)
})

test('bug 2, through the result reader: an empty packet among the rows is malformed, not the end of the result', () => {
  const session = newSession(DEFAULT_TYPE_OPTIONS, 1 << 24)
  session.capabilities = Capability.CLIENT_PROTOCOL_41 // EOF packets, no CLIENT_DEPRECATE_EOF
  const rows: unknown[] = []
  const sink: ResultSink = { columns: () => {}, row: (r) => rows.push(r), end: () => {}, error: () => {} }
  const reader = new ResultSetReader(session, sink)
  for (const p of [columnCount(1), columnDef('a'), eof()]) assert.equal(reader.handle(p), false)
  // On the wire: an empty packet (seq 4), then a 254-byte packet, in one socket chunk. The framer
  // hands the reader the empty payload as the span [4, 4) of that chunk, whose byte 4 is 0xFE.
  const chunk = packets([Buffer.alloc(0), Buffer.alloc(254, 0x41)], 4)
  // MalformedPacket: a row has at least one cell byte. Before the fix the result ended there with 0
  // rows (handleSpan returned true); through a connection the query resolved with [] and the row
  // after it arrived for no command, so the connection failed on it with 2027.
  assert.throws(() => reader.handleSpan(chunk, 4, 4), MalformedPacket)
})
