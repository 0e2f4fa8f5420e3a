// Backends against real servers started here:
//  - s3: s3rver (npm), run and supervised by the daemon itself; objects read
//    back with Debian's awscli;
//  - kubo: a second ipfs-kit daemon, also supervised by the first;
//  - filesystem: checked file by file against Kubo's flatfs layout, and a
//    directory written in that layout by this test (not by ipfs-kit) is read;
//  - ipfs_cluster: a stand-in written from IPFS Cluster's REST API docs;
//  - pinning_service: a stand-in written from the Pinning Service API spec
//    (until ipfs-kit serves /psa), which fetches from our gateway (origins);
//  - gateway: our own daemon's trustless gateway, and proxies in front of it
//    that flip bytes, cut responses short or send floods;
// plus bad configuration, unreachable endpoints (one alert per outage),
// wrong credentials and hostile RPC answers: a clear error, never a crash,
// never a block accepted that does not hash right.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { base32upper } from 'multiformats/bases/base32'
import { IPFS_KIT, startDaemon, tempDir, testdataToFile } from './helpers.mjs'
import { startClusterStandin, startPinningServiceStandin } from './standins.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const S3RVER = resolve(HERE, 'node_modules/s3rver/bin/s3rver.js')
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws'  // Debian's awscli
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function freePort () {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port
      s.close(() => resolve(port))
    })
  })
}

async function waitFor (what, fn, ms = 20000) {
  const end = Date.now() + ms
  let last
  while (Date.now() < end) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) { last = e }
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`)
}

// Flatfs key and path of a block (go-ds-flatfs, next-to-last/2), written
// here from Kubo's documentation, independently of ipfs-kit's code.
const flatfsKey = cid => base32upper.baseEncode(cid.multihash.bytes)
const flatfsPath = cid => { const k = flatfsKey(cid); return `${k.slice(-3, -1)}/${k}.data` }

let work, main, repo2, ports, cluster, psa
// The CLI runs asynchronously: the stand-ins and proxies live in this
// process and must keep answering while a command waits on them.
function run (...args) {
  return runWith(main.env, ...args)
}
function runWith (env, ...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(IPFS_KIT, args, { env })
    const out = []
    const err = []
    child.stdout.on('data', d => out.push(d))
    child.stderr.on('data', d => err.push(d))
    child.on('error', reject)
    child.on('close', status => resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), raw: Buffer.concat(out) }))
  })
}
async function kit (...args) {
  const r = await run(...args)
  if (r.status !== 0) throw new Error(`ipfs-kit ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return r.stdout
}
const kitJson = async (...args) => JSON.parse(await kit('--json', ...args))
const backend = async name => (await kitJson('backend', 'status', name))[name]
const health = async name => {
  await run('health', 'check', name)
  return (await backend(name)).health
}
const sameBytes = (a, b) => Buffer.from(a).equals(Buffer.from(b))
const blocksOf = async (cid) => {
  const r = await run('dag', 'export', cid)
  const reader = await CarReader.fromBytes(r.raw)
  const out = []
  for await (const b of reader.blocks()) out.push(b)
  return out
}
const aws = (...args) => execFileSync(AWS, ['--endpoint-url', `http://127.0.0.1:${ports.s3}`, '--region', 'us-east-1', ...args], {
  env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PAGER: '' },
  maxBuffer: 1 << 28
})

before(async () => {
  work = tempDir('ipfskit-backends-')
  ports = { s3: await freePort(), api2: await freePort(), rpc2: await freePort(), gw2: await freePort() }
  // The second node: another ipfs-kit repository on known ports, run by the first daemon.
  repo2 = join(work.dir, 'node2')
  const env2 = { ...process.env, IPFS_KIT_PATH: repo2 }
  for (const [k, p] of [['api', ports.api2], ['rpc', ports.rpc2], ['gateway', ports.gw2]]) {
    execFileSync(IPFS_KIT, ['config', 'set', `daemon.${k}_address`, `127.0.0.1:${p}`], { env: env2 })
  }
  execFileSync(IPFS_KIT, ['config', 'set', 'daemon.mcp_address', '127.0.0.1:0'], { env: env2 })  // never the default port
  cluster = await startClusterStandin()
  psa = await startPinningServiceStandin()
  process.env.IPFSKIT_TEST_S3_SECRET = 'S3RVER'
  process.env.IPFSKIT_TEST_CLUSTER_TOKEN = cluster.token
  mkdirSync(join(work.dir, 's3'))
  const section = o => JSON.stringify(o)
  main = startDaemon({
    config: {
      'daemon.health_check_interval': '1',
      'daemon.health_check_timeout': '3',
      'replication.enabled': 'false',  // copies are made and damaged by hand here (replication-multinode tests the daemon's own)
      'backends.s3store': section({
        type: 's3', endpoint: `http://127.0.0.1:${ports.s3}`, bucket: 'ipfs', prefix: 'ipfs-kit/', access_key: 'S3RVER',
        secret_key_env: 'IPFSKIT_TEST_S3_SECRET', path_style: true, tags: ['object'], failure_domain: 'local-s3',
        // s3rver 3.7 uses DES for continuation tokens: Node >= 17 needs the legacy provider.
        command: process.execPath, args: [S3RVER, '-d', join(work.dir, 's3'), '-a', '127.0.0.1', '-p', String(ports.s3), '--configure-bucket', 'ipfs'],
        env: { NODE_OPTIONS: '--openssl-legacy-provider' }
      }),
      'backends.node2': section({
        type: 'kubo', rpc: `http://127.0.0.1:${ports.rpc2}`, gateway: `http://127.0.0.1:${ports.gw2}`,
        command: IPFS_KIT, args: ['--repo', repo2, 'daemon', 'start'], failure_domain: 'node2'
      }),
      'backends.disk': section({ type: 'filesystem', path: join(work.dir, 'flatfs') }),
      'backends.cluster': section({
        type: 'ipfs_cluster', endpoint: cluster.url, token_env: 'IPFSKIT_TEST_CLUSTER_TOKEN', gateway: cluster.url, pin_timeout: 30
      }),
      'backends.psa': section({ type: 'pinning_service', endpoint: psa.url, token: psa.token, pin_timeout: 30 })
    }
  })
  // The supervised processes come up with the daemon.
  await waitFor('s3rver healthy', async () => (await health('s3store')) === 'healthy')
  // A second daemon starting on a loaded machine may take a while (its supervisor backs off after a failed
  // start); when it never comes up, say why: its process state and the tail of its output.
  try {
    await waitFor('node2 healthy', async () => (await health('node2')) === 'healthy', 60000)
  } catch (e) {
    const logFile = join(main.repo, 'logs', 'backends', 'node2.log')
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '(no log)'
    throw new Error(`${e.message}; process: ${JSON.stringify((await backend('node2')).process)}; log:\n${log}`)
  }
})

