#!/usr/bin/env node
'use strict';
/*
 * The JSON API (cgi/api.c, issue 13) on the stack web.sh starts: keys
 * made on the settings page, every route, scope refusals, account
 * limits, foreign accounts (404), revoked keys (401), the rate limit
 * (429 + Retry-After), cursor pagination, strict bodies (400, 413,
 * 415, 422), the OpenAPI document checked by a real validator, and the
 * command rows an action writes (the same the pages write).  The owner
 * connection stands in for the daemon, as in web.test.js.
 */
const assert = require('node:assert/strict');
const { Validator } = require('@seriousme/openapi-schema-validator');
const { Browser, BASE, dbConnect, runChecks, ctl } = require('./lib');

const ADMIN_PW = process.env.WADESK_ADMIN_PASSWORD;
let db, adm, op, opId;
const keys = {};

async function q(sql, p) { return (await db.query(sql, p)).rows; }

async function api(method, path, key, opts = {}) {
	const h = Object.assign({}, opts.headers || {});
	if (key)
		h.authorization = 'Bearer ' + key;
	let body = opts.body;
	if (opts.json !== undefined) {
		body = JSON.stringify(opts.json);
		h['content-type'] = 'application/json';
	}
	const r = await fetch(BASE + path, { method, headers: h, body,
	    redirect: 'manual' });
	const buf = Buffer.from(await r.arrayBuffer());
	let json = null;
	try { json = JSON.parse(buf.toString()); } catch (e) { /* PNG */ }
	return { status: r.status, headers: r.headers, body: buf, json };
}

function isErr(r, status, what) {
	assert.equal(r.status, status, `${what}: ${r.status} ${r.body}`);
	assert.equal(typeof r.json.error.code, 'string', what);
	assert.match(r.json.error.message, /^[A-Z].*[.)]$/, `${what}: sentence`);
}

/* Make a key on the settings page as browser "b"; returns the key. */
async function makeKey(b, name, scopes, accounts = '') {
	const form = new URLSearchParams();
	form.append('csrf', b.csrf);
	form.append('name', name);
	for (const s of scopes)
		form.append('scope', s);
	form.append('accounts', accounts);
	const r = await b.req('POST', '/settings/api-keys', { body:
	    form.toString(), headers: { 'content-type':
	    'application/x-www-form-urlencoded' } });
	assert.equal(r.status, 200, `make key ${name}: ${r.status}`);
	const m = /<code class="apikey">(wdk_[0-9a-f]{12}_[0-9a-f]{64})<\/code>/
	    .exec(r.text);
	assert.ok(m, 'the new key is not shown');
	return m[1];
}

async function createAcc(b, label) {
	const r = await b.postc('/accounts', { label });
	assert.equal(r.status, 303);
	return Number(/\/accounts\/(\d+)/.exec(r.location)[1]);
}

const checks = [];
function check(name, fn) { checks.push([name, fn]); }

check('api-setup', async () => {
	adm = await new Browser('admin').signIn('admin', ADMIN_PW);
	const pw = 'apiop-pw-12345';
	const r = await adm.postc('/settings/operators',
	    { username: 'apiop', password: pw, role: 'operator' });
	assert.equal(r.status, 303);
	opId = Number((await q("SELECT id FROM operators WHERE username = " +
	    "'apiop'"))[0].id);
	op = await new Browser('apiop').signIn('apiop', pw);
	keys.rw = await makeKey(op, 'rw', ['accounts:read', 'accounts:write']);
	keys.ro = await makeKey(op, 'ro', ['accounts:read']);
	keys.wo = await makeKey(op, 'wo', ['accounts:write']);
	keys.adm = await makeKey(adm, 'admin all', ['accounts:read']);
});

check('api-keys-page-stores-hash-only', async () => {
	const rows = await q('SELECT prefix, secret_hash, scopes FROM api_keys ' +
	    'WHERE operator_id = $1 ORDER BY id', [opId]);
	assert.equal(rows.length, 3);
	const [, p, s] = /^wdk_([0-9a-f]{12})_([0-9a-f]{64})$/.exec(keys.rw);
	assert.equal(rows[0].prefix, p);
	assert.notEqual(rows[0].secret_hash, s);
	assert.equal(rows[0].secret_hash, require('node:crypto')
	    .createHash('sha256').update(s).digest('hex'));
	const page = await op.get('/settings/api-keys');
	assert.equal(page.status, 200);
	assert.ok(page.text.includes(`wdk_${p}_`), 'prefix listed');
	assert.ok(!page.text.includes(s), 'secret shown again');
	assert.ok(page.text.includes('accounts:read, accounts:write'));
	/* Bad input: 422 with the form. */
	const bad = await op.postc('/settings/api-keys', { name: 'x',
	    accounts: '1, abc', scope: 'accounts:read' });
	assert.equal(bad.status, 422);
	const none = await op.postc('/settings/api-keys', { name: 'x' });
	assert.equal(none.status, 422);
	/* A key never reaches the keys page (no session: sign-in). */
	const viaKey = await api('GET', '/settings/api-keys', keys.rw);
	assert.equal(viaKey.status, 303);
});

