/*
 * Loads vectors.json (wa-md-protocol.md Appendix A): $WADESK_VECTORS, else
 * ../shared/protocol/vectors/vectors.json relative to the repository root
 * (the convention of tests/unit/wa_vec.h).  hex(path) returns a Buffer.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.env.WADESK_VECTORS ||
    path.resolve(here, '../../../shared/protocol/vectors/vectors.json');

export const V = JSON.parse(readFileSync(file, 'utf8'));

export function hex(dotted) {
	return Buffer.from(str(dotted), 'hex');
}

/* The string at a dotted path. */
export function str(dotted) {
	let o = V;
	for (const k of dotted.split('.')) {
		if (o === undefined || !(k in o))
			throw new Error(`vectors.json: no ${dotted}`);
		o = o[k];
	}
	return o;
}
