// The nodes pane: one line per node, the selected one inverted when the pane is active.
import { Box, Text } from 'ink'
import type { NodeRow } from './model.js'
import { nodeHeader, nodeLine, visibleWindow } from './layout.js'
import { noColor } from '../no-color.js'

const STATUS_COLOR = { idle: 'green', busy: 'yellow', draining: 'cyan', lost: 'red', connecting: 'gray' } as const

export function NodesPane(props: { rows: NodeRow[]; selected: number; active: boolean; width: number; height: number }) {
  const [start, end] = visibleWindow(props.rows.length, props.selected, props.height - 1)
  const plain = noColor()
  return (
    <Box flexDirection="column" height={props.height}>
      <Text bold>{nodeHeader(props.width)}</Text>
      {props.rows.slice(start, end).map((row, i) => (
        <Text key={row.key} {...(plain ? {} : { color: STATUS_COLOR[row.status] })} inverse={props.active && start + i === props.selected}>
          {nodeLine(row, props.width)}
        </Text>
      ))}
    </Box>
  )
}
