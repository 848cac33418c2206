// aiomysql/sa without a server: RowProxy access rules (and the names that must stay data), the
// ResultProxy closing rules, how execute() reads its statement and parameters, and the error tree.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { MySQLError, sql } from '../../src/index.ts'
import {
  ArgumentError,
  InvalidRequestError,
  NoSuchColumnError,
  ResourceClosedError,
  ResultProxy,
  SAError,
  type RowProxy,
} from '../../src/sa/index.ts'
import { makeRow, RowLayout } from '../../src/sa/row.ts'
import { planStatement } from '../../src/sa/statement.ts'

function row<T extends object = Record<string, unknown>>(keys: string[], values: unknown[]): RowProxy<T> {
  return makeRow<T>(new RowLayout(keys), values)
}

function result(keys: string[] | null, rows: unknown[][] = []): ResultProxy {
  return new ResultProxy({ keys, rows, rowCount: keys === null ? 1 : rows.length, lastRowId: null })
}

test('RowProxy: by position, by name, as a property, with get(), and as a tuple', () => {
  const r = row<{ id: number; name: string }>(['id', 'name'], [1, 'first'])
  const id: number = r.id // typed by the row type
  assert.equal(id, 1)
  assert.equal(r.name, 'first')
  assert.equal(r['name'], 'first')
  assert.equal(r[0], 1)
  assert.equal(r[1], 'first')
  assert.equal(r.get('name'), 'first')
  assert.equal(r.get(0), 1)
  assert.deepEqual(r.asTuple(), [1, 'first'])
  assert.deepEqual(r.keys(), ['id', 'name'])
  assert.equal(r.length, 2)
  assert.deepEqual([...r], [1, 'first'])
  const [a, b] = r
  assert.deepEqual([a, b], [1, 'first'])
  assert.ok('name' in r && 0 in r && !('nope' in r) && !(2 in r))
  assert.ok(r.has('id') && r.has(1) && !r.has('x') && !r.has(2))
})

test('RowProxy: Object.keys, spread and JSON.stringify see the columns', () => {
  const r = row(['id', 'name'], [1, 'first'])
  assert.deepEqual(Object.keys(r), ['id', 'name'])
  assert.deepEqual({ ...r }, { id: 1, name: 'first' })
  assert.equal(JSON.stringify(r), '{"id":1,"name":"first"}')
  assert.deepEqual(Object.entries(r), [
    ['id', 1],
    ['name', 'first'],
  ])
  assert.match(inspect(r), /RowProxy \{ id: 1, name: 'first' \}/)
})

test('RowProxy: an unknown name or position is NoSuchColumnError, a shared name InvalidRequestError', () => {
  const r = row(['id', 'name', 'name'], [1, 'a', 'b'])
  assert.throws(() => r['nope'], NoSuchColumnError)
  assert.throws(() => r.get('nope'), NoSuchColumnError)
  assert.throws(() => r[3], NoSuchColumnError)
  assert.throws(() => r.get(-1), NoSuchColumnError)
  assert.throws(
    () => r['name'],
    (e) => e instanceof InvalidRequestError && !(e instanceof NoSuchColumnError),
  )
  assert.throws(() => r.get('name'), /Ambiguous column name 'name'/)
  // Positions still reach both columns, and the tuple and key list keep the duplicates.
  assert.deepEqual([r[1], r[2]], ['a', 'b'])
  assert.deepEqual(r.keys(), ['id', 'name', 'name'])
  assert.deepEqual(r.asTuple(), [1, 'a', 'b'])
  assert.match(inspect(r), /RowProxy \[ 1, 'a', 'b' \]/)
})

