#!/usr/bin/python3
"""natlab: real NATs on one machine, with network namespaces and nftables.

A "wan" namespace holds a bridge on 100.64.0.0/16 (inside the RFC 6598
range 100.64.0.0/10) standing for the public internet.  On it:

  * the server namespace "srv": 100.64.0.2 and 100.64.0.3 (two addresses
    for RFC 5780), running nav-server --stun and a NAT probe server;
  * one router namespace "rN" per router, wan0 = 100.64.N.1, lan0 = a
    bridge on 198.18.N.1/24, with peers "lanN", "lanNb", ... at
    198.18.N.2, .3, ... behind it;
  * for "open", no router: the peer "lanN" sits on the bridge itself at
    100.64.N.2;
  * for "double-nat", a carrier-grade NAT "cgnN" (wan0 = 100.64.N.1, lan0 =
    100.100.N.1/24, RFC 6598 shared space) in front of the home router "rN"
    (wan0 = 100.100.N.2, lan0 = 198.18.N.1/24).

Router kinds (RFC 4787 behaviours):
    full-cone             EIM + endpoint-independent filtering
    restricted-cone       EIM + address-dependent filtering
    port-restricted-cone  EIM + address-and-port-dependent filtering
    symmetric             address-and-port-dependent mapping
    udp-blocked           UDP dropped, TCP NATed
    open                  no NAT at all (a host on the public side)
    same-lan              port-restricted-cone with two peers
    double-nat            outer (default port-restricted-cone) in front of
                          inner (default full-cone)
Options per router, after a colon: peers=N, loss=PERMILLE, delay=MS,
jitter=MS, outer=KIND, inner=KIND, hostdrop=N, e.g.
    symmetric:loss=50:delay=100  double-nat:outer=symmetric  open:hostdrop=2

loss drops at random on the uplink, both ways.  Behind a router that is
silent, as on a real link; for "open" the uplink is the peer's own eth0, so
a request dropped on its way out fails the peer's sendto() with EPERM (what
netfilter returns for a local NF_DROP).  hostdrop=N makes that
deterministic: each peer's own firewall drops every N-th STUN datagram
(UDP to port 3478) it sends, the first one included.

Usage by hand (as root):
    natlab.py up --routers full-cone,symmetric [--verify]
    natlab.py exec lan1 nav-stun --nat-type 100.64.0.2
    natlab.py list
    natlab.py down [LAB]

From a test:
    with natlab.Lab(['full-cone', 'symmetric']) as lab:
        lab.verify()
        print(lab.run('lan1', ['nav-stun', '--nat-type', lab.stun_server]).stdout)

Everything created is torn down on exit, on an exception and on SIGTERM,
SIGINT or SIGHUP: processes inside the namespaces are killed first, then
the namespaces are deleted.  Names carry the creating process's pid, so
parallel labs never collide.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import natprobe  # noqa: E402

KINDS = ('full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric',
         'udp-blocked', 'open', 'same-lan', 'double-nat')
NAT_KINDS = ('full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric',
             'udp-blocked')

SERVER_IP = '100.64.0.2'
SERVER_ALT_IP = '100.64.0.3'
# The TURN server has an address of its own: nav-server --turn answers
# Binding but not RFC 5780, so it cannot share the STUN server's ports.
TURN_IP = '100.64.0.4'
WAN_PREFIX = 16
STUN_PORT = 3478
PROBE_PORTS = (4000, 4001)
STATE_DIR = '/run/natlab'
TLS_PORT = 5349
TURN_USER, TURN_PASSWORD, TURN_REALM = 'natlab', 'natlab-secret', 'natlab'
# ip netns exec bind-mounts /etc/netns/NS/ENTRY over /etc/ENTRY: the lab's
# certificate authority, trusted inside the lab's namespaces only.
NETNS_ETC = '/etc/netns'

# What the probe must see behind each kind: (udp, mapping, filtering).
_B = {
    'full-cone': (natprobe.EI, natprobe.EI),
    'restricted-cone': (natprobe.EI, natprobe.AD),
    'port-restricted-cone': (natprobe.EI, natprobe.APD),
    'symmetric': (natprobe.APD, natprobe.APD),
    'open': (natprobe.NONE, natprobe.NONE),
}


class NatLabError(Exception):
    pass


def expected_behaviour(router):
    """(udp, mapping, filtering, type) the probe must find behind router."""
    kind = router['kind']
    if kind == 'double-nat':
        outer, inner = router['outer'], router['inner']
        if 'udp-blocked' in (outer, inner):
            return (False, None, None, 'udp-blocked')
        m = natprobe.compose(_B[outer][0], _B[inner][0])
        f = natprobe.compose(_B[outer][1], _B[inner][1])
    elif kind == 'udp-blocked':
        return (False, None, None, 'udp-blocked')
    else:
        m, f = _B['port-restricted-cone' if kind == 'same-lan' else kind]
    return (True, m, f, natprobe.nat_type(True, m, f))


def parse_router(spec):
    """'symmetric:loss=50:delay=100' -> dict."""
    parts = spec.strip().split(':')
    kind = parts[0]
    if kind not in KINDS:
        raise NatLabError('unknown router kind %r (known: %s)' % (kind, ', '.join(KINDS)))
    r = {'kind': kind, 'peers': 2 if kind == 'same-lan' else 1, 'loss': 0,
         'delay': 0, 'jitter': 0, 'outer': 'port-restricted-cone', 'inner': 'full-cone',
         'hostdrop': 0}
    for opt in parts[1:]:
        key, sep, val = opt.partition('=')
        if not sep or key not in ('peers', 'loss', 'delay', 'jitter', 'outer', 'inner',
                                  'hostdrop'):
            raise NatLabError('bad router option %r in %r' % (opt, spec))
        if key in ('outer', 'inner'):
            if val not in NAT_KINDS:
                raise NatLabError('%s= must be one of %s' % (key, ', '.join(NAT_KINDS)))
            r[key] = val
        else:
            r[key] = int(val)
    if not 0 <= r['loss'] <= 1000:
        raise NatLabError('loss is in per mille, 0..1000')
    if r['hostdrop'] == 1 or r['hostdrop'] < 0:
        raise NatLabError('hostdrop is 0 (off) or N >= 2 (drop every N-th)')
    if not 1 <= r['peers'] <= 200:
        raise NatLabError('peers must be 1..200')
    if kind == 'open' and r['peers'] != 1:
        raise NatLabError('an open host is one peer')
    return r


def nat_ruleset(kind, wan='wan0', lan='lan0'):
    """nftables rules making a router behave as kind (see NETSIM-NOTES)."""
    cone = kind in ('full-cone', 'restricted-cone')
    rules = ['table ip natlab {']
    if cone:
        # Endpoint-independent filtering needs the mapping learnt after
        # SNAT: mapped port -> internal address and port.
        rules.append('  map eim { type inet_service : ipv4_addr . inet_service;'
                     ' flags dynamic,timeout; timeout 5m; }')
    if kind == 'restricted-cone':
        # Address-dependent filtering: (remote address, mapped port) pairs
        # the inside has sent to.
        rules.append('  set adf { type ipv4_addr . inet_service;'
                     ' flags dynamic,timeout; timeout 5m; }')
    rules.append('  chain prerouting { type nat hook prerouting priority dstnat; policy accept;')
    if kind == 'full-cone':
        rules.append('    iifname "%s" meta l4proto udp dnat ip to udp dport map @eim' % wan)
    elif kind == 'restricted-cone':
        rules.append('    iifname "%s" meta l4proto udp ip saddr . udp dport @adf'
                     ' dnat ip to udp dport map @eim' % wan)
    rules.append('  }')
    rules.append('  chain postrouting { type nat hook postrouting priority srcnat; policy accept;')
    rules.append('    oifname "%s" masquerade%s' % (wan, ' fully-random' if kind == 'symmetric' else ''))
    rules.append('  }')
    if cone:
        # A filter chain sees every packet (a nat chain only the first of a
        # flow), so the entries stay fresh while the flow lives.
        rules.append('  chain learn { type filter hook postrouting priority srcnat + 10; policy accept;')
        rules.append('    oifname "%s" meta l4proto udp ct direction original update @eim'
                     ' { ct reply proto-dst : ct original ip saddr . ct original proto-src }' % wan)
        if kind == 'restricted-cone':
            rules.append('    oifname "%s" meta l4proto udp ct direction original update @adf'
                         ' { ip daddr . ct reply proto-dst }' % wan)
        rules.append('  }')
    rules.append('}')
    # Unsolicited packets are dropped, never rejected: an ICMP error would
    # leave a conntrack entry that breaks later hole punching.
    rules += [
        'table inet natlab_filter {',
        '  chain input { type filter hook input priority filter; policy drop;',
        '    iifname "lo" accept',
        '    ct state established,related accept',
        '    iifname != "%s" accept' % wan,
        '  }',
        '  chain forward { type filter hook forward priority filter; policy drop;',
    ]
    if kind == 'udp-blocked':
        rules.append('    meta l4proto udp drop')
    rules += [
        '    ct state established,related accept',
        '    iifname "%s" oifname "%s" accept' % (lan, wan),
        '    iifname "%s" oifname "%s" ct status dnat accept' % (wan, lan),
        '  }',
        '}',
    ]
    return '\n'.join(rules) + '\n'


def hostdrop_ruleset(every, ifname):
    """The host's own firewall drops every every-th STUN datagram it sends
    (the first included): sendto() fails with EPERM for those."""
    return ('table inet natlab_hostdrop {\n'
            '  chain out { type filter hook output priority 0; policy accept;\n'
            '    oifname "%s" udp dport %d numgen inc mod %d == 0 drop\n  }\n'
            '}\n' % (ifname, STUN_PORT, every))


def loss_ruleset(permille, ifname):
    """Drop permille/1000 of the packets crossing ifname, both ways."""
    cond = '' if permille >= 1000 else 'numgen random mod 1000 < %d ' % permille
    return ('table inet natlab_loss {\n'
            '  chain in { type filter hook prerouting priority -400; policy accept;\n'
            '    iifname "%s" %sdrop\n  }\n'
            '  chain out { type filter hook postrouting priority 400; policy accept;\n'
            '    oifname "%s" %sdrop\n  }\n'
            '}\n' % (ifname, cond, ifname, cond))


def _sh(argv, check=True, input=None):
    p = subprocess.run(argv, input=input, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise NatLabError('%s failed (%d): %s' % (' '.join(argv), p.returncode,
                                                 p.stderr.strip()))
    return p


def find_tool(name):
    """A NetAvanue tool from the build tree (NAV_BUILD_ROOT) or PATH."""
    root = os.environ.get('NAV_BUILD_ROOT')
    if root and os.access(os.path.join(root, 'tools', name), os.X_OK):
        return os.path.join(root, 'tools', name)
    path = shutil.which(name)
    if path is None:
        raise NatLabError('%s not found: set NAV_BUILD_ROOT to a build directory' % name)
    return path


def can_run():
    """None if labs can be built here, else why not."""
    if os.geteuid() != 0:
        return 'needs root and ip netns (not root)'
    for tool in ('ip', 'nft'):
        if shutil.which(tool, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') is None:
            return 'needs root and ip netns (%s missing)' % tool
    p = subprocess.run(['ip', 'netns', 'list'], capture_output=True)
    if p.returncode != 0:
        return 'needs root and ip netns (ip netns does not work)'
    return None


class Lab:
    """A set of namespaces; a context manager that always tears down."""

    def __init__(self, routers, name=None, stun=True, probe_server=True,
                 server_args=(), keep=False, turn=False):
        self.routers = [parse_router(r) if isinstance(r, str) else r for r in routers]
        self.name = name or 'nl%d' % os.getpid()
        self.stun = stun
        self.turn = turn               # nav-server --turn too (UDP, TCP, TLS)
        self.turn_user = TURN_USER
        self.turn_password = TURN_PASSWORD
        self.ca_file = None            # the TURN server's self-signed certificate
        self.probe_server = probe_server
        self.server_args = list(server_args)
        self.keep = keep               # by hand: survive this process
        self.namespaces = []           # created, in order
        self.nodes = {}                # short name -> namespace
        self.addresses = {}            # short name -> IPv4 address
        self.procs = []
        self.workdir = None
        self._old_handlers = {}
        self._delays = []              # (namespace, delay ms, jitter ms)
        self.server = None
        self.turn_server = None
        self.server_log = None
        self.stun_server = SERVER_IP

    # ------------------------------------------------------------ names
    def ns(self, node):
        if node not in self.nodes:
            raise NatLabError('no node %r in lab %s (have: %s)'
                              % (node, self.name, ', '.join(sorted(self.nodes))))
        return self.nodes[node]

    def peers(self, index=None):
        """Peer node names, of router index (1-based) or all."""
        out = []
        for i, r in enumerate(self.routers, 1):
            if index is None or index == i:
                out += [self._peer_name(i, k) for k in range(r['peers'])]
        return out

    @staticmethod
    def _peer_name(i, k):
        return 'lan%d' % i + ('' if k == 0 else chr(ord('a') + k))

    # ------------------------------------------------------------ building
    def _add_ns(self, node):
        name = '%s-%s' % (self.name, node)
        if os.path.exists('/run/netns/' + name):
            raise NatLabError('namespace %s exists already' % name)
        _sh(['ip', 'netns', 'add', name])
        self.namespaces.append(name)
        self.nodes[node] = name
        return name

    def _veth(self, ns_a, if_a, ns_b, if_b):
        _sh(['ip', 'link', 'add', 'name', if_a, 'netns', ns_a, 'type', 'veth',
             'peer', 'name', if_b, 'netns', ns_b])

    def up(self):
        sweep_stale()
        try:
            self._install_signal_handlers()
            self._build()
        except BaseException:
            self.down()
            raise
        return self

    def _build(self):
        self.workdir = tempfile.mkdtemp(prefix='natlab-%s-' % self.name)
        scripts = {}
        wan = self._add_ns('wan')
        scripts[wan] = ['ip link set lo up',
                        'echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true',
                        'echo 0 > /proc/sys/net/bridge/bridge-nf-call-ip6tables 2>/dev/null || true',
                        'ip link add br0 type bridge',
                        'ip link set br0 up',
                        'ip addr add 100.64.0.1/%d dev br0' % WAN_PREFIX]
        srv = self._add_ns('srv')
        self._veth(srv, 'eth0', wan, 'srv')
        scripts[wan] += ['ip link set srv master br0', 'ip link set srv up']
        scripts[srv] = ['ip link set lo up',
                        'ip addr add %s/%d dev eth0' % (SERVER_IP, WAN_PREFIX),
                        'ip addr add %s/%d dev eth0' % (SERVER_ALT_IP, WAN_PREFIX),
                        'ip addr add %s/%d dev eth0' % (TURN_IP, WAN_PREFIX),
                        'ip link set eth0 up']
        self.addresses['srv'] = SERVER_IP
        for i, r in enumerate(self.routers, 1):
            if i > 250:
                raise NatLabError('at most 250 routers')
            if r['kind'] == 'open':
                node = self._peer_name(i, 0)
                ns = self._add_ns(node)
                self._veth(ns, 'eth0', wan, 'o%d' % i)
                scripts[wan] += ['ip link set o%d master br0' % i, 'ip link set o%d up' % i]
                ip = '100.64.%d.2' % i
                scripts[ns] = ['ip link set lo up',
                               'ip addr add %s/%d dev eth0' % (ip, WAN_PREFIX),
                               'ip link set eth0 up']
                self.addresses[node] = ip
                self._shape(scripts[ns], ns, 'eth0', r)
                self._hostdrop(scripts[ns], ns, r)
                continue
            outer_kind = r['kind']
            home_uplink = (wan, 'r%d' % i)
            home_wan_ip = '100.64.%d.1/%d' % (i, WAN_PREFIX)
            home_gw = None
            if r['kind'] == 'double-nat':
                cgn = self._add_ns('cgn%d' % i)
                self._veth(cgn, 'wan0', wan, 'c%d' % i)
                scripts[wan] += ['ip link set c%d master br0' % i, 'ip link set c%d up' % i]
                scripts[cgn] = self._router_script(r['outer'], '100.64.%d.1/%d' % (i, WAN_PREFIX),
                                                   None, '100.100.%d.1/24' % i)
                self._shape(scripts[cgn], cgn, 'wan0', r)
                self.addresses['cgn%d' % i] = '100.64.%d.1' % i
                home_uplink = (cgn, 'h%d' % i)
                home_wan_ip = '100.100.%d.2/24' % i
                home_gw = '100.100.%d.1' % i
                outer_kind = r['inner']
            elif r['kind'] == 'same-lan':
                outer_kind = 'port-restricted-cone'
            rt = self._add_ns('r%d' % i)
            self._veth(rt, 'wan0', home_uplink[0], home_uplink[1])
            if home_gw is None:
                scripts[wan] += ['ip link set %s master br0' % home_uplink[1],
                                 'ip link set %s up' % home_uplink[1]]
            else:
                scripts[home_uplink[0]] += ['ip link set %s master lan0' % home_uplink[1],
                                            'ip link set %s up' % home_uplink[1]]
            scripts[rt] = self._router_script(outer_kind, home_wan_ip, home_gw,
                                              '198.18.%d.1/24' % i)
            if r['kind'] != 'double-nat':
                self._shape(scripts[rt], rt, 'wan0', r)
            self.addresses['r%d' % i] = home_wan_ip.split('/')[0]
            for k in range(r['peers']):
                node = self._peer_name(i, k)
                ns = self._add_ns(node)
                self._veth(ns, 'eth0', rt, 'p%d' % k)
                scripts[rt] += ['ip link set p%d master lan0' % k, 'ip link set p%d up' % k]
                ip = '198.18.%d.%d' % (i, k + 2)
                scripts[ns] = ['ip link set lo up',
                               'ip addr add %s/24 dev eth0' % ip,
                               'ip link set eth0 up',
                               'ip route add default via 198.18.%d.1' % i]
                self._hostdrop(scripts[ns], ns, r)
                self.addresses[node] = ip
        # Configure every namespace at once: they are independent.
        running = []
        for ns in self.namespaces:
            script = 'set -e\n' + '\n'.join(scripts.get(ns, [])) + '\n'
            running.append((ns, subprocess.Popen(['ip', 'netns', 'exec', ns, 'sh', '-c', script],
                                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                 text=True)))
        for ns, p in running:
            out, err = p.communicate()
            if p.returncode != 0:
                raise NatLabError('configuring %s failed: %s' % (ns, err.strip()))
        self._start_delayers()
        self._start_servers()
        if self.keep:
            self._save_state()

    def _router_script(self, kind, wan_cidr, gateway, lan_cidr):
        rules = os.path.join(self.workdir, 'nat-%d.nft' % len(self.namespaces))
        with open(rules, 'w') as f:
            f.write(nat_ruleset(kind))
        s = ['ip link set lo up',
             'echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true',
             'echo 0 > /proc/sys/net/bridge/bridge-nf-call-ip6tables 2>/dev/null || true',
             'ip addr add %s dev wan0' % wan_cidr,
             'ip link set wan0 up',
             'ip link add lan0 type bridge',
             'ip addr add %s dev lan0' % lan_cidr,
             'ip link set lan0 up',
             'echo 1 > /proc/sys/net/ipv4/ip_forward',
             'nft -f %s' % rules]
        if gateway:
            s.append('ip route add default via %s' % gateway)
        return s

    def _hostdrop(self, script, ns, r):
        if r['hostdrop']:
            path = os.path.join(self.workdir, 'hostdrop-%s.nft' % ns)
            with open(path, 'w') as f:
                f.write(hostdrop_ruleset(r['hostdrop'], 'eth0'))
            script.append('nft -f %s' % path)

    def _shape(self, script, ns, ifname, r):
        if r['loss']:
            path = os.path.join(self.workdir, 'loss-%s.nft' % ns)
            with open(path, 'w') as f:
                f.write(loss_ruleset(r['loss'], ifname))
            script.append('nft -f %s' % path)
        if r['delay'] or r['jitter']:
            if shutil.which('iptables-legacy', path='/usr/sbin:/sbin:/usr/bin') is None:
                raise NatLabError('delay needs iptables-legacy (apt install iptables)')
            # Queue before conntrack (raw table), in both directions: what
            # comes in on ifname, and what goes out through it.
            script.append('iptables-legacy -t raw -A PREROUTING -i %s -j NFQUEUE'
                          ' --queue-num 0 --queue-bypass' % ifname)
            if ifname == 'wan0':
                script.append('iptables-legacy -t raw -A PREROUTING ! -i %s -j NFQUEUE'
                              ' --queue-num 0 --queue-bypass' % ifname)
            else:
                script.append('iptables-legacy -t raw -A OUTPUT -o %s -j NFQUEUE'
                              ' --queue-num 0 --queue-bypass' % ifname)
            self._delays.append((ns, r['delay'], r['jitter']))

    def _start_delayers(self):
        for ns, delay, jitter in self._delays:
            p = self.spawn(ns, [sys.executable, os.path.join(HERE, 'nfqdelay.py'),
                                '--queue', '0', '--delay', str(delay),
                                '--jitter', str(jitter)],
                           raw_ns=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
            line = p.stdout.readline()
            if 'bound' not in line:
                p.wait(5)
                raise NatLabError('the delayer in %s did not start: %s' % (ns, p.stderr.read()))

    def _start_servers(self):
        if self.probe_server:
            p = self.spawn('srv', [sys.executable, os.path.join(HERE, 'natprobe.py'), 'serve',
                                   '--addr', SERVER_IP, '--addr', SERVER_ALT_IP,
                                   '--port', str(PROBE_PORTS[0]), '--port', str(PROBE_PORTS[1])],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if 'serving' not in p.stdout.readline():
                raise NatLabError('the probe server did not start')
        if self.stun:
            log = open(os.path.join(self.workdir, 'nav-server.log'), 'w')
            self.server = self.spawn('srv', [find_tool('nav-server'), '--stun',
                                             '-L', SERVER_IP, '--alt-listening-ip', SERVER_ALT_IP,
                                             '--no-tls'] + self.server_args,
                                     stdout=log, stderr=subprocess.STDOUT)
            log.close()
        if self.turn:
            self.server_log = os.path.join(self.workdir, 'nav-server-turn.log')
            log = open(self.server_log, 'w')
            self.turn_server = self.spawn('srv', [find_tool('nav-server')] + self._turn_args(),
                                          stdout=log, stderr=subprocess.STDOUT)
            log.close()
        if self.stun:
            self._wait_udp('srv', [(SERVER_IP, STUN_PORT), (SERVER_ALT_IP, STUN_PORT + 1)],
                           self.server)
        if self.turn:
            self._wait_udp('srv', [(TURN_IP, STUN_PORT)], self.turn_server)
            self._wait_tcp('srv', [(TURN_IP, STUN_PORT), (TURN_IP, TLS_PORT)],
                           self.turn_server)

    def _turn_args(self):
        """TURN over UDP, TCP and TLS on TURN_IP (ports 3478 and 5349),
        relaying on it, with one long-term user; a self-signed certificate
        for TURN_IP that the lab's peers trust (and nothing outside)."""
        cert = os.path.join(self.workdir, 'turn-cert.pem')
        key = os.path.join(self.workdir, 'turn-key.pem')
        _sh(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
             '-days', '2', '-subj', '/CN=natlab TURN server',
             '-addext', 'subjectAltName=IP:%s' % TURN_IP])
        self.ca_file = cert
        for node, ns in self.nodes.items():
            if node.startswith('lan'):
                d = os.path.join(NETNS_ETC, ns, 'ssl', 'certs')
                os.makedirs(d, exist_ok=True)
                shutil.copy(cert, os.path.join(d, 'ca-certificates.crt'))
        # 100.64.0.0/10 is shared address space, denied as a peer by
        # default (RFC 8656 §21.4): here it is the internet.
        return ['--turn', '-L', TURN_IP, '--lt-cred-mech', '--realm', TURN_REALM,
                '--user', '%s:%s' % (TURN_USER, TURN_PASSWORD), '--relay-ip', TURN_IP,
                '--allowed-peer-ip', '100.64.0.0/10', '--tls-listening-port', str(TLS_PORT),
                '--cert', cert, '--pkey', key, '--verbose']

    def _wait_tcp(self, node, endpoints, proc, timeout=10.0):
        want = {'%s:%d' % e for e in endpoints}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise NatLabError('server in %s exited with %d; log in %s'
                                  % (node, proc.returncode, self.workdir))
            out = _sh(['ip', 'netns', 'exec', self.ns(node), 'ss', '-Hltn']).stdout
            have = {line.split()[3] for line in out.splitlines() if len(line.split()) > 3}
            if want <= have:
                return
            time.sleep(0.05)
        raise NatLabError('server in %s does not listen on TCP %s'
                          % (node, ', '.join(sorted(want))))

    def relay_transports(self):
        """{relayed address 'ip:port': client transport (udp, tcp, tls)}
        from the TURN server's log of the allocations it made."""
        out = {}
        try:
            with open(self.server_log, errors='replace') as f:
                for line in f:
                    m = re.search(r'event=allocation-created client=\S+ via=(\w+)'
                                  r' relay=(\S+)', line)
                    if m:
                        out[m.group(2)] = m.group(1)
        except (OSError, AttributeError):
            pass
        return out

    def _wait_udp(self, node, endpoints, proc, timeout=10.0):
        want = {'%s:%d' % e for e in endpoints}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise NatLabError('server in %s exited with %d; log in %s'
                                  % (node, proc.returncode, self.workdir))
            out = _sh(['ip', 'netns', 'exec', self.ns(node), 'ss', '-Hlun']).stdout
            have = {line.split()[3] for line in out.splitlines() if len(line.split()) > 3}
            if want <= have:
                return
            time.sleep(0.05)
        raise NatLabError('server in %s does not listen on %s' % (node, ', '.join(sorted(want))))

    # ------------------------------------------------------------ running
    def spawn(self, node, argv, raw_ns=False, **kw):
        """Start argv inside node; killed at teardown."""
        ns = node if raw_ns else self.ns(node)
        kw.setdefault('start_new_session', True)
        p = subprocess.Popen(['ip', 'netns', 'exec', ns] + list(argv), **kw)
        self.procs.append(p)
        return p

    def run(self, node, argv, timeout=60, check=False, **kw):
        """Run argv inside node to completion; a CompletedProcess."""
        kw.setdefault('capture_output', True)
        kw.setdefault('text', True)
        p = subprocess.run(['ip', 'netns', 'exec', self.ns(node)] + list(argv),
                           timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise NatLabError('%s in %s: status %d: %s' % (' '.join(argv), node,
                                                           p.returncode, p.stderr))
        return p

    def run_many(self, jobs, timeout=60):
        """Run [(node, argv)] concurrently; [(returncode, stdout, stderr)]."""
        procs = [self.spawn(node, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=False) for node, argv in jobs]
        out = []
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                o, e = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
                out.append((p.returncode, o, e))
            except subprocess.TimeoutExpired:
                p.kill()
                o, e = p.communicate()
                out.append((None, o, e + '\n[natlab: timed out]'))
        return out

    def run_pair(self, node_a, argv_a, node_b, argv_b, timeout=60, env=None):
        """The matrix runner's building block: two peers, two processes,
        started together (each in its own LAN) with a shared directory in
        NATLAB_DIR for exchanging descriptions; returns both results."""
        pair_dir = tempfile.mkdtemp(prefix='pair-', dir=self.workdir)
        e = dict(os.environ if env is None else env)
        e['NATLAB_DIR'] = pair_dir
        e['NATLAB_STUN'] = '%s:%d' % (SERVER_IP, STUN_PORT)
        procs = []
        for node, argv, role in ((node_a, argv_a, 'a'), (node_b, argv_b, 'b')):
            e2 = dict(e, NATLAB_ROLE=role, NATLAB_NODE=node,
                      NATLAB_ADDRESS=self.addresses.get(node, ''))
            procs.append(self.spawn(node, argv, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=e2))
        results = []
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                o, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
                results.append((p.returncode, o, err))
            except subprocess.TimeoutExpired:
                p.kill()
                o, err = p.communicate()
                results.append((None, o, err + '\n[natlab: timed out]'))
        return results

    def stop_servers(self, timeout=20):
        """Stop the lab's nav-server processes with SIGTERM, as an operator
        would, and return [(name, exit status)]: a clean stop is 0, and in a
        sanitizer build that includes LeakSanitizer's verdict at exit."""
        out = []
        for name, p in (('stun', self.server), ('turn', self.turn_server)):
            if p is None:
                continue
            if p.poll() is None:
                # ip netns exec execs the server: the signal reaches it.
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            out.append((name, p.returncode))
        return out

    # ------------------------------------------------------------ checking
    def probe(self, node, duration=1.5):
        p = self.run(node, [sys.executable, os.path.join(HERE, 'natprobe.py'), 'client',
                            '--server', SERVER_IP, '--alt', SERVER_ALT_IP,
                            '--port', str(PROBE_PORTS[0]), '--port', str(PROBE_PORTS[1]),
                            '--duration', str(duration)], timeout=60, check=True)
        return json.loads(p.stdout)

    def verify(self, duration=None):
        """Probe every peer concurrently; raise unless each router behaves
        as its kind says.  Returns [(router, node, probe result)]."""
        jobs, meta = [], []
        for i, r in enumerate(self.routers, 1):
            d = duration or (3.0 if r['loss'] or r['delay'] else 1.5)
            for node in self.peers(i):
                jobs.append((node, [sys.executable, os.path.join(HERE, 'natprobe.py'), 'client',
                                    '--server', SERVER_IP, '--alt', SERVER_ALT_IP,
                                    '--port', str(PROBE_PORTS[0]),
                                    '--port', str(PROBE_PORTS[1]), '--duration', str(d)]))
                meta.append((r, node))
        results = []
        bad = []
        for (r, node), (rc, out, err) in zip(meta, self.run_many(jobs)):
            if rc != 0:
                raise NatLabError('probe in %s failed: %s' % (node, err))
            res = json.loads(out)
            results.append((r, node, res))
            udp, m, f, t = expected_behaviour(r)
            if res['udp'] != udp or (udp and (res['mapping'] != m or res['filtering'] != f)) \
               or (not udp and not res['tcp']) or res['type'] != t:
                bad.append('%s (%s): expected %s, probe saw %s'
                           % (node, describe(r), t, json.dumps(res)))
        if bad:
            raise NatLabError('routers do not behave as built:\n  ' + '\n  '.join(bad))
        return results

    # ------------------------------------------------------------ teardown
    def _install_signal_handlers(self):
        if self.keep:
            return

        def handler(signum, frame):
            raise SystemExit(128 + signum)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                self._old_handlers[s] = signal.signal(s, handler)
            except ValueError:       # not the main thread
                pass
        atexit.register(self.down)

    def down(self):
        # Signals would interrupt the teardown itself: hold them off.
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                signal.signal(s, signal.SIG_IGN)
            except ValueError:
                pass
        try:
            teardown(self.namespaces, self.procs)
            self.namespaces = []
            self.procs = []
            if self.workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
            try:
                os.unlink(os.path.join(STATE_DIR, self.name + '.json'))
            except OSError:
                pass
        finally:
            for s, h in self._old_handlers.items():
                signal.signal(s, h)
            self._old_handlers = {}

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False

    # ------------------------------------------------------------ by hand
    def _save_state(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, self.name + '.json'), 'w') as f:
            json.dump({'name': self.name, 'namespaces': self.namespaces, 'nodes': self.nodes,
                       'addresses': self.addresses, 'routers': self.routers,
                       'workdir': self.workdir}, f, indent=1)

    @classmethod
    def load(cls, name=None):
        names = sorted(f[:-5] for f in os.listdir(STATE_DIR) if f.endswith('.json')) \
            if os.path.isdir(STATE_DIR) else []
        if name is None:
            if not names:
                raise NatLabError('no lab is up (natlab.py up --routers ...)')
            if len(names) > 1:
                raise NatLabError('%d labs up (%s): name one' % (len(names), ' '.join(names)))
            name = names[0]
        with open(os.path.join(STATE_DIR, name + '.json')) as f:
            st = json.load(f)
        lab = cls(st['routers'], name=st['name'], keep=True)
        lab.namespaces, lab.nodes = st['namespaces'], st['nodes']
        lab.addresses, lab.workdir = st['addresses'], st['workdir']
        return lab


