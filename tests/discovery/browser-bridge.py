#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The browser's side of test-netns-mdns-candidates.py: an HTTP server on
127.0.0.1 (in the browser's namespace) that serves a page opening an
RTCPeerConnection with a data channel, and passes its offer to
DIR/offer.sdp and DIR/answer.sdp back to it.  The page reports its states
to DIR/browser.log.

With --hide-names the `.local` names of the offer's candidates are
replaced by fresh UUIDs that no responder answers for: the NetAvanue side
must drop them and connect through the peer-reflexive candidate the
browser's checks create.
"""
import argparse
import http.server
import os
import re
import sys
import uuid

PAGE = r'''<!doctype html>
<html><body><script>
const log = (what) => fetch('/log', {method: 'POST', body: what});
(async () => {
  try {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('nav');
    pc.onconnectionstatechange = async () => {
      log('connection ' + pc.connectionState);
      if (pc.connectionState !== 'connected') return;
      // The remote candidate of the pair in use, as the browser sees it
      // (asked again for up to 5 s: the pair's stats may lag the state).
      for (let i = 0; i < 50; i++) {
        const stats = await pc.getStats();
        let found = false;
        stats.forEach((r) => {
          if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
            const remote = stats.get(r.remoteCandidateId);
            if (remote) {
              log('remote ' + remote.candidateType + ' ' + remote.address + ' ' + remote.port);
              found = true;
            }
          }
        });
        if (found) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    pc.oniceconnectionstatechange = () => log('ice ' + pc.iceConnectionState);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    });
    await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
    let answer = '';
    while (!answer) {
      const r = await fetch('/answer');
      if (r.status === 200) answer = await r.text();
      else await new Promise((r2) => setTimeout(r2, 100));
    }
    await pc.setRemoteDescription({type: 'answer', sdp: answer});
    log('answer set');
  } catch (e) {
    log('error ' + e);
  }
})();
</script></body></html>
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port', type=int, default=8099)
    ap.add_argument('--hide-names', action='store_true')
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, body=b'', ctype='text/plain'):
            self.send_response(code)
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == '/':
                self.reply(200, PAGE.encode(), 'text/html')
            elif self.path == '/answer':
                path = os.path.join(args.dir, 'answer.sdp')
                if os.path.exists(path):
                    with open(path, 'rb') as f:
                        self.reply(200, f.read())
                else:
                    self.reply(404)
            else:
                self.reply(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0))).decode()
            if self.path == '/offer':
                with open(os.path.join(args.dir, 'browser-offer.sdp'), 'w') as f:
                    f.write(body)
                if args.hide_names:
                    body = re.sub(r'[0-9a-f-]{36}\.local', lambda m: '%s.local' % uuid.uuid4(), body)
                with open(os.path.join(args.dir, 'offer.tmp'), 'w') as f:
                    f.write(body)
                os.rename(os.path.join(args.dir, 'offer.tmp'), os.path.join(args.dir, 'offer.sdp'))
            elif self.path == '/log':
                with open(os.path.join(args.dir, 'browser.log'), 'a') as f:
                    f.write(body + '\n')
            self.reply(200)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    print('listening', flush=True)
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
