// Malformed HTTP at every listener (management API, Kubo RPC, gateway), over
// raw sockets: a fixed list of known-bad requests must get a 4xx (or, for
// bytes that are not HTTP at all, a 400 or a closed connection), and a
// seeded property test of mutated requests (bit flips, truncations,
// insertions, duplications of valid requests) must never get a malformed
// status line or take the daemon down. Slow clients are cut off after the
// header timeout, and a flood of half-open connections does not stop the
// daemon from answering.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { startDaemon } from './helpers.mjs'

let daemon
const listeners = {}

before(() => {
  daemon = startDaemon({ config: { 'daemon.http_header_timeout': '2', 'daemon.http_idle_timeout': '5' } })
  for (const name of ['api', 'rpc', 'gateway']) {
    const [host, port] = daemon.state[name].split(':')
    listeners[name] = { host, port: Number(port) }
  }
})

after(() => daemon?.stop())

// Sends raw bytes (optionally in pieces), then reads until the server
// closes, `idleMs` passes without data, or `limitMs` passes. Returns what
// arrived and whether the server closed the connection.
function exchange (listener, chunks, { idleMs = 1500, limitMs = 8000, halfClose = false } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(listener.port, listener.host)
    const got = []
    let closed = false
    let idle
    const done = () => {
      clearTimeout(idle)
      clearTimeout(limit)
      sock.destroy()
      resolve({ text: Buffer.concat(got).toString('latin1'), closed })
    }
    const limit = setTimeout(done, limitMs)
    const arm = () => { clearTimeout(idle); idle = setTimeout(done, idleMs) }
    sock.on('connect', () => {
      for (const c of [].concat(chunks)) sock.write(c)
      if (halfClose) sock.end()
      arm()
    })
    sock.on('data', (d) => { got.push(d); arm() })
    sock.on('end', () => { closed = true; done() })
    sock.on('error', () => { closed = true; done() })
  })
}

const statusOf = (text) => {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text)
  return m ? Number(m[1]) : null
}

async function alive () {
  const res = await fetch(`${daemon.api}/health`)
  assert.equal(res.status, 200, 'the daemon still answers')
}

const hostHeader = (l) => `Host: ${l.host}:${l.port}\r\n`

