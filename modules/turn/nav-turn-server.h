/* nav-turn-server.h: the TURN server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_TURN_SERVER (nav_turn_server_get_type ())
G_DECLARE_FINAL_TYPE (NavTurnServer, nav_turn_server, NAV, TURN_SERVER, GObject)

guint    nav_turn_server_get_port      (NavTurnServer *self);
guint    nav_turn_server_get_tls_port  (NavTurnServer *self);
guint64  nav_turn_server_get_counter   (NavTurnServer *self,
                                        const gchar   *name);

G_END_DECLS
