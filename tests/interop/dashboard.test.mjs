// The web dashboard (src/dashboard) in a real browser: Debian's Chromium driven
// by playwright-core, against a real daemon and the MCP listener that serves
// the dashboard (the daemon's own on daemon.mcp_address when it has one, else
// `ipfs-kit mcp serve` beside it, which reaches the daemon through the client
// API). Every page renders without console errors; a file added through the
// page is in `ipfs-kit pin ls`; a backend stopped from the CLI shows as stopped
// on the open page within two probe intervals, without a reload; axe-core
// finds no serious accessibility violations in either theme. Screenshots are
// saved and their paths printed. Raw HTTP checks the sign-in, CSRF, Host and
// Origin rules, gzip negotiation, and that many open event streams hold no
// worker threads.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'
import { IPFS_KIT, startDaemon } from './helpers.mjs'

const require = createRequire(import.meta.url)
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
const PROBE_SECONDS = 1
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const SHOTS = mkdtempSync(join(tmpdir(), 'ipfskit-dashboard-screenshots-'))

// The dashboard of a daemon: its own MCP listener, or `mcp serve` beside it.
async function dashboardFor (daemon) {
  const state = JSON.parse(readFileSync(join(daemon.repo, 'daemon.json'), 'utf8'))
  if (state.mcp) return { base: `http://${state.mcp}`, stop () {} }
  const proc = spawn(IPFS_KIT, ['mcp', 'serve', '--address', '127.0.0.1:0'], {
    env: daemon.env, stdio: ['ignore', 'pipe', 'inherit']
  })
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve)
    proc.once('exit', (c) => reject(new Error(`mcp serve exited ${c}`)))
  })
  const address = line.match(/http:\/\/([^/\s]+)/)[1]
  return { base: `http://${address}`, stop () { proc.kill('SIGTERM') } }
}

function kitStart (token) {
  return startDaemon({
    token,
    config: { 'daemon.health_check_interval': String(PROBE_SECONDS), 'daemon.mcp_address': '127.0.0.1:0' }
  })
}

// A raw HTTP request (fetch cannot set Host, and we want every header as sent).
function request (base, path, { method = 'GET', headers = {}, body } = {}) {
  const url = new URL(path, base)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

let daemon, dash, browser

before(async () => {
  daemon = kitStart()
  dash = await dashboardFor(daemon)
  const profile = mkdtempSync(join(tmpdir(), 'ipfskit-chromium-'))
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 }
  })
})

after(async () => {
  await browser?.close()
  dash?.stop()
  daemon?.stop()
  console.log(`# dashboard screenshots: ${SHOTS}`)
})

// A page that records console errors, uncaught exceptions and failed requests.
async function openPage (hash = '#/overview') {
  const page = await browser.newPage()
  const problems = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`))
  page.on('requestfailed', (r) => {
    // The event stream is cut when the page closes: not a failure of the page.
    if (!r.url().endsWith('/api/dashboard/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`)
  })
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`) })
  await page.goto(dash.base + '/' + hash)
  return { page, problems }
}

async function shot (page, name) {
  const file = join(SHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  console.log(`# screenshot: ${file}`)
}

async function axeSerious (page) {
  await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }))
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
}

