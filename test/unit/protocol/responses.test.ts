// OK packets with CLIENT_SESSION_TRACK: the message is length-encoded and, when the server says the
// session state changed, a block of entries follows; a schema entry reports the new current database.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Capability } from '../../../src/protocol/constants.ts'
import { parseOk } from '../../../src/protocol/responses.ts'
import { PacketWriter } from '../../../src/protocol/writer.ts'

const TRACK = Capability.CLIENT_PROTOCOL_41 | Capability.CLIENT_SESSION_TRACK
const STATE_CHANGED = 0x4000

function okWithState(info: string, entries: [type: number, data: Buffer][]): Buffer {
  const block = new PacketWriter(64)
  for (const [type, data] of entries) block.writeUInt8(type).writeLenencBytes(data)
  const w = new PacketWriter(64)
  w.writeUInt8(0)
    .writeLenencInt(0)
    .writeLenencInt(0)
    .writeUInt16(2 | STATE_CHANGED)
    .writeUInt16(0)
  w.writeLenencString(info).writeLenencBytes(block.payload())
  return Buffer.from(w.payload())
}

const lenencString = (s: string): Buffer => Buffer.from(new PacketWriter(16).writeLenencString(s).payload())

test('a schema entry in the session-state block is the new current database', () => {
  const ok = parseOk(okWithState('', [[1, lenencString('other_db')]]), TRACK)
  assert.equal(ok.schema, 'other_db')
  assert.equal(ok.info, '')
})

test('other entries (system variables, state) are skipped; the schema among them is found', () => {
  const variable = Buffer.concat([lenencString('autocommit'), lenencString('OFF')])
  const ok = parseOk(
    okWithState('Rows matched: 1', [
      [0, variable],
      [1, lenencString('db2')],
      [2, lenencString('1')],
    ]),
    TRACK,
  )
  assert.equal(ok.schema, 'db2')
  assert.equal(ok.info, 'Rows matched: 1')
})

test('no state change, or a block that does not parse, reports no schema', () => {
  const plain = new PacketWriter(16)
  plain.writeUInt8(0).writeLenencInt(1).writeLenencInt(0).writeUInt16(2).writeUInt16(0)
  assert.equal(parseOk(Buffer.from(plain.payload()), TRACK).schema, null)
  const broken = okWithState('', [[1, lenencString('db')]])
  assert.equal(parseOk(broken.subarray(0, broken.length - 2), TRACK).schema, null)
})
