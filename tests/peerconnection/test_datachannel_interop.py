#!/usr/bin/python3
# test_datachannel_interop.py: NetAvanue's data channels against another
# WebRTC stack, started by the test on loopback: headless Chromium,
# libdatachannel (node-datachannel) or aiortc.
#
#   test_datachannel_interop.py chromium|libdatachannel|aiortc nav-offers|peer-offers
#
# Both directions and both offer/answer roles (one run each), with data
# integrity: text and binary from 0 bytes to the smaller
# max-message-size, unordered and partially reliable channels made on
# each side (the peer learns their options), 16 channels at once from
# each side, a negotiated channel, closing from either side.  Every
# message's SHA-256 is compared with what was sent.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

from dc_peers import Peer, PeerError, digest, pattern  # noqa: E402


NAV_LOG = [""]


def check(condition, what):
    if not condition:
        raise AssertionError(what)


async def expect_messages(receiver, label, sent):
    """@sent: (kind, size, seed) in order; the receiver's message events
    must match them, in order, byte for byte (by digest)."""
    for kind, size, seed in sent:
        ev = await receiver.wait("message", label=label)
        want = digest(size, seed, kind == "text")
        check(ev["kind"] == kind and ev["size"] == size and ev["digest"] == want,
              f"{receiver.name} on {label}: got {ev['kind']} {ev['size']} bytes {ev['digest'][:12]}, "
              f"sent {kind} {size} bytes {want[:12]}")


async def open_channel(creator, other, label, **options):
    creator.send({"cmd": "create", "label": label, **options})
    ev = await other.wait("channel", label=label)
    mine = await creator.wait("open", label=label)
    theirs = await other.wait("open", label=label)
    check(mine["id"] == theirs["id"], f"{label}: ids {mine['id']} and {theirs['id']}")
    return ev, mine, theirs


