/*
 * shelterd dashboard. Reads /api/status, /api/alerts and /api/placements
 * (with the operator token, if one was given, as a bearer token), the
 * labels of categories and kinds from /api/names (the daemon's one name
 * table: the page keeps no copy), and
 * follows the daemon's live feed: a pub0 socket on ws://HOST/events that
 * sends one binary frame per event, "topic NUL protobuf Event". Each frame
 * triggers a (debounced) refetch, so what is shown always comes from the
 * store, never from a half-applied event.
 *
 * No framework and no build step; every value from the daemon goes into
 * the page with textContent, never as HTML.
 */
'use strict';

const TOKEN_KEY = 'shelterd.token';
const CATEGORY_KEY = 'shelterd.category';
const ALL = 'all';
const REFRESH_DEBOUNCE_MS = 120;   // a burst of events: one refetch
const POLL_MS = 30000;             // also refetch now and then
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];
const TREND_DAYS = 30;
const TREND_MS = 5 * 60000;        // the 30-day history changes slowly
const SVG_NS = 'http://www.w3.org/2000/svg';

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  // 'all': each region's worst open level over its categories, so a
  // region critical in one category is never a green tile.
  category: sessionStorage.getItem(CATEGORY_KEY) || ALL,
  status: null,
  alerts: null,
  placements: null,
  trend: null,          // /api/trend: 30 days per region and category
  trendAt: 0,           // Date.now() of the last read of it
  labels: null,         // /api/names: {category: {women: 'adult women'}}
  skew: 0,              // server clock minus ours, seconds
  lastEventSeq: 0,
  // Liveness: a websocket can stay open to a daemon that says nothing.
  heardAt: 0,              // Date.now() of the last message
  hbSecs: 5,               // the daemon's heartbeat interval, as it says
  silent: false,
  seenAlerts: new Set(),
  firstAlerts: true,
  selected: null,       // region id shown in the detail panel
  ws: null,
  wsFailures: 0,
  everLive: false,
  lost: false,
  refreshTimer: 0,
  refreshing: false,
  refreshAgain: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') ||
             k === 'role' || k === 'title' || k === 'type')
      e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ?
      document.createTextNode(String(c)) : c);
  }
  return e;
}

function nowSecs() { return Date.now() / 1000 + state.skew; }

/* Every time on the page is in UTC, as the daemon's history days are
 * (the page says so): "14:03:22 UTC". */
function utcTime(d) {
  return `${d.toISOString().slice(11, 19)} UTC`;
}

/* The daemon's times are RFC 3339 (null: never); ages need seconds. */
function secs(t) { return t ? Date.parse(t) / 1000 : 0; }

/* A name's label for people, from /api/names; the name itself until the
 * names have arrived. */
function label(table, name) {
  const t = state.labels && state.labels[table];
  return (t && t[name]) || name;
}

