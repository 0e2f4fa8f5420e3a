// The real kubo-rpc-client (npm) drives the daemon's MFS commands
// (/api/v0/files/*): every files.* method it has, and chcid, touch and chmod
// (which its high-level API lacks) through its low-level client. Results are
// checked against independent computations: the JS reference importer's
// trickle DAG for what `files write` builds, the bytes written, and the
// ipfs-kit CLI reading the same repository (directly, and through the daemon).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { create } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core'
import all from 'it-all'
import { startDaemon, importerOptions, kitAdd, tempDir } from './helpers.mjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const { Client } = await import(new URL('./node_modules/kubo-rpc-client/dist/src/lib/core.js', import.meta.url))

let daemon, ipfs, rawClient, work

before(() => {
  daemon = startDaemon()
  ipfs = create({ url: `${daemon.rpc}/api/v0` })
  rawClient = new Client({ url: `${daemon.rpc}/api/v0` })
  work = tempDir()
})

after(() => {
  daemon?.stop()
  work?.cleanup()
})

const bytes = (s) => new TextEncoder().encode(s)
const text = (chunks) => Buffer.concat(chunks.map(c => Buffer.from(c))).toString()
async function post (command, params) {
  const res = await rawClient.post(command, { searchParams: params })
  return res.text()
}

// The JS reference importer's CID for `data` under the given add flags.
async function referenceCid (data, flags) {
  const opts = importerOptions(flags)
  const entries = await all(importer([{ content: data }], new MemoryBlockstore(), opts))
  return entries[entries.length - 1].cid.toString()
}

function pseudoRandom (size, seed) {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

test('files.write builds the trickle DAG Kubo does (CIDv0 and CIDv1)', async () => {
  for (const [size, flags, opts] of [
    [12, ['--trickle'], {}],
    [262144 * 5 + 3, ['--trickle'], {}],
    [700000, ['--trickle', '--cid-version=1'], { cidVersion: 1 }]
  ]) {
    const data = pseudoRandom(size, size)
    const path = `/w/${size}`
    await ipfs.files.write(path, data, { create: true, parents: true, ...opts })
    const stat = await ipfs.files.stat(path)
    assert.equal(stat.type, 'file')
    assert.equal(Number(stat.size), size)
    assert.equal(stat.cid.toString(), await referenceCid(data, flags), `size ${size}`)
    const back = Buffer.concat(await all(ipfs.files.read(path)))
    assert.ok(back.equals(Buffer.from(data)))
  }
})

test('files.write at an offset, with truncate and length; files.read with offset and length', async () => {
  await ipfs.files.write('/o.txt', bytes('hello world'), { create: true })
  await ipfs.files.write('/o.txt', bytes('WORLD'), { offset: 6 })
  assert.equal(text(await all(ipfs.files.read('/o.txt'))), 'hello WORLD')
  assert.equal(text(await all(ipfs.files.read('/o.txt', { offset: 2, length: 3 }))), 'llo')
  await ipfs.files.write('/o.txt', bytes('abcdef'), { truncate: true, length: 2 })
  assert.equal(text(await all(ipfs.files.read('/o.txt'))), 'ab')
  await assert.rejects(ipfs.files.write('/missing.txt', bytes('x')), /does not exist/)
  await assert.rejects(all(ipfs.files.read('/o.txt', { offset: 10 })), /past end/)
})

test('files.mkdir, ls, cp (links /ipfs/ content without copying), mv, rm, flush', async () => {
  await ipfs.files.mkdir('/d/e/f', { parents: true })
  await assert.rejects(ipfs.files.mkdir('/d'), /already exists/)
  const { cid } = await ipfs.add(bytes('Hello Mars!\n'), { pin: false })
  await ipfs.files.cp(`/ipfs/${cid}`, '/d/mars.txt')
  await ipfs.files.cp(cid, '/d/e/') // a CID object, into a directory
  const listing = await all(ipfs.files.ls('/d'))
  assert.deepEqual(listing.map(e => [e.name, e.type]).sort(), [['e', 'directory'], ['mars.txt', 'file']])
  const mars = listing.find(e => e.name === 'mars.txt')
  assert.equal(mars.cid.toString(), cid.toString())
  assert.equal(Number(mars.size), 12)
  assert.deepEqual((await all(ipfs.files.ls('/d/e'))).map(e => e.name).sort(), [cid.toString(), 'f'])
  await ipfs.files.mv('/d/mars.txt', '/d/red.txt')
  await ipfs.files.mv('/d/red.txt', '/d/e')
  assert.deepEqual((await all(ipfs.files.ls('/d/e'))).map(e => e.name).sort(), [cid.toString(), 'f', 'red.txt'])
  await assert.rejects(ipfs.files.rm('/d'), /directory/)
  await ipfs.files.rm('/d/e/red.txt')
  await ipfs.files.rm('/d', { recursive: true })
  await assert.rejects(ipfs.files.stat('/d'), /does not exist/)
  const root = await ipfs.files.flush('/')
  assert.ok(root instanceof CID)
  assert.equal(root.toString(), (await ipfs.files.stat('/')).cid.toString())
})

test('a tree made with files.* equals add -r of the same tree (Kubo vector)', async () => {
  const marsCid = (await ipfs.add(bytes('Hello Mars!\n'), { pin: false })).cid
  const venusCid = (await ipfs.add(bytes('Hello Venus!\n'), { pin: false })).cid
  await ipfs.files.mkdir('/planets')
  await ipfs.files.cp(`/ipfs/${marsCid}`, '/planets/mars.txt')
  await ipfs.files.cp(`/ipfs/${venusCid}`, '/planets/venus.txt')
  const dir = join(work.dir, 'planets')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir)
  writeFileSync(join(dir, 'mars.txt'), 'Hello Mars!\n')
  writeFileSync(join(dir, 'venus.txt'), 'Hello Venus!\n')
  const expected = kitAdd(['-r', dir])
  assert.equal(expected, 'QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY')
  assert.equal((await ipfs.files.stat('/planets')).cid.toString(), expected)
})

