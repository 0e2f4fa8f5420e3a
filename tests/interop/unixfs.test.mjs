// The same inputs through ipfs-kit and through the JS reference importer
// (ipfs-unixfs-importer, configured as Kubo): every root CID must match.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { kitAdd, refAdd, tempDir, testdata, testdataToFile, boxoBoundaries, fixedLengths } from './helpers.mjs'

let tmp
const files = {}

before(() => {
  tmp = tempDir()
  const sizes = {
    empty: 0,
    one: 1,
    small: 1000,
    below: 262143,
    chunk: 262144,
    above: 262145,
    odd: 2000001,
    maxlinks: 174 * 262144,
    maxlinksplus: 174 * 262144 + 1,
    mib: 1048577
  }
  for (const [name, size] of Object.entries(sizes)) {
    files[name] = join(tmp.dir, name)
    testdataToFile(files[name], `interop-${name}`, size)
  }
})

after(() => tmp?.cleanup())

const same = async (paths, flags) => {
  const ours = kitAdd([...flags, ...paths])
  const ref = await refAdd(paths, flags)
  assert.equal(ours, ref, `ipfs-kit add ${flags.join(' ')} ${paths.join(' ')}`)
  return ours
}

const optionSets = [
  [],
  ['--raw-leaves'],
  ['--cid-version=1'],
  ['--cid-version=1', '--raw-leaves=false'],
  ['--trickle'],
  ['--trickle', '--raw-leaves'],
  ['--trickle', '--cid-version=1'],
  ['--chunker=size-1000'],
  ['--chunker=size-1000', '--trickle'],
  ['--chunker=size-4096', '--raw-leaves', '--max-file-links=7'],
  ['--profile=unixfs-v1-2025'],
  ['--profile=unixfs-v1-2025', '--trickle']
]

for (const flags of optionSets) {
  test(`files of every size: add ${flags.join(' ') || '(defaults)'}`, async () => {
    for (const name of ['empty', 'one', 'small', 'below', 'chunk', 'above', 'odd', 'mib']) {
      await same([files[name]], flags)
    }
  })
}

test('174 chunks and one byte more (the depth boundary)', async () => {
  for (const flags of [[], ['--raw-leaves'], ['--trickle'], ['--cid-version=1']]) {
    await same([files.maxlinks], flags)
    await same([files.maxlinksplus], flags)
  }
})

// Content-defined chunking. The JS reference's rabin (rabin-wasm) cuts at
// different places than Kubo's (boxo over whyrusleeping/chunker), and it has
// no buzhash, so it cannot judge boundaries: tests/unit/chunker_test.cc checks
// ours against boundaries produced by boxo's own code. Here the JS importer is
// fed exactly those boxo boundaries, and must build the same DAG we do.
test('rabin and buzhash DAGs match the JS reference over boxo\'s boundaries', async () => {
  const input = join(tmp.dir, 'chunker-random')
  testdataToFile(input, 'chunker-random', 6303457)
  const cases = [
    ['rabin-1000-65536-80000', 'random.rabin-1000-65536-80000.txt'],
    ['rabin-16-256-4096', 'random.rabin-16-256-4096.txt'],
    ['rabin', 'random.rabin-default.txt'],
    ['buzhash', 'random.buzhash.txt']
  ]
  for (const [spec, fixture] of cases) {
    const lengths = boxoBoundaries(fixture)
    for (const extra of [[], ['--raw-leaves'], ['--trickle'], ['--cid-version=1']]) {
      const flags = [`--chunker=${spec}`, ...extra]
      const ours = kitAdd([...flags, input])
      const ref = await refAdd([input], flags, fixedLengths(lengths))
      assert.equal(ours, ref, `${flags.join(' ')}`)
    }
  }
})

test('directory trees: nested, empty directories, unicode names, symlinks', async () => {
  const root = join(tmp.dir, 'tree')
  testdata('tree', root, 'interop-tree', 400, 700000)
  for (const flags of [['-r'], ['-r', '--raw-leaves'], ['-r', '--cid-version=1'], ['-r', '--trickle'],
    ['-r', '--profile=unixfs-v1-2025'], ['-r', '-w'], ['-r', '--chunker=size-65536']]) {
    await same([root], flags)
  }
})

test('hidden files are skipped unless -H', async () => {
  const root = join(tmp.dir, 'hidden')
  mkdirSync(join(root, '.config'), { recursive: true })
  writeFileSync(join(root, '.secret'), 'secret')
  writeFileSync(join(root, '.config', 'x'), 'x')
  writeFileSync(join(root, 'visible'), 'visible')
  const without = await same([root], ['-r'])
  const withHidden = await same([root], ['-r', '-H'])
  assert.notEqual(without, withHidden)
})

test('wrap several inputs in a directory', async () => {
  await same([files.small, files.one, files.chunk], ['-w'])
  await same([files.small, files.one], ['-w', '--cid-version=1'])
})

test('HAMT threshold: thousands of entries on both sides, both profiles', async () => {
  const dirs = [
    ['v0-at', 'hamt-unixfs-v0-2015', 4096, 30, 30, []],
    ['v0-over', 'hamt-unixfs-v0-2015', 4033, 31, 31, []],
    ['v1-at', 'hamt-unixfs-v1-2025', 4766, 11, 21, ['--profile=unixfs-v1-2025']],
    ['v1-over', 'hamt-unixfs-v1-2025', 4766, 11, 22, ['--profile=unixfs-v1-2025']]
  ]
  for (const [name, seed, count, len, last, flags] of dirs) {
    const dir = join(tmp.dir, name)
    testdata('kubo-dir', dir, seed, count, len, last)
    await same([dir], ['-r', ...flags])
    await same([dir], ['-r', '--raw-leaves', ...flags])
  }
})

test('a large sharded directory with unicode names and nested shards', async () => {
  const dir = join(tmp.dir, 'bigdir')
  mkdirSync(dir)
  for (let i = 0; i < 12000; i++) {
    const name = i % 3 === 0 ? `файл-${i}` : i % 3 === 1 ? `文件-${i}.txt` : `file-${i}-${'x'.repeat(i % 40)}`
    writeFileSync(join(dir, name), String(i))
  }
  mkdirSync(join(dir, 'sub'))
  symlinkSync('../elsewhere', join(dir, 'sub', 'link'))
  await same([dir], ['-r'])
  await same([dir], ['-r', '--cid-version=1'])
  await same([dir], ['-r', '--profile=unixfs-v1-2025'])
})

test('a file over 1 GiB', { timeout: 600000 }, async () => {
  const big = join(tmp.dir, 'big')
  testdataToFile(big, 'interop-big', 1073741824 + 4097)
  await same([big], [])
  await same([big], ['--profile=unixfs-v1-2025'])
})
