/* nav-net-socket.h: opening and binding sockets (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <sys/socket.h>

#include <glib.h>
#include "netavanue/netavanue.h"

G_BEGIN_DECLS

typedef enum {
  NAV_NET_SOCKET_REUSEADDR = 1 << 0,   /* SO_REUSEADDR (TCP listeners over TIME_WAIT) */
  NAV_NET_SOCKET_REUSEPORT = 1 << 1,   /* SO_REUSEPORT (ICE-TCP simultaneous open) */
  NAV_NET_SOCKET_RECVERR   = 1 << 2,   /* IP_RECVERR / IPV6_RECVERR (ICMP errors) */
  NAV_NET_SOCKET_NO_BIND   = 1 << 3,   /* create only; the caller binds */
  /* The buffer size asked even above net.core.rmem_max/wmem_max, with
   * SO_RCVBUFFORCE and SO_SNDBUFFORCE where the process may
   * (CAP_NET_ADMIN); capped as usual otherwise. */
  NAV_NET_SOCKET_FORCE_BUFFERS = 1 << 4,
} NavNetSocketFlags;

/* A non-blocking, close-on-exec socket of @address's family, IPv6 only
 * when IPv6 (one socket per family, so that 0.0.0.0 and :: share a port),
 * bound to @address.  @buffer_size sets SO_RCVBUF and SO_SNDBUF when not
 * 0 (see NAV_NET_SOCKET_FORCE_BUFFERS).  Returns the descriptor, with the bound address in @bound (may be
 * NULL), or -1 with errno in *@errsv. */
int      nav_net_socket_open          (const NavAddress  *address,
                                       int                type,
                                       NavNetSocketFlags  flags,
                                       gint               buffer_size,
                                       NavAddress        *bound,
                                       int               *errsv);

/* As nav_net_socket_open(), on the first free port of [@min_port,
 * @max_port] starting from a random one and wrapping around, as libnice
 * does; ports taken (EADDRINUSE) or privileged (EACCES) are passed by,
 * any other error ends the search.  -1 with *@errsv = EADDRINUSE when
 * every port is taken. */
int      nav_net_socket_open_in_range (const NavAddress  *address,
                                       int                type,
                                       NavNetSocketFlags  flags,
                                       gint               buffer_size,
                                       guint              min_port,
                                       guint              max_port,
                                       NavAddress        *bound,
                                       int               *errsv);

/* A second UDP socket on the port of @listener (bound to @local, the
 * address @listener is bound to), connect()ed to @peer: Linux then hands
 * @peer's datagrams to it rather than to @listener (a full 4-tuple match
 * scores above the wildcard one, and is found by the early demultiplexer
 * without a route lookup), and everything from anyone else still to
 * @listener.  Sharing the port needs SO_REUSEADDR on both sockets while
 * the second one binds: it is set on @listener for that moment only, so
 * that no other socket can bind the port afterwards.  The buffer sizes and
 * IP_TOS of @listener are copied.  Returns the descriptor (non-blocking,
 * close-on-exec), or -1 with errno in *@errsv. */
int      nav_net_socket_open_connected (int               listener,
                                        const NavAddress *local,
                                        const NavAddress *peer,
                                        int              *errsv);

/* The error "Cannot listen on ADDRESS (KIND): REASON" in G_IO_ERROR. */
void     nav_net_set_listen_error     (GError           **error,
                                       const NavAddress  *address,
                                       const gchar       *kind,
                                       int                errsv);

gboolean nav_net_socket_get_local     (int                fd,
                                       NavAddress        *address);
gboolean nav_net_socket_get_peer      (int                fd,
                                       NavAddress        *address);

/* IP_TOS, and IPV6_TCLASS on IPv6 sockets (libnice sets both: an IPv6
 * socket may carry IPv4-mapped traffic); advisory, errors ignored. */
void     nav_net_socket_set_tos       (int                fd,
                                       int                family,
                                       gint               tos);

/* How the kernel spreads the datagrams of a SO_REUSEPORT group of UDP
 * sockets over its members (its index is the order they were bound in). */
typedef enum {
  NAV_NET_STEERING_HASH,    /* the kernel's: a hash of the 4-tuple, so one
                             * client stays on one socket */
  NAV_NET_STEERING_CPU,     /* the CPU the datagram is received on */
  NAV_NET_STEERING_RANDOM,  /* at random: every client on every socket (a
                             * test of the hand-over between workers) */
} NavNetSteering;

/* Attaches a classic BPF program (SO_ATTACH_REUSEPORT_CBPF) choosing one
 * of @n_sockets members for each datagram, to the group of @fd; nothing
 * for NAV_NET_STEERING_HASH.  FALSE with errno where unsupported. */
gboolean nav_net_socket_set_steering  (int                fd,
                                       NavNetSteering     steering,
                                       guint              n_sockets);
/* "hash", "cpu" or "random"; FALSE for anything else. */
gboolean nav_net_steering_from_string (const gchar       *text,
                                       NavNetSteering    *steering);

/* Errors the kernel reports on a UDP socket because of an ICMP message
 * about an earlier datagram: not about this socket's health. */
gboolean nav_net_errno_is_icmp        (int                errsv);

/* Whether accept(2) failed for lack of descriptors or memory: the
 * listener must back off, the connection waits in the backlog. */
gboolean nav_net_errno_is_resource    (int                errsv);

/* The soft RLIMIT_NOFILE, after raising it to the hard limit when it is
 * below @wanted (never lowered).  0 when unknown. */
guint64  nav_net_fd_limit_raise       (guint64            wanted);

G_END_DECLS
