// The dashboard: one page, hash routes (#/overview, #/anomalies, #/user/ID, #/roles, #/access,
// #/models), everything read live from the REST API with the session cookie. Text from the API
// is only ever set as textContent, never parsed as HTML.
import uPlot from 'uplot';

const LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NORMAL'];
const main = document.getElementById('main');
let csrf = '';
let charts = [];

// ---- Helpers -------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k === 'text') el.textContent = v;
        // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
        else if (k === 'style') {
            for (const decl of v.split(';')) {
                const i = decl.indexOf(':');
                if (i > 0) el.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim());
            }
        }
        else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

const fmt = new Intl.NumberFormat('en-US');
const num = (n) => fmt.format(n);

function when(iso) {
    if (!iso) return '—';
    return iso.replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC');
}

function badge(level) {
    return h('span', {class: `badge ${level}`}, level);
}

function userLink(id) {
    return h('a', {href: `#/user/${encodeURIComponent(id)}`}, id);
}

class ApiError extends Error {
    constructor(status, body) {
        super((body && body.error && body.error.message) || `HTTP ${status}`);
        this.status = status;
        this.body = body;
    }
}

async function api(method, path, body) {
    const headers = {};
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await r.json().catch(() => null);
    if (r.status === 401 && path !== '/api/v1/session') {
        // The session ended: the server answers / with the sign-in page now.
        location.reload();
    }
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
}

function show(title, ...content) {
    for (const c of charts) c.destroy();
    charts = [];
    main.replaceChildren(h('h1', {}, title), ...content);
    document.title = `${title} · Access Sentinel`;
}

function failure(err) {
    return h('p', {class: 'error', role: 'alert'}, `Could not load this page: ${err.message}`);
}

function panel(title, ...content) {
    return h('section', {class: 'panel', 'aria-label': title}, h('h2', {}, title), ...content);
}

function table(caption, columns, rows, opts = {}) {
    const t = h('table', {}, h('caption', {class: 'muted'}, caption));
    t.querySelector('caption').hidden = !opts.showCaption;
    t.append(h('thead', {}, h('tr', {}, columns.map((c) =>
        h('th', {scope: 'col', class: c.num ? 'num' : null}, c.label)))));
    const tb = h('tbody');
    for (const r of rows) tb.append(r);
    t.append(tb);
    return t;
}

function chartWidth(el) {
    return Math.max(300, (el.clientWidth || main.clientWidth || 800) - 8);
}

// ---- Overview ------------------------------------------------------------------------------

function timelineChart(el, tl) {
    const start = tl.start ? Date.parse(tl.start) / 1000 : 0;
    const xs = tl.events.map((_, i) => start + i * tl.bucket_seconds);
    const opts = {
        width: chartWidth(el),
        height: 240,
        scales: {x: {time: true}},
        series: [
            {},
            {label: 'Events per hour', stroke: '#1d4ed8', width: 1.5, fill: 'rgba(29,78,216,0.08)'},
            {label: 'Anomalies per hour', stroke: '#b42318', width: 1.5, scale: 'a'},
        ],
        axes: [{}, {label: 'events'}, {side: 1, scale: 'a', label: 'anomalies', grid: {show: false}}],
    };
    charts.push(new uPlot(opts, [xs, tl.events, tl.anomalies], el));
}

function heatColour(v, max) {
    if (!v) return '#eef0f3';
    const t = Math.sqrt(v / max);
    const l = 92 - t * 60;
    return `hsl(222 70% ${l}%)`;
}

function heatMap(hm) {
    let max = 1;
    for (const row of hm.events) for (const v of row) max = Math.max(max, v);
    const head = h('tr', {}, h('th', {scope: 'col'}, h('span', {class: 'muted'}, 'UTC')),
        Array.from({length: 24}, (_, i) => h('th', {scope: 'col'}, i % 3 === 0 ? String(i) : '')));
    const rows = hm.weekdays.map((d, w) => h('tr', {}, h('th', {scope: 'row'}, d),
        hm.events[w].map((v, hr) => {
            const a = hm.anomalies[w][hr];
            const label = `${d} ${hr}:00 UTC: ${num(v)} events, ${num(a)} anomalies`;
            return h('td', {style: `background:${heatColour(v, max)}`, title: label, 'aria-label': label});
        })));
    return h('table', {class: 'heat', 'aria-label': 'Events by hour and weekday'},
        h('thead', {}, head), h('tbody', {}, rows));
}

