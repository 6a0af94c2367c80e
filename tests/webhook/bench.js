'use strict';
/*
 * The webhook figures of issue 13 (tests/webhook/bench.sh starts the
 * stack and the sender): a loopback receiver (Node's http, keep-alive)
 * checks every request's signature with Node's own HMAC, and two runs
 * are measured against it.
 *
 *   backlog   ACCOUNTS accounts (BENCH_HOOK_ACCOUNTS, default "100
 *             1000": one run each) get BENCH_HOOK_EVENTS status changes
 *             (default 5,000) in ONE transaction, so the whole backlog
 *             appears at once; the figure is deliveries / (the last
 *             request received - the COMMIT returned), deliveries/s,
 *             with the CPU time the sender, PostgreSQL (autovacuum
 *             included) and this process (receiver) used meanwhile,
 *             per delivery: on a shared machine a steadier figure of
 *             where the time goes than the wall clock.
 *   steady    BENCH_HOOK_RATE status changes a second (default 200) for
 *             BENCH_HOOK_SECONDS (default 10), each its own transaction,
 *             round robin over 100 accounts (of 4 operators, through 4
 *             connections: steadyAccounts() says why); the figure is,
 *             per event, the time from its COMMIT returning to this
 *             process (the emitting transaction is durable then) to
 *             the receiver having read the whole request, p50 and p99.
 *             The same process keeps both clocks (performance.now()),
 *             so there is no clock skew.  The line below gives the time
 *             from the body's created_at (clock_timestamp() in the
 *             trigger, just before the commit's fsync) for comparison.
 *
 * A broken measurement fails (exit 1): a delivery missing or arriving
 * out of order for its account, a bad signature, a non-delivered row.
 * Missing a target is only printed.
 */
