#!/usr/bin/python3
"""nav-share between two hosts of a LAN segment in network namespaces
(suite 'netns'): the natlab `same-lan` router, Alice (lan1) sends and
Bob (lan1b) receives, each a real nav-share process.

    lan         a tree (nested directories, modes, mtimes, an empty
                file, a link inside the tree, a link out of it) over mDNS
                with no server at all: contents, modes, mtimes and the
                inner link arrive, the outer link is not followed.
    signaling   through `nav-server --signaling` (--signal ws://…): a
                file, then --text.
    wrong-code  the receiver types a wrong code: both fail after that
                one try, the sender says the code is spent, and nothing
                of the files (not even their names) reaches the receiver.
    evil        a sender that lies (tests/share's nav-share-evil) offers
                `../x`, an absolute path, and a link pointing out of the
                tree: the receiver refuses each before writing anything.
    udp-blocked Bob's host drops every UDP datagram but mDNS's (no TURN
                server, no relay): the transfer goes over ICE-TCP, and the
                path printed says so.
    relay       Bob's host drops every UDP datagram and every TCP segment
                but those to the signaling server (no TURN server): ICE
                finds no path, both ends meet at the server's WebSocket
                relay (`nav-server --signaling --relay`), the file
                arrives whole and the path printed says so; the server's
                /stats counts the session and its bytes.
    relay-wss   the same over wss://: nav-server --signaling --relay with a
                certificate of a CA made for the test (openssl), both
                ends with --ca-file: signaling and relay over TLS, the
                file arrives whole; with another CA's file the receiver
                fails at once saying the certificate is not trusted.
    relay-turn  the same, but both ends have a TURN server Bob reaches
                over TCP (turn:…?transport=tcp): the TURN path is used,
                the WebSocket relay is not.
    relay-quota the same with --relay-quota 256 KiB and a 4 MiB file: the
                relay cuts the session, both ends fail saying so, and no
                file is left under its name.
    network-change
                a quarter into a 64 MiB transfer through nav-server
                --signaling, Bob's host gets a new address and its old one
                stops carrying anything but the signaling connection
                (kept, as a second interface's would be): consent fails
                (RFC 7675, shortened to 1 s), the peer connection restarts
                ICE through the signaling session, the new address
                carries the rest, and the file is whole with nothing sent
                twice (the sender carried exactly its size, in one run).
    signaling-restart
                nav-server --signaling is restarted (SIGTERM, then started
                again on its port) a quarter into 32 MiB sent through it
                (the sender's link shaped to 64 Mbit/s so that there is a
                quarter): both ends reconnect by themselves, rejoin the
                room, each tells the other its new peer id over the
                control channel; then Bob's address changes (as in
                network-change), and the ICE restart that follows goes
                through the new server between the new ids: the
                transfer completes in one run; then the server
                is restarted while a sender waits alone in its room, and
                a receiver that comes after still meets it.
    config      no --signal on either command line: both read it from
                $XDG_CONFIG_HOME/netavanue/share.conf and meet through
                that server; a broken file is a clear error, --no-config
                ignores it.
    nat-matrix  Alice and Bob behind each pair of NATs of the lab's
                matrix (full-cone, port-restricted-cone, symmetric and a
                second symmetric, one peer behind each), the signaling,
                STUN and TURN servers on the public side: every transfer
                arrives whole, over the path each pair allows; two
                symmetric NATs go through TURN. (tests/share/share-mitm.c) meets the
                sender in a room of one signaling server and the receiver
                in a room of another, with DTLS certificates of its own,
                and relays the control messages unchanged: the right code
                on both ends, yet both stop at the key confirmation, and
                the relay never sees the offer (no file name, no byte).
    resume      the receiver is killed once half of a 48 MiB file
                arrived; received again with the same code, only the
                rest travels (the sender's count and the receiver's
                agree) and the file is whole.
    disk-full   Bob's output directory is a 1 MiB tmpfs (in a mount
                namespace of his own) and the file is 3 MiB: a clear
                "disk is full" error, a non-zero status, no file under
                the final name, and the .part is a true prefix.

Times are printed, never asserted; the bounds are failure guards scaled
by NAV_TEST_TIME_SCALE.  Needs root and ip netns: skips (77) without.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import filecmp
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'netns'))
import natlab  # noqa: E402
from netns_peers import fail, peer_env  # noqa: E402

SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))
BUILD = os.environ.get('NAV_BUILD_ROOT', '')
NAV_SHARE = os.path.join(BUILD, 'tools', 'nav-share')
NAV_SERVER = os.path.join(BUILD, 'tools', 'nav-server')
MITM = os.environ.get('NAV_SHARE_MITM', os.path.join(BUILD, 'tests', 'share', 'share-mitm'))
EVIL = os.environ.get('NAV_SHARE_EVIL', os.path.join(BUILD, 'tests', 'share', 'nav-share-evil'))
ROUTERS = ['same-lan:peers=2']


def env():
    e = peer_env()
    e['NAV_MDNS_INTERFACES'] = 'eth0'
    e['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    return e


def lab():
    return natlab.Lab(ROUTERS, stun=False, probe_server=False)


def start(lab, node, argv, cwd, e=None):
    out = tempfile.NamedTemporaryFile('w+', prefix='share-%s-' % node, dir=lab.workdir, delete=False)
    p = lab.spawn(node, argv, stdout=out, stderr=subprocess.STDOUT, text=True, env=e or env(), cwd=cwd)
    p.log = out.name
    return p


def finish(p, timeout=60):
    try:
        p.wait(timeout=timeout * SCALE)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    with open(p.log) as f:
        return p.returncode, f.read()


def write(path, data, mode=0o644, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))


def dirs(lab):
    src = tempfile.mkdtemp(prefix='src-', dir=lab.workdir)
    dst = tempfile.mkdtemp(prefix='dst-', dir=lab.workdir)
    return src, dst


def transfer(lab, src, dst, send_args, receive_args, code, sender=NAV_SHARE, e=None, timeout=60):
    """Alice sends, Bob receives; both results."""
    s = start(lab, 'lan1', [sender, 'send', '--code', code, '-t', str(int(40 * SCALE))] + send_args, src, e)
    r = start(lab, 'lan1b', [NAV_SHARE, 'receive', '-t', str(int(40 * SCALE)), '-o', dst] + receive_args + [code],
              dst, e)
    rr = finish(r, timeout)
    sr = finish(s, timeout)
    return sr, rr


def first_byte(out):
    m = re.search(r'First byte ([0-9.]+) ms', out)
    return m.group(1) if m else '?'


def listing(top):
    found = []
    for root, ds, fs in os.walk(top):
        for n in ds + fs:
            found.append(os.path.relpath(os.path.join(root, n), top))
    return sorted(found)


# ------------------------------------------------------------ cases

def lan():
    with lab() as l:
        src, dst = dirs(l)
        tree = os.path.join(src, 'tree')
        big = os.urandom(3 * 1024 * 1024 + 17)
        write(os.path.join(tree, 'a.txt'), b'alpha\n', 0o640, 978307200123456789)
        write(os.path.join(tree, 'sub', 'deep', 'b.bin'), big, 0o755, 1000000000000000000)
        write(os.path.join(tree, 'sub', 'empty'), b'', 0o600, 1100000000000000000)
        os.symlink('../a.txt', os.path.join(tree, 'sub', 'inner'))
        os.symlink('/etc/passwd', os.path.join(tree, 'outer'))
        os.chmod(os.path.join(tree, 'sub', 'deep'), 0o750)
        os.utime(os.path.join(tree, 'sub', 'deep'), ns=(1200000000000000000, 1200000000000000000))
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['tree'], ['--yes'], '11-apple-river')
        if src_rc != 0 or dst_rc != 0:
            fail('LAN transfer failed (sender %s, receiver %s):\n%s\n%s' % (src_rc, dst_rc, src_out, dst_out))
        for needle in ('Found the sender on the LAN', 'Connected directly, udp', 'Authenticated'):
            if needle not in dst_out:
                fail('the receiver did not say %r:\n%s' % (needle, dst_out))
        if 'not followed' not in src_out:
            fail('the sender did not say it skipped the outer link:\n%s' % src_out)
        got = os.path.join(dst, 'tree')
        for rel in ('a.txt', 'sub/deep/b.bin', 'sub/empty'):
            a, b = os.path.join(tree, rel), os.path.join(got, rel)
            with open(a, 'rb') as f1, open(b, 'rb') as f2:
                if f1.read() != f2.read():
                    fail('%s differs' % rel)
            sa, sb = os.stat(a), os.stat(b)
            if (sa.st_mode & 0o7777) != (sb.st_mode & 0o7777) or sa.st_mtime_ns != sb.st_mtime_ns:
                fail('%s: mode %o mtime %d, sent %o %d' % (rel, sb.st_mode & 0o7777, sb.st_mtime_ns,
                                                           sa.st_mode & 0o7777, sa.st_mtime_ns))
        sd = os.stat(os.path.join(got, 'sub', 'deep'))
        if sd.st_mode & 0o777 != 0o750 or sd.st_mtime_ns != 1200000000000000000:
            fail('the directory sub/deep: mode %o mtime %d' % (sd.st_mode & 0o777, sd.st_mtime_ns))
        if os.readlink(os.path.join(got, 'sub', 'inner')) != '../a.txt':
            fail('the inner link did not arrive')
        if os.path.lexists(os.path.join(got, 'outer')):
            fail('the outer link arrived')
        if any(n.endswith('.part') for n in listing(dst)):
            fail('a .part was left: %s' % listing(dst))
        print('LAN, no server: %s; first byte %s ms after the receiver started'
              % (' | '.join(x for x in dst_out.splitlines() if x.startswith(('Found', 'Connected', 'Received'))),
                 first_byte(dst_out)))


def signaling_server(l, port, extra=()):
    """nav-server --signaling on Alice's host; its URL (wss:// with --cert)."""
    address = l.addresses['lan1']
    server = l.spawn('lan1', [NAV_SERVER, '--signaling', '-L', address, '--signaling-port', str(port)] + list(extra),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    l.signaling_process = server
    deadline = time.monotonic() + 10 * SCALE
    while l.run('lan1b', ['bash', '-c', 'exec 3<>/dev/tcp/%s/%d' % (address, port)]).returncode != 0:
        if time.monotonic() > deadline or server.poll() is not None:
            fail('nav-server --signaling did not start')
        time.sleep(0.1)
    return '%s://%s:%d/' % ('wss' if '--cert' in extra else 'ws', address, port)


def make_ca(directory, name, address):
    """A CA of the test's own and, when @address, a server certificate
    it signed for that IP address; the paths (ca, cert, key)."""
    ca, ca_key = os.path.join(directory, name + '-ca.pem'), os.path.join(directory, name + '-ca.key')
    ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    subprocess.run(['openssl', 'req', '-x509'] + ec + ['-keyout', ca_key, '-out', ca, '-days', '2',
                    '-subj', '/CN=nav-share test CA ' + name,
                    '-addext', 'basicConstraints=critical,CA:TRUE',
                    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
                   check=True, capture_output=True)
    cert, key = os.path.join(directory, name + '.pem'), os.path.join(directory, name + '.key')
    csr, ext = os.path.join(directory, name + '.csr'), os.path.join(directory, name + '.ext')
    with open(ext, 'w') as f:
        f.write('subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' % address)
    subprocess.run(['openssl', 'req'] + ec + ['-keyout', key, '-out', csr, '-subj', '/CN=' + address],
                   check=True, capture_output=True)
    subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', ca_key, '-CAcreateserial',
                    '-out', cert, '-days', '2', '-extfile', ext], check=True, capture_output=True)
    return ca, cert, key


