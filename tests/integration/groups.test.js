#!/usr/bin/env node
'use strict';
/*
 * Issue 10, the pages' half, on the stack web.sh starts (no session
 * daemon: the owner connection plays it, writing the groups table and
 * the command rows the daemon would): GET /accounts/{id}/groups (rows,
 * admin badge, filter, 50 a page, empty states, ownership 404), Sync
 * now (a sync_groups command and its event), the send-test (a
 * send_text command with the group's JID and a client_id, its event,
 * the row's states Sending…/Sent ✓/refused/timeout and their JSON,
 * one row's state never moved by another's), and bad input: empty
 * and 65 KB text, a foreign group, another account's group, a
 * replayed form, a forged one, HTML in the text and in subjects.
 * The account page's send-test to a phone number: the same command
 * with the number's digits, its states, and its bad input.
 */
const assert = require('node:assert/strict');
const { Browser, dbConnect, esc, runChecks } = require('./lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
let db, adm, op;
const st = {};

async function q(sql, p) { return (await db.query(sql, p)).rows; }

async function createAcc(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303);
	return Number(/\/accounts\/(\d+)/.exec(r.location)[1]);
}

/* The daemon's write after a sync: exactly these groups. */
async function setGroups(id, list) {
	await q('DELETE FROM groups WHERE account_id = $1', [id]);
	for (const g of list)
		await q('INSERT INTO groups (account_id, jid, subject, ' +
		    'participants, is_admin, announce) VALUES ($1, $2, $3, $4, ' +
		    '$5, $6)', [id, g.jid, g.subject, g.participants || 2,
		    !!g.admin, !!g.announce]);
	await q('UPDATE accounts SET groups_synced_at = now() WHERE id = $1',
	    [id]);
}

/* The form fields of the row of group "jid" on a groups page. */
function rowOf(html, jid) {
	const i = html.indexOf(`data-jid="${jid}"`);
	assert.ok(i >= 0, `no row for ${jid}`);
	const tr = html.slice(html.lastIndexOf('<tr', i), html.indexOf('</tr>',
	    i) + 5);
	const f = (n) => {
		const m = new RegExp(`name="${n}" value="([^"]*)"`).exec(tr);
		return m ? m[1] : null;
	};
	return { html: tr, state: /data-state="([a-z]+)"/.exec(tr)[1],
	    client_id: f('client_id'), csrf: f('csrf'),
	    message: (/<p class="send-state"[^>]*>([^<]*)<\/p>/.exec(tr) ||
	    [])[1] };
}

async function page(b, id, query = '') {
	const r = await b.get(`/accounts/${id}/groups${query}`);
	assert.equal(r.status, 200, `groups page ${id}${query}: ${r.status}`);
	return r.text;
}

async function send(b, id, jid, text, extra = {}) {
	const p = await page(b, id);
	const row = rowOf(p, jid);
	return b.postc(`/accounts/${id}/groups/send`, Object.assign({ jid,
	    text, client_id: row.client_id }, extra));
}

