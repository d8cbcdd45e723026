/* nav-signaling-client.c: the client of the signaling server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

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

#define PROTOCOL_VERSION 1
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define DEFAULT_KEEPALIVE 20

struct _NavSignalingClient
{
  GObject parent_instance;

  GMainContext *context;
  gchar *uri;
  gchar *ca_file;
  gboolean reconnect;
  guint keepalive_interval;

  SoupSession *session;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;            /* of the connection attempt running */
  GTask *connect_task;                  /* the user's connect_async, until welcome */
  GCancellable *user_cancellable;       /* the connect_async's */
  gulong user_cancel_id;
  NavSignalingClientState state;
  gchar *peer_id;
  GHashTable *rooms;                    /* room → token ("" for none) */
  GSource *retry;
  GSource *keepalive;
  guint attempts;
  gboolean ever_connected;
  gulong message_id;
  gulong closed_id;
};

enum {
  PROP_0,
  PROP_URI,
  PROP_CONTEXT,
  PROP_RECONNECT,
  PROP_KEEPALIVE_INTERVAL,
  PROP_CA_FILE,
  PROP_STATE,
  PROP_PEER_ID,
  N_PROPS
};

enum {
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  SIGNAL_JOINED,
  SIGNAL_LEFT,
  SIGNAL_PEER_JOINED,
  SIGNAL_PEER_LEFT,
  SIGNAL_OFFER,
  SIGNAL_ANSWER,
  SIGNAL_CANDIDATE,
  SIGNAL_END_OF_CANDIDATES,
  SIGNAL_BYE,
  SIGNAL_SERVER_ERROR,
  SIGNAL_PONG,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavSignalingClient, nav_signaling_client, G_TYPE_OBJECT)

static void start_connection (NavSignalingClient *self);

/* Takes the pending connect_async task, if any, unhooking its cancellable. */
static GTask *
steal_connect_task (NavSignalingClient *self)
{
  if (self->user_cancellable != NULL)
    {
      g_cancellable_disconnect (self->user_cancellable, self->user_cancel_id);
      self->user_cancel_id = 0;
      g_clear_object (&self->user_cancellable);
    }
  return g_steal_pointer (&self->connect_task);
}

static void
set_state (NavSignalingClient      *self,
           NavSignalingClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
drop_connection (NavSignalingClient *self)
{
  drop_source (&self->keepalive);
  if (self->ws == NULL)
    return;
  g_signal_handler_disconnect (self->ws, self->message_id);
  g_signal_handler_disconnect (self->ws, self->closed_id);
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->ws);
}

/* ------------------------------------------------------------- sending */

static gboolean
send_object (NavSignalingClient  *self,
             JsonBuilder         *b,
             GError             **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;

  json_builder_end_object (b);
  if (self->ws == NULL || self->state != NAV_SIGNALING_CLIENT_STATE_CONNECTED ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_CLOSED,
                           _("Not connected to the signaling server"));
      return FALSE;
    }
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  soup_websocket_connection_send_text (self->ws, text);
  return TRUE;
}

static JsonBuilder *
begin_message (const gchar *type,
               const gchar *room,
               const gchar *to)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (room != NULL)
    {
      json_builder_set_member_name (b, "room");
      json_builder_add_string_value (b, room);
    }
  if (to != NULL)
    {
      json_builder_set_member_name (b, "to");
      json_builder_add_string_value (b, to);
    }
  return b;
}

static gboolean
send_join (NavSignalingClient  *self,
           const gchar         *room,
           const gchar         *token,
           GError             **error)
{
  g_autoptr (JsonBuilder) b = begin_message ("join", room, NULL);

  if (token != NULL && token[0] != '\0')
    {
      json_builder_set_member_name (b, "token");
      json_builder_add_string_value (b, token);
    }
  return send_object (self, b, error);
}

