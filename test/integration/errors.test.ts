import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  connect,
  IntegrityError,
  OperationalError,
  ProgrammingError,
  type MySQLError,
} from '../../src/index.ts'
import { serverUrl } from '../support/env.ts'
import { open, tableName, withConnection } from '../support/db.ts'

function expect(cls: typeof MySQLError, errno: number, code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`)
    assert.equal(e.errno, errno)
    assert.equal(e.code, code)
    assert.match(e.sqlState, /^[0-9A-Z]{5}$/)
    return true
  }
}

test('duplicate key, syntax error, unknown table: classes, codes, sql without values', async () => {
  await withConnection(async (conn) => {
    const t = tableName('err')
    await conn.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`)
    try {
      await conn.query(`INSERT INTO ${t} VALUES (1)`)
      const sql = `INSERT INTO ${t} VALUES (%s)`
      const err = await conn.query(sql, [1]).catch((e: unknown) => e)
      expect(IntegrityError, 1062, 'ER_DUP_ENTRY')(err)
      assert.equal((err as MySQLError).sql, sql)
      assert.equal((err as MySQLError).fatal, false)
      await assert.rejects(conn.query('SELEC 1'), expect(ProgrammingError, 1064, 'ER_PARSE_ERROR'))
      await assert.rejects(
        conn.query('SELECT * FROM no_such_table_here'),
        expect(ProgrammingError, 1146, 'ER_NO_SUCH_TABLE'),
      )
      // The connection is still usable after server errors.
      assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('unknown database, access denied, connection refused', async () => {
  await assert.rejects(open({ db: 'no_such_db_here' }), expect(OperationalError, 1049, 'ER_BAD_DB_ERROR'))
  await assert.rejects(open({ password: 'wrong-password' }), (e: unknown) => {
    expect(OperationalError, 1045, 'ER_ACCESS_DENIED_ERROR')(e)
    assert.ok(!(e as Error).message.includes('wrong-password'))
    return true
  })
  const url = new URL(serverUrl)
  await assert.rejects(
    connect({ host: '127.0.0.1', port: 1, user: 'x', connectTimeoutMs: 2000 }),
    (e: unknown) => expect(OperationalError, 2003, 'CR_CONN_HOST_ERROR')(e) && (e as MySQLError).fatal,
  )
  assert.ok(url)
})

test('the error stack points at the caller', async () => {
  await withConnection(async (conn) => {
    const err = (await conn.query('SELEC 1').catch((e: unknown) => e)) as Error
    assert.match(err.stack ?? '', /errors\.test\.ts/)
  })
})
