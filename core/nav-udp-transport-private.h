/* nav-udp-transport-private.h: the connected socket of a NavUdpTransport,
 * for the agent's selected pair (issue 15)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* Whether connected sockets are used: not when NAV_UDP_CONNECTED is "0"
 * in the environment (read at each call: a selection is rare). */
gboolean nav_udp_connected_enabled            (void);

/* Opens a second socket on the transport's address and port, connect()ed
 * to @peer (nav_net_socket_open_connected()): what the transport sends to
 * @peer leaves it with send(2), without an address to copy nor a route
 * to look up, and @peer's datagrams arrive on it, read in batches as the
 * first socket's and delivered by the transport with the same
 * NavTransport::received, from @peer (STUN included: consent checks on
 * the selected pair, RFC 7675, go both ways over it).  A socket connected
 * to another peer before is retired (see below).  FALSE with @error when
 * the socket cannot be opened: everything keeps going through the first
 * socket. */
gboolean nav_udp_transport_connect_peer       (NavUdpTransport  *self,
                                               const NavAddress *peer,
                                               GError          **error);
/* Sends go back to the first socket at once; the connected socket is read
 * until empty before it is closed, at the next dispatch of either socket
 * or in an idle of the transport's context, whichever comes first, so
 * that what the peer sent before is delivered, once and in order. */
void     nav_udp_transport_disconnect_peer    (NavUdpTransport  *self);
/* The peer of the connected socket: FALSE when there is none. */
gboolean nav_udp_transport_get_connected_peer (NavUdpTransport  *self,
                                               NavAddress       *peer);
/* Datagrams sent and received on connected sockets so far (tests). */
void     nav_udp_transport_get_connected_counts (NavUdpTransport *self,
                                                 guint64         *sent,
                                                 guint64         *received);

G_END_DECLS
