/* nav-share.c: send files to anyone with a short code, encrypted end to
 * end
 *
 *   nav-share send PATH…       prints a code such as 7-guitar-meadow
 *   nav-share receive CODE     fetches what the code's sender offers
 *
 * The rendezvous (docs/share.md): on the LAN, with no server at all, the
 * sender starts the signaling module's server on a free port of its own
 * and publishes it by mDNS as instance "nav-share N" of
 * `_nav-share._tcp`; the receiver browses for it.  With --signal URL
 * both meet in room "nav-share-N" of that server (ws://, wss:// or
 * dht://).  Either way a NavSignalingSession drives one
 * NavPeerConnection, and the sender's data channel "nav-share" carries
 * the control messages (JSON, one per message):
 *
 *   pake1, pake2, pake3   CPace on the code's words, bound to both DTLS
 *                         fingerprints (share/nav-share-pake.c); nothing
 *                         else is read or sent before it is confirmed
 *   offer / accept|reject the manifest; the receiver's resume offsets
 *   ok, done, bye         each file verified and in place; the end
 *   error                 why the peer gives up
 *
 * and one data channel per file ("f:INDEX:OFFSET") its bytes, then an
 * "end" message with the SHA-256 of the whole file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "nav-share.h"
#include "share/nav-share-code.h"

#define SERVICE_TYPE "_nav-share._tcp"
/* How long a connection that lost its path may look for another. */
#define RESTART_GRACE_S 20
/* How long ICE may look for a first path, once the offer and answer
 * are set, before the WebSocket relay is tried (when there is one):
 * with UDP and TCP blocked the checks may go on far longer before
 * they fail (RFC 8445 §8.1.2 leaves it to the agent). */
#define RELAY_AFTER_MS 6000
/* With a TURN server, whose allocations and permissions take round
 * trips of their own, ICE gets longer. */
#define RELAY_AFTER_TURN_MS 15000

/* ------------------------------------------------------------ the end */

static void
quit_soon (NavShare *share)
{
  share->finished = TRUE;
  if (share->loop != NULL)
    g_main_loop_quit (share->loop);
}

void
nav_share_fail (NavShare    *share,
                const gchar *format,
                ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  if (share->finished || share->completed)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  nav_share_progress_stop (share);
  g_printerr (_("nav-share: %s\n"), message);
  /* Tell the peer why, when it can hear it (after the PAKE only: a
   * stranger learns nothing). */
  if (share->authenticated && share->control != NULL)
    {
      g_autoptr (JsonObject) error = json_object_new ();

      json_object_set_string_member (error, "t", "error");
      json_object_set_string_member (error, "why", message);
      nav_share_send_control (share, error);
    }
  share->status = 1;
  quit_soon (share);
}

static void setup_connection (NavShare *share);

/* The peer connection, its session and control channel, gone. */
static void
drop_connection (NavShare *share)
{
  g_clear_handle_id (&share->restart_id, g_source_remove);
  g_clear_handle_id (&share->relay_timer_id, g_source_remove);
  if (share->control != NULL)
    g_signal_handlers_disconnect_by_data (share->control, share);
  g_clear_object (&share->control);
  if (share->session != NULL)
    g_signal_handlers_disconnect_by_data (share->session, share);
  g_clear_object (&share->session);
  if (share->pc != NULL)
    {
      g_signal_handlers_disconnect_by_data (share->pc, share);
      nav_peer_connection_close (share->pc);
    }
  g_clear_object (&share->pc);
  if (share->transport != NULL)
    {
      nav_channel_close (NAV_CHANNEL (share->transport));
      g_clear_object (&share->transport);
    }
}
static gboolean nav_share_on_timeout (gpointer user_data);

/* The sender starts over for the next receiver with the same code. */
static gboolean
on_reset (gpointer user_data)
{
  NavShare *share = user_data;

  share->reset_id = 0;
  if (share->finished)
    return G_SOURCE_REMOVE;
  nav_share_progress_stop (share);
  nav_share_send_reset (share);
  drop_connection (share);
  g_clear_pointer (&share->pake, nav_share_pake_free);
  share->authenticated = FALSE;
  share->connected = FALSE;
  share->guessed = FALSE;
  g_clear_handle_id (&share->timeout_id, g_source_remove);
  share->timeout_id = g_timeout_add_seconds (share->timeout_s, nav_share_on_timeout, share);
  g_print (_("Waiting for the receiver to come back with the same code %s\n"), share->code);
  fflush (stdout);
  setup_connection (share);
  return G_SOURCE_REMOVE;
}

/* The connection went away.  The receiver gives up (receiving again
 * resumes); the sender keeps its code for the next try, unless a wrong
 * guess spent it or everything arrived. */
void
nav_share_lost (NavShare    *share,
                const gchar *format,
                ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  if (share->finished || share->completed || share->reset_id != 0)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (!share->sending || (share->guessed && !share->authenticated))
    {
      nav_share_fail (share, "%s", message);
      return;
    }
  nav_share_progress_stop (share);
  g_printerr (_("nav-share: %s\n"), message);
  share->reset_id = g_idle_add (on_reset, share);
}

void
nav_share_finish (NavShare *share)
{
  share->status = 0;
  quit_soon (share);
}

static gboolean
on_linger_done (gpointer user_data)
{
  NavShare *share = user_data;

  share->linger_id = 0;
  quit_soon (share);
  return G_SOURCE_REMOVE;
}

/* Ends with @status after @ms, for the last messages to leave (or the
 * peer's last to come).  Everything is over: a closing is no failure. */
void
nav_share_finish_later (NavShare *share,
                        guint     ms,
                        gint      status)
{
  share->completed = TRUE;
  share->status = status;
  if (share->linger_id == 0)
    share->linger_id = g_timeout_add (ms, on_linger_done, share);
}

