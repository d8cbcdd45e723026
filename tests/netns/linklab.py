"""A two-host lab: two network namespaces joined by one veth pair, with
a one-way delay, a loss rate and a rate limit on the link.

What a bench across "a real link" needs, smaller than natlab's NAT
matrix (no routers, no servers): host `a` (10.77.0.1) and host `b`
(10.77.0.2) on one /24, each with a default route through its end of
the pair, so multicast (mDNS) crosses it as on a LAN segment.

  - delay: the kernel here has no sch_netem (`tc qdisc add ... netem`
    answers "Specified qdisc kind is unknown"), so packets are held in an
    NFQUEUE queue: iptables-legacy's raw table queues what `b` receives
    on and sends through its end (before conntrack), and a delayer gives
    each packet back DELAY ms later: bench/nfq-delay (C, for bulk
    transfers) when given, else tests/netns/nfqdelay.py.  The delay is
    one-way, in each direction: the round trip grows by twice it.
  - loss: nftables drops PCT % of the packets crossing b's end, each
    way, at random (natlab.loss_ruleset, before the queue); with a loss
    TCP sends one segment a packet (gso_max_segs 1), so that it loses
    PCT % of its segments as on a wire, not of its 64 KiB GSO packets.
  - rate: a token bucket (sch_tbf, which this kernel has) on each end's
    egress.

    with LinkLab(delay_ms=10, loss_pct=1, delayer='build/nfq-delay') as lab:
        lab.spawn('b', ['socat', ...]); lab.exec_prefix('a') + argv ...

Needs root, ip, nft, and iptables-legacy for a delay; natlab.can_run()
says why not otherwise.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402

ADDR = {'a': '10.77.0.1', 'b': '10.77.0.2'}
IFNAME = {'a': 'lnk0', 'b': 'lnk1'}


class LinkLabError(Exception):
    pass


def _sh(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise LinkLabError('%s failed (%d): %s' % (' '.join(argv), p.returncode, p.stderr.strip()))
    return p


class LinkLab:
    def __init__(self, delay_ms=0, loss_pct=0, rate_mbit=0, delayer=None):
        why = natlab.can_run()
        if why:
            raise LinkLabError(why)
        if delay_ms and shutil.which('iptables-legacy', path='/usr/sbin:/sbin:/usr/bin') is None:
            raise LinkLabError('a delay needs iptables-legacy (apt install iptables)')
        self.delay_ms = delay_ms
        self.loss_pct = loss_pct
        self.rate_mbit = rate_mbit
        self.delayer = delayer
        tag = 'll%d' % os.getpid()
        self.names = {'a': tag + '-a', 'b': tag + '-b'}
        self.procs = []
        self.workdir = tempfile.mkdtemp(prefix='linklab-')

    def ns(self, host):
        return self.names[host]

    def addr(self, host):
        return ADDR[host]

    def exec_prefix(self, host):
        """argv to put in front of a command to run it on host (ip netns
        exec replaces itself by the command: no process in between)."""
        return ['ip', 'netns', 'exec', self.names[host]]

    def spawn(self, host, argv, **kw):
        """Start argv on host; killed at teardown."""
        kw.setdefault('start_new_session', True)
        p = subprocess.Popen(self.exec_prefix(host) + list(argv), **kw)
        self.procs.append(p)
        return p

    def up(self):
        a, b = self.names['a'], self.names['b']
        for ns in (a, b):
            _sh(['ip', 'netns', 'add', ns])
            _sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        _sh(['ip', 'link', 'add', IFNAME['a'], 'netns', a, 'type', 'veth',
             'peer', 'name', IFNAME['b'], 'netns', b])
        for host in ('a', 'b'):
            ns, ifname = self.names[host], IFNAME[host]
            _sh(['ip', '-n', ns, 'addr', 'add', ADDR[host] + '/24', 'dev', ifname])
            _sh(['ip', '-n', ns, 'link', 'set', ifname, 'up'])
            _sh(['ip', '-n', ns, 'route', 'add', 'default', 'dev', ifname])
            if self.loss_pct:
                # A veth pair passes TCP's GSO packets whole (up to 64 KiB):
                # the loss rule would drop 1 % of those, far fewer losses
                # for TCP than 1 % of its segments.  One segment a packet,
                # as on a wire.
                _sh(['ip', '-n', ns, 'link', 'set', ifname, 'gso_max_segs', '1'])
            if self.rate_mbit:
                # burst: at least a few ms of the rate (and a GSO packet)
                burst = max(int(self.rate_mbit * 1e6 / 8 * 0.004), 128 * 1024)
                _sh(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', ifname, 'root', 'tbf',
                     'rate', '%dmbit' % self.rate_mbit, 'burst', str(burst), 'latency', '50ms'])
        if self.loss_pct:
            path = os.path.join(self.workdir, 'loss.nft')
            with open(path, 'w') as f:
                f.write(natlab.loss_ruleset(int(round(self.loss_pct * 10)), IFNAME['b']))
            _sh(['ip', 'netns', 'exec', b, 'nft', '-f', path])
        if self.delay_ms:
            ipt = ['ip', 'netns', 'exec', b, 'iptables-legacy', '-t', 'raw']
            _sh(ipt + ['-A', 'PREROUTING', '-i', IFNAME['b'], '-j', 'NFQUEUE',
                       '--queue-num', '0', '--queue-bypass'])
            _sh(ipt + ['-A', 'OUTPUT', '-o', IFNAME['b'], '-j', 'NFQUEUE',
                       '--queue-num', '0', '--queue-bypass'])
            argv = ([self.delayer, '--queue', '0', '--delay', str(self.delay_ms)] if self.delayer else
                    [sys.executable, os.path.join(HERE, 'nfqdelay.py'), '--queue', '0',
                     '--delay', str(self.delay_ms)])
            p = self.spawn('b', argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = p.stdout.readline()
            if 'bound' not in line:
                p.wait(5)
                raise LinkLabError('the delayer did not start: %s' % p.stderr.read())

    def describe(self):
        parts = ['veth pair between two namespaces']
        parts.append('%g ms each way (NFQUEUE)' % self.delay_ms if self.delay_ms else 'no delay')
        if self.loss_pct:
            parts.append('%g %% loss each way' % self.loss_pct)
        if self.rate_mbit:
            parts.append('%d Mbit/s (tbf)' % self.rate_mbit)
        return ', '.join(parts)

    def down(self):
        natlab.teardown([self.names['a'], self.names['b']], self.procs)
        self.procs = []
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()
