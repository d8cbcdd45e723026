#!/usr/bin/python3
"""Issue 14, item 8: --tcp-idle-timeout and --max-tcp-connections of the
TURN server, under a flood of silent TCP connections.  No more than
--max-tcp-connections are kept (the rest are closed as soon as accepted);
those that stay silent without an allocation are closed after
--tcp-idle-timeout; a client that allocated over TCP keeps its
connection however silent, and refreshes on it.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import os
import socket
import struct
import tempfile
import time

import attack_util as au

USER, PASSWORD, REALM = 'alice', 'secret', 'example.org'
MAX_TCP = 20
FLOOD = 100


def closed_by_server(sock, timeout):
    """Whether the server closes @sock within @timeout seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b''
    except socket.timeout:
        return False
    except OSError:
        return True


def stream_exchange(sock, message, timeout=5.0):
    sock.settimeout(timeout)
    sock.sendall(message)
    data = b''
    while True:
        while len(data) < 20 or len(data) < 20 + struct.unpack('!H', data[2:4])[0]:
            chunk = sock.recv(4096)
            if not chunk:
                au.fail('the server closed the allocation\'s connection')
            data += chunk
        length = 20 + struct.unpack('!H', data[2:4])[0]
        frame, data = data[:length], data[length:]
        if frame[8:20] == message[8:20]:
            return au.parse(frame)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    args = ap.parse_args()

    au.raise_fd_limit(4 * FLOOD)
    tmp = tempfile.mkdtemp(prefix='nav-attack-tcp-')
    port = au.free_port()
    idle = 1
    server = au.Server(args.nav_server,
                       ['--turn', '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD),
                        '--realm=' + REALM, '--no-tls', '--tcp-idle-timeout=%d' % idle,
                        '--max-tcp-connections=%d' % MAX_TCP],
                       port, log_path=os.path.join(tmp, 'server.log'))
    flood = []
    try:
        baseline = au.settle_baseline(server, lambda: au.tcp_binding('127.0.0.1', port))

        # A client with an allocation over TCP: its connection stays.
        key = au.long_term_key(USER, REALM, PASSWORD)
        owner = socket.create_connection(('127.0.0.1', port))
        transport = [(au.ATTR_REQUESTED_TRANSPORT, b'\x11\0\0\0')]
        kind, attrs = stream_exchange(owner, au.build(au.ALLOCATE, transport))
        creds = [(au.ATTR_USERNAME, USER.encode()), (au.ATTR_REALM, REALM.encode()),
                 (au.ATTR_NONCE, attrs[au.ATTR_NONCE])]
        kind, attrs = stream_exchange(owner, au.build(au.ALLOCATE, transport + creds, key))
        if kind != 0x0103:
            au.fail('no allocation over TCP (error %s)' % au.error_code(attrs))

        prober = au.Prober(port)
        prober.start()
        for _ in range(FLOOD):
            flood.append(socket.create_connection(('127.0.0.1', port)))
        time.sleep(0.5)
        # At most MAX_TCP client connections, the allocation's among them.
        refused = sum(1 for s in flood if closed_by_server(s, 0.05))
        au.log('flood: %d connections, %d closed at once (max-tcp-connections=%d)'
               % (FLOOD, refused, MAX_TCP))
        if refused < FLOOD - MAX_TCP + 1:
            au.fail('more than --max-tcp-connections connections were kept')
        # The silent ones go after the idle timeout.
        silent = [s for s in flood if not closed_by_server(s, 0)]
        deadline = time.monotonic() + (idle + 3) * au.TIME_SCALE
        for s in silent:
            if not closed_by_server(s, max(0.01, deadline - time.monotonic())):
                au.fail('a silent connection outlived --tcp-idle-timeout')
        prober.finish('during the flood')

        # Silent for longer than the timeout, the allocation's connection
        # is still there: a Refresh is answered on it.
        kind, attrs = stream_exchange(owner, au.build(au.REFRESH, creds, key))
        if kind != 0x0104:
            au.fail('the allocation\'s connection was not kept (Refresh: %s)' % au.error_code(attrs))
        counters = server.counters()
        au.log('server: tcp-rejected=%d tcp-idle-closed=%d connections=%d'
               % (counters.get('tcp-rejected', -1), counters.get('tcp-idle-closed', -1),
                  counters.get('connections', -1)))
        if counters.get('tcp-idle-closed', 0) == 0 or counters.get('tcp-rejected', 0) == 0:
            au.fail('the counters do not show the limits at work')
        owner.close()
        for s in flood:
            s.close()
        flood = []
        if not au.tcp_binding('127.0.0.1', port):
            au.fail('no Binding over TCP after the flood')
        au.check_rss_back(server, baseline, 'after the flood')
    except SystemExit:
        server.dump_log()
        raise
    finally:
        for s in flood:
            s.close()
        server.stop()
    print('OK')


if __name__ == '__main__':
    main()