check('api-openapi-valid', async () => {
	const r = await api('GET', '/api/v1/openapi.json');
	assert.equal(r.status, 200);
	assert.equal(r.json.openapi, '3.1.0');
	const v = await new Validator().validate(r.json);
	assert.deepEqual(v, { valid: true }, JSON.stringify(v.errors));
	for (const p of ['/api/v1/accounts', '/api/v1/accounts/{id}',
	    '/api/v1/accounts/{id}/qr', '/api/v1/accounts/{id}/qr.png',
	    '/api/v1/commands/{id}', '/api/v1/accounts/{id}/pair',
	    '/api/v1/accounts/{id}/delete', '/api/v1/accounts/{id}/messages',
	    '/api/v1/accounts/{id}/proxy'])
		assert.ok(r.json.paths[p], `document lacks ${p}`);
});

check('api-auth-401', async () => {
	for (const k of [null, 'nonsense', keys.rw.slice(0, -1) + 'x',
	    'wdk_000000000000_' + '0'.repeat(64)]) {
		const r = await api('GET', '/api/v1/accounts', k);
		isErr(r, 401, `key ${k}`);
		assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
	}
	isErr(await api('GET', '/api/v1/nope', keys.rw), 404, 'no route');
	const m = await api('DELETE', '/api/v1/accounts', keys.rw);
	isErr(m, 405, 'method');
	assert.equal(m.headers.get('allow'), 'GET, HEAD, POST');
});

let acc;
check('api-create-get-list', async () => {
	const c = await api('POST', '/api/v1/accounts', keys.rw,
	    { json: { label: 'API shop' } });
	assert.equal(c.status, 201, String(c.body));
	acc = c.json.id;
	assert.equal(c.headers.get('location'), `/api/v1/accounts/${acc}`);
	assert.equal(c.json.status, 'unpaired');
	const ev = await q('SELECT kind, operator_id FROM account_events ' +
	    'WHERE account_id = $1', [acc]);
	assert.deepEqual(ev.map((e) => [e.kind, Number(e.operator_id)]),
	    [['created', opId]], 'the page\'s event');
	const g = await api('GET', `/api/v1/accounts/${acc}`, keys.ro);
	assert.equal(g.status, 200);
	assert.equal(g.json.label, 'API shop');
	assert.equal(g.json.operator, 'apiop');
	const page = await op.get(`/accounts/${acc}`);
	assert.equal(page.status, 200, 'the page sees it');
	isErr(await api('POST', '/api/v1/accounts', keys.rw,
	    { json: { label: '' } }), 422, 'empty label');
});

check('api-scopes-403', async () => {
	isErr(await api('POST', '/api/v1/accounts', keys.ro,
	    { json: { label: 'x' } }), 403, 'ro create');
	isErr(await api('POST', `/api/v1/accounts/${acc}/pair`, keys.ro),
	    403, 'ro pair');
	isErr(await api('GET', '/api/v1/accounts', keys.wo), 403, 'wo list');
	isErr(await api('GET', `/api/v1/accounts/${acc}`, keys.wo), 403,
	    'wo get');
	isErr(await api('GET', '/api/v1/commands/1', keys.wo), 403, 'wo cmd');
});

check('api-foreign-and-limited-404', async () => {
	const foreign = await createAcc(adm, 'admin own');
	isErr(await api('GET', `/api/v1/accounts/${foreign}`, keys.rw), 404,
	    'foreign get');
	isErr(await api('POST', `/api/v1/accounts/${foreign}/pair`, keys.rw),
	    404, 'foreign pair');
	/* The admin's key sees every account, as the admin does. */
	assert.equal((await api('GET', `/api/v1/accounts/${acc}`,
	    keys.adm)).status, 200);
	const other = await createAcc(op, 'second');
	const lim = await makeKey(op, 'limited', ['accounts:read',
	    'accounts:write'], String(acc));
	assert.equal((await api('GET', `/api/v1/accounts/${acc}`, lim)).status,
	    200);
	isErr(await api('GET', `/api/v1/accounts/${other}`, lim), 404,
	    'outside the list');
	const l = await api('GET', '/api/v1/accounts', lim);
	assert.deepEqual(l.json.data.map((a) => a.id), [acc]);
	isErr(await api('POST', '/api/v1/accounts', lim,
	    { json: { label: 'z' } }), 403, 'limited create');
	const bad = await op.postc('/settings/api-keys', { name: 'y',
	    scope: 'accounts:read', accounts: String(foreign) });
	assert.equal(bad.status, 422, 'limit to a foreign account');
});

