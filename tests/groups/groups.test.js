'use strict';
/*
 * Issue 10, the daemon's half: the account's groups from the real
 * wadeskd against tests/wasim, run by tests/groups/run.sh (which lends
 * tests/daemon/run.sh's stack: PostgreSQL, nginx, wadesk.fcgi, wasim).
 * The groups are listed after every login (iq w:g2 <participating>),
 * kept current from w:gp2 notifications (create, subject, add/remove,
 * we were removed, delete, announcement), and re-read by Sync now
 * (a sync_groups command row); its failures end the command with a
 * reason code.  One "ok NAME" / "FAIL NAME" line per check.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { Browser, VAR, dbConnect, esc, sleep, until, runChecks } =
    require('../integration/lib.js');

const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;
let db, adm, daemon = null;

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}

async function sim(pathname, body) {
	const r = await wasim(pathname, body);
	assert.equal(r.status, 200, `${pathname}: ${JSON.stringify(r.body)}`);
	return r.body;
}

function daemonEnv() {
	return {
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
		WADESK_WA_URL: process.env.WASIM_URL,
		WADESK_WA_ROOT_KEY: process.env.WASIM_ROOT_KEY,
		WADESKD_TIME_SCALE: '20',
		ASAN_OPTIONS: 'detect_leaks=1',
	};
}

async function daemonStart() {
	const log = `${VAR}/log/wadeskd.groups.log`;
	const fd = fs.openSync(log, 'a');
	if (IS_ROOT)
		fs.chownSync(log, Number(execFileSync('id', ['-u', 'wadesk'])),
		    Number(execFileSync('id', ['-g', 'wadesk'])));
	const env = daemonEnv();
	const args = Object.entries(env).map(([k, v]) => `${k}=${v}`);
	const child = IS_ROOT ?
	    spawn('setpriv', ['--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', 'env', '-i', ...args, process.env.DAEMON_BIN],
	    { stdio: ['ignore', fd, fd] }) :
	    spawn(process.env.DAEMON_BIN, [], { env, stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((res) => child.on('exit',
	    (code, sig) => res({ code, sig })));
	daemon = { child, exited };
	await until(async () => (await db.query(
	    'SELECT 1 FROM daemon_instances WHERE pid = $1',
	    [child.pid])).rowCount === 1, 8000, 'daemon heartbeat row');
}

async function daemonStop() {
	const d = daemon;
	daemon = null;
	d.child.kill('SIGTERM');
	return Promise.race([d.exited, sleep(10000)]);
}

async function row(id) {
	return (await db.query('SELECT * FROM accounts WHERE id = $1',
	    [id])).rows[0];
}

async function waitRow(id, pred, ms, what) {
	return until(async () => {
		const r = await row(id);
		return r !== undefined && pred(r) ? r : null;
	}, ms, what);
}

async function groups(id) {
	return (await db.query('SELECT jid, subject, participants, is_admin, ' +
	    'announce, locked FROM groups WHERE account_id = $1 ORDER BY jid',
	    [id])).rows;
}

async function group(id, jid) {
	return (await db.query('SELECT * FROM groups WHERE account_id = $1 ' +
	    'AND jid = $2', [id, jid])).rows[0];
}

/* Wait until group "jid" of account "id" satisfies pred (undefined:
 * the row is gone). */
async function waitGroup(id, jid, pred, ms, what) {
	let last;
	try {
		return await until(async () => {
			last = await group(id, jid);
			return pred(last) ? (last || true) : null;
		}, ms, what);
	} catch (e) {
		throw new Error(`${e.message}; row: ${JSON.stringify(last)}`);
	}
}

async function action(id, name, form = {}) {
	const r = await adm.postc(`/accounts/${id}/${name}`, form);
	assert.equal(r.status, 303, `${name} on ${id}: ${r.status} ${r.text}`);
	return r;
}

async function lastCommand(id, type) {
	return (await db.query('SELECT * FROM commands WHERE account_id = $1 ' +
	    'AND type = $2 ORDER BY id DESC LIMIT 1', [id, type])).rows[0];
}

async function waitCommand(id, type, ms) {
	return until(async () => {
		const c = await lastCommand(id, type);
		return c && c.done_at !== null ? c : null;
	}, ms, `${type} done`);
}

const st = { phone: '15550700', alice: '15550701', bob: '15550702',
    g1: '120363700000001@g.us', g2: '120363700000002@g.us',
    g3: '120363700000003@g.us', g4: '120363700000004@g.us' };