after(async () => {
  main?.stop()  // stops s3rver and node2 with it
  await cluster?.close()
  await psa?.close()
  work?.cleanup()
})

test('configuration: unknown types and fields are refused, secrets are never shown', async () => {
  let r = await run('backend', 'add', 'tape1', '--type', 'tape')
  assert.equal(r.status, 2)
  assert.match(r.stderr, /unknown backend type "tape" \(one of: ipfs, kubo, s3/)
  r = await run('backend', 'add', 'b1', '--type', 's3', 'bukket=x')
  assert.equal(r.status, 2)
  assert.match(r.stderr, /unknown field "bukket" for type s3/)
  r = await run('backend', 'add', 'b2', '--type', 's3', 'bucket=x')
  assert.equal(r.status, 2)
  assert.match(r.stderr, /set backends\.b2\.access_key/)
  r = await run('backend', 'add', 'disk', '--type', 'filesystem', 'path=/tmp/x')
  assert.equal(r.status, 10, r.stderr)  // exists
  r = await run('backend', 'rm', 'lassie')
  assert.equal(r.status, 2)
  assert.match(r.stderr, /seeds' backends/)
  r = await run('config', 'set', 'backends.disk.path', 'relative/dir')
  assert.equal(r.status, 2)
  // Secrets: the S3 access key, the cluster token and env values stay hidden.
  const shown = await kit('config', 'show') + await kit('config', 'get', 'backends') +
    JSON.stringify(await kitJson('backend', 'list')) + execFileSync('curl', ['-s', `${main.api}/status`]).toString() +
    readFileSync(join(main.repo, 'logs', 'daemon.log'), 'utf8')
  assert.doesNotMatch(shown, /S3RVER/)
  assert.doesNotMatch(shown, new RegExp(cluster.token))
  assert.doesNotMatch(shown, /--openssl-legacy-provider/)
  assert.match(shown, /IPFSKIT_TEST_S3_SECRET/)  // the variable's name is not a secret
  // The seeds' five names are there; unconfigured ones name the key to set.
  const all = await kitJson('backend', 'list')
  for (const n of ['ipfs', 'ipfs_cluster', 'lotus', 'lassie', 'storacha']) assert.ok(all[n], n)
  assert.equal(all.ipfs_cluster.health, 'unconfigured')
  assert.match(all.ipfs_cluster.error, /set backends\.ipfs_cluster\.endpoint/)
  assert.equal(all.lotus.health, 'unsupported')
  assert.match(all.lotus.error, /JSON-RPC deal making/)
  assert.equal(all.storacha.health, 'unsupported')
  assert.match(all.storacha.error, /UCAN/)
  // A backend added from the command line is picked up by the running daemon.
  await kit('backend', 'add', 'scratch', '--type', 'filesystem', `path=${join(work.dir, 'scratch')}`, 'tags=a,b')
  assert.deepEqual((await backend('scratch')).tags, ['a', 'b'])
  await kit('backend', 'rm', 'scratch')
  assert.equal((await run('backend', 'status', 'scratch')).status, 3)
})

test('s3 backend against s3rver, supervised by the daemon', async () => {
  const file = join(work.dir, 's3-input.bin')
  testdataToFile(file, 's3-backend', 1_500_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'photos', '--pin-meta', 'team=infra', file)).trim()
  const receipt = await kitJson('backend', 'push', 's3store', cid)
  const blocks = await blocksOf(cid)
  assert.equal(receipt.status, 'pinned')
  assert.equal(receipt.blocks, blocks.length)
  // s3rver does not echo x-amz-checksum-sha256, so the copy is read back.
  assert.equal(receipt.verified_by, 'read-back')
  // The layout, read with awscli: blocks/<shard>/<key>, pins/<cid>.json.
  const keys = aws('s3', 'ls', '--recursive', 's3://ipfs/ipfs-kit/').toString()
  for (const b of blocks) {
    const key = `ipfs-kit/blocks/${flatfsKey(b.cid).slice(-3, -1)}/${flatfsKey(b.cid)}`
    assert.ok(keys.includes(key), key)
  }
  const one = blocks[blocks.length - 1]
  const out = join(work.dir, 'object.bin')
  aws('s3api', 'get-object', '--bucket', 'ipfs', '--key', `ipfs-kit/blocks/${flatfsPath(one.cid).replace('.data', '')}`, out)
  assert.ok(sameBytes(readFileSync(out), one.bytes))
  const record = JSON.parse(aws('s3', 'cp', `s3://ipfs/ipfs-kit/pins/${CID.parse(cid).toV1().toString()}.json`, '-').toString())
  assert.deepEqual({ cid: record.cid, name: record.name, meta: record.meta }, { cid, name: 'photos', meta: { team: 'infra' } })
  assert.equal(JSON.parse(aws('s3', 'cp', 's3://ipfs/ipfs-kit/ipfs-kit.json', '-').toString()).format, 'ipfs-kit-s3/1')
  // The bucket alone lists the pin with its name and metadata.
  const pins = await kitJson('backend', 'pins', 's3store')
  assert.deepEqual(pins.map(p => [p.cid, p.name, p.meta]), [[cid, 'photos', { team: 'infra' }]])
  assert.equal((await kitJson('backend', 'verify', 's3store', cid)).ok, true)
  const usage = (await kitJson('backend', 'usage', 's3store')).usage
  assert.equal(usage.blocks, blocks.length)
  assert.equal(usage.pins, 1)
  // A block replaced behind our back is found and never served.
  const victim = blocks[1]
  const bad = join(work.dir, 'bad.bin')
  writeFileSync(bad, Buffer.from(victim.bytes).map((x, i) => (i === 0 ? x ^ 0xff : x)))
  aws('s3', 'cp', bad, `s3://ipfs/ipfs-kit/blocks/${flatfsPath(victim.cid).replace('.data', '')}`)
  let r = await run('--json', 'backend', 'verify', 's3store', cid)
  assert.equal(r.status, 4, r.stderr)
  assert.equal(JSON.parse(r.stdout).corrupt, 1)
  r = await run('backend', 'get', 's3store', victim.cid.toString())
  assert.equal(r.status, 4)
  assert.match(r.stderr, /sent bad data/)
  // Pushing again repairs it.
  await kitJson('backend', 'push', 's3store', cid)
  assert.equal((await kitJson('backend', 'verify', 's3store', cid)).ok, true)
  await kit('backend', 'unpin', 's3store', cid)
  assert.deepEqual(await kitJson('backend', 'pins', 's3store'), [])
  assert.equal((await run('backend', 'unpin', 's3store', cid)).status, 3)
  // Wrong credentials: a clear error, and the backend is reported down.
  await kit('backend', 'add', 's3wrong', '--type', 's3', `endpoint=http://127.0.0.1:${ports.s3}`, 'bucket=ipfs', 'access_key=NOT-S3RVER', 'secret_key=x')
  r = await run('backend', 'push', 's3wrong', cid)
  assert.equal(r.status, 8, r.stderr)
  assert.match(r.stderr, /InvalidAccessKeyId.*check access_key and secret_key/)
  await waitFor('s3wrong down', async () => (await health('s3wrong')) === 'unhealthy')
  await kit('backend', 'rm', 's3wrong')
})

test('kubo backend: a second ipfs-kit daemon, supervised by the first', async () => {
  const file = join(work.dir, 'kubo-input.bin')
  testdataToFile(file, 'kubo-backend', 700_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'dataset', '--pin-meta', 'v=2', file)).trim()
  const receipt = await kitJson('backend', 'push', 'node2', cid)
  assert.equal(receipt.verified_by, 'read-back')
  assert.equal(receipt.blocks, (await blocksOf(cid)).length)
  // The second node holds the pin with its name and metadata, and the bytes.
  const env2 = { ...process.env, IPFS_KIT_PATH: repo2 }
  const pins2 = JSON.parse(execFileSync(IPFS_KIT, ['--json', 'pin', 'ls', '--type=recursive', '--metadata'], { env: env2 }).toString())
  const line = JSON.stringify(pins2)
  assert.match(line, new RegExp(cid))
  assert.match(line, /dataset/)
  assert.deepEqual(execFileSync(IPFS_KIT, ['cat', cid], { env: env2, maxBuffer: 1 << 26 }), readFileSync(file))
  assert.deepEqual((await kitJson('backend', 'pins', 'node2')).map(p => [p.cid, p.name, p.meta]), [[cid, 'dataset', { v: '2' }]])
  assert.equal((await kitJson('backend', 'verify', 'node2', cid)).ok, true)
  const out = join(work.dir, 'kubo-block.bin')
  await kit('backend', 'get', 'node2', cid, '-o', out)
  assert.deepEqual(readFileSync(out), execFileSync(IPFS_KIT, ['block', 'get', cid], { env: main.env }))
  await kit('backend', 'unpin', 'node2', cid)
  assert.deepEqual(await kitJson('backend', 'pins', 'node2'), [])
  // A block it does not have is missing there, not fetched from elsewhere.
  const otherFile = join(work.dir, 'kubo-other.bin')
  testdataToFile(otherFile, 'kubo-other', 300_000)
  const other = (await kit('add', '-Q', '--pin=false', otherFile)).trim()
  const v = await run('--json', 'backend', 'verify', 'node2', other)
  assert.equal(v.status, 4)
  assert.equal(JSON.parse(v.stdout).missing, 1)
})

