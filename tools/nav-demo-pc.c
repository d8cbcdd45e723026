/* nav-demo-pc.c: nav-demo's peer connection parts (--secure,
 * --datachannel): two NavPeerConnections in one process, or one that
 * meets its peer in a room of a signaling server (another nav-demo, or
 * the browser page nav-server --signaling serves at /demo)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-demo-pc.h"

#define GREETING "hello from nav-demo"
#define ECHO_PREFIX "echo: "
#define BULK_BYTES (16 * 1024 * 1024)
#define BULK_MESSAGE 65536

/* ------------------------------------------------------------ printing */

static gchar *
peer_fingerprint (NavPeerConnection *pc)
{
  NavDtlsChannel *dtls = nav_peer_connection_get_dtls_channel (pc);
  g_autoptr (NavCertificate) peer = dtls != NULL ? nav_dtls_channel_dup_peer_certificate (dtls) : NULL;

  return peer != NULL ? nav_certificate_get_fingerprint (peer, "sha-256") : g_strdup ("?");
}

static gchar *
own_fingerprint (NavPeerConnection *pc)
{
  NavCertificate *own = nav_peer_connection_get_certificate (pc);

  return own != NULL ? nav_certificate_get_fingerprint (own, "sha-256") : g_strdup ("?");
}

/* The cipher suite and both fingerprints: what makes the connection
 * encrypted and authenticated. */
static void
print_security (const gchar       *name,
                NavPeerConnection *pc)
{
  NavDtlsChannel *dtls = nav_peer_connection_get_dtls_channel (pc);
  g_autofree gchar *own = own_fingerprint (pc);
  g_autofree gchar *peer = peer_fingerprint (pc);

  g_print (_("  %s: DTLS %s, as the %s\n"), name, nav_dtls_channel_get_cipher_suite (dtls),
           nav_dtls_channel_get_role (dtls) == NAV_DTLS_ROLE_CLIENT ? _("client") : _("server"));
  g_print (_("  %s: our certificate     sha-256 %s\n"), name, own);
  g_print (_("  %s: the peer's, checked sha-256 %s\n"), name, peer);
}

static void
print_path (const gchar       *name,
            NavPeerConnection *pc)
{
  NavAgent *agent = nav_peer_connection_get_agent (pc);
  NavCandidate *local = NULL, *remote = NULL;
  gchar a[NAV_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN];

  if (!nav_agent_get_selected_pair (agent, 1, 1, &local, &remote))
    return;
  g_print (_("  %s: path %s (%s) → %s (%s)\n"), name, nav_address_to_string_buf (&local->addr, a),
           nav_candidate_type_to_string (local->type), nav_address_to_string_buf (&remote->addr, b),
           nav_candidate_type_to_string (remote->type));
  nav_candidate_free (local);
  nav_candidate_free (remote);
}

static gboolean
iterate_until (gboolean (*done) (gpointer data),
               gpointer  data,
               gint      seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (200);
    }
  return TRUE;
}

/* ------------------------------------------------------------ two in one process */

typedef struct {
  const gchar *name;
  NavPeerConnection *pc;
  struct _LocalPeer *other;
  NavDataChannel *channel;      /* the one it made or was given */
  guint datagrams;
  guint64 bytes;
  gboolean got_echo;
  GBytes *first_wire;           /* the first datagram its agent received */
  GPtrArray *pending;           /* the other's candidates, before our remote description */
} LocalPeer;

typedef struct {
  LocalPeer a, b;
  gboolean offer_done;
  gboolean failed;
  guint64 bulk_sent;
  guint64 bulk_received;
  gint64 bulk_start;
  gint64 bulk_end;
} Local;

static void
local_candidate (NavPeerConnection *pc,
                 const gchar       *candidate,
                 const gchar       *mid,
                 guint              index,
                 gpointer           user_data)
{
  LocalPeer *other = user_data;
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (other->pc);

  /* The "signaling channel": the other connection, in this process; a
   * candidate that comes before the other's remote description waits. */
  if (remote != NULL)
    nav_peer_connection_add_ice_candidate (other->pc, candidate, mid, index, NULL);
  else
    g_ptr_array_add (other->pending, g_strdup (candidate));
}

static void
local_flush (LocalPeer *p)
{
  guint i;

  for (i = 0; i < p->pending->len; i++)
    nav_peer_connection_add_ice_candidate (p->pc, g_ptr_array_index (p->pending, i), NULL, -1, NULL);
  g_ptr_array_set_size (p->pending, 0);
}

