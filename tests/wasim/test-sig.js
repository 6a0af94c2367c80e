#!/usr/bin/env node
/*
 * Unit tests of the simulator's own curve25519 (libsignal XEdDSA) signature
 * code against vectors.json: the Z = 0 signatures are reproduced byte for
 * byte, good signatures verify, and any flipped bit (signature, message,
 * key) is rejected.  Also cross-checks random-Z signatures with libsignal's
 * curve25519-js in both directions, and documents that Baileys' Curve.verify
 * accepts garbage (so it must never be the oracle).
 * Run: node tests/wasim/test-sig.js
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { curveSign, curveVerify } from './xeddsa.js';
import { check, assert, assertEq, done } from './runner.js';
import { hex } from './vectors.js';

const require = createRequire(import.meta.url);
const libsignalCurve = require('libsignal/src/curve.js');
const curveJs = require('curve25519-js');

const Z = Buffer.alloc(64);
const cat = (...b) => Buffer.concat(b);

function clampedSeed(label) {
	const k = createHash('sha256').update(label).digest();
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	return k;
}

const identPriv = hex('keys.client_identity.priv');
const identPub = hex('keys.client_identity.pub');
const acctPriv = clampedSeed('primary-account-signature-key');
const acctPub = hex('pair_success.account_signature_key');
const details = hex('pair_success.adv_device_identity_details');

/* name, signer private key, signer public key, message, expected signature */
const cases = [
	['intermediate cert', hex('keys.test_root.priv'), hex('keys.test_root.pub'),
	    hex('certchain.intermediate_details'), hex('certchain.intermediate_sig')],
	['leaf cert', hex('keys.test_intermediate.priv'),
	    hex('keys.test_intermediate.pub'), hex('certchain.leaf_details'),
	    hex('certchain.leaf_sig')],
	['signed pre-key', identPriv, identPub,
	    cat(Buffer.from([5]), hex('keys.client_signed_prekey.pub')),
	    hex('client_payload.signed_prekey_signature')],
	['account signature', acctPriv, acctPub,
	    cat(Buffer.from([6, 0]), details, identPub),
	    hex('pair_success.account_signature')],
	['device signature', identPriv, identPub,
	    cat(Buffer.from([6, 1]), details, identPub, acctPub),
	    hex('pair_success.device_signature')],
];

function flip(buf, bit) {
	const b = Buffer.from(buf);
	b[bit >> 3] ^= 1 << (bit & 7);
	return b;
}

for (const [name, priv, pub, msg, sig] of cases) {
	await check(`sig ${name}: sign with Z=0 reproduces the vector`, () =>
	    assertEq(curveSign(priv, msg, Z), sig));
	await check(`sig ${name}: verify accepts the vector`, () =>
	    assert(curveVerify(pub, msg, sig), 'rejected'));
	await check(`sig ${name}: verify accepts 05-prefixed key`, () =>
	    assert(curveVerify(cat(Buffer.from([5]), pub), msg, sig)));
	await check(`sig ${name}: any flipped signature bit is rejected`, () => {
		/* R bits, S bits, and the carried sign bit (bit 511). */
		for (const bit of [0, 77, 255, 256, 300, 503, 510, 511])
			assert(!curveVerify(pub, msg, flip(sig, bit)),
			    `bit ${bit} accepted`);
	});
	await check(`sig ${name}: flipped message bit is rejected`, () => {
		for (const bit of [0, msg.length * 4, msg.length * 8 - 1])
			assert(!curveVerify(pub, flip(msg, bit), sig),
			    `bit ${bit} accepted`);
	});
	await check(`sig ${name}: flipped key bit is rejected`, () =>
	    assert(!curveVerify(flip(pub, 9), msg, sig)));
}

await check('sig: wrong signer key is rejected', () =>
    assert(!curveVerify(acctPub, cases[0][3], cases[0][4])));
await check('sig: bad shapes are rejected, not thrown', () => {
	const [, , pub, msg, sig] = cases[0];
	assert(!curveVerify(pub, msg, sig.subarray(0, 63)));
	assert(!curveVerify(pub.subarray(1), msg, sig));
	assert(!curveVerify(null, msg, sig));
	assert(!curveVerify(pub, msg, Buffer.alloc(64)));
	assert(!curveVerify(pub, msg, Buffer.alloc(64, 0xff)));
	/* u = p - 1 makes u + 1 = 0 mod p: no inverse. */
	const pm1 = Buffer.alloc(32, 0xff);
	pm1[0] = 0xec;
	pm1[31] = 0x7f;
	assert(!curveVerify(pm1, msg, sig));
});
await check('sig: S >= L (non-canonical) is rejected', () => {
	const [, , pub, msg, sig] = cases[0];
	/* Add L to S: same point equation, but must be refused. */
	const L = (1n << 252n) + 27742317777372353535851937790883648493n;
	const sb = Buffer.from(sig.subarray(32));
	const carried = sb[31] & 0x80;
	sb[31] &= 0x7f;
	let s = 0n;
	for (let i = 31; i >= 0; i--)
		s = (s << 8n) | BigInt(sb[i]);
	s += L;
	const out = Buffer.alloc(32);
	for (let i = 0; i < 32; i++) {
		out[i] = Number(s & 0xffn);
		s >>= 8n;
	}
	assert((out[31] & 0x80) === 0, 'test setup: S + L overflowed');
	out[31] |= carried;
	assert(!curveVerify(pub, msg, cat(sig.subarray(0, 32), out)));
});
await check('sig: random-Z signatures verify here and in curve25519-js', () => {
	for (let i = 0; i < 4; i++) {
		const priv = clampedSeed(`wasim-test-${i}`);
		const pub = Buffer.from(curveJs.generateKeyPair(priv).public);
		const msg = randomBytes(40 + i);
		const sig = curveSign(priv, msg, randomBytes(64));
		assert(curveVerify(pub, msg, sig), 'own verify');
		assert(curveJs.verify(pub, msg, sig), 'curve25519-js verify');
	}
});
await check('sig: libsignal calculateSignature output verifies here', () => {
	for (let i = 0; i < 4; i++) {
		const priv = clampedSeed(`wasim-libsignal-${i}`);
		const pub = Buffer.from(curveJs.generateKeyPair(priv).public);
		const msg = randomBytes(33);
		const sig = libsignalCurve.calculateSignature(priv, msg);
		assert(curveVerify(pub, msg, sig), 'own verify of libsignal sig');
		assert(!curveVerify(pub, msg, flip(sig, 100)), 'flipped accepted');
	}
});
await check('sig: Baileys Curve.verify is not an oracle (accepts garbage)',
    async () => {
	const { Curve } = await import('baileys/lib/Utils/crypto.js');
	const [, , pub, msg] = cases[0];
	/* Documented in the spec's corrections; if this ever starts failing,
	 * Baileys fixed its wrapper and the note can go. */
	assert(Curve.verify(pub, msg, Buffer.alloc(64, 1)) === true,
	    'Baileys now rejects garbage');
	assert(!curveVerify(pub, msg, Buffer.alloc(64, 1)));
});

done();
