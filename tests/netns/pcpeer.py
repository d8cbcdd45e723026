#!/usr/bin/python3
"""A NavPeerConnection peer for the netns lab (test-netns-peerconnection.py).

Run in a lab node by the test, as role a (the offerer) or b (the polite
peer of "perfect negotiation": it rolls its offer back when offers
cross).  The two peers signal through files in NATLAB_DIR: each appends
JSON lines (offer, answer, candidate) to <role>.sig and reads the
other's.  Once connected, a sends --count numbered messages to b over the
DTLS channel, under a small ARQ of its own (a window, cumulative acks,
retransmission), so that "nothing is lost above the channel" can be
checked whatever the network lost: b must get each message once, in
order, intact.  b writes how many it has in b.progress, so that the test
can change the network mid-stream.

Each peer counts what shows that the DTLS association survived: its
channel never closed, and no handshake record (content type 22) reached
it once 20 messages had crossed (before that, a flight retransmitted
because its answer was lost is no new handshake).  The last line of output is a JSON
result.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import json
import os
import struct
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402

WINDOW = 32
RTO_S = 0.4
PAYLOAD = 200


def payload_of(seq):
    return bytes((seq * 7 + i) & 0xff for i in range(PAYLOAD))


class FileSignals:
    """JSON lines appended to our file, read from the other's."""

    def __init__(self, directory, me, other):
        self.out = open(os.path.join(directory, me + '.sig'), 'a')
        self.in_path = os.path.join(directory, other + '.sig')
        self.offset = 0
        self.partial = ''

    def send(self, message):
        self.out.write(json.dumps(message) + '\n')
        self.out.flush()

    def poll(self):
        try:
            with open(self.in_path) as f:
                f.seek(self.offset)
                data = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return []
        self.partial += data
        lines = self.partial.split('\n')
        self.partial = lines.pop()
        return [json.loads(line) for line in lines if line]