async def scenario(kind, nav_offers):
    nav, peer = Peer("netavanue", "netavanue"), Peer(kind, kind)
    try:
        await asyncio.gather(nav.start(), peer.start())
        print(f"# {nav.version} <-> {peer.version}, "
              f"{'NetAvanue' if nav_offers else kind} offers", flush=True)
        nav.other, peer.other = peer, nav
        for p in (nav, peer):
            p.send({"cmd": "init", "loopback": True})
        offerer, answerer = (nav, peer) if nav_offers else (peer, nav)

        # The first channel comes with the offer; the answerer is the DTLS
        # client (a=setup:active), whose ids are even: the offerer's odd.
        offerer.send({"cmd": "create", "label": "chat", "protocol": "proto-1"})
        offerer.send({"cmd": "offer"})
        ev = await answerer.wait("channel", label="chat", timeout=30)
        check(ev["protocol"] == "proto-1", f"protocol {ev['protocol']!r}")
        check(ev["ordered"] in (True, None) and not ev["negotiated"], f"options {ev}")
        mine = await offerer.wait("open", label="chat", timeout=30)
        theirs = await answerer.wait("open", label="chat")
        check(mine["id"] == theirs["id"] and mine["id"] % 2 == 1,
              f"chat ids {mine['id']}, {theirs['id']}: the offerer's are odd")
        mms = min(mine["maxMessageSize"], theirs["maxMessageSize"])
        print(f"# open, id {mine['id']}, max-message-size {mine['maxMessageSize']} / "
              f"{theirs['maxMessageSize']}", flush=True)

        # Every size, text and binary, both ways.
        sizes = sorted({0, 1, 2, 100, 1000, 1200, 1201, 4096, 16384, 65535, mms} | {s for s in (65536, 100000, 262144) if s <= mms})
        for sender, receiver in ((nav, peer), (peer, nav)):
            sent = []
            for kind_ in ("binary", "text"):
                for i, size in enumerate(sizes):
                    seed = len(sent) + 1
                    sender.send({"cmd": "send", "label": "chat", "kind": kind_, "size": size, "seed": seed})
                    sent.append((kind_, size, seed))
            await expect_messages(receiver, "chat", sent)
        print(f"# {len(sizes) * 4} messages of {len(sizes)} sizes up to {max(sizes)} bytes, "
              "text and binary, both ways: intact", flush=True)

        # Unordered and partially reliable channels, made on each side.
        for creator, other, tag in ((nav, peer, "n"), (peer, nav, "p")):
            specs = {
                f"u-{tag}": {"ordered": False},
                f"r-{tag}": {"ordered": False, "maxRetransmits": 0},
                f"t-{tag}": {"maxPacketLifeTime": 500},
            }
            for label, options in specs.items():
                ev, _, _ = await open_channel(creator, other, label, **options)
                if ev["ordered"] is not None:
                    check(ev["ordered"] == options.get("ordered", True), f"{label} ordered: {ev}")
                    check(ev["maxRetransmits"] == options.get("maxRetransmits"), f"{label}: {ev}")
                    check(ev["maxPacketLifeTime"] == options.get("maxPacketLifeTime"), f"{label}: {ev}")
            for label in specs:
                creator.send({"cmd": "send", "label": label, "size": 1000, "seed": 500, "count": 10})
            for label in specs:
                got = sorted([(await other.wait("message", label=label))["digest"] for _ in range(10)])
                check(got == sorted(digest(1000, 500 + i, False) for i in range(10)),
                      f"{label}: the messages differ")
        print("# unordered, max-retransmits 0 and max-packet-life-time channels from both sides: "
              "options and data", flush=True)

        # 16 channels at once from each side, each with its own messages.
        for creator, other, tag in ((nav, peer, "n"), (peer, nav, "p")):
            labels = [f"many-{tag}-{i}" for i in range(16)]
            for label in labels:
                creator.send({"cmd": "create", "label": label})
            for label in labels:
                await other.wait("channel", label=label)
                await creator.wait("open", label=label)
            for i, label in enumerate(labels):
                creator.send({"cmd": "send", "label": label, "size": 3000 + i, "seed": 1000 + 10 * i, "count": 5})
            for i, label in enumerate(labels):
                await expect_messages(other, label, [("binary", 3000 + i, 1000 + 10 * i + k) for k in range(5)])
        print("# 16 channels at once from each side: every message on its channel, in order",
              flush=True)

        # A negotiated channel: no DCEP, the same id on both sides.
        for p in (nav, peer):
            p.send({"cmd": "create", "label": "neg", "negotiated": True, "id": 100})
        await nav.wait("open", label="neg")
        await peer.wait("open", label="neg")
        nav.send({"cmd": "send", "label": "neg", "kind": "text", "size": 50, "seed": 7})
        peer.send({"cmd": "send", "label": "neg", "size": 60, "seed": 8})
        await expect_messages(peer, "neg", [("text", 50, 7)])
        await expect_messages(nav, "neg", [("binary", 60, 8)])
        print("# negotiated channel id 100: data both ways", flush=True)

        # Closing from either side closes both (stream reset both ways).
        nav.send({"cmd": "close", "label": "chat"})
        await nav.wait("close", label="chat")
        await peer.wait("close", label="chat")
        peer.send({"cmd": "close", "label": "u-n"})
        await peer.wait("close", label="u-n")
        await nav.wait("close", label="u-n")
        print("# closed from NetAvanue and from the peer: both ends closed", flush=True)

        # The rest still works after the closes.
        peer.send({"cmd": "send", "label": "r-n", "size": 10, "seed": 9})
        await expect_messages(nav, "r-n", [("binary", 10, 9)])
    finally:
        NAV_LOG[0] = nav.stderr_text()
        for p in (nav, peer):
            await p.stop()
    # Our peer exits cleanly: no crash, no leak (under the sanitizers).
    check(nav.exit_status == 0, f"dc-peer exited with status {nav.exit_status}:\n{nav.stderr_text()}")


def main():
    kind, role = sys.argv[1], sys.argv[2]
    try:
        asyncio.run(scenario(kind, role == "nav-offers"))
    except (PeerError, AssertionError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        if os.environ.get("NAV_INTEROP_LOG"):
            print(NAV_LOG[0], file=sys.stderr)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
