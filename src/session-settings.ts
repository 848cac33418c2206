// The statements that bring a new, reset or reconnected session to the configured state. They are
// issued together and pipelined (one round trip): the charset first, then sql_mode, autocommit and
// wsrep_sync_wait in one SET, then the user's initCommand, in that order.

import type { ResolvedConfig } from './config.ts'

/** A statement and its %s arguments. */
export type SessionStatement = readonly [sql: string, args: unknown[] | undefined]

/** What to run after the charset/collation step, given the session's autocommit state now. */
export function sessionStatements(config: ResolvedConfig, autocommitNow: boolean): SessionStatement[] {
  const out: SessionStatement[] = []
  const sets: string[] = []
  const args: unknown[] = []
  if (config.sqlMode !== undefined) {
    sets.push('sql_mode = %s')
    args.push(config.sqlMode)
  }
  if (autocommitNow !== config.autocommit) sets.push(`autocommit = ${config.autocommit ? 1 : 0}`)
  // Galera causality checks on reads (SPEC §12): a read waits until this node has applied every
  // write the cluster committed before it began.
  if (config.causalReads) sets.push('wsrep_sync_wait = 1')
  if (sets.length > 0) out.push([`SET ${sets.join(', ')}`, args.length > 0 ? args : undefined])
  if (config.initCommand !== undefined) out.push([config.initCommand, undefined])
  return out
}
