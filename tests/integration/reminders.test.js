#!/usr/bin/env node
'use strict';
/*
 * Issue 11, the pages' half, on the stack web.sh starts (no session
 * daemon: the owner connection writes what the daemon would, runs and
 * their targets, and moves wall_now() with wadesk.clock_offset):
 * creating a one-off, a weekly (with weekdays) and a monthly day-31
 * reminder through the form, the edit round trip (the controls come
 * back as saved), every bad input (a field error, the form drawn
 * again with what was typed, nothing written), a preview that saves
 * nothing, ownership (another operator's reminder and run are 404),
 * CSRF, the status filters and their empty states, pause and resume
 * (next fire recomputed from wall_now()), delete keeping its runs
 * ("(deleted)"), Resume run / Cancel run command rows, Clear history,
 * the dashboard's cards, and the groups page ignoring reminder sends.
 */
const assert = require('node:assert/strict');
const { Browser, dbConnect, esc, runChecks } = require('./lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
const TZ = 'Europe/Berlin';
let db, adm, op, other;
const st = {};

async function q(sql, p) { return (await db.query(sql, p)).rows; }
async function one(sql, p) { return (await q(sql, p))[0]; }

async function createAcc(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303);
	return Number(/\/accounts\/(\d+)/.exec(r.location)[1]);
}

async function addGroups(id, list) {
	for (const [jid, subject] of list)
		await q('INSERT INTO groups (account_id, jid, subject, ' +
		    'participants) VALUES ($1, $2, $3, 3)', [id, jid, subject]);
	await q('UPDATE accounts SET groups_synced_at = now() WHERE id = $1',
	    [id]);
}

