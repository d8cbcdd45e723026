#!/usr/bin/python3
"""Hub election between processes (issue 18): `nav-demo --group-member`
processes in a room of a real `nav-server --signaling` on loopback, each
with a fake battery (NAV_POWER_SUPPLY_ROOT) so that their scores differ
(member 0 best, then 1, 2, ...).

Cases (argv[1]):
  agree    5 members agree on member 0; SIGKILL it, the survivors agree on
           member 1 in a higher epoch; SIGKILL that, member 2.
  battery  the hub's battery drops under 20 % discharging: it yields to
           member 1 in a higher epoch.
  attacks  a client of the room (Python, GI) sends a record signed by
           another key than its own, a replayed one, one with a lower
           sequence, a forged hub claim, an impossible claim and garbage:
           every member refuses and counts each, and the hub stays (the
           members linked over data channels, as by default).
  attacks-room  the same with --group-room-only (no data channels).
  messages star messages through the hub, sent across a hub kill: every
           survivor delivers each message exactly once (over the links'
           data channels once open; through the room to the next hub
           until its links open).
  channels once the star's links are open (spokes ↔ hub, spokes ↔
           runner-up), records and messages travel over the data
           channels only: nothing more through the room, every message
           delivered once.
  hybrid   the hybrid topology, 5 members, core of 4: the links formed are
           exactly the rule's (a mesh among the 4 best, the fifth linked
           to the hub and the runner-up only), and stay so.
  hybrid-messages  the hybrid topology, 5 members, core of 3: a core
           member's messages reach the other core members from it over
           the core's links (message path counts: none relayed by the
           hub, no second copy), the outer ring's and the outer ring
           through the hub; across a hub kill while members stream (the
           core becomes {1, 2, 3}), every survivor delivers every
           message once and in each origin's order, and the new core's
           mesh carries its members' messages.
  restart  persistent sessions on loopback: members told that their
           network changed (nav_group_network_changed(), what the group
           does itself when its signaling connection comes back) restart
           ICE on their links while messages stream: the same session id,
           no new peer connection, ICE restarts counted, every message
           delivered once and in order, and the links carry the traffic
           again afterwards.
  standby  warm standby: the spokes' links to the runner-up are up before
           the hub is killed; after the kill the new hub uses them (no
           new peer connection between a spoke and the new hub), and
           the messages sent across the kill are delivered once.
  python   the API through GI: a Nav.Group of this process joins, is
           elected, exchanges messages with the members, sees them (and
           they it) reachable over its direct links, and leaves.
  demo     `nav-demo --group 4`: agreement, then two hub kills survived.
  link-forgery  a client of the room offers links in members' names
           (unsigned, signed with its own key, garbage): refused and counted
           (links-refused), no peer connection made.
  message-forgery  a malicious hub (this process: a Nav.Election over the
           room with a big claim, elected by the members) alters a
           spoke's message as it relays it, forges messages in the
           spoke's name (its PREV changed or dropped too) and replays the
           genuine one: every other member
           refuses the altered and forged ones (messages-refused), counts
           the replay (messages-replayed) and delivers the genuine message
           exactly once.
  message-order  the same malicious hub relays a spoke's first message, then
           the next three last first (as a direct copy can overtake an earlier relayed
           one in a hybrid): every other member delivers them once, in
           the origin's order.
  message-first-order  the same malicious hub relays a spoke's very first
           messages out of order (the second first, then the fourth before
           the third): every other member delivers all four once, in the
           origin's order (before the sequence of the sender's previous
           message was in each message, the first one heard started the
           order and the earlier one was dropped as below it); another
           origin's second message relayed without its first is still
           delivered once the hold is over.
  message-late-joiner  the same malicious hub keeps a spoke's message sent
           before a fourth member joins, and relays it after the spoke's
           next one: the members present then wait for it and deliver
           both in order; the fourth does not wait for a message sent
           before it joined (it delivers the second alone).
  reachable  reachability verified by peers: three members linked over
           loopback (direct host pairs) each list the others in their
           records, so every one of the three sees all three verified;
           a fourth member without links (--group-room-only) that claims
           to be reachable is never verified and its claim is counted
           (unconfirmed-claim) by the three; a fifth without links that
           claims nothing is neither verified nor counted; the default
           scores do not move.
  reachable-failover  a star without the warm standby, 4 members: the
           hub is killed, and the spokes have no link (nobody lists
           them) until the new hub's links open: they lose their
           verification for that while, are verified again once those
           links are up, and no claim of theirs is ever counted as
           unconfirmed (nobody could link to them yet: no penalty).
  capped-claim  a fourth member, weaker but claiming 10 Gbit/s (and not
           checking claims itself), would win on its claim: it takes
           itself for the hub, but every other member counts its claim
           only up to what it measured on its loopback link to it (plus
           claim-margin), refuses its hub claims, and keeps member 0.
"""
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "signaling"))

# The signaling tests' child process and server helpers (GI set up there).
from test_signaling import Process, WAIT_LIMIT_S, nav_server, server_env  # noqa: E402,F401
from gi.repository import GLib, Nav  # noqa: E402

ROOM = "election-test-%d" % os.getpid()


def matches(proc, pattern):
    """Every match of pattern in proc's lines so far, in order."""
    regex = re.compile(pattern)
    with proc.cond:
        found = [regex.search(line) for line in proc.lines]
    return [m for m in found if m]


class Member:
    """A `nav-demo --group-member` process, its commands through a FIFO."""

    def __init__(self, index, uri, power_root, fifo, prefix=(), extra=()):
        os.mkfifo(fifo)
        # Opened read-write, so that neither side blocks on open.
        self.control = os.open(fifo, os.O_RDWR)
        env = server_env()
        env["NAV_POWER_SUPPLY_ROOT"] = power_root
        # No hysteresis: the battery levels differ by less than its margin,
        # and the first hub must be member 0 however late it starts.
        self.proc = Process([*prefix, "nav-demo", "--group-member", str(index), "--signal", uri,
                             "--room", ROOM, "--group-hysteresis=0", "--group-control", fifo,
                             *extra], env=env)
        self.lines = self.proc.lines
        self.wait_line = self.proc.wait_line

    def all(self, pattern):
        return matches(self.proc, pattern)

    def last(self, pattern):
        found = self.all(pattern)
        return found[-1] if found else None

    def write(self, text):
        os.write(self.control, (text + "\n").encode())

    def stop(self, sig=signal.SIGTERM):
        if sig != signal.SIGTERM and self.proc.proc.poll() is None:
            self.proc.proc.send_signal(sig)
        rc = self.proc.stop()
        os.close(self.control)
        return rc


