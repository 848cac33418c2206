// ColumnCache: a byte-identical definition at the same position reuses the parsed column and its
// decoder; any other bytes are parsed again; a result of reused columns gets the same array back.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ColumnCache } from '../../../src/commands/column-cache.ts'
import { TEXT_ROWS } from '../../../src/commands/row-format.ts'
import { ColumnType } from '../../../src/protocol/constants.ts'
import { PacketReader } from '../../../src/protocol/reader.ts'
import { resolveTypeOptions } from '../../../src/types/options.ts'
import { columnDef } from '../../support/packets.ts'

const reader = new PacketReader(Buffer.alloc(0))
const framed = (b: Buffer): Buffer => b // columnDef() gives the payload

test('the same bytes give the same column and decoder; other bytes are parsed again', () => {
  const cache = new ColumnCache(resolveTypeOptions({}))
  const intA = framed(columnDef('a', ColumnType.MYSQL_TYPE_LONG))
  const strA = framed(columnDef('a', ColumnType.MYSQL_TYPE_VAR_STRING))
  const first = cache.column(0, intA, reader, false)
  assert.equal(cache.column(0, Buffer.from(intA), reader, false), first, 'a copy of the same bytes hits')
  const changed = cache.column(0, strA, reader, false)
  assert.notEqual(changed, first)
  assert.equal(changed.type, ColumnType.MYSQL_TYPE_VAR_STRING)
  const decode = cache.decoder(0, changed, TEXT_ROWS)
  const cell = Buffer.from('42')
  assert.equal(decode(cell, 0, 2), '42', 'the string decoder, not the cached integer one')
})

test('stable(): a result made of the cached columns is the same array as last time', () => {
  const cache = new ColumnCache(resolveTypeOptions({}))
  const defs = [columnDef('a', ColumnType.MYSQL_TYPE_LONG), columnDef('b', ColumnType.MYSQL_TYPE_LONG)].map(
    framed,
  )
  const one = cache.stable(defs.map((d, i) => cache.column(i, d, reader, false)))
  const two = cache.stable(defs.map((d, i) => cache.column(i, d, reader, false)))
  assert.equal(two, one)
  const other = cache.stable([
    cache.column(0, framed(columnDef('c', ColumnType.MYSQL_TYPE_LONG)), reader, false),
  ])
  assert.notEqual(other, one)
})
