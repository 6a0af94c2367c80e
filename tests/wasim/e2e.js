/*
 * The end-to-end-encryption side of the simulated server: what the real
 * WhatsApp server stores and routes, and the simulated Signal peers that
 * the companion talks to.
 *
 *   - the companion's uploaded pre-keys (iq xmlns=encrypt type=set), kept
 *     per device and served to key fetches (iq xmlns=encrypt type=get
 *     <key><user jid/>), one one-time pre-key consumed per fetch;
 *   - usync (iq xmlns=usync): device lists, LIDs and "on WhatsApp" for the
 *     queried users;
 *   - simulated contacts and the account's own phone (device 0), each
 *     device a Signal identity built with Baileys' own Signal repository
 *     (baileys/lib/Signal/libsignal.js on the libsignal npm package) over an
 *     in-memory key store;
 *   - <message> stanzas from the companion: each <enc> is routed to the
 *     simulated device it names, decrypted, unpadded, decoded as
 *     waE2E.Message and recorded; the server answers <ack class=message>;
 *   - messages from a contact (or the own phone, device-sent) to the
 *     companion, encrypted for its uploaded bundle, and the companion's
 *     receipts, acks and retry receipts.
 *
 * Stanza shapes per whatsmeow (prekeys.go, usync via user.go, send.go,
 * message.go, receipt.go, retry.go) and Baileys 7 (Socket/messages-send.js
 * assertSessions/relayMessage, Utils/signal.js parseAndInjectE2ESessions,
 * WAUSync/, Utils/decode-wa-message.js, Socket/messages-recv.js).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import { initAuthCreds } from 'baileys/lib/Utils/auth-utils.js';
import { Curve, signedKeyPair } from 'baileys/lib/Utils/crypto.js';
import { PreKeyWhisperMessage } from 'libsignal/src/protobufs.js';
import SessionRecord from 'libsignal/src/session_record.js';
import { curveVerify } from './xeddsa.js';
import { child, children, contentBytes, nodeString, proto } from './wire.js';

const SERVER = 's.whatsapp.net';
const KEY_TYPE = Buffer.from([5]);
const NOLOG = { trace() {}, debug() {}, info() {}, warn() {}, error() {},
    child() { return NOLOG; } };
/* Records kept for the control API (oldest dropped first). */
const KEEP = 2000;

function nowS() {
	return Math.floor(Date.now() / 1000);
}

function be(n, len) {
	const b = Buffer.alloc(len);
	b.writeUIntBE(n, 0, len);
	return b;
}

function push(list, item) {
	list.push(item);
	if (list.length > KEEP)
		list.shift();
}

/* "15550100:3@s.whatsapp.net" / "123:3@lid" -> {user, device, server}. */
export function jidSplit(jid) {
	if (typeof jid !== 'string')
		return null;
	const m = /^([0-9]+)(?:\.[0-9]+)?(?::([0-9]+))?@(s\.whatsapp\.net|lid|g\.us)$/
	    .exec(jid);
	if (!m)
		return null;
	return { user: m[1], device: m[2] === undefined ? 0 : Number(m[2]),
	    explicitDevice: m[2] !== undefined, server: m[3] };
}

function devJid(user, device, server) {
	return device ? `${user}:${device}@${server}` : `${user}@${server}`;
}

/*
 * WhatsApp's random padding (whatsmeow padMessage, Baileys
 * writeRandomPadMax16): 1-16 bytes, each the pad length.
 */
export function pad(bytes) {
	const n = (randomBytes(1)[0] & 0x0f) + 1;
	return Buffer.concat([Buffer.from(bytes), Buffer.alloc(n, n)]);
}

/* Inverse of pad(); throws unless the last n bytes all equal n (1..16). */
export function unpad(bytes) {
	const b = Buffer.from(bytes);
	if (b.length === 0)
		throw new Error('plaintext is empty');
	const n = b[b.length - 1];
	if (n < 1 || n > 16 || n > b.length)
		throw new Error(`bad padding length ${n}`);
	for (let i = b.length - n; i < b.length; i++)
		if (b[i] !== n)
			throw new Error('padding bytes differ (whatsmeow isValidPadding)');
	return b.subarray(0, b.length - n);
}

/* The text of a waE2E.Message, unwrapping DeviceSentMessage. */
function textOf(m) {
	if (!m)
		return null;
	if (m.deviceSentMessage && m.deviceSentMessage.message)
		return textOf(m.deviceSentMessage.message);
	if (typeof m.conversation === 'string' && m.conversation !== '')
		return m.conversation;
	if (m.extendedTextMessage && typeof m.extendedTextMessage.text === 'string')
		return m.extendedTextMessage.text;
	return null;
}

/* A message id in the phone's format: 32 upper-case hex digits. */
function messageId() {
	return `3A${randomBytes(15).toString('hex').toUpperCase()}`;
}

/*
 * whatsmeow participantListHashV2: "2:" + unpadded base64 of the first 6
 * bytes of SHA-256 over the sorted "user.agent:device@server" strings.
 */
export function participantHash(jids) {
	const s = jids.map(j => {
		const p = jidSplit(j);
		return `${p.user}.0:${p.device}@${p.server}`;
	}).sort().join('');
	return '2:' + createHash('sha256').update(s).digest().subarray(0, 6)
	    .toString('base64').replace(/=+$/, '');
}

/*
 * One simulated Signal device: an identity, registration id, signed
 * pre-key and on-demand one-time pre-keys, with Baileys' repository over
 * an in-memory store ({get, set, transaction}).  identity (optional):
 * {priv, pub} 32-byte X25519 pair (the own phone uses its account key).
 */
export class SigDevice {
	constructor({ pn, lid, identity, owner }) {
		this.pn = pn;
		this.lid = lid;
		this.owner = owner;
		this.creds = initAuthCreds();
		if (identity) {
			this.creds.signedIdentityKey = {
				private: Buffer.from(identity.priv),
				public: Buffer.from(identity.pub)
			};
			this.creds.signedPreKey = signedKeyPair(
			    this.creds.signedIdentityKey, 1);
		}
		this.data = {};
		const data = this.data;
		this.keys = {
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
		};
		this.repo = makeLibSignalRepository({ creds: this.creds,
		    keys: this.keys }, NOLOG);
		this.nextPreKeyId = 1;
		this.fetches = 0;
	}

	get identityPub() {
		return this.creds.signedIdentityKey.public;
	}

	get registrationId() {
		return this.creds.registrationId;
	}

	/* A fresh bundle for a key fetch: a new one-time pre-key each time. */
	async bundle() {
		const id = this.nextPreKeyId++;
		const kp = Curve.generateKeyPair();
		await this.keys.set({ 'pre-key': { [id]: kp } });
		this.fetches++;
		const sp = this.creds.signedPreKey;
		return {
			registrationId: this.registrationId,
			identity: Buffer.from(this.identityPub),
			skey: { id: sp.keyId, pub: Buffer.from(sp.keyPair.public),
			    sig: Buffer.from(sp.signature) },
			key: { id, pub: kp.public }
		};
	}

	async hasSession(addr) {
		const v = await this.repo.validateSession(addr);
		return v.exists;
	}

	/*
	 * As if the peer at device JID addr had answered in our session:
	 * the open session's pending pre-key is dropped (libsignal
	 * session_cipher.js does that on the first message it decrypts), so
	 * what we send next is a plain "msg" (WhisperMessage).  Returns
	 * whether a session was found.
	 */
	confirmSession(addr) {
		const j = jidSplit(addr);
		const name = `${j.user}${j.server === 'lid' ? '_1' : ''}.${j.device}`;
		const m = this.data.session || {};
		if (!m[name])
			return false;
		const rec = SessionRecord.deserialize(m[name]);
		const open = rec.getOpenSession();
		if (!open)
			return false;
		delete open.pendingPreKey;
		m[name] = rec.serialize();
		return true;
	}

