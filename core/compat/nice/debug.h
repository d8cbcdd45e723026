/* debug.h: libnice's debug switches, on NetAvanue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of NetAvanue's libnice source-compatibility layer.  libnice's
 * debug output is NetAvanue's: nice_debug_enable() adds the log domains
 * of the core and of the ICE tier ("nav", "nav-ice"; with @with_stun,
 * those of the STUN and TURN tiers, "nav-stun" and "nav-turn") to
 * G_MESSAGES_DEBUG, so that GLib's default log writer prints them;
 * nice_debug_disable() takes them out again.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void nice_debug_enable  (gboolean with_stun);
void nice_debug_disable (gboolean with_stun);

G_END_DECLS
