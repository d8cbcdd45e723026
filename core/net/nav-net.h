/* nav-net.h: the socket and framing layer shared by every client and
 * server of NetAvanue (internal, not exported)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * DESIGN
 *
 * One layer owns what the STUN client, the TURN client, the STUN server,
 * the TURN server, NavUdpTransport and the ICE-TCP transports used to do
 * each on their own: sockets, batched UDP I/O, stream framing, TLS,
 * listening and accepting, and the STUN transaction (RFC 8489 §6.2).
 *
 * It is plain C on top of GLib: no GType of its own, so that it can be
 * linked into several shared objects of one process without registering a
 * type twice.  It is built as two static, position-independent libraries
 * with hidden symbols:
 *
 * - libnav-net.a (this folder minus TLS): linked into libnetavanue (the
 *   core's UDP transport and ICE-TCP use it) and into the modules;
 * - libnav-net-tls.a (nav-net-tls.c): GnuTLS, linked into the modules that
 *   serve or speak TLS (stun, turn) only, so the core links no GnuTLS.
 *
 * Each copy is private to the object it is linked into (nothing is
 * exported), so the core's public API does not grow.  Code that needs the
 * layer includes <nav-net.h> and depends on nav_net_dep (plus
 * nav_net_tls_dep for TLS) in Meson.
 *
 * The pieces, one file each:
 *
 * - nav-net-socket:   opening, binding (ports, ranges), options, errno
 *                     classification;
 * - nav-net-udp:      batched receive (recvmmsg(2)) into buffers owned
 *                     once, with a GSource on the owner's context, and
 *                     batched send (sendmmsg(2));
 * - nav-net-framing:  where a frame ends on a stream: RFC 4571, STUN over
 *                     TCP (RFC 8489 §6.2.2), TURN's STUN + padded
 *                     ChannelData (RFC 8656 §12.5);
 * - nav-net-stream:   one TCP connection, plain or TLS: connect with a
 *                     timeout, non-blocking reads cut into frames, a
 *                     coalescing write queue with back-pressure;
 * - nav-net-listener: listening sockets and the accept loop, which backs
 *                     off on EMFILE/ENFILE and resumes by itself;
 * - nav-net-tls:      GnuTLS: one credentials object per server shared by
 *                     every connection (no trust store: no client
 *                     certificate is verified), handshakes in a worker
 *                     thread with a timeout and per-IP and total limits,
 *                     client sessions that verify the server;
 * - nav-net-resolve:  STUN/TURN server names (RFC 7064 URIs, SRV);
 * - nav-stun-transaction: the STUN client transaction, its
 *                     retransmission schedule also usable sans-I/O;
 * - nav-net-worker:   an epoll set served by a thread of its own or by a
 *                     main context, with a mailbox: the servers' worker
 *                     threads;
 * - nav-net-gso:      batched UDP send in runs of one size to one
 *                     address, with segmentation offload (UDP_SEGMENT);
 * - nav-net-addr-monitor: this device's interface addresses coming and
 *                     going, as rtnetlink announces them (Linux), with
 *                     its parser usable sans-I/O.
 *
 * Every object belongs to the GMainContext it is given, and every
 * callback runs there; a NavNetWorker's callbacks run on its thread.
 */
#pragma once

#include "nav-net-socket.h"
#include "nav-net-udp.h"
#include "nav-net-framing.h"
#include "nav-net-stream.h"
#include "nav-net-listener.h"
#include "nav-net-resolve.h"
#include "nav-stun-transaction.h"
#include "nav-net-worker.h"
#include "nav-net-gso.h"
#include "nav-net-addr-monitor.h"

G_BEGIN_DECLS

/* Destroys and unrefs *@source, if any, and sets it to NULL. */
static inline void
nav_net_source_clear (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

G_END_DECLS
