// A monitor's connection to one node: handshake as role 'watch', subscribe, then receive `state`
// snapshots until the connection ends. Used by `distw top` and `distw status`.
import { EventEmitter } from 'node:events'
import { isLoopback, ProtocolError, type Message, type MessageOf, type NodeInfo } from '../protocol/index.js'
import { ExternalError, UserError } from '../errors.js'
import { connectChannel } from './connect-channel.js'
import type { Channel } from '../transfer/channel.js'

export type NodeStateMessage = MessageOf<'state'>

const NOT_OWNER_HINT = 'approve on the machine of a node started with --approve, as the user who runs it'

interface WatchEvents {
  /** A snapshot, with the local time it arrived (elapsed times grow from there). */
  state: [state: NodeStateMessage, receivedAt: number]
  /** The node refused something (a cancel of another client's task); the connection goes on. */
  notice: [message: string]
  lost: [reason: string]
}

export class WatchClient extends EventEmitter<WatchEvents> {
  lostReason: string | undefined
  /** `decide`s sent, answered in order (`decided`, or error DISTW_ERR_NOT_OWNER). */
  private readonly decisions: { resolve: (tasks: number) => void; reject: (error: Error) => void }[] = []

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

  /**
   * The owner's answer to a held program; resolves with how many held tasks it let go or failed. The
   * owner token is sent only to a node on this machine (loopback): it never crosses the network.
   */
  decide(digest: string, allow: boolean, token: Buffer): Promise<number> {
    if (!isLoopback(new URL(this.url).hostname)) {
      return Promise.reject(
        new UserError(`${this.info.name} is another machine's node: only its owner approves, there`, 'run it on that machine'),
      )
    }
    return new Promise((resolve, reject) => {
      this.decisions.push({ resolve, reject })
      void this.channel.send({ type: 'decide', digest, allow, token })
    })
  }

  /** `now`: drop the connection at once, without the close handshake (a monitor quitting has nothing to finish). */
  close(now = false): void {
    if (now) return this.channel.terminate()
    this.channel.close(1000, 'monitor closed')
  }

  private handle(message: Message): void {
    if (message.type === 'state') this.emit('state', message, performance.now())
    else if (message.type === 'decided') this.decisions.shift()?.resolve(message.tasks)
    else if (message.type === 'error' && message.code === 'DISTW_ERR_NOT_OWNER') {
      const pending = this.decisions.shift()
      if (pending) pending.reject(new UserError(`${this.info.name}: ${message.message}`, NOT_OWNER_HINT))
      else this.emit('notice', `${this.info.name}: ${message.message}`)
    } else if (message.type === 'error') this.emit('notice', `${this.info.name}: ${message.message}`)
    else throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a monitor does not accept ${message.type}`)
  }

  private lost(reason: string): void {
    if (this.lostReason) return
    this.lostReason = reason
    for (const pending of this.decisions.splice(0)) pending.reject(new ExternalError(`${this.info.name} lost: ${reason}`))
    this.emit('lost', reason)
  }
}
