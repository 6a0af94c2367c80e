"use strict";
/*
 * Shared by the browser tests (pairing.test.js, failures.test.js):
 * psql as the database owner, assertions, and the step runner that
 * starts headless Chromium, runs each step once in order and prints
 * "ok NAME" / "FAIL NAME: why" (a step after a failed one prints FAIL
 * "not reached", so a broken flow never passes silently).
 */
const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const path = require("path");

const CHROMIUM = process.env.WADESK_CHROMIUM || "/usr/bin/chromium";

/*
 * Run SQL as the database owner through psql on the stack in "varDir".
 * "vars" become psql variables (use :'name' in the text for a quoted
 * literal), so no value is ever spliced into the SQL.  Returns stdout
 * (unaligned, tuples only), trimmed.
 */
function sql(varDir, text, vars = {}) {
	const args = ["-h", path.join(varDir, "run"), "-d", "wadesk", "-X",
	    "-q", "-At", "-v", "ON_ERROR_STOP=1"];
	for (const [k, v] of Object.entries(vars))
		args.push("-v", `${k}=${v}`);
	let cmd = "psql";
	let argv = args;
	if (process.getuid() === 0) {
		cmd = "runuser";
		argv = ["-u", "wadesk", "--", "psql", ...args];
	}
	return execFileSync(cmd, argv, { input: text, encoding: "utf8",
	    stdio: ["pipe", "pipe", "pipe"] }).trim();
}

function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

/*
 * Start Chromium with one page in st.page (st.browser too), collect
 * console errors (unless consoleOk(message) says it is expected), page
 * errors and 5xx answers in "problems", run "steps" ([name, fn] pairs),
 * screenshot a failed step into "art", close the browser.  Returns the
 * number of failed steps.
 */
async function runSteps(steps, st, problems, art, consoleOk) {
	let failed = 0;
	let broken = null;

	try {
		st.browser = await chromium.launch({ executablePath: CHROMIUM,
		    headless: true, args: ["--no-sandbox", "--disable-gpu",
		    "--disable-quic", "--no-first-run",
		    "--disable-background-networking",
		    "--disable-component-update", "--disable-sync"] });
		const ctx = await st.browser.newContext({
		    viewport: { width: 1100, height: 800 } });
		ctx.setDefaultTimeout(10000);
		st.page = await ctx.newPage();
		st.page.on("console", (m) => {
			if (m.type() === "error" && !(consoleOk && consoleOk(m)))
				problems.push(`console: ${m.text()} ` +
				    `(${m.location().url || ""})`);
		});
		st.page.on("pageerror", (e) => problems.push(`page: ${e}`));
		st.page.on("response", (r) => {
			if (r.status() >= 500)
				problems.push(`HTTP ${r.status()} ${r.url()}`);
		});
	} catch (e) {
		broken = `browser did not start: ${e.message.split("\n")[0]}`;
	}
	for (const [name, fn] of steps) {
		if (broken !== null) {
			console.log(`FAIL ${name}: not reached (${broken})`);
			failed++;
			continue;
		}
		try {
			await fn();
			console.log(`ok ${name}`);
		} catch (e) {
			const msg = String(e.message || e).split("\n")[0];
			console.log(`FAIL ${name}: ${msg}`);
			failed++;
			broken = `${name} failed`;
			if (st.page)
				await st.page.screenshot({ path: path.join(art,
				    `failed-${name}.png`), fullPage: true })
				    .catch(() => {});
		}
	}
	if (st.browser)
		await st.browser.close().catch(() => {});
	return failed;
}

module.exports = { sql, assert, runSteps };
