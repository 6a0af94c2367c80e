#!/usr/bin/env node
/*
 * wasim: a WhatsApp multi-device server simulator for testing companions.
 *
 *   node tests/wasim/server.js --listen 127.0.0.1:PORT --control 127.0.0.1:CPORT
 *       [--time-scale N] [--root-seed HEX64] [--min-version 2.3000.N]
 *       [--deflate] [--debug]
 *
 * Port 0 picks a free port.  When both ports listen it prints exactly one
 * line on stdout:
 *   wasim: ready url=ws://HOST:PORT/ws/chat control=http://HOST:CPORT root_key=HEX64
 * root_key is the X25519 public key of the test root that signs the
 * certificate chain (pin it in the client instead of WhatsApp's).  Logs go
 * to stderr.  SIGTERM/SIGINT close everything and exit 0.  See README.md.
 */
import http from 'node:http';
import { format } from 'node:util';
import { WebSocketServer } from 'ws';
import { Simulator } from './sim.js';
import { controlHandler } from './control.js';

function usage(msg) {
	process.stderr.write(`wasim: ${msg}\nusage: server.js --listen HOST:PORT --control HOST:PORT [--time-scale N] [--root-seed HEX64] [--min-version A.B.C] [--deflate] [--debug]\n`);
	process.exit(2);
}

function hostPort(s, what) {
	const m = /^(.*):([0-9]+)$/.exec(s || '');
	if (!m || Number(m[2]) > 65535)
		usage(`${what} must be HOST:PORT`);
	return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

const opts = { listen: '127.0.0.1:0', control: '127.0.0.1:0' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	const val = () => {
		if (i + 1 >= argv.length)
			usage(`${a} needs a value`);
		return argv[++i];
	};
	if (a === '--listen')
		opts.listen = val();
	else if (a === '--control')
		opts.control = val();
	else if (a === '--time-scale')
		opts.timeScale = Number(val());
	else if (a === '--root-seed')
		opts.rootSeed = val();
	else if (a === '--min-version')
		opts.minVersion = val();
	else if (a === '--debug')
		opts.debug = true;
	else if (a === '--deflate')
		opts.deflate = true;
	else
		usage(`unknown argument ${a}`);
}
if (opts.timeScale !== undefined && !(opts.timeScale > 0))
	usage('--time-scale must be a positive number');
if (opts.rootSeed !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.rootSeed))
	usage('--root-seed must be 64 hex digits');
let minVersion;
if (opts.minVersion !== undefined) {
	minVersion = opts.minVersion.split('.').map(Number);
	if (minVersion.length !== 3 || minVersion.some(x => !Number.isInteger(x)))
		usage('--min-version must be A.B.C');
}

/* stdout carries the ready line only: libsignal (Baileys' Signal code used
 * for the simulated contacts) logs with console.*, so that goes to stderr. */
for (const k of ['log', 'info', 'warn', 'error', 'debug'])
	console[k] = (...a) => process.stderr.write(`wasim: libsignal: ${format(...a).split('\n')[0]}\n`);

const listen = hostPort(opts.listen, '--listen');
const control = hostPort(opts.control, '--control');
const sim = new Simulator({
	timeScale: opts.timeScale,
	rootSeed: opts.rootSeed ? Buffer.from(opts.rootSeed, 'hex') : undefined,
	minVersion,
	debug: opts.debug
});

const wsHttp = http.createServer((req, res) => {
	res.writeHead(404, { 'Content-Type': 'text/plain' });
	res.end('wasim: WebSocket endpoint is /ws/chat\n');
});
const wss = new WebSocketServer({ server: wsHttp, path: '/ws/chat',
    maxPayload: 1 << 25,
    /* Both reference clients offer permessage-deflate (spec 1.1); by default
     * it is declined, --deflate accepts it and compresses every message. */
    perMessageDeflate: opts.deflate ? { threshold: 0 } : false });
wss.on('connection', (ws, req) => {
	const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
	sim.accept(ws, remote);
	if (req.headers.origin !== 'https://web.whatsapp.com')
		sim.recordError(null, `connection from ${remote}: Origin ${JSON.stringify(req.headers.origin || null)}, want https://web.whatsapp.com (spec 1.1)`);
});
wss.on('error', err => sim.log(`websocket server: ${err.message}`));

const ctl = http.createServer(controlHandler(sim));

function listenOn(server, hp) {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(hp.port, hp.host, () => resolve(server.address()));
	});
}

function urlHost(addr) {
	return addr.family === 'IPv6' || addr.family === 6 ?
	    `[${addr.address}]` : addr.address;
}

/* A bug must not take down every test that shares this simulator: log it
 * loudly, record it in /state errors, keep serving. */
process.on('uncaughtException', err => {
	sim.log(`BUG: uncaught: ${err.stack}`);
	sim.recordError(null, `internal error: ${err.message}`);
});

/* Installed before the ready line so that a quick signal is handled. */
function shutdown(sig) {
	sim.log(`${sig}: shutting down`);
	for (const c of sim.conns.values())
		if (c.live)
			c.drop();
	wss.close();
	wsHttp.close();
	ctl.close();
	ctl.closeAllConnections?.();
	wsHttp.closeAllConnections?.();
	setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

try {
	const a = await listenOn(wsHttp, listen);
	const b = await listenOn(ctl, control);
	process.stdout.write(`wasim: ready url=ws://${urlHost(a)}:${a.port}/ws/chat control=http://${urlHost(b)}:${b.port} root_key=${sim.root.pub.toString('hex')}\n`);
	sim.log(`listening; server static key ${sim.serverStatic.pub.toString('hex')}, time scale ${sim.timeScale}`);
} catch (err) {
	process.stderr.write(`wasim: listen: ${err.message}\n`);
	process.exit(1);
}

