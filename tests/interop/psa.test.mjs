// The Pinning Service API the daemon serves at <api>/psa, driven by the real
// clients: @ipfs-shipyard/pinning-service-client calls every endpoint with
// every filter, a second node's gateway serves as an HTTP origin (and, behind
// a tampering proxy, is refused), and @ipfs-shipyard/pinning-service-compliance
// runs its whole suite.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request } from 'node:http'
import { execFile } from 'node:child_process'
import { readFileSync, existsSync, rmSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Configuration, RemotePinningServiceClient, Status } from '@ipfs-shipyard/pinning-service-client'
import { startDaemon, tempDir, testdataToFile } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
let node, work
const ALL = [Status.Queued, Status.Pinning, Status.Pinned, Status.Failed]

before(() => {
  node = startDaemon()
  work = tempDir('ipfskit-psa-')
})
after(() => {
  node?.stop()
  work?.cleanup()
})

const client = (token) =>
  new RemotePinningServiceClient(new Configuration({ endpointUrl: `${node.api}/psa`, accessToken: token }))

const kitOut = (n, ...args) => n.kit(...args).trim()

async function settle (c, requestid, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = await c.pinsRequestidGet({ requestid })
    if (s.status === Status.Pinned || s.status === Status.Failed) return s
    if (Date.now() > deadline) throw new Error(`request ${requestid} still ${s.status}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function raw (method, path, { token, body } = {}) {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${node.api}/psa${path}`, { method, headers, body })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : null }
}

