/* test-dcep.c: DCEP (RFC 8832) read and written, and the data channel
 * transport against a hostile peer: garbage DCEP, wrong stream parity,
 * unknown PPIDs, the deprecated partial PPIDs, a flood of opens
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peer is a bare association of the sans-I/O engine (sctp/), driven
 * by the test, on the other end of a DTLS channel of the test's own
 * making (no encryption: a pipe); the transport under test is the
 * datachannel module's, made through the registry.
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-dcep.h"
#include "nav-sctp-association.h"

/* ------------------------------------------------------------ the codec */

static void
test_codec_roundtrip (void)
{
  g_autoptr (GBytes) open = nav_dcep_build_open (NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED |
                                                 NAV_DCEP_CHANNEL_UNORDERED, 512, 1500,
                                                 "label", "proto");
  gsize len;
  const guint8 *data = g_bytes_get_data (open, &len);
  NavDcepOpen o;

  g_assert_cmpuint (len, ==, NAV_DCEP_OPEN_HEADER_SIZE + 10);
  g_assert_cmpint (nav_dcep_parse_open (data, len, &o), ==, NAV_DCEP_OK);
  g_assert_cmpuint (o.channel_type, ==, 0x82);
  g_assert_cmpuint (o.priority, ==, 512);
  g_assert_cmpuint (o.reliability, ==, 1500);
  g_assert_cmpmem (o.label, o.label_len, "label", 5);
  g_assert_cmpmem (o.protocol, o.protocol_len, "proto", 5);
  g_assert_cmpint (nav_dcep_parse_ack ((const guint8 *) "\x02", 1), ==, NAV_DCEP_OK);
}

static void
test_codec_garbage (void)
{
  g_autoptr (GBytes) open = nav_dcep_build_open (0, 256, 0, "abc", "");
  guint8 buf[64];
  gsize len = g_bytes_get_size (open);
  NavDcepOpen o;
  gsize i;
  g_autofree gchar *huge = g_malloc (70000);

  memcpy (buf, g_bytes_get_data (open, NULL), len);
  /* Every truncation is refused. */
  for (i = 0; i < len; i++)
    g_assert_cmpint (nav_dcep_parse_open (buf, i, &o), ==, NAV_DCEP_TRUNCATED);
  /* Lengths that run past the end. */
  buf[9] = 200;
  g_assert_cmpint (nav_dcep_parse_open (buf, len, &o), ==, NAV_DCEP_TRUNCATED);
  buf[9] = 3;
  buf[10] = buf[11] = 0xff;
  g_assert_cmpint (nav_dcep_parse_open (buf, len, &o), ==, NAV_DCEP_TRUNCATED);
  buf[10] = buf[11] = 0;
  /* Channel types RFC 8832 does not define. */
  for (i = 3; i < 0x80; i++)
    {
      buf[1] = i;
      g_assert_cmpint (nav_dcep_parse_open (buf, len, &o), ==, NAV_DCEP_BAD_CHANNEL_TYPE);
      buf[1] = i | 0x80;
      g_assert_cmpint (nav_dcep_parse_open (buf, len, &o), ==, NAV_DCEP_BAD_CHANNEL_TYPE);
    }
  buf[1] = 0;
  buf[0] = 0x07;
  g_assert_cmpint (nav_dcep_parse_open (buf, len, &o), ==, NAV_DCEP_BAD_TYPE);
  g_assert_cmpint (nav_dcep_parse_ack (buf, 0), ==, NAV_DCEP_TRUNCATED);
  g_assert_cmpint (nav_dcep_parse_ack (buf, 1), ==, NAV_DCEP_BAD_TYPE);
  g_assert_cmpuint (nav_dcep_message_type (buf, 0), ==, 0);
  /* Trailing bytes are tolerated. */
  buf[0] = NAV_DCEP_MESSAGE_OPEN;
  g_assert_cmpint (nav_dcep_parse_open (buf, len + 5, &o), ==, NAV_DCEP_OK);
  /* A label longer than the length field is refused when written. */
  memset (huge, 'x', 69999);
  huge[69999] = 0;
  g_assert_null (nav_dcep_build_open (0, 0, 0, huge, NULL));
  g_assert_null (nav_dcep_build_open (0, 0, 0, "x", huge));
}

