#!/usr/bin/env bash
# The main job: install what is missing, build, then send a few files
# with nav-share on this machine (sender and receiver meet on the LAN by
# mDNS, with no server at all: the embedded default), then run nav-demo.
#
#   tools/run-demo.sh              nav-share send/receive, then nav-demo
#   tools/run-demo.sh --share      nav-share only
#   tools/run-demo.sh ARGS…        nav-demo ARGS… only (try --help)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

cd "$(dirname "$0")/.."
tools/setup.sh
meson compile -C build

share_demo() {
  local work sender code=""
  work=$(mktemp -d "${TMPDIR:-/tmp}/nav-share-demo.XXXXXX")
  trap 'kill "$sender" 2>/dev/null || true; rm -rf "$work"' RETURN
  mkdir -p "$work/holiday/photos" "$work/received"
  printf 'Packing list: passport, charger, sunscreen\n' > "$work/holiday/notes.txt"
  head -c $((24 * 1024 * 1024)) /dev/urandom > "$work/holiday/photos/beach.raw"
  chmod 600 "$work/holiday/notes.txt"

  echo "== nav-share send $work/holiday"
  meson devenv -C build nav-share send "$work/holiday" > "$work/send.log" 2>&1 &
  sender=$!
  for _ in $(seq 100); do
    code=$(sed -n 's/^Code: //p' "$work/send.log")
    [ -n "$code" ] && break
    sleep 0.1
  done
  cat "$work/send.log"
  if [ -z "$code" ]; then
    echo "nav-share send printed no code" >&2
    return 1
  fi
  echo
  echo "== nav-share receive --yes -o $work/received $code"
  meson devenv -C build nav-share receive --yes -o "$work/received" "$code"
  wait "$sender"
  echo
  echo "== the sender's side"
  sed -n '3,$p' "$work/send.log" | grep -v '^nav-signaling' || true
  diff -r "$work/holiday" "$work/received/holiday" && echo "== the received tree is identical to the sent one"
}

if [ $# -eq 0 ] || [ "$1" = "--share" ]; then
  share_demo
  [ $# -eq 0 ] || exit 0
  echo
  echo "== nav-demo: two agents through STUN and TURN in one process"
  exec meson devenv -C build nav-demo
fi
exec meson devenv -C build nav-demo "$@"
