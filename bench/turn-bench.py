#!/usr/bin/python3
"""TURN relay benchmark: coturn's turnserver against nav-server --turn.

The same load, coturn's own turnutils_uclient with turnutils_peer as the
echo peer, runs against both servers in the same run, on loopback:

  relay     CLIENTS clients each relay MESSAGES messages of LENGTH bytes
            through ChannelData (UDP, or TCP with --tcp) to the peer and
            back.  Printed: messages/s and Mbit/s relayed (both directions,
            wall time of uclient), uclient's average round trip, the
            server's CPU time per thousand relayed messages (from
            /proc/PID/stat, every thread of the process), loss.
  alloc     5 x ALLOCS allocations made and released one after the other
            by a small client here (Allocate, 401, signed Allocate,
            Refresh 0): allocations/s.
  memory    5 x ALLOCS allocations held at once: server RSS growth per
            allocation.

With --generator PATH (bench/turn-gen: an independent generator, plain
sockets and the RFCs by hand, none of the project's code), the issue 22
shape: a closed loop of CLIENTS clients x WINDOW ChannelData round trips
in flight to an echo peer, for 1 and N relay threads (--threads, default
1 and the CPU count) and 1 and 32 in flight (--windows), coturn and
nav-server with the same thread count, alternated over --rounds rounds
(and --before, a nav-server built from an earlier commit, in the same
rotation); printed per case, the median of the rounds: round trips/s,
server CPU per 1000 round trips (from
/proc/PID/stat, every thread), server and generator CPU use, and the
ratios; then the scaling from 1 to N threads of each server.

With --load PATH (bench/turn-load, built with -Dbenchmarks=true), the
load generator is ours instead of uclient: CLIENTS allocations each keep
--window ChannelData messages in flight to a built-in echo peer, batched
with sendmmsg/recvmmsg, for --seconds; it outruns either server (the
printed server CPU use says how close to one busy core each got), and it
also measures allocations/s (with --concurrency Allocates in flight) and
memory per allocation, so all figures come from it.

What is compared: coturn with --relay-threads=1 (one relay thread; coturn
still runs its listener and authentication threads besides) against
nav-server, which does everything in one thread.  uclient itself is the
load generator on the same two cores, so wall-time figures are bounded by
it; CPU per message is the fairer comparison of the servers' own cost.

Usage:
  meson compile -C build nav-server
  bench/turn-bench.py --nav-server build/tools/nav-server [--tcp]
      [--clients 20] [--messages 2000] [--length 500] [--allocs 200]
  meson setup build -Dbenchmarks=true; meson compile -C build nav-server turn-load
  bench/turn-bench.py --nav-server build/tools/nav-server --load build/bench/turn-load
      [--tcp] [--clients 16] [--window 32] [--length 500] [--seconds 5] [--allocs 400]
  meson compile -C build nav-server turn-gen
  bench/turn-bench.py --nav-server build/tools/nav-server --generator build/bench/turn-gen
      [--clients 16] [--windows 32,1] [--threads 1,2] [--rounds 3] [--seconds 4]
      [--before /work/wt/base/build/tools/nav-server]

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import hashlib
import hmac
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

USER, PASSWORD, REALM = 'bench', 'bench-password', 'bench.example.org'
IP = '127.0.0.1'


def need(binary):
    path = shutil.which(binary, path=os.environ.get('PATH', '') + ':/usr/bin:/usr/sbin')
    if path is None:
        sys.exit('turn-bench: %s is not installed (apt install coturn)' % binary)
    return path


def free_port(count=1):
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((IP, 0))
        base = s.getsockname()[1]
        s.close()
        ok = base + count <= 65535
        for p in range(base, base + count):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(socket.AF_INET, kind)
                try:
                    t.bind((IP, p))
                except OSError:
                    ok = False
                finally:
                    t.close()
        if ok:
            return base
    sys.exit('turn-bench: no free port')


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def wait_ready(port, proc):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit('turn-bench: server exited early (%d)' % proc.returncode)
        try:
            socket.create_connection((IP, port), timeout=0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit('turn-bench: server never listened')


def start_server(kind, args, port, tmp, threads=1):
    lo, hi = (20000, 29999) if kind == 'coturn' else (30000, 39999)
    if kind == 'coturn':
        argv = [need('turnserver'), '-n', '--no-cli', '--no-tls', '--no-dtls',
                '--listening-ip=' + IP, '--relay-ip=' + IP, '--listening-port=%d' % port,
                '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD), '--realm=' + REALM,
                '--allow-loopback-peers', '--relay-threads=%d' % threads,
                '--min-port=%d' % lo, '--max-port=%d' % hi,
                '--log-file=stdout', '--simple-log', '--no-stdout-log', '--pidfile=' + os.path.join(tmp, 'pid')]
    else:
        binary = args.before if kind == 'before' else args.nav_server
        argv = [binary, '--turn', '--no-tls',
                '--listening-ip=' + IP, '--relay-ip=' + IP, '--listening-port=%d' % port,
                '--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD), '--realm=' + REALM,
                '--allow-loopback-peers', '--min-port=%d' % lo, '--max-port=%d' % hi,
                '--relay-threads=%d' % threads]
    log = open(os.path.join(tmp, kind + '.log'), 'w')
    env = None
    if kind == 'before':
        # the modules of its own build, not those of --nav-server's
        env = dict(os.environ)
        env.update(build_modules_env(args.before))
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            preexec_fn=pinned(server_cpus(args)))
    wait_ready(port, proc)
    time.sleep(0.3)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stun(msg_type, attrs, key=None):
    """A STUN message; with key, USERNAME/REALM/NONCE must be in attrs and
    MESSAGE-INTEGRITY is appended (RFC 8489 §14.5)."""
    body = b''
    for t, v in attrs:
        body += struct.pack('!HH', t, len(v)) + v + b'\0' * ((4 - len(v) % 4) % 4)
    txid = os.urandom(12)
    if key is not None:
        head = struct.pack('!HHI', msg_type, len(body) + 24, 0x2112A442) + txid
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += struct.pack('!HH', 0x0008, 20) + mac
    return struct.pack('!HHI', msg_type, len(body), 0x2112A442) + txid + body


def stun_attr(data, wanted):
    off = 20
    while off + 4 <= len(data):
        t, n = struct.unpack('!HH', data[off:off + 4])
        if t == wanted:
            return data[off + 4:off + 4 + n]
        off += 4 + n + (4 - n % 4) % 4
    return None


def transact(sock, port, message):
    """Sends a request, retransmitting as RFC 8489 §6.2.1 does (0.5 s
    here); returns the answer with the same transaction ID."""
    for _ in range(5):
        sock.sendto(message, (IP, port))
        deadline = time.monotonic() + 0.5
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(2048)
            except socket.timeout:
                break
            if data[8:20] == message[8:20]:
                return data
    raise OSError('no answer')


def allocate(port, key, sock):
    """Allocate with the 401 dance; returns the credentials, or None."""
    transport = (0x0019, bytes([17, 0, 0, 0]))
    first = transact(sock, port, stun(0x0003, [transport]))
    nonce = stun_attr(first, 0x0015)
    if nonce is None:
        return None
    creds = [(0x0006, USER.encode()), (0x0014, REALM.encode()), (0x0015, nonce)]
    answer = transact(sock, port, stun(0x0003, [transport] + creds, key))
    if struct.unpack('!H', answer[:2])[0] != 0x0103:
        return None
    return creds


def release(port, key, sock, creds):
    transact(sock, port, stun(0x0004, [(0x000D, struct.pack('!I', 0))] + creds, key))


def allocation_rate(port, count):
    """Allocate (with the 401 dance) and release, count times, one socket
    each: allocations per second, the same client for both servers."""
    key = hashlib.md5(('%s:%s:%s' % (USER, REALM, PASSWORD)).encode()).digest()
    t0 = time.monotonic()
    done = refused = 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        try:
            creds = allocate(port, key, s)
            if creds is None:
                refused += 1
                continue
            release(port, key, s, creds)
            done += 1
        except OSError:
            refused += 1
        finally:
            s.close()
    if refused:
        print('turn-bench: %d of %d allocations refused or lost' % (refused, count))
    return done / (time.monotonic() - t0)


def memory_per_allocation(port, pid, count):
    """RSS growth of the server while count allocations are held."""
    key = hashlib.md5(('%s:%s:%s' % (USER, REALM, PASSWORD)).encode()).digest()
    held = []
    time.sleep(0.5)
    rss0 = rss_kib(pid)
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            creds = allocate(port, key, s)
            held.append((s, creds))
        time.sleep(0.5)
        rss1 = rss_kib(pid)
        ok = sum(1 for _, c in held if c is not None)
        for s, creds in held:
            if creds is not None:
                release(port, key, s, creds)
    finally:
        for s, _ in held:
            s.close()
    return (rss1 - rss0) / max(1, ok)

def uclient(args, port, peer_port, clients, messages, extra):
    cmd = [need('turnutils_uclient'), '-c', '-e', IP, '-r', str(peer_port), '-p', str(port),
           '-u', USER, '-w', PASSWORD, '-m', str(clients), '-n', str(messages),
           '-l', str(args.length), '-z', str(args.interval)] + extra
    if args.tcp:
        cmd.insert(1, '-t')
    cmd.append(IP)
    return cmd


def load_run(kind, args, tmp):
    """Everything measured by bench/turn-load against one server."""
    port = free_port()
    server = start_server(kind, args, port, tmp)
    try:
        cmd = [args.load, '--server', '%s:%d' % (IP, port), '--user', USER, '--password', PASSWORD,
               '--allocations', str(args.clients), '--window', str(args.window),
               '--size', str(args.length), '--seconds', str(args.seconds),
               '--alloc-count', str(args.allocs * 5), '--concurrency', str(args.concurrency),
               '--server-pid', str(server.pid)]
        if args.tcp:
            cmd.append('--tcp')
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        if p.returncode != 0:
            sys.exit('turn-bench: turn-load against %s failed:\n%s' % (kind, p.stdout))
        out = dict(line.split('=', 1) for line in p.stdout.splitlines() if '=' in line)
    finally:
        stop(server)
    return {'msgs_per_s': float(out['msgs_per_s']), 'mbit_per_s': float(out['mbit_per_s']),
            'rtt_ms': float(out['rtt_ms']), 'cpu_per_1k': float(out['cpu_ms_per_1k']),
            'cpu_pct': float(out['server_cpu_pct']), 'lost': int(out['lost']),
            'allocs_per_s': float(out['allocs_per_s']), 'kib_per_alloc': float(out['kib_per_alloc'])}


def relay_run(kind, args, tmp):
    port, peer_port = free_port(), free_port(2)
    peer = subprocess.Popen([need('turnutils_peer'), '-L', IP, '-p', str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = start_server(kind, args, port, tmp)
    result = {}
    try:
        # relay throughput
        cpu0 = cpu_seconds(server.pid)
        t0 = time.monotonic()
        p = subprocess.run(uclient(args, port, peer_port, args.clients, args.messages, []),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        wall = time.monotonic() - t0
        cpu = cpu_seconds(server.pid) - cpu0
        sent = re.findall(r'tot_send_msgs=(\d+), tot_recv_msgs=(\d+)', p.stdout)
        rtt = re.findall(r'Average round trip delay ([\d.]+) ms', p.stdout)
        lost = re.findall(r'Total lost packets (\d+)', p.stdout)
        s, r = (int(x) for x in sent[-1]) if sent else (0, 0)
        if r == 0:
            print('turn-bench: %s: uclient relayed nothing:\n%s' % (kind, '\n'.join(p.stdout.splitlines()[-8:])))
        result['sent'], result['received'] = s, r
        result['lost'] = int(lost[-1]) if lost else -1
        result['wall'] = wall
        result['msgs_per_s'] = 2 * r / wall               # to the peer and back
        result['mbit_per_s'] = 2 * r * args.length * 8 / wall / 1e6
        result['rtt_ms'] = float(rtt[-1]) if rtt else -1
        result['cpu_per_1k'] = cpu / max(1, 2 * r) * 1000 * 1000  # ms per 1000 messages

        # allocations per second (Allocate with the 401 dance, then Refresh 0)
        result['allocs_per_s'] = allocation_rate(port, args.allocs * 5)

        # memory per allocation: allocations held
        result['kib_per_alloc'] = memory_per_allocation(port, server.pid, args.allocs * 5)
    finally:
        stop(server)
        peer.kill()
        peer.wait()
    return result


def server_cpus(args):
    """With --pin, the server's CPUs: all but the last (the generator's);
    None (no pinning) otherwise."""
    n = os.cpu_count() or 1
    if not getattr(args, 'pin', False) or n < 2:
        return None
    return set(range(n - 1))


def generator_cpu(args):
    n = os.cpu_count() or 1
    return n - 1 if getattr(args, 'pin', False) and n >= 2 else None


def pinned(cpus):
    """A preexec_fn running the child on @cpus (threads it starts inherit
    the mask), or None."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def generator_run(kind, args, tmp, threads, window, gen='new'):
    """One run of bench/turn-gen (gen 'new') or of --generator-before
    (gen 'before') against one server."""
    port = free_port()
    server = start_server(kind, args, port, tmp, threads)
    try:
        binary = args.generator if gen == 'new' else args.generator_before
        cmd = [binary, '--server', '%s:%d' % (IP, port), '--user', USER, '--password', PASSWORD,
               '--clients', str(args.clients), '--window', str(window), '--size', str(args.length),
               '--seconds', str(args.seconds), '--server-pid', str(server.pid)]
        if gen == 'new':
            # the older generator knows none of these: it runs as it always did
            cmd += (['--busy'] if args.busy else []) + (['--no-gso'] if args.no_gso else [])
        cpu = generator_cpu(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
                           preexec_fn=pinned(None if cpu is None else {cpu}))
        if p.returncode != 0:
            sys.exit('turn-bench: turn-gen (%s) against %s failed:\n%s' % (gen, kind, p.stdout))
        out = dict(line.split('=', 1) for line in p.stdout.splitlines() if '=' in line)
    finally:
        stop(server)
    res = {k: float(v) for k, v in out.items()}
    if 'generator_cpu_ms_per_1k' not in res:
        # an older turn-gen prints only its CPU use
        rt = res.get('round_trips_per_s', 0)
        res['generator_cpu_ms_per_1k'] = res.get('generator_cpu_pct', 0) * 10 / rt * 1000 if rt else 0
    return res


