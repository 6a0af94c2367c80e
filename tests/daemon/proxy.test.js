'use strict';
/*
 * A proxy per account (issue 13), run by tests/daemon/proxy.sh (which
 * is tests/daemon/run.sh with this file): the real wadeskd against
 * tests/wasim through a tiny HTTP CONNECT proxy on loopback (below,
 * Node's http 'connect' event) that checks Proxy-Authorization and
 * records every tunnel.  An account set to use it on its page pairs,
 * logs in and reconnects through it (the proxy saw each connection,
 * to wasim's address, with the right credentials); a wrong password
 * (407), a dead proxy and an unopenable setting each leave the row
 * with their reason and the page with its sentence; the password is
 * never stored or shown in the clear; wss:// works inside the tunnel
 * (a TLS front before wasim, the test CA trusted).  The same through a
 * tiny SOCKS5 server (below, Node's net module; RFC 1928 and 1929)
 * that daemon/wa/tunnel.c speaks to: with the daemon pointed at a
 * server name nothing here can resolve (wasim.test), a login through
 * it proves the name went to the proxy; without and with a user and
 * password; a wrong password, a ruleset refusal (REP 2), a dead proxy
 * and a silent one each give their sentence; wss:// is verified
 * against the server's name, not the tunnel's loopback end.
 * Environment as daemon.test.js.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { spawn, execFileSync } = require('node:child_process');
const { Browser, VAR, dbConnect, sleep, until, runChecks } =
    require('../integration/lib.js');

const MODE = process.env.WA_MODE;
const CONTROL = process.env.WASIM_CONTROL;
const IS_ROOT = process.getuid() === 0;
const USER = 'alice';
const PASS = 'pr0xy s3cret@x';	/* a blank and an '@': encoded in the URL */

let db;
let adm;
let daemon = null;
let nlog = 0;
let proxy;
let socks;

/* ---- the proxy ---- */

class ConnectProxy {
	constructor() {
		this.tunnels = [];	/* { target, auth, at } */
		this.srv = http.createServer((req, res) => {
			res.writeHead(405);
			res.end();
		});
		this.srv.on('connect', (req, sock, head) => this.onConnect(req,
		    sock, head));
		this.socks = new Set();
	}

	start() {
		return new Promise((ok) => this.srv.listen(0, '127.0.0.1', () => {
			this.port = this.srv.address().port;
			ok();
		}));
	}

	onConnect(req, sock, head) {
		this.socks.add(sock);
		sock.on('close', () => this.socks.delete(sock));
		const auth = req.headers['proxy-authorization'] || '';
		const m = /^basic (.+)$/i.exec(auth);
		const cred = m ? Buffer.from(m[1], 'base64').toString() : null;
		const t = { target: req.url, cred, at: Date.now(), ok: false };
		this.tunnels.push(t);
		if (cred !== `${USER}:${PASS}`) {
			sock.end('HTTP/1.1 407 Proxy Authentication Required\r\n' +
			    'Proxy-Authenticate: Basic realm="t"\r\n' +
			    'Content-Length: 0\r\n\r\n');
			return;
		}
		const [host, port] = req.url.split(':');
		const up = net.connect(Number(port), host, () => {
			t.ok = true;
			sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			if (head.length > 0)
				up.write(head);
			up.pipe(sock);
			sock.pipe(up);
		});
		this.socks.add(up);
		up.on('close', () => this.socks.delete(up));
		up.on('error', () => sock.destroy());
		sock.on('error', () => up.destroy());
	}

	stop() {
		for (const s of this.socks)
			s.destroy();
		this.srv.close();
	}
}

/*
 * A SOCKS5 server (RFC 1928; user/password per RFC 1929 when "auth" is
 * set) that records every request and resolves names itself: "*.test"
 * and "localhost" are 127.0.0.1.  "rep" non-zero: refuse every CONNECT
 * with that code; "silent": never answer the greeting.
 */
class Socks5Proxy {
	constructor() {
		this.tunnels = [];	/* { methods, cred, atyp, host, port, ok } */
		this.auth = null;	/* { user, pass } */
		this.rep = 0;
		this.silent = false;
		this.socks = new Set();
		this.srv = net.createServer((s) => this.onConn(s));
	}