function age(secs) {
  secs = Math.max(0, Math.round(secs));
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m ${secs % 60}s`;
  if (secs < 86400)
    return `${Math.floor(secs / 3600)}h ${Math.floor(secs % 3600 / 60)}m`;
  return `${Math.floor(secs / 86400)}d ${Math.floor(secs % 86400 / 3600)}h`;
}

/* ---- data ---------------------------------------------------------- */

async function getJSON(path) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const r = await fetch(path, { headers, cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function loadNames() {
  const names = await getJSON('api/names');
  const labels = {};
  for (const [table, rows] of Object.entries(names)) {
    if (!Array.isArray(rows)) continue;
    labels[table] = {};
    for (const r of rows) labels[table][r.name] = r.label;
  }
  state.labels = labels;
}

async function refresh() {
  if (state.refreshing) { state.refreshAgain = true; return; }
  state.refreshing = true;
  try {
    if (!state.labels) await loadNames();
    const [status, alerts, placements] = await Promise.all([
      getJSON('api/status'), getJSON('api/alerts'),
      getJSON('api/placements')]);
    state.skew = secs(alerts.now) - Date.now() / 1000;
    if (state.token && !status.auth) {
      // The daemon did not take the token: say so, forget it.
      signOut('token refused');
    }
    state.status = status;
    state.alerts = alerts;
    state.placements = placements;
    // The history is read now and then, and again when the view (public
    // or signed in) changed: its counts differ between the two.
    if (!state.trend || Date.now() - state.trendAt > TREND_MS ||
        state.trend.public === status.auth) {
      try {
        state.trend = await getJSON(`api/trend?days=${TREND_DAYS}`);
        state.trendAt = Date.now();
      } catch (e) { /* the tiles show no sparkline until it comes */ }
    }
    state.lastEventSeq = Math.max(state.lastEventSeq, status.last_event_seq);
    render();
    $('updated').textContent = `updated ${utcTime(new Date())}`;
    if (state.selected) loadDetail(state.selected);
  } catch (e) {
    $('updated').textContent = `cannot read the daemon (${e.message}); ` +
      'showing the last data received';
  } finally {
    state.refreshing = false;
    if (state.refreshAgain) {
      state.refreshAgain = false;
      scheduleRefresh();
    }
  }
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = 0;
    refresh();
  }, REFRESH_DEBOUNCE_MS);
}

/* ---- rendering ----------------------------------------------------- */

function render() {
  renderSession();
  renderCategories();
  renderMap();
  renderNational();
  renderAlerts();
  renderPlacements();
}

function renderSession() {
  const authed = !!(state.status && state.status.auth);
  $('signin').hidden = authed;
  $('signedin').hidden = !authed;
}

function renderCategories() {
  const box = $('categories');
  const cats = [ALL, ...state.status.categories];
  if (box.childElementCount !== cats.length) {
    box.replaceChildren(...cats.map((c) => el('button', {
      type: 'button', role: 'radio', 'data-category': c,
      text: c === ALL ? 'all (worst)' : label('category', c),
      onclick: () => {
        state.category = c;
        sessionStorage.setItem(CATEGORY_KEY, c);
        render();
        if (state.selected) renderDetail(state.selected, state.detail);
      },
    })));
  }
  if (!cats.includes(state.category)) state.category = cats[0];
  for (const b of box.children)
    b.setAttribute('aria-checked',
      String(b.dataset.category === state.category));
}

/* A region over all its categories: the counts summed, the level the
 * worst open one of any category (occupancy, early warning, coverage). */
function allTotals(r) {
  const rank = { ok: 0, warning: 1, critical: 2 };
  const names = ['ok', 'warning', 'critical'];
  const sum = { capacity: 0, occupied: 0, free: 0, unknown: 0,
    known_capacity: 0 };
  let worst = 0;
  sum.merged_categories = 0;
  for (const c of state.status.categories) {
    const t = r.categories[c];
    if (!t) continue;
    /* Too few shelters to show without the token: counted nationally
     * only, and never taken as empty or calm. */
    if (t.merged) { sum.merged_categories++; continue; }
    for (const k of Object.keys(sum)) sum[k] += t[k] || 0;
    worst = Math.max(worst, rank[t.level] || 0,
      rank[t.early_warning] || 0, rank[t.coverage] || 0);
  }
  sum.level = names[worst];
  sum.occupancy_pct = sum.known_capacity ? Math.floor(
    (sum.known_capacity - sum.free) * 100 / sum.known_capacity) : 0;
  return sum;
}

/* The category the shelter table shows: the chosen one, or the first. */
function detailCategory() {
  return state.category === ALL ? state.status.categories[0] :
    state.category;
}

/* Colour class of one region/category: the escalation level decides;
 * below it, occupancy only shades. */
function levelClass(t) {
  if (t && t.merged) return 'lvl-merged';
  if (!t || t.capacity === 0) return 'lvl-none';
  if (t.level === 'critical') return 'lvl-critical';
  if (t.level === 'warning') return 'lvl-warning';
  return t.occupancy_pct >= 70 ? 'lvl-busy' : 'lvl-ok';
}

/* Place regions on a grid by latitude/longitude: the country's shape,
 * without a map image. Collisions move to the nearest free cell. */
function layout(regions) {
  const cols = 8, rows = 9;
  const lats = regions.map((r) => r.lat), lons = regions.map((r) => r.lon);
  const minLat = Math.min(...lats), maxLat = Math.max(...lats);
  const minLon = Math.min(...lons), maxLon = Math.max(...lons);
  const taken = new Set(), pos = new Map();
  const order = [...regions].sort((a, b) => b.lat - a.lat || a.lon - b.lon);
  for (const r of order) {
    const c0 = maxLon > minLon ?
      Math.round((r.lon - minLon) / (maxLon - minLon) * (cols - 1)) : 0;
    const r0 = maxLat > minLat ?
      Math.round((maxLat - r.lat) / (maxLat - minLat) * (rows - 1)) : 0;
    let best = null;
    for (let d = 0; d < cols + rows && !best; d++) {
      for (let dr = -d; dr <= d && !best; dr++) {
        for (let dc = -d; dc <= d && !best; dc++) {
          if (Math.max(Math.abs(dr), Math.abs(dc)) !== d) continue;
          const rr = r0 + dr, cc = c0 + dc;
          if (rr < 0 || cc < 0 || rr >= rows || cc >= cols) continue;
          if (!taken.has(`${rr},${cc}`)) best = [rr, cc];
        }
      }
    }
    if (!best) best = [rows + pos.size, 0];
    taken.add(`${best[0]},${best[1]}`);
    pos.set(r.region, best);
  }
  return { cols, pos };
}

const RANK = { ok: 0, warning: 1, critical: 2 };

function mean(v) {
  const k = v.filter((x) => x !== null);
  return k.length ? k.reduce((a, b) => a + b, 0) / k.length : null;
}

function peakOf(v) {
  const k = v.filter((x) => x !== null);
  return k.length ? Math.max(...k) : null;
}

/* Categories in which the region is critical now: such a region is never
 * a green tile, whichever category the map shows. */
function criticalIn(r) {
  return state.status.categories.filter((c) =>
    r.categories[c] && r.categories[c].level === 'critical');
}

function trendOf(id) {
  return state.trend ? state.trend.regions.find((x) => x.region === id) :
    null;
}

/* The category a tile's sparkline and a region's chart show: the chosen
 * one, or the worst: the highest level now, then the highest 30-day
 * average. */
function worstCategory(r) {
  if (state.category !== ALL) return state.category;
  const tr = trendOf(r.region);
  let best = null, key = null;
  for (const c of state.status.categories) {
    const t = r.categories[c];
    if (!t || !t.capacity) continue;
    const avg = tr && tr.categories[c] ? mean(tr.categories[c].avg) : null;
    const k = [RANK[t.level] || 0, avg === null ? -1 : avg];
    if (!key || k[0] > key[0] || (k[0] === key[0] && k[1] > key[1])) {
      best = c;
      key = k;
    }
  }
  return best || state.status.categories[0];
}

/* Norm, shortage and reserve (capacity planning) when the daemon sends
 * them; absent keys leave the tile as it was. */
function planning(r, cats) {
  let norm = null, reserve = null;
  const shortage = [];
  for (const c of cats) {
    const t = r.categories[c];
    if (!t) continue;
    if (typeof t.norm === 'number') norm = (norm || 0) + t.norm;
    // Confirmed reserve beds open now (counted in capacity).
    if (typeof t.reserve_open === 'number')
      reserve = (reserve || 0) + t.reserve_open;
    if (t.shortage === true) shortage.push(c);
  }
  return { norm, reserve, shortage };
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/* 30 days of one category: average (dark) and peak (red) occupancy, the
 * critical line dashed; a dot on each series' last day with data, so that
 * one day of history shows too. */
function sparkline(series, cat) {
  const w = 100, h = 22, n = series.avg.length;
  const crit = state.trend.critical_pct || 100;
  // A margin so that the last day's dot is not cut at the edge.
  const x = (i) => (n > 1 ? 3 + i * (w - 6) / (n - 1) : w / 2).toFixed(1);
  const y = (p) => (h - 1 - Math.min(p, 100) * (h - 2) / 100).toFixed(1);
  const svg = svgEl('svg', { class: 'spark', viewBox: `0 0 ${w} ${h}`,
    preserveAspectRatio: 'none', 'data-category': cat,
    'data-days': String(series.avg.filter((v) => v !== null).length) });
  svg.append(svgEl('line', { x1: 0, x2: w, y1: y(crit), y2: y(crit),
    class: 'crit' }));
  for (const [key, cls] of [['peak', 'peak'], ['avg', 'avg']]) {
    const pts = [];
    let last = -1;
    series[key].forEach((v, i) => {
      if (v === null) return;
      pts.push(`${x(i)},${y(v)}`);
      last = i;
    });
    if (!pts.length) continue;
    svg.append(svgEl('polyline', { class: cls, points: pts.join(' '),
      'vector-effect': 'non-scaling-stroke' }));
    svg.append(svgEl('circle', { class: `${cls} dot`, cx: x(last),
      cy: y(series[key][last]), r: 2.2 }));
  }
  const avg = mean(series.avg), peak = peakOf(series.peak);
  const title = svgEl('title', {});
  title.textContent = `${label('category', cat)}, ${n} days (UTC): ` +
    (avg === null ? 'no history' : `average ${avg.toFixed(0)} %, ` +
      `peak ${peak.toFixed(0)} %`);
  svg.prepend(title);
  return svg;
}

function renderMap() {
  const map = $('map');
  const regions = state.status.regions;
  const usable = regions.every((r) => Number.isFinite(r.lat) &&
    Number.isFinite(r.lon) && (r.lat !== 0 || r.lon !== 0));
  const grid = usable ? layout(regions) : null;
  map.style.setProperty('--cols', grid ? grid.cols : 5);
  if (map.childElementCount !== regions.length) {
    map.replaceChildren(...regions.map((r) => el('button', {
      type: 'button', class: 'tile', 'data-region': r.region,
      onclick: () => selectRegion(r.region),
    })));
  }
  regions.forEach((r, i) => {
    const tile = map.children[i];
    const t = state.category === ALL ? allTotals(r) :
      r.categories[state.category];
    const crit = criticalIn(r);
    // Critical in another category than the one shown: not green.
    const elsewhere = state.category !== ALL && t.level !== 'critical' &&
      crit.length > 0;
    const cls = elsewhere ? 'lvl-elsewhere' : levelClass(t);
    const plan = planning(r, state.category === ALL ?
      state.status.categories : [state.category]);
    tile.className = `tile ${cls}` +
      (t.unknown > 0 ? ' has-unknown' : '') +
      (state.selected === r.region ? ' selected' : '');
    tile.dataset.level = t.level;
    tile.dataset.anyCritical = String(crit.length > 0);
    tile.dataset.pct = String(t.occupancy_pct);
    if (grid) {
      const [row, col] = grid.pos.get(r.region);
      tile.style.gridRow = String(row + 1);
      tile.style.gridColumn = String(col + 1);
    }
    const oldest = secs(r.oldest_report);
    const text = t.merged ? 'fewer shelters than can be shown ' +
      'without the token: in the national figure' :
      t.capacity === 0 ? 'no beds' :
      `${t.capacity - t.free - t.unknown} of ${t.capacity} taken, ` +
      `${t.free} free`;
    tile.setAttribute('aria-label', `${r.region} ${r.name}: ` +
      `${state.category === ALL ? 'all categories' :
        label('category', state.category)}, ${text}` +
      (plan.norm !== null ? `, norm ${plan.norm}` : '') +
      (t.level !== 'ok' ? `, ${t.level}` : '') +
      (elsewhere ? `, critical in ${crit.map((c) =>
        label('category', c)).join(', ')}` : '') +
      (plan.shortage.length ? ', structural shortage' : '') +
      (plan.reserve ? `, ${plan.reserve} reserve beds open` : '') +
      (t.unknown > 0 ? `, ${t.unknown} unknown (stale)` : '') +
      (oldest ? `, oldest report ${age(nowSecs() - oldest)} old` :
        ', no report yet'));
    tile.title = tile.getAttribute('aria-label');
    const tr = trendOf(r.region);
    const sc = worstCategory(r);
    const flags = [
      elsewhere ? el('span', { class: 'flag crit-elsewhere',
        text: `crit. ${crit.join(' ')}` }) : null,
      plan.shortage.length ? el('span', { class: 'flag shortage',
        title: `structural shortage: ${plan.shortage.join(', ')}`,
        text: 'shortage' }) : null,
      plan.reserve ? el('span', { class: 'flag reserve',
        text: `+${plan.reserve} reserve open` }) : null,
    ].filter(Boolean);
    tile.replaceChildren(...[
      el('span', { class: 'top' },
        el('span', { class: 'id', text: r.region }),
        t.capacity ? el('span', { class: 'pct',
          text: `${t.occupancy_pct}%` }) : null),
      el('span', { class: 'name', text: r.name }),
      el('span', { class: 'counts cap', text: t.merged ? 'merged' :
        t.capacity ? `${t.occupied}/${t.capacity} occ.` : 'no beds' }),
      // Capacity against the norm on a line of its own: a tile is too
      // narrow at 1280 px for both on one.
      !t.merged && plan.norm !== null ? el('span', { class: 'counts norm',
        text: `norm ${plan.norm}` }) : null,
      t.merged_categories ? el('span', { class: 'counts unk',
        text: `${t.merged_categories} merged` }) : null,
      el('span', { class: 'counts', text: (t.capacity ?
        `${t.free} free` : '') + (t.unknown > 0 ?
        ` · ${t.unknown} unkn.` : '') }),
      el('span', { class: 'counts age oldest',
        'data-opened': oldest || '', 'data-prefix': 'oldest ',
        text: oldest ? `oldest ${age(nowSecs() - oldest)}` :
          'no report' }),
      flags.length ? el('span', { class: 'flags' }, ...flags) : null,
      tr && tr.categories[sc] ? sparkline(tr.categories[sc], sc) : null,
    ].filter(Boolean));
  });
}

function renderNational() {
  const st = state.status;
  const body = $('national').tBodies[0];
  body.replaceChildren(...st.categories.map((c) => {
    const t = st.national[c];
    if (t.merged)
      return el('tr', { 'data-category': c },
        el('td', { text: label('category', c) }),
        el('td', { colSpan: 11, text: 'too few shelters to show ' +
          'without the token' }));
    return el('tr', { 'data-category': c },
      el('td', { text: label('category', c) }),
      el('td', { text: t.capacity }), el('td', { text: t.occupied }),
      el('td', { text: t.out_of_service }), el('td', { text: t.held }),
      el('td', { text: t.free }),
      el('td', { text: t.unknown, class: t.unknown ? 'stale' : '' }),
      el('td', { text: `${t.known_capacity} of ${t.registered_capacity}` }),
      el('td', { text: t.unknown_beds, class: t.unknown_beds ? 'stale' : '' }),
      el('td', { text: `${t.stale_shelters} / ${t.never_reported}` }),
      el('td', { text: `${t.occupancy_pct}%` }),
      el('td', {}, t.level === 'ok' ? '' :
        el('span', { class: `lvl ${t.level}`, text: t.level }),
      t.coverage === 'ok' ? '' :
        el('span', { class: 'lvl coverage', text: 'coverage' })));
  }));
  $('shelter-summary').textContent =
    `${st.shelters_reported} of ${st.shelters} shelters have reported ` +
    `(${st.shelters - st.shelters_reported} never); ` +
    `${st.shelters_stale} stale. Beds nobody reports on are unknown: ` +
    'neither free nor full; levels count known beds.';
}

function regionName(id) {
  const r = state.status &&
    state.status.regions.find((x) => x.region === id);
  return r ? r.name : '';
}

function alertWhat(a) {
  const where = a.region ? `${a.region} ${regionName(a.region)}` :
    'national';
  const cat = a.category ? label('category', a.category) : '';
  switch (a.kind) {
    case 'stale':
      return `${where}: shelter ${a.shelter || ''} stopped reporting ` +
        '(beds unknown)';
    case 'early_warning':
      return `${where}: ${cat} ${label('kind', a.kind)} ` +
        '(not full yet, few beds expected to free)';
    case 'coverage': {
      // The counts of now, from the status: "VR19 women: 12 of 20 beds
      // unknown; 3 shelters stale, 1 never reported".
      const st = state.status;
      const reg = a.region && st &&
        st.regions.find((x) => x.region === a.region);
      const t = reg ? reg.categories[a.category] :
        st && st.national[a.category];
      const counts = t ? `${t.unknown_beds} of ${t.registered_capacity} ` +
        `beds unknown; ${t.stale_shelters} shelters stale, ` +
        `${t.never_reported} never reported` : 'beds unknown';
      return `${a.region || 'national'} ${cat}: ${counts} (too few ` +
        'known to raise an occupancy level)';
    }
    case 'placement':
      return `${where}: placement request ${a.request_id || ''} ` +
        `(${cat}): no suitable bed found`;
    case 'structural_shortage':
      // Not a full region: capacity short of its norm, or too many
      // critical days, over the planning window (docs/planning.md).
      return `${where}: ${cat} ${label('kind', a.kind)} (capacity ` +
        'short of the norm, or critical too many days)';
    default:
      if (a.scope === 'shelter')
        return `${where}: shelter ${a.shelter || ''} full, ${cat}`;
      if (a.scope === 'national')
        return `national: no ${cat} bed free`;
      return `${where}: ${cat} ${a.level === 'critical' ? 'full' :
        'nearly full'}`;
  }
}

function renderAlerts() {
  const a = state.alerts;
  const list = $('alerts');
  $('alert-count').textContent = `(${a.alerts.length})`;
  // What needs someone first: critical, then not acknowledged, then the
  // newest.
  const order = [...a.alerts].sort((x, y) =>
    (y.level === 'critical') - (x.level === 'critical') ||
    !y.acknowledged_by - !x.acknowledged_by ||
    y.opened_seq - x.opened_seq);
  list.replaceChildren(...order.map((x) => {
    const fresh = !state.firstAlerts && !state.seenAlerts.has(x.opened_seq);
    state.seenAlerts.add(x.opened_seq);
    return el('li', {
      class: fresh ? 'fresh' : '', 'data-seq': x.opened_seq,
      'data-region': x.region || 'national', 'data-level': x.level,
      'data-scope': x.scope,
    },
    el('span', {}, el('span', { class: `lvl ${x.level}`, text: x.level })),
    el('span', { class: 'what', text: alertWhat(x) }),
    el('span', { class: 'age', 'data-opened': secs(x.opened_at),
      text: age(nowSecs() - secs(x.opened_at)) }),
    el('span', {
      class: x.acknowledged_by ? 'ack' : 'ack no',
      text: (x.acknowledged_by ?
        `acknowledged by ${x.acknowledged_by}` : 'not acknowledged') +
        ` · #${x.opened_seq}` +
        (x.step ? ` · published again ${x.step}×` : ''),
    }));
  }));
  state.firstAlerts = false;
  if (!a.alerts.length)
    list.append(el('li', { class: 'muted', text: 'no open alerts' }));
  const hidden = $('alerts-hidden');
  hidden.hidden = !a.hidden;
  hidden.textContent = `${a.hidden} shelter-level alert(s) not shown: ` +
    'sign in with the operator token to see them.';
}

