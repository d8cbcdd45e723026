/* test-stun-server.c: the STUN server, client transactions and NAT
 * classification of the STUN tier
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>

#include <glib-unix.h>
#include <netavanue/netavanue.h>

#include "nav-stun-server.h"
#include "nav-stun-server-private.h"
#include "nav-stun-client.h"
#include "nav-nat-discovery.h"

/* Helpers */

static guint
server_port (NavStunServer *server)
{
  guint port = 0;

  g_object_get (server, "port", &port, NULL);
  return port;
}

static NavStunServer *
start_server (const gchar *alt_ip)
{
  const gchar *ips[] = { "127.0.0.1", NULL };
  NavStunServer *server;
  g_autoptr (GError) error = NULL;

  server = g_object_new (NAV_TYPE_STUN_SERVER,
                         "listening-ips", ips, "listening-port", 0,
                         "alt-listening-ip", alt_ip, "tls", FALSE,
                         "tcp-idle-timeout", 200, NULL);
  /* The suite runs again over worker threads (meson.build). */
  if (g_getenv ("NAV_TEST_STUN_THREADS") != NULL)
    g_object_set (server, "threads", (guint) atoi (g_getenv ("NAV_TEST_STUN_THREADS")), NULL);
  g_assert_true (nav_server_start (NAV_SERVER (server), &error));
  g_assert_no_error (error);
  return server;
}

static int
udp_socket_to (guint port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

  g_assert_cmpint (connect (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  return fd;
}

/* Runs the main context until a datagram arrives on @fd or ~500 ms pass. */
static gssize
exchange (int           fd,
          const guint8 *req,
          gsize         len,
          guint8       *rsp,
          gsize         size)
{
  gint64 deadline = g_get_monotonic_time () + 500000;

  g_assert_cmpint (send (fd, req, len, 0), ==, (gssize) len);
  while (g_get_monotonic_time () < deadline)
    {
      gssize n;

      g_main_context_iteration (NULL, FALSE);
      n = recv (fd, rsp, size, MSG_DONTWAIT);
      if (n >= 0)
        return n;
      g_usleep (1000);
    }
  return -1;
}

static GBytes *
request_with (guint16       type,
              const guint8 *value,
              gsize         len)
{
  g_autoptr (NavStunMessageBuilder) b =
    nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);

  if (type != 0)
    g_assert_true (nav_stun_message_builder_add_attribute (b, type, value, len, NULL));
  return nav_stun_message_builder_finish (b, NULL);
}

/* Tests */

static void
test_binding_success (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  g_autoptr (GBytes) req = request_with (0, NULL, 0);
  g_autoptr (NavStunMessage) msg = NULL;
  guint8 rsp[1024];
  NavAddress mapped;
  gssize n;
  int fd = udp_socket_to (server_port (server));

  n = exchange (fd, g_bytes_get_data (req, NULL), g_bytes_get_size (req), rsp, sizeof rsp);
  g_assert_cmpint (n, >, 0);
  msg = nav_stun_message_parse (rsp, n, NULL);
  g_assert_nonnull (msg);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL));
  g_assert_true (nav_address_is_loopback (&mapped));
  close (fd);
}

/* The answer to a header-only Binding request is written without the
 * codec's builder (nav-stun-server-answer.c): byte for byte what the
 * builder writes (XOR-MAPPED-ADDRESS, RFC 8489 §14.2; SOFTWARE, §14.14),
 * for IPv4 and IPv6 clients, random transaction IDs and several SOFTWARE
 * values; a SOFTWARE the codec refuses is still refused (the answer
 * dropped and counted), as before. */
