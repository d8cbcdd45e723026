/* nav-ice-module.c: the entry points of libnav-ice.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-ice-checker.h"

static const NavModuleImplementation implementations[] = {
  { NAV_CHECKER_EXTENSION_POINT_NAME, "ice", nav_ice_checker_get_type, 10 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-ice.so. */
NAV_DEFINE_MODULE_FULL (nav_ice, "ice",
                        "ICE checker: pairs, check lists, nomination, consent, restart",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        nav_ice_checker_register, implementations);