static gboolean
on_keepalive (gpointer user_data)
{
  nav_signaling_client_send_ping (user_data, NULL);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ receiving */

static const gchar *
member (JsonObject  *o,
        const gchar *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
handle_welcome (NavSignalingClient *self,
                JsonObject         *msg)
{
  const gchar *peer = member (msg, "peer");
  gint64 idle = json_object_get_int_member_with_default (msg, "idle-timeout", 0);
  guint interval = self->keepalive_interval;
  g_autoptr (GTask) task = steal_connect_task (self);
  GHashTableIter iter;
  gpointer key, value;

  if (peer == NULL)
    return;
  g_free (self->peer_id);
  self->peer_id = g_strdup (peer);
  self->attempts = 0;
  self->ever_connected = TRUE;
  set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_ID]);

  if (interval == 0)
    interval = idle > 2 ? (guint) (idle / 2) : DEFAULT_KEEPALIVE;
  drop_source (&self->keepalive);
  self->keepalive = g_timeout_source_new_seconds (interval);
  g_source_set_callback (self->keepalive, on_keepalive, self, NULL);
  g_source_set_static_name (self->keepalive, "nav-signaling-keepalive");
  g_source_attach (self->keepalive, self->context);

  /* After a reconnection, the rooms are joined again with their tokens. */
  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    send_join (self, key, value, NULL);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0, self->peer_id);
}

static void
on_message (SoupWebsocketConnection *ws,
            gint                     data_type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  NavSignalingClient *self = user_data;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (NavSignalingClient) keep = g_object_ref (self);
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;
  JsonObject *msg;
  const gchar *type, *room, *from;

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, data, len, NULL))
    {
      g_debug ("signaling: dropped a message that is not JSON");
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  msg = json_node_get_object (root);
  type = member (msg, "type");
  room = member (msg, "room");
  from = member (msg, "from");
  if (type == NULL)
    return;

  if (g_str_equal (type, "welcome"))
    handle_welcome (self, msg);
  else if (g_str_equal (type, "joined") && room != NULL)
    {
      JsonNode *peers_node = json_object_get_member (msg, "peers");
      g_autoptr (GPtrArray) peers = g_ptr_array_new ();

      if (peers_node != NULL && JSON_NODE_HOLDS_ARRAY (peers_node))
        {
          JsonArray *a = json_node_get_array (peers_node);
          guint i;

          for (i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode *n = json_array_get_element (a, i);

              if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
                g_ptr_array_add (peers, (gpointer) json_node_get_string (n));
            }
        }
      g_ptr_array_add (peers, NULL);
      g_signal_emit (self, signals[SIGNAL_JOINED], 0, room, (gchar **) peers->pdata);
    }
  else if (g_str_equal (type, "left") && room != NULL)
    g_signal_emit (self, signals[SIGNAL_LEFT], 0, room);
  else if (g_str_equal (type, "peer-joined") && room != NULL && member (msg, "peer") != NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_JOINED], 0, room, member (msg, "peer"));
  else if (g_str_equal (type, "peer-left") && room != NULL && member (msg, "peer") != NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_LEFT], 0, room, member (msg, "peer"));
  else if (g_str_equal (type, "offer") && room != NULL && from != NULL && member (msg, "sdp") != NULL)
    g_signal_emit (self, signals[SIGNAL_OFFER], 0, room, from, member (msg, "sdp"));
  else if (g_str_equal (type, "answer") && room != NULL && from != NULL && member (msg, "sdp") != NULL)
    g_signal_emit (self, signals[SIGNAL_ANSWER], 0, room, from, member (msg, "sdp"));
  else if (g_str_equal (type, "candidate") && room != NULL && from != NULL &&
           member (msg, "candidate") != NULL)
    g_signal_emit (self, signals[SIGNAL_CANDIDATE], 0, room, from, member (msg, "candidate"));
  else if (g_str_equal (type, "end-of-candidates") && room != NULL && from != NULL)
    g_signal_emit (self, signals[SIGNAL_END_OF_CANDIDATES], 0, room, from);
  else if (g_str_equal (type, "bye"))
    g_signal_emit (self, signals[SIGNAL_BYE], 0, room, from, member (msg, "reason"));
  else if (g_str_equal (type, "error"))
    {
      const gchar *reason = member (msg, "reason");
      const gchar *ref = member (msg, "ref");
      gint64 code = json_object_get_int_member_with_default (msg, "code", 0);

      /* A refused join is not remembered for rejoining. */
      if (g_strcmp0 (ref, "join") == 0 && (code == 401 || code == 409))
        g_debug ("signaling: join refused (%" G_GINT64_FORMAT ")", code);
      g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0, (gint) code,
                     reason != NULL ? reason : "", ref);
    }
  else if (g_str_equal (type, "pong"))
    g_signal_emit (self, signals[SIGNAL_PONG], 0);
  else if (g_str_equal (type, "ping"))
    {
      g_autoptr (JsonBuilder) b = begin_message ("pong", NULL, NULL);

      send_object (self, b, NULL);
    }
}

