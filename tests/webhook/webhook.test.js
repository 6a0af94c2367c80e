'use strict';
/*
 * Webhooks end to end (tests/webhook/run.sh starts the stack): the
 * real wadesk.fcgi pages create endpoints (and show the secret once),
 * status changes are written through SQL as the session daemon would
 * write them (the outbox triggers of sql/010 fire for every writer),
 * and the real wadesk-webhookd delivers them to a loopback receiver
 * that checks every signature with Node's own HMAC and can answer
 * 500, hang, or succeed.  The retry policy is scaled (run.sh): 100 ms
 * doubling to 400 ms, dead after a 3 s window.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Browser, VAR, ROOT, BUILD, esc, dbConnect, until, sleep, runChecks } =
    require('../integration/lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
const WINDOW_MS = Number(process.env.WADESK_WEBHOOK_WINDOW_S) * 1000;

let db;			/* owner connection */
let adm;		/* the admin's browser */
let alice;		/* an operator's browser */
let aliceId;
let recv;		/* the receiver */

/*
 * The loopback receiver.  The first path segment says how to answer:
 * /ok 200; /fail2 500 to the first two requests of each event id, then
 * 200; /down always 500; /hold/X holds the first request to /hold/X
 * until release() (then answers 200), later ones 200; /flaky 500 to
 * the first request of every other event id.  Every request is kept
 * with its verified signature.
 */
class Receiver {
	constructor() {
		this.got = [];
		this.seenIds = new Map();
		this.held = [];
		this.secrets = new Map();	/* path -> secret */
	}

	start() {
		this.srv = http.createServer((req, res) => {
			const chunks = [];
			req.on('data', (c) => chunks.push(c));
			req.on('end', () => this.onRequest(req, res,
			    Buffer.concat(chunks).toString('utf8')));
		});
		return new Promise((ok) => this.srv.listen(0, '127.0.0.1',
		    () => {
			this.base = `http://127.0.0.1:${this.srv.address().port}`;
			ok();
		}));
	}

	onRequest(req, res, body) {
		const id = req.headers['x-wadesk-event-id'];
		const n = (this.seenIds.get(req.url + id) || 0) + 1;
		this.seenIds.set(req.url + id, n);
		const np = (this.seenIds.get(req.url) || 0) + 1;
		this.seenIds.set(req.url, np);
		const mode = req.url.split('/')[1];
		let status = 200;
		if (mode === 'fail2' && n <= 2)
			status = 500;
		else if (mode === 'down')
			status = 500;
		else if (mode === 'flaky' && n === 1 &&
		    parseInt(id.slice(-1), 16) % 2 === 0)
			status = 500;
		const rec = { path: req.url, headers: req.headers, body,
		    json: null, status, at: Date.now(), n,
		    sigOk: verify(this.secrets.get(req.url), req.headers, body) };
		try {
			rec.json = JSON.parse(body);
		} catch (e) {
			rec.json = null;
		}
		this.got.push(rec);
		if (mode === 'hold' && np === 1) {
			rec.status = 'held';
			this.held.push({ res, rec });
			return;
		}
		res.writeHead(status, { 'content-type': 'text/plain' });
		res.end(status === 200 ? 'thanks' : 'no');
	}

	release() {
		for (const h of this.held.splice(0)) {
			h.rec.status = 200;
			h.res.writeHead(200);
			h.res.end('late');
		}
	}

	on(p) { return this.got.filter((g) => g.path === p); }

	stop() { this.release(); this.srv.closeAllConnections(); this.srv.close(); }
}

/* The receiver's side of README.md "Verifying a signature". */
function verify(secret, headers, body) {
	if (secret === undefined)
		return false;
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
	    headers['x-wadesk-signature'] || '');
	if (!m)
		return false;
	if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300)
		return false;
	const want = crypto.createHmac('sha256', secret)
	    .update(`${m[1]}.${body}`).digest();
	return crypto.timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

/* POST /accounts as "b"; returns the new account's id. */
async function addAccount(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303, `add account: ${r.status}`);
	return Number(/\/accounts\/(\d+)/.exec(r.location)[1]);
}

/*
 * Add an endpoint through the page for receiver path "p"; returns
 * {id, secret, page}.  The secret is registered with the receiver.
 */
async function addEndpoint(b, p, events, account) {
	const form = new URLSearchParams({ csrf: b.csrf, url: recv.base + p });
	for (const e of events)
		form.append('event', e);
	form.append('account', account === undefined ? '' : String(account));
	const r = await b.req('POST', '/settings/webhooks', { body:
	    form.toString(), headers: { 'content-type':
	    'application/x-www-form-urlencoded' } });
	assert.equal(r.status, 200, `add endpoint: ${r.status} ${r.text}`);
	const m = /id="webhook-secret">(whsec_[A-Za-z0-9_-]{43})</.exec(r.text);
	assert.ok(m, 'the new secret is shown');
	assert.equal(r.headers.get('cache-control'), 'no-store');
	const q = await db.query('SELECT id FROM webhook_endpoints WHERE url = $1',
	    [recv.base + p]);
	assert.equal(q.rows.length, 1);
	recv.secrets.set(p, m[1]);
	return { id: Number(q.rows[0].id), secret: m[1], page: r.text };
}

/* A status change as the session daemon writes one (own transaction). */
async function setStatus(acc, status, reason = null) {
	await db.query('UPDATE accounts SET status = $2, disconnect_reason = $3 ' +
	    'WHERE id = $1', [acc, status, reason]);
}

