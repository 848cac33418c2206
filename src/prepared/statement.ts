// The PreparedStatement users hold (conn.prepare(query)): its parameter count and result description,
// argument binding (positional, or by name for `%(name)s` templates), and close(). Run it with
// cur.execute(stmt, args). It belongs to one connection; using it elsewhere or after close() is an error.

import { describe, type ColumnDescription } from '../describe.ts'
import { ProgrammingError } from '../errors.ts'
import { checkValue, isList } from '../sql/escape.ts'
import type { StatementEntry } from './entry.ts'

/** What a statement knows of its connection (kept abstract: no import of the Connection class). */
interface Owner {
  releaseStatement(entry: StatementEntry): void
  resetStatement(entry: StatementEntry): Promise<void>
}

interface Binding {
  readonly entry: StatementEntry
  readonly owner: Owner
  /** Names of `%(name)s` markers in order; null for positional ones. */
  readonly names: readonly string[] | null
}

// Kept outside the instances so nothing internal shows on the public object.
const entries = new WeakMap<PreparedStatement, Binding>()

/**
 * A server-side prepared statement from `conn.prepare(query)`: run it with
 * `cur.execute(stmt, args)` or `conn.query(stmt, args)`, as often as needed, on the connection that
 * prepared it. Close it with `close()` or `await using`; a reconnect or session reset (a pool's
 * `resetOnRelease`) makes it unusable.
 */
export class PreparedStatement {
  #description: ColumnDescription[] | null = null

  /** @internal Statements come from conn.prepare(). */
  constructor(owner: Owner, entry: StatementEntry, names: readonly string[] | null) {
    entries.set(this, { entry, owner, names })
  }

  /** The SQL text as prepared (with `?` markers). */
  get sql(): string {
    return entries.get(this)!.entry.sql
  }

  /** How many values execute() needs. */
  get paramCount(): number {
    return Math.max(0, entries.get(this)!.entry.paramCount)
  }

  /** DB-API descriptions of the result columns as the server described them at PREPARE. */
  get columns(): ColumnDescription[] {
    this.#description ??= describe(entries.get(this)!.entry.columns)
    return this.#description
  }

  /**
   * True once closed, or once the server forgot it (reconnect, session reset, failed PREPARE); it
   * can no longer run.
   */
  get closed(): boolean {
    return entries.get(this)!.entry.retired
  }

  /** COM_STMT_RESET: the server drops what the statement accumulated (long data, an open cursor). */
  async reset(): Promise<void> {
    const { entry, owner } = entries.get(this)!
    if (entry.retired) throw new ProgrammingError('the PreparedStatement is closed')
    await owner.resetStatement(entry)
  }

  /** Close the statement on the server (once running executions are over). Idempotent. */
  async close(): Promise<void> {
    const { entry, owner } = entries.get(this)!
    owner.releaseStatement(entry)
  }

  /** `await using stmt = await conn.prepare(…)`: close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * @internal The entry behind `stmt` and its arguments as the list of values to bind, checked before
 * anything is sent: a closed statement, another connection's, a wrong count or a bad value throws.
 */
export function bindStatement(
  stmt: PreparedStatement,
  owner: Owner,
  args: unknown,
): { entry: StatementEntry; params: unknown[] } {
  const known = entries.get(stmt)
  if (known === undefined) throw new ProgrammingError('not a PreparedStatement')
  if (known.owner !== owner) throw new ProgrammingError('the PreparedStatement belongs to another connection')
  const { entry, names } = known
  if (entry.retired) throw new ProgrammingError('the PreparedStatement is closed')
  let params: unknown[]
  if (names !== null) {
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      throw new ProgrammingError('this statement has %(name)s placeholders: pass an object of named values')
    const named = args as Record<string, unknown>
    params = names.map((name) => {
      if (!Object.hasOwn(named, name))
        throw new ProgrammingError(`no argument named '${name}' (own properties only)`)
      return named[name]
    })
  } else {
    params = args === undefined ? [] : Array.isArray(args) ? [...(args as unknown[])] : [args]
  }
  if (params.length !== entry.paramCount)
    throw new ProgrammingError(
      `${params.length} arguments given but the statement has ${entry.paramCount} markers`,
    )
  params.forEach((value, i) => {
    if (isList(value))
      throw new ProgrammingError(
        `argument ${i + 1} is a list; a prepared statement has a fixed number of markers ` +
          '(pass the list to execute(sql, args, { prepare: true }), which expands it)',
      )
    checkValue(value, i)
  })
  return { entry, params }
}