gboolean
nav_share_send_control (NavShare   *share,
                        JsonObject *message)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;

  if (share->control == NULL)
    return FALSE;
  json_object_ref (message);
  text = nav_share_message_build (message);
  json_object_unref (message);
  if (!nav_data_channel_send_text (share->control, text, &error))
    {
      g_debug ("nav-share: control message not sent: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
nav_share_on_timeout (gpointer user_data)
{
  NavShare *share = user_data;

  share->timeout_id = 0;
  if (share->client != NULL && nav_signaling_client_get_peer_id (share->client) == NULL)
    nav_share_fail (share, _("Timed out: not connected to the signaling server %s"), share->signal_uri);
  else if (!share->sending && share->client == NULL)
    nav_share_fail (share, _("Timed out: no sender with code %u-… on the LAN"), share->slot);
  else if (!share->sending && share->session != NULL && nav_signaling_session_get_remote_peer (share->session) == NULL)
    nav_share_fail (share, _("Timed out: the sender is not in room %s"), share->room);
  else if (share->sending && share->pake == NULL)
    nav_share_fail (share, _("The code %s expired: nobody received it in %d s"), share->code,
                    share->timeout_s);
  else if (!share->connected)
    nav_share_fail (share, _("Timed out: no connection to the peer in %d s (ICE %d, signaling %d)"),
                    share->timeout_s, nav_peer_connection_get_ice_connection_state (share->pc),
                    nav_peer_connection_get_signaling_state (share->pc));
  else
    nav_share_fail (share, _("Timed out after %d s"), share->timeout_s);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ the PAKE */

/* CI: the sender's certificate fingerprint, then the receiver's, as this
 * end sees them (its own and its DTLS peer's). */
static GByteArray *
channel_id (NavShare *share)
{
  NavDtlsChannel *dtls = nav_peer_connection_get_dtls_channel (share->pc);
  g_autoptr (NavCertificate) peer = dtls != NULL ? nav_dtls_channel_dup_peer_certificate (dtls) : NULL;
  NavCertificate *own = nav_peer_connection_get_certificate (share->pc);
  g_autofree gchar *own_fp = NULL, *peer_fp = NULL;
  GByteArray *ci;

  if (peer == NULL || own == NULL)
    return NULL;
  own_fp = nav_certificate_get_fingerprint (own, "sha-256");
  peer_fp = nav_certificate_get_fingerprint (peer, "sha-256");
  ci = g_byte_array_new ();
  g_byte_array_append (ci, (const guint8 *) "nav-share v1 ", 13);
  g_byte_array_append (ci, (const guint8 *) (share->sending ? own_fp : peer_fp),
                       strlen (share->sending ? own_fp : peer_fp));
  g_byte_array_append (ci, (const guint8 *) " ", 1);
  g_byte_array_append (ci, (const guint8 *) (share->sending ? peer_fp : own_fp),
                       strlen (share->sending ? peer_fp : own_fp));
  return ci;
}

static gboolean
make_pake (NavShare *share)
{
  g_autoptr (GByteArray) ci = channel_id (share);

  if (ci == NULL)
    {
      nav_share_fail (share, _("The DTLS channel has no peer certificate"));
      return FALSE;
    }
  share->pake = nav_share_pake_new (share->sending, share->password, ci->data, ci->len);
  return TRUE;
}

static void
send_pake (NavShare     *share,
           const gchar  *type,
           const guint8 *data,
           gsize         len)
{
  g_autoptr (JsonObject) message = json_object_new ();
  g_autofree gchar *b64 = g_base64_encode (data, len);

  json_object_set_string_member (message, "t", type);
  json_object_set_string_member (message, "v", b64);
  nav_share_send_control (share, message);
}

static guint8 *
pake_payload (JsonObject *message,
              gsize      *len)
{
  JsonNode *node = json_object_get_member (message, "v");
  const gchar *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  text = json_node_get_string (node);
  if (strlen (text) > 256)
    return NULL;
  return g_base64_decode (text, len);
}

static void
authenticated (NavShare *share)
{
  share->authenticated = TRUE;
  g_print (_("Authenticated: the peer knows the code, and both DTLS certificates are bound to it "
             "(%.0f ms after start)\n"), (g_get_monotonic_time () - share->start_us) / 1000.0);
  g_clear_handle_id (&share->timeout_id, g_source_remove);
}


static void
on_pake (NavShare    *share,
         const gchar *type,
         JsonObject  *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *payload = NULL;
  gsize len = 0;
  guint8 out[MAX (NAV_SHARE_PAKE_MSG2_LEN, NAV_SHARE_PAKE_MSG1_LEN)];

  payload = strcmp (type, "pake-refused") != 0 ? pake_payload (message, &len) : g_malloc0 (1);
  if (payload == NULL)
    {
      nav_share_fail (share, _("A malformed PAKE message from the peer"));
      return;
    }
  if (!share->sending && strcmp (type, "pake1") == 0 && share->pake == NULL)
    {
      if (!make_pake (share))
        return;
      if (!nav_share_pake_message2 (share->pake, payload, len, out, &error))
        {
          nav_share_fail (share, "%s", error->message);
          return;
        }
      send_pake (share, "pake2", out, NAV_SHARE_PAKE_MSG2_LEN);
    }
  else if (share->sending && strcmp (type, "pake2") == 0 && share->pake != NULL && !share->authenticated)
    {
      share->guessed = TRUE;
      if (!nav_share_pake_message3 (share->pake, payload, len, out, &error))
        {
          g_autoptr (JsonObject) refused = json_object_new ();

          /* One guess per code: this one is spent.  The receiver is
           * told (it learns no more than from silence), and we go once
           * that left. */
          json_object_set_string_member (refused, "t", "pake-refused");
          nav_share_send_control (share, refused);
          g_printerr (_("nav-share: %s. The code %s is no longer valid; send again for a new one\n"),
                      error->message, share->code);
          g_clear_handle_id (&share->timeout_id, g_source_remove);
          nav_share_finish_later (share, 300, 1);
          return;
        }
      send_pake (share, "pake3", out, NAV_SHARE_PAKE_MSG3_LEN);
      authenticated (share);
      nav_share_send_offer (share);
    }
  else if (!share->sending && strcmp (type, "pake-refused") == 0 && share->pake != NULL && !share->authenticated)
    nav_share_fail (share, _("Wrong code (or the connection was tampered with): the sender refused it, and the "
                             "code is now spent; ask the sender for a new one"));
  else if (!share->sending && strcmp (type, "pake3") == 0 && share->pake != NULL && !share->authenticated)
    {
      if (!nav_share_pake_finish (share->pake, payload, len, &error))
        {
          nav_share_fail (share, "%s", error->message);
          return;
        }
      authenticated (share);
    }
  else
    nav_share_fail (share, _("A PAKE message out of turn (%s): tampering?"), type);
}

/* ------------------------------------------------------------ the control channel */

/* The peer's signaling connection came back under a new id (the server
 * restarted, or its connection broke): it says so over the control
 * channel, which the PAKE authenticated, so that nobody else in the
 * room can take its place in the session. */
static void
on_peer_id (NavShare   *share,
            JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "id");
  const gchar *id = node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                      ? json_node_get_string (node) : NULL;
  const gchar *p;

  if (id == NULL || *id == '\0' || strlen (id) > 128)
    {
      nav_share_fail (share, _("A malformed “peer-id” message from the peer"));
      return;
    }
  for (p = id; *p != '\0'; p++)
    if (!g_ascii_isgraph (*p))
      {
        nav_share_fail (share, _("A malformed “peer-id” message from the peer"));
        return;
      }
  if (share->session == NULL || g_strcmp0 (nav_signaling_session_get_remote_peer (share->session), id) == 0)
    return;
  g_printerr (_("nav-share: the peer is back at the signaling server\n"));
  nav_signaling_session_set_remote_peer (share->session, id);
}

static void
on_control_text (NavDataChannel *channel,
                 const gchar    *text,
                 gpointer        user_data)
{
  NavShare *share = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  const gchar *type = NULL;

  if (share->finished)
    return;
  message = nav_share_message_parse (text, strlen (text), &type, &error);
  if (message == NULL)
    {
      nav_share_fail (share, "%s", error->message);
      return;
    }
  if (g_str_has_prefix (type, "pake"))
    {
      on_pake (share, type, message);
      return;
    }
  /* Nothing but the PAKE before the key is confirmed. */
  if (!share->authenticated)
    {
      nav_share_fail (share, _("The peer sent “%s” before authenticating: refused"), type);
      return;
    }
  if (strcmp (type, "peer-id") == 0)
    {
      on_peer_id (share, message);
      return;
    }
  if (strcmp (type, "error") == 0)
    {
      JsonNode *why = json_object_get_member (message, "why");
      const gchar *text_why = why != NULL && JSON_NODE_HOLDS_VALUE (why) &&
                              json_node_get_value_type (why) == G_TYPE_STRING
                                ? json_node_get_string (why) : "?";
      g_autofree gchar *safe = g_strescape (text_why, NULL);

      share->authenticated = FALSE;    /* no answer to an error */
      nav_share_fail (share, _("The peer gave up: %s"), safe);
      return;
    }
  if (share->sending)
    nav_share_send_control_message (share, type, message);
  else
    nav_share_receive_control_message (share, type, message);
}

static void
on_control_binary (NavChannel *channel,
                   GBytes     *bytes,
                   gpointer    user_data)
{
  nav_share_fail (user_data, _("A binary message on the control channel: refused"));
}

static void
on_control_state (NavChannel      *channel,
                  NavChannelState  state,
                  gpointer         user_data)
{
  NavShare *share = user_data;

  if (state == NAV_CHANNEL_STATE_OPEN && share->sending && share->pake == NULL)
    {
      guint8 msg1[NAV_SHARE_PAKE_MSG1_LEN];

      if (!make_pake (share))
        return;
      nav_share_pake_message1 (share->pake, msg1);
      send_pake (share, "pake1", msg1, sizeof msg1);
    }
  else if (state >= NAV_CHANNEL_STATE_CLOSING && !share->finished)
    nav_share_lost (share, _("The peer closed the connection before the end"));
}

static void
watch_control (NavShare       *share,
               NavDataChannel *channel)
{
  share->control = g_object_ref (channel);
  g_signal_connect (channel, "text-message", G_CALLBACK (on_control_text), share);
  g_signal_connect (channel, "message", G_CALLBACK (on_control_binary), share);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_control_state), share);
}

