#!/usr/bin/python3
"""The lab link of bench/share-bench --lab (tests/netns/linklab.py):

  delay   bench/nfq-delay holds every packet of the link and gives all of
          them back, in the order they came (numbered datagrams both
          ways), and the delay is there (a TCP connect takes at least one
          round trip: a lower bound, not a timing assertion);
  loss    --loss drops about that share (50 % of 2000 datagrams: between
          35 and 65 % arrive), 100 % drops all; TCP sends one segment a
          packet (gso_max_segs 1) when there is a loss.

  test-netns-linklab.py NFQ_DELAY_BINARY delay|loss

Needs root and ip netns; skips (77) without them.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linklab  # noqa: E402

RECEIVER = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
s.bind((sys.argv[1], 7000))
print("ready", flush=True)
s.settimeout(10)
got = []
try:
    while True:
        data = s.recv(100)
        got.append(int(data))
        s.settimeout(1.5)
except socket.timeout:
    pass
print(" ".join(map(str, got)))
'''

SENDER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"%d" % i, (sys.argv[1], 7000))
    if i % 50 == 49:
        time.sleep(0.002)
'''


def datagrams(lab, src, dst, count):
    """count numbered datagrams from src to dst: the numbers received, in
    the order received."""
    r = lab.spawn(dst, [sys.executable, '-c', RECEIVER, lab.addr(dst)],
                  stdout=subprocess.PIPE, text=True)
    assert r.stdout.readline().strip() == 'ready'
    subprocess.run(lab.exec_prefix(src) + [sys.executable, '-c', SENDER, lab.addr(dst), str(count)],
                   check=True, timeout=60)
    out = r.stdout.read()
    r.wait(30)
    return [int(x) for x in out.split()]


def connect_time(lab):
    srv = lab.spawn('b', [sys.executable, '-c',
                          'import socket;s=socket.socket();s.bind(("%s",7001));s.listen();'
                          'print("ready",flush=True);s.accept()' % lab.addr('b')],
                    stdout=subprocess.PIPE, text=True)
    assert srv.stdout.readline().strip() == 'ready'
    out = subprocess.run(lab.exec_prefix('a') + [
        sys.executable, '-c',
        'import socket,time;t=time.monotonic();socket.create_connection(("%s",7001),timeout=10);'
        'print(time.monotonic()-t)' % lab.addr('b')], capture_output=True, text=True, check=True)
    srv.wait(10)
    return float(out.stdout)


def case_delay(delayer):
    with linklab.LinkLab(delay_ms=5, delayer=delayer) as lab:
        for src, dst in (('a', 'b'), ('b', 'a')):
            got = datagrams(lab, src, dst, 3000)
            assert got == list(range(3000)), '%s -> %s: %d of 3000 received, in order: %s' % (
                src, dst, len(got), got == sorted(got))
            print('ok: 3000 datagrams %s -> %s through the delayer, all, in order' % (src, dst))
        rtt = connect_time(lab)
        assert rtt >= 0.010, 'a TCP connect took %.1f ms, less than the 10 ms round trip' % (rtt * 1000)
        print('ok: a TCP connect took %.1f ms (the round trip is 10 ms)' % (rtt * 1000))
        assert lab.procs[0].poll() is None, 'the delayer died'


def case_loss(delayer):
    with linklab.LinkLab(loss_pct=50) as lab:
        got = datagrams(lab, 'a', 'b', 2000)
        assert 700 <= len(got) <= 1300, '%d of 2000 arrived at 50 %% loss' % len(got)
        print('ok: %d of 2000 datagrams arrived at 50 %% loss' % len(got))
        link = subprocess.run(['ip', '-d', '-n', lab.ns('a'), 'link', 'show', linklab.IFNAME['a']],
                              capture_output=True, text=True).stdout
        assert 'gso_max_segs 1 ' in link, link
        print('ok: one TCP segment a packet (gso_max_segs 1)')
    with linklab.LinkLab(loss_pct=100) as lab:
        got = datagrams(lab, 'a', 'b', 200)
        assert got == [], '%d of 200 arrived at 100 %% loss' % len(got)
        print('ok: nothing arrives at 100 % loss')


def main():
    delayer, case = sys.argv[1], sys.argv[2]
    why = linklab.natlab.can_run()
    if why:
        print('SKIP: %s' % why)
        return 77
    if case == 'delay' and not os.path.exists('/usr/sbin/iptables-legacy'):
        print('SKIP: a delay needs iptables-legacy (apt install iptables)')
        return 77
    {'delay': case_delay, 'loss': case_loss}[case](delayer)
    return 0


if __name__ == '__main__':
    sys.exit(main())