def load_average():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def generator_main(args, tmp):
    threads = [int(t) for t in args.threads.split(',')] if args.threads else \
        sorted({1, os.cpu_count() or 1})
    windows = [int(w) for w in args.windows.split(',')]
    kinds = ['coturn', 'nav-server'] + (['before'] if args.before else [])
    gens = ['new'] + (['before'] if args.generator_before else [])
    print('turn-bench: turn-gen (independent), %d UDP clients x WINDOW ChannelData round trips of '
          '%d bytes in flight to an echo peer, %.0f s each, %d rounds alternating %s; median of the '
          'rounds; %d CPUs' % (args.clients, args.length, args.seconds, args.rounds, ', '.join(kinds),
                               os.cpu_count() or 1))
    print('compared: coturn turnserver --relay-threads=T  vs  nav-server --turn --relay-threads=T'
          + ('  (and before: %s)' % args.before if args.before else ''))
    cpus, gcpu = server_cpus(args), generator_cpu(args)
    print('generator: %s, %s, %s; %s' % (
        args.generator, 'busy polling' if args.busy else 'epoll_wait',
        'no GSO' if args.no_gso else 'GSO sends',
        'servers on CPU %s, generator on CPU %d' % (','.join(map(str, sorted(cpus))), gcpu)
        if cpus is not None else 'not pinned'))
    if args.generator_before:
        print('and the generator before: %s (its own defaults), in the same rotation' % args.generator_before)
    print('load average at start: %s' % load_average())
    results = {}
    combos = [(k, g) for g in gens for k in kinds]
    for t in threads:
        for w in windows:
            for r in range(args.rounds):
                # each (server, generator) first in turn, so that none always follows the same one
                order = combos[r % len(combos):] + combos[:r % len(combos)]
                for kind, gen in order:
                    results.setdefault((kind, gen, t, w), []).append(
                        generator_run(kind, args, tmp, t, w, gen))
    print('load average at end: %s' % load_average())

    def mean(kind, t, w, key, gen='new'):
        """The median of the rounds (the machine is shared: one round
        slowed by a neighbour's build does not move it)."""
        values = sorted(run[key] for run in results[(kind, gen, t, w)])
        n = len(values)
        return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2

    def table(gen):
        print()
        if gen != 'new':
            print('with the generator before (%s):' % args.generator_before)
        print('%-3s %-3s | %8s %8s %6s | %7s %7s %6s | %6s %6s | %5s %5s | %5s %5s' %
              ('T', 'W', 'coturn', 'nav', 'ratio', 'coturn', 'nav', 'ratio', 'c-gen', 'n-gen',
               'c-cpu', 'n-cpu', 'c-gen', 'n-gen'))
        print('%-3s %-3s | %-24s | %-22s | %-13s | %-11s | %-11s' %
              ('', '', '  round trips/s', 'server CPU ms/1000 RT', 'gen ms/1000 RT', ' server %',
               ' generator %'))
        for t in threads:
            for w in windows:
                m = lambda kind, key: mean(kind, t, w, key, gen)
                c_rt, n_rt = m('coturn', 'round_trips_per_s'), m('nav-server', 'round_trips_per_s')
                c_cpu, n_cpu = m('coturn', 'server_cpu_ms_per_1k'), m('nav-server', 'server_cpu_ms_per_1k')
                print('%-3d %-3d | %8.0f %8.0f %5.2fx | %7.3f %7.3f %5.2fx | %6.3f %6.3f | %5.0f %5.0f | '
                      '%5.0f %5.0f' %
                      (t, w, c_rt, n_rt, n_rt / c_rt if c_rt else 0, c_cpu, n_cpu,
                       n_cpu / c_cpu if c_cpu else 0,
                       m('coturn', 'generator_cpu_ms_per_1k'), m('nav-server', 'generator_cpu_ms_per_1k'),
                       m('coturn', 'server_cpu_pct'), m('nav-server', 'server_cpu_pct'),
                       m('coturn', 'generator_cpu_pct'), m('nav-server', 'generator_cpu_pct')))
                if args.before:
                    b_rt, b_cpu = m('before', 'round_trips_per_s'), m('before', 'server_cpu_ms_per_1k')
                    print('%-7s | %8s %8.0f %5.2fx | %7s %7.3f %5.2fx | %6s %6.3f | %5s %5.0f | %5s %5.0f   '
                          'before; after/before: %.2fx RT/s, %.2fx CPU' %
                          ('', '', b_rt, b_rt / c_rt if c_rt else 0, '', b_cpu, b_cpu / c_cpu if c_cpu else 0,
                           '', m('before', 'generator_cpu_ms_per_1k'), '', m('before', 'server_cpu_pct'),
                           '', m('before', 'generator_cpu_pct'),
                           n_rt / b_rt if b_rt else 0, n_cpu / b_cpu if b_cpu else 0))

    for gen in gens:
        table(gen)
    print('(round trips ratio: nav-server / coturn, higher is better; CPU ratio: nav-server / coturn, '
          'lower is better; gen ms/1000 RT: the generator\'s own CPU per 1000 round trips)')
    # The generator's own CPU per round trip, paid whichever server runs:
    # on a machine the two share to the full, the rate ratio tends to
    # (g + coturn's CPU) / (g + nav-server's), whatever the servers do.
    for t in threads:
        for w in windows:
            g = [mean(k, t, w, 'generator_cpu_ms_per_1k') for k in ('coturn', 'nav-server')
                 if mean(k, t, w, 'round_trips_per_s') > 0]
            if not g:
                continue
            g = sum(g) / len(g)
            c_cpu, n_cpu = mean('coturn', t, w, 'server_cpu_ms_per_1k'), mean('nav-server', t, w, 'server_cpu_ms_per_1k')
            line = ('T=%d W=%-3d generator CPU %.3f ms/1000 RT: where the CPUs, not the servers, bound the '
                    'rate, its ratio tends to (g + coturn) / (g + nav) = %.2fx' %
                    (t, w, g, (g + c_cpu) / (g + n_cpu) if g + n_cpu > 0 else 0))
            if args.generator_before:
                gb = [mean(k, t, w, 'generator_cpu_ms_per_1k', 'before') for k in ('coturn', 'nav-server')]
                line += '; generator before %.3f ms/1000 RT (after/before %.2fx)' % (
                    sum(gb) / len(gb), g / (sum(gb) / len(gb)) if sum(gb) else 0)
            print(line)
    if len(threads) > 1:
        t0, t1 = threads[0], threads[-1]
        for w in windows:
            for kind in kinds:
                a, b = mean(kind, t0, w, 'round_trips_per_s'), mean(kind, t1, w, 'round_trips_per_s')
                print('scaling %-10s W=%-3d %d -> %d threads: %.2fx (generator CPU %.0f%% -> %.0f%%, '
                      'server %.0f%% -> %.0f%%)' %
                      (kind, w, t0, t1, b / a if a else 0, mean(kind, t0, w, 'generator_cpu_pct'),
                       mean(kind, t1, w, 'generator_cpu_pct'), mean(kind, t0, w, 'server_cpu_pct'),
                       mean(kind, t1, w, 'server_cpu_pct')))
        if cpus is not None and len(cpus) < t1:
            print('note: --pin gives the servers %d CPU(s) for %d threads: the scaling then measures '
                  'threads sharing a core, not a second core' % (len(cpus), t1))
    ncpu = os.cpu_count() or 1
    busiest = max(mean(k, t, w, 'server_cpu_pct') + mean(k, t, w, 'generator_cpu_pct')
                  for k in kinds for t in threads for w in windows)
    print('note: the generator and the server share these %d CPUs (busiest case: server + generator '
          '%.0f%% of %d%%).  Where that sum nears %d%%, or the load average above exceeds %d, the '
          'machine and not the server bounds the rate: round trips/s then compares how fast each '
          'server lets the generator go on a shared machine, and the CPU per round trip, which does '
          'not depend on who else runs, is the comparison of the servers.' %
          (ncpu, busiest, ncpu * 100, ncpu * 100, ncpu))


