// Shared by gen.mjs and check.mjs: Baileys' codec (the installed npm
// package, read straight from lib/WABinary so that the rest of Baileys is
// not loaded), the line format and tree conversions.
//
// Line format: HEX<TAB>JSON, JSON tree {"t": tag, "a": [[key, value], ...],
// "c": null | {"s": text} | {"b": hex} | [trees]}.
import fs from 'node:fs';

const lib = new URL('../../node_modules/baileys/lib/WABinary/', import.meta.url);
const enc = await import(new URL('encode.js', lib));
const dec = await import(new URL('decode.js', lib));
export const C = await import(new URL('constants.js', lib));

// Baileys' encodeBinaryNode puts the 0x00 frame flag first; strip it.
export function baileysEncode(node) {
	return enc.encodeBinaryNode(node).subarray(1);
}

export function baileysDecode(bytes) {
	return dec.decodeDecompressedBinaryNode(Buffer.from(bytes), C, { index: 0 });
}

// Baileys node (as its decoder returns it) -> JSON tree.
export function toTree(n) {
	const t = { t: n.tag, a: Object.keys(n.attrs || {}).map(k => [k, n.attrs[k]]), c: null };
	if (typeof n.content === 'string')
		t.c = { s: n.content };
	else if (Buffer.isBuffer(n.content) || n.content instanceof Uint8Array)
		t.c = { b: Buffer.from(n.content).toString('hex') };
	else if (Array.isArray(n.content))
		t.c = n.content.map(toTree);
	return t;
}

// JSON tree -> Baileys node.
export function fromTree(t) {
	const attrs = {};
	for (const [k, v] of t.a)
		attrs[k] = v;
	const n = { tag: t.t, attrs };
	if (t.c === null)
		return n;
	if (Array.isArray(t.c))
		n.content = t.c.map(fromTree);
	else if ('s' in t.c)
		n.content = t.c.s;
	else
		n.content = Buffer.from(t.c.b, 'hex');
	return n;
}

export function readLines(path) {
	return fs.readFileSync(path, 'utf8').split('\n').filter(l => l.length > 0);
}

// mulberry32: a small seeded generator so runs can be repeated.
export function rng(seed) {
	let a = seed >>> 0;
	return function (n) {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return (((t ^ (t >>> 14)) >>> 0) % n);
	};
}
