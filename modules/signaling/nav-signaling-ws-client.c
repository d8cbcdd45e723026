/* nav-signaling-ws-client.c: NavSignalingClient over a WebSocket
 * (libsoup 3), the `websocket` implementation of the core's abstract
 * NavSignalingClient.  Messages are read by the strict reader
 * and written by the protocol's own builders (nav-signaling-protocol.h):
 * the client and the server share one definition of the protocol.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-ws-client.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define DEFAULT_KEEPALIVE 20
/* What a client accepts from a server: messages are small. */
#define MAX_INCOMING (1024 * 1024)

struct _NavSignalingWsClient
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

/* The interface's signals. */
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

static const gchar *signal_names[N_SIGNALS] = {
  "connected", "disconnected", "joined", "left", "peer-joined", "peer-left", "offer",
  "answer", "candidate", "end-of-candidates", "bye", "server-error", "pong",
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavSignalingWsClient, nav_signaling_ws_client, NAV_TYPE_SIGNALING_CLIENT,
                                G_TYPE_FLAG_FINAL, {})

void
nav_signaling_ws_client_register (GTypeModule *module)
{
  nav_signaling_ws_client_register_type (module);
}

static void start_connection (NavSignalingWsClient *self);

/* Takes the pending connect_async task, if any, unhooking its cancellable. */
static GTask *
steal_connect_task (NavSignalingWsClient *self)
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
set_state (NavSignalingWsClient    *self,
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
drop_connection (NavSignalingWsClient *self)
{
  drop_source (&self->keepalive);
  if (self->ws == NULL)
    return;
  g_signal_handler_disconnect (self->ws, self->message_id);
  g_signal_handler_disconnect (self->ws, self->closed_id);
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, NAV_SIGNALING_CLOSE_NORMAL, NULL);
  g_clear_object (&self->ws);
}

/* ------------------------------------------------------------- sending */

static gboolean
send_text (NavSignalingWsClient  *self,
           gchar                 *text,
           GError               **error)
{
  g_autofree gchar *owned = text;

  if (self->ws == NULL || self->state != NAV_SIGNALING_CLIENT_STATE_CONNECTED ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_CLOSED,
                           _("Not connected to the signaling server"));
      return FALSE;
    }
  soup_websocket_connection_send_text (self->ws, owned);
  return TRUE;
}

static gboolean
send_join (NavSignalingWsClient  *self,
           const gchar           *room,
           const gchar           *token,
           GError               **error)
{
  const gchar *names[] = { "token", NULL };
  const gchar *values[] = { token != NULL && token[0] != '\0' ? token : NULL, NULL };

  return send_text (self, nav_signaling_build_request ("join", room, NULL, names, values), error);
}

