/* nav-udp-transport.h: a NavTransport over a UDP socket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>
#include <netavanue/nav-transport.h>

G_BEGIN_DECLS

#define NAV_TYPE_UDP_TRANSPORT (nav_udp_transport_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavUdpTransport, nav_udp_transport, NAV, UDP_TRANSPORT, GObject)

NAV_AVAILABLE_IN_ALL
NavUdpTransport *nav_udp_transport_new        (const NavAddress *address,
                                               GMainContext     *context,
                                               GError          **error);
NAV_AVAILABLE_IN_ALL
NavUdpTransport *nav_udp_transport_new_range  (const NavAddress *address,
                                               guint             min_port,
                                               guint             max_port,
                                               GMainContext     *context,
                                               GError          **error);
NAV_AVAILABLE_IN_ALL
GSocket         *nav_udp_transport_get_socket (NavUdpTransport  *self);

G_END_DECLS
