#!/usr/bin/python3
"""The NAT traversal matrix through real NATs (suite 'netns').

    matrix     every unordered pair of router kinds among full cone,
               restricted cone, port-restricted cone, symmetric and UDP
               blocked (same-kind pairs too, each peer behind its own
               router): two NavAgent peers in two processes, each in its
               LAN, with the lab's STUN server and its TURN server over
               UDP, TCP and TLS, trickle their candidates through files,
               connect and check data both ways.  The selected path must
               be the one RFC 4787 allows: direct (host, srflx or prflx)
               wherever hole punching works, a relay for symmetric against
               symmetric or port-restricted cone, and a relay reached over
               TURN-TCP or TURN-TLS whenever a side has UDP blocked.
    bad-links  the cone and symmetric rows again (full cone - symmetric,
               port-restricted - port-restricted, symmetric - symmetric)
               with 5 % loss each way on every router's uplink, and with
               100 ms of delay each way on every uplink
    nice       one NavAgent peer and one libnice peer (GI), across a
               port-restricted cone and a symmetric NAT, both ways round:
               the pair relays through the lab's TURN server

Before any peer runs, the lab's own probe (natprobe.py, no NetAvanue
code) checks that every router behaves as its kind says, so a wrong NAT
cannot make a row pass.  Prints the matrix: the routers, the expected
path, the selected local and remote candidate types of each side, the
TURN transport of a relayed side, and each side's time to connect (from
the start of gathering to READY).  Times are printed, never asserted.

Needs root and ip netns: skips (status 77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import concurrent.futures
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

KINDS = ['full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric', 'udp-blocked']
SHORT = {'full-cone': 'full-cone', 'restricted-cone': 'restricted', 'port-restricted-cone':
         'port-restricted', 'symmetric': 'symmetric', 'udp-blocked': 'udp-blocked'}
PAIR_TIMEOUT = 60          # a failure guard per peer, never a timing assertion
CONCURRENCY = int(os.environ.get('NATLAB_MATRIX_JOBS', '5'))


def expected_path(a, b):
    """RFC 4787 theory: what two NATs allow."""
    if 'udp-blocked' in (a, b):
        return 'relay-tcp'
    if (a, b) in (('symmetric', 'symmetric'), ('symmetric', 'port-restricted-cone'),
                  ('port-restricted-cone', 'symmetric')):
        return 'relay'
    return 'direct'


def peer_argv(lab, impl='nav', transports='udp,tcp,tls'):
    return [sys.executable, PEER, '--impl', impl, '--turn', natlab.TURN_IP,
            '--turn-transports', transports, '--user', lab.turn_user,
            '--password', lab.turn_password, '--timeout', str(PAIR_TIMEOUT - 5)]


def run_pairs(lab, jobs):
    """jobs: [(label, node_a, argv_a, node_b, argv_b)] run, at most
    CONCURRENCY pairs at once; returns {label: (res_a, res_b)}."""
    env = peer_env()

    def one(job):
        label, na, aa, nb, ab = job
        ra, rb = lab.run_pair(na, aa, nb, ab, timeout=PAIR_TIMEOUT, env=env)
        logs = os.environ.get('NATLAB_PEER_LOG_DIR')
        if logs:        # by hand, e.g. with G_MESSAGES_DEBUG=nav-ice
            os.makedirs(logs, exist_ok=True)
            for name, r in ((na, ra), (nb, rb)):
                with open(os.path.join(logs, '%s.%s.log' % (label, name)), 'w') as f:
                    f.write((r[1] or '') + (r[2] or ''))
        return label, parse_peer(*ra), parse_peer(*rb)

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for label, a, b in pool.map(one, jobs):
            results[label] = (a, b)
    return results


def path_of(res):
    """direct or relay, from one side's selected pair."""
    if 'local_type' not in res:
        return None
    return 'relay' if 'relay' in (res['local_type'], res['remote_type']) else 'direct'


