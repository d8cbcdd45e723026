/* nav-ice-checker.h: the ICE connectivity checker (RFC 8445)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_ICE_CHECKER (nav_ice_checker_get_type ())
G_DECLARE_FINAL_TYPE (NavIceChecker, nav_ice_checker, NAV, ICE_CHECKER, GObject)

void       nav_ice_checker_register               (GTypeModule   *module);

GPtrArray *nav_ice_checker_dup_local_candidates   (NavIceChecker *self,
                                                   guint          stream_id,
                                                   guint          component_id);
GPtrArray *nav_ice_checker_dup_remote_candidates  (NavIceChecker *self,
                                                   guint          stream_id,
                                                   guint          component_id);
gboolean   nav_ice_checker_get_remote_gathering_done (NavIceChecker *self,
                                                      guint          stream_id);

G_END_DECLS
