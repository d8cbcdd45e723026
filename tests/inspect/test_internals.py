#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nav-server's internals page (GET /internals on --stats-port) in
headless Chromium: a process with two connected agents streaming data
exports them (NAV_DEBUG_EXPORT=1, live-helper); nav-server shows its own
STUN server and those agents.  The DOM after the page's polls shows the
selected pair and graphs with points; the screenshot has the graphs'
colours (bitrate and RTT lines drawn), checked pixel by pixel with our
own PNG decoder.

nav-server, run with NAV_DEBUG_EXPORT=1, also shows its STUN server to
nav-inspect --live.

Usage: test_internals.py NAV_SERVER LIVE_HELPER CHROMIUM NAV_INSPECT
"""
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

NAV_SERVER = HELPER = CHROMIUM = NAV_INSPECT = None
TIMEOUT = 30  # failure guards, never timing assertions
BITRATE = (0x1f, 0x77, 0xb4)
RTT = (0xd6, 0x27, 0x28)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def png_pixels(data):
    """(width, height, rows of RGB(A) tuples) of an 8-bit, non-interlaced
    RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    off, idat, info = 8, b"", None
    while off < len(data):
        length, kind = struct.unpack_from(">I4s", data, off)
        body = data[off + 8:off + 8 + length]
        if kind == b"IHDR":
            info = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        off += 12 + length
    width, height, depth, colour, _, _, interlace = info
    assert depth == 8 and interlace == 0 and colour in (2, 6), info
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def count_colour(png, rgb):
    width, height, bpp, rows = png_pixels(png)
    target = bytes(rgb)
    n = 0
    for row in rows:
        for x in range(width):
            if row[x * bpp:x * bpp + 3] == target:
                n += 1
    return n


class Internals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        os.chmod(cls.tmp, 0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=cls.tmp)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        cls.helper = subprocess.Popen([HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, env=dict(env, NAV_DEBUG_EXPORT="1"))
        cls.pid = int(cls.expect("ready ").split()[1])
        cls.send("connect")
        cls.expect("connected")
        cls.send("stream")
        cls.expect("streaming")
        cls.port = free_port()
        cls.env = env
        # nav-server exports its own servers too (for nav-inspect --live).
        cls.server = subprocess.Popen([NAV_SERVER, "--stun", "--no-tls", "--listening-ip=127.0.0.1",
                                       "--listening-port=0", "--stats-port=%d" % cls.port],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env=dict(env, NAV_DEBUG_EXPORT="1"))
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                if get(cls.port, "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and cls.server.poll() is None
            time.sleep(0.05)

    @classmethod
    def send(cls, line):
        cls.helper.stdin.write(line + "\n")
        cls.helper.stdin.flush()

    @classmethod
    def expect(cls, prefix):
        for line in cls.helper.stdout:
            if line.startswith(prefix):
                return line.strip()
        raise AssertionError("helper ended before " + prefix)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=TIMEOUT)
        cls.send("quit")
        cls.helper.wait(timeout=TIMEOUT)
        cls.helper.stdin.close()
        cls.helper.stdout.close()
        shutil.rmtree(cls.tmp)

    def chromium(self, *args):
        profile = tempfile.mkdtemp()
        try:
            r = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                "--no-first-run", "--user-data-dir=" + profile,
                                "--window-size=1100,1400", "--virtual-time-budget=6000", *args,
                                "http://127.0.0.1:%d/internals" % self.port],
                               capture_output=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout

    def test_server_exported(self):
        r = subprocess.run([NAV_INSPECT, "--live", "%d/stun1" % self.server.pid], capture_output=True,
                           text=True, env=self.env, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("%d/stun1  NavStunServer" % self.server.pid, r.stdout)
        self.assertRegex(r.stdout, r"udp-received +\d+")

    def test_json(self):
        status, ctype, body = get(self.port, "/internals.json")
        self.assertEqual(status, 200)
        j = json.loads(body)
        self.assertIn("stun", j["servers"])
        [proc] = [p for p in j["processes"] if p["pid"] == self.pid]
        stats = proc["objects"]["agent1"]["stats"]
        self.assertIn(stats["T1-1"]["selectedCandidatePairId"], stats)
        status, ctype, body = get(self.port, "/internals")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/html"))

    def test_page_dom(self):
        dom = self.chromium("--dump-dom").decode()
        polls = int(re.search(r'data-polls="(\d+)"', dom).group(1))
        self.assertGreaterEqual(polls, 3, dom[-3000:])
        pair = re.search(r'id="pair-%d-agent1-T1-1"[^>]*>([^<]*)<' % self.pid, dom)
        self.assertIsNotNone(pair, dom[-3000:])
        self.assertRegex(pair.group(1), r"^selected pair CP1-1-\S+: 127\.0\.0\.1:\d+ host udp → "
                         r"127\.0\.0\.1:\d+ host udp, succeeded, RTT \d+\.\d+ ms")
        points = re.search(r'id="graph-bitrate-%d-agent1-T1-1"[^>]*data-points="(\d+)"' % self.pid, dom)
        self.assertIsNotNone(points)
        self.assertGreaterEqual(int(points.group(1)), 2)
        self.assertIn("stun", dom)

    def test_screenshot(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "internals.png")
            self.chromium("--screenshot=" + path)
            with open(path, "rb") as f:
                png = f.read()
        width, height, bpp, rows = png_pixels(png)
        self.assertEqual((width, height), (1100, 1400))
        # The graphs are drawn: their points are squares of the line's
        # colour (five pixels a side), so a few points are many pixels.
        self.assertGreater(count_colour(png, BITRATE), 40)
        self.assertGreater(count_colour(png, RTT), 40)


if __name__ == "__main__":
    NAV_SERVER, HELPER, CHROMIUM, NAV_INSPECT = sys.argv[1:5]
    del sys.argv[1:5]
    unittest.main(verbosity=2)
