#!/usr/bin/env node
/*
 * Browser test of the pairing flow of the wadesk dashboard, in headless
 * Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
 *
 * Runs against a stack that tests/browser/run.sh started; it reads:
 *   WADESK_URL             http://127.0.0.1:PORT/
 *   WADESK_VAR             the stack's state folder (database socket in run/)
 *   WADESK_ADMIN_PASSWORD  the admin's password
 *   WADESK_ARTIFACTS       folder for screenshots (default tests/artifacts)
 *
 * The test stands in for the session daemon: it writes qr_code,
 * qr_version and pair_code into wadesk.accounts with psql as the
 * database owner, exactly the columns the daemon writes.
 *
 * Prints one "ok NAME" / "FAIL NAME: why" line per step.  A step that
 * cannot run because an earlier one failed prints FAIL too ("not
 * reached"), so a broken flow never passes silently.  Exit status 1 if
 * any step failed.
 */
"use strict";

const crypto = require("crypto");
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const lib = require("./lib");

const { assert } = lib;
const BASE = (process.env.WADESK_URL || "").replace(/\/$/, "");
const VAR = process.env.WADESK_VAR || "";
const PASSWORD = process.env.WADESK_ADMIN_PASSWORD || "";
const ART = process.env.WADESK_ARTIFACTS ||
    path.join(__dirname, "..", "artifacts");
const LABEL = "Support line";
const HOSTILE = "Caf\u00e9 <b>&amp;</b> \"q\" '<script>x</script>";

if (!BASE || !VAR || !PASSWORD) {
	console.log("FAIL browser-env: WADESK_URL, WADESK_VAR and " +
	    "WADESK_ADMIN_PASSWORD must be set (run tests/browser/run.sh)");
	process.exit(1);
}
fs.mkdirSync(ART, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wadesk-browser-"));

/* ---- helpers ---------------------------------------------------- */

/* SQL as the database owner (lib.js sql()). */
const sql = (text, vars) => lib.sql(VAR, text, vars);

/* A random string over the base64 alphabet, "n" characters long. */
function b64chars(n) {
	const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" +
	    "0123456789+/";
	const r = crypto.randomBytes(n);
	let s = "";
	for (let i = 0; i < n; i++)
		s += abc[r[i] & 63];
	return s;
}

/*
 * A pairing string shaped like WhatsApp's: ref, noise public key,
 * identity public key, ADV secret, comma-separated (per whatsmeow
 * pair.go makeQRData: ref + "," + base64 of each 32-byte key).
 */
function fakeQr() {
	const k = () => crypto.randomBytes(32).toString("base64");
	return `2@${b64chars(90)},${k()},${k()},${k()}`;
}

/* Decode a PNG (bytes) with zbarimg; returns the text or throws. */
function zbarDecode(png, name) {
	const f = path.join(tmp, name);
	fs.writeFileSync(f, png);
	const out = execFileSync("zbarimg", ["-q", "--raw", f],
	    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
	return out.replace(/\n$/, "");
}

function sleep(ms) {
	return new Promise((res) => setTimeout(res, ms));
}

/* Short printable form of a string for messages. */
function show(s) {
	s = String(s);
	return JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s);
}

/*
 * Fetch the page's QR image with the page's own cookies and check it:
 * status 200, image/png, and zbarimg decodes exactly "want".  Also
 * decodes a screenshot of the <img> element as drawn on the page.
 */
async function checkQr(page, want, tag) {
	const info = await page.evaluate(() => {
		const img = document.getElementById("qr");
		return img ? { src: img.getAttribute("src"),
		    w: img.naturalWidth, h: img.naturalHeight,
		    done: img.complete } : null;
	});
	assert(info !== null, "no <img id=qr> on the page");
	assert(info.w > 0 && info.h > 0, `image not drawn (naturalWidth ${info.w})`);
	const res = await page.context().request.get(BASE + info.src);
	assert(res.status() === 200, `GET ${info.src}: HTTP ${res.status()}`);
	const ct = res.headers()["content-type"] || "";
	assert(ct.startsWith("image/png"), `GET ${info.src}: Content-Type ${ct}`);
	const body = await res.body();
	const got = zbarDecode(body, `${tag}-served.png`);
	assert(got === want, `served PNG decodes to ${show(got)}, want ${show(want)}`);
	const shot = await page.locator("#qr").screenshot();
	const seen = zbarDecode(shot, `${tag}-drawn.png`);
	assert(seen === want, `drawn image decodes to ${show(seen)}, want ${show(want)}`);
	return info;
}

/* Wait until fn() in the page returns a truthy value, up to "ms". */
async function waitIn(page, fn, arg, ms) {
	const h = await page.waitForFunction(fn, arg,
	    { timeout: ms, polling: 50 });
	return h.jsonValue();
}

/* ---- steps --------------------------------------------------------- */

const st = {};			/* state shared between steps */
const problems = [];		/* console errors, page errors, bad answers */

const steps = [
["browser-login", async () => {
	const p = st.page;
	const r = await p.goto(BASE + "/login");
	assert(r.status() === 200, `GET /login: HTTP ${r.status()}`);
	await p.screenshot({ path: path.join(ART, "login.png") });
	/* A wrong password first: the form comes back with an error. */
	await p.fill("input[name=username]", "admin");
	await p.fill("input[name=password]", "not-the-password");
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]")]);
	assert(new URL(p.url()).pathname === "/login",
	    `wrong password went to ${p.url()}`);
	const err = (await p.textContent("p.error")) || "";
	assert(err.trim().length > 0, "wrong password: no error message");
	await p.fill("input[name=username]", "admin");
	await p.fill("input[name=password]", PASSWORD);
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]")]);
	assert(new URL(p.url()).pathname === "/",
	    `after sign-in at ${p.url()}, want /`);
	const cookies = await p.context().cookies();
	const sess = cookies.find((c) => c.name === "wadesk_session");
	assert(sess && sess.httpOnly, "no HttpOnly wadesk_session cookie");
}],

