/* nav-signaling-client.c: the abstract type of signaling clients
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

/**
 * NavSignalingClient:
 *
 * A client of the NetAvanue signaling server (`nav-server --signaling`):
 * it connects over a WebSocket (`ws://` or `wss://`), joins rooms, sends
 * the offer, answer, candidates, end-of-candidates and bye of the
 * protocol described in `signaling.md`, and emits one signal for each
 * message it receives.
 *
 * An abstract type: the implementation (WebSocket, JSON) is the
 * `signaling` module's, registered as `websocket` at the
 * `nav-signaling-client` extension point, so that the core links
 * neither; get one with [ctor@Nav.SignalingClient.new], or through the
 * registry with more properties.  (A class rather than an interface so
 * that its `disconnect` method is not hidden by GObject's in bindings.)
 *
 * When the connection is lost after it was established, the client
 * reconnects on its own with exponential backoff (0.5 s doubling up to
 * 30 s, ±20 % jitter) and joins its rooms again, with the same tokens;
 * [signal@Nav.SignalingClient::connected] is emitted each time, with the
 * new peer id the server gave it.  It sends a `ping` often enough to stay
 * under the server's idle timeout.
 *
 * Every signal is emitted in the main context that was thread-default
 * when the client was created, with no lock held.
 *
 * ```python
 * client = Nav.SignalingClient.new("ws://127.0.0.1:8080/")
 * client.connect("offer", lambda c, room, peer, sdp: ...)
 * client.connect_async(None, lambda c, res: c.join("red-lion-star", None))
 * ```
 *
 * Since: 1.0
 */

/* Its extension point is the registry's, with the core interfaces'. */
G_DEFINE_ABSTRACT_TYPE (NavSignalingClient, nav_signaling_client, G_TYPE_OBJECT)

/* The properties are the implementation's to store (it overrides them). */
static void
nav_signaling_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nav_signaling_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nav_signaling_client_init (NavSignalingClient *self)
{
}

