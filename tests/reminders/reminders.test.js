'use strict';
/*
 * Issue 11, the daemon's half: the reminder scheduler of the real
 * wadeskd against tests/wasim, run by tests/reminders/run.sh (on the
 * stack of tests/daemon/run.sh).  Reminders are written by SQL as the
 * owner (the pages are another piece), time is moved with
 * wadesk.clock_offset (wall_now()), and every check reads what wasim
 * really received (/received: one record per message id, decrypted at
 * the group's member devices).  "Exactly once" means one message id
 * per (group, text): a send resumed after a crash goes out under the
 * same id, which receivers de-duplicate.  One "ok NAME" / "FAIL NAME"
 * line per check.
 */
const assert = require('node:assert/strict');
const { Browser, sleep, until, runChecks } =
    require('../integration/lib.js');
const lib = require('../daemon/send_lib.js');
const { ownerConnect, wasim } = lib;

let db, adm, daemon = null;
const st = { phone: '15557110001', contact: '15557110100', groups: [] };
const tag = Date.now().toString(36);
let ntext = 0;

function text(what) {
	return `${what} ${tag}-${++ntext}`;
}

async function sim(pathname, body) {
	const r = await wasim(pathname, body);
	assert.equal(r.status, 200, `${pathname}: ${JSON.stringify(r.body)}`);
	return r.body;
}

async function daemonStart() {
	daemon = await lib.daemonStart(db, '20');
}

async function daemonStop() {
	const d = daemon;
	daemon = null;
	return lib.daemonStop(d);
}

async function q(sql, params = []) {
	return (await db.query(sql, params)).rows;
}

/* Move wall_now() by "secs" seconds (as the owner). */
async function shift(secs) {
	await q('UPDATE clock_offset SET offset_by = offset_by + ' +
	    'make_interval(secs => $1)', [secs]);
}

async function wallNow() {
	return Number((await q('SELECT floor(extract(epoch FROM ' +
	    'wall_now()))::bigint AS t'))[0].t);
}

/*
 * A reminder of st.acct in one transaction (the NOTIFY comes at
 * commit, with its groups and messages in place): first fire "at"
 * seconds from wall_now() (whole seconds), rule, window end hour.
 * Returns {id, first} (first: Unix s).
 */
async function reminder({ name, groups, texts, at = 0, rrule = null,
    hour = null, tz = 'UTC', acct = st.acct }) {
	await db.query('BEGIN');
	try {
		const r = (await db.query('INSERT INTO reminders (operator_id, ' +
		    'account_id, name, timezone, first_fire_at, rrule, ' +
		    'window_end_hour, next_fire_at) SELECT $1, $2, $3, $4, t, $5, ' +
		    '$6, t FROM (SELECT date_trunc(\'second\', wall_now()) + ' +
		    'make_interval(secs => $7) AS t) x RETURNING id, ' +
		    'floor(extract(epoch FROM first_fire_at))::bigint AS first',
		    [st.op, acct, name, tz, rrule, hour, at])).rows[0];
		for (let i = 0; i < groups.length; i++)
			await db.query('INSERT INTO reminder_targets (reminder_id, ' +
			    'group_jid, position) VALUES ($1, $2, $3)',
			    [r.id, groups[i], i]);
		for (let i = 0; i < texts.length; i++)
			await db.query('INSERT INTO reminder_messages (reminder_id, ' +
			    'position, text) VALUES ($1, $2, $3)', [r.id, i, texts[i]]);
		await db.query('COMMIT');
		return { id: Number(r.id), first: Number(r.first) };
	} catch (e) {
		await db.query('ROLLBACK');
		throw e;
	}
}

async function runs(rem) {
	return q('SELECT *, floor(extract(epoch FROM scheduled_for))::bigint ' +
	    'AS sched FROM reminder_runs WHERE reminder_id = $1 ORDER BY id',
	    [rem]);
}

async function targets(run) {
	return q('SELECT * FROM reminder_run_targets WHERE run_id = $1 ' +
	    'ORDER BY position', [run]);
}

