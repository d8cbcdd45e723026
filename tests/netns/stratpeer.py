#!/usr/bin/python3
"""stratpeer: one NavAgent peer of test-netns-strategy.py, in its LAN.

First (--discover) it learns its NAT's RFC 5780 type with the STUN
tier's client (`nav-stun --nat-type` against the lab's server, which
answers from two addresses) and sets the agent's `nat-type`; then it
gathers (host, server-reflexive, a TURN/UDP relay), writes its whole
description (with `a=x-nav-nat:`) to DIR/ROLE.sdp, reads the other's
DIR/OTHER.sdp, and runs the checks; role "a" controls.  Once READY, each
side sends a known payload until it has the other's and the other said it
has its own.

With --agent-discovery the agent finds its NAT type itself
(`nat-discovery`, RFC 5780 against the same server, beside gathering):
the peer then reports when the first candidate and the type came, and
writes its description once both gathering and discovery are over.

Prints one JSON line: ok, the NAT types, the connect plan, the selected
pair's candidate types, the candidate lines it offered, and the time from
having both descriptions to READY ("connect_ms").

Environment (natlab's Lab.run_pair): NATLAB_DIR, NATLAB_ROLE, NATLAB_STUN.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import gi

gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402


def discover(nav_stun, server):
    """`MAPPING FILTERING` as nav-stun --nat-type found them, or None."""
    p = subprocess.run([nav_stun, '--nat-type', '--rto', '100', '--retransmissions', '4', server],
                       capture_output=True, text=True, timeout=30)
    found = dict(re.findall(r'^(Mapping|Filtering) behaviour: (\S+)$', p.stdout, re.M))
    if 'Mapping' not in found or 'Filtering' not in found or 'unknown' in found.values():
        return None
    return '%s %s' % (found['Mapping'], found['Filtering'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--role', default=os.environ.get('NATLAB_ROLE'))
    ap.add_argument('--dir', default=os.environ.get('NATLAB_DIR'))
    ap.add_argument('--stun', default=os.environ.get('NATLAB_STUN'), help='IP:PORT')
    ap.add_argument('--turn', help='IP of the TURN server (UDP 3478); none without it')
    ap.add_argument('--user', default='natlab')
    ap.add_argument('--password', default='natlab-secret')
    ap.add_argument('--discover', metavar='NAV_STUN', help='find the NAT type with this nav-stun')
    ap.add_argument('--nat-type', help='the NAT type the application knows (no discovery)')
    ap.add_argument('--agent-discovery', action='store_true',
                    help='the agent finds its NAT type itself (nat-discovery)')
    ap.add_argument('--privacy', action='store_true', help='force-relay: the privacy mode')
    ap.add_argument('--timeout', type=float, default=40.0, help='failure guard, seconds')
    args = ap.parse_args()

    role, other = args.role, 'b' if args.role == 'a' else 'a'
    out = {'role': role, 'ok': False}
    t0 = time.monotonic()
    if args.discover:
        out['nat_type'] = discover(args.discover, args.stun.rpartition(':')[0])
        out['discover_ms'] = round((time.monotonic() - t0) * 1000)

    loop = GLib.MainLoop()
    agent = Nav.Agent.new_full(None, Nav.Compatibility.RFC8445,
                               Nav.AgentOption.ICE_TRICKLE | Nav.AgentOption.REGULAR_NOMINATION)
    agent.props.controlling_mode = role == 'a'
    if args.nat_type:
        out['nat_type'] = args.nat_type
    if out.get('nat_type'):
        agent.props.nat_type = out['nat_type']
    if args.privacy:
        agent.props.force_relay = True
    if args.agent_discovery:
        agent.props.nat_discovery = True
    host, _, port = args.stun.rpartition(':')
    agent.props.stun_server = host
    agent.props.stun_server_port = int(port)
    stream = agent.add_stream(1)
    if args.turn:
        agent.set_relay_info(stream, 1, args.turn, 3478, args.user, args.password, Nav.RelayType.UDP)
    mine = ('STRATPEER %s ' % role).encode() + bytes(range(200))
    st = {'got': False, 'acked': False, 'start': None, 'done': None, 'gathered': False,
          'written': False}

    def finish():
        loop.quit()
        return False

    def since_start():
        return round((time.monotonic() - st['gather']) * 1000, 1)

    def on_candidate(agent, candidate):
        out.setdefault('first_candidate_ms', since_start())
        out.setdefault('first_candidate_type', candidate.type.value_nick)
        if 'nat_type_ms' not in out:
            out['candidates_before_type'] = out.get('candidates_before_type', 0) + 1

    def on_nat_type(agent, pspec):
        if 'nat_type_ms' not in out:
            out['nat_type_ms'] = since_start()
        out['nat_type'] = agent.props.nat_type
        if st['gathered']:
            write_description()

    def on_gathered(agent, stream_id):
        out['gathered_ms'] = since_start()
        st['gathered'] = True
        if args.agent_discovery and agent.props.nat_type is None:
            # The type comes later (on_nat_type writes then); a guard.
            GLib.timeout_add(10000, lambda: write_description() and False)
            return
        write_description()

    def write_description():
        if st['written']:
            return False
        st['written'] = True
        sdp = agent.generate_local_sdp()
        out['offered'] = [line for line in sdp.splitlines() if line.startswith('a=candidate:')]
        path = os.path.join(args.dir, role + '.sdp')
        with open(path + '.tmp', 'w') as f:
            f.write(sdp)
        os.rename(path + '.tmp', path)
        GLib.timeout_add(10, poll)

    def poll():
        try:
            with open(os.path.join(args.dir, other + '.sdp')) as f:
                sdp = f.read()
        except FileNotFoundError:
            return True
        st['start'] = time.monotonic()
        if agent.parse_remote_sdp(sdp) < 0:
            out['error'] = 'the other description did not parse'
            finish()
        out['remote_nat_type'] = agent.props.remote_nat_type
        out['plan'] = agent.get_connect_plan().value_nick
        return False

    def send():
        if st['done'] is not None:
            if time.monotonic() - st['done'] > 0.3:
                out['ok'] = True
                finish()
                return False
        agent.send(stream, 1, mine + (b'1' if st['got'] else b'0'))
        return True

    def on_data(agent, s, c, data):
        data = bytes(data.get_data()) if hasattr(data, 'get_data') else bytes(data)
        head = ('STRATPEER %s ' % other).encode()
        if not data.startswith(head) or data[len(head):-1] != bytes(range(200)):
            return
        st['got'] = True
        if data[-1:] == b'1' and st['done'] is None:
            st['done'] = time.monotonic()

    def on_state(agent, s, c, state):
        if state == Nav.ComponentState.READY and 'connect_ms' not in out:
            out['connect_ms'] = round((time.monotonic() - (st['start'] or t0)) * 1000)
            ok, local, remote = agent.get_selected_pair(stream, 1)
            if ok:
                out['local_type'] = local.type.value_nick
                out['remote_type'] = remote.type.value_nick
                out['transport'] = local.transport.value_nick
            GLib.timeout_add(20, send)
        elif state == Nav.ComponentState.FAILED:
            out['error'] = 'ICE failed'
            finish()

    agent.connect('candidate-gathering-done', on_gathered)
    agent.connect('new-candidate-full', on_candidate)
    agent.connect('notify::nat-type', on_nat_type)
    agent.connect('component-state-changed', on_state)
    agent.connect('new-data', on_data)
    GLib.timeout_add(int(args.timeout * 1000), lambda: out.setdefault('error', 'timed out') and finish())
    st['gather'] = time.monotonic()
    agent.gather_candidates(stream)
    loop.run()
    if args.agent_discovery:
        out['nat_type'] = agent.props.nat_type
    print(json.dumps(out), flush=True)
    return 0 if out['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
