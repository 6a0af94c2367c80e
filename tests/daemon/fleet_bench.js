'use strict';
/*
 * The fleet's failover and drain figures (issue 12), run by
 * tests/daemon/fleet_bench.sh against a private stack and tests/wasim:
 *   1. FLEET_BENCH_SESSIONS (default 2,500) accounts paired on one
 *      daemon, then two daemons share them (stagger off);
 *   2. kill -9 of one: the time from its last lease expiry until every
 *      account is connected on the survivor (target < 60 s), with the
 *      replaced-login count (conflicts) and QR versions checked;
 *   3. a third daemon gets half by the fair-share handover, then
 *      SIGTERM drains it: sessions drained, time, conflicts (target
 *      0).
 * WADESK_LEASE_SECONDS and WADESK_DAEMON_DEAD_S are
 * FLEET_BENCH_LEASE_S (default 10); WADESK_LOGINS_AT_ONCE is
 * FLEET_BENCH_LOGINS_AT_ONCE when set (to compare with the limit
 * lifted: 100000).  The daemons connect to
 * BENCH_WA_URL and trust BENCH_CA when set (fleet_bench.sh).
 * Prints one "bench: ..." line per figure.
 */
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { VAR, dbConnect, sleep, until } = require('../integration/lib.js');

const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;
const N = Number(process.env.FLEET_BENCH_SESSIONS || 2500);
const LEASE_S = Number(process.env.FLEET_BENCH_LEASE_S || 10);
const CA = process.env.BENCH_CA || '';
const OVER = CA !== '' ? 'over TLS' : 'plain ws://';
/* WADESK_LOGINS_AT_ONCE of the daemons; '': the daemon's default. */
const LOGINS = process.env.FLEET_BENCH_LOGINS_AT_ONCE || '';
const LOGINS_SAY = `logins at once ${LOGINS || 'the default'}`;
const FAILOVER_TARGET_S = 60;
const DRAIN_TARGET = 1000;

let db;
let phone = 18880000;
let nlog = 0;
const daemons = {};

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ? {} :
	    { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}

async function replaced() {
	return (await wasim('/state')).body.replaced.length;
}

