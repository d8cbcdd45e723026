/* test-net.c: the socket and framing layer (core/net): framing of every
 * stream protocol, garbage fed to it, the STUN retransmission schedule,
 * streams over loopback (plain and TLS), and the accept loop's back-off
 * when descriptors run out
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netavanue/netavanue.h>

#include "nav-net.h"
#include "nav-net-tls.h"

/* wait_for (), TIMEOUT_SECONDS */
#include "agent-test-util.h"

/* ---------------------------------------------------------- framing */

static void
test_framing_lengths (void)
{
  guint8 rfc4571[4] = { 0x00, 0x02, 'h', 'i' };
  guint8 stun[20] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42 };
  guint8 classic[8] = { 0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef };
  guint8 chan_5766[4] = { 0x7F, 0xFF, 0x00, 0x05 };

  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_RFC4571, rfc4571, 1), ==, 0);
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_RFC4571, rfc4571, 4), ==, 4);
  g_assert_cmpuint (nav_net_frame_header (NAV_NET_FRAMING_RFC4571), ==, 2);
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_STUN, stun, 3), ==, 0);
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_STUN, stun, 8), ==, 28);
  /* no magic cookie: not STUN over TCP */
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_STUN, classic, 8), ==, -1);
  /* RFC 5766's channel range, which a server accepts and a client not */
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_TURN, chan_5766, 4), ==, -1);
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_TURN_SERVER, chan_5766, 4), ==, 12);
  g_assert_cmpint (nav_net_frame_length (NAV_NET_FRAMING_RAW, chan_5766, 3), ==, 3);
}

typedef struct
{
  guint frames;
  gsize bytes;
  guint garbage;
  gboolean resync;
  gboolean closed;
  GError *error;
  GByteArray *last;
} Sink;

static void
sink_frame (NavNetStream *stream,
            const guint8 *data,
            gsize         len,
            gpointer      user_data)
{
  Sink *s = user_data;

  s->frames++;
  s->bytes += len;
  if (s->last != NULL)
    {
      g_byte_array_set_size (s->last, 0);
      g_byte_array_append (s->last, data, len);
    }
}

static gboolean
sink_garbage (NavNetStream *stream,
              gpointer      user_data)
{
  Sink *s = user_data;

  s->garbage++;
  return s->resync;
}

static void
sink_closed (NavNetStream *stream,
             const GError *error,
             gpointer      user_data)
{
  Sink *s = user_data;

  s->closed = TRUE;
  g_clear_error (&s->error);
  s->error = g_error_copy (error);
}

static const NavNetStreamFuncs sink_funcs = {
  sink_frame, sink_garbage, NULL, sink_closed, NULL, NULL,
};

/* Frames split anywhere are delivered whole, once. */
static void
test_framing_split (void)
{
  static const NavNetFraming framings[] = {
    NAV_NET_FRAMING_RFC4571, NAV_NET_FRAMING_STUN, NAV_NET_FRAMING_TURN
  };
  g_autoptr (GByteArray) stream_bytes = g_byte_array_new ();
  guint8 stun[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42 };
  guint8 rfc4571[5] = { 0x00, 0x03, 'a', 'b', 'c' };

  for (guint f = 0; f < G_N_ELEMENTS (framings); f++)
    for (gsize step = 1; step <= 30; step++)
      {
        Sink s = { 0 };
        NavNetStream *stream = nav_net_stream_new_detached (NULL, framings[f], &sink_funcs, &s);

        g_byte_array_set_size (stream_bytes, 0);
        for (guint i = 0; i < 10; i++)
          {
            if (framings[f] == NAV_NET_FRAMING_RFC4571)
              g_byte_array_append (stream_bytes, rfc4571, sizeof rfc4571);
            else
              g_byte_array_append (stream_bytes, stun, sizeof stun);
          }
        for (gsize off = 0; off < stream_bytes->len; off += step)
          nav_net_stream_feed (stream, stream_bytes->data + off,
                               MIN (step, stream_bytes->len - off));
        g_assert_cmpuint (s.frames, ==, 10);
        g_assert_false (s.closed);
        nav_net_stream_unref (stream);
      }
}

