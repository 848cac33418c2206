// SKILL.md "Cursor Types" (SSCursor / SSDictCursor) and "Use SSCursor for very large result sets":
// rows stream from the socket with backpressure, so memory stays flat however many rows arrive.

import { connect, SSCursor, SSDictCursor } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)

  // SSCursor: tuples, one at a time, straight off the socket.
  await using cur = conn.cursor(SSCursor)
  await cur.execute("SELECT seq, REPEAT('x', 100) FROM seq_1_to_200000")
  let count = 0
  let bytes = 0
  for await (const row of cur) {
    count++
    bytes += String(row[1]).length
  }
  console.log(`SSCursor streamed ${count} rows (${bytes} bytes of text); rowCount is now ${cur.rowCount}`)

  // SSDictCursor with fetchMany pagination: bounded chunks from an unbuffered result.
  await using dict = conn.cursor(SSDictCursor<{ seq: number }>)
  await dict.execute('SELECT seq FROM seq_1_to_1200')
  for (let page = 1; ; page++) {
    const chunk = await dict.fetchMany(500)
    if (chunk.length === 0) break
    console.log(`  page ${page}: ${chunk.length} rows, first seq ${chunk[0]!.seq}`)
  }
}

await runIfMain(import.meta.url, main)