function levelBars(levels) {
    const total = LEVELS.reduce((s, l) => s + levels[l], 0) || 1;
    return h('ul', {class: 'bars', 'aria-label': 'Events by risk level'}, LEVELS.map((l) =>
        h('li', {}, badge(l), h('span', {class: 'bar', 'aria-hidden': 'true'},
            h('span', {class: l, style: `width:${(100 * levels[l] / total).toFixed(2)}%`})),
        h('span', {class: 'n', 'data-level': l}, num(levels[l])))));
}

function alertRows(list) {
    return list.map((a) => h('tr', {}, h('td', {}, badge(a.risk_level)),
        h('td', {}, userLink(a.user_id)), h('td', {}, a.resource || '—'),
        h('td', {}, (a.reasons && a.reasons[0]) || ''), h('td', {}, when(a.timestamp))));
}

async function overview() {
    const t0 = performance.now();
    let o;
    try {
        o = await api('GET', '/api/v1/stats/overview?recent=10');
    } catch (err) {
        return show('Overview', failure(err));
    }
    const card = (label, value, id) => h('div', {class: 'card'}, h('div', {class: 'label'}, label),
        h('div', {class: 'value', id}, num(value)));
    const chart = h('div', {class: 'chart', role: 'img',
        'aria-label': `Events and anomalies per hour from ${when(o.timeline.start)}`});
    show('Overview',
        h('div', {class: 'cards'},
            card('Events analysed', o.totals.events, 'total-events'),
            card('Anomalies', o.totals.anomalies, 'total-anomalies'),
            card('Failed attempts', o.totals.failures, 'total-failures'),
            card('Users', o.totals.users, 'total-users')),
        h('div', {class: 'grid'},
            h('section', {class: 'panel wide', 'aria-label': 'Events and anomalies over time'},
                h('h2', {}, 'Events and anomalies over time'),
                h('p', {class: 'muted'}, `${when(o.first_event)} to ${when(o.last_event)}`), chart),
            panel('Risk levels', levelBars(o.levels)),
            panel('Top risky users', table('Top risky users',
                [{label: 'User'}, {label: 'Risk', num: true}, {label: 'Level'}, {label: 'Alerts', num: true}],
                o.top_users.map((u) => h('tr', {}, h('td', {}, userLink(u.user_id)),
                    h('td', {class: 'num'}, u.risk_score.toFixed(1)), h('td', {}, badge(u.risk_level)),
                    h('td', {class: 'num'}, num(u.anomalies))))), id_or_empty(o.top_users, 'No users yet.')),
            panel('Top sources of failures', table('Top sources of failures',
                [{label: 'Source address'}, {label: 'Failures', num: true}],
                o.top_failure_sources.map((s) => h('tr', {}, h('td', {}, s.source_ip),
                    h('td', {class: 'num'}, num(s.failures))))),
                id_or_empty(o.top_failure_sources, 'No failed attempts.')),
            h('section', {class: 'panel wide', 'aria-label': 'Access heat map'},
                h('h2', {}, 'Access by hour and weekday'), heatMap(o.heatmap)),
            h('section', {class: 'panel wide', 'aria-label': 'Newest alerts'}, h('h2', {}, 'Newest alerts'),
                table('Newest alerts', [{label: 'Level'}, {label: 'User'}, {label: 'Resource'},
                    {label: 'Reason'}, {label: 'Time'}], alertRows(o.recent_anomalies)),
                id_or_empty(o.recent_anomalies, 'No anomalies yet.'))));
    timelineChart(chart, o.timeline);
    // Read by the end-to-end test: time from the route's start to the numbers on screen.
    window.__overviewRenderedMs = performance.now() - t0;
    window.__overviewRenderedAt = performance.now();
}

function id_or_empty(list, text) {
    return list.length ? null : h('p', {class: 'muted'}, text);
}

// ---- Anomalies -----------------------------------------------------------------------------

const anomalyState = {level: '', user: '', q: '', sort: 'recent', offset: 0, limit: 50};

function anomalyQuery() {
    const p = new URLSearchParams();
    p.set('limit', anomalyState.limit);
    p.set('offset', anomalyState.offset);
    p.set('sort', anomalyState.sort);
    if (anomalyState.level) p.set('level', anomalyState.level);
    if (anomalyState.user) p.set('user', anomalyState.user);
    if (anomalyState.q) p.set('q', anomalyState.q);
    return p.toString();
}

