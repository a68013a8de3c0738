// Component tests for `distw top`: TopView drawn into ink-testing-library's fake terminal, from a
// TopModel fed synthetic node states (the same messages a daemon sends).
import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, type RunningTask, type SubmitterQueue } from '../../src/protocol/index.js'
import { TopModel } from '../../src/ui/top/model.js'
import { TopView, type TopViewProps } from '../../src/ui/top/TopView.js'
import type { NodeStateMessage } from '../../src/client/watch-client.js'

const strip = (text: string | undefined) => (text ?? '').replace(/\x1b\[[0-9;]*m/g, '')

function task(id: number, extra: Partial<RunningTask> = {}): RunningTask {
  return {
    id: `t${id}`,
    name: `task-${id}`,
    client: 'me@here',
    elapsedMs: 65_000,
    percent: null,
    text: '',
    command: `./run ${id}`,
    tail: '',
    mine: true,
    ...extra,
  }
}

function state(name: string, running: RunningTask[], slots = 4): NodeStateMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'state',
    node: { id: name, name, version: '0.1.0', os: 'linux', arch: 'x64', slots, tags: ['gpu'] },
    slotsUsed: running.length,
    load: 1.5,
    state: running.length > 0 ? 'busy' : 'idle',
    running,
    recent: [],
    succeeded: 3,
    failed: 1,
    cache: { usedBytes: 3.4 * 1024 ** 3, capBytes: 10 * 1024 ** 3 },
  }
}

function props(model: TopModel, extra: Partial<TopViewProps> = {}): TopViewProps {
  return {
    view: model.view(0),
    pane: 'tasks',
    selectedNode: 0,
    selectedTask: 0,
    details: false,
    perSecond: 2.5,
    notice: undefined,
    width: 120,
    height: 30,
    ...extra,
  }
}

