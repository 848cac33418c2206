// When a free pooled connection must leave: closed by the server, past poolRecycleMs since its last
// use (checked on acquire, as aiomysql does), past maxLifetimeMs, or idle too long above minSize.
// Pure functions over timestamps, so the rules are testable without timers.

import type { ResolvedPoolSettings } from './options.ts'

export interface Aged {
  readonly conn: { readonly closed: boolean }
  readonly createdAt: number
  /** Creation, then each release. */
  readonly lastUsedAt: number
}

export type LeaveReason = 'closed' | 'recycle' | 'lifetime' | 'idle'

/**
 * Why `e` must leave now, or undefined to keep it. `onAcquire` applies poolRecycleMs; `aboveMin`
 * (the pool holds more than minSize) applies idleTimeoutMs.
 */
export function leaveReason(
  e: Aged,
  now: number,
  s: ResolvedPoolSettings,
  when: { onAcquire: boolean; aboveMin: boolean },
): LeaveReason | undefined {
  if (e.conn.closed) return 'closed'
  if (s.maxLifetimeMs !== undefined && now - e.createdAt >= s.maxLifetimeMs) return 'lifetime'
  if (when.onAcquire && s.poolRecycleMs !== undefined && now - e.lastUsedAt > s.poolRecycleMs)
    return 'recycle'
  if (when.aboveMin && s.idleTimeoutMs !== undefined && now - e.lastUsedAt >= s.idleTimeoutMs) return 'idle'
  return undefined
}

/** The earliest lifetime (or, above minSize, idle) deadline among free connections; Infinity if none. */
export function nextDeadline(free: readonly Aged[], s: ResolvedPoolSettings, aboveMin: boolean): number {
  let at = Infinity
  for (const e of free) {
    if (s.maxLifetimeMs !== undefined) at = Math.min(at, e.createdAt + s.maxLifetimeMs)
    if (aboveMin && s.idleTimeoutMs !== undefined) at = Math.min(at, e.lastUsedAt + s.idleTimeoutMs)
  }
  return at
}
