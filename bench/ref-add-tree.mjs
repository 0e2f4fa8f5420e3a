// The JS reference importer (ipfs-unixfs-importer, Kubo's defaults) adding a
// directory tree into an in-memory blockstore: the reference for `add -r`.
// Usage: node ref-add-tree.mjs DIR
import { createRequire } from 'node:module'
import { readdirSync, statSync, readFileSync } from 'node:fs'
import { join, dirname, basename } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const modules = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'interop', 'node_modules')
const load = (name) => import(pathToFileURL(createRequire(join(modules, 'x.js')).resolve(name)).href)
const { importer } = await load('ipfs-unixfs-importer')
const { MemoryBlockstore } = await load('blockstore-core/memory')

function * walk (abs, rel) {
  if (statSync(abs).isDirectory()) {
    yield { path: rel }
    for (const n of readdirSync(abs).sort()) yield * walk(join(abs, n), `${rel}/${n}`)
  } else {
    yield { path: rel, content: readFileSync(abs) }
  }
}

const root = process.argv[2]
const store = new MemoryBlockstore()
let last
for await (const e of importer(walk(root, basename(root)), store, { profile: 'unixfs-v0-2015' })) last = e.cid
console.log(last.toString())
