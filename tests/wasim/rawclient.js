/*
 * A minimal companion for wire-level tests: the Noise XX initiator of spec
 * 2.3 over node:crypto, the whatsmeow certificate-chain checks of spec 3.2
 * with the simulator's own signature code, and node send/receive.  Test
 * code only; it lets tests send payloads and bytes Baileys never would.
 */
import {
	createCipheriv, createHmac, pbkdf2Sync, randomBytes
} from 'node:crypto';
import WebSocket from 'ws';
import { curveVerify, curveSign } from './xeddsa.js';
import {
	FrameReader, WA_HEADER, child, children, frameWrap, gcmOpen, gcmSeal, hkdf,
	nodeDecode, nodeEncode, proto, sha256, x25519, x25519KeyPair
} from './wire.js';

const NAME = Buffer.concat([Buffer.from('Noise_XX_25519_AESGCM_SHA256'),
    Buffer.alloc(4)]);

function iv(n) {
	const b = Buffer.alloc(12);
	b.writeUInt32BE(n, 8);
	return b;
}

/* whatsmeow verifyServerCert (spec 3.2 steps 1-8); returns null or why. */
export function checkCertChain(bytes, rootPub, rs) {
	const cc = proto.CertChain.decode(bytes);
	const { leaf, intermediate: im } = cc;
	if (!leaf || !im || !leaf.details || !leaf.signature || !im.details ||
	    !im.signature)
		return 'missing parts';
	if (leaf.signature.length !== 64 || im.signature.length !== 64)
		return 'signature length';
	if (!curveVerify(rootPub, im.details, im.signature))
		return 'intermediate signature';
	const D = proto.CertChain.NoiseCertificate.Details;
	const imd = D.decode(im.details);
	if ((imd.issuerSerial || 0) !== 0 || !imd.key || imd.key.length !== 32)
		return 'intermediate details';
	if (!curveVerify(imd.key, leaf.details, leaf.signature))
		return 'leaf signature';
	const now = Math.floor(Date.now() / 1000);
	const ok = d => Number(d.notBefore) <= now && now <= Number(d.notAfter);
	if (!ok(imd))
		return 'intermediate validity';
	const ld = D.decode(leaf.details);
	if (ld.issuerSerial !== imd.serial)
		return 'leaf issuer serial';
	if (!Buffer.from(ld.key).equals(rs))
		return 'leaf key is not the server static key';
	if (!ok(ld))
		return 'leaf validity';
	return null;
}

export class RawClient {
	/* opts: { noise: {priv,pub}, intro?: Buffer, origin?: string } */
	constructor(url, opts = {}) {
		this.url = url;
		this.noiseKey = opts.noise || x25519KeyPair();
		this.intro = opts.intro || WA_HEADER;
		this.origin = opts.origin === undefined ? 'https://web.whatsapp.com' :
		    opts.origin;
		this.reader = new FrameReader();
		this.reader.intro = true;
		this.queue = [];
		this.waiters = [];
		this.closed = false;
		this.transport = null;
		this.rawFrames = [];
	}

	open() {
		const headers = this.origin ? { Origin: this.origin } : {};
		this.ws = new WebSocket(this.url, { headers });
		this.ws.on('message', d => this.onData(d));
		this.ws.on('close', () => {
			this.closed = true;
			this.push({ closed: true });
		});
		this.ws.on('error', () => {});
		return new Promise((res, rej) => {
			this.ws.once('open', res);
			this.ws.once('error', rej);
		});
	}

	push(item) {
		const w = this.waiters.shift();
		if (w)
			w(item);
		else
			this.queue.push(item);
	}

	onData(d) {
		for (const f of this.reader.push(d)) {
			if (!this.transport) {
				this.push({ frame: f });
				continue;
			}
			let pt;
			try {
				pt = gcmOpen(this.readKey, iv(this.rc++), null, f);
			} catch (err) {
				this.push({ error: `decrypt: ${err.message}`, raw: f });
				continue;
			}
			try {
				this.push({ node: nodeDecode(pt) });
			} catch (err) {
				this.push({ error: `decode: ${err.message}`, raw: pt });
			}
		}
	}

	/* Next item: {frame} | {node} | {error} | {closed}; {timeout} after ms. */
	next(ms = 5000) {
		if (this.queue.length)
			return Promise.resolve(this.queue.shift());
		if (this.closed)
			return Promise.resolve({ closed: true });
		return new Promise(res => {
			const w = item => {
				clearTimeout(t);
				res(item);
			};
			const t = setTimeout(() => {
				this.waiters.splice(this.waiters.indexOf(w), 1);
				res({ timeout: true });
			}, ms);
			this.waiters.push(w);
		});
	}