const checks = [
	['groups-setup', async () => {
		db = await dbConnect();
		db.on('error', () => {});
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		await daemonStart();
		let r = await adm.postc('/accounts', { label: 'Groups <shop>' });
		st.id = Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
		await action(st.id, 'pair');
		r = await waitRow(st.id, (a) => a.qr_code !== null, 5000, 'QR');
		await sim('/scan', { qr: r.qr_code, phone: st.phone });
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'connected');
		await sim('/contact', { phone: st.alice });
		await sim('/contact', { phone: st.bob });
	}],
	/* whatsmeow parseGroupCreate: a group created with us in it
	 * arrives as <create><group/> and is stored at once. */
	['groups-create-notification-stored', async () => {
		await sim('/group', { jid: st.g1, subject: 'Front <desk>',
		    members: [st.phone, st.alice, st.bob] });
		const g = await waitGroup(st.id, st.g1, (x) => x !== undefined,
		    3000, 'created group stored');
		assert.equal(g.subject, 'Front <desk>');
		assert.equal(g.participants, 3);
		assert.equal(g.is_admin, true, 'the creator is superadmin');
	}],
	/* After every login the participating query lists exactly the
	 * groups we are in, with flags. */
	['groups-listed-after-login', async () => {
		await sim('/group', { jid: st.g2, subject: 'Suppliers',
		    members: [st.alice, st.phone], announce: true, locked: true,
		    announceCreate: false });
		await sim('/group', { jid: st.g3, subject: 'Not ours',
		    members: [st.alice, st.bob], announceCreate: false });
		await sleep(300);
		assert.equal(await group(st.id, st.g2), undefined,
		    'listed before any sync');
		const q0 = (await sim('/e2e')).participatingQueries;
		await action(st.id, 'disconnect');
		await waitRow(st.id, (a) => a.status === 'disconnected', 3000,
		    'disconnected');
		await action(st.id, 'reconnect');
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'reconnected');
		await waitGroup(st.id, st.g2, (x) => x !== undefined, 3000,
		    'listed after login');
		assert.ok((await sim('/e2e')).participatingQueries > q0);
		const all = await groups(st.id);
		assert.deepEqual(all.map((g) => g.jid), [st.g1, st.g2]);
		const g2 = all[1];
		assert.equal(g2.subject, 'Suppliers');
		assert.equal(g2.participants, 2);
		assert.equal(g2.is_admin, false);
		assert.equal(g2.announce, true);
		assert.equal(g2.locked, true);
		assert.ok((await row(st.id)).groups_synced_at !== null);
		const page = await adm.get(`/accounts/${st.id}/groups`);
		assert.equal(page.status, 200);
		assert.ok(page.text.includes(esc('Front <desk>')) &&
		    page.text.includes('Suppliers') &&
		    !page.text.includes('Not ours'), 'page rows');
	}],
	['groups-subject-change-within-seconds', async () => {
		const t0 = Date.now();
		await sim('/group-update', { jid: st.g1, subject: 'Front desk 2',
		    by: st.alice });
		await waitGroup(st.id, st.g1, (x) => x &&
		    x.subject === 'Front desk 2', 3000, 'subject');
		console.log(`# subject change stored in ${Date.now() - t0} ms`);
	}],
	['groups-participants-and-flags-follow', async () => {
		await sim('/group-update', { jid: st.g1, remove: [st.bob] });
		await waitGroup(st.id, st.g1, (x) => x && x.participants === 2,
		    3000, 'member removed');
		await sim('/group-update', { jid: st.g2, promote: [st.phone],
		    announce: false });
		await waitGroup(st.id, st.g2, (x) => x && x.is_admin &&
		    !x.announce, 3000, 'promoted, announce off');
		await sim('/group-update', { jid: st.g1, add: [st.bob] });
		await waitGroup(st.id, st.g1, (x) => x && x.participants === 3,
		    3000, 'member added');
	}],
	['groups-we-were-removed-within-seconds', async () => {
		const t0 = Date.now();
		await sim('/group-update', { jid: st.g2, remove: [st.phone],
		    by: st.alice });
		await waitGroup(st.id, st.g2, (x) => x === undefined, 3000,
		    'removed group gone');
		console.log(`# removal stored in ${Date.now() - t0} ms`);
		assert.deepEqual((await groups(st.id)).map((g) => g.jid),
		    [st.g1]);
	}],
	/* Added to an existing group by <add> alone: the daemon does not
	 * know it and reads the whole list. */
	['groups-added-to-existing-group-resyncs', async () => {
		await sim('/group-update', { jid: st.g3, add: [st.phone] });
		const g = await waitGroup(st.id, st.g3, (x) => x !== undefined,
		    3000, 'joined group stored');
		assert.equal(g.subject, 'Not ours');
		assert.equal(g.participants, 3);
	}],
	/* A change to a group the table does not have (it was made
	 * while we did not listen) asks the server nothing: the next
	 * login's list is newer anyway. */
	['groups-unknown-group-change-sends-no-query', async () => {
		const g5 = '120363700000005@g.us';
		await sim('/group', { jid: g5, subject: 'Unseen',
		    members: [st.alice, st.phone], announceCreate: false });
		const q0 = (await sim('/e2e')).participatingQueries;
		await sim('/group-update', { jid: g5, subject: 'Unseen 2' });
		await sim('/group-update', { jid: g5, remove: [st.alice] });
		await sleep(500);
		assert.equal((await sim('/e2e')).participatingQueries, q0);
		assert.equal(await group(st.id, g5), undefined);
		await sim('/group-update', { jid: g5, delete: true });
	}],
	['groups-sync-now', async () => {
		await sim('/group', { jid: st.g4, subject: 'Quiet',
		    members: [st.bob, st.phone], announceCreate: false });
		const r = await adm.postc(`/accounts/${st.id}/groups/sync`, {});
		assert.equal(r.status, 303);
		assert.match(r.location, new RegExp(
		    `^/accounts/${st.id}/groups\\?notice=queued`));
		const c = await waitCommand(st.id, 'sync_groups', 5000);
		assert.equal(c.error, null);
		assert.equal(c.result, '3 groups');
		assert.ok(await group(st.id, st.g4), 'Sync now missed a group');
		const ev = (await db.query('SELECT kind FROM account_events ' +
		    'WHERE account_id = $1 AND kind IN (\'groups_synced\', ' +
		    '\'groups_sync_requested\') ORDER BY id', [st.id])).rows;
		assert.deepEqual(ev.map((e) => e.kind),
		    ['groups_sync_requested', 'groups_synced']);
	}],
	['groups-sync-refused-is-a-sentence', async () => {
		await sim('/groups-query', { error: 500 });
		await adm.postc(`/accounts/${st.id}/groups/sync`, {});
		const c = await waitCommand(st.id, 'sync_groups', 5000);
		assert.equal(c.error, 'groups_refused');
		const page = await adm.get(`/accounts/${st.id}`);
		assert.ok(page.text.includes('WhatsApp refused to list this ' +
		    'account&#39;s groups'), 'the account page names it');
		/* Nothing was lost. */
		assert.equal((await groups(st.id)).length, 3);
	}],
	['groups-sync-timeout', async () => {
		await sim('/groups-query', { silent: true });
		await adm.postc(`/accounts/${st.id}/groups/sync`, {});
		/* 30 s / WADESKD_TIME_SCALE 20 */
		const c = await waitCommand(st.id, 'sync_groups', 6000);
		assert.equal(c.error, 'groups_timeout');
	}],
	/* A connection that ends while the answer is awaited ends the
	 * command at once, not at its 1.5 s timeout. */
	['groups-sync-ends-with-the-connection', async () => {
		await sim('/groups-query', { silent: true });
		await adm.postc(`/accounts/${st.id}/groups/sync`, {});
		await until(async () => {
			const c = await lastCommand(st.id, 'sync_groups');
			return c && c.claimed_at !== null;
		}, 3000, 'sync claimed');
		await action(st.id, 'disconnect');
		const c = await waitCommand(st.id, 'sync_groups', 5000);
		assert.equal(c.error, 'groups_not_connected');
		const ms = c.done_at - c.claimed_at;
		assert.ok(ms < 1400, `ended ${ms} ms after the claim`);
		await waitRow(st.id, (a) => a.status === 'disconnected', 3000,
		    'disconnected');
		await action(st.id, 'reconnect');
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'reconnected');
	}],
	['groups-deleted-group-goes', async () => {
		await sim('/group-update', { jid: st.g4, delete: true });
		await waitGroup(st.id, st.g4, (x) => x === undefined, 3000,
		    'deleted group gone');
	}],
	['groups-sync-not-connected', async () => {
		await action(st.id, 'disconnect');
		await waitRow(st.id, (a) => a.status === 'disconnected', 3000,
		    'disconnected');
		await adm.postc(`/accounts/${st.id}/groups/sync`, {});
		const c = await waitCommand(st.id, 'sync_groups', 5000);
		assert.equal(c.error, 'groups_not_connected');
		/* The groups stay, as of the last sync, and the page says
		 * why Send test is of no use now. */
		assert.equal((await groups(st.id)).length, 2);
		const page = await adm.get(`/accounts/${st.id}/groups`);
		assert.ok(page.text.includes('id="not-connected"'));
	}],
	/* The groups belonged to the linked device: unpair wipes them
	 * with its keys, and the page says why the list is empty. */
	['groups-unpair-wipes-groups', async () => {
		await action(st.id, 'reconnect');
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'reconnected');
		await action(st.id, 'unpair');
		const r = await waitRow(st.id, (a) => a.status === 'unpaired',
		    20000, 'unpaired');
		assert.equal(r.groups_synced_at, null);
		assert.equal((await groups(st.id)).length, 0);
		const page = await adm.get(`/accounts/${st.id}/groups`);
		assert.ok(page.text.includes('No groups yet: this account is ' +
		    'not connected'));
	}],
	['groups-account-delete-cascades', async () => {
		await db.query('INSERT INTO groups (account_id, jid, subject) ' +
		    'VALUES ($1, $2, \'left over\')', [st.id, st.g1]);
		await action(st.id, 'delete');
		await until(async () => (await row(st.id)) === undefined, 20000,
		    'account row gone');
		assert.equal((await groups(st.id)).length, 0);
	}],
];

(async () => {
	let failed;
	try {
		if (process.env.WA_MODE !== 'wasim') {
			console.log('FAIL groups-need-wasim (the real wadeskd is ' +
			    'not built: these checks need it and tests/wasim)');
			process.exit(1);
		}
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (daemon !== null)
			await daemonStop();
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
