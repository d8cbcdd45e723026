/* nav-ice-checker.h: the ICE connectivity checker (RFC 8445)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

/**
 * NavIceNominationMode:
 * @NAV_ICE_NOMINATION_MODE_REGULAR: the controlling agent lets checks
 *   complete, then nominates one valid pair with a second check carrying
 *   USE-CANDIDATE (RFC 8445 §8.1.1).
 * @NAV_ICE_NOMINATION_MODE_AGGRESSIVE: every check carries USE-CANDIDATE
 *   and the first pair that succeeds is selected (RFC 5245 §8.1.1.2, as
 *   libnice still offers).
 *
 * How the controlling agent nominates pairs, as libnice's
 * `NiceNominationMode`.  The values are those of the core's
 * `NavNominationMode`, so the agent sets the property with either.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ICE_NOMINATION_MODE_REGULAR,
  NAV_ICE_NOMINATION_MODE_AGGRESSIVE,
} NavIceNominationMode;

#define NAV_TYPE_ICE_NOMINATION_MODE (nav_ice_nomination_mode_get_type ())
GType nav_ice_nomination_mode_get_type (void);

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
