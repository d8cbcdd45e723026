#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Interop with aioice (Debian's python3-aioice), an independent ICE
# implementation: a NavAgent (through GObject Introspection) and an
# aioice.Connection in one process, GLib pumped from asyncio, exchange
# credentials and candidates as SDP candidate lines, connect over
# loopback and send data both ways.
#
#   test-aioice.py nav-controlling | nav-controlled
#
# aioice gathers only non-loopback interface addresses; the test points
# its host gathering at 127.0.0.1 so the run does not depend on the
# machine's interfaces.  Everything else is aioice's own code.

import asyncio
import sys

import gi

gi.require_version("Nav", "1.0")
from gi.repository import GLib, Nav  # noqa: E402

import aioice  # noqa: E402
import aioice.ice  # noqa: E402

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


async def pump_glib():
    context = GLib.MainContext.default()
    while True:
        while context.iteration(False):
            pass
        await asyncio.sleep(0.001)


async def wait_for(predicate, what):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_SECONDS
    while not predicate():
        if loop.time() > deadline:
            fail("timed out waiting for " + what)
        await asyncio.sleep(0.005)


async def run(nav_controlling):
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    pump = asyncio.ensure_future(pump_glib())

    conn = aioice.Connection(ice_controlling=not nav_controlling, components=1,
                             use_ipv6=False)
    await conn.gather_candidates()
    if not conn.local_candidates:
        fail("aioice gathered no candidate")

    nav = Nav.Agent.new(GLib.MainContext.default(), Nav.Compatibility.RFC8445)
    nav.props.controlling_mode = nav_controlling
    nav.add_local_address(Nav.Address.new_from_string("127.0.0.1:0"))
    stream = nav.add_stream(1)
    state = {"gathered": False, "state": None, "data": []}
    nav.connect("candidate-gathering-done", lambda a, s: state.__setitem__("gathered", True))
    nav.connect("component-state-changed", lambda a, s, c, st: state.__setitem__("state", st))
    nav.connect("new-data", lambda a, s, c, d: state["data"].append(d.get_data()))
    nav.gather_candidates(stream)
    await wait_for(lambda: state["gathered"], "NavAgent gathering")

    # credentials both ways
    ok, ufrag, pwd = nav.get_local_credentials(stream)
    conn.remote_username, conn.remote_password = ufrag, pwd
    nav.set_remote_credentials(stream, conn.local_username, conn.local_password)

    # aioice's candidates, as SDP lines, into NavAgent
    remote = []
    for c in conn.local_candidates:
        line = "a=candidate:" + c.to_sdp()
        parsed = nav.parse_remote_candidate_sdp(stream, line)
        if parsed is None:
            fail("NavAgent cannot parse aioice's candidate " + line)
        remote.append(parsed)
    if nav.set_remote_candidates(stream, 1, remote) != len(remote):
        fail("NavAgent refused aioice's candidates")
    nav.peer_candidate_gathering_done(stream)

    # NavAgent's candidates, as SDP lines, into aioice
    for c in nav.get_local_candidates(stream, 1):
        line = nav.generate_local_candidate_sdp(c)
        await conn.add_remote_candidate(aioice.Candidate.from_sdp(line[len("a=candidate:"):]))
    await conn.add_remote_candidate(None)

    await asyncio.wait_for(conn.connect(), TIMEOUT_SECONDS)
    await wait_for(lambda: state["state"] == Nav.ComponentState.READY, "NavAgent READY")

    await conn.send(b"from-aioice")
    if nav.send(stream, 1, b"from-nav") != 8:
        fail("NavAgent send failed")
    data = await asyncio.wait_for(conn.recv(), TIMEOUT_SECONDS)
    if data != b"from-nav":
        fail("aioice received %r" % data)
    await wait_for(lambda: state["data"], "data at NavAgent")
    if state["data"][0] != b"from-aioice":
        fail("NavAgent received %r" % state["data"][0])
    if nav.props.controlling_mode != nav_controlling:
        fail("NavAgent changed role")
    print("OK: NavAgent %s, data both ways" %
          ("controlling" if nav_controlling else "controlled"))

    await conn.close()
    nav.remove_stream(stream)
    pump.cancel()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("nav-controlling", "nav-controlled"):
        fail("usage: test-aioice.py nav-controlling|nav-controlled")
    asyncio.run(run(sys.argv[1] == "nav-controlling"))


if __name__ == "__main__":
    main()