static void
test_answer_matches_codec (void)
{
  g_autofree gchar *longest = g_strnfill (127, 'y');   /* RFC 8489 §14.14: < 128 characters */
  const gchar *softwares[] = {
    NULL, "", "a", "nav", "netavanue 1.0", "Ünïcödé — ソフト", longest,
  };
  const gchar *froms[] = { "198.51.100.7", "127.0.0.1", "2001:db8::1", "::1",
                           "fe80::1234:5678:9abc:def0", "255.255.255.255" };
  const guint ports[] = { 1, 3478, 40000, 65535 };

  for (guint s = 0; s < G_N_ELEMENTS (softwares); s++)
    for (guint f = 0; f < G_N_ELEMENTS (froms); f++)
      for (guint k = 0; k < G_N_ELEMENTS (ports); k++)
        {
          NavStunServerCounters counters = { 0 };
          NavStunAnswerer answerer;
          NavStunRequestInfo info = { 0 };
          NavAddress from, mapped;
          guint8 req[NAV_STUN_HEADER_LENGTH] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42 };
          guint8 out[NAV_STUN_SERVER_RESPONSE_SIZE], expected[NAV_STUN_SERVER_RESPONSE_SIZE];
          g_autoptr (NavStunMessageBuilder) b = NULL;
          g_autoptr (NavStunMessage) msg = NULL;
          gsize n, want;

          for (guint i = 8; i < NAV_STUN_HEADER_LENGTH; i++)
            req[i] = (guint8) g_test_rand_int_range (0, 256);
          nav_address_init (&from);
          g_assert_true (nav_address_set_ip_from_string (&from, froms[f], NULL));
          nav_address_set_port (&from, ports[k]);

          b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                                        NAV_STUN_METHOD_BINDING, req + 8,
                                                        expected, sizeof expected);
          g_assert_true (nav_stun_message_builder_add_xor_mapped_address (b, &from, NULL));
          if (softwares[s] != NULL)
            g_assert_true (nav_stun_message_builder_add_software (b, softwares[s], NULL));
          want = nav_stun_message_builder_finish_to_buffer (b, NULL);
          g_assert_cmpuint (want, >, NAV_STUN_HEADER_LENGTH);

          nav_stun_answerer_init (&answerer, softwares[s], &counters);
          info.from = &from;
          memset (out, 0xA5, sizeof out);
          n = nav_stun_server_answer (&answerer, req, sizeof req, &info, out, sizeof out);
          g_assert_cmpmem (out, n, expected, want);
          g_assert_cmpuint (counters.binding_success, ==, 1);
          g_assert_cmpuint (counters.dropped_build_failed, ==, 0);

          msg = nav_stun_message_parse (out, n, NULL);
          g_assert_nonnull (msg);
          g_assert_true (nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL));
          g_assert_true (nav_address_equal (&mapped, &from));

          /* Too small a buffer: no answer, counted, nothing written past it. */
          memset (out, 0xA5, sizeof out);
          g_assert_cmpuint (nav_stun_server_answer (&answerer, req, sizeof req, &info, out, want - 1),
                            ==, 0);
          g_assert_cmpuint (counters.dropped_build_failed, ==, 1);
          g_assert_cmpuint (out[want - 1], ==, 0xA5);
          nav_stun_answerer_clear (&answerer);
        }

  {
    /* 128 characters: over RFC 8489's limit, refused by the codec. */
    g_autofree gchar *too_long = g_strnfill (128, 'x');
    NavStunServerCounters counters = { 0 };
    NavStunAnswerer answerer;
    NavStunRequestInfo info = { 0 };
    NavAddress from;
    guint8 req[NAV_STUN_HEADER_LENGTH] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1 };
    guint8 out[NAV_STUN_SERVER_RESPONSE_SIZE];

    nav_address_init (&from);
    g_assert_true (nav_address_set_ip_from_string (&from, "192.0.2.1", NULL));
    nav_address_set_port (&from, 1234);
    nav_stun_answerer_init (&answerer, too_long, &counters);
    g_assert_null (answerer.software_attribute);
    info.from = &from;
    g_assert_cmpuint (nav_stun_server_answer (&answerer, req, sizeof req, &info, out, sizeof out), ==, 0);
    g_assert_cmpuint (counters.dropped_build_failed, ==, 1);
    g_assert_cmpuint (counters.binding_success, ==, 0);
    nav_stun_answerer_clear (&answerer);
  }
}

static void
test_unknown_attribute_420 (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  static const guint8 value[4] = { 1, 2, 3, 4 };
  g_autoptr (GBytes) req = request_with (0x0042, value, sizeof value);
  g_autoptr (NavStunMessage) msg = NULL;
  g_autofree guint16 *unknown = NULL;
  gsize n_unknown = 0;
  guint8 rsp[1024];
  guint code = 0;
  gssize n;
  int fd = udp_socket_to (server_port (server));

  n = exchange (fd, g_bytes_get_data (req, NULL), g_bytes_get_size (req), rsp, sizeof rsp);
  g_assert_cmpint (n, >, 0);
  msg = nav_stun_message_parse (rsp, n, NULL);
  g_assert_nonnull (msg);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_ERROR_RESPONSE);
  g_assert_true (nav_stun_message_get_error_code (msg, &code, NULL, NULL));
  g_assert_cmpuint (code, ==, 420);
  unknown = nav_stun_message_get_unknown_attributes (msg, &n_unknown, NULL);
  g_assert_cmpuint (n_unknown, ==, 1);
  g_assert_cmpuint (unknown[0], ==, 0x0042);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "error-420"), ==, 1);
  close (fd);
}

