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
const { Browser, until, runChecks } = require('../integration/lib.js');

const lib = require('./send_lib.js');
const { ownerConnect, wasim } = lib;

let db;
let adm;
let daemon = null;
const st = {};

/* Real keepalive (time scale 1): wasim is busy for seconds decrypting
 * the first send at 511 devices and answers no ping meanwhile. */
async function daemonStart() {
	daemon = await lib.daemonStart(db, '1');
}

async function daemonStop() {
	const d = daemon;
	daemon = null;
	return lib.daemonStop(d);
}

const waitRow = (id, pred, ms, what) => lib.waitRow(db, id, pred, ms, what);
const post = (pathname, form) => lib.post(adm, pathname, form);

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
