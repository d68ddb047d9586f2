#!/usr/bin/env bash
# Fails when a tracked C file differs from what .clang-format produces (STYLE.md).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || { echo "check-format: no C files found" >&2; exit 1; }
if ! clang-format --dry-run --Werror $files 2>/tmp/check-format.$$; then
	grep -E '^[^ ].*(warning|error):' /tmp/check-format.$$ | cut -d: -f1 | sort -u |
		sed 's/^/check-format: not formatted: /' >&2
	rm -f /tmp/check-format.$$
	echo "check-format: run clang-format -i on the files above" >&2
	exit 1
fi
rm -f /tmp/check-format.$$
echo "check-format: $(echo "$files" | wc -w) files formatted"
