// The daemon's gateway: a Helia node whose only block source is our trustless
// gateway reads files (Helia verifies every block it receives; a tampering
// proxy proves it would notice), and the path and trustless gateway behave as
// the HTTP gateway specs say (ranges, redirects, index.html, listings, caching
// headers, formats, dag-scope, entity-bytes, 400 and 404).
Promise.withResolvers ??= function () {
  // Node 20 lacks it; Helia's dependencies call it.
  let resolve, reject
  const promise = new Promise((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHeliaHTTP } from '@helia/http'
import { trustlessGateway } from '@helia/block-brokers'
import { httpGatewayRouting } from '@helia/routers'
import { unixfs } from '@helia/unixfs'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import all from 'it-all'
import { startDaemon, tempDir, testdataToFile } from './helpers.mjs'

let daemon, work
const cids = {}

const hamtName = i => `file-${String(i).padStart(5, '0')}-`.padEnd(60, 'x')
const add = (...args) => daemon.kit('add', '-Q', ...args).trim()

before(() => {
  daemon = startDaemon()
  work = tempDir()
  const big = join(work.dir, 'big.bin')
  testdataToFile(big, 'gateway-big', 5 * 1024 * 1024 + 123)
  cids.big = add(big)
  cids.bigV1 = add('--cid-version=1', big)
  const site = join(work.dir, 'site')
  mkdirSync(join(site, 'docs'), { recursive: true })
  writeFileSync(join(site, 'index.html'), '<!DOCTYPE html><html><body>home</body></html>\n')
  writeFileSync(join(site, 'docs', 'notes.txt'), 'plain notes\n')
  writeFileSync(join(site, 'docs', 'a b&c.txt'), 'odd name\n')
  cids.site = add('-r', site)
  // 3000 entries of 60-byte names: their links estimate past Kubo's 256 KiB
  // sharding threshold (3000 x (60 + 34) bytes), so the directory is a HAMT.
  const hamt = join(work.dir, 'hamt')
  mkdirSync(hamt)
  for (let i = 0; i < 3000; i++) writeFileSync(join(hamt, hamtName(i)), `entry ${i}`.padEnd(64, '.'))
  cids.hamt = add('-r', hamt)
})

after(() => {
  daemon?.stop()
  work?.cleanup()
})

async function heliaFor (gatewayUrl) {
  return createHeliaHTTP({
    blockBrokers: [trustlessGateway({ allowLocal: true, allowInsecure: true })],
    routers: [httpGatewayRouting({ gateways: [gatewayUrl] })]
  })
}

async function catAll (fs, cid, options) {
  const chunks = await all(fs.cat(CID.parse(cid), options))
  return Buffer.concat(chunks.map(c => Buffer.from(c)))
}

test('a Helia node with our gateway as its only block source reads files', async () => {
  const helia = await heliaFor(daemon.gateway)
  try {
    const fs = unixfs(helia)
    const expected = readFileSync(join(work.dir, 'big.bin'))
    assert.ok((await catAll(fs, cids.big, { signal: AbortSignal.timeout(60000) })).equals(expected), 'CIDv0 file')
    assert.ok((await catAll(fs, cids.bigV1, { signal: AbortSignal.timeout(60000) })).equals(expected), 'CIDv1 raw-leaf file')
    const notes = await catAll(fs, cids.site, { path: 'docs/notes.txt', signal: AbortSignal.timeout(30000) })
    assert.equal(notes.toString(), 'plain notes\n')
    const inHamt = await catAll(fs, cids.hamt, { path: hamtName(2999), signal: AbortSignal.timeout(30000) })
    assert.equal(inHamt.length, 64)
  } finally {
    await helia.stop()
  }
})

test('Helia refuses blocks that do not match their CID (a tampering proxy in front of our gateway)', async () => {
  let tampered = 0
  const proxy = createServer(async (req, res) => {
    const upstream = await fetch(daemon.gateway + req.url, { headers: { accept: req.headers.accept ?? '*/*' } })
    const body = Buffer.from(await upstream.arrayBuffer())
    if (body.length > 0) { body[body.length - 1] ^= 0xff; tampered++ }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' })
    res.end(body)
  })
  await new Promise(resolve => proxy.listen(0, '127.0.0.1', resolve))
  const helia = await heliaFor(`http://127.0.0.1:${proxy.address().port}`)
  try {
    // The block broker checks each block against its CID and moves on to the
    // next gateway when one does not match. With no other gateway, Helia 5's
    // provider search then waits (ignoring the abort signal), so the outcome
    // is either a rejection or no block at all: anything but a block.
    const outcome = await Promise.race([
      helia.blockstore.get(CID.parse(cids.big), { signal: AbortSignal.timeout(5000) }).then(() => 'accepted', () => 'rejected'),
      new Promise(resolve => setTimeout(resolve, 6000, 'no block'))
    ])
    assert.ok(tampered > 0, 'the proxy served a tampered block')
    assert.notEqual(outcome, 'accepted')
  } finally {
    await Promise.race([helia.stop(), new Promise(resolve => setTimeout(resolve, 2000))])
    proxy.closeAllConnections()
    proxy.close()
  }
})

test('path gateway: whole files, ranges, etags and immutable caching', async () => {
  const url = `${daemon.gateway}/ipfs/${cids.big}`
  const expected = readFileSync(join(work.dir, 'big.bin'))
  const whole = await fetch(url)
  assert.equal(whole.status, 200)
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(expected))
  assert.equal(whole.headers.get('etag'), `"${cids.big}"`)
  assert.match(whole.headers.get('cache-control'), /immutable/)
  assert.equal(whole.headers.get('x-ipfs-path'), `/ipfs/${cids.big}`)
  assert.equal(whole.headers.get('content-length'), String(expected.length))

  const part = await fetch(url, { headers: { Range: 'bytes=1000000-1000099' } })
  assert.equal(part.status, 206)
  assert.equal(part.headers.get('content-range'), `bytes 1000000-1000099/${expected.length}`)
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(expected.subarray(1000000, 1000100)))
  const suffix = await fetch(url, { headers: { Range: 'bytes=-10' } })
  assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(expected.subarray(expected.length - 10)))
  const beyond = await fetch(url, { headers: { Range: `bytes=${expected.length + 5}-` } })
  assert.equal(beyond.status, 416)
  assert.equal(beyond.headers.get('content-range'), `bytes */${expected.length}`)

  const again = await fetch(url, { headers: { 'If-None-Match': `"${cids.big}"` } })
  assert.equal(again.status, 304)
  const head = await fetch(url, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers.get('content-length'), String(expected.length))
})

