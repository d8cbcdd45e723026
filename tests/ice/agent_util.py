# SPDX-License-Identifier: LGPL-2.1-or-later
#
# agent_util.py: what the Python NavAgent tests of tests/ice share: one
# agent on loopback and what it saw, the main context run until a
# condition holds, and two agents connected through their SDP.  The
# tests import it from their own folder (run by path, as meson does).

import gi

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion


class Peer:
    """@agent (configured by the subclass) on 127.0.0.1 with one stream
    of one component; its gathering and its component state."""

    def __init__(self, agent):
        self.agent = agent
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
    """Iterates the default main context until predicate() holds: False
    if it did not within TIMEOUT_SECONDS."""
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
    """Peers @a and @b gather, take each other's SDP and are READY."""
    assert a.agent.gather_candidates(a.stream)
    assert b.agent.gather_candidates(b.stream)
    assert iterate_until(lambda: a.gathered and b.gathered)
    assert b.agent.parse_remote_sdp(a.agent.generate_local_sdp()) >= 1
    assert a.agent.parse_remote_sdp(b.agent.generate_local_sdp()) >= 1
    ready = Nav.ComponentState.READY
    assert iterate_until(lambda: a.state == ready and b.state == ready)
