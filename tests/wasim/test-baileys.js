#!/usr/bin/env node
/*
 * Proof of faithfulness: Baileys' own client (baileys 7.0.0-rc14, with the
 * simulator's test root key pinned in WA_CERT_DETAILS) pairs by QR with the
 * simulator, takes the 515 restart, logs in with the stored creds, pings,
 * and logs out; the simulator must see each step.  A stale login after the
 * logout must then fail with 401.
 * Run: node tests/wasim/test-baileys.js
 */
import { check, assert, done } from './runner.js';
import {
	getState, isClose, isOpen, openBaileys, pinRoot, post, startSim, statusOf,
	tempDir, waitFor, baileys
} from './harness.js';

const tmp = tempDir();
let sim = null;
const socks = [];

async function main() {
	const b = await baileys();
	sim = await startSim();
	await check('baileys: simulator prints the ready line', () =>
	    assert(/^wasim: ready url=ws:\/\/127\.0\.0\.1:\d+\/ws\/chat control=http:\/\/127\.0\.0\.1:\d+ root_key=[0-9a-f]{64}$/.test(sim.line), sim.line));
	await pinRoot(sim.rootKey);
	const auth = await b.useMultiFileAuthState(tmp.dir);

	/* 1: registration, QR. */
	const c1 = await openBaileys(sim, auth);
	socks.push(c1.sock);
	let qr = null;
	await check('baileys: QR shown after the registration handshake', async () => {
		const u = await c1.next(u => u.qr);
		qr = u.qr;
		assert(qr.startsWith('https://wa.me/settings/linked_devices#2@'), qr);
	});
	await check('baileys: simulator saw a valid registration payload and the pair-device ack', async () => {
		const st = await waitFor('pair-device ack', async () => {
			const s = await getState(sim);
			const c = s.connections.find(x => x.phase === 'registration');
			return c && c.pairDeviceAcked ? s : null;
		});
		const c = st.connections.find(x => x.phase === 'registration');
		assert(c.payload.kind === 'registration' && c.payload.passive === false,
		    JSON.stringify(c.payload));
		assert(c.payload.version === b.DEFAULT_CONNECTION_CONFIG.version.join('.'),
		    c.payload.version);
		assert(c.ref && qr.includes(`#${c.ref.ref},`), 'current ref not in QR');
		assert(c.ref.index === 1 && c.refsSent === 6, JSON.stringify(c.ref));
	});
	await check('baileys: unknown ref is refused with 409', async () => {
		const r = await post(sim, '/scan', { qr: qr.replace('#2@', '#2@X') });
		assert(r.status === 409 && /unknown ref/.test(r.body.error),
		    JSON.stringify(r));
	});

	/* 2: the phone scans; pair-success; 515. */
	let paired = null;
	await check('baileys: POST /scan pairs the device', async () => {
		const r = await post(sim, '/scan', { qr, phone: '15550100' });
		assert(r.status === 200 && r.body.ok, JSON.stringify(r));
		assert(r.body.jid === '15550100:1@s.whatsapp.net', r.body.jid);
		paired = r.body;
	});
	await check('baileys: stream ends with 515 restart required', async () => {
		const u = await c1.next(isClose);
		assert(statusOf(u) === b.DisconnectReason.restartRequired,
		    `status ${statusOf(u)}`);
	});
	await check('baileys: Baileys stored the device JID and account', () => {
		const me = auth.state.creds.me;
		assert(me && me.id === paired.jid && me.lid === paired.lid,
		    JSON.stringify(me));
		assert(auth.state.creds.account &&
		    auth.state.creds.account.deviceSignature.length === 64);
	});
	await check('baileys: a used QR is refused with 409', async () => {
		const r = await post(sim, '/scan', { qr });
		assert(r.status === 409, JSON.stringify(r));
	});
	await check('baileys: /state lists the linked device', async () => {
		const s = await getState(sim);
		const p = s.phones.find(x => x.phone === '15550100');
		assert(p && p.devices.length === 1 && p.devices[0].jid === paired.jid &&
		    p.devices[0].os === 'Ubuntu', JSON.stringify(s.phones));
		assert(s.errors.length === 0, JSON.stringify(s.errors));
	});

	/* 3: login with the stored creds. */
	const c2 = await openBaileys(sim, auth);
	socks.push(c2.sock);
	await check('baileys: login with stored creds opens the connection', async () => {
		await c2.next(isOpen);
	});
	await check('baileys: simulator saw the login payload and the active IQ', async () => {
		const s = await waitFor('active', async () => {
			const st = await getState(sim);
			const c = st.connections.find(x => x.phase === 'logged-in');
			return c && c.passive === false ? st : null;
		});
		const c = s.connections.find(x => x.phase === 'logged-in');
		assert(c.jid === paired.jid && c.payload.kind === 'login' &&
		    c.payload.passive === true && c.payload.device === 1 &&
		    c.payload.username === '15550100', JSON.stringify(c.payload));
	});
	await check('baileys: pre-keys uploaded and counted', async () => {
		await waitFor('pre-keys', async () => {
			const s = await getState(sim);
			return s.phones[0].devices[0].prekeys >= 5;
		});
	});
	await check('baileys: keepalive ping answered', async () => {
		await waitFor('a ping', async () => {
			const s = await getState(sim);
			const c = s.connections.find(x => x.phase === 'logged-in');
			return c && c.pingsAnswered >= 1 && s.pingsAnswered >= 1;
		});
	});

	/* 4: logout. */
	await check('baileys: sock.logout() is seen and unlinks the device', async () => {
		await c2.sock.logout();
		const u = await c2.next(isClose);
		assert(statusOf(u) === b.DisconnectReason.loggedOut,
		    `status ${statusOf(u)}`);
		const s = await waitFor('logout', async () => {
			const st = await getState(sim);
			return st.logouts.length ? st : null;
		});
		assert(s.logouts[0].jid === paired.jid &&
		    s.logouts[0].reason === 'user_initiated', JSON.stringify(s.logouts));
		assert(s.phones[0].devices.length === 0, 'device still linked');
	});
	await check('baileys: login with the removed device fails with 401', async () => {
		/* Baileys clears nothing by itself: reuse the now stale creds. */
		const c3 = await openBaileys(sim, auth);
		socks.push(c3.sock);
		const u = await c3.next(isClose);
		assert(statusOf(u) === 401, `status ${statusOf(u)}`);
	});
	await check('baileys: simulator recorded no protocol errors', async () => {
		const s = await getState(sim);
		const errs = s.errors.filter(e => !/rejected \(401\)/.test(e.error));
		assert(errs.length === 0, JSON.stringify(errs));
	});
}

try {
	await main();
} catch (err) {
	await check('baileys: test harness', () => { throw err; });
} finally {
	for (const s of socks)
		try {
			s.end(undefined);
		} catch { /* already closed */ }
	if (sim)
		await sim.stop();
	tmp.remove();
}
done();
