# Sourced by the other scripts: where things live and who runs them.
# WADESK_VAR (default ./var) holds the PostgreSQL cluster, sockets, logs
# and the credentials key; tests point it at a temporary folder.
# PostgreSQL refuses to run as root, so as root every service runs as
# the unprivileged system user "wadesk", created here when missing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=${WADESK_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
# The service user may not be able to enter the caller's folder.
cd "$ROOT"
BUILD=${BUILD:-build}
PORT=${WADESK_PORT:-8080}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGDATA=$VAR/pg/data
PGSOCK=$VAR/run
PGDB=wadesk

if [ "$(id -u)" -eq 0 ]; then
	RUN_USER=wadesk
	if ! id -u "$RUN_USER" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home \
		    --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
	fi
else
	RUN_USER=$(id -un)
fi

# Run a command as the service user.  setpriv execs the command itself
# (runuser would stay in between as a parent that turns our SIGTERM
# into SIGKILL after a timeout), so a recorded $! is the real process.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
		    env HOME="$VAR" "$@"
	else
		"$@"
	fi
}

# The service user must be able to reach $VAR and the checkout: open the
# search (x) bit for "other" on any ancestor it cannot pass.
open_path() {
	local d=$1
	[ "$(id -u)" -eq 0 ] || return 0
	while [ "$d" != / ]; do
		if ! as_user test -x "$d" 2>/dev/null; then
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

# libpq connection strings: the owner (migrations), the web role, the
# daemon role.  Trust authentication over a socket only the service
# user can reach (the socket folder is mode 0700).
db_url() {
	echo "host=$PGSOCK dbname=$PGDB user=$1"
}