// Requests that must be refused with a 4xx status.
function badRequests (l) {
  const h = hostHeader(l)
  const big = 'a'.repeat(64 * 1024)
  return [
    ['no HTTP version', `GET /\r\n\r\n`],
    ['bad method token', `G(T / HTTP/1.1\r\n${h}\r\n`],
    ['bad version', `GET / HTTP/9.9\r\n${h}\r\n`],
    ['header without colon', `GET / HTTP/1.1\r\n${h}NoColonHere\r\n\r\n`],
    ['space before colon', `GET / HTTP/1.1\r\n${h}Bad : x\r\n\r\n`],
    ['control byte in header', `GET / HTTP/1.1\r\n${h}X-A: a\x01b\r\n\r\n`],
    ['huge header', `GET / HTTP/1.1\r\n${h}X-Big: ${big}\r\n\r\n`],
    ['huge URL', `GET /${big} HTTP/1.1\r\n${h}\r\n`],
    ['many headers', `GET / HTTP/1.1\r\n${h}${'X-N: 1\r\n'.repeat(3000)}\r\n`],
    ['non-numeric Content-Length', `POST /api/v0/version HTTP/1.1\r\n${h}Content-Length: ten\r\n\r\n`],
    ['negative Content-Length', `POST /api/v0/version HTTP/1.1\r\n${h}Content-Length: -5\r\n\r\n`],
    ['conflicting Content-Lengths', `POST /api/v0/version HTTP/1.1\r\n${h}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
    ['Content-Length with chunked', `POST /api/v0/version HTTP/1.1\r\n${h}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['bad chunk size', `POST /api/v0/add HTTP/1.1\r\n${h}Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    ['body over the limit', `POST /backends/start/ipfs HTTP/1.1\r\n${h}Content-Length: 99999999999\r\n\r\n`],
    ['bad percent-encoding', `GET /ipfs/%zz HTTP/1.1\r\n${h}\r\n`],
    ['NUL in path', `GET /ipfs/a%00b HTTP/1.1\r\n${h}\r\n`]
  ]
}

for (const name of ['api', 'rpc', 'gateway']) {
  test(`${name}: known-bad requests get 4xx, never a crash`, async () => {
    const l = listeners[name]
    for (const [what, req] of badRequests(l)) {
      const { text } = await exchange(l, Buffer.from(req, 'latin1'))
      const status = statusOf(text)
      assert.ok(status !== null, `${what}: an HTTP status line (got ${JSON.stringify(text.slice(0, 60))})`)
      assert.ok(status >= 400 && status < 500, `${what}: 4xx, got ${status}`)
    }
    // Bytes that are not HTTP: a 400 or a closed connection.
    for (const junk of [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]), Buffer.from('\x00\x01\x02\r\n\r\n', 'latin1')]) {
      const { text, closed } = await exchange(l, junk, { halfClose: true })
      const status = statusOf(text)
      assert.ok(status === 400 || (text === '' && closed), `junk gets 400 or a close (got ${JSON.stringify(text.slice(0, 40))})`)
    }
    await alive()
  })
}

test('truncated uploads store nothing and leave the RPC working', async () => {
  const l = listeners.rpc
  const pinsBefore = daemon.kit('pin', 'ls', '--type=recursive').trim()
  const body = '--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\nContent-Type: application/octet-stream\r\n\r\n' + 'z'.repeat(5000)
  // Declares more than it sends, then closes.
  const head = `POST /api/v0/add HTTP/1.1\r\n${hostHeader(l)}Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n`
  await exchange(l, [Buffer.from(head + body, 'latin1')], { halfClose: true, idleMs: 500 })
  // A complete body whose multipart never ends.
  const { text } = await exchange(l, Buffer.from(`POST /api/v0/add HTTP/1.1\r\n${hostHeader(l)}Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, 'latin1'))
  assert.equal(statusOf(text), 400, 'an unterminated multipart body is a 400')
  // Chunked, cut inside the chunk framing.
  await exchange(l, Buffer.from(`POST /api/v0/add HTTP/1.1\r\n${hostHeader(l)}Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n${(body.length).toString(16)}\r\n${body}\r\n1`, 'latin1'), { halfClose: true, idleMs: 500 })
  assert.equal(daemon.kit('pin', 'ls', '--type=recursive').trim(), pinsBefore, 'no pin from a broken upload')
  const res = await fetch(`${daemon.rpc}/api/v0/version`, { method: 'POST' })
  assert.equal(res.status, 200)
})

test('slow clients are cut off after the header timeout; half-open connections do not block others', async () => {
  const l = listeners.gateway
  const started = Date.now()
  const { closed } = await exchange(l, Buffer.from('GET /ipfs/bafkqaaa HTTP/1.1\r\nHo', 'latin1'), { idleMs: 6000, limitMs: 8000 })
  const took = Date.now() - started
  assert.ok(closed, 'the server closed the stalled connection')
  assert.ok(took < 5000, `closed after the 2 s header timeout, not ${took} ms`)
  // 200 connections that send half a request line, then a normal request.
  const socks = await Promise.all(Array.from({ length: 200 }, () => new Promise((resolve) => {
    const s = net.connect(l.port, l.host, () => { s.write('GET /ipfs/'); resolve(s) })
    s.on('error', () => resolve(s))
  })))
  try {
    const res = await fetch(`${daemon.gateway}/ipfs/bafkqaaa`, { signal: AbortSignal.timeout(5000) })
    assert.equal(res.status, 200)
  } finally {
    for (const s of socks) s.destroy()
  }
})

