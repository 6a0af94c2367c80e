#!/usr/bin/env node
/*
 * Wire-level tests with a minimal client of our own (rawclient.js): the
 * certificate chain passes all of whatsmeow's checks with our signature
 * code, refs rotate on the (scaled) schedule and a stale ref gets 409, the
 * server closes an unpaired socket after the refs run out, wrong
 * ClientPayloads get the matching <failure>, pair-success is correctly
 * HMAC'd and signed (Baileys checks neither, so this is the real check),
 * corrupted pair-success is caught, and hostile bytes close the connection
 * without hurting the server.  Run: node tests/wasim/test-raw.js
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { check, assert, done } from './runner.js';
import { getState, post, sleep, startSim, waitFor } from './harness.js';
import { CodeCompanion, RawClient, pairSuccessReply } from './rawclient.js';
import { hex, str as V } from './vectors.js';
import { child, children, proto, x25519KeyPair } from './wire.js';

const SCALE = 20;
const noise = { priv: hex('keys.client_noise_static.priv'),
    pub: hex('keys.client_noise_static.pub') };
const ident = { priv: hex('keys.client_identity.priv'),
    pub: hex('keys.client_identity.pub') };
const regBase = () => proto.ClientPayload.decode(hex('client_payload.registration'));
const enc = m => Buffer.from(proto.ClientPayload.encode(m).finish());
let sim;
const clients = [];

async function client(opts) {
	const c = new RawClient(sim.url, { noise, ...opts });
	clients.push(c);
	await c.open();
	return c;
}

async function failureFor(payload, opts) {
	const c = await client(opts);
	await c.handshake(payload, Buffer.from(sim.rootKey, 'hex'));
	const n = await c.node();
	assert(n.tag === 'failure', `got <${n.tag}>`);
	const end = await c.node();
	assert(end.tag === 'xmlstreamend', `then <${end.tag}>`);
	return n.attrs.reason;
}

function qrFor(ref, adv) {
	return `https://wa.me/settings/linked_devices#${ref},${noise.pub.toString('base64')},${ident.pub.toString('base64')},${adv.toString('base64')},9`;
}

/* Registers and returns {c, refs, iq}. */
async function register(opts = {}) {
	const c = await client(opts);
	const why = await c.handshake(enc(regBase()), Buffer.from(sim.rootKey,
	    'hex'), opts);
	const iq = await c.node();
	const pd = child(iq, 'pair-device');
	assert(iq.tag === 'iq' && iq.attrs.xmlns === 'md' && pd,
	    `got ${iq.tag}`);
	const refs = children(pd).map(r => Buffer.from(r.content).toString());
	return { c, why, iq, refs };
}

function answerPairSuccess(node, adv, accountKey) {
	return pairSuccessReply(node, adv, ident, accountKey);
}

