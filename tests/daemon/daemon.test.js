'use strict';
/*
 * The session daemon end to end (issue 4), run by tests/daemon/run.sh:
 * commands go in through the dashboard (POST /accounts/{id}/ACTION, as
 * an operator's browser sends them), the daemon runs against tests/wasim
 * (WA_MODE=wasim) or the scripted stand-in tests/daemon/fake_wa.c
 * (WA_MODE=fake), and the checks read the rows, events and command
 * ledger as the owner.  One "ok NAME" / "FAIL NAME" line per check.
 *
 * Environment (run.sh): WADESK_URL, WADESK_VAR, WADESK_ADMIN_PASSWORD,
 * WA_MODE, DAEMON_BIN, FAKE_WA_DIR, WASIM_URL, WASIM_CONTROL,
 * WASIM_ROOT_KEY.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { Browser, VAR, dbConnect, sleep, until, runChecks } =
    require('../integration/lib.js');

const MODE = process.env.WA_MODE;
const FAKE = process.env.FAKE_WA_DIR;
const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;

let db;
let adm;
let daemon = null;		/* { child, log, exited (promise) } */
let nlog = 0;

/* ---- the WhatsApp side: simulator control or fake control files ---- */

/* The owner connection, surviving a PostgreSQL restart's FATAL. */
async function ownerConnect() {
	const c = await dbConnect();
	c.on('error', () => {});
	return c;
}

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	const j = await r.json();
	return { status: r.status, body: j };
}

function fakeFile(name, text = '') {
	fs.writeFileSync(path.join(FAKE, name), text);
}

/* The phone scans "qr" (from accounts.qr_code). */
async function scan(qr, phone) {
	if (MODE === 'fake') {
		fakeFile('scan', `${qr} ${phone}\n`);
		return;
	}
	const r = await wasim('/scan', { qr, phone });
	assert.equal(r.status, 200, `/scan: ${JSON.stringify(r.body)}`);
}

/* The phone types the pairing code. */
async function enterCode(code, phone) {
	if (MODE === 'fake') {
		fakeFile('code', `${code} ${phone}\n`);
		return;
	}
	const r = await wasim('/enter-code', { phone, code });
	assert.equal(r.status, 200, `/enter-code: ${JSON.stringify(r.body)}`);
}

/* A fault on the server side for "phone" (kind: logout, ban, unban,
 * conflict, drop, garbage, silence, outdated). */
async function fault(kind, phone) {
	if (MODE === 'fake') {
		if (kind === 'unban')
			fs.rmSync(path.join(FAKE, `ban.${phone}`), { force: true });
		else if (kind === 'outdated')
			fakeFile('outdated');
		else
			fakeFile(`${kind}.${phone}`);
		return;
	}
	const body = phone === undefined ? {} :
	    { jid: `${phone}@s.whatsapp.net` };
	const r = await wasim('/' + kind, body);
	assert.equal(r.status, 200, `/${kind}: ${JSON.stringify(r.body)}`);
}

/* Is device "jid" ("15550100:3@s.whatsapp.net") linked on the phone? */
async function linked(jid) {
	const m = /^(\d+):(\d+)@/.exec(jid);
	assert.ok(m, `bad jid ${jid}`);
	if (MODE === 'fake')
		return fs.existsSync(path.join(FAKE, `linked.${m[1]}.${m[2]}`));
	const st = (await wasim('/state')).body;
	for (const p of st.phones)
		for (const d of p.devices)
			if (d.jid === jid)
				return true;
	return false;
}

/* How many devices of "phone" are linked now. */
async function deviceCount(phone) {
	if (MODE === 'fake')
		return fs.readdirSync(FAKE).filter((f) =>
		    f.startsWith(`linked.${phone}.`)).length;
	const st = (await wasim('/state')).body;
	const p = st.phones.find((x) => x.phone === phone);
	return p === undefined ? 0 : p.devices.length;
}

/* ---- the daemon ---- */

/* The version file the daemon reads at each connect (issue 14.10). */
const VERSION_FILE = `${VAR}/wa-version`;
fs.writeFileSync(VERSION_FILE, '2.3000.1045649368\n');

function daemonEnv(extra = {}) {
	const env = {
		PATH: process.env.PATH,
		WADESK_DATABASE_URL:
		    `host=${VAR}/run dbname=wadesk user=wadesk_daemon`,
		WADESK_CRED_KEY_FILE: `${VAR}/cred.key`,
		WADESK_PAIR_WINDOW_S: '10',
		WADESK_BACKOFF_MIN_MS: '200',
		WADESK_BACKOFF_MAX_MS: '1000',
		WADESK_STAGGER_MS: '20',
		WADESK_DAEMON_DEAD_S: '2',
		WADESK_LOG_LEVEL: 'info',
		FAKE_WA_DIR: FAKE || '',
		FAKE_WA_QR_MS: '2500',
		ASAN_OPTIONS: 'detect_leaks=1',
	};
	if (MODE === 'wasim') {
		env.WADESK_WA_URL = process.env.WASIM_URL;
		env.WADESK_WA_ROOT_KEY = process.env.WASIM_ROOT_KEY;
		env.WADESKD_TIME_SCALE = '20';	/* as wasim --time-scale */
		env.WADESK_WA_VERSION_FILE = VERSION_FILE;
		env.WADESK_DEVICE_NAME = 'Front desk';
	}
	return Object.assign(env, extra);
}

