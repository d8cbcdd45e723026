#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-inspect, as a person uses it: the listing, a module's and a type's
details, the extension points, unknown names, and modules that fail to load.

Usage: test-nav-inspect.py NAV_INSPECT BROKEN_MODULE_DIR TCP_FRAMING_PLUGIN

Run by meson in the test environment (the build's module directories on
NAV_MODULE_PATH, an empty NAV_MODULE_DIR), with Debian's /usr/bin/python3.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

NAV_INSPECT = None
BROKEN_DIR = None
PLUGIN = None

TIER_TYPES = {
    "stun": 'NavStunServer (nav-server "stun", priority 10)',
    "turn": 'NavTurnServer (nav-server "turn", priority 10)',
    "ice": 'NavIceChecker (nav-checker "ice", priority 10)',
    "signaling": 'NavSignalingServer (nav-server "signaling", priority 10)',
    "election": "NavDeviceCapability",
    "datachannel": 'NavGnutlsDtlsBackend (nav-dtls-backend "gnutls", priority 10)',
    "discovery": 'NavMdnsDiscovery (nav-discovery "mdns", priority 10)',
    "tcp-framing": 'NavTcpFramingTransport (nav-transport "tcp-framing", priority 10)',
}


def build_modules():
    """How many modules the build's module directories hold (the DHT
    module is built only when OpenDHT is installed)."""
    count = 0
    for d in os.environ.get("NAV_MODULE_PATH", "").split(":"):
        if d and os.path.isdir(d):
            count += len([f for f in os.listdir(d) if f.startswith("lib") and f.endswith(".so")])
    return count


def run(*args, env=None):
    result = subprocess.run([NAV_INSPECT, *args], capture_output=True, text=True,
                            env=env, timeout=60)
    return result


def listing_lines(stdout):
    """The `module:  type` lines of the listing, as (module, text) pairs."""
    pairs = []
    for line in stdout.splitlines():
        m = re.match(r"^([\w.-]+):  (.+)$", line)
        if m:
            pairs.append((m.group(1), m.group(2)))
    return pairs


class ListingTest(unittest.TestCase):
    def test_lists_every_module_and_type(self):
        result = run()
        self.assertEqual(result.returncode, 0, result.stderr)
        pairs = listing_lines(result.stdout)
        for module, text in TIER_TYPES.items():
            self.assertIn((module, text), pairs, result.stdout)
        # the core's own implementations
        self.assertIn(("core", 'NavUdpTransport (nav-transport "udp", priority 100)'), pairs)
        self.assertIn(("core", 'NavHostGatherer (nav-gatherer "host", priority 100)'), pairs)
        # the ICE module's checker uses the core's nomination enum: the
        # module registers no copy of it
        self.assertNotIn(("ice", "NavIceNominationMode (enum)"), pairs)
        # a module may implement several points: stun's server-reflexive gatherer
        self.assertIn(("stun", 'NavStunGatherer (nav-gatherer "stun", priority 10)'), pairs)

    def test_modules_sorted_by_name(self):
        result = run()
        modules = [m for m, _ in listing_lines(result.stdout) if m != "core"]
        self.assertEqual(modules, sorted(modules))

    def test_totals(self):
        result = run()
        module_types = [p for p in listing_lines(result.stdout) if p[0] != "core"]
        m = re.search(r"Total count: (\d+) modules?, (\d+) types?", result.stdout)
        self.assertIsNotNone(m, result.stdout)
        self.assertEqual(int(m.group(1)), build_modules())
        self.assertEqual(int(m.group(2)), len(module_types))
        # nothing failed in the test environment
        self.assertNotIn("failed to load", result.stdout)


