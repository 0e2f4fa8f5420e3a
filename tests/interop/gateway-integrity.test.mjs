// The gateway's file downloads read every block into a reused buffer, check
// its hash, and send it (from the pack file with sendfile, or from the
// buffer). A byte flipped in a pack file on disk must never reach a client:
// the download stops before the damaged block (a short body on a closed
// connection, which every client reports as a failed transfer), the bytes that
// did arrive are the file's own, and the rest of the gateway keeps working.
// Run with sendfile forced on (`daemon.gateway_sendfile=always`: this is the
// path other hosts get) and with the default (loopback clients get a copy).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, openSync, readSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { IPFS_KIT, startDaemon, tempDir, testdataToFile } from './helpers.mjs'

const SIZE = 3 * 1024 * 1024 + 1234
const DAMAGE = 1536 * 1024 + 100 // inside the 7th 256 KiB chunk
const daemons = {}
let work

before(() => {
  work = tempDir()
  for (const mode of ['always', 'auto']) {
    const d = startDaemon({ config: { 'daemon.gateway_sendfile': mode } })
    const files = {}
    for (const [name, flags] of [['v0', []], ['v1', ['--cid-version=1']]]) {
      const path = join(work.dir, `${mode}-${name}.bin`)
      testdataToFile(path, `integrity-${mode}-${name}`, SIZE)
      files[name] = { path, data: readFileSync(path), cid: d.kit('add', '-Q', ...flags, path).trim() }
    }
    daemons[mode] = { d, files }
  }
})

after(() => {
  for (const { d } of Object.values(daemons)) d.stop()
  work?.cleanup()
})

// GET (or HEAD) over a raw socket: what arrived, and whether the server closed.
function rawGet (gateway, path, headers = {}, method = 'GET') {
  const { hostname, port } = new URL(gateway)
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname)
    const got = []
    const done = (closed) => {
      clearTimeout(timer)
      sock.destroy()
      const all = Buffer.concat(got)
      const end = all.indexOf('\r\n\r\n')
      const head = all.subarray(0, end).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
      const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1]
      resolve({ status, head, length: length === undefined ? undefined : Number(length), body: all.subarray(end + 4), closed })
    }
    const timer = setTimeout(() => done(false), 20000)
    sock.on('connect', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
      sock.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${extra}\r\n`) // keep-alive: only a close ends it early
    })
    sock.on('data', (b) => {
      got.push(b)
      const all = Buffer.concat(got)
      const end = all.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: (\d+)/i.exec(all.subarray(0, end).toString('latin1'))?.[1]
      if (end >= 0 && length !== undefined && all.length - end - 4 >= Number(length)) done(false)
    })
    sock.on('end', () => done(true))
    sock.on('error', () => done(true))
  })
}

// Where `needle` lies in the repository's pack files.
function findInPacks (repo, needle) {
  const dir = join(repo, 'blocks')
  const hits = []
  for (const name of readdirSync(dir).filter(n => n.endsWith('.dat'))) {
    const bytes = readFileSync(join(dir, name))
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) hits.push({ pack: join(dir, name), at })
  }
  return hits
}

function flipByte (pack, at) {
  const fd = openSync(pack, 'r+')
  const b = Buffer.alloc(1)
  readSync(fd, b, 0, 1, at)
  b[0] ^= 0x40
  writeSync(fd, b, 0, 1, at)
  closeSync(fd)
}

function assertPrefix (body, data, what) {
  assert.ok(body.length < data.length, `${what}: the download stopped short (${body.length} of ${data.length} bytes)`)
  assert.ok(body.equals(data.subarray(0, body.length)), `${what}: every byte that arrived is the file's own`)
  assert.ok(body.length <= DAMAGE, `${what}: nothing at or past the damaged byte arrived`)
}

for (const mode of ['always', 'auto']) {
  for (const name of ['v0', 'v1']) {
    test(`sendfile=${mode}, ${name === 'v0' ? 'CIDv0 (dag-pb leaves)' : 'CIDv1 (raw leaves)'}: a flipped byte in a pack is never served`, async () => {
      const { d, files } = daemons[mode]
      const { cid, data, path } = files[name]
      const url = `/ipfs/${cid}`
      // Served whole first: the daemon has the pack open and its pages cached.
      const good = await rawGet(d.gateway, url)
      assert.equal(good.status, 200)
      assert.ok(good.body.equals(data), 'the intact file is served')

      const hits = findInPacks(d.repo, data.subarray(DAMAGE - 32, DAMAGE + 32))
      assert.equal(hits.length, 1, 'the damaged stretch is stored once')
      flipByte(hits[0].pack, hits[0].at + 32)
      try {
        const whole = await rawGet(d.gateway, url)
        assert.equal(whole.status, 200)
        assert.equal(whole.length, SIZE, 'Content-Length announced the whole file')
        assert.ok(whole.closed, 'the connection was closed: the client sees a failed transfer')
        assertPrefix(whole.body, data, 'whole file')

        // A range starting just before the damage: nothing of the damaged block goes out.
        const range = await rawGet(d.gateway, url, { Range: `bytes=${DAMAGE - 10}-${DAMAGE + 10}` })
        assert.ok(range.closed)
        assert.ok(range.body.length < 21, 'the range stops short')
        assert.ok(range.body.equals(data.subarray(DAMAGE - 10, DAMAGE - 10 + range.body.length)))

        // A client library reports the failure.
        await assert.rejects(fetch(`${d.gateway}${url}`).then(r => r.arrayBuffer()), 'fetch rejects the truncated body')

        // The command line refuses it too (exit status 4: corrupt data).
        const cat = spawnSync(IPFS_KIT, ['cat', cid], { env: d.env, maxBuffer: 1 << 26 })
        assert.equal(cat.status, 4, `ipfs-kit cat fails as corrupt: ${cat.stderr}`)
        assert.match(cat.stderr.toString(), /corrupt|does not match/)

        // The undamaged part is still served, and so is everything else.
        const head = await rawGet(d.gateway, url, { Range: 'bytes=0-99999' })
        assert.equal(head.status, 206)
        assert.ok(head.body.equals(data.subarray(0, 100000)))
        const other = files[name === 'v0' ? 'v1' : 'v0']
        const res = await fetch(`${d.gateway}/ipfs/${other.cid}`)
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(other.data), 'other content is unaffected')
        assert.equal((await fetch(`${d.api}/health`)).status, 200, 'the daemon is up')
      } finally {
        flipByte(hits[0].pack, hits[0].at + 32)
      }
      // Repaired, the same download is whole again: the failure was the flipped byte's.
      const again = await rawGet(d.gateway, url)
      assert.ok(again.body.equals(readFileSync(path)))
    })
  }
}
