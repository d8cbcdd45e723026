#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-demo's peer connection options as a person runs them, and the
browser page nav-server --signaling serves at /demo, in headless
Chromium.

Usage: test_demo_peer_connection.py NAV_DEMO NAV_SERVER [chromium]

Without "chromium": `nav-demo --secure` and `--datachannel` in one
process (the cipher suite, both fingerprints, each side's own matching
what the other checked, no plaintext on the wire, a data channel's echo),
and two `nav-demo --signal … --secure` / `--datachannel` processes meeting
in a room of a real nav-server --signaling (NavSignalingSession driving a
NavPeerConnection).  With "chromium": GET /demo is the page, and
Chromium running it and `nav-demo --signal … --datachannel` open data
channels to each other and echo each other's greeting.  Time limits only
guard against hangs.
"""
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "test_nav_demo", os.path.join(HERE, "..", "tools", "test-nav-demo.py"))
test_nav_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(test_nav_demo)
Server = test_nav_demo.Server
child_env = test_nav_demo.child_env

WAIT_LIMIT_S = 120
SECURITY_RE = (r"(?m)^  (\S+): our certificate +sha-256 ([0-9A-F:]+)$\n"
               r"^  \1: the peer's, checked sha-256 ([0-9A-F:]+)$")


def run(*args, timeout=WAIT_LIMIT_S):
    return subprocess.run([test_nav_demo.NAV_DEMO, *args], capture_output=True, text=True,
                          env=child_env(), timeout=timeout)


def fingerprints(stdout):
    """name -> (own, the peer's as checked)"""
    return {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(SECURITY_RE, stdout)}


class InProcess(unittest.TestCase):
    def test_secure(self):
        r = run("--secure")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"A: DTLS TLS_ECDHE_ECDSA_WITH_\S+, as the server")
        self.assertRegex(r.stdout, r"B: DTLS TLS_ECDHE_ECDSA_WITH_\S+, as the client")
        fp = fingerprints(r.stdout)
        # Each side checked the certificate the other holds.
        self.assertEqual(fp["A"][0], fp["B"][1])
        self.assertEqual(fp["B"][0], fp["A"][1])
        self.assertNotEqual(fp["A"][0], fp["B"][0])
        self.assertRegex(r.stdout, r"A received 1000, B 1000")
        self.assertIn("a DTLS record (type 23, version fefd", r.stdout)
        self.assertIn("“nav-demo plaintext” is not in it", r.stdout)

    def test_datachannel(self):
        r = run("--datachannel")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("B: the peer opened data channel “demo”", r.stdout)
        self.assertIn("B received “hello from nav-demo”", r.stdout)
        self.assertIn("A received “echo: hello from nav-demo”", r.stdout)
        self.assertRegex(r.stdout, r"\d+\.\d MB/s")
        fp = fingerprints(r.stdout)
        self.assertEqual(fp["A"][0], fp["B"][1])


class ThroughARoom(unittest.TestCase):
    def setUp(self):
        self.server = Server()

    def tearDown(self):
        self.server.stop()

    def pair(self, option, room):
        args = ["--signal", self.server.uri, "--room", room, option, "--timeout", "60"]
        a = subprocess.Popen([test_nav_demo.NAV_DEMO, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=child_env())
        b = run(*args)
        out_a, err_a = a.communicate(timeout=WAIT_LIMIT_S)
        self.assertEqual(a.returncode, 0, out_a + err_a)
        self.assertEqual(b.returncode, 0, b.stdout + b.stderr)
        return out_a, b.stdout

    def test_secure(self):
        out_a, out_b = self.pair("--secure", "secure-room")
        self.assertIn("encrypted datagrams: data went both ways", out_a)
        fa, fb = fingerprints(out_a)["local"], fingerprints(out_b)["local"]
        self.assertEqual(fa[0], fb[1])
        self.assertEqual(fb[0], fa[1])
        # One DTLS client, one server.
        roles = {re.search(r"local: DTLS \S+, as the (\w+)", o).group(1) for o in (out_a, out_b)}
        self.assertEqual(roles, {"client", "server"})

    def test_datachannel(self):
        out_a, out_b = self.pair("--datachannel", "datachannel-room")
        for out in (out_a, out_b):
            self.assertIn("our greeting came back, the peer's was echoed", out)
            self.assertIn("the peer opened data channel “nav-demo”", out)


class Browser(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.profile = tempfile.mkdtemp(prefix="nav-demo-chromium-")
        self.chromium = None

    def tearDown(self):
        if self.chromium is not None:
            try:
                os.killpg(self.chromium.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.chromium.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
        self.server.stop()

    def test_demo_page(self):
        http = self.server.uri.replace("ws://", "http://").rstrip("/")
        with urllib.request.urlopen(http + "/demo", timeout=30) as reply:
            self.assertEqual(reply.headers["Content-Type"], "text/html; charset=utf-8")
            self.assertIn(b"NetAvanue data channel demo", reply.read())
        chromium = os.environ.get("NAV_CHROMIUM", "/usr/bin/chromium")
        self.assertTrue(os.path.exists(chromium), "chromium is missing: run tools/setup.sh")
        # The flags of /work/.library/env/machines/c.md: headless as root,
        # no network beyond loopback, loopback candidates allowed, host
        # candidates as addresses rather than mDNS names.
        self.chromium = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", "--allow-loopback-in-peer-connection",
             "--disable-features=WebRtcHideLocalIpsWithMdns", "--user-data-dir=" + self.profile,
             http + "/demo?room=browser-room"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        r = run("--signal", self.server.uri, "--room", "browser-room", "--datachannel",
                "--timeout", "60")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("received “hello from the browser", r.stdout)
        self.assertIn("our greeting came back, the peer's was echoed", r.stdout)
        self.assertRegex(r.stdout, r"local: DTLS TLS_ECDHE_ECDSA_WITH_\S+")


if __name__ == "__main__":
    test_nav_demo.NAV_DEMO, test_nav_demo.NAV_SERVER = sys.argv[1:3]
    browser = len(sys.argv) > 3 and sys.argv[3] == "chromium"
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in ((Browser,) if browser else (InProcess, ThroughARoom)):
        suite.addTests(loader.loadTestsFromTestCase(case))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
