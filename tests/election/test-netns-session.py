#!/usr/bin/python3
"""Persistent sessions across a network change (issue 18, item 6), in the
netns lab: three `nav-demo --group-member` processes, members 0 and 1
"open" hosts of the lab's internet, member 2 behind a port-restricted
NAT (router r3); `nav-server --signaling` in the lab's server namespace.

Once the star's links are up (member 2 linked to the hub, member 0, and
to the runner-up, member 1), member 2 streams 60 messages, one every
50 ms; a third of the way in, its network changes: the public address of
its NAT moves (ip addr del/add on the router's wan0) and the NAT's
mappings go (conntrack -F).  Its signaling connection breaks and comes
back with a new peer id, its links' paths fail, and the links restart
ICE through the room.  Checked:
  - the session continues: the same session id, no new peer connection
    at either end (the DTLS association and the channel are the ones of
    before: links-created unchanged), and ICE restarts negotiated;
  - every message of the stream delivered exactly once at members 0
    and 1, in order.

With the argument `own`, member 2 is an "open" host too and the address
that changes is its own: ip addr del/add on its eth0 (100.64.3.2 →
100.64.3.78), nothing else touched.  Its sockets bound to the old
address are dead ends; an ICE restart gathers host candidates on the new
address (nav_agent_gather_new_addresses), and the same checks hold.
Root only (suite netns).
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "netns"))
sys.path.insert(0, HERE)

import natlab  # noqa: E402
from test_group import Group, Process, WAIT_LIMIT_S, server_env, stats  # noqa: E402

COUNT = 60


def main():
    own = sys.argv[1:] == ["own"]
    routers = ["open", "open", "open" if own else "port-restricted-cone"]
    with natlab.Lab(routers, stun=False, probe_server=False) as lab:
        server = Process(["ip", "netns", "exec", lab.ns("srv"), "nav-server", "--signaling",
                          "-L", natlab.SERVER_IP, "--signaling-port=0", "-v",
                          "--signaling-rate=0", "--signaling-ip-rate=0"], env=server_env())
        port = server.wait_line(r"event=listening server=signaling url=ws://[0-9.]+:(\d+)/").group(1)
        uri = "ws://%s:%s/" % (natlab.SERVER_IP, port)
        prefixes = [["ip", "netns", "exec", lab.ns(p)] for p in lab.peers()[:3]]
        g = Group(3, server=(server, uri), prefixes=prefixes)
        try:
            # The hub is whoever the scores say (the NAT'd member's may
            # differ); member 2 links to both others either way (as hub,
            # or as a spoke to the hub and the runner-up).
            deadline = time.monotonic() + WAIT_LIMIT_S
            while True:
                views = [g.view(i) for i in range(3)]
                if all(views) and len({v[:2] for v in views}) == 1:
                    break
                assert time.monotonic() < deadline, views
                time.sleep(0.05)
            print("hub: member %d" % g.ids.index(views[0][0]))
            for i in range(3):
                print(g.members[i].last(r"event=claims .*").group(0))
            for peer in (0, 1):
                g.members[2].wait_line(r"event=link peer=%s state=open" % g.ids[peer])
            before = {i: stats(g.members[i]) for i in range(3)}
            start = time.monotonic()
            for k in range(COUNT):
                if k == COUNT // 3 and own:
                    lab.run(lab.peers()[2], ["sh", "-c",
                                             "ip addr del 100.64.3.2/%d dev eth0 && "
                                             "ip addr add 100.64.3.78/%d dev eth0"
                                             % (natlab.WAN_PREFIX, natlab.WAN_PREFIX)], check=True)
                    print("member 2's own address changed after %d messages" % k, flush=True)
                elif k == COUNT // 3:
                    lab.run("r3", ["sh", "-c", "ip addr del 100.64.3.1/%d dev wan0 && "
                                   "ip addr add 100.64.3.77/%d dev wan0 && conntrack -F"
                                   % (natlab.WAN_PREFIX, natlab.WAN_PREFIX)], check=True)
                    print("member 2's network changed after %d messages" % k, flush=True)
                g.members[2].write("send move-%d" % k)
                time.sleep(0.05)
            for i in (0, 1):
                for k in range(COUNT):
                    g.members[i].wait_line(r"event=message origin=%s text=move-%d " % (g.ids[2], k))
            took = time.monotonic() - start
            time.sleep(0.5)
            for i in (0, 1):
                texts = [m.group(1) for m in
                         g.members[i].all(r"event=message origin=%s text=(move-\d+)" % g.ids[2])]
                assert texts == ["move-%d" % k for k in range(COUNT)], (i, texts)
            # The links came back over the same peer connections.
            deadline = time.monotonic() + WAIT_LIMIT_S
            while True:
                after = {i: stats(g.members[i]) for i in range(3)}
                if after[2]["links"] >= 2 and after[0]["links"] >= 2:
                    break
                assert time.monotonic() < deadline, after
                time.sleep(0.2)
            print("before: %r\nafter: %r" % (before, after))
            for i in range(3):
                assert after[i]["session"] == before[i]["session"], (i, before[i], after[i])
                assert after[i]["created"] == before[i]["created"], (i, before[i], after[i])
            assert sum(after[i]["restarts"] for i in range(3)) >= 1, after
            print("member 2 moved: %d messages delivered once, in order, at members 0 and 1 "
                  "(%.1f s); same session, same peer connections, %d ICE restart(s)"
                  % (COUNT, took, sum(after[i]["restarts"] for i in range(3))))
        finally:
            g.close()
    print("ok")


if __name__ == "__main__":
    main()
