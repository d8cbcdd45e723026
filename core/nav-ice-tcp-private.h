/* nav-ice-tcp-private.h: the transports of ICE-TCP host candidates
 * (RFC 6544), private to the core
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* The port an active candidate advertises: RFC 6544 §4.5 says 9 (the
 * discard port), as it never receives a connection. */
#define NAV_ICE_TCP_ACTIVE_PORT 9

#define NAV_TYPE_ICE_TCP_TRANSPORT (nav_ice_tcp_transport_get_type ())
G_DECLARE_FINAL_TYPE (NavIceTcpTransport, nav_ice_tcp_transport, NAV, ICE_TCP_TRANSPORT, GObject)

NavIceTcpTransport *nav_ice_tcp_transport_new_passive (GMainContext      *context,
                                                       const NavAddress  *address,
                                                       guint              min_port,
                                                       guint              max_port,
                                                       GError           **error);
NavIceTcpTransport *nav_ice_tcp_transport_new_active  (GMainContext      *context,
                                                       const NavAddress  *address,
                                                       GError           **error);
NavIceTcpTransport *nav_ice_tcp_transport_new_so      (GMainContext      *context,
                                                       const NavAddress  *address,
                                                       guint              min_port,
                                                       guint              max_port,
                                                       GError           **error);
guint               nav_ice_tcp_transport_get_n_connections (NavIceTcpTransport *self);
void                nav_ice_tcp_transport_set_tos     (NavIceTcpTransport *self,
                                                       gint                tos);

void                nav_socket_set_tos                (GSocket            *socket,
                                                       gint                tos);

G_END_DECLS