static void
local_on_answer (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Local *l = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) answer =
    nav_peer_connection_create_answer_finish (l->b.pc, result, &error);

  if (answer == NULL || !nav_peer_connection_set_local_description (l->b.pc, answer, &error) ||
      !nav_peer_connection_set_remote_description (l->a.pc, answer, &error))
    {
      g_printerr (_("The answer failed: %s\n"), error->message);
      l->failed = TRUE;
      return;
    }
  local_flush (&l->a);
  l->offer_done = TRUE;
}

static void
local_on_offer (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Local *l = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer =
    nav_peer_connection_create_offer_finish (l->a.pc, result, &error);

  if (offer == NULL || !nav_peer_connection_set_local_description (l->a.pc, offer, &error) ||
      !nav_peer_connection_set_remote_description (l->b.pc, offer, &error))
    {
      g_printerr (_("The offer failed: %s\n"), error->message);
      l->failed = TRUE;
      return;
    }
  local_flush (&l->b);
  nav_peer_connection_create_answer_async (l->b.pc, NULL, local_on_answer, l);
}

static void
local_wire (NavChannel *channel,
            GBytes     *message,
            gpointer    user_data)
{
  LocalPeer *p = user_data;

  if (p->first_wire == NULL && g_bytes_get_size (message) > 13)
    {
      const guint8 *data = g_bytes_get_data (message, NULL);

      /* RFC 6347 §4.1: content type 23, application data. */
      if (data[0] == 23)
        p->first_wire = g_bytes_ref (message);
    }
}

static void
local_datagram (NavChannel *channel,
                GBytes     *message,
                gpointer    user_data)
{
  LocalPeer *p = user_data;

  p->datagrams++;
  p->bytes += g_bytes_get_size (message);
}

static gboolean
local_connected (gpointer data)
{
  Local *l = data;

  return l->failed ||
         (nav_peer_connection_get_connection_state (l->a.pc) == NAV_PEER_CONNECTION_STATE_CONNECTED &&
          nav_peer_connection_get_connection_state (l->b.pc) == NAV_PEER_CONNECTION_STATE_CONNECTED &&
          (l->a.channel == NULL ||
           (nav_channel_get_state (NAV_CHANNEL (l->a.channel)) == NAV_CHANNEL_STATE_OPEN &&
            l->b.channel != NULL)));
}

static void
local_text (NavDataChannel *channel,
            const gchar    *text,
            gpointer        user_data)
{
  LocalPeer *p = user_data;

  g_print (_("  %s received “%s”\n"), p->name, text);
  if (g_str_has_prefix (text, ECHO_PREFIX))
    p->got_echo = TRUE;
  else
    {
      g_autofree gchar *echo = g_strconcat (ECHO_PREFIX, text, NULL);

      nav_data_channel_send_text (channel, echo, NULL);
    }
}

static void
local_data_channel (NavPeerConnection *pc,
                    NavDataChannel    *channel,
                    gpointer           user_data)
{
  LocalPeer *p = user_data;
  g_autofree gchar *label = nav_data_channel_dup_label (channel);

  g_print (_("  %s: the peer opened data channel “%s” (id %d)\n"), p->name, label,
           nav_data_channel_get_id (channel));
  if (p->channel == NULL)
    p->channel = g_object_ref (channel);
  g_signal_connect (channel, "text-message", G_CALLBACK (local_text), p);
}

static gboolean
local_echoed (gpointer data)
{
  return ((Local *) data)->a.got_echo;
}

static void
local_bulk_pump (Local *l)
{
  static guint8 block[BULK_MESSAGE];

  while (l->bulk_sent < BULK_BYTES &&
         nav_channel_get_buffered_amount (NAV_CHANNEL (l->a.channel)) < 4 * 1024 * 1024)
    {
      if (!nav_channel_send_data (NAV_CHANNEL (l->a.channel), block, sizeof block, NULL))
        return;
      l->bulk_sent += sizeof block;
    }
}

static void
local_bulk_low (NavChannel *channel,
                gpointer    user_data)
{
  local_bulk_pump (user_data);
}

static void
local_bulk_receive (NavChannel   *channel,
                    const guint8 *data,
                    gsize         len,
                    gpointer      user_data)
{
  Local *l = user_data;

  l->bulk_received += len;
  if (l->bulk_received >= BULK_BYTES)
    l->bulk_end = g_get_monotonic_time ();
}

