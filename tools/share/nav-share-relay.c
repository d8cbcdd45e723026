/* nav-share-relay.c: the datagram channel under nav-share's DTLS layer
 *
 * NavShareRelayChannel is what the peer connection's DTLS channel runs
 * over (nav_peer_connection_set_transport_channel()).  At first it is
 * the ICE agent's channel of component 1, passed through.  When ICE
 * finds no path (UDP blocked, no TURN server), nav-share switches it to
 * the signaling server's WebSocket relay (`nav-server --relay`, GET
 * /relay): each datagram is one binary message, the relay writes it to
 * the other end of the session.  DTLS, SCTP and the PAKE stay end to
 * end: the relay carries ciphertext.
 *
 * Both ends prove to the relay that they are the two ends of one
 * session with a token both derive from the ICE credentials of the
 * offer and the answer (RFC 8839 §5.4: ice-pwd, 128 bits of entropy at
 * least; only the two peers and the signaling server see them):
 *
 *   session = SHA-256 ("nav-share relay session" ‖ the two ufrags, sorted)
 *   token   = HMAC-SHA-256 (the two passwords, sorted, "nav-share relay token")
 *
 * A third party without them cannot join the session; the relay (run by
 * the signaling server's operator, who saw them) could, but it holds no
 * DTLS key bound to the code, so it is a man in the middle the PAKE
 * detects like any other.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "nav-share-relay.h"

#define RELAY_MTU 1200
#define RELAY_MAX_MESSAGE 65536

struct _NavShareRelayChannel
{
  GObject parent_instance;

  NavChannel *ice;
  NavAgent *agent;
  guint stream_id;
  guint component_id;
  gulong component_state_id;
  gboolean ice_usable;          /* the component is connected or ready */
  gulong ice_state_id;
  gulong ice_writable_id;
  NavChannelState state;
  guint64 low_threshold;

  NavChannelReceiveFunc recv_func;
  gpointer recv_data;
  GDestroyNotify recv_destroy;

  /* the relay */
  gboolean relayed;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  GTlsDatabase *tls_database;   /* wss:// with --ca-file */
  gchar *hello;
  gchar *close_reason;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_ORDERED,
  PROP_RELIABLE,
  PROP_BUFFERED_AMOUNT,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
};

static void nav_share_relay_channel_iface_init (NavChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavShareRelayChannel, nav_share_relay_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_CHANNEL, nav_share_relay_channel_iface_init))

static void
set_state (NavShareRelayChannel *self,
           NavChannelState       state)
{
  if (self->state == state)
    return;
  self->state = state;
  nav_channel_emit_state_changed (NAV_CHANNEL (self), state);
}

/* ------------------------------------------------------------ ICE */

static void
on_ice_receive (NavChannel   *ice,
                const guint8 *data,
                gsize         len,
                gpointer      user_data)
{
  NavShareRelayChannel *self = user_data;

  if (!self->relayed && self->recv_func != NULL)
    self->recv_func (NAV_CHANNEL (self), data, len, self->recv_data);
}

/* ICE's channel is open when it is and the component is connected: the
 * peer connection counts ICE connected while this channel is open, so a
 * component that failed (consent lost, RFC 7675 §5.1) must not look
 * open.  ICE's failure is not passed on as a close: the DTLS channel
 * above would close with it, and an ICE restart or the relay may still
 * come. */
static void
update_ice_state (NavShareRelayChannel *self)
{
  if (self->relayed)
    return;
  set_state (self, self->ice_usable && nav_channel_get_state (self->ice) == NAV_CHANNEL_STATE_OPEN
                     ? NAV_CHANNEL_STATE_OPEN : NAV_CHANNEL_STATE_CONNECTING);
}

static void
on_ice_state (NavChannel      *ice,
              NavChannelState  state,
              gpointer         user_data)
{
  update_ice_state (user_data);
}

static void
on_component_state (NavAgent *agent,
                    guint     stream_id,
                    guint     component_id,
                    guint     state,
                    gpointer  user_data)
{
  NavShareRelayChannel *self = user_data;

  if (stream_id != self->stream_id || component_id != self->component_id)
    return;
  self->ice_usable = state == NAV_COMPONENT_STATE_CONNECTED || state == NAV_COMPONENT_STATE_READY;
  update_ice_state (self);
}