async function start(name) {
	const log = `${VAR}/log/wadeskd.${name}.${++nlog}.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const env = {
		PATH: process.env.PATH,
		WADESK_DATABASE_URL:
		    `host=${VAR}/run dbname=wadesk user=wadesk_daemon`,
		WADESK_CRED_KEY_FILE: `${VAR}/cred.key`,
		WADESK_WA_URL: process.env.BENCH_WA_URL,
		WADESK_WA_ROOT_KEY: process.env.WASIM_ROOT_KEY,
		WADESK_STAGGER_MS: '0',
		WADESK_LEASE_SECONDS: String(LEASE_S),
		WADESK_DAEMON_DEAD_S: String(LEASE_S),
		WADESK_LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
	};
	if (LOGINS !== '')
		env.WADESK_LOGINS_AT_ONCE = LOGINS;
	if (CA !== '')
		env.SSL_CERT_FILE = CA;
	const args = Object.entries(env).map(([k, v]) => `${k}=${v}`);
	const child = IS_ROOT ?
	    spawn('setpriv', ['--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', 'env', '-i', ...args, process.env.DAEMON_BIN],
	    { stdio: ['ignore', fd, fd] }) :
	    spawn(process.env.DAEMON_BIN, [], { env, stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((res) => child.on('exit',
	    (code, sig) => res({ code, sig })));
	const d = { child, exited, id: null };
	daemons[name] = d;
	d.id = await until(async () => {
		const r = await db.query('SELECT id FROM daemon_instances ' +
		    'WHERE pid = $1', [child.pid]);
		return r.rowCount === 1 ? Number(r.rows[0].id) : null;
	}, 20000, `daemon ${name} up`);
	return d;
}

async function stop(name, sig = 'SIGTERM', ms = 180000) {
	const d = daemons[name];
	delete daemons[name];
	d.child.kill(sig);
	return Promise.race([d.exited, sleep(ms).then(() => ({
	    code: 'timeout' }))]);
}

/* Live leases per daemon id. */
async function owners() {
	const r = await db.query('SELECT owner_daemon AS o, count(*)::int ' +
	    'AS n FROM account_leases WHERE lease_until > now() GROUP BY 1');
	const m = {};
	for (const x of r.rows)
		m[Number(x.o)] = x.n;
	return m;
}

async function connectedOn(id) {
	return Number((await db.query("SELECT count(*) AS n FROM accounts " +
	    "JOIN account_leases ON account_id = id " +
	    "WHERE status = 'connected' AND owner_daemon = $1 AND " +
	    'lease_until > now()', [id])).rows[0].n);
}

async function connected() {
	return Number((await db.query("SELECT count(*) AS n FROM accounts " +
	    "WHERE status = 'connected'")).rows[0].n);
}

async function poll(sql, args, ms) {
	const end = Date.now() + ms;
	for (;;) {
		const r = await db.query(sql, args);
		if (r.rows.length > 0 && r.rows[0].ok)
			return r.rows[0];
		if (Date.now() > end)
			throw new Error(`timed out: ${sql}`);
		await sleep(20);
	}
}

async function pairOne(i) {
	const id = (await db.query('INSERT INTO accounts (operator_id, label) ' +
	    "SELECT id, $1 FROM operators WHERE username = 'admin' " +
	    'RETURNING id', [`fleet bench ${i}`])).rows[0].id;
	await db.query("UPDATE accounts SET status = 'pending', " +
	    'pair_qr_base = qr_version, pair_deadline = now() + ' +
	    "interval '300 s' WHERE id = $1", [id]);
	await db.query("INSERT INTO commands (account_id, type) " +
	    "VALUES ($1, 'pair')", [id]);
	const q = await poll('SELECT qr_code IS NOT NULL AS ok, qr_code ' +
	    'FROM accounts WHERE id = $1', [id], 60000);
	const s = await wasim('/scan', { qr: q.qr_code,
	    phone: String(phone++) });
	if (s.status !== 200)
		throw new Error(`scan: ${JSON.stringify(s.body)}`);
	await poll("SELECT status = 'connected' AS ok FROM accounts " +
	    'WHERE id = $1', [id], 60000);
}

async function qrSum() {
	return Number((await db.query('SELECT coalesce(sum(qr_version), 0) ' +
	    'AS s FROM accounts')).rows[0].s);
}

/* Interrupted (fleet_bench.sh's trap, ^C): no daemon outlives us. */
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => {
		for (const d of Object.values(daemons))
			d.child.kill('SIGKILL');
		process.exit(1);
	});

(async () => {
	db = await dbConnect();
	db.on('error', () => {});
	/* 1. Pair N on one daemon, 16 at a time. */
	const tp = Date.now();
	await start('a');
	let next = 0, retries = 0;
	const worker = async () => {
		while (next < N) {
			const i = next++;
			try {
				await pairOne(i);
			} catch (e) {
				if (++retries > 20)
					throw e;
				next--;
			}
		}
	};
	await Promise.all(Array.from({ length: 16 }, worker));
	await stop('a');
	console.log(`bench: fleet paired ${N} accounts in ` +
	    `${((Date.now() - tp) / 1000).toFixed(0)} s (set-up)`);
	const qr0 = await qrSum();
	const rep0 = await replaced();

	/* Two daemons share them. */
	let t0 = Date.now();
	await Promise.all(['a', 'b'].map(start));
	await until(async () => await connected() === N &&
	    Object.keys(await owners()).length === 2, 600000,
	    `${N} connected on two daemons`);
	const o = await owners();
	console.log(`bench: fleet ${N} sessions ${OVER} on two daemons ` +
	    `(${o[daemons.a.id]} + ${o[daemons.b.id]}; stagger off, ` +
	    `${LOGINS_SAY}) connected in ` +
	    `${((Date.now() - t0) / 1000).toFixed(1)} s`);

	/* 2. kill -9 of a. */
	const a = daemons.a;
	const moved = o[a.id];
	await stop('a', 'SIGKILL');
	const tk = Date.now();
	const exp = (await db.query('SELECT extract(epoch FROM max(' +
	    'lease_until) - now()) * 1000 AS ms FROM account_leases WHERE ' +
	    'owner_daemon = $1', [a.id])).rows[0].ms;
	const texp = tk + Math.max(0, Number(exp));
	await until(async () => await connectedOn(daemons.b.id) === N,
	    (LEASE_S + 600) * 1000, `all ${N} connected on the survivor`);
	const tall = Date.now();
	const after = (tall - texp) / 1000;
	const conflicts1 = await replaced() - rep0;
	const qrs1 = await qrSum() - qr0;
	console.log(`bench: fleet failover of ${N} sessions ${OVER} (kill -9 ` +
	    `of one of two daemons, ${moved} sessions moved, stagger off, ` +
	    `${LOGINS_SAY}, lease ${LEASE_S} s): all connected on the other ` +
	    `${after.toFixed(1)} s after its last lease expired ` +
	    `(${((tall - tk) / 1000).toFixed(1)} s after the kill); ` +
	    `${conflicts1} conflicts, ${qrs1} QR codes shown (target < ` +
	    `${FAILOVER_TARGET_S} s after expiry: ` +
	    `${after < FAILOVER_TARGET_S ? 'met' : 'MISSED'})`);

	/* 3. A third daemon gets its share by handover, then drains. */
	t0 = Date.now();
	const c = await start('c');
	const half = Math.floor(N / 2);
	await until(async () => (await connectedOn(c.id)) >= half &&
	    await connected() === N, 600000, 'the handover to a new daemon');
	const handed = await connectedOn(c.id);
	console.log(`bench: fleet fair-share handover of ${handed} sessions ` +
	    `to a new daemon in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	const rep2 = await replaced();
	t0 = Date.now();
	const x = await stop('c', 'SIGTERM', 300000);
	const exitS = (Date.now() - t0) / 1000;
	await until(async () => await connectedOn(daemons.b.id) === N,
	    300000, 'all connected after the drain');
	const drainS = (Date.now() - t0) / 1000;
	const conflicts2 = await replaced() - rep2;
	const ok = handed >= DRAIN_TARGET && conflicts2 === 0 && x.code === 0;
	console.log(`bench: fleet drain (SIGTERM) of ${handed} sessions ` +
	    `${OVER}: the daemon exited (${JSON.stringify(x.code)}) after ` +
	    `${exitS.toFixed(1)} s, all connected on the other after ` +
	    `${drainS.toFixed(1)} s, ${conflicts2} conflicts (target ` +
	    `${DRAIN_TARGET} sessions, 0 conflicts: ${ok ? 'met' :
	    'MISSED'})`);
	await stop('b');
	await db.end();
	process.exit(0);
})().catch(async (e) => {
	console.log(`bench: fleet FAILED: ${e.stack || e}`);
	for (const n of Object.keys(daemons))
		await stop(n, 'SIGTERM', 20000).catch(() => {});
	process.exit(1);
});
