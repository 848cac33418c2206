// SPEC §10 against the real server: commands are written before earlier replies arrive, results are
// those of running them one by one, and every safety rule holds (escaping mode, LOCAL INFILE,
// cancellation, fatal errors). The holding relay proves what was written before any reply came.

import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createPool, DictCursor, MySQLError, OperationalError, type Connection } from '../../src/index.ts'
import { serverUrl } from '../support/env.ts'
import { open, tableName, withConnection } from '../support/db.ts'
import { startHoldingRelay, type HoldingRelay } from '../support/holding-relay.ts'

const COM_QUERY = 0x03

const target = (): { host: string; port: number } => {
  const u = new URL(serverUrl)
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 3306) }
}

async function withRelay(
  fn: (relay: HoldingRelay, conn: Connection) => Promise<void>,
  pipelining = true,
): Promise<void> {
  const relay = await startHoldingRelay(target())
  try {
    const conn = await open({ host: '127.0.0.1', port: relay.port, sslMode: 'disabled', pipelining })
    try {
      await fn(relay, conn)
    } finally {
      relay.release()
      conn.close()
    }
  } finally {
    await relay.close()
  }
}

test('20 concurrent queries are all written before the first reply arrives', async () => {
  await withRelay(async (relay, conn) => {
    relay.hold()
    const all = Array.from({ length: 20 }, (_, i) => conn.query<{ n: number }>('SELECT %s AS n', [i]))
    assert.equal(await relay.commandsWritten(20), 20)
    assert.ok(relay.packets.slice(-20).every((p) => p.seq === 0 && p.first === COM_QUERY))
    relay.release()
    const rows = await Promise.all(all)
    assert.deepEqual(
      rows.map((r) => r[0]!.n),
      Array.from({ length: 20 }, (_, i) => i),
    )
  })
})

test('pipelining: false writes one command at a time', async () => {
  await withRelay(async (relay, conn) => {
    relay.hold()
    const all = Array.from({ length: 5 }, (_, i) => conn.query<{ n: number }>('SELECT %s AS n', [i]))
    // Give the client every chance to write more than it should.
    assert.equal(await relay.commandsWritten(2, 300), 1)
    relay.release()
    assert.deepEqual(
      (await Promise.all(all)).map((r) => r[0]!.n),
      [0, 1, 2, 3, 4],
    )
  }, false)
})

test('a cancellable statement is written alone: nothing before it is unanswered, nothing after it is written', async () => {
  await withRelay(async (relay, conn) => {
    relay.hold()
    const first = conn.query('SELECT 1 AS a')
    const guarded = conn.query('SELECT 2 AS b', undefined, { timeoutMs: 5000 })
    const after = conn.query('SELECT 3 AS c')
    assert.equal(await relay.commandsWritten(2, 300), 1)
    relay.release()
    assert.deepEqual(await first, [{ a: 1 }])
    assert.deepEqual(await guarded, [{ b: 2 }])
    assert.deepEqual(await after, [{ c: 3 }])
  })
})

const tricky = ["\\' OR 1=1 -- ", 'a\\b', "it's", 'back\\\\slash', '"dq"', 'nul\0byte', 'cr\r\nlf', '\x1a']

for (const [from, to] of [
  ['', 'NO_BACKSLASH_ESCAPES'],
  ['NO_BACKSLASH_ESCAPES', ''],
] as const) {
  test(`values bound behind an unanswered SET sql_mode='${to}' still round-trip (from '${from}')`, async () => {
    await withConnection(async (conn) => {
      await conn.query('SET sql_mode = %s', [from])
      const set = conn.query('SET sql_mode = %s', [to])
      const reads = tricky.map((v) => conn.query<{ v: string }>('SELECT %s AS v', [v]))
      const injected = conn.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS x) t WHERE %s = 'x'",
        ["\\' OR 1=1 -- "],
      )
      await set
      assert.deepEqual(
        (await Promise.all(reads)).map((r) => r[0]!.v),
        tricky,
      )
      assert.deepEqual(await injected, [{ n: 0 }])
    })
  })
}