test('filesystem backend: Kubo\'s flatfs layout, both ways', async () => {
  const dir = join(work.dir, 'flatfs')
  const file = join(work.dir, 'fs-input.bin')
  testdataToFile(file, 'fs-backend', 900_000)
  const cid = (await kit('add', '-Q', '--cid-version=1', file)).trim()
  const receipt = await kitJson('backend', 'push', 'disk', cid, '--name', 'on-disk')
  assert.equal(receipt.verified_by, 'read-back')
  assert.equal(readFileSync(join(dir, 'SHARDING'), 'utf8'), '/repo/flatfs/shard/v1/next-to-last/2\n')
  // Every block at Kubo's path, byte for byte, and nothing else in the shards.
  const blocks = await blocksOf(cid)
  const expected = new Set(blocks.map(b => flatfsPath(b.cid)))
  for (const b of blocks) assert.ok(sameBytes(readFileSync(join(dir, flatfsPath(b.cid))), b.bytes), flatfsPath(b.cid))
  const found = []
  for (const shard of readdirSync(dir).filter(n => /^[A-Z2-7]{2}$/.test(n))) {
    for (const f of readdirSync(join(dir, shard))) found.push(`${shard}/${f}`)
  }
  assert.deepEqual(found.sort(), [...expected].sort())
  // Kubo's own vector: `hello world\n` is blocks/YD/CIQENVCICS44...FUYDQ.data.
  assert.equal(flatfsPath(CID.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')),
    'YD/CIQENVCICS44LLYUDQ5KVN6ALXC6QRHK2X4R6EUFRMBB5OSFO2FUYDQ.data')
  // The other way: a directory written here in Kubo's layout (as Kubo's
  // blocks/ folder would be) serves as a backend.
  const kuboDir = join(work.dir, 'kubo-blocks')
  mkdirSync(kuboDir)
  writeFileSync(join(kuboDir, 'SHARDING'), '/repo/flatfs/shard/v1/next-to-last/2\n')
  for (const b of blocks) {
    mkdirSync(join(kuboDir, flatfsPath(b.cid).slice(0, 2)), { recursive: true })
    writeFileSync(join(kuboDir, flatfsPath(b.cid)), b.bytes)
  }
  await kit('backend', 'add', 'kuborepo', '--type', 'filesystem', `path=${kuboDir}`)
  assert.equal((await kitJson('backend', 'verify', 'kuborepo', cid)).ok, true)
  const out = join(work.dir, 'fs-block.bin')
  await kit('backend', 'get', 'kuborepo', blocks[2].cid.toString(), '-o', out)
  assert.ok(sameBytes(readFileSync(out), blocks[2].bytes))
  await kit('backend', 'rm', 'kuborepo')
})

test('ipfs_cluster backend against a Cluster REST API stand-in (written from Cluster\'s API docs)', async () => {
  const file = join(work.dir, 'cluster-input.bin')
  testdataToFile(file, 'cluster-backend', 600_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'clustered', '--pin-meta', 'owner=ops', file)).trim()
  const receipt = await kitJson('backend', 'push', 'cluster', cid, '--replication-min', '2', '--replication-max', '3')
  assert.equal(receipt.status, 'pinned')
  assert.equal(receipt.details.pinned_peers, 2)
  assert.deepEqual(Object.keys(receipt.details.peer_map).sort(), ['12D3KooWPeerA', '12D3KooWPeerB'])
  assert.equal(receipt.verified_by, 'read-back')  // through the cluster's gateway
  const add = cluster.requests.find(r => r.startsWith('POST /add'))
  assert.match(add, /format=car/)
  assert.match(add, /name=clustered/)
  assert.match(add, /replication-min=2/)
  assert.match(add, /replication-max=3/)
  assert.match(add, /meta-owner=ops/)
  // The stand-in polled once as "pinning", so the client polled.
  assert.ok(cluster.requests.filter(r => r === `GET /pins/${cid}`).length >= 2)
  assert.deepEqual((await kitJson('backend', 'pins', 'cluster')).map(p => [p.cid, p.name, p.meta]), [[cid, 'clustered', { owner: 'ops' }]])
  assert.equal((await kitJson('backend', 'usage', 'cluster')).usage.bytes_free, 2 * (1 << 30))
  await kit('backend', 'unpin', 'cluster', cid)
  assert.deepEqual(await kitJson('backend', 'pins', 'cluster'), [])
  // Without a gateway nothing can prove the copy: the receipt says so.
  await kit('backend', 'add', 'cluster2', '--type', 'ipfs_cluster', `endpoint=${cluster.url}`, 'token_env=IPFSKIT_TEST_CLUSTER_TOKEN')
  const unproven = await kitJson('backend', 'push', 'cluster2', cid)
  assert.equal(unproven.status, 'pinned')
  assert.equal(unproven.verified_by, null)
  assert.match(await kit('backend', 'push', 'cluster2', cid), /NOT verified/)
  const v = await run('backend', 'verify', 'cluster2', cid)
  assert.equal(v.status, 9)
  assert.match(v.stderr, /serves no blocks; set backends\.cluster2\.gateway/)
  // A wrong token.
  await kit('backend', 'add', 'cluster3', '--type', 'ipfs_cluster', `endpoint=${cluster.url}`, 'token=wrong')
  const denied = await run('backend', 'push', 'cluster3', cid)
  assert.equal(denied.status, 8, denied.stderr)
  await kit('backend', 'rm', 'cluster2')
  await kit('backend', 'rm', 'cluster3')
})

