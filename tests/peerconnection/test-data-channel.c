/* test-data-channel.c: data channels between two NavPeerConnections in
 * one process: DCEP, the channel options, message kinds and sizes,
 * closing from either side, many channels, back-pressure, the byte
 * stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "pc-test-util.h"

typedef struct {
  gchar *label;
  GPtrArray *messages;          /* Msg */
  NavChannelState state;
  guint low_events;
} Watch;

typedef struct {
  GBytes *data;
  gboolean text;
} Msg;

static void
msg_free (gpointer p)
{
  Msg *m = p;

  g_bytes_unref (m->data);
  g_free (m);
}

typedef struct {
  PcPair pair;
  GPtrArray *remote_a;          /* channels announced to a (NavDataChannel) */
  GPtrArray *remote_b;
  guint negotiation_needed_a;
} Fixture;

static GQuark watch_quark;

static Watch *
watch_of (NavDataChannel *channel)
{
  return g_object_get_qdata (G_OBJECT (channel), watch_quark);
}

static void
watch_free (gpointer p)
{
  Watch *w = p;

  g_free (w->label);
  g_ptr_array_unref (w->messages);
  g_free (w);
}

static void
on_binary (NavChannel *channel,
           GBytes     *message,
           gpointer    user_data)
{
  Msg *m = g_new0 (Msg, 1);

  m->data = g_bytes_ref (message);
  g_ptr_array_add (watch_of (NAV_DATA_CHANNEL (channel))->messages, m);
}

static void
on_text (NavDataChannel *channel,
         const gchar    *text,
         gpointer        user_data)
{
  Msg *m = g_new0 (Msg, 1);

  m->data = g_bytes_new (text, strlen (text));
  m->text = TRUE;
  g_ptr_array_add (watch_of (channel)->messages, m);
}

static void
on_state (NavChannel      *channel,
          NavChannelState  state,
          gpointer         user_data)
{
  watch_of (NAV_DATA_CHANNEL (channel))->state = state;
}

static void
on_low (NavChannel *channel,
        gpointer    user_data)
{
  watch_of (NAV_DATA_CHANNEL (channel))->low_events++;
}

static void
watch (NavDataChannel *channel)
{
  Watch *w = g_new0 (Watch, 1);

  w->label = nav_data_channel_dup_label (channel);
  w->messages = g_ptr_array_new_with_free_func (msg_free);
  w->state = nav_channel_get_state (NAV_CHANNEL (channel));
  g_object_set_qdata_full (G_OBJECT (channel), watch_quark, w, watch_free);
  g_signal_connect (channel, "message", G_CALLBACK (on_binary), NULL);
  g_signal_connect (channel, "text-message", G_CALLBACK (on_text), NULL);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_state), NULL);
  g_signal_connect (channel, "buffered-amount-low", G_CALLBACK (on_low), NULL);
}

static void
on_data_channel (NavPeerConnection *pc,
                 NavDataChannel    *channel,
                 gpointer           user_data)
{
  GPtrArray *list = user_data;

  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (channel)), ==, NAV_CHANNEL_STATE_OPEN);
  watch (channel);
  g_ptr_array_add (list, g_object_ref (channel));
}

static void
on_negotiation_needed (NavPeerConnection *pc,
                       gpointer           user_data)
{
  Fixture *f = user_data;

  f->negotiation_needed_a++;
}

static void
fixture_init (Fixture *f)
{
  memset (f, 0, sizeof *f);
  pc_pair_init_options (&f->pair, NULL, NULL, TRUE);
  f->remote_a = g_ptr_array_new_with_free_func (g_object_unref);
  f->remote_b = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (f->pair.a.pc, "data-channel", G_CALLBACK (on_data_channel), f->remote_a);
  g_signal_connect (f->pair.b.pc, "data-channel", G_CALLBACK (on_data_channel), f->remote_b);
  g_signal_connect (f->pair.a.pc, "negotiation-needed", G_CALLBACK (on_negotiation_needed), f);
}

static void
fixture_clear (Fixture *f)
{
  g_ptr_array_unref (f->remote_a);
  g_ptr_array_unref (f->remote_b);
  pc_pair_clear (&f->pair);
}

/* ------------------------------------------------------------ helpers */

typedef struct {
  GPtrArray *list;
  guint count;
} Count;

static gboolean
list_has (gpointer data)
{
  Count *c = data;

  return c->list->len >= c->count;
}

static void
wait_list (Fixture   *f,
           GPtrArray *list,
           guint      count)
{
  Count c = { list, count };

  test_wait (f->pair.context, list_has, &c);
}

