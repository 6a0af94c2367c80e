'use strict';
/*
 * A minimal FastCGI client for the integration tests: one responder
 * request over wadesk.fcgi's unix socket, with PARAMS the test chooses
 * (e.g. HTTPS=on, which nginx sends with "fastcgi_param HTTPS $https"
 * on a TLS server, without a TLS nginx in the test stack).  Record
 * layout per the FastCGI 1.0 specification (fastcgi-archives.github.io,
 * "FastCGI Specification", sections 3.3 and 3.4): version 1, type,
 * request id, content length, padding length, reserved; name-value
 * pairs with 1-byte lengths below 128, else 4 bytes with the top bit set.
 */
const net = require('node:net');

const BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5,
    STDOUT = 6, STDERR = 7, RESPONDER = 1;

function record(type, content) {
	const pad = (8 - (content.length % 8)) % 8;
	const h = Buffer.alloc(8);
	h.writeUInt8(1, 0);
	h.writeUInt8(type, 1);
	h.writeUInt16BE(1, 2);
	h.writeUInt16BE(content.length, 4);
	h.writeUInt8(pad, 6);
	return Buffer.concat([h, content, Buffer.alloc(pad)]);
}

function nvLen(n) {
	if (n < 128)
		return Buffer.from([n]);
	const b = Buffer.alloc(4);
	b.writeUInt32BE((n | 0x80000000) >>> 0, 0);
	return b;
}

/* Records of "type" carrying "data", cut at 65535 bytes, then an empty one. */
function stream(type, data) {
	const out = [];
	for (let i = 0; i < data.length; i += 65535)
		out.push(record(type, data.subarray(i, i + 65535)));
	out.push(record(type, Buffer.alloc(0)));
	return out;
}

/*
 * Send one request to the socket "sock": "params" an object of
 * FastCGI parameters, "body" a string or Buffer for STDIN.  Resolves
 * to {status, headers: [[name, value]...], cookies (Set-Cookie values),
 * body (string), stderr}.
 */
function fcgiRequest(sock, params, body = '') {
	const begin = Buffer.alloc(8);
	begin.writeUInt16BE(RESPONDER, 0);
	const nv = Buffer.concat(Object.entries(params).flatMap(([k, v]) => {
		const kb = Buffer.from(k), vb = Buffer.from(String(v));
		return [nvLen(kb.length), nvLen(vb.length), kb, vb];
	}));
	const msg = Buffer.concat([record(BEGIN_REQUEST, begin),
	    ...stream(PARAMS, nv), ...stream(STDIN, Buffer.from(body))]);
	return new Promise((resolve, reject) => {
		const c = net.createConnection(sock);
		let buf = Buffer.alloc(0), out = Buffer.alloc(0), err = '';
		let done = false;
		c.on('error', reject);
		c.on('connect', () => c.write(msg));
		c.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 8) {
				const type = buf.readUInt8(1);
				const len = buf.readUInt16BE(4);
				const total = 8 + len + buf.readUInt8(6);
				if (buf.length < total)
					break;
				const content = buf.subarray(8, 8 + len);
				if (type === STDOUT)
					out = Buffer.concat([out, content]);
				else if (type === STDERR)
					err += content.toString();
				else if (type === END_REQUEST)
					done = true;
				buf = buf.subarray(total);
			}
			if (done)
				c.end();
		});
		c.on('close', () => {
			if (!done)
				return reject(new Error('no END_REQUEST record'));
			const text = out.toString();
			const end = text.indexOf('\r\n\r\n');
			const headers = text.slice(0, end).split('\r\n')
			    .map((l) => [l.slice(0, l.indexOf(':')),
			    l.slice(l.indexOf(':') + 1).trim()]);
			const status = Number((headers.find(([k]) =>
			    k === 'Status') || [, '200'])[1].split(' ')[0]);
			resolve({ status, headers, body: text.slice(end + 4),
			    cookies: headers.filter(([k]) => k === 'Set-Cookie')
			    .map(([, v]) => v), stderr: err });
		});
	});
}

module.exports = { fcgiRequest };
