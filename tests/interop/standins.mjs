// Stand-ins for services that cannot run here, written from their API
// documentation (not from ipfs-kit's code):
//  - an IPFS Cluster peer's REST API (v1: /id, /add?format=car, /pins/{cid}
//    with its peer_map, /allocations, /monitor/metrics/freespace), per
//    ipfs-cluster's api/rest and api/types.go: CIDs as strings, streamed
//    responses as one JSON object per line, errors as {"code", "message"};
//  - an IPFS Pinning Service API server (ipfs/pinning-services-api-spec):
//    /pins with filters and `before` paging, /pins/{requestid}, Bearer tokens,
//    errors as {"error": {"reason", "details"}}; a pin request is fetched from
//    its HTTP `origins` as a trustless-gateway CAR, block by block verified.
// Both check every block they receive (sha2-256) and also serve what they hold
// as a trustless gateway (/ipfs/<cid>?format=car|raw), standing in for the
// gateways of the real services.
import { createServer } from 'node:http'
import { CarReader, CarWriter } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as dagPb from '@ipld/dag-pb'

// Blocks are kept by multihash, as IPFS nodes do.
const keyOf = cid => Buffer.from(cid.multihash.bytes).toString('hex')

const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readBody (req, limit = 256 << 20) {
  const chunks = []
  let size = 0
  for await (const c of req) {
    size += c.length
    if (size > limit) throw new Error('body too large')
    chunks.push(c)
  }
  return Buffer.concat(chunks)
}

// The first file part of a multipart/form-data body.
function firstPart (body, contentType) {
  const m = /boundary=([^;]+)/.exec(contentType ?? '')
  if (!m) throw new Error('no multipart boundary')
  const boundary = Buffer.from('--' + m[1].replace(/"/g, ''))
  const start = body.indexOf(boundary)
  if (start < 0) throw new Error('no part')
  const headersEnd = body.indexOf('\r\n\r\n', start)
  const end = body.indexOf(Buffer.concat([Buffer.from('\r\n'), boundary]), headersEnd)
  if (headersEnd < 0 || end < 0) throw new Error('truncated part')
  return body.subarray(headersEnd + 4, end)
}

// Reads a CAR, checking every block's sha2-256 hash; returns its blocks.
async function verifiedBlocks (carBytes) {
  const reader = await CarReader.fromBytes(carBytes)
  const blocks = new Map()
  for await (const { cid, bytes } of reader.blocks()) {
    if (cid.multihash.code !== sha256.code) throw new Error(`unsupported hash in ${cid}`)
    const digest = await sha256.digest(bytes)
    if (Buffer.compare(Buffer.from(digest.digest), Buffer.from(cid.multihash.digest)) !== 0) {
      throw new Error(`block ${cid} does not match its hash`)
    }
    blocks.set(keyOf(cid), { cid, bytes })
  }
  return { roots: await reader.getRoots(), blocks }
}

// Serves blocks as a trustless gateway: ?format=raw, or ?format=car (the DAG).
async function serveGateway (req, res, url, store) {
  const cid = CID.parse(url.pathname.slice('/ipfs/'.length))
  const key = keyOf(cid)
  if (url.searchParams.get('format') === 'raw') {
    const b = store.get(key)
    if (!b) return json(res, 404, { message: 'not found' })
    res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw' })
    return res.end(b.bytes)
  }
  const { writer, out } = CarWriter.create([cid])
  res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.car; version=1' })
  const pump = (async () => { for await (const chunk of out) res.write(chunk) })()
  const seen = new Set()
  const walk = async (c) => {
    const k = keyOf(c)
    if (seen.has(k)) return
    seen.add(k)
    const b = store.get(k)
    if (!b) return
    await writer.put({ cid: c, bytes: b.bytes })
    if (c.code === dagPb.code) for (const l of dagPb.decode(b.bytes).Links) await walk(l.Hash)
  }
  await walk(cid)
  await writer.close()
  await pump
  res.end()
}

function listen (server) {
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)))
}

