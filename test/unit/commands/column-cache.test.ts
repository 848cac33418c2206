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
/** The column for a whole payload (the reader passes spans of socket chunks; see the span test). */
const col = (cache: ColumnCache, i: number, payload: Buffer) =>
  cache.column(i, payload, 0, payload.length, reader, false)

test('the same bytes give the same column and decoder; other bytes are parsed again', () => {
  const cache = new ColumnCache(resolveTypeOptions({}))
  const intA = framed(columnDef('a', ColumnType.MYSQL_TYPE_LONG))
  const strA = framed(columnDef('a', ColumnType.MYSQL_TYPE_VAR_STRING))
  const first = col(cache, 0, intA)
  assert.equal(col(cache, 0, Buffer.from(intA)), first, 'a copy of the same bytes hits')
  const changed = col(cache, 0, strA)
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
  const one = cache.stable(defs.map((d, i) => col(cache, i, d)))
  const two = cache.stable(defs.map((d, i) => col(cache, i, d)))
  assert.equal(two, one)
  const other = cache.stable([col(cache, 0, framed(columnDef('c', ColumnType.MYSQL_TYPE_LONG)))])
  assert.notEqual(other, one)
})

test('a definition inside a larger chunk is matched in place; one changed byte or length misses', () => {
  for (const name of ['a', 'x'.repeat(200)]) {
    // Short definitions are compared in JS, long ones (> 128 bytes) natively: both paths.
    const cache = new ColumnCache(resolveTypeOptions({}))
    const def = columnDef(name, ColumnType.MYSQL_TYPE_LONG)
    const first = col(cache, 0, def)
    const chunk = Buffer.concat([Buffer.from([1, 2, 3]), def, Buffer.from([9, 9])])
    assert.equal(cache.column(0, chunk, 3, 3 + def.length, reader, false), first, 'same bytes at an offset')
    const changed = Buffer.from(chunk)
    const at = 3 + def.length - 3
    changed[at] = changed[at]! ^ 1
    assert.notEqual(cache.column(0, changed, 3, 3 + def.length, reader, false), first, 'a byte differs')
    const cache2 = new ColumnCache(resolveTypeOptions({}))
    const again = col(cache2, 0, def)
    assert.notEqual(
      cache2.column(0, chunk, 3, 3 + def.length + 1, reader, false),
      again,
      'one byte longer is another definition',
    )
  }
})
