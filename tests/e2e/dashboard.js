// The web dashboard end to end: `sentinel serve` on a free port with a model trained on the
// reference CSV (or a generated log when the data is missing), the events replayed through the
// API, then headless Chromium signs in, reads the overview's numbers against the API, opens an
// anomaly's reasons, looks up a user, visits roles, an access request and the models, signs out,
// and checks that a signed-out browser gets nothing. Then a large synthetic set (every event an
// anomaly) for the overview's first paint. Screenshots go to BUILD_DIR/e2e-screenshots.
//
// Usage: node dashboard.js SENTINEL_BIN BUILD_DIR CHROMIUM
'use strict';

const {spawn, execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const [bin, build, chromiumPath] = process.argv.slice(2);
const src = process.env.SENTINEL_SOURCE_DIR || path.resolve(__dirname, '../..');
const {chromium} = require(path.join(src, 'web', 'node_modules', 'playwright-core'));
const dataDir = process.env.SENTINEL_DATA_DIR || path.join(src, '..', 'shared', 'data');
const largeEvents = Number(process.env.SENTINEL_E2E_EVENTS || 120000);
const shots = path.join(build, 'e2e-screenshots');
fs.mkdirSync(shots, {recursive: true});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-e2e-'));
const fmt = new Intl.NumberFormat('en-US');

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
    if (ok) {
        passed++;
        console.log(`ok   - ${name}`);
    } else {
        failed++;
        console.log(`FAIL - ${name}: ${JSON.stringify(detail)}`);
    }
}

// ---- Data --------------------------------------------------------------------------------

function parseCsv(text) {
    const rows = [];
    let row = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
                field += '"';
                i++;
            } else if (c === '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c === '"') {
            quoted = true;
        } else if (c === ',') {
            row.push(field);
            field = '';
        } else if (c === '\n' || c === '\r') {
            if (c === '\r' && text[i + 1] === '\n') i++;
            row.push(field);
            field = '';
            if (row.length > 1 || row[0] !== '') rows.push(row);
            row = [];
        } else {
            field += c;
        }
    }
    if (field !== '' || row.length) {
        row.push(field);
        rows.push(row);
    }
    const head = rows.shift();
    return rows.map((r) => {
        const o = {};
        head.forEach((k, i) => {
            // Labels are for evaluation only: the server is not told.
            if (k !== 'is_anomaly' && k !== 'anomaly_type' && r[i] !== '') o[k] = r[i];
        });
        return o;
    });
}

function trainingLog() {
    const ref = path.join(dataDir, 'reference', 'sample_iam_logs_200x50.csv');
    if (fs.existsSync(ref)) {
        console.log(`# data: ${ref}`);
        return ref;
    }
    const out = path.join(tmp, 'generated.csv');
    console.log('# data: the reference CSV is missing; a generated log (seed 7) instead');
    execFileSync(bin, ['generate', '--users', '200', '--events-per-user', '50', '--seed', '7'],
                 {stdio: ['ignore', fs.openSync(out, 'w'), 'inherit']});
    return out;
}

// ---- Server ------------------------------------------------------------------------------

const servers = [];

// Without authentication unless withKeys: the pages and figures are what most checks are
// about; realAuth() signs in with real API keys.
function startServer(args, withKeys = false) {
    const err = fs.openSync(path.join(tmp, `serve-${servers.length}.err`), 'w');
    const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--log-level', 'warn',
                             ...(withKeys ? [] : ['--insecure-no-auth']), '--rate-limit-general', '0',
                             '--rate-limit-analysis', '0', '--rate-limit-training', '0', ...args],
                       {stdio: ['ignore', 'pipe', err]});
    servers.push(proc);
    return new Promise((resolve, reject) => {
        const rl = readline.createInterface({input: proc.stdout});
        rl.once('line', (line) => {
            const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
            if (m) resolve({proc, url: m[1]});
            else reject(new Error(`no start-up line: ${line}`));
        });
        proc.once('exit', (code) => reject(new Error(`sentinel serve exited with ${code}`)));
    });
}

