/* test-datagram-channel.c: NavDatagramChannel over UDP transports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 5

typedef struct {
  GMainContext *context;
  NavUdpTransport *a, *b, *c;
  const NavAddress *addr_a, *addr_b, *addr_c;
  NavDatagramChannel *chan_a, *chan_b;
  GPtrArray *messages_a, *messages_b;   /* GBytes received by each channel */
  guint transport_b_received;           /* datagrams transport b received */
} Fixture;

static void
on_message (NavChannel *channel,
            GBytes     *message,
            gpointer    user_data)
{
  GPtrArray *messages = user_data;

  g_ptr_array_add (messages, g_bytes_ref (message));
}

static void
on_transport_received (NavTransport     *transport,
                       GBytes           *data,
                       const NavAddress *from,
                       gpointer          user_data)
{
  guint *count = user_data;

  (*count)++;
}

static NavUdpTransport *
open_loopback (GMainContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  NavUdpTransport *transport = nav_udp_transport_new (local, context, &error);

  g_assert_no_error (error);
  return transport;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->context = g_main_context_new ();
  f->a = open_loopback (f->context);
  f->b = open_loopback (f->context);
  f->c = open_loopback (f->context);
  f->addr_a = nav_transport_get_local_address (NAV_TRANSPORT (f->a));
  f->addr_b = nav_transport_get_local_address (NAV_TRANSPORT (f->b));
  f->addr_c = nav_transport_get_local_address (NAV_TRANSPORT (f->c));

  f->chan_a = nav_datagram_channel_new (NAV_TRANSPORT (f->a), f->addr_b);
  f->chan_b = nav_datagram_channel_new (NAV_TRANSPORT (f->b), f->addr_a);
  f->messages_a = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->messages_b = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_signal_connect (f->chan_a, "message", G_CALLBACK (on_message), f->messages_a);
  g_signal_connect (f->chan_b, "message", G_CALLBACK (on_message), f->messages_b);
  g_signal_connect (f->b, "received", G_CALLBACK (on_transport_received),
                    &f->transport_b_received);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->chan_a);
  g_clear_object (&f->chan_b);
  g_clear_object (&f->a);
  g_clear_object (&f->b);
  g_clear_object (&f->c);
  g_ptr_array_unref (f->messages_a);
  g_ptr_array_unref (f->messages_b);
  g_main_context_unref (f->context);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the fixture's context until *@counter reaches @expected. */
static void
wait_for (Fixture *f,
          guint   *counter,
          guint    expected)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new_seconds (TIMEOUT_SECONDS);

  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, f->context);
  while (*counter < expected && !timed_out)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_assert_false (timed_out);
}

static void
send_raw (NavUdpTransport  *from,
          const NavAddress *to,
          const gchar      *data,
          gsize             len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_transport_send (NAV_TRANSPORT (from), to,
                                     (const guint8 *) data, len, &error));
  g_assert_no_error (error);
}

static void
assert_message (GPtrArray   *messages,
                guint        index,
                const gchar *data,
                gsize        len)
{
  g_assert_cmpuint (messages->len, >, index);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[index], NULL),
                   g_bytes_get_size (messages->pdata[index]), data, len);
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  NavChannelState state = NAV_CHANNEL_STATE_CLOSED;
  gboolean ordered = TRUE, reliable = TRUE;
  guint64 buffered = 1;
  g_autoptr (NavTransport) transport = NULL;
  g_autoptr (NavAddress) peer = NULL;

  g_assert_true (NAV_IS_CHANNEL (f->chan_a));
  g_object_get (f->chan_a,
                "state", &state,
                "ordered", &ordered,
                "reliable", &reliable,
                "buffered-amount", &buffered,
                "transport", &transport,
                "peer", &peer,
                NULL);
  g_assert_cmpint (state, ==, NAV_CHANNEL_STATE_OPEN);
  /* As UDP is: neither ordered nor reliable. */
  g_assert_false (ordered);
  g_assert_false (reliable);
  g_assert_cmpuint (buffered, ==, 0);
  g_assert_true (transport == NAV_TRANSPORT (f->a));
  g_assert_true (nav_address_equal (peer, f->addr_b));

  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (f->chan_a)), ==, NAV_CHANNEL_STATE_OPEN);
  g_assert_false (nav_channel_get_reliable (NAV_CHANNEL (f->chan_a)));
  g_assert_true (nav_datagram_channel_get_transport (f->chan_a) == NAV_TRANSPORT (f->a));
  g_assert_true (nav_address_equal (nav_datagram_channel_get_peer (f->chan_a), f->addr_b));
}

