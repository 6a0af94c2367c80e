/*
 * Wire layer of the simulator: X25519/HKDF/AES-GCM from node:crypto, the
 * Noise XX responder (wa-md-protocol.md section 2, with the section 2.4
 * deviation), the 3-byte frame reader/writer with the "WA" intro header
 * (section 1), and the binary node codec taken from Baileys (section 5).
 *
 * Nothing here keeps global state; every connection owns a FrameReader and a
 * NoiseResponder.  Errors on hostile input are thrown as WireError with a
 * short reason; the caller logs them once and closes the connection.
 */
import {
	createCipheriv, createDecipheriv, createHash, createPrivateKey,
	createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes
} from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { proto } from 'baileys/WAProto/index.js';
import { encodeBinaryNode, decodeDecompressedBinaryNode } from
    'baileys/lib/WABinary/index.js';
import * as waConstants from 'baileys/lib/WABinary/constants.js';

export class WireError extends Error {
	constructor(msg) {
		super(msg);
		this.name = 'WireError';
	}
}

/* ---- keys ---------------------------------------------------------- */

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

/* Clamps a 32-byte scalar in place (section 9.1) and returns it. */
export function clamp(k) {
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	return k;
}

/* X25519 key pair {priv, pub} (32-byte Buffers); priv clamped.  With seed
 * (32 bytes) the pair is derived from it, else random. */
export function x25519KeyPair(seed) {
	const priv = clamp(Buffer.from(seed || randomBytes(32)));
	const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, priv]),
	    format: 'der', type: 'pkcs8' });
	const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
	return { priv, pub: Buffer.from(spki.subarray(spki.length - 32)) };
}

/* X25519(priv, pub) -> 32-byte shared secret; throws WireError for a bad
 * public key or an all-zero result (spec 2.2). */
export function x25519(priv, pub) {
	if (!pub || pub.length !== 32)
		throw new WireError('x25519: public key must be 32 bytes');
	let out;
	try {
		out = diffieHellman({
			privateKey: createPrivateKey({ key: Buffer.concat(
			    [X25519_PKCS8, priv]), format: 'der', type: 'pkcs8' }),
			publicKey: createPublicKey({ key: Buffer.concat(
			    [X25519_SPKI, pub]), format: 'der', type: 'spki' })
		});
	} catch (err) {
		throw new WireError(`x25519: ${err.message}`);
	}
	if (out.every(b => b === 0))
		throw new WireError('x25519: all-zero shared secret');
	return out;
}

export function sha256(...parts) {
	const h = createHash('sha256');
	for (const p of parts)
		h.update(p);
	return h.digest();
}

/* RFC 5869 HKDF-SHA256 -> Buffer of len bytes. */
export function hkdf(ikm, salt, info, len) {
	return Buffer.from(hkdfSync('sha256', ikm, salt, info, len));
}

/* AES-256-GCM seal: ciphertext || 16-byte tag. */
export function gcmSeal(key, iv, aad, pt) {
	const c = createCipheriv('aes-256-gcm', key, iv);
	if (aad && aad.length)
		c.setAAD(aad);
	return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

/* AES-256-GCM open; throws WireError on a short input or a bad tag. */
export function gcmOpen(key, iv, aad, ct) {
	if (ct.length < 16)
		throw new WireError('gcm: ciphertext shorter than the tag');
	const d = createDecipheriv('aes-256-gcm', key, iv);
	if (aad && aad.length)
		d.setAAD(aad);
	d.setAuthTag(ct.subarray(ct.length - 16));
	try {
		return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)),
		    d.final()]);
	} catch {
		throw new WireError('gcm: authentication failed');
	}
}

/* IV(n): 8 zero bytes || n as uint32 BE (spec 2.2). */
function nonceIv(n) {
	const iv = Buffer.alloc(12);
	iv.writeUInt32BE(n >>> 0, 8);
	return iv;
}

/* ---- Noise XX responder -------------------------------------------- */

/* 'Noise_XX_25519_AESGCM_SHA256' padded with four NULs to 32 bytes. */
const NOISE_NAME = Buffer.concat([Buffer.from('Noise_XX_25519_AESGCM_SHA256'),
    Buffer.alloc(4)]);
export const WA_HEADER = Buffer.from([0x57, 0x41, 0x06, 0x03]);

/*
 * Server side of WhatsApp's Noise XX (spec 2.3 seen from the responder):
 *   <- e                     MixHash(e)   (no MixHash of an empty payload)
 *   -> e, ee, s, es, payload (server static, then the CertChain)
 *   <- s, se, payload        (client static, then the ClientPayload)
 * new NoiseResponder({ staticKey: {priv, pub}, certChain: Buffer,
 * ephemeral?: {priv, pub} }).  serverHello(clientHelloBytes) returns the
 * HandshakeMessage bytes to send; clientFinish(bytes) returns
 * { clientStatic, payload } and switches to transport mode; then
 * encrypt()/decrypt() handle transport frames.  Everything throws
 * WireError on malformed or unauthentic input.
 */
