'use strict';
/*
 * Issue 12's web tier, run by tests/integration/upstream.sh: two
 * wadesk.fcgi behind one nginx upstream (WADESK_URL), each also
 * reachable alone (UPSTREAM_ONE, UPSTREAM_TWO).  Everything the
 * program keeps is in PostgreSQL, so a session and its CSRF token made
 * by one instance work on the other.  Each instance's own request
 * counters (/metrics, wadesk_http_requests_total, per process) show
 * which one answered.
 */
const assert = require('node:assert/strict');
const { cookieParse, formCsrf, dbConnect, sleep, runChecks } =
    require('./lib.js');

const BOTH = process.env.WADESK_URL.replace(/\/$/, '');
const ONE = process.env.UPSTREAM_ONE;
const TWO = process.env.UPSTREAM_TWO;
const PW = process.env.WADESK_ADMIN_PASSWORD;

/* One cookie jar, any base URL. */
const jar = new Map();
async function req(base, method, path, form) {
	const h = {};
	if (jar.size > 0)
		h.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
	let body;
	if (form !== undefined) {
		body = new URLSearchParams(form).toString();
		h['content-type'] = 'application/x-www-form-urlencoded';
	}
	const r = await fetch(base + path, { method, headers: h, body,
	    redirect: 'manual' });
	for (const sc of r.headers.getSetCookie()) {
		const c = cookieParse(sc);
		if (c.attrs['max-age'] === '0' || c.value === '')
			jar.delete(c.name);
		else
			jar.set(c.name, c.value);
	}
	return { status: r.status, text: await r.text(),
	    location: r.headers.get('location') };
}

/* The instance's count of 200 answers on route "/" (its own process). */
async function served(base) {
	const r = await fetch(base + '/metrics');
	assert.equal(r.status, 200);
	const m = /^wadesk_http_requests_total\{route="\/",code="200"\} (\d+)$/m
	    .exec(await r.text());
	return m ? Number(m[1]) : 0;
}

const st = {};
const checks = [
	['upstream-setup', async () => {
		st.db = await dbConnect();
	}],
	['upstream-sign-in-on-one-use-on-two', async () => {
		const two0 = await served(TWO);
		let r = await req(ONE, 'GET', '/login');
		assert.equal(r.status, 200);
		r = await req(ONE, 'POST', '/login', { csrf: formCsrf(r.text),
		    username: 'admin', password: PW });
		assert.equal(r.status, 303, r.text.slice(0, 200));
		assert.ok(jar.has('wadesk_session'), 'no session cookie');
		r = await req(ONE, 'GET', '/');
		assert.equal(r.status, 200);
		st.csrf = formCsrf(r.text);
		/* The other instance knows the session... */
		r = await req(TWO, 'GET', '/');
		assert.equal(r.status, 200);
		assert.match(r.text, /<h1>Dashboard<\/h1>/);
		assert.equal(await served(TWO), two0 + 1,
		    'the second instance did not serve the dashboard');
		/* ...and the CSRF token the first one issued. */
		r = await req(TWO, 'POST', '/accounts', { csrf: st.csrf,
		    label: 'made on two' });
		assert.equal(r.status, 303, r.text.slice(0, 200));
		const m = /^\/accounts\/(\d+)/.exec(r.location || '');
		assert.ok(m, `redirect ${r.location}`);
		st.id = Number(m[1]);
		r = await req(ONE, 'GET', `/accounts/${st.id}`);
		assert.equal(r.status, 200);
		assert.match(r.text, /made on two/);
		/* A wrong token is refused on either. */
		r = await req(TWO, 'POST', '/accounts', { csrf: '0'.repeat(64),
		    label: 'forged' });
		assert.equal(r.status, 403);
	}],
	['upstream-spreads-over-both', async () => {
		const a0 = await served(ONE), b0 = await served(TWO);
		for (let i = 0; i < 20; i++)
			assert.equal((await req(BOTH, 'GET', '/')).status, 200);
		const a = await served(ONE) - a0, b = await served(TWO) - b0;
		console.log(`# 20 dashboards through the upstream: ${a} on one, ` +
		    `${b} on two`);
		assert.equal(a + b, 20);
		assert.ok(a > 0 && b > 0, `one instance served all (${a}, ${b})`);
	}],
	['upstream-one-instance-stopped', async () => {
		process.kill(Number(process.env.FCGI2_PID), 'SIGTERM');
		for (let i = 0; i < 100; i++) {
			try {
				process.kill(Number(process.env.FCGI2_PID), 0);
			} catch (e) {
				break;
			}
			await sleep(100);
		}
		for (let i = 0; i < 10; i++) {
			const r = await req(BOTH, 'GET', `/accounts/${st.id}`);
			assert.equal(r.status, 200, `request ${i}: ${r.status}`);
			assert.match(r.text, /made on two/);
		}
		const r = await req(BOTH, 'POST', `/accounts/${st.id}/rename`,
		    { csrf: st.csrf, label: 'renamed via the upstream' });
		assert.equal(r.status, 303);
		const row = await st.db.query('SELECT label FROM accounts ' +
		    'WHERE id = $1', [st.id]);
		assert.equal(row.rows[0].label, 'renamed via the upstream');
	}],
];

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (st.db)
			await st.db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
