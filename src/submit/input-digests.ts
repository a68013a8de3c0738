// A task's inputs with their digests, as the files are at the moment of asking: an attempt sends what
// the file holds then, and each version of a file is hashed once (HashCache), however often asked.
import { ExternalError } from '../errors.js'
import type { ResolvedInput } from '../tasks/index.js'
import { stampedNow, type HashCache } from '../transfer/hash.js'

/** A task input with its digest, as the file was when it was hashed. */
export type Digested = ResolvedInput & { digest: string }

/** `known`: a digest to use for a file (as stamped now) without hashing it, if any (Locality.keptOn). */
export function digestInputs(
  inputs: readonly ResolvedInput[],
  hashes: HashCache,
  known: (file: ResolvedInput) => string | undefined = () => undefined,
): Promise<Digested[]> {
  return Promise.all(
    inputs.map(async (input) => {
      const now = await stampedNow(input).catch((error: NodeJS.ErrnoException) => {
        throw new ExternalError(`input ${input.path} cannot be read any more (${error.code ?? error.message})`)
      })
      return { ...now, digest: known(now) ?? (await hashes.digest(now)) }
    }),
  )
}
