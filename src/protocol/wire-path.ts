// What a path crossing the wire may be, said once: the node refuses any other (transfer/paths.ts), and
// the submitter refuses an input named so before anything is sent (a node would close the connection).

/** Why `wirePath` may not cross the wire, or undefined when it may. */
export function wirePathProblem(wirePath: string): string | undefined {
  if (wirePath.length === 0) return 'empty'
  if (/[\u0000-\u001f\u007f]/.test(wirePath)) return 'control character'
  if (wirePath.includes('\\')) return 'backslash'
  if (wirePath.startsWith('/')) return 'absolute'
  if (/^[A-Za-z]:/.test(wirePath)) return 'drive letter'
  for (const segment of wirePath.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `segment "${segment}"`
  }
  return undefined
}
