/* test-udp-transport.c: NavUdpTransport on loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 5

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GPtrArray *messages;          /* GBytes */
  GPtrArray *sources;           /* NavAddress */
  guint expected;
  gboolean timed_out;
} Receiver;

static void
receiver_init (Receiver     *r,
               GMainContext *context)
{
  memset (r, 0, sizeof (*r));
  r->context = context;
  r->loop = g_main_loop_new (context, FALSE);
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_address_free);
}

static void
receiver_clear (Receiver *r)
{
  g_main_loop_unref (r->loop);
  g_ptr_array_unref (r->messages);
  g_ptr_array_unref (r->sources);
}

static void
on_received (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  Receiver *r = user_data;

  g_ptr_array_add (r->messages, g_bytes_ref (data));
  g_ptr_array_add (r->sources, nav_address_copy (from));
  if (r->messages->len >= r->expected)
    g_main_loop_quit (r->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  Receiver *r = user_data;

  r->timed_out = TRUE;
  g_main_loop_quit (r->loop);
  return G_SOURCE_REMOVE;
}

/* Runs the receiver's loop (on its own context) until @expected messages
 * in all have arrived. */
static void
receiver_wait (Receiver *r,
               guint     expected)
{
  GSource *timeout;

  r->expected = expected;
  if (r->messages->len >= expected)
    return;

  timeout = g_timeout_source_new_seconds (TIMEOUT_SECONDS);
  g_source_set_callback (timeout, on_timeout, r, NULL);
  g_source_attach (timeout, r->context);
  g_main_loop_run (r->loop);
  g_source_destroy (timeout);
  g_source_unref (timeout);

  g_assert_false (r->timed_out);
  g_assert_cmpuint (r->messages->len, ==, expected);
}

static NavUdpTransport *
open_transport (const gchar   *local,
                GMainContext  *context,
                GError       **error)
{
  g_autoptr (NavAddress) address = nav_address_new_from_string (local, NULL);

  g_assert_nonnull (address);
  return nav_udp_transport_new (address, context, error);
}

/* ::1 may not exist (IPv6 disabled in a container): skip, don't fail. */
static NavUdpTransport *
open_ipv6_or_skip (GMainContext *context)
{
  g_autoptr (GError) error = NULL;
  NavUdpTransport *transport = open_transport ("[::1]:0", context, &error);

  if (transport == NULL)
    {
      g_autofree gchar *message = g_strdup_printf ("Cannot bind [::1]: %s",
                                                   error->message);
      g_test_skip (message);
    }
  return transport;
}

static void
test_bind_ipv4 (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (NavAddress) property = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GMainContext) property_context = NULL;
  const NavAddress *bound;

  g_assert_no_error (error);
  g_assert_true (NAV_IS_TRANSPORT (transport));

  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  g_assert_nonnull (bound);
  g_assert_cmpuint (nav_address_get_family (bound), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmphex (nav_address_get_ipv4 (bound), ==, 0x7f000001);
  g_assert_cmpuint (nav_address_get_port (bound), !=, 0);

  /* The property reads back the bound address, real port included. */
  g_object_get (transport,
                "local-address", &property,
                "socket", &socket,
                "context", &property_context,
                NULL);
  g_assert_true (nav_address_equal (property, bound));
  g_assert_true (property_context == context);
  g_assert_true (nav_transport_get_context (NAV_TRANSPORT (transport)) == context);

  /* …and it is the socket's real local address. */
  g_assert_true (G_IS_SOCKET (socket));
  g_assert_true (socket == nav_udp_transport_get_socket (transport));
  g_assert_cmpint (g_socket_get_family (socket), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpint (g_socket_get_socket_type (socket), ==, G_SOCKET_TYPE_DATAGRAM);
  g_assert_false (g_socket_get_blocking (socket));
  {
    g_autoptr (GSocketAddress) sockname = g_socket_get_local_address (socket, &error);
    g_autoptr (NavAddress) from_socket = NULL;

    g_assert_no_error (error);
    from_socket = nav_address_new_from_socket_address (sockname, &error);
    g_assert_no_error (error);
    g_assert_true (nav_address_equal (from_socket, bound));
  }

  g_assert_cmpint (nav_transport_get_protocol (NAV_TRANSPORT (transport)), ==,
                   NAV_CANDIDATE_TRANSPORT_UDP);
  g_assert_false (nav_transport_is_reliable (NAV_TRANSPORT (transport)));
}

static void
test_bind_ipv6 (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) transport = open_ipv6_or_skip (context);
  g_autoptr (GError) error = NULL;
  static const guint8 loopback6[16] = { [15] = 1 };
  const NavAddress *bound;
  gint v6only = 0;

  if (transport == NULL)
    return;

  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  g_assert_cmpuint (nav_address_get_family (bound), ==, G_SOCKET_FAMILY_IPV6);
  g_assert_cmpmem (nav_address_get_ipv6 (bound), 16, loopback6, 16);
  g_assert_cmpuint (nav_address_get_port (bound), !=, 0);

  g_assert_true (g_socket_get_option (nav_udp_transport_get_socket (transport),
                                      IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &error));
  g_assert_no_error (error);
  g_assert_cmpint (v6only, ==, 1);
}

static void
test_bind_unset_address (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = NULL;
  const NavAddress *bound;

  /* Without local-address: the IPv4 wildcard, any port, default context. */
  transport = g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, &error, NULL);
  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  g_assert_true (nav_address_is_any (bound));
  g_assert_cmpuint (nav_address_ip_version (bound), ==, 4);
  g_assert_cmpuint (nav_address_get_port (bound), !=, 0);
  g_assert_true (nav_transport_get_context (NAV_TRANSPORT (transport)) ==
                 g_main_context_default ());
}