["browser-dashboard", async () => {
	const p = st.page;
	/* Accounts in several states, as the daemon would leave them. */
	sql(`INSERT INTO wadesk.accounts (operator_id, label, status,
	    phone_number, jid, push_name, platform, last_connected_at)
	    SELECT o.id, v.label, v.status, v.phone, v.jid, v.name, v.plat,
	        v.seen
	    FROM wadesk.operators o, (VALUES
	    ('Sales desk', 'connected', '15550100', '15550100.0:7@s.whatsapp.net',
	        'Sales', 'android', now() - interval '2 hours'),
	    ('Night shift', 'connected', '15550111', '15550111.0:3@s.whatsapp.net',
	        'Night', 'iphone', now() - interval '5 minutes'),
	    ('Returns', 'disconnected', '447700900123', NULL, NULL, NULL,
	        now() - interval '3 days'),
	    ('Old phone', 'logged_out', NULL, NULL, NULL, NULL, NULL::timestamptz))
	    AS v(label, status, phone, jid, name, plat, seen)
	    WHERE o.username = 'admin';`);
	/* What the daemon records along the way, and its heartbeat. */
	sql(`INSERT INTO wadesk.account_events (account_id, kind, detail, at)
	    SELECT a.id, v.kind, v.detail::jsonb, now() - v.ago
	    FROM wadesk.accounts a JOIN (VALUES
	    ('Sales desk', 'paired', '{"phone": "15550100"}', interval '2 hours'),
	    ('Sales desk', 'connected', '{}', interval '119 minutes'),
	    ('Night shift', 'connected', '{}', interval '5 minutes'),
	    ('Returns', 'disconnected', '{"reason": "connection lost"}',
	        interval '3 days'),
	    ('Old phone', 'logged_out', '{"reason": "removed on the phone"}',
	        interval '4 days'))
	    AS v(label, kind, detail, ago) ON v.label = a.label
	    ORDER BY v.ago DESC;
	    INSERT INTO wadesk.daemon_instances (hostname, pid)
	    VALUES ('browser-test', 1);`);
	await p.goto(BASE + "/");
	assert((await p.textContent("h1")).trim() === "Dashboard",
	    "no Dashboard heading");
	const counts = await p.$$eval(".counts a.count[data-status]",
	    (as) => Object.fromEntries(as.map((a) => [a.dataset.status,
	    a.querySelector(".n").textContent.trim()])));
	assert(counts.connected === "2",
	    `connected count ${counts.connected}, want 2 (${JSON.stringify(counts)})`);
	assert(counts.disconnected === "1",
	    `disconnected count ${counts.disconnected}, want 1`);
	const total = (await p.textContent(".counts a.count .n")).trim();
	assert(total === "4", `total ${total}, want 4`);
	const daemon = await p.getAttribute("p.daemon", "class");
	assert(/daemon-alive/.test(daemon), `daemon line class ${show(daemon)} ` +
	    "with a fresh heartbeat");
	const ev = await p.$$eval("table.events tbody tr", (trs) =>
	    trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
	assert(ev.length === 5, `${ev.length} recent events, want 5`);
	assert(ev[0][1] === "Night shift" && ev[0][2] === "Connected" &&
	    ev[0][3] === "session daemon",
	    `newest event ${JSON.stringify(ev[0])}`);
	assert(ev[4][2] === "logged_out", `oldest event ${JSON.stringify(ev[4])}`);
	await p.screenshot({ path: path.join(ART, "dashboard.png"),
	    fullPage: true });
}],

["browser-add-account", async () => {
	const p = st.page;
	await Promise.all([p.waitForNavigation(),
	    p.click("a.button:has-text('Add an account')")]);
	assert(new URL(p.url()).pathname === "/accounts/new",
	    `Add an account went to ${p.url()}`);
	await p.fill("input[name=label]", LABEL);
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]:has-text('Add')")]);
	const m = new URL(p.url()).pathname.match(/^\/accounts\/(\d+)$/);
	assert(m, `after Add at ${p.url()}, want /accounts/ID`);
	st.id = m[1];
	const row = sql(`SELECT label, status FROM wadesk.accounts
	    WHERE id = :'id'`, { id: st.id });
	assert(row === `${LABEL}|unpaired`, `database row ${show(row)}`);
	/* Open it from the list, as an operator would. */
	await p.goto(BASE + "/accounts");
	await p.screenshot({ path: path.join(ART, "accounts.png"),
	    fullPage: true });
	const link = p.locator(`tr[data-id="${st.id}"] a`);
	assert((await link.textContent()) === LABEL,
	    `list shows ${show(await link.textContent())}, want ${show(LABEL)}`);
	await Promise.all([p.waitForNavigation(), link.click()]);
	assert(new URL(p.url()).pathname === `/accounts/${st.id}`,
	    `link went to ${p.url()}`);
	const h1 = await p.textContent("h1");
	assert(h1.includes(LABEL), `heading ${show(h1)} lacks the label`);
}],

