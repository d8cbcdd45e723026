#!/usr/bin/python3
# aiortc-peer.py: an aiortc peer (Debian's python3-aiortc, used through
# its own API) driven by JSON lines on standard input, for the interop
# tests and bench/datachannel-bench.  The protocol is in peers.md beside
# this file.
#
# aioice gathers only non-loopback interface addresses; with "loopback"
# the peer points it at 127.0.0.1, as tests/interop/test-aioice.py does,
# so that the test does not depend on the machine's interfaces.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import hashlib
import json
import resource
import sys
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp


def now_ns():
    return time.monotonic_ns()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def event(event_name, **kw):
    emit({"event": event_name, "t": now_ns(), **kw})


def pattern_byte(i, seed):
    return (i * 31 + seed * 7 + (i >> 8)) & 0xFF


def pattern(length, seed, text):
    data = bytes(pattern_byte(i, seed) for i in range(length))
    if text:
        return "".join(chr(97 + b % 26) for b in data)
    return data


class Chan:
    def __init__(self, peer, channel):
        self.peer = peer
        self.channel = channel
        self.label = channel.label
        self.pending = []
        self.sink = None
        self.bulk = None
        self.open_reported = False
        channel.bufferedAmountLowThreshold = 1024 * 1024
        channel.on("open", self.on_open)
        channel.on("close", lambda: event("close", label=self.label))
        channel.on("message", self.on_message)
        channel.on("bufferedamountlow", self.on_low)

    def report_open(self):
        if self.open_reported:
            return
        self.open_reported = True
        # aiortc announces a=max-message-size:65536 and sends what it is
        # given: 65536 both ways.
        event("open", label=self.label, id=self.channel.id, maxMessageSize=65536)

    def on_open(self):
        self.report_open()
        self.drain()
        if self.bulk:
            self.bulk_pump()

    def on_low(self):
        self.drain()
        if self.bulk:
            self.bulk_pump()

    def drain(self):
        while self.pending and self.channel.readyState == "open":
            self.channel.send(self.pending.pop(0))

    def on_message(self, message):
        text = isinstance(message, str)
        data = message.encode() if text else message
        if self.sink is not None:
            s = self.sink
            if s["messages"] == 0:
                s["first"] = now_ns()
            if not text and data and data[0] != pattern_byte(0, s["messages"]):
                s["ok"] = False
            s["messages"] += 1
            s["bytes"] += len(data)
            if s["bytes"] >= s["total"]:
                self.sink = None
                event("sink-done", label=self.label, bytes=s["bytes"], messages=s["messages"],
                      first=s["first"], ok=s["ok"])
            return
        event("message", label=self.label, kind="text" if text else "binary", size=len(data),
              digest=hashlib.sha256(data).hexdigest())

    def bulk_pump(self):
        b = self.bulk
        while (b["sent"] < b["total"] and self.channel.readyState == "open"
               and self.channel.bufferedAmount < 4 * 1024 * 1024):
            n = min(b["size"], b["total"] - b["sent"])
            self.channel.send(pattern(n, b["index"], False))
            b["sent"] += n
            b["index"] += 1
        if b["sent"] >= b["total"] and not b["reported"]:
            b["reported"] = True
            event("bulk-queued", label=self.label, start=b["start"])


class Peer:
    def __init__(self):
        self.pc = None
        self.channels = {}

    async def send_local(self):
        # aiortc gathers every candidate before the description is set: no
        # trickle, the candidates are in the SDP.
        d = self.pc.localDescription
        emit({"type": d.type, "sdp": d.sdp})
        emit({"type": "candidate", "candidate": None, "mid": "0"})

    async def command(self, o):
        t = o.get("type")
        if t in ("offer", "answer"):
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=o["sdp"], type=t))
            if t == "offer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self.send_local()
            return
        if t == "candidate":
            c = o.get("candidate")
            if c:
                cand = candidate_from_sdp(c.split(":", 1)[1] if c.startswith("candidate:") else c)
                cand.sdpMid = o.get("mid")
                await self.pc.addIceCandidate(cand)
            return
        cmd = o.get("cmd")
        if cmd == "init":
            if o.get("loopback", True):
                aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
            self.pc = RTCPeerConnection()

            @self.pc.on("datachannel")
            def on_datachannel(channel):
                c = Chan(self, channel)
                self.channels[c.label] = c
                event("channel", label=c.label, id=channel.id, protocol=channel.protocol,
                      ordered=channel.ordered, maxRetransmits=channel.maxRetransmits,
                      maxPacketLifeTime=channel.maxPacketLifeTime,
                      negotiated=channel.negotiated)
                if channel.readyState == "open":
                    c.report_open()
        elif cmd == "offer":
            await self.pc.setLocalDescription(await self.pc.createOffer())
            await self.send_local()
        elif cmd == "create":
            kw = {"ordered": o.get("ordered", True), "protocol": o.get("protocol") or ""}
            if o.get("maxRetransmits") is not None:
                kw["maxRetransmits"] = o["maxRetransmits"]
            if o.get("maxPacketLifeTime") is not None:
                kw["maxPacketLifeTime"] = o["maxPacketLifeTime"]
            if o.get("negotiated"):
                kw["negotiated"] = True
                kw["id"] = o["id"]
            c = Chan(self, self.pc.createDataChannel(o["label"], **kw))
            self.channels[c.label] = c
            if c.channel.readyState == "open":
                c.report_open()
        elif cmd == "send":
            c = self.channels[o["label"]]
            for i in range(o.get("count", 1)):
                c.pending.append(pattern(o["size"], o.get("seed", 0) + i, o.get("kind") == "text"))
            c.drain()
        elif cmd == "sink":
            self.channels[o["label"]].sink = {"total": o["total"], "bytes": 0, "messages": 0,
                                              "first": 0, "ok": True}
            event("sink-ready", label=o["label"])
        elif cmd == "bulk":
            c = self.channels[o["label"]]
            c.bulk = {"total": o["total"], "size": o.get("size", 65536), "sent": 0, "index": 0,
                      "start": now_ns(), "reported": False}
            c.bulk_pump()
        elif cmd == "close":
            self.channels[o["label"]].channel.close()
        elif cmd == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            event("cpu", cpu_us=int((usage.ru_utime + usage.ru_stime) * 1e6))
        elif cmd == "exit":
            if self.pc:
                await self.pc.close()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            event("bye", cpu_us=int((usage.ru_utime + usage.ru_stime) * 1e6))
            raise SystemExit(0)


async def main():
    peer = Peer()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    event("ready", name="aiortc")
    while True:
        line = await reader.readline()
        if not line:
            break
        try:
            await peer.command(json.loads(line))
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001 - reported to the driver
            event("error", what="command", message=repr(e))


if __name__ == "__main__":
    asyncio.run(main())
