#!/usr/bin/python3
"""`meson install --destdir` installs what operators rely on: the man
page of every tool, the systemd unit, the sample configuration in
SYSCONFDIR/netavanue, and the French translation.  The man pages are
checked to be man pages of their tool (.TH with its name, its options).

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import fail, options  # noqa: E402

TOOLS = {'nav-server': '--listening-port', 'nav-stun': '--nat-type', 'nav-turn': '--password',
         'nav-demo': '--', 'nav-inspect': '--'}


def main():
    args = options('build-root', 'meson')

    with tempfile.TemporaryDirectory() as dest:
        p = subprocess.run([args.meson, 'install', '-C', args.build_root, '--quiet',
                            '--destdir', dest], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=300)
        if p.returncode != 0:
            fail('meson install failed:\n' + p.stdout[-3000:])
        found = {}
        for root, _, files in os.walk(dest):
            for name in files:
                found.setdefault(name, []).append(os.path.relpath(os.path.join(root, name), dest))
        for tool, option in TOOLS.items():
            paths = [x for x in found.get(tool + '.1', []) if '/man1/' in x]
            if not paths:
                fail('no man page %s.1 installed' % tool)
            page = open(os.path.join(dest, paths[0]), encoding='utf-8').read().replace('\\-', '-')
            if '.TH ' + tool.upper() not in page or option not in page:
                fail('%s is not the man page of %s' % (paths[0], tool))
            print('# ' + paths[0])
        units = [x for x in found.get('nav-server.service', []) if x.endswith('lib/systemd/system/nav-server.service')]
        if not units:
            fail('the systemd unit is not installed')
        print('# ' + units[0])
        confs = [x for x in found.get('nav-server.conf', []) if x.endswith('etc/netavanue/nav-server.conf')]
        if not confs:
            fail('the sample configuration is not installed in SYSCONFDIR/netavanue')
        print('# ' + confs[0])
        mos = [x for x in found.get('netavanue.mo', []) if x.endswith('fr/LC_MESSAGES/netavanue.mo')]
        if not mos:
            fail('the French translation (fr/LC_MESSAGES/netavanue.mo) is not installed')
        print('# ' + mos[0])
    print('PASS')


if __name__ == '__main__':
    main()
