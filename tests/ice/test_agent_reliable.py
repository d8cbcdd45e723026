#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Reliable mode (pseudo-TCP) through GObject Introspection: two reliable
# NavAgents (Nav.Agent.new_reliable) connect; send_bytes() / recv_bytes()
# carry a byte stream, and the Gio.IOStream of get_io_stream() reads and
# writes it, ending with the FIN of a closed output stream.

import hashlib
import os
import sys
import unittest

import gi

gi.require_version("Nav", "1.0")
from gi.repository import Gio, GLib, Nav  # noqa: E402

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_util  # noqa: E402


class Peer(agent_util.Peer):
    def __init__(self, controlling):
        agent = Nav.Agent.new_reliable(GLib.MainContext.default(),
                                       Nav.Compatibility.RFC5245)
        agent.props.controlling_mode = controlling
        agent.props.ice_tcp = False
        super().__init__(agent)
        self.writable = 0
        self.agent.connect("reliable-transport-writable", self.on_writable)

    def on_writable(self, agent, stream_id, component_id):
        self.writable += 1


def connect(a, b):
    assert a.agent.props.reliable and b.agent.props.reliable
    agent_util.connect(a, b)
    # The pseudo-TCP connection is open once each side said it is writable.
    assert agent_util.iterate_until(lambda: a.writable > 0 and b.writable > 0)


class ReliableTest(unittest.TestCase):
    def test_bytes(self):
        a, b = Peer(True), Peer(False)
        connect(a, b)
        data = bytes(range(256)) * 400   # 100 KiB: more than one segment
        sent = 0
        while sent < len(data):
            piece = GLib.Bytes.new(data[sent:sent + 8192])
            try:
                if a.agent.send_bytes(a.stream, 1, piece):
                    sent += piece.get_size()
            except GLib.Error as e:
                self.assertTrue(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK))
                GLib.MainContext.default().iteration(False)
        got = b""
        while len(got) < len(data):
            # Blocking: whatever is there, at least one byte.
            chunk = b.agent.recv_bytes(b.stream, 1, None).get_data()
            self.assertGreater(len(chunk), 0)
            got += chunk
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_io_stream(self):
        a, b = Peer(True), Peer(False)
        connect(a, b)
        io_a = a.agent.get_io_stream(a.stream, 1)
        io_b = b.agent.get_io_stream(b.stream, 1)
        self.assertIsInstance(io_a, Gio.IOStream)
        self.assertIsInstance(io_b.get_input_stream(), Gio.PollableInputStream)
        message = b"hello through pseudo-TCP" * 100
        ok, written = io_a.get_output_stream().write_all(message, None)
        self.assertTrue(ok)
        self.assertEqual(written, len(message))
        io_a.get_output_stream().close(None)      # our FIN, after the data
        got = b""
        while True:
            chunk = io_b.get_input_stream().read_bytes(4096, None).get_data()
            if not chunk:
                break                              # the end of the stream
            got += chunk
        self.assertEqual(got, message)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
