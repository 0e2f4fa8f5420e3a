// The real kubo-rpc-client (npm) drives the daemon's Kubo RPC: every command
// the issue names, with results checked against independent computations
// (ipfs-kit's local import, @ipld/car, @ipld/dag-cbor, the system tar).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { create } from 'kubo-rpc-client'
import { CarReader, CarWriter } from '@ipld/car'
import * as dagCbor from '@ipld/dag-cbor'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import all from 'it-all'
import { startDaemon, tempDir, kitAdd, testdataToFile } from './helpers.mjs'

// The low-level client class of kubo-rpc-client (its package exports do not
// list it, so it is imported by path): for the commands whose high-level API
// computes locally (dag.get decodes blocks itself) or does not exist (cid/*).
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
async function json (command, params) {
  const res = await rawClient.post(command, { searchParams: new URLSearchParams(params) })
  return all(res.ndjson())
}

test('add: a buffer, then a tree with -w, give the CIDs a local import gives', async () => {
  const one = await ipfs.add(bytes('hello from kubo-rpc-client\n'))
  writeFileSync(join(work.dir, 'hello.txt'), 'hello from kubo-rpc-client\n')
  assert.equal(one.cid.toString(), kitAdd([join(work.dir, 'hello.txt')]))
  assert.equal(one.path, one.cid.toString(), 'a nameless add is named by its CID, as in Kubo')

  const tree = join(work.dir, 'tree')
  mkdirSync(join(tree, 'sub', 'empty'), { recursive: true })
  writeFileSync(join(tree, 'a.txt'), 'alpha\n')
  writeFileSync(join(tree, 'sub', 'b.txt'), 'beta\n')
  testdataToFile(join(tree, 'sub', 'big.bin'), 'rpc-big', 3 * 1024 * 1024 + 17)
  const entries = [
    { path: 'tree' },
    { path: 'tree/a.txt', content: readFileSync(join(tree, 'a.txt')) },
    { path: 'tree/sub' },
    { path: 'tree/sub/b.txt', content: readFileSync(join(tree, 'sub', 'b.txt')) },
    { path: 'tree/sub/big.bin', content: readFileSync(join(tree, 'sub', 'big.bin')) },
    { path: 'tree/sub/empty' }
  ]
  const added = await all(ipfs.addAll(entries, { wrapWithDirectory: true }))
  const root = added[added.length - 1]
  assert.equal(root.path, '')
  assert.equal(root.cid.toString(), kitAdd(['-r', '-w', tree]))
  assert.deepEqual(added.map(e => e.path).slice(0, 3), ['tree/a.txt', 'tree/sub/b.txt', 'tree/sub/big.bin'])

  const v1 = await ipfs.add(bytes('cid v1 please'), { cidVersion: 1, rawLeaves: true })
  assert.ok(v1.cid.toString().startsWith('bafk'), v1.cid.toString())
})

