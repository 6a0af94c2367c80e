/*
 * The simulator's HTTP control port: JSON endpoints for tests (/scan,
 * /enter-code, the fault controls, /state) and a small HTML "phone" page at
 * GET / for people (make demo).  No external assets.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpError } from './sim.js';

/* Big enough for a pasted QR screenshot. */
const BODY_MAX = 4 * 1024 * 1024;
const FAULTS = new Set(['logout', 'conflict', 'ban', 'unban', 'outdated',
    'drop', 'garbage', 'silence', 'unsilence', 'notify', 'stream-error',
    'prekeys-low', 'stanza', 'offline', 'lid', 'foreign-iq', 'stall-login']);
/* GET lists of the end-to-end side (e2e.js), filtered by ?account=&id=. */
const E2E_LISTS = new Set(['/received', '/receipts', '/acks', '/keyFetches',
    '/e2e']);

function sendJson(res, status, obj) {
	const body = JSON.stringify(obj, null, 1) + '\n';
	res.writeHead(status, { 'Content-Type': 'application/json',
	    'Cache-Control': 'no-store' });
	res.end(body);
}

function readJson(req) {
	return new Promise((resolve, reject) => {
		let len = 0;
		const chunks = [];
		req.on('data', c => {
			len += c.length;
			if (len > BODY_MAX) {
				reject(new HttpError(413, 'body too large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8').trim();
			if (text === '')
				return resolve({});
			try {
				const v = JSON.parse(text);
				if (v === null || typeof v !== 'object' || Array.isArray(v))
					throw new Error('not an object');
				resolve(v);
			} catch (err) {
				reject(new HttpError(400, `body must be a JSON object: ${err.message}`));
			}
		});
		req.on('error', reject);
	});
}

/*
 * QR image (PNG/JPEG bytes) -> QR text with zbarimg (Debian zbar-tools);
 * HttpError 400 if there is no QR code, 501 if zbarimg is missing.
 */
function qrFromImage(bytes) {
	const dir = mkdtempSync(path.join(tmpdir(), 'wasim-qr-'));
	const file = path.join(dir, 'qr.img');
	writeFileSync(file, bytes);
	return new Promise((resolve, reject) => {
		execFile('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable',
		    file], { timeout: 10000, maxBuffer: 65536 }, (err, stdout) => {
			rmSync(dir, { recursive: true, force: true });
			if (err && err.code === 'ENOENT')
				return reject(new HttpError(501, 'zbarimg is not installed'));
			const text = String(stdout).split('\n')[0].trim();
			if (text === '')
				return reject(new HttpError(400, 'no QR code found in the image'));
			resolve(text);
		});
	});
}

function esc(s) {
	return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;',
	    '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/* "15550100" -> "+1 555 0100" (display only). */
function pretty(number) {
	const m = /^1([0-9]{3})([0-9]{4})$/.exec(number);
	return m ? `+1 ${m[1]} ${m[2]}` : `+${number}`;
}

function page(sim) {
	const st = sim.state();
	const phones = st.phones.length ? st.phones.map(p => p.phone) :
	    ['15550100'];
	if (!phones.includes('15550100'))
		phones.unshift('15550100');
	const waiting = st.connections.filter(c => c.ref);
	const codes = st.connections.filter(c => c.linkCode &&
	    c.phase === 'registration' && c.linkCode.state === 'waiting-for-code');
	const rows = waiting.map(c => `
<div class="card">
 <p>Connection ${c.id} shows QR #${c.ref.index} (expires in
 ${Math.ceil(c.ref.expiresInMs / 1000)} s). Paste the QR text the dashboard
 shows, or paste the QR image itself (copy it from the dashboard with
 right click, "Copy image"), or pick an image file:</p>
 <form class="scan"><input type="hidden" name="conn" value="${c.id}">
 <textarea name="qr" rows="2" cols="70" placeholder="https://wa.me/settings/linked_devices#2@..."></textarea>
 <input type="file" name="img" accept="image/*"><br>
 ${phones.map(n => `<button name="phone" value="${esc(n)}">Scan with ${esc(pretty(n))}</button>`).join(' ')}
 </form></div>`).join('');
	const codeRows = codes.map(c => `
<div class="card"><p>Connection ${c.id} asks ${esc(pretty(c.linkCode.phone))}
 for a pairing code (${esc(c.linkCode.display)}).</p>
 <form class="code"><input type="hidden" name="phone" value="${esc(c.linkCode.phone)}">
 <input name="code" size="10" placeholder="ABCD-EFGH"> <button>Enter code</button></form></div>`).join('');
	const devs = st.phones.map(p => `<li>${esc(pretty(p.phone))}${p.banned ?
	    ' (banned)' : ''}: ${p.devices.length ? p.devices.map(d =>
	    `${esc(d.jid)} (${esc(d.os)})`).join(', ') : 'no linked devices'}</li>`)
	    .join('');
	const refresh = rows || codeRows ? '' :
	    '<meta http-equiv="refresh" content="3">';
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>wasim phone</title>
${refresh}
<style>body{font-family:sans-serif;max-width:50em;margin:1em auto}
.card{border:1px solid #aaa;border-radius:6px;padding:.5em 1em;margin:.5em 0}
#out{white-space:pre-wrap;background:#eee;padding:.5em}</style></head>
<body><h1>Simulated phone</h1><p><a href="/">Reload</a> ·
<a href="/state">state (JSON)</a></p>
<h2>Waiting QR codes</h2>${rows || '<p>No connection is showing a QR code.</p>'}
<h2>Pairing codes</h2>${codeRows || '<p>No pending pairing-code request.</p>'}
<h2>Linked devices</h2><ul>${devs || '<li>none</li>'}</ul>
<div id="out"></div>
<script>
function post(path, body) {
	document.getElementById('out').textContent = 'working...';
	fetch(path, {method: 'POST', body: JSON.stringify(body)})
	    .then(r => r.text().then(t => { document.getElementById('out')
	    .textContent = r.status + ' ' + t; }));
}
function readImage(file) {
	return new Promise(res => { const r = new FileReader();
	    r.onload = () => res(r.result); r.readAsDataURL(file); });
}
for (const f of document.querySelectorAll('form.scan')) {
	let image = null;
	f.img.addEventListener('change', async () => {
	    image = f.img.files[0] ? await readImage(f.img.files[0]) : null; });
	f.qr.addEventListener('paste', async e => {
		for (const it of e.clipboardData.items)
			if (it.type.startsWith('image/')) {
				e.preventDefault();
				image = await readImage(it.getAsFile());
				f.qr.value = '(image pasted)';
			}
	});
	f.addEventListener('submit', e => { e.preventDefault();
	    const phone = e.submitter.value;
	    post('/scan', image ? {image, phone} : {qr: f.qr.value.trim(), phone});
	});
}
for (const f of document.querySelectorAll('form.code'))
	f.addEventListener('submit', e => { e.preventDefault();
	    post('/enter-code', {phone: f.phone.value, code: f.code.value}); });
</script></body></html>
`;
}

/*
 * Returns the request handler for http.createServer.  Routes:
 *   GET  /            phone page          GET /state  JSON state
 *   POST /scan        {qr | image (base64 PNG/JPEG), phone?, corrupt?}
 *   POST /enter-code  {phone, code}
 *   POST /<fault>     {jid?, kind?} for the names in FAULTS
 */
export function controlHandler(sim) {
	return async (req, res) => {
		const url = new URL(req.url, 'http://x');
		const path = url.pathname;
		try {
			if (req.method === 'GET' && path === '/') {
				res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8',
				    'Cache-Control': 'no-store' });
				res.end(page(sim));
				return;
			}
			if (req.method === 'GET' && path === '/favicon.ico') {
				res.writeHead(204);
				res.end();
				return;
			}
			if (req.method === 'GET' && path === '/state')
				return sendJson(res, 200, sim.state());
			if (req.method === 'GET' && E2E_LISTS.has(path)) {
				const q = Object.fromEntries(url.searchParams);
				if (q.account !== undefined)
					q.account = sim.normalizeNumber(q.account);
				if (path === '/e2e')
					return sendJson(res, 200, sim.e2e.info());
				return sendJson(res, 200, { ok: true, [path.slice(1)]:
				    sim.e2e.filter(sim.e2e[path.slice(1)], q) });
			}
			if (req.method !== 'POST')
				throw new HttpError(path === '/state' || path === '/' ? 405 :
				    404, `no ${req.method} ${path}`);
			const body = await readJson(req);
			if (path === '/scan') {
				if (body.corrupt !== undefined &&
				    !['hmac', 'account-signature'].includes(body.corrupt))
					throw new HttpError(400, 'corrupt must be "hmac" or "account-signature"');
				let qr = body.qr;
				if (qr === undefined && typeof body.image === 'string')
					qr = await qrFromImage(Buffer.from(body.image.replace(
					    /^data:[^,]*,/, ''), 'base64'));
				const r = await sim.scan(qr, body.phone || '15550100',
				    { corrupt: body.corrupt });
				return sendJson(res, 200, { ok: true, ...r });
			}
			if (path === '/enter-code') {
				const r = await sim.enterCode(body.phone || '15550100',
				    body.code);
				return sendJson(res, 200, { ok: true, ...r });
			}
			if (path === '/contact')
				return sendJson(res, 200, { ok: true,
				    ...sim.e2e.addContact(body) });
			if (path === '/send')
				return sendJson(res, 200, { ok: true,
				    ...await sim.e2e.serial('send', () => sim.e2e.send(body), true) });
			if (path === '/group')
				return sendJson(res, 200, { ok: true, ...sim.e2e.addGroup(body) });
			if (path === '/group-update')
				return sendJson(res, 200, { ok: true,
				    ...sim.e2e.updateGroup(body) });
			if (path === '/groups-query')
				return sendJson(res, 200, { ok: true,
				    ...sim.e2e.groupsQueryFault(body) });
			if (path === '/restrict' || path === '/unrestrict' ||
			    path === '/send-error')
				return sendJson(res, 200, { ok: true,
				    ...sim.e2e.control(path.slice(1), body) });
			const name = path.slice(1);
			if (FAULTS.has(name)) {
				if (body.jid !== undefined && typeof body.jid !== 'string')
					throw new HttpError(400, 'jid must be a string');
				return sendJson(res, 200, { ok: true, ...sim.fault(name, body) });
			}
			throw new HttpError(404, `no POST ${path}`);
		} catch (err) {
			if (!(err instanceof HttpError)) {
				sim.log(`control ${req.method} ${path}: BUG: ${err.stack}`);
				return sendJson(res, 500, { ok: false, error: err.message });
			}
			sim.log(`control ${req.method} ${path}: ${err.status} ${err.message}`);
			return sendJson(res, err.status, { ok: false, error: err.message });
		}
	};
}