def signaling():
    with lab() as l:
        src, dst = dirs(l)
        url = signaling_server(l, 18000 + os.getpid() % 1000)
        write(os.path.join(src, 'report.pdf'), os.urandom(2 * 1024 * 1024), 0o644)
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url, 'report.pdf'],
                                                        ['--yes', '--signal', url], '12-apple-river')
        if src_rc != 0 or dst_rc != 0:
            fail('transfer through the signaling server failed:\n%s\n%s' % (src_out, dst_out))
        with open(os.path.join(src, 'report.pdf'), 'rb') as f1, open(os.path.join(dst, 'report.pdf'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('report.pdf differs')
        print('through nav-server --signaling: %s'
              % ' | '.join(x for x in dst_out.splitlines() if x.startswith(('Connected', 'Received'))))
        text = 'the door code is 4711 — ünïcode too'
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url, '--text', text],
                                                        ['--signal', url], '13-apple-river')
        if src_rc != 0 or dst_rc != 0 or text not in dst_out:
            fail('--text through the signaling server failed:\n%s\n%s' % (src_out, dst_out))
        print('--text arrived: %r' % text)


def wrong_code():
    with lab() as l:
        src, dst = dirs(l)
        write(os.path.join(src, 'secret-plans.txt'), b'top secret\n')
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', '14-apple-river', '-t', str(int(40 * SCALE)),
                              'secret-plans.txt'], src)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(40 * SCALE)), '-o', dst,
                               '14-apple-raven'], dst)
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if dst_rc == 0 or src_rc == 0:
            fail('a wrong code did not fail both ends (sender %s, receiver %s):\n%s\n%s'
                 % (src_rc, dst_rc, src_out, dst_out))
        if 'no longer valid' not in src_out or 'Wrong code' not in src_out:
            fail('the sender did not say the code is spent:\n%s' % src_out)
        if 'Wrong code' not in dst_out or 'spent' not in dst_out:
            fail('the receiver was not told the code was wrong:\n%s' % dst_out)
        if 'secret' in dst_out or listing(dst):
            fail('the receiver learnt something: %s\n%s' % (listing(dst), dst_out))
        print('wrong code: sender: %s | receiver: %s'
              % ([x for x in src_out.splitlines() if 'Wrong code' in x][0],
                 [x for x in dst_out.splitlines() if 'Wrong code' in x][0]))