async function remRow(id) {
	return (await q('SELECT *, floor(extract(epoch FROM next_fire_at))' +
	    '::bigint AS next FROM reminders WHERE id = $1', [id]))[0];
}

/* Wait for the runs of reminder "rem" to satisfy pred(runs). */
async function waitRuns(rem, pred, ms, what) {
	let last;
	try {
		return await until(async () => {
			last = await runs(rem);
			return pred(last) ? last : null;
		}, ms, what);
	} catch (e) {
		throw new Error(`${e.message}; runs: ${JSON.stringify(last)}`);
	}
}

/* Distinct message ids wasim recorded from us to group "jid" with
 * text "t" (accepted ones). */
async function ids(jid, t) {
	const r = await sim(`/received?account=${st.phone}`);
	const recs = Array.isArray(r) ? r : r.received || [];
	return [...new Set(recs.filter((x) => x.to === jid && x.text === t &&
	    x.ok).map((x) => x.id))];
}

/* Each of "texts" reached each group of "groups" exactly "n" times. */
async function delivered(groups, texts, n = 1) {
	for (const g of groups)
		for (const t of texts) {
			const got = await until(async () => {
				const x = await ids(g, t);
				return x.length >= n ? x : null;
			}, 3000, `${t} at ${g}`).catch(() => null);
			const x = got || await ids(g, t);
			if (x.length !== n) {
				const r = await sim(`/received?account=${st.phone}`);
				const recs = (Array.isArray(r) ? r : r.received || [])
				    .filter((y) => y.to === g).slice(-3);
				assert.fail(`${JSON.stringify(t)} at ${g}: ${x.length} ` +
				    `message ids ${JSON.stringify(x)}, want ${n}; the ` +
				    `group's last records: ${JSON.stringify(recs)}`);
			}
		}
}

async function command(type, payload) {
	const r = (await q('INSERT INTO commands (account_id, type, payload, ' +
	    'created_by) VALUES ($1, $2, $3, $4) RETURNING id',
	    [st.acct, type, JSON.stringify(payload), st.op]))[0];
	return until(async () => {
		const c = (await q('SELECT * FROM commands WHERE id = $1',
		    [r.id]))[0];
		return c.done_at !== null ? c : null;
	}, 5000, `${type} done`);
}

async function event(run) {
	return (await q('SELECT detail FROM account_events WHERE account_id ' +
	    '= $1 AND kind = \'reminder.run\' AND (detail->>\'run\')::bigint ' +
	    '= $2 ORDER BY id', [st.acct, run])).map((e) => e.detail);
}

/*
 * A reminder whose delivery window closes after its first group: with
 * wasim stopped, the run fires just before the window's end (the
 * first group's message waits in the socket), the clock moves past
 * the end, wasim goes on.  Returns {rem, run, groups, t}.
 */
async function pausedRun(rrule) {
	const groups = st.groups.slice(0, 4);
	const t = text('window');
	const now = await wallNow();
	/* A whole hour UTC 1 to 2 h away ends the window; the reminder
	 * fires 2 s before it. */
	const end = (Math.floor(now / 3600) + 2) * 3600;
	const hour = new Date(end * 1000).getUTCHours() || 24;
	const rem = await reminder({ name: 'Window', groups, texts: [t],
	    at: end - 2 - now, rrule, hour });
	/* The clock to 1 s before the fire. */
	await shift(rem.first - 1 - await wallNow());
	const pid = Number(process.env.WASIM_PID);
	assert.ok(pid > 0, 'WASIM_PID not set');
	process.kill(pid, 'SIGSTOP');
	let run;
	try {
		await shift(1);
		run = await until(async () => {
			const x = await runs(rem.id);
			if (x.length === 0)
				return null;
			const c = await q('SELECT 1 FROM commands WHERE ' +
			    'account_id = $1 AND client_id = $2', [st.acct,
			    `reminder:${x[0].id}:${groups[0]}:0`]);
			return c.length === 1 ? x[0] : null;
		}, 5000, 'the first group\'s message queued');
		await shift(3600);	/* past the window's end */
	} finally {
		process.kill(pid, 'SIGCONT');
	}
	await waitRuns(rem.id, (x) => x[0].status !== 'running', 8000,
	    'the run paused');
	return { rem, run: Number(run.id), groups, t };
}

