'use strict';
/*
 * Issue 9, sending text, end to end (run by tests/daemon/send.sh on the
 * stack of tests/daemon/run.sh): a real wadeskd paired with tests/wasim,
 * `wadeskctl send` to simulated contacts whose devices are Baileys'
 * own Signal code; wasim decrypts each <enc> at the device it is for and
 * records the plaintext (/received), so every check reads what the
 * other side really got.  Covers: every contact device and our own
 * phone (DeviceSentMessage), pkmsg then msg, server errors, 463
 * restriction with its end time (session stays connected), client-id
 * idempotency, not connected, a dead database mid-send (sent once),
 * three unanswered sends (stalled, reconnected, cleared by an ack),
 * and a group with sender keys (SKDM pairwise, then one skmsg).
 */
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Browser, sleep, until, runChecks } =
    require('../integration/lib.js');

const lib = require('./send_lib.js');
const { ownerConnect, wasim, byTo } = lib;

let db;
let adm;
let daemon = null;
const st = {};

async function daemonStart() {
	daemon = await lib.daemonStart(db, '20');
}

async function daemonStop() {
	const d = daemon;
	daemon = null;
	return lib.daemonStop(d);
}

const waitRow = (id, pred, ms, what) => lib.waitRow(db, id, pred, ms, what);
const post = (pathname, form) => lib.post(adm, pathname, form);
const send = (to, text, extra) => lib.send(st, to, text, extra);
const received = (id) => lib.received(st, id);
const one = (id) => lib.one(st, id);