static gboolean
on_retry (gpointer user_data)
{
  NavSignalingClient *self = user_data;

  drop_source (&self->retry);
  start_connection (self);
  return G_SOURCE_REMOVE;
}

/* 0.5 s, 1 s, 2 s … 30 s, each ±20 % so that a restarted server is not
 * hit by every client in the same millisecond. */
static void
schedule_retry (NavSignalingClient *self)
{
  guint delay = BACKOFF_MIN_MS;
  guint i;

  for (i = 0; i < self->attempts && delay < BACKOFF_MAX_MS; i++)
    delay *= 2;
  delay = MIN (delay, BACKOFF_MAX_MS);
  delay = (guint) (delay * g_random_double_range (0.8, 1.2));
  self->attempts++;
  g_debug ("signaling: reconnecting to %s in %u ms", self->uri, delay);
  set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTING);
  drop_source (&self->retry);
  self->retry = g_timeout_source_new (delay);
  g_source_set_callback (self->retry, on_retry, self, NULL);
  g_source_set_static_name (self->retry, "nav-signaling-retry");
  g_source_attach (self->retry, self->context);
}

/* The connection ended: give the connect task its error, or try again. */
static void
connection_lost (NavSignalingClient *self,
                 guint               code,
                 const gchar        *reason,
                 GError             *error)
{
  g_autoptr (NavSignalingClient) keep = g_object_ref (self);
  gboolean was_connected = self->state == NAV_SIGNALING_CLIENT_STATE_CONNECTED;

  drop_connection (self);
  if (self->connect_task != NULL)
    {
      g_autoptr (GTask) task = steal_connect_task (self);

      set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_new_error (task, NAV_ERROR, NAV_ERROR_CLOSED,
                                 _("The signaling server closed the connection (%u %s)"),
                                 code, reason != NULL ? reason : "");
      return;
    }
  if (self->reconnect && self->ever_connected)
    schedule_retry (self);
  else
    set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
  if (was_connected)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, code, reason);
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  NavSignalingClient *self = user_data;
  g_autofree gchar *reason = g_strdup (soup_websocket_connection_get_close_data (ws));

  connection_lost (self, soup_websocket_connection_get_close_code (ws), reason, NULL);
}

static void
on_websocket_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  NavSignalingClient *self = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->connect_task == NULL)
    {
      /* disconnect() or dispose: nothing to report. */
      g_object_unref (self);
      return;
    }
  g_clear_object (&self->cancellable);
  if (ws == NULL)
    {
      g_debug ("signaling: cannot connect to %s: %s", self->uri, error->message);
      connection_lost (self, 0, error->message, error);
      g_object_unref (self);
      return;
    }
  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  self->message_id = g_signal_connect (ws, "message", G_CALLBACK (on_message), self);
  self->closed_id = g_signal_connect (ws, "closed", G_CALLBACK (on_closed), self);
  /* Connected once the server's "welcome" names us. */
  g_object_unref (self);
}

/* Signaling messages are small and come in bursts (an answer, then its
 * candidates): without TCP_NODELAY the second one waits for the server's
 * delayed ACK, 40 ms on Linux. */
static void
on_network_event (SoupMessage       *msg,
                  GSocketClientEvent event,
                  GIOStream         *connection,
                  gpointer           user_data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    {
      GSocket *sock = g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection));

      g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    }
}