const checks = [
	['reminders-setup', async () => {
		db = await ownerConnect();
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		st.op = Number((await q('SELECT id FROM operators WHERE ' +
		    'username = \'admin\''))[0].id);
		await daemonStart();
		const r = await lib.post(adm, '/accounts', { label: 'Reminders' });
		st.acct = Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
		await lib.post(adm, `/accounts/${st.acct}/pair`);
		const a = await lib.waitRow(db, st.acct, (x) => x.qr_code !== null,
		    5000, 'QR');
		await sim('/scan', { qr: a.qr_code, phone: st.phone });
		await lib.waitRow(db, st.acct, (x) => x.status === 'connected',
		    8000, 'connected');
		await sim('/contact', { phone: st.contact, devices: [0, 1] });
		for (let i = 0; i < 8; i++) {
			const jid = `1203637110000${String(i).padStart(2, '0')}@g.us`;
			await sim('/group', { jid, subject: `Team ${i}`,
			    members: [st.phone, st.contact] });
			st.groups.push(jid);
		}
		await until(async () => (await q('SELECT count(*)::int AS n FROM ' +
		    'groups WHERE account_id = $1', [st.acct]))[0].n === 8, 5000,
		    'groups stored');
	}],
	/* A one-off: one run, every message to every group once, in
	 * order, the reminder ended; no second run later. */
	['reminders-one-off-fires-once', async () => {
		const groups = st.groups.slice(0, 3);
		const texts = [text('one-off a'), text('one-off b')];
		const rem = await reminder({ name: 'One-off', groups, texts });
		st.oneoff = rem;
		const x = await waitRuns(rem.id, (r) => r.length === 1 &&
		    r[0].status !== 'running', 10000, 'run ended');
		assert.equal(x[0].status, 'success', JSON.stringify(x[0]));
		assert.equal(x[0].sent, 3);
		assert.equal(x[0].total, 3);
		assert.equal(x[0].reminder_name, 'One-off');
		assert.equal(Number(x[0].sched), rem.first);
		assert.ok(x[0].finished_at !== null);
		const t = await targets(x[0].id);
		assert.deepEqual(t.map((y) => [y.group_jid, y.status]),
		    groups.map((g) => [g, 'sent']));
		assert.deepEqual(t.map((y) => y.group_subject),
		    ['Team 0', 'Team 1', 'Team 2']);
		assert.ok(t.every((y) => /^3EB0/.test(y.message_id) &&
		    y.sent_at !== null), JSON.stringify(t));
		await delivered(groups, texts);
		/* the group's last message id is the second text's */
		const last = await ids(groups[0], texts[1]);
		assert.equal(t[0].message_id, last[0]);
		const r = await remRow(rem.id);
		assert.equal(r.status, 'ended');
		assert.equal(r.next_fire_at, null);
		assert.ok(r.last_fired_at !== null);
		assert.deepEqual(await event(x[0].id), [{ reminder: rem.id,
		    run: Number(x[0].id), status: 'success', sent: 3, total: 3 }]);
		await sleep(1500);
		assert.equal((await runs(rem.id)).length, 1);
		await delivered(groups, texts);
	}],
	/* The run's end is the webhook event reminder.run, for an
	 * endpoint that wants it. */
	['reminders-run-end-is-a-webhook-event', async () => {
		await q('INSERT INTO webhook_endpoints (operator_id, url, events, ' +
		    'secret_sealed, public_key, secret_hint, enabled) VALUES ($1, ' +
		    '\'http://127.0.0.1:9/hook\', ARRAY[\'reminder.run\'], ' +
		    '\'\\x00\'::bytea, decode(repeat(\'00\', 32), \'hex\'), ' +
		    '\'abcd\', true)', [st.op]);
		const t = text('hook');
		const rem = await reminder({ name: 'Hook', groups:
		    [st.groups[0]], texts: [t] });
		const x = await waitRuns(rem.id, (r) => r.length === 1 &&
		    r[0].status !== 'running', 10000, 'run ended');
		const ev = await q('SELECT payload FROM webhook_events WHERE ' +
		    'kind = \'reminder.run\' AND account_id = $1 ORDER BY id',
		    [st.acct]);
		assert.equal(ev.length, 1, JSON.stringify(ev));
		const p = ev[0].payload;
		assert.equal(p.run, Number(x[0].id));
		assert.equal(p.reminder, rem.id);
		assert.equal(p.status, 'success');
		assert.equal(p.sent, 1);
		assert.equal(p.total, 1);
		assert.equal(p.account.id, st.acct);
		assert.ok(p.at, JSON.stringify(p));
		await q('UPDATE webhook_endpoints SET enabled = false');
	}],
	/* Weekly: a run per occurrence as the clock reaches it. */
	['reminders-recurring-fires-each-occurrence', async () => {
		const groups = st.groups.slice(3, 5);
		const t = text('weekly');
		const rem = await reminder({ name: 'Weekly', groups, texts: [t],
		    at: 3600, rrule: 'FREQ=WEEKLY' });
		await sleep(500);
		assert.equal((await runs(rem.id)).length, 0, 'fired early');
		assert.equal(Number((await remRow(rem.id)).next), rem.first);
		await shift(3600);
		for (let k = 1; k <= 3; k++) {
			if (k > 1)
				await shift(7 * 86400);
			const x = await waitRuns(rem.id, (r) => r.length === k &&
			    r[k - 1].status !== 'running', 10000, `run ${k}`);
			assert.equal(x[k - 1].status, 'success',
			    JSON.stringify(x[k - 1]));
			assert.equal(Number(x[k - 1].sched),
			    rem.first + (k - 1) * 7 * 86400);
			const r = await remRow(rem.id);
			assert.equal(r.status, 'active');
			assert.equal(Number(r.next), rem.first + k * 7 * 86400);
			await delivered(groups, [t], k);
		}
		await q('UPDATE reminders SET status = \'canceled\', ' +
		    'next_fire_at = NULL WHERE id = $1', [rem.id]);
	}],
	/* A refused send fails its group with the reason's sentence and
	 * the run goes on to the next. */
	['reminders-refused-group-fails-run-goes-on', async () => {
		/* (Refused: a group that has our sender key already.  A
		 * refusal of a group's first message leaves the group unable
		 * to read our later ones: the client counts the refused
		 * distribution as done, a send path matter of its own.) */
		const groups = [st.groups[3], st.groups[6]];
		const t = text('refused');
		await sim('/send-error', { code: 500, count: 1 });
		const rem = await reminder({ name: 'Refused', groups, texts: [t] });
		const x = await waitRuns(rem.id, (r) => r.length === 1 &&
		    r[0].status !== 'running', 10000, 'run ended');
		assert.equal(x[0].status, 'partial', JSON.stringify(x[0]));
		assert.equal(x[0].sent, 1);
		assert.match(x[0].error_summary, /1 of 2 groups was not sent/);
		const tg = await targets(x[0].id);
		assert.equal(tg[0].status, 'failed');
		assert.match(tg[0].error, /500/);
		assert.match(tg[0].error, /\.$/);
		assert.equal(tg[1].status, 'sent');
		await delivered([groups[1]], [t]);
		await delivered([groups[0]], [t], 0);
	}],
	/* Not connected when it fires: a failed run, every group failed
	 * with the sentence, the schedule kept. */
	['reminders-not-connected-failed-schedule-kept', async () => {
		await lib.post(adm, `/accounts/${st.acct}/disconnect`);
		await lib.waitRow(db, st.acct, (a) => a.status === 'disconnected',
		    5000, 'disconnected');
		const groups = st.groups.slice(0, 2);
		const t = text('offline');
		const rem = await reminder({ name: 'Offline', groups, texts: [t],
		    rrule: 'FREQ=WEEKLY' });
		const x = await waitRuns(rem.id, (r) => r.length === 1 &&
		    r[0].status !== 'running', 10000, 'run ended');
		const want = 'The account was not connected (status: ' +
		    'disconnected) when the reminder fired; it fires again at ' +
		    'its next time.';
		assert.equal(x[0].status, 'failed');
		assert.equal(x[0].error_summary, want);
		const tg = await targets(x[0].id);
		assert.deepEqual(tg.map((y) => [y.status, y.error]),
		    groups.map(() => ['failed', want]));
		const r = await remRow(rem.id);
		assert.equal(r.status, 'active');
		assert.equal(Number(r.next), rem.first + 7 * 86400);
		assert.equal((await event(x[0].id))[0].status, 'failed');
		await q('UPDATE reminders SET status = \'canceled\', ' +
		    'next_fire_at = NULL WHERE id = $1', [rem.id]);
		await lib.post(adm, `/accounts/${st.acct}/reconnect`);
		await lib.waitRow(db, st.acct, (a) => a.status === 'connected',
		    8000, 'reconnected');
		await delivered(groups, [t], 0);
	}],
	/* Found due past the grace: one missed run, nothing sent, the
	 * next occurrence after now. */
	['reminders-missed-beyond-grace', async () => {
		const t = text('missed');
		const rem = await reminder({ name: 'Missed', groups:
		    st.groups.slice(0, 2), texts: [t], rrule: 'FREQ=DAILY',
		    at: -(2 * 86400 + 60) });
		const x = await waitRuns(rem.id, (r) => r.length >= 1, 10000,
		    'missed run');
		await sleep(500);
		const all = await runs(rem.id);
		assert.equal(all.length, 1, JSON.stringify(all));
		assert.equal(x[0].status, 'missed');
		assert.equal(x[0].sent, 0);
		assert.equal(Number(x[0].sched), rem.first);
		assert.match(x[0].error_summary, /^3 occurrences \(the first on .* UTC\) were missed: /);
		const r = await remRow(rem.id);
		assert.equal(r.status, 'active');
		assert.equal(Number(r.next), rem.first + 3 * 86400);
		assert.ok(Number(r.next) > await wallNow());
		assert.equal(r.last_fired_at, null);
		await delivered(st.groups.slice(0, 2), [t], 0);
		await q('UPDATE reminders SET status = \'canceled\', ' +
		    'next_fire_at = NULL WHERE id = $1', [rem.id]);
	}],
	/* The window closes after the first group: the run and the
	 * reminder pause with the other three pending; resume sends
	 * exactly those, once, and the one-off ends. */
	['reminders-window-pauses-resume-sends-the-rest', async () => {
		const p = await pausedRun(null);
		const x = await runs(p.rem.id);
		assert.equal(x[0].status, 'paused', JSON.stringify(x[0]));
		assert.equal(x[0].sent, 1);
		assert.match(x[0].error_summary, /window closed .* 3 of 4 groups/);
		let tg = await targets(p.run);
		assert.deepEqual(tg.map((y) => y.status),
		    ['sent', 'pending', 'pending', 'pending']);
		assert.equal((await remRow(p.rem.id)).status, 'paused');
		await delivered([p.groups[0]], [p.t]);
		await delivered(p.groups.slice(1), [p.t], 0);
		const c = await command('resume_run', { run: p.run });
		assert.equal(c.result, 'resumed', JSON.stringify(c));
		await waitRuns(p.rem.id, (r) => r[0].status === 'success', 10000,
		    'resumed run done');
		tg = await targets(p.run);
		assert.ok(tg.every((y) => y.status === 'sent'), JSON.stringify(tg));
		await delivered(p.groups, [p.t]);
		const r = await remRow(p.rem.id);
		assert.equal(r.status, 'ended');
		assert.equal(r.next_fire_at, null);
		/* a finished run has nothing to resume or cancel */
		const again = await command('resume_run', { run: p.run });
		assert.equal(again.result, null);
		assert.match(again.error, /^Run \d+ has no group left to resume /);
		const none = await command('cancel_run', { run: 999999999 });
		assert.match(none.error, /is not a run of this account/);
		const bad = await command('cancel_run', { run: 'x' });
		assert.match(bad.error, /names no run/);
	}],
	/* Cancel: pending groups skipped, the run partial, a weekly
	 * reminder active again from its next time. */
	['reminders-cancel-skips-pending-and-lifts', async () => {
		const p = await pausedRun('FREQ=WEEKLY');
		assert.equal((await remRow(p.rem.id)).status, 'paused');
		const c = await command('cancel_run', { run: p.run });
		assert.equal(c.result, 'canceled', JSON.stringify(c));
		const x = await runs(p.rem.id);
		assert.equal(x[0].status, 'partial');
		assert.ok(x[0].finished_at !== null);
		assert.match(x[0].error_summary, /^Canceled by the operator: 3 of 4/);
		const tg = await targets(p.run);
		assert.deepEqual(tg.map((y) => [y.status, y.error]), [['sent', null],
		    ...p.groups.slice(1).map(() => ['skipped',
		    'Canceled by the operator.'])]);
		const r = await remRow(p.rem.id);
		assert.equal(r.status, 'active');
		assert.ok(Number(r.next) > await wallNow());
		assert.equal(Number(r.next), p.rem.first + 7 * 86400);
		const ev = await event(p.run);
		assert.deepEqual(ev.map((e) => e.status), ['paused', 'partial']);
		await q('UPDATE reminders SET status = \'canceled\', ' +
		    'next_fire_at = NULL WHERE id = $1', [p.rem.id]);
		await sleep(300);
		await delivered(p.groups.slice(1), [p.t], 0);
	}],
	/* SIGTERM and then kill -9 in the middle of a run: the next
	 * daemon finishes it, and no message reaches a group twice. */
	...['SIGTERM', 'SIGKILL'].map((sig) => [
	    `reminders-${sig === 'SIGTERM' ? 'restart' : 'kill-9'}-mid-run-` +
	    'nothing-twice', async () => {
		const groups = st.groups.slice(0, 6);
		const texts = [text(`${sig} a`), text(`${sig} b`)];
		const rem = await reminder({ name: sig, groups, texts });
		await waitRuns(rem.id, (r) => r.length === 1 && r[0].sent >= 2,
		    10000, 'two groups sent');
		/* wasim held so that the run cannot end meanwhile: the
		 * message in flight reaches it after the daemon is gone, and
		 * the next daemon sends it again under the same id. */
		const pid = Number(process.env.WASIM_PID);
		const d = daemon;
		daemon = null;
		process.kill(pid, 'SIGSTOP');
		try {
			d.child.kill(sig);
			await sleep(300);
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		const ex = await Promise.race([d.exited, sleep(10000).then(() =>
		    ({ code: 'timeout' }))]);
		if (sig === 'SIGTERM')
			assert.equal(ex.code, 0, JSON.stringify(ex));
		const mid = (await runs(rem.id))[0];
		assert.ok(mid.sent < 6, `the run ended before the ${sig}`);
		await daemonStart();
		const x = await waitRuns(rem.id, (r) => r[0].status !== 'running',
		    20000, 'run finished by the next daemon');
		assert.equal(x.length, 1);
		assert.equal(x[0].status, 'success', JSON.stringify(x[0]));
		assert.equal(x[0].sent, 6);
		await delivered(groups, texts);
		const n = (await q('SELECT count(*)::int AS n FROM commands WHERE ' +
		    'account_id = $1 AND client_id LIKE $2', [st.acct,
		    `reminder:${x[0].id}:%`]))[0].n;
		assert.equal(n, 12, 'one send_text row per group and message');
	}]),
	/* Two daemons: the account's owner drains (SIGTERM with another
	 * daemon alive) mid-run; the other takes the account over and
	 * finishes the run.  Nothing reaches a group twice; a group whose
	 * message was in flight at the handover may be failed as
	 * unconfirmed (send.c), never sent again. */
	['reminders-two-daemons-handover-mid-run', async () => {
		const b = await lib.daemonStart(db, '20');
		const bid = Number((await q('SELECT id FROM daemon_instances ' +
		    'WHERE pid = $1', [b.child.pid]))[0].id);
		const aid = Number((await q('SELECT owner_daemon FROM ' +
		    'account_leases WHERE account_id = $1', [st.acct]))[0]
		    .owner_daemon);
		assert.notEqual(aid, bid, 'the new daemon took the account');
		const groups = st.groups.slice(0, 6);
		const t = text('handover');
		const rem = await reminder({ name: 'Handover', groups,
		    texts: [t] });
		await waitRuns(rem.id, (r) => r.length === 1 && r[0].sent >= 2,
		    10000, 'two groups sent');
		/* wasim held meanwhile, so that the run is mid-way when the
		 * drain hands the account over. */
		const pid = Number(process.env.WASIM_PID);
		let r;
		process.kill(pid, 'SIGSTOP');
		try {
			r = await daemonStop();
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		daemon = b;
		assert.equal(r.code, 0, JSON.stringify(r));
		const x = await waitRuns(rem.id, (y) => y[0].status !== 'running',
		    20000, 'run finished by the other daemon');
		assert.equal(x.length, 1);
		assert.equal(Number((await q('SELECT owner_daemon FROM ' +
		    'account_leases WHERE account_id = $1', [st.acct]))[0]
		    .owner_daemon), bid);
		const tg = await targets(x[0].id);
		for (const y of tg) {
			const got = await ids(y.group_jid, t);
			if (y.status === 'sent')
				await delivered([y.group_jid], [t]);
			else {
				assert.equal(y.status, 'failed', JSON.stringify(y));
				assert.match(y.error, /before WhatsApp confirmed it/);
				assert.ok(got.length <= 1, JSON.stringify(got));
			}
		}
		const nsent = tg.filter((y) => y.status === 'sent').length;
		assert.ok(nsent >= 5, JSON.stringify(tg));
		console.log(`# handover mid-run: ${nsent} groups sent, ` +
		    `${6 - nsent} unconfirmed`);
		const by = await q('SELECT DISTINCT claimed_by FROM commands WHERE ' +
		    'client_id = $1', [`reminder:${x[0].id}:${groups[5]}:0`]);
		assert.deepEqual(by.map((y) => Number(y.claimed_by)), [bid],
		    'the last group sent by the other daemon');
	}],
	/* Deleting a reminder keeps its runs (reminder_id NULL, the name
	 * as it was). */
	['reminders-delete-keeps-run-history', async () => {
		const before = await runs(st.oneoff.id);
		assert.equal(before.length, 1);
		await q('DELETE FROM reminders WHERE id = $1', [st.oneoff.id]);
		const x = await q('SELECT * FROM reminder_runs WHERE id = $1',
		    [before[0].id]);
		assert.equal(x.length, 1);
		assert.equal(x[0].reminder_id, null);
		assert.equal(x[0].reminder_name, 'One-off');
		assert.equal(x[0].status, 'success');
		assert.equal((await targets(before[0].id)).length, 3);
	}],
];

(async () => {
	let failed = 1;
	try {
		if (process.env.WA_MODE !== 'wasim') {
			console.log('FAIL reminders-need-wasim ($BUILD/daemon/wadeskd ' +
			    'not built: these checks need it and tests/wasim)');
			process.exit(1);
		}
		failed = await runChecks(checks, process.argv[2]);
		if (daemon !== null) {
			const r = await daemonStop();
			if (r.code !== 0) {
				console.log(`FAIL reminders-daemon-clean-exit (${
				    JSON.stringify(r)})`);
				failed++;
			} else
				console.log('ok reminders-daemon-clean-exit');
		}
	} finally {
		if (daemon !== null)
			daemon.child.kill('SIGKILL');
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
