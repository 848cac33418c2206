// Prepared statements against a scripted server, for what the test MariaDB cannot show: a server that
// offers MARIADB_CLIENT_CACHE_METADATA (MariaDB ≥ 10.6 builds that announce it) and skips unchanged
// result metadata, and one that changes it between executions.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../../src/index.ts'
import { Capability, ColumnType, Command, MariaDbCapability } from '../../src/protocol/constants.ts'
import { PacketWriter } from '../../src/protocol/writer.ts'
import { FAKE_HOST, startFakeServer, type FakeSession } from '../support/fake-server.ts'
import { columnDef, greeting, ok, SERVER_CAPS } from '../support/packets.ts'

// Without extended type info, so the column definitions are the plain ones the packet helpers build.
const MARIADB_CAPS =
  MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA | MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS

function mariaDbGreeting(): Buffer {
  return greeting({
    version: '11.4.2-MariaDB',
    capabilities: (SERVER_CAPS & ~Capability.CLIENT_LONG_PASSWORD) >>> 0,
    plugin: 'mysql_native_password',
    mariaDbCapabilities: MARIADB_CAPS,
  })
}

function prepareOk(id: number, columns: number, params: number): Buffer {
  const w = new PacketWriter(16)
  w.writeUInt8(0).writeUInt32(id).writeUInt16(columns).writeUInt16(params).writeUInt8(0).writeUInt16(0)
  return Buffer.from(w.payload())
}

/** Column count, then the metadata-follows byte of MARIADB_CLIENT_CACHE_METADATA. */
function countWithFlag(n: number, follows: boolean): Buffer {
  return Buffer.from([n, follows ? 1 : 0])
}

/** A binary row of one BIGINT. */
function bigintRow(v: number): Buffer {
  const w = new PacketWriter(16)
  w.writeUInt8(0).writeUInt8(0).writeUInt64(v)
  return Buffer.from(w.payload())
}

/** A binary row of one VARCHAR. */
function stringRow(s: string): Buffer {
  const w = new PacketWriter(16)
  w.writeUInt8(0).writeUInt8(0).writeLenencString(s)
  return Buffer.from(w.payload())
}

/** Answer the session statements sent at connect; return the first command that is not COM_QUERY. */
async function nextCommand(s: FakeSession): Promise<Buffer> {
  for (let i = 0; i < 20; i++) {
    const p = await s.read()
    if (p.payload[0] !== Command.COM_QUERY) return p.payload
    s.write(ok())
  }
  throw new Error('too many queries')
}

test('MARIADB_CLIENT_CACHE_METADATA: skipped definitions reuse the statement’s, changed ones replace them', async () => {
  const executeFlags: number[] = []
  await using server = await startFakeServer(
    async (s) => {
      await s.readHandshakeResponse()
      s.write(ok())
      const prepare = await nextCommand(s)
      assert.equal(prepare[0], Command.COM_STMT_PREPARE)
      s.write(prepareOk(9, 1, 1))
      s.write(columnDef('?', ColumnType.MYSQL_TYPE_NULL))
      s.write(columnDef('v', ColumnType.MYSQL_TYPE_LONGLONG))
      // 1: definitions sent; 2: skipped (unchanged); 3: changed to VARCHAR; 4: skipped again.
      const script: [boolean, Buffer | null, Buffer][] = [
        [true, columnDef('v', ColumnType.MYSQL_TYPE_LONGLONG), bigintRow(41)],
        [false, null, bigintRow(42)],
        [true, columnDef('w', ColumnType.MYSQL_TYPE_VAR_STRING), stringRow('forty-three')],
        [false, null, stringRow('forty-four')],
      ]
      for (const [follows, def, row] of script) {
        const exec = await nextCommand(s)
        assert.equal(exec[0], Command.COM_STMT_EXECUTE)
        executeFlags.push(exec.readUInt32LE(1))
        s.write(countWithFlag(1, follows))
        if (def !== null) s.write(def)
        s.write(row)
        s.write(ok({ header: 0xfe }))
      }
      const quit = await s.read()
      assert.equal(quit.payload[0], Command.COM_QUIT)
    },
    { greeting: mariaDbGreeting(), ssl: false },
  )
  const conn = await connect({ host: FAKE_HOST, port: server.port, user: 'u', sslMode: 'disabled' })
  const got: unknown[] = []
  for (let i = 0; i < 4; i++) got.push(await conn.query('SELECT %s AS v', [i], { prepare: true }))
  assert.deepEqual(got, [[{ v: 41 }], [{ v: 42 }], [{ w: 'forty-three' }], [{ w: 'forty-four' }]])
  // The first execution named "the statement just prepared"; later ones the id PREPARE_OK gave.
  assert.deepEqual(executeFlags, [0xffffffff, 9, 9, 9])
  await conn.ensureClosed()
  await server.finished()
})
