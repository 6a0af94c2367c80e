#!/usr/bin/env node
/*
 * Independent receive vectors (issue 9): messages encrypted by Baileys'
 * own Signal code (baileys 7 lib/Signal/libsignal.js over the libsignal
 * npm package), for tests/wa/t_recv.c to decrypt with our C code.
 *
 * The recipient "Bob" is a companion whose keys are made here with
 * libsignal's curve (identity, registration id, signed pre-key signed by
 * the identity, one one-time pre-key).  The sender "Alice"
 * (15550111:0) is a Baileys repository over an in-memory store; she
 * builds her session from Bob's bundle (injectE2ESession, as a key
 * fetch answer) and sends, each as WhatsApp frames it (Baileys
 * encodeWAMessage: waE2E.Message + 1..16 bytes of random padding):
 *   1. pkmsg: conversation "hello from baileys";
 *   2. pkmsg: the group's SenderKeyDistributionMessage alone, as
 *      Baileys relayMessage sends it to a member's device, then
 *   3. skmsg: "hello group" under that sender key (encryptGroupMessage);
 *   4. msg: "whisper now", after Alice's pending pre-key is dropped as
 *      if Bob had answered (libsignal session_cipher does so on her
 *      first decrypt), so it is a plain WhisperMessage on the same chain;
 *   4b. msg "not-protobuf": padded bytes that are no waE2E.Message;
 *   5. skmsg: "second group", the next sender-key iteration;
 *   6. pkmsg "reinstalled": Alice with a new identity key (a new
 *      install), on Bob's signed pre-key alone;
 *   7. from Bob's own phone (OWN, device 0): a history-sync
 *      notification, an app-state key share and a device-sent text.
 * Run: node tests/wa/recvvec/gen.mjs > tests/wa/recvvec/vectors.json
 * The output differs per run (fresh keys and randomness); any run's
 * output is a valid vector set.
 */
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import { initAuthCreds } from 'baileys/lib/Utils/auth-utils.js';
import { encodeWAMessage } from 'baileys/lib/Utils/generics.js';
import { proto } from 'baileys/WAProto/index.js';
import curve from 'libsignal/src/curve.js';
import SessionRecord from 'libsignal/src/session_record.js';

const NOLOG = { trace() {}, debug() {}, info() {}, warn() {}, error() {},
    child() { return NOLOG; } };
const hex = b => Buffer.from(b).toString('hex');
const raw = k => Buffer.from(k).subarray(k.length === 33 ? 1 : 0);

function memKeys() {
	const data = {};
	return { data, keys: {
		async get(type, ids) {
			const m = data[type] || {};
			const out = {};
			for (const id of ids)
				if (m[id] !== undefined)
					out[id] = m[id];
			return out;
		},
		async set(d) {
			for (const t of Object.keys(d)) {
				data[t] = data[t] || {};
				for (const id of Object.keys(d[t])) {
					if (d[t][id] === null || d[t][id] === undefined)
						delete data[t][id];
					else
						data[t][id] = d[t][id];
				}
			}
		},
		transaction: fn => fn(),
		isInTransaction: () => false
	} };
}

const BOB = '15550222:3@s.whatsapp.net';
const ALICE = '15550111@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';
const OWN = '15551234567@s.whatsapp.net';	/* client_harness.h's account */

/* Bob's keys. */
const bobId = curve.generateKeyPair();
const bobSpk = curve.generateKeyPair();
const bobSpkSig = curve.calculateSignature(bobId.privKey, bobSpk.pubKey);
const bobPk = curve.generateKeyPair();
const bobReg = 1 + Math.floor(Math.random() * 16380);
const SPK_ID = 1, PK_ID = 4242;

/* Alice. */
const a = memKeys();
const creds = initAuthCreds();
const repo = makeLibSignalRepository({ creds, keys: a.keys }, NOLOG);
await repo.injectE2ESession({ jid: BOB, session: {
	registrationId: bobReg,
	identityKey: Buffer.from(bobId.pubKey),
	signedPreKey: { keyId: SPK_ID, publicKey: Buffer.from(bobSpk.pubKey),
	    signature: Buffer.from(bobSpkSig) },
	preKey: { keyId: PK_ID, publicKey: Buffer.from(bobPk.pubKey) }
} });

const out = [];
async function dm(name, message, text) {
	const e = await repo.encryptMessage({ jid: BOB,
	    data: encodeWAMessage(message) });
	out.push({ name, from: ALICE, id: `3AVEC${out.length + 1}`,
	    enc: [{ type: e.type, hex: hex(e.ciphertext) }], text });
}

await dm('pkmsg', { conversation: 'hello from baileys' }, 'hello from baileys');

/* The group message: SKDM pairwise, then the skmsg, in one stanza. */
const g = await repo.encryptGroupMessage({ group: GROUP, meId: ALICE,
    data: encodeWAMessage({ conversation: 'hello group' }) });
const sk = await repo.encryptMessage({ jid: BOB, data: encodeWAMessage({
    senderKeyDistributionMessage: { groupId: GROUP,
    axolotlSenderKeyDistributionMessage: g.senderKeyDistributionMessage } }) });
out.push({ name: 'skdm+skmsg', from: GROUP, participant: ALICE,
    id: '3AVECGROUP1', enc: [{ type: sk.type, hex: hex(sk.ciphertext) },
    { type: 'skmsg', hex: hex(g.ciphertext) }], text: 'hello group' });