	/* bundle {registrationId, identity, skey {id, pub, sig}, key?} of the
	 * peer at addr -> a new outgoing session (libsignal initOutgoing). */
	async injectBundle(addr, b) {
		const k = x => Buffer.concat([KEY_TYPE, x]);
		await this.repo.injectE2ESession({ jid: addr, session: {
			registrationId: b.registrationId,
			identityKey: k(b.identity),
			signedPreKey: { keyId: b.skey.id, publicKey: k(b.skey.pub),
			    signature: b.skey.sig },
			preKey: b.key ? { keyId: b.key.id, publicKey: k(b.key.pub) } :
			    undefined
		} });
	}
}

/* <user jid> bundle node (Baileys parseAndInjectE2ESessions, whatsmeow
 * nodeToPreKeyBundle). */
function bundleNode(jid, b) {
	const content = [
		{ tag: 'registration', attrs: {}, content: be(b.registrationId, 4) },
		{ tag: 'type', attrs: {}, content: KEY_TYPE },
		{ tag: 'identity', attrs: {}, content: b.identity },
		{ tag: 'skey', attrs: {}, content: [
			{ tag: 'id', attrs: {}, content: be(b.skey.id, 3) },
			{ tag: 'value', attrs: {}, content: b.skey.pub },
			{ tag: 'signature', attrs: {}, content: b.skey.sig }] }
	];
	if (b.key)
		content.push({ tag: 'key', attrs: {}, content: [
			{ tag: 'id', attrs: {}, content: be(b.key.id, 3) },
			{ tag: 'value', attrs: {}, content: b.key.pub }] });
	return { tag: 'user', attrs: { jid }, content };
}

/* Parses <id>/<value>[/<signature>] of a key node; null when malformed. */
function parseKey(node, signed) {
	const id = contentBytes(child(node, 'id'));
	const val = contentBytes(child(node, 'value'));
	const sig = signed ? contentBytes(child(node, 'signature')) : null;
	if (!id || id.length !== 3 || !val || val.length !== 32 ||
	    (signed && (!sig || sig.length !== 64)))
		return null;
	return { id: id.readUIntBE(0, 3), pub: val, sig };
}

export class E2E {
	constructor(sim) {
		this.sim = sim;
		this.contacts = new Map();
		this.groups = new Map();
		this.received = [];
		this.receipts = [];
		this.outgoing = new Map();
		this.sent = [];
		this.acks = [];
		this.keyFetches = [];
		this.sendErrors = new Map();
		this.chain = Promise.resolve();
	}

	log(m) {
		this.sim.log(`e2e: ${m}`);
	}

	/*
	 * Runs fn after every earlier stanza's work, in arrival order.  The
	 * chain never rejects (a bug is logged and recorded in /state
	 * errors); with rethrow the returned promise carries fn's error (the
	 * control API's HttpErrors), otherwise it never rejects.
	 */
	serial(what, fn, rethrow = false) {
		const p = this.chain.then(fn);
		this.chain = p.catch(err => {
			if (err instanceof this.sim.HttpError)
				return;
			this.sim.log(`BUG: e2e ${what}: ${err.stack}`);
			this.sim.recordError(null, `internal error in ${what}: ${err.message}`);
		});
		return rethrow ? p : this.chain;
	}

	/*
	 * POST /restrict {jid?, until?}: the account (user or device JID; all
	 * when absent) is restricted: every message it sends is answered
	 * <ack error="463"> (Baileys SERVER_ERROR_CODES MessageAccountRestriction)
	 * until `until` (unix seconds; absent = until /unrestrict).
	 * POST /send-error {jid?, code, count?}: the next `count` (default 1;
	 * 0 = every) message sends from that device/user (all: no jid) get
	 * <ack error=code> (e.g. 479 smax-invalid, 421); code 0: no answer
	 * at all (the message is dropped and never acked, as a server
	 * that stopped serving a connection).
	 */
	control(name, body) {
		const H = this.sim.HttpError;
		if (name === 'send-error') {
			const code = Number(body.code);
			if (!Number.isInteger(code) || (code !== 0 &&
			    (code < 100 || code > 999)))
				throw new H(400, 'code must be a 3-digit number, or 0 ' +
				    'for no answer');
			const count = body.count === undefined ? 1 : Number(body.count);
			if (!Number.isInteger(count) || count < 0)
				throw new H(400, 'count must be a non-negative integer');
			const key = body.jid ? this.normJid(body.jid) : '*';
			this.sendErrors.set(key, { code, count: count === 0 ? null : count });
			return { jid: key, code, count };
		}
		const phones = body.jid ? [this.sim.phones.get(
		    this.normJid(body.jid).replace(/[:@].*$/, ''))].filter(Boolean) :
		    [...this.sim.phones.values()];
		if (body.jid && !phones.length)
			throw new H(404, `no account ${body.jid}`);
		let until = null;
		if (body.until !== undefined) {
			until = Number(body.until);
			if (!Number.isInteger(until) || until <= 0)
				throw new H(400, 'until must be unix seconds');
		}
		for (const p of phones) {
			p.restricted = name === 'restrict' ? { until, since: nowS() } : null;
			this.timelockNotify(p, name === 'restrict', until);
		}
		return { phones: phones.map(p => p.number), until };
	}

	/*
	 * The reach-out timelock as the server announces it to the
	 * account's logged-in companions: <notification type="mex"><update
	 * op_name>JSON</update> with data.xwa2_notify_account_reachout_
	 * timelock {is_active, time_enforcement_ends (unix s, a string),
	 * enforcement_type} (whatsmeow notification.go handleMexNotification,
	 * events.NotifyAccountReachoutTimelock).
	 */
	timelockNotify(p, active, until) {
		const data = { data: { xwa2_notify_account_reachout_timelock: {
		    is_active: active, enforcement_type: 'DEFAULT' } } };
		if (active && until)
			data.data.xwa2_notify_account_reachout_timelock
			    .time_enforcement_ends = String(until);
		for (const c of this.sim.conns.values()) {
			if (!c.live || c.phase !== 'logged-in' || !c.jid ||
			    jidSplit(c.jid).user !== p.number)
				continue;
			this.sim.sendTracked(c, { tag: 'notification', attrs: {
			    from: SERVER, type: 'mex', id: messageId(),
			    t: String(nowS()) }, content: [{ tag: 'update',
			    attrs: { op_name: 'NotificationUserReachoutTimelockUpdate' },
			    content: Buffer.from(JSON.stringify(data)) }] });
		}
	}

	normJid(jid) {
		if (typeof jid !== 'string' || !jidSplit(jid))
			throw new this.sim.HttpError(400, `bad jid ${JSON.stringify(jid)}`);
		return jid;
	}

	newLidUser() {
		return String(100000000000000 + randomInt(0, 2 ** 40));
	}

	/* ---- directory ------------------------------------------------ */