/* ------------------------------------------------------------ a pipe for a DTLS channel */

#define TEST_TYPE_PIPE_DTLS (test_pipe_dtls_get_type ())
G_DECLARE_FINAL_TYPE (TestPipeDtls, test_pipe_dtls, TEST, PIPE_DTLS, GObject)

typedef struct _Hostile Hostile;

struct _TestPipeDtls
{
  GObject parent_instance;
  Hostile *peer;
  NavChannelReceiveFunc func;
  gpointer func_data;
  GDestroyNotify func_destroy;
};

static void test_pipe_dtls_channel_init (NavChannelInterface *iface);
static void test_pipe_dtls_dtls_init (NavDtlsChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPipeDtls, test_pipe_dtls, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_CHANNEL, test_pipe_dtls_channel_init)
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_DTLS_CHANNEL, test_pipe_dtls_dtls_init))

/* The hostile peer: an association of the engine, and the packets in
 * flight each way. */
struct _Hostile
{
  NavSctpAssociation *assoc;
  TestPipeDtls *dtls;
  GQueue to_transport;          /* GBytes */
  GQueue to_peer;               /* GBytes */
  gboolean connected;
  GPtrArray *messages;          /* GBytes, prefixed by stream id and PPID */
  GArray *reset_incoming;       /* guint16 */
};

static gboolean
pipe_send_data (NavChannel    *channel,
                const guint8  *data,
                gsize          len,
                GError       **error)
{
  TestPipeDtls *self = TEST_PIPE_DTLS (channel);

  g_queue_push_tail (&self->peer->to_peer, g_bytes_new (data, len));
  return TRUE;
}

static gsize
pipe_get_mtu (NavChannel *channel)
{
  return 1200;
}

static void
pipe_set_receive_func (NavChannel            *channel,
                       NavChannelReceiveFunc  func,
                       gpointer               user_data,
                       GDestroyNotify         destroy)
{
  TestPipeDtls *self = TEST_PIPE_DTLS (channel);

  if (self->func_destroy != NULL)
    self->func_destroy (self->func_data);
  self->func = func;
  self->func_data = user_data;
  self->func_destroy = destroy;
}

static void
pipe_close (NavChannel *channel)
{
}

static void
test_pipe_dtls_channel_init (NavChannelInterface *iface)
{
  iface->send_data = pipe_send_data;
  iface->get_mtu = pipe_get_mtu;
  iface->set_receive_func = pipe_set_receive_func;
  iface->close = pipe_close;
}

static NavDtlsRole
pipe_get_role (NavDtlsChannel *channel)
{
  return NAV_DTLS_ROLE_CLIENT;
}

static void
test_pipe_dtls_dtls_init (NavDtlsChannelInterface *iface)
{
  iface->get_role = pipe_get_role;
}

static void
test_pipe_dtls_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  switch (prop_id)
    {
    case 1:
      g_value_set_enum (value, NAV_CHANNEL_STATE_OPEN);
      break;
    case 2:
    case 3:
      g_value_set_boolean (value, FALSE);
      break;
    default:
      g_value_set_uint64 (value, 0);
      break;
    }
}

static void
test_pipe_dtls_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
}

static void
test_pipe_dtls_finalize (GObject *object)
{
  pipe_set_receive_func (NAV_CHANNEL (object), NULL, NULL, NULL);
  G_OBJECT_CLASS (test_pipe_dtls_parent_class)->finalize (object);
}

