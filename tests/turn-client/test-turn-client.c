/* test-turn-client.c: the TURN client's framing, garbage handling,
 * credentials and connect timeout
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-turn-client.h"
#include "nav-turn-gatherer.h"

typedef struct
{
  guint count;
  GByteArray *last;
  NavAddress from;
} Received;

static void
on_data (gpointer          client,
         const guint8     *data,
         gsize             len,
         const NavAddress *from,
         gpointer          user_data)
{
  Received *r = user_data;

  r->count++;
  g_byte_array_set_size (r->last, 0);
  g_byte_array_append (r->last, data, len);
  r->from = *from;
}

static GBytes *
data_indication (const NavAddress *peer,
                 const gchar      *payload)
{
  g_autoptr (NavStunMessageBuilder) b =
    nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_DATA, NULL);

  g_assert_true (nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                           peer, NULL));
  g_assert_true (nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA,
                                                         (const guint8 *) payload,
                                                         strlen (payload), NULL));
  return nav_stun_message_builder_finish (b, NULL);
}

static NavTurnClient *
new_client (void)
{
  NavTurnClientConfig cfg;
  NavTurnClient *client;

  nav_turn_client_config_init (&cfg);
  nav_address_set_from_string (&cfg.server, "127.0.0.1:9", NULL);
  cfg.protocol = NAV_STUN_PROTOCOL_TCP;
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);
  return client;
}

/* RFC 8656 §12.5: the first two bits tell STUN from ChannelData, whose
 * length is padded to four bytes on a stream. */
static void
test_frame_length (void)
{
  guint8 stun[20] = { 0x00, 0x17, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42 };
  guint8 chan[4] = { 0x40, 0x00, 0x00, 0x05 };
  guint8 bad_chan[4] = { 0x50, 0x00, 0x00, 0x05 };
  guint8 bad_cookie[8] = { 0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef };
  guint8 bad_len[8] = { 0x00, 0x01, 0x00, 0x03, 0x21, 0x12, 0xA4, 0x42 };
  guint8 high[4] = { 0x80, 0x00, 0x00, 0x00 };

  g_assert_cmpint (nav_net_turn_frame_length (stun, 3), ==, 0);
  g_assert_cmpint (nav_net_turn_frame_length (stun, 4), ==, 0);
  g_assert_cmpint (nav_net_turn_frame_length (stun, 8), ==, 28);
  g_assert_cmpint (nav_net_turn_frame_length (chan, 4), ==, 12);
  chan[3] = 8;
  g_assert_cmpint (nav_net_turn_frame_length (chan, 4), ==, 12);
  chan[3] = 0;
  g_assert_cmpint (nav_net_turn_frame_length (chan, 4), ==, 4);
  g_assert_cmpint (nav_net_turn_frame_length (bad_chan, 4), ==, -1);
  g_assert_cmpint (nav_net_turn_frame_length (bad_cookie, 8), ==, -1);
  g_assert_cmpint (nav_net_turn_frame_length (bad_len, 8), ==, -1);
  g_assert_cmpint (nav_net_turn_frame_length (high, 4), ==, -1);
}

/* A stream mixing Data indications, ChannelData for an unknown channel
 * and bytes that are neither: the indications are delivered, the rest
 * ignored and counted, whatever the chunking. */
static void
test_mixed_stream (void)
{
  NavAddress peer;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;
  g_autoptr (GBytes) chan = NULL;
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  static const guint8 junk[] = { 0xff, 0xfe, 0x80, 0x01, 0xc0, 0x00, 0x00 };
  const gsize chunks[] = { 1, 3, 7, 64, 0 };

  nav_address_set_from_string (&peer, "192.0.2.7:4242", NULL);
  first = data_indication (&peer, "hello");
  second = data_indication (&peer, "world!");
  chan = nav_stun_channel_data_new (0x4001, (const guint8 *) "abc", 3, TRUE);
  g_byte_array_append (stream, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_byte_array_append (stream, g_bytes_get_data (chan, NULL), g_bytes_get_size (chan));
  g_byte_array_append (stream, junk, sizeof junk);
  g_byte_array_append (stream, g_bytes_get_data (second, NULL), g_bytes_get_size (second));

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr (NavTurnClient) client = new_client ();
      Received r = { 0, g_byte_array_new () };
      gsize step = chunks[c] != 0 ? chunks[c] : stream->len;

      nav_turn_client_set_receive_func (client, on_data, &r);
      for (gsize off = 0; off < stream->len; off += step)
        nav_turn_client_feed_stream (client, stream->data + off, MIN (step, stream->len - off));
      g_assert_cmpuint (r.count, ==, 2);
      g_assert_cmpmem (r.last->data, r.last->len, "world!", 6);
      g_assert_true (nav_address_equal (&r.from, &peer));
      /* the unknown channel, and the junk run */
      g_assert_cmpuint (nav_turn_client_get_garbage (client), >=, 2);
      g_byte_array_unref (r.last);
    }
}