	/*
	 * POST /contact {phone, devices?: [0, ...], name?, reset?}: a simulated
	 * contact (created, or its device list replaced; kept devices keep
	 * their identities unless listed in reset).  HttpError 400 for a bad number or device list, 409 for
	 * the number of a phone that links companions.
	 */
	addContact(body) {
		const number = this.sim.normalizeNumber(body.phone);
		if (this.sim.phones.has(number))
			throw new this.sim.HttpError(409, `${number} is an account phone, not a contact`);
		const devs = body.devices === undefined ? [0] : body.devices;
		if (!Array.isArray(devs) || !devs.length || devs.some(d =>
		    !Number.isInteger(d) || d < 0 || d > 99) || !devs.includes(0))
			throw new this.sim.HttpError(400, 'devices must be a list of 0..99 including 0');
		let c = this.contacts.get(number);
		if (!c) {
			c = { number, jid: `${number}@${SERVER}`, lidUser: this.newLidUser(),
			    name: null, devices: new Map(), receipts: true };
			this.contacts.set(number, c);
		}
		if (typeof body.name === 'string')
			c.name = body.name;
		if (body.receipts !== undefined)
			c.receipts = !!body.receipts;
		const changes = [];
		/* reset: [device, ...] get a new Signal identity (a reinstall:
		 * the next message is a pkmsg under a changed identity key). */
		const reset = body.reset === undefined ? [] : body.reset;
		if (!Array.isArray(reset) || reset.some(d => !devs.includes(d)))
			throw new this.sim.HttpError(400, 'reset must list devices of the contact');
		for (const d of [...c.devices.keys()])
			if (!devs.includes(d) || reset.includes(d)) {
				c.devices.delete(d);
				changes.push({ tag: 'remove', attrs: {}, content: [{ tag:
				    'device', attrs: { jid: devJid(number, d, SERVER) } }] });
			}
		for (const d of devs)
			if (!c.devices.has(d)) {
				c.devices.set(d, new SigDevice({
				    pn: devJid(number, d, SERVER),
				    lid: devJid(c.lidUser, d, 'lid'), owner: c }));
				changes.push({ tag: 'add', attrs: {}, content: [{ tag:
				    'device', attrs: { jid: devJid(number, d, SERVER) } }] });
			}
		/* An existing contact's device list changed: the server tells
		 * the companions (whatsmeow notification.go
		 * handleDeviceNotification: <notification type="devices"
		 * from=user><add|remove><device jid/>). */
		if (changes.length && c.announced)
			for (const conn of this.sim.conns.values())
				if (conn.live && conn.phase === 'logged-in')
					this.sim.sendTracked(conn, { tag: 'notification',
					    attrs: { from: c.jid, type: 'devices',
					    id: messageId(), t: String(nowS()) },
					    content: changes });
		c.announced = true;
		return this.contactInfo(c);
	}

	contactInfo(c) {
		return { phone: c.number, jid: c.jid, lid: `${c.lidUser}@lid`,
		    name: c.name, devices: [...c.devices.values()].map(s => ({
		    jid: s.pn, lid: s.lid, registrationId: s.registrationId,
		    identityKey: Buffer.from(s.identityPub).toString('base64'),
		    keyFetches: s.fetches })) };
	}

	/* The account phone's own Signal device 0 (its identity is the
	 * account signature key, as on a real primary). */
	phoneSig(p) {
		if (!p.sig)
			p.sig = new SigDevice({ pn: p.jid, lid: `${p.lidUser}@lid`,
			    identity: p.identity, owner: p });
		return p.sig;
	}

	/* PN number or LID user -> {kind: 'phone'|'contact', owner}. */
	resolveUser(user, server) {
		if (server === SERVER) {
			const p = this.sim.phones.get(user);
			if (p)
				return { kind: 'phone', owner: p };
			const c = this.contacts.get(user);
			return c ? { kind: 'contact', owner: c } : null;
		}
		if (server === 'lid') {
			for (const p of this.sim.phones.values()) {
				if (p.lidUser === user)
					return { kind: 'phone', owner: p };
			}
			for (const c of this.contacts.values())
				if (c.lidUser === user)
					return { kind: 'contact', owner: c };
		}
		return null;
	}

	/*
	 * Device JID (PN or LID; no device = 0) -> {kind: 'companion', dev,
	 * phone} | {kind: 'sim', sig, owner} | null.
	 */
	resolveDevice(jid) {
		const j = jidSplit(jid);
		if (!j || j.server === 'g.us')
			return null;
		if (j.server === 'lid') {
			/* A companion's LID may have been changed by /lid. */
			for (const p of this.sim.phones.values())
				for (const d of p.devices.values())
					if (d.lid === jid)
						return { kind: 'companion', dev: d, phone: p };
		}
		const u = this.resolveUser(j.user, j.server);
		if (!u)
			return null;
		if (u.kind === 'phone') {
			if (j.device === 0)
				return { kind: 'sim', sig: this.phoneSig(u.owner),
				    owner: u.owner, phone: true };
			const d = u.owner.devices.get(j.device);
			return d ? { kind: 'companion', dev: d, phone: u.owner } : null;
		}
		const s = u.owner.devices.get(j.device);
		return s ? { kind: 'sim', sig: s, owner: u.owner } : null;
	}

	/* [{id, keyIndex}] of a phone (0 + companions) or a contact. */
	deviceList(u) {
		if (u.kind === 'phone')
			return [{ id: 0 }, ...[...u.owner.devices.values()]
			    .map(d => ({ id: d.device, keyIndex: d.keyIndex }))];
		return [...u.owner.devices.keys()].sort((a, b) => a - b)
		    .map(d => ({ id: d, keyIndex: d ? d : undefined }));
	}

	/* Every device JID of a user in the given server's form. */
	deviceJids(u, server) {
		const user = server === 'lid' ? u.owner.lidUser : u.owner.number;
		return this.deviceList(u).map(d => devJid(user, d.id, server));
	}

	/* ---- pre-keys (whatsmeow prekeys.go) --------------------------- */

	/*
	 * Stores a companion's upload (already checked by the caller): the
	 * registration id, identity, signed pre-key and one-time pre-keys
	 * (by id; a re-uploaded id replaces the old key).  Returns null or the
	 * reason for a 400.
	 */
	storeUpload(dev, iq) {
		const reg = contentBytes(child(iq, 'registration'));
		const type = contentBytes(child(iq, 'type'));
		const ident = contentBytes(child(iq, 'identity'));
		if (!reg || reg.length !== 4)
			return '<registration> must be 4 bytes';
		if (!type || type.length !== 1 || type[0] !== 5)
			return '<type> must be 05';
		if (!ident || ident.length !== 32 || !ident.equals(dev.identityPub))
			return '<identity> is not the identity key the device paired with';
		const skey = parseKey(child(iq, 'skey'), true);
		if (!skey)
			return '<skey> needs a 3-byte id, 32-byte value, 64-byte signature';
		const keys = [];
		for (const k of children(child(iq, 'list'))) {
			const pk = k.tag === 'key' && parseKey(k, false);
			if (!pk)
				return '<list> holds a malformed <key>';
			keys.push(pk);
		}
		const regId = reg.readUInt32BE(0);
		if (regId !== dev.registrationId)
			this.sim.recordError(null, `pre-key upload for ${dev.jid}: registration id ${regId}, paired with ${dev.registrationId}`);
		if (!dev.bundle)
			dev.bundle = { prekeys: new Map() };
		dev.bundle.registrationId = regId;
		dev.bundle.identity = ident;
		dev.bundle.skey = skey;
		for (const k of keys)
			dev.bundle.prekeys.set(k.id, k.pub);
		dev.prekeys = dev.bundle.prekeys.size;
		return null;
	}

	/* The server's count dropped to n (/prekeys-low): forget the rest. */
	trimPreKeys(dev, n) {
		if (!dev.bundle) {
			dev.prekeys = n;
			return;
		}
		for (const id of [...dev.bundle.prekeys.keys()])
			if (dev.bundle.prekeys.size > n)
				dev.bundle.prekeys.delete(id);
		dev.prekeys = dev.bundle.prekeys.size;
	}

	/* A companion's bundle with one one-time pre-key taken out (the lowest
	 * id first); null when it uploaded nothing.  No pre-key left: the
	 * bundle carries the signed pre-key only (whatsmeow accepts that). */
	takeCompanionBundle(dev) {
		const b = dev.bundle;
		if (!b || !b.skey)
			return null;
		let key;
		const first = b.prekeys.keys().next();
		if (!first.done) {
			key = { id: first.value, pub: b.prekeys.get(first.value) };
			b.prekeys.delete(first.value);
			dev.prekeys = b.prekeys.size;
		}
		return { registrationId: b.registrationId, identity: b.identity,
		    skey: b.skey, key };
	}

