// Transaction objects of aiomysql.sa (SQLAlchemy 1.3 semantics): a root transaction (BEGIN), an
// emulated inner one from a second begin() (its commit does nothing, its rollback rolls back the
// enclosing one), a SAVEPOINT from beginNested(), and an XA transaction from beginTwophase().
// A transaction is active only while every transaction enclosing it is.

import { escapeId } from '../index.ts'
import type { SAConnection } from './connection.ts'
import { InvalidRequestError } from './errors.ts'

/** What a transaction needs from its SAConnection (made by SAConnection; not part of the package API). */
export interface TransactionHost {
  /** Run `task` after every earlier operation on the connection, before any later one. */
  serial<T>(task: () => Promise<T>): Promise<T>
  /** One statement (args fill %s); only from inside a serial task. */
  run(query: string, args?: readonly unknown[]): Promise<void>
  /** This transaction is over: `next` (its parent, or null) becomes the connection's current one. */
  finished(next: Transaction | null): void
}

/**
 * @internal Commit or roll back without taking the connection's lock, for callers that hold it.
 * Filled in by Transaction's static block, which can reach the private methods.
 */
export const unlocked = {} as {
  commit: (tx: Transaction) => Promise<void>
  rollback: (tx: Transaction) => Promise<void>
}

/**
 * A transaction handle. Returned as is by a begin() inside an active transaction: an emulated inner
 * transaction whose commit() does nothing and whose rollback() rolls back the enclosing transaction.
 */
export class Transaction {
  /** The SAConnection this transaction runs on. */
  readonly connection: SAConnection
  protected readonly host: TransactionHost
  /** The enclosing transaction; null for a root or two-phase one. */
  protected readonly parent: Transaction | null
  #active = true

  /** @internal Use SAConnection.begin(). */
  constructor(connection: SAConnection, host: TransactionHost, parent: Transaction | null) {
    this.connection = connection
    this.host = host
    this.parent = parent
  }

  static {
    unlocked.commit = (tx) => tx.#commitNow()
    unlocked.rollback = (tx) => tx.#rollbackNow()
  }

  /** True until this transaction, or one enclosing it, commits or rolls back. */
  get isActive(): boolean {
    return this.#active && (this.parent === null || this.parent.isActive)
  }

