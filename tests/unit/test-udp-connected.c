/* test-udp-connected.c: the connected socket of a NavUdpTransport (issue
 * 15) on loopback: the kernel hands the peer's datagrams to it, nothing
 * is lost nor delivered twice when it opens, moves or closes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Linked with the core's static internal library: the connected socket's
 * functions are private (core/nav-udp-transport-private.h).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netavanue/netavanue.h>
#include "nav-udp-transport-private.h"

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 10

typedef struct {
  GMainContext *context;
  GPtrArray *messages;          /* GBytes */
  GPtrArray *sources;           /* NavAddress */
} Receiver;

static void
on_received (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  Receiver *r = user_data;

  g_ptr_array_add (r->messages, g_bytes_ref (data));
  g_ptr_array_add (r->sources, nav_address_copy (from));
}

static void
receiver_init (Receiver        *r,
               GMainContext    *context,
               NavUdpTransport *transport)
{
  r->context = context;
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_address_free);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), r);
}

static void
receiver_clear (Receiver *r)
{
  g_ptr_array_unref (r->messages);
  g_ptr_array_unref (r->sources);
}

static void
receiver_wait (Receiver *r,
               guint     expected)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (r->messages->len < expected)
    {
      if (!g_main_context_iteration (r->context, FALSE))
        g_usleep (500);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  /* Whatever else is pending too: a datagram delivered twice shows. */
  while (g_main_context_iteration (r->context, FALSE))
    ;
  g_assert_cmpuint (r->messages->len, ==, expected);
}

static NavUdpTransport *
open_transport (const gchar  *local,
                GMainContext *context)
{
  g_autoptr (NavAddress) address = nav_address_new_from_string (local, NULL);
  g_autoptr (GError) error = NULL;
  NavUdpTransport *transport = nav_udp_transport_new (address, context, &error);

  g_assert_no_error (error);
  return transport;
}

static const NavAddress *
local_of (NavUdpTransport *t)
{
  return nav_transport_get_local_address (NAV_TRANSPORT (t));
}

/* Datagrams "<tag> <i>" for i in [first, first + n), from @from to @to. */
static void
send_numbered (NavUdpTransport *from,
               NavUdpTransport *to,
               const gchar     *tag,
               guint            first,
               guint            n)
{
  for (guint i = first; i < first + n; i++)
    {
      g_autofree gchar *text = g_strdup_printf ("%s %u", tag, i);
      g_autoptr (GError) error = NULL;

      g_assert_true (nav_transport_send (NAV_TRANSPORT (from), local_of (to), (const guint8 *) text,
                                         strlen (text), &error));
      g_assert_no_error (error);
    }
}

/* Messages [at, at + n) of @r are "<tag> <first>"…, in order, from @from. */
static void
assert_numbered (Receiver        *r,
                 guint            at,
                 NavUdpTransport *from,
                 const gchar     *tag,
                 guint            first,
                 guint            n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *text = g_strdup_printf ("%s %u", tag, first + i);
      gsize len;
      const gchar *got = g_bytes_get_data (g_ptr_array_index (r->messages, at + i), &len);

      g_assert_cmpmem (got, len, text, strlen (text));
      g_assert_true (nav_address_equal (g_ptr_array_index (r->sources, at + i), local_of (from)));
    }
}

/* The socket connected to @peer in the transport's sockets, after the
 * first, with its real local and peer addresses. */
static void
assert_connected_socket (NavUdpTransport  *t,
                         const NavAddress *peer)
{
  g_autoptr (GPtrArray) sockets = nav_transport_dup_sockets (NAV_TRANSPORT (t));
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) name = NULL;
  g_autoptr (GSocketAddress) peername = NULL;
  g_autoptr (NavAddress) a = NULL;
  g_autoptr (NavAddress) b = NULL;
  NavAddress connected;

  g_assert_true (nav_udp_transport_get_connected_peer (t, &connected));
  g_assert_true (nav_address_equal (&connected, peer));
  g_assert_cmpuint (sockets->len, ==, 2);
  g_assert_true (g_ptr_array_index (sockets, 0) == nav_udp_transport_get_socket (t));
  name = g_socket_get_local_address (g_ptr_array_index (sockets, 1), &error);
  g_assert_no_error (error);
  peername = g_socket_get_remote_address (g_ptr_array_index (sockets, 1), &error);
  g_assert_no_error (error);
  a = nav_address_new_from_socket_address (name, NULL);
  b = nav_address_new_from_socket_address (peername, NULL);
  g_assert_true (nav_address_equal (a, local_of (t)));
  g_assert_true (nav_address_equal (b, peer));
}