["browser-pair-waiting", async () => {
	const p = st.page;
	await Promise.all([p.waitForNavigation(),
	    p.click("button:has-text('Pair with QR code')")]);
	assert(new URL(p.url()).pathname === `/accounts/${st.id}`,
	    `Pair went to ${p.url()}`);
	await p.waitForSelector("#waiting", { timeout: 3000 });
	const w = await p.textContent("#waiting");
	assert(w.includes("Waiting for QR code"), `waiting text ${show(w)}`);
	const row = sql(`SELECT a.status || '|' || c.type
	    FROM wadesk.accounts a JOIN wadesk.commands c ON c.account_id = a.id
	    WHERE a.id = :'id' ORDER BY c.id DESC LIMIT 1`, { id: st.id });
	assert(row === "pending|pair", `account/command ${show(row)}, ` +
	    "want pending|pair");
	assert((await p.$("img#qr")) === null, "QR image shown before any QR");
	await p.screenshot({ path: path.join(ART, "account-waiting.png"),
	    fullPage: true });
}],

["browser-qr-appears", async () => {
	const p = st.page;
	st.qr1 = fakeQr();
	assert(st.qr1.length >= 220 && st.qr1.length <= 240,
	    `test string length ${st.qr1.length}`);
	const t0 = Date.now();
	st.v1 = sql(`UPDATE wadesk.accounts SET qr_code = :'qr',
	    qr_version = qr_version + 1,
	    qr_expires_at = now() + interval '60 seconds'
	    WHERE id = :'id' RETURNING qr_version`, { id: st.id, qr: st.qr1 });
	await p.waitForFunction(() => {
		const i = document.getElementById("qr");
		return i && i.complete && i.naturalWidth > 0;
	}, null, { timeout: 3000, polling: 50 });
	st.appearMs = Date.now() - t0;
	const src = await p.getAttribute("#qr", "src");
	assert(src === `/accounts/${st.id}/qr.png?v=${st.v1}`,
	    `img src ${src}, want ?v=${st.v1}`);
	console.log(`# QR appeared ${st.appearMs} ms after the row changed`);
}],