async function latestSend(id, jid) {
	return (await q("SELECT * FROM commands WHERE account_id = $1 AND " +
	    "type = 'send_text' AND payload->>'to' = $2 ORDER BY id DESC " +
	    'LIMIT 1', [id, jid]))[0];
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

check('groups-setup', async () => {
	db = await dbConnect();
	adm = await new Browser('admin').signIn('admin', ADMIN_PW);
	const pw = 'groupsop-pw-123';
	const r = await adm.postc('/settings/operators',
	    { username: 'groupsop', password: pw, role: 'operator' });
	assert.equal(r.status, 303);
	op = await new Browser('groupsop').signIn('groupsop', pw);
	st.a = await createAcc(op, 'Groups A');
	st.b = await createAcc(op, 'Groups B');
	st.foreign = await createAcc(adm, 'Admin own');
	st.ga = '120363900000001@g.us';
	st.gb = '120363900000002@g.us';
	st.gx = '120363900000009@g.us';
	st.gn = '120363900000003@g.us';
	await setGroups(st.b, [{ jid: st.gx, subject: 'B only' }]);
	await setGroups(st.foreign, [{ jid: '120363900000077@g.us',
	    subject: 'Not yours' }]);
});

check('groups-empty-states-say-why', async () => {
	/* Never connected, never synced. */
	let acc = await op.get(`/accounts/${st.a}`);
	assert.ok(acc.text.includes(`<dd id="groups"><a href="/accounts/` +
	    `${st.a}/groups">not fetched yet</a>`), 'account page: groups');
	let p = await page(op, st.a);
	assert.match(p, /id="groups-empty"[^>]*>No groups yet: this account is not connected/);
	/* Connected, the first sync awaited: a refreshing page. */
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1", [st.a]);
	p = await page(op, st.a);
	assert.ok(p.includes('Fetching this account') &&
	    p.includes('http-equiv="refresh"'), 'waiting for the first sync');
	/* Synced, no groups. */
	await setGroups(st.a, []);
	p = await page(op, st.a);
	assert.ok(p.includes('No groups yet: this account takes part in no ' +
	    'WhatsApp group'), 'connected and synced, none');
	assert.ok(!p.includes('http-equiv="refresh"'));
	/* The account page links here, with the count. */
	acc = await op.get(`/accounts/${st.a}`);
	assert.ok(acc.text.includes(`<dd id="groups"><a href="/accounts/` +
	    `${st.a}/groups">0, synced <time`), 'account page: 0 groups');
});

check('groups-rows-admin-badge-escaped', async () => {
	await setGroups(st.a, [
		{ jid: st.ga, subject: 'Front <b>desk</b> & "co"',
		    participants: 12, admin: true },
		{ jid: st.gb, subject: 'Suppliers', participants: 3 },
		{ jid: st.gn, subject: 'News', announce: true }]);
	const p = await page(op, st.a);
	/* An announcement group where we are no admin: no Send test. */
	const n = rowOf(p, st.gn);
	assert.ok(n.html.includes('Only the group&#39;s admins may send here') &&
	    !n.html.includes('name="text"'), 'announcement group');
	const nr = await op.postc(`/accounts/${st.a}/groups/send`,
	    { jid: st.gn, text: 'hi' });
	assert.equal(nr.status, 409);
	await q('DELETE FROM groups WHERE jid = $1', [st.gn]);
	assert.ok(p.includes(esc('Front <b>desk</b> & "co"')), 'escaped');
	assert.ok(!p.includes('<b>desk</b>'), 'subject unescaped');
	const a = rowOf(p, st.ga), b = rowOf(p, st.gb);
	assert.ok(a.html.includes('badge-admin') &&
	    !b.html.includes('badge-admin'), 'admin badge');
	assert.ok(a.html.includes('<td>12</td>'));
	assert.match(a.client_id, /^[0-9a-f]{64}$/);
	assert.notEqual(a.client_id, b.client_id);
	assert.ok(p.includes('3 groups'));
	assert.ok(!p.includes('B only'), "another account's group shown");
});

check('groups-filter-and-pages', async () => {
	const list = [];
	for (let i = 0; i < 120; i++)
		list.push({ jid: `1203639100${String(i).padStart(5, '0')}@g.us`,
		    subject: `${i % 2 ? 'Shop' : 'Depot'} ${String(i).padStart(3,
		    '0')}` });
	await setGroups(st.b, list);
	let p = await page(op, st.b);
	assert.equal((p.match(/<tr class="group"/g) || []).length, 50);
	assert.ok(p.includes('Page 1 of 3'));
	assert.ok(p.includes('Depot 000') && !p.includes('Shop 001'),
	    'name order: Depot first');
	p = await page(op, st.b, '?page=3');
	assert.equal((p.match(/<tr class="group"/g) || []).length, 20);
	/* Filter by name, any case, with paging of its own. */
	p = await page(op, st.b, '?q=sHoP');
	assert.ok(p.includes('60 groups') && p.includes('Page 1 of 2'));
	assert.ok(!p.includes('Depot'), 'filter let others through');
	assert.ok(p.includes('href="/accounts/' + st.b +
	    '/groups?page=2&amp;q=sHoP"'), 'the pager keeps the filter');
	p = await page(op, st.b, '?q=' + encodeURIComponent('Shop 11'));
	assert.equal((p.match(/<tr class="group"/g) || []).length, 5);
	/* LIKE wildcards are text, not patterns. */
	p = await page(op, st.b, '?q=%25');
	assert.ok(p.includes(esc("No group's name contains that text.")));
	/* An HTML filter is echoed escaped. */
	p = await page(op, st.b, '?q=' + encodeURIComponent('<i>x"'));
	assert.ok(p.includes('value="&lt;i&gt;x&quot;"'));
	for (const bad of ['?page=0', '?page=x', '?q=' + 'a'.repeat(101),
	    '?q=%01'])
		assert.equal((await op.get(`/accounts/${st.b}/groups${bad}`))
		    .status, 400, bad);
});

check('groups-ownership-404', async () => {
	for (const path of [`/accounts/${st.foreign}/groups`,
	    '/accounts/999999/groups',
	    `/accounts/${st.foreign}/groups/send.json?jid=x@g.us`])
		assert.equal((await op.get(path)).status, 404, path);
	for (const [path, form] of [
	    [`/accounts/${st.foreign}/groups/sync`, {}],
	    [`/accounts/${st.foreign}/groups/send`, { jid:
	    '120363900000077@g.us', text: 'hi' }]])
		assert.equal((await op.postc(path, form)).status, 404, path);
	/* The admin sees every account's groups. */
	assert.ok((await page(adm, st.b)).includes('Depot 000'));
	assert.equal((await q("SELECT count(*)::int AS n FROM commands WHERE " +
	    'account_id = $1', [st.foreign]))[0].n, 0, 'a refused POST queued');
});

check('groups-sync-now-queues-command-and-event', async () => {
	const r = await op.postc(`/accounts/${st.a}/groups/sync`, {
	    q: 'Front', page: '1' });
	assert.equal(r.status, 303);
	assert.equal(r.location,
	    `/accounts/${st.a}/groups?notice=queued&q=%46%72%6F%6E%74`);
	const c = (await q("SELECT * FROM commands WHERE account_id = $1 AND " +
	    "type = 'sync_groups'", [st.a]));
	assert.equal(c.length, 1);
	assert.equal(c[0].done_at, null);
	const e = await q("SELECT kind, operator_id FROM account_events WHERE " +
	    "account_id = $1 AND kind = 'groups_sync_requested'", [st.a]);
	assert.equal(e.length, 1);
	assert.ok(e[0].operator_id !== null);
	/* Without the CSRF token: refused, nothing queued. */
	const forged = await op.post(`/accounts/${st.a}/groups/sync`, {});
	assert.equal(forged.status, 403);
	assert.equal((await q("SELECT count(*)::int AS n FROM commands WHERE " +
	    "account_id = $1 AND type = 'sync_groups'", [st.a]))[0].n, 1);
});

check('groups-send-test-queues-send-text', async () => {
	const text = 'Hello <script>alert(1)</script> & "team"';
	const r = await send(op, st.a, st.ga, text);
	assert.equal(r.status, 303, r.text);
	assert.match(r.location, new RegExp(`^/accounts/${st.a}/groups\\?notice=queued`));
	const c = await latestSend(st.a, st.ga);
	assert.equal(c.payload.to, st.ga);
	assert.equal(c.payload.text, text);
	assert.match(c.client_id, /^[0-9a-f]{64}$/);
	assert.equal(c.done_at, null);
	assert.ok(c.created_by !== null, 'operator recorded');
	const e = (await q("SELECT detail FROM account_events WHERE " +
	    "account_id = $1 AND kind = 'send_test_requested' ORDER BY id " +
	    'DESC LIMIT 1', [st.a]))[0];
	assert.equal(e.detail.to, st.ga);
	assert.equal(e.detail.command, String(c.id));
	assert.equal(e.detail.bytes, String(Buffer.byteLength(text)));
	/* The row says Sending…, refreshes without JS; the other row
	 * has no state. */
	const p = await page(op, st.a);
	assert.equal(rowOf(p, st.ga).state, 'sending');
	assert.equal(rowOf(p, st.ga).message, 'Sending\u2026');
	assert.equal(rowOf(p, st.gb).state, 'none');
	assert.ok(p.includes('http-equiv="refresh"'));
	assert.ok(!p.includes('<script>alert'), 'text unescaped somewhere');
	const j = await op.get(`/accounts/${st.a}/groups/send.json?jid=` +
	    encodeURIComponent(st.ga));
	assert.equal(j.status, 200);
	const js = JSON.parse(j.text);
	assert.equal(js.state, 'sending');
	assert.equal(js.command, String(c.id));
	/* The audit trail page shows it, escaped. */
	const ev = await op.get(`/accounts/${st.a}/events`);
	assert.equal(ev.status, 200);
	assert.ok(ev.text.includes('Test message queued'), 'event title');
	assert.ok(!ev.text.includes('<b>desk</b>'), 'subject unescaped');
	assert.ok(ev.text.includes('&lt;b&gt;desk&lt;/b&gt;'),
	    'the group is not named in the audit trail');
	st.cmd1 = c.id;
});

check('groups-send-replayed-form-queues-once', async () => {
	const p = await page(op, st.a);
	const cid = rowOf(p, st.gb).client_id;
	const form = { jid: st.gb, text: 'once', client_id: cid };
	const n0 = (await q("SELECT count(*)::int AS n FROM commands WHERE " +
	    "account_id = $1 AND type = 'send_text'", [st.a]))[0].n;
	for (let i = 0; i < 3; i++)
		assert.equal((await op.postc(`/accounts/${st.a}/groups/send`,
		    form)).status, 303);
	const n1 = (await q("SELECT count(*)::int AS n FROM commands WHERE " +
	    "account_id = $1 AND type = 'send_text'", [st.a]))[0].n;
	assert.equal(n1, n0 + 1, 'a replayed form queued again');
	assert.equal((await q("SELECT count(*)::int AS n FROM account_events " +
	    "WHERE account_id = $1 AND kind = 'send_test_requested'",
	    [st.a]))[0].n, 2);
	/* Forged (no CSRF token): 403, nothing queued. */
	const forged = await op.post(`/accounts/${st.a}/groups/send`,
	    { jid: st.gb, text: 'forged', client_id: 'abc' });
	assert.equal(forged.status, 403);
	assert.equal((await q("SELECT count(*)::int AS n FROM commands WHERE " +
	    "account_id = $1 AND type = 'send_text'", [st.a]))[0].n, n1);
});

check('groups-send-states-from-command-rows', async () => {
	/* ga: the daemon acked it; gb: still sending.  One row's state
	 * never moves the other's. */
	await q("UPDATE commands SET claimed_at = now(), done_at = now(), " +
	    "result = 'sent', message_id = '3EB0ABCDEF0123456789' WHERE id = $1",
	    [st.cmd1]);
	let p = await page(op, st.a);
	let a = rowOf(p, st.ga);
	assert.equal(a.state, 'sent');
	assert.match(a.message, /^Sent \u2713 message 3EB0ABCDEF0123456789 at \d{4}-/);
	assert.equal(rowOf(p, st.gb).state, 'sending');
	/* gb refused: restricted (463) with an end. */
	const gb = await latestSend(st.a, st.gb);
	await q("UPDATE accounts SET restricted = true, restricted_until = " +
	    "now() + interval '2 hours', restricted_reason = 'reach-out " +
	    "timelock' WHERE id = $1", [st.a]);
	await q("UPDATE commands SET done_at = now(), error = 'WhatsApp " +
	    "refused the message: the account is restricted.', error_code = " +
	    '463 WHERE id = $1', [gb.id]);
	p = await page(op, st.a);
	const b = rowOf(p, st.gb);
	assert.equal(b.state, 'failed');
	assert.match(b.message, /^WhatsApp refused the message \(restricted until \d{4}-\d\d-\d\dT/);
	assert.equal(rowOf(p, st.ga).state, 'sent', 'ga moved');
	/* Restricted: a badge with the end, Send test off, POST 409. */
	assert.match(p, /id="restricted"[^>]*>WhatsApp restricts this account until \d{4}-/);
	assert.match(p, /id="restricted-badge">Restricted until \d{4}-\d\d-\d\dT/);
	assert.match((await op.get(`/accounts/${st.a}`)).text,
	    /<span class="badge badge-restricted" id="restricted-badge">Restricted until \d{4}-/);
	assert.ok(!p.includes('name="text"'), 'Send test still offered');
	assert.ok(p.includes('<button type="button" disabled>Send test'));
	const r = await op.postc(`/accounts/${st.a}/groups/send`,
	    { jid: st.ga, text: 'while restricted' });
	assert.equal(r.status, 409);
	assert.ok(r.text.includes('Send test is off until then.'));
	/* Once it has passed, sending is back. */
	await q("UPDATE accounts SET restricted_until = now() - interval " +
	    "'1 second' WHERE id = $1", [st.a]);
	p = await page(op, st.a);
	assert.ok(p.includes('name="text"') && !p.includes('id="restricted"'));
	/* A timeout: not done 60 s after it was queued. */
	await send(op, st.a, st.gb, 'slow');
	const slow = await latestSend(st.a, st.gb);
	await q("UPDATE commands SET created_at = now() - interval '61 " +
	    "seconds' WHERE id = $1", [slow.id]);
	p = await page(op, st.a);
	assert.equal(rowOf(p, st.gb).state, 'timeout');
	assert.match(rowOf(p, st.gb).message, /^Timed out: no answer came within 60 s/);
	const j = JSON.parse((await op.get(`/accounts/${st.a}/groups/` +
	    `send.json?jid=${encodeURIComponent(st.gb)}`)).text);
	assert.equal(j.state, 'timeout');
	/* A daemon's sentence without a code is shown as written, escaped. */
	await send(op, st.a, st.gb, 'gone');
	const gone = await latestSend(st.a, st.gb);
	await q("UPDATE commands SET done_at = now(), error = 'Group not " +
	    "found <gone>.' WHERE id = $1", [gone.id]);
	p = await page(op, st.a);
	assert.equal(rowOf(p, st.gb).message, 'Group not found &lt;gone&gt;.');
});

check('groups-send-not-connected-recorded', async () => {
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [st.a]);
	const r = await send(op, st.a, st.ga, 'offline');
	assert.equal(r.status, 303);
	const c = await latestSend(st.a, st.ga);
	assert.equal(c.error, 'send_test_not_connected');
	assert.ok(c.done_at !== null, 'left open for a daemon');
	const p = await page(op, st.a);
	assert.equal(rowOf(p, st.ga).state, 'failed');
	assert.equal(rowOf(p, st.ga).message, 'Account not connected \u2014 ' +
	    'pair it first. Pair or reconnect the account, then send the test ' +
	    'again.');
	assert.ok(p.includes('id="not-connected"'));
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1",
	    [st.a]);
});

