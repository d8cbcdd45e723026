/* nav-demo-discover.h: nav-demo --discover and --dht (issue 19)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Finds the peer, then says where to meet it: for --dht BOOTSTRAP a room
 * of the DHT (dht://BOOTSTRAP/, the room given or "nav-demo"); for
 * --discover a room of a signaling server embedded in one of the two
 * nav-demo processes, found on the LAN by mDNS/DNS-SD.  Replaces
 * *signal_uri and *room (g_free'd); FALSE with a message printed when
 * nothing was found in @timeout_s seconds. */
gboolean nav_demo_rendezvous (gboolean      discover,
                              const gchar  *dht_bootstrap,
                              gint          timeout_s,
                              gchar       **signal_uri,
                              gchar       **room);

G_END_DECLS
