// Import rules from ARCHITECTURE.md: the protocol core, the command state machines, the SQL layer
// and the value converters do no I/O and know nothing of the layers above them.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import type { Connection } from '../../src/connection.ts'

const root = join(import.meta.dirname, '../../src')
const PURE = ['protocol', 'commands', 'sql', 'types']
// Leaf modules anything may use: error classes and the generated errno table.
const SHARED = new Set(['errors.ts', 'error-map.ts', 'error-codes.ts'])
const IO = new Set(['node:net', 'node:tls', 'node:fs', 'node:dgram', 'node:child_process', 'node:http'])

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  // Type-only imports vanish at run time, so they do not count.
  return [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  )
}

test('protocol/, commands/, sql/ and types/ import no I/O module and nothing above them', () => {
  const problems: string[] = []
  for (const layer of PURE) {
    for (const file of files(join(root, layer))) {
      for (const spec of imports(file)) {
        const where = relative(root, file)
        if (IO.has(spec)) problems.push(`${where} imports ${spec}`)
        if (!spec.startsWith('.')) continue
        const target = relative(root, join(file, '..', spec))
        const top = target.split('/')[0]!
        if (!PURE.includes(top) && !SHARED.has(target)) problems.push(`${where} imports ${target}`)
      }
    }
  }
  assert.deepEqual(problems, [])
})

test('only src/net/ imports node:net and node:tls', () => {
  const offenders = files(root)
    .filter((f) => !relative(root, f).startsWith('net/'))
    .filter((f) => imports(f).some((s) => s === 'node:net' || s === 'node:tls'))
    .map((f) => relative(root, f))
  assert.deepEqual(offenders, [])
})

test('no code generation from strings anywhere in src/ (SPEC §8)', () => {
  const offenders = files(root).filter((f) => /\bnew Function\(|\beval\(/.test(readFileSync(f, 'utf8')))
  assert.deepEqual(offenders, [])
})

test('no import cycles among the modules of src/ (run-time imports)', () => {
  const graph = new Map<string, string[]>()
  for (const file of files(root)) {
    const deps = imports(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(root, join(file, '..', s)))
    graph.set(relative(root, file), deps)
  }
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (node: string, path: string[]): void => {
    const s = state.get(node)
    if (s === 'done') return
    if (s === 'open') {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '))
      return
    }
    state.set(node, 'open')
    for (const dep of graph.get(node) ?? []) visit(dep, [...path, node])
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) visit(node, [])
  assert.deepEqual(cycles, [])
})

test('sa/ and kysely/ use the public API only: the library through ../index.ts, and not each other', () => {
  const problems: string[] = []
  for (const layer of ['sa', 'kysely']) {
    for (const file of files(join(root, layer))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/from\s+['"](\.\.\/[^'"]+)['"]/g)) {
        if (m[1] !== '../index.ts') problems.push(`${relative(root, file)} imports ${m[1]}`)
      }
    }
  }
  assert.deepEqual(problems, [])
})

test('Connection is the public API only: its members are the documented ones, none @internal', async () => {
  const text = readFileSync(join(root, 'connection.ts'), 'utf8')
  assert.doesNotMatch(text, /@internal/)
  const { Connection } = await import('../../src/connection.ts')
  const members = Object.getOwnPropertyNames(Connection.prototype).sort()
  assert.deepEqual(members, [
    'autocommit',
    'begin',
    'close',
    'closed',
    'commit',
    'config',
    'constructor',
    'cursor',
    'ensureClosed',
    'escape',
    'escapeString',
    'getAutocommit',
    'getServerInfo',
    'getTransactionStatus',
    'insertId',
    'kill',
    'literal',
    'ping',
    'prepare',
    'query',
    'rollback',
    'selectDb',
    'setCharset',
    'showWarnings',
    'threadId',
  ])
})

test('the core is reachable only through a real Connection: anything else is a ProgrammingError', async () => {
  const { coreOf } = await import('../../src/connection-core.ts')
  const { Cursor, ProgrammingError } = await import('../../src/index.ts')
  const fake = { query: () => Promise.resolve([]) } as unknown as Connection
  assert.throws(() => coreOf(fake), ProgrammingError)
  // A cursor made over something that only looks like a connection fails at once, not on execute().
  assert.throws(() => new Cursor(fake), /not a Connection/)
})
