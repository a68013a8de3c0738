// @ts-check
// What the daemon starts as its spawn helper process (see spawn-helper.mjs).
import { runSpawnHelper } from './spawn-helper.mjs'

runSpawnHelper()
