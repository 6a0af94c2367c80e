#!/usr/bin/env node
/*
 * Fault controls and pairing-code flow, driven through Baileys' client:
 * /silence (Baileys declares the connection lost), /conflict (440),
 * /drop, /outdated (405 once), /ban (403 until /unban), /logout by the
 * phone (401 device_removed), and pairing with a phone-number code
 * (wrong code refused, right code pairs, 515, login).
 * Run: node tests/wasim/test-faults.js
 */
import { check, assert, done } from './runner.js';
import {
	baileys, getState, isClose, isOpen, openBaileys, pinRoot, post, startSim,
	statusOf, tempDir, waitFor
} from './harness.js';

const tmps = [];
let sim = null;
const socks = [];
let b;

async function open(auth, extra) {
	const c = await openBaileys(sim, auth, extra);
	socks.push(c.sock);
	return c;
}

/* Opens a login connection and waits for it; returns the handle. */
async function login(auth) {
	const c = await open(auth);
	await c.next(isOpen);
	return c;
}

async function pairByQr(phone) {
	const t = (await import('./harness.js')).tempDir();
	tmps.push(t);
	const auth = await b.useMultiFileAuthState(t.dir);
	const c = await open(auth);
	const { qr } = await c.next(u => u.qr);
	const r = await post(sim, '/scan', { qr, phone });
	if (r.status !== 200)
		throw new Error(`scan: ${JSON.stringify(r)}`);
	const u = await c.next(isClose);
	if (statusOf(u) !== 515)
		throw new Error(`pairing ended with ${statusOf(u)}`);
	return { auth, jid: r.body.jid };
}

