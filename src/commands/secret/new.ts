import { Args } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { writeNewSecret, writeSecretToStdout } from '../../secret.js'

export default class SecretNew extends BaseCommand {
  static override summary = 'Make a new random shared secret for nodes and submitters.'
  static override description =
    'Writes 32 random bytes (hex) to FILE, readable by you only (mode 600); never overwrites a file. Without FILE, standard output must be redirected to a file (`> FILE`), which is then made mode 600; a terminal or a pipe is refused (a secret shown or passed on is no secret). Copy the file to every machine and pass it with --secret-file (or put its content in DISTW_SECRET). `distw pool new` does all this with a join code instead of a file to copy.'
  static override examples = [
    '<%= config.bin %> secret new ~/.config/distw/secret',
    '<%= config.bin %> daemon --secret-file ~/.config/distw/secret --bind 0.0.0.0',
  ]

  static override args = {
    // ignoreStdin: else oclif takes piped standard input as the file name.
    file: Args.string({ description: 'file to create (mode 600)', required: false, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args } = await this.parse(SecretNew)
    if (args.file === undefined) return writeSecretToStdout()
    await writeNewSecret(args.file)
    process.stderr.write(`wrote a new secret to ${args.file} (mode 600)\n`)
  }
}