def evil():
    with lab() as l:
        src, dst = dirs(l)
        write(os.path.join(src, 'tree', 'a.txt'), b'alpha\n')
        os.symlink('a.txt', os.path.join(src, 'tree', 'link'))
        cases = [({'NAV_SHARE_EVIL_PATH': '../escaped.txt'}, 'unsafe path'),
                 ({'NAV_SHARE_EVIL_PATH': '/tmp/absolute-%d.txt' % os.getpid()}, 'unsafe path'),
                 ({'NAV_SHARE_EVIL_LINK': '../../../etc'}, 'points out of the tree')]
        for i, (extra, expected) in enumerate(cases):
            e = env()
            e.update(extra)
            (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['tree'], ['--yes'],
                                                            '%d-apple-river' % (20 + i), sender=EVIL, e=e)
            if dst_rc == 0 or expected not in dst_out:
                fail('%s was not refused (receiver %s):\n%s\n%s' % (extra, dst_rc, dst_out, src_out))
            if listing(dst) or os.path.exists(os.path.join(os.path.dirname(dst), 'escaped.txt')) or \
                    os.path.exists('/tmp/absolute-%d.txt' % os.getpid()):
                fail('%s: something was written: %s' % (extra, listing(dst)))
            print('%s refused: %s' % (extra, dst_out.strip().splitlines()[-1]))
        # A file whose SHA-256 differs from the sender's (hashed on the
        # receiver's own thread): refused, nothing kept under its name.
        e = env()
        e['NAV_SHARE_EVIL_HASH'] = '1'
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['tree'], ['--yes'],
                                                        '%d-apple-river' % (20 + len(cases)), sender=EVIL, e=e)
        kept = [x for x in listing(dst) if x.endswith('a.txt') or x.endswith('a.txt.part')]
        if dst_rc == 0 or 'arrived damaged' not in dst_out or kept:
            fail('a damaged file was not refused (receiver %s, kept %s):\n%s\n%s' % (dst_rc, kept, dst_out, src_out))
        print('damaged file refused: %s' % [x for x in dst_out.splitlines() if 'damaged' in x][0])


