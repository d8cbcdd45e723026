#!/usr/bin/python3
"""TURN client throughput: our nav-turn against coturn's turnutils_uclient,
both relaying through the same coturn turnserver to the same turnutils_peer
echo, on loopback, in the same run.

    /usr/bin/python3 bench/turn-client-bench.py --nav-turn build/tools/nav-turn \\
        [--count 20000] [--size 100] [--window 32]

Each client allocates, relays --count messages of --size bytes to the echo
peer and back through a channel, and deletes the allocation; the figure is
messages echoed per second of wall time, setup included, for both.
turnutils_uclient runs with -z 0 (no pacing) and -c (one allocation);
nav-turn with --window (messages in flight).  Printed: both figures and the
ratio ours / coturn's.  Run on demand, never as a test.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import importlib.util
import os
import re
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'coturn_helpers', os.path.join(HERE, '..', 'tests', 'interop', 'test-coturn.py'))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

USER, PASSWORD = 'alice', 'wonderland'


def timed(argv):
    start = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return time.monotonic() - start, p


def use_build_modules(binary):
    """The tools reach the STUN and TURN code through the registry: run
    from a build tree (outside `meson devenv`), point it at the modules
    beside the binary's tools/."""
    modules = os.path.join(os.path.dirname(os.path.abspath(binary)), '..', 'modules')
    if 'NAV_MODULE_DIR' not in os.environ and os.path.isdir(os.path.join(modules, 'turn')):
        os.environ['NAV_MODULE_DIR'] = modules
        os.environ['NAV_MODULE_PATH'] = ':'.join(
            os.path.join(modules, tier) for tier in ('turn', 'stun'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-turn', required=True)
    ap.add_argument('--count', type=int, default=20000)
    ap.add_argument('--size', type=int, default=100)
    ap.add_argument('--window', type=int, default=32)
    args = ap.parse_args()
    use_build_modules(args.nav_turn)

    turnserver = helpers.need('turnserver')
    uclient = helpers.need('turnutils_uclient')
    peer_bin = helpers.need('turnutils_peer')
    with tempfile.TemporaryDirectory(prefix='nav-turn-bench-') as tmp:
        port = helpers.free_port(2)
        peer_port = helpers.free_port()
        log = open(os.path.join(tmp, 'turnserver.log'), 'w+')
        server = helpers.Server([turnserver, '-n', '--no-cli', '--no-dtls', '--no-tls',
                                 '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
                                 '--listening-port=%d' % port, '--realm=example.org',
                                 '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD),
                                 '--allow-loopback-peers',
                                 '--pidfile=' + os.path.join(tmp, 'pid'),
                                 '--userdb=' + os.path.join(tmp, 'db'),
                                 '--log-file=stdout', '--simple-log'], log)
        peer = subprocess.Popen([peer_bin, '-p', str(peer_port), '-L', '127.0.0.1'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            helpers.wait_udp('127.0.0.1', port, server.proc)
            helpers.wait_tcp('127.0.0.1', port, server.proc)
            print('# coturn %s, %d messages of %d bytes, loopback'
                  % (subprocess.run([turnserver, '--version'], stdout=subprocess.PIPE,
                                    text=True).stdout.strip(), args.count, args.size))
            print('%-5s %-20s %10s %10s %12s' % ('proto', 'client', 'echoed', 'wall s', 'msg/s'))
            for proto in ('udp', 'tcp'):
                uc_argv = [uclient, '-c', '-z', '0', '-n', str(args.count), '-l', str(args.size),
                           '-m', '1', '-e', '127.0.0.1', '-r', str(peer_port),
                           '-u', USER, '-w', PASSWORD, '-p', str(port)]
                if proto == 'tcp':
                    uc_argv.append('-t')
                uc_time, p = timed(uc_argv + ['127.0.0.1'])
                m = re.findall(r'tot_recv_msgs=(\d+)', p.stdout)
                uc_recv = int(m[-1]) if m else 0
                nav_argv = [args.nav_turn, '--server', '127.0.0.1:%d' % port, '--user', USER,
                            '--password', PASSWORD, '--peer', '127.0.0.1:%d' % peer_port,
                            '--count', str(args.count), '--size', str(args.size),
                            '--window', str(args.window)]
                if proto == 'tcp':
                    nav_argv.append('--tcp')
                nav_time, p = timed(nav_argv)
                m = re.search(r'Messages: \d+ sent, (\d+) received', p.stdout)
                nav_recv = int(m.group(1)) if m else 0
                uc_rate = uc_recv / uc_time
                nav_rate = nav_recv / nav_time
                print('%-5s %-20s %10d %10.2f %12.0f' % (proto, 'turnutils_uclient', uc_recv,
                                                          uc_time, uc_rate))
                print('%-5s %-20s %10d %10.2f %12.0f' % (proto, 'nav-turn', nav_recv,
                                                          nav_time, nav_rate))
                print('%-5s ratio nav-turn / turnutils_uclient: %.2f'
                      % (proto, nav_rate / uc_rate if uc_rate else float('inf')))
        finally:
            peer.kill()
            peer.wait()
            server.stop()


if __name__ == '__main__':
    main()