static gboolean
local_bulk_done (gpointer data)
{
  return ((Local *) data)->bulk_end != 0;
}

static void
local_peer_init (Local     *l,
                 LocalPeer *p,
                 LocalPeer *other,
                 const gchar *name,
                 gboolean   datachannel)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavChannel) ice = NULL;

  p->name = name;
  p->pending = g_ptr_array_new_with_free_func (g_free);
  p->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "data-channels", datachannel, NULL);
  nav_agent_add_local_address (nav_peer_connection_get_agent (p->pc), lo);
  g_signal_connect (p->pc, "ice-candidate", G_CALLBACK (local_candidate), other);
  g_signal_connect (p->pc, "data-channel", G_CALLBACK (local_data_channel), p);
  ice = nav_agent_get_channel (nav_peer_connection_get_agent (p->pc), 1, 1);
  g_signal_connect (ice, "message", G_CALLBACK (local_wire), p);
}

gboolean
nav_demo_pc_run_local (gboolean datachannel,
                       gint     count,
                       gint     size,
                       gint     timeout)
{
  Local l = { 0 };
  g_autoptr (GError) error = NULL;
  gint64 start;
  gboolean ok = TRUE;
  gint i;

  g_print (_("Two peer connections in this process (offer, answer, trickled candidates, "
             "DTLS%s):\n"), datachannel ? _(", SCTP data channels") : "");
  local_peer_init (&l, &l.a, &l.b, "A", datachannel);
  local_peer_init (&l, &l.b, &l.a, "B", datachannel);
  start = g_get_monotonic_time ();
  if (datachannel)
    {
      l.a.channel = nav_peer_connection_create_data_channel (l.a.pc, "demo", NULL, &error);
      if (l.a.channel == NULL)
        {
          g_printerr (_("Cannot make a data channel: %s\n"), error->message);
          ok = FALSE;
          goto out;
        }
      g_signal_connect (l.a.channel, "text-message", G_CALLBACK (local_text), &l.a);
    }
  nav_peer_connection_create_offer_async (l.a.pc, NULL, local_on_offer, &l);
  if (!iterate_until (local_connected, &l, timeout) || l.failed)
    {
      g_printerr (_("The peer connections did not connect\n"));
      ok = FALSE;
      goto out;
    }
  g_print (_("  setup (create_offer → %s): %.1f ms\n"),
           datachannel ? _("data channel open on both sides") : _("DTLS connected"),
           (g_get_monotonic_time () - start) / 1000.0);
  print_path ("A", l.a.pc);
  print_security ("A", l.a.pc);
  print_security ("B", l.b.pc);

  if (datachannel)
    {
      gdouble seconds;

      if (!nav_data_channel_send_text (l.a.channel, GREETING, &error) ||
          !iterate_until (local_echoed, &l, timeout))
        {
          g_printerr (_("No echo came back\n"));
          ok = FALSE;
          goto out;
        }
      g_print (_("  %d MiB from A to B in %d KiB messages, with back-pressure:\n"),
               BULK_BYTES / (1024 * 1024), BULK_MESSAGE / 1024);
      nav_channel_set_receive_func (NAV_CHANNEL (l.b.channel), local_bulk_receive, &l, NULL);
      g_object_set (l.a.channel, "buffered-amount-low-threshold", (guint64) 1024 * 1024, NULL);
      g_signal_connect (l.a.channel, "buffered-amount-low", G_CALLBACK (local_bulk_low), &l);
      l.bulk_start = g_get_monotonic_time ();
      local_bulk_pump (&l);
      if (!iterate_until (local_bulk_done, &l, timeout))
        {
          g_printerr (_("The transfer did not finish\n"));
          ok = FALSE;
          goto out;
        }
      seconds = (l.bulk_end - l.bulk_start) / 1e6;
      g_print (_("  %.1f MB/s (both peers in this one thread)\n"), BULK_BYTES / seconds / 1e6);
    }
  else
    {
      NavChannel *da = NAV_CHANNEL (nav_peer_connection_get_dtls_channel (l.a.pc));
      NavChannel *db = NAV_CHANNEL (nav_peer_connection_get_dtls_channel (l.b.pc));
      g_autofree guint8 *payload = g_malloc (size);
      const gchar *text = "nav-demo plaintext";

      g_signal_connect (da, "message", G_CALLBACK (local_datagram), &l.a);
      g_signal_connect (db, "message", G_CALLBACK (local_datagram), &l.b);
      memset (payload, 0, size);
      memcpy (payload, text, MIN ((gsize) size, strlen (text)));
      for (i = 0; i < count; i++)
        {
          nav_channel_send_data (da, payload, size, NULL);
          nav_channel_send_data (db, payload, size, NULL);
          if (i % 64 == 0)
            while (g_main_context_iteration (NULL, FALSE))
              ;
        }
      for (i = 0; i < 200 && (l.a.datagrams < (guint) count || l.b.datagrams < (guint) count); i++)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      g_print (_("  sent %d encrypted datagrams of %d bytes each way: A received %u, B %u\n"),
               count, size, l.a.datagrams, l.b.datagrams);
      if (l.b.first_wire != NULL)
        {
          gsize len;
          const guint8 *wire = g_bytes_get_data (l.b.first_wire, &len);

          /* %lu, not G_GSIZE_FORMAT: xgettext cuts a message there */
          g_print (_("  on the wire: a DTLS record (type %u, version %02x%02x, %lu"
                     " bytes), the plaintext “%s” %s in it\n"), wire[0], wire[1], wire[2], (gulong) len, text,
                   memmem (wire, len, text, strlen (text)) != NULL ? _("IS") : _("is not"));
        }
      ok = l.a.datagrams > 0 && l.b.datagrams > 0;
    }

out:
  g_clear_pointer (&l.a.first_wire, g_bytes_unref);
  g_clear_pointer (&l.b.first_wire, g_bytes_unref);
  g_ptr_array_unref (l.a.pending);
  g_ptr_array_unref (l.b.pending);
  g_clear_object (&l.a.channel);
  g_clear_object (&l.b.channel);
  nav_peer_connection_close (l.a.pc);
  nav_peer_connection_close (l.b.pc);
  g_clear_object (&l.a.pc);
  g_clear_object (&l.b.pc);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return ok;
}

