#!/usr/bin/python3
"""Delay (and jitter) packets without netem: hold NFQUEUE verdicts.

The kernel here has no netem.  iptables-legacy's NFQUEUE target hands each
packet to this program, which gives it back (NF_ACCEPT) DELAY ms later,
plus a uniform random 0..JITTER ms, never reordering a queue.  Raw
nfnetlink (linux/netfilter/nfnetlink_queue.h), only the packet ids travel
(NFQNL_COPY_META).  Run inside the namespace whose rules queue:

    iptables-legacy -t raw -A PREROUTING -i wan0 -j NFQUEUE --queue-num 0 --queue-bypass
    nfqdelay.py --queue 0 --delay 100 --jitter 20

Prints "bound" once the queue is ours; runs until killed.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import collections
import errno
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 1, 2, 3
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def _attr(kind, data):
    a = struct.pack('=HH', 4 + len(data), kind) + data
    return a + b'\0' * (-len(a) % 4)


class Queue:
    def __init__(self, num):
        self.num = num
        self.seq = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((0, 0))
        self._config(_attr(NFQA_CFG_CMD, struct.pack('=BBH', NFQNL_CFG_CMD_BIND, 0,
                                                     socket.htons(socket.AF_INET))))
        self._config(_attr(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META)))
        self._config(_attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', 20000)))
        self._config(_attr(NFQA_CFG_MASK, struct.pack('!I', NFQA_CFG_F_FAIL_OPEN)) +
                     _attr(NFQA_CFG_FLAGS, struct.pack('!I', NFQA_CFG_F_FAIL_OPEN)))

    def _send(self, msg_type, flags, payload):
        self.seq += 1
        body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(self.num)) + payload
        self.sock.send(struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type,
                                   flags, self.seq, 0) + body)

    def _config(self, attrs):
        self._send(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, attrs)
        data = self.sock.recv(65536)
        length, kind = struct.unpack_from('=IH', data)
        if kind == NLMSG_ERROR:
            err = struct.unpack_from('=i', data, 16)[0]
            if err != 0:
                raise OSError(-err, 'nfqueue config: ' + errno.errorcode.get(-err, str(-err)))

    def verdict(self, packet_id):
        self._send(NFQNL_MSG_VERDICT, NLM_F_REQUEST,
                   _attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, packet_id)))

    def verdict_upto(self, packet_id):
        """Accept every packet of the queue up to packet_id (ids grow in
        the order the kernel queued them): one message for a whole run of
        packets that are due, instead of one each."""
        self._send(NFQNL_MSG_VERDICT_BATCH, NLM_F_REQUEST,
                   _attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, packet_id)))

    def packets(self):
        """The ids of the packets waiting in the socket now (every
        netlink message read until the socket is empty)."""
        ids = []
        while True:
            try:
                data = self.sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return ids
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # we fell behind; the kernel dropped some
                    return ids
                raise
            self._parse(data, ids)

    @staticmethod
    def _parse(data, ids):
        off = 0
        while off + 16 <= len(data):
            length, kind = struct.unpack_from('=IH', data, off)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + length:
                    alen, atype = struct.unpack_from('=HH', data, a)
                    if alen < 4:
                        break
                    if (atype & 0x3fff) == NFQA_PACKET_HDR:
                        ids.append(struct.unpack_from('!I', data, a + 4)[0])
                    a += (alen + 3) & ~3
            off += (length + 3) & ~3


def run(num, delay_ms, jitter_ms):
    q = Queue(num)
    print('bound', flush=True)
    held = collections.deque()           # (release time, id), in order
    last = 0.0
    while True:
        now = time.monotonic()
        due = None
        while held and held[0][0] <= now:
            due = held.popleft()[1]
        if due is not None:
            q.verdict_upto(due)           # the queue is released in order
        wait = (held[0][0] - now) if held else None
        ready, _, _ = select.select([q.sock], [], [], wait)
        if ready:
            now = time.monotonic()
            for pid in q.packets():
                t = now + (delay_ms + random.uniform(0, jitter_ms)) / 1000.0
                last = max(last, t)       # a link does not reorder
                held.append((last, pid))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--queue', type=int, default=0)
    ap.add_argument('--delay', type=float, default=0, help='ms')
    ap.add_argument('--jitter', type=float, default=0, help='ms, uniform 0..JITTER added')
    a = ap.parse_args()
    try:
        run(a.queue, a.delay, a.jitter)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