test('path gateway: directories redirect, serve index.html, list entries; content types', async () => {
  const bare = await fetch(`${daemon.gateway}/ipfs/${cids.site}`, { redirect: 'manual' })
  assert.equal(bare.status, 301)
  assert.equal(bare.headers.get('location'), `/ipfs/${cids.site}/`)
  const home = await fetch(`${daemon.gateway}/ipfs/${cids.site}/`)
  assert.equal(home.status, 200)
  assert.match(home.headers.get('content-type'), /^text\/html/)
  assert.match(await home.text(), /home/)
  const listing = await fetch(`${daemon.gateway}/ipfs/${cids.site}/docs/`)
  assert.equal(listing.status, 200)
  const html = await listing.text()
  assert.match(html, /notes\.txt/)
  assert.match(html, /a b&amp;c\.txt/, 'names are HTML-escaped')
  assert.match(html, /href="\.\/a%20b%26c\.txt"/, 'links are percent-encoded')
  const odd = await fetch(`${daemon.gateway}/ipfs/${cids.site}/docs/a%20b%26c.txt`)
  assert.equal(await odd.text(), 'odd name\n')
  const notes = await fetch(`${daemon.gateway}/ipfs/${cids.site}/docs/notes.txt`)
  assert.equal(notes.headers.get('content-type'), 'text/plain; charset=utf-8')
  assert.equal(notes.headers.get('x-ipfs-roots').split(',').length, 3)
  const named = await fetch(`${daemon.gateway}/ipfs/${cids.site}/docs/notes.txt?filename=n.txt&download=true`)
  assert.equal(named.headers.get('content-disposition'), 'attachment; filename="n.txt"')
  const inHamt = await fetch(`${daemon.gateway}/ipfs/${cids.hamt}/${hamtName(1234)}`)
  assert.equal(inHamt.status, 200)
  assert.equal((await inHamt.arrayBuffer()).byteLength, 64)
})