/* ------------------------------------------------------------ through a room */

typedef struct {
  GMainLoop *loop;
  NavSignalingClient *client;
  NavSignalingSession *session;
  NavPeerConnection *pc;
  NavDataChannel *channel;
  gboolean datachannel;
  gboolean loopback;
  const gchar *room;
  gchar *greeting;
  gboolean connected;
  gboolean got_echo;            /* our greeting came back */
  gboolean echoed;              /* we echoed the peer's */
  guint received;               /* --secure: datagrams from the peer */
  gboolean peer_got_ours;
  guint sent;
  guint linger;
  gint status;
  gint64 start_us;
  gint64 connected_us;
  guint tick_id;
  guint timeout_id;
} Remote;

static void
remote_fail (Remote      *r,
             const gchar *message)
{
  if (r->status == 0)
    return;
  g_printerr ("%s\n", message);
  g_main_loop_quit (r->loop);
}

static void
remote_text (NavDataChannel *channel,
             const gchar    *text,
             gpointer        user_data)
{
  Remote *r = user_data;

  g_print (_("  received “%s”\n"), text);
  if (g_str_has_prefix (text, ECHO_PREFIX))
    {
      if (strcmp (text + strlen (ECHO_PREFIX), r->greeting) == 0)
        r->got_echo = TRUE;
    }
  else
    {
      g_autofree gchar *echo = g_strconcat (ECHO_PREFIX, text, NULL);

      if (nav_data_channel_send_text (channel, echo, NULL))
        r->echoed = TRUE;
    }
}

static void
remote_binary (NavChannel *channel,
               GBytes     *message,
               gpointer    user_data)
{
  g_autofree gchar *count = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (message));

  /* the count as text: xgettext cuts a message at G_GSIZE_FORMAT */
  g_print (_("  received %s bytes of binary data\n"), count);
}

static void
remote_channel_state (NavChannel      *channel,
                      NavChannelState  state,
                      gpointer         user_data)
{
  Remote *r = user_data;
  g_autofree gchar *label = nav_data_channel_dup_label (NAV_DATA_CHANNEL (channel));

  if (state == NAV_CHANNEL_STATE_OPEN && NAV_DATA_CHANNEL (channel) == r->channel)
    {
      g_print (_("  data channel “%s” open (id %d), sending “%s”\n"), label,
               nav_data_channel_get_id (r->channel), r->greeting);
      nav_data_channel_send_text (r->channel, r->greeting, NULL);
    }
  else if (state == NAV_CHANNEL_STATE_CLOSED)
    g_print (_("  data channel “%s” closed\n"), label);
}

