/* dc-peer.c: a NetAvanue data channel peer driven by JSON lines on its
 * standard input, for the interop tests and bench/datachannel-bench
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The same protocol as ndc-peer.cjs (libdatachannel), aiortc-peer.py
 * and browser-peer.html (Chromium): peers.md beside this file.  It uses
 * the public API only, as an application would.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <json-glib/json-glib.h>
#include <netavanue/netavanue.h>

typedef struct {
  NavDataChannel *channel;
  gchar *label;
  gboolean open_reported;
  /* sink */
  gboolean sink;
  guint64 sink_total;
  guint64 sink_bytes;
  guint64 sink_messages;
  gint64 sink_first;
  gboolean sink_ok;
  /* bulk */
  guint64 bulk_total;
  guint64 bulk_sent;
  guint64 bulk_size;
  guint64 bulk_index;
  gint64 bulk_start;
  gboolean bulk_reported;
  /* queued sends waiting for room */
  GQueue pending;               /* Pending */
} Chan;

typedef struct {
  GBytes *data;
  gboolean text;
} Pending;

static GMainLoop *loop;
static NavPeerConnection *pc;
static GHashTable *channels;    /* label → Chan */
static GPtrArray *early_candidates;
static gboolean loopback;
static const gchar *cc;         /* NULL: the default */

/* The transport exists from the first channel or description on. */
static void
apply_congestion_control (void)
{
  NavSctpTransport *sctp = pc != NULL ? nav_peer_connection_get_sctp_transport (pc) : NULL;

  if (cc != NULL && sctp != NULL)
    g_object_set (sctp, "congestion-control", g_strcmp0 (cc, "rfc9260") == 0
                  ? NAV_CONGESTION_CONTROL_RFC9260 : NAV_CONGESTION_CONTROL_MODEL, NULL);
}

static gint64
now_ns (void)
{
  return g_get_monotonic_time () * 1000;
}

static gint64
cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) usage.ru_utime.tv_sec * 1000000 + usage.ru_utime.tv_usec +
         (gint64) usage.ru_stime.tv_sec * 1000000 + usage.ru_stime.tv_usec;
}

static void
emit (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);

  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static JsonBuilder *
event (const gchar *name)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "t");
  json_builder_add_int_value (b, now_ns ());
  return b;
}

static void
finish (JsonBuilder *b)
{
  json_builder_end_object (b);
  emit (b);
  g_object_unref (b);
}

