#!/usr/bin/python3
"""Tests through real NATs built with network namespaces (suite 'netns').

    harness        the lab tears down everything it made: after an
                   exception, after SIGTERM; loss and delay are applied
    probe          the harness's own probe (no NetAvanue code) finds the
                   built behaviour behind every kind of router
    nat-type       nav-stun --nat-type, from inside each LAN, names each
                   router's type (checked against the probe first)
    nat-type-loss  the same with 5 % loss per direction on every uplink,
                   and 100 ms of delay on some; and behind hosts whose own
                   firewall drops every second request they send (sendto()
                   fails with EPERM: a lost datagram, to be retransmitted,
                   not a reason to give up the transaction)

Needs root and ip netns: skips (status 77) without them.  We are root in
CI, so there they run.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natlab  # noqa: E402

ALL = ['full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric', 'udp-blocked',
       'open', 'same-lan', 'double-nat']


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def still_running(pid, grace=5.0):
    """Whether @pid still runs: a killed process is a zombie until its new
    parent reaps it, so a zombie counts as gone, and the reaping is given
    @grace seconds (a bound on failure, not a timing assertion)."""
    deadline = time.monotonic() + grace
    while True:
        try:
            with open('/proc/%s/stat' % pid) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        if state in ('Z', 'X'):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)


def netns_pids(ns, grace=10.0):
    """The processes inside @ns.  The child prints its lab's name right
    after spawning its process, which enters the namespace a moment later
    (ip netns exec): wait up to @grace seconds (a bound on failure) for one
    to show."""
    deadline = time.monotonic() + grace
    while True:
        pids = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True,
                              text=True).stdout.split()
        if pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


def namespaces_of(prefix):
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines()
            if line.split() and line.split()[0].startswith(prefix + '-')]


def parse_nav_stun(out):
    d = {}
    for key, field in (('Classification', 'type'), ('Mapping behaviour', 'mapping'),
                       ('Filtering behaviour', 'filtering'), ('Mapped address', 'mapped'),
                       ('Round-trip time', 'rtt')):
        m = re.search(r'^%s: (.*)$' % key, out, re.M)
        if m:
            d[field] = m.group(1).strip()
    return d


# ------------------------------------------------------------------ harness

CHILD = r'''
import sys, time
sys.path.insert(0, %r)
import natlab
lab = natlab.Lab(['full-cone', 'symmetric'], stun=False).up()
lab.spawn('lan1', ['sleep', '600'])
print(lab.name, flush=True)
time.sleep(600)
'''


def test_harness():
    # An exception inside the with block: everything goes.
    name = None
    try:
        with natlab.Lab(['port-restricted-cone', 'double-nat'], stun=False) as lab:
            name = lab.name
            if len(namespaces_of(name)) != 7:
                fail('expected 7 namespaces, have %s' % namespaces_of(name))
            sleeper = lab.spawn('lan2', ['sleep', '600'])
            raise RuntimeError('boom')
    except RuntimeError:
        pass
    if namespaces_of(name):
        fail('namespaces left after an exception: %s' % namespaces_of(name))
    if sleeper.poll() is None:
        fail('a process inside the lab survived its teardown')
    print('ok: torn down after an exception')

    # SIGTERM to a process holding a lab with a process inside.
    here = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen([sys.executable, '-c', CHILD % here], stdout=subprocess.PIPE,
                             text=True)
    try:
        name = child.stdout.readline().strip()
        if not name or len(namespaces_of(name)) != 6:
            fail('the child lab did not come up (%r)' % name)
        pids = netns_pids(name + '-lan1')
        if not pids:
            fail('no process inside the child lab')
        child.terminate()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if namespaces_of(name):
        natlab.teardown(namespaces_of(name))
        fail('namespaces left after SIGTERM')
    for pid in pids:
        if still_running(pid):
            fail('process %s inside the lab survived SIGTERM' % pid)
    print('ok: torn down after SIGTERM (status %d)' % child.returncode)

    # SIGKILL leaves no chance to tear down (meson's timeout does that):
    # the next lab sweeps what the dead process left, processes included.
    child = subprocess.Popen([sys.executable, '-c', CHILD % here], stdout=subprocess.PIPE,
                             text=True)
    try:
        name = child.stdout.readline().strip()
        pids = netns_pids(name + '-lan1')
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    if not name or not pids:
        natlab.teardown(namespaces_of(name))
        fail('the child lab did not come up (%r)' % name)
    # (A lab started meanwhile by a test running in parallel may have swept
    # it already: that is the sweep working too.)
    with natlab.Lab(['full-cone'], stun=False, probe_server=False):
        pass
    if namespaces_of(name):
        natlab.teardown(namespaces_of(name))
        fail('the lab of a dead process was not swept')
    for pid in pids:
        if still_running(pid):
            fail('process %s inside a dead lab survived the sweep' % pid)
    print('ok: the lab of a SIGKILLed process is swept by the next one')

    # Two labs at once never collide.
    with natlab.Lab(['full-cone'], name='nl%d-a' % os.getpid(), stun=False) as a, \
            natlab.Lab(['full-cone'], name='nl%d-b' % os.getpid(), stun=False) as b:
        a.verify()
        b.verify()
        # run_pair: two processes at once, in two LANs, one shared directory
        # (each waits for the other's file, so they must run together).
        script = ('echo "$NATLAB_NODE $NATLAB_ADDRESS" > "$NATLAB_DIR/$NATLAB_ROLE"; '
                  'other=$([ "$NATLAB_ROLE" = a ] && echo b || echo a); '
                  'for i in $(seq 100); do [ -s "$NATLAB_DIR/$other" ] && break; sleep 0.05; done; '
                  'cat "$NATLAB_DIR/$other"; ip -4 -o addr show eth0')
        ra, rb = a.run_pair('lan1', ['sh', '-c', script], 'lan1', ['sh', '-c', script], timeout=30)
        if ra[0] != 0 or rb[0] != 0 or 'lan1 198.18.1.2' not in ra[1] \
           or '198.18.1.2/24' not in rb[1]:
            fail('run_pair: %r %r' % (ra, rb))
    print('ok: two labs side by side; run_pair')

    # A wrongly built NAT fails verification: routers that claim to be
    # restricted cone and symmetric get full-cone and port-restricted rules.
    real = natlab.nat_ruleset
    swap = {'restricted-cone': 'full-cone', 'symmetric': 'port-restricted-cone'}
    natlab.nat_ruleset = lambda kind, **kw: real(swap.get(kind, kind), **kw)
    try:
        with natlab.Lab(['restricted-cone', 'symmetric'], stun=False) as lab:
            try:
                lab.verify()
                fail('verify() accepted wrongly built NATs')
            except natlab.NatLabError as e:
                if 'lan1' not in str(e) or 'lan2' not in str(e):
                    fail('verify() missed a wrong NAT: %s' % e)
    finally:
        natlab.nat_ruleset = real
    print('ok: wrongly built NATs are caught')

    # Loss and delay are really applied (by the harness's own probe).
    with natlab.Lab(['full-cone:loss=1000', 'full-cone:delay=100', 'open:delay=100',
                     'full-cone:hostdrop=2'], stun=False) as lab:
        res = lab.probe('lan1', duration=0.5)
        if res['udp'] or res['tcp']:
            fail('100 %% loss let packets through: %s' % res)
        for node in ('lan2', 'lan3'):
            t0 = time.monotonic()
            res = lab.probe(node, duration=3)
            if not res['udp']:
                fail('the delayed link lost UDP: %s' % res)
            # at least 3 round trips of >= 200 ms each happened
            if time.monotonic() - t0 < 0.6:
                fail('no delay on %s' % node)
        # hostdrop=2: every second STUN datagram fails to leave, with EPERM
        # to the sender; other UDP passes.
        sends = ('import errno, socket\n'
                 's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
                 'r = ""\n'
                 'for port in [%d] * 6 + [%d] * 2:\n'
                 '    try:\n'
                 '        s.sendto(b"x" * 20, ("%s", port))\n'
                 '        r += "."\n'
                 '    except PermissionError:\n'
                 '        r += "E"\n'
                 'print(r)\n' % (natlab.STUN_PORT, natlab.PROBE_PORTS[0], natlab.SERVER_IP))
        got = lab.run('lan4', [sys.executable, '-c', sends], check=True).stdout.strip()
        if got != 'E.E.E...':
            fail('hostdrop=2 dropped %r (E: EPERM), not E.E.E...' % got)
    print('ok: loss and delay applied')


# ------------------------------------------------------------------ probe

def probe_rows(results):
    rows = [('router', 'node', 'probe mapping', 'probe filtering', 'probe type')]
    for r, node, res in results:
        rows.append((natlab.describe(r), node, res['mapping'] or '-', res['filtering'] or '-',
                     res['type']))
    return rows


def test_probe():
    routers = ALL + ['double-nat:outer=symmetric:inner=full-cone',
                     'double-nat:outer=full-cone:inner=restricted-cone',
                     'double-nat:outer=udp-blocked:inner=full-cone']
    with natlab.Lab(routers, stun=False) as lab:
        results = lab.verify()       # raises unless each router behaves as built
        natlab.print_table(probe_rows(results))
        seen = {res['type'] for _, _, res in results}
        want = {'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric',
                'udp-blocked', 'open-internet'}
        if seen != want:
            fail('the probe does not tell every kind apart: %s' % sorted(seen))
        # Same LAN: two peers, two distinct mappings on one router.
        lan7 = [res for r, n, res in results if n.startswith('lan7')]
        if len(lan7) != 2 or lan7[0]['mapped'][0] == lan7[1]['mapped'][0]:
            fail('same-lan peers share a mapping: %s' % lan7)
        # The two same-LAN peers reach each other directly.
        p = lab.run('lan7', [sys.executable, '-c',
                             'import socket;s=socket.create_connection(("%s",4000),2)'
                             % lab.addresses['lan7b']])
        # nothing listens there: a refusal (RST) proves the path, a timeout does not
        if 'ConnectionRefused' not in p.stderr:
            fail('same-lan peers cannot reach each other: %s' % p.stderr.strip())
        # The probe server survives garbage (random bytes, bad JSON, bad
        # "from" fields) and still answers.
        garbage = ('import os, socket\n'
                   's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
                   'bad = [b"", b"{", b"[]", b"null", b"{\\"from\\": 5}", b"{\\"from\\": [1]}",\n'
                   '       b"{\\"from\\": [\\"100.64.0.3\\", \\"x\\"]}", b"\\xff" * 1400]\n'
                   'for i in range(2000):\n'
                   '    s.sendto(bad[i %% len(bad)] if i %% 3 else os.urandom(i %% 1400),'
                   ' ("%s", %d))\n' % (natlab.SERVER_IP, natlab.PROBE_PORTS[0]))
        lab.run('lan6', [sys.executable, '-c', garbage], check=True)
        if lab.probe('lan6')['type'] != 'open-internet':
            fail('the probe server did not survive garbage')
    print('ok: every router behaves as built')


# ------------------------------------------------------------------ nav-stun

def classify_all(routers, rto, rc):
    nav_stun = natlab.find_tool('nav-stun')
    with natlab.Lab(routers) as lab:
        results = lab.verify()           # before our code runs: the NATs are right
        jobs = [(node, [nav_stun, '--nat-type', '--rto', str(rto),
                        '--retransmissions', str(rc), lab.stun_server])
                for _, node, _ in results]
        t0 = time.monotonic()
        outs = lab.run_many(jobs, timeout=100)
        elapsed = time.monotonic() - t0
        rows = [('router', 'node', 'probe (mapping / filtering)', 'probe type',
                 'nav-stun classification', 'nav-stun mapping / filtering', 'verdict')]
        bad = []
        for (r, node, res), (rc_, out, err) in zip(results, outs):
            got = parse_nav_stun(out)
            exp_type = res['type']
            ok = rc_ == 0 and got.get('type') == exp_type
            if ok and res['mapping'] not in (None, 'no-nat'):
                ok = got.get('mapping') == res['mapping'] and \
                    got.get('filtering') == res['filtering']
            rows.append((natlab.describe(r), node,
                         '%s / %s' % (res['mapping'] or '-', res['filtering'] or '-'),
                         exp_type, got.get('type', 'status %s' % rc_),
                         '%s / %s' % (got.get('mapping', '-'), got.get('filtering', '-')),
                         'ok' if ok else 'WRONG'))
            if not ok:
                bad.append('%s (%s): nav-stun said %r (status %s), stderr: %s'
                           % (node, natlab.describe(r), got, rc_, err.strip()))
        natlab.print_table(rows)
        print('(%d classifications in parallel in %.1f s)' % (len(jobs), elapsed))
        if bad:
            fail('wrong classification:\n  ' + '\n  '.join(bad))


def test_nat_type():
    classify_all(ALL + ['double-nat:outer=symmetric:inner=full-cone',
                        'double-nat:outer=restricted-cone:inner=full-cone'], rto=100, rc=5)
    print('ok: nav-stun names every router')


def test_nat_type_loss():
    routers = [k + ':loss=50' for k in ALL]
    routers += ['full-cone:loss=50:delay=100', 'symmetric:loss=50:delay=100',
                'restricted-cone:loss=50:delay=100:jitter=20']
    # On "open" the loss above is the host's own netfilter: 5 % of its
    # sendto() calls fail with EPERM.  The client once took that for a hard
    # error and ended the transaction unanswered, so 'open' came out as
    # "firewall" or "udp-blocked" in about 1 run in 10.  hostdrop makes
    # that case certain: every second STUN request is dropped on the host,
    # the first one included.
    routers += ['open:hostdrop=2', 'symmetric:hostdrop=2']
    classify_all(routers, rto=100, rc=7)
    print('ok: nav-stun names every router through 5 % loss and local drops')


def main():
    why = natlab.can_run()
    if why is not None:
        print('SKIP: ' + why)
        return 77
    case = sys.argv[1] if len(sys.argv) > 1 else ''
    tests = {'harness': test_harness, 'probe': test_probe, 'nat-type': test_nat_type,
             'nat-type-loss': test_nat_type_loss}
    if case not in tests:
        print('usage: test-netns.py %s' % '|'.join(tests), file=sys.stderr)
        return 2
    tests[case]()
    return 0


if __name__ == '__main__':
    sys.exit(main())
