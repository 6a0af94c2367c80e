#!/usr/bin/env node
'use strict';
/*
 * Integration tests of the web dashboard: the real nginx (security
 * headers, body limit), the real wadesk.fcgi and the real PostgreSQL
 * cluster that tests/integration/web.sh starts with scripts/stack.sh.
 * Each check prints "ok NAME" or "FAIL NAME"; the owner connection
 * stands in for the session daemon where a test needs a daemon-side
 * change (qr_code, status, heartbeat).  Run through web.sh, which sets
 * WADESK_URL, WADESK_VAR, BUILD, WADESK_ADMIN_PASSWORD and
 * WADESK_API_KEY.  An optional argument runs only the checks whose
 * name contains it.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Browser, VAR, esc, dbConnect, zbar, ctl, until, runChecks,
    sleep, cookieParse } = require('./lib');
const { fcgiRequest } = require('./fcgi');
const { startTlsNginx, httpsRequest } = require('./tls');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = process.env.BUILD || 'build/san';
const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
const API_KEY = process.env.WADESK_API_KEY;
const STATUSES = ['unpaired', 'pending', 'connecting', 'connected',
    'disconnected', 'logged_out', 'banned'];
const ALL_ACTIONS = ['pair', 'pair-code', 'cancel-pair', 'reconnect',
    'disconnect', 'unpair', 'delete', 'rename', 'auto-connect'];
/* Form fields that make each action's input valid (so 404/403 is not 422). */
const ACTION_FORM = { 'pair-code': { phone: '+1 555 0100' },
    rename: { label: 'renamed' }, 'auto-connect': { value: 'off' } };

let db;			/* owner connection */
let adm;		/* the admin's browser */
let admId;		/* operators.id of "admin" */
const seen = [];	/* [method, path, status] of every request */

/* Record every answer for the coverage checks at the end. */
const origReq = Browser.prototype.req;
Browser.prototype.req = async function (method, p, opts) {
	const r = await origReq.call(this, method, p, opts);
	seen.push([method, p.split('?')[0], r.status]);
	return r;
};

async function q(sql, params) {
	return (await db.query(sql, params)).rows;
}

async function one(sql, params) {
	const rows = await q(sql, params);
	assert.equal(rows.length, 1, `expected one row from: ${sql}`);
	return rows[0];
}

function sha256hex(s) {
	return crypto.createHash('sha256').update(s).digest('hex');
}

/* POST /accounts as "b"; returns the new id. */
async function createAccount(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303, `create "${label}": ${r.status}`);
	const m = /^\/accounts\/(\d+)\?notice=created$/.exec(r.location);
	assert.ok(m, `create: Location ${r.location}`);
	return Number(m[1]);
}

/* Add an operator through the admin page; returns its id. */
async function addOperator(username, password, role = 'operator') {
	const r = await adm.postc('/settings/operators',
	    { username, password, role });
	assert.equal(r.status, 303, `add operator ${username}: ${r.status}`);
	assert.equal(r.location, '/settings/operators?notice=saved');
	return Number((await one('SELECT id FROM operators WHERE username = $1',
	    [username])).id);
}

/* A signed-in browser for a new operator. */
async function newOperator(username, role = 'operator') {
	const pw = `${username}-pw-1234`;
	const id = await addOperator(username, pw, role);
	const b = new Browser(username);
	await b.signIn(username, pw);
	return { b, id, pw };
}

function listIds(html) {
	return [...html.matchAll(/<tr data-id="(\d+)">/g)].map((m) =>
	    Number(m[1]));
}

function listTotal(html) {
	const m = /<p class="muted">(\d+) accounts<\/p>/.exec(html);
	assert.ok(m, 'no total on the list page');
	return Number(m[1]);
}

/* The security headers nginx adds to every answer. */
function assertSecurityHeaders(r, what) {
	const csp = r.headers.get('content-security-policy');
	assert.ok(csp, `${what}: no Content-Security-Policy`);
	assert.ok(!csp.includes('unsafe-inline'), `${what}: CSP ${csp}`);
	assert.ok(!csp.includes('unsafe-eval'), `${what}: CSP ${csp}`);
	assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
	assert.match(csp, /default-src 'none'/, `${what}: CSP ${csp}`);
	assert.equal(r.headers.get('x-content-type-options'), 'nosniff',
	    what);
	assert.match(r.headers.get('referrer-policy') || '',
	    /^(same-origin|no-referrer|strict-origin|strict-origin-when-cross-origin)$/,
	    `${what}: Referrer-Policy`);
}

function assertNoStore(r, what) {
	assert.match(r.headers.get('cache-control') || '', /no-store/,
	    `${what}: Cache-Control ${r.headers.get('cache-control')}`);
}

/* Wait until "notes" has "n" entries (NOTIFY is asynchronous). */
async function notes_wait(notes, n, what) {
	await until(() => notes.length >= n, 3000, `NOTIFY after ${what}`);
	await sleep(30);
	assert.equal(notes.length, n, `NOTIFY count after ${what}`);
}

async function lastCommand(id) {
	const rows = await q('SELECT type, payload, created_by, claimed_at, ' +
	    'done_at FROM commands WHERE account_id = $1 ORDER BY id DESC ' +
	    'LIMIT 1', [id]);
	return rows[0];
}

async function lastEvent(id) {
	const rows = await q('SELECT kind, operator_id, detail FROM ' +
	    'account_events WHERE account_id = $1 ORDER BY id DESC LIMIT 1',
	    [id]);
	return rows[0];
}

async function counts() {
	return one('SELECT (SELECT count(*) FROM accounts)::int AS accounts, ' +
	    '(SELECT count(*) FROM commands)::int AS commands, ' +
	    '(SELECT count(*) FROM account_events)::int AS events, ' +
	    '(SELECT count(*) FROM operators)::int AS operators, ' +
	    '(SELECT count(*) FROM web_sessions)::int AS sessions');
}

/* /health's reading lifetime (WADESK_HEALTH_CACHE_MS, see web.sh). */
const HEALTH_TTL = Number(process.env.WADESK_HEALTH_CACHE_MS || 1000);

/*
 * GET "p" (/health or /metrics) once any reading taken before now has
 * expired, so the answer reflects every change made so far.
 */
async function fresh(b, p = '/health', opts = {}) {
	await sleep(HEALTH_TTL + 50);
	return b.get(p, opts);
}

async function heartbeat(ageSeconds = 0) {
	await q('DELETE FROM daemon_instances');
	await q('INSERT INTO daemon_instances (hostname, pid, heartbeat_at) ' +
	    "VALUES ('integration-test', 4242, now() - make_interval(secs => $1))",
	    [ageSeconds]);
}

