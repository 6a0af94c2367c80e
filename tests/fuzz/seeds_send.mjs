// Write the seed corpora of fuzz_usync, fuzz_prekeys and fuzz_ack
// (mk/send.mk) into tests/fuzz/corpus/NAME/: server answers as wasim
// (tests/wasim/e2e.js) sends them, encoded by Baileys' binary encoder,
// without the frame's flag byte (the targets call wa_binary_decode).
// Run again after changing a layout: node tests/fuzz/seeds_send.mjs
import fs from 'node:fs';
import path from 'node:path';
import { nodeEncode } from '../wasim/wire.js';

const TOP = path.join(path.dirname(new URL(import.meta.url).pathname),
    'corpus');
const b = (n, v) => Buffer.alloc(n, v);
const be = (v, n) => { const x = Buffer.alloc(n); x.writeUIntBE(v, 0, n); return x; };

function write(name, label, node) {
	const d = path.join(TOP, name);
	fs.mkdirSync(d, { recursive: true });
	fs.writeFileSync(path.join(d, label), nodeEncode(node).subarray(1));
}

const dev = (id, ki) => ({ tag: 'device', attrs: ki === undefined ?
    { id: String(id) } : { id: String(id), 'key-index': String(ki) } });
write('fuzz_usync', 'devices', { tag: 'iq', attrs: { id: '1.2-3', type:
    'result', from: 's.whatsapp.net' }, content: [{ tag: 'usync', attrs:
    { sid: 'x', mode: 'query', context: 'message', index: '0', last: 'true' },
    content: [{ tag: 'list', attrs: {}, content: [
    { tag: 'user', attrs: { jid: '15557770100@s.whatsapp.net' }, content: [
	{ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {},
	    content: [dev(0), dev(1, 1), dev(2, 2), { tag: 'device', attrs:
	    { id: '99', is_hosted: 'true' } }] }] },
	{ tag: 'lid', attrs: { val: '99887766@lid' } }] },
    { tag: 'user', attrs: { jid: '15557770001@s.whatsapp.net' }, content: [
	{ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {},
	    content: [dev(0)] }] }] },
    { tag: 'user', attrs: { jid: '1@s.whatsapp.net' }, content: [
	{ tag: 'error', attrs: { code: '400' } }] }] }] }] });
write('fuzz_usync', 'group', { tag: 'iq', attrs: { id: '1', type: 'result',
    from: '120363000@g.us' }, content: [{ tag: 'group', attrs: { id:
    '120363000', subject: 'Team', addressing_mode: 'lid' }, content: [
    { tag: 'participant', attrs: { jid: '123@lid', phone_number:
    '15557770100@s.whatsapp.net' } },
    { tag: 'participant', attrs: { jid: '15557770200@s.whatsapp.net',
    type: 'admin' } }] }] });

const bundle = (jid, withKey, wrap) => {
	const keys = [
		{ tag: 'identity', attrs: {}, content: b(32, 7) },
		{ tag: 'skey', attrs: {}, content: [
		    { tag: 'id', attrs: {}, content: be(1, 3) },
		    { tag: 'value', attrs: {}, content: b(32, 8) },
		    { tag: 'signature', attrs: {}, content: b(64, 9) }] }];
	if (withKey)
		keys.push({ tag: 'key', attrs: {}, content: [
		    { tag: 'id', attrs: {}, content: be(77, 3) },
		    { tag: 'value', attrs: {}, content: b(32, 10) }] });
	const reg = { tag: 'registration', attrs: {}, content: be(4242, 4) };
	const type = { tag: 'type', attrs: {}, content: b(1, 5) };
	return { tag: 'user', attrs: { jid }, content: wrap ?
	    [reg, type, { tag: 'keys', attrs: {}, content: keys }] :
	    [reg, type, ...keys] };
};
write('fuzz_prekeys', 'bundles', { tag: 'iq', attrs: { id: '1', type:
    'result', from: 's.whatsapp.net' }, content: [{ tag: 'list', attrs: {},
    content: [bundle('15557770100@s.whatsapp.net', true, false),
    bundle('15557770100:1@s.whatsapp.net', false, true),
    { tag: 'user', attrs: { jid: '15557770100:2@s.whatsapp.net' }, content:
    [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] }] }] });

write('fuzz_ack', 'ok', { tag: 'ack', attrs: { class: 'message', id:
    '3EB0A4C7837C3BE06B5791', from: '15557770100@s.whatsapp.net', t:
    '1764700000' } });
write('fuzz_ack', 'error', { tag: 'ack', attrs: { class: 'message', id:
    '3EB0A4C7837C3BE06B5791', from: '15557770100@s.whatsapp.net', t:
    '1764700000', error: '463' } });
write('fuzz_ack', 'phash', { tag: 'ack', attrs: { class: 'message', id:
    '3EB0A4C7837C3BE06B5791', from: '120363000@g.us', t: '1764700000',
    phash: '2:AbCdEfGh' } });

const keys = bundle('', true, true).content.find((x) => x.tag === 'keys');
write('fuzz_ack', 'retry', { tag: 'receipt', attrs: { from:
    '15557770400:1@s.whatsapp.net', id: '3EB0A4C7837C3BE06B5791', type:
    'retry', t: '1764700000' }, content: [{ tag: 'retry', attrs: { count: '2',
    id: '3EB0A4C7837C3BE06B5791', t: '1764700000', v: '1' } },
    { tag: 'registration', attrs: {}, content: be(4242, 4) }, keys] });
write('fuzz_ack', 'retry-group', { tag: 'receipt', attrs: { from:
    '120363000@g.us', participant: '15557770400:1@s.whatsapp.net', id: 'X',
    type: 'retry' }, content: [{ tag: 'retry', attrs: { count: '1', id: 'X' } },
    { tag: 'registration', attrs: {}, content: be(4242, 4) }] });
