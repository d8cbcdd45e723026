#!/usr/bin/python3
"""Issue 14, item 4: a TURN nonce not bound to the client.  A victim
allocates over UDP with long-term credentials and installs a permission;
an attacker who captured the two signed requests replays them from
another socket: each gets 438 Stale Nonce (RFC 8489 §9.2: the nonce is
bound to the 5-tuple, as coturn answers), no allocation is made for the
attacker, and the attacker's Send indication never reaches the peer.
The victim's own relaying goes on.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import socket
import tempfile
import time

import attack_util as au

USER, PASSWORD, REALM = 'alice', 'secret', 'example.org'


def send_indication(sock, server, peer_port, payload):
    sock.sendto(au.build(au.SEND_INDICATION,
                         [(au.ATTR_XOR_PEER_ADDRESS, au.xor_address('127.0.0.1', peer_port)),
                          (au.ATTR_DATA, payload)]), server)


def received(peer, payload, timeout):
    peer.settimeout(timeout)
    try:
        while True:
            data, _ = peer.recvfrom(2048)
            if data == payload:
                return True
    except socket.timeout:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='nav-attack-replay-')
    port = au.free_port()
    server = au.Server(args.nav_server,
                       ['--turn', '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD),
                        '--realm=' + REALM, '--allow-loopback-peers', '--no-tls'],
                       port, log_path=os.path.join(tmp, 'server.log'))
    addr = ('127.0.0.1', port)
    key = au.long_term_key(USER, REALM, PASSWORD)
    victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(('127.0.0.1', 0))
    peer_port = peer.getsockname()[1]
    try:
        baseline = au.settle_baseline(server, lambda: au.binding_rtt(*addr))
        prober = au.Prober(port)
        prober.start()

        # The victim: 401, then the signed Allocate and CreatePermission.
        transport = [(au.ATTR_REQUESTED_TRANSPORT, b'\x11\0\0\0')]
        kind, attrs = au.exchange(victim, au.build(au.ALLOCATE, transport), addr)
        if au.error_code(attrs) != 401:
            au.fail('the first Allocate was not challenged with 401')
        nonce = attrs[au.ATTR_NONCE]
        creds = [(au.ATTR_USERNAME, USER.encode()), (au.ATTR_REALM, REALM.encode()),
                 (au.ATTR_NONCE, nonce)]
        allocate = au.build(au.ALLOCATE, transport + creds, key)
        kind, attrs = au.exchange(victim, allocate, addr)
        if kind != 0x0103:
            au.fail('the victim could not allocate (error %s)' % au.error_code(attrs))
        permission = au.build(au.CREATE_PERMISSION,
                              [(au.ATTR_XOR_PEER_ADDRESS, au.xor_address('127.0.0.1', peer_port))]
                              + creds, key)
        kind, attrs = au.exchange(victim, permission, addr)
        if kind != 0x0108:
            au.fail('the victim could not install a permission (error %s)' % au.error_code(attrs))
        send_indication(victim, addr, peer_port, b'from the victim')
        if not received(peer, b'from the victim', 2 * au.TIME_SCALE):
            au.fail("the victim's data did not reach the peer")

        # The attacker replays both, byte for byte, from its own socket.
        kind, attrs = au.exchange(attacker, allocate, addr)
        au.log('replayed Allocate: %s' % (au.error_code(attrs) or 'success'))
        if au.error_code(attrs) != 438:
            au.fail('the replayed Allocate got %s, not 438 Stale Nonce' % (au.error_code(attrs) or 'success'))
        kind, attrs = au.exchange(attacker, permission, addr)
        au.log('replayed CreatePermission: %s' % (au.error_code(attrs) or 'success'))
        if au.error_code(attrs) != 438:
            au.fail('the replayed CreatePermission got %s, not 438' % (au.error_code(attrs) or 'success'))
        send_indication(attacker, addr, peer_port, b'from the attacker')
        if received(peer, b'from the attacker', 1 * au.TIME_SCALE):
            au.fail("the attacker's Send indication reached the peer")
        counters = server.counters()
        au.log('server: allocations=%d allocations-total=%d error-438=%d'
               % (counters.get('allocations', -1), counters.get('allocations-total', -1),
                  counters.get('error-438', -1)))
        if counters.get('allocations') != 1 or counters.get('allocations-total') != 1:
            au.fail('an allocation was made for the replayed Allocate')

        # The victim is still served.
        send_indication(victim, addr, peer_port, b'still the victim')
        if not received(peer, b'still the victim', 2 * au.TIME_SCALE):
            au.fail("the victim's data no longer reaches the peer")
        prober.finish('during and after the attack')
        au.check_rss_back(server, baseline, 'after the attack')
    except SystemExit:
        server.dump_log()
        raise
    finally:
        for s in (victim, attacker, peer):
            s.close()
        server.stop()
    print('OK')


if __name__ == '__main__':
    main()
