/*
 * The simulated WhatsApp server: per-connection protocol state (Noise
 * handshake, ClientPayload validation, registration with pair-device refs,
 * login, keepalive, logout), the simulated phones that scan QR codes and
 * enter pairing codes, and the fault controls.  The HTTP control API in
 * control.js calls the public methods of Simulator.
 *
 * Protocol facts are from /work/shared/protocol/wa-md-protocol.md (section
 * numbers cited as "spec N.N"); that document restates whatsmeow
 * (pair.go, pair-code.go, handshake.go, keepalive.go, connectionevents.go)
 * and Baileys (socket.ts, validate-connection.ts, messages-recv.ts).
 */
import {
	createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes,
	randomInt, timingSafeEqual
} from 'node:crypto';
import { curveSign, curveVerify } from './xeddsa.js';
import { E2E } from './e2e.js';
import {
	FrameReader, NoiseResponder, WireError, child, children, contentBytes,
	decodeProto, frameWrap, gcmOpen, hkdf, nodeDecode, nodeEncode, nodeString,
	proto, sha256, x25519, x25519KeyPair
} from './wire.js';

const SERVER = '@s.whatsapp.net';
const QR_PREFIX = 'https://wa.me/settings/linked_devices#';
/* spec 6.4: first ref 60 s, then 20 s each, six refs. */
const REF_FIRST_S = 60;
const REF_NEXT_S = 20;
const REF_COUNT = 6;
/* Pairing-code lifetime bound (spec 7.3 "~160-210 s"). */
const LINK_CODE_S = 210;
/* Companion-type codes of the QR / companion_platform_id (spec 6.3). */
const PLATFORM_IDS = new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
    'c', 'e']);
/* "<Browser> (<OS>)" names the server accepts in companion_platform_display
 * (spec 7.2); anything else gets 400 bad-request. */
const DISPLAY_BROWSERS = new Set(['Chrome', 'Firefox', 'Safari', 'Edge',
    'Opera', 'IE', 'Desktop', 'Electron', 'Ubuntu']);
const CROCKFORD = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
const PLATFORM_WEB = 14;

function nowS() {
	return Math.floor(Date.now() / 1000);
}

function iqId() {
	return String(randomInt(1000000000, 4294967295));
}

function has(m, f) {
	return m != null && Object.prototype.hasOwnProperty.call(m, f) &&
	    m[f] !== null && m[f] !== undefined;
}

