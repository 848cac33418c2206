// This library, written the way SPEC.md says its users write it: a cursor per connection, `execute` +
// `fetchAll` (text protocol), `SSCursor` + `for await` for streaming, `executeMany` inside
// `begin`/`commit` for bulk, `createPool` + `pool.query` for the pool, concurrent cursors on one
// connection for the pipeline. The module is loaded at run time so the harness works while src/ is
// being written: whatever is missing makes the workload "skipped" (n/a in the table), never a number.
import { existsSync } from 'node:fs'
import {
  type Bench,
  type BenchOptions,
  type Size,
  type DriverModule,
  IDS,
  SIZES,
  SQL,
  Skip,
  TABLE_ROWS,
  benchOf,
  bulkRows,
  bulkSql,
  expectRows,
  parseMysqlUrl,
  pointSql,
  runTasks,
} from '../workloads.ts'

// The part of the public API (SPEC.md) the benchmark uses, declared here so that the harness type-checks
// whatever state src/ is in.
interface Cursor {
  execute(query: string, args?: unknown, options?: { prepare?: boolean }): Promise<number>
  executeMany(query: string, rows: unknown[][], options?: { prepare?: boolean }): Promise<number>
  fetchAll(): Promise<unknown[]>
  close(): unknown
  [Symbol.asyncIterator](): AsyncIterator<unknown>
}
interface Connection {
  cursor(cursorClass?: unknown): Cursor
  begin(): Promise<void>
  commit(): Promise<void>
  close(): void
  ensureClosed?(): Promise<void>
}
interface Pool {
  query(query: string, args?: unknown): Promise<unknown[]>
  close(): void
  waitClosed(): Promise<void>
}
interface Module {
  connect(options: string | Record<string, unknown>): Promise<Connection>
  createPool(options: Record<string, unknown>): Promise<Pool>
  Cursor: unknown
  DictCursor: unknown
  SSCursor: unknown
  SSDictCursor: unknown
}

// The compiled package (dist/, what users run; bench/run.ts builds it first), or the sources when
// there is no build.
const DIST = new URL('../../dist/index.js', import.meta.url)
const ENTRY = existsSync(DIST) ? DIST.href : new URL('../../src/index.ts', import.meta.url).href
const POINT = pointSql('%s')

async function load(...needed: (keyof Module)[]): Promise<Module> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(ENTRY)) as Record<string, unknown>
  } catch (err) {
    throw new Skip(`cannot import ${ENTRY} (${(err as Error).message.split('\n')[0]})`)
  }
  for (const name of needed) {
    if (mod[name] === undefined) throw new Skip(`aiomysql does not export ${name} yet`)
  }
  return mod as unknown as Module
}

function needMethod(obj: object, name: PropertyKey, owner: string): void {
  if (typeof (obj as Record<PropertyKey, unknown>)[name] !== 'function') {
    throw new Skip(`${owner}.${String(name)}() is missing`)
  }
}

/**
 * Options from the URL and the library's defaults, as a user would write them: `autocommit` stays off
 * (SPEC's default, as in aiomysql), so each `pool.query` writes its statement and COMMIT in one flight,
 * and `pipelining` stays on. The transport is left at the default (`sslMode: 'preferred'`,
 * plain against the harness's TLS-less server) unless the run is `--tls`: then encrypted and verified
 * against the run's CA and the host name, as the peers are.
 */
function options(opts: BenchOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { host, port, user, password, database } = parseMysqlUrl(opts.url)
  const tls = opts.ca === undefined ? {} : { sslMode: 'verify-identity', ssl: { ca: opts.ca } }
  return { host, port, user, password, db: database, ...tls, ...extra }
}

async function open(
  opts: BenchOptions,
  ...needed: (keyof Module)[]
): Promise<{ mod: Module; conn: Connection }> {
  const mod = await load('connect', ...needed)
  const conn = await mod.connect(options(opts))
  for (const m of ['cursor', 'close']) needMethod(conn, m, 'Connection')
  return { mod, conn }
}

async function closeConnection(conn: Connection): Promise<void> {
  if (typeof conn.ensureClosed === 'function') await conn.ensureClosed()
  else conn.close()
}

/** The bulk insert: executeMany in one transaction, with the given per-call options. */
async function insertRows(opts: BenchOptions, size: Size, options: { prepare?: boolean }): Promise<Bench> {
  const { conn } = await open(opts)
  needMethod(conn, 'begin', 'Connection')
  needMethod(conn, 'commit', 'Connection')
  const cur = conn.cursor()
  needMethod(cur, 'executeMany', 'Cursor')
  const warmRows = bulkRows(size.warmup)
  const rows = bulkRows(size.count)
  const insert = async (all: unknown[][]): Promise<number> => {
    await conn.begin()
    const count = await cur.executeMany(bulkSql('%s'), all, options)
    await conn.commit()
    expectRows(count, all.length, 'bulk (row count from executeMany)')
    return all.length
  }
  return {
    async warmup() {
      await cur.execute(SQL.truncateBulk)
      await insert(warmRows)
      await cur.execute(SQL.truncateBulk)
    },
    run: () => insert(rows),
    close: () => closeConnection(conn),
  }
}

