// CARs across implementations: ipfs-kit's `dag export` read by @ipld/car
// (every block re-hashed, block set equal to the JS importer's), and CARs
// written by @ipld/car imported by ipfs-kit and read back.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, createReadStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { CarReader, CarWriter } from '@ipld/car'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagPb from '@ipld/dag-pb'
import { importer } from 'ipfs-unixfs-importer'
import { IPFS_KIT, tempDir, testdata, testdataToFile, importerOptions } from './helpers.mjs'

let tmp, env

before(() => {
  tmp = tempDir()
  env = { ...process.env, IPFS_KIT_PATH: join(tmp.dir, 'repo') }
})
after(() => tmp?.cleanup())

const kit = (args, opts = {}) => {
  const r = spawnSync(IPFS_KIT, args, { env, maxBuffer: 1 << 30, ...opts })
  if (r.status !== 0) throw new Error(`ipfs-kit ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

// Blocks the JS importer produces for `path`, keyed by CID string.
async function jsBlocks (path, flags, isDir) {
  const blocks = new Map()
  const store = { put: async (cid, bytes) => { blocks.set(cid.toString(), { cid, bytes }); return cid } }
  const opts = importerOptions(flags)
  const { readdirSync, lstatSync, readlinkSync } = await import('node:fs')
  function * walk (abs, rel) {
    const st = lstatSync(abs)
    if (st.isSymbolicLink()) yield { path: rel, link: readlinkSync(abs) }
    else if (st.isDirectory()) {
      yield { path: rel }
      for (const n of readdirSync(abs).filter(n => !n.startsWith('.')).sort()) yield * walk(join(abs, n), `${rel}/${n}`)
    } else yield { path: rel, content: createReadStream(abs) }
  }
  let root
  for await (const e of importer(isDir ? walk(path, 'root') : [{ path: 'f', content: createReadStream(path) }], store, opts)) root = e.cid
  return { root, blocks }
}

// The JS blocks reachable from `root` (the importer's blockstore also
// receives intermediate blocks that the final DAG does not use).
function reachable (root, blocks) {
  const out = new Set()
  const stack = [root]
  while (stack.length > 0) {
    const cid = stack.pop()
    const key = cid.toString()
    if (out.has(key)) continue
    out.add(key)
    const b = blocks.get(key)
    assert.ok(b, `JS importer did not produce ${key}`)
    if (cid.code === dagPb.code) for (const l of dagPb.decode(b.bytes).Links) stack.push(l.Hash)
  }
  return out
}

async function verifyCar (bytes) {
  const reader = await CarReader.fromBytes(bytes)
  const seen = new Map()
  for await (const { cid, bytes: data } of reader.blocks()) {
    const digest = await sha256.digest(data)
    assert.deepEqual(digest.bytes, cid.multihash.bytes, `block ${cid} does not match its hash`)
    if (cid.code === dagPb.code) dagPb.decode(data)  // must be valid dag-pb
    else assert.equal(cid.code, raw.code)
    seen.set(cid.toString(), data)
  }
  return { roots: await reader.getRoots(), blocks: seen }
}

for (const [name, flags] of [['v0', []], ['raw', ['--raw-leaves']], ['v1', ['--cid-version=1']], ['trickle', ['--trickle']]]) {
  test(`dag export (${name}) verifies in @ipld/car and holds the JS importer's blocks`, async () => {
    const tree = join(tmp.dir, `tree-${name}`)
    testdata('tree', tree, `car-tree-${name}`, 150, 600000)
    const root = kit(['add', '-r', '-Q', ...flags, tree]).toString().trim()
    const car = kit(['dag', 'export', root])
    const { roots, blocks } = await verifyCar(car)
    assert.equal(roots.length, 1)
    assert.equal(roots[0].toString(), root)
    const ref = await jsBlocks(tree, flags, true)
    assert.equal(ref.root.toString(), root)
    assert.deepEqual([...blocks.keys()].sort(), [...reachable(ref.root, ref.blocks)].sort())
    // Kubo's order: the root first, then depth first.
    const first = (await CarReader.fromBytes(car)).blocks()
    assert.equal((await first.next()).value.cid.toString(), root)
  })
}

test('dag export of a large file: every block verified, order depth first', async () => {
  const file = join(tmp.dir, 'big.bin')
  testdataToFile(file, 'car-big', 50 * 1024 * 1024 + 7)
  const root = kit(['add', '-Q', file]).toString().trim()
  const car = kit(['dag', 'export', root])
  const { blocks } = await verifyCar(car)
  const ref = await jsBlocks(file, [], false)
  assert.deepEqual([...blocks.keys()].sort(), [...reachable(ref.root, ref.blocks)].sort())
})

test('a CAR written by @ipld/car imports and reads back', async () => {
  for (const flags of [[], ['--cid-version=1'], ['--trickle', '--raw-leaves']]) {
    const tree = join(tmp.dir, `js-tree-${flags.join('')}`)
    testdata('tree', tree, `js-car-${flags.join('')}`, 120, 400000)
    const { root, blocks } = await jsBlocks(tree, flags, true)
    const { writer, out } = CarWriter.create([root])
    const chunks = []
    const collect = (async () => { for await (const c of out) chunks.push(c) })()
    for (const b of blocks.values()) await writer.put(b)
    await writer.close()
    await collect
    const carPath = join(tmp.dir, `js-${flags.join('')}.car`)
    writeFileSync(carPath, Buffer.concat(chunks))
    const res = kit(['dag', 'import', carPath]).toString()
    assert.match(res, new RegExp(`Pinned root\\t${root}\\tsuccess`))
    const outDir = join(tmp.dir, `out-${flags.join('')}`)
    kit(['get', root.toString(), '-o', outDir])
    const diff = spawnSync('diff', ['-r', '--no-dereference', tree, outDir])
    assert.equal(diff.status, 0, `tree differs after import: ${diff.stdout}`)
  }
})

test('our CARv2 (with index) reads in @ipld/car', async () => {
  const file = join(tmp.dir, 'v2.bin')
  testdataToFile(file, 'car-v2', 3 * 1024 * 1024)
  const root = kit(['add', '-Q', '--cid-version=1', file]).toString().trim()
  const carPath = join(tmp.dir, 'x-v2.car')
  kit(['dag', 'export', '--car-version=2', '-o', carPath, root])
  const bytes = readFileSync(carPath)
  assert.deepEqual([...bytes.subarray(0, 11)], [0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02])
  const { roots, blocks } = await verifyCar(bytes)
  assert.equal(roots[0].toString(), root)
  assert.equal(blocks.size, 13)  // 12 raw leaves of 256 KiB and the root
})