function renderPlacements() {
  const p = state.placements;
  const box = $('placements');
  if (!p.auth) {
    const counts = Object.entries(p.counts);
    box.replaceChildren(
      el('p', { text: counts.length ?
        counts.map(([k, v]) => `${v} ${k}`).join(', ') :
        'no open or recent requests' }),
      el('p', { class: 'muted',
        text: 'Sign in with the operator token to see each request.' }));
    return;
  }
  if (!p.placements.length) {
    box.replaceChildren(el('p', { class: 'muted',
      text: 'no open or recent requests' }));
    return;
  }
  box.replaceChildren(el('div', { class: 'scroll' }, el('table', {
    class: 'grid', id: 'placement-table' },
    el('thead', {}, el('tr', {}, ...['request', 'case', 'from',
      'category', 'beds', 'state', 'held in', 'tried', 'updated']
      .map((h) => el('th', { text: h })))),
    el('tbody', {}, ...p.placements.map((x) => el('tr', {
      'data-request': x.request_id, 'data-state': x.state },
    el('td', { text: x.request_id }), el('td', { text: x.case_ref }),
    el('td', { text: x.from_region }),
    el('td', { text: label('category', x.category) }),
    el('td', { text: x.beds }),
    el('td', { text: x.state + (x.shelter ? ` (${x.shelter})` : '') }),
    el('td', { text: x.held_region || '–' }),
    el('td', { text: x.candidates_tried }),
    el('td', { class: 'age', 'data-opened': secs(x.updated_at),
      text: age(nowSecs() - secs(x.updated_at)) })))))));
}