/* The route table of cgi/route.c: [[method, pattern, flags]]. */
function routeTable() {
	const src = fs.readFileSync(path.join(ROOT, 'cgi', 'route.c'), 'utf8');
	const out = [];
	for (const m of src.matchAll(
	    /\{\s*METHOD_(GET|POST),\s*"([^"]+)",\s*\w+,\s*(\w+)\s*\}/g))
		out.push([m[1], m[2], m[3]]);
	return out;
}

function patternRe(p) {
	return new RegExp('^' + p.replace(/[.]/g, '\\.')
	    .replace(/\{id\}/g, '[1-9][0-9]*') + '$');
}

/* The file-name rule of cgi/page_account.c filename_from(). */
function qrFilename(label) {
	let s = '';
	for (const byte of Buffer.from(label, 'utf8').subarray(0, 64))
		s += /[A-Za-z0-9._-]/.test(String.fromCharCode(byte)) ?
		    String.fromCharCode(byte) : '_';
	return (s === '' ? 'account' : s) + '-qr.png';
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

/* ------------------------------------------------------------------ */

check('integ-setup-admin-sign-in', async () => {
	assert.ok(ADMIN_PW, 'WADESK_ADMIN_PASSWORD unset');
	adm = new Browser('admin');
	await adm.signIn('admin', ADMIN_PW);
	admId = Number((await one("SELECT id FROM operators WHERE " +
	    "username = 'admin' AND role = 'admin'")).id);
});

check('integ-health-uptime', async () => {
	/*
	 * uptime_s counts from the program's start, not from the first
	 * /health request: wait until wadesk.fcgi has run 5 s.
	 */
	const pidf = path.join(VAR, 'run', 'fcgi.pid');
	const age = () => (Date.now() - fs.statSync(pidf).mtimeMs) / 1000;
	if (age() < 5)
		await sleep((5 - age()) * 1000);
	const r = await new Browser('up').get('/health');
	const h = JSON.parse(r.text);
	const a = age();
	assert.ok(Math.abs(h.uptime_s - a) <= 2,
	    `uptime_s ${h.uptime_s}, but wadesk.fcgi has run ${a.toFixed(1)} s`);
});

check('integ-health-503-then-200', async () => {
	await q('DELETE FROM daemon_instances');
	let r = await fresh(adm, '/health', { noCookies: true });
	assert.equal(r.status, 503);
	assert.match(r.headers.get('content-type'), /^application\/json/);
	let h = JSON.parse(r.text);
	assert.deepEqual(Object.keys(h).sort(), ['daemon', 'database',
	    'sessions', 'status', 'uptime_s']);
	assert.equal(h.status, 'error');
	assert.equal(h.database, 'ok');
	assert.deepEqual(h.daemon, { alive: false, heartbeat_age_s: null });
	assert.equal(typeof h.uptime_s, 'number');
	assert.ok(h.uptime_s >= 0);
	assert.deepEqual(Object.keys(h.sessions).sort(),
	    ['total', ...STATUSES].sort());

	/* A fresh heartbeat, as the daemon writes it. */
	await heartbeat(0);
	r = await fresh(adm, '/health', { noCookies: true });
	assert.equal(r.status, 200);
	h = JSON.parse(r.text);
	const bad = Number((await one("SELECT count(*) AS n FROM accounts " +
	    "WHERE deleted_at IS NULL AND status IN ('disconnected', " +
	    "'logged_out', 'banned')")).n);
	assert.equal(h.status, bad > 0 ? 'degraded' : 'ok');
	assert.equal(h.daemon.alive, true);
	assert.ok(h.daemon.heartbeat_age_s >= 0 &&
	    h.daemon.heartbeat_age_s <= 3, `age ${h.daemon.heartbeat_age_s}`);

	/* A stale heartbeat (older than WADESK_DAEMON_DEAD_S=30) is dead. */
	await heartbeat(120);
	r = await fresh(adm, '/health', { noCookies: true });
	assert.equal(r.status, 503);
	h = JSON.parse(r.text);
	assert.equal(h.status, 'error');
	assert.equal(h.daemon.alive, false);
	assert.ok(h.daemon.heartbeat_age_s >= 119, `${h.daemon.heartbeat_age_s}`);

	/* A disconnected account makes it "degraded"; counts match. */
	await heartbeat(0);
	const id = await createAccount(adm, 'health degraded');
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [id]);
	r = await fresh(adm, '/health', { noCookies: true });
	assert.equal(r.status, 200);
	h = JSON.parse(r.text);
	assert.equal(h.status, 'degraded');
	const dbCounts = await q('SELECT status, count(*)::int AS n FROM ' +
	    'accounts WHERE deleted_at IS NULL GROUP BY status');
	let total = 0;
	for (const s of STATUSES) {
		const row = dbCounts.find((c) => c.status === s);
		assert.equal(h.sessions[s], row ? row.n : 0, `sessions.${s}`);
		total += row ? row.n : 0;
	}
	assert.equal(h.sessions.total, total);
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
	r = await fresh(adm, '/health', { noCookies: true });
	assert.equal(r.status, 200);
});

check('integ-health-cache', async () => {
	/*
	 * Within WADESK_HEALTH_CACHE_MS every worker answers /health from
	 * one reading (a change is not seen yet), with the heartbeat age
	 * advanced by the reading's age; after it, a fresh reading.  The
	 * "within" half is timing-bound, so a try whose two requests were
	 * not close enough together is repeated (at most 5 tries).
	 */
	await heartbeat(0);
	const anon = new Browser('health-cache');
	let id = null, ok = false;
	for (let i = 0; i < 5 && !ok; i++) {
		const h1 = JSON.parse((await fresh(anon)).text);
		const t0 = Date.now();
		if (id === null)
			id = await createAccount(adm, 'health cache');
		await q("UPDATE accounts SET status = $2 WHERE id = $1",
		    [id, i % 2 === 0 ? 'banned' : 'connected']);
		const hs = [];
		for (let k = 0; k < 8; k++)
			hs.push(JSON.parse((await anon.get('/health')).text));
		if (Date.now() - t0 >= HEALTH_TTL * 0.8)
			continue;	/* too slow to be inside one reading */
		for (const h of hs) {
			assert.deepEqual(h.sessions, h1.sessions,
			    'a change inside the reading\'s lifetime is not seen');
			assert.ok(h.daemon.heartbeat_age_s >=
			    h1.daemon.heartbeat_age_s, 'heartbeat age only grows');
		}
		const h2 = JSON.parse((await fresh(anon)).text);
		const want = i % 2 === 0 ? 'banned' : 'connected';
		const before = i % 2 === 0 ? 'connected' : 'banned';
		assert.equal(h2.sessions[want], h1.sessions[want] + 1,
		    `sessions.${want} after the reading expired`);
		if (i > 0)
			assert.equal(h2.sessions[before],
			    h1.sessions[before] - 1, `sessions.${before}`);
		ok = true;
	}
	assert.ok(ok, 'never two /health requests within one reading');
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

check('integ-security-headers', async () => {
	const anon = new Browser('anon');
	const pages = [
		['login page', await anon.get('/login')],
		['dashboard', await adm.get('/')],
		['accounts list', await adm.get('/accounts')],
		['404 page', await adm.get('/no/such/page')],
		['redirect', await anon.get('/accounts')],
		['health', await anon.get('/health')],
	];
	for (const [what, r] of pages) {
		assertSecurityHeaders(r, what);
		assertNoStore(r, what);
	}
	for (const f of ['/static/wadesk.css', '/static/wadesk.js',
	    '/static/icon.svg']) {
		const r = await anon.get(f);
		assert.equal(r.status, 200, f);
		assertSecurityHeaders(r, f);
		const cc = r.headers.get('cache-control') || '';
		assert.ok(!/no-store/.test(cc), `${f}: Cache-Control ${cc}`);
		const ages = [...cc.matchAll(/max-age=(\d+)/g)].map((m) =>
		    Number(m[1]));
		assert.ok(ages.length > 0 && ages.every((a) => a >= 86400),
		    `${f}: Cache-Control ${cc}`);
	}
	/* A missing static file must not fall through to the program. */
	const r = await anon.get('/static/nope.js');
	assert.equal(r.status, 404);
	assertSecurityHeaders(r, 'static 404');
});

check('integ-unauthenticated-redirects', async () => {
	const id = await createAccount(adm, 'redirect target');
	const before = await counts();
	const anon = new Browser('anon');
	const bogus = new Browser('bogus');
	bogus.jar.set('wadesk_session', 'a'.repeat(64));
	const junk = new Browser('junk');
	junk.jar.set('wadesk_session', '../../etc/passwd');
	let n = 0;
	for (const [method, pattern, flags] of routeTable()) {
		if (flags === '0')
			continue;
		const p = pattern.replace('{id}', String(id));
		for (const b of [anon, bogus, junk]) {
			const r = method === 'GET' ? await b.get(p) :
			    await b.post(p, { csrf: 'x', label: 'x',
			    username: 'x', password: 'xxxxxxxxxx',
			    role: 'operator', value: '1' });
			assert.equal(r.status, 303, `${method} ${p} (${b.name})`);
			const want = method === 'GET' && p !== '/' ?
			    '/login?next=' + p : '/login';
			assert.equal(r.location, want, `${method} ${p} Location`);
			n++;
		}
	}
	assert.ok(n >= 3 * 20, `only ${n} protected requests`);
	/* next= keeps the path only, not the query. */
	const r = await anon.get('/accounts/' + id + '/events?page=2');
	assert.equal(r.location, `/login?next=/accounts/${id}/events`);
	assert.deepEqual(await counts(), before, 'state changed');
});

check('integ-sign-in-cookie-flags', async () => {
	const b = new Browser('signin');
	let r = await b.get('/login');
	assert.equal(r.status, 200);
	const lc = r.cookies.find((c) => c.name === 'wadesk_login');
	assert.ok(lc, 'no pre-session cookie');
	assert.ok(lc.attrs.httponly, 'wadesk_login not HttpOnly');
	assert.equal(lc.attrs.samesite, 'Lax');
	assert.ok(!('secure' in lc.attrs), 'Secure over plain HTTP');
	const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(r.text)[1];
	assert.equal(csrf, lc.value, 'form token is the cookie token');

	/* Wrong password: 401 and the form again, no session. */
	r = await b.post('/login', { csrf, username: 'admin',
	    password: 'not-the-password' });
	assert.equal(r.status, 401);
	assert.match(r.text, /Wrong username or password/);
	assert.ok(!b.jar.has('wadesk_session'));
	/* Unknown user: the same 401. */
	r = await b.post('/login', { csrf, username: 'nobody-here',
	    password: 'whatever-pw' });
	assert.equal(r.status, 401);
	/* Without the pre-session token, or a different one: 403. */
	const fresh = new Browser('fresh');
	r = await fresh.post('/login', { username: 'admin',
	    password: ADMIN_PW });
	assert.equal(r.status, 403);
	assert.ok(!fresh.jar.has('wadesk_session'));
	r = await b.post('/login', { csrf: 'f'.repeat(64), username: 'admin',
	    password: ADMIN_PW });
	assert.equal(r.status, 403);
	assert.ok(!b.jar.has('wadesk_session'));
	/* Empty username: 400. */
	r = await b.post('/login', { csrf: b.jar.get('wadesk_login'),
	    username: '', password: 'x' });
	assert.equal(r.status, 400);

	/* Success: 303 to /, the session cookie's flags, the hash in the db. */
	r = await b.post('/login', { csrf: b.jar.get('wadesk_login'),
	    username: 'admin', password: ADMIN_PW });
	assert.equal(r.status, 303);
	assert.equal(r.location, '/');
	const sc = r.cookies.find((c) => c.name === 'wadesk_session');
	assert.ok(sc, 'no session cookie');
	assert.match(sc.value, /^[0-9a-f]{64}$/);
	assert.ok(sc.attrs.httponly, 'session cookie not HttpOnly');
	assert.equal(sc.attrs.samesite, 'Lax');
	assert.ok(!('secure' in sc.attrs), 'Secure over plain HTTP');
	assert.equal(sc.attrs.path, '/');
	assert.ok(Number(sc.attrs['max-age']) > 0);
	const cleared = r.cookies.find((c) => c.name === 'wadesk_login');
	assert.ok(cleared && cleared.attrs['max-age'] === '0',
	    'pre-session cookie not cleared');
	const rows = await q('SELECT operator_id FROM web_sessions WHERE ' +
	    'token_hash = $1', [sha256hex(sc.value)]);
	assert.equal(rows.length, 1, 'session row by token hash');
	assert.equal(Number(rows[0].operator_id), admId);
	assert.equal((await q('SELECT 1 FROM web_sessions WHERE token_hash = ' +
	    '$1 OR csrf_token = $1', [sc.value])).length, 0,
	    'the cookie itself is stored');
	r = await b.get('/');
	assert.equal(r.status, 200);
	assert.match(r.text, /<a class="who" href="\/settings\/profile" title="Your settings">admin<\/a>/);
	/* Signed in: /login goes to the dashboard. */
	r = await b.get('/login');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/');

	/* next: back where the operator was going; never off-site. */
	const n1 = new Browser('next');
	r = await n1.get('/accounts/new');
	assert.equal(r.location, '/login?next=/accounts/new');
	r = await n1.get(r.location);
	assert.match(r.text, /name="next" value="\/accounts\/new"/);
	r = await n1.login('admin', ADMIN_PW, '/accounts/new');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/accounts/new');
	for (const evil of ['//evil.example/', 'https://evil.example/',
	    '/\\evil.example', 'javascript:alert(1)']) {
		const e = new Browser('evil');
		r = await e.login('admin', ADMIN_PW, evil);
		assert.equal(r.status, 303, evil);
		assert.equal(r.location, '/', `next=${evil}`);
	}
	/* HEAD answers like GET without a body. */
	r = await b.req('HEAD', '/');
	assert.equal(r.status, 200);
	assert.equal(r.body.length, 0);
});

/*
 * Behind TLS nginx passes HTTPS=on ("fastcgi_param HTTPS $https", see
 * INSTALL); the test stack has no TLS front, so these requests go to
 * the FastCGI socket directly with the PARAMS such an nginx sends.
 * Over HTTPS every cookie we set (pre-session, session, and their
 * clearing) carries Secure; over plain HTTP (no HTTPS, or the empty
 * value $https has there, or "off") none does.
 */
check('integ-https-secure-cookies', async () => {
	const sock = path.join(VAR, 'run', 'wadesk.sock');
	const send = (https, method, uri, cookie, form) => {
		const body = form ? new URLSearchParams(form).toString() : '';
		const p = { REQUEST_METHOD: method, REQUEST_URI: uri,
		    DOCUMENT_URI: uri.split('?')[0], REMOTE_ADDR: '127.0.0.1',
		    SERVER_PROTOCOL: 'HTTP/1.1' };
		if (https !== undefined)
			p.HTTPS = https;
		if (cookie)
			p.HTTP_COOKIE = cookie;
		if (form) {
			p.CONTENT_TYPE = 'application/x-www-form-urlencoded';
			p.CONTENT_LENGTH = Buffer.byteLength(body);
		}
		return fcgiRequest(sock, p, body);
	};
	for (const https of ['on', undefined, '', 'off']) {
		const secure = https === 'on';
		const how = `HTTPS=${https === undefined ? '(unset)' : https}`;
		const flags = (r, name) => {
			const sc = r.cookies.map(cookieParse)
			    .find((c) => c.name === name);
			assert.ok(sc, `${how}: no ${name} cookie`);
			assert.equal('secure' in sc.attrs, secure,
			    `${how}: ${name} Secure flag`);
			assert.ok(sc.attrs.httponly, `${how}: ${name} HttpOnly`);
			return sc;
		};
		let r = await send(https, 'GET', '/login');
		assert.equal(r.status, 200, how);
		const login = flags(r, 'wadesk_login').value;
		r = await send(https, 'POST', '/login', `wadesk_login=${login}`,
		    { csrf: login, username: 'admin', password: ADMIN_PW });
		assert.equal(r.status, 303, `${how}: sign-in`);
		const session = flags(r, 'wadesk_session').value;
		assert.equal(flags(r, 'wadesk_login').attrs['max-age'], '0');
		r = await send(https, 'GET', '/', `wadesk_session=${session}`);
		assert.equal(r.status, 200, `${how}: signed in`);
		const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(r.body)[1];
		r = await send(https, 'POST', '/logout',
		    `wadesk_session=${session}`, { csrf });
		assert.equal(r.status, 303, `${how}: sign-out`);
		assert.equal(flags(r, 'wadesk_session').attrs['max-age'], '0');
	}
});

/*
 * The same through nginx/wadesk.conf itself, over real TLS (a second
 * nginx with a throw-away certificate, tests/integration/tls.js): the
 * block INSTALL deploys passes HTTPS=on, so the cookies carry Secure;
 * its port-80 block sends plain HTTP to https://.
 */
check('integ-https-nginx-tls-block', async () => {
	const tls = await startTlsNginx(VAR, ROOT);
	try {
		const secureOf = (r, name) => {
			const c = r.cookies.map(cookieParse)
			    .find((x) => x.name === name);
			assert.ok(c, `no ${name} cookie over TLS`);
			return 'secure' in c.attrs;
		};
		let r = await httpsRequest(tls.url + '/login', tls.ca, 'GET');
		assert.equal(r.status, 200);
		assert.ok(r.headers['strict-transport-security'], 'no HSTS');
		assert.ok(secureOf(r, 'wadesk_login'), 'wadesk_login not Secure');
		const login = cookieParse(r.cookies.find((c) =>
		    c.startsWith('wadesk_login='))).value;
		const body = new URLSearchParams({ csrf: login,
		    username: 'admin', password: ADMIN_PW }).toString();
		r = await httpsRequest(tls.url + '/login', tls.ca, 'POST', {
		    cookie: `wadesk_login=${login}`,
		    'content-type': 'application/x-www-form-urlencoded',
		    'content-length': Buffer.byteLength(body) }, body);
		assert.equal(r.status, 303, 'sign-in over TLS');
		assert.ok(secureOf(r, 'wadesk_session'),
		    'wadesk_session not Secure');
		const res = await fetch(tls.httpUrl + '/login',
		    { redirect: 'manual' });
		assert.equal(res.status, 301);
		assert.equal(res.headers.get('location'), 'https://127.0.0.1/login');
	} finally {
		tls.stop();
	}
});

/*
 * A form sent with Transfer-Encoding: chunked (no Content-Length) is
 * read whole: the sign-in gets its fields, in whatever pieces they come.
 */
check('integ-chunked-form', async () => {
	const b = new Browser('chunked');
	const g = await b.get('/login');
	const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(g.text)[1];
	const body = new URLSearchParams({ csrf, username: 'admin',
	    password: ADMIN_PW }).toString();
	const pieces = [body.slice(0, 7), body.slice(7, 80), body.slice(80)];
	const stream = new ReadableStream({
		async pull(ctl) {
			if (pieces.length === 0)
				return ctl.close();
			ctl.enqueue(new TextEncoder().encode(pieces.shift()));
			await sleep(20);
		},
	});
	const res = await fetch(new URL('/login', process.env.WADESK_URL),
	    { method: 'POST', body: stream, duplex: 'half', redirect: 'manual',
	    headers: { 'content-type': 'application/x-www-form-urlencoded',
	    cookie: b.cookieHeader() } });
	assert.equal(res.status, 303, 'chunked sign-in');
	assert.ok(res.headers.getSetCookie().some((c) =>
	    c.startsWith('wadesk_session=')), 'no session cookie');
});

check('integ-sign-out', async () => {
	const b = new Browser('signout');
	await b.signIn('admin', ADMIN_PW);
	const tok = b.jar.get('wadesk_session');
	/* Without the CSRF token: 403, and still signed in. */
	let r = await b.post('/logout', {});
	assert.equal(r.status, 403);
	assert.equal((await b.get('/')).status, 200);
	r = await b.postc('/logout');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/login?notice=signed_out');
	const sc = r.cookies.find((c) => c.name === 'wadesk_session');
	assert.ok(sc && sc.attrs['max-age'] === '0', 'cookie not cleared');
	assert.equal((await q('SELECT 1 FROM web_sessions WHERE token_hash ' +
	    '= $1', [sha256hex(tok)])).length, 0, 'session row kept');
	r = await b.get(r.location);
	assert.equal(r.status, 200);
	assert.match(r.text, /You are signed out/);
	/* Replaying the old cookie does not work. */
	const replay = new Browser('replay');
	replay.jar.set('wadesk_session', tok);
	r = await replay.get('/accounts');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/login?next=/accounts');
});

check('integ-session-expiry', async () => {
	const b = new Browser('idle');
	await b.signIn('admin', ADMIN_PW);
	const h = sha256hex(b.jar.get('wadesk_session'));
	assert.equal((await b.get('/accounts')).status, 200);
	await q("UPDATE web_sessions SET last_seen_at = now() - " +
	    "interval '2 hours' WHERE token_hash = $1", [h]);
	let r = await b.get('/accounts');
	assert.equal(r.status, 303, 'idle session still valid');
	assert.equal(r.location, '/login?next=/accounts');
	/* Absolute expiry too. */
	const c = new Browser('absolute');
	await c.signIn('admin', ADMIN_PW);
	await q("UPDATE web_sessions SET expires_at = now() - interval " +
	    "'1 second' WHERE token_hash = $1",
	    [sha256hex(c.jar.get('wadesk_session'))]);
	r = await c.get('/');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/login');
	/* A session in use is kept alive (last_seen_at moves forward). */
	const d = new Browser('touch');
	await d.signIn('admin', ADMIN_PW);
	const dh = sha256hex(d.jar.get('wadesk_session'));
	await q("UPDATE web_sessions SET last_seen_at = now() - interval " +
	    "'50 minutes' WHERE token_hash = $1", [dh]);
	assert.equal((await d.get('/')).status, 200);
	const s = await one('SELECT extract(epoch FROM now() - last_seen_at)' +
	    '::int AS age FROM web_sessions WHERE token_hash = $1', [dh]);
	assert.ok(s.age < 60, `last_seen_at not refreshed (${s.age} s)`);
});

check('integ-hostile-input-400', async () => {
	const many = (n, sep) => Array.from({ length: n },
	    (_, i) => `k${i}=v`).join(sep);
	const anon = new Browser('hostile');
	const cases = [
		['GET', '/health', { headers: { cookie: many(70, '; ') } },
		 'too many cookies'],
		['GET', `/accounts?${many(70, '&')}`, {}, 'too many query pairs'],
		['GET', '/login?next=%00', {}, 'NUL in the query'],
		['GET', '/accounts/%00', {}, 'NUL in the path'],
		['GET', '/login?a=%', {}, 'truncated escape'],
		['GET', '/login?a=%4', {}, 'truncated escape 2'],
		['POST', '/login', { body: many(70, '&'), headers:
		 { 'content-type': 'application/x-www-form-urlencoded' } },
		 'too many form fields'],
		['POST', '/login', { body: 'csrf=%00&username=a', headers:
		 { 'content-type': 'application/x-www-form-urlencoded' } },
		 'NUL in the form'],
	];
	for (const [m, p, o, why] of cases) {
		const r = await anon.req(m, p, o);
		assert.equal(r.status, 400, why);
		assertSecurityHeaders(r, why);
	}
	/* Header injection through next= is refused. */
	const b = new Browser('inject');
	const r = await b.login('admin', ADMIN_PW,
	    '/accounts\r\nSet-Cookie: evil=1');
	assert.equal(r.status, 303);
	assert.equal(r.location, '/');
	assert.ok(!r.cookies.some((c) => c.name === 'evil'));
	/* Over-long username and password: 400, not a crash. */
	const c = new Browser('long');
	assert.equal((await c.login('u'.repeat(65), 'whatever-pw')).status, 400);
	assert.equal((await c.login('admin', 'p'.repeat(300))).status, 400);
	/* A QR text the daemon could never write: a clean 500. */
	const id = await createAccount(adm, 'oversized qr');
	await q("UPDATE accounts SET status = 'pending', qr_code = " +
	    "repeat('x', 5000), qr_version = 1 WHERE id = $1", [id]);
	const big = await adm.get(`/accounts/${id}/qr.png`);
	assert.equal(big.status, 500);
	assert.equal((await adm.get(`/accounts/${id}`)).status, 200);
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

check('integ-405-allow-lists-methods', async () => {
	/* RFC 9110 15.5.6: Allow lists the methods the resource supports. */
	const id = await createAccount(adm, 'allow header');
	for (const [m, p, want] of [['GET', '/logout', 'POST'],
	    ['GET', `/accounts/${id}/pair`, 'POST'],
	    ['POST', '/health', 'GET, HEAD'],
	    ['POST', `/accounts/${id}/qr.png`, 'GET, HEAD'],
	    ['DELETE', '/accounts', 'GET, HEAD, POST']]) {
		const r = await adm.req(m, p);
		assert.equal(r.status, 405, `${m} ${p}`);
		const allow = (r.headers.get('allow') || '').split(/\s*,\s*/)
		    .sort().join(', ');
		assert.equal(allow, want, `${m} ${p}: Allow`);
	}
});

check('integ-no-spurious-config-warnings', async () => {
	/*
	 * WADESK_LOGIN_RATE is read by scripts/stack.sh (nginx's limit);
	 * the programs must not call it a typo.
	 */
	const log = fs.readFileSync(path.join(VAR, 'log', 'wadesk.fcgi.log'),
	    'utf8');
	const bad = log.split('\n').filter((l) => /unknown variable/.test(l));
	assert.deepEqual(bad, []);
});

check('integ-routing-404-405-400', async () => {
	const id = await createAccount(adm, 'routing');
	for (const p of ['/accounts/abc', '/accounts/1x', '/accounts/0',
	    `/accounts/0${id}`, '/accounts/-1', '/accounts/+1',
	    '/accounts/99999999999999999999', '/accounts/9223372036854775807',
	    '/accounts//qr.png', '/accounts/abc/status.json',
	    `/accounts/${id}/nope`, `/accounts/${id}/`, '/nope',
	    '/accounts/1x/events', '/accounts/%31x', '/settings/operators/x/password']) {
		const r = await adm.get(p);
		assert.equal(r.status, 404, `GET ${p}`);
	}
	for (const p of ['/accounts/abc/pair', '/accounts//pair',
	    '/accounts/pair', `/accounts/${id}x/delete`,
	    '/settings/operators//disable', '/accounts/0/rename']) {
		const r = await adm.postc(p, { label: 'x' });
		assert.equal(r.status, 404, `POST ${p}`);
	}
	const before = await counts();
	for (const [m, p] of [['DELETE', '/accounts'], ['PUT', '/accounts'],
	    ['PATCH', `/accounts/${id}`], ['DELETE', `/accounts/${id}`],
	    ['GET', '/logout'], ['GET', `/accounts/${id}/pair`],
	    ['GET', `/accounts/${id}/delete`.replace('delete', 'rename')],
	    ['POST', '/health'], ['POST', '/metrics'],
	    ['POST', `/accounts/${id}/qr.png`], ['PUT', '/login'],
	    ['OPTIONS', '/accounts']]) {
		const r = await adm.req(m, p);
		assert.equal(r.status, 405, `${m} ${p}`);
		assert.match(r.headers.get('allow') || '',
		    /^(GET|HEAD|POST)(, (GET|HEAD|POST))*$/, `${m} ${p}: Allow`);
	}
	assert.deepEqual(await counts(), before, '405 changed state');
	for (const p of ['/accounts?status=nope', '/accounts?status=PENDING',
	    '/accounts?page=0', '/accounts?page=abc', '/accounts?page=-1',
	    '/accounts?page=100001', '/accounts?page=', '/accounts?page=1.5',
	    `/accounts/${id}/events?page=0`, `/accounts/${id}/events?page=x`,
	    '/accounts?x=%zz', '/accounts?status=%00', '/accounts/%zz']) {
		const r = await adm.get(p);
		assert.equal(r.status, 400, `GET ${p}`);
		assertSecurityHeaders(r, p);
	}
	/* An empty filter is no filter. */
	assert.equal((await adm.get('/accounts?status=')).status, 200);
	assert.equal((await adm.get('/accounts?page=1')).status, 200);
});

check('integ-create-account-422-415-413', async () => {
	let r = await adm.get('/accounts/new');
	assert.equal(r.status, 200);
	assert.match(r.text, /<form method="post" action="\/accounts">/);
	const before = await counts();
	for (const label of ['', ' ', '   ', 'x'.repeat(101), 'a\u0001b',
	    'tab\there', 'line\nbreak', 'del\u007f', 'é'.repeat(51)]) {
		r = await adm.postc('/accounts', { label });
		assert.equal(r.status, 422, `label ${JSON.stringify(label)}`);
		assert.match(r.text, /A label has 1 to 100 characters/);
	}
	r = await adm.postc('/accounts', {});
	assert.equal(r.status, 422, 'no label field');
	/* Invalid UTF-8, sent as raw bytes. */
	r = await adm.req('POST', '/accounts', {
		body: `csrf=${adm.csrf}&label=%FF%FEab`,
		headers: { 'content-type': 'application/x-www-form-urlencoded' } });
	assert.equal(r.status, 422, 'invalid UTF-8');
	/* A bad percent escape in the form. */
	r = await adm.req('POST', '/accounts', {
		body: `csrf=${adm.csrf}&label=%G1`,
		headers: { 'content-type': 'application/x-www-form-urlencoded' } });
	assert.equal(r.status, 400, 'bad escape');
	/* Not URL-encoded: 415. */
	for (const [ct, body] of [
	    ['text/plain', `csrf=${adm.csrf}&label=plain`],
	    ['application/json', JSON.stringify({ csrf: adm.csrf,
	     label: 'json' })],
	    ['multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-' +
	     'Disposition: form-data; name="label"\r\n\r\nmp\r\n--XyZ--\r\n']]) {
		r = await adm.req('POST', '/accounts', { body,
		    headers: { 'content-type': ct } });
		assert.equal(r.status, 415, ct);
		assertSecurityHeaders(r, '415');
	}
	r = await adm.req('POST', `/accounts`, { body: 'label=nocontenttype' });
	assert.equal(r.status, 415, 'default content type');
	/* Over client_max_body_size 16k: nginx refuses with 413. */
	r = await adm.postc('/accounts', { label: 'big',
	    pad: 'x'.repeat(20 * 1024) });
	assert.equal(r.status, 413);
	assertSecurityHeaders(r, '413');
	r = await new Browser('big').post('/login', { username: 'admin',
	    password: ADMIN_PW, pad: 'y'.repeat(17 * 1024) });
	assert.equal(r.status, 413, 'large sign-in form');
	r = await adm.postc(`/accounts/${admId}/rename`, {
	    label: 'big3', pad: 'z'.repeat(17 * 1024) });
	assert.equal(r.status, 413, 'large action form');
	assert.deepEqual(await counts(), before, 'refused forms changed state');
	/* A chunked body (no Content-Length from the client) is read too. */
	const form = `csrf=${adm.csrf}&label=chunked+body`;
	const res = await fetch(`${process.env.WADESK_URL.replace(/\/+$/, '')}` +
	    '/accounts', { method: 'POST', redirect: 'manual', duplex: 'half',
	    headers: { cookie: adm.cookieHeader(),
	    'content-type': 'application/x-www-form-urlencoded' },
	    body: new ReadableStream({ start(c) {
		c.enqueue(new TextEncoder().encode(form.slice(0, 20)));
		c.enqueue(new TextEncoder().encode(form.slice(20)));
		c.close();
	    } }) });
	assert.equal(res.status, 303, 'chunked form');
	const cid = Number(/\/accounts\/(\d+)/.exec(res.headers.get('location'))[1]);
	assert.equal((await one('SELECT label FROM accounts WHERE id = $1',
	    [cid])).label, 'chunked body');
	/* The boundaries that are fine: 100 bytes, 50 two-byte letters. */
	for (const label of ['x'.repeat(100), 'é'.repeat(50), '  padded  ',
	    'Support — line ✓']) {
		const id = await createAccount(adm, label);
		const row = await one('SELECT label, status, operator_id, ' +
		    'qr_version, auto_connect FROM accounts WHERE id = $1', [id]);
		assert.equal(row.label, label);
		assert.equal(row.status, 'unpaired');
		assert.equal(Number(row.operator_id), admId);
		assert.equal(row.auto_connect, true);
		const ev = await lastEvent(id);
		assert.equal(ev.kind, 'created');
		assert.deepEqual(ev.detail, { label });
		r = await adm.get(`/accounts/${id}?notice=created`);
		assert.equal(r.status, 200);
		assert.match(r.text, /The account was added\./);
		assert.ok(r.text.includes(`<h1>${esc(label)} <span`));
	}
});

check('integ-commands-and-notify', async () => {
	const lis = await dbConnect();
	const notes = [];
	lis.on('notification', (m) => {
		if (m.channel === 'wadesk_commands')
			notes.push(m);
	});
	await lis.query('LISTEN wadesk_commands');
	try {
		let nn = 0;
		const label = 'Commands test';
		const id = await createAccount(adm, label);
		await sleep(100);
		assert.equal(notes.length, 0, 'NOTIFY without a command');

		/* pair: pending, deadline now+300 s, command, event. */
		let r = await adm.postc(`/accounts/${id}/pair`);
		assert.equal(r.status, 303);
		assert.equal(r.location, `/accounts/${id}?notice=queued`);
		let a = await one('SELECT status, extract(epoch FROM ' +
		    'pair_deadline - now())::int AS left, qr_code, pair_code ' +
		    'FROM accounts WHERE id = $1', [id]);
		assert.equal(a.status, 'pending');
		assert.ok(a.left >= 290 && a.left <= 300, `deadline ${a.left}`);
		assert.equal(a.qr_code, null);
		let c = await lastCommand(id);
		assert.equal(c.type, 'pair');
		assert.deepEqual(c.payload, {});
		assert.equal(Number(c.created_by), admId);
		assert.equal(c.claimed_at, null);
		assert.equal(c.done_at, null);
		let e = await lastEvent(id);
		assert.equal(e.kind, 'pair_requested');
		assert.equal(Number(e.operator_id), admId);
		assert.equal(e.detail.label, label);
		await notes_wait(notes, ++nn, 'pair');
		/* The page shows the waiting state and refreshes itself. */
		r = await adm.get(`/accounts/${id}?notice=queued`);
		assert.match(r.text, /id="waiting"/);
		assert.match(r.text, /<meta http-equiv="refresh"/);
		assert.match(r.text, /waiting for the session daemon/);
		assert.match(r.text, /data-action="cancel-pair"/);
		assert.ok(!/data-action="pair"/.test(r.text));

		/* cancel-pair: back to unpaired. */
		r = await adm.postc(`/accounts/${id}/cancel-pair`);
		assert.equal(r.status, 303);
		a = await one('SELECT status, pair_deadline FROM accounts ' +
		    'WHERE id = $1', [id]);
		assert.equal(a.status, 'unpaired');
		assert.equal(a.pair_deadline, null);
		c = await lastCommand(id);
		assert.equal(c.type, 'cancel_pair');
		assert.equal(Number(c.created_by), admId);
		assert.equal((await lastEvent(id)).kind, 'pair_cancelled');
		await notes_wait(notes, ++nn, 'cancel-pair');

		/* pair-code: the phone normalised into the payload. */
		r = await adm.postc(`/accounts/${id}/pair-code`,
		    { phone: '+1 (555) 01-00' });
		assert.equal(r.status, 303);
		assert.equal(r.location, `/accounts/${id}?notice=queued`);
		assert.equal((await one('SELECT status FROM accounts WHERE ' +
		    'id = $1', [id])).status, 'pending');
		c = await lastCommand(id);
		assert.equal(c.type, 'pair_code');
		assert.deepEqual(c.payload, { phone: '15550100' });
		assert.equal(Number(c.created_by), admId);
		assert.equal((await lastEvent(id)).kind, 'pair_code_requested');
		await notes_wait(notes, ++nn, 'pair-code');
		/* The daemon writes the code; the page shows it grouped. */
		await q("UPDATE accounts SET pair_code = 'ABCD1234' WHERE " +
		    'id = $1', [id]);
		r = await adm.get(`/accounts/${id}`);
		assert.match(r.text, /id="pair-code">ABCD-1234</);
		r = await adm.postc(`/accounts/${id}/cancel-pair`);
		assert.equal(r.status, 303);
		await notes_wait(notes, ++nn, 'cancel-pair 2');

		/* reconnect: from disconnected (set as the daemon would). */
		await q("UPDATE accounts SET status = 'disconnected', " +
		    "disconnect_reason = 'stream end' WHERE id = $1", [id]);
		r = await adm.postc(`/accounts/${id}/reconnect`);
		assert.equal(r.status, 303);
		a = await one('SELECT status, disconnect_reason FROM accounts ' +
		    'WHERE id = $1', [id]);
		assert.equal(a.status, 'connecting');
		assert.equal(a.disconnect_reason, null);
		c = await lastCommand(id);
		assert.equal(c.type, 'reconnect');
		assert.equal(Number(c.created_by), admId);
		assert.equal((await lastEvent(id)).kind, 'reconnect_requested');
		await notes_wait(notes, ++nn, 'reconnect');

		/* disconnect: from connected; the daemon changes the status. */
		await q("UPDATE accounts SET status = 'connected', " +
		    "phone_number = '15550100' WHERE id = $1", [id]);
		r = await adm.postc(`/accounts/${id}/disconnect`);
		assert.equal(r.status, 303);
		c = await lastCommand(id);
		assert.equal(c.type, 'disconnect');
		assert.equal(Number(c.created_by), admId);
		assert.equal((await lastEvent(id)).kind, 'disconnect_requested');
		assert.equal((await one('SELECT status FROM accounts WHERE ' +
		    'id = $1', [id])).status, 'connected');
		await notes_wait(notes, ++nn, 'disconnect');

		/* unpair. */
		r = await adm.postc(`/accounts/${id}/unpair`);
		assert.equal(r.status, 303);
		c = await lastCommand(id);
		assert.equal(c.type, 'unpair');
		assert.equal(Number(c.created_by), admId);
		assert.equal((await lastEvent(id)).kind, 'unpair_requested');
		await notes_wait(notes, ++nn, 'unpair');

		/* rename and auto-connect: row changes, events, no command. */
		const ncmd = (await one('SELECT count(*)::int AS n FROM ' +
		    'commands WHERE account_id = $1', [id])).n;
		r = await adm.postc(`/accounts/${id}/rename`,
		    { label: 'Commands renamed' });
		assert.equal(r.status, 303);
		assert.equal(r.location, `/accounts/${id}?notice=renamed`);
		assert.equal((await one('SELECT label FROM accounts WHERE ' +
		    'id = $1', [id])).label, 'Commands renamed');
		e = await lastEvent(id);
		assert.equal(e.kind, 'renamed');
		assert.equal(e.detail.label, label);
		assert.equal(e.detail.new_label, 'Commands renamed');
		r = await adm.postc(`/accounts/${id}/auto-connect`,
		    { value: 'off' });
		assert.equal(r.status, 303);
		assert.equal(r.location, `/accounts/${id}?notice=saved`);
		assert.equal((await one('SELECT auto_connect FROM accounts ' +
		    'WHERE id = $1', [id])).auto_connect, false);
		assert.equal((await lastEvent(id)).kind, 'auto_connect_changed');
		r = await adm.get(`/accounts/${id}`);
		assert.match(r.text, /Turn auto-connect on/);
		r = await adm.postc(`/accounts/${id}/auto-connect`,
		    { value: 'on' });
		assert.equal(r.status, 303);
		assert.equal((await one('SELECT auto_connect FROM accounts ' +
		    'WHERE id = $1', [id])).auto_connect, true);
		assert.equal((await one('SELECT count(*)::int AS n FROM ' +
		    'commands WHERE account_id = $1', [id])).n, ncmd);
		await sleep(100);
		assert.equal(notes.length, nn, 'NOTIFY for a non-command');

		/* The account page lists the queued commands. */
		r = await adm.get(`/accounts/${id}`);
		for (const t of ['pair', 'cancel_pair', 'pair_code',
		    'reconnect', 'disconnect', 'unpair'])
			assert.ok(r.text.includes(`<tr><td>${t}</td>`),
			    `command ${t} not listed`);

		/* delete: hidden, 404, command with the label, events kept. */
		const nev = (await one('SELECT count(*)::int AS n FROM ' +
		    'account_events WHERE account_id = $1', [id])).n;
		r = await adm.get(`/accounts/${id}/delete`);
		assert.equal(r.status, 200);
		assert.match(r.text, /<h1>Delete Commands renamed\?<\/h1>/);
		r = await adm.postc(`/accounts/${id}/delete`);
		assert.equal(r.status, 303);
		assert.equal(r.location, '/accounts?notice=deleted');
		c = await lastCommand(id);
		assert.equal(c.type, 'delete');
		assert.deepEqual(c.payload, { label: 'Commands renamed' });
		assert.equal(Number(c.created_by), admId);
		e = await lastEvent(id);
		assert.equal(e.kind, 'delete_requested');
		assert.equal(e.detail.label, 'Commands renamed');
		await notes_wait(notes, ++nn, 'delete');
		for (const p of ['', '/qr.png', '/status.json', '/events',
		    '/delete'])
			assert.equal((await adm.get(`/accounts/${id}${p}`)).status,
			    404, `GET after delete ${p}`);
		for (const act of ALL_ACTIONS)
			assert.equal((await adm.postc(`/accounts/${id}/${act}`,
			    ACTION_FORM[act] || {})).status, 404,
			    `POST ${act} after delete`);
		r = await adm.get('/accounts?notice=deleted');
		assert.match(r.text, /The account is being deleted\./);
		assert.ok(!listIds(r.text).includes(id), 'deleted row listed');
		assert.ok(!r.text.includes('Commands renamed'));
		assert.equal((await one('SELECT count(*)::int AS n FROM ' +
		    'account_events WHERE account_id = $1', [id])).n, nev + 1);
		/* The daemon then removes the row: the audit trail stays. */
		await q('DELETE FROM accounts WHERE id = $1', [id]);
		const kept = await q("SELECT kind FROM account_events WHERE " +
		    "account_id IS NULL AND detail->>'label' = $1", [label]);
		assert.ok(kept.length >= 8, `events kept: ${kept.length}`);
		r = await adm.get('/');
		assert.match(r.text, /delete_requested/);
		await sleep(100);
		assert.equal(notes.length, nn, 'one NOTIFY per command');
	} finally {
		await lis.end();
	}
});

check('integ-conflicts-409', async () => {
	const id = await createAccount(adm, 'conflicts');
	const before = await counts();
	for (const act of ['reconnect', 'disconnect', 'unpair', 'cancel-pair']) {
		const r = await adm.postc(`/accounts/${id}/${act}`);
		assert.equal(r.status, 409, `${act} on unpaired`);
		assert.match(r.text, /does not fit the account/);
	}
	assert.deepEqual(await counts(), before, '409 changed state');
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	const mid = await counts();
	for (const [act, form] of [['pair', {}],
	    ['pair-code', { phone: '+15550100' }], ['reconnect', {}],
	    ['disconnect', {}], ['unpair', {}]]) {
		const r = await adm.postc(`/accounts/${id}/${act}`, form);
		assert.equal(r.status, 409, `${act} on pending`);
	}
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1", [id]);
	for (const act of ['pair', 'reconnect', 'cancel-pair'])
		assert.equal((await adm.postc(`/accounts/${id}/${act}`)).status,
		    409, `${act} on connected`);
	await q("UPDATE accounts SET status = 'banned' WHERE id = $1", [id]);
	for (const act of ['reconnect', 'disconnect', 'cancel-pair'])
		assert.equal((await adm.postc(`/accounts/${id}/${act}`)).status,
		    409, `${act} on banned`);
	assert.deepEqual(await counts(), mid, '409 changed state');
	assert.equal((await one('SELECT status FROM accounts WHERE id = $1',
	    [id])).status, 'banned');
	/* The page offers only what fits: banned -> pair, unpair. */
	const r = await adm.get(`/accounts/${id}`);
	assert.match(r.text, /data-action="pair"/);
	assert.match(r.text, /data-action="unpair"/);
	assert.ok(!/data-action="reconnect"/.test(r.text));
	assert.ok(!/data-action="disconnect"/.test(r.text));
});

check('integ-action-422', async () => {
	const id = await createAccount(adm, 'form errors');
	const before = await counts();
	for (const phone of ['123', '+1 555', 'abc5550100', '0555 0100',
	    '+1234567890123456', '', '15550100;', '+1 555 0100 ext 3',
	    '１５５５０１００']) {
		const r = await adm.postc(`/accounts/${id}/pair-code`, { phone });
		assert.equal(r.status, 422, `phone ${JSON.stringify(phone)}`);
		assert.match(r.text, /country code/);
	}
	assert.equal((await adm.postc(`/accounts/${id}/pair-code`)).status,
	    422, 'no phone field');
	for (const label of ['', 'x'.repeat(101), 'a\u0002'])
		assert.equal((await adm.postc(`/accounts/${id}/rename`,
		    { label })).status, 422, `rename ${JSON.stringify(label)}`);
	for (const value of ['', 'yes', 'ON', '1'])
		assert.equal((await adm.postc(`/accounts/${id}/auto-connect`,
		    { value })).status, 422, `auto-connect ${value}`);
	assert.deepEqual(await counts(), before, '422 changed state');
	const row = await one('SELECT label, status FROM accounts WHERE ' +
	    'id = $1', [id]);
	assert.equal(row.label, 'form errors');
	assert.equal(row.status, 'unpaired');
});

check('integ-list-order-stable-on-rename', async () => {
	const { b } = await newOperator('orderop');
	const ids = [];
	for (const l of ['mango', 'kiwi', 'banana', 'apple', 'cherry'])
		ids.push(await createAccount(b, l));
	let r = await b.get('/accounts');
	assert.deepEqual(listIds(r.text), ids);
	assert.equal(listTotal(r.text), 5);
	r = await b.postc(`/accounts/${ids[0]}/rename`, { label: 'zzz' });
	assert.equal(r.status, 303);
	r = await b.postc(`/accounts/${ids[2]}/rename`, { label: 'aaa' });
	assert.equal(r.status, 303);
	r = await b.get('/accounts');
	assert.deepEqual(listIds(r.text), ids, 'rename reshuffled the list');
	assert.ok(r.text.indexOf('>zzz<') < r.text.indexOf('>aaa<'));
	/* Status changes do not reorder either. */
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1",
	    [ids[3]]);
	r = await b.get('/accounts');
	assert.deepEqual(listIds(r.text), ids);
	/* The admin's list keeps the same relative order. */
	const all = [];
	for (let page = 1; ; page++) {
		r = await adm.get(`/accounts?page=${page}`);
		assert.equal(r.status, 200);
		all.push(...listIds(r.text));
		if (!/>Next →<\/a>/.test(r.text))
			break;
	}
	assert.deepEqual(all.filter((x) => ids.includes(x)), ids);
});

check('integ-pagination-and-filter', async () => {
	const { b, id: opId } = await newOperator('pageop');
	/* 120 accounts as the owner; created_at collides in pairs. */
	await q('INSERT INTO accounts (operator_id, label, created_at) ' +
	    "SELECT $1, 'acct-' || lpad((121 - i)::text, 3, '0'), " +
	    "timestamptz '2020-01-01 00:00:00Z' + " +
	    "make_interval(secs => ((i * 37) % 60)) " +
	    'FROM generate_series(1, 120) AS i', [opId]);
	const want = (await q('SELECT id FROM accounts WHERE operator_id = ' +
	    '$1 ORDER BY created_at, id', [opId])).map((x) => Number(x.id));
	assert.equal(want.length, 120);
	const got = [];
	const sizes = [];
	for (let page = 1; page <= 3; page++) {
		const r = await b.get(`/accounts?page=${page}`);
		assert.equal(r.status, 200, `page ${page}`);
		const ids = listIds(r.text);
		sizes.push(ids.length);
		got.push(...ids);
		assert.equal(listTotal(r.text), 120);
		assert.match(r.text, new RegExp(`Page ${page} of 3<`));
		const prev = /<a class="" href="\/accounts\?page=(\d+)">← Previous<\/a>/
		    .exec(r.text);
		const next = /<a class="" href="\/accounts\?page=(\d+)">Next →<\/a>/
		    .exec(r.text);
		if (page === 1)
			assert.equal(prev, null, 'Previous on page 1');
		else
			assert.equal(Number(prev[1]), page - 1, 'Previous link');
		if (page === 3)
			assert.equal(next, null, 'Next on the last page');
		else
			assert.equal(Number(next[1]), page + 1, 'Next link');
	}
	assert.deepEqual(sizes, [50, 50, 20]);
	assert.deepEqual(got, want, 'order across pages');

	/* ?status=pending shows only the pending rows. */
	const pend = want.filter((_, i) => i % 17 === 3);
	await q("UPDATE accounts SET status = 'pending' WHERE id = ANY($1)",
	    [pend]);
	let r = await b.get('/accounts?status=pending');
	assert.equal(r.status, 200);
	assert.deepEqual(listIds(r.text), pend);
	assert.equal(listTotal(r.text), pend.length);
	assert.equal((r.text.match(/badge badge-pending/g) || []).length,
	    pend.length);
	assert.ok(!/badge badge-unpaired/.test(r.text));
	assert.match(r.text,
	    /<a class="current" href="\/accounts\?status=pending">/);
	r = await b.get('/accounts?status=banned');
	assert.deepEqual(listIds(r.text), []);
	assert.equal(listTotal(r.text), 0);
	/* A filtered list pages too, keeping the filter in the links. */
	const disc = want.filter((x) => !pend.includes(x)).slice(0, 60);
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = ANY($1)",
	    [disc]);
	r = await b.get('/accounts?status=disconnected');
	assert.deepEqual(listIds(r.text), disc.slice(0, 50));
	assert.match(r.text,
	    /href="\/accounts\?status=disconnected&amp;page=2">Next →/);
	r = await b.get('/accounts?status=disconnected&page=2');
	assert.deepEqual(listIds(r.text), disc.slice(50));
	assert.match(r.text,
	    /href="\/accounts\?status=disconnected&amp;page=1">← Previous/);
	/* The dashboard counts link to the filtered list. */
	r = await b.get('/');
	assert.match(r.text, /<span class="n">120<\/span> All accounts/);
	const dm = /href="\/accounts\?status=disconnected" data-status="disconnected"><span class="n">(\d+)<\/span>/
	    .exec(r.text);
	assert.ok(dm, 'no disconnected count');
	assert.equal(Number(dm[1]), 60);
	/* The admin sees them too. */
	r = await adm.get('/accounts?status=pending');
	for (const id of pend)
		assert.ok(listIds(r.text).includes(id), 'admin misses a row');
	await q("UPDATE accounts SET deleted_at = now() WHERE operator_id = $1",
	    [opId]);
});

check('integ-xss-labels-inert', async () => {
	const { b } = await newOperator('xssop');
	const payloads = ['<script>alert(1)</script>',
	    '"><img src=x onerror=alert(1)>', "'onmouseover='x",
	    '</title><svg onload=alert(1)>&amp;'];
	const ids = [];
	for (const p of payloads)
		ids.push(await createAccount(b, p));
	/* One renamed to a payload, so the new label is in an event too. */
	const rid = await createAccount(b, 'plain');
	assert.equal((await b.postc(`/accounts/${rid}/rename`,
	    { label: payloads[1] })).status, 303);
	const pages = [['list', await b.get('/accounts')],
	    ['dashboard', await b.get('/')]];
	for (const id of ids.concat([rid])) {
		pages.push([`account ${id}`, await b.get(`/accounts/${id}`)]);
		pages.push([`delete ${id}`, await b.get(`/accounts/${id}/delete`)]);
		pages.push([`events ${id}`, await b.get(`/accounts/${id}/events`)]);
	}
	for (const [what, r] of pages) {
		assert.equal(r.status, 200, what);
		for (const p of payloads)
			assert.ok(!r.text.includes(p), `${what}: raw ${p}`);
		assert.equal((r.text.match(/<script/gi) || []).length, 1,
		    `${what}: script tags`);
		assert.ok(!/<img src=x/i.test(r.text), `${what}: img`);
		assert.ok(!/<svg/i.test(r.text), `${what}: svg`);
		assert.ok(!/ onmouseover=/i.test(r.text), `${what}: handler`);
	}
	const find = (what) => pages.find((p) => p[0] === what)[1].text;
	for (let i = 0; i < payloads.length; i++) {
		const e = esc(payloads[i]);
		assert.ok(find('list').includes(`>${e}</a>`), `list ${i}`);
		assert.ok(find('dashboard').includes(`>${e}</a>`),
		    `dashboard link ${i}`);
		const acc = find(`account ${ids[i]}`);
		assert.ok(acc.includes(`<title>${e} · wadesk</title>`),
		    `title ${i}`);
		assert.ok(acc.includes(`<h1>${e} <span`), `h1 ${i}`);
		assert.ok(acc.includes(`name="label" value="${e}"`),
		    `rename field ${i}`);
		assert.ok(find(`delete ${ids[i]}`).includes(
		    `<h1>Delete ${e}?</h1>`), `delete page ${i}`);
		assert.ok(find(`events ${ids[i]}`).includes(`>${e}</a>`),
		    `events page ${i}`);
	}
	/* The JSON detail of an event is escaped as text too. */
	const d = find('dashboard');
	assert.ok(d.includes(esc('"new_label": ' + JSON.stringify(payloads[1]))),
	    'renamed detail');
	/* Reflected input: the sign-in form's username and next, notices. */
	const xs = '"><script>alert(1)</script>';
	const x = new Browser('x');
	let r = await x.login(xs, 'wrong-password-1');
	assert.equal(r.status, 401);
	assert.ok(!r.text.includes(xs), 'username reflected raw');
	assert.ok(r.text.includes(`name="username" value="${esc(xs)}"`));
	r = await x.get('/login?next=' + encodeURIComponent('/' + xs));
	assert.equal(r.status, 200);
	assert.ok(!r.text.includes(xs), 'next reflected raw');
	assert.ok(r.text.includes(`name="next" value="/${esc(xs)}"`));
	r = await b.get('/accounts?notice=' + encodeURIComponent(xs));
	assert.equal(r.status, 200);
	assert.ok(!r.text.includes(xs), 'notice reflected raw');
	await q('DELETE FROM login_failures');
	/* Labels in the account page title of the rename target. */
	assert.ok(find(`account ${rid}`).includes(`<h1>${esc(payloads[1])} `));
});

check('integ-events-page', async () => {
	const id = await createAccount(adm, 'events paging');
	/* 130 daemon events (operator_id NULL), as wadeskd writes them. */
	await q("INSERT INTO account_events (account_id, kind, detail, at) " +
	    "SELECT $1, 'qr_rotated', jsonb_build_object('n', i), " +
	    "now() + make_interval(secs => i) FROM generate_series(1, 130) i",
	    [id]);
	/* [, account cell, kind, by, raw JSON] of each event row. */
	const rows = (html) => [...html.matchAll(
	    /<tr data-kind="([a-z_]+)"><td><time datetime="[^"]*">[^<]*<\/time> \(<span class="ago" data-at="[^"]*">[^<]*<\/span>\)<\/td><td>([\s\S]*?)<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><td class="detail">[^<]*(?:<details class="raw"><summary>details<\/summary><code>([^<]*)<\/code><\/details>)?<\/td><\/tr>/g)]
	    .map((m) => [m[0], m[2], m[1], m[3], m[4]]);
	let r = await adm.get(`/accounts/${id}/events`);
	assert.equal(r.status, 200);
	let ev = rows(r.text);
	assert.equal(ev.length, 100);
	assert.match(r.text, /Page 1 of 2 /);
	/* Newest first: n = 130, 129, ... 31. */
	assert.deepEqual(ev.map((m) => m[4]), Array.from({ length: 100 },
	    (_, i) => esc(`{"n": ${130 - i}}`)));
	assert.ok(ev.every((m) => m[2] === 'qr_rotated' &&
	    m[3] === 'session daemon'));
	assert.match(r.text, new RegExp(
	    `href="/accounts/${id}/events\\?page=2">Older</a>`));
	r = await adm.get(`/accounts/${id}/events?page=2`);
	assert.equal(r.status, 200);
	ev = rows(r.text);
	assert.equal(ev.length, 31);
	assert.equal(ev[30][2], 'created');
	assert.equal(ev[30][3], 'admin');
	assert.match(r.text, /Page 2 of 2 /);
	/* The dashboard: the 20 newest events, newest first. */
	r = await adm.get('/');
	const dash = rows(r.text);
	assert.equal(dash.length, 20);
	const newest = await q('SELECT kind FROM account_events ORDER BY id ' +
	    'DESC LIMIT 20');
	assert.deepEqual(dash.map((m) => m[2]), newest.map((x) => x.kind));
	/* An unpaired account's page does not refresh itself. */
	r = await adm.get(`/accounts/${id}`);
	assert.ok(!/http-equiv="refresh"/.test(r.text));
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

check('integ-qr-png', async () => {
	const label = 'Sales "EU"/2 é';
	const id = await createAccount(adm, label);
	let r = await adm.get(`/accounts/${id}/qr.png`);
	assert.equal(r.status, 404, 'unpaired account has no QR');
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	r = await adm.get(`/accounts/${id}/qr.png`);
	assert.equal(r.status, 404, 'pending without qr_code');
	assertNoStore(r, 'qr 404');
	/* Standing in for the daemon: a ref arrives. */
	const qr1 = '2@Y29kZS1vbmU=,aGVsbG8td29ybGQ=,c2VjcmV0LWtleQ==,MQ==';
	await q("UPDATE accounts SET qr_code = $2, qr_version = qr_version " +
	    "+ 1, qr_expires_at = now() + interval '60 seconds' WHERE id = $1",
	    [id, qr1]);
	let v = (await one('SELECT qr_version FROM accounts WHERE id = $1',
	    [id])).qr_version;
	r = await adm.get(`/accounts/${id}/qr.png?v=${v}`);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-type'), 'image/png');
	assertNoStore(r, 'qr.png');
	assertSecurityHeaders(r, 'qr.png');
	assert.equal(r.headers.get('content-disposition'), null);
	assert.deepEqual([...r.body.subarray(0, 8)],
	    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	assert.equal(zbar(r.body), qr1);
	/* The page shows it with the version and a Save QR link. */
	r = await adm.get(`/accounts/${id}`);
	assert.ok(r.text.includes(`<img id="qr" class="qr" ` +
	    `src="/accounts/${id}/qr.png?v=${v}"`), 'img on the page');
	assert.ok(r.text.includes(`href="/accounts/${id}/qr.png?v=${v}` +
	    '&amp;download=1">Save QR'), 'Save QR link');
	/* Warm every worker's cache with version v. */
	for (let i = 0; i < 8; i++)
		assert.equal(zbar((await adm.get(`/accounts/${id}/qr.png`)).body),
		    qr1);
	/* A rotated ref: every answer is the new image. */
	const qr2 = '2@dHdvLXR3by10d28=,b3RoZXIta2V5LWhlcmU=,c2Vjb25kLXNlY3JldA==,Mg==';
	await q('UPDATE accounts SET qr_code = $2, qr_version = qr_version ' +
	    '+ 1 WHERE id = $1', [id, qr2]);
	v++;
	for (let i = 0; i < 8; i++) {
		r = await adm.get(`/accounts/${id}/qr.png?v=${v}`);
		assert.equal(r.status, 200);
		assert.equal(zbar(r.body), qr2, `stale QR on try ${i}`);
	}
	/* ?download=1: an attachment with a header-safe name. */
	r = await adm.get(`/accounts/${id}/qr.png?v=${v}&download=1`);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-disposition'),
	    `attachment; filename="${qrFilename(label)}"`);
	assert.equal(qrFilename(label), 'Sales__EU__2___-qr.png');
	assert.equal(zbar(r.body), qr2);
	r = await adm.get(`/accounts/${id}/qr.png?download=0`);
	assert.equal(r.headers.get('content-disposition'), null);
	/* A long label is cut to 64 characters in the file name. */
	const long = await createAccount(adm, 'L'.repeat(90));
	await q("UPDATE accounts SET status = 'pending', qr_code = 'long', " +
	    'qr_version = 1 WHERE id = $1', [long]);
	r = await adm.get(`/accounts/${long}/qr.png?download=1`);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-disposition'),
	    `attachment; filename="${'L'.repeat(64)}-qr.png"`);
	assert.equal(zbar(r.body), 'long');
	/* After cancel the QR is gone again. */
	assert.equal((await adm.postc(`/accounts/${id}/cancel-pair`)).status,
	    303);
	assert.equal((await adm.get(`/accounts/${id}/qr.png`)).status, 404);
	/* Not pending but a stale qr_code left behind: still 404. */
	await q("UPDATE accounts SET qr_code = $2 WHERE id = $1", [id, qr1]);
	assert.equal((await adm.get(`/accounts/${id}/qr.png`)).status, 404);
});

check('integ-status-json', async () => {
	const id = await createAccount(adm, 'status json');
	const KEYS = ['id', 'status', 'qr_version', 'qr_expires_at',
	    'pair_deadline', 'pair_code', 'phone_number', 'disconnect_reason',
	    'updated_at',
	    /* not in the handler's comment, but static/wadesk.js reads them */
	    'has_qr', 'pair_remaining_s'].sort();
	const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
	const iso = async (col) => (await one(`SELECT iso(${col}) AS v FROM ` +
	    'accounts WHERE id = $1', [id])).v;
	let r = await adm.get(`/accounts/${id}/status.json`);
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^application\/json/);
	assertNoStore(r, 'status.json');
	let s = JSON.parse(r.text);
	assert.deepEqual(Object.keys(s).sort(), KEYS);
	assert.deepEqual(s, { id, status: 'unpaired', qr_version: 0,
	    has_qr: false, qr_expires_at: null, pair_deadline: null,
	    pair_remaining_s: 0, pair_code: null, phone_number: null,
	    disconnect_reason: null, updated_at: await iso('updated_at') });
	assert.match(s.updated_at, ISO);

	/* Pending with a QR from the "daemon". */
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	await q("UPDATE accounts SET qr_code = 'ref-1', qr_version = " +
	    "qr_version + 1, qr_expires_at = now() + interval '60 s' " +
	    'WHERE id = $1', [id]);
	r = await adm.get(`/accounts/${id}/status.json`);
	s = JSON.parse(r.text);
	assert.deepEqual(Object.keys(s).sort(), KEYS);
	assert.equal(s.status, 'pending');
	assert.equal(s.qr_version, 1);
	assert.equal(s.has_qr, true);
	assert.equal(s.qr_expires_at, await iso('qr_expires_at'));
	assert.match(s.qr_expires_at, ISO);
	assert.equal(s.pair_deadline, await iso('pair_deadline'));
	const dl = Date.parse(s.pair_deadline);
	assert.ok(Math.abs(dl - (Date.now() + 300e3)) < 10e3,
	    `deadline ${s.pair_deadline}`);
	assert.ok(s.pair_remaining_s > 290 && s.pair_remaining_s <= 300,
	    `remaining ${s.pair_remaining_s}`);
	assert.equal(s.pair_code, null);
	/* Pairing code instead. */
	await q("UPDATE accounts SET qr_code = NULL, pair_code = 'WXYZ5678' " +
	    'WHERE id = $1', [id]);
	s = JSON.parse((await adm.get(`/accounts/${id}/status.json`)).text);
	assert.equal(s.pair_code, 'WXYZ5678');
	assert.equal(s.has_qr, false);
	/* Connected, then disconnected with a reason. */
	await q("UPDATE accounts SET status = 'connected', pair_code = NULL, " +
	    "pair_deadline = NULL, phone_number = '15550100' WHERE id = $1",
	    [id]);
	s = JSON.parse((await adm.get(`/accounts/${id}/status.json`)).text);
	assert.equal(s.status, 'connected');
	assert.equal(s.phone_number, '15550100');
	assert.equal(s.pair_deadline, null);
	assert.equal(s.pair_remaining_s, 0);
	await q("UPDATE accounts SET status = 'disconnected', " +
	    "disconnect_reason = 'connection lost' WHERE id = $1", [id]);
	s = JSON.parse((await adm.get(`/accounts/${id}/status.json`)).text);
	assert.equal(s.status, 'disconnected');
	assert.equal(s.disconnect_reason, 'connection lost');
	assert.equal(s.updated_at, await iso('updated_at'));
	/* The page shows the phone with a plus. */
	r = await adm.get(`/accounts/${id}`);
	assert.match(r.text, /<dd id="phone">\+15550100<\/dd>/);
	/* A code lib/reason.c does not know is named, not hidden. */
	assert.ok(r.text.includes('<dd id="reason">The session daemon ' +
	    'reported \u201cconnection lost\u201d. Check the session ' +
	    'daemon&#39;s log.</dd>'), 'unknown reason sentence');
	/* Unknown id: a JSON 404. */
	r = await adm.get('/accounts/987654321/status.json');
	assert.equal(r.status, 404);
	assert.deepEqual(JSON.parse(r.text), { error: 404 });
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

check('integ-health-deep-and-metrics', async () => {
	await heartbeat(1);
	const anon = new Browser('anon');
	let r = await anon.get('/health/deep');
	assert.equal(r.status, 401);
	assert.equal(r.headers.get('www-authenticate'), 'Bearer');
	assert.deepEqual(JSON.parse(r.text), { error: 401 });
	for (const h of [`Bearer ${API_KEY}x`, `Bearer ${API_KEY.slice(1)}`,
	    `bearer ${API_KEY}`, API_KEY, 'Bearer ', `Basic ${API_KEY}`])
		assert.equal((await anon.get('/health/deep',
		    { headers: { authorization: h } })).status, 401, h);
	assert.ok(API_KEY && API_KEY.length >= 16, 'WADESK_API_KEY unset');
	r = await anon.get('/health/deep',
	    { headers: { authorization: `Bearer ${API_KEY}` } });
	assert.equal(r.status, 200);
	let d = JSON.parse(r.text);
	for (const k of ['status', 'uptime_s', 'database', 'daemon',
	    'sessions', 'database_latency_ms', 'accounts'])
		assert.ok(k in d, `deep lacks ${k}`);
	assert.equal(typeof d.database_latency_ms, 'number');
	assert.ok(d.database_latency_ms >= 0 && d.database_latency_ms < 5000);
	assert.equal(d.daemon.alive, true);
	const live = await q('SELECT id, label, status FROM accounts WHERE ' +
	    'deleted_at IS NULL ORDER BY created_at, id');
	assert.equal(d.accounts.length, live.length);
	for (let i = 0; i < live.length; i++) {
		assert.deepEqual(Object.keys(d.accounts[i]).sort(),
		    ['disconnect_reason', 'id', 'label', 'last_frame_age_s',
		    'phone_number', 'status', 'updated_at']);
		assert.equal(String(d.accounts[i].id), String(live[i].id));
		assert.equal(d.accounts[i].label, live[i].label);
		assert.equal(d.accounts[i].status, live[i].status);
	}
	/* An admin session works; an operator's does not. */
	r = await adm.get('/health/deep');
	assert.equal(r.status, 200);
	const { b: op } = await newOperator('deepop');
	r = await op.get('/health/deep');
	assert.equal(r.status, 401);

	/* /metrics: gauges match the database; counters count. */
	const metric = (text, re) => {
		const m = re.exec(text);
		return m ? Number(m[1]) : null;
	};
	r = await fresh(anon, '/metrics');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
	const dbc = await q('SELECT status, count(*)::int AS n FROM accounts ' +
	    'WHERE deleted_at IS NULL GROUP BY status');
	for (const s of STATUSES) {
		const row = dbc.find((x) => x.status === s);
		assert.equal(metric(r.text, new RegExp(
		    `^wadesk_accounts\\{status="${s}"\\} (\\d+)$`, 'm')),
		    row ? row.n : 0, `wadesk_accounts ${s}`);
	}
	const age = metric(r.text,
	    /^wadesk_daemon_heartbeat_age_seconds (-?\d+)$/m);
	assert.ok(age >= 1 && age <= 5, `heartbeat age ${age}`);
	assert.equal(metric(r.text, /^wadesk_database_up (\d)$/m), 1);
	const LINE = /^wadesk_http_requests_total\{route="\/accounts",code="200"\} (\d+)$/m;
	const n0 = metric(r.text, LINE);
	assert.ok(n0 > 0, 'no /accounts 200 counter');
	for (let i = 0; i < 3; i++)
		assert.equal((await adm.get('/accounts')).status, 200);
	r = await anon.get('/metrics');
	assert.equal(metric(r.text, LINE), n0 + 3);
	const h503 = /^wadesk_http_requests_total\{route="\/health",code="503"\} (\d+)$/m;
	const m0 = metric(r.text, h503);
	assert.ok(m0 >= 1, 'no /health 503 counter');
	await q('DELETE FROM daemon_instances');
	assert.equal((await fresh(anon)).status, 503);
	r = await anon.get('/metrics');
	assert.equal(metric(r.text, h503), m0 + 1);
	assert.equal(metric(r.text,
	    /^wadesk_daemon_heartbeat_age_seconds (-?\d+)$/m), -1);
	/* Every sample line is well-formed Prometheus text. */
	for (const line of r.text.split('\n').filter((l) => l && l[0] !== '#'))
		assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+$/,
		    line);
	await heartbeat(0);
});

/*
 * Issue 12: the fleet of session daemons on the dashboard (a row per
 * daemon: host, pid, sessions owned, capacity, heartbeat age, state),
 * in /health/deep ("daemons"), in /metrics (per-daemon sessions,
 * capacity, takeovers, lease losses) and on the account page (the
 * daemon whose lease holds).  Two daemon rows and two accounts, one
 * held by the first daemon, one whose lease on the second ran out.
 */
check('integ-fleet-daemons-visible', async () => {
	await q('DELETE FROM daemon_instances');
	const d1 = Number((await one('INSERT INTO daemon_instances (hostname, ' +
	    'pid, capacity, takeovers, lease_losses) VALUES ' +
	    "('fleet-a', 101, 5000, 3, 1) RETURNING id")).id);
	const d2 = Number((await one('INSERT INTO daemon_instances (hostname, ' +
	    'pid, capacity, draining, heartbeat_at) VALUES (\'fleet"b\', 202, ' +
	    "100, true, now() - interval '2 s') RETURNING id")).id);
	const held = Number((await one('INSERT INTO accounts (operator_id, ' +
	    "label) VALUES ($1, 'held') RETURNING id", [admId])).id);
	const lapsed = Number((await one('INSERT INTO accounts (operator_id, ' +
	    "label) VALUES ($1, 'lapsed') RETURNING id", [admId])).id);
	await q('UPDATE account_leases SET owner_daemon = $2, lease_until = ' +
	    "now() + interval '1 min' WHERE account_id = $1", [held, d1]);
	await q('UPDATE account_leases SET owner_daemon = $2, lease_until = ' +
	    "now() - interval '1 s' WHERE account_id = $1", [lapsed, d2]);
	try {
		let r = await adm.get('/');
		assert.equal(r.status, 200);
		const row = (id) => {
			const m = new RegExp(`<tr class="daemon-(\\w+)" ` +
			    `data-id="${id}">(.*?)</tr>`).exec(r.text);
			assert.ok(m, `no dashboard row for daemon ${id}`);
			return [m[1], [...m[2].matchAll(/<td>(.*?)<\/td>/g)]
			    .map((x) => x[1])];
		};
		assert.deepEqual(row(d1), ['alive', [String(d1), 'fleet-a',
		    '101', '1', '5000', '0 s ago', 'running']]);
		const [c2, r2] = row(d2);
		assert.equal(c2, 'draining');
		assert.deepEqual([r2[0], r2[2], r2[3], r2[4], r2[6]],
		    [String(d2), '202', '0', '100', 'draining']);
		assert.match(r2[1], /^fleet(&quot;|&#34;)b$/);
		assert.match(r2[5], /^[23] s ago$/);

		r = await adm.get('/health/deep');
		assert.equal(r.status, 200);
		const ds = JSON.parse(r.text).daemons;
		assert.equal(ds.length, 2);
		const j1 = ds.find((x) => x.id === d1);
		const j2 = ds.find((x) => x.id === d2);
		assert.equal(typeof j1.started_at, 'string');
		delete j1.started_at;
		assert.deepEqual(j1, { id: d1, hostname: 'fleet-a', pid: 101,
		    sessions: 1, capacity: 5000, heartbeat_age_s: 0,
		    alive: true, draining: false, takeovers: 3,
		    lease_losses: 1 });
		assert.equal(j2.hostname, 'fleet"b');
		assert.equal(j2.sessions, 0);
		assert.equal(j2.draining, true);
		assert.equal(j2.alive, true);

		r = await fresh(new Browser('fleet-metrics'), '/metrics');
		assert.equal(r.status, 200);
		const val = (name, id, host) => {
			const line = r.text.split('\n').find((l) =>
			    l.startsWith(`${name}{daemon="${id}",host="${host}"} `));
			assert.ok(line, `no ${name} for daemon ${id}`);
			return Number(line.split(' ')[1]);
		};
		assert.equal(val('wadesk_daemon_sessions', d1, 'fleet-a'), 1);
		assert.equal(val('wadesk_daemon_capacity', d1, 'fleet-a'), 5000);
		assert.equal(val('wadesk_daemon_takeovers_total', d1,
		    'fleet-a'), 3);
		assert.equal(val('wadesk_daemon_lease_losses_total', d1,
		    'fleet-a'), 1);
		assert.equal(val('wadesk_daemon_sessions', d2, 'fleet\\"b'), 0);
		assert.equal(val('wadesk_daemon_capacity', d2, 'fleet\\"b'),
		    100);
		assert.match(r.text, /^# TYPE wadesk_daemon_takeovers_total counter$/m);

		r = await adm.get(`/accounts/${held}`);
		assert.equal(r.status, 200);
		assert.match(r.text, new RegExp(`<dd id="owner">daemon ${d1} ` +
		    'on fleet-a \\(pid 101\\)</dd>'));
		r = await adm.get(`/accounts/${lapsed}`);
		assert.match(r.text, /<dd id="owner">none \(no session daemon holds this account now\)<\/dd>/);
	} finally {
		await q('DELETE FROM accounts WHERE id IN ($1, $2)',
		    [held, lapsed]);
		await heartbeat(0);
	}
});

check('integ-admin-operators', async () => {
	let r = await adm.get('/settings/operators');
	assert.equal(r.status, 200);
	assert.match(r.text, /<tr><td>admin<\/td><td>admin<\/td><td>active/);
	const aliceId = await addOperator('alice', 'alice-pass-1');
	const row = await one('SELECT role, disabled, password_hash FROM ' +
	    'operators WHERE id = $1', [aliceId]);
	assert.equal(row.role, 'operator');
	assert.equal(row.disabled, false);
	assert.match(row.password_hash, /^\$argon2id\$/);
	r = await adm.get('/settings/operators?notice=saved');
	assert.match(r.text, /<tr><td>alice<\/td><td>operator<\/td><td>active/);
	assert.match(r.text, /Saved\./);
	const nops = (await counts()).operators;
	r = await adm.postc('/settings/operators', { username: 'alice',
	    password: 'another-pass', role: 'operator' });
	assert.equal(r.status, 409, 'duplicate username');
	assert.match(r.text, /That username is taken/);
	for (const [f, why] of [
	    [{ username: 'bad name', password: 'long-enough', role: 'operator' },
	     'blank in username'],
	    [{ username: 'x'.repeat(65), password: 'long-enough',
	     role: 'operator' }, 'long username'],
	    [{ username: '', password: 'long-enough', role: 'operator' },
	     'empty username'],
	    [{ username: 'bob<b>', password: 'long-enough', role: 'operator' },
	     'markup in username'],
	    [{ username: 'shortpw', password: 'short', role: 'operator' },
	     'short password'],
	    [{ username: 'longpw', password: 'p'.repeat(257), role: 'operator' },
	     'long password'],
	    [{ username: 'nopw', role: 'operator' }, 'no password'],
	    [{ username: 'badrole', password: 'long-enough', role: 'root' },
	     'bad role'],
	    [{ username: 'norole', password: 'long-enough' }, 'no role']]) {
		r = await adm.postc('/settings/operators', f);
		assert.equal(r.status, 422, why);
		assert.ok(!r.text.includes('<b>'), 'unescaped username');
	}
	assert.equal((await counts()).operators, nops, 'refused add changed');

	/* Alice sees only her accounts; the admin sees all. */
	const alice = new Browser('alice');
	await alice.signIn('alice', 'alice-pass-1');
	r = await alice.get('/');
	assert.ok(!/href="\/settings\/operators">Operators</.test(r.text),
	    'operator sees the admin link');
	assert.equal((await alice.get('/settings/operators')).status, 403);
	assert.equal((await alice.postc('/settings/operators',
	    { username: 'mallory', password: 'mallory-pass', role: 'admin' }))
	    .status, 403);
	assert.equal((await alice.postc(`/settings/operators/${aliceId}/password`,
	    { password: 'self-reset-1' })).status, 403);
	assert.equal((await alice.postc(`/settings/operators/${admId}/disable`,
	    { value: '1' })).status, 403);
	assert.equal((await counts()).operators, nops);
	const mine = await createAccount(alice, 'alice account');
	const theirs = await createAccount(adm, 'admin account');
	r = await alice.get('/accounts');
	assert.deepEqual(listIds(r.text), [mine]);
	assert.equal(listTotal(r.text), 1);
	assert.match(r.text, /<td>alice<\/td>/);
	assert.equal((await alice.get(`/accounts/${theirs}`)).status, 404);
	r = await alice.get('/');
	assert.match(r.text, /<span class="n">1<\/span> All accounts/);
	assert.ok(!r.text.includes('admin account'), 'foreign event shown');
	r = await adm.get(`/accounts/${mine}`);
	assert.equal(r.status, 200);
	assert.match(r.text, /<dt>Operator<\/dt><dd>alice<\/dd>/);
	r = await adm.get('/accounts');
	const visible = Number((await one('SELECT count(*) AS n FROM accounts ' +
	    'WHERE deleted_at IS NULL')).n);
	assert.equal(listTotal(r.text), visible);
	r = await adm.get('/');
	assert.match(r.text, new RegExp(`<span class="n">${visible}</span> ` +
	    'All accounts'));

	/* Reset the password: old fails, new works, sessions end. */
	r = await adm.postc(`/settings/operators/${aliceId}/password`,
	    { password: 'short' });
	assert.equal(r.status, 422);
	assert.equal((await alice.get('/')).status, 200, '422 ended session');
	r = await adm.postc(`/settings/operators/${aliceId}/password`,
	    { password: 'alice-pass-2' });
	assert.equal(r.status, 303);
	assert.equal(r.location, '/settings/operators?notice=saved');
	r = await alice.get('/');
	assert.equal(r.status, 303, 'old session survived a reset');
	assert.equal(r.location, '/login');
	assert.equal((await new Browser('a1').login('alice', 'alice-pass-1'))
	    .status, 401);
	await alice.signIn('alice', 'alice-pass-2');
	assert.equal((await adm.postc('/settings/operators/987654/password',
	    { password: 'whatever-1' })).status, 404);

	/* Disable and enable. */
	r = await adm.postc(`/settings/operators/${aliceId}/disable`,
	    { value: '1' });
	assert.equal(r.status, 303);
	assert.equal((await one('SELECT disabled FROM operators WHERE id = $1',
	    [aliceId])).disabled, true);
	r = await alice.get('/accounts');
	assert.equal(r.status, 303, 'disabled operator still signed in');
	assert.equal((await new Browser('a2').login('alice', 'alice-pass-2'))
	    .status, 401);
	r = await adm.get('/settings/operators');
	assert.match(r.text, /<tr><td>alice<\/td><td>operator<\/td><td>disabled/);
	r = await adm.postc(`/settings/operators/${aliceId}/disable`,
	    { value: '0' });
	assert.equal(r.status, 303);
	await alice.signIn('alice', 'alice-pass-2');
	for (const value of ['2', '', 'true'])
		assert.equal((await adm.postc(
		    `/settings/operators/${aliceId}/disable`, { value })).status,
		    422, `disable value ${value}`);
	assert.equal((await adm.postc('/settings/operators/987654/disable',
	    { value: '1' })).status, 404);
	/* An admin cannot disable themself. */
	r = await adm.postc(`/settings/operators/${admId}/disable`,
	    { value: '1' });
	assert.equal(r.status, 409);
	assert.match(r.text, /cannot disable yourself/);
	assert.equal((await adm.get('/')).status, 200);
	assert.equal((await one('SELECT disabled FROM operators WHERE id = $1',
	    [admId])).disabled, false);
	/* A second admin can use the admin pages. */
	const { b: boss } = await newOperator('boss', 'admin');
	assert.equal((await boss.get('/settings/operators')).status, 200);
	assert.equal((await boss.get(`/accounts/${mine}`)).status, 200);
});

check('integ-foreign-account-404', async () => {
	const { b: bob } = await newOperator('bob');
	const { b: carol } = await newOperator('carol');
	const cid = await createAccount(carol, 'carol private');
	assert.equal((await carol.postc(`/accounts/${cid}/pair`)).status, 303);
	await q("UPDATE accounts SET qr_code = 'carol-ref', qr_version = 1 " +
	    'WHERE id = $1', [cid]);
	/* Carol sees all of it. */
	for (const p of ['', '/qr.png', '/status.json', '/events', '/delete'])
		assert.equal((await carol.get(`/accounts/${cid}${p}`)).status,
		    200, `carol GET ${p}`);
	const before = await counts();
	const rowBefore = await one('SELECT * FROM accounts WHERE id = $1',
	    [cid]);
	for (const p of ['', '/qr.png', '/status.json', '/events', '/delete',
	    '/qr.png?download=1']) {
		const r = await bob.get(`/accounts/${cid}${p}`);
		assert.equal(r.status, 404, `bob GET ${p}`);
		assert.ok(!r.text.includes('carol private'), `leak in ${p}`);
	}
	for (const act of ALL_ACTIONS) {
		const r = await bob.postc(`/accounts/${cid}/${act}`,
		    ACTION_FORM[act] || {});
		assert.equal(r.status, 404, `bob POST ${act}`);
	}
	/* cancel-pair fits carol's pending account: still 404 for bob. */
	assert.deepEqual(await counts(), before, 'foreign POST changed state');
	assert.deepEqual(await one('SELECT * FROM accounts WHERE id = $1',
	    [cid]), rowBefore);
	/* Bob's dashboard and list know nothing of it. */
	let r = await bob.get('/');
	assert.ok(!r.text.includes('carol private'));
	r = await bob.get('/accounts?status=pending');
	assert.deepEqual(listIds(r.text), []);
});

check('integ-csrf-403-every-post', async () => {
	const { b: op, id: opId } = await newOperator('csrfop');
	const id = await createAccount(op, 'csrf target');
	assert.equal((await op.postc(`/accounts/${id}/pair`)).status, 303);
	const other = new Browser('other');
	await other.signIn('admin', ADMIN_PW);
	const before = await counts();
	const rowBefore = await one('SELECT * FROM accounts WHERE id = $1',
	    [id]);
	const hashBefore = (await one('SELECT password_hash FROM operators ' +
	    'WHERE id = $1', [opId])).password_hash;
	const posts = [['/logout', {}], ['/accounts', { label: 'forged' }]];
	for (const act of ALL_ACTIONS)
		posts.push([`/accounts/${id}/${act}`, ACTION_FORM[act] || {}]);
	const adminPosts = [['/settings/operators', { username: 'forged',
	    password: 'forged-pass', role: 'admin' }],
	    [`/settings/operators/${opId}/password`, { password: 'forged-pw-1' }],
	    [`/settings/operators/${opId}/disable`, { value: '1' }]];
	const tokens = [['missing', undefined], ['empty', ''],
	    ['random', crypto.randomBytes(32).toString('hex')],
	    ['another session\'s', other.csrf],
	    ['upper-case', op.csrf.toUpperCase()],
	    ['truncated', op.csrf.slice(0, 63)]];
	const adminTokens = tokens.map(([w, t]) => [w,
	    t === other.csrf ? op.csrf : t]);
	for (const [p, f] of posts)
		for (const [why, tok] of tokens) {
			const form = Object.assign({}, f);
			if (tok !== undefined)
				form.csrf = tok;
			const r = await op.post(p, form);
			assert.equal(r.status, 403, `POST ${p} with ${why} token`);
			assertSecurityHeaders(r, `403 ${p}`);
		}
	for (const [p, f] of adminPosts)
		for (const [why, tok] of adminTokens) {
			const form = Object.assign({}, f);
			if (tok !== undefined)
				form.csrf = tok;
			const r = await other.post(p, form);
			assert.equal(r.status, 403, `admin POST ${p} with ${why}`);
		}
	/* A duplicated csrf field: the first counts, a wrong one fails. */
	let r = await op.req('POST', '/accounts', {
		body: `csrf=${'0'.repeat(64)}&csrf=${op.csrf}&label=dup`,
		headers: { 'content-type': 'application/x-www-form-urlencoded' } });
	assert.equal(r.status, 403, 'duplicate csrf field');
	/* Nothing happened: still signed in, no rows, same password. */
	assert.deepEqual(await counts(), before, 'forged POST changed state');
	assert.deepEqual(await one('SELECT * FROM accounts WHERE id = $1',
	    [id]), rowBefore);
	assert.equal((await one('SELECT password_hash FROM operators WHERE ' +
	    'id = $1', [opId])).password_hash, hashBefore);
	assert.equal((await op.get('/')).status, 200);
	/* The non-admin with a valid token: 403 on every admin route. */
	for (const [p, f] of adminPosts)
		assert.equal((await op.postc(p, f)).status, 403, `operator ${p}`);
	assert.equal((await op.get('/settings/operators')).status, 403);
	/* And the real token works. */
	r = await op.postc(`/accounts/${id}/cancel-pair`);
	assert.equal(r.status, 303);
});

check('integ-login-throttle-per-username', async () => {
	await q('DELETE FROM login_failures');
	await addOperator('victim', 'victim-pass-1');
	const b = new Browser('victim');
	for (let i = 0; i < 5; i++) {
		const r = await b.login('victim', `wrong-${i}-password`);
		assert.equal(r.status, 401, `failure ${i + 1}`);
	}
	/* Sixth try, even with the right password: 429. */
	let r = await b.login('victim', 'victim-pass-1');
	assert.equal(r.status, 429);
	assert.match(r.text, /Too many failed sign-ins/);
	assert.ok(!b.jar.has('wadesk_session'));
	assertSecurityHeaders(r, '429');
	/* Other users from the same address are not blocked. */
	const a = new Browser('admin2');
	await a.signIn('admin', ADMIN_PW);
	/* Once the window has passed (failures aged out), it works again. */
	await q("UPDATE login_failures SET at = now() - interval '901 seconds'");
	r = await b.login('victim', 'victim-pass-1');
	assert.equal(r.status, 303);
	assert.equal((await one('SELECT count(*)::int AS n FROM ' +
	    "login_failures WHERE username = 'victim'")).n, 0,
	    'success did not clear the failures');
	await q('DELETE FROM login_failures');
});

check('integ-login-throttle-per-address', async () => {
	await q('DELETE FROM login_failures');
	const b = new Browser('spray');
	/* 20 (WADESK_LOGIN_MAX_ADDR) failures, each for a new username. */
	for (let i = 0; i < 20; i++) {
		const r = await b.login(`spray-${i}`, 'guess-password');
		assert.equal(r.status, 401, `failure ${i + 1}`);
	}
	let r = await b.login('spray-new', 'guess-password');
	assert.equal(r.status, 429);
	assert.match(r.text, /Too many failed sign-ins/);
	/* A forwarding header does not change the address nginx saw. */
	for (const h of ['x-forwarded-for', 'x-real-ip', 'forwarded']) {
		await b.get('/login', { headers: { [h]: '10.9.8.7' } });
		r = await b.post('/login', { csrf: b.jar.get('wadesk_login'),
		    username: 'spray-xff', password: 'guess-password' },
		    { headers: { [h]: h === 'forwarded' ? 'for=10.9.8.7' :
		    '10.9.8.7' } });
		assert.equal(r.status, 429, `with ${h}`);
	}
	/* Even the admin's right password from this address. */
	r = await new Browser('blocked').login('admin', ADMIN_PW);
	assert.equal(r.status, 429);
	assert.ok(!r.cookies.some((c) => c.name === 'wadesk_session'));
	await q('DELETE FROM login_failures');
	r = await new Browser('unblocked').login('admin', ADMIN_PW);
	assert.equal(r.status, 303);
});

check('integ-role-grants', async () => {
	/*
	 * sql/001_schema.sql: the web role (wadesk.fcgi's) inserts commands
	 * but never reads credentials; the daemon role cannot queue
	 * commands or touch sign-ins.
	 */
	const as = async (user, sql) => {
		const c = new (require('pg').Client)({ host: `${VAR}/run`,
		    database: 'wadesk', user });
		await c.connect();
		try {
			await c.query('SET search_path = wadesk');
			await c.query(sql);
			return 'allowed';
		} catch (e) {
			return e.code;
		} finally {
			await c.end();
		}
	};
	const DENIED = '42501';
	for (const [user, sql, want] of [
	    ['wadesk_web', 'SELECT * FROM account_credentials', DENIED],
	    ['wadesk_web', 'DELETE FROM accounts WHERE false', DENIED],
	    ['wadesk_web', 'UPDATE commands SET done_at = now() WHERE false',
	     DENIED],
	    ['wadesk_web', 'DELETE FROM account_events WHERE false', DENIED],
	    ['wadesk_web', "INSERT INTO daemon_instances (hostname, pid) " +
	     "VALUES ('x', 1)", DENIED],
	    ['wadesk_web', 'DELETE FROM operators WHERE false', DENIED],
	    ['wadesk_web', 'CREATE TABLE wadesk.evil (x int)', DENIED],
	    ['wadesk_web', 'SELECT count(*) FROM accounts', 'allowed'],
	    ['wadesk_web', 'SELECT count(*) FROM daemon_instances', 'allowed'],
	    ['wadesk_daemon', "INSERT INTO commands (type) VALUES ('pair')",
	     DENIED],
	    ['wadesk_daemon', 'SELECT * FROM web_sessions', DENIED],
	    ['wadesk_daemon', 'SELECT * FROM login_failures', DENIED],
	    ['wadesk_daemon', 'UPDATE operators SET disabled = false ' +
	     'WHERE false', DENIED],
	    ['wadesk_daemon', 'SELECT count(*) FROM account_credentials',
	     'allowed'],
	    ['wadesk_daemon', 'UPDATE commands SET done_at = done_at ' +
	     'WHERE false', 'allowed']])
		assert.equal(await as(user, sql), want, `${user}: ${sql}`);
});

/* Every same-site href/src of "pages" (for "b"); returns broken ones. */
async function brokenLinks(b, pages) {
	const links = new Map();
	for (const p of pages) {
		const r = await b.get(p);
		assert.equal(r.status, 200, `GET ${p}`);
		for (const m of r.text.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
			const u = m[1].replace(/&amp;/g, '&');
			if (u.startsWith('/') && !u.startsWith('//') &&
			    !links.has(u))
				links.set(u, p);
		}
	}
	const bad = [];
	for (const [u, from] of links) {
		const r = await b.get(u);
		if (r.status !== 200)
			bad.push(`${u} (on ${from}): ${r.status}`);
	}
	return { bad, n: links.size };
}

/* Accounts in several states for "b", so every page variant is drawn. */
async function variedAccounts(b) {
	const ids = [];
	for (const st of ['unpaired', 'pending', 'connected', 'disconnected'])
		ids.push(await createAccount(b, `links ${st}`));
	assert.equal((await b.postc(`/accounts/${ids[1]}/pair`)).status, 303);
	await q("UPDATE accounts SET qr_code = 'links-ref', qr_version = " +
	    'qr_version + 1 WHERE id = $1', [ids[1]]);
	await q("UPDATE accounts SET status = 'connected', phone_number = " +
	    "'15550111' WHERE id = $1", [ids[2]]);
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [ids[3]]);
	const pages = ['/', '/accounts', '/accounts/new',
	    '/accounts?status=pending'];
	for (const id of ids)
		pages.push(`/accounts/${id}`, `/accounts/${id}/events`,
		    `/accounts/${id}/delete`);
	return pages;
}

check('integ-links-resolve-admin', async () => {
	const pages = await variedAccounts(adm);
	pages.push('/settings/operators');
	const { bad, n } = await brokenLinks(adm, pages);
	assert.ok(n >= 20, `only ${n} links found`);
	assert.deepEqual(bad, [], 'links that do not answer 200');
});

check('integ-links-resolve-operator', async () => {
	const { b } = await newOperator('linkop');
	const { bad, n } = await brokenLinks(b, await variedAccounts(b));
	assert.ok(n >= 20, `only ${n} links found`);
	assert.deepEqual(bad, [], 'links that do not answer 200');
});

check('integ-deleted-account-not-linked', async () => {
	/*
	 * Once its delete is queued an account answers 404, so no page may
	 * link to it; the dashboard's recent events still name it as text.
	 */
	const { b } = await newOperator('goneop');
	const id = await createAccount(b, 'soon gone');
	assert.equal((await b.postc(`/accounts/${id}/delete`)).status, 303);
	const r = await b.get('/');
	assert.match(r.text, /delete_requested/);
	assert.ok(r.text.includes('soon gone'), 'label not shown');
	assert.ok(!r.text.includes(`href="/accounts/${id}"`),
	    'the dashboard links a deleted account');
});

check('integ-list-page-beyond-last', async () => {
	/* Past the last page the list still tells the truth. */
	const { b } = await newOperator('beyondop');
	for (let i = 0; i < 3; i++)
		await createAccount(b, `beyond ${i}`);
	const r = await b.get('/accounts?page=2');
	if (r.status === 303) {
		/* A redirect to the last page is a fine answer too. */
		assert.equal(r.location, '/accounts?page=1');
		return;
	}
	if (r.status === 404)
		return;
	assert.equal(r.status, 200);
	assert.deepEqual(listIds(r.text), []);
	assert.equal(listTotal(r.text), 3, 'total on an empty page');
	assert.ok(!/Page 2 of 1</.test(r.text), '"Page 2 of 1"');
});

check('integ-concurrency', async () => {
	const { b } = await newOperator('busyop');
	/* 30 adds at once: 30 rows, 30 distinct ids, 30 "created" events. */
	const ids = await Promise.all(Array.from({ length: 30 },
	    (_, i) => createAccount(b, `busy ${i}`)));
	assert.equal(new Set(ids).size, 30);
	assert.equal((await one('SELECT count(*)::int AS n FROM ' +
	    "account_events WHERE kind = 'created' AND account_id = ANY($1)",
	    [ids])).n, 30);
	/* 12 pairs of one account at once: one wins, the rest are 409. */
	const id = ids[0];
	const codes = (await Promise.all(Array.from({ length: 12 },
	    () => b.postc(`/accounts/${id}/pair`)))).map((r) => r.status)
	    .sort();
	assert.deepEqual(codes, [303, ...Array(11).fill(409)]);
	assert.equal((await one('SELECT count(*)::int AS n FROM commands ' +
	    "WHERE account_id = $1 AND type = 'pair'", [id])).n, 1);
	/*
	 * 100 mixed reads at once: every one answered, none a 5xx.  (Past
	 * the FastCGI socket's listen backlog of 128, nginx answers 502.)
	 */
	const paths = ['/', '/accounts', `/accounts/${id}`,
	    `/accounts/${id}/status.json`, `/accounts/${ids[1]}/events`,
	    '/health', '/metrics'];
	const rs = await Promise.all(Array.from({ length: 100 },
	    (_, i) => b.get(paths[i % paths.length])));
	for (let i = 0; i < rs.length; i++) {
		const p = paths[i % paths.length];
		assert.ok(rs[i].status < 500 || p === '/health',
		    `${p}: ${rs[i].status}`);
		if (p === `/accounts/${id}/status.json`)
			assert.equal(JSON.parse(rs[i].text).status, 'pending');
	}
});

check('integ-wadeskctl', async () => {
	const files = fs.readdirSync(path.join(ROOT, 'sql'))
	    .filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
	assert.ok(files.length >= 1);
	const before = await q('SELECT version, applied_at FROM ' +
	    'schema_migrations ORDER BY version');
	for (let i = 0; i < 2; i++) {
		const r = ctl(['migrate', path.join(ROOT, 'sql')]);
		assert.equal(r.status, 0, `migrate: ${r.stderr}`);
		assert.equal(r.stdout, '', 'migrate re-run printed something');
	}
	const after = await q('SELECT version, applied_at FROM ' +
	    'schema_migrations ORDER BY version');
	assert.deepEqual(after.map((x) => x.version), files);
	assert.deepEqual(after, before, 'migrate re-run changed the records');

	let r = ctl(['operator', 'add', 'cliop'], 'cli-pass-1\n');
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'add cliop\n');
	const o = await one("SELECT id, role, disabled FROM operators WHERE " +
	    "username = 'cliop'");
	assert.equal(o.role, 'operator');
	const cli = new Browser('cliop');
	await cli.signIn('cliop', 'cli-pass-1');
	r = ctl(['operator', 'add', 'cliop'], 'cli-pass-x\n');
	assert.equal(r.status, 1, 'duplicate add succeeded');
	r = ctl(['operator', 'add', 'cliop', '--if-missing'], 'cli-pass-x\n');
	assert.equal(r.status, 0);
	assert.equal(r.stdout, 'exists cliop\n');
	r = ctl(['operator', 'add', 'cliadmin', '--admin'], 'cli-admin-pw\n');
	assert.equal(r.status, 0);
	assert.equal((await one("SELECT role FROM operators WHERE username " +
	    "= 'cliadmin'")).role, 'admin');
	r = ctl(['operator', 'add', 'clishort'], 'short\n');
	assert.equal(r.status, 1, 'short password accepted');
	assert.equal((await q("SELECT 1 FROM operators WHERE username = " +
	    "'clishort'")).length, 0);

	r = ctl(['operator', 'passwd', 'cliop'], 'cli-pass-2\n');
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'passwd cliop\n');
	assert.equal((await new Browser('x').login('cliop', 'cli-pass-1'))
	    .status, 401);
	await new Browser('y').signIn('cliop', 'cli-pass-2');
	r = ctl(['operator', 'passwd', 'nosuchop'], 'cli-pass-2\n');
	assert.equal(r.status, 1);

	r = ctl(['operator', 'disable', 'cliop']);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'disable cliop\n');
	assert.equal((await cli.get('/')).status, 303,
	    'session survived wadeskctl disable');
	assert.equal((await new Browser('z').login('cliop', 'cli-pass-2'))
	    .status, 401);
	r = ctl(['operator', 'enable', 'cliop']);
	assert.equal(r.status, 0);
	await new Browser('w').signIn('cliop', 'cli-pass-2');
	r = ctl(['operator', 'disable', 'nosuchop']);
	assert.equal(r.status, 1);
	r = ctl(['operator']);
	assert.equal(r.status, 2, 'usage error');
	r = ctl(['frobnicate']);
	assert.equal(r.status, 2, 'usage error');
	await q("DELETE FROM login_failures WHERE username = 'cliop'");
});

/* Stop and start the cluster as scripts/pg.sh does it. */
function pgctl(action) {
	const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'pg.sh'),
	    action], { encoding: 'utf8', env: Object.assign({}, process.env,
	    { WADESK_VAR: VAR }) });
	assert.equal(r.status, 0, `pg.sh ${action}: ${r.stderr}`);
}

