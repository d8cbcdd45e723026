// signaling-load.cjs: an independent load generator for nav-server
// --signaling, written against Node's `ws` package (not the project's
// code): many WebSocket clients in rooms of two, each pair running an
// offer, an answer, two candidates each way and end-of-candidates each
// way (8 forwarded messages) every --interval.  Driven by
// bench/signaling-bench --generator=node, which installs `ws` into a
// cache directory and reads this script's JSON lines on standard output:
//   {"event":"ready",...}   every client connected and joined; then it
//                           waits for a line on standard input
//   {"event":"start"}       the measured window begins
//   {"event":"end",...}     the window ended: counts and latencies
// Latency is client → server → client, both clients in this process: each
// message carries its send time (monotonic, microseconds).
//
// SPDX-License-Identifier: LGPL-2.1-or-later
'use strict';

const WebSocket = require('ws');

const args = {};
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m) args[m[1]] = m[2];
}
const url = args.url;
const nClients = parseInt(args.clients || '10000', 10) & ~1;
const seconds = parseFloat(args.seconds || '10');
const interval = parseFloat(args.interval || '2000');
const windowSize = parseInt(args.window || '256', 10);
const nAddresses = parseInt(args.addresses || '200', 10);
const first = parseInt(args.first || '0', 10);

const OFFER_SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' +
  'a=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n' +
  'a=ice-ufrag:Yx3k\r\na=ice-pwd:r6Zq1ryAhQWZ8ISnTyg0Kydf\r\na=ice-options:trickle\r\n' +
  'a=fingerprint:sha-256 7A:3C:A0:8F:51:E5:0C:5F:1D:4A:8E:60:21:41:A6:01:2F:56:9B:10:3E:4B:55:C4:5A:37:CD:8E:43:0A:BC:E9\r\n' +
  'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n';
const CANDIDATE = 'candidate:842163049 1 udp 1677729535 192.0.2.10 46154 typ srflx raddr 10.0.0.2 rport 46154';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const clients = [];
let connected = 0, failed = 0, joined = 0, closed = 0, errors = 0;
let measuring = false, received = 0;
const latencies = [];

function send(c, type, member, value) {
  if (c.ws.readyState !== WebSocket.OPEN) return;
  const m = { v: 1, type, to: c.partner.id, ts: nowUs() };
  if (member) m[member] = value;
  c.ws.send(JSON.stringify(m));
}

function onMessage(c, data) {
  const m = JSON.parse(data);
  if (m.ts !== undefined && measuring) {
    latencies.push(nowUs() - m.ts);
    received++;
  }
  switch (m.type) {
    case 'welcome':
      c.id = m.peer;
      connected++;
      break;
    case 'joined':
      joined++;
      break;
    case 'offer':
      // The answerer answers and trickles its candidates.
      send(c, 'answer', 'sdp', OFFER_SDP);
      send(c, 'candidate', 'candidate', CANDIDATE);
      send(c, 'candidate', 'candidate', CANDIDATE);
      send(c, 'end-of-candidates');
      break;
    case 'error':
      if (errors++ < 5) process.stderr.write(`client ${c.index}: ${data}\n`);
      break;
  }
}

function connect(i) {
  return new Promise((resolve) => {
    // Clients come from many loopback addresses, as from many hosts.
    const host = 1 + ((first + i) % nAddresses);
    const ws = new WebSocket(url, {
      localAddress: `127.1.${host >> 8}.${host & 0xff}`,
      perMessageDeflate: false,
      maxPayload: 1 << 20,
    });
    const c = { index: i, ws, id: null, partner: null };
    clients[i] = c;
    ws.on('message', (data) => {
      const wasConnected = c.id !== null;
      onMessage(c, data);
      if (!wasConnected && c.id !== null) resolve();
    });
    ws.on('open', () => ws._socket.setNoDelay(true));
    ws.on('error', (e) => {
      if (failed++ < 5) process.stderr.write(`client ${i}: ${e.message}\n`);
      resolve();
    });
    ws.on('close', () => { closed++; resolve(); });
  });
}

async function waitFor(pred, limitMs) {
  const end = Date.now() + limitMs;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return pred();
}

async function main() {
  const t0 = Date.now();
  let next = 0;
  const workers = [];
  for (let w = 0; w < windowSize; w++) {
    workers.push((async () => {
      while (next < nClients) await connect(next++);
    })());
  }
  await Promise.all(workers);
  const pairs = nClients / 2;
  for (let p = 0; p < pairs; p++) {
    const a = clients[2 * p], b = clients[2 * p + 1];
    a.partner = b;
    b.partner = a;
    for (const c of [a, b]) {
      if (c.ws.readyState === WebSocket.OPEN)
        c.ws.send(JSON.stringify({ v: 1, type: 'join', room: `bench-${first}-${p}` }));
    }
  }
  await waitFor(() => joined >= connected, 120000);
  // Let the peer-joined notices drain.
  await new Promise((r) => setTimeout(r, 1000));
  say({ event: 'ready', connected, joined, failed, seconds: (Date.now() - t0) / 1000 });
  // The driver samples the server's CPU, then says go.
  await new Promise((r) => process.stdin.once('data', r));

  // Sessions spread evenly over the interval.
  const start = nowUs();
  const due = new Float64Array(pairs);
  for (let p = 0; p < pairs; p++) due[p] = start + p * interval * 1000 / pairs;
  const end = start + seconds * 1e6;
  let cursor = 0;
  const cpu0 = process.cpuUsage();
  measuring = true;
  say({ event: 'start' });
  await new Promise((resolve) => {
    const tick = () => {
      const now = nowUs();
      while (due[cursor] <= now) {
        const a = clients[2 * cursor];
        if (a.id && a.partner.id) {
          // The offerer offers and trickles its candidates.
          send(a, 'offer', 'sdp', OFFER_SDP);
          send(a, 'candidate', 'candidate', CANDIDATE);
          send(a, 'candidate', 'candidate', CANDIDATE);
          send(a, 'end-of-candidates');
        }
        due[cursor] += interval * 1000;
        cursor = (cursor + 1) % pairs;
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  measuring = false;
  const elapsed = (nowUs() - start) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const pick = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : 0);
  say({
    event: 'end', seconds: elapsed, received, open: connected - closed, closed, errors,
    p50_us: pick(0.5), p99_us: pick(0.99), max_us: pick(1.0),
    generator_cpu: (cpu.user + cpu.system) / 1e6 / elapsed,
  });
  for (const c of clients) if (c) c.ws.terminate();
  process.exit(0);
}

main();
