// Where a UDP probe is sent: each IPv4 interface's directed broadcast address (255.255.255.255 fails
// with ENETUNREACH on a host without a default route; 127.255.255.255 reaches loopback). Only the
// interfaces DISTW_INTERFACES names, when it names any.
import { usableInterfaces } from './interfaces.js'

export function broadcastAddresses(interfaces = usableInterfaces()): string[] {
  const found = new Set<string>()
  for (const list of Object.values(interfaces)) {
    for (const nic of list ?? []) {
      if (nic.family !== 'IPv4') continue
      const address = toInt(nic.address)
      const mask = toInt(nic.netmask)
      found.add(toText((address | ~mask) >>> 0))
    }
  }
  return [...found]
}

// Dotted quad → unsigned 32-bit number.
function toInt(dotted: string): number {
  return dotted.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0)
}

// Unsigned 32-bit number → dotted quad.
function toText(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.')
}
