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
NAV_MODULE_PATH="$work"
export NAV_MODULE_PATH

. "$(dirname "$0")/expect.sh"

run_ok "$work/list.txt" "$meson" devenv -C "$build" nav-inspect
expect "$work/list.txt" '^test-transport:  NavTestTransport (nav-transport "test-loopback", priority 1)$' \
    "the plugin on NAV_MODULE_PATH is not listed under meson devenv"
expect "$work/list.txt" '^ice:  NavIceChecker ' "the build's modules are not listed under meson devenv"

run_ok "$work/details.txt" "$meson" devenv -C "$build" nav-inspect test-transport
expect "$work/details.txt" "^  Filename  *$copy\$" "the plugin listed is not the copy on NAV_MODULE_PATH"
expect "$work/details.txt" "^  Status  *loaded\$" "the plugin did not load"
echo "ok: meson devenv keeps the user's NAV_MODULE_PATH"
