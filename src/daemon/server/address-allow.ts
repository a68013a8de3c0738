// `--allow CIDR`: which client addresses may connect at all. Checked at the WebSocket upgrade, before
// any byte of the protocol is read.
import { BlockList, isIP } from 'node:net'
import { UserError } from '../../errors.js'

export class AddressAllowList {
  private readonly list = new BlockList()

  /** Throws a UserError naming the bad entry. */
  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', prefixText] = cidr.split('/')
      const family = isIP(address)
      const max = family === 6 ? 128 : 32
      const prefix = prefixText === undefined ? max : Number(prefixText)
      if (
        family === 0 ||
        !Number.isInteger(prefix) ||
        prefix < 0 ||
        prefix > max ||
        (prefixText !== undefined && !/^\d+$/.test(prefixText))
      ) {
        throw new UserError(
          `invalid --allow ${JSON.stringify(cidr)}`,
          'give an address or a CIDR block, e.g. 192.168.1.0/24, 10.0.0.7 or fd00::/8',
        )
      }
      this.list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4')
    }
  }

  get restricts(): boolean {
    return this.cidrs.length > 0
  }

  /** True when no list is set or the address is in it. IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
  allows(address: string | undefined): boolean {
    if (!this.restricts) return true
    if (address === undefined) return false
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    const plain = mapped?.[1] ?? address
    const family = isIP(plain)
    if (family === 0) return false
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }
}
