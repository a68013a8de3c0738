// A TCP proxy on loopback that holds every chunk for `delayMs` in each direction: a link with a round
// trip of 2 × delayMs, as between machines on a busy network, for what latency costs a batch.
import net from 'node:net'

export async function delayProxy(target, delayMs) {
  const [host, port] = target.split(':')
  const sockets = new Set()
  const forward = (from, to) => from.on('data', (data) => setTimeout(() => to.write(data), delayMs))
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.setNoDelay(true) // no Nagle: frames go at once, as ws sends them
      socket.on('error', () => socket.destroy())
      socket.on('close', () => (sockets.delete(socket), client.destroy(), upstream.destroy()))
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    peer: `127.0.0.1:${server.address().port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}
