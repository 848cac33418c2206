// A loopback relay that can hold the server's replies: client bytes go to the server at once and are
// parsed into packets (so a test can count the commands that were written), while server bytes are
// passed through, or kept back until released. It proves what a client wrote before any reply came.
// Use it with sslMode 'disabled': it reads the client's packets in clear text.

import net from 'node:net'

/** One packet the client wrote: its sequence id and first payload byte (the command for seq 0). */
export interface ClientPacket {
  readonly seq: number
  readonly first: number
  readonly length: number
}

export interface HoldingRelay {
  readonly port: number
  /** Packets written by the client on its newest connection, in order. */
  readonly packets: ClientPacket[]
  /** Keep server bytes back from now on. */
  hold(): void
  /** Deliver what was kept and pass everything through again. */
  release(): void
  /** Resolves when the client has written `n` command packets (seq 0) since `hold()`; bounded. */
  commandsWritten(n: number, timeoutMs?: number): Promise<number>
  close(): Promise<void>
}

export async function startHoldingRelay(target: { host: string; port: number }): Promise<HoldingRelay> {
  const sockets = new Set<net.Socket>()
  const packets: ClientPacket[] = []
  let holding = false
  let held: Buffer[] = []
  let toClient: net.Socket | null = null
  let commandsSinceHold = 0
  let onPacket: (() => void) | null = null

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    sockets.add(client).add(upstream)
    toClient = client
    packets.length = 0
    let pending = Buffer.alloc(0)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.on('data', (d: Buffer) => {
      upstream.write(d)
      pending = Buffer.concat([pending, d])
      while (pending.length >= 4) {
        const len = pending.readUIntLE(0, 3)
        if (pending.length < 4 + len) break
        const seq = pending[3]!
        packets.push({ seq, first: len > 0 ? pending[4]! : -1, length: len })
        if (seq === 0 && holding) commandsSinceHold++
        pending = pending.subarray(4 + len)
      }
      onPacket?.()
    })
    upstream.on('data', (d: Buffer) => {
      if (holding) held.push(d)
      else client.write(d)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    packets,
    hold() {
      holding = true
      commandsSinceHold = 0
    },
    release() {
      holding = false
      const out = held
      held = []
      for (const d of out) toClient?.write(d)
    },
    commandsWritten(n, timeoutMs = 2000) {
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          onPacket = null
          resolve(commandsSinceHold)
        }
        const timer = setTimeout(done, timeoutMs)
        onPacket = () => {
          if (commandsSinceHold >= n) done()
        }
        onPacket()
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
