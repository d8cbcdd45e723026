#!/usr/bin/python3
"""Errors a user sees (issue 20 item 7), through GObject Introspection as
an application uses the library, against tools/nav-server on loopback:

- an agent whose STUN server never answers emits NavAgent::gathering-error
  (NAV_ERROR_TIMED_OUT, naming the server) before candidate-gathering-done;
- an agent whose TURN server refuses the credentials emits it with the
  TURN client's UNAUTHORIZED error (the 401 in the message); with the
  right credentials there is no error and a relayed candidate;
- nothing of it is a warning: the test runs with G_DEBUG=fatal-warnings,
  as a libnice program that knows nothing of the new signal would;
- nav-demo with refused TURN credentials prints the server's reason as
  soon as gathering ends (no candidate is left), not "did not connect"
  after its timeout.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import socket
import subprocess
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Nav', '1.0')
from gi.repository import GLib, Nav  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import IP, SCALE, Server, fail, free_udp_tcp_port, options  # noqa: E402

USER, PASSWORD, REALM = 'alice', 'wonderland', 'example.org'


def gather(configure, timeout_s=20):
    """Gathers one stream of a new agent; returns (errors, candidates)."""
    context = GLib.MainContext.default()
    agent = Nav.Agent.new(context, Nav.Compatibility.RFC8445)
    agent.add_local_address(Nav.Address.new_from_string(IP))
    stream = agent.add_stream(1)
    events = []
    candidates = []
    agent.connect('gathering-error',
                  lambda a, s, c, error: events.append(('error', s, c, error)))
    agent.connect('candidate-gathering-done', lambda a, s: events.append(('done', s)))
    agent.connect('new-candidate-full', lambda a, cand: candidates.append(cand))
    configure(agent, stream)
    agent.gather_candidates(stream)
    expired = []
    source = GLib.timeout_source_new_seconds(int(timeout_s * SCALE))
    source.set_callback(lambda *a: expired.append(True) or False)
    source.attach(context)
    while not any(e[0] == 'done' for e in events) and not expired:
        context.iteration(True)
    source.destroy()
    agent.close_async(None, None)
    if expired:
        fail('gathering did not finish')
    done_at = [i for i, e in enumerate(events) if e[0] == 'done'][0]
    errors = [e for e in events if e[0] == 'error']
    if any(events.index(e) > done_at for e in errors):
        fail('gathering-error came after candidate-gathering-done')
    for e in errors:
        if e[1] != stream or e[2] != 1:
            fail('gathering-error for stream %d component %d, expected %d 1' % (e[1], e[2], stream))
    return [e[3] for e in errors], candidates


def test_stun_silent():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((IP, 0))
    port = silent.getsockname()[1]

    def configure(agent, stream):
        agent.set_property('stun-server', IP)
        agent.set_property('stun-server-port', port)
        agent.set_property('stun-initial-timeout', 50)
        agent.set_property('stun-max-retransmissions', 2)

    errors, _ = gather(configure)
    silent.close()
    if len(errors) != 1:
        fail('a STUN server that never answers: %d gathering-error, expected 1' % len(errors))
    e = errors[0]
    print('# STUN: %s (%s %d)' % (e.message, e.domain, e.code))
    if e.domain != 'nav-error-quark' or e.code != int(Nav.Error.TIMED_OUT):
        fail('the error is not NAV_ERROR_TIMED_OUT: %s %d' % (e.domain, e.code))
    if '%s:%d' % (IP, port) not in e.message:
        fail('the message does not name the server: %r' % e.message)


def test_turn(nav_server, nav_demo):
    port = free_udp_tcp_port()
    server = Server(nav_server, [
        '--turn', '--listening-ip=' + IP, '--relay-ip=' + IP, '--listening-port=%d' % port,
        '--no-tls', '--no-tcp', '--realm=' + REALM, '--lt-cred-mech',
        '--user=%s:%s' % (USER, PASSWORD), '--allow-loopback-peers', '--threads=0'])
    try:
        server.wait_line(r'event=started server=turn')

        def relay(password):
            def configure(agent, stream):
                agent.set_property('force-relay', True)
                agent.set_relay_info(stream, 1, IP, port, USER, password, Nav.RelayType.UDP)
            return configure

        errors, candidates = gather(relay('wrong'))
        if len(errors) != 1:
            fail('refused TURN credentials: %d gathering-error, expected 1' % len(errors))
        e = errors[0]
        print('# TURN: %s (%s %d)' % (e.message, e.domain, e.code))
        if e.domain != 'nav-turn-client-error-quark' or '401' not in e.message or \
           '%s:%d' % (IP, port) not in e.message:
            fail('the error does not say the TURN server refused the credentials: %s %r'
                 % (e.domain, e.message))
        if any(c.type == Nav.CandidateType.RELAYED for c in candidates):
            fail('a relayed candidate despite refused credentials')

        errors, candidates = gather(relay(PASSWORD))
        if errors:
            fail('the right credentials gave gathering-error: %s' % errors[0].message)
        if not any(c.type == Nav.CandidateType.RELAYED for c in candidates):
            fail('no relayed candidate with the right credentials')

        # nav-demo says why
        argv = [nav_demo, '--loopback', '--relay-only', '--turn=%s:%d' % (IP, port),
                '--turn-user=' + USER, '--turn-password=wrong', '--timeout=%d' % int(5 * SCALE)]
        print('# running: ' + ' '.join(argv))
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60 * SCALE)
        for line in p.stderr.splitlines():
            print('# nav-demo: ' + line)
        if p.returncode != 1:
            fail('nav-demo exited with %d, expected 1 (a failure, and no sanitizer report)'
                 % p.returncode)
        # at once, with the reason: no candidate is left to check
        if 'The agents cannot connect: A has no candidate: TURN server' not in p.stderr or \
           'wrong username or password' not in p.stderr:
            fail('nav-demo does not say why it cannot connect')
    finally:
        server.stop()


def main():
    args = options('nav-server', 'nav-demo')
    if 'fatal-warnings' not in os.environ.get('G_DEBUG', ''):
        fail('run with G_DEBUG=fatal-warnings')
    test_stun_silent()
    test_turn(args.nav_server, args.nav_demo)
    print('PASS')


if __name__ == '__main__':
    main()