["browser-qr-decodes", async () => {
	await checkQr(st.page, st.qr1, "qr1");
}],

["browser-qr-counter", async () => {
	const n = (await st.page.textContent("#qr-n")).trim();
	assert(n === "QR 1 of ~6", `counter ${show(n)}, want "QR 1 of ~6"`);
	const save = await st.page.getAttribute("#qr-save", "href");
	assert(save === `/accounts/${st.id}/qr.png?v=${st.v1}&download=1`,
	    `Save QR link ${save}`);
}],

["browser-countdown", async () => {
	const p = st.page;
	const bar = () => p.$eval("progress#deadline", (e) => ({
	    max: Number(e.max), value: Number(e.value),
	    text: document.getElementById("remaining").textContent }));
	const a = await bar();
	assert(a.max >= 30 && a.value > 0 && a.value <= a.max,
	    `progress max ${a.max} value ${a.value}`);
	assert(String(a.value) === a.text.trim(),
	    `bar ${a.value} but text "${a.text}"`);
	await p.screenshot({ path: path.join(ART, "account-qr.png"),
	    fullPage: true });
	await sleep(2200);
	const b = await bar();
	assert(b.value < a.value && b.value >= a.value - 4,
	    `countdown went ${a.value} -> ${b.value} in 2.2 s`);
}],

["browser-qr-swap-no-reload", async () => {
	const p = st.page;
	await p.evaluate(() => { window.__marker = "same-document"; });
	st.navs = 0;
	p.on("framenavigated", (f) => {
		if (f === p.mainFrame())
			st.navs++;
	});
	st.qr2 = fakeQr();
	const t0 = Date.now();
	st.v2 = sql(`UPDATE wadesk.accounts SET qr_code = :'qr',
	    qr_version = qr_version + 1,
	    qr_expires_at = now() + interval '60 seconds'
	    WHERE id = :'id' RETURNING qr_version`, { id: st.id, qr: st.qr2 });
	assert(Number(st.v2) === Number(st.v1) + 1, `versions ${st.v1} ${st.v2}`);
	await p.waitForFunction((v) => {
		const i = document.getElementById("qr");
		return i && i.getAttribute("src").endsWith("?v=" + v) &&
		    i.complete && i.naturalWidth > 0;
	}, st.v2, { timeout: 3000, polling: 50 });
	const ms = Date.now() - t0;
	const marker = await p.evaluate(() => window.__marker);
	assert(marker === "same-document",
	    "window.__marker is gone: the page reloaded");
	assert(st.navs === 0, `${st.navs} navigation(s) during the swap`);
	const n = (await p.textContent("#qr-n")).trim();
	assert(n === "QR 2 of ~6", `counter ${show(n)}, want "QR 2 of ~6"`);
	const save = await p.getAttribute("#qr-save", "href");
	assert(save.includes(`?v=${st.v2}&`), `Save QR link ${save} not updated`);
	console.log(`# QR swapped in place ${ms} ms after the row changed`);
}],