check('api-bodies-strict', async () => {
	const p = '/api/v1/accounts';
	isErr(await api('POST', p, keys.rw, { body: '{"label":',
	    headers: { 'content-type': 'application/json' } }), 400, 'cut');
	isErr(await api('POST', p, keys.rw, { body: '{"label":"a"} x',
	    headers: { 'content-type': 'application/json' } }), 400, 'trailing');
	isErr(await api('POST', p, keys.rw, { body: '{"label":"a"}',
	    headers: { 'content-type': 'text/plain' } }), 415, 'type');
	isErr(await api('POST', p, keys.rw, { json: { label: 5 } }), 422,
	    'number');
	isErr(await api('POST', p, keys.rw, { json: [1] }), 422, 'array');
	isErr(await api('POST', p, keys.rw, { json: { label: 'a', x: 1 } }),
	    422, 'unknown field');
	isErr(await api('POST', p, keys.rw, { json: {} }), 422, 'missing');
	isErr(await api('POST', p, keys.rw, { json: { label: 'a'.repeat(20000) } }),
	    413, 'program 413');
	const big = await api('POST', p, keys.rw, { json: { label:
	    'a'.repeat(100000) } });
	isErr(big, 413, 'nginx 413');
	isErr(await api('POST', `/api/v1/accounts/${acc}/pair-code`, keys.rw,
	    { json: { phone: 'abc' } }), 422, 'bad phone');
	isErr(await api('POST', `/api/v1/accounts/${acc}/pair-code`, keys.rw,
	    { json: { phone: 1 } }), 422, 'phone number type');
});

check('api-actions-commands', async () => {
	const before = await q('SELECT count(*)::int AS n FROM commands');
	const r = await api('POST', `/api/v1/accounts/${acc}/pair`, keys.rw);
	assert.equal(r.status, 202, String(r.body));
	const cmd = (await q('SELECT id, type, created_by, payload FROM ' +
	    'commands WHERE account_id = $1 ORDER BY id DESC LIMIT 1',
	    [acc]))[0];
	assert.equal(Number(cmd.id), r.json.command_id);
	assert.equal(cmd.type, 'pair');
	assert.equal(Number(cmd.created_by), opId);
	assert.equal((await q('SELECT status FROM accounts WHERE id = $1',
	    [acc]))[0].status, 'pending');
	let c = await api('GET', `/api/v1/commands/${cmd.id}`, keys.ro);
	assert.equal(c.status, 200);
	assert.equal(c.json.state, 'queued');
	/* Pairing again does not fit: 409, as on the page. */
	isErr(await api('POST', `/api/v1/accounts/${acc}/pair`, keys.rw), 409,
	    'pair twice');
	/* The daemon's part, by hand: a QR, then the command done. */
	await q("UPDATE accounts SET qr_code = '2@apitest,abc,def,ghi', " +
	    'qr_version = qr_version + 1 WHERE id = $1', [acc]);
	await q("UPDATE commands SET claimed_at = now(), done_at = now(), " +
	    "result = 'ok' WHERE id = $1", [cmd.id]);
	c = await api('GET', `/api/v1/commands/${cmd.id}`, keys.ro);
	assert.equal(c.json.state, 'done');
	const qr = await api('GET', `/api/v1/accounts/${acc}/qr`, keys.ro);
	assert.equal(qr.status, 200);
	assert.equal(qr.json.qr_code, '2@apitest,abc,def,ghi');
	const png = await api('GET', qr.json.png, keys.ro);
	assert.equal(png.status, 200);
	assert.equal(png.headers.get('content-type'), 'image/png');
	assert.equal(png.body.subarray(1, 4).toString(), 'PNG');
	isErr(await api('GET', qr.json.png, null), 401, 'png without key');
	const cancel = await api('POST', `/api/v1/accounts/${acc}/cancel`,
	    keys.rw, { json: {} });
	assert.equal(cancel.status, 202);
	isErr(await api('GET', `/api/v1/accounts/${acc}/qr`, keys.ro), 404,
	    'no qr after cancel');
	for (const a of ['reconnect', 'disconnect', 'unpair'])
		isErr(await api('POST', `/api/v1/accounts/${acc}/${a}`, keys.rw),
		    409, `${a} on unpaired`);
	await q("UPDATE accounts SET status = 'disconnected' WHERE id = $1",
	    [acc]);
	for (const a of ['reconnect', 'disconnect', 'unpair'])
		assert.equal((await api('POST', `/api/v1/accounts/${acc}/${a}`,
		    keys.rw)).status, 202, a);
	const pc = await api('POST', `/api/v1/accounts/${acc}/pair-code`,
	    keys.rw, { json: { phone: '+1 555 0100' } });
	assert.equal(pc.status, 409, 'pair-code while connecting');
	const del = await api('POST', `/api/v1/accounts/${acc}/delete`,
	    keys.rw);
	assert.equal(del.status, 202);
	isErr(await api('GET', `/api/v1/accounts/${acc}`, keys.ro), 404,
	    'deleted');
	const types = (await q('SELECT type FROM commands WHERE account_id = ' +
	    '$1 ORDER BY id', [acc])).map((x) => x.type);
	assert.deepEqual(types, ['pair', 'cancel_pair', 'reconnect',
	    'disconnect', 'unpair', 'delete']);
	/* Once the daemon removed the row, the queuer still reads it. */
	await q('DELETE FROM accounts WHERE id = $1', [acc]);
	c = await api('GET', `/api/v1/commands/${del.json.command_id}`,
	    keys.ro);
	assert.equal(c.status, 200);
	assert.equal(c.json.account_id, null);
	isErr(await api('GET', `/api/v1/commands/${del.json.command_id}`,
	    keys.adm.slice(0, -1) +
	    (keys.adm.endsWith('0') ? '1' : '0')), 401, 'bad key');
	assert.ok((await q('SELECT count(*)::int AS n FROM commands'))[0].n >
	    before[0].n);
});

