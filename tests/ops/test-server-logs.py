#!/usr/bin/python3
"""What operators rely on (issue 20 item 6), against tools/nav-server on
loopback:

- a TURN client with a wrong password (tools/nav-turn, and coturn's
  turnutils_uclient) and one with an unknown user are each logged once
  per refused request at info, `event=auth-failed` with the client's
  address and the user, matched by the fail2ban filter documented in
  docs/servers.md; they are counted as `auth-failures` apart from the
  401 challenges (`error-401`), which a successful client also gets and
  which are not logged;
- an allocation is logged at info when created and when deleted;
- the signaling server exports `connections` as a counter
  (nav_signaling_connections_total) and the open connections as a gauge
  (nav_signaling_open_connections) that goes up and down;
- `--lt-cred-mech` with no user, or an empty --userdb, is refused at
  start with a message that says so.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import IP, SCALE, Server, fail, free_port, free_udp_tcp_port, metrics, options, stats  # noqa: E402

USER, PASSWORD, REALM = 'alice', 'wonderland', 'example.org'


def fail2ban_regex(docs):
    """The failregex of docs/servers.md, with fail2ban's <HOST> as an IP."""
    text = open(docs, encoding='utf-8').read()
    m = re.search(r'^failregex = (.*)$', text, re.M)
    if m is None:
        fail('docs/servers.md has no fail2ban failregex')
    return re.compile(m.group(1).strip().replace('<HOST>', r'(?P<host>[0-9a-fA-F.:]+)'))


def run(cmd, timeout=60):
    print('# running: ' + ' '.join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout * SCALE)
    for line in p.stdout.splitlines()[-6:]:
        print('#   ' + line)
    return p


def auth_failed_lines(server, user):
    return [line for line in server.text().splitlines()
            if 'event=auth-failed' in line and 'user="%s"' % user in line]


def test_turn(args, failregex):
    port = free_udp_tcp_port()
    stats_port = free_port()
    server = Server(args.nav_server, [
        '--turn', '--listening-ip=' + IP, '--relay-ip=' + IP, '--listening-port=%d' % port,
        '--no-tls', '--realm=' + REALM, '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD),
        '--allow-loopback-peers', '--stats-port=%d' % stats_port, '--threads=0'])
    try:
        server.wait_http(stats_port)

        # the right credentials: allocated then deleted, both at info, and
        # its 401 challenge is not a failure
        p = run([args.nav_turn, '--server=%s:%d' % (IP, port), '--user=' + USER,
                 '--password=' + PASSWORD])
        if p.returncode != 0:
            fail('nav-turn with the right password failed')
        created = server.wait_line(r'level=info domain=nav-turn event=allocation-created '
                                   r'client=127\.0\.0\.1:\d+ via=udp relay=127\.0\.0\.1:\d+ '
                                   r'transport=udp user="alice" lifetime=\d+')
        deleted = server.wait_line(r'level=info domain=nav-turn event=allocation-deleted '
                                   r'client=127\.0\.0\.1:\d+ via=udp relay=127\.0\.0\.1:\d+ user="alice" reason=\S+')
        print('# ' + created + '\n# ' + deleted)
        s = stats(stats_port)['turn']
        if s['error-401'] < 1 or s['auth-failures'] != 0 or auth_failed_lines(server, USER):
            fail('a successful client counted or logged as an auth failure: error-401=%d auth-failures=%d'
                 % (s['error-401'], s['auth-failures']))

        # a wrong password
        p = run([args.nav_turn, '--server=%s:%d' % (IP, port), '--user=' + USER, '--password=wrong'])
        if p.returncode == 0:
            fail('nav-turn with a wrong password succeeded')
        line = server.wait_line(r'level=info domain=nav-turn event=auth-failed '
                                r'client=127\.0\.0\.1:\d+ via=udp user="alice" reason=bad-integrity')
        print('# ' + line)
        m = failregex.search(line)
        if m is None or m.group('host') != IP:
            fail('the fail2ban filter of docs/servers.md does not match %r' % line)

        # an unknown user, with a name that tries to forge a key
        p = run([args.nav_turn, '--server=%s:%d' % (IP, port), '--user=mallory" reason=ok',
                 '--password=x'])
        if p.returncode == 0:
            fail('nav-turn with an unknown user succeeded')
        line = server.wait_line(r'event=auth-failed client=127\.0\.0\.1:\d+ via=udp '
                                r'user="mallory\\" reason=ok" reason=unknown-user$')
        print('# ' + line)

        # coturn's client with a wrong password, over TCP
        uclient = shutil.which('turnutils_uclient')
        if uclient is None:
            fail('turnutils_uclient (coturn) is not installed: run tools/setup.sh')
        before = len(auth_failed_lines(server, 'bob'))
        run([uclient, '-t', '-u', 'bob', '-w', 'nope', '-r', REALM, '-n', '1', '-c', '-y',
             '-p', str(port), IP], timeout=30)
        line = server.wait_line(r'event=auth-failed client=127\.0\.0\.1:\d+ via=tcp '
                                r'user="bob" reason=unknown-user')
        print('# ' + line)
        if len(auth_failed_lines(server, 'bob')) <= before:
            fail('turnutils_uclient\'s refused request was not logged')

        # one failure counted per line, and apart from the 401 challenges
        time.sleep(0.2)
        s = stats(stats_port)['turn']
        n_lines = len([l for l in server.text().splitlines() if 'event=auth-failed' in l])
        print('# auth-failures=%d error-401=%d lines=%d' % (s['auth-failures'], s['error-401'], n_lines))
        if s['auth-failures'] != n_lines or n_lines < 3:
            fail('auth-failures=%d but %d auth-failed lines' % (s['auth-failures'], n_lines))
        if s['error-401'] <= s['auth-failures']:
            fail('the 401 challenges are not counted apart: error-401=%d auth-failures=%d'
                 % (s['error-401'], s['auth-failures']))
        values, types = metrics(stats_port)
        if types.get('nav_turn_auth_failures_total') != 'counter' or \
           values.get('nav_turn_auth_failures_total') != s['auth-failures']:
            fail('/metrics: nav_turn_auth_failures_total is %r (%r)'
                 % (values.get('nav_turn_auth_failures_total'), types.get('nav_turn_auth_failures_total')))
    finally:
        status = server.stop()
    if status != 0:
        fail('nav-server exited with %d' % status)