check('groups-send-bad-input', async () => {
	const count = async () => (await q("SELECT count(*)::int AS n FROM " +
	    "commands WHERE type = 'send_text'"))[0].n;
	const n0 = await count();
	const url = `/accounts/${st.a}/groups/send`;
	let r = await op.postc(url, { jid: st.ga, text: '' });
	assert.equal(r.status, 422);
	assert.ok(r.text.includes('The test message is empty'));
	r = await op.postc(url, { jid: st.ga, text: ' \n\t ' });
	assert.equal(r.status, 422, 'blank text');
	/* 65 KB: over the documented 65,536 bytes, refused by us (the
	 * form itself may be that large). */
	r = await op.postc(url, { jid: st.ga, text: 'x'.repeat(65 * 1024 + 1) });
	assert.equal(r.status, 422, `65 KB: ${r.status}`);
	assert.ok(r.text.includes('at most 65536 bytes'), r.text.slice(0, 300));
	/* Exactly the limit, in multi-byte text: accepted. */
	r = await send(op, st.a, st.gb, '\u00e9'.repeat(32768));
	assert.equal(r.status, 303, 'a 65,536-byte text');
	assert.equal((await latestSend(st.a, st.gb)).payload.text.length, 32768);
	r = await op.postc(url, { jid: st.ga, text: 'bell\u0007' });
	assert.equal(r.status, 422, 'control character');
	r = await op.postc(url, { jid: st.ga, text: 'ok', client_id: 'a b' });
	assert.equal(r.status, 422, 'bad client_id');
	/* A group of another account, one that does not exist, none. */
	for (const jid of [st.gx, '120363999999999@g.us', '', 'x@s.whatsapp.net'])
		assert.equal((await op.postc(url, { jid, text: 'hi' })).status,
		    404, `jid ${jid}`);
	assert.equal(await count(), n0 + 1, 'bad input queued something');
	assert.equal((await op.get(`/accounts/${st.a}/groups/send.json`))
	    .status, 400);
});

