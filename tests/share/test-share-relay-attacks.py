#!/usr/bin/python3
"""The WebSocket relay of `nav-server --signaling --relay` under attack
(suite 'attacks'), on loopback with raw WebSocket clients:

    pair        two ends with the same session and token hear "go", and
                binary messages cross both ways unchanged.
    third       a third end with the right session and token is refused
                (4403, session full); the pair goes on.
    token       a second end with a wrong token is refused (4403) and the
                waiting first end can still be joined by the right one.
    garbage     random bytes after the upgrade, a binary message before
                the hello, an unmasked frame, a text message in a
                session, a message over 64 KiB, a bad hello: each closed,
                counted in /stats (relay-garbage, relay-refused).
    pressure    one end writes 96 MiB to a peer that never reads: the
                relay stops reading it (its writes stall well before
                that), so nothing is stored beyond bounded buffers.
    idle        a silent session is closed (4408) after the idle timeout.
    tls         a server with --cert (a certificate made for the test by
                openssl): the relay over wss://, its TLS session handed
                to the relay's thread; a hello sent in the same write as
                the upgrade request, and one in a record right after it
                (read by the worker or still inside GnuTLS at the
                hand-over), both arrive; messages of several records
                cross both ways; a writer to a reader that never reads
                stalls as over ws://.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import base64
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = os.environ.get('NAV_BUILD_ROOT', '')
NAV_SERVER = os.path.join(BUILD, 'tools', 'nav-server')
SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))


def fail(message):
    print('FAIL: ' + message, file=sys.stderr)
    sys.exit(1)


def frame(opcode, payload, mask=True):
    header = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        header += bytes([bit | n])
    elif n < 65536:
        header += bytes([bit | 126]) + struct.pack('!H', n)
    else:
        header += bytes([bit | 127]) + struct.pack('!Q', n)
    if mask:
        m = os.urandom(4)
        header += m
        payload = bytes(b ^ m[i % 4] for i, b in enumerate(payload)) if n < 65536 else \
            (int.from_bytes(payload, 'big') ^ int.from_bytes((m * (n // 4 + 1))[:n], 'big')).to_bytes(n, 'big')
    return header + payload


def hello_frame(session, token):
    return frame(1, ('nav-relay1 %s %s' % (session, token)).encode())


class Ws:
    def __init__(self, port, path='/relay', tls=None, with_request=b'', after_request=b''):
        """@tls: an ssl.SSLContext for wss://; @with_request: bytes sent
        in the same write as the request; @after_request: in a write of
        their own right after it, before the answer."""
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10 * SCALE)
        if tls is not None:
            self.s = tls.wrap_socket(self.s, server_hostname='127.0.0.1')
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                        'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (path, key)).encode()
                       + with_request)
        if after_request:
            self.s.sendall(after_request)
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.s.recv(1)
            if not chunk:
                fail('no answer to the upgrade')
            head += chunk
        if not head.startswith(b'HTTP/1.1 101'):
            fail('upgrade refused: %r' % head)
        self.buf = b''

    def send(self, opcode, payload, mask=True):
        self.s.sendall(frame(opcode, payload, mask))

    def hello(self, session, token):
        self.send(1, ('nav-relay1 %s %s' % (session, token)).encode())

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        """(opcode, payload); (None, None) at EOF."""
        try:
            self._need(2)
            opcode, n = self.buf[0] & 0x0f, self.buf[1] & 0x7f
            off = 2
            if n == 126:
                self._need(4)
                n, off = struct.unpack('!H', self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, off = struct.unpack('!Q', self.buf[2:10])[0], 10
            self._need(off + n)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            return opcode, payload
        except (EOFError, ConnectionResetError):
            return None, None

    def expect_text(self, text):
        opcode, payload = self.recv()
        if opcode != 1 or payload != text.encode():
            fail('expected %r, got %r %r' % (text, opcode, payload))

    def expect_close(self, code):
        opcode, payload = self.recv()
        got = struct.unpack('!H', payload[:2])[0] if opcode == 8 and len(payload) >= 2 else None
        if got != code:
            fail('expected a close %s, got %r %r' % (code, opcode, payload))
        return payload[2:].decode()


def server(port, *extra):
    p = subprocess.Popen([NAV_SERVER, '--signaling', '-L', '127.0.0.1', '--signaling-port', str(port), '--relay']
                         + list(extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10 * SCALE
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return p
        except OSError:
            if time.monotonic() > deadline or p.poll() is not None:
                fail('nav-server --relay did not start')
            time.sleep(0.05)


def stop(p):
    """SIGTERM: the server ends cleanly (under ASan: without a leak)."""
    p.terminate()
    _, err = p.communicate(timeout=30 * SCALE)
    if p.returncode != 0:
        fail('nav-server ended with status %d:\n%s' % (p.returncode, err[-4000:]))


def stats(port, tls=None):
    with urllib.request.urlopen('%s://127.0.0.1:%d/stats' % ('https' if tls else 'http', port), timeout=10,
                                context=tls) as f:
        return json.load(f)


def hexid():
    return os.urandom(32).hex()


def pair(port, session=None, token=None, tls=None):
    """Two ends joined in one session: (first, second, session, token)."""
    session, token = session or hexid(), token or hexid()
    a, b = Ws(port, tls=tls), Ws(port, tls=tls)
    a.hello(session, token)
    a.expect_text('wait')
    b.hello(session, token)
    a.expect_text('go')
    b.expect_text('go')
    return a, b, session, token


def stall(w, what):
    """@w writes to a reader that never reads: it must stall."""
    w.s.setblocking(False)
    one = bytes([0x82, 0x80 | 126]) + struct.pack('!H', 60000) + b'\0\0\0\0' + bytes(60000)
    sent, stalled_since = 0, None
    limit = 96 * 1024 * 1024
    while sent < limit:
        try:
            sent += w.s.send(one[sent % len(one):] if sent % len(one) else one)
            stalled_since = None
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            if stalled_since is None:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > 1.0 * SCALE:
                break
            time.sleep(0.01)
    if sent >= limit:
        fail('the relay over %s took 96 MiB for a reader that never reads' % what)
    print('pressure over %s: the writer stalled after %.1f MiB (kernel buffers of both sockets and the relay\'s '
          'bounded one)' % (what, sent / 1048576))


def tls_case(port):
    """The relay over wss://."""
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
        tls = ssl.create_default_context(cafile=cert)
        q = server(port, '--cert', cert, '--pkey', key)
        try:
            a, b, _, _ = pair(port, tls=tls)
            for src, dst, data in ((a, b, os.urandom(1200)), (b, a, os.urandom(65536)), (a, b, os.urandom(40000))):
                src.send(2, data)
                opcode, got = dst.recv()
                if opcode != 2 or got != data:
                    fail('a message did not cross wss:// unchanged (%r, %d bytes)' % (opcode, len(got or b'')))
            print('tls: messages of several records cross both ways')
            # Hellos that were on their way at the hand-over.
            session, token = hexid(), hexid()
            c = Ws(port, tls=tls, with_request=hello_frame(session, token))
            c.expect_text('wait')
            e = Ws(port, tls=tls, after_request=hello_frame(session, token) + frame(2, b'early data'))
            c.expect_text('go')
            e.expect_text('go')
            if c.recv() != (2, b'early data'):
                fail('the message sent with the hello over wss:// did not arrive')
            print('tls: a hello in the request\'s write and one in the record after it both arrived, '
                  'and the message behind it')
            w, r, _, _ = pair(port, tls=tls)
            stall(w, 'wss://')
            got = stats(port, tls)
            if got.get('relay-sessions-total') != 3:
                fail('the relay over wss:// did not count its sessions: %s' % got)
        finally:
            stop(q)


