# tests/browser/e2e.sh: the whole product end to end in headless
# Chromium (issue 4): nginx + wadesk.fcgi + wadeskd + tests/wasim +
# PostgreSQL, all real, from build/san.  QR path (zbarimg decodes the
# served PNG, /scan), logout from the phone and the fresh QR, Delete
# removes the device; the pairing-code path.  Fails on sanitizer
# reports in any log.  About 20 s; screenshots in tests/artifacts/.
CHECK_SCRIPTS	+= tests/browser/e2e.sh
