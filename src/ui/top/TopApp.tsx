// `distw top`: keys and selection over the data from useTopData, drawn by TopView.
import { useApp, useInput, useStdin, useStdout } from 'ink'
import { useEffect, useRef, useState } from 'react'
import type { NodeSource } from './node-source.js'
import type { TaskRow } from './model.js'
import { TopView, type Pane } from './TopView.js'
import { useTopData, type TopDataOptions } from './use-top-data.js'

export function TopApp(props: { source: NodeSource; options: TopDataOptions }) {
  const { exit } = useApp()
  const { isRawModeSupported } = useStdin()
  const size = useTerminalSize()
  const data = useTopData(props.source, props.options)
  const [pane, setPaneState] = useState<Pane>('nodes')
  // Keys typed faster than a render (tab then enter) must see the pane the first one chose.
  const paneNow = useRef<Pane>('nodes')
  const setPane = (next: Pane) => {
    paneNow.current = next
    setPaneState(next)
  }
  // Selections follow a node or a task by its key, not a row index: rows re-sort as tasks start
  // and end, and enter or c must act on the task the user chose.
  const nodes = useSelection(data.view.nodes)
  const tasks = useSelection(data.view.tasks)
  const [details, setDetails] = useState(false)
  // `c` and `d` ask first; the next key answers (y does it, anything else keeps the task as it is).
  // Both end someone's work for good, so neither acts on one key.
  const confirming = useRef<{ task: TaskRow; act: 'cancel' | 'deny' } | undefined>(undefined)
  const [question, setQuestion] = useState<string | undefined>(undefined)

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) return exit()
      const asked = confirming.current
      if (asked) {
        confirming.current = undefined
        setQuestion(undefined)
        const yes = input === 'y' || input === 'Y'
        if (asked.act === 'cancel') {
          if (yes) data.cancel(asked.task)
          else data.say(`${asked.task.name} not cancelled`)
        } else if (yes) data.decide(asked.task, false)
        else data.say(`${asked.task.name} not denied: it still waits for approval`)
        return
      }
      if (key.escape) return setDetails(false)
      if (key.tab) {
        setDetails(false)
        return setPane(paneNow.current === 'nodes' ? 'tasks' : 'nodes')
      }
      const pane = paneNow.current
      const move = key.upArrow ? -1 : key.downArrow ? 1 : 0
      if (move !== 0) (pane === 'nodes' ? nodes : tasks).move(move)
      if (key.return && pane === 'tasks') setDetails((d) => !d)
      const task = tasks.current()
      if (pane !== 'tasks' || !task) return
      if (input === 'a') return data.decide(task, true)
      if (input === 'd') {
        if (!task.held) return data.decide(task, false) // said why not, nothing to confirm
        confirming.current = { task, act: 'deny' }
        setQuestion(`deny ${task.held.program} on ${task.node}? its held tasks fail; y to deny, any other key to keep ${task.name} waiting`)
      }
      if (input === 'c') {
        if (!task.mine) return data.cancel(task) // refused with the reason, nothing to confirm
        confirming.current = { task, act: 'cancel' }
        setQuestion(`cancel ${task.name} on ${task.node}? y to cancel, any other key to keep it`)
      }
    },
    // isTTY is undefined, not false, on a pipe or /dev/null: only a real terminal gets key handling.
    { isActive: isRawModeSupported === true },
  )

  return (
    <TopView
      view={data.view}
      pane={pane}
      selectedNode={nodes.index}
      selectedTask={tasks.index}
      details={details}
      perSecond={data.perSecond}
      notice={question ?? data.notice}
      width={size.columns}
      height={size.rows}
    />
  )
}

function clamp(i: number, count: number): number {
  return Math.max(0, Math.min(i, count - 1))
}

// The selected row of a list, by key. A row that is gone (its task ended) leaves the selection at
// the same place in the list, on whichever row is there now.
function useSelection<Row extends { key: string }>(rows: Row[]) {
  const chosen = useRef<{ key: string | undefined; index: number }>({ key: undefined, index: 0 })
  const [, redraw] = useState(0)
  const found = chosen.current.key === undefined ? -1 : rows.findIndex((row) => row.key === chosen.current.key)
  const index = clamp(found >= 0 ? found : chosen.current.index, rows.length)
  chosen.current.index = index
  return {
    index,
    current: (): Row | undefined => {
      const now = chosen.current
      return rows.find((row) => row.key === now.key) ?? rows[clamp(now.index, rows.length)]
    },
    move: (by: number): void => {
      // From the chosen row as it is now: keys typed faster than a render each move once.
      const now = rows.findIndex((row) => row.key === chosen.current.key)
      const at = clamp((now >= 0 ? now : chosen.current.index) + by, rows.length)
      chosen.current = { key: rows[at]?.key, index: at }
      redraw((n) => n + 1)
    },
  }
}

// The terminal's size, updated when it is resized.
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout()
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