static void
remote_data_channel (NavPeerConnection *pc,
                     NavDataChannel    *channel,
                     gpointer           user_data)
{
  Remote *r = user_data;
  g_autofree gchar *label = nav_data_channel_dup_label (channel);

  g_print (_("  the peer opened data channel “%s” (id %d)\n"), label, nav_data_channel_get_id (channel));
  g_signal_connect (channel, "text-message", G_CALLBACK (remote_text), r);
  g_signal_connect (channel, "message", G_CALLBACK (remote_binary), r);
  g_signal_connect (channel, "state-changed", G_CALLBACK (remote_channel_state), r);
  /* Kept for the life of the demo. */
  g_object_set_data_full (G_OBJECT (r->pc), label, g_object_ref (channel), g_object_unref);
}

static void
remote_datagram (NavChannel *channel,
                 GBytes     *message,
                 gpointer    user_data)
{
  Remote *r = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  r->received++;
  /* "nav-demo N 1": the peer has our datagrams too. */
  if (len >= 12 && data[len - 1] == '1')
    r->peer_got_ours = TRUE;
}

static void
remote_state (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  Remote *r = user_data;
  NavPeerConnectionState state = nav_peer_connection_get_connection_state (r->pc);

  if (state == NAV_PEER_CONNECTION_STATE_CONNECTED && !r->connected)
    {
      r->connected = TRUE;
      r->connected_us = g_get_monotonic_time ();
      g_print (_("  connected, encrypted and authenticated:\n"));
      print_path ("local", r->pc);
      print_security ("local", r->pc);
      if (!r->datachannel)
        g_signal_connect (nav_peer_connection_get_dtls_channel (r->pc), "message",
                          G_CALLBACK (remote_datagram), r);
    }
  else if (state == NAV_PEER_CONNECTION_STATE_FAILED)
    remote_fail (r, _("The connection failed"));
}

