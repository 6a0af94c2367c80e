# tests/wasim/: the WhatsApp multi-device server simulator (Node 20, ESM, on
# baileys from tests/node_modules).  Node scripts only: nothing to build.
# Each test is an executable script printing "ok NAME" / "FAIL NAME" lines.
CHECK_SCRIPTS	+= tests/wasim/test-sig.js
CHECK_SCRIPTS	+= tests/wasim/test-wire.js
CHECK_SCRIPTS	+= tests/wasim/test-baileys.js
CHECK_SCRIPTS	+= tests/wasim/test-e2e-baileys.js
CHECK_SCRIPTS	+= tests/wasim/test-e2e.js
CHECK_SCRIPTS	+= tests/wasim/test-faults.js
CHECK_SCRIPTS	+= tests/wasim/test-raw.js
CHECK_SCRIPTS	+= tests/wasim/test-cli.js
CHECK_SCRIPTS	+= tests/wasim/test-page.js
