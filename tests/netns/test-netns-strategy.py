#!/usr/bin/python3
"""NavAgent's NAT-aware strategy through the lab's NATs (suite 'netns').

    hole-punch  two peers behind full-cone NATs (endpoint-independent
                mapping and filtering), each finding its NAT type with
                the STUN tier's RFC 5780 client and trading it in its
                description: both plan hole-punch, and connect with no
                relayed candidate in the selected pair though each has a
                TURN allocation
    relay-first two peers behind symmetric NATs, twice in one lab: with
                their NAT types (both plan relay-first, hold the others'
                host and reflexive candidates back and connect through
                TURN) and without (RFC 8445's order).  Both times are
                printed; none is asserted
    self-discovery
                one peer behind a full cone, the other behind a symmetric
                NAT, each agent finding its own NAT type (nat-discovery:
                RFC 5780 against the lab's server with two addresses)
                beside gathering: each finds its type, its first
                candidate comes before the type, both plan hole-punch
                from the types in the descriptions, and they connect
    pc          two NavPeerConnections behind a full cone and a
                port-restricted cone, each with its RFC 5780 type on its
                agent: each description carries a=x-nav-nat at session
                level, each side reads the other's into remote-nat-type,
                both plan hole-punch and say so in their stats, and they
                connect
    tcp         two peers with public addresses, ICE-TCP on, one saying its
                UDP is blocked (the application's nat-type), the other
                open-internet: both plan tcp, and a capture (dumpcap in
                each peer's namespace) shows the order on the wire: each
                peer's first TCP SYN to the other leaves before its first
                UDP datagram to the other (the peer's UDP host candidates
                are held back), and the selected pair is TCP.  Then the
                same peers without NAT types (RFC 8445's order: UDP
                first, the pair selected is UDP) for contrast
    privacy     a peer in the privacy mode (force-relay) behind a full
                cone, the other behind a port-restricted cone: only
                relayed candidates offered, their related address hidden,
                no x-nav-nat attribute, and nftables counters in the two
                namespaces (the capture) show that no datagram of the
                private peer went anywhere but the TURN server, and none
                from its public address reached the other peer

Needs root and ip netns: skips (status 77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402
import netns_peers  # noqa: E402
from netns_peers import fail, parse_peer, peer_env, stop_servers  # noqa: E402

PEER = os.path.join(HERE, 'stratpeer.py')
PAIR_TIMEOUT = 60          # a failure guard, never a timing assertion


def run(lab, na, nb, discover=True, privacy_a=False, agent_discovery=False):
    argv = [sys.executable, PEER, '--turn', natlab.TURN_IP, '--user', lab.turn_user,
            '--password', lab.turn_password]
    extra = ['--discover', natlab.find_tool('nav-stun')] if discover else []
    if agent_discovery:
        extra = ['--agent-discovery']
    ra, rb = lab.run_pair(na, argv + (['--privacy'] if privacy_a else extra), nb, argv + extra,
                          timeout=PAIR_TIMEOUT, env=peer_env())
    a, b = parse_peer(*ra), parse_peer(*rb)
    for side, r in (('A', a), ('B', b)):
        if not r.get('ok'):
            fail('peer %s did not connect: %s' % (side, json.dumps(r)))
    return a, b


def describe(side, r):
    print('  %s: NAT %s, peer\'s %s, plan %s, selected %s -> %s, READY %s ms after both descriptions'
          % (side, r.get('nat_type'), r.get('remote_nat_type'), r.get('plan'), r.get('local_type'),
             r.get('remote_type'), r.get('connect_ms')))


def test_hole_punch():
    with natlab.Lab(['full-cone', 'full-cone'], turn=True) as lab:
        a, b = run(lab, lab.peers(1)[0], lab.peers(2)[0])
        stop_servers(lab)
    describe('A', a)
    describe('B', b)
    for side, r in (('A', a), ('B', b)):
        if r.get('nat_type') != 'endpoint-independent endpoint-independent':
            fail('peer %s: RFC 5780 discovery said %r behind a full cone' % (side, r.get('nat_type')))
        if r.get('plan') != 'hole-punch':
            fail('peer %s planned %r, not hole-punch, for two full cones' % (side, r.get('plan')))
        if 'relayed' in (r.get('local_type'), r.get('remote_type')):
            fail('peer %s connected through TURN: %s -> %s' % (side, r['local_type'], r['remote_type']))
    print('ok: endpoint-independent on both sides: hole-punch planned, connected without TURN')


def test_relay_first():
    with natlab.Lab(['symmetric', 'symmetric'], turn=True) as lab:
        na, nb = lab.peers(1)[0], lab.peers(2)[0]
        a, b = run(lab, na, nb)
        a0, b0 = run(lab, na, nb, discover=False)
        stop_servers(lab)
    print('with the strategy:')
    describe('A', a)
    describe('B', b)
    print('without (no NAT types, RFC 8445 order):')
    describe('A', a0)
    describe('B', b0)
    print('symmetric <-> symmetric, READY after both descriptions: with the strategy '
          'A %s ms, B %s ms; without A %s ms, B %s ms'
          % (a.get('connect_ms'), b.get('connect_ms'), a0.get('connect_ms'), b0.get('connect_ms')))
    for side, r in (('A', a), ('B', b)):
        if not (r.get('nat_type') or '').startswith('address-and-port-dependent '):
            fail('peer %s: RFC 5780 discovery said %r behind a symmetric NAT' % (side, r.get('nat_type')))
        if r.get('plan') != 'relay-first':
            fail('peer %s planned %r, not relay-first, for two symmetric NATs' % (side, r.get('plan')))
        if 'relayed' not in (r.get('local_type'), r.get('remote_type')):
            fail('peer %s selected %s -> %s, not through TURN' % (side, r['local_type'], r['remote_type']))
    for side, r in (('A', a0), ('B', b0)):
        if r.get('plan') != 'ice':
            fail('peer %s planned %r without NAT types' % (side, r.get('plan')))
    print('ok: symmetric on both sides: relay-first planned, connected through TURN')


def test_self_discovery():
    with natlab.Lab(['full-cone', 'symmetric'], turn=True) as lab:
        a, b = run(lab, lab.peers(1)[0], lab.peers(2)[0], agent_discovery=True)
        stop_servers(lab)
    for side, r in (('A (full cone)', a), ('B (symmetric)', b)):
        describe(side, r)
        print('  %s: first candidate (%s) %s ms after gather_candidates, %s candidates before the '
              'NAT type at %s ms, gathering done at %s ms'
              % (side, r.get('first_candidate_type'), r.get('first_candidate_ms'),
                 r.get('candidates_before_type'), r.get('nat_type_ms'), r.get('gathered_ms')))
    if a.get('nat_type') != 'endpoint-independent endpoint-independent':
        fail('the agent behind a full cone found %r' % a.get('nat_type'))
    if not (b.get('nat_type') or '').startswith('address-and-port-dependent '):
        fail('the agent behind a symmetric NAT found %r' % b.get('nat_type'))
    for side, r, other in (('A', a, b), ('B', b, a)):
        if r.get('remote_nat_type') != other.get('nat_type'):
            fail('peer %s read %r from the other description, not %r'
                 % (side, r.get('remote_nat_type'), other.get('nat_type')))
        if r.get('plan') != 'hole-punch':
            fail('peer %s planned %r, not hole-punch, for a full cone and a symmetric NAT'
                 % (side, r.get('plan')))
        # Discovery runs beside gathering: the host candidates are out
        # before any RFC 5780 answer (an order, not a time).
        if r.get('first_candidate_type') != 'host' or not r.get('candidates_before_type'):
            fail('peer %s: the first candidate waited for discovery: %s' % (side, json.dumps(r)))
    print('ok: each agent found its own NAT type beside gathering; both planned hole-punch and connected')


def test_pc():
    with natlab.Lab(['full-cone', 'port-restricted-cone'], turn=False) as lab:
        argv = [sys.executable, os.path.join(HERE, 'stratpc.py'), natlab.find_tool('nav-stun')]
        ra, rb = lab.run_pair(lab.peers(1)[0], argv, lab.peers(2)[0], argv, timeout=PAIR_TIMEOUT,
                              env=peer_env())
        stop_servers(lab)
    a, b = parse_peer(*ra), parse_peer(*rb)
    for side, r in (('A (full cone)', a), ('B (port-restricted cone)', b)):
        print('  %s: %s' % (side, json.dumps(r)))
        if not r.get('ok'):
            fail('peer connection %s did not connect: %s' % (side, json.dumps(r)))
    if a.get('nat_type') != 'endpoint-independent endpoint-independent' or \
            b.get('nat_type') != 'endpoint-independent address-and-port-dependent':
        fail('RFC 5780 discovery said %r and %r' % (a.get('nat_type'), b.get('nat_type')))
    for side, r, o in (('A', a, b), ('B', b, a)):
        if r.get('sent_nat') != r['nat_type'] or r.get('got_nat') != o['nat_type']:
            fail('peer %s sent a=x-nav-nat %r and got %r' % (side, r.get('sent_nat'), r.get('got_nat')))
        if r.get('remote_nat_type') != o['nat_type']:
            fail('peer %s read %r as the peer\'s type' % (side, r.get('remote_nat_type')))
        if r.get('plan') != 'hole-punch' or r.get('stats_plan') != 'hole-punch':
            fail('peer %s planned %r (stats %r), not hole-punch'
                 % (side, r.get('plan'), r.get('stats_plan')))
        if r.get('stats_nat') != r['nat_type'] or r.get('stats_remote_nat') != o['nat_type']:
            fail('peer %s\'s stats say %r / %r' % (side, r.get('stats_nat'), r.get('stats_remote_nat')))
    print('ok: two peer connections traded their NAT types in their descriptions and agree on hole-punch')


def capture_start(lab, node, path):
    p = lab.spawn(node, ['dumpcap', '-q', '-i', 'eth0', '-f', 'tcp or udp', '-w', path],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):          # dumpcap writes its header once it captures
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return p
        time.sleep(0.05)
    fail('dumpcap did not start in %s' % node)


def capture_order(lab, proc, path, peer_ip):
    """[(seconds, 'tcp-syn'|'udp')] of what left for @peer_ip, in order."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    p = subprocess.run(['tshark', '-r', path, '-T', 'fields', '-e', 'frame.time_relative',
                        '-e', 'ip.dst', '-e', 'ip.proto', '-e', 'tcp.flags.syn', '-e', 'tcp.flags.ack',
                        '-Y', 'ip.dst == %s' % peer_ip],
                       capture_output=True, text=True, timeout=60)
    out = []
    for line in p.stdout.splitlines():
        f = line.split('\t')
        if len(f) < 3:
            continue
        if f[2] == '17':
            out.append((float(f[0]), 'udp'))
        elif f[2] == '6' and f[3] in ('1', 'True') and f[4] in ('0', 'False'):
            out.append((float(f[0]), 'tcp-syn'))
    return out


