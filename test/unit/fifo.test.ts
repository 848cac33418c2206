// The FIFO under the pipeline's queues and a stream's rows, checked against a plain array: any sequence
// of push, shift, pop, removeAt, indexOf, at, clear and drain gives the same answers, and the queue
// holds no reference to an item that left it.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Fifo } from '../../src/fifo.ts'

type Op =
  | { op: 'push'; n: number }
  | { op: 'shift' | 'pop' | 'clear' | 'drain' | 'first' | 'last' }
  | { op: 'removeAt' | 'at' | 'indexOf'; i: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3000 }) }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('shift' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constantFrom(
        'pop' as const,
        'clear' as const,
        'drain' as const,
        'first' as const,
        'last' as const,
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constantFrom('removeAt' as const, 'at' as const, 'indexOf' as const),
      i: fc.integer({ min: -2, max: 40 }),
    }),
  },
)

/** What the queue's backing array still refers to, beyond the items it holds. */
function leftovers(q: Fifo<object>, held: readonly object[]): object[] {
  const items = (q as unknown as { items: (object | undefined)[] }).items
  const live = new Set(held)
  return items.filter((x): x is object => x !== undefined && !live.has(x))
}

test('property: the FIFO answers as a plain array does, and keeps no item that left', () => {
  let serial = 0
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const q = new Fifo<object>()
      let model: object[] = []
      for (const o of ops) {
        switch (o.op) {
          case 'push':
            // A burst of n items: enough to pass the compaction and shrinking thresholds.
            for (let k = 0; k < o.n; k++) {
              const item = { id: serial++ }
              q.push(item)
              model.push(item)
            }
            break
          case 'shift':
            for (let k = 0; k < 700 && model.length > 0; k++) assert.equal(q.shift(), model.shift())
            assert.equal(q.shift(), model.shift())
            break
          case 'pop':
            assert.equal(q.pop(), model.pop())
            break
          case 'clear':
            q.clear()
            model = []
            break
          case 'drain':
            assert.deepEqual(q.drain(), model)
            model = []
            break
          case 'first':
            assert.equal(q.first(), model[0])
            break
          case 'last':
            assert.equal(q.last(), model.at(-1))
            break
          case 'at':
            assert.equal(q.at(o.i), o.i >= 0 ? model[o.i] : undefined)
            break
          case 'indexOf': {
            const target = model[o.i]
            assert.equal(
              q.indexOf((x) => x === target),
              model.indexOf(target as object),
            )
            break
          }
          case 'removeAt':
            q.removeAt(o.i)
            if (o.i >= 0 && o.i < model.length) model.splice(o.i, 1)
            break
        }
        assert.equal(q.size, model.length)
        assert.deepEqual(leftovers(q, model), [])
      }
    }),
    { numRuns: 150 },
  )
})

test('a queue that empties keeps its room, unless a burst made it large', () => {
  const q = new Fifo<number>()
  const room = (): number => (q as unknown as { items: unknown[] }).items.length
  // One statement at a time: the array keeps its slot, so the next push needs no new backing store.
  q.push(1)
  q.shift()
  assert.equal(room(), 1)
  q.push(2)
  assert.equal(room(), 1)
  q.shift()
  // A burst of thousands is let go once it is answered (at most 1,024 slots stay).
  for (let k = 0; k < 5000; k++) q.push(k)
  for (let k = 0; k < 5000; k++) q.shift()
  assert.ok(room() <= 1024, `${room()} slots kept`)
})
