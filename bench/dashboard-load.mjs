// Measures what a first load of the dashboard transfers, in Chromium (Debian's,
// driven by playwright-core from tests/interop/node_modules), with an empty
// cache each time: every response's bytes on the wire (headers and bodies, as
// Chromium counts them), until the overview shows live data.
// Usage: node dashboard-load.mjs URL RUNS [identity]
//   identity: ask for uncompressed responses (the reference: what gzip saves)
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../tests/interop/package.json'))
const { chromium } = require('playwright-core')
const [url, runs = '5', mode = 'gzip'] = process.argv.slice(2)
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

for (let i = 0; i < Number(runs); i++) {
  const profile = mkdtempSync(join(tmpdir(), 'ipfskit-bench-chromium-'))
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS })
  const page = await ctx.newPage()
  const cdp = await ctx.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  if (mode === 'identity') await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'identity' } })
  const bytes = new Map()  // requestId -> bytes on the wire so far
  const urls = new Map()
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url))
  cdp.on('Network.dataReceived', (e) => bytes.set(e.requestId, (bytes.get(e.requestId) || 0) + e.encodedDataLength))
  cdp.on('Network.responseReceived', (e) => {
    // Header bytes are counted in loadingFinished; keep the larger figure.
    bytes.set(e.requestId, Math.max(bytes.get(e.requestId) || 0, e.response.encodedDataLength || 0))
  })
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, Math.max(bytes.get(e.requestId) || 0, e.encodedDataLength)))
  // Chromium reports an event stream's messages rather than its bytes: count
  // each as framed on the wire (uncompressed, as it is sent).
  cdp.on('Network.eventSourceMessageReceived', (e) => {
    const framed = Buffer.byteLength(`event: ${e.eventName}\ndata: ${e.data}\n\n`)
    bytes.set(e.requestId, (bytes.get(e.requestId) || 0) + framed)
  })
  await page.goto(url + '/#/overview')
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live' &&
    /^12D3Koo/.test(document.getElementById('ov-peer').textContent))
  let total = 0
  let assets = 0
  for (const [id, n] of bytes) {
    total += n
    if (!/\/api\//.test(urls.get(id) || '')) assets += n
  }
  console.log(`${total} ${assets} ${bytes.size}`)
  await ctx.close()
  rmSync(profile, { recursive: true, force: true })
}