static gboolean
channel_open (gpointer data)
{
  return nav_channel_get_state (NAV_CHANNEL (data)) == NAV_CHANNEL_STATE_OPEN;
}

static gboolean
channel_closed (gpointer data)
{
  return nav_channel_get_state (NAV_CHANNEL (data)) == NAV_CHANNEL_STATE_CLOSED;
}

static void
wait_messages (Fixture        *f,
               NavDataChannel *channel,
               guint           count)
{
  wait_list (f, watch_of (channel)->messages, count);
}

/* Deterministic content: @seed and the offset. */
static GBytes *
pattern (gsize  len,
         guint  seed)
{
  guint8 *data = g_malloc (MAX (len, 1));
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) ((i * 31 + seed * 7 + (i >> 8)) & 0xff);
  return g_bytes_new_take (data, len);
}

static void
assert_msg (Watch       *w,
            guint        index,
            GBytes      *expected,
            gboolean     text)
{
  Msg *m;

  g_assert_cmpuint (index, <, w->messages->len);
  m = g_ptr_array_index (w->messages, index);
  g_assert_cmpint (m->text, ==, text);
  g_assert_true (g_bytes_equal (m->data, expected));
}

static NavDataChannel *
create (Fixture                     *f,
        NavPeerConnection           *pc,
        const gchar                 *label,
        const NavDataChannelOptions *options)
{
  g_autoptr (GError) error = NULL;
  NavDataChannel *channel = nav_peer_connection_create_data_channel (pc, label, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (channel);
  watch (channel);
  return channel;
}

static void
send_bytes (NavDataChannel *channel,
            GBytes         *bytes)
{
  g_autoptr (GError) error = NULL;

  gboolean ok = nav_data_channel_send_bytes (channel, bytes, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
send_text (NavDataChannel *channel,
           const gchar    *text)
{
  g_autoptr (GError) error = NULL;

  gboolean ok = nav_data_channel_send_text (channel, text, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* ------------------------------------------------------------ tests */

/* The first channel asks for an offer; the peer hears of it through
 * DCEP with its label, protocol and options; text and binary go both
 * ways, empty messages included. */
static void
test_open_and_exchange (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  NavDataChannel *b;
  NavDataChannelOptions options;
  g_autoptr (GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GBytes) text = g_bytes_new_static ("héllo wörld", strlen ("héllo wörld"));
  g_autofree gchar *label = NULL, *protocol = NULL;
  NavSctpTransport *sctp;

  fixture_init (&f);
  nav_data_channel_options_init (&options);
  options.protocol = "chat/1";
  options.priority = NAV_DATA_CHANNEL_PRIORITY_HIGH;
  a = create (&f, f.pair.a.pc, "chat", &options);
  g_assert_cmpint (nav_data_channel_get_id (a), ==, -1);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (a)), ==, NAV_CHANNEL_STATE_CONNECTING);
  test_run_for (f.pair.context, 10);
  g_assert_cmpuint (f.negotiation_needed_a, ==, 1);

  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);

  /* The answerer is the DTLS client: its ids are even, ours odd. */
  g_assert_cmpint (nav_data_channel_get_id (a) % 2, ==, 1);
  g_assert_cmpint (nav_data_channel_get_id (b), ==, nav_data_channel_get_id (a));
  label = nav_data_channel_dup_label (b);
  protocol = nav_data_channel_dup_protocol (b);
  g_assert_cmpstr (label, ==, "chat");
  g_assert_cmpstr (protocol, ==, "chat/1");
  g_assert_true (nav_channel_get_ordered (NAV_CHANNEL (b)));
  g_assert_true (nav_channel_get_reliable (NAV_CHANNEL (b)));
  g_assert_false (nav_data_channel_get_negotiated (b));
  g_assert_cmpint (nav_data_channel_get_priority (b), ==, NAV_DATA_CHANNEL_PRIORITY_HIGH);
  g_assert_cmpuint (nav_data_channel_get_max_message_size (a), ==, 262144);

  sctp = nav_peer_connection_get_sctp_transport (f.pair.a.pc);
  g_assert_nonnull (sctp);
  g_assert_cmpint (nav_sctp_transport_get_state (sctp), ==, NAV_SCTP_TRANSPORT_STATE_CONNECTED);
  g_assert_cmpuint (nav_sctp_transport_get_max_channels (sctp), ==, 65535);

  send_bytes (a, hello);
  send_text (a, "héllo wörld");
  send_bytes (a, empty);
  send_text (a, "");
  wait_messages (&f, b, 4);
  assert_msg (watch_of (b), 0, hello, FALSE);
  assert_msg (watch_of (b), 1, text, TRUE);
  assert_msg (watch_of (b), 2, empty, FALSE);
  assert_msg (watch_of (b), 3, empty, TRUE);

  send_text (b, "back");
  send_bytes (b, hello);
  wait_messages (&f, a, 2);
  g_assert_cmpmem (g_bytes_get_data (((Msg *) g_ptr_array_index (watch_of (a)->messages, 0))->data, NULL),
                   4, "back", 4);
  assert_msg (watch_of (a), 1, hello, FALSE);
  fixture_clear (&f);
}

/* NavPeerConnection:sctp-receive-window reaches the transport it makes,
 * before the association starts and after (where it only grows); the
 * behaviour of the window itself is /sctp/association/grow-receive-window's. */
static void
test_receive_window (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  NavSctpTransport *sctp;
  guint64 window = 0;

  fixture_init (&f);
  g_object_get (f.pair.a.pc, "sctp-receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW);
  g_object_set (f.pair.a.pc, "sctp-receive-window", (guint64) 8 * 1024 * 1024, NULL);
  a = create (&f, f.pair.a.pc, "bulk", NULL);
  sctp = nav_peer_connection_get_sctp_transport (f.pair.a.pc);
  g_object_get (sctp, "receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, 8 * 1024 * 1024);
  /* Before it starts, any value. */
  g_object_set (f.pair.a.pc, "sctp-receive-window", (guint64) 6 * 1024 * 1024, NULL);
  g_object_get (sctp, "receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, 6 * 1024 * 1024);

  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  g_object_get (nav_peer_connection_get_sctp_transport (f.pair.b.pc), "receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW);
  /* Running: it grows, never shrinks. */
  g_object_set (f.pair.a.pc, "sctp-receive-window", (guint64) 2 * 1024 * 1024, NULL);
  g_object_get (sctp, "receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, 6 * 1024 * 1024);
  g_object_set (f.pair.a.pc, "sctp-receive-window", (guint64) 32 * 1024 * 1024, NULL);
  g_object_get (sctp, "receive-window", &window, NULL);
  g_assert_cmpuint (window, ==, 32 * 1024 * 1024);
  fixture_clear (&f);
}

/* The bytes per datagram the connection's ICE transport sent so far
 * (its webrtc-stats transport report). */
static void
transport_sent (NavPeerConnection *pc,
                guint64           *packets,
                guint64           *bytes)
{
  g_autoptr (GVariant) stats = nav_peer_connection_get_stats (pc);
  GVariantIter iter;
  const gchar *id;
  GVariant *report;

  *packets = *bytes = 0;
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &id, &report))
    {
      const gchar *type = NULL;

      if (g_variant_lookup (report, "type", "&s", &type) && g_str_equal (type, "transport"))
        {
          g_assert_true (g_variant_lookup (report, "packetsSent", "t", packets));
          g_assert_true (g_variant_lookup (report, "bytesSent", "t", bytes));
        }
      g_variant_unref (report);
    }
}

/* A fixture with one channel of @label made by a and open on both
 * sides: returns b's. */
static NavDataChannel *
open_one (Fixture         *f,
          const gchar     *label,
          NavDataChannel **a)
{
  fixture_init (f);
  *a = create (f, f->pair.a.pc, label, NULL);
  pc_negotiate (&f->pair, &f->pair.a, NULL, NULL, NULL);
  test_wait (f->pair.context, channel_open, *a);
  wait_list (f, f->remote_b, 1);
  return g_ptr_array_index (f->remote_b, 0);
}

/* Message @i of the bulk transfer. */
static void
fill_pattern (guint8 *payload,
              gsize   len,
              guint   i)
{
  for (gsize j = 0; j < len; j++)
    payload[j] = (guint8) (i * 31 + j);
}

/* Path MTU discovery (RFC 8899, docs/datachannel.md): between two of
 * ours on loopback the probes confirm whole DTLS records, and a bulk
 * transfer goes in datagrams of about 16 KiB; with NAV_SCTP_PLPMTUD=0,
 * in the 1,200-byte ones every path carries.  The data arrives intact
 * either way. */
enum { PATH_MTU_OFF, PATH_MTU_ON, PATH_MTU_ROUTE_1500 };

static void
path_mtu_run (gint mode)
{
  gboolean on = mode != PATH_MTU_OFF;
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  NavDataChannel *b;
  guint64 packets0, bytes0, packets1, bytes1;
  gdouble per_packet;
  g_autofree guint8 *payload = g_malloc (65536);

  if (!on)
    g_setenv ("NAV_SCTP_PLPMTUD", "0", TRUE);
  b = open_one (&f, "bulk", &a);
  /* The probes' answers come within a round trip of the association. */
  test_run_for (f.pair.context, 100);
  transport_sent (f.pair.a.pc, &packets0, &bytes0);
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr (GBytes) m = NULL;

      fill_pattern (payload, 65536, i);
      m = g_bytes_new (payload, 65536);
      send_bytes (a, m);
    }
  wait_messages (&f, b, 40);
  for (guint i = 0; i < 40; i++)
    {
      GBytes *got = ((Msg *) g_ptr_array_index (watch_of (b)->messages, i))->data;

      fill_pattern (payload, 65536, i);
      g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), payload, 65536);
    }
  transport_sent (f.pair.a.pc, &packets1, &bytes1);
  g_assert_cmpuint (packets1, >, packets0);
  per_packet = (gdouble) (bytes1 - bytes0) / (packets1 - packets0);
  g_test_message ("2.5 MiB in %" G_GUINT64_FORMAT " datagrams, %.0f bytes each (search %s)",
                  packets1 - packets0, per_packet, on ? "on" : "off");
  if (mode == PATH_MTU_ON)
    g_assert_cmpfloat (per_packet, >, 8192);
  else if (mode == PATH_MTU_ROUTE_1500)
    {
      /* The search found an Ethernet frame's size and went no further:
       * no datagram the route would have to fragment. */
      g_assert_cmpfloat (per_packet, >, 1300);
      g_assert_cmpfloat (per_packet, <=, 1500 - 20 - 8);
    }
  else
    g_assert_cmpfloat (per_packet, <=, 1200);
  fixture_clear (&f);
  g_unsetenv ("NAV_SCTP_PLPMTUD");
}

static void
test_path_mtu (gconstpointer data)
{
  path_mtu_run (GPOINTER_TO_INT (data));
}

/* Our sockets do not set DF: a probe above the first hop's MTU would go
 * as IP fragments and look confirmed.  In a network namespace of its
 * own whose loopback has a 1,500-byte MTU, the search stops at an
 * Ethernet frame's size (the route's MTU caps it). */
static void
test_path_mtu_route (void)
{
  if (!g_test_subprocess ())
    {
      if (geteuid () != 0)
        {
          g_test_skip ("needs root: a network namespace whose loopback has a 1,500-byte MTU");
          return;
        }
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC,
                              G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_cmpint (unshare (CLONE_NEWNET), ==, 0);
  g_assert_cmpint (system ("ip link set lo mtu 1500 up"), ==, 0);
  path_mtu_run (PATH_MTU_ROUTE_1500);
}

/* Sizes from 1 byte to max-message-size arrive whole and intact; one
 * byte more is refused with a clear error. */
static void
test_message_sizes (void)
{
  static const gsize sizes[] = { 1, 2, 1000, 1100, 1200, 1201, 4096, 16384, 65535, 65536,
                                 65537, 100000, 262143, 262144 };
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) too_big = pattern (262145, 1);
  NavDataChannel *b;
  guint i;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "sizes", NULL);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GBytes) m = pattern (sizes[i], i);

      send_bytes (a, m);
    }
  g_assert_false (nav_data_channel_send_bytes (a, too_big, &error));
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE);
  g_test_message ("%s", error->message);
  wait_messages (&f, b, G_N_ELEMENTS (sizes));
  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GBytes) m = pattern (sizes[i], i);

      assert_msg (watch_of (b), i, m, FALSE);
    }
  fixture_clear (&f);
}