class Peer:
    def __init__(self, args):
        self.args = args
        self.role = os.environ['NATLAB_ROLE']
        self.directory = os.environ['NATLAB_DIR']
        self.polite = self.role == 'b'
        self.signals = FileSignals(self.directory, self.role, 'b' if self.role == 'a' else 'a')
        self.loop = GLib.MainLoop()
        self.start = time.monotonic()
        self.result = {'ok': False, 'role': self.role}
        self.error = None
        self.pending_candidates = []
        self.making_offer = False
        self.negotiations = 0
        self.connected_at = None
        self.handshake_records_after = 0
        self.dtls_closed = False
        self.remotes = []          # the selected pair's remote address, each time it changes

        # Datagrams of its own on the DTLS channel: no SCTP association.
        self.pc = Nav.PeerConnection(data_channels=False)
        if os.environ.get('NATLAB_STUN'):
            self.pc.add_ice_server('stun:' + os.environ['NATLAB_STUN'], None, None)
        agent = self.pc.get_agent()
        if args.consent_timeout:
            agent.props.consent_interval = args.consent_timeout // 5
            agent.props.consent_timeout = args.consent_timeout
        agent.connect('new-selected-pair-full', self.on_selected_pair)
        self.pc.connect('ice-candidate', self.on_candidate)
        self.pc.connect('negotiation-needed', lambda pc: self.make_offer())
        self.pc.connect('notify::connection-state', self.on_state)

        # the ARQ
        self.next_seq = 0
        self.unacked = {}            # seq -> last sent (monotonic)
        self.acked = 0
        self.expected = 0
        self.out_of_order = {}
        self.received = 0
        self.duplicates = 0
        self.corrupt = 0
        self.done_at = None

    # ------------------------------------------------------------ signaling
    def make_offer(self):
        self.negotiations += 1
        self.note('offering (negotiation %d)' % self.negotiations)
        self.making_offer = True

        def created(pc, result, data):
            try:
                offer = pc.create_offer_finish(result)
                pc.set_local_description(offer)
                self.signals.send({'type': 'offer', 'sdp': offer.get_sdp()})
            except GLib.Error as e:
                self.note('offer: %s' % e.message)
            self.making_offer = False

        self.pc.create_offer_async(None, created, None)

    def note(self, text):
        print('[%s %.2fs] %s' % (self.role, time.monotonic() - self.start, text),
              file=sys.stderr, flush=True)

    def on_candidate(self, pc, candidate, mid, index):
        self.signals.send({'type': 'candidate', 'candidate': candidate, 'mid': mid,
                           'index': index})

    def add_candidate(self, message):
        try:
            self.pc.add_ice_candidate(message['candidate'], message['mid'], message['index'])
        except GLib.Error as e:
            self.note('candidate %r: %s' % (message['candidate'], e.message))

    def handle(self, message):
        kind = message['type']
        if kind == 'candidate':
            if self.pc.get_remote_description() is None:
                self.pending_candidates.append(message)
            else:
                self.add_candidate(message)
            return
        self.note('got the %s' % kind)
        if kind == 'offer':
            collision = (self.making_offer or
                         self.pc.props.signaling_state != Nav.SignalingState.STABLE)
            if collision and not self.polite:
                self.note('crossing offer ignored (impolite)')
                return
            if collision:
                self.note('crossing offers: ours rolled back (polite)')
                self.pc.set_local_description(
                    Nav.SessionDescription.new(Nav.SdpType.ROLLBACK, ''))
            self.pc.set_remote_description(
                Nav.SessionDescription.new(Nav.SdpType.OFFER, message['sdp']))

            def answered(pc, result, data):
                answer = pc.create_answer_finish(result)
                pc.set_local_description(answer)
                self.signals.send({'type': 'answer', 'sdp': answer.get_sdp()})

            self.pc.create_answer_async(None, answered, None)
        elif kind == 'answer':
            if self.pc.props.signaling_state != Nav.SignalingState.HAVE_LOCAL_OFFER:
                return
            self.pc.set_remote_description(
                Nav.SessionDescription.new(Nav.SdpType.ANSWER, message['sdp']))
        for pending in self.pending_candidates:
            self.add_candidate(pending)
        self.pending_candidates = []

    def poll(self):
        try:
            for message in self.signals.poll():
                self.handle(message)
        except GLib.Error as e:
            self.fail('signaling: %s' % e.message)
        return True

    # ------------------------------------------------------------ states
    def on_selected_pair(self, agent, stream, component, local, remote):
        address = remote.addr.to_string()
        if not self.remotes or self.remotes[-1] != address:
            self.remotes.append(address)
            self.note('selected pair: %s -> %s' % (local.addr.to_string(), address))

    def on_state(self, pc, pspec):
        state = pc.props.connection_state
        self.note('connection %s, ICE %s' % (state.value_nick, pc.props.ice_connection_state.value_nick))
        if state == Nav.PeerConnectionState.CONNECTED and self.connected_at is None:
            self.connected_at = time.monotonic()
            self.result['connect_ms'] = round((self.connected_at - self.start) * 1000)
            dtls = pc.get_dtls_channel()
            self.result['cipher'] = dtls.get_cipher_suite()
            peer = dtls.dup_peer_certificate()
            self.result['peer_fingerprint'] = peer.get_fingerprint('sha-256')
            dtls.connect('message', self.on_message)
            dtls.connect('state-changed', self.on_dtls_state)
            # What reaches the agent's channel from the wire: once the
            # stream runs, no handshake record may (the association is
            # never redone).
            pc.get_agent().get_channel(1, 1).connect('message', self.on_wire)
            if self.role == 'a':
                GLib.timeout_add(10, self.send_tick)
        elif state == Nav.PeerConnectionState.CLOSED:
            if self.transfer_done():
                self.finish()      # the peer closed once done: close_notify
            else:
                self.fail('the connection closed')

    def transfer_done(self):
        return (self.received if self.role == 'b' else self.acked) >= self.args.count

    def on_dtls_state(self, channel, state):
        if state == Nav.ChannelState.CLOSED and not self.transfer_done():
            self.dtls_closed = True
            error = channel.dup_error()
            self.fail('the DTLS channel closed: %s' % (error.message if error else 'by the peer'))

    def on_wire(self, channel, data):
        settled = (self.acked if self.role == 'a' else self.received) >= 20
        if settled and data.get_size() > 0 and data.get_data()[0] == 22:
            self.handshake_records_after += 1

    # ------------------------------------------------------------ the ARQ
    def send_message(self, data):
        try:
            self.pc.get_dtls_channel().send(GLib.Bytes.new(data))
        except GLib.Error as e:
            # Sends into a lost path are lost as on the network; the ARQ
            # sends again.
            if not e.matches(Nav.transport_error_quark(), Nav.TransportError.WOULD_BLOCK):
                self.note('send: %s' % e.message)

    def send_tick(self):
        now = time.monotonic()
        # Paced: at most --rate messages a second of new data.
        budget = max(1, self.args.rate // 100)
        while (self.next_seq < self.args.count and self.next_seq < self.acked + WINDOW and
               budget > 0):
            self.send_message(b'D' + struct.pack('!I', self.next_seq) + payload_of(self.next_seq))
            self.unacked[self.next_seq] = now
            self.next_seq += 1
            budget -= 1
        for seq, sent in sorted(self.unacked.items()):
            if now - sent >= RTO_S:
                self.send_message(b'D' + struct.pack('!I', seq) + payload_of(seq))
                self.unacked[seq] = now
        if self.acked >= self.args.count:
            for _ in range(3):
                self.send_message(b'F')
            self.finish()
            return False
        return True

    def on_message(self, channel, data):
        data = data.get_data()
        if data[:1] == b'A' and self.role == 'a':
            (ack,) = struct.unpack('!I', data[1:5])
            for seq in [s for s in self.unacked if s < ack]:
                del self.unacked[seq]
            self.acked = max(self.acked, ack)
        elif data[:1] == b'D' and self.role == 'b':
            (seq,) = struct.unpack('!I', data[1:5])
            if data[5:] != payload_of(seq):
                self.corrupt += 1
            elif seq < self.expected or seq in self.out_of_order:
                self.duplicates += 1
            else:
                self.out_of_order[seq] = True
                while self.expected in self.out_of_order:
                    del self.out_of_order[self.expected]
                    self.expected += 1
                    self.received += 1
                with open(os.path.join(self.directory, 'b.progress'), 'w') as f:
                    f.write(str(self.received))
            self.send_message(b'A' + struct.pack('!I', self.expected))
            if self.expected >= self.args.count and self.done_at is None:
                # Keep acking a moment for a's last retransmissions.
                self.done_at = time.monotonic()
                GLib.timeout_add(1000, lambda: self.finish() and False)
        elif data[:1] == b'F' and self.role == 'b' and self.expected >= self.args.count:
            self.finish()

    # ------------------------------------------------------------ end
    def fail(self, why):
        if self.error is None:
            self.error = why
            self.note('FAIL: ' + why)
        self.loop.quit()

    def finish(self):
        self.loop.quit()
        return False

    def run(self):
        GLib.timeout_add(30, self.poll)
        GLib.timeout_add_seconds(self.args.timeout, lambda: self.fail('timed out') or False)
        if self.role == 'a':
            self.make_offer()
        self.loop.run()
        dtls = self.pc.get_dtls_channel()
        self.result.update({
            'negotiations': self.negotiations,
            'remotes': self.remotes,
            'handshake_records_after': self.handshake_records_after,
            'dtls_closed': self.dtls_closed,
            'dropped_records': dtls.get_dropped_records() if dtls else None,
        })
        if self.role == 'b':
            self.result.update({'received': self.received, 'duplicates': self.duplicates,
                                'corrupt': self.corrupt})
        else:
            self.result['acked'] = self.acked
        if self.error:
            self.result['error'] = self.error
        else:
            self.result['ok'] = self.transfer_done() and self.corrupt == 0
        self.pc.disconnect_by_func(self.on_state)
        self.pc.close()
        print(json.dumps(self.result), flush=True)
        return 0 if self.result['ok'] else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--count', type=int, default=50)
    parser.add_argument('--rate', type=int, default=200, help='new messages per second')
    parser.add_argument('--consent-timeout', type=int, default=0,
                        help='ms (the interval is a fifth of it); 0: the agent default')
    parser.add_argument('--timeout', type=int, default=60)
    return Peer(parser.parse_args()).run()


if __name__ == '__main__':
    sys.exit(main())