/* As if Bob had answered: Alice's open session loses its pending
 * pre-key, and libsignal sends WhisperMessages from here on. */
for (const [k, v] of Object.entries(a.data.session || {})) {
	const rec = SessionRecord.deserialize(v);
	delete rec.getOpenSession().pendingPreKey;
	a.data.session[k] = rec.serialize();
}
await dm('msg', { extendedTextMessage: { text: 'whisper now' } }, 'whisper now');

/* A plaintext that is not a waE2E.Message (wire type 7), padded. */
{
	const e = await repo.encryptMessage({ jid: BOB, data: Buffer.concat([
	    Buffer.from([0xff, 0xff, 0xff, 0x07]), Buffer.alloc(3, 3)]) });
	out.push({ name: 'not-protobuf', from: ALICE, id: '3AVECNOTPB',
	    enc: [{ type: e.type, hex: hex(e.ciphertext) }], text: null });
}

const g2 = await repo.encryptGroupMessage({ group: GROUP, meId: ALICE,
    data: encodeWAMessage({ conversation: 'second group' }) });
out.push({ name: 'skmsg', from: GROUP, participant: ALICE,
    id: '3AVECGROUP2', enc: [{ type: 'skmsg', hex: hex(g2.ciphertext) }],
    text: 'second group' });

/* Alice reinstalls: a new identity for the same JID, a session from
 * Bob's signed pre-key alone (his one-time key is spent). */
const a2 = memKeys();
const creds2 = initAuthCreds();
const repo2 = makeLibSignalRepository({ creds: creds2, keys: a2.keys }, NOLOG);
await repo2.injectE2ESession({ jid: BOB, session: {
	registrationId: bobReg,
	identityKey: Buffer.from(bobId.pubKey),
	signedPreKey: { keyId: SPK_ID, publicKey: Buffer.from(bobSpk.pubKey),
	    signature: Buffer.from(bobSpkSig) }
} });
const r2 = await repo2.encryptMessage({ jid: BOB,
    data: encodeWAMessage({ conversation: 'new phone, new keys' }) });
out.push({ name: 'reinstalled', from: ALICE, id: '3AVECNEWID',
    enc: [{ type: r2.type, hex: hex(r2.ciphertext) }],
    text: 'new phone, new keys' });

/* Bob's own phone (device 0 of OWN, the account tests/wa/
 * client_harness.h logs in as): a history-sync notification, an
 * app-state key share, and a text it sent to Alice (DeviceSentMessage),
 * each a pkmsg on Bob's signed pre-key. */
const p = memKeys();
const pcreds = initAuthCreds();
const prepo = makeLibSignalRepository({ creds: pcreds, keys: p.keys }, NOLOG);
await prepo.injectE2ESession({ jid: BOB, session: {
	registrationId: bobReg,
	identityKey: Buffer.from(bobId.pubKey),
	signedPreKey: { keyId: SPK_ID, publicKey: Buffer.from(bobSpk.pubKey),
	    signature: Buffer.from(bobSpkSig) }
} });
async function fromPhone(name, message, text, extra = {}) {
	const e = await prepo.encryptMessage({ jid: BOB,
	    data: encodeWAMessage(message) });
	out.push({ name, from: OWN, id: `3AVECPHONE${out.length}`,
	    enc: [{ type: e.type, hex: hex(e.ciphertext) }], text, ...extra });
}
await fromPhone('phone-history-sync', { protocolMessage: { type: 5,
    historySyncNotification: { syncType: 0, chunkOrder: 1 } } }, null);
await fromPhone('phone-app-state-keys', { protocolMessage: { type: 6,
    appStateSyncKeyShare: { keys: [] } } }, null);
await fromPhone('phone-device-sent', { deviceSentMessage: {
    destinationJid: ALICE, message: { conversation: 'sent from my phone' } } },
    'sent from my phone', { recipient: ALICE });

for (const m of out)
	if (m.enc.some(e => e.type === 'pkmsg') !== (m.name === 'pkmsg' ||
	    m.name === 'skdm+skmsg' || m.name === 'reinstalled' ||
	    m.name.startsWith('phone-')))
		throw new Error(`${m.name}: unexpected types ${m.enc.map(e => e.type)}`);

process.stdout.write(JSON.stringify({
	about: 'Generated by tests/wa/recvvec/gen.mjs with Baileys 7 ' +
	    '(lib/Signal/libsignal.js, libsignal npm); decrypted by tests/wa/t_recv.c',
	recipient: {
		jid: BOB,
		registration_id: bobReg,
		identity_pub: hex(raw(bobId.pubKey)),
		identity_priv: hex(bobId.privKey),
		signed_pre_key_id: SPK_ID,
		signed_pre_key_pub: hex(raw(bobSpk.pubKey)),
		signed_pre_key_priv: hex(bobSpk.privKey),
		signed_pre_key_sig: hex(bobSpkSig),
		pre_key_id: PK_ID,
		pre_key_pub: hex(raw(bobPk.pubKey)),
		pre_key_priv: hex(bobPk.privKey)
	},
	own: OWN,
	sender: { jid: ALICE, registration_id: creds.registrationId,
	    identity_pub: hex(raw(creds.signedIdentityKey.public)),
	    reinstalled_identity_pub: hex(raw(creds2.signedIdentityKey.public)) },
	group: GROUP,
	messages: out
}, null, 1) + '\n');