def ws_open(port):
    s = socket.create_connection((IP, port), timeout=10)
    s.sendall(('GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
               % (IP, port)).encode())
    head = b''
    while b'\r\n\r\n' not in head:
        chunk = s.recv(4096)
        if not chunk:
            fail('the signaling server closed the WebSocket handshake')
        head += chunk
    if not head.startswith(b'HTTP/1.1 101'):
        fail('WebSocket handshake: %r' % head[:80])
    return s


def wait_metric(stats_port, name, value):
    deadline = time.monotonic() + 10 * SCALE
    while time.monotonic() < deadline:
        values, types = metrics(stats_port)
        if values.get(name) == value:
            return values, types
        time.sleep(0.05)
    fail('/metrics: %s is %r, expected %d' % (name, values.get(name), value))


def test_signaling(args):
    port = free_port()
    stats_port = free_port()
    server = Server(args.nav_server, ['--signaling', '--listening-ip=' + IP,
                                      '--signaling-port=%d' % port, '--stats-port=%d' % stats_port])
    try:
        server.wait_http(stats_port)
        socks = [ws_open(port), ws_open(port)]
        values, types = wait_metric(stats_port, 'nav_signaling_open_connections', 2)
        if types.get('nav_signaling_open_connections') != 'gauge':
            fail('open connections are not a gauge: %r' % types.get('nav_signaling_open_connections'))
        if types.get('nav_signaling_connections_total') != 'counter':
            fail('connections is not exported as a counter: %r'
                 % {k: v for k, v in types.items() if 'signaling' in k})
        if 'nav_signaling_connections' in values:
            fail('connections is still exported as a gauge')
        if values.get('nav_signaling_connections_total') != 2:
            fail('nav_signaling_connections_total is %r, expected 2'
                 % values.get('nav_signaling_connections_total'))
        for s in socks:
            s.close()
        values, _ = wait_metric(stats_port, 'nav_signaling_open_connections', 0)
        if values.get('nav_signaling_connections_total') != 2:
            fail('the connection counter went down: %r' % values.get('nav_signaling_connections_total'))
        print('# signaling: connections_total=2, open 2 then 0')
    finally:
        status = server.stop()
    if status != 0:
        fail('nav-server --signaling exited with %d' % status)


def test_no_users(args):
    with tempfile.TemporaryDirectory() as tmp:
        userdb = os.path.join(tmp, 'users')
        with open(userdb, 'w') as f:
            f.write('# nobody yet\n')
        for extra in ([], ['--userdb=' + userdb]):
            argv = [args.nav_server, '--turn', '--listening-ip=' + IP, '--relay-ip=' + IP,
                    '--listening-port=0', '--no-tls', '--realm=' + REALM, '--lt-cred-mech'] + extra
            p = run(argv, timeout=30)
            if p.returncode != 1 or 'has no users' not in p.stdout:
                fail('--lt-cred-mech without users: status %d, %r' % (p.returncode, p.stdout))


def main():
    args = options('nav-server', 'nav-turn', 'docs')

    failregex = fail2ban_regex(args.docs)
    test_no_users(args)
    test_turn(args, failregex)
    test_signaling(args)
    print('PASS')


if __name__ == '__main__':
    main()