class Group:
    def __init__(self, n, server=None, prefixes=None, extra=()):
        """n members on loopback; or, in the netns lab, server is (process,
        uri) and prefixes[i] the `ip netns exec` of member i."""
        self.tmp = tempfile.mkdtemp(prefix="nav-election-")
        self.server, self.uri = server or nav_server("--signaling-rate=0", "--signaling-ip-rate=0")
        self.members = []
        self.dead = set()
        for i in range(n):
            root = os.path.join(self.tmp, "power-%d" % i)
            os.makedirs(os.path.join(root, "BAT0"))
            self.set_battery(i, 99 - 4 * i, "Discharging")
            self.members.append(Member(i, self.uri, root, os.path.join(self.tmp, "control-%d" % i),
                                       prefixes[i] if prefixes else (), extra))
        self.ids = [m.wait_line(r"event=start id=([0-9a-f]{32})").group(1) for m in self.members]

    def set_battery(self, i, capacity, status):
        bat = os.path.join(self.tmp, "power-%d" % i, "BAT0")
        for name, value in (("type", "Battery"), ("capacity", str(capacity)), ("status", status)):
            with open(os.path.join(bat, name + ".tmp"), "w") as f:
                f.write(value + "\n")
            os.rename(os.path.join(bat, name + ".tmp"), os.path.join(bat, name))

    def view(self, i):
        m = self.members[i].last(r"event=hub hub=(\S+) epoch=(\d+) role=(\S+)")
        return (m.group(1), int(m.group(2)), m.group(3)) if m else None

    def wait_agreement(self, expected_hub):
        """Every live member follows member expected_hub in one epoch."""
        start = time.monotonic()
        while True:
            views = {i: self.view(i) for i in range(len(self.members)) if i not in self.dead}
            hubs = {(v[0], v[1]) for v in views.values() if v}
            if len(hubs) == 1 and all(views.values()):
                hub, epoch = hubs.pop()
                if hub == self.ids[expected_hub]:
                    roles = [v[2] for v in views.values()]
                    assert roles.count("hub") == 1, views
                    return epoch, time.monotonic() - start
            if time.monotonic() - start > WAIT_LIMIT_S:
                raise AssertionError("no agreement on member %d: %r" % (expected_hub, views))
            time.sleep(0.01)

    def kill(self, i):
        self.dead.add(i)
        self.members[i].stop(signal.SIGKILL)

    def close(self):
        for i, m in enumerate(self.members):
            if i not in self.dead:
                m.write("quit")
                rc = m.proc.proc.wait(WAIT_LIMIT_S)
                m.stop()
                assert rc == 0, "member %d exited %s:\n%s" % (i, rc, "\n".join(m.lines))
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def case_agree():
    g = Group(5)
    try:
        epoch, took = g.wait_agreement(0)
        print("5 members agree on member 0, epoch %d (%.0f ms)" % (epoch, took * 1000))
        g.kill(0)
        epoch1, took = g.wait_agreement(1)
        print("hub killed: survivors agree on member 1, epoch %d, %.0f ms" % (epoch1, took * 1000))
        assert epoch1 > epoch
        g.kill(1)
        epoch2, took = g.wait_agreement(2)
        print("hub killed: survivors agree on member 2, epoch %d, %.0f ms" % (epoch2, took * 1000))
        assert epoch2 > epoch1
        # Never two hubs for one epoch, in any member's history.
        seen = {}
        for m in g.members:
            for h in m.all(r"event=hub hub=([0-9a-f]{32}) epoch=(\d+)"):
                assert seen.setdefault(int(h.group(2)), h.group(1)) == h.group(1), seen
    finally:
        g.close()


def case_battery():
    g = Group(5)
    try:
        epoch, _ = g.wait_agreement(0)
        g.set_battery(0, 12, "Discharging")
        g.members[0].write("refresh")
        epoch1, took = g.wait_agreement(1)
        print("hub battery at 12 %%: member 1 takes over, epoch %d, %.0f ms" % (epoch1, took * 1000))
        assert epoch1 > epoch
        g.members[0].wait_line(r"event=claims score=\d+ cpus=\d+ battery=12 charging=0")
    finally:
        g.close()


# The record's wire format (docs/election.md).
def record(identity_pub, sign, kind, sequence, epoch, claims, hub_key=None, ts=None):
    cpu, mem, battery, flags, net, nat, bw, screen, codecs = claims
    body = struct.pack(">4sBBH32sQQQHIBBBBIHH32s", b"NVCR", 1, kind, 0, identity_pub, sequence, epoch,
                       ts if ts is not None else int(time.time() * 1000),
                       cpu, mem, battery, flags, net, nat, bw, screen, codecs,
                       hub_key or bytes(32))
    assert len(body) == 114
    return body + sign(body)


class Attacker:
    """A client of the room, through the library's own signaling client."""

    def __init__(self, uri):
        self.client = Nav.SignalingClient.new(uri)
        self.records = []
        self.client.connect("candidate", self._on_candidate)
        done = []
        self.client.connect_async(None, lambda c, r: done.append(c.connect_finish(r)))
        self._iterate_until(lambda: done)
        self.client.join(ROOM, None)

    def _on_candidate(self, client, room, sender, text):
        if text.startswith("nav-election/1 "):
            self.records.append((sender, GLib.base64_decode(text.split(" ", 1)[1])))

    def _iterate_until(self, cond, limit=WAIT_LIMIT_S):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + limit
        while not cond():
            assert time.monotonic() < deadline
            ctx.iteration(False)
            time.sleep(0.002)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        self._iterate_until(lambda: time.monotonic() > end, seconds + 5)

    def send(self, raw):
        self.client.send_candidate(ROOM, None, "nav-election/1 " + GLib.base64_encode(raw))
        self.pump(0.05)