	/* iq xmlns=encrypt type=get <key><user jid [reason]/>...</key>. */
	async onKeyFetch(conn, iq, keyNode) {
		const users = children(keyNode).filter(u => u.tag === 'user');
		const out = [];
		for (const u of users) {
			const jid = u.attrs.jid;
			const r = this.resolveDevice(jid);
			let b = null;
			if (r && r.kind === 'companion')
				b = this.takeCompanionBundle(r.dev);
			else if (r)
				b = await r.sig.bundle();
			push(this.keyFetches, { at: new Date().toISOString(), conn: conn.id,
			    by: conn.jid, jid, reason: u.attrs.reason || null,
			    served: !!b, preKeyId: b && b.key ? b.key.id : null });
			if (!b) {
				out.push({ tag: 'user', attrs: { jid }, content: [{ tag: 'error',
				    attrs: { code: '404', text: 'item-not-found' } }] });
				continue;
			}
			out.push(bundleNode(jid, b));
		}
		this.sim.iqResult(conn, iq, [{ tag: 'list', attrs: {}, content: out }]);
	}

	/* ---- usync (whatsmeow user.go, Baileys WAUSync) --------------- */

	onUsync(conn, iq) {
		const us = child(iq, 'usync');
		const query = us && child(us, 'query');
		const list = us && child(us, 'list');
		if (!query || !list) {
			conn.error('usync without <query> and <list>');
			return this.sim.iqError(conn, iq, 400, 'bad-request');
		}
		const protos = new Set(children(query).map(q => q.tag));
		const users = [];
		for (const u of children(list)) {
			if (u.tag !== 'user')
				continue;
			let jid = u.attrs.jid;
			const contact = child(u, 'contact');
			let j = jidSplit(jid);
			if (!jid && contact) {
				const num = String(contentBytes(contact) || '').replace(/[^0-9]/g, '');
				jid = `${num}@${SERVER}`;
				j = jidSplit(jid);
			}
			if (!j) {
				users.push({ tag: 'user', attrs: jid ? { jid } : {}, content: [
				    { tag: 'error', attrs: { code: '400', text: 'bad-request' } }] });
				continue;
			}
			const r = this.resolveUser(j.user, j.server);
			const content = [];
			if (protos.has('devices')) {
				const devs = r ? this.deviceList(r) : [];
				content.push({ tag: 'devices', attrs: {}, content: [
				    { tag: 'device-list', attrs: {}, content: devs.map(d => ({
				    tag: 'device', attrs: d.keyIndex === undefined ?
				    { id: String(d.id) } : { id: String(d.id),
				    'key-index': String(d.keyIndex) } })) }] });
			}
			if (protos.has('lid') && r && j.server === SERVER)
				content.push({ tag: 'lid', attrs: { val: `${r.owner.lidUser}@lid` } });
			if (protos.has('contact'))
				content.push({ tag: 'contact', attrs: { type: r ? 'in' : 'out' } });
			users.push({ tag: 'user', attrs: { jid: `${j.user}@${j.server}` },
			    content });
		}
		this.sim.iqResult(conn, iq, [{ tag: 'usync', attrs: {
		    sid: us.attrs.sid || '', mode: us.attrs.mode || 'query',
		    context: us.attrs.context || 'interactive', index: '0',
		    last: 'true' }, content: [{ tag: 'list', attrs: {}, content: users }] }]);
	}

	/* ---- messages from the companion ------------------------------ */

	/*
	 * <message to id type>: <participants><to jid><enc/></to>...</participants>
	 * (or one <enc> for the device `to` names), <device-identity> with any
	 * pkmsg, and for groups one <enc type=skmsg>.  Each enc is decrypted by
	 * the simulated device it is for; the server acks once all are done.
	 */
	onMessage(conn, node) {
		return this.serial('message', () => this.handleMessage(conn, node));
	}

	ack(conn, node, extra = {}) {
		const attrs = { class: 'message', id: node.attrs.id,
		    from: node.attrs.to, t: String(nowS()), ...extra };
		push(this.acks, { at: new Date().toISOString(), conn: conn.id,
		    ...attrs });
		conn.send({ tag: 'ack', attrs });
	}

	takeSendError(conn) {
		for (const k of [conn.jid, conn.jid && `${jidSplit(conn.jid).user}@${SERVER}`, '*']) {
			const e = this.sendErrors.get(k);
			if (!e)
				continue;
			if (e.count !== null && --e.count <= 0)
				this.sendErrors.delete(k);
			return e.code;
		}
		return null;
	}

	async handleMessage(conn, node) {
		const { id, to } = node.attrs;
		const rec = { at: new Date().toISOString(), conn: conn.id, from: conn.jid,
		    id, to, type: node.attrs.type || null, ok: true, error: null,
		    deliveries: [] };
		const fail = (code, why) => {
			rec.ok = false;
			rec.error = `${code} ${why}`;
			push(this.received, rec);
			this.ack(conn, node, { error: String(code) });
		};
		if (!id || !to)
			return fail(479, 'message without id or to');
		const phone = this.sim.phones.get(jidSplit(conn.jid).user);
		if (phone && phone.restricted && (!phone.restricted.until ||
		    phone.restricted.until > nowS()))
			return fail(463, 'account restricted (/restrict)');
		const forced = this.takeSendError(conn);
		if (forced === 0) {
			rec.ok = false;
			rec.error = 'dropped: no answer (forced by /send-error code 0)';
			push(this.received, rec);
			return;
		}
		if (forced)
			return fail(forced, 'forced by /send-error');
		const tj = jidSplit(to);
		if (!tj)
			return fail(479, `bad to ${to}`);
		const group = tj.server === 'g.us' ? this.groups.get(to) : null;
		if (tj.server === 'g.us' && !group)
			return fail(479, `unknown group ${to}`);
		const chatUser = group ? null : this.resolveUser(tj.user, tj.server);
		if (!group && !chatUser)
			return fail(479, `${to} is not on WhatsApp (not a contact or account)`);

		/* (device jid, enc) pairs. */
		const pairs = [];
		let skmsg = null;
		const parts = child(node, 'participants');
		for (const t of children(parts))
			if (t.tag === 'to')
				for (const e of children(t).filter(x => x.tag === 'enc'))
					pairs.push({ jid: t.attrs.jid, enc: e });
		for (const e of children(node).filter(x => x.tag === 'enc')) {
			if (e.attrs.type === 'skmsg')
				skmsg = e;
			else
				pairs.push({ jid: node.attrs.participant || to, enc: e });
		}
		if (!pairs.length && !skmsg)
			return fail(479, 'message with no <enc>');
		const di = child(node, 'device-identity');
		if (pairs.some(p => p.enc.attrs.type === 'pkmsg')) {
			const why = di ? this.checkDeviceIdentity(conn, contentBytes(di)) :
			    'pkmsg without <device-identity>';
			if (why)
				conn.error(`message ${id}: ${why}`);
		}
		for (const { jid, enc } of pairs)
			rec.deliveries.push(await this.deliverOne(conn, node, jid, enc,
			    group));
		if (skmsg)
			for (const s of this.groupDevices(group))
				rec.deliveries.push(await this.deliverSk(conn, node, s, skmsg,
				    group));
		rec.text = (rec.deliveries.find(d => d.text !== null &&
		    d.text !== undefined && !d.own) || rec.deliveries.find(d =>
		    d.text !== null && d.text !== undefined) || {}).text ?? null;
		push(this.received, rec);
		/* Server phash: over the devices it would fan out to (the chat's
		 * and the sender's own, less the sending device). */
		const extra = {};
		if (node.attrs.phash) {
			const want = this.expectedDevices(conn, chatUser, group, tj.server);
			const ph = participantHash(want);
			if (ph !== node.attrs.phash)
				extra.phash = ph;
		}
		this.ack(conn, node, extra);
	}

	expectedDevices(conn, chatUser, group, server) {
		const me = jidSplit(conn.jid);
		const own = this.resolveUser(me.user, SERVER);
		let out = [];
		if (group) {
			for (const m of group.members) {
				const u = this.resolveUser(m, SERVER);
				if (u)
					out.push(...this.deviceJids(u, group.lid ? 'lid' : SERVER));
			}
		} else {
			out = this.deviceJids(chatUser, server);
			if (own && own.owner !== chatUser.owner)
				out.push(...this.deviceJids(own, server));
		}
		const mine = server === 'lid' ? conn.lid : conn.jid;
		return out.filter(j => j !== mine && j !== conn.jid && j !== conn.lid);
	}

