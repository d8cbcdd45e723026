/* nav-signaling-session.h: a NavAgent or a NavPeerConnection bound to a
 * signaling room
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-agent.h>
#include <netavanue/nav-signaling-client.h>
#include <netavanue/nav-peer-connection.h>

G_BEGIN_DECLS

#define NAV_TYPE_SIGNALING_SESSION (nav_signaling_session_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavSignalingSession, nav_signaling_session, NAV, SIGNALING_SESSION, GObject)

NAV_AVAILABLE_IN_ALL
NavSignalingSession *nav_signaling_session_new   (NavSignalingClient  *client,
                                                  NavAgent            *agent,
                                                  guint                stream_id,
                                                  const gchar         *room);
NAV_AVAILABLE_IN_ALL
NavSignalingSession *nav_signaling_session_new_for_peer_connection (NavSignalingClient *client,
                                                                    NavPeerConnection  *peer_connection,
                                                                    const gchar        *room);
NAV_AVAILABLE_IN_ALL
gboolean             nav_signaling_session_start (NavSignalingSession *self,
                                                  const gchar         *token,
                                                  GError             **error);
NAV_AVAILABLE_IN_ALL
const gchar         *nav_signaling_session_get_remote_peer (NavSignalingSession *self);
NAV_AVAILABLE_IN_ALL
void                 nav_signaling_session_set_remote_peer (NavSignalingSession *self,
                                                            const gchar         *peer);
NAV_AVAILABLE_IN_ALL
NavPeerConnection   *nav_signaling_session_get_peer_connection (NavSignalingSession *self);

G_END_DECLS