static void
test_pipe_dtls_class_init (TestPipeDtlsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_pipe_dtls_get_property;
  object_class->set_property = test_pipe_dtls_set_property;
  object_class->finalize = test_pipe_dtls_finalize;
  g_object_class_override_property (object_class, 1, "state");
  g_object_class_override_property (object_class, 2, "ordered");
  g_object_class_override_property (object_class, 3, "reliable");
  g_object_class_override_property (object_class, 4, "buffered-amount");
  g_object_class_override_property (object_class, 5, "buffered-amount-low-threshold");
}

static void
test_pipe_dtls_init (TestPipeDtls *self)
{
}

/* ------------------------------------------------------------ the hostile peer */

static void
hostile_send_packet (NavSctpAssociation *assoc,
                     const guint8       *data,
                     gsize               len,
                     gpointer            user_data)
{
  Hostile *h = user_data;

  g_queue_push_tail (&h->to_transport, g_bytes_new (data, len));
}

static gint64
hostile_now (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static void
hostile_connected (NavSctpAssociation *assoc,
                   gpointer            user_data)
{
  ((Hostile *) user_data)->connected = TRUE;
}

static void
hostile_message (NavSctpAssociation *assoc,
                 NavSctpMessage     *message,
                 gpointer            user_data)
{
  Hostile *h = user_data;
  GByteArray *m = g_byte_array_new ();
  guint8 head[6] = { message->stream_id >> 8, message->stream_id & 0xff, message->ppid >> 24,
                     (message->ppid >> 16) & 0xff, (message->ppid >> 8) & 0xff, message->ppid & 0xff };

  g_byte_array_append (m, head, 6);
  g_byte_array_append (m, message->data, message->len);
  g_ptr_array_add (h->messages, g_byte_array_free_to_bytes (m));
}

static void
hostile_streams_reset (NavSctpAssociation *assoc,
                       gboolean            incoming,
                       const guint16      *streams,
                       guint               n_streams,
                       gpointer            user_data)
{
  Hostile *h = user_data;

  if (incoming)
    g_array_append_vals (h->reset_incoming, streams, n_streams);
}

static const NavSctpCallbacks hostile_callbacks = {
  .send_packet = hostile_send_packet,
  .now = hostile_now,
  .connected = hostile_connected,
  .message = hostile_message,
  .streams_reset = hostile_streams_reset,
};

typedef struct {
  Hostile peer;
  NavSctpTransport *transport;
  GPtrArray *channels;          /* NavDataChannel announced */
  GPtrArray *texts;             /* gchar* received on any channel */
  GPtrArray *binaries;          /* GBytes */
} Fixture;

/* Moves the packets both ways until none is left, and runs the
 * transport's sources. */
static void
pump (Fixture *f)
{
  gboolean moved;

  do
    {
      GBytes *p;

      moved = FALSE;
      while ((p = g_queue_pop_head (&f->peer.to_peer)) != NULL)
        {
          nav_sctp_association_handle_input (f->peer.assoc, g_bytes_get_data (p, NULL),
                                             g_bytes_get_size (p));
          g_bytes_unref (p);
          moved = TRUE;
        }
      while ((p = g_queue_pop_head (&f->peer.to_transport)) != NULL)
        {
          if (f->peer.dtls->func != NULL)
            f->peer.dtls->func (NAV_CHANNEL (f->peer.dtls), g_bytes_get_data (p, NULL),
                                g_bytes_get_size (p), f->peer.dtls->func_data);
          g_bytes_unref (p);
          moved = TRUE;
        }
      while (g_main_context_iteration (NULL, FALSE))
        moved = TRUE;
    }
  while (moved);
}

static void
on_text (NavDataChannel *channel,
         const gchar    *text,
         gpointer        user_data)
{
  g_ptr_array_add (((Fixture *) user_data)->texts, g_strdup (text));
}

static void
on_binary (NavChannel *channel,
           GBytes     *data,
           gpointer    user_data)
{
  g_ptr_array_add (((Fixture *) user_data)->binaries, g_bytes_ref (data));
}

static void
on_data_channel (NavSctpTransport *transport,
                 NavDataChannel   *channel,
                 gpointer          user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->channels, g_object_ref (channel));
  g_signal_connect (channel, "text-message", G_CALLBACK (on_text), f);
  g_signal_connect (channel, "message", G_CALLBACK (on_binary), f);
}