class DetailsTest(unittest.TestCase):
    def test_module_details(self):
        result = run("stun")
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        for label, value in [("Name", "stun"),
                             ("Description", "STUN client, server and NAT behaviour discovery"),
                             ("License", "LGPL-2.1-or-later"),
                             ("Origin", "NetAvanue"),
                             ("Status", "loaded")]:
            self.assertRegex(out, rf"(?m)^  {label} +{re.escape(value)}$")
        self.assertRegex(out, r"(?m)^  Version +\d+\.\d+\.\d+$")
        self.assertRegex(out, r"(?m)^  Filename +/.*/libnav-stun\.so$")
        # and each of its types' details
        self.assertIn("Type Hierarchy:\n  GObject\n  +----NavStunServer\n", out)
        self.assertIn("Implemented Interfaces:\n  NavServer\n", out)
        self.assertRegex(out, r"listening-port +: .*\n +flags: readable, writable, construct\n"
                              r" +Unsigned Integer\. Range: 0 - 65535 Default: 3478")
        self.assertRegex(out, r'listening-ip +: .*\n.*\n +String\. Default: null')
        self.assertRegex(out, r"running +:.*\n +flags: readable\n")
        self.assertIn("Signals:", out)

    def test_type_details(self):
        result = run("NavTcpFramingTransport")
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertRegex(out, r"(?m)^  Module +tcp-framing \(/.*/libnav-tcp-framing\.so\)$")
        self.assertRegex(out, r"(?m)^  Extension point +nav-transport \(NavTransport\)$")
        self.assertRegex(out, r"(?m)^  Priority +10$")
        self.assertIn("  GObject\n  +----NavTcpFramingTransport\n", out)
        self.assertRegex(out, r"Implemented Interfaces:\n(  \w+\n)*  NavTransport\n")
        self.assertRegex(out, r"connect-timeout +: .*\n +flags: readable, writable, construct-only\n"
                              r" +Unsigned Integer\. Range: 1 - \d+ Default: 10")
        self.assertRegex(out, r'remote-address +: .*\n.*\n +Boxed pointer of type "NavAddress"')
        self.assertRegex(out, r'protocol +: .*\n.*\n +Enum "NavCandidateTransport" Default: 0, "udp"\n'
                              r" +\(0\): udp +- NAV_CANDIDATE_TRANSPORT_UDP\n")
        # the interface's signals, with their parameter types
        self.assertRegex(out, r'"received" :  void user_function \(NavTcpFramingTransport \* object,\n'
                              r" +GBytes \* arg0,\n +NavAddress \* arg1,\n +gpointer user_data\);")
        self.assertRegex(out, r'"closed" :  void user_function \(NavTcpFramingTransport \* object,\n'
                              r" +GError \* arg0,\n +gpointer user_data\);")

    def test_implementation_names(self):
        for name, type_name, module in [("udp", "NavUdpTransport", "core"),
                                         ("nav-server:turn", "NavTurnServer", "turn"),
                                         ("nav-checker:ice", "NavIceChecker", "ice"),
                                         ("datagram", "NavDatagramChannel", "core")]:
            result = run(name)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertTrue(result.stdout.startswith(type_name + "\n"), result.stdout[:200])
            self.assertRegex(result.stdout, rf"(?m)^  Module +{module}\b")

    def test_enum_type(self):
        # an enum property's values: the checker's nomination-mode, of the
        # core's NavNominationMode
        result = run("NavIceChecker")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('Enum "NavNominationMode"', result.stdout)
        self.assertRegex(result.stdout, r"\(0\): regular +- NAV_NOMINATION_MODE_REGULAR")
        self.assertRegex(result.stdout, r"\(1\): aggressive +- NAV_NOMINATION_MODE_AGGRESSIVE")

    def test_unknown_name(self):
        result = run("foo")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn('No such module or type "foo"', result.stderr)

    def test_points(self):
        result = run("--points")
        self.assertEqual(result.returncode, 0, result.stderr)
        for point in ["nav-transport (NavTransport)", "nav-gatherer (NavGatherer)",
                      "nav-checker (NavChecker)", "nav-channel (NavChannel)",
                      "nav-server (NavServer)"]:
            self.assertRegex(result.stdout, rf"(?m)^{re.escape(point)}$")
        self.assertRegex(result.stdout, r"(?m)^  tcp-framing +NavTcpFramingTransport +priority 10 +tcp-framing$")
        self.assertRegex(result.stdout, r"(?m)^  udp +NavUdpTransport +priority 100 +core$")

    def test_version_and_help(self):
        result = run("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^nav-inspect \d+\.\d+\.\d+")
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--points", result.stdout)
        result = run("--no-such-option")
        self.assertEqual(result.returncode, 1)


class FailedModuleTest(unittest.TestCase):
    """Modules that fail to load are listed with the reason, not dropped."""

    def env(self):
        env = dict(os.environ)
        env["NAV_MODULE_PATH"] = BROKEN_DIR + ":" + env.get("NAV_MODULE_PATH", "")
        return env

    def test_listed_with_reason(self):
        result = run(env=self.env())
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertRegex(out, r"(?m)^2 modules failed to load:$")
        broken = os.path.join(BROKEN_DIR, "libnav-broken.so")
        noentry = os.path.join(BROKEN_DIR, "libnav-noentry.so")
        self.assertRegex(out, rf"(?m)^  {re.escape(broken)}: .*undefined symbol: nav_test_symbol_nobody_defines")
        self.assertRegex(out, rf"(?m)^  {re.escape(noentry)}: .*g_io_nav_noentry_load")
        # the others still load and are counted
        self.assertRegex(out, r"Total count: %d modules," % build_modules())
        for module, text in TIER_TYPES.items():
            self.assertIn((module, text), listing_lines(out))

    def test_details_of_failed_module(self):
        result = run("nav-broken", env=self.env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^  Status +failed to load: .*undefined symbol")
        result = run("noentry", env=self.env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^  Name +noentry$")
        self.assertRegex(result.stdout, r"(?m)^  Status +failed to load: .*g_io_nav_noentry_load")


class OutsideBuildTreeTest(unittest.TestCase):
    """The plugin copied alone into a fresh directory loads from there."""

    def test_copy_loads(self):
        with tempfile.TemporaryDirectory() as plugins, tempfile.TemporaryDirectory() as empty:
            copy = os.path.join(plugins, "libnav-tcp-framing.so")
            shutil.copy(PLUGIN, copy)
            env = dict(os.environ, NAV_MODULE_PATH=plugins, NAV_MODULE_DIR=empty)

            result = run(env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual([p for p in listing_lines(result.stdout) if p[0] != "core"],
                             [("tcp-framing", TIER_TYPES["tcp-framing"])])
            self.assertIn("Total count: 1 module, 1 type", result.stdout)

            result = run("tcp-framing", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertRegex(result.stdout, rf"(?m)^  Filename +{re.escape(copy)}$")
            self.assertRegex(result.stdout, r"(?m)^  Status +loaded$")


if __name__ == "__main__":
    NAV_INSPECT, BROKEN_DIR, PLUGIN = sys.argv[1:4]
    del sys.argv[1:4]
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
