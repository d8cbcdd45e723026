#!/usr/bin/python3
"""Hub election across the netns lab (issue 18): five members, each an
"open" host of the lab's internet whose own link delays every packet
50 ms and drops 2.5 % each way (NFQUEUE and nftables: the kernel has no
netem), so that member to member through the signaling server is 100 ms
and about 5 % loss; `nav-server --signaling` in the lab's server
namespace.  WAN settings: 100 ms heartbeats, a 1 s lease.

The members agree on member 0; it is SIGKILLed and the survivors agree on
member 1 in a higher epoch; then member 1, and member 2 takes over.  The
times are printed (the issue's target on this lab is 3 s; the bound
asserted is the harness's guard only).  Root only (suite netns).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "netns"))
sys.path.insert(0, HERE)

import natlab  # noqa: E402
from test_group import Group, Process, server_env  # noqa: E402

ROUTERS = ["open:delay=50:loss=25"] * 5
WAN = ["--group-heartbeat=100", "--group-lease=1000"]


def lab_group(lab, n, extra=()):
    server = Process(["ip", "netns", "exec", lab.ns("srv"), "nav-server", "--signaling",
                      "-L", natlab.SERVER_IP, "--signaling-port=0", "-v",
                      "--signaling-rate=0", "--signaling-ip-rate=0"], env=server_env())
    port = server.wait_line(r"event=listening server=signaling url=ws://[0-9.]+:(\d+)/").group(1)
    uri = "ws://%s:%s/" % (natlab.SERVER_IP, port)
    prefixes = [["ip", "netns", "exec", lab.ns(p)] for p in lab.peers()[:n]]
    return Group(n, server=(server, uri), prefixes=prefixes, extra=list(WAN) + list(extra))


def main():
    with natlab.Lab(ROUTERS, stun=False, probe_server=False) as lab:
        g = lab_group(lab, 5)
        try:
            epoch, took = g.wait_agreement(0)
            print("lab: 5 members agree on member 0, epoch %d (%.0f ms)" % (epoch, took * 1000))
            for hub in (0, 1):
                g.kill(hub)
                nxt, took = g.wait_agreement(hub + 1)
                print("lab: hub %d killed: survivors agree on member %d, epoch %d, %.0f ms"
                      % (hub, hub + 1, nxt, took * 1000))
                assert nxt > epoch
                epoch = nxt
        finally:
            g.close()
    print("ok")


if __name__ == "__main__":
    main()
