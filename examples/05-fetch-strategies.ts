// "Fetch Strategies": fetchOne for a single row, fetchAll for small results, and fetchMany(500) in a
// loop to process a result in chunks. (For results too large to buffer, use an unbuffered SSCursor.)
//
// Run: MYSQL_URL=mysql://user:password@127.0.0.1:3306/mydb npx tsx examples/05-fetch-strategies.ts

import { connect } from '../src/index.ts'
import { runIfMain } from './run-direct.ts'

const TABLE = 'example_items'
const ROWS = 2000

function processChunk(chunk: unknown[][], index: number): void {
  const first = chunk[0]?.[0]
  const last = chunk[chunk.length - 1]?.[0]
  console.log(`  chunk ${index}: ${chunk.length} rows, ids ${first}..${last}`)
}

export async function main(url: string): Promise<void> {
  await using conn = await connect(url)
  await using cur = conn.cursor()
  await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  await cur.execute(`CREATE TABLE ${TABLE} (id INT PRIMARY KEY, label VARCHAR(32) NOT NULL)`)
  try {
    const rows = Array.from({ length: ROWS }, (_, i) => [i + 1, `item ${i + 1}`])
    await cur.executeMany(`INSERT INTO ${TABLE} (id, label) VALUES (%s, %s)`, rows)
    await conn.commit()
    console.log(`inserted ${cur.rowCount} rows`)

    // Single row — resolves with the first row, or null when there is none
    await cur.execute(`SELECT id, label FROM ${TABLE} ORDER BY id`)
    const row = await cur.fetchOne()
    console.log('fetchOne:', row)

    // All rows — fine for small to medium result sets
    await cur.execute(`SELECT id, label FROM ${TABLE} ORDER BY id`)
    const all = await cur.fetchAll()
    console.log(`fetchAll: ${all.length} rows`)

    // Paginated — process in chunks of 500
    await cur.execute(`SELECT id, label FROM ${TABLE} ORDER BY id`)
    console.log('fetchMany(500):')
    for (let index = 1; ; index++) {
      const chunk = await cur.fetchMany(500)
      if (chunk.length === 0) break
      processChunk(chunk, index)
    }
  } finally {
    await cur.execute(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

await runIfMain(import.meta.url, main)
