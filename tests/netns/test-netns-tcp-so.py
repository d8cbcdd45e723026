#!/usr/bin/python3
"""ICE-TCP simultaneous open on real links and through real NATs (suite
'netns').

    so-crossing  two NavAgent peers on a link with 150 ms of delay on each
                 peer's interface, each way (300 ms from one to the
                 other), ice-udp off, ice-tcp and ice-tcp-simultaneous-open
                 on, only their simultaneous-open candidates signalled (so
                 no other pair can form): the component must reach READY
                 on a host S-O pair with data both ways, and nftables
                 counters in each peer's namespace must show that each
                 side sent a bare SYN (SYN without ACK) on the selected
                 4-tuple AND received the other's bare SYN on it: both
                 SYNs were in flight at once and crossed (RFC 9293 §3.5),
                 which cannot happen when one side's listener answers the
                 other's SYN first (the kernel then refuses the second
                 connect on the same 4-tuple).
    so-nat       TCP hole punching: each peer behind its own NAT of the lab
                 (full cone and restricted cone, 100 ms of delay on each
                 router's uplink; both masquerade without random ports, so
                 TCP mappings keep the port), UDP off, no TURN, the lab's
                 STUN server: each peer learns a server-reflexive S-O
                 candidate (the mapped IP of its UDP discovery socket with
                 its S-O port, as libnice derives them), and the pair of
                 the two srflx S-O candidates must connect, with data both
                 ways.  The counters show each side sending a bare SYN to
                 the other's public address from its S-O port: through two
                 NATs that drop what they did not see leave (TCP is
                 filtered by conntrack in every kind of the lab), a TCP
                 connection forms only when both sides open their hole
                 with a SYN of their own.

Times (from the start of gathering to READY) are printed, never asserted.
Needs root and ip netns: skips (status 77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402
import netns_peers  # noqa: E402
from netns_peers import PEER, fail, parse_peer, peer_env, stop_servers  # noqa: E402

PAIR_TIMEOUT = 90          # a failure guard, never a timing assertion

# Bare SYNs (SYN set, ACK clear) per 4-tuple, leaving and entering eth0.
COUNTERS = '''table inet natlab_so {
  set syn_out { type ipv4_addr . inet_service . ipv4_addr . inet_service;
                flags dynamic; counter; size 4096; }
  set syn_in { type ipv4_addr . inet_service . ipv4_addr . inet_service;
               flags dynamic; counter; size 4096; }
  chain out { type filter hook output priority 10; policy accept;
    oifname "eth0" tcp flags & (syn | ack) == syn update @syn_out { ip saddr . tcp sport . ip daddr . tcp dport }
  }
  chain in { type filter hook input priority 10; policy accept;
    iifname "eth0" tcp flags & (syn | ack) == syn update @syn_in { ip saddr . tcp sport . ip daddr . tcp dport }
  }
}
'''


def install_counters(lab, node):
    lab.run(node, ['nft', '-f', '-'], input=COUNTERS, check=True)


def read_counters(lab, node):
    """{'out': {(saddr, sport, daddr, dport): packets}, 'in': {...}}"""
    res = {}
    for way in ('out', 'in'):
        p = lab.run(node, ['nft', '-j', 'list', 'set', 'inet', 'natlab_so', 'syn_' + way],
                    check=True)
        counts = {}
        for obj in json.loads(p.stdout)['nftables']:
            for e in obj.get('set', {}).get('elem', []):
                e = e['elem']
                counts[tuple(e['val']['concat'])] = e.get('counter', {}).get('packets', 0)
        res[way] = counts
    return res


def split(addr):
    ip, _, port = addr.rpartition(':')
    return ip, int(port)


def run(lab, na, nb):
    argv = [sys.executable, PEER, '--impl', 'nav', '--no-udp', '--tcp-so', '--offer', 'so',
            '--timeout', str(PAIR_TIMEOUT - 10)]
    ra, rb = lab.run_pair(na, argv, nb, argv, timeout=PAIR_TIMEOUT, env=peer_env())
    a, b = parse_peer(*ra, tail=4000), parse_peer(*rb, tail=4000)
    for side, res in (('A', a), ('B', b)):
        shown = {k: v for k, v in res.items() if k != 'stderr'}
        print('peer %s: %s' % (side, json.dumps(shown)))
    for side, res in (('A', a), ('B', b)):
        if not res.get('ok'):
            print(res.get('stderr', ''), file=sys.stderr)
            fail('peer %s did not connect with data both ways: %s'
                 % (side, res.get('error', 'status %s' % res.get('rc'))))
    return a, b


def syn_table(lab, nodes, tuples):
    """Print and return [(node, sent, received)] of bare SYNs on the
    4-tuple each node's selected pair uses: tuples[node] = (local ip,
    local port, remote ip, remote port), as seen in the node."""
    rows = [('peer', '4-tuple (in the peer)', 'bare SYNs sent', 'bare SYNs received')]
    out = []
    for node in nodes:
        c = read_counters(lab, node)
        lip, lport, rip, rport = tuples[node]
        sent = c['out'].get((lip, lport, rip, rport), 0)
        got = c['in'].get((rip, rport, lip, lport), 0)
        rows.append((node, '%s:%d <-> %s:%d' % (lip, lport, rip, rport), str(sent), str(got)))
        out.append((node, sent, got))
    natlab.print_table(rows)
    return out


def check_so_pair(side, res, local_type):
    if res.get('local_transport') != 'tcp-so' or res.get('remote_transport') != 'tcp-so':
        fail('peer %s selected %s/%s, not a simultaneous-open pair'
             % (side, res.get('local_transport'), res.get('remote_transport')))
    if res.get('local_type') != local_type:
        fail('peer %s selected a %s local candidate, expected %s'
             % (side, res.get('local_type'), local_type))


def print_times(a, b, t0):
    print('connect (gathering to READY): A %s ms, B %s ms; the test took %.1f s'
          % (a.get('connect_ms'), b.get('connect_ms'), time.monotonic() - t0))


# ------------------------------------------------------------------ crossing

def test_crossing():
    t0 = time.monotonic()
    with natlab.Lab(['open:delay=150', 'open:delay=150']) as lab:
        na, nb = lab.peers(1)[0], lab.peers(2)[0]
        for n in (na, nb):
            install_counters(lab, n)
        a, b = run(lab, na, nb)
        check_so_pair('A', a, 'host')
        check_so_pair('B', b, 'host')
        # Open hosts: the STUN server maps each to itself, so RFC 8445
        # §5.1.3 leaves no srflx candidate.
        for side, res in (('A', a), ('B', b)):
            if any(' typ srflx' in line for line in res.get('offered', [])):
                fail('peer %s offered a srflx candidate equal to its host one' % side)
        ai, ap = split(a['local_addr'])
        bi, bp = split(b['local_addr'])
        if split(a['remote_addr']) != (bi, bp) or split(b['remote_addr']) != (ai, ap):
            fail('the two sides selected different pairs: %s <-> %s and %s <-> %s'
                 % (a['local_addr'], a['remote_addr'], b['local_addr'], b['remote_addr']))
        rows = syn_table(lab, (na, nb), {na: (ai, ap, bi, bp), nb: (bi, bp, ai, ap)})
        stop_servers(lab)
    print_times(a, b, t0)
    for node, sent, got in rows:
        if sent < 1:
            fail('%s sent no bare SYN on the selected 4-tuple: not a simultaneous open' % node)
        if got < 1:
            fail('%s never received the other side\'s bare SYN: the SYNs did not cross' % node)
    print('ok: both SYNs crossed; READY on a host S-O pair with data both ways')


# ------------------------------------------------------------------ NATs

def test_nat():
    t0 = time.monotonic()
    with natlab.Lab(['full-cone:delay=100', 'restricted-cone:delay=100']) as lab:
        lab.verify()
        print('(both NATs verified by the probe)')
        na, nb = lab.peers(1)[0], lab.peers(2)[0]
        pub = {na: lab.addresses['r1'], nb: lab.addresses['r2']}
        for n in (na, nb):
            install_counters(lab, n)
        a, b = run(lab, na, nb)
        # Each side learnt a srflx S-O candidate: its NAT's public address
        # with its host S-O port (libnice's derivation).
        srflx = {}
        for side, node, res in (('A', na, a), ('B', nb, b)):
            hosts = [ln.split() for ln in res.get('offered', []) if ' typ host' in ln]
            refl = [ln.split() for ln in res.get('offered', []) if ' typ srflx' in ln]
            if not hosts or not refl:
                fail('peer %s offered no host and srflx S-O candidates: %s'
                     % (side, res.get('offered')))
            h, r = hosts[0], refl[0]
            if r[4] != pub[node] or r[5] != h[5]:
                fail('peer %s: srflx S-O %s:%s is not %s with its host port %s'
                     % (side, r[4], r[5], pub[node], h[5]))
            if int(r[3]) >= int(h[3]):
                fail('peer %s: srflx priority %s not below the host one %s'
                     % (side, r[3], h[3]))
            srflx[node] = (r[4], int(r[5]))
            print('peer %s: host S-O %s:%s, srflx S-O %s:%s (raddr %s rport %s)'
                  % (side, h[4], h[5], r[4], r[5], r[r.index('raddr') + 1],
                     r[r.index('rport') + 1]))
        # The selected pair: srflx S-O on both ends, the two public addresses.
        check_so_pair('A', a, 'srflx')
        check_so_pair('B', b, 'srflx')
        if split(a['local_addr']) != srflx[na] or split(a['remote_addr']) != srflx[nb] or \
           split(b['local_addr']) != srflx[nb] or split(b['remote_addr']) != srflx[na]:
            fail('the selected pairs are not srflx S-O <-> srflx S-O: A %s <-> %s, B %s <-> %s'
                 % (a['local_addr'], a['remote_addr'], b['local_addr'], b['remote_addr']))
        # In each peer's namespace: its private address and S-O port, and
        # the other's public address and port.
        priv = {na: lab.addresses[na], nb: lab.addresses[nb]}
        rows = syn_table(lab, (na, nb), {
            na: (priv[na], srflx[na][1], srflx[nb][0], srflx[nb][1]),
            nb: (priv[nb], srflx[nb][1], srflx[na][0], srflx[na][1])})
        stop_servers(lab)
    print_times(a, b, t0)
    for node, sent, got in rows:
        if sent < 1:
            fail('%s sent no bare SYN to the other\'s public address: no hole punched' % node)
    if sum(got for _, _, got in rows) < 1:
        fail('no bare SYN went through a NAT: the connection cannot be a simultaneous open')
    print('ok: TCP hole punched from both sides; READY on srflx S-O <-> srflx S-O, '
          'data both ways')


def main():
    return netns_peers.main('test-netns-tcp-so.py',
                            {'so-crossing': test_crossing, 'so-nat': test_nat})


if __name__ == '__main__':
    sys.exit(main())
