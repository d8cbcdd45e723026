#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""NavPeerConnection from Python through GObject Introspection: two peer
connections in one process, offer, answer and trickled candidates, then
encrypted datagrams both ways over the DTLS channel.

Run by meson against the build tree, with Debian's /usr/bin/python3.
"""
import os
import sys
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

# The python-gi test's helper (tests/python/test_nav.py).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import test_nav  # noqa: E402


def run_until(context, predicate, timeout_s=20):
    """Iterate until predicate() holds; a failure guard, not a timing
    assertion."""
    return test_nav.run_until(None, context, predicate, timeout_s)


class Peer:
    def __init__(self, context):
        self.context = context
        # The test sends datagrams on the DTLS channel itself.
        self.pc = Nav.PeerConnection(main_context=context, data_channels=False)
        self.pc.get_agent().add_local_address(Nav.Address.new_from_string("127.0.0.1"))
        self.candidates = []          # (candidate, mid, index); None ends them
        self.received = []
        self.pc.connect("ice-candidate", self.on_candidate)

    def on_candidate(self, pc, candidate, mid, index):
        self.candidates.append((candidate, mid, index))

    def create(self, offer):
        result = []

        def done(pc, res, data):
            if offer:
                result.append(pc.create_offer_finish(res))
            else:
                result.append(pc.create_answer_finish(res))

        if offer:
            self.pc.create_offer_async(None, done, None)
        else:
            self.pc.create_answer_async(None, done, None)
        assert run_until(self.context, lambda: result)
        return result[0]

    def listen(self):
        self.pc.get_dtls_channel().connect(
            "message", lambda channel, data: self.received.append(data.get_data()))


def trickle(src, dst):
    """Hands src's candidates so far to dst."""
    for candidate, mid, index in src.candidates:
        dst.pc.add_ice_candidate(candidate, mid, index)
    src.candidates.clear()


class PeerConnectionTest(unittest.TestCase):
    def setUp(self):
        self.context = GLib.MainContext()
        self.context.push_thread_default()
        self.a = Peer(self.context)
        self.b = Peer(self.context)

    def tearDown(self):
        self.a.pc.close()
        self.b.pc.close()
        self.context.pop_thread_default()

    def connect_pair(self):
        a, b = self.a, self.b
        offer = a.create(True)
        self.assertEqual(offer.get_sdp_type(), Nav.SdpType.OFFER)
        self.assertIn("a=setup:actpass", offer.get_sdp())
        a.pc.set_local_description(offer)
        self.assertEqual(a.pc.props.signaling_state, Nav.SignalingState.HAVE_LOCAL_OFFER)
        # The offer goes through "signaling" as text and a type name.
        received = Nav.SessionDescription.new(
            Nav.sdp_type_from_string(Nav.sdp_type_to_string(offer.get_sdp_type()))[1],
            offer.get_sdp())
        b.pc.set_remote_description(received)
        answer = b.create(False)
        self.assertIn("a=setup:active", answer.get_sdp())
        b.pc.set_local_description(answer)
        a.pc.set_remote_description(answer)

        def trickled():
            trickle(a, b)
            trickle(b, a)
            return (a.pc.props.connection_state == Nav.PeerConnectionState.CONNECTED and
                    b.pc.props.connection_state == Nav.PeerConnectionState.CONNECTED)

        self.assertTrue(run_until(self.context, trickled),
                        (a.pc.props.connection_state, b.pc.props.connection_state))

    def test_connect_and_exchange(self):
        a, b = self.a, self.b
        states = []
        a.pc.connect("notify::connection-state",
                     lambda pc, pspec: states.append(pc.props.connection_state))
        self.connect_pair()
        self.assertEqual(states[-1], Nav.PeerConnectionState.CONNECTED)
        self.assertIn(Nav.PeerConnectionState.CONNECTING, states)
        self.assertEqual(a.pc.props.ice_gathering_state, Nav.IceGatheringState.COMPLETE)
        self.assertEqual(a.pc.props.ice_connection_state, Nav.IceConnectionState.CONNECTED)

        a.listen()
        b.listen()
        dtls_a = a.pc.get_dtls_channel()
        dtls_b = b.pc.get_dtls_channel()
        self.assertTrue(dtls_a.send(GLib.Bytes.new(b"hello from a")))
        self.assertTrue(dtls_b.send(GLib.Bytes.new(b"hello from b")))
        self.assertTrue(run_until(self.context, lambda: a.received and b.received))
        self.assertEqual(b.received, [b"hello from a"])
        self.assertEqual(a.received, [b"hello from b"])

        # Each side authenticated the other: the peer's certificate is
        # the one whose fingerprint its description carried.
        self.assertIn("TLS_ECDHE_ECDSA", dtls_a.get_cipher_suite())
        peer = dtls_a.dup_peer_certificate()
        fingerprint = peer.get_fingerprint("sha-256")
        self.assertEqual(fingerprint, b.pc.get_certificate().get_fingerprint("sha-256"))
        self.assertIn("a=fingerprint:sha-256 " + fingerprint,
                      a.pc.get_remote_description().get_sdp())
        self.assertEqual(dtls_b.get_role(), Nav.DtlsRole.CLIENT)

    def test_wrong_state_is_a_gerror(self):
        answer_like = Nav.SessionDescription.new(Nav.SdpType.ANSWER, "v=0\r\n")
        with self.assertRaises(GLib.Error) as cm:
            self.a.pc.set_remote_description(answer_like)
        self.assertTrue(cm.exception.matches(Nav.peer_connection_error_quark(),
                                             Nav.PeerConnectionError.INVALID_STATE))
        garbage = Nav.SessionDescription.new(Nav.SdpType.OFFER, "not sdp at all")
        with self.assertRaises(GLib.Error) as cm:
            self.a.pc.set_remote_description(garbage)
        self.assertTrue(cm.exception.matches(Nav.peer_connection_error_quark(),
                                             Nav.PeerConnectionError.INVALID_DESCRIPTION))


class CertificateTest(unittest.TestCase):
    def test_pem_round_trip(self):
        cert = Nav.Certificate.generate()
        pem = cert.get_certificate_pem()
        key = cert.get_private_key_pem()
        self.assertTrue(pem.startswith("-----BEGIN CERTIFICATE-----"))
        again = Nav.Certificate.new_from_pem(pem, key)
        for algorithm in ("sha-1", "sha-256", "sha-512"):
            self.assertEqual(again.get_fingerprint(algorithm), cert.get_fingerprint(algorithm))
        self.assertEqual(len(cert.get_fingerprint("sha-256").split(":")), 32)
        self.assertTrue(cert.check_fingerprints(["sha-256 " + cert.get_fingerprint(None).lower()]))
        other = Nav.Certificate.generate()
        with self.assertRaises(GLib.Error):
            Nav.Certificate.new_from_pem(pem, other.get_private_key_pem())
        with self.assertRaises(GLib.Error):
            cert.check_fingerprints(["sha-256 " + other.get_fingerprint("sha-256")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