static void
start_connection (NavSignalingClient *self)
{
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->uri);

  set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTING);
  if (msg == NULL)
    {
      g_autoptr (GError) error = g_error_new (NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                                              _("“%s” is not a ws:// or wss:// URI"), self->uri);

      connection_lost (self, 0, error->message, error);
      return;
    }
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
  g_main_context_push_thread_default (self->context);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_websocket_connected,
                                        g_object_ref (self));
  g_main_context_pop_thread_default (self->context);
}

/* --------------------------------------------------------------- API */

/**
 * nav_signaling_client_new:
 * @uri: the server, `ws://HOST:PORT/` or `wss://HOST:PORT/`
 *
 * Creates a client of the signaling server at @uri, bound to the
 * thread-default main context.
 *
 * Returns: (transfer full): a new client
 *
 * Since: 1.0
 */
NavSignalingClient *
nav_signaling_client_new (const gchar *uri)
{
  g_return_val_if_fail (uri != NULL, NULL);

  return g_object_new (NAV_TYPE_SIGNALING_CLIENT, "uri", uri, NULL);
}

static void
on_connect_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  NavSignalingClient *self = user_data;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

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
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (NAV_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_signaling_client_connect_async);
  if (self->connect_task != NULL || self->state != NAV_SIGNALING_CLIENT_STATE_DISCONNECTED)
    {
      g_task_return_new_error (task, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                               _("The client is already connected or connecting"));
      return;
    }
  self->connect_task = g_object_ref (task);
  start_connection (self);
  if (cancellable != NULL && self->connect_task != NULL)
    {
      self->user_cancellable = g_object_ref (cancellable);
      self->user_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_connect_cancelled),
                                                    self, NULL);
    }
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
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  gboolean was_connected;

  g_return_if_fail (NAV_IS_SIGNALING_CLIENT (self));

  was_connected = self->state == NAV_SIGNALING_CLIENT_STATE_CONNECTED;
  drop_source (&self->retry);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  g_hash_table_remove_all (self->rooms);
  self->ever_connected = FALSE;
  set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
  if (self->connect_task != NULL)
    {
      g_autoptr (GTask) task = steal_connect_task (self);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Disconnected"));
    }
  if (was_connected)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, (guint) SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
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
  return self->uri;
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
  return self->peer_id;
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
  return self->state;
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
  {
    g_autofree gchar **keys = (gchar **) g_hash_table_get_keys_as_array (self->rooms, NULL);

    return g_strdupv (keys);
  }
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

  if (!send_join (self, room, token, error))
    return FALSE;
  g_hash_table_replace (self->rooms, g_strdup (room), g_strdup (token != NULL ? token : ""));
  return TRUE;
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
  g_autoptr (JsonBuilder) b = NULL;

  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (room != NULL, FALSE);

  g_hash_table_remove (self->rooms, room);
  b = begin_message ("leave", room, NULL);
  return send_object (self, b, error);
}

static gboolean
send_with_string (NavSignalingClient  *self,
                  const gchar         *type,
                  const gchar         *room,
                  const gchar         *to,
                  const gchar         *name,
                  const gchar         *value,
                  GError             **error)
{
  g_autoptr (JsonBuilder) b = begin_message (type, room, to);

  if (value != NULL)
    {
      json_builder_set_member_name (b, name);
      json_builder_add_string_value (b, value);
    }
  return send_object (self, b, error);
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
  return send_with_string (self, "offer", room, to, "sdp", sdp, error);
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
  return send_with_string (self, "answer", room, to, "sdp", sdp, error);
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
  return send_with_string (self, "candidate", room, to, "candidate", candidate, error);
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
  return send_with_string (self, "end-of-candidates", room, to, NULL, NULL, error);
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
  return send_with_string (self, "bye", room, to, "reason", reason, error);
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
  g_autoptr (JsonBuilder) b = NULL;

  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (self), FALSE);
  b = begin_message ("ping", NULL, NULL);
  return send_object (self, b, error);
}

/* ---------------------------------------------------------- GObject */

