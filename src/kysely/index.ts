// aiomysql/kysely: a Kysely dialect over an aiomysql Pool, with transactions, savepoints and
// .stream() over an unbuffered cursor. Exports only; defines nothing.

/**
 * A Kysely dialect over an aiomysql Pool: `new Kysely<DB>({ dialect: new AiomysqlDialect({ pool }) })`,
 * with transactions, savepoints and `.stream()` over an unbuffered cursor. Needs the `kysely` peer
 * dependency.
 *
 * @module aiomysql/kysely
 */
export { AiomysqlDialect, type AiomysqlDialectConfig } from './dialect.ts'
export { AiomysqlDriver, AiomysqlConnection } from './driver.ts'
