// Writes seed inputs for the fuzz targets (fuzz/corpus/<target>/) from the JS
// reference implementations, so fuzzing starts from well-formed data.
// Usage: node make-fuzz-seeds.mjs ../../fuzz/corpus
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'
import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { bases } from 'multiformats/basics'

const out = process.argv[2]
const write = (target, name, bytes) => {
  const dir = join(out, target)
  mkdirSync(dir, { recursive: true })
  const id = createHash('sha1').update(bytes).digest('hex').slice(0, 16)
  writeFileSync(join(dir, `seed-${name}-${id}`), bytes)
}

async function importBlocks (entries, opts) {
  const blocks = []
  const store = { put: async (cid, bytes) => { blocks.push({ cid, bytes }); return cid } }
  let root
  for await (const e of importer(entries, store, opts)) root = e.cid
  return { root, blocks }
}

const te = new TextEncoder()
const variants = [
  ['v0', { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 64 }), layout: balanced({ maxChildrenPerNode: 4 }) }],
  ['v1', { cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 50 }), layout: balanced({ maxChildrenPerNode: 3 }) }],
  ['trickle', { cidVersion: 0, rawLeaves: false, leafType: 'raw', reduceSingleLeafToSelf: false, chunker: fixedSize({ chunkSize: 40 }), layout: trickle({ maxChildrenPerNode: 3, layerRepeat: 2 }) }],
  ['hamt', { cidVersion: 1, shardSplitThresholdBytes: 200 }]
]
const content = te.encode('the quick brown fox jumps over the lazy dog. '.repeat(30))
for (const [name, opts] of variants) {
  const entries = [
    { path: 'root/a.txt', content },
    { path: 'root/b/c.txt', content: content.slice(0, 100) },
    { path: 'root/empty' },
    { path: 'root/link', link: '../a.txt' },
    ...Array.from({ length: name === 'hamt' ? 30 : 2 }, (_, i) => ({ path: `root/f${i}`, content: te.encode(String(i)) }))
  ]
  const { root, blocks } = await importBlocks(entries, opts)
  for (const b of blocks.slice(0, 12)) {
    if (b.cid.code === dagPb.code) {
      write('dagpb', name, b.bytes)
      const node = dagPb.decode(b.bytes)
      if (node.Data) write('unixfs', name, node.Data)
    }
  }
  for (const useRoot of [root, blocks[0].cid]) {
    const { writer, out: carOut } = CarWriter.create([useRoot])
    const chunks = []
    const collect = (async () => { for await (const c of carOut) chunks.push(c) })()
    for (const b of blocks) await writer.put(b)
    await writer.close()
    await collect
    const car = Buffer.concat(chunks)
    write('car', name, car)
    write('exporter', name, car)
    write('dagcbor', name, car.subarray(1, 1 + car[0]))
  }
  for (const b of bases ? Object.values(bases) : []) {
    write('multibase', `${name}-${b.name}`, te.encode(b.encode(root.bytes)))
  }
  write('cid', name, te.encode(root.toString()))
  write('cid', `${name}-bin`, root.bytes)
}
write('cid', 'v0', te.encode('QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH'))
write('cid', 'identity', te.encode('bafkqaedknncdsodknncdsnzvnbvuioak'))
write('dagcbor', 'v2', Buffer.from('a16776657273696f6e02', 'hex'))
for (const spec of ['size-1000', 'rabin-16-256-4096', 'rabin-min:100-avg:200-max:300', 'buzhash']) write('chunker', 'spec', te.encode(spec))
write('chunker', 'data', Buffer.concat([Buffer.from([3]), content]))
console.log('seeds written to', out)
