'use strict';
/*
 * The production server block nginx/wadesk.conf, run for real: a
 * second nginx on loopback with a throw-away self-signed certificate,
 * passing to the test stack's wadesk.fcgi socket.  Only the paths and
 * ports are rewritten (listen 443/80 -> free loopback ports, the
 * certificate, the snippet, the static folder and the socket), so the
 * FastCGI parameters it sends are the ones INSTALL tells operators to
 * deploy.  As root, nginx runs as the stack's user (scripts/env.sh:
 * "wadesk"), which may reach the socket.
 */
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function freePort() {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

function run(argv) {
	const root = process.getuid() === 0;
	const cmd = root ? ['setpriv', '--reuid=wadesk', '--regid=wadesk',
	    '--init-groups', ...argv] : argv;
	const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
	if (r.status !== 0)
		throw new Error(`${argv.join(' ')}: ${r.stderr || r.error}`);
	return r;
}

/*
 * Start it; resolves to {url (https), httpUrl (the port-80 block),
 * ca (PEM), stop()}.  Throws with nginx's message if it will not start.
 */
async function startTlsNginx(VAR, ROOT) {
	const dir = path.join(VAR, 'nginx', 'tls');
	fs.mkdirSync(dir, { recursive: true });
	if (process.getuid() === 0)
		spawnSync('chown', ['-R', 'wadesk:', dir]);
	run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
	    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
	    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
	    '-keyout', path.join(dir, 'key.pem'),
	    '-out', path.join(dir, 'cert.pem')]);
	const port = await freePort(), port80 = await freePort();
	let block = fs.readFileSync(path.join(ROOT, 'nginx', 'wadesk.conf'),
	    'utf8');
	const subst = [
		[/listen 443 ssl http2;/, `listen 127.0.0.1:${port} ssl;`],
		[/listen \[::\]:443 ssl http2;/, ''],
		[/listen 80;/, `listen 127.0.0.1:${port80};`],
		[/listen \[::\]:80;/, ''],
		[/server_name wadesk\.example\.org;/g, 'server_name localhost;'],
		[/\/etc\/ssl\/certs\/wadesk\.pem/, path.join(dir, 'cert.pem')],
		[/\/etc\/ssl\/private\/wadesk\.key/, path.join(dir, 'key.pem')],
		[/snippets\/wadesk-security\.conf/g,
		    path.join(ROOT, 'nginx', 'security-headers.conf')],
		[/include fastcgi_params;/g,
		    'include /etc/nginx/fastcgi_params;'],
		[/\/usr\/local\/share\/wadesk\/static\//,
		    path.join(ROOT, 'static') + '/'],
		[/unix:\/run\/wadesk\/wadesk\.sock/g,
		    'unix:' + path.join(VAR, 'run', 'wadesk.sock')],
	];
	for (const [re, to] of subst) {
		if (!re.test(block))
			throw new Error(`nginx/wadesk.conf: no ${re}`);
		block = block.replace(re, to);
	}
	const t = (n) => path.join(dir, n);
	fs.writeFileSync(t('nginx.conf'), `worker_processes 1;
pid ${t('nginx.pid')};
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	client_body_temp_path ${t('body')};
	proxy_temp_path ${t('proxy')};
	fastcgi_temp_path ${t('fastcgi')};
	uwsgi_temp_path ${t('uwsgi')};
	scgi_temp_path ${t('scgi')};
${block}
}
`);
	if (process.getuid() === 0)
		spawnSync('chown', ['-R', 'wadesk:', dir]);
	const argv = ['/usr/sbin/nginx', '-q', '-p', dir, '-c', t('nginx.conf'),
	    '-e', t('error.log')];
	run(argv);
	return {
		url: `https://localhost:${port}`,
		httpUrl: `http://127.0.0.1:${port80}`,
		ca: fs.readFileSync(t('cert.pem'), 'utf8'),
		stop: () => run([...argv, '-s', 'quit']),
	};
}

/*
 * One HTTPS request to "url" trusting "ca": method, headers, body
 * (string).  Resolves to {status, headers, cookies (Set-Cookie), text}.
 */
function httpsRequest(url, ca, method, headers = {}, body = '') {
	return new Promise((resolve, reject) => {
		const req = https.request(url, { method, headers, ca,
		    lookup: (h, o, cb) => cb(null, o && o.all ?
		    [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4) },
		    (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({ status: res.statusCode,
			    headers: res.headers,
			    cookies: res.headers['set-cookie'] || [], text }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

module.exports = { startTlsNginx, httpsRequest };
