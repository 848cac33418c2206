// aiomysql/sa: aiomysql.sa's engine, connection, transaction and result-proxy layer, without
// SQLAlchemy: statements are strings, sql`` fragments, Kysely builders or compiled `?` queries.
// Exports only; defines nothing.

/**
 * aiomysql.sa without SQLAlchemy: `createEngine()`, SAConnection with `execute()` / `scalar()`,
 * root, nested (SAVEPOINT) and two-phase (XA) transactions, and ResultProxy rows by name or position.
 * Statements are strings, `sql` fragments, Kysely builders or compiled `?` queries.
 *
 * @module aiomysql/sa
 */
export { createEngine, Engine } from './engine.ts'
export { SAConnection, type PreparedXaOptions } from './connection.ts'
export { Transaction, RootTransaction, NestedTransaction, TwoPhaseTransaction } from './transaction.ts'
export { ResultProxy } from './result.ts'
export type { RowProxy, RowMethods } from './row.ts'
export type { Statement, CompiledStatement, CompilableStatement } from './statement.ts'
export {
  SAError,
  ArgumentError,
  InvalidRequestError,
  ResourceClosedError,
  NoSuchColumnError,
} from './errors.ts'
