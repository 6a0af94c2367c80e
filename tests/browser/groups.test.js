#!/usr/bin/env node
/*
 * Browser test of the groups page's send-test (issue 10), in headless
 * Chromium (playwright-core), against the stack tests/browser/run.sh
 * started.  The test plays the session daemon through psql with the
 * daemon's role (SET LOCAL ROLE wadesk_daemon), writing what
 * daemon/groups.c and the sender write: the groups, then the
 * send_text command's outcome.
 *
 *   - Groups link on the account page, the rows, the admin badge;
 *   - Send test on row A: back on the page, row A says Sending…; the
 *     daemon acks it and row A turns into Sent ✓ with the message id
 *     in place (static/wadesk.js polls send.json; no reload);
 *   - a second send on row B while A is settled, then B refused
 *     (restricted, 463): B shows the sentence, A never changes;
 *   - HTML typed into the text does not become markup anywhere, and
 *     the page script made no console errors.
 *
 * Reads WADESK_URL, WADESK_VAR, WADESK_ADMIN_PASSWORD and
 * WADESK_ARTIFACTS.  One "ok NAME" / "FAIL NAME: why" line per step.
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
const GA = "120363555000001@g.us";
const GB = "120363555000002@g.us";

if (!BASE || !VAR || !PASSWORD) {
	console.log("FAIL browser-groups-env: WADESK_URL, WADESK_VAR and " +
	    "WADESK_ADMIN_PASSWORD must be set (run tests/browser/run.sh)");
	process.exit(1);
}
fs.mkdirSync(ART, { recursive: true });

const sql = (text, vars) => lib.sql(VAR, text, vars);
function asDaemon(text, vars) {
	return sql("BEGIN;\nSET LOCAL ROLE wadesk_daemon;\n" + text +
	    "\nCOMMIT;\n", vars);
}

const st = {};
const problems = [];
const row = (jid) => `tr.group[data-jid="${jid}"]`;

async function stateOf(p, jid) {
	return p.getAttribute(row(jid), "data-state");
}
async function textOf(p, jid) {
	return ((await p.textContent(`${row(jid)} .send-state`)) || "").trim();
}

const steps = [
["browser-groups-login", async () => {
	const p = st.page;
	await p.goto(BASE + "/login");
	await p.fill("input[name=username]", "admin");
	await p.fill("input[name=password]", PASSWORD);
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]")]);
	await p.goto(BASE + "/accounts/new");
	await p.fill("input[name=label]", "Groups in a browser");
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]:has-text('Add')")]);
	st.id = new URL(p.url()).pathname.match(/^\/accounts\/(\d+)$/)[1];
	asDaemon(`UPDATE wadesk.accounts SET status = 'connected',
	    groups_synced_at = now() WHERE id = :'id';
	    INSERT INTO wadesk.groups (account_id, jid, subject, participants,
	    is_admin) VALUES (:'id', :'ga', 'Front <i>desk</i>', 4, true),
	    (:'id', :'gb', 'Suppliers', 2, false);`,
	    { id: st.id, ga: GA, gb: GB });
}],

["browser-groups-list", async () => {
	const p = st.page;
	await p.goto(BASE + `/accounts/${st.id}`);
	await Promise.all([p.waitForNavigation(),
	    p.click(`a[href="/accounts/${st.id}/groups"]`)]);
	assert((await p.$$("tr.group")).length === 2, "two rows");
	assert(((await p.textContent(`${row(GA)} strong`)) || "") ===
	    "Front <i>desk</i>", "subject shown as text");
	assert((await p.$(`${row(GA)} strong i`)) === null, "subject markup");
	assert((await p.$(`${row(GA)} .badge-admin`)) !== null, "admin badge");
	assert((await p.$(`${row(GB)} .badge-admin`)) === null, "B badge");
}],

["browser-groups-send-then-sent-in-place", async () => {
	const p = st.page;
	await p.fill(`${row(GA)} input[name=text]`, "<b>hello</b> team");
	await Promise.all([p.waitForNavigation(),
	    p.click(`${row(GA)} button:has-text('Send test')`)]);
	assert(await stateOf(p, GA) === "sending", "A not sending");
	assert(await textOf(p, GA) === "Sending\u2026", "A text");
	assert(await stateOf(p, GB) === "none", "B moved");
	let loads = 0;
	p.on("load", () => loads++);
	st.a = sql(`SELECT id FROM wadesk.commands WHERE account_id = :'id'
	    AND type = 'send_text' AND payload->>'to' = :'ga'`,
	    { id: st.id, ga: GA });
	assert(/^\d+$/.test(st.a), `one command for A: ${st.a}`);
	asDaemon(`UPDATE wadesk.commands SET claimed_at = now(),
	    done_at = now(), result = 'sent', message_id = '3EB0C0FFEE0042'
	    WHERE id = :'c';`, { c: st.a });
	await p.waitForFunction((sel) => document.querySelector(sel)
	    .getAttribute("data-state") === "sent", row(GA),
	    { timeout: 8000 });
	const t = await textOf(p, GA);
	assert(/^Sent \u2713 message 3EB0C0FFEE0042 at \d{4}-/.test(t),
	    `A says ${JSON.stringify(t)}`);
	assert(loads === 0, `the page reloaded ${loads} times`);
	assert(await stateOf(p, GB) === "none", "B moved");
	await p.screenshot({ path: path.join(ART, "groups-sent.png"),
	    fullPage: true });
}],

["browser-groups-second-row-never-moves-the-first", async () => {
	const p = st.page;
	await p.fill(`${row(GB)} input[name=text]`, "second");
	await Promise.all([p.waitForNavigation(),
	    p.click(`${row(GB)} button:has-text('Send test')`)]);
	assert(await stateOf(p, GB) === "sending", "B not sending");
	assert(await stateOf(p, GA) === "sent", "A moved by B's send");
	const b = sql(`SELECT id FROM wadesk.commands WHERE account_id = :'id'
	    AND type = 'send_text' AND payload->>'to' = :'gb'`,
	    { id: st.id, gb: GB });
	asDaemon(`UPDATE wadesk.accounts SET restricted = true,
	    restricted_until = '2030-01-02T03:04:05Z' WHERE id = :'id';
	    UPDATE wadesk.commands SET done_at = now(), error = 'refused',
	    error_code = 463 WHERE id = :'c';`, { id: st.id, c: b });
	await p.waitForFunction((sel) => document.querySelector(sel)
	    .getAttribute("data-state") === "failed", row(GB),
	    { timeout: 8000 });
	const t = await textOf(p, GB);
	assert(t.startsWith("WhatsApp refused the message (restricted until " +
	    "2030-01-02T03:04:05Z)."), `B says ${JSON.stringify(t)}`);
	assert(/^Sent \u2713 message 3EB0C0FFEE0042/.test(await textOf(p, GA)),
	    "A changed");
	await p.reload();
	assert((await p.$("#restricted")) !== null, "no restriction notice");
	assert((await p.$("input[name=text]")) === null, "Send test still on");
	await p.screenshot({ path: path.join(ART, "groups-restricted.png"),
	    fullPage: true });
}],

["browser-groups-no-console-errors", async () => {
	assert((await st.page.$("b b, tr.group b")) === null,
	    "typed HTML became markup");
	assert(problems.length === 0, problems.slice(0, 5).join("; "));
}],
];

async function main() {
	const failed = await lib.runSteps(steps, st, problems, ART);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`FAIL browser-groups-test: ${e.stack || e}`);
	process.exit(1);
});