/* Random bytes from the server never crash the client. */
static void
test_garbage_fuzz (void)
{
  g_autoptr (NavTurnClient) client = new_client ();
  Received r = { 0, g_byte_array_new () };
  GRand *rand = g_rand_new_with_seed (4);
  guint8 buf[512];

  nav_turn_client_set_receive_func (client, on_data, &r);
  for (guint i = 0; i < 2000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, sizeof buf);

      for (gsize j = 0; j < len; j++)
        buf[j] = g_rand_int (rand);
      /* Plausible headers now and then, so the parsers get exercised. */
      if (len >= 8 && (i % 3) == 0)
        {
          buf[0] = (i % 2) ? 0x40 : 0x00;
          buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xA4; buf[7] = 0x42;
        }
      nav_turn_client_feed_stream (client, buf, len);
    }
  g_assert_cmpuint (nav_turn_client_get_garbage (client), >, 0);
  g_rand_free (rand);
  g_byte_array_unref (r.last);
}

/* The TURN REST API convention, checked against RFC 2104 HMAC-SHA1 computed
 * elsewhere (hex cfe4d8d6…). */
static void
test_rest_credentials (void)
{
  g_autofree gchar *user = nav_turn_rest_username ("bob", 1600000000);
  g_autofree gchar *password = nav_turn_rest_password ("s3cret", user);

  g_assert_cmpstr (user, ==, "1600000000:bob");
  g_assert_cmpstr (password, ==, "z+TY1quCuhAI9GWLtuijOX3+8+o=");
}

/* The silent TLS server of the connect-timeout tests: it accepts and never
 * answers.  Once the client has given up, the test waits for the client to
 * close its end, so that no TLS handshake thread outlives the test. */
typedef struct
{
  GSocketConnection *connection;
  guint8 byte[256];
  gboolean closed;
} Silent;

static void
silent_read_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Silent *s = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      s->closed = TRUE;
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), s->byte, sizeof s->byte,
                             G_PRIORITY_DEFAULT, NULL, silent_read_done, s);
}

static void
silent_accepted (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Silent *s = user_data;

  s->connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result,
                                                   NULL, NULL);
  g_assert_nonnull (s->connection);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (s->connection)),
                             s->byte, sizeof s->byte, G_PRIORITY_DEFAULT, NULL,
                             silent_read_done, s);
}

static void
silent_wait_closed (Silent *s)
{
  while (!s->closed || nav_turn_client_get_live_connections () > 0)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&s->connection);
}

static void
allocate_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (nav_turn_client_allocate_finish (NAV_TURN_CLIENT (source), result, error));
}

/* A server that accepts the TCP connection and never speaks TLS: the
 * connect timeout ends the allocation (libnice's TURN-over-TLS hang). */
static void
test_tls_connect_timeout (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (NavTurnClient) client = NULL;
  g_autoptr (GError) error = NULL;
  NavTurnClientConfig cfg;
  Silent silent = { 0 };

  g_assert_true (g_socket_listener_add_address (listener, any, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  g_socket_listener_accept_async (listener, NULL, silent_accepted, &silent);
  nav_turn_client_config_init (&cfg);
  nav_address_set_from_socket_address (&cfg.server, bound, NULL);
  cfg.protocol = NAV_STUN_PROTOCOL_TLS;
  cfg.tls_insecure = TRUE;
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  cfg.connect_timeout_ms = 200;
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);

  nav_turn_client_allocate_async (client, NULL, allocate_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_TIMED_OUT);
  g_clear_object (&client);
  silent_wait_closed (&silent);
}

/* A closed UDP port: ICMP port unreachable ends the allocation. */
static void
test_udp_unreachable (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (NavTurnClient) client = NULL;
  g_autoptr (GError) error = NULL;
  NavTurnClientConfig cfg;

  /* Bind, learn the port, close: nothing listens there any more. */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  g_socket_close (socket, NULL);
  nav_turn_client_config_init (&cfg);
  nav_address_set_from_socket_address (&cfg.server, bound, NULL);
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  cfg.params.rto_ms = 50;
  cfg.params.rc = 3;
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);

  nav_turn_client_allocate_async (client, NULL, allocate_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_error_matches (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNREACHABLE) ||
                 g_error_matches (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_TIMED_OUT));
}

