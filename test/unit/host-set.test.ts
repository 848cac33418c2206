// HostSet without a cluster (SPEC §12): the order a new connection tries the hosts in for each
// loadBalance (failover, round-robin rotation, random with an injected random, least-connections
// with an index tie-break), down hosts skipped, every host down → soonest retry first, and the
// backoff clock: downDelay doubling from hostDownMs to the 30 s cap, epochs, markUp, due(), nextRetryAt().

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OperationalError } from '../../src/errors.ts'
import { downDelay, HostSet, MAX_HOST_DOWN_MS, type HostState } from '../../src/hosts/host-set.ts'
import type { LoadBalance } from '../../src/hosts/addresses.ts'

const ADDRESSES = [
  { host: 'a', port: 1 },
  { host: 'b', port: 2 },
  { host: 'c', port: 3 },
]
const refused = new OperationalError('refused', { errno: 2003, code: 'CR_CONN_HOST_ERROR', fatal: true })

function set(balance: LoadBalance, hostDownMs = 1000, random?: () => number): HostSet {
  return new HostSet(ADDRESSES, balance, hostDownMs, random)
}
const names = (hosts: readonly HostState[]): string[] => hosts.map((h) => h.address.host)
const host = (s: HostSet, name: string): HostState => s.hosts.find((h) => h.address.host === name)!

void test('the hosts keep their address, index and name, and start up with no failures', () => {
  const s = set('failover')
  assert.deepEqual(
    s.hosts.map((h) => [h.name, h.index, h.state, h.failures, h.retryAt, h.lastError, h.epoch]),
    [
      ['a:1', 0, 'up', 0, 0, null, 0],
      ['b:2', 1, 'up', 0, 0, null, 0],
      ['c:3', 2, 'up', 0, 0, null, 0],
    ],
  )
  assert.equal(new HostSet([{ host: '::1', port: 3307 }], 'failover', 1000).hosts[0]!.name, '[::1]:3307')
})

void test('failover: always the order given; a down host is skipped, and back in place once up', () => {
  const s = set('failover')
  assert.deepEqual(names(s.order()), ['a', 'b', 'c'])
  assert.deepEqual(names(s.order()), ['a', 'b', 'c'], 'no rotation')
  s.markDown(host(s, 'a'), refused, 0)
  assert.deepEqual(names(s.order()), ['b', 'c'])
  s.markDown(host(s, 'b'), refused, 0)
  assert.deepEqual(names(s.order()), ['c'])
  s.markUp(host(s, 'a'))
  assert.deepEqual(names(s.order()), ['a', 'c'])
})

void test('round-robin: each call starts one host later, over the hosts that are up', () => {
  const s = set('round-robin')
  const starts = Array.from({ length: 4 }, () => names(s.order()))
  assert.deepEqual(starts, [
    ['a', 'b', 'c'],
    ['b', 'c', 'a'],
    ['c', 'a', 'b'],
    ['a', 'b', 'c'],
  ])
  s.markDown(host(s, 'b'), refused, 0)
  const firsts = Array.from({ length: 4 }, () => names(s.order()))
  for (const o of firsts) assert.equal(o.length, 2, 'b is down: never offered')
  assert.deepEqual(new Set(firsts.map((o) => o[0])), new Set(['a', 'c']), 'the start still rotates')
  for (let i = 1; i < firsts.length; i++) assert.notEqual(firsts[i]![0], firsts[i - 1]![0])
})

void test('random: the order is a shuffle driven by the injected random', () => {
  let calls = 0
  const low = set('random', 1000, () => {
    calls++
    return 0
  })
  // Fisher-Yates with random() = 0: swap 2↔0, then 1↔0.
  assert.deepEqual(names(low.order()), ['b', 'c', 'a'])
  assert.equal(calls, 2, 'n - 1 draws')
  const high = set('random', 1000, () => 0.999)
  assert.deepEqual(names(high.order()), ['a', 'b', 'c'], 'random() close to 1: nothing moves')
  // Every permutation is reachable, and every order holds each up host once.
  const draws = [0, 0.5, 0.99, 0.2, 0.7, 0.4]
  let i = 0
  const seq = set('random', 1000, () => draws[i++ % draws.length]!)
  const seen = new Set<string>()
  for (let k = 0; k < 30; k++) {
    const o = names(seq.order())
    assert.deepEqual([...o].sort(), ['a', 'b', 'c'])
    seen.add(o.join(''))
  }
  assert.ok(seen.size > 1, 'the order depends on the draws')
  const down = set('random', 1000, () => 0)
  down.markDown(host(down, 'c'), refused, 0)
  assert.deepEqual(names(down.order()), ['b', 'a'], 'a down host is not shuffled in')
})