static gchar *
set_max_message_size (const gchar *sdp,
                      gpointer     data)
{
  const gchar *value = data;

  if (value == NULL)
    return replace_once (sdp, "a=max-message-size:262144\r\n", "");
  return replace_once (sdp, "a=max-message-size:262144", value);
}

/* The peer's a=max-message-size bounds what we send; 65,536 when it
 * says nothing (RFC 8841 §6.1). */
static void
test_peer_max_message_size (gconstpointer data)
{
  const gchar *value = data;
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  g_autoptr (GError) error = NULL;
  guint64 limit = value != NULL ? g_ascii_strtoull (strchr (value, ':') + 1, NULL, 10) : 65536;
  g_autoptr (GBytes) fits = pattern (limit, 2);
  g_autoptr (GBytes) over = pattern (limit + 1, 3);
  NavDataChannel *b;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "limit", NULL);
  /* What a says in its answer is b's limit: tamper with the answer. */
  pc_negotiate (&f.pair, &f.pair.b, NULL, set_max_message_size, (gpointer) value);
  test_wait (f.pair.context, channel_open, a);
  g_assert_cmpuint (nav_data_channel_get_max_message_size (a), ==, 262144);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  g_assert_cmpuint (nav_data_channel_get_max_message_size (b), ==, limit);
  g_assert_false (nav_data_channel_send_bytes (b, over, &error));
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE);
  send_bytes (b, fits);
  wait_messages (&f, a, 1);
  assert_msg (watch_of (a), 0, fits, FALSE);
  fixture_clear (&f);
}

