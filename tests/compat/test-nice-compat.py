#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One libnice-API program (nice-peer.c), built against the real libnice
# and against NetAvanue's compatibility headers, connects to itself: the
# two builds exchange SDP through this script and say hello both ways.
#
#   test-nice-compat.py NICE-BUILD NAV-BUILD nav-controlling|nav-controlled

import subprocess
import sys

TIMEOUT_SECONDS = 30  # a failure guard, never a timing assertion


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def read_sdp(proc, name):
    # The peer exits by itself after 30 s without progress, so a blocking
    # read always ends.
    lines = []
    started = False
    while True:
        line = proc.stdout.readline()
        if not line:
            fail(name + " exited: " + proc.stderr.read())
        if line == "SDP\n":
            started = True
        elif started and line == ".\n":
            return "".join(lines)
        elif started:
            lines.append(line)


def main():
    nice_build, nav_build, case = sys.argv[1:4]
    nav_role = "controlling" if case == "nav-controlling" else "controlled"
    nice_role = "controlled" if nav_role == "controlling" else "controlling"
    nav = subprocess.Popen([nav_build, "netavanue", nav_role], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    nice = subprocess.Popen([nice_build, "libnice", nice_role], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        nav_sdp = read_sdp(nav, "the NetAvanue build")
        nice_sdp = read_sdp(nice, "the libnice build")
        print("NetAvanue build SDP:\n" + nav_sdp + "libnice build SDP:\n" + nice_sdp)
        nav.stdin.write("SDP\n" + nice_sdp + ".\n")
        nav.stdin.flush()
        nice.stdin.write("SDP\n" + nav_sdp + ".\n")
        nice.stdin.flush()
        out_nice, err_nice = nice.communicate(timeout=TIMEOUT_SECONDS)
        out_nav, err_nav = nav.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        nav.kill()
        nice.kill()
        fail("timed out")
    print(out_nav + out_nice)
    print("NetAvanue build stderr:\n" + err_nav + "libnice build stderr:\n" + err_nice)
    if nav.returncode != 0:
        fail("the NetAvanue build failed: " + err_nav)
    if nice.returncode != 0:
        fail("the libnice build failed: " + err_nice)
    if "GOT hello from libnice" not in out_nav:
        fail("the NetAvanue build did not hear libnice")
    if "GOT hello from netavanue" not in out_nice:
        fail("the libnice build did not hear NetAvanue")
    # nice_agent_set_stream_tos() read back from the selected socket, and
    # nice_agent_close_async() calling back, in both builds.
    for name, out in (("NetAvanue", out_nav), ("libnice", out_nice)):
        if "TOS 136\n" not in out:
            fail("the %s build's selected socket lacks the stream's TOS" % name)
        if "CLOSED\n" not in out:
            fail("the %s build's close_async() did not call back" % name)
    print("OK")


if __name__ == "__main__":
    main()
