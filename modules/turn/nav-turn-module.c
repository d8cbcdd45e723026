/* nav-turn-module.c: the entry points of libnav-turn.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-turn-server.h"
#include "nav-turn-gatherer.h"

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
  /* GLib never unloads types: pin the module for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_turn_server_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SERVER_EXTENSION_POINT_NAME,
                        NAV_TYPE_TURN_SERVER, "turn", 10);
  /* The relay gatherer is a static type of the tier's private library, as
   * the server is; the module is pinned, so they outlive every use. */
  nav_module_implement (module, NAV_GATHERER_EXTENSION_POINT_NAME,
                        NAV_TYPE_TURN_GATHERER, "turn", 10);
}

G_MODULE_EXPORT void
g_io_nav_turn_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_turn_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME,
                            NAV_GATHERER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