static void
on_data_channel (NavPeerConnection *pc,
                 NavDataChannel    *channel,
                 gpointer           user_data)
{
  NavShare *share = user_data;
  g_autofree gchar *label = nav_data_channel_dup_label (channel);

  if (share->sending)
    {
      /* The receiver opens none. */
      nav_channel_close (NAV_CHANNEL (channel));
      return;
    }
  if (g_strcmp0 (label, NAV_SHARE_CONTROL_LABEL) == 0 && share->control == NULL)
    watch_control (share, channel);
  else if (share->authenticated && label != NULL && g_str_has_prefix (label, "f:"))
    nav_share_receive_file_channel (share, channel, label);
  else
    {
      g_debug ("nav-share: unexpected channel “%s” closed", label);
      nav_channel_close (NAV_CHANNEL (channel));
    }
}

/* ------------------------------------------------------------ the connection */

static void
print_path (NavShare *share)
{
  NavAgent *agent = nav_peer_connection_get_agent (share->pc);
  NavCandidate *local = NULL, *remote = NULL;
  gchar a[NAV_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN];
  const gchar *kind;

  if (share->transport != NULL && nav_share_relay_channel_is_relayed (share->transport))
    {
      g_print (_("Connected through the WebSocket relay %s\n"), share->relay_uri);
      return;
    }
  if (!nav_agent_get_selected_pair (agent, 1, 1, &local, &remote))
    return;
  /* The candidate types say the rest: host, srflx (through a NAT),
   * prflx (learnt from the checks: a NAT, or ICE-TCP's active side). */
  if (local->type == NAV_CANDIDATE_TYPE_RELAYED || remote->type == NAV_CANDIDATE_TYPE_RELAYED)
    kind = _("through a TURN relay");
  else
    kind = _("directly");
  g_print (_("Connected %s, %s: %s (%s) → %s (%s)\n"), kind,
           nav_candidate_transport_to_string (local->transport),
           nav_address_to_string_buf (&local->addr, a), nav_candidate_type_to_string (local->type),
           nav_address_to_string_buf (&remote->addr, b), nav_candidate_type_to_string (remote->type));
  nav_candidate_free (local);
  nav_candidate_free (remote);
}

