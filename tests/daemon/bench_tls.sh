# tests/daemon/bench_tls.sh: sourced by the benchmarks (tests/daemon/
# bench.sh, tests/wa/bench.sh) to put a TLS-terminating front before
# tests/wasim on loopback, as the daemon's real endpoint is wss://.
#
#   tls_front_start DIR WS_URL
#
# makes a throw-away test CA and a server certificate for 127.0.0.1 and
# localhost under DIR (openssl, at bench time), starts nginx's stream
# module (libnginx-mod-stream) listening with TLS on a free loopback
# port and passing the bytes to WS_URL's host:port, and sets
# TLS_URL (WS_URL with wss:// and the front's port), TLS_CA (the CA
# certificate, PEM) and TLS_PID.  The client verifies the certificate
# as it would WhatsApp's; it trusts the test CA only because the bench
# names it (SSL_CERT_FILE, read by OpenSSL's default verify paths).
# Returns 1 (with a "bench: ..." line) if nginx or its stream module is
# missing.  tls_front_stop ends it.

TLS_PID=

tls_front_start() {
	local dir=$1 url=$2 hp port mod
	mod=/usr/lib/nginx/modules/ngx_stream_module.so
	if ! command -v nginx >/dev/null || [ ! -e "$mod" ]; then
		echo "bench: TLS front skipped: nginx or $mod missing" \
		    "(scripts/deps.sh installs libnginx-mod-stream)"
		return 1
	fi
	mkdir -p "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -days 2 -subj "/CN=wadesk bench test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>"$dir/openssl.log" ||
	    return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=localhost" -keyout "$dir/server.key" \
	    -out "$dir/server.csr" 2>>"$dir/openssl.log" || return 1
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" \
	    >"$dir/server.ext"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" \
	    -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
	    -extfile "$dir/server.ext" -out "$dir/server.pem" \
	    2>>"$dir/openssl.log" || return 1
	hp=$(sed -n 's|^ws://\([^/]*\).*|\1|p' <<<"$url")
	port=$(node -e 'const s = require("net").createServer();
	s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
	# Two workers, each with room for 10,000 sessions (two sockets
	# apiece); SO_REUSEPORT spreads the connections over them.
	cat >"$dir/nginx.conf" <<-EOF
	load_module $mod;
	daemon off;
	worker_processes 2;
	worker_rlimit_nofile 20000;
	pid $dir/nginx.pid;
	error_log $dir/error.log warn;
	events { worker_connections 20000; }
	stream {
		server {
			listen 127.0.0.1:$port ssl reuseport;
			ssl_certificate $dir/server.pem;
			ssl_certificate_key $dir/server.key;
			ssl_protocols TLSv1.2 TLSv1.3;
			proxy_pass $hp;
			proxy_timeout 1h;
		}
	}
	EOF
	nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
	TLS_PID=$!
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			TLS_URL=$(sed "s|^ws://[^/]*|wss://127.0.0.1:$port|" \
			    <<<"$url")
			TLS_CA=$dir/ca.pem
			return 0
		fi
		sleep 0.1
	done
	echo "bench: TLS front FAILED: nginx did not listen"
	cat "$dir/error.log"
	return 1
}

tls_front_stop() {
	[ -z "$TLS_PID" ] || kill "$TLS_PID" 2>/dev/null
	TLS_PID=
}
