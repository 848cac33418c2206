// Runs one example's main(url) under whatever runtime executes this file, the way examples/run-all.ts
// calls it on Node. tools/runtimes.ts starts it as `bun test/runtimes/example.ts examples/NN-name.ts`
// and `deno run -A test/runtimes/example.ts examples/NN-name.ts`, with MYSQL_URL set. The process
// exits on its own when main() resolves: a handle the example leaves open shows up as a timeout.

import path from 'node:path'
import { pathToFileURL } from 'node:url'

interface Example {
  main?: unknown
}

const file = process.argv[2]
const url = process.env['MYSQL_URL']
if (file === undefined || !url) {
  console.error('usage: MYSQL_URL=mysql://… <runtime> test/runtimes/example.ts examples/NN-name.ts')
  process.exit(2)
}
// Importing the example does not run it: its runIfMain() sees that this file, not the example, is main.
const example = (await import(pathToFileURL(path.resolve(file)).href)) as Example
if (typeof example.main !== 'function') throw new Error(`${file} does not export main(url)`)
await (example.main as (url: string) => Promise<void>)(url)
