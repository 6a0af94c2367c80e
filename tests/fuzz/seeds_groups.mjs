/*
 * Writes the seed corpus of tests/fuzz/fuzz_groups.c into
 * tests/fuzz/corpus/fuzz_groups/ (committed; run again after changing
 * the input layout: node tests/fuzz/seeds_groups.mjs).  Nodes are
 * encoded with Baileys' codec (not ours), shaped like the server's
 * participating answer and w:gp2 notifications.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBinaryNode } from 'baileys/lib/WABinary/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'corpus',
    'fuzz_groups');
mkdirSync(dir, { recursive: true });

function node(n) {
	/* Baileys writes the frame flag byte first; the target wants none. */
	return Buffer.concat([Buffer.from([1]), encodeBinaryNode(n).subarray(1)]);
}
const p = (jid, type) => ({ tag: 'participant',
    attrs: type ? { jid, type } : { jid } });
const seeds = {
	'text-plain': Buffer.concat([Buffer.from([0, 40]),
	    Buffer.from('Shop caf\u00e9 <b>team</b>')]),
	'text-bad': Buffer.from([0, 8, 0x61, 0xc0, 0xaf, 0xed, 0xa0, 0x80,
	    0x0a, 0xe2, 0x82]),
	'participating': node({ tag: 'iq', attrs: { from: '@g.us',
	    type: 'result', id: '1.2-3' }, content: [{ tag: 'groups',
	    attrs: {}, content: [
		{ tag: 'group', attrs: { id: '120363001', subject: 'Team',
		    creation: '1700000000' }, content: [
			p('15550001111@s.whatsapp.net', 'admin'),
			p('15550002222@s.whatsapp.net'),
			{ tag: 'announcement', attrs: {} },
			{ tag: 'locked', attrs: {} }] },
		{ tag: 'group', attrs: { id: '15550002222-1600000000',
		    subject: 'Old' }, content: [p('4242@lid', 'superadmin')] }
	    ] }] }),
	'notif-subject': node({ tag: 'notification', attrs: {
	    from: '120363001@g.us', type: 'w:gp2', id: '9', t: '1700000001',
	    participant: '15550002222@s.whatsapp.net' }, content: [
		{ tag: 'subject', attrs: { subject: 'New', s_t: '1700000001' } }
	    ] }),
	'notif-remove-self': node({ tag: 'notification', attrs: {
	    from: '120363001@g.us', type: 'w:gp2', id: '10' }, content: [
		{ tag: 'remove', attrs: {}, content: [
		    p('15550001111@s.whatsapp.net')] }] }),
	'notif-add-promote': node({ tag: 'notification', attrs: {
	    from: '120363001@g.us', type: 'w:gp2', id: '11' }, content: [
		{ tag: 'add', attrs: {}, content: [p('1555000333@s.whatsapp.net'),
		    p('777@lid')] },
		{ tag: 'promote', attrs: {}, content: [p('4242@lid')] },
		{ tag: 'not_announcement', attrs: {} },
		{ tag: 'unlocked', attrs: {} }] }),
	'notif-delete': node({ tag: 'notification', attrs: {
	    from: '120363001@g.us', type: 'w:gp2', id: '12' }, content: [
		{ tag: 'delete', attrs: { reason: 'delete' } }] }),
	'notif-create': node({ tag: 'notification', attrs: {
	    from: '120363009@g.us', type: 'w:gp2', id: '13' }, content: [
		{ tag: 'create', attrs: { type: 'new' }, content: [
		    { tag: 'group', attrs: { id: '120363009', subject: 'Fresh' },
		    content: [p('15550001111@s.whatsapp.net', 'superadmin')] }
		] }] })
};
for (const [name, data] of Object.entries(seeds))
	writeFileSync(join(dir, name), data);
