/* nav-signaling-ws-client.h: NavSignalingClient over a WebSocket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_SIGNALING_WS_CLIENT (nav_signaling_ws_client_get_type ())
G_DECLARE_FINAL_TYPE (NavSignalingWsClient, nav_signaling_ws_client, NAV, SIGNALING_WS_CLIENT, NavSignalingClient)

void nav_signaling_ws_client_register (GTypeModule *module);

G_END_DECLS
