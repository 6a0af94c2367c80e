'use strict';
/*
 * What tests/daemon/send.test.js (the checks) and send.bench.js (the
 * group-send figure) share: the wadeskd they start on tests/daemon/run.sh's
 * stack, wasim's control API, the account row, a form POST as admin and
 * `wadeskctl send`.  Each caller keeps its own state (the database
 * client, the daemon, the account in "st") and passes it in.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { VAR, dbConnect, ctl, sleep, until } =
    require('../integration/lib.js');

const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;

let nlog = 0;

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

/* The daemon's environment; "timeScale": WADESKD_TIME_SCALE. */
function daemonEnv(timeScale) {
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
		WADESKD_TIME_SCALE: timeScale,
	};
}

/* Start wadeskd (as the wadesk user when root) and wait for its
 * heartbeat row in "db": {child, log, exited}.  "extra": variables
 * added to (or replacing) daemonEnv()'s. */
async function daemonStart(db, timeScale, extra = {}) {
	const log = `${VAR}/log/wadeskd.send.${++nlog}.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const env = { ...daemonEnv(timeScale), ...extra };
	const args = Object.entries(env).map(([k, v]) => `${k}=${v}`);
	const child = IS_ROOT ?
	    spawn('setpriv', ['--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', 'env', '-i', ...args, process.env.DAEMON_BIN],
	    { stdio: ['ignore', fd, fd] }) :
	    spawn(process.env.DAEMON_BIN, [], { env, stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((res) => child.on('exit',
	    (code, sig) => res({ code, sig })));
	await until(async () => (await db.query(
	    'SELECT 1 FROM daemon_instances WHERE pid = $1',
	    [child.pid])).rowCount === 1, 8000, 'daemon heartbeat row');
	return { child, log, exited };
}

/* SIGTERM "d" and wait (10 s at most) for its exit. */
async function daemonStop(d) {
	d.child.kill('SIGTERM');
	return Promise.race([d.exited, sleep(10000).then(() => ({
	    code: 'timeout' }))]);
}

async function row(db, id) {
	return (await db.query('SELECT * FROM accounts WHERE id = $1',
	    [id])).rows[0];
}

async function waitRow(db, id, pred, ms, what) {
	let last;
	try {
		return await until(async () => {
			last = await row(db, id);
			return last !== undefined && pred(last) ? last : null;
		}, ms, what);
	} catch (e) {
		throw new Error(`${e.message}; row: ${JSON.stringify(last)}`);
	}
}

async function post(adm, pathname, form = {}) {
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

/* `wadeskctl send` from account st.acct: {status, out, id} (id: the
 * message id printed). */
function send(st, to, text, extra = []) {
	const r = ctl(['send', String(st.acct), to, text, '--timeout', '30',
	    ...extra]);
	const m = /^sent: message (\S+) /.exec(r.stdout);
	return { status: r.status, out: r.stdout + r.stderr,
	    id: m ? m[1] : null };
}

/* wasim's records of our (account st.phone) message "id". */
async function received(st, id) {
	const r = await wasim(`/received?account=${st.phone}&id=${id}`);
	assert.equal(r.status, 200);
	return Array.isArray(r.body) ? r.body : r.body.received || [];
}

/* The one record of id, with a delivery per device. */
async function one(st, id) {
	const recs = await until(async () => {
		const x = await received(st, id);
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

module.exports = { ownerConnect, wasim, daemonStart, daemonStop, row,
    waitRow, post, send, received, one, byTo };
