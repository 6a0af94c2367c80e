# tests/browser/: the pairing flow in headless Chromium (playwright-core
# from tests/node_modules, Debian's /usr/bin/chromium), against a private
# stack that run.sh starts from build/san and always stops.  About 30 s.
CHECK_SCRIPTS	+= tests/browser/run.sh
