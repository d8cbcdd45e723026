#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""NetAvanue through GObject Introspection, as a Python application uses it.

Run by meson against the build tree (GI_TYPELIB_PATH, LD_LIBRARY_PATH and the
module path point there), with Debian's /usr/bin/python3 and python3-gi.
"""
import sys
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Nav", "1.0")
from gi.repository import GLib, GObject, Nav  # noqa: E402

TIER_MODULES = {"stun", "turn", "ice", "signaling", "election", "datachannel", "tcp-framing"}


def run_until(loop, context, predicate, timeout_s=5):
    """Iterate until predicate() holds; fail after timeout_s (a guard, not a
    timing assertion)."""
    expired = []
    source = GLib.timeout_source_new_seconds(timeout_s)
    source.set_callback(lambda *a: expired.append(True) or False)
    source.attach(context)
    while not predicate() and not expired:
        context.iteration(True)
    source.destroy()
    return predicate()


class RegistryTest(unittest.TestCase):
    def test_lists_modules(self):
        registry = Nav.Registry.get_default()
        modules = {m.get_name(): m for m in registry.list_modules()}
        self.assertTrue(TIER_MODULES <= set(modules), sorted(modules))
        for name in TIER_MODULES:
            info = modules[name]
            self.assertTrue(info.props.loaded, info.props.error)
            self.assertIsNone(info.get_error())
            self.assertTrue(info.get_description())
            self.assertTrue(len(info.list_types()) >= 1)

    def test_extension_points(self):
        registry = Nav.Registry.get_default()
        points = registry.list_extension_points()
        self.assertEqual(
            set(points),
            {"nav-transport", "nav-gatherer", "nav-checker", "nav-channel", "nav-server",
             "nav-signaling-client", "nav-dtls-backend", "nav-sctp-transport",
             "nav-discovery"},
        )
        impls = registry.list_implementations("nav-transport")
        names = [i.get_name() for i in impls]
        self.assertIn("udp", names)
        self.assertIn("tcp-framing", names)
        priorities = [i.get_priority() for i in impls]
        self.assertEqual(priorities, sorted(priorities, reverse=True))

    def test_errors_are_gerrors(self):
        registry = Nav.Registry.get_default()
        with self.assertRaises(GLib.Error) as cm:
            registry.lookup("nav-transport", "carrier-pigeon")
        self.assertTrue(cm.exception.matches(Nav.registry_error_quark(),
                                             Nav.RegistryError.UNKNOWN_IMPLEMENTATION))

    def test_create_by_name(self):
        registry = Nav.Registry.get_default()
        local = Nav.Address.new_from_string("127.0.0.1:0")
        value = GObject.Value(Nav.Address, local)
        transport = registry.create("nav-transport", "udp", ["local-address"], [value])
        self.assertIsInstance(transport, Nav.Transport)
        self.assertNotEqual(transport.get_local_address().get_port(), 0)

        # A module type reached by its GType and the interface it implements
        info = registry.lookup("nav-checker", "ice")
        checker = GObject.new(info.get_gtype())
        self.assertIsInstance(checker, Nav.Checker)


class AddressTest(unittest.TestCase):
    def test_parse_print(self):
        addr = Nav.Address.new_from_string("[2001:db8::1]:3478")
        self.assertEqual(addr.to_string(), "[2001:db8::1]:3478")
        self.assertEqual(addr.get_port(), 3478)
        self.assertEqual(addr.ip_version(), 6)

    def test_garbage_raises(self):
        for text in ["", "1.2.3.4:99999", "[::1", "host.example:80"]:
            with self.assertRaises(GLib.Error) as cm:
                Nav.Address.new_from_string(text)
            self.assertTrue(cm.exception.matches(Nav.error_quark(),
                                                 Nav.Error.INVALID_ADDRESS), text)


class UdpRoundTripTest(unittest.TestCase):
    def test_send_to_self(self):
        context = GLib.MainContext.new()
        local = Nav.Address.new_from_string("127.0.0.1:0")
        transport = Nav.UdpTransport.new(local, context)
        bound = transport.get_local_address()
        self.assertTrue(bound.is_loopback())
        self.assertNotEqual(bound.get_port(), 0)

        received = []
        transport.connect("received",
                          lambda t, data, frm: received.append((data.get_data(), frm.to_string())))

        self.assertTrue(transport.send(bound, GLib.Bytes.new(b"hello, nav")))
        loop = GLib.MainLoop.new(context, False)
        self.assertTrue(run_until(loop, context, lambda: received))
        self.assertEqual(received[0][0], b"hello, nav")
        self.assertEqual(received[0][1], bound.to_string())
        transport.close()

    def test_main_loop(self):
        """The same round trip driven by GLib.MainLoop.run() on the default
        context, as an application does."""
        local = Nav.Address.new_from_string("127.0.0.1:0")
        transport = Nav.UdpTransport.new(local, None)
        bound = transport.get_local_address()
        loop = GLib.MainLoop()
        got = []

        def on_received(_t, data, _frm):
            got.append(data.get_data())
            loop.quit()

        def on_timeout():
            loop.quit()
            return False

        transport.connect("received", on_received)
        transport.send(bound, GLib.Bytes.new(b"\x00\x01binary\xff"))
        GLib.timeout_add_seconds(5, on_timeout)
        loop.run()
        self.assertEqual(got, [b"\x00\x01binary\xff"])


class ConfigTest(unittest.TestCase):
    """NavConfig: the typed settings of gatherers and checkers."""

    def test_misspelled_setting_names_it(self):
        for config, name in [(Nav.Config.new_for_gatherer(), "stun-inital-timeout"),
                             (Nav.Config.new_for_checker(), "nomintaion-mode")]:
            with self.assertRaises(GLib.Error) as raised:
                config.set_value(name, 100)
            self.assertTrue(raised.exception.matches(Nav.error_quark(),
                                                     Nav.Error.INVALID_ARGUMENT))
            self.assertIn(name, raised.exception.message)

    def test_typed_values(self):
        config = Nav.Config.new_for_checker()
        config.set_value("stun-pacing-timer", 20)
        config.set_value("nomination-mode", Nav.NominationMode.AGGRESSIVE)
        ok, value = config.get_value("stun-pacing-timer")
        self.assertTrue(ok)
        self.assertEqual(value, 20)
        with self.assertRaises(GLib.Error):
            config.set_value("stun-pacing-timer", "fast")
        names = [spec.name for spec in config.list_settings()]
        self.assertIn("consent-freshness", names)

    def test_checker_takes_config(self):
        info = Nav.Registry.get_default().lookup("nav-checker", "ice")
        checker = GObject.new(info.get_gtype())
        config = Nav.Config.new_for_checker()
        config.set_value("stun-pacing-timer", 9)
        self.assertTrue(checker.configure(config))
        self.assertEqual(checker.get_property("stun-pacing-timer"), 9)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