static void
on_ice_writable (NavChannel *ice,
                 gpointer    user_data)
{
  NavShareRelayChannel *self = user_data;

  if (!self->relayed)
    nav_channel_emit_writable (NAV_CHANNEL (self));
}

/* ------------------------------------------------------------ the relay */

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  NavShareRelayChannel *self = user_data;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (message, &len);

  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    {
      if (self->state == NAV_CHANNEL_STATE_OPEN && self->recv_func != NULL)
        self->recv_func (NAV_CHANNEL (self), data, len, self->recv_data);
      return;
    }
  if (len == 2 && memcmp (data, "go", 2) == 0 && self->state == NAV_CHANNEL_STATE_CONNECTING)
    {
      g_debug ("nav-share: the relay joined both ends");
      set_state (self, NAV_CHANNEL_STATE_OPEN);
    }
  else if (len == 4 && memcmp (data, "wait", 4) == 0)
    g_debug ("nav-share: waiting for the other end at the relay");
  else
    {
      g_free (self->close_reason);
      self->close_reason = g_strdup (_("the relay sent an unexpected message"));
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, NULL);
    }
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  NavShareRelayChannel *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  const gchar *data = soup_websocket_connection_get_close_data (ws);

  if (self->close_reason == NULL && code != 0)
    self->close_reason = g_strdup_printf (_("close code %u: %s"), code, data != NULL ? data : "");
  else if (self->close_reason == NULL)
    self->close_reason = g_strdup (_("the connection to the relay was lost"));
  g_debug ("nav-share: the relay closed: %s", self->close_reason);
  set_state (self, NAV_CHANNEL_STATE_CLOSED);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NavShareRelayChannel *self = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  if (ws == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->close_reason = g_strdup (error->message);
          set_state (self, NAV_CHANNEL_STATE_CLOSED);
        }
      g_object_unref (self);
      return;
    }
  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, RELAY_MAX_MESSAGE);
  soup_websocket_connection_set_keepalive_interval (ws, 0);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  soup_websocket_connection_send_text (ws, self->hello);
  g_object_unref (self);
}

gboolean
nav_share_relay_channel_start_relay (NavShareRelayChannel *self,
                                     const gchar          *url,
                                     const gchar          *session,
                                     const gchar          *token,
                                     GError              **error)
{
  g_autoptr (SoupMessage) msg = NULL;

  g_return_val_if_fail (NAV_SHARE_IS_RELAY_CHANNEL (self), FALSE);

  if (self->relayed)
    return TRUE;
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Not a relay URL: %s"), url);
      return FALSE;
    }
  self->relayed = TRUE;
  self->hello = g_strdup_printf ("nav-relay1 %s %s", session, token);
  set_state (self, NAV_CHANNEL_STATE_CONNECTING);
  self->session = soup_session_new ();
  if (self->tls_database != NULL)
    soup_session_set_tls_database (self->session, self->tls_database);
  self->cancellable = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, self->cancellable,
                                        on_ws_connected, g_object_ref (self));
  return TRUE;
}

/* The authorities a wss:// relay's certificate must chain to, instead of
 * the system's (a test's, or a private deployment's). */
void
nav_share_relay_channel_set_tls_database (NavShareRelayChannel *self,
                                          GTlsDatabase         *database)
{
  g_set_object (&self->tls_database, database);
}

gboolean
nav_share_relay_channel_is_relayed (NavShareRelayChannel *self)
{
  return self->relayed;
}

const gchar *
nav_share_relay_channel_get_close_reason (NavShareRelayChannel *self)
{
  return self->close_reason;
}

/* ws://HOST:PORT/… → ws://HOST:PORT/relay, wss://… → wss://…/relay (the
 * relay is on the signaling port, under the same TLS); NULL for
 * anything else. */
