#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A peer that finds another through a room of the DHT (`dht://`) and
connects to it with ICE, with no signaling server: NavSignalingClient's
`dht` implementation, NavSignalingSession and NavAgent, through GObject
Introspection.  Run by test-netns-dht.py and bench/discovery-bench.

Once the component is READY, each side sends a known payload until it has
the other's and knows the other has its own; the last line of output is
JSON: ok, the times (ms) from the start to the DHT node being up
(identity made, bootstrap answered), to the descriptions being exchanged
(negotiated) and to READY, the selected pair, the connect plan, the
times of the client's first events, and the counters of values ignored.
With --nat-type, the agent knows its NAT's RFC 5780 type and trades it
in its description: the NAT-aware strategy.

With --to PEER-ID, it sends an offer to that peer without any room
exchange and reports the error the client gives (for a missing key).
"""
import argparse
import json
import sys
import time

import gi

gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dht', default='', help='bootstrap nodes, HOST:PORT[,…]')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--room', default='nav-dht-test')
    ap.add_argument('--stun')
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--to', help='send an offer to this peer id and report the error')
    ap.add_argument('--hold', type=float, default=1.0, help='seconds to stay after success')
    ap.add_argument('--nat-type', help='our NAT type (nav-stun --nat-type\'s "MAPPING FILTERING"): '
                                       'the agent\'s NAT-aware strategy')
    args = ap.parse_args()
    nat_type = args.nat_type

    uri = 'dht://%s/' % args.dht
    if args.port:
        uri += '?port=%d' % args.port
    out = {'ok': False, 'uri': uri}
    if nat_type:
        out['nat_type'] = nat_type
    loop = GLib.MainLoop()
    t0 = time.monotonic()

    def ms():
        return round((time.monotonic() - t0) * 1000)

    client = Nav.SignalingClient.new(uri)
    agent = Nav.Agent.new_full(None, Nav.Compatibility.RFC8445,
                               Nav.AgentOption.ICE_TRICKLE | Nav.AgentOption.REGULAR_NOMINATION)
    if args.stun:
        host, port = args.stun.rsplit(':', 1)
        agent.props.stun_server = host
        agent.props.stun_server_port = int(port)
    if nat_type:
        agent.props.nat_type = nat_type
    stream = agent.add_stream(1)
    state = {'got': False, 'acked': False, 'done': False}
    mine = b'DHTPEER ' + bytes(range(64))

    def finish():
        for k in ('unsigned-ignored', 'mismatched-ignored', 'malformed-ignored'):
            out[k] = client.get_property(k)
        loop.quit()
        return GLib.SOURCE_REMOVE

    # Data both ways: each message says whether its sender has the
    # other's (the last byte), and a side is done once it has the other's
    # and knows the other has its own.  (A side READY later than the
    # other, the controlled one waiting for its own check of the
    # nominated pair, must not find its peer gone.)
    def on_data(agent, s, c, data):
        if hasattr(data, 'get_data'):
            data = bytes(data.get_data())
        if data[:-1] != mine:
            return
        state['got'] = True
        state['acked'] = state['acked'] or data[-1:] == b'1'
        if state['acked'] and not state['done']:
            state['done'] = True
            out['data_ms'] = ms()
            out['ok'] = True
            GLib.timeout_add(int(args.hold * 1000), finish)

    def tick():
        if state['done'] and args.hold <= 0:
            return GLib.SOURCE_REMOVE
        agent.send(stream, 1, mine + (b'1' if state['got'] else b'0'))
        return GLib.SOURCE_CONTINUE

    def on_state(agent, s, c, st):
        if st == Nav.ComponentState.READY and 'ready_ms' not in out:
            out['ready_ms'] = ms()
            out['plan'] = agent.get_connect_plan().value_nick
            ok, local, remote = agent.get_selected_pair(stream, 1)
            if ok:
                out['pair'] = '%s %s -> %s %s' % (local.type.value_nick, local.addr.to_string(),
                                                   remote.type.value_nick, remote.addr.to_string())
            GLib.timeout_add(20, tick)
        elif st == Nav.ComponentState.FAILED:
            out['error'] = 'ICE failed'
            finish()

    agent.connect('component-state-changed', on_state)
    agent.connect('new-data', on_data)

    def on_error(c, code, reason, ref):
        out.setdefault('errors', []).append({'code': code, 'reason': reason, 'ref': ref, 'ms': ms()})
        if args.to:
            out['ok'] = code == 404
            finish()

    client.connect('server-error', on_error)

    # Where the time goes (bench/discovery-bench's profile): the first of
    # each of the client's events, in ms from the start.
    def mark(name):
        def handler(*a):
            out.setdefault('events', {}).setdefault(name, ms())
        return handler
    for sig in ('joined', 'peer-joined', 'offer', 'answer', 'candidate', 'end-of-candidates'):
        client.connect(sig, mark(sig))
    agent.connect('candidate-gathering-done', mark('gathered'))
    session = {}

    def connected(c, res):
        try:
            c.connect_finish(res)
        except GLib.Error as e:
            out['error'] = e.message
            finish()
            return
        out['dht_ms'] = ms()
        out['peer'] = c.get_peer_id()
        print(json.dumps({'event': 'up', 'peer': out['peer'], 'ms': out['dht_ms']}), flush=True)
        if args.to:
            # Once the node knows its neighbourhood (the room's lookup is
            # done): a lookup as an application makes it.
            def send(c, room, peers):
                out['sent_ms'] = ms()
                c.send_offer(args.room, args.to, 'v=0\r\n')
            c.connect('joined', send)
            c.join(args.room, None)
            return
        s = Nav.SignalingSession.new(c, agent, stream, args.room)
        s.connect('negotiated', lambda s, peer: out.update(negotiated_ms=ms(), remote=peer))
        session['s'] = s
        s.start(None)

    client.connect_async(None, connected)

    def timeout():
        out['error'] = 'timed out after %.0f s' % args.timeout
        finish()

    GLib.timeout_add(int(args.timeout * 1000), timeout)
    loop.run()
    out['total_ms'] = ms()
    client.disconnect()
    print(json.dumps(out), flush=True)
    return 0 if out['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