test("regression: executeMany behind an unanswered SET sql_mode='NO_BACKSLASH_ESCAPES' stores every value exactly", async () => {
  await withConnection(async (conn) => {
    const t = tableName('pipe_nbe')
    await conn.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, s VARCHAR(64))`)
    try {
      await conn.query("SET sql_mode = ''")
      const set = conn.query("SET sql_mode = 'NO_BACKSLASH_ESCAPES'")
      const cur = conn.cursor()
      const rows = tricky.map((s, i) => [i, s])
      const many = cur.executeMany(`INSERT INTO ${t} (id, s) VALUES (%s, %s)`, rows)
      await set
      assert.equal(await many, tricky.length)
      const back = await conn.query<{ s: string }>(`SELECT s FROM ${t} ORDER BY id`)
      assert.deepEqual(
        back.map((r) => r.s),
        tricky,
      )
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('executeMany pipelines its batches and returns the summed count and the first insert id', async () => {
  await withConnection(async (conn) => {
    const t = tableName('pipe_many')
    await conn.query(`CREATE TABLE ${t} (id INT AUTO_INCREMENT PRIMARY KEY, s TEXT)`)
    try {
      const cur = conn.cursor()
      // ~2.5 MB: three statements of at most 1,024,000 bytes.
      const rows = Array.from({ length: 5000 }, (_, i) => [`${i}:${'x'.repeat(500)}`])
      assert.equal(await cur.executeMany(`INSERT INTO ${t} (s) VALUES (%s)`, rows), 5000)
      assert.equal(cur.lastRowId, 1)
      assert.deepEqual(await conn.query(`SELECT COUNT(*) AS n, MAX(id) AS m FROM ${t}`), [
        { n: 5000, m: 5000 },
      ])
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
})

test('LOAD DATA LOCAL followed by concurrent statements: nothing is written behind the file request', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aiomysql-pipe-'))
  const file = join(dir, 'rows.tsv')
  await writeFile(file, Array.from({ length: 20_000 }, (_, i) => `${i}\tname${i}`).join('\n'))
  try {
    await withConnection(
      async (conn) => {
        const t = tableName('pipe_infile')
        await conn.query(`CREATE TABLE ${t} (id INT, name VARCHAR(20))`)
        try {
          const load = conn.query(`LOAD DATA LOCAL INFILE %s INTO TABLE ${t}`, [file])
          const after = Array.from({ length: 10 }, (_, i) =>
            conn.query<{ n: number; i: number }>(`SELECT COUNT(*) AS n, %s AS i FROM ${t}`, [i]),
          )
          await load
          const counts = await Promise.all(after)
          assert.deepEqual(
            counts.map((r) => [r[0]!.n, r[0]!.i]),
            Array.from({ length: 10 }, (_, i) => [20_000, i]),
          )
        } finally {
          await conn.query(`DROP TABLE ${t}`)
        }
      },
      { localInfile: true },
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('500 rounds of concurrent statements with random aborts: no innocent statement is killed', async () => {
  await withConnection(async (conn) => {
    let seed = 42
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    let aborted = 0
    for (let round = 0; round < 500; round++) {
      const n = 2 + Math.floor(random() * 4)
      const calls = Array.from({ length: n }, (_, k) => {
        const marker = round * 10 + k
        const cancel = random() < 0.4
        const ac = new AbortController()
        const sleep = random() < 0.3 ? 0.002 : 0
        const p = conn.query<{ m: number }>(
          'SELECT %s AS m, SLEEP(%s) AS s',
          [marker, sleep],
          cancel ? { signal: ac.signal } : undefined,
        )
        if (cancel) {
          const delay = Math.floor(random() * 3)
          if (delay === 0) queueMicrotask(() => ac.abort())
          else setTimeout(() => ac.abort(), delay)
        }
        return { p, marker, cancel }
      })
      const settled = await Promise.allSettled(calls.map((c) => c.p))
      settled.forEach((s, k) => {
        const c = calls[k]!
        if (s.status === 'fulfilled') {
          assert.equal(s.value[0]!.m, c.marker, `round ${round}: a result carries another statement's marker`)
        } else {
          assert.ok(c.cancel, `round ${round}: an innocent statement failed: ${String(s.reason)}`)
          assert.equal((s.reason as MySQLError).code, 'ABORT_ERR')
          aborted++
        }
      })
    }
    assert.ok(aborted > 50, `only ${aborted} aborts happened`)
    assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
  })
})

