#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# NavAgent's introspectable receive calls through GObject Introspection:
# an agent with no receive function and no new-data handler keeps its
# data for recv_bytes() / recv_bytes_nonblocking() / recv(), and a lite
# agent (full-mode FALSE) connects to a full one.

import os
import sys
import unittest

import gi

gi.require_version("Nav", "1.0")
from gi.repository import Gio, GLib, Nav  # noqa: E402

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_util  # noqa: E402
from agent_util import connect  # noqa: E402


class Peer(agent_util.Peer):
    def __init__(self, controlling, options=Nav.AgentOption.NONE):
        agent = Nav.Agent.new_full(GLib.MainContext.default(),
                                   Nav.Compatibility.RFC5245, options)
        agent.props.controlling_mode = controlling
        agent.props.stun_pacing_timer = 5
        super().__init__(agent)


class RecvTest(unittest.TestCase):
    def test_recv_bytes(self):
        a, b = Peer(True), Peer(False)
        connect(a, b)
        with self.assertRaises(GLib.Error) as e:
            b.agent.recv_bytes_nonblocking(b.stream, 1, None)
        self.assertTrue(e.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK))

        self.assertTrue(a.agent.send_bytes(a.stream, 1, GLib.Bytes.new(b"first")))
        self.assertTrue(a.agent.send_bytes(a.stream, 1, GLib.Bytes.new(b"second")))
        # Blocking: runs the default context (nobody else does) until it comes.
        self.assertEqual(b.agent.recv_bytes(b.stream, 1, None).get_data(), b"first")
        got = []

        def take():
            try:
                got.append(b.agent.recv_bytes_nonblocking(b.stream, 1, None).get_data())
            except GLib.Error as e:
                self.assertTrue(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK))
            return bool(got)
        self.assertTrue(agent_util.iterate_until(take))
        self.assertEqual(got[0], b"second")

        with self.assertRaises(GLib.Error) as e:
            b.agent.recv_bytes_nonblocking(b.stream, 7, None)
        self.assertTrue(e.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.BROKEN_PIPE))

        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as e:
            b.agent.recv_bytes(b.stream, 1, cancellable)
        self.assertTrue(e.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))

    def test_lite(self):
        full, lite = Peer(False), Peer(True, Nav.AgentOption.LITE_MODE)
        self.assertFalse(lite.agent.props.full_mode)
        self.assertFalse(lite.agent.props.controlling_mode)
        connect(lite, full)
        self.assertTrue(full.agent.props.controlling_mode)
        self.assertTrue(lite.agent.send_bytes(lite.stream, 1, GLib.Bytes.new(b"lite")))
        self.assertEqual(full.agent.recv_bytes(full.stream, 1, None).get_data(), b"lite")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