check('api-pagination', async () => {
	const b = await makeKey(adm, 'pager', ['accounts:read',
	    'accounts:write']);
	for (let i = 0; i < 7; i++)
		assert.equal((await api('POST', '/api/v1/accounts', b,
		    { json: { label: `page ${i}` } })).status, 201);
	const all = (await q('SELECT id FROM accounts WHERE deleted_at IS ' +
	    'NULL ORDER BY created_at, id')).map((x) => Number(x.id));
	let got = [], cursor = null, pages = 0;
	do {
		const r = await api('GET', '/api/v1/accounts?limit=3' +
		    (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''), b);
		assert.equal(r.status, 200);
		assert.ok(r.json.data.length <= 3);
		got = got.concat(r.json.data.map((a) => a.id));
		cursor = r.json.next_cursor;
		pages++;
	} while (cursor !== null && pages < 100);
	assert.deepEqual(got, all);
	const f = await api('GET', '/api/v1/accounts?status=pending', b);
	assert.ok(f.json.data.every((a) => a.status === 'pending'));
	for (const bad of ['limit=0', 'limit=201', 'limit=x', 'status=nope',
	    'cursor=abc', 'cursor=2026-02-31T00:00:00.000000Z_5'])
		isErr(await api('GET', '/api/v1/accounts?' + bad, b), 400, bad);
});

check('api-revoked-401', async () => {
	const k = await makeKey(op, 'to revoke', ['accounts:read']);
	assert.equal((await api('GET', '/api/v1/accounts', k)).status, 200);
	const row = (await q('SELECT id, last_used_at FROM api_keys WHERE ' +
	    'prefix = $1', [k.slice(4, 16)]))[0];
	assert.ok(row.last_used_at !== null, 'last_used_at');
	const r = await op.postc(`/settings/api-keys/${row.id}/revoke`);
	assert.equal(r.status, 303);
	isErr(await api('GET', '/api/v1/accounts', k), 401, 'revoked');
	/* Another operator cannot revoke it. */
	const k2 = await makeKey(op, 'kept', ['accounts:read']);
	const id2 = (await q('SELECT id FROM api_keys WHERE prefix = $1',
	    [k2.slice(4, 16)]))[0].id;
	assert.equal((await adm.postc(`/settings/api-keys/${id2}/revoke`))
	    .status, 404);
	/* A disabled operator's key stops working. */
	await q('UPDATE operators SET disabled = true WHERE id = $1', [opId]);
	isErr(await api('GET', '/api/v1/accounts', k2), 401, 'disabled');
	await q('UPDATE operators SET disabled = false WHERE id = $1', [opId]);
	assert.equal((await api('GET', '/api/v1/accounts', k2)).status, 200);
});

check('api-rate-429', async () => {
	const k = await makeKey(op, 'slow', ['accounts:read']);
	await q('UPDATE api_keys SET rate_per_min = 3 WHERE prefix = $1',
	    [k.slice(4, 16)]);
	/* Its prefix with a wrong secret: 401, and the key's budget and
	 * last use untouched (the count is taken only for a matching
	 * secret, in the lookup's own statement). */
	const wrong = k.slice(0, -1) + (k.endsWith('0') ? '1' : '0');
	for (let i = 0; i < 6; i++)
		isErr(await api('GET', '/api/v1/accounts', wrong), 401,
		    'wrong secret');
	const [row] = await q('SELECT k.last_used_at, r.n FROM api_keys k ' +
	    'LEFT JOIN api_rate r ON r.key_id = k.id WHERE k.prefix = $1',
	    [k.slice(4, 16)]);
	assert.equal(row.n, null, 'a wrong secret was counted');
	assert.equal(row.last_used_at, null, 'a wrong secret marked it used');
	const codes = [];
	let last;
	for (let i = 0; i < 5; i++) {
		last = await api('GET', '/api/v1/accounts', k);
		codes.push(last.status);
	}
	/* A minute boundary may reset the window once. */
	assert.ok(codes.filter((c) => c === 429).length >= 1, codes.join());
	const r = codes[4] === 429 ? last :
	    await api('GET', '/api/v1/accounts', k);
	isErr(r, 429, 'over the rate');
	const ra = Number(r.headers.get('retry-after'));
	assert.ok(ra >= 1 && ra <= 60, `Retry-After ${ra}`);
	/* Other keys are not affected. */
	assert.equal((await api('GET', '/api/v1/accounts', keys.ro)).status,
	    200);
});

