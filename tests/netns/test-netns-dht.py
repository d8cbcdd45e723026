#!/usr/bin/python3
"""Serverless rendezvous over OpenDHT across the NAT lab (suite 'netns').

The DHT is 21 `dhtnode` processes: 12 in the server namespace (ports
4222-4233) and 3 on each of three open hosts of the lab's internet, all
bootstrapped from 100.64.0.2:4222.  The peers are
tests/discovery/dhtpeer.py: NavSignalingClient `dht://100.64.0.2:4222/`
(their own DHT node, a fresh identity), NavSignalingSession, NavAgent
with the lab's STUN server; no signaling server runs.

    rendezvous  a peer behind a full-cone NAT and one behind a
                port-restricted cone NAT meet in a DHT room, trade their
                descriptions and candidates through the DHT (signed,
                encrypted to each other's key) and connect with ICE;
                data crosses both ways.
    missing     an offer to a peer id that no node published a key for
                fails with server-error 404 and a clear reason, within
                the stated bound (30 s; the time is printed).
    demo        two `nav-demo --dht 100.64.0.2:4222` behind the two NATs
                connect (ICE, data both ways).
    forged      a hostile node puts an unsigned announce, an announce
                signed by a key other than the peer it names, an
                unsigned offer and a signed offer not encrypted to the
                victim: the victim ignores (and counts) all four and
                connects to its real partner.

Times are printed, never asserted.  Needs root, ip netns and dhtnode.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402
import netns_peers  # noqa: E402
from netns_peers import fail, peer_env  # noqa: E402

PEER = os.path.join(HERE, '..', 'discovery', 'dhtpeer.py')
SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))
ROUTERS = ['full-cone', 'port-restricted-cone', 'open', 'open', 'open']
BOOTSTRAP = '%s:4222' % natlab.SERVER_IP


def start_dht(lab):
    """21 dhtnode processes; returns how many."""
    if natlab.find_tool('dhtnode') is None:
        fail('dhtnode is not installed (tools/setup.sh installs it)')
    nodes = [('srv', 4222 + i) for i in range(12)]
    for host in ('lan3', 'lan4', 'lan5'):
        nodes += [(host, 4222 + i) for i in range(3)]
    for i, (node, port) in enumerate(nodes):
        argv = ['dhtnode', '-s', '-p', str(port)]
        if i > 0:
            argv += ['-b', BOOTSTRAP]
        lab.spawn(node, argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
        if i == 0:
            time.sleep(0.3)
    # The nodes find each other (a few rounds of OpenDHT's maintenance).
    time.sleep(2.0)
    return len(nodes)


class Peer:
    def __init__(self, lab, node, *args):
        self.node = node
        self.out = tempfile.NamedTemporaryFile('w+', prefix='dht-%s-' % node, dir=lab.workdir, delete=False)
        self.err = tempfile.NamedTemporaryFile('w+', prefix='dht-%s-err-' % node, dir=lab.workdir,
                                               delete=False)
        self.proc = lab.spawn(node, [sys.executable, PEER, '--dht', BOOTSTRAP] + list(args),
                              stdout=self.out, stderr=self.err, env=peer_env())

    def lines(self):
        with open(self.out.name) as f:
            return [json.loads(x) for x in f if x.startswith('{')]

    def up(self, timeout=30):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            for e in self.lines():
                if e.get('event') == 'up':
                    return e['peer']
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        fail('%s: its DHT node did not come up: %s\n%s' % (self.node, self.lines(), self.stderr()))

    def stderr(self):
        with open(self.err.name) as f:
            return f.read()[-3000:]

    def result(self, timeout=90):
        try:
            self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        res = [e for e in self.lines() if 'event' not in e]
        if not res:
            fail('%s: no result (status %s)\n%s' % (self.node, self.proc.returncode, self.stderr()))
        return res[-1]


def rendezvous():
    with natlab.Lab(ROUTERS) as lab:
        n = start_dht(lab)
        room = 'dht-%d' % os.getpid()
        stun = '%s:%d' % (natlab.SERVER_IP, natlab.STUN_PORT)
        a = Peer(lab, 'lan1', '--room', room, '--stun', stun)
        b = Peer(lab, 'lan2', '--room', room, '--stun', stun)
        ra, rb = a.result(), b.result()
        for name, r, p in (('a', ra, a), ('b', rb, b)):
            if not r.get('ok'):
                fail('peer %s (%s) did not connect: %s\n%s' % (name, p.node, r, p.stderr()))
        if ra['remote'] != rb['peer'] or rb['remote'] != ra['peer']:
            fail('the peers did not meet each other: %s %s' % (ra, rb))
        for name, r in (('a', ra), ('b', rb)):
            print('%s (%s NAT): DHT node up %d ms, descriptions traded %d ms later, ICE ready %d ms '
                  'after that, data %d ms; pair %s'
                  % (name, ROUTERS[0 if name == 'a' else 1], r['dht_ms'], r['negotiated_ms'] - r['dht_ms'],
                     r['ready_ms'] - r['negotiated_ms'], r['data_ms'], r.get('pair')))
        print('%d DHT nodes; no signaling server' % n)


def missing():
    with natlab.Lab(ROUTERS) as lab:
        start_dht(lab)
        nobody = secrets.token_hex(20)
        p = Peer(lab, 'lan1', '--to', nobody, '--timeout', '40')
        r = p.result()
        errors = r.get('errors') or []
        if not r.get('ok') or not errors or errors[0]['code'] != 404:
            fail('no 404 for a missing key: %s\n%s' % (r, p.stderr()))
        if nobody not in errors[0]['reason'] or 'not found' not in errors[0]['reason']:
            fail('unclear error: %s' % errors[0])
        took = errors[0]['ms'] - r['sent_ms']
        if took > 30000 * SCALE:
            fail('the lookup took %d ms, over the stated 30 s' % took)
        print('offer to a missing key: "%s" after %d ms (bound 30 s)' % (errors[0]['reason'], took))


def forged():
    forge = os.environ.get('NAV_DHT_FORGE')
    if not forge or not os.path.exists(forge):
        fail('NAV_DHT_FORGE does not name the dht-forge tool')
    with natlab.Lab(ROUTERS) as lab:
        start_dht(lab)
        room = 'forged-%d' % os.getpid()
        stun = '%s:%d' % (natlab.SERVER_IP, natlab.STUN_PORT)
        a = Peer(lab, 'lan1', '--room', room, '--stun', stun, '--hold', '3')
        victim = a.up()
        # The forger claims the partner's place with a key of its own.
        claimed = secrets.token_hex(20)
        f = lab.run('lan3', [forge, natlab.SERVER_IP, '4222', room, victim, claimed], timeout=60)
        if 'forged' not in f.stdout:
            fail('the forger failed: %s %s' % (f.stdout, f.stderr))
        time.sleep(1.0)
        b = Peer(lab, 'lan2', '--room', room, '--stun', stun)
        ra, rb = a.result(), b.result()
        if not ra.get('ok') or not rb.get('ok'):
            fail('the peers did not connect: %s %s\n%s' % (ra, rb, a.stderr()))
        if ra['remote'] != rb['peer']:
            fail('the victim met %s, not its partner %s' % (ra['remote'], rb['peer']))
        if ra['unsigned-ignored'] < 2 or ra['mismatched-ignored'] < 2:
            fail('forged values not all ignored and counted: %s\nforger: %s' % (ra, f.stderr))
        print('the victim ignored %d unsigned and %d wrongly signed values, and connected to its '
              'partner (ready %d ms)' % (ra['unsigned-ignored'], ra['mismatched-ignored'], ra['ready_ms']))


def demo():
    nav_demo = os.path.join(os.environ.get('NAV_BUILD_ROOT', ''), 'tools', 'nav-demo')
    with natlab.Lab(ROUTERS) as lab:
        start_dht(lab)
        argv = [nav_demo, '--dht', BOOTSTRAP, '--room', 'demo-%d' % os.getpid(), '-c', '50',
                '--stun', '%s:%d' % (natlab.SERVER_IP, natlab.STUN_PORT), '-t', str(int(60 * SCALE))]
        results = lab.run_many([('lan1', argv), ('lan2', argv)], timeout=90 * SCALE)
        for rc, out, err in results:
            if rc != 0 or 'data went both ways' not in out:
                fail('nav-demo --dht failed (status %s):\n%s\n%s' % (rc, out, err))
        for rc, out, err in results:
            print(' | '.join(line.strip() for line in out.splitlines() if 'setup' in line or 'path' in line))


if __name__ == '__main__':
    sys.exit(netns_peers.main(sys.argv[0], {
        'demo': demo,
        'rendezvous': rendezvous,
        'missing': missing,
        'forged': forged,
    }))
