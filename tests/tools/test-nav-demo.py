#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-demo, the README's main command, as a person runs it: two agents
through the embedded STUN/TURN servers (host pair, then --relay-only with a
relay pair on both sides), and two `nav-demo --signal` processes meeting in
a room of a real `nav-server --signaling` started here on loopback.

Usage: test-nav-demo.py NAV_DEMO NAV_SERVER

Run by meson in the test environment, with Debian's /usr/bin/python3.  No
timing is asserted: the time limits below only guard against hangs.
"""
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

NAV_DEMO = None
NAV_SERVER = None

WAIT_LIMIT_S = 120  # a guard against hangs, not a timed assertion

# "  A: path 127.0.0.1:5000 (host) → 127.0.0.1:5002 (host)"
PATH_RE = r"(?m)^  (\S+): path (\S+) \((\w+)\) → (\S+) \((\w+)\)$"


def child_env():
    """The programs are instrumented themselves when this interpreter runs
    under a sanitizer's LD_PRELOAD: drop the preload, keep leak checks."""
    env = dict(os.environ)
    if "LD_PRELOAD" in env and "asan" in env["LD_PRELOAD"]:
        del env["LD_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0"
        supp = os.path.join(env.get("NAV_SOURCE_ROOT", "."), "tests", "lsan.supp")
        env["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % supp
    return env


def _die_with_parent():
    """PR_SET_PDEATHSIG (prctl option 1): a child that outlives a crashed
    test would hold its port forever."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def run_demo(*args):
    return subprocess.run([NAV_DEMO, *args], capture_output=True, text=True,
                          env=child_env(), timeout=WAIT_LIMIT_S)


class Server:
    """nav-server --signaling on 127.0.0.1, port chosen by the system and
    read from its `event=listening` line."""

    def __init__(self):
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([NAV_SERVER, "--signaling", "-L", "127.0.0.1",
                                      "--signaling-port=0", "-v"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=child_env(), preexec_fn=_die_with_parent)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.uri = "ws://127.0.0.1:%s/" % self.wait_line(
            r"event=listening server=signaling url=ws://127\.0\.0\.1:(\d+)/").group(1)

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern):
        regex = re.compile(pattern)
        deadline = time.monotonic() + WAIT_LIMIT_S
        with self.cond:
            while True:
                for line in self.lines:
                    m = regex.search(line)
                    if m:
                        return m
                if self.proc.poll() is not None and not self.thread.is_alive():
                    raise AssertionError("nav-server exited (%s):\n%s"
                                         % (self.proc.returncode, "\n".join(self.lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r in:\n%s" % (pattern, "\n".join(self.lines)))
                self.cond.wait(left)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT_LIMIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(WAIT_LIMIT_S)
        self.proc.stdout.close()
        return self.proc.returncode


def paths(stdout):
    return {m.group(1): (m.group(3), m.group(5)) for m in re.finditer(PATH_RE, stdout)}


class TwoAgentsTest(unittest.TestCase):
    def check_common(self, result):
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        out = result.stdout
        # the existing sections still come first
        self.assertRegex(out, r"(?m)^Modules:$")
        self.assertRegex(out, r"(?m)^Host candidates \(stream 1, component 1\):$")
        self.assertRegex(out, r"(?m)^  sent 1000, received 1000 \(0\.0% loss\)")
        # the embedded servers, on loopback
        self.assertRegex(out, r"(?m)^  STUN server 127\.0\.0\.1:\d+$")
        self.assertRegex(out, r"(?m)^  TURN server 127\.0\.0\.1:\d+ ")
        # both agents gathered a relayed candidate through the TURN server
        for name in ("A", "B"):
            self.assertRegex(out, rf"(?m)^  {name}: a=candidate:.* typ relay ")
            self.assertRegex(out, rf"(?m)^  {name}: component 1 ready$")
        self.assertRegex(out, r"(?m)^  setup \(gather → both ready\): [\d.]+ ms$")
        self.assertRegex(out, r"(?m)^Embedded servers' counters:$")
        self.assertRegex(out, r"(?m)^  TURN server:.* allocate-requests=2")
        return out

    def test_default_host_pair(self):
        out = self.check_common(run_demo())
        self.assertRegex(out, r"(?m)^  A: a=candidate:.* typ host$")
        self.assertIn("the agents prune those srflx candidates", out)
        self.assertEqual(paths(out), {"A": ("host", "host"), "B": ("host", "host")}, out)
        for name in ("A", "B"):
            self.assertRegex(out, rf"(?m)^  {name} received 1000 of 1000 datagrams of 1200 bytes, ")
        # the STUN server answered the agents' binding requests
        self.assertRegex(out, r"(?m)^  STUN server:.* binding-success=2")

    def test_relay_only(self):
        out = self.check_common(run_demo("--relay-only"))
        self.assertNotRegex(out, r"(?m)^  [AB]: a=candidate:.* typ host$")
        self.assertEqual(paths(out), {"A": ("relay", "relay"), "B": ("relay", "relay")}, out)
        for name in ("A", "B"):
            self.assertRegex(out, rf"(?m)^  {name}: selected pair \S+ \(relay\) → \S+ \(relay\)$")
            m = re.search(rf"(?m)^  {name} received (\d+) of (\d+) datagrams", out)
            self.assertIsNotNone(m, out)
            self.assertGreater(int(m.group(1)), 0, out)
        # the data went through the relay
        self.assertRegex(out, r"(?m)^  TURN server:.* packets-to-peer=\d+")

    def test_bad_options(self):
        result = run_demo("--room", "x")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--room needs --signal", result.stderr)
        result = run_demo("--signal", "ws://127.0.0.1:1/")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--signal needs --room", result.stderr)


class SignalTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()

    def tearDown(self):
        self.server.stop()

    def test_two_processes_meet_in_a_room(self):
        args = [NAV_DEMO, "--signal", self.server.uri, "--room", "red-lion-star", "--timeout", "60"]
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=child_env(), preexec_fn=_die_with_parent)
                 for _ in range(2)]
        outs = [p.communicate(timeout=WAIT_LIMIT_S) for p in procs]
        ids = []
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, out + err)
            m = re.search(r"(?m)^  connected to \S+ as (\S+), joining room “red-lion-star”$", out)
            self.assertIsNotNone(m, out)
            ids.append(m.group(1))
            self.assertEqual(paths(out), {m.group(1): ("host", "host")}, out)
            self.assertRegex(out, r"(?m)^  sent \d+ and received [1-9]\d* datagrams of 1200 bytes: "
                                  r"data went both ways$")
        # each met the other, one controlling and one controlled
        self.assertRegex(outs[0][0], rf"negotiated with peer {re.escape(ids[1])} ")
        self.assertRegex(outs[1][0], rf"negotiated with peer {re.escape(ids[0])} ")
        roles = sorted(re.search(r"this agent is (\w+)", o).group(1) for o, _ in outs)
        self.assertEqual(roles, ["controlled", "controlling"])
        # each path is the reverse of the other's
        a = re.search(PATH_RE, outs[0][0])
        b = re.search(PATH_RE, outs[1][0])
        self.assertEqual((a.group(2), a.group(4)), (b.group(4), b.group(2)))

    def test_timeout_without_peer(self):
        result = run_demo("--signal", self.server.uri, "--room", "lonely-room", "--timeout", "2")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("Timed out after 2 s: no peer joined the room", result.stderr)


if __name__ == "__main__":
    NAV_DEMO, NAV_SERVER = sys.argv[1:3]
    del sys.argv[1:3]
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
