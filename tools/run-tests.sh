#!/usr/bin/env bash
# The whole test suite: install what is missing, then build and run every
# suite twice — a normal build (`build`) and a build with AddressSanitizer
# and UndefinedBehaviorSanitizer (`build-asan`) — the libFuzzer targets
# for a bounded time in a clang build (`build-fuzz`), and the tests of the
# STUN and TURN servers' worker threads under ThreadSanitizer
# (`build-tsan`, only what they need is built).  Exits non-zero if
# anything fails.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

cd "$(dirname "$0")/.."
tools/setup.sh

status=0
summaries=()

run_suite () {
  local dir=$1
  shift
  echo "=== meson test -C $dir $*"
  if ! meson test -C "$dir" --print-errorlogs "$@"; then
    status=1
  fi
  if [ -f "$dir/meson-logs/testlog.json" ]; then
    summaries+=("$(/usr/bin/python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    result = json.loads(line)["result"]
    counts[result] = counts.get(result, 0) + 1
passed = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
skipped = counts.get("SKIP", 0)
failed = sum(v for k, v in counts.items() if k not in ("OK", "EXPECTEDFAIL", "SKIP"))
print(f"{passed} {failed} {skipped}")
PY
)")
  fi
}

# 1. The normal build.
meson compile -C build
run_suite build

# 2. AddressSanitizer + UndefinedBehaviorSanitizer: every suite again.
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi
# The introspection dumper runs instrumented during the build; its
# process-exit leak report is not ours.
ASAN_OPTIONS=detect_leaks=0 meson compile -C build-asan
# intercept_tls_get_addr=0: the __tls_get_addr interceptor of GCC's
# sanitizer runtime (up to GCC 13) mistakes some dynamic TLS blocks for
# pre-2.25 glibc ones, and LeakSanitizer's tracer then crashes at exit
# ("Tracer caught signal 11") now and then, with no leak to report.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
  run_suite build-asan

# 3. The libFuzzer targets, for a bounded time each (clang: libFuzzer is
# clang's), with ASan and UBSan.
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
    -Dfuzzing=true -Dintrospection=false
fi
# Only the fuzz targets and what they link are built (the rest of the
# tree was built and tested twice above).
fuzz_targets=$(meson introspect build-fuzz --tests | /usr/bin/python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
for test in json.load(sys.stdin):
    if any(suite.endswith(":fuzz") or suite == "fuzz" for suite in test["suite"]):
        print(os.path.relpath(os.path.realpath(test["cmd"][0]), build))
' build-fuzz)
if [ -z "$fuzz_targets" ]; then
  echo "no fuzz target found in build-fuzz" >&2
  status=1
else
  # shellcheck disable=SC2086
  meson compile -C build-fuzz $fuzz_targets
  ASAN_OPTIONS=detect_leaks=1:intercept_tls_get_addr=0 \
    run_suite build-fuzz --suite fuzz --no-rebuild
fi

# 4. ThreadSanitizer: the servers over worker threads (issue 22) — the
# STUN and TURN unit tests run by two threads, the hand-over between
# threads, quotas across them, and SIGTERM under load.  Only these tests
# and what they run are built.  G_SLICE=always-malloc: GLib's slice
# allocator hands memory between threads behind locks ThreadSanitizer
# cannot see (GLib is not instrumented); tests/tsan.supp ignores the
# allocator calls made inside GLib for the same reason.
if [ ! -f build-tsan/build.ninja ]; then
  meson setup build-tsan \
    -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug -Dintrospection=false
fi
meson compile -C build-tsan tests/turn/test-turn-server tests/stun/test-stun-server \
  tools/nav-server modules/stun/nav-stun modules/turn/nav-turn
G_SLICE=always-malloc \
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp \
  run_suite build-tsan --no-rebuild turn-server-threads stun-server-threads turn-threads-sigterm

passed=0; failed=0; skipped=0
for s in "${summaries[@]}"; do
  read -r p f k <<<"$s"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
done
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then
  failed=1
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
