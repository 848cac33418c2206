// The type matrix shared by the prepared-statement and compression tests: a table with a column of
// every type (edge values, zero dates, NULLs), floating-point edge cases, expressions the server types
// itself, and the type option sets each is read under.

import type { Connection, ConnectionOptions } from '../../src/index.ts'

export const TYPE_OPTION_SETS: readonly ConnectionOptions[] = [
  {},
  { timezone: 'Z' },
  { timezone: '+05:30' },
  { dateStrings: true },
  { bigIntMode: 'bigint' },
  { bigIntMode: 'string', decimalNumbers: true },
  { jsonParse: false },
]

export const MATRIX_COLUMNS = `
  id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, yr YEAR,
  bmin BIGINT, bmax BIGINT UNSIGNED, bsafe BIGINT, dec65 DECIMAL(65,30), d2 DECIMAL(10,2),
  fl FLOAT, f2 FLOAT(7,3), db DOUBLE, d3 DOUBLE(10,3),
  dt DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), ts TIMESTAMP(2) NULL, d DATE,
  tm TIME, tm1 TIME(1), tm6 TIME(6), j JSON, vc VARCHAR(64), ch CHAR(3), txt TEXT, lat VARCHAR(10) CHARACTER SET latin1,
  en ENUM('a','b'), st SET('x','y'), bl BLOB, vb VARBINARY(8), bt BIT(10), b1 BIT(1), g GEOMETRY, nul INT NULL`

export const MATRIX_ROWS = [
  `(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, 2024,
    -9223372036854775808, 18446744073709551615, 9007199254740993, '12345678901234567890123456789012345.123456789012345678901234567890', -12.5,
    1.2345678, 1234.5678, 0.1, 1.0005,
    '2024-01-02 03:04:05', '2024-01-02 03:04:05.678', '1999-12-31 23:59:59.999999', '2024-02-29 12:00:00.25', '2024-02-29',
    '-838:59:59', '100:00:00.5', '-00:00:01.000001', '{"name": "Zoë ✓", "n": [1, 2.5, null]}', 'utf8mb4 😀', 'ab', 'text', 'café',
    'b', 'x,y', X'00FF10', X'0001', b'1010101010', b'1', ST_GeomFromText('POINT(1 2)'), NULL)`,
  `(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3.4e38, 0, -1.7976931348623157e308, 0,
    '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '1000-01-01 00:00:00.000001', NULL, '0000-00-00',
    '00:00:00', '838:59:59.9', '23:59:59.999999', '"just a string"', '', '', '', '',
    'a', '', X'', X'', b'0', b'0', NULL, 7)`,
  `(3, ${Array.from({ length: 39 }, () => 'NULL').join(', ')})`,
]

/** Create `t` (every type) and `${t}_f` (floating-point edge cases), filled; the caller drops both. */
export async function createMatrixTables(conn: Connection, t: string): Promise<void> {
  await conn.query("SET SESSION sql_mode = ''")
  await conn.query(`CREATE TABLE ${t} (${MATRIX_COLUMNS})`)
  await conn.query(`INSERT INTO ${t} VALUES ${MATRIX_ROWS.join(', ')}`)
  // Floating-point edge cases: halfway values (the server rounds to even), tiny and huge doubles, -0.
  await conn.query(`CREATE TABLE ${t}_f (fl FLOAT, f2 FLOAT(7,2), d0 DOUBLE(10,0), dd DOUBLE)`)
  await conn.query(`INSERT INTO ${t}_f VALUES (1.015625, 0.125, 2.5, 5e-324), (0.001953125, -0.125, -0.5, -0.0),
    (1234565, 0.375, 3.5, 1.7976931348623157e308), (-0.0, 12345.67, 0.5, 1e-7), (3.4e38, -0.005, 1.5, 123456789.123456789)`)
}

/** The matrix's queries: both tables, and expressions the server types itself. */
export function matrixQueries(t: string): string[] {
  const expressions =
    "SELECT NOW(3) > '2000-01-01' AS a, CAST('-30:00:00.5' AS TIME(1)) AS b, TIMEDIFF('2024-01-03', '2024-01-01 00:00:00.25') AS c, " +
    'CAST(1.2345678 AS FLOAT) AS f, 1e300 * 10 AS big, 1.5 AS dec1, -0.0 AS z, 18446744073709551615 AS ubig, ' +
    "FROM_UNIXTIME(1.5) AS fu, CAST('2024-05-06 07:08:09.123456' AS DATETIME(4)) AS dt4, CAST('2024-05-06' AS DATE) AS dd, NULL AS n, 'x' AS s, " +
    "CAST(NULL AS SIGNED) AS ns, 1 = 1 AS bool, JSON_OBJECT('k', 1) AS jo"
  return [`SELECT * FROM ${t} ORDER BY id`, `SELECT * FROM ${t}_f`, expressions]
}
