#!/usr/bin/python3
"""Issue 14 for nav-server's HTTP stats endpoint (--stats-port), now on
the core's listener (core/net/nav-net-listener.c) like the servers:

1. Descriptor exhaustion: with the daemon's descriptor limit lowered
   while it runs, connections held open to the stats port run it out of
   descriptors; its accept loop backs off ("event=accept-paused
   transport=HTTP") instead of spinning or giving up, the STUN service
   keeps answering Binding over UDP within 100 ms (scaled under
   sanitizers), and once the connections are gone GET /health is
   answered again and the RSS comes back within 20 %.
2. Slow clients: a connection that sends half a request and then
   nothing is closed by the server (5 s request timeout); one that sends
   a request head above 8 KiB gets 431; garbage gets 400.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import http.client
import os
import resource
import socket
import tempfile
import time

import attack_util as au

HELD = 300


def health(port, timeout=2.0):
    try:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
        c.request('GET', '/health')
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status == 200 and b'"ok"' in body
    except OSError:
        return False


def raw(port, data, timeout):
    """Sends @data, returns what the server answers until it closes."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    s.sendall(data)
    out = b''
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=False)
    args = ap.parse_args()

    au.raise_fd_limit(4 * HELD)
    tmp = tempfile.mkdtemp(prefix='nav-attack-stats-')
    log_path = os.path.join(tmp, 'server.log')
    port, stats_port = au.free_port(), au.free_port()
    server = au.Server(args.nav_server, ['--stun', '--no-tls', '--stats-port=%d' % stats_port],
                       port, log_path=log_path)
    held = []
    try:
        if not health(stats_port, 5 * au.TIME_SCALE):
            au.fail('GET /health unanswered before the attack')

        # 2. Slow and bad clients
        start = time.monotonic()
        answer = raw(stats_port, b'GET /health HTTP/1.1\r\nHost: x\r\n', 15 * au.TIME_SCALE)
        waited = time.monotonic() - start
        au.log('half a request: closed after %.1f s, answer %r' % (waited, answer[:40]))
        if waited > 12 * au.TIME_SCALE:
            au.fail('a half request was kept open %.1f s' % waited)
        answer = raw(stats_port, b'GET /stats HTTP/1.1\r\nX-Junk: ' + b'a' * 10000 + b'\r\n\r\n',
                     5 * au.TIME_SCALE)
        if not answer.startswith(b'HTTP/1.1 431'):
            au.fail('a 10 kB request head got %r' % answer[:40])
        answer = raw(stats_port, os.urandom(64) + b'\r\n\r\n', 5 * au.TIME_SCALE)
        if not answer.startswith(b'HTTP/1.1 400'):
            au.fail('garbage got %r' % answer[:40])

        # 1. Descriptor exhaustion
        baseline = au.settle_baseline(server, lambda: health(stats_port))
        fds = au.fd_count(server.pid)
        low = fds + 16
        _, hard = resource.prlimit(server.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (low, hard))
        au.log('baseline RSS %d kB, %d descriptors; limit lowered to %d' % (baseline, fds, low))
        prober = au.Prober(port)
        prober.start()
        for _ in range(HELD):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(('127.0.0.1', stats_port))
            except BlockingIOError:
                pass
            held.append(s)
        time.sleep(2.0)
        au.log('during the attack: %d connections held, the server has %d descriptors'
               % (len(held), au.fd_count(server.pid)))
        prober.finish('during the attack')
        with open(log_path) as f:
            if 'event=accept-paused transport=HTTP' not in f.read():
                au.fail('the stats accept loop never ran out of descriptors: the attack did not bite')

        for s in held:
            s.close()
        held = []
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (max(1024, fds + 64), hard))
        prober = au.Prober(port)
        prober.start()
        deadline = time.monotonic() + 15 * au.TIME_SCALE
        while not health(stats_port):
            if time.monotonic() > deadline:
                au.fail('GET /health is not answered again after the attack')
            time.sleep(0.2)
        prober.finish('after the attack')
        with open(log_path) as f:
            if 'event=accept-resumed transport=HTTP' not in f.read():
                au.fail('no "event=accept-resumed transport=HTTP" in the log')
        au.check_rss_back(server, baseline, 'after the attack')
    except SystemExit:
        server.dump_log()
        raise
    finally:
        for s in held:
            s.close()
        server.stop()
    print('OK')


if __name__ == '__main__':
    main()
