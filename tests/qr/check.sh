#!/usr/bin/env bash
# Decode test for cgi/qrpng.c (DESIGN.md: qr.png must scan): render
# pairing-shaped strings at the default size with "t_qrpng --write" and
# read them back with zbarimg (Debian zbar-tools); the decoded text must
# equal the input exactly.  Also checks that empty and oversized input
# is refused.  Prints one "ok NAME" / "FAIL NAME" line per case.
set -u
cd "$(dirname "$0")/../.."
bin=${BUILD:-build}/tests/unit/t_qrpng
fails=0
if [ ! -x "$bin" ]; then
	echo "FAIL qr_build ($bin missing; run make tests)"
	exit 1
fi
if ! command -v zbarimg >/dev/null; then
	echo "FAIL qr_zbarimg (not installed; apt-get install zbar-tools)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# b64 N: N base64 characters from /dev/urandom ('+' and '/' included).
b64() {
	head -c 300 /dev/urandom | base64 -w0 | tr -d '=' | cut -c1-"$1"
}

# key: base64 of 32 random bytes, 44 characters ending in '='.
key() {
	head -c 32 /dev/urandom | base64 -w0
}

# roundtrip NAME TEXT: render, decode, compare.
roundtrip() {
	local name=$1 text=$2 got
	if ! printf '%s' "$text" | "$bin" --write "$tmp/$name.png" \
	    >"$tmp/$name.out" 2>&1; then
		echo "FAIL qr_decode_$name (render failed)"
		cat "$tmp/$name.out"
		fails=$((fails + 1))
		return
	fi
	# zbarimg --raw ends its output with a newline; $() drops it.
	# Its stderr (D-Bus chatter in containers) is shown on failure only.
	got=$(zbarimg -q --raw -Sdisable -Sqrcode.enable "$tmp/$name.png" \
	    2>"$tmp/$name.err")
	if [ "$got" = "$text" ]; then
		echo "ok qr_decode_$name (${#text} bytes)" \
		    "$(cat "$tmp/$name.out")"
	else
		echo "FAIL qr_decode_$name (${#text} bytes)"
		printf '  want: %s\n  got:  %s\n' "$text" "$got"
		sed 's/^/  zbarimg: /' "$tmp/$name.err"
		fails=$((fails + 1))
	fi
}

# refuse NAME TEXT: the renderer must exit non-zero and write nothing.
refuse() {
	local name=$1 text=$2
	rm -f "$tmp/$name.png"
	if printf '%s' "$text" | "$bin" --write "$tmp/$name.png" \
	    >/dev/null 2>&1 || [ -e "$tmp/$name.png" ]; then
		echo "FAIL qr_refuses_$name"
		fails=$((fails + 1))
	else
		echo "ok qr_refuses_$name"
	fi
}

# Every base64 character, in the ref and in the keys, '=' padding too.
all='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
roundtrip every_b64_char \
    "2@${all}${all:0:26},${all:20:43}=,${all:0:43}=,${all:21:43}="
# Real-shaped pairing strings: "2@" + 90 chars, then three 44-char keys.
for i in 1 2 3 4 5; do
	roundtrip pairing_random_$i "2@$(b64 90),$(key),$(key),$(key)"
done
roundtrip one_char "x"
long=""
while [ ${#long} -lt 1000 ]; do
	long="$long$all"
done
roundtrip limit_1000 "${long:0:1000}"
refuse empty ""
refuse over_limit "${long:0:1000}x"
[ "$fails" -eq 0 ]
