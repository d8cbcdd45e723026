/* nav-election-module.c: the entry points of libnav-election.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-device-capability.h"

/* No extension point has an interface for the election yet: its type is
 * reached by name (g_type_from_name ("NavDeviceCapability")) and listed by
 * nav_module_info_list_types (). */
NAV_DEFINE_MODULE_FULL (nav_election, "election",
                        "Device capability, signed capability exchange, hub election, topology",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        nav_device_capability_register, NULL);
