/*
 * Test helpers: start the simulator as a child process and parse its ready
 * line, call the control port, poll /state, and build Baileys sockets that
 * trust the simulator's test root key.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const READY = /^wasim: ready url=(ws:\/\/\S+) control=(http:\/\/\S+) root_key=([0-9a-f]{64})$/;

/* Starts server.js with extra args; resolves {url, control, rootKey, stop}.
 * The simulator's stderr goes to ours (the test log). */
export function startSim(args = []) {
	const proc = spawn(process.execPath, [path.join(here, 'server.js'),
	    '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', ...args],
	    { stdio: ['ignore', 'pipe', 'inherit'] });
	return new Promise((resolve, reject) => {
		let buf = '';
		const timer = setTimeout(() => reject(new Error('no ready line in 10 s')),
		    10000);
		proc.on('exit', code => reject(new Error(`simulator exited ${code}`)));
		proc.stdout.on('data', d => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl < 0)
				return;
			const line = buf.slice(0, nl);
			clearTimeout(timer);
			const m = READY.exec(line);
			if (!m)
				return reject(new Error(`bad ready line: ${line}`));
			resolve({
				proc, line, url: m[1], control: m[2], rootKey: m[3],
				stop: () => new Promise(res => {
					if (proc.exitCode !== null)
						return res(proc.exitCode);
					proc.once('exit', (code, sig) => res(code ?? sig));
					proc.kill('SIGTERM');
				})
			});
		});
	});
}

/* POST JSON; resolves {status, body}. */
export async function post(sim, p, body = {}) {
	const r = await fetch(sim.control + p, { method: 'POST',
	    body: JSON.stringify(body) });
	return { status: r.status, body: await r.json() };
}

export async function getState(sim) {
	const r = await fetch(sim.control + '/state');
	return r.json();
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

/* Polls fn (async, truthy = done) every 50 ms; throws after ms. */
export async function waitFor(what, fn, ms = 10000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

export function tempDir() {
	const d = mkdtempSync(path.join(tmpdir(), 'wasim-test-'));
	return { dir: d, remove: () => rmSync(d, { recursive: true, force: true }) };
}

/*
 * Baileys glue.  pinRoot() puts the simulator's root key in place of
 * WhatsApp's in Baileys' WA_CERT_DETAILS (Defaults/index.js), which its
 * noise handler reads when it checks the certificate chain.
 */
let B = null;
export async function baileys() {
	if (!B) {
		const mod = await import('baileys');
		const pino = (await import('pino')).default;
		B = { ...mod, makeWASocket: mod.makeWASocket || mod.default,
		    logger: pino({ level: process.env.WASIM_BAILEYS_LOG || 'silent' },
		    pino.destination(2)) };
	}
	return B;
}

export async function pinRoot(rootKeyHex) {
	const b = await baileys();
	b.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootKeyHex, 'hex');
}

/*
 * Opens a Baileys socket at the simulator; returns {sock, events} where
 * events collects every connection.update and next(pred, ms) waits for one
 * matching update.
 */
export async function openBaileys(sim, auth, extra = {}) {
	const b = await baileys();
	const sock = b.makeWASocket({
		auth: auth.state,
		waWebSocketUrl: sim.url,
		logger: b.logger,
		browser: b.Browsers.ubuntu('Chrome'),
		markOnlineOnConnect: false,
		syncFullHistory: false,
		fireInitQueries: false,
		/* Short, for a quick ping; Baileys declares the connection lost
		 * after interval + 5 s without a frame, and its first login spends
		 * a few CPU seconds making 812 pre-keys, so not too short. */
		keepAliveIntervalMs: 4000,
		...extra
	});
	sock.ev.on('creds.update', auth.saveCreds);
	const events = [];
	const waiters = [];
	sock.ev.on('connection.update', u => {
		events.push(u);
		for (const w of [...waiters])
			if (w.pred(u)) {
				waiters.splice(waiters.indexOf(w), 1);
				w.resolve(u);
			}
	});
	const next = (pred, ms = 30000) => {
		const hit = events.find(pred);
		if (hit)
			return Promise.resolve(hit);
		return new Promise((resolve, reject) => {
			const w = { pred, resolve };
			waiters.push(w);
			setTimeout(() => {
				const i = waiters.indexOf(w);
				if (i >= 0) {
					waiters.splice(i, 1);
					reject(new Error(`no matching connection.update in ${ms} ms (saw ${JSON.stringify(events.map(e => ({ ...e, lastDisconnect: e.lastDisconnect ? statusOf(e) : undefined })))})`));
				}
			}, ms);
		});
	};
	return { sock, events, next };
}

/* Status code of a close update (Boom output.statusCode). */
export function statusOf(u) {
	const e = u && u.lastDisconnect && u.lastDisconnect.error;
	return e && e.output ? e.output.statusCode : null;
}

export const isClose = u => u.connection === 'close';
export const isOpen = u => u.connection === 'open';