/* Every parser of network bytes has a garbage test: random bytes, and
 * plausible headers over random bodies, never crash the framing; a stream
 * that does not resynchronise closes with a protocol error. */
static void
test_framing_garbage (void)
{
  static const NavNetFraming framings[] = {
    NAV_NET_FRAMING_RFC4571, NAV_NET_FRAMING_STUN, NAV_NET_FRAMING_TURN,
    NAV_NET_FRAMING_TURN_SERVER, NAV_NET_FRAMING_RAW
  };
  GRand *rand = g_rand_new_with_seed (13);

  for (guint f = 0; f < G_N_ELEMENTS (framings); f++)
    for (guint resync = 0; resync < 2; resync++)
      {
        Sink s = { 0 };
        NavNetStream *stream = nav_net_stream_new_detached (NULL, framings[f], &sink_funcs, &s);

        s.resync = resync;
        for (guint i = 0; i < 3000 && !s.closed; i++)
          {
            guint8 buf[300];
            gsize len = g_rand_int_range (rand, 0, sizeof buf);

            for (gsize j = 0; j < len; j++)
              buf[j] = g_rand_int (rand);
            if (len >= 8 && i % 3 == 0)
              {
                buf[0] = (i % 2) ? 0x40 : 0x00;
                buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xA4; buf[7] = 0x42;
              }
            nav_net_stream_feed (stream, buf, len);
          }
        if (framings[f] == NAV_NET_FRAMING_RAW)
          g_assert_false (s.closed);
        else if (framings[f] != NAV_NET_FRAMING_RFC4571)
          {
            /* RFC 4571 has no garbage: any two bytes are a length. */
            g_assert_cmpuint (s.garbage, >, 0);
            if (!resync)
              g_assert_error (s.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL);
          }
        g_clear_error (&s.error);
        nav_net_stream_unref (stream);
      }
  g_rand_free (rand);
}

/* ---------------------------------------- retransmission schedule */

/* RFC 8489 §6.2.1: with RTO 500 ms, Rc 7 and Rm 16 the requests leave at
 * 0, 500, 1500, 3500, 7500, 15500 and 31500 ms, and the transaction times
 * out at 39500 ms. */