// ---- IPFS Cluster REST API stand-in ----
// `hold`: every pin stays "pinning" until release() is called (a cluster
// whose peers are slow to fetch).
export async function startClusterStandin ({ token = 'cluster-token', peers = ['12D3KooWPeerA', '12D3KooWPeerB'], hold = false } = {}) {
  let held = hold
  const blocks = new Map()
  const pins = new Map() // cid string -> { pin, polls }
  const requests = []
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x')
    requests.push(`${req.method} ${url.pathname}${url.search}`)
    try {
      if (url.pathname.startsWith('/ipfs/')) return await serveGateway(req, res, url, blocks)
      if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { code: 401, message: 'Unauthorized' })
      if (req.method === 'GET' && url.pathname === '/id') {
        return json(res, 200, { id: '12D3KooWStandin', peername: 'standin', version: '1.1.6', cluster_peers: peers, error: '', ipfs: { id: '12D3KooWIpfs', error: '' } })
      }
      if (req.method === 'POST' && url.pathname === '/add') {
        if (url.searchParams.get('format') !== 'car') return json(res, 400, { code: 400, message: 'format parameter is invalid' })
        const body = await readBody(req)
        const car = await verifiedBlocks(firstPart(body, req.headers['content-type']))
        for (const [k, b] of car.blocks) blocks.set(k, b)
        const root = car.roots[0]
        const metadata = {}
        for (const [k, v] of url.searchParams) if (k.startsWith('meta-')) metadata[k.slice(5)] = v
        const pin = {
          cid: root.toString(),
          name: url.searchParams.get('name') ?? '',
          replication_factor_min: Number(url.searchParams.get('replication-min') ?? -1),
          replication_factor_max: Number(url.searchParams.get('replication-max') ?? -1),
          metadata,
          created: new Date().toISOString()
        }
        pins.set(pin.cid, { pin, polls: 0 })
        res.writeHead(200, { 'Content-Type': 'application/json' })
        return res.end(JSON.stringify({ name: pin.name, cid: pin.cid, size: car.blocks.size }) + '\n')
      }
      const m = /^\/pins\/([^/]+)$/.exec(url.pathname)
      if (m && req.method === 'GET') {
        const entry = pins.get(m[1])
        if (!entry) {
          const peerMap = Object.fromEntries(peers.map(p => [p, { peername: p, status: 'unpinned', timestamp: new Date().toISOString(), error: '' }]))
          return json(res, 200, { cid: m[1], name: '', allocations: [], origins: [], created: '0001-01-01T00:00:00Z', metadata: null, peer_map: peerMap })
        }
        // The first look finds it still pinning: the client has to poll.
        const status = entry.polls++ === 0 || held ? 'pinning' : 'pinned'
        const peerMap = Object.fromEntries(peers.map(p => [p, { peername: p, status, timestamp: new Date().toISOString(), error: '' }]))
        return json(res, 200, { ...entry.pin, allocations: peers, origins: [], peer_map: peerMap })
      }
      if (m && req.method === 'DELETE') {
        if (!pins.delete(m[1])) return json(res, 404, { code: 404, message: 'cid is not part of the global state: not found' })
        return json(res, 200, { cid: m[1] })
      }
      if (req.method === 'GET' && url.pathname === '/allocations') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        for (const { pin } of pins.values()) res.write(JSON.stringify({ ...pin, type: 1, allocations: peers }) + '\n')
        return res.end()
      }
      if (req.method === 'GET' && url.pathname === '/monitor/metrics/freespace') {
        return json(res, 200, peers.map(p => ({ name: 'freespace', peer: p, value: String(1 << 30), valid: true })))
      }
      return json(res, 404, { code: 404, message: 'not found' })
    } catch (e) {
      json(res, 400, { code: 400, message: String(e.message ?? e) })
    }
  })
  const url = await listen(server)
  return { url, token, blocks, pins, requests, release: () => { held = false }, close: () => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }) }
}