static gboolean
on_restart_timeout (gpointer user_data)
{
  NavShare *share = user_data;

  share->restart_id = 0;
  nav_share_lost (share, _("The connection to the peer failed, and an ICE restart found no new path"));
  return G_SOURCE_REMOVE;
}

/* ICE found no path (UDP blocked, no TURN server): the DTLS datagrams go
 * through the signaling server's WebSocket relay (nav-share-relay.c). */
static gboolean
start_relay (NavShare *share)
{
  g_autoptr (NavSessionDescription) local = nav_peer_connection_get_local_description (share->pc);
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (share->pc);
  g_autofree gchar *session = NULL, *token = NULL;
  g_autoptr (GError) error = NULL;

  if (share->transport == NULL || nav_share_relay_channel_is_relayed (share->transport) || local == NULL ||
      remote == NULL ||
      !nav_share_relay_credentials (nav_session_description_get_sdp (local),
                                    nav_session_description_get_sdp (remote), &session, &token))
    return FALSE;
  g_printerr (_("nav-share: ICE found no path to the peer; trying the WebSocket relay %s\n"), share->relay_uri);
  if (!nav_share_relay_channel_start_relay (share->transport, share->relay_uri, session, token, &error))
    {
      g_printerr (_("nav-share: %s\n"), error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_relay_timer (gpointer user_data)
{
  NavShare *share = user_data;

  share->relay_timer_id = 0;
  if (!share->connected &&
      nav_peer_connection_get_ice_connection_state (share->pc) != NAV_ICE_CONNECTION_STATE_CONNECTED)
    start_relay (share);
  return G_SOURCE_REMOVE;
}

/* Both descriptions are set: ICE has RELAY_AFTER_MS to find a path. */
static void
on_negotiated_relay (NavSignalingSession *session,
                     const gchar         *peer,
                     gpointer             user_data)
{
  NavShare *share = user_data;
  const gchar *env = g_getenv ("NAV_SHARE_RELAY_AFTER_MS");
  guint after = RELAY_AFTER_MS;
  guint i;

  for (i = 0; share->ice_servers != NULL && share->ice_servers[i] != NULL; i++)
    if (g_str_has_prefix (share->ice_servers[i], "turn"))
      after = RELAY_AFTER_TURN_MS;
  if (env != NULL)
    after = (guint) g_ascii_strtoull (env, NULL, 10);
  if (share->transport == NULL || share->connected || share->relay_timer_id != 0 ||
      nav_share_relay_channel_is_relayed (share->transport))
    return;
  share->relay_timer_id = g_timeout_add (after, on_relay_timer, share);
}

static void
on_transport_state (NavChannel      *channel,
                    NavChannelState  state,
                    gpointer         user_data)
{
  NavShare *share = user_data;

  if (state == NAV_CHANNEL_STATE_CLOSED && nav_share_relay_channel_is_relayed (share->transport) &&
      !share->finished && !share->completed)
    nav_share_lost (share, _("The WebSocket relay closed the connection (%s)"),
                    nav_share_relay_channel_get_close_reason (share->transport));
}

static void
on_connection_state (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  NavShare *share = user_data;
  NavPeerConnectionState state = nav_peer_connection_get_connection_state (share->pc);
  gboolean relayed = share->transport != NULL && nav_share_relay_channel_is_relayed (share->transport);

  if (state == NAV_PEER_CONNECTION_STATE_FAILED && !share->connected && !relayed && start_relay (share))
    return;
  if (state >= NAV_PEER_CONNECTION_STATE_FAILED && relayed && !share->connected)
    {
      nav_share_lost (share, _("The connection through the WebSocket relay failed (%s)"),
                      nav_share_relay_channel_get_close_reason (share->transport) != NULL
                        ? nav_share_relay_channel_get_close_reason (share->transport) : "DTLS");
      return;
    }
  if (state == NAV_PEER_CONNECTION_STATE_CONNECTED && share->restart_id != 0)
    {
      g_clear_handle_id (&share->restart_id, g_source_remove);
      g_print (_("Reconnected after an ICE restart: "));
      print_path (share);
    }
  else if (state == NAV_PEER_CONNECTION_STATE_CONNECTED && !share->connected)
    {
      share->connected = TRUE;
      share->connected_us = g_get_monotonic_time ();
      print_path (share);
    }
  else if (state == NAV_PEER_CONNECTION_STATE_FAILED && share->connected && share->restart_id == 0)
    {
      /* Consent lost on a path that worked (a network change): the peer
       * connection restarts ICE through the session (RFC 8445 §9); the
       * association and the channels wait for the new path. */
      g_printerr (_("nav-share: the path to the peer was lost; trying an ICE restart for %d s\n"),
                  RESTART_GRACE_S);
      share->restart_id = g_timeout_add_seconds (RESTART_GRACE_S, on_restart_timeout, share);
    }
  else if (state == NAV_PEER_CONNECTION_STATE_FAILED && !share->connected)
    nav_share_lost (share, _("The connection to the peer failed"));
}

static void
on_remote_bye (NavSignalingSession *session,
               const gchar         *reason,
               gpointer             user_data)
{
  NavShare *share = user_data;

  if (!share->finished && !share->completed)
    nav_share_lost (share, _("The peer left (%s)"), reason != NULL ? reason : "bye");
}

/* A receiver killed or off the network: the server tells the room. */
static void
on_peer_left (NavSignalingClient *client,
              const gchar        *room,
              const gchar        *peer,
              gpointer            user_data)
{
  NavShare *share = user_data;

  if (share->session != NULL && g_strcmp0 (room, share->room) == 0 &&
      g_strcmp0 (peer, nav_signaling_session_get_remote_peer (share->session)) == 0 && !share->finished &&
      !share->completed)
    nav_share_lost (share, _("The peer left"));
}

static void
add_local_addresses (NavAgent *agent)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

  nav_agent_add_local_address (agent, lo);
}

/* The sender's control channel, once the first offer and answer made
 * the association: made before, it would have the sender offer too, and
 * two offers crossing make ICE change roles while it checks. */
static void
on_negotiated (NavSignalingSession *session,
               const gchar         *peer,
               gpointer             user_data)
{
  NavShare *share = user_data;
  g_autoptr (GError) error = NULL;
  NavDataChannel *control;

  if (share->control != NULL)
    return;
  control = nav_peer_connection_create_data_channel (share->pc, NAV_SHARE_CONTROL_LABEL, NULL, &error);
  if (control == NULL)
    {
      nav_share_fail (share, "%s", error->message);
      return;
    }
  watch_control (share, control);
  g_object_unref (control);
  if (nav_channel_get_state (NAV_CHANNEL (control)) == NAV_CHANNEL_STATE_OPEN)
    on_control_state (NAV_CHANNEL (control), NAV_CHANNEL_STATE_OPEN, share);
}

static void
setup_connection (NavShare *share)
{
  g_autoptr (GError) error = NULL;
  guint i;

  share->tries++;
  share->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "data-channels", TRUE,
                            "sctp-receive-window", (guint64) NAV_SHARE_RECEIVE_WINDOW, NULL);
  if (share->loopback)
    add_local_addresses (nav_peer_connection_get_agent (share->pc));
  /* Consent (RFC 7675 §5.1): 30 s without it fails the path and calls
   * for an ICE restart; tests of a network change shorten it. */
  if (g_getenv ("NAV_SHARE_CONSENT_TIMEOUT_MS") != NULL)
    {
      guint timeout = (guint) g_ascii_strtoull (g_getenv ("NAV_SHARE_CONSENT_TIMEOUT_MS"), NULL, 10);

      g_object_set (nav_peer_connection_get_agent (share->pc), "consent-timeout", MAX (timeout, 100u),
                    "consent-interval", MAX (timeout / 4, 25u), NULL);
    }
  for (i = 0; share->ice_servers != NULL && share->ice_servers[i] != NULL; i++)
    if (!nav_peer_connection_add_ice_server (share->pc, share->ice_servers[i], share->turn_user,
                                             share->turn_password, &error))
      {
        nav_share_fail (share, _("Bad --ice-server %s: %s"), share->ice_servers[i], error->message);
        return;
      }
  if (share->relay_uri != NULL)
    {
      share->transport = nav_share_relay_channel_new (nav_peer_connection_get_agent (share->pc), 1, 1);
      nav_share_relay_channel_set_tls_database (share->transport, share->tls_database);
      g_signal_connect (share->transport, "state-changed", G_CALLBACK (on_transport_state), share);
      if (!nav_peer_connection_set_transport_channel (share->pc, NAV_CHANNEL (share->transport), &error))
        {
          nav_share_fail (share, "%s", error->message);
          return;
        }
    }
  g_signal_connect (share->pc, "notify::connection-state", G_CALLBACK (on_connection_state), share);
  g_signal_connect (share->pc, "data-channel", G_CALLBACK (on_data_channel), share);
  share->session = nav_signaling_session_new_for_peer_connection (share->client, share->pc, share->room);
  g_signal_connect (share->session, "remote-bye", G_CALLBACK (on_remote_bye), share);
  if (share->sending)
    g_signal_connect (share->session, "negotiated", G_CALLBACK (on_negotiated), share);
  g_signal_connect (share->session, "negotiated", G_CALLBACK (on_negotiated_relay), share);
  if (!nav_signaling_session_start (share->session, NULL, &error))
    nav_share_fail (share, "%s", error->message);
}

/* The signaling connection broke: the client reconnects by itself (0.5 s,
 * 1 s, 2 s … 30 s) and joins the room again.  The transfer goes on
 * meanwhile over its own path. */
static void
on_client_disconnected (NavSignalingClient *client,
                        guint               code,
                        const gchar        *reason,
                        gpointer            user_data)
{
  NavShare *share = user_data;

  if (share->finished || share->completed)
    return;
  g_printerr (_("nav-share: lost the signaling server %s (%u %s); reconnecting\n"), share->signal_uri, code,
              reason != NULL ? reason : "");
}

/* Back under a new peer id, in the room again.  Once authenticated the
 * peer is told the new id over the control channel (on_peer_id() at its
 * end).  Before, when the offer and answer were cut (sent to ids that
 * are gone), the rendezvous is lost: the sender keeps its code and
 * waits, the receiver says to run it again.  When they were through,
 * ICE, DTLS and the PAKE go on without the server. */
static void
on_client_reconnected (NavSignalingClient *client,
                       const gchar        *peer_id,
                       gpointer            user_data)
{
  NavShare *share = user_data;

  if (share->finished || share->completed || g_strcmp0 (peer_id, share->signal_peer_id) == 0)
    return;
  g_free (share->signal_peer_id);
  share->signal_peer_id = g_strdup (peer_id);
  g_printerr (_("nav-share: back at the signaling server as %s\n"), peer_id);
  if (share->authenticated && share->control != NULL)
    {
      g_autoptr (JsonObject) message = json_object_new ();

      json_object_set_string_member (message, "t", "peer-id");
      json_object_set_string_member (message, "id", peer_id);
      nav_share_send_control (share, message);
    }
  else if (!share->authenticated && share->session != NULL && share->pc != NULL &&
           nav_signaling_session_get_remote_peer (share->session) != NULL &&
           (nav_peer_connection_get_signaling_state (share->pc) != NAV_SIGNALING_STATE_STABLE ||
            nav_peer_connection_get_remote_description (share->pc) == NULL))
    nav_share_lost (share, _("The signaling server went away during the rendezvous; %s"),
                    share->sending ? _("waiting for the receiver to try again")
                                   : _("run nav-share receive again with the same code"));
}

static void
on_signaling_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  NavShare *share = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (share->client, result, &error))
    {
      nav_share_fail (share, _("Cannot reach the signaling server: %s"), error->message);
      return;
    }
  g_debug ("nav-share: in room %s as %s", share->room, nav_signaling_client_get_peer_id (share->client));
  g_signal_connect (share->client, "peer-left", G_CALLBACK (on_peer_left), share);
  share->signal_peer_id = g_strdup (nav_signaling_client_get_peer_id (share->client));
  g_signal_connect (share->client, "disconnected", G_CALLBACK (on_client_disconnected), share);
  g_signal_connect (share->client, "connected", G_CALLBACK (on_client_reconnected), share);
  setup_connection (share);
}

