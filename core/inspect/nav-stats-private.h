/* nav-stats-private.h: what the writers of statistics reports share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* Starts a report's members: id, type and timestamp (milliseconds since
 * the Unix epoch, as WebRTC's DOMHighResTimeStamp).  @b is initialised
 * as a{sv}. */
void         nav_stats_report_begin   (GVariantBuilder *b,
                                       const gchar     *type,
                                       const gchar     *id,
                                       gdouble          timestamp);
/* Ends it and adds it to @reports (a{sa{sv}}) under @id. */
void         nav_stats_report_end     (GVariantBuilder *reports,
                                       GVariantBuilder *b,
                                       const gchar     *id);
gdouble      nav_stats_now            (void);

/* WebRTC's names of ICE values (RTCIceCandidateType, RTCStatsIceCandidatePairState…). */
const gchar *nav_stats_protocol       (NavCandidateTransport  transport);
const gchar *nav_stats_tcp_type       (NavCandidateTransport  transport);
const gchar *nav_stats_pair_state     (NavPairState           state);
const gchar *nav_stats_ice_state      (NavComponentState      state);

G_END_DECLS
