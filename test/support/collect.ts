// Finds the *.test.ts files test/run.ts hands to `node --test`. Node 20 expands no globs and finds
// no .ts files in a directory argument (it then passes with zero tests), so the list is built here
// and an empty one is an error rather than a green run.

import { readdir } from 'node:fs/promises'
import path from 'node:path'

/** Directory names never searched: helpers, not tests. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', 'support'])

export interface CollectOptions {
  /** Only files under `<testRoot>/unit/`. */
  unitOnly?: boolean
  /** Keep files whose display name (e.g. `test/unit/protocol/framing.test.ts`) contains any of these. */
  filters?: readonly string[]
}

/**
 * Returns the absolute paths of the matching test files under testRoot, sorted.
 * @throws Error when nothing matches, so a typo or a moved directory cannot pass with zero tests.
 */
export async function collectTestFiles(testRoot: string, options: CollectOptions = {}): Promise<string[]> {
  const root = path.resolve(testRoot)
  const filters = options.filters ?? []
  const found = (await walk(root))
    .filter((file) => !options.unitOnly || isUnitTest(root, file))
    .filter((file) => filters.length === 0 || filters.some((f) => displayName(root, file).includes(f)))
    .sort()
  if (found.length === 0) {
    const scope = [
      options.unitOnly ? 'under unit/' : '',
      filters.length ? `matching ${filters.map((f) => JSON.stringify(f)).join(' or ')}` : '',
    ]
    throw new Error(`no test files found in ${root} ${scope.filter(Boolean).join(' ')}`.trimEnd())
  }
  return found
}

/** True for files under `<testRoot>/unit/`, which need no server. */
export function isUnitTest(testRoot: string, file: string): boolean {
  const relative = path.relative(path.resolve(testRoot), file).split(path.sep)
  return relative.length > 1 && relative[0] === 'unit'
}

/** True for files under `<testRoot>/cluster/`, which need the throwaway Galera cluster. */
export function isClusterTest(testRoot: string, file: string): boolean {
  const relative = path.relative(path.resolve(testRoot), file).split(path.sep)
  return relative.length > 1 && relative[0] === 'cluster'
}

/** The path as people type it: the test directory's name plus the path below it, with `/`. */
export function displayName(testRoot: string, file: string): string {
  const root = path.resolve(testRoot)
  return [path.basename(root), ...path.relative(root, file).split(path.sep)].join('/')
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries.map(async (entry): Promise<string[]> => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : walk(full)
      return entry.isFile() && entry.name.endsWith('.test.ts') ? [full] : []
    }),
  )
  return nested.flat()
}
