#!/bin/bash
# test-run.sh SOURCE_ROOT — the run script's package lists and its setup
# (TAP on stdout): the demo installs no clang, valgrind or lintian, the
# package build depends only on what the run script installs, and a build
# directory is configured again only when an option differs.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

src=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND…
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# shellcheck source=../../run
. "$src/run"
set +e

has() { # has LIST PACKAGE
    tr ' ' '\n' <<<"$1" | grep -qx "$2"
}
for cmd in demo sim-site build; do
    list=$(packages_for "$cmd")
    for p in clang clang-format valgrind lintian debhelper xvfb libclang-rt-14-dev; do
        if has "$list" "$p"; then not_ok "$cmd does not install $p"; else ok "$cmd does not install $p"; fi
    done
done
list=$(packages_for test)
for p in clang valgrind xvfb python3-dbusmock libgtk-4-dev; do
    check "test installs $p" has "$list" "$p"
done
list=$(packages_for package-test)
for p in debhelper lintian dpkg-dev polkitd; do
    check "package-test installs $p" has "$list" "$p"
done

# Build-Depends of debian/control: each one the run script installs
all=$(packages_for all)
build_depends=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$src/debian/control" |
    sed 's/^Build-Depends://' | tr ',' '\n' | sed 's/[(<].*//; s/^ *//; s/ *$//' |
    grep -v '^$\|^Standards\|^debhelper-compat')
check "debian/control has Build-Depends" test "$(wc -l <<<"$build_depends")" -gt 10
missing=$(while read -r p; do has "$all" "$p" || echo "$p"; done <<<"$build_depends")
if [ -z "$missing" ]; then
    ok "./run deps installs every Build-Depends"
else
    not_ok "./run deps installs every Build-Depends"
    echo "$missing" | sed 's/^/# missing: /'
fi

# setup: a project of its own, configured once, left alone while the
# options match, configured again when one differs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/p"
# with a language: meson configure of a project without one writes nothing
echo "project('t', 'c', meson_version: '>= 1.0')" >"$tmp/p/meson.build"
echo "option('x', type: 'boolean', value: false)" >"$tmp/p/meson_options.txt"
cd "$tmp/p" || exit 1
mtime() { stat -c '%.9Y' "$tmp/p/b/meson-private/coredata.dat"; }
value() { meson introspect --buildoptions b | /usr/bin/python3 -c \
    'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$1"; }

check "setup configures a new directory" setup b -Dx=true --prefix=/usr
first=$(mtime)
sleep 0.05
check "setup with the same options succeeds" setup b -Dx=true --prefix=/usr
check "setup with the same options leaves the directory alone" test "$(mtime)" = "$first"
if ninja -C b -n build.ninja | grep -q Regenerating; then
    not_ok "setup with the same options: ninja does not configure again"
else
    ok "setup with the same options: ninja does not configure again"
fi
check "setup with another option configures again" setup b -Dx=false
check "… and the option has the new value" test "$(value x)" = False
check "setup with another prefix configures again" setup b --prefix=/opt/t
check "… and the prefix is the new one" test "$(value prefix)" = /opt/t

echo "1..$n"
[ "$failed" -eq 0 ]