def build_modules_env(binary):
    """The tools reach the STUN and TURN code through the registry: run
    from a build tree (outside `meson devenv`), point it at the modules
    beside the binary's tools/."""
    modules = os.path.join(os.path.dirname(os.path.abspath(binary)), '..', 'modules')
    if not os.path.isdir(os.path.join(modules, 'turn')):
        return {}
    return {'NAV_MODULE_DIR': modules,
            'NAV_MODULE_PATH': ':'.join(os.path.join(modules, tier) for tier in ('turn', 'stun'))}


def use_build_modules(binary):
    if 'NAV_MODULE_DIR' not in os.environ:
        os.environ.update(build_modules_env(binary))


def main():
    ap = argparse.ArgumentParser(description='TURN relay: coturn vs nav-server')
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--tcp', action='store_true', help='clients over TCP (default UDP)')
    ap.add_argument('--clients', type=int, default=20)
    ap.add_argument('--messages', type=int, default=2000)
    ap.add_argument('--length', type=int, default=500)
    ap.add_argument('--interval', type=int, default=1, help='uclient -z, ms between packets per client')
    ap.add_argument('--allocs', type=int, default=200)
    ap.add_argument('--load', help='bench/turn-load: our load generator instead of uclient')
    ap.add_argument('--window', type=int, default=32, help='with --load: messages in flight per allocation')
    ap.add_argument('--seconds', type=float, default=5, help='with --load: measured seconds')
    ap.add_argument('--concurrency', type=int, default=64, help='with --load: Allocates in flight')
    ap.add_argument('--generator', help='bench/turn-gen: the independent generator (issue 22 shape)')
    ap.add_argument('--threads', help='with --generator: relay thread counts, e.g. 1,2 (default 1 and the CPUs)')
    ap.add_argument('--windows', default='32,1', help='with --generator: round trips in flight per client')
    ap.add_argument('--rounds', type=int, default=3, help='with --generator: alternated runs per case (median)')
    ap.add_argument('--before', help='with --generator: a nav-server built from an earlier commit, run '
                    'alternately with the two others (before/after in the same run)')
    ap.add_argument('--pin', action='store_true', help='with --generator: the servers on every CPU but '
                    'the last, the generator on the last (on 2 CPUs: one each)')
    ap.add_argument('--busy', action='store_true', help='with --generator: turn-gen --busy (busy polling)')
    ap.add_argument('--no-gso', action='store_true', help='with --generator: turn-gen --no-gso')
    ap.add_argument('--generator-before', help='with --generator: an earlier turn-gen, run in the same '
                    'rotation (its own defaults), to compare the generators\' CPU per round trip')
    args = ap.parse_args()
    use_build_modules(args.nav_server)

    tmp = tempfile.mkdtemp(prefix='turn-bench-')
    if args.generator:
        if args.clients == 20:
            args.clients = 16
        if args.seconds == 5:
            args.seconds = 4
        generator_main(args, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if args.load:
        print('turn-bench: turn-load, %d allocations x %d in flight, %d-byte ChannelData over %s, '
              '%.0f s; %d allocations at %d in flight' % (args.clients, args.window, args.length,
                                                          'TCP' if args.tcp else 'UDP', args.seconds,
                                                          args.allocs * 5, args.concurrency))
    else:
        print('turn-bench: %d clients x %d messages of %d bytes over %s, uclient -z %d; '
              '%d allocations' % (args.clients, args.messages, args.length,
                                  'TCP' if args.tcp else 'UDP', args.interval, args.allocs))
    print('compared: coturn turnserver --relay-threads=1  vs  nav-server --turn (one thread)')
    res = {}
    for kind in ('coturn', 'nav-server'):
        res[kind] = load_run(kind, args, tmp) if args.load else relay_run(kind, args, tmp)
    shutil.rmtree(tmp, ignore_errors=True)

    rows = [('relayed messages/s (both ways)', 'msgs_per_s', '%.0f', True),
            ('relayed Mbit/s (both ways)', 'mbit_per_s', '%.1f', True),
            ('uclient average RTT, ms', 'rtt_ms', '%.3f', False),
            ('server CPU ms per 1000 messages', 'cpu_per_1k', '%.4f', False),
            ('lost messages', 'lost', '%d', False),
            ('allocations/s', 'allocs_per_s', '%.0f', True),
            ('server RSS KiB per allocation', 'kib_per_alloc', '%.1f', False)]
    if args.load:
        rows.insert(4, ('server CPU use, % of a core', 'cpu_pct', '%.0f', None))
        rows[2] = ('turn-load mean RTT, ms', 'rtt_ms', '%.3f', False)
    print('%-34s %14s %14s %10s' % ('', 'coturn', 'nav-server', 'ratio'))
    for title, key, fmt, higher_better in rows:
        a, b = res['coturn'][key], res['nav-server'][key]
        if key == 'lost' or higher_better is None:
            ratio = ''
        elif higher_better:
            ratio = '%.2fx' % (b / a) if a else 'n/a'
        else:
            ratio = '%.2fx' % (a / b) if b else 'n/a'
        print('%-34s %14s %14s %10s' % (title, fmt % a, fmt % b, ratio))
    print('(ratio > 1: nav-server better; for RTT, CPU and memory: coturn / nav-server)')


if __name__ == '__main__':
    main()