["browser-qr2-decodes", async () => {
	await checkQr(st.page, st.qr2, "qr2");
	await st.page.screenshot({ path: path.join(ART, "account-qr-2.png"),
	    fullPage: true });
	/* The old version's URL serves the current code, never a stale one. */
	const old = await st.page.context().request.get(BASE +
	    `/accounts/${st.id}/qr.png?v=${st.v1}`);
	assert(zbarDecode(await old.body(), "qr-old.png") === st.qr2,
	    "an old ?v= URL served a stale QR");
}],

["browser-nojs-refresh", async () => {
	/* Back to "waiting" (the daemon lost its QR), in a no-JS context. */
	sql(`UPDATE wadesk.accounts SET qr_code = NULL, qr_expires_at = NULL
	    WHERE id = :'id'`, { id: st.id });
	const ctx = await st.browser.newContext({ javaScriptEnabled: false });
	try {
		await ctx.addCookies(await st.page.context().cookies());
		const p = await ctx.newPage();
		await p.goto(BASE + `/accounts/${st.id}`);
		const meta = await p.$("noscript meta[http-equiv=refresh], " +
		    "meta[http-equiv=refresh]");
		assert(meta !== null, "no <noscript> meta refresh on a pending " +
		    "account page");
		await p.waitForSelector("#waiting", { timeout: 1000 });
		let loads = 0;
		p.on("load", () => loads++);
		st.qr3 = fakeQr();
		st.v3 = sql(`UPDATE wadesk.accounts SET qr_code = :'qr',
		    qr_version = qr_version + 1,
		    qr_expires_at = now() + interval '60 seconds'
		    WHERE id = :'id' RETURNING qr_version`,
		    { id: st.id, qr: st.qr3 });
		await p.waitForSelector("img#qr", { timeout: 6000 });
		await p.waitForFunction(() => {
			const i = document.getElementById("qr");
			return i && i.complete && i.naturalWidth > 0;
		}, null, { timeout: 3000, polling: 100 }).catch(() => {});
		assert(loads >= 1, "QR shown without a reload?");
		const src = await p.getAttribute("#qr", "src");
		assert(src.endsWith(`?v=${st.v3}`), `no-JS img src ${src}`);
		await checkQr(p, st.qr3, "qr3");
	} finally {
		await ctx.close();
	}
}],

["browser-pair-code", async () => {
	const p = st.page;
	/* Cancel, then ask for a pairing code through the form. */
	await p.goto(BASE + `/accounts/${st.id}`);
	await Promise.all([p.waitForNavigation(),
	    p.click("button:has-text('Cancel pairing')")]);
	let row = sql(`SELECT status FROM wadesk.accounts WHERE id = :'id'`,
	    { id: st.id });
	assert(row === "unpaired", `after Cancel pairing status ${row}`);
	await p.fill("input[name=phone]", "+1 (555) 010-0199");
	await Promise.all([p.waitForNavigation(),
	    p.click("button[data-action=pair-code]")]);
	row = sql(`SELECT a.status || '|' || c.type || '|' ||
	    (c.payload->>'phone') FROM wadesk.accounts a
	    JOIN wadesk.commands c ON c.account_id = a.id
	    WHERE a.id = :'id' ORDER BY c.id DESC LIMIT 1`, { id: st.id });
	assert(row === "pending|pair_code|15550100199",
	    `after Pair with code: ${show(row)}`);
	await p.evaluate(() => { window.__marker = "before-code"; });
	/* The daemon got the code from the server. */
	sql(`UPDATE wadesk.accounts SET status = 'pending',
	    pair_code = 'ABCDEFGH' WHERE id = :'id'`, { id: st.id });
	await p.waitForSelector("#pair-code", { timeout: 3500 });
	const code = (await p.textContent("#pair-code")).trim();
	assert(code === "ABCD-EFGH", `code shows ${show(code)}, want ABCD-EFGH`);
	const px = await p.$eval("#pair-code",
	    (e) => parseFloat(getComputedStyle(e).fontSize));
	assert(px >= 32, `code font-size ${px}px, want large type (>= 32px)`);
	const stepsText = await p.$$eval("#pairing ol li",
	    (li) => li.map((e) => e.textContent));
	assert(stepsText.length >= 3, `${stepsText.length} steps listed`);
	assert(stepsText.some((s) => s.includes("Link with phone number")),
	    "steps do not mention \"Link with phone number instead\"");
	assert((await p.$("img#qr")) === null, "QR image next to the code");
	await p.screenshot({ path: path.join(ART, "account-code.png"),
	    fullPage: true });
}],