static void
test_both_ways (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) ping = g_bytes_new_static ("ping", 4);
  g_autoptr (GBytes) pong = g_bytes_new_static ("pong", 4);

  g_assert_true (nav_channel_send (NAV_CHANNEL (f->chan_a), ping, &error));
  g_assert_no_error (error);
  wait_for (f, &f->messages_b->len, 1);
  g_assert_true (g_bytes_equal (f->messages_b->pdata[0], ping));

  g_assert_true (nav_channel_send (NAV_CHANNEL (f->chan_b), pong, &error));
  g_assert_no_error (error);
  wait_for (f, &f->messages_a->len, 1);
  g_assert_true (g_bytes_equal (f->messages_a->pdata[0], pong));

  g_assert_cmpuint (f->messages_a->len, ==, 1);
  g_assert_cmpuint (f->messages_b->len, ==, 1);
  /* Sending queues nothing on a datagram transport. */
  g_assert_cmpuint (nav_channel_get_buffered_amount (NAV_CHANNEL (f->chan_a)), ==, 0);
}

static void
test_other_source_ignored (Fixture       *f,
                           gconstpointer  data)
{
  /* From c, which is not b's peer, then from a: datagrams from one host
   * to one socket on loopback are queued in sending order. */
  send_raw (f->c, f->addr_b, "intruder", 8);
  send_raw (f->a, f->addr_b, "peer", 4);

  wait_for (f, &f->transport_b_received, 2);
  /* The transport got both; the channel only the peer's. */
  g_assert_cmpuint (f->messages_b->len, ==, 1);
  assert_message (f->messages_b, 0, "peer", 4);
}

static void
test_stun_ignored (Fixture       *f,
                   gconstpointer  data)
{
  /* RFC 7983 §7: first byte 0–3 is STUN; 20 is DTLS, 64 a TURN channel,
   * 128 RTP: those are the application's. */
  static const gchar binding_request[] = "\x00\x01\x00\x00\x21\x12\xa4\x42";
  static const gchar binding_response[] = "\x01\x01\x00\x00\x21\x12\xa4\x42";

  send_raw (f->a, f->addr_b, binding_request, 8);
  send_raw (f->a, f->addr_b, "\x14" "dtls", 5);
  send_raw (f->a, f->addr_b, binding_response, 8);
  send_raw (f->a, f->addr_b, "\x03" "stun", 5);
  send_raw (f->a, f->addr_b, "\x04" "app", 4);
  send_raw (f->a, f->addr_b, "\x80" "rtp", 4);

  wait_for (f, &f->transport_b_received, 6);
  g_assert_cmpuint (f->messages_b->len, ==, 3);
  assert_message (f->messages_b, 0, "\x14" "dtls", 5);
  assert_message (f->messages_b, 1, "\x04" "app", 4);
  assert_message (f->messages_b, 2, "\x80" "rtp", 4);
}

static void
on_notify_state (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) message = g_bytes_new_static ("late", 4);
  guint notified = 0;

  g_signal_connect (f->chan_b, "notify::state", G_CALLBACK (on_notify_state), &notified);

  nav_channel_close (NAV_CHANNEL (f->chan_b));
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (f->chan_b)), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_cmpuint (notified, ==, 1);
  nav_channel_close (NAV_CHANNEL (f->chan_b));
  g_assert_cmpuint (notified, ==, 1);

  g_assert_false (nav_channel_send (NAV_CHANNEL (f->chan_b), message, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);

  /* Nothing is delivered after close… */
  send_raw (f->a, f->addr_b, "after close", 11);
  wait_for (f, &f->transport_b_received, 1);
  g_assert_cmpuint (f->messages_b->len, ==, 0);

  /* …and the transport, which others may share, is still open. */
  send_raw (f->b, f->addr_a, "transport still works", 21);
  wait_for (f, &f->messages_a->len, 1);
}

static void
test_transport_closed (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) message = g_bytes_new_static ("x", 1);
  guint notified = 0;

  g_signal_connect (f->chan_b, "notify::state", G_CALLBACK (on_notify_state), &notified);

  nav_transport_close (NAV_TRANSPORT (f->b));
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (f->chan_b)), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_cmpuint (notified, ==, 1);

  g_assert_false (nav_channel_send (NAV_CHANNEL (f->chan_b), message, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);

  /* The other side is unaffected. */
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (f->chan_a)), ==, NAV_CHANNEL_STATE_OPEN);
}

static void
test_send_error_passes_through (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) v6_peer = nav_address_new_from_string ("[::1]:9", NULL);
  g_autoptr (NavDatagramChannel) channel = nav_datagram_channel_new (NAV_TRANSPORT (f->a), v6_peer);
  g_autoptr (GBytes) message = g_bytes_new_static ("x", 1);

  g_assert_false (nav_channel_send (NAV_CHANNEL (channel), message, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY);
}