async function anomalies(params) {
    if (params.get('user') !== null) {
        anomalyState.user = params.get('user');
        anomalyState.offset = 0;
    }
    const level = h('select', {id: 'f-level', name: 'level'},
        h('option', {value: ''}, 'Any level'), LEVELS.map((l) => h('option', {value: l}, l)));
    level.value = anomalyState.level;
    const user = h('input', {id: 'f-user', name: 'user', value: anomalyState.user, autocomplete: 'off'});
    const q = h('input', {id: 'f-q', name: 'q', type: 'search', value: anomalyState.q});
    const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter anomalies',
        onsubmit: (e) => {
            e.preventDefault();
            Object.assign(anomalyState, {level: level.value, user: user.value.trim(),
                q: q.value.trim(), offset: 0});
            loadAnomalies();
        }},
    h('label', {for: 'f-level'}, 'Level', level),
    h('label', {for: 'f-user'}, 'User', user),
    h('label', {for: 'f-q'}, 'Text in reasons, user or resource', q),
    h('button', {type: 'submit', class: 'primary'}, 'Apply'));
    const results = h('div', {id: 'anomaly-results'});
    const detail = h('section', {id: 'anomaly-detail', class: 'panel detail', 'aria-label': 'Anomaly detail',
        tabindex: '-1', hidden: true});
    show('Anomalies', form, results, detail);
    await loadAnomalies();
}

function sortHeader(label, key) {
    const cur = anomalyState.sort;
    const dir = cur === key ? 'ascending' : cur === `-${key}` ? 'descending' : 'none';
    const next = cur === `-${key}` ? key : `-${key}`;
    return h('th', {scope: 'col', 'aria-sort': dir},
        h('button', {type: 'button', class: 'sort', onclick: () => {
            anomalyState.sort = next;
            anomalyState.offset = 0;
            loadAnomalies();
        }}, label, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''));
}

async function loadAnomalies() {
    const results = document.getElementById('anomaly-results');
    if (!results) return;
    let r;
    try {
        r = await api('GET', `/api/v1/anomalies?${anomalyQuery()}`);
    } catch (err) {
        results.replaceChildren(failure(err));
        return;
    }
    const t = h('table', {id: 'anomaly-table', 'aria-label': 'Anomalies'},
        h('thead', {}, h('tr', {}, sortHeader('Level', 'level'), sortHeader('User', 'user'),
            h('th', {scope: 'col'}, 'Resource'), h('th', {scope: 'col'}, 'Reason'),
            sortHeader('Risk', 'risk'), sortHeader('Time', 'time'))),
        h('tbody', {}, r.anomalies.map((a, i) => h('tr', {class: 'clickable', tabindex: '0',
            'data-index': i, 'aria-label': `${a.risk_level} anomaly of ${a.user_id}: open its detail`,
            onclick: () => anomalyDetail(a),
            onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); anomalyDetail(a); } }},
        h('td', {}, badge(a.risk_level)), h('td', {}, a.user_id), h('td', {}, a.resource || '—'),
        h('td', {}, (a.reasons && a.reasons[0]) || ''), h('td', {class: 'num'}, a.risk_score.toFixed(1)),
        h('td', {}, when(a.timestamp))))));
    const from = r.total ? r.offset + 1 : 0;
    const to = r.offset + r.count;
    const pager = h('div', {class: 'pager'},
        h('button', {type: 'button', disabled: r.offset === 0, onclick: () => {
            anomalyState.offset = Math.max(0, r.offset - r.limit);
            loadAnomalies();
        }}, 'Previous'),
        h('span', {id: 'anomaly-range', 'aria-live': 'polite'}, `${num(from)}–${num(to)} of ${num(r.total)}`),
        h('button', {type: 'button', disabled: to >= r.total, onclick: () => {
            anomalyState.offset = r.offset + r.limit;
            loadAnomalies();
        }}, 'Next'));
    results.replaceChildren(t, pager);
}

function baselineView(b) {
    if (!b) return h('p', {class: 'muted'}, 'The engine holds no baseline for this user.');
    const list = (items, key) => items.length
        ? h('ul', {}, items.map((i) => h('li', {}, `${i[key]} (${num(i.events)} events)`)))
        : h('p', {class: 'muted'}, 'none');
    const hours = b.usual_hours ? `${b.usual_hours.from}:00 to ${b.usual_hours.to}:59` : 'not known';
    return h('div', {class: 'baseline'},
        h('dl', {class: 'kv'}, h('dt', {}, 'Usual hours'), h('dd', {id: 'usual-hours'}, hours)),
        h('h3', {}, 'Usual places'), list(b.usual_places, 'location'),
        h('h3', {}, 'Usual resources'), list(b.usual_resources, 'resource'),
        h('h3', {}, 'Usual networks'), list(b.usual_networks, 'network'));
}

