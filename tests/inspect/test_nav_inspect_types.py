#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-inspect on the core's own types (issue 20): NavAgent,
NavPeerConnection, NavSignalingClient, an interface and an enumeration
are described as module types are, with the descriptions of the type,
its properties (those of its interfaces too) and its signals read from
the GIR file; without the GIR file the same, without descriptions; a
damaged GIR file is no crash.

Usage: test_nav_inspect_types.py NAV_INSPECT
"""
import os
import subprocess
import sys
import tempfile
import unittest

NAV_INSPECT = None


def run(*args, env=None):
    return subprocess.run([NAV_INSPECT, *args], capture_output=True, text=True, env=env, timeout=60)


def section(stdout, title):
    """The lines of a section ("Properties:", "Signals:") up to the next."""
    lines = stdout.splitlines()
    start = lines.index(title)
    out = []
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return "\n".join(out)


class CoreTypes(unittest.TestCase):
    def test_agent(self):
        r = run("NavAgent")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("No such module or type", r.stderr)
        self.assertRegex(r.stdout, r"Description +The object an application holds to connect")
        self.assertIn("Module                  core (libnetavanue-1.0)", r.stdout)
        props = section(r.stdout, "Properties:")
        self.assertRegex(props, r"controlling-mode +: Whether the agent is controlling")
        self.assertRegex(props, r"stun-server-port +: ")
        signals = section(r.stdout, "Signals:")
        self.assertIn('"component-state-changed"', signals)
        self.assertIn("A component changed state.", signals)

    def test_peer_connection(self):
        r = run("NavPeerConnection")
        self.assertEqual(r.returncode, 0, r.stderr)
        props = section(r.stdout, "Properties:")
        self.assertRegex(props, r"connection-state +: \S")
        self.assertIn('"data-channel"', section(r.stdout, "Signals:"))

    def test_signaling_client(self):
        r = run("NavSignalingClient")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"Description +A client of the NetAvanue signaling server")

    def test_interface_properties(self):
        # A class's properties from its interface carry the interface's
        # description, and say where they come from.
        r = run("NavDatagramChannel")
        self.assertEqual(r.returncode, 0, r.stderr)
        props = section(r.stdout, "Properties:")
        self.assertRegex(props, r"buffered-amount +: The number of bytes queued")
        self.assertIn("from: NavChannel", props)
        # The interface itself.
        r = run("NavDataChannel")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(section(r.stdout, "Properties:"), r"label +: \S")

    def test_enum(self):
        r = run("NavPairState")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("succeeded", r.stdout)
        self.assertIn("RFC 8445", r.stdout)

    def test_unknown(self):
        for name in ("NavNoSuchType", "Nav_agent", "Navagent"):
            r = run(name)
            self.assertEqual(r.returncode, 1)
            self.assertIn("No such module or type", r.stderr)

    def test_without_gir(self):
        env = dict(os.environ, NAV_GIR_PATH="/nonexistent/Nav-1.0.gir")
        r = run("NavAgent", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Description", r.stdout)
        self.assertRegex(section(r.stdout, "Properties:"), r"controlling-mode +:\n")

    def test_damaged_gir(self):
        with tempfile.NamedTemporaryFile("w", suffix=".gir") as f:
            f.write('<repository><namespace><class name="Agent"><doc>cut')
            f.flush()
            env = dict(os.environ, NAV_GIR_PATH=f.name)
            r = run("NavAgent", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("Description", r.stdout)


if __name__ == "__main__":
    NAV_INSPECT = sys.argv.pop(1)
    unittest.main(verbosity=2)