async function main() {
	b = await baileys();
	sim = await startSim();
	await pinRoot(sim.rootKey);
	const dev = await pairByQr('15550100');
	await check('faults: device paired by QR', () =>
	    assert(dev.jid === '15550100:1@s.whatsapp.net', dev.jid));

	let c = await login(dev.auth);
	await check('faults: /silence stops ping answers; Baileys gives up (408)', async () => {
		const r = await post(sim, '/silence', { jid: dev.jid });
		assert(r.status === 200 && r.body.connections.length === 1,
		    JSON.stringify(r));
		const u = await c.next(isClose, 30000);
		assert(statusOf(u) === 408, `status ${statusOf(u)}`);
		const s = await getState(sim);
		const conn = s.connections.find(x => x.id === r.body.connections[0]);
		assert(conn.pingsIgnored >= 1 && conn.silenced, JSON.stringify(conn));
	});

	c = await login(dev.auth);
	await check('faults: /notify: Baileys acks the notification correctly', async () => {
		const r = await post(sim, '/notify', { jid: dev.jid });
		assert(r.status === 200 && r.body.ids.length === 1, JSON.stringify(r));
		await waitFor('ack', async () => {
			const s = await getState(sim);
			const conn = s.connections.find(x => x.id === r.body.connections[0]);
			return conn.acked.includes(r.body.ids[0]) &&
			    conn.awaitingAck.length === 0;
		});
	});
	await check('faults: /conflict ends the stream with conflict replaced (440)', async () => {
		const r = await post(sim, '/conflict', { jid: '15550100@s.whatsapp.net' });
		assert(r.body.connections.length === 1, JSON.stringify(r));
		const u = await c.next(isClose);
		assert(statusOf(u) === 440, `status ${statusOf(u)}`);
	});

	c = await login(dev.auth);
	await check('faults: /drop closes the TCP connection without a word', async () => {
		const r = await post(sim, '/drop', {});
		assert(r.body.connections.length === 1, JSON.stringify(r));
		const u = await c.next(isClose);
		assert(statusOf(u) === 428, `status ${statusOf(u)}`);
	});

	await check('faults: /outdated makes the next login fail with 405, once', async () => {
		const r = await post(sim, '/outdated', { jid: dev.jid });
		assert(r.status === 200, JSON.stringify(r));
		c = await open(dev.auth);
		const u = await c.next(isClose);
		assert(statusOf(u) === 405, `status ${statusOf(u)}`);
		c = await login(dev.auth);
	});

	await check('faults: /ban ends the session and the next login gets 403', async () => {
		const r = await post(sim, '/ban', { jid: dev.jid });
		assert(r.body.banned[0] === '15550100', JSON.stringify(r));
		await c.next(isClose);
		c = await open(dev.auth);
		const u = await c.next(isClose);
		assert(statusOf(u) === 403, `status ${statusOf(u)}`);
	});
	await check('faults: /unban lets the device log in again', async () => {
		const r = await post(sim, '/unban', { jid: dev.jid });
		assert(r.body.unbanned[0] === '15550100', JSON.stringify(r));
		c = await login(dev.auth);
	});

	await check('faults: /logout from the phone: 401 device_removed, device unlinked', async () => {
		const r = await post(sim, '/logout', { jid: dev.jid });
		assert(r.body.removed[0] === dev.jid, JSON.stringify(r));
		const u = await c.next(isClose);
		assert(statusOf(u) === 401, `status ${statusOf(u)}`);
		const s = await getState(sim);
		assert(s.phones[0].devices.length === 0, 'still linked');
	});

	await check('faults: bad fault requests are refused', async () => {
		let r = await post(sim, '/garbage', { kind: 'nonsense' });
		assert(r.status === 400, JSON.stringify(r));
		r = await post(sim, '/logout', { jid: 'not a jid' });
		assert(r.status === 400, JSON.stringify(r));
		r = await post(sim, '/nosuch', {});
		assert(r.status === 404, JSON.stringify(r));
		const raw = await fetch(sim.control + '/scan', { method: 'POST',
		    body: '{not json' });
		assert(raw.status === 400);
	});

	/* Pairing code (spec 7). */
	const t = tempDir();
	tmps.push(t);
	const auth = await b.useMultiFileAuthState(t.dir);
	c = await open(auth);
	await c.next(u => u.qr);
	await check('faults: pairing code: wrong code is refused (422)', async () => {
		const code = await c.sock.requestPairingCode('15550123');
		assert(/^[1-9A-HJ-NP-TV-Z]{8}$/.test(code), code);
		await waitFor('companion_hello', async () => {
			const s = await getState(sim);
			return s.connections.some(x => x.linkCode &&
			    x.linkCode.state === 'waiting-for-code');
		});
		const wrong = code[0] === 'A' ? 'B' + code.slice(1) : 'A' + code.slice(1);
		const r = await post(sim, '/enter-code', { phone: '15550123',
		    code: wrong });
		assert(r.status === 422, JSON.stringify(r));
	});
	await check('faults: pairing code: no pending request gives 409', async () => {
		const r = await post(sim, '/enter-code', { phone: '15550123',
		    code: 'ABCDEFGH' });
		assert(r.status === 409, JSON.stringify(r));
	});
	await check('faults: pairing code: right code pairs, 515, login', async () => {
		const code = await c.sock.requestPairingCode('15550123');
		await waitFor('companion_hello', async () => {
			const s = await getState(sim);
			return s.connections.some(x => x.linkCode &&
			    x.linkCode.state === 'waiting-for-code');
		});
		const r = await post(sim, '/enter-code', { phone: '15550123',
		    code: `${code.slice(0, 4)}-${code.slice(4)}` });
		assert(r.status === 200 && r.body.jid === '15550123:1@s.whatsapp.net',
		    JSON.stringify(r));
		const u = await c.next(isClose);
		assert(statusOf(u) === 515, `status ${statusOf(u)}`);
		c = await login(auth);
		const s = await getState(sim);
		const p = s.phones.find(x => x.phone === '15550123');
		assert(p.devices[0].via === 'code', JSON.stringify(p));
	});
	await check('faults: simulator errors are only the provoked ones', async () => {
		const s = await getState(sim);
		const unexpected = s.errors.filter(e => !/rejected \((405|403)\)|companion_finish: key bundle/.test(e.error));
		assert(unexpected.length === 0, JSON.stringify(unexpected));
	});
}

try {
	await main();
} catch (err) {
	await check('faults: test harness', () => { throw err; });
} finally {
	for (const s of socks)
		try {
			s.end(undefined);
		} catch { /* closed */ }
	if (sim)
		await sim.stop();
	for (const t of tmps)
		t.remove();
}
done();
