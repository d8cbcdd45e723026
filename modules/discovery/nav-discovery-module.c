/* nav-discovery-module.c: the entry points of libnav-discovery.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-mdns-discovery.h"

static void
register_types (GTypeModule *module)
{
  nav_mdns_discovery_register (module);
}

static const NavModuleImplementation implementations[] = {
  { NAV_DISCOVERY_EXTENSION_POINT_NAME, "mdns", nav_mdns_discovery_get_type, 10 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-discovery.so. */
NAV_DEFINE_MODULE_FULL (nav_discovery, "discovery",
                        "LAN discovery: mDNS/DNS-SD responder and browser (Avahi-interoperable)",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        register_types, implementations);