/* Unordered and partially reliable channels: the peer learns the
 * options; every message arrives on loopback (nothing is lost). */
static void
test_options (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) u = NULL, r = NULL, t = NULL;
  NavDataChannelOptions options;
  guint i, j;

  fixture_init (&f);
  nav_data_channel_options_init (&options);
  options.ordered = FALSE;
  u = create (&f, f.pair.a.pc, "unordered", &options);
  options.max_retransmits = 0;
  r = create (&f, f.pair.a.pc, "rexmit-0", &options);
  options.max_retransmits = -1;
  options.ordered = TRUE;
  options.max_packet_life_time = 150;
  t = create (&f, f.pair.a.pc, "lifetime-150", &options);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  wait_list (&f, f.remote_b, 3);
  test_wait (f.pair.context, channel_open, u);
  test_wait (f.pair.context, channel_open, r);
  test_wait (f.pair.context, channel_open, t);
  for (i = 0; i < 3; i++)
    {
      NavDataChannel *b = g_ptr_array_index (f.remote_b, i);
      g_autofree gchar *label = nav_data_channel_dup_label (b);

      if (g_str_equal (label, "unordered"))
        {
          g_assert_false (nav_channel_get_ordered (NAV_CHANNEL (b)));
          g_assert_true (nav_channel_get_reliable (NAV_CHANNEL (b)));
        }
      else if (g_str_equal (label, "rexmit-0"))
        {
          g_assert_false (nav_channel_get_ordered (NAV_CHANNEL (b)));
          g_assert_false (nav_channel_get_reliable (NAV_CHANNEL (b)));
          g_assert_cmpint (nav_data_channel_get_max_retransmits (b), ==, 0);
          g_assert_cmpint (nav_data_channel_get_max_packet_life_time (b), ==, -1);
        }
      else
        {
          g_assert_cmpstr (label, ==, "lifetime-150");
          g_assert_true (nav_channel_get_ordered (NAV_CHANNEL (b)));
          g_assert_false (nav_channel_get_reliable (NAV_CHANNEL (b)));
          g_assert_cmpint (nav_data_channel_get_max_packet_life_time (b), ==, 150);
        }
    }
  for (j = 0; j < 50; j++)
    {
      g_autoptr (GBytes) m = pattern (100 + j * 97, j);

      send_bytes (u, m);
      send_bytes (r, m);
      send_bytes (t, m);
      /* Paced: a partially reliable channel loses what a burst into a
       * full socket buffer loses; this test is about the options. */
      test_run_for (f.pair.context, 1);
    }
  for (i = 0; i < 3; i++)
    {
      NavDataChannel *b = g_ptr_array_index (f.remote_b, i);
      Watch *w = watch_of (b);
      g_autoptr (GHashTable) seen = g_hash_table_new (g_bytes_hash, g_bytes_equal);

      wait_messages (&f, b, 50);
      for (j = 0; j < 50; j++)
        g_hash_table_add (seen, ((Msg *) g_ptr_array_index (w->messages, j))->data);
      for (j = 0; j < 50; j++)
        {
          g_autoptr (GBytes) m = pattern (100 + j * 97, j);

          g_assert_true (g_hash_table_contains (seen, m));
        }
    }
  fixture_clear (&f);
}

