/* nav-host-gatherer-private.h: what the agent asks of its host gatherer
 * beyond NavGatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

GPtrArray *nav_host_gatherer_gather_sync (NavHostGatherer *self,
                                          guint            stream_id,
                                          guint            component_id);

G_END_DECLS