export class NoiseResponder {
	constructor({ staticKey, certChain, ephemeral }) {
		this.s = staticKey;
		this.cert = certChain;
		this.e = ephemeral || x25519KeyPair();
		this.h = Buffer.from(NOISE_NAME);
		this.ck = Buffer.from(NOISE_NAME);
		this.k = null;
		this.n = 0;
		this.mixHash(WA_HEADER);
		this.readKey = this.writeKey = null;
		this.readCounter = this.writeCounter = 0;
	}

	mixHash(d) {
		this.h = sha256(this.h, d);
	}

	mixKey(ikm) {
		const o = hkdf(ikm, this.ck, Buffer.alloc(0), 64);
		this.ck = o.subarray(0, 32);
		this.k = o.subarray(32);
		this.n = 0;
	}

	encryptAndHash(pt) {
		const c = gcmSeal(this.k, nonceIv(this.n++), this.h, pt);
		this.mixHash(c);
		return c;
	}

	decryptAndHash(c) {
		const p = gcmOpen(this.k, nonceIv(this.n++), this.h, c);
		this.mixHash(c);
		return p;
	}

	serverHello(bytes) {
		const msg = decodeProto(proto.HandshakeMessage, bytes,
		    'HandshakeMessage');
		const re = msg.clientHello && msg.clientHello.ephemeral;
		if (!re || re.length !== 32)
			throw new WireError('ClientHello without a 32-byte ephemeral');
		this.re = Buffer.from(re);
		this.mixHash(this.re);
		this.mixHash(this.e.pub);
		this.mixKey(x25519(this.e.priv, this.re));		/* ee */
		const cs = this.encryptAndHash(this.s.pub);
		this.mixKey(x25519(this.s.priv, this.re));		/* es */
		const cp = this.encryptAndHash(this.cert);
		return Buffer.from(proto.HandshakeMessage.encode({
			serverHello: { ephemeral: this.e.pub, static: cs, payload: cp }
		}).finish());
	}

	clientFinish(bytes) {
		const msg = decodeProto(proto.HandshakeMessage, bytes,
		    'HandshakeMessage');
		const cf = msg.clientFinish;
		if (!cf || !cf.static || !cf.payload)
			throw new WireError('ClientFinish without static/payload');
		if (cf.static.length !== 48)
			throw new WireError(`ClientFinish.static is ${cf.static.length} bytes, want 48`);
		const rs = this.decryptAndHash(Buffer.from(cf.static));
		this.mixKey(x25519(this.e.priv, rs));			/* se */
		const payload = this.decryptAndHash(Buffer.from(cf.payload));
		const o = hkdf(Buffer.alloc(0), this.ck, Buffer.alloc(0), 64);
		/* The client writes with o1 and reads with o2. */
		this.readKey = o.subarray(0, 32);
		this.writeKey = o.subarray(32);
		return { clientStatic: rs, payload };
	}

	encrypt(pt) {
		return gcmSeal(this.writeKey, nonceIv(this.writeCounter++), null, pt);
	}

	decrypt(ct) {
		return gcmOpen(this.readKey, nonceIv(this.readCounter++), null, ct);
	}
}

/* proto.X.decode that throws WireError instead of protobufjs errors. */
export function decodeProto(type, bytes, what) {
	try {
		return type.decode(bytes);
	} catch (err) {
		throw new WireError(`${what}: ${err.message}`);
	}
}

/* ---- frames -------------------------------------------------------- */

export const FRAME_MAX = (1 << 24) - 1;

/*
 * Splits the client's byte stream into frame payloads.  The first bytes must
 * be the intro: 57 41 06 03, optionally preceded by Baileys' edge-routing
 * block 45 44 00 01 LLLLLL <routing> (spec 1.3, 1.4).  push(bytes) returns
 * the list of complete frames now available; throws WireError on a bad
 * header.  The partial-frame buffer is bounded by FRAME_MAX + 3.
 */
export class FrameReader {
	constructor() {
		this.buf = Buffer.alloc(0);
		this.pending = [];
		this.pendingLen = 0;
		this.want = 0;
		this.intro = false;
		this.routingInfo = null;
	}

	push(data) {
		/* Chunks are only joined once a whole frame (or header) is there,
		 * so a big frame in many small messages costs linear time. */
		this.pending.push(Buffer.from(data));
		this.pendingLen += data.length;
		if (this.buf.length + this.pendingLen < this.want)
			return [];
		this.buf = Buffer.concat([this.buf, ...this.pending]);
		this.pending = [];
		this.pendingLen = 0;
		const out = [];
		if (!this.intro && !this.readIntro())
			return out;
		while (this.buf.length >= 3) {
			const len = this.buf.readUIntBE(0, 3);
			if (this.buf.length < 3 + len)
				break;
			out.push(this.buf.subarray(3, 3 + len));
			this.buf = this.buf.subarray(3 + len);
		}
		this.want = this.buf.length >= 3 ? 3 + this.buf.readUIntBE(0, 3) : 3;
		return out;
	}