static void
test_bad_request_400 (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  /* An attribute running past the end of the message: the header is
   * sound, so the server answers 400 (RFC 8489 §6.3.1). */
  guint8 req[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42,
                     1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                     0x80, 0x22, 0x00, 0x40, 'a', 'b', 'c', 'd' };
  g_autoptr (NavStunMessage) msg = NULL;
  guint8 rsp[1024];
  guint code = 0;
  gssize n;
  int fd = udp_socket_to (server_port (server));

  n = exchange (fd, req, sizeof req, rsp, sizeof rsp);
  g_assert_cmpint (n, >, 0);
  msg = nav_stun_message_parse (rsp, n, NULL);
  g_assert_nonnull (msg);
  g_assert_true (nav_stun_message_get_error_code (msg, &code, NULL, NULL));
  g_assert_cmpuint (code, ==, 400);
  g_assert_true (nav_stun_message_has_transaction_id (msg, req + 8));
  /* CHANGE-REQUEST to a server without an alternate address: 420 */
  {
    guint8 flags[4] = { 0, 0, 0, NAV_STUN_CHANGE_REQUEST_IP };
    g_autoptr (GBytes) cr = request_with (NAV_STUN_ATTRIBUTE_CHANGE_REQUEST, flags, 4);
    g_autoptr (NavStunMessage) m2 = NULL;

    n = exchange (fd, g_bytes_get_data (cr, NULL), g_bytes_get_size (cr), rsp, sizeof rsp);
    g_assert_cmpint (n, >, 0);
    m2 = nav_stun_message_parse (rsp, n, NULL);
    g_assert_true (nav_stun_message_get_error_code (m2, &code, NULL, NULL));
    g_assert_cmpuint (code, ==, 420);
  }
  close (fd);
}

