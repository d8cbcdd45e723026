#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# NavAgent through GObject Introspection: two agents in one GLib.MainLoop
# exchange SDP, connect over loopback and send data both ways, using only
# the introspectable API (new-data signal, send_bytes, boxed candidates).

import os
import sys
import unittest

import gi

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_util  # noqa: E402
from agent_util import TIMEOUT_SECONDS  # noqa: E402


class Peer(agent_util.Peer):
    def __init__(self, controlling):
        agent = Nav.Agent.new(GLib.MainContext.default(), Nav.Compatibility.RFC8445)
        agent.props.controlling_mode = controlling
        agent.props.stun_pacing_timer = 5
        super().__init__(agent)
        self.agent.set_stream_name(self.stream, "application")
        self.selected = None
        self.data = []
        self.candidates = []
        self.agent.connect("new-selected-pair-full", self.on_selected)
        self.agent.connect("new-candidate-full", self.on_candidate)
        self.agent.connect("new-data", self.on_data)

    def on_selected(self, agent, stream_id, component_id, local, remote):
        # No lock is held: calling back in is allowed.
        ok, l, r = agent.get_selected_pair(stream_id, component_id)
        assert ok and l.addr.equal(local.addr)
        self.selected = (local, remote)

    def on_candidate(self, agent, candidate):
        self.candidates.append(candidate)

    def on_data(self, agent, stream_id, component_id, data):
        self.data.append(data.get_data())


def run_until(loop, predicate):
    def check():
        if predicate():
            loop.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    def give_up():
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.timeout_add(5, check)
    guard = GLib.timeout_add_seconds(TIMEOUT_SECONDS, give_up)
    loop.run()
    GLib.source_remove(guard) if predicate() else None
    return predicate()


class AgentTest(unittest.TestCase):
    def test_two_agents_connect(self):
        loop = GLib.MainLoop()
        a, b = Peer(True), Peer(False)
        self.assertTrue(a.agent.gather_candidates(a.stream))
        self.assertTrue(b.agent.gather_candidates(b.stream))
        self.assertTrue(run_until(loop, lambda: a.gathered and b.gathered))
        self.assertTrue(a.candidates)
        self.assertEqual(a.candidates[0].type, Nav.CandidateType.HOST)

        sdp_a = a.agent.generate_local_sdp()
        sdp_b = b.agent.generate_local_sdp()
        self.assertTrue(sdp_a.startswith("m=application "))
        self.assertIn("a=ice-ufrag:", sdp_a)
        self.assertGreaterEqual(b.agent.parse_remote_sdp(sdp_a), 1)
        self.assertGreaterEqual(a.agent.parse_remote_sdp(sdp_b), 1)

        ready = Nav.ComponentState.READY
        self.assertTrue(run_until(loop, lambda: a.state == ready and b.state == ready))
        self.assertEqual(a.agent.get_component_state(a.stream, 1), ready)
        self.assertIsNotNone(a.selected)

        self.assertTrue(a.agent.send_bytes(a.stream, 1, GLib.Bytes.new(b"ping")))
        self.assertEqual(b.agent.send(b.stream, 1, b"pong"), 4)
        self.assertTrue(run_until(loop, lambda: a.data and b.data))
        self.assertEqual(b.data[0], b"ping")
        self.assertEqual(a.data[0], b"pong")

        removed = []
        a.agent.connect("streams-removed", lambda agent, ids: removed.append(ids))
        a.agent.remove_stream(a.stream)
        self.assertEqual(len(removed), 1)

    def test_channel(self):
        """The component's channel: the data path, from Python."""
        loop = GLib.MainLoop()
        a, b = Peer(True), Peer(False)
        channel_a = a.agent.get_channel(a.stream, 1)
        channel_b = b.agent.get_channel(b.stream, 1)
        self.assertIsInstance(channel_a, Nav.Channel)
        self.assertIsInstance(channel_a, Nav.DatagramChannel)
        self.assertEqual(channel_a.props.state, Nav.ChannelState.CONNECTING)
        self.assertIsNone(a.agent.get_channel(a.stream, 2))
        states = []
        channel_a.connect("state-changed", lambda channel, state: states.append(state))
        messages = []
        channel_b.connect("message", lambda channel, message: messages.append(message.get_data()))

        self.assertTrue(a.agent.gather_candidates(a.stream))
        self.assertTrue(b.agent.gather_candidates(b.stream))
        self.assertTrue(run_until(loop, lambda: a.gathered and b.gathered))
        self.assertGreaterEqual(b.agent.parse_remote_sdp(a.agent.generate_local_sdp()), 1)
        self.assertGreaterEqual(a.agent.parse_remote_sdp(b.agent.generate_local_sdp()), 1)
        self.assertTrue(run_until(loop, lambda: channel_a.props.state == Nav.ChannelState.OPEN))
        self.assertEqual(states, [Nav.ChannelState.OPEN])
        self.assertEqual(channel_a.props.peer.to_string(), a.selected[1].addr.to_string())
        self.assertEqual(channel_a.get_mtu(), 1200)

        self.assertTrue(channel_a.send(GLib.Bytes.new(b"through the channel")))
        self.assertTrue(run_until(loop, lambda: messages))
        self.assertEqual(messages[0], b"through the channel")
        # new-data has it too: the channel's signal is an observer.
        self.assertEqual(b.data[0], b"through the channel")
        self.assertEqual(b.agent.get_dropped_datagrams(b.stream, 1), 0)

        a.agent.remove_stream(a.stream)
        self.assertEqual(channel_a.props.state, Nav.ChannelState.CLOSED)
        self.assertEqual(states[-1], Nav.ChannelState.CLOSED)
        with self.assertRaises(GLib.Error):
            channel_a.send(GLib.Bytes.new(b"late"))

    def test_candidate_sdp(self):
        agent = Nav.Agent.new(None, Nav.Compatibility.RFC5245)
        stream = agent.add_stream(1)
        line = "a=candidate:4 1 UDP 2015363583 fd00::2 55985 typ host"
        cand = agent.parse_remote_candidate_sdp(stream, line)
        self.assertIsNotNone(cand)
        self.assertEqual(cand.addr.get_port(), 55985)
        self.assertEqual(agent.generate_local_candidate_sdp(cand), line)
        self.assertIsNone(agent.parse_remote_candidate_sdp(stream, "a=candidate:garbage"))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