	/* Verifies the sender's ADVSignedDeviceIdentity (sent with pkmsg):
	 * details of the linked device, account signature by the phone. */
	checkDeviceIdentity(conn, raw) {
		let m;
		try {
			m = proto.ADVSignedDeviceIdentity.decode(raw);
		} catch (err) {
			return `<device-identity> does not decode: ${err.message}`;
		}
		const j = jidSplit(conn.jid);
		const p = this.sim.phones.get(j.user);
		const dev = p && p.devices.get(j.device);
		if (!dev || !p)
			return 'device-identity from an unknown device';
		if (!m.details || !m.accountSignature || !m.deviceSignature)
			return '<device-identity> lacks details or signatures';
		const msg = Buffer.concat([Buffer.from([6, 0]), m.details, dev.identityPub]);
		if (!curveVerify(p.identity.pub, msg, m.accountSignature))
			return '<device-identity> account signature does not verify';
		const dmsg = Buffer.concat([Buffer.from([6, 1]), m.details,
		    dev.identityPub, p.identity.pub]);
		if (!curveVerify(dev.identityPub, dmsg, m.deviceSignature))
			return '<device-identity> device signature does not verify';
		const d = proto.ADVDeviceIdentity.decode(m.details);
		if (d.keyIndex !== dev.keyIndex)
			return `<device-identity> key index ${d.keyIndex}, want ${dev.keyIndex}`;
		return null;
	}

	/* Simulated devices of a group's members (contacts' devices and the
	 * account phones' device 0). */
	groupDevices(group) {
		const out = [];
		for (const m of group.members) {
			const c = this.contacts.get(m);
			const p = this.sim.phones.get(m);
			if (c)
				out.push(...c.devices.values());
			else if (p)
				out.push(this.phoneSig(p));
		}
		return out;
	}

	/* Decrypts one pairwise <enc> at the device it is addressed to. */
	async deliverOne(conn, node, jid, enc, group) {
		const d = { to: jid, type: enc.attrs.type, count: enc.attrs.count ?
		    Number(enc.attrs.count) : 0, ok: false, text: null, error: null };
		const r = this.resolveDevice(jid);
		if (!r) {
			d.error = `no such device ${jid}`;
			conn.error(`message ${node.attrs.id}: <to jid=${jid}> is not a device of the recipient`);
			return d;
		}
		if (r.kind === 'companion') {
			/* Another companion of the same account: the real server
			 * would fan it out; the simulator only records it. */
			d.error = 'to another companion: recorded, not forwarded';
			d.companion = true;
			return d;
		}
		d.own = !!r.phone;
		const ct = contentBytes(enc);
		if (!ct || (d.type !== 'pkmsg' && d.type !== 'msg') || enc.attrs.v !== '2') {
			d.error = `bad enc (v ${enc.attrs.v}, type ${d.type})`;
			conn.error(`message ${node.attrs.id}: ${d.error}`);
			return d;
		}
		let msg;
		try {
			const pt = await r.sig.repo.decryptMessage({ jid: conn.jid,
			    type: d.type, ciphertext: ct });
			msg = proto.Message.decode(unpad(pt));
		} catch (err) {
			d.error = `decrypt: ${err.message}`;
			conn.error(`message ${node.attrs.id} to ${jid}: ${d.error}`);
			this.sendRetryFromSim(conn, node, r.sig, jid, group);
			return d;
		}
		return this.decoded(conn, node, jid, r, msg, d, group);
	}

	async decoded(conn, node, jid, r, msg, d, group) {
		d.ok = true;
		d.text = textOf(msg);
		d.message = proto.Message.toObject(msg, { bytes: String, longs: String });
		if (msg.deviceSentMessage)
			d.destination = msg.deviceSentMessage.destinationJid || null;
		const inner = msg.deviceSentMessage && msg.deviceSentMessage.message ?
		    msg.deviceSentMessage.message : msg;
		if (msg.senderKeyDistributionMessage || inner.senderKeyDistributionMessage) {
			const item = msg.senderKeyDistributionMessage ||
			    inner.senderKeyDistributionMessage;
			try {
				await r.sig.repo.processSenderKeyDistributionMessage({
				    item, authorJid: conn.jid });
				d.skdm = item.groupId;
			} catch (err) {
				d.error = `sender key distribution: ${err.message}`;
				conn.error(`message ${node.attrs.id} to ${jid}: ${d.error}`);
			}
		}
		if (!r.phone && r.owner.receipts !== false)
			this.deliveryReceipt(conn, node, jid, group);
		return d;
	}

	async deliverSk(conn, node, sig, enc, group) {
		const d = { to: sig.pn, type: 'skmsg', ok: false, text: null,
		    error: null };
		const ct = contentBytes(enc);
		let msg;
		try {
			const pt = await sig.repo.decryptGroupMessage({ group: group.jid,
			    authorJid: conn.jid, msg: ct });
			msg = proto.Message.decode(unpad(pt));
		} catch (err) {
			d.error = `group decrypt: ${err.message}`;
			conn.error(`message ${node.attrs.id} skmsg at ${sig.pn}: ${d.error}`);
			return d;
		}
		const own = this.sim.phones.get(jidSplit(sig.pn).user) === sig.owner;
		return this.decoded(conn, node, sig.pn, { sig, owner: sig.owner,
		    phone: own }, msg, d, group);
	}

	/* The recipient device's delivery receipt, through the server. */
	deliveryReceipt(conn, node, jid, group) {
		node.receipted = node.receipted || new Set();
		if (node.receipted.has(jid))
			return;
		node.receipted.add(jid);
		const attrs = group ? { from: group.jid, participant: jid } :
		    { from: jid };
		attrs.id = node.attrs.id;
		attrs.t = String(nowS());
		this.sim.sendTracked(conn, { tag: 'receipt', attrs });
	}

	/* A simulated device could not decrypt: it asks for a resend
	 * (whatsmeow retry.go sendRetryReceipt shape; keys from count 2). */
	sendRetryFromSim(conn, node, sig, jid, group) {
		const key = `${node.attrs.id}|${jid}`;
		this.simRetries = this.simRetries || new Map();
		const count = (this.simRetries.get(key) || 0) + 1;
		this.simRetries.set(key, count);
		if (count > 5)
			return;
		const attrs = group ? { from: group.jid, participant: jid } :
		    { from: jid };
		Object.assign(attrs, { id: node.attrs.id, type: 'retry',
		    t: String(nowS()) });
		const content = [
			{ tag: 'retry', attrs: { count: String(count), id: node.attrs.id,
			    t: String(nowS()), v: '1' } },
			{ tag: 'registration', attrs: {}, content: be(sig.registrationId, 4) }
		];
		const send = b => {
			if (b)
				content.push({ tag: 'keys', attrs: {}, content: bundleNode('', b)
				    .content.filter(n => n.tag !== 'registration') });
			this.sim.sendTracked(conn, { tag: 'receipt', attrs, content });
		};
		if (count >= 2)
			sig.bundle().then(send);
		else
			send(null);
	}

	/* ---- receipts from the companion ------------------------------- */

	onReceipt(conn, node) {
		return this.serial('receipt', () => this.handleReceipt(conn, node));
	}