check('integ-webhook-routes', async () => {
	/*
	 * The /settings/webhooks routes answer (tests/webhook/run.sh tests
	 * them in depth, with the sender delivering).  The stack's
	 * wadesk-webhookd publishes the key secrets are sealed to.
	 */
	await until(async () => (await db.query('SELECT 1 FROM webhook_keys'))
	    .rows.length === 1, 10000, 'webhook_keys');
	let r = await adm.get('/settings/webhooks');
	assert.equal(r.status, 200);
	r = await adm.postc('/settings/webhooks', { url:
	    'http://127.0.0.1:9/hook', event: 'account.status' });
	assert.equal(r.status, 200);
	assert.match(r.text, /id="webhook-secret">whsec_/);
	const ep = (await db.query("SELECT id FROM webhook_endpoints WHERE " +
	    "url = 'http://127.0.0.1:9/hook'")).rows[0].id;
	/* A finished delivery to redeliver, as the sender leaves one. */
	const acc = (await db.query("INSERT INTO accounts (operator_id, label) " +
	    "VALUES ($1, 'hook route') RETURNING id", [admId])).rows[0].id;
	const ev = (await db.query("INSERT INTO webhook_events (account_id, " +
	    "operator_id, kind, payload) VALUES ($1, $2, 'account.status', " +
	    "'{}') RETURNING id", [acc, admId])).rows[0].id;
	const dl = (await db.query("INSERT INTO webhook_deliveries (endpoint_id, " +
	    "event_id, account_id, state, attempts) VALUES ($1, $2, $3, 'dead', " +
	    '5) RETURNING id', [ep, ev, acc])).rows[0].id;
	r = await adm.postc(`/settings/webhooks/${ep}/enable`, { value: '0' });
	assert.equal(r.status, 303);
	r = await adm.get(`/settings/webhooks/${ep}`);
	assert.equal(r.status, 200);
	assert.match(r.text, /data-state="dead"/);
	r = await adm.postc(`/settings/webhooks/deliveries/${dl}/redeliver`);
	assert.equal(r.status, 303);
	r = await adm.postc(`/settings/webhooks/${ep}/delete`);
	assert.equal(r.status, 303);
	await db.query('DELETE FROM accounts WHERE id = $1', [acc]);
});