test('pinning_service backend against a Pinning Service API stand-in (until ipfs-kit serves /psa)', async () => {
  const file = join(work.dir, 'psa-input.bin')
  testdataToFile(file, 'psa-backend', 400_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'remote', '--pin-meta', 'k=v', file)).trim()
  // The service fetches the DAG from our gateway (the origin we send).
  const receipt = await kitJson('backend', 'push', 'psa', cid)
  assert.equal(receipt.status, 'pinned')
  assert.match(receipt.details.requestid, /^req-/)
  assert.equal(receipt.verified_by, null)  // the Pinning Service API cannot serve blocks
  const stored = [...psa.pins.values()].find(p => p.pin.cid === cid)
  assert.equal(stored.pin.name, 'remote')
  assert.deepEqual(stored.pin.meta, { k: 'v' })
  assert.match(stored.pin.origins[0], /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/http$/)
  assert.equal(psa.blocks.size, (await blocksOf(cid)).length)  // it really fetched the DAG
  assert.deepEqual((await kitJson('backend', 'pins', 'psa')).map(p => [p.cid, p.name, p.meta, p.status]), [[cid, 'remote', { k: 'v' }, 'pinned']])
  // Pinning again reuses the request.
  await kitJson('backend', 'push', 'psa', cid)
  assert.equal([...psa.pins.values()].filter(p => p.pin.cid === cid).length, 1)
  // With the service's gateway configured, the copy is read back.
  await kit('config', 'set', 'backends.psa.gateway', psa.url)
  await waitFor('psa reconfigured', async () => (await backend('psa')).config.gateway === psa.url)
  assert.equal((await kitJson('backend', 'push', 'psa', cid)).verified_by, 'read-back')
  await kit('backend', 'unpin', 'psa', cid)
  assert.deepEqual(await kitJson('backend', 'pins', 'psa'), [])
  // A wrong token is refused with the service's reason.
  await kit('backend', 'add', 'psa2', '--type', 'pinning_service', `endpoint=${psa.url}`, 'token=wrong')
  const denied = await run('backend', 'push', 'psa2', cid)
  assert.equal(denied.status, 8)
  assert.match(denied.stderr, /UNAUTHORIZED/)
  await kit('backend', 'rm', 'psa2')
})

