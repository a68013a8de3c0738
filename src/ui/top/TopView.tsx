// The whole `distw top` screen for one view: nodes pane, tasks pane (or a task's details), footer.
// Draws only; TopApp owns the keys and the data.
import { Box } from 'ink'
import { Details } from './Details.js'
import { Footer } from './Footer.js'
import type { TopView as View } from './model.js'
import { NodesPane } from './NodesPane.js'
import { TasksPane } from './TasksPane.js'

export type Pane = 'nodes' | 'tasks'

export interface TopViewProps {
  view: View
  pane: Pane
  selectedNode: number
  selectedTask: number
  details: boolean
  perSecond: number
  notice: string | undefined
  width: number
  height: number
}

export function TopView(props: TopViewProps) {
  const { view, width } = props
  const body = Math.max(6, props.height - 3)
  const nodesHeight = Math.min(view.nodes.length + 1, Math.max(3, Math.floor(body * 0.4)))
  const tasksHeight = body - nodesHeight - 1
  return (
    <Box flexDirection="column" width={width}>
      <NodesPane rows={view.nodes} selected={props.selectedNode} active={props.pane === 'nodes'} width={width} height={nodesHeight} />
      <Box height={1} />
      {props.details ? (
        <Details task={view.tasks[props.selectedTask]} width={width} height={tasksHeight} />
      ) : (
        <TasksPane rows={view.tasks} selected={props.selectedTask} active={props.pane === 'tasks'} width={width} height={tasksHeight} />
      )}
      <Footer totals={view.totals} perSecond={props.perSecond} notice={props.notice} width={width} />
    </Box>
  )
}
