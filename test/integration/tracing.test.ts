// Tracing channels (SPEC §13): per statement and per path, one start and one asyncEnd in order, the
// context fields (query with placeholders, values, database, server, connectionId), error on
// failure, nothing after unsubscribing; a subscriber that throws does not break the statement.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import path from 'node:path'
import { test } from 'node:test'
import { Kysely, sql as ksql } from 'kysely'
import { connect, createPool, DictCursor, sql, SSCursor } from '../../src/index.ts'
import { AiomysqlDialect } from '../../src/kysely/index.ts'
import { createEngine } from '../../src/sa/index.ts'
import { serverUrl } from '../support/env.ts'

interface Event {
  readonly channel: string
  readonly kind: 'start' | 'asyncEnd'
  readonly context: Record<string, unknown>
}

/** Record start and asyncEnd of the named channels while `fn` runs; unsubscribes afterwards. */
async function recording(names: string[], fn: (events: Event[]) => Promise<void>): Promise<Event[]> {
  const events: Event[] = []
  const handlers = names.map((name) => {
    const h = {
      start: (context: object) =>
        events.push({ channel: name, kind: 'start', context: context as Record<string, unknown> }),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (context: object) =>
        events.push({ channel: name, kind: 'asyncEnd', context: context as Record<string, unknown> }),
      error: () => {},
    }
    diagnostics.tracingChannel(name).subscribe(h)
    return [name, h] as const
  })
  try {
    await fn(events)
  } finally {
    for (const [name, h] of handlers) diagnostics.tracingChannel(name).unsubscribe(h)
  }
  return events
}

const SECRET = 'hunter2-secret-value'
const u = new URL(serverUrl)

test('every path publishes one start and one asyncEnd per statement, with the context fields', async () => {
  const conn = await connect(serverUrl)
  try {
    const id = conn.threadId()
    const events = await recording(['aiomysql:query', 'aiomysql:execute'], async () => {
      await conn.query('SELECT %s AS s', [SECRET])
      const cur = conn.cursor(DictCursor)
      await cur.execute('SELECT %(v)s AS v', { v: 1 })
      await cur.execute(sql`SELECT ${2} AS two`)
      await cur.execute({ sql: 'SELECT ? AS three', parameters: [3] })
      const ss = conn.cursor(SSCursor)
      await ss.execute('SELECT seq FROM seq_1_to_5 WHERE seq > %s', [1])
      for await (const _ of ss) void _
      await cur.execute('SELECT %s AS p', [SECRET], { prepare: true })
      await cur.executeMany('SELECT %s', [[1], [2]])
      await assert.rejects(conn.query('SELEC broken'))
    })
    const pairs = new Map<object, Event[]>()
    for (const e of events) pairs.set(e.context, [...(pairs.get(e.context) ?? []), e])
    assert.equal(pairs.size, 8, 'one context per statement')
    for (const [, evs] of pairs) {
      assert.deepEqual(
        evs.map((e) => e.kind),
        ['start', 'asyncEnd'],
      )
    }
    const contexts = [...pairs.keys()] as Record<string, unknown>[]
    assert.deepEqual(
      contexts.map((c) => c['query']),
      [
        'SELECT %s AS s',
        'SELECT %(v)s AS v',
        'SELECT ? AS two',
        'SELECT ? AS three',
        'SELECT seq FROM seq_1_to_5 WHERE seq > %s',
        'SELECT %s AS p',
        'SELECT %s',
        'SELEC broken',
      ],
    )
    assert.deepEqual(contexts[0]!['values'], [SECRET])
    assert.deepEqual(contexts[2]!['values'], [2])
    assert.deepEqual(contexts[6]!['values'], [[1], [2]])
    for (const c of contexts) {
      assert.equal(c['connectionId'], id)
      assert.equal(c['serverAddress'], u.hostname)
      assert.equal(c['serverPort'], Number(u.port || 3306))
      assert.equal(c['database'], u.pathname.slice(1))
      assert.ok(!String(c['query']).includes(SECRET))
    }
    assert.deepEqual(
      events.filter((e) => e.kind === 'start').map((e) => e.channel),
      [...Array(5).fill('aiomysql:query'), 'aiomysql:execute', 'aiomysql:query', 'aiomysql:query'],
    )
    assert.deepEqual(contexts[0]!['result'], { rowCount: 1, insertId: null })
    assert.deepEqual(contexts[4]!['result'], { rowCount: 4, insertId: null })
    assert.equal((contexts[7]!['error'] as { code: string }).code, 'ER_PARSE_ERROR')
    // Unsubscribed: nothing more is published.
    const before = events.length
    await conn.query('SELECT 1')
    assert.equal(events.length, before)
  } finally {
    await conn.ensureClosed()
  }
})

