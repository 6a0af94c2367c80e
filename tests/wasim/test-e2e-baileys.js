#!/usr/bin/env node
/*
 * The simulator's end-to-end side against an independent peer: Baileys'
 * own client (baileys 7.0.0-rc14) pairs with the simulator, uploads its
 * pre-keys and then
 *   - sends texts to a simulated contact (two devices): the simulator must
 *     answer Baileys' usync and key fetches, decrypt every <enc> with the
 *     contact's Signal devices (and the own phone's DeviceSentMessage) and
 *     record the exact text;
 *   - receives texts from the contact (pkmsg first, msg after) and from
 *     its own phone (device-sent): Baileys must decrypt them
 *     (messages.upsert) and the simulator must record its receipts/acks;
 *   - receives a corrupted message: Baileys sends a retry receipt and the
 *     simulator re-encrypts; Baileys then decrypts the resend;
 *   - is restricted (/restrict): its send gets <ack error=463>;
 *   - sends to a group: SKDM per device plus one skmsg, which every
 *     member device decrypts with the group cipher.
 * Run: node tests/wasim/test-e2e-baileys.js
 */
import { check, assert, done } from './runner.js';
import {
	baileys, getState, isClose, isOpen, openBaileys, pinRoot, post, startSim,
	statusOf, tempDir, waitFor
} from './harness.js';

const tmp = tempDir();
let sim = null;
const socks = [];
const ALICE = '15550123';
const BOB = '15550124';
const ME = '15550100';

async function get(p) {
	const r = await fetch(sim.control + p);
	return r.json();
}

