#!/usr/bin/env node
/*
 * The simulator's command line: the ready line format, --root-seed
 * reproducibility (the vectors' test root), usage errors, clean exit on
 * SIGINT/SIGTERM, and the phone page.  Run: node tests/wasim/test-cli.js
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, assert, done } from './runner.js';
import { getState, startSim } from './harness.js';
import { RawClient } from './rawclient.js';
import { hex } from './vectors.js';

const server = path.join(path.dirname(fileURLToPath(import.meta.url)),
    'server.js');

await check('cli: --root-seed gives the matching root_key and static key', async () => {
	const seed = hex('keys.test_root.priv').toString('hex');
	const a = await startSim(['--root-seed', seed, '--time-scale', '5']);
	const b = await startSim(['--root-seed', seed]);
	try {
		assert(a.rootKey === hex('keys.test_root.pub').toString('hex'),
		    a.rootKey);
		const sa = await getState(a), sb = await getState(b);
		assert(sa.serverStaticKey === sb.serverStaticKey, 'static differs');
		assert(sa.timeScale === 5 && sb.timeScale === 1);
	} finally {
		await a.stop();
		await b.stop();
	}
});
await check('cli: random root keys differ between runs', async () => {
	const a = await startSim(), b = await startSim();
	const ka = a.rootKey, kb = b.rootKey;
	await a.stop();
	await b.stop();
	assert(ka !== kb);
});
await check('cli: SIGINT and SIGTERM exit 0', async () => {
	for (const sig of ['SIGINT', 'SIGTERM']) {
		const s = await startSim();
		const code = await new Promise(res => {
			s.proc.once('exit', (c, sg) => res(c ?? sg));
			s.proc.kill(sig);
		});
		assert(code === 0, `${sig}: ${code}`);
	}
});
await check('cli: bad arguments exit 2 with usage and no ready line', () => {
	for (const args of [['--time-scale', '0'], ['--root-seed', 'abc'],
	    ['--listen', 'nope'], ['--bogus'], ['--min-version', '2.3'],
	    ['--control']]) {
		const r = spawnSync(process.execPath, [server, ...args],
		    { encoding: 'utf8', timeout: 10000 });
		assert(r.status === 2 && r.stdout === '' && /usage/.test(r.stderr),
		    `${args}: ${r.status} ${r.stdout} ${r.stderr}`);
	}
});
await check('cli: port already in use exits 1', async () => {
	const a = await startSim();
	try {
		const port = new URL(a.url).port;
		const r = spawnSync(process.execPath, [server, '--listen',
		    `127.0.0.1:${port}`, '--control', '127.0.0.1:0'],
		    { encoding: 'utf8', timeout: 10000 });
		assert(r.status === 1 && r.stdout === '', `${r.status} ${r.stderr}`);
	} finally {
		await a.stop();
	}
});
await check('cli: phone page and 404s on the control port', async () => {
	const a = await startSim();
	try {
		let r = await fetch(a.control + '/');
		const html = await r.text();
		assert(r.status === 200 && /Simulated phone/.test(html) &&
		    !/<script src|<link /.test(html), 'page');
		r = await fetch(a.control + '/nothing');
		assert(r.status === 404);
		r = await fetch(a.url.replace('ws:', 'http:').replace('/ws/chat', '/'));
		assert(r.status === 404);
	} finally {
		await a.stop();
	}
});
await check('cli: start.sh prints shell assignments for a ready simulator', async () => {
	const sh = path.join(path.dirname(server), 'start.sh');
	const r = spawnSync('sh', ['-c', `eval "$(${sh} --time-scale 7)" && echo "$WASIM_PID $WASIM_URL $WASIM_CONTROL $WASIM_ROOT_KEY"`],
	    { encoding: 'utf8', timeout: 15000 });
	const m = /^(\d+) (ws:\/\/127\.0\.0\.1:\d+\/ws\/chat) (http:\/\/127\.0\.0\.1:\d+) ([0-9a-f]{64})\n$/.exec(r.stdout);
	assert(r.status === 0 && m, `${r.status} ${r.stdout} ${r.stderr}`);
	try {
		const st = await (await fetch(`${m[3]}/state`)).json();
		assert(st.timeScale === 7 && st.rootKey === m[4], JSON.stringify(st));
	} finally {
		process.kill(Number(m[1]), 'SIGTERM');
	}
	const bad = spawnSync('sh', [sh, '--bogus'], { encoding: 'utf8',
	    timeout: 15000 });
	assert(bad.status === 1 && bad.stdout === '', `${bad.status} ${bad.stdout}`);
});
await check('cli: --deflate negotiates permessage-deflate and still works', async () => {
	for (const deflate of [false, true]) {
		const a = await startSim(deflate ? ['--deflate'] : []);
		const c = new RawClient(a.url, {});
		try {
			await c.open();
			const ext = c.ws.extensions;
			assert(deflate === /permessage-deflate/.test(ext),
			    `deflate ${deflate}: extensions "${ext}"`);
			await c.handshake(hex('client_payload.registration'),
			    Buffer.from(a.rootKey, 'hex'));
			const n = await c.node();
			assert(n.tag === 'iq' && n.content[0].tag === 'pair-device');
		} finally {
			c.close();
			await a.stop();
		}
	}
});
done();