function unesc(s) {
	return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>')
	    .replace(/&quot;/g, '"').replace(/&#39;/g, "'")
	    .replace(/&amp;/g, '&');
}

/* POST pairs ([[k, v], ...], repeated keys allowed) as browser "b". */
function postPairs(b, path, pairs, csrf = true) {
	const all = csrf ? [['csrf', b.csrf], ...pairs] : pairs;
	return b.req('POST', path, { body: new URLSearchParams(all).toString(),
	    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

/* The reminder form's fields as a browser would submit them. */
function formOf(html) {
	const i = html.indexOf('id="reminder-form"');
	assert.ok(i >= 0, 'no reminder form');
	const f = html.slice(i, html.indexOf('</form>', i));
	const pairs = [];
	const attr = (tag, n) => {
		const m = new RegExp(`${n}="([^"]*)"`).exec(tag);
		return m ? unesc(m[1]) : null;
	};
	for (const m of f.matchAll(/<input ([^>]*)>/g)) {
		const t = m[1], type = attr(t, 'type') || 'text';
		if (attr(t, 'name') === 'csrf')
			continue;
		if ((type === 'checkbox' || type === 'radio') &&
		    !/ checked/.test(t))
			continue;
		pairs.push([attr(t, 'name'), attr(t, 'value') || '']);
	}
	for (const m of f.matchAll(/<select name="([^"]+)">([\s\S]*?)<\/select>/g)) {
		const s = /<option value="([^"]*)" selected>/.exec(m[2]);
		pairs.push([m[1], s ? unesc(s[1]) : '']);
	}
	for (const m of f.matchAll(/<textarea name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
		pairs.push([m[1], unesc(m[2])]);
	return pairs;
}

const get1 = (pairs, k) => (pairs.find((p) => p[0] === k) || [])[1];
const getAll = (pairs, k) => pairs.filter((p) => p[0] === k).map((p) => p[1]);
function setKey(pairs, k, vals) {
	const out = pairs.filter((p) => p[0] !== k);
	for (const v of [].concat(vals))
		out.push([k, v]);
	return out;
}

/* The next fire times listed on a page. */
function firesOf(html) {
	const m = /<ol id="fires">([\s\S]*?)<\/ol>/.exec(html);
	assert.ok(m, 'no fire times');
	return [...m[1].matchAll(/<li>([^<]*)<\/li>/g)].map((x) => x[1]);
}

function weekday(ymd) {
	const [y, m, d] = ymd.split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/* The local date in TZ "days" after wall_now(). */
async function localDate(days) {
	return (await one("SELECT to_char((wall_now() AT TIME ZONE $1)::date " +
	    "+ $2::int, 'YYYY-MM-DD') AS d", [TZ, days])).d;
}

/* A complete, valid form for account st.a (overrides by key). */
async function baseForm(over = {}) {
	const f = {
		account: String(st.a), name: 'Standup', g: [st.ga1],
		message: ['Standup in 5 minutes'], date: await localDate(1),
		time: '09:00', tz: TZ, freq: 'none', interval: '1',
		monthday: '', end: 'never', count: '', until: '', window: '',
	};
	Object.assign(f, over);
	const pairs = [];
	for (const [k, v] of Object.entries(f))
		for (const x of [].concat(v))
			pairs.push([k, x]);
	return pairs;
}

async function counts() {
	return one('SELECT (SELECT count(*) FROM reminders)::int AS r, ' +
	    '(SELECT count(*) FROM reminder_targets)::int AS t, ' +
	    '(SELECT count(*) FROM reminder_messages)::int AS m');
}

async function create(b, over) {
	const r = await postPairs(b, '/reminders', await baseForm(over));
	assert.equal(r.status, 303, `create: ${r.status} ${r.text.slice(0, 2000)}`);
	const m = /^\/reminders\/(\d+)\?notice=reminder_saved$/.exec(r.location);
	assert.ok(m, `location ${r.location}`);
	return Number(m[1]);
}

async function page(b, path) {
	const r = await b.get(path);
	assert.equal(r.status, 200, `${path}: ${r.status}`);
	return r.text;
}

/* A run as the daemon writes one: targets [[jid, subject, status]]. */
async function addRun(rem, status, targets, opts = {}) {
	const r = await one('INSERT INTO reminder_runs (reminder_id, ' +
	    'reminder_name, operator_id, account_id, scheduled_for, status, ' +
	    'sent, total, finished_at) SELECT id, name, operator_id, ' +
	    "account_id, now() - $2::interval, $3::text, $4, $5, CASE WHEN " +
	    "$3::text = 'running' THEN NULL ELSE now() END FROM reminders " +
	    'WHERE id = $1 RETURNING id', [rem, opts.ago || '1 hour', status,
	    targets.filter((t) => t[2] === 'sent').length, targets.length]);
	let pos = 0;
	for (const [jid, subject, s, err] of targets)
		await q('INSERT INTO reminder_run_targets (run_id, group_jid, ' +
		    'position, group_subject, status, error, sent_at, ' +
		    "message_id) VALUES ($1, $2, $3::int, $4, $5::text, $6, " +
		    "CASE WHEN $5::text = 'sent' THEN now() END, CASE WHEN " +
		    "$5::text = 'sent' THEN '3EB0' || $3::int END)", [r.id, jid, pos++, subject, s,
		    err || null]);
	return Number(r.id);
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

check('reminders-setup', async () => {
	db = await dbConnect();
	await q("UPDATE clock_offset SET offset_by = '0'");
	adm = await new Browser('admin').signIn('admin', ADMIN_PW);
	for (const u of ['remindop', 'remindother', 'remindempty']) {
		const r = await adm.postc('/settings/operators',
		    { username: u, password: `${u}-pw-123`, role: 'operator' });
		assert.equal(r.status, 303);
	}
	await q("UPDATE operators SET timezone = $1 WHERE username = " +
	    "'remindop'", [TZ]);
	op = await new Browser('remindop').signIn('remindop', 'remindop-pw-123');
	other = await new Browser('remindother').signIn('remindother',
	    'remindother-pw-123');
	st.a = await createAcc(op, 'Remind A');
	st.b = await createAcc(op, 'Remind B');
	st.x = await createAcc(other, 'Other X');
	st.ga1 = '120363800000001@g.us';
	st.ga2 = '120363800000002@g.us';
	st.ga3 = '120363800000003@g.us';
	st.gb1 = '120363800000011@g.us';
	st.gx1 = '120363800000021@g.us';
	await addGroups(st.a, [[st.ga1, 'Team <b>A</b>'], [st.ga2, 'Shop'],
	    [st.ga3, 'Depot']]);
	await addGroups(st.b, [[st.gb1, 'B only']]);
	await addGroups(st.x, [[st.gx1, 'Not yours']]);
});

check('reminders-nav-and-form-defaults', async () => {
	const d = await page(op, '/');
	assert.ok(d.includes('<a href="/reminders">Reminders</a>'), 'nav link');
	const want = async () => (await one("SELECT to_char((date_trunc(" +
	    "'minute', wall_now()) + interval '1 minute') AT TIME ZONE $1, " +
	    "'YYYY-MM-DD HH24:MI') AS t", [TZ])).t;
	const before = await want();
	const p = await page(op, `/reminders/new?account=${st.a}`);
	const after = await want();
	const f = formOf(p);
	assert.equal(get1(f, 'tz'), TZ, "the operator's zone");
	const at = `${get1(f, 'date')} ${get1(f, 'time')}`;
	assert.ok(at === before || at === after, `default ${at}, want ${before}`);
	assert.equal(get1(f, 'account'), String(st.a));
	assert.equal(get1(f, 'freq'), 'none');
	assert.equal(get1(f, 'end'), 'never');
	/* Account A's groups to choose from, none chosen; not B's. */
	for (const g of [st.ga1, st.ga2, st.ga3])
		assert.ok(p.includes(`name="g" value="${g}"`), g);
	assert.ok(!p.includes(st.gb1), "another account's group offered");
	assert.ok(p.includes(esc('Team <b>A</b>')) && !p.includes('<b>A</b>'),
	    'subject escaped');
	assert.deepEqual(getAll(f, 'g'), []);
	/* ?account=B re-renders with B's groups. */
	const pb = await page(op, `/reminders/new?account=${st.b}`);
	assert.ok(pb.includes(st.gb1) && !pb.includes(st.ga1), 'account B');
	/* Another operator's account is not offered. */
	const px = await page(op, `/reminders/new?account=${st.x}`);
	assert.ok(!px.includes(st.gx1), 'foreign groups shown');
	assert.ok(px.includes('id="account-error"'), 'foreign account');
});

check('reminders-create-one-off', async () => {
	const before = await counts();
	const date = await localDate(1);
	const id = await create(op, { name: 'One <i>off</i>', date,
	    time: '09:30' });
	const r = await one('SELECT *, extract(epoch FROM next_fire_at - ' +
	    'first_fire_at)::int AS d, to_char(first_fire_at AT TIME ZONE ' +
	    "$2, 'YYYY-MM-DD HH24:MI') AS local FROM reminders WHERE id = $1",
	    [id, TZ]);
	assert.equal(r.rrule, null);
	assert.equal(r.status, 'active');
	assert.equal(r.timezone, TZ);
	assert.equal(r.local, `${date} 09:30`);
	assert.equal(r.d, 0, 'next fire = first fire');
	assert.equal(r.window_end_hour, null);
	assert.equal(Number(r.operator_id), Number((await one("SELECT id FROM " +
	    "operators WHERE username = 'remindop'")).id));
	const after = await counts();
	assert.deepEqual([after.r - before.r, after.t - before.t,
	    after.m - before.m], [1, 1, 1]);
	const p = await page(op, `/reminders/${id}?notice=reminder_saved`);
	assert.ok(p.includes('The reminder was saved.'));
	assert.ok(p.includes(esc('One <i>off</i>')) && !p.includes('<i>off'),
	    'name escaped');
	assert.deepEqual(firesOf(p), [`${date} 09:30 ${TZ}`]);
	const sum = /<dd id="summary">([^<]*)</.exec(p)[1];
	assert.ok(sum.includes(date) && sum.includes('09:30') &&
	    sum.includes(TZ), `summary ${sum}`);
	assert.ok(p.includes(`data-jid="${st.ga1}"`) &&
	    p.includes(esc('Team <b>A</b>')), 'target with its subject');
	assert.ok(p.includes('Standup in 5 minutes'), 'message');
	assert.ok(p.includes('It has not fired yet.'));
	st.oneoff = id;
});

check('reminders-create-weekly-weekdays', async () => {
	const id = await create(op, { name: 'Weekly MWF', freq: 'weekly',
	    wd: ['0', '2', '4'], g: [st.ga1, st.ga2], time: '09:00',
	    message: ['First line\r\nsecond line', '', 'Second message'],
	    window: '18' });
	const r = await one('SELECT rrule, window_end_hour FROM reminders ' +
	    'WHERE id = $1', [id]);
	assert.match(r.rrule, /FREQ=WEEKLY/);
	assert.match(r.rrule, /BYDAY=MO,WE,FR/);
	assert.equal(r.window_end_hour, 18);
	const t = await q('SELECT group_jid, position FROM reminder_targets ' +
	    'WHERE reminder_id = $1 ORDER BY position', [id]);
	assert.deepEqual(t.map((x) => x.group_jid), [st.ga1, st.ga2]);
	const m = await q('SELECT text FROM reminder_messages WHERE ' +
	    'reminder_id = $1 ORDER BY position', [id]);
	assert.deepEqual(m.map((x) => x.text), ['First line\r\nsecond line',
	    'Second message'], 'the empty box is skipped');
	const p = await page(op, `/reminders/${id}`);
	const fires = firesOf(p);
	assert.equal(fires.length, 5);
	let prev = '';
	for (const f of fires) {
		const mm = /^(\d{4}-\d\d-\d\d) 09:00 Europe\/Berlin$/.exec(f);
		assert.ok(mm, `fire ${f}`);
		assert.ok([1, 3, 5].includes(weekday(mm[1])), `weekday of ${f}`);
		assert.ok(f > prev, 'increasing');
		prev = f;
	}
	st.weekly = id;
});

check('reminders-create-monthly-day-31', async () => {
	const y = Number((await localDate(0)).slice(0, 4)) + 1;
	const id = await create(op, { name: 'Month end', freq: 'monthly',
	    monthday: '31', date: `${y}-01-31`, time: '08:30' });
	const r = await one('SELECT rrule FROM reminders WHERE id = $1', [id]);
	assert.match(r.rrule, /FREQ=MONTHLY/);
	assert.match(r.rrule, /BYMONTHDAY=31/);
	const fires = firesOf(await page(op, `/reminders/${id}`));
	assert.deepEqual(fires, ['01-31', '03-31', '05-31', '07-31', '08-31']
	    .map((d) => `${y}-${d} 08:30 ${TZ}`), 'short months skipped');
	st.monthly = id;
});

check('reminders-edit-round-trip', async () => {
	let p = await page(op, `/reminders/${st.weekly}/edit`);
	let f = formOf(p);
	assert.equal(get1(f, 'name'), 'Weekly MWF');
	assert.equal(get1(f, 'freq'), 'weekly');
	assert.deepEqual(getAll(f, 'wd'), ['0', '2', '4']);
	assert.equal(get1(f, 'interval'), '1');
	assert.equal(get1(f, 'end'), 'never');
	assert.equal(get1(f, 'time'), '09:00');
	assert.equal(get1(f, 'tz'), TZ);
	assert.equal(get1(f, 'window'), '18');
	assert.deepEqual(getAll(f, 'g'), [st.ga1, st.ga2]);
	assert.deepEqual(getAll(f, 'message').filter((m) => m !== ''),
	    ['First line\nsecond line', 'Second message'].map((m) =>
	    m.replace('\n', '\r\n')));
	const rule0 = (await one('SELECT rrule FROM reminders WHERE id = $1',
	    [st.weekly])).rrule;
	/* Saved unchanged: the same rule. */
	let r = await postPairs(op, `/reminders/${st.weekly}`, f);
	assert.equal(r.status, 303, r.text.slice(0, 1500));
	assert.equal((await one('SELECT rrule FROM reminders WHERE id = $1',
	    [st.weekly])).rrule, rule0);
	/* Every 2 weeks, 10 times. */
	f = setKey(setKey(setKey(f, 'interval', '2'), 'end', 'count'),
	    'count', '10');
	r = await postPairs(op, `/reminders/${st.weekly}`, f);
	assert.equal(r.status, 303, r.text.slice(0, 1500));
	let rule = (await one('SELECT rrule FROM reminders WHERE id = $1',
	    [st.weekly])).rrule;
	assert.match(rule, /INTERVAL=2/);
	assert.match(rule, /COUNT=10/);
	p = await page(op, `/reminders/${st.weekly}/edit`);
	f = formOf(p);
	assert.equal(get1(f, 'interval'), '2');
	assert.equal(get1(f, 'end'), 'count');
	assert.equal(get1(f, 'count'), '10');
	assert.deepEqual(getAll(f, 'wd'), ['0', '2', '4']);
	/* Until a date, one group fewer, a message changed. */
	const until = await localDate(60);
	f = setKey(setKey(setKey(setKey(f, 'end', 'until'), 'until', until),
	    'g', [st.ga2]), 'message', ['Only this']);
	r = await postPairs(op, `/reminders/${st.weekly}`, f);
	assert.equal(r.status, 303, r.text.slice(0, 1500));
	rule = (await one('SELECT rrule FROM reminders WHERE id = $1',
	    [st.weekly])).rrule;
	assert.match(rule, /UNTIL=\d{8}T\d{6}Z/);
	f = formOf(await page(op, `/reminders/${st.weekly}/edit`));
	assert.equal(get1(f, 'end'), 'until');
	assert.equal(get1(f, 'until'), until);
	assert.deepEqual(getAll(f, 'g'), [st.ga2]);
	assert.deepEqual(getAll(f, 'message').filter((m) => m !== ''),
	    ['Only this']);
	/* Monthly day 31 and the one-off come back too. */
	f = formOf(await page(op, `/reminders/${st.monthly}/edit`));
	assert.equal(get1(f, 'freq'), 'monthly');
	assert.equal(get1(f, 'monthday'), '31');
	f = formOf(await page(op, `/reminders/${st.oneoff}/edit`));
	assert.equal(get1(f, 'freq'), 'none');
	assert.equal(get1(f, 'time'), '09:30');
	/* Back to every week, never ending, for the checks below. */
	f = formOf(await page(op, `/reminders/${st.weekly}/edit`));
	f = setKey(setKey(setKey(f, 'interval', '1'), 'end', 'never'), 'g',
	    [st.ga1, st.ga2]);
	r = await postPairs(op, `/reminders/${st.weekly}`, f);
	assert.equal(r.status, 303, r.text.slice(0, 1500));
});

check('reminders-bad-input-nothing-saved', async () => {
	const yesterday = await localDate(-1);
	const tomorrow = await localDate(1);
	const cases = [
		/* Day 31 of every 12th month from April: only Aprils. */
		['a rule that never fires', { freq: 'monthly', interval: '12',
		    monthday: '31', date: `${Number(tomorrow.slice(0, 4)) + 1}` +
		    '-04-10' }, 'rule-error', 'never fires'],
		['unknown zone', { tz: 'Mars/Olympus' }, 'tz-error',
		    'is not a time zone'],
		['until before first', { freq: 'daily', end: 'until',
		    until: yesterday, date: tomorrow }, 'until-error',
		    'before the first fire'],
		['empty message', { message: ['   ', ''] }, 'messages-error',
		    'at least one message'],
		['no message at all', { message: [] }, 'messages-error',
		    'at least one message'],
		['0 targets', { g: [] }, 'groups-error', 'at least one group'],
		["another account's group", { g: [st.ga1, st.gb1] },
		    'groups-error', "is not one of this account&#39;s groups"],
		['a foreign group', { g: [st.gx1] }, 'groups-error',
		    "is not one of this account&#39;s groups"],
		['first fire in the past', { date: yesterday }, 'when-error',
		    'in the past'],
		['a bad date', { date: '2026-13-40' }, 'when-error',
		    'as a date'],
		['no name', { name: '  ' }, 'name-error', 'Give the reminder'],
		['interval 0', { freq: 'daily', interval: '0' }, 'rule-error',
		    'interval'],
		['count 0', { freq: 'daily', end: 'count', count: '0' },
		    'until-error', 'how many times'],
		['window 25', { window: '25' }, 'window-error', 'hour from 1'],
		['a foreign account', { account: String(st.x), g: [st.gx1] },
		    'account-error', 'Choose one of your accounts'],
		['a bad frequency', { freq: 'hourly' }, 'rule-error',
		    'how the reminder repeats'],
	];
	for (const [what, over, id, text] of cases) {
		const before = await counts();
		const r = await postPairs(op, '/reminders', await baseForm(
		    Object.assign({ name: 'Bad <input> case' }, over)));
		assert.equal(r.status, 422, `${what}: ${r.status}`);
		const m = new RegExp(`id="${id}" role="alert">([^<]*)<`)
		    .exec(r.text);
		assert.ok(m, `${what}: no ${id} in the page`);
		assert.ok(m[1].includes(text), `${what}: "${m[1]}"`);
		assert.ok(r.text.includes('Nothing was saved'), what);
		/* Drawn again with what was typed. */
		const f = formOf(r.text);
		if (over.name === undefined)
			assert.equal(get1(f, 'name'), 'Bad <input> case', what);
		if (over.tz !== undefined)
			assert.equal(get1(f, 'tz'), over.tz, what);
		assert.deepEqual(await counts(), before, `${what}: written`);
	}
	/* An edit with a bad field leaves the reminder as it was. */
	const row = await one('SELECT name, rrule, updated_at FROM reminders ' +
	    'WHERE id = $1', [st.weekly]);
	const f = setKey(setKey(formOf(await page(op,
	    `/reminders/${st.weekly}/edit`)), 'name', 'Changed'), 'g', []);
	const r = await postPairs(op, `/reminders/${st.weekly}`, f);
	assert.equal(r.status, 422);
	assert.deepEqual(await one('SELECT name, rrule, updated_at FROM ' +
	    'reminders WHERE id = $1', [st.weekly]), row);
	assert.equal((await q('SELECT 1 FROM reminder_targets WHERE ' +
	    'reminder_id = $1', [st.weekly])).length, 2);
});

check('reminders-preview-saves-nothing', async () => {
	const before = await counts();
	const pairs = await baseForm({ freq: 'daily', time: '07:15' });
	pairs.push(['preview', '1']);
	const r = await postPairs(op, '/reminders', pairs);
	assert.equal(r.status, 200);
	assert.ok(r.text.includes('id="preview"'));
	const fires = firesOf(r.text);
	assert.equal(fires.length, 5);
	assert.ok(fires.every((x) => x.endsWith(`07:15 ${TZ}`)), fires);
	assert.ok(/<p id="summary">[^<]*07:15/.test(r.text), 'summary');
	assert.deepEqual(await counts(), before);
	assert.equal(get1(formOf(r.text), 'freq'), 'daily');
});

check('reminders-foreign-404', async () => {
	const run = await addRun(st.oneoff, 'success',
	    [[st.ga1, 'Team', 'sent']]);
	for (const path of [`/reminders/${st.weekly}`,
	    `/reminders/${st.weekly}/edit`, `/reminders/runs/${run}`,
	    '/reminders/999999', '/reminders/runs/999999'])
		assert.equal((await other.get(path)).status, 404, path);
	const before = await one('SELECT status, name FROM reminders WHERE ' +
	    'id = $1', [st.weekly]);
	const f = formOf(await page(op, `/reminders/${st.weekly}/edit`));
	for (const path of [`/reminders/${st.weekly}/pause`,
	    `/reminders/${st.weekly}/delete`, `/reminders/${st.weekly}/resume`,
	    `/reminders/runs/${run}/resume`, `/reminders/runs/${run}/cancel`])
		assert.equal((await other.postc(path, {})).status, 404, path);
	const r = await postPairs(other, `/reminders/${st.weekly}`,
	    setKey(f, 'name', 'Stolen'));
	assert.equal(r.status, 404);
	assert.deepEqual(await one('SELECT status, name FROM reminders WHERE ' +
	    'id = $1', [st.weekly]), before);
	assert.equal((await q("SELECT 1 FROM commands WHERE type IN " +
	    "('resume_run', 'cancel_run')")).length, 0);
	/* Not in the other operator's list; the admin sees it. */
	assert.ok(!(await page(other, '/reminders')).includes('Weekly MWF'));
	assert.ok((await page(adm, `/reminders/${st.weekly}`))
	    .includes('Weekly MWF'));
	await q('DELETE FROM reminder_runs WHERE id = $1', [run]);
});

check('reminders-csrf-refused', async () => {
	const before = await counts();
	let r = await postPairs(op, '/reminders', await baseForm(), false);
	assert.equal(r.status, 403);
	r = await postPairs(op, '/reminders', [['csrf', 'f'.repeat(64)],
	    ...(await baseForm())], false);
	assert.equal(r.status, 403);
	for (const a of ['delete', 'pause'])
		assert.equal((await op.post(`/reminders/${st.weekly}/${a}`, {}))
		    .status, 403, a);
	assert.equal((await op.post('/reminders/clear-history', {})).status,
	    403);
	assert.deepEqual(await counts(), before);
	assert.equal((await one('SELECT status FROM reminders WHERE id = $1',
	    [st.weekly])).status, 'active');
});

check('reminders-filters-and-empty-states', async () => {
	const e = await new Browser('remindempty').signIn('remindempty',
	    'remindempty-pw-123');
	let p = await page(e, '/reminders');
	assert.match(p, /id="reminders-empty">No reminders yet\. <a href="\/reminders\/new">Create a reminder<\/a>/);
	p = await page(e, '/reminders?status=paused');
	assert.match(p, /id="reminders-empty">No paused reminders\. <a href="\/reminders\/new">/);
	p = await page(e, '/reminders?status=failed');
	assert.ok(p.includes('No reminders whose last run failed.'));
	assert.equal((await e.get('/reminders?status=bogus')).status, 400);
	/* remindop: all three listed, with summary and next fire. */
	p = await page(op, '/reminders');
	for (const id of [st.oneoff, st.weekly, st.monthly])
		assert.ok(p.includes(`data-id="${id}"`), `row ${id}`);
	const row = p.slice(p.indexOf(`data-id="${st.weekly}"`));
	const tr = row.slice(0, row.indexOf('</tr>'));
	assert.ok(tr.includes('Remind A') && tr.includes('<td>2</td>'),
	    'account and groups count');
	assert.match(tr, /<td class="next">\d{4}-\d\d-\d\d 09:00 Europe\/Berlin<\/td>/);
	assert.match(tr, /<td class="summary">[^<]+<\/td>/);
	assert.ok(tr.includes('never run'));
	/* Paused: only in ?status=paused. */
	let r = await op.postc(`/reminders/${st.monthly}/pause`, {});
	assert.equal(r.status, 303);
	p = await page(op, '/reminders?status=paused');
	assert.ok(p.includes(`data-id="${st.monthly}"`) &&
	    !p.includes(`data-id="${st.weekly}"`) &&
	    !p.includes('reminders-empty'));
	p = await page(op, '/reminders?status=active');
	assert.ok(!p.includes(`data-id="${st.monthly}"`) &&
	    p.includes(`data-id="${st.weekly}"`));
	p = await page(op, '/reminders?status=ended');
	assert.ok(p.includes('No ended reminders.'));
	/* Failed: the newest run failed. */
	const run = await addRun(st.oneoff, 'failed', [[st.ga1, 'Team',
	    'failed', 'The account is not connected.']]);
	p = await page(op, '/reminders?status=failed');
	assert.ok(p.includes(`data-id="${st.oneoff}"`) &&
	    !p.includes(`data-id="${st.weekly}"`));
	st.failedRun = run;
	r = await op.postc(`/reminders/${st.monthly}/resume`, {});
	assert.equal(r.status, 303);
});

check('reminders-pause-resume-recomputes', async () => {
	let r = await op.postc(`/reminders/${st.weekly}/pause`, {});
	assert.equal(r.status, 303);
	assert.equal(r.location, `/reminders/${st.weekly}?notice=reminder_paused`);
	let p = await page(op, r.location);
	assert.ok(p.includes('Resume reminder') && !p.includes('>Pause<'));
	assert.equal((await op.postc(`/reminders/${st.weekly}/pause`, {}))
	    .status, 409, 'paused twice');
	/* Eight days later, resume: the next Mon/Wed/Fri after then. */
	await q("UPDATE clock_offset SET offset_by = '8 days'");
	try {
		r = await op.postc(`/reminders/${st.weekly}/resume`, {});
		assert.equal(r.status, 303);
		assert.match(r.location, /notice=reminder_resumed/);
		const x = await one("SELECT status, next_fire_at >= wall_now() " +
		    "AS later, next_fire_at < wall_now() + interval '3 days' AS " +
		    "soon, to_char(next_fire_at AT TIME ZONE $2, " +
		    "'YYYY-MM-DD HH24:MI') AS local FROM reminders " +
		    'WHERE id = $1', [st.weekly, TZ]);
		assert.equal(x.status, 'active');
		assert.ok(x.later && x.soon, `next ${x.local}`);
		assert.ok(x.local.endsWith(' 09:00') &&
		    [1, 3, 5].includes(weekday(x.local.slice(0, 10))), x.local);
		assert.equal((await op.postc(`/reminders/${st.weekly}/resume`,
		    {})).status, 409, 'resumed twice');
		/* The one-off's time has passed: resuming ends it. */
		await op.postc(`/reminders/${st.oneoff}/pause`, {});
		r = await op.postc(`/reminders/${st.oneoff}/resume`, {});
		assert.match(r.location, /notice=reminder_ended/);
		const o = await one('SELECT status, next_fire_at FROM reminders ' +
		    'WHERE id = $1', [st.oneoff]);
		assert.equal(o.status, 'ended');
		assert.equal(o.next_fire_at, null);
		p = await page(op, '/reminders?status=ended');
		assert.ok(p.includes(`data-id="${st.oneoff}"`));
	} finally {
		await q("UPDATE clock_offset SET offset_by = '0'");
	}
});

check('reminders-runs-and-run-commands', async () => {
	const run = await addRun(st.weekly, 'paused', [
	    [st.ga1, 'Team <b>A</b>', 'sent'],
	    [st.ga2, 'Shop', 'pending']]);
	await q("UPDATE reminder_runs SET error_summary = 'The delivery " +
	    "window closed at 18:00.' WHERE id = $1", [run]);
	let p = await page(op, `/reminders/${st.weekly}`);
	const sec = p.slice(p.indexOf(`id="run-${run}"`));
	const s = sec.slice(0, sec.indexOf('</section>'));
	assert.ok(s.includes('data-status="paused"') && s.includes('1 of 2 sent'));
	assert.ok(s.includes(esc('Team <b>A</b>')) && !s.includes('<b>A'));
	assert.match(s, new RegExp(`data-jid="${st.ga1}" data-status="sent"><td>[^<]*</td><td>Sent</td><td><time`));
	assert.match(s, new RegExp(`data-jid="${st.ga2}" data-status="pending">`));
	assert.ok(s.includes('3EB00') && s.includes('The delivery window ' +
	    'closed at 18:00.') && s.includes('1 group(s) still pending'));
	assert.ok(s.includes(`action="/reminders/runs/${run}/resume"`) &&
	    s.includes(`action="/reminders/runs/${run}/cancel"`));
	for (const [a, type] of [['resume', 'resume_run'],
	    ['cancel', 'cancel_run']]) {
		const r = await op.postc(`/reminders/runs/${run}/${a}`, {});
		assert.equal(r.status, 303);
		assert.equal(r.location, `/reminders/runs/${run}?notice=queued`);
		const c = await one('SELECT account_id, payload, created_by, ' +
		    'done_at FROM commands WHERE type = $1 ORDER BY id DESC ' +
		    'LIMIT 1', [type]);
		assert.equal(Number(c.account_id), st.a);
		assert.deepEqual(c.payload, { run });
		assert.equal(c.done_at, null);
	}
	/* The run's own page. */
	p = await page(op, `/reminders/runs/${run}?notice=queued`);
	assert.ok(p.includes('Weekly MWF') && p.includes(
	    `href="/reminders/${st.weekly}"`));
	assert.ok(p.includes('Done. The session daemon carries it out'));
	/* A finished run offers neither. */
	await q("UPDATE reminder_run_targets SET status = 'skipped', error = " +
	    "'canceled by operator' WHERE run_id = $1 AND status = 'pending'",
	    [run]);
	await q("UPDATE reminder_runs SET status = 'partial' WHERE id = $1",
	    [run]);
	p = await page(op, `/reminders/runs/${run}`);
	assert.ok(!p.includes('/resume"') && p.includes('canceled by operator'));
	st.partialRun = run;
});

check('reminders-delete-keeps-runs', async () => {
	const id = await create(op, { name: 'Doomed', g: [st.ga3] });
	const run = await addRun(id, 'success', [[st.ga3, 'Depot', 'sent']]);
	const r = await op.postc(`/reminders/${id}/delete`, {});
	assert.equal(r.status, 303);
	assert.equal(r.location, '/reminders?notice=reminder_deleted');
	assert.equal((await q('SELECT 1 FROM reminders WHERE id = $1', [id]))
	    .length, 0);
	assert.equal((await q('SELECT 1 FROM reminder_targets WHERE ' +
	    'reminder_id = $1', [id])).length, 0);
	const x = await one('SELECT reminder_id, reminder_name FROM ' +
	    'reminder_runs WHERE id = $1', [run]);
	assert.equal(x.reminder_id, null);
	assert.equal(x.reminder_name, 'Doomed');
	let p = await page(op, r.location);
	assert.ok(p.includes('Its runs stay in the history'));
	const rr = p.slice(p.indexOf(`data-run="${run}"`));
	assert.ok(rr.slice(0, rr.indexOf('</tr>')).includes('Doomed (deleted)'));
	p = await page(op, `/reminders/runs/${run}`);
	assert.ok(p.includes('Run #' + run + ' of Doomed (deleted)'));
	assert.ok(p.includes(`data-jid="${st.ga3}" data-status="sent"`));
	assert.equal((await op.get(`/reminders/${id}`)).status, 404);
	assert.equal((await other.get(`/reminders/runs/${run}`)).status, 404);
	st.deletedRun = run;
});

check('reminders-clear-history', async () => {
	const running = await addRun(st.weekly, 'running',
	    [[st.ga1, 'Team', 'pending']], { ago: '1 minute' });
	const paused = await addRun(st.weekly, 'paused',
	    [[st.ga1, 'Team', 'pending']], { ago: '2 minutes' });
	/* The other operator's run is not theirs to clear. */
	const foreign = await one('INSERT INTO reminder_runs (reminder_name, ' +
	    "operator_id, account_id, scheduled_for, status) SELECT 'Theirs', " +
	    "id, $1, now(), 'success' FROM operators WHERE username = " +
	    "'remindother' RETURNING id", [st.x]);
	const mine = await one("SELECT count(*)::int AS n FROM reminder_runs ru " +
	    "JOIN operators o ON o.id = ru.operator_id WHERE o.username = " +
	    "'remindop' AND ru.status NOT IN ('running', 'paused')");
	assert.ok(mine.n >= 3, `finished runs ${mine.n}`);
	const r = await op.postc('/reminders/clear-history', {});
	assert.equal(r.status, 303);
	assert.equal(r.location, `/reminders?cleared=${mine.n}#runs`);
	const left = await q('SELECT id FROM reminder_runs ORDER BY id');
	const ids = left.map((x) => Number(x.id));
	assert.ok(ids.includes(running) && ids.includes(paused) &&
	    ids.includes(Number(foreign.id)), 'kept');
	for (const gone of [st.deletedRun, st.partialRun, st.failedRun])
		assert.ok(!ids.includes(gone), `run ${gone} kept`);
	assert.equal((await q('SELECT 1 FROM reminder_run_targets WHERE ' +
	    'run_id = $1', [st.deletedRun])).length, 0);
	const p = await page(op, r.location.replace('#runs', ''));
	assert.ok(p.includes(`Cleared ${mine.n} finished runs from your ` +
	    'history.'));
	st.running = running;
});

check('reminders-runs-paged-newest-first', async () => {
	const ids = [];
	for (let i = 0; i < 25; i++)
		ids.push(await addRun(st.monthly, 'success', [[st.ga1, 'Team',
		    'sent']], { ago: `${30 - i} days` }));
	const runsOf = (p) => [...p.matchAll(/<section class="run" id="run-(\d+)"/g)]
	    .map((m) => Number(m[1]));
	let p = await page(op, `/reminders/${st.monthly}`);
	assert.deepEqual(runsOf(p), ids.slice(5).reverse(), 'page 1');
	assert.ok(p.includes('Page 1 of 2') && p.includes(
	    `href="/reminders/${st.monthly}?page=2#runs"`), 'pager');
	p = await page(op, `/reminders/${st.monthly}?page=2`);
	assert.deepEqual(runsOf(p), ids.slice(0, 5).reverse(), 'page 2');
	p = await page(op, `/reminders/${st.monthly}?page=3`);
	assert.ok(p.includes('There is no such page of runs.'));
	for (const bad of ['0', 'x', '-1'])
		assert.equal((await op.get(`/reminders/${st.monthly}?page=${bad}`))
		    .status, 400, bad);
	/* The detail's Delete sits behind a disclosure. */
	assert.match(p, /<details class="confirm" id="delete">[\s\S]*action="\/reminders\/\d+\/delete"/);
});

check('reminders-dashboard-cards', async () => {
	await addRun(st.monthly, 'failed', [[st.ga1, 'Team', 'failed']]);
	const want = await one("SELECT (SELECT count(*) FROM reminders r JOIN " +
	    "accounts a ON a.id = r.account_id WHERE a.operator_id = o.id " +
	    "AND r.status = 'active')::int AS act, (SELECT count(*) FROM " +
	    "reminder_runs WHERE operator_id = o.id AND started_at > now() - " +
	    "interval '24 hours')::int AS runs, (SELECT count(*) FROM " +
	    "reminder_runs WHERE operator_id = o.id AND status = 'failed' AND " +
	    "started_at > now() - interval '24 hours')::int AS failed FROM " +
	    "operators o WHERE username = 'remindop'");
	assert.ok(want.act >= 2 && want.runs >= 3 && want.failed === 1, want);
	const p = await page(op, '/');
	const card = (id) => {
		const m = new RegExp(`id="dash-reminders-${id}" href="([^"]*)">` +
		    '<span class="n">(\\d+)</span>').exec(p);
		assert.ok(m, `card ${id}`);
		return [m[1], Number(m[2])];
	};
	assert.deepEqual(card('active'), ['/reminders?status=active', want.act]);
	assert.deepEqual(card('runs'), ['/reminders#runs', want.runs]);
	assert.deepEqual(card('failed'), ['/reminders?status=failed',
	    want.failed]);
	/* A run's end in the recent events, as a sentence. */
	await q("INSERT INTO account_events (account_id, kind, detail) " +
	    "VALUES ($1, 'reminder.run', $2)", [st.a, JSON.stringify({
	    reminder: st.weekly, run: 4242, status: 'partial', sent: 1,
	    total: 2 })]);
	const pd = await page(op, '/');
	assert.ok(pd.includes('Run #4242: 1 of 2 groups sent (partial).'),
	    'reminder.run event text');
	/* The empty operator's cards are zeros. */
	const e = await new Browser('remindempty').signIn('remindempty',
	    'remindempty-pw-123');
	const pe = await page(e, '/');
	assert.ok(pe.includes('id="dash-reminders-active" href="/reminders?' +
	    'status=active"><span class="n">0</span>'));
});

check('reminders-groups-page-ignores-reminder-sends', async () => {
	await q("INSERT INTO commands (account_id, type, payload, client_id) " +
	    "VALUES ($1, 'send_text', $2, $3)", [st.a, JSON.stringify({
	    to: st.ga1, text: 'from a reminder' }),
	    `reminder:${st.running}:${st.ga1}:0`]);
	const p = await page(op, `/accounts/${st.a}/groups`);
	const i = p.indexOf(`data-jid="${st.ga1}"`);
	const tr = p.slice(p.lastIndexOf('<tr', i), p.indexOf('</tr>', i));
	assert.match(tr, /data-state="none"/, 'a reminder send shown as a ' +
	    'send-test');
});

runChecks(checks, process.argv[2]).then(async (failed) => {
	if (db)
		await db.end();
	process.exit(failed ? 1 : 0);
});