test('every endpoint and filter through @ipfs-shipyard/pinning-service-client', async () => {
  const alice = kitOut(node, 'psa', 'token', 'create', 'alice')
  const bob = JSON.parse(kitOut(node, '--json', 'psa', 'token', 'create', 'bob')).token
  assert.match(alice, /^psa_[0-9a-f]{64}$/)
  assert.match(kitOut(node, 'psa', 'token', 'ls'), /^alice\t.*\nbob\t/)
  const a = client(alice)
  const b = client(bob)

  // Content the node holds: pinned at once, by a recursive pin of its own.
  const f1 = join(work.dir, 'one.txt')
  const f2 = join(work.dir, 'two.txt')
  const f3 = join(work.dir, 'three.txt')
  testdataToFile(f1, 'psa-one', 70000)
  testdataToFile(f2, 'psa-two', 70000)
  testdataToFile(f3, 'psa-three', 70000)
  const one = kitOut(node, 'add', '-Q', '--pin=false', f1)
  const two = kitOut(node, 'add', '-Q', '--pin=false', f2)
  const three = kitOut(node, 'add', '-Q', '--pin=false', f3)
  const created = await a.pinsPost({ pin: { cid: one, name: 'Doc One', meta: { app: 't1' } } })
  assert.ok([Status.Queued, Status.Pinning, Status.Pinned].includes(created.status))
  assert.equal(created.pin.cid, one)
  assert.ok(created.delegates.length >= 1 && created.delegates[0].includes('/p2p/12D3KooW'))
  const pinned = await settle(a, created.requestid)
  assert.equal(pinned.status, Status.Pinned)
  assert.equal(pinned.info.dag_size > 0 ? 'sized' : 'unsized', 'sized')
  assert.match(kitOut(node, 'pin', 'ls', '--metadata', one), /recursive Doc One .*psa\.requestid=/)

  // Content nobody has: no origins, no bitswap, so it fails, and says why.
  const nowhere = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
  const lost = await a.pinsPost({ pin: { cid: nowhere } })
  const failed = await settle(a, lost.requestid)
  assert.equal(failed.status, Status.Failed)
  assert.match(failed.info.status_details, /no origins/)

  // No filter: pinned only. Any filter: the statuses asked for (all when none).
  assert.equal((await a.pinsGet({})).count, 1)
  assert.equal((await a.pinsGet({ status: [Status.Failed] })).count, 1)
  assert.equal((await a.pinsGet({ status: ALL })).count, 2)
  for (const [match, name, count] of [['exact', 'Doc One', 1], ['exact', 'doc one', 0], ['iexact', 'DOC ONE', 1],
    ['partial', 'oc O', 1], ['partial', 'oc o', 0], ['ipartial', 'OC o', 1]]) {
    assert.equal((await a.pinsGet({ name, match })).count, count, `${match} ${name}`)
  }
  assert.equal((await a.pinsGet({ cid: [one, nowhere] })).count, 2)
  assert.equal((await a.pinsGet({ meta: JSON.stringify({ app: 't1' }) })).count, 1)
  assert.equal((await a.pinsGet({ meta: JSON.stringify({ app: 'other' }) })).count, 0)

  // A token sees only its own requests.
  assert.equal((await b.pinsGet({ status: ALL })).count, 0)
  assert.equal((await raw('GET', `/pins/${created.requestid}`, { token: bob })).status, 404)

  // Paging by `created`, newest first, no overlap between pages.
  for (let i = 0; i < 12; i++) await b.pinsPost({ pin: { cid: three, name: `page-${i}` } })
  const first = await b.pinsGet({ status: ALL, limit: 5 })
  assert.equal(first.count, 12)
  assert.equal(first.results.size ?? first.results.length, 5)
  const firstList = [...first.results]
  assert.deepEqual(firstList.map((p) => p.pin.name), ['page-11', 'page-10', 'page-9', 'page-8', 'page-7'])
  const oldest = firstList[firstList.length - 1].created
  const second = [...(await b.pinsGet({ status: ALL, limit: 5, before: oldest })).results]
  assert.deepEqual(second.map((p) => p.pin.name), ['page-6', 'page-5', 'page-4', 'page-3', 'page-2'])
  const newer = await b.pinsGet({ status: ALL, after: oldest })
  assert.equal(newer.count, 4)

  // Replace: a new request id, the old one gone, the old CID's pin released.
  const replaced = await a.pinsRequestidPost({ requestid: created.requestid, pin: { cid: two, name: 'Doc Two' } })
  assert.notEqual(replaced.requestid, created.requestid)
  assert.equal((await raw('GET', `/pins/${created.requestid}`, { token: alice })).status, 404)
  assert.equal((await settle(a, replaced.requestid)).status, Status.Pinned)
  assert.throws(() => node.kit('pin', 'ls', '--type=recursive', one), /not pinned/)
  // Delete: 202, and the pin it made is released too.
  await a.pinsRequestidDelete({ requestid: replaced.requestid })
  assert.throws(() => node.kit('pin', 'ls', '--type=recursive', two), /not pinned/)
  assert.equal((await raw('DELETE', `/pins/${replaced.requestid}`, { token: alice })).status, 404)

  // Authentication and bad input: the spec's Failure object, never a crash.
  for (const token of [undefined, 'psa_' + '0'.repeat(64)]) {
    const r = await raw('GET', '/pins', { token })
    assert.equal(r.status, 401)
    assert.equal(r.json.error.reason, 'UNAUTHORIZED')
  }
  const bad = [
    ['POST', '/pins', '{not json'],
    ['POST', '/pins', JSON.stringify({ name: 'no cid' })],
    ['POST', '/pins', JSON.stringify({ cid: 'not-a-cid' })],
    ['POST', '/pins', JSON.stringify({ cid: one, name: 'x'.repeat(256) })],
    ['POST', '/pins', JSON.stringify({ cid: one, origins: Array.from({ length: 21 }, (_, i) => `/ip4/1.2.3.${i}/tcp/1/http`) })],
    ['POST', '/pins', JSON.stringify({ cid: one, meta: { k: 1 } })],
    ['GET', '/pins?limit=0'],
    ['GET', '/pins?limit=1001'],
    ['GET', '/pins?status=sleeping'],
    ['GET', '/pins?before=yesterday'],
    ['GET', '/pins?match=fuzzy&name=x'],
    ['GET', '/pins?meta=%5B1%5D'],
    ['GET', '/pins?cid=zzz']
  ]
  for (const [method, path, body] of bad) {
    const r = await raw(method, path, { token: alice, body })
    assert.equal(r.status, 400, `${method} ${path} ${body ?? ''}`)
    assert.equal(r.json.error.reason, 'BAD_REQUEST')
  }

  // Revoking a token removes its requests and the pins they alone held.
  const kept = await b.pinsPost({ pin: { cid: two, name: 'kept by bob' } })
  assert.equal((await settle(b, kept.requestid)).status, Status.Pinned)
  node.kit('psa', 'token', 'rm', 'bob')
  assert.equal((await raw('GET', '/pins', { token: bob })).status, 401)
  assert.throws(() => node.kit('pin', 'ls', '--type=recursive', two), /not pinned/)
  assert.equal((await a.pinsGet({ status: ALL })).count, 1)  // alice's failed request stays
})