def udp_blocked():
    with lab() as l:
        src, dst = dirs(l)
        l.run('lan1b', ['nft', '-f', '-'], check=True, input=(
            'table inet share_block {\n'
            '  chain out { type filter hook output priority 0; udp dport != 5353 drop; }\n'
            '  chain in { type filter hook input priority 0; udp dport != 5353 drop; }\n'
            '}\n'))
        write(os.path.join(src, 'notes.txt'), os.urandom(1024 * 1024))
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['notes.txt'], ['--yes'], '18-apple-river')
        if src_rc != 0 or dst_rc != 0:
            fail('the transfer with UDP blocked failed:\n%s\n%s' % (src_out, dst_out))
        path = [x for x in dst_out.splitlines() if x.startswith('Connected')]
        if not path or ', tcp' not in path[0]:
            fail('the path was not ICE-TCP: %s' % path)
        with open(os.path.join(src, 'notes.txt'), 'rb') as f1, open(os.path.join(dst, 'notes.txt'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('notes.txt differs')
        print('UDP blocked: %s' % path[0])


def block_all_but(l, node, address, *ports):
    """@node's host drops UDP and TCP but TCP to address:ports."""
    ports = ', '.join(str(p) for p in ports)
    l.run(node, ['nft', '-f', '-'], check=True, input=(
        'table inet share_block {\n'
        '  chain out { type filter hook output priority 0; oif lo accept;\n'
        '    ip daddr %s tcp dport { %s } accept; meta l4proto { tcp, udp } drop; }\n'
        '  chain in { type filter hook input priority 0; iif lo accept;\n'
        '    ip saddr %s tcp sport { %s } accept; meta l4proto { tcp, udp } drop; }\n'
        '}\n' % (address, ports, address, ports)))


def server_stats(l, address, port, ca=None):
    url = '%s://%s:%d/stats' % ('https' if ca else 'http', address, port)
    out = l.run('lan1', ['curl', '-s'] + (['--cacert', ca] if ca else []) + [url]).stdout
    return json.loads(out)


def relay_env():
    """ICE gets 2 s before the relay (6 s by default)."""
    e = env()
    e['NAV_SHARE_RELAY_AFTER_MS'] = '2000'
    return e


def relay():
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        url = signaling_server(l, port, ['--relay'])
        block_all_but(l, 'lan1b', l.addresses['lan1'], port)
        write(os.path.join(src, 'video.bin'), os.urandom(3 * 1024 * 1024))
        t0 = time.monotonic()
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url, 'video.bin'],
                                                        ['--yes', '--signal', url], '31-apple-river', e=relay_env())
        if src_rc != 0 or dst_rc != 0:
            fail('the transfer through the relay failed:\n%s\n%s' % (src_out, dst_out))
        for out in (src_out, dst_out):
            if 'Connected through the WebSocket relay' not in out:
                fail('the relay was not used:\n%s' % out)
        with open(os.path.join(src, 'video.bin'), 'rb') as f1, open(os.path.join(dst, 'video.bin'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('video.bin differs')
        stats = server_stats(l, l.addresses['lan1'], port)
        if stats.get('relay-sessions-total') != 1 or stats.get('relay-bytes', 0) < 3 * 1024 * 1024:
            fail('the relay did not count the session: %s' % stats)
        health = json.loads(l.run('lan1', ['curl', '-s', 'http://%s:%d/health' % (l.addresses['lan1'], port)]).stdout)
        if health.get('relay') != 'ok':
            fail('/health does not show the relay: %s' % health)
        print('relay: %s in %.1f s; /stats: sessions %d, bytes %d, refused %d'
              % ([x for x in dst_out.splitlines() if x.startswith('Connected')][0], time.monotonic() - t0,
                 stats['relay-sessions-total'], stats['relay-bytes'], stats['relay-refused']))


def relay_wss():
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        address = l.addresses['lan1']
        ca, cert, key = make_ca(l.workdir, 'good', address)
        wrong_ca, _, _ = make_ca(l.workdir, 'other', address)
        url = signaling_server(l, port, ['--relay', '--cert', cert, '--pkey', key])
        if not url.startswith('wss://'):
            fail('not a wss:// URL: %s' % url)
        block_all_but(l, 'lan1b', address, port)
        write(os.path.join(src, 'video.bin'), os.urandom(3 * 1024 * 1024 + 5))
        t0 = time.monotonic()
        (src_rc, src_out), (dst_rc, dst_out) = transfer(
            l, src, dst, ['--signal', url, '--ca-file', ca, 'video.bin'],
            ['--yes', '--signal', url, '--ca-file', ca], '33-apple-river', e=relay_env())
        if src_rc != 0 or dst_rc != 0:
            fail('the transfer through the relay over wss:// failed:\n%s\n%s' % (src_out, dst_out))
        for out in (src_out, dst_out):
            if 'Connected through the WebSocket relay wss://%s:%d/relay' % (address, port) not in out:
                fail('the relay over wss:// was not used:\n%s' % out)
        with open(os.path.join(src, 'video.bin'), 'rb') as f1, open(os.path.join(dst, 'video.bin'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('video.bin differs')
        stats = server_stats(l, address, port, ca)
        if stats.get('relay-sessions-total') != 1 or stats.get('relay-bytes', 0) < 3 * 1024 * 1024:
            fail('the relay did not count the session: %s' % stats)
        print('relay over wss://: %s in %.1f s; /stats: sessions %d, bytes %d'
              % ([x for x in dst_out.splitlines() if x.startswith('Connected')][0], time.monotonic() - t0,
                 stats['relay-sessions-total'], stats['relay-bytes']))
        # Another CA: the receiver does not trust the server, says so, and
        # stops (no sender: it never gets as far as a room).
        shutil.rmtree(dst)
        os.mkdir(dst)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(20 * SCALE)), '-o', dst,
                               '--signal', url, '--ca-file', wrong_ca, '34-apple-river'], dst)
        rc, out = finish(r)
        if rc == 0 or 'Cannot reach the signaling server' not in out or 'certificate' not in out.lower():
            fail('a server the CA file does not vouch for was not refused clearly (status %s):\n%s' % (rc, out))
        if listing(dst):
            fail('something was written: %s' % listing(dst))
        print('wrong CA: status %d: %s' % (rc, [x for x in out.splitlines() if 'Cannot reach' in x][0]))


def network_change():
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        url = signaling_server(l, port)
        size = 64 * 1024 * 1024
        write(os.path.join(src, 'movie.mkv'), os.urandom(size))
        # Bob, whose address changes, notices first (his consent is
        # shortened; Alice keeps RFC 7675's 30 s) and restarts ICE alone.
        e = env()
        e['NAV_SHARE_CONSENT_TIMEOUT_MS'] = str(int(1000 * SCALE))
        code = '36-apple-river'
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(60 * SCALE)), '--signal', url,
                              'movie.mkv'], src)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(60 * SCALE)), '-o', dst,
                               '--signal', url, code], dst, e)
        part = os.path.join(dst, 'movie.mkv.part')
        deadline = time.monotonic() + 40 * SCALE
        while not (os.path.exists(part) and os.path.getsize(part) >= size // 4):
            if time.monotonic() > deadline or r.poll() is not None:
                fail('the receiver never got a quarter of the file:\n%s' % finish(r)[1])
            time.sleep(0.005)
        old = l.addresses['lan1b']
        new = old.rsplit('.', 1)[0] + '.%d' % (int(old.rsplit('.', 1)[1]) + 100)
        l.run('lan1b', ['ip', 'addr', 'add', new + '/24', 'dev', 'eth0'], check=True)
        l.run('lan1b', ['nft', '-f', '-'], check=True, input=(
            'table inet share_move {\n'
            '  chain out { type filter hook output priority 0;\n'
            '    ip saddr %s tcp dport %d accept; ip saddr %s drop; }\n'
            '  chain in { type filter hook input priority 0;\n'
            '    ip daddr %s tcp sport %d accept; ip daddr %s drop; }\n'
            '}\n' % (old, port, old, old, port, old)))
        at = os.path.getsize(part)
        t0 = time.monotonic()
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if dst_rc != 0 or src_rc != 0:
            fail('the transfer did not survive the network change:\n%s\n%s' % (src_out, dst_out))
        if 'Reconnected after an ICE restart' not in dst_out + src_out:
            fail('no ICE restart reported:\n%s\n%s' % (src_out, dst_out))
        with open(os.path.join(src, 'movie.mkv'), 'rb') as f1, open(os.path.join(dst, 'movie.mkv'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('movie.mkv differs after the network change')
        carried = [int(x) for x in re.findall(r'(\d+) bytes carried in this run', src_out)]
        if carried != [size] or 'Waiting for the receiver to come back' in src_out:
            fail('the transfer started over (%s):\n%s' % (carried, src_out))
        path = [x for x in (dst_out + src_out).splitlines() if x.startswith('Reconnected')]
        print('moved from %s to %s at %d of %d bytes; %s; done %.1f s later, %d bytes carried in one run'
              % (old, new, at, size, path[0], time.monotonic() - t0, carried[0]))


def restart_signaling(l, port):
    """SIGTERM to nav-server --signaling (a bye and a 1001 close to each
    client), then a new one on the same port."""
    old = l.signaling_process
    old.terminate()
    try:
        old.wait(timeout=20 * SCALE)
    except subprocess.TimeoutExpired:
        fail('nav-server --signaling did not stop on SIGTERM')
    signaling_server(l, port)


def signaling_restart():
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        url = signaling_server(l, port)
        size = 48 * 1024 * 1024
        write(os.path.join(src, 'movie.mkv'), os.urandom(size))
        l.run('lan1', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '64mbit', 'burst', '64kb',
                       'latency', '200ms'], check=True)
        code = '37-apple-river'
        e = env()
        e['NAV_SHARE_CONSENT_TIMEOUT_MS'] = str(int(1000 * SCALE))
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(60 * SCALE)), '--signal', url,
                              'movie.mkv'], src)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(60 * SCALE)), '-o', dst,
                               '--signal', url, code], dst, e)
        part = os.path.join(dst, 'movie.mkv.part')
        deadline = time.monotonic() + 40 * SCALE
        while not (os.path.exists(part) and os.path.getsize(part) >= size // 4):
            if time.monotonic() > deadline or r.poll() is not None:
                fail('the receiver never got a quarter of the file:\n%s' % finish(r)[1])
            time.sleep(0.005)
        t0 = time.monotonic()
        restart_signaling(l, port)
        at = os.path.getsize(part)
        restarted = time.monotonic() - t0
        # Both ends back, each told the other: then Bob moves.
        while True:
            with open(s.log) as f1, open(r.log) as f2:
                if f1.read().count('the peer is back') + f2.read().count('the peer is back') >= 2:
                    break
            if time.monotonic() > deadline or r.poll() is not None or s.poll() is not None:
                fail('the ends did not tell each other their new ids:\n%s\n%s' % (finish(s)[1], finish(r)[1]))
            time.sleep(0.02)
        old = l.addresses['lan1b']
        new = old.rsplit('.', 1)[0] + '.%d' % (int(old.rsplit('.', 1)[1]) + 100)
        l.run('lan1b', ['ip', 'addr', 'add', new + '/24', 'dev', 'eth0'], check=True)
        l.run('lan1b', ['nft', '-f', '-'], check=True, input=(
            'table inet share_move {\n'
            '  chain out { type filter hook output priority 0;\n'
            '    ip saddr %s tcp dport %d accept; ip saddr %s drop; }\n'
            '  chain in { type filter hook input priority 0;\n'
            '    ip daddr %s tcp sport %d accept; ip daddr %s drop; }\n'
            '}\n' % (old, port, old, old, port, old)))
        moved_at = os.path.getsize(part)
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if dst_rc != 0 or src_rc != 0:
            fail('the transfer did not survive the restart of the signaling server:\n%s\n%s' % (src_out, dst_out))
        if moved_at >= size:
            fail('the file was whole before the move (the test proves nothing): %d' % moved_at)
        if 'Reconnected after an ICE restart' not in dst_out + src_out:
            fail('no ICE restart through the new server:\n%s\n%s' % (src_out, dst_out))
        with open(os.path.join(src, 'movie.mkv'), 'rb') as f1, open(os.path.join(dst, 'movie.mkv'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('movie.mkv differs after the restart')
        for who, out in (('sender', src_out), ('receiver', dst_out)):
            if 'lost the signaling server' not in out or 'back at the signaling server as' not in out:
                fail('the %s did not reconnect:\n%s' % (who, out))
        if 'the peer is back at the signaling server' not in src_out + dst_out:
            fail('neither end followed the other to its new peer id:\n%s\n%s' % (src_out, dst_out))
        carried = [int(x) for x in re.findall(r'(\d+) bytes carried in this run', src_out)]
        if carried != [size] or 'Waiting for the receiver to come back' in src_out:
            fail('the transfer started over (%s):\n%s' % (carried, src_out))
        print('restarted at %d of %d bytes (the new server up %.1f s later); %s; moved at %d: %s | %s'
              % (at, size, restarted, [x for x in src_out.splitlines() if 'back at the signaling' in x][0],
                 moved_at, [x for x in (dst_out + src_out).splitlines() if x.startswith('Reconnected')][0],
                 [x for x in dst_out.splitlines() if x.startswith('Received')][0]))

        # The rendezvous: the sender waits alone when the server restarts.
        shutil.rmtree(dst)
        os.mkdir(dst)
        write(os.path.join(src, 'note.txt'), b'after the restart\n')
        code = '38-apple-river'
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(60 * SCALE)), '--signal', url,
                              'note.txt'], src)
        deadline = time.monotonic() + 20 * SCALE
        while server_stats(l, l.addresses['lan1'], port).get('rooms', 0) < 1:
            if time.monotonic() > deadline or s.poll() is not None:
                fail('the sender never joined its room:\n%s' % finish(s)[1])
            time.sleep(0.05)
        restart_signaling(l, port)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(40 * SCALE)), '-o', dst,
                               '--signal', url, code], dst)
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if dst_rc != 0 or src_rc != 0 or 'back at the signaling server as' not in src_out:
            fail('the rendezvous did not survive the restart:\n%s\n%s' % (src_out, dst_out))
        with open(os.path.join(dst, 'note.txt'), 'rb') as f:
            if f.read() != b'after the restart\n':
                fail('note.txt differs')
        print('rendezvous across a restart: %s' % [x for x in src_out.splitlines() if 'back at' in x][0])


