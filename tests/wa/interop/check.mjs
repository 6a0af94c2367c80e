// Check a file written by "binary_interop gen" with Baileys: Baileys must
// decode every C encoding to exactly the C tree, and, for trees whose JIDs
// Baileys can write the way whatsmeow does, Baileys' encoder must give
// exactly the C bytes.  usage: node check.mjs FILE
//
// Baileys cannot encode FB_JID (msgr) or INTEROP_JID at all (its jidDecode
// makes an AD_JID or a pair of them), and it writes "user@hosted" as a
// JID_PAIR where whatsmeow (and we) write AD_JID; trees holding those are
// checked in the decode direction only, and counted.
import { baileysEncode, baileysDecode, toTree, fromTree, readLines } from './common.mjs';

const path = process.argv[2];
const lines = readLines(path);
const differs = /(^|[^:0-9])[0-9]+@hosted(\.lid)?$|@msgr$|@interop$/;

function encodable(t) {
	for (const [, v] of t.a)
		if (differs.test(v)) return false;
	if (t.c === null) return true;
	if (Array.isArray(t.c)) return t.c.every(encodable);
	return !('s' in t.c) || !differs.test(t.c.s);
}

let badDec = 0, badEnc = 0, skipped = 0;
for (const [i, line] of lines.entries()) {
	const [hex, json] = line.split('\t');
	const want = JSON.parse(json);
	const bytes = Buffer.from(hex, 'hex');
	let got;
	try {
		got = JSON.stringify(toTree(baileysDecode(bytes)));
	} catch (e) {
		got = 'error: ' + e.message;
	}
	if (got !== JSON.stringify(want)) {
		if (badDec++ < 5)
			console.error(`${path}:${i + 1}: Baileys decodes differently\n  c:       ${json.slice(0, 400)}\n  baileys: ${got.slice(0, 400)}`);
	}
	if (!encodable(want)) {
		skipped++;
		continue;
	}
	const enc = baileysEncode(fromTree(want)).toString('hex');
	if (enc !== hex) {
		if (badEnc++ < 5)
			console.error(`${path}:${i + 1}: Baileys encodes differently\n  tree:    ${json.slice(0, 400)}\n  c:       ${hex.slice(0, 400)}\n  baileys: ${enc.slice(0, 400)}`);
	}
}
console.error(`${lines.length} nodes from C: ${badDec} decode and ${badEnc} encode mismatches; ${skipped} not encodable by Baileys`);
if (lines.length < 100) badDec++;
console.log(`${badDec === 0 ? 'ok' : 'FAIL'} interop_baileys_decodes_c (${lines.length} nodes)`);
console.log(`${badEnc === 0 ? 'ok' : 'FAIL'} interop_baileys_encodes_as_c (${lines.length - skipped} nodes)`);
process.exit(badDec + badEnc === 0 ? 0 : 1);
