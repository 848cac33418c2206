import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BufferedQuery } from '../../../src/buffered-result.ts'
import { newSession, type Outbox, type Session } from '../../../src/commands/command.ts'
import { QueryCommand, textRequest } from '../../../src/commands/query.ts'
import { Capability, ColumnType, ServerStatus } from '../../../src/protocol/constants.ts'
import { MalformedPacket } from '../../../src/protocol/malformed.ts'
import { resolveTypeOptions } from '../../../src/types/options.ts'
import { columnCount, columnDef, eof, err, ok, textRow } from '../../support/packets.ts'

function session(deprecateEof: boolean): Session {
  const s = newSession(resolveTypeOptions({ timezone: 'Z' }), 1 << 24)
  s.capabilities = Capability.CLIENT_PROTOCOL_41 | (deprecateEof ? Capability.CLIENT_DEPRECATE_EOF : 0)
  s.serverVersion = 'test'
  s.isMariaDb = true
  s.connectionId = 1
  return s
}

function outbox(sent: Buffer[]): Outbox {
  return {
    send: (b) => sent.push(Buffer.from(b)),
    startTls: () => {},
    pause: () => {},
    resume: () => {},
    drained: () => Promise.resolve(),
  }
}

function run(deprecateEof: boolean, replies: Buffer[], mode: 'array' | 'object' = 'array') {
  const s = session(deprecateEof)
  const sink = new BufferedQuery(mode)
  const sent: Buffer[] = []
  const cmd = new QueryCommand(s, textRequest('SELECT 1'), sink)
  cmd.start(outbox(sent))
  const done = replies.map((r) => cmd.handle(r))
  return { sink, sent, done, s }
}

const resultSet = (deprecateEof: boolean, last: Buffer): Buffer[] => [
  columnCount(2),
  columnDef('a', ColumnType.MYSQL_TYPE_LONG),
  columnDef('b'),
  ...(deprecateEof ? [] : [eof()]),
  textRow(['1', 'x']),
  textRow([null, 'y']),
  last,
]

for (const deprecateEof of [true, false]) {
  const label = deprecateEof ? 'with CLIENT_DEPRECATE_EOF' : 'with EOF packets'
  const terminator = (status: number): Buffer => (deprecateEof ? ok({ header: 0xfe, status }) : eof(status))

  test(`query ${label}: COM_QUERY is written, rows decoded, done on the terminator`, async () => {
    const { sink, sent, done } = run(deprecateEof, resultSet(deprecateEof, terminator(2)))
    assert.equal(sent[0]!.subarray(4).toString('latin1'), '\x03SELECT 1')
    assert.deepEqual(
      done.slice(0, -1).every((d) => !d),
      true,
    )
    assert.equal(done.at(-1), true)
    const r = await sink.promise
    assert.deepEqual(r.sets[0]!.rows, [
      [1, 'x'],
      [null, 'y'],
    ])
    assert.equal(r.sets.length, 1)
  })

  test(`query ${label}: dict rows, multiple results, then an error in a later statement`, async () => {
    const more = ServerStatus.SERVER_MORE_RESULTS_EXISTS | 2
    const { sink, done } = run(
      deprecateEof,
      [
        ...resultSet(deprecateEof, terminator(more)),
        ok({ affectedRows: 3, status: more }),
        err(1064, '42000', 'bad'),
      ],
      'object',
    )
    assert.equal(done.at(-1), true)
    const r = await sink.promise
    assert.equal(r.sets.length, 2)
    assert.deepEqual(r.sets[0]!.rows, [
      { a: 1, b: 'x' },
      { a: null, b: 'y' },
    ])
    assert.equal(r.sets[1]!.summary.affectedRows, 3)
    assert.equal(r.laterError?.errno, 1064)
  })

  test(`query ${label}: ERR in the middle of rows ends the command with that error`, async () => {
    const replies = resultSet(deprecateEof, err(1317, '70100', 'Query execution was interrupted'))
    const { sink, done } = run(deprecateEof, replies)
    assert.equal(done.at(-1), true)
    await assert.rejects(sink.promise, (e: { errno: number; fatal: boolean }) => e.errno === 1317 && !e.fatal)
  })
}

