#!/usr/bin/env node
/*
 * The end-to-end side of the simulator at the stanza level, with a minimal
 * whatsmeow-shaped companion (rawclient.js for the wire, a Baileys Signal
 * repository for its own keys): pre-key upload kept key by key and the
 * count query; usync device lists and LIDs; key fetches (shapes, one
 * one-time pre-key per fetch, 404 for unknown devices, the companion's own
 * keys served to a contact); a <message> with <participants> and
 * <device-identity> decrypted at every device; server acks (t, phash,
 * 479); the contacts' delivery receipts; a simulated device's retry
 * receipt for an undecryptable <enc> and the resend; /send with pkmsg
 * then msg; a companion retry receipt with <keys>; messages queued while
 * offline; /prekeys-low.
 * Run: node tests/wasim/test-e2e.js
 */
import { randomBytes } from 'node:crypto';
import { check, assert, done } from './runner.js';
import { getState, post, startSim, waitFor } from './harness.js';
import { RawClient, pairSuccessReply } from './rawclient.js';
import { hex } from './vectors.js';
import { SigDevice, corrupt, pad, participantHash, unpad } from './e2e.js';
import { child, children, proto } from './wire.js';
import { curveVerify } from './xeddsa.js';
import { Curve } from 'baileys/lib/Utils/crypto.js';

const NUM = '15550177';
const ALICE = '15550123';
const S = '@s.whatsapp.net';
const noise = { priv: hex('keys.client_noise_static.priv'),
    pub: hex('keys.client_noise_static.pub') };
const ident = { priv: hex('keys.client_identity.priv'),
    pub: hex('keys.client_identity.pub') };
const enc = m => Buffer.from(proto.ClientPayload.encode(m).finish());
let sim;
let root;
const clients = [];

async function get(p) {
	return (await fetch(sim.control + p)).json();
}

function be(n, len) {
	const b = Buffer.alloc(len);
	b.writeUIntBE(n, 0, len);
	return b;
}

/* A connection that sorts incoming nodes: want(pred) returns the first
 * node (already seen or coming) that matches and removes it. */
class Peer {
	constructor(c) {
		this.c = c;
		this.seen = [];
	}

	async want(what, pred, ms = 8000) {
		const end = Date.now() + ms;
		for (;;) {
			const i = this.seen.findIndex(pred);
			if (i >= 0)
				return this.seen.splice(i, 1)[0];
			const left = end - Date.now();
			if (left <= 0)
				throw new Error(`no ${what}; saw ${this.seen.map(n =>
				    `<${n.tag} ${JSON.stringify(n.attrs)}>`).join(' ')}`);
			const it = await this.c.next(left);
			if (it.node)
				this.seen.push(it.node);
			else if (!it.timeout)
				throw new Error(`connection: ${JSON.stringify(it)}`);
		}
	}

	send(n) {
		this.c.sendNode(n);
	}

	async iq(id, xmlns, type, content) {
		this.send({ tag: 'iq', attrs: { to: S.slice(1), type, xmlns, id },
		    content });
		return this.want(`iq ${id}`, n => n.tag === 'iq' && n.attrs.id === id);
	}

	/* Acks a stanza the server pushed, whatsmeow style. */
	ack(n) {
		const attrs = { id: n.attrs.id, to: n.attrs.from, class: n.tag };
		if (n.attrs.participant)
			attrs.participant = n.attrs.participant;
		if (n.attrs.type && n.tag !== 'message')
			attrs.type = n.attrs.type;
		this.send({ tag: 'ack', attrs });
	}
}

async function register() {
	const c = new RawClient(sim.url, { noise });
	clients.push(c);
	await c.open();
	const m = proto.ClientPayload.decode(hex('client_payload.registration'));
	await c.handshake(enc(m), root);
	const iq = await c.node();
	const refs = children(child(iq, 'pair-device')).map(r =>
	    Buffer.from(r.content).toString());
	c.sendNode({ tag: 'iq', attrs: { to: S.slice(1), type: 'result',
	    id: iq.attrs.id } });
	const adv = randomBytes(32);
	const qr = `https://wa.me/settings/linked_devices#${refs[0]},${noise.pub.toString('base64')},${ident.pub.toString('base64')},${adv.toString('base64')},9`;
	const p = post(sim, '/scan', { qr, phone: NUM });
	const ps = await c.node();
	const a = pairSuccessReply(ps, adv, ident);
	c.sendNode(a.reply);
	const r = await p;
	assert(r.status === 200, JSON.stringify(r));
	c.close();
	/* The <device-identity> a companion sends with pkmsg. */
	return { jid: a.jid, lid: a.lid, devIdentity: Buffer.from(
	    a.reply.content[0].content[0].content) };
}

