#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-inspect --live against a real process with two agents
(live-helper, NAV_DEBUG_EXPORT=1): the listing shows the process and
both agents; --live PID shows their streams, candidates and pairs;
--follow prints the state changes as the agents connect; an agent
destroyed while a client follows is reported removed, the export and the
client carry on; --json parses, with the bytes the helper sent.  The
export is the peer-to-peer socket under $XDG_RUNTIME_DIR/netavanue
(no session bus in the test's environment), and the session bus under
dbus-run-session (NAV_TEST_LIVE_BUS=1).

Usage: test_live.py NAV_INSPECT LIVE_HELPER
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import unittest

NAV_INSPECT = None
HELPER = None
TIMEOUT = 30  # a failure guard, never a timing assertion


class Lines:
    """A process's stdout lines, read by a thread, waited for by content."""

    def __init__(self, proc):
        self.proc = proc
        self.queue = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def wait_for(self, predicate):
        while True:
            line = self.queue.get(timeout=TIMEOUT)
            if line is None:
                raise AssertionError("ended before the line; seen: %r" % self.seen)
            self.seen.append(line)
            if predicate(line):
                return line


class Live(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        os.chmod(self.tmp.name, 0o700)
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.tmp.name)
        # NAV_TEST_LIVE_BUS=1: under dbus-run-session, on the session bus.
        self.bus = os.environ.get("NAV_TEST_LIVE_BUS") == "1"
        if self.bus:
            self.assertIn("DBUS_SESSION_BUS_ADDRESS", os.environ)
        else:
            self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        helper_env = dict(self.env, NAV_DEBUG_EXPORT="1")
        self.helper = subprocess.Popen([HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, env=helper_env)
        self.out = Lines(self.helper)
        ready = self.out.wait_for(lambda l: l.startswith("ready "))
        self.pid = int(ready.split()[1])
        if self.bus:
            self.assertEqual(ready.split()[2], "org.netavanue.Inspect.P%d" % self.pid)
        else:
            self.assertIn(os.path.join(self.tmp.name, "netavanue"), ready)
        self.followers = []

    def tearDown(self):
        for f in self.followers:
            if f.poll() is None:
                f.kill()
            f.wait()
            f.stdout.close()
        if self.helper.poll() is None:
            self.command("quit")
        self.assertEqual(self.helper.wait(timeout=TIMEOUT), 0)
        self.helper.stdin.close()
        self.helper.stdout.close()
        self.tmp.cleanup()

    def command(self, line, answer=None):
        self.helper.stdin.write(line + "\n")
        self.helper.stdin.flush()
        if answer is not None:
            self.out.wait_for(lambda l: l == answer)

    def inspect(self, *args, ok=True):
        r = subprocess.run([NAV_INSPECT, "--live", *args], capture_output=True, text=True,
                           env=self.env, timeout=TIMEOUT)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def follow(self, *args):
        proc = subprocess.Popen([NAV_INSPECT, "--live", *args, "--follow"], stdout=subprocess.PIPE,
                                text=True, env=self.env)
        self.followers.append(proc)
        lines = Lines(proc)
        lines.wait_for(lambda l: "following" in l)
        return proc, lines

    def test_list_and_details(self):
        r = self.inspect()
        self.assertIn("%d  live-helper" % self.pid, r.stdout)
        self.assertIn("%d/agent1" % self.pid, r.stdout)
        self.assertIn("%d/agent2" % self.pid, r.stdout)

        self.command("connect", "connected")
        r = self.inspect(str(self.pid))
        self.assertIn("%d/agent1  NavAgent  stream 1 component 1 ready" % self.pid, r.stdout)
        self.assertIn("stream 1 component 1: ready, controlling, selected CP1-1-", r.stdout)
        self.assertIn("stream 1 component 1: ready, controlled, selected CP1-1-", r.stdout)
        self.assertRegex(r.stdout, r"host +udp 127\.0\.0\.1:\d+")
        self.assertRegex(r.stdout, r"\* L1-1-\d+ -> R1-1-\d+  succeeded nominated selected  rtt \d+\.\d+ ms")
        # One object.
        r = self.inspect("%d/agent2" % self.pid)
        self.assertNotIn("agent1", r.stdout)
        self.assertIn("controlled", r.stdout)

    def test_follow_state_change_and_destroy(self):
        follower, lines = self.follow(str(self.pid))
        self.command("connect")
        ready = set()

        def both_ready(line):
            for name in ("agent1", "agent2"):
                if "%d/%s component-state-changed" % (self.pid, name) in line and "state=ready" in line:
                    ready.add(name)
            return len(ready) == 2

        lines.wait_for(both_ready)
        self.assertTrue(any("new-selected-pair" in l and "127.0.0.1" in l for l in lines.seen),
                        lines.seen)
        self.out.wait_for(lambda l: l == "connected")

        # Destroyed while the client is attached: it hears of it, and so
        # does a second one attached to that object only.
        only2, lines2 = self.follow("%d/agent2" % self.pid)
        self.command("destroy", "destroyed")
        lines.wait_for(lambda l: l.endswith("%d/agent2 removed" % self.pid))
        lines2.wait_for(lambda l: l.endswith("%d/agent2 removed" % self.pid))
        self.assertIsNone(follower.poll())
        r = self.inspect()
        self.assertIn("%d/agent1" % self.pid, r.stdout)
        self.assertNotIn("%d/agent2" % self.pid, r.stdout)
        r = self.inspect("%d/agent2" % self.pid, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no object agent2", r.stderr)
        r = self.inspect(str(self.pid))
        self.assertIn("agent1", r.stdout)

        # The process goes: the followers end.
        self.command("quit")
        lines.wait_for(lambda l: "is gone" in l)
        self.assertEqual(follower.wait(timeout=TIMEOUT), 0)
        self.assertEqual(only2.wait(timeout=TIMEOUT), 0)

    def test_json(self):
        follower, lines = self.follow(str(self.pid), "--json")
        self.command("connect", "connected")
        self.command("send 5", "sent")
        event = json.loads(lines.wait_for(lambda l: '"component-state-changed"' in l and '"ready"' in l))
        self.assertEqual(event["pid"], self.pid)
        self.assertIn(event["object"], ("agent1", "agent2"))
        self.assertEqual(event["details"]["state"], "ready")

        listing = json.loads(self.inspect("--json").stdout)
        [proc] = [p for p in listing if p["pid"] == self.pid]
        self.assertEqual(proc["program"], "live-helper")
        self.assertEqual([o[0] for o in proc["objects"]], ["agent1", "agent2"])

        details = json.loads(self.inspect(str(self.pid), "--json").stdout)
        stats = details["agent1"]["stats"]
        self.assertEqual(stats["T1-1"]["bytesSent"], 500)
        self.assertEqual(details["agent2"]["stats"]["T1-1"]["packetsReceived"], 5)
        pair = stats[stats["T1-1"]["selectedCandidatePairId"]]
        self.assertGreaterEqual(pair["currentRoundTripTime"], 0)

    def test_no_such_process(self):
        r = self.inspect("1", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exports no objects", r.stderr)


if __name__ == "__main__":
    NAV_INSPECT = sys.argv.pop(1)
    HELPER = sys.argv.pop(1)
    unittest.main(verbosity=2)