test('query: a column count of zero or garbage is malformed', () => {
  const s = session(true)
  const cmd = new QueryCommand(s, textRequest('x'), new BufferedQuery('array'))
  cmd.start(outbox([]))
  assert.throws(() => cmd.handle(Buffer.from([0xfc, 0x00])), MalformedPacket)
})

test('query: status flags from the final OK update the session', async () => {
  const { s, sink } = run(true, [ok({ status: ServerStatus.SERVER_STATUS_NO_BACKSLASH_ESCAPES | 1 })])
  await sink.promise
  assert.equal(s.status & ServerStatus.SERVER_STATUS_NO_BACKSLASH_ESCAPES, 512)
})

test('query: LOCAL INFILE requests are refused with an empty packet and a clear error', async () => {
  const s = session(true)
  const sink = new BufferedQuery('array')
  const sent: Buffer[] = []
  const cmd = new QueryCommand(s, textRequest("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t"), sink)
  cmd.start(outbox(sent))
  assert.equal(cmd.handle(Buffer.concat([Buffer.from([0xfb]), Buffer.from('/etc/passwd')])), false)
  assert.equal(sent.length, 2)
  assert.equal(sent[1]!.length, 4) // header only: an empty payload
  assert.equal(cmd.handle(ok()), true)
  await assert.rejects(
    sink.promise,
    (e: { message: string; fatal: boolean }) => /LOAD DATA LOCAL INFILE refused/.test(e.message) && !e.fatal,
  )
})

test('regression: the OK info text has no stray length byte when MariaDB length-prefixes it', async () => {
  const { parseOk } = await import('../../../src/protocol/responses.ts')
  const info = 'Rows matched: 1  Changed: 1  Warnings: 0'
  const caps = Capability.CLIENT_PROTOCOL_41
  const prefixed = Buffer.concat([ok({ affectedRows: 1 }), Buffer.from([info.length]), Buffer.from(info)])
  assert.equal(parseOk(prefixed, caps).info, info)
  const bare = Buffer.concat([ok({ affectedRows: 1 }), Buffer.from(info)])
  assert.equal(parseOk(bare, caps).info, info)
})

test('results on one connection: columns shared with the last result, in part or whole, decode right', async () => {
  // The reader reuses the last result's column and decoder arrays while every column matches, and
  // builds its own from the first that differs: each case below follows another on one session.
  const s = session(true)
  const terminator = ok({ header: 0xfe, status: 2 })
  const runOn = async (defs: Buffer[], cells: (string | null)[]) => {
    const sink = new BufferedQuery('array')
    const cmd = new QueryCommand(s, textRequest('SELECT'), sink)
    cmd.start(outbox([]))
    for (const r of [columnCount(defs.length), ...defs, textRow(cells), terminator]) cmd.handle(r)
    const set = (await sink.promise).sets[0]!
    return { columns: set.columns!, row: set.rows[0] }
  }
  const intA = columnDef('a', ColumnType.MYSQL_TYPE_LONG)
  const strB = columnDef('b')
  const intC = columnDef('c', ColumnType.MYSQL_TYPE_LONG)
  const first = await runOn([intA, strB], ['1', '2'])
  assert.deepEqual(first.row, [1, '2'])
  const again = await runOn([intA, strB], ['3', '4'])
  assert.equal(again.columns, first.columns, 'the same statement again: the same column array')
  assert.deepEqual(again.row, [3, '4'])
  const lastDiffers = await runOn([intA, intC], ['5', '6'])
  assert.deepEqual(lastDiffers.row, [5, 6], 'the second column is an integer now')
  assert.deepEqual(
    lastDiffers.columns.map((c) => c.name),
    ['a', 'c'],
  )
  const back = await runOn([intA, strB], ['7', '8'])
  assert.deepEqual(back.row, [7, '8'], 'and a string again')
  const firstDiffers = await runOn([strB, strB], ['9', '10'])
  assert.deepEqual(firstDiffers.row, ['9', '10'])
  const fewer = await runOn([strB], ['11'])
  assert.deepEqual(fewer.row, ['11'])
  const more = await runOn([strB, strB, intC], ['12', '13', '14'])
  assert.deepEqual(more.row, ['12', '13', 14])
  assert.deepEqual(
    more.columns.map((c) => c.name),
    ['b', 'b', 'c'],
  )
})