async function main() {
	const b = await baileys();
	sim = await startSim();
	await pinRoot(sim.rootKey);
	const auth = await b.useMultiFileAuthState(tmp.dir);

	/* Pair and log in (as test-baileys.js). */
	const c1 = await openBaileys(sim, auth);
	socks.push(c1.sock);
	const qr = (await c1.next(u => u.qr)).qr;
	const paired = await post(sim, '/scan', { qr, phone: ME });
	await c1.next(isClose);
	const c2 = await openBaileys(sim, auth);
	socks.push(c2.sock);
	const sock = c2.sock;
	const upserts = [];
	sock.ev.on('messages.upsert', u => upserts.push(...u.messages));
	const updates = [];
	sock.ev.on('messages.update', u => updates.push(...u));
	await check('e2e-baileys: paired and logged in', async () => {
		assert(paired.status === 200, JSON.stringify(paired));
		await c2.next(isOpen);
	});
	let uploaded = 0;
	await check('e2e-baileys: the upload is stored key by key', async () => {
		const s = await waitFor('pre-keys', async () => {
			const st = await getState(sim);
			const d = st.phones[0].devices[0];
			return d && d.prekeys >= 30 ? st : null;
		}, 30000);
		uploaded = s.phones[0].devices[0].prekeys;
	});

	await check('e2e-baileys: POST /contact makes a contact with two devices', async () => {
		const r = await post(sim, '/contact', { phone: ALICE, name: 'Alice',
		    devices: [0, 1] });
		assert(r.status === 200 && r.body.devices.length === 2 &&
		    /@lid$/.test(r.body.lid), JSON.stringify(r));
	});
	await check('e2e-baileys: POST /contact refuses the account phone', async () => {
		const r = await post(sim, '/contact', { phone: ME });
		assert(r.status === 409, JSON.stringify(r));
	});

	/* Baileys -> contact. */
	const sendAndRecord = async text => {
		const m = await sock.sendMessage(`${ALICE}@s.whatsapp.net`, { text });
		return waitFor(`received ${m.key.id}`, async () => {
			const r = await get(`/received?id=${m.key.id}`);
			return r.received.length ? r.received[0] : null;
		}, 20000);
	};
	let first = null;
	await check('e2e-baileys: a text to the contact is decrypted at both of its devices and the own phone', async () => {
		first = await sendAndRecord('hello from baileys');
		assert(first.ok, JSON.stringify(first));
		const to = first.deliveries.map(d => `${d.to}:${d.type}:${d.text}`)
		    .sort();
		const alice = first.deliveries.filter(d => d.to.startsWith(ALICE));
		assert(alice.length === 2 && alice.every(d => d.ok &&
		    d.text === 'hello from baileys' && d.type === 'pkmsg'),
		    JSON.stringify(to));
		const own = first.deliveries.find(d => d.own);
		assert(own && own.ok && own.text === 'hello from baileys' &&
		    own.destination === `${ALICE}@s.whatsapp.net`,
		    `own phone: ${JSON.stringify(own)}`);
		assert(first.text === 'hello from baileys', first.text);
	});
	await check('e2e-baileys: the simulator served bundles for the contact and the own phone', async () => {
		const r = await get('/keyFetches');
		const jids = r.keyFetches.map(k => k.jid);
		assert(r.keyFetches.every(k => k.served), JSON.stringify(r.keyFetches));
		assert(jids.some(j => /@lid$/.test(j)), JSON.stringify(jids));
	});
	await check('e2e-baileys: the server acked the message without error', async () => {
		const r = await get(`/acks?id=${first.id}`);
		assert(r.acks.length === 1 && !r.acks[0].error &&
		    r.acks[0].from === `${ALICE}@s.whatsapp.net`, JSON.stringify(r));
	});
	await check('e2e-baileys: the second text is still a pkmsg (no answer yet) and decrypts', async () => {
		/* libsignal keeps sending PreKeyWhisperMessages until the
		 * peer's first message arrives in the session. */
		const rec = await sendAndRecord('second one');
		const alice = rec.deliveries.filter(d => d.to.startsWith(ALICE));
		assert(alice.length === 2 && alice.every(d => d.ok &&
		    d.type === 'pkmsg' && d.text === 'second one'),
		    JSON.stringify(rec.deliveries));
	});
	await check('e2e-baileys: Baileys acked the contacts\' delivery receipts', async () => {
		await waitFor('no unacked', async () => {
			const s = await getState(sim);
			return s.unacked.length === 0;
		});
	});

	/* Contact -> Baileys. */
	const waitUpsert = (id, ms = 15000) => waitFor(`upsert ${id}`, () =>
	    upserts.find(m => m.key.id === id), ms);
	let fromAlice = null;
	await check('e2e-baileys: POST /send from the contact is decrypted by Baileys', async () => {
		const r = await post(sim, '/send', { from: ALICE, text: 'hi baileys' });
		assert(r.status === 200 && r.body.deliveries.length === 1,
		    JSON.stringify(r));
		/* Baileys already started a session with this device, so the
		 * contact answers in it: msg. */
		fromAlice = r.body;
		assert(r.body.deliveries[0].type === 'msg', JSON.stringify(r.body));
		const m = await waitUpsert(r.body.id);
		assert(m.message && m.message.conversation === 'hi baileys' &&
		    !m.key.fromMe, JSON.stringify(m));
	});
	await check('e2e-baileys: once both contact devices answered, Baileys sends msg to both', async () => {
		const r = await post(sim, '/send', { from: ALICE, device: 1,
		    text: 'from the second device' });
		assert(r.status === 200 && r.body.deliveries[0].type === 'msg',
		    JSON.stringify(r));
		const m = await waitUpsert(r.body.id);
		assert(m.message.conversation === 'from the second device' &&
		    m.key.remoteJid === `${ALICE}@s.whatsapp.net`, JSON.stringify(m.key));
		const rec = await sendAndRecord('third one');
		const alice = rec.deliveries.filter(d => d.to.startsWith(ALICE));
		assert(alice.length === 2 && alice.every(d => d.ok && d.type === 'msg' &&
		    d.text === 'third one'), JSON.stringify(rec.deliveries));
	});
	await check('e2e-baileys: the simulator recorded Baileys\' receipt and ack', async () => {
		const r = await waitFor('receipt', async () => {
			const x = await get(`/receipts?id=${fromAlice.id}`);
			return x.receipts.length ? x : null;
		});
		assert(r.receipts[0].to === `${ALICE}@s.whatsapp.net` &&
		    r.receipts[0].type !== 'retry', JSON.stringify(r.receipts));
		await waitFor('ack', async () => {
			const s = await getState(sim);
			return s.connections.some(c => c.acked.includes(fromAlice.id));
		});
	});
	let newDev = null;
	await check('e2e-baileys: a contact device without a session starts with pkmsg and uses a companion pre-key', async () => {
		const r = await post(sim, '/contact', { phone: BOB, name: 'Bob' });
		assert(r.status === 200, JSON.stringify(r));
		const before = (await getState(sim)).phones[0].devices[0].prekeys;
		const s = await post(sim, '/send', { from: BOB, text: 'first from bob' });
		assert(s.status === 200 && s.body.deliveries[0].type === 'pkmsg',
		    JSON.stringify(s));
		const m = await waitUpsert(s.body.id);
		assert(m.message.conversation === 'first from bob', JSON.stringify(m));
		const after = (await getState(sim)).phones[0].devices[0].prekeys;
		assert(after === before - 1, `pre-keys ${before} -> ${after}`);
		const s2 = await post(sim, '/send', { from: BOB, text: 'then msg' });
		assert(s2.body.deliveries[0].type === 'pkmsg' ||
		    s2.body.deliveries[0].type === 'msg', JSON.stringify(s2));
		newDev = s2.body;
		const m2 = await waitUpsert(s2.body.id);
		assert(m2.message.conversation === 'then msg', JSON.stringify(m2));
	});
	await check('e2e-baileys: a reply after the companion answered is a msg', async () => {
		await sock.sendMessage(`${BOB}@s.whatsapp.net`, { text: 'ok bob' });
		await waitFor('bob got it', async () => {
			const r = await get('/received');
			return r.received.some(x => x.text === 'ok bob');
		});
		const s = await post(sim, '/send', { from: BOB, text: 'now msg' });
		assert(s.body.deliveries[0].type === 'msg', JSON.stringify(s));
		const m = await waitUpsert(s.body.id);
		assert(m.message.conversation === 'now msg', JSON.stringify(m));
	});
	await check('e2e-baileys: the own phone\'s device-sent text is fromMe in the chat', async () => {
		const s = await post(sim, '/send', { self: true,
		    chat: `${ALICE}@s.whatsapp.net`, text: 'typed on the phone' });
		assert(s.status === 200, JSON.stringify(s));
		const m = await waitUpsert(s.body.id);
		assert(m.key.fromMe && m.key.remoteJid === `${ALICE}@s.whatsapp.net` &&
		    m.message.conversation === 'typed on the phone', JSON.stringify(m));
	});
	await check('e2e-baileys: a corrupted message gets a retry receipt, the resend decrypts', async () => {
		const s = await post(sim, '/send', { from: ALICE, text: 'after retry',
		    corrupt: true });
		assert(s.status === 200, JSON.stringify(s));
		const r = await waitFor('retry receipt', async () => {
			const x = await get(`/receipts?id=${s.body.id}`);
			return x.receipts.find(y => y.type === 'retry' && y.resent) ? x : null;
		}, 20000);
		const retry = r.receipts.find(y => y.type === 'retry');
		assert(retry.retry.count >= 1 && retry.registrationId ===
		    auth.state.creds.registrationId, JSON.stringify(retry));
		const m = await waitUpsert(s.body.id, 20000);
		await waitFor('decrypted resend', () => upserts.find(x =>
		    x.key.id === s.body.id && x.message &&
		    x.message.conversation === 'after retry'), 20000);
		assert(m);
	});

	/* Restriction. */
	await check('e2e-baileys: /restrict makes the server answer 463', async () => {
		const r = await post(sim, '/restrict', {});
		assert(r.status === 200 && r.body.phones.includes(ME), JSON.stringify(r));
		const m = await sock.sendMessage(`${ALICE}@s.whatsapp.net`,
		    { text: 'restricted?' });
		const a = await waitFor('463 ack', async () => {
			const x = await get(`/acks?id=${m.key.id}`);
			return x.acks.length ? x.acks[0] : null;
		});
		assert(a.error === '463', JSON.stringify(a));
		const rec = await get(`/received?id=${m.key.id}`);
		assert(rec.received[0].ok === false, JSON.stringify(rec));
		await post(sim, '/unrestrict', {});
	});
	await check('e2e-baileys: /send-error answers the next send with the code', async () => {
		await post(sim, '/send-error', { code: 479 });
		const m = await sock.sendMessage(`${ALICE}@s.whatsapp.net`,
		    { text: 'smax' });
		const a = await waitFor('479 ack', async () => {
			const x = await get(`/acks?id=${m.key.id}`);
			return x.acks.length ? x.acks[0] : null;
		});
		assert(a.error === '479', JSON.stringify(a));
		const rec = await sendAndRecord('fine again');
		assert(rec.ok, JSON.stringify(rec));
	});

	/* Groups: SKDM in pkmsg/msg per device, then one skmsg. */
	await check('e2e-baileys: a group text is decrypted with the sender key at every member device', async () => {
		const g = await post(sim, '/group', { subject: 'team',
		    members: [ME, ALICE, BOB] });
		assert(g.status === 200, JSON.stringify(g));
		const m = await sock.sendMessage(g.body.jid, { text: 'hello group' });
		const rec = await waitFor('group received', async () => {
			const x = await get(`/received?id=${m.key.id}`);
			return x.received.length ? x.received[0] : null;
		}, 20000);
		assert(rec.ok, JSON.stringify(rec));
		const sk = rec.deliveries.filter(d => d.type === 'skmsg');
		assert(sk.length === 4 && sk.every(d => d.ok &&
		    d.text === 'hello group'), JSON.stringify(rec.deliveries));
		const skdm = rec.deliveries.filter(d => d.skdm === g.body.jid);
		assert(skdm.length === 4, JSON.stringify(rec.deliveries));
		const m2 = await sock.sendMessage(g.body.jid, { text: 'again' });
		const rec2 = await waitFor('group received 2', async () => {
			const x = await get(`/received?id=${m2.key.id}`);
			return x.received.length ? x.received[0] : null;
		}, 20000);
		const sk2 = rec2.deliveries.filter(d => d.type === 'skmsg');
		assert(sk2.length === 4 && sk2.every(d => d.ok && d.text === 'again') &&
		    rec2.deliveries.every(d => d.type === 'skmsg'),
		    JSON.stringify(rec2.deliveries));
	});

	await check('e2e-baileys: simulator recorded no protocol errors', async () => {
		const s = await getState(sim);
		assert(s.errors.length === 0, JSON.stringify(s.errors));
		assert(updates.length >= 0 && newDev);
	});
	void statusOf;
}

try {
	await main();
} catch (err) {
	await check('e2e-baileys: test harness', () => { throw err; });
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