def nat_matrix():
    kinds = ['full-cone', 'port-restricted-cone', 'symmetric', 'symmetric']
    with natlab.Lab(kinds, stun=True, probe_server=False) as l:
        port = 18000 + os.getpid() % 1000
        turn_port = port + 1000
        srv = natlab.SERVER_IP
        l.spawn('srv', [NAV_SERVER, '--signaling', '-L', srv, '--signaling-port', str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        l.spawn('srv', [NAV_SERVER, '--turn', '--listening-ip=' + srv, '--relay-ip=' + srv,
                        '--listening-port=%d' % turn_port, '--no-tls', '--realm=nav-share.test',
                        '--lt-cred-mech', '--user=alice:s3cret', '--threads=0',
                        '--allowed-peer-ip=100.64.0.0-100.127.255.255'],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10 * SCALE
        while l.run('lan1', ['bash', '-c', 'exec 3<>/dev/tcp/%s/%d' % (srv, port)]).returncode != 0:
            if time.monotonic() > deadline:
                fail('nav-server --signaling did not start on the public side')
            time.sleep(0.1)
        url = 'ws://%s:%d/' % (srv, port)
        ice = ['--signal', url, '--relay', 'none', '--ice-server', 'stun:%s:3478' % srv,
               '--ice-server', 'turn:%s:%d' % (srv, turn_port), '--turn-user', 'alice', '--turn-password', 's3cret']
        results = []
        for i in range(len(kinds)):
            for j in range(i + 1, len(kinds)):
                a, b = 'lan%d' % (i + 1), 'lan%d' % (j + 1)
                src = tempfile.mkdtemp(prefix='src-', dir=l.workdir)
                dst = tempfile.mkdtemp(prefix='dst-', dir=l.workdir)
                write(os.path.join(src, 'm.bin'), os.urandom(512 * 1024))
                code = '%d-apple-river' % (40 + 10 * i + j)
                s = start(l, a, [NAV_SHARE, 'send', '--code', code, '-t', str(int(40 * SCALE)), 'm.bin'] + ice, src)
                r = start(l, b, [NAV_SHARE, 'receive', '--yes', '-t', str(int(40 * SCALE)), '-o', dst] + ice + [code],
                          dst)
                dst_rc, dst_out = finish(r)
                src_rc, src_out = finish(s)
                if src_rc != 0 or dst_rc != 0:
                    fail('%s ↔ %s failed:\n%s\n%s' % (kinds[i], kinds[j], src_out, dst_out))
                with open(os.path.join(src, 'm.bin'), 'rb') as f1, open(os.path.join(dst, 'm.bin'), 'rb') as f2:
                    if f1.read() != f2.read():
                        fail('%s ↔ %s: m.bin differs' % (kinds[i], kinds[j]))
                path = [x for x in dst_out.splitlines() if x.startswith('Connected')][0]
                if kinds[i] == kinds[j] == 'symmetric' and 'TURN' not in path:
                    fail('two symmetric NATs did not go through TURN: %s' % path)
                results.append('%s ↔ %s: %s' % (kinds[i], kinds[j], path))
        print('\n'.join(results))


def config():
    with lab() as l:
        src, dst = dirs(l)
        url = signaling_server(l, 18000 + os.getpid() % 1000)
        home = tempfile.mkdtemp(prefix='config-', dir=l.workdir)
        os.makedirs(os.path.join(home, 'netavanue'))
        conf = os.path.join(home, 'netavanue', 'share.conf')
        with open(conf, 'w') as f:
            f.write('# nav-share defaults\n[share]\nsignal=%s\nice-servers=stun:%s:3478\n'
                    % (url, l.addresses['lan1']))
        e = env()
        e['XDG_CONFIG_HOME'] = home
        # mDNS is off: only the configured server can bring them together.
        e['NAV_MDNS_INTERFACES'] = 'none'
        write(os.path.join(src, 'conf.txt'), os.urandom(64 * 1024))
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['conf.txt'], ['--yes'], '34-apple-river', e=e)
        if src_rc != 0 or dst_rc != 0:
            fail('the transfer with share.conf failed:\n%s\n%s' % (src_out, dst_out))
        if '--signal ' + url not in src_out:
            fail('the sender did not use the configured server:\n%s' % src_out)
        with open(os.path.join(src, 'conf.txt'), 'rb') as f1, open(os.path.join(dst, 'conf.txt'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('conf.txt differs')
        print('share.conf: %s' % [x for x in src_out.splitlines() if x.startswith('On the other')][0])
        with open(conf, 'w') as f:
            f.write('[share\nsignal=\n')
        r = l.run('lan1b', [NAV_SHARE, 'receive', '-t', '2', '35-apple-river'], env=e)
        if r.returncode != 1 or 'share.conf' not in r.stderr:
            fail('a broken share.conf was not a clear error (%d): %s' % (r.returncode, r.stderr))
        print('broken share.conf: %s' % r.stderr.strip())
        r = l.run('lan1b', [NAV_SHARE, 'receive', '--no-config', '-t', '1', '35-apple-river'], env=e)
        if 'share.conf' in r.stderr or 'no sender' not in r.stderr:
            fail('--no-config read the file: %s' % r.stderr)
        print('--no-config: %s' % r.stderr.strip())


def relay_turn():
    """The relay is there, but so is a TURN server Bob reaches over TCP:
    ICE's TURN path wins and the relay is not used."""
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        turn_port = port + 1000
        address = l.addresses['lan1']
        url = signaling_server(l, port, ['--relay'])
        turn = l.spawn('lan1', [NAV_SERVER, '--turn', '--listening-ip=' + address, '--relay-ip=' + address,
                                '--listening-port=%d' % turn_port, '--no-tls', '--realm=nav-share.test',
                                '--lt-cred-mech', '--user=alice:s3cret', '--threads=0',
                                '--allowed-peer-ip=198.18.0.0-198.19.255.255'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        block_all_but(l, 'lan1b', address, port, turn_port)
        write(os.path.join(src, 'turn.bin'), os.urandom(1024 * 1024))
        ice = ['--ice-server', 'turn:%s:%d?transport=tcp' % (address, turn_port), '--turn-user', 'alice',
               '--turn-password', 's3cret']
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url, 'turn.bin'] + ice,
                                                        ['--yes', '--signal', url] + ice, '33-apple-river')
        turn.terminate()
        if src_rc != 0 or dst_rc != 0:
            fail('the transfer through TURN failed:\n%s\n%s' % (src_out, dst_out))
        path = [x for x in dst_out.splitlines() if x.startswith('Connected')]
        if not path or 'through a TURN relay' not in path[0]:
            fail('TURN was not used: %s\n%s' % (path, dst_out))
        with open(os.path.join(src, 'turn.bin'), 'rb') as f1, open(os.path.join(dst, 'turn.bin'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('turn.bin differs')
        stats = server_stats(l, address, port)
        if stats.get('relay-sessions-total') != 0:
            fail('the WebSocket relay was used beside TURN: %s' % stats)
        print('with TURN: %s; the WebSocket relay unused' % path[0])


def relay_quota():
    with lab() as l:
        src, dst = dirs(l)
        port = 18000 + os.getpid() % 1000
        url = signaling_server(l, port, ['--relay', '--relay-quota', str(256 * 1024)])
        block_all_but(l, 'lan1b', l.addresses['lan1'], port)
        write(os.path.join(src, 'big.bin'), os.urandom(4 * 1024 * 1024))
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url, '-t', str(int(8 * SCALE)),
                                                                      'big.bin'],
                                                        ['--yes', '--signal', url], '32-apple-river', e=relay_env())
        if dst_rc == 0:
            fail('the quota did not cut the session:\n%s\n%s' % (src_out, dst_out))
        if '4413' not in dst_out and '4413' not in src_out:
            fail('neither end said the quota was spent:\n%s\n%s' % (src_out, dst_out))
        if os.path.exists(os.path.join(dst, 'big.bin')):
            fail('big.bin is under its final name')
        stats = server_stats(l, l.addresses['lan1'], port)
        if stats.get('relay-quota-closed', 0) < 1:
            fail('the relay did not count the quota: %s' % stats)
        print('quota: %s; /stats: %s' % ([x for x in dst_out.splitlines() if 'relay' in x][-1],
                                         {k: v for k, v in stats.items() if k.startswith('relay')}))


def tamper():
    with lab() as l:
        src, dst = dirs(l)
        write(os.path.join(src, 'secret-plans.txt'), b'top secret\n')
        url_a = signaling_server(l, 18000 + os.getpid() % 1000)
        url_b = signaling_server(l, 19000 + os.getpid() % 1000)
        code = '17-apple-river'
        mitm = start(l, 'lan1', [MITM, url_a, url_b, 'nav-share-17', str(int(30 * SCALE))], src)
        time.sleep(0.5)
        (src_rc, src_out), (dst_rc, dst_out) = transfer(l, src, dst, ['--signal', url_a, 'secret-plans.txt'],
                                                        ['--yes', '--signal', url_b], code)
        mitm_rc, mitm_out = finish(mitm)
        if 'relayed pake1' not in mitm_out or 'relayed pake2' not in mitm_out:
            fail('the man in the middle did not relay the PAKE (so the test proves nothing):\n%s\n%s\n%s'
                 % (mitm_out, src_out, dst_out))
        if src_rc == 0 or dst_rc == 0:
            fail('the ends did not stop (sender %s, receiver %s):\n%s\n%s' % (src_rc, dst_rc, src_out, dst_out))
        if 'tampered' not in src_out or 'tampered' not in dst_out:
            fail('the ends did not say why:\n%s\n%s' % (src_out, dst_out))
        if 'relayed offer' in mitm_out or 'secret' in mitm_out or listing(dst):
            fail('something passed the man in the middle:\n%s\n%s' % (mitm_out, listing(dst)))
        print('man in the middle: %s | sender: %s'
              % (', '.join(x for x in mitm_out.splitlines() if x.startswith('relayed')),
                 [x for x in src_out.splitlines() if 'tampered' in x][0]))


def resume():
    with lab() as l:
        src, dst = dirs(l)
        size = 48 * 1024 * 1024
        write(os.path.join(src, 'video.mkv'), os.urandom(size))
        code = '15-apple-river'
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(60 * SCALE)), 'video.mkv'], src)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(40 * SCALE)), '-o', dst, code], dst)
        part = os.path.join(dst, 'video.mkv.part')
        deadline = time.monotonic() + 40 * SCALE
        while not (os.path.exists(part) and os.path.getsize(part) >= size // 2):
            if time.monotonic() > deadline or r.poll() is not None:
                fail('the first receiver never got half of the file:\n%s' % finish(r)[1])
            time.sleep(0.01)
        r.send_signal(signal.SIGKILL)
        finish(r)
        kept = os.path.getsize(part)
        r = start(l, 'lan1b', [NAV_SHARE, 'receive', '--yes', '-t', str(int(40 * SCALE)), '-o', dst, code], dst)
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if dst_rc != 0 or src_rc != 0:
            fail('the resumed transfer failed:\n%s\n%s' % (src_out, dst_out))
        with open(os.path.join(src, 'video.mkv'), 'rb') as f1, open(os.path.join(dst, 'video.mkv'), 'rb') as f2:
            if f1.read() != f2.read():
                fail('video.mkv differs after the resume')
        m = re.search(r'\((\d+) bytes\) kept from an earlier try', dst_out)
        carried = [int(x) for x in re.findall(r'(\d+) bytes carried in this run', src_out)]
        if m is None or not carried:
            fail('no resume reported:\n%s\n%s' % (src_out, dst_out))
        resumed_from = int(m.group(1))
        if resumed_from < size // 2 or carried[-1] != size - resumed_from:
            fail('resumed from %d (%d kept at the kill), the sender carried %d of %d in the last run'
                 % (resumed_from, kept, carried[-1], size))
        if 'Waiting for the receiver to come back with the same code' not in src_out:
            fail('the sender did not wait for the receiver:\n%s' % src_out)
        print('killed at %d of %d bytes; resumed with the same code from %d: %d bytes sent again'
              % (kept, size, resumed_from, carried[-1]))


def disk_full():
    with lab() as l:
        src, dst = dirs(l)
        source = os.path.join(src, 'big.iso')
        write(source, os.urandom(3 * 1024 * 1024))
        code = '16-apple-river'
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(40 * SCALE)), 'big.iso'], src)
        script = ('mount -t tmpfs -o size=1m tmpfs "$1" || exit 99\n'
                  '"$2" receive --yes -t %d -o "$1" "$3"; rc=$?\n'
                  'echo "status=$rc"\n'
                  'ls -a "$1" | sed "s/^/listing: /"\n'
                  'if [ -f "$1/big.iso.part" ]; then\n'
                  '  n=$(stat -c %%s "$1/big.iso.part")\n'
                  '  cmp -n "$n" "$1/big.iso.part" "$4" && echo "prefix-ok $n"\n'
                  'fi\n' % int(40 * SCALE))
        r = start(l, 'lan1b', ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', dst,
                               NAV_SHARE, code, source], dst)
        dst_rc, dst_out = finish(r)
        src_rc, src_out = finish(s)
        if 'status=99' in dst_out or dst_rc is None:
            fail('no tmpfs for the test:\n%s' % dst_out)
        if 'status=0' in dst_out or 'disk is full' not in dst_out:
            fail('a full disk did not fail clearly:\n%s' % dst_out)
        if 'listing: big.iso\n' in dst_out:
            fail('a file was left under its final name:\n%s' % dst_out)
        if 'listing: big.iso.part' in dst_out and 'prefix-ok' not in dst_out:
            fail('the .part is not a prefix of the file:\n%s' % dst_out)
        if src_rc == 0:
            fail('the sender did not fail:\n%s' % src_out)
        print('disk full: %s | %s' % ([x for x in dst_out.splitlines() if 'disk is full' in x][0],
                                      ' '.join(x for x in dst_out.splitlines() if x.startswith('prefix-ok'))))