static void
connect_signaling (NavShare *share)
{
  /* --ca-file: the WebSocket client takes it as a construct property. */
  if (share->ca_file != NULL && (g_str_has_prefix (share->signal_uri, "wss://") ||
                                 g_str_has_prefix (share->signal_uri, "ws://")))
    {
      g_autoptr (GError) error = NULL;

      g_type_ensure (NAV_TYPE_SIGNALING_CLIENT);
      share->client = NAV_SIGNALING_CLIENT (nav_registry_create (nav_registry_get_default (),
                                                                 NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, "websocket",
                                                                 &error, "uri", share->signal_uri, "ca-file",
                                                                 share->ca_file, NULL));
      if (share->client == NULL)
        {
          nav_share_fail (share, _("No signaling client for %s: %s"), share->signal_uri, error->message);
          return;
        }
    }
  else
    share->client = nav_signaling_client_new (share->signal_uri);
  if (share->client == NULL)
    {
      nav_share_fail (share, _("No signaling client for %s"), share->signal_uri);
      return;
    }
  nav_signaling_client_connect_async (share->client, NULL, on_signaling_connected, share);
}

/* ------------------------------------------------------------ the LAN */

/* The mDNS backend of the registry, for a service type of our own (a
 * construct property): nav-demo --discover must not take us for one of
 * its peers. */
