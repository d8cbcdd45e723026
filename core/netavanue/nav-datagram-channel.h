/* nav-datagram-channel.h: a NavChannel over a transport and a peer address
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
#include <netavanue/nav-channel.h>

G_BEGIN_DECLS

#define NAV_TYPE_DATAGRAM_CHANNEL (nav_datagram_channel_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavDatagramChannel, nav_datagram_channel, NAV, DATAGRAM_CHANNEL, GObject)

NAV_AVAILABLE_IN_ALL
NavDatagramChannel *nav_datagram_channel_new (NavTransport     *transport,
                                              const NavAddress *peer);
NAV_AVAILABLE_IN_ALL
NavTransport       *nav_datagram_channel_get_transport (NavDatagramChannel *self);
NAV_AVAILABLE_IN_ALL
const NavAddress   *nav_datagram_channel_get_peer      (NavDatagramChannel *self);

G_END_DECLS
