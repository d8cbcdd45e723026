#!/usr/bin/python3
"""nav-stun and nav-turn show progress while a silent server makes them
retry (issue 20 item 7): one line per retransmission over UDP (RFC 8489
§6.2.1), "sending the request again (k of Rc)", then the failure, with
the exit status of a timeout.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import IP, SCALE, fail, options  # noqa: E402


def run(argv, status, rc, server):
    print('# running: ' + ' '.join(argv))
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60 * SCALE)
    for line in p.stderr.splitlines():
        print('#   ' + line)
    if p.returncode != status:
        fail('%s exited with %d, expected %d' % (argv[0], p.returncode, status))
    steps = [int(m.group(1)) for m in re.finditer(
        r'no answer from %s after [0-9.]+ s; sending the request again \((\d+) of %d\)'
        % (re.escape(server), rc), p.stderr)]
    if steps != list(range(2, rc + 1)):
        fail('%s: retransmissions shown %r, expected %r' % (argv[0], steps, list(range(2, rc + 1))))
    last = p.stderr.strip().splitlines()[-1]
    if 'sending the request again' in last:
        fail('%s ended without saying it failed' % argv[0])


def main():
    args = options('nav-stun', 'nav-turn')

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((IP, 0))
    server = '%s:%d' % (IP, silent.getsockname()[1])
    run([args.nav_stun, '--rto=50', '--retransmissions=4', server], 3, 4, server)
    run([args.nav_turn, '--rto=50', '--retransmissions=3', '--server=' + server,
         '--user=alice', '--password=x'], 1, 3, server)
    silent.close()
    print('PASS')


if __name__ == '__main__':
    main()
