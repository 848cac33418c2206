// Try the package as a user would (issue 13): build, `npm pack`, install the tarball into a fresh ESM
// project, and type-check a consumer that imports every entry point with strict settings and
// skipLibCheck off — so declarations that name something they never define (TS2552) fail here, not
// in a user's build. Then publint (package.json fields, exports) and arethetypeswrong (the types
// resolve as the runtime does, for an ESM-only package). Run by CI; needs no network (the package has no runtime dependencies; kysely,
// an optional peer, is linked from this repository's node_modules).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const run = (cmd: string, args: string[], cwd: string): void => {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] })
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'aiomysql-consumer-'))
try {
  run('npm', ['run', 'build', '--silent'], root)
  run('npm', ['pack', '--silent', '--pack-destination', dir], root)
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', `./${tarball}`], dir)
  // The optional peer dependency, for aiomysql/kysely's declarations.
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true })
  symlinkSync(path.join(root, 'node_modules', 'kysely'), path.join(dir, 'node_modules', 'kysely'))
  symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'))
  writeFileSync(
    path.join(dir, 'consumer.ts'),
    `import { connect, createPool, DictCursor, SSCursor, sql, PreparedStatement, type Pool, type PooledConnection } from 'aiomysql'
import { createEngine } from 'aiomysql/sa'
import { AiomysqlDialect } from 'aiomysql/kysely'
export async function main(): Promise<void> {
  const conn = await connect('mysql://u@127.0.0.1/db')
  const cur = conn.cursor(DictCursor<{ id: number }>)
  await cur.execute('SELECT id FROM t WHERE id = %s', [1], { prepare: true })
  const row: { id: number } | null = await cur.fetchOne()
  const stmt: PreparedStatement = await conn.prepare(sql\`SELECT 1\`)
  await stmt.close()
  const pool: Pool = await createPool({ host: 'h', password: async () => 'token' })
  const lent: PooledConnection = await pool.acquire()
  pool.release(lent)
  void conn.cursor(SSCursor)
  void row
  void new AiomysqlDialect({ pool, prepare: true })
  void (await createEngine({}))
}
`,
  )
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        lib: ['ES2022', 'ESNext.Disposable'],
      },
      files: ['consumer.ts'],
    }),
  )
  run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir)
  console.log('check-package: the packed tarball type-checks in a strict consumer project')
  const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name)
  run(bin('publint'), ['--strict'], root)
  run(bin('attw'), ['--pack', '.', '--profile', 'esm-only'], root)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