/* A negotiated channel: made on both sides with the same id, no DCEP,
 * no data-channel signal. */
static void
test_negotiated (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL, b = NULL;
  g_autoptr (NavDataChannel) dup = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) m = pattern (5000, 9);
  NavDataChannelOptions options;

  fixture_init (&f);
  nav_data_channel_options_init (&options);
  options.negotiated = TRUE;
  options.id = 7;
  a = create (&f, f.pair.a.pc, "pre", &options);
  b = create (&f, f.pair.b.pc, "pre", &options);
  g_assert_cmpint (nav_data_channel_get_id (a), ==, 7);
  dup = nav_peer_connection_create_data_channel (f.pair.a.pc, "again", &options, &error);
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_ID);
  g_clear_error (&error);
  options.id = 65535;
  g_assert_null (nav_peer_connection_create_data_channel (f.pair.a.pc, "x", &options, &error));
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_ID);
  g_clear_error (&error);
  options.negotiated = FALSE;
  options.id = -1;
  options.max_retransmits = 1;
  options.max_packet_life_time = 1;
  g_assert_null (nav_peer_connection_create_data_channel (f.pair.a.pc, "x", &options, &error));
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS);

  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  test_wait (f.pair.context, channel_open, b);
  send_bytes (a, m);
  send_text (b, "negotiated");
  wait_messages (&f, b, 1);
  wait_messages (&f, a, 1);
  assert_msg (watch_of (b), 0, m, FALSE);
  g_assert_cmpuint (f.remote_a->len, ==, 0);
  g_assert_cmpuint (f.remote_b->len, ==, 0);
  fixture_clear (&f);
}

