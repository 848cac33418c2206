// The benchmark data, created once per server with mysql2 (a third party, so a bug in this library cannot
// skew the data): `bench_rows`, 100,000 rows of the BENCH.md shape generated server-side from MariaDB's
// SEQUENCE engine (a recursive CTE on MySQL 8), and the empty `bench_bulk` target of the bulk workload.
// An existing `bench_rows` with the right columns and row count is reused.
import * as mysql from 'mysql2/promise'
import { TABLE_ROWS, parseMysqlUrl } from './workloads.ts'

const EXPECTED_COLUMNS =
  'id:int,i:int,bi:bigint,d:decimal,f:double,s:varchar,t:text,dt:datetime,b:varbinary,n:int'

const CREATE_ROWS = `CREATE TABLE bench_rows (
  id INT PRIMARY KEY,
  i INT NOT NULL,
  bi BIGINT NOT NULL,
  d DECIMAL(12,2) NOT NULL,
  f DOUBLE NOT NULL,
  s VARCHAR(64) NOT NULL,
  t TEXT NOT NULL,
  dt DATETIME NOT NULL,
  b VARBINARY(16) NOT NULL,
  n INT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

// Every value is a function of `seq` alone, so the data is identical on every server and every run.
// bi goes past 2^32 (but stays a safe integer), t is 61 characters, b is 16 bytes, odd rows have n.
const COLUMNS = 'id, i, bi, d, f, s, t, dt, b, n'
const VALUES = `seq,
  (seq * 7919) % 2000001 - 1000000,
  seq * 1000000007,
  ((seq * 7919) % 10000000) / 100,
  seq / 7,
  CONCAT('user-', seq, '-', LEFT(MD5(seq), 16)),
  CONCAT('The quick brown fox jumps over the lazy dog ', LPAD(seq, 6, '0'), ' ', LEFT(SHA1(seq), 10)),
  TIMESTAMP('2020-01-01 00:00:00') + INTERVAL (seq * 397) SECOND,
  UNHEX(MD5(seq)),
  IF(seq % 2 = 0, NULL, seq)`

const CREATE_BULK =
  'CREATE TABLE IF NOT EXISTS bench_bulk (a INT, b VARCHAR(64), c DOUBLE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'

type Rows = mysql.RowDataPacket[]

async function rowsTableIsReady(conn: mysql.Connection): Promise<boolean> {
  const [cols] = await conn.query<Rows>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'bench_rows' ORDER BY ORDINAL_POSITION`,
  )
  const shape = cols.map((c) => `${String(c.name)}:${String(c.type).toLowerCase()}`).join(',')
  if (shape !== EXPECTED_COLUMNS) return false
  const [[counts]] = await conn.query<Rows>(
    'SELECT COUNT(*) AS total, SUM(n IS NULL) AS nulls FROM bench_rows',
  )
  return Number(counts?.total) === TABLE_ROWS && Number(counts?.nulls) === TABLE_ROWS / 2
}

async function fillRows(conn: mysql.Connection): Promise<void> {
  const insert = `INSERT INTO bench_rows (${COLUMNS})`
  try {
    // seq is BIGINT UNSIGNED, so make it signed before `i` goes negative.
    const numbers = `(SELECT CAST(seq AS SIGNED) AS seq FROM seq_1_to_${TABLE_ROWS}) AS numbers`
    await conn.query(`${insert} SELECT ${VALUES} FROM ${numbers}`)
  } catch (err) {
    // Not MariaDB (no SEQUENCE engine): MySQL 8 can count with a recursive CTE.
    if ((err as { code?: string }).code !== 'ER_NO_SUCH_TABLE') throw err
    await conn.query(`SET SESSION cte_max_recursion_depth = ${TABLE_ROWS + 1}`)
    await conn.query(
      `${insert} WITH RECURSIVE numbers (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM numbers WHERE seq < ${TABLE_ROWS})
       SELECT ${VALUES} FROM numbers`,
    )
  }
}

export interface ServerInfo {
  version: string
  created: boolean
  /** The server's `have_ssl` (YES, DISABLED, NO), or 'unknown' where the variable does not exist. */
  haveSsl: string
}

/**
 * Makes sure both tables exist and hold the expected data; returns the server's version string and
 * whether it offers TLS. `ca` (PEM text) connects over verified TLS, for servers that insist on it.
 */
export async function prepareData(url: string, recreate: boolean, ca?: string): Promise<ServerInfo> {
  const ssl = ca === undefined ? {} : { ssl: { ca, rejectUnauthorized: true } }
  const conn = await mysql.createConnection({ ...parseMysqlUrl(url), ...ssl })
  try {
    const [[row]] = await conn.query<Rows>('SELECT VERSION() AS version')
    const version = String(row?.version)
    // SHOW, not SELECT @@have_ssl: an empty answer instead of an error where the variable is gone.
    const [[sslRow]] = await conn.query<Rows>("SHOW GLOBAL VARIABLES LIKE 'have_ssl'")
    const haveSsl = sslRow === undefined ? 'unknown' : String(sslRow.Value)
    let created = false
    if (recreate || !(await rowsTableIsReady(conn))) {
      await conn.query('DROP TABLE IF EXISTS bench_rows')
      await conn.query(CREATE_ROWS)
      await fillRows(conn)
      if (!(await rowsTableIsReady(conn)))
        throw new Error('bench_rows does not have the expected shape after filling it')
      created = true
    }
    await conn.query(CREATE_BULK)
    await conn.query('TRUNCATE TABLE bench_bulk')
    return { version, created, haveSsl }
  } finally {
    await conn.end()
  }
}