	async handleReceipt(conn, node) {
		const a = node.attrs;
		const rec = { at: new Date().toISOString(), conn: conn.id, from: conn.jid,
		    id: a.id, to: a.to || null, type: a.type || null,
		    participant: a.participant || null, recipient: a.recipient || null };
		const list = child(node, 'list');
		if (list)
			rec.more = children(list).map(i => i.attrs.id);
		/* Baileys answers a message it decrypted with the receipt alone
		 * (messages-recv.js), whatsmeow with an ack as well: a receipt
		 * for a message the simulator delivered stands for its ack. */
		if (a.type !== 'retry') {
			for (const mid of [a.id, ...(rec.more || [])]) {
				const m = this.sim.takeTracked(conn, { tag: 'ack', attrs: {
				    id: mid, class: 'message', to: a.to } });
				if (m && m.tag === 'message')
					conn.acked.push(mid);
				else if (m)
					conn.awaitingAck.set(`${m.id}|${m.from || ''}|${m.tag}|${m.type || ''}`, m);
			}
		}
		const ackAttrs = { class: 'receipt', id: a.id, from: a.to || SERVER };
		if (a.type)
			ackAttrs.type = a.type;
		if (a.participant)
			ackAttrs.participant = a.participant;
		if (a.type === 'retry') {
			const r = child(node, 'retry');
			rec.retry = r ? { count: Number(r.attrs.count), id: r.attrs.id,
			    t: r.attrs.t, v: r.attrs.v } : null;
			const reg = contentBytes(child(node, 'registration'));
			rec.registrationId = reg && reg.length === 4 ? reg.readUInt32BE(0) : null;
			rec.keys = !!child(node, 'keys');
			push(this.receipts, rec);
			conn.send({ tag: 'ack', attrs: ackAttrs });
			return this.resend(conn, node, rec);
		}
		push(this.receipts, rec);
		conn.send({ tag: 'ack', attrs: ackAttrs });
	}

	/* Retry receipt for a message a simulated device sent: rebuild the
	 * session from <keys> when given (whatsmeow handleRetryReceipt) and
	 * send the same message again with <enc count=N>. */
	async resend(conn, node, rec) {
		const out = this.outgoing.get(`${rec.id}|${conn.jid}`);
		if (!out) {
			rec.resent = false;
			rec.why = 'no such message from the simulator to this device';
			return;
		}
		if (!rec.retry || !(rec.retry.count >= 1)) {
			conn.error(`retry receipt ${rec.id}: <retry count> missing`);
			rec.resent = false;
			return;
		}
		const dev = this.sim.deviceOf(conn.jid);
		const keys = child(node, 'keys');
		if (keys) {
			const ident = contentBytes(child(keys, 'identity'));
			const skey = parseKey(child(keys, 'skey'), true);
			const key = child(keys, 'key') ? parseKey(child(keys, 'key'), false) :
			    undefined;
			if (!ident || ident.length !== 32 || !skey || key === null ||
			    rec.registrationId === null) {
				conn.error(`retry receipt ${rec.id}: malformed <keys>`);
				rec.resent = false;
				return;
			}
			if (!curveVerify(ident, Buffer.concat([KEY_TYPE, skey.pub]), skey.sig))
				conn.error(`retry receipt ${rec.id}: signed pre-key signature does not verify`);
			await out.sig.injectBundle(conn.jid, { registrationId:
			    rec.registrationId, identity: ident, skey, key });
		} else if (!(await out.sig.hasSession(conn.jid))) {
			const b = dev && this.takeCompanionBundle(dev);
			if (b)
				await out.sig.injectBundle(conn.jid, b);
		}
		const e = await out.sig.repo.encryptMessage({ jid: conn.jid,
		    data: pad(out.plain) });
		const stanza = { tag: 'message', attrs: { ...out.attrs }, content: [
		    { tag: 'enc', attrs: { v: '2', type: e.type,
		    count: String(rec.retry.count) }, content: e.ciphertext }] };
		out.retries++;
		rec.resent = true;
		rec.resentType = e.type;
		this.sim.sendTracked(conn, stanza);
	}

	/* ---- messages to the companion (control API) ------------------- */

	/*
	 * POST /send {from, device?, self?, chat?, account?, to?, text,
	 * extended?, id?, corrupt?, lid?, notify?}: the contact `from` (its
	 * device `device`, default 0) or, with self: true, the account's own
	 * phone (a DeviceSentMessage for `chat`) sends `text` to every
	 * companion of `account` (default the only phone) or only to the
	 * device JID `to`.  Resolves {id, deliveries: [{to, type, sent|queued}]}.
	 * HttpError 400/404/409 (companion has no uploaded keys).
	 */
	async send(body) {
		const H = this.sim.HttpError;
		if (typeof body.text !== 'string')
			throw new H(400, 'text must be a string');
		let phone;
		if (body.account !== undefined) {
			phone = this.sim.phones.get(this.sim.normalizeNumber(body.account));
		} else if (this.sim.phones.size === 1) {
			phone = [...this.sim.phones.values()][0];
		} else if (typeof body.to === 'string' && jidSplit(body.to)) {
			phone = this.sim.phones.get(jidSplit(body.to).user);
		}
		if (!phone)
			throw new H(404, 'no such account (give "account")');
		let sig, from, attrs;
		const useLid = !!body.lid;
		const inner = body.extended ? { extendedTextMessage: { text: body.text } } :
		    { conversation: body.text };
		let message = inner;
		const id = typeof body.id === 'string' && body.id ? body.id : messageId();
		const t = String(nowS());
		if (body.self) {
			sig = this.phoneSig(phone);
			const chat = body.chat;
			if (!jidSplit(chat))
				throw new H(400, 'self send needs chat (the destination JID)');
			from = useLid ? `${phone.lidUser}@lid` : phone.jid;
			message = { deviceSentMessage: { destinationJid: chat, message: inner } };
			attrs = { from, recipient: chat, id, t, type: 'text' };
		} else {
			const c = this.contacts.get(this.sim.normalizeNumber(body.from));
			if (!c)
				throw new H(404, `no contact ${body.from} (POST /contact first)`);
			const dn = body.device === undefined ? 0 : Number(body.device);
			sig = c.devices.get(dn);
			if (!sig)
				throw new H(404, `contact ${c.number} has no device ${dn}`);
			from = useLid ? sig.lid : sig.pn;
			attrs = { from, id, t, type: 'text',
			    notify: typeof body.notify === 'string' ? body.notify :
			    (c.name || c.number) };
			if (useLid)
				attrs.sender_pn = sig.pn;
			else
				attrs.sender_lid = sig.lid;
		}
		let group = null;
		if (body.group !== undefined) {
			group = this.groups.get(body.group);
			if (!group)
				throw new H(404, `no group ${body.group} (POST /group first)`);
			if (body.self || !group.members.includes(sig.owner.number))
				throw new H(400, 'a group send comes from a contact that is a member');
			attrs = { from: group.jid, participant: sig.pn,
			    participant_lid: sig.lid, id, t, type: 'text',
			    notify: attrs.notify };
		}
		let targets = [...phone.devices.values()];
		if (body.to !== undefined)
			targets = targets.filter(d => d.jid === body.to || d.lid === body.to);
		if (!targets.length)
			throw new H(404, 'no companion device to send to');
		const plain = Buffer.from(proto.Message.encode(message).finish());
		if (group)
			return this.sendGroup(body, { phone, sig, from, attrs, id,
			    plain, group, targets });
		const deliveries = [];
		for (const dev of targets) {
			if (!(await sig.hasSession(dev.jid))) {
				const b = this.takeCompanionBundle(dev);
				if (!b)
					throw new H(409, `${dev.jid} has uploaded no pre-keys`);
				await sig.injectBundle(dev.jid, b);
			}
			if (body.whisper)
				sig.confirmSession(dev.jid);
			const e = await sig.repo.encryptMessage({ jid: dev.jid,
			    data: pad(plain) });
			let ct = Buffer.from(e.ciphertext);
			if (body.corrupt)
				ct = corrupt(e.type, ct);
			const stanza = { tag: 'message', attrs: { ...attrs }, content: [
			    { tag: 'enc', attrs: { v: '2', type: e.type }, content: ct }] };
			this.outgoing.set(`${id}|${dev.jid}`, { id, sig, plain, attrs,
			    retries: 0, to: dev.jid });
			if (this.outgoing.size > KEEP)
				this.outgoing.delete(this.outgoing.keys().next().value);
			const conn = [...this.sim.conns.values()].find(c => c.live &&
			    c.phase === 'logged-in' && c.jid === dev.jid);
			const d = { to: dev.jid, type: e.type, corrupt: !!body.corrupt };
			if (conn) {
				this.sim.sendTracked(conn, stanza);
				d.sent = true;
			} else {
				dev.pending = dev.pending || [];
				dev.pending.push(stanza);
				d.queued = true;
			}
			deliveries.push(d);
		}
		push(this.sent, { at: new Date().toISOString(), id, from,
		    text: body.text, self: !!body.self, deliveries });
		return { id, from, deliveries };
	}