static void
counts (NavUdpTransport *t,
        guint64         *sent,
        guint64         *received)
{
  nav_udp_transport_get_connected_counts (t, sent, received);
}

/* Sends to the peer leave on the connected socket, the peer's datagrams
 * arrive on it, a third party's on the first socket; both ways exact. */
static void
test_both_ways (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) c = open_transport ("127.0.0.1:0", context);
  g_autoptr (GError) error = NULL;
  Receiver ra, rb;
  guint64 sent, received;
  NavAddress peer;

  receiver_init (&ra, context, a);
  receiver_init (&rb, context, b);
  g_assert_false (nav_udp_transport_get_connected_peer (a, &peer));

  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));
  g_assert_no_error (error);
  assert_connected_socket (a, local_of (b));
  /* Connecting again to the same peer keeps the socket. */
  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));

  send_numbered (a, b, "a", 0, 300);
  send_numbered (b, a, "b", 0, 300);
  receiver_wait (&rb, 300);
  receiver_wait (&ra, 300);
  assert_numbered (&rb, 0, a, "a", 0, 300);
  assert_numbered (&ra, 0, b, "b", 0, 300);
  counts (a, &sent, &received);
  g_assert_cmpuint (sent, ==, 300);
  g_assert_cmpuint (received, ==, 300);

  /* Batched sends to the peer: on the connected socket too. */
  {
    GOutputVector v[3] = { { "m0", 2 }, { "m1", 2 }, { "m2-longer", 9 } };
    NavOutputMessage m[3] = { { &v[0], 1 }, { &v[1], 1 }, { &v[2], 1 } };

    g_assert_cmpint (nav_transport_send_messages (NAV_TRANSPORT (a), local_of (b), m, 3, &error),
                     ==, 3);
    g_assert_no_error (error);
    receiver_wait (&rb, 303);
    g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (rb.messages, 302), NULL), 9,
                     "m2-longer", 9);
    counts (a, &sent, &received);
    g_assert_cmpuint (sent, ==, 303);
  }

  /* A third party reaches the first socket, and a is answered there. */
  send_numbered (c, a, "c", 0, 10);
  receiver_wait (&ra, 310);
  assert_numbered (&ra, 300, c, "c", 0, 10);
  send_numbered (a, c, "to-c", 0, 1);
  counts (a, &sent, &received);
  g_assert_cmpuint (sent, ==, 303);
  g_assert_cmpuint (received, ==, 300);

  receiver_clear (&ra);
  receiver_clear (&rb);
}

/* What the peer sent before the switch, on the first socket, comes before
 * what it sent after, on the connected one; what waits on the connected
 * socket when it closes is delivered before what comes after, on the
 * first socket again; nothing twice, nothing lost. */
static void
test_switch_in_order (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context);
  g_autoptr (GError) error = NULL;
  guint64 sent, received;
  Receiver ra;
  NavAddress peer;

  receiver_init (&ra, context, a);

  /* a's context is not iterated: everything waits in the kernel. */
  send_numbered (b, a, "b", 0, 100);
  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));
  g_assert_no_error (error);
  send_numbered (b, a, "b", 100, 100);
  receiver_wait (&ra, 200);
  assert_numbered (&ra, 0, b, "b", 0, 200);
  counts (a, &sent, &received);
  g_assert_cmpuint (received, ==, 100);

  /* Back to the first socket, 100 datagrams waiting on the connected one. */
  send_numbered (b, a, "b", 200, 100);
  nav_udp_transport_disconnect_peer (a);
  g_assert_false (nav_udp_transport_get_connected_peer (a, &peer));
  /* Until the context runs, the retired socket is open: these reach it
   * too. */
  send_numbered (b, a, "b", 300, 100);
  receiver_wait (&ra, 400);
  assert_numbered (&ra, 0, b, "b", 0, 400);
  counts (a, &sent, &received);
  g_assert_cmpuint (received, ==, 300);
  /* Closed now: the first socket. */
  send_numbered (b, a, "b", 400, 100);
  receiver_wait (&ra, 500);
  assert_numbered (&ra, 0, b, "b", 0, 500);
  counts (a, &sent, &received);
  g_assert_cmpuint (received, ==, 300);
  {
    g_autoptr (GPtrArray) sockets = nav_transport_dup_sockets (NAV_TRANSPORT (a));

    g_assert_cmpuint (sockets->len, ==, 1);
  }
  receiver_clear (&ra);
}