check('integ-database-outage', async () => {
	await heartbeat(0);
	const b = new Browser('outage');
	await b.signIn('admin', ADMIN_PW);
	await db.end();
	db = null;
	try {
		pgctl('stop');
		let r = await fresh(b);
		assert.equal(r.status, 503);
		const h = JSON.parse(r.text);
		assert.equal(h.status, 'error');
		assert.equal(h.database, 'unreachable');
		for (const p of ['/', '/accounts', '/accounts/new']) {
			r = await b.get(p);
			assert.equal(r.status, 503, `GET ${p} with the database down`);
			assert.match(r.text, /The database is unavailable/);
			assertSecurityHeaders(r, `503 ${p}`);
		}
		r = await b.postc('/accounts', { label: 'during outage' });
		assert.equal(r.status, 503);
		r = await new Browser('o2').login('admin', ADMIN_PW);
		assert.equal(r.status, 503, 'sign-in with the database down');
		r = await fresh(b, '/metrics');
		assert.equal(r.status, 200);
		assert.match(r.text, /^wadesk_database_up 0$/m);
	} finally {
		pgctl('start');
		db = await dbConnect();
	}
	/*
	 * The program reconnects on its own: soon every answer is 200 again
	 * (a stale connection's one 503 is integ-database-restart-no-503's).
	 */
	await until(async () => {
		for (let i = 0; i < 8; i++)
			if ((await b.get('/accounts')).status !== 200)
				return false;
		return true;
	}, 15000, 'recovery after the outage');
	await until(async () => /^wadesk_database_up 1$/m.test(
	    (await b.get('/metrics')).text), 5000, 'wadesk_database_up 1');
});

