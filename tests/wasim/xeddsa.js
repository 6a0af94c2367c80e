/*
 * Curve25519 signatures as libsignal computes them ("XEdDSA" with the Edwards
 * sign bit carried in the signature), done with BigInt Ed25519 arithmetic.
 *
 * Scheme per wa-md-protocol.md section 9.3 (libsignal-protocol-c curve_sigs.c,
 * go.mau.fi/libsignal ecc/SignCurve25519.go).  This is the simulator's own
 * oracle: Baileys' Curve.verify accepts any 64-byte signature (see the
 * corrections at the top of the spec), so it is never used for checking.
 *
 * Keys are raw 32-byte X25519 values (Montgomery u for public keys, clamped
 * scalar for private keys), as Buffers.  Slow (a few ms per operation) but
 * simple; the simulator signs and verifies a handful of times per pairing.
 */
import { createHash } from 'node:crypto';

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function mod(a, m = P) {
	const r = a % m;
	return r < 0n ? r + m : r;
}

function powmod(b, e, m = P) {
	let r = 1n;
	b = mod(b, m);
	while (e > 0n) {
		if (e & 1n)
			r = (r * b) % m;
		b = (b * b) % m;
		e >>= 1n;
	}
	return r;
}

function inv(x) {
	return powmod(x, P - 2n);
}

const D = mod(-121665n * inv(121666n));
const SQRT_M1 = powmod(2n, (P - 1n) / 4n);

/* x from y on the twisted Edwards curve; null if no square root exists. */
function xRecover(y, sign) {
	const xx = mod((y * y - 1n) * inv(D * y * y + 1n));
	let x = powmod(xx, (P + 3n) / 8n);
	if (mod(x * x - xx) !== 0n)
		x = mod(x * SQRT_M1);
	if (mod(x * x - xx) !== 0n)
		return null;
	if (x === 0n && sign)
		return null;
	if ((x & 1n) !== BigInt(sign))
		x = P - x;
	return x;
}

const BY = mod(4n * inv(5n));
const BX = xRecover(BY, 0);
const BASE = [BX, BY, 1n, mod(BX * BY)];
const IDENT = [0n, 1n, 1n, 0n];

/* Extended-coordinates addition (RFC 8032 section 5.1.4). */
function ptAdd(p1, p2) {
	const [X1, Y1, Z1, T1] = p1;
	const [X2, Y2, Z2, T2] = p2;
	const a = mod((Y1 - X1) * (Y2 - X2));
	const b = mod((Y1 + X1) * (Y2 + X2));
	const c = mod(T1 * 2n * D * T2);
	const d = mod(Z1 * 2n * Z2);
	const e = b - a, f = d - c, g = d + c, h = b + a;
	return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function ptMul(s, pt) {
	let q = IDENT;
	while (s > 0n) {
		if (s & 1n)
			q = ptAdd(q, pt);
		pt = ptAdd(pt, pt);
		s >>= 1n;
	}
	return q;
}

function leToBig(buf) {
	let r = 0n;
	for (let i = buf.length - 1; i >= 0; i--)
		r = (r << 8n) | BigInt(buf[i]);
	return r;
}

function bigToLe(n, len = 32) {
	const b = Buffer.alloc(len);
	for (let i = 0; i < len; i++) {
		b[i] = Number(n & 0xffn);
		n >>= 8n;
	}
	return b;
}

function ptEncode(pt) {
	const zi = inv(pt[2]);
	const x = mod(pt[0] * zi), y = mod(pt[1] * zi);
	const b = bigToLe(y);
	b[31] |= Number(x & 1n) << 7;
	return b;
}

/* Decodes a 32-byte Edwards point; null if not canonical or not on the curve. */
function ptDecode(b) {
	const y = leToBig(b) & ((1n << 255n) - 1n);
	if (y >= P)
		return null;
	const x = xRecover(y, b[31] >> 7);
	if (x === null)
		return null;
	return [x, y, 1n, mod(x * y)];
}

function sha512(...parts) {
	const h = createHash('sha512');
	for (const p of parts)
		h.update(p);
	return h.digest();
}

function toBuf(x, what) {
	if (!(x instanceof Uint8Array))
		throw new TypeError(`${what}: expected bytes`);
	return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

/*
 * curveSign(priv, msg, random) -> 64-byte Buffer.
 * priv: 32-byte clamped X25519 private key; msg: bytes; random: 64 bytes
 * (the Z of section 9.3; 64 zero bytes reproduce the vectors).  Throws
 * TypeError/RangeError on bad argument shapes.
 */
export function curveSign(priv, msg, random) {
	priv = toBuf(priv, 'priv');
	msg = toBuf(msg, 'msg');
	random = toBuf(random, 'random');
	if (priv.length !== 32 || random.length !== 64)
		throw new RangeError('curveSign: priv must be 32 bytes, random 64');
	const a = leToBig(priv);
	const A = ptEncode(ptMul(a, BASE));
	const prefix = Buffer.alloc(32, 0xff);
	prefix[0] = 0xfe;
	const r = mod(leToBig(sha512(prefix, priv, msg, random)), L);
	const R = ptEncode(ptMul(r, BASE));
	const h = mod(leToBig(sha512(R, A, msg)), L);
	const S = mod(r + h * a, L);
	const sig = Buffer.concat([R, bigToLe(S)]);
	sig[63] = (sig[63] & 0x7f) | (A[31] & 0x80);
	return sig;
}

/*
 * curveVerify(pub, msg, sig) -> true/false; never throws for wrong lengths or
 * hostile bytes (returns false).  pub: 32-byte X25519 public key (a 33-byte
 * key with the 0x05 type prefix is accepted too); sig: 64 bytes.
 */
export function curveVerify(pub, msg, sig) {
	if (!(pub instanceof Uint8Array) || !(msg instanceof Uint8Array) ||
	    !(sig instanceof Uint8Array))
		return false;
	if (pub.length === 33 && pub[0] === 5)
		pub = pub.subarray(1);
	if (pub.length !== 32 || sig.length !== 64)
		return false;
	const u = leToBig(pub) & ((1n << 255n) - 1n);
	if (mod(u + 1n) === 0n)
		return false;
	const y = mod((u - 1n) * inv(u + 1n));
	const Aenc = bigToLe(y);
	Aenc[31] = (Aenc[31] & 0x7f) | (sig[63] & 0x80);
	const Renc = Buffer.from(sig.subarray(0, 32));
	const sBytes = Buffer.from(sig.subarray(32, 64));
	sBytes[31] &= 0x7f;
	const S = leToBig(sBytes);
	if (S >= L)
		return false;
	const A = ptDecode(Aenc);
	const R = ptDecode(Renc);
	if (A === null || R === null)
		return false;
	const h = mod(leToBig(sha512(Renc, Aenc, msg)), L);
	const lhs = ptEncode(ptMul(S, BASE));
	const rhs = ptEncode(ptAdd(R, ptMul(h, A)));
	return lhs.equals(rhs);
}
