// browser-bridge.cjs: headless Chromium as a peer of the JSON-line
// protocol (peers.md): serves browser-peer.html on 127.0.0.1, starts
// Debian's chromium on it, hands the page the commands read on standard
// input (GET /commands, a long poll) and writes the page's events and
// signaling (POST /events) on standard output, timestamped here with
// the monotonic clock the other peers use.  Node's standard library
// only.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');

const nowNs = () => Number(process.hrtime.bigint());
const page = fs.readFileSync(path.join(__dirname, 'browser-peer.html'));
const chromiumPath = process.env.NAV_CHROMIUM || '/usr/bin/chromium';

let commands = [];
let waiter = null;
let chromium = null;
let exiting = false;
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nav-chromium-'));

function flushCommands() {
  if (waiter && commands.length > 0) {
    const res = waiter;
    waiter = null;
    clearTimeout(res.timer);
    res.end(commands.splice(0).join('\n') + '\n');
  }
}

// The CPU time of Chromium's processes: the browser and its children.
function chromiumCpuUs() {
  if (!chromium) return 0;
  const ticks = 100;   // USER_HZ on Linux
  const parents = new Map();
  const cpu = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(pid), Number(f[1]));
      cpu.set(Number(pid), Number(f[11]) + Number(f[12]));
    } catch (e) { /* gone */ }
  }
  let total = 0;
  for (const [pid, t] of cpu) {
    for (let p = pid; p > 1; p = parents.get(p) || 0) {
      if (p === chromium.pid) { total += t; break; }
    }
  }
  return Math.round(total * 1e6 / ticks);
}

function finish(code) {
  // Its own process group: the renderer and the other children go too.
  if (chromium) {
    try { process.kill(-chromium.pid, 'SIGKILL'); } catch (e) { chromium.kill('SIGKILL'); }
  }
  try { fs.rmSync(userDir, { recursive: true, force: true }); } catch (e) { /* ignore */ }
  process.exit(code);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page);
  } else if (req.method === 'GET' && req.url === '/commands') {
    if (waiter) waiter.end('');
    waiter = res;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
    res.timer = setTimeout(() => { if (waiter === res) { waiter = null; res.end(''); } }, 10000);
    flushCommands();
  } else if (req.method === 'POST' && req.url === '/events') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const t = nowNs();
      for (const line of body.split('\n').filter((l) => l.length > 0)) {
        const o = JSON.parse(line);
        if (o.event !== undefined) o.t = t;
        // The page's clock is its own: the first message's time comes back
        // as the time before this event.
        if (o.event === 'sink-done') o.first = t - Math.round(o.elapsed_ms * 1e6);
        if (o.event === 'bye') {
          o.cpu_us = chromiumCpuUs();
          process.stdout.write(JSON.stringify(o) + '\n');
          finish(0);
          return;
        }
        process.stdout.write(JSON.stringify(o) + '\n');
      }
      res.writeHead(204);
      res.end();
    });
  } else {
    res.writeHead(404);
    res.end();
  }
});

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}/`;
  // The flags of /work/.library/env/machines: no sandbox as root, no
  // network beyond loopback; loopback candidates allowed, and host
  // candidates as addresses rather than mDNS names.
  chromium = spawn(chromiumPath, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-extensions', '--mute-audio', '--disable-dev-shm-usage',
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    `--user-data-dir=${userDir}`, url,
  ], { detached: true,
       stdio: ['ignore', 'ignore', process.env.NAV_CHROMIUM_LOG ? 'inherit' : 'ignore'] });
  chromium.on('exit', (code) => {
    chromium = null;
    if (!exiting) {
      process.stdout.write(JSON.stringify({ event: 'error', what: 'chromium', message: `exited (${code})` }) + '\n');
      finish(1);
    }
  });
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const o = JSON.parse(line);
  if (o.cmd === 'cpu') {
    // The bridge knows the browser's processes; the page does not.
    process.stdout.write(JSON.stringify({ event: 'cpu', t: nowNs(), cpu_us: chromiumCpuUs() }) + '\n');
    return;
  }
  if (o.cmd === 'exit') {
    exiting = true;
    setTimeout(() => finish(0), 5000);
  }
  commands.push(line);
  flushCommands();
}).on('close', () => { exiting = true; finish(0); });

process.on('SIGTERM', () => { exiting = true; finish(0); });
