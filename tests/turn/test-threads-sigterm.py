#!/usr/bin/python3
"""Issue 22: SIGTERM stops every worker thread cleanly under load.

tools/nav-server runs STUN and TURN with two relay threads.  Eight UDP
clients allocate (long-term credentials), install a permission for an
echo peer and relay Send indications to it as fast as they can, while
other sockets flood Binding requests; once the load is flowing (the peer
has echoed, the counters printed on SIGUSR1 show both threads' work), the
server gets SIGTERM.  It must exit by itself, with status 0, within a
bound (scaled by NAV_TEST_TIME_SCALE under sanitizers), printing its
final counters and "event=stopped server=turn" — every thread joined, no
sanitizer report.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import socket
import tempfile
import threading
import time

import attack_util as au

USER, PASSWORD, REALM = 'alice', 'secret', 'example.org'
CLIENTS = 8
EXIT_BOUND_S = 5.0 * au.TIME_SCALE
TIMEOUT = 2.0 * au.TIME_SCALE


def allocate(sock, addr, key, peer_port):
    """An allocation with a permission for the peer (401 dance)."""
    t, attrs = au.exchange(sock, au.build(au.ALLOCATE, [(au.ATTR_REQUESTED_TRANSPORT, b'\x11\0\0\0')]), addr, TIMEOUT)
    if au.error_code(attrs) != 401:
        au.fail('Allocate without credentials: %r' % (au.error_code(attrs),))
    nonce = attrs[au.ATTR_NONCE]
    auth = [(au.ATTR_USERNAME, USER.encode()), (au.ATTR_REALM, REALM.encode()), (au.ATTR_NONCE, nonce)]
    t, attrs = au.exchange(sock, au.build(au.ALLOCATE, [(au.ATTR_REQUESTED_TRANSPORT, b'\x11\0\0\0')] + auth,
                                          key), addr, TIMEOUT)
    if t != 0x0103:
        au.fail('Allocate refused: %r' % (au.error_code(attrs),))
    t, attrs = au.exchange(sock, au.build(au.CREATE_PERMISSION,
                                          [(au.ATTR_XOR_PEER_ADDRESS, au.xor_address('127.0.0.1', peer_port))]
                                          + auth, key), addr, TIMEOUT)
    if t != 0x0108:
        au.fail('CreatePermission refused: %r' % (au.error_code(attrs),))


class Echo(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.running = True

    def run(self):
        while self.running:
            try:
                data, src = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            self.count += 1
            try:
                self.sock.sendto(data, src)
            except OSError:
                pass


class Load(threading.Thread):
    """Send indications to the peer (and Binding requests) until told."""

    def __init__(self, socks, addr, peer_port):
        super().__init__(daemon=True)
        self.socks, self.addr = socks, addr
        self.running = True
        self.sent = 0
        payload = os.urandom(200)
        self.indication = au.build(au.SEND_INDICATION,
                                   [(au.ATTR_XOR_PEER_ADDRESS, au.xor_address('127.0.0.1', peer_port)),
                                    (au.ATTR_DATA, payload)])
        self.binding = au.binding_request()[0]
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.setblocking(False)

    def run(self):
        while self.running:
            for s in self.socks:
                try:
                    s.sendto(self.indication, self.addr)
                    self.other.sendto(self.binding, self.addr)
                    self.sent += 2
                except OSError:
                    pass
                # drain what the server sent back (Data indications)
                try:
                    while True:
                        s.recv(4096, socket.MSG_DONTWAIT)
                except OSError:
                    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=False)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='nav-threads-sigterm-')
    log_path = os.path.join(tmp, 'server.log')
    port = au.free_port()
    server = au.Server(args.nav_server,
                       ['--stun', '--turn', '--relay-threads=2', '--lt-cred-mech',
                        '--user=%s:%s' % (USER, PASSWORD), '--realm=' + REALM,
                        '--allow-loopback-peers', '--relay-ip=127.0.0.1', '--no-tls'],
                       port, log_path=log_path)
    addr = ('127.0.0.1', port)
    key = au.long_term_key(USER, REALM, PASSWORD)
    echo = Echo()
    echo.start()
    socks = []
    for _ in range(CLIENTS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        allocate(s, addr, key, echo.port)
        socks.append(s)
    for s in socks:
        s.setblocking(False)
    loads = [Load(socks[i::2], addr, echo.port) for i in range(2)]
    for load in loads:
        load.start()

    deadline = time.monotonic() + 10 * au.TIME_SCALE
    while echo.count < 1000 and time.monotonic() < deadline:
        time.sleep(0.05)
    counters = server.counters()
    au.log('under load: echoed %d, threads=%d allocations=%d send-indications=%d handed-over=%d'
           % (echo.count, counters.get('threads', -1), counters.get('allocations', -1),
              counters.get('send-indications', -1), counters.get('handed-over', -1)))
    if echo.count < 1000:
        server.dump_log()
        au.fail('the load does not flow: %d datagrams echoed' % echo.count)
    if counters.get('threads') != 2 or counters.get('allocations') != CLIENTS:
        au.fail('expected 2 threads and %d allocations: %r' % (CLIENTS, counters))

    start = time.monotonic()
    server.proc.terminate()
    try:
        status = server.proc.wait(timeout=EXIT_BOUND_S)
    except Exception:
        server.proc.kill()
        server.proc.wait()
        server.dump_log()
        au.fail('nav-server did not exit within %.1f s of SIGTERM under load' % EXIT_BOUND_S)
    elapsed = time.monotonic() - start
    for load in loads:
        load.running = False
    echo.running = False
    sent = sum(load.sent for load in loads)
    au.log('SIGTERM under load (%d datagrams sent): exit status %d after %.0f ms (bound %.0f ms)'
           % (sent, status, elapsed * 1000, EXIT_BOUND_S * 1000))
    with open(log_path) as f:
        text = f.read()
    if status != 0:
        server.dump_log()
        au.fail('nav-server exited with status %d' % status)
    for needed in ('event=shutdown signal=SIGTERM', 'event=stats when=exit', 'event=stopped server=turn'):
        if needed not in text:
            server.dump_log()
            au.fail('no "%s" in the log' % needed)
    if 'Sanitizer' in text:
        server.dump_log()
        au.fail('a sanitizer report')
    server.stop()
    print('PASS: SIGTERM under load stopped every worker cleanly')


if __name__ == '__main__':
    main()
