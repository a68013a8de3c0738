// A TCP proxy on loopback in front of a daemon: cutting its connections is a network blip; pointing
// it at another daemon is a daemon restarted at the same address. Closed after each test.
import net from 'node:net'
import { afterEach } from 'vitest'

export interface TcpProxy {
  /** `127.0.0.1:PORT`, to pass as a peer. */
  peer: string
  /** Where new connections go (`host:port`). */
  target: string
  /** Destroys every connection through the proxy; new ones are still accepted. */
  cut(): void
  /** Refuses new connections from now on (the port stays taken, so nothing else answers there). */
  refuse(): void
  /** Every byte that crossed the proxy so far, both directions (what a capture on the wire would see). */
  captured(): Buffer
}

const open = new Set<{ server: net.Server; sockets: Set<net.Socket> }>()

afterEach(async () => {
  for (const proxy of open) {
    for (const socket of proxy.sockets) socket.destroy()
    await new Promise((resolve) => proxy.server.close(resolve))
  }
  open.clear()
})

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  const seen: Buffer[] = []
  let refusing = false
  const track = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = net.createServer((client) => {
    track(client)
    if (refusing) return void client.destroy()
    const [host, port] = proxy.target.split(':') as [string, string]
    const upstream = net.connect(Number(port), host)
    track(upstream)
    client.on('data', (chunk: Buffer) => seen.push(chunk))
    upstream.on('data', (chunk: Buffer) => seen.push(chunk))
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  open.add({ server, sockets })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxy: TcpProxy = {
    peer: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    target,
    cut: () => sockets.forEach((s) => s.destroy()),
    captured: () => Buffer.concat(seen),
    refuse: () => {
      refusing = true
      sockets.forEach((s) => s.destroy())
    },
  }
  return proxy
}