/* A new peer: the socket moves (the old peer's datagrams, those waiting
 * included, still arrive, on the first socket once it closed). */
static void
test_move (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) c = open_transport ("127.0.0.1:0", context);
  g_autoptr (GError) error = NULL;
  guint64 sent, received;
  Receiver ra;

  receiver_init (&ra, context, a);
  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));
  send_numbered (b, a, "b", 0, 50);
  g_assert_true (nav_udp_transport_connect_peer (a, local_of (c), &error));
  g_assert_no_error (error);
  assert_connected_socket (a, local_of (c));
  send_numbered (b, a, "b", 50, 50);
  receiver_wait (&ra, 100);
  assert_numbered (&ra, 0, b, "b", 0, 100);
  /* The second 50 too, to the retired socket, open until the context
   * ran. */
  counts (a, &sent, &received);
  g_assert_cmpuint (received, ==, 100);

  send_numbered (c, a, "c", 0, 20);
  receiver_wait (&ra, 120);
  send_numbered (b, a, "b", 100, 5);
  receiver_wait (&ra, 125);
  assert_numbered (&ra, 100, c, "c", 0, 20);
  assert_numbered (&ra, 120, b, "b", 100, 5);
  counts (a, &sent, &received);
  g_assert_cmpuint (received, ==, 120);
  receiver_clear (&ra);
}

/* No other socket can take the port afterwards: SO_REUSEADDR was on the
 * first socket only while the connected one was bound. */
static void
test_port_not_shared (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavUdpTransport) intruder = NULL;
  struct sockaddr_in sin = { 0 };
  int fd, one = 1, reuse = -1;
  socklen_t len = sizeof reuse;

  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));
  g_assert_true (g_socket_get_option (nav_udp_transport_get_socket (a), SOL_SOCKET, SO_REUSEADDR,
                                      &reuse, &error));
  g_assert_cmpint (reuse, ==, 0);
  (void) len;

  fd = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  nav_address_copy_to_sockaddr (local_of (a), (struct sockaddr *) &sin, sizeof sin);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), <, 0);
  close (fd);
}

/* Closing the transport closes its connected socket; nothing is delivered
 * after. */
static void
test_close (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavUdpTransport) a = open_transport ("127.0.0.1:0", context);
  g_autoptr (NavUdpTransport) b = open_transport ("127.0.0.1:0", context);
  g_autoptr (GError) error = NULL;
  Receiver ra;
  NavAddress peer;

  receiver_init (&ra, context, a);
  g_assert_true (nav_udp_transport_connect_peer (a, local_of (b), &error));
  send_numbered (b, a, "b", 0, 10);
  nav_udp_transport_disconnect_peer (a);
  nav_transport_close (NAV_TRANSPORT (a));
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (ra.messages->len, ==, 0);
  g_assert_false (nav_udp_transport_get_connected_peer (a, &peer));
  g_assert_false (nav_udp_transport_connect_peer (a, local_of (b), &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);
  receiver_clear (&ra);
}

static void
test_enabled (void)
{
  g_assert_true (nav_udp_connected_enabled ());
  g_setenv ("NAV_UDP_CONNECTED", "0", TRUE);
  g_assert_false (nav_udp_connected_enabled ());
  g_setenv ("NAV_UDP_CONNECTED", "1", TRUE);
  g_assert_true (nav_udp_connected_enabled ());
  g_unsetenv ("NAV_UDP_CONNECTED");
}

int
main (int    argc,
      char **argv)
{
  g_unsetenv ("NAV_UDP_CONNECTED");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/udp-transport/connected/both-ways", test_both_ways);
  g_test_add_func ("/udp-transport/connected/switch-in-order", test_switch_in_order);
  g_test_add_func ("/udp-transport/connected/move", test_move);
  g_test_add_func ("/udp-transport/connected/port-not-shared", test_port_not_shared);
  g_test_add_func ("/udp-transport/connected/close", test_close);
  g_test_add_func ("/udp-transport/connected/enabled", test_enabled);

  return g_test_run ();
}
