#!/usr/bin/env node
/*
 * The "phone" page at GET / of the control port, in headless Chromium
 * (Debian's /usr/bin/chromium or $WADESK_CHROMIUM, via playwright-core):
 * a person pastes the QR text and presses "Scan with +1 555 0100", picks a
 * QR image file, and types a pairing code; each pairs a device of our test
 * client.  Run: node tests/wasim/test-page.js
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { check, assert, done } from './runner.js';
import { startSim } from './harness.js';
import { CodeCompanion, RawClient, pairSuccessReply } from './rawclient.js';
import { hex } from './vectors.js';
import { child, children, x25519KeyPair } from './wire.js';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const CHROMIUM = process.env.WADESK_CHROMIUM || '/usr/bin/chromium';
const tmp = mkdtempSync(path.join(tmpdir(), 'wasim-page-'));
let sim, browser;
const clients = [];

/* A fresh companion (own keys) registering; resolves {c, keys, refs}. */
async function register() {
	const noise = x25519KeyPair();
	const c = new RawClient(sim.url, { noise });
	clients.push(c);
	await c.open();
	/* The vector payload carries the vector identity; only the Noise key
	 * is per companion here. */
	await c.handshake(hex('client_payload.registration'),
	    Buffer.from(sim.rootKey, 'hex'));
	const iq = await c.node();
	c.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'result',
	    id: iq.attrs.id } });
	const refs = children(child(iq, 'pair-device'))
	    .map(r => Buffer.from(r.content).toString());
	return { c, noise, refs };
}

const ident = { priv: hex('keys.client_identity.priv'),
    pub: hex('keys.client_identity.pub') };

function qrText(ref, noise, adv) {
	return `https://wa.me/settings/linked_devices#${ref},${noise.pub.toString('base64')},${ident.pub.toString('base64')},${adv.toString('base64')},9`;
}

/* Answers pair-success on c and returns the page's result text. */
async function finishPairing(page, c, adv) {
	const n = await c.node();
	const a = pairSuccessReply(n, adv, ident);
	assert(!a.err, a.err);
	c.sendNode(a.reply);
	await page.waitForFunction(() =>
	    /^\d{3} /.test(document.getElementById('out').textContent));
	return { out: await page.textContent('#out'), jid: a.jid };
}

async function main() {
	sim = await startSim();
	browser = await chromium.launch({ executablePath: CHROMIUM,
	    headless: true, args: ['--no-sandbox', '--disable-gpu',
	    '--no-first-run', '--disable-background-networking'] });
	const page = await browser.newPage();
	page.setDefaultTimeout(10000);
	const problems = [];
	page.on('pageerror', e => problems.push(e.message));
	page.on('console', m => {
		/* The stale QR's 409 is provoked. */
		if (m.type() === 'error' && !/status of 409/.test(m.text()))
			problems.push(m.text());
	});

	await check('page: empty phone page renders', async () => {
		await page.goto(sim.control + '/');
		const t = await page.textContent('body');
		assert(/No connection is showing a QR code/.test(t), t);
	});

	await check('page: paste QR text, "Scan with +1 555 0100" pairs', async () => {
		const r = await register();
		const adv = randomBytes(32);
		await page.goto(sim.control + '/');
		await page.fill('form.scan textarea', qrText(r.refs[0], r.noise, adv));
		await page.click('text=Scan with +1 555 0100');
		const { out, jid } = await finishPairing(page, r.c, adv);
		assert(out.startsWith('200 ') && out.includes(jid) &&
		    jid === '15550100:1@s.whatsapp.net', out);
	});

	await check('page: QR image file pairs', async () => {
		const r = await register();
		const adv = randomBytes(32);
		const png = path.join(tmp, 'qr.png');
		writeFileSync(png, execFileSync('qrencode', ['-t', 'PNG', '-o', '-',
		    qrText(r.refs[0], r.noise, adv)]));
		await page.goto(sim.control + '/');
		await page.setInputFiles('form.scan input[type=file]', png);
		/* The file is read asynchronously by the page. */
		await page.waitForTimeout(300);
		await page.click('text=Scan with +1 555 0100');
		const { out } = await finishPairing(page, r.c, adv);
		assert(out.startsWith('200 ') && out.includes('15550100:2@'), out);
	});

	await check('page: a stale QR shows the 409', async () => {
		const r = await register();
		await page.goto(sim.control + '/');
		await page.fill('form.scan textarea',
		    qrText('2@unknown', r.noise, randomBytes(32)));
		await page.click('text=Scan with +1 555 0100');
		await page.waitForFunction(() =>
		    /^\d{3} /.test(document.getElementById('out').textContent));
		const out = await page.textContent('#out');
		assert(out.startsWith('409 '), out);
		r.c.close();
	});

	await check('page: typing the pairing code pairs', async () => {
		const r = await register();
		const cc = new CodeCompanion({ code: 'PQRS6789' });
		r.c.sendNode(cc.hello('15550142@s.whatsapp.net', r.noise.pub));
		assert((await r.c.node()).attrs.type === 'result');
		await page.goto(sim.control + '/');
		const t = await page.textContent('body');
		assert(/\+1 555 0142/.test(t), t);
		await page.fill('form.code input[name=code]', 'PQRS-6789');
		await page.click('text=Enter code');
		const note = await r.c.node();
		const { adv, finish } = cc.finish(note, '15550142@s.whatsapp.net',
		    ident);
		r.c.sendNode(finish);
		assert((await r.c.node()).attrs.type === 'result');
		const { out } = await finishPairing(page, r.c, adv);
		assert(out.startsWith('200 ') && out.includes('15550142:1@'), out);
	});

	await check('page: linked devices listed, no script errors', async () => {
		await page.goto(sim.control + '/');
		const t = await page.textContent('body');
		assert(/15550100:1@s\.whatsapp\.net/.test(t) &&
		    /15550142:1@s\.whatsapp\.net/.test(t), t);
		assert(problems.length === 0, problems.join('; '));
	});
}

try {
	await main();
} catch (err) {
	await check('page: test harness', () => { throw err; });
} finally {
	for (const c of clients)
		c.close();
	if (browser)
		await browser.close();
	if (sim)
		await sim.stop();
	rmSync(tmp, { recursive: true, force: true });
}
done();
