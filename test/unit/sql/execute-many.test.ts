// executeMany rewriting (src/sql/execute-many.ts): which templates take the multi-row fast path, how
// they split into prefix / row template / suffix, and how rows are packed under the byte limit.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ProgrammingError } from '../../../src/errors.ts'
import type { EscapeContext } from '../../../src/sql/escape.ts'
import {
  type BulkInsertPlan,
  buildBulkStatements,
  MAX_STATEMENT_BYTES,
  parseBulkInsert,
} from '../../../src/sql/execute-many.ts'

const ctx: EscapeContext = { noBackslashEscapes: false, tzOffset: 0 }

function plan(q: string): BulkInsertPlan {
  const p = parseBulkInsert(q)
  assert.ok(p !== null, `expected a bulk plan for ${JSON.stringify(q)}`)
  return p
}

const build = (q: string, rows: unknown[]): string[] => buildBulkStatements(plan(q), rows, ctx)

describe('parseBulkInsert: accepted', () => {
  it('INSERT INTO t (a,b) VALUES (%s,%s)', () => {
    assert.deepEqual(parseBulkInsert('INSERT INTO t (a,b) VALUES (%s,%s)'), {
      prefix: 'INSERT INTO t (a,b) VALUES ',
      values: '(%s,%s)',
      suffix: '',
    })
    assert.deepEqual(
      build('INSERT INTO t (a,b) VALUES (%s,%s)', [
        [0, 'bob'],
        [1, 'jim'],
        [2, "o'k"],
      ]),
      ["INSERT INTO t (a,b) VALUES (0,'bob'),(1,'jim'),(2,'o\\'k')"],
    )
  })

  it('VALUES( with no space', () => {
    assert.deepEqual(parseBulkInsert('INSERT INTO tbl VALUES(%s, %s)'), {
      prefix: 'INSERT INTO tbl VALUES',
      values: '(%s, %s)',
      suffix: '',
    })
  })

  it('lower case, functions and literals in the row template', () => {
    const q = 'insert into t values (%s, NOW())'
    assert.deepEqual(plan(q), { prefix: 'insert into t values ', values: '(%s, NOW())', suffix: '' })
    assert.deepEqual(build(q, [1, 2]), ['insert into t values (1, NOW()),(2, NOW())'])
  })

  it('nested parentheses and quoted parens in the template', () => {
    const q = 'INSERT INTO t (a, b) VALUES (%s, CONCAT(%s, \')x(\', "("))'
    assert.equal(plan(q).values, '(%s, CONCAT(%s, \')x(\', "("))')
    assert.deepEqual(build(q, [[1, 'a']]), ["INSERT INTO t (a, b) VALUES (1, CONCAT('a', ')x(', \"(\"))"])
  })

  it('AS new ON DUPLICATE KEY UPDATE b = new.b', () => {
    const q = 'INSERT INTO t (a,b) VALUES (%s,%s) AS new ON DUPLICATE KEY UPDATE b = new.b'
    assert.deepEqual(plan(q), {
      prefix: 'INSERT INTO t (a,b) VALUES ',
      values: '(%s,%s)',
      suffix: ' AS new ON DUPLICATE KEY UPDATE b = new.b',
    })
    assert.deepEqual(
      build(q, [
        [1, 2],
        [3, 4],
      ]),
      ['INSERT INTO t (a,b) VALUES (1,2),(3,4) AS new ON DUPLICATE KEY UPDATE b = new.b'],
    )
  })

  it('AS new(a, b) ON DUPLICATE ...', () => {
    const q = 'INSERT INTO t (a,b) VALUES (%s,%s) AS new(x, y) ON DUPLICATE KEY UPDATE b = y'
    assert.equal(plan(q).suffix, ' AS new(x, y) ON DUPLICATE KEY UPDATE b = y')
    assert.equal(plan('INSERT INTO t VALUES (%s) AS `n` (`a`)').suffix, ' AS `n` (`a`)')
  })

  it('ON DUPLICATE KEY UPDATE b=VALUES(b)', () => {
    const q = 'INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE b=VALUES(b)'
    assert.deepEqual(plan(q), {
      prefix: 'INSERT INTO t (a, b) VALUES ',
      values: '(%s, %s)',
      suffix: ' ON DUPLICATE KEY UPDATE b=VALUES(b)',
    })
    assert.equal(
      plan('insert into t values (%s) on duplicate key update age = values(age)').suffix,
      ' on duplicate key update age = values(age)',
    )
  })

  it('a trailing ; and trailing whitespace are dropped', () => {
    assert.deepEqual(plan('INSERT INTO t (a) VALUES (%s);'), {
      prefix: 'INSERT INTO t (a) VALUES ',
      values: '(%s)',
      suffix: '',
    })
    assert.deepEqual(plan('  INSERT INTO t (a) VALUES (%s) ;  \n'), {
      prefix: '  INSERT INTO t (a) VALUES ',
      values: '(%s)',
      suffix: '',
    })
    assert.equal(
      plan('INSERT INTO t VALUES (%s) ON DUPLICATE KEY UPDATE a = 1 ;\n').suffix,
      ' ON DUPLICATE KEY UPDATE a = 1',
    )
  })

  it('REPLACE, INSERT IGNORE, no INTO, VALUE, modifiers, qualified and backticked names', () => {
    assert.equal(plan('REPLACE INTO t VALUES (%s)').prefix, 'REPLACE INTO t VALUES ')
    assert.equal(plan('INSERT IGNORE INTO t VALUES (%s)').prefix, 'INSERT IGNORE INTO t VALUES ')
    assert.equal(plan('insert t value (%s)').prefix, 'insert t value ')
    assert.equal(plan('INSERT LOW_PRIORITY IGNORE INTO db.t VALUES (%s)').values, '(%s)')
    assert.equal(plan('INSERT INTO `db`.`my table` (`a`) VALUES (%s)').values, '(%s)')
    assert.equal(plan('INSERT INTO t PARTITION (p0) (a) VALUES (%s)').values, '(%s)')
    // VALUE is not reserved, so it can be a table name.
    assert.equal(plan('INSERT INTO value VALUES (%s)').prefix, 'INSERT INTO value VALUES ')
  })

  it('leading comments are allowed', () => {
    assert.equal(plan('/* batch */ -- x\nINSERT INTO t VALUES (%s)').values, '(%s)')
  })

  it('dict rows with %(name)s', () => {
    const q = 'INSERT INTO t (a, b) VALUES (%(a)s, %(b)s)'
    assert.deepEqual(
      build(q, [
        { a: 1, b: 'x' },
        { b: 'y', a: 2, extra: 0 },
      ]),
      ["INSERT INTO t (a, b) VALUES (1, 'x'),(2, 'y')"],
    )
  })

  it('%% in backticked names becomes %', () => {
    const q = 'INSERT INTO `we%%ird` (`A%%`, b) VALUES (%s, %s)'
    assert.deepEqual(plan(q), {
      prefix: 'INSERT INTO `we%ird` (`A%`, b) VALUES ',
      values: '(%s, %s)',
      suffix: '',
    })
    assert.deepEqual(
      build(q, [
        [3, 4],
        [5, 6],
      ]),
      ['INSERT INTO `we%ird` (`A%`, b) VALUES (3, 4),(5, 6)'],
    )
    assert.equal(
      plan("INSERT INTO t VALUES (%s) ON DUPLICATE KEY UPDATE b = '5%%'").suffix,
      " ON DUPLICATE KEY UPDATE b = '5%'",
    )
  })

  it('multi-line templates with odd spacing', () => {
    const q = `
      INSERT   INTO
        bulkinsert (id, name,
        age, height)
      VALUES
        (%s,
         %s , %s,
         %s )
      ON  duplicate  update_me;`
    assert.equal(parseBulkInsert(q), null) // 'ON duplicate update_me' is not ON DUPLICATE KEY UPDATE
    const ok = q.replace('ON  duplicate  update_me;', 'ON DUPLICATE KEY UPDATE\n  age = values(age)\n;')
    const p = plan(ok)
    assert.equal(p.values, '(%s,\n         %s , %s,\n         %s )')
    assert.equal(p.suffix, '\n      ON DUPLICATE KEY UPDATE\n  age = values(age)')
    assert.deepEqual(
      buildBulkStatements(
        p,
        [
          [0, 'bob', 21, 123],
          [1, 'jim', 56, 45],
        ],
        ctx,
      ),
      [
        p.prefix +
          "(0,\n         'bob' , 21,\n         123 ),(1,\n         'jim' , 56,\n         45 )" +
          p.suffix,
      ],
    )
  })

  it('single scalar rows', () => {
    assert.deepEqual(build('INSERT INTO t (i) VALUES (%s)', [7, 8, 9]), [
      'INSERT INTO t (i) VALUES (7),(8),(9)',
    ])
  })
})

