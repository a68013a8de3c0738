// `distw top`: keys and selection over the data from useTopData, drawn by TopView.
import { useApp, useInput, useStdin, useStdout } from 'ink'
import { useEffect, useRef, useState } from 'react'
import type { NodeSource } from './node-source.js'
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
  const [selectedNode, setSelectedNode] = useState(0)
  const [selectedTask, setSelectedTask] = useState(0)
  const [details, setDetails] = useState(false)
  const nodeCount = data.view.nodes.length
  const taskCount = data.view.tasks.length

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) return exit()
      if (key.escape) return setDetails(false)
      if (key.tab) {
        setDetails(false)
        return setPane(paneNow.current === 'nodes' ? 'tasks' : 'nodes')
      }
      const pane = paneNow.current
      const move = key.upArrow ? -1 : key.downArrow ? 1 : 0
      if (move !== 0 && pane === 'nodes') setSelectedNode((i) => clamp(i + move, nodeCount))
      if (move !== 0 && pane === 'tasks') setSelectedTask((i) => clamp(i + move, taskCount))
      if (key.return && pane === 'tasks') setDetails((d) => !d)
      const task = data.view.tasks[clamp(selectedTask, taskCount)]
      if (input === 'c' && pane === 'tasks' && task) data.cancel(task)
    },
    // isTTY is undefined, not false, on a pipe or /dev/null: only a real terminal gets key handling.
    { isActive: isRawModeSupported === true },
  )

  return (
    <TopView
      view={data.view}
      pane={pane}
      selectedNode={clamp(selectedNode, nodeCount)}
      selectedTask={clamp(selectedTask, taskCount)}
      details={details}
      perSecond={data.perSecond}
      notice={data.notice}
      width={size.columns}
      height={size.rows}
    />
  )
}

function clamp(i: number, count: number): number {
  return Math.max(0, Math.min(i, count - 1))
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