/**
 * 40,000 point selects through `pool.query` from 64 tasks over a pool of 8. With the default
 * `autocommit: false` each `pool.query` writes its statement and a COMMIT in one flight.
 */
async function poolQueries(opts: BenchOptions, extra: Record<string, unknown>): Promise<Bench> {
  const { tasks, size } = SIZES.pool
  const mod = await load('createPool')
  const pool = await mod.createPool(options(opts, { minSize: size, maxSize: size, ...extra }))
  needMethod(pool, 'query', 'Pool')
  const go = async (n: number): Promise<number> => {
    await runTasks(n, tasks, async (k) => {
      const rows = await pool.query(POINT, [IDS[k]!])
      expectRows(rows.length, 1, 'pool')
    })
    return n
  }
  const close = async (): Promise<void> => {
    pool.close()
    await pool.waitClosed()
  }
  return benchOf(SIZES.pool, go, close)
}

const driver: DriverModule = {
  async select1(opts) {
    const { conn } = await open(opts)
    const cur = conn.cursor()
    needMethod(cur, 'execute', 'Cursor')
    needMethod(cur, 'fetchAll', 'Cursor')
    const go = async (n: number): Promise<number> => {
      for (let k = 0; k < n; k++) {
        await cur.execute(SQL.select1)
        await cur.fetchAll()
      }
      return n
    }
    return benchOf(SIZES.select1, go, () => closeConnection(conn))
  },

  async decode(opts) {
    const { mod, conn } = await open(opts, opts.objects ? 'DictCursor' : 'Cursor')
    const cur = conn.cursor(opts.objects ? mod.DictCursor : mod.Cursor)
    needMethod(cur, 'fetchAll', 'Cursor')
    const go = async (times: number): Promise<number> => {
      let total = 0
      for (let k = 0; k < times; k++) {
        await cur.execute(SQL.all)
        const rows = await cur.fetchAll()
        expectRows(rows.length, TABLE_ROWS, 'decode')
        total += rows.length
      }
      return total
    }
    return benchOf(SIZES.decode, go, () => closeConnection(conn))
  },

  async stream(opts) {
    const cls = opts.objects ? 'SSDictCursor' : 'SSCursor'
    const { mod, conn } = await open(opts, cls)
    const go = async (times: number): Promise<number> => {
      let total = 0
      for (let k = 0; k < times; k++) {
        const cur = conn.cursor(mod[cls])
        needMethod(cur, Symbol.asyncIterator, 'SSCursor')
        await cur.execute(SQL.all)
        let n = 0
        for await (const _row of cur) n++
        await cur.close()
        expectRows(n, TABLE_ROWS, 'stream')
        total += n
      }
      return total
    }
    return benchOf(SIZES.stream, go, () => closeConnection(conn))
  },

  bulk: (opts) => insertRows(opts, SIZES.bulk, {}),

  /** executeMany with `{ prepare: true }`: COM_STMT_BULK_EXECUTE on MariaDB. */
  batch: (opts) => insertRows(opts, SIZES.batch, { prepare: true }),

  pool: (opts) => poolQueries(opts, {}),

  /** The pool workload with `autocommit: true`: one statement per pool.query, as the peers run it. */
  'pool-autocommit': (opts) => poolQueries(opts, { autocommit: true }),

  async prepared(opts) {
    const { conn } = await open(opts)
    const cur = conn.cursor()
    const go = async (n: number): Promise<number> => {
      for (let k = 0; k < n; k++) {
        await cur.execute(POINT, [IDS[k]!], { prepare: true })
        expectRows((await cur.fetchAll()).length, 1, 'prepared')
      }
      return n
    }
    return benchOf(SIZES.prepared, go, () => closeConnection(conn))
  },

  async pipeline(opts) {
    const { conn } = await open(opts)
    const one = async (id: number | undefined): Promise<void> => {
      const cur = conn.cursor()
      await cur.execute(POINT, [id])
      expectRows((await cur.fetchAll()).length, 1, 'pipeline')
    }
    const go = async (n: number): Promise<number> => {
      const all: Promise<void>[] = []
      for (let k = 0; k < n; k++) all.push(one(IDS[k]))
      await Promise.all(all)
      return n
    }
    return benchOf(SIZES.pipeline, go, () => closeConnection(conn))
  },
}

export default driver
