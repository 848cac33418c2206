// The statements that bring a new, reset or reconnected session to the configured state. They are
// issued together and pipelined (one round trip): the charset first, then sql_mode, autocommit and
// wsrep_sync_wait in one SET, then the user's initCommand, in that order — and the server's
// max_allowed_packet is read with them.

import type { BufferedResults } from './buffered-result.ts'
import type { Session } from './commands/command.ts'
import type { ResolvedConfig } from './config.ts'
import { MySQLError } from './errors.ts'

/** The session being set up (a connection's core). */
export interface SessionTarget {
  readonly config: ResolvedConfig
  readonly session: Session
  readonly autocommitOn: boolean
  /** An untraced statement when `traced` is false (these belong to connect, not to the user). */
  run(sql: string, args: unknown, traced: boolean): Promise<BufferedResults>
  setCharset(charset: string, collation?: string): Promise<void>
}

/** collation (SET NAMES), sqlMode (bound), autocommit, then initCommand: issued together. */
export async function applySessionSettings(target: SessionTarget): Promise<void> {
  const c = target.config
  const steps: Promise<unknown>[] = []
  if (c.collation !== undefined) steps.push(target.setCharset(c.charset, c.collation))
  for (const [sql, args] of sessionStatements(c, target.autocommitOn))
    steps.push(target.run(sql, args, false))
  // What the server takes in one packet: larger statements are refused before they are sent.
  steps.push(
    target.run('SELECT @@max_allowed_packet', undefined, false).then(
      ({ sets }) => {
        const value = Number((sets[0]?.rows[0] as unknown[] | undefined)?.[0])
        if (Number.isSafeInteger(value) && value > 0) target.session.serverMaxAllowedPacket = value
      },
      // A server or proxy that cannot answer it leaves the limit unknown: the server then decides.
      (e: unknown) => {
        if (e instanceof MySQLError && e.fatal) throw e
      },
    ),
  )
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}

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