test('trustless gateway: raw blocks and CARs with dag-scope and entity-bytes', async () => {
  const rawRes = await fetch(`${daemon.gateway}/ipfs/${cids.big}?format=raw`)
  assert.equal(rawRes.status, 200)
  assert.equal(rawRes.headers.get('content-type'), 'application/vnd.ipld.raw')
  const block = new Uint8Array(await rawRes.arrayBuffer())
  assert.equal(CID.parse(cids.big).multihash.toString(), (await sha256.digest(block)).toString())
  const byAccept = await fetch(`${daemon.gateway}/ipfs/${cids.big}`, { headers: { Accept: 'application/vnd.ipld.raw' } })
  assert.deepEqual(new Uint8Array(await byAccept.arrayBuffer()), block)

  async function carBlocks (query, accept) {
    const res = await fetch(`${daemon.gateway}/ipfs/${query}`, accept ? { headers: { Accept: accept } } : {})
    assert.equal(res.status, 200, query)
    assert.match(res.headers.get('content-type'), /^application\/vnd\.ipld\.car; version=1/)
    const reader = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
    const blocks = await all(reader.blocks())
    for (const b of blocks) {
      const hasher = b.cid.multihash.code === identity.code ? identity : sha256
      assert.equal((await hasher.digest(b.bytes)).toString(), b.cid.multihash.toString(), 'every CAR block hashes to its CID')
    }
    return { roots: (await reader.getRoots()).map(String), blocks }
  }
  const full = await carBlocks(`${cids.big}?format=car`)
  assert.deepEqual(full.roots, [cids.big])
  assert.equal(full.blocks.length, 1 + Math.ceil((5 * 1024 * 1024 + 123) / 262144))
  const justRoot = await carBlocks(`${cids.big}?format=car&dag-scope=block`)
  assert.equal(justRoot.blocks.length, 1)
  const firstChunk = await carBlocks(`${cids.big}?dag-scope=entity&entity-bytes=0:1000`, 'application/vnd.ipld.car')
  assert.equal(firstChunk.blocks.length, 2, 'the root and the one leaf holding bytes 0..1000')
  const tail = await carBlocks(`${cids.big}?format=car&dag-scope=entity&entity-bytes=-300000:*`)
  // 5 MiB + 123 bytes: the last 300000 bytes start in leaf 18 and end in the
  // 123-byte leaf 20.
  assert.equal(tail.blocks.length, 4, 'the root and the three leaves holding the last 300000 bytes')
  const path = await carBlocks(`${cids.site}/docs/notes.txt?format=car`)
  assert.deepEqual(path.roots, [cids.site])
  assert.equal(path.blocks.length, 3, 'the blocks on the path, then the file')
  const dirEntity = await carBlocks(`${cids.hamt}?format=car&dag-scope=entity`)
  assert.ok(dirEntity.blocks.length > 1 && dirEntity.blocks.length < 3000, 'a HAMT entity is its shards, not its files')

  const empty = await fetch(`${daemon.gateway}/ipfs/bafkqaaa?format=raw`)
  assert.equal(empty.status, 200)
  assert.equal((await empty.arrayBuffer()).byteLength, 0)
})

test('bad requests get 400, missing content 404, never a crash', async () => {
  const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
  for (const [path, status] of [
    ['/ipfs/not-a-cid', 400],
    ['/ipfs/', 400],
    [`/ipfs/${missing}`, 404],
    [`/ipfs/${missing}?format=raw`, 404],
    [`/ipfs/${cids.site}/no-such-file`, 404],
    [`/ipfs/${cids.site}/docs/notes.txt/deeper`, 404],
    [`/ipfs/${cids.big}?format=nonsense`, 400],
    [`/ipfs/${cids.big}?format=car&dag-scope=galaxy`, 400],
    [`/ipfs/${cids.big}?format=car&entity-bytes=x:y`, 400],
    [`/ipfs/${cids.site}/%ZZ`, 400],
    ['/nothing-here', 404]
  ]) {
    const res = await fetch(daemon.gateway + path)
    assert.equal(res.status, status, path)
  }
  // Still serving after all of that.
  assert.equal((await fetch(`${daemon.gateway}/ipfs/bafkqaaa`)).status, 200)
})
