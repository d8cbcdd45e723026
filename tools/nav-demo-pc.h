/* nav-demo-pc.h: nav-demo's peer connection parts (--secure, --datachannel)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* Two peer connections in this process: DTLS datagrams (--secure) or a
 * data channel (--datachannel). */
gboolean nav_demo_pc_run_local  (gboolean     datachannel,
                                 gint         count,
                                 gint         size,
                                 gint         timeout);
/* One peer connection that meets its peer in @room of @uri. */
gboolean nav_demo_pc_run_signal (const gchar *uri,
                                 const gchar *room,
                                 gboolean     datachannel,
                                 gboolean     loopback,
                                 gint         timeout);
