// Write N random nodes encoded by Baileys, one "HEX<TAB>JSON" line each,
// for binary_interop check.  usage: node gen.mjs N SEED FILE
//
// The JSON is Baileys' own decoding of its bytes, so the C side is held to
// both halves of Baileys' codec.  Only forms on which Baileys and whatsmeow
// agree are generated (tests/wa/interop/README lists the exceptions), and
// every node must survive Baileys' own encode(decode(bytes)) unchanged, or
// the generator itself is wrong and this prints FAIL.
import fs from 'node:fs';
import { C, baileysEncode, baileysDecode, toTree, fromTree, rng } from './common.mjs';

const [count, seed, out] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const r = rng(seed);
const pick = a => a[r(a.length)];
const single = C.SINGLE_BYTE_TOKENS.slice(1);
const dbl = C.DOUBLE_BYTE_TOKENS.flat();
const tokens = single.concat(dbl);
const chars = (set, n) => { let s = ''; for (let i = 0; i < n; i++) s += set[r(set.length)]; return s; };
const digits = n => chars('0123456789', n);
const intLike = /^(0|[1-9][0-9]*)$/;

function token() {
	return r(2) ? pick(single) : pick(dbl);
}

// A raw string: ASCII and multibyte UTF-8, never '@' or NUL.
function raw(n) {
	let s = '';
	for (let i = 0; i < n; i++)
		s += r(8) === 0 ? pick(['é', '日', '😀', 'Ж']) :
		    pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 -_.:/+=,'.split(''));
	return s;
}

// JIDs both libraries write the same way: pairs, and AD forms with a
// device > 0 on s.whatsapp.net, lid, hosted, hosted.lid.  Users have no
// ':', '_' or '.', which Baileys' jidDecode would split.
function jid() {
	const servers = ['s.whatsapp.net', 'lid', 'g.us', 'broadcast', 'c.us', 'newsletter', 'bot', 'call'];
	switch (r(6)) {
	case 0: return '@' + pick(servers);
	case 1: return digits(5 + r(11)) + '@' + pick(servers);
	case 2: return digits(5 + r(11)) + ':' + (1 + r(255)) + '@' + pick(['s.whatsapp.net', 'lid']);
	case 3: return digits(5 + r(11)) + ':' + (1 + r(255)) + '@' + pick(['hosted', 'hosted.lid']);
	case 4: return digits(6 + r(10)) + '-' + digits(6 + r(4)) + '@g.us';
	default: return chars('abcdefghijklmnopqrstuvwxyz', 1 + r(10)) + '@' + pick(servers);
	}
}

function value() {
	switch (r(7)) {
	case 0: return token();
	case 1: return chars('0123456789-.', 1 + r(r(4) === 0 ? 127 : 20));
	case 2: return chars('0123456789ABCDEF', 1 + r(r(4) === 0 ? 127 : 32));
	case 3: case 4: return jid();
	default: return raw(1 + r(r(10) === 0 ? 600 : 40));
	}
}

function name() {
	if (r(2)) {
		let t;
		do t = pick(tokens); while (intLike.test(t) || t.includes('@'));
		return t;
	}
	return chars('abcdefghijklmnopqrstuvwxyz', 1) + chars('abcdefghijklmnopqrstuvwxyz_-:', r(12));
}

// Sizes: BINARY_32 (>= 1 MiB) only at the root and rarely, BINARY_20 only
// near the root, so that Baileys' byte-at-a-time encoder stays quick.
function bytes(depth) {
	const k = r(depth === 1 ? 300 : 40);
	const n = depth === 1 && k === 0 ? (1 << 20) + r(5000) :
	    depth <= 2 && k < 4 ? 256 + r(70000) : r(256);
	const b = Buffer.alloc(n);
	for (let i = 0; i < n; i++) b[i] = r(256);
	return b;
}

// Children of a wide (LIST_16) list are small leaves.
function node(depth, leaf = false) {
	const n = { tag: name(), attrs: {} };
	const na = !leaf && r(20) === 0 ? 120 + r(20) : r(leaf ? 3 : 6);
	for (let i = 0; i < na; i++) {
		const k = name();
		if (!(k in n.attrs)) n.attrs[k] = value();
	}
	switch (leaf ? r(2) : depth > 5 ? r(3) : r(5)) {
	case 0: break;
	case 1: n.content = value(); break;
	case 2: n.content = bytes(depth); break;
	default: {
		const wide = r(30) === 0;
		const nc = wide ? 256 + r(50) : 1 + r(4);
		n.content = [];
		for (let i = 0; i < nc; i++) n.content.push(node(depth + 1, wide));
	}
	}
	return n;
}

const lines = [];
let bad = 0;
for (let i = 0; i < count; i++) {
	const b = baileysEncode(node(1));
	const tree = toTree(baileysDecode(b));
	const again = baileysEncode(fromTree(tree));
	if (Buffer.compare(again, b) !== 0) {
		if (bad++ < 3) console.error('not canonical in Baileys:', JSON.stringify(tree).slice(0, 400));
		continue;
	}
	lines.push(b.toString('hex') + '\t' + JSON.stringify(tree) + '\n');
}
fs.writeFileSync(out, lines.join(''));
console.log(`${bad === 0 ? 'ok' : 'FAIL'} interop_baileys_gen (${lines.length} nodes, seed ${seed})`);
process.exit(bad === 0 ? 0 : 1);
