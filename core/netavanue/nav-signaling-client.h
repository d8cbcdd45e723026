/* nav-signaling-client.h: the client of the signaling server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NavSignalingClientState:
 * @NAV_SIGNALING_CLIENT_STATE_DISCONNECTED: not connected, and not trying.
 * @NAV_SIGNALING_CLIENT_STATE_CONNECTING: connecting, or waiting to
 *   reconnect after the connection was lost.
 * @NAV_SIGNALING_CLIENT_STATE_CONNECTED: connected; the server has given
 *   this client its peer id.
 *
 * The states of a [class@Nav.SignalingClient].
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SIGNALING_CLIENT_STATE_DISCONNECTED,
  NAV_SIGNALING_CLIENT_STATE_CONNECTING,
  NAV_SIGNALING_CLIENT_STATE_CONNECTED,
} NavSignalingClientState;

#define NAV_TYPE_SIGNALING_CLIENT (nav_signaling_client_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavSignalingClient, nav_signaling_client, NAV, SIGNALING_CLIENT, GObject)

NAV_AVAILABLE_IN_ALL
NavSignalingClient     *nav_signaling_client_new            (const gchar          *uri);
NAV_AVAILABLE_IN_ALL
void                    nav_signaling_client_connect_async  (NavSignalingClient   *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
NAV_AVAILABLE_IN_ALL
gboolean                nav_signaling_client_connect_finish (NavSignalingClient   *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
NAV_AVAILABLE_IN_ALL
void                    nav_signaling_client_disconnect     (NavSignalingClient   *self);

NAV_AVAILABLE_IN_ALL
const gchar            *nav_signaling_client_get_uri        (NavSignalingClient   *self);
NAV_AVAILABLE_IN_ALL
const gchar            *nav_signaling_client_get_peer_id    (NavSignalingClient   *self);
NAV_AVAILABLE_IN_ALL
NavSignalingClientState nav_signaling_client_get_state      (NavSignalingClient   *self);
NAV_AVAILABLE_IN_ALL
gchar                 **nav_signaling_client_list_rooms     (NavSignalingClient   *self);

NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_join                (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   const gchar         *token,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_leave               (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_offer          (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   const gchar         *to,
                                                   const gchar         *sdp,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_answer         (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   const gchar         *to,
                                                   const gchar         *sdp,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_candidate      (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   const gchar         *to,
                                                   const gchar         *candidate,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_end_of_candidates (NavSignalingClient  *self,
                                                      const gchar         *room,
                                                      const gchar         *to,
                                                      GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_bye            (NavSignalingClient  *self,
                                                   const gchar         *room,
                                                   const gchar         *to,
                                                   const gchar         *reason,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_signaling_client_send_ping           (NavSignalingClient  *self,
                                                   GError             **error);

G_END_DECLS