static void
member_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
member_int (JsonBuilder *b, const gchar *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
member_bool (JsonBuilder *b, const gchar *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
fail (const gchar *what, const GError *error)
{
  JsonBuilder *b = event ("error");

  member_string (b, "what", what);
  member_string (b, "message", error != NULL ? error->message : "");
  finish (b);
}

/* The content every peer of the harness generates (peers.md). */
static guint8
pattern_byte (guint64 i,
              guint64 seed)
{
  return (guint8) ((i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

static GBytes *
pattern (gsize    len,
         guint64  seed,
         gboolean text)
{
  guint8 *data = g_malloc (len + 1);
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = text ? (guint8) ('a' + pattern_byte (i, seed) % 26) : pattern_byte (i, seed);
  data[len] = 0;
  return g_bytes_new_take (data, len);
}

/* ------------------------------------------------------------ channels */

static void
chan_free (gpointer p)
{
  Chan *c = p;

  g_signal_handlers_disconnect_by_data (c->channel, c);
  g_clear_object (&c->channel);
  g_free (c->label);
  while (!g_queue_is_empty (&c->pending))
    {
      Pending *q = g_queue_pop_head (&c->pending);

      g_bytes_unref (q->data);
      g_free (q);
    }
  g_free (c);
}

static void
report_open (Chan *c)
{
  JsonBuilder *b;

  if (c->open_reported)
    return;
  c->open_reported = TRUE;
  b = event ("open");
  member_string (b, "label", c->label);
  member_int (b, "id", nav_data_channel_get_id (c->channel));
  member_int (b, "maxMessageSize", nav_data_channel_get_max_message_size (c->channel));
  finish (b);
}

static void bulk_pump (Chan *c);

/* Sends what waits, as room allows. */
static void
drain_pending (Chan *c)
{
  while (!g_queue_is_empty (&c->pending))
    {
      Pending *q = g_queue_peek_head (&c->pending);
      g_autoptr (GError) error = NULL;
      gboolean ok;

      if (q->text)
        {
          g_autofree gchar *s = g_strndup (g_bytes_get_data (q->data, NULL), g_bytes_get_size (q->data));

          ok = nav_data_channel_send_text (c->channel, s, &error);
        }
      else
        ok = nav_channel_send (NAV_CHANNEL (c->channel), q->data, &error);
      if (!ok)
        {
          if (g_error_matches (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_BUFFER_FULL))
            return;
          fail ("send", error);
        }
      g_queue_pop_head (&c->pending);
      g_bytes_unref (q->data);
      g_free (q);
    }
}

static void
on_state (NavChannel      *channel,
          NavChannelState  state,
          gpointer         user_data)
{
  Chan *c = user_data;

  if (state == NAV_CHANNEL_STATE_OPEN)
    {
      report_open (c);
      drain_pending (c);
      if (c->bulk_total > 0)
        bulk_pump (c);
    }
  else if (state == NAV_CHANNEL_STATE_CLOSED)
    {
      JsonBuilder *b = event ("close");

      member_string (b, "label", c->label);
      finish (b);
    }
}

static void
on_low (NavChannel *channel,
        gpointer    user_data)
{
  Chan *c = user_data;

  drain_pending (c);
  if (c->bulk_total > 0)
    bulk_pump (c);
}

static void
received (Chan         *c,
          const guint8 *data,
          gsize         len,
          gboolean      text)
{
  JsonBuilder *b;

  if (c->sink)
    {
      if (c->sink_messages == 0)
        c->sink_first = now_ns ();
      /* A spot check of each message: its first bytes are message n's. */
      if (!text && len > 0 && data[0] != pattern_byte (0, c->sink_messages))
        {
          if (g_getenv ("DC_PEER_DEBUG") != NULL)
            {
              gint64 k, match = -1;

              for (k = (gint64) c->sink_messages - 300; k < (gint64) c->sink_messages + 300; k++)
                {
                  gsize i;

                  if (k < 0)
                    continue;
                  for (i = 0; i < len && data[i] == pattern_byte (i, k); i++)
                    ;
                  if (i == len)
                    match = k;
                }
              g_printerr ("dc-peer: message %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT " bytes is message %" G_GINT64_FORMAT "\n",
                          c->sink_messages, len, match);
            }
          c->sink_ok = FALSE;
        }
      c->sink_messages++;
      c->sink_bytes += len;
      if (c->sink_bytes >= c->sink_total)
        {
          c->sink = FALSE;
          b = event ("sink-done");
          member_string (b, "label", c->label);
          member_int (b, "bytes", c->sink_bytes);
          member_int (b, "messages", c->sink_messages);
          member_int (b, "first", c->sink_first);
          member_bool (b, "ok", c->sink_ok);
          finish (b);
        }
      return;
    }
  b = event ("message");
  member_string (b, "label", c->label);
  member_string (b, "kind", text ? "text" : "binary");
  member_int (b, "size", len);
  {
    g_autofree gchar *digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);

    member_string (b, "digest", digest);
  }
  finish (b);
}

static void
on_binary (NavChannel *channel,
           GBytes     *message,
           gpointer    user_data)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  received (user_data, data, len, FALSE);
}

static void
on_text (NavDataChannel *channel,
         const gchar    *text,
         gpointer        user_data)
{
  received (user_data, (const guint8 *) text, strlen (text), TRUE);
}

static Chan *
track (NavDataChannel *channel)
{
  Chan *c = g_new0 (Chan, 1);

  c->channel = g_object_ref (channel);
  c->label = nav_data_channel_dup_label (channel);
  g_object_set (channel, "buffered-amount-low-threshold", (guint64) 1024 * 1024, NULL);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_state), c);
  g_signal_connect (channel, "buffered-amount-low", G_CALLBACK (on_low), c);
  g_signal_connect (channel, "message", G_CALLBACK (on_binary), c);
  g_signal_connect (channel, "text-message", G_CALLBACK (on_text), c);
  g_hash_table_replace (channels, g_strdup (c->label), c);
  return c;
}

static void
on_data_channel (NavPeerConnection *connection,
                 NavDataChannel    *channel,
                 gpointer           user_data)
{
  Chan *c = track (channel);
  JsonBuilder *b = event ("channel");
  g_autofree gchar *protocol = nav_data_channel_dup_protocol (channel);
  gint rtx = nav_data_channel_get_max_retransmits (channel);
  gint life = nav_data_channel_get_max_packet_life_time (channel);

  member_string (b, "label", c->label);
  member_int (b, "id", nav_data_channel_get_id (channel));
  member_string (b, "protocol", protocol);
  member_bool (b, "ordered", nav_channel_get_ordered (NAV_CHANNEL (channel)));
  json_builder_set_member_name (b, "maxRetransmits");
  if (rtx >= 0)
    json_builder_add_int_value (b, rtx);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "maxPacketLifeTime");
  if (life >= 0)
    json_builder_add_int_value (b, life);
  else
    json_builder_add_null_value (b);
  member_bool (b, "negotiated", nav_data_channel_get_negotiated (channel));
  finish (b);
  report_open (c);
}