gchar *
nav_share_relay_url_for_signal (const gchar *signal_uri)
{
  g_autoptr (GUri) uri = NULL;

  if (signal_uri == NULL || (!g_str_has_prefix (signal_uri, "ws://") && !g_str_has_prefix (signal_uri, "wss://")))
    return NULL;
  uri = g_uri_parse (signal_uri, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                     "/relay", NULL, NULL);
}

static gchar *
sdp_attribute (const gchar *sdp,
               const gchar *name)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\n", -1);
  gsize n = strlen (name);
  guint i;

  for (i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "a=") && strncmp (lines[i] + 2, name, n) == 0 && lines[i][2 + n] == ':')
      return g_strstrip (g_strdup (lines[i] + 3 + n));
  return NULL;
}

/* The session and the token, from the ICE credentials of both
 * descriptions (the file's comment says why). */
gboolean
nav_share_relay_credentials (const gchar  *local_sdp,
                             const gchar  *remote_sdp,
                             gchar       **session,
                             gchar       **token)
{
  g_autofree gchar *lu = sdp_attribute (local_sdp, "ice-ufrag");
  g_autofree gchar *lp = sdp_attribute (local_sdp, "ice-pwd");
  g_autofree gchar *ru = sdp_attribute (remote_sdp, "ice-ufrag");
  g_autofree gchar *rp = sdp_attribute (remote_sdp, "ice-pwd");
  g_autofree gchar *ids = NULL, *key = NULL;

  if (lu == NULL || lp == NULL || ru == NULL || rp == NULL)
    return FALSE;
  ids = strcmp (lu, ru) < 0 ? g_strconcat ("nav-share relay session ", lu, " ", ru, NULL)
                            : g_strconcat ("nav-share relay session ", ru, " ", lu, NULL);
  key = strcmp (lp, rp) < 0 ? g_strconcat (lp, " ", rp, NULL) : g_strconcat (rp, " ", lp, NULL);
  *session = g_compute_checksum_for_string (G_CHECKSUM_SHA256, ids, -1);
  *token = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key),
                                      "nav-share relay token", -1);
  return TRUE;
}

/* ------------------------------------------------------------ NavChannel */

static gboolean
relay_send (NavShareRelayChannel *self,
            const guint8         *data,
            gsize                 len,
            GError              **error)
{
  if (self->ws == NULL || self->state != NAV_CHANNEL_STATE_OPEN ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED, _("The relay is not open"));
      return FALSE;
    }
  soup_websocket_connection_send_binary (self->ws, data, len);
  return TRUE;
}

static gboolean
channel_send_data (NavChannel    *channel,
                   const guint8  *data,
                   gsize          len,
                   GError       **error)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (channel);

  if (!self->relayed)
    return nav_channel_send_data (self->ice, data, len, error);
  return relay_send (self, data, len, error);
}

static gint
channel_send_messages (NavChannel             *channel,
                       const NavOutputMessage *messages,
                       guint                   n_messages,
                       GError                **error)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (channel);
  guint i, j;

  if (!self->relayed)
    return nav_channel_send_messages (self->ice, messages, n_messages, error);
  for (i = 0; i < n_messages; i++)
    {
      g_autoptr (GByteArray) datagram = g_byte_array_new ();

      for (j = 0; messages[i].n_buffers < 0 ? messages[i].buffers[j].buffer != NULL
                                            : j < (guint) messages[i].n_buffers; j++)
        g_byte_array_append (datagram, messages[i].buffers[j].buffer, messages[i].buffers[j].size);
      if (!relay_send (self, datagram->data, datagram->len, i == 0 ? error : NULL))
        return i == 0 ? -1 : (gint) i;
    }
  return n_messages;
}

static gboolean
channel_send (NavChannel  *channel,
              GBytes      *message,
              GError     **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (message, &len);

  return channel_send_data (channel, data, len, error);
}

static gsize
channel_get_mtu (NavChannel *channel)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (channel);

  return self->relayed ? RELAY_MTU : nav_channel_get_mtu (self->ice);
}

static void
channel_set_receive_func (NavChannel            *channel,
                          NavChannelReceiveFunc  func,
                          gpointer               user_data,
                          GDestroyNotify         destroy)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (channel);

  if (self->recv_destroy != NULL)
    self->recv_destroy (self->recv_data);
  self->recv_func = func;
  self->recv_data = user_data;
  self->recv_destroy = destroy;
}

