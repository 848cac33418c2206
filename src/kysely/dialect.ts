// AiomysqlDialect: `new Kysely<DB>({ dialect: new AiomysqlDialect({ pool }) })`. Kysely's own MySQL
// query compiler, adapter and introspector; the driver is ours (driver.ts). Kysely is a peer
// dependency, so only src/kysely/ imports it.

import {
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely'
import { ProgrammingError, type Pool } from '../index.ts'
import { AiomysqlDriver } from './driver.ts'

/** Options of `new AiomysqlDialect(config)`. */
export interface AiomysqlDialectConfig {
  /** The pool queries run on. `db.destroy()` closes it, as with Kysely's own dialects. */
  pool: Pool
  /**
   * Send Kysely's compiled `?` queries as server-side prepared statements (binary protocol, SPEC §11).
   * Default: the pool's `prepare` option.
   */
  prepare?: boolean
}

/**
 * A Kysely dialect over an aiomysql Pool:
 * `new Kysely<DB>({ dialect: new AiomysqlDialect({ pool }) })`. Kysely's own MySQL query compiler,
 * adapter and introspector, with this library's driver. Statements outside `db.transaction()` run
 * with autocommit on, so a pool created with `autocommit: true` saves round trips. A config without
 * a Pool is a ProgrammingError.
 */
export class AiomysqlDialect implements Dialect {
  readonly #pool: Pool
  readonly #prepare: boolean | undefined

  constructor(config: AiomysqlDialectConfig) {
    const pool: unknown = config?.pool
    if (typeof pool !== 'object' || pool === null || typeof (pool as Pool).acquire !== 'function') {
      throw new ProgrammingError('AiomysqlDialect needs { pool }: a Pool from createPool()')
    }
    this.#pool = config.pool
    const prepare: unknown = config.prepare
    if (prepare !== undefined && typeof prepare !== 'boolean')
      throw new ProgrammingError('AiomysqlDialect option prepare must be a boolean')
    this.#prepare = prepare
  }

  createDriver(): Driver {
    return new AiomysqlDriver(this.#pool, this.#prepare)
  }

  createQueryCompiler(): QueryCompiler {
    return new MysqlQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return new MysqlAdapter()
  }

  /** Kysely's MySQL introspector (`db.introspection`: tables, columns and schemas). */
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new MysqlIntrospector(db)
  }
}