static void
test_schedule_unreliable (void)
{
  NavStunRetransmit r;
  NavStunRetransmitParams params;
  static const guint sent_at[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
  gint64 now = 0;
  guint wait, i;

  nav_stun_retransmit_params_init (&params);
  wait = nav_stun_retransmit_start (&r, &params, NAV_STUN_RETRANSMIT_UNRELIABLE, now);
  for (i = 1; i < G_N_ELEMENTS (sent_at); i++)
    {
      now += (gint64) wait * 1000;
      g_assert_cmpint (now / 1000, ==, sent_at[i]);
      g_assert_true (nav_stun_retransmit_next (&r, now, &wait));
    }
  now += (gint64) wait * 1000;
  g_assert_cmpint (now / 1000, ==, 39500);
  g_assert_false (nav_stun_retransmit_next (&r, now, &wait));
  g_assert_cmpuint (r.transmissions, ==, 7);
}

/* Rm 0: the last wait is twice the last interval (the ICE checks' way). */
static void
test_schedule_rm_zero (void)
{
  NavStunRetransmit r;
  NavStunRetransmitParams params = { .rto_ms = 100, .rc = 3, .rm = 0, .ti_ms = 1000 };
  guint wait;

  g_assert_cmpuint (nav_stun_retransmit_start (&r, &params, NAV_STUN_RETRANSMIT_UNRELIABLE, 0),
                    ==, 100);
  g_assert_true (nav_stun_retransmit_next (&r, 100000, &wait));
  g_assert_cmpuint (wait, ==, 200);
  g_assert_true (nav_stun_retransmit_next (&r, 300000, &wait));
  g_assert_cmpuint (wait, ==, 400);
  g_assert_false (nav_stun_retransmit_next (&r, 700000, &wait));
}

/* RFC 8489 §6.2.2: over TCP sent once, given up after Ti; paced, sent
 * again at doubling intervals but never past Ti. */
static void
test_schedule_reliable_and_paced (void)
{
  NavStunRetransmit r;
  NavStunRetransmitParams params = { .rto_ms = 100, .rc = 10, .rm = 16, .ti_ms = 550 };
  guint wait;

  g_assert_cmpuint (nav_stun_retransmit_start (&r, &params, NAV_STUN_RETRANSMIT_RELIABLE, 0),
                    ==, 550);
  g_assert_false (nav_stun_retransmit_next (&r, 550000, &wait));

  g_assert_cmpuint (nav_stun_retransmit_start (&r, &params, NAV_STUN_RETRANSMIT_PACED, 0),
                    ==, 100);
  g_assert_true (nav_stun_retransmit_next (&r, 100000, &wait));
  g_assert_cmpuint (wait, ==, 200);
  g_assert_true (nav_stun_retransmit_next (&r, 300000, &wait));
  /* 400 would pass Ti: 250 left */
  g_assert_cmpuint (wait, ==, 250);
  g_assert_false (nav_stun_retransmit_next (&r, 550000, &wait));
}

/* --------------------------------------------------------- streams */

typedef struct
{
  NavNetStream *accepted;
  Sink sink;
  gboolean connected;
  Sink client_sink;
} Loop;

static void
client_connected (NavNetStream *stream,
                  gpointer      user_data)
{
  ((Loop *) user_data)->connected = TRUE;
}

static void
client_frame (NavNetStream *stream,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  sink_frame (stream, data, len, &((Loop *) user_data)->client_sink);
}

static void
client_closed (NavNetStream *stream,
               const GError *error,
               gpointer      user_data)
{
  sink_closed (stream, error, &((Loop *) user_data)->client_sink);
}

static const NavNetStreamFuncs client_funcs = {
  client_frame, NULL, client_connected, client_closed, NULL, NULL,
};

static void
on_accepted (NavNetListener   *listener,
             int               fd,
             const NavAddress *remote,
             gpointer          user_data)
{
  Loop *l = user_data;

  g_assert_null (l->accepted);
  l->accepted = nav_net_stream_new (NULL, fd, NULL, NULL, NAV_NET_FRAMING_RFC4571,
                                    &sink_funcs, &l->sink, FALSE);
}

static gboolean
got_frames (gpointer data)
{
  Loop *l = data;

  return l->sink.frames >= 3 && l->client_sink.frames >= 1;
}

static gboolean
client_closed_seen (gpointer data)
{
  return ((Loop *) data)->client_sink.closed;
}

/* RFC 4571 over loopback: frames written before the connect completes
 * are sent once it does; the peer closing is told with CLOSED. */
static void
test_stream_loopback (void)
{
  Loop l = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  NavNetListener *listener;
  NavNetStream *client;

  l.sink.last = g_byte_array_new ();
  listener = nav_net_listener_new (NULL, any, 0, 16, on_accepted, &l, "TCP", &error);
  g_assert_no_error (error);
  client = nav_net_stream_connect (NULL, nav_net_listener_get_address (listener), NULL, 5000,
                                   NAV_NET_FRAMING_RFC4571, &client_funcs, &l, &error);
  g_assert_no_error (error);
  g_assert_true (nav_net_stream_write_frame (client, (const guint8 *) "one", 3));
  g_assert_true (nav_net_stream_write_frame (client, (const guint8 *) "", 0));
  g_assert_true (nav_net_stream_write_frame (client, (const guint8 *) "three", 5));
  while (l.accepted == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (nav_net_stream_write_frame (l.accepted, (const guint8 *) "back", 4));
  wait_for (got_frames, &l);
  g_assert_true (l.connected);
  g_assert_cmpuint (l.sink.frames, ==, 3);
  g_assert_cmpmem (l.sink.last->data, l.sink.last->len, "three", 5);
  g_assert_cmpuint (l.sink.bytes, ==, 8);

  nav_net_stream_close (l.accepted);
  wait_for (client_closed_seen, &l);
  g_assert_error (l.client_sink.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);

  g_clear_error (&l.client_sink.error);
  nav_net_stream_unref (client);
  nav_net_stream_unref (l.accepted);
  nav_net_listener_free (listener);
  g_byte_array_unref (l.sink.last);
}

static gboolean
closed_or_connected (gpointer data)
{
  Loop *l = data;

  return l->connected || l->client_sink.closed;
}

/* A port nobody listens on: the connect fails, told as NOT_CONNECTED. */
static void
test_stream_refused (void)
{
  Loop l = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  NavAddress bound;
  int errsv = 0;
  int fd = nav_net_socket_open (any, SOCK_STREAM, 0, 0, &bound, &errsv);
  NavNetStream *client;

  g_assert_cmpint (fd, >=, 0);
  close (fd);           /* the port is free, and nobody listens */
  client = nav_net_stream_connect (NULL, &bound, NULL, 5000, NAV_NET_FRAMING_STUN,
                                   &client_funcs, &l, &error);
  g_assert_no_error (error);
  g_assert_true (nav_net_stream_write (client, (const guint8 *) "queued", 6));
  wait_for (closed_or_connected, &l);
  g_assert_false (l.connected);
  g_assert_error (l.client_sink.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED);
  g_clear_error (&l.client_sink.error);
  nav_net_stream_unref (client);
}

/* ------------------------------------------------------------- TLS */

typedef struct
{
  NavNetStream *server_side;
  Sink sink;
} TlsLoop;

static void
tls_accepted (NavNetTlsServer      *tls,
              int                   fd,
              const NavNetStreamIo *io_funcs,
              gpointer              io,
              const NavAddress     *remote,
              gpointer              user_data)
{
  TlsLoop *t = user_data;

  t->server_side = nav_net_stream_new (NULL, fd, io_funcs, io, NAV_NET_FRAMING_RFC4571,
                                       &sink_funcs, &t->sink, FALSE);
}

static void
tls_on_accept (NavNetListener   *listener,
               int               fd,
               const NavAddress *remote,
               gpointer          user_data)
{
  g_assert_true (nav_net_tls_server_accept (user_data, fd, remote));
}

static gboolean
tls_frame_seen (gpointer data)
{
  return ((TlsLoop *) data)->sink.frames > 0;
}

/* A TLS client and server of the layer: the client verifies the server
 * (against the CA file, by name or address) or not at all (insecure);
 * a wrong name or an untrusted certificate fails the handshake. */
static void
run_tls (const gchar *server_name,
         gboolean     with_ca,
         gboolean     insecure,
         gboolean     expect_ok)
{
  const gchar *dir = g_getenv ("NAV_TEST_CERT_DIR");
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  TlsLoop t = { 0 };
  Loop l = { 0 };
  NavNetTlsServer *tls;
  NavNetListener *listener;
  NavNetStream *client;

  tls = nav_net_tls_server_new (NULL, cert, key, NULL, tls_accepted, &t, &error);
  g_assert_no_error (error);
  listener = nav_net_listener_new (NULL, any, 0, 16, tls_on_accept, tls, "TLS", &error);
  g_assert_no_error (error);
  client = nav_net_stream_connect (NULL, nav_net_listener_get_address (listener), NULL, 5000,
                                   NAV_NET_FRAMING_RFC4571, &client_funcs, &l, &error);
  g_assert_no_error (error);
  nav_net_tls_client_attach (client, server_name, with_ca ? cert : NULL, insecure);
  g_assert_true (nav_net_stream_write_frame (client, (const guint8 *) "secret", 6));
  wait_for (closed_or_connected, &l);
  if (expect_ok)
    {
      g_assert_true (l.connected);
      wait_for (tls_frame_seen, &t);
      g_assert_cmpuint (t.sink.bytes, ==, 6);
      g_assert_true (nav_net_stream_is_tls (t.server_side));
    }
  else
    {
      g_assert_false (l.connected);
      g_assert_error (l.client_sink.error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
      g_clear_error (&l.client_sink.error);
    }
  nav_net_stream_unref (client);
  nav_net_listener_free (listener);
  nav_net_tls_server_free (tls);
  if (t.server_side != NULL)
    nav_net_stream_unref (t.server_side);
}

static void
test_tls_verified (void)
{
  run_tls ("localhost", TRUE, FALSE, TRUE);
  run_tls ("127.0.0.1", TRUE, FALSE, TRUE);
}

static void
test_tls_insecure (void)
{
  run_tls (NULL, FALSE, TRUE, TRUE);
}

static void
test_tls_wrong_name (void)
{
  run_tls ("example.org", TRUE, FALSE, FALSE);
}

/* ------------------------------------------------ accept back-off */

typedef struct
{
  GPtrArray *accepted;          /* fds */
} Counter;

static void
count_accepted (NavNetListener   *listener,
                int               fd,
                const NavAddress *remote,
                gpointer          user_data)
{
  g_ptr_array_add (((Counter *) user_data)->accepted, GINT_TO_POINTER (fd));
}

/* With no descriptor left, accept(2) fails with EMFILE: the listener
 * stops watching its socket (it would spin: the connection waits in the
 * backlog) and tries again later; once descriptors are free again the
 * waiting connections are accepted, without anyone restarting it. */
static void
test_listener_backoff (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (GArray) hogs = g_array_new (FALSE, FALSE, sizeof (int));
  Counter c = { g_ptr_array_new () };
  struct rlimit saved, low;
  NavNetListener *listener;
  int clients[3];
  gint64 deadline;

  listener = nav_net_listener_new (NULL, any, 0, 16, count_accepted, &c, "TCP", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      struct sockaddr_storage ss;
      socklen_t sl = nav_address_copy_to_sockaddr (nav_net_listener_get_address (listener),
                                                   (struct sockaddr *) &ss, sizeof ss);

      clients[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert_cmpint (connect (clients[i], (struct sockaddr *) &ss, sl), ==, 0);
    }

  /* Every descriptor taken. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;
  low.rlim_cur = 256;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  for (;;)
    {
      int fd = dup (0);

      if (fd < 0)
        break;
      g_array_append_val (hogs, fd);
    }
  g_assert_cmpint (errno, ==, EMFILE);

  /* A while with the connections waiting: none accepted, no spinning. */
  deadline = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (c.accepted->len, ==, 0);
  g_assert_cmpuint (nav_net_listener_get_stats (listener)->paused, ==, 1);

  /* Descriptors again: the listener comes back by itself. */
  for (guint i = 0; i < hogs->len; i++)
    close (g_array_index (hogs, int, i));
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  while (c.accepted->len < G_N_ELEMENTS (clients))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_cmpuint (nav_net_listener_get_stats (listener)->accepted, ==, G_N_ELEMENTS (clients));

  for (guint i = 0; i < c.accepted->len; i++)
    close (GPOINTER_TO_INT (g_ptr_array_index (c.accepted, i)));
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    close (clients[i]);
  g_ptr_array_unref (c.accepted);
  nav_net_listener_free (listener);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/framing/lengths", test_framing_lengths);
  g_test_add_func ("/net/framing/split", test_framing_split);
  g_test_add_func ("/net/framing/garbage", test_framing_garbage);
  g_test_add_func ("/net/schedule/unreliable", test_schedule_unreliable);
  g_test_add_func ("/net/schedule/rm-zero", test_schedule_rm_zero);
  g_test_add_func ("/net/schedule/reliable-and-paced", test_schedule_reliable_and_paced);
  g_test_add_func ("/net/stream/loopback", test_stream_loopback);
  g_test_add_func ("/net/stream/refused", test_stream_refused);
  g_test_add_func ("/net/tls/verified", test_tls_verified);
  g_test_add_func ("/net/tls/insecure", test_tls_insecure);
  g_test_add_func ("/net/tls/wrong-name", test_tls_wrong_name);
  g_test_add_func ("/net/listener/backoff", test_listener_backoff);
  return g_test_run ();
}
