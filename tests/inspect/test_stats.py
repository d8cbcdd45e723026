#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Statistics from Python through GObject Introspection: two agents
connected on loopback (Nav.Agent.get_stats(), unpacked as dictionaries,
and its JSON read back by the json module), then two peer connections
with a data channel (Nav.PeerConnection.get_stats(): the data-channel
and peer-connection reports, the DTLS state on the transport), then the
same exported by Nav.inspect_export_start() and read by nav-inspect
--live --json while this process runs; a relayed candidate's TURN
server (nav-server --turn).

Usage: test_stats.py NAV_INSPECT NAV_SERVER

Run by meson against the build tree, with Debian's /usr/bin/python3.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Nav", "1.0")
from gi.repository import Gio, GLib, Nav  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "ice"))
sys.path.insert(0, HERE)
import agent_util  # noqa: E402
import pc_util  # noqa: E402


def by_type(stats, kind):
    return [r for r in stats.values() if r["type"] == kind]


class Agents(unittest.TestCase):
    def test_two_agents(self):
        a = agent_util.Peer(Nav.Agent.new(None, Nav.Compatibility.RFC5245))
        b = agent_util.Peer(Nav.Agent.new(None, Nav.Compatibility.RFC5245))
        a.agent.props.controlling_mode = True
        got = []
        b.agent.connect("new-data", lambda ag, s, c, data: got.append(len(data.get_data())))
        agent_util.connect(a, b)
        sizes = [1, 50, 1000]
        for n in sizes:
            a.agent.send_bytes(a.stream, 1, GLib.Bytes.new(b"y" * n))
        self.assertTrue(agent_util.iterate_until(lambda: len(got) == len(sizes)))

        sa = a.agent.get_stats().unpack()
        sb = b.agent.get_stats().unpack()
        ta, tb = sa["T%d-1" % a.stream], sb["T%d-1" % b.stream]
        self.assertEqual(ta["bytesSent"], sum(sizes))
        self.assertEqual(ta["packetsSent"], len(sizes))
        self.assertEqual(tb["bytesReceived"], sum(sizes))
        pair = sa[ta["selectedCandidatePairId"]]
        self.assertEqual(pair["type"], "candidate-pair")
        self.assertIn(pair["localCandidateId"], sa)
        self.assertIn(pair["remoteCandidateId"], sa)
        self.assertGreaterEqual(pair["currentRoundTripTime"], 0)
        self.assertTrue(pair["nominated"])
        for report in sa.values():
            self.assertEqual(report["id"], [k for k, v in sa.items() if v is report][0])
            self.assertGreater(report["timestamp"], 1.6e12)  # ms since 1970
        # Every pair's candidates are reports of this agent.
        for p in by_type(sa, "candidate-pair"):
            self.assertEqual(sa[p["localCandidateId"]]["type"], "local-candidate")
            self.assertEqual(sa[p["remoteCandidateId"]]["type"], "remote-candidate")

        # The JSON form is the same reports.
        parsed = json.loads(Nav.stats_to_json(a.agent.get_stats(), True))
        self.assertEqual(set(parsed), set(sa))
        self.assertEqual(parsed[ta["id"]]["bytesSent"], sum(sizes))
        a.agent.close_async(None, None)
        b.agent.close_async(None, None)


