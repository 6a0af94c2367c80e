'use strict';
/*
 * Issue 9 figure (run by tests/daemon/send_bench.sh): encrypt+send a
 * text to a 256-member group in wasim.  The daemon logs, per message,
 * the time from wa_client_send_text() to the <message> written ("out
 * after N us") and to the server's ack ("acked after N us"); this
 * script sends and reads those lines.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { Browser, VAR, dbConnect, ctl, sleep, until, runChecks } =
    require('../integration/lib.js');

const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;

let db;
let adm;
let daemon = null;
let nlog = 0;
const st = {};

async function ownerConnect() {
	const c = await dbConnect();
	c.on('error', () => {});
	return c;
}

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}

function daemonEnv() {
	return {
		PATH: process.env.PATH,
		WADESK_DATABASE_URL:
		    `host=${VAR}/run dbname=wadesk user=wadesk_daemon`,
		WADESK_CRED_KEY_FILE: `${VAR}/cred.key`,
		WADESK_BACKOFF_MIN_MS: '200',
		WADESK_BACKOFF_MAX_MS: '1000',
		WADESK_STAGGER_MS: '20',
		WADESK_LOG_LEVEL: 'info',
		ASAN_OPTIONS: 'detect_leaks=1',
		WADESK_WA_URL: process.env.WASIM_URL,
		WADESK_WA_ROOT_KEY: process.env.WASIM_ROOT_KEY,
		/* real keepalive: wasim is busy for seconds decrypting the
		 * first send at 511 devices and answers no ping meanwhile */
		WADESKD_TIME_SCALE: '1',
	};
}

async function daemonStart() {
	const log = `${VAR}/log/wadeskd.send.${++nlog}.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const env = daemonEnv();
	const args = Object.entries(env).map(([k, v]) => `${k}=${v}`);
	const child = IS_ROOT ?
	    spawn('setpriv', ['--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', 'env', '-i', ...args, process.env.DAEMON_BIN],
	    { stdio: ['ignore', fd, fd] }) :
	    spawn(process.env.DAEMON_BIN, [], { env, stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((res) => child.on('exit',
	    (code, sig) => res({ code, sig })));
	daemon = { child, log, exited };
	await until(async () => (await db.query(
	    'SELECT 1 FROM daemon_instances WHERE pid = $1',
	    [child.pid])).rowCount === 1, 8000, 'daemon heartbeat row');
}

async function daemonStop() {
	const d = daemon;
	daemon = null;
	d.child.kill('SIGTERM');
	return Promise.race([d.exited, sleep(10000).then(() => ({
	    code: 'timeout' }))]);
}

async function row(id) {
	return (await db.query('SELECT * FROM accounts WHERE id = $1',
	    [id])).rows[0];
}

async function waitRow(id, pred, ms, what) {
	let last;
	try {
		return await until(async () => {
			last = await row(id);
			return last !== undefined && pred(last) ? last : null;
		}, ms, what);
	} catch (e) {
		throw new Error(`${e.message}; row: ${JSON.stringify(last)}`);
	}
}

async function post(pathname, form = {}) {
	let r;
	for (let i = 0; i < 50; i++) {
		r = await adm.postc(pathname, form);
		if (r.status !== 503)
			break;
		await sleep(100);
	}
	assert.equal(r.status, 303, `${pathname}: ${r.status} ${r.text}`);
	return r;
}

/* `wadeskctl send`: {status, out, id} (id: the message id printed). */
function send(to, text, extra = []) {
	const r = ctl(['send', String(st.acct), to, text, '--timeout', '30',
	    ...extra]);
	const m = /^sent: message (\S+) /.exec(r.stdout);
	return { status: r.status, out: r.stdout + r.stderr,
	    id: m ? m[1] : null };
}

/* wasim's records of our message "id". */
async function received(id) {
	const r = await wasim(`/received?account=${st.phone}&id=${id}`);
	assert.equal(r.status, 200);
	return Array.isArray(r.body) ? r.body : r.body.received || [];
}

/* The one record of id, with a delivery per device. */
async function one(id) {
	const recs = await until(async () => {
		const x = await received(id);
		return x.length > 0 ? x : null;
	}, 3000, `wasim's record of ${id}`);
	assert.equal(recs.length, 1, `records of ${id}: ${JSON.stringify(recs)}`);
	return recs[0];
}

