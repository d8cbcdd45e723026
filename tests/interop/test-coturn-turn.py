#!/usr/bin/python3
"""Interop: our TURN client (tools/nav-turn) against a real coturn turnserver
on loopback, relaying to a real echo peer and back.

    udp-channel, udp-indication       long-term credentials over UDP
    tcp-channel, tcp-indication       ... over TCP
    tls-channel, tls-indication       ... over TLS (self-signed certificate)
    udp-rest, tls-rest                TURN REST API credentials (use-auth-secret)
    tcp-relay, tls-tcp-relay          RFC 6062 TCP allocation to a TCP echo peer
    dont-fragment                     DONT-FRAGMENT accepted by coturn
    ipv6-relay                        REQUESTED-ADDRESS-FAMILY IPv6 (RFC 6156), to
                                      an IPv6 echo peer
    stale-nonce                       coturn's nonces expire after 1 s: the 438
                                      is answered with the new nonce
    alternate-server                  a coturn answering 300 ALTERNATE-SERVER
                                      sends us to a second coturn
    refresh, refresh-indication       coturn grants 4 s allocations, channels and
                                      permissions: we refresh all three in time
                                      and lose nothing over 5 s
    gatherer-udp, gatherer-tls        the relay gatherer through the registry:
                                      a relayed candidate whose transport
                                      relays to the echo peer and back
    incoming-udp                      nav-turn --echo: a peer sends to the relayed
                                      address first (permission, Data indications)
    incoming-tcp-relay                ... and connects to a TCP relayed address:
                                      ConnectionAttempt, ConnectionBind (RFC 6062 §4.4)
    wrong-password, wrong-secret      refused: non-zero exit and a clear reason
    peer-forbidden                    loopback peers denied by coturn: 403, exit 1
    tcp-relay-refused                 RFC 6062 Connect to a closed port: 447, exit 1
    unreachable                       no server: non-zero exit and a clear reason

The UDP echo peer is coturn's turnutils_peer; the TCP echo peer a small
Python server.  coturn's own log (-v) must show the methods we claim to use:
CHANNEL_BIND or CREATE_PERMISSION, CONNECT and CONNECTION_BIND, and the
Refresh with lifetime 0 that deletes the allocation.

A missing coturn binary is a failure, never a skip.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import importlib.util
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location(
    'coturn_helpers', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test-coturn.py'))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
fail = helpers.fail
need = helpers.need
free_port = helpers.free_port

USER, PASSWORD, REALM, SECRET = 'alice', 'wonderland', 'example.org', 'sh4red-s3cret'
COUNT = 50


class TcpEcho:
    """A TCP echo peer for the RFC 6062 case."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    @staticmethod
    def serve(c):
        with c:
            while True:
                data = c.recv(65536)
                if not data:
                    return
                c.sendall(data)

    def close(self):
        self.sock.close()


def run(argv):
    """helpers.run, failing on any sanitizer report (ASan builds)."""
    p = helpers.run(argv)
    for marker in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'):
        if marker in p.stdout:
            fail('%s reported by %s' % (marker, os.path.basename(argv[0])))
    return p


def wait_udp_peer(port, ip='127.0.0.1'):
    """turnutils_peer echoes: wait until it does."""
    deadline = time.monotonic() + helpers.TIMEOUT
    family = socket.AF_INET6 if ':' in ip else socket.AF_INET
    while time.monotonic() < deadline:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(b'ping', (ip, port))
            if s.recvfrom(64)[0] == b'ping':
                return
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    fail('turnutils_peer on port %d never echoed' % port)


