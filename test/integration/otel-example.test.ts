// The OpenTelemetry example (examples/11-opentelemetry.ts): the spans and the duration histogram it
// records follow the stable database semantic conventions, and never carry a bound value.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { recordedRun } from '../../examples/11-opentelemetry.ts'
import { serverUrl } from '../support/env.ts'

test('the OpenTelemetry example records CLIENT spans and durations with the semantic conventions', async () => {
  const { spans, durations } = await recordedRun(serverUrl)
  const u = new URL(serverUrl)
  assert.equal(spans.length, 3)
  for (const span of spans) {
    assert.equal(span.kind, SpanKind.CLIENT)
    assert.ok(['mariadb', 'mysql'].includes(String(span.attributes['db.system.name'])))
    assert.equal(span.attributes['db.namespace'], u.pathname.slice(1))
    assert.equal(span.attributes['server.address'], u.hostname)
    assert.equal(span.attributes['server.port'], Number(u.port || 3306))
    assert.ok(!JSON.stringify(span.attributes).includes('a secret'), 'values never reach the spans')
  }
  assert.deepEqual(
    spans.map((s) => [s.attributes['db.query.text'], s.attributes['db.operation.name']]),
    [
      ['SELECT id, name FROM (SELECT 1 AS id, %s AS name) AS users WHERE id = %s', 'SELECT'],
      ['SELECT %s + 1 AS answer', 'SELECT'],
      ['SELEC broken', 'SELEC'],
    ],
  )
  const failed = spans[2]!
  assert.equal(failed.status.code, SpanStatusCode.ERROR)
  assert.equal(failed.attributes['db.response.status_code'], '1064')
  assert.equal(failed.attributes['error.type'], 'ER_PARSE_ERROR')
  assert.equal(spans[0]!.status.code, SpanStatusCode.UNSET)
  assert.equal(
    durations.reduce((n, d) => n + d.count, 0),
    3,
    'one duration per statement',
  )
  assert.ok(durations.some((d) => d.attributes['error.type'] === 'ER_PARSE_ERROR'))
})
