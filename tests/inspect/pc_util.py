# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pc_util.py: two NavPeerConnections in one process on loopback, their
# candidates handed over as they come, an offer and an answer exchanged
# step by step, and a data channel open on both sides: what the
# statistics and capture tests of tests/inspect start from.  Imported
# from their own folder (run by path, as meson does).

import os
import sys

import gi

gi.require_version("Nav", "1.0")
from gi.repository import Nav  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ice"))
import agent_util  # noqa: E402


def await_result(start, finish):
    """Calls start(None, callback), iterates until it answered: finish(result)."""
    results = []
    start(None, lambda source, result: results.append(finish(result)))
    assert agent_util.iterate_until(lambda: results)
    return results[0]


class Pair:
    """Peer connections a and b; b's channels as they are announced."""

    def __init__(self):
        self.a, self.b = Nav.PeerConnection.new(None), Nav.PeerConnection.new(None)
        self.remote = []
        for pc, other in ((self.a, self.b), (self.b, self.a)):
            pc.get_agent().add_local_address(Nav.Address.new_from_string("127.0.0.1"))
            pc.connect("ice-candidate", lambda pc, c, mid, i, o=other:
                       o.get_remote_description() and o.add_ice_candidate(c, mid, i))
        self.b.connect("data-channel", lambda pc, ch: self.remote.append(ch))

    def open_channel(self, label):
        """a's channel @label and b's end of it, both open."""
        mine = self.a.create_data_channel(label, None)
        offer = await_result(self.a.create_offer_async, self.a.create_offer_finish)
        self.a.set_local_description(offer)
        self.b.set_remote_description(offer)
        answer = await_result(self.b.create_answer_async, self.b.create_answer_finish)
        self.b.set_local_description(answer)
        self.a.set_remote_description(answer)
        is_open = Nav.ChannelState.OPEN
        assert agent_util.iterate_until(lambda: self.remote and mine.get_state() == is_open
                                        and self.remote[0].get_state() == is_open)
        return mine, self.remote[0]

    def close(self):
        self.a.close()
        self.b.close()
