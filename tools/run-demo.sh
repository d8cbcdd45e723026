#!/usr/bin/env bash
# The main job: install what is missing, build, and run nav-demo against the
# build tree.  Extra arguments go to nav-demo (try --help).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

cd "$(dirname "$0")/.."
tools/setup.sh
meson compile -C build
exec meson devenv -C build nav-demo "$@"
