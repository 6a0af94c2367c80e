#!/usr/bin/env bash
# make psql: psql on the database "make run" uses, as its owner, with
# search_path set to the wadesk schema.  Reads SQL from standard input
# when it is not a terminal (stopping at the first error).
set -eu
. "$(dirname "$0")/env.sh"
"$(dirname "$0")/pg.sh" start
if [ -t 0 ]; then
	as_user env PGOPTIONS='-c search_path=wadesk' \
	    "$PGBIN/psql" -h "$PGSOCK" -d "$PGDB"
else
	as_user env PGOPTIONS='-c search_path=wadesk' \
	    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -d "$PGDB" -f -
fi