test('origins: a DAG fetched from another node\'s gateway as a verified CAR; a tampering proxy is refused', async () => {
  const source = startDaemon()
  try {
    const file = join(work.dir, 'origin.bin')
    testdataToFile(file, 'psa-origin', 3 << 20)
    const cid = kitOut(source, 'add', '-Q', file)
    const gw = new URL(source.gateway)
    const token = kitOut(node, 'psa', 'token', 'create', 'carol')
    const c = client(token)

    // A proxy that flips one byte deep in the CAR it relays.
    let flipped = 0
    const proxy = createServer((req, res) => {
      const up = request({ host: gw.hostname, port: gw.port, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers)
        let seen = 0
        r.on('data', (chunk) => {
          if (seen < 200000 && seen + chunk.length >= 200000) {
            chunk = Buffer.from(chunk)
            chunk[200000 - seen] ^= 0xff
            flipped++
          }
          seen += chunk.length
          res.write(chunk)
        })
        r.on('end', () => res.end())
      })
      req.pipe(up)
    })
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const viaProxy = await c.pinsPost({ pin: { cid, origins: [`/ip4/127.0.0.1/tcp/${proxy.address().port}/http`] } })
      const refused = await settle(c, viaProxy.requestid, 60000)
      assert.ok(flipped > 0, 'the proxy tampered with the CAR')
      assert.equal(refused.status, Status.Failed)
      assert.match(refused.info.status_details, /bad block|hash|match/i)
      assert.throws(() => node.kit('pin', 'ls', cid), /not pinned/)
    } finally {
      proxy.closeAllConnections()
      proxy.close()
    }

    // A libp2p-only origin is named as such, then the real gateway is used.
    const good = await c.pinsPost({
      pin: {
        cid,
        origins: ['/ip4/127.0.0.1/udp/4001/quic-v1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
          `/dns4/localhost/tcp/${gw.port}/http/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN`]
      }
    })
    const done = await settle(c, good.requestid, 60000)
    assert.equal(done.status, Status.Pinned, JSON.stringify(done.info))
    const copy = join(work.dir, 'origin.out')
    node.kit('get', cid, '-o', copy)
    assert.ok(readFileSync(copy).equals(readFileSync(file)), 'the fetched DAG reads back byte for byte')
    assert.match(node.kit('repo', 'verify'), /verified repo integrity/)
  } finally {
    source.stop()
  }
})

test('the pinning-service compliance suite passes every check', { timeout: 300000 }, async () => {
  const suite = join(here, 'psa-compliance', 'node_modules', '@ipfs-shipyard', 'pinning-service-compliance')
  assert.ok(existsSync(suite), 'npm ci --ignore-scripts in tests/interop/psa-compliance')
  const spec = readFileSync(join(here, 'fixtures', 'psa-openapi.json'))
  const specServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(spec)
  })
  await new Promise((resolve) => specServer.listen(0, '127.0.0.1', resolve))
  try {
    const token = kitOut(node, 'psa', 'token', 'create', 'compliance')
    const results = join(suite, 'dist', 'docs', `${new URL(node.api).hostname}.json`)
    rmSync(results, { force: true })
    // Asynchronously: the spec server above answers from this process.
    const run = await new Promise((resolve) => {
      execFile(process.execPath, ['--require', join(here, 'psa-spec-preload.cjs'), join(suite, 'dist', 'src', 'index.js'),
        '-s', `${node.api}/psa`, token], {
        encoding: 'utf8',
        env: { ...process.env, PSA_SPEC_URL: `http://127.0.0.1:${specServer.address().port}/ipfs-pinning-service.yaml` },
        timeout: 240000,
        maxBuffer: 1 << 26
      }, (error, stdout, stderr) => resolve({ error, stdout, stderr }))
    })
    const report = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')) : null
    const failures = (run.stdout + run.stderr).split('\n').filter((l) => /❌|⚠️/.test(l))
    assert.ok(report, `the suite wrote no results: ${run.stderr.slice(-2000)}`)
    assert.equal(report.total, 9, `the suite ran its nine checks (${report.total})`)
    assert.equal(report.failed, 0, `failed checks:\n${failures.join('\n')}`)
    assert.equal(report.success, true)
  } finally {
    specServer.close()
  }
})
