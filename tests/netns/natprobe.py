#!/usr/bin/python3
"""A NAT mapping and filtering probe that shares no code with NetAvanue.

The harness runs it to check each router before any of our code is
trusted: a wrongly built NAT must never let a test pass.  Plain UDP with
JSON payloads, nothing of STUN.

    natprobe.py serve --addr 100.64.0.2 --addr 100.64.0.3 --port 4000 --port 4001
        Answers on every (address, port): it echoes the source address it
        saw, from the socket the request names (so that it can answer
        "from another IP" or "from another port").  Also accepts TCP on the
        first address and port and echoes the peer's address there.

    natprobe.py client --server 100.64.0.2 --alt 100.64.0.3 --port 4000 --port 4001
        Prints one JSON object: the local address, the mapped address seen
        from three server endpoints (primary, alternate IP, alternate IP and
        port), which unsolicited answers came through, and the RFC 4787
        mapping and filtering behaviours they imply.

Mapping (RFC 4787 §4.1): one socket sends to A = (primary, port1),
B = (alternate, port1), C = (alternate, port2).  Same mapped endpoint for
all three: endpoint-independent; A differs from B but B equals C:
address-dependent; B differs from C: address-and-port-dependent.

Filtering (RFC 4787 §5): a FRESH socket that only ever sends to A asks A's
server to answer from (alternate, port2) and from (primary, port2).  The
first getting through: endpoint-independent; only the second:
address-dependent; neither: address-and-port-dependent.  A fresh socket,
because a socket that has already sent to the alternate address has opened
the very holes the test looks for.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import json
import os
import select
import socket
import sys
import time

EI, AD, APD, NONE = ('endpoint-independent', 'address-dependent',
                     'address-and-port-dependent', 'no-nat')
_RANK = {NONE: 0, EI: 1, AD: 2, APD: 3}


def nat_type(udp, mapping, filtering):
    """The classic (RFC 3489) name of a behaviour pair."""
    if not udp:
        return 'udp-blocked'
    if mapping == NONE:
        return 'open-internet' if filtering in (NONE, EI) else 'firewall'
    if mapping == EI:
        return {EI: 'full-cone', AD: 'restricted-cone',
                APD: 'port-restricted-cone'}.get(filtering, 'unknown')
    if mapping in (AD, APD):
        return 'symmetric'
    return 'unknown'


def compose(outer, inner):
    """The behaviour of two NATs in a row: the more restrictive one."""
    return outer if _RANK[outer] >= _RANK[inner] else inner


# ---------------------------------------------------------------- server

def serve(addrs, ports):
    socks = {}
    for a in addrs:
        for p in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a, p))
            socks[(a, p)] = s
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addrs[0], ports[0]))
    tcp.listen(16)
    print('natprobe: serving', flush=True)
    readers = list(socks.values()) + [tcp]
    while True:
        ready, _, _ = select.select(readers, [], [])
        for s in ready:
            if s is tcp:
                c, peer = tcp.accept()
                try:
                    c.sendall(json.dumps({'seen': '%s:%d' % peer}).encode() + b'\n')
                finally:
                    c.close()
                continue
            try:
                data, peer = s.recvfrom(2048)
                req = json.loads(data)
                frm = req.get('from')
                out = socks.get((frm[0], frm[1])) if frm else s
                if out is None:
                    continue
                reply = {'t': req.get('t'), 'seen': '%s:%d' % peer,
                         'via': '%s:%d' % out.getsockname()}
                out.sendto(json.dumps(reply).encode(), peer)
            except (ValueError, TypeError, AttributeError, IndexError, OSError):
                continue     # garbage or an unreachable peer: ignore it


# ---------------------------------------------------------------- client

def _exchange(sock, requests, duration, interval=0.15):
    """Send every (token, dest, payload) each interval until all answered
    or duration passes; return {token: reply}."""
    got = {}
    deadline = time.monotonic() + duration
    next_send = 0.0
    while len(got) < len(requests):
        now = time.monotonic()
        if now >= deadline:
            break
        if now >= next_send:
            for tok, dest, payload in requests:
                if tok not in got:
                    try:
                        sock.sendto(payload, dest)
                    except OSError:
                        pass
            next_send = now + interval
        ready, _, _ = select.select([sock], [], [], min(next_send, deadline) - now)
        if ready:
            try:
                data, src = sock.recvfrom(2048)
                rep = json.loads(data)
            except (OSError, ValueError):
                continue
            if rep.get('t') in {r[0] for r in requests}:
                rep['src'] = '%s:%d' % src
                got[rep['t']] = rep
    return got


def _req(tok, frm=None):
    d = {'t': tok}
    if frm is not None:
        d['from'] = list(frm)
    return json.dumps(d).encode()


def probe(server, alt, ports, duration=1.5):
    p1, p2 = ports[0], ports[1]
    A, B, C = (server, p1), (alt, p1), (alt, p2)
    result = {'server': '%s:%d' % A}

    # UDP reachability and mapping: one socket, three destinations, one
    # after the other (each answer must come before the next send).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', 0))
    probe_local = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe_local.connect(A)
    local_ip = probe_local.getsockname()[0]
    probe_local.close()
    result['local'] = '%s:%d' % (local_ip, s.getsockname()[1])
    mapped = []
    for i, dest in enumerate((A, B, C)):
        tok = 'm%d-%s' % (i, os.urandom(4).hex())
        rep = _exchange(s, [(tok, dest, _req(tok))], duration)
        mapped.append(rep[tok]['seen'] if tok in rep else None)
    s.close()
    result['mapped'] = mapped
    result['udp'] = mapped[0] is not None
    if not result['udp']:
        mapping = filtering = None
    elif mapped[0] == result['local']:
        mapping = NONE
    elif None in mapped:
        mapping = None
    elif mapped[0] == mapped[1] == mapped[2]:
        mapping = EI
    elif mapped[1] == mapped[2]:
        mapping = AD
    else:
        mapping = APD

    # Filtering: a fresh socket that only ever sends to A.
    if result['udp']:
        f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        f.bind(('0.0.0.0', 0))
        tc, ti, tp = ('f-%s-%s' % (k, os.urandom(4).hex()) for k in ('ctl', 'ip', 'port'))
        # the control first, so the mapping exists before the others leave
        ctl = _exchange(f, [(tc, A, _req(tc))], duration)
        reqs = [(ti, A, _req(ti, C)), (tp, A, _req(tp, (server, p2)))]
        rep = _exchange(f, reqs, duration)
        f.close()
        result['filter'] = {'control': tc in ctl, 'other-ip-and-port': ti in rep,
                            'other-port': tp in rep}
        if mapping == NONE and ti in rep:
            filtering = NONE
        elif ti in rep:
            filtering = EI
        elif tp in rep:
            filtering = AD
        else:
            filtering = APD
    result['mapping'] = mapping
    result['filtering'] = filtering

    # TCP gets out?
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.settimeout(duration)
    try:
        t.connect(A)
        line = t.makefile().readline()
        result['tcp'] = True
        result['tcp_mapped'] = json.loads(line)['seen']
    except (OSError, ValueError, KeyError):
        result['tcp'] = False
    finally:
        t.close()
    result['type'] = nat_type(result['udp'], mapping, filtering)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    sv = sub.add_parser('serve')
    sv.add_argument('--addr', action='append', required=True)
    sv.add_argument('--port', action='append', type=int, required=True)
    cl = sub.add_parser('client')
    cl.add_argument('--server', required=True)
    cl.add_argument('--alt', required=True)
    cl.add_argument('--port', action='append', type=int, required=True)
    cl.add_argument('--duration', type=float, default=1.5,
                    help='seconds to wait for each answer (retransmitting)')
    args = ap.parse_args()
    if args.cmd == 'serve':
        if len(args.addr) != 2 or len(args.port) != 2:
            ap.error('give two --addr and two --port')
        serve(args.addr, args.port)
    else:
        if len(args.port) != 2:
            ap.error('give two --port')
        print(json.dumps(probe(args.server, args.alt, args.port, args.duration)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