/* ---- one region ----------------------------------------------------- */

function selectRegion(id) {
  state.selected = state.selected === id ? null : id;
  state.detail = null;
  renderMap();
  if (state.selected) loadDetail(id);
  else $('region-detail').hidden = true;
}

async function loadDetail(id) {
  let shelters = null;
  if (state.status && state.status.auth) {
    try {
      shelters = await getJSON(`api/shelters?region=${
        encodeURIComponent(id)}`);
    } catch (e) { shelters = null; }
  }
  if (state.selected !== id) return;
  state.detail = shelters;
  renderDetail(id, shelters);
}

function renderDetail(id, shelters) {
  const r = state.status.regions.find((x) => x.region === id);
  if (!r) return;
  const panel = $('region-detail');
  panel.hidden = false;
  $('detail-title').textContent = `${r.region} ${r.name}: ${r.shelters} ` +
    `shelters, ${r.shelters_reported} reported, ${r.shelters_stale} stale`;
  const cats = state.status.categories;
  const plan = planning(r, cats);
  const hasNorm = cats.some((c) => r.categories[c] &&
    'norm' in r.categories[c]);
  const hasReserve = cats.some((c) => r.categories[c] &&
    'reserve_open' in r.categories[c]);
  const totals = el('table', { class: 'grid', id: 'region-totals' },
    el('thead', {}, el('tr', {}, ...['category', 'capacity',
      hasNorm ? 'norm' : null, 'occupied', 'out of service', 'held', 'free',
      'unknown', hasReserve ? 'reserve open' : null, 'occ.', 'level']
      .filter((h) => h !== null).map((h) => el('th', { text: h })))),
    el('tbody', {}, ...cats.map((c) => {
      const t = r.categories[c];
      return el('tr', { 'data-category': c },
        el('td', { text: label('category', c) }),
        el('td', { text: t.capacity }),
        hasNorm ? el('td', { class: typeof t.norm === 'number' &&
          t.capacity < t.norm ? 'stale' : '',
        text: typeof t.norm === 'number' ? t.norm : '–' }) : null,
        el('td', { text: t.occupied }),
        el('td', { text: t.out_of_service }), el('td', { text: t.held }),
        el('td', { text: t.free }), el('td', { text: t.unknown }),
        hasReserve ? el('td', { text: t.reserve_open ?? '–' }) : null,
        el('td', { text: `${t.occupancy_pct}%` }),
        el('td', {}, t.level === 'ok' ? '' : t.level,
          t.shortage === true ? el('span', { class: 'flag shortage',
            text: 'structural shortage' }) : null));
    })));
  const parts = [el('div', { class: 'scroll' }, totals)];
  if (plan.shortage.length)
    parts.push(el('p', { class: 'stale', text: 'Open structural ' +
      `shortage: ${plan.shortage.map((c) => label('category', c))
        .join(', ')} (capacity below the norm over the planning window)` }));
  // The trend chart the daemon draws (the SVG of shelterctl trend --svg).
  const cat = worstCategory(r);
  parts.push(el('figure', { class: 'trend' },
    el('img', { id: 'trend-chart', alt: `${r.region} ` +
      `${label('category', cat)}: occupancy over ${TREND_DAYS} days`,
    src: `api/trend.svg?region=${encodeURIComponent(r.region)}` +
      `&category=${encodeURIComponent(cat)}&days=${TREND_DAYS}` }),
    el('figcaption', { class: 'muted', text: `${label('category', cat)}: ` +
      `average and peak occupancy per day over ${TREND_DAYS} days (UTC); ` +
      'dashed: warning and critical' })));
  parts.push(placementHistory(r));
  if (!shelters) {
    parts.push(el('p', { class: 'muted', text: 'Shelters are shown ' +
      'only to a signed-in operator or national coordinator.' }));
  } else {
    const cat = detailCategory();
    parts.push(el('div', { class: 'scroll' }, el('table', { class: 'grid', id: 'shelter-table' },
      el('thead', {}, el('tr', {}, ...['shelter', 'name', 'status',
        `${label('category', cat)}: cap.`, 'occ.', 'oos', 'held',
        'free', 'last report'].map((h) => el('th', { text: h })))),
      el('tbody', {}, ...shelters.shelters.map((s) => {
        const b = s.beds[cat];
        return el('tr', { 'data-shelter': s.shelter },
          el('td', { text: s.shelter }), el('td', { text: s.name }),
          el('td', { class: s.stale ? 'stale' : '',
            text: s.stale ? 'stale: unknown' :
              label('shelter_status', s.status || 'unknown') }),
          el('td', { text: b ? b.capacity : '–' }),
          el('td', { text: b ? b.occupied : '–' }),
          el('td', { text: b ? b.out_of_service : '–' }),
          el('td', { text: b ? b.held : '–' }),
          el('td', { text: !b ? '–' : s.stale ? '?' : b.free }),
          el('td', { class: 'age',
            'data-opened': secs(s.received_at) || '',
            text: s.last_seq > 0 ? age(nowSecs() - secs(s.received_at)) :
              'never' }));
      })))));
  }
  $('detail-body').replaceChildren(...parts);
}

