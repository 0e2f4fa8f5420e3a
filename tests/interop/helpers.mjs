// Shared helpers for the interop tests: running ipfs-kit, running the JS
// reference importer on the same input with the options Kubo would use.
import { execFileSync, spawnSync } from 'node:child_process'
import { createReadStream, mkdtempSync, readdirSync, lstatSync, readlinkSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, basename, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize, rabin } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'

export const IPFS_KIT = resolve(process.env.IPFS_KIT ?? '../../build/ipfs-kit')
export const TESTDATA = resolve(process.env.IPFS_KIT_TESTDATA ?? '../../build/ipfskit-testdata')

export function tempDir (prefix = 'ipfskit-interop-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function testdata (...args) {
  execFileSync(TESTDATA, args.map(String), { stdio: ['ignore', 'ignore', 'inherit'] })
}

export function testdataToFile (path, seed, size) {
  execFileSync('sh', ['-c', `"${TESTDATA}" bytes "$1" "$2" > "$3"`, 'sh', seed, String(size), path])
}

// Runs `ipfs-kit add -Q -n ...` and returns the root CID.
export function kitAdd (args, env = {}) {
  const r = spawnSync(IPFS_KIT, ['add', '-Q', '-n', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 26
  })
  if (r.status !== 0) throw new Error(`ipfs-kit add ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout.trim()
}

// Translates ipfs-kit/Kubo `add` flags into JS importer options.
export function importerOptions (flags) {
  const f = new Map()
  for (const flag of flags) {
    const [k, v] = flag.replace(/^--?/, '').split('=')
    f.set(k, v ?? true)
  }
  const v1profile = f.get('profile') === 'unixfs-v1-2025'
  const cidVersion = f.has('cid-version') ? Number(f.get('cid-version')) : (v1profile ? 1 : 0)
  let rawLeaves = v1profile || cidVersion === 1
  if (f.has('raw-leaves')) rawLeaves = f.get('raw-leaves') !== 'false'
  const chunkSize = v1profile ? 1048576 : 262144
  const maxChildrenPerNode = f.has('max-file-links') ? Number(f.get('max-file-links')) : (v1profile ? 1024 : 174)
  const opts = {
    cidVersion,
    rawLeaves,
    wrapWithDirectory: f.has('w'),
    shardSplitThresholdBytes: 262144,
    shardSplitStrategy: v1profile ? 'block-bytes' : 'links-bytes',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode })
  }
  const chunker = f.get('chunker')
  if (chunker?.startsWith('size-')) opts.chunker = fixedSize({ chunkSize: Number(chunker.slice(5)) })
  if (chunker?.startsWith('rabin')) {
    const parts = chunker.split('-').slice(1).map(Number)
    opts.chunker = parts.length === 3
      ? rabin({ minChunkSize: parts[0], avgChunkSize: parts[1], maxChunkSize: parts[2] })
      : rabin({ avgChunkSize: parts[0] ?? chunkSize })
  }
  if (f.has('trickle')) {
    // Kubo's trickle DAG: Type=Raw leaves without raw leaves, and a root node
    // even over a single leaf.
    opts.layout = trickle({ maxChildrenPerNode, layerRepeat: 4 })
    opts.leafType = 'raw'
    opts.reduceSingleLeafToSelf = false
  }
  return opts
}

// Import candidates for a path, walked the way `ipfs add -r` walks it.
function * candidates (path, hidden) {
  const top = basename(resolve(path))
  function * walk (abs, rel) {
    const st = lstatSync(abs)
    if (st.isSymbolicLink()) {
      yield { path: rel, link: readlinkSync(abs) }
    } else if (st.isDirectory()) {
      yield { path: rel }
      const names = readdirSync(abs).filter(n => hidden || !n.startsWith('.')).sort()
      for (const n of names) yield * walk(join(abs, n), `${rel}/${n}`)
    } else {
      yield { path: rel, content: createReadStream(abs, { highWaterMark: 1 << 20 }) }
    }
  }
  yield * walk(resolve(path), top)
}

const nullStore = { put: async (cid) => cid }

// Chunk lengths boxo produced for a fixture input (tests/fixtures/chunker).
export function boxoBoundaries (name) {
  const path = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'chunker', name)
  const lengths = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const [len, count] = line.split(' ').map(Number)
    for (let i = 0; i < count; i++) lengths.push(len)
  }
  return lengths
}

// A JS importer chunker that cuts at the given lengths.
export function fixedLengths (lengths) {
  return async function * (source) {
    let buf = new Uint8Array(0)
    let i = 0
    for await (const piece of source) {
      const joined = new Uint8Array(buf.length + piece.length)
      joined.set(buf)
      joined.set(piece, buf.length)
      buf = joined
      while (i < lengths.length && buf.length >= lengths[i]) {
        yield buf.slice(0, lengths[i])
        buf = buf.slice(lengths[i++])
      }
    }
    if (buf.length > 0) yield buf
  }
}

// The JS reference importer's root CID for `paths` added with `flags`
// (optionally with a given chunker instead of the flags').
export async function refAdd (paths, flags = [], chunker = undefined) {
  const opts = importerOptions(flags)
  if (chunker) opts.chunker = chunker
  const hidden = flags.includes('-H')
  const source = (function * () {
    for (const p of paths) yield * candidates(p, hidden)
  })()
  let last
  for await (const entry of importer(source, nullStore, opts)) last = entry
  return last.cid.toString()
}

// Starts `ipfs-kit daemon start --detach` on a fresh repository with every
// listener on a free port, and returns its addresses and a stop function.
export function startDaemon ({ token, config = {} } = {}) {
  const { dir, cleanup } = tempDir('ipfskit-daemon-')
  const repo = join(dir, 'repo')
  const env = { ...process.env, IPFS_KIT_PATH: repo }
  const kit = (...args) => {
    const r = spawnSync(IPFS_KIT, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 })
    if (r.status !== 0) throw new Error(`ipfs-kit ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
    return r.stdout
  }
  const settings = {
    'daemon.api_address': '127.0.0.1:0',
    'daemon.rpc_address': '127.0.0.1:0',
    'daemon.gateway_address': '127.0.0.1:0',
    'daemon.mcp_address': '127.0.0.1:0',
    ...config
  }
  if (token) settings['daemon.api_token'] = token
  for (const [k, v] of Object.entries(settings)) kit('config', 'set', k, v)
  kit('daemon', 'start', '--detach')
  const state = JSON.parse(readFileSync(join(repo, 'daemon.json'), 'utf8'))
  return {
    repo,
    env,
    kit,
    state,
    api: `http://${state.api}`,
    rpc: `http://${state.rpc}`,
    gateway: `http://${state.gateway}`,
    stop () {
      spawnSync(IPFS_KIT, ['daemon', 'stop'], { env })
      cleanup()
    }
  }
}
