#!/usr/bin/env bash
# tests/daemon/send.sh [FILTER]: issue 9, sending text end to end.  The
# stack of tests/daemon/run.sh (PostgreSQL, wadesk.fcgi, nginx, wasim
# with Baileys' Signal code on the other side) with
# tests/daemon/send.test.js as the script: wadeskctl send to simulated
# contacts, plaintexts checked at every device wasim decrypted for.
# Needs the real client ($BUILD/daemon/wadeskd): the fake has no
# Signal layer, so without it every check fails visibly.
cd "$(dirname "$0")/../.."
export WADESK_DAEMON_TEST_WA=wasim
export DAEMON_TEST_JS=tests/daemon/send.test.js
exec tests/daemon/run.sh "$@"
