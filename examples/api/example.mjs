// The distw library in one file: start a node in this process, run a batch on it, watch each result
// arrive, then stop the node. Run it from the distw package (after `npm run build`):
//   node examples/api/example.mjs
import { startDaemon, submitResults } from 'distw'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-api-example-'))
const node = await startDaemon({ port: 0, slots: 2, name: 'example-node' })
try {
  for (const n of [1, 2, 3]) await fs.writeFile(path.join(work, `part-${n}.txt`), `line\n`.repeat(n * 1000))
  // One task per line, as `distw submit` reads them: a JSON line names its inputs.
  const tasks = [1, 2, 3].map((n) =>
    JSON.stringify({ name: `count-${n}`, run: `wc -l < part-${n}.txt > count-${n}.txt`, inputs: [`part-${n}.txt`] }),
  )

  const stream = submitResults({
    tasks: tasks.join('\n'),
    cwd: work,
    peers: [`${node.host}:${node.port}`],
    observer: { taskStarted: (task, info) => console.log(`started  ${task.name} on ${info.name}`) },
  })
  for await (const result of stream)
    console.log(`finished ${result.name}: ${result.status} (exit ${result.exitCode}) files: ${result.files.join(', ')}`)
  const batch = await stream.batch
  // The files the tasks wrote on the node are back in `work`.
  let total = 0
  for (const n of [1, 2, 3]) total += Number(await fs.readFile(path.join(work, `count-${n}.txt`), 'utf8'))
  console.log(`batch ${batch.ok ? 'ok' : 'failed'}; total lines: ${total}`)
  process.exitCode = batch.ok ? 0 : 1
} finally {
  await node.close()
  await fs.rm(work, { recursive: true, force: true })
}