static NavDiscovery *
new_discovery (GError **error)
{
  g_type_ensure (NAV_TYPE_DISCOVERY);
  return NAV_DISCOVERY (nav_registry_create (nav_registry_get_default (), NAV_DISCOVERY_EXTENSION_POINT_NAME,
                                             NULL, error, "service-type", SERVICE_TYPE, NULL));
}

static gchar *
lan_instance (guint slot)
{
  return g_strdup_printf ("nav-share %u", slot);
}

static gboolean
lan_publish (NavShare *share,
             GError  **error)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autofree gchar *instance = lan_instance (share->slot);
  guint port = 0;

  share->lan_server = nav_registry_create (registry, NAV_SERVER_EXTENSION_POINT_NAME, "signaling", error,
                                           "listening-ip", share->loopback ? "127.0.0.1" : "0.0.0.0",
                                           "listening-port", 0, "threads", 1, NULL);
  if (share->lan_server == NULL || !nav_server_start (NAV_SERVER (share->lan_server), error))
    return FALSE;
  g_object_get (share->lan_server, "bound-port", &port, NULL);
  share->signal_uri = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  if (share->loopback)
    return TRUE;
  share->discovery = new_discovery (error);
  if (share->discovery == NULL)
    return FALSE;
  g_object_set (share->discovery, "instance-name", instance, "port", port,
                "reach", "ws", "capabilities", "nav-share", "browse", FALSE, NULL);
  return nav_discovery_start (share->discovery, error);
}

static void
on_lan_peer (NavDiscovery      *discovery,
             NavDiscoveredPeer *peer,
             gpointer           user_data)
{
  NavShare *share = user_data;
  g_autofree gchar *instance = lan_instance (share->slot);
  GPtrArray *addresses;
  GInetAddress *address = NULL;
  g_autofree gchar *text = NULL;
  guint i;

  if (share->client != NULL || g_strcmp0 (nav_discovered_peer_get_instance_name (peer), instance) != 0 ||
      g_strcmp0 (nav_discovered_peer_get_reach (peer), "ws") != 0)
    return;
  addresses = nav_discovered_peer_get_addresses (peer);
  for (i = 0; i < addresses->len && address == NULL; i++)
    if (g_inet_address_get_family (g_ptr_array_index (addresses, i)) == G_SOCKET_FAMILY_IPV4)
      address = g_ptr_array_index (addresses, i);
  if (address == NULL)
    return;
  text = g_inet_address_to_string (address);
  share->signal_uri = g_strdup_printf ("ws://%s:%u/", text, nav_discovered_peer_get_port (peer));
  g_print (_("Found the sender on the LAN at %s (%.0f ms)\n"), text,
           (g_get_monotonic_time () - share->start_us) / 1000.0);
  connect_signaling (share);
}

