import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { EXIT, UserError } from '../../src/errors.js'
import { parseTasks, TaskFileError, topoOrder, type TaskSpec } from '../../src/tasks/index.js'
import { taskSpec } from '../helpers/task-spec.js'

const fixture = (name: string): Promise<string> => readFile(fileURLToPath(new URL(`../fixtures/tasks/${name}`, import.meta.url)), 'utf8')

// Parses text that must fail and returns the error, so each test can look at the message and problems.
function failure(text: string, source = 'tasks.txt'): TaskFileError {
  try {
    parseTasks(text, source)
  } catch (err) {
    if (err instanceof TaskFileError) return err
    throw err
  }
  throw new Error('parseTasks accepted text that should fail')
}

// The problems as `source:line: message` strings, the form the user sees.
const messages = (text: string): string[] => failure(text).message.split('\n')

// A file with `text` on line 7 (six comment lines before it), so prefixes are checked as `tasks.txt:7:`.
const onLine7 = (text: string): string => `${'# padding\n'.repeat(6)}${text}\n`

const shellTask = (line: number, shell: string): TaskSpec => taskSpec({ line, name: `task-${line}`, command: { shell }, autoInputs: true })

describe('parseTasks: lines', () => {
  it('turns each plain line into a shell task with defaults', () => {
    expect(parseTasks('gzip -9 < a.log > a.log.gz\necho hi', 'tasks.txt')).toEqual([
      shellTask(1, 'gzip -9 < a.log > a.log.gz'),
      shellTask(2, 'echo hi'),
    ])
  })

  it('skips blank lines, whitespace-only lines and comments, keeping line numbers', () => {
    const text = '\n# comment\n   \t\n   # indented comment\necho a\n\n\techo b  \n#echo c\n'
    expect(parseTasks(text, 'tasks.txt')).toEqual([shellTask(5, 'echo a'), shellTask(7, 'echo b')])
  })

  it('gives lines without a timeout or retries the batch-wide defaults (--timeout, --retries)', () => {
    const tasks = parseTasks('echo a\n{"run":"b"}\n{"run":"c","retries":0,"timeout":"1s"}', 't', { timeoutMs: 5000, retries: 2 })
    expect(tasks.map((t) => [t.timeoutMs, t.retries])).toEqual([
      [5000, 2],
      [5000, 2],
      [1000, 0],
    ])
  })

  it('keeps a # that is not at the start of the line', () => {
    expect(parseTasks('echo "#1" # trailing', 't')[0]?.command).toEqual({ shell: 'echo "#1" # trailing' })
  })

  it('accepts a UTF-8 BOM at the start', () => {
    expect(parseTasks('\uFEFFecho a\n', 't')).toEqual([shellTask(1, 'echo a')])
    expect(parseTasks('\uFEFF{"run":"x"}', 't')[0]?.command).toEqual({ shell: 'x' })
    expect(parseTasks('\uFEFF# comment\necho b', 't')).toEqual([shellTask(2, 'echo b')])
  })

  it('accepts CRLF line endings, for shell and JSON lines', () => {
    const tasks = parseTasks('echo a\r\n\r\n# c\r\n{"name":"j","run":"echo b"}\r\necho c\r\n', 't')
    expect(tasks.map((t) => [t.line, t.name, t.command])).toEqual([
      [1, 'task-1', { shell: 'echo a' }],
      [4, 'j', { shell: 'echo b' }],
      [5, 'task-5', { shell: 'echo c' }],
    ])
  })

  it('returns nothing for an empty file or one with only comments', () => {
    expect(parseTasks('', 't')).toEqual([])
    expect(parseTasks('# nothing\n\n', 't')).toEqual([])
  })

  it('treats a line whose first non-space character is { as JSON, anything else as shell', () => {
    const tasks = parseTasks('  {"run":"a"}\n[ -f x ] && echo y\necho {"run":"b"}', 't')
    expect(tasks.map((t) => t.command)).toEqual([{ shell: 'a' }, { shell: '[ -f x ] && echo y' }, { shell: 'echo {"run":"b"}' }])
  })

  it('reads the mixed fixture in file order with every field', async () => {
    const tasks = parseTasks(await fixture('mixed.tasks'), 'mixed.tasks')
    expect(tasks).toEqual([
      shellTask(3, 'gzip -9 < big.log > big.log.gz'),
      {
        line: 5,
        name: 'frame-7',
        command: { shell: './render --frame 7' },
        inputs: ['render', 'scene/**'],
        outputs: [],
        env: {},
        requires: { os: 'linux', env: ['LICENSE_SERVER'], tools: ['ffmpeg'] },
        timeoutMs: 20 * 60_000,
        retries: 2,
        after: [],
        priority: 0,
        slots: 1,
      },
      {
        line: 6,
        name: 'encode',
        command: { argv: ['ffmpeg', '-i', 'frame-7.png', 'out.mp4'] },
        inputs: [],
        outputs: ['out.mp4'],
        env: { THREADS: '4' },
        requires: { memory: 4 * 1024 ** 3, cpus: 2 },
        retries: 0,
        after: ['frame-7'],
        priority: 5,
        slots: 2,
        lock: 'gpu',
        autoInputs: true,
      },
      shellTask(7, 'echo "done with #7" && sha256sum out.mp4'),
    ])
  })
})