static gboolean
on_keepalive (gpointer user_data)
{
  nav_signaling_client_send_ping (user_data, NULL);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ receiving */

static void
handle_welcome (NavSignalingWsClient      *self,
                const NavSignalingMessage *msg)
{
  g_autofree gchar *peer = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_PEER);
  gint64 idle = 0;
  guint interval = self->keepalive_interval;
  g_autoptr (GTask) task = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (peer == NULL)
    return;
  nav_signaling_message_get_int (msg, NAV_SIGNALING_KEY_IDLE_TIMEOUT, &idle);
  task = steal_connect_task (self);
  g_free (self->peer_id);
  self->peer_id = g_steal_pointer (&peer);
  self->attempts = 0;
  self->ever_connected = TRUE;
  set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_ID]);

  if (interval == 0)
    interval = idle > 2 ? (guint) MIN (idle / 2, 3600) : DEFAULT_KEEPALIVE;
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
  NavSignalingWsClient *self = user_data;
  g_autoptr (NavSignalingWsClient) keep = g_object_ref (self);
  g_autofree NavSignalingMessage *msg = g_new (NavSignalingMessage, 1);
  g_autofree gchar *type = NULL, *room = NULL, *from = NULL, *peer = NULL;
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT ||
      nav_signaling_message_parse (msg, data, len, NAV_SIGNALING_MAX_NESTING) != NAV_JSON_OK)
    {
      g_debug ("signaling: dropped a message that is not a JSON object");
      return;
    }
  type = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_TYPE);
  room = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_ROOM);
  from = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_FROM);
  peer = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_PEER);
  if (type == NULL)
    return;

  if (g_str_equal (type, "welcome"))
    handle_welcome (self, msg);
  else if (g_str_equal (type, "joined") && room != NULL)
    {
      g_auto (GStrv) peers = nav_signaling_message_dup_strv (msg, NAV_SIGNALING_KEY_PEERS);
      const gchar *none[] = { NULL };

      g_signal_emit (self, signals[SIGNAL_JOINED], 0, room, peers != NULL ? (const gchar * const *) peers : none);
    }
  else if (g_str_equal (type, "left") && room != NULL)
    g_signal_emit (self, signals[SIGNAL_LEFT], 0, room);
  else if (g_str_equal (type, "peer-joined") && room != NULL && peer != NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_JOINED], 0, room, peer);
  else if (g_str_equal (type, "peer-left") && room != NULL && peer != NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_LEFT], 0, room, peer);
  else if ((g_str_equal (type, "offer") || g_str_equal (type, "answer")) && room != NULL && from != NULL)
    {
      g_autofree gchar *sdp = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_SDP);

      if (sdp != NULL)
        g_signal_emit (self, signals[g_str_equal (type, "offer") ? SIGNAL_OFFER : SIGNAL_ANSWER], 0,
                       room, from, sdp);
    }
  else if (g_str_equal (type, "candidate") && room != NULL && from != NULL)
    {
      g_autofree gchar *candidate = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_CANDIDATE);

      if (candidate != NULL)
        g_signal_emit (self, signals[SIGNAL_CANDIDATE], 0, room, from, candidate);
    }
  else if (g_str_equal (type, "end-of-candidates") && room != NULL && from != NULL)
    g_signal_emit (self, signals[SIGNAL_END_OF_CANDIDATES], 0, room, from);
  else if (g_str_equal (type, "bye"))
    {
      g_autofree gchar *reason = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_REASON);

      g_signal_emit (self, signals[SIGNAL_BYE], 0, room, from, reason);
    }
  else if (g_str_equal (type, "error"))
    {
      g_autofree gchar *reason = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_REASON);
      g_autofree gchar *ref = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_REF);
      gint64 code = 0;

      nav_signaling_message_get_int (msg, NAV_SIGNALING_KEY_CODE, &code);
      if (g_strcmp0 (ref, "join") == 0 &&
          (code == NAV_SIGNALING_ERROR_UNAUTHORIZED || code == NAV_SIGNALING_ERROR_ROOM_FULL))
        g_debug ("signaling: join refused (%" G_GINT64_FORMAT ")", code);
      g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0, (gint) CLAMP (code, G_MININT, G_MAXINT),
                     reason != NULL ? reason : "", ref);
    }
  else if (g_str_equal (type, "pong"))
    g_signal_emit (self, signals[SIGNAL_PONG], 0);
  else if (g_str_equal (type, "ping"))
    send_text (self, nav_signaling_build_request ("pong", NULL, NULL, NULL, NULL), NULL);
}

static gboolean
on_retry (gpointer user_data)
{
  NavSignalingWsClient *self = user_data;

  drop_source (&self->retry);
  start_connection (self);
  return G_SOURCE_REMOVE;
}

/* 0.5 s, 1 s, 2 s … 30 s, each ±20 % so that a restarted server is not
 * hit by every client in the same millisecond. */
static void
schedule_retry (NavSignalingWsClient *self)
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
connection_lost (NavSignalingWsClient *self,
                 guint                 code,
                 const gchar          *reason,
                 GError               *error)
{
  g_autoptr (NavSignalingWsClient) keep = g_object_ref (self);
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
  NavSignalingWsClient *self = user_data;
  g_autofree gchar *reason = g_strdup (soup_websocket_connection_get_close_data (ws));

  connection_lost (self, soup_websocket_connection_get_close_code (ws), reason, NULL);
}

static void
on_websocket_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  NavSignalingWsClient *self = user_data;
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
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING);
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
start_connection (NavSignalingWsClient *self)
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

/* -------------------------------------------- NavSignalingClient methods */

static void
on_connect_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  NavSignalingWsClient *self = user_data;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
client_connect_async (NavSignalingClient  *client,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (client);
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

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

static gboolean
client_connect_finish (NavSignalingClient  *client,
                       GAsyncResult        *result,
                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
client_disconnect (NavSignalingClient *client)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (client);
  gboolean was_connected = self->state == NAV_SIGNALING_CLIENT_STATE_CONNECTED;

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
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, (guint) NAV_SIGNALING_CLOSE_NORMAL, NULL);
}

