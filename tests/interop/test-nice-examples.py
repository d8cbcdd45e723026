#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libnice-style example programs (tests/interop/nice-examples: simple,
# threaded, SDP), each built against the real libnice and against
# NetAvanue's netavanue-nice-1.0, talk to each other as two people would
# run them: each prints the line to give the other peer, this script
# hands it over on the other's stdin, both say the negotiation is
# complete, a line typed on each side comes out on the other, and the end
# of one side's input (one NUL byte on the wire) makes both quit.
#
#   test-nice-examples.py NICE_BUILD NAV_BUILD CASE
#
# CASE names who is controlling: nav-nav and nice-nice (a build with
# itself; nice-nice proves the harness on libnice alone), nav-controlling
# and nice-controlling (one build of each).

import subprocess
import sys
import threading
import time

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion


def fail(message, peers=()):
    for peer in peers:
        print("--- %s stdout:\n%s\n--- %s stderr:\n%s" % (peer.name, peer.text(), peer.name,
                                                        peer.errors()), file=sys.stderr)
    print("FAIL: " + message, file=sys.stderr)
    for peer in peers:
        peer.kill()
    sys.exit(1)


class Peer:
    def __init__(self, name, program, controlling):
        self.name = name
        self.proc = subprocess.Popen([program, "1" if controlling else "0"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.out = []
        self.err = []
        self.lock = threading.Lock()
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()

    def _read(self, stream, sink):
        while True:
            chunk = stream.read(1)
            if not chunk:
                return
            with self.lock:
                sink.append(chunk)

    def text(self):
        with self.lock:
            return "".join(self.out)

    def errors(self):
        with self.lock:
            return "".join(self.err)

    def wait_for(self, what, peers):
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while what not in self.text():
            if self.proc.poll() is not None and what not in self.text():
                fail("%s exited (%s) before printing %r" % (self.name, self.proc.returncode,
                                                            what), peers)
            if time.monotonic() > deadline:
                fail("%s did not print %r" % (self.name, what), peers)
            time.sleep(0.01)

    def local_line(self, peers):
        marker = "Give the other peer this line:\n\n  "
        self.wait_for(marker, peers)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            rest = self.text().split(marker, 1)[1]
            if "\n" in rest:
                return rest.split("\n", 1)[0]
            if time.monotonic() > deadline:
                fail("%s printed no whole line" % self.name, peers)
            time.sleep(0.01)

    def type(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def end_input(self):
        self.proc.stdin.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()


def main():
    nice_build, nav_build, case = sys.argv[1:4]
    builds = {
        "nav-nav": (("NetAvanue A", nav_build), ("NetAvanue B", nav_build)),
        "nice-nice": (("libnice A", nice_build), ("libnice B", nice_build)),
        "nav-controlling": (("NetAvanue", nav_build), ("libnice", nice_build)),
        "nice-controlling": (("libnice", nice_build), ("NetAvanue", nav_build)),
    }[case]
    a = Peer(builds[0][0] + " (controlling)", builds[0][1], True)
    b = Peer(builds[1][0] + " (controlled)", builds[1][1], False)
    peers = (a, b)

    line_a = a.local_line(peers)
    line_b = b.local_line(peers)
    print("%s: %s\n%s: %s" % (a.name, line_a, b.name, line_b))
    b.type(line_a)
    a.type(line_b)
    for peer in peers:
        peer.wait_for("Negotiation complete", peers)
        peer.wait_for("chat> ", peers)

    a.type("hello from the controlling side")
    b.type("hello from the controlled side")
    b.wait_for("hello from the controlling side\n", peers)
    a.wait_for("hello from the controlled side\n", peers)

    # The end of A's input: A sends one NUL byte and quits; B quits on it.
    a.end_input()
    for peer in (a, b):
        try:
            peer.proc.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            fail("%s did not quit" % peer.name, peers)
    b.end_input()
    for peer in peers:
        if peer.proc.returncode != 0:
            fail("%s exited with %d" % (peer.name, peer.proc.returncode), peers)
    for peer in peers:
        print("--- %s:\n%s" % (peer.name, peer.text()))
    print("OK")


if __name__ == "__main__":
    main()