def attributed_refusals(m, attacker_peer):
    """Member m's refused records (event=record-refused), once each
    counted line is there: the attacker's as (sequence, reason), the
    others as (sender, signer, sequence, reason)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while True:
        lines = m.all(r"event=record-refused from=(\S+) signer=(\S+) sequence=(\d+) reason=(\S+)")
        counted = sum({r.group(1): int(r.group(2))
                       for r in m.all(r"event=refused reason=(\S+) count=(\d+)")}.values())
        if len(lines) >= counted:
            break
        assert time.monotonic() < deadline, m.lines
        time.sleep(0.05)
    mine = [(int(r.group(3)), r.group(4)) for r in lines if r.group(1) == attacker_peer]
    others = [(r.group(1), r.group(2), int(r.group(3)), r.group(4)) for r in lines
              if r.group(1) != attacker_peer]
    return mine, others


def epoch_before(m, pattern):
    """The epoch of member m's view when it printed the first line
    matching pattern (its last event=hub before it)."""
    regex = re.compile(pattern)
    epoch = 0
    with m.proc.cond:
        lines = list(m.proc.lines)
    for line in lines:
        if regex.search(line):
            return epoch
        h = re.search(r"event=hub hub=\S+ epoch=(\d+)", line)
        if h:
            epoch = int(h.group(1))
    raise AssertionError("no %r" % pattern)


def case_attacks(extra=()):
    g = Group(4, extra=extra)
    try:
        epoch, _ = g.wait_agreement(0)
        att = Attacker(g.uri)
        mine = Nav.DeviceIdentity.new_ephemeral()
        other = Nav.DeviceIdentity.new_ephemeral()
        my_pub = bytes(mine.get_public_key().get_data())
        def sign_mine(b):
            return bytes(mine.sign(GLib.Bytes.new(b)).get_data())
        def sign_other(b):
            return bytes(other.sign(GLib.Bytes.new(b)).get_data())
        good = (4, 8192, 255, 0x03, 1, 0, 0, 0, 1)   # a modest desktop: loses to member 0
        seq = int(time.time() * 1e6)

        # A first valid record binds this connection to our key.  It also
        # makes us a member: linked members talk over data channels, and
        # through the room again while one (we) has no link.
        att.send(record(my_pub, sign_mine, 1, seq, epoch, good))
        att.pump(0.3)
        assert att.records, "no record seen in the room"
        # Signed with another key than the record's.
        att.send(record(my_pub, sign_other, 1, seq + 1, epoch, good))
        # Replayed: a member's captured record, and our own first one again.
        att.send(att.records[0][1])
        att.send(record(my_pub, sign_mine, 1, seq, epoch, good))
        # Lower sequence.
        att.send(record(my_pub, sign_mine, 1, seq - 5, epoch, good))
        # A forged hub claim of the next epoch by a member that is not the best.
        att.send(record(my_pub, sign_mine, 2, seq + 2, epoch + 1, good, hub_key=my_pub))
        # An impossible claim (60000 processors).
        att.send(record(my_pub, sign_mine, 2, seq + 3, epoch + 1, (60000,) + good[1:], hub_key=my_pub))
        # Garbage.
        att.send(b"NVCR" + bytes(20))
        att.pump(0.5)

        me = att.client.get_peer_id()
        captured_seq = struct.unpack(">Q", att.records[0][1][40:48])[0]
        # The attacker's records, each refused once (it sends each once,
        # through the room only): (sequence, reason).
        expected = sorted([(seq + 1, "bad-signature"), (captured_seq, "wrong-key"),
                           (seq, "replay"), (seq - 5, "replay"), (seq + 2, "forged-hub"),
                           (seq + 3, "impossible"), (0, "malformed")])
        for i, m in enumerate(g.members):
            for reason in ("bad-signature", "wrong-key", "replay", "(forged-hub|stale-epoch)",
                           "impossible", "malformed"):
                m.wait_line(r"event=refused reason=%s count=" % reason)
            mine, honest = attributed_refusals(m, me)
            counts = {}
            for k, (seq_k, reason) in enumerate(mine):
                # The forged claim (epoch + 1) is refused for its stale
                # epoch by a member already in a later one: over data
                # channels, the hub's answer to it (a claim of a higher
                # epoch still) can overtake it, as can an honest member's
                # claim after a lease that ran out (below).
                if seq_k == seq + 2 and reason == "stale-epoch":
                    assert epoch_before(m, r"event=record-refused from=%s \S+ sequence=%d "
                                        % (re.escape(me), seq_k)) > epoch + 1, m.lines
                    mine[k] = (seq_k, "forged-hub")
                counts[reason] = counts.get(reason, 0) + 1
            # Refusals not of the attacker's records: the group's own
            # records, refused for what timing does to them.  Under load
            # a hub's heartbeats come late, its lease runs out, the
            # runner-up claims and the hub answers above it: each side's
            # hub claims are refused while the other outranks it
            # (forged-hub, stale-epoch), and copies the stalled hub
            # relays late arrive after newer records of their signer
            # (replay).  Never from the attacker's connection, never
            # another reason, only of members' records; how many varies
            # from run to run (none on a quiet machine).
            claimed = {g.ids[k] for k in range(len(g.members))
                       if g.members[k].all(r"event=hub hub=%s epoch=\d+ role=hub" % g.ids[k])}
            for sender, signer, seq_k, reason in honest:
                assert signer in g.ids and signer != g.ids[i], (i, honest)
                if reason in ("forged-hub", "stale-epoch"):
                    assert signer in claimed, (i, signer, claimed, honest)
                else:
                    assert reason == "replay", (i, honest)
            print("member %d refused: %r; the group's own records refused: %d"
                  % (i, counts, len(honest)))
            # Ours again and the lower one; the captured one through our
            # connection is a wrong key; exactly the attacker's records.
            assert sorted(mine) == expected, (i, sorted(mine), expected)
            # Every refusal the election counted is one of the group's
            # record-refused lines (each follows its count's line).
            deadline = time.monotonic() + WAIT_LIMIT_S
            while True:
                with m.proc.cond:
                    snapshot = list(m.proc.lines)
                totals, listed = {}, {}
                for line in snapshot:
                    r = re.search(r"event=refused reason=(\S+) count=(\d+)", line)
                    if r:
                        totals[r.group(1)] = int(r.group(2))
                    r = re.search(r"event=record-refused .* reason=(\S+)", line)
                    if r:
                        listed[r.group(1)] = listed.get(r.group(1), 0) + 1
                if totals == listed:
                    break
                assert time.monotonic() < deadline, (i, totals, listed)
                time.sleep(0.05)
        epoch2, _ = g.wait_agreement(0)
        assert epoch2 >= epoch
    finally:
        g.close()


def case_link_forgery():
    """A room member offers links in another member's name: members 2
    and 3 (spokes, not linked to each other in a star with the standby
    on member 1) get offers naming member 3 and member 2: unsigned,
    signed with the attacker's own key, with a garbage signature, and an
    answer so signed: all refused and counted, no peer connection made;
    the group's own links unaffected."""
    g = Group(4)
    try:
        g.wait_agreement(0)
        wait_links(g, {0: 3, 1: 3, 2: 2, 3: 2})
        before = {i: stats(g.members[i]) for i in range(4)}
        att = Attacker(g.uri)
        mine = Nav.DeviceIdentity.new_ephemeral()
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
               "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
               "a=ice-ufrag:evil\r\na=ice-pwd:evilevilevilevilevilevil\r\n"
               "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
               "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n")
        b64 = GLib.base64_encode(sdp.encode())
        for victim, target in ((3, 2), (2, 3)):
            nonce = "forged%d" % victim
            signed = ("nav-link-signature/1 offer %s %s %s %s"
                      % (g.ids[victim], g.ids[target], nonce, sdp)).encode()
            sig = GLib.base64_encode(bytes(mine.sign(GLib.Bytes.new(signed)).get_data()))
            for text in ("nav-link/1 offer %s %s %s" % (g.ids[victim], nonce, b64),
                         "nav-link/1 offer %s %s %s %s" % (g.ids[victim], nonce + "s", b64, sig),
                         "nav-link/1 offer %s %s %s %s" % (g.ids[victim], nonce + "g", b64,
                                                          "%%%garbage=="),
                         "nav-link/1 answer %s %s %s %s" % (g.ids[victim], nonce + "a", b64, sig)):
                att.client.send_candidate(ROOM, None, text)
                att.pump(0.05)
        att.pump(1.0)
        after = {i: stats(g.members[i]) for i in range(4)}
        print("before: %r\nafter: %r" % (before, after))
        for i in (2, 3):
            assert after[i]["links-refused"] - before[i]["links-refused"] == 4, (i, after[i])
            assert after[i]["created"] == before[i]["created"], (i, before[i], after[i])
        for i in (0, 1):
            # Offers naming another member than themselves and a link
            # they do not keep: refused too (signed by no member's key).
            assert after[i]["created"] == before[i]["created"], (i, before[i], after[i])
        wait_links(g, {0: 3, 1: 3, 2: 2, 3: 2})
        g.wait_agreement(0)
    finally:
        g.close()


class MaliciousHub(Attacker):
    """A member of the group through the room only, with a claim that
    wins the election: the members make it their hub and send it their
    messages to relay.  It runs a real Nav.Election (its records are
    valid); what it does with the messages is the test's."""

    def __init__(self, uri):
        self.messages = []
        super().__init__(uri)
        self.identity = Nav.DeviceIdentity.new_ephemeral()
        claims = Nav.CapabilityClaims()
        claims.cpu_count = 64
        claims.memory_mb = 262144
        claims.battery_percent = Nav.BATTERY_NONE
        claims.charging = True
        claims.desktop = True
        claims.network_type = Nav.NetworkType.ETHERNET
        self.election = Nav.Election.new(self.identity)
        self.election.set_claims(claims)
        self.election.connect("send", lambda e, rec: self.client.send_candidate(
            ROOM, None, "nav-election/1 " + GLib.base64_encode(bytes(rec.get_data()))))
        self.election.start(GLib.get_monotonic_time())

    def _on_candidate(self, client, room, sender, text):
        if text.startswith("nav-election/1 ") and hasattr(self, "election"):
            raw = GLib.base64_decode(text.split(" ", 1)[1])
            self.election.receive(sender, GLib.Bytes.new(raw), GLib.get_monotonic_time())
        elif text.startswith(("nav-group/1 ", "nav-group/2 ")):
            self.messages.append((sender, text))

    def _iterate_until(self, cond, limit=WAIT_LIMIT_S):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + limit
        while not cond():
            assert time.monotonic() < deadline
            ctx.iteration(False)
            if hasattr(self, "election"):
                self.election.tick(GLib.get_monotonic_time())
            time.sleep(0.002)

    def relay(self, text):
        self.client.send_candidate(ROOM, None, text)
        self.pump(0.05)


