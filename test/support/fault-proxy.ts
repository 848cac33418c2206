// A loopback TCP proxy for network-fault tests: forwards bytes to the real server and can cut
// every connection at once or after a number of bytes from the server, stall (stop forwarding
// without closing: a half-open network), and re-chunk what the server sends (one byte at a time,
// random splits) to prove results do not depend on how bytes arrive.

import net from 'node:net'

export interface FaultProxy {
  readonly port: number
  /** Cut the server->client direction after this many more bytes (Infinity = never). */
  cutAfter(bytes: number): void
  /** Destroy every proxied connection now. */
  cutAll(): void
  /**
   * Stop forwarding in both directions on every connection open now, without closing anything (new
   * connections still pass: a side connection's KILL reaches the server).
   */
  stall(): void
  /**
   * Deliver server bytes in pieces of the sizes `next` returns (≥ 1), each in its own write on a
   * later turn; null forwards as received.
   */
  rechunk(next: (() => number) | null): void
  /** While on, the "server" is gone: open connections are cut and new ones closed at once. */
  down(on: boolean): void
  /** Connections accepted so far (refused ones included: they count connection attempts). */
  readonly accepted: number
  close(): Promise<void>
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let budget = Infinity
  const stalled = new WeakSet<object>()
  let pieces: (() => number) | null = null
  let accepted = 0
  let refusing = false
  const server = net.createServer((client) => {
    accepted++
    if (refusing) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      pairs.delete(pair)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.on('data', (d) => {
      if (!stalled.has(pair)) upstream.write(d)
    })
    // Server bytes go out in order through one queue, so re-chunked pieces never overtake each other.
    let queue: Promise<void> = Promise.resolve()
    const deliver = (d: Buffer): void => {
      if (stalled.has(pair) || client.destroyed) return
      if (d.length <= budget) {
        budget -= d.length
        client.write(d)
        return
      }
      client.write(d.subarray(0, budget), () => drop())
      budget = 0
    }
    upstream.on('data', (d: Buffer) => {
      const split = pieces
      if (split === null) return deliver(d)
      const copy = Buffer.from(d)
      queue = queue.then(async () => {
        for (let i = 0; i < copy.length;) {
          const n = Math.max(1, Math.floor(split()))
          deliver(copy.subarray(i, i + n))
          i += n
          await new Promise<void>((r) => setImmediate(r))
        }
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted
    },
    cutAfter: (bytes) => {
      budget = bytes
    },
    cutAll: () => {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      pairs.clear()
    },
    down: (on) => {
      refusing = on
      if (!on) return
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      pairs.clear()
    },
    stall: () => {
      for (const pair of pairs) stalled.add(pair)
    },
    rechunk: (next) => {
      pieces = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy()
          b.destroy()
        }
        server.close(() => resolve())
      }),
  }
}
