#!/usr/bin/env node
'use strict';
/*
 * Integration tests of qr.png's exact memo (cgi/qrmemo.h) against the
 * stack tests/integration/web.sh starts: every worker thread of
 * wadesk.fcgi remembers qr.png's session-and-ownership answers until a
 * NOTIFY from sql/006_web_memo.sql says they changed, whoever changed
 * them.  Each check first makes every worker answer from memory (its
 * wadesk_qr_memo_hits_total in /metrics grows), changes something
 * outside the program (plain SQL, wadeskctl) or through it, and then
 * asks again until every worker has answered at least once more:
 * every one of those answers must already be the new one.
 *
 * "Already" means once the change's notice has reached wadesk.fcgi.
 * PostgreSQL sends it at commit, but on a loaded machine its listening
 * backend can take tens of milliseconds to run, and a request can win
 * that race.  So after each change the checks send a marker notice
 * (an unused account id) and wait until /metrics shows it applied:
 * notices arrive in commit order, so the change's has been applied
 * too.  That waits for the notice, never for a lifetime; web.sh sets
 * the safety-net lifetime (WADESK_QR_CACHE_MS) far beyond any check.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Browser, VAR, dbConnect, zbar, ctl, until, runChecks } =
    require('./lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
const QR = ['2@bWVtby1vbmU=,a2V5LW9uZQ==,c2VjLW9uZQ==,MQ==',
    '2@bWVtby10d28=,a2V5LXR3bw==,c2VjLXR3bw==,Mg==',
    '2@bWVtby10aHJlZQ==,a2V5LXRocmVl,c2VjLXRocmVl,Mw=='];
const BURST = 24;		/* concurrent requests per round */
const ROUNDS = 60;		/* rounds before "a worker never answered" */

let db;			/* owner connection */
let adm;		/* the admin's browser */
const anon = new Browser('memo-metrics');

async function q(sql, params) {
	return (await db.query(sql, params)).rows;
}

function sha256hex(s) {
	return crypto.createHash('sha256').update(s).digest('hex');
}

/* wadeskctl as the schema owner, insisting on success. */
function ctlOk(args) {
	const r = ctl(args);
	assert.equal(r.status, 0, `wadeskctl ${args.join(' ')}: ${r.stderr}`);
	return r;
}

/*
 * The memo's /metrics: {live, listens, hits: {worker: n},
 * misses: {worker: n}}.
 */
async function stats() {
	const r = await anon.get('/metrics');
	assert.equal(r.status, 200, `GET /metrics: ${r.status}`);
	const s = { live: null, listens: null, last: null, hits: {},
	    misses: {} };
	for (const m of r.text.matchAll(
	    /^wadesk_qr_memo_(hits|misses)_total\{worker="(\d+)"\} (\d+)$/gm))
		s[m[1]][m[2]] = Number(m[3]);
	const live = /^wadesk_qr_memo_live (\d)$/m.exec(r.text);
	const listens = /^wadesk_qr_memo_listens_total (\d+)$/m.exec(r.text);
	assert.ok(live && listens, 'no wadesk_qr_memo_* in /metrics');
	s.live = Number(live[1]);
	s.listens = Number(listens[1]);
	const last = /^wadesk_qr_memo_last_account_notice (\d+)$/m.exec(r.text);
	assert.ok(last, 'no wadesk_qr_memo_last_account_notice in /metrics');
	s.last = last[1];
	assert.ok(Object.keys(s.hits).length >= 2,
	    `only ${Object.keys(s.hits).length} workers listed in /metrics`);
	return s;
}

/*
 * Wait until every notice committed so far has been applied: send a
 * marker (an account id no row has) and wait for /metrics to show it.
 */
let marks = 0;
async function synced() {
	const id = String(9000000000000 + process.pid * 1000 + (++marks));
	await q("SELECT pg_notify('wadesk_web_memo', $1)", [id]);
	await until(async () => (await stats()).last === id, 10000,
	    `marker notice ${id}`);
}

/* Workers whose counter "what" ("hits", "misses", "any") grew. */
function grew(before, after, what) {
	return Object.keys(after.hits).filter((w) => {
		const d = (k) => after[k][w] - (before[k][w] || 0);
		return what === 'any' ? d('hits') + d('misses') > 0 : d(what) > 0;
	});
}

