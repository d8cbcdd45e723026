/* nav-share-relay.h: the datagram channel under nav-share's DTLS layer:
 * the ICE agent's channel, or, when ICE found no path, datagrams framed
 * over the signaling server's WebSocket relay (`nav-server --relay`)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_SHARE_TYPE_RELAY_CHANNEL (nav_share_relay_channel_get_type ())
G_DECLARE_FINAL_TYPE (NavShareRelayChannel, nav_share_relay_channel, NAV_SHARE, RELAY_CHANNEL, GObject)

NavShareRelayChannel *nav_share_relay_channel_new          (NavAgent             *agent,
                                                            guint                 stream_id,
                                                            guint                 component_id);
gboolean              nav_share_relay_channel_start_relay  (NavShareRelayChannel *self,
                                                            const gchar          *url,
                                                            const gchar          *session,
                                                            const gchar          *token,
                                                            GError              **error);
void                  nav_share_relay_channel_set_tls_database (NavShareRelayChannel *self,
                                                                GTlsDatabase         *database);
gboolean              nav_share_relay_channel_is_relayed   (NavShareRelayChannel *self);
const gchar          *nav_share_relay_channel_get_close_reason (NavShareRelayChannel *self);

gchar                *nav_share_relay_url_for_signal       (const gchar          *signal_uri);
gboolean              nav_share_relay_credentials          (const gchar          *local_sdp,
                                                            const gchar          *remote_sdp,
                                                            gchar               **session,
                                                            gchar               **token);

G_END_DECLS
