/* nav-inspect-private.h: how the core's objects become visible to
 * nav-inspect --live (nav-inspect-export.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* Called once by each NavAgent and NavPeerConnection when constructed:
 * a weak reference in a table, and the export started when
 * NAV_DEBUG_EXPORT=1 asks for it. */
void nav_inspect_track (GObject     *object,
                        const gchar *kind);

G_END_DECLS
