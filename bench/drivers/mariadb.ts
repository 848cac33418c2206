// mariadb (promise API) as its users would write each workload: `query` (text protocol) for reads,
// `queryStream` for streaming, `batch` for bulk (COM_STMT_BULK_EXECUTE on MariaDB), `execute` for
// prepared statements, `createPool` + `pool.query` for the pool. `bigIntAsNumber` is on so BIGINT comes
// back as a number as in the other two drivers (mariadb's own default is BigInt); DECIMAL stays a string
// and DATETIME a Date. Rows are arrays unless `--objects`.
import * as mariadb from 'mariadb'
import {
  type BenchOptions,
  type DriverModule,
  IDS,
  SIZES,
  SQL,
  TABLE_ROWS,
  benchOf,
  bulkRows,
  bulkSql,
  expectRows,
  parseMysqlUrl,
  pointSql,
  runTasks,
} from '../workloads.ts'

const TYPE_OPTIONS = { bigIntAsNumber: true, insertIdAsNumber: true } as const
const POINT = pointSql('?')

/** URL parts, plus TLS verified against the run's CA under `--tls` (mariadb's default is plain). */
function base(opts: BenchOptions) {
  const ssl = opts.ca === undefined ? {} : { ssl: { ca: opts.ca, rejectUnauthorized: true } }
  return { ...parseMysqlUrl(opts.url), ...ssl, ...TYPE_OPTIONS }
}

function connect(opts: BenchOptions): Promise<mariadb.Connection> {
  return mariadb.createConnection({ ...base(opts), rowsAsArray: !opts.objects })
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
        const rows = await conn.query<unknown[]>(SQL.all)
        expectRows(rows.length, TABLE_ROWS, 'decode')
        total += rows.length
      }
      return total
    }
    return benchOf(SIZES.decode, go, () => conn.end())
  },

  async stream(opts) {
    const conn = await connect(opts)
    const go = async (times: number): Promise<number> => {
      let total = 0
      for (let k = 0; k < times; k++) {
        let n = 0
        for await (const _row of conn.queryStream(SQL.all)) n++
        expectRows(n, TABLE_ROWS, 'stream')
        total += n
      }
      return total
    }
    return benchOf(SIZES.stream, go, () => conn.end())
  },

  async bulk(opts) {
    const conn = await connect(opts)
    const warmRows = bulkRows(SIZES.bulk.warmup)
    const rows = bulkRows(SIZES.bulk.count)
    const insert = async (all: unknown[][]): Promise<number> => {
      await conn.beginTransaction()
      await conn.batch(bulkSql('?'), all)
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

  /** The same bulk insert: `batch` is already mariadb's binary-protocol bulk command. */
  batch(opts) {
    return driver.bulk!(opts)
  },

  async pool(opts) {
    const { tasks, size } = SIZES.pool
    const pool = mariadb.createPool({ ...base(opts), connectionLimit: size })
    const go = async (n: number): Promise<number> => {
      await runTasks(n, tasks, async (k) => {
        const rows = await pool.query<unknown[]>(POINT, [IDS[k]!])
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
        const rows = await conn.execute<unknown[]>(POINT, [IDS[k]!])
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
        all.push(
          conn.query<unknown[]>(POINT, [IDS[k]!]).then((rows) => expectRows(rows.length, 1, 'pipeline')),
        )
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