check('integ-database-restart-no-503', async () => {
	/*
	 * A restart between requests (no request sees the database down)
	 * must not cost a 503: every worker's connection is stale then,
	 * and libpq reports it only when a query fails.
	 */
	await heartbeat(0);
	const b = new Browser('restart');
	await b.signIn('admin', ADMIN_PW);
	for (let i = 0; i < 8; i++)
		assert.equal((await b.get('/accounts')).status, 200);
	await db.end();
	db = null;
	try {
		pgctl('stop');
	} finally {
		pgctl('start');
		db = await dbConnect();
	}
	const codes = [];
	for (let i = 0; i < 8; i++)
		codes.push((await b.get('/accounts')).status);
	assert.deepEqual(codes, Array(8).fill(200),
	    'answers right after a database restart');
});

check('integ-api-keys-page', async () => {
	/* The settings page of issue 13 (tests/integration/api.test.js
	 * covers the API itself): list, create (shown once), revoke. */
	let r = await adm.get('/settings/api-keys');
	assert.equal(r.status, 200);
	r = await adm.postc('/settings/api-keys', { name: 'web check',
	    scope: 'accounts:read' });
	assert.equal(r.status, 200);
	const m = /<code class="apikey">wdk_([0-9a-f]{12})_[0-9a-f]{64}<\/code>/
	    .exec(r.text);
	assert.ok(m, 'new key not shown');
	const row = await one('SELECT id FROM api_keys WHERE prefix = $1',
	    [m[1]]);
	r = await adm.postc(`/settings/api-keys/${row.id}/revoke`);
	assert.equal(r.status, 303);
	assert.equal(r.location, '/settings/api-keys?notice=revoked');
	assert.ok((await one('SELECT revoked_at FROM api_keys WHERE id = $1',
	    [row.id])).revoked_at !== null);
});

