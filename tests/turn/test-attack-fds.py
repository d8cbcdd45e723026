#!/usr/bin/python3
"""Issue 14, item 2 (the TURN server's part): file-descriptor exhaustion.

1. nav-server --turn starts under a 1,024 descriptor limit, and says how
   many it would need for its --max-tcp-connections.
2. With its limit lowered while it runs, connections held to its TCP port
   exhaust its descriptors: its accept loops back off (no spinning, UDP
   still answered within 100 ms); once the connections are released,
   legitimate TCP and TLS clients are accepted again, and its RSS comes
   back within 20 % of the baseline.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import resource
import socket
import subprocess
import tempfile
import time

import attack_util as au

LOW_LIMIT = 200
HELD = 400



def limit_1024():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    args = ap.parse_args()

    au.raise_fd_limit(4 * HELD)
    tmp = tempfile.mkdtemp(prefix='nav-attack-fds-')
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    subprocess.run([args.make_cert, cert, key], check=True)
    common = ['--turn', '--lt-cred-mech', '--user=alice:secret', '--realm=example.org',
              '--cert=' + cert, '--pkey=' + key]

    # 1. Under 1,024 descriptors: it starts, and says what it needs.
    port, tls_port = au.free_port(), au.free_port()
    log_path = os.path.join(tmp, 'limited.log')
    server = au.Server(args.nav_server, common + ['--tls-listening-port=%d' % tls_port], port,
                       preexec=limit_1024, log_path=log_path)
    try:
        if not au.tcp_binding('127.0.0.1', port) or not au.tls_binding('127.0.0.1', tls_port):
            au.fail('the server under 1,024 descriptors does not serve TCP and TLS')
    finally:
        server.stop()
    with open(log_path) as f:
        said = [line for line in f if 'event=fd-limit' in line]
    if not said or 'needed=' not in said[0]:
        au.fail('under 1,024 descriptors the server did not say how many it needs')
    au.log('under 1,024 descriptors: ' + said[0].strip().split(' domain=')[-1])

    # 2. Descriptors exhausted while it runs, then given back.
    port, tls_port = au.free_port(), au.free_port()
    server = au.Server(args.nav_server,
                       common + ['--tls-listening-port=%d' % tls_port],
                       port, log_path=os.path.join(tmp, 'server.log'))
    held = []
    try:
        def warm_up():
            for _ in range(3):
                if not au.tcp_binding('127.0.0.1', port) or not au.tls_binding('127.0.0.1', tls_port):
                    au.fail('no Binding over TCP and TLS before the attack')
        baseline = au.settle_baseline(server, warm_up)
        au.log('baseline RSS %d kB, %d descriptors' % (baseline, au.fd_count(server.pid)))
        _, hard = resource.prlimit(server.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (LOW_LIMIT, hard))

        prober = au.Prober(port)
        prober.start()
        for i in range(HELD):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(('127.0.0.1', tls_port if i % 4 == 0 else port))
            except BlockingIOError:
                pass
            held.append(s)
        time.sleep(2.0)
        au.log('during the attack: %d connections held, the server has %d descriptors (limit %d)'
               % (len(held), au.fd_count(server.pid), LOW_LIMIT))
        prober.finish('during the attack')
        st = server.counters()
        if st.get('tcp-accept-paused', 0) == 0:
            au.fail('the accept loops never ran out of descriptors: the attack did not bite')

        for s in held:
            s.close()
        held = []
        prober = au.Prober(port)
        prober.start()
        deadline = time.monotonic() + 15 * au.TIME_SCALE
        while not (au.tcp_binding('127.0.0.1', port, 2) and au.tls_binding('127.0.0.1', tls_port, 2)):
            if time.monotonic() > deadline:
                au.fail('TCP and TLS clients are not accepted again after the attack')
            time.sleep(0.2)
        prober.finish('after the attack')
        st = server.counters()
        au.log('server: tcp-accept-paused=%d tcp-accepted=%d tls-accepted=%d'
               % (st.get('tcp-accept-paused', 0), st.get('tcp-accepted', 0), st.get('tls-accepted', 0)))
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
