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
    tamper      a man in the middle (tests/share/share-mitm.c) meets the
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
import os
import re
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
              dst)
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


def signaling_server(l, port):
    """nav-server --signaling on Alice's host; its URL."""
    address = l.addresses['lan1']
    server = l.spawn('lan1', [NAV_SERVER, '--signaling', '-L', address, '--signaling-port', str(port)],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10 * SCALE
    while l.run('lan1b', ['bash', '-c', 'exec 3<>/dev/tcp/%s/%d' % (address, port)]).returncode != 0:
        if time.monotonic() > deadline or server.poll() is not None:
            fail('nav-server --signaling did not start')
        time.sleep(0.1)
    return 'ws://%s:%d/' % (address, port)


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
        'disk-full': disk_full,
    }))