async function anomalyDetail(a) {
    const d = document.getElementById('anomaly-detail');
    d.hidden = false;
    const base = h('div', {}, h('p', {class: 'muted'}, 'Loading the user\'s baseline…'));
    d.replaceChildren(h('h2', {}, `Anomaly of ${a.user_id}`),
        h('dl', {class: 'kv'},
            h('dt', {}, 'Level'), h('dd', {}, badge(a.risk_level)),
            h('dt', {}, 'Risk score'), h('dd', {}, a.risk_score.toFixed(2)),
            h('dt', {}, 'Recommendation'), h('dd', {}, a.recommendation),
            h('dt', {}, 'User'), h('dd', {}, userLink(a.user_id)),
            h('dt', {}, 'Resource'), h('dd', {}, `${a.resource || '—'} (${a.action || '—'})`),
            h('dt', {}, 'Source address'), h('dd', {}, a.source_ip || '—'),
            h('dt', {}, 'Time'), h('dd', {}, when(a.timestamp)),
            h('dt', {}, 'Event'), h('dd', {}, a.event_id || '—')),
        h('h3', {}, 'Reasons'),
        h('ul', {class: 'reasons', id: 'anomaly-reasons'}, a.reasons.map((r) => h('li', {}, r))),
        // The baseline as it stands now: it has learned from this event and the ones after it.
        h('h3', {}, 'The user\'s baseline (as it stands now)'), base);
    d.focus();
    try {
        const u = await api('GET', `/api/v1/user/${encodeURIComponent(a.user_id)}/events?alerts=0`);
        base.replaceChildren(baselineView(u.baseline));
    } catch (err) {
        base.replaceChildren(failure(err));
    }
}

// ---- User ----------------------------------------------------------------------------------

