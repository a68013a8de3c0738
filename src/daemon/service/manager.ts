// Installs, removes and inspects the login service on this platform. Home folder, environment and the
// way outside tools (systemctl, launchctl, schtasks) are run are injected, so tests never touch the real
// home or the real service manager.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { launchAgentPath, launchAgentPlist } from './launchd.js'
import { LAUNCHD_LABEL, SERVICE_NAME, type ServiceSpec } from './spec.js'
import { systemdUnit, systemdUnitPath } from './systemd.js'
import { scheduledTaskPath, scheduledTaskXml } from './windows.js'

export type ToolRunner = (command: string, args: string[]) => Promise<{ ok: boolean; output: string }>

export interface ServiceContext {
  platform: NodeJS.Platform
  home: string
  env: NodeJS.ProcessEnv
  run: ToolRunner
}

export interface ServiceReport {
  file: string
  /** What was done or found, one line each, for the user. */
  lines: string[]
}

export interface ServiceStatus {
  file: string
  installed: boolean
  /** undefined: the service manager could not be asked. */
  running: boolean | undefined
  detail: string
}

// Runs an outside tool; a missing tool or a failure is a result, not an exception. execa is imported
// here, when a service command runs: oclif's command table loads every command's module at start,
// and execa's ~100 files cost every `distw` invocation ~100 ms of start-up (measured).
export const runTool: ToolRunner = async (command, args) => {
  const { execa } = await import('execa')
  const result = await execa(command, args, { reject: false, all: true, stdin: 'ignore', timeout: 20_000 })
  return { ok: result.exitCode === 0, output: (result.all ?? '').trim() }
}

// The context of the current user and platform.
export function currentContext(): ServiceContext {
  return { platform: process.platform, home: os.homedir(), env: process.env, run: runTool }
}

// The service definition file for this platform.
export function serviceFile(ctx: ServiceContext): string {
  if (ctx.platform === 'darwin') return launchAgentPath(ctx.home)
  if (ctx.platform === 'win32') return scheduledTaskPath(ctx.home, ctx.env)
  return systemdUnitPath(ctx.home, ctx.env)
}

// The file's content for this platform.
export function serviceDefinition(ctx: ServiceContext, spec: ServiceSpec): string {
  if (ctx.platform === 'darwin') return launchAgentPlist(spec)
  if (ctx.platform === 'win32') return scheduledTaskXml(spec, ctx.env.USERNAME)
  return systemdUnit(spec)
}

// Writes the definition and (when `start`) registers and starts it with the service manager.
export async function installService(ctx: ServiceContext, spec: ServiceSpec, start: boolean): Promise<ServiceReport> {
  const file = serviceFile(ctx)
  const text = serviceDefinition(ctx, spec)
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, ctx.platform === 'win32' ? Buffer.from('\ufeff' + text, 'utf16le') : text)
  const lines = [`wrote ${file}`]
  if (!start) return { file, lines: [...lines, 'not started (--no-start)'] }
  const steps = startSteps(ctx, file)
  for (const [command, args] of steps) {
    const result = await ctx.run(command, args)
    const shown = `${command} ${args.join(' ')}`
    if (!result.ok)
      return {
        file,
        lines: [
          ...lines,
          `could not run \`${shown}\`: ${result.output || 'failed'}`,
          `run it yourself once the service manager is available`,
        ],
      }
    lines.push(`ran \`${shown}\``)
  }
  if (ctx.platform === 'linux') lines.push(`to start it at boot without a login: loginctl enable-linger "${ctx.env.USER ?? '$USER'}"`)
  return { file, lines }
}

// The commands that register and start the service.
function startSteps(ctx: ServiceContext, file: string): Array<[string, string[]]> {
  if (ctx.platform === 'darwin') return [['launchctl', ['load', '-w', file]]]
  if (ctx.platform === 'win32')
    return [
      ['schtasks', ['/Create', '/F', '/TN', SERVICE_NAME, '/XML', file]],
      ['schtasks', ['/Run', '/TN', SERVICE_NAME]],
    ]
  return [
    ['systemctl', ['--user', 'daemon-reload']],
    ['systemctl', ['--user', 'enable', '--now', SERVICE_NAME]],
  ]
}

// Stops and unregisters the service, then removes its file. Missing pieces are reported, not errors.
export async function uninstallService(ctx: ServiceContext): Promise<ServiceReport> {
  const file = serviceFile(ctx)
  const lines: string[] = []
  const steps: Array<[string, string[]]> =
    ctx.platform === 'darwin'
      ? [['launchctl', ['unload', '-w', file]]]
      : ctx.platform === 'win32'
        ? [['schtasks', ['/Delete', '/F', '/TN', SERVICE_NAME]]]
        : [['systemctl', ['--user', 'disable', '--now', SERVICE_NAME]]]
  const exists = await fs.stat(file).then(
    () => true,
    () => false,
  )
  if (exists) {
    for (const [command, args] of steps) {
      const result = await ctx.run(command, args)
      lines.push(
        result.ok ? `ran \`${command} ${args.join(' ')}\`` : `\`${command} ${args.join(' ')}\` failed: ${result.output || 'failed'}`,
      )
    }
    await fs.rm(file, { force: true })
    lines.push(`removed ${file}`)
    if (ctx.platform === 'linux') await ctx.run('systemctl', ['--user', 'daemon-reload'])
  } else lines.push(`not installed (no ${file})`)
  return { file, lines }
}

// Whether the service is installed and whether the service manager says it runs.
export async function serviceStatus(ctx: ServiceContext): Promise<ServiceStatus> {
  const file = serviceFile(ctx)
  const installed = await fs.stat(file).then(
    () => true,
    () => false,
  )
  const [command, args]: [string, string[]] =
    ctx.platform === 'darwin'
      ? ['launchctl', ['list', LAUNCHD_LABEL]]
      : ctx.platform === 'win32'
        ? ['schtasks', ['/Query', '/TN', SERVICE_NAME, '/FO', 'LIST']]
        : ['systemctl', ['--user', 'is-active', SERVICE_NAME]]
  const result = await ctx.run(command, args).catch((error: Error) => ({ ok: false, output: error.message }))
  const running = runningFrom(ctx.platform, result)
  const detail = running === undefined ? `could not ask the service manager (${command}): ${result.output || 'failed'}` : result.output
  return { file, installed, running, detail }
}

// Reads the service manager's answer: true/false when it answered clearly, undefined otherwise.
function runningFrom(platform: NodeJS.Platform, result: { ok: boolean; output: string }): boolean | undefined {
  if (platform === 'linux') {
    const state = result.output.split('\n').pop()?.trim() ?? ''
    if (state === 'active') return true
    if (['inactive', 'failed', 'activating', 'deactivating', 'unknown'].includes(state)) return false
    return undefined
  }
  if (platform === 'darwin') return result.ok ? /"PID"\s*=/.test(result.output) : false
  if (!result.ok) return false
  return /Running/i.test(result.output)
}
