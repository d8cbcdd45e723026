#!/usr/bin/python3
"""stratpc: one NavPeerConnection peer of test-netns-strategy.py's `pc`
case, in its LAN.

It learns its NAT's RFC 5780 type with `nav-stun --nat-type` against the
lab's server and sets it on the connection's agent, then role a offers
and role b answers through JSON lines in NATLAB_DIR (a.sig, b.sig: the
descriptions, then trickled candidates).  Once connected it prints one
JSON line: its NAT type, whether its description carried
`a=x-nav-nat:` at session level, the peer's type as the agent read it,
the connect plan (the agent's and the one in the connection's stats),
and the selected pair's candidate types.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gi  # noqa: E402

gi.require_version('GLib', '2.0')
gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402
from stratpeer import discover  # noqa: E402


def session_nat(sdp):
    """The a=x-nav-nat value before the first m-line, or None."""
    for line in sdp.splitlines():
        if line.startswith('m='):
            return None
        if line.startswith('a=x-nav-nat:'):
            return line[len('a=x-nav-nat:'):]
    return None


def stats_plan(pc):
    for report in pc.get_stats().unpack().values():
        if 'connectPlan' in report:
            return report['connectPlan'], report.get('natType'), report.get('remoteNatType')
    return None, None, None


def main():
    nav_stun, timeout = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 40
    role = os.environ['NATLAB_ROLE']
    other = 'b' if role == 'a' else 'a'
    directory = os.environ['NATLAB_DIR']
    out = {'role': role, 'ok': False}
    out['nat_type'] = discover(nav_stun, os.environ['NATLAB_STUN'].rpartition(':')[0])

    loop = GLib.MainLoop()
    pc = Nav.PeerConnection(data_channels=False)
    pc.add_ice_server('stun:' + os.environ['NATLAB_STUN'], None, None)
    agent = pc.get_agent()
    if out['nat_type']:
        agent.props.nat_type = out['nat_type']
    mine = open(os.path.join(directory, role + '.sig'), 'a')
    st = {'offset': 0, 'partial': '', 'pending': []}

    def send(message):
        mine.write(json.dumps(message) + '\n')
        mine.flush()

    def described(sdp):
        out['sent_nat'] = session_nat(sdp)
        send({'type': 'answer' if role == 'b' else 'offer', 'sdp': sdp})

    def on_created(pc, result, data):
        try:
            d = (pc.create_offer_finish if role == 'a' else pc.create_answer_finish)(result)
            pc.set_local_description(d)
            described(d.get_sdp())
        except GLib.Error as e:
            out['error'] = e.message
            loop.quit()

    def handle(message):
        if message['type'] == 'candidate':
            if pc.get_remote_description() is None:
                st['pending'].append(message)
            else:
                pc.add_ice_candidate(message['candidate'], message['mid'], message['index'])
            return
        kind = Nav.SdpType.OFFER if message['type'] == 'offer' else Nav.SdpType.ANSWER
        out['got_nat'] = session_nat(message['sdp'])
        pc.set_remote_description(Nav.SessionDescription.new(kind, message['sdp']))
        out['remote_nat_type'] = agent.props.remote_nat_type
        if role == 'b':
            pc.create_answer_async(None, on_created, None)
        for m in st['pending']:
            pc.add_ice_candidate(m['candidate'], m['mid'], m['index'])
        st['pending'] = []

    def poll():
        try:
            with open(os.path.join(directory, other + '.sig')) as f:
                f.seek(st['offset'])
                data = f.read()
                st['offset'] = f.tell()
        except FileNotFoundError:
            return True
        lines = (st['partial'] + data).split('\n')
        st['partial'] = lines.pop()
        try:
            for line in lines:
                if line:
                    handle(json.loads(line))
        except GLib.Error as e:
            out['error'] = e.message
            loop.quit()
        return True

    def on_state(pc, pspec):
        state = pc.props.connection_state
        if state == Nav.PeerConnectionState.CONNECTED:
            out['plan'] = agent.get_connect_plan().value_nick
            out['stats_plan'], out['stats_nat'], out['stats_remote_nat'] = stats_plan(pc)
            ok, local, remote = agent.get_selected_pair(1, 1)
            if ok:
                out['local_type'] = local.type.value_nick
                out['remote_type'] = remote.type.value_nick
            out['ok'] = True
            # A moment for the peer's own CONNECTED (its DTLS Finished).
            GLib.timeout_add(500, lambda: loop.quit() or False)
        elif state == Nav.PeerConnectionState.FAILED:
            out['error'] = 'connection failed'
            loop.quit()

    pc.connect('ice-candidate', lambda pc, c, mid, index: send(
        {'type': 'candidate', 'candidate': c, 'mid': mid, 'index': index}))
    pc.connect('notify::connection-state', on_state)
    GLib.timeout_add(20, poll)
    GLib.timeout_add(int(timeout * 1000), lambda: out.setdefault('error', 'timed out') and loop.quit())
    if role == 'a':
        pc.create_offer_async(None, on_created, None)
    loop.run()
    pc.disconnect_by_func(on_state)
    pc.close()
    print(json.dumps(out), flush=True)
    return 0 if out['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