async function userPage(id) {
    const input = h('input', {id: 'u-id', name: 'user', value: id || '', autocomplete: 'off', required: true});
    const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Look up a user',
        onsubmit: (e) => {
            e.preventDefault();
            const v = input.value.trim();
            if (v) location.hash = `#/user/${encodeURIComponent(v)}`;
        }}, h('label', {for: 'u-id'}, 'User id', input), h('button', {type: 'submit', class: 'primary'}, 'Look up'));
    if (!id) return show('User', form, h('p', {class: 'muted'}, 'Enter a user id to see their risk and activity.'));
    let risk, ev;
    try {
        [risk, ev] = await Promise.all([
            api('GET', `/api/v1/user/${encodeURIComponent(id)}/risk-score`),
            api('GET', `/api/v1/user/${encodeURIComponent(id)}/events`)]);
    } catch (err) {
        return show(`User ${id}`, form, err.status === 404
            ? h('p', {class: 'notice', role: 'status'}, `No events of ${id} were analysed since the server started.`)
            : failure(err));
    }
    const factors = Object.keys(risk.factor_scores);
    const factorChart = h('ul', {class: 'bars', id: 'factor-chart', 'aria-label': 'Risk factors, 0 to 100'},
        factors.map((f) => h('li', {}, h('span', {}, f.replace(/_/g, ' ')),
            h('span', {class: 'bar', 'aria-hidden': 'true'},
                h('span', {style: `width:${risk.factor_scores[f]}%`})),
            h('span', {class: 'n'}, risk.factor_scores[f].toFixed(1)))));
    const tlChart = h('div', {class: 'chart', role: 'img', 'aria-label': 'Risk of the user\'s recent events over time'});
    show(`User ${id}`, form,
        h('div', {class: 'cards'},
            h('div', {class: 'card'}, h('div', {class: 'label'}, 'Risk score'),
                h('div', {class: 'value', id: 'user-risk'}, risk.risk_score.toFixed(1)), badge(risk.risk_level)),
            h('div', {class: 'card'}, h('div', {class: 'label'}, 'Events'), h('div', {class: 'value'}, num(ev.events))),
            h('div', {class: 'card'}, h('div', {class: 'label'}, 'Alerts'), h('div', {class: 'value'}, num(ev.anomalies)),
                h('a', {href: `#/anomalies?user=${encodeURIComponent(id)}`, id: 'user-alerts'}, 'See them in the table')),
            h('div', {class: 'card'}, h('div', {class: 'label'}, 'Department'),
                h('div', {class: 'value', style: 'font-size:18px'}, ev.department || '—'))),
        h('div', {class: 'grid'},
            panel('Risk factors', factorChart,
                risk.recommendations.length ? h('ul', {}, risk.recommendations.map((r) => h('li', {}, r))) : null),
            panel('Usual behaviour (baseline)', baselineView(ev.baseline)),
            h('section', {class: 'panel wide', 'aria-label': 'Timeline'}, h('h2', {}, 'Timeline of events and alerts'),
                tlChart, table('Recent events', [{label: 'Time'}, {label: 'Resource'}, {label: 'Action'},
                    {label: 'Place'}, {label: 'Outcome'}, {label: 'Level'}],
                ev.timeline.slice(0, 20).map((e) => h('tr', {}, h('td', {}, when(e.timestamp)),
                    h('td', {}, e.resource || '—'), h('td', {}, e.action || '—'), h('td', {}, e.location || '—'),
                    h('td', {}, e.success === null ? '—' : e.success ? 'success' : 'failure'),
                    h('td', {}, badge(e.risk_level)))))),
            panel('Locations', table('Locations', [{label: 'Place'}, {label: 'Events', num: true}],
                ev.locations.map((l) => h('tr', {}, h('td', {}, l.location), h('td', {class: 'num'}, num(l.events)))))),
            panel('Resources vs peers', table('Resources vs peers',
                [{label: 'Resource'}, {label: 'Events', num: true}, {label: 'Peers using it', num: true}],
                ev.resources.map((r) => h('tr', {}, h('td', {}, r.resource), h('td', {class: 'num'}, num(r.events)),
                    h('td', {class: 'num'}, r.peer_share === null ? '—' : `${(100 * r.peer_share).toFixed(0)}%`)))),
            h('p', {class: 'muted'}, `Peers: the ${num(ev.peers)} users of ${ev.department || 'no department'}.`))));
    const pts = ev.timeline.slice().reverse();
    const xs = pts.map((e) => Date.parse(e.timestamp) / 1000);
    charts.push(new uPlot({
        width: chartWidth(tlChart), height: 200, scales: {x: {time: true}, y: {range: [0, 100]}},
        series: [{}, {label: 'Risk of each event', stroke: '#1d4ed8', width: 0,
            points: {show: true, size: 7, fill: '#1d4ed8'}},
        {label: 'Alerts', stroke: '#b42318', width: 0, points: {show: true, size: 9, fill: '#b42318'}}],
    }, [xs, pts.map((e) => e.risk_score), pts.map((e) => (e.is_anomaly ? e.risk_score : null))], tlChart));
}

// ---- Roles, access requests, models -------------------------------------------------------

function unavailable(what, err) {
    if (err.status === 501 || err.status === 503)
        return h('p', {class: 'notice', role: 'status', id: 'not-available'},
            `${what} is not available on this server (${err.status}): ${err.message}`);
    return failure(err);
}

async function roles() {
    const k = h('input', {id: 'r-k', name: 'n_clusters', type: 'number', min: '2', max: '100', placeholder: 'automatic'});
    const out = h('div', {id: 'roles-result'});
    const form = h('form', {class: 'filters', onsubmit: async (e) => {
        e.preventDefault();
        out.replaceChildren(h('p', {class: 'muted'}, 'Discovering roles…'));
        try {
            const q = k.value ? `?n_clusters=${encodeURIComponent(k.value)}` : '';
            const r = await api('POST', `/api/v1/roles/discover${q}`);
            out.replaceChildren(h('p', {}, `${num(r.total_roles)} roles over ${num(r.total_users)} users.`),
                table('Roles', [{label: 'Role'}, {label: 'Members', num: true}, {label: 'Common resources'}],
                    (r.roles || []).map((x) => h('tr', {}, h('td', {}, x.name || x.role_id || ''),
                        h('td', {class: 'num'}, num(x.member_count ?? (x.members || []).length)),
                        h('td', {}, (x.common_resources || []).map((c) => c.resource || c).join(', '))))),
                r.role_health ? h('pre', {}, JSON.stringify(r.role_health, null, 2)) : null);
        } catch (err) {
            out.replaceChildren(unavailable('Role discovery', err));
        }
    }}, h('label', {for: 'r-k'}, 'Number of roles', k), h('button', {type: 'submit', class: 'primary'}, 'Discover roles'));
    show('Roles', form, out);
    form.requestSubmit();
}

