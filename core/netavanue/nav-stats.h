/* nav-stats.h: statistics of agents and peer connections, in the spirit
 * of WebRTC's getStats()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <glib.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-agent.h>
#include <netavanue/nav-peer-connection.h>

G_BEGIN_DECLS

/**
 * NAV_STATS_VARIANT_TYPE:
 *
 * The type of a statistics report: `a{sa{sv}}`, each report's id to its
 * members (see [method@Nav.Agent.get_stats]).
 *
 * Since: 1.0
 */
#define NAV_STATS_VARIANT_TYPE ((const GVariantType *) "a{sa{sv}}")

NAV_AVAILABLE_IN_ALL
GVariant *nav_agent_get_stats           (NavAgent          *agent);
NAV_AVAILABLE_IN_ALL
GVariant *nav_peer_connection_get_stats (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
gchar    *nav_stats_to_json             (GVariant          *stats,
                                         gboolean           pretty);

G_END_DECLS
