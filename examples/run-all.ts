// `npm run examples`: run every examples/NN-*.ts in order against MYSQL_URL, or against a throwaway
// MariaDB started here (and always stopped) when MYSQL_URL is unset. A failing example is reported
// and the rest still run; the exit code is 1 if any failed.

import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { startThrowawayServer, type ThrowawayServer } from '../test/support/server.ts'

const say = (message: string): void => console.error(`[examples] ${message}`)

interface Example {
  main?: unknown
}

async function runAll(): Promise<number> {
  const dir = import.meta.dirname
  const files = (await readdir(dir)).filter((name) => /^\d+-.+\.ts$/.test(name)).sort()
  if (files.length === 0) {
    say(`no examples/NN-*.ts found in ${dir}`)
    return 1
  }

  let server: ThrowawayServer | undefined
  // Ctrl-C: stop mariadbd (started detached, so it would outlive us) before exiting.
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping`)
    void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const failed: string[] = []
  try {
    let url = process.env['MYSQL_URL']
    if (url) {
      say('using MYSQL_URL from the environment')
    } else {
      const started = performance.now()
      server = await startThrowawayServer({ log: say })
      url = server.url
      say(`throwaway MariaDB started in ${((performance.now() - started) / 1000).toFixed(2)} s`)
    }

    for (const file of files) {
      console.log(`\n=== ${file} ===`)
      const started = performance.now()
      try {
        const example = (await import(pathToFileURL(path.join(dir, file)).href)) as Example
        if (typeof example.main !== 'function') throw new Error(`${file} does not export main(url)`)
        await (example.main as (url: string) => Promise<void>)(url)
        console.log(`--- ok (${Math.round(performance.now() - started)} ms)`)
      } catch (error) {
        failed.push(file)
        console.log(`--- FAILED`)
        console.error(error)
      }
    }
  } finally {
    await server?.stop()
  }

  console.log(
    failed.length === 0
      ? `\nall ${files.length} examples passed`
      : `\n${failed.length} of ${files.length} examples failed: ${failed.join(', ')}`,
  )
  return failed.length === 0 ? 0 : 1
}

process.exitCode = await runAll()
