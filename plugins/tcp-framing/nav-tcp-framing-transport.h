/* nav-tcp-framing-transport.h: a NavTransport over one TCP connection,
 * with RFC 4571 framing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

/* The largest frame RFC 4571 §2 can describe: its length is 16 bits. */
#define NAV_TCP_FRAMING_MAX_FRAME 65535

#define NAV_TYPE_TCP_FRAMING_TRANSPORT (nav_tcp_framing_transport_get_type ())

G_DECLARE_FINAL_TYPE (NavTcpFramingTransport, nav_tcp_framing_transport,
                      NAV, TCP_FRAMING_TRANSPORT, GObject)

void nav_tcp_framing_transport_register (GTypeModule *module);

G_END_DECLS