/*
 * wadeskctl apikey add/list/revoke: the same rows the settings page
 * writes (hash only), the key printed once and working against the
 * API within its scopes and accounts, refusals that change nothing.
 */
check('api-wadeskctl-apikey', async () => {
	const mine = await createAcc(op, 'ctl limited');
	const other = await createAcc(op, 'ctl other');
	const foreign = await createAcc(adm, 'ctl foreign');
	const count = async () => Number((await q('SELECT count(*) AS n ' +
	    'FROM api_keys'))[0].n);
	const n0 = await count();
	let r = ctl(['apikey', 'add', 'cli key', '--operator', 'apiop',
	    '--scope', 'accounts:read,messages:send', '--account',
	    String(mine)]);
	assert.equal(r.status, 0, r.stderr);
	const m = /^id (\d+) prefix ([0-9a-f]{12})\n(wdk_([0-9a-f]{12})_([0-9a-f]{64}))\n$/
	    .exec(r.stdout);
	assert.ok(m, `output: ${r.stdout}`);
	assert.equal(m[2], m[4]);
	const key = m[3];
	const row = (await q('SELECT operator_id, name, secret_hash, scopes, ' +
	    'account_ids FROM api_keys WHERE id = $1', [m[1]]))[0];
	assert.equal(Number(row.operator_id), opId);
	assert.equal(row.name, 'cli key');
	assert.equal(row.secret_hash, require('node:crypto')
	    .createHash('sha256').update(m[5]).digest('hex'));
	assert.deepEqual(row.scopes, ['accounts:read', 'messages:send']);
	assert.deepEqual(row.account_ids.map(Number), [mine]);
	/* The key works as apiop's, limited to its account and scopes. */
	const g = await api('GET', `/api/v1/accounts/${mine}`, key);
	assert.equal(g.status, 200, String(g.body));
	isErr(await api('GET', `/api/v1/accounts/${other}`, key), 404,
	    'outside the list');
	isErr(await api('POST', `/api/v1/accounts/${mine}/pair`, key), 403,
	    'no accounts:write');
	/* Refusals: nothing is made. */
	for (const [args, what] of [
	    [['--operator', 'apiop', '--scope', 'accounts:rule'], 'scope'],
	    [['--operator', 'apiop'], 'no scope'],
	    [['--operator', 'apiop', '--scope', 'accounts:read', '--account',
	      String(foreign)], 'foreign account'],
	    [['--operator', 'apiop', '--scope', 'accounts:read', '--account',
	      '3,x'], 'bad list'],
	    [['--operator', 'nosuchop', '--scope', 'accounts:read'], 'op']]) {
		r = ctl(['apikey', 'add', 'refused'].concat(args));
		assert.equal(r.status, 1, `${what}: ${r.status} ${r.stdout}`);
		assert.equal(r.stdout, '', what);
		assert.match(r.stderr, /wadeskctl: apikey/, what);
	}
	r = ctl(['apikey', 'add', 'bad\tname', '--operator', 'apiop',
	    '--scope', 'accounts:read']);
	assert.equal(r.status, 1, 'control character in the name');
	/* Without --operator: the only enabled admin, or a refusal. */
	const admins = Number((await q("SELECT count(*) AS n FROM operators " +
	    "WHERE role = 'admin' AND NOT disabled"))[0].n);
	r = ctl(['apikey', 'add', 'default op', '--scope', 'accounts:read']);
	if (admins === 1) {
		assert.equal(r.status, 0, r.stderr);
		const k = r.stdout.split('\n')[1];
		assert.equal((await api('GET', `/api/v1/accounts/${foreign}`,
		    k)).status, 200, 'the admin\'s key sees the admin\'s');
		ctl(['apikey', 'revoke', /^id (\d+)/.exec(r.stdout)[1]]);
	} else {
		assert.equal(r.status, 1);
		assert.match(r.stderr, /more than one admin.*--operator/);
	}
	assert.equal(await count(), n0 + (admins === 1 ? 2 : 1),
	    'a refused add made a row');
	/* list: the key's line, never its secret. */
	r = ctl(['apikey', 'list', '--operator', 'apiop']);
	assert.equal(r.status, 0, r.stderr);
	assert.ok(!r.stdout.includes(m[5]), 'the secret is listed');
	const line = r.stdout.split('\n').find((l) => l.startsWith(m[1] + '\t'));
	assert.ok(line, r.stdout);
	const f = line.split('\t');
	assert.deepEqual([f[1], f[2], f[3], f[4], f[7], f[8]], ['apiop', m[2],
	    '{accounts:read,messages:send}', String(mine), 'live', 'cli key']);
	assert.match(f[5], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
	assert.match(f[6], /^\d{4}-\d\d-\d\dT/, 'last used after the GET');
	assert.ok(r.stdout.split('\n').filter((l) => l).every((l) =>
	    l.split('\t')[1] === 'apiop'), 'another operator\'s key listed');
	/* revoke: 401 at once; twice is an error; the list says so. */
	r = ctl(['apikey', 'revoke', m[1]]);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, `revoked ${m[1]} prefix ${m[2]} (operator ` +
	    'apiop, cli key)\n');
	isErr(await api('GET', `/api/v1/accounts/${mine}`, key), 401,
	    'revoked by wadeskctl');
	r = ctl(['apikey', 'revoke', m[1]]);
	assert.equal(r.status, 1);
	assert.match(r.stderr, /no live key/);
	r = ctl(['apikey', 'list']);
	assert.ok(r.stdout.split('\n').find((l) => l.startsWith(m[1] + '\t'))
	    .endsWith('\trevoked\tcli key'));
	for (const args of [['apikey'], ['apikey', 'revoke', 'x'],
	    ['apikey', 'add'], ['apikey', 'add', 'n', '--scope'],
	    ['apikey', 'list', '--all']])
		assert.equal(ctl(args).status, 2, `usage: ${args.join(' ')}`);
});