test('pool.query, pool acquire, connect, aiomysql/sa and aiomysql/kysely publish too', async () => {
  const events = await recording(
    ['aiomysql:query', 'aiomysql:connect', 'aiomysql:pool:acquire'],
    async () => {
      const pool = await createPool(serverUrl, { minSize: 1, maxSize: 1, autocommit: true })
      try {
        await pool.query('SELECT %s AS pooled', [1])
        const db = new Kysely<Record<string, never>>({ dialect: new AiomysqlDialect({ pool }) })
        await ksql`SELECT ${'kysely'} AS k`.execute(db)
      } finally {
        pool.close()
        await pool.waitClosed()
      }
      const engine = await createEngine(serverUrl, { minSize: 1, maxSize: 1 })
      try {
        const conn = await engine.acquire()
        await conn.scalar('SELECT %s', ['sa'])
        await conn.close()
      } finally {
        engine.close()
        await engine.waitClosed()
      }
    },
  )
  const starts = events.filter((e) => e.kind === 'start')
  const queries = starts.filter((e) => e.channel === 'aiomysql:query').map((e) => e.context['query'])
  assert.ok(queries.includes('SELECT %s AS pooled'))
  assert.ok(queries.includes('SELECT ? AS k'), String(queries))
  assert.ok(queries.includes('SELECT %s'))
  const connects = events.filter((e) => e.channel === 'aiomysql:connect' && e.kind === 'asyncEnd')
  assert.ok(connects.length >= 2)
  for (const c of connects) {
    assert.equal(c.context['user'], decodeURIComponent(u.username))
    assert.equal(typeof c.context['connectionId'], 'number')
    assert.ok(!JSON.stringify(c.context).includes('password'))
  }
  const acquires = events.filter((e) => e.channel === 'aiomysql:pool:acquire' && e.kind === 'asyncEnd')
  assert.ok(acquires.length >= 2)
  assert.ok(acquires.every((a) => typeof a.context['connectionId'] === 'number'))
})

test('a subscriber that throws does not break the statement', async () => {
  const script = `
    import diagnostics from 'node:diagnostics_channel'
    import { connect } from ${JSON.stringify(path.join(import.meta.dirname, '../../src/index.ts'))}
    let reported = 0
    process.on('uncaughtException', () => reported++)
    diagnostics.tracingChannel('aiomysql:query').subscribe({
      start() { throw new Error('subscriber bug') }, end() {}, asyncStart() {},
      asyncEnd() { throw new Error('subscriber bug') }, error() {},
    })
    const conn = await connect(${JSON.stringify(serverUrl)})
    const rows = await conn.query('SELECT 41 + 1 AS n')
    await conn.ensureClosed()
    await new Promise((r) => setTimeout(r, 50))
    console.log(JSON.stringify({ rows, reported }))
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 0, out)
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { rows: unknown; reported: number }
  assert.deepEqual(result.rows, [{ n: 42 }])
  assert.ok(result.reported >= 1, 'the subscriber error surfaced as Node reports it, not in the statement')
})