const crypto = require('node:crypto');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const fs = require('node:fs');
const path = require('node:path');
const { Browser, VAR, dbConnect, until, sleep } = require('../integration/lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
const EVENTS = Number(process.env.BENCH_HOOK_EVENTS || 5000);
const ACCS = (process.env.BENCH_HOOK_ACCOUNTS || '100 1000').trim()
    .split(/\s+/).map(Number);
const RATE = Number(process.env.BENCH_HOOK_RATE || 200);
const SECS = Number(process.env.BENCH_HOOK_SECONDS || 10);
const STEADY_ACCS = 100;
const POOL = 4;		/* connections (and operators) of the steady run */
const T_RATE = 1000;	/* deliveries/s */
const T_P99 = 500;	/* ms */
/* The cycle every account's status goes through; a transition into
 * each "to" is one account.status event. */
const CYCLE = ['connecting', 'connected', 'disconnected'];

let problems = 0;
function problem(s) {
	problems++;
	if (problems <= 20)
		console.log(`bench_hook: BROKEN: ${s}`);
}

/* The receiver: answers 200 at once and keeps, per account, the events
 * in arrival order (first arrival of each event id only). */
class Receiver {
	constructor() {
		this.secret = null;
		this.reset();
	}

	reset() {
		this.byAcc = new Map();	/* account -> [{to, from, at, created}] */
		this.seen = new Set();
		this.n = 0;
		this.dups = 0;
		this.last = 0;
	}

	start() {
		this.srv = http.createServer({ keepAliveTimeout: 60000 },
		    (req, res) => {
			const chunks = [];
			req.on('data', (c) => chunks.push(c));
			req.on('end', () => {
				const at = performance.now();
				res.writeHead(200, { 'content-type': 'text/plain' });
				res.end('ok');
				this.got(req.headers, Buffer.concat(chunks)
				    .toString('utf8'), at);
			});
		});
		return new Promise((ok) => this.srv.listen(0, '127.0.0.1', () => {
			this.url = `http://127.0.0.1:${this.srv.address().port}/bench`;
			ok();
		}));
	}

	got(h, body, at) {
		if (!verify(this.secret, h, body)) {
			problem('a request with a bad signature');
			return;
		}
		let j;
		try {
			j = JSON.parse(body);
		} catch (e) {
			problem('a body that is not JSON');
			return;
		}
		if (j.id !== h['x-wadesk-event-id'])
			problem('X-Wadesk-Event-Id is not the body\'s id');
		if (this.seen.has(j.id)) {
			this.dups++;	/* at least once: legal, counted */
			return;
		}
		this.seen.add(j.id);
		this.n++;
		this.last = at;
		let v = this.byAcc.get(j.account_id);
		if (v === undefined)
			this.byAcc.set(j.account_id, v = []);
		v.push({ from: j.data.from, to: j.data.to, at,
		    created: Date.parse(j.created_at) });
	}

	stop() { this.srv.closeAllConnections(); this.srv.close(); }
}

/* README.md "Verifying a signature". */
function verify(secret, h, body) {
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(h['x-wadesk-signature'] ||
	    '');
	if (secret === null || !m || Math.abs(Date.now() / 1000 - Number(m[1]))
	    > 300)
		return false;
	const want = crypto.createHmac('sha256', secret).update(`${m[1]}.${body}`)
	    .digest();
	return crypto.timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

function pct(v, p) {
	const s = [...v].sort((a, b) => a - b);
	return s.length === 0 ? NaN : s[Math.min(s.length - 1,
	    Math.floor(s.length * p))];
}

function loadavg() {
	return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3)
	    .join(' ');
}

/* CPU time (user + system, ms) process "pid" used so far. */
function cpuMs(pid) {
	let f;
	try {
		f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch (e) {
		return 0;	/* ended meanwhile */
	}
	const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
	/* Fields 14 and 15 of proc(5), utime and stime, in clock ticks
	 * (100 a second on Linux). */
	return (Number(v[11]) + Number(v[12])) * 10;
}

/* The CPU time so far of the sender, of PostgreSQL (the postmaster
 * and its children: the backends, the WAL writer...) and of this
 * process (the receiver and the load), ms: where the time goes, in a
 * form the other loads of a shared machine disturb less than wall
 * time. */
function cpuNow() {
	const sender = fs.readFileSync(path.join(VAR, 'run', 'webhookd.pid'),
	    'utf8').trim();
	const pm = fs.readFileSync(path.join(VAR, 'pg', 'data', 'postmaster.pid'),
	    'utf8').split('\n')[0].trim();
	let pg = cpuMs(pm);
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d))
			continue;
		let st;
		try {
			st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
		} catch (e) {
			continue;
		}
		if (st.slice(st.lastIndexOf(')') + 2).split(' ')[1] === pm)
			pg += cpuMs(d);
	}
	const me = process.cpuUsage();
	return { sender: cpuMs(sender), pg, me: (me.user + me.system) / 1000 };
}

function cpuSince(c0, n) {
	const c = cpuNow();
	const f = (k) => `${k === 'me' ? 'receiver and load' : k === 'pg' ?
	    'PostgreSQL' : 'sender'} ${Math.round(c[k] - c0[k])} ms ` +
	    `(${Math.round((c[k] - c0[k]) * 1000 / n)} us each)`;
	return `CPU: ${f('sender')}, ${f('pg')}, ${f('me')}`;
}

/* "n" fresh accounts of operator "op", status 'pending'; their own
 * first events (the insert is a transition too) are received before
 * this returns, and then forgotten. */
async function accounts(db, op, n, tag) {
	recv.reset();
	const ids = (await db.query("INSERT INTO accounts (operator_id, label, " +
	    "status) SELECT $1, $2 || g, 'pending' FROM generate_series(1, $3) " +
	    'g RETURNING id', [op, tag, n])).rows.map((r) => Number(r.id));
	await until(() => recv.n >= n || problems > 0, 60000,
	    `the ${n} new accounts' events`);
	await sleep(100);
	recv.reset();
	return ids;
}

/* Every account of "want" (account -> list of "to") got its events, in
 * order; every delivery row of the endpoint is delivered. */