/*
 * POST /api/v1/accounts/{id}/messages: a send_text command row
 * (sql/013), idempotent per (account, client_id) even when repeats
 * race; GET /api/v1/commands/{id} reports what the daemon writes
 * (played here by the owner connection; delivery is the daemon's).
 */
check('api-send-messages', async () => {
	const sk = await makeKey(op, 'sender', ['messages:send',
	    'accounts:read']);
	const id = await createAcc(op, 'sender shop');
	const other = await createAcc(op, 'other shop');
	const u = `/api/v1/accounts/${id}/messages`;
	const rows = async (a = id) => (await q('SELECT id, type, payload, ' +
	    'client_id, created_by FROM commands WHERE account_id = $1 AND ' +
	    "type = 'send_text' ORDER BY id", [a]));
	const msg = { to: '+1 555 0100', text: 'Hello from the API' };
	const r403 = await api('POST', u, keys.rw, { json: msg });
	isErr(r403, 403, 'no messages:send');
	assert.match(r403.json.error.message, /messages:send/);
	const nl = await api('POST', u, sk, { json: msg });
	isErr(nl, 409, 'unpaired account');
	assert.equal(nl.json.error.code, 'not_linked');
	assert.equal((await rows()).length, 0, 'a row for an unpaired account');
	await q("UPDATE accounts SET status = 'connected', phone_number = " +
	    "'15550199' WHERE id = ANY($1)", [[id, other]]);

	const a = await api('POST', u, sk, { json: msg });
	assert.equal(a.status, 202, String(a.body));
	assert.equal(a.json.state, 'queued');
	assert.equal(a.json.replayed, false);
	assert.equal(a.headers.get('location'), `/api/v1/commands/` +
	    `${a.json.command_id}`);
	let rs = await rows();
	assert.equal(rs.length, 1);
	assert.equal(Number(rs[0].id), a.json.command_id);
	assert.deepEqual(rs[0].payload, { to: '15550100',
	    text: 'Hello from the API' });
	assert.equal(rs[0].client_id, null);
	assert.equal(Number(rs[0].created_by), opId);
	/* Without a client_id every POST is a new message. */
	const a2 = await api('POST', u, sk, { json: msg });
	assert.equal(a2.status, 202);
	assert.notEqual(a2.json.command_id, a.json.command_id);

	/* With one: the repeat answers the first command, no second row. */
	const m1 = { to: '15550100@s.whatsapp.net', text: 'Order 1 shipped',
	    client_id: 'order-1' };
	const b = await api('POST', u, sk, { json: m1 });
	assert.equal(b.status, 202, String(b.body));
	assert.equal(b.json.client_id, 'order-1');
	const b2 = await api('POST', u, sk, { json: m1 });
	assert.equal(b2.status, 200, String(b2.body));
	assert.equal(b2.json.command_id, b.json.command_id);
	assert.equal(b2.json.replayed, true);
	assert.equal(b2.json.state, 'queued');
	rs = await rows();
	assert.equal(rs.filter((x) => x.client_id === 'order-1').length, 1);
	assert.deepEqual(rs.find((x) => x.client_id === 'order-1').payload,
	    { to: '15550100@s.whatsapp.net', text: 'Order 1 shipped' });
	const diff = await api('POST', u, sk, { json: Object.assign({}, m1,
	    { text: 'Another text' }) });
	isErr(diff, 409, 'client_id reused');
	assert.equal(diff.json.error.code, 'client_id_reused');
	/* The same client_id on another account is another message. */
	const o1 = await api('POST', `/api/v1/accounts/${other}/messages`, sk,
	    { json: m1 });
	assert.equal(o1.status, 202);
	assert.notEqual(o1.json.command_id, b.json.command_id);
	/* Racing repeats: one row, one 202, the same command for all. */
	const m2 = { to: '+44 20 7946 0958', text: 'race', client_id: 'r-2' };
	const race = await Promise.all(Array.from({ length: 8 }, () =>
	    api('POST', u, sk, { json: m2 })));
	assert.deepEqual(race.map((x) => x.status).sort(),
	    [200, 200, 200, 200, 200, 200, 200, 202], race.map((x) =>
	    `${x.status} ${x.body}`).join('; '));
	assert.equal(new Set(race.map((x) => x.json.command_id)).size, 1);
	assert.equal((await rows()).filter((x) => x.client_id === 'r-2')
	    .length, 1);

	/* The command's state as the daemon writes it. */
	let c = await api('GET', `/api/v1/commands/${b.json.command_id}`, sk);
	assert.equal(c.status, 200);
	assert.equal(c.json.type, 'send_text');
	assert.equal(c.json.state, 'queued');
	assert.equal(c.json.client_id, 'order-1');
	assert.equal(c.json.message_id, null);
	assert.equal(c.json.error_code, null);
	await q("UPDATE commands SET claimed_at = now(), message_id = " +
	    "'3EB0C0FFEE0123456789' WHERE id = $1", [b.json.command_id]);
	c = await api('GET', `/api/v1/commands/${b.json.command_id}`, sk);
	assert.equal(c.json.state, 'running');
	assert.equal(c.json.message_id, '3EB0C0FFEE0123456789');
	await q("UPDATE commands SET done_at = now(), result = 'sent' " +
	    'WHERE id = $1', [b.json.command_id]);
	c = await api('GET', `/api/v1/commands/${b.json.command_id}`, sk);
	assert.equal(c.json.state, 'done');
	assert.equal(c.json.result, 'sent');
	const b3 = await api('POST', u, sk, { json: m1 });
	assert.equal(b3.status, 200);
	assert.equal(b3.json.state, 'done', 'the replay reports the first result');
	assert.equal(b3.json.message_id, '3EB0C0FFEE0123456789');
	await q("UPDATE commands SET claimed_at = now(), done_at = now(), " +
	    "error = 'The server refused the message.', error_code = 463 " +
	    'WHERE id = $1', [a.json.command_id]);
	c = await api('GET', `/api/v1/commands/${a.json.command_id}`, sk);
	assert.equal(c.json.state, 'failed');
	assert.equal(c.json.error_code, 463);

	/* Bad bodies: 422 (or 400/415), and nothing queued. */
	const n0 = (await rows()).length;
	for (const [body, what] of [
	    [{ to: 'abc', text: 'x' }, 'to'],
	    [{ to: '+1 555', text: 'x' }, 'short number'],
	    [{ to: '1234567890123456', text: 'x' }, 'long number'],
	    [{ to: 'x1234@g.us', text: 'x' }, 'jid'],
	    [{ to: '15550100@example.com', text: 'x' }, 'server'],
	    [{ to: 15550100, text: 'x' }, 'number type'],
	    [{ to: '15550100', text: '' }, 'empty text'],
	    [{ to: '15550100', text: ' \n ' }, 'blank text'],
	    [{ to: '15550100' }, 'no text'],
	    [{ to: '15550100', text: 'x', client_id: 'a b' }, 'blank id'],
	    [{ to: '15550100', text: 'x', client_id: '' }, 'empty id'],
	    [{ to: '15550100', text: 'x', client_id: 'x'.repeat(129) }, 'long'],
	    [{ to: '15550100', text: 'x', extra: 1 }, 'unknown field']])
		isErr(await api('POST', u, sk, { json: body }), 422, what);
	isErr(await api('POST', u, sk), 400, 'no body');
	isErr(await api('POST', u, sk, { body: '{"to":"1555010","text":"x"}',
	    headers: { 'content-type': 'text/plain' } }), 415, 'type');
	assert.equal((await rows()).length, n0, 'a refused send queued a row');
	const g = await api('POST', u, sk, { json: { to: '120363025-1234@g.us',
	    text: 'to a group' } });
	assert.equal(g.status, 202, String(g.body));

	/* Another operator's account, and a key limited elsewhere: 404. */
	const foreign = await createAcc(adm, 'send foreign');
	await q("UPDATE accounts SET status = 'connected' WHERE id = $1",
	    [foreign]);
	isErr(await api('POST', `/api/v1/accounts/${foreign}/messages`, sk,
	    { json: msg }), 404, 'foreign');
	const lim = await makeKey(op, 'send limited', ['messages:send'],
	    String(other));
	isErr(await api('POST', u, lim, { json: msg }), 404, 'outside list');
	assert.equal((await api('POST', `/api/v1/accounts/${other}/messages`,
	    lim, { json: msg })).status, 202);
	assert.equal((await q('SELECT count(*)::int AS n FROM commands WHERE ' +
	    'account_id = $1', [foreign]))[0].n, 0);
});