static void
test_bind_failure (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) address = nav_address_new_from_string ("198.51.100.231:0", NULL);
  GList *local = nav_host_gatherer_list_local_addresses (TRUE, TRUE, FALSE), *l;

  /* TEST-NET-2 is on no interface, unless this machine is odd. */
  for (l = local; l != NULL; l = l->next)
    if (nav_address_equal_no_port (l->data, address))
      {
        g_list_free_full (local, (GDestroyNotify) nav_address_free);
        g_test_skip ("198.51.100.231 is a local address here");
        return;
      }
  g_list_free_full (local, (GDestroyNotify) nav_address_free);

  g_assert_null (nav_udp_transport_new (address, NULL, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED);
  /* The message names the address and carries the OS's reason. */
  g_assert_nonnull (strstr (error->message, "198.51.100.231"));
}

static void
check_send_receive (const gchar *local)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = NULL;
  const NavAddress *bound;
  Receiver r;
  guint i;

  if (strchr (local, '[') != NULL)
    transport = open_ipv6_or_skip (context);
  else
    transport = open_transport (local, context, &error);
  g_assert_no_error (error);
  if (transport == NULL)
    return;
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));

  receiver_init (&r, context);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &r);

  g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                     (const guint8 *) "hello", 5, &error));
  g_assert_no_error (error);

  /* The source is on @context, not the default one: iterating the
   * default context delivers nothing. */
  for (i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (r.messages->len, ==, 0);

  receiver_wait (&r, 1);
  g_assert_cmpmem (g_bytes_get_data (r.messages->pdata[0], NULL),
                   g_bytes_get_size (r.messages->pdata[0]), "hello", 5);
  g_assert_true (nav_address_equal (r.sources->pdata[0], bound));

  receiver_clear (&r);
}

static void
test_send_receive_ipv4 (void)
{
  check_send_receive ("127.0.0.1:0");
}

static void
test_send_receive_ipv6 (void)
{
  check_send_receive ("[::1]:0");
}

static void
test_send_between_transports (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (GBytes) payload = g_bytes_new_static ("from a", 6);
  Receiver r;

  g_assert_no_error (error);
  receiver_init (&r, context);
  g_signal_connect (b, "received", G_CALLBACK (on_received), &r);

  g_assert_true (nav_transport_send_bytes (NAV_TRANSPORT (a),
                                           nav_transport_get_local_address (NAV_TRANSPORT (b)),
                                           payload, &error));
  g_assert_no_error (error);
  receiver_wait (&r, 1);
  g_assert_true (g_bytes_equal (r.messages->pdata[0], payload));
  /* The source is the sender's bound address. */
  g_assert_true (nav_address_equal (r.sources->pdata[0],
                                    nav_transport_get_local_address (NAV_TRANSPORT (a))));
  receiver_clear (&r);
}

