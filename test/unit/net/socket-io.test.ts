// Coalesced writes (SPEC §10): everything written in one turn of the event loop leaves in one
// socket write; a large batch goes out corked, chunk by chunk, without being copied into one buffer.

import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { SocketIo, type SocketEvents } from '../../../src/net/socket-io.ts'

const quiet: SocketEvents = { data() {}, error() {}, closed() {}, secure() {}, tlsFailed() {} }

async function withSocketPair(
  fn: (client: net.Socket, received: () => Buffer) => Promise<void>,
): Promise<void> {
  const chunks: Buffer[] = []
  const server = net.createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await new Promise((resolve) => client.once('connect', resolve))
  try {
    await fn(client, () => Buffer.concat(chunks))
  } finally {
    client.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Counts the calls to socket.write (what becomes one syscall, or one writev when corked). */
function countWrites(socket: net.Socket): { writes: number; bytes: number[] } {
  const seen = { writes: 0, bytes: [] as number[] }
  const original = socket.write.bind(socket) as (chunk: Buffer) => boolean
  socket.write = ((chunk: Buffer) => {
    seen.writes++
    seen.bytes.push(chunk.length)
    return original(chunk)
  }) as typeof socket.write
  return seen
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50))

test('writes made in one turn leave in one socket write, in order', async () => {
  await withSocketPair(async (client, received) => {
    const seen = countWrites(client)
    const io = new SocketIo(client, quiet, null)
    for (let i = 0; i < 20; i++) io.write(Buffer.from(`cmd${i};`))
    assert.equal(seen.writes, 0, 'nothing is written before the turn ends')
    await settle()
    assert.equal(seen.writes, 1)
    assert.equal(received().toString(), Array.from({ length: 20 }, (_, i) => `cmd${i};`).join(''))
  })
})

test('writes in separate turns leave separately', async () => {
  await withSocketPair(async (client) => {
    const seen = countWrites(client)
    const io = new SocketIo(client, quiet, null)
    io.write(Buffer.from('a'))
    await settle()
    io.write(Buffer.from('b'))
    await settle()
    assert.equal(seen.writes, 2)
  })
})

test('a large batch is not concatenated: each chunk goes out as it is (corked)', async () => {
  await withSocketPair(async (client, received) => {
    const seen = countWrites(client)
    const io = new SocketIo(client, quiet, null)
    const big = Buffer.alloc(200_000, 0x61)
    io.write(Buffer.from('x'))
    io.write(big)
    await settle()
    assert.deepEqual(seen.bytes, [1, 200_000])
    assert.equal(received().length, 200_001)
  })
})

test('reached(): a write counts as sent only once it was handed to the socket', async () => {
  await withSocketPair(async (client) => {
    const io = new SocketIo(client, quiet, null)
    const ticket = io.write(Buffer.from('q'))
    assert.equal(io.reached(ticket), false)
    await settle()
    assert.equal(io.reached(ticket), true)
  })
})

test('a burst past 32 KiB starts leaving before the turn ends, in order', async () => {
  await withSocketPair(async (client, received) => {
    const seen = countWrites(client)
    const io = new SocketIo(client, quiet, null)
    const chunk = Buffer.alloc(1000, 0x62)
    for (let i = 0; i < 100; i++) io.write(chunk)
    assert.ok(seen.writes >= 1, 'the first 32 KiB left at once')
    const early = seen.writes
    await settle()
    assert.ok(seen.writes > early, 'the rest left at the end of the turn')
    assert.equal(received().length, 100_000)
  })
})

test('regression: the write that starts an early flush counts as sent (sentToServer was false)', async () => {
  await withSocketPair(async (client) => {
    const io = new SocketIo(client, quiet, null)
    const chunk = Buffer.alloc(1000, 0x63)
    const tickets: number[] = []
    for (let i = 0; i < 33; i++) tickets.push(io.write(chunk))
    // 33 writes reach 32 KiB: they left at once, before the end of the turn (and 33 more do again).
    assert.equal(io.reached(tickets[32]!), true)
    for (let i = 33; i < 70; i++) tickets.push(io.write(chunk))
    assert.equal(io.reached(tickets[65]!), true)
    assert.equal(io.reached(tickets[69]!), false)
    await settle()
    assert.equal(io.reached(tickets[69]!), true)
  })
})

test('turn after turn, one or many writes, early flushes and a write made during a flush: every byte once, in order', async () => {
  await withSocketPair(async (client, received) => {
    const io = new SocketIo(client, quiet, null)
    const sent: string[] = []
    const send = (text: string): void => {
      sent.push(text)
      io.write(Buffer.from(text))
    }
    // A write issued from inside socket.write (as a synchronous handler might) lands in the other
    // array, not in the one being flushed and then cleared.
    const original = client.write.bind(client) as (chunk: Buffer) => boolean
    let nested = 0
    client.write = ((chunk: Buffer) => {
      if (nested < 3 && chunk.length === 7) {
        nested++
        send(`[nested${nested}]`)
      }
      return original(chunk)
    }) as typeof client.write
    for (let turn = 0; turn < 40; turn++) {
      const writes = turn % 5 === 0 ? 1 : turn % 7 === 0 ? 400 : 3
      for (let k = 0; k < writes; k++)
        send(turn % 3 === 0 && k === 0 ? `seven${String(turn % 10)}:` : `t${turn}w${k};`)
      await new Promise((r) => setImmediate(r))
    }
    await settle()
    assert.equal(nested, 3, 'the nested writes happened')
    assert.equal(received().toString(), sent.join(''))
  })
})
