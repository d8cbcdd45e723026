/* nav-mdns-discovery.h: NavDiscovery by a multicast DNS responder of our
 * own (RFC 6762, RFC 6763)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_MDNS_DISCOVERY (nav_mdns_discovery_get_type ())
G_DECLARE_FINAL_TYPE (NavMdnsDiscovery, nav_mdns_discovery, NAV, MDNS_DISCOVERY, NavDiscovery)

void nav_mdns_discovery_register (GTypeModule *module);

G_END_DECLS