static void
fixture_init (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  NavSctpOptions options;

  memset (f, 0, sizeof *f);
  f->channels = g_ptr_array_new_with_free_func (g_object_unref);
  f->texts = g_ptr_array_new_with_free_func (g_free);
  f->binaries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->peer.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->peer.reset_incoming = g_array_new (FALSE, FALSE, sizeof (guint16));
  f->peer.dtls = g_object_new (TEST_TYPE_PIPE_DTLS, NULL);
  f->peer.dtls->peer = &f->peer;
  nav_sctp_options_init (&options);
  options.zero_checksum = TRUE;
  f->peer.assoc = nav_sctp_association_new (&options, &hostile_callbacks, &f->peer);

  f->transport = nav_sctp_transport_new (NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->transport, "data-channel", G_CALLBACK (on_data_channel), f);
  /* The transport is the DTLS client: its ids are even, the peer's odd. */
  g_assert_true (nav_sctp_transport_start (f->transport, NAV_DTLS_CHANNEL (f->peer.dtls),
                                           NAV_DTLS_ROLE_CLIENT, 5000, 65536, &error));
  g_assert_no_error (error);
  pump (f);
  g_assert_true (f->peer.connected);
  g_assert_cmpint (nav_sctp_transport_get_state (f->transport), ==,
                   NAV_SCTP_TRANSPORT_STATE_CONNECTED);
}

static void
fixture_clear (Fixture *f)
{
  nav_sctp_transport_close (f->transport);
  pump (f);
  g_clear_object (&f->transport);
  g_ptr_array_unref (f->channels);
  nav_sctp_association_free (f->peer.assoc);
  pump (f);
  g_queue_clear_full (&f->peer.to_peer, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&f->peer.to_transport, (GDestroyNotify) g_bytes_unref);
  g_object_unref (f->peer.dtls);
  g_ptr_array_unref (f->peer.messages);
  g_array_unref (f->peer.reset_incoming);
  g_ptr_array_unref (f->texts);
  g_ptr_array_unref (f->binaries);
}

static void
peer_send (Fixture      *f,
           guint16       stream,
           guint32       ppid,
           const guint8 *data,
           gsize         len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_sctp_association_send (f->peer.assoc, stream, ppid, data, len, NULL, &error));
  g_assert_no_error (error);
  pump (f);
}

static void
peer_open (Fixture     *f,
           guint16      stream,
           const gchar *label)
{
  g_autoptr (GBytes) open = nav_dcep_build_open (NAV_DCEP_CHANNEL_RELIABLE, 256, 0, label, "");

  peer_send (f, stream, NAV_DCEP_PPID_CONTROL, g_bytes_get_data (open, NULL),
             g_bytes_get_size (open));
}

static gboolean
peer_was_reset (Fixture *f,
                guint16  stream)
{
  guint i;

  for (i = 0; i < f->peer.reset_incoming->len; i++)
    if (g_array_index (f->peer.reset_incoming, guint16, i) == stream)
      return TRUE;
  return FALSE;
}

/* A channel the peer opens right works after every refusal below. */
static void
assert_still_usable (Fixture *f,
                     guint16  stream)
{
  guint before = f->channels->len;
  NavDataChannel *channel;

  peer_open (f, stream, "good");
  g_assert_cmpuint (f->channels->len, ==, before + 1);
  channel = g_ptr_array_index (f->channels, before);
  g_assert_cmpint (nav_data_channel_get_id (channel), ==, stream);
  /* The ACK went back, ordered and reliable. */
  g_assert_cmpuint (f->peer.messages->len, >, 0);
  g_assert_true (nav_data_channel_send_text (channel, "still here", NULL));
  pump (f);
}

