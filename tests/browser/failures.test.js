#!/usr/bin/env node
/*
 * Browser test of "failures an operator can read", in headless Chromium
 * (playwright-core), against the stack tests/browser/run.sh started:
 *
 *   - a pairing attempt that ends without a device: the open account
 *     page (its script polls status.json) shows "Pairing ended: ..."
 *     by itself, naming the cause; the notice stays on reload and goes
 *     with the next Pair;
 *   - the same without JavaScript (the pending page's meta refresh);
 *   - relative times ("3 min ago") kept current by the script;
 *   - the event's raw JSON is behind a closed <details> disclosure;
 *   - the outdated-client banner on every page while an account's
 *     latest state is client outdated.
 *
 * The test plays the session daemon through psql with the daemon's
 * role (SET LOCAL ROLE wadesk_daemon), writing what daemon/session.c
 * writes.  Reads WADESK_URL, WADESK_VAR, WADESK_ADMIN_PASSWORD and
 * WADESK_ARTIFACTS.  One "ok NAME" / "FAIL NAME: why" line per step; a
 * step after a failed one prints FAIL ("not reached").
 */
"use strict";

const fs = require("fs");
const path = require("path");
const lib = require("./lib");

const { assert } = lib;
const BASE = (process.env.WADESK_URL || "").replace(/\/$/, "");
const VAR = process.env.WADESK_VAR || "";
const PASSWORD = process.env.WADESK_ADMIN_PASSWORD || "";
const ART = process.env.WADESK_ARTIFACTS ||
    path.join(__dirname, "..", "artifacts");
const CAUSE = "web.whatsapp.com: name lookup failed <&>";

if (!BASE || !VAR || !PASSWORD) {
	console.log("FAIL browser-fail-env: WADESK_URL, WADESK_VAR and " +
	    "WADESK_ADMIN_PASSWORD must be set (run tests/browser/run.sh)");
	process.exit(1);
}
fs.mkdirSync(ART, { recursive: true });

const sql = (text, vars) => lib.sql(VAR, text, vars);

/* One transaction as the session daemon's role. */
function asDaemon(text, vars) {
	return sql("BEGIN;\nSET LOCAL ROLE wadesk_daemon;\n" + text +
	    "\nCOMMIT;\n", vars);
}

const st = {};
const problems = [];

const NOTICE_WANT = "Pairing ended: Could not reach WhatsApp (" + CAUSE +
    "). Check this server's internet access (DNS, firewall, proxy), " +
    "then try again.";

const steps = [
["browser-fail-login", async () => {
	const p = st.page;
	await p.goto(BASE + "/login");
	await p.fill("input[name=username]", "admin");
	await p.fill("input[name=password]", PASSWORD);
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]")]);
	assert(new URL(p.url()).pathname === "/", `signed in at ${p.url()}`);
}],

["browser-fail-pairing-notice-with-js", async () => {
	const p = st.page;
	await p.goto(BASE + "/accounts/new");
	await p.fill("input[name=label]", "Offline server");
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]:has-text('Add')")]);
	st.id = new URL(p.url()).pathname.match(/^\/accounts\/(\d+)$/)[1];
	await Promise.all([p.waitForNavigation(),
	    p.click("button[data-action=pair]")]);
	await p.waitForSelector("#waiting");
	assert((await p.$("#pairing-ended")) === null, "notice while pairing");
	/* Count navigations: the page's own script must bring the notice. */
	let loads = 0;
	p.on("load", () => loads++);
	asDaemon(`UPDATE wadesk.accounts SET status = 'unpaired',
	    disconnect_reason = 'connect_failed', qr_code = NULL,
	    pair_deadline = NULL WHERE id = :'id';
	    INSERT INTO wadesk.account_events (account_id, kind, detail)
	    VALUES (:'id', 'pair_timeout', json_build_object('reason',
	    'connect_failed', 'cause', :'cause')::jsonb);`,
	    { id: st.id, cause: CAUSE });
	const el = await p.waitForSelector("#pairing-ended", { timeout: 8000 });
	const text = (await el.textContent()).trim();
	assert(text === NOTICE_WANT, `notice ${JSON.stringify(text)}`);
	assert(loads >= 1, "the notice came without the page's script");
	assert((await p.$("#pairing-ended script, #pairing-ended b b")) ===
	    null, "cause became markup");
	assert((await p.getAttribute("#account", "data-status")) ===
	    "unpaired", "status attribute");
	await p.screenshot({ path: path.join(ART, "failures-notice.png"),
	    fullPage: true });
	/* It stays: a few polls later and after a reload. */
	await p.waitForTimeout(2500);
	assert((await p.$("#pairing-ended")) !== null, "notice went away");
	await p.reload();
	assert(((await p.textContent("#pairing-ended")) || "").trim() ===
	    NOTICE_WANT, "notice after reload");
	/* The next action ends it. */
	await Promise.all([p.waitForNavigation(),
	    p.click("button[data-action=pair]")]);
	await p.waitForSelector("#waiting");
	assert((await p.$("#pairing-ended")) === null, "notice after Pair");
	asDaemon(`UPDATE wadesk.accounts SET status = 'unpaired',
	    disconnect_reason = 'qr_timeout', pair_deadline = NULL
	    WHERE id = :'id';
	    INSERT INTO wadesk.account_events (account_id, kind, detail)
	    VALUES (:'id', 'pair_timeout', '{"reason": "qr_timeout"}');`,
	    { id: st.id });
	const again = await p.waitForSelector("#pairing-ended",
	    { timeout: 8000 });
	assert((await again.textContent()).trim().startsWith(
	    "Pairing ended: No phone scanned the QR code"), "second notice");
}],