/* The region's placements over the trend's window: counts per category
 * for everyone (a public report's: small counts hidden); the requests
 * themselves only for a signed-in session. */
function placementHistory(r) {
  const tr = trendOf(r.region);
  const box = el('section', { id: 'placement-history' },
    el('h3', { text: `Placements from ${r.region}, last ${TREND_DAYS} ` +
      'days (UTC)' }));
  if (!tr) {
    box.append(el('p', { class: 'muted', text: 'history not read yet' }));
    return box;
  }
  const k = state.trend.k;
  const cell = (v) => v === null ? `<${k}` : v;
  const rows = state.status.categories.filter((c) => tr.history[c]);
  box.append(rows.length ? el('table', { class: 'grid' },
    el('thead', {}, el('tr', {}, ...['category', 'requested',
      'placed in region', 'placed elsewhere', 'unplaced', 'days critical']
      .map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows.map((c) => {
      const h = tr.history[c];
      return el('tr', { 'data-category': c },
        el('td', { text: label('category', c) }),
        el('td', { text: cell(h.requested) }),
        el('td', { text: cell(h.placed_in_region) }),
        el('td', { text: cell(h.placed_elsewhere) }),
        el('td', { text: cell(h.unplaced) }),
        el('td', { text: cell(h.days_critical) }));
    }))) : el('p', { class: 'muted', text: 'no history' }));
  if (state.trend.public) {
    box.append(el('p', { class: 'muted', text: `<${k}: fewer than ${k}, ` +
      'hidden as in the public monthly report. Sign in for the counts ' +
      'and the requests.' }));
  } else if (state.placements && state.placements.auth) {
    const mine = state.placements.placements.filter((x) =>
      x.from_region === r.region);
    box.append(el('p', { class: 'muted', text: `${mine.length} open or ` +
      'recent request(s) from this region:' }));
    if (mine.length) {
      box.append(el('div', { class: 'scroll' }, el('table', { class: 'grid' },
        el('thead', {}, el('tr', {}, ...['request', 'category', 'state',
          'held in', 'updated'].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...mine.map((x) => el('tr', {},
          el('td', { text: x.request_id }),
          el('td', { text: label('category', x.category) }),
          el('td', { text: x.state }),
          el('td', { text: x.held_region || '–' }),
          el('td', { class: 'age', 'data-opened': secs(x.updated_at),
            text: age(nowSecs() - secs(x.updated_at)) })))))));
    }
  }
  return box;
}

/* ---- session -------------------------------------------------------- */

function signOut(why) {
  state.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  const err = $('signin-error');
  err.hidden = !why;
  err.textContent = why || '';
}

function setupSession() {
  $('signin').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token').value.trim();
    $('token').value = '';
    if (!t) return;
    state.token = t;
    sessionStorage.setItem(TOKEN_KEY, t);
    $('signin-error').hidden = true;
    refresh();
  });
  $('signout').addEventListener('click', () => {
    signOut('');
    state.detail = null;
    refresh();
  });
}

