/* nav-stun-gatherer.h: the server-reflexive candidate gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-net.h"

G_BEGIN_DECLS

#define NAV_TYPE_STUN_GATHERER (nav_stun_gatherer_get_type ())

G_DECLARE_FINAL_TYPE (NavStunGatherer, nav_stun_gatherer, NAV, STUN_GATHERER, GObject)

NavStunGatherer *nav_stun_gatherer_new (GMainContext       *context,
                                        const gchar * const *servers);
void             nav_stun_gatherer_set_retransmit_params (NavStunGatherer               *self,
                                                          const NavStunRetransmitParams *params);

G_END_DECLS