const burst = (b, url) => Promise.all(Array.from({ length: BURST },
    () => b.get(url)));

/*
 * Ask for "url" as "b" until every worker has answered from memory,
 * each answer passing "ok" (r -> true).  Returns the last answers.
 */
async function warm(b, url, ok) {
	const s0 = await stats();
	assert.equal(s0.live, 1, 'the memo is off (no LISTEN)');
	const all = Object.keys(s0.hits);
	for (let i = 0; i < ROUNDS; i++) {
		const rs = await burst(b, url);
		for (const r of rs)
			assert.ok(ok(r), `warming ${url}: ${r.status}`);
		if (grew(s0, await stats(), 'hits').length === all.length)
			return rs;
	}
	throw new Error(`${url}: some worker never answered from memory`);
}

/*
 * Right after a change (once its notice is in, unless "nosync": the
 * memo is off): ask for "url" as "b" until every worker has answered
 * at least once; every answer, the very first included, must pass
 * "ok" (r -> true).  Returns the first round's answers.
 */
async function everyWorker(b, url, ok, what, nosync) {
	if (!nosync)
		await synced();
	const s0 = await stats();
	const all = Object.keys(s0.hits);
	let first = null;
	for (let i = 0; i < ROUNDS; i++) {
		const rs = await burst(b, url);
		first = first || rs;
		rs.forEach((r, j) => assert.ok(ok(r), `${what}: round ${i} ` +
		    `answer ${j} was ${r.status}`));
		if (grew(s0, await stats(), 'any').length === all.length)
			return first;
	}
	throw new Error(`${url}: some worker never answered`);
}

/* A signed-in browser for a new operator made through the admin page. */
async function newOperator(username, role = 'operator') {
	const pw = `${username}-pw-1234`;
	const r = await adm.postc('/settings/operators',
	    { username, password: pw, role });
	assert.equal(r.status, 303, `add operator ${username}: ${r.status}`);
	const b = new Browser(username);
	await b.signIn(username, pw);
	const id = Number((await q('SELECT id FROM operators WHERE ' +
	    'username = $1', [username]))[0].id);
	return { b, id, pw };
}

/* A pending account of "b" showing QR text "text"; returns its id. */
async function pendingAccount(b, label, text) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303, `create ${label}: ${r.status}`);
	const id = Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
	assert.equal((await b.postc(`/accounts/${id}/pair`)).status, 303);
	await setQr(id, text);
	return id;
}

/* Plain SQL, as the session daemon writes a new pairing ref. */
async function setQr(id, text) {
	await q('UPDATE accounts SET qr_code = $2, qr_version = qr_version + 1 ' +
	    'WHERE id = $1', [id, text]);
}

/*
 * Undo whatever an earlier check may have left half-done: the account
 * pending with QR[0] and owned by "memo-op", the operator enabled and
 * signed in.
 */
async function reset() {
	await q("UPDATE accounts SET status = 'pending', qr_code = $2, " +
	    'qr_version = qr_version + 1, operator_id = $3, deleted_at = NULL ' +
	    'WHERE id = $1', [acct, QR[0], op.id]);
	await q('UPDATE operators SET disabled = false WHERE id = $1', [op.id]);
	if ((await op.b.get(`/accounts/${acct}/qr.png`)).status !== 200)
		await op.b.signIn('memo-op', op.pw);
}

const is = (code) => (r) => r.status === code;
const png = (body) => (r) => r.status === 200 && r.body.equals(body);
const notPng = (body) => (r) => r.status === 200 && !r.body.equals(body);

const checks = [];
function check(name, fn) {
	checks.push([name, name === 'memo-setup' ? fn : async () => {
		await reset();
		await fn();
	}]);
}

let op;			/* {b, id, pw}: the operator "memo-op" */
let acct;		/* its pending account */

check('memo-setup', async () => {
	assert.ok(ADMIN_PW, 'WADESK_ADMIN_PASSWORD unset');
	adm = new Browser('admin');
	await adm.signIn('admin', ADMIN_PW);
	await until(async () => (await stats()).live === 1, 10000,
	    'wadesk_qr_memo_live 1');
	op = await newOperator('memo-op');
	acct = await pendingAccount(op.b, 'memo', QR[0]);
});

