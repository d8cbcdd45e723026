#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Two NavAgents with force-relay (the privacy mode) connect through a TURN
# server on loopback: relayed candidates come from the registry's `turn`
# gatherer (set_relay_info), checks and data go through the allocations.
#
#   test_relay.py nav PATH-TO-nav-server     our TURN server
#   test_relay.py coturn                     the real coturn turnserver
#
# A server that cannot be found or started is a failure, never a skip.

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion
USER, PASSWORD, REALM = "alice", "secret", "example.org"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue


def start_server(kind, path, tmp):
    for _ in range(10):
        port = free_port()
        if kind == "nav":
            argv = [path, "--turn", "--listening-ip=127.0.0.1", "--listening-port=%d" % port,
                    "--relay-ip=127.0.0.1", "--lt-cred-mech", "--user=%s:%s" % (USER, PASSWORD),
                    "--realm=" + REALM, "--allow-loopback-peers"]
        else:
            turnserver = shutil.which("turnserver") or "/usr/bin/turnserver"
            if not os.access(turnserver, os.X_OK):
                fail("coturn's turnserver not found")
            argv = [turnserver, "-n", "--no-cli", "--no-dtls", "--no-tls",
                    "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                    "--listening-port=%d" % port, "--realm=" + REALM,
                    "--lt-cred-mech", "--user=%s:%s" % (USER, PASSWORD),
                    "--allow-loopback-peers", "--pidfile=" + os.path.join(tmp, "t.pid"),
                    "--userdb=" + os.path.join(tmp, "t.db"), "--log-file=stdout",
                    "--simple-log"]
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Ready once it answers a Binding request.
        probe = bytes.fromhex("000100002112a442") + os.urandom(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.1)
            for _ in range(100):
                if server.poll() is not None:
                    break
                s.sendto(probe, ("127.0.0.1", port))
                try:
                    s.recvfrom(2048)
                    return server, port
                except socket.timeout:
                    pass
        server.kill()
        server.wait()
    fail("the TURN server does not start")


def spin(predicate, what):
    context = GLib.MainContext.default()
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not predicate():
        context.iteration(False)
        if not context.pending():
            time.sleep(0.001)
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what)


def main():
    kind = sys.argv[1]
    tmp = tempfile.mkdtemp()
    server, port = start_server(kind, sys.argv[2] if kind == "nav" else None, tmp)
    try:
        context = GLib.MainContext.default()
        peers = []
        for controlling in (True, False):
            agent = Nav.Agent.new(context, Nav.Compatibility.RFC8445)
            agent.props.controlling_mode = controlling
            agent.props.force_relay = True
            agent.add_local_address(Nav.Address.new_from_string("127.0.0.1:0"))
            stream = agent.add_stream(1)
            if not agent.set_relay_info(stream, 1, "127.0.0.1", port, USER, PASSWORD,
                                        Nav.RelayType.UDP):
                fail("set_relay_info")
            st = {"gathered": False, "state": None, "data": [], "candidates": []}
            agent.connect("candidate-gathering-done",
                          lambda a, s, st=st: st.__setitem__("gathered", True))
            agent.connect("component-state-changed",
                          lambda a, s, c, x, st=st: st.__setitem__("state", x))
            agent.connect("new-candidate-full", lambda a, c, st=st: st["candidates"].append(c))
            agent.connect("new-data", lambda a, s, c, d, st=st: st["data"].append(d.get_data()))
            agent.gather_candidates(stream)
            peers.append((agent, stream, st))
        spin(lambda: all(p[2]["gathered"] for p in peers), "gathering")
        for agent, stream, st in peers:
            types = {c.type for c in st["candidates"]}
            if types != {Nav.CandidateType.RELAYED}:
                fail("force-relay offered %s" % types)
            sdp = agent.generate_local_sdp()
            if " typ relay raddr " not in sdp or " typ host" in sdp:
                fail("SDP is not relay-only:\n" + sdp)

        (a, sa, sta), (b, sb, stb) = peers
        if b.parse_remote_sdp(a.generate_local_sdp()) < 1 or \
           a.parse_remote_sdp(b.generate_local_sdp()) < 1:
            fail("SDP exchange")
        ready = Nav.ComponentState.READY
        spin(lambda: sta["state"] == ready and stb["state"] == ready, "READY")
        for agent, stream, st in peers:
            ok, local, remote = agent.get_selected_pair(stream, 1)
            if not ok or local.type != Nav.CandidateType.RELAYED:
                fail("the selected pair is not relayed")
        a.send(sa, 1, b"relayed-from-a")
        b.send(sb, 1, b"relayed-from-b")
        spin(lambda: sta["data"] and stb["data"], "data both ways")
        if sta["data"][0] != b"relayed-from-b" or stb["data"][0] != b"relayed-from-a":
            fail("wrong data %r %r" % (sta["data"], stb["data"]))
        print("OK: relayed through %s" % kind)
        a.remove_stream(sa)
        b.remove_stream(sb)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