static void
on_done (NavGatherer *gatherer,
         guint        stream_id,
         guint        component_id,
         gpointer     user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_candidate (NavGatherer  *gatherer,
              NavCandidate *candidate,
              gpointer      user_data)
{
  (*(guint *) user_data)++;
}

/* The relay gatherer says done, with no candidate, when the server is
 * unreachable: gathering never hangs. */
static void
test_gatherer_unreachable (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (NavGatherer) gatherer = NULL;
  g_autoptr (GPtrArray) bases = g_ptr_array_new ();
  g_autofree gchar *server = NULL;
  gboolean done = FALSE;
  guint candidates = 0;
  Silent silent = { 0 };

  g_assert_true (g_socket_listener_add_address (listener, any, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  g_socket_listener_accept_async (listener, NULL, silent_accepted, &silent);
  server = g_strdup_printf ("127.0.0.1:%u",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  gatherer = g_object_new (NAV_TYPE_TURN_GATHERER, "server", server, "transport", "tls",
                           "username", "alice", "password", "secret",
                           "tls-insecure", TRUE, "connect-timeout", 200, NULL);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_done), &done);
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate), &candidates);
  nav_gatherer_gather (gatherer, 1, 1, bases);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (candidates, ==, 0);
  g_clear_object (&gatherer);
  silent_wait_closed (&silent);
}


/* A scripted server on a loopback UDP socket (unit level: coturn does not
 * offer SHA-256, RFC 8489 §9.2): it challenges with PASSWORD-ALGORITHMS
 * listing SHA-256 first, checks that the retry uses the SHA-256 key and
 * MESSAGE-INTEGRITY-SHA256, then answers first with a success response
 * signed with the wrong key, which the client must ignore and count, and
 * then with the real one. */
typedef struct
{
  GSocket *socket;
  guint requests;
  gboolean sha256_checked;
  NavAddress relayed;
} Scripted;

static void
scripted_send (Scripted       *sc,
               GSocketAddress *to,
               GBytes         *bytes)
{
  g_assert_cmpint (g_socket_send_to (sc->socket, to, g_bytes_get_data (bytes, NULL),
                                     g_bytes_get_size (bytes), NULL, NULL), >, 0);
}

static GBytes *
scripted_success (NavStunMessage   *request,
                  const NavAddress *mapped,
                  const NavAddress *relayed,
                  GBytes           *key)
{
  g_autoptr (NavStunMessageBuilder) b =
    nav_stun_message_builder_new_response (request, NAV_STUN_CLASS_SUCCESS_RESPONSE);

  g_assert_true (nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                           relayed, NULL));
  g_assert_true (nav_stun_message_builder_add_xor_mapped_address (b, mapped, NULL));
  g_assert_true (nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, 600, NULL));
  g_assert_true (nav_stun_message_builder_add_message_integrity_sha256 (
                   b, g_bytes_get_data (key, NULL), g_bytes_get_size (key), 0, NULL));
  return nav_stun_message_builder_finish (b, NULL);
}