/* ------------------------------------------------------------ bulk */

static void
bulk_pump (Chan *c)
{
  while (c->bulk_sent < c->bulk_total &&
         nav_channel_get_buffered_amount (NAV_CHANNEL (c->channel)) < 4 * 1024 * 1024)
    {
      gsize n = MIN (c->bulk_size, c->bulk_total - c->bulk_sent);
      g_autoptr (GBytes) m = pattern (n, c->bulk_index, FALSE);
      g_autoptr (GError) error = NULL;

      if (!nav_channel_send (NAV_CHANNEL (c->channel), m, &error))
        {
          if (!g_error_matches (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_BUFFER_FULL))
            fail ("bulk", error);
          return;
        }
      c->bulk_sent += n;
      c->bulk_index++;
    }
  if (c->bulk_sent >= c->bulk_total && !c->bulk_reported)
    {
      JsonBuilder *b = event ("bulk-queued");

      c->bulk_reported = TRUE;
      member_string (b, "label", c->label);
      member_int (b, "start", c->bulk_start);
      finish (b);
    }
}

/* ------------------------------------------------------------ signaling */

static void
on_candidate (NavPeerConnection *connection,
              const gchar       *candidate,
              const gchar       *mid,
              guint              index,
              gpointer           user_data)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  member_string (b, "type", "candidate");
  member_string (b, "candidate", candidate);
  member_string (b, "mid", mid);
  json_builder_end_object (b);
  emit (b);
  g_object_unref (b);
}

static void
send_description (NavSessionDescription *d)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  member_string (b, "type", nav_sdp_type_to_string (nav_session_description_get_sdp_type (d)));
  member_string (b, "sdp", nav_session_description_get_sdp (d));
  json_builder_end_object (b);
  emit (b);
  g_object_unref (b);
}

static void
add_candidate (const gchar *candidate,
               const gchar *mid)
{
  g_autoptr (GError) error = NULL;

  if (!nav_peer_connection_add_ice_candidate (pc, candidate, mid, -1, &error))
    fail ("candidate", error);
}

static void
flush_candidates (void)
{
  guint i;

  for (i = 0; i < early_candidates->len; i += 2)
    add_candidate (g_ptr_array_index (early_candidates, i),
                   g_ptr_array_index (early_candidates, i + 1));
  g_ptr_array_set_size (early_candidates, 0);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean offer = GPOINTER_TO_INT (user_data);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) d = offer
    ? nav_peer_connection_create_offer_finish (pc, result, &error)
    : nav_peer_connection_create_answer_finish (pc, result, &error);

  if (d == NULL || !nav_peer_connection_set_local_description (pc, d, &error))
    {
      fail (offer ? "offer" : "answer", error);
      return;
    }
  send_description (d);
}

/* ------------------------------------------------------------ commands */

static const gchar *
get_string (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

static gint64
get_int (JsonObject *o, const gchar *name, gint64 fallback)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_int (n) : fallback;
}