async function deliveries(endpoint) {
	return (await db.query('SELECT d.id, d.state, d.attempts, d.last_status, ' +
	    'd.last_error, d.last_latency_ms, v.event_id, v.kind, v.account_id, ' +
	    'd.done_at, d.redelivery_of FROM webhook_deliveries d JOIN ' +
	    'webhook_events v ON v.id = d.event_id WHERE d.endpoint_id = $1 ' +
	    'ORDER BY d.id', [endpoint])).rows;
}

async function allDone(endpoint, n) {
	return until(async () => {
		const d = await deliveries(endpoint);
		return d.length >= n && d.every((x) => x.state !== 'pending') &&
		    d;
	}, 15000, `deliveries of endpoint ${endpoint} done`);
}

function webhookdPid() {
	return Number(fs.readFileSync(path.join(VAR, 'run', 'webhookd.pid'),
	    'utf8'));
}

/* scripts/stack.sh start again: only what is missing is started
 * ("extra": settings for what it starts). */
function stackStart(extra = {}) {
	const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'stack.sh'),
	    'start'], { encoding: 'utf8', env: Object.assign({}, process.env,
	    extra) });
	assert.equal(r.status, 0, `stack.sh start: ${r.stdout}${r.stderr}`);
}

function pgctl(action) {
	const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'pg.sh'),
	    action], { encoding: 'utf8', env: process.env });
	assert.equal(r.status, 0, `pg.sh ${action}: ${r.stderr}`);
}

check('hook-setup', async () => {
	adm = new Browser('admin');
	await adm.signIn('admin', ADMIN_PW);
	const r = await adm.postc('/settings/operators', { username: 'alice',
	    password: 'alice-password', role: 'operator' });
	assert.equal(r.status, 303);
	alice = new Browser('alice');
	await alice.signIn('alice', 'alice-password');
	aliceId = Number((await db.query("SELECT id FROM operators WHERE " +
	    "username = 'alice'")).rows[0].id);
	/* The sender published the key secrets are sealed to. */
	await until(async () => (await db.query('SELECT 1 FROM webhook_keys'))
	    .rows.length === 1, 10000, 'webhook_keys');
});

check('hook-nav-and-empty-page', async () => {
	const r = await alice.get('/settings/webhooks');
	assert.equal(r.status, 200);
	assert.match(r.text, /href="\/settings\/webhooks">Webhooks</);
	assert.match(r.text, /name="event" value="account\.status"/);
	assert.match(r.text, /account\.restricted<\/code> WhatsApp restricted sending/);
	assert.ok(!r.text.includes('not sent yet'), 'a kind still said unsent');
});

