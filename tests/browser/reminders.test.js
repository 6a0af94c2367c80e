#!/usr/bin/env node
/*
 * Browser test of the reminder form (issue 11), in headless Chromium
 * (playwright-core), against the stack tests/browser/run.sh started
 * (no session daemon: the test writes the account's synced groups
 * with psql as the daemon's role would).
 *
 *   - the account's groups offered on /reminders/new?account=N;
 *   - a weekly reminder (Mon and Thu, 09:00) to two groups typed into
 *     the form, Preview shows the summary and five fire times without
 *     saving, Save lands on its page with the same summary;
 *   - the list shows it with that summary, two groups and its next
 *     fire; the edit form comes back with the same controls;
 *   - subjects with HTML stay text, and the pages made no console
 *     errors.
 *
 * The firing round trip (the daemon sends it, both groups "Sent") is
 * in tests/browser/e2e.test.js, whose stack has wadeskd and wasim.
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
const GA = "120363666000001@g.us";
const GB = "120363666000002@g.us";
const GC = "120363666000003@g.us";

if (!BASE || !VAR || !PASSWORD) {
	console.log("FAIL browser-reminders-env: WADESK_URL, WADESK_VAR and " +
	    "WADESK_ADMIN_PASSWORD must be set (run tests/browser/run.sh)");
	process.exit(1);
}
fs.mkdirSync(ART, { recursive: true });

const sql = (text, vars) => lib.sql(VAR, text, vars);
const st = {};
const problems = [];

const steps = [
["browser-reminders-setup", async () => {
	const p = st.page;
	await p.goto(BASE + "/login");
	await p.fill("input[name=username]", "admin");
	await p.fill("input[name=password]", PASSWORD);
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]")]);
	await p.goto(BASE + "/accounts/new");
	await p.fill("input[name=label]", "Reminders in a browser");
	await Promise.all([p.waitForNavigation(),
	    p.click("button[type=submit]:has-text('Add')")]);
	st.id = new URL(p.url()).pathname.match(/^\/accounts\/(\d+)$/)[1];
	sql(`BEGIN; SET LOCAL ROLE wadesk_daemon;
	    UPDATE wadesk.accounts SET status = 'connected',
	    groups_synced_at = now() WHERE id = :'id';
	    INSERT INTO wadesk.groups (account_id, jid, subject, participants)
	    VALUES (:'id', :'ga', 'Front <i>desk</i>', 4),
	    (:'id', :'gb', 'Suppliers', 2), (:'id', :'gc', 'Unused', 2);
	    COMMIT;`, { id: st.id, ga: GA, gb: GB, gc: GC });
	st.tomorrow = sql("SELECT to_char((wadesk.wall_now() AT TIME ZONE " +
	    "'UTC')::date + 1, 'YYYY-MM-DD')");
}],

["browser-reminders-form-offers-the-accounts-groups", async () => {
	const p = st.page;
	await p.goto(BASE + "/reminders");
	await Promise.all([p.waitForNavigation(),
	    p.click("a:has-text('New reminder')")]);
	/* Choose the account (no JavaScript needed: a GET form). */
	await p.selectOption("#account-form select[name=account]", st.id);
	await Promise.all([p.waitForNavigation(),
	    p.click("#account-form button")]);
	assert(new URL(p.url()).search === `?account=${st.id}`, p.url());
	for (const g of [GA, GB, GC])
		assert(await p.$(`input[name=g][value="${g}"]`) !== null,
		    `no checkbox for ${g}`);
	const label = await p.textContent(`label:has(input[value="${GA}"])`);
	assert(label.includes("Front <i>desk</i>"), `label ${label}`);
	assert(await p.$("#groups i") === null, "subject markup");
	assert(await p.inputValue("input[name=tz]") === "UTC",
	    "the operator's zone");
}],

["browser-reminders-weekly-preview-then-save", async () => {
	const p = st.page;
	await p.fill("input[name=name]", "Weekly stand-up");
	await p.check(`input[name=g][value="${GA}"]`);
	await p.check(`input[name=g][value="${GB}"]`);
	await p.fill("textarea[name=message] >> nth=0",
	    "Stand-up in 10 minutes");
	await p.fill("input[name=date]", st.tomorrow);
	await p.fill("input[name=time]", "09:00");
	await p.selectOption("select[name=freq]", "weekly");
	await p.check("input[name=wd][value='0']");
	await p.check("input[name=wd][value='3']");
	await Promise.all([p.waitForNavigation(),
	    p.click("button:has-text('Preview')")]);
	const before = sql("SELECT count(*) FROM wadesk.reminders");
	assert(before === "0", `a preview saved: ${before}`);
	st.summary = (await p.textContent("#preview #summary")).trim();
	assert(/Mon/.test(st.summary) && /Thu/.test(st.summary) &&
	    /09:00/.test(st.summary), `summary ${st.summary}`);
	const fires = await p.$$eval("#preview #fires li",
	    (l) => l.map((x) => x.textContent));
	assert(fires.length === 5 && fires.every((f) =>
	    / 09:00 UTC$/.test(f)), `fires ${fires}`);
	/* The preview kept what was typed. */
	assert(await p.isChecked(`input[name=g][value="${GB}"]`), "B unchecked");
	assert(!await p.isChecked(`input[name=g][value="${GC}"]`), "C checked");
	await Promise.all([p.waitForNavigation(),
	    p.click("button:has-text('Save')")]);
	const m = new URL(p.url()).pathname.match(/^\/reminders\/(\d+)$/);
	assert(m, `saved to ${p.url()}`);
	st.rem = m[1];
	assert((await p.textContent(".notice")).includes("saved"), "notice");
	assert((await p.textContent("#summary")).trim() === st.summary,
	    "detail summary");
	assert((await p.$$("#fires li")).length === 5, "five fire times");
	const t = sql(`SELECT string_agg(group_jid, ',' ORDER BY position)
	    FROM wadesk.reminder_targets WHERE reminder_id = :'r'`,
	    { r: st.rem });
	assert(t === `${GA},${GB}`, `targets ${t}`);
	await p.screenshot({ path: path.join(ART, "reminder.png"),
	    fullPage: true });
}],

["browser-reminders-listed-with-summary", async () => {
	const p = st.page;
	await p.click("nav.main a:has-text('Reminders')");
	await p.waitForSelector(`tr.reminder[data-id="${st.rem}"]`);
	const row = `tr.reminder[data-id="${st.rem}"]`;
	assert((await p.textContent(`${row} .summary`)).trim() === st.summary,
	    "list summary");
	assert(/ 09:00 UTC$/.test((await p.textContent(`${row} .next`)).trim()),
	    "next fire");
	assert((await p.textContent(`${row} td:nth-child(3)`)).trim() === "2",
	    "groups count");
	/* The edit form round-trips the controls. */
	await p.goto(BASE + `/reminders/${st.rem}/edit`);
	assert(await p.inputValue("select[name=freq]") === "weekly", "freq");
	assert(await p.isChecked("input[name=wd][value='0']") &&
	    await p.isChecked("input[name=wd][value='3']") &&
	    !await p.isChecked("input[name=wd][value='1']"), "weekdays");
	assert(await p.isChecked("input[name=end][value=never]"), "end");
	await p.screenshot({ path: path.join(ART, "reminders.png"),
	    fullPage: true });
}],

["browser-reminders-no-console-errors", async () => {
	assert(problems.length === 0, problems.slice(0, 5).join("; "));
}],
];

async function main() {
	const failed = await lib.runSteps(steps, st, problems, ART);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`FAIL browser-reminders-test: ${e.stack || e}`);
	process.exit(1);
});