	/* Next node (skipping nothing); throws on close/timeout/error. */
	async node(ms) {
		const it = await this.next(ms);
		if (!it.node)
			throw new Error(`expected a node, got ${JSON.stringify(Object.keys(it))}${it.error ? ': ' + it.error : ''}`);
		return it.node;
	}

	sendBytes(b) {
		this.ws.send(b);
	}

	/*
	 * Runs the handshake with payload (ClientPayload bytes).  rootPub pins
	 * the certificate chain; returns the cert-check result (null = good).
	 * splitBytes sends the first message one byte per WebSocket message.
	 */
	async handshake(payload, rootPub, { splitBytes = false } = {}) {
		const e = x25519KeyPair();
		let h = sha256(NAME, WA_HEADER);
		let ck = Buffer.from(NAME), k = null, n = 0;
		const mixHash = d => { h = sha256(h, d); };
		const mixKey = ikm => {
			const o = hkdf(ikm, ck, Buffer.alloc(0), 64);
			ck = o.subarray(0, 32);
			k = o.subarray(32);
			n = 0;
		};
		mixHash(e.pub);
		const hello = Buffer.from(proto.HandshakeMessage.encode(
		    { clientHello: { ephemeral: e.pub } }).finish());
		const first = Buffer.concat([this.intro, frameWrap(hello)]);
		if (splitBytes)
			for (const byte of first)
				this.sendBytes(Buffer.from([byte]));
		else
			this.sendBytes(first);
		const it = await this.next();
		if (!it.frame)
			throw new Error(`no ServerHello: ${JSON.stringify(it)}`);
		const sh = proto.HandshakeMessage.decode(it.frame).serverHello;
		mixHash(sh.ephemeral);
		mixKey(x25519(e.priv, Buffer.from(sh.ephemeral)));
		const dec = c => {
			const p = gcmOpen(k, iv(n++), h, c);
			mixHash(c);
			return p;
		};
		const enc = p => {
			const c = gcmSeal(k, iv(n++), h, p);
			mixHash(c);
			return c;
		};
		const rs = dec(Buffer.from(sh.static));
		mixKey(x25519(e.priv, rs));
		const cert = dec(Buffer.from(sh.payload));
		const certWhy = checkCertChain(cert, rootPub, rs);
		const c1 = enc(this.noiseKey.pub);
		mixKey(x25519(this.noiseKey.priv, Buffer.from(sh.ephemeral)));
		const c2 = enc(payload);
		this.sendBytes(frameWrap(Buffer.from(proto.HandshakeMessage.encode(
		    { clientFinish: { static: c1, payload: c2 } }).finish())));
		const o = hkdf(Buffer.alloc(0), ck, Buffer.alloc(0), 64);
		this.writeKey = o.subarray(0, 32);
		this.readKey = o.subarray(32);
		this.wc = this.rc = 0;
		this.transport = true;
		return certWhy;
	}

	sendNode(node) {
		this.sendBytes(frameWrap(gcmSeal(this.writeKey, iv(this.wc++), null,
		    nodeEncode(node))));
	}

	/* Sends an encrypted frame with arbitrary plaintext. */
	sendPlain(pt) {
		this.sendBytes(frameWrap(gcmSeal(this.writeKey, iv(this.wc++), null,
		    pt)));
	}

	close() {
		try {
			this.ws.terminate();
		} catch { /* closed */ }
	}
}

/*
 * Companion side of pair-success (spec 6.5): checks the HMAC with adv and
 * the account signature (and, if given, that the account key is
 * accountKey); returns { err } with whatsmeow's error text, or { reply,
 * jid, lid } with the <pair-device-sign> iq to send.  ident: {priv, pub}.
 */
export function pairSuccessReply(node, adv, ident, accountKey) {
	const ps = child(node, 'pair-success');
	const di = proto.ADVSignedDeviceIdentityHMAC.decode(
	    child(ps, 'device-identity').content);
	const mac = createHmac('sha256', adv).update(di.details).digest();
	if (!mac.equals(Buffer.from(di.hmac)))
		return { err: 'hmac-mismatch' };
	const acc = proto.ADVSignedDeviceIdentity.decode(di.details);
	const details = Buffer.from(acc.details);
	const key = Buffer.from(acc.accountSignatureKey);
	if (accountKey && !key.equals(accountKey))
		return { err: 'unexpected account key' };
	if (!curveVerify(key, Buffer.concat([Buffer.from([6, 0]), details,
	    ident.pub]), acc.accountSignature))
		return { err: 'signature-mismatch' };
	const devSig = curveSign(ident.priv, Buffer.concat([Buffer.from([6, 1]),
	    details, ident.pub, key]), randomBytes(64));
	const out = Buffer.from(proto.ADVSignedDeviceIdentity.encode({
		details, accountSignature: acc.accountSignature,
		deviceSignature: devSig }).finish());
	const keyIndex = proto.ADVDeviceIdentity.decode(details).keyIndex;
	const dev = child(ps, 'device');
	return { reply: { tag: 'iq', attrs: { to: '@s.whatsapp.net',
	    type: 'result', id: node.attrs.id }, content: [{ tag: 'pair-device-sign',
	    attrs: {}, content: [{ tag: 'device-identity',
	    attrs: { 'key-index': String(keyIndex) }, content: out }] }] },
	    jid: dev.attrs.jid, lid: dev.attrs.lid };
}