def case_message_forgery():
    g = Group(3)
    try:
        g.wait_agreement(0)
        hub = MaliciousHub(g.uri)
        me = hub.identity.props.device_id
        hub._iterate_until(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        # A spoke's message, sent to its hub (us) to relay.
        g.members[2].write("send genuine-0")
        hub._iterate_until(lambda: hub.messages)
        sender, text = hub.messages[0]
        prefix, origin, session, seq, prev, payload, key, sig = text.split(" ")
        assert prefix == "nav-group/2" and prev == "0", text
        assert origin == g.ids[2] and GLib.base64_decode(payload) == b"genuine-0", text
        other = Nav.DeviceIdentity.new_ephemeral()
        other_key = GLib.base64_encode(bytes(other.get_public_key().get_data()))

        def signed(ident, data, seq=seq, prev=prev):
            head = "nav-group-message/2 %s %s %s %s %s " % (ROOM, session, origin, seq, prev)
            return GLib.base64_encode(bytes(ident.sign(GLib.Bytes.new(head.encode() + data)).get_data()))

        def b64(data):
            return GLib.base64_encode(data)

        before = {i: stats(g.members[i]) for i in (0, 1)}
        # Altered as relayed: another payload under the spoke's signature.
        hub.relay(" ".join((prefix, origin, session, seq, prev, b64(b"altered-0"), key, sig)))
        # Forged in the spoke's name: signed by another key, given as the
        # spoke's; given as its own (not the key the spoke's id is of);
        # unsigned (the format before signatures); the spoke's signature
        # moved to another sequence number; its PREV changed (which would
        # make receivers wait for a message never sent, or skip one); the
        # PREV dropped (version 1's text: the signature covers none).
        forged_seq = str(int(seq) + 1)
        hub.relay(" ".join((prefix, origin, session, forged_seq, prev, b64(b"forged-0"), key,
                            signed(other, b"forged-0", forged_seq))))
        hub.relay(" ".join((prefix, origin, session, forged_seq, prev, b64(b"forged-1"), other_key,
                            signed(other, b"forged-1", forged_seq))))
        hub.relay("nav-group/2 %s %s %s" % (origin, forged_seq, b64(b"forged-2")))
        hub.relay(" ".join((prefix, origin, session, forged_seq, prev, payload, key, sig)))
        hub.relay(" ".join((prefix, origin, session, seq, str(int(seq) - 1), payload, key, sig)))
        hub.relay(" ".join(("nav-group/1", origin, session, seq, payload, key, sig)))
        # The genuine message, relayed as it came: delivered; then again: a replay.
        hub.relay(text)
        for i in (0, 1):
            g.members[i].wait_line(r"event=message origin=%s text=genuine-0 " % g.ids[2])
        hub.relay(text)
        for i in (0, 1):
            g.members[i].wait_line(r"event=messages-replayed count=1")
        hub.pump(0.3)
        after = {i: stats(g.members[i]) for i in (0, 1)}
        print("before: %r\nafter: %r" % (before, after))
        for i in (0, 1):
            assert after[i]["messages-refused"] - before[i]["messages-refused"] == 7, (i, after[i])
            assert after[i]["messages-replayed"] - before[i]["messages-replayed"] == 1, (i, after[i])
            texts = delivered(g, i, 2)
            assert texts == ["genuine-0"], (i, texts)
        print("altered, forged (4 ways) and replayed messages refused and counted; "
              "the genuine one delivered once")
    finally:
        g.close()


def case_message_order():
    """A later message of an origin before an earlier one (as a core
    member's direct copy can overtake a hub-relayed earlier message in a
    hybrid): held until the gap fills, then both delivered in order."""
    g = Group(3)
    try:
        g.wait_agreement(0)
        hub = MaliciousHub(g.uri)
        me = hub.identity.props.device_id
        hub._iterate_until(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        for k in range(4):
            g.members[2].write("send order-%d" % k)
        hub._iterate_until(lambda: len(hub.messages) >= 4)
        texts = [text for sender, text in hub.messages[:4]]
        assert [payload_of(t) for t in texts] == \
            [b"order-%d" % k for k in range(4)], texts
        # The first in place (the first message heard of an origin starts
        # its order at a receiver: sequences start at the sender's clock,
        # so there is no earlier one to wait for), then the fourth, the
        # third, the second.
        hub.relay(texts[0])
        for i in (0, 1):
            g.members[i].wait_line(r"event=message origin=%s text=order-0 " % g.ids[2])
        for text in reversed(texts[1:]):
            hub.relay(text)
        for i in (0, 1):
            g.members[i].wait_line(r"event=message origin=%s text=order-3 " % g.ids[2])
        hub.pump(0.3)
        for i in (0, 1):
            got = delivered(g, i, 2)
            assert got == ["order-%d" % k for k in range(4)], (i, got)
            st = stats(g.members[i])
            assert st["messages-refused"] == 0 and st["messages-replayed"] == 0, (i, st)
        print("messages relayed last first: delivered once each, in the origin's order")
    finally:
        g.close()


def payload_of(text):
    """The payload of a relayed `nav-group/N` message (its field after
    ORIGIN SESSION SEQUENCE, and PREV from version 2 on)."""
    parts = text.split(" ")
    return GLib.base64_decode(parts[5] if parts[0] == "nav-group/2" else parts[4])


def case_message_first_order():
    """A receiver's FIRST messages of an origin arrive out of order: the
    second before the first, then the fourth before the third (a direct
    copy as the link opens before the hub's relay of an earlier one, or
    a new hub's relay before an old hub's).  Every other member delivers
    the four once, in the origin's order: the first message heard of an
    origin no longer starts its order there when the origin says it has
    an earlier one (sent while the receiver was in the group)."""
    g = Group(3)
    try:
        g.wait_agreement(0)
        hub = MaliciousHub(g.uri)
        me = hub.identity.props.device_id
        hub._iterate_until(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        for k in range(4):
            g.members[2].write("send first-%d" % k)
        hub._iterate_until(lambda: len(hub.messages) >= 4)
        texts = [text for sender, text in hub.messages[:4]]
        assert [payload_of(t) for t in texts] == [b"first-%d" % k for k in range(4)], texts
        for k in (1, 0, 3, 2):
            hub.relay(texts[k])
        for i in (0, 1):
            g.members[i].wait_line(r"event=message origin=%s text=first-3 " % g.ids[2])
        hub.pump(0.3)
        for i in (0, 1):
            got = delivered(g, i, 2)
            assert got == ["first-%d" % k for k in range(4)], (i, got)
            st = stats(g.members[i])
            assert st["messages-refused"] == 0 and st["messages-replayed"] == 0, (i, st)
        # Another origin (member 1), whose first message the hub never
        # relays: its second waits for it at the others, then, the hold
        # over, is delivered all the same (its order starts there).
        for k in range(2):
            g.members[1].write("send lost-%d" % k)
        hub._iterate_until(lambda: len(hub.messages) >= 6)
        texts = [text for sender, text in hub.messages[4:6]]
        assert [payload_of(t) for t in texts] == [b"lost-0", b"lost-1"], texts
        hub.relay(texts[1])
        # Pumping (the hub's heartbeats go on: were its lease to run out,
        # the next hub would get member 1's unacknowledged first message).
        hub._iterate_until(lambda: all(delivered(g, i, 1) for i in (0, 2)))
        hub.pump(0.3)
        for i in (0, 2):
            got = delivered(g, i, 1)
            assert got == ["lost-1"], (i, got)
            assert (g.view(i) or ("",))[0] == me, (i, g.view(i))
        print("an origin's first messages relayed out of order: delivered once each, in order; "
              "one whose predecessor never comes delivered after the hold")
    finally:
        g.close()


def case_message_late_joiner():
    """A spoke's message is sent (and kept by the test's hub, not relayed)
    before a fourth member joins; its next one after.  The hub relays the
    second, then the first, back to back.  The members present when the
    first was sent wait for it (its PREV was sent after they joined) and
    deliver both in order; the late member does not wait for a message
    sent before it joined: it delivers the second at once, and the first
    (which nobody would have sent it) is below its order."""
    g = Group(3)
    try:
        g.wait_agreement(0)
        hub = MaliciousHub(g.uri)
        me = hub.identity.props.device_id
        hub._iterate_until(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        g.members[2].write("send late-0")
        hub._iterate_until(lambda: len(hub.messages) >= 1)
        # The fourth member, after that message was sent.
        root = os.path.join(g.tmp, "power-3")
        os.makedirs(os.path.join(root, "BAT0"))
        g.set_battery(3, 99 - 4 * 3, "Discharging")
        g.members.append(Member(3, g.uri, root, os.path.join(g.tmp, "control-3")))
        g.ids.append(g.members[3].wait_line(r"event=start id=([0-9a-f]{32})").group(1))
        hub._iterate_until(lambda: all((g.view(i) or ("",))[0] == me for i in range(4)))
        g.members[2].write("send late-1")
        hub._iterate_until(lambda: len(hub.messages) >= 2)
        texts = [text for sender, text in hub.messages[:2]]
        assert [payload_of(t) for t in texts] == [b"late-0", b"late-1"], texts
        hub.relay(texts[1])
        hub.relay(texts[0])
        for i in (0, 1, 3):
            g.members[i].wait_line(r"event=message origin=%s text=late-1 " % g.ids[2])
        hub.pump(0.3)
        for i in (0, 1):
            got = delivered(g, i, 2)
            assert got == ["late-0", "late-1"], (i, got)
            st = stats(g.members[i])
            assert st["messages-refused"] == 0 and st["messages-replayed"] == 0, (i, st)
        got = delivered(g, 3, 2)
        assert got == ["late-1"], (3, got)
        print("present members waited for the earlier message; the late one did not")
    finally:
        g.close()


def case_capped_claim():
    g = Group(3)
    try:
        epoch, _ = g.wait_agreement(0)
        wait_links(g, {0: 2, 1: 2, 2: 2})
        best = int(g.members[0].last(r"event=claims score=(\d+)").group(1))
        root = os.path.join(g.tmp, "power-3")
        os.makedirs(os.path.join(root, "BAT0"))
        g.set_battery(3, 60, "Discharging")
        liar = Member(3, g.uri, root, os.path.join(g.tmp, "control-3"),
                      extra=("--group-claim-bandwidth=10000000",))
        g.members.append(liar)
        g.ids.append(liar.wait_line(r"event=start id=([0-9a-f]{32})").group(1))
        claimed = int(liar.wait_line(r"event=claims score=(\d+)").group(1))
        print("member 0 scores %d; the liar, on its claim of 10 Gbit/s, %d" % (best, claimed))
        assert claimed > best * 10, (claimed, best)
        # In its own view (claims unchecked) it is the best: it claims the hub.
        liar.wait_line(r"event=hub hub=%s epoch=\d+ role=hub" % g.ids[3])
        # The others count its claim up to what they measured (0 before
        # a link to it opens); member 0, the hub, links to every member
        # and measures the traffic of its link to the liar.
        counted = {}
        for i in range(3):
            g.members[i].wait_line(r"event=capped-claim member-id=%s claimed=10000000 " % g.ids[3])
        g.members[0].wait_line(r"event=capped-claim member-id=%s claimed=10000000 counted=[1-9]"
                               % g.ids[3])
        time.sleep(1.5)
        for i in range(3):
            found = g.members[i].all(r"event=capped-claim member-id=%s claimed=10000000 counted=(\d+)"
                                     % g.ids[3])
            counted[i] = int(found[-1].group(1))
            assert counted[i] < 10000000 // 100, counted
            # Never followed the liar; member 0 still the hub.
            assert not g.members[i].all(r"event=hub hub=%s " % g.ids[3]), i
            assert g.view(i)[0] == g.ids[0], (i, g.view(i))
            refused = g.members[i].last(r"event=refused reason=(forged-hub|stale-epoch) count=")
            assert refused, "member %d refused no hub claim of the liar" % i
        links = stats(liar)["links"]
        print("views of members 0-2 (hub, epoch, role): %r (epoch %d before the liar)"
              % ([g.view(i) for i in range(3)], epoch))
        print("the liar's claim counted as %r kbit/s (measured + 50 %%) by members 0-2; "
              "the liar has %d links; member 0 stays the hub" % (counted, links))
        assert links >= 1
    finally:
        g.close()


def case_reachable():
    g = Group(3)
    try:
        g.wait_agreement(0)
        # Hub 0 links to 1 and 2; 1 (the runner-up, warm standby) to 2.
        wait_links(g, {0: 2, 1: 2, 2: 2})
        for i in range(3):
            for j in range(3):
                g.members[i].wait_line(r"event=reachable member-id=%s reachable=1" % g.ids[j])
            opened = max(int(r.group(1)) for r in g.members[i].all(
                r"event=link peer=\S+ state=open .* t_us=(\d+)"))
            verified = max(int(r.group(1)) for r in g.members[i].all(
                r"event=reachable member-id=\S+ reachable=1 t_us=(\d+)"))
            print("member %d: the three verified %.1f ms after its last link opened"
                  % (i, (verified - opened) / 1000))
        scores = [int(g.members[i].last(r"event=claims score=(\d+)").group(1)) for i in range(3)]
        # Two members with no data channels: a liar that claims to be
        # reachable, and an honest one that claims nothing.
        extras = {3: ("--group-room-only", "--group-claim-reachable"), 4: ("--group-room-only",)}
        for k, extra in extras.items():
            root = os.path.join(g.tmp, "power-%d" % k)
            os.makedirs(os.path.join(root, "BAT0"))
            g.set_battery(k, 99 - 4 * k, "Discharging")
            m = Member(k, g.uri, root, os.path.join(g.tmp, "control-%d" % k), extra=extra)
            g.members.append(m)
            g.ids.append(m.wait_line(r"event=start id=([0-9a-f]{32})").group(1))
        g.members[3].wait_line(r"event=claims score=\d+ .* reachable=1")
        g.wait_agreement(0)
        for i in range(3):
            g.members[i].wait_line(r"event=unconfirmed-claim member-id=%s claim=reachable" % g.ids[3])
        # Another member timeout and then some: nothing else is counted.
        time.sleep(2.5)
        for i in range(3):
            m = g.members[i]
            verified = {r.group(1) for r in m.all(r"event=reachable member-id=(\S+) reachable=1")}
            lost = [r.group(1) for r in m.all(r"event=reachable member-id=(\S+) reachable=0")]
            counted = [r.group(1) for r in m.all(r"event=unconfirmed-claim member-id=(\S+) ")]
            print("member %d: verified %s, unverified again %s, unconfirmed claims of %s"
                  % (i, sorted(g.ids.index(x) for x in verified), lost,
                     [g.ids.index(x) for x in counted]))
            assert verified == set(g.ids[:3]), verified
            assert not lost, lost
            assert counted == [g.ids[3]], counted
            # The default score has no reachability term: hub 0 kept, and
            # the members' own scores unchanged.
            assert g.view(i)[0] == g.ids[0], g.view(i)
            assert int(m.last(r"event=claims score=(\d+)").group(1)) == scores[i]
        # The liar counts its own claim too; neither it nor the honest
        # unlinked member is verified by anyone.
        for k in (3, 4):
            assert not g.members[k].all(r"event=reachable member-id=%s reachable=1" % g.ids[3])
            assert not g.members[k].all(r"event=reachable member-id=%s reachable=1" % g.ids[4])
        assert stats(g.members[3])["links"] == 0
        assert stats(g.members[4])["links"] == 0
    finally:
        g.close()


def case_reachable_failover():
    g = Group(4, extra=("--group-no-standby",))
    try:
        g.wait_agreement(0)
        wait_links(g, {0: 3, 1: 1, 2: 1, 3: 1})
        for i in range(4):
            for j in range(4):
                g.members[i].wait_line(r"event=reachable member-id=%s reachable=1" % g.ids[j])
        before = {i: len(g.members[i].all(r"event=reachable member-id=\S+ reachable=1"))
                  for i in range(1, 4)}
        g.kill(0)
        g.wait_agreement(1)
        wait_links(g, {1: 2, 2: 1, 3: 1})
        # Verified again by the new hub's records (each spoke lists it
        # and it lists each spoke), after a while unverified.
        deadline = time.monotonic() + WAIT_LIMIT_S
        for i in range(1, 4):
            for j in range(1, 4):
                pattern = r"event=reachable member-id=%s reachable=(\d)" % g.ids[j]
                while True:
                    last = g.members[i].last(pattern)
                    if last and last.group(1) == "1":
                        break
                    assert time.monotonic() < deadline, (i, j, last and last.group(0))
                    time.sleep(0.05)
        time.sleep(2.5)   # past a member timeout after the links are up
        for i in range(1, 4):
            m = g.members[i]
            again = m.all(r"event=reachable member-id=\S+ reachable=1")[before[i]:]
            lost = m.all(r"event=reachable member-id=(\S+) reachable=0")
            print("member %d: %d members verified again, %d unverified for a while; "
                  "unconfirmed claims %r" % (i, len(again), len(lost),
                                             [r.group(0) for r in m.all(r"event=unconfirmed-claim.*")]))
            assert not m.all(r"event=unconfirmed-claim"), i
            assert lost, "member %d never saw a spoke without links" % i
    finally:
        g.close()


def delivered(g, i, origin, pattern=r"\S+"):
    """The texts member i delivered from member origin, in order."""
    return [m.group(1) for m in
            g.members[i].all(r"event=message origin=%s text=(%s)" % (g.ids[origin], pattern))]


def stats(member):
    """The member's counters (nav-demo's `stats` command)."""
    before = len(member.all(r"event=stats "))
    member.write("stats")
    deadline = time.monotonic() + WAIT_LIMIT_S
    while len(member.all(r"event=stats ")) == before:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    m = member.last(r"event=stats links=(\d+) created=(\d+) session=(\S+) room=(\d+) "
                    r"channel=(\d+) relay=(\d+) duplicates=(\d+) restarts=(\d+) "
                    r"links-refused=(\d+) messages-refused=(\d+) messages-replayed=(\d+) "
                    r"messages-from-origin=(\d+) messages-relayed=(\d+) message-copies=(\d+)")
    return {"links": int(m.group(1)), "created": int(m.group(2)), "session": m.group(3),
            "room": int(m.group(4)), "channel": int(m.group(5)), "relay": int(m.group(6)),
            "duplicates": int(m.group(7)), "restarts": int(m.group(8)),
            "links-refused": int(m.group(9)), "messages-refused": int(m.group(10)),
            "messages-replayed": int(m.group(11)), "from-origin": int(m.group(12)),
            "via-relay": int(m.group(13)), "copies": int(m.group(14))}


def wait_links(g, links, limit=WAIT_LIMIT_S):
    """Until member i has links[i] open links (or more)."""
    deadline = time.monotonic() + limit
    while True:
        now = {i: stats(g.members[i])["links"] for i in links}
        if all(now[i] >= links[i] for i in links):
            return now
        assert time.monotonic() < deadline, "links %r, wanted %r" % (now, links)
        time.sleep(0.1)


def case_messages():
    g = Group(4, extra=("--group-no-standby",))
    try:
        g.wait_agreement(0)
        # The star's links (hub ↔ each spoke) first, without the warm
        # standby: the messages before the kill go over data channels,
        # those during the change through the room to the new hub until
        # its links open.
        wait_links(g, {0: 3, 1: 1, 2: 1, 3: 1})
        for k in range(5):
            g.members[3].write("send before-%d" % k)
        for i in (1, 2):
            for k in range(5):
                g.members[i].wait_line(r"event=message origin=%s text=before-%d " % (g.ids[3], k))
        g.kill(0)
        # Sent while the hub is gone: queued, then through the next hub.
        for k in range(5):
            g.members[3].write("send during-%d" % k)
        g.wait_agreement(1)
        for k in range(5):
            g.members[3].write("send after-%d" % k)
        for i in (1, 2):
            for k in range(5):
                for phase in ("before", "during", "after"):
                    g.members[i].wait_line(r"event=message origin=%s text=%s-%d " % (g.ids[3], phase, k))
        time.sleep(0.3)
        for i in (1, 2):
            texts = delivered(g, i, 3)
            assert len(texts) == len(set(texts)) == 15, texts
        print("15 messages across a hub kill: each delivered once at every survivor")
    finally:
        g.close()


def case_channels():
    g = Group(4)
    try:
        g.wait_agreement(0)
        wait_links(g, {0: 3, 1: 3, 2: 2, 3: 2})
        time.sleep(0.3)
        before = [stats(m) for m in g.members]
        for k in range(5):
            g.members[3].write("send spoke-%d" % k)
            g.members[0].write("send hub-%d" % k)
        for i in range(4):
            for k in range(5):
                if i != 3:
                    g.members[i].wait_line(r"event=message origin=%s text=spoke-%d " % (g.ids[3], k))
                if i != 0:
                    g.members[i].wait_line(r"event=message origin=%s text=hub-%d " % (g.ids[0], k))
        time.sleep(0.5)
        after = [stats(m) for m in g.members]
        for i in range(4):
            d = {k: after[i][k] - before[i][k] for k in ("room", "channel", "relay")}
            print("member %d: over 1 s with 10 messages, received %r" % (i, d))
            # Records (heartbeats every 50 ms, capabilities every 200 ms)
            # and messages: over the channels, none through the room.
            assert d["room"] == 0, (i, d)
            assert d["channel"] >= 5, (i, d)
        # The spokes hear each other's records through the hub's relay.
        assert all(after[i]["relay"] > before[i]["relay"] for i in (1, 2, 3)), after
        # One peer connection at each end of each link (hub and runner-up
        # with everyone, not spoke with spoke), none made during the
        # window.
        assert [a["created"] for a in after] == [b["created"] for b in before], (before, after)
        assert [a["links"] for a in after] == [3, 3, 2, 2], after
        time.sleep(0.2)
        for i in range(4):
            for origin in (0, 3):
                if origin == i:
                    continue
                texts = delivered(g, i, origin)
                assert len(texts) == len(set(texts)) == 5, (i, texts)
        print("star over data channels: no room traffic once linked, each message once")
    finally:
        g.close()


def case_standby():
    g = Group(4)
    try:
        g.wait_agreement(0)
        wait_links(g, {0: 3, 1: 3, 2: 2, 3: 2})
        for k in range(5):
            g.members[3].write("send before-%d" % k)
        for k in range(5):
            g.members[2].wait_line(r"event=message origin=%s text=before-%d " % (g.ids[3], k))
        before = [stats(g.members[i]) for i in range(4)]
        opened = {i: len(g.members[i].all(r"event=link peer=%s state=open" % g.ids[1])) for i in (2, 3)}
        assert opened == {2: 1, 3: 1}, opened
        g.kill(0)
        for k in range(5):
            g.members[3].write("send during-%d" % k)
        g.wait_agreement(1)
        for k in range(5):
            g.members[3].write("send after-%d" % k)
        for k in range(5):
            for phase in ("before", "during", "after"):
                for i in (1, 2):
                    g.members[i].wait_line(r"event=message origin=%s text=%s-%d " % (g.ids[3], phase, k))
        time.sleep(0.3)
        after = [stats(g.members[i]) for i in (1, 2, 3)]
        for i in (2, 3):
            # The link to the new hub is the one made before the kill.
            again = len(g.members[i].all(r"event=link peer=%s state=open" % g.ids[1]))
            assert again == 1, (i, again)
            closed = g.members[i].all(r"event=link peer=%s state=closed" % g.ids[1])
            assert not closed, (i, closed)
        # New peer connections after the kill: only the new runner-up's
        # (member 2) with spoke 3, one at each end; none to the new hub.
        created = {i: after[i - 1]["created"] - before[i]["created"] for i in (1, 2, 3)}
        print("peer connections made across the hub kill: %r" % created)
        assert created[1] == 0, created
        assert created[2] + created[3] <= 2, created
        for i in (1, 2):
            texts = delivered(g, i, 3)
            assert len(texts) == len(set(texts)) == 15, texts
        print("hub killed: the new hub's links were warm, 15 messages each delivered once")
    finally:
        g.close()


def open_links(g, i):
    """The members member i has an open link to, from its link events."""
    state = {}
    for m in g.members[i].all(r"event=link peer=(\S+) state=(\S+)"):
        state[m.group(1)] = m.group(2) == "open"
    return {g.ids.index(peer) for peer, up in state.items() if up and peer in g.ids}


def case_hybrid():
    n, core = 5, 4
    g = Group(n, extra=("--group-topology=hybrid", "--group-core=%d" % core))
    try:
        g.wait_agreement(0)
        # The rule (docs/election.md): the election's order is 0, 1, 2, 3,
        # 4 (scores by battery); a mesh among the first `core`, and the
        # others linked to the hub (0) and the runner-up (1).
        expected = {}
        for i in range(n):
            if i < core:
                expected[i] = {j for j in range(core) if j != i}
            else:
                expected[i] = {0, 1}
            for j in range(core, n):
                if i in (0, 1):
                    expected[i].add(j)
        deadline = time.monotonic() + WAIT_LIMIT_S
        while any(open_links(g, i) != expected[i] for i in range(n)):
            assert time.monotonic() < deadline, {i: open_links(g, i) for i in range(n)}
            time.sleep(0.05)
        # Stable: a link the rule does not want (made while views were
        # incomplete) would be closed within a second; the set is the
        # rule's again after that (a loaded machine may churn).
        time.sleep(1.2)
        deadline = time.monotonic() + WAIT_LIMIT_S
        while True:
            got = {i: open_links(g, i) for i in range(n)}
            if got == expected:
                break
            assert time.monotonic() < deadline, (got, expected)
            time.sleep(0.05)
        print("hybrid, core %d of %d: links %r" % (core, n, got))
        g.members[4].write("send outer")
        g.members[2].write("send core")
        for i in range(n):
            if i != 4:
                g.members[i].wait_line(r"event=message origin=%s text=outer " % g.ids[4])
            if i != 2:
                g.members[i].wait_line(r"event=message origin=%s text=core " % g.ids[2])
    finally:
        g.close()


def hybrid_links(n, core, hub, runner_up):
    """The hybrid rule's links for members hub..n-1 in the election's order
    (members before hub gone): a mesh among the first `core`, and every
    other member linked to the hub and the runner-up."""
    alive = list(range(hub, n))
    core_set = set(alive[:core])
    links = {i: set() for i in alive}
    for i in alive:
        for j in alive:
            if i != j and ((i in core_set and j in core_set) or i in (hub, runner_up) or
                           j in (hub, runner_up)):
                links[i].add(j)
    return links


def wait_open_links(g, expected):
    """Until the open links (from the link events) between the members of
    expected are expected's, then again after a linger (a link the rule
    does not want, made while views were incomplete, is closed within a
    second).  Links to killed members are left out: they stall and are
    dropped only when their path does not come back."""
    for pause in (0, 1.2):
        time.sleep(pause)
        deadline = time.monotonic() + WAIT_LIMIT_S
        while True:
            got = {i: open_links(g, i) & set(expected) for i in expected}
            if got == expected:
                break
            assert time.monotonic() < deadline, (got, expected)
            time.sleep(0.05)
    return got


def send_all(g, senders, label, count):
    """Each of senders sends count messages `mI-label-K`; returns them."""
    sent = {}
    for k in range(count):
        for i in senders:
            text = "m%d-%s-%d" % (i, label, k)
            g.members[i].write("send " + text)
            sent.setdefault(i, []).append(text)
    return sent


def wait_delivered(g, receivers, sent):
    for i in receivers:
        for origin, texts in sent.items():
            if origin != i:
                for text in texts:
                    g.members[i].wait_line(r"event=message origin=%s text=%s " % (g.ids[origin], text))


def count_deltas(before, after):
    return {i: {k: after[i][k] - before[i][k] for k in ("from-origin", "via-relay", "copies")}
            for i in after}


def case_hybrid_messages():
    """Messages in a hybrid group: a core member's go straight to the other
    core members over the core's links (not relayed by the hub), and to
    the hub for the outer ring; outer members send through the hub; every
    member delivers every message once, in each origin's order, across a
    hub kill too."""
    n, core = 5, 3
    g = Group(n, extra=("--group-topology=hybrid", "--group-core=%d" % core))
    history = {}

    def note(sent):
        for origin, texts in sent.items():
            history.setdefault(origin, []).extend(texts)

    try:
        g.wait_agreement(0)
        # Core {0, 1, 2} (the hub and its standbys), outer ring {3, 4}.
        got = wait_open_links(g, hybrid_links(n, core, 0, 1))
        print("hybrid, core %d of %d: links %r" % (core, n, got))

        # Everyone sends at once: the hub (0), core members (1, 2) and an
        # outer member (3).
        before = {i: stats(g.members[i]) for i in range(n)}
        sent = send_all(g, (0, 1, 2, 3), "linked", 10)
        note(sent)
        wait_delivered(g, range(n), sent)
        time.sleep(0.3)
        after = {i: stats(g.members[i]) for i in range(n)}
        d = count_deltas(before, after)
        print("10 messages each from 0 (hub), 1, 2 (core), 3 (outer): %r" % d)
        # The hub had the others' from them; the core members had each
        # other's and the hub's from their origins, only the outer
        # member's through the hub, and no second copy (the hub did not
        # relay a core member's message to the core); the outer ring had
        # only the hub's own from their origin.
        assert d[0] == {"from-origin": 30, "via-relay": 0, "copies": 0}, d
        for i in (1, 2):
            assert d[i] == {"from-origin": 20, "via-relay": 10, "copies": 0}, d
        assert d[3] == {"from-origin": 10, "via-relay": 20, "copies": 0}, d
        assert d[4] == {"from-origin": 10, "via-relay": 30, "copies": 0}, d

        # The hub killed while core and outer members stream: the next
        # hub (1) relays what 0 did not acknowledge; the core becomes
        # {1, 2, 3}, the outer ring {4}.
        g.kill(0)
        note(send_all(g, (1, 2, 3), "during", 5))
        g.wait_agreement(1)
        note(send_all(g, (1, 3, 4), "after", 5))
        # Member 2 streams while its link to 3 (core now) opens: 3 gets
        # the first through the hub, the later ones from 2 directly, and
        # a direct one may overtake an earlier relayed one (held until
        # the gap fills: the order is checked at the end).
        for k in range(40):
            note(send_all(g, (2,), "stream-%d" % k, 1))
            time.sleep(0.025)
        got = wait_open_links(g, hybrid_links(n, core, 1, 2))
        print("after the kill: links %r" % got)

        # The new core's mesh carries its members' messages: 3 (outer
        # before the kill) to 2 directly; 4's through the new hub.
        before = {i: stats(g.members[i]) for i in range(1, n)}
        sent = send_all(g, (3, 4), "new-core", 5)
        note(sent)
        wait_delivered(g, range(1, n), sent)
        time.sleep(0.3)
        after = {i: stats(g.members[i]) for i in range(1, n)}
        d = count_deltas(before, after)
        print("5 messages each from 3 (core now) and 4 (outer): %r" % d)
        assert d[1] == {"from-origin": 10, "via-relay": 0, "copies": 0}, d
        assert d[2] == {"from-origin": 5, "via-relay": 5, "copies": 0}, d
        assert d[3] == {"from-origin": 0, "via-relay": 5, "copies": 0}, d
        assert d[4] == {"from-origin": 0, "via-relay": 5, "copies": 0}, d

        # Every survivor: every message of every origin once, in the
        # origin's order, none refused or replayed.
        wait_delivered(g, range(1, n), {o: t for o, t in history.items()})
        time.sleep(0.3)
        for i in range(1, n):
            for origin, texts in history.items():
                if origin != i:
                    got = delivered(g, i, origin)
                    assert got == texts, (i, origin, got, texts)
            st = stats(g.members[i])
            assert st["messages-refused"] == 0 and st["messages-replayed"] == 0, (i, st)
        print("hub killed: %d messages, each delivered once and in order at every survivor"
              % sum(len(t) for t in history.values()))
    finally:
        g.close()


def case_restart():
    g = Group(3)
    try:
        g.wait_agreement(0)
        wait_links(g, {0: 2, 1: 2, 2: 2})
        before = [stats(m) for m in g.members]
        count = 30
        for k in range(count):
            if k == 10:
                # Two at once: their restart offers collide on the link
                # between them (the lower device id's wins).
                g.members[2].write("network-changed")
                g.members[1].write("network-changed")
            g.members[2].write("send s-%d" % k)
            time.sleep(0.02)
        for i in (0, 1):
            for k in range(count):
                g.members[i].wait_line(r"event=message origin=%s text=s-%d " % (g.ids[2], k))
        time.sleep(0.5)
        for i in (0, 1):
            texts = delivered(g, i, 2, r"s-\d+")
            assert texts == ["s-%d" % k for k in range(count)], (i, texts)
        mid = [stats(m) for m in g.members]
        time.sleep(1.0)
        after = [stats(m) for m in g.members]
        print("before %r\nafter %r" % (before, after))
        for i in range(3):
            assert after[i]["session"] == before[i]["session"], i
            assert after[i]["created"] == before[i]["created"], (i, before[i], after[i])
            # Back on the links: nothing more through the room.
            assert after[i]["room"] == mid[i]["room"], (i, mid[i], after[i])
        assert after[1]["restarts"] >= 1 and after[2]["restarts"] >= 1, after
        print("network changes: same sessions and peer connections, %d messages once, in order"
              % count)
    finally:
        g.close()


def case_python():
    """The API through GI: a Nav.Group of this process, a big desktop,
    joins three nav-demo members, becomes their hub, exchanges messages
    with them, and leaves: they elect member 0 at once."""
    g = Group(3)
    try:
        g.wait_agreement(0)
        identity = Nav.DeviceIdentity.new_ephemeral()
        claims = Nav.CapabilityClaims()
        claims.cpu_count = 64
        claims.memory_mb = 262144
        claims.battery_percent = Nav.BATTERY_NONE
        claims.charging = True
        claims.desktop = True
        claims.network_type = Nav.NetworkType.ETHERNET
        assert claims.default_score() == 640 + 2621 + 200 + 100 + 50, claims.default_score()
        group = Nav.Group(identity=identity, topology=Nav.GroupTopology.STAR)
        group.set_claims(claims)
        election = group.get_election()
        hubs, got = [], []
        election.connect("hub-changed", lambda e, hub, epoch: hubs.append((hub, epoch)))
        group.connect("message", lambda grp, origin, data: got.append((origin, bytes(data.get_data()))))
        joined = []
        group.join_async(g.uri, ROOM, None, lambda grp, r: joined.append(grp.join_finish(r)))
        ctx = GLib.MainContext.default()

        def spin(cond):
            deadline = time.monotonic() + WAIT_LIMIT_S
            while not cond():
                assert time.monotonic() < deadline, (hubs, got)
                ctx.iteration(False)
                time.sleep(0.002)

        me = identity.props.device_id
        spin(lambda: joined and election.get_role() == Nav.ElectionRole.HUB)
        spin(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        # Every member in our view (records reach us over the links once
        # they open: a moment without one can lapse a member).
        spin(lambda: election.get_member_count() == 4)
        assert election.dup_runner_up_id() == g.ids[0]

        assert group.send(GLib.Bytes.new(b"from-python"))
        for i in range(3):
            g.members[i].wait_line(r"event=message origin=%s text=from-python " % me)
        g.members[2].write("send to-python")
        spin(lambda: (g.ids[2], b"to-python") in got)
        # Reachability through GI: the hub's links to the three are direct
        # (loopback host pairs), so it verifies them, and they it.
        spin(lambda: all(election.is_member_reachable(x) for x in g.ids[:3] + [me]))
        for i in range(3):
            g.members[i].wait_line(r"event=reachable member-id=%s reachable=1" % me)
        assert election.get_unconfirmed_claims() == 0

        epoch = election.get_epoch()
        group.leave()
        start = time.monotonic()
        after, _ = g.wait_agreement(0)
        print("GI member was hub; it left, member 0 agreed on within %.0f ms"
              % ((time.monotonic() - start) * 1000))
        assert after > epoch

        # The same device again, in a new group (a new session): its
        # message sequence starts above the old session's, so the members
        # deliver its messages (they remember the old session's).
        group2 = Nav.Group(identity=identity, topology=Nav.GroupTopology.STAR)
        group2.set_claims(claims)
        election2 = group2.get_election()
        group2.connect("message", lambda grp, origin, data: got.append((origin, bytes(data.get_data()))))
        joined2 = []
        group2.join_async(g.uri, ROOM, None, lambda grp, r: joined2.append(grp.join_finish(r)))
        spin(lambda: joined2 and election2.get_member_count() == 4 and
             election2.get_role() == Nav.ElectionRole.HUB)
        spin(lambda: all((g.view(i) or ("",))[0] == me for i in range(3)))
        assert group2.props.session_id != group.props.session_id
        assert group2.send(GLib.Bytes.new(b"new-session"))
        for i in range(3):
            g.members[i].wait_line(r"event=message origin=%s text=new-session " % me)
        group2.leave()
    finally:
        g.close()


def case_demo():
    """`nav-demo --group 4` (its embedded signaling server): the four
    members agree, then two hubs are killed and the survivors agree each
    time on a new hub in a higher epoch."""
    p = Process(["nav-demo", "--group", "4", "--group-kills", "2", "--timeout", "60"], env=server_env())
    try:
        first = p.wait_line(r"group: the 4 members agree on member (\d+) .* epoch (\d+)")
        second = p.wait_line(r"group: the 3 survivors agree on member (\d+) .* epoch (\d+), ")
        third = p.wait_line(r"group: the 2 survivors agree on member (\d+) .* epoch (\d+), ")
        hubs = [m.group(1) for m in (first, second, third)]
        epochs = [int(m.group(2)) for m in (first, second, third)]
        assert len(set(hubs)) == 3 and epochs == sorted(set(epochs)), (hubs, epochs)
        assert len(matches(p, r"group: killing the hub")) == 2
        rc = p.proc.wait(WAIT_LIMIT_S)   # it ends by itself
    finally:
        p.stop()
    assert rc == 0, "\n".join(p.lines)
    print("nav-demo --group 4: hubs %s, epochs %s" % (hubs, epochs))


if __name__ == "__main__":
    {"agree": case_agree, "battery": case_battery, "attacks": case_attacks,
     "attacks-room": lambda: case_attacks(("--group-room-only",)), "channels": case_channels, "standby": case_standby, "hybrid": case_hybrid,
     "hybrid-messages": case_hybrid_messages, "restart": case_restart,
     "messages": case_messages, "python": case_python, "demo": case_demo,
     "link-forgery": case_link_forgery, "message-forgery": case_message_forgery,
     "message-order": case_message_order, "message-first-order": case_message_first_order,
     "message-late-joiner": case_message_late_joiner,
     "capped-claim": case_capped_claim, "reachable": case_reachable,
     "reachable-failover": case_reachable_failover}[sys.argv[1]]()
    print("ok")
