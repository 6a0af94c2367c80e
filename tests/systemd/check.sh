#!/usr/bin/env bash
# tests/systemd/check.sh: the units in etc/systemd/ are files under test
# (STYLE.md).  Per unit: systemd-analyze verify says nothing about it
# (a copy whose ExecStart points at $BUILD's binary, or /bin/true when
# that is not built), its program is one "make install" installs, the
# database role in its WADESK_DATABASE_URL is its User= and a migration
# creates that role; and every long-running program has a unit.
# One "ok NAME" / "FAIL NAME" line per check.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/san}
pass=0
fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
no() { echo "FAIL $1"; [ -z "${2:-}" ] || echo "$2" | sed 's/^/    /'; fail=$((fail + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for unit in etc/systemd/*.service; do
	name=$(basename "$unit" .service)
	exe=$(sed -n 's/^ExecStart=//p' "$unit" | awk '{print $1}')
	prog=$(basename "$exe")
	built=$(find "$BUILD" -type f -name "$prog" -perm -u+x 2>/dev/null | head -n 1)
	[ -n "$built" ] || built=/bin/true
	sed "s|^ExecStart=$exe|ExecStart=$PWD/$built|; s|$PWD//bin/true|/bin/true|" \
	    "$unit" >"$tmp/$name.service"
	if ! command -v systemd-analyze >/dev/null; then
		echo "skip systemd-$name-verify (no systemd-analyze)"
	else
		out=$(timeout 60 systemd-analyze verify "$tmp/$name.service" 2>&1)
		if [ -z "$out" ]; then ok "systemd-$name-verify"
		else no "systemd-$name-verify" "$out"; fi
	fi
	if grep -q "\$(BUILD)/[a-z/]*$prog\b" Makefile &&
	    [ "$exe" = "/usr/local/bin/$prog" ]; then
		ok "systemd-$name-installed"
	else
		no "systemd-$name-installed" "make install does not put $prog at $exe"
	fi
	user=$(sed -n 's/^User=//p' "$unit")
	role=$(sed -n 's/^Environment=WADESK_DATABASE_URL=.*user=\([a-z_]*\).*/\1/p' "$unit")
	if [ -n "$role" ] && [ "$role" = "$user" ] &&
	    grep -q "CREATE ROLE $role LOGIN" sql/*.sql; then
		ok "systemd-$name-role"
	else
		no "systemd-$name-role" "User=$user, database role '$role' (peer authentication needs them equal, and a migration must create it)"
	fi
done

for prog in wadesk.fcgi wadeskd wadesk-webhookd; do
	if grep -l "^ExecStart=/usr/local/bin/$prog\$" etc/systemd/*.service >/dev/null; then
		ok "systemd-unit-for-$prog"
	else
		no "systemd-unit-for-$prog" "no unit in etc/systemd runs $prog"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
