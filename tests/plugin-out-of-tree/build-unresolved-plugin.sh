#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds, as a third party would (a C compiler and `pkg-config
# netavanue-1.0`), a plugin that calls a function the library does not
# have, puts it first on NAV_MODULE_PATH, and checks that the hosts list
# it as failed, with the reason, and go on loading the other modules
# instead of dying with "symbol lookup error":
#
# - nav-inspect: the listing and the plugin's details;
# - a registry host (test-registry-host): the registry's own records, and
#   an object created from another module afterwards.
#
# Usage: build-unresolved-plugin.sh PLUGIN_SOURCE PKG_CONFIG_DIR NAV_INSPECT REGISTRY_HOST
#   PLUGIN_SOURCE   tests/plugin-out-of-tree/nav-unresolved-plugin.c
#   PKG_CONFIG_DIR  the build's meson-uninstalled directory
#   NAV_INSPECT     the built nav-inspect
#   REGISTRY_HOST   the built test-registry-host
# $CC is the compiler (default: cc); NAV_MODULE_PATH holds the build's
# module directories (the test environment's).
set -eu

src=$1
pcdir=$2
inspect=$3
host=$4
cc=${CC:-cc}
missing=nav_test_function_from_a_newer_release

work=$(mktemp -d "${TMPDIR:-/tmp}/nav-unresolved-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/modules"
plugin="$work/modules/libnav-unresolved.so"

flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs netavanue-1.0)
# shellcheck disable=SC2086 # $cc and $flags are word lists
$cc -std=c11 -Wall -Wextra -Wno-unused-parameter -Werror \
    -shared -fPIC -fvisibility=hidden -o "$plugin" "$src" $flags

# The premise: the plugin links, and leaves the function to the loader.
if ! nm -D --undefined-only "$plugin" | grep -q " $missing\$"; then
    echo "FAIL: the plugin does not leave $missing undefined" >&2
    exit 1
fi

# The build's modules (the DHT module exists only with OpenDHT).
modules=0
for d in $(echo "${NAV_MODULE_PATH:-}" | tr ':' ' '); do
    modules=$((modules + $(ls "$d" 2>/dev/null | grep -c '^lib.*\.so$')))
done

# First on the path: scanned before every other module.
NAV_MODULE_PATH="$work/modules:${NAV_MODULE_PATH:-}"
export NAV_MODULE_PATH

. "$(dirname "$0")/../tools/expect.sh"

run_ok "$work/list.txt" "$inspect"
expect "$work/list.txt" "^1 module failed to load:\$" "nav-inspect does not count the plugin as failed"
expect "$work/list.txt" "^  $plugin: undefined symbol: $missing\$" \
    "nav-inspect does not give the plugin's reason"
expect "$work/list.txt" "^Total count: $modules modules," "the modules after the plugin did not all load"

run_ok "$work/details.txt" "$inspect" unresolved
expect "$work/details.txt" "^  Filename  *$plugin\$" "nav-inspect unresolved shows another file"
expect "$work/details.txt" "^  Status  *failed to load: undefined symbol: $missing\$" \
    "nav-inspect unresolved does not say why it failed"

NAV_TEST_FAILED_MODULE="$plugin"
NAV_TEST_FAILED_REASON="undefined symbol: $missing"
export NAV_TEST_FAILED_MODULE NAV_TEST_FAILED_REASON
run_ok "$work/host.txt" "$host" --tap
echo "ok: the plugin is listed as failed, with its reason, and the hosts go on"
