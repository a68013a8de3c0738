// What a monitor (hello role 'watch') may ask over its connection, and nothing else: to follow the
// node's state, to cancel its own client's tasks, and (over loopback, with the owner token) to decide
// on a task held for approval.
import { ProtocolError, type Message } from '../../protocol/index.js'
import type { Channel } from '../../transfer/channel.js'
import { WatchStream } from '../monitor/watch.js'
import { ownerDecision } from './owner-decision.js'
import type { NodeContext } from './node-context.js'

export class WatcherRequests {
  private watch: WatchStream | undefined

  constructor(
    private readonly channel: Channel,
    private readonly node: NodeContext,
    /** The monitor's client name (its hello's): the tasks it may cancel are that client's. */
    private readonly client: string,
    private readonly from: { address: string; peer: string },
  ) {}

  async handle(message: Message): Promise<void> {
    const { client } = this
    if (message.type === 'watch') {
      this.watch ??= new WatchStream(this.channel, this.node.state, client)
      return
    }
    if (message.type === 'error') return
    if (message.type === 'decide') return this.channel.send(await ownerDecision(message, this.node.approvals, this.from, this.node.log))
    if (message.type !== 'cancel') throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a watcher may not send ${message.type}`)
    const outcome = this.node.state.cancel(message.task, client)
    this.node.log('watcher cancel', { peer: this.from.peer, task: message.task, client, outcome })
    if (outcome === 'unknown')
      await this.channel.send({
        type: 'error',
        code: 'DISTW_ERR_UNKNOWN_TASK',
        message: `no running task ${message.task}`,
        task: message.task,
      })
    if (outcome === 'not-yours')
      await this.channel.send({
        type: 'error',
        code: 'DISTW_ERR_NOT_YOURS',
        message: `task ${message.task} was submitted by another client; a watcher cancels only its own client's tasks`,
        task: message.task,
      })
  }

  stop(): void {
    this.watch?.stop()
  }
}