test('every page renders live data with no console errors, in both themes, and axe finds nothing serious', async () => {
  daemon.kit('add', '-Q', '--pin-name', 'seed file', '--pin-meta', 'kind=seed', join(daemon.repo, 'config.json'))
  const { page, problems } = await openPage('#/overview')
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live')
  await page.waitForFunction(() => /^12D3Koo/.test(document.getElementById('ov-peer').textContent))
  // Charts need two metric readings.
  await page.waitForSelector('#chart-req svg polyline', { timeout: 10000 })
  assert.match(await page.textContent('#ov-daemon'), /running/)
  assert.match(await page.textContent('#ov-pins'), /^[1-9]/)
  assert.match(await page.getAttribute('#chart-bw svg', 'aria-label'), /Bandwidth out: .*api/)

  const checks = {
    overview: async () => {},
    backends: async () => {
      await page.waitForSelector('#backends-table tr[data-backend="ipfs"] [data-health="healthy"]')
      await page.waitForSelector('#backends-table tr[data-backend="ipfs"] svg.spark polyline')
    },
    pins: async () => { await page.waitForSelector('#pins-table tr[data-cid]') },
    replication: async () => { await page.waitForFunction(() => document.getElementById('rp-pins').textContent !== '–') },
    logs: async () => { await page.waitForSelector('#log-view div') }
  }
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => { if (document.documentElement.dataset.theme !== t && !(t === 'light' && !document.documentElement.dataset.theme)) document.getElementById('theme').click() }, theme)
    for (const [name, check] of Object.entries(checks)) {
      await page.click(`#nav a[data-page="${name}"]`)
      await page.waitForSelector(`#page-${name}:not([hidden])`)
      await check()
      assert.equal(await page.getAttribute(`#nav a[data-page="${name}"]`, 'aria-current'), 'page')
      await shot(page, `${name}-${theme}`)
      assert.deepEqual(await axeSerious(page), [], `${name} (${theme}): serious accessibility violations`)
    }
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())
    assert.equal(bg, theme === 'dark' ? '#0d1117' : '#ffffff', `${theme} theme applied`)
  }
  assert.deepEqual(problems, [])
  await page.close()
})

test('a file added through the page is pinned (ipfs-kit pin ls), found by name and metadata, and unpinned from the page', async () => {
  const { page, problems } = await openPage('#/pins')
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live')
  const content = Buffer.from(`added through the dashboard ${Date.now()}\n`.repeat(5000))
  await page.setInputFiles('#upload-file', { name: 'from <the> page.txt', mimeType: 'text/plain', buffer: content })
  await page.click('#upload-button')
  const cid = (await (await page.waitForSelector('#upload-cid', { timeout: 20000 })).textContent()).trim()
  assert.equal(await page.getAttribute('#upload-progress', 'value'), '100')
  const listed = daemon.kit('pin', 'ls', '--type=recursive')
  assert.ok(listed.includes(cid), `${cid} in pin ls:\n${listed}`)
  assert.equal(daemon.kit('cat', cid), content.toString())
  await page.waitForSelector(`#pins-table tr[data-cid="${cid}"]`)
  assert.match(await page.textContent(`#pins-table tr[data-cid="${cid}"]`), /from <the> page\.txt/)

  // Search by name, by metadata and by CID (server-side filters).
  await page.fill('#q-name', 'the> page')
  await page.click('#pin-search button[type=submit]')
  await page.waitForFunction((c) => document.querySelectorAll('#pins-table tr[data-cid]').length === 1 &&
    document.querySelector(`#pins-table tr[data-cid="${c}"]`), cid)
  await page.fill('#q-name', '')
  await page.fill('#q-meta', 'source=dashboard')
  await page.click('#pin-search button[type=submit]')
  await page.waitForFunction((c) => document.querySelector(`#pins-table tr[data-cid="${c}"]`) &&
    [...document.querySelectorAll('#pins-table tr[data-cid]')].length === 1, cid)
  await page.fill('#q-meta', '')
  await page.fill('#q-cid', 'not-a-cid')
  await page.click('#pin-search button[type=submit]')
  await page.waitForSelector('#pins-error:not([hidden])')
  assert.match(await page.textContent('#pins-error'), /not a CID/)
  problems.splice(0)  // the refused search was a 400, on purpose
  await page.fill('#q-cid', cid)
  await page.click('#pin-search button[type=submit]')
  await page.waitForFunction((c) => [...document.querySelectorAll('#pins-table tr[data-cid]')].map((r) => r.dataset.cid).join() === c, cid)

  // Unpin: the first click arms the button, the second unpins.
  const button = `#pins-table tr[data-cid="${cid}"] button`
  await page.click(button)
  assert.equal((await page.textContent(button)).trim(), 'Confirm unpin')
  await page.click(button)
  await page.waitForSelector(`#pins-table tr[data-cid="${cid}"]`, { state: 'detached' })
  assert.ok(!daemon.kit('pin', 'ls', '--type=recursive').includes(cid), 'unpinned')
  assert.deepEqual(problems, [])
  await page.close()
})

