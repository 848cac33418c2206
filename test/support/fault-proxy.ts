// A loopback TCP proxy for network-fault tests: forwards bytes to the real server and can cut
// every connection at once, or after a number of bytes from the server.

import net from 'node:net'

export interface FaultProxy {
  readonly port: number
  /** Cut the server->client direction after this many more bytes (Infinity = never). */
  cutAfter(bytes: number): void
  /** Destroy every proxied connection now. */
  cutAll(): void
  close(): Promise<void>
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let budget = Infinity
  const server = net.createServer((client) => {
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
    client.on('data', (d) => upstream.write(d))
    upstream.on('data', (d: Buffer) => {
      if (d.length <= budget) {
        budget -= d.length
        client.write(d)
        return
      }
      client.write(d.subarray(0, budget), () => drop())
      budget = 0
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
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