async function login() {
	const c = new RawClient(sim.url, { noise });
	clients.push(c);
	await c.open();
	const m = proto.ClientPayload.decode(hex('client_payload.login'));
	m.username = Number(NUM);
	m.device = 1;
	await c.handshake(enc(m), root);
	const peer = new Peer(c);
	await peer.want('success', n => n.tag === 'success');
	return peer;
}

function uploadNode(me, ids, identity = ident.pub) {
	const sp = me.creds.signedPreKey;
	return [
		{ tag: 'registration', attrs: {}, content: be(me.registrationId, 4) },
		{ tag: 'type', attrs: {}, content: Buffer.from([5]) },
		{ tag: 'identity', attrs: {}, content: identity },
		{ tag: 'list', attrs: {}, content: ids.map(id => ({ tag: 'key',
		    attrs: {}, content: [
		    { tag: 'id', attrs: {}, content: be(id, 3) },
		    { tag: 'value', attrs: {}, content: me.pre[id].public }] })) },
		{ tag: 'skey', attrs: {}, content: [
		    { tag: 'id', attrs: {}, content: be(sp.keyId, 3) },
		    { tag: 'value', attrs: {}, content: sp.keyPair.public },
		    { tag: 'signature', attrs: {}, content: sp.signature }] }
	];
}

function bundleOf(u) {
	const key = (n, signed) => n && {
		id: Buffer.from(child(n, 'id').content).readUIntBE(0, 3),
		pub: Buffer.from(child(n, 'value').content),
		sig: signed ? Buffer.from(child(n, 'signature').content) : undefined
	};
	return {
		registrationId: Buffer.from(child(u, 'registration').content).readUInt32BE(0),
		identity: Buffer.from(child(u, 'identity').content),
		skey: key(child(u, 'skey'), true),
		key: key(child(u, 'key'), false)
	};
}