static void
test_garbage_survived (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  g_autoptr (GBytes) req = request_with (0, NULL, 0);
  guint8 junk[600], rsp[1024];
  int fd = udp_socket_to (server_port (server));
  guint i;
  guint64 dropped;

  for (i = 0; i < 2000; i++)
    {
      gsize len = g_random_int_range (0, sizeof junk);
      guint j;

      for (j = 0; j < len; j++)
        junk[j] = g_random_int ();
      if (i % 3 == 0 && len >= 20)
        {
          /* a valid-looking header over random attributes */
          junk[0] = 0; junk[1] = 1;
          junk[2] = ((len - 20) & ~3) >> 8; junk[3] = (len - 20) & 0xFC;
          junk[4] = 0x21; junk[5] = 0x12; junk[6] = 0xA4; junk[7] = 0x42;
          len = 20 + ((len - 20) & ~3);
        }
      else if (i % 3 == 1 && len >= 20)
        {
          /* an RFC 3489 Binding request header (no magic cookie) over
           * random attributes */
          junk[0] = 0; junk[1] = 1;
          junk[2] = ((len - 20) & ~3) >> 8; junk[3] = (len - 20) & 0xFC;
          len = 20 + ((len - 20) & ~3);
        }
      send (fd, junk, len, 0);
      if (i % 64 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
      while (recv (fd, rsp, sizeof rsp, MSG_DONTWAIT) >= 0)
        ;
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  while (recv (fd, rsp, sizeof rsp, MSG_DONTWAIT) >= 0)
    ;
  /* still answering */
  g_assert_cmpint (exchange (fd, g_bytes_get_data (req, NULL), g_bytes_get_size (req),
                             rsp, sizeof rsp), >, 0);
  dropped = nav_stun_server_get_counter (server, "dropped-not-stun") +
            nav_stun_server_get_counter (server, "dropped-malformed") +
            nav_stun_server_get_counter (server, "dropped-bad-fingerprint");
  g_assert_cmpuint (dropped, >, 0);
  close (fd);
}

/* The Binding request libnice 0.1.21 sends to discover its
 * server-reflexive candidate (NICE_COMPATIBILITY_RFC5245), captured on
 * loopback: an RFC 3489 request, no magic cookie. */
static const guint8 libnice_rfc3489_request[20] = {
  0x00, 0x01, 0x00, 0x00, 0x44, 0xce, 0x01, 0xe7, 0x67, 0x65,
  0x30, 0x48, 0x74, 0xd7, 0xe8, 0xb3, 0x2a, 0xe5, 0xb4, 0x6b
};

/* Parses an answer to an RFC 3489 request: checks the 128-bit transaction
 * ID came back whole, then reads it with the magic cookie put in place. */
static NavStunMessage *
parse_rfc3489_answer (const guint8 *req,
                      const guint8 *rsp,
                      gssize        n)
{
  guint8 copy[1024];
  g_autoptr (GError) error = NULL;
  NavStunMessage *msg;

  g_assert_cmpint (n, >=, 20);
  g_assert_cmpint (n, <=, (gssize) sizeof copy);
  g_assert_cmpmem (rsp + 4, 16, req + 4, 16);
  memcpy (copy, rsp, n);
  copy[4] = 0x21; copy[5] = 0x12; copy[6] = 0xA4; copy[7] = 0x42;
  msg = nav_stun_message_parse_full (copy, n, NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  /* RFC 3489 knows neither XOR-MAPPED-ADDRESS nor FINGERPRINT */
  g_assert_false (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS));
  g_assert_false (nav_stun_message_has_fingerprint (msg));
  return msg;
}

/* RFC 8489 §11.2: a Binding request without the magic cookie comes from
 * an RFC 3489 client; it is answered with MAPPED-ADDRESS. */
static void
test_rfc3489_request (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  g_autoptr (NavStunMessage) msg = NULL;
  struct sockaddr_in local;
  socklen_t sl = sizeof local;
  guint8 rsp[1024];
  NavAddress mapped;
  gssize n;
  int fd = udp_socket_to (server_port (server));

  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &local, &sl), ==, 0);
  n = exchange (fd, libnice_rfc3489_request, sizeof libnice_rfc3489_request,
                rsp, sizeof rsp);
  g_assert_cmpint (n, >, 0);
  g_assert_cmphex (rsp[0], ==, 0x01);
  g_assert_cmphex (rsp[1], ==, 0x01);
  msg = parse_rfc3489_answer (libnice_rfc3489_request, rsp, n);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_mapped_address (msg, &mapped, NULL));
  g_assert_true (nav_address_is_loopback (&mapped));
  g_assert_cmpuint (nav_address_get_port (&mapped), ==, ntohs (local.sin_port));
  g_assert_cmpuint (nav_stun_server_get_counter (server, "rfc3489-requests"), ==, 1);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "binding-success"), ==, 1);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "dropped-not-stun"), ==, 0);

  /* an unknown comprehension-required attribute: 420, ID echoed whole */
  {
    guint8 req[28] = { 0x00, 0x01, 0x00, 0x08, 9, 8, 7, 6,
                       1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                       0x00, 0x42, 0x00, 0x04, 'a', 'b', 'c', 'd' };
    g_autoptr (NavStunMessage) err = NULL;
    guint code = 0;

    n = exchange (fd, req, sizeof req, rsp, sizeof rsp);
    err = parse_rfc3489_answer (req, rsp, n);
    g_assert_cmpint (nav_stun_message_get_class (err), ==, NAV_STUN_CLASS_ERROR_RESPONSE);
    g_assert_true (nav_stun_message_get_error_code (err, &code, NULL, NULL));
    g_assert_cmpuint (code, ==, 420);
  }

  /* RFC 3489's Shared Secret request, and a Binding response, are not
   * answered */
  {
    guint8 req[20];

    memcpy (req, libnice_rfc3489_request, sizeof req);
    req[1] = 0x02;
    g_assert_cmpint (exchange (fd, req, sizeof req, rsp, sizeof rsp), <, 0);
    req[0] = 0x01; req[1] = 0x01;
    g_assert_cmpint (exchange (fd, req, sizeof req, rsp, sizeof rsp), <, 0);
    g_assert_cmpuint (nav_stun_server_get_counter (server, "dropped-not-stun"), ==, 2);
  }
  close (fd);
}

/* RFC 3489 §11.2.3, §11.2.5: a server with an alternate address tells an
 * RFC 3489 client where the answer comes from and the other address in
 * SOURCE-ADDRESS and CHANGED-ADDRESS. */