  /**
   * Commit. Rejects with InvalidRequestError when the transaction it belongs to (itself, for a root)
   * is no longer active; a finished savepoint or inner transaction inside an active one is a no-op.
   */
  async commit(): Promise<void> {
    await this.host.serial(() => this.#commitNow())
  }

  /** Roll back; a no-op when the transaction is no longer active. */
  async rollback(): Promise<void> {
    await this.host.serial(() => this.#rollbackNow())
  }

  /**
   * End the transaction without committing: a root, two-phase or savepoint transaction rolls back;
   * an emulated inner one just becomes inactive, leaving its work to the enclosing transaction.
   */
  async close(): Promise<void> {
    await this.host.serial(() => this.closeNow())
  }

  /**
   * `await using tx = await conn.begin()`: leaving the scope without commit() rolls back, as
   * rollback() does (for an emulated inner transaction, that is the enclosing one).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.rollback()
  }

  async #commitNow(): Promise<void> {
    if (!(this.parent ?? this).isActive) throw new InvalidRequestError('This transaction is inactive')
    if (!this.#active) return
    try {
      await this.doCommit()
    } finally {
      this.#active = false
    }
  }

  async #rollbackNow(): Promise<void> {
    if (!this.isActive) return
    try {
      await this.doRollback()
    } finally {
      this.#active = false
    }
  }

  protected async closeNow(): Promise<void> {
    if (this.parent === null) return this.#rollbackNow()
    this.#active = false
  }

  /** The statements of a commit; an emulated inner transaction sends none. */
  protected async doCommit(): Promise<void> {}

  /** An emulated inner transaction rolls back the transaction that encloses it. */
  protected async doRollback(): Promise<void> {
    if (this.parent !== null) await this.parent.#rollbackNow()
  }
}

/** The outermost transaction: BEGIN ... COMMIT / ROLLBACK. */
export class RootTransaction extends Transaction {
  /** @internal Use SAConnection.begin(). */
  constructor(connection: SAConnection, host: TransactionHost) {
    super(connection, host, null)
  }

  protected override async doCommit(): Promise<void> {
    try {
      await this.host.run('COMMIT')
    } finally {
      this.host.finished(null)
    }
  }

  protected override async doRollback(): Promise<void> {
    try {
      await this.host.run('ROLLBACK')
    } finally {
      this.host.finished(null)
    }
  }
}

/** A SAVEPOINT inside another transaction: commit releases it, rollback rolls back to it. */
export class NestedTransaction extends Transaction {
  /** The savepoint's name (sent quoted as an identifier). */
  readonly savepoint: string

  /** @internal Use SAConnection.beginNested(). */
  constructor(connection: SAConnection, host: TransactionHost, parent: Transaction, savepoint: string) {
    super(connection, host, parent)
    this.savepoint = savepoint
  }

  // Unlike SQLAlchemy 1.3 (which only deactivates it), closing a savepoint rolls back to it, so the
  // connection's current transaction is its parent again and nothing uncommitted survives.
  protected override async closeNow(): Promise<void> {
    await unlocked.rollback(this)
  }

  protected override async doCommit(): Promise<void> {
    try {
      await this.host.run(`RELEASE SAVEPOINT ${escapeId(this.savepoint)}`)
    } finally {
      this.host.finished(this.parent)
    }
  }

  protected override async doRollback(): Promise<void> {
    try {
      await this.host.run(`ROLLBACK TO SAVEPOINT ${escapeId(this.savepoint)}`)
    } finally {
      this.host.finished(this.parent)
    }
  }
}

/** An XA transaction: prepare() ends and prepares it, commit() / rollback() finish it. */
export class TwoPhaseTransaction extends Transaction {
  /** The transaction id (always sent as a bound string literal). */
  readonly xid: string
  #prepared = false

  /** @internal Use SAConnection.beginTwophase(). */
  constructor(connection: SAConnection, host: TransactionHost, xid: string) {
    super(connection, host, null)
    this.xid = xid
  }

  /** True once prepare() succeeded; commit() is then XA COMMIT, before it XA COMMIT … ONE PHASE. */
  get isPrepared(): boolean {
    return this.#prepared
  }

  /** XA END + XA PREPARE: the first phase. Rejects when the transaction is inactive. */
  async prepare(): Promise<void> {
    await this.host.serial(async () => {
      if (!this.isActive) throw new InvalidRequestError('This transaction is inactive')
      if (this.#prepared) return
      await this.host.run('XA END %s', [this.xid])
      await this.host.run('XA PREPARE %s', [this.xid])
      this.#prepared = true
    })
  }

  protected override async doCommit(): Promise<void> {
    try {
      await finishXa(this.host, 'COMMIT', this.xid, this.#prepared)
    } finally {
      this.host.finished(null)
    }
  }

  protected override async doRollback(): Promise<void> {
    try {
      await finishXa(this.host, 'ROLLBACK', this.xid, this.#prepared)
    } finally {
      this.host.finished(null)
    }
  }
}

/**
 * XA COMMIT / XA ROLLBACK. A transaction that was never prepared is ended first (XA END), and is
 * committed with ONE PHASE: the server refuses a plain XA COMMIT of an unprepared transaction.
 */
export async function finishXa(
  host: Pick<TransactionHost, 'run'>,
  verb: 'COMMIT' | 'ROLLBACK',
  xid: string,
  prepared: boolean,
): Promise<void> {
  if (!prepared) await host.run('XA END %s', [xid])
  await host.run(`XA ${verb} %s${verb === 'COMMIT' && !prepared ? ' ONE PHASE' : ''}`, [xid])
}
