#!/usr/bin/python3
"""A browser's `.local` ICE candidates (RFC 8828 §5.1,
draft-ietf-mmusic-mdns-ice-candidates) against NavPeerConnection, in
network namespaces (suite 'netns').

Headless Chromium (lan1b) offers an RTCPeerConnection with a data
channel; its host candidates carry random `UUID.local` names, its own
mDNS responder answering for them (Chromium's default).  The offer and
answer go through files (tests/discovery/browser-bridge.py serves the
page and passes them); NavPeerConnection (lan1,
tests/discovery/pc-mdns-peer.py) answers.

    chromium   the names are resolved by NetAvanue's one-shot mDNS
               query: the connection (ICE and DTLS) is connected on both
               sides with the browser at its real address, and the
               browser's host candidate is among the remote candidates
               with that address (the browser's checks may have found
               the pair first, as peer-reflexive).
    unresolvable  the names are replaced by UUIDs nobody answers for:
               NetAvanue drops them, and still connects through the
               peer-reflexive candidate of the browser's checks.
    conceal    NetAvanue hides its own host address too
               (mdns-host-candidates): its answer carries `UUID.local`
               names and no address of its own, and the browser, which
               resolves them with its own mDNS client against
               NetAvanue's responder, connects to NetAvanue's host
               candidate (getStats: remote candidate type host, at
               NetAvanue's address).

(The data channel part waits for the data channel tier's merge.)
Needs root, ip netns and Debian's chromium: skips (77) without root; a
missing chromium is a failure (tools/setup.sh installs it).

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import natlab  # noqa: E402
import netns_peers  # noqa: E402
from netns_peers import fail, peer_env  # noqa: E402

BRIDGE = os.path.join(HERE, '..', 'discovery', 'browser-bridge.py')
PEER = os.path.join(HERE, '..', 'discovery', 'pc-mdns-peer.py')
SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))


def chromium_argv(profile, url):
    # The flags of /work/.library's machine notes: no sandbox as root, no
    # background networking (there is no network but the lab's).
    return [shutil.which('chromium') or '/usr/bin/chromium', '--headless', '--no-sandbox',
            '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--user-data-dir=' + profile,
            '--remote-debugging-port=0', url]


def run(hide_names, conceal=False):
    if shutil.which('chromium') is None:
        fail('chromium is not installed (tools/setup.sh installs it)')
    with natlab.Lab(['same-lan'], stun=False, probe_server=False) as lab:
        work = tempfile.mkdtemp(prefix='mdns-pc-', dir=lab.workdir)
        profile = tempfile.mkdtemp(prefix='chromium-', dir=lab.workdir)
        env = peer_env()
        env['NAV_MDNS_INTERFACES'] = 'eth0'
        # Unanswered names are given up after 1 s here (3 s by default).
        env['NAV_MDNS_RESOLVE_TIMEOUT_MS'] = '1000'
        timeout = 40 * SCALE
        nav = lab.spawn('lan1', [sys.executable, PEER, '--dir', work, '--timeout', str(timeout)]
                        + (['--conceal'] if conceal else []),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        bridge = lab.spawn('lan1b', [sys.executable, BRIDGE, '--dir', work]
                           + (['--hide-names'] if hide_names else []),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        bridge.stdout.readline()
        browser_log = open(os.path.join(work, 'chromium.log'), 'w')
        lab.spawn('lan1b', chromium_argv(profile, 'http://127.0.0.1:8099/'), stdout=browser_log,
                  stderr=subprocess.STDOUT)
        try:
            out, err = nav.communicate(timeout=timeout + 10)
        except subprocess.TimeoutExpired:
            nav.kill()
            out, err = nav.communicate()
        lines = [line for line in out.splitlines() if line.startswith('{')]
        result = json.loads(lines[-1]) if lines else {'ok': False, 'error': 'no result'}
        # The browser's own view, a little later.
        deadline = time.monotonic() + 10 * SCALE
        browser = ''
        while time.monotonic() < deadline:
            try:
                with open(os.path.join(work, 'browser.log')) as f:
                    browser = f.read()
            except FileNotFoundError:
                pass
            # With conceal, the selected pair's line (getStats, written
            # after "connection connected") is what is checked: wait for it.
            selected = any(line.startswith('remote ') for line in browser.splitlines())
            if ('connection connected' in browser and (selected or not conceal)) or 'failed' in browser:
                break
            time.sleep(0.1)
        offer = ''
        if os.path.exists(os.path.join(work, 'browser-offer.sdp')):
            with open(os.path.join(work, 'browser-offer.sdp')) as f:
                offer = f.read()
        diag = '\nNetAvanue: %s\nbrowser: %s\noffer:\n%s\nstderr:\n%s' % (result, browser, offer,
                                                                          err[-3000:])
        if not result.get('mdns_candidates'):
            fail('the browser offered no .local candidate' + diag)
        if not result.get('ok'):
            fail('NetAvanue did not connect' + diag)
        if 'connection connected' not in browser:
            fail('the browser did not connect' + diag)
        address = lab.addresses['lan1b']
        if not result.get('remote', '').startswith(address + ':'):
            fail('the selected pair\'s remote is %s, not the browser at %s' % (result.get('remote'), address)
                 + diag)
        hosts = [c for c in result.get('remote_candidates', []) if c.startswith('host %s:' % address)]
        if hide_names and hosts:
            fail('an unresolvable name became a candidate: %s' % hosts + diag)
        if not hide_names and not hosts:
            fail('the browser\'s .local candidate was not resolved to %s: %s'
                 % (address, result.get('remote_candidates')) + diag)
        if hide_names and result.get('remote_type') != 'peer-reflexive':
            fail('without its host candidate, the pair is not peer-reflexive: %s' % result + diag)
        if conceal:
            ours = lab.addresses['lan1']
            cands = result.get('answer_candidates', [])
            if not any('.local ' in c for c in cands) or any(' %s ' % ours in c for c in cands):
                fail('the answer does not hide %s behind .local names: %s' % (ours, cands) + diag)
            seen = [line for line in browser.splitlines() if line.startswith('remote ')]
            # Chromium does not show the address it resolved a name to
            # (getStats gives "" for it): the type and port say which one.
            ports = {c.split()[5] for c in cands if '.local' in c}
            if not seen or seen[-1].split()[1] != 'host' or seen[-1].split()[-1] not in ports:
                fail('the browser did not connect to NetAvanue\'s host candidate (ports %s): %s'
                     % (sorted(ports), seen) + diag)
            print('conceal: NetAvanue answered with %s; the browser resolved it and connected to %s'
                  % ([c.split()[4] for c in cands if '.local' in c], seen[-1]))
        print('%s: Chromium offered %s; NetAvanue connected (ICE + DTLS) in %s ms to %s (%s); '
              'remote candidates then: %s'
              % ('unresolvable' if hide_names else 'chromium', ', '.join(result['mdns_candidates']),
                 result.get('connect_ms'), result['remote'], result['remote_type'],
                 ', '.join(result.get('remote_candidates', []))))


if __name__ == '__main__':
    sys.exit(netns_peers.main(sys.argv[0], {
        'chromium': lambda: run(False),
        'unresolvable': lambda: run(True),
        'conceal': lambda: run(False, conceal=True),
    }))