test('RowProxy: columns named __proto__, constructor, then, toString are data; the row is unchanged', async () => {
  const r = row(['__proto__', 'constructor', 'then', 'toString', 'hasOwnProperty'], [1, 2, 3, 4, 5])
  assert.equal(r['__proto__'], 1)
  assert.equal(r['constructor'], 2)
  assert.equal(r['then'], 3)
  // (Reflect.get: TypeScript would type these two as Object's methods.)
  assert.equal(Reflect.get(r, 'toString') as unknown, 4)
  assert.equal(Reflect.get(r, 'hasOwnProperty') as unknown, 5)
  const proto: unknown = Object.getPrototypeOf(r)
  assert.notEqual(proto, null)
  assert.equal(typeof proto, 'object')
  assert.deepEqual(r.keys(), ['__proto__', 'constructor', 'then', 'toString', 'hasOwnProperty'])
  // A `then` column that is not a function does not make the row a thenable.
  assert.equal(await Promise.resolve(r), r)
  // Two rows of different results share the prototype: server names never reach it.
  assert.equal(Object.getPrototypeOf(row(['x'], [1])), proto)
  assert.equal(Object.hasOwn(Object.prototype, 'then'), false)
})

test('RowProxy: its own methods win over columns of the same name; get() reaches those columns', () => {
  const r = row(['keys', 'length', 'get', 'has', 'asTuple'], ['k', 'l', 'g', 'h', 't'])
  assert.deepEqual(r.keys(), ['keys', 'length', 'get', 'has', 'asTuple'])
  assert.equal(r.length, 5)
  assert.equal(r.get('keys'), 'k')
  assert.equal(r.get('length'), 'l')
  assert.deepEqual(r.asTuple(), ['k', 'l', 'g', 'h', 't'])
})

test('RowProxy: without a column of that name, Object.prototype members still work', async () => {
  const r = row(['id'], [7])
  assert.equal(typeof r['constructor'], 'function')
  assert.equal(Object.prototype.toString.call(r), '[object Object]')
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the default conversion is the point
  assert.equal(String(r), '[object Object]')
  assert.equal(await Promise.resolve(r), r) // `then` probe answers undefined
  assert.equal(Object.hasOwn(r, 'id'), true)
})

test('RowProxy: a name that looks like a position is read by position; get(name) reads the name', () => {
  const r = row(['1', 'x'], ['one', 'ex'])
  assert.equal(r[1], 'ex')
  assert.equal(r.get('1'), 'one')
})

test('RowProxy: rows are read-only', () => {
  const r = row(['id'], [1]) as unknown as Record<string, unknown>
  assert.throws(() => (r['id'] = 2), TypeError)
  assert.throws(() => (r['other'] = 2), TypeError)
  assert.throws(() => delete r['id'], TypeError)
  assert.throws(() => Object.setPrototypeOf(r, null), TypeError)
  assert.throws(() => Object.defineProperty(r, 'x', { value: 1 }), TypeError)
  assert.equal(r['id'], 1)
})

test('ResultProxy: fetchOne closes when exhausted; fetching from a closed proxy is ResourceClosedError', async () => {
  const res = result(['id'], [[1], [2]])
  assert.equal(res.returnsRows, true)
  assert.deepEqual(res.keys(), ['id'])
  assert.equal((await res.fetchOne())?.[0], 1)
  assert.equal((await res.fetchOne())?.[0], 2)
  assert.equal(res.closed, false)
  assert.equal(await res.fetchOne(), null)
  assert.equal(res.closed, true)
  await assert.rejects(res.fetchOne(), (e) => e instanceof ResourceClosedError && /is closed/.test(e.message))
  assert.deepEqual(res.keys(), ['id']) // the layout stays readable
})

test('ResultProxy: fetchMany (default 1), fetchAll, first and scalar', async () => {
  const res = result(['id'], [[1], [2], [3]])
  assert.equal((await res.fetchMany()).length, 1)
  assert.equal((await res.fetchMany(100)).length, 2)
  assert.equal(res.closed, false)
  assert.deepEqual(await res.fetchMany(5), [])
  assert.equal(res.closed, true)

  const all = result(['id'], [[1], [2]])
  assert.deepEqual(
    (await all.fetchAll()).map((r) => r[0]),
    [1, 2],
  )
  assert.equal(all.closed, true)
  await assert.rejects(all.fetchAll(), ResourceClosedError)

  const first = result(['id'], [[1], [2]])
  assert.equal((await first.first())?.[0], 1)
  assert.equal(first.closed, true)
  assert.equal(await result(['n'], [[42]]).scalar(), 42)
  assert.equal(await result(['n'], []).scalar(), null)
  await assert.rejects(result(['id']).fetchMany(-1), ArgumentError)
})