static void
check_batch (guint receive_batch)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) transport = NULL;
  const NavAddress *bound;
  guint batch = 0, i;
  Receiver r;

  if (receive_batch == 0)
    transport = g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, &error,
                                "local-address", local, "context", context, NULL);
  else
    transport = g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, &error,
                                "local-address", local, "context", context,
                                "receive-batch", receive_batch, NULL);
  g_assert_no_error (error);
  g_object_get (transport, "receive-batch", &batch, NULL);
  g_assert_cmpuint (batch, ==, receive_batch == 0 ? 32 : receive_batch);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));

  receiver_init (&r, context);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &r);

  /* 100 in a row, without running the context in between: the kernel
   * queues them and the transport reads them in batches. */
  for (i = 0; i < 100; i++)
    {
      guint32 seq = GUINT32_TO_BE (i);

      g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                         (const guint8 *) &seq, sizeof (seq), &error));
      g_assert_no_error (error);
    }

  receiver_wait (&r, 100);
  for (i = 0; i < 100; i++)
    {
      gsize len;
      const guint32 *seq = g_bytes_get_data (r.messages->pdata[i], &len);

      g_assert_cmpuint (len, ==, sizeof (guint32));
      g_assert_cmpuint (GUINT32_FROM_BE (*seq), ==, i);
    }
  receiver_clear (&r);
}

static void
test_batch_default (void)
{
  check_batch (0);
}

static void
test_batch_odd_size (void)
{
  /* 100 is no multiple of 7: the last batch is a short one. */
  check_batch (7);
}

static void
test_sizes (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", context, &error);
  static const gsize sizes[] = { 0, 1, 1200, 65507 };
  g_autofree guint8 *payload = g_malloc (65508);
  const NavAddress *bound;
  Receiver r;
  guint i;

  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  for (i = 0; i < 65508; i++)
    payload[i] = (i * 7 + 3) & 0xff;

  /* Room for the largest datagram whatever the system default is. */
  g_assert_true (g_socket_set_option (nav_udp_transport_get_socket (transport),
                                      SOL_SOCKET, SO_RCVBUF, 1 << 20, &error));
  g_assert_no_error (error);

  receiver_init (&r, context);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &r);

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                         payload, sizes[i], &error));
      g_assert_no_error (error);
      receiver_wait (&r, i + 1);
      g_assert_cmpmem (g_bytes_get_data (r.messages->pdata[i], NULL),
                       g_bytes_get_size (r.messages->pdata[i]),
                       payload, sizes[i]);
    }

  /* One byte more than an IPv4 UDP datagram holds. */
  g_assert_false (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                      payload, 65508, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE);

  receiver_clear (&r);
}

static void
test_port_range (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) first = NULL;
  g_autoptr (NavUdpTransport) second = NULL;
  g_autoptr (NavUdpTransport) third = NULL;
  guint base = 0, attempt, port1, port2, min_port = 0, max_port = 0;

  /* Find two adjacent free ports: another process may hold some. */
  for (attempt = 0; attempt < 50 && second == NULL; attempt++)
    {
      g_clear_object (&first);
      g_clear_error (&error);
      base = g_random_int_range (20000, 60000);
      first = nav_udp_transport_new_range (local, base, base + 1, NULL, &error);
      if (first != NULL)
        second = nav_udp_transport_new_range (local, base, base + 1, NULL, &error);
      if (second == NULL)
        g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE);
    }
  g_assert_nonnull (second);
  g_clear_error (&error);

  port1 = nav_address_get_port (nav_transport_get_local_address (NAV_TRANSPORT (first)));
  port2 = nav_address_get_port (nav_transport_get_local_address (NAV_TRANSPORT (second)));
  g_assert_cmpuint (MIN (port1, port2), ==, base);
  g_assert_cmpuint (MAX (port1, port2), ==, base + 1);

  g_object_get (first, "min-port", &min_port, "max-port", &max_port, NULL);
  g_assert_cmpuint (min_port, ==, base);
  g_assert_cmpuint (max_port, ==, base + 1);

  /* Every port of the range is taken. */
  third = nav_udp_transport_new_range (local, base, base + 1, NULL, &error);
  g_assert_null (third);
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE);
  g_clear_error (&error);

  /* A port freed is found again. */
  nav_transport_close (NAV_TRANSPORT (first));
  third = nav_udp_transport_new_range (local, base, base + 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nav_address_get_port (nav_transport_get_local_address (NAV_TRANSPORT (third))),
                    ==, port1);
}

