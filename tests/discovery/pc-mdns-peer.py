#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The NetAvanue side of test-netns-mdns-candidates.py: a NavPeerConnection
that answers a browser's offer read from DIR/offer.sdp, writes its answer
to DIR/answer.sdp (once gathering is complete, candidates inside), and
waits until the connection (ICE and DTLS) is connected.

Prints one JSON line: ok, the offer's `.local` candidates, the selected
pair's remote address, the time to connect.
"""
import argparse
import json
import os
import re
import sys
import time

import gi

gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--timeout', type=float, default=40)
    ap.add_argument('--settle', type=float, default=2.0)
    ap.add_argument('--conceal', action='store_true', help='mdns-host-candidates on')
    args = ap.parse_args()

    loop = GLib.MainLoop()
    result = {'ok': False}
    start = time.monotonic()
    offer_path = os.path.join(args.dir, 'offer.sdp')
    while not os.path.exists(offer_path):
        if time.monotonic() - start > args.timeout:
            print(json.dumps({'ok': False, 'error': 'no offer'}), flush=True)
            return 1
        time.sleep(0.05)
    time.sleep(0.1)
    with open(offer_path) as f:
        offer = f.read()
    local_names = re.findall(r'a=candidate:\S+ \d+ \S+ \d+ (\S+\.local) ', offer)
    result['mdns_candidates'] = local_names
    pc = Nav.PeerConnection.new(None)
    pc.props.mdns_host_candidates = args.conceal
    agent = pc.get_agent()
    begin = time.monotonic()

    def on_pair(agent, stream, component, local, remote):
        result['remote'] = remote.addr.to_string()
        result['remote_type'] = remote.type.value_nick

    agent.connect('new-selected-pair-full', on_pair)

    def collect():
        remotes = agent.get_remote_candidates(1, 1)
        result['remote_candidates'] = sorted('%s %s' % (c.type.value_nick, c.addr.to_string())
                                             for c in remotes)
        loop.quit()
        return GLib.SOURCE_REMOVE

    def on_state(pc, _):
        state = pc.props.connection_state
        if state == Nav.PeerConnectionState.CONNECTED and not result['ok']:
            result['ok'] = True
            result['connect_ms'] = round((time.monotonic() - begin) * 1000)
            # The remote candidates once the `.local` names were resolved
            # or given up (the pair may have been found before, from the
            # browser's checks).
            GLib.timeout_add(int(args.settle * 1000), collect)
        elif state == Nav.PeerConnectionState.FAILED:
            result['error'] = 'connection failed'
            loop.quit()

    pc.connect('notify::connection-state', on_state)

    def on_gathering(pc, _):
        if pc.props.ice_gathering_state == Nav.IceGatheringState.COMPLETE:
            result['answer_candidates'] = re.findall(r'a=candidate:(.*)', pc.get_local_description().get_sdp())
            with open(os.path.join(args.dir, 'answer.tmp'), 'w') as f:
                f.write(pc.get_local_description().get_sdp())
            os.rename(os.path.join(args.dir, 'answer.tmp'), os.path.join(args.dir, 'answer.sdp'))

    pc.connect('notify::ice-gathering-state', on_gathering)
    pc.set_remote_description(Nav.SessionDescription.new(Nav.SdpType.OFFER, offer))

    def answered(pc, res, _):
        pc.set_local_description(pc.create_answer_finish(res))

    pc.create_answer_async(None, answered, None)

    def timeout():
        result['error'] = 'timed out (connection %s, ICE %s)' % (
            pc.props.connection_state.value_nick, pc.props.ice_connection_state.value_nick)
        loop.quit()

    GLib.timeout_add(int(args.timeout * 1000), timeout)
    loop.run()
    pc.close()
    print(json.dumps(result), flush=True)
    return 0 if result['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