async function checkAll(db, ep, want, label) {
	for (const [acc, tos] of want) {
		const got = (recv.byAcc.get(acc) || []).map((g) => g.to);
		if (got.length !== tos.length)
			problem(`${label}: account ${acc} got ${got.length} of ` +
			    `${tos.length} events`);
		else if (got.some((t, i) => t !== tos[i]))
			problem(`${label}: account ${acc}'s events out of order`);
	}
	const r = (await db.query("SELECT count(*) FILTER (WHERE state <> " +
	    "'delivered')::int AS bad FROM webhook_deliveries WHERE " +
	    '$1::bigint IS NULL OR endpoint_id = $1', [ep])).rows[0];
	if (r.bad !== 0)
		problem(`${label}: ${r.bad} deliveries not delivered`);
}

let recv;
let benchEp;

async function backlog(db, ep, op, nacc) {
	const ids = await accounts(db, op, nacc, `backlog ${nacc} `);
	const rounds = Math.ceil(EVENTS / nacc);
	const want = new Map(ids.map((id) => [id, []]));
	await db.query('BEGIN');
	for (let r = 0; r < rounds; r++) {
		const left = EVENTS - r * nacc;
		const part = left >= nacc ? ids : ids.slice(0, left);
		const to = CYCLE[r % CYCLE.length];
		await db.query('UPDATE accounts SET status = $2 WHERE id = ' +
		    'ANY ($1::bigint[])', [part, to]);
		for (const id of part)
			want.get(id).push(to);
	}
	await db.query('COMMIT');
	const t0 = performance.now();
	/* After the COMMIT: its deferred triggers wrote the outbox. */
	const cpu0 = cpuNow();
	await until(() => recv.n >= EVENTS || problems > 0, 120000,
	    `${EVENTS} deliveries`);
	const ms = recv.last - t0;
	const cpu = cpuSince(cpu0, EVENTS);
	await sleep(200);	/* late duplicates, if any */
	await checkAll(db, ep, want, `backlog over ${nacc}`);
	if (problems > 0)
		return;
	const rate = EVENTS * 1000 / ms;
	console.log(row(`backlog ${EVENTS} events / ${nacc} accounts`,
	    `${Math.round(rate)}/s`, `${Math.round(ms)} ms`, recv.dups,
	    `>= ${T_RATE}/s: ${rate >= T_RATE ? 'met' : 'MISSED'}`));
	console.log(`  (${cpu}; from the COMMIT returning)`);
}

/*
 * The steady run's accounts: STEADY_ACCS over POOL operators of their
 * own, each with a copy of the bench endpoint (the same URL and sealed
 * secret), so that each of the POOL connections changes the accounts of
 * one operator only.  (Concurrent status changes of one operator's
 * accounts can deadlock on its account_counts rows, sql/003, when one
 * goes a -> b while another goes b -> a.)  Returns [[account, pool
 * index], ...], interleaved.
 */
async function steadyAccounts(db, ep) {
	const per = [];
	for (let k = 0; k < POOL; k++) {
		const op = Number((await db.query('INSERT INTO operators (username, ' +
		    "password_hash) VALUES ($1, '!') RETURNING id",
		    [`hookbench${k}`])).rows[0].id);
		await db.query('INSERT INTO webhook_endpoints (operator_id, url, ' +
		    'events, secret_sealed, public_key, secret_hint) SELECT $1, url, ' +
		    'events, secret_sealed, public_key, secret_hint FROM ' +
		    'webhook_endpoints WHERE id = $2', [op, ep]);
		per.push(await accounts(db, op, STEADY_ACCS / POOL, `steady ${k} `));
	}
	const all = [];
	for (let i = 0; i < STEADY_ACCS / POOL; i++)
		for (let k = 0; k < POOL; k++)
			all.push([per[k][i], k]);
	return all;
}

