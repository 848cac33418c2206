// The test runner's file collection: what test/run.ts hands to `node --test`. Node 20 would pass
// with zero .ts files, so "found nothing" must be an error here.

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { collectTestFiles, displayName, isUnitTest } from '../support/collect.ts'

let root = ''

before(async () => {
  root = path.join(await mkdtemp(path.join(os.tmpdir(), 'aiomysql-collect-')), 'test')
  const files = [
    'unit/a.test.ts',
    'unit/protocol/framing.test.ts',
    'integration/query.test.ts',
    'integration/helper.ts',
    'support/server.test.ts',
    'node_modules/pkg/dep.test.ts',
    'fixtures/readme.md',
  ]
  for (const file of files) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await writeFile(path.join(root, file), '')
  }
  await mkdir(path.join(root, 'empty'))
})

after(async () => {
  await rm(path.dirname(root), { recursive: true, force: true })
})

const names = (files: string[]): string[] => files.map((file) => displayName(root, file))

void test('collection finds *.test.ts recursively and skips support/ and node_modules/', async () => {
  assert.deepEqual(names(await collectTestFiles(root)), [
    'test/integration/query.test.ts',
    'test/unit/a.test.ts',
    'test/unit/protocol/framing.test.ts',
  ])
})

void test('collection with unitOnly keeps only files under unit/', async () => {
  const files = await collectTestFiles(root, { unitOnly: true })
  assert.deepEqual(names(files), ['test/unit/a.test.ts', 'test/unit/protocol/framing.test.ts'])
  assert.ok(files.every((file) => isUnitTest(root, file)))
})

void test('collection filters by substring of the display name', async () => {
  assert.deepEqual(names(await collectTestFiles(root, { filters: ['framing', 'integration/'] })), [
    'test/integration/query.test.ts',
    'test/unit/protocol/framing.test.ts',
  ])
})

void test('collection that finds no test files is an error, not an empty run', async () => {
  await assert.rejects(collectTestFiles(path.join(root, 'empty')), /no test files found/)
  await assert.rejects(
    collectTestFiles(root, { filters: ['no-such-file'] }),
    /no test files found.*no-such-file/,
  )
})

void test('collection finds this file in the real test directory', async () => {
  const here = import.meta.filename
  const files = await collectTestFiles(path.resolve(import.meta.dirname, '..'), { unitOnly: true })
  assert.ok(files.includes(here), `expected ${here} in ${files.join(', ')}`)
})
