// A monitor's connection to one node: handshake as role 'watch', subscribe, then receive `state`
// snapshots until the connection ends. Used by `distw top` and `distw status`.
import { EventEmitter } from 'node:events'
import { ProtocolError, type Message, type MessageOf, type NodeInfo } from '../protocol/index.js'
import { connectChannel } from './connect-channel.js'
import type { Channel } from '../transfer/channel.js'

export type NodeStateMessage = MessageOf<'state'>

interface WatchEvents {
  /** A snapshot, with the local time it arrived (elapsed times grow from there). */
  state: [state: NodeStateMessage, receivedAt: number]
  /** The node refused something (a cancel of another client's task); the connection goes on. */
  notice: [message: string]
  lost: [reason: string]
}

export class WatchClient extends EventEmitter<WatchEvents> {
  lostReason: string | undefined

  private constructor(
    readonly url: string,
    readonly info: NodeInfo,
    private readonly channel: Channel,
  ) {
    super()
    channel.onMessage((message) => this.handle(message))
    channel.on('close', (code, reason) => this.lost(`connection closed (${code}${reason ? ` ${reason}` : ''})`))
  }

  /** Connects as a monitor and subscribes; the first `state` follows at once. */
  static async connect(
    url: string,
    options: { secret?: Buffer | undefined; insecure?: boolean | undefined; client: string },
  ): Promise<WatchClient> {
    const { channel, node } = await connectChannel(url, { ...options, role: 'watch' })
    const client = new WatchClient(url, node, channel)
    await channel.send({ type: 'watch' })
    return client
  }

  /** Asks the node to cancel a running task (by its state id); obeyed only for this client's own tasks. */
  cancel(id: string): void {
    void this.channel.send({ type: 'cancel', task: id })
  }

  /** `now`: drop the connection at once, without the close handshake (a monitor quitting has nothing to finish). */
  close(now = false): void {
    if (now) return this.channel.terminate()
    this.channel.close(1000, 'monitor closed')
  }

  private handle(message: Message): void {
    if (message.type === 'state') this.emit('state', message, performance.now())
    else if (message.type === 'error') this.emit('notice', `${this.info.name}: ${message.message}`)
    else throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a monitor does not accept ${message.type}`)
  }

  private lost(reason: string): void {
    if (this.lostReason) return
    this.lostReason = reason
    this.emit('lost', reason)
  }
}
