/* nav-signaling-server.h: the signaling server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_SIGNALING_SERVER (nav_signaling_server_get_type ())
G_DECLARE_FINAL_TYPE (NavSignalingServer, nav_signaling_server, NAV, SIGNALING_SERVER, GObject)

void nav_signaling_server_register (GTypeModule *module);

G_END_DECLS
