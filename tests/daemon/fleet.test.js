'use strict';
/*
 * Issue 12 end to end, run by tests/daemon/fleet.sh (run.sh's stack):
 * three wadeskd share 300 accounts through the leases of sql/008,
 * against tests/wasim, whose list of replaced logins (two clients of
 * one device fighting: conflict type="replaced") is checked after
 * every step.  A short lease (LEASE_S) keeps the run short.
 *
 * Environment (run.sh): WADESK_VAR, WASIM_URL, WASIM_CONTROL,
 * WASIM_ROOT_KEY, DAEMON_BIN.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { Browser, VAR, dbConnect, ctl, sleep, until, runChecks } =
    require('../integration/lib.js');

const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;
const N = Number(process.env.FLEET_ACCOUNTS || 300);
const LEASE_S = 10;

let db;
let nlog = 0;
let phone = 17770000;
const daemons = {};		/* name -> { child, log, exited, id } */
const st = {};

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}

async function replaced() {
	return (await wasim('/state')).body.replaced.length;
}

function env() {
	return {
		PATH: process.env.PATH,
		WADESK_DATABASE_URL:
		    `host=${VAR}/run dbname=wadesk user=wadesk_daemon`,
		WADESK_CRED_KEY_FILE: `${VAR}/cred.key`,
		WADESK_WA_URL: process.env.WASIM_URL,
		WADESK_WA_ROOT_KEY: process.env.WASIM_ROOT_KEY,
		/* Real keepalive timers: 300 sessions pinging every second
		 * would load this machine more than the test. */
		WADESK_PAIR_WINDOW_S: '30',
		WADESK_BACKOFF_MIN_MS: '200',
		WADESK_BACKOFF_MAX_MS: '1000',
		WADESK_STAGGER_MS: '5',
		WADESK_LEASE_SECONDS: String(LEASE_S),
		WADESK_DAEMON_DEAD_S: String(LEASE_S),
		WADESK_LOG_LEVEL: 'info',
		ASAN_OPTIONS: 'detect_leaks=1',
	};
}

/* Start daemon "name" (with "extra" environment); resolves once its
 * heartbeat row is there. */
