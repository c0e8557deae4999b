#!/bin/bash
# fails when a tracked C file is not formatted as .clang-format says
set -euo pipefail
cd "$1"
if git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t listed < <(git ls-files '*.c' '*.h')
else
    mapfile -t listed < <(find zk sim tools daemon client dbus app tests -name '*.[ch]' 2>/dev/null)
fi
files=()
for f in "${listed[@]}"; do
    [ -f "$f" ] && files+=("$f")
done
# one clang-format for every file: a process per file took longer than
# the test's timeout on a loaded machine
status=0
out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1) || status=1
if [ $status -ne 0 ]; then
    printf '%s\n' "$out" | head -n 20 >&2
    grep -oE '^[^:[:space:]]+\.[ch]:[0-9]+' <<<"$out" | sed 's/:[0-9]*$//' | sort -u |
        sed 's/.*/not formatted: & (run .\/run format)/' || true
fi
echo "${#files[@]} files checked"
exit $status
