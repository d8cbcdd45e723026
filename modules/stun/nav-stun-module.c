/* nav-stun-module.c: the entry points of libnav-stun.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The module holds the whole STUN tier: the server (nav-stun-server*.c),
 * the client and NAT behaviour discovery (nav-stun-client.c,
 * nav-nat-discovery.c) and the server-reflexive gatherer
 * (nav-stun-gatherer.c), over the core's socket layer (core/net).  Users,
 * nav-server and nav-stun among them, reach it through the registry: the
 * `stun` server at `nav-server`, the `stun` gatherer at `nav-gatherer`,
 * and the client itself as the `stun-probe` gatherer (nav-stun-probe.c).
 */
#include <netavanue/netavanue.h>

#include "nav-stun-gatherer.h"
#include "nav-stun-probe.h"
#include "nav-stun-server.h"

NAV_DEFINE_MODULE ("stun",
                   "STUN client, server and NAT behaviour discovery",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-stun.so; they and
 * the descriptor are the only exported symbols. */
G_MODULE_EXPORT void    g_io_nav_stun_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_stun_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_stun_query  (void);

G_MODULE_EXPORT void
g_io_nav_stun_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process.  The
   * tier's types are static types of this module, registered here once. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_stun_server_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SERVER_EXTENSION_POINT_NAME,
                        NAV_TYPE_STUN_SERVER, "stun", 10);
  nav_module_implement (module, NAV_GATHERER_EXTENSION_POINT_NAME,
                        NAV_TYPE_STUN_GATHERER, "stun", 10);
  nav_module_implement (module, NAV_GATHERER_EXTENSION_POINT_NAME,
                        NAV_TYPE_STUN_PROBE, "stun-probe", 5);
}

G_MODULE_EXPORT void
g_io_nav_stun_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_stun_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME,
                            NAV_GATHERER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
