# tests/integration/: the web dashboard against a real PostgreSQL
# cluster, nginx and wadesk.fcgi (scripts/stack.sh in a temporary
# folder).  "make check" runs it on build/san; for a quick run on your
# own tree: make BUILD=build/x SANITIZE=1 check-integration.
CHECK_SCRIPTS	+= tests/integration/web.sh

.PHONY: check-integration
check-integration: $(BUILD)/cgi/wadesk.fcgi $(BUILD)/cgi/wadeskctl
	@BUILD=$(BUILD) tests/integration/web.sh