def start_coturn(tmp, rest, extra=(), name='turnserver', loopback_peers=True):
    turnserver = need('turnserver')
    cert = os.path.join(tmp, 'cert.pem')
    key = os.path.join(tmp, 'key.pem')
    port = free_port(2)
    tls_port = free_port(2)
    argv = [turnserver, '-n', '-v', '--no-cli', '--no-dtls',
            '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
            '--listening-port=%d' % port, '--tls-listening-port=%d' % tls_port,
            '--cert=' + cert, '--pkey=' + key, '--realm=' + REALM,
            '--pidfile=' + os.path.join(tmp, name + '.pid'),
            '--userdb=' + os.path.join(tmp, name + '.db'),
            '--log-file=stdout', '--simple-log'] + list(extra)
    if loopback_peers:
        argv += ['--allow-loopback-peers']
    if rest:
        argv += ['--use-auth-secret', '--static-auth-secret=' + SECRET]
    else:
        argv += ['--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD)]
    log = open(os.path.join(tmp, name + '.log'), 'w+')
    server = helpers.Server(argv, log)
    helpers.wait_udp('127.0.0.1', port, server.proc)
    helpers.wait_tcp('127.0.0.1', tls_port, server.proc)
    return server, log, port, tls_port, cert


def incoming(args, case, port):
    """nav-turn serves as the echo behind the relay; a peer reaches it."""
    tcp = case == 'incoming-tcp-relay'
    argv = [args.nav_turn, '--server', '127.0.0.1:%d' % port, '--user', USER,
            '--password', PASSWORD, '--echo', '--permit', '127.0.0.1']
    if tcp:
        argv += ['--tcp', '--tcp-relay']
    print('# running: ' + ' '.join(argv))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    relayed = None
    try:
        for line in proc.stdout:
            print(line, end='')
            m = re.match(r'Relayed address: (\S+):(\d+) \((\w+)\)$', line)
            if m:
                relayed = (m.group(1), int(m.group(2)))
            if line.startswith('Echoing'):
                break
        if relayed is None or proc.poll() is not None:
            fail('nav-turn --echo did not allocate')
        echoed = 0
        for i in range(COUNT):
            msg = os.urandom(16) + b'incoming %d' % i
            if tcp:
                with socket.create_connection(relayed, timeout=helpers.TIMEOUT) as c:
                    c.sendall(msg)
                    got = b''
                    while len(got) < len(msg):
                        chunk = c.recv(len(msg) - len(got))
                        if not chunk:
                            break
                        got += chunk
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
                    c.settimeout(helpers.TIMEOUT)
                    c.sendto(msg, relayed)
                    got = c.recvfrom(2048)[0]
            echoed += got == msg
        if echoed != COUNT:
            fail('%d of %d messages came back through the relay' % (echoed, COUNT))
    finally:
        if proc.poll() is None:
            proc.terminate()
        rest = proc.communicate(timeout=helpers.TIMEOUT)[0]
        print(rest)
    for marker in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'):
        if marker in rest:
            fail('%s reported by nav-turn' % marker)
    if proc.returncode != 0:
        fail('nav-turn --echo exited with %d' % proc.returncode)
    if 'Echoed: %d messages' % COUNT not in rest or 'Allocation deleted' not in rest:
        fail('nav-turn --echo did not count the echoes or delete the allocation')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-turn', required=True)
    ap.add_argument('--make-cert', required=True)
    ap.add_argument('--gatherer-check')
    ap.add_argument('case')
    args = ap.parse_args()
    case = args.case

    with tempfile.TemporaryDirectory(prefix='nav-turn-interop-') as tmp:
        subprocess.run([args.make_cert, os.path.join(tmp, 'cert.pem'),
                        os.path.join(tmp, 'key.pem')], check=True)
        rest = case.endswith('-rest') or case == 'wrong-secret'
        extra = []
        if case == 'ipv6-relay':
            extra = ['--relay-ip=::1']
        elif case == 'stale-nonce':
            extra = ['--stale-nonce=1']
        elif case.startswith('refresh'):
            extra = ['--max-allocate-lifetime=4', '--channel-lifetime=4',
                     '--permission-lifetime=4']
        server, log, port, tls_port, cert = start_coturn(
            tmp, rest, extra, loopback_peers=case != 'peer-forbidden')
        redirector = None
        peer = None
        echo = None
        peer_ip = '[::1]' if case == 'ipv6-relay' else '127.0.0.1'
        try:
            tcp_relay = case.startswith(('tcp-relay', 'tls-tcp-relay'))
            if case == 'tcp-relay-refused':
                peer_port = free_port()
            elif tcp_relay:
                echo = TcpEcho()
                peer_port = echo.port
            else:
                peer_port = free_port()
                peer = subprocess.Popen([need('turnutils_peer'), '-p', str(peer_port),
                                         '-L', peer_ip.strip('[]')],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_udp_peer(peer_port, peer_ip.strip('[]'))
            if case == 'alternate-server':
                redirector, rlog, rport, _, _ = start_coturn(
                    tmp, False, ['--alternate-server=127.0.0.1:%d' % port], name='redirector')

            argv = [args.nav_turn, '--peer', '%s:%d' % (peer_ip, peer_port),
                    '--count', str(COUNT), '--size', '333']
            if case.startswith('tls'):
                argv += ['--tls', '--server', '127.0.0.1:%d' % tls_port, '--ca-file', cert]
            elif case.startswith('tcp'):
                argv += ['--tcp', '--server', '127.0.0.1:%d' % port]
            elif case == 'unreachable':
                argv += ['--server', '127.0.0.1:%d' % free_port(), '--rto', '100',
                         '--retransmissions', '3']
            elif case == 'alternate-server':
                argv += ['--server', '127.0.0.1:%d' % rport]
            else:
                argv += ['--server', '127.0.0.1:%d' % port]
            if case == 'ipv6-relay':
                argv += ['--ipv6']
            if case == 'stale-nonce':
                # 50 messages 60 ms apart: the nonce (1 s) is stale by the
                # final Refresh.
                argv += ['--interval', '60']
            if case.startswith('refresh'):
                # 50 messages 100 ms apart outlive every 4 s lifetime.
                argv += ['--interval', '100', '--lifetime', '4',
                         '--channel-refresh', '2', '--permission-refresh', '2']
            if tcp_relay:
                argv += ['--tcp-relay']
            if case.endswith('-indication'):
                argv += ['--indication']
            if case == 'dont-fragment':
                argv += ['--dont-fragment']
            if rest:
                argv += ['--user', 'bob', '--auth-secret',
                         'not-the-secret' if case == 'wrong-secret' else SECRET]
            else:
                argv += ['--user', USER, '--password',
                         'not-the-password' if case == 'wrong-password' else PASSWORD]

            if case.startswith('incoming-'):
                incoming(args, case, port)
            elif case.startswith('gatherer-'):
                transport = case[len('gatherer-'):]
                server_port = tls_port if transport == 'tls' else port
                p = run([args.gatherer_check, '127.0.0.1:%d' % server_port, transport,
                                 USER, PASSWORD, '127.0.0.1:%d' % peer_port])
                if p.returncode != 0:
                    fail('the relay gatherer check exited with %d' % p.returncode)
                if not re.search(r'^candidate: .*relay', p.stdout, re.M):
                    fail('no relay candidate printed')
                if 'echo received through the relay transport' not in p.stdout:
                    fail('no echo through the relay transport')
            else:
                p = run(argv)
            if case in ('wrong-password', 'wrong-secret'):
                if p.returncode == 0:
                    fail('nav-turn succeeded with wrong credentials')
                if '401' not in p.stdout or 'wrong username or password' not in p.stdout:
                    fail('nav-turn did not say the credentials were refused')
                if 'Relayed address' in p.stdout:
                    fail('nav-turn reported an allocation with wrong credentials')
                print('ok: %s refused by coturn with a clear reason' % case)
                return
            if case in ('peer-forbidden', 'tcp-relay-refused'):
                code = '403' if case == 'peer-forbidden' else '447'
                if p.returncode == 0:
                    fail('nav-turn succeeded although coturn refused the peer')
                if code not in p.stdout:
                    fail('nav-turn did not report the %s from coturn' % code)
                print('ok: %s reported (%s)' % (case, code))
                return
            if case == 'unreachable':
                if p.returncode == 0:
                    fail('nav-turn succeeded without a server')
                if 'unreachable' not in p.stdout and 'no response' not in p.stdout:
                    fail('nav-turn did not say the server was unreachable')
                print('ok: unreachable server reported')
                return

            if not case.startswith(('gatherer-', 'incoming-')):
                if p.returncode != 0:
                    fail('nav-turn exited with %d' % p.returncode)
                transport = 'tcp' if tcp_relay else 'udp'
                relayed_ip = r'\[::1\]' if case == 'ipv6-relay' else r'127\.0\.0\.1'
                if not re.search(r'^Relayed address: %s:\d+ \(%s\)$' % (relayed_ip, transport),
                                 p.stdout, re.M):
                    fail('no relayed address printed')
                if case.startswith('refresh') and 'Refreshes:' not in p.stdout:
                    fail('the allocation was never refreshed')
                if case == 'stale-nonce' and 'Stale nonces renewed:' not in p.stdout:
                    fail('coturn never answered 438 Stale Nonce, or we did not renew')
                if case == 'alternate-server' and \
                        ('Server: 127.0.0.1:%d (udp)' % port) not in p.stdout:
                    fail('nav-turn did not follow ALTERNATE-SERVER to port %d' % port)
                if not re.search(r'^Mapped address: 127\.0\.0\.1:\d+$', p.stdout, re.M):
                    fail('no mapped address printed')
                if not re.search(r'^Lifetime: \d+ s$', p.stdout, re.M):
                    fail('no lifetime printed')
                if ('Messages: %d sent, %d received, 0 lost (0.0%%), 0 corrupted'
                        % (COUNT, COUNT)) not in p.stdout:
                    fail('not every message came back intact')
                if not re.search(r'^Round-trip time: min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$',
                                 p.stdout, re.M):
                    fail('no round-trip times printed')
                if 'Allocation deleted' not in p.stdout:
                    fail('the allocation was not deleted')
                if tcp_relay and echo.connections < 1:
                    fail('the TCP echo peer saw no connection from the relay')
        finally:
            if peer is not None:
                peer.kill()
                peer.wait()
            if echo is not None:
                echo.close()
            if redirector is not None:
                redirector.stop()
                rlog.seek(0)
                print('# redirector log (tail):\n' + ''.join(rlog.readlines()[-8:]))
            server.stop()
            log.seek(0)
            text = log.read()
            print('# turnserver log (tail):\n' + ''.join(text.splitlines(True)[-25:]))

        # What coturn saw, from its own log.
        expect = ['ALLOCATE processed, success', 'lifetime=0']
        if case == 'stale-nonce':
            expect += ['438']
        if case.startswith('gatherer-'):
            expect += ['CHANNEL_BIND processed, success']
        elif case == 'incoming-udp':
            expect += ['CREATE_PERMISSION processed, success', 'CHANNEL_BIND processed, success']
        elif case == 'incoming-tcp-relay':
            expect += ['CREATE_PERMISSION processed, success',
                       'CONNECTION_BIND processed, success']
        elif tcp_relay:
            expect += ['CONNECT processed, success', 'CONNECTION_BIND processed, success']
        elif case.endswith('-indication'):
            expect += ['CREATE_PERMISSION processed, success']
        else:
            expect += ['CHANNEL_BIND processed, success']
        if case == 'refresh' and text.count('CHANNEL_BIND processed, success') < 2:
            fail('coturn saw no ChannelBind refresh')
        if case == 'refresh-indication' and \
                text.count('CREATE_PERMISSION processed, success') < 2:
            fail('coturn saw no CreatePermission refresh')
        if case.startswith('refresh') and text.count('REFRESH processed, success') < 2:
            fail('coturn saw no Refresh before the final one')
        for what in expect:
            if what not in text:
                fail('coturn never logged "%s"' % what)
        if case.startswith('incoming-'):
            print('ok: %s: %d messages from a peer echoed back through coturn' % (case, COUNT))
        elif case.startswith('gatherer-'):
            print('ok: relay gatherer (%s) against coturn: relayed candidate, echo through '
                  'its transport' % case)
        else:
            print('ok: nav-turn %s against coturn, %d messages relayed and back intact'
                  % (case, COUNT))


if __name__ == '__main__':
    main()