static void
nav_signaling_client_class_init (NavSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  guint prop = 1;

  object_class->get_property = nav_signaling_client_get_property;
  object_class->set_property = nav_signaling_client_set_property;

  /**
   * NavSignalingClient:uri:
   *
   * The server: `ws://HOST:PORT/` or `wss://HOST:PORT/`.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_string ("uri", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:context:
   *
   * The main context of the client's socket, timers and signals; %NULL at
   * construction means the thread-default context.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:reconnect:
   *
   * Whether a lost connection is retried with exponential backoff, the
   * rooms joined again.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_boolean ("reconnect", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:keepalive-interval:
   *
   * Seconds between two pings; 0 for half the server's idle timeout.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, 3600, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:ca-file:
   *
   * A PEM file of the certificate authorities to trust for `wss://`
   * instead of the system's.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_string ("ca-file", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:state:
   *
   * The connection state.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_enum ("state", NULL, NULL, NAV_TYPE_SIGNALING_CLIENT_STATE,
                       NAV_SIGNALING_CLIENT_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient:peer-id:
   *
   * The id the server gave this client.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, prop++,
    g_param_spec_string ("peer-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSignalingClient::connected:
   * @self: the client
   * @peer_id: the id the server gave the client
   *
   * The server greeted the client, at the first connection and after each
   * reconnection (the rooms are being joined again).
   *
   * Since: 1.0
   */
  g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * NavSignalingClient::disconnected:
   * @self: the client
   * @code: the WebSocket close code (RFC 6455 §7.4), 1001 when the server
   *   shuts down
   * @reason: (nullable): the close reason
   *
   * The connection ended; unless [method@Nav.SignalingClient.disconnect]
   * was called the client is reconnecting.
   *
   * Since: 1.0
   */
  g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * NavSignalingClient::joined:
   * @self: the client
   * @room: the room joined
   * @peers: (array zero-terminated=1): the peers already in it
   *
   * The server accepted a join.
   *
   * Since: 1.0
   */
  g_signal_new ("joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRV);

  /**
   * NavSignalingClient::left:
   * @self: the client
   * @room: the room left
   *
   * The server confirmed a leave.
   *
   * Since: 1.0
   */
  g_signal_new ("left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * NavSignalingClient::peer-joined:
   * @self: the client
   * @room: the room
   * @peer: the peer that entered it
   *
   * Since: 1.0
   */
  g_signal_new ("peer-joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::peer-left:
   * @self: the client
   * @room: the room
   * @peer: the peer that left it or lost its connection
   *
   * Since: 1.0
   */
  g_signal_new ("peer-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::offer:
   * @self: the client
   * @room: the room
   * @from: the sender's peer id
   * @sdp: the offer
   *
   * Since: 1.0
   */
  g_signal_new ("offer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::answer:
   * @self: the client
   * @room: the room
   * @from: the sender's peer id
   * @sdp: the answer
   *
   * Since: 1.0
   */
  g_signal_new ("answer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::candidate:
   * @self: the client
   * @room: the room
   * @from: the sender's peer id
   * @candidate: the candidate, an SDP `a=candidate:` value
   *
   * Since: 1.0
   */
  g_signal_new ("candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::end-of-candidates:
   * @self: the client
   * @room: the room
   * @from: the sender's peer id
   *
   * Since: 1.0
   */
  g_signal_new ("end-of-candidates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::bye:
   * @self: the client
   * @room: (nullable): the room; %NULL when the server itself says bye
   *   (it is shutting down)
   * @from: (nullable): the sender's peer id; %NULL from the server
   * @reason: (nullable): why
   *
   * Since: 1.0
   */
  g_signal_new ("bye", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::server-error:
   * @self: the client
   * @code: the protocol's error code (400 bad message, 401 bad token,
   *   403 not in room, 404 no such peer, 409 room full, 415 unknown type,
   *   429 rate limited, …; see `signaling.md`)
   * @reason: a human-readable reason
   * @ref: (nullable): the type of the message refused
   *
   * Since: 1.0
   */
  g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * NavSignalingClient::pong:
   * @self: the client
   *
   * The server answered a ping.
   *
   * Since: 1.0
   */
  g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 0);
}

/**
 * nav_signaling_client_new:
 * @uri: the server, `ws://HOST:PORT/` or `wss://HOST:PORT/`
 *
 * Creates a client of the signaling server at @uri, bound to the
 * thread-default main context, from the implementation at the
 * `nav-signaling-client` extension point named after the URI's scheme
 * when there is one (`dht://…`: the discovery tier's rooms over
 * OpenDHT), else the preferred one (the `signaling` module's WebSocket
 * client, for `ws://` and `wss://`).
 *
 * Returns: (transfer full) (nullable): a new client, or %NULL (with a
 *   warning) when no module implements it
 *
 * Since: 1.0
 */
NavSignalingClient *
nav_signaling_client_new (const gchar *uri)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *scheme = NULL;
  const gchar *name = NULL;
  GObject *client;

  g_return_val_if_fail (uri != NULL, NULL);

  /* The extension point exists once the type does. */
  g_type_ensure (NAV_TYPE_SIGNALING_CLIENT);
  /* An implementation named after the URI's scheme when there is one
   * (`dht://` rooms are the discovery tier's `dht`), else the preferred. */
  scheme = g_uri_parse_scheme (uri);
  if (scheme != NULL)
    {
      g_autoptr (NavImplementationInfo) info =
        nav_registry_lookup (nav_registry_get_default (), NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, scheme, NULL);

      if (info != NULL)
        name = scheme;
    }
  client = nav_registry_create (nav_registry_get_default (), NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME,
                                name, &error, "uri", uri, NULL);
  if (client == NULL)
    {
      g_warning (_("No signaling client: %s"), error->message);
      return NULL;
    }
  return NAV_SIGNALING_CLIENT (client);
}

#define IFACE(self) NAV_SIGNALING_CLIENT_GET_CLASS (self)

/**
 * nav_signaling_client_connect_async:
 * @self: a client
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: (closure): data for @callback
 *
 * Connects to the server.  The operation completes when the server has
 * greeted the client with its peer id.  If this first connection fails
 * there is no retry; once connected, a lost connection is retried with
 * backoff (see [property@Nav.SignalingClient:reconnect]).
 *
 * Since: 1.0
 */
void
nav_signaling_client_connect_async (NavSignalingClient  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (NAV_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  IFACE (self)->connect_async (self, cancellable, callback, user_data);
}

/**
 * nav_signaling_client_connect_finish:
 * @self: a client
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when connected
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_connect_finish (NavSignalingClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);

  return IFACE (self)->connect_finish (self, result, error);
}

/**
 * nav_signaling_client_disconnect:
 * @self: a client
 *
 * Closes the connection (code 1000), stops reconnecting and forgets the
 * rooms.
 *
 * Since: 1.0
 */
void
nav_signaling_client_disconnect (NavSignalingClient *self)
{
  g_return_if_fail (NAV_IS_SIGNALING_CLIENT (self));

  IFACE (self)->disconnect (self);
}

/**
 * nav_signaling_client_get_uri:
 * @self: a client
 *
 * Returns: the server's URI
 *
 * Since: 1.0
 */
const gchar *
nav_signaling_client_get_uri (NavSignalingClient *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), NULL);

  return IFACE (self)->get_uri (self);
}

/**
 * nav_signaling_client_get_peer_id:
 * @self: a client
 *
 * Returns: (nullable): the id the server gave this client, %NULL before
 *   the first connection; it changes at each reconnection
 *
 * Since: 1.0
 */
const gchar *
nav_signaling_client_get_peer_id (NavSignalingClient *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), NULL);

  return IFACE (self)->get_peer_id (self);
}

/**
 * nav_signaling_client_get_state:
 * @self: a client
 *
 * Returns: the connection state
 *
 * Since: 1.0
 */
NavSignalingClientState
nav_signaling_client_get_state (NavSignalingClient *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);

  return IFACE (self)->get_state (self);
}

/**
 * nav_signaling_client_list_rooms:
 * @self: a client
 *
 * Returns: (transfer full): the rooms the client joins, and joins again
 *   after a reconnection
 *
 * Since: 1.0
 */
gchar **
nav_signaling_client_list_rooms (NavSignalingClient *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), NULL);

  return IFACE (self)->list_rooms (self);
}