def judge(lab, kind_a, kind_b, ra, rb, relays):
    """(verdict text, problems) of one row."""
    exp = expected_path(kind_a, kind_b)
    problems = []
    for side, kind, res in (('A', kind_a, ra), ('B', kind_b, rb)):
        if not res.get('ok'):
            problems.append('%s (%s) did not connect with data both ways: %s'
                            % (side, kind, res.get('error', 'status %s' % res.get('rc'))))
            continue
        got = path_of(res)
        want = 'relay' if exp.startswith('relay') else 'direct'
        if got != want:
            problems.append('%s (%s) selected %s/%s: a %s path, expected %s'
                            % (side, kind, res['local_type'], res['remote_type'], got, want))
        if res['local_type'] == 'relay' and res['local_addr'] not in relays:
            problems.append('%s (%s): relayed address %s unknown to the TURN server'
                            % (side, kind, res['local_addr']))
        if exp == 'relay-tcp' and kind == 'udp-blocked':
            if res['local_type'] != 'relay':
                problems.append('%s (%s) is not on a relay (local %s)'
                                % (side, kind, res['local_type']))
            elif relays.get(res['local_addr']) not in ('tcp', 'tls'):
                problems.append('%s (%s) relays over TURN-%s, not TCP or TLS'
                                % (side, kind, relays.get(res['local_addr'])))
    return exp, problems


def side_text(res, relays):
    if 'local_type' not in res:
        return '-'
    s = '%s/%s' % (res['local_type'], res['remote_type'])
    if res['local_type'] == 'relay':
        s += ' (turn-%s)' % relays.get(res['local_addr'], '?')
    return s


def report(lab, title, rows_in, results):
    """Print the table; return the problems."""
    relays = lab.relay_transports()
    rows = [('router A', 'router B', 'expected', 'A local/remote', 'B local/remote',
             'A connect ms', 'B connect ms', 'verdict')]
    problems = []
    for label, kind_a, kind_b, shown_a, shown_b in rows_in:
        ra, rb = results[label]
        exp, probs = judge(lab, kind_a, kind_b, ra, rb, relays)
        rows.append((shown_a, shown_b, exp, side_text(ra, relays), side_text(rb, relays),
                     str(ra.get('connect_ms', '-')), str(rb.get('connect_ms', '-')),
                     'ok' if not probs else 'WRONG'))
        for p in probs:
            problems.append('%s - %s: %s' % (shown_a, shown_b, p))
        if probs:
            for side, res in (('A', ra), ('B', rb)):
                print('--- %s %s: %s' % (label, side, json.dumps(
                    {k: v for k, v in res.items() if k != 'stderr'})), file=sys.stderr)
                if res.get('stderr'):
                    print(res['stderr'], file=sys.stderr)
    print(title)
    natlab.print_table(rows)
    vias = list(relays.values())
    print('(TURN allocations made: %s)' % ', '.join(
        '%d over %s' % (vias.count(v), v.upper()) for v in ('udp', 'tcp', 'tls')))
    return problems


def verify(lab):
    t0 = time.monotonic()
    lab.verify()        # the probe: raises unless every NAT is as built
    print('(every NAT of the lab verified by the probe in %.1f s)' % (time.monotonic() - t0))


# ------------------------------------------------------------------ matrix

def test_matrix():
    # Two routers of each kind, three peers behind each: every pair has
    # its own two peers, same-kind pairs one behind each router of the kind.
    routers = []
    for k in KINDS:
        routers += [k + ':peers=3', k + ':peers=3']
    t0 = time.monotonic()
    with natlab.Lab(routers, turn=True) as lab:
        verify(lab)
        slots = {}
        for k in KINDS:
            i = KINDS.index(k) * 2 + 1
            one, two = lab.peers(i), lab.peers(i + 1)
            slots[k] = [n for pair in zip(one, two) for n in pair]   # alternate routers
        pairs = []
        for x in range(len(KINDS)):
            for y in range(x, len(KINDS)):
                pairs.append((KINDS[x], KINDS[y]))
        # Same-kind pairs first: they take one peer behind each router.
        pairs.sort(key=lambda p: p[0] != p[1])
        jobs, rows = [], []
        argv = peer_argv(lab)
        for ka, kb in pairs:
            na, nb = slots[ka].pop(0), slots[kb].pop(0)
            label = '%s-%s' % (na, nb)
            jobs.append((label, na, argv, nb, argv))
            rows.append((label, ka, kb, SHORT[ka], SHORT[kb]))
        # Udp-blocked rows first: the slowest ones.
        order = sorted(range(len(jobs)), key=lambda i: 'udp-blocked' not in rows[i][1:3])
        t1 = time.monotonic()
        results = run_pairs(lab, [jobs[i] for i in order])
        elapsed = time.monotonic() - t1
        rows.sort(key=lambda r: (KINDS.index(r[1]), KINDS.index(r[2])))
        problems = report(lab, 'NAT traversal matrix (NavAgent - NavAgent, %d pairs, %d at once):'
                          % (len(jobs), CONCURRENCY), rows, results)
        stop_servers(lab)
    print('(pairs ran in %.1f s; the whole test took %.1f s)' % (elapsed, time.monotonic() - t0))
    if problems:
        fail('\n  '.join(['the matrix is wrong:'] + problems))
    print('ok: every pair of NATs connects, directly where RFC 4787 allows it')


