// SAConnection: a pooled connection lent by an Engine, with aiomysql.sa's execute/scalar, the
// transaction objects (root, emulated inner, SAVEPOINT, XA) and close() that rolls back and gives
// the connection back. Its operations run in call order (Serial), so transaction state is never raced.

import { randomBytes } from 'node:crypto'
import { type Connection, Cursor, escapeId } from '../index.ts'
import type { Engine } from './engine.ts'
import { ArgumentError, InvalidRequestError, ResourceClosedError } from './errors.ts'
import { ResultProxy } from './result.ts'
import { Serial } from './serial.ts'
import { planStatement, type CompilableStatement, type Plan, type Statement } from './statement.ts'
import {
  finishXa,
  NestedTransaction,
  RootTransaction,
  Transaction,
  TwoPhaseTransaction,
  type TransactionHost,
  unlocked,
} from './transaction.ts'

/**
 * A query builder whose execute() says what its rows look like (Kysely's builders do).
 * @inline
 */
type TypedBuilder = CompilableStatement & { execute(): Promise<readonly unknown[]> }

/**
 * The row type of a builder's execute(), so `conn.execute(db.selectFrom(...))` types its rows.
 * @inline
 */
type BuilderRow<Q> = Q extends { execute(): Promise<ReadonlyArray<infer O>> }
  ? O extends object
    ? O
    : Record<string, unknown>
  : Record<string, unknown>

/** Options of `commitPrepared()` and `rollbackPrepared()`. */
export interface PreparedXaOptions {
  /** False for an XA transaction never ended or prepared: XA END goes first, and COMMIT is ONE PHASE. Default true. */
  isPrepared?: boolean
}

/**
 * A pooled connection lent by an Engine (`engine.acquire()`), with aiomysql.sa's `execute()` /
 * `scalar()` and transactions: `begin()`, `beginNested()` (SAVEPOINT) and `beginTwophase()` (XA).
 * Its operations run in call order. `close()` (or `await using`) rolls back an open transaction and
 * gives the connection back.
 */
export class SAConnection {
  #conn: Connection | null
  readonly #engine: Engine
  readonly #serial = new Serial()
  readonly #host: TransactionHost
  /** The innermost active transaction (what begin() nests in); null when none. */
  #transaction: Transaction | null = null
  /** The outermost one, which close() rolls back. */
  #root: Transaction | null = null
  #savepointSeq = 0