async function access() {
    const field = (id, label, attrs = {}) => h('label', {for: id}, label,
        h('input', {id, name: id, required: true, autocomplete: 'off', ...attrs}));
    const action = h('select', {id: 'action', name: 'action'},
        ['read', 'write', 'execute', 'download', 'delete', 'admin'].map((a) => h('option', {value: a}, a)));
    const out = h('div', {id: 'access-result', 'aria-live': 'polite'});
    const form = h('form', {class: 'form', 'aria-label': 'Access request', onsubmit: async (e) => {
        e.preventDefault();
        const body = {};
        for (const n of ['user_id', 'department', 'job_title', 'resource']) body[n] = form.elements[n].value.trim();
        body.action = action.value;
        out.replaceChildren(h('p', {class: 'muted'}, 'Asking…'));
        try {
            const r = await api('POST', '/api/v1/predict/access', body);
            out.replaceChildren(h('dl', {class: 'kv', id: 'prediction'},
                h('dt', {}, 'Decision'), h('dd', {}, r.should_approve ? 'approve' : 'deny'),
                h('dt', {}, 'Recommendation'), h('dd', {}, String(r.recommendation ?? '')),
                h('dt', {}, 'Confidence'), h('dd', {}, String(r.confidence ?? '')),
                h('dt', {}, 'Probability to approve'), h('dd', {}, String(r.probability_approve ?? '')),
                h('dt', {}, 'Peer analysis'), h('dd', {}, JSON.stringify(r.peer_analysis ?? null))));
        } catch (err) {
            out.replaceChildren(unavailable('Access prediction', err));
        }
    }},
    field('user_id', 'User id'), field('department', 'Department'), field('job_title', 'Job title'),
    field('resource', 'Resource'), h('label', {for: 'action'}, 'Action', action),
    h('button', {type: 'submit', class: 'primary'}, 'Submit request'));
    show('Access request', h('p', {class: 'muted'},
        'Should this user get this access? The model answers from what the user\'s peers hold.'), form, out);
}

async function models() {
    let m;
    try {
        m = await api('GET', '/api/v1/model/metrics');
    } catch (err) {
        return show('Models', unavailable('Model metrics', err));
    }
    const kv = (pairs) => h('dl', {class: 'kv'}, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
    show('Models', h('div', {class: 'grid'},
        panel('Model', kv([['File', m.model_file], ['Trained at', when(m.trained_at)],
            ['Events learned', num(m.events_learned)], ['Training data SHA-256', m.training_data_sha256]])),
        panel('Threshold', kv([['Alert at risk', m.threshold.risk_score], ['Model\'s own', m.threshold.model_risk_score],
            ['Evidence (bits)', m.threshold.model_evidence_bits], ['Set by', m.threshold.source]])),
        panel('Since start', kv([['Events analysed', num(m.server.events_analysed)],
            ['Anomalies', num(m.server.anomalies_detected)], ['Users', num(m.server.users_seen)]])),
        panel('Parameters', kv(Object.entries(m.parameters))),
        h('section', {class: 'panel wide', 'aria-label': 'Features'}, h('h2', {}, 'Features'),
            h('p', {}, m.features.join(', ')))));
}

// ---- Routing -------------------------------------------------------------------------------

const pages = {overview, anomalies, user: userPage, roles, access, models};

async function route() {
    const [path, query] = (location.hash.slice(1) || '/overview').split('?');
    const parts = path.split('/').filter(Boolean);
    const name = pages[parts[0]] ? parts[0] : 'overview';
    for (const a of document.querySelectorAll('.top nav a')) {
        if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
    }
    const arg = parts[1] ? decodeURIComponent(parts.slice(1).join('/')) : '';
    const fn = pages[name];
    await (name === 'user' ? fn(arg) : fn(new URLSearchParams(query || '')));
}

async function start() {
    try {
        const s = await api('GET', '/api/v1/session');
        csrf = s.csrf_token;
        document.getElementById('who').textContent = `${s.subject} (${s.role})`;
    } catch (err) {
        location.reload();
        return;
    }
    document.getElementById('signout').addEventListener('click', async () => {
        try {
            await api('DELETE', '/api/v1/session');
        } finally {
            location.replace('/');
        }
    });
    window.addEventListener('hashchange', () => { route(); main.focus(); });
    await route();
}

start();
