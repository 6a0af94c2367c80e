#!/usr/bin/env node
/*
 * Unit tests of the simulator's wire layer against vectors.json: the Noise
 * responder reproduces the vector ServerHello byte for byte, opens the
 * vector ClientFinish, derives the vector transport keys; the frame reader
 * copes with split/packed frames and rejects bad intros; the node decoder
 * rejects trailing garbage.  Run: node tests/wasim/test-wire.js
 */
import { randomBytes, randomInt } from 'node:crypto';
import { check, assert, assertEq, done } from './runner.js';
import { hex } from './vectors.js';
import {
	FrameReader, NoiseResponder, WireError, frameWrap, nodeDecode, nodeEncode,
	x25519KeyPair
} from './wire.js';

function responder() {
	return new NoiseResponder({
		staticKey: { priv: hex('keys.server_static.priv'),
		    pub: hex('keys.server_static.pub') },
		ephemeral: { priv: hex('keys.server_ephemeral.priv'),
		    pub: hex('keys.server_ephemeral.pub') },
		certChain: hex('certchain.certchain')
	});
}

await check('wire: key pair from seed matches the vector public key', () =>
    assertEq(x25519KeyPair(hex('keys.test_root.priv')).pub,
    hex('keys.test_root.pub')));

await check('wire: noise h0 after prologue', () =>
    assertEq(responder().h, hex('noise.steps.h0_after_prologue')));

await check('wire: noise ServerHello reproduces the vector', () => {
	const r = responder();
	assertEq(r.serverHello(hex('noise.client_hello_proto')),
	    hex('noise.server_hello_proto'));
	assertEq(r.ck, hex('noise.steps.ck_after_es'), 'ck after es');
});

await check('wire: noise ClientFinish opens and splits like the vector', () => {
	const r = responder();
	r.serverHello(hex('noise.client_hello_proto'));
	const { clientStatic, payload } =
	    r.clientFinish(hex('noise.client_finish_proto'));
	assertEq(clientStatic, hex('keys.client_noise_static.pub'), 'static');
	assertEq(payload, hex('client_payload.registration'), 'payload');
	assertEq(r.h, hex('noise.final_h'), 'final h');
	assertEq(r.readKey, hex('noise.client_write_key'), 'read key');
	assertEq(r.writeKey, hex('noise.client_read_key'), 'write key');
	assertEq(r.decrypt(hex('noise.transport_ct_counter0')),
	    hex('noise.transport_plaintext'), 'frame 0');
	assertEq(r.decrypt(hex('noise.transport_ct_counter1')),
	    hex('noise.transport_plaintext'), 'frame 1');
});

await check('wire: tampered ClientFinish is rejected with WireError', () => {
	const r = responder();
	r.serverHello(hex('noise.client_hello_proto'));
	const cf = hex('noise.client_finish_proto');
	cf[10] ^= 1;
	try {
		r.clientFinish(cf);
	} catch (err) {
		return assert(err instanceof WireError, err.message);
	}
	throw new Error('accepted');
});

await check('wire: garbage handshake bytes are rejected, not crashed', () => {
	for (const g of [Buffer.alloc(0), Buffer.from('ffffffff', 'hex'),
	    Buffer.from('12020a00', 'hex'), Buffer.from('1222', 'hex')]) {
		try {
			responder().serverHello(g);
		} catch (err) {
			assert(err instanceof WireError, err.message);
			continue;
		}
		throw new Error(`accepted ${g.toString('hex')}`);
	}
});

await check('wire: frames split byte by byte and packed together', () => {
	const first = hex('noise.first_ws_message');
	const r = new FrameReader();
	let got = [];
	for (const b of first)
		got = got.concat(r.push(Buffer.from([b])));
	assert(got.length === 1, `got ${got.length} frames`);
	assertEq(got[0], hex('noise.client_hello_proto'));
	const packed = Buffer.concat([frameWrap(Buffer.from('aa', 'hex')),
	    frameWrap(Buffer.alloc(0)), frameWrap(Buffer.from('bbcc', 'hex'))]);
	got = r.push(packed.subarray(0, 5)).concat(r.push(packed.subarray(5)));
	assert(got.length === 3, `got ${got.length} frames`);
	assertEq(got[2], Buffer.from('bbcc', 'hex'));
});

