// Kysely's Driver and DatabaseConnection over an aiomysql Pool, built on the public API only. Compiled
// `?` queries run as `{ sql, parameters }` statements (the same escaping as %s, rendered by the
// Connection); .stream() reads through an SSDictCursor.
// Autocommit: every acquired connection runs with autocommit on (Kysely's contract: a statement
// outside db.transaction() is committed), and gets the pool's own setting back before release.

import type {
  CompiledQuery,
  DatabaseConnection,
  Driver,
  IsolationLevel,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import {
  type CompiledStatement,
  type Connection,
  DictCursor,
  NotSupportedError,
  ProgrammingError,
  type Pool,
  escapeId,
  SSDictCursor,
  type StatementOptions,
} from '../index.ts'

// A Map, not an object: a level name from the caller never reaches a prototype. 'snapshot' is SQL
// Server's; MySQL and MariaDB have the other four.
const ISOLATION_LEVELS: ReadonlyMap<IsolationLevel, string> = new Map([
  ['read uncommitted', 'READ UNCOMMITTED'],
  ['read committed', 'READ COMMITTED'],
  ['repeatable read', 'REPEATABLE READ'],
  ['serializable', 'SERIALIZABLE'],
])

/** One pooled connection as Kysely sees it. */
export class AiomysqlConnection implements DatabaseConnection {
  /** @internal */
  readonly connection: Connection
  /** Per-call options: `{ prepare }` when the dialect was given one, else the connection's default. */
  readonly #options: StatementOptions | undefined

  /** @internal Made by the driver. */
  constructor(connection: Connection, prepare?: boolean) {
    this.connection = connection
    this.#options = prepare === undefined ? undefined : { prepare }
  }

  /**
   * Run one compiled query: its rows, or for a statement without rows the affected (matched, for
   * UPDATE) and changed row counts and the insert id.
   */
  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // A compiled query is a `{ sql, parameters }` statement the Connection renders itself, so its
    // escaping follows the session even when it is pipelined behind a statement that changes it.
    const cursor = this.connection.cursor(DictCursor)
    await cursor.execute(statementOf(compiledQuery), undefined, this.#options)
    if (cursor.description !== null) return { rows: (await cursor.fetchAll()) as R[] }
    // An UPDATE's OK packet says "Rows matched: 2  Changed: 1  Warnings: 0". Without CLIENT_FOUND_ROWS
    // affectedRows is the changed count, but Kysely's numUpdatedRows means matched rows (what it gets
    // from mysql2, which sets that flag), so the matched count from the text wins.
    const update = /\bRows matched: (\d+) +Changed: (\d+)/.exec(cursor.info)
    const insertId = BigInt(cursor.lastRowId ?? 0)
    return {
      rows: [],
      numAffectedRows: BigInt(update?.[1] ?? cursor.rowCount),
      ...(update === null ? {} : { numChangedRows: BigInt(update[2]!) }),
      // Kysely reads a missing insertId as "none"; the server says 0 when nothing was generated.
      ...(insertId === 0n ? {} : { insertId }),
    }
  }

  /**
   * Rows in chunks of `chunkSize`, streamed from the server with backpressure. Leaving the loop early
   * closes the cursor, which reads and drops the rest, so the connection is clean when released.
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncGenerator<QueryResult<R>> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new ProgrammingError('stream chunkSize must be a positive integer')
    }
    const conn = this.connection
    const cursor = conn.cursor(SSDictCursor)
    try {
      await cursor.execute(statementOf(compiledQuery), undefined, this.#options)
      for (;;) {
        const rows = await cursor.fetchMany(chunkSize)
        if (rows.length === 0) return
        yield { rows: rows as R[] }
      }
    } finally {
      await cursor.close()
    }
  }
}

/**
 * Kysely's Driver over an aiomysql Pool, made by AiomysqlDialect.createDriver(): acquires
 * connections with autocommit on, runs transactions and savepoints, and closes the pool on
 * `db.destroy()`.
 */
export class AiomysqlDriver implements Driver {
  readonly #pool: Pool
  readonly #prepare: boolean | undefined

  constructor(pool: Pool, prepare?: boolean) {
    this.#pool = pool
    this.#prepare = prepare
  }

  async init(): Promise<void> {}

  /** A pooled connection with autocommit on (one SET when the pool's default is off). */
  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.#pool.acquire()
    try {
      await conn.autocommit(true)
    } catch (e) {
      conn.close() // unknown session state: the pool drops a closed connection
      this.#pool.release(conn)
      throw e
    }
    return new AiomysqlConnection(conn, this.#prepare)
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const conn = raw(connection)
    const characteristics: string[] = []
    if (settings.isolationLevel !== undefined) {
      const level = ISOLATION_LEVELS.get(settings.isolationLevel)
      if (level === undefined) {
        throw new NotSupportedError(
          `isolation level ${JSON.stringify(settings.isolationLevel)} is not supported`,
        )
      }
      characteristics.push(`ISOLATION LEVEL ${level}`)
    }
    if (settings.accessMode !== undefined) {
      characteristics.push(settings.accessMode === 'read only' ? 'READ ONLY' : 'READ WRITE')
    }
    // Without SESSION or GLOBAL, SET TRANSACTION applies to the next transaction only.
    if (characteristics.length > 0) await conn.query(`SET TRANSACTION ${characteristics.join(', ')}`)
    await conn.begin()
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await raw(connection).commit()
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await raw(connection).rollback()
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await raw(connection).query(`SAVEPOINT ${escapeId(savepointName)}`)
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await raw(connection).query(`ROLLBACK TO SAVEPOINT ${escapeId(savepointName)}`)
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await raw(connection).query(`RELEASE SAVEPOINT ${escapeId(savepointName)}`)
  }

  /** Restore the pool's autocommit setting, then release (the pool rolls back a forgotten transaction). */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const conn = raw(connection)
    try {
      await conn.autocommit(conn.config.autocommit)
    } catch {
      conn.close()
    }
    this.#pool.release(conn)
  }

  /** Kysely's db.destroy(): close the pool and wait for its connections, as Kysely's own dialects do. */
  async destroy(): Promise<void> {
    this.#pool.close()
    await this.#pool.waitClosed()
  }
}

function raw(connection: DatabaseConnection): Connection {
  if (!(connection instanceof AiomysqlConnection)) {
    throw new ProgrammingError('this connection was not made by the aiomysql Kysely driver')
  }
  return connection.connection
}

/** Only the text and parameters of Kysely's compiled query (not its query tree). */
function statementOf(q: CompiledQuery): CompiledStatement {
  return { sql: q.sql, parameters: q.parameters }
}
