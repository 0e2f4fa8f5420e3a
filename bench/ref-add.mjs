// The JS reference importer (ipfs-unixfs-importer) configured as Kubo's
// defaults, on one file, blocks discarded: the reference `add -n` for benchmarks.
// Usage: node ref-add.mjs FILE [--profile=unixfs-v1-2025]
import { createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const modules = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'interop', 'node_modules')
const load = (name) => import(pathToFileURL(createRequire(join(modules, 'x.js')).resolve(name)).href)
const { importer } = await load('ipfs-unixfs-importer')
const profile = process.argv.includes('--profile=unixfs-v1-2025') ? 'unixfs-v1-2025' : 'unixfs-v0-2015'
const store = { put: async (cid) => cid }
let root
for await (const e of importer([{ path: 'f', content: createReadStream(process.argv[2], { highWaterMark: 1 << 20 }) }], store, { profile })) {
  root = e.cid
}
console.log(root.toString())