/* Closing from either side resets both directions (RFC 8831 §6.7): both
 * ends end closed, what was sent before the close arrives, and the id
 * serves again. */
static void
test_close (gconstpointer data)
{
  gboolean from_creator = GPOINTER_TO_INT (data);
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL, again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) last = pattern (70000, 4);
  NavDataChannel *b, *closer, *other;
  gint id;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "closing", NULL);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  id = nav_data_channel_get_id (a);
  closer = from_creator ? a : b;
  other = from_creator ? b : a;
  send_bytes (closer, last);
  nav_channel_close (NAV_CHANNEL (closer));
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (closer)), ==, NAV_CHANNEL_STATE_CLOSING);
  g_assert_false (nav_data_channel_send_text (closer, "late", &error));
  g_assert_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE);
  test_wait (f.pair.context, channel_closed, closer);
  test_wait (f.pair.context, channel_closed, other);
  g_assert_cmpuint (watch_of (other)->messages->len, ==, 1);
  assert_msg (watch_of (other), 0, last, FALSE);
  g_assert_cmpint (watch_of (closer)->state, ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_cmpint (watch_of (other)->state, ==, NAV_CHANNEL_STATE_CLOSED);

  /* The id is free again on both sides. */
  again = create (&f, f.pair.a.pc, "again", NULL);
  test_wait (f.pair.context, channel_open, again);
  g_assert_cmpint (nav_data_channel_get_id (again), ==, id);
  wait_list (&f, f.remote_b, 2);
  send_text (again, "reused");
  wait_messages (&f, g_ptr_array_index (f.remote_b, 1), 1);
  fixture_clear (&f);
}

/* Many channels at once, from both sides, each with its own ordered
 * messages: the scheduler serves them all, nothing mixes. */
static void
test_many_channels (void)
{
  enum { N = 20, M = 40 };
  Fixture f;
  g_autoptr (GPtrArray) mine_a = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) mine_b = g_ptr_array_new_with_free_func (g_object_unref);
  guint i, j, k;

  fixture_init (&f);
  for (i = 0; i < N; i++)
    {
      g_autofree gchar *label = g_strdup_printf ("a%u", i);

      g_ptr_array_add (mine_a, create (&f, f.pair.a.pc, label, NULL));
    }
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  for (i = 0; i < N; i++)
    {
      g_autofree gchar *label = g_strdup_printf ("b%u", i);

      g_ptr_array_add (mine_b, create (&f, f.pair.b.pc, label, NULL));
    }
  wait_list (&f, f.remote_b, N);
  wait_list (&f, f.remote_a, N);
  for (k = 0; k < 2; k++)
    {
      GPtrArray *mine = k == 0 ? mine_a : mine_b;

      for (i = 0; i < N; i++)
        test_wait (f.pair.context, channel_open, g_ptr_array_index (mine, i));
      /* Interleaved: message j of every channel before message j + 1. */
      for (j = 0; j < M; j++)
        for (i = 0; i < N; i++)
          {
            g_autoptr (GBytes) m = pattern (3000 + j * 10, i * 1000 + j);

            send_bytes (g_ptr_array_index (mine, i), m);
          }
    }
  for (k = 0; k < 2; k++)
    {
      GPtrArray *theirs = k == 0 ? f.remote_b : f.remote_a;

      for (i = 0; i < N; i++)
        {
          NavDataChannel *channel = g_ptr_array_index (theirs, i);
          g_autofree gchar *label = nav_data_channel_dup_label (channel);
          guint n = g_ascii_strtoull (label + 1, NULL, 10);

          wait_messages (&f, channel, M);
          for (j = 0; j < M; j++)
            {
              g_autoptr (GBytes) m = pattern (3000 + j * 10, n * 1000 + j);

              assert_msg (watch_of (channel), j, m, FALSE);
            }
        }
    }
  fixture_clear (&f);
}

/* A flood of channel opens from one side: each is announced once, with
 * its label, and opens. */
