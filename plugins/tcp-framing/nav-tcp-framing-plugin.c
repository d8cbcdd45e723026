/* nav-tcp-framing-plugin.c: the entry points of libnav-tcp-framing.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A transport plugin written against the public API only: this file and
 * nav-tcp-framing-transport.c build with nothing but
 * `pkg-config --cflags --libs netavanue-1.0`.
 */
#include <netavanue/netavanue.h>

#include "nav-tcp-framing-transport.h"

static const NavModuleImplementation implementations[] = {
  { NAV_TRANSPORT_EXTENSION_POINT_NAME, "tcp-framing", nav_tcp_framing_transport_get_type, 10 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-tcp-framing.so. */
NAV_DEFINE_MODULE_FULL (nav_tcp_framing, "tcp-framing",
                        "TCP transport with RFC 4571 framing (ICE-TCP, STUN/TURN over TCP)",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        nav_tcp_framing_transport_register, implementations);
