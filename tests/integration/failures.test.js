#!/usr/bin/env node
'use strict';
/*
 * Integration tests of "failures an operator can read": the status
 * timeline (sql/007's trigger and who it names for each writer), the
 * "Pairing ended" notice, readable event details with the JSON behind
 * a disclosure, the outdated-client banner and the
 * wadesk_client_outdated gauge, relative times beside UTC times.
 *
 * The session daemon's writes are played through SQL with the role the
 * real daemon logs in as (SET LOCAL ROLE wadesk_daemon, one
 * transaction per change as daemon/session.c makes them), with the
 * event details the daemon writes: "reason", and since issue 8 "cause"
 * and for a refused version "version" and "version_source"; events
 * without those keys (older daemons) must read well too.  Run by
 * web.sh after web.test.js, on the same stack; one "ok NAME" / "FAIL
 * NAME" line per check.
 */
const assert = require('node:assert/strict');
const { Browser, esc, dbConnect, runChecks } = require('./lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;

let db;
let adm;

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

async function q(sql, params) {
	return (await db.query(sql, params)).rows;
}

/* Run "fn(query)" in one transaction as the session daemon's role. */
/* One transaction on a connection of the daemon's own role, as wadeskd
 * signs in (sql/007 records the writer as session_user). */
let daemonDb;
async function asDaemon(fn) {
	if (daemonDb === undefined)
		daemonDb = await dbConnect('wadesk_daemon');
	await daemonDb.query('BEGIN');
	try {
		await fn((sql, params) => daemonDb.query(sql, params));
		await daemonDb.query('COMMIT');
	} catch (e) {
		await daemonDb.query('ROLLBACK');
		throw e;
	}
}

/* What daemon/session.c writes when a pairing window ends unlinked. */
async function pairingEnds(id, reason, detail) {
	await asDaemon(async (x) => {
		await x("UPDATE accounts SET status = 'unpaired', " +
		    'disconnect_reason = $2, qr_code = NULL, pair_code = NULL, ' +
		    'pair_deadline = NULL WHERE id = $1', [id, reason]);
		await x("INSERT INTO account_events (account_id, kind, detail) " +
		    "VALUES ($1, 'pair_timeout', $2::jsonb)",
		    [id, JSON.stringify(detail)]);
	});
}

async function createAccount(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303, `create ${label}: ${r.status}`);
	return Number(/^\/accounts\/(\d+)\?/.exec(r.location)[1]);
}

/* The account's transitions, oldest first. */
async function transitions(id) {
	return q('SELECT t.from_status, t.to_status, t.reason, t.actor, ' +
	    'o.username, t.db_role, e.kind FROM account_transitions t ' +
	    'LEFT JOIN operators o ON o.id = t.operator_id ' +
	    'LEFT JOIN account_events e ON e.id = t.event_id ' +
	    'WHERE t.account_id = $1 ORDER BY t.id', [id]);
}

/* The timeline rows of a page: [status, spent, why, by], newest first. */
function timelineRows(html) {
	const m = /<table class="timeline">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/
	    .exec(html);
	assert.ok(m, 'no timeline table');
	return [...m[1].matchAll(/<tr data-status="([a-z_]+)"><td><time datetime="[^"]+">[^<]+<\/time> \(<span class="ago" data-at="[^"]+">[^<]+<\/span>\)<\/td><td><span class="badge badge-[a-z_]+">[^<]+<\/span><\/td><td>([^<]+)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)]
	    .map((r) => [r[1], r[2], r[3], r[4]]);
}

const CONNECT_FAILED = 'Could not reach WhatsApp%s. Check this ' +
    'server&#39;s internet access (DNS, firewall, proxy), then try again.';
const sentence = (cause) => CONNECT_FAILED.replace('%s',
    cause ? ` (${esc(cause)})` : '');

check('integ-fail-setup', async () => {
	adm = new Browser('admin');
	await adm.signIn('admin', ADMIN_PW);
});