static const gchar *
client_get_uri (NavSignalingClient *client)
{
  return NAV_SIGNALING_WS_CLIENT (client)->uri;
}

static const gchar *
client_get_peer_id (NavSignalingClient *client)
{
  return NAV_SIGNALING_WS_CLIENT (client)->peer_id;
}

static NavSignalingClientState
client_get_state (NavSignalingClient *client)
{
  return NAV_SIGNALING_WS_CLIENT (client)->state;
}

static gchar **
client_list_rooms (NavSignalingClient *client)
{
  g_autofree gchar **keys = (gchar **) g_hash_table_get_keys_as_array (NAV_SIGNALING_WS_CLIENT (client)->rooms,
                                                                        NULL);

  return g_strdupv (keys);
}

static gboolean
client_join (NavSignalingClient  *client,
             const gchar         *room,
             const gchar         *token,
             GError             **error)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (client);

  if (!send_join (self, room, token, error))
    return FALSE;
  g_hash_table_replace (self->rooms, g_strdup (room), g_strdup (token != NULL ? token : ""));
  return TRUE;
}

static gboolean
client_leave (NavSignalingClient  *client,
              const gchar         *room,
              GError             **error)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (client);

  g_hash_table_remove (self->rooms, room);
  return send_text (self, nav_signaling_build_request ("leave", room, NULL, NULL, NULL), error);
}

static gboolean
client_send (NavSignalingClient  *client,
             const gchar         *type,
             const gchar         *room,
             const gchar         *to,
             const gchar         *name,
             const gchar         *value,
             GError             **error)
{
  const gchar *names[] = { name, NULL };
  const gchar *values[] = { value, NULL };

  return send_text (NAV_SIGNALING_WS_CLIENT (client),
                    nav_signaling_build_request (type, room, to, names, values), error);
}

static void
client_init_vfuncs (NavSignalingClientClass *iface)
{
  iface->connect_async = client_connect_async;
  iface->connect_finish = client_connect_finish;
  iface->disconnect = client_disconnect;
  iface->get_uri = client_get_uri;
  iface->get_peer_id = client_get_peer_id;
  iface->get_state = client_get_state;
  iface->list_rooms = client_list_rooms;
  iface->join = client_join;
  iface->leave = client_leave;
  iface->send = client_send;
}

/* ---------------------------------------------------------- GObject */

static void
nav_signaling_ws_client_constructed (GObject *object)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (object);

  G_OBJECT_CLASS (nav_signaling_ws_client_parent_class)->constructed (object);

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
nav_signaling_ws_client_dispose (GObject *object)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (object);

  drop_source (&self->retry);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (nav_signaling_ws_client_parent_class)->dispose (object);
}

static void
nav_signaling_ws_client_finalize (GObject *object)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (object);

  g_hash_table_unref (self->rooms);
  g_free (self->uri);
  g_free (self->ca_file);
  g_free (self->peer_id);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_signaling_ws_client_parent_class)->finalize (object);
}

static void
nav_signaling_ws_client_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (object);

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
nav_signaling_ws_client_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NavSignalingWsClient *self = NAV_SIGNALING_WS_CLIENT (object);

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
nav_signaling_ws_client_class_init (NavSignalingWsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const gchar *names[N_PROPS] = {
    NULL, "uri", "context", "reconnect", "keepalive-interval", "ca-file", "state", "peer-id",
  };
  guint i;

  object_class->constructed = nav_signaling_ws_client_constructed;
  object_class->dispose = nav_signaling_ws_client_dispose;
  object_class->finalize = nav_signaling_ws_client_finalize;
  object_class->get_property = nav_signaling_ws_client_get_property;
  object_class->set_property = nav_signaling_ws_client_set_property;
  client_init_vfuncs (NAV_SIGNALING_CLIENT_CLASS (klass));

  /* NavSignalingClient's properties and signals (documented there). */
  for (i = 1; i < N_PROPS; i++)
    {
      g_object_class_override_property (object_class, i, names[i]);
      properties[i] = g_object_class_find_property (object_class, names[i]);
    }
  for (i = 0; i < N_SIGNALS; i++)
    signals[i] = g_signal_lookup (signal_names[i], NAV_TYPE_SIGNALING_CLIENT);
}

static void
nav_signaling_ws_client_class_finalize (NavSignalingWsClientClass *klass)
{
}

static void
nav_signaling_ws_client_init (NavSignalingWsClient *self)
{
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->reconnect = TRUE;
}
