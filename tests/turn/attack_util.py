"""What the attack tests of the STUN and TURN servers share (suite `attacks`).

Each test starts tools/nav-server on loopback, measures its resident
memory once warm, performs one attack of issue 14 while a legitimate
client keeps asking a STUN Binding over UDP (19 answers in 20 must come
within 100 ms and every one within a second, scaled by NAV_TEST_TIME_SCALE
under sanitizers: the stalls issue 14 found lasted seconds, while one late
answer on a loaded 2-core machine is the scheduler's; the latencies are
printed), stops the attack, checks the service again, and checks that
the server's resident memory came back within 20 % of its baseline.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import os
import resource
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

MAGIC = 0x2112A442
TIME_SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1') or '1')
LATENCY_BOUND_MS = 100.0 * TIME_SCALE
WORST_BOUND_MS = 1000.0 * TIME_SCALE
RSS_MARGIN = 0.20


def fail(message):
    print('FAIL: ' + message, flush=True)
    sys.exit(1)


def log(message):
    print('# ' + message, flush=True)


def free_port(ip='127.0.0.1', kind=socket.SOCK_STREAM):
    """A port free for TCP and UDP (the servers take both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((ip, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind((ip, port))
            except OSError:
                continue
            return port
    fail('no free port')


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def binding_request():
    txid = os.urandom(12)
    return struct.pack('!HHI', 0x0001, 0, MAGIC) + txid, txid


def binding_rtt(ip, port, timeout=2.0):
    """Milliseconds to a Binding success response over UDP, or None."""
    req, txid = binding_request()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        start = time.monotonic()
        s.sendto(req, (ip, port))
        try:
            while True:
                data, _ = s.recvfrom(2048)
                if len(data) >= 20 and data[8:20] == txid:
                    ok = struct.unpack('!H', data[:2])[0] == 0x0101
                    return (time.monotonic() - start) * 1000.0 if ok else None
        except socket.timeout:
            return None


def binding_over_stream(sock, timeout=5.0):
    """A Binding request on a connected TCP or TLS socket; True when answered."""
    req, txid = binding_request()
    sock.settimeout(timeout)
    sock.sendall(req)
    data = b''
    deadline = time.monotonic() + timeout
    while len(data) < 20 and time.monotonic() < deadline:
        chunk = sock.recv(2048)
        if not chunk:
            return False
        data += chunk
    return len(data) >= 20 and data[8:20] == txid and data[0:2] == b'\x01\x01'


def tcp_binding(ip, port, timeout=5.0, source=None):
    try:
        with socket.create_connection((ip, port), timeout=timeout,
                                      source_address=(source, 0) if source else None) as s:
            return binding_over_stream(s, timeout)
    except OSError:
        return False


def tls_binding(ip, port, timeout=5.0, source=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((ip, port), timeout=timeout,
                                      source_address=(source, 0) if source else None) as raw:
            with ctx.wrap_socket(raw, server_hostname='localhost') as s:
                return binding_over_stream(s, timeout)
    except (OSError, ssl.SSLError):
        return False


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


class Server:
    """tools/nav-server with @args, on 127.0.0.1, stopped with SIGTERM."""

    def __init__(self, nav_server, args, port, preexec=None, log_path=None):
        self.port = port
        self.log = open(log_path or os.devnull, 'w+')
        argv = [nav_server, '--listening-ip=127.0.0.1', '--listening-port=%d' % port] + args
        log('starting: ' + ' '.join(argv))
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=preexec)
        deadline = time.monotonic() + 20 * TIME_SCALE
        while binding_rtt('127.0.0.1', port, 0.2) is None:
            if self.proc.poll() is not None:
                self.dump_log()
                fail('nav-server exited with %d' % self.proc.returncode)
            if time.monotonic() > deadline:
                self.stop()
                fail('nav-server does not answer')

    @property
    def pid(self):
        return self.proc.pid

    def counters(self):
        """The counters, as the server prints them on SIGUSR1."""
        self.log.seek(0, os.SEEK_END)
        start = self.log.tell()
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10 * TIME_SCALE
        while time.monotonic() < deadline:
            self.log.seek(start)
            for line in self.log.read().splitlines():
                if 'event=stats when=SIGUSR1' in line:
                    return {k: int(v) for k, v in
                            (kv.split('=', 1) for kv in line.split('when=SIGUSR1', 1)[1].split())
                            if v.isdigit()}
            time.sleep(0.05)
        fail('the server printed no counters on SIGUSR1')

    def dump_log(self):
        self.log.seek(0)
        for line in self.log.read().splitlines()[-40:]:
            print('# server: ' + line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20 * TIME_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Prober(threading.Thread):
    """The legitimate client: a Binding over UDP every 20 ms."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.running = True
        self.worst = 0.0
        self.rtts = []
        self.count = 0
        self.lost = 0

    def run(self):
        while self.running:
            rtt = binding_rtt('127.0.0.1', self.port, WORST_BOUND_MS / 1000.0 * 2)
            if rtt is None:
                self.lost += 1
            else:
                self.count += 1
                self.rtts.append(rtt)
                self.worst = max(self.worst, rtt)
            time.sleep(0.02)

    def finish(self, what):
        self.running = False
        self.join()
        ordered = sorted(self.rtts)
        # One answer in twenty may be late, and at least one.
        p95 = ordered[max(0, len(ordered) - 1 - max(1, len(ordered) // 20))] if ordered else 0.0
        log('%s: %d Binding requests answered, %d unanswered, 95th percentile %.1f ms '
            '(bound %.0f ms), worst %.1f ms (bound %.0f ms)'
            % (what, self.count, self.lost, p95, LATENCY_BOUND_MS, self.worst, WORST_BOUND_MS))
        if self.count == 0 or self.lost > 0:
            fail('%s: the server stopped answering Binding over UDP' % what)
        if p95 > LATENCY_BOUND_MS:
            fail('%s: one Binding in twenty took %.1f ms or more, more than %.0f ms'
                 % (what, p95, LATENCY_BOUND_MS))
        if self.worst > WORST_BOUND_MS:
            fail('%s: a Binding took %.1f ms, more than %.0f ms' % (what, self.worst, WORST_BOUND_MS))


def check_rss_back(server, baseline, what, settle=10.0):
    """Waits (bounded) for the server's RSS to come back near @baseline."""
    deadline = time.monotonic() + settle * TIME_SCALE
    limit = baseline * (1 + RSS_MARGIN)
    rss = rss_kb(server.pid)
    while rss > limit and time.monotonic() < deadline:
        time.sleep(0.2)
        rss = rss_kb(server.pid)
    log('%s: RSS %d kB, baseline %d kB (limit %d kB)' % (what, rss, baseline, limit))
    if rss > limit:
        fail('%s: RSS stayed at %d kB, above %d kB (baseline %d kB + 20 %%)'
             % (what, rss, limit, baseline))


def settle_baseline(server, warm_up):
    """RSS once the server has served every kind of client once."""
    warm_up()
    time.sleep(0.5)
    return rss_kb(server.pid)


# A minimal STUN codec (RFC 8489), enough to speak the long-term
# credential mechanism from a test without the project's own code.

ATTR_MAPPED = 0x0001
ATTR_USERNAME = 0x0006
ATTR_MESSAGE_INTEGRITY = 0x0008
ATTR_ERROR_CODE = 0x0009
ATTR_LIFETIME = 0x000D
ATTR_XOR_PEER_ADDRESS = 0x0012
ATTR_DATA = 0x0013
ATTR_REALM = 0x0014
ATTR_NONCE = 0x0015
ATTR_XOR_RELAYED_ADDRESS = 0x0016
ATTR_REQUESTED_TRANSPORT = 0x0019
ATTR_FINGERPRINT = 0x8028

ALLOCATE = 0x0003
REFRESH = 0x0004
SEND_INDICATION = 0x0016
CREATE_PERMISSION = 0x0008


def _attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack('!HH', kind, len(value)) + value + b'\0' * pad


def xor_address(ip, port):
    x_port = port ^ (MAGIC >> 16)
    x_ip = struct.unpack('!I', socket.inet_aton(ip))[0] ^ MAGIC
    return struct.pack('!BBHI', 0, 1, x_port, x_ip)


def build(msg_type, attrs, key=None, txid=None):
    """A message of @msg_type with @attrs ((type, bytes) pairs), signed
    with @key (MESSAGE-INTEGRITY, HMAC-SHA1) when given, with FINGERPRINT."""
    import hmac
    import zlib
    txid = txid or os.urandom(12)
    body = b''.join(_attr(k, v) for k, v in attrs)
    if key is not None:
        head = struct.pack('!HHI', msg_type, len(body) + 24, MAGIC) + txid
        mac = hmac.new(key, head + body, 'sha1').digest()
        body += _attr(ATTR_MESSAGE_INTEGRITY, mac)
    head = struct.pack('!HHI', msg_type, len(body) + 8, MAGIC) + txid
    crc = (zlib.crc32(head + body) & 0xFFFFFFFF) ^ 0x5354554E
    body += _attr(ATTR_FINGERPRINT, struct.pack('!I', crc))
    return struct.pack('!HHI', msg_type, len(body), MAGIC) + txid + body


def parse(data):
    """(type, {attribute: value}) of a message."""
    msg_type, length = struct.unpack('!HH', data[:4])
    attrs = {}
    off = 20
    while off + 4 <= 20 + length:
        kind, alen = struct.unpack('!HH', data[off:off + 4])
        attrs.setdefault(kind, data[off + 4:off + 4 + alen])
        off += 4 + alen + (4 - alen % 4) % 4
    return msg_type, attrs


def error_code(attrs):
    v = attrs.get(ATTR_ERROR_CODE)
    return None if v is None else (v[2] & 7) * 100 + v[3]


def long_term_key(user, realm, password):
    import hashlib
    return hashlib.md5(('%s:%s:%s' % (user, realm, password)).encode()).digest()


def exchange(sock, message, addr=None, timeout=2.0):
    """Sends @message, returns the parsed answer of the same transaction."""
    sock.settimeout(timeout)
    if addr is None:
        sock.sendall(message)
    else:
        sock.sendto(message, addr)
    while True:
        data = sock.recv(4096)
        if data[8:20] == message[8:20]:
            return parse(data)
