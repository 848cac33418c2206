// The statement LRU: a hit makes an entry the newest (the newest itself needs no reordering), the
// least recently used is evicted and retired, and a retired entry (a failed PREPARE) is a miss.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StatementCache } from '../../../src/prepared/cache.ts'
import { StatementEntry } from '../../../src/prepared/entry.ts'
import { clientFailure } from '../../../src/commands/command.ts'

const entry = (sql: string): StatementEntry => new StatementEntry(sql)

test('LRU order: hits on the newest and on older entries decide which one is evicted', () => {
  const cache = new StatementCache(2)
  const a = entry('a')
  const b = entry('b')
  assert.deepEqual(cache.add('a', a), [])
  assert.deepEqual(cache.add('b', b), [])
  // b is the newest; hitting it again and again leaves a the least recently used.
  for (let i = 0; i < 3; i++) assert.equal(cache.get('b'), b)
  assert.equal(cache.get('a'), a) // now a is the newest
  assert.equal(cache.get('a'), a)
  const c = entry('c')
  assert.deepEqual(cache.add('c', c), [b], 'b was used least recently')
  assert.equal(b.retired, true)
  assert.equal(cache.get('b'), undefined)
  assert.equal(cache.get('c'), c)
  assert.deepEqual(cache.add('d', entry('d')), [a])
})

test('a retired newest entry (its PREPARE failed) is a miss, and a new entry takes its key', () => {
  const cache = new StatementCache(4)
  const bad = entry('bad')
  cache.add('k', bad)
  assert.equal(cache.get('k'), bad)
  bad.fail(clientFailure('CR_UNKNOWN_ERROR', 'syntax', false))
  assert.equal(cache.get('k'), undefined)
  assert.equal(cache.size, 0)
  const good = entry('good')
  cache.add('k', good)
  assert.equal(cache.get('k'), good)
  assert.equal(cache.get('k'), good)
  assert.deepEqual(cache.clear(), [good])
  assert.equal(cache.get('k'), undefined)
})