/* ---- live feed ------------------------------------------------------ */

/* The fields of an Event the page shows, read by hand: protobuf varints
 * and strings, nothing else needed. */
function decodeEvent(bytes) {
  const ev = {};
  let i = 0;
  const varint = () => {
    let v = 0, mul = 1, b;
    do {
      if (i >= bytes.length) throw new Error('truncated');
      b = bytes[i++];
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return v;
  };
  const names = { 1: 'event_seq', 4: 'level', 8: 'category', 12: 'kind',
    3: 'scope', 34: 'last_event_seq', 35: 'heartbeat_secs' };
  while (i < bytes.length) {
    const key = varint(), field = Math.floor(key / 8), type = key & 7;
    if (type === 0) {
      const v = varint();
      if (names[field]) ev[names[field]] = v;
    } else if (type === 2) {
      const len = varint();
      if (field === 6)
        ev.region_id = new TextDecoder().decode(bytes.subarray(i, i + len));
      i += len;
    } else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else throw new Error('bad wire type');
  }
  return ev;
}

function setConn(kind, text) {
  const c = $('conn');
  c.dataset.state = kind;
  document.body.dataset.conn = kind;
  c.textContent = text;
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://` +
    `${location.host}/events`;
  let ws;
  try {
    ws = new WebSocket(url, ['pub.sp.nanomsg.org']);
  } catch (e) {
    reconnectLater();
    return;
  }
  ws.binaryType = 'arraybuffer';
  state.ws = ws;
  ws.onopen = () => {
    state.wsFailures = 0;
    state.heardAt = Date.now();
    if (state.lost) {
      state.lost = false;
      setConn('restored', 'live again');
      setTimeout(() => {
        if (state.ws === ws && ws.readyState === WebSocket.OPEN)
          setConn('live', 'live');
      }, 4000);
    } else {
      setConn('live', 'live');
    }
    state.everLive = true;
    // Whatever happened while we were away: read it all again.
    refresh();
  };
  ws.onmessage = (m) => {
    const bytes = new Uint8Array(m.data);
    const nul = bytes.indexOf(0);
    if (nul < 0) return;
    const topic = new TextDecoder().decode(bytes.subarray(0, nul));
    heard();
    if (topic === 'hb') {
      // Not an event: the daemon is alive. A newer event than ours
      // means one was lost: read everything again.
      try {
        const hb = decodeEvent(bytes.subarray(nul + 1));
        if (hb.heartbeat_secs) state.hbSecs = hb.heartbeat_secs;
        if ((hb.last_event_seq || 0) > state.lastEventSeq) {
          state.lastEventSeq = hb.last_event_seq;
          scheduleRefresh();
        }
      } catch (e) { /* the next one will do */ }
      return;
    }
    try {
      const ev = decodeEvent(bytes.subarray(nul + 1));
      if (ev.event_seq) {
        state.lastEventSeq = Math.max(state.lastEventSeq, ev.event_seq);
        $('last-event').textContent = `last event #${ev.event_seq} ` +
          `${topic} at ${utcTime(new Date())}`;
      }
    } catch (e) { /* shown from the refetch all the same */ }
    scheduleRefresh();
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.ws = null;
    reconnectLater();
  };
  ws.onerror = () => { /* onclose follows */ };
}

function heard() {
  state.heardAt = Date.now();
  if (state.silent) {
    state.silent = false;
    setConn('restored', 'live again');
    refresh();
  }
}

/* Three heartbeats missed on an open socket: say the page is not live. */
function checkLive() {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN ||
      !state.heardAt) return;
  const quiet = (Date.now() - state.heardAt) / 1000;
  if (quiet < 3 * state.hbSecs) return;
  state.silent = true;
  setConn('lost', `no heartbeat from shelterd for ${Math.floor(quiet)} s: ` +
    'the feed is not live');
}

function reconnectLater() {
  const delay = BACKOFF_MS[Math.min(state.wsFailures, BACKOFF_MS.length - 1)];
  state.wsFailures++;
  if (state.everLive) state.lost = true;
  const until = Date.now() + delay;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    setConn(state.everLive ? 'lost' : 'connecting', state.everLive ?
      `connection lost: retrying in ${left}s (data may be out of date)` :
      `connecting… (retry in ${left}s)`);
  };
  tick();
  const t = setInterval(tick, 500);
  setTimeout(() => { clearInterval(t); connect(); }, delay);
}

/* Ages tick without refetching. */
function tickAges() {
  for (const e of document.querySelectorAll('.age[data-opened]')) {
    const at = Number(e.dataset.opened);
    if (at) e.textContent = (e.dataset.prefix || '') + age(nowSecs() - at);
  }
}

function start() {
  setupSession();
  refresh();
  connect();
  setInterval(refresh, POLL_MS);
  setInterval(tickAges, 1000);
  setInterval(checkLive, 1000);
}

document.addEventListener('DOMContentLoaded', start);
