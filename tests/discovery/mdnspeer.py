#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A NavDiscovery in a process of its own, for the discovery tests.

Publishes and/or browses `_netavanue._udp`, prints one JSON line per event
on standard output ({"event": "started"|"found"|"changed"|"lost"|"renamed",
"t": seconds since start, "peer": {...}}) and exits after --duration
seconds, or at once when --exit-after-found peers were found.  SIGTERM
stops it cleanly (with the goodbye); SIGUSR1 changes its capabilities to
the --caps-later text (peer-changed on the others).
"""
import argparse
import json
import signal
import sys
import time

import gi

gi.require_version('Nav', '1.0')
from gi.repository import GLib, GObject, Nav  # noqa: E402


def peer_dict(peer):
    return {
        'instance': peer.get_instance_name(),
        'host': peer.get_host_name(),
        'port': peer.get_port(),
        'addresses': sorted(a.to_string() for a in peer.get_addresses()),
        'txt': list(peer.get_txt()),
        'id': peer.get_device_id(),
        'caps': peer.get_capabilities(),
        'reach': peer.get_reach(),
        'nat': peer.get_nat_type(),
        'version': peer.get_protocol_version(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name')
    ap.add_argument('--port', type=int, default=4000)
    ap.add_argument('--id')
    ap.add_argument('--caps', default='ice,dtls')
    ap.add_argument('--caps-later', default='ice,dtls,datachannel')
    ap.add_argument('--reach')
    ap.add_argument('--nat', help='the NAT type published as nat=')
    ap.add_argument('--host-ttl', type=int, default=120)
    ap.add_argument('--no-publish', action='store_true')
    ap.add_argument('--no-browse', action='store_true')
    ap.add_argument('--duration', type=float, default=30)
    ap.add_argument('--exit-after-found', type=int, default=0)
    args = ap.parse_args()

    start = time.monotonic()
    registry = Nav.Registry.get_default()
    info = registry.lookup('nav-discovery', 'mdns')
    props = {'host-ttl': args.host_ttl, 'publish': not args.no_publish,
             'browse': not args.no_browse, 'port': args.port}
    if args.id:
        props['device-id'] = args.id
    disc = GObject.new(info.get_gtype(), **props)
    if args.name:
        disc.props.instance_name = args.name
    disc.props.capabilities = args.caps
    if args.reach:
        disc.props.reach = args.reach
    if args.nat:
        disc.props.nat_type = args.nat

    loop = GLib.MainLoop()
    found = set()

    def emit(event, **kw):
        kw['event'] = event
        kw['t'] = round(time.monotonic() - start, 3)
        kw['mono'] = time.monotonic()     # the machine's clock, shared by the processes
        print(json.dumps(kw), flush=True)

    def on_found(d, peer):
        found.add(peer.get_instance_name())
        emit('found', peer=peer_dict(peer))
        if args.exit_after_found and len(found) >= args.exit_after_found:
            loop.quit()

    disc.connect('peer-found', on_found)
    disc.connect('peer-changed', lambda d, p: emit('changed', peer=peer_dict(p)))
    disc.connect('peer-lost', lambda d, p: emit('lost', peer=peer_dict(p)))
    disc.connect('notify::instance-name', lambda d, _: emit('renamed', name=d.props.instance_name))

    def on_term():
        loop.quit()
        return GLib.SOURCE_REMOVE

    def on_usr1():
        disc.props.capabilities = args.caps_later
        emit('caps-changed', caps=args.caps_later)
        return GLib.SOURCE_CONTINUE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, on_term)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_term)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, on_usr1)
    GLib.timeout_add(int(args.duration * 1000), on_term)
    disc.start()
    emit('started', name=disc.props.instance_name, id=disc.props.device_id)
    loop.run()
    peers = len(disc.list_peers())
    counters = {k: disc.get_property(k) for k in ('received', 'malformed', 'off-link', 'cache-full',
                                                   'conflicts')}
    disc.stop()
    emit('stopped', peers=peers, name=disc.props.instance_name, **counters)
    return 0


if __name__ == '__main__':
    sys.exit(main())
