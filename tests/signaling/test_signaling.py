#!/usr/bin/python3
# test_signaling.py: Nav.SignalingClient through GObject Introspection
# against real nav-server processes: one server, then two servers sharing
# rooms through a real redis-server started here on a free loopback port.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

# Loopback only: no proxy lookup (libproxy, C++, also aborts under an
# LD_PRELOADed sanitizer runtime).
os.environ["GIO_USE_PROXY_RESOLVER"] = "dummy"

import gi  # noqa: E402

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

WAIT_LIMIT_S = 30  # a guard against hangs, not a timed assertion


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """A child that outlives a crashed test would hold its port forever:
    PR_SET_PDEATHSIG (prctl option 1) gives it SIGTERM when we die."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Process:
    """A child whose output (standard output and error) is collected line
    by line."""

    def __init__(self, argv, env=None):
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, preexec_fn=_die_with_parent)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern):
        regex = re.compile(pattern)
        deadline = time.monotonic() + WAIT_LIMIT_S
        with self.cond:
            while True:
                for line in self.lines:
                    m = regex.search(line)
                    if m:
                        return m
                if self.proc.poll() is not None and not self.thread.is_alive():
                    raise AssertionError("process exited (%s) before %r:\n%s"
                                         % (self.proc.returncode, pattern, "\n".join(self.lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r in:\n%s" % (pattern, "\n".join(self.lines)))
                self.cond.wait(left)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT_LIMIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(WAIT_LIMIT_S)
        self.proc.stdout.close()
        return self.proc.returncode


def server_env():
    """nav-server is instrumented itself when this interpreter runs under a
    preloaded sanitizer: give it back leak checking, which the
    interpreter's environment turns off."""
    env = dict(os.environ)
    if "LD_PRELOAD" in env and "asan" in env["LD_PRELOAD"]:
        del env["LD_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0"
        supp = os.path.join(env.get("NAV_SOURCE_ROOT", "."), "tests", "lsan.supp")
        env["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % supp
    return env


def nav_server(*args):
    p = Process(["nav-server", "--signaling", "-L", "127.0.0.1", "--signaling-port=0", "-v", *args],
                env=server_env())
    try:
        port = int(p.wait_line(r"event=listening server=signaling url=ws://127\.0\.0\.1:(\d+)/").group(1))
    except BaseException:
        p.stop()
        raise
    return p, "ws://127.0.0.1:%d/" % port


class Peer:
    """A Nav.SignalingClient and what it received."""

    def __init__(self, uri):
        self.client = Nav.SignalingClient.new(uri)
        self.events = []
        c = self.client
        c.connect("joined", lambda _c, room, peers: self.events.append(("joined", room, list(peers))))
        c.connect("peer-joined", lambda _c, room, peer: self.events.append(("peer-joined", room, peer)))
        c.connect("peer-left", lambda _c, room, peer: self.events.append(("peer-left", room, peer)))
        c.connect("left", lambda _c, room: self.events.append(("left", room)))
        c.connect("offer", lambda _c, room, frm, sdp: self.events.append(("offer", room, frm, sdp)))
        c.connect("answer", lambda _c, room, frm, sdp: self.events.append(("answer", room, frm, sdp)))
        c.connect("candidate", lambda _c, room, frm, cand: self.events.append(("candidate", room, frm, cand)))
        c.connect("end-of-candidates", lambda _c, room, frm: self.events.append(("end-of-candidates", room, frm)))
        c.connect("bye", lambda _c, room, frm, reason: self.events.append(("bye", room, frm, reason)))
        c.connect("server-error", lambda _c, code, reason, ref: self.events.append(("error", code, ref)))
        c.connect("pong", lambda _c: self.events.append(("pong",)))
        done = []
        c.connect_async(None, lambda c, res: done.append(c.connect_finish(res)))
        spin(lambda: done)
        assert done == [True]
        assert c.get_state() == Nav.SignalingClientState.CONNECTED
        self.id = c.get_peer_id()

    def wait(self, kind):
        """Waits for the first event of @kind and returns it (dropping
        the events before it)."""
        def found():
            return any(e[0] == kind for e in self.events)
        spin(found)
        while True:
            e = self.events.pop(0)
            if e[0] == kind:
                return e


def spin(condition):
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("waited %d s in vain" % WAIT_LIMIT_S)
        ctx.iteration(False) or time.sleep(0.005)


def exchange(test, a, b, room):
    """The offer/answer/candidates/bye of one session, from a to b."""
    a.client.send_offer(room, b.id, "v=0\r\n")
    test.assertEqual(b.wait("offer"), ("offer", room, a.id, "v=0\r\n"))
    b.client.send_answer(room, a.id, "v=0 answer\r\n")
    test.assertEqual(a.wait("answer"), ("answer", room, b.id, "v=0 answer\r\n"))
    a.client.send_candidate(room, None, "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host")
    test.assertEqual(b.wait("candidate"),
                     ("candidate", room, a.id, "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host"))
    b.client.send_end_of_candidates(room, a.id)
    test.assertEqual(a.wait("end-of-candidates"), ("end-of-candidates", room, b.id))
    a.client.send_bye(room, b.id, "done")
    test.assertEqual(b.wait("bye"), ("bye", room, a.id, "done"))


class TestSignalingClient(unittest.TestCase):
    def test_round_trip_through_nav_server(self):
        server, uri = nav_server()
        try:
            a, b = Peer(uri), Peer(uri)
            a.client.join("red-lion-star", None)
            self.assertEqual(a.wait("joined"), ("joined", "red-lion-star", []))
            b.client.join("red-lion-star", None)
            self.assertEqual(b.wait("joined"), ("joined", "red-lion-star", [a.id]))
            self.assertEqual(a.wait("peer-joined"), ("peer-joined", "red-lion-star", b.id))
            exchange(self, a, b, "red-lion-star")
            a.client.send_offer("red-lion-star", "nobody", "v=0")
            self.assertEqual(a.wait("error"), ("error", 404, "offer"))
            a.client.send_ping()
            a.wait("pong")
            self.assertEqual(sorted(a.client.list_rooms()), ["red-lion-star"])
            b.client.disconnect()
            self.assertEqual(a.wait("peer-left"), ("peer-left", "red-lion-star", b.id))
            a.client.disconnect()
        finally:
            self.assertEqual(server.stop(), 0, "\n".join(server.lines))

    def test_second_server_cannot_share_the_port(self):
        # The worker sockets use SO_REUSEPORT among themselves; a second
        # server on the same port must be refused, not handed half the
        # clients.
        server, uri = nav_server("--signaling-threads=2")
        try:
            port = uri.rsplit(":", 1)[1].strip("/")
            second = subprocess.run(["nav-server", "--signaling", "-L", "127.0.0.1",
                                     "--signaling-port=" + port, "--signaling-threads=2"],
                                    env=server_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, timeout=30)
            self.assertNotEqual(second.returncode, 0, second.stdout)
            self.assertIn("Cannot listen on 127.0.0.1 port " + port, second.stdout)
            self.assertTrue(Peer(uri).id)   # the first server still serves
        finally:
            self.assertEqual(server.stop(), 0, "\n".join(server.lines))

    def test_tokens_through_nav_server(self):
        server, uri = nav_server("--signaling-secret=s3cret")
        try:
            token = subprocess.run(["nav-server", "--signaling-secret=s3cret", "--signaling-make-token=vip"],
                                   check=True, capture_output=True, text=True).stdout.strip()
            a = Peer(uri)
            a.client.join("vip", None)
            self.assertEqual(a.wait("error"), ("error", 401, "join"))
            a.client.join("vip", "1.deadbeef")
            self.assertEqual(a.wait("error"), ("error", 401, "join"))
            a.client.join("vip", token)
            self.assertEqual(a.wait("joined"), ("joined", "vip", []))
            a.client.disconnect()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_examples_find_each_other(self):
        """examples/signaling-peer (C) and examples/signaling_peer.py meet
        in a room and both exit 0."""
        server, uri = nav_server()
        try:
            c_peer = subprocess.Popen([os.path.join(os.environ["NAV_BUILD_ROOT"], "examples", "signaling-peer"),
                                       uri, "example-room"], env=server_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # The C peer waits in the room; the Python peer arrives second and offers.
            server.wait_line(r"event=join room=example-room")
            py_peer = subprocess.run(["/usr/bin/python3",
                                      os.path.join(os.environ["NAV_SOURCE_ROOT"], "examples", "signaling_peer.py"),
                                      uri, "example-room"],
                                     capture_output=True, text=True, timeout=WAIT_LIMIT_S)
            c_out, _ = c_peer.communicate(timeout=WAIT_LIMIT_S)
            self.assertEqual(py_peer.returncode, 0, py_peer.stdout + py_peer.stderr)
            self.assertEqual(c_peer.returncode, 0, c_out)
            self.assertIn("offer from", c_out)
            self.assertIn("answer from", py_peer.stdout)
        finally:
            self.assertEqual(server.stop(), 0, "\n".join(server.lines))

    def run_agents(self, uri_a, uri_b, room):
        """Two examples/signaling-agent processes connect their NavAgents
        through the signaling server(s) and exchange a line each way."""
        exe = os.path.join(os.environ["NAV_BUILD_ROOT"], "examples", "signaling-agent")
        first = subprocess.Popen([exe, uri_a, room, "127.0.0.1"], env=server_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            second = subprocess.run([exe, uri_b, room, "127.0.0.1"], env=server_env(),
                                    capture_output=True, text=True, timeout=WAIT_LIMIT_S)
            out, _ = first.communicate(timeout=WAIT_LIMIT_S)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertEqual(first.returncode, 0, out)
        for text in (out, second.stdout):
            self.assertRegex(text, r"selected pair: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+")
            self.assertRegex(text, r"received: hello from \w+")

    def test_agents_in_two_processes_connect(self):
        server, uri = nav_server()
        try:
            self.run_agents(uri, uri, "agents")
        finally:
            self.assertEqual(server.stop(), 0, "\n".join(server.lines))

    def start_redis(self, port):
        redis_bin = shutil.which("redis-server")
        self.assertIsNotNone(redis_bin, "redis-server is not installed (tools/setup.sh installs it)")
        redis = Process([redis_bin, "--port", str(port), "--bind", "127.0.0.1",
                         "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        try:
            redis.wait_line(r"Ready to accept connections")
        except BaseException:
            redis.stop()
            raise
        return redis

    def start_servers(self, redis_port, servers, *args):
        url = "--redis=redis://127.0.0.1:%d" % redis_port
        for _ in range(2):
            server, uri = nav_server(url, *args)
            servers.append((server, uri))
            server.wait_line(r"event=redis-connected")

    def test_two_servers_share_rooms_through_redis(self):
        redis_port = free_port()
        redis = self.start_redis(redis_port)
        servers = []
        try:
            self.start_servers(redis_port, servers)
            a = Peer(servers[0][1])
            b = Peer(servers[1][1])
            a.client.join("shared-room", None)
            self.assertEqual(a.wait("joined"), ("joined", "shared-room", []))
            b.client.join("shared-room", None)
            self.assertEqual(b.wait("joined"), ("joined", "shared-room", [a.id]))
            self.assertEqual(a.wait("peer-joined"), ("peer-joined", "shared-room", b.id))
            exchange(self, a, b, "shared-room")
            exchange(self, b, a, "shared-room")
            b.client.leave("shared-room")
            self.assertEqual(a.wait("peer-left"), ("peer-left", "shared-room", b.id))
            a.client.send_offer("shared-room", b.id, "v=0")
            self.assertEqual(a.wait("error"), ("error", 404, "offer"))
            # A lost connection on one server is a peer-left on the other.
            b.client.join("shared-room", None)
            self.assertEqual(a.wait("peer-joined"), ("peer-joined", "shared-room", b.id))
            b.client.disconnect()
            self.assertEqual(a.wait("peer-left"), ("peer-left", "shared-room", b.id))
            a.client.disconnect()
            # Agents in two processes, each on its own server.
            self.run_agents(servers[0][1], servers[1][1], "agents-across-servers")
        finally:
            for server, _ in servers:
                self.assertEqual(server.stop(), 0, "\n".join(server.lines))
            redis.stop()

    def test_crashed_server_gives_its_seats_back(self):
        """A server killed with SIGKILL cannot free its seats; once its
        liveness key has expired (deleted here instead of waiting its
        15 s), the next join clears them: the room of two takes a new
        peer, and the peer still there is told its old neighbour left."""
        redis_port = free_port()
        redis = self.start_redis(redis_port)
        servers = []
        try:
            self.start_servers(redis_port, servers, "--signaling-max-room-size=2")
            dead = servers[0][0].wait_line(r"event=redis-connected .*instance=(\S+)").group(1)
            a = Peer(servers[0][1])
            b = Peer(servers[1][1])
            a.client.join("crash-room", None)
            self.assertEqual(a.wait("joined"), ("joined", "crash-room", []))
            b.client.join("crash-room", None)
            self.assertEqual(b.wait("joined"), ("joined", "crash-room", [a.id]))
            servers[0][0].proc.kill()
            servers[0][0].proc.wait()
            servers[0][0].stop()
            servers.pop(0)
            key = ("nav:instance:" + dead).encode()
            with socket.create_connection(("127.0.0.1", redis_port)) as conn:
                conn.sendall(b"*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n" % (len(key), key))
                self.assertEqual(conn.recv(64), b":1\r\n")    # the key was there
            c = Peer(servers[0][1])
            c.client.join("crash-room", None)
            joined = c.wait("joined")
            # The room's seats hold B and C; C's server may still have
            # counted A when it answered (the peer-left published by the
            # join crosses Redis on the other connection): then A's
            # peer-left follows, so C's view ends right either way.
            self.assertIn(sorted(joined[2]), [[b.id], sorted([a.id, b.id])])
            if a.id in joined[2]:
                self.assertEqual(c.wait("peer-left"), ("peer-left", "crash-room", a.id))
            # B hears both, in either order.
            spin(lambda: {e[0] for e in b.events} >= {"peer-left", "peer-joined"})
            self.assertIn(("peer-left", "crash-room", a.id), b.events)
            self.assertIn(("peer-joined", "crash-room", c.id), b.events)
            b.events.clear()
            exchange(self, b, c, "crash-room")
        finally:
            for server, _ in servers:
                self.assertEqual(server.stop(), 0, "\n".join(server.lines))
            redis.stop()

    def test_redis_restart(self):
        """redis-server is killed and started again, empty, on the same
        port: both servers reconnect (with backoff), subscribe again and
        seat their peers again; the peers joined before still reach each
        other across the servers, and new peers meet in a new room."""
        redis_port = free_port()
        redis = self.start_redis(redis_port)
        servers = []
        try:
            self.start_servers(redis_port, servers)
            a = Peer(servers[0][1])
            b = Peer(servers[1][1])
            a.client.join("before-restart", None)
            self.assertEqual(a.wait("joined"), ("joined", "before-restart", []))
            b.client.join("before-restart", None)
            self.assertEqual(b.wait("joined"), ("joined", "before-restart", [a.id]))
            self.assertEqual(a.wait("peer-joined"), ("peer-joined", "before-restart", b.id))

            # No goodbye: SIGKILL, as a crash would.
            redis.proc.kill()
            redis.stop()
            for server, _ in servers:
                server.wait_line(r"event=redis-disconnected")
            redis = self.start_redis(redis_port)
            for server, _ in servers:
                server.wait_line(r"event=redis-reconnected")

            exchange(self, a, b, "before-restart")
            exchange(self, b, a, "before-restart")
            c = Peer(servers[0][1])
            d = Peer(servers[1][1])
            c.client.join("after-restart", None)
            self.assertEqual(c.wait("joined"), ("joined", "after-restart", []))
            d.client.join("after-restart", None)
            self.assertEqual(d.wait("joined"), ("joined", "after-restart", [c.id]))
            self.assertEqual(c.wait("peer-joined"), ("peer-joined", "after-restart", d.id))
            exchange(self, d, c, "after-restart")
            # The seats were taken again: a third peer sees both of the first room.
            e = Peer(servers[1][1])
            e.client.join("before-restart", None)
            joined = e.wait("joined")
            self.assertEqual(sorted(joined[2]), sorted([a.id, b.id]))
            for p in (a, b, c, d, e):
                p.client.disconnect()
        finally:
            for server, _ in servers:
                self.assertEqual(server.stop(), 0, "\n".join(server.lines))
            redis.stop()

    def test_capacity_holds_across_servers(self):
        """Eight peers, four on each server, join a room of three at once:
        Redis seats exactly three (one script counts and seats), the other
        five get error 409."""
        redis_port = free_port()
        redis = self.start_redis(redis_port)
        servers = []
        try:
            self.start_servers(redis_port, servers, "--signaling-max-room-size=3")
            peers = [Peer(servers[i % 2][1]) for i in range(8)]
            for p in peers:
                p.client.join("crowded", None)

            def answer(p):
                for e in p.events:
                    if e[0] == "joined" or (e[0] == "error" and e[2] == "join"):
                        return e
                return None
            spin(lambda: all(answer(p) is not None for p in peers))
            answers = [answer(p) for p in peers]
            seated = [p for p, a in zip(peers, answers) if a[0] == "joined"]
            refused = [a for a in answers if a[0] == "error"]
            self.assertEqual(len(seated), 3, answers)
            self.assertEqual(refused, [("error", 409, "join")] * 5)
            # Those seated see each other, whichever server holds them.
            for p in seated:
                spin(lambda: len({e[2] for e in p.events if e[0] == "peer-joined"} |
                                 set(answer(p)[2])) == 2)
            # A seat freed on one server is free for the other.
            leaving = seated[0]
            leaving.client.leave("crowded")
            leaving.wait("left")
            late = Peer(servers[1][1])
            late.client.join("crowded", None)
            self.assertEqual(len(late.wait("joined")[2]), 2)
            for p in peers + [late]:
                p.client.disconnect()
        finally:
            for server, _ in servers:
                self.assertEqual(server.stop(), 0, "\n".join(server.lines))
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
