// The import direction of src/, checked by `npm run lint` (docs/ARCHITECTURE.md draws it):
//   commands (+ flags, config) → submit / daemon / ui / watch / client → transfer / discovery / tasks / pool → protocol
// with the shared leaves (errors, version, secret, single-executable, closest) importable from anywhere but protocol.
// A rule here is a design decision: change it in the same commit as the docs' graph.
const lower = '^src/(transfer|discovery|tasks|pool)/'
const middle = '^src/(client|submit|daemon|ui|watch)/'
const leaves = '^src/(errors|version|secret|single-executable|closest)\\.ts$'
const top = '^src/(commands|config|flags)/|^src/(base-command|batch-run|command-words|index|lib|not-found)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle between modules: one of them is in the wrong place',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-stands-alone',
      severity: 'error',
      comment: 'src/protocol is the wire, the single source of truth: it imports nothing else of distw',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'lower-looks-down',
      severity: 'error',
      comment: 'transfer, discovery, tasks and pool are used by the parts above them, never the other way',
      from: { path: lower },
      to: { path: [middle, top] },
    },
    {
      name: 'middle-not-up',
      severity: 'error',
      comment: 'submit, daemon, ui, watch and client take options objects; they never see oclif flags or commands',
      from: { path: middle },
      to: { path: top },
    },
    {
      name: 'client-below-its-users',
      severity: 'error',
      comment: 'client/ is the connection that submit, watch and ui share: it imports none of them, nor the daemon',
      from: { path: '^src/client/' },
      to: { path: '^src/(submit|daemon|ui|watch)/' },
    },
    {
      name: 'daemon-serves-alone',
      severity: 'error',
      comment: 'the node does not depend on the submitter, the monitor or the terminal UI',
      from: { path: '^src/daemon/' },
      to: { path: '^src/(client|submit|ui|watch)/' },
    },
    {
      name: 'submit-not-ui',
      severity: 'error',
      comment: 'the submitter reports through SubmitObserver; ui/ draws it. (submit may start a node: --local.)',
      from: { path: '^src/submit/' },
      to: { path: '^src/(ui|watch)/' },
    },
    {
      name: 'watch-not-ui',
      severity: 'error',
      comment: 'watch/ gathers node state; ui/ draws it',
      from: { path: '^src/watch/' },
      to: { path: '^src/(ui|submit|daemon)/' },
    },
    {
      name: 'ui-not-daemon',
      severity: 'error',
      comment: 'ui/ draws what submit and watch report; it never reaches into a node',
      from: { path: '^src/ui/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'leaves-stay-leaves',
      severity: 'error',
      comment: 'errors, version, secret, single-executable and closest are imported from every layer: they import only the lower ones',
      from: { path: leaves },
      to: { path: [middle, top] },
    },
    {
      name: 'commands-only-from-index',
      severity: 'error',
      comment: 'a command is an entry point: only src/index.ts lists them',
      from: { path: '^src/', pathNot: '^src/(index\\.ts$|commands/)' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'an import that resolves to nothing',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mjs', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
}