test('ResultProxy: a statement without rows is closed at once and says so', async () => {
  const res = result(null)
  assert.equal(res.returnsRows, false)
  assert.equal(res.closed, true)
  assert.deepEqual(res.keys(), [])
  await assert.rejects(res.fetchAll(), /does not return rows. It has been closed automatically/)
  await assert.rejects(res.first(), ResourceClosedError)
  await assert.rejects(res.scalar(), ResourceClosedError)
  res.close()
  res.close()
})

test('ResultProxy: for await yields every row and closes, also when left early', async () => {
  const res = result(['id'], [[1], [2], [3]])
  const seen: unknown[] = []
  for await (const r of res) seen.push(r[0])
  assert.deepEqual(seen, [1, 2, 3])
  assert.equal(res.closed, true)

  const early = result(['id'], [[1], [2], [3]])
  for await (const r of early) {
    assert.equal(r[0], 1)
    break
  }
  assert.equal(early.closed, true)
})

test('planStatement: string parameters follow aiomysql _distill_params', () => {
  assert.deepEqual(planStatement('SELECT 1', undefined), { kind: 'one', query: 'SELECT 1', args: undefined })
  assert.deepEqual(planStatement("LIKE '%x%'", []), { kind: 'one', query: "LIKE '%x%'", args: undefined })
  assert.deepEqual(planStatement('%s, %s', [1, 'a']), { kind: 'one', query: '%s, %s', args: [1, 'a'] })
  assert.deepEqual(planStatement('%(a)s', { a: 1 }), { kind: 'one', query: '%(a)s', args: { a: 1 } })
  assert.deepEqual(planStatement('%s', 5), { kind: 'one', query: '%s', args: 5 })
  assert.deepEqual(planStatement('%s', null), { kind: 'one', query: '%s', args: null })
  const rows = [
    [1, 'a'],
    [2, 'b'],
  ]
  assert.deepEqual(planStatement('(%s, %s)', rows), { kind: 'many', query: '(%s, %s)', rows })
  const dicts = [{ a: 1 }, { a: 2 }]
  assert.deepEqual(planStatement('(%(a)s)', dicts), { kind: 'many', query: '(%(a)s)', rows: dicts })
  // Mixed items are positional values (a list for IN beside a scalar).
  assert.deepEqual(planStatement('%s %s', [[1, 2], 3]), { kind: 'one', query: '%s %s', args: [[1, 2], 3] })
})

test('planStatement: fragments, builders and compiled queries carry their own values', () => {
  const fragment = sql`SELECT ${1}`
  assert.deepEqual(planStatement(fragment, undefined), { kind: 'one', query: fragment, args: undefined })
  assert.throws(() => planStatement(fragment, [1]), ArgumentError)

  const compiled = { sql: 'SELECT ?', parameters: [1] }
  assert.deepEqual(planStatement(compiled, undefined), { kind: 'compiled', compiled })
  assert.throws(() => planStatement(compiled, [1]), ArgumentError)

  let calls = 0
  const builder = {
    compile: () => {
      calls++
      return compiled
    },
  }
  assert.deepEqual(planStatement(builder, undefined), { kind: 'compiled', compiled })
  assert.equal(calls, 1)
  assert.throws(() => planStatement(builder, {}), ArgumentError)
  assert.throws(() => planStatement({ compile: () => 'SELECT 1' } as never, undefined), /did not return/)

  for (const bad of [42, null, {}, { sql: 'x' }, { sql: 1, parameters: [] }, ['SELECT 1']]) {
    assert.throws(() => planStatement(bad as never, undefined), ArgumentError)
  }
})

test('sa errors: one tree under MySQLError, as aiomysql.sa.exc', () => {
  const e = new NoSuchColumnError('x')
  assert.ok(e instanceof InvalidRequestError && e instanceof ArgumentError && e instanceof SAError)
  assert.ok(e instanceof MySQLError && e instanceof Error)
  assert.ok(new ResourceClosedError('x') instanceof InvalidRequestError)
  assert.equal(e.name, 'NoSuchColumnError')
  assert.equal(e.code, 'SA_NO_SUCH_COLUMN')
  assert.equal(new ResourceClosedError('x').code, 'SA_RESOURCE_CLOSED')
})