check('hook-signature-event-id-payload', async () => {
	const acc = await addAccount(alice, 'Shop <1>');
	const ep = await addEndpoint(alice, '/ok/sig', ['account.status',
	    'account.logged_out', 'account.banned', 'account.qr']);
	/* The secret is stored only sealed: not in any column as text. */
	const row = (await db.query('SELECT secret_sealed, secret_hint, ' +
	    'events FROM webhook_endpoints WHERE id = $1', [ep.id])).rows[0];
	assert.ok(!row.secret_sealed.toString('latin1').includes(ep.secret));
	assert.equal(row.secret_sealed.length, ep.secret.length + 48);
	assert.equal(row.secret_hint, ep.secret.slice(-4));
	/* ... and never shown again. */
	const list = await alice.get('/settings/webhooks');
	assert.ok(!list.text.includes(ep.secret), 'secret shown again');
	assert.ok(list.text.includes(esc(`whsec_…${ep.secret.slice(-4)}`)));
	await setStatus(acc, 'pending');
	await db.query("UPDATE accounts SET qr_code = '2@ref,key', qr_version = " +
	    'qr_version + 1, qr_expires_at = now() + interval \'60 s\' WHERE id = $1',
	    [acc]);
	await setStatus(acc, 'logged_out', 'logged_out_from_phone');
	const d = await allDone(ep.id, 4);
	assert.deepEqual(d.map((x) => x.kind), ['account.status', 'account.qr',
	    'account.status', 'account.logged_out']);
	assert.ok(d.every((x) => x.state === 'delivered' && x.attempts === 1 &&
	    x.last_status === 200 && x.last_error === null));
	const got = recv.on('/ok/sig');
	assert.equal(got.length, 4);
	for (const [i, g] of got.entries()) {
		assert.ok(g.sigOk, `signature ${i} verifies`);
		assert.equal(g.headers['x-wadesk-event-id'], d[i].event_id);
		assert.equal(g.json.id, d[i].event_id);
		assert.equal(g.headers['x-wadesk-event'], d[i].kind);
		assert.equal(g.json.type, d[i].kind);
		assert.equal(g.json.account_id, acc);
		assert.equal(g.json.data.account.label, 'Shop <1>');
		assert.match(g.json.created_at,
		    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		assert.equal(g.headers['content-type'], 'application/json');
	}
	/* A wrong secret does not verify (the check is real). */
	assert.equal(verify('whsec_wrong', got[0].headers, got[0].body), false);
	assert.equal(verify(ep.secret, got[0].headers, got[0].body + ' '),
	    false);
	assert.deepEqual([got[0].json.data.from, got[0].json.data.to],
	    ['unpaired', 'pending']);
	assert.equal(got[1].json.data.qr, '2@ref,key');
	assert.equal(got[1].json.data.qr_n, 1);
	assert.equal(got[2].json.data.to, 'logged_out');
	assert.equal(got[2].json.data.reason, 'logged_out_from_phone');
	assert.match(got[2].json.data.reason_text, /^The phone removed this linked device/);
	assert.equal(got[3].json.data.reason, 'logged_out_from_phone');
	/* A rolled-back change sends nothing. */
	await db.query('BEGIN');
	await db.query("UPDATE accounts SET status = 'banned' WHERE id = $1", [acc]);
	await db.query('ROLLBACK');
	await sleep(300);
	assert.equal((await deliveries(ep.id)).length, 4);
});

check('hook-restricted-and-message-sent', async () => {
	/* sql/021: the daemon's restriction events and every send_text
	 * reaching its end (acked, refused, or born done by a page). */
	const acc = await addAccount(alice, 'Kinds');
	const ep = await addEndpoint(alice, '/ok/kinds', ['account.restricted',
	    'message.sent'], acc);
	await db.query("INSERT INTO account_events (account_id, kind, detail) " +
	    "VALUES ($1, 'restricted', '{\"reason\": \"reachout_timelock\", " +
	    "\"until\": \"1893456000\"}'), ($1, 'unrestricted', '{}')", [acc]);
	const c1 = (await db.query("INSERT INTO commands (account_id, type, " +
	    "payload, client_id) VALUES ($1, 'send_text', '{\"to\": " +
	    "\"15550100\", \"text\": \"hi <b>\"}', 'cid-1') RETURNING id",
	    [acc])).rows[0].id;
	await sleep(200);
	assert.equal((await deliveries(ep.id)).filter((x) => x.kind ===
	    'message.sent').length, 0, 'queued is not sent');
	await db.query("UPDATE commands SET claimed_at = now(), done_at = now(), " +
	    "result = 'sent', message_id = '3EB0AB12' WHERE id = $1", [c1]);
	await db.query("UPDATE commands SET result = 'sent' WHERE id = $1", [c1]);
	await db.query("INSERT INTO commands (account_id, type, payload, " +
	    "done_at, error) VALUES ($1, 'send_text', '{\"to\": " +
	    "\"120363000000001@g.us\", \"text\": \"offline\"}', now(), " +
	    "'send_test_not_connected')", [acc]);
	const d = await allDone(ep.id, 4);
	await sleep(300);
	assert.deepEqual((await deliveries(ep.id)).map((x) => x.kind),
	    ['account.restricted', 'account.restricted', 'message.sent',
	    'message.sent'], 'one delivery per end, none for a later update');
	assert.ok(d.every((x) => x.state === 'delivered'));
	const g = recv.on('/ok/kinds').map((x) => x.json.data);
	assert.equal(g[0].restricted, true);
	assert.equal(g[0].reason, 'reachout_timelock');
	assert.equal(g[0].until, '2030-01-01T00:00:00Z');
	assert.equal(g[1].restricted, false);
	assert.equal(g[1].until, null);
	assert.equal(g[2].command, Number(c1));
	assert.equal(g[2].status, 'sent');
	assert.equal(g[2].message_id, '3EB0AB12');
	assert.equal(g[2].to, '15550100');
	assert.equal(g[2].text, 'hi <b>');
	assert.equal(g[2].client_id, 'cid-1');
	assert.equal(g[3].status, 'failed');
	assert.equal(g[3].error, 'send_test_not_connected');
	assert.equal(g[3].to, '120363000000001@g.us');
});

check('hook-filter-and-account', async () => {
	const a = await addAccount(alice, 'Filter A');
	const b = await addAccount(alice, 'Filter B');
	const ep = await addEndpoint(alice, '/ok/filter', ['account.paired'], a);
	await setStatus(a, 'pending');
	await setStatus(b, 'pending');
	/* A pairing as the daemon writes it: status, event, identity. */
	for (const acc of [a, b]) {
		await db.query('BEGIN');
		await db.query("UPDATE accounts SET status = 'connecting' WHERE " +
		    'id = $1', [acc]);
		await db.query("INSERT INTO account_events (account_id, kind, " +
		    "detail) VALUES ($1, 'paired', '{}')", [acc]);
		await db.query("UPDATE accounts SET jid = '15550001:1@s.whatsapp." +
		    "net', phone_number = '15550001' WHERE id = $1", [acc]);
		await db.query('COMMIT');
	}
	const d = await allDone(ep.id, 1);
	await sleep(300);
	assert.equal((await deliveries(ep.id)).length, 1, 'only A, only paired');
	assert.equal(d[0].kind, 'account.paired');
	const g = recv.on('/ok/filter');
	assert.equal(g.length, 1);
	assert.equal(g[0].json.account_id, a);
	assert.equal(g[0].json.data.jid, '15550001:1@s.whatsapp.net');
	assert.equal(g[0].json.data.account.phone_number, '15550001');
});

check('hook-order-per-account', async () => {
	const a = await addAccount(alice, 'Order A');
	const b = await addAccount(alice, 'Order B');
	const ep = await addEndpoint(alice, '/flaky/order', ['account.status']);
	const seq = ['pending', 'connecting', 'connected', 'disconnected',
	    'connecting', 'connected', 'disconnected', 'connecting'];
	for (const s of seq) {
		await setStatus(a, s);
		await setStatus(b, s);
	}
	const d = await allDone(ep.id, 2 * seq.length);
	assert.ok(d.every((x) => x.state === 'delivered'));
	assert.ok(d.some((x) => x.attempts > 1), 'some were retried');
	const got = recv.on('/flaky/order');
	for (const acc of [a, b]) {
		const want = d.filter((x) => Number(x.account_id) === acc)
		    .map((x) => x.event_id);
		/* Every request for event k came after k-1 was answered 2xx. */
		const ok = new Set();
		for (const g of got.filter((x) => x.json.account_id === acc)) {
			const k = want.indexOf(g.json.id);
			assert.ok(k >= 0);
			assert.ok(k === 0 || ok.has(want[k - 1]),
			    `event ${k} of account ${acc} sent before ${k - 1} ` +
			    'was delivered');
			if (g.status === 200)
				ok.add(g.json.id);
		}
		assert.equal(ok.size, want.length);
		assert.deepEqual(got.filter((x) => x.json.account_id === acc &&
		    x.status === 200).map((x) => x.json.data.to), seq);
	}
});

check('hook-slow-chain-others-proceed', async () => {
	/*
	 * The pipeline (webhook/main.c run()): while the receiver holds
	 * account A's first request, A's next event waits (in order per
	 * account), and account B's events are all delivered meanwhile
	 * (a batch barrier would hold B until A's request ended, up to
	 * the 5 s time limit).  Released, A's events follow in order.
	 */
	const a = await addAccount(alice, 'Slow A');
	const b = await addAccount(alice, 'Quick B');
	const ep = await addEndpoint(alice, '/hold/slow', ['account.status']);
	await setStatus(a, 'pending');
	await until(() => recv.on('/hold/slow').length === 1, 5000, 'A held');
	const held = recv.on('/hold/slow')[0];
	assert.equal(held.json.account_id, a);
	await setStatus(a, 'connecting');
	for (const st of ['pending', 'connecting', 'connected'])
		await setStatus(b, st);
	const bDone = await until(async () => {
		const d = (await deliveries(ep.id)).filter((x) =>
		    Number(x.account_id) === b);
		return d.length === 3 && d.every((x) => x.state === 'delivered') &&
		    d;
	}, 3000, "B's deliveries while A's request is held");
	assert.equal(bDone.length, 3);
	const aNow = (await deliveries(ep.id)).filter((x) =>
	    Number(x.account_id) === a);
	assert.deepEqual(aNow.map((x) => [x.state, x.attempts]),
	    [['pending', 0], ['pending', 0]], 'A in flight, then waiting');
	assert.equal(recv.on('/hold/slow').filter((g) => g.json.account_id ===
	    a).length, 1, "A's second event was sent while the first was held");
	const released = Date.now();
	recv.release();
	const d = await allDone(ep.id, 5);
	assert.ok(d.every((x) => x.state === 'delivered' && x.attempts === 1));
	const ga = recv.on('/hold/slow').filter((g) => g.json.account_id === a);
	assert.deepEqual(ga.map((g) => g.json.data.to), ['pending', 'connecting']);
	assert.ok(ga[1].at >= released, "A's second before the first's answer");
	assert.deepEqual(recv.on('/hold/slow').filter((g) => g.json.account_id ===
	    b).map((g) => g.json.data.to), ['pending', 'connecting', 'connected']);
	assert.ok(recv.on('/hold/slow').every((g) => g.sigOk));
});

check('hook-two-senders-in-order', async () => {
	/*
	 * Several senders at once: a second wadesk-webhookd next to the
	 * stack's.  The chain leases (HS_LEASE, a session advisory lock
	 * per chain, the head read again after the lease) keep every
	 * account's events in order, each answered 2xx exactly once, and
	 * both senders do part of the work (both log retries: the
	 * receiver fails the first request of every other event).
	 */
	const logA = path.join(VAR, 'log', 'wadesk-webhookd.log');
	const logB = path.join(VAR, 'log', 'wadesk-webhookd-2.log');
	const before = fs.readFileSync(logA, 'utf8').length;
	const out = fs.openSync(logB, 'a');
	const two = spawn(path.join(ROOT, BUILD, 'webhook', 'wadesk-webhookd'), [],
	    { stdio: ['ignore', out, out], env: Object.assign({}, process.env, {
	    WADESK_DATABASE_URL: `host=${VAR}/run dbname=wadesk ` +
	    'user=wadesk_webhook', WADESK_WEBHOOK_KEY_FILE: path.join(VAR,
	    'webhook.key') }) });
	fs.closeSync(out);
	const gone = new Promise((ok) => two.on('exit', ok));
	try {
		await until(() => fs.readFileSync(logB, 'utf8').includes(
		    'connected; delivering'), 10000, 'the second sender');
		const accs = [];
		for (let i = 0; i < 6; i++)
			accs.push(await addAccount(alice, `Two ${i}`));
		const ep = await addEndpoint(alice, '/flaky/two', ['account.status']);
		const seq = ['pending', 'connecting', 'connected', 'disconnected',
		    'connecting', 'connected'];
		for (const st of seq)
			for (const acc of accs)
				await setStatus(acc, st);
		const d = await allDone(ep.id, accs.length * seq.length);
		assert.ok(d.every((x) => x.state === 'delivered'));
		const got = recv.on('/flaky/two');
		for (const acc of accs) {
			const want = d.filter((x) => Number(x.account_id) === acc)
			    .map((x) => x.event_id);
			const ok = new Set();
			for (const g of got.filter((x) => x.json.account_id === acc)) {
				const k = want.indexOf(g.json.id);
				assert.ok(k === 0 || ok.has(want[k - 1]),
				    `event ${k} of account ${acc} sent before ${k - 1} ` +
				    'was delivered');
				assert.ok(!ok.has(g.json.id), 'sent again after a 2xx');
				if (g.status === 200)
					ok.add(g.json.id);
			}
			assert.equal(ok.size, want.length);
		}
		assert.ok(got.every((g) => g.sigOk));
		const retried = (log) => /delivery \d+ \(account\.status.*HTTP 500/
		    .test(log);
		assert.ok(retried(fs.readFileSync(logA, 'utf8').slice(before)),
		    'the first sender did none of it');
		assert.ok(retried(fs.readFileSync(logB, 'utf8')),
		    'the second sender did none of it');
	} finally {
		two.kill('SIGTERM');
		await gone;
	}
	assert.match(fs.readFileSync(logB, 'utf8'), /stopped/);
});

check('hook-retry-500-then-success', async () => {
	const acc = await addAccount(alice, 'Retry');
	const ep = await addEndpoint(alice, '/fail2/retry', ['account.status']);
	await setStatus(acc, 'pending');
	const [d] = await allDone(ep.id, 1);
	assert.equal(d.state, 'delivered');
	assert.equal(d.attempts, 3);
	assert.equal(d.last_status, 200);
	const att = (await db.query('SELECT status, latency_ms, error, at FROM ' +
	    'webhook_attempts WHERE delivery_id = $1 ORDER BY id', [d.id])).rows;
	assert.deepEqual(att.map((x) => x.status), [500, 500, 200]);
	assert.match(att[0].error, /answered HTTP 500 instead of 2xx/);
	assert.equal(att[2].error, null);
	/* Back-off: 100 ms then 200 ms (+-20 %), never at once. */
	assert.ok(att[1].at - att[0].at >= 70, 'first retry waited');
	assert.ok(att[2].at - att[1].at >= 150, 'second retry waited longer');
	const r = await alice.get(`/settings/webhooks/${ep.id}`);
	assert.equal(r.status, 200);
	assert.match(r.text, /500 in \d+ ms, 500 in \d+ ms, 200 in \d+ ms/);
	assert.match(r.text, new RegExp(`action="/settings/webhooks/deliveries/${d.id}/redeliver"`));
	assert.ok(r.text.includes(d.event_id));
});

check('hook-dead-letter-after-window', async () => {
	const acc = await addAccount(alice, 'Dead');
	const ep = await addEndpoint(alice, '/down/dead', ['account.status']);
	const t0 = Date.now();
	await setStatus(acc, 'pending');
	await setStatus(acc, 'connecting');
	/* While the first retries, the second waits (and is pending). */
	await until(async () => (await deliveries(ep.id)).length === 2 &&
	    recv.on('/down/dead').length >= 2, 5000, 'two attempts');
	const pend = (await deliveries(ep.id))[1];
	assert.equal(pend.state, 'pending');
	assert.equal(pend.attempts, 0, 'the later event waits for the earlier');
	const r409 = await alice.postc(
	    `/settings/webhooks/deliveries/${pend.id}/redeliver`);
	assert.equal(r409.status, 409);
	const d = await allDone(ep.id, 2);
	assert.ok(Date.now() - t0 >= WINDOW_MS, 'dead only after the window');
	assert.deepEqual(d.map((x) => x.state), ['dead', 'dead']);
	assert.ok(d[0].attempts >= 5, `first tried ${d[0].attempts} times`);
	assert.match(d[0].last_error, /HTTP 500/);
	/* Order: nothing of the second before the first was dead. */
	const firstDead = d[0].done_at.getTime();
	for (const g of recv.on('/down/dead'))
		if (g.json.id === d[1].event_id)
			assert.ok(g.at >= firstDead - 50, 'second sent early');
	const page = await alice.get(`/settings/webhooks/${ep.id}`);
	assert.match(page.text, /data-state="dead"/);
	assert.match(page.text, /answered HTTP 500/);
});

check('hook-redeliver', async () => {
	const acc = await addAccount(alice, 'Redeliver');
	const ep = await addEndpoint(alice, '/ok/redo', ['account.status']);
	await setStatus(acc, 'pending');
	const [d] = await allDone(ep.id, 1);
	/* Another operator's delivery is not found. */
	assert.equal((await adm.postc(
	    `/settings/webhooks/deliveries/${d.id}/redeliver`)).status, 404);
	assert.equal((await adm.get(`/settings/webhooks/${ep.id}`)).status, 404);
	/* Without the CSRF token: refused. */
	assert.equal((await alice.post(
	    `/settings/webhooks/deliveries/${d.id}/redeliver`, {})).status, 403);
	const r = await alice.postc(
	    `/settings/webhooks/deliveries/${d.id}/redeliver`);
	assert.equal(r.status, 303);
	assert.equal(r.location, `/settings/webhooks/${ep.id}?notice=redelivery`);
	const all = await allDone(ep.id, 2);
	assert.equal(all[1].state, 'delivered');
	assert.equal(Number(all[1].redelivery_of), Number(d.id));
	const got = recv.on('/ok/redo');
	assert.equal(got.length, 2);
	assert.equal(got[1].json.id, got[0].json.id, 'the same event id');
	assert.equal(got[1].body, got[0].body, 'the same body');
	assert.ok(got[1].sigOk);
	const page = await alice.get(`/settings/webhooks/${ep.id}?notice=redelivery`);
	assert.match(page.text, /redelivery of #\d+/);
	assert.match(page.text, /Queued again/);
});

check('hook-kill-9-mid-flight', async () => {
	const acc = await addAccount(alice, 'Kill');
	const ep = await addEndpoint(alice, '/hold/kill', ['account.status']);
	await setStatus(acc, 'pending');
	await until(() => recv.on('/hold/kill').length === 1, 5000, 'held');
	const pid = webhookdPid();
	process.kill(pid, 'SIGKILL');
	await until(() => { try { process.kill(pid, 0); return false; }
	    catch (e) { return true; } }, 5000, 'the sender gone');
	/* The receiver did the work, but the sender never heard the 200. */
	recv.release();
	await sleep(200);
	let d = await deliveries(ep.id);
	assert.equal(d[0].state, 'pending', 'not lost, not marked done');
	await setStatus(acc, 'connecting');	/* queued while it is down */
	stackStart();
	assert.notEqual(webhookdPid(), pid);
	d = await allDone(ep.id, 2);
	assert.deepEqual(d.map((x) => x.state), ['delivered', 'delivered']);
	const got = recv.on('/hold/kill');
	const ids = got.map((g) => g.json.id);
	assert.equal(ids.filter((x) => x === d[0].event_id).length, 2,
	    'at least once: the first event again, with the same id');
	assert.deepEqual([...new Set(ids)], [d[0].event_id, d[1].event_id],
	    'in order');
	assert.ok(got.every((g) => g.sigOk));
});

check('hook-postgres-restart', async () => {
	const acc = await addAccount(alice, 'Restart');
	const ep = await addEndpoint(alice, '/hold/pg', ['account.status']);
	await setStatus(acc, 'pending');
	await until(() => recv.on('/hold/pg').length === 1, 5000, 'held');
	const pid = webhookdPid();
	await db.end();
	db = null;
	try {
		pgctl('stop');	/* its transaction dies mid-flight */
		recv.release();
	} finally {
		pgctl('start');
		db = await dbConnect();
	}
	await setStatus(acc, 'connecting');
	const d = await allDone(ep.id, 2);
	assert.deepEqual(d.map((x) => x.state), ['delivered', 'delivered']);
	assert.equal(webhookdPid(), pid, 'the same sender, reconnected');
	process.kill(pid, 0);
	const ids = recv.on('/hold/pg').map((g) => g.json.id);
	assert.equal(ids[0], d[0].event_id);
	assert.ok(ids.filter((x) => x === d[0].event_id).length >= 2);
	assert.equal(ids[ids.length - 1], d[1].event_id);
	/* The pages work again too. */
	await until(async () => (await alice.get('/settings/webhooks')).status
	    === 200, 10000, 'the pages back');
});

check('hook-page-forms', async () => {
	const bad = async (form, code, re) => {
		const f = new URLSearchParams(Object.assign({ csrf: alice.csrf },
		    form.fields));
		for (const e of form.events || [])
			f.append('event', e);
		const r = await alice.req('POST', '/settings/webhooks', { body:
		    f.toString(), headers: { 'content-type':
		    'application/x-www-form-urlencoded' } });
		assert.equal(r.status, code, JSON.stringify(form));
		assert.match(r.text, re);
	};
	const urlMsg = /The URL must start with http:\/\/ or https:\/\//;
	for (const u of ['javascript:alert(1)', 'http://', 'http://a b/',
	    'ftp://x/', 'https://h/#frag', 'http://h:0/', 'http://h:70000/',
	    'http://h/"><script>'])
		await bad({ fields: { url: u }, events: ['account.status'] }, 422,
		    urlMsg);
	await bad({ fields: { url: 'https://example.com/x' } }, 422,
	    /Tick at least one event/);
	await bad({ fields: { url: 'https://example.com/x' }, events:
	    ['account.nope'] }, 422, /Unknown event kind/);
	/* An account of another operator is refused. */
	const other = (await db.query("INSERT INTO accounts (operator_id, label) " +
	    "SELECT id, 'Not alice' FROM operators WHERE username = 'admin' " +
	    'RETURNING id')).rows[0].id;
	await bad({ fields: { url: 'https://example.com/x', account: other },
	    events: ['account.status'] }, 422, /Pick one of your accounts/);
	/* Without the CSRF token: 403. */
	assert.equal((await alice.post('/settings/webhooks', { url:
	    'https://example.com/x', event: 'account.status' })).status, 403);
	/* The message.* kinds are accepted in the filter. */
	const acc = await addAccount(alice, 'Forms');
	const ep = await addEndpoint(alice, '/ok/forms', ['account.status',
	    'message.received', 'message.sent', 'reminder.run',
	    'account.restricted']);
	/* Disable: events are not queued for it; enable: they are. */
	let r = await alice.postc(`/settings/webhooks/${ep.id}/enable`,
	    { value: '0' });
	assert.equal(r.status, 303);
	assert.match((await alice.get('/settings/webhooks')).text, /disabled/);
	await setStatus(acc, 'pending');
	await sleep(300);
	assert.equal((await deliveries(ep.id)).length, 0);
	r = await alice.postc(`/settings/webhooks/${ep.id}/enable`, { value: '1' });
	assert.equal(r.status, 303);
	await setStatus(acc, 'connecting');
	await allDone(ep.id, 1);
	/* Another operator cannot change it. */
	assert.equal((await adm.postc(`/settings/webhooks/${ep.id}/enable`,
	    { value: '0' })).status, 404);
	assert.equal((await adm.postc(`/settings/webhooks/${ep.id}/delete`))
	    .status, 404);
	assert.equal((await alice.postc(`/settings/webhooks/${ep.id}/enable`,
	    { value: 'x' })).status, 422);
	r = await alice.postc(`/settings/webhooks/${ep.id}/delete`);
	assert.equal(r.status, 303);
	assert.equal((await alice.get(`/settings/webhooks/${ep.id}`)).status, 404);
	assert.equal((await db.query('SELECT count(*)::int AS n FROM ' +
	    'webhook_deliveries WHERE endpoint_id = $1', [ep.id])).rows[0].n, 0);
});

check('hook-banner-pair-again', async () => {
	/* Earlier checks left accounts logged out. */
	await db.query("UPDATE accounts SET status = 'disconnected' WHERE " +
	    "status IN ('logged_out', 'banned')");
	const acc = await addAccount(alice, 'Lost <phone>');
	let r = await alice.get('/accounts');
	assert.ok(!r.text.includes('id="account-lost"'), 'no banner yet');
	await setStatus(acc, 'logged_out', 'logged_out_from_phone');
	for (const p of ['/', '/accounts', '/settings/webhooks',
	    `/accounts/${acc}`]) {
		r = await alice.get(p);
		assert.match(r.text, /id="account-lost"/, `banner on ${p}`);
	}
	assert.ok(r.text.includes(`${esc('Lost <phone>')} was logged out`));
	assert.ok(r.text.includes(`action="/accounts/${acc}/pair"`));
	assert.ok(r.text.includes(`value="${alice.csrf}"`));
	/* Not the owner: no banner (the admin sees all accounts, owns none). */
	assert.ok(!(await adm.get('/')).text.includes('id="account-lost"'));
	/* Banned reads differently; two lost accounts are counted. */
	const acc2 = await addAccount(alice, 'Banned one');
	await setStatus(acc2, 'banned', 'banned');
	r = await alice.get('/');
	assert.match(r.text, /Banned one was refused by WhatsApp/);
	assert.match(r.text, /2 of your accounts are logged out or banned/);
	/* One click: Pair again queues the pair command. */
	r = await alice.postc(`/accounts/${acc2}/pair`);
	assert.equal(r.status, 303);
	const row = (await db.query('SELECT status FROM accounts WHERE id = $1',
	    [acc2])).rows[0];
	assert.equal(row.status, 'pending');
	assert.equal((await db.query("SELECT count(*)::int AS n FROM commands " +
	    "WHERE account_id = $1 AND type = 'pair'", [acc2])).rows[0].n, 1);
	r = await alice.get('/');
	assert.ok(r.text.includes(`action="/accounts/${acc}/pair"`));
	assert.ok(!/of your accounts are/.test(r.text));
	await alice.postc(`/accounts/${acc}/pair`);
	assert.ok(!(await alice.get('/')).text.includes('id="account-lost"'));
});

check('hook-throughput', async () => {
	/*
	 * 1,000 events over 100 accounts to one endpoint: all delivered,
	 * in order per account; the rate and event -> delivered latency
	 * are printed (not asserted: the machine is shared).
	 */
	/* Only this endpoint: the others (some always failing) off. */
	await db.query('UPDATE webhook_endpoints SET enabled = false');
	const ep = await addEndpoint(alice, '/ok/bench', ['account.status']);
	const ids = (await db.query("INSERT INTO accounts (operator_id, label) " +
	    "SELECT $1, 'bench ' || g FROM generate_series(1, 100) g " +
	    'RETURNING id', [aliceId])).rows.map((r) => Number(r.id));
	const t0 = Date.now();
	const seq = ['pending', 'connecting', 'connected', 'disconnected',
	    'connecting', 'connected', 'disconnected', 'connecting',
	    'connected', 'disconnected'];
	for (const st of seq)
		await db.query('UPDATE accounts SET status = $2 WHERE id = ' +
		    'ANY ($1::bigint[])', [ids, st]);
	const d = await until(async () => {
		const r = (await db.query("SELECT count(*) FILTER (WHERE state = " +
		    "'delivered')::int AS n, count(*)::int AS all FROM " +
		    'webhook_deliveries WHERE endpoint_id = $1', [ep.id])).rows[0];
		return r.n === r.all && r.all >= 1100 && r;
	}, 60000, 'the bench delivered');
	const ms = Date.now() - t0;
	const got = recv.on('/ok/bench');
	const lat = got.map((g) => g.at - Date.parse(g.json.created_at))
	    .sort((a, b) => a - b);
	const p99 = lat[Math.floor(lat.length * 0.99)];
	console.log(`note: hook-throughput ${d.all} deliveries in ${ms} ms ` +
	    `(${Math.round(d.all * 1000 / ms)}/s), event -> delivered p50 ` +
	    `${lat[Math.floor(lat.length / 2)]} ms, p99 ${p99} ms`);
	for (const acc of ids) {
		const tos = got.filter((g) => g.json.account_id === acc)
		    .map((g) => g.json.data.to);
		assert.deepEqual(tos, ['unpaired', ...seq], `order of ${acc}`);
	}
	assert.ok(got.every((g) => g.sigOk));
});

/* Stop the stack's sender with SIGTERM and wait until it is gone. */
async function senderStop() {
	const pid = webhookdPid();
	process.kill(pid, 'SIGTERM');
	await until(() => { try { process.kill(pid, 0); return false; }
	    catch (e) { return true; } }, 10000, 'the sender gone');
}

/*
 * Housekeeping (WADESK_WEBHOOK_RETENTION_S, sql/017): with the default
 * week nothing the earlier checks left is purged; a sender started
 * with 2 s purges every delivered or dead delivery older than that,
 * with its attempts, and the outbox rows nothing refers to, but never
 * a pending delivery or its event; a fresh delivery stays for the
 * retention, then goes.
 */
check('hook-purge-after-retention', async () => {
	const n = async (sql, p) => Number((await db.query(sql, p)).rows[0].n);
	const DONE = "SELECT count(*) AS n FROM webhook_deliveries WHERE " +
	    "state <> 'pending'";
	const acc = await addAccount(alice, 'Purge');
	const ep = await addEndpoint(alice, '/ok/purge', ['account.status']);
	await setStatus(acc, 'pending');
	const [d0] = await allDone(ep.id, 1);
	/* A pending delivery (of a disabled endpoint, for the oldest
	 * event, due in an hour) that must outlive any retention. */
	const keep = await addEndpoint(alice, '/ok/keep', ['account.status']);
	await db.query('UPDATE webhook_endpoints SET enabled = false WHERE ' +
	    'id = $1', [keep.id]);
	const pend = (await db.query('INSERT INTO webhook_deliveries ' +
	    '(endpoint_id, event_id, account_id, next_attempt_at) SELECT $1, ' +
	    "v.id, v.account_id, now() + interval '1 hour' FROM " +
	    'webhook_events v ORDER BY v.id LIMIT 1 RETURNING id, event_id',
	    [keep.id])).rows[0];
	/* Older than the 2 s to come, kept under the default week. */
	await sleep(2500);
	assert.equal(await n('SELECT count(*) AS n FROM webhook_deliveries ' +
	    'WHERE id = $1', [d0.id]), 1, 'purged with the default retention');
	assert.ok(await n(DONE) > 0);

	await senderStop();
	stackStart({ WADESK_WEBHOOK_RETENTION_S: '2' });
	try {
		await until(async () => await n(DONE) === 0, 15000,
		    'the old deliveries purged');
		assert.equal(await n('SELECT count(*) AS n FROM webhook_attempts'),
		    await n('SELECT count(*) AS n FROM webhook_attempts a JOIN ' +
		    "webhook_deliveries d ON d.id = a.delivery_id WHERE d.state " +
		    "= 'pending'"), 'attempts of purged deliveries kept');
		await until(async () => await n('SELECT count(*) AS n FROM ' +
		    'webhook_events v WHERE NOT EXISTS (SELECT 1 FROM ' +
		    'webhook_deliveries d WHERE d.event_id = v.id)') === 0, 10000,
		    'the orphaned events purged');
		assert.equal(await n("SELECT count(*) AS n FROM webhook_deliveries " +
		    "WHERE id = $1 AND state = 'pending'", [pend.id]), 1,
		    'a pending delivery was purged');
		assert.equal(await n('SELECT count(*) AS n FROM webhook_events ' +
		    'WHERE id = $1', [pend.event_id]), 1, 'its event was purged');

		/* A new delivery: kept for the retention, then purged. */
		assert.equal(await n('SELECT count(*) AS n FROM ' +
		    'webhook_deliveries WHERE id = $1', [d0.id]), 0);
		await setStatus(acc, 'connecting');
		const [d] = await allDone(ep.id, 1);
		assert.equal(d.state, 'delivered');
		assert.notEqual(d.id, d0.id);
		const doneAt = d.done_at.getTime();
		const dbNow = async () => (await db.query('SELECT now() AS t'))
		    .rows[0].t.getTime();
		const ev = (await db.query('SELECT event_id FROM ' +
		    'webhook_deliveries WHERE id = $1', [d.id])).rows[0].event_id;
		await until(async () => await n('SELECT count(*) AS n FROM ' +
		    'webhook_deliveries WHERE id = $1', [d.id]) === 0, 10000,
		    'the new delivery purged');
		assert.ok(await dbNow() - doneAt >= 2000,
		    'purged before the retention was over');
		await until(async () => await n('SELECT count(*) AS n FROM ' +
		    'webhook_events WHERE id = $1', [ev]) === 0, 10000,
		    'its event purged');
		assert.equal(recv.on('/ok/purge').length, 2);
		const log = fs.readFileSync(path.join(VAR, 'log',
		    'wadesk-webhookd.log'), 'utf8');
		assert.match(log, /done deliveries kept 2 s/);
		assert.match(log, /housekeeping: purged \d+ deliveries and \d+ events/);
	} finally {
		await senderStop();
		stackStart();
	}
});

async function main() {
	db = await dbConnect();
	recv = new Receiver();
	await recv.start();
	const failed = await runChecks(checks, process.argv[2]);
	recv.stop();
	if (db !== null)
		await db.end();
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log('FAIL hook-runner');
	console.log(String(e.stack || e));
	process.exitCode = 1;
});
