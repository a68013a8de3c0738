// Details of the selected task: where it runs, who submitted it, the full command, the output tail.
import { Box, Text } from 'ink'
import { fit, formatDuration, waitingText } from '../format.js'
import { progressText } from './layout.js'
import type { TaskRow } from './model.js'

export function Details(props: { task: TaskRow | undefined; width: number; height: number }) {
  const { task, width } = props
  if (!task)
    return (
      <Box height={props.height}>
        <Text dimColor>the task has ended (esc to go back)</Text>
      </Box>
    )
  if (task.waiting)
    return (
      <Box flexDirection="column" height={props.height}>
        <Text bold>{fit(`${task.name}, by ${task.client}${task.mine ? ' (yours)' : ''}`, width)}</Text>
        <Text>
          {fit(`${waitingText(task.waiting.after, task.waiting.more)}: its submitter sends it to a node once they succeed`, width)}
        </Text>
      </Box>
    )
  const tail = task.tail.split('\n').filter((l) => l !== '')
  const room = Math.max(0, props.height - 6)
  return (
    <Box flexDirection="column" height={props.height}>
      <Text bold>
        {fit(`${task.name} on ${task.node}, ${formatDuration(task.elapsedMs)}, by ${task.client}${task.mine ? ' (yours)' : ''}`, width)}
      </Text>
      <Text>{fit(progressText(task.percent, task.text, 20), width)}</Text>
      <Text wrap="truncate-end">$ {task.command}</Text>
      <Text dimColor>output tail:</Text>
      {tail.slice(-room).map((line, i) => (
        <Text key={i}>{fit(line, width)}</Text>
      ))}
    </Box>
  )
}