static void
test_rfc3489_request_alt (void)
{
  g_autoptr (NavStunServer) server = start_server ("127.0.0.2");
  g_autoptr (NavStunMessage) msg = NULL;
  guint8 rsp[1024];
  NavAddress source, changed;
  guint port = server_port (server);
  gssize n;
  int fd = udp_socket_to (port);

  n = exchange (fd, libnice_rfc3489_request, sizeof libnice_rfc3489_request,
                rsp, sizeof rsp);
  msg = parse_rfc3489_answer (libnice_rfc3489_request, rsp, n);
  g_assert_true (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS));
  g_assert_true (nav_stun_message_get_address (msg, 0x0004, &source, NULL));
  g_assert_true (nav_stun_message_get_address (msg, 0x0005, &changed, NULL));
  g_assert_cmpuint (nav_address_get_port (&source), ==, port);
  g_assert_cmpuint (nav_address_get_port (&changed), !=, port);
  g_assert_false (nav_address_equal (&source, &changed));
  g_assert_false (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_OTHER_ADDRESS));
  close (fd);
}

static void
test_tcp_half_open_closed (void)
{
  g_autoptr (NavStunServer) server = start_server (NULL);
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (server_port (server)),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gint64 deadline;
  /* A Binding request cut after 10 of its 20 header bytes: valid so far
   * (magic cookie included), so the server waits for the rest, which never
   * comes. */
  guint8 partial[10] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 0x01, 0x02 };

  g_assert_cmpint (connect (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (send (fd, partial, sizeof partial, 0), ==, sizeof partial);
  /* a failure guard, not a timing assertion: the idle timeout is 200 ms */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (nav_stun_server_get_counter (server, "tcp-idle-closed") == 0 &&
         g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  g_test_message ("accepted=%" G_GUINT64_FORMAT, nav_stun_server_get_counter (server, "tcp-accepted"));
  g_assert_cmpuint (nav_stun_server_get_counter (server, "tcp-idle-closed"), ==, 1);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "tcp-connections"), ==, 0);
  close (fd);
}

/* Client retransmissions against a fake server that ignores the first
 * requests (RFC 8489 §6.2.1). */

typedef struct
{
  int fd;
  guint ignore;
  guint seen;
  guint8 last_id[12];
  gboolean same_id;
} FakeServer;

static gboolean
fake_readable (gint fd, GIOCondition cond, gpointer user_data)
{
  FakeServer *f = user_data;
  guint8 buf[1024], out[256];
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  gssize n;

  while ((n = recvfrom (fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &ss, &sl)) > 0)
    {
      g_autoptr (NavStunMessage) req = nav_stun_message_parse (buf, n, NULL);
      g_autoptr (NavStunMessageBuilder) b = NULL;
      NavAddress from;
      gsize len;

      g_assert_nonnull (req);
      if (f->seen > 0)
        f->same_id = f->same_id && memcmp (f->last_id, nav_stun_message_get_transaction_id (req), 12) == 0;
      memcpy (f->last_id, nav_stun_message_get_transaction_id (req), 12);
      if (++f->seen <= f->ignore)
        continue;
      nav_address_set_from_sockaddr (&from, (struct sockaddr *) &ss, sl);
      b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                                    NAV_STUN_METHOD_BINDING,
                                                    f->last_id, out, sizeof out);
      nav_stun_message_builder_add_xor_mapped_address (b, &from, NULL);
      len = nav_stun_message_builder_finish_to_buffer (b, NULL);
      sendto (fd, out, len, 0, (struct sockaddr *) &ss, sl);
      sl = sizeof ss;
    }
  return G_SOURCE_CONTINUE;
}