const checks = [
	['send-setup-pair-and-contacts', async () => {
		db = await ownerConnect();
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		await daemonStart();
		const r = await post('/accounts', { label: 'Sender' });
		st.acct = Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
		st.phone = '15557770001';
		await post(`/accounts/${st.acct}/pair`);
		const q = await waitRow(st.acct, (a) => a.qr_code !== null, 5000,
		    'QR');
		const s = await wasim('/scan', { qr: q.qr_code, phone: st.phone });
		assert.equal(s.status, 200, JSON.stringify(s.body));
		await waitRow(st.acct, (a) => a.status === 'connected', 8000,
		    'connected');
		st.contact = '15557770100';
		const c = await wasim('/contact', { phone: st.contact,
		    devices: [0, 1, 2] });
		assert.equal(c.status, 200, JSON.stringify(c.body));
	}],
	['send-text-decrypts-at-every-contact-device-and-own-phone', async () => {
		const text = 'Hello from wadesk \u2713 \u{1F600}';
		const r = send(st.contact, text);
		assert.equal(r.status, 0, r.out);
		assert.match(r.id, /^3EB0[0-9A-F]{18}$/);
		const rec = await one(r.id);
		assert.equal(rec.ok, true, JSON.stringify(rec));
		assert.equal(rec.to, `${st.contact}@s.whatsapp.net`);
		const d = byTo(rec);
		for (const jid of [`${st.contact}@s.whatsapp.net`,
		    `${st.contact}:1@s.whatsapp.net`,
		    `${st.contact}:2@s.whatsapp.net`]) {
			assert.ok(d[jid], `no delivery to ${jid}: ` +
			    JSON.stringify(rec.deliveries));
			assert.equal(d[jid].ok, true, JSON.stringify(d[jid]));
			assert.equal(d[jid].text, text);
			assert.equal(d[jid].type, 'pkmsg');
			assert.ok(!d[jid].destination);
		}
		/* our own phone: the DeviceSentMessage for the chat */
		const own = d[`${st.phone}@s.whatsapp.net`];
		assert.ok(own, `no delivery to our phone: ${JSON.stringify(rec)}`);
		assert.equal(own.ok, true, JSON.stringify(own));
		assert.equal(own.own, true);
		assert.equal(own.text, text);
		assert.equal(own.destination, `${st.contact}@s.whatsapp.net`);
		assert.equal(rec.deliveries.length, 4,
		    JSON.stringify(rec.deliveries));
		const cmd = (await db.query('SELECT result, error, error_code, ' +
		    "message_id FROM commands WHERE type = 'send_text' AND " +
		    'message_id = $1', [r.id])).rows;
		assert.equal(cmd.length, 1);
		assert.equal(cmd[0].result, 'sent');
		assert.equal(cmd[0].error, null);
		/* the server acked it without a phash dispute */
		const acks = (await wasim(`/acks?id=${r.id}`)).body;
		const list = Array.isArray(acks) ? acks : acks.acks || [];
		assert.ok(list.some((a) => a.id === r.id && !a.error &&
		    !a.phash), JSON.stringify(list));
	}],
	['send-second-text-reuses-sessions-then-msg-after-replies', async () => {
		/* Signal keeps the pre-key header (pkmsg) on a new session
		 * until the peer answers on it (libsignal's unacknowledged
		 * pre-key message; whatsmeow and Baileys alike): the second
		 * send reuses the sessions without fetching keys again... */
		const fetches = async () => (await wasim('/keyFetches')).body
		    .keyFetches.filter((f) => f.by && f.by.startsWith(
		    `${st.phone}:`)).length;
		const before = await fetches();
		assert.ok(before >= 4, `key fetches so far: ${before}`);
		const r = send(`+${st.contact}`, 'second one');
		assert.equal(r.status, 0, r.out);
		const rec = await one(r.id);
		assert.equal(rec.deliveries.length, 4);
		for (const d of rec.deliveries) {
			assert.equal(d.ok, true, JSON.stringify(d));
			assert.equal(d.text, 'second one');
		}
		assert.equal(await fetches(), before, 'keys fetched again');
		/* ...and once every device has answered (the contact's three
		 * and our phone, as a DeviceSentMessage), it is plain msg. */
		for (const device of [0, 1, 2]) {
			const x = await wasim('/send', { from: st.contact, device,
			    text: `reply from ${device}` });
			assert.equal(x.status, 200, JSON.stringify(x.body));
		}
		const y = await wasim('/send', { self: true, account: st.phone,
		    chat: `${st.contact}@s.whatsapp.net`, text: 'from my phone' });
		assert.equal(y.status, 200, JSON.stringify(y.body));
		await sleep(500);
		const t = send(st.contact, 'third one');
		assert.equal(t.status, 0, t.out);
		const rec3 = await one(t.id);
		assert.equal(rec3.deliveries.length, 4);
		for (const d of rec3.deliveries) {
			assert.equal(d.ok, true, JSON.stringify(d));
			assert.equal(d.type, 'msg', JSON.stringify(d));
			assert.equal(d.text, 'third one');
		}
		assert.equal(await fetches(), before, 'keys fetched again');
	}],
	['send-new-device-after-devices-notification', async () => {
		/* The contact links a fourth device: wasim's devices
		 * notification drops our cached list, the next send asks
		 * usync again and reaches the new device with a pkmsg. */
		const c = await wasim('/contact', { phone: st.contact,
		    devices: [0, 1, 2, 3] });
		assert.equal(c.status, 200, JSON.stringify(c.body));
		await sleep(300);
		const r = send(st.contact, 'four devices now');
		assert.equal(r.status, 0, r.out);
		const d = byTo(await one(r.id));
		const nd = d[`${st.contact}:3@s.whatsapp.net`];
		assert.ok(nd, `new device missed: ${JSON.stringify(d)}`);
		assert.equal(nd.ok, true, JSON.stringify(nd));
		assert.equal(nd.type, 'pkmsg');
		assert.equal(nd.text, 'four devices now');
		assert.equal(Object.keys(d).length, 5);
		/* and a removed device is no longer addressed */
		assert.equal((await wasim('/contact', { phone: st.contact,
		    devices: [0, 1, 2] })).status, 200);
		await sleep(300);
		const r2 = send(st.contact, 'three again');
		assert.equal(r2.status, 0, r2.out);
		const d2 = byTo(await one(r2.id));
		assert.equal(Object.keys(d2).length, 4, JSON.stringify(d2));
		assert.ok(!d2[`${st.contact}:3@s.whatsapp.net`]);
	}],
	['send-server-error-reported-with-its-code', async () => {
		const e = await wasim('/send-error', { jid:
		    `${st.phone}@s.whatsapp.net`, code: 479 });
		assert.equal(e.status, 200, JSON.stringify(e.body));
		const r = send(st.contact, 'refused one');
		assert.equal(r.status, 1, r.out);
		assert.match(r.out, /^not sent: WhatsApp refused the message/);
		assert.match(r.out, /WhatsApp error 479/);
		const c = (await db.query("SELECT error, error_code FROM commands " +
		    "WHERE type = 'send_text' ORDER BY id DESC LIMIT 1")).rows[0];
		assert.equal(c.error_code, 479);
		assert.match(c.error, /^send_refused/);
		/* and the next one goes through */
		assert.equal(send(st.contact, 'after the error').status, 0);
	}],
	['send-three-timeouts-stall-then-reconnect-and-recover', async () => {
		/* Issue 10's send-side health: three sends in a row that
		 * WhatsApp never answers (wasim drops them: /send-error code
		 * 0) mark the account stalled and drop the connection as
		 * dead; the session reconnects by itself and the next acked
		 * send clears the flag.  Send timeout: 60 s / time scale. */
		const ev0 = (await db.query('SELECT coalesce(max(id), 0) AS m ' +
		    'FROM account_events WHERE account_id = $1', [st.acct]))
		    .rows[0].m;
		const e = await wasim('/send-error', { jid:
		    `${st.phone}@s.whatsapp.net`, code: 0, count: 3 });
		assert.equal(e.status, 200, JSON.stringify(e.body));
		for (let i = 1; i <= 3; i++) {
			const r = send(st.contact, `into the void ${i}`);
			assert.equal(r.status, 1, r.out);
			assert.match(r.out, /did not answer the send within a minute/);
			if (i < 3)
				assert.equal((await db.query('SELECT send_stalled ' +
				    'FROM accounts WHERE id = $1', [st.acct])).rows[0]
				    .send_stalled, false, `stalled after ${i}`);
		}
		const a = await waitRow(st.acct, (x) => x.send_stalled === true,
		    3000, 'send_stalled');
		assert.ok(a.send_stalled_at !== null);
		const evs = async () => (await db.query('SELECT kind, detail ' +
		    'FROM account_events WHERE account_id = $1 AND id > $2 ' +
		    'ORDER BY id', [st.acct, ev0])).rows;
		const stalled = (await evs()).filter((x) => x.kind ===
		    'send_stalled');
		assert.equal(stalled.length, 1, JSON.stringify(await evs()));
		assert.deepEqual(stalled[0].detail, { reason: 'send_stalled',
		    cause: '3 sends in a row got no answer from WhatsApp' });
		/* the connection was dropped as dead, and came back */
		await until(async () => (await evs()).some((x) => x.kind ===
		    'keepalive_timeout' && /3 sends in a row/.test(
		    JSON.stringify(x.detail))), 5000, 'the drop');
		await waitRow(st.acct, (x) => x.status === 'connected', 10000,
		    'reconnected');
		/* the page says it, the metrics count it */
		const pg = await adm.get(`/accounts/${st.acct}`);
		assert.match(pg.text, /id="stalled-badge">Sends stalled</);
		assert.match(pg.text, /id="stalled" role="status">Sends stalled at \d{4}-[^<]*WhatsApp stopped acknowledging this account&#39;s messages \(3 sends in a row got no answer\)/);
		assert.match((await new Browser('scraper').get('/metrics')).text,
		    /\nwadesk_accounts_send_stalled 1\n/);
		/* an acked send clears it */
		const ok = await until(async () => {
			const r = send(st.contact, 'heard again');
			return r.status === 0 ? r : null;
		}, 10000, 'a send after the reconnect');
		assert.match(ok.id, /^3EB0/);
		const b = await waitRow(st.acct, (x) => x.send_stalled === false,
		    3000, 'send_stalled cleared');
		assert.equal(b.send_stalled_at, null);
		assert.ok((await evs()).some((x) => x.kind === 'send_recovered'));
		assert.ok(!(await adm.get(`/accounts/${st.acct}`)).text.includes(
		    'stalled-badge'));
	}],
	['send-restricted-463-sets-state-with-end-stays-connected', async () => {
		const until = Math.floor(Date.now() / 1000) + 3600;
		const e = await wasim('/restrict', { jid:
		    `${st.phone}@s.whatsapp.net`, until });
		assert.equal(e.status, 200, JSON.stringify(e.body));
		const r = send(st.contact, 'while restricted');
		assert.equal(r.status, 1, r.out);
		assert.match(r.out, /restricted from sending/);
		assert.match(r.out, /WhatsApp error 463/);
		const a = await waitRow(st.acct, (x) => x.restricted === true &&
		    x.restricted_until !== null, 3000, 'restricted with its end');
		assert.equal(Math.floor(a.restricted_until.getTime() / 1000),
		    until);
		assert.equal(a.status, 'connected');
		assert.ok((await db.query("SELECT 1 FROM account_events WHERE " +
		    "account_id = $1 AND kind = 'restricted'", [st.acct]))
		    .rowCount >= 1, 'no restricted event');
		/* lifted: the next send is accepted and clears the state */
		assert.equal((await wasim('/unrestrict', { jid:
		    `${st.phone}@s.whatsapp.net` })).status, 200);
		const ok = send(st.contact, 'after the restriction');
		assert.equal(ok.status, 0, ok.out);
		const b = await waitRow(st.acct, (x) => x.restricted === false,
		    3000, 'restriction cleared');
		assert.equal(b.restricted_until, null);
	}],
	['send-restriction-cleared-when-its-end-passes', async () => {
		/* WhatsApp announced an end: once it has passed, the daemon
		 * clears the state by itself (no send needed). */
		const until = Math.floor(Date.now() / 1000) + 2;
		assert.equal((await wasim('/restrict', { jid:
		    `${st.phone}@s.whatsapp.net`, until })).status, 200);
		await waitRow(st.acct, (x) => x.restricted === true, 3000,
		    'restricted');
		const b = await waitRow(st.acct, (x) => x.restricted === false,
		    12000, 'cleared after its end');
		assert.equal(b.restricted_until, null);
		assert.equal(b.status, 'connected');
		/* wasim still refuses until its own clock says so */
		await sleep(500);
		assert.equal(send(st.contact, 'after the end').status, 0);
	}],
	['send-duplicate-client-id-is-sent-once', async () => {
		const a = send(st.contact, 'only once', ['--id', 'order-42']);
		assert.equal(a.status, 0, a.out);
		const b = send(st.contact, 'only once', ['--id', 'order-42']);
		assert.equal(b.status, 0, b.out);
		assert.match(b.out, /was queued before as command/);
		assert.equal(b.id, a.id);
		await sleep(300);
		assert.equal((await received(a.id)).length, 1);
		const n = (await db.query("SELECT count(*)::int AS n FROM commands " +
		    "WHERE client_id = 'order-42'")).rows[0].n;
		assert.equal(n, 1);
	}],
	['send-five-at-once-to-a-new-contact', async () => {
		/* Five rows in one statement, to a contact with no session
		 * yet: the sends run one after another up to their stanza
		 * (whatsmeow's send lock), so each device's keys are fetched
		 * once and every message opens. */
		st.c3 = '15557770300';
		assert.equal((await wasim('/contact', { phone: st.c3,
		    devices: [0, 1] })).status, 200);
		const ids = (await db.query("INSERT INTO commands (account_id, " +
		    "type, payload) SELECT $1, 'send_text', jsonb_build_object(" +
		    "'to', $2::text, 'text', 'burst ' || i) FROM " +
		    'generate_series(1, 5) i RETURNING id', [st.acct, st.c3]))
		    .rows.map((x) => x.id);
		const rows = await until(async () => {
			const x = (await db.query('SELECT id, done_at, result, ' +
			    'payload->>\'text\' AS text, message_id FROM commands ' +
			    'WHERE id = ANY ($1) ORDER BY id', [ids])).rows;
			return x.every((r) => r.done_at !== null) ? x : null;
		}, 15000, 'five results');
		for (const r of rows) {
			assert.equal(r.result, 'sent', JSON.stringify(r));
			const rec = await one(r.message_id);
			assert.equal(rec.deliveries.length, 3, JSON.stringify(rec));
			assert.ok(rec.deliveries.every((d) => d.ok &&
			    d.text === r.text), JSON.stringify(rec));
		}
		const f = (await wasim('/keyFetches')).body.keyFetches.filter((x) =>
		    x.jid && x.jid.startsWith(st.c3));
		assert.equal(f.length, 2, JSON.stringify(f));
	}],
	['send-retry-receipt-resends-on-the-new-keys', async () => {
		/* A contact's device is re-created (new identity, no session
		 * with us): our msg does not open there, it asks for a retry
		 * (count 1 without keys: we resend on our session, still no
		 * good; count 2 with its keys: a new session, a pkmsg, and
		 * the text arrives). */
		st.c4 = '15557770400';
		assert.equal((await wasim('/contact', { phone: st.c4,
		    devices: [0, 1] })).status, 200);
		const a = send(st.c4, 'before the reset');
		assert.equal(a.status, 0, a.out);
		assert.equal((await wasim('/contact', { phone: st.c4,
		    devices: [0] })).status, 200);
		assert.equal((await wasim('/contact', { phone: st.c4,
		    devices: [0, 1] })).status, 200);
		await sleep(300);
		const r = send(st.c4, 'after the reset');
		assert.equal(r.status, 0, r.out);
		const dev1 = `${st.c4}:1@s.whatsapp.net`;
		const got = await until(async () => {
			const recs = await received(r.id);
			const d = recs.flatMap((x) => x.deliveries).find((x) =>
			    x.to === dev1 && x.ok);
			return d || null;
		}, 5000, 'the retried copy opened at the new device');
		assert.equal(got.text, 'after the reset');
		assert.equal(got.type, 'pkmsg');
		assert.equal(got.count, 2);
		/* the new identity is recorded, as on the receiving side */
		assert.ok((await db.query("SELECT 1 FROM account_events WHERE " +
		    "account_id = $1 AND kind = 'identity_changed' AND " +
		    "detail->>'jid' = $2", [st.acct, dev1])).rowCount >= 1,
		    'no identity_changed event');
		const rc = (await wasim(`/receipts?account=${st.phone}&id=${r.id}`))
		    .body;
		assert.ok(rc.ok);
	}],
	['send-unknown-number-refused', async () => {
		const r = send('15559999999', 'nobody');
		assert.equal(r.status, 1, r.out);
		assert.match(r.out, /^not sent: /);
	}],
	['send-dead-database-mid-send-sends-once', async () => {
		/* Hold the server so the stanza is in flight while PostgreSQL
		 * goes away: the ack then comes with no database to write the
		 * result to; it is written after the restart, and nothing is
		 * sent a second time. */
		const pid = Number(process.env.WASIM_PID);
		assert.ok(pid > 0, 'WASIM_PID not set');
		process.kill(pid, 'SIGSTOP');
		let cmd;
		try {
			cmd = (await db.query("INSERT INTO commands (account_id, " +
			    "type, payload) VALUES ($1, 'send_text', " +
			    "jsonb_build_object('to', $2::text, 'text', " +
			    "'through the outage')) RETURNING id",
			    [st.acct, st.contact])).rows[0].id;
			await until(async () => (await db.query('SELECT message_id ' +
			    'FROM commands WHERE id = $1', [cmd])).rows[0]
			    .message_id, 5000, 'message id stored (claimed)');
			await sleep(200);
			execFileSync('scripts/pg.sh', ['stop'],
			    { env: Object.assign({}, process.env) });
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await sleep(1500);
		execFileSync('scripts/pg.sh', ['start'],
		    { env: Object.assign({}, process.env) });
		await db.end().catch(() => {});
		db = await ownerConnect();
		const c = await until(async () => {
			const x = (await db.query('SELECT done_at, result, ' +
			    'message_id FROM commands WHERE id = $1', [cmd])).rows[0];
			return x.done_at !== null ? x : null;
		}, 15000, 'result written after the restart');
		assert.equal(c.result, 'sent');
		await sleep(1000);
		const recs = await received(c.message_id);
		assert.equal(recs.length, 1, `sent ${recs.length} times`);
		assert.equal(recs[0].deliveries.filter((d) => d.ok).length, 4);
	}],
	['send-kill9-before-ack-resends-under-the-same-id', async () => {
		/* The daemon dies after the message went out, before the ack:
		 * the next daemon claims the command again and resends it
		 * under the stored message id (so receivers de-duplicate),
		 * with fresh ratchet steps that still decrypt everywhere. */
		await waitRow(st.acct, (a) => a.status === 'connected', 10000,
		    'connected');
		const pid = Number(process.env.WASIM_PID);
		process.kill(pid, 'SIGSTOP');
		let cmd, mid;
		try {
			cmd = (await db.query("INSERT INTO commands (account_id, " +
			    "type, payload) VALUES ($1, 'send_text', " +
			    "jsonb_build_object('to', $2::text, 'text', " +
			    "'across a crash')) RETURNING id",
			    [st.acct, st.contact])).rows[0].id;
			mid = await until(async () => (await db.query('SELECT ' +
			    'message_id FROM commands WHERE id = $1', [cmd])).rows[0]
			    .message_id, 5000, 'message id stored');
			await sleep(200);
			daemon.child.kill('SIGKILL');
			await daemon.exited;
			daemon = null;
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await daemonStart();
		const c = await until(async () => {
			const x = (await db.query('SELECT done_at, result, ' +
			    'message_id FROM commands WHERE id = $1', [cmd])).rows[0];
			return x.done_at !== null ? x : null;
		}, 20000, 'the command finished by the next daemon');
		assert.equal(c.result, 'sent');
		assert.equal(c.message_id, mid);
		const recs = await received(mid);
		assert.equal(recs.length, 2, JSON.stringify(recs));
		for (const r of recs) {
			assert.equal(r.deliveries.length, 4);
			assert.ok(r.deliveries.every((d) => d.ok &&
			    d.text === 'across a crash'), JSON.stringify(r));
		}
	}],
	['send-group-skdm-pairwise-then-one-skmsg', async () => {
		st.c2 = '15557770200';
		assert.equal((await wasim('/contact', { phone: st.c2,
		    devices: [0, 1] })).status, 200);
		const g = await wasim('/group', { subject: 'Team', members:
		    [st.phone, st.contact, st.c2] });
		assert.equal(g.status, 200, JSON.stringify(g.body));
		st.group = g.body.jid;
		const sim = [`${st.contact}@s.whatsapp.net`,
		    `${st.contact}:1@s.whatsapp.net`,
		    `${st.contact}:2@s.whatsapp.net`,
		    `${st.c2}@s.whatsapp.net`, `${st.c2}:1@s.whatsapp.net`,
		    `${st.phone}@s.whatsapp.net`];
		const r = send(st.group, 'hello team');
		assert.equal(r.status, 0, r.out);
		const rec = await one(r.id);
		assert.equal(rec.ok, true, JSON.stringify(rec));
		const pair = rec.deliveries.filter((d) => d.type !== 'skmsg');
		const sk = rec.deliveries.filter((d) => d.type === 'skmsg');
		/* the sender key, pairwise, to every device (ours too) */
		assert.deepEqual(pair.map((d) => d.to).sort(), [...sim].sort(),
		    JSON.stringify(pair));
		for (const d of pair) {
			assert.equal(d.ok, true, JSON.stringify(d));
			assert.equal(d.skdm, st.group, JSON.stringify(d));
			assert.equal(d.text, null);
		}
		/* one skmsg, opened at every member device with that key */
		assert.deepEqual(sk.map((d) => d.to).sort(), [...sim].sort(),
		    JSON.stringify(sk));
		for (const d of sk) {
			assert.equal(d.ok, true, JSON.stringify(d));
			assert.equal(d.text, 'hello team');
		}
		const acks = (await wasim(`/acks?id=${r.id}`)).body.acks;
		assert.ok(acks.some((a) => !a.error && !a.phash),
		    `phash disputed: ${JSON.stringify(acks)}`);
		/* the next message: no distribution, the skmsg alone */
		const r2 = send(st.group, 'second to the team');
		assert.equal(r2.status, 0, r2.out);
		const rec2 = await one(r2.id);
		assert.equal(rec2.deliveries.filter((d) => d.type !== 'skmsg')
		    .length, 0, JSON.stringify(rec2.deliveries));
		assert.deepEqual(rec2.deliveries.map((d) => [d.ok, d.text]),
		    sk.map(() => [true, 'second to the team']));
	}],
	['send-group-refused-first-then-key-distributed-again', async () => {
		/* A refused first message delivered no SKDM: the next send
		 * must distribute the sender key again, or no member could
		 * decrypt its skmsg (the memory is forgotten on any end but
		 * the server's positive ack). */
		const g = await wasim('/group', { subject: 'Refused first',
		    members: [st.phone, st.contact, st.c2] });
		assert.equal(g.status, 200, JSON.stringify(g.body));
		assert.equal((await wasim('/send-error', { jid:
		    `${st.phone}@s.whatsapp.net`, code: 479 })).status, 200);
		const r1 = send(g.body.jid, 'refused');
		assert.equal(r1.status, 1, r1.out);
		assert.match(r1.out, /WhatsApp error 479/);
		const r = send(g.body.jid, 'after the refusal');
		assert.equal(r.status, 0, r.out);
		const rec = await one(r.id);
		const pair = rec.deliveries.filter((d) => d.type !== 'skmsg');
		const sk = rec.deliveries.filter((d) => d.type === 'skmsg');
		assert.ok(pair.length >= 5 && pair.every((d) => d.ok &&
		    d.skdm === g.body.jid), 'no SKDM again: ' +
		    JSON.stringify(pair));
		assert.ok(sk.length >= 5 && sk.every((d) => d.ok &&
		    d.text === 'after the refusal'),
		    JSON.stringify(sk.map((d) => [d.to, d.ok, d.text])));
	}],
	['send-lid-group-by-lid-devices', async () => {
		/* A group addressed by LID: the devices, sessions and <to jid>
		 * are the LIDs', and the participant hash is the server's. */
		const g = await wasim('/group', { subject: 'LID team', lid: true,
		    members: [st.phone, st.contact, st.c2] });
		assert.equal(g.status, 200, JSON.stringify(g.body));
		const r = send(g.body.jid, 'hello lid team');
		assert.equal(r.status, 0, r.out);
		const rec = await one(r.id);
		const pair = rec.deliveries.filter((d) => d.type !== 'skmsg');
		const sk = rec.deliveries.filter((d) => d.type === 'skmsg');
		assert.equal(pair.length, 6, JSON.stringify(rec.deliveries));
		assert.ok(pair.every((d) => d.ok && /@lid$/.test(d.to) &&
		    d.skdm === g.body.jid), JSON.stringify(pair));
		assert.equal(sk.length, 6, JSON.stringify(sk));
		assert.ok(sk.every((d) => d.ok && d.text === 'hello lid team'),
		    JSON.stringify(sk));
		const acks = (await wasim(`/acks?id=${r.id}`)).body.acks;
		assert.ok(acks.some((a) => !a.error && !a.phash),
		    `phash disputed: ${JSON.stringify(acks)}`);
	}],
	['send-not-connected-is-a-sentence', async () => {
		await waitRow(st.acct, (a) => a.status === 'connected', 10000,
		    'connected again');
		await post(`/accounts/${st.acct}/disconnect`);
		await waitRow(st.acct, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		const r = send(st.contact, 'nobody home');
		assert.equal(r.status, 1, r.out);
		assert.match(r.out, /^not sent: The account is not connected, so /);
		assert.match(r.out, /Reconnect the account/);
		await post(`/accounts/${st.acct}/reconnect`);
		await waitRow(st.acct, (a) => a.status === 'connected', 8000,
		    'reconnected');
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
