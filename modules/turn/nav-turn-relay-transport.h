/* nav-turn-relay-transport.h: a TURN allocation as a NavTransport
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-turn-client.h"

G_BEGIN_DECLS

#define NAV_TYPE_TURN_RELAY_TRANSPORT (nav_turn_relay_transport_get_type ())

G_DECLARE_FINAL_TYPE (NavTurnRelayTransport, nav_turn_relay_transport,
                      NAV, TURN_RELAY_TRANSPORT, GObject)

NavTurnRelayTransport *nav_turn_relay_transport_new        (NavTurnClient         *client);
NavTurnClient         *nav_turn_relay_transport_get_client (NavTurnRelayTransport *self);

G_END_DECLS
