#!/usr/bin/python3
"""LAN discovery (NavDiscovery, mDNS/DNS-SD) in network namespaces
(suite 'netns').

The lab is two LAN segments (natlab `same-lan` routers): peers lan1,
lan1b, lan1c, lan1d on one, lan2 on the other.  Each peer is
tests/discovery/mdnspeer.py, a NavDiscovery in a process of its own.

    lan        Alice (lan1) and Bob (lan1b) find each other with their
               TXT (v, id, caps, reach, nat), port, IPv4 and IPv6 addresses;
               Carol on the other segment finds neither (mDNS stays on
               its link) and they do not find her.
    lifecycle  peer-changed when Bob's capabilities change; peer-lost
               after Bob's goodbye (SIGTERM); peer-lost within the TTL
               after Dave (host-ttl 3 s) is killed with SIGKILL.
    conflict   two peers publish the same instance name: one is renamed
               "Twin (2)" (RFC 6762 §9), and a third sees both.
    avahi      an avahi-daemon (with its own D-Bus daemon, in a mount
               namespace of its own) on the segment: avahi-browse
               resolves a NetAvanue peer, and NetAvanue finds a service
               published with avahi-publish.
    demo       two `nav-demo --discover` on the segment find each other
               and connect (ICE, data both ways) with no server given.
    flood      a hostile neighbour multicasts malformed messages,
               unrelated records, more fake instances than the cache
               holds, and an instance from an address off the link: the
               peer survives, counts what it dropped, keeps its cache
               bounded, never lists the off-link instance, and still
               finds a real peer that starts after the flood.

Times (found after start, lost after kill) are printed, never asserted;
the bounds below are failure guards scaled by NAV_TEST_TIME_SCALE.
Needs root and ip netns: skips (status 77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import signal
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

PEER = os.path.join(HERE, '..', 'discovery', 'mdnspeer.py')
FLOOD = os.path.join(HERE, '..', 'discovery', 'mdnsflood.py')
SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))
ROUTERS = ['same-lan:peers=4', 'same-lan']


def env():
    e = peer_env()
    e['NAV_MDNS_INTERFACES'] = 'eth0'
    return e


class Peer:
    """An mdnspeer.py process; its JSON events read as they come."""

    def __init__(self, lab, node, *args):
        self.node = node
        self.out = tempfile.NamedTemporaryFile('w+', prefix='mdns-%s-' % node, dir=lab.workdir,
                                               delete=False)
        self.err = tempfile.NamedTemporaryFile('w+', prefix='mdns-%s-err-' % node,
                                               dir=lab.workdir, delete=False)
        self.proc = lab.spawn(node, [sys.executable, PEER] + list(args), stdout=self.out,
                              stderr=self.err, env=env())
        self.started = time.monotonic()

    def events(self):
        with open(self.out.name) as f:
            return [json.loads(line) for line in f if line.startswith('{')]

    def stderr(self):
        with open(self.err.name) as f:
            return f.read()[-3000:]

    def wait_for(self, pred, timeout, what):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            for e in self.events():
                if pred(e):
                    return e
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        fail('%s: %s did not see %s; events %s\n%s' % (self.node, self.node, what, self.events(),
                                                       self.stderr()))

    def found(self, instance, timeout=10):
        return self.wait_for(lambda e: e['event'] == 'found' and e['peer']['instance'] == instance,
                             timeout, 'peer-found %r' % instance)

    def finish(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail('%s did not stop' % self.node)
        if sig == signal.SIGTERM and self.proc.returncode != 0:
            fail('%s exited with %s\n%s' % (self.node, self.proc.returncode, self.stderr()))
        return self.events()


def lan():
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        alice = Peer(lab, 'lan1', '--name', 'Alice', '--id', 'a11ce', '--caps', 'ice,dtls',
                     '--reach', 'room=red-lion-star', '--port', '4001',
                     '--nat', 'endpoint-independent address-dependent')
        bob = Peer(lab, 'lan1b', '--name', 'Bob', '--id', 'b0b', '--port', '4002')
        carol = Peer(lab, 'lan2', '--name', 'Carol', '--id', 'ca401')
        seen = bob.found('Alice')
        a = alice.found('Bob')
        p = seen['peer']
        if p['txt'][:5] != ['v=1', 'id=a11ce', 'caps=ice,dtls', 'reach=room=red-lion-star',
                            'nat=endpoint-independent address-dependent']:
            fail('Alice\'s TXT as Bob sees it: %s' % p['txt'])
        if p['port'] != 4001 or p['version'] != 1 or p['reach'] != 'room=red-lion-star' or \
                p['nat'] != 'endpoint-independent address-dependent':
            fail('Alice as Bob sees her: %s' % p)
        if lab.addresses['lan1'] not in p['addresses']:
            fail('Alice\'s IPv4 address %s missing: %s' % (lab.addresses['lan1'], p['addresses']))
        if not any(x.startswith('fe80:') for x in p['addresses']):
            fail('Alice\'s IPv6 address missing: %s' % p['addresses'])
        if not p['host'].startswith('nav-a11ce') or not p['host'].endswith('.local'):
            fail('Alice\'s host name: %s' % p['host'])
        # Carol had as long as both of them: nothing crosses the router.
        time.sleep(1.0)
        print('Bob found Alice %.0f ms after his start; Alice found Bob %.0f ms after hers'
              % (seen['t'] * 1000, a['t'] * 1000))
        for peer in (alice, bob, carol):
            events = peer.finish()
            names = {e['peer']['instance'] for e in events if e['event'] == 'found'}
            expected = {'lan1': {'Bob'}, 'lan1b': {'Alice'}, 'lan2': set()}[peer.node]
            if names != expected:
                fail('%s found %s, expected %s' % (peer.node, sorted(names), sorted(expected)))


def lifecycle():
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        alice = Peer(lab, 'lan1', '--name', 'Alice', '--duration', '60')
        bob = Peer(lab, 'lan1b', '--name', 'Bob', '--caps', 'ice', '--caps-later', 'ice,datachannel')
        dave = Peer(lab, 'lan1c', '--name', 'Dave', '--host-ttl', '3', '--duration', '60')
        alice.found('Bob')
        alice.found('Dave')
        bob.proc.send_signal(signal.SIGUSR1)
        changed = alice.wait_for(lambda e: e['event'] == 'changed' and e['peer']['instance'] == 'Bob',
                                 10, 'peer-changed Bob')
        if changed['peer']['caps'] != 'ice,datachannel':
            fail('Bob changed to %s' % changed['peer'])
        t0 = time.monotonic() - alice.started
        bob.finish()
        lost = alice.wait_for(lambda e: e['event'] == 'lost' and e['peer']['instance'] == 'Bob',
                              10, 'peer-lost Bob after his goodbye')
        print('Bob said goodbye: lost %.0f ms later' % ((lost['t'] - t0) * 1000))
        t1 = time.monotonic() - alice.started
        dave.finish(signal.SIGKILL)
        lost = alice.wait_for(lambda e: e['event'] == 'lost' and e['peer']['instance'] == 'Dave',
                              3 + 5, 'peer-lost Dave within his TTL of 3 s (plus a tick)')
        print('Dave (host TTL 3 s) killed: lost %.1f s later' % (lost['t'] - t1))
        alice.finish()


def conflict():
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        watcher = Peer(lab, 'lan1', '--no-publish', '--duration', '60')
        first = Peer(lab, 'lan1b', '--name', 'Twin', '--id', 'twin1')
        watcher.found('Twin')
        second = Peer(lab, 'lan1c', '--name', 'Twin', '--id', 'twin2')
        renamed = second.wait_for(lambda e: e['event'] == 'renamed', 10, 'its rename')
        if renamed['name'] != 'Twin (2)':
            fail('renamed to %r' % renamed['name'])
        found = watcher.found('Twin (2)')
        if found['peer']['id'] != 'twin2':
            fail('Twin (2) is %s' % found['peer'])
        ev = first.finish()
        if any(e['event'] == 'renamed' for e in ev):
            fail('the first owner of the name was renamed too')
        second.finish()
        watcher.finish()
        print('the second "Twin" became "Twin (2)"; both seen by a third peer')


AVAHI = r'''
set -e
mount -t tmpfs tmpfs /run/dbus
mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon
dbus-daemon --system --fork --nopidfile --print-pid=3 3>"$WORK/dbus.pid"
cat > "$WORK/avahi.conf" <<CONF
[server]
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$WORK/avahi.conf" >"$WORK/avahi.log" 2>&1 &
echo $! > "$WORK/avahi.pid"
for i in $(seq 100); do avahi-browse -at -p >/dev/null 2>&1 && break; sleep 0.1; done
echo avahi-up
start=$(date +%s.%N)
avahi-browse -rpt _netavanue._udp > "$WORK/browse.out"
echo "browse-done $(date +%s.%N) $start"
avahi-publish -s "Avahi Peer" _netavanue._udp 5555 v=1 id=avahi1 caps=avahi &
echo $! > "$WORK/publish.pid"
sleep 30 &
wait $!
'''


def avahi():
    for tool in ('avahi-daemon', 'avahi-browse', 'avahi-publish', 'dbus-daemon', 'unshare'):
        if natlab.find_tool(tool) is None:
            fail('%s is not installed (tools/setup.sh installs it)' % tool)
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        work = tempfile.mkdtemp(prefix='avahi-', dir=lab.workdir)
        nav = Peer(lab, 'lan1', '--name', 'NetAvanue Peer', '--id', 'nav1', '--reach', 'room=r1',
                   '--duration', '60')
        nav.wait_for(lambda e: e['event'] == 'started', 10, 'its start')
        time.sleep(1.5)     # probed and announced (0-250 ms, 3 x 250 ms, then announces)
        avahi_out = open(os.path.join(work, 'script.out'), 'w+')
        proc = lab.spawn('lan1c', ['unshare', '-m', 'sh', '-c', AVAHI], stdout=avahi_out,
                         stderr=subprocess.STDOUT, env=dict(os.environ, WORK=work))
        try:
            found = nav.found('Avahi Peer', timeout=30)
            with open(os.path.join(work, 'browse.out')) as f:
                browse = f.read()
            lines = [line.split(';') for line in browse.splitlines() if line.startswith('=')]
            ours = [f for f in lines if f[3] == r'NetAvanue\032Peer']
            if not ours:
                fail('avahi-browse did not resolve NetAvanue Peer:\n%s' % browse)
            f = ours[0]
            if f[7] != lab.addresses['lan1'] and not any(x[7] == lab.addresses['lan1'] for x in ours):
                fail('avahi-browse resolved the wrong address: %s' % ours)
            if f[8] != '4000' or '"id=nav1"' not in f[9] or '"reach=room=r1"' not in f[9] or '"v=1"' not in f[9]:
                fail('avahi-browse read: %s' % f)
            p = found['peer']
            if p['port'] != 5555 or p['id'] != 'avahi1' or p['caps'] != 'avahi' or \
                    lab.addresses['lan1c'] not in p['addresses']:
                fail('NetAvanue read Avahi\'s service as %s' % p)
            print('avahi-browse resolved NetAvanue\'s peer (%s, port %s, %s); NetAvanue found '
                  'avahi-publish\'s service (%s, port %d, %s)'
                  % (f[7], f[8], f[9], p['host'], p['port'], p['txt']))
        finally:
            for pid_file in ('publish.pid', 'avahi.pid', 'dbus.pid'):
                try:
                    with open(os.path.join(work, pid_file)) as f:
                        os.kill(int(f.read().strip()), signal.SIGTERM)
                except (OSError, ValueError):
                    pass
            proc.kill()
            proc.wait()
        # Killed with SIGTERM, avahi-publish withdrew its service.
        nav.wait_for(lambda e: e['event'] == 'lost' and e['peer']['instance'] == 'Avahi Peer', 15,
                     'peer-lost for Avahi\'s service after avahi-publish ended')
        nav.finish()


def flood():
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        victim = Peer(lab, 'lan1', '--name', 'Victim', '--duration', '90')
        victim.wait_for(lambda e: e['event'] == 'started', 10, 'its start')
        # An address on the attacker's interface that is in none of the
        # link's subnets (RFC 6762 §11: not on the link).
        lab.run('lan1c', ['ip', 'addr', 'add', '10.77.0.1/32', 'dev', 'eth0'], check=True)
        jobs = [('lan1c', [sys.executable, FLOOD, 'garbage', '20000']),
                ('lan1d', [sys.executable, FLOOD, 'unrelated', '5000']),
                ('lan1c', [sys.executable, FLOOD, 'fake', '3000'])]
        for rc, out, err in lab.run_many(jobs, timeout=120 * SCALE):
            if rc != 0:
                fail('flood sender failed: %s %s' % (out, err))
        # After the flood, so that no socket buffer overflow hides it.
        for _ in range(3):
            lab.run('lan1c', [sys.executable, FLOOD, 'spoof', 'Spoofed', '--source', '10.77.0.1'],
                    check=True)
        time.sleep(1.0)
        if victim.proc.poll() is not None:
            fail('the peer died under the flood (status %s)\n%s' % (victim.proc.returncode,
                                                                      victim.stderr()))
        bob = Peer(lab, 'lan1b', '--name', 'Bob')
        seen = victim.found('Bob', timeout=15)
        events = victim.finish()
        bob.finish()
        stopped = [e for e in events if e['event'] == 'stopped'][0]
        fakes = {e['peer']['instance'] for e in events if e['event'] == 'found'
                 and e['peer']['instance'].startswith('fake')}
        if any(e['event'] == 'found' and e['peer']['instance'] == 'Spoofed' for e in events):
            fail('an instance announced from off the link was taken')
        if stopped['malformed'] < 1000:
            fail('malformed messages not counted: %s' % stopped)
        if stopped['off-link'] < 1:
            fail('the off-link datagram was not counted: %s' % stopped)
        # Each fake instance is 4 records: at most 256 fit in the cache.
        if stopped['peers'] > 1024 // 4 + 1 or (len(fakes) > 1024 // 4 and stopped['cache-full'] < 1):
            fail('the cache was not bounded: %d fake instances seen, %d peers listed at the end, %s'
                 % (len(fakes), stopped['peers'], stopped))
        print('after %d datagrams (%d malformed, %d off the link, %d records refused by the full '
              'cache; %d fake instances of 3000 seen, %d peers listed at the end) Bob was found %.0f ms after he started'
              % (stopped['received'], stopped['malformed'], stopped['off-link'],
                 stopped['cache-full'], len(fakes), stopped['peers'], (seen['t'] - (bob.started - victim.started)) * 1000))


def demo():
    nav_demo = os.path.join(os.environ.get('NAV_BUILD_ROOT', ''), 'tools', 'nav-demo')
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        jobs = [(node, [nav_demo, '--discover', '-t', str(int(30 * SCALE)), '-c', '50'])
                for node in ('lan1', 'lan1b')]
        procs = [lab.spawn(node, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
                 for node, argv in jobs]
        outs = []
        for p in procs:
            try:
                out, err = p.communicate(timeout=60 * SCALE)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            outs.append((p.returncode, out, err))
        for rc, out, err in outs:
            if rc != 0 or 'data went both ways' not in out or 'Found' not in out:
                fail('nav-demo --discover failed (status %s):\n%s\n%s' % (rc, out, err))
        for rc, out, err in outs:
            found = [line for line in out.splitlines() if line.startswith('Found') or 'setup' in line]
            print(' | '.join(line.strip() for line in found))


if __name__ == '__main__':
    sys.exit(netns_peers.main(sys.argv[0], {
        'demo': demo,
        'lan': lan,
        'lifecycle': lifecycle,
        'conflict': conflict,
        'avahi': avahi,
        'flood': flood,
    }))
