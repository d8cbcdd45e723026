/* nav-host-gatherer.h: the gatherer of host candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>
#include <netavanue/nav-gatherer.h>

G_BEGIN_DECLS

#define NAV_TYPE_HOST_GATHERER (nav_host_gatherer_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavHostGatherer, nav_host_gatherer, NAV, HOST_GATHERER, GObject)

NAV_AVAILABLE_IN_ALL
NavHostGatherer *nav_host_gatherer_new               (GMainContext     *context);
NAV_AVAILABLE_IN_ALL
void             nav_host_gatherer_add_local_address (NavHostGatherer  *self,
                                                      const NavAddress *address);
NAV_AVAILABLE_IN_ALL
GList           *nav_host_gatherer_list_local_addresses (gboolean include_loopback,
                                                         gboolean ipv4,
                                                         gboolean ipv6);

G_END_DECLS
