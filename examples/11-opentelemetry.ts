// OpenTelemetry from the tracing channels (SPEC §13), with no change to the library: CLIENT spans with
// the stable database semantic conventions and the db.client.operation.duration histogram. Here the
// exporters are in memory and the example prints what they recorded; in a service, register the SDK's
// real exporters instead. The OpenTelemetry packages are dev dependencies of this repository only.
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/11-opentelemetry.ts

import diagnostics from 'node:diagnostics_channel'
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Histogram,
  type Span,
  type Tracer,
} from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { createPool } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

/** The fields of aiomysql's statement trace context this instrumentation reads. */
interface StatementContext {
  query: string
  database: string
  serverAddress: string
  serverPort?: number
  system: string
  error?: unknown
}

/**
 * Subscribe to aiomysql:query and aiomysql:execute and turn each statement into a CLIENT span and a
 * duration measurement. Returns the unsubscribe function. Values are never recorded: db.query.text is
 * the statement with its placeholders, as the conventions ask.
 */
export function instrument(tracer: Tracer, duration: Histogram): () => void {
  const open = new WeakMap<object, { span: Span; started: number; attributes: Attributes }>()
  const handlers = {
    start(message: unknown) {
      const ctx = message as StatementContext
      const operation = /^\s*([a-z]+)/i.exec(ctx.query)?.[1]?.toUpperCase() ?? 'QUERY'
      const attributes: Attributes = {
        'db.system.name': ctx.system,
        'db.namespace': ctx.database,
        'db.query.text': ctx.query,
        'db.operation.name': operation,
        'server.address': ctx.serverAddress,
        ...(ctx.serverPort === undefined ? {} : { 'server.port': ctx.serverPort }),
      }
      const span = tracer.startSpan(`${operation} ${ctx.database}`.trim(), {
        kind: SpanKind.CLIENT,
        attributes,
      })
      open.set(message as object, { span, started: performance.now(), attributes })
    },
    end() {},
    asyncStart() {},
    asyncEnd(message: unknown) {
      const entry = open.get(message as object)
      if (entry === undefined) return
      const error = (message as StatementContext).error as
        { errno?: number; code?: string; message?: string } | undefined
      const attributes = { ...entry.attributes }
      if (error !== undefined) {
        attributes['db.response.status_code'] = String(error.errno ?? '')
        attributes['error.type'] = error.code ?? 'Error'
        entry.span.setAttributes({
          'db.response.status_code': attributes['db.response.status_code'],
          'error.type': attributes['error.type'],
        })
        entry.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message ?? '' })
      }
      entry.span.end()
      duration.record((performance.now() - entry.started) / 1000, attributes)
    },
    error() {},
  }
  const channels = ['aiomysql:query', 'aiomysql:execute'].map((name) => diagnostics.tracingChannel(name))
  for (const ch of channels) ch.subscribe(handlers)
  return () => {
    for (const ch of channels) ch.unsubscribe(handlers)
  }
}

export interface Recorded {
  spans: ReadableSpan[]
  /** Data points of db.client.operation.duration: count per operation and outcome. */
  durations: { attributes: Attributes; count: number }[]
}

/** Run a few statements instrumented, and return what the in-memory exporters recorded. */
export async function recordedRun(url: string): Promise<Recorded> {
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const duration = meterProvider
    .getMeter('aiomysql-example')
    .createHistogram('db.client.operation.duration', {
      unit: 's',
      description: 'Duration of database client operations.',
    })
  const stop = instrument(tracerProvider.getTracer('aiomysql-example'), duration)
  const pool = await createPool(url, { minSize: 1, maxSize: 2, autocommit: true })
  try {
    await pool.query('SELECT id, name FROM (SELECT 1 AS id, %s AS name) AS users WHERE id = %s', [
      'a secret',
      1,
    ])
    await pool.query('SELECT %s + 1 AS answer', [41], { prepare: true })
    await pool.query('SELEC broken').catch(() => {})
  } finally {
    stop()
    pool.close()
    await pool.waitClosed()
  }
  const { resourceMetrics } = await reader.collect()
  const durations = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'db.client.operation.duration')
    .flatMap((m) =>
      m.dataPoints.map((p) => ({ attributes: p.attributes, count: (p.value as { count: number }).count })),
    )
  const spans = spanExporter.getFinishedSpans() // before shutdown, which empties the exporter
  await meterProvider.shutdown()
  await tracerProvider.shutdown()
  return { spans, durations }
}

export async function main(url: string): Promise<void> {
  const { spans, durations } = await recordedRun(url)
  for (const span of spans) {
    console.log(`span ${span.name} (kind ${SpanKind[span.kind]}, status ${SpanStatusCode[span.status.code]})`)
    for (const [key, value] of Object.entries(span.attributes)) console.log(`  ${key} = ${String(value)}`)
  }
  for (const d of durations) {
    console.log(`db.client.operation.duration: ${d.count} × ${String(d.attributes['db.query.text'])}`)
  }
}

await runIfMain(import.meta.url, main)