	/*
	 * A contact's group message to the companions (whatsmeow send.go
	 * sendGroup, Baileys relayMessage for groups): one stanza per
	 * companion device <message from=group participant> holding, the
	 * first time that device hears from this sender in this group, a
	 * pairwise <enc pkmsg|msg> with only a SenderKeyDistributionMessage,
	 * then one <enc type=skmsg> with the padded message under the
	 * sender key (Baileys encryptGroupMessage).  `corrupt` breaks the
	 * skmsg.  Resolves {id, deliveries: [{to, types, skdm, sent|queued}]}.
	 */
	async sendGroup(body, o) {
		const H = this.sim.HttpError;
		const { sig, attrs, id, plain, group } = o;
		const e = await sig.repo.encryptGroupMessage({ group: group.jid,
		    meId: sig.pn, data: pad(plain) });
		let sk = Buffer.from(e.ciphertext);
		if (body.corrupt)
			sk[sk.length - 1] ^= 1;
		group.skSent = group.skSent || new Set();
		const skdmPart = { groupId: group.jid,
		    axolotlSenderKeyDistributionMessage: e.senderKeyDistributionMessage };
		const skdm = Buffer.from(proto.Message.encode({
		    senderKeyDistributionMessage: skdmPart }).finish());
		/* What a retry receipt gets back, pairwise (whatsmeow
		 * handleRetryReceipt: the message with the sender key). */
		const retryPlain = Buffer.from(proto.Message.encode({
		    ...proto.Message.decode(plain), senderKeyDistributionMessage:
		    skdmPart }).finish());
		const deliveries = [];
		for (const dev of o.targets) {
			const content = [];
			const key = `${sig.pn}|${dev.jid}`;
			const d = { to: dev.jid, types: [], skdm: false,
			    corrupt: !!body.corrupt };
			if (body.skdm !== false && (!group.skSent.has(key) || body.skdm)) {
				if (!(await sig.hasSession(dev.jid))) {
					const b = this.takeCompanionBundle(dev);
					if (!b)
						throw new H(409, `${dev.jid} has uploaded no pre-keys`);
					await sig.injectBundle(dev.jid, b);
				}
				const pe = await sig.repo.encryptMessage({ jid: dev.jid,
				    data: pad(skdm) });
				content.push({ tag: 'enc', attrs: { v: '2', type: pe.type },
				    content: Buffer.from(pe.ciphertext) });
				group.skSent.add(key);
				d.types.push(pe.type);
				d.skdm = true;
			}
			content.push({ tag: 'enc', attrs: { v: '2', type: 'skmsg' },
			    content: sk });
			d.types.push('skmsg');
			const stanza = { tag: 'message', attrs: { ...attrs }, content };
			this.outgoing.set(`${id}|${dev.jid}`, { id, sig,
			    plain: retryPlain, attrs, retries: 0, to: dev.jid });
			if (this.outgoing.size > KEEP)
				this.outgoing.delete(this.outgoing.keys().next().value);
			const conn = [...this.sim.conns.values()].find(c => c.live &&
			    c.phase === 'logged-in' && c.jid === dev.jid);
			if (conn) {
				this.sim.sendTracked(conn, stanza);
				d.sent = true;
			} else {
				dev.pending = dev.pending || [];
				dev.pending.push(stanza);
				d.queued = true;
			}
			deliveries.push(d);
		}
		push(this.sent, { at: new Date().toISOString(), id, from: o.from,
		    group: group.jid, text: body.text, deliveries });
		return { id, from: o.from, group: group.jid, deliveries };
	}

	/* Delivers what /send queued while the device was offline. */
	flushPending(conn) {
		const dev = this.sim.deviceOf(conn.jid);
		if (!dev || !dev.pending || !dev.pending.length)
			return;
		const q = dev.pending;
		dev.pending = [];
		for (const s of q) {
			s.attrs.offline = '1';
			this.sim.sendTracked(conn, s);
		}
	}

	/* ---- groups ---------------------------------------------------- */

	/*
	 * POST /group {jid?, subject?, members: [numbers], admins?: [numbers],
	 * announce?, locked?, description?}: members are contacts or
	 * simulated accounts' phones (an account in members takes part in
	 * the group: it is listed by the participating query).  The first
	 * member is the creator and superadmin; admins are type="admin".
	 * A group added while an account member is connected is announced
	 * to it with <notification type=w:gp2><create><group/></create>
	 * (whatsmeow parseGroupCreate), as the server does on creation.
	 */
	addGroup(body) {
		const H = this.sim.HttpError;
		const jid = body.jid || `120363${randomInt(100000000, 999999999)}${randomInt(100000, 999999)}@g.us`;
		if (!/^[0-9-]+@g\.us$/.test(jid))
			throw new H(400, 'group jid must be digits@g.us');
		if (!Array.isArray(body.members) || !body.members.length)
			throw new H(400, 'members must be a list of contact numbers');
		const members = this.memberList(body.members);
		const admins = body.admins === undefined ? [] :
		    this.memberList(body.admins);
		for (const a of admins)
			if (!members.includes(a))
				throw new H(400, `admin ${a} is not a member`);
		if (body.subject !== undefined && typeof body.subject !== 'string')
			throw new H(400, 'subject must be a string');
		const g = { jid, subject: body.subject || 'wasim group', members,
		    admins, announce: !!body.announce, locked: !!body.locked,
		    description: typeof body.description === 'string' ?
		    body.description : null, lid: !!body.lid, creation: nowS(),
		    subjectTime: nowS() };
		const existed = this.groups.has(jid);
		this.groups.set(jid, g);
		if (!existed && body.announceCreate !== false)
			this.notifyGroup(g, g.members, [{ tag: 'create',
			    attrs: { type: 'new', reason: 'create' },
			    content: [this.groupNode(g)] }], members[0]);
		return { jid, subject: g.subject, members };
	}

	memberList(list) {
		const H = this.sim.HttpError;
		if (!Array.isArray(list))
			throw new H(400, 'members/admins must be lists of numbers');
		const out = list.map(m => this.sim.normalizeNumber(m));
		for (const m of out)
			if (!this.contacts.has(m) && !this.sim.phones.has(m))
				throw new H(404, `member ${m} is neither a contact nor an account`);
		return out;
	}

	/* <participant jid type?> of member m (whatsmeow parseParticipant:
	 * a LID participant carries phone_number, a phone one lid). */
	participantNode(g, m) {
		const u = this.resolveUser(m, SERVER);
		const jid = g.lid ? `${u.owner.lidUser}@lid` : `${m}@${SERVER}`;
		const attrs = { jid };
		if (g.lid)
			attrs.phone_number = `${m}@${SERVER}`;
		else
			attrs.lid = `${u.owner.lidUser}@lid`;
		if (m === g.members[0])
			attrs.type = 'superadmin';
		else if (g.admins && g.admins.includes(m))
			attrs.type = 'admin';
		return { tag: 'participant', attrs };
	}

	/* A <group> as the participating query and <create> carry it
	 * (whatsmeow parseGroupNode). */
	groupNode(g) {
		const content = g.members.map(m => this.participantNode(g, m));
		if (g.description !== null && g.description !== undefined)
			content.push({ tag: 'description', attrs: { id: 'd1',
			    t: String(g.creation) }, content: [{ tag: 'body',
			    attrs: {}, content: Buffer.from(g.description) }] });
		if (g.announce)
			content.push({ tag: 'announcement', attrs: {} });
		if (g.locked)
			content.push({ tag: 'locked', attrs: {} });
		return { tag: 'group', attrs: {
		    id: g.jid.replace(/@g\.us$/, ''), subject: g.subject,
		    s_t: String(g.subjectTime || g.creation),
		    s_o: `${g.members[0]}@${SERVER}`,
		    creation: String(g.creation),
		    creator: `${g.members[0]}@${SERVER}`,
		    size: String(g.members.length),
		    addressing_mode: g.lid ? 'lid' : 'pn' }, content };
	}