check('groups-send-health-and-metrics', async () => {
	const [c] = await q("SELECT count(*) FILTER (WHERE done_at IS NOT " +
	    "NULL AND error IS NULL)::int AS sent, count(*) FILTER (WHERE " +
	    "error IS NOT NULL)::int AS failed, count(*) FILTER (WHERE " +
	    "done_at IS NULL)::int AS pending FROM commands WHERE type = " +
	    "'send_text' AND account_id = $1", [st.a]);
	assert.ok(c.sent >= 1 && c.failed >= 2, JSON.stringify(c));
	const p = await page(op, st.a);
	assert.match(p, new RegExp(`id="send-health">Test messages: ${c.sent} ` +
	    `sent, ${c.failed} refused or failed \u00b7 last confirmed by ` +
	    'WhatsApp <time'));
	const m = await new Browser('scraper').get('/metrics');
	assert.equal(m.status, 200);
	const [all] = await q("SELECT count(*) FILTER (WHERE done_at IS NOT " +
	    "NULL AND error IS NULL)::int AS sent, count(*) FILTER (WHERE " +
	    "error IS NOT NULL)::int AS failed, count(*) FILTER (WHERE " +
	    "done_at IS NULL)::int AS pending FROM commands WHERE type = " +
	    "'send_text'");
	assert.ok(m.text.includes(`wadesk_sends_total{result="sent"} ${all.sent}\n`) &&
	    m.text.includes(`wadesk_sends_total{result="failed"} ${all.failed}\n`) &&
	    m.text.includes(`wadesk_sends_pending ${all.pending}\n`),
	    m.text.split('\n').filter((l) => l.includes('send')).join('; '));
	assert.match(m.text, /\nwadesk_send_last_ack_age_seconds \d+\n/);
});

