#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The command docs/modules.md gives a plugin author,
#
#     NAV_MODULE_PATH=/their/plugins meson devenv -C build nav-inspect
#
# lists their plugin: `meson devenv` prepends the build's module
# directories to the user's NAV_MODULE_PATH instead of replacing it.
#
# Usage: test-devenv-module-path.sh MESON BUILD_ROOT PLUGIN
#   MESON       the meson program
#   BUILD_ROOT  the build directory
#   PLUGIN      a built third-party plugin (libnav-test-transport.so),
#               copied alone into a fresh directory
set -eu

meson=$1
build=$2
plugin=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/nav-devenv-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
copy="$work/libnav-test-transport.so"
cp "$plugin" "$copy"

# Whatever the test environment has, the user's shell has only this.
unset NAV_MODULE_DIR

NAV_MODULE_PATH="$work" "$meson" devenv -C "$build" nav-inspect > "$work/list.txt"
cat "$work/list.txt"
grep -q '^test-transport:  NavTestTransport (nav-transport "test-loopback", priority 1)$' "$work/list.txt" || {
    echo "FAIL: the plugin on NAV_MODULE_PATH is not listed under meson devenv" >&2
    exit 1
}
# and the build's own modules are there too
grep -q '^ice:  NavIceChecker ' "$work/list.txt" || {
    echo "FAIL: the build's modules are not listed under meson devenv" >&2
    exit 1
}

NAV_MODULE_PATH="$work" "$meson" devenv -C "$build" nav-inspect test-transport > "$work/details.txt"
cat "$work/details.txt"
grep -q "^  Filename  *$copy\$" "$work/details.txt" || {
    echo "FAIL: the plugin listed is not the copy on NAV_MODULE_PATH" >&2
    exit 1
}
grep -q "^  Status  *loaded\$" "$work/details.txt" || {
    echo "FAIL: the plugin did not load" >&2
    exit 1
}
echo "ok: meson devenv keeps the user's NAV_MODULE_PATH"
