#!/usr/bin/python3
# test_strategy_chromium.py: a=x-nav-nat, the NAT-aware strategy's
# session attribute in NavPeerConnection's descriptions, accepted by
# headless Chromium (Debian's chromium, through the interop peers of
# tests/peerconnection/peers): NetAvanue's peer has a NAT type, so its
# offer (nav-offers) or its answer (peer-offers) carries the attribute;
# Chromium takes the description and the data channel opens and carries
# a message each way.
#
#   test_strategy_chromium.py nav-offers|peer-offers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peerconnection",
                                "peers"))

from dc_peers import Peer, PeerError, digest  # noqa: E402

NAT_TYPE = "endpoint-independent address-and-port-dependent"


class RecordingPeer(Peer):
    """Chromium, with the descriptions it is given kept."""

    def __init__(self, *args):
        super().__init__(*args)
        self.given = []

    def send(self, o):
        if o.get("type") in ("offer", "answer"):
            self.given.append(o)
        super().send(o)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


async def scenario(nav_offers):
    nav, chromium = Peer("netavanue", "netavanue"), RecordingPeer("chromium", "chromium")
    try:
        await asyncio.gather(nav.start(), chromium.start())
        print(f"# {nav.version} <-> {chromium.version}, "
              f"{'NetAvanue' if nav_offers else 'Chromium'} offers", flush=True)
        nav.other, chromium.other = chromium, nav
        nav.send({"cmd": "init", "loopback": True, "natType": NAT_TYPE})
        chromium.send({"cmd": "init", "loopback": True})
        offerer, answerer = (nav, chromium) if nav_offers else (chromium, nav)
        offerer.send({"cmd": "create", "label": "chat"})
        offerer.send({"cmd": "offer"})
        await answerer.wait("channel", label="chat", timeout=30)
        mine = await offerer.wait("open", label="chat", timeout=30)
        await answerer.wait("open", label="chat")
        check(chromium.given, "Chromium was given no description")
        sdp = chromium.given[0]["sdp"]
        lines = sdp.replace("\r\n", "\n").split("\n")
        first_m = next(i for i, line in enumerate(lines) if line.startswith("m="))
        check(f"a=x-nav-nat:{NAT_TYPE}" in lines[:first_m],
              f"NetAvanue's {chromium.given[0]['type']} has no session-level a=x-nav-nat:\n{sdp}")
        print(f"# Chromium took NetAvanue's {chromium.given[0]['type']} with a=x-nav-nat:{NAT_TYPE}",
              flush=True)
        for sender, receiver, seed in ((nav, chromium, 1), (chromium, nav, 2)):
            sender.send({"cmd": "send", "label": "chat", "kind": "text", "size": 100, "seed": seed,
                         "count": 1})
            got = await receiver.wait("message", label="chat", timeout=20)
            check(got.get("size") == 100 and got.get("digest") == digest(100, seed, True),
                  f"got {got}")
    finally:
        for p in (nav, chromium):
            await p.stop()
    check(nav.exit_status == 0, f"dc-peer exited with status {nav.exit_status}:\n{nav.stderr_text()}")


def main():
    try:
        asyncio.run(scenario(sys.argv[1] == "nav-offers"))
    except (PeerError, AssertionError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