["browser-rename-escaping", async () => {
	/* A label full of markup comes back as text everywhere. */
	const p = st.page;
	await p.goto(BASE + `/accounts/${st.id}`);
	await p.fill("form[action$='/rename'] input[name=label]", HOSTILE);
	await Promise.all([p.waitForNavigation(),
	    p.click("form[action$='/rename'] button[type=submit]")]);
	const row = sql(`SELECT label FROM wadesk.accounts WHERE id = :'id'`,
	    { id: st.id });
	assert(row === HOSTILE, `database label ${show(row)}`);
	const h1 = await p.$eval("h1", (e) => e.firstChild.textContent.trim());
	assert(h1 === HOSTILE, `heading ${show(h1)}, want ${show(HOSTILE)}`);
	assert((await p.$("main b:has-text('&amp;'), main script")) === null,
	    "label markup became elements");
	const input = await p.inputValue(
	    "form[action$='/rename'] input[name=label]");
	assert(input === HOSTILE, `rename field holds ${show(input)}`);
	const title = await p.title();
	assert(title.startsWith(HOSTILE), `title ${show(title)}`);
	await p.goto(BASE + "/accounts");
	const cell = await p.textContent(`tr[data-id="${st.id}"] a`);
	assert(cell === HOSTILE, `list shows ${show(cell)}`);
	await p.goto(BASE + "/");
	const ev = await p.$$eval("table.events tbody tr td:nth-child(5)",
	    (tds) => tds.map((t) => t.textContent));
	assert(ev.some((t) => t.includes("<script>x</script>")),
	    "renamed event detail missing or mangled");
}],

["browser-status-json", async () => {
	const r = await st.page.context().request.get(BASE +
	    `/accounts/${st.id}/status.json`);
	assert(r.status() === 200, `status.json HTTP ${r.status()}`);
	const j = await r.json();
	assert(j.status === "pending" && j.pair_code === "ABCDEFGH" &&
	    String(j.id) === st.id, `status.json ${JSON.stringify(j)}`);
	/* Signed out, the same URL is refused. */
	const anon = await st.browser.newContext();
	try {
		const a = await anon.request.get(BASE +
		    `/accounts/${st.id}/status.json`, { maxRedirects: 0 });
		assert(a.status() !== 200, "status.json served without a session");
		const q = await anon.request.get(BASE +
		    `/accounts/${st.id}/qr.png`, { maxRedirects: 0 });
		assert(q.status() !== 200, "qr.png served without a session");
	} finally {
		await anon.close();
	}
}],

["browser-no-console-errors", async () => {
	assert(problems.length === 0, problems.slice(0, 5).join("; "));
}],
];

async function main() {
	/* The wrong password's 401 is expected. */
	const failed = await lib.runSteps(steps, st, problems, ART,
	    (m) => /status of 401/.test(m.text()) &&
	    (m.location().url || "") === BASE + "/login");
	fs.rmSync(tmp, { recursive: true, force: true });
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`FAIL browser-test: ${e.stack || e}`);
	process.exit(1);
});
