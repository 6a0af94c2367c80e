#!/usr/bin/env bash
# Install the Debian packages wadesk needs to build, run and test, when
# any is missing; then the pinned test-only Node packages (npm ci).
# Runs as root on a fresh Debian 12 (apt-get), or as a user when all is
# present already.
set -eu
cd "$(dirname "$0")/.."

pkgs=(
	build-essential pkg-config clang libclang-rt-14-dev
	postgresql libpq-dev nginx libnginx-mod-stream
	libfcgi-dev libqrencode-dev libpng-dev libjson-c-dev libsodium-dev
	libwebsockets-dev libev-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev
	libsignal-protocol-c-dev uthash-dev libical-dev tzdata
	zlib1g-dev libcurl4-openssl-dev
	zbar-tools qrencode chromium curl wrk nodejs npm procps util-linux
	openssl ca-certificates
	python3
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# npm from the image may be newer than Debian's: accept any npm on PATH.
if command -v npm >/dev/null && command -v node >/dev/null; then
	tmp=()
	for p in "${missing[@]}"; do
		case $p in nodejs|npm) ;; *) tmp+=("$p") ;; esac
	done
	missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages: ${missing[*]}" >&2
		echo "deps: run as root, or: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test-only Node packages, pinned by tests/package-lock.json.
if [ ! -d tests/node_modules ] ||
    [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
	echo "deps: npm ci (tests/)"
	(cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