async function steady(db) {
	const all = await steadyAccounts(db, benchEp);
	const ids = all.map((a) => a[0]);
	const want = new Map(ids.map((id) => [id, []]));
	const committed = new Map(ids.map((id) => [id, []]));
	const total = RATE * SECS;
	const pool = [];
	for (let i = 0; i < POOL; i++)
		pool.push(await dbConnect());
	const t0 = performance.now();
	let late = 0;
	const inflight = [];
	for (let i = 0; i < total; i++) {
		const due = t0 + i * 1000 / RATE;
		const now = performance.now();
		if (due > now)
			await sleep(due - now);
		else if (now - due > 100)
			late++;
		const [acc, k] = all[i % all.length];
		const to = CYCLE[Math.floor(i / all.length) % CYCLE.length];
		want.get(acc).push(to);
		/* An account's changes all go through one connection, which
		 * runs them one after the other: commit order per account is
		 * issue order. */
		const c = pool[k];
		inflight.push(c.query('UPDATE accounts SET status = $2 WHERE ' +
		    'id = $1', [acc, to]).then(() =>
		    committed.get(acc).push(performance.now())));
	}
	await Promise.all(inflight);
	const gen = performance.now() - t0;
	await until(() => recv.n >= total || problems > 0, 60000,
	    `${total} deliveries`);
	await sleep(200);
	await checkAll(db, null, want, 'steady');
	for (const c of pool)
		await c.end();
	if (problems > 0)
		return;
	const lat = [], latc = [];
	for (const acc of ids) {
		const g = recv.byAcc.get(acc) || [];
		const c = committed.get(acc);
		for (let k = 0; k < g.length && k < c.length; k++) {
			lat.push(g[k].at - c[k]);
			/* performance.timeOrigin maps the monotonic clock to
			 * wall time for created_at. */
			latc.push(performance.timeOrigin + g[k].at - g[k].created);
		}
	}
	const p50 = pct(lat, 0.5), p99 = pct(lat, 0.99);
	console.log(row(`steady ${RATE}/s x ${SECS} s / ${STEADY_ACCS} accounts`,
	    `p50 ${p50.toFixed(1)}`, `p99 ${p99.toFixed(1)} ms`, recv.dups,
	    `p99 < ${T_P99} ms: ${p99 < T_P99 ? 'met' : 'MISSED'}`));
	console.log(`  (from the COMMIT returning; from the body's created_at: ` +
	    `p50 ${pct(latc, 0.5).toFixed(1)} ms, p99 ${pct(latc, 0.99).toFixed(1)}` +
	    ` ms, max ${pct(latc, 1).toFixed(1)} ms; events issued in ` +
	    `${Math.round(gen)} ms, ${late} more than 100 ms late)`);
}

function row(a, b, c, d, e) {
	return `${a.padEnd(40)} ${String(b).padStart(10)} ${String(c)
	    .padStart(13)} ${String(d).padStart(5)}  ${e}`;
}

async function main() {
	const db = await dbConnect();
	recv = new Receiver();
	await recv.start();
	const adm = new Browser('admin');
	await adm.signIn('admin', ADMIN_PW);
	await until(async () => (await db.query('SELECT 1 FROM webhook_keys'))
	    .rows.length === 1, 10000, 'the sender\'s key');
	const form = new URLSearchParams({ csrf: adm.csrf, url: recv.url,
	    event: 'account.status', account: '' });
	const r = await adm.req('POST', '/settings/webhooks', { body:
	    form.toString(), headers: { 'content-type':
	    'application/x-www-form-urlencoded' } });
	const m = /id="webhook-secret">(whsec_[A-Za-z0-9_-]{43})</.exec(r.text);
	if (r.status !== 200 || !m)
		throw new Error(`cannot add the endpoint: ${r.status}`);
	recv.secret = m[1];
	const ep = Number((await db.query('SELECT id FROM webhook_endpoints ' +
	    'WHERE url = $1', [recv.url])).rows[0].id);
	const op = Number((await db.query("SELECT id FROM operators WHERE " +
	    "username = 'admin'")).rows[0].id);
	console.log(`bench_hook: load average ${loadavg()} at the start`);
	console.log(row('run', 'figure', '', 'dups', 'target'));
	for (const n of ACCS)
		if (problems === 0)
			await backlog(db, ep, op, n);
	benchEp = ep;
	if (problems === 0)
		await steady(db);
	console.log(`bench_hook: load average ${loadavg()} at the end`);
	recv.stop();
	await db.end();
	if (problems > 0) {
		console.log(`bench_hook: the measurement is broken (${problems} ` +
		    'problems above)');
		process.exitCode = 1;
	}
}

main().catch((e) => {
	console.log(`bench_hook: BROKEN: ${e.stack || e}`);
	process.exitCode = 1;
});
