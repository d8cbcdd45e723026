/* nav-turn-gatherer.h: the relayed candidate gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-turn-client.h"

G_BEGIN_DECLS

#define NAV_TYPE_TURN_GATHERER (nav_turn_gatherer_get_type ())

G_DECLARE_FINAL_TYPE (NavTurnGatherer, nav_turn_gatherer, NAV, TURN_GATHERER, GObject)

NavTurnGatherer *nav_turn_gatherer_new (GMainContext *context,
                                        const gchar  *server,
                                        const gchar  *username,
                                        const gchar  *password);

G_END_DECLS
