'use strict';
/*
 * Helpers for the web dashboard integration tests: an HTTP client with
 * a cookie jar (Node 20 fetch, redirects not followed), an owner
 * PostgreSQL connection (the "pg" package over the cluster's unix
 * socket), HTML escaping as templates/ expect it, wadeskctl, a QR
 * decoder, and a tiny check runner printing one "ok NAME" / "FAIL
 * NAME" line per check.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');

const BASE = (process.env.WADESK_URL || '').replace(/\/+$/, '');
const VAR = process.env.WADESK_VAR || '';
const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = process.env.BUILD || 'build/san';

/* Parse one Set-Cookie header into {name, value, attrs{lowercase: v}}. */
function cookieParse(sc) {
	const parts = sc.split(';').map((s) => s.trim());
	const eq = parts[0].indexOf('=');
	const attrs = {};
	for (const p of parts.slice(1)) {
		const i = p.indexOf('=');
		if (i === -1)
			attrs[p.toLowerCase()] = true;
		else
			attrs[p.slice(0, i).toLowerCase()] = p.slice(i + 1);
	}
	return { name: parts[0].slice(0, eq), value: parts[0].slice(eq + 1),
	    attrs };
}

/* A browser: a cookie jar and requests that never follow redirects. */
class Browser {
	constructor(name) {
		this.name = name || 'browser';
		this.jar = new Map();
	}

	cookieHeader() {
		return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
	}

	absorb(res) {
		for (const sc of res.headers.getSetCookie()) {
			const c = cookieParse(sc);
			if (c.attrs['max-age'] === '0' || c.value === '')
				this.jar.delete(c.name);
			else
				this.jar.set(c.name, c.value);
		}
	}

	/*
	 * method, path; opts: form (object: urlencoded body), body (raw),
	 * headers, noCookies.  Returns {status, headers, body (Buffer),
	 * text, cookies (parsed Set-Cookie list), location}.
	 */
	async req(method, path, opts = {}) {
		const h = Object.assign({}, opts.headers || {});
		let body;
		if (!opts.noCookies && this.jar.size > 0)
			h.cookie = this.cookieHeader();
		if (opts.form !== undefined) {
			body = new URLSearchParams(opts.form).toString();
			h['content-type'] = 'application/x-www-form-urlencoded';
		} else if (opts.body !== undefined)
			body = opts.body;
		const res = await fetch(BASE + path, { method, headers: h, body,
		    redirect: 'manual' });
		const setc = res.headers.getSetCookie();
		this.absorb(res);
		const buf = Buffer.from(await res.arrayBuffer());
		return { status: res.status, headers: res.headers, body: buf,
		    text: buf.toString('utf8'), cookies: setc.map(cookieParse),
		    location: res.headers.get('location') };
	}

	get(path, opts) { return this.req('GET', path, opts); }

	post(path, form, opts = {}) {
		return this.req('POST', path, Object.assign({ form }, opts));
	}

	/* GET /login, then POST the form; returns the POST response. */
	async login(username, password, next) {
		const g = await this.get('/login');
		const form = { csrf: formCsrf(g.text), username, password };
		if (next !== undefined)
			form.next = next;
		return this.post('/login', form);
	}

	/* Sign in and insist on success; returns this. */
	async signIn(username, password) {
		const r = await this.login(username, password);
		assert.equal(r.status, 303, `${this.name}: sign-in as ` +
		    `${username} answered ${r.status}`);
		assert.ok(this.jar.has('wadesk_session'),
		    `${this.name}: no session cookie`);
		await this.refreshCsrf();
		return this;
	}

	/* Read the session's CSRF token from the dashboard's nav form. */
	async refreshCsrf() {
		const r = await this.get('/');
		assert.equal(r.status, 200, `${this.name}: GET / ${r.status}`);
		this.csrf = formCsrf(r.text);
		assert.match(this.csrf, /^[0-9a-f]{64}$/);
		return this.csrf;
	}

	/* POST a form with this session's CSRF token added. */
	postc(path, form = {}) {
		return this.post(path, Object.assign({ csrf: this.csrf }, form));
	}
}

/* The value of the first hidden "csrf" input of a page. */
function formCsrf(html) {
	const m = /name="csrf" value="([^"]*)"/.exec(html);
	assert.ok(m, 'no csrf field in the page');
	return m[1];
}

/* HTML escaping as cgi/tmpl.c tmpl_text() does it: & < > " '. */
function esc(s) {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
	    .replace(/>/g, '&gt;').replace(/"/g, '&quot;')
	    .replace(/'/g, '&#39;');
}

/* The owner connection: "host=$WADESK_VAR/run dbname=wadesk user=wadesk". */
async function dbConnect(user = 'wadesk') {
	const c = new Client({ host: `${VAR}/run`, database: 'wadesk',
	    user });
	await c.connect();
	await c.query('SET search_path = wadesk');
	return c;
}

/* Decode a PNG with zbarimg; returns the raw text. */
function zbar(png) {
	const f = path.join(os.tmpdir(), `wadesk-qr-${process.pid}-` +
	    `${crypto.randomBytes(4).toString('hex')}.png`);
	fs.writeFileSync(f, png);
	try {
		const z = spawnSync('zbarimg', ['-q', '--raw', f],
		    { encoding: 'utf8' });
		assert.equal(z.status, 0, `zbarimg exit ${z.status}: ${z.stderr}`);
		return z.stdout.replace(/\n$/, '');
	} finally {
		fs.unlinkSync(f);
	}
}

/* wadeskctl as the schema owner; stderr goes to $WADESK_VAR/log. */
function ctl(args, input) {
	const env = {};
	for (const [k, v] of Object.entries(process.env))
		if (!k.startsWith('WADESK_'))
			env[k] = v;
	env.WADESK_DATABASE_URL = `host=${VAR}/run dbname=wadesk user=wadesk`;
	const r = spawnSync(path.join(ROOT, BUILD, 'cgi', 'wadeskctl'), args,
	    { input: input === undefined ? '' : input, encoding: 'utf8', env });
	fs.appendFileSync(path.join(VAR, 'log', 'wadeskctl-tests.log'),
	    `$ wadeskctl ${args.join(' ')}\n${r.stdout}${r.stderr}`);
	return r;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Poll "fn" until it returns truthy or "ms" pass; returns its value. */
async function until(fn, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(20);
	}
}

/*
 * Run checks in order; print ok/FAIL lines; return the failure count
 * (web.sh prints the closing "N passed, N failed" line).
 * With "filter", only checks whose name contains it (and the setup).
 */
async function runChecks(checks, filter) {
	let failed = 0;
	for (const [name, fn] of checks) {
		if (filter && !name.includes(filter) && !name.includes('setup'))
			continue;
		const t0 = Date.now();
		try {
			await fn();
			console.log(`ok ${name} (${Date.now() - t0} ms)`);
		} catch (e) {
			failed++;
			console.log(`FAIL ${name}`);
			console.log(String(e && e.stack ? e.stack : e)
			    .split('\n').slice(0, 12).map((l) => '    ' + l)
			    .join('\n'));
		}
	}
	return failed;
}

module.exports = { Browser, BASE, VAR, ROOT, BUILD, cookieParse, formCsrf,
    esc, dbConnect, zbar, ctl, sleep, until, runChecks };
