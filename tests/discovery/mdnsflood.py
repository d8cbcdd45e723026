#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hostile neighbour on the link, for test-netns-discovery.py flood.

Multicasts to 224.0.0.251:5353 from port 5353 (so that the datagrams are
taken as mDNS responses), with no NetAvanue code:

  garbage N      N malformed messages: random bytes, truncated headers
                 and records, compression-pointer loops and forward
                 pointers, labels over 63 bytes, names over 255, counts
                 larger than the message, RDATA of the wrong length
  unrelated N    N well-formed responses about other names and types
  fake N         N well-formed `_netavanue._udp` instances (PTR, SRV,
                 TXT, A), more than the cache may hold
  spoof NAME     one well-formed instance NAME sent from --source, an
                 address that is not on the link
"""
import argparse
import os
import random
import socket
import struct
import sys


def name(n):
    out = b''
    for label in n.split('.'):
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b'\0'


def rr(n, rtype, rdata, ttl=120, flush=True):
    return name(n) + struct.pack('!HHIH', rtype, 0x8001 if flush else 1, ttl, len(rdata)) + rdata


def response(records):
    return struct.pack('!HHHHHH', 0, 0x8400, 0, len(records), 0, 0) + b''.join(records)


def instance(label, ip, port=9):
    svc = '%s._netavanue._udp.local' % label
    host = '%s-host.local' % label
    txt = b''.join(bytes([len(s)]) + s for s in (b'v=1', b'id=' + label.encode(), b'caps=evil'))
    return response([
        rr('_netavanue._udp.local', 12, name(svc), 4500, False),
        rr(svc, 33, struct.pack('!HHH', 0, 0, port) + name(host)),
        rr(svc, 16, txt, 4500),
        rr(host, 1, socket.inet_aton(ip)),
    ])


def garbage(rng):
    kind = rng.randrange(9)
    header = struct.pack('!HHHHHH', 0, 0x8400, 0, 1, 0, 0)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 1500)))
    if kind == 1:
        return header[:rng.randrange(12)]
    if kind == 2:   # a pointer to itself
        return header + b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 120, 4) + b'\1\2\3\4'
    if kind == 3:   # a forward pointer
        return header + b'\xc0\x40' + struct.pack('!HHIH', 1, 1, 120, 4) + b'\1\2\3\4' + b'\0' * 64
    if kind == 4:   # a label of 64 bytes and more
        return header + bytes([64]) + b'a' * 64 + b'\0' + struct.pack('!HHIH', 1, 1, 120, 4) + b'\1\2\3\4'
    if kind == 5:   # a name over 255 bytes
        return header + (bytes([63]) + b'b' * 63) * 5 + b'\0' + struct.pack('!HHIH', 1, 1, 120, 4) + b'1234'
    if kind == 6:   # counts larger than the message
        return struct.pack('!HHHHHH', 0, 0x8400, 0xffff, 0xffff, 0xffff, 0xffff) + b'\0' * 20
    if kind == 7:   # an A record of 5 bytes
        return header + name('x.local') + struct.pack('!HHIH', 1, 1, 120, 5) + b'12345'
    # a valid instance, cut somewhere
    m = instance('cut%d' % rng.randrange(1000), '198.18.1.66')
    return m[:rng.randrange(12, len(m))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['garbage', 'unrelated', 'fake', 'spoof'])
    ap.add_argument('arg')
    ap.add_argument('--source', default='0.0.0.0')
    ap.add_argument('--seed', type=int, default=19)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.bind((args.source, 5353))
    if args.source != '0.0.0.0':
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.source))
    dest = ('224.0.0.251', 5353)
    sent = 0
    if args.mode == 'spoof':
        s.sendto(instance(args.arg, '198.18.1.77'), dest)
        sent = 1
    else:
        for i in range(int(args.arg)):
            if args.mode == 'garbage':
                msg = garbage(rng)
            elif args.mode == 'unrelated':
                msg = response([rr('n%d-%d.local' % (i, rng.randrange(10 ** 6)), rng.choice([1, 12, 16, 33]),
                                   b'\1\2\3\4' if rng.random() < 0.5 else name('t%d.local' % i))])
            else:
                msg = instance('fake%d' % i, '198.18.1.%d' % (100 + i % 100))
            try:
                s.sendto(msg, dest)
                sent += 1
            except OSError:
                pass
    print('sent %d' % sent)
    return 0


if __name__ == '__main__':
    sys.exit(main())
