#!/usr/bin/python3
"""NavPeerConnection through real NATs (suite 'netns').

    lossy-handshake  two peers, each behind a port-restricted cone NAT
                     whose uplink loses 5 % of the packets each way and
                     delays them by 100 ms each way (so 400 ms round
                     trip): offer, answer and trickled candidates through
                     files, ICE with the lab's STUN server, the DTLS
                     handshake (its retransmissions timed from the ICE
                     round trip), then 50 messages a to b, each once, in
                     order, intact.
    address-change   a on the open internet, b behind a port-restricted
                     cone NAT.  While a streams 600 messages to b, the
                     NAT's public address changes (100.64.2.1 to
                     100.64.2.77, its mappings flushed), as when a phone's
                     carrier renumbers it: a's consent to b's old address
                     expires, its connection asks for an ICE restart
                     (negotiation-needed), the new offer and answer run
                     the checks again, and the agent rebinds its channel
                     to b's new address.  The DTLS association carries on:
                     no handshake record crosses the wire after the first
                     connection, its channel never closes, and b gets
                     every message once, in order, intact.

Prints each peer's time to connect and what it saw; times are never
asserted.  Needs root and ip netns: skips (status 77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402
import netns_peers  # noqa: E402
from netns_peers import fail, parse_peer, peer_env  # noqa: E402

PEER = os.path.join(HERE, 'pcpeer.py')
TIMEOUT = 90               # a failure guard per peer, never a timing assertion


def spawn_pair(lab, node_a, node_b, args_a, args_b):
    """Both peers started together, sharing NATLAB_DIR (as
    Lab.run_pair, without waiting)."""
    pair_dir = tempfile.mkdtemp(prefix='pc-', dir=lab.workdir)
    env = dict(peer_env(), NATLAB_DIR=pair_dir,
               NATLAB_STUN='%s:%d' % (natlab.SERVER_IP, natlab.STUN_PORT))
    procs = []
    for node, args, role in ((node_a, args_a, 'a'), (node_b, args_b, 'b')):
        procs.append(lab.spawn(node, [sys.executable, PEER, '--timeout', str(TIMEOUT - 10)] + args,
                               stdout=__import__('subprocess').PIPE,
                               stderr=__import__('subprocess').PIPE, text=True,
                               env=dict(env, NATLAB_ROLE=role, NATLAB_NODE=node)))
    return pair_dir, procs


def collect(procs):
    results = []
    deadline = time.monotonic() + TIMEOUT
    logs = os.environ.get('NATLAB_PEER_LOG_DIR')
    for role, p in zip('ab', procs):
        try:
            out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:
            p.kill()
            out, err = p.communicate()
            err += '\n[timed out]'
        if logs:        # by hand, e.g. with G_MESSAGES_DEBUG=nav,nav-ice
            os.makedirs(logs, exist_ok=True)
            with open(os.path.join(logs, 'pc-%s.log' % role), 'w') as f:
                f.write(out + err)
        results.append(parse_peer(p.returncode, out, err))
    return results


def check(results, what):
    for r in results:
        if not r.get('ok'):
            fail('%s: peer %s: %s\n%s' % (what, r.get('role'), r.get('error'), '\n'.join(
                '--- peer %s\n%s' % (x.get('role'), x.get('stderr')) for x in results)))
        if r.get('dtls_closed'):
            fail('%s: peer %s: the DTLS channel closed' % (what, r.get('role')))
        if r.get('handshake_records_after'):
            fail('%s: peer %s: %d handshake records after the connection: a new handshake?'
                 % (what, r.get('role'), r['handshake_records_after']))
    a, b = results
    if b.get('duplicates') or b.get('corrupt'):
        pass   # duplicates are the ARQ's retransmissions, dropped; corrupt fails below
    if b.get('corrupt'):
        fail('%s: %d corrupt messages' % (what, b['corrupt']))


def lossy_handshake():
    routers = ['port-restricted-cone:loss=50:delay=100'] * 2
    with natlab.Lab(routers) as lab:
        _, procs = spawn_pair(lab, 'lan1', 'lan2', ['--count', '50'], ['--count', '50'])
        a, b = collect(procs)
        print('5 %% loss and 100 ms each way on both uplinks: a connected in %s ms, b in %s ms '
              '(%s); b got %s messages (%s duplicates dropped)'
              % (a.get('connect_ms'), b.get('connect_ms'), a.get('cipher'), b.get('received'),
                 b.get('duplicates')))
        check((a, b), 'lossy-handshake')


def read_progress(pair_dir):
    try:
        with open(os.path.join(pair_dir, 'b.progress')) as f:
            return int(f.read() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def address_change():
    count = 600
    with natlab.Lab(['open', 'port-restricted-cone']) as lab:
        args = ['--count', str(count), '--rate', '100', '--consent-timeout', '2500']
        pair_dir, procs = spawn_pair(lab, 'lan1', 'lan2', args, args)
        deadline = time.monotonic() + TIMEOUT
        while read_progress(pair_dir) < count // 4:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                fail('the stream did not start:\n%s' % '\n'.join(
                    str(parse_peer(p.returncode, *p.communicate())) for p in procs))
            time.sleep(0.05)
        before = read_progress(pair_dir)
        # The NAT's public address changes and its mappings go.
        lab.run('r2', ['sh', '-c', 'ip addr del 100.64.2.1/%d dev wan0 && '
                       'ip addr add 100.64.2.77/%d dev wan0 && conntrack -F'
                       % (natlab.WAN_PREFIX, natlab.WAN_PREFIX)], check=True)
        print('b had %d of %d messages when its public address changed' % (before, count))
        a, b = collect(procs)
        print('a: remote addresses %s, %d negotiations, %s records dropped; '
              'b: %d messages in order (%d duplicates dropped), %d negotiations'
              % (a.get('remotes'), a.get('negotiations', 0), a.get('dropped_records'),
                 b.get('received', 0), b.get('duplicates', 0), b.get('negotiations', 0)))
        check((a, b), 'address-change')
        remotes = a.get('remotes') or []
        if not remotes or not remotes[0].startswith('100.64.2.1:') or \
                not remotes[-1].startswith('100.64.2.77:'):
            fail('a never moved to b\'s new address: %s' % remotes)
        if a.get('negotiations', 0) < 2:
            fail('no ICE restart was negotiated')


if __name__ == '__main__':
    sys.exit(netns_peers.main(sys.argv[0], {
        'lossy-handshake': lossy_handshake,
        'address-change': address_change,
    }))
