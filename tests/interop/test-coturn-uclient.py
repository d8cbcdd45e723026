#!/usr/bin/python3
"""coturn's turnutils_uclient against nav-server --turn, on loopback.

turnutils_peer is the UDP echo peer; turnutils_uclient allocates, binds
channels (or uses Send indications with -s), relays its messages to the
peer and back, and prints how many it sent, received and lost.  Every
message must come back: any loss fails the test.

    udp-channel     UDP, ChannelData (uclient's default, with its RTCP pairs:
                    EVEN-PORT and RESERVATION-TOKEN)
    udp-send        UDP, Send/Data indications (-s)
    tcp-channel     TCP to the server, padded ChannelData (-t)
    tcp-send        TCP, indications (-t -s)
    tls-channel     TLS to the server (-S -t)
    udp-c2c         client to client through two relays (-y)
    tcp-relay       RFC 6062 TCP allocations, client to client (-T)
    rest            TURN REST API credentials (-W secret), UDP
    ipv6            IPv6 to the server and IPv6 relays (::1)

A missing coturn binary is a failure, never a skip.

SPDX-License-Identifier: LGPL-2.1-or-later
"""
import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

USER, PASSWORD, REALM, SECRET = 'alice', 'wonderland', 'example.org', 'north-wind'


# The helpers of the STUN interop test: one copy of the port picking and
# the waiting for servers.
_spec = importlib.util.spec_from_file_location(
    'coturn_helpers', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test-coturn.py'))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
fail = helpers.fail
need = helpers.need
wait_udp = helpers.wait_udp   # our TURN server answers Binding, as coturn does
wait_tcp = helpers.wait_tcp


def free_port(ip, count=1):
    return helpers.free_port(count, ip)


def check_uclient_output(out, clients, messages):
    """uclient prints tot_send_msgs/tot_recv_msgs and the lost count."""
    sent = re.findall(r'tot_send_msgs=(\d+), tot_recv_msgs=(\d+)', out)
    lost = re.findall(r'Total lost packets (\d+)', out)
    dropped = re.findall(r'total send dropped (\d+)', out)
    if not sent or not lost:
        fail('turnutils_uclient printed no totals (did it allocate at all?)')
    s, r = (int(x) for x in sent[-1])
    print('# uclient: sent=%d received=%d lost=%s send-dropped=%s' % (s, r, lost[-1], dropped[-1] if dropped else '?'))
    if s < clients * messages:
        fail('uclient sent %d messages, expected at least %d' % (s, clients * messages))
    if r != s:
        fail('uclient received %d of %d messages' % (r, s))
    if int(lost[-1]) != 0:
        fail('uclient lost %s messages' % lost[-1])
    if dropped and int(dropped[-1]) != 0:
        fail('uclient could not send %s messages' % dropped[-1])
    for line in out.splitlines():
        # uclient probes TLS versions, and the first attempts may fail
        if 'tls_connect' in line or 'SSL routines' in line:
            continue
        if re.search(r'error [45]\d\d|[Cc]annot', line):
            fail('uclient reported an error: %s' % line.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nav-server', required=True)
    ap.add_argument('--make-cert', required=True)
    ap.add_argument('case')
    args = ap.parse_args()

    uclient = need('turnutils_uclient')
    peer_bin = need('turnutils_peer')
    case = args.case
    ip = '::1' if case == 'ipv6' else '127.0.0.1'
    clients, messages, length = 4, 200, 300

    tmp = tempfile.mkdtemp(prefix='nav-uclient-')
    port = free_port(ip)
    tls_port = free_port(ip)
    peer_port = free_port(ip, 2)
    server_log = open(os.path.join(tmp, 'nav-server.log'), 'w+')
    peer_log = open(os.path.join(tmp, 'peer.log'), 'w+')

    argv = [args.nav_server, '--turn', '--listening-ip=' + ip, '--relay-ip=' + ip,
            '--listening-port=%d' % port, '--tls-listening-port=%d' % tls_port,
            '--realm=' + REALM, '--allow-loopback-peers',
            '--min-port=50000', '--max-port=59999']
    if case == 'rest':
        argv += ['--use-auth-secret', '--static-auth-secret=' + SECRET]
    else:
        argv += ['--lt-cred-mech', '--user=%s:%s' % (USER, PASSWORD)]
    if case == 'tls-channel':
        cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
        subprocess.run([args.make_cert, cert, key], check=True)
        argv += ['--cert=' + cert, '--pkey=' + key]
    else:
        argv += ['--no-tls']

    uargs = {
        'udp-channel': [],
        'udp-send': ['-s', '-c'],
        'tcp-channel': ['-t', '-c'],
        'tcp-send': ['-t', '-s', '-c'],
        'tls-channel': ['-t', '-S', '-c'],
        'udp-c2c': ['-y', '-c'],
        'tcp-relay': ['-T'],
        'rest': ['-c'],
        'ipv6': ['-c', '-x'],
    }
    if case not in uargs:
        fail('unknown case ' + case)

    print('# starting: ' + ' '.join(argv))
    server = subprocess.Popen(argv, stdout=server_log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    peer = None
    try:
        wait_udp(ip, port, server)
        wait_tcp(ip, port, server)
        peer = subprocess.Popen([peer_bin, '-L', ip, '-p', str(peer_port)],
                                stdout=peer_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(0.3)
        if peer.poll() is not None:
            fail('turnutils_peer exited at once with status %d' % peer.returncode)

        cmd = [uclient] + uargs[case] + [
            '-p', str(tls_port if case == 'tls-channel' else port),
            '-e', ip, '-r', str(peer_port),
            '-n', str(messages), '-m', str(clients), '-l', str(length), '-z', '5']
        if case == 'rest':
            cmd += ['-u', USER, '-W', SECRET]
        else:
            cmd += ['-u', USER, '-w', PASSWORD]
        cmd.append(ip)
        print('# running: ' + ' '.join(cmd))
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        print('\n'.join(p.stdout.splitlines()[-12:]))
        if p.returncode != 0:
            fail('turnutils_uclient exited with status %d' % p.returncode)
        check_uclient_output(p.stdout, clients, messages)

        # the server relayed it (and not coturn by accident): its counters say so
        server.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
    finally:
        if peer is not None and peer.poll() is None:
            peer.kill()
            peer.wait()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                fail('nav-server did not stop on SIGTERM')
        server_log.seek(0)
        log = server_log.read()
        print('\n'.join('# server: ' + line for line in log.splitlines()[-6:]))
        shutil.rmtree(tmp, ignore_errors=True)

    if server.returncode != 0:
        fail('nav-server exited with status %d after SIGTERM' % server.returncode)
    stats = re.findall(r'event=stats when=SIGUSR1 (.*)', log)
    if not stats:
        fail('nav-server printed no stats on SIGUSR1')
    counters = dict(kv.split('=') for kv in stats[-1].split())
    if int(counters.get('allocations-total', 0)) < clients:
        fail('nav-server made %s allocations, expected at least %d'
             % (counters.get('allocations-total'), clients))
    if int(counters.get('bytes-to-peer', 0)) == 0 or int(counters.get('bytes-from-peer', 0)) == 0:
        fail('nav-server relayed nothing')
    # coturn's client ignores the PASSWORD-ALGORITHMS offer (RFC 8489
    # §9.2.1) and stays on MD5: the legacy path must keep working
    if int(counters.get('auth-md5', 0)) == 0:
        fail('nav-server counted no MD5 authentication from turnutils_uclient')
    if 'event=stopped server=turn' not in log:
        fail('nav-server did not log a clean stop')
    print('PASS: %s' % case)


if __name__ == '__main__':
    main()