async function start(name, extra = {}) {
	const log = `${VAR}/log/wadeskd.${name}.${++nlog}.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const e = Object.assign(env(), extra);
	const args = Object.entries(e).map(([k, v]) => `${k}=${v}`);
	const child = IS_ROOT ?
	    spawn('setpriv', ['--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', 'env', '-i', ...args, process.env.DAEMON_BIN],
	    { stdio: ['ignore', fd, fd] }) :
	    spawn(process.env.DAEMON_BIN, [], { env: e,
	    stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((res) => child.on('exit',
	    (code, sig) => res({ code, sig })));
	const d = { child, log, exited, id: null };
	daemons[name] = d;
	/* With setpriv the daemon's pid is the child's (it execs). */
	d.id = await until(async () => {
		const r = await db.query('SELECT id FROM daemon_instances ' +
		    'WHERE pid = $1', [child.pid]);
		return r.rowCount === 1 ? Number(r.rows[0].id) : null;
	}, 10000, `daemon ${name} heartbeat row`);
	return d;
}

async function stop(name, sig = 'SIGTERM', ms = 60000) {
	const d = daemons[name];
	delete daemons[name];
	d.child.kill(sig);
	return Promise.race([d.exited, sleep(ms).then(() => ({
	    code: 'timeout' }))]);
}

/* Accounts per owner (daemon_instances.id -> count). */
async function owners() {
	const r = await db.query('SELECT owner_daemon AS o, count(*)::int ' +
	    'AS n FROM account_leases WHERE owner_daemon IS NOT NULL AND ' +
	    'lease_until > now() GROUP BY 1');
	const m = {};
	for (const x of r.rows)
		m[Number(x.o)] = x.n;
	return m;
}

async function connected(ids) {
	const r = await db.query("SELECT count(*)::int AS n FROM accounts " +
	    "WHERE status = 'connected' AND id = ANY ($1)", [ids]);
	return r.rows[0].n;
}

/* The qr_version of every account: a login from credentials keeps it. */
async function qrVersions() {
	const r = await db.query('SELECT id, qr_version FROM accounts');
	return new Map(r.rows.map((x) => [Number(x.id), x.qr_version]));
}

async function sameQr(before) {
	const now = await qrVersions();
	for (const [id, v] of before)
		assert.equal(now.get(id), v, `account ${id} showed a QR`);
}

/* until() at a gentler pace: 16 pairing workers polling every 20 ms
 * would load PostgreSQL more than the daemon does. */
async function untilSlow(fn, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(150);
	}
}

/* Pair one account through the pending row + pair command + /scan. */
async function pairOne(i) {
	const id = (await db.query('INSERT INTO accounts (operator_id, label) ' +
	    "SELECT id, $1 FROM operators WHERE username = 'admin' " +
	    'RETURNING id', [`fleet ${i}`])).rows[0].id;
	await db.query("UPDATE accounts SET status = 'pending', " +
	    'pair_qr_base = qr_version, pair_deadline = now() + ' +
	    "interval '30 s' WHERE id = $1", [id]);
	await db.query("INSERT INTO commands (account_id, type) " +
	    "VALUES ($1, 'pair')", [id]);
	/*
	 * On a loaded machine the row's QR may trail the server's current
	 * ref (409 "stale ref"): scan the newer one, as a person would.
	 */
	const ph = String(phone++);
	let s, last = null;
	for (let tries = 0; tries < 5; tries++) {
		const q = await untilSlow(async () => (await db.query(
		    'SELECT qr_code FROM accounts WHERE id = $1 AND ' +
		    'qr_code IS NOT NULL AND qr_code IS DISTINCT FROM $2',
		    [id, last])).rows[0], 45000, `QR of account ${id}`);
		last = q.qr_code;
		s = await wasim('/scan', { qr: q.qr_code, phone: ph });
		if (!(s.status === 409 && /stale ref/.test(JSON.stringify(
		    s.body))))
			break;
	}
	assert.equal(s.status, 200, JSON.stringify(s.body));
	await untilSlow(async () => (await db.query("SELECT 1 FROM accounts " +
	    "WHERE id = $1 AND status = 'connected'", [id])).rowCount, 20000,
	    `account ${id} connected`);
	return Number(id);
}

/*
 * Every running daemon holds its fair share of the held accounts (the
 * floor or the ceiling of an even split: an account an operator
 * disconnected is not claimed again once its lease runs out, so the
 * total may be one under N) and all "ids" are connected.
 */
async function balanced(ids) {
	const o = await owners();
	const ds = Object.values(daemons);
	const total = Object.values(o).reduce((a, b) => a + b, 0);
	const lo = Math.floor(total / ds.length);
	const hi = Math.ceil(total / ds.length);
	return total >= ids.length && ds.every((d) => o[d.id] >= lo &&
	    o[d.id] <= hi) && await connected(ids) === ids.length;
}

function logHas(d, re) {
	return fs.readFileSync(d.log, 'utf8').split('\n').filter((l) =>
	    re.test(l)).length;
}

const checks = [
	['fleet-setup-300-accounts', async () => {
		db = await dbConnect();
		db.on('error', () => {});
		await start('a');
		st.ids = [];
		let next = 0;
		const worker = async () => {
			while (next < N) {
				const i = next++;
				st.ids.push(await pairOne(i));
			}
		};
		await Promise.all(Array.from({ length: 16 }, worker));
		/* Alone, SIGTERM stops as before (rule 9) and lets go. */
		const r = await stop('a');
		assert.equal(r.code, 0, JSON.stringify(r));
		const held = await db.query('SELECT count(*)::int AS n FROM ' +
		    'accounts JOIN account_leases ON account_id = id WHERE owner_daemon IS NOT NULL');
		assert.equal(held.rows[0].n, 0, 'leases left after a clean stop');
		st.qr = await qrVersions();
		st.replaced = await replaced();
	}],
	['fleet-three-daemons-fair-split', async () => {
		await Promise.all(['a', 'b', 'c'].map(start));
		const t0 = Date.now();
		const ids = ['a', 'b', 'c'].map((n) => daemons[n].id);
		await until(async () => {
			const o = await owners();
			return ids.every((i) => o[i] === N / 3) &&
			    await connected(st.ids) === N;
		}, 120000, `${N} connected, ${N / 3} on each daemon`);
		console.log(`# fair split and all connected in ` +
		    `${Date.now() - t0} ms`);
		await sameQr(st.qr);
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-kill9-failover-no-qr-command-once', async () => {
		/* A pairing window open on the daemon about to die: a new
		 * account's pair command, run by whichever daemon claims
		 * it; that daemon is the one killed (the names of the two
		 * survivors are then "a" and "b", as the later checks
		 * expect). */
		const pid = (await db.query('INSERT INTO accounts ' +
		    '(operator_id, label) SELECT id, $1 FROM operators WHERE ' +
		    "username = 'admin' RETURNING id", ['fleet pairing']))
		    .rows[0].id;
		await db.query("UPDATE accounts SET status = 'pending', " +
		    'pair_qr_base = qr_version, pair_deadline = now() + ' +
		    "interval '10 min' WHERE id = $1", [pid]);
		await db.query("INSERT INTO commands (account_id, type) " +
		    "VALUES ($1, 'pair')", [pid]);
		const pw = await until(async () => (await db.query('SELECT ' +
		    'owner_daemon FROM accounts JOIN account_leases ON account_id = id WHERE id = $1 AND qr_code IS ' +
		    'NOT NULL', [pid])).rows[0], 20000, 'the QR of a pairing ' +
		    'window');
		const victim = Object.keys(daemons).find((n) =>
		    daemons[n].id === Number(pw.owner_daemon));
		assert.ok(victim, `pairing window on daemon ${pw.owner_daemon}`);
		const c = daemons[victim];
		const mine = (await db.query('SELECT id FROM accounts JOIN account_leases ON account_id = id WHERE ' +
		    'owner_daemon = $1 AND id <> $2 ORDER BY id', [c.id, pid]))
		    .rows.map((x) => Number(x.id));
		assert.equal(mine.length, N / 3);
		const t0 = Date.now();
		const r = await stop(victim, 'SIGKILL');
		assert.equal(r.sig, 'SIGKILL');
		if (victim !== 'c') {
			daemons[victim] = daemons.c;
			delete daemons.c;
		}
		/* A command queued during the takeover: done exactly once,
		 * by the new owner. */
		st.cmdAccount = mine[0];
		st.cmd = Number((await db.query("INSERT INTO commands " +
		    "(account_id, type) VALUES ($1, 'disconnect') RETURNING id",
		    [st.cmdAccount])).rows[0].id);
		const rest = mine.slice(1);
		await until(async () => {
			const x = await db.query("SELECT count(*)::int AS n FROM " +
			    "accounts JOIN account_leases ON account_id = id WHERE id = ANY ($1) AND status = " +
			    "'connected' AND owner_daemon <> $2 AND " +
			    'lease_until > now()', [rest, c.id]);
			return x.rows[0].n === rest.length;
		}, (LEASE_S + 30) * 1000, 'the dead daemon\'s accounts ' +
		    'connected on the survivors');
		const ms = Date.now() - t0;
		console.log(`# kill -9: ${rest.length} accounts connected ` +
		    `elsewhere ${ms} ms after (lease ${LEASE_S} s)`);
		assert.ok(ms < (LEASE_S + 30) * 1000);
		const cmd = await until(async () => (await db.query('SELECT * ' +
		    'FROM commands WHERE id = $1 AND done_at IS NOT NULL',
		    [st.cmd])).rows[0], 10000, 'the queued command done');
		assert.equal(cmd.error, null, JSON.stringify(cmd));
		const ev = await db.query("SELECT count(*)::int AS n FROM " +
		    "account_events WHERE account_id = $1 AND kind = " +
		    "'disconnected'", [st.cmdAccount]);
		assert.equal(ev.rows[0].n, 1, 'disconnect carried out ' +
		    `${ev.rows[0].n} times`);
		const row = (await db.query('SELECT status, disconnect_reason ' +
		    'FROM accounts WHERE id = $1', [st.cmdAccount])).rows[0];
		assert.equal(row.status, 'disconnected');
		assert.equal(row.disconnect_reason, 'disconnected_by_operator');
		/* The dead daemon's pairing window settles unpaired, with
		 * the reason's sentence on the account page. */
		const pr = await until(async () => (await db.query('SELECT ' +
		    'status, disconnect_reason, qr_code FROM accounts WHERE ' +
		    "id = $1 AND status <> 'pending'", [pid])).rows[0],
		    (LEASE_S + 10) * 1000, 'the pairing window settled');
		assert.deepEqual(pr, { status: 'unpaired',
		    disconnect_reason: 'daemon_lost', qr_code: null });
		const pe = await db.query("SELECT detail->>'reason' AS r FROM " +
		    "account_events WHERE account_id = $1 AND kind = " +
		    "'pair_timeout'", [pid]);
		assert.deepEqual(pe.rows, [{ r: 'daemon_lost' }]);
		const adm = await new Browser('admin').signIn('admin',
		    process.env.WADESK_ADMIN_PASSWORD);
		const page = await adm.get(`/accounts/${pid}`);
		assert.equal(page.status, 200);
		assert.match(page.text, /stopped answering \(killed, paused or cut off from the database\)/);
		assert.match(page.text, /Press Pair again/);
		await sameQr(st.qr);
		assert.equal(await replaced(), st.replaced, 'replaced logins');
		st.live = st.ids.filter((i) => i !== st.cmdAccount);
	}],
	['fleet-new-daemon-gets-its-share-by-handover', async () => {
		const d = await start('d');
		const t0 = Date.now();
		await until(async () => balanced(st.live), 120000,
		    'a fair share handed to the new daemon');
		console.log(`# ${N / 3} sessions handed to a new daemon one at ` +
		    `a time in ${Date.now() - t0} ms`);
		await sameQr(st.qr);
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-sigstop-past-lease-fenced', async () => {
		const b = daemons.b;
		const mine = (await db.query('SELECT id FROM accounts JOIN account_leases ON account_id = id WHERE ' +
		    "owner_daemon = $1 AND status = 'connected'",
		    [b.id])).rows.map((x) => Number(x.id));
		assert.ok(mine.length > 0);
		/* Its sessions still logging in have sockets open too. */
		const held = (await db.query('SELECT count(*)::int AS n FROM ' +
		    'account_leases WHERE owner_daemon = $1 AND lease_until > ' +
		    'now()', [b.id])).rows[0].n;
		b.child.kill('SIGSTOP');
		try {
			await until(async () => (await db.query("SELECT count(*)" +
			    "::int AS n FROM accounts JOIN account_leases ON account_id = id WHERE id = ANY ($1) AND " +
			    "status = 'connected' AND owner_daemon <> $2 AND " +
			    'lease_until > now()', [mine, b.id])).rows[0].n ===
			    mine.length, (LEASE_S + 30) * 1000,
			    'the paused daemon\'s accounts taken over');
		} finally {
			b.child.kill('SIGCONT');
		}
		const tc = new Date();
		/* The server replaced each of the paused daemon's sockets
		 * (it could not close them): one per account it held, no
		 * more. */
		const rep = (await wasim('/state')).body.replaced;
		const during = rep.length - st.replaced;
		assert.ok(during <= held, `${during} replaced logins for ` +
		    `${held} accounts held`);
		await until(async () => logHas(b, /lease \d+ lost/) >=
		    mine.length, 10000, 'the woken daemon closing its sessions');
		await sleep(1500);
		/* Nothing the woken daemon could write: no closed connection
		 * recorded, no status but connected, no fight back. */
		const ev = await db.query('SELECT kind, detail FROM ' +
		    'account_events WHERE account_id = ANY ($1) AND at >= $2 ' +
		    "AND kind NOT IN ('connected', 'offline_synced')",
		    [mine, tc]);
		assert.equal(ev.rowCount, 0, JSON.stringify(ev.rows.slice(0, 3)));
		const bad = await db.query("SELECT id, status FROM accounts " +
		    "WHERE id = ANY ($1) AND status NOT IN ('connected', " +
		    "'connecting')", [mine]);
		assert.equal(bad.rowCount, 0, JSON.stringify(bad.rows));
		assert.equal((await wasim('/state')).body.replaced.length,
		    rep.length, 'the woken daemon logged in again (a fight)');
		console.log(`# SIGSTOP: ${mine.length} accounts moved; the ` +
		    `server replaced ${during} paused sockets; after SIGCONT ` +
		    'the daemon closed them and wrote nothing');
		st.replaced = rep.length;
		/* Back among the live, it gets a share again. */
		await until(async () => balanced(st.live), 120000,
		    'the woken daemon back to its share');
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-postgres-restart-three-daemons', async () => {
		const before = (await db.query('SELECT id, owner_daemon, ' +
		    'lease_generation FROM accounts JOIN account_leases ON account_id = id WHERE owner_daemon IS NOT ' +
		    'NULL AND lease_until > now() ORDER BY id')).rows;
		const e = Object.assign({}, process.env);
		execFileSync('scripts/pg.sh', ['stop'], { env: e });
		await sleep(1500);
		execFileSync('scripts/pg.sh', ['start'], { env: e });
		await db.end().catch(() => {});
		db = await dbConnect();
		db.on('error', () => {});
		await sleep(LEASE_S * 1000 / 2);
		const after = (await db.query('SELECT id, owner_daemon, ' +
		    'lease_generation FROM accounts JOIN account_leases ON account_id = id WHERE owner_daemon IS NOT ' +
		    'NULL AND lease_until > now() ORDER BY id')).rows;
		assert.deepEqual(after, before, 'leases moved across a short ' +
		    'database restart');
		await until(async () => await connected(st.live) ===
		    st.live.length, 20000, 'all connected after the restart');
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-sigterm-drain-no-conflict', async () => {
		const a = daemons.a;
		const t0 = Date.now();
		const r = await stop('a', 'SIGTERM');
		assert.equal(r.code, 0, JSON.stringify(r));
		const gone = await db.query('SELECT 1 FROM daemon_instances ' +
		    'WHERE id = $1', [a.id]);
		assert.equal(gone.rowCount, 0);
		await until(async () => await connected(st.live) ===
		    st.live.length && !(a.id in await owners()), 30000,
		    'all connected on the others after the drain');
		console.log(`# SIGTERM drain of ${logHas(a, /handed over/)} ` +
		    `sessions: all connected elsewhere after ` +
		    `${Date.now() - t0} ms`);
		await sameQr(st.qr);
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-wadeskctl-daemon-drain', async () => {
		const d = daemons.d;
		const r = ctl(['daemon', 'drain', String(d.id)]);
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stdout, /draining daemon/);
		const x = await Promise.race([d.exited, sleep(60000).then(
		    () => ({ code: 'timeout' }))]);
		delete daemons.d;
		assert.equal(x.code, 0, JSON.stringify(x));
		await until(async () => await connected(st.live) ===
		    st.live.length && (await owners())[daemons.b.id] >=
		    N - 1, 30000, 'every account on the last daemon');
		await sameQr(st.qr);
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
	['fleet-small-capacity-daemon-leaves-no-account-behind', async () => {
		/* A daemon with a small WADESK_MAX_SESSIONS takes that many;
		 * the fair share puts the rest on the other daemon instead
		 * of releasing accounts nobody then takes. */
		const b = daemons.b;
		const total = Object.values(await owners()).reduce((x, y) =>
		    x + y, 0);
		const e = await start('e', { WADESK_MAX_SESSIONS: '20' });
		await until(async () => (await owners())[e.id] === 20 &&
		    await connected(st.live) === st.live.length, 60000,
		    '20 accounts on the small daemon, all connected');
		await sleep(3000);
		const o = await owners();
		assert.equal(o[e.id], 20);
		assert.equal(o[b.id], total - 20, JSON.stringify(o));
		assert.equal(await connected(st.live), st.live.length);
		const r = await stop('e', 'SIGTERM');
		assert.equal(r.code, 0, JSON.stringify(r));
		await until(async () => await connected(st.live) ===
		    st.live.length && (await owners())[b.id] === total, 30000,
		    'every account back on the last daemon');
		assert.equal(await replaced(), st.replaced, 'replaced logins');
	}],
];

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		for (const n of Object.keys(daemons))
			await stop(n, 'SIGTERM', 20000).catch(() => {});
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
