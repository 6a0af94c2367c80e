#!/usr/bin/env bash
# make lint: house-style checks on the C sources that a compiler does not
# make: no C++ "//" comments and no trailing white space.  String and
# character literals and URL schemes ("scheme://") are blanked first, so
# "//accounts" in a test or a URL in a comment is not taken for a comment.
set -u
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
	out=$(awk -v f="$f" '
	{
		line = $0
		if (line ~ /[ \t]+$/) { printf "%s:%d: trailing white space\n", f, NR }
		gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
		gsub(/'\''([^'\''\\]|\\.)*'\''/, "'\'''\''", line)
		gsub(/[a-z][a-z0-9+.-]*:\/\//, "", line)
		if (index(line, "//")) { printf "%s:%d: // comment\n", f, NR }
	}' "$f")
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		bad=1
	fi
done < <(find lib cgi daemon tests/unit tests/wa tests/fuzz -name '*.[ch]' | sort)
if [ "$bad" -ne 0 ]; then
	echo "lint: see above"
	exit 1
fi
echo "lint: ok"