# ------------------------------------------------------------------ bad links

BAD_ROWS = [('full-cone', 'symmetric'), ('port-restricted-cone', 'port-restricted-cone'),
            ('symmetric', 'symmetric')]


def test_bad_links():
    conditions = [('loss=50', '5 % loss'), ('delay=100', '100 ms delay')]
    routers, plan = [], []
    for opt, text in conditions:
        for ka, kb in BAD_ROWS:
            routers += ['%s:%s' % (ka, opt), '%s:%s' % (kb, opt)]
            plan.append((ka, kb, opt, text, len(routers) - 1, len(routers)))
    t0 = time.monotonic()
    with natlab.Lab(routers, turn=True) as lab:
        verify(lab)
        argv = peer_argv(lab)
        jobs, rows = [], []
        for ka, kb, opt, text, ia, ib in plan:
            na, nb = lab.peers(ia)[0], lab.peers(ib)[0]
            label = '%s-%s' % (na, nb)
            jobs.append((label, na, argv, nb, argv))
            rows.append((label, ka, kb, '%s (%s)' % (SHORT[ka], text),
                         '%s (%s)' % (SHORT[kb], text)))
        t1 = time.monotonic()
        results = run_pairs(lab, jobs)
        elapsed = time.monotonic() - t1
        problems = report(lab, 'Under bad links (every router uplink, each way):', rows, results)
        stop_servers(lab)
    print('(pairs ran in %.1f s; the whole test took %.1f s)' % (elapsed, time.monotonic() - t0))
    if problems:
        fail('\n  '.join(['bad links:'] + problems))
    print('ok: connections form through 5 % loss and through 100 ms delay')


# ------------------------------------------------------------------ libnice

def test_nice():
    t0 = time.monotonic()
    with natlab.Lab(['port-restricted-cone:peers=2', 'symmetric:peers=2'], turn=True) as lab:
        verify(lab)
        nav = peer_argv(lab, 'nav')
        nice = peer_argv(lab, 'nice', 'udp,tcp')
        jobs = [('nav-prc_nice-sym', 'lan1', nav, 'lan2', nice),
                ('nice-prc_nav-sym', 'lan1b', nice, 'lan2b', nav)]
        rows = [('nav-prc_nice-sym', 'port-restricted-cone', 'symmetric',
                 'NetAvanue, port-restricted', 'libnice, symmetric'),
                ('nice-prc_nav-sym', 'port-restricted-cone', 'symmetric',
                 'libnice, port-restricted', 'NetAvanue, symmetric')]
        results = run_pairs(lab, jobs)
        for label, (ra, rb) in results.items():
            impls = (ra.get('impl'), rb.get('impl'))
            if None not in impls and sorted(impls) != ['nav', 'nice']:
                fail('%s: the peers were %s, not NetAvanue and libnice' % (label, impls))
        problems = report(lab, 'NetAvanue - libnice through NATs (A controlling):', rows, results)
        stop_servers(lab)
    print('(the test took %.1f s)' % (time.monotonic() - t0))
    if problems:
        fail('\n  '.join(['libnice through NATs:'] + problems))
    print('ok: NetAvanue and libnice connect through a port-restricted and a symmetric NAT')


def main():
    return netns_peers.main('test-netns-matrix.py',
                            {'matrix': test_matrix, 'bad-links': test_bad_links,
                             'nice': test_nice},
                            lambda case: [('Nice', '0.1')] if case == 'nice' else [])


if __name__ == '__main__':
    sys.exit(main())
