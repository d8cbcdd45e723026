#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""NAV_DEBUG_PCAP=FILE: a child process connects two peer connections on
loopback with a data channel and exchanges text messages; the capture is
read back by our own pcapng parser (blocks, interfaces, directions, the
IP/UDP headers, STUN and DTLS on the wire, the decrypted SCTP packets
with the DCEP OPEN of the channel's label and the messages) and by
tshark, which must dissect STUN, DTLS, SCTP and DCEP (rtcdc) in it.

Usage: test_pcap.py TSHARK
"""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

TSHARK = None
HERE = os.path.dirname(os.path.abspath(__file__))
LABEL = "pcap-label"
MESSAGES = ["hello pcap", "back from b"]


def child():
    sys.path.insert(0, HERE)
    import pc_util
    from gi.repository import Nav

    assert Nav.debug_pcap_is_active()
    pair = pc_util.Pair()
    mine, theirs = pair.open_channel(LABEL)
    got_a, got_b = [], []
    mine.connect("text-message", lambda ch, t: got_a.append(t))
    theirs.connect("text-message", lambda ch, t: got_b.append(t))
    assert mine.send_text(MESSAGES[0])
    assert theirs.send_text(MESSAGES[1])
    assert pc_util.agent_util.iterate_until(lambda: got_a and got_b)
    pair.close()


def blocks(data):
    """(type, body) of each pcapng block, little-endian (our writer's
    host order on x86; the byte-order magic is checked)."""
    off = 0
    while off < len(data):
        btype, total = struct.unpack_from("<II", data, off)
        assert total >= 12 and total % 4 == 0, (off, total)
        assert struct.unpack_from("<I", data, off + total - 4)[0] == total
        yield btype, data[off + 8:off + total - 4]
        off += total


def options(body):
    out = {}
    off = 0
    while off + 4 <= len(body):
        code, length = struct.unpack_from("<HH", body, off)
        if code == 0:
            break
        out[code] = body[off + 4:off + 4 + length]
        off += 4 + ((length + 3) & ~3)
    return out


class Pcap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, "capture.pcapng")
        env = dict(os.environ, NAV_DEBUG_PCAP=cls.path)
        r = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(cls.path, "rb") as f:
            cls.data = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def packets(self):
        interfaces, packets = [], []
        for btype, body in blocks(self.data):
            if btype == 0x0A0D0D0A:
                self.assertEqual(struct.unpack_from("<IHH", body)[0::1][:3], (0x1A2B3C4D, 1, 0))
            elif btype == 1:
                linktype = struct.unpack_from("<H", body)[0]
                interfaces.append((linktype, options(body[8:]).get(2)))
            elif btype == 6:
                iface, hi, lo, cap, orig = struct.unpack_from("<IIIII", body)
                self.assertEqual(cap, orig)
                pkt = body[20:20 + cap]
                opts = options(body[20 + ((cap + 3) & ~3):])
                direction = struct.unpack("<I", opts[2])[0] & 3
                packets.append((iface, direction, pkt))
        return interfaces, packets

    def test_parsed(self):
        interfaces, packets = self.packets()
        self.assertEqual(interfaces, [(101, b"wire"), (101, b"sctp")])
        stun = dtls = 0
        sctp_payloads = []
        for iface, direction, pkt in packets:
            self.assertIn(direction, (1, 2))
            self.assertEqual(pkt[0] >> 4, 4)  # IPv4, on 127.0.0.1
            self.assertEqual(struct.unpack_from(">H", pkt, 2)[0], len(pkt))
            if iface == 0:
                self.assertEqual(pkt[9], 17)
                self.assertEqual(pkt[12:16], bytes([127, 0, 0, 1]))
                udp = pkt[20:]
                self.assertEqual(struct.unpack_from(">H", udp, 4)[0], len(udp))
                payload = udp[8:]
                if payload[0] < 4 and payload[4:8] == b"\x21\x12\xa4\x42":
                    stun += 1
                elif 20 <= payload[0] <= 63 and payload[1:3] == b"\xfe\xfd":
                    dtls += 1
            else:
                self.assertEqual(pkt[9], 132)
                sctp = pkt[20:]
                off = 12
                while off + 4 <= len(sctp):
                    ctype, flags, clen = struct.unpack_from(">BBH", sctp, off)
                    if ctype == 0 and clen > 16:  # DATA (RFC 9260 §3.3.1)
                        ppid = struct.unpack_from(">I", sctp, off + 12)[0]
                        sctp_payloads.append((direction, ppid, sctp[off + 16:off + clen]))
                    elif ctype == 64 and clen > 20 and flags & 2:  # I-DATA, first part (RFC 8260)
                        ppid = struct.unpack_from(">I", sctp, off + 16)[0]
                        sctp_payloads.append((direction, ppid, sctp[off + 20:off + clen]))
                    off += (clen + 3) & ~3
                    if clen < 4:
                        break
        self.assertGreater(stun, 0)
        self.assertGreater(dtls, 0)
        # DCEP OPEN (RFC 8832 §5.1: type 0x03) with the label, sent by a.
        opens = [p for d, ppid, p in sctp_payloads if ppid == 50 and p[0] == 0x03]
        self.assertTrue(any(LABEL.encode() in p for p in opens), sctp_payloads)
        # Both messages, each seen sent by one side and received by the other.
        for text in MESSAGES:
            seen = {d for d, ppid, p in sctp_payloads if ppid == 51 and p == text.encode()}
            self.assertEqual(seen, {1, 2}, (text, sctp_payloads))

    def tshark(self, display_filter, fields):
        args = [TSHARK, "-r", self.path, "-Y", display_filter, "-T", "fields"]
        for f in fields:
            args += ["-e", f]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def test_tshark(self):
        self.assertTrue(self.tshark("stun", ["stun.type"]))
        self.assertTrue(self.tshark("dtls", ["dtls.record.content_type"]))
        self.assertTrue(self.tshark("sctp", ["sctp.srcport"]))
        labels = self.tshark("rtcdc", ["rtcdc.message_type", "rtcdc.label"])
        self.assertIn(LABEL, [row[-1] for row in labels], labels)
        data = self.tshark("sctp.data_payload_proto_id == 51", ["data.data", "data-text-lines"])
        text = self.tshark("sctp.data_payload_proto_id == 51", ["frame.number"])
        self.assertGreaterEqual(len(text), 4, text)  # two messages, each out and in


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child()
        sys.exit(0)
    TSHARK = sys.argv.pop(1)
    unittest.main(verbosity=2)