	/* iq xmlns=w:g2 type=get to=<group> <query/>: group metadata
	 * (Baileys groupMetadata / whatsmeow GetGroupInfo). */
	onGroupIq(conn, iq) {
		const g = this.groups.get(iq.attrs.to);
		if (!g)
			return this.sim.iqError(conn, iq, 404, 'item-not-found');
		const node = this.groupNode(g);
		/* The metadata answer carries participants only. */
		node.content = node.content.filter(c => c.tag === 'participant');
		delete node.attrs.size;
		this.sim.iqResult(conn, iq, [node]);
	}

	/*
	 * iq xmlns=w:g2 type=get to=@g.us <participating><participants/>
	 * <description/></participating> (whatsmeow GetJoinedGroups,
	 * Baileys groupFetchAllParticipating): every group the connection's
	 * account is a member of, answered from the group server "@g.us".
	 * POST /groups-query {error: code, count?} makes the next queries
	 * (count, default 1) fail with that IQ error; {silent: true} leaves
	 * them unanswered.
	 */
	onParticipatingIq(conn, iq) {
		this.participatingQueries = (this.participatingQueries || 0) + 1;
		const f = this.participatingFault;
		if (f && f.count !== 0) {
			if (f.count > 0 && --f.count === 0)
				this.participatingFault = null;
			if (f.silent)
				return;
			return conn.send({ tag: 'iq', attrs: { from: '@g.us',
			    type: 'error', id: iq.attrs.id }, content: [{
			    tag: 'error', attrs: { code: String(f.error),
			    text: 'simulated' } }] });
		}
		const me = jidSplit(conn.jid).user;
		const mine = [...this.groups.values()].filter(g =>
		    g.members.includes(me));
		conn.send({ tag: 'iq', attrs: { from: '@g.us', type: 'result',
		    id: iq.attrs.id }, content: [{ tag: 'groups', attrs: {},
		    content: mine.map(g => this.groupNode(g)) }] });
	}

	/*
	 * <notification type=w:gp2 from=group participant=actor> with
	 * "content" to every live companion connection of the accounts
	 * among "members" (whatsmeow handleGroupNotification /
	 * parseGroupChange; Baileys messages-recv handleGroupNotification).
	 */
	notifyGroup(g, members, content, actor) {
		for (const m of new Set(members)) {
			if (!this.sim.phones.has(m))
				continue;
			for (const c of this.sim.targets(`${m}@${SERVER}`)) {
				if (c.phase !== 'logged-in')
					continue;
				this.sim.sendTracked(c, { tag: 'notification', attrs: {
				    from: g.jid, type: 'w:gp2',
				    id: String(randomInt(1e9, 2 ** 31)),
				    t: String(nowS()),
				    participant: `${actor || g.members[0]}@${SERVER}`,
				    notify: 'wasim' }, content });
			}
		}
	}

	/*
	 * POST /group-update {jid, by?, subject?, add?: [numbers],
	 * remove?: [numbers], promote?, demote?, announce?: bool,
	 * locked?: bool, delete?: true}: change the group as its members'
	 * phones would and notify the accounts concerned with one w:gp2
	 * notification (removed members get it too, as on the real
	 * server, so a companion learns it was removed).
	 */
	updateGroup(body) {
		const H = this.sim.HttpError;
		const g = this.groups.get(body.jid);
		if (!g)
			throw new H(404, `no group ${body.jid}`);
		const by = body.by ? this.sim.normalizeNumber(body.by) : g.members[0];
		const content = [];
		const notified = new Set(g.members);
		const plist = (g2, list) => list.map(m => ({ tag: 'participant',
		    attrs: this.participantNode(g2, m).attrs }));
		if (body.subject !== undefined) {
			if (typeof body.subject !== 'string' || !body.subject)
				throw new H(400, 'subject must be a non-empty string');
			g.subject = body.subject;
			g.subjectTime = nowS();
			content.push({ tag: 'subject', attrs: { subject: g.subject,
			    s_t: String(g.subjectTime), s_o: `${by}@${SERVER}` } });
		}
		if (body.add !== undefined) {
			const add = this.memberList(body.add).filter(m =>
			    !g.members.includes(m));
			g.members.push(...add);
			for (const m of add)
				notified.add(m);
			if (add.length)
				content.push({ tag: 'add', attrs: { reason: 'invite' },
				    content: plist(g, add) });
		}
		if (body.remove !== undefined) {
			const rem = this.memberList(body.remove).filter(m =>
			    g.members.includes(m));
			if (rem.length)
				content.push({ tag: 'remove', attrs: {},
				    content: plist(g, rem) });
			g.members = g.members.filter(m => !rem.includes(m));
			g.admins = g.admins.filter(m => !rem.includes(m));
		}
		for (const k of ['promote', 'demote']) {
			if (body[k] === undefined)
				continue;
			const list = this.memberList(body[k]).filter(m =>
			    g.members.includes(m));
			if (k === 'promote')
				g.admins.push(...list.filter(m => !g.admins.includes(m)));
			else
				g.admins = g.admins.filter(m => !list.includes(m));
			if (list.length)
				content.push({ tag: k, attrs: {}, content: plist(g, list) });
		}
		if (body.announce !== undefined) {
			g.announce = !!body.announce;
			content.push({ tag: g.announce ? 'announcement' :
			    'not_announcement', attrs: { v_id: String(nowS()) } });
		}
		if (body.locked !== undefined) {
			g.locked = !!body.locked;
			content.push({ tag: g.locked ? 'locked' : 'unlocked', attrs: {} });
		}
		if (body.delete) {
			this.groups.delete(g.jid);
			content.push({ tag: 'delete', attrs: { reason: 'delete' } });
		}
		if (!content.length)
			throw new H(400, 'nothing to change');
		this.notifyGroup(g, [...notified], content, by);
		return { jid: g.jid, subject: g.subject, members: g.members,
		    deleted: !!body.delete };
	}

	groupsQueryFault(body) {
		const H = this.sim.HttpError;
		if (body.silent) {
			this.participatingFault = { silent: true,
			    count: body.count === undefined ? 1 : body.count };
			return { fault: this.participatingFault };
		}
		if (!Number.isInteger(body.error) || body.error < 400)
			throw new H(400, 'error must be an IQ error code');
		this.participatingFault = { error: body.error,
		    count: body.count === undefined ? 1 : body.count };
		return { fault: this.participatingFault };
	}

	/* ---- state ----------------------------------------------------- */

	filter(list, q) {
		return list.filter(r => (!q.account || (r.from &&
		    jidSplit(r.from).user === q.account)) && (!q.id || r.id === q.id));
	}

	info() {
		return {
			contacts: [...this.contacts.values()].map(c => this.contactInfo(c)),
			groups: [...this.groups.values()],
			participatingQueries: this.participatingQueries || 0,
			keyFetches: this.keyFetches.slice(-100),
			sent: this.sent.slice(-100)
		};
	}
}

/* Breaks the MAC of a Signal message so that decryption fails (for the
 * retry-receipt path); a pkmsg keeps its header and has its inner
 * message's last byte flipped. */
export function corrupt(type, ct) {
	const b = Buffer.from(ct);
	if (type === 'msg') {
		b[b.length - 1] ^= 1;
		return b;
	}
	const m = PreKeyWhisperMessage.decode(b.subarray(1));
	const inner = Buffer.from(m.message);
	inner[inner.length - 1] ^= 1;
	m.message = inner;
	return Buffer.concat([b.subarray(0, 1),
	    Buffer.from(PreKeyWhisperMessage.encode(m).finish())]);
}

export { nodeString };
