// Totals across nodes, throughput, the key help and the latest notice (a refused cancel).
import { Box, Text } from 'ink'
import { fit } from '../format.js'
import type { Totals } from './model.js'

export function Footer(props: { totals: Totals; perSecond: number; notice: string | undefined; width: number }) {
  const t = props.totals
  const line = `nodes ${t.nodesUp}/${t.nodes} up  slots ${t.slotsUsed}/${t.slots}  running ${t.running}${t.waiting > 0 ? `  waiting ${t.waiting}` : ''}  finished ${t.finished} (${t.failed} failed)  ${props.perSecond.toFixed(1)} tasks/s`
  return (
    <Box flexDirection="column">
      <Text bold>{fit(line, props.width)}</Text>
      <Text dimColor>
        {fit(
          props.notice ?? 'q quit  tab switch pane  ↑↓ select  enter details  c cancel (your task)  a/d approve/deny (held)',
          props.width,
        )}
      </Text>
    </Box>
  )
}
