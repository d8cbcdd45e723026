"""What the netns tests with navpeer.py peers share (test-netns-matrix.py,
test-netns-tcp-so.py): the peers' environment, their JSON result, the
check of the lab's servers at the end, and the main() that picks a case.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import json
import os
import sys

import natlab

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, 'navpeer.py')


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def peer_env():
    """The peers' environment: in a sanitizer build the interpreter is
    not instrumented, so the sanitizer runtime is preloaded for them only
    (meson passes it in NATLAB_PEER_LD_PRELOAD)."""
    env = dict(os.environ)
    if env.get('NATLAB_PEER_LD_PRELOAD'):
        env['LD_PRELOAD'] = env['NATLAB_PEER_LD_PRELOAD']
        env['ASAN_OPTIONS'] = env.get('NATLAB_PEER_ASAN_OPTIONS',
                                      'detect_leaks=0:verify_asan_link_order=0')
        # GSocketClient (TURN over TCP and TLS) asks GIO's proxy resolver;
        # glib-networking's libproxy one throws C++ exceptions, which the
        # preloaded runtime cannot intercept in an uninstrumented python
        # ("real___cxa_throw != 0").  There is no proxy in the lab.
        env['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    return env


def parse_peer(rc, out, err, tail=3000):
    """A peer's result: the last JSON line of its output, with its status
    and the last @tail characters of its stderr."""
    for line in reversed(out.splitlines()):
        if line.startswith('{'):
            try:
                res = json.loads(line)
                res['rc'] = rc
                res['stderr'] = err[-tail:]
                return res
            except ValueError:
                break
    return {'ok': False, 'rc': rc, 'error': 'no result (status %s)' % rc,
            'stderr': err[-tail:], 'stdout': out[-1000:]}


def stop_servers(lab):
    """SIGTERM the lab's servers after the pairs: each must exit 0 (with
    its leak check, in a sanitizer build) after relaying for them."""
    bad = ['nav-server (%s) exited with %s' % (name, rc)
           for name, rc in lab.stop_servers() if rc != 0]
    if bad:
        logs = ''
        for path in (os.path.join(lab.workdir, 'nav-server.log'), lab.server_log):
            if path and os.path.exists(path):
                with open(path) as f:
                    logs += '--- %s\n%s\n' % (os.path.basename(path), f.read()[-4000:])
        fail('; '.join(bad) + '\n' + logs)


def main(script, tests, typelibs=lambda case: ()):
    """Runs tests[argv[1]] (0), or skips (77) without root and ip netns.
    The peers need Nav 1.0 and typelibs(case) [(namespace, version)]: a
    missing one is a broken setup, not a skip."""
    why = natlab.can_run()
    if why is not None:
        print('SKIP: ' + why)
        return 77
    case = sys.argv[1] if len(sys.argv) > 1 else ''
    if case not in tests:
        print('usage: %s %s' % (script, '|'.join(tests)), file=sys.stderr)
        return 2
    try:
        import gi
        gi.require_version('Nav', '1.0')
        for namespace, version in typelibs(case):
            gi.require_version(namespace, version)
    except (ImportError, ValueError) as e:
        fail('GObject Introspection for the peers: %s' % e)
    tests[case]()
    return 0