static void
got_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
run_retransmit (guint                  ignore,
                NavStunBindingResult **result,
                GError               **error)
{
  FakeServer f = { 0 };
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  g_autoptr (NavStunClient) client = nav_stun_client_new (NULL);
  NavStunRetransmitParams params = { .rto_ms = 5, .rc = 7, .rm = 4, .ti_ms = 1000 };
  GAsyncResult *res = NULL;
  NavAddress server;
  guint id;

  f.fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  f.ignore = ignore;
  f.same_id = TRUE;
  bind (f.fd, (struct sockaddr *) &a, sizeof a);
  getsockname (f.fd, (struct sockaddr *) &a, &l);
  nav_address_set_from_sockaddr (&server, (struct sockaddr *) &a, l);
  id = g_unix_fd_add (f.fd, G_IO_IN, fake_readable, &f);

  nav_stun_client_set_retransmit_params (client, &params);
  nav_stun_client_request_async (client, &server, NAV_STUN_PROTOCOL_UDP, 0, NULL, got_result, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  *result = nav_stun_client_request_finish (client, res, error);
  g_object_unref (res);
  g_source_remove (id);
  close (f.fd);
  /* every retransmission is the same transaction */
  g_assert_true (f.same_id);
  g_assert_cmpuint (f.seen, ==, MIN (ignore + 1, params.rc));
}

static void
test_client_retransmits (void)
{
  guint ignore;

  for (ignore = 0; ignore < 7; ignore++)
    {
      g_autoptr (NavStunBindingResult) r = NULL;
      g_autoptr (GError) error = NULL;

      run_retransmit (ignore, &r, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (r->transmissions, ==, ignore + 1);
    }
}

static void
test_client_gives_up_after_rc (void)
{
  g_autoptr (NavStunBindingResult) r = NULL;
  g_autoptr (GError) error = NULL;

  run_retransmit (100, &r, &error);
  g_assert_error (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT);
  g_assert_null (r);
}

/* NAT classification from simulated observations (RFC 5780 §4.3, §4.4) */

static void
observe (NavNatObservations *o,
         gboolean            nat,
         gint                mapping,   /* 0 EI, 1 AD, 2 APD */
         gint                filtering) /* 0 EI, 1 AD, 2 APD */
{
  memset (o, 0, sizeof *o);
  nav_address_set_from_string (&o->local, "192.168.1.2:5000", NULL);
  o->test1_ok = TRUE;
  o->has_other_address = TRUE;
  nav_address_set_from_string (&o->other_address, "198.51.100.2:3479", NULL);
  if (!nat)
    o->test1_mapped = o->local;
  else
    nav_address_set_from_string (&o->test1_mapped, "203.0.113.1:40000", NULL);
  o->map2_ok = TRUE;
  o->map2_mapped = o->test1_mapped;
  if (nat && mapping > 0)
    nav_address_set_from_string (&o->map2_mapped, "203.0.113.1:40001", NULL);
  o->map3_ok = TRUE;
  o->map3_mapped = o->map2_mapped;
  if (nat && mapping == 2)
    nav_address_set_from_string (&o->map3_mapped, "203.0.113.1:40002", NULL);
  o->filter2_ok = filtering == 0;
  o->filter3_ok = filtering <= 1;
}

static void
test_nat_classification (void)
{
  NavNatObservations o;
  NavNatClassification c;

  observe (&o, FALSE, 0, 0);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_OPEN_INTERNET);
  observe (&o, FALSE, 0, 2);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_FIREWALL);
  observe (&o, TRUE, 0, 0);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.mapping, ==, NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_FULL_CONE);
  observe (&o, TRUE, 0, 1);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_RESTRICTED_CONE);
  observe (&o, TRUE, 0, 2);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_PORT_RESTRICTED_CONE);
  observe (&o, TRUE, 1, 2);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.mapping, ==, NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_SYMMETRIC);
  observe (&o, TRUE, 2, 2);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.mapping, ==, NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_SYMMETRIC);
  memset (&o, 0, sizeof o);
  nav_nat_classify (&o, &c);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_UDP_BLOCKED);

  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_SYMMETRIC, NAV_NAT_TYPE_SYMMETRIC, NULL),
                   ==, NAV_NAT_STRATEGY_RELAY_ONLY);
  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_PORT_RESTRICTED_CONE, NAV_NAT_TYPE_SYMMETRIC, NULL),
                   ==, NAV_NAT_STRATEGY_RELAY_ONLY);
  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_SYMMETRIC, NAV_NAT_TYPE_RESTRICTED_CONE, NULL),
                   ==, NAV_NAT_STRATEGY_DIRECT_THEN_RELAY);
  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_PORT_RESTRICTED_CONE, NAV_NAT_TYPE_PORT_RESTRICTED_CONE, NULL),
                   ==, NAV_NAT_STRATEGY_DIRECT);
  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_FULL_CONE, NAV_NAT_TYPE_SYMMETRIC, NULL),
                   ==, NAV_NAT_STRATEGY_DIRECT);
  g_assert_cmpint (nav_nat_strategy_for_pair (NAV_NAT_TYPE_UDP_BLOCKED, NAV_NAT_TYPE_OPEN_INTERNET, NULL),
                   ==, NAV_NAT_STRATEGY_RELAY_ONLY);
}