static gboolean
get_bool (JsonObject *o, const gchar *name, gboolean fallback)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_boolean (n) : fallback;
}

static void
on_pc_state (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  JsonBuilder *b = event ("state");
  GEnumClass *klass;
  gint value = 0;

  g_object_get (object, pspec->name, &value, NULL);
  klass = g_type_class_ref (pspec->value_type);
  member_string (b, "what", pspec->name);
  member_string (b, "state", g_enum_get_value (klass, value)->value_nick);
  g_type_class_unref (klass);
  finish (b);
}

static void
cmd_init (JsonObject *o)
{
  loopback = get_bool (o, "loopback", TRUE);
  cc = g_intern_string (get_string (o, "cc"));
  pc = nav_peer_connection_new (NULL);
  if (loopback)
    {
      g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

      nav_agent_add_local_address (nav_peer_connection_get_agent (pc), lo);
    }
  /* The NAT-aware strategy's a=x-nav-nat (tests/discovery). */
  if (get_string (o, "natType") != NULL)
    g_object_set (nav_peer_connection_get_agent (pc), "nat-type", get_string (o, "natType"), NULL);
  g_signal_connect (pc, "ice-candidate", G_CALLBACK (on_candidate), NULL);
  g_signal_connect (pc, "data-channel", G_CALLBACK (on_data_channel), NULL);
  g_signal_connect (pc, "notify::ice-connection-state", G_CALLBACK (on_pc_state), NULL);
  g_signal_connect (pc, "notify::connection-state", G_CALLBACK (on_pc_state), NULL);
}

static void
cmd_create (JsonObject *o)
{
  NavDataChannelOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDataChannel) channel = NULL;
  Chan *c;

  nav_data_channel_options_init (&options);
  options.ordered = get_bool (o, "ordered", TRUE);
  options.max_retransmits = get_int (o, "maxRetransmits", -1);
  options.max_packet_life_time = get_int (o, "maxPacketLifeTime", -1);
  options.protocol = (gchar *) get_string (o, "protocol");
  options.negotiated = get_bool (o, "negotiated", FALSE);
  options.id = get_int (o, "id", -1);
  channel = nav_peer_connection_create_data_channel (pc, get_string (o, "label"), &options, &error);
  if (channel == NULL)
    {
      fail ("create", error);
      return;
    }
  apply_congestion_control ();
  c = track (channel);
  if (nav_channel_get_state (NAV_CHANNEL (channel)) == NAV_CHANNEL_STATE_OPEN)
    report_open (c);
}

static void
cmd_send (JsonObject *o)
{
  Chan *c = g_hash_table_lookup (channels, get_string (o, "label"));
  gboolean text = g_strcmp0 (get_string (o, "kind"), "text") == 0;
  gint64 count = get_int (o, "count", 1), i;
  gint64 size = get_int (o, "size", 0);
  gint64 seed = get_int (o, "seed", 0);

  if (c == NULL)
    {
      fail ("send: no such channel", NULL);
      return;
    }
  for (i = 0; i < count; i++)
    {
      Pending *q = g_new0 (Pending, 1);

      q->data = pattern (size, seed + i, text);
      q->text = text;
      g_queue_push_tail (&c->pending, q);
    }
  if (nav_channel_get_state (NAV_CHANNEL (c->channel)) == NAV_CHANNEL_STATE_OPEN)
    drain_pending (c);
}

