#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data channels from Python through GObject Introspection, as the
README's tour uses them: two peer connections in one process (options,
text and binary messages, the data-channel signal, the byte stream,
closing), then two peer connections negotiated by NavSignalingSession
through a real nav-server --signaling, ICE restarted on both sides at
once (colliding offers, settled politely) with the channels carrying on.

Run by meson against the build tree, with Debian's /usr/bin/python3.
"""
import importlib.util
import os
import sys
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Nav", "1.0")
from gi.repository import Gio, GLib, Nav  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import test_nav  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "test_signaling", os.path.join(HERE, "..", "signaling", "test_signaling.py"))
test_signaling = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(test_signaling)


def run_until(predicate, timeout_s=30):
    """Iterate until predicate() holds; a failure guard, not a timing
    assertion."""
    return test_nav.run_until(None, GLib.MainContext.default(), predicate, timeout_s)


class Watch:
    """A data channel and what came on it."""

    def __init__(self, channel):
        self.channel = channel
        self.messages = []
        self.state = channel.get_state()
        channel.connect("message", lambda ch, data: self.messages.append(("binary", data.get_data())))
        channel.connect("text-message", lambda ch, text: self.messages.append(("text", text)))
        channel.connect("state-changed", lambda ch, state: setattr(self, "state", state))


def loopback(pc):
    pc.get_agent().add_local_address(Nav.Address.new_from_string("127.0.0.1"))


class InProcess(unittest.TestCase):
    def setUp(self):
        self.a, self.b = Nav.PeerConnection.new(None), Nav.PeerConnection.new(None)
        self.remote = []
        for pc, other in ((self.a, self.b), (self.b, self.a)):
            loopback(pc)
            pc.connect("ice-candidate", lambda pc, c, mid, i, o=other:
                       o.get_remote_description() and o.add_ice_candidate(c, mid, i))
        self.b.connect("data-channel", lambda pc, ch: self.remote.append(Watch(ch)))

    def tearDown(self):
        self.a.close()
        self.b.close()

    def negotiate(self):
        done = []

        def on_answer(b, result):
            answer = b.create_answer_finish(result)
            b.set_local_description(answer)
            self.a.set_remote_description(answer)
            done.append(True)

        def on_offer(a, result):
            offer = a.create_offer_finish(result)
            a.set_local_description(offer)
            self.b.set_remote_description(offer)
            self.b.create_answer_async(None, on_answer)

        self.a.create_offer_async(None, on_offer)
        self.assertTrue(run_until(lambda: done))

    def test_channel(self):
        options = Nav.DataChannelOptions.new()
        options.ordered = False
        options.max_retransmits = 2
        options.set_protocol("chat/1")
        needed = []
        self.a.connect("negotiation-needed", lambda pc: needed.append(True))
        mine = Watch(self.a.create_data_channel("chat", options))
        self.assertEqual(mine.channel.get_id(), -1)
        self.assertTrue(run_until(lambda: needed))
        self.negotiate()
        self.assertTrue(run_until(lambda: self.remote and mine.state == Nav.ChannelState.OPEN))
        theirs = self.remote[0]
        self.assertEqual(theirs.channel.dup_label(), "chat")
        self.assertEqual(theirs.channel.dup_protocol(), "chat/1")
        self.assertFalse(theirs.channel.get_ordered())
        self.assertEqual(theirs.channel.get_max_retransmits(), 2)
        self.assertEqual(theirs.channel.get_id(), mine.channel.get_id())
        self.assertEqual(self.a.get_sctp_transport().get_state(),
                         Nav.SctpTransportState.CONNECTED)

        self.assertTrue(mine.channel.send_text("héllo"))
        self.assertTrue(mine.channel.send_bytes(GLib.Bytes.new(b"\x00\x01\x02")))
        self.assertTrue(theirs.channel.send_text("back"))
        self.assertTrue(run_until(lambda: len(theirs.messages) == 2 and mine.messages))
        self.assertIn(("text", "héllo"), theirs.messages)
        self.assertIn(("binary", b"\x00\x01\x02"), theirs.messages)
        self.assertEqual(mine.messages, [("text", "back")])

        # Too large for the peer: a clear error.
        with self.assertRaises(GLib.Error) as e:
            mine.channel.send_bytes(GLib.Bytes.new(b"x" * 262145))
        self.assertTrue(e.exception.matches(Nav.data_channel_error_quark(),
                                            Nav.DataChannelError.MESSAGE_TOO_LARGE))

        theirs.channel.close()
        self.assertTrue(run_until(lambda: mine.state == Nav.ChannelState.CLOSED and
                                  theirs.state == Nav.ChannelState.CLOSED))

    def test_byte_stream(self):
        mine = Watch(self.a.create_data_channel("stream", None))
        self.negotiate()
        self.assertTrue(run_until(lambda: self.remote and mine.state == Nav.ChannelState.OPEN))
        out = mine.channel.get_io_stream().get_output_stream()
        data = bytes(range(256)) * 400
        written = []
        out.write_all_async(data, GLib.PRIORITY_DEFAULT, None,
                            lambda s, r: written.append(s.write_all_finish(r)))
        self.assertTrue(run_until(lambda: written))
        self.assertTrue(written[0][0])
        inp = self.remote[0].channel.get_io_stream().get_input_stream()
        got = bytearray()
        while len(got) < len(data):
            chunk = []
            inp.read_bytes_async(65536, GLib.PRIORITY_DEFAULT, None,
                                 lambda s, r: chunk.append(s.read_bytes_finish(r)))
            self.assertTrue(run_until(lambda: chunk))
            got += chunk[0].get_data()
        self.assertEqual(bytes(got), data)
        self.assertIsInstance(inp, Gio.PollableInputStream)

    def test_no_data_channels(self):
        pc = Nav.PeerConnection(data_channels=False)
        with self.assertRaises(GLib.Error):
            pc.create_data_channel("x", None)
        pc.close()


class ThroughARoom(unittest.TestCase):
    def setUp(self):
        self.server, self.uri = test_signaling.nav_server()

    def tearDown(self):
        self.server.stop()

    def test_session_and_colliding_restarts(self):
        peers = []
        for name in ("one", "two"):
            client = Nav.SignalingClient.new(self.uri)
            done = []
            client.connect_async(None, lambda c, r: done.append(c.connect_finish(r)))
            self.assertTrue(run_until(lambda: done))
            pc = Nav.PeerConnection.new(None)
            loopback(pc)
            peer = {"client": client, "pc": pc, "remote": [], "negotiated": 0,
                    "channel": Watch(pc.create_data_channel(name, None))}
            pc.connect("data-channel", lambda pc, ch, p=peer: p["remote"].append(Watch(ch)))
            session = Nav.SignalingSession.new_for_peer_connection(client, pc, "restart-room")
            session.connect("negotiated", lambda s, other, p=peer: p.__setitem__(
                "negotiated", p["negotiated"] + 1))
            self.assertIs(session.get_peer_connection(), pc)
            self.assertTrue(session.start(None))
            peer["session"] = session
            peers.append(peer)

        def both_open():
            return all(p["remote"] and p["channel"].state == Nav.ChannelState.OPEN for p in peers)

        self.assertTrue(run_until(both_open))
        for p in peers:
            self.assertEqual(p["pc"].get_connection_state(), Nav.PeerConnectionState.CONNECTED)
            self.assertTrue(p["channel"].channel.send_text("before " + p["channel"].channel.dup_label()))
        self.assertTrue(run_until(lambda: all(p["remote"][0].messages for p in peers)))

        # Both restart ICE at once: both offer, the offers collide; the
        # polite side rolls back and answers, then makes its own.
        before = [p["negotiated"] for p in peers]
        for p in peers:
            p["pc"].restart_ice()
        self.assertTrue(run_until(lambda: all(p["negotiated"] > b for p, b in zip(peers, before)) and
                                  all(p["pc"].get_signaling_state() == Nav.SignalingState.STABLE
                                      for p in peers)))
        for p in peers:
            self.assertTrue(p["channel"].channel.send_text("after " + p["channel"].channel.dup_label()))
        self.assertTrue(run_until(lambda: all(len(p["remote"][0].messages) == 2 for p in peers)))
        for p in peers:
            self.assertEqual(p["pc"].get_connection_state(), Nav.PeerConnectionState.CONNECTED)
            p["pc"].close()
            p["client"].disconnect()


if __name__ == "__main__":
    unittest.main(verbosity=2)
