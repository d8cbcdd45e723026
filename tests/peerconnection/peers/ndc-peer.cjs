// ndc-peer.cjs: a libdatachannel peer (the npm package node-datachannel,
// used through its own API) driven by JSON lines on standard input, for
// the interop tests and bench/datachannel-bench.  The protocol is in
// peers.md beside this file.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
'use strict';

const crypto = require('crypto');
const readline = require('readline');
const ndc = require('node-datachannel');

const nowNs = () => Number(process.hrtime.bigint());
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const event = (name, o = {}) => emit({ event: name, t: nowNs(), ...o });

function patternByte(i, seed) {
  return (i * 31 + seed * 7 + (i >> 8)) & 0xff;
}

function pattern(len, seed, text) {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) {
    const v = patternByte(i, seed);
    b[i] = text ? 97 + (v % 26) : v;
  }
  return text ? b.toString('latin1') : b;
}

let pc = null;
const channels = new Map();
const early = [];

function track(dc, label) {
  const c = { dc, label, pending: [], sink: null, bulk: null, openReported: false };
  channels.set(label, c);
  dc.setBufferedAmountLowThreshold(1024 * 1024);
  dc.onOpen(() => {
    reportOpen(c);
    drain(c);
    if (c.bulk) bulkPump(c);
  });
  dc.onClosed(() => event('close', { label }));
  dc.onError((err) => event('error', { what: 'channel ' + label, message: String(err) }));
  dc.onBufferedAmountLow(() => {
    drain(c);
    if (c.bulk) bulkPump(c);
  });
  dc.onMessage((msg) => received(c, msg));
  return c;
}

function reportOpen(c) {
  if (c.openReported) return;
  c.openReported = true;
  event('open', { label: c.label, id: c.dc.getId(), maxMessageSize: c.dc.maxMessageSize() });
}

function drain(c) {
  while (c.pending.length > 0 && c.dc.isOpen()) {
    const m = c.pending.shift();
    if (typeof m === 'string') c.dc.sendMessage(m);
    else c.dc.sendMessageBinary(m);
  }
}

function received(c, msg) {
  const text = typeof msg === 'string';
  const buf = text ? Buffer.from(msg, 'utf8') : Buffer.from(msg);
  if (c.sink) {
    const s = c.sink;
    if (s.messages === 0) s.first = nowNs();
    if (!text && buf.length > 0 && buf[0] !== patternByte(0, s.messages)) s.ok = false;
    s.messages++;
    s.bytes += buf.length;
    if (s.bytes >= s.total) {
      c.sink = null;
      event('sink-done', { label: c.label, bytes: s.bytes, messages: s.messages, first: s.first, ok: s.ok });
    }
    return;
  }
  event('message', {
    label: c.label, kind: text ? 'text' : 'binary', size: buf.length,
    digest: crypto.createHash('sha256').update(buf).digest('hex'),
  });
}

function bulkPump(c) {
  const b = c.bulk;
  while (b.sent < b.total && c.dc.isOpen() && c.dc.bufferedAmount() < 4 * 1024 * 1024) {
    const n = Math.min(b.size, b.total - b.sent);
    c.dc.sendMessageBinary(pattern(n, b.index, false));
    b.sent += n;
    b.index++;
  }
  if (b.sent >= b.total && !b.reported) {
    b.reported = true;
    event('bulk-queued', { label: c.label, start: b.start });
  }
}

function command(o) {
  if (o.type === 'offer' || o.type === 'answer') {
    pc.setRemoteDescription(o.sdp, o.type);
    for (const [cand, mid] of early.splice(0)) pc.addRemoteCandidate(cand, mid);
    return;
  }
  if (o.type === 'candidate') {
    if (o.candidate === null) return;   // libdatachannel needs no end of candidates
    if (pc.remoteDescription() === null) early.push([o.candidate, o.mid]);
    else pc.addRemoteCandidate(o.candidate, o.mid);
    return;
  }
  switch (o.cmd) {
    case 'init': {
      const config = { iceServers: [] };
      if (o.loopback !== false) config.bindAddress = '127.0.0.1';
      pc = new ndc.PeerConnection('peer', config);
      pc.onLocalDescription((sdp, type) => emit({ type, sdp }));
      pc.onLocalCandidate((candidate, mid) => emit({ type: 'candidate', candidate, mid }));
      pc.onGatheringStateChange((state) => {
        if (state === 'complete') emit({ type: 'candidate', candidate: null, mid: '0' });
      });
      pc.onDataChannel((dc) => {
        const label = dc.getLabel();
        const c = track(dc, label);
        event('channel', {
          label, id: dc.getId(), protocol: dc.getProtocol(),
          // node-datachannel does not say the reliability of a channel it
          // did not make.
          ordered: null, maxRetransmits: null, maxPacketLifeTime: null, negotiated: false,
        });
        if (dc.isOpen()) reportOpen(c);
      });
      break;
    }
    case 'offer':
      pc.setLocalDescription('offer');
      break;
    case 'create': {
      const init = {};
      if (o.ordered === false) init.unordered = true;
      if (o.maxRetransmits !== undefined && o.maxRetransmits !== null) init.maxRetransmits = o.maxRetransmits;
      if (o.maxPacketLifeTime !== undefined && o.maxPacketLifeTime !== null) init.maxPacketLifeTime = o.maxPacketLifeTime;
      if (o.protocol) init.protocol = o.protocol;
      if (o.negotiated) { init.negotiated = true; init.id = o.id; }
      const c = track(pc.createDataChannel(o.label, init), o.label);
      if (c.dc.isOpen()) reportOpen(c);
      break;
    }
    case 'send': {
      const c = channels.get(o.label);
      for (let i = 0; i < (o.count || 1); i++) c.pending.push(pattern(o.size, (o.seed || 0) + i, o.kind === 'text'));
      drain(c);
      break;
    }
    case 'sink':
      channels.get(o.label).sink = { total: o.total, bytes: 0, messages: 0, first: 0, ok: true };
      event('sink-ready', { label: o.label });
      break;
    case 'bulk': {
      const c = channels.get(o.label);
      c.bulk = { total: o.total, size: o.size || 65536, sent: 0, index: 0, start: nowNs(), reported: false };
      bulkPump(c);
      break;
    }
    case 'close':
      channels.get(o.label).dc.close();
      break;
    case 'cpu': {
      const usage = process.cpuUsage();
      event('cpu', { cpu_us: usage.user + usage.system });
      break;
    }
    case 'exit': {
      const usage = process.cpuUsage();
      if (pc) pc.close();
      event('bye', { cpu_us: usage.user + usage.system });
      ndc.cleanup();
      process.exit(0);
    }
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    command(JSON.parse(line));
  } catch (e) {
    event('error', { what: 'command', message: String(e && e.stack || e) });
  }
}).on('close', () => process.exit(0));

event('ready', { name: 'libdatachannel ' + ndc.getLibraryVersion() });
