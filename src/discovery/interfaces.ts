// Which network interfaces discovery may use: all of them, or only those named in DISTW_INTERFACES
// (comma-separated, e.g. `eth1` on a machine whose other interface faces another network, or `lo`
// in the test suite, whose probes and announcements must never leave this machine).
import { Bonjour, type ServiceConfig } from 'bonjour-service'
import os from 'node:os'

export type Interfaces = ReturnType<typeof os.networkInterfaces>

/** The interface names chosen by DISTW_INTERFACES, or undefined for all (unset or empty). */
export function chosenInterfaceNames(env: NodeJS.ProcessEnv = process.env): Set<string> | undefined {
  const names = (env['DISTW_INTERFACES'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  return names.length > 0 ? new Set(names) : undefined
}

/** The machine's interfaces that discovery may use. */
export function usableInterfaces(all: Interfaces = os.networkInterfaces(), env: NodeJS.ProcessEnv = process.env): Interfaces {
  const chosen = chosenInterfaceNames(env)
  if (!chosen) return all
  return Object.fromEntries(Object.entries(all).filter(([name]) => chosen.has(name)))
}

/**
 * Options for bonjour-service (multicast-dns): with interfaces chosen, mDNS joins and sends on the
 * first IPv4 address among them only; otherwise on its defaults (every interface).
 */
export function mdnsSocketOptions(env: NodeJS.ProcessEnv = process.env): { interface?: string; bind?: string } {
  if (!chosenInterfaceNames(env)) return {}
  const address = Object.values(usableInterfaces(os.networkInterfaces(), env))
    .flatMap((list) => list ?? [])
    .find((nic) => nic.family === 'IPv4')?.address
  // Bind 0.0.0.0 still: multicast-dns sees queries only so (STACK-NOTES); the interface picks the route.
  return address === undefined ? {} : { interface: address, bind: '0.0.0.0' }
}

/** A bonjour-service instance on the chosen interfaces (its typings name the multicast-dns options wrongly). */
export function newBonjour(onError: (error: Error) => void): Bonjour {
  return new Bonjour(mdnsSocketOptions() as Partial<ServiceConfig>, onError)
}
