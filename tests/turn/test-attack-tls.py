#!/usr/bin/python3
"""Issue 14, item 1: TLS accept cost.  A thousand bare TCP connects to the
TLS port of nav-server (--turn or --stun), and some that start a
ClientHello and stall, from 127.0.0.2.  During and after: a Binding over
UDP answered within 100 ms, a legitimate TLS client (from 127.0.0.1)
served; after: the server's RSS back within 20 % of its baseline; the
handshakes beyond the per-IP limit were refused, not queued.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import socket
import subprocess
import tempfile
import time

import attack_util as au

ATTACKER = '127.0.0.2'
BARE = 1000
STALLED = 50



def attack(tls_port):
    """Opens the connections; returns them, held open."""
    held = []
    for i in range(BARE + STALLED):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((ATTACKER, 0))
        try:
            s.connect(('127.0.0.1', tls_port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        held.append(s)
    time.sleep(0.2)
    # A ClientHello that announces 512 bytes and stops after 100.
    hello = b'\x16\x03\x01\x02\x00' + b'\x01\x00\x01\xfc\x03\x03' + os.urandom(89)
    for s in held[BARE:]:
        try:
            s.send(hello)
        except OSError:
            pass
    return held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    ap.add_argument('kind', choices=['stun', 'turn'])
    args = ap.parse_args()

    au.raise_fd_limit(4 * (BARE + STALLED))
    tmp = tempfile.mkdtemp(prefix='nav-attack-tls-')
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    subprocess.run([args.make_cert, cert, key], check=True)
    port, tls_port = au.free_port(), au.free_port()
    extra = ['--cert=' + cert, '--pkey=' + key, '--tls-listening-port=%d' % tls_port]
    if args.kind == 'turn':
        extra = ['--turn', '--lt-cred-mech', '--user=alice:secret', '--realm=example.org'] + extra
    else:
        extra = ['--stun'] + extra
    server = au.Server(args.nav_server, extra, port, log_path=os.path.join(tmp, 'server.log'))
    try:
        def warm_up():
            for _ in range(3):
                if not au.tls_binding('127.0.0.1', tls_port):
                    au.fail('no Binding over TLS before the attack')
                if not au.tcp_binding('127.0.0.1', port):
                    au.fail('no Binding over TCP before the attack')
        baseline = au.settle_baseline(server, warm_up)
        au.log('baseline RSS %d kB, %d descriptors' % (baseline, au.fd_count(server.pid)))

        prober = au.Prober(port)
        prober.start()
        held = attack(tls_port)
        au.log('attack: %d connections to the TLS port, %d of them with a stalled ClientHello'
               % (len(held), STALLED))
        time.sleep(1.0)
        peak = au.rss_kb(server.pid)
        if not au.tls_binding('127.0.0.1', tls_port):
            au.fail('a legitimate TLS client was not served during the attack')
        time.sleep(1.0)
        prober.finish('during the attack')
        au.log('during the attack: RSS %d kB, %d descriptors' % (peak, au.fd_count(server.pid)))
        for s in held:
            s.close()

        prober = au.Prober(port)
        prober.start()
        time.sleep(1.0)
        if not au.tls_binding('127.0.0.1', tls_port):
            au.fail('a legitimate TLS client was not served after the attack')
        prober.finish('after the attack')
        au.check_rss_back(server, baseline, 'after the attack')
        st = server.counters()
        au.log('server: tls-accepted=%d tls-handshakes-refused=%d tls-handshake-failed=%d'
               % (st.get('tls-accepted', 0), st.get('tls-handshakes-refused', 0),
                  st.get('tls-handshake-failed', 0)))
        if st.get('tls-handshakes-refused', 0) == 0:
            au.fail('no handshake was refused: the per-IP limit did not hold')
    except SystemExit:
        server.dump_log()
        raise
    finally:
        server.stop()
    print('OK')


if __name__ == '__main__':
    main()