function stopServer(s) {
    return new Promise((resolve) => {
        if (s.proc.exitCode !== null) return resolve();
        s.proc.once('exit', resolve);
        s.proc.kill('SIGTERM');
    });
}

// A client that is not a browser: no Sec-Fetch-Site, no cookie (the API is open without
// authentication configured).
async function api(url, method, p, body) {
    const r = await fetch(url + p, {
        method,
        headers: body === undefined ? {} : {'Content-Type': 'application/json'},
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {status: r.status, body: await r.json().catch(() => null)};
}

async function replay(url, events, size) {
    let anomalies = 0;
    for (let i = 0; i < events.length; i += size) {
        const r = await api(url, 'POST', '/api/v1/analyze/batch', {events: events.slice(i, i + size)});
        if (r.status !== 200) throw new Error(`batch at ${i}: ${r.status} ${JSON.stringify(r.body)}`);
        anomalies += r.body.anomalies_detected;
    }
    return anomalies;
}

// The assets over a real socket: content types, ETag revalidation, gzip, the page's CSP.
async function assetHeaders(url) {
    const page = await fetch(`${url}/`);
    check('GET / without a session: the sign-in page as HTML with a Content-Security-Policy',
          page.status === 200 && page.headers.get('content-type') === 'text/html; charset=utf-8' &&
          /script-src 'self'/.test(page.headers.get('content-security-policy') || '') &&
          (await page.text()).includes('id="signin"'));
    const css = await fetch(`${url}/assets/app.css`, {headers: {'Accept-Encoding': 'gzip'}});
    const etag = css.headers.get('etag');
    check('an asset: its type, an ETag, no-cache and gzip',
          css.status === 200 && css.headers.get('content-type') === 'text/css; charset=utf-8' &&
          /^"[0-9a-f]{32}"$/.test(etag || '') && css.headers.get('cache-control') === 'no-cache' &&
          css.headers.get('content-encoding') === 'gzip' && (await css.text()).includes('.uplot'),
          [...css.headers]);
    const again = await fetch(`${url}/assets/app.css`, {headers: {'If-None-Match': etag}});
    check('an asset asked again with its ETag: 304', again.status === 304, again.status);
    const js = await fetch(`${url}/assets/app.js`);
    check('the dashboard\'s script without a session: 401', js.status === 401, js.status);
}

// ---- Browser -----------------------------------------------------------------------------

async function signIn(page, url) {
    await page.goto(`${url}/`);
    await page.fill('#credential', 'e2e-api-key');
    await Promise.all([page.waitForSelector('#total-events', {timeout: 60000}),
                       page.click('form#signin button[type=submit]')]);
}

async function text(page, sel) {
    return (await page.textContent(sel)).trim();
}

async function functional(browser, url) {
    const ctx = await browser.newContext({viewport: {width: 1366, height: 900}});
    const page = await ctx.newPage();
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    // Console errors too: a style or script the Content-Security-Policy refused shows there.
    let signedIn = false;
    page.on('console', (m) => {
        // Statuses the pages expect (501 from roles and predictions) are not errors here.
        if (signedIn && m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
            consoleErrors.push(m.text());
    });

    // Signed out: the sign-in page and nothing else.
    const first = await page.goto(`${url}/`);
    check('a new browser gets the sign-in page at /', first.status() === 200 &&
          (await page.$('form#signin')) !== null && (await page.$('nav')) === null);
    await page.screenshot({path: path.join(shots, 'signin.png')});
    check('the credential field has a label',
          (await page.$eval('label[for=credential]', (l) => l.textContent)).includes('API key'));

    // Sign in: the overview with the API's numbers.
    await signIn(page, url);
    signedIn = true;
    const o = (await api(url, 'GET', '/api/v1/stats/overview')).body;
    check('overview: events analysed match the API', await text(page, '#total-events') === fmt.format(o.totals.events),
          [await text(page, '#total-events'), o.totals.events]);
    check('overview: anomalies match the API', await text(page, '#total-anomalies') === fmt.format(o.totals.anomalies),
          [await text(page, '#total-anomalies'), o.totals.anomalies]);
    check('overview: failed attempts match the API', await text(page, '#total-failures') === fmt.format(o.totals.failures));
    check('overview: users match the API', await text(page, '#total-users') === fmt.format(o.totals.users));
    for (const l of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NORMAL']) {
        check(`overview: ${l} events match the API`,
              await text(page, `[data-level=${l}]`) === fmt.format(o.levels[l]));
    }
    if (o.top_users.length) {
        const firstUser = await page.$eval('section[aria-label="Top risky users"] tbody tr td a', (a) => a.textContent);
        check('overview: the riskiest user is the API\'s', firstUser === o.top_users[0].user_id,
              [firstUser, o.top_users[0].user_id]);
    }
    check('overview: the chart is drawn', (await page.$('.uplot canvas')) !== null);
    const heatStyled = await page.$$eval('table.heat td', (t) => t.filter((x) => x.style.background !== '').length);
    check('overview: every heat map cell is coloured', heatStyled === 168, heatStyled);
    check('overview: the heat map has 7 rows of 24 hours',
          (await page.$$eval('table.heat tbody tr', (r) => r.map((x) => x.querySelectorAll('td').length)))
              .join() === '24,24,24,24,24,24,24');
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === 'sn_session');
    check('the session cookie is HttpOnly, Secure, SameSite=Strict, Path=/',
          c && c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/', c);
    check('page scripts cannot read the session cookie',
          !(await page.evaluate(() => document.cookie)).includes('sn_session'));
    await page.screenshot({path: path.join(shots, 'overview.png'), fullPage: true});

    // Anomalies: the paged table, a filter, and one anomaly's reasons.
    const all = (await api(url, 'GET', '/api/v1/anomalies?limit=1')).body;
    await page.click('nav a[href="#/anomalies"]');
    await page.waitForSelector('#anomaly-range');
    const range = await text(page, '#anomaly-range');
    const shown = Math.min(50, all.total);
    check('anomalies: the range counts the API\'s total', range === `${all.total ? 1 : 0}–${fmt.format(shown)} of ${fmt.format(all.total)}`,
          [range, all.total]);
    if (all.total) {
        // By keyboard: the first row takes focus and Enter opens it.
        await page.focus('#anomaly-table tbody tr');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#anomaly-reasons li');
        const reasons = await page.$$eval('#anomaly-reasons li', (l) => l.map((x) => x.textContent));
        check('anomalies: the detail lists every reason of the newest anomaly',
              JSON.stringify(reasons) === JSON.stringify(all.anomalies[0].reasons), [reasons, all.anomalies[0].reasons]);
        await page.waitForSelector('#usual-hours', {timeout: 30000});
        check('anomalies: the detail shows the user\'s baseline', (await text(page, '#usual-hours')).length > 0);
        await page.screenshot({path: path.join(shots, 'anomaly-detail.png'), fullPage: true});
        const user = all.anomalies[0].user_id;
        const mine = (await api(url, 'GET', `/api/v1/anomalies?limit=1&user=${encodeURIComponent(user)}`)).body;
        await page.fill('#f-user', user);
        await page.click('form[role=search] button[type=submit]');
        await page.waitForFunction((want) => document.querySelector('#anomaly-range')?.textContent.endsWith(want),
                                   ` of ${fmt.format(mine.total)}`);
        check('anomalies: filtering by user gives the API\'s total', true);
        await page.click('#anomaly-table th[aria-sort] >> text=Risk');
        await page.waitForSelector('#anomaly-table th[aria-sort=descending]');
        const risks = await page.$$eval('#anomaly-table tbody tr td:nth-child(5)', (t) => t.map((x) => Number(x.textContent)));
        check('anomalies: sorting by risk puts the highest first', risks.every((v, i) => !i || risks[i - 1] >= v), risks);
        await page.screenshot({path: path.join(shots, 'anomalies.png'), fullPage: true});

        // User: the risk score and its factors.
        const risk = (await api(url, 'GET', `/api/v1/user/${encodeURIComponent(user)}/risk-score`)).body;
        await page.goto(`${url}/#/user/${encodeURIComponent(user)}`);
        await page.waitForSelector('#user-risk');
        check('user: the risk score is the API\'s', await text(page, '#user-risk') === risk.risk_score.toFixed(1),
              [await text(page, '#user-risk'), risk.risk_score]);
        check('user: five factors are charted', (await page.$$('#factor-chart li')).length === 5);
        await page.screenshot({path: path.join(shots, 'user.png'), fullPage: true});
        await page.click('#user-alerts');
        await page.waitForFunction((want) => document.querySelector('#anomaly-range')?.textContent.endsWith(want),
                                   ` of ${fmt.format(mine.total)}`);
        check('user: the link to the user\'s alerts opens the table filtered to them',
              (await page.inputValue('#f-user')) === user);
    }

    // Roles and access requests: built elsewhere; a clear message while they answer 501/503.
    const rolesApi = await api(url, 'POST', '/api/v1/roles/discover');
    await page.click('nav a[href="#/roles"]');
    await page.waitForSelector('#not-available, #roles-result table');
    if (rolesApi.status === 200) check('roles: the discovered roles are listed', (await page.$('#roles-result table')) !== null);
    else check(`roles: "not available" for ${rolesApi.status}`, (await text(page, '#not-available')).includes(`(${rolesApi.status})`));
    await page.screenshot({path: path.join(shots, 'roles.png'), fullPage: true});

    const request = {user_id: 'U0001', department: 'Engineering', job_title: 'Software Engineer',
                     resource: 'payroll_system', action: 'read'};
    const predictApi = await api(url, 'POST', '/api/v1/predict/access', request);
    await page.click('nav a[href="#/access"]');
    for (const k of ['user_id', 'department', 'job_title', 'resource']) await page.fill(`#${k}`, request[k]);
    await page.selectOption('#action', request.action);
    await page.click('form[aria-label="Access request"] button[type=submit]');
    await page.waitForSelector('#not-available, #prediction');
    if (predictApi.status === 200) check('access request: the prediction is shown', (await page.$('#prediction')) !== null);
    else check(`access request: "not available" for ${predictApi.status}`,
               (await text(page, '#not-available')).includes(`(${predictApi.status})`));
    await page.screenshot({path: path.join(shots, 'access-request.png'), fullPage: true});

    await page.click('nav a[href="#/models"]');
    await page.waitForSelector('section[aria-label="Model"]');
    const m = (await api(url, 'GET', '/api/v1/model/metrics')).body;
    const modelText = await page.textContent('section[aria-label="Model"]');
    check('models: the events learned are the API\'s', modelText.includes(fmt.format(m.events_learned)),
          [modelText, m.events_learned]);
    await page.screenshot({path: path.join(shots, 'models.png'), fullPage: true});

    check('no script errors and nothing refused in the pages', consoleErrors.length === 0, consoleErrors);
    signedIn = false;

    // Sign out: the cookie goes, and nothing but the sign-in page is served.
    const stolen = (await ctx.cookies()).find((x) => x.name === 'sn_session');
    await Promise.all([page.waitForSelector('form#signin'), page.click('#signout')]);
    check('signing out returns to the sign-in page', (await page.$('nav')) === null);
    const after = await page.evaluate(async () => {
        const a = await fetch('/api/v1/stats/overview');
        const b = await fetch('/api/v1/anomalies');
        const c = await fetch('/assets/app.js');
        return [a.status, b.status, c.status];
    });
    check('a signed-out browser gets 401 from the API and the dashboard\'s script', after.join() === '401,401,401', after);
    const fresh = await browser.newContext();
    await fresh.addCookies([{...stolen}]);
    const p2 = await fresh.newPage();
    await p2.goto(`${url}/`);
    const replayed = await p2.evaluate(async () => (await fetch('/api/v1/anomalies')).status);
    check('the signed-out session\'s cookie no longer works', replayed === 401 && (await p2.$('form#signin')) !== null, replayed);
    await p2.screenshot({path: path.join(shots, 'signed-out.png')});
    await fresh.close();
    await ctx.close();
}

// ---- First paint with a large set --------------------------------------------------------

function syntheticEvents(n) {
    const resources = ['crm_system', 'payroll_system', 'hr_portal', 'source_repo', 'prod_db', 'public_wiki',
                       'finance_reports', 'admin_console', 'email', 'learning_portal'];
    const actions = ['read', 'write', 'execute', 'download', 'delete', 'admin'];
    const places = ['Mumbai, IN', 'London, UK', 'New York, US', 'São Paulo, BR', 'Berlin, DE', 'Tokyo, JP'];
    const depts = ['Sales', 'Engineering', 'Finance', 'Legal', 'Operations'];
    const start = Date.parse('2025-10-01T00:00:00Z'); // 1 M events of 20 s end before today
    // mulberry32, seeded: the same set on every run.
    let seed = 20261203;
    const rand = () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
        const u = Math.floor(rand() * 5000);
        out[i] = {
            event_id: `L${i}`,
            user_id: `LU${String(u).padStart(5, '0')}`,
            department: depts[u % depts.length],
            resource: rand() < 0.8 ? resources[u % resources.length] : pick(resources),
            action: pick(actions),
            timestamp: new Date(start + i * 20000).toISOString(),
            source_ip: rand() < 0.9 ? `10.${u % 200}.${u % 250}.${(u * 7) % 250 + 1}` : `203.0.113.${Math.floor(rand() * 250) + 1}`,
            location: rand() < 0.95 ? places[u % places.length] : pick(places),
            success: rand() > 0.05,
        };
    }
    return out;
}

async function firstPaint(browser, model) {
    const s = await startServer(['--model', model, '--alert-threshold', '0', '--batch-limit', '10000']);
    const events = syntheticEvents(largeEvents);
    const t0 = Date.now();
    await replay(s.url, events, 10000);
    const secs = (Date.now() - t0) / 1000;
    console.log(`# large set: ${fmt.format(largeEvents)} events sent through /api/v1/analyze/batch in ${secs.toFixed(1)} s ` +
                `(${fmt.format(Math.round(largeEvents / secs))} events/s, every event an anomaly)`);
    const o = (await api(s.url, 'GET', '/api/v1/stats/overview')).body;
    const ctx = await browser.newContext({viewport: {width: 1366, height: 900}});
    const page = await ctx.newPage();
    await signIn(page, s.url);
    // A fresh load of the overview with the session: first contentful paint, then the numbers.
    const runs = [];
    for (let i = 0; i < 3; i++) {
        await page.goto(`${s.url}/#/overview`, {waitUntil: 'commit'});
        await page.reload();
        await page.waitForFunction(() => window.__overviewRenderedAt !== undefined, null, {timeout: 60000});
        runs.push(await page.evaluate(() => ({
            fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
            numbers: window.__overviewRenderedAt,
            fetch: window.__overviewRenderedMs,
        })));
    }
    check('large set: the overview shows the API\'s event count', await text(page, '#total-events') === fmt.format(o.totals.events));
    check('large set: 100,000 anomalies are kept for the table', o.totals.anomalies_kept === Math.min(100000, largeEvents),
          o.totals.anomalies_kept);
    await page.screenshot({path: path.join(shots, 'overview-large.png'), fullPage: true});
    const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
    console.log(`# overview first contentful paint: ${med('fcp').toFixed(0)} ms; numbers rendered: ${med('numbers').toFixed(0)} ms ` +
                `after navigation start (of which the overview request and render: ${med('fetch').toFixed(0)} ms); ` +
                `median of 3 loads, runs ${JSON.stringify(runs.map((r) => [Math.round(r.fcp), Math.round(r.numbers)]))}`);
    // The anomaly table over the kept anomalies: sorted by risk on the server.
    let t = performance.now();
    await page.click('nav a[href="#/anomalies"]');
    await page.waitForSelector('#anomaly-range');
    const tableMs = performance.now() - t;
    t = performance.now();
    const sorted = await api(s.url, 'GET', '/api/v1/anomalies?sort=-risk&limit=50&q=payroll');
    const apiMs = performance.now() - t;
    console.log(`# anomaly table with ${fmt.format(o.totals.anomalies_kept)} kept: shown in ${tableMs.toFixed(0)} ms; ` +
                `a filtered (q=payroll: ${fmt.format(sorted.body.total)}) and risk-sorted page from the API in ${apiMs.toFixed(0)} ms`);
    await page.screenshot({path: path.join(shots, 'anomalies-large.png'), fullPage: true});
    await ctx.close();
    await stopServer(s);
}

// Sign-in with real API keys: a wrong key is refused with its reason on the page, an analyst
// key of scope "*" opens the overview, a viewer of one department may not read it, and the API
// itself answers nothing without a credential.
async function realAuth(browser, model) {
    const keys = path.join(tmp, 'keys.jsonl');
    const create = (role, scope) => execFileSync(bin, ['keys', 'create', '--role', role, '--scope', scope,
                                                        '--keys', keys],
                                                  {stdio: ['ignore', 'pipe', 'ignore']}).toString().trim();
    const analyst = create('analyst', '*');
    const viewer = create('viewer', 'department:Finance');
    const s = await startServer(['--model', model, '--keys-file', keys], true);
    const open = await api(s.url, 'GET', '/api/v1/stats/overview');
    check('with API keys configured, the API without a credential: 401', open.status === 401, open.status);
    const ctx = await browser.newContext({viewport: {width: 1366, height: 900}});
    const page = await ctx.newPage();
    await page.goto(`${s.url}/`);
    await page.fill('#credential', `sn_0123456789abcdef_${'0'.repeat(64)}`);
    await page.click('form#signin button[type=submit]');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent !== '');
    check('signing in with an unknown key: refused, with the reason on the page',
          (await text(page, '#signin-error')).length > 0 && (await page.$('nav')) === null,
          await text(page, '#signin-error'));
    await page.fill('#credential', analyst);
    await Promise.all([page.waitForSelector('#total-events', {timeout: 60000}),
                       page.click('form#signin button[type=submit]')]);
    check('signing in with an analyst key of scope "*": the overview', (await text(page, '#total-events')) !== '');
    await ctx.close();
    const vctx = await browser.newContext();
    const vpage = await vctx.newPage();
    await vpage.goto(`${s.url}/`);
    const signed = await vpage.evaluate(async (credential) => {
        const r = await fetch('/api/v1/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                  body: JSON.stringify({credential})});
        const o = await fetch('/api/v1/stats/overview');
        return [r.status, (await r.json()).role, o.status];
    }, viewer);
    check('a viewer of one department signs in, but the all-department overview is refused (403)',
          signed[0] === 200 && signed[1] === 'viewer' && signed[2] === 403, signed);
    await vctx.close();
    await stopServer(s);
}

async function main() {
    const log = trainingLog();
    const model = path.join(tmp, 'model.bin');
    execFileSync(bin, ['train', '--input', log, '--model', model], {stdio: ['ignore', 'ignore', 'inherit']});
    const s = await startServer(['--model', model]);
    const events = parseCsv(fs.readFileSync(log, 'utf8'));
    const anomalies = await replay(s.url, events, 2000);
    console.log(`# replayed ${fmt.format(events.length)} events through the API: ${fmt.format(anomalies)} anomalies`);
    await assetHeaders(s.url);
    const browser = await chromium.launch({executablePath: chromiumPath, args: ['--no-sandbox']});
    try {
        await functional(browser, s.url);
        await stopServer(s);
        await realAuth(browser, model);
        await firstPaint(browser, model);
    } finally {
        await browser.close();
    }
}

main().catch((e) => {
    failed++;
    console.log(`FAIL - ${e.stack || e}`);
}).finally(async () => {
    for (const p of servers) if (p.exitCode === null) p.kill('SIGTERM');
    fs.rmSync(tmp, {recursive: true, force: true});
    console.log(`# screenshots in ${shots}`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
});