/* ------------------------------------------------------------ tests */

static void
test_open_and_ack (void)
{
  Fixture f;
  GBytes *ack;
  const guint8 *data;
  gsize len;

  fixture_init (&f);
  assert_still_usable (&f, 1);
  ack = g_ptr_array_index (f.peer.messages, 0);
  data = g_bytes_get_data (ack, &len);
  /* stream 1, PPID 50, DATA_CHANNEL_ACK */
  g_assert_cmpuint (len, ==, 7);
  g_assert_cmpuint (data[1], ==, 1);
  g_assert_cmpuint (data[5], ==, NAV_DCEP_PPID_CONTROL);
  g_assert_cmpuint (data[6], ==, NAV_DCEP_MESSAGE_ACK);
  fixture_clear (&f);
}

/* An OPEN on a stream of our parity, on a stream in use, malformed, of
 * an unknown channel type: refused (the stream reset back, RFC 8832
 * §6), nothing announced, the association goes on. */
static void
test_refused_opens (void)
{
  static const guint8 truncated[] = { NAV_DCEP_MESSAGE_OPEN, 0, 0, 1, 0, 0, 0, 0, 0, 9, 0, 0, 'a' };
  static const guint8 bad_type[] = { NAV_DCEP_MESSAGE_OPEN, 0x05, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
  Fixture f;

  fixture_init (&f);
  peer_open (&f, 2, "our parity");
  g_assert_cmpuint (f.channels->len, ==, 0);
  g_assert_true (peer_was_reset (&f, 2));
  peer_send (&f, 3, NAV_DCEP_PPID_CONTROL, truncated, sizeof truncated);
  peer_send (&f, 5, NAV_DCEP_PPID_CONTROL, bad_type, sizeof bad_type);
  g_assert_cmpuint (f.channels->len, ==, 0);
  g_assert_true (peer_was_reset (&f, 3));
  g_assert_true (peer_was_reset (&f, 5));
  assert_still_usable (&f, 7);
  /* The same stream again while it is open. */
  peer_open (&f, 7, "again");
  g_assert_cmpuint (f.channels->len, ==, 1);
  fixture_clear (&f);
}

/* DCEP messages that make no sense, data where no channel is, PPIDs
 * nobody defined: dropped, counted, nothing announced. */
static void
test_dropped_garbage (void)
{
  static const guint8 ack = NAV_DCEP_MESSAGE_ACK;
  static const guint8 unknown = 0x42;
  static const guint8 empty_dcep[] = { 0 };
  Fixture f;

  fixture_init (&f);
  peer_send (&f, 9, NAV_DCEP_PPID_CONTROL, &ack, 1);
  peer_send (&f, 11, NAV_DCEP_PPID_CONTROL, &unknown, 1);
  peer_send (&f, 13, NAV_DCEP_PPID_CONTROL, empty_dcep, 1);
  peer_send (&f, 15, NAV_DCEP_PPID_BINARY, (const guint8 *) "orphan", 6);
  assert_still_usable (&f, 17);
  peer_send (&f, 17, 9999, (const guint8 *) "ppid?", 5);
  peer_send (&f, 17, NAV_DCEP_PPID_STRING, (const guint8 *) "fine", 4);
  g_assert_cmpuint (f.texts->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f.texts, 0), ==, "fine");
  g_assert_cmpuint (f.channels->len, ==, 1);
  fixture_clear (&f);
}

/* The deprecated PPIDs 52 and 54 (RFC 8831 §8): parts of one message,
 * joined; a message of parts beyond max-message-size is dropped; empty
 * messages (56, 57); text that is not UTF-8 made valid. */