describe('parseTasks: JSON fields', () => {
  const one = (json: string): TaskSpec => {
    const [task] = parseTasks(json, 't')
    if (!task) throw new Error('no task')
    return task
  }

  it('names a JSON task without a name task-<line>', () => {
    expect(parseTasks('echo a\n{"run":"b"}', 't')[1]?.name).toBe('task-2')
  })

  it('trims a run command and keeps argv as given', () => {
    expect(one('{"run":"  ./x  "}').command).toEqual({ shell: './x' })
    expect(one('{"argv":["./x"," a b ",""]}').command).toEqual({ argv: ['./x', ' a b ', ''] })
  })

  it('accepts a single string for inputs, outputs and after', () => {
    const t = parseTasks('{"name":"a","run":"x"}\n{"run":"y","inputs":"in","outputs":"*.out","after":"a"}', 't')[1]
    expect(t).toMatchObject({ inputs: ['in'], outputs: ['*.out'], after: ['a'] })
  })

  it('drops repeated after names', () => {
    const t = parseTasks('{"name":"a","run":"x"}\n{"run":"y","after":["a","a"]}', 't')[1]
    expect(t?.after).toEqual(['a'])
  })

  it('reads timeout as a duration string or seconds', () => {
    expect(one('{"run":"x","timeout":"1h30m"}').timeoutMs).toBe(5_400_000)
    expect(one('{"run":"x","timeout":90}').timeoutMs).toBe(90_000)
    expect(one('{"run":"x","timeout":"90"}').timeoutMs).toBe(90_000)
    expect('timeoutMs' in one('{"run":"x"}')).toBe(false)
  })

  it('reads every requirement', () => {
    const t = one(
      '{"run":"x","requires":{"os":"linux","arch":"x64","env":["A","B=1","C="],"tools":["ffmpeg"],"tags":["gpu"],' +
        '"memory":"512M","cpus":4,"nodes":["n1"],"avoid":["n2"]}}',
    )
    expect(t.requires).toEqual({
      os: 'linux',
      arch: 'x64',
      env: ['A', 'B=1', 'C='],
      tools: ['ffmpeg'],
      tags: ['gpu'],
      memory: 512 * 1024 ** 2,
      cpus: 4,
      nodes: ['n1'],
      avoid: ['n2'],
    })
    expect(one('{"run":"x","requires":{"memory":1000}}').requires).toEqual({ memory: 1000 })
  })

  it('accepts env values that are strings, including empty ones', () => {
    expect(one('{"run":"x","env":{"A":"1","_b2":"","PATH":"/bin:/usr/bin"}}').env).toEqual({ A: '1', _b2: '', PATH: '/bin:/usr/bin' })
  })

  it('accepts names with spaces, Unicode and emoji', () => {
    const names = ['frame 7', 'Ünïcödé ñame', '渲染 第七帧', 'fire 🔥', 'a.b-c_d', '...', '-x']
    const text = names.map((n) => JSON.stringify({ name: n, run: 'x' })).join('\n')
    expect(parseTasks(text, 't').map((t) => t.name)).toEqual(names)
  })

  it('accepts a 200-character name', () => {
    expect(one(JSON.stringify({ name: 'n'.repeat(200), run: 'x' })).name).toHaveLength(200)
    expect(one(JSON.stringify({ name: '🔥'.repeat(50), run: 'x' })).name).toBe('🔥'.repeat(50))
  })

  it('accepts priority, retries and slots at their limits', () => {
    expect(one('{"run":"x","priority":-5,"retries":100,"slots":1}')).toMatchObject({ priority: -5, retries: 100, slots: 1 })
    expect(one('{"run":"x","retries":0,"priority":1000000000}')).toMatchObject({ retries: 0, priority: 1e9 })
  })
})