class PeerConnections(unittest.TestCase):
    def setUp(self):
        self.pair = pc_util.Pair()
        self.a, self.b = self.pair.a, self.pair.b

    def tearDown(self):
        self.pair.close()

    def test_data_channel(self):
        mine, theirs = self.pair.open_channel("stats")
        got = []
        theirs.connect("text-message", lambda ch, text: got.append(text))
        self.assertTrue(mine.send_text("hello"))
        self.assertTrue(mine.send_text("world!"))
        self.assertTrue(agent_util.iterate_until(lambda: len(got) == 2))

        sa = self.a.get_stats().unpack()
        sb = self.b.get_stats().unpack()
        for stats in (sa, sb):
            pc = stats["P"]
            self.assertEqual(pc["type"], "peer-connection")
            self.assertEqual(pc["connectionState"], "connected")
            self.assertEqual(pc["dataChannelsOpened"], 1)
            transports = by_type(stats, "transport")
            self.assertEqual(len(transports), 1)
            self.assertEqual(transports[0]["dtlsState"], "connected")
            self.assertIn(transports[0]["selectedCandidatePairId"], stats)
        [da] = by_type(sa, "data-channel")
        [db] = by_type(sb, "data-channel")
        self.assertEqual(da["label"], "stats")
        self.assertEqual(da["state"], "open")
        self.assertEqual(da["dataChannelIdentifier"], db["dataChannelIdentifier"])
        self.assertEqual(da["messagesSent"], 2)
        self.assertEqual(da["bytesSent"], len("hello") + len("world!"))
        self.assertEqual(db["messagesReceived"], 2)
        self.assertEqual(db["bytesReceived"], len("hello") + len("world!"))
        self.assertEqual(db["messagesSent"], 0)
        # The DTLS and SCTP bytes went through the ICE transport.
        ta = by_type(sa, "transport")[0]
        self.assertGreater(ta["bytesSent"], da["bytesSent"])
        parsed = json.loads(Nav.stats_to_json(self.a.get_stats(), False))
        self.assertEqual(parsed["P"]["dataChannelsOpened"], 1)

        # Exported from this process (the API call), read by nav-inspect
        # --live while this main context runs: a peer connection's
        # statistics are read in its own context.
        runtime = tempfile.mkdtemp()
        os.chmod(runtime, 0o700)
        os.environ["XDG_RUNTIME_DIR"] = runtime
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.assertTrue(Nav.inspect_export_start())
        self.assertIn(runtime, Nav.inspect_export_dup_address())
        group = Nav.Group(topology=Nav.GroupTopology.MESH)  # a group is exported too
        proc = Gio.Subprocess.new([NAV_INSPECT, "--live", str(os.getpid()), "--json"],
                                  Gio.SubprocessFlags.STDOUT_PIPE)
        out = []
        proc.communicate_utf8_async(None, None,
                                    lambda p, r: out.append(p.communicate_utf8_finish(r)[1]))
        self.assertTrue(agent_util.iterate_until(lambda: out))
        self.assertEqual(proc.get_exit_status(), 0)
        live = json.loads(out[0])
        pcs = [o for o in live.values() if o["type"] == "NavPeerConnection"]
        self.assertEqual(len(pcs), 2)
        labels = [r["label"] for o in pcs for r in o["stats"].values() if r["type"] == "data-channel"]
        self.assertEqual(labels, ["stats", "stats"])
        self.assertTrue(all(o["stats"]["P"]["connectionState"] == "connected" for o in pcs))
        self.assertTrue(any(o["type"] == "NavAgent" for o in live.values()))
        groups = [o for o in live.values() if o["type"] == "NavGroup"]
        self.assertEqual(len(groups), 1)
        del group
        shutil.rmtree(runtime, ignore_errors=True)


class Relayed(unittest.TestCase):
    """The TURN allocation of a relayed candidate, from a real nav-server
    --turn (started as tests/ice/test_relay.py starts it)."""

    def test_relay_candidate(self):
        import test_relay
        tmp = tempfile.mkdtemp()
        server, port = test_relay.start_server("nav", NAV_SERVER, tmp)
        try:
            peer = agent_util.Peer(Nav.Agent.new(None, Nav.Compatibility.RFC8445))
            peer.agent.props.force_relay = True
            self.assertTrue(peer.agent.set_relay_info(peer.stream, 1, "127.0.0.1", port,
                                                      test_relay.USER, test_relay.PASSWORD,
                                                      Nav.RelayType.UDP))
            self.assertTrue(peer.agent.gather_candidates(peer.stream))
            self.assertTrue(agent_util.iterate_until(lambda: peer.gathered))
            stats = peer.agent.get_stats().unpack()
            [relay] = [c for c in by_type(stats, "local-candidate") if c["candidateType"] == "relay"]
            self.assertEqual(relay["url"], "turn:127.0.0.1:%d" % port)
            self.assertEqual(relay["relayProtocol"], "udp")
            self.assertEqual(relay["address"], "127.0.0.1")
            self.assertEqual(relay["relatedAddress"], "127.0.0.1")  # the allocation's mapped address
            self.assertEqual(relay["transportId"], "T%d-1" % peer.stream)
            peer.agent.close_async(None, None)
        finally:
            server.terminate()
            server.wait()
            shutil.rmtree(tmp, ignore_errors=True)


NAV_INSPECT = NAV_SERVER = None

if __name__ == "__main__":
    NAV_INSPECT = sys.argv.pop(1)
    NAV_SERVER = sys.argv.pop(1)
    unittest.main(verbosity=2)
