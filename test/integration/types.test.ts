import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tableName, withConnection } from '../support/db.ts'

test('every SPEC §5 type round-trips through a real table', async () => {
  await withConnection(
    async (conn) => {
      const t = tableName('types')
      await conn.query(`CREATE TABLE ${t} (
        id INT PRIMARY KEY, ti TINYINT, si SMALLINT, mi MEDIUMINT, yr YEAR,
        bmin BIGINT, bmax BIGINT UNSIGNED, bsafe BIGINT,
        dec65 DECIMAL(65,30), fl FLOAT, db DOUBLE,
        dt6 DATETIME(6), ts TIMESTAMP(3) NULL, d DATE, tm TIME, tm1 TIME(1),
        zd DATETIME, j JSON, vc VARCHAR(64), txt TEXT, en ENUM('a','b'), st SET('x','y'),
        bl BLOB, vb VARBINARY(8), bt BIT(10), nul INT NULL)`)
      try {
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
        const dec = '12345678901234567890123456789012345.123456789012345678901234567890'
        await conn.query("SET SESSION sql_mode = ''")
        const cur = conn.cursor()
        await cur.execute(
          `INSERT INTO ${t} VALUES (1, -128, 32767, -8388608, 2024, -9223372036854775808, 18446744073709551615,
            9007199254740991, %s, 1.5, 0.1, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.678',
            '2024-02-29', '-838:59:59', '12:30:00.5', '0000-00-00 00:00:00', %s, %s, %s, 'b', 'x,y', %s, %s,
            b'1010101010', NULL)`,
          [dec, JSON.stringify({ name: 'Zoë ✓', n: [1, 2] }), 'utf8mb4 😀', 'text', all, Buffer.from([0, 1])],
        )
        const [row] = await conn.query<Record<string, unknown>>(`SELECT * FROM ${t}`)
        assert.ok(row)
        assert.equal(row['ti'], -128)
        assert.equal(row['si'], 32767)
        assert.equal(row['mi'], -8388608)
        assert.equal(row['yr'], 2024)
        assert.equal(row['bmin'], -9223372036854775808n)
        assert.equal(row['bmax'], 18446744073709551615n)
        assert.equal(row['bsafe'], 9007199254740991)
        assert.equal(row['dec65'], dec)
        assert.equal(row['fl'], 1.5)
        assert.equal(row['db'], 0.1)
        assert.ok(row['dt6'] instanceof Date)
        assert.equal((row['dt6'] as Date).toISOString(), '2024-01-02T03:04:05.123Z')
        assert.equal((row['ts'] as Date).toISOString(), '2024-01-02T03:04:05.678Z')
        assert.equal((row['d'] as Date).toISOString(), '2024-02-29T00:00:00.000Z')
        assert.equal(row['tm'], '-838:59:59')
        assert.equal(row['tm1'], '12:30:00.5')
        assert.equal(row['zd'], '0000-00-00 00:00:00')
        assert.deepEqual(row['j'], { name: 'Zoë ✓', n: [1, 2] })
        assert.equal(row['vc'], 'utf8mb4 😀')
        assert.equal(row['txt'], 'text')
        assert.equal(row['en'], 'b')
        assert.equal(row['st'], 'x,y')
        assert.ok(Buffer.isBuffer(row['bl']))
        assert.ok((row['bl'] as Buffer).equals(all))
        assert.ok((row['vb'] as Buffer).equals(Buffer.from([0, 1])))
        assert.ok((row['bt'] as Buffer).equals(Buffer.from([0b10, 0b10101010])))
        assert.equal(row['nul'], null)
        // Sent values come back equal: Date and bigint parameters.
        const back = await conn.query<{ d: Date; b: bigint }>(
          'SELECT CAST(%s AS DATETIME(3)) AS d, %s + 0 AS b',
          [new Date('2020-05-06T07:08:09.010Z'), 18446744073709551615n],
        )
        assert.equal(back[0]!.d.toISOString(), '2020-05-06T07:08:09.010Z')
        assert.equal(String(back[0]!.b), '18446744073709551615')
      } finally {
        await conn.query(`DROP TABLE ${t}`)
      }
    },
    { timezone: 'Z' },
  )
})

test('dateStrings returns temporal values as the server sends them', async () => {
  await withConnection(
    async (conn) => {
      const [row] = await conn.query<{ d: string }>("SELECT CAST('2024-01-02 03:04:05' AS DATETIME) AS d")
      assert.equal(row!.d, '2024-01-02 03:04:05')
    },
    { dateStrings: true },
  )
})

test('a fixed-offset timezone applies both ways', async () => {
  await withConnection(
    async (conn) => {
      const d = new Date('2024-06-01T12:00:00.000Z')
      const [row] = await conn.query<{ s: string; d: Date }>(
        'SELECT CAST(%s AS CHAR) AS s, CAST(%s AS DATETIME(3)) AS d',
        [d, d],
      )
      assert.equal(row!.s, '2024-06-01 17:30:00.000')
      assert.equal(row!.d.getTime(), d.getTime())
    },
    { timezone: '+05:30' },
  )
})

test('a column that keeps its name but changes type between results is decoded by its new type', async () => {
  await withConnection(async (conn) => {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await conn.query('SELECT 1 AS a'), [{ a: 1 }])
      assert.deepEqual(await conn.query("SELECT '1' AS a"), [{ a: '1' }])
      assert.deepEqual(await conn.query('SELECT 1.5 AS a'), [{ a: '1.5' }])
    }
  })
})
