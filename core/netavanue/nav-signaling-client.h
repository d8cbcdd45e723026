/* nav-signaling-client.h: the client of a signaling server, as an
 * abstract type (the implementation is the signaling module's)
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
 * NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [class@Nav.SignalingClient]
 * implementations register (the signaling module's is `websocket`).
 */
#define NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME "nav-signaling-client"

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
G_DECLARE_DERIVABLE_TYPE (NavSignalingClient, nav_signaling_client, NAV, SIGNALING_CLIENT, GObject)

/**
 * NavSignalingClientClass:
 * @parent_class: the parent class.
 * @connect_async: connects; completes once the server named the client.
 * @connect_finish: the result of @connect_async.
 * @disconnect: closes, stops reconnecting, forgets the rooms.
 * @get_uri: the server's URI.
 * @get_peer_id: the id the server gave the client, or %NULL.
 * @get_state: the connection state.
 * @list_rooms: the rooms joined (and joined again after a reconnection).
 * @join: asks to join a room, with a token or %NULL.
 * @leave: leaves a room.
 * @send: sends a message of the protocol's @type to @room (and @to, a
 *   peer id, or %NULL for the whole room), with the string member
 *   @name = @value when @name is not %NULL; the texts of `offer`,
 *   `answer`, `candidate`, `end-of-candidates`, `bye` and `ping`.
 *
 * The virtual methods of [class@Nav.SignalingClient], all of which an
 * implementation provides.  Implementations also override its
 * properties (`uri`, `context`, `reconnect`, `keepalive-interval`,
 * `ca-file`, `state`, `peer-id`) and emit its signals.
 *
 * Since: 1.0
 */
struct _NavSignalingClientClass
{
  GObjectClass parent_class;

  void                    (*connect_async)  (NavSignalingClient   *self,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
  gboolean                (*connect_finish) (NavSignalingClient   *self,
                                             GAsyncResult         *result,
                                             GError              **error);
  void                    (*disconnect)     (NavSignalingClient   *self);
  const gchar *           (*get_uri)        (NavSignalingClient   *self);
  const gchar *           (*get_peer_id)    (NavSignalingClient   *self);
  NavSignalingClientState (*get_state)      (NavSignalingClient   *self);
  gchar **                (*list_rooms)     (NavSignalingClient   *self);
  gboolean                (*join)           (NavSignalingClient   *self,
                                             const gchar          *room,
                                             const gchar          *token,
                                             GError              **error);
  gboolean                (*leave)          (NavSignalingClient   *self,
                                             const gchar          *room,
                                             GError              **error);
  gboolean                (*send)           (NavSignalingClient   *self,
                                             const gchar          *type,
                                             const gchar          *room,
                                             const gchar          *to,
                                             const gchar          *name,
                                             const gchar          *value,
                                             GError              **error);

  /*< private >*/
  gpointer padding[8];
};

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
