"""Helpers of the operator tests (tests/ops): ports, nav-server, HTTP.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

# fail(), free_port() and binding_rtt() of the TURN attack tests
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'turn'))
from attack_util import binding_rtt, fail  # noqa: E402,F401
from attack_util import free_port as free_udp_tcp_port  # noqa: E402

IP = '127.0.0.1'
SCALE = float(os.environ.get('NAV_TEST_TIME_SCALE', '1'))


def free_port():
    """A port free for TCP and UDP (the servers take both)."""
    return free_udp_tcp_port()


def options(*names):
    """The scripts' arguments: each --NAME required."""
    ap = argparse.ArgumentParser()
    for name in names:
        ap.add_argument('--' + name, required=True)
    return ap.parse_args()


def get(port, path):
    c = http.client.HTTPConnection(IP, port, timeout=10)
    c.request('GET', path)
    r = c.getresponse()
    body = r.read().decode('utf-8', 'replace')
    c.close()
    return r.status, body


def stats(port):
    status, body = get(port, '/stats')
    if status != 200:
        fail('/stats: %d' % status)
    return json.loads(body)


def metrics(port):
    """Returns ({name: value}, {name: type}) of /metrics."""
    status, body = get(port, '/metrics')
    if status != 200:
        fail('/metrics: %d' % status)
    values, types = {}, {}
    for line in body.splitlines():
        m = re.fullmatch(r'# TYPE (\S+) (counter|gauge)', line)
        if m:
            types[m.group(1)] = m.group(2)
            continue
        if line.startswith('#'):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*) (\d+)', line)
        if m is None:
            fail('/metrics: not Prometheus text: %r' % line)
        values[m.group(1)] = int(m.group(2))
    return values, types


class Server:
    """nav-server with its log in a temporary file."""

    def __init__(self, binary, args, env=None):
        self.log = tempfile.TemporaryFile(mode='w+')
        self.argv = [binary] + args
        print('# starting: ' + ' '.join(self.argv))
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)

    def wait_http(self, port):
        deadline = time.monotonic() + 20 * SCALE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail('nav-server exited early with status %d:\n%s' % (self.proc.returncode, self.text()))
            try:
                return get(port, '/health')
            except OSError:
                time.sleep(0.1)
        fail('the stats endpoint never answered')

    def text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait_line(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            for line in self.text().splitlines():
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        fail('no log line matches %r; the log:\n%s' % (pattern, self.text()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20 * SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail('nav-server did not stop on SIGTERM')
        return self.proc.returncode