static gboolean
remote_tick (gpointer user_data)
{
  Remote *r = user_data;
  gboolean done;

  if (!r->connected)
    return G_SOURCE_CONTINUE;
  if (!r->datachannel)
    {
      g_autofree gchar *payload = g_strdup_printf ("nav-demo %u %u", r->sent, r->received > 0 ? 1 : 0);

      if (nav_channel_send_data (NAV_CHANNEL (nav_peer_connection_get_dtls_channel (r->pc)),
                                 (const guint8 *) payload, strlen (payload), NULL))
        r->sent++;
      done = r->received > 0 && r->peer_got_ours;
    }
  else
    done = r->got_echo && r->echoed;
  /* Done once data went both ways; a little longer, so that the peer
   * learns it too. */
  if (done && ++r->linger >= 25)
    {
      r->status = 0;
      r->tick_id = 0;
      g_main_loop_quit (r->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
remote_timeout (gpointer user_data)
{
  Remote *r = user_data;

  r->timeout_id = 0;
  if (nav_signaling_client_get_peer_id (r->client) == NULL)
    remote_fail (r, _("Timed out: not connected to the signaling server"));
  else if (nav_signaling_session_get_remote_peer (r->session) == NULL)
    remote_fail (r, _("Timed out: no peer joined the room"));
  else if (!r->connected)
    remote_fail (r, _("Timed out: the peers did not connect"));
  else
    remote_fail (r, _("Timed out: no data came back from the peer"));
  return G_SOURCE_REMOVE;
}

static void
remote_negotiated (NavSignalingSession *session,
                   const gchar         *peer,
                   gpointer             user_data)
{
  g_print (_("  offer and answer exchanged with peer %s; checks and DTLS:\n"), peer);
}

static void
remote_bye (NavSignalingSession *session,
            const gchar         *reason,
            gpointer             user_data)
{
  Remote *r = user_data;

  if (r->got_echo || (r->received > 0 && r->peer_got_ours))
    {
      r->status = 0;
      g_main_loop_quit (r->loop);
      return;
    }
  remote_fail (r, _("The peer left"));
}

/* A peer on this machine: 127.0.0.1, and the interfaces' IPv4
 * addresses too, since a browser gathers on those and not on loopback
 * (its checks to ours then make peer-reflexive pairs, which may come
 * too late). */
static void
add_local_addresses (NavAgent *agent)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  struct ifaddrs *list = NULL, *i;

  nav_agent_add_local_address (agent, lo);
  if (getifaddrs (&list) != 0)
    return;
  for (i = list; i != NULL; i = i->ifa_next)
    {
      NavAddress address;

      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
          (i->ifa_flags & IFF_LOOPBACK))
        continue;
      nav_address_init (&address);
      nav_address_set_from_sockaddr (&address, i->ifa_addr, sizeof (struct sockaddr_in));
      nav_agent_add_local_address (agent, &address);
    }
  freeifaddrs (list);
}

static void
remote_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Remote *r = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (r->client, result, &error))
    {
      g_autofree gchar *message = g_strdup_printf (_("Cannot reach the signaling server: %s"),
                                                   error->message);

      remote_fail (r, message);
      return;
    }
  g_print (_("  connected to the signaling server as %s, joining room “%s”\n"),
           nav_signaling_client_get_peer_id (r->client), r->room);
  r->greeting = g_strdup_printf ("%s %s", GREETING, nav_signaling_client_get_peer_id (r->client));
  r->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "data-channels", r->datachannel, NULL);
  if (r->loopback)
    add_local_addresses (nav_peer_connection_get_agent (r->pc));
  g_signal_connect (r->pc, "notify::connection-state", G_CALLBACK (remote_state), r);
  if (r->datachannel)
    {
      g_signal_connect (r->pc, "data-channel", G_CALLBACK (remote_data_channel), r);
      r->channel = nav_peer_connection_create_data_channel (r->pc, "nav-demo", NULL, &error);
      if (r->channel == NULL)
        {
          remote_fail (r, error->message);
          return;
        }
      g_signal_connect (r->channel, "text-message", G_CALLBACK (remote_text), r);
      g_signal_connect (r->channel, "message", G_CALLBACK (remote_binary), r);
      g_signal_connect (r->channel, "state-changed", G_CALLBACK (remote_channel_state), r);
    }
  r->session = nav_signaling_session_new_for_peer_connection (r->client, r->pc, r->room);
  g_signal_connect (r->session, "negotiated", G_CALLBACK (remote_negotiated), r);
  g_signal_connect (r->session, "remote-bye", G_CALLBACK (remote_bye), r);
  if (!nav_signaling_session_start (r->session, NULL, &error))
    remote_fail (r, error->message);
}

gboolean
nav_demo_pc_run_signal (const gchar *uri,
                        const gchar *room,
                        gboolean     datachannel,
                        gboolean     loopback,
                        gint         timeout)
{
  Remote r = { .status = 1 };

  g_print (_("One peer connection (%s), the peer met in room “%s” of %s:\n"),
           datachannel ? _("a data channel") : _("encrypted datagrams"), room, uri);
  r.loop = g_main_loop_new (NULL, FALSE);
  r.datachannel = datachannel;
  r.loopback = loopback;
  r.room = room;
  r.start_us = g_get_monotonic_time ();
  r.client = nav_signaling_client_new (uri);
  r.timeout_id = g_timeout_add_seconds (timeout, remote_timeout, &r);
  r.tick_id = g_timeout_add (20, remote_tick, &r);
  nav_signaling_client_connect_async (r.client, NULL, remote_connected, &r);
  g_main_loop_run (r.loop);
  g_clear_handle_id (&r.tick_id, g_source_remove);
  g_clear_handle_id (&r.timeout_id, g_source_remove);

  if (r.status == 0)
    {
      g_print (_("  setup (start → connected): %.1f ms\n"), (r.connected_us - r.start_us) / 1000.0);
      if (datachannel)
        g_print (_("  data went both ways on the data channels: our greeting came back, the "
                   "peer's was echoed\n"));
      else
        g_print (_("  sent %u and received %u encrypted datagrams: data went both ways\n"),
                 r.sent, r.received);
    }
  g_clear_object (&r.session);
  if (r.pc != NULL)
    nav_peer_connection_close (r.pc);
  g_clear_object (&r.channel);
  g_clear_object (&r.pc);
  g_signal_handlers_disconnect_by_data (r.client, &r);
  nav_signaling_client_disconnect (r.client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (r.client);
  g_main_loop_unref (r.loop);
  g_free (r.greeting);
  return r.status == 0;
}