function byTo(rec) {
	const m = {};
	for (const d of rec.deliveries)
		m[d.to] = d;
	return m;
}


const N = Number(process.env.SEND_BENCH_N || 8);
const MEMBERS = 255;

function pct(v, p) {
	const s = [...v].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
}

/* The daemon's timing line for message id: {out, acked} in ms. */
async function timing(id) {
	return until(() => {
		const m = new RegExp(`message ${id} .*out after (\\d+) us, acked ` +
		    'after (\\d+) us').exec(fs.readFileSync(daemon.log, 'utf8'));
		return m ? { out: Number(m[1]) / 1000, acked: Number(m[2]) / 1000 } :
		    null;
	}, 60000, `timing of ${id}`);
}

/* Queue a send_text row and wait for its result; its message id. */
async function sendRow(to, text) {
	const id = (await db.query("INSERT INTO commands (account_id, type, " +
	    "payload) VALUES ($1, 'send_text', jsonb_build_object('to', " +
	    "$2::text, 'text', $3::text)) RETURNING id", [st.acct, to,
	    text])).rows[0].id;
	const r = await until(async () => {
		const x = (await db.query('SELECT done_at, result, error, ' +
		    'message_id FROM commands WHERE id = $1', [id])).rows[0];
		return x.done_at !== null ? x : null;
	}, 60000, `command ${id}`);
	assert.equal(r.result, 'sent', JSON.stringify(r));
	return r.message_id;
}

const checks = [
	['send-bench-setup', async () => {
		db = await ownerConnect();
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		await daemonStart();
		const r = await post('/accounts', { label: 'Bench' });
		st.acct = Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
		st.phone = '15558880001';
		await post(`/accounts/${st.acct}/pair`);
		const q = await waitRow(st.acct, (a) => a.qr_code !== null, 5000,
		    'QR');
		assert.equal((await wasim('/scan', { qr: q.qr_code,
		    phone: st.phone })).status, 200);
		await waitRow(st.acct, (a) => a.status === 'connected', 8000,
		    'connected');
		const members = [st.phone];
		for (let i = 0; i < MEMBERS; i++) {
			const p = String(15558881000 + i);
			/* no delivery receipts: less work for wasim, which
			 * runs on the same cores */
			assert.equal((await wasim('/contact', { phone: p,
			    devices: [0, 1], receipts: false })).status, 200);
			members.push(p);
		}
		const g = await wasim('/group', { subject: 'Bench', members });
		assert.equal(g.status, 200, JSON.stringify(g.body));
		st.group = g.body.jid;
	}],
	['send-bench-group-256', async () => {
		const first = await timing(await sendRow(st.group, 'first'));
		const out = [], acked = [];
		for (let i = 0; i < N; i++) {
			const t = await timing(await sendRow(st.group,
			    `message ${i}`));
			out.push(t.out);
			acked.push(t.acked);
		}
		const p99 = pct(out, 99);
		console.log(`bench send-group-256: first send (sender key to ` +
		    `${2 * MEMBERS + 1} devices) encrypt+send ` +
		    `${first.out.toFixed(1)} ms, acked ${first.acked.toFixed(1)} ms`);
		console.log(`bench send-group-256: ${N} sends, key distributed: ` +
		    `encrypt+send p50 ${pct(out, 50).toFixed(1)} ms p99 ` +
		    `${p99.toFixed(1)} ms (target p99 < 300 ms: ` +
		    `${p99 < 300 ? 'met' : 'NOT met'}); to the ack p50 ` +
		    `${pct(acked, 50).toFixed(1)} ms p99 ` +
		    `${pct(acked, 99).toFixed(1)} ms (includes wasim decrypting ` +
		    `at ${2 * MEMBERS + 1} devices)`);
	}],
];

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (daemon !== null)
			await daemonStop();
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
