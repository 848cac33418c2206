// RowIterator (for await over a cursor) keeps an async generator's contract without being one: rows at
// hand come at once, a wait happens only when the queue is empty, calls made without awaiting are
// answered in order, an error or return()/throw() ends it, and every call after the end says done.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RowIterator } from '../../src/row-iterator.ts'

/** A source of rows: `ready` are at hand, `later` arrive one per fetch (after a macrotask). */
function source(ready: number[], later: number[], failAt = -1) {
  let fetches = 0
  const take = (): number | undefined => ready.shift()
  const fetch = async (): Promise<number | null> => {
    fetches++
    await new Promise((r) => setImmediate(r))
    if (fetches === failAt) throw new Error('connection lost')
    const next = later.shift()
    if (next === undefined) return null
    // A fetch brings its row and, like a socket chunk, maybe more behind it.
    if (later.length > 0 && next % 2 === 0) ready.push(later.shift()!)
    return next
  }
  return { take, fetch, fetches: () => fetches }
}

test('for await: rows at hand and rows waited for, in order, then done', async () => {
  const s = source([1, 2, 3], [4, 5, 6, 7])
  const seen: number[] = []
  for await (const row of new RowIterator(s.take, s.fetch)) seen.push(row)
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7])
})

test('next() called many times without awaiting: answered in order, never twice the same row', async () => {
  const s = source([1], [2, 3, 4, 5, 6])
  const it = new RowIterator(s.take, s.fetch)
  const answers = await Promise.all(Array.from({ length: 9 }, () => it.next()))
  assert.deepEqual(
    answers.map((a) => (a.done === true ? 'done' : a.value)),
    [1, 2, 3, 4, 5, 6, 'done', 'done', 'done'],
  )
})

test('an error rejects that call and ends the iteration; later calls say done', async () => {
  const s = source([1], [3, 5], 2)
  const it = new RowIterator(s.take, s.fetch)
  assert.deepEqual(await it.next(), { value: 1, done: false })
  assert.deepEqual(await it.next(), { value: 3, done: false })
  await assert.rejects(it.next(), /connection lost/)
  assert.deepEqual(await it.next(), { value: undefined, done: true })
  // A take() that throws (a closed cursor) rejects the call instead of throwing.
  const closed = new RowIterator<number>(
    () => {
      throw new Error('cursor closed')
    },
    () => Promise.resolve(null),
  )
  const p = closed.next()
  assert.ok(p instanceof Promise)
  await assert.rejects(p, /cursor closed/)
  assert.equal((await closed.next()).done, true)
})

test('break, return(), throw() and await using finish the iterator', async () => {
  const s = source([1, 2, 3], [])
  const it = new RowIterator(s.take, s.fetch)
  for await (const row of it) if (row === 1) break
  assert.deepEqual(await it.next(), { value: undefined, done: true }, 'break called return()')
  const t = new RowIterator(source([1], []).take, s.fetch)
  await assert.rejects(t.throw(new Error('stop')), /stop/)
  assert.equal((await t.next()).done, true)
  const d = new RowIterator(source([1], []).take, s.fetch)
  {
    await using held = d
    assert.equal((await held.next()).value, 1)
  }
  assert.equal((await d.next()).done, true)
  assert.equal(s.fetches(), 0, 'nothing was waited for')
})