static gboolean
scripted_readable (GSocket      *socket,
                   GIOCondition  condition,
                   gpointer      user_data)
{
  Scripted *sc = user_data;
  guint8 buf[2048];
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (NavStunMessage) req = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, NULL);
  NavAddress mapped;

  if (n <= 0)
    return G_SOURCE_CONTINUE;
  req = nav_stun_message_parse (buf, n, NULL);
  g_assert_nonnull (req);
  g_assert_cmpuint (nav_stun_message_get_method (req), ==, NAV_STUN_METHOD_ALLOCATE);
  sc->requests++;
  nav_address_set_from_socket_address (&mapped, from, NULL);

  if (!nav_stun_message_has_attribute (req, NAV_STUN_ATTRIBUTE_USERNAME))
    {
      g_autoptr (NavStunMessageBuilder) b =
        nav_stun_message_builder_new_response (req, NAV_STUN_CLASS_ERROR_RESPONSE);
      const guint16 algorithms[] = { NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                     NAV_STUN_PASSWORD_ALGORITHM_MD5 };
      g_autoptr (GBytes) bytes = NULL;

      g_assert_true (nav_stun_message_builder_add_error_code (b, 401, "Unauthorized", NULL));
      g_assert_true (nav_stun_message_builder_add_realm (b, "example.org", NULL));
      g_assert_true (nav_stun_message_builder_add_nonce (b, "obMatJos2AAABnonce", NULL));
      g_assert_true (nav_stun_message_builder_add_password_algorithms (b, algorithms, 2, NULL));
      bytes = nav_stun_message_builder_finish (b, NULL);
      scripted_send (sc, from, bytes);
    }
  else
    {
      g_autoptr (GBytes) key = nav_stun_derive_long_term_key ("alice", "example.org", "secret",
                                                              NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                                              NULL);
      g_autoptr (GBytes) wrong = nav_stun_derive_long_term_key ("alice", "example.org", "guess",
                                                                NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                                                NULL);
      g_autoptr (GBytes) forged = NULL;
      g_autoptr (GBytes) real = NULL;
      guint algorithm = 0;

      g_assert_true (nav_stun_message_has_message_integrity_sha256 (req));
      g_assert_true (nav_stun_message_get_password_algorithm (req, &algorithm, NULL));
      g_assert_cmpuint (algorithm, ==, NAV_STUN_PASSWORD_ALGORITHM_SHA256);
      g_assert_true (nav_stun_message_check_integrity (req, g_bytes_get_data (key, NULL),
                                                       g_bytes_get_size (key), NULL));
      sc->sha256_checked = TRUE;
      forged = scripted_success (req, &mapped, &sc->relayed, wrong);
      real = scripted_success (req, &mapped, &sc->relayed, key);
      scripted_send (sc, from, forged);
      scripted_send (sc, from, real);
    }
  return G_SOURCE_CONTINUE;
}

static void
allocate_ok (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_turn_client_allocate_finish (NAV_TURN_CLIENT (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
test_sha256_and_forged_response (void)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (NavTurnClient) client = NULL;
  GSource *source;
  Scripted sc = { 0 };
  NavTurnClientConfig cfg;
  gboolean done = FALSE;

  sc.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (sc.socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (sc.socket, NULL);
  nav_address_set_from_string (&sc.relayed, "198.51.100.9:50000", NULL);
  source = g_socket_create_source (sc.socket, G_IO_IN, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (scripted_readable), &sc, NULL);
  g_source_attach (source, NULL);

  nav_turn_client_config_init (&cfg);
  nav_address_set_from_socket_address (&cfg.server, bound, NULL);
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);

  nav_turn_client_allocate_async (client, NULL, allocate_ok, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (sc.sha256_checked);
  g_assert_true (nav_address_equal (nav_turn_client_get_relayed_address (client, 0), &sc.relayed));
  g_assert_cmpuint (nav_turn_client_get_lifetime (client), ==, 600);
  /* The forged response arrived first and was dropped. */
  g_assert_cmpuint (nav_turn_client_get_garbage (client), ==, 1);

  g_clear_object (&client);
  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (sc.socket);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/turn-client/frame-length", test_frame_length);
  g_test_add_func ("/turn-client/mixed-stream", test_mixed_stream);
  g_test_add_func ("/turn-client/garbage-fuzz", test_garbage_fuzz);
  g_test_add_func ("/turn-client/rest-credentials", test_rest_credentials);
  g_test_add_func ("/turn-client/tls-connect-timeout", test_tls_connect_timeout);
  g_test_add_func ("/turn-client/udp-unreachable", test_udp_unreachable);
  g_test_add_func ("/turn-client/gatherer-unreachable", test_gatherer_unreachable);
  g_test_add_func ("/turn-client/sha256-and-forged-response", test_sha256_and_forged_response);
  return g_test_run ();
}