static void
test_open_flood (void)
{
  enum { N = 500 };
  Fixture f;
  g_autoptr (GPtrArray) mine = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (NavDataChannel) first = NULL;
  guint i;

  fixture_init (&f);
  first = create (&f, f.pair.a.pc, "first", NULL);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, first);
  for (i = 0; i < N; i++)
    {
      g_autofree gchar *label = g_strdup_printf ("flood-%u", i);

      g_ptr_array_add (mine, create (&f, f.pair.b.pc, label, NULL));
    }
  wait_list (&f, f.remote_a, N);
  g_assert_cmpuint (f.remote_a->len, ==, N);
  for (i = 0; i < N; i++)
    {
      NavDataChannel *channel = g_ptr_array_index (f.remote_a, i);

      g_assert_true (g_hash_table_add (labels, nav_data_channel_dup_label (channel)));
      g_assert_cmpint (nav_data_channel_get_id (channel) % 2, ==, 0);
    }
  for (i = 0; i < N; i++)
    g_assert_cmpint (nav_channel_get_state (g_ptr_array_index (mine, i)), ==,
                     NAV_CHANNEL_STATE_OPEN);
  fixture_clear (&f);
}

typedef struct {
  NavDataChannel *channel;
  gsize total;
  gsize sent;
  guint seed;
} Pump;

static void
pump (Pump *p)
{
  while (p->sent < p->total &&
         nav_channel_get_buffered_amount (NAV_CHANNEL (p->channel)) <= 1024 * 1024)
    {
      gsize n = MIN (65536, p->total - p->sent);
      g_autoptr (GBytes) m = pattern (n, p->seed + p->sent / 65536);

      send_bytes (p->channel, m);
      p->sent += n;
    }
}

static void
on_pump_low (NavChannel *channel,
             gpointer    user_data)
{
  pump (user_data);
}

typedef struct {
  gsize bytes;
  guint messages;
  gboolean ok;
  guint seed;
} Sink;

static void
on_sink (NavChannel   *channel,
         const guint8 *data,
         gsize         len,
         gpointer      user_data)
{
  Sink *s = user_data;
  g_autoptr (GBytes) expected = pattern (len, s->seed + s->messages);

  s->ok = s->ok && len == g_bytes_get_size (expected) &&
          memcmp (data, g_bytes_get_data (expected, NULL), len) == 0;
  s->messages++;
  s->bytes += len;
}

static gboolean
sink_has (gpointer data)
{
  Sink *s = data;

  return s->bytes >= 16 * 1024 * 1024;
}

/* 16 MiB with back-pressure through buffered-amount-low, received
 * through the receive function (the fast path): all of it, in order,
 * intact. */
static void
test_back_pressure (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  Pump p = { NULL, 16 * 1024 * 1024, 0, 11 };
  Sink s = { 0, 0, TRUE, 11 };
  NavDataChannel *b;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "bulk", NULL);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  nav_channel_set_receive_func (NAV_CHANNEL (b), on_sink, &s, NULL);
  g_object_set (a, "buffered-amount-low-threshold", (guint64) 256 * 1024, NULL);
  p.channel = a;
  g_signal_connect (a, "buffered-amount-low", G_CALLBACK (on_pump_low), &p);
  pump (&p);
  g_assert_cmpuint (nav_channel_get_buffered_amount (NAV_CHANNEL (a)), >, 256 * 1024);
  test_wait (f.pair.context, sink_has, &s);
  g_assert_true (s.ok);
  g_assert_cmpuint (s.messages, ==, 256);
  g_assert_cmpuint (watch_of (a)->low_events, >, 0);
  fixture_clear (&f);
}

/* ------------------------------------------------------------ the byte stream */

typedef struct {
  GIOStream *stream;
  gsize total;
  gboolean ok;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  GOutputStream *out = g_io_stream_get_output_stream (w->stream);
  g_autoptr (GBytes) all = pattern (w->total, 5);
  gsize written = 0;
  g_autoptr (GError) error = NULL;

  /* Odd-sized writes from another thread, blocking. */
  w->ok = g_output_stream_write_all (out, g_bytes_get_data (all, NULL), w->total, &written, NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, w->total);
  return NULL;
}

typedef struct {
  GByteArray *got;
  gboolean eof;
  guint8 buffer[7777];
} Reader;

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reader *r = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  g_assert_no_error (error);
  if (n == 0)
    {
      r->eof = TRUE;
      return;
    }
  g_byte_array_append (r->got, r->buffer, n);
  g_input_stream_read_async (G_INPUT_STREAM (source), r->buffer, sizeof r->buffer,
                             G_PRIORITY_DEFAULT, NULL, on_read, r);
}

static gboolean
reader_done (gpointer data)
{
  return ((Reader *) data)->eof;
}

/* A reliable ordered channel as a GIOStream: a thread writes 3 MiB
 * (blocking writes, held back at 1 MiB buffered), the main context
 * reads asynchronously (pollable), the writer's close ends the reader's
 * stream; the bytes are the same. */