describe('parseBulkInsert: run once per row (null)', () => {
  const cases = [
    'SELECT * FROM t WHERE id = %s',
    'UPDATE t SET a = %s',
    'INSERT INTO t (a) SELECT %s',
    'INSERT INTO t SELECT * FROM u WHERE a = %s',
    'INSERT INTO t SET a = %s',
    'INSERT INTO t SET a = 1 ON DUPLICATE KEY UPDATE b = VALUES(b)',
    'INSERT INTO t VALUES (%s), (%s)',
    'INSERT INTO t VALUES (%s) ON DUPLICATE KEY UPDATE a = %s',
    'INSERT INTO t VALUES (%s) RETURNING id',
    'INSERT INTO t VALUES (%s); DELETE FROM t',
    'INSERT INTO t VALUES (%s) ON DUPLICATE KEY UPDATE a = 1; DELETE FROM t',
    'INSERT INTO t VALUES ROW(%s)',
    'INSERT INTO t VALUES (%s',
    "INSERT INTO t VALUES (%s, ')",
    "INSERT INTO t VALUES (%s, 'a\\'b')",
    'INSERT /*! IGNORE */ INTO t VALUES (%s)',
    'INSERT INTO t VALUES (%s) /* unterminated',
    'INSERT INTO t%s VALUES (%s)',
    'INSERT INTO t VALUES (%s) garbage',
    'WITH x AS (SELECT 1) INSERT INTO t VALUES (%s)',
    '',
  ]
  for (const q of cases) {
    it(JSON.stringify(q), () => assert.equal(parseBulkInsert(q), null))
  }
})