test('pins page by keyset cursor: every pin once, across pages in the browser and over REST', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipfskit-dashboard-pins-'))
  const files = []
  for (let i = 0; i < 120; i++) {
    const f = join(dir, `f${String(i).padStart(3, '0')}`)
    writeFileSync(f, `pin number ${i}\n`)
    files.push(f)
  }
  daemon.kit('add', '-q', ...files)
  const host = new URL(dash.base).host
  const seen = new Set()
  let after = ''
  let pages = 0
  for (;;) {
    const r = JSON.parse((await request(dash.base, `/api/dashboard/pins?limit=50${after ? '&after=' + after : ''}`, { headers: { host } })).body)
    for (const p of r.pins) {
      assert.ok(!seen.has(p.cid), `${p.cid} listed twice`)
      seen.add(p.cid)
    }
    pages++
    if (!r.next) break
    after = r.next
  }
  const total = daemon.kit('pin', 'ls', '--type=recursive').trim().split('\n').length
  assert.equal(seen.size, total)
  assert.equal(pages, Math.ceil(total / 50))

  const { page, problems } = await openPage('#/pins')
  const rows = () => page.$$eval('#pins-table tr[data-cid]', (r) => r.map((x) => x.dataset.cid))
  await page.waitForFunction(() => document.querySelectorAll('#pins-table tr[data-cid]').length === 50)
  const first = await rows()
  await page.click('#pins-next')
  await page.waitForFunction(() => document.getElementById('pins-page').textContent === 'Page 2')
  await page.waitForFunction((f) => !document.querySelector(`#pins-table tr[data-cid="${f}"]`), first[0])
  const second = await rows()
  assert.equal(second.length, 50)
  assert.ok(second.every((c) => !first.includes(c)), 'page 2 holds other pins')
  await page.click('#pins-prev')
  await page.waitForFunction((f) => document.querySelector(`#pins-table tr[data-cid="${f}"]`), first[0])
  assert.deepEqual(await rows(), first)
  assert.equal(await page.isDisabled('#pins-prev'), true)
  assert.deepEqual(problems, [])
  await page.close()
})

test('a backend stopped from the CLI turns stopped on the open page within two probe intervals, without a reload', async () => {
  const { page, problems } = await openPage('#/backends')
  const row = '#backends-table tr[data-backend="ipfs"]'
  await page.waitForSelector(`${row} [data-health="healthy"]`)
  await page.evaluate(() => { window.notReloaded = true })
  const t0 = Date.now()
  daemon.kit('backend', 'stop', 'ipfs')
  await page.waitForSelector(`${row} [data-health="stopped"]`, { timeout: 2 * PROBE_SECONDS * 1000 + 1000 })
  const elapsed = Date.now() - t0
  assert.ok(elapsed <= 2 * PROBE_SECONDS * 1000, `stopped shown after ${elapsed} ms (two probe intervals: ${2 * PROBE_SECONDS * 1000} ms)`)
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded')
  await shot(page, 'backends-stopped')
  // Started again from the page: the daemon serves again.
  await page.click(`${row} button[data-action="start"]`)
  await page.waitForSelector(`${row} [data-health="healthy"]`, { timeout: 5000 })
  assert.match(daemon.kit('backend', 'list'), /^ipfs\s+ipfs\s+yes\s+yes\s+healthy/m)
  assert.deepEqual(problems, [])
  await page.close()
})

