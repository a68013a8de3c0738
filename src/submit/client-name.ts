// The name a client gives in its hello. A monitor may cancel the tasks submitted under its own name.
import os from 'node:os'

export function clientName(): string {
  return `${os.userInfo().username}@${os.hostname()}`
}
