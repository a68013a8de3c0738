// GNU Parallel's and xargs's flags that distw has no flag for: a user who types them out of habit is told
// what distw does instead, rather than oclif's bare "Nonexistent flag". Two that ask for what distw does
// anyway are taken and dropped.
import { UserError } from '../errors.js'

/** Asks for what distw always does (or, like --will-cite, for nothing it does): dropped from the flags. */
const ALREADY = new Set(['--line-buffer', '--lb', '-r', '--no-run-if-empty', '--will-cite', '--no-notice'])

/** What to do instead, for each group of flags (spellings of one flag, or flags that ask the same). */
const GROUPS: readonly (readonly [readonly string[], string])[] = [
  [
    ['-u', '--ungroup'],
    'distw prints each line of output as it comes, tagged with its task (--no-tag for the bytes as they are, -k for argument order)',
  ],
  [
    ['--group'],
    'distw prints each line of output as it comes, tagged with its task; -k prints each task’s output together, in argument order',
  ],
  [['-X', '-m', '--xargs'], 'use -N n to put n arguments in each task ({} is all of them)'],
  [['-L', '--max-lines'], 'use -N n to put n arguments (lines) in each task'],
  [['-s', '--max-chars'], 'distw puts -N n arguments in each task; it does not fill command lines up to a length'],
  [['--shuf'], 'shuffle the arguments before they reach distw: shuf list.txt | distw run …'],
  [['--delay'], 'distw starts a task as soon as a slot is free; lower -j to start fewer at once'],
  [['--results', '--res'], 'use --out DIR (each task’s files in DIR/<task>/) and --joblog FILE (each task’s exit, time and node)'],
  [
    ['-q', '--quote'],
    "arguments are already shell-quoted where they are put; quote the command yourself (distw run 'cmd {} | sort' ::: …)",
  ],
  [
    ['--pipe'],
    'distw runs one task per argument, not per block of standard input: split the input into files first (split -l 10000 big.txt part-) and run on those',
  ],
  [
    ['--pipepart'],
    'distw runs one task per argument, not per block of a file: split it into files first (split -l 10000 big.txt part-) and run on those',
  ],
  [['-v', '--verbose', '-t'], 'use --dry-run to print each task (and the files it would send) without running it'],
  [['-p', '--interactive'], 'distw does not ask before each task; --dry-run prints them all first'],
  [
    ['-S', '--sshlogin', '--sshloginfile', '--slf', '--ssh'],
    'distw runs on the nodes of its pool, found on the LAN (distw peers lists them); name nodes with --peer HOST:PORT',
  ],
  [
    ['--transfer', '--transferfile', '--tf', '--return', '--trc', '--basefile', '--bf'],
    'distw sends the files the command names and brings back every file a task creates or changes: drop the flag (--dry-run shows what each task sends)',
  ],
  [['--cleanup'], 'each task runs in a fresh folder on its node, removed when it ends: drop the flag'],
  [['--workdir', '--wd'], 'each task runs in a fresh folder on its node, holding its inputs at their paths: drop the flag'],
  [['--env'], 'give a task its environment with a JSON task line\'s "env" field (distw submit; README, "Task lines")'],
  [['--nice'], 'a node’s owner caps what tasks use there (distw daemon --task-cpus, --task-memory); there is no per-batch nice'],
  [['--memfree'], 'a JSON task line\'s "requires": {"memory": "4G"} places it only on nodes with that much'],
  [['--load'], 'distw places tasks by the slots each node offers; a JSON task line\'s "requires" picks nodes'],
  [['--tmux', '--tmuxpane'], 'watch the tasks live with distw top'],
  [['--header'], 'distw reads no header line; drop it (tail -n +2 data.csv | distw run --colsep , …) and name columns {1}, {2}, …'],
  [['--tagstring'], 'each line is tagged with its task’s name; --no-tag prints the bytes as they are'],
  [['--plus', '--rpl'], 'distw’s replacement strings are {} {.} {/} {//} {/.} {#} {%} and {1} {2.} …: see distw run --help'],
  [['--bg'], 'distw waits for its batch; run it in the background with your shell (distw run … &)'],
  [['--fg'], 'distw waits for its batch already: drop the flag'],
  [['--semaphore', '--sem'], 'not a distw mode; a JSON task line\'s "lock" runs one task per lock per node'],
]

/** What to do instead, by the flag as typed. */
const INSTEAD = new Map(GROUPS.flatMap(([flags, instead]) => flags.map((flag) => [flag, instead] as const)))

/**
 * `flags` without the ones that ask for what distw does anyway; throws a UserError naming what to do
 * instead for a GNU Parallel or xargs flag distw does not have (`--delay=1` as well as `--delay 1`).
 */
export function withoutParallelHabits(flags: readonly string[]): string[] {
  for (const word of flags) {
    const name = word.startsWith('--') ? word.split('=')[0]! : word.slice(0, 2)
    const instead = INSTEAD.get(name)
    if (instead !== undefined) throw new UserError(`${name} is GNU Parallel's (or xargs's), not distw's`, instead)
  }
  return flags.filter((word) => !ALREADY.has(word))
}