static void
test_port_range_invalid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);

  g_assert_null (nav_udp_transport_new_range (local, 40001, 40000, NULL, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
}

static void
on_closed (NavTransport *transport,
           const GError *error,
           gpointer      user_data)
{
  guint *count = user_data;

  g_assert_no_error (error);
  (*count)++;
}

static void
test_close (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", NULL, &error);
  g_autoptr (NavAddress) bound = NULL;
  GSocket *socket;
  guint closed = 0;

  g_assert_no_error (error);
  bound = nav_address_copy (nav_transport_get_local_address (NAV_TRANSPORT (transport)));
  socket = nav_udp_transport_get_socket (transport);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &closed);

  nav_transport_close (NAV_TRANSPORT (transport));
  g_assert_cmpuint (closed, ==, 1);
  g_assert_true (g_socket_is_closed (socket));

  nav_transport_close (NAV_TRANSPORT (transport));
  g_assert_cmpuint (closed, ==, 1);

  g_assert_false (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                      (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);

  /* Disposing a closed transport says nothing more. */
  g_clear_object (&transport);
  g_assert_cmpuint (closed, ==, 1);
}

static void
test_dispose_closes (void)
{
  g_autoptr (GError) error = NULL;
  NavUdpTransport *transport = open_transport ("127.0.0.1:0", NULL, &error);
  g_autoptr (GSocket) socket = NULL;
  guint closed = 0;

  g_assert_no_error (error);
  socket = g_object_ref (nav_udp_transport_get_socket (transport));
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &closed);

  g_object_unref (transport);
  g_assert_cmpuint (closed, ==, 1);
  g_assert_true (g_socket_is_closed (socket));
}

