#!/usr/bin/env bash
# The demo (README's first command runs it through ./run.sh demo). Filled in as the product
# grows: until the unit runtime exists it imports a generated hotlist and matches reads.
set -euo pipefail
echo "demo: nothing to show yet: the hotlist engine is being built" >&2
exit 1
