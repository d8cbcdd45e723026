/* nav-dht-signaling-client.h: NavSignalingClient over OpenDHT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_DHT_SIGNALING_CLIENT (nav_dht_signaling_client_get_type ())
G_DECLARE_FINAL_TYPE (NavDhtSignalingClient, nav_dht_signaling_client, NAV, DHT_SIGNALING_CLIENT, NavSignalingClient)

void nav_dht_signaling_client_register (GTypeModule *module);

G_END_DECLS