/* Start wadeskd as the service user; log to $VAR/log/wadeskd.N.log. */
async function daemonStart(extra = {}) {
	const log = `${VAR}/log/wadeskd.${++nlog}.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const env = daemonEnv(extra);
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
	/* Up when its heartbeat row is there. */
	await until(async () => (await db.query(
	    'SELECT 1 FROM daemon_instances WHERE pid = $1',
	    [child.pid])).rowCount === 1, 8000, 'daemon heartbeat row');
	return daemon;
}

async function daemonStop(sig = 'SIGTERM') {
	const d = daemon;
	daemon = null;
	d.child.kill(sig);
	return Promise.race([d.exited, sleep(10000).then(() => ({
	    code: 'timeout' }))]);
}

/* ---- rows ---- */

async function row(id) {
	const r = await db.query('SELECT *, (SELECT count(*) FROM ' +
	    'account_credentials k WHERE k.account_id = a.id)::int AS creds ' +
	    'FROM accounts a WHERE id = $1', [id]);
	return r.rows[0];
}

async function events(id) {
	return (await db.query('SELECT kind, detail FROM account_events ' +
	    'WHERE account_id = $1 ORDER BY id', [id])).rows;
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

async function createAccount(label) {
	let r;
	/* wadesk.fcgi answers 503 until it has reconnected to PostgreSQL. */
	for (let i = 0; i < 50; i++) {
		r = await adm.postc('/accounts', { label });
		if (r.status !== 503)
			break;
		await sleep(100);
	}
	assert.equal(r.status, 303, `create ${label}: ${r.status}`);
	return Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
}

async function action(id, name, form = {}) {
	let r;
	for (let i = 0; i < 50; i++) {
		r = await adm.postc(`/accounts/${id}/${name}`, form);
		if (r.status !== 503)
			break;
		await sleep(100);
	}
	assert.equal(r.status, 303, `${name} on ${id}: ${r.status} ${r.text}`);
}

/* The login deadline (DAEMON_LOGIN_MS: 60 s, at time scale 20 the
 * 5 s floor; the fake runs unscaled) plus slack. */
const LOGIN_WAIT = MODE === 'wasim' ? 20000 : 75000;

/* Logout timeout (DAEMON_LOGOUT_MS) plus slack. */
const DAEMON_LOGOUT_WAIT = 20000;

let phoneSeq = 15550100;
function newPhone() {
	return String(phoneSeq++);
}

/* Pair account "id" with "phone" by QR; returns the connected row. */
async function pairQr(id, phone) {
	const t0 = Date.now();
	await action(id, 'pair');
	const r = await waitRow(id, (a) => a.qr_code !== null, 3000, 'QR');
	const pairToQr = Date.now() - t0;
	const t1 = Date.now();
	await scan(r.qr_code, phone);
	const c = await waitRow(id, (a) => a.status === 'connected', 3000,
	    'connected within 3 s of the scan');
	return Object.assign(c, { pairToQr, scanToConnected: Date.now() - t1 });
}

async function commandsOf(id) {
	return (await db.query('SELECT type, claimed_at, done_at, result, ' +
	    'error FROM commands WHERE account_id = $1 ORDER BY id',
	    [id])).rows;
}

/* ---- checks ---- */

const st = {};

const checks = [
	['daemon-setup', async () => {
		db = await ownerConnect();
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		await daemonStart();
	}],
	['rule10-heartbeat-advances', async () => {
		const q = 'SELECT heartbeat_at FROM daemon_instances ' +
		    'WHERE pid = $1';
		const a = (await db.query(q, [daemon.child.pid])).rows[0];
		await sleep(2600);
		const b = (await db.query(q, [daemon.child.pid])).rows[0];
		assert.ok(b.heartbeat_at > a.heartbeat_at,
		    'heartbeat_at did not move');
	}],
	['rule1-pair-qr-written-and-rotates', async () => {
		st.a = await createAccount('Shop A');
		st.phoneA = newPhone();
		await action(st.a, 'pair');
		const r1 = await waitRow(st.a, (a) => a.qr_code !== null, 3000,
		    'first QR');
		assert.equal(r1.status, 'pending');
		assert.ok(r1.qr_expires_at !== null);
		const r2 = await waitRow(st.a, (a) => a.qr_version >
		    r1.qr_version, 8000, 'QR rotation');
		assert.notEqual(r2.qr_code, r1.qr_code);
		assert.ok((await events(st.a)).some((e) =>
		    e.kind === 'qr_rotated'), 'no qr_rotated event');
		const cmds = await commandsOf(st.a);
		assert.equal(cmds.length, 1);
		assert.ok(cmds[0].done_at !== null && cmds[0].claimed_at !== null);
		assert.equal(cmds[0].result, 'pairing started');
	}],
	['rule2-scan-connected-with-phone-within-3s', async () => {
		const r = await row(st.a);
		const t1 = Date.now();
		await scan(r.qr_code, st.phoneA);
		const c = await waitRow(st.a, (a) => a.status === 'connected',
		    3000, 'connected');
		assert.equal(c.phone_number, st.phoneA);
		assert.match(c.jid, new RegExp(`^${st.phoneA}:\\d+@`));
		assert.equal(c.qr_code, null);
		assert.equal(c.pair_code, null);
		assert.equal(c.creds, 1, 'no sealed credentials stored');
		assert.ok(c.last_connected_at !== null);
		const kinds = (await events(st.a)).map((e) => e.kind);
		assert.ok(kinds.includes('paired') && kinds.includes('connected'),
		    `events: ${kinds}`);
		st.jidA = c.jid;
		console.log(`# scan -> connected ${Date.now() - t1} ms`);
	}],
	['lid-stored-mapped-and-shown', async () => {
		if (MODE === 'fake') {
			console.log('# fake_wa reports no LID: wasim run only');
			return;
		}
		/* whatsmeow handleConnectSuccess: the server's LID is kept
		 * with the LID <-> phone mapping, and the page shows it. */
		const c = await waitRow(st.a, (a) => a.lid !== null, 3000, 'lid');
		assert.match(c.lid, /^\d+:\d+@lid$/);
		const m = (await db.query('SELECT phone FROM lid_map WHERE ' +
		    'lid_user = $1', [c.lid.split(':')[0]])).rows;
		assert.deepEqual(m, [{ phone: st.phoneA }]);
		const page = await adm.get(`/accounts/${st.a}`);
		assert.ok(page.text.includes(`<dd id="lid">${c.lid}</dd>`),
		    'LID not on the account page');
		/* The backlog came after active: an event and a time. */
		const o = await waitRow(st.a, (a) => a.offline_synced_at !== null,
		    3000, 'offline_synced_at');
		assert.ok(o.offline_synced_at !== null);
		assert.ok((await events(st.a)).some((e) =>
		    e.kind === 'offline_synced' && e.detail.count === '0'),
		    'no offline_synced event');
		/* The 812 private halves, sealed, ids 1..812. */
		const k = (await db.query('SELECT first_id, last_id, ' +
		    'length(sealed) AS n FROM account_prekeys WHERE ' +
		    'account_id = $1', [st.a])).rows;
		assert.deepEqual(k.map((r) => [r.first_id, r.last_id]),
		    [[1, 812]]);
		assert.equal(k[0].n, 812 * 35 + 16);
	}],
	['credentials-sealed-not-plain', async () => {
		const k = (await db.query('SELECT nonce, sealed FROM ' +
		    'account_credentials WHERE account_id = $1', [st.a])).rows[0];
		assert.equal(k.nonce.length, 24);
		assert.ok(!k.sealed.includes(Buffer.from(st.phoneA)),
		    'phone number visible in the sealed blob');
	}],
	['rule4-disconnect-keeps-creds-reconnect-without-qr', async () => {
		const before = await row(st.a);
		await action(st.a, 'disconnect');
		const d = await waitRow(st.a, (a) => a.status === 'disconnected',
		    3000, 'disconnected');
		assert.equal(d.creds, 1);
		await sleep(1500);	/* rule 4/5: no automatic reconnect */
		assert.equal((await row(st.a)).status, 'disconnected');
		await action(st.a, 'reconnect');
		const c = await waitRow(st.a, (a) => a.status === 'connected',
		    3000, 'reconnected');
		assert.equal(c.qr_version, before.qr_version, 'a QR was shown');
		assert.equal(c.jid, st.jidA);
		if (MODE === 'wasim') {
			/* The pre-key counters survived in the credentials:
			 * no second upload (issue 14.3, whatsmeow prekeys.go). */
			await sleep(300);
			const s = (await wasim('/state')).body;
			const d = s.phones.find((x) => x.phone === st.phoneA)
			    .devices;
			assert.deepEqual(d.map((x) => x.prekeys), [812]);
		}
	}],
	['rule5-drop-backoff-reconnect', async () => {
		const n0 = (await events(st.a)).length;
		await fault('drop', st.phoneA);
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'connection_lost'), 3000, 'connection_lost');
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'connected'), 5000, 'back-off reconnect');
		assert.equal((await row(st.a)).status, 'connected');
	}],
	['rule5-silence-keepalive-reconnect', async () => {
		const n0 = (await events(st.a)).length;
		await fault('silence', st.phoneA);
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'keepalive_timeout'), 15000, 'keepalive');
		if (MODE === 'wasim')
			await fault('unsilence');
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'connected'), 5000, 'reconnect');
	}],
	/*
	 * The daemon's login deadline (DAEMON_LOGIN_MS, 60 s / time scale
	 * 20, at least 5 s): the server takes the reconnect's login and
	 * never finishes it (/stall-login: <success>, then no answer to
	 * the active IQ while pings are answered, so the client's own
	 * timers never fire).  The session is dropped with login_timeout
	 * and comes back under rule 5's back-off.
	 */
	['rule5-login-deadline-drops-a-stalled-login', async () => {
		const n0 = (await events(st.a)).length;
		await fault('stall-login', st.phoneA);
		await fault('drop', st.phoneA);
		const t0 = Date.now();
		await waitRow(st.a, (a) => a.status === 'connecting', 5000,
		    'the login after the drop');
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'login_timeout'), LOGIN_WAIT,
		    'login_timeout');
		const ms = Date.now() - t0;
		assert.ok(ms >= 4000, `dropped after ${ms} ms, before the bound`);
		const r = await waitRow(st.a, (a) => a.status === 'connected',
		    10000, 'connected again under the back-off');
		assert.equal(r.disconnect_reason, null);
		const kinds = (await events(st.a)).slice(n0).map((e) => e.kind);
		assert.deepEqual(kinds.filter((k) => k !== 'offline_synced'),
		    ['connection_lost', 'login_timeout', 'connected'],
		    JSON.stringify(kinds));
		const page = await adm.get(`/accounts/${st.a}`);
		assert.equal(page.status, 200);
		assert.match(page.text, /did not finish the login in time/);
	}],
	/*
	 * WADESK_LOGINS_AT_ONCE=1: while one account's login is in flight
	 * (stalled by /stall-login), another account's reconnect after a
	 * drop waits for a free place (its back-off is at most 1 s here),
	 * and goes once the login deadline has dropped the first.
	 */
	['logins-at-once-holds-the-next-reconnect', async () => {
		const b = await createAccount('Shop B');
		const phB = newPhone();
		await pairQr(b, phB);
		await daemonStop();
		await daemonStart({ WADESK_LOGINS_AT_ONCE: '1' });
		for (const id of [st.a, b])
			await waitRow(id, (r) => r.status === 'connected', 10000,
			    `account ${id} connected after the restart`);
		const na = (await events(st.a)).length;
		const nb = (await events(b)).length;
		await fault('stall-login', st.phoneA);
		await fault('drop', st.phoneA);
		await waitRow(st.a, (r) => r.status === 'connecting', 5000,
		    'the stalled login');
		await fault('drop', phB);
		await waitRow(b, (r) => r.status === 'disconnected', 5000,
		    'the second account dropped');
		await sleep(2500);
		assert.equal((await row(b)).status, 'disconnected',
		    'the second login did not wait for a free place');
		const ea = await until(async () => (await events(st.a))
		    .slice(na).find((e) => e.kind === 'login_timeout'),
		    LOGIN_WAIT, 'login_timeout');
		await waitRow(b, (r) => r.status === 'connected', 10000,
		    'the second account connected once the place was free');
		const at = async (id, kind) => (await db.query('SELECT at FROM ' +
		    'account_events WHERE account_id = $1 AND kind = $2 ' +
		    'ORDER BY id DESC LIMIT 1', [id, kind])).rows[0].at;
		const ta = await at(st.a, 'login_timeout');
		const tb = await at(b, 'connected');
		assert.ok(ea && tb >= ta, `connected ${tb.toISOString()} before ` +
		    `the first login ended ${ta.toISOString()}`);
		assert.ok((await events(b)).length > nb);
		await waitRow(st.a, (r) => r.status === 'connected', 10000,
		    'the first account connected again');
		await action(b, 'delete');
		await until(async () => (await row(b)) === undefined,
		    DAEMON_LOGOUT_WAIT, 'the second account deleted');
		await daemonStop();
		await daemonStart();
		await waitRow(st.a, (r) => r.status === 'connected', 10000,
		    'connected after the restart');
	}],
	/*
	 * A status write that fails leaves the session where it is; the
	 * daemon writes the status again every second until it holds.
	 * The account counts row for "connected" is locked past the
	 * daemon's lock_timeout (PGOPTIONS) while a login stalls
	 * (/stall-login; the row says "connecting"); the login deadline
	 * ends it ("disconnected"), the next login connects, but its
	 * "connected" cannot be written: the row says "connecting" while
	 * the session is connected (what the count rows' deadlock did in
	 * issue 12).  Once the lock is gone the row must say "connected".
	 */
	['status-written-again-after-a-failed-write', async () => {
		const id = await createAccount('Shop R');
		const ph = newPhone();
		await pairQr(id, ph);
		await daemonStop();
		await daemonStart({ PGOPTIONS: '-c lock_timeout=300ms' });
		await waitRow(id, (r) => r.status === 'connected', 10000,
		    'connected after the restart');
		const n0 = (await events(id)).length;
		await fault('stall-login', ph);
		await fault('drop', ph);
		await waitRow(id, (r) => r.status === 'connecting', 5000,
		    'the stalled login');
		const lk = await ownerConnect();
		try {
			await lk.query('BEGIN');
			const n = await lk.query('SELECT 1 FROM account_counts ' +
			    "WHERE status = 'connected' FOR UPDATE");
			assert.ok(n.rowCount > 0, 'no count row to lock');
			await until(async () => (await events(id)).slice(n0).some(
			    (e) => e.kind === 'login_timeout'), LOGIN_WAIT,
			    'login_timeout');
			await sleep(3000);	/* back-off (< 1 s) and the login */
			assert.equal((await row(id)).status, 'connecting',
			    'the connected status got past the locked count row');
			await lk.query('ROLLBACK');
		} finally {
			await lk.end();
		}
		await waitRow(id, (r) => r.status === 'connected', 5000,
		    'the status written again once the lock was gone');
		await action(id, 'delete');
		await until(async () => (await row(id)) === undefined,
		    DAEMON_LOGOUT_WAIT, 'the account deleted');
		await daemonStop();
		await daemonStart();
	}],
	/*
	 * Zombie detection display (issue 4): last_frame_at follows the
	 * server's frames (pongs every 1-1.5 s at time scale 20; the
	 * daemon writes it at most every 15 s / 20 per account), freezes
	 * under /silence, and moves again after the keepalive reconnect.
	 */
	['zombie-last-frame-at-advances-stops-under-silence', async () => {
		const c = await waitRow(st.a, (a) => a.status === 'connected' &&
		    a.last_frame_at !== null, 5000, 'connected');
		if (MODE === 'fake') {
			/* fake_wa.c has no frames: the connect time stands. */
			await sleep(2000);
			const f = await row(st.a);
			assert.equal(f.last_frame_at.getTime(),
			    f.last_connected_at.getTime());
			return;
		}
		const a1 = await waitRow(st.a, (a) => a.last_frame_at >
		    c.last_frame_at, 5000, 'last_frame_at advances');
		await waitRow(st.a, (a) => a.last_frame_at > a1.last_frame_at,
		    5000, 'last_frame_at advances again');
		const n0 = (await events(st.a)).length;
		const t0 = Date.now();
		await fault('silence', st.phoneA);
		/* A write of a pong from before the silence may still land. */
		await sleep(2000);
		const s1 = await row(st.a);
		assert.equal(s1.status, 'connected');
		assert.ok(s1.last_frame_at.getTime() <= t0 + 500,
		    `last_frame_at ${s1.last_frame_at.toISOString()} is ` +
		    `after the silence began (${new Date(t0).toISOString()})`);
		/* Dead only after 180 s / 20 = 9 s without a pong. */
		await sleep(3000);
		const s2 = await row(st.a);
		assert.equal(s2.status, 'connected', 'declared dead too soon');
		assert.equal(s2.last_frame_at.getTime(),
		    s1.last_frame_at.getTime(), 'last_frame_at moved under ' +
		    '/silence');
		/* Declared dead, then a new connection (not silenced). */
		await until(async () => (await events(st.a)).slice(n0).some(
		    (e) => e.kind === 'keepalive_timeout'), 15000, 'keepalive');
		await fault('unsilence');
		const r1 = await waitRow(st.a, (a) => a.status === 'connected' &&
		    a.last_frame_at > s1.last_frame_at, 5000,
		    'last_frame_at moves again after the reconnect');
		await waitRow(st.a, (a) => a.last_frame_at > r1.last_frame_at,
		    5000, 'last_frame_at keeps moving after the reconnect');
	}],
	['rule6-duplicate-phone', async () => {
		st.b = await createAccount('Shop B');
		await action(st.b, 'pair');
		const r = await waitRow(st.b, (a) => a.qr_code !== null, 3000,
		    'QR');
		await scan(r.qr_code, st.phoneA);
		const u = await waitRow(st.b, (a) => a.status === 'unpaired' &&
		    a.disconnect_reason !== null, 5000, 'duplicate -> unpaired');
		assert.equal(u.disconnect_reason,
		    'duplicate: Phone already linked to Shop A');
		assert.equal(u.qr_code, null);
		assert.equal(u.creds, 0);
		const ev = (await events(st.b)).find((e) => e.kind ===
		    'duplicate');
		assert.ok(ev, 'no duplicate event');
		assert.equal(ev.detail.existing_label, 'Shop A');
		/* The phone shows no phantom device: only A's is linked. */
		await until(async () => (await deviceCount(st.phoneA)) === 1,
		    5000, 'the duplicate device logged out on the phone');
		assert.ok(await linked(st.jidA), 'the original link was removed');
		assert.equal((await row(st.a)).status, 'connected');
	}],
	['rule1-window-timeout-unpaired', async () => {
		st.c = await createAccount('Shop C');
		await action(st.c, 'pair');
		await waitRow(st.c, (a) => a.qr_code !== null, 3000, 'QR');
		const u = await waitRow(st.c, (a) => a.status === 'unpaired',
		    14000, 'window end');
		assert.equal(u.qr_code, null);
		assert.equal(u.pair_deadline, null);
		assert.ok((await events(st.c)).some((e) => e.kind ===
		    'pair_timeout'), 'no pair_timeout event');
	}],
	['rule1-cancel-pair', async () => {
		await action(st.c, 'pair');
		await waitRow(st.c, (a) => a.qr_code !== null, 3000, 'QR');
		await action(st.c, 'cancel-pair');
		const u = await waitRow(st.c, (a) => a.status === 'unpaired' &&
		    a.qr_code === null, 3000, 'cancelled');
		const v = u.qr_version;
		await sleep(1500);
		const w = await row(st.c);
		assert.equal(w.qr_version, v, 'QR written after cancel (rule 3)');
		assert.equal(w.status, 'unpaired');
	}],
	['pair-code-path', async () => {
		const id = await createAccount('Code shop');
		const phone = newPhone();
		await action(id, 'pair-code', { phone: '+' + phone });
		const r = await waitRow(id, (a) => a.pair_code !== null, 5000,
		    'pairing code');
		if (MODE === 'wasim') {
			/* Issue 8: the phone's notification names the device
			 * "Browser (OS)" (whatsmeow pair-code.go), from
			 * WADESK_DEVICE_NAME. */
			const s = (await wasim('/state')).body;
			const lc = s.connections.filter((x) => x.linkCode &&
			    x.linkCode.phone === phone).pop();
			assert.equal(lc.linkCode.display, 'Chrome (Front desk)');
		}
		await enterCode(r.pair_code, phone);
		const c = await waitRow(id, (a) => a.status === 'connected',
		    5000, 'connected by code');
		assert.equal(c.phone_number, phone);
		if (MODE === 'wasim') {
			/* The Linked devices list shows DeviceProps.os. */
			const s = (await wasim('/state')).body;
			const d = s.phones.find((x) => x.phone === phone).devices;
			assert.deepEqual(d.map((x) => x.os), ['Front desk']);
		}
		st.code = id;
	}],
	['rule8-logout-from-phone-fresh-qr', async () => {
		const n0 = (await events(st.a)).length;
		const v0 = (await row(st.a)).qr_version;
		await fault('logout', st.phoneA);
		const p = await waitRow(st.a, (a) => a.status === 'pending' &&
		    a.qr_code !== null, 5000, 'fresh QR after logout');
		assert.ok(p.qr_version > v0);
		assert.equal(p.creds, 0, 'credentials not wiped');
		assert.equal(p.disconnect_reason, 'logged_out_from_phone',
		    'the page must say why a new QR waits');
		const kinds = (await events(st.a)).slice(n0).map((e) => e.kind);
		assert.ok(kinds.includes('logged_out_from_phone'),
		    `events: ${kinds}`);
		await action(st.a, 'cancel-pair');
		await waitRow(st.a, (a) => a.status === 'unpaired', 3000,
		    'cancel');
	}],
	['reason-conflict-outdated-ban', async () => {
		const ids = [];
		for (const l of ['Conflict', 'Outdated', 'Banned']) {
			const id = await createAccount(l);
			const ph = newPhone();
			await pairQr(id, ph);
			ids.push([id, ph]);
		}
		await fault('conflict', ids[0][1]);
		const a = await waitRow(ids[0][0], (r) => r.status ===
		    'disconnected', 3000, 'conflict');
		assert.equal(a.disconnect_reason, 'stream_replaced');
		await action(ids[1][0], 'disconnect');
		await waitRow(ids[1][0], (r) => r.status === 'disconnected', 3000,
		    'disconnect');
		await fault('outdated', ids[1][1]);
		await action(ids[1][0], 'reconnect');
		const b = await waitRow(ids[1][0], (r) => r.status ===
		    'disconnected' && r.disconnect_reason === 'client_outdated',
		    3000, 'outdated');
		assert.equal(b.creds, 1);
		if (MODE === 'wasim') {
			/* The "failures" contract: the version sent and its
			 * source in the closed event's detail. */
			let e = (await events(ids[1][0])).filter((x) =>
			    x.kind === 'client_outdated').pop();
			assert.deepEqual([e.detail.version, e.detail.version_source],
			    ['2.3000.1045649368', `file ${VERSION_FILE}`],
			    JSON.stringify(e));
			/* A new file is read at the next connect, no restart. */
			fs.writeFileSync(VERSION_FILE, '2.3000.1045649369\n');
			await fault('outdated', ids[1][1]);
			const n0 = (await events(ids[1][0])).length;
			await action(ids[1][0], 'reconnect');
			await until(async () => (await events(ids[1][0])).slice(n0)
			    .some((x) => x.kind === 'client_outdated'), 3000,
			    'second 405');
			e = (await events(ids[1][0])).filter((x) =>
			    x.kind === 'client_outdated').pop();
			assert.equal(e.detail.version, '2.3000.1045649369');
			fs.writeFileSync(VERSION_FILE, '2.3000.1045649368\n');
		}
		await fault('ban', ids[2][1]);
		const c = await waitRow(ids[2][0], (r) => r.status === 'banned',
		    6000, 'banned');
		assert.equal(c.disconnect_reason, 'banned');
		/* Rule 7: the logout of a banned account cannot succeed
		 * (login refused), and still the delete goes through. */
		await action(ids[2][0], 'delete');
		await until(async () => (await row(ids[2][0])) === undefined,
		    DAEMON_LOGOUT_WAIT, 'banned account deleted');
		const cmd = (await db.query("SELECT result FROM commands WHERE " +
		    "type = 'delete' ORDER BY id DESC LIMIT 1")).rows[0];
		assert.equal(cmd.result, 'logout not confirmed; credentials wiped');
		await fault('unban', ids[2][1]);
	}],
	['garbage-closes-one-session-only', async () => {
		const x = await createAccount('Garbage');
		const y = await createAccount('Bystander');
		const px = newPhone();
		await pairQr(x, px);
		await pairQr(y, newPhone());
		/* The offline backlog event follows connected a moment
		 * later (issue 14.7): wait for it before counting. */
		if (MODE === 'wasim')
			await until(async () => (await events(y)).some((e) =>
			    e.kind === 'offline_synced'), 3000, 'offline_synced');
		const ny = (await events(y)).length;
		const nx = (await events(x)).length;
		await fault('garbage', px);
		await until(async () => (await events(x)).slice(nx).some(
		    (e) => e.kind === 'protocol_error'), 3000, 'protocol_error');
		await sleep(500);
		assert.equal((await events(y)).length, ny, 'bystander touched');
		assert.equal((await row(y)).status, 'connected');
		await waitRow(x, (r) => r.status === 'connected', 5000,
		    'garbage session reconnects');
	}],
	['rule7-unpair-logs-out-first', async () => {
		const id = await createAccount('Unpair me');
		const c = await pairQr(id, newPhone());
		await action(id, 'unpair');
		const u = await waitRow(id, (a) => a.status === 'unpaired', 5000,
		    'unpaired');
		assert.equal(u.creds, 0);
		assert.equal(u.jid, null);
		assert.equal(await linked(c.jid), false, 'device still linked');
		const cmd = (await commandsOf(id)).pop();
		assert.equal(cmd.type, 'unpair');
		assert.equal(cmd.result, 'logged out');
	}],
	['rule7-delete-logs-out-first', async () => {
		const id = await createAccount('Delete me');
		const c = await pairQr(id, newPhone());
		await action(id, 'disconnect');
		await waitRow(id, (a) => a.status === 'disconnected', 3000,
		    'disconnected');
		await action(id, 'delete');
		await until(async () => (await row(id)) === undefined, 5000,
		    'row deleted');
		assert.equal(await linked(c.jid), false, 'device still linked');
		const ev = (await db.query("SELECT detail FROM account_events " +
		    "WHERE kind = 'deleted' AND detail->>'label' = 'Delete me'"))
		    .rows;
		assert.equal(ev.length, 1);
		const cmd = (await db.query("SELECT done_at, result FROM " +
		    "commands WHERE type = 'delete' ORDER BY id DESC LIMIT 1"))
		    .rows[0];
		assert.ok(cmd.done_at !== null);
		assert.equal(cmd.result, 'logged out');
	}],
	['rule9-kill9-restart', async () => {
		/* Connected accounts, one pairing, then kill -9. */
		const conn = [];
		for (let i = 0; i < 20; i++) {
			const id = await createAccount(`Bulk ${i}`);
			const c = await pairQr(id, newPhone());
			conn.push([id, c.qr_version, c.jid]);
		}
		const pend = await createAccount('Pairing at crash');
		await action(pend, 'pair');
		await waitRow(pend, (a) => a.qr_code !== null, 3000, 'QR');
		const d = await daemonStop('SIGKILL');
		assert.equal(d.sig, 'SIGKILL');
		/* A command queued while the daemon is dead. */
		await action(conn[0][0], 'disconnect');
		await daemonStart();
		for (const [id, v, jid] of conn.slice(1)) {
			const r = await waitRow(id, (a) => a.status === 'connected',
			    10000, `account ${id} reconnected`);
			assert.equal(r.qr_version, v, 'reconnect showed a QR');
			assert.equal(r.jid, jid);
		}
		const p = await waitRow(pend, (a) => a.status === 'unpaired',
		    5000, 'stale pending -> unpaired');
		assert.equal(p.qr_code, null);
		await waitRow(conn[0][0], (a) => a.status === 'disconnected' &&
		    a.disconnect_reason === 'disconnected_by_operator', 5000,
		    'queued disconnect');
		/* Every command done exactly once. */
		const open = await db.query('SELECT id FROM commands ' +
		    'WHERE done_at IS NULL');
		assert.equal(open.rowCount, 0, 'open commands left');
		const dis = (await events(conn[0][0])).filter((e) =>
		    e.kind === 'disconnected');
		assert.equal(dis.length, 1, 'disconnect carried out twice');
	}],
	['lease-reclaims-dead-daemons-commands', async () => {
		/* Two commands claimed by other daemons: one dead (no row),
		 * one alive (heartbeat kept fresh here).  Only the dead one's
		 * is claimed again, after the lease (WADESK_DAEMON_DEAD_S). */
		const dead = await createAccount('Dead claim');
		const live = await createAccount('Live claim');
		const inst = (await db.query("INSERT INTO daemon_instances " +
		    "(hostname, pid) VALUES ('other', 1) RETURNING id")).rows[0].id;
		const ins = 'INSERT INTO commands (account_id, type, claimed_at, ' +
		    "claimed_by) VALUES ($1, 'disconnect', now() - interval " +
		    "'10 s', $2) RETURNING id";
		const cd = (await db.query(ins, [dead, 987654])).rows[0].id;
		const cl = (await db.query(ins, [live, inst])).rows[0].id;
		const beat = setInterval(() => db.query('UPDATE daemon_instances ' +
		    'SET heartbeat_at = now() WHERE id = $1', [inst]).catch(
		    () => {}), 300);
		try {
			await until(async () => (await db.query('SELECT done_at ' +
			    'FROM commands WHERE id = $1', [cd])).rows[0].done_at,
			    6000, 'dead daemon\'s command claimed again');
			await sleep(4000);
			const r = (await db.query('SELECT claimed_by, done_at FROM ' +
			    'commands WHERE id = $1', [cl])).rows[0];
			assert.equal(r.done_at, null, 'a live daemon\'s claim taken');
			assert.equal(Number(r.claimed_by), Number(inst));
		} finally {
			clearInterval(beat);
		}
		/* Once that daemon stops beating, its claim is taken too. */
		await until(async () => (await db.query('SELECT done_at FROM ' +
		    'commands WHERE id = $1', [cl])).rows[0].done_at, 8000,
		    'claim of a daemon that died');
		await db.query('DELETE FROM daemon_instances WHERE id = $1',
		    [inst]);
	}],
	['postgres-restart-under-daemon', async () => {
		const env = Object.assign({}, process.env);
		execFileSync('scripts/pg.sh', ['stop'], { env });
		await sleep(1500);
		execFileSync('scripts/pg.sh', ['start'], { env });
		await db.end().catch(() => {});
		db = await ownerConnect();
		/* Queued before the daemon is back on LISTEN. */
		const id = await createAccount('After restart');
		await action(id, 'pair');
		await waitRow(id, (a) => a.qr_code !== null, 8000,
		    'command queued across the restart');
		/* NOTIFY works again: far quicker than the 3 s scan. */
		await action(id, 'cancel-pair');
		const t0 = Date.now();
		await until(async () => (await commandsOf(id)).every((c) =>
		    c.done_at !== null), 3000, 'cancel done');
		const ms = Date.now() - t0;
		assert.ok(ms < 1500, `cancel took ${ms} ms: LISTEN lost?`);
	}],
	['rule9-sigterm-marks-disconnected', async () => {
		const pid = daemon.child.pid;
		const d = await daemonStop('SIGTERM');
		assert.equal(d.code, 0, `exit ${JSON.stringify(d)}`);
		const r = await db.query("SELECT count(*)::int AS n FROM " +
		    "accounts WHERE status IN ('connected', 'connecting')");
		assert.equal(r.rows[0].n, 0, 'rows left connected');
		const s = await db.query("SELECT count(*)::int AS n FROM " +
		    "accounts WHERE disconnect_reason = 'daemon_stopped'");
		assert.ok(s.rows[0].n >= 19, `daemon_stopped rows: ${s.rows[0].n}`);
		const h = await db.query('SELECT 1 FROM daemon_instances ' +
		    'WHERE pid = $1', [pid]);
		assert.equal(h.rowCount, 0, 'heartbeat row left behind');
	}],
	['connect-failure-event-names-the-cause', async () => {
		if (MODE === 'fake') {
			console.log('# fake_wa has no transport: wasim run only');
			return;
		}
		/* A port nobody listens on: the closed event's detail says
		 * "connection refused" (the "failures" contract). */
		const srv = require('node:net').createServer();
		await new Promise((res) => srv.listen(0, '127.0.0.1', res));
		const port = srv.address().port;
		await new Promise((res) => srv.close(res));
		await daemonStart({ WADESK_WA_URL:
		    `ws://127.0.0.1:${port}/ws/chat` });
		const id = await createAccount('Nowhere');
		await action(id, 'pair');
		const e = await until(async () => (await events(id)).find((x) =>
		    x.detail && x.detail.cause !== undefined), 5000,
		    'an event with a cause');
		assert.equal(e.detail.cause, 'connection refused',
		    JSON.stringify(e));
		await daemonStop('SIGTERM');
	}],
];

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (daemon !== null)
			await daemonStop('SIGTERM');
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