	start() {
		return new Promise((ok) => this.srv.listen(0, '127.0.0.1', () => {
			this.port = this.srv.address().port;
			ok();
		}));
	}

	onConn(sock) {
		const t = { methods: null, cred: null, atyp: 0, host: null,
		    port: 0, ok: false };
		let buf = Buffer.alloc(0);
		let st = 'greet';
		this.tunnels.push(t);
		this.socks.add(sock);
		sock.on('close', () => this.socks.delete(sock));
		sock.on('error', () => {});
		const step = () => {
			if (st === 'greet') {
				if (buf.length < 2 || buf.length < 2 + buf[1])
					return;
				t.methods = [...buf.subarray(2, 2 + buf[1])];
				buf = buf.subarray(2 + buf[1]);
				if (this.silent) {
					st = 'silent';
					return;
				}
				const want = this.auth ? 2 : 0;
				if (!t.methods.includes(want)) {
					sock.end(Buffer.from([5, 0xff]));
					st = 'done';
					return;
				}
				sock.write(Buffer.from([5, want]));
				st = this.auth ? 'auth' : 'req';
			}
			if (st === 'auth') {
				if (buf.length < 2 || buf.length < 3 + buf[1] ||
				    buf.length < 3 + buf[1] + buf[2 + buf[1]])
					return;
				const ul = buf[1];
				const pl = buf[2 + ul];
				const user = buf.subarray(2, 2 + ul).toString();
				const pass = buf.subarray(3 + ul, 3 + ul + pl).toString();
				buf = buf.subarray(3 + ul + pl);
				t.cred = `${user}:${pass}`;
				const good = user === this.auth.user &&
				    pass === this.auth.pass;
				if (!good) {
					sock.end(Buffer.from([1, 1]));
					st = 'done';
					return;
				}
				sock.write(Buffer.from([1, 0]));
				st = 'req';
			}
			if (st === 'req') {
				if (buf.length < 5)
					return;
				t.atyp = buf[3];
				let n;
				if (t.atyp === 1)
					n = 4 + 4;
				else if (t.atyp === 4)
					n = 4 + 16;
				else if (t.atyp === 3)
					n = 5 + buf[4];
				else {
					sock.destroy();
					return;
				}
				if (buf.length < n + 2)
					return;
				t.host = t.atyp === 3 ?
				    buf.subarray(5, n).toString() :
				    t.atyp === 1 ? [...buf.subarray(4, 8)].join('.') :
				    'ipv6';
				t.port = buf.readUInt16BE(n);
				const rest = buf.subarray(n + 2);
				st = 'done';
				const fail = (code) => sock.end(Buffer.from([5, code,
				    0, 1, 0, 0, 0, 0, 0, 0]));
				if (this.rep !== 0) {
					fail(this.rep);
					return;
				}
				const host = t.host === 'localhost' ||
				    t.host.endsWith('.test') ? '127.0.0.1' : t.host;
				const up = net.connect(t.port, host, () => {
					t.ok = true;
					sock.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1,
					    t.port >> 8, t.port & 0xff]));
					if (rest.length > 0)
						up.write(rest);
					up.pipe(sock);
					sock.pipe(up);
				});
				this.socks.add(up);
				up.on('close', () => this.socks.delete(up));
				up.on('error', () => t.ok ? sock.destroy() : fail(5));
				sock.on('close', () => up.destroy());
			}
		};
		sock.on('data', (d) => {
			if (st === 'done')
				return;
			buf = Buffer.concat([buf, d]);
			step();
		});
	}

	stop() {
		for (const s of this.socks)
			s.destroy();
		this.srv.close();
	}
}

/* ---- the WhatsApp side and the daemon (as in daemon.test.js) ---- */

async function wasim(pathname, body) {
	const r = await fetch(CONTROL + pathname, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body),
	    headers: { 'content-type': 'application/json' } });
	return { status: r.status, body: await r.json() };
}