function eqBytes(a, b) {
	return a != null && b != null && a.length === b.length &&
	    timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/* Canonical standard base64 of exactly n bytes, else null. */
function b64Exact(s, n) {
	if (typeof s !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(s))
		return null;
	const b = Buffer.from(s, 'base64');
	if (b.length !== n || b.toString('base64') !== s)
		return null;
	return b;
}

/* "15550100:3@s.whatsapp.net" -> {user, device, server}; null if not a JID. */
export function jidParse(jid) {
	if (typeof jid !== 'string')
		return null;
	const m = /^([0-9]*)(?::([0-9]+))?@([a-z.]+)$/.exec(jid);
	if (!m)
		return null;
	return { user: m[1], device: m[2] === undefined ? null : Number(m[2]),
	    server: m[3] };
}

class HttpError extends Error {
	constructor(status, msg) {
		super(msg);
		this.status = status;
	}
}

export { HttpError };

/* One WebSocket connection from a client. */
class Conn {
	constructor(sim, id, ws, remote) {
		this.sim = sim;
		this.id = id;
		this.ws = ws;
		this.remote = remote;
		this.phase = 'handshake';
		this.openedAt = Date.now();
		this.reader = new FrameReader();
		this.noise = new NoiseResponder({ staticKey: sim.serverStatic,
		    certChain: sim.certChain });
		this.frames = 0;
		this.clientStatic = null;
		this.payload = null;
		this.kind = null;
		this.reg = null;
		this.jid = null;
		this.lid = null;
		this.refs = [];
		this.refsStart = 0;
		this.pairDeviceId = null;
		this.pairDeviceAcked = false;
		this.waiters = new Map();
		this.timers = [];
		this.silenced = false;
		this.passive = null;
		this.pings = 0;
		this.pingsWhilePairing = 0;
		this.pingsWithChild = 0;
		this.pingsIgnored = 0;
		this.countAsked = false;
		this.foreignIqAnswered = 0;
		this.acks = 0;
		this.received = 0;
		this.linkCode = null;
		this.closeReason = null;
		this.unhandled = [];
		this.awaitingAck = new Map();
		this.acked = [];
	}

	get live() {
		return this.phase !== 'closed';
	}

	log(msg) {
		this.sim.log(`conn ${this.id}: ${msg}`);
	}

	error(msg) {
		this.sim.recordError(this, msg);
	}

	timer(ms, fn) {
		const t = setTimeout(() => {
			this.timers = this.timers.filter(x => x !== t);
			if (!this.live)
				return;
			try {
				fn();
			} catch (err) {
				this.sim.log(`BUG: conn ${this.id} timer: ${err.stack}`);
				this.error(`internal error: ${err.message}`);
			}
		}, ms);
		this.timers.push(t);
		return t;
	}

	/* Encrypts and sends one node; false if the socket is gone. */
	send(node) {
		/* Nothing can be sent before the Noise transport keys exist. */
		if (!this.live || this.ws.readyState !== 1 || !this.noise.writeKey)
			return false;
		this.sim.debug(`conn ${this.id} >> ${nodeString(node)}`);
		this.ws.send(frameWrap(this.noise.encrypt(nodeEncode(node))));
		return true;
	}

	/* Sends raw bytes (already framed). */
	sendRaw(bytes) {
		if (this.live && this.ws.readyState === 1)
			this.ws.send(bytes);
	}

	/* Stream end: optional last node, then a normal WebSocket close. */
	end(reason, lastNode) {
		if (!this.live)
			return;
		this.closeReason = reason;
		if (lastNode)
			this.send(lastNode);
		this.send({ tag: 'xmlstreamend', attrs: {} });
		this.log(`closing: ${reason}`);
		const ws = this.ws;
		this.onClosed();
		/* Let the send flush before the close frame. */
		setTimeout(() => ws.close(1000), 20);
	}

	/* TCP close without a word (/drop). */
	drop() {
		if (!this.live)
			return;
		this.closeReason = 'dropped';
		this.onClosed();
		this.ws.terminate();
	}

	onClosed() {
		if (this.phase === 'closed')
			return;
		this.closedPhase = this.phase;
		this.phase = 'closed';
		this.closedAt = Date.now();
		for (const t of this.timers)
			clearTimeout(t);
		this.timers = [];
		for (const w of this.waiters.values())
			w(null);
		this.waiters.clear();
		if (this.linkCode && this.linkCode.finish)
			this.linkCode.finish(null);
	}

	/* Resolves with the client's iq answering id, or null on close/timeout. */
	waitIq(id, ms) {
		return new Promise(resolve => {
			const t = setTimeout(() => {
				this.waiters.delete(id);
				resolve(null);
			}, ms);
			this.waiters.set(id, node => {
				clearTimeout(t);
				this.waiters.delete(id);
				resolve(node);
			});
		});
	}

	/* The ref the client should be showing now (exact windows), or null. */
	currentRef() {
		const now = Date.now();
		return this.refs.find(r => r.shownAt <= now && now < r.expiresAt) ||
		    null;
	}

	/* A scanned ref counts if its window (plus a small grace for the
	 * client's display and the HTTP call) has not passed. */
	refScannable(r) {
		const now = Date.now();
		return r.shownAt <= now && now < r.expiresAt + this.sim.refGraceMs;
	}
}

/*
 * new Simulator({ rootSeed?: Buffer(32), timeScale?: number, minVersion?:
 * [a, b, c], log?: fn, debug?: bool }).  All keys derive from the root key
 * (random unless rootSeed is given), so a fixed seed reproduces the same
 * server static key and certificate keys (validity times follow the clock).
 */
export class Simulator {
	constructor(opts = {}) {
		this.timeScale = opts.timeScale > 0 ? opts.timeScale : 1;
		this.minVersion = opts.minVersion || [2, 3000, 1000000000];
		this.logFn = opts.log || (m => process.stderr.write(`wasim: ${m}\n`));
		this.debugOn = !!opts.debug;
		this.refGraceMs = 250;
		this.root = x25519KeyPair(opts.rootSeed || undefined);
		this.intermediate = x25519KeyPair(sha256(
		    Buffer.from('wasim intermediate'), this.root.priv));
		this.serverStatic = x25519KeyPair(sha256(
		    Buffer.from('wasim server static'), this.root.priv));
		this.certChain = this.makeCertChain();
		this.phones = new Map();
		this.conns = new Map();
		this.nextConnId = 1;
		this.pingsAnswered = 0;
		this.logouts = [];
		/* Logins that replaced a live one of the same device (a
		 * conflict type="replaced" sent): two clients fighting. */
		this.replaced = [];
		this.errors = [];
		this.outdatedNext = new Set();
		/* One-shot /stall-login flags, keyed as outdatedNext. */
		this.stallNext = new Set();
		this.startedAt = Date.now();
		this.HttpError = HttpError;
		this.e2e = new E2E(this);
	}

	log(msg) {
		this.logFn(msg);
	}

	debug(msg) {
		if (this.debugOn)
			this.logFn(msg);
	}

	recordError(conn, msg) {
		const e = { at: new Date().toISOString(), conn: conn ? conn.id : null,
		    error: msg };
		this.errors.push(e);
		if (this.errors.length > 500)
			this.errors.shift();
		this.log(`error${conn ? ` conn ${conn.id}` : ''}: ${msg}`);
	}

	scaled(seconds) {
		return seconds * 1000 / this.timeScale;
	}

	/*
	 * CertChain{leaf, intermediate} (spec 3.2): intermediate serial 1 issued
	 * by the root (issuerSerial 0), leaf serial 2 issued by the intermediate
	 * for the server static key; valid from a day ago for a year.
	 */
	makeCertChain() {
		const D = proto.CertChain.NoiseCertificate.Details;
		const t = nowS();
		const inter = Buffer.from(D.encode({ serial: 1, issuerSerial: 0,
		    key: this.intermediate.pub, notBefore: t - 86400,
		    notAfter: t + 365 * 86400 }).finish());
		const leaf = Buffer.from(D.encode({ serial: 2, issuerSerial: 1,
		    key: this.serverStatic.pub, notBefore: t - 86400,
		    notAfter: t + 365 * 86400 }).finish());
		return Buffer.from(proto.CertChain.encode({
			leaf: { details: leaf, signature: curveSign(
			    this.intermediate.priv, leaf, randomBytes(64)) },
			intermediate: { details: inter, signature: curveSign(
			    this.root.priv, inter, randomBytes(64)) }
		}).finish());
	}

	/*
	 * The simulated phone for a number, created on first use.  Accepts
	 * "15550100", "+1 555-0100", 15550100 or "15550100@s.whatsapp.net";
	 * HttpError 400 for anything else (7-15 digits, no leading 0).
	 */
	normalizeNumber(number) {
		const orig = number;
		if (typeof number === 'number' && Number.isSafeInteger(number))
			number = String(number);
		if (typeof number === 'string')
			number = number.replace(/@s\.whatsapp\.net$/, '')
			    .replace(/^\+/, '').replace(/[\s-]/g, '');
		if (typeof number !== 'string' || !/^[1-9][0-9]{6,14}$/.test(number))
			throw new HttpError(400, `bad phone number ${JSON.stringify(orig)}`);
		return number;
	}

	phone(number) {
		number = this.normalizeNumber(number);
		if (this.e2e.contacts.has(number))
			throw new HttpError(409, `${number} is a simulated contact, not an account phone`);
		let p = this.phones.get(number);
		if (!p) {
			p = {
				number,
				jid: `${number}@s.whatsapp.net`,
				lidUser: String(100000000000000 + randomInt(0, 2 ** 40)),
				identity: x25519KeyPair(sha256(Buffer.from('wasim phone '),
				    Buffer.from(number), this.root.priv)),
				rawId: randomInt(1, 2 ** 31),
				nextDevice: 1,
				nextKeyIndex: 1,
				devices: new Map(),
				banned: false
			};
			this.phones.set(number, p);
		}
		return p;
	}

	/* ---- connections ---------------------------------------------- */

	/* Called by server.js for each accepted WebSocket. */
	accept(ws, remote) {
		const conn = new Conn(this, this.nextConnId++, ws, remote);
		this.conns.set(conn.id, conn);
		conn.log(`open from ${remote}`);
		/* Spec 1.5: 20 s handshake timeout. */
		conn.timer(20000, () => {
			if (conn.phase === 'handshake')
				conn.end('handshake timeout');
		});
		ws.on('message', (data, isBinary) => {
			if (!isBinary) {
				conn.log('ignoring a text WebSocket message');
				return;
			}
			try {
				this.onData(conn, data);
			} catch (err) {
				if (!(err instanceof WireError))
					this.log(`BUG: ${err.stack}`);
				conn.error(`${err.message}`);
				if (conn.live) {
					conn.closeReason = `error: ${err.message}`;
					conn.onClosed();
					ws.close(1002);
				}
			}
		});
		ws.on('close', () => {
			if (conn.live) {
				conn.closeReason = 'client closed';
				conn.log('client closed the connection');
				conn.onClosed();
			}
		});
		ws.on('error', err => conn.log(`socket error: ${err.message}`));
		/* Keep the last closed connections only. */
		const closed = [...this.conns.values()].filter(c => !c.live);
		while (closed.length > 200)
			this.conns.delete(closed.shift().id);
	}

	onData(conn, data) {
		if (!conn.live)
			return;
		for (const frame of conn.reader.push(data)) {
			if (!conn.live)
				return;
			conn.frames++;
			if (conn.frames === 1)
				this.onClientHello(conn, frame);
			else if (conn.frames === 2)
				this.onClientFinish(conn, frame);
			else
				this.onTransportFrame(conn, frame);
		}
	}

	onClientHello(conn, frame) {
		conn.sendRaw(frameWrap(conn.noise.serverHello(frame)));
	}

	onClientFinish(conn, frame) {
		const { clientStatic, payload } = conn.noise.clientFinish(frame);
		conn.clientStatic = clientStatic;
		const cp = decodeProto(proto.ClientPayload, payload, 'ClientPayload');
		const v = this.validatePayload(conn, cp);
		conn.payload = v.summary;
		if (!v.ok) {
			conn.error(`ClientPayload rejected (${v.reason}): ${v.why}`);
			conn.phase = 'failed';
			const attrs = { reason: String(v.reason), location: 'sim' };
			if (v.reason === 403) {
				attrs.logout_message_header = 'This account is banned';
				attrs.logout_message_subtext = 'wasim /ban';
			}
			conn.end(`failure ${v.reason}`, { tag: 'failure', attrs });
			return;
		}
		conn.kind = v.kind;
		if (v.kind === 'registration') {
			conn.reg = v.reg;
			this.startRegistration(conn);
		} else {
			this.startLogin(conn, v.device, v.phone);
		}
	}

	onTransportFrame(conn, frame) {
		const node = nodeDecode(conn.noise.decrypt(frame));
		conn.received++;
		this.debug(`conn ${conn.id} << ${nodeString(node)}`);
		this.onNode(conn, node);
	}

	/* ---- ClientPayload (spec 4) ----------------------------------- */

	/*
	 * Returns { ok, kind, summary, reason, why, reg | device, phone }.
	 * Failure reasons per spec 8.5: 409 bad user agent, 405 outdated,
	 * 400 malformed, 401 unknown/unlinked device, 403 banned.
	 */
	validatePayload(conn, cp) {
		const ua = cp.userAgent;
		const av = ua && ua.appVersion;
		const version = av ? [av.primary, av.secondary, av.tertiary]
		    .map(x => x == null ? '?' : String(x)).join('.') : null;
		const summary = {
			kind: has(cp, 'username') ? 'login' : 'registration',
			version,
			platform: ua && has(ua, 'platform') ? ua.platform : null,
			username: has(cp, 'username') ? String(cp.username) : null,
			device: has(cp, 'device') ? cp.device : null,
			passive: has(cp, 'passive') ? cp.passive : null,
			pull: has(cp, 'pull') ? cp.pull : null,
			lidDbMigrated: has(cp, 'lidDbMigrated') ? cp.lidDbMigrated : null,
			connectType: has(cp, 'connectType') ? cp.connectType : null,
			connectReason: has(cp, 'connectReason') ? cp.connectReason : null,
			pushName: has(cp, 'pushName') ? cp.pushName : null
		};
		const fail = (reason, why) => ({ ok: false, reason, why, summary });

		if (!ua)
			return fail(409, 'no userAgent');
		if (!has(ua, 'platform'))
			return fail(409, 'userAgent.platform missing');
		if (!av || !has(av, 'primary') || !has(av, 'secondary') ||
		    !has(av, 'tertiary'))
			return fail(409, 'userAgent.appVersion needs primary/secondary/tertiary');
		for (const f of ['mcc', 'mnc', 'osVersion', 'device',
		    'localeLanguageIso6391', 'localeCountryIso31661Alpha2'])
			if (!has(ua, f))
				return fail(409, `userAgent.${f} missing`);
		if (ua.platform === PLATFORM_WEB && !cp.webInfo)
			return fail(409, 'webInfo missing for platform WEB');
		if (!has(cp, 'connectType') || !has(cp, 'connectReason'))
			return fail(400, 'connectType/connectReason missing');

		const vnum = [av.primary, av.secondary, av.tertiary].map(Number);
		let old = false;
		for (let i = 0; i < 3; i++) {
			if (vnum[i] !== this.minVersion[i]) {
				old = vnum[i] < this.minVersion[i];
				break;
			}
		}
		if (old)
			return fail(405, `version ${version} < minimum ${this.minVersion.join('.')}`);

		if (summary.kind === 'registration') {
			if (this.takeOutdated(null))
				return fail(405, 'forced by /outdated');
			return this.validateRegistration(conn, cp, summary, version);
		}
		return this.validateLogin(conn, cp, summary);
	}

	validateRegistration(conn, cp, summary, version) {
		const fail = (reason, why) => ({ ok: false, reason, why, summary });
		if (has(cp, 'device'))
			return fail(400, 'registration payload with device');
		if (!has(cp, 'passive') || cp.passive !== false ||
		    !has(cp, 'pull') || cp.pull !== false)
			return fail(400, 'registration needs passive=false and pull=false (sent)');
		const d = cp.devicePairingData;
		if (!d)
			return fail(400, 'registration without devicePairingData');
		const len = (f, n) => has(d, f) && d[f].length === n;
		if (!len('eRegid', 4))
			return fail(400, 'eRegid must be 4 bytes');
		if (!len('eKeytype', 1) || d.eKeytype[0] !== 5)
			return fail(400, 'eKeytype must be 05');
		if (!len('eIdent', 32))
			return fail(400, 'eIdent must be 32 bytes');
		if (!len('eSkeyId', 3))
			return fail(400, 'eSkeyId must be 3 bytes');
		if (!len('eSkeyVal', 32))
			return fail(400, 'eSkeyVal must be 32 bytes');
		if (!len('eSkeySig', 64))
			return fail(400, 'eSkeySig must be 64 bytes');
		if (!curveVerify(d.eIdent, Buffer.concat([Buffer.from([5]),
		    d.eSkeyVal]), d.eSkeySig))
			return fail(400, 'eSkeySig does not verify with eIdent over 05||eSkeyVal');
		const md5 = createHash('md5').update(version).digest();
		if (!len('buildHash', 16) || !eqBytes(d.buildHash, md5))
			return fail(400, `buildHash is not MD5("${version}")`);
		if (!has(d, 'deviceProps'))
			return fail(400, 'deviceProps missing');
		let props;
		try {
			props = decodeProto(proto.DeviceProps, d.deviceProps, 'DeviceProps');
		} catch (err) {
			return fail(400, err.message);
		}
		if (!has(props, 'os') || props.os === '')
			return fail(400, 'DeviceProps.os missing');
		summary.os = props.os;
		summary.platformType = has(props, 'platformType') ?
		    props.platformType : null;
		summary.requireFullSync = has(props, 'requireFullSync') ?
		    props.requireFullSync : null;
		summary.historySyncConfig = !!props.historySyncConfig;
		summary.registrationId = Buffer.from(d.eRegid).readUInt32BE(0);
		const reg = {
			identityPub: Buffer.from(d.eIdent),
			registrationId: summary.registrationId,
			signedPreKeyId: Buffer.from(d.eSkeyId).readUIntBE(0, 3),
			os: props.os,
			platformType: summary.platformType
		};
		return { ok: true, kind: 'registration', summary, reg };
	}

	validateLogin(conn, cp, summary) {
		const fail = (reason, why) => ({ ok: false, reason, why, summary });
		if (!has(cp, 'device'))
			return fail(400, 'login payload without device');
		if (cp.devicePairingData)
			return fail(400, 'login payload with devicePairingData');
		if (cp.passive !== true || cp.pull !== true)
			return fail(400, 'login needs passive=true and pull=true');
		const number = summary.username;
		const jid = `${number}:${cp.device}@s.whatsapp.net`;
		if (this.takeOutdated(jid))
			return fail(405, 'forced by /outdated');
		const p = this.phones.get(number);
		if (p && p.banned)
			return fail(403, `phone ${number} is banned`);
		const dev = p && p.devices.get(cp.device);
		if (!dev)
			return fail(401, `${jid} is not a linked device`);
		if (!eqBytes(dev.noisePub, conn.clientStatic))
			return fail(401, `${jid}: Noise static key differs from the one paired`);
		return { ok: true, kind: 'login', summary, device: dev, phone: p };
	}

	/* One-shot /outdated flags: a device JID, its user JID, or '*'. */
	takeOutdated(jid) {
		return this.takeFlag(this.outdatedNext, jid);
	}

	/* Take one flag of "set" (outdatedNext, stallNext) for "jid": the
	 * device JID, its user JID, or '*'.  true if one was there. */
	takeFlag(set, jid) {
		const keys = ['*'];
		if (jid) {
			const j = jidParse(jid);
			keys.push(jid, `${j.user}@${j.server}`);
		}
		for (const k of keys) {
			if (set.has(k)) {
				set.delete(k);
				return true;
			}
		}
		return false;
	}

	/* ---- registration (spec 6.2, 6.4) ------------------------------ */

	startRegistration(conn) {
		conn.phase = 'registration';
		conn.refsStart = Date.now();
		let at = conn.refsStart;
		for (let i = 0; i < REF_COUNT; i++) {
			const dur = this.scaled(i === 0 ? REF_FIRST_S : REF_NEXT_S);
			conn.refs.push({ index: i + 1, ref: `2@${randomBytes(33)
			    .toString('base64')}`, shownAt: at, expiresAt: at + dur });
			at += dur;
		}
		conn.pairDeviceId = iqId();
		conn.send({
			tag: 'iq',
			attrs: { from: SERVER, type: 'set', id: conn.pairDeviceId,
			    xmlns: 'md' },
			content: [{ tag: 'pair-device', attrs: {}, content: conn.refs.map(
			    r => ({ tag: 'ref', attrs: {}, content: Buffer.from(r.ref) })) }]
		});
		conn.log(`registration: sent pair-device with ${REF_COUNT} refs`);
		conn.waitIq(conn.pairDeviceId, this.scaled(REF_FIRST_S)).then(n => {
			if (n && n.attrs.type === 'result') {
				conn.pairDeviceAcked = true;
			} else if (n) {
				conn.error(`pair-device answered with type=${n.attrs.type}`);
			} else if (conn.live) {
				conn.error('pair-device not acknowledged within the first ref');
			}
		});
		/* When the refs run out the server closes an unpaired socket
		 * (spec 6.4); a pending pairing code keeps it open (spec 7.3). */
		const refsEnd = at - conn.refsStart;
		const check = () => {
			if (conn.phase !== 'registration')
				return;
			const lc = conn.linkCode;
			if (lc && Date.now() < lc.at + this.scaled(LINK_CODE_S)) {
				conn.timer(lc.at + this.scaled(LINK_CODE_S) - Date.now(), check);
				return;
			}
			conn.end('QR refs ran out');
		};
		conn.timer(refsEnd + this.scaled(REF_NEXT_S), check);
	}

	/*
	 * POST /scan: phone `number` scans QR text `qr` (spec 6.3 format, or the
	 * legacy four fields).  Resolves { jid, lid, device } once the client's
	 * pair-device-sign verified; throws HttpError 400 (bad QR), 409 (ref not
	 * current), 422 (pairing failed), 504 (client silent).
	 */
	async scan(qr, number, opts = {}) {
		if (typeof qr !== 'string')
			throw new HttpError(400, 'qr must be a string');
		const text = qr.startsWith(QR_PREFIX) ? qr.slice(QR_PREFIX.length) : qr;
		const parts = text.split(',');
		if (parts.length !== 4 && parts.length !== 5)
			throw new HttpError(400, `QR has ${parts.length} fields, want 5 (or legacy 4)`);
		if (parts.length === 5 && !qr.startsWith(QR_PREFIX))
			throw new HttpError(400, `5-field QR must start with ${QR_PREFIX}`);
		const [ref, noiseB64, identB64, advB64, platformId] = parts;
		const noisePub = b64Exact(noiseB64, 32);
		const identPub = b64Exact(identB64, 32);
		const adv = b64Exact(advB64, 32);
		if (!noisePub || !identPub || !adv)
			throw new HttpError(400, 'QR keys must be padded standard base64 of 32 bytes');
		if (platformId !== undefined && !PLATFORM_IDS.has(platformId))
			throw new HttpError(400, `unknown QR platform id ${JSON.stringify(platformId)}`);
		const phone = this.phone(number);
		const conn = [...this.conns.values()].find(c =>
		    c.refs.some(r => r.ref === ref));
		if (!conn)
			throw new HttpError(409, 'unknown ref');
		const r = conn.refs.find(x => x.ref === ref);
		if (conn.phase !== 'registration')
			throw new HttpError(409, `ref's connection is ${conn.phase}`);
		if (!conn.refScannable(r)) {
			const cur = conn.currentRef();
			throw new HttpError(409, `stale ref (index ${r.index}; current ${cur ? cur.index : 'none'})`);
		}
		if (!eqBytes(noisePub, conn.clientStatic))
			throw new HttpError(400, 'QR Noise key differs from the connection\'s static key');
		if (!eqBytes(identPub, conn.reg.identityPub))
			throw new HttpError(400, 'QR identity key differs from the registration payload');
		conn.scannedPlatformId = platformId === undefined ? null : platformId;
		return this.pair(conn, phone, adv, opts);
	}

	/*
	 * Sends pair-success (spec 6.5) signed by the phone's identity key and
	 * HMAC'd with adv, checks the client's pair-device-sign, links the device
	 * and ends the stream with 515.  opts.corrupt: 'hmac' | 'account-signature'
	 * sends a deliberately broken pair-success (for the client's rejection
	 * paths).
	 */
	async pair(conn, phone, adv, opts = {}) {
		conn.phase = 'pairing';
		const deviceId = phone.nextDevice++;
		const keyIndex = phone.nextKeyIndex++;
		const jid = `${phone.number}:${deviceId}@s.whatsapp.net`;
		const lid = `${phone.lidUser}:${deviceId}@lid`;
		const details = Buffer.from(proto.ADVDeviceIdentity.encode({
			rawId: phone.rawId, timestamp: nowS(), keyIndex
		}).finish());
		let accountSig = curveSign(phone.identity.priv, Buffer.concat([
		    Buffer.from([6, 0]), details, conn.reg.identityPub]),
		    randomBytes(64));
		if (opts.corrupt === 'account-signature') {
			accountSig = Buffer.from(accountSig);
			accountSig[5] ^= 0x10;
		}
		const signed = Buffer.from(proto.ADVSignedDeviceIdentity.encode({
			details, accountSignatureKey: phone.identity.pub,
			accountSignature: accountSig
		}).finish());
		const hmac = createHmac('sha256', adv).update(signed).digest();
		if (opts.corrupt === 'hmac')
			hmac[0] ^= 1;
		const container = Buffer.from(proto.ADVSignedDeviceIdentityHMAC
		    .encode({ details: signed, hmac }).finish());
		const props = Buffer.from(proto.ClientPairingProps.encode({
			isChatDbLidMigrated: true, isSyncdPureLidSession: true
		}).finish());
		const id = iqId();
		conn.send({
			tag: 'iq',
			attrs: { from: SERVER, type: 'set', id, xmlns: 'md',
			    t: String(nowS()) },
			content: [{ tag: 'pair-success', attrs: {}, content: [
				{ tag: 'device-identity', attrs: {}, content: container },
				{ tag: 'device', attrs: { jid, lid } },
				{ tag: 'platform', attrs: { name: 'android' } },
				{ tag: 'client-props', attrs: {}, content: props }
			] }]
		});
		conn.log(`pair-success sent for ${jid}${opts.corrupt ?
		    ` (corrupt ${opts.corrupt})` : ''}`);
		const reply = await conn.waitIq(id, 20000);
		if (!reply) {
			if (conn.live) {
				conn.error('no answer to pair-success within 20 s');
				conn.end('pair-success timeout');
				throw new HttpError(504, 'client did not answer pair-success');
			}
			throw new HttpError(422, 'client closed the connection after pair-success');
		}
		if (reply.attrs.type === 'error') {
			const e = child(reply, 'error');
			const why = e ? `${e.attrs.code} ${e.attrs.text}` : 'no <error>';
			conn.error(`client rejected pair-success: ${why}`);
			conn.phase = 'registration';
			throw new HttpError(422, `client rejected pair-success: ${why}`);
		}
		const why = this.checkPairDeviceSign(conn, reply, details, accountSig,
		    phone.identity.pub, keyIndex);
		if (why) {
			conn.error(`bad pair-device-sign: ${why}`);
			conn.end('bad pair-device-sign');
			throw new HttpError(422, `bad pair-device-sign: ${why}`);
		}
		phone.devices.set(deviceId, {
			jid, lid, device: deviceId, keyIndex,
			noisePub: Buffer.from(conn.clientStatic),
			identityPub: conn.reg.identityPub,
			registrationId: conn.reg.registrationId,
			os: conn.reg.os, platformType: conn.reg.platformType,
			linkedAt: nowS(), prekeys: 0, via: opts.via || 'qr'
		});
		conn.jid = jid;
		conn.lid = lid;
		conn.phase = 'paired';
		conn.log(`linked ${jid}; restart required (515)`);
		conn.end('paired: 515', { tag: 'stream:error', attrs: { code: '515' } });
		return { jid, lid, device: deviceId };
	}

	/* Returns null if the client's pair-device-sign reply is right, else why. */
	checkPairDeviceSign(conn, reply, details, accountSig, accountKey,
	    keyIndex) {
		if (reply.attrs.type !== 'result')
			return `iq type ${reply.attrs.type}`;
		const sign = child(reply, 'pair-device-sign');
		const di = sign && child(sign, 'device-identity');
		if (!di)
			return 'no <pair-device-sign><device-identity>';
		if (di.attrs['key-index'] !== String(keyIndex))
			return `key-index ${di.attrs['key-index']}, want ${keyIndex}`;
		const raw = contentBytes(di);
		if (!raw || !(di.content instanceof Uint8Array))
			return 'device-identity content is not bytes';
		let m;
		try {
			m = decodeProto(proto.ADVSignedDeviceIdentity, raw,
			    'ADVSignedDeviceIdentity');
		} catch (err) {
			return err.message;
		}
		if (!eqBytes(m.details, details))
			return 'details differ from pair-success';
		if (!eqBytes(m.accountSignature, accountSig))
			return 'accountSignature differs from pair-success';
		if (has(m, 'accountSignatureKey') && m.accountSignatureKey.length)
			return 'accountSignatureKey must be left out of the reply';
		if (!has(m, 'deviceSignature') || m.deviceSignature.length !== 64)
			return 'deviceSignature missing or not 64 bytes';
		const msg = Buffer.concat([Buffer.from([6, 1]), details,
		    conn.reg.identityPub, accountKey]);
		if (!curveVerify(conn.reg.identityPub, msg, m.deviceSignature))
			return 'deviceSignature does not verify';
		return null;
	}

	/* ---- pairing code (spec 7) ------------------------------------ */

	onLinkCodeIq(conn, iq, reg) {
		const stage = reg.attrs.stage;
		if (stage === 'companion_hello')
			return this.onCompanionHello(conn, iq, reg);
		if (stage === 'companion_finish')
			return this.onCompanionFinish(conn, iq, reg);
		conn.error(`link_code_companion_reg with stage ${stage}`);
		return this.iqError(conn, iq, 400, 'bad-request');
	}

	onCompanionHello(conn, iq, reg) {
		const bad = why => {
			conn.error(`companion_hello: ${why}`);
			this.iqError(conn, iq, 400, 'bad-request');
		};
		if (conn.phase !== 'registration')
			return bad(`connection is ${conn.phase}`);
		const j = jidParse(reg.attrs.jid);
		if (!j || j.server !== 's.whatsapp.net' || j.device !== null ||
		    !/^[1-9][0-9]{6,14}$/.test(j.user))
			return bad(`bad jid ${reg.attrs.jid}`);
		if (!['true', 'false'].includes(reg.attrs.should_show_push_notification))
			return bad('should_show_push_notification must be "true"/"false"');
		const get = tag => contentBytes(child(reg, tag));
		const wrapped = get('link_code_pairing_wrapped_companion_ephemeral_pub');
		if (!wrapped || wrapped.length !== 80)
			return bad('wrapped companion ephemeral must be 80 bytes');
		const auth = get('companion_server_auth_key_pub');
		if (!eqBytes(auth, conn.clientStatic))
			return bad('companion_server_auth_key_pub is not the Noise static key');
		const pid = get('companion_platform_id');
		if (!pid || !PLATFORM_IDS.has(pid.toString()))
			return bad('companion_platform_id must be a known code as a string');
		const disp = get('companion_platform_display');
		const dm = disp && /^(.+) \((.+)\)$/.exec(disp.toString());
		if (!dm || !DISPLAY_BROWSERS.has(dm[1]))
			return bad(`companion_platform_display ${disp ? JSON.stringify(disp.toString()) : 'missing'} is not "<Browser> (<OS>)"`);
		const nonce = child(reg, 'link_code_pairing_nonce');
		const nb = contentBytes(nonce);
		if (!nb || !(nb.equals(Buffer.from([0])) || nb.toString() === '0'))
			return bad('link_code_pairing_nonce must be 00 or "0"');
		const phone = this.phone(j.user);
		const ref = Buffer.from(`2@${randomBytes(20).toString('base64')}`);
		conn.linkCode = { phone: phone.number, wrapped, ref, at: Date.now(),
		    platformId: pid.toString(), display: disp.toString(),
		    state: 'waiting-for-code' };
		conn.log(`pairing code requested for ${phone.number} (${disp})`);
		this.iqResult(conn, iq, [{ tag: 'link_code_companion_reg', attrs: {},
		    content: [{ tag: 'link_code_pairing_ref', attrs: {},
		    content: ref }] }]);
	}

	/*
	 * POST /enter-code: the phone types `code` for `number`: sends
	 * primary_hello, waits for companion_finish, derives the ADV secret
	 * (spec 7.3) and continues as pair().  Throws HttpError 400 (bad code
	 * syntax), 409 (no pending request), 422 (wrong code / bad finish).
	 */
	async enterCode(number, code, opts = {}) {
		if (typeof code !== 'string')
			throw new HttpError(400, 'code must be a string');
		code = code.replace(/[-\s]/g, '').toUpperCase();
		if (code.length !== 8 || [...code].some(c => !CROCKFORD.includes(c)))
			throw new HttpError(400, 'code must be 8 characters of 1-9 A-Z without I O U');
		const phone = this.phone(number);
		const conn = [...this.conns.values()].reverse().find(c =>
		    c.phase === 'registration' && c.linkCode &&
		    c.linkCode.phone === phone.number &&
		    c.linkCode.state === 'waiting-for-code');
		if (!conn)
			throw new HttpError(409, `no pending pairing-code request for ${phone.number}`);
		const lc = conn.linkCode;
		lc.state = 'primary-hello-sent';
		const ceCipher = lc.wrapped.subarray(48, 80);
		const ceKey = pbkdf2Sync(code, lc.wrapped.subarray(0, 32), 131072, 32,
		    'sha256');
		const ceDec = createCipheriv('aes-256-ctr', ceKey,
		    lc.wrapped.subarray(32, 48));
		const cePub = Buffer.concat([ceDec.update(ceCipher), ceDec.final()]);
		const pe = x25519KeyPair();
		const ps = randomBytes(32), piv = randomBytes(16);
		const pkey = pbkdf2Sync(code, ps, 131072, 32, 'sha256');
		const enc = createCipheriv('aes-256-ctr', pkey, piv);
		const pwrapped = Buffer.concat([ps, piv, enc.update(pe.pub),
		    enc.final()]);
		const finish = new Promise(resolve => { lc.finish = resolve; });
		const nid = iqId();
		lc.notificationId = nid;
		this.sendTracked(conn, {
			tag: 'notification',
			attrs: { from: SERVER, type: 'link_code_companion_reg', id: nid,
			    t: String(nowS()) },
			content: [{ tag: 'link_code_companion_reg',
			    attrs: { stage: 'primary_hello' }, content: [
				{ tag: 'link_code_pairing_ref', attrs: {}, content: lc.ref },
				{ tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
				    attrs: {}, content: pwrapped },
				{ tag: 'primary_identity_pub', attrs: {},
				    content: phone.identity.pub }
			] }]
		});
		conn.log(`primary_hello sent to conn ${conn.id}`);
		const timeout = setTimeout(() => lc.finish(null), 20000);
		const got = await finish;
		clearTimeout(timeout);
		lc.finish = null;
		if (!got) {
			lc.state = 'failed';
			throw new HttpError(conn.live ? 504 : 422, conn.live ?
			    'no companion_finish within 20 s' :
			    'client closed the connection');
		}
		const { iq, reg } = got;
		const fail = why => {
			lc.state = 'failed';
			conn.error(`companion_finish: ${why}`);
			this.iqError(conn, iq, 400, 'bad-request');
			return new HttpError(422, `companion_finish: ${why}`);
		};
		const get = tag => contentBytes(child(reg, tag));
		if (reg.attrs.jid !== `${phone.number}@s.whatsapp.net`)
			throw fail(`jid ${reg.attrs.jid}`);
		if (!eqBytes(get('link_code_pairing_ref'), lc.ref))
			throw fail('link_code_pairing_ref differs');
		const ident = get('companion_identity_public');
		if (!eqBytes(ident, conn.reg.identityPub))
			throw fail('companion_identity_public is not the registered identity');
		const bundle = get('link_code_pairing_wrapped_key_bundle');
		if (!bundle || bundle.length !== 156)
			throw fail('wrapped key bundle must be 156 bytes');
		let ephShared, plain;
		try {
			ephShared = x25519(pe.priv, cePub);
			const kbKey = hkdf(ephShared, bundle.subarray(0, 32),
			    Buffer.from('link_code_pairing_key_bundle_encryption_key'), 32);
			plain = gcmOpen(kbKey, bundle.subarray(32, 44), null,
			    bundle.subarray(44));
		} catch (err) {
			throw fail(`key bundle does not open (wrong code?): ${err.message}`);
		}
		if (!eqBytes(plain.subarray(0, 32), conn.reg.identityPub))
			throw fail('key bundle: companion identity differs');
		if (!eqBytes(plain.subarray(32, 64), phone.identity.pub))
			throw fail('key bundle: primary identity differs');
		const idShared = x25519(phone.identity.priv, conn.reg.identityPub);
		const adv = hkdf(Buffer.concat([ephShared, idShared,
		    plain.subarray(64, 96)]), Buffer.alloc(32),
		    Buffer.from('adv_secret'), 32);
		lc.state = 'finished';
		this.iqResult(conn, iq);
		return this.pair(conn, phone, adv, { ...opts, via: 'code' });
	}

	onCompanionFinish(conn, iq, reg) {
		const lc = conn.linkCode;
		if (!lc || !lc.finish) {
			conn.error('companion_finish without a primary_hello');
			return this.iqError(conn, iq, 400, 'bad-request');
		}
		lc.finish({ iq, reg });
	}

	/* ---- login (spec 8) -------------------------------------------- */

	startLogin(conn, dev, phone) {
		/* Another live login of the same device is replaced (spec 8.4). */
		for (const c of this.conns.values())
			if (c !== conn && c.live && c.phase === 'logged-in' &&
			    c.jid === dev.jid) {
				this.replaced.push({ jid: dev.jid, conn: c.id,
				    by: conn.id, at: new Date().toISOString() });
				c.end('replaced by a newer login', this.conflictNode('replaced'));
			}
		conn.phase = 'logged-in';
		conn.jid = dev.jid;
		conn.lid = dev.lid;
		conn.passive = true;
		/* /stall-login: <success>, then the active IQ is never
		 * answered (pings still are), so the login never ends. */
		conn.stallLogin = this.takeFlag(this.stallNext, dev.jid);
		if (conn.stallLogin)
			this.log(`conn ${conn.id}: login of ${dev.jid} stalls ` +
			    '(/stall-login)');
		dev.lastLogin = nowS();
		conn.send({ tag: 'success', attrs: {
			t: String(nowS()), lid: dev.lid, location: 'sim', props: '1',
			abprops: '1', creation: String(dev.linkedAt)
		} });
		conn.log(`login ${dev.jid}: success`);
	}

	conflictNode(type) {
		return { tag: 'stream:error', attrs: {}, content: [
		    { tag: 'conflict', attrs: { type } }] };
	}

	/* ---- stanzas ---------------------------------------------------- */

	iqResult(conn, iq, content) {
		const n = { tag: 'iq', attrs: { from: SERVER, type: 'result',
		    id: iq.attrs.id } };
		if (content)
			n.content = content;
		conn.send(n);
	}

	iqError(conn, iq, code, text) {
		conn.send({ tag: 'iq', attrs: { from: SERVER, type: 'error',
		    id: iq.attrs.id }, content: [{ tag: 'error',
		    attrs: { code: String(code), text } }] });
	}

	onNode(conn, node) {
		switch (node.tag) {
		case 'iq':
			return this.onIq(conn, node);
		case 'ack':
			return this.onAck(conn, node);
		case 'message':
			if (conn.phase !== 'logged-in')
				return this.unhandled(conn, node);
			return this.e2e.onMessage(conn, node);
		case 'receipt':
			if (conn.phase !== 'logged-in')
				return this.unhandled(conn, node);
			return this.e2e.onReceipt(conn, node);
		case 'presence':
		case 'ib':
			return;
		default:
			this.unhandled(conn, node);
		}
	}

	/*
	 * spec 8.7: <ack id to class [type]/> for a stanza we sent.  Acks of
	 * tracked stanzas are checked (class = tag, to = stanza from, type =
	 * stanza type if given); a wrong one is an error.
	 */
	onAck(conn, node) {
		conn.acks++;
		const { id, to } = node.attrs;
		if (conn.linkCode && id === conn.linkCode.notificationId)
			conn.linkCode.acked = true;
		const sent = this.takeTracked(conn, node);
		if (!sent)
			return;
		const bad = [];
		if (node.attrs.class !== sent.tag)
			bad.push(`class ${node.attrs.class}, want ${sent.tag}`);
		const want = sent.from || SERVER;
		if (to !== want && !(want === SERVER && to === 's.whatsapp.net'))
			bad.push(`to ${to}, want ${want}`);
		if (node.attrs.type !== undefined && node.attrs.type !== sent.type)
			bad.push(`type ${node.attrs.type}, want ${sent.type}`);
		if (bad.length)
			conn.error(`ack ${id}: ${bad.join('; ')}`);
		conn.acked.push(id);
	}

	/*
	 * Sends a stanza that the client must ack and tracks it.  Several
	 * tracked stanzas may share an id (a message's receipts from each
	 * device of a contact), so the key is id, from, tag and type.
	 */
	sendTracked(conn, node) {
		const a = node.attrs;
		conn.awaitingAck.set(`${a.id}|${a.from || ''}|${node.tag}|${a.type || ''}`,
		    { id: a.id, tag: node.tag, type: a.type, from: a.from,
		    participant: a.participant, at: Date.now() });
		conn.send(node);
	}

	/* The tracked stanza an <ack> (or a <receipt> standing for one) is
	 * for: the one with its id whose from, class and type match best;
	 * removed from awaitingAck.  null if none has that id. */
	takeTracked(conn, node) {
		const { id, to, type } = node.attrs;
		const cls = node.tag === 'ack' ? node.attrs.class : node.tag;
		let best = null, bestScore = -1;
		for (const [k, v] of conn.awaitingAck) {
			if (v.id !== id)
				continue;
			const want = v.from || SERVER;
			const score = (to === want || (want === SERVER &&
			    to === 's.whatsapp.net') ? 4 : 0) + (cls === v.tag ? 2 : 0) +
			    (type === v.type || type === undefined ? 1 : 0);
			if (score > bestScore) {
				best = k;
				bestScore = score;
			}
		}
		if (best === null)
			return null;
		const v = conn.awaitingAck.get(best);
		conn.awaitingAck.delete(best);
		return v;
	}

	unhandled(conn, node) {
		const s = nodeString(node).slice(0, 200);
		conn.unhandled.push(s);
		if (conn.unhandled.length > 20)
			conn.unhandled.shift();
		this.debug(`conn ${conn.id}: unhandled ${s}`);
	}

	onIq(conn, iq) {
		const { type, xmlns, id } = iq.attrs;
		if (!id) {
			conn.error(`iq without id: ${nodeString(iq).slice(0, 120)}`);
			return;
		}
		if (type === 'result' || type === 'error') {
			if (conn.foreignIqs && conn.foreignIqs.has(id)) {
				conn.foreignIqAnswered++;
				conn.error(`client answered IQ ${id} from ` +
				    `${conn.foreignIqs.get(id)}, not the server ` +
				    '(whatsmeow pair.go handleIQ drops it)');
				return;
			}
			const w = conn.waiters.get(id);
			if (w)
				w(iq);
			else
				this.unhandled(conn, iq);
			return;
		}
		if (type !== 'get' && type !== 'set') {
			conn.error(`iq with type ${type}`);
			return this.iqError(conn, iq, 400, 'bad-request');
		}
		const first = children(iq)[0];
		if (xmlns === 'w:p' && type === 'get')
			return this.onPing(conn, iq);
		if (xmlns === 'md' && type === 'set' && first &&
		    first.tag === 'link_code_companion_reg')
			return this.onLinkCodeIq(conn, iq, first);
		if (conn.phase !== 'logged-in') {
			this.unhandled(conn, iq);
			return this.iqError(conn, iq, 401, 'not-authorized');
		}
		if (xmlns === 'passive' && type === 'set' && first &&
		    (first.tag === 'active' || first.tag === 'passive')) {
			if (conn.stallLogin) {
				conn.stalledIqs = (conn.stalledIqs || 0) + 1;
				return;
			}
			const wasPassive = conn.passive;
			conn.passive = first.tag === 'passive';
			this.iqResult(conn, iq);
			/* whatsmeow handleConnectSuccess: count (and upload)
			 * first, then passive active. */
			if (first.tag === 'active' && !conn.countAsked)
				conn.error('active IQ before the pre-key count ' +
				    '(whatsmeow handleConnectSuccess order)');
			if (wasPassive && !conn.passive) {
				this.sendOffline(conn);
				this.e2e.flushPending(conn);
			}
			return;
		}
		if (xmlns === 'encrypt')
			return this.onEncryptIq(conn, iq, first);
		if (xmlns === 'usync' && type === 'get')
			return this.e2e.onUsync(conn, iq);
		if (xmlns === 'w:g2' && type === 'get' && first &&
		    first.tag === 'query')
			return this.e2e.onGroupIq(conn, iq);
		if (xmlns === 'w:g2' && type === 'get' && first &&
		    first.tag === 'participating' && iq.attrs.to === '@g.us')
			return this.e2e.onParticipatingIq(conn, iq);
		if (xmlns === 'md' && type === 'set' && first &&
		    first.tag === 'remove-companion-device')
			return this.onRemoveCompanion(conn, iq, first);
		this.unhandled(conn, iq);
		this.iqError(conn, iq, 501, 'feature-not-implemented');
	}

	/*
	 * <ib><offline_preview/><offline count=N/></ib> once the client is
	 * active: N stanzas queued by /offline for this device (0 when
	 * none), as the server delivers the backlog (whatsmeow handleIB).
	 */
	sendOffline(conn) {
		const dev = this.deviceOf(conn.jid);
		const n = dev && dev.offlinePending ? dev.offlinePending : 0;
		if (dev)
			dev.offlinePending = 0;
		conn.send({ tag: 'ib', attrs: { from: SERVER }, content: [
		    { tag: 'offline_preview', attrs: { count: String(n),
		    message: String(n), notification: '0', receipt: '0',
		    appdata: '0' } },
		    { tag: 'offline', attrs: { count: String(n) } }] });
	}

	/*
	 * spec 8.3, whatsmeow keepalive.go: the empty <iq xmlns=w:p
	 * type=get/>; the old <ping/> child form is answered but recorded
	 * as an error.  Pings arrive from the end of the handshake, also
	 * while pairing (pingsWhilePairing).
	 */
	onPing(conn, iq) {
		if (children(iq).length > 0)
			conn.pingsWithChild++;	/* Baileys' form, not whatsmeow's */
		if (conn.phase !== 'logged-in')
			conn.pingsWhilePairing++;
		if (conn.silenced) {
			conn.pingsIgnored++;
			return;
		}
		conn.pings++;
		this.pingsAnswered++;
		this.iqResult(conn, iq);
	}

	/* spec 8.8: pre-key count and upload. */
	onEncryptIq(conn, iq, first) {
		const dev = this.deviceOf(conn.jid);
		if (iq.attrs.type === 'get' && first && first.tag === 'count')
			conn.countAsked = true;
		if (iq.attrs.type === 'get' && first && first.tag === 'count')
			return this.iqResult(conn, iq, [{ tag: 'count',
			    attrs: { value: String(dev ? dev.prekeys : 0) } }]);
		if (iq.attrs.type === 'set' && child(iq, 'registration')) {
			const list = child(iq, 'list');
			const keys = children(list).filter(k => k.tag === 'key');
			for (const k of keys) {
				const kid = contentBytes(child(k, 'id'));
				const val = contentBytes(child(k, 'value'));
				if (!kid || kid.length !== 3 || !val || val.length !== 32) {
					conn.error('pre-key upload: <key> needs 3-byte id and 32-byte value');
					return this.iqError(conn, iq, 400, 'bad-request');
				}
			}
			const skey = child(iq, 'skey');
			const sv = skey && contentBytes(child(skey, 'value'));
			const ss = skey && contentBytes(child(skey, 'signature'));
			if (dev && (!sv || !ss || !curveVerify(dev.identityPub,
			    Buffer.concat([Buffer.from([5]), sv]), ss))) {
				conn.error('pre-key upload: skey signature does not verify');
				return this.iqError(conn, iq, 400, 'bad-request');
			}
			if (dev) {
				const why = this.e2e.storeUpload(dev, iq);
				if (why) {
					conn.error(`pre-key upload: ${why}`);
					return this.iqError(conn, iq, 400, 'bad-request');
				}
			}
			return this.iqResult(conn, iq);
		}
		if (iq.attrs.type === 'get' && first && first.tag === 'key')
			return this.e2e.serial('key fetch', () =>
			    this.e2e.onKeyFetch(conn, iq, first));
		this.unhandled(conn, iq);
		this.iqError(conn, iq, 501, 'feature-not-implemented');
	}

	/* spec 8.9: the companion removes itself. */
	onRemoveCompanion(conn, iq, rm) {
		const target = rm.attrs.jid;
		if (target !== conn.jid) {
			conn.error(`remove-companion-device for ${target} from ${conn.jid}`);
			return this.iqError(conn, iq, 403, 'forbidden');
		}
		this.logouts.push({ at: new Date().toISOString(), conn: conn.id,
		    jid: target, reason: rm.attrs.reason || null });
		this.unlink(target);
		conn.log(`logout: ${target} removed itself (${rm.attrs.reason})`);
		this.iqResult(conn, iq);
		conn.end('device removed (logout)', this.deviceRemovedNode());
	}

	deviceRemovedNode() {
		return { tag: 'stream:error', attrs: { code: '401' }, content: [
		    { tag: 'conflict', attrs: { type: 'device_removed' } }] };
	}

	deviceOf(jid) {
		const j = jidParse(jid);
		if (!j || j.device === null)
			return null;
		const p = this.phones.get(j.user);
		return p ? p.devices.get(j.device) || null : null;
	}

	/* The devices of a device JID (one) or a user JID (all). */
	devicesOf(jid) {
		const j = jidParse(jid);
		const p = j && this.phones.get(j.user);
		if (!p)
			return [];
		return [...p.devices.values()].filter(d => j.device === null ||
		    d.device === j.device);
	}

	/* Removes a device (device JID) or all of a phone's (user JID);
	 * returns the removed JIDs. */
	unlink(jid) {
		const j = jidParse(jid);
		const p = j && this.phones.get(j.user);
		if (!p)
			return [];
		const out = [];
		for (const [n, d] of p.devices)
			if (j.device === null || j.device === n) {
				p.devices.delete(n);
				out.push(d.jid);
			}
		return out;
	}

	/* ---- faults ----------------------------------------------------- */

	/* Live connections a fault applies to: all (no jid), the device's, or
	 * every device connection of a user JID. */
	targets(jid) {
		const live = [...this.conns.values()].filter(c => c.live);
		if (jid === undefined || jid === null || jid === '')
			return live;
		const j = jidParse(jid);
		if (!j)
			throw new HttpError(400, `bad jid ${JSON.stringify(jid)}`);
		return live.filter(c => {
			const cj = c.jid && jidParse(c.jid);
			if (!cj || cj.user !== j.user)
				return false;
			return j.device === null || cj.device === j.device;
		});
	}

	/*
	 * fault(name, body) -> JSON-able result.  Names: logout, conflict, ban,
	 * unban, outdated, stall-login, drop, garbage, silence, unsilence,
	 * notify, ... (README.md).
	 */
	fault(name, body) {
		const jid = body.jid;
		const hit = this.targets(jid);
		const ids = hit.map(c => c.id);
		this.log(`fault ${name} ${jid || '(all)'}: connections [${ids}]`);
		switch (name) {
		case 'logout': {
			/* Removed on the phone: spec 8.4 401 + device_removed. */
			const removed = [];
			if (jid)
				removed.push(...this.unlink(jid));
			const paired = hit.filter(c => c.jid);
			for (const c of paired) {
				if (!jid)
					removed.push(...this.unlink(c.jid));
				c.end('device removed (phone)', this.deviceRemovedNode());
			}
			return { connections: paired.map(c => c.id), removed };
		}
		case 'conflict':
			for (const c of hit)
				c.end('replaced', this.conflictNode('replaced'));
			return { connections: ids };
		case 'ban': {
			const phones = new Set();
			if (jid)
				phones.add(jidParse(jid).user);
			for (const c of hit)
				if (c.jid)
					phones.add(jidParse(c.jid).user);
			for (const n of phones)
				this.phone(n).banned = true;
			/* The live sessions just end; the next login gets 403. */
			for (const c of hit)
				if (c.jid)
					c.end('banned');
			return { connections: ids, banned: [...phones] };
		}
		case 'unban': {
			const unbanned = [];
			for (const p of this.phones.values())
				if (p.banned && (!jid || jidParse(jid).user === p.number)) {
					p.banned = false;
					unbanned.push(p.number);
				}
			return { unbanned };
		}
		case 'outdated':
		case 'stall-login': {
			const set = name === 'outdated' ? this.outdatedNext :
			    this.stallNext;
			if (jid) {
				if (!jidParse(jid))
					throw new HttpError(400, 'bad jid');
				set.add(jid);
			} else {
				set.add('*');
			}
			return { next: [...set] };
		}
		case 'drop':
			for (const c of hit)
				c.drop();
			return { connections: ids };
		case 'garbage': {
			const kind = body.kind || 'tag';
			if (kind !== 'tag' && kind !== 'node')
				throw new HttpError(400, 'kind must be "tag" or "node"');
			for (const c of hit) {
				if (kind === 'tag') {
					c.sendRaw(frameWrap(randomBytes(48)));
				} else if (c.noise.writeKey) {
					c.sendRaw(frameWrap(c.noise.encrypt(Buffer.from(
					    '00f805eeffff', 'hex'))));
				}
			}
			return { connections: ids, kind };
		}
		case 'notify': {
			/* A server notification the client must ack (spec 8.7). */
			const type = body.type || 'account_sync';
			if (typeof type !== 'string' || !/^[a-z_:0-9]{1,40}$/.test(type))
				throw new HttpError(400, 'bad notification type');
			const sent = [];
			for (const c of hit) {
				if (c.phase !== 'logged-in')
					continue;
				const id = iqId();
				this.sendTracked(c, { tag: 'notification', attrs: {
				    from: SERVER, type, id, t: String(nowS()) } });
				sent.push(id);
			}
			return { connections: ids, ids: sent };
		}
		case 'stream-error': {
			/* <stream:error code=N>[<conflict type=T/>]: a bare 401
			 * must not log the client out (whatsmeow
			 * handleStreamError), 401 + device_removed does. */
			const code = body.code === undefined ? '401' : String(body.code);
			if (!/^[0-9]{3}$/.test(code))
				throw new HttpError(400, 'code must be 3 digits');
			const node = { tag: 'stream:error', attrs: { code } };
			if (body.conflict !== undefined) {
				if (!/^[a-z_]{1,40}$/.test(String(body.conflict)))
					throw new HttpError(400, 'bad conflict type');
				node.content = [{ tag: 'conflict',
				    attrs: { type: String(body.conflict) } }];
			}
			const paired = hit.filter(c => c.jid);
			for (const c of paired)
				c.end(`stream error ${code}`, node);
			return { connections: paired.map(c => c.id) };
		}
		case 'prekeys-low': {
			/* The server used up pre-keys: <notification
			 * type=encrypt><count value=N/> (whatsmeow
			 * notification.go); the client must top up. */
			const n = body.count === undefined ? 3 : Number(body.count);
			if (!Number.isInteger(n) || n < 0 || n > 10000)
				throw new HttpError(400, 'bad count');
			const sent = [];
			for (const c of hit) {
				if (c.phase !== 'logged-in')
					continue;
				const dev = this.deviceOf(c.jid);
				if (dev)
					this.e2e.trimPreKeys(dev, n);
				const id = iqId();
				this.sendTracked(c, { tag: 'notification', attrs: {
				    from: SERVER, type: 'encrypt', id,
				    t: String(nowS()) }, content: [{ tag: 'count',
				    attrs: { value: String(n) } }] });
				sent.push(id);
			}
			return { connections: ids, ids: sent };
		}
		case 'stanza': {
			/* A <status>, <appdata>, <message>, <receipt> or <call>
			 * the client must ack like whatsmeow's sendAck. */
			const tag = body.tag || 'status';
			if (!['status', 'appdata', 'message', 'receipt', 'call']
			    .includes(tag))
				throw new HttpError(400, 'bad stanza tag');
			const sent = [];
			for (const c of hit) {
				if (c.phase !== 'logged-in')
					continue;
				const id = iqId();
				const attrs = { from: body.from || SERVER, id,
				    t: String(nowS()) };
				if (body.type)
					attrs.type = String(body.type);
				this.sendTracked(c, { tag, attrs });
				sent.push(id);
			}
			return { connections: ids, ids: sent };
		}
		case 'offline': {
			/* Queue N stanzas for the device: the next login
			 * gets <ib><offline count=N/> after active. */
			const n = body.count === undefined ? 5 : Number(body.count);
			if (!jid || !Number.isInteger(n) || n < 0 || n > 100000)
				throw new HttpError(400, 'need jid and a count');
			const devs = this.devicesOf(jid);
			for (const d of devs)
				d.offlinePending = n;
			return { devices: devs.map(d => d.jid), count: n };
		}
		case 'lid': {
			/* The server changed the device's LID: the next
			 * <success lid> carries the new one. */
			if (!jid)
				throw new HttpError(400, 'need jid');
			const devs = this.devicesOf(jid);
			for (const d of devs) {
				const user = String(100000000000000 +
				    randomInt(0, 2 ** 40));
				d.lid = `${user}:${d.device}@lid`;
			}
			return { devices: devs.map(d => ({ jid: d.jid, lid: d.lid })) };
		}
		case 'foreign-iq': {
			/* A pair-device from a user JID instead of the
			 * server: the client must not answer it. */
			const from = body.from || '15559999@s.whatsapp.net';
			const sent = [];
			for (const c of hit) {
				if (c.phase !== 'registration')
					continue;
				const id = iqId();
				if (!c.foreignIqs)
					c.foreignIqs = new Map();
				c.foreignIqs.set(id, from);
				c.send({ tag: 'iq', attrs: { from, type: 'set', id,
				    xmlns: 'md' }, content: [{ tag: 'pair-device',
				    attrs: {}, content: [{ tag: 'ref', attrs: {},
				    content: Buffer.from('2@foreign') }] }] });
				sent.push(id);
			}
			return { connections: ids, ids: sent };
		}
		case 'silence':
		case 'unsilence':
			for (const c of hit)
				c.silenced = name === 'silence';
			return { connections: ids };
		default:
			throw new HttpError(404, `no fault ${name}`);
		}
	}

	/* ---- state ------------------------------------------------------ */

	state() {
		const now = Date.now();
		const conns = [...this.conns.values()].map(c => {
			const cur = c.live && c.phase === 'registration' ?
			    c.currentRef() : null;
			return {
				id: c.id,
				phase: c.phase,
				closedPhase: c.closedPhase || null,
				closeReason: c.closeReason,
				remote: c.remote,
				kind: c.kind,
				jid: c.jid,
				lid: c.lid,
				payload: c.payload,
				noiseKey: c.clientStatic ? c.clientStatic.toString('base64') :
				    null,
				routingInfo: c.reader.routingInfo ?
				    c.reader.routingInfo.toString('base64') : null,
				pairDeviceAcked: c.pairDeviceAcked,
				refsSent: c.refs.length,
				ref: cur ? { ref: cur.ref, index: cur.index,
				    expiresInMs: Math.max(0, cur.expiresAt - now),
				    expiresAt: new Date(cur.expiresAt).toISOString() } : null,
				linkCode: c.linkCode ? { phone: c.linkCode.phone,
				    state: c.linkCode.state, display: c.linkCode.display,
				    platformId: c.linkCode.platformId,
				    notificationAcked: !!c.linkCode.acked } : null,
				passive: c.passive,
				silenced: c.silenced,
				stallLogin: Boolean(c.stallLogin),
				stalledIqs: c.stalledIqs || 0,
				pingsAnswered: c.pings,
				pingsWhilePairing: c.pingsWhilePairing,
				pingsWithChild: c.pingsWithChild,
				foreignIqAnswered: c.foreignIqAnswered,
				pingsIgnored: c.pingsIgnored,
				acks: c.acks,
				acked: c.acked.slice(-50),
				awaitingAck: [...c.awaitingAck.values()].map(a => a.id),
				stanzas: c.received,
				unhandled: c.unhandled,
				openedAt: new Date(c.openedAt).toISOString()
			};
		});
		const phones = [...this.phones.values()].map(p => ({
			phone: p.number,
			jid: p.jid,
			identityKey: p.identity.pub.toString('base64'),
			banned: p.banned,
			devices: [...p.devices.values()].map(d => ({
				jid: d.jid, lid: d.lid, device: d.device, keyIndex: d.keyIndex,
				os: d.os, platformType: d.platformType, via: d.via,
				registrationId: d.registrationId, prekeys: d.prekeys,
				noiseKey: d.noisePub.toString('base64'),
				identityKey: d.identityPub.toString('base64'),
				linkedAt: d.linkedAt, lastLogin: d.lastLogin || null
			}))
		}));
		return {
			rootKey: this.root.pub.toString('hex'),
			serverStaticKey: this.serverStatic.pub.toString('hex'),
			timeScale: this.timeScale,
			minVersion: this.minVersion.join('.'),
			connections: conns,
			phones,
			pendingRefs: conns.filter(c => c.ref).map(c => ({ conn: c.id,
			    ...c.ref })),
			pingsAnswered: this.pingsAnswered,
			/* Stanzas sent with sendTracked and not acked within
			 * a second: the client must ack every one (spec 8.7). */
			unacked: [...this.conns.values()].flatMap(c =>
			    [...c.awaitingAck.values()].filter(a =>
			    now - a.at > 1000).map(a => ({ conn: c.id,
			    id: a.id, tag: a.tag, ageMs: now - a.at }))),
			logouts: this.logouts,
			replaced: this.replaced,
			outdatedNext: [...this.outdatedNext],
			stallNext: [...this.stallNext],
			errors: this.errors
		};
	}
}