static void
channel_close (NavChannel *channel)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (channel);

  if (self->ws != NULL && soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (!self->relayed)
    nav_channel_close (self->ice);
  set_state (self, NAV_CHANNEL_STATE_CLOSED);
}

static void
nav_share_relay_channel_iface_init (NavChannelInterface *iface)
{
  iface->send = channel_send;
  iface->close = channel_close;
  iface->send_data = channel_send_data;
  iface->send_messages = channel_send_messages;
  iface->get_mtu = channel_get_mtu;
  iface->set_receive_func = channel_set_receive_func;
}

/* ------------------------------------------------------------ life */

NavShareRelayChannel *
nav_share_relay_channel_new (NavAgent *agent,
                             guint     stream_id,
                             guint     component_id)
{
  NavShareRelayChannel *self = g_object_new (NAV_SHARE_TYPE_RELAY_CHANNEL, NULL);
  NavChannel *ice = nav_agent_get_channel (agent, stream_id, component_id);
  guint state = nav_agent_get_component_state (agent, stream_id, component_id);

  self->ice = ice;
  self->agent = g_object_ref (agent);
  self->stream_id = stream_id;
  self->component_id = component_id;
  self->ice_usable = state == NAV_COMPONENT_STATE_CONNECTED || state == NAV_COMPONENT_STATE_READY;
  self->state = self->ice_usable && nav_channel_get_state (ice) == NAV_CHANNEL_STATE_OPEN
                  ? NAV_CHANNEL_STATE_OPEN : NAV_CHANNEL_STATE_CONNECTING;
  self->component_state_id = g_signal_connect (agent, "component-state-changed",
                                               G_CALLBACK (on_component_state), self);
  nav_channel_set_receive_func (ice, on_ice_receive, self, NULL);
  self->ice_state_id = g_signal_connect (ice, "state-changed", G_CALLBACK (on_ice_state), self);
  self->ice_writable_id = g_signal_connect (ice, "writable", G_CALLBACK (on_ice_writable), self);
  return self;
}

static void
nav_share_relay_channel_dispose (GObject *object)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (object);

  if (self->ice != NULL)
    {
      g_clear_signal_handler (&self->ice_state_id, self->ice);
      g_clear_signal_handler (&self->ice_writable_id, self->ice);
      nav_channel_set_receive_func (self->ice, NULL, NULL, NULL);
      g_clear_object (&self->ice);
    }
  if (self->agent != NULL)
    {
      g_clear_signal_handler (&self->component_state_id, self->agent);
      g_clear_object (&self->agent);
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tls_database);
  if (self->recv_destroy != NULL)
    self->recv_destroy (self->recv_data);
  self->recv_func = NULL;
  self->recv_destroy = NULL;
  G_OBJECT_CLASS (nav_share_relay_channel_parent_class)->dispose (object);
}

static void
nav_share_relay_channel_finalize (GObject *object)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (object);

  g_free (self->hello);
  g_free (self->close_reason);
  G_OBJECT_CLASS (nav_share_relay_channel_parent_class)->finalize (object);
}

static void
nav_share_relay_channel_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ORDERED:
    case PROP_RELIABLE:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_BUFFERED_AMOUNT:
      g_value_set_uint64 (value, 0);
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      g_value_set_uint64 (value, self->low_threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_share_relay_channel_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NavShareRelayChannel *self = NAV_SHARE_RELAY_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      self->low_threshold = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_share_relay_channel_class_init (NavShareRelayChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nav_share_relay_channel_dispose;
  object_class->finalize = nav_share_relay_channel_finalize;
  object_class->get_property = nav_share_relay_channel_get_property;
  object_class->set_property = nav_share_relay_channel_set_property;
  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_ORDERED, "ordered");
  g_object_class_override_property (object_class, PROP_RELIABLE, "reliable");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT, "buffered-amount");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
                                    "buffered-amount-low-threshold");
}

static void
nav_share_relay_channel_init (NavShareRelayChannel *self)
{
  self->state = NAV_CHANNEL_STATE_CONNECTING;
}