function daemonEnv(extra = {}) {
	return Object.assign({
		PATH: process.env.PATH,
		WADESK_DATABASE_URL:
		    `host=${VAR}/run dbname=wadesk user=wadesk_daemon`,
		WADESK_CRED_KEY_FILE: `${VAR}/cred.key`,
		WADESK_PAIR_WINDOW_S: '30',	/* past the tunnel's 10 s timeout */
		WADESK_BACKOFF_MIN_MS: '200',
		WADESK_BACKOFF_MAX_MS: '1000',
		WADESK_STAGGER_MS: '20',
		WADESK_DAEMON_DEAD_S: '2',
		WADESK_LOG_LEVEL: 'info',
		WADESK_WA_URL: process.env.WASIM_URL,
		WADESK_WA_ROOT_KEY: process.env.WASIM_ROOT_KEY,
		WADESKD_TIME_SCALE: '20',
		ASAN_OPTIONS: 'detect_leaks=1',
	}, extra);
}

async function daemonStart(extra = {}) {
	const log = `${VAR}/log/wadeskd.proxy.${++nlog}.log`;
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

async function row(id) {
	return (await db.query('SELECT * FROM accounts WHERE id = $1',
	    [id])).rows[0];
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
	const r = await adm.postc('/accounts', { label });
	assert.equal(r.status, 303, `create ${label}: ${r.status}`);
	return Number(/^\/accounts\/(\d+)/.exec(r.location)[1]);
}

async function action(id, name, form = {}) {
	const r = await adm.postc(`/accounts/${id}/${name}`, form);
	assert.equal(r.status, 303, `${name} on ${id}: ${r.status} ${r.text}`);
	return r;
}

function proxyUrl(pass, port = proxy.port) {
	return `http://${USER}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;
}

/* The cause of the account's latest event that has one. */
async function lastCause(id) {
	const e = (await db.query("SELECT detail->>'cause' AS cause FROM " +
	    "account_events WHERE account_id = $1 AND detail->>'cause' IS " +
	    'NOT NULL ORDER BY id DESC LIMIT 1', [id])).rows[0];
	return e ? e.cause : null;
}

/* The account page shows the reason's sentence for "code". */
async function pageSays(id, words) {
	const page = await adm.get(`/accounts/${id}`);
	assert.equal(page.status, 200);
	assert.ok(page.text.includes(words), `the page lacks "${words}"`);
	return page.text;
}

const st = {};
const wasimHostPort = () => new URL(process.env.WASIM_URL).host;

const checks = [
	['proxy-setup', async () => {
		assert.equal(MODE, 'wasim', 'the proxy needs the real client ' +
		    'and tests/wasim (build wadeskd)');
		db = await dbConnect();
		db.on('error', () => {});
		adm = new Browser('admin');
		await adm.signIn('admin', process.env.WADESK_ADMIN_PASSWORD);
		proxy = new ConnectProxy();
		await proxy.start();
		st.id = await createAccount('Behind a proxy');
		/* No daemon has published its key yet: a sentence, no row. */
		await db.query('DELETE FROM proxy_keys');
		const r = await adm.postc(`/accounts/${st.id}/proxy`,
		    { proxy_url: proxyUrl(PASS) });
		assert.equal(r.status, 422);
		assert.match(r.text, /start wadeskd once/);
		await daemonStart();
		await until(async () => (await db.query('SELECT 1 FROM ' +
		    'proxy_keys')).rowCount === 1, 5000, 'the proxy key');
	}],
	['proxy-set-sealed-shown-without-password', async () => {
		for (const bad of ['ftp://x:1', 'http://127.0.0.1', 'http://h:99999'])
			assert.equal((await adm.postc(`/accounts/${st.id}/proxy`,
			    { proxy_url: bad })).status, 422, bad);
		const r = await action(st.id, 'proxy', { proxy_url:
		    proxyUrl(PASS) });
		assert.equal(r.location, `/accounts/${st.id}?notice=proxy`);
		const a = await row(st.id);
		assert.equal(a.proxy_display, `http://${USER}@127.0.0.1:` +
		    `${proxy.port}`);
		const url = proxyUrl(PASS);
		assert.equal(a.proxy_sealed.length, Buffer.byteLength(url) + 48,
		    'crypto_box_seal: 32-byte key and 16-byte MAC');
		assert.ok(!a.proxy_sealed.includes(Buffer.from('s3cret')),
		    'the password is in the sealed bytes');
		const key = (await db.query('SELECT public_key FROM ' +
		    'proxy_keys')).rows[0].public_key;
		assert.ok(a.proxy_public_key.equals(key));
		const page = await pageSays(st.id, `http://${USER}@127.0.0.1:` +
		    `${proxy.port}`);
		assert.ok(!page.includes('s3cret'), 'the password is shown');
		const ev = (await db.query("SELECT detail FROM account_events " +
		    "WHERE account_id = $1 AND kind = 'proxy_changed'",
		    [st.id])).rows;
		assert.equal(ev.length, 1);
		assert.ok(!JSON.stringify(ev).includes('s3cret'));
	}],
	['proxy-pair-and-login-through-it', async () => {
		const n0 = proxy.tunnels.length;
		await action(st.id, 'pair');
		const r = await waitRow(st.id, (a) => a.qr_code !== null, 5000,
		    'a QR through the proxy');
		const t = proxy.tunnels.slice(n0);
		assert.ok(t.length >= 1 && t.every((x) => x.ok), JSON.stringify(t));
		assert.equal(t[0].target, wasimHostPort());
		assert.equal(t[0].cred, `${USER}:${PASS}`);
		const s = await wasim('/scan', { qr: r.qr_code,
		    phone: '15550177' });
		assert.equal(s.status, 200, JSON.stringify(s.body));
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'connected through the proxy');
		/* After the scan, the 515 and the login: a second tunnel. */
		assert.ok(proxy.tunnels.length >= n0 + 2,
		    `tunnels: ${proxy.tunnels.length - n0}`);
		/* Disconnect and reconnect: the login goes through it too. */
		await action(st.id, 'disconnect');
		await waitRow(st.id, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		const n1 = proxy.tunnels.length;
		await action(st.id, 'reconnect');
		await waitRow(st.id, (a) => a.status === 'connected', 5000,
		    'reconnected through the proxy');
		assert.equal(proxy.tunnels.length, n1 + 1);
		assert.ok(proxy.tunnels[n1].ok);
	}],
	['proxy-wrong-password-refused-sentence', async () => {
		await action(st.id, 'disconnect');
		await waitRow(st.id, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		await action(st.id, 'proxy', { proxy_url: proxyUrl('wrong') });
		const n = proxy.tunnels.length;
		await action(st.id, 'reconnect');
		const a = await waitRow(st.id, (x) => x.disconnect_reason ===
		    'proxy_refused', 5000, 'proxy_refused');
		assert.equal(a.status, 'disconnected');
		assert.ok(proxy.tunnels.length > n && !proxy.tunnels[n].ok);
		assert.equal(proxy.tunnels[n].cred, `${USER}:wrong`);
		await pageSays(st.id, 'Proxy refused the connection');
		const e = (await db.query("SELECT detail FROM account_events " +
		    "WHERE account_id = $1 AND kind = 'proxy_refused' ORDER BY " +
		    'id DESC LIMIT 1', [st.id])).rows[0];
		assert.ok(e, 'no proxy_refused event');
		assert.match(JSON.stringify(e.detail), /refused the CONNECT/);
		/* Fixed on the page: the back-off retries get through. */
		await action(st.id, 'proxy', { proxy_url: proxyUrl(PASS) });
		await waitRow(st.id, (x) => x.status === 'connected', 8000,
		    'connected again after the fix');
	}],
	['proxy-dead-unreachable-sentence', async () => {
		const srv = net.createServer();
		await new Promise((res) => srv.listen(0, '127.0.0.1', res));
		const dead = srv.address().port;
		await new Promise((res) => srv.close(res));
		const id = await createAccount('Dead proxy');
		await action(id, 'proxy', { proxy_url: proxyUrl(PASS, dead) });
		await action(id, 'pair');
		const a = await waitRow(id, (x) => x.status === 'unpaired' &&
		    x.disconnect_reason === 'proxy_unreachable', 5000,
		    'proxy_unreachable');
		assert.equal(a.qr_code, null, 'a QR without the proxy');
		await pageSays(id, 'Could not reach the proxy');
		const e = (await db.query("SELECT detail FROM account_events " +
		    "WHERE account_id = $1 AND detail->>'cause' IS NOT NULL " +
		    'ORDER BY id DESC LIMIT 1', [id])).rows[0];
		assert.match(e.detail.cause, /cannot connect to the proxy 127\.0\.0\.1:\d+: Connection refused/);
		/* Never direct: wasim saw no connection for this account. */
		st.dead = id;
	}],
	['proxy-unreadable-never-direct', async () => {
		/* Sealed to another key (a new credentials key file, say):
		 * the daemon refuses to connect rather than go direct. */
		await db.query("UPDATE accounts SET proxy_public_key = " +
		    "'\\x" + '00'.repeat(32) + "' WHERE id = $1", [st.dead]);
		await action(st.dead, 'pair');
		await waitRow(st.dead, (x) => x.disconnect_reason ===
		    'proxy_unreadable', 5000, 'proxy_unreadable');
		await pageSays(st.dead, 'Set the proxy again');
		/* Clearing the proxy connects directly again. */
		await action(st.dead, 'proxy', { proxy_url: '' });
		const a = await row(st.dead);
		assert.equal(a.proxy_sealed, null);
		assert.equal(a.proxy_display, null);
		await pageSays(st.dead, 'none (direct connection)');
		const n = proxy.tunnels.length;
		await action(st.dead, 'pair');
		await waitRow(st.dead, (x) => x.qr_code !== null, 5000,
		    'a direct QR');
		assert.equal(proxy.tunnels.length, n, 'went through the proxy');
		await action(st.dead, 'cancel-pair');
	}],
	['proxy-wss-tls-inside-the-tunnel', async () => {
		/* WhatsApp is wss://: TLS must run inside the CONNECT tunnel,
		 * verified as always.  A TLS front with a test CA before
		 * wasim (tests/daemon/bench_tls.sh); the daemon restarted on
		 * it logs the account in again, through the proxy. */
		const dir = `${VAR}/tlsfront`;
		const sh = spawn('bash', ['-c', 'source tests/daemon/bench_tls.sh ' +
		    '&& tls_front_start "$0" "$1" && echo "front $TLS_URL ' +
		    '$TLS_CA $TLS_PID" && wait "$TLS_PID"', dir,
		    process.env.WASIM_URL], { stdio: ['ignore', 'pipe', 'pipe'] });
		let outText = '';
		sh.stdout.on('data', (d) => { outText += d; });
		const m = await until(() => /^front (\S+) (\S+) (\d+)$/m.exec(outText),
		    15000, `the TLS front (${outText})`);
		st.tlsPid = Number(m[3]);
		try {
			await daemonStop('SIGTERM');
			await waitRow(st.id, (a) => a.status === 'disconnected', 5000,
			    'disconnected by the stop');
			const n = proxy.tunnels.length;
			await daemonStart({ WADESK_WA_URL: m[1], SSL_CERT_FILE: m[2] });
			await waitRow(st.id, (a) => a.status === 'connected', 10000,
			    'logged in over wss through the proxy');
			const t = proxy.tunnels.slice(n);
			assert.ok(t.length >= 1 && t.every((x) => x.ok),
			    JSON.stringify(t));
			assert.equal(t[0].target, new URL(m[1]).host,
			    'the tunnel went to the TLS front');
			/* Offline before the front goes, so no retries follow. */
			await action(st.id, 'disconnect');
			await waitRow(st.id, (a) => a.status === 'disconnected',
			    5000, 'disconnected');
		} finally {
			process.kill(st.tlsPid, 'SIGTERM');
		}
	}],
	['socks5-setup', async () => {
		/* The daemon is pointed at a name nothing here resolves:
		 * only a proxy that resolves it (ours) gets through. */
		socks = new Socks5Proxy();
		await socks.start();
		await daemonStop('SIGTERM');
		const u = new URL(process.env.WASIM_URL);
		st.socksUrl = `ws://wasim.test:${u.port}${u.pathname}`;
		/* At debug level: the password must be in none of its lines
		 * either (socks5-login-with-user-password). */
		await daemonStart({ WADESK_WA_URL: st.socksUrl,
		    WADESK_LOG_LEVEL: 'debug' });
		st.sid = await createAccount('Behind SOCKS5');
		await action(st.sid, 'proxy', { proxy_url:
		    `socks5://127.0.0.1:${socks.port}` });
		assert.equal((await row(st.sid)).proxy_display,
		    `socks5://127.0.0.1:${socks.port}`);
	}],
	['socks5-pair-and-login-without-auth', async () => {
		await action(st.sid, 'pair');
		const r = await waitRow(st.sid, (a) => a.qr_code !== null, 8000,
		    'a QR through the SOCKS5 proxy');
		const t = socks.tunnels;
		assert.ok(t.length >= 1 && t.every((x) => x.ok), JSON.stringify(t));
		/* Greeting: "no authentication" only; CONNECT by name. */
		assert.deepEqual(t[0].methods, [0]);
		assert.equal(t[0].atyp, 3, 'ATYP 3: the name, for the proxy ' +
		    'to resolve');
		assert.equal(`${t[0].host}:${t[0].port}`,
		    new URL(st.socksUrl).host);
		const s = await wasim('/scan', { qr: r.qr_code,
		    phone: '15550178' });
		assert.equal(s.status, 200, JSON.stringify(s.body));
		await waitRow(st.sid, (a) => a.status === 'connected', 8000,
		    'connected through the SOCKS5 proxy');
		assert.ok(socks.tunnels.length >= 2 &&
		    socks.tunnels.every((x) => x.ok),
		    `tunnels: ${JSON.stringify(socks.tunnels)}`);
	}],
	['socks5-login-with-user-password', async () => {
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		socks.auth = { user: USER, pass: PASS };
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `${encodeURIComponent(PASS)}@127.0.0.1:${socks.port}` });
		const n = socks.tunnels.length;
		await action(st.sid, 'reconnect');
		await waitRow(st.sid, (a) => a.status === 'connected', 8000,
		    'connected through SOCKS5 with a password');
		const t = socks.tunnels[n];
		assert.deepEqual(t.methods, [0, 2]);
		assert.equal(t.cred, `${USER}:${PASS}`);
		assert.ok(t.ok);
		assert.equal(socks.tunnels.length, n + 1);
		/* The password is in no log line and no event. */
		assert.ok(!fs.readFileSync(daemon.log, 'utf8').includes('s3cret'),
		    'the password is in the daemon log');
		const ev = (await db.query('SELECT detail FROM account_events ' +
		    'WHERE account_id = $1', [st.sid])).rows;
		assert.ok(!JSON.stringify(ev).includes('s3cret'));
	}],
	['socks5-proxy-by-name', async () => {
		/* The proxy's own name is looked up off the event loop
		 * (getaddrinfo_a() in daemon/wa/tunnel.c), then used. */
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `${encodeURIComponent(PASS)}@localhost:${socks.port}` });
		const n = socks.tunnels.length;
		await action(st.sid, 'reconnect');
		await waitRow(st.sid, (a) => a.status === 'connected', 8000,
		    'connected through SOCKS5 named localhost');
		assert.equal(socks.tunnels.length, n + 1);
		assert.ok(socks.tunnels[n].ok);
	}],
	['socks5-proxy-name-unknown-sentence', async () => {
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		await action(st.sid, 'proxy', { proxy_url:
		    'socks5://no-such-proxy.invalid:1080' });
		await action(st.sid, 'reconnect');
		/* The resolver's answer, or, with no DNS server answering,
		 * the tunnel's 10 s timeout. */
		const a = await waitRow(st.sid, (x) => x.disconnect_reason ===
		    'proxy_unreachable', 15000, 'proxy_unreachable');
		assert.equal(a.status, 'disconnected');
		await pageSays(st.sid, 'Could not reach the proxy');
		const e = await lastCause(st.sid);
		assert.match(e, /^cannot connect to the SOCKS5 proxy no-such-proxy\.invalid:1080: (name lookup failed \(|its name was not found within 10 s$)/);
		/* Back through the working proxy, for the next check. */
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `${encodeURIComponent(PASS)}@127.0.0.1:${socks.port}` });
		await action(st.sid, 'reconnect');
		await waitRow(st.sid, (x) => x.status === 'connected', 8000,
		    'connected again');
	}],
	['socks5-wrong-password-refused-sentence', async () => {
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `wrong@127.0.0.1:${socks.port}` });
		const n = socks.tunnels.length;
		await action(st.sid, 'reconnect');
		const a = await waitRow(st.sid, (x) => x.disconnect_reason ===
		    'proxy_refused', 5000, 'proxy_refused');
		assert.equal(a.status, 'disconnected');
		assert.equal(socks.tunnels[n].cred, `${USER}:wrong`);
		assert.ok(!socks.tunnels[n].ok);
		await pageSays(st.sid, 'Proxy refused the connection');
		const e = await lastCause(st.sid);
		assert.match(e, /^the SOCKS5 proxy 127\.0\.0\.1:\d+ rejected the user name or password$/);
	}],
	['socks5-ruleset-refusal-sentence', async () => {
		/* The right password now, but the proxy refuses the CONNECT
		 * (REP 2): the back-off retries say so; then it allows it. */
		socks.rep = 2;
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `${encodeURIComponent(PASS)}@127.0.0.1:${socks.port}` });
		await until(async () => /not allowed/.test(await lastCause(
		    st.sid)), 8000, 'the ruleset refusal');
		assert.equal(await lastCause(st.sid), 'the SOCKS5 proxy ' +
		    `127.0.0.1:${socks.port} refused the connection to ` +
		    `${new URL(st.socksUrl).host}: connection not allowed by ` +
		    'ruleset');
		assert.equal((await row(st.sid)).disconnect_reason,
		    'proxy_refused');
		socks.rep = 0;
		await waitRow(st.sid, (x) => x.status === 'connected', 8000,
		    'connected again once the proxy allows it');
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
	}],
	['socks5-no-descriptor-left-behind', async () => {
		/* Three tunnels up and down: the daemon holds no more open
		 * descriptors than before (each tunnel has two of its own). */
		const fds = () => fs.readdirSync(`/proc/${daemon.child.pid}/fd`)
		    .length;
		const before = fds();
		const n = socks.tunnels.length;
		for (let i = 0; i < 3; i++) {
			await action(st.sid, 'reconnect');
			await waitRow(st.sid, (a) => a.status === 'connected', 8000,
			    'connected');
			await action(st.sid, 'disconnect');
			await waitRow(st.sid, (a) => a.status === 'disconnected',
			    5000, 'disconnected');
		}
		assert.equal(socks.tunnels.length, n + 3);
		await until(() => fds() <= before + 1, 3000,
		    `descriptors back to ${before} (now ${fds()})`);
		/* A stop with a tunnel up is clean (the sanitizer build's
		 * leak check runs at exit). */
		await action(st.sid, 'reconnect');
		await waitRow(st.sid, (a) => a.status === 'connected', 8000,
		    'connected');
		const ex = await daemonStop('SIGTERM');
		assert.equal(ex.code, 0, JSON.stringify(ex));
		await daemonStart({ WADESK_WA_URL: st.socksUrl });
		await waitRow(st.sid, (a) => a.status === 'connected', 8000,
		    'connected again after the restart');
		await action(st.sid, 'disconnect');
		await waitRow(st.sid, (a) => a.status === 'disconnected', 5000,
		    'disconnected');
	}],
	['socks5-dead-unreachable-sentence', async () => {
		const srv = net.createServer();
		await new Promise((res) => srv.listen(0, '127.0.0.1', res));
		const dead = srv.address().port;
		await new Promise((res) => srv.close(res));
		const id = await createAccount('Dead SOCKS5');
		await action(id, 'proxy', { proxy_url:
		    `socks5://127.0.0.1:${dead}` });
		await action(id, 'pair');
		const a = await waitRow(id, (x) => x.status === 'unpaired' &&
		    x.disconnect_reason === 'proxy_unreachable', 5000,
		    'proxy_unreachable');
		assert.equal(a.qr_code, null, 'a QR without the proxy');
		await pageSays(id, 'Could not reach the proxy');
		assert.equal(await lastCause(id), 'cannot connect to the SOCKS5 ' +
		    `proxy 127.0.0.1:${dead}: connection refused`);
		st.sdead = id;
	}],
	['socks5-silent-proxy-times-out', async () => {
		/* A proxy that takes the connection and never answers the
		 * greeting: the tunnel gives up after 10 s, with its words
		 * (before the client's 20 s handshake timeout). */
		socks.silent = true;
		socks.auth = null;
		await action(st.sdead, 'proxy', { proxy_url:
		    `socks5://127.0.0.1:${socks.port}` });
		const t0 = Date.now();
		await action(st.sdead, 'pair');
		await waitRow(st.sdead, (x) => x.disconnect_reason ===
		    'proxy_unreachable' && x.status === 'unpaired' &&
		    x.qr_code === null && Date.now() - t0 > 5000, 16000,
		    'the timeout');
		assert.equal(await lastCause(st.sdead), 'the SOCKS5 proxy ' +
		    `127.0.0.1:${socks.port} did not answer within 10 s`);
		socks.silent = false;
	}],
	['socks5-wss-verified-against-the-server-name', async () => {
		/* wss:// through the tunnel: lws connects to the tunnel's
		 * 127.0.0.1 end, but SNI and the certificate check are the
		 * server's name.  The test certificate covers "localhost" and
		 * 127.0.0.1, not "elsewhere.test": a login to localhost
		 * works, one to elsewhere.test fails verification (it would
		 * pass if lws checked the loopback address). */
		const dir = `${VAR}/tlsfront-socks`;
		const sh = spawn('bash', ['-c', 'source tests/daemon/bench_tls.sh ' +
		    '&& tls_front_start "$0" "$1" && echo "front $TLS_URL ' +
		    '$TLS_CA $TLS_PID" && wait "$TLS_PID"', dir,
		    process.env.WASIM_URL], { stdio: ['ignore', 'pipe', 'pipe'] });
		let outText = '';
		sh.stdout.on('data', (d) => { outText += d; });
		const m = await until(() => /^front (\S+) (\S+) (\d+)$/m.exec(outText),
		    15000, `the TLS front (${outText})`);
		const tlsPid = Number(m[3]);
		socks.auth = { user: USER, pass: PASS };
		await action(st.sid, 'proxy', { proxy_url: `socks5://${USER}:` +
		    `${encodeURIComponent(PASS)}@127.0.0.1:${socks.port}` });
		try {
			const front = new URL(m[1]);
			await daemonStop('SIGTERM');
			let n = socks.tunnels.length;
			await daemonStart({ WADESK_WA_URL: `wss://localhost:` +
			    `${front.port}${front.pathname}`, SSL_CERT_FILE: m[2] });
			await action(st.sid, 'reconnect');
			await waitRow(st.sid, (a) => a.status === 'connected', 10000,
			    'logged in over wss through SOCKS5');
			let t = socks.tunnels.slice(n);
			assert.ok(t.length >= 1 && t.every((x) => x.ok),
			    JSON.stringify(t));
			assert.equal(`${t[0].host}:${t[0].port}`,
			    `localhost:${front.port}`);
			await action(st.sid, 'disconnect');
			await waitRow(st.sid, (a) => a.status === 'disconnected',
			    5000, 'disconnected');
			await daemonStop('SIGTERM');
			n = socks.tunnels.length;
			await daemonStart({ WADESK_WA_URL: `wss://elsewhere.test:` +
			    `${front.port}${front.pathname}`, SSL_CERT_FILE: m[2] });
			await action(st.sid, 'reconnect');
			/* lws 4.1 words it "SSL err" (the cause: "TLS handshake
			 * failed"); OpenSSL's own words are in the log. */
			await until(async () => /^TLS /.test(await lastCause(
			    st.sid)), 8000, 'the verify failure');
			assert.ok(fs.readFileSync(daemon.log, 'utf8').includes(
			    'hostname mismatch'), 'no hostname mismatch logged');
			t = socks.tunnels.slice(n);
			assert.ok(t.length >= 1 && t[0].ok && t[0].host ===
			    'elsewhere.test', JSON.stringify(t));
			assert.notEqual((await row(st.sid)).status, 'connected');
		} finally {
			process.kill(tlsPid, 'SIGTERM');
		}
	}],
];

(async () => {
	let failed;
	try {
		failed = await runChecks(checks, process.argv[2]);
	} finally {
		if (daemon !== null)
			await daemonStop('SIGTERM');
		if (proxy)
			proxy.stop();
		if (socks)
			socks.stop();
		if (db)
			await db.end().catch(() => {});
	}
	process.exit(failed === 0 ? 0 : 1);
})();