test('chcid, touch and chmod through the low-level client; stat shows mode and mtime', async () => {
  await ipfs.files.write('/m.txt', bytes('mode'), { create: true })
  await post('files/chmod', new URLSearchParams([['arg', '0640'], ['arg', '/m.txt']]))
  await post('files/touch', new URLSearchParams([['arg', '/m.txt'], ['mtime', '1630937926']]))
  const stat = await ipfs.files.stat('/m.txt')
  assert.equal(stat.mode, 0o640)
  assert.equal(stat.mtime.secs, 1630937926)
  assert.equal(text(await all(ipfs.files.read('/m.txt'))), 'mode')
  await ipfs.files.mkdir('/v1dir')
  assert.equal((await ipfs.files.stat('/v1dir')).cid.version, 0)
  await post('files/chcid', new URLSearchParams([['arg', '/v1dir'], ['cid-version', '1']]))
  assert.equal((await ipfs.files.stat('/v1dir')).cid.version, 1)
  await assert.rejects(post('files/chmod', new URLSearchParams([['arg', 'u+x'], ['arg', '/m.txt']])), /mode/)
})

test('the CLI sees the daemon\'s MFS and changes it through the daemon', async () => {
  await ipfs.files.write('/cli.txt', bytes('from js'), { create: true })
  assert.equal(daemon.kit('files', 'read', '/cli.txt'), 'from js')
  daemon.kit('files', 'mkdir', '/from-cli')
  const names = (await all(ipfs.files.ls('/'))).map(e => e.name)
  assert.ok(names.includes('from-cli'))
  const stat = daemon.kit('files', 'stat', '--hash', '/cli.txt').trim()
  assert.equal(stat, (await ipfs.files.stat('/cli.txt')).cid.toString())
})

test('bad input: relative paths, names with NUL, garbage CIDs answer 4xx/5xx errors, never a crash', async () => {
  await assert.rejects(ipfs.files.mkdir('relative'), /leading slash/)
  await assert.rejects(ipfs.files.cp('/ipfs/not-a-cid', '/x'), /cp/)
  await assert.rejects(ipfs.files.mkdir('/a\u0000b'), /NUL/)
  await assert.rejects(ipfs.files.mkdir('/' + 'n'.repeat(256)), /255/)
  await assert.rejects(ipfs.files.rm('/'), /root/)
  await assert.rejects(post('files/write', new URLSearchParams([['arg', '/nobody.txt'], ['create', 'true']])), /required/)
  // Still serving.
  assert.equal((await ipfs.files.stat('/')).type, 'directory')
})