static gboolean
lan_browse (NavShare *share,
            GError  **error)
{
  share->discovery = new_discovery (error);
  if (share->discovery == NULL)
    return FALSE;
  g_object_set (share->discovery, "publish", FALSE, NULL);
  g_signal_connect (share->discovery, "peer-found", G_CALLBACK (on_lan_peer), share);
  return nav_discovery_start (share->discovery, error);
}

/* ------------------------------------------------------------ the config file */

/* $XDG_CONFIG_HOME/netavanue/share.conf (~/.config/… by default), a
 * GKeyFile whose [share] group gives what the command line did not:
 *
 *   [share]
 *   signal=wss://signal.example.org/
 *   ice-servers=stun:stun.example.org:3478;turn:turn.example.org:3478?transport=tcp
 *   turn-user=alice
 *   turn-password=…
 *   relay=none
 *
 * A missing file is no error; a broken one is (what it meant is unknown). */
static gboolean
read_config (NavShare *share,
             GError  **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree gchar *path = g_build_filename (g_get_user_config_dir (), "netavanue", "share.conf", NULL);
  g_autoptr (GError) local_error = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Cannot read %s: %s"), path,
                   local_error->message);
      return FALSE;
    }
  if (share->signal_uri == NULL)
    share->signal_uri = g_key_file_get_string (file, "share", "signal", NULL);
  if (share->ice_servers == NULL)
    share->ice_servers = g_key_file_get_string_list (file, "share", "ice-servers", NULL, NULL);
  if (share->turn_user == NULL)
    share->turn_user = g_key_file_get_string (file, "share", "turn-user", NULL);
  if (share->turn_password == NULL)
    share->turn_password = g_key_file_get_string (file, "share", "turn-password", NULL);
  if (share->relay_uri == NULL)
    share->relay_uri = g_key_file_get_string (file, "share", "relay", NULL);
  g_debug ("nav-share: read %s", path);
  return TRUE;
}

/* ------------------------------------------------------------ main */

/* The embedded signaling server logs its events as messages: for a
 * server's journal, noise on a user's terminal. */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  gsize i;

  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) != 0 && g_getenv ("G_MESSAGES_DEBUG") == NULL)
    for (i = 0; i < n_fields; i++)
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0 &&
          g_str_has_prefix (fields[i].value, "nav-signaling"))
        return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
on_signal (gpointer user_data)
{
  nav_share_fail (user_data, _("Interrupted"));
  return G_SOURCE_CONTINUE;
}

static gboolean
rendezvous (NavShare *share,
            GError  **error)
{
  share->room = g_strdup_printf ("nav-share-%u", share->slot);
  if (share->signal_uri != NULL)
    {
      if (g_str_has_prefix (share->signal_uri, "dht://") && strlen (share->signal_uri) == 6)
        {
          g_free (share->signal_uri);
          share->signal_uri = g_strdup ("dht:///");
        }
      connect_signaling (share);
      return TRUE;
    }
  if (share->sending)
    {
      if (!lan_publish (share, error))
        return FALSE;
      connect_signaling (share);
      return TRUE;
    }
  if (share->loopback)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("--loopback needs --signal on the receiving side"));
      return FALSE;
    }
  return lan_browse (share, error);
}

static void
cleanup (NavShare *share)
{
  guint i;

  nav_share_progress_stop (share);
  g_clear_handle_id (&share->timeout_id, g_source_remove);
  g_clear_handle_id (&share->linger_id, g_source_remove);
  g_clear_handle_id (&share->reset_id, g_source_remove);
  g_clear_handle_id (&share->restart_id, g_source_remove);
  g_clear_handle_id (&share->relay_timer_id, g_source_remove);
  g_clear_handle_id (&share->stdin_id, g_source_remove);
  if (!share->sending)
    nav_share_receive_stop (share);
  for (i = 0; share->files != NULL && share->entries != NULL && i < share->entries->len; i++)
    nav_share_file_free (&share->files[i]);
  g_clear_pointer (&share->files, g_free);
  drop_connection (share);
  if (share->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (share->client, share);
      nav_signaling_client_disconnect (share->client);
    }
  if (share->discovery != NULL)
    nav_discovery_stop (share->discovery);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&share->client);
  g_clear_object (&share->discovery);
  if (share->lan_server != NULL)
    nav_server_stop (NAV_SERVER (share->lan_server));
  g_clear_object (&share->lan_server);
  g_clear_pointer (&share->pake, nav_share_pake_free);
  g_clear_pointer (&share->entries, g_ptr_array_unref);
  g_clear_pointer (&share->loop, g_main_loop_unref);
  g_free (share->password);
  g_free (share->room);
  g_free (share->code);
  g_free (share->signal_uri);
  g_strfreev (share->ice_servers);
  g_free (share->turn_user);
  g_free (share->turn_password);
  g_free (share->relay_uri);
  g_free (share->ca_file);
  g_free (share->signal_peer_id);
  g_clear_object (&share->tls_database);
  g_free (share->text);
  g_free (share->output);
  g_strfreev (share->paths);
}