check('integ-fail-timeline-actors', async () => {
	const id = await createAccount(adm, 'Timeline');
	/* The web: created and Pair, both by the operator. */
	let r = await adm.postc(`/accounts/${id}/pair`);
	assert.equal(r.status, 303);
	/* The daemon on its own: the window ends, naming the cause. */
	await pairingEnds(id, 'connect_failed', { reason: 'connect_failed',
	    cause: 'web.whatsapp.com: name lookup failed' });
	/* Hand-written SQL. */
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1",
	    [id]);
	/* An operator's command carried out by the daemon: the web queues
	 * disconnect (no status change), the daemon marks it done in the
	 * transaction that writes the status. */
	r = await adm.postc(`/accounts/${id}/disconnect`);
	assert.equal(r.status, 303);
	await asDaemon(async (x) => {
		await x("UPDATE accounts SET status = 'disconnected', " +
		    "disconnect_reason = 'disconnected_by_operator' " +
		    'WHERE id = $1', [id]);
		await x("INSERT INTO account_events (account_id, kind, detail) " +
		    "VALUES ($1, 'disconnected', '{\"reason\": \"operator\"}')",
		    [id]);
		await x("UPDATE commands SET done_at = now(), claimed_at = now()," +
		    " result = 'disconnected' WHERE account_id = $1 AND " +
		    "type = 'disconnect' AND done_at IS NULL", [id]);
	});
	/* A status write that does not change the status: no row. */
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [id]);
	const t = await transitions(id);
	assert.deepEqual(t.map((x) => [x.from_status, x.to_status, x.actor,
	    x.username, x.db_role]), [
		[null, 'unpaired', 'operator', 'admin', 'wadesk_web'],
		['unpaired', 'pending', 'operator', 'admin', 'wadesk_web'],
		['pending', 'unpaired', 'daemon', null, 'wadesk_daemon'],
		['unpaired', 'connected', 'sql', null, 'wadesk'],
		['connected', 'disconnected', 'operator', 'admin',
		    'wadesk_daemon'],
	]);
	assert.deepEqual(t.map((x) => x.kind), ['created', 'pair_requested',
	    'pair_timeout', null, 'disconnected']);
	assert.equal(t[2].reason, 'connect_failed');
	/* The page: newest first, with the time spent and the sentence. */
	r = await adm.get(`/accounts/${id}`);
	assert.equal(r.status, 200);
	const rows = timelineRows(r.text);
	assert.deepEqual(rows.map((x) => [x[0], x[3]]), [
		['disconnected', 'admin, through the session daemon'],
		['connected', 'SQL as role wadesk'],
		['unpaired', 'session daemon'],
		['pending', 'admin'],
		['unpaired', 'admin'],
	]);
	assert.match(rows[0][1], /^\d+ s so far$/);
	assert.ok(rows.slice(1).every((x) => /^\d+ s$/.test(x[1])), 'spans');
	assert.equal(rows[2][2], sentence('web.whatsapp.com: name lookup ' +
	    'failed'));
	assert.equal(rows[0][2], 'An operator disconnected this account. ' +
	    'Press Reconnect when it should be online again.');
	assert.equal(rows[4][2], 'Account added.');
	/* Time spent is the gap to the next change. */
	await q("UPDATE account_transitions SET at = at - interval '200 s' " +
	    'WHERE account_id = $1 AND to_status = $2', [id, 'connected']);
	r = await adm.get(`/accounts/${id}`);
	assert.match(timelineRows(r.text)[1][1], /^3 min 2\d s$/);
	/* The audit trail page shows the timeline too. */
	r = await adm.get(`/accounts/${id}/events`);
	assert.equal(timelineRows(r.text).length, 5);
	/* A row inserted and deleted in one transaction, and a sweep over
	 * many rows in one statement (DS_SWEEP_PENDING's shape), commit. */
	await db.query('BEGIN');
	const tmp = (await q("INSERT INTO accounts (operator_id, label) " +
	    "SELECT id, 'gone' FROM operators WHERE username = 'admin' " +
	    'RETURNING id'))[0].id;
	await q('DELETE FROM accounts WHERE id = $1', [tmp]);
	await db.query('COMMIT');
	const a2 = await createAccount(adm, 'Sweep 1');
	const a3 = await createAccount(adm, 'Sweep 2');
	await q("UPDATE accounts SET status = 'pending' WHERE id IN ($1, $2)",
	    [a2, a3]);
	await asDaemon((x) => x("WITH s AS (UPDATE accounts a SET status = " +
	    "'unpaired', disconnect_reason = 'daemon_restarted' WHERE " +
	    "a.id IN ($1, $2) RETURNING a.id) INSERT INTO account_events " +
	    "(account_id, kind, detail) SELECT id, 'pair_timeout', " +
	    "'{\"reason\": \"daemon_restarted\"}' FROM s", [a2, a3]));
	for (const a of [a2, a3]) {
		const u = await transitions(a);
		assert.deepEqual([u[2].actor, u[2].kind, u[2].reason],
		    ['daemon', 'pair_timeout', 'daemon_restarted']);
	}
	await q('UPDATE accounts SET deleted_at = now() WHERE id IN ($1, $2)',
	    [a2, a3]);
	/* A back-off reconnect keeps the reason of the drop before it. */
	await asDaemon((x) => x("UPDATE accounts SET status = 'connecting' " +
	    'WHERE id = $1', [id]));
	r = await adm.get(`/accounts/${id}`);
	assert.equal(timelineRows(r.text)[0][2], 'Reconnecting after: An ' +
	    'operator disconnected this account. Press Reconnect when it ' +
	    'should be online again.');
});