static void
test_io_stream (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  g_autoptr (GError) error = NULL;
  Writer w = { NULL, 3 * 1024 * 1024 + 12345, FALSE };
  Reader r = { g_byte_array_new (), FALSE };
  g_autoptr (GBytes) expected = pattern (w.total, 5);
  NavDataChannelOptions options;
  NavDataChannel *b;
  GIOStream *bs;
  GThread *thread;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "stream", NULL);
  nav_data_channel_options_init (&options);
  options.ordered = FALSE;
  {
    g_autoptr (NavDataChannel) u = create (&f, f.pair.a.pc, "u", &options);

    g_assert_null (nav_data_channel_get_io_stream (u, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_clear_error (&error);
  }
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  if (nav_data_channel_get_id (b) != nav_data_channel_get_id (a))
    b = g_ptr_array_index (f.remote_b, 1);
  bs = nav_data_channel_get_io_stream (b, &error);
  g_assert_no_error (error);
  g_assert_true (nav_data_channel_get_io_stream (b, NULL) == bs);
  w.stream = nav_data_channel_get_io_stream (a, &error);
  g_assert_no_error (error);
  g_input_stream_read_async (g_io_stream_get_input_stream (bs), r.buffer, sizeof r.buffer,
                             G_PRIORITY_DEFAULT, NULL, on_read, &r);
  thread = g_thread_new ("writer", writer_thread, &w);
  while (r.got->len < w.total)
    g_main_context_iteration (f.pair.context, TRUE);
  g_thread_join (thread);
  g_assert_true (w.ok);
  g_assert_true (g_io_stream_close (w.stream, NULL, &error));
  g_assert_no_error (error);
  test_wait (f.pair.context, reader_done, &r);
  g_assert_cmpmem (r.got->data, r.got->len, g_bytes_get_data (expected, NULL), w.total);
  g_byte_array_unref (r.got);
  fixture_clear (&f);
}

/* close() on the connection: every channel closes on both sides (ABORT
 * reaches the peer's association). */
static void
test_connection_close (void)
{
  Fixture f;
  g_autoptr (NavDataChannel) a = NULL;
  NavDataChannel *b;

  fixture_init (&f);
  a = create (&f, f.pair.a.pc, "x", NULL);
  pc_negotiate (&f.pair, &f.pair.a, NULL, NULL, NULL);
  test_wait (f.pair.context, channel_open, a);
  wait_list (&f, f.remote_b, 1);
  b = g_ptr_array_index (f.remote_b, 0);
  nav_peer_connection_close (f.pair.a.pc);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (a)), ==, NAV_CHANNEL_STATE_CLOSED);
  test_wait (f.pair.context, channel_closed, b);
  g_assert_cmpint (nav_sctp_transport_get_state (nav_peer_connection_get_sctp_transport (f.pair.b.pc)),
                   ==, NAV_SCTP_TRANSPORT_STATE_CLOSED);
  fixture_clear (&f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  watch_quark = g_quark_from_static_string ("test-watch");

  g_test_add_func ("/data-channel/open-and-exchange", test_open_and_exchange);
  g_test_add_func ("/data-channel/receive-window", test_receive_window);
  g_test_add_data_func ("/data-channel/path-mtu/on", GINT_TO_POINTER (PATH_MTU_ON), test_path_mtu);
  g_test_add_data_func ("/data-channel/path-mtu/off", GINT_TO_POINTER (PATH_MTU_OFF), test_path_mtu);
  g_test_add_func ("/data-channel/path-mtu/route-1500", test_path_mtu_route);
  g_test_add_func ("/data-channel/message-sizes", test_message_sizes);
  g_test_add_data_func ("/data-channel/peer-max-message-size/1000", "a=max-message-size:1000",
                        test_peer_max_message_size);
  g_test_add_data_func ("/data-channel/peer-max-message-size/absent", NULL,
                        test_peer_max_message_size);
  g_test_add_func ("/data-channel/options", test_options);
  g_test_add_func ("/data-channel/negotiated", test_negotiated);
  g_test_add_data_func ("/data-channel/close/from-creator", GINT_TO_POINTER (TRUE), test_close);
  g_test_add_data_func ("/data-channel/close/from-peer", GINT_TO_POINTER (FALSE), test_close);
  g_test_add_func ("/data-channel/many-channels", test_many_channels);
  g_test_add_func ("/data-channel/open-flood", test_open_flood);
  g_test_add_func ("/data-channel/back-pressure", test_back_pressure);
  g_test_add_func ("/data-channel/io-stream", test_io_stream);
  g_test_add_func ("/data-channel/connection-close", test_connection_close);
  return g_test_run ();
}