describe('buildBulkStatements', () => {
  it('no rows, no statements', () => {
    assert.deepEqual(build('INSERT INTO t VALUES (%s)', []), [])
  })

  it('splits at maxBytes, each statement within the limit', () => {
    const p = plan('INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE b = VALUES(b)')
    const rows = Array.from({ length: 500 }, (_, i) => [i, 'ü'.repeat(i % 50)])
    const maxBytes = 2000
    const stmts = buildBulkStatements(p, rows, ctx, maxBytes)
    assert.ok(stmts.length > 1)
    for (const s of stmts) {
      assert.ok(Buffer.byteLength(s) <= maxBytes, `${Buffer.byteLength(s)} > ${maxBytes}`)
      assert.ok(s.startsWith(p.prefix) && s.endsWith(p.suffix))
    }
    // Every row is sent exactly once, in order.
    const all = stmts.map((s) => s.slice(p.prefix.length, s.length - p.suffix.length)).join(',')
    assert.equal(all, rows.map(([a, b]) => `(${String(a)}, '${String(b)}')`).join(','))
  })

  it('packs greedily: the statement count is exact', () => {
    const p = plan('INSERT INTO t VALUES (%s)')
    // Each row '(N)' is 3 bytes, plus a ',' between rows.
    const head = Buffer.byteLength(p.prefix)
    assert.equal(head, 21)
    const rows = [1, 2, 3, 4, 5, 6, 7]
    assert.deepEqual(buildBulkStatements(p, rows, ctx, head + 3 + 4 + 4), [
      'INSERT INTO t VALUES (1),(2),(3)',
      'INSERT INTO t VALUES (4),(5),(6)',
      'INSERT INTO t VALUES (7)',
    ])
    assert.equal(buildBulkStatements(p, rows, ctx, head + 3 + 4 + 4 - 1).length, 4)
  })

  it('a row larger than maxBytes still goes, alone', () => {
    const p = plan('INSERT INTO t VALUES (%s)')
    const big = 'x'.repeat(100)
    const stmts = buildBulkStatements(p, [1, big, 2], ctx, 40)
    assert.deepEqual(stmts, [
      'INSERT INTO t VALUES (1)',
      `INSERT INTO t VALUES ('${big}')`,
      'INSERT INTO t VALUES (2)',
    ])
  })

  it('measures UTF-8 bytes, not UTF-16 units', () => {
    const p = plan('INSERT INTO t VALUES (%s)')
    // '(\'😀\')' is 8 bytes in UTF-8 but 6 UTF-16 units.
    const head = Buffer.byteLength(p.prefix)
    assert.equal(buildBulkStatements(p, ['😀', '😀'], ctx, head + 8 + 1 + 8).length, 1)
    assert.equal(buildBulkStatements(p, ['😀', '😀'], ctx, head + 8 + 1 + 7).length, 2)
  })

  it('defaults to 1,024,000 bytes', () => {
    assert.equal(MAX_STATEMENT_BYTES, 1_024_000)
    const p = plan('INSERT INTO t VALUES (%s)')
    const row = 'y'.repeat(100_000)
    const stmts = buildBulkStatements(
      p,
      Array.from({ length: 25 }, () => row),
      ctx,
    )
    assert.equal(stmts.length, 3) // 10 rows of ~100 KB fit under 1,024,000 bytes; 11 do not
    for (const s of stmts) assert.ok(Buffer.byteLength(s) <= MAX_STATEMENT_BYTES)
  })

  it('a bad row is a ProgrammingError naming the row', () => {
    const p = plan('INSERT INTO t VALUES (%s, %s)')
    assert.throws(
      () => buildBulkStatements(p, [[1, 2], [3]], ctx),
      (e: unknown) => {
        assert.ok(e instanceof ProgrammingError)
        assert.match(e.message, /^row 2: not enough arguments/)
        return true
      },
    )
    assert.throws(() => buildBulkStatements(p, [[1, { x: 1 }]], ctx), /row 1: argument 2 is a plain object/)
  })
})