test('cat with offset and length, get as tar, ls', async () => {
  const data = bytes('0123456789abcdefghij')
  const { cid } = await ipfs.add(data)
  assert.equal(text(await all(ipfs.cat(cid))), '0123456789abcdefghij')
  assert.equal(text(await all(ipfs.cat(cid, { offset: 5, length: 4 }))), '5678')

  const { cid: dir } = await ipfs.add({ path: 'd/x.txt', content: bytes('xx') }, { wrapWithDirectory: false })
  const listing = await all(ipfs.ls(dir))
  assert.deepEqual(listing.map(e => [e.name, e.type, e.size]), [['x.txt', 'file', 2]])

  const tarBytes = Buffer.concat((await all(ipfs.get(dir))).map(c => Buffer.from(c)))
  const out = join(work.dir, 'untar')
  mkdirSync(out)
  writeFileSync(join(work.dir, 'get.tar'), tarBytes)
  const r = spawnSync('tar', ['-xf', join(work.dir, 'get.tar'), '-C', out], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(readdirSync(out), [dir.toString()])
  assert.equal(readFileSync(join(out, dir.toString(), 'x.txt'), 'utf8'), 'xx')
})

test('block put, get, stat, rm', async () => {
  const data = bytes('a raw block')
  const cid = await ipfs.block.put(data)
  const expected = CID.createV1(raw.code, await sha256.digest(data))
  assert.equal(cid.toString(), expected.toString())
  assert.deepEqual(await ipfs.block.get(cid), data)
  assert.deepEqual(await ipfs.block.stat(cid), { cid, size: data.length })
  const removed = await all(ipfs.block.rm(cid))
  assert.equal(removed[0].cid.toString(), cid.toString())
  assert.equal(removed[0].error, undefined)
  await assert.rejects(ipfs.block.stat(cid), /not found/)
})

test('dag put, get, resolve, stat, export, import', async () => {
  const value = { hello: 'world', n: 42, list: [1, 2, 3] }
  const cid = await ipfs.dag.put(value)
  const expected = CID.createV1(dagCbor.code, await sha256.digest(dagCbor.encode(value)))
  assert.equal(cid.toString(), expected.toString())
  assert.deepEqual((await ipfs.dag.get(cid)).value, value)

  // The server's own dag/get (dag-json out), with a path.
  const res = await rawClient.post('dag/get', { searchParams: new URLSearchParams({ arg: `${cid}/list/1` }) })
  assert.equal(await res.text(), '2')
  const linked = await ipfs.dag.put({ child: cid, name: 'parent' })
  const resolved = await ipfs.dag.resolve(`${linked}/child/hello`)
  assert.equal(resolved.cid.toString(), cid.toString())
  assert.equal(resolved.remainderPath, 'hello')

  const [stat] = await json('dag/stat', { arg: linked.toString(), progress: 'false' })
  assert.equal(stat.DagStats[0].NumBlocks, 2)
  assert.equal(stat.TotalSize, dagCbor.encode(value).length + dagCbor.encode({ child: cid, name: 'parent' }).length)

  // Export: @ipld/car reads it and every block hashes to its CID.
  const car = Buffer.concat((await all(ipfs.dag.export(linked))).map(c => Buffer.from(c)))
  const reader = await CarReader.fromBytes(car)
  assert.deepEqual((await reader.getRoots()).map(String), [linked.toString()])
  const blocks = await all(reader.blocks())
  assert.equal(blocks.length, 2)
  for (const b of blocks) assert.ok((await sha256.digest(b.bytes)).bytes.every((x, i) => x === b.cid.multihash.bytes[i]))

  // Import a CAR written by @ipld/car.
  const fresh = dagCbor.encode({ imported: true })
  const freshCid = CID.createV1(dagCbor.code, await sha256.digest(fresh))
  const { writer, out } = CarWriter.create([freshCid])
  const carChunks = all(out)
  await writer.put({ cid: freshCid, bytes: fresh })
  await writer.close()
  const imported = await all(ipfs.dag.import([Buffer.concat(await carChunks)]))
  assert.equal(imported[0].root.cid.toString(), freshCid.toString())
  assert.equal(imported[0].root.pinErrorMsg, '')
  const pins = await all(ipfs.pin.ls({ paths: [freshCid] }))
  assert.equal(pins[0].type, 'recursive')
})

test('pin add, ls, update, verify, rm', async () => {
  const { cid: a } = await ipfs.add(bytes('pin me'), { pin: false })
  const { cid: b } = await ipfs.add(bytes('pin me too'), { pin: false })
  assert.equal((await ipfs.pin.add(a, { name: 'first' })).toString(), a.toString())
  const listed = await all(ipfs.pin.ls({ type: 'recursive', names: true }))
  const mine = listed.find(p => p.cid.toString() === a.toString())
  assert.equal(mine?.name, 'first')
  const updated = await ipfs.pin.update(a, b)
  assert.deepEqual(updated.map(String), [a.toString(), b.toString()])
  assert.equal((await all(ipfs.pin.ls({ paths: [b] })))[0].type, 'recursive')
  await assert.rejects(all(ipfs.pin.ls({ paths: [a] })), /not pinned/)
  const verify = await json('pin/verify', { verbose: 'true' })
  assert.ok(verify.length > 0 && verify.every(v => v.Ok === true), JSON.stringify(verify))
  assert.equal((await ipfs.pin.rm(b)).toString(), b.toString())
})

test('refs, refs local, repo gc, stat, verify', async () => {
  const { cid } = await ipfs.add({ path: 'r/one', content: bytes('one') }, { wrapWithDirectory: true })
  const refs = await all(ipfs.refs(cid, { recursive: true }))
  assert.equal(refs.length, 2)  // the "r" directory and its file
  const local = await all(ipfs.refs.local())
  for (const r of refs) assert.ok(local.some(l => l.ref === r.ref), `${r.ref} in refs local`)

  const { cid: loose } = await ipfs.add(bytes('unpinned, collectable'), { pin: false })
  const removed = await all(ipfs.repo.gc())
  assert.ok(removed.some(r => r.cid?.toString() === loose.toString()), 'gc removed the unpinned block')
  assert.ok(removed.every(r => r.cid?.toString() !== cid.toString()), 'gc kept the pinned root')

  const stat = await ipfs.repo.stat()
  assert.ok(stat.numObjects > 0n && stat.repoSize > 0n)
  const verify = await json('repo/verify', {})
  assert.match(verify[verify.length - 1].Msg, /all blocks validated/)
})

test('id, version, cid/*', async () => {
  const id = await ipfs.id()
  assert.match(id.id.toString(), /^12D3KooW/)
  assert.equal(typeof id.publicKey, 'string')
  const v = await ipfs.version()
  assert.match(v.version, /^\d+\.\d+\.\d+/)

  const [f] = await json('cid/format', { arg: 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn', v: '1', b: 'base32' })
  assert.equal(f.Formatted, 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
  const [b32] = await json('cid/base32', { arg: 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn' })
  assert.equal(b32.Formatted, f.Formatted)
  const [bad] = await json('cid/format', { arg: 'not-a-cid' })
  assert.notEqual(bad.ErrorMsg, '')
  const [codecs] = await json('cid/codecs', {})
  assert.ok(codecs.some(c => c.Name === 'dag-cbor' && c.Code === 0x71))
  const [hashes] = await json('cid/hashes', {})
  assert.ok(hashes.some(h => h.Name === 'sha2-256' && h.Code === 0x12))
  const [bases] = await json('cid/bases', {})
  assert.ok(bases.some(b => b.Name === 'base32' && b.Code === 'b'.charCodeAt(0)))
})

test('errors are Kubo error objects; GET is 405; foreign origins are refused', async () => {
  await assert.rejects(all(ipfs.cat('not-a-cid')), (e) => {
    assert.match(e.message, /invalid/)
    assert.equal(e.response?.status, 400)
    return true
  })
  const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
  const res = await fetch(`${daemon.rpc}/api/v0/block/get?arg=${missing}`, { method: 'POST' })
  assert.equal(res.status, 500)
  const body = await res.json()
  assert.equal(body.Type, 'error')
  assert.equal(body.Code, 0)
  assert.match(body.Message, /not found/)

  assert.equal((await fetch(`${daemon.rpc}/api/v0/version`)).status, 405)
  assert.equal((await fetch(`${daemon.rpc}/api/v0/nope`, { method: 'POST' })).status, 404)
  const foreign = await fetch(`${daemon.rpc}/api/v0/version`, { method: 'POST', headers: { Origin: 'https://evil.example' } })
  assert.equal(foreign.status, 403)
  const same = await fetch(`${daemon.rpc}/api/v0/version`, { method: 'POST', headers: { Origin: daemon.rpc } })
  assert.equal(same.status, 200)
})

test('with daemon.api_token set, RPC and API require the bearer token', async () => {
  const secured = startDaemon({ token: 's3cret-token' })
  try {
    const anonymous = create({ url: `${secured.rpc}/api/v0` })
    await assert.rejects(anonymous.version(), (e) => e.response?.status === 401)
    const wrong = create({ url: `${secured.rpc}/api/v0`, headers: { Authorization: 'Bearer nope' } })
    await assert.rejects(wrong.version(), (e) => e.response?.status === 401)
    const authed = create({ url: `${secured.rpc}/api/v0`, headers: { Authorization: 'Bearer s3cret-token' } })
    assert.match((await authed.version()).version, /^\d/)
    assert.equal((await fetch(`${secured.api}/status`)).status, 401)
    const ok = await fetch(`${secured.api}/status`, { headers: { Authorization: 'Bearer s3cret-token' } })
    assert.equal(ok.status, 200)
    // The gateway stays public.
    assert.equal((await fetch(`${secured.gateway}/ipfs/bafkqaaa`)).status, 200)
    // The CLI sends the token from the config.
    const out = secured.kit('--json', 'daemon', 'status')
    assert.equal(JSON.parse(out).health, 'healthy')
  } finally {
    secured.stop()
  }
})