def main():
    port = 21000 + os.getpid() % 2000
    p = server(port)
    try:
        # pair
        a, b, session, token = pair(port)
        for src, dst, data in ((a, b, os.urandom(1200)), (b, a, os.urandom(60000)), (a, b, b'')):
            src.send(2, data)
            opcode, got = dst.recv()
            if opcode != 2 or got != data:
                fail('a message did not cross unchanged (%r, %d bytes)' % (opcode, len(got or b'')))
        print('pair: messages cross both ways')

        # third
        c = Ws(port)
        c.hello(session, token)
        print('third end refused: %s' % c.expect_close(4403))
        a.send(2, b'still there')
        if b.recv() != (2, b'still there'):
            fail('the pair broke after the third end')

        # token
        s2, t2 = hexid(), hexid()
        d, e, f = Ws(port), Ws(port), Ws(port)
        d.hello(s2, t2)
        d.expect_text('wait')
        e.hello(s2, hexid())
        print('wrong token refused: %s' % e.expect_close(4403))
        f.hello(s2, t2)
        d.expect_text('go')
        f.expect_text('go')
        print('the right end still joins after a wrong token')

        # garbage
        before = stats(port)
        g = Ws(port)
        g.s.sendall(os.urandom(512))
        g.recv()
        h = Ws(port)
        h.send(2, b'data before hello')
        h.expect_close(1002)
        i = Ws(port)
        i.send(1, b'hello', mask=False)
        i.expect_close(1002)
        j = Ws(port)
        j.hello(s2, t2)          # full
        j.expect_close(4403)
        k = Ws(port)
        k.send(1, b'nav-relay1 not-hex at all')
        k.expect_close(4403)
        d.send(1, b'text in a session')
        d.expect_close(1002)
        f.expect_close(4410)     # its other end went
        m, n, _, _ = pair(port)
        m.send(2, os.urandom(70000))
        m.expect_close(1009)
        after = stats(port)
        garbage = after['relay-garbage'] - before['relay-garbage']
        refused = after['relay-refused'] - before['relay-refused']
        if garbage < 5 or refused < 2:
            fail('garbage not counted: %s → %s' % (before, after))
        print('garbage refused and counted: relay-garbage +%d, relay-refused +%d' % (garbage, refused))

        # pressure
        w, r, _, _ = pair(port)

        stall(w, 'ws://')

        tls_case(port + 2)

        # idle: a server whose sessions idle out after 1 s
        q = server(port + 1, '--relay-idle-timeout', '1')
        try:
            x, y, _, _ = pair(port + 1)
            t0 = time.monotonic()
            codes = set()
            for end in (x, y):
                opcode, payload = end.recv()
                if opcode == 8 and len(payload) >= 2:
                    codes.add(struct.unpack('!H', payload[:2])[0])
            if 4408 not in codes:
                fail('the idle session was not closed for idleness: %s' % codes)
        finally:
            stop(q)
        print('idle session closed after %.1f s' % (time.monotonic() - t0))
        final = stats(port)
        print('/stats: %s' % {k: v for k, v in final.items() if k.startswith('relay')})
    finally:
        stop(p)
    return 0


if __name__ == '__main__':
    sys.exit(main())