// A proxy in front of a gateway that lies on demand.
async function startProxy (target) {
  const state = { mode: 'honest' }
  const server = createHttpServer(async (req, res) => {
    if (state.mode === 'flood') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw' })
      const junk = Buffer.alloc(1 << 20, 0x61)
      for (let i = 0; i < 40 && !res.destroyed; i++) res.write(junk)
      return res.end()
    }
    const r = await fetch(target + req.url, { headers: { Accept: req.headers.accept ?? '*/*' } })
    const body = Buffer.from(await r.arrayBuffer())
    if (state.mode === 'flip' && body.length > 0 && !req.url.includes('bafkqaaa')) body[body.length >> 1] ^= 0x01
    if (state.mode === 'truncate' && !req.url.includes('bafkqaaa')) {
      res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type'), 'Content-Length': body.length })
      res.write(body.subarray(0, body.length >> 1))
      return res.destroy()
    }
    res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/octet-stream' })
    res.end(body)
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => { server.closeAllConnections(); server.close() } }
}

test('gateway backend (the seeds\' lassie) against our own daemon\'s gateway, every block verified', async () => {
  const file = join(work.dir, 'gw-input.bin')
  testdataToFile(file, 'gw-backend', 800_000)
  const cid = (await kit('add', '-Q', file)).trim()
  const blocks = await blocksOf(cid)
  const proxy = await startProxy(main.gateway)
  try {
    await kit('config', 'set', 'backends.lassie.url', proxy.url)
    await waitFor('lassie healthy', async () => (await health('lassie')) === 'healthy')
    assert.equal((await backend('lassie')).capabilities.replica, false)
    assert.equal((await kitJson('backend', 'verify', 'lassie', cid)).ok, true)
    const out = join(work.dir, 'gw-block.bin')
    await kit('backend', 'get', 'lassie', blocks[3].cid.toString(), '-o', out)
    assert.ok(sameBytes(readFileSync(out), blocks[3].bytes))
    // Retrieval only: never a replica.
    const push = await run('backend', 'push', 'lassie', cid)
    assert.equal(push.status, 9)
    assert.match(push.stderr, /retrieval|read source/)
    // Lies: flipped bytes, a response cut short, a flood.
    proxy.state.mode = 'flip'
    let r = await run('backend', 'get', 'lassie', blocks[3].cid.toString(), '-o', join(work.dir, 'never.bin'))
    assert.equal(r.status, 4, r.stderr)
    assert.equal(existsSync(join(work.dir, 'never.bin')), false)
    r = await run('--json', 'backend', 'verify', 'lassie', cid)
    assert.notEqual(r.status, 0)
    proxy.state.mode = 'truncate'
    r = await run('backend', 'verify', 'lassie', cid)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /Error: /)
    r = await run('backend', 'get', 'lassie', blocks[3].cid.toString())
    assert.notEqual(r.status, 0)
    proxy.state.mode = 'flood'
    r = await run('backend', 'get', 'lassie', blocks[3].cid.toString())
    assert.equal(r.status, 11, r.stderr)
    proxy.state.mode = 'honest'
    assert.equal((await fetch(`${main.api}/health`)).status, 200)  // the daemon is fine
  } finally {
    proxy.close()
  }
})

