/*
 * The simulator's HTTP control port: JSON endpoints for tests (/scan,
 * /enter-code, the fault controls, /state) and a small HTML "phone" page at
 * GET / for people (make demo).  No external assets.
 */
import { HttpError } from './sim.js';

const BODY_MAX = 64 * 1024;
const FAULTS = new Set(['logout', 'conflict', 'ban', 'unban', 'outdated',
    'drop', 'garbage', 'silence', 'unsilence']);

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
 ${Math.ceil(c.ref.expiresInMs / 1000)} s). Paste the QR text the dashboard shows:</p>
 <form class="scan"><input type="hidden" name="conn" value="${c.id}">
 <textarea name="qr" rows="2" cols="70" placeholder="https://wa.me/settings/linked_devices#2@..."></textarea><br>
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
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>wasim phone</title>
<meta http-equiv="refresh" content="5">
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
for (const f of document.querySelectorAll('form.scan'))
	f.addEventListener('submit', e => { e.preventDefault();
	    post('/scan', {qr: f.qr.value.trim(), phone: e.submitter.value}); });
for (const f of document.querySelectorAll('form.code'))
	f.addEventListener('submit', e => { e.preventDefault();
	    post('/enter-code', {phone: f.phone.value, code: f.code.value}); });
if (document.querySelector('form')) {
	/* Do not reload while someone types. */
	document.querySelector('meta[http-equiv]').remove();
}
</script></body></html>
`;
}

/*
 * Returns the request handler for http.createServer.  Routes:
 *   GET  /            phone page          GET /state  JSON state
 *   POST /scan        {qr, phone?, corrupt?}
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
			if (req.method === 'GET' && path === '/state')
				return sendJson(res, 200, sim.state());
			if (req.method !== 'POST')
				throw new HttpError(path === '/state' || path === '/' ? 405 :
				    404, `no ${req.method} ${path}`);
			const body = await readJson(req);
			if (path === '/scan') {
				if (body.corrupt !== undefined &&
				    !['hmac', 'account-signature'].includes(body.corrupt))
					throw new HttpError(400, 'corrupt must be "hmac" or "account-signature"');
				const r = await sim.scan(body.qr, body.phone || '15550100',
				    { corrupt: body.corrupt });
				return sendJson(res, 200, { ok: true, ...r });
			}
			if (path === '/enter-code') {
				const r = await sim.enterCode(body.phone || '15550100',
				    body.code);
				return sendJson(res, 200, { ok: true, ...r });
			}
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
