#!/usr/bin/python3
"""navpeer: one ICE peer of the NAT matrix, in its own process.

Runs NavAgent (--impl nav) or libnice's NiceAgent (--impl nice), both
through GObject Introspection, with the lab's STUN server and its TURN
server over UDP, TCP and TLS, and trickles its candidates to the other
peer through files in a shared directory (Trickle ICE, RFC 8838, with
the SDP attribute lines of RFC 8839):

    DIR/ROLE.ice    "ice-ufrag:U ice-pwd:P", then one a=candidate line per
                    candidate as it is gathered, then a=end-of-candidates

Each side polls the other's file.  Role "a" is controlling.  Once the
component is ready, both sides send a known payload until each has the
other's and knows the other has its own (a flag in every message), so
data is checked both ways over the selected pair whatever the loss.

Prints one JSON object: the selected pair (types, transports,
addresses), the time from the start of gathering to READY ("connect_ms"),
and whether the data checked out.  Exit status 0 only if it did.

Environment (set by natlab's Lab.run_pair): NATLAB_DIR, NATLAB_ROLE,
NATLAB_STUN.  Options override them.

ICE-TCP options (test-netns-tcp-so.py): --no-udp turns ice-udp off,
--tcp-so gathers simultaneous-open candidates (NavAgent), --offer so
(a comma list of udp, active, passive, so) signals only candidates of
those kinds, so that only their pairs can form.  The JSON then also lists
the candidate lines offered.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import json
import os
import sys
import time

import gi

PAYLOAD_LEN = 600


def payload(role):
    """A payload only @role sends: bytes whose every position matters."""
    seed = ord(role)
    return bytes((seed * 31 + i * 7 + (i >> 3)) & 0xFF for i in range(PAYLOAD_LEN))


_keep = []


def nice_attach_recv(agent, stream, callback):
    """nice_agent_attach_recv() through ctypes: it is not introspectable
    (a raw callback), and recv_nonblocking() crashes through GI.  Returns
    a send function: nice_agent_send() through GI takes text, not bytes."""
    import ctypes
    libnice = ctypes.CDLL('libnice.so.10')
    libglib = ctypes.CDLL('libglib-2.0.so.0')
    libglib.g_main_context_default.restype = ctypes.c_void_p
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    ptr = get(agent.__gpointer__, None)
    RecvFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p)
    func = RecvFunc(lambda a, s, c, n, buf, d: callback(ctypes.string_at(buf, n)))
    _keep.append(func)
    libnice.nice_agent_attach_recv.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                               ctypes.c_void_p, RecvFunc, ctypes.c_void_p]
    libnice.nice_agent_attach_recv.restype = ctypes.c_int
    if not libnice.nice_agent_attach_recv(ptr, stream, 1, libglib.g_main_context_default(),
                                          func, None):
        raise RuntimeError('nice_agent_attach_recv failed')
    libnice.nice_agent_send.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                        ctypes.c_uint, ctypes.c_char_p]
    libnice.nice_agent_send.restype = ctypes.c_int

    def send(data):
        return libnice.nice_agent_send(ptr, stream, 1, len(data), data)
    return send


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--impl', choices=('nav', 'nice'), default='nav')
    ap.add_argument('--role', default=os.environ.get('NATLAB_ROLE'))
    ap.add_argument('--dir', default=os.environ.get('NATLAB_DIR'))
    ap.add_argument('--stun', default=os.environ.get('NATLAB_STUN'), help='IP:PORT')
    ap.add_argument('--turn', help='IP of the TURN server (UDP/TCP 3478, TLS 5349)')
    ap.add_argument('--turn-transports', default='udp,tcp,tls')
    ap.add_argument('--user', default='natlab')
    ap.add_argument('--password', default='natlab-secret')
    ap.add_argument('--timeout', type=float, default=60.0, help='failure guard, seconds')
    ap.add_argument('--no-udp', action='store_true', help='ice-udp off')
    ap.add_argument('--tcp-so', action='store_true',
                    help='ice-tcp-simultaneous-open on (NavAgent only)')
    ap.add_argument('--offer', help='signal only these kinds: udp,active,passive,so')
    args = ap.parse_args()
    if args.role not in ('a', 'b') or not args.dir:
        ap.error('--role a|b and --dir are needed (or NATLAB_ROLE, NATLAB_DIR)')

    if args.impl == 'nav':
        gi.require_version('Nav', '1.0')
        from gi.repository import Nav as Ice
    else:
        gi.require_version('Nice', '0.1')
        from gi.repository import Nice as Ice
    from gi.repository import GLib

    role, other = args.role, 'b' if args.role == 'a' else 'a'
    mine = payload(role)
    theirs = payload(other)
    out = {'impl': args.impl, 'role': role, 'ok': False}
    loop = GLib.MainLoop()
    ctx = GLib.MainContext.default()

    if args.impl == 'nav':
        agent = Ice.Agent.new_full(ctx, Ice.Compatibility.RFC8445,
                                   Ice.AgentOption.ICE_TRICKLE |
                                   Ice.AgentOption.REGULAR_NOMINATION)
    else:
        agent = Ice.Agent.new_full(ctx, Ice.Compatibility.RFC5245,
                                   Ice.AgentOption.ICE_TRICKLE |
                                   Ice.AgentOption.REGULAR_NOMINATION)
    relay_types = {'udp': Ice.RelayType.UDP, 'tcp': Ice.RelayType.TCP,
                   'tls': Ice.RelayType.TLS}
    agent.props.controlling_mode = role == 'a'
    if args.no_udp:
        agent.props.ice_udp = False
    if args.tcp_so:
        agent.props.ice_tcp = True
        agent.props.ice_tcp_simultaneous_open = True
    offer = set(args.offer.split(',')) if args.offer else None
    if args.stun:
        host, _, port = args.stun.rpartition(':')
        agent.props.stun_server = host
        agent.props.stun_server_port = int(port)
    stream = agent.add_stream(1)
    if args.turn:
        for t in args.turn_transports.split(','):
            if t:
                agent.set_relay_info(stream, 1, args.turn, 5349 if t == 'tls' else 3478,
                                     args.user, args.password, relay_types[t])

    my_path = os.path.join(args.dir, role + '.ice')
    their_path = os.path.join(args.dir, other + '.ice')
    my_file = open(my_path, 'w')        # the reader only takes whole lines
    st = {'offset': 0, 'buf': '', 'creds': False, 'pending': [], 'end': False,
          'got': False, 'acked': False, 'ready_at': None, 'done_at': None, 'sent': 0,
          'received': 0, 'bad': 0, 'states': [], 'gathered_at': None}

    def emit(line):
        my_file.write(line + '\n')
        my_file.flush()

    ok, ufrag, pwd = agent.get_local_credentials(stream)
    emit('ice-ufrag:%s ice-pwd:%s' % (ufrag, pwd))

    def on_candidate(agent, cand):
        line = agent.generate_local_candidate_sdp(cand)
        if offer is not None:
            f = line.split()
            kind = f[f.index('tcptype') + 1] if 'tcptype' in f else 'udp'
            if kind not in offer:
                return
            out.setdefault('offered', []).append(line)
        emit(line)

    def on_gathering_done(agent, stream_id):
        st['gathered_at'] = time.monotonic()
        emit('a=end-of-candidates')

    def give_candidates():
        if st['creds'] and st['pending']:
            agent.set_remote_candidates(stream, 1, st['pending'])
            st['pending'] = []
        if st['creds'] and st['end'] and not st.get('end_told'):
            st['end_told'] = True
            agent.peer_candidate_gathering_done(stream)

    def poll():
        try:
            with open(their_path) as f:
                f.seek(st['offset'])
                data = f.read()
                st['offset'] = f.tell()
        except FileNotFoundError:
            return True
        st['buf'] += data
        while '\n' in st['buf']:
            line, st['buf'] = st['buf'].split('\n', 1)
            if line.startswith('ice-ufrag:'):
                u, p = line.split()
                agent.set_remote_credentials(stream, u.split(':', 1)[1], p.split(':', 1)[1])
                st['creds'] = True
            elif line.startswith('a=candidate:'):
                c = agent.parse_remote_candidate_sdp(stream, line)
                if c is None:
                    out.setdefault('unparsed', []).append(line)
                else:
                    st['pending'].append(c)
            elif line == 'a=end-of-candidates':
                st['end'] = True
        give_candidates()
        return True

    def send_tick():
        flag = b'1' if st['got'] else b'0'
        send(b'NAVPEER ' + role.encode() + flag + b' ' + mine)
        st['sent'] += 1
        if st['got'] and st['acked']:
            if st['done_at'] is None:
                st['done_at'] = time.monotonic()
            # a few more, so that the other side sees our flag too
            elif time.monotonic() - st['done_at'] > 0.4:
                out['ok'] = True
                loop.quit()
                return False
        return True

    def on_data(agent, stream_id, component_id, data):
        if not isinstance(data, bytes):
            data = bytes(data.get_data()) if hasattr(data, 'get_data') else bytes(data)
        st['received'] += 1
        head = b'NAVPEER ' + other.encode()
        if data[:len(head)] != head or data[len(head) + 2:] != theirs:
            st['bad'] += 1
            return
        st['got'] = True
        if data[len(head):len(head) + 1] == b'1':
            st['acked'] = True

    def on_state(agent, stream_id, component_id, state):
        st['states'].append(int(state))
        ready = Ice.ComponentState.READY
        if state == ready and st['ready_at'] is None:
            st['ready_at'] = time.monotonic()
            GLib.timeout_add(20, send_tick)
        elif state == Ice.ComponentState.FAILED:
            out['error'] = 'component FAILED'
            loop.quit()

    def on_timeout():
        out['error'] = 'timed out after %.0f s' % args.timeout
        loop.quit()
        return False

    agent.connect('new-candidate-full', on_candidate)
    agent.connect('candidate-gathering-done', on_gathering_done)
    agent.connect('component-state-changed', on_state)
    agent.connect('new-selected-pair-full',
                  lambda a, s, c, lo, re: st.__setitem__('selected', (True, lo.copy(), re.copy())))
    if args.impl == 'nav':
        def send(data):
            agent.send(stream, 1, data)
        agent.connect('new-data', lambda a, s, c, d: on_data(a, s, c, d))
    else:
        send = nice_attach_recv(agent, stream, lambda data: on_data(agent, stream, 1, data))

    t0 = time.monotonic()
    if not agent.gather_candidates(stream):
        print(json.dumps({'impl': args.impl, 'role': role, 'ok': False,
                          'error': 'gather_candidates failed'}))
        return 1
    GLib.timeout_add(10, poll)
    GLib.timeout_add(int(args.timeout * 1000), on_timeout)
    loop.run()

    if st['ready_at'] is not None:
        out['connect_ms'] = round((st['ready_at'] - t0) * 1000)
    if st['gathered_at'] is not None:
        out['gather_ms'] = round((st['gathered_at'] - t0) * 1000)
    if args.impl == 'nav':
        ok, local, remote = agent.get_selected_pair(stream, 1)
    else:
        # libnice's get_selected_pair() has no usable out parameters in GI
        ok, local, remote = st.get('selected', (False, None, None))
    if ok and local is not None and remote is not None:
        def cinfo(c):
            # "a=candidate:F 1 UDP PRIO IP PORT typ TYPE ..." for both
            # implementations (libnice's address has no GI to_string)
            f = agent.generate_local_candidate_sdp(c).split()
            addr = ('[%s]:%s' if ':' in f[4] else '%s:%s') % (f[4], f[5])
            tr = f[2].lower()
            if tr == 'tcp' and 'tcptype' in f:
                tr = 'tcp-' + f[f.index('tcptype') + 1]
            return f[7], tr, addr
        out['local_type'], out['local_transport'], out['local_addr'] = cinfo(local)
        out['remote_type'], out['remote_transport'], out['remote_addr'] = cinfo(remote)
    out.update(sent=st['sent'], received=st['received'], bad=st['bad'],
               got_data=st['got'], acked=st['acked'], states=st['states'])
    if out['ok'] and 'local_type' not in out:
        out['ok'] = False
        out['error'] = 'READY without a selected pair'
    print(json.dumps(out), flush=True)
    my_file.close()
    agent.remove_stream(stream)
    return 0 if out['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