describe('parseTasks: errors', () => {
  it('is a UserError with exit code 2, a hint and the problems', () => {
    const err = failure(onLine7('{"run":"x","retries":-1}'))
    expect(err).toBeInstanceOf(UserError)
    expect(err.exitCode).toBe(EXIT.USAGE)
    expect(err.name).toBe('TaskFileError')
    expect(err.source).toBe('tasks.txt')
    expect(err.hint).toMatch(/fix/i)
    expect(err.problems).toEqual([{ line: 7, message: 'field "retries": expected an integer from 0 to 100, got -1' }])
    expect(err.message).toBe('tasks.txt:7: field "retries": expected an integer from 0 to 100, got -1')
  })

  // Every kind of problem a single line can have, each checked with its exact `tasks.txt:7:` message.
  it.each([
    ['invalid JSON', '{"run":"x",}', /^tasks\.txt:7: invalid JSON: .+ at column 12$/],
    ['invalid JSON, indented', '   {"run" "x"}', /^tasks\.txt:7: invalid JSON: .+ at column 11$/],
    ['run and argv', '{"run":"x","argv":["y"]}', 'tasks.txt:7: use either "run" (a shell command) or "argv" (a list of strings), not both'],
    ['neither run nor argv', '{"name":"n"}', 'tasks.txt:7: missing "run" (a shell command) or "argv" (a list of strings)'],
    ['run not a string', '{"run":["x"]}', 'tasks.txt:7: field "run": expected a shell command (a string), got a list'],
    ['run empty', '{"run":"  "}', 'tasks.txt:7: field "run": must not be empty'],
    ['argv empty', '{"argv":[]}', /^tasks\.txt:7: field "argv": expected a non-empty list of strings.*, got an empty list$/],
    ['argv a string', '{"argv":"./x"}', /^tasks\.txt:7: field "argv": expected a non-empty list of strings.*, got "\.\/x"$/],
    ['argv item not a string', '{"argv":["x",2]}', 'tasks.txt:7: field "argv[1]": expected a string, got 2'],
    ['argv program empty', '{"argv":[""]}', 'tasks.txt:7: field "argv[0]": the program (first item) must not be empty'],
    ['argv NUL', '{"argv":["x","a\\u0000b"]}', 'tasks.txt:7: field "argv[1]": contains a NUL character'],
    ['run NUL', '{"run":"a\\u0000b"}', 'tasks.txt:7: field "run": contains a NUL character'],
    [
      'unknown field with a guess',
      '{"run":"x","ouputs":["y"]}',
      'tasks.txt:7: unknown field "ouputs" (did you mean "outputs"?); known fields: name, run, argv, inputs, outputs, env, requires, timeout, retries, after, priority, slots, lock',
    ],
    [
      'unknown field without a guess',
      '{"run":"x","colour":"red"}',
      'tasks.txt:7: unknown field "colour"; known fields: name, run, argv, inputs, outputs, env, requires, timeout, retries, after, priority, slots, lock',
    ],
    [
      'a requirement at the top level',
      '{"run":"x","tools":["ffmpeg"]}',
      /^tasks\.txt:7: unknown field "tools" \(did you mean "requires\.tools"\?\)/,
    ],
    [
      'unknown requirement',
      '{"run":"x","requires":{"memroy":"4G"}}',
      'tasks.txt:7: unknown field "requires.memroy" (did you mean "requires.memory"?); known fields of "requires": os, arch, env, tools, tags, memory, cpus, nodes, avoid',
    ],
    ['name not a string', '{"run":"x","name":7}', 'tasks.txt:7: field "name": expected a string, got 7'],
    ['name empty', '{"run":"x","name":""}', 'tasks.txt:7: field "name": must not be empty'],
    ['name .', '{"run":"x","name":"."}', 'tasks.txt:7: field "name": cannot be "." or ".." (names become folder names)'],
    ['name ..', '{"run":"x","name":".."}', 'tasks.txt:7: field "name": cannot be "." or ".." (names become folder names)'],
    ['name with /', '{"run":"x","name":"a/b"}', 'tasks.txt:7: field "name": cannot contain "/" or "\\" (names become folder names)'],
    ['name with \\', '{"run":"x","name":"a\\\\b"}', 'tasks.txt:7: field "name": cannot contain "/" or "\\" (names become folder names)'],
    ['name with NUL', '{"run":"x","name":"a\\u0000b"}', 'tasks.txt:7: field "name": cannot contain control characters or NUL'],
    ['name with a tab', '{"run":"x","name":"a\\tb"}', 'tasks.txt:7: field "name": cannot contain control characters or NUL'],
    ['name with a newline', '{"run":"x","name":"a\\nb"}', 'tasks.txt:7: field "name": cannot contain control characters or NUL'],
    ['name with a lone surrogate', '{"run":"x","name":"a\\ud800"}', /^tasks\.txt:7: field "name": contains an unpaired UTF-16 surrogate/],
    ['name with a leading space', '{"run":"x","name":" a"}', 'tasks.txt:7: field "name": cannot start or end with a space'],
    [
      'name too long',
      JSON.stringify({ run: 'x', name: 'n'.repeat(201) }),
      'tasks.txt:7: field "name": is 201 characters long; the limit is 200',
    ],
    [
      'name too many bytes',
      JSON.stringify({ run: 'x', name: '語'.repeat(90) }),
      'tasks.txt:7: field "name": is 270 bytes long in UTF-8; the limit is 255',
    ],
    ['inputs not strings', '{"run":"x","inputs":[1]}', 'tasks.txt:7: field "inputs": expected a path or a list of paths, got a list'],
    [
      'inputs absolute',
      '{"run":"x","inputs":["/etc/passwd"]}',
      'tasks.txt:7: field "inputs[0]": "/etc/passwd" is absolute; write it relative to the folder you submit from',
    ],
    [
      'inputs drive letter',
      '{"run":"x","inputs":"C:\\\\data"}',
      'tasks.txt:7: field "inputs": "C:\\\\data" is absolute; write it relative to the folder you submit from',
    ],
    [
      'inputs ..',
      '{"run":"x","inputs":["ok","a/../../x"]}',
      'tasks.txt:7: field "inputs[1]": "a/../../x" leaves the folder with ".."; only files inside it can be used',
    ],
    ['inputs ~', '{"run":"x","inputs":"~/data"}', /^tasks\.txt:7: field "inputs": "~\/data" starts with "~", which is not expanded/],
    ['inputs empty string', '{"run":"x","inputs":[""]}', 'tasks.txt:7: field "inputs[0]": "" is empty'],
    [
      'outputs absolute',
      '{"run":"x","outputs":"/tmp/*"}',
      'tasks.txt:7: field "outputs": "/tmp/*" is absolute; write it relative to the folder you submit from',
    ],
    [
      'outputs ..',
      '{"run":"x","outputs":["../*"]}',
      'tasks.txt:7: field "outputs[0]": "../*" leaves the folder with ".."; only files inside it can be used',
    ],
    ['env not an object', '{"run":"x","env":["A=1"]}', 'tasks.txt:7: field "env": expected an object of NAME: "value", got a list'],
    [
      'env number value',
      '{"run":"x","env":{"N":8}}',
      'tasks.txt:7: field "env.N": expected a string (quote numbers and booleans: "8", "true"), got 8',
    ],
    [
      'env boolean value',
      '{"run":"x","env":{"B":true}}',
      'tasks.txt:7: field "env.B": expected a string (quote numbers and booleans: "8", "true"), got true',
    ],
    [
      'env bad name',
      '{"run":"x","env":{"1A":"x"}}',
      'tasks.txt:7: field "env": "1A" is not a valid variable name (letters, digits and _, not starting with a digit)',
    ],
    [
      'env name with =',
      '{"run":"x","env":{"A=B":"x"}}',
      'tasks.txt:7: field "env": "A=B" is not a valid variable name (letters, digits and _, not starting with a digit)',
    ],
    ['env __proto__', '{"run":"x","env":{"__proto__":"x"}}', 'tasks.txt:7: field "env": "__proto__" cannot be used as a variable name'],
    ['env NUL value', '{"run":"x","env":{"A":"\\u0000"}}', 'tasks.txt:7: field "env.A": contains a NUL character'],
    [
      'requires not an object',
      '{"run":"x","requires":"linux"}',
      /^tasks\.txt:7: field "requires": expected an object with some of: os, arch/,
    ],
    ['requires.os empty', '{"run":"x","requires":{"os":""}}', 'tasks.txt:7: field "requires.os": must not be empty'],
    [
      'requires.env not NAME',
      '{"run":"x","requires":{"env":["A","=x"]}}',
      'tasks.txt:7: field "requires.env[1]": "=x" is not NAME or NAME=value',
    ],
    [
      'requires.tools a string',
      '{"run":"x","requires":{"tools":"ffmpeg"}}',
      'tasks.txt:7: field "requires.tools": expected a list of strings, got "ffmpeg"',
    ],
    ['requires.tags empty item', '{"run":"x","requires":{"tags":["gpu",""]}}', 'tasks.txt:7: field "requires.tags[1]": must not be empty'],
    ['requires.memory bad', '{"run":"x","requires":{"memory":"4 gigs"}}', /^tasks\.txt:7: field "requires\.memory": invalid size "4 gigs"/],
    ['requires.memory zero', '{"run":"x","requires":{"memory":0}}', 'tasks.txt:7: field "requires.memory": must be more than 0 bytes'],
    ['requires.cpus zero', '{"run":"x","requires":{"cpus":0}}', 'tasks.txt:7: field "requires.cpus": expected an integer ≥ 1, got 0'],
    [
      'requires.cpus fraction',
      '{"run":"x","requires":{"cpus":1.5}}',
      'tasks.txt:7: field "requires.cpus": expected an integer ≥ 1, got 1.5',
    ],
    [
      'timeout bad',
      '{"run":"x","timeout":"20 minutes-ish"}',
      /^tasks\.txt:7: field "timeout": invalid duration "20 minutes-ish": use e\.g\./,
    ],
    ['timeout zero', '{"run":"x","timeout":0}', 'tasks.txt:7: field "timeout": must be longer than 0'],
    ['timeout too long', '{"run":"x","timeout":"30d"}', 'tasks.txt:7: field "timeout": must be at most 24 days'],
    [
      'timeout boolean',
      '{"run":"x","timeout":true}',
      /^tasks\.txt:7: field "timeout": expected a duration such as "90s", "20m" or "1h30m" .*, got true$/,
    ],
    ['retries negative', '{"run":"x","retries":-1}', 'tasks.txt:7: field "retries": expected an integer from 0 to 100, got -1'],
    ['retries too many', '{"run":"x","retries":101}', 'tasks.txt:7: field "retries": expected an integer from 0 to 100, got 101'],
    ['retries fraction', '{"run":"x","retries":1.5}', 'tasks.txt:7: field "retries": expected an integer from 0 to 100, got 1.5'],
    ['retries string', '{"run":"x","retries":"3"}', 'tasks.txt:7: field "retries": expected an integer from 0 to 100, got "3"'],
    ['priority fraction', '{"run":"x","priority":0.5}', /^tasks\.txt:7: field "priority": expected an integer .*, got 0\.5$/],
    ['slots zero', '{"run":"x","slots":0}', 'tasks.txt:7: field "slots": expected an integer from 1 to 1024, got 0'],
    ['lock empty', '{"run":"x","lock":""}', 'tasks.txt:7: field "lock": must not be empty'],
    ['lock number', '{"run":"x","lock":1}', 'tasks.txt:7: field "lock": expected a string, got 1'],
    ['after number', '{"run":"x","after":[1]}', 'tasks.txt:7: field "after": expected a task name or a list of task names, got a list'],
    ['after empty name', '{"run":"x","after":""}', 'tasks.txt:7: field "after": must not be empty'],
    ['NUL in a shell line', 'echo a\u0000b', 'tasks.txt:7: the command contains a NUL character'],
  ] as const)('%s', (_kind, line, expected) => {
    const [first, ...rest] = messages(onLine7(line))
    if (typeof expected === 'string') expect(first).toBe(expected)
    else expect(first).toMatch(expected)
    expect(rest).toEqual([])
  })

  it('reports every problem of one line', () => {
    const found = messages(onLine7('{"name":"a/b","run":"x","argv":["y"],"retries":-1,"inputs":["/abs","../up"],"colour":1}'))
    expect(found.sort()).toEqual(
      [
        'tasks.txt:7: use either "run" (a shell command) or "argv" (a list of strings), not both',
        'tasks.txt:7: unknown field "colour"; known fields: name, run, argv, inputs, outputs, env, requires, timeout, retries, after, priority, slots, lock',
        'tasks.txt:7: field "retries": expected an integer from 0 to 100, got -1',
        'tasks.txt:7: field "name": cannot contain "/" or "\\" (names become folder names)',
        'tasks.txt:7: field "inputs[0]": "/abs" is absolute; write it relative to the folder you submit from',
        'tasks.txt:7: field "inputs[1]": "../up" leaves the folder with ".."; only files inside it can be used',
      ].sort(),
    )
  })

  it('suggests the field a wrongly cased one was meant to be', () => {
    expect(messages('{"Run":"x","Inputs":["a"]}')).toEqual([
      'tasks.txt:1: missing "run" (a shell command) or "argv" (a list of strings)',
      'tasks.txt:1: unknown field "Run" (did you mean "run"?); known fields: name, run, argv, inputs, outputs, env, requires, timeout, retries, after, priority, slots, lock',
      'tasks.txt:1: unknown field "Inputs" (did you mean "inputs"?); known fields: name, run, argv, inputs, outputs, env, requires, timeout, retries, after, priority, slots, lock',
    ])
  })

  it('reports the problems of every line together, sorted by line, and returns nothing', async () => {
    const err = failure(await fixture('broken.tasks'), 'broken.tasks')
    const expected = (await fixture('expected-broken.txt')).trimEnd().split('\n')
    const lines = err.message.split('\n')
    expect(lines.slice(0, expected.length)).toEqual(expected)
    expect(lines[expected.length]).toMatch(/^broken\.tasks:7: invalid JSON: /)
    expect(lines).toHaveLength(expected.length + 1)
    expect(err.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7])
  })

  it('lists at most 20 problems, then says how many more', () => {
    const text = Array.from({ length: 25 }, (_, i) => `{"run":"x","retries":-${i + 1}}`).join('\n')
    const err = failure(text)
    const lines = err.message.split('\n')
    expect(lines).toHaveLength(21)
    expect(lines[0]).toBe('tasks.txt:1: field "retries": expected an integer from 0 to 100, got -1')
    expect(lines[19]).toBe('tasks.txt:20: field "retries": expected an integer from 0 to 100, got -20')
    expect(lines[20]).toBe('…and 5 more')
    expect(err.problems).toHaveLength(25)
  })

  it('names the source it was given', () => {
    expect(failure('{"run":1}', '<stdin>').message).toMatch(/^<stdin>:1: field "run"/)
  })
})

