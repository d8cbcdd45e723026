/* nav-ice-module.c: the entry points of libnav-ice.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-ice-checker.h"

NAV_DEFINE_MODULE ("ice",
                   "ICE checker: pairs, check lists, nomination, consent, restart",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-ice.so. */
G_MODULE_EXPORT void    g_io_nav_ice_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_ice_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_ice_query  (void);

G_MODULE_EXPORT void
g_io_nav_ice_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_ice_checker_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_CHECKER_EXTENSION_POINT_NAME,
                        NAV_TYPE_ICE_CHECKER, "ice", 10);
}

G_MODULE_EXPORT void
g_io_nav_ice_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_ice_query (void)
{
  const gchar *points[] = { NAV_CHECKER_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