def describe(r):
    if r['kind'] == 'double-nat':
        s = 'double-nat (%s in front of %s)' % (r['outer'], r['inner'])
    else:
        s = r['kind']
    extra = ['%s=%d' % (k, r[k]) for k in ('loss', 'delay', 'jitter', 'hostdrop') if r.get(k)]
    return s + (' [' + ', '.join(extra) + ']' if extra else '')


def sweep_stale():
    """Tear down the labs of test processes that died without tearing
    down (SIGKILL: meson's timeout kills a test's process group, and the
    teardown of a big lab takes seconds), with the servers still running
    inside.  A lab is stale when the pid in its name (nlPID-...) is gone
    and it is not a lab left up by hand (natlab.py up).  Returns the
    namespaces removed."""
    kept = set()
    if os.path.isdir(STATE_DIR):
        kept = {f[:-5] for f in os.listdir(STATE_DIR) if f.endswith('.json')}
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    stale = []
    for line in out.splitlines():
        ns = line.split()[0] if line.split() else ''
        m = re.match(r'^(nl(\d+)(?:-[ab])?)-[a-z0-9]+$', ns)
        if m and m.group(1) not in kept and not os.path.exists('/proc/%s' % m.group(2)):
            stale.append(ns)
    if stale:
        teardown(stale)
    return stale


