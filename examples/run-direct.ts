// Lets each example run on its own (`tsx examples/01-connect-version.ts` with MYSQL_URL set) as well
// as be imported by run-all.ts, which calls main(url) itself.

import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export async function runIfMain(moduleUrl: string, main: (url: string) => Promise<void>): Promise<void> {
  if (process.argv[1] === undefined || realpathSync(process.argv[1]) !== fileURLToPath(moduleUrl)) return
  const url = process.env['MYSQL_URL']
  if (url) await main(url)
  else {
    console.error('Set MYSQL_URL, e.g. MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb')
    process.exitCode = 2
  }
}
