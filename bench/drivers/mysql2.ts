// mysql2 (promise API) as its users would write each workload: `query` (text protocol) for reads,
// the callback connection's `query().stream()` for streaming, multi-row `VALUES ?` for bulk, `execute` for
// prepared statements, `createPool` + `pool.query` for the pool. Types stay at mysql2's defaults
// (BIGINT as number, DECIMAL as string, DATETIME as Date); rows are arrays unless `--objects`.
import * as mysqlCore from 'mysql2'
import * as mysql from 'mysql2/promise'
import {
  type BenchOptions,
  type DriverModule,
  IDS,
  SIZES,
  SQL,
  Skip,
  TABLE_ROWS,
  benchOf,
  bulkRows,
  expectRows,
  parseMysqlUrl,
  pointSql,
  runTasks,
} from '../workloads.ts'

// One multi-row INSERT per this many rows (~0.5 MB of SQL), as users do to stay under max_allowed_packet.
const BULK_CHUNK = 10_000
const POINT = pointSql('?')

type Rows = mysql.RowDataPacket[]

/** URL parts, plus TLS verified against the run's CA under `--tls` (mysql2's default is plain). */
function base(opts: BenchOptions) {
  const ssl = opts.ca === undefined ? {} : { ssl: { ca: opts.ca, rejectUnauthorized: true } }
  return { ...parseMysqlUrl(opts.url), ...ssl }
}

function connect(opts: BenchOptions): Promise<mysql.Connection> {
  return mysql.createConnection({ ...base(opts), rowsAsArray: !opts.objects })
}

const driver: DriverModule = {
  async select1(opts) {
    const conn = await connect(opts)
    const go = async (n: number): Promise<number> => {
      for (let k = 0; k < n; k++) await conn.query(SQL.select1)
      return n
    }
    return benchOf(SIZES.select1, go, () => conn.end())
  },

  async decode(opts) {
    const conn = await connect(opts)
    const go = async (times: number): Promise<number> => {
      let total = 0
      for (let k = 0; k < times; k++) {
        const [rows] = await conn.query<Rows>(SQL.all)
        expectRows(rows.length, TABLE_ROWS, 'decode')
        total += rows.length
      }
      return total
    }
    return benchOf(SIZES.decode, go, () => conn.end())
  },

  async stream(opts) {
    // The promise API has no stream(); mysql2's documented way is the callback connection's
    // query(sql).stream(), a Readable that pauses the socket for backpressure.
    const conn = mysqlCore.createConnection({ ...base(opts), rowsAsArray: !opts.objects })
    const go = async (times: number): Promise<number> => {
      let total = 0
      for (let k = 0; k < times; k++) {
        let n = 0
        for await (const _row of conn.query(SQL.all).stream()) n++
        expectRows(n, TABLE_ROWS, 'stream')
        total += n
      }
      return total
    }
    return benchOf(SIZES.stream, go, () => conn.promise().end())
  },

  async bulk(opts) {
    const conn = await connect(opts)
    const warmRows = bulkRows(SIZES.bulk.warmup)
    const rows = bulkRows(SIZES.bulk.count)
    const insert = async (all: unknown[][]): Promise<number> => {
      await conn.beginTransaction()
      for (let k = 0; k < all.length; k += BULK_CHUNK) {
        await conn.query('INSERT INTO bench_bulk (a, b, c) VALUES ?', [all.slice(k, k + BULK_CHUNK)])
      }
      await conn.commit()
      return all.length
    }
    return {
      async warmup() {
        await conn.query(SQL.truncateBulk)
        await insert(warmRows)
        await conn.query(SQL.truncateBulk)
      },
      run: () => insert(rows),
      close: () => conn.end(),
    }
  },

  async batch() {
    throw new Skip('mysql2 has no bulk command (COM_STMT_BULK_EXECUTE); its bulk row is the text INSERT')
  },

  async pool(opts) {
    const { tasks, size } = SIZES.pool
    const pool = mysql.createPool({ ...base(opts), connectionLimit: size, maxIdle: size })
    const go = async (n: number): Promise<number> => {
      await runTasks(n, tasks, async (k) => {
        const [rows] = await pool.query<Rows>(POINT, [IDS[k]!])
        expectRows(rows.length, 1, 'pool')
      })
      return n
    }
    return benchOf(SIZES.pool, go, () => pool.end())
  },

  async prepared(opts) {
    const conn = await connect(opts)
    const go = async (n: number): Promise<number> => {
      for (let k = 0; k < n; k++) {
        const [rows] = await conn.execute<Rows>(POINT, [IDS[k]!])
        expectRows(rows.length, 1, 'prepared')
      }
      return n
    }
    return benchOf(SIZES.prepared, go, () => conn.end())
  },

  async pipeline(opts) {
    const conn = await connect(opts)
    const go = async (n: number): Promise<number> => {
      const all: Promise<void>[] = []
      for (let k = 0; k < n; k++) {
        all.push(conn.query<Rows>(POINT, [IDS[k]!]).then(([rows]) => expectRows(rows.length, 1, 'pipeline')))
      }
      await Promise.all(all)
      return n
    }
    return benchOf(SIZES.pipeline, go, () => conn.end())
  },
}

// Autocommit is this driver's default: the pool-autocommit row runs its pool workload unchanged.
const { pool } = driver
if (pool !== undefined) driver['pool-autocommit'] = pool

export default driver
