#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources directly: oclif's own dist→src mapping does not find tsx, so point the
// explicit command target (and the not-found hook) at src/ (see shared STACK-NOTES).
import { execute } from '@oclif/core'
import { readFileSync } from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands.target = './src/index.ts'
pjson.oclif.hooks.command_not_found = './src/not-found.ts'
await execute({ development: true, loadOptions: { root, pjson, isRoot: true } })
