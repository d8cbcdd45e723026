/* nav-stun-probe.h: the STUN client as the `stun-probe` gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_STUN_PROBE (nav_stun_probe_get_type ())
G_DECLARE_FINAL_TYPE (NavStunProbe, nav_stun_probe, NAV, STUN_PROBE, GObject)

G_END_DECLS
