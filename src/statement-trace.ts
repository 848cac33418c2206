// Tracing of statements (SPEC §13): the context subscribers of aiomysql:query / aiomysql:execute get
// for a call — the statement as written (placeholders, never values), its values, where it runs — and
// the summary they see as its result. Built only while someone subscribes.

import type { BufferedResults } from './buffered-result.ts'
import type { Failure, Session } from './commands/command.ts'
import type { ResolvedConfig } from './config.ts'
import { raise } from './error-map.ts'
import { PreparedStatement } from './prepared/statement.ts'
import { isCompiledStatement, type Query } from './render.ts'
import { compileFragment, isSqlFragment } from './sql/tag.ts'
import {
  executeChannel,
  hasSubscribers,
  queryChannel,
  serverFields,
  traced,
  type StatementTraceContext,
} from './tracing.ts'

/** Whether anyone listens to either statement channel (the only check made per statement otherwise). */
export function tracingStatements(): boolean {
  return hasSubscribers(queryChannel) || hasSubscribers(executeChannel)
}

/** Run `run` traced as one statement (or one executeMany call, `values` being its rows). */
export function traceStatement<T>(
  prepared: boolean,
  query: Query | PreparedStatement,
  values: unknown,
  session: Session,
  config: ResolvedConfig,
  run: () => Promise<T>,
  summary: (value: T) => StatementTraceContext['result'],
): Promise<T> {
  return traced(
    prepared ? executeChannel : queryChannel,
    () => statementContext(query, values, session, config),
    // Subscribers get an error class (lower layers reject with plain records); callers accept both.
    () =>
      run().catch((e: unknown) =>
        Promise.reject(raise(e as Failure, typeof query === 'string' ? query : undefined)),
      ),
    summary,
  )
}

export function statementContext(
  query: Query | PreparedStatement,
  values: unknown,
  session: Session,
  config: ResolvedConfig,
): StatementTraceContext {
  let text: string
  if (typeof query === 'string') text = query
  else if (query instanceof PreparedStatement) text = query.sql
  else if (isCompiledStatement(query)) {
    text = query.sql
    values ??= query.parameters
  } else if (isSqlFragment(query)) {
    try {
      const compiled = compileFragment(query)
      text = compiled.sql
      values ??= compiled.parameters
    } catch {
      text = '(an sql fragment with a value that cannot be bound)'
    }
  } else text = String(query)
  return {
    query: text,
    values,
    database: session.database,
    ...serverFields(config),
    connectionId: session.connectionId,
    system: session.isMariaDb ? 'mariadb' : 'mysql',
  }
}

/** What subscribers see as a buffered statement's result: its first result's row count and insert id. */
export function bufferedSummary(results: BufferedResults): StatementTraceContext['result'] {
  const first = results.sets[0]
  if (first === undefined) return { rowCount: 0, insertId: null }
  return first.columns !== null
    ? { rowCount: first.rows.length, insertId: null }
    : { rowCount: Number(first.summary.affectedRows), insertId: first.summary.insertId }
}