def teardown(namespaces, procs=()):
    """Kill every process inside the namespaces, then delete them."""
    for ns in reversed(namespaces):
        p = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True, text=True)
        for pid in p.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (p.stdout, p.stderr):
            if stream is not None:
                stream.close()
    for ns in reversed(namespaces):
        if re.match(r'^nl\d+', ns):       # ours: the lab's trusted CA
            shutil.rmtree(os.path.join(NETNS_ETC, ns), ignore_errors=True)
        for _ in range(50):
            left = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True,
                                  text=True).stdout.split()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            time.sleep(0.02)
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def print_table(rows, out=sys.stdout):
    """rows: list of tuples of strings, the first the header."""
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print('  '.join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip(), file=out)
        if n == 0:
            print('  '.join('-' * w for w in widths), file=out)


def main():
    ap = argparse.ArgumentParser(description='Real NATs with network namespaces.',
                                 epilog='Router kinds: ' + ', '.join(KINDS))
    sub = ap.add_subparsers(dest='cmd', required=True)
    up = sub.add_parser('up', help='build a lab and leave it up')
    up.add_argument('--routers', required=True,
                    help='comma-separated router kinds, e.g. full-cone,symmetric:loss=50')
    up.add_argument('--verify', action='store_true', help='probe every router afterwards')
    up.add_argument('--no-stun', action='store_true', help='do not start nav-server')
    up.add_argument('--turn', action='store_true',
                    help='also a TURN server (UDP, TCP, TLS) on %s' % TURN_IP)
    ex = sub.add_parser('exec', help='run a command inside a node')
    ex.add_argument('--lab')
    ex.add_argument('node')
    ex.add_argument('argv', nargs=argparse.REMAINDER)
    pr = sub.add_parser('probe', help='probe the routers of a lab')
    pr.add_argument('--lab')
    sub.add_parser('list', help='the labs that are up')
    dn = sub.add_parser('down', help='tear a lab down')
    dn.add_argument('lab', nargs='?')
    args = ap.parse_args()

    try:
        if args.cmd == 'up':
            why = can_run()
            if why:
                print('natlab: ' + why, file=sys.stderr)
                return 77
            lab = Lab(args.routers.split(','), stun=not args.no_stun, turn=args.turn,
                      keep=True).up()
            try:
                if args.verify:
                    _print_probe(lab)
            except BaseException:
                lab.down()
                raise
            print('lab %s is up; nodes:' % lab.name)
            for node in sorted(lab.nodes):
                print('  %-8s %-16s %s' % (node, lab.addresses.get(node, ''), lab.nodes[node]))
            print('STUN server: %s:%d (RFC 5780 alternate %s:%d); tear down with: %s down %s'
                  % (SERVER_IP, STUN_PORT, SERVER_ALT_IP, STUN_PORT + 1, sys.argv[0], lab.name))
            if args.turn:
                print('TURN server: %s:%d (UDP, TCP), %s:%d (TLS), user %s, password %s'
                      % (TURN_IP, STUN_PORT, TURN_IP, TLS_PORT, TURN_USER, TURN_PASSWORD))
        elif args.cmd == 'exec':
            lab = Lab.load(args.lab)
            argv = args.argv[1:] if args.argv[:1] == ['--'] else args.argv
            if not argv:
                argv = [os.environ.get('SHELL', '/bin/sh')]
            os.execvp('ip', ['ip', 'netns', 'exec', lab.ns(args.node)] + argv)
        elif args.cmd == 'probe':
            _print_probe(Lab.load(args.lab))
        elif args.cmd == 'list':
            if os.path.isdir(STATE_DIR):
                for f in sorted(os.listdir(STATE_DIR)):
                    if f.endswith('.json'):
                        with open(os.path.join(STATE_DIR, f)) as fh:
                            st = json.load(fh)
                        print(st['name'], ' '.join(describe(r) for r in st['routers']))
        elif args.cmd == 'down':
            Lab.load(args.lab).down()
    except NatLabError as e:
        print('natlab: %s' % e, file=sys.stderr)
        return 1
    return 0


def _print_probe(lab):
    rows = [('router', 'node', 'mapped (3 endpoints)', 'mapping', 'filtering', 'type')]
    try:
        results = lab.verify()
        ok = True
    except NatLabError as e:
        print(e, file=sys.stderr)
        ok = False
        results = []
        for i, r in enumerate(lab.routers, 1):
            for node in lab.peers(i):
                results.append((r, node, lab.probe(node)))
    for r, node, res in results:
        rows.append((describe(r), node, ' '.join(m or '-' for m in res['mapped']),
                     res['mapping'] or '-', res['filtering'] or '-', res['type']))
    print_table(rows)
    if not ok:
        raise NatLabError('verification failed')


if __name__ == '__main__':
    sys.exit(main())