static void
discovered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_nat_discovery_loopback (void)
{
  g_autoptr (NavStunServer) server = start_server ("127.0.0.2");
  g_autoptr (NavStunClient) client = nav_stun_client_new (NULL);
  NavStunRetransmitParams params = { .rto_ms = 20, .rc = 3, .rm = 4, .ti_ms = 1000 };
  g_autoptr (GError) error = NULL;
  GAsyncResult *res = NULL;
  NavNatClassification c;
  NavAddress addr;

  nav_address_set_from_string (&addr, "127.0.0.1:1", NULL);
  nav_address_set_port (&addr, server_port (server));
  nav_stun_client_set_retransmit_params (client, &params);
  nav_nat_discover_async (client, &addr, NULL, discovered, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (nav_nat_discover_finish (client, res, &c, &error));
  g_assert_no_error (error);
  g_object_unref (res);
  g_assert_cmpint (c.type, ==, NAV_NAT_TYPE_OPEN_INTERNET);
  g_assert_cmpint (c.filtering, ==, NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "change-request"), ==, 2);
}

/* Issue 22: four worker threads, each datagram on any of them (random
 * steering): every Binding request of sixteen clients is answered with
 * the client's own address, and the workers' counters add up. */
static void
test_threads (void)
{
  const gchar *ips[] = { "127.0.0.1", NULL };
  g_autoptr (NavStunServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) req = request_with (0, NULL, 0);
  int fds[16];
  guint answered = 0;

  server = g_object_new (NAV_TYPE_STUN_SERVER, "listening-ips", ips, "listening-port", 0,
                         "tls", FALSE, "tcp", FALSE, "threads", 4, "steering", "random", NULL);
  g_assert_true (nav_server_start (NAV_SERVER (server), &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    fds[i] = udp_socket_to (server_port (server));
  for (guint round = 0; round < 8; round++)
    for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
      {
        g_autoptr (NavStunMessage) msg = NULL;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        NavAddress mapped, mine;
        guint8 rsp[1024];
        gssize n = exchange (fds[i], g_bytes_get_data (req, NULL), g_bytes_get_size (req), rsp, sizeof rsp);

        g_assert_cmpint (n, >, 0);
        msg = nav_stun_message_parse (rsp, n, NULL);
        g_assert_nonnull (msg);
        g_assert_true (nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL));
        g_assert_cmpint (getsockname (fds[i], (struct sockaddr *) &ss, &sl), ==, 0);
        nav_address_set_from_sockaddr (&mine, (struct sockaddr *) &ss, sl);
        g_assert_true (nav_address_equal (&mapped, &mine));
        answered++;
      }
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "threads"), ==, 4);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "binding-success"), ==, answered);
  g_assert_cmpuint (nav_stun_server_get_counter (server, "udp-received"), ==, answered);
  nav_server_stop (NAV_SERVER (server));
  /* a stopped server keeps the counts of its run, every thread's */
  g_assert_cmpuint (nav_stun_server_get_counter (server, "udp-responses"), ==, answered);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun-server/binding-success", test_binding_success);
  g_test_add_func ("/stun-server/answer-matches-codec", test_answer_matches_codec);
  g_test_add_func ("/stun-server/unknown-attribute-420", test_unknown_attribute_420);
  g_test_add_func ("/stun-server/bad-request-400", test_bad_request_400);
  g_test_add_func ("/stun-server/garbage-survived-and-counted", test_garbage_survived);
  g_test_add_func ("/stun-server/rfc3489-request", test_rfc3489_request);
  g_test_add_func ("/stun-server/rfc3489-request-alt", test_rfc3489_request_alt);
  g_test_add_func ("/stun-server/tcp-half-open-closed", test_tcp_half_open_closed);
  g_test_add_func ("/stun-server/threads", test_threads);
  g_test_add_func ("/stun-client/retransmits-until-answered", test_client_retransmits);
  g_test_add_func ("/stun-client/gives-up-after-rc", test_client_gives_up_after_rc);
  g_test_add_func ("/nat/classification", test_nat_classification);
  g_test_add_func ("/nat/discovery-loopback", test_nat_discovery_loopback);
  return g_test_run ();
}