static void
test_address_family (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) v4 = open_transport ("127.0.0.1:0", NULL, &error);
  g_autoptr (NavUdpTransport) v6 = NULL;
  g_autoptr (NavAddress) to6 = nav_address_new_from_string ("[::1]:9", NULL);
  g_autoptr (NavAddress) to4 = nav_address_new_from_string ("127.0.0.1:9", NULL);
  g_autoptr (NavAddress) unset = nav_address_new ();

  g_assert_no_error (error);
  g_assert_false (nav_transport_send (NAV_TRANSPORT (v4), to6,
                                      (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY);
  g_clear_error (&error);

  g_assert_false (nav_transport_send (NAV_TRANSPORT (v4), unset,
                                      (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY);
  g_clear_error (&error);

  /* UDP is not connected: a destination is required. */
  g_assert_false (nav_transport_send (NAV_TRANSPORT (v4), NULL,
                                      (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  /* An IPv6 socket is IPv6 only. */
  v6 = open_transport ("[::1]:0", NULL, &error);
  if (v6 == NULL)
    return;
  g_assert_false (nav_transport_send (NAV_TRANSPORT (v6), to4,
                                      (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY);
}

typedef struct {
  NavTransport *transport;
  guint count;
  GByteArray *seen;
  NavAddress last_from;
} FastPath;

static void
fast_path_receive (NavTransport     *transport,
                   const guint8     *data,
                   gsize             len,
                   const NavAddress *from,
                   gpointer          user_data)
{
  FastPath *fp = user_data;

  g_assert_true (transport == fp->transport);
  g_assert_cmpuint (len, ==, 1);
  g_byte_array_append (fp->seen, data, len);
  fp->last_from = *from;
  fp->count++;
}

static void
fast_path_destroy (gpointer user_data)
{
  FastPath *fp = user_data;

  fp->count += 1000;
}

static void
test_receive_func (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (GByteArray) seen = g_byte_array_new ();
  FastPath fp = { NULL, 0, seen, { { { 0 } } } };
  const NavAddress *bound;
  Receiver r;
  guint i;

  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  fp.transport = NAV_TRANSPORT (transport);

  receiver_init (&r, context);
  nav_transport_set_receive_func (NAV_TRANSPORT (transport), fast_path_receive,
                                  &fp, fast_path_destroy);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &r);

  for (i = 0; i < 3; i++)
    {
      guint8 byte = 'a' + i;

      g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                         &byte, 1, &error));
      g_assert_no_error (error);
    }
  receiver_wait (&r, 3);

  /* Both paths saw all three, in order. */
  g_assert_cmpuint (fp.count, ==, 3);
  g_assert_cmpmem (seen->data, seen->len, "abc", 3);
  g_assert_true (nav_address_equal (&fp.last_from, bound));
  for (i = 0; i < 3; i++)
    {
      const gchar expected = 'a' + i;

      g_assert_cmpmem (g_bytes_get_data (r.messages->pdata[i], NULL),
                       g_bytes_get_size (r.messages->pdata[i]), &expected, 1);
    }

  /* Removing the function calls its destroy notify, and later datagrams
   * reach the signal only. */
  nav_transport_set_receive_func (NAV_TRANSPORT (transport), NULL, NULL, NULL);
  g_assert_cmpuint (fp.count, ==, 1003);
  g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                     (const guint8 *) "d", 1, &error));
  receiver_wait (&r, 4);
  g_assert_cmpuint (fp.count, ==, 1003);

  receiver_clear (&r);
}

/* A handler that runs a nested main loop on the transport's context:
 * the datagrams after its own are delivered inside that loop, in order,
 * each once, and the buffer the handler holds is not reused meanwhile. */
typedef struct {
  GMainContext *context;
  GArray *order;                /* guint32 sequence numbers */
  guint total;
  guint nest_at;
  guint nested_deliveries;
  guint depth;
  guint max_depth;
  gboolean intact;
} Nested;

/* 64 bytes: the big-endian sequence number, then bytes derived from it. */
static void
fill_payload (guint8  *payload,
              guint32  seq)
{
  guint32 be = GUINT32_TO_BE (seq);
  guint i;

  memcpy (payload, &be, sizeof (be));
  for (i = sizeof (be); i < 64; i++)
    payload[i] = (guint8) (seq * 13 + i);
}

static void
nested_receive (NavTransport     *transport,
                const guint8     *data,
                gsize             len,
                const NavAddress *from,
                gpointer          user_data)
{
  Nested *n = user_data;
  guint32 seq;
  gint64 deadline;

  g_assert_cmpuint (len, ==, 64);
  memcpy (&seq, data, sizeof (seq));
  seq = GUINT32_FROM_BE (seq);
  g_array_append_val (n->order, seq);
  if (n->depth > 0)
    n->nested_deliveries++;

  if (seq != n->nest_at && !(n->depth == 1 && seq == n->nest_at + 3))
    return;

  /* Nested twice: at nest_at, and again inside, three datagrams later. */
  n->depth++;
  n->max_depth = MAX (n->max_depth, n->depth);
  deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  while (n->order->len < n->total && g_get_monotonic_time () < deadline)
    g_main_context_iteration (n->context, FALSE);
  n->depth--;

  /* Every byte of this datagram is still its own. */
  {
    guint8 expected[64];

    fill_payload (expected, seq);
    if (memcmp (data, expected, sizeof (expected)) != 0)
      n->intact = FALSE;
  }
}

static void
check_nested_loop (guint receive_batch)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) transport = NULL;
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint32));
  Nested n = { context, order, 200, 5, 0, 0, 0, TRUE };
  const NavAddress *bound;
  gint64 deadline;
  guint i;

  transport = g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, &error,
                              "local-address", local, "context", context,
                              "receive-batch", receive_batch, NULL);
  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  g_assert_true (g_socket_set_option (nav_udp_transport_get_socket (transport),
                                      SOL_SOCKET, SO_RCVBUF, 1 << 20, &error));
  g_assert_no_error (error);
  nav_transport_set_receive_func (NAV_TRANSPORT (transport), nested_receive, &n, NULL);

  for (i = 0; i < n.total; i++)
    {
      guint8 payload[64];

      fill_payload (payload, i);
      g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                         payload, sizeof (payload), &error));
      g_assert_no_error (error);
    }

  deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  while (order->len < n.total && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, FALSE);

  g_assert_cmpuint (order->len, ==, n.total);
  for (i = 0; i < n.total; i++)
    g_assert_cmpuint (g_array_index (order, guint32, i), ==, i);
  g_assert_cmpuint (n.max_depth, ==, 2);
  /* All but the first nest_at + 1 came in the nested loops. */
  g_assert_cmpuint (n.nested_deliveries, ==, n.total - n.nest_at - 1);
  g_assert_true (n.intact);
  nav_transport_set_receive_func (NAV_TRANSPORT (transport), NULL, NULL, NULL);
}

static void
test_nested_loop (void)
{
  check_nested_loop (32);
}

static void
test_nested_loop_small_batch (void)
{
  /* Batches smaller than the nesting point: the nested dispatch reads new
   * batches while the outer handler still holds a datagram. */
  check_nested_loop (2);
}

