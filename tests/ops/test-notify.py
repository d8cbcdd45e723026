#!/usr/bin/python3
"""nav-server under systemd's Type=notify, with a fake NOTIFY_SOCKET:
the daemon sends READY=1 (with MAINPID and STATUS) only once its
listeners answer, and STOPPING=1 on SIGTERM; both for a socket path and
an abstract socket (`@name`), as sd_notify(3) describes; and with the
sample configuration data/nav-server.conf (a TURN server).  Without
NOTIFY_SOCKET nothing is sent and the daemon runs as before.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import IP, SCALE, binding_rtt, fail, free_udp_tcp_port, options  # noqa: E402


def run_with(binary, notify_addr, bind_addr, config=None):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(bind_addr)
    sock.settimeout(20 * SCALE)
    port = free_udp_tcp_port()
    env = dict(os.environ, NOTIFY_SOCKET=notify_addr)
    if config is None:
        argv = [binary, '--stun']
    else:
        # the sample configuration as installed, with the test's addresses
        argv = [binary, '--config=' + config, '--relay-ip=' + IP]
    argv += ['--listening-ip=' + IP, '--listening-port=%d' % port, '--no-tls', '--threads=1']
    print('# NOTIFY_SOCKET=%s %s' % (notify_addr, ' '.join(argv)))
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
    try:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            fail('no READY=1 from nav-server')
        print('# received: %r' % msg)
        fields = dict(line.split('=', 1) for line in msg.split('\n') if line)
        if fields.get('READY') != '1':
            fail('the first notification is not READY=1: %r' % msg)
        if fields.get('MAINPID') != str(proc.pid):
            fail('MAINPID=%r, the daemon is %d' % (fields.get('MAINPID'), proc.pid))
        if ('stun' if config is None else 'turn') not in fields.get('STATUS', ''):
            fail('STATUS does not say what is served: %r' % fields.get('STATUS'))
        # ready means serving
        if binding_rtt(IP, port, 2 * SCALE) is None:
            fail('READY=1 sent but the STUN port does not answer')
        proc.send_signal(signal.SIGTERM)
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            fail('no STOPPING=1 after SIGTERM')
        print('# received: %r' % msg)
        if msg != 'STOPPING=1':
            fail('expected STOPPING=1, got %r' % msg)
        if proc.wait(20 * SCALE) != 0:
            fail('nav-server exited with %d' % proc.returncode)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def main():
    args = options('nav-server', 'config')

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'notify')
        run_with(args.nav_server, path, path)
    name = 'nav-notify-test-%d' % os.getpid()
    run_with(args.nav_server, '@' + name, '\0' + name)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'notify')
        run_with(args.nav_server, path, path, config=args.config)
    print('PASS')


if __name__ == '__main__':
    main()