void test('least-connections: fewest open first, ties broken by the order given', () => {
  const s = set('least-connections')
  const counts: Record<string, number> = { a: 2, b: 0, c: 0 }
  const open = (h: HostState): number => counts[h.address.host]!
  assert.deepEqual(names(s.order(open)), ['b', 'c', 'a'])
  counts['b'] = 1
  assert.deepEqual(names(s.order(open)), ['c', 'b', 'a'])
  counts['c'] = 5
  assert.deepEqual(names(s.order(open)), ['b', 'a', 'c'])
  assert.deepEqual(names(s.order()), ['a', 'b', 'c'], 'no counts given: all 0, index order')
  s.markDown(host(s, 'b'), refused, 0)
  assert.deepEqual(names(s.order(open)), ['a', 'c'], 'down hosts skipped')
})

void test('every host down: all are offered, soonest retryAt first, index breaking ties', () => {
  for (const balance of ['failover', 'round-robin', 'random', 'least-connections'] as const) {
    const s = set(balance, 1000, () => 0)
    s.markDown(host(s, 'a'), refused, 1000) // retry at 2000
    s.markDown(host(s, 'b'), refused, 0)
    s.markDown(host(s, 'b'), refused, 0) // second failure: retry at 2000
    s.markDown(host(s, 'c'), refused, 500) // retry at 1500
    assert.deepEqual(
      s.hosts.map((h) => h.retryAt),
      [2000, 2000, 1500],
    )
    assert.deepEqual(names(s.order()), ['c', 'a', 'b'], balance)
  }
})

void test('downDelay: hostDownMs, doubling with each failure in a row, capped at 30 s', () => {
  assert.equal(MAX_HOST_DOWN_MS, 30_000)
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map((n) => downDelay(n, 1000)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
  )
  assert.deepEqual(
    [1, 2, 3].map((n) => downDelay(n, 50)),
    [50, 100, 200],
  )
  assert.equal(downDelay(0, 1000), 1000, 'no failures yet: the base delay')
  assert.equal(downDelay(1, 60_000), 30_000, 'even the first wait is capped')
})

void test('markDown: retryAt = now + the doubled delay; lastError kept; epoch bumps only on up → down', () => {
  const s = set('failover', 1000)
  const a = host(s, 'a')
  const second = new OperationalError('lost', { errno: 2013, code: 'CR_SERVER_LOST', fatal: true })
  s.markDown(a, refused, 10_000)
  assert.deepEqual([a.state, a.failures, a.retryAt, a.lastError, a.epoch], ['down', 1, 11_000, refused, 1])
  s.markDown(a, second, 20_000)
  assert.deepEqual([a.state, a.failures, a.retryAt, a.lastError, a.epoch], ['down', 2, 22_000, second, 1])
  const waits: number[] = []
  for (let i = 0; i < 6; i++) {
    s.markDown(a, refused, 100_000)
    waits.push(a.retryAt - 100_000)
  }
  assert.deepEqual(waits, [4000, 8000, 16_000, 30_000, 30_000, 30_000])
  assert.equal(a.epoch, 1, 'still the same outage')
  s.markUp(a)
  assert.deepEqual([a.state, a.failures, a.retryAt], ['up', 0, 0])
  s.markDown(a, refused, 0)
  assert.deepEqual(
    [a.failures, a.retryAt, a.epoch],
    [1, 1000, 2],
    'after markUp: back to the first delay, new epoch',
  )
  assert.deepEqual(
    [host(s, 'b'), host(s, 'c')].map((h) => [h.state, h.epoch]),
    [
      ['up', 0],
      ['up', 0],
    ],
    'other hosts untouched',
  )
})

void test('due(now) lists down hosts whose wait is over; nextRetryAt() is the soonest retry', () => {
  const s = set('failover', 1000)
  assert.equal(s.nextRetryAt(), Infinity, 'all up')
  assert.deepEqual(s.due(Number.MAX_SAFE_INTEGER), [], 'up hosts are never due')
  s.markDown(host(s, 'b'), refused, 0) // 1000
  s.markDown(host(s, 'c'), refused, 200) // 1200
  assert.equal(s.nextRetryAt(), 1000)
  assert.deepEqual(names(s.due(999)), [])
  assert.deepEqual(names(s.due(1000)), ['b'], 'due exactly at retryAt')
  assert.deepEqual(names(s.due(5000)), ['b', 'c'])
  s.markDown(host(s, 'b'), refused, 1000) // second failure: 3000
  assert.equal(s.nextRetryAt(), 1200)
  s.markUp(host(s, 'c'))
  assert.equal(s.nextRetryAt(), 3000)
  assert.deepEqual(names(s.due(2999)), [])
  s.markUp(host(s, 'b'))
  assert.equal(s.nextRetryAt(), Infinity)
})