// A small seeded PRNG (mulberry32), so a failure can be replayed.
function prng (seed) {
  return () => {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0
    let t = Math.imul(seed ^ seed >>> 15, 1 | seed)
    t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
    return ((t ^ t >>> 14) >>> 0) / 4294967296
  }
}

function validRequests (l) {
  const h = hostHeader(l)
  const mp = '--b\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n--b--\r\n'
  return [
    `GET /health HTTP/1.1\r\n${h}\r\n`,
    `GET /ipfs/bafkqaaa?format=raw HTTP/1.1\r\n${h}Accept: application/vnd.ipld.raw\r\n\r\n`,
    `GET /ipfs/bafkqaaa HTTP/1.1\r\n${h}Range: bytes=0-10\r\n\r\n`,
    `POST /api/v0/version HTTP/1.1\r\n${h}Content-Length: 0\r\n\r\n`,
    `POST /api/v0/add?pin=false&only-hash=true HTTP/1.1\r\n${h}Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${mp.length}\r\n\r\n${mp}`,
    `POST /api/v0/add?only-hash=true HTTP/1.1\r\n${h}Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n${mp.length.toString(16)}\r\n${mp}\r\n0\r\n\r\n`,
    `POST /backends/stop/nope HTTP/1.1\r\n${h}Content-Length: 2\r\n\r\n{}`
  ]
}

function mutate (rand, input) {
  const b = Buffer.from(input, 'latin1')
  const out = [...b]
  const n = 1 + Math.floor(rand() * 4)
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * (out.length + 1))
    switch (Math.floor(rand() * 6)) {
      case 0: if (out.length) out[at % out.length] ^= 1 << Math.floor(rand() * 8); break
      case 1: out.splice(at, Math.floor(rand() * 16)); break
      case 2: out.splice(at, 0, ...Buffer.from(['\r\n', ':', ' ', '\x00', '%', '-1', 'chunked', '99999999999999999999', '\r\n\r\n'][Math.floor(rand() * 9)], 'latin1')); break
      case 3: out.length = Math.min(out.length, at); break
      case 4: { const s = Math.floor(rand() * out.length); out.splice(at, 0, ...out.slice(s, s + Math.floor(rand() * 64))); break }
      default: out.splice(at, 0, Math.floor(rand() * 256))
    }
  }
  return Buffer.from(out)
}

test('property: mutated requests at every listener get well-formed answers, and the daemon survives', async () => {
  const seed = Number(process.env.HTTP_FUZZ_SEED ?? 20261121)
  const rounds = Number(process.env.HTTP_FUZZ_ROUNDS ?? 150)
  const rand = prng(seed)
  const counts = {}
  for (const name of ['api', 'rpc', 'gateway']) {
    const l = listeners[name]
    const valid = validRequests(l)
    const batch = []
    for (let i = 0; i < rounds; i++) {
      const input = mutate(rand, valid[Math.floor(rand() * valid.length)])
      batch.push(input)
    }
    // Eight at a time: the server sees them concurrently.
    for (let i = 0; i < batch.length; i += 8) {
      const results = await Promise.all(batch.slice(i, i + 8).map(b => exchange(l, b, { halfClose: rand() < 0.5, idleMs: 700, limitMs: 4000 })))
      for (const [k, r] of results.entries()) {
        if (r.text === '') continue // closed or waiting for more: both fine
        const status = statusOf(r.text)
        assert.ok(status !== null && status >= 100 && status < 600,
          `seed ${seed}, ${name} #${i + k}: a well-formed status line, got ${JSON.stringify(r.text.slice(0, 80))} for ${JSON.stringify(batch[i + k].toString('latin1').slice(0, 200))}`)
        assert.ok(status !== 500 || name === 'rpc', `${name} #${i + k}: no 500 for a malformed request (${JSON.stringify(batch[i + k].toString('latin1').slice(0, 200))})`)
        counts[status] = (counts[status] ?? 0) + 1
      }
    }
    await alive()
  }
  console.log('statuses seen:', JSON.stringify(counts))
})