test('outages: unreachable endpoints go down after two missed probes, one alert per outage, recovery resolves it', async () => {
  const port = await freePort()
  await kit('backend', 'add', 'flaky', '--type', 'gateway', `url=http://127.0.0.1:${port}`)
  await waitFor('flaky down', async () => (await backend('flaky')).health === 'unhealthy')
  await sleep(2500)  // more missed probes: still one outage
  let alerts = await kitJson('health', 'alerts')
  assert.equal(alerts.active.filter(a => a.backend === 'flaky').length, 1)
  const metrics = execFileSync('curl', ['-s', `${main.api}/metrics`]).toString()
  assert.match(metrics, /ipfskit_backend_up\{backend="flaky"\} 0/)
  assert.match(metrics, /ipfskit_backend_alerts_total\{backend="flaky"\} 1/)
  assert.match(metrics, /ipfskit_backend_probe_duration_seconds_bucket\{backend="flaky",le="\+Inf"\}/)
  assert.equal(readFileSync(join(main.repo, 'logs', 'daemon.log'), 'utf8').split('\n').filter(l => /msg="backend down" backend=flaky/.test(l)).length, 1)
  assert.equal((await run('health', 'check')).status, 6)  // a backend is down
  const h = await (await fetch(`${main.api}/health`)).json()
  assert.equal(h.status, 'degraded')
  // It comes back.
  const gw = createHttpServer((req, res) => { res.writeHead(200); res.end() })
  await new Promise(resolve => gw.listen(port, '127.0.0.1', resolve))
  try {
    await waitFor('flaky recovered', async () => (await backend('flaky')).health === 'healthy')
    alerts = await kitJson('health', 'alerts')
    assert.equal(alerts.active.filter(a => a.backend === 'flaky').length, 0)
    assert.ok(alerts.recent.some(a => a.backend === 'flaky' && a.resolved_at))
    assert.match(readFileSync(join(main.repo, 'logs', 'daemon.log'), 'utf8'), /msg="backend recovered" backend=flaky/)
    const history = (await backend('flaky')).history.map(x => x.status)
    assert.ok(history.includes('degraded') && history.includes('unhealthy') && history.at(-1) === 'healthy', history.join(','))
  } finally {
    gw.closeAllConnections()
    gw.close()
    await kit('backend', 'rm', 'flaky')
  }
})

test('hostile Kubo RPC answers: clear errors, no crash, nothing counted', async () => {
  const mode = { v: 'garbage' }
  const fake = createHttpServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    const url = new URL(req.url, 'http://x')
    if (mode.v === 'garbage') { res.writeHead(200); return res.end('{"Version": ') }
    if (url.pathname === '/api/v0/version') { res.writeHead(200); return res.end('{"Version":"0.30.0"}') }
    if (url.pathname === '/api/v0/dag/import') { res.writeHead(200); return res.end('{"Root":{"Cid":{"/":"bafkqaaa"}}}\n') }
    if (url.pathname === '/api/v0/pin/add') { res.writeHead(200); return res.end('{"Pins":["bafkqaaa"]}') }
    if (url.pathname === '/api/v0/block/get') { res.writeHead(200); return res.end('not the block you asked for') }
    if (url.pathname === '/api/v0/dag/export') { res.writeHead(200); return res.end(Buffer.alloc(64, 0xff)) }
    res.writeHead(500)
    res.end('{"Message":"boom","Code":0,"Type":"error"}')
  })
  await new Promise(resolve => fake.listen(0, '127.0.0.1', resolve))
  const input = join(work.dir, 'liar-input.bin')
  testdataToFile(input, 'liar-input', 300_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'for-the-liar', '--pin-meta', 'k=v', input)).trim()
  try {
    await kit('backend', 'add', 'liar', '--type', 'kubo', `rpc=http://127.0.0.1:${fake.address().port}`)
    let r = await run('health', 'check', 'liar')
    assert.notEqual(r.status, 0)
    assert.match((await backend('liar')).error, /malformed/)
    mode.v = 'lies'
    r = await run('backend', 'push', 'liar', cid)
    assert.equal(r.status, 4, r.stderr)
    assert.match(r.stderr, /did not confirm/)
    r = await run('backend', 'get', 'liar', cid)
    assert.equal(r.status, 4)
    r = await run('backend', 'verify', 'liar', cid)
    assert.notEqual(r.status, 0)
    assert.equal((await fetch(`${main.api}/health`)).status, 200)
  } finally {
    fake.closeAllConnections()
    fake.close()
    await kit('backend', 'rm', 'liar')
  }
})

test('supervision: a crash restarts with backoff, stop and start, output in logs/backends/NAME.log', async () => {
  const before = (await backend('s3store')).process
  assert.equal(before.state, 'running')
  process.kill(before.pid, 'SIGKILL')
  await waitFor('s3rver restarted', async () => {
    const p = (await backend('s3store')).process
    return p.state === 'running' && p.pid && p.pid !== before.pid && p.restarts >= 1
  })
  assert.match((await backend('s3store')).process.last_exit, /SIGKILL/)
  await waitFor('s3store healthy again', async () => (await health('s3store')) === 'healthy')
  const metrics = execFileSync('curl', ['-s', `${main.api}/metrics`]).toString()
  assert.match(metrics, /ipfskit_backend_process_restarts_total\{backend="s3store"\} [1-9]/)
  const tail = await kit('log', 'tail', '--backend', 's3store', '-n', '200')
  assert.match(tail, /ipfs-kit: started pid/)
  assert.match(tail, /killed by signal 9/)
  assert.match(tail, /info/)  // s3rver's own output
  assert.equal((await run('log', 'tail', '--backend', '../../etc/passwd')).status, 2)
  // stop and start through the CLI; the second node too.
  const pid2 = (await backend('node2')).process.pid
  await kit('backend', 'stop', 'node2')
  assert.equal((await backend('node2')).process.state, 'stopped')
  assert.equal((await backend('node2')).health, 'stopped')
  assert.throws(() => process.kill(pid2, 0))
  assert.equal((await run('backend', 'push', 'node2', CID.parse('bafkqaaa').toString())).status, 6)  // stopped: unavailable
  await kit('backend', 'start', 'node2')
  await waitFor('node2 healthy again', async () => (await health('node2')) === 'healthy')
  // A backend without a process cannot be started or stopped.
  const r = await run('backend', 'stop', 'disk')
  assert.equal(r.status, 9)
  assert.match(r.stderr, /not a process the daemon runs/)
})