	readIntro() {
		const b = this.buf;
		let off = 0;
		if (b.length >= 1 && b[0] === 0x45) {
			if (b.length < 7)
				return this.partialIntro(Buffer.from([0x45, 0x44, 0, 1]));
			if (b[1] !== 0x44 || b[2] !== 0 || b[3] !== 1)
				throw new WireError(`bad edge-routing intro ${b.subarray(0, 4).toString('hex')}`);
			const rlen = b.readUIntBE(4, 3);
			if (b.length < 7 + rlen)
				return false;
			this.routingInfo = Buffer.from(b.subarray(7, 7 + rlen));
			off = 7 + rlen;
		}
		const rest = b.subarray(off);
		if (rest.length < 4) {
			if (!WA_HEADER.subarray(0, rest.length).equals(rest))
				throw new WireError(`bad intro header ${rest.toString('hex')}`);
			return false;
		}
		if (!rest.subarray(0, 4).equals(WA_HEADER))
			throw new WireError(`bad intro header ${rest.subarray(0, 4).toString('hex')} (want 57410603)`);
		this.buf = rest.subarray(4);
		this.intro = true;
		return true;
	}

	partialIntro(want) {
		const n = Math.min(this.buf.length, want.length);
		if (!want.subarray(0, n).equals(this.buf.subarray(0, n)))
			throw new WireError(`bad intro header ${this.buf.toString('hex')}`);
		return false;
	}
}

/* 3-byte big-endian length || payload. */
export function frameWrap(payload) {
	if (payload.length > FRAME_MAX)
		throw new WireError('frame too large');
	const h = Buffer.alloc(3);
	h.writeUIntBE(payload.length, 0, 3);
	return Buffer.concat([h, payload]);
}

/* ---- binary nodes (Baileys' codec) --------------------------------- */

const INFLATE_MAX = 1 << 24;

/*
 * Decrypted frame plaintext (flag byte || node) -> node {tag, attrs,
 * content}.  Flag bit 0x02 means zlib (spec 5.1); inflation is bounded.
 * Trailing bytes after the node are an error (Baileys would ignore them;
 * the simulator is stricter so that a C encoder bug shows up).
 */
export function nodeDecode(pt) {
	if (pt.length < 2)
		throw new WireError('node: frame shorter than flag + node');
	let body = pt.subarray(1);
	if (pt[0] & 2) {
		try {
			body = inflateSync(body, { maxOutputLength: INFLATE_MAX });
		} catch (err) {
			throw new WireError(`node: inflate: ${err.message}`);
		}
	}
	const ref = { index: 0 };
	let node;
	try {
		node = decodeDecompressedBinaryNode(body, waConstants, ref);
	} catch (err) {
		throw new WireError(`node: ${err.message}`);
	}
	if (ref.index !== body.length)
		throw new WireError(`node: ${body.length - ref.index} trailing bytes`);
	if (!node || typeof node.tag !== 'string' || node.tag === '')
		throw new WireError('node: empty tag');
	return node;
}

/* node -> frame plaintext (flag 00 || encoded node), Baileys' encoder. */
export function nodeEncode(node) {
	return encodeBinaryNode(node);
}

/* Children of a node as an array (empty when content is not a list). */
export function children(node) {
	return node && Array.isArray(node.content) ? node.content : [];
}

export function child(node, tag) {
	return children(node).find(c => c && c.tag === tag);
}

/* Content of a node as a Buffer (strings become UTF-8); null if absent. */
export function contentBytes(node) {
	if (!node || node.content === undefined || node.content === null)
		return null;
	if (node.content instanceof Uint8Array)
		return Buffer.from(node.content);
	if (typeof node.content === 'string')
		return Buffer.from(node.content, 'utf8');
	return null;
}

/* Human-readable one-line rendering of a node for logs and /state. */
export function nodeString(node, depth = 0) {
	if (!node || typeof node !== 'object')
		return String(node);
	const attrs = Object.entries(node.attrs || {})
	    .map(([k, v]) => ` ${k}="${v}"`).join('');
	let inner = '';
	if (Array.isArray(node.content))
		inner = depth > 4 ? '...' :
		    node.content.map(c => nodeString(c, depth + 1)).join('');
	else if (node.content instanceof Uint8Array)
		inner = node.content.length <= 64 ?
		    `[${Buffer.from(node.content).toString('hex')}]` :
		    `[${node.content.length} bytes]`;
	else if (node.content !== undefined && node.content !== null)
		inner = String(node.content);
	return inner === '' ? `<${node.tag}${attrs}/>` :
	    `<${node.tag}${attrs}>${inner}</${node.tag}>`;
}

export { proto };