["browser-fail-pairing-notice-without-js", async () => {
	/* The pending page refreshes itself (<noscript> meta refresh). */
	const ctx = await st.browser.newContext({ javaScriptEnabled: false });
	try {
		await ctx.addCookies(await st.page.context().cookies());
		const p = await ctx.newPage();
		await p.goto(BASE + `/accounts/${st.id}`);
		await Promise.all([p.waitForNavigation(),
		    p.click("button[data-action=pair]")]);
		await p.waitForSelector("#waiting");
		assert((await p.$("#pairing-ended")) === null,
		    "notice while pairing (no JS)");
		asDaemon(`UPDATE wadesk.accounts SET status = 'unpaired',
		    disconnect_reason = 'connect_failed', pair_deadline = NULL
		    WHERE id = :'id';
		    INSERT INTO wadesk.account_events (account_id, kind, detail)
		    VALUES (:'id', 'pair_timeout', json_build_object('reason',
		    'connect_failed', 'cause', :'cause')::jsonb);`,
		    { id: st.id, cause: CAUSE });
		const el = await p.waitForSelector("#pairing-ended",
		    { timeout: 8000 });
		const text = (await el.textContent()).trim();
		assert(text === NOTICE_WANT, `notice (no JS) ${text}`);
		/* Settled: no more refreshing, the notice stays. */
		assert((await p.$("meta[http-equiv=refresh]")) === null,
		    "an unpaired page still refreshes itself");
	} finally {
		await ctx.close();
	}
}],

["browser-fail-relative-times-refresh", async () => {
	/* The script keeps "N ago" current, in lib/reltime.c's words. */
	const ctx = await st.browser.newContext();
	try {
		await ctx.addCookies(await st.page.context().cookies());
		const p = await ctx.newPage();
		await p.clock.install({ time: Date.now() });
		await p.goto(BASE + "/");
		const first = p.locator("table.events tbody tr .ago").first();
		const at = Date.parse(await first.getAttribute("data-at"));
		await p.clock.fastForward(at + 5 * 60 * 1000 + 30000 -
		    Date.now());
		const t = await first.textContent();
		assert(t === "5 min ago", `after 5.5 min the time reads ${t}`);
		await p.clock.fastForward(3 * 3600 * 1000);
		assert((await first.textContent()) === "3 h ago",
		    `after 3 h: ${await first.textContent()}`);
	} finally {
		await ctx.close();
	}
}],

["browser-fail-details-closed", async () => {
	const p = st.page;
	await p.goto(BASE + "/");
	const row = p.locator("table.events tbody tr[data-kind=pair_timeout]")
	    .filter({ hasText: "No phone scanned" }).first();
	const cell = row.locator("td.detail");
	assert((await cell.innerText()).startsWith("No phone scanned"),
	    `detail text ${JSON.stringify(await cell.innerText())}`);
	const code = cell.locator("details.raw code");
	assert(!(await code.isVisible()), "raw JSON shown without asking");
	await cell.locator("details.raw summary").click();
	assert(await code.isVisible(), "raw JSON not shown after a click");
	assert((await code.textContent()) === '{"reason": "qr_timeout"}',
	    `raw JSON ${await code.textContent()}`);
}],

["browser-fail-outdated-banner", async () => {
	const p = st.page;
	await p.goto(BASE + "/accounts");
	assert((await p.$("#outdated")) === null, "banner before any 405");
	sql(`UPDATE wadesk.accounts SET status = 'connected'
	    WHERE id = :'id';`, { id: st.id });
	asDaemon(`UPDATE wadesk.accounts SET status = 'disconnected',
	    disconnect_reason = 'client_outdated' WHERE id = :'id';
	    INSERT INTO wadesk.account_events (account_id, kind, detail)
	    VALUES (:'id', 'client_outdated', '{"reason": "client_outdated",
	    "version": "2.3000.1", "version_source": "WADESK_WA_VERSION"}');`,
	    { id: st.id });
	for (const path_ of ["/", "/accounts", `/accounts/${st.id}`,
	    `/accounts/${st.id}/events`, "/settings/operators"]) {
		await p.goto(BASE + path_);
		const b = await p.$("#outdated");
		assert(b !== null, `no banner on ${path_}`);
		const t = await b.innerText();
		assert(t.includes("Version sent: 2.3000.1 (from " +
		    "WADESK_WA_VERSION).") && t.includes("WADESK_WA_VERSION_FILE"),
		    `banner on ${path_}: ${t}`);
	}
	await p.screenshot({ path: path.join(ART, "failures-banner.png"),
	    fullPage: true });
	sql(`UPDATE wadesk.accounts SET deleted_at = now() WHERE id = :'id';`,
	    { id: st.id });
	await p.goto(BASE + "/");
	assert((await p.$("#outdated")) === null, "banner after the delete");
}],

["browser-fail-no-console-errors", async () => {
	assert(problems.length === 0, problems.slice(0, 5).join("; "));
}],
];

async function main() {
	const failed = await lib.runSteps(steps, st, problems, ART);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`FAIL browser-fail-test: ${e.stack || e}`);
	process.exit(1);
});