test('backend restore from the s3 bucket alone and from a kubo node into a fresh repository; reads fall back to them', async () => {
  const a = join(work.dir, 'restore-a.bin')
  const b = join(work.dir, 'restore-b.bin')
  testdataToFile(a, 'restore-a', 900_000)
  testdataToFile(b, 'restore-b', 120_000)
  const ca = (await kit('add', '-Q', '--pin-name', 'r-photos', '--pin-meta', 'team=infra', '--pin-meta', 'year=2026', a)).trim()
  const cb = (await kit('add', '-Q', '--cid-version', '1', '--pin-name', 'r-notes', b)).trim()
  for (const to of ['s3store', 'node2']) {
    for (const c of [ca, cb]) assert.equal((await kitJson('backend', 'push', to, c)).status, 'pinned')
  }
  // A fresh repository that knows the backends (not their processes).
  const fresh = tempDir('ipfskit-restore-')
  const env = { ...process.env, IPFS_KIT_PATH: join(fresh.dir, 'repo') }
  const inFresh = (...args) => runWith(env, ...args)
  const configure = async (names) => {
    const sections = {
      s3store: { type: 's3', endpoint: `http://127.0.0.1:${ports.s3}`, bucket: 'ipfs', prefix: 'ipfs-kit/', access_key: 'S3RVER', secret_key_env: 'IPFSKIT_TEST_S3_SECRET', path_style: true },
      node2: { type: 'kubo', rpc: `http://127.0.0.1:${ports.rpc2}`, gateway: `http://127.0.0.1:${ports.gw2}` }
    }
    for (const n of names) {
      const r = await inFresh('config', 'set', `backends.${n}`, JSON.stringify(sections[n]))
      assert.equal(r.status, 0, r.stderr)
    }
  }
  const pinsHere = async () => {
    const r = await inFresh('--json', 'pin', 'ls', '--type=recursive', '--metadata')
    assert.equal(r.status, 0, r.stderr)
    return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map(JSON.parse).map(p => [p.Cid, [p.Name, p.Metadata ?? {}]]))
  }
  try {
    for (const from of ['s3store', 'node2']) {
      fresh.cleanup()
      mkdirSync(fresh.dir, { recursive: true })
      await configure([from])
      // Reads fall back to it, every block verified.
      let r = await inFresh('cat', ca)
      assert.equal(r.status, 0, r.stderr)
      assert.ok(sameBytes(r.raw, readFileSync(a)), `cat through ${from}`)
      assert.equal((await inFresh('repo', 'gc')).status, 0)
      assert.equal((await inFresh('config', 'set', 'retrieval.fallback', 'false')).status, 0)
      assert.equal((await inFresh('cat', ca)).status, 3)  // gone again: the cache was not pinned
      // The dry run changes nothing.
      r = await inFresh('--json', 'backend', 'restore', from, '--dry-run')
      assert.equal(r.status, 0, r.stderr)
      assert.ok(JSON.parse(r.stdout).would_restore >= 2)
      assert.deepEqual(await pinsHere(), {})
      // The restore: names, metadata and bytes back, the repository sound.
      r = await inFresh('--json', 'backend', 'restore', from)
      assert.equal(r.status, 0, r.stderr)
      const summary = JSON.parse(r.stdout)
      assert.equal(summary.failed, 0)
      const statuses = Object.fromEntries(summary.pins_restored.map(p => [p.cid, p.status]))
      assert.equal(statuses[ca], 'restored')
      assert.equal(statuses[cb], 'restored')
      const pins = await pinsHere()
      assert.deepEqual(pins[ca], ['r-photos', { team: 'infra', year: '2026' }], from)
      assert.deepEqual(pins[cb], ['r-notes', {}], from)
      for (const [c, f] of [[ca, a], [cb, b]]) {
        r = await inFresh('cat', c)
        assert.equal(r.status, 0, r.stderr)
        assert.ok(sameBytes(r.raw, readFileSync(f)), `${c} restored from ${from}`)
      }
      assert.equal((await inFresh('repo', 'verify')).status, 0)
      // Again: nothing left to do.
      r = await inFresh('--json', 'backend', 'restore', from)
      const again = JSON.parse(r.stdout)
      assert.equal(again.blocks_fetched, 0)
      assert.equal(Object.fromEntries(again.pins_restored.map(p => [p.cid, p.status]))[ca], 'complete')
    }
  } finally {
    fresh.cleanup()
  }
  // Through the daemon (its route, streamed; the client reads the lines):
  // the main repository holds them already.
  const r = await run('--json', 'backend', 'restore', 's3store')
  assert.equal(r.status, 0, r.stderr)
  const statuses = Object.fromEntries(JSON.parse(r.stdout).pins_restored.map(p => [p.cid, p.status]))
  assert.equal(statuses[ca], 'complete')
  assert.equal(statuses[cb], 'complete')
  const lines = execFileSync('curl', ['-s', '-X', 'POST', `${main.api}/backends/node2/restore?dry_run=true`]).toString().trim().split('\n').map(l => JSON.parse(l))
  assert.ok(lines.some(l => l.pin?.cid === ca))
  assert.equal(lines[lines.length - 1].summary.dry_run, true)
  assert.equal(JSON.parse(execFileSync('curl', ['-s', '-X', 'POST', `${main.api}/backends/nosuch/restore`]).toString()).code ?? 'not_found', 'not_found')
  const lassie = await run('backend', 'restore', 'lassie')  // a read source keeps no pins
  assert.equal(lassie.status, 9, lassie.stderr)
  for (const c of [ca, cb]) {
    await kit('backend', 'unpin', 's3store', c)
    await kit('backend', 'unpin', 'node2', c)
  }
})