def tcp_run(lab, na, nb, types):
    argv = [sys.executable, PEER]
    extra_a = ['--nat-type', 'udp-blocked'] if types else []
    extra_b = ['--nat-type', 'open-internet'] if types else []
    caps = {}
    for node in (na, nb):
        path = os.path.join(lab.workdir, 'tcp-%s-%s.pcapng' % (node, 'types' if types else 'plain'))
        caps[node] = (capture_start(lab, node, path), path)
    ra, rb = lab.run_pair(na, argv + extra_a, nb, argv + extra_b, timeout=PAIR_TIMEOUT, env=peer_env())
    a, b = parse_peer(*ra), parse_peer(*rb)
    for side, r in (('A', a), ('B', b)):
        if not r.get('ok'):
            fail('peer %s did not connect: %s' % (side, json.dumps(r)))
    order = {na: capture_order(lab, caps[na][0], caps[na][1], lab.addresses[nb]),
             nb: capture_order(lab, caps[nb][0], caps[nb][1], lab.addresses[na])}
    return a, b, order


def first(order, kind):
    return next((t for t, k in order if k == kind), None)


def test_tcp():
    with natlab.Lab(['open', 'open'], turn=False) as lab:
        na, nb = lab.peers(1)[0], lab.peers(2)[0]
        a, b, order = tcp_run(lab, na, nb, True)
        a0, b0, order0 = tcp_run(lab, na, nb, False)
        stop_servers(lab)
    for title, (ra, rb, o) in (('with the types (A udp-blocked, B open-internet)', (a, b, order)),
                               ('without types', (a0, b0, order0))):
        print(title + ':')
        for side, r, node in (('A', ra, na), ('B', rb, nb)):
            describe(side, r)
            print('    %s: selected over %s; to the peer: first TCP SYN at %s s, first UDP at %s s '
                  '(capture), %d UDP datagrams in all'
                  % (side, r.get('transport'), first(o[node], 'tcp-syn'), first(o[node], 'udp'),
                     sum(1 for _, k in o[node] if k == 'udp')))
    for side, r, node in (('A', a, na), ('B', b, nb)):
        if r.get('plan') != 'tcp':
            fail('peer %s planned %r, not tcp, with udp-blocked on one side' % (side, r.get('plan')))
        if r.get('transport') == 'udp':
            fail('peer %s selected a UDP pair in the tcp plan' % side)
        syn, udp = first(order[node], 'tcp-syn'), first(order[node], 'udp')
        if syn is None:
            fail('peer %s sent no TCP SYN to the other: the capture saw %s' % (side, order[node]))
        if udp is not None and udp < syn:
            fail('peer %s sent UDP to the other (%.3f s) before its first TCP SYN (%.3f s)'
                 % (side, udp, syn))
    # The contrast: without types, UDP goes first and wins.
    if all(first(order0[n], 'udp') is None for n in (na, nb)):
        fail('without types no UDP went to the other peer: the capture does not capture')
    print('ok: the tcp plan: TCP SYNs to the peer before any UDP datagram, a TCP pair selected')