int
main (int    argc,
      char **argv)
{
  NavShare share = { .status = 1, .timeout_s = -1, .n_words = 2, .last_decile = -1 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "code", 'c', 0, G_OPTION_ARG_STRING, &share.code,
      N_("send: use this code instead of a random one (N-word-word…)"), N_("CODE") },
    { "words", 'w', 0, G_OPTION_ARG_INT, &share.n_words, N_("send: words in the code (2 to 8)"), N_("N") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &share.text, N_("send: this text (“-”: standard input)"), N_("TEXT") },
    { "signal", 's', 0, G_OPTION_ARG_STRING, &share.signal_uri,
      N_("meet through this signaling server (ws://, wss://, dht://) instead of the LAN"), N_("URL") },
    { "ice-server", 0, 0, G_OPTION_ARG_STRING_ARRAY, &share.ice_servers,
      N_("a STUN or TURN server (stun:HOST:PORT, turn:HOST:PORT); repeatable"), N_("URI") },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &share.turn_user, N_("the TURN servers' user name"), N_("USER") },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &share.turn_password, N_("the TURN servers' password"),
      N_("PASSWORD") },
    { "relay", 0, 0, G_OPTION_ARG_STRING, &share.relay_uri,
      N_("when ICE finds no path, relay through this WebSocket relay (default: the --signal server's /relay; "
         "“none”: never)"), N_("URL") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &share.ca_file,
      N_("wss://: trust the certificate authorities of this PEM file instead of the system's"), N_("FILE") },
    { "no-config", 0, 0, G_OPTION_ARG_NONE, &share.no_config,
      N_("ignore $XDG_CONFIG_HOME/netavanue/share.conf (default --signal, --ice-server, TURN, --relay)"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &share.output, N_("receive: into this directory"), N_("DIR") },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &share.yes, N_("receive: accept without asking"), NULL },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &share.overwrite, N_("receive: replace existing files"), NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &share.resume,
      N_("receive: continue from the partial files of an earlier try (the default when they exist)"), NULL },
    { "loopback", 0, 0, G_OPTION_ARG_NONE, &share.loopback, N_("both ends on this machine (127.0.0.1)"), NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &share.timeout_s,
      N_("seconds until the code expires (send, default 600) or the sender is given up (receive, 60)"),
      N_("SECONDS") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("print the version"), NULL },
    { NULL }
  };
  g_autofree gchar *password = NULL;
  const gchar *command;

  setlocale (LC_ALL, "");
  g_log_set_writer_func (log_writer, NULL, NULL);
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("send PATH… | receive CODE"));
  g_option_context_set_summary (context, _("Send files to anyone with a short code, encrypted end to end.\n\n"
                                           "  nav-share send PATH…     prints a code such as 7-guitar-meadow\n"
                                           "  nav-share receive CODE   fetches what that code's sender offers"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("nav-share %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc < 2 || (strcmp (argv[1], "send") != 0 && strcmp (argv[1], "receive") != 0 &&
                   strcmp (argv[1], "recv") != 0))
    {
      g_autofree gchar *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return 2;
    }
  if (!nav_share_pake_init ())
    {
      g_printerr (_("nav-share: libsodium cannot start\n"));
      return 1;
    }
  command = argv[1];
  share.sending = strcmp (command, "send") == 0;
  share.tty = isatty (STDERR_FILENO);
  share.start_us = g_get_monotonic_time ();
  share.loop = g_main_loop_new (NULL, FALSE);
  if (share.sending)
    {
      if (share.timeout_s < 0)
        share.timeout_s = 600;
      share.paths = g_strdupv (argv + 2);
      if (share.code == NULL)
        share.code = nav_share_code_generate (share.n_words);
      if (!nav_share_code_parse (share.code, &share.slot, &share.password, &error) ||
          !nav_share_send_prepare (&share, &error))
        {
          g_printerr (_("nav-share: %s\n"), error->message);
          cleanup (&share);
          return 1;
        }
    }
  else
    {
      if (share.timeout_s < 0)
        share.timeout_s = 60;
      if (argc != 3)
        {
          g_printerr (_("nav-share: receive takes one code\n"));
          cleanup (&share);
          return 2;
        }
      share.code = g_strdup (argv[2]);
      if (share.output != NULL && g_mkdir_with_parents (share.output, 0755) != 0)
        {
          g_printerr (_("nav-share: cannot make the directory “%s”: %s\n"), share.output, g_strerror (errno));
          cleanup (&share);
          return 1;
        }
      if (!nav_share_code_parse (share.code, &share.slot, &share.password, &error))
        {
          g_printerr (_("nav-share: %s\n"), error->message);
          cleanup (&share);
          return 1;
        }
    }
  if (!share.no_config && !read_config (&share, &error))
    {
      g_printerr (_("nav-share: %s\n"), error->message);
      cleanup (&share);
      return 1;
    }
  if (share.ca_file != NULL)
    {
      share.tls_database = g_tls_file_database_new (share.ca_file, &error);
      if (share.tls_database == NULL)
        {
          g_printerr (_("nav-share: cannot read the certificate authorities of %s: %s\n"), share.ca_file,
                      error->message);
          cleanup (&share);
          return 1;
        }
    }
  /* The relay of the signaling server, when it is one (not the LAN's). */
  if (g_strcmp0 (share.relay_uri, "none") == 0)
    g_clear_pointer (&share.relay_uri, g_free);
  else if (share.relay_uri == NULL)
    share.relay_uri = nav_share_relay_url_for_signal (share.signal_uri);
  if (!rendezvous (&share, &error))
    {
      g_printerr (_("nav-share: %s\n"), error->message);
      cleanup (&share);
      return 1;
    }
  if (share.sending)
    {
      g_print (_("Code: %s\n"), share.code);
      g_print (_("On the other machine: nav-share receive %s%s%s\n"), share.code,
               share.signal_uri != NULL && share.lan_server == NULL ? " --signal " : "",
               share.signal_uri != NULL && share.lan_server == NULL ? share.signal_uri : "");
      fflush (stdout);
    }
  share.timeout_id = g_timeout_add_seconds (share.timeout_s, nav_share_on_timeout, &share);
  g_unix_signal_add (SIGINT, on_signal, &share);
  g_unix_signal_add (SIGTERM, on_signal, &share);
  if (!share.finished)
    g_main_loop_run (share.loop);
  cleanup (&share);
  return share.status;
}