test('reads fall back past hostile sources: flipped bytes refused, cut-short and flooding answers a clear error', async () => {
  const file = join(work.dir, 'hostile-fallback.bin')
  testdataToFile(file, 'hostile-fallback', 400_000)
  const cid = (await kit('add', '-Q', '--pin-name', 'hostile', file)).trim()
  assert.equal((await kitJson('backend', 'push', 's3store', cid)).status, 'pinned')
  const proxy = await startProxy(main.gateway)
  const fresh = tempDir('ipfskit-hostile-')
  const env = { ...process.env, IPFS_KIT_PATH: join(fresh.dir, 'repo') }
  // Asynchronously: the proxy lives in this process and must keep answering.
  const inFresh = (...args) => runWith(env, ...args)
  try {
    const set = async (k, v) => assert.equal((await inFresh('config', 'set', k, v)).status, 0)
    await set('backends.liar', JSON.stringify({ type: 'gateway', url: proxy.url }))
    await set('backends.s3store', JSON.stringify({ type: 's3', endpoint: `http://127.0.0.1:${ports.s3}`, bucket: 'ipfs', prefix: 'ipfs-kit/', access_key: 'S3RVER', secret_key_env: 'IPFSKIT_TEST_S3_SECRET', path_style: true }))
    await set('retrieval.cache', 'false')
    await set('retrieval.timeout', '5')
    proxy.state.mode = 'flip'
    let r = await inFresh('cat', cid)
    assert.equal(r.status, 0, r.stderr)
    assert.ok(sameBytes(r.raw, readFileSync(file)), 'the honest source served, whichever was asked first')
    await set('backends.s3store.enabled', 'false')
    r = await inFresh('cat', cid)
    assert.equal(r.status, 4, r.stderr)  // Corruption: only wrong bytes came
    assert.match(r.stderr, /liar: sent bad data \(refused\)/)
    assert.equal((await inFresh('block', 'stat', cid)).status, 3)  // never stored
    for (const mode of ['truncate', 'flood']) {
      proxy.state.mode = mode
      r = await inFresh('cat', cid)
      assert.ok(r.status !== 0 && r.status !== null && r.status < 128, `${mode}: exit ${r.status}`)
      assert.match(r.stderr, /Error: .*liar/, mode)
      assert.equal(r.raw.length, 0, `${mode}: nothing written`)
    }
    proxy.state.mode = 'honest'
    r = await inFresh('cat', cid)
    assert.equal(r.status, 0, r.stderr)
    assert.ok(sameBytes(r.raw, readFileSync(file)))
  } finally {
    proxy.close()
    fresh.cleanup()
    await kit('backend', 'unpin', 's3store', cid)
  }
})

test('replication: a copy a service pins in the background is submitted once, then followed until pinned and read back (Cluster stand-in)', async () => {
  const slow = await startClusterStandin({ hold: true })
  const d = startDaemon({
    config: {
      'daemon.health_check_interval': '1',
      'replication.check_interval': '1',
      'replication.min_replicas': '2',
      'replication.max_replicas': '2',
      'backends.slow': JSON.stringify({ type: 'ipfs_cluster', endpoint: slow.url, token: slow.token, gateway: slow.url, pin_timeout: 1 })
    }
  })
  try {
    const file = join(work.dir, 'held.bin')
    testdataToFile(file, 'held', 300_000)
    const added = await runWith(d.env, 'add', '-Q', file)
    assert.equal(added.status, 0, added.stderr)
    const cid = added.stdout.trim()
    const slowCopy = async () => {
      const r = await runWith(d.env, '--json', 'route', 'inspect', cid)
      return JSON.parse(r.stdout).replicas.find(x => x.backend === 'slow')
    }
    await waitFor('the copy submitted', async () => (await slowCopy())?.status === 'pinning')
    const posts = () => slow.requests.filter(r => r.startsWith('POST /add')).length
    const polls = () => slow.requests.filter(r => r === `GET /pins/${cid}`).length
    const before = polls()
    await sleep(4000)  // three passes or more, each asking once
    assert.equal((await slowCopy()).status, 'pinning')
    assert.equal(posts(), 1, 'submitted once, not again on every pass')
    assert.ok(polls() >= before + 2, `followed on later passes (${before} -> ${polls()} status requests)`)
    slow.release()
    const copy = await waitFor('pinned and read back', async () => { const c = await slowCopy(); return c?.status === 'pinned' && c })
    assert.equal(copy.verified_by, 'read-back')
    assert.equal(posts(), 1)
  } finally {
    d.stop()
    await slow.close()
  }
})
