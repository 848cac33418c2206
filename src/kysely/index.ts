// aiomysql/kysely: a Kysely dialect over an aiomysql Pool, with transactions, savepoints and
// .stream() over an unbuffered cursor. Exports only; defines nothing.

export { AiomysqlDialect, type AiomysqlDialectConfig } from './dialect.ts'
export { AiomysqlDriver, AiomysqlConnection } from './driver.ts'
