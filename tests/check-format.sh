#!/bin/bash
# fails when a tracked C file is not formatted as .clang-format says
set -euo pipefail
cd "$1"
if git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.c' '*.h')
else
    mapfile -t files < <(find zk sim tools daemon client dbus tests -name '*.[ch]' 2>/dev/null)
fi
# one clang-format for the whole tree (a process a file is most of the time);
# only when it finds something, a second pass names the files
existing=()
for f in "${files[@]}"; do
    [ -f "$f" ] && existing+=("$f")
done
if [ ${#existing[@]} -eq 0 ] || clang-format --dry-run --Werror "${existing[@]}" >/dev/null 2>&1; then
    echo "${#files[@]} files checked"
    exit 0
fi
status=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run ./run format)"
        status=1
    fi
done
echo "${#files[@]} files checked"
exit $status