check('integ-profile-timezone-and-password', async () => {
	/* Your settings (cgi/page_profile.c): any operator sets their own
	 * time zone (the one a new reminder starts in) and changes their
	 * own password with the current one; the other sessions end. */
	const { b, id, pw } = await newOperator('pat');
	const other = new Browser('pat-2');
	await other.signIn('pat', pw);
	let r = await b.get('/');
	assert.match(r.text, /<a class="who" href="\/settings\/profile" title="Your settings">pat<\/a>/);
	r = await b.get('/settings/profile');
	assert.equal(r.status, 200);
	assert.match(r.text, /<dt>Username<\/dt><dd>pat<\/dd>/);
	assert.match(r.text, /<dt>Role<\/dt><dd>operator<\/dd>/);
	assert.match(r.text, /name="tz" value="UTC"/);

	/* Unknown or hostile zones: 422, a sentence, nothing stored. */
	for (const tz of ['Mars/Olympus_Mons', '', '"><script>x</script>',
	    'Europe/' + 'x'.repeat(80)]) {
		r = await b.postc('/settings/profile/timezone', { tz });
		assert.equal(r.status, 422, `zone ${JSON.stringify(tz)}`);
		assert.match(r.text, /not a time zone this server knows/);
		assert.ok(!r.text.includes('<script>x'), 'unescaped zone');
	}
	assert.equal((await one('SELECT timezone FROM operators WHERE id = $1',
	    [id])).timezone, 'UTC');
	r = await b.postc('/settings/profile/timezone', { tz: 'Europe/Berlin' });
	assert.equal(r.status, 303);
	assert.equal(r.location, '/settings/profile?notice=saved');
	assert.equal((await one('SELECT timezone FROM operators WHERE id = $1',
	    [id])).timezone, 'Europe/Berlin');
	r = await b.get('/settings/profile?notice=saved');
	assert.match(r.text, /name="tz" value="Europe\/Berlin"/);
	assert.match(r.text, /Saved\./);
	r = await b.get('/reminders/new');
	assert.equal(r.status, 200);
	assert.match(r.text, /name="tz" value="Europe\/Berlin"/,
	    'a new reminder does not start in the operator\'s zone');
	/* Another operator's zone is untouched. */
	assert.equal((await one('SELECT timezone FROM operators WHERE id = $1',
	    [admId])).timezone, 'UTC');

	/* Password: each refusal changes nothing and keeps both sessions. */
	const hash0 = (await one('SELECT password_hash FROM operators ' +
	    'WHERE id = $1', [id])).password_hash;
	for (const [f, code, re] of [
	    [{ current: pw, password: 'short', confirm: 'short' }, 422,
	     /8 to 256 characters/],
	    [{ current: pw, password: 'pat-new-pass', confirm: 'pat-new-pas' },
	     422, /two new passwords differ/],
	    [{ current: 'not-her-password', password: 'pat-new-pass',
	     confirm: 'pat-new-pass' }, 403, /current password is wrong/],
	    [{ password: 'pat-new-pass', confirm: 'pat-new-pass' }, 403,
	     /current password is wrong/]]) {
		r = await b.postc('/settings/profile/password', f);
		assert.equal(r.status, code, JSON.stringify(f));
		assert.match(r.text, re);
	}
	assert.equal((await one('SELECT password_hash FROM operators ' +
	    'WHERE id = $1', [id])).password_hash, hash0);
	assert.equal((await other.get('/')).status, 200);
	assert.equal(Number((await one("SELECT count(*) AS n FROM " +
	    "login_failures WHERE username = 'pat'")).n), 2,
	    'wrong current passwords are not counted');

	r = await b.postc('/settings/profile/password', { current: pw,
	    password: 'pat-new-pass', confirm: 'pat-new-pass' });
	assert.equal(r.status, 303);
	assert.equal(r.location, '/settings/profile?notice=saved');
	assert.equal((await b.get('/')).status, 200, 'this session ended');
	r = await other.get('/');
	assert.equal(r.status, 303, 'the other session survived');
	assert.equal(r.location, '/login');
	assert.equal((await new Browser('p1').login('pat', pw)).status, 401);
	await new Browser('p2').signIn('pat', 'pat-new-pass');

	/* Guessing is throttled like sign-in, even with the right one. */
	let n = 0;
	do {
		r = await b.postc('/settings/profile/password', {
		    current: `guess-${n}`, password: 'pat-guessed-1',
		    confirm: 'pat-guessed-1' });
		n++;
	} while (r.status === 403 && n < 50);
	assert.equal(r.status, 429, `after ${n} wrong guesses`);
	assert.match(r.text, /Too many wrong passwords/);
	r = await b.postc('/settings/profile/password', {
	    current: 'pat-new-pass', password: 'pat-guessed-1',
	    confirm: 'pat-guessed-1' });
	assert.equal(r.status, 429, 'the right password got past the throttle');
	await q("DELETE FROM login_failures WHERE username = 'pat'");
	await new Browser('p3').signIn('pat', 'pat-new-pass');
});

