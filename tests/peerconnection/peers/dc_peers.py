# dc_peers.py: drives two data channel peers of any kind (NetAvanue's
# dc-peer, libdatachannel's through node-datachannel, aiortc, headless
# Chromium) through the JSON-line protocol of peers.md: starts them,
# relays their signaling, and waits for their events.  The interop tests
# (test_datachannel_interop.py) and bench/datachannel-bench use it.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DATACHANNEL = "node-datachannel@0.33.4"
KINDS = ("netavanue", "libdatachannel", "aiortc", "chromium")


def time_scale():
    try:
        return max(1, int(os.environ.get("NAV_TEST_TIME_SCALE", "1")))
    except ValueError:
        return 1


def pattern(length, seed, text):
    """The content every peer generates (peers.md)."""
    data = bytes(((i * 31 + seed * 7 + (i >> 8)) & 0xFF) for i in range(length))
    if text:
        return bytes(97 + b % 26 for b in data)
    return data


def digest(length, seed, text):
    return hashlib.sha256(pattern(length, seed, text)).hexdigest()


def node_modules():
    """node-datachannel, installed with npm into the user's cache (never
    into the source tree), once.  The package bundles libdatachannel."""
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "netavanue", "datachannel-peers")
    stamp = os.path.join(cache, "node_modules", "node-datachannel", "package.json")
    if not os.path.exists(stamp):
        os.makedirs(cache, exist_ok=True)
        # Tests run in parallel: one installs, the others wait for it.
        with open(os.path.join(cache, ".install-lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(stamp):
                print(f"installing {NODE_DATACHANNEL} into {cache} (npm)", file=sys.stderr)
                subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund",
                                "--loglevel=error", NODE_DATACHANNEL], check=True,
                               stdout=sys.stderr, timeout=600)
    return os.path.join(cache, "node_modules")


def child_env():
    """dc-peer is instrumented itself when this interpreter runs under a
    sanitizer's LD_PRELOAD (the ASan build's Python tests): drop the
    preload, give it back its leak checks."""
    env = dict(os.environ)
    if "LD_PRELOAD" in env and "asan" in env["LD_PRELOAD"]:
        del env["LD_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0"
        supp = os.path.join(env.get("NAV_SOURCE_ROOT", "."), "tests", "lsan.supp")
        env["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % supp
    return env


def peer_command(kind):
    """The command line and environment of a peer of @kind."""
    env = child_env() if kind == "netavanue" else dict(os.environ)
    if "LD_PRELOAD" in env and "asan" in env["LD_PRELOAD"]:
        del env["LD_PRELOAD"]       # not ours: Node, Chromium, aiortc's Python
    if kind == "netavanue":
        build = os.environ.get("NAV_BUILD_ROOT")
        if not build:
            raise RuntimeError("NAV_BUILD_ROOT is not set (run through meson test or devenv)")
        return [os.path.join(build, "tests", "peerconnection", "dc-peer")], env
    if kind == "libdatachannel":
        env["NODE_PATH"] = node_modules()
        return ["node", os.path.join(HERE, "ndc-peer.cjs")], env
    if kind == "aiortc":
        return ["/usr/bin/python3", os.path.join(HERE, "aiortc-peer.py")], env
    if kind == "chromium":
        chromium = os.environ.get("NAV_CHROMIUM", "/usr/bin/chromium")
        if not os.path.exists(chromium):
            raise RuntimeError(f"{chromium} is missing: run tools/setup.sh")
        return ["node", os.path.join(HERE, "browser-bridge.cjs")], env
    raise ValueError(kind)


class PeerError(Exception):
    pass


class Peer:
    def __init__(self, kind, name=None):
        self.kind = kind
        self.name = name or kind
        self.proc = None
        self.events = []
        self.cond = asyncio.Condition()
        self.other = None
        self.stderr = tempfile.TemporaryFile()
        self.errors = []
        self.closed = False
        self.exit_status = None

    async def start(self):
        argv, env = peer_command(self.kind)
        self.proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=self.stderr, env=env, limit=16 * 1024 * 1024)
        self.reader = asyncio.create_task(self._read())
        ready = await self.wait("ready", timeout=30)
        self.version = ready.get("name", self.kind)

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if "type" in o and self.other is not None:
                # Signaling: straight to the other peer.
                self.other.send(o)
                continue
            if o.get("event") == "error":
                self.errors.append(o)
            async with self.cond:
                self.events.append(o)
                self.cond.notify_all()
        async with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, o):
        self.proc.stdin.write((json.dumps(o) + "\n").encode())

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-4000:]

    async def wait(self, name, timeout=20, **match):
        """The first event @name (with the members @match) not taken yet,
        taken."""
        def find():
            for i, o in enumerate(self.events):
                if o.get("event") == name and all(o.get(k) == v for k, v in match.items()):
                    return self.events.pop(i)
            return None

        async def waiting():
            async with self.cond:
                while True:
                    if self.errors:
                        raise PeerError(f"{self.name}: {self.errors[0]}")
                    o = find()
                    if o is not None:
                        return o
                    if self.closed:
                        raise PeerError(f"{self.name} exited waiting for {name} {match}:\n"
                                        + self.stderr_text())
                    await self.cond.wait()

        try:
            return await asyncio.wait_for(waiting(), timeout * time_scale())
        except asyncio.TimeoutError:
            raise PeerError(f"{self.name}: no {name} {match} after {timeout * time_scale()} s; "
                            f"pending events {self.events[-5:]}\n" + self.stderr_text()) from None

    async def wait_many(self, name, count, timeout=20, **match):
        return [await self.wait(name, timeout=timeout, **match) for _ in range(count)]

    async def stop(self):
        """Exits the peer; its last words (CPU time) or None."""
        if self.proc is None or self.proc.returncode is not None:
            return None
        bye = None
        try:
            self.send({"cmd": "exit"})
            bye = await self.wait("bye", timeout=10)
        except (PeerError, ConnectionError, BrokenPipeError):
            pass
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()
        self.exit_status = self.proc.returncode
        return bye


async def pair(kind_a, kind_b, loopback=True):
    """Two started peers whose signaling goes to each other."""
    a, b = Peer(kind_a, kind_a + "(a)"), Peer(kind_b, kind_b + "(b)")
    await asyncio.gather(a.start(), b.start())
    a.other, b.other = b, a
    for p in (a, b):
        p.send({"cmd": "init", "loopback": loopback})
    return a, b


def which(program):
    return shutil.which(program) is not None