static void
on_buffered_amount_low (NavChannel *channel,
                        gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_buffered_amount_threshold (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GBytes) message = g_bytes_new_static ("data", 4);
  guint64 threshold = 0;
  guint notified = 0, low = 0;

  g_signal_connect (f->chan_a, "notify::buffered-amount-low-threshold",
                    G_CALLBACK (on_notify_state), &notified);
  g_signal_connect (f->chan_a, "buffered-amount-low",
                    G_CALLBACK (on_buffered_amount_low), &low);

  g_object_set (f->chan_a, "buffered-amount-low-threshold", (guint64) 4096, NULL);
  g_object_get (f->chan_a, "buffered-amount-low-threshold", &threshold, NULL);
  g_assert_cmpuint (threshold, ==, 4096);
  g_assert_cmpuint (notified, ==, 1);

  /* Sends are immediate: the amount never rises above the threshold, so
   * it never falls back to it either. */
  g_assert_true (nav_channel_send (NAV_CHANNEL (f->chan_a), message, NULL));
  wait_for (f, &f->messages_b->len, 1);
  g_assert_cmpuint (nav_channel_get_buffered_amount (NAV_CHANNEL (f->chan_a)), ==, 0);
  g_assert_cmpuint (low, ==, 0);
}


typedef struct {
  GPtrArray *messages;          /* GBytes, copied in the receive function */
} Receiver;

static void
on_receive (NavChannel   *channel,
            const guint8 *data,
            gsize         len,
            gpointer      user_data)
{
  Receiver *r = user_data;

  g_ptr_array_add (r->messages, g_bytes_new (data, len));
}

static void
receiver_free (gpointer data)
{
  Receiver *r = data;

  g_ptr_array_unref (r->messages);
  g_free (r);
}

/* The stacking interface: send_data, a batch of send_messages (several
 * buffers each), the receive function without a GBytes beside the
 * message signal, and its removal. */
static void
test_stacking_calls (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  Receiver *r = g_new0 (Receiver, 1);
  GOutputVector vectors[3][2] = {
    { { "ba", 2 }, { "tch-1", 5 } },
    { { "batch-2", 7 }, { NULL, 0 } },
    { { "", 0 }, { "batch-3", 7 } },
  };
  NavOutputMessage messages[3] = {
    { vectors[0], 2 },
    { vectors[1], -1 },         /* up to the NULL buffer, as libnice's */
    { vectors[2], 2 },
  };

  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  nav_channel_set_receive_func (NAV_CHANNEL (f->chan_b), on_receive, r, receiver_free);

  g_assert_true (nav_channel_send_data (NAV_CHANNEL (f->chan_a), (const guint8 *) "data", 4,
                                        &error));
  g_assert_no_error (error);
  g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (f->chan_a), messages, 3, &error), ==, 3);
  g_assert_no_error (error);
  g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (f->chan_a), messages, 0, &error), ==, 0);
  wait_for (f, &f->messages_b->len, 4);

  /* Both paths got each datagram, in order. */
  g_assert_cmpuint (r->messages->len, ==, 4);
  assert_message (r->messages, 0, "data", 4);
  assert_message (r->messages, 1, "batch-1", 7);
  assert_message (r->messages, 2, "batch-2", 7);
  assert_message (r->messages, 3, "batch-3", 7);
  assert_message (f->messages_b, 3, "batch-3", 7);

  /* Unset (the destroy function runs): the signal alone goes on. */
  nav_channel_set_receive_func (NAV_CHANNEL (f->chan_b), NULL, NULL, NULL);
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (f->chan_a), (const guint8 *) "more", 4,
                                        NULL));
  wait_for (f, &f->messages_b->len, 5);
}

static void
on_state_changed (NavChannel      *channel,
                  NavChannelState  state,
                  gpointer         user_data)
{
  GArray *states = user_data;

  g_array_append_val (states, state);
}

/* The MTU, and state-changed after notify::state. */
static void
test_mtu_and_state (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (GArray) states = g_array_new (FALSE, FALSE, sizeof (NavChannelState));
  g_autoptr (GError) error = NULL;

  /* What every ICE path carries over UDP, unless the owner knows better. */
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (f->chan_a)), ==, 1200);
  g_object_set (f->chan_a, "mtu", 1400, NULL);
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (f->chan_a)), ==, 1400);

  g_signal_connect (f->chan_a, "state-changed", G_CALLBACK (on_state_changed), states);
  nav_channel_close (NAV_CHANNEL (f->chan_a));
  nav_channel_close (NAV_CHANNEL (f->chan_a));
  g_assert_cmpuint (states->len, ==, 1);
  g_assert_cmpint (g_array_index (states, NavChannelState, 0), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (f->chan_a), (const guint8 *) "x", 1,
                                         &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (f->chan_a),
                                              &(NavOutputMessage) { &(GOutputVector) { "x", 1 }, 1 },
                                              1, &error), ==, -1);
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
}

