import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { connect } from '../../src/index.ts'
import { PacketFramer } from '../../src/protocol/framing.ts'
import { greeting, ok, packets } from '../support/packets.ts'
import { tableName, withConnection } from '../support/db.ts'

const refused = (e: unknown): boolean =>
  (e as { code?: string }).code === 'CR_LOAD_DATA_LOCAL_INFILE_REJECTED'

async function withTable(fn: (t: string) => Promise<void>): Promise<void> {
  await withConnection(async (conn) => {
    const t = tableName('infile')
    await conn.query(`CREATE TABLE ${t} (id INT, name VARCHAR(20))`)
    try {
      await fn(t)
    } finally {
      await conn.query(`DROP TABLE ${t}`)
    }
  })
}

test('LOAD DATA LOCAL is off by default: the statement fails and the connection stays usable', async () => {
  await withTable(async (t) => {
    await withConnection(async (conn) => {
      await assert.rejects(conn.query(`LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE ${t}`))
      assert.deepEqual(await conn.query(`SELECT COUNT(*) AS n FROM ${t}`), [{ n: 0 }])
    })
  })
})

test('localInfile: true streams the file the statement names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aiomysql-infile-'))
  const file = join(dir, "it's data.csv")
  const lines = Array.from({ length: 100_000 }, (_, i) => `${i}\tname${i}`).join('\n')
  await writeFile(file, lines)
  try {
    await withTable(async (t) => {
      await withConnection(
        async (conn) => {
          const cur = conn.cursor()
          const n = await cur.execute(`LOAD DATA LOCAL INFILE %s INTO TABLE ${t}`, [file])
          assert.equal(n, 100_000)
          assert.deepEqual(await conn.query(`SELECT COUNT(*) AS n, MAX(id) AS m FROM ${t}`), [
            { n: 100_000, m: 99_999 },
          ])
        },
        { localInfile: true, autocommit: true },
      )
    })
  } finally {
    await rm(dir, { recursive: true })
  }
})

test('a localInfile handler supplies the data as a stream, or refuses', async () => {
  await withTable(async (t) => {
    await withConnection(
      async (conn) => {
        await conn.query(`LOAD DATA LOCAL INFILE 'virtual.csv' INTO TABLE ${t}`)
        assert.deepEqual(await conn.query(`SELECT * FROM ${t} ORDER BY id`), [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ])
        await assert.rejects(conn.query(`LOAD DATA LOCAL INFILE 'other.csv' INTO TABLE ${t}`), refused)
        assert.deepEqual(await conn.query('SELECT 1 AS ok'), [{ ok: 1 }])
      },
      {
        autocommit: true,
        localInfile: (name) => (name === 'virtual.csv' ? Readable.from(['1\ta\n', '2\tb\n']) : null),
      },
    )
  })
})

test('a hostile server asking for a file the statement did not name reads nothing', async () => {
  const received: Buffer[] = []
  const server = net.createServer((socket) => {
    const framer = new PacketFramer(1 << 20)
    let step = 0
    socket.write(packets([greeting({ plugin: 'mysql_native_password' })], 0))
    socket.on('data', (chunk) =>
      framer.feed(chunk, (payload) => {
        // The limit the client reads at connect is answered with an OK (unknown); not counted.
        if (payload.toString('latin1', 1) === 'SELECT @@max_allowed_packet') {
          socket.write(packets([ok()], 1))
          return
        }
        received.push(Buffer.from(payload))
        if (step === 0) socket.write(packets([ok()], 2)) // auth OK
        if (step === 1)
          socket.write(packets([Buffer.concat([Buffer.from([0xfb]), Buffer.from('/etc/passwd')])], 1))
        if (step === 2) socket.write(packets([ok()], 3))
        step++
      }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as net.AddressInfo
  try {
    const conn = await connect({ host: '127.0.0.1', port, user: 'u', localInfile: true, autocommit: true })
    await assert.rejects(conn.query("LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t"), refused)
    conn.close()
    // After the COM_QUERY, the client sent exactly one packet: an empty one ("no data").
    assert.equal(received.length, 3)
    assert.equal(received[2]!.length, 0)
  } finally {
    server.close()
  }
})