/*
 * POST /api/v1/accounts/{id}/proxy and the page's form: checked,
 * sealed to the daemon's published key (played here by a row the
 * owner writes: no daemon runs), shown without the password; a key
 * without accounts:write cannot; a bad URL is a 422 sentence.  That the
 * daemon opens and uses it is tests/daemon/proxy.sh's part.
 */
check('api-proxy', async () => {
	const id = await createAcc(op, 'proxied');
	const u = `/api/v1/accounts/${id}/proxy`;
	const url = 'http://bob:hunter%202@proxy.example:3128';
	await q('DELETE FROM proxy_keys');
	const nokey = await api('POST', u, keys.rw, { json: { url } });
	isErr(nokey, 422, 'no daemon key');
	assert.match(nokey.json.error.message, /start wadeskd once/);
	const pk = require('node:crypto').randomBytes(32);
	await q('INSERT INTO proxy_keys (public_key) VALUES ($1)', [pk]);
	isErr(await api('POST', u, keys.ro, { json: { url } }), 403, 'ro');
	for (const bad of ['ftp://h:1', 'http://h', 'http://h:70000',
	    'http://a:b@h:1/x', 'https://h:443'])
		isErr(await api('POST', u, keys.rw, { json: { url: bad } }), 422,
		    bad);
	isErr(await api('POST', u, keys.rw, { json: { url: 5 } }), 422, 'type');
	const r = await api('POST', u, keys.rw, { json: { url } });
	assert.equal(r.status, 200, String(r.body));
	assert.equal(r.json.proxy, 'http://bob@proxy.example:3128');
	assert.ok(!String(r.body).includes('hunter'));
	const a = (await q('SELECT proxy_sealed, proxy_public_key, ' +
	    'proxy_display FROM accounts WHERE id = $1', [id]))[0];
	assert.equal(a.proxy_sealed.length, url.length + 48);
	assert.ok(a.proxy_public_key.equals(pk));
	assert.ok(!a.proxy_sealed.includes(Buffer.from('hunter')));
	assert.equal((await api('GET', `/api/v1/accounts/${id}`, keys.ro))
	    .json.proxy, 'http://bob@proxy.example:3128');
	const page = await op.get(`/accounts/${id}`);
	assert.ok(page.text.includes('<dd id="proxy">http://bob@proxy.example' +
	    ':3128</dd>'));
	assert.ok(!page.text.includes('hunter'));
	const ev = await q("SELECT detail FROM account_events WHERE " +
	    "account_id = $1 AND kind = 'proxy_changed'", [id]);
	assert.equal(ev.length, 1);
	assert.equal(ev[0].detail.proxy, 'http://bob@proxy.example:3128');
	/* The page's form: SOCKS5, then cleared. */
	const f = await op.postc(`/accounts/${id}/proxy`,
	    { proxy_url: 'socks5://10.1.2.3:1080' });
	assert.equal(f.status, 303);
	assert.equal(f.location, `/accounts/${id}?notice=proxy`);
	assert.equal((await q('SELECT proxy_display FROM accounts WHERE id = ' +
	    '$1', [id]))[0].proxy_display, 'socks5://10.1.2.3:1080');
	assert.equal((await op.postc(`/accounts/${id}/proxy`,
	    { proxy_url: 'nonsense' })).status, 422);
	const c = await api('POST', u, keys.rw, { json: { url: '' } });
	assert.equal(c.status, 200);
	assert.equal(c.json.proxy, null);
	const row = (await q('SELECT proxy_sealed, proxy_public_key, ' +
	    'proxy_display FROM accounts WHERE id = $1', [id]))[0];
	assert.deepEqual(row, { proxy_sealed: null, proxy_public_key: null,
	    proxy_display: null });
	assert.ok((await op.get(`/accounts/${id}`)).text.includes(
	    'none (direct connection)'));
	/* Another operator's account: 404, nothing changed. */
	const foreign = await createAcc(adm, 'proxy foreign');
	isErr(await api('POST', `/api/v1/accounts/${foreign}/proxy`, keys.rw,
	    { json: { url } }), 404, 'foreign');
	assert.equal((await q('SELECT proxy_display FROM accounts WHERE id = ' +
	    '$1', [foreign]))[0].proxy_display, null);
});

check('api-pages-still-work', async () => {
	const id = await createAcc(op, 'page path');
	const r = await op.postc(`/accounts/${id}/pair`);
	assert.equal(r.status, 303);
	assert.equal(r.location, `/accounts/${id}?notice=queued`);
	const c = await op.postc(`/accounts/${id}/cancel-pair`);
	assert.equal(c.location, `/accounts/${id}?notice=queued`);
	const rn = await op.postc(`/accounts/${id}/rename`, { label: 'renamed' });
	assert.equal(rn.location, `/accounts/${id}?notice=renamed`);
	const bad = await op.postc(`/accounts/${id}/pair-code`, { phone: 'x' });
	assert.equal(bad.status, 422);
	const d = await op.postc(`/accounts/${id}/delete`);
	assert.equal(d.location, '/accounts?notice=deleted');
});

async function main() {
	db = await dbConnect();
	const failed = await runChecks(checks, process.argv[2]);
	await db.end();
	process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
	console.log('FAIL api-runner');
	console.log(String(e.stack || e));
	process.exitCode = 1;
});