describe('parseTasks: names and after', () => {
  it('reports a duplicate name at the second line, naming the first', () => {
    expect(messages('{"name":"a","run":"x"}\necho\n{"name":"a","run":"y"}\n{"name":"a","run":"z"}')).toEqual([
      'tasks.txt:3: name "a" is already used by line 1',
      'tasks.txt:4: name "a" is already used by line 1',
    ])
  })

  it('reports an explicit name that is the default name of an unnamed task, at the named line', () => {
    expect(messages('echo\necho\n{"name":"task-2","run":"y"}\n{"name":"task-5","run":"y"}\n{"run":"z"}')).toEqual([
      'tasks.txt:3: name "task-2" is already the default name of the unnamed task on line 2',
      'tasks.txt:4: name "task-5" is already the default name of the unnamed task on line 5',
    ])
    // Only an unnamed task's line counts: "task-3" here names line 3 itself, and "task-9" names no line.
    expect(
      parseTasks('echo\n# c\n{"name":"task-3","run":"y"}\n{"name":"task-9","run":"y"}\n{"name":"task-02","run":"y"}', 't'),
    ).toHaveLength(4)
  })

  it('reports a duplicate even when the first line has other problems', () => {
    expect(messages('{"name":"a","run":"x","retries":-1}\n{"name":"a","run":"y"}')).toEqual([
      'tasks.txt:1: field "retries": expected an integer from 0 to 100, got -1',
      'tasks.txt:2: name "a" is already used by line 1',
    ])
  })

  it('accepts after naming earlier or later tasks, including shell tasks by default name', () => {
    const tasks = parseTasks('{"name":"b","run":"x","after":["a","task-3"]}\n{"name":"a","run":"y"}\necho z', 't')
    expect(tasks.map((t) => t.name)).toEqual(['b', 'a', 'task-3']) // file order, not run order
  })

  it('reports an unknown after name at the line that names it', () => {
    expect(messages('echo\n{"name":"b","run":"x","after":["a","frame 9"]}')).toEqual([
      'tasks.txt:2: "after" names "a", but no task has that name',
      'tasks.txt:2: "after" names "frame 9", but no task has that name',
    ])
  })

  it('does not report after naming a line that is itself broken', () => {
    expect(messages('{"name":"a","run":"x","retries":-1}\n{"name":"b","run":"y","after":"a"}')).toEqual([
      'tasks.txt:1: field "retries": expected an integer from 0 to 100, got -1',
    ])
  })

  it('reports a cycle once, at its first line, with its path', () => {
    expect(messages('echo\n{"name":"a","run":"x","after":"b"}\n{"name":"b","run":"y","after":"a"}')).toEqual([
      'tasks.txt:2: "after" makes a cycle: a -> b -> a (lines 2, 3); each waits for the next, so none can start',
    ])
  })

  it('reports a task that waits for itself', () => {
    expect(messages('{"name":"a","run":"x","after":"a"}')).toEqual([
      'tasks.txt:1: "after" makes a cycle: a -> a (line 1); each waits for the next, so none can start',
    ])
  })

  it('starts a longer cycle at its earliest line and quotes names with spaces', () => {
    const text = [
      '{"name":"c","run":"x","after":"frame 1"}',
      '{"name":"frame 1","run":"x","after":"b"}',
      '{"name":"b","run":"x","after":"c"}',
      '{"name":"d","run":"x","after":"c"}',
    ].join('\n')
    expect(messages(text)).toEqual([
      'tasks.txt:1: "after" makes a cycle: c -> "frame 1" -> b -> c (lines 1, 2, 3); each waits for the next, so none can start',
    ])
  })

  it('reports separate cycles separately, with the other problems', () => {
    const text = [
      '{"name":"a","run":"x","after":"b"}',
      '{"name":"b","run":"x","after":"a"}',
      '{"name":"c","run":"x","after":["d","zzz"]}',
      '{"name":"d","run":"x","after":"c"}',
    ].join('\n')
    expect(messages(text)).toEqual([
      'tasks.txt:1: "after" makes a cycle: a -> b -> a (lines 1, 2); each waits for the next, so none can start',
      'tasks.txt:3: "after" names "zzz", but no task has that name',
      'tasks.txt:3: "after" makes a cycle: c -> d -> c (lines 3, 4); each waits for the next, so none can start',
    ])
  })
})