static void
command (JsonObject *o)
{
  const gchar *cmd = get_string (o, "cmd");
  const gchar *type = get_string (o, "type");

  if (g_strcmp0 (type, "offer") == 0 || g_strcmp0 (type, "answer") == 0)
    {
      g_autoptr (GError) error = NULL;
      NavSdpType t = g_str_equal (type, "offer") ? NAV_SDP_TYPE_OFFER : NAV_SDP_TYPE_ANSWER;
      g_autoptr (NavSessionDescription) d = nav_session_description_new (t, get_string (o, "sdp"));

      if (!nav_peer_connection_set_remote_description (pc, d, &error))
        {
          fail ("remote description", error);
          return;
        }
      apply_congestion_control ();
      flush_candidates ();
      if (t == NAV_SDP_TYPE_OFFER)
        nav_peer_connection_create_answer_async (pc, NULL, on_created, GINT_TO_POINTER (FALSE));
    }
  else if (g_strcmp0 (type, "candidate") == 0)
    {
      g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (pc);

      if (remote == NULL)
        {
          g_ptr_array_add (early_candidates, g_strdup (get_string (o, "candidate")));
          g_ptr_array_add (early_candidates, g_strdup (get_string (o, "mid")));
        }
      else
        add_candidate (get_string (o, "candidate"), get_string (o, "mid"));
    }
  else if (g_strcmp0 (cmd, "init") == 0)
    cmd_init (o);
  else if (g_strcmp0 (cmd, "offer") == 0)
    nav_peer_connection_create_offer_async (pc, NULL, on_created, GINT_TO_POINTER (TRUE));
  else if (g_strcmp0 (cmd, "create") == 0)
    cmd_create (o);
  else if (g_strcmp0 (cmd, "send") == 0)
    cmd_send (o);
  else if (g_strcmp0 (cmd, "sink") == 0)
    {
      Chan *c = g_hash_table_lookup (channels, get_string (o, "label"));
      JsonBuilder *b;

      if (c != NULL)
        {
          c->sink = TRUE;
          c->sink_ok = TRUE;
          c->sink_total = get_int (o, "total", 0);
          c->sink_bytes = 0;
          c->sink_messages = 0;
          b = event ("sink-ready");
          member_string (b, "label", c->label);
          finish (b);
        }
    }
  else if (g_strcmp0 (cmd, "bulk") == 0)
    {
      Chan *c = g_hash_table_lookup (channels, get_string (o, "label"));

      if (c != NULL)
        {
          c->bulk_total = get_int (o, "total", 0);
          c->bulk_size = get_int (o, "size", 65536);
          c->bulk_sent = 0;
          c->bulk_index = 0;
          c->bulk_reported = FALSE;
          c->bulk_start = now_ns ();
          bulk_pump (c);
        }
    }
  else if (g_strcmp0 (cmd, "close") == 0)
    {
      Chan *c = g_hash_table_lookup (channels, get_string (o, "label"));

      if (c != NULL)
        nav_channel_close (NAV_CHANNEL (c->channel));
    }
  else if (g_strcmp0 (cmd, "cpu") == 0)
    {
      JsonBuilder *b = event ("cpu");

      member_int (b, "cpu_us", cpu_us ());
      finish (b);
    }
  else if (g_strcmp0 (cmd, "exit") == 0)
    g_main_loop_quit (loop);
}

static gboolean
on_stdin (GIOChannel   *source,
          GIOCondition  condition,
          gpointer      user_data)
{
  g_autofree gchar *line = NULL;
  g_autoptr (GError) error = NULL;
  GIOStatus status = g_io_channel_read_line (source, &line, NULL, NULL, &error);

  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR)
    {
      g_main_loop_quit (loop);
      return G_SOURCE_REMOVE;
    }
  if (line != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();

      if (g_getenv ("DC_PEER_DEBUG") != NULL)
        g_printerr ("dc-peer: %s", line);
      if (json_parser_load_from_data (parser, line, -1, &error) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        command (json_node_get_object (json_parser_get_root (parser)));
      else
        fail ("bad command", error);
    }
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  GIOChannel *in;
  JsonBuilder *b;

  loop = g_main_loop_new (NULL, FALSE);
  channels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, chan_free);
  early_candidates = g_ptr_array_new_with_free_func (g_free);
  in = g_io_channel_unix_new (0);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP, on_stdin, NULL);
  b = event ("ready");
  member_string (b, "name", "netavanue");
  finish (b);
  g_main_loop_run (loop);

  if (pc != NULL)
    nav_peer_connection_close (pc);
  b = event ("bye");
  member_int (b, "cpu_us", cpu_us ());
  finish (b);
  g_hash_table_unref (channels);
  g_ptr_array_unref (early_candidates);
  g_clear_object (&pc);
  /* Let the closing finish (the agent's sockets, worker threads). */
  for (gint i = 0; i < 20 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  g_io_channel_unref (in);
  g_main_loop_unref (loop);
  return 0;
}
