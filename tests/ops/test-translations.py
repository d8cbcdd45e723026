#!/usr/bin/python3
"""Translations (issue 20 item 8):

- po/netavanue.pot is up to date with the sources (the msgids xgettext
  finds now are those of the committed file);
- po/fr.po translates every one of them, and `msgfmt --check` accepts it;
- under a French locale (made with localedef in a temporary directory,
  LOCPATH), the tools print French: nav-stun's --help and its progress
  lines, nav-server's own message and the TURN module's error inside it;
  and the library's messages are French in a program that never binds
  the domain itself (Python through GObject Introspection): bindtextdomain
  is effective in the library, from the build tree's .mo (NAV_LOCALEDIR);
- under C.UTF-8 the same messages are English.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import IP, SCALE, fail, options  # noqa: E402

KEYWORDS = ['--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
            '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3']


def msgids(po_text):
    """The set of msgids (with their plurals) of a .po or .pot text."""
    ids = set()
    for block in po_text.split('\n\n'):
        cur, key = None, {}
        for line in block.splitlines():
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
            if m:
                cur = m.group(1)
                key[cur] = eval(m.group(2))
            elif line.startswith('"') and cur is not None:
                key[cur] += eval(line)
        if key.get('msgid'):
            ids.add((key.get('msgctxt'), key['msgid'], key.get('msgid_plural')))
    return ids


def check_catalogs(source_root):
    po_dir = os.path.join(source_root, 'po')
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, 'fresh.pot')
        p = subprocess.run(['xgettext', '--from-code=UTF-8', '--add-comments'] + KEYWORDS +
                           ['--directory=' + source_root, '--files-from=' + os.path.join(po_dir, 'POTFILES.in'),
                            '--output=' + fresh], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            fail('xgettext: ' + p.stdout)
        now = msgids(open(fresh, encoding='utf-8').read())
    committed = msgids(open(os.path.join(po_dir, 'netavanue.pot'), encoding='utf-8').read())
    if now != committed:
        fail('po/netavanue.pot is out of date (run `meson compile -C build netavanue-pot`): '
             '%d new, %d gone, e.g. %r' % (len(now - committed), len(committed - now),
                                           sorted(now ^ committed, key=str)[:3]))
    print('# po/netavanue.pot: %d messages, up to date' % len(committed))
    linguas = [l.strip() for l in open(os.path.join(po_dir, 'LINGUAS'), encoding='utf-8')
               if l.strip() and not l.startswith('#')]
    if 'fr' not in linguas:
        fail('fr is not in po/LINGUAS')
    for lang in linguas:
        po = os.path.join(po_dir, lang + '.po')
        p = subprocess.run(['msgfmt', '--check', '--statistics', '-o', '/dev/null', po],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print('# %s.po: %s' % (lang, p.stdout.strip()))
        if p.returncode != 0:
            fail('msgfmt --check refuses %s.po' % lang)
        if 'untranslated' in p.stdout or 'fuzzy' in p.stdout:
            fail('%s.po is not complete' % lang)
        if msgids(open(po, encoding='utf-8').read()) != committed:
            fail('%s.po does not translate exactly the messages of the .pot' % lang)


def run(argv, env, timeout=30):
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout * SCALE)
    return p.returncode, p.stdout


def main():
    args = options('nav-server', 'nav-stun', 'source-root')

    check_catalogs(args.source_root)
    if not os.path.isfile(os.path.join(os.environ['NAV_LOCALEDIR'], 'fr', 'LC_MESSAGES', 'netavanue.mo')):
        fail('no fr/LC_MESSAGES/netavanue.mo under NAV_LOCALEDIR=%s' % os.environ['NAV_LOCALEDIR'])
    localedef = shutil.which('localedef')
    if localedef is None:
        fail('localedef is missing (apt-get install locales)')

    with tempfile.TemporaryDirectory() as locales:
        p = subprocess.run([localedef, '-i', 'fr_FR', '-f', 'UTF-8', os.path.join(locales, 'fr_FR.UTF-8')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            fail('localedef fr_FR.UTF-8: ' + p.stdout)
        fr = dict(os.environ, LOCPATH=locales, LC_ALL='fr_FR.UTF-8')
        fr.pop('LANGUAGE', None)
        en = dict(os.environ, LC_ALL='C.UTF-8')

        # a tool's own strings (GOption help)
        _, out = run([args.nav_stun, '--help'], fr)
        if 'Utiliser TCP' not in out or 'Options de l’application' not in out:
            fail('nav-stun --help is not in French:\n' + out)
        _, out = run([args.nav_stun, '--help'], en)
        if 'Use TCP' not in out:
            fail('nav-stun --help is not in English under C.UTF-8:\n' + out)

        # a tool's message around the TURN module's error
        argv = [args.nav_server, '--turn', '--listening-ip=' + IP, '--relay-ip=' + IP,
                '--listening-port=0', '--no-tls', '--realm=example.org', '--lt-cred-mech']
        status, out = run(argv, fr)
        print('# fr: ' + out.strip())
        if status != 1 or 'nav-server : impossible de démarrer le serveur TURN' not in out or \
           'n’a aucun utilisateur' not in out:
            fail('nav-server and the TURN module did not speak French')
        status, out = run(argv, en)
        print('# en: ' + out.strip())
        if 'cannot start the TURN server' not in out or 'has no users' not in out:
            fail('nav-server is not in English under C.UTF-8')

        # a message formatted by the tools' progress, with numbers
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind((IP, 0))
        server = '%s:%d' % (IP, silent.getsockname()[1])
        status, out = run([args.nav_stun, '--rto=20', '--retransmissions=2', server], fr)
        silent.close()
        print('# fr: ' + out.strip().replace('\n', '\n# fr: '))
        if 'nouvel envoi de la requête (2 sur 2)' not in out or 'Aucune réponse après 2 requête(s)' not in out:
            fail('nav-stun\'s progress and failure are not in French')

        # the library alone, in a program that binds nothing (Python, GI)
        # (the program sets the locale, as every GLib program does; the
        # library binds its domain by itself)
        code = ('import locale\n'
                'locale.setlocale(locale.LC_ALL, "")\n'
                'import gi\n'
                'gi.require_version("Nav", "1.0")\n'
                'from gi.repository import Nav, GLib\n'
                'try:\n'
                '    Nav.Address.new_from_string("pas-une-adresse")\n'
                'except GLib.Error as e:\n'
                '    print(e.message)\n')
        status, out = run(['/usr/bin/python3', '-c', code], fr)
        print('# fr (GI): ' + out.strip())
        if status != 0 or 'n’est pas une adresse de transport valide' not in out:
            fail('the library\'s message is not in French in a GI program')
        status, out = run(['/usr/bin/python3', '-c', code], en)
        if 'is not a valid transport address' not in out:
            fail('the library\'s message is not in English under C.UTF-8: ' + out)
    print('PASS')


if __name__ == '__main__':
    main()
