#!/usr/bin/env bash
# Prepares a Debian bookworm machine to build and run NetAvanue: installs the
# packages it lacks (only those), then configures the build directory `build`
# if it is not configured yet.  Safe to run any number of times.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

cd "$(dirname "$0")/.."

# What the build needs, what the tests run against (real coturn, real
# libnice, aioice, Redis), and what the NAT harness uses.
packages=(
  # build
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libglib2.0-dev libgnutls28-dev nettle-dev zlib1g-dev
  libjson-glib-dev libsoup-3.0-dev
  gobject-introspection libgirepository1.0-dev gettext gi-docgen
  # tests
  python3-gi gir1.2-glib-2.0 glib-networking
  coturn libnice-dev gir1.2-nice-0.1 python3-aioice
  redis-server libhiredis-dev openssl
  gnutls-bin                     # gnutls-cli/gnutls-serv: the DTLS interop tests
  libusrsctp-dev
  libsodium-dev                  # nav-share: the PAKE (CPace on ristretto255)
  iproute2 nftables conntrack iptables
  # data channel interop (tests/peerconnection/peers/peers.md): Chromium,
  # aiortc, and Node for node-datachannel (from npm) and Chromium's bridge
  chromium python3-aiortc nodejs
  avahi-daemon avahi-utils dbus libopendht-dev libopendht-c-dev dhtnode chromium  # discovery (issue 19)
  help2man systemd locales       # operators and translations (issue 20): man pages, systemd-analyze, localedef
  tshark                         # NAV_DEBUG_PCAP read back (issue 20); dbus-run-session: inspect-live-bus
)

# npm comes with some Node packagings (NodeSource's) and separately with
# Debian's.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # coturn's package must not start a system-wide server: tests start their own.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build -Ddocs=true
fi
