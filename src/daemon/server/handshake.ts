// The node's side of a connection's handshake: hello → challenge (the node proves it holds the secret)
// → auth (the submitter or monitor proves it) → ready. A wrong proof is counted against the address
// and answered late, so guessing is slow even below the limiter's bound.
import { computeProof, newNonce, proofMatches, ProtocolError, type Message, type MessageOf, type NodeInfo } from '../../protocol/index.js'
import type { Channel } from '../../transfer/channel.js'
import type { AuthLimiter } from './auth-limiter.js'

type State = { phase: 'hello' } | { phase: 'auth'; clientNonce: Buffer; nodeNonce: Buffer } | { phase: 'ready' }

export class Handshake {
  private state: State = { phase: 'hello' }
  /** The peer's hello: its role (submitter or monitor) and client name. */
  hello: MessageOf<'hello'> | undefined

  constructor(
    private readonly channel: Channel,
    private readonly node: { info: NodeInfo; secret: Buffer | undefined; limiter: AuthLimiter },
    private readonly address: string,
  ) {}

  get ready(): boolean {
    return this.state.phase === 'ready'
  }

  /** Takes one message before the handshake completed; true when it completes with this one (welcome is the caller's). */
  async step(message: Message): Promise<boolean> {
    const { state } = this
    if (state.phase === 'hello' && message.type === 'hello') {
      const nodeNonce = newNonce()
      const secret = this.node.secret
      this.state = { phase: 'auth', clientNonce: message.nonce, nodeNonce }
      this.hello = message
      await this.channel.send({
        type: 'challenge',
        auth: secret ? 'hmac' : 'none',
        nonce: nodeNonce,
        proof: secret ? computeProof(secret, 'distw-v1-node', message.nonce, nodeNonce) : Buffer.alloc(0),
        node: this.node.info,
      })
      return false
    }
    if (state.phase === 'auth' && message.type === 'auth') {
      const secret = this.node.secret
      if (secret && !proofMatches(computeProof(secret, 'distw-v1-client', state.clientNonce, state.nodeNonce), message.proof)) {
        await this.authFailed()
        throw new ProtocolError('DISTW_ERR_AUTH_FAILED', 'authentication failed: check that both sides use the same secret')
      }
      this.state = { phase: 'ready' }
      return true
    }
    throw new ProtocolError('DISTW_ERR_NOT_AUTHENTICATED', `${message.type} before the handshake completed`)
  }

  // Counted against the address; answered late, so guessing is slow even below the limit.
  private async authFailed(): Promise<void> {
    this.node.limiter.failed(this.address, 'wrong proof (secret differs, or a replayed handshake)')
    await new Promise((resolve) => setTimeout(resolve, this.node.limiter.failureDelayMs))
  }
}
