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

NAV_DEFINE_MODULE ("turn",
                   "TURN client (relay transport and gatherer) and TURN server",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-turn.so. */
G_MODULE_EXPORT void    g_io_nav_turn_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_turn_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_turn_query  (void);

G_MODULE_EXPORT void
g_io_nav_turn_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process.  The
   * tier's types are static types of this module, registered here once. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_turn_server_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SERVER_EXTENSION_POINT_NAME,
                        NAV_TYPE_TURN_SERVER, "turn", 10);
  nav_module_implement (module, NAV_GATHERER_EXTENSION_POINT_NAME,
                        NAV_TYPE_TURN_GATHERER, "turn", 10);
  nav_module_implement (module, NAV_TRANSPORT_EXTENSION_POINT_NAME,
                        NAV_TYPE_TURN_RELAY_TRANSPORT, "turn", 5);
}

G_MODULE_EXPORT void
g_io_nav_turn_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_turn_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME,
                            NAV_GATHERER_EXTENSION_POINT_NAME,
                            NAV_TRANSPORT_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
