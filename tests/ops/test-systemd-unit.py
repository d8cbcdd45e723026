#!/usr/bin/python3
"""The installed systemd unit of nav-server passes `systemd-analyze
verify` (with ExecStart pointed at the build tree's nav-server, as the
unit's own path exists only once installed), and says what the daemon
does: Type=notify, the hardening options.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import fail, options  # noqa: E402

HARDENING = ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes',
             'PrivateTmp=yes', 'PrivateDevices=yes', 'RestrictAddressFamilies=',
             'SystemCallFilter=@system-service', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
             'MemoryDenyWriteExecute=yes']


def main():
    args = options('unit', 'nav-server')

    text = open(args.unit, encoding='utf-8').read()
    if not re.search(r'^Type=notify$', text, re.M):
        fail('the unit is not Type=notify')
    for option in HARDENING:
        if not re.search(r'^' + re.escape(option), text, re.M):
            fail('the unit lacks %s' % option)
    if '@' in re.sub(r'#.*', '', text).replace('@system-service', '').replace('@privileged', ''):
        fail('an @variable@ of the unit was not substituted')
    m = re.search(r'^ExecStart=(\S+)', text, re.M)
    if m is None or os.path.basename(m.group(1)) != 'nav-server':
        fail('ExecStart does not run nav-server')

    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        print('SKIP: systemd-analyze is absent (apt-get install systemd); the unit was not verified')
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        unit = os.path.join(tmp, 'nav-server.service')
        with open(unit, 'w', encoding='utf-8') as f:
            f.write(text.replace('ExecStart=' + m.group(1), 'ExecStart=' + os.path.abspath(args.nav_server)))
        p = subprocess.run([analyze, 'verify', '--man=no', unit], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        print('\n'.join('# systemd-analyze: ' + l for l in p.stdout.splitlines()))
        # a warning about the unit is a failure, as an error is
        own = [l for l in p.stdout.splitlines() if 'nav-server.service' in l]
        if p.returncode != 0 or own:
            fail('systemd-analyze verify: status %d' % p.returncode)
    print('PASS')


if __name__ == '__main__':
    main()