def slow_disk():
    """A receiver whose disk is slower than the network (each message's
    write delayed by nav-share-evil's NAV_SHARE_EVIL_SLOW_WRITE_MS): the
    writer gives the SCTP window back only once it wrote, so the sender
    is stopped and what waits for the disk stays within the window
    (fails if the window went back on delivery: most of the file would
    queue for the writer)."""
    with lab() as l:
        src, dst = dirs(l)
        size = 96 * 1024 * 1024
        write(os.path.join(src, 'slow.bin'), os.urandom(1 << 20) * (size >> 20))
        code = '17-apple-river'
        e = env()
        e['NAV_SHARE_EVIL_SLOW_WRITE_MS'] = '8'
        s = start(l, 'lan1', [NAV_SHARE, 'send', '--code', code, '-t', str(int(60 * SCALE)), 'slow.bin'], src)
        r = start(l, 'lan1b', ['/usr/bin/time', '-f', 'maxrss=%M KiB', EVIL, 'receive', '--yes',
                               '-t', str(int(60 * SCALE)), '-o', dst, code], dst, e)
        dst_rc, dst_out = finish(r, 90)
        src_rc, src_out = finish(s, 90)
        if dst_rc != 0 or src_rc != 0 or not filecmp.cmp(os.path.join(src, 'slow.bin'),
                                                         os.path.join(dst, 'slow.bin'), shallow=False):
            fail('the transfer to a slow disk failed (or its copy differs):\n%s\n%s' % (src_out, dst_out))
        m = re.search(r'writer queue high-water mark: (\d+) bytes', dst_out)
        if m is None:
            fail('no high-water mark of the writer:\n%s' % dst_out)
        queued = int(m.group(1))
        # The SCTP receive window (NAV_SHARE_RECEIVE_WINDOW, 16 MiB) and
        # the messages in the writer's hands bound it; without
        # back-pressure most of the 96 MiB file queues.
        if queued > 20 * 1024 * 1024:
            fail('%d bytes waited for the slow disk at once, for a %d MiB file (back-pressure lost)'
                 % (queued, size >> 20))
        rss = re.search(r'maxrss=(\d+) KiB', dst_out)
        rate = re.search(r'Received 1 file, .*', dst_out)
        print('slow disk: %s; at most %.1f MiB waited for the writer; receiver max RSS %s KiB'
              % (rate.group(0) if rate else '?', queued / 1048576, rss.group(1) if rss else '?'))


def main(tests):
    """netns_peers.main without its GObject Introspection check: the
    peers here are nav-share processes."""
    why = natlab.can_run()
    if why is not None:
        print('SKIP: ' + why)
        return 77
    case = sys.argv[1] if len(sys.argv) > 1 else ''
    if case not in tests:
        print('usage: %s %s' % (sys.argv[0], '|'.join(tests)), file=sys.stderr)
        return 2
    tests[case]()
    return 0


if __name__ == '__main__':
    sys.exit(main({
        'lan': lan,
        'signaling': signaling,
        'wrong-code': wrong_code,
        'evil': evil,
        'tamper': tamper,
        'udp-blocked': udp_blocked,
        'resume': resume,
        'relay': relay,
        'relay-quota': relay_quota,
        'relay-turn': relay_turn,
        'relay-wss': relay_wss,
        'signaling-restart': signaling_restart,
        'config': config,
        'nat-matrix': nat_matrix,
        'network-change': network_change,
        'disk-full': disk_full,
        'slow-disk': slow_disk,
    }))