test('a connection killed with 20 commands written fails all 20 (and the queued one) without a hang', async () => {
  const conn = await open()
  const admin = await open()
  try {
    const calls = [conn.query('SELECT SLEEP(30)')]
    for (let i = 0; i < 19; i++) calls.push(conn.query('SELECT %s AS n', [i]))
    // Cancellable, so it waits for every earlier reply: still queued when the connection dies.
    const queued = conn.query('SELECT 99', undefined, { timeoutMs: 60_000 }).then(
      () => null,
      (e: unknown) => e,
    )
    const results = Promise.allSettled(calls)
    for (let i = 0; i < 100; i++) {
      const rows = await admin.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = %s AND INFO LIKE 'SELECT SLEEP%%'",
        [conn.threadId()],
      )
      if (rows[0]!.n > 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    await admin.query('KILL %s', [conn.threadId()])
    const settled = await results
    assert.equal(settled.length, 20)
    for (const s of settled) {
      assert.equal(s.status, 'rejected')
      const e = (s as PromiseRejectedResult).reason as MySQLError
      assert.ok(e instanceof MySQLError && e.fatal, String(e))
    }
    for (const s of settled.slice(1))
      assert.equal(((s as PromiseRejectedResult).reason as MySQLError).sentToServer, true)
    const e = await queued
    assert.ok(e instanceof OperationalError && e.fatal && e.sentToServer === false, String(e))
    assert.equal(conn.closed, true)
  } finally {
    conn.close()
    await admin.ensureClosed()
  }
})

test('a failed statement fails alone; statements written after it run as they would sequentially', async () => {
  await withConnection(async (conn) => {
    const a = conn.query('SELECT 1 AS a')
    const bad = conn.query('SELECT * FROM no_such_table_pipelined')
    const c = conn.cursor(DictCursor)
    const after = c.execute('SELECT 3 AS c')
    assert.deepEqual(await a, [{ a: 1 }])
    await assert.rejects(bad, (e: unknown) => (e as MySQLError).errno === 1146)
    assert.equal(await after, 1)
    assert.deepEqual(await c.fetchAll(), [{ c: 3 }])
  })
})

test('pool.query with autocommit off writes its statement and COMMIT in one flight, and the write is kept', async () => {
  const relay = await startHoldingRelay(target())
  const pool = await createPool(serverUrl, {
    host: '127.0.0.1',
    port: relay.port,
    sslMode: 'disabled',
    minSize: 1,
    maxSize: 1,
  })
  const t = tableName('pipe_pool')
  try {
    await pool.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`)
    relay.hold()
    const insert = pool.query(`INSERT INTO ${t} VALUES (%s)`, [1])
    assert.equal(await relay.commandsWritten(2), 2, 'statement and COMMIT written before any reply')
    relay.release()
    await insert
    await withConnection(async (conn) => {
      assert.deepEqual(await conn.query(`SELECT id FROM ${t}`), [{ id: 1 }])
    })
  } finally {
    relay.release()
    await pool.query(`DROP TABLE ${t}`).catch(() => {})
    pool.close()
    await pool.waitClosed()
    await relay.close()
  }
})

test('pool.query calls share busy connections: 200 concurrent calls over maxSize 2 each get their own rows', async () => {
  const pool = await createPool(serverUrl, { minSize: 2, maxSize: 2, pipelineDepth: 4 })
  try {
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => pool.query<{ n: number }>('SELECT %s AS n', [i])),
    )
    assert.deepEqual(
      all.map((r) => r[0]!.n),
      Array.from({ length: 200 }, (_, i) => i),
    )
    assert.equal(pool.size, 2)
  } finally {
    pool.close()
    await pool.waitClosed()
  }
})