describe('TopView', () => {
  it('lists nodes with address, platform, tags, slots and state, and tasks with a progress bar and status text', () => {
    const model = new TopModel()
    model.added('10.0.0.1:7420', '10.0.0.1:7420')
    model.state(
      '10.0.0.1:7420',
      { ...state('alpha', [task(1, { percent: 45, text: 'encoding' }), task(2, { mine: false, client: 'bob@there' })]), queued: 1 },
      0,
    )
    model.added('10.0.0.2:7420', '10.0.0.2:7420')
    model.state('10.0.0.2:7420', state('beta', [], 2), 0)
    model.added('10.0.0.3:7420', '10.0.0.3:7420')
    model.state('10.0.0.3:7420', { ...state('gamma', [], 2), state: 'draining', pauseReason: 'paused: outside hours 19:00-07:00' }, 0)
    const { lastFrame, unmount } = render(<TopView {...props(model)} />)
    const frame = strip(lastFrame())
    // The reason is cut to the terminal's width like the rest of the line.
    expect(frame).toMatch(/gamma .*0\/2 .*draining \(paused:/)
    expect(frame).toMatch(/alpha +10\.0\.0\.1:7420 +linux\/x64 +gpu .*2\/4\+1 +1\.50 +busy/)
    expect(frame).toMatch(/beta .*0\/2 .*idle/)
    expect(frame).toMatch(/\* task-1 +alpha +1m05s +███████░░░░░░░░░ +45% encoding/)
    expect(frame).toMatch(/ {2}task-2 +alpha .*running/)
    expect(frame).toContain('nodes 3/3 up  slots 2/8  running 2  finished 12 (3 failed)  2.5 tasks/s')
    unmount()
  })

  it('lists the tasks a submitter holds back as waiting, with what they wait for, once however many nodes report the batch', () => {
    const queue = (ageMs: number, waiting: number): SubmitterQueue => ({
      client: 'me@here',
      batch: 'b-1',
      waiting,
      ready: 0,
      tasks: [
        { name: 'encode', after: ['render'], more: 0 },
        { name: 'pack', after: ['encode', 'render'], more: 2 },
      ].slice(0, waiting),
      ageMs,
      mine: true,
    })
    const model = new TopModel()
    model.added('n1', '10.0.0.1:7420')
    model.state('n1', { ...state('alpha', [task(1, { name: 'render' })]), queues: [queue(100, 2)] }, 0)
    model.added('n2', '10.0.0.2:7420')
    // An older report of the same batch from the other node: not counted again, and not the one shown.
    model.state('n2', { ...state('beta', []), queues: [queue(900, 1)] }, 0)
    const view = model.view(0)
    expect(view.tasks.map((t) => [t.name, t.waiting !== undefined])).toEqual([
      ['render', false],
      ['encode', true],
      ['pack', true],
    ])
    const { lastFrame, unmount } = render(<TopView {...props(model, { view })} />)
    const frame = strip(lastFrame())
    expect(frame).toMatch(/\* render +alpha +1m05s +running/)
    expect(frame).toMatch(/\* encode +- +waiting after render/)
    expect(frame).toMatch(/\* pack +- +waiting after encode, render \(\+2 more\)/)
    expect(frame).toContain('running 1  waiting 2  finished')
    unmount()
    const details = render(<TopView {...props(model, { view, details: true, selectedTask: 1 })} />)
    expect(strip(details.lastFrame())).toContain('waiting after render: its submitter sends it to a node once they succeed')
    details.unmount()
  })

  it('shows how full each blob cache is on a wide terminal', () => {
    const model = new TopModel()
    model.added('n1', '10.0.0.1:7420')
    model.state('n1', state('alpha', []), 0)
    const { lastFrame, unmount } = render(<TopView {...props(model, { width: 140 })} />)
    const frame = strip(lastFrame())
    expect(frame).toMatch(/NODE .*LOAD +CACHE +STATE/)
    expect(frame).toMatch(/alpha .*0\/4 +1\.50 +3\.4 GiB +idle/)
    unmount()
  })

  it('shows a lost node as lost, and drops its tasks', () => {
    const model = new TopModel()
    model.added('n1', '10.0.0.9:7420')
    model.state('n1', state('gamma', [task(1)]), 0)
    model.lost('n1', 'connection closed (1006)')
    const { lastFrame, unmount } = render(<TopView {...props(model)} />)
    const frame = strip(lastFrame())
    expect(frame).toMatch(/gamma .*lost \(connection/)
    expect(frame).toContain('no task running')
    expect(frame).toContain('nodes 0/1 up')
    unmount()
  })

  it('adapts to a narrow terminal: no line is wider than it, the essentials remain', () => {
    const model = new TopModel()
    model.added('n1', '10.0.0.1:7420')
    model.state('n1', state('alpha', [task(1, { percent: 80, text: 'almost there' })]), 0)
    const { lastFrame, unmount } = render(<TopView {...props(model, { width: 50 })} />)
    const lines = strip(lastFrame()).split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(50)
    expect(lines.join('\n')).toMatch(/alpha .*busy/)
    expect(lines.join('\n')).toMatch(/task-1 .*80%/)
    expect(lines.join('\n')).not.toContain('10.0.0.1')
    unmount()
  })

  it('shows the details of the selected task: full command and output tail', () => {
    const model = new TopModel()
    model.added('n1', 'h:1')
    model.state('n1', state('alpha', [task(7, { command: 'ffmpeg -i in.mov out.mp4', tail: 'frame 1\nframe 2\n' })]), 0)
    const { lastFrame, unmount } = render(<TopView {...props(model, { details: true })} />)
    const frame = strip(lastFrame())
    expect(frame).toContain('task-7 on alpha, 1m05s, by me@here (yours)')
    expect(frame).toContain('$ ffmpeg -i in.mov out.mp4')
    expect(frame).toMatch(/frame 1\n.*frame 2/)
    unmount()
  })

  it('stays bounded with 50 nodes × 10 tasks (500 running): draws only what fits the screen', () => {
    const model = new TopModel()
    for (let n = 0; n < 50; n++) {
      const key = `node-${String(n).padStart(2, '0')}`
      model.added(key, `10.0.1.${n}:7420`)
      model.state(
        key,
        state(
          key,
          Array.from({ length: 10 }, (_, i) => task(n * 10 + i, { percent: i * 10, text: `step ${i}` })),
          10,
        ),
        0,
      )
    }
    const started = performance.now()
    const view = model.view(1000)
    const { lastFrame, rerender, unmount } = render(<TopView {...props(model, { view, selectedTask: 250 })} />)
    for (let i = 0; i < 20; i++) rerender(<TopView {...props(model, { view: model.view(1000 + i * 250), selectedTask: 250 + i })} />)
    const perFrameMs = (performance.now() - started) / 21
    const frame = strip(lastFrame())
    expect(view.tasks).toHaveLength(500)
    expect(frame.split('\n').length).toBeLessThanOrEqual(30)
    expect(frame).toContain('running 500')
    expect(frame).toContain('slots 500/500')
    // Reported, not asserted against a clock (the machine is shared); see the issue note.
    console.log(`top: 50 nodes × 500 tasks, ${perFrameMs.toFixed(1)} ms per view + render`)
    unmount()
  })
})