await check('wire: edge-routing intro is accepted', () => {
	const r = new FrameReader();
	const intro = Buffer.from('454400010000027a7a57410603000001ff', 'hex');
	const got = r.push(intro);
	assert(got.length === 1 && got[0][0] === 0xff);
	assertEq(r.routingInfo, Buffer.from('zz'));
});

await check('wire: bad intro headers are rejected', () => {
	for (const h of ['57410503', '57410602', '000024', '4544000200']) {
		try {
			new FrameReader().push(Buffer.from(h, 'hex'));
		} catch (err) {
			assert(err instanceof WireError);
			continue;
		}
		throw new Error(`accepted ${h}`);
	}
});

await check('wire: node decode of the spec 5.8 example', () => {
	const n = nodeDecode(hex('noise.transport_plaintext'));
	assert(n.tag === 'iq' && n.attrs.id === '1' && n.attrs.type === 'result' &&
	    n.attrs.to === '@s.whatsapp.net', JSON.stringify(n));
});

await check('wire: node decode rejects trailing bytes and garbage', () => {
	const bad = [Buffer.concat([hex('noise.transport_plaintext'),
	    Buffer.from([0])]), Buffer.from('00f8', 'hex'),
	    Buffer.from('00f805eeffff', 'hex'), Buffer.from('02789c00', 'hex'),
	    Buffer.from('00', 'hex'), Buffer.from('00f801f0', 'hex')];
	for (const b of bad) {
		try {
			nodeDecode(b);
		} catch (err) {
			assert(err instanceof WireError, err.message);
			continue;
		}
		throw new Error(`accepted ${b.toString('hex')}`);
	}
});

await check('wire: node encode/decode round trip (stream:error 515)', () => {
	const e = nodeEncode({ tag: 'stream:error', attrs: { code: '515' } });
	assertEq(e, Buffer.from('00f8039d70ff82515f', 'hex'));
	assert(nodeDecode(e).attrs.code === '515');
});

await check('wire: random and mutated bytes only ever raise WireError', () => {
	const seeds = [hex('noise.transport_plaintext'),
	    nodeEncode({ tag: 'stream:error', attrs: { code: '401' }, content: [
	    { tag: 'conflict', attrs: { type: 'device_removed' } }] }),
	    nodeEncode({ tag: 'iq', attrs: { id: '1', to: '15550100:3@s.whatsapp.net' },
	    content: [{ tag: 'ref', attrs: {}, content: Buffer.alloc(300, 0x41) }] })];
	let n = 0;
	const tryOne = b => {
		try {
			nodeDecode(b);
		} catch (err) {
			if (!(err instanceof WireError))
				throw new Error(`${b.toString('hex')}: ${err.stack}`);
		}
		n++;
	};
	for (let i = 0; i < 3000; i++)
		tryOne(randomBytes(i % 80));
	for (const seed of seeds)
		for (let i = 0; i < 2000; i++) {
			const b = Buffer.from(seed);
			for (let k = 0; k < 1 + (i % 3); k++)
				b[randomInt(b.length)] = randomInt(256);
			tryOne(i % 7 === 0 ? b.subarray(0, randomInt(b.length)) : b);
		}
	for (let i = 0; i < 300; i++) {
		try {
			responder().serverHello(randomBytes(i % 60));
		} catch (err) {
			if (!(err instanceof WireError))
				throw new Error(err.stack);
		}
	}
	return n >= 9000;
});

await check('wire: frame reader gives the same frames for any chunking', () => {
	const frames = [randomBytes(0), randomBytes(5), randomBytes(300),
	    randomBytes(70000)];
	const stream = Buffer.concat([Buffer.from('57410603', 'hex'),
	    ...frames.map(frameWrap)]);
	for (let round = 0; round < 50; round++) {
		const r = new FrameReader();
		let got = [];
		for (let off = 0; off < stream.length;) {
			const len = 1 + randomInt(round < 25 ? 7 : 5000);
			got = got.concat(r.push(stream.subarray(off, off + len)));
			off += len;
		}
		assert(got.length === frames.length, `round ${round}: ${got.length}`);
		got.forEach((f, i) => assertEq(f, frames[i]));
	}
});

done();
