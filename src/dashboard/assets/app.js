// The ipfs-kit dashboard. Hand-written, no dependencies. Live data comes from
// one server-sent event stream (/api/dashboard/events); actions are JSON calls
// under /api/dashboard/ carrying the session's CSRF token. Everything shown
// is built with DOM calls and textContent: nothing from the server is ever
// parsed as HTML.
'use strict';

(() => {
  // ---- theme (before the first paint as far as a deferred script can) ----
  const root = document.documentElement;
  const storedTheme = localStorage.getItem('ipfskit-theme');
  if (storedTheme === 'light' || storedTheme === 'dark') root.dataset.theme = storedTheme;
  const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;
  const currentTheme = () => root.dataset.theme || (systemDark() ? 'dark' : 'light');

  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';

  // el('td', {class: 'num'}, 'text', child...)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }
  const setText = (id, text) => { $(id).textContent = text; };

  // ---- formatting ----
  function bytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)) + ' ' + units[i];
  }
  const count = (n) => (typeof n === 'number' ? n.toLocaleString('en') : '–');
  function duration(s) {
    if (typeof s !== 'number' || s < 0) return '–';
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return `${d}d ${h}h ${m}m`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${Math.floor(s % 60)}s`;
    return `${Math.floor(s)}s`;
  }
  function when(t) {
    if (!t) return '–';
    const d = typeof t === 'number' ? new Date(t < 1e12 ? t * 1000 : t) : new Date(t);
    return isNaN(d) ? String(t) : d.toLocaleString();
  }
  const shortCid = (c) => (c.length > 20 ? c.slice(0, 10) + '…' + c.slice(-8) : c);
  function healthClass(h) {
    if (h === 'healthy') return 'ok';
    if (h === 'unhealthy' || h === 'error') return 'bad';
    if (h === 'stopped' || h === 'unknown' || h === 'degraded') return 'warn';
    return '';
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.textContent = ''; }, 6000);
  }

  // ---- server calls ----
  let csrf = '';
  async function call(method, path, body, headers) {
    const init = { method, credentials: 'same-origin', headers: { ...(headers || {}) } };
    if (method !== 'GET') init.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let doc = null;
    try { doc = await res.json(); } catch { doc = null; }
    if (res.status === 401) { showLogin(); throw new Error('sign in again'); }
    if (!res.ok) throw new Error((doc && doc.error) || `${res.status} ${res.statusText}`);
    return doc;
  }

  // ---- state from the event stream ----
  const state = { identity: {}, daemon: {}, backends: {}, replication: {}, repo: {}, points: [], latency: {}, logs: [], sync: null };
  let events = null;

  function connect() {
    if (events) events.close();
    events = new EventSource('/api/dashboard/events');
    events.addEventListener('open', () => setConn('live', 'ok'));
    events.addEventListener('error', () => {
      setConn('reconnecting', 'warn');
      if (events.readyState === EventSource.CLOSED) {
        // Refused outright (signed out, or too many dashboards): check why, then retry.
        setTimeout(() => boot(), 3000);
      }
    });
    events.addEventListener('snapshot', (e) => {
      Object.assign(state, JSON.parse(e.data));
      renderAll();
    });
    events.addEventListener('tick', (e) => {
      const t = JSON.parse(e.data);
      for (const k of ['daemon', 'backends', 'replication', 'repo', 'identity']) if (k in t) state[k] = t[k];
      if (t.point) { state.points.push(t.point); if (state.points.length > 300) state.points.shift(); }
      if (t.latency) {
        for (const [name, p] of Object.entries(t.latency)) {
          (state.latency[name] = state.latency[name] || []).push(p);
          if (state.latency[name].length > 300) state.latency[name].shift();
        }
      }
      state.metrics_error = t.metrics_error;
      renderAll();
    });
    events.addEventListener('log', (e) => appendLogs(JSON.parse(e.data)));
    events.addEventListener('sync', (e) => { state.sync = JSON.parse(e.data); renderSync(); });
    events.addEventListener('pins', () => { if (page === 'pins') loadPins(pinsCursor()); });
  }
  function setConn(text, cls) {
    const c = $('conn');
    c.textContent = text;
    c.className = 'pill ' + cls;
  }

  // ---- pages ----
  const pages = ['overview', 'backends', 'pins', 'replication', 'logs'];
  let page = '';
  function route() {
    const want = (location.hash.match(/^#\/(\w+)/) || [])[1];
    show(pages.includes(want) ? want : 'overview');
  }
  function show(name) {
    const changed = page !== name;
    page = name;
    for (const p of [...pages, 'login']) $('page-' + p).hidden = p !== name;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${name[0].toUpperCase()}${name.slice(1)} · ipfs-kit`;
    if (!changed) return;
    if (name === 'pins') loadPins(pinsCursor());
    if (name === 'logs') loadLogs();
    renderAll();
  }

  function renderAll() {
    if (page === 'overview') renderOverview();
    if (page === 'backends') renderBackends();
    if (page === 'replication') renderReplication();
  }

  // ---- overview ----
  function renderOverview() {
    const id = state.identity || {};
    setText('ov-peer', id.id || id.error || '–');
    setText('ov-agent', id.agent || '–');
    const d = state.daemon || {};
    const dd = $('ov-daemon');
    dd.replaceChildren(d.running ? el('span', { class: 'pill ok' }, 'running') : el('span', { class: 'pill warn' }, 'not running'));
    if (!d.running && d.error) dd.append(' ', el('span', { class: 'muted' }, d.error));
    setText('ov-uptime', d.running ? duration(d.uptime_seconds) : '–');
    setText('ov-version', d.version || '–');
    const r = state.repo || {};
    setText('ov-size', r.error ? r.error : bytes(r.block_bytes));
    setText('ov-disk', bytes(r.disk_bytes));
    setText('ov-blocks', count(r.blocks));
    setText('ov-pins', count(r.pins));
    const b = state.backends && !state.backends.error ? Object.values(state.backends) : [];
    setText('ov-backends', b.length ? `${b.filter((x) => x.health === 'healthy').length} of ${b.length} healthy` : '–');
    const last = state.points[state.points.length - 1];
    setText('ov-rss', last && last.rss ? bytes(last.rss) : '–');
    lineChart($('chart-bw'), state.points, 'bytes', bytes, '/s', 'Bandwidth out');
    lineChart($('chart-req'), state.points, 'req', (v) => (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')), ' req/s', 'Requests per second');
    const me = $('ov-metrics-error');
    me.hidden = !state.metrics_error;
    me.textContent = state.metrics_error ? `Metrics unavailable: ${state.metrics_error}` : '';
  }

  // A line chart of points[i][key][series] over time, as inline SVG.
  function lineChart(box, points, key, fmt, unit, title) {
    const W = 600, H = 180, L = 64, R = 8, T = 10, B = 22;
    const names = [...new Set(points.flatMap((p) => Object.keys(p[key] || {})))].sort();
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
    let max = 0;
    for (const p of points) for (const n of names) max = Math.max(max, (p[key] || {})[n] || 0);
    const top = max > 0 ? max * 1.15 : 1;
    const t0 = points.length ? points[0].t : 0, t1 = points.length ? points[points.length - 1].t : 1;
    const x = (t) => L + (t1 > t0 ? (t - t0) / (t1 - t0) : 1) * (W - L - R);
    const y = (v) => T + (1 - v / top) * (H - T - B);
    for (const f of [0, 0.5, 1]) {
      chart.append(svg('line', { x1: L, x2: W - R, y1: y(top * f), y2: y(top * f), class: 'axis' }));
      const label = svg('text', { x: L - 6, y: y(top * f) + 4, 'text-anchor': 'end' });
      label.textContent = fmt(top * f) + unit;
      chart.append(label);
    }
    if (points.length > 1) {
      const span = svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end' });
      span.textContent = `last ${duration((t1 - t0) / 1000)}`;
      chart.append(span);
    }
    const latest = [];
    names.forEach((n, i) => {
      const color = `var(--series-${(i % 4) + 1})`;
      const pts = points.filter((p) => p[key] && n in p[key]).map((p) => `${x(p.t).toFixed(1)},${y(p[key][n]).toFixed(1)}`);
      if (pts.length) {
        const line = svg('polyline', { points: pts.join(' '), fill: 'none', 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' });
        line.style.stroke = color;
        chart.append(line);
      }
      const v = points.length ? (points[points.length - 1][key] || {})[n] : undefined;
      latest.push([n, color, v]);
    });
    chart.setAttribute('aria-label', `${title}: ` + (latest.length ? latest.map(([n, , v]) => `${n} ${v === undefined ? '–' : fmt(v) + unit}`).join(', ') : 'no data yet'));
    const legend = el('div', { class: 'legend' });
    for (const [n, color, v] of latest) {
      const item = el('span', {}, `${n}: ${v === undefined ? '–' : fmt(v) + unit}`);
      item.style.setProperty('--c', color);
      legend.append(item);
    }
    if (!latest.length) legend.append(el('span', { class: 'muted' }, points.length ? 'no requests yet' : 'collecting…'));
    box.replaceChildren(chart, legend);
  }

  // ---- backends ----
  function sparkline(series) {
    const s = svg('svg', { class: 'spark', viewBox: '0 0 160 28', preserveAspectRatio: 'none', role: 'img' });
    const pts = (series || []).filter((p) => typeof p.ms === 'number');
    const max = Math.max(1e-3, ...pts.map((p) => p.ms));
    if (pts.length > 1) {
      const step = 160 / (pts.length - 1);
      s.append(svg('polyline', { points: pts.map((p, i) => `${(i * step).toFixed(1)},${(26 - (p.ms / max) * 24).toFixed(1)}`).join(' ') }));
    }
    const lastMs = pts.length ? pts[pts.length - 1].ms : undefined;
    s.setAttribute('aria-label', pts.length ? `${pts.length} probes, latest ${lastMs.toFixed(2)} ms, highest ${max.toFixed(2)} ms` : 'no probes yet');
    return s;
  }
  // Rows are kept and updated in place (not rebuilt every second), so a
  // button being clicked or holding the keyboard focus stays where it is.
  const backendRows = new Map();
  function backendRow(name) {
    let r = backendRows.get(name);
    if (r) return r;
    r = { health: el('span', { class: 'pill' }), error: el('div', { class: 'muted' }), type: el('td', {}),
      check: el('td', {}), latency: el('td', { class: 'num' }), spark: el('td', {}),
      button: el('button', { type: 'button', 'data-backend': name }) };
    r.button.addEventListener('click', () => backendAction(name, r.button.dataset.action, r.button));
    r.tr = el('tr', { 'data-backend': name }, el('th', { scope: 'row' }, name), r.type,
      el('td', {}, r.health, r.error), r.check, r.latency, r.spark, el('td', {}, r.button));
    backendRows.set(name, r);
    return r;
  }
  function renderBackends() {
    const b = state.backends || {};
    const err = $('backends-error');
    err.hidden = !b.error;
    err.textContent = b.error ? `Backends unavailable: ${b.error}` : '';
    const body = $('backends-table').tBodies[0];
    const rows = [];
    for (const [name, info] of Object.entries(b.error ? {} : b)) {
      const r = backendRow(name);
      const running = info.running !== false && info.health !== 'stopped';
      r.type.textContent = info.type || '–';
      r.health.textContent = info.health || 'unknown';
      r.health.className = 'pill ' + healthClass(info.health);
      r.health.dataset.health = info.health || 'unknown';
      r.error.textContent = info.error || '';
      r.error.hidden = !info.error;
      r.check.textContent = when(info.last_check);
      r.latency.textContent = typeof info.response_time_ms === 'number' ? `${info.response_time_ms.toFixed(2)} ms` : '–';
      r.spark.replaceChildren(sparkline(state.latency[name]));
      const action = running ? 'stop' : 'start';
      if (r.button.dataset.action !== action) {
        r.button.dataset.action = action;
        r.button.className = running ? 'danger' : '';
        r.button.textContent = running ? `Stop ${name}` : `Start ${name}`;
        r.button.disabled = false;
      }
      rows.push(r.tr);
    }
    if (!rows.length && !b.error) rows.push(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No backends reported yet.')));
    const same = rows.length === body.children.length && rows.every((r, i) => body.children[i] === r);
    if (!same) body.replaceChildren(...rows);
  }
  async function backendAction(name, verb, button) {
    button.disabled = true;
    try {
      await call('POST', `/api/dashboard/backends/${encodeURIComponent(name)}/${verb}`);
      toast(`${verb === 'stop' ? 'Stopped' : 'Started'} ${name}`);
    } catch (e) {
      toast(`Could not ${verb} ${name}: ${e.message}`);
    }
    // The next tick shows the new state; until then the button may be pressed again.
    button.disabled = false;
  }

  // ---- pins ----
  let pinsQuery = {};
  let pinsCursors = [''];  // the cursor of each page shown so far
  const pinsCursor = () => pinsCursors[pinsCursors.length - 1];
  let pinsNext = null;
  let pinsLoading = 0;
  async function loadPins(after) {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, v] of Object.entries(pinsQuery)) if (v) q.set(k, v);
    if (after) q.set('after', after);
    const ticket = ++pinsLoading;
    const err = $('pins-error');
    try {
      const doc = await call('GET', '/api/dashboard/pins?' + q);
      if (ticket !== pinsLoading) return;  // a newer request answered first
      err.hidden = true;
      pinsNext = doc.next;
      renderPins(doc.pins);
    } catch (e) {
      if (ticket !== pinsLoading) return;
      err.hidden = false;
      err.textContent = e.message;
      renderPins([]);
    }
  }
  function renderPins(pins) {
    const body = $('pins-table').tBodies[0];
    const rows = pins.map((p) => {
      const meta = el('div', { class: 'meta' });
      for (const [k, v] of Object.entries(p.meta || {})) meta.append(el('code', {}, `${k}=${v}`));
      const replicas = el('div', {});
      for (const r of p.replicas || []) replicas.append(el('span', { class: 'pill ' + (r.state === 'pinned' ? 'ok' : 'warn') }, `${r.backend}: ${r.state}`));
      const unpin = el('button', { type: 'button', class: 'danger', 'data-cid': p.cid }, 'Unpin');
      unpin.addEventListener('click', () => unpinClicked(p.cid, unpin));
      return el('tr', { 'data-cid': p.cid },
        el('td', { class: 'cid', title: p.cid }, p.cid),
        el('td', {}, p.name === null || p.name === undefined ? el('span', { class: 'muted' }, '–') : p.name),
        el('td', {}, p.type),
        el('td', {}, when(p.created)),
        el('td', {}, meta),
        el('td', {}, replicas),
        el('td', {}, unpin));
    });
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No pins match.')));
    body.replaceChildren(...rows);
    const pageNo = pinsCursors.length;
    setText('pins-caption', `${pins.length} pin${pins.length === 1 ? '' : 's'} on this page` +
      (typeof state.repo.pins === 'number' ? ` · ${count(state.repo.pins)} pinned in all` : ''));
    setText('pins-page', `Page ${pageNo}`);
    $('pins-prev').disabled = pageNo <= 1;
    $('pins-first').disabled = pageNo <= 1;
    $('pins-next').disabled = !pinsNext;
  }
  function unpinClicked(cid, button) {
    if (button.dataset.armed !== '1') {
      // A second click confirms: no dialog to get in the way.
      button.dataset.armed = '1';
      button.textContent = 'Confirm unpin';
      setTimeout(() => { if (button.isConnected) { button.dataset.armed = ''; button.textContent = 'Unpin'; } }, 5000);
      return;
    }
    button.disabled = true;
    call('POST', '/api/dashboard/pins/rm', { cids: [cid] })
      .then((doc) => {
        const r = doc.results && doc.results[0];
        toast(r && r.ok ? `Unpinned ${shortCid(cid)}` : `Could not unpin: ${(r && r.error) || 'unknown error'}`);
        loadPins(pinsCursor());
      })
      .catch((e) => { toast(`Could not unpin: ${e.message}`); button.disabled = false; });
  }
  function upload() {
    const file = $('upload-file').files[0];
    const status = $('upload-status');
    if (!file) { status.textContent = 'Choose a file first.'; return; }
    const bar = $('upload-progress');
    const button = $('upload-button');
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = `Adding ${file.name}…`;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/dashboard/add?name=' + encodeURIComponent(file.name));
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener('load', () => {
      button.disabled = false;
      let doc = null;
      try { doc = JSON.parse(xhr.responseText); } catch { doc = null; }
      if (xhr.status === 200 && doc) {
        bar.value = 100;
        status.textContent = '';
        status.append('Added ', el('code', { id: 'upload-cid' }, doc.cid), ` (${bytes(doc.bytes)}), pinned as “${doc.name}”.`);
        loadPins(pinsCursor());
      } else {
        bar.hidden = true;
        status.textContent = `Could not add ${file.name}: ${(doc && doc.error) || xhr.status}`;
      }
    });
    xhr.addEventListener('error', () => {
      button.disabled = false;
      bar.hidden = true;
      status.textContent = `Could not add ${file.name}: the connection failed`;
    });
    xhr.send(file);
  }

  // ---- replication ----
  function renderReplication() {
    const r = state.replication || {};
    const err = $('replication-error');
    err.hidden = !r.error;
    err.textContent = r.error ? `Replication status unavailable: ${r.error}` : '';
    setText('rp-enabled', r.enabled === undefined ? '–' : r.enabled ? 'on' : 'off');
    setText('rp-range', r.min_replicas === undefined ? '–' : `${r.min_replicas} to ${r.max_replicas}`);
    setText('rp-auto', r.auto_replication === undefined ? '–' : r.auto_replication ? 'on' : 'off');
    setText('rp-pins', count(r.pins));
    const under = $('rp-under');
    under.replaceChildren(typeof r.under_replicated === 'number'
      ? el('span', { class: 'pill ' + (r.under_replicated ? 'warn' : 'ok') }, count(r.under_replicated)) : '–');
    setText('rp-last', r.last_check ? when(r.last_check) : 'not yet');
    const backends = r.backends && typeof r.backends === 'object' ? r.backends : {};
    setText('rp-backends', Array.isArray(backends) ? backends.join(', ') : Object.keys(backends).join(', ') || '–');
    setText('rp-note', r.note || '');
    // Verified copies (and failed ones) per backend, from the replica index.
    const rows = Array.isArray(backends) ? [] : Object.entries(backends)
      .filter(([, b]) => b.replicas && (b.replicas.pinned || b.replicas.pin_error || b.counting))
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([name, b]) => el('tr', {}, el('td', {}, name), el('td', { class: 'num' }, count(b.replicas.pinned)),
        el('td', { class: 'num' }, count(b.replicas.pin_error))));
    if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No data.')));
    $('rp-counts').tBodies[0].replaceChildren(...rows);
    renderSync();
  }
  let syncTimer = 0;
  function renderSync() {
    const s = state.sync;
    const bar = $('sync-progress');
    const status = $('sync-status');
    const button = $('sync-button');
    const result = $('sync-result');
    clearInterval(syncTimer);
    if (!s) { bar.hidden = true; status.textContent = ''; button.disabled = false; result.hidden = true; return; }
    if (s.state === 'running') {
      bar.hidden = false;
      button.disabled = true;
      const p = s.progress;
      if (p && p.pins_total > 0) { bar.max = p.pins_total; bar.value = p.pins_done; } else bar.removeAttribute('value');
      const pins = p && p.pins_total > 0 ? `, ${count(p.pins_done)}/${count(p.pins_total)} pins` : '';
      const tickSync = () => { status.textContent = `Syncing… ${duration((Date.now() - s.started) / 1000)}${pins}`; };
      tickSync();
      syncTimer = setInterval(tickSync, 1000);
      return;
    }
    bar.hidden = true;
    button.disabled = false;
    const took = s.ended && s.started ? ` in ${((s.ended - s.started) / 1000).toFixed(1)} s` : '';
    if (s.state === 'done') {
      const res = s.result || {};
      status.textContent = `Sync finished${took}: ${count(res.checked)} checked, ${count(res.repaired)} repaired, ${count(res.under_replicated)} under-replicated.`;
      result.hidden = false;
      result.textContent = JSON.stringify(res, null, 2);
    } else {
      status.textContent = `Sync failed${took}: ${s.error}`;
      result.hidden = true;
    }
  }
  async function startSync() {
    try {
      await call('POST', '/api/dashboard/replication/sync');
    } catch (e) {
      toast(`Could not start a sync: ${e.message}`);
    }
  }

  // ---- logs ----
  const LOG_LIMIT = 1000;
  const levelOf = (line) => ((line.match(/\blevel=(\w+)/) || [])[1] || '').toUpperCase();
  async function loadLogs() {
    const level = $('log-level').value;
    const err = $('logs-error');
    try {
      const doc = await call('GET', '/api/dashboard/logs?lines=200' + (level ? '&level=' + encodeURIComponent(level) : ''));
      err.hidden = true;
      $('log-view').replaceChildren();
      appendLogs({ lines: doc.lines }, true);
    } catch (e) {
      err.hidden = false;
      err.textContent = `Log unavailable: ${e.message}`;
    }
  }
  function appendLogs(doc, initial) {
    const view = $('log-view');
    const level = $('log-level').value;
    const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
    if (doc.gap && !initial) view.append(el('div', { class: 'muted' }, '… (lines skipped)'));
    for (const line of doc.lines || []) {
      const lv = levelOf(line);
      if (!initial && level && lv !== level) continue;
      view.append(el('div', { class: 'l-' + lv.toLowerCase() }, line));
    }
    while (view.childElementCount > LOG_LIMIT) view.firstElementChild.remove();
    setText('log-count', `${view.childElementCount} lines`);
    if ($('log-follow').checked && (atBottom || initial)) view.scrollTop = view.scrollHeight;
  }

  // ---- sign-in ----
  function showLogin() {
    if (events) { events.close(); events = null; }
    $('nav').hidden = true;
    $('logout').hidden = true;
    setConn('signed out', 'warn');
    page = 'login';
    for (const p of pages) $('page-' + p).hidden = true;
    $('page-login').hidden = false;
    document.title = 'Sign in · ipfs-kit';
    $('login-token').focus();
  }
  async function login(e) {
    e.preventDefault();
    const err = $('login-error');
    err.textContent = '';
    try {
      const res = await fetch('/api/dashboard/login', {
        method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: $('login-token').value }),
      });
      const doc = await res.json().catch(() => ({}));
      if (!res.ok) { err.textContent = doc.error || `${res.status}`; return; }
      $('login-token').value = '';
      csrf = doc.csrf;
      start(true);
    } catch (x) {
      err.textContent = x.message;
    }
  }
  async function logout() {
    try { await call('POST', '/api/dashboard/logout'); } catch { /* signed out either way */ }
    showLogin();
  }

  function start(authRequired) {
    $('nav').hidden = false;
    $('logout').hidden = !authRequired;
    $('page-login').hidden = true;
    page = '';
    connect();
    route();
  }
  async function boot() {
    try {
      const res = await fetch('/api/dashboard/session', { credentials: 'same-origin' });
      const s = await res.json();
      if (!s.signed_in) return showLogin();
      csrf = s.csrf;
      start(s.auth_required);
    } catch {
      setConn('offline', 'bad');
      setTimeout(boot, 3000);
    }
  }

  function syncThemeButton() {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    $('theme').textContent = next === 'dark' ? 'Dark theme' : 'Light theme';
    $('theme').setAttribute('aria-label', `Switch to the ${next} theme`);
  }

  document.addEventListener('DOMContentLoaded', () => {
    syncThemeButton();
    $('theme').addEventListener('click', () => {
      const next = currentTheme() === 'dark' ? 'light' : 'dark';
      root.dataset.theme = next;
      localStorage.setItem('ipfskit-theme', next);
      syncThemeButton();
      renderAll();
    });
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', syncThemeButton);
    $('logout').addEventListener('click', logout);
    $('login-form').addEventListener('submit', login);
    $('upload-button').addEventListener('click', upload);
    $('pin-search').addEventListener('submit', (e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      pinsQuery = { cid: f.get('cid').trim(), name: f.get('name').trim(), meta: f.get('meta').trim(), type: f.get('type') };
      pinsCursors = [''];
      loadPins('');
    });
    $('pin-search').addEventListener('reset', () => {
      pinsQuery = {};
      pinsCursors = [''];
      setTimeout(() => loadPins(''), 0);
    });
    $('pins-next').addEventListener('click', () => { if (pinsNext) { pinsCursors.push(pinsNext); loadPins(pinsNext); } });
    $('pins-prev').addEventListener('click', () => { if (pinsCursors.length > 1) { pinsCursors.pop(); loadPins(pinsCursor()); } });
    $('pins-first').addEventListener('click', () => { pinsCursors = ['']; loadPins(''); });
    $('sync-button').addEventListener('click', startSync);
    $('log-level').addEventListener('change', loadLogs);
    window.addEventListener('hashchange', () => { if (page !== 'login') route(); });
    boot();
  });
})();
