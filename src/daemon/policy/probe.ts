// Answers a submitter's probe: which tools a task would find on its PATH, which environment entries
// (`NAME` or `NAME=value`) a task's environment has. Tool lookups are cached per PATH: a batch of
// thousands of tasks asks the same few questions, and the answer rarely changes while a node runs.
import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'

const toolCache = new Map<string, Promise<boolean>>()

export async function answerProbe(
  tools: string[],
  env: string[],
  taskEnv: Record<string, string>,
): Promise<{ tools: boolean[]; env: boolean[] }> {
  const searchPath = taskEnv.PATH ?? ''
  return {
    tools: await Promise.all(tools.map((tool) => onPath(tool, searchPath))),
    env: env.map((entry) => envHas(entry, taskEnv)),
  }
}

/** `NAME` is set, or `NAME=value` is set to exactly that. */
export function envHas(entry: string, env: Record<string, string>): boolean {
  const eq = entry.indexOf('=')
  if (eq < 0) return Object.hasOwn(env, entry)
  const name = entry.slice(0, eq)
  return Object.hasOwn(env, name) && env[name] === entry.slice(eq + 1)
}

// A tool is a bare name: a path would let a probe test for arbitrary files on the node.
function onPath(tool: string, searchPath: string): Promise<boolean> {
  if (tool.includes('/') || tool.includes('\\') || tool === '.' || tool === '..') return Promise.resolve(false)
  const key = `${searchPath}\0${tool}`
  let known = toolCache.get(key)
  if (!known) {
    known = findExecutable(tool, searchPath)
    toolCache.set(key, known)
  }
  return known
}

async function findExecutable(tool: string, searchPath: string): Promise<boolean> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue
    try {
      const file = path.join(dir, tool)
      await fs.access(file, constants.X_OK)
      if ((await fs.stat(file)).isFile()) return true
    } catch {
      // not in this folder
    }
  }
  return false
}