static void
nav_signaling_client_constructed (GObject *object)
{
  NavSignalingClient *self = NAV_SIGNALING_CLIENT (object);

  G_OBJECT_CLASS (nav_signaling_client_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  g_main_context_push_thread_default (self->context);
  self->session = soup_session_new ();
  /* No permessage-deflate: small messages, and no zlib state per peer. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  if (self->ca_file != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GTlsDatabase) db = g_tls_file_database_new (self->ca_file, &error);

      if (db != NULL)
        soup_session_set_tls_database (self->session, db);
      else
        g_warning ("signaling: cannot read %s: %s", self->ca_file, error->message);
    }
  g_main_context_pop_thread_default (self->context);
}

static void
nav_signaling_client_dispose (GObject *object)
{
  NavSignalingClient *self = NAV_SIGNALING_CLIENT (object);

  drop_source (&self->retry);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (nav_signaling_client_parent_class)->dispose (object);
}

static void
nav_signaling_client_finalize (GObject *object)
{
  NavSignalingClient *self = NAV_SIGNALING_CLIENT (object);

  g_hash_table_unref (self->rooms);
  g_free (self->uri);
  g_free (self->ca_file);
  g_free (self->peer_id);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_signaling_client_parent_class)->finalize (object);
}

static void
nav_signaling_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavSignalingClient *self = NAV_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PEER_ID:
      g_value_set_string (value, self->peer_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_signaling_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavSignalingClient *self = NAV_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URI:
      self->uri = g_value_dup_string (value);
      break;
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_RECONNECT:
      self->reconnect = g_value_get_boolean (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval = g_value_get_uint (value);
      break;
    case PROP_CA_FILE:
      self->ca_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_signaling_client_class_init (NavSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_signaling_client_constructed;
  object_class->dispose = nav_signaling_client_dispose;
  object_class->finalize = nav_signaling_client_finalize;
  object_class->get_property = nav_signaling_client_get_property;
  object_class->set_property = nav_signaling_client_set_property;

  /**
   * NavSignalingClient:uri:
   *
   * The server: `ws://HOST:PORT/` or `wss://HOST:PORT/`.
   *
   * Since: 1.0
   */
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL, co);

  /**
   * NavSignalingClient:context:
   *
   * The main context of the client's socket, timers and signals; %NULL at
   * construction means the thread-default context.
   *
   * Since: 1.0
   */
  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT, co);

  /**
   * NavSignalingClient:reconnect:
   *
   * Whether a lost connection is retried with exponential backoff, the
   * rooms joined again.
   *
   * Since: 1.0
   */
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NavSignalingClient:keepalive-interval:
   *
   * Seconds between two pings; 0 for half the server's idle timeout.
   *
   * Since: 1.0
   */
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, 3600, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NavSignalingClient:ca-file:
   *
   * A PEM file of the certificate authorities to trust for `wss://`
   * instead of the system's.
   *
   * Since: 1.0
   */
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL, NULL, co);

  /**
   * NavSignalingClient:state:
   *
   * The connection state.
   *
   * Since: 1.0
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, NAV_TYPE_SIGNALING_CLIENT_STATE,
                       NAV_SIGNALING_CLIENT_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavSignalingClient:peer-id:
   *
   * The id the server gave this client.
   *
   * Since: 1.0
   */
  properties[PROP_PEER_ID] =
    g_param_spec_string ("peer-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  signals[SIGNAL_CONNECTED] =
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
  signals[SIGNAL_DISCONNECTED] =
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
  signals[SIGNAL_JOINED] =
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
  signals[SIGNAL_LEFT] =
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
  signals[SIGNAL_PEER_JOINED] =
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
  signals[SIGNAL_PEER_LEFT] =
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
  signals[SIGNAL_OFFER] =
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
  signals[SIGNAL_ANSWER] =
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
  signals[SIGNAL_CANDIDATE] =
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
  signals[SIGNAL_END_OF_CANDIDATES] =
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
  signals[SIGNAL_BYE] =
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
  signals[SIGNAL_SERVER_ERROR] =
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
  signals[SIGNAL_PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
nav_signaling_client_init (NavSignalingClient *self)
{
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->reconnect = TRUE;
}
