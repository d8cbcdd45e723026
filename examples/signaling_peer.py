#!/usr/bin/python3
# signaling_peer.py: the Python twin of signaling-peer.c, through GObject
# Introspection.  Run two (either language) against one nav-server:
#
#   nav-server --signaling -L 127.0.0.1 --signaling-port=8080 &
#   ./signaling_peer.py ws://127.0.0.1:8080/ red-lion-star &
#   ./signaling_peer.py ws://127.0.0.1:8080/ red-lion-star
#
# (from a build tree: meson devenv -C build ./examples/signaling_peer.py …)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import sys

import gi

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

uri, room = sys.argv[1], sys.argv[2]
loop = GLib.MainLoop()
status = 1
client = Nav.SignalingClient.new(uri)


def on_joined(client, room, peers):
    print("joined %s as %s, %d peer(s) there" % (room, client.get_peer_id(), len(peers)))
    if peers:  # whoever arrives second offers
        client.send_offer(room, peers[0], "v=0\r\n(offer)\r\n")
        client.send_candidate(room, peers[0], "candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host")
        client.send_end_of_candidates(room, peers[0])


def on_offer(client, room, sender, sdp):
    print("offer from %s:\n%s" % (sender, sdp), end="")
    client.send_answer(room, sender, "v=0\r\n(answer)\r\n")
    client.send_candidate(room, sender, "candidate:1 1 UDP 2130706431 192.0.2.2 6000 typ host")
    client.send_end_of_candidates(room, sender)


def on_end_of_candidates(client, room, sender):
    global status
    print("%s has no more candidates: done" % sender)
    status = 0
    loop.quit()


def on_connected(client, result):
    client.connect_finish(result)
    client.join(room, None)


client.connect("joined", on_joined)
client.connect("offer", on_offer)
client.connect("answer", lambda c, r, s, sdp: print("answer from %s:\n%s" % (s, sdp), end=""))
client.connect("candidate", lambda c, r, s, cand: print("candidate from %s: %s" % (s, cand)))
client.connect("end-of-candidates", on_end_of_candidates)
client.connect("server-error", lambda c, code, reason, ref: print("server error", code, reason, file=sys.stderr))
client.connect_async(None, on_connected)
loop.run()
client.disconnect()
sys.exit(status)