// ---- IPFS Pinning Service API stand-in ----
function originUrl (ma) {
  const m = /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)\/(http|https)$/.exec(ma)
  if (!m) return null
  const host = m[1] === 'ip6' ? `[${m[2]}]` : m[2]
  return `${m[4]}://${host}:${m[3]}`
}

export async function startPinningServiceStandin ({ token = 'psa-token' } = {}) {
  const blocks = new Map()
  const pins = new Map() // requestid -> status object
  let next = 1
  const fetchFromOrigins = async (entry) => {
    for (const origin of entry.pin.origins ?? []) {
      const base = originUrl(origin)
      if (!base) continue
      try {
        const r = await fetch(`${base}/ipfs/${entry.pin.cid}?format=car&dag-scope=all`, { headers: { Accept: 'application/vnd.ipld.car' } })
        if (!r.ok) continue
        const car = await verifiedBlocks(new Uint8Array(await r.arrayBuffer()))
        for (const [k, b] of car.blocks) blocks.set(k, b)
        if (!blocks.has(keyOf(CID.parse(entry.pin.cid)))) continue
        entry.status = 'pinned'
        return
      } catch (e) {
        entry.info = { error: String(e.message ?? e) }
      }
    }
    entry.status = 'failed'
  }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x')
    const fail = (status, reason, details) => json(res, status, { error: { reason, details } })
    try {
      if (url.pathname.startsWith('/ipfs/')) return await serveGateway(req, res, url, blocks)
      if (req.headers.authorization !== `Bearer ${token}`) return fail(401, 'UNAUTHORIZED', 'Access token is missing or invalid')
      if (url.pathname === '/pins' && req.method === 'GET') {
        const statuses = (url.searchParams.get('status') ?? 'pinned').split(',')
        const cids = url.searchParams.get('cid')?.split(',')
        const before = url.searchParams.get('before')
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 10), 1000)
        let results = [...pins.values()].filter(p => statuses.includes(p.status))
        if (cids) results = results.filter(p => cids.includes(p.pin.cid))
        if (before) results = results.filter(p => p.created < before)
        results.sort((a, b) => (a.created < b.created ? 1 : -1))
        return json(res, 200, { count: results.length, results: results.slice(0, limit) })
      }
      if (url.pathname === '/pins' && req.method === 'POST') {
        const pin = JSON.parse(await readBody(req, 1 << 20))
        CID.parse(pin.cid)
        const entry = { requestid: `req-${next++}`, status: 'queued', created: new Date().toISOString(), pin, delegates: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWStandin'], info: {} }
        pins.set(entry.requestid, entry)
        setTimeout(() => { entry.status = 'pinning'; fetchFromOrigins(entry) }, 100)
        return json(res, 202, entry)
      }
      const m = /^\/pins\/([^/]+)$/.exec(url.pathname)
      if (m) {
        const entry = pins.get(m[1])
        if (!entry) return fail(404, 'NOT_FOUND', 'The specified resource was not found')
        if (req.method === 'GET') return json(res, 200, entry)
        if (req.method === 'DELETE') { pins.delete(m[1]); res.writeHead(202); return res.end() }
        if (req.method === 'POST') {
          entry.pin = JSON.parse(await readBody(req, 1 << 20))
          entry.status = 'queued'
          setTimeout(() => { entry.status = 'pinning'; fetchFromOrigins(entry) }, 100)
          return json(res, 202, entry)
        }
      }
      return fail(404, 'NOT_FOUND', url.pathname)
    } catch (e) {
      fail(400, 'BAD_REQUEST', String(e.message ?? e))
    }
  })
  const url = await listen(server)
  return { url, token, blocks, pins, close: () => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }) }
}
