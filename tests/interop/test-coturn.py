#!/usr/bin/python3
"""Interop with coturn, both directions, on loopback.

    nav-stun-udp|nav-stun-tcp|nav-stun-tls   nav-stun against coturn's turnserver
    nav-stun-udp6|nav-stun-tcp6               the same over IPv6 (::1)
    stunclient-plain                          turnutils_stunclient against nav-server
    stunclient-ipv6                           the same over IPv6 (::1)
    stunclient-rfc5780                        turnutils_stunclient -f against a
                                              two-address nav-server (127.0.0.1 + .2)

A missing coturn binary is a failure, never a skip: CI installs coturn.
Every server started here is killed, whatever happens.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TIMEOUT = 15


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def need(binary):
    path = shutil.which(binary, path=os.environ.get('PATH', '') + ':/usr/bin:/usr/sbin')
    if path is None:
        fail('%s is not installed (apt install coturn): interop tests must not skip' % binary)
    return path


def family(ip):
    return socket.AF_INET6 if ':' in ip else socket.AF_INET


def url_host(ip):
    return '[%s]' % ip if ':' in ip else ip


def free_port(count=1, ip='127.0.0.1'):
    """A port free for UDP and TCP, with the next count-1 ports free too."""
    for _ in range(200):
        s = socket.socket(family(ip), socket.SOCK_DGRAM)
        s.bind((ip, 0))
        base = s.getsockname()[1]
        s.close()
        if base + count > 65535:
            continue
        ok = True
        for p in range(base, base + count):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(family(ip), kind)
                try:
                    t.bind((ip, p))
                except OSError:
                    ok = False
                finally:
                    t.close()
        if ok:
            return base
    fail('no free port')


def binding_request():
    return struct.pack('!HHI12s', 0x0001, 0, 0x2112A442, os.urandom(12))


def wait_udp(ip, port, proc):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail('server exited early with status %d' % proc.returncode)
        s = socket.socket(family(ip), socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(binding_request(), (ip, port))
            data, _ = s.recvfrom(2048)
            if len(data) >= 20 and struct.unpack('!H', data[:2])[0] == 0x0101:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    fail('server on %s:%d never answered over UDP' % (ip, port))


def wait_tcp(ip, port, proc):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail('server exited early with status %d' % proc.returncode)
        try:
            socket.create_connection((ip, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    fail('server on %s:%d never accepted TCP' % (ip, port))


class Server:
    def __init__(self, argv, log):
        print('# starting: ' + ' '.join(argv))
        self.log = log
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def run(argv):
    print('# running: ' + ' '.join(argv))
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    print(p.stdout)
    return p


def nav_stun_vs_coturn(args, proto, tmp, ip='127.0.0.1'):
    turnserver = need('turnserver')
    cert = os.path.join(tmp, 'cert.pem')
    key = os.path.join(tmp, 'key.pem')
    subprocess.run([args.make_cert, cert, key], check=True)
    port = free_port(2, ip)
    tls_port = free_port(2, ip)
    host = url_host(ip)
    log = open(os.path.join(tmp, 'turnserver.log'), 'w+')
    server = Server([turnserver, '-n', '--no-cli', '--stun-only',
                     '--listening-ip=' + ip, '--listening-port=%d' % port,
                     '--tls-listening-port=%d' % tls_port,
                     '--cert=' + cert, '--pkey=' + key, '--no-dtls',
                     '--log-file=stdout', '--simple-log', '-m', '0'], log)
    try:
        wait_udp(ip, port, server.proc)
        if proto == 'tls':
            wait_tcp(ip, tls_port, server.proc)
            argv = [args.nav_stun, '--tls', '--ca-file=' + cert, '%s:%d' % (host, tls_port)]
        elif proto == 'tcp':
            wait_tcp(ip, port, server.proc)
            argv = [args.nav_stun, '--tcp', '%s:%d' % (host, port)]
        else:
            argv = [args.nav_stun, '%s:%d' % (host, port)]
        p = run(argv)
        if p.returncode != 0:
            fail('nav-stun exited with %d' % p.returncode)
        mapped = re.search(r'^Mapped address: \[?([^\s\]]+)\]?:(\d+)$', p.stdout, re.M)
        local = re.search(r'^Local address: (\S+):(\d+)$', p.stdout, re.M)
        if not mapped or not local:
            fail('nav-stun printed no mapped/local address')
        if mapped.group(1) != ip:
            fail('mapped IP is %s, expected %s' % (mapped.group(1), ip))
        if mapped.group(2) != local.group(2):
            fail('mapped port %s is not the source port %s' % (mapped.group(2), local.group(2)))
        if not re.search(r'^Round-trip time: [0-9.]+ ms$', p.stdout, re.M):
            fail('no round-trip time')
    finally:
        server.stop()
        log.seek(0)
        print('# turnserver log (tail):\n' + ''.join(log.readlines()[-15:]))
    print('ok: nav-stun over %s against coturn on %s' % (proto, ip))


def stunclient_vs_nav_server(args, rfc5780, tmp, ip='127.0.0.1'):
    stunclient = need('turnutils_stunclient')
    port = free_port(2, ip)
    argv = [args.nav_server, '--stun', '--listening-ip=' + ip,
            '--listening-port=%d' % port, '--no-tls', '--no-tcp']
    if rfc5780:
        argv += ['--alt-listening-ip=127.0.0.2', '--alt-listening-port=%d' % (port + 1)]
    log = open(os.path.join(tmp, 'nav-server.log'), 'w+')
    server = Server(argv, log)
    try:
        wait_udp(ip, port, server.proc)
        if rfc5780:
            wait_udp('127.0.0.2', port + 1, server.proc)
        p = run([stunclient] + (['-f'] if rfc5780 else []) + ['-p', str(port), ip])
        if p.returncode != 0:
            fail('turnutils_stunclient exited with %d' % p.returncode)
        refl = re.findall(r'UDP reflexive addr: \[?%s\]?:(\d+)' % re.escape(ip), p.stdout)
        if not refl:
            fail('turnutils_stunclient saw no reflexive address')
        if rfc5780:
            for n in (1, 2, 3):
                if ('RFC 5780 response %d' % n) not in p.stdout:
                    fail('no RFC 5780 response %d' % n)
            if 'Other addr: : 127.0.0.2:%d' % (port + 1) not in p.stdout:
                fail('OTHER-ADDRESS is not 127.0.0.2:%d' % (port + 1))
            # response 2 asked for a change of IP and port, response 3 of port
            if 'Response origin: : 127.0.0.2:%d' % (port + 1) not in p.stdout:
                fail('no response came from the alternate address')
            if 'Response origin: : 127.0.0.1:%d' % port not in p.stdout:
                fail('no response came from the primary address')
    finally:
        status = server.stop()
        log.seek(0)
        text = log.read()
        print('# nav-server log:\n' + text)
    if status != 0:
        fail('nav-server did not stop cleanly on SIGTERM (status %s)' % status)
    if 'event=stats when=exit' not in text:
        fail('nav-server printed no stats at exit')
    print('ok: turnutils_stunclient%s against nav-server' % (' -f' if rfc5780 else ''))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-stun', required=True)
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    ap.add_argument('case')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='nav-interop-') as tmp:
        if args.case in ('nav-stun-udp6', 'nav-stun-tcp6'):
            nav_stun_vs_coturn(args, args.case[len('nav-stun-'):-1], tmp, '::1')
        elif args.case.startswith('nav-stun-'):
            nav_stun_vs_coturn(args, args.case[len('nav-stun-'):], tmp)
        elif args.case == 'stunclient-ipv6':
            stunclient_vs_nav_server(args, False, tmp, '::1')
        elif args.case == 'stunclient-plain':
            stunclient_vs_nav_server(args, False, tmp)
        elif args.case == 'stunclient-rfc5780':
            stunclient_vs_nav_server(args, True, tmp)
        else:
            fail('unknown case ' + args.case)


if __name__ == '__main__':
    main()
