/* nav-election-module.c: the entry points of libnav-election.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-device-capability.h"

NAV_DEFINE_MODULE ("election",
                   "Device capability, signed capability exchange, hub election, topology",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-election.so. */
G_MODULE_EXPORT void    g_io_nav_election_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_election_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_election_query  (void);

G_MODULE_EXPORT void
g_io_nav_election_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  /* No extension point has an interface for it yet: the type is reached
   * by name (g_type_from_name ("NavDeviceCapability")) and listed by
   * nav_module_info_list_types (). */
  nav_device_capability_register (G_TYPE_MODULE (module));
}

G_MODULE_EXPORT void
g_io_nav_election_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_election_query (void)
{
  return g_new0 (gchar *, 1);
}
