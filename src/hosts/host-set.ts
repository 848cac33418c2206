// The state of each of several servers (SPEC §12) and the order a new connection tries them in.
// A host that fails is down for hostDownMs, doubling with each failure in a row up to 30 s; it is
// never removed. Time and randomness are passed in, so the rules are testable without timers.

import { formatHost, type HostAddress, type LoadBalance } from './addresses.ts'
import type { MySQLError } from '../errors.ts'

/** Longest a failing host is skipped before it is tried again. */
export const MAX_HOST_DOWN_MS = 30_000

/** How long a host stays down after `failures` failures in a row (1 → hostDownMs). */
export function downDelay(failures: number, hostDownMs: number): number {
  return Math.min(hostDownMs * 2 ** Math.max(0, failures - 1), MAX_HOST_DOWN_MS)
}

export class HostState {
  readonly address: HostAddress
  /** Its place in the list given: the failover order and the tie-break everywhere. */
  readonly index: number
  state: 'up' | 'down' = 'up'
  /** Failures in a row; 0 while up. */
  failures = 0
  /** When a down host may be tried again (ms since the epoch); 0 while up. */
  retryAt = 0
  lastError: MySQLError | null = null
  /** Bumped each time the host goes down: connections opened before belong to an older epoch. */
  epoch = 0
  /** Connections being opened there now (least-connections counts them, so parallel opens spread). */
  opening = 0

  constructor(address: HostAddress, index: number) {
    this.address = address
    this.index = index
  }

  get name(): string {
    return formatHost(this.address)
  }
}

export class HostSet {
  readonly hosts: readonly HostState[]
  readonly #balance: LoadBalance
  readonly #hostDownMs: number
  readonly #random: () => number
  #next = 0

  constructor(
    addresses: readonly HostAddress[],
    balance: LoadBalance,
    hostDownMs: number,
    random: () => number = Math.random,
  ) {
    this.hosts = addresses.map((a, i) => new HostState(a, i))
    this.#balance = balance
    this.#hostDownMs = hostDownMs
    this.#random = random
  }

  /**
   * The hosts a new connection tries, in order: the up ones as loadBalance orders them
   * (`openCount` gives least-connections its counts); when none is up, every host, soonest retry
   * first — so an acquire still tries each once before giving up.
   */
  order(openCount: (h: HostState) => number = () => 0): HostState[] {
    const up = this.hosts.filter((h) => h.state === 'up')
    if (up.length === 0) return [...this.hosts].sort((a, b) => a.retryAt - b.retryAt || a.index - b.index)
    switch (this.#balance) {
      case 'failover':
        return up
      case 'round-robin': {
        const start = this.#next++ % up.length
        return [...up.slice(start), ...up.slice(0, start)]
      }
      case 'random': {
        const out = [...up]
        for (let i = out.length - 1; i > 0; i--) {
          const j = Math.floor(this.#random() * (i + 1))
          ;[out[i], out[j]] = [out[j]!, out[i]!]
        }
        return out
      }
      case 'least-connections':
        return up.sort((a, b) => openCount(a) - openCount(b) || a.index - b.index)
    }
  }

  /** Down hosts whose wait is over: the pool probes them in the background. */
  due(now: number): HostState[] {
    return this.hosts.filter((h) => h.state === 'down' && h.retryAt <= now)
  }

  /** The soonest retry among down hosts (Infinity when all are up). */
  nextRetryAt(): number {
    let at = Infinity
    for (const h of this.hosts) if (h.state === 'down') at = Math.min(at, h.retryAt)
    return at
  }

  /** Mark a host down (again): its wait doubles with each failure in a row. */
  markDown(h: HostState, error: MySQLError, now: number): void {
    h.failures++
    h.lastError = error
    h.retryAt = now + downDelay(h.failures, this.#hostDownMs)
    if (h.state === 'up') h.epoch++
    h.state = 'down'
  }

  markUp(h: HostState): void {
    h.state = 'up'
    h.failures = 0
    h.retryAt = 0
  }
}