/* The account page's phone send-test section (page_groups.c). */
async function phoneSec(b, id) {
	const r = await b.get(`/accounts/${id}`);
	assert.equal(r.status, 200, `account page ${id}: ${r.status}`);
	const i = r.text.indexOf('<section id="phone-send"');
	assert.ok(i >= 0, 'no phone send-test section');
	const sec = r.text.slice(i, r.text.indexOf('</section>', i));
	const f = (n) => {
		const tag = new RegExp(`<input[^>]* name="${n}"[^>]*>`).exec(sec);
		const m = tag && / value="([^"]*)"/.exec(tag[0]);
		return m ? m[1] : null;
	};
	return { page: r.text, html: sec,
	    state: /data-state="([a-z]+)"/.exec(sec)[1],
	    jid: /data-jid="([^"]*)"/.exec(sec)[1],
	    client_id: f('client_id'), to: f('to'),
	    message: (/<p class="send-state"[^>]*>([^<]*)<\/p>/.exec(sec) ||
	    [])[1] };
}

async function latestPhoneSend(id) {
	return (await q("SELECT * FROM commands WHERE account_id = $1 AND " +
	    "type = 'send_text' AND payload->>'to' NOT LIKE '%@g.us' ORDER " +
	    'BY id DESC LIMIT 1', [id]))[0];
}