async function main() {
	sim = await startSim(['--time-scale', String(SCALE), '--min-version',
	    '2.3000.1040000000']);
	const root = Buffer.from(sim.rootKey, 'hex');

	let reg;
	await check('raw: certificate chain passes whatsmeow\'s checks', async () => {
		reg = await register();
		assert(reg.why === null, reg.why);
	});
	await check('raw: pair-device carries 6 refs from the server JID', () => {
		assert(reg.refs.length === 6 && reg.refs.every(r => r.startsWith('2@')),
		    JSON.stringify(reg.refs));
		assert(reg.iq.attrs.from === '@s.whatsapp.net' &&
		    reg.iq.attrs.type === 'set', JSON.stringify(reg.iq.attrs));
		reg.c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net',
		    type: 'result', id: reg.iq.attrs.id } });
	});
	const t0 = Date.now();
	await check('raw: refs rotate on the scaled schedule; stale ref gets 409', async () => {
		let s = await getState(sim);
		assert(s.pendingRefs[0].index === 1 &&
		    s.pendingRefs[0].ref === reg.refs[0], JSON.stringify(s.pendingRefs));
		await waitFor('ref 2', async () => {
			s = await getState(sim);
			return s.pendingRefs.length && s.pendingRefs[0].index === 2;
		}, 6000);
		const el = Date.now() - t0;
		assert(el > 60000 / SCALE - 500, `rotated after ${el} ms`);
		const conn = s.connections.find(x => x.id === s.pendingRefs[0].conn);
		assert(conn.pairDeviceAcked, 'ack not recorded');
		let r = await post(sim, '/scan', { qr: qrFor(reg.refs[2],
		    randomBytes(32)) });
		assert(r.status === 409, `ref 3 before its time: ${JSON.stringify(r)}`);
		await sleep(300);	/* past the 250 ms grace */
		r = await post(sim, '/scan', { qr: qrFor(reg.refs[0],
		    randomBytes(32)) });
		assert(r.status === 409 && /stale/.test(r.body.error), JSON.stringify(r));
	});
	await check('raw: /scan decodes a QR image (stale ref -> 409)', async () => {
		const png = execFileSync('qrencode', ['-t', 'PNG', '-o', '-',
		    qrFor(reg.refs[0], randomBytes(32))]);
		let r = await post(sim, '/scan', { image: png.toString('base64') });
		assert(r.status === 409 && /stale/.test(r.body.error), JSON.stringify(r));
		r = await post(sim, '/scan', { image: Buffer.from('not an image')
		    .toString('base64') });
		assert(r.status === 400, JSON.stringify(r));
	});
	await check('raw: QR with a foreign noise key is refused', async () => {
		const s = await getState(sim);
		const ref = s.pendingRefs[0].ref;
		const qr = qrFor(ref, randomBytes(32)).replace(
		    noise.pub.toString('base64'), randomBytes(32).toString('base64'));
		const r = await post(sim, '/scan', { qr });
		assert(r.status === 400, JSON.stringify(r));
	});
	await check('raw: server ends the unpaired stream after the refs run out', async () => {
		const n = await reg.c.node(12000);
		assert(n.tag === 'xmlstreamend', n.tag);
		const el = Date.now() - t0;
		assert(el >= 160000 / SCALE, `closed after ${el} ms`);
		assert((await reg.c.next(2000)).closed, 'socket still open');
	});

	await check('raw: ClientPayload without userAgent -> failure 409', async () => {
		const m = regBase();
		m.userAgent = null;
		assert(await failureFor(enc(m)) === '409');
	});
	await check('raw: outdated version -> failure 405', async () => {
		const m = regBase();
		m.userAgent.appVersion.tertiary = 1000;
		assert(await failureFor(enc(m)) === '405');
	});
	await check('raw: registration without pull -> failure 400', async () => {
		const m = regBase();
		m.pull = null;
		assert(await failureFor(enc(m)) === '400');
	});
	await check('raw: registration with a bad eSkeySig -> failure 400', async () => {
		const m = regBase();
		m.devicePairingData.eSkeySig[3] ^= 4;
		assert(await failureFor(enc(m)) === '400');
	});
	await check('raw: registration with a wrong buildHash -> failure 400', async () => {
		const m = regBase();
		m.devicePairingData.buildHash = Buffer.alloc(16);
		assert(await failureFor(enc(m)) === '400');
	});
	await check('raw: login for an unknown device -> failure 401', async () => {
		const m = proto.ClientPayload.decode(hex('client_payload.login'));
		assert(await failureFor(enc(m)) === '401');
	});

	await check('raw: corrupt pair-success HMAC is caught by the client (422)', async () => {
		const r2 = await register({ splitBytes: true });
		r2.c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net',
		    type: 'result', id: r2.iq.attrs.id } });
		const adv = randomBytes(32);
		const p = post(sim, '/scan', { qr: qrFor(r2.refs[0], adv),
		    corrupt: 'hmac' });
		const n = await r2.c.node();
		const a = answerPairSuccess(n, adv);
		assert(a.err === 'hmac-mismatch', JSON.stringify(a.err));
		r2.c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net',
		    type: 'error', id: n.attrs.id }, content: [{ tag: 'error',
		    attrs: { code: '401', text: 'hmac-mismatch' } }] });
		const r = await p;
		assert(r.status === 422 && /hmac-mismatch/.test(r.body.error),
		    JSON.stringify(r));
		r2.c.close();
	});
	await check('raw: corrupt account signature is caught by our verify', async () => {
		const r2 = await register();
		const adv = randomBytes(32);
		const p = post(sim, '/scan', { qr: qrFor(r2.refs[0], adv),
		    corrupt: 'account-signature' });
		const a = answerPairSuccess(await r2.c.node(), adv);
		assert(a.err === 'signature-mismatch', JSON.stringify(a.err));
		r2.c.close();
		const r = await p;
		assert(r.status === 422, JSON.stringify(r));
	});

	let jid;
	await check('raw: pair-success is HMAC\'d and signed by the phone; 515 follows', async () => {
		const r2 = await register({ intro: Buffer.from(
		    '45440001000003abcdef57410603', 'hex') });
		const adv = randomBytes(32);
		const p = post(sim, '/scan', { qr: qrFor(r2.refs[0], adv),
		    phone: '15550177' });
		const n = await r2.c.node();
		assert(n.attrs.from === '@s.whatsapp.net' && n.attrs.t, JSON.stringify(n.attrs));
		const s = await getState(sim);
		const phoneKey = Buffer.from(s.phones.find(x => x.phone === '15550177')
		    .identityKey, 'base64');
		const a = answerPairSuccess(n, adv, phoneKey);
		assert(!a.err, a.err);
		r2.c.sendNode(a.reply);
		const r = await p;
		assert(r.status === 200 && r.body.jid === '15550177:1@s.whatsapp.net',
		    JSON.stringify(r));
		const e = await r2.c.node();
		assert(e.tag === 'stream:error' && e.attrs.code === '515',
		    JSON.stringify(e));
		jid = a.jid;
		const s2 = await getState(sim);
		assert(s2.connections.some(x => x.routingInfo === 'q83v'),
		    'edge routing info not recorded');
	});

	let lc;
	await check('raw: login -> success; whatsmeow-style ping and active IQ answered', async () => {
		const m = proto.ClientPayload.decode(hex('client_payload.login'));
		m.username = 15550177;
		m.device = 1;
		lc = await client();
		await lc.handshake(enc(m), root);
		const ok = await lc.node();
		assert(ok.tag === 'success' && /^\d+:1@lid$/.test(ok.attrs.lid),
		    JSON.stringify(ok));
		lc.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get',
		    xmlns: 'w:p', id: 'p1' } });
		const pong = await lc.node();
		assert(pong.attrs.type === 'result' && pong.attrs.id === 'p1');
		/* whatsmeow handleConnectSuccess: the count before active. */
		lc.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get',
		    xmlns: 'encrypt', id: 'c1' }, content: [{ tag: 'count', attrs: {} }] });
		const cnt = await lc.node();
		assert(cnt.attrs.id === 'c1' && child(cnt, 'count'), JSON.stringify(cnt));
		lc.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'set',
		    xmlns: 'passive', id: 'a1' }, content: [{ tag: 'active', attrs: {} }] });
		const r = await lc.node();
		assert(r.attrs.id === 'a1' && r.attrs.type === 'result');
		const ib = await lc.node();
		assert(ib.tag === 'ib' && child(ib, 'offline'), JSON.stringify(ib));
	});
	await check('raw: /notify stanza; a wrong ack is flagged', async () => {
		const r = await post(sim, '/notify', { jid, type: 'devices' });
		const n = await lc.node();
		assert(n.tag === 'notification' && n.attrs.type === 'devices' &&
		    n.attrs.id === r.body.ids[0], JSON.stringify(n));
		lc.sendNode({ tag: 'ack', attrs: { id: n.attrs.id,
		    to: '@s.whatsapp.net', class: 'message' } });
		await waitFor('ack error', async () => {
			const s = await getState(sim);
			return s.errors.some(e => e.error.includes(`ack ${n.attrs.id}: class message, want notification`));
		});
	});
	await check('raw: unknown IQ gets an error IQ, not silence', async () => {
		lc.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get',
		    xmlns: 'w:nothing', id: 'u1' } });
		const r = await lc.node();
		assert(r.attrs.type === 'error' && child(r, 'error').attrs.code === '501');
	});
	await check('raw: /garbage kind=node gives an undecodable but authentic frame', async () => {
		await post(sim, '/garbage', { jid, kind: 'node' });
		const it = await lc.next();
		assert(it.error && /^decode/.test(it.error), JSON.stringify(it));
	});
	await check('raw: /garbage kind=tag gives a frame that fails authentication', async () => {
		await post(sim, '/garbage', { jid });
		const it = await lc.next();
		assert(it.error && /^decrypt/.test(it.error), JSON.stringify(it));
		lc.close();
	});
	await check('raw: a second login of the device replaces the first', async () => {
		const m = proto.ClientPayload.decode(hex('client_payload.login'));
		m.username = 15550177;
		m.device = 1;
		const a = await client();
		await a.handshake(enc(m), root);
		assert((await a.node()).tag === 'success');
		const b2 = await client();
		await b2.handshake(enc(m), root);
		assert((await b2.node()).tag === 'success');
		const e = await a.node();
		assert(e.tag === 'stream:error' && !e.attrs.code &&
		    child(e, 'conflict').attrs.type === 'replaced', JSON.stringify(e));
		b2.close();
	});
	await check('raw: removing another device is refused; own removal -> 401 device_removed', async () => {
		const m = proto.ClientPayload.decode(hex('client_payload.login'));
		m.username = 15550177;
		m.device = 1;
		const c = await client();
		await c.handshake(enc(m), root);
		assert((await c.node()).tag === 'success');
		c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'set',
		    xmlns: 'md', id: 'r1' }, content: [{ tag: 'remove-companion-device',
		    attrs: { jid: '15550177:9@s.whatsapp.net', reason: 'user_initiated' } }] });
		assert((await c.node()).attrs.type === 'error');
		c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'set',
		    xmlns: 'md', id: 'r2' }, content: [{ tag: 'remove-companion-device',
		    attrs: { jid, reason: 'user_initiated' } }] });
		assert((await c.node()).attrs.type === 'result');
		const e = await c.node();
		assert(e.tag === 'stream:error' && e.attrs.code === '401' &&
		    child(e, 'conflict').attrs.type === 'device_removed',
		    JSON.stringify(e));
	});

	await check('raw: companion_hello checks (display, nonce, keys); whatsmeow form accepted', async () => {
		const r2 = await register();
		const hello = (display, nonce, auth = noise.pub) => ({ tag: 'iq',
		    attrs: { to: '@s.whatsapp.net', type: 'set', xmlns: 'md',
		    id: `h${Math.random()}` }, content: [{
		    tag: 'link_code_companion_reg', attrs: {
		    jid: '15550188@s.whatsapp.net', stage: 'companion_hello',
		    should_show_push_notification: 'true' }, content: [
			{ tag: 'link_code_pairing_wrapped_companion_ephemeral_pub',
			    attrs: {}, content: randomBytes(80) },
			{ tag: 'companion_server_auth_key_pub', attrs: {},
			    content: auth },
			{ tag: 'companion_platform_id', attrs: {}, content: '9' },
			{ tag: 'companion_platform_display', attrs: {},
			    content: display },
			{ tag: 'link_code_pairing_nonce', attrs: {}, content: nonce }
		    ] }] });
		const ask = async (...a) => {
			r2.c.sendNode(hello(...a));
			return r2.c.node();
		};
		let n = await ask('wadesk', Buffer.from([0]));
		assert(n.attrs.type === 'error' &&
		    child(n, 'error').attrs.code === '400', 'bad display accepted');
		n = await ask('Chrome (Linux)', Buffer.from([0]), randomBytes(32));
		assert(n.attrs.type === 'error', 'foreign auth key accepted');
		n = await ask('Chrome (Linux)', Buffer.from([7]));
		assert(n.attrs.type === 'error', 'bad nonce accepted');
		n = await ask('Chrome (Linux)', Buffer.from([0]));
		const ref = child(child(n, 'link_code_companion_reg'),
		    'link_code_pairing_ref');
		assert(n.attrs.type === 'result' && ref && ref.content.length > 0,
		    JSON.stringify(n));
		const s = await getState(sim);
		assert(s.connections.some(x => x.linkCode &&
		    x.linkCode.phone === '15550188' &&
		    x.linkCode.state === 'waiting-for-code'));
		r2.c.close();
	});
	await check('raw: the test\'s code companion reproduces the pairing-code vectors', () => {
		const cc = new CodeCompanion({ code: V('pairing_code.code'),
		    ce: x25519KeyPair(createHash('sha256')
		    .update('companion-link-ephemeral').digest()),
		    salt: hex('pairing_code.companion_salt'),
		    iv: hex('pairing_code.companion_iv') });
		assert(cc.wrap().equals(hex('pairing_code.wrapped_companion_ephemeral_pub')),
		    'wrapped companion key');
		const d = cc.derive(hex('pairing_code.primary_wrapped_ephemeral_pub'),
		    hex('pairing_code.primary_identity_pub'), ident,
		    hex('pairing_code.adv_random'), hex('pairing_code.key_bundle_salt'),
		    hex('pairing_code.key_bundle_nonce'));
		assert(d.eph.equals(hex('pairing_code.ephemeral_shared')), 'eph');
		assert(d.kbKey.equals(hex('pairing_code.key_bundle_key')), 'kb key');
		assert(d.bundle.equals(hex('pairing_code.wrapped_key_bundle')), 'bundle');
		assert(d.idShared.equals(hex('pairing_code.identity_shared')), 'id');
		assert(d.adv.equals(hex('pairing_code.adv_secret')), 'adv');
	});
	await check('raw: whatsmeow-style pairing code end to end (notification ack, finish, pair-success, 515)', async () => {
		const r2 = await register();
		const jidU = '15550199@s.whatsapp.net';
		const cc = new CodeCompanion({ code: 'WXYZ2345' });
		r2.c.sendNode(cc.hello(jidU, noise.pub));
		const res = await r2.c.node();
		assert(res.attrs.type === 'result', JSON.stringify(res));
		const p = post(sim, '/enter-code', { phone: '+1 555-0199',
		    code: 'wxyz-2345' });
		const note = await r2.c.node();
		assert(note.tag === 'notification' &&
		    note.attrs.type === 'link_code_companion_reg' &&
		    child(note, 'link_code_companion_reg').attrs.stage === 'primary_hello',
		    JSON.stringify(note.attrs));
		r2.c.sendNode({ tag: 'ack', attrs: { id: note.attrs.id,
		    to: note.attrs.from, class: 'notification',
		    type: note.attrs.type } });
		const { adv, finish } = cc.finish(note, jidU, ident);
		r2.c.sendNode(finish);
		const fr = await r2.c.node();
		assert(fr.attrs.type === 'result' && fr.attrs.id === finish.attrs.id,
		    JSON.stringify(fr));
		const a = answerPairSuccess(await r2.c.node(), adv);
		assert(!a.err, a.err);
		r2.c.sendNode(a.reply);
		const r = await p;
		assert(r.status === 200 && r.body.jid === '15550199:1@s.whatsapp.net',
		    JSON.stringify(r));
		const e = await r2.c.node();
		assert(e.tag === 'stream:error' && e.attrs.code === '515');
		const s = await getState(sim);
		const conn = s.connections.find(x => x.linkCode &&
		    x.linkCode.phone === '15550199');
		assert(conn.linkCode.notificationAcked && conn.linkCode.state === 'finished',
		    JSON.stringify(conn.linkCode));
		assert(!s.errors.some(x => x.conn === conn.id), 'errors on that conn');
	});
	await check('raw: hostile bytes close the connection; the server lives on', async () => {
		const bad = [
			Buffer.from('57410503000000', 'hex'),
			Buffer.concat([Buffer.from('57410603', 'hex'),
			    Buffer.from('000004ffffffff', 'hex')]),
			Buffer.from('5741060300002412220a20' + '00'.repeat(32), 'hex')
		];
		for (const b of bad) {
			const c = await client();
			c.sendBytes(b);
			const it = await c.next(3000);
			assert(it.closed, `bytes ${b.toString('hex')}: ${JSON.stringify(it)}`);
		}
		/* After a good handshake: an unauthentic frame, then a bad node. */
		for (const kind of ['tag', 'node']) {
			const r2 = await register();
			if (kind === 'tag')
				r2.c.sendBytes(Buffer.concat([Buffer.from('000014', 'hex'),
				    randomBytes(20)]));
			else
				r2.c.sendPlain(Buffer.from('00f8030000', 'hex'));
			const it = await r2.c.next(3000);
			assert(it.closed, `${kind}: ${JSON.stringify(it)}`);
		}
		/* Faults on a connection still in the handshake just close it. */
		const h = await client();
		h.sendBytes(Buffer.from('57410603', 'hex'));
		await sleep(100);
		for (const f of ['conflict', 'garbage', 'silence', 'drop'])
			assert((await post(sim, `/${f}`, {})).status === 200, f);
		assert((await h.next(3000)).closed, 'handshake conn not closed');
		const s = await getState(sim);
		assert(!s.errors.some(e => /internal error/.test(e.error)),
		    JSON.stringify(s.errors));
		assert(s.errors.some(e => /bad intro header/.test(e.error)));
		assert(s.errors.some(e => /gcm: authentication failed/.test(e.error)));
		assert(s.errors.some(e => /node: /.test(e.error)));
		const again = await register();
		assert(again.refs.length === 6);
	});
	await check('raw: missing Origin header is recorded as an error', async () => {
		const c = await client({ origin: '' });
		await sleep(100);
		c.close();
		const s = await getState(sim);
		assert(s.errors.some(e => /Origin null/.test(e.error)));
	});
}

try {
	await main();
} catch (err) {
	await check('raw: test harness', () => { throw err; });
} finally {
	for (const c of clients)
		c.close();
	if (sim)
		await sim.stop();
}
done();
