/* nav-turn-module.c: the entry points of libnav-turn.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The module holds the whole TURN tier: the client (nav-turn-client*.c),
 * the allocation as a transport (nav-turn-relay-transport.c), the relay
 * gatherer (nav-turn-gatherer.c) and the server (nav-turn-server*.c), over
 * the core's socket layer (core/net).  Users, nav-server and nav-turn
 * among them, reach it through the registry: the `turn` server at
 * `nav-server`, the `turn` gatherer at `nav-gatherer`, the `turn`
 * transport (an allocation) at `nav-transport`.
 */
#include <netavanue/netavanue.h>

#include "nav-turn-server.h"
#include "nav-turn-gatherer.h"
#include "nav-turn-relay-transport.h"

/* The tier's types are static types of this module (G_DEFINE_TYPE):
 * their _get_type registers each at its first call, once the module is
 * loaded and pinned, so there is nothing to register beforehand. */
static const NavModuleImplementation implementations[] = {
  { NAV_SERVER_EXTENSION_POINT_NAME, "turn", nav_turn_server_get_type, 10 },
  { NAV_GATHERER_EXTENSION_POINT_NAME, "turn", nav_turn_gatherer_get_type, 10 },
  { NAV_TRANSPORT_EXTENSION_POINT_NAME, "turn", nav_turn_relay_transport_get_type, 5 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-turn.so. */
NAV_DEFINE_MODULE_FULL (nav_turn, "turn",
                        "TURN client (relay transport and gatherer) and TURN server",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        NULL, implementations);