check('memo-qr-rotated-by-sql', async () => {
	/* The case: the page's plain URL, no ?v=N. */
	const url = `/accounts/${acct}/qr.png`;
	await setQr(acct, QR[0]);
	const old = (await warm(op.b, url, is(200)))[0].body;
	assert.equal(zbar(old), QR[0]);
	await setQr(acct, QR[1]);
	const rs = await everyWorker(op.b, url, notPng(old), 'rotated QR');
	assert.equal(zbar(rs[0].body), QR[1]);
	for (const r of rs)
		assert.ok(r.body.equals(rs[0].body), 'one image for one version');
	/* The same ref under a new version, and ?v=N asking for it. */
	const v = Number((await q('SELECT qr_version FROM accounts WHERE id = ' +
	    '$1', [acct]))[0].qr_version);
	const cur = (await warm(op.b, `${url}?v=${v}`, png(rs[0].body)))[0].body;
	await setQr(acct, QR[2]);
	const r3 = await everyWorker(op.b, `${url}?v=${v}`, notPng(cur),
	    'rotated QR, old ?v=N');
	assert.equal(zbar(r3[0].body), QR[2]);
});

check('memo-qr-cleared-by-sql', async () => {
	const url = `/accounts/${acct}/qr.png`;
	/* The ref alone cleared (the window closed, status unchanged) ... */
	await warm(op.b, url, is(200));
	await q('UPDATE accounts SET qr_code = NULL WHERE id = $1', [acct]);
	await everyWorker(op.b, url, is(404), 'QR cleared');
	/* ... and the phone scanned it: connected, no QR. */
	await setQr(acct, QR[0]);
	await warm(op.b, url, is(200));
	await q("UPDATE accounts SET status = 'connected', qr_code = NULL " +
	    'WHERE id = $1', [acct]);
	await everyWorker(op.b, url, is(404), 'connected');
	await q("UPDATE accounts SET status = 'pending' WHERE id = $1", [acct]);
	await setQr(acct, QR[0]);
});

check('memo-operator-disabled-by-wadeskctl', async () => {
	const url = `/accounts/${acct}/qr.png`;
	await warm(op.b, url, is(200));
	ctlOk(['operator', 'disable', 'memo-op']);
	try {
		await everyWorker(op.b, url, is(303), 'disabled operator');
	} finally {
		ctlOk(['operator', 'enable', 'memo-op']);
	}
	/* The session was kept; enabled again, it is served again. */
	await everyWorker(op.b, url, is(200), 'enabled again');
});

check('memo-session-deleted-by-sql', async () => {
	const url = `/accounts/${acct}/qr.png`;
	await warm(op.b, url, is(200));
	const hash = sha256hex(op.b.jar.get('wadesk_session'));
	assert.equal((await q('DELETE FROM web_sessions WHERE token_hash = $1 ' +
	    'RETURNING 1', [hash])).length, 1);
	await everyWorker(op.b, url, is(303), 'session deleted');
	await op.b.signIn('memo-op', op.pw);
	/* Expired by hand (last_seen_at moved back): also seen at once. */
	await warm(op.b, url, is(200));
	await q("UPDATE web_sessions SET last_seen_at = now() - interval " +
	    "'30 days' WHERE token_hash = $1",
	    [sha256hex(op.b.jar.get('wadesk_session'))]);
	await everyWorker(op.b, url, is(303), 'session expired by SQL');
	await op.b.signIn('memo-op', op.pw);
});

check('memo-visibility-changed-by-sql', async () => {
	const url = `/accounts/${acct}/qr.png`;
	const other = await newOperator('memo-other');
	const boss = await newOperator('memo-boss', 'admin');
	/* An admin sees every account; demoted, not this one. */
	await warm(boss.b, url, is(200));
	await q("UPDATE operators SET role = 'operator' WHERE id = $1",
	    [boss.id]);
	await everyWorker(boss.b, url, is(404), 'admin demoted');
	/* The account handed to another operator. */
	await warm(op.b, url, is(200));
	await q('UPDATE accounts SET operator_id = $2 WHERE id = $1',
	    [acct, other.id]);
	await everyWorker(op.b, url, is(404), 'account moved away');
	await everyWorker(other.b, url, is(200), 'account moved here');
	await q('UPDATE accounts SET operator_id = $2 WHERE id = $1',
	    [acct, op.id]);
	/* Its delete queued. */
	const gone = await pendingAccount(op.b, 'memo-gone', QR[1]);
	await warm(op.b, `/accounts/${gone}/qr.png`, is(200));
	await q('UPDATE accounts SET deleted_at = now() WHERE id = $1', [gone]);
	await everyWorker(op.b, `/accounts/${gone}/qr.png`, is(404),
	    'delete queued');
});