static void
on_writable (NavChannel *channel,
             gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* A transport whose socket buffer is full until the test says otherwise:
 * its send fails with WOULD_BLOCK, and its socket (for the writable
 * watch, through dup_sockets) is a real one. */
#define TEST_TYPE_FULL_TRANSPORT (test_full_transport_get_type ())
G_DECLARE_FINAL_TYPE (TestFullTransport, test_full_transport, TEST, FULL_TRANSPORT, GObject)

struct _TestFullTransport
{
  GObject parent_instance;
  GMainContext *context;
  GSocket *socket;
  NavAddress local;
  gboolean full;
  guint sent;
};

static void test_full_transport_iface_init (NavTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFullTransport, test_full_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_TRANSPORT,
                                                      test_full_transport_iface_init))

enum { FULL_PROP_0, FULL_PROP_CONTEXT, FULL_PROP_LOCAL_ADDRESS };

static gboolean
full_send (NavTransport      *transport,
           const NavAddress  *to,
           const guint8      *data,
           gsize              len,
           GError           **error)
{
  TestFullTransport *self = TEST_FULL_TRANSPORT (transport);

  if (self->full)
    {
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK, "full");
      return FALSE;
    }
  self->sent++;
  return TRUE;
}

static GPtrArray *
full_dup_sockets (NavTransport *transport)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (sockets, g_object_ref (TEST_FULL_TRANSPORT (transport)->socket));
  return sockets;
}

static const NavAddress *
full_get_local_address (NavTransport *transport)
{
  return &TEST_FULL_TRANSPORT (transport)->local;
}

static void
test_full_transport_iface_init (NavTransportInterface *iface)
{
  iface->send = full_send;
  iface->dup_sockets = full_dup_sockets;
  iface->get_local_address = full_get_local_address;
}

static void
test_full_transport_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TestFullTransport *self = TEST_FULL_TRANSPORT (object);

  if (prop_id == FULL_PROP_CONTEXT)
    g_value_set_boxed (value, self->context);
  else
    g_value_set_boxed (value, &self->local);
}

static void
test_full_transport_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  if (prop_id == FULL_PROP_CONTEXT)
    TEST_FULL_TRANSPORT (object)->context = g_value_dup_boxed (value);
}

static void
test_full_transport_finalize (GObject *object)
{
  TestFullTransport *self = TEST_FULL_TRANSPORT (object);

  g_clear_object (&self->socket);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (test_full_transport_parent_class)->finalize (object);
}

static void
test_full_transport_class_init (TestFullTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_full_transport_get_property;
  object_class->set_property = test_full_transport_set_property;
  object_class->finalize = test_full_transport_finalize;
  g_object_class_override_property (object_class, FULL_PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, FULL_PROP_LOCAL_ADDRESS, "local-address");
}

static void
test_full_transport_init (TestFullTransport *self)
{
  self->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, NULL);
  nav_address_init (&self->local);
}

/* Back-pressure without a queue: a send the transport cannot take fails
 * with WOULD_BLOCK, and writable follows once its socket has room: once,
 * however many sends failed. */
static void
test_would_block_then_writable (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (TestFullTransport) transport = g_object_new (TEST_TYPE_FULL_TRANSPORT,
                                                          "context", f->context, NULL);
  g_autoptr (NavDatagramChannel) channel = NULL;
  g_autoptr (GError) error = NULL;
  guint writable = 0;

  channel = nav_datagram_channel_new (NAV_TRANSPORT (transport), f->addr_b);
  g_signal_connect (channel, "writable", G_CALLBACK (on_writable), &writable);
  transport->full = TRUE;
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (channel), (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (channel),
                                              &(NavOutputMessage) { &(GOutputVector) { "y", 1 }, 1 },
                                              1, &error), ==, -1);
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK);
  g_assert_cmpuint (writable, ==, 0);

  transport->full = FALSE;
  wait_for (f, &writable, 1);
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (channel), (const guint8 *) "z", 1, NULL));
  g_assert_cmpuint (transport->sent, ==, 1);
  /* Armed once, fired once. */
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_assert_cmpuint (writable, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/datagram-channel/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("properties", test_properties);
  ADD ("message-both-ways", test_both_ways);
  ADD ("other-source-ignored", test_other_source_ignored);
  ADD ("stun-ignored", test_stun_ignored);
  ADD ("close", test_close);
  ADD ("transport-closed", test_transport_closed);
  ADD ("send-error-passes-through", test_send_error_passes_through);
  ADD ("buffered-amount-threshold", test_buffered_amount_threshold);
  ADD ("stacking-calls", test_stacking_calls);
  ADD ("mtu-and-state", test_mtu_and_state);
  ADD ("would-block-then-writable", test_would_block_then_writable);

#undef ADD

  return g_test_run ();
}
