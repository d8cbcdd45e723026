#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# NavAgent's introspectable receive calls through GObject Introspection:
# an agent with no receive function and no new-data handler keeps its
# data for recv_bytes() / recv_bytes_nonblocking() / recv(), and a lite
# agent (full-mode FALSE) connects to a full one.

import sys
import unittest

import gi

gi.require_version("Nav", "1.0")
from gi.repository import Gio, GLib, Nav  # noqa: E402

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion


class Peer:
    def __init__(self, controlling, options=Nav.AgentOption.NONE):
        self.agent = Nav.Agent.new_full(GLib.MainContext.default(),
                                        Nav.Compatibility.RFC5245, options)
        self.agent.props.controlling_mode = controlling
        self.agent.props.stun_pacing_timer = 5
        self.agent.add_local_address(Nav.Address.new_from_string("127.0.0.1:0"))
        self.stream = self.agent.add_stream(1)
        self.gathered = False
        self.state = Nav.ComponentState.DISCONNECTED
        self.agent.connect("candidate-gathering-done", self.on_gathered)
        self.agent.connect("component-state-changed", self.on_state)

    def on_gathered(self, agent, stream_id):
        self.gathered = True

    def on_state(self, agent, stream_id, component_id, state):
        self.state = state


def iterate_until(predicate):
    context = GLib.MainContext.default()
    deadline = GLib.get_monotonic_time() + TIMEOUT_SECONDS * 1000000
    while not predicate():
        if GLib.get_monotonic_time() > deadline:
            return False
        context.iteration(False)
        if not context.pending():
            GLib.usleep(1000)
    return True


def connect(a, b):
    assert a.agent.gather_candidates(a.stream)
    assert b.agent.gather_candidates(b.stream)
    assert iterate_until(lambda: a.gathered and b.gathered)
    assert b.agent.parse_remote_sdp(a.agent.generate_local_sdp()) >= 1
    assert a.agent.parse_remote_sdp(b.agent.generate_local_sdp()) >= 1
    ready = Nav.ComponentState.READY
    assert iterate_until(lambda: a.state == ready and b.state == ready)


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
        self.assertTrue(iterate_until(take))
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