/**
 * nav_signaling_client_join:
 * @self: a connected client
 * @room: the room id: 1 to 64 characters of A–Z, a–z, 0–9, `-`, `_`, `.`
 * @token: (nullable): the join token, when the server wants one
 * @error: return location for a #GError
 *
 * Asks to join @room.  The answer comes as
 * [signal@Nav.SignalingClient::joined], or as
 * [signal@Nav.SignalingClient::server-error] (401 bad token, 409 full).
 * The room is joined again after each reconnection until
 * [method@Nav.SignalingClient.leave].
 *
 * Returns: %TRUE when the request was sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_join (NavSignalingClient  *self,
                           const gchar         *room,
                           const gchar         *token,
                           GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL, FALSE);

  return IFACE (self)->join (self, room, token, error);
}

/**
 * nav_signaling_client_leave:
 * @self: a connected client
 * @room: a room joined
 * @error: return location for a #GError
 *
 * Leaves @room; [signal@Nav.SignalingClient::left] follows.
 *
 * Returns: %TRUE when the request was sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_leave (NavSignalingClient  *self,
                            const gchar         *room,
                            GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL, FALSE);

  return IFACE (self)->leave (self, room, error);
}

/**
 * nav_signaling_client_send_offer:
 * @self: a connected client
 * @room: a room joined
 * @to: (nullable): the peer id to send to; %NULL for every other peer
 * @sdp: the offer
 * @error: return location for a #GError
 *
 * Sends an SDP offer.
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_offer (NavSignalingClient  *self,
                                 const gchar         *room,
                                 const gchar         *to,
                                 const gchar         *sdp,
                                 GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL && sdp != NULL, FALSE);

  return IFACE (self)->send (self, "offer", room, to, "sdp", sdp, error);
}

/**
 * nav_signaling_client_send_answer:
 * @self: a connected client
 * @room: a room joined
 * @to: (nullable): the peer id to send to; %NULL for every other peer
 * @sdp: the answer
 * @error: return location for a #GError
 *
 * Sends an SDP answer.
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_answer (NavSignalingClient  *self,
                                  const gchar         *room,
                                  const gchar         *to,
                                  const gchar         *sdp,
                                  GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL && sdp != NULL, FALSE);

  return IFACE (self)->send (self, "answer", room, to, "sdp", sdp, error);
}

/**
 * nav_signaling_client_send_candidate:
 * @self: a connected client
 * @room: a room joined
 * @to: (nullable): the peer id to send to; %NULL for every other peer
 * @candidate: one candidate, as an SDP `a=candidate:` value (trickle ICE,
 *   RFC 8838)
 * @error: return location for a #GError
 *
 * Sends one candidate as soon as it is gathered.
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_candidate (NavSignalingClient  *self,
                                     const gchar         *room,
                                     const gchar         *to,
                                     const gchar         *candidate,
                                     GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL && candidate != NULL, FALSE);

  return IFACE (self)->send (self, "candidate", room, to, "candidate", candidate, error);
}

/**
 * nav_signaling_client_send_end_of_candidates:
 * @self: a connected client
 * @room: a room joined
 * @to: (nullable): the peer id to send to; %NULL for every other peer
 * @error: return location for a #GError
 *
 * Says that gathering is over (RFC 8838 §8.2).
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_end_of_candidates (NavSignalingClient  *self,
                                             const gchar         *room,
                                             const gchar         *to,
                                             GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL, FALSE);

  return IFACE (self)->send (self, "end-of-candidates", room, to, NULL, NULL, error);
}

/**
 * nav_signaling_client_send_bye:
 * @self: a connected client
 * @room: a room joined
 * @to: (nullable): the peer id to send to; %NULL for every other peer
 * @reason: (nullable): why the session ends
 * @error: return location for a #GError
 *
 * Ends the session with a peer (the room stays joined).
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_bye (NavSignalingClient  *self,
                               const gchar         *room,
                               const gchar         *to,
                               const gchar         *reason,
                               GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL, FALSE);

  return IFACE (self)->send (self, "bye", room, to, "reason", reason, error);
}

/**
 * nav_signaling_client_send_ping:
 * @self: a connected client
 * @error: return location for a #GError
 *
 * Sends a `ping`; the server answers with a `pong`
 * ([signal@Nav.SignalingClient::pong]).  The client pings on its own to
 * stay under the server's idle timeout.
 *
 * Returns: %TRUE when sent
 *
 * Since: 1.0
 */
gboolean
nav_signaling_client_send_ping (NavSignalingClient  *self,
                                GError             **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);

  return IFACE (self)->send (self, "ping", NULL, NULL, NULL, NULL, error);
}