describe('topoOrder', () => {
  const task = (line: number, name: string, after: string[] = []): TaskSpec => ({ ...shellTask(line, 'x'), name, after })

  it('puts every task after the tasks it waits for, otherwise in file order', () => {
    const tasks = [task(1, 'a', ['c']), task(2, 'b'), task(3, 'c', ['d']), task(4, 'd'), task(5, 'e', ['a', 'b'])]
    expect(topoOrder(tasks).map((t) => t.name)).toEqual(['d', 'c', 'a', 'b', 'e'])
  })

  it('keeps file order when nothing waits', () => {
    const tasks = [task(1, 'b'), task(2, 'a'), task(3, 'c')]
    expect(topoOrder(tasks)).toEqual(tasks)
  })

  it('handles a chain of 100,000 tasks without overflowing the stack', () => {
    const n = 100_000
    const tasks = Array.from({ length: n }, (_, i) => task(i + 1, `t${i}`, i + 1 < n ? [`t${i + 1}`] : []))
    const order = topoOrder(tasks)
    expect(order[0]?.name).toBe(`t${n - 1}`)
    expect(order[n - 1]?.name).toBe('t0')
  })

  it('throws a TaskFileError for duplicates, unknown names and cycles, naming the source', () => {
    const tasks = [task(1, 'a', ['b']), task(2, 'b', ['a']), task(3, 'a'), task(4, 'c', ['nope'])]
    let err: unknown
    try {
      topoOrder(tasks, 'api')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TaskFileError)
    expect((err as TaskFileError).message.split('\n')).toEqual([
      'api:1: "after" makes a cycle: a -> b -> a (lines 1, 2); each waits for the next, so none can start',
      'api:3: name "a" is already used by line 1',
      'api:4: "after" names "nope", but no task has that name',
    ])
  })

  it('is what parseTasks uses to check the graph of a large file', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `{"name":"n${i}","run":"x","after":${i ? `"n${i - 1}"` : '[]'}}`)
    lines.push('{"name":"n0x","run":"x","after":"n4999"}')
    const tasks = parseTasks(lines.join('\n'), 't')
    expect(topoOrder(tasks).map((t) => t.name)).toEqual(tasks.map((t) => t.name))
  })
})
