#!/usr/bin/env node
/*
 * Seed corpus for fuzz_recv (tests/wa/fuzz_recv.c): waE2E.Message
 * plaintexts as Baileys encodes them (texts, device-sent, a real
 * SenderKeyDistributionMessage, history-sync and app-state protocol
 * messages), the Baileys ciphertexts of vectors.json in <enc> stanzas,
 * and receipt attributes.  Run from the repository root:
 *   node tests/wa/recvvec/seeds.mjs tests/fuzz/corpus/fuzz_recv
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import { initAuthCreds } from 'baileys/lib/Utils/auth-utils.js';
import { encodeWAMessage } from 'baileys/lib/Utils/generics.js';
import { proto } from 'baileys/WAProto/index.js';

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
function seed(bytes) {
	const b = Buffer.from(bytes);
	writeFileSync(`${dir}/${createHash('sha1').update(b).digest('hex')}`, b);
}

const keys = { data: {}, async get(t, ids) {
	const m = this.data[t] || {}, o = {};
	for (const i of ids) if (m[i] !== undefined) o[i] = m[i];
	return o;
}, async set(d) {
	for (const t of Object.keys(d)) {
		this.data[t] = this.data[t] || {};
		Object.assign(this.data[t], d[t]);
	}
}, transaction: fn => fn(), isInTransaction: () => false };
const repo = makeLibSignalRepository({ creds: initAuthCreds(), keys },
    { trace() {}, debug() {}, info() {}, warn() {}, error() {},
    child() { return this; } });
const g = await repo.encryptGroupMessage({ group: '120363000000000001@g.us',
    meId: '15550111:2@s.whatsapp.net', data: Buffer.from('x') });

const plains = [
	{ conversation: 'hello' },
	{ extendedTextMessage: { text: 'with preview' } },
	{ deviceSentMessage: { destinationJid: '15550222@s.whatsapp.net',
	    message: { conversation: 'from my phone' } } },
	{ senderKeyDistributionMessage: { groupId: '120363000000000001@g.us',
	    axolotlSenderKeyDistributionMessage: g.senderKeyDistributionMessage } },
	{ protocolMessage: { type: 5 } },
	{ protocolMessage: { type: 6 } },
	{ conversation: 'x', senderKeyDistributionMessage: { groupId: 'g',
	    axolotlSenderKeyDistributionMessage: Buffer.from([0x33, 1, 2]) } }
];
for (const [i, m] of plains.entries()) {
	const flags = i === 3 || i === 6 ? 1 : i === 2 || i === 4 || i === 5 ? 2 : 0;
	seed(Buffer.concat([Buffer.from([0, flags]), encodeWAMessage(m)]));
	seed(Buffer.concat([Buffer.from([2]), proto.Message.encode(m).finish()]));
}

const v = JSON.parse(readFileSync('tests/wa/recvvec/vectors.json', 'utf8'));
for (const m of v.messages) {
	const e = m.enc.map(x => Buffer.from(x.hex, 'hex'));
	const t = { pkmsg: 0, msg: 1, skmsg: 2 }[m.enc[0].type];
	const group = m.participant ? 0x10 : 0;
	if (e.length === 2 && e[0].length < 256)
		seed(Buffer.concat([Buffer.from([1, 0x80 | group | t, e[0].length]),
		    e[0], e[1]]));
	else
		seed(Buffer.concat([Buffer.from([1, group | t]), e[0]]));
}
seed(Buffer.from('\x03\x01id1\x00120363000000000001@g.us\x0015550111@s.whatsapp.net\x00read\x00', 'binary'));
seed(Buffer.from('\x03\x00id2\x0015550111:2@s.whatsapp.net\x00\x00retry\x00', 'binary'));