async function main() {
	sim = await startSim();
	root = Buffer.from(sim.rootKey, 'hex');
	const reg = await register();
	const me = new SigDevice({ pn: reg.jid, lid: reg.lid, identity: ident });
	/* The registration id the vector payload paired with. */
	me.creds.registrationId = (await getState(sim)).phones[0].devices[0]
	    .registrationId;
	me.pre = {};
	for (let id = 1; id <= 6; id++) {
		me.pre[id] = Curve.generateKeyPair();
		await me.keys.set({ 'pre-key': { [id]: me.pre[id] } });
	}
	const peer = await login();
	await check('e2e: count 0, then an upload of 5 keys is stored and counted', async () => {
		const c0 = await peer.iq('c0', 'encrypt', 'get', [{ tag: 'count', attrs: {} }]);
		assert(child(c0, 'count').attrs.value === '0', JSON.stringify(c0));
		const up = await peer.iq('u1', 'encrypt', 'set', uploadNode(me, [1, 2, 3, 4, 5]));
		assert(up.attrs.type === 'result', JSON.stringify(up));
		const c1 = await peer.iq('c1', 'encrypt', 'get', [{ tag: 'count', attrs: {} }]);
		assert(child(c1, 'count').attrs.value === '5', JSON.stringify(c1));
	});
	await check('e2e: an upload with another identity key is refused (400)', async () => {
		const up = await peer.iq('u2', 'encrypt', 'set', uploadNode(me, [6],
		    randomBytes(32)));
		assert(up.attrs.type === 'error' && child(up, 'error').attrs.code === '400',
		    JSON.stringify(up));
		const s = await getState(sim);
		assert(s.phones[0].devices[0].prekeys === 5, 'count changed');
	});
	const act = await peer.iq('a1', 'passive', 'set', [{ tag: 'active', attrs: {} }]);
	assert(act.attrs.type === 'result');
	await peer.want('ib', n => n.tag === 'ib');

	let alice;
	await check('e2e: POST /contact; usync gives device lists with key-index and the LIDs', async () => {
		const r = await post(sim, '/contact', { phone: ALICE, devices: [0, 2],
		    name: 'Alice' });
		assert(r.status === 200, JSON.stringify(r));
		alice = r.body;
		const u = await peer.iq('s1', 'usync', 'get', [{ tag: 'usync', attrs: {
		    sid: 'x1', mode: 'query', last: 'true', index: '0',
		    context: 'message' }, content: [
		    { tag: 'query', attrs: {}, content: [
		        { tag: 'devices', attrs: { version: '2' } },
		        { tag: 'lid', attrs: {} }] },
		    { tag: 'list', attrs: {}, content: [
		        { tag: 'user', attrs: { jid: `${ALICE}${S}` } },
		        { tag: 'user', attrs: { jid: `${NUM}${S}` } },
		        { tag: 'user', attrs: { jid: `15559999${S}` } }] }] }]);
		const users = children(child(child(u, 'usync'), 'list'));
		const devs = x => children(child(child(x, 'devices'), 'device-list'))
		    .map(d => `${d.attrs.id}/${d.attrs['key-index'] || '-'}`).join(',');
		assert(users.length === 3, JSON.stringify(users));
		assert(users[0].attrs.jid === `${ALICE}${S}` && devs(users[0]) === '0/-,2/2' &&
		    child(users[0], 'lid').attrs.val === alice.lid, JSON.stringify(users[0]));
		assert(devs(users[1]) === '0/-,1/1', devs(users[1]));
		assert(devs(users[2]) === '' && !child(users[2], 'lid'), JSON.stringify(users[2]));
	});
	await check('e2e: usync contact protocol says who is on WhatsApp', async () => {
		const u = await peer.iq('s2', 'usync', 'get', [{ tag: 'usync', attrs: {
		    sid: 'x2', mode: 'query', last: 'true', index: '0',
		    context: 'interactive' }, content: [
		    { tag: 'query', attrs: {}, content: [{ tag: 'contact', attrs: {} }] },
		    { tag: 'list', attrs: {}, content: [
		        { tag: 'user', attrs: {}, content: [{ tag: 'contact', attrs: {},
		            content: Buffer.from(`+${ALICE}`) }] },
		        { tag: 'user', attrs: {}, content: [{ tag: 'contact', attrs: {},
		            content: Buffer.from('+15559999') }] }] }] }]);
		const users = children(child(child(u, 'usync'), 'list'));
		assert(child(users[0], 'contact').attrs.type === 'in' &&
		    users[0].attrs.jid === `${ALICE}${S}` &&
		    child(users[1], 'contact').attrs.type === 'out', JSON.stringify(users));
	});

	const aliceLid = alice && alice.lid.replace('@lid', '');
	const to0 = `${ALICE}${S}`, to2 = `${ALICE}:2${S}`;
	const own0 = `${NUM}${S}`;
	await check('e2e: key fetch: bundles for PN, device and LID JIDs, 404 for an unknown device', async () => {
		const r = await peer.iq('k1', 'encrypt', 'get', [{ tag: 'key', attrs: {},
		    content: [to0, to2, `${aliceLid}:2@lid`, `${ALICE}:7${S}`, own0]
		    .map(jid => ({ tag: 'user', attrs: { jid, reason: 'identity' } })) }]);
		const users = children(child(r, 'list'));
		assert(users.length === 5, JSON.stringify(users));
		const ids = [];
		for (const u of [users[0], users[1], users[2], users[4]]) {
			const b = bundleOf(u);
			assert(b.skey && b.key && b.identity.length === 32, JSON.stringify(u));
			assert(curveVerify(b.identity, Buffer.concat([Buffer.from([5]),
			    b.skey.pub]), b.skey.sig), 'signed pre-key signature');
			assert(Buffer.from(child(u, 'type').content)[0] === 5, 'type');
			ids.push(b.key.id);
		}
		assert(ids[1] !== ids[2], `one pre-key per fetch: ${ids}`);
		assert(child(users[3], 'error').attrs.code === '404', JSON.stringify(users[3]));
		/* The own phone's identity is the account key. */
		const s = await getState(sim);
		assert(bundleOf(users[4]).identity.equals(Buffer.from(
		    s.phones[0].identityKey, 'base64')), 'own phone identity');
		await me.injectBundle(to0, bundleOf(users[0]));
		await me.injectBundle(to2, bundleOf(users[1]));
		await me.injectBundle(own0, bundleOf(users[4]));
	});

	const message = async (id, text, jids, extra = {}) => {
		const plain = Buffer.from(proto.Message.encode({ conversation: text })
		    .finish());
		const dsm = Buffer.from(proto.Message.encode({ deviceSentMessage: {
		    destinationJid: to0, message: { conversation: text } } }).finish());
		const parts = [];
		let pk = false;
		for (const j of jids) {
			const e = await me.repo.encryptMessage({ jid: j,
			    data: pad(j === own0 ? dsm : plain) });
			pk = pk || e.type === 'pkmsg';
			parts.push({ tag: 'to', attrs: { jid: j }, content: [{ tag: 'enc',
			    attrs: { v: '2', type: e.type }, content: e.ciphertext }] });
		}
		const content = [{ tag: 'participants', attrs: {}, content: parts }];
		if (pk && !extra.noIdentity)
			content.push({ tag: 'device-identity', attrs: {}, content: reg.devIdentity });
		const attrs = { id, to: extra.to || to0, type: 'text' };
		if (extra.phash)
			attrs.phash = extra.phash;
		peer.send({ tag: 'message', attrs, content });
		return peer.want(`ack ${id}`, n => n.tag === 'ack' && n.attrs.id === id);
	};
	const rightPhash = participantHash([to0, to2, own0]);
	await check('e2e: a DM to the contact and the own phone: ack with t, every enc decrypted', async () => {
		const a = await message('M1', 'hello alice', [to0, to2, own0],
		    { phash: rightPhash });
		assert(a.attrs.class === 'message' && a.attrs.from === to0 &&
		    /^\d+$/.test(a.attrs.t) && !a.attrs.error && !a.attrs.phash,
		    JSON.stringify(a.attrs));
		const r = (await get('/received?id=M1')).received[0];
		assert(r.ok && r.deliveries.length === 3 && r.deliveries.every(d =>
		    d.ok && d.text === 'hello alice' && d.type === 'pkmsg'),
		    JSON.stringify(r.deliveries));
		assert(r.deliveries.find(d => d.own).destination === to0, 'DSM');
	});
	await check('e2e: each contact device sends a delivery receipt; acks are checked', async () => {
		const r0 = await peer.want('receipt 0', n => n.tag === 'receipt' &&
		    n.attrs.id === 'M1' && n.attrs.from === to0);
		const r2 = await peer.want('receipt 2', n => n.tag === 'receipt' &&
		    n.attrs.id === 'M1' && n.attrs.from === to2);
		assert(!r0.attrs.type && /^\d+$/.test(r2.attrs.t), JSON.stringify(r2.attrs));
		peer.ack(r0);
		peer.ack(r2);
		await waitFor('acked', async () => (await getState(sim)).connections
		    .some(c => c.acked.filter(x => x === 'M1').length === 2));
	});
	await check('e2e: a stale phash is answered with the server\'s', async () => {
		const a = await message('M2', 'second', [to0, own0],
		    { phash: participantHash([to0, own0]) });
		assert(a.attrs.phash === rightPhash && !a.attrs.error, JSON.stringify(a.attrs));
		await peer.want('receipt', n => n.tag === 'receipt' && n.attrs.id === 'M2')
		    .then(n => peer.ack(n));
	});
	await check('e2e: a message to someone not on WhatsApp gets ack error 479', async () => {
		const a = await message('M3', 'nobody', [to0], { to: `15559999${S}` });
		assert(a.attrs.error === '479', JSON.stringify(a.attrs));
	});
	await check('e2e: an undecryptable enc gets a retry receipt from that device; the resend decrypts', async () => {
		const e = await me.repo.encryptMessage({ jid: to2, data: pad(
		    Buffer.from(proto.Message.encode({ conversation: 'lost' }).finish())) });
		const bad = corrupt(e.type, Buffer.from(e.ciphertext));
		peer.send({ tag: 'message', attrs: { id: 'M4', to: to0, type: 'text' },
		    content: [{ tag: 'participants', attrs: {}, content: [{ tag: 'to',
		    attrs: { jid: to2 }, content: [{ tag: 'enc', attrs: { v: '2',
		    type: e.type }, content: bad }] }] },
		    { tag: 'device-identity', attrs: {}, content: reg.devIdentity }] });
		await peer.want('ack', n => n.tag === 'ack' && n.attrs.id === 'M4');
		const rr = await peer.want('retry receipt', n => n.tag === 'receipt' &&
		    n.attrs.type === 'retry' && n.attrs.id === 'M4');
		assert(rr.attrs.from === to2 && child(rr, 'retry').attrs.count === '1' &&
		    child(rr, 'registration').content.length === 4, JSON.stringify(rr));
		peer.ack(rr);
		const e2 = await me.repo.encryptMessage({ jid: to2, data: pad(
		    Buffer.from(proto.Message.encode({ conversation: 'found' }).finish())) });
		peer.send({ tag: 'message', attrs: { id: 'M4', to: to2, type: 'text',
		    device_fanout: 'false' }, content: [{ tag: 'enc', attrs: { v: '2',
		    type: e2.type, count: '1' }, content: e2.ciphertext },
		    { tag: 'device-identity', attrs: {}, content: reg.devIdentity }] });
		await peer.want('ack', n => n.tag === 'ack' && n.attrs.id === 'M4' &&
		    !n.attrs.error);
		const recs = (await get('/received?id=M4')).received;
		assert(recs.length === 2 && !recs[0].deliveries[0].ok &&
		    recs[1].deliveries[0].ok && recs[1].deliveries[0].text === 'found' &&
		    recs[1].deliveries[0].count === 1, JSON.stringify(recs));
		const s = await getState(sim);
		assert(s.errors.some(x => /M4 to 15550123:2.*decrypt/.test(x.error)),
		    'decrypt failure not recorded');
		await peer.want('receipt', n => n.tag === 'receipt' && n.attrs.id === 'M4' &&
		    !n.attrs.type).then(n => peer.ack(n));
	});

	const recv = async (what) => {
		const m = await peer.want(what, n => n.tag === 'message');
		const e = child(m, 'enc');
		const pt = await me.repo.decryptMessage({ jid: m.attrs.from,
		    type: e.attrs.type, ciphertext: e.content });
		return { m, e, msg: proto.Message.decode(unpad(pt)) };
	};
	await check('e2e: /send from a contact device with a session: msg, no pre-key used', async () => {
		const before = (await getState(sim)).phones[0].devices[0].prekeys;
		const r = await post(sim, '/send', { from: ALICE, text: 'hi from alice' });
		assert(r.status === 200 && r.body.deliveries[0].type === 'msg', JSON.stringify(r));
		const { m, e, msg } = await recv('message');
		assert(m.attrs.from === to0 && m.attrs.id === r.body.id &&
		    m.attrs.type === 'text' && m.attrs.notify === 'Alice' &&
		    m.attrs.sender_lid === alice.lid && /^\d+$/.test(m.attrs.t) &&
		    e.attrs.v === '2' && msg.conversation === 'hi from alice',
		    JSON.stringify(m.attrs));
		peer.ack(m);
		await waitFor('acked', async () => (await getState(sim)).connections
		    .some(c => c.acked.includes(r.body.id)));
		assert((await getState(sim)).phones[0].devices[0].prekeys === before);
	});
	let bobId;
	await check('e2e: /send from a new contact: pkmsg on one of the companion\'s pre-keys', async () => {
		await post(sim, '/contact', { phone: '15550124', name: 'Bob' });
		const before = (await getState(sim)).phones[0].devices[0].prekeys;
		const r = await post(sim, '/send', { from: '15550124', text: 'bob here',
		    lid: true });
		assert(r.body.deliveries[0].type === 'pkmsg', JSON.stringify(r));
		bobId = r.body.id;
		const { m, msg } = await recv('message');
		assert(/@lid$/.test(m.attrs.from) && m.attrs.sender_pn === `15550124${S}` &&
		    msg.conversation === 'bob here', JSON.stringify(m.attrs));
		peer.ack(m);
		const after = (await getState(sim)).phones[0].devices[0].prekeys;
		assert(after === before - 1, `${before} -> ${after}`);
	});
	await check('e2e: a retry receipt with <keys> makes the sender re-encrypt on the new bundle', async () => {
		const sp = me.creds.signedPreKey;
		const r = { tag: 'receipt', attrs: { id: bobId, to: `15550124${S}`,
		    type: 'retry' }, content: [
		    { tag: 'retry', attrs: { count: '2', id: bobId, t: '1', v: '1' } },
		    { tag: 'registration', attrs: {}, content: be(me.registrationId, 4) },
		    { tag: 'keys', attrs: {}, content: [
		        { tag: 'type', attrs: {}, content: Buffer.from([5]) },
		        { tag: 'identity', attrs: {}, content: ident.pub },
		        { tag: 'key', attrs: {}, content: [
		            { tag: 'id', attrs: {}, content: be(6, 3) },
		            { tag: 'value', attrs: {}, content: me.pre[6].public }] },
		        { tag: 'skey', attrs: {}, content: [
		            { tag: 'id', attrs: {}, content: be(sp.keyId, 3) },
		            { tag: 'value', attrs: {}, content: sp.keyPair.public },
		            { tag: 'signature', attrs: {}, content: sp.signature }] }] }] };
		peer.send(r);
		const a = await peer.want('receipt ack', n => n.tag === 'ack' &&
		    n.attrs.class === 'receipt' && n.attrs.id === bobId);
		assert(a.attrs.type === 'retry', JSON.stringify(a.attrs));
		const { m, e, msg } = await recv('resend');
		assert(m.attrs.id === bobId && e.attrs.count === '2' &&
		    e.attrs.type === 'pkmsg' && msg.conversation === 'bob here',
		    JSON.stringify([m.attrs, e.attrs]));
		peer.ack(m);
		const rec = (await get(`/receipts?id=${bobId}`)).receipts;
		assert(rec.some(x => x.type === 'retry' && x.resent && x.keys &&
		    x.retry.count === 2), JSON.stringify(rec));
	});
	await check('e2e: a message sent while offline is delivered after the next login\'s active IQ', async () => {
		peer.c.close();
		await waitFor('closed', async () => !(await getState(sim)).connections
		    .some(c => c.phase === 'logged-in'));
		const r = await post(sim, '/send', { from: ALICE, text: 'while away' });
		assert(r.body.deliveries[0].queued, JSON.stringify(r));
		const p2 = await login();
		Object.assign(peer, p2);
		await peer.iq('c2', 'encrypt', 'get', [{ tag: 'count', attrs: {} }]);
		await peer.iq('a2', 'passive', 'set', [{ tag: 'active', attrs: {} }]);
		const { m, msg } = await recv('offline message');
		assert(m.attrs.offline === '1' && msg.conversation === 'while away',
		    JSON.stringify(m.attrs));
		peer.ack(m);
	});
	await check('e2e: /prekeys-low drops the stored keys to the count', async () => {
		const r = await post(sim, '/prekeys-low', { count: 1 });
		assert(r.status === 200);
		const n = await peer.want('notification', x => x.tag === 'notification');
		peer.ack(n);
		const c = await peer.iq('c3', 'encrypt', 'get', [{ tag: 'count', attrs: {} }]);
		assert(child(c, 'count').attrs.value === '1', JSON.stringify(c));
	});
	await check('e2e: no unacked stanzas left', async () => {
		let left = null;
		await waitFor(`all acked (${JSON.stringify(left)})`, async () => {
			left = (await getState(sim)).unacked;
			return left.length === 0;
		}, 3000).catch(err => {
			throw new Error(`${err.message}: ${JSON.stringify(left)}`);
		});
	});
}

try {
	await main();
} catch (err) {
	await check('e2e: test harness', () => { throw err; });
} finally {
	for (const c of clients)
		c.close();
	if (sim)
		await sim.stop();
}
done();
