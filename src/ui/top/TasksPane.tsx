// The tasks pane: one line per running task with its progress bar and status text; * marks yours.
import { Box, Text } from 'ink'
import type { TaskRow } from './model.js'
import { taskHeader, taskLine, visibleWindow } from './layout.js'

export function TasksPane(props: { rows: TaskRow[]; selected: number; active: boolean; width: number; height: number }) {
  const [start, end] = visibleWindow(props.rows.length, props.selected, props.height - 1)
  return (
    <Box flexDirection="column" height={props.height}>
      <Text bold>{taskHeader(props.width)}</Text>
      {props.rows.length === 0 ? <Text dimColor>no task running</Text> : null}
      {props.rows.slice(start, end).map((row, i) => (
        <Text key={row.key} inverse={props.active && start + i === props.selected}>
          {taskLine(row, props.width)}
        </Text>
      ))}
    </Box>
  )
}