check('groups-phone-send-test', async () => {
	const count = async () => (await q("SELECT count(*)::int AS n FROM " +
	    "commands WHERE type = 'send_text'"))[0].n;
	await q("UPDATE accounts SET status = 'connected', restricted = " +
	    'false WHERE id = $1', [st.a]);
	let s = await phoneSec(op, st.a);
	assert.equal(s.state, 'none');
	assert.equal(s.message, '');
	assert.match(s.client_id, /^[0-9a-f]{64}$/);
	const url = `/accounts/${st.a}/send`;
	/* Bad input: nothing queued, a sentence each. */
	const n0 = await count();
	for (const to of ['', 'abc', '+1 555', '0155501001', '+1 (555) 0100 ' +
	    '999 999 999', '+1 555 0100; DROP'])
		{
		const r = await op.postc(url, { to, text: 'hi' });
		assert.equal(r.status, 422, `to ${JSON.stringify(to)}: ${r.status}`);
		assert.ok(r.text.includes('The phone number is not valid'), to);
	}
	let r = await op.postc(url, { to: '+1 555 0100', text: ' ' });
	assert.equal(r.status, 422);
	assert.ok(r.text.includes('The test message is empty'));
	r = await op.post(url, { to: '+1 555 0100', text: 'forged' });
	assert.equal(r.status, 403, 'no CSRF token');
	r = await op.postc(`/accounts/${st.foreign}/send`,
	    { to: '+1 555 0100', text: 'not mine' });
	assert.equal(r.status, 404, 'another operator\'s account');
	assert.equal(await count(), n0, 'bad input queued something');
	/* A good send, sent twice with the same form: one row. */
	const text = 'Phone <b>test</b> & co';
	for (let i = 0; i < 2; i++) {
		r = await op.postc(url, { to: '+1 (555) 010-0199', text,
		    client_id: s.client_id });
		assert.equal(r.status, 303, r.text);
		assert.equal(r.location, `/accounts/${st.a}?notice=queued#phone-send`);
	}
	assert.equal(await count(), n0 + 1, 'the replayed form queued again');
	const c = await latestPhoneSend(st.a);
	assert.deepEqual(c.payload, { to: '15550100199', text });
	assert.equal(c.client_id, s.client_id);
	assert.equal(c.done_at, null);
	const e = (await q("SELECT detail FROM account_events WHERE " +
	    "account_id = $1 AND kind = 'send_test_requested' ORDER BY id " +
	    'DESC LIMIT 1', [st.a]))[0];
	assert.equal(e.detail.to, '15550100199');
	assert.equal(e.detail.command, String(c.id));
	assert.equal(e.detail.subject, undefined);
	s = await phoneSec(op, st.a);
	assert.equal(s.state, 'sending');
	assert.equal(s.message, 'Sending\u2026');
	assert.equal(s.jid, '15550100199');
	assert.equal(s.to, '+15550100199', 'the form keeps the last number');
	assert.ok(s.page.includes('http-equiv="refresh"'), 'no refresh');
	assert.ok(!s.page.includes('<b>test</b>'), 'text unescaped');
	const j = JSON.parse((await op.get(`/accounts/${st.a}/groups/send.json` +
	    '?jid=15550100199')).text);
	assert.equal(j.state, 'sending');
	assert.equal(j.command, String(c.id));
	/* A group send after it does not move the phone's state. */
	assert.equal((await send(op, st.a, st.ga, 'group meanwhile')).status,
	    303);
	await q("UPDATE commands SET claimed_at = now(), done_at = now(), " +
	    "result = 'sent', message_id = '3EB0PHONE0000000001' WHERE id = $1",
	    [c.id]);
	s = await phoneSec(op, st.a);
	assert.equal(s.state, 'sent');
	assert.match(s.message, /^Sent \u2713 message 3EB0PHONE0000000001 at \d{4}-/);
	/* Not connected: recorded done with the reason at once. */
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [st.a]);
	s = await phoneSec(op, st.a);
	r = await op.postc(url, { to: '4915112345678', text: 'offline',
	    client_id: s.client_id });
	assert.equal(r.status, 303);
	assert.equal((await latestPhoneSend(st.a)).error,
	    'send_test_not_connected');
	s = await phoneSec(op, st.a);
	assert.equal(s.state, 'failed');
	assert.match(s.message, /^Account not connected/);
	/* Restricted: the form is replaced by the reason; POST 409. */
	await q("UPDATE accounts SET status = 'connected', restricted = " +
	    "true, restricted_until = now() + interval '1 hour', " +
	    "restricted_reason = 'reach-out timelock' WHERE id = $1", [st.a]);
	s = await phoneSec(op, st.a);
	assert.ok(!s.html.includes('name="text"'), 'Send test still offered');
	assert.match(s.html, /<button type="button" disabled>Send test<\/button> WhatsApp restricts this account until \d{4}-[^<]* \(reach-out timelock\); Send test is off until then\./);
	const n1 = await count();
	r = await op.postc(url, { to: '+1 555 0100', text: 'restricted' });
	assert.equal(r.status, 409);
	assert.ok(r.text.includes('Send test is off until then.'));
	assert.equal(await count(), n1);
	await q('UPDATE accounts SET restricted = false, restricted_until = ' +
	    'NULL, restricted_reason = NULL WHERE id = $1', [st.a]);
});

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