check('integ-fail-timeline-paging', async () => {
	/* Exactly 50 changes: all on the page, no link to older ones. */
	const fifty = await createAccount(adm, 'Fifty');
	for (let i = 0; i < 49; i++)
		await q("UPDATE accounts SET status = CASE WHEN status = " +
		    "'connected' THEN 'connecting' ELSE 'connected' END " +
		    'WHERE id = $1', [fifty]);
	let f = await adm.get(`/accounts/${fifty}`);
	assert.equal(timelineRows(f.text).length, 50);
	assert.ok(!f.text.includes('Older changes'), 'older link at 50');
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1',
	    [fifty]);
	const id = await createAccount(adm, 'Busy');
	for (let i = 0; i < 60; i++)
		await q("UPDATE accounts SET status = CASE WHEN status = " +
		    "'connected' THEN 'connecting' ELSE 'connected' END " +
		    'WHERE id = $1', [id]);
	let r = await adm.get(`/accounts/${id}`);
	assert.equal(timelineRows(r.text).length, 50);
	assert.ok(r.text.includes('The newest 50 changes. <a href="' +
	    `/accounts/${id}/events#timeline">Older changes</a>`),
	    'older link');
	r = await adm.get(`/accounts/${id}/events`);
	const rows = timelineRows(r.text);
	assert.equal(rows.length, 61);
	assert.equal(rows[60][2], 'Account added.');
	assert.equal(rows[0][2], 'Connecting to WhatsApp.');
	assert.equal(rows[1][2], 'Logged in to WhatsApp.');
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

const NOTICE = /<p class="notice notice-failure" id="pairing-ended" role="alert"><b>Pairing ended:<\/b> ([^<]*)<\/p>/;

check('integ-fail-pairing-notice', async () => {
	const id = await createAccount(adm, 'Notice');
	let r = await adm.get(`/accounts/${id}`);
	assert.ok(!NOTICE.test(r.text), 'notice before any pairing');
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	r = await adm.get(`/accounts/${id}`);
	assert.ok(!NOTICE.test(r.text), 'notice while pairing');
	await pairingEnds(id, 'connect_failed', { reason: 'connect_failed',
	    cause: 'connection refused' });
	/* Stays on every reload, and after a change that is no pairing. */
	for (let i = 0; i < 2; i++) {
		r = await adm.get(`/accounts/${id}`);
		assert.equal(NOTICE.exec(r.text)?.[1],
		    sentence('connection refused'));
	}
	assert.equal((await adm.postc(`/accounts/${id}/rename`,
	    { label: 'Notice 2' })).status, 303);
	r = await adm.get(`/accounts/${id}`);
	assert.equal(NOTICE.exec(r.text)?.[1], sentence('connection refused'));
	/* The disconnect reason names the cause too. */
	assert.ok(r.text.includes('<dd id="reason">' +
	    sentence('connection refused') + '</dd>'), 'reason sentence');
	/* The next Pair ends it. */
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	r = await adm.get(`/accounts/${id}`);
	assert.ok(!NOTICE.test(r.text), 'notice after Pair');
	/* An older daemon's detail without a cause; a QR nobody scanned. */
	await pairingEnds(id, 'connect_failed', { reason: 'connect_failed' });
	r = await adm.get(`/accounts/${id}`);
	assert.equal(NOTICE.exec(r.text)?.[1], sentence(null));
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	await pairingEnds(id, 'qr_timeout', { reason: 'qr_timeout' });
	r = await adm.get(`/accounts/${id}`);
	assert.equal(NOTICE.exec(r.text)?.[1], 'No phone scanned the QR code ' +
	    'before the pairing window ended. Press Pair for a new QR code ' +
	    'and scan it within the window.');
	/* A hostile cause is text. */
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	const evil = '<script>alert("x")</script> & \'q\'';
	await pairingEnds(id, 'connect_failed', { reason: 'connect_failed',
	    cause: evil });
	r = await adm.get(`/accounts/${id}`);
	assert.ok(!r.text.includes(evil), 'raw cause');
	assert.equal(NOTICE.exec(r.text)?.[1], sentence(evil));
	/* The operator's own cancel is no failure notice. */
	assert.equal((await adm.postc(`/accounts/${id}/pair`)).status, 303);
	assert.equal((await adm.postc(`/accounts/${id}/cancel-pair`)).status,
	    303);
	r = await adm.get(`/accounts/${id}`);
	assert.ok(!NOTICE.test(r.text), 'notice after cancel');
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

/* [kind, title, text, raw JSON or undefined] of each event row. */
function eventRows(html) {
	return [...html.matchAll(/<tr data-kind="([a-z_]+)"><td><time [^>]*>[^<]*<\/time> \(<span class="ago" data-at="[^"]*">[^<]*<\/span>\)<\/td><td>[\s\S]*?<\/td><td>([^<]*)<\/td><td>[^<]*<\/td><td class="detail">([^<]*)(?:<details class="raw"><summary>details<\/summary><code>([^<]*)<\/code><\/details>)?<\/td><\/tr>/g)]
	    .map((m) => [m[1], m[2], m[3], m[4]]);
}

check('integ-fail-event-details', async () => {
	const id = await createAccount(adm, 'Details');
	const evs = [
		['connection_lost', {}],
		['keepalive_timeout', { cause: 'timed out' }],
		['disconnected', { reason: 'operator' }],
		['renamed', { label: 'a<b', new_label: 'c"d' }],
		['auto_connect_changed', { label: 'x', auto_connect: 'false' }],
		['duplicate', { existing_label: 'Shop <2>' }],
		['unpaired', { logout: 'not_confirmed' }],
		['qr_rotated', {}],
		['mystery_kind', { reason: 'mystery_code' }],
	];
	for (const [kind, d] of evs)
		await q('INSERT INTO account_events (account_id, kind, detail) ' +
		    'VALUES ($1, $2, $3::jsonb)', [id, kind, JSON.stringify(d)]);
	const want = [
		['mystery_kind', 'mystery_kind', 'The session daemon reported ' +
		    '\u201cmystery_code\u201d. Check the session daemon&#39;s ' +
		    'log.'],
		['qr_rotated', 'New QR code', 'The previous QR code expired; ' +
		    'the page shows the new one.'],
		['unpaired', 'Unpaired', 'The phone did not confirm the logout; ' +
		    'the keys were wiped anyway. Remove the device on the phone ' +
		    'if it is still listed.'],
		['duplicate', 'Phone already linked elsewhere', 'Phone already ' +
		    'linked to \u201cShop &lt;2&gt;\u201d. Unpair that account ' +
		    'first if this one should have the phone, then press Pair.'],
		['auto_connect_changed', 'Auto-connect changed', 'Turned off: ' +
		    'the account stays offline until someone presses Reconnect.'],
		['renamed', 'Renamed', 'From \u201ca&lt;b\u201d to ' +
		    '\u201cc&quot;d\u201d.'],
		['disconnected', 'Disconnected', 'An operator asked for it. ' +
		    'Press Reconnect when it should be online again.'],
		['keepalive_timeout', 'Connection timed out', 'WhatsApp stopped ' +
		    'answering and the connection timed out (timed out). Check ' +
		    'this server&#39;s network; with auto-connect on, the ' +
		    'session daemon reconnects by itself, otherwise press ' +
		    'Reconnect.'],
		['connection_lost', 'Connection lost', 'The connection to ' +
		    'WhatsApp dropped. With auto-connect on, the session daemon ' +
		    'reconnects by itself; otherwise press Reconnect.'],
	];
	for (const page of [`/accounts/${id}/events`, '/']) {
		const r = await adm.get(page);
		assert.equal(r.status, 200, page);
		const rows = eventRows(r.text).slice(0, want.length);
		assert.deepEqual(rows.map((x) => x.slice(0, 3)), want, page);
		/* Raw JSON only inside the disclosure, and not for "{}". */
		assert.equal(rows[0][3], esc('{"reason": "mystery_code"}'));
		assert.equal(rows[1][3], undefined, '{} has no disclosure');
		assert.equal(rows[5][3], esc('{"label": "a<b", "new_label": ' +
		    '"c\\"d"}'));
		assert.ok(!r.text.includes('Shop <2>'), `${page}: raw label`);
	}
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

const BANNER = /<p class="banner" id="outdated" role="alert">([\s\S]*?)<\/p>/;

async function outdatedGauge() {
	const r = await adm.get('/metrics');
	assert.equal(r.status, 200);
	assert.match(r.text, /# TYPE wadesk_client_outdated gauge\n/);
	const m = /^wadesk_client_outdated (\d+)$/m.exec(r.text);
	assert.ok(m, 'no wadesk_client_outdated sample');
	return Number(m[1]);
}

check('integ-fail-outdated-banner', async () => {
	const alice = new Browser('alice');
	const r0 = await adm.postc('/settings/operators', { username:
	    'fail-alice', password: 'fail-alice-pw-1', role: 'operator' });
	assert.equal(r0.status, 303);
	await alice.signIn('fail-alice', 'fail-alice-pw-1');
	const id = await createAccount(adm, 'Old client');
	const pages = ['/', '/accounts', `/accounts/${id}`,
	    `/accounts/${id}/events`, '/settings/operators', '/accounts/new',
	    '/accounts/999999999'];
	assert.equal(await outdatedGauge(), 0);
	for (const p of pages)
		assert.ok(!BANNER.test((await adm.get(p)).text), `banner on ${p}`);
	/* A 405 close: the daemon's event names the version it sent. */
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1", [id]);
	await asDaemon(async (x) => {
		await x("UPDATE accounts SET status = 'disconnected', " +
		    "disconnect_reason = 'client_outdated' WHERE id = $1", [id]);
		await x("INSERT INTO account_events (account_id, kind, detail) " +
		    "VALUES ($1, 'client_outdated', $2::jsonb)", [id,
		    JSON.stringify({ reason: 'client_outdated', cause:
		    'failure 405', version: '2.3000.1015901307',
		    version_source: 'built-in' })]);
	});
	assert.equal(await outdatedGauge(), 1);
	for (const p of pages) {
		const r = await adm.get(p);
		const m = BANNER.exec(r.text);
		assert.ok(m, `no banner on ${p}`);
		assert.ok(m[1].includes('Version sent: 2.3000.1015901307 (the ' +
		    'built-in default).'), `${p}: ${m[1]}`);
		assert.ok(m[1].includes('<code>WADESK_WA_VERSION</code>') &&
		    m[1].includes('<code>WADESK_WA_VERSION_FILE</code>'), p);
	}
	/* Every operator sees it (the version is global), no label. */
	let r = await alice.get('/accounts');
	assert.ok(BANNER.test(r.text), 'no banner for alice');
	assert.ok(!r.text.includes('Old client'), 'label leaked to alice');
	/* Signed out: no banner. */
	r = await new Browser('anon').get('/login');
	assert.ok(!BANNER.test(r.text), 'banner on the login page');
	/* The version from a file, then a hostile one; and an older
	 * event without a version. */
	for (const [d, want] of [
		[{ version: '2.3000.9', version_source: 'file /etc/wadesk/v' },
		    'Version sent: 2.3000.9 (from the file /etc/wadesk/v).'],
		[{ version: '<b>"1"</b>', version_source: 'WADESK_WA_VERSION' },
		    'Version sent: &lt;b&gt;&quot;1&quot;&lt;/b&gt; (from ' +
		    'WADESK_WA_VERSION).'],
	]) {
		await q("INSERT INTO account_events (account_id, kind, detail) " +
		    "VALUES ($1, 'client_outdated', $2::jsonb)", [id,
		    JSON.stringify(Object.assign({ reason: 'client_outdated' },
		    d))]);
		r = await adm.get('/');
		assert.ok(BANNER.exec(r.text)[1].includes(want), want);
	}
	await q("INSERT INTO account_events (account_id, kind, detail) VALUES " +
	    "($1, 'client_outdated', '{}')", [id]);
	r = await adm.get('/');
	assert.ok(!BANNER.exec(r.text)[1].includes('Version sent'));
	/* The account page's sentence points at the setting too. */
	r = await adm.get(`/accounts/${id}`);
	assert.ok(r.text.includes('<dd id="reason">WhatsApp refused this ' +
	    'client&#39;s version as outdated (failure 405). Set ' +
	    'WADESK_WA_VERSION, or the file WADESK_WA_VERSION_FILE names, to ' +
	    'the current WhatsApp Web version, then try again. Version sent: ' +
	    '2.3000.1015901307 (the built-in default).</dd>'), 'reason');
	/* Reconnect clears the reason: the banner and the gauge go. */
	assert.equal((await adm.postc(`/accounts/${id}/reconnect`)).status,
	    303);
	assert.equal(await outdatedGauge(), 0);
	for (const p of pages)
		assert.ok(!BANNER.test((await adm.get(p)).text), `banner on ${p}`);
	/* A deleted account's state does not count. */
	await q("UPDATE accounts SET disconnect_reason = 'client_outdated', " +
	    'deleted_at = now() WHERE id = $1', [id]);
	assert.equal(await outdatedGauge(), 0);
	assert.ok(!BANNER.test((await adm.get('/')).text));
});

const TIME = (iso) => `<time datetime="${iso}">${iso}</time> (<span ` +
    `class="ago" data-at="${iso}">`;

check('integ-fail-relative-times', async () => {
	const id = await createAccount(adm, 'Times');
	await q("UPDATE accounts SET created_at = now() - interval '185 s', " +
	    "last_connected_at = now() - interval '2 h 5 min' WHERE id = $1",
	    [id]);
	await q("INSERT INTO account_events (account_id, kind, at) VALUES " +
	    "($1, 'qr_rotated', now() - interval '3 days 1 h')", [id]);
	await q("INSERT INTO commands (account_id, type, created_at, done_at, " +
	    "error) VALUES ($1, 'reconnect', now() - interval '50 s', now(), " +
	    "'no credentials')", [id]);
	const iso = async (expr) => (await q(`SELECT iso(${expr}) AS v FROM ` +
	    'accounts WHERE id = $1', [id]))[0].v;
	const created = await iso('created_at');
	let r = await adm.get(`/accounts/${id}`);
	assert.ok(r.text.includes(TIME(created) + '3 min ago</span>)'),
	    'created on the account page');
	assert.ok(r.text.includes(TIME(await iso('last_connected_at')) +
	    '2 h ago</span>)'), 'last connected');
	assert.match(r.text, /<tr><td>reconnect<\/td><td><time [^>]*>[^<]*<\/time> \(<span class="ago" data-at="[^"]*">50 s ago<\/span>\)<\/td><td>Failed: This account has no keys, so it cannot connect. Press Pair to link it again.<\/td><\/tr>/);
	r = await adm.get('/accounts');
	assert.ok(r.text.includes(TIME(created) + '3 min ago</span>)'),
	    'created on the list');
	r = await adm.get(`/accounts/${id}/events`);
	assert.match(r.text, /data-kind="qr_rotated"><td><time [^>]*>[^<]*<\/time> \(<span class="ago" data-at="[^"]*">3 days ago<\/span>\)/);
	r = await adm.get('/settings/operators');
	assert.match(r.text, /<tr><td>admin<\/td><td>admin<\/td><td>active<\/td><td><time datetime="[^"]+">[^<]+<\/time> \(<span class="ago" data-at="[^"]+">(just now|\d+ \w+ ago)<\/span>\)<\/td>/);
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
});

async function main() {
	db = await dbConnect();
	const failed = await runChecks(checks, process.argv[2]);
	await db.end();
	if (daemonDb !== undefined)
		await daemonDb.end();
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log('FAIL integ-fail-runner');
	console.log(String(e && e.stack ? e.stack : e));
	process.exitCode = 1;
});