CAPTURE = '''
table inet natlab_privacy {
  counter leaked {}
  counter to_turn {}
  counter from_peer {}
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "eth0" ip daddr != { %(turn)s, 224.0.0.0/4 } counter name "leaked"
    oifname "eth0" ip daddr %(turn)s counter name "to_turn"
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ip saddr %(public)s counter name "from_peer"
  }
}
'''


def counter(lab, node, name):
    p = lab.run(node, ['nft', '-j', 'list', 'counter', 'inet', 'natlab_privacy', name], check=True)
    for obj in json.loads(p.stdout)['nftables']:
        if 'counter' in obj:
            return obj['counter']['packets']
    fail('no counter %s in %s' % (name, node))


def test_privacy():
    with natlab.Lab(['full-cone', 'port-restricted-cone'], turn=True) as lab:
        na, nb = lab.peers(1)[0], lab.peers(2)[0]
        # A's public address: its router's, 100.64.1.1.
        rules = CAPTURE % {'turn': natlab.TURN_IP, 'public': '100.64.1.1'}
        for node in (na, nb):
            lab.run(node, ['nft', '-f', '-'], input=rules, check=True)
        a, b = run(lab, na, nb, privacy_a=True)
        counts = {(n, c): counter(lab, n, c) for n in (na, nb) for c in ('leaked', 'to_turn', 'from_peer')}
        stop_servers(lab)
    describe('A (privacy)', a)
    describe('B', b)
    print('capture: A sent %d datagrams to TURN, %d anywhere else; B received %d from A\'s public address'
          % (counts[(na, 'to_turn')], counts[(na, 'leaked')], counts[(nb, 'from_peer')]))
    if a.get('plan') != 'relay-only':
        fail('the private peer planned %r, not relay-only' % a.get('plan'))
    if not a.get('offered'):
        fail('the private peer offered no candidate')
    for line in a['offered']:
        if ' typ relay' not in line or ' raddr 0.0.0.0 rport 0' not in line:
            fail('the private peer offered %r' % line)
    if b.get('remote_nat_type') is not None:
        fail('the private peer told its NAT type: %r' % b.get('remote_nat_type'))
    if a.get('local_type') != 'relayed':
        fail('the private peer selected a %s candidate' % a.get('local_type'))
    if counts[(na, 'to_turn')] == 0:
        fail('the capture saw nothing to the TURN server: it does not capture')
    if counts[(na, 'leaked')] != 0 or counts[(nb, 'from_peer')] != 0:
        fail('the private peer\'s datagrams went elsewhere than the TURN server')
    print('ok: privacy mode: relayed candidates only, no address of the peer on the wire but TURN\'s')


def main():
    return netns_peers.main('test-netns-strategy.py',
                            {'hole-punch': test_hole_punch, 'relay-first': test_relay_first,
                             'privacy': test_privacy, 'self-discovery': test_self_discovery, 'pc': test_pc,
                             'tcp': test_tcp})


if __name__ == '__main__':
    sys.exit(main())