static void
test_icmp_unreachable (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (NavUdpTransport) gone = open_transport ("127.0.0.1:0", context, &error);
  g_autoptr (NavAddress) closed_port = NULL;
  const NavAddress *bound;
  guint closed = 0, i;
  Receiver r;

  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));

  /* A port that was just in use and is now closed: the kernel answers
   * datagrams to it with ICMP port unreachable. */
  closed_port = nav_address_copy (nav_transport_get_local_address (NAV_TRANSPORT (gone)));
  nav_transport_close (NAV_TRANSPORT (gone));

  /* Without IP_RECVERR Linux keeps ICMP errors from unconnected UDP
   * sockets; with it they are reported to recv() and send(), which is what
   * the transport must survive. */
  g_assert_true (g_socket_set_option (nav_udp_transport_get_socket (transport),
                                      IPPROTO_IP, IP_RECVERR, 1, &error));
  g_assert_no_error (error);

  receiver_init (&r, context);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &r);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &closed);

  /* In a row: each send after the first is the call the kernel reports
   * the previous datagram's ICMP error to, and must still succeed. */
  for (i = 0; i < 3; i++)
    {
      g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), closed_port,
                                         (const guint8 *) "void", 4, &error));
      g_assert_no_error (error);
    }
  /* The last error is left for the receive path to read and ignore. */
  for (i = 0; i < 10; i++)
    g_main_context_iteration (context, FALSE);
  g_assert_cmpuint (closed, ==, 0);

  g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                     (const guint8 *) "still here", 10, &error));
  g_assert_no_error (error);
  receiver_wait (&r, 1);
  g_assert_cmpmem (g_bytes_get_data (r.messages->pdata[0], NULL),
                   g_bytes_get_size (r.messages->pdata[0]), "still here", 10);
  g_assert_cmpuint (closed, ==, 0);

  receiver_clear (&r);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_received_close (NavTransport     *transport,
                   GBytes           *data,
                   const NavAddress *from,
                   gpointer          user_data)
{
  guint *count = user_data;

  (*count)++;
  nav_transport_close (transport);
}

static void
test_close_from_handler (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) transport = open_transport ("127.0.0.1:0", context, &error);
  const NavAddress *bound;
  guint received = 0, closed = 0, i;
  GSource *timeout;
  gboolean timed_out = FALSE;

  g_assert_no_error (error);
  bound = nav_transport_get_local_address (NAV_TRANSPORT (transport));
  g_signal_connect (transport, "received", G_CALLBACK (on_received_close), &received);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &closed);

  for (i = 0; i < 5; i++)
    g_assert_true (nav_transport_send (NAV_TRANSPORT (transport), bound,
                                       (const guint8 *) "x", 1, &error));

  timeout = g_timeout_source_new_seconds (TIMEOUT_SECONDS);
  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (closed == 0 && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);

  /* Closing from a handler stops delivery of the rest of the batch. */
  g_assert_cmpuint (closed, ==, 1);
  g_assert_cmpuint (received, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/udp-transport/bind/ipv4", test_bind_ipv4);
  g_test_add_func ("/udp-transport/bind/ipv6", test_bind_ipv6);
  g_test_add_func ("/udp-transport/bind/unset-address", test_bind_unset_address);
  g_test_add_func ("/udp-transport/bind/failure", test_bind_failure);
  g_test_add_func ("/udp-transport/send-receive/ipv4-own-context", test_send_receive_ipv4);
  g_test_add_func ("/udp-transport/send-receive/ipv6-own-context", test_send_receive_ipv6);
  g_test_add_func ("/udp-transport/send-receive/between-transports", test_send_between_transports);
  g_test_add_func ("/udp-transport/batch/100-in-order", test_batch_default);
  g_test_add_func ("/udp-transport/batch/short-last-batch", test_batch_odd_size);
  g_test_add_func ("/udp-transport/sizes", test_sizes);
  g_test_add_func ("/udp-transport/port-range/exhausted", test_port_range);
  g_test_add_func ("/udp-transport/port-range/invalid", test_port_range_invalid);
  g_test_add_func ("/udp-transport/close/send-fails", test_close);
  g_test_add_func ("/udp-transport/close/dispose", test_dispose_closes);
  g_test_add_func ("/udp-transport/close/from-received-handler", test_close_from_handler);
  g_test_add_func ("/udp-transport/address-family", test_address_family);
  g_test_add_func ("/udp-transport/receive-func-and-signal", test_receive_func);
  g_test_add_func ("/udp-transport/icmp-unreachable-ignored", test_icmp_unreachable);
  g_test_add_func ("/udp-transport/nested-main-loop", test_nested_loop);
  g_test_add_func ("/udp-transport/nested-main-loop/small-batch", test_nested_loop_small_batch);

  return g_test_run ();
}
