#!/usr/bin/python3
"""nav-server --turn --stats-port: the HTTP stats endpoint, on loopback.

Starts nav-server --turn with --stats-port, relays messages through it
with tools/nav-turn to a UDP echo peer run by this script, then checks
that GET /stats (JSON) and GET /metrics (Prometheus text) show the
allocation, the packets and the bytes, that /health answers, that
unknown paths get 404 and other methods 405, and that garbage on the
stats port (binary noise, half requests, huge headers, early closes)
does not kill the daemon.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

USER, PASSWORD, REALM = 'alice', 'wonderland', 'example.org'
IP = '127.0.0.1'


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind((IP, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_tcp_port():
    for _ in range(100):
        port = free_port(socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind((IP, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
    fail('no free port')


def echo_peer(sock, stop):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        sock.sendto(data, addr)


def get(port, path, method='GET'):
    c = http.client.HTTPConnection(IP, port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode('utf-8', 'replace')
    c.close()
    return r.status, r.getheader('Content-Type', ''), body


def wait_http(port, proc):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail('nav-server exited early with status %d' % proc.returncode)
        try:
            return get(port, '/health')
        except OSError:
            time.sleep(0.1)
    fail('the stats endpoint never answered')


def garbage(port):
    """Malformed HTTP on the stats port: each must leave the server up."""
    payloads = [
        bytes(range(256)) * 4,
        b'GET /stats HTTP/1.1\r\n',                      # never finished
        b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b'\0' * 64,  # a TLS hello
        b'GET /' + b'A' * 70000 + b' HTTP/1.1\r\n\r\n',  # huge request line
        b'GET /stats HTTP/1.1\r\nHost: x\r\n' + b'X-A: ' + b'b' * 100000 + b'\r\n\r\n',
        b'POST /stats HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\nabc',
        b'GET /stats HTTP/9.9\r\n\r\n',
        b'\r\n\r\n\r\n',
        b'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
        b'GET /stats HTTP/1.1\r\nContent-Length: -1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]
    for p in payloads:
        s = socket.create_connection((IP, port), timeout=5)
        try:
            s.sendall(p)
            s.settimeout(0.5)
            try:
                s.recv(4096)
            except (socket.timeout, OSError):
                pass
        except OSError:
            pass   # the server may close first: that is fine
        finally:
            s.close()
    # connections opened and dropped at once
    for _ in range(50):
        socket.create_connection((IP, port), timeout=5).close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--nav-turn', required=True)
    args = ap.parse_args()

    port = free_udp_tcp_port()
    stats_port = free_port()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((IP, 0))
    peer_port = peer.getsockname()[1]
    stop = threading.Event()
    peer_thread = threading.Thread(target=echo_peer, args=(peer, stop), daemon=True)
    peer_thread.start()

    log = tempfile.TemporaryFile(mode='w+')
    argv = [args.nav_server, '--turn', '--listening-ip=' + IP, '--relay-ip=' + IP,
            '--listening-port=%d' % port, '--no-tls', '--realm=' + REALM,
            '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD), '--allow-loopback-peers',
            '--stats-port=%d' % stats_port]
    print('# starting: ' + ' '.join(argv))
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        status, ctype, body = wait_http(stats_port, server)
        if status != 200 or json.loads(body).get('status') != 'ok' or 'turn' not in json.loads(body)['servers']:
            fail('/health: %d %s' % (status, body))

        # nothing relayed yet
        status, _, body = get(stats_port, '/stats')
        before = json.loads(body)['turn']
        if before['allocations-total'] != 0 or before['bytes-to-peer'] != 0:
            fail('counters not zero before any client: %s' % body)

        count, size = 20, 200
        cmd = [args.nav_turn, '--server=%s:%d' % (IP, port), '--user=' + USER,
               '--password=' + PASSWORD, '--peer=%s:%d' % (IP, peer_port),
               '--count=%d' % count, '--size=%d' % size, '--channel']
        print('# running: ' + ' '.join(cmd))
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        print('\n'.join('# nav-turn: ' + line for line in p.stdout.splitlines()))
        if p.returncode != 0:
            fail('nav-turn exited with status %d' % p.returncode)

        garbage(stats_port)
        if server.poll() is not None:
            fail('nav-server died on garbage HTTP (status %d)' % server.returncode)

        status, ctype, body = get(stats_port, '/stats')
        if status != 200 or not ctype.startswith('application/json'):
            fail('/stats: %d %s' % (status, ctype))
        turn = json.loads(body)['turn']
        print('# /stats turn: ' + json.dumps(turn, sort_keys=True))
        for key in ('allocations-total', 'allocate-requests', 'channel-bind-requests',
                    'packets-to-peer', 'packets-from-peer', 'bytes-to-peer', 'bytes-from-peer',
                    'received', 'answered', 'error-401'):
            if turn.get(key, 0) <= 0:
                fail('/stats: %s is %r, expected > 0' % (key, turn.get(key)))
        if turn['packets-to-peer'] < count or turn['bytes-to-peer'] < count * size:
            fail('/stats: relayed %d packets, %d bytes; expected at least %d, %d'
                 % (turn['packets-to-peer'], turn['bytes-to-peer'], count, count * size))
        # nav-turn took the server's first offer, SHA-256 (RFC 8489 §9.2.1)
        if turn.get('auth-sha256', 0) <= 0 or turn.get('auth-md5', -1) != 0:
            fail('/stats: nav-turn did not authenticate with SHA-256 only (auth-sha256=%r auth-md5=%r)'
                 % (turn.get('auth-sha256'), turn.get('auth-md5')))
        for key in ('errors', 'dropped', 'allocations'):
            if key not in turn:
                fail('/stats lacks %s' % key)

        status, ctype, body = get(stats_port, '/metrics')
        if status != 200 or not ctype.startswith('text/plain'):
            fail('/metrics: %d %s' % (status, ctype))
        metrics = {}
        for line in body.splitlines():
            if line.startswith('#'):
                continue
            m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*) (\d+)', line)
            if m is None:
                fail('/metrics: not Prometheus text: %r' % line)
            metrics[m.group(1)] = int(m.group(2))
        for name in ('nav_turn_allocations_total', 'nav_turn_bytes_to_peer_total',
                     'nav_turn_bytes_from_peer_total', 'nav_turn_packets_to_peer_total',
                     'nav_turn_packets_from_peer_total'):
            if metrics.get(name, 0) <= 0:
                fail('/metrics: %s is %r, expected > 0' % (name, metrics.get(name)))
        if 'nav_turn_allocations' not in metrics or 'nav_turn_errors_total' not in metrics:
            fail('/metrics lacks the allocations gauge or the errors counter')
        if '# TYPE nav_turn_allocations gauge' not in body:
            fail('/metrics: allocations is not a gauge')

        status, _, _ = get(stats_port, '/nothing')
        if status != 404:
            fail('/nothing: %d, expected 404' % status)
        status, _, _ = get(stats_port, '/stats', 'POST')
        if status != 405:
            fail('POST /stats: %d, expected 405' % status)
    finally:
        stop.set()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                fail('nav-server did not stop on SIGTERM')
        log.seek(0)
        out = log.read()
        print('\n'.join('# server: ' + line for line in out.splitlines()[-8:]))
    if server.returncode != 0:
        fail('nav-server exited with status %d after SIGTERM' % server.returncode)
    if 'event=stats-listening' not in out:
        fail('nav-server did not log its stats endpoint')
    print('PASS')


if __name__ == '__main__':
    main()