test('replication sync runs from the page and reports its result; the logs page filters by level', async () => {
  const { page, problems } = await openPage('#/replication')
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live')
  await page.click('#sync-button')
  await page.waitForFunction(() => /Sync finished/.test(document.getElementById('sync-status').textContent), null, { timeout: 10000 })
  assert.match(await page.textContent('#sync-result'), /"checked"/)
  await page.click('#nav a[data-page="logs"]')
  await page.waitForSelector('#log-view div')
  await page.selectOption('#log-level', 'INFO')
  await page.waitForFunction(() => {
    const lines = [...document.querySelectorAll('#log-view div')]
    return lines.length > 0 && lines.every((d) => /level=info/i.test(d.textContent))
  })
  assert.deepEqual(problems, [])
  await page.close()
})

test('with a token: the page asks to sign in, the cookie session works, CSRF, Host and Origin are enforced', async () => {
  const token = 'dashboard-test-token-' + Math.random().toString(36).slice(2)
  const secured = kitStart(token)
  const sdash = await dashboardFor(secured)
  try {
    const host = new URL(sdash.base).host
    // The page itself loads without a token; data does not.
    assert.equal((await request(sdash.base, '/', { headers: { host } })).status, 200)
    assert.equal((await request(sdash.base, '/api/dashboard/pins', { headers: { host } })).status, 401)
    assert.equal((await request(sdash.base, '/api/dashboard/events', { headers: { host } })).status, 401)
    const session = JSON.parse((await request(sdash.base, '/api/dashboard/session', { headers: { host } })).body)
    assert.deepEqual(session, { auth_required: true, signed_in: false })
    // A bearer token works for scripts.
    assert.equal((await request(sdash.base, '/api/dashboard/pins', { headers: { host, authorization: `Bearer ${token}` } })).status, 200)
    // Sign-in: a JSON body only, the right token only, an HttpOnly SameSite=Strict cookie.
    const form = await request(sdash.base, '/api/dashboard/login', {
      method: 'POST', headers: { host, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}`
    })
    assert.equal(form.status, 415)
    const wrong = await request(sdash.base, '/api/dashboard/login', {
      method: 'POST', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify({ token: 'nope' })
    })
    assert.equal(wrong.status, 401)
    const ok = await request(sdash.base, '/api/dashboard/login', {
      method: 'POST', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify({ token })
    })
    assert.equal(ok.status, 200)
    const cookie = ok.headers['set-cookie'][0]
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Strict/)
    assert.ok(!cookie.includes(token), 'the token is not the cookie')
    const { csrf } = JSON.parse(ok.body)
    const jar = cookie.split(';')[0]
    assert.equal((await request(sdash.base, '/api/dashboard/pins', { headers: { host, cookie: jar } })).status, 200)
    // The session opens the dashboard only: the MCP endpoint and the seeds' REST still need the token.
    assert.equal((await request(sdash.base, '/api/pins', { headers: { host, cookie: jar } })).status, 401)
    assert.equal((await request(sdash.base, '/mcp', { method: 'POST', headers: { host, cookie: jar, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' })).status, 401)
    // Actions need the CSRF token with a cookie session.
    const noCsrf = await request(sdash.base, '/api/dashboard/add?name=x', { method: 'POST', headers: { host, cookie: jar }, body: 'x' })
    assert.equal(noCsrf.status, 403)
    const badCsrf = await request(sdash.base, '/api/dashboard/add?name=x', { method: 'POST', headers: { host, cookie: jar, 'x-csrf-token': 'forged' }, body: 'x' })
    assert.equal(badCsrf.status, 403)
    const added = await request(sdash.base, '/api/dashboard/add?name=x', { method: 'POST', headers: { host, cookie: jar, 'x-csrf-token': csrf }, body: 'x' })
    assert.equal(added.status, 200)
    assert.ok(secured.kit('pin', 'ls').includes(JSON.parse(added.body).cid))
    // DNS rebinding and cross-origin pages are refused before any route.
    assert.equal((await request(sdash.base, '/', { headers: { host: 'evil.example' } })).status, 403)
    assert.equal((await request(sdash.base, '/api/dashboard/pins/rm', {
      method: 'POST', headers: { host, cookie: jar, 'x-csrf-token': csrf, origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"cids":[]}'
    })).status, 403)
    // Sign-out ends the session.
    assert.equal((await request(sdash.base, '/api/dashboard/logout', { method: 'POST', headers: { host, cookie: jar, 'x-csrf-token': csrf } })).status, 200)
    assert.equal((await request(sdash.base, '/api/dashboard/pins', { headers: { host, cookie: jar } })).status, 401)

    // The same in the browser: the sign-in form, then the live dashboard.
    const page = await browser.newPage()
    const problems = []
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
    await page.goto(sdash.base + '/#/overview')
    await page.waitForSelector('#page-login:not([hidden])')
    assert.deepEqual(await axeSerious(page), [], 'sign-in page: serious accessibility violations')
    await shot(page, 'sign-in')
    await page.fill('#login-token', 'wrong')
    await page.click('#login-form button')
    await page.waitForFunction(() => document.getElementById('login-error').textContent !== '')
    problems.splice(0)  // the refused sign-in was a 401, on purpose
    await page.fill('#login-token', token)
    await page.click('#login-form button')
    await page.waitForFunction(() => document.getElementById('conn').textContent === 'live')
    assert.ok(!page.url().includes(token), 'the token is not in the URL')
    await page.click('#logout')
    await page.waitForSelector('#page-login:not([hidden])')
    assert.deepEqual(problems, [])
    await page.close()

    // Guessing is cut short: after 10 wrong tokens a minute from one address, even the right one waits.
    let last
    for (let i = 0; i < 11; i++) {
      last = await request(sdash.base, '/api/dashboard/login', {
        method: 'POST', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify({ token: 'guess' + i })
      })
    }
    assert.equal(last.status, 429)
    assert.equal(last.headers['retry-after'], '60')
  } finally {
    sdash.stop()
    secured.stop()
  }
})

test('gateway directory listings: breadcrumbs, a parent link, human sizes, both themes, hostile names inert', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipfskit-listing-'))
  const root = join(dir, 'site')
  const hostile = ['<img src=x onerror=alert(1)>.txt', '"quoted\' & amp;.txt', 'javascript:alert(1)', '%2F..%2Fetc', '日本語 ✓.txt']
  mkdirSync(join(root, 'sub dir'), { recursive: true })
  for (const name of hostile) writeFileSync(join(root, 'sub dir', name), 'x'.repeat(100))
  writeFileSync(join(root, 'sub dir', 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 5))
  const cid = daemon.kit('add', '-r', '-Q', root).trim()
  const url = `${daemon.gateway}/ipfs/${cid}/sub%20dir/`
  const html = await (await fetch(url)).text()
  assert.match(html, /<nav aria-label="Breadcrumb"><ol class="crumbs">/)
  assert.match(html, new RegExp(`<a href="/ipfs/${cid}/"`), 'the root is a breadcrumb link')
  assert.match(html, /<li aria-current="page" title="sub dir">sub dir<\/li>/)
  assert.match(html, /<a href="\.\.\/" rel="up">\.\.<\/a>/, 'a parent link')
  assert.match(html, />3\.00 MiB</, 'human-readable sizes')
  assert.match(html, /prefers-color-scheme: dark/, 'the shared theme')
  assert.ok(!html.includes('<img src=x'), 'names are escaped')
  assert.match(html, /href="\.\/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\.txt">&lt;img src=x onerror=alert\(1\)&gt;\.txt</)
  assert.match(html, /href="\.\/javascript%3Aalert%281%29"/, 'no scheme survives into a link')
  assert.match(html, /href="\.\/%252F\.\.%252Fetc"/, 'percent signs are encoded, not decoded')

  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ colorScheme: scheme })
    const problems = []
    // Chromium asks for /favicon.ico when it shows a plain-text file (no page
    // to name an icon): the gateway's 404 for it is not the listing's fault.
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`HTTP ${r.status()}: ${r.url()}`) })
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text()) })
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('dialog', (d) => { problems.push(`a dialog opened: ${d.message()}`); d.dismiss() })
    await page.emulateMedia({ colorScheme: scheme })
    await page.goto(url)
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())
    assert.equal(bg, scheme === 'dark' ? '#0d1117' : '#ffffff')
    for (const name of hostile) assert.ok(await page.$(`a:text-is(${JSON.stringify(name)})`), `${name} is listed as text`)
    await page.click('a:text-is("日本語 ✓.txt")')
    assert.equal(await page.textContent('body'), 'x'.repeat(100))
    await page.goBack()
    await page.click('a[rel=up]')
    await page.waitForURL(`${daemon.gateway}/ipfs/${cid}/`)
    await page.goBack()
    await shot(page, `gateway-listing-${scheme}`)
    assert.deepEqual(await axeSerious(page), [], `listing (${scheme}): serious accessibility violations`)
    assert.deepEqual(problems, [])
    await page.close()
  }
})

test('assets: gzip when accepted (and not when refused), cached by version; unknown paths are JSON 404s', async () => {
  const host = new URL(dash.base).host
  const gz = await request(dash.base, '/', { headers: { host, 'accept-encoding': 'gzip, deflate' } })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.match(gz.headers['content-security-policy'], /script-src 'self'/)
  const plain = await request(dash.base, '/', { headers: { host, 'accept-encoding': 'gzip;q=0, identity' } })
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.match(plain.body.toString(), /<!doctype html>/)
  assert.ok(gz.body.length < plain.body.length / 2)
  const js = plain.body.toString().match(/\/assets\/app\.js\?v=([0-9a-f]{16})/)
  assert.ok(js, 'the page names its script by content hash')
  const asset = await request(dash.base, `/assets/app.js?v=${js[1]}`, { headers: { host } })
  assert.match(asset.headers['cache-control'], /immutable/)
  const again = await request(dash.base, `/assets/app.js?v=${js[1]}`, { headers: { host, 'if-none-match': asset.headers.etag } })
  assert.equal(again.status, 304)
  assert.equal((await request(dash.base, '/assets/../../etc/passwd', { headers: { host } })).status, 404)
  const missing = await request(dash.base, '/api/dashboard/nope', { headers: { host } })
  assert.equal(missing.status, 404)
  assert.match(JSON.parse(missing.body).error, /no such dashboard endpoint/)
})

test('many open dashboards hold no worker threads: 60 event streams, and requests are still answered', async () => {
  const url = new URL(dash.base)
  const streams = []
  const ticks = new Array(60).fill(0)
  for (let i = 0; i < 60; i++) {
    streams.push(await new Promise((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path: '/api/dashboard/events', headers: { host: url.host } }, (res) => {
        assert.equal(res.statusCode, 200)
        res.on('data', (c) => { if (c.toString().includes('event: tick')) ticks[i]++ })
        resolve(req)
      })
      req.on('error', reject)
    }))
  }
  // The listener has 16 workers: streams that held one each would starve these.
  const t0 = Date.now()
  for (let i = 0; i < 20; i++) {
    const r = await request(dash.base, '/api/dashboard/pins?limit=5', { headers: { host: url.host } })
    assert.equal(r.status, 200)
  }
  assert.ok(Date.now() - t0 < 5000, `20 requests took ${Date.now() - t0} ms beside 60 open streams`)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  assert.ok(ticks.every((n) => n >= 1), `every stream got live ticks: ${ticks.join(',')}`)
  for (const s of streams) s.destroy()
})
