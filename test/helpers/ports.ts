// Loopback ports for tests: one that nothing listens on (connecting to it is refused).
import net from 'node:net'

/** A port that was free a moment ago: nothing answers there until a test starts something on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