static void
test_ppids (void)
{
  static const guint8 zero = 0;
  static const guint8 not_utf8[] = { 'a', 0xff, 'b' };
  g_autofree guint8 *big = g_malloc0 (200000);
  Fixture f;
  GBytes *joined;

  fixture_init (&f);
  assert_still_usable (&f, 1);
  peer_send (&f, 1, NAV_DCEP_PPID_STRING_PARTIAL, (const guint8 *) "hel", 3);
  peer_send (&f, 1, NAV_DCEP_PPID_STRING_PARTIAL, (const guint8 *) "lo ", 3);
  peer_send (&f, 1, NAV_DCEP_PPID_STRING, (const guint8 *) "world", 5);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY_PARTIAL, (const guint8 *) "\x01\x02", 2);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY, (const guint8 *) "\x03", 1);
  peer_send (&f, 1, NAV_DCEP_PPID_STRING_EMPTY, &zero, 1);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY_EMPTY, &zero, 1);
  peer_send (&f, 1, NAV_DCEP_PPID_STRING, not_utf8, sizeof not_utf8);
  /* Two parts of 200000 and a last one: over 262144 together, dropped
   * to the last part; the next message is whole again. */
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY_PARTIAL, big, 200000);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY_PARTIAL, big, 200000);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY_PARTIAL, big, 100);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY, (const guint8 *) "tail", 4);
  peer_send (&f, 1, NAV_DCEP_PPID_BINARY, (const guint8 *) "end", 3);
  g_assert_cmpuint (f.texts->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f.texts, 0), ==, "hello world");
  g_assert_cmpstr (g_ptr_array_index (f.texts, 1), ==, "");
  g_assert_true (g_utf8_validate (g_ptr_array_index (f.texts, 2), -1, NULL));
  g_assert_cmpuint (f.binaries->len, ==, 3);
  joined = g_ptr_array_index (f.binaries, 0);
  g_assert_cmpmem (g_bytes_get_data (joined, NULL), g_bytes_get_size (joined), "\x01\x02\x03", 3);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (f.binaries, 1)), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (f.binaries, 2), NULL), 3, "end", 3);
  fixture_clear (&f);
}

/* A label that is not UTF-8 is made valid (it becomes a GObject string
 * property); a flood of opens is announced once each. */
static void
test_labels_and_flood (void)
{
  static const guint8 open_bad_label[] = { NAV_DCEP_MESSAGE_OPEN, 0, 1, 0, 0, 0, 0, 0,
                                           0, 3, 0, 0, 'x', 0xc3, 0x28 };
  Fixture f;
  guint i;

  fixture_init (&f);
  peer_send (&f, 1, NAV_DCEP_PPID_CONTROL, open_bad_label, sizeof open_bad_label);
  g_assert_cmpuint (f.channels->len, ==, 1);
  {
    g_autofree gchar *label = nav_data_channel_dup_label (g_ptr_array_index (f.channels, 0));

    g_assert_true (g_utf8_validate (label, -1, NULL));
  }
  for (i = 0; i < 2000; i++)
    {
      g_autofree gchar *label = g_strdup_printf ("flood-%u", i);

      peer_open (&f, 3 + 2 * i, label);
    }
  g_assert_cmpuint (f.channels->len, ==, 2001);
  assert_still_usable (&f, 5001);
  fixture_clear (&f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dcep/codec/roundtrip", test_codec_roundtrip);
  g_test_add_func ("/dcep/codec/garbage", test_codec_garbage);
  g_test_add_func ("/dcep/transport/open-and-ack", test_open_and_ack);
  g_test_add_func ("/dcep/transport/refused-opens", test_refused_opens);
  g_test_add_func ("/dcep/transport/dropped-garbage", test_dropped_garbage);
  g_test_add_func ("/dcep/transport/ppids", test_ppids);
  g_test_add_func ("/dcep/transport/labels-and-flood", test_labels_and_flood);
  return g_test_run ();
}