function ctr(key, iv, data) {
	const c = createCipheriv('aes-256-ctr', key, iv);
	return Buffer.concat([c.update(data), c.final()]);
}

/*
 * Companion side of the pairing-code flow (spec 7), whatsmeow style (byte
 * nonce).  r = { code, ce?, salt?, iv? } (fixed values reproduce the
 * vectors).  wrap() gives the 80-byte wrapped companion ephemeral key;
 * finish(notification, ident, adv_random?, kb_salt?, kb_nonce?) gives
 * { bundle, adv, ref } for companion_finish and the new ADV secret.
 */
export class CodeCompanion {
	constructor({ code, ce, salt, iv }) {
		this.code = code;
		this.ce = ce || x25519KeyPair();
		this.salt = salt || randomBytes(32);
		this.iv = iv || randomBytes(16);
	}

	key(salt) {
		return pbkdf2Sync(this.code, salt, 2 << 16, 32, 'sha256');
	}

	wrap() {
		return Buffer.concat([this.salt, this.iv, ctr(this.key(this.salt),
		    this.iv, this.ce.pub)]);
	}

	hello(jid, noisePub, platformId = '9', display = 'Chrome (Linux)') {
		return { tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'set',
		    xmlns: 'md', id: `ch${randomBytes(4).toString('hex')}` }, content: [{
		    tag: 'link_code_companion_reg', attrs: { jid,
		    stage: 'companion_hello', should_show_push_notification: 'true' },
		    content: [
			{ tag: 'link_code_pairing_wrapped_companion_ephemeral_pub',
			    attrs: {}, content: this.wrap() },
			{ tag: 'companion_server_auth_key_pub', attrs: {},
			    content: noisePub },
			{ tag: 'companion_platform_id', attrs: {}, content: platformId },
			{ tag: 'companion_platform_display', attrs: {},
			    content: display },
			{ tag: 'link_code_pairing_nonce', attrs: {},
			    content: Buffer.from([0]) }
		    ] }] };
	}

	/* Derivations of spec 7.3 steps 2-9 from the primary's values. */
	derive(primaryWrapped, primaryIdent, ident, advRandom, kbSalt, kbNonce) {
		const pePub = ctr(this.key(primaryWrapped.subarray(0, 32)),
		    primaryWrapped.subarray(32, 48), primaryWrapped.subarray(48, 80));
		const eph = x25519(this.ce.priv, pePub);
		const kbKey = hkdf(eph, kbSalt,
		    Buffer.from('link_code_pairing_key_bundle_encryption_key'), 32);
		const bundle = Buffer.concat([kbSalt, kbNonce, gcmSeal(kbKey, kbNonce,
		    null, Buffer.concat([ident.pub, primaryIdent, advRandom]))]);
		const idShared = x25519(ident.priv, primaryIdent);
		const adv = hkdf(Buffer.concat([eph, idShared, advRandom]),
		    Buffer.alloc(32), Buffer.from('adv_secret'), 32);
		return { eph, kbKey, bundle, idShared, adv };
	}

	/* primary_hello notification -> { finish: iq node, adv }. */
	finish(note, jid, ident) {
		const reg = child(note, 'link_code_companion_reg');
		const get = t => Buffer.from(child(reg, t).content);
		const ref = get('link_code_pairing_ref');
		const d = this.derive(get('link_code_pairing_wrapped_primary_ephemeral_pub'),
		    get('primary_identity_pub'), ident, randomBytes(32),
		    randomBytes(32), randomBytes(12));
		return { adv: d.adv, finish: { tag: 'iq', attrs: {
		    to: '@s.whatsapp.net', type: 'set', xmlns: 'md',
		    id: `cf${randomBytes(4).toString('hex')}` }, content: [{
		    tag: 'link_code_companion_reg', attrs: { jid,
		    stage: 'companion_finish' }, content: [
			{ tag: 'link_code_pairing_wrapped_key_bundle', attrs: {},
			    content: d.bundle },
			{ tag: 'companion_identity_public', attrs: {}, content: ident.pub },
			{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }
		    ] }] } };
	}
}

export { curveSign, children };