  /** @internal Use engine.acquire(). */
  constructor(conn: Connection, engine: Engine) {
    this.#conn = conn
    this.#engine = engine
    this.#host = {
      serial: (task) => this.#serial.run(task),
      run: async (query, args) => {
        await this.#execute({ kind: 'one', query, args })
      },
      finished: (next) => {
        this.#transaction = next
        if (next === null) this.#root = null
      },
    }
  }

  /** True once released (close() or engine.release()), or when the underlying connection is closed. */
  get closed(): boolean {
    return this.#conn === null || this.#conn.closed
  }

  /** The underlying Connection; null once released. */
  get connection(): Connection | null {
    return this.#conn
  }

  /** True while a transaction begun on this connection is active. */
  get inTransaction(): boolean {
    return this.#transaction?.isActive ?? false
  }

  /**
   * Run a statement; resolves with its buffered ResultProxy. `query` is:
   * - a string with %s / %(name)s placeholders; `params` is an array (%s), a plain object
   *   (%(name)s) or a single value; an array of arrays or of plain objects runs executeMany;
   * - an sql`` fragment, a query builder (anything with `compile()`, e.g. Kysely's), or a compiled
   *   query `{ sql, parameters }` with `?` placeholders; these carry their own values (no `params`).
   * With a builder the row type comes from its execute(); otherwise pass it: `execute<User>(...)`.
   */
  execute<Q extends TypedBuilder>(query: Q): Promise<ResultProxy<BuilderRow<Q>>>
  execute<T extends object = Record<string, unknown>>(
    query: Statement,
    params?: unknown,
  ): Promise<ResultProxy<T>>
  async execute(query: Statement, params?: unknown): Promise<ResultProxy> {
    // Checked now, so a bad call rejects at once rather than after the queued operations.
    const plan = planStatement(query, params)
    return this.#serial.run(() => this.#execute(plan))
  }

  /** The first column of the first row, or null when there is no row. */
  async scalar<V = unknown>(query: Statement, params?: unknown): Promise<V | null> {
    const result = await this.execute(query, params)
    return result.scalar<V>()
  }

  /**
   * BEGIN: a RootTransaction. Inside an active transaction, an emulated inner Transaction instead:
   * its commit() does nothing, its rollback() rolls back the enclosing transaction.
   */
  async begin(): Promise<Transaction> {
    return this.#serial.run(async () => {
      this.#open()
      const current = this.#current()
      return current === null ? this.#beginRoot() : new Transaction(this, this.#host, current)
    })
  }

  /**
   * SAVEPOINT inside the active transaction (a generated name, or `name`, quoted as an identifier).
   * With no transaction active this is begin(): BEGIN, a RootTransaction.
   */
  async beginNested(name?: string): Promise<Transaction> {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new ArgumentError('a savepoint name must be a non-empty string')
    }
    return this.#serial.run(async () => {
      this.#open()
      const current = this.#current()
      if (current === null) return this.#beginRoot()
      const savepoint = name ?? `aiomysql_sa_savepoint_${++this.#savepointSeq}`
      await this.#host.run(`SAVEPOINT ${escapeId(savepoint)}`)
      const nested = new NestedTransaction(this, this.#host, current, savepoint)
      this.#transaction = nested
      return nested
    })
  }

  /**
   * XA START with `xid` (generated when omitted) bound as a string literal. Rejects with
   * InvalidRequestError while any transaction is active.
   */
  async beginTwophase(xid?: string): Promise<TwoPhaseTransaction> {
    if (xid !== undefined) checkXid(xid)
    return this.#serial.run(async () => {
      this.#open()
      if (this.#current() !== null) {
        throw new InvalidRequestError(
          'Cannot start a two phase transaction when a transaction is already in progress.',
        )
      }
      const id = xid ?? `aiomysql_sa_${randomBytes(16).toString('hex')}`
      await this.#host.run('XA START %s', [id])
      const tx = new TwoPhaseTransaction(this, this.#host, id)
      this.#transaction = this.#root = tx
      return tx
    })
  }

  /**
   * The ids of prepared XA transactions (XA RECOVER). aiomysql returns column 0 (formatID); this
   * returns each transaction's gtrid, the string beginTwophase() was given.
   */
  async recoverTwophase(): Promise<string[]> {
    const result = await this.execute('XA RECOVER')
    return (await result.fetchAll()).map((row) => {
      const [, gtridLength, , data] = row.asTuple()
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data)
      return text.slice(0, Number(gtridLength))
    })
  }

  /**
   * XA COMMIT a prepared transaction, e.g. one XA RECOVER lists after its session was lost. The
   * active two-phase transaction of this connection, given by its xid, is committed through its
   * object (which knows whether it was prepared), so its state stays right.
   */
  async commitPrepared(xid: string, options: PreparedXaOptions = {}): Promise<void> {
    await this.#finishPrepared('COMMIT', xid, options)
  }

  /** XA ROLLBACK a prepared transaction (see commitPrepared). */
  async rollbackPrepared(xid: string, options: PreparedXaOptions = {}): Promise<void> {
    await this.#finishPrepared('ROLLBACK', xid, options)
  }

  /**
   * Roll back the active transaction (the outermost one) and give the connection back to the
   * engine. Idempotent. A connection whose rollback fails is closed, so the pool drops it.
   */
  async close(): Promise<void> {
    await this.#serial.run(async () => {
      const conn = this.#conn
      if (conn === null) return
      const root = this.#root
      if (root !== null && root.isActive) {
        try {
          await unlocked.rollback(root)
        } catch {
          conn.close()
        }
      }
      this.#transaction = this.#root = null
      this.#engine.release(this)
    })
  }

  /** `await using conn = await engine.acquire()`: close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** @internal Engine.release(): hand over the underlying connection; this object is closed after. */
  detach(): Connection | null {
    const conn = this.#conn
    this.#conn = null
    return conn
  }

  async #finishPrepared(verb: 'COMMIT' | 'ROLLBACK', xid: string, options: PreparedXaOptions): Promise<void> {
    checkXid(xid)
    await this.#serial.run(async () => {
      const own = this.#root
      if (own instanceof TwoPhaseTransaction && own.xid === xid && own.isActive) {
        return verb === 'COMMIT' ? unlocked.commit(own) : unlocked.rollback(own)
      }
      this.#open()
      await finishXa(this.#host, verb, xid, options.isPrepared ?? true)
    })
  }

  /** The innermost active transaction, or null. */
  #current(): Transaction | null {
    const tx = this.#transaction
    return tx !== null && tx.isActive ? tx : null
  }

  async #beginRoot(): Promise<RootTransaction> {
    await this.#host.run('BEGIN')
    const root = new RootTransaction(this, this.#host)
    this.#transaction = this.#root = root
    return root
  }

  #open(): Connection {
    if (this.#conn === null) throw new ResourceClosedError('This connection is closed')
    return this.#conn
  }

  /** Run a planned statement on a fresh buffered cursor (as aiomysql does) and keep its result. */
  async #execute(plan: Plan): Promise<ResultProxy> {
    const conn = this.#open()
    const cursor = conn.cursor(Cursor)
    try {
      if (plan.kind === 'many') await cursor.executeMany(plan.query, plan.rows)
      else if (plan.kind === 'one') await cursor.execute(plan.query, plan.args)
      else await cursor.execute(plan.compiled)
      const description = cursor.description
      return new ResultProxy({
        keys: description === null ? null : description.map((column) => column[0]),
        rows: description === null ? [] : await cursor.fetchAll(),
        rowCount: cursor.rowCount,
        lastRowId: cursor.lastRowId,
      })
    } finally {
      await cursor.close()
    }
  }
}

function checkXid(xid: unknown): void {
  if (typeof xid !== 'string' || xid.length === 0) {
    throw new ArgumentError('an XA transaction id must be a non-empty string')
  }
}
