#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the tcp-framing plugin the way a third party would, with nothing
# but a C compiler and `pkg-config netavanue-1.0`, then checks the registry
# loads the result.  This is the proof that the plugin needs only the
# public API.
#
# Usage: build-plugin.sh PLUGIN_SOURCE_DIR PKG_CONFIG_DIR NAV_INSPECT
#   PLUGIN_SOURCE_DIR  plugins/tcp-framing of the source tree
#   PKG_CONFIG_DIR     the build's meson-uninstalled directory
#   NAV_INSPECT        the built nav-inspect
# $CC is the compiler (default: cc).
set -eu

src=$1
pcdir=$2
inspect=$3
cc=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/nav-out-of-tree-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/modules" "$work/empty"

# Only the public header (and GLib's, and the system's) may be included:
# every quoted include must be a file of the plugin itself.
for f in "$src"/*.c "$src"/*.h; do
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        if [ ! -f "$src/$inc" ]; then
            echo "FAIL: $f includes \"$inc\", which is not part of the plugin" >&2
            exit 1
        fi
    done
    if grep -n 'NAV_COMPILATION\|-private\.h' "$f" >&2; then
        echo "FAIL: $f reaches the library's internals" >&2
        exit 1
    fi
done

flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs netavanue-1.0)
echo "pkg-config netavanue-1.0: $flags"

# shellcheck disable=SC2086 # $cc and $flags are word lists
$cc -std=c11 -Wall -Wextra -Wno-unused-parameter -Werror \
    -shared -fPIC -fvisibility=hidden \
    -o "$work/modules/libnav-tcp-framing.so" \
    "$src"/*.c $flags

. "$(dirname "$0")/../tools/expect.sh"

NAV_MODULE_PATH="$work/modules"
NAV_MODULE_DIR="$work/empty"
export NAV_MODULE_PATH NAV_MODULE_DIR
run_ok "$work/out.txt" "$inspect" tcp-framing

expect "$work/out.txt" "^  Filename  *$work/modules/libnav-tcp-framing.so\$" \
    "the rebuilt plugin was not the one loaded"
expect "$work/out.txt" "^  Status  *loaded\$" "the rebuilt plugin did not load"
expect "$work/out.txt" "^  Implementation name  *tcp-framing\$" \
    "the rebuilt plugin did not register its transport"
echo "ok: the plugin builds from the public API alone and loads"