check('memo-sign-out-and-disable-through-the-dashboard', async () => {
	const url = `/accounts/${acct}/qr.png`;
	await warm(op.b, url, is(200));
	const stolen = new Browser('memo-stolen');
	stolen.jar.set('wadesk_session', op.b.jar.get('wadesk_session'));
	await warm(stolen, url, is(200));
	assert.equal((await op.b.postc('/logout')).status, 303);
	await everyWorker(stolen, url, is(303), 'served after sign-out');
	await op.b.signIn('memo-op', op.pw);
	await warm(op.b, url, is(200));
	assert.equal((await adm.postc(`/settings/operators/${op.id}/disable`,
	    { value: '1' })).status, 303);
	try {
		await everyWorker(op.b, url, is(303), 'disabled by an admin');
	} finally {
		assert.equal((await adm.postc(
		    `/settings/operators/${op.id}/disable`, { value: '0' }))
		    .status, 303);
	}
	await op.b.signIn('memo-op', op.pw);
});

check('memo-listen-connection-dropped', async () => {
	/*
	 * Terminate the LISTEN connection and keep it from coming back
	 * (the web role may not log in meanwhile; the workers keep their
	 * connections): the memo is off, so a change nobody announces is
	 * still seen by every worker.  Then let it back: answers are kept
	 * again, and are exact again.
	 */
	const url = `/accounts/${acct}/qr.png`;
	await setQr(acct, QR[0]);
	const old = (await warm(op.b, url, is(200)))[0].body;
	const listener = async () => q("SELECT pid FROM pg_stat_activity " +
	    "WHERE application_name = 'wadesk.fcgi memo' AND " +
	    "query ~* '^LISTEN'");
	const pids = await listener();
	assert.equal(pids.length, 1, 'one LISTEN connection');
	const s0 = await stats();
	await q('ALTER ROLE wadesk_web NOLOGIN');
	let s1;
	try {
		await q('SELECT pg_terminate_backend($1)', [pids[0].pid]);
		s1 = await until(async () => {
			const s = await stats();
			return s.live === 0 ? s : null;
		}, 10000, 'wadesk_qr_memo_live 0');
		await setQr(acct, QR[1]);
		await everyWorker(op.b, url, notPng(old), 'memo off', true);
		const s2 = await stats();
		assert.deepEqual(grew(s1, s2, 'hits'), [],
		    'answered from memory without LISTEN');
		assert.equal(s2.live, 0);
	} finally {
		await q('ALTER ROLE wadesk_web LOGIN');
	}
	const s3 = await until(async () => {
		const s = await stats();
		return s.live === 1 ? s : null;
	}, 15000, 'wadesk_qr_memo_live 1 after the reconnect');
	assert.ok(s3.listens > s0.listens, 'no new LISTEN');
	assert.equal((await listener()).length, 1, 'one LISTEN connection');
	const cur = (await warm(op.b, url, is(200)))[0].body;
	assert.equal(zbar(cur), QR[1]);
	await setQr(acct, QR[2]);
	const rs = await everyWorker(op.b, url, notPng(cur),
	    'exact after the reconnect');
	assert.equal(zbar(rs[0].body), QR[2]);
	/* The loss was told in the log, with what to expect. */
	const log = fs.readFileSync(path.join(VAR, 'log', 'wadesk.fcgi.log'),
	    'utf8');
	assert.match(log, /qr\.png memo: the connection that listens for changes was lost \(.+\); every qr\.png request reads the database until it is back/);
});

async function main() {
	db = await dbConnect();
	const failed = await runChecks(checks, process.argv[2]);
	await db.end();
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log('FAIL memo-runner');
	console.log(String(e.stack || e));
	process.exitCode = 1;
});