check('integ-every-route-and-code', async () => {
	/* Every (method, pattern) of cgi/route.c answered by its handler. */
	const table = routeTable();
	assert.ok(table.length >= 28, `only ${table.length} routes parsed`);
	for (const [method, pattern] of table) {
		const re = patternRe(pattern);
		const hits = seen.filter(([m, p, st]) => (m === method ||
		    (method === 'GET' && m === 'HEAD')) && re.test(p) &&
		    st !== 404 && st !== 405);
		assert.ok(hits.length > 0, `${method} ${pattern} never reached`);
		assert.ok(hits.some(([, , st]) => st >= 200 && st < 400),
		    `${method} ${pattern} never succeeded`);
	}
	/* ... and counted by the program under its pattern. */
	const r = await adm.get('/metrics');
	for (const [, pattern] of table)
		assert.ok(r.text.includes(`route="${pattern}"`),
		    `metrics lack ${pattern}`);
	/* wadesk.fcgi is the process the stack started: it never died. */
	const pid = Number(fs.readFileSync(path.join(VAR, 'run', 'fcgi.pid'),
	    'utf8'));
	assert.doesNotThrow(() => process.kill(pid, 0), 'wadesk.fcgi died');
	const codes = new Set(seen.map((s) => s[2]));
	for (const c of [200, 303, 400, 401, 403, 404, 405, 409, 413, 415,
	    422, 429, 503])
		assert.ok(codes.has(c), `status ${c} never seen`);
});

async function main() {
	db = await dbConnect();
	const failed = await runChecks(checks, process.argv[2]);
	if (db !== null)
		await db.end();
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log('FAIL integ-runner');
	console.log(String(e.stack || e));
	process.exitCode = 1;
});
