/* test-reliable.c: two reliable NavAgents (libnice's reliable mode,
 * pseudo-TCP over the selected pair) on loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 1 MiB each way checked with SHA-256, directly and through a lossy UDP
 * relay of the test's own that drops one data datagram in ten (STUN goes
 * through, so ICE still connects); the GIOStream of
 * nav_agent_get_io_stream(), pollable and blocking; send() taking part of
 * a buffer, then -1, then reliable-transport-writable; a graceful close
 * (FIN: the peer reads the end of the stream) and a forceful one (the
 * stream removed: RST, the peer's component fails).
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"
#include "lossy-relay-test-util.h"

#define MIB (1024 * 1024)

typedef struct {
  NavAgent *agent;
  guint stream_id;
  NavComponentState state;
  gboolean gathered;
  guint writable;               /* reliable-transport-writable emissions */
  /* sending */
  guint8 *out;
  gsize out_len;
  gsize out_done;
  GChecksum *out_sum;
  /* receiving */
  gsize in_len;
  GChecksum *in_sum;
  GByteArray *in_copy;          /* when not NULL, everything received */
} Peer;

typedef struct {
  Peer a;
  Peer b;
  LossyRelay relay;             /* A is its side 0, B its side 1 */
} Fixture;

static void
pump (Peer *p)
{
  while (p->out_done < p->out_len)
    {
      gsize chunk = MIN (p->out_len - p->out_done, 16384);
      gint n = nav_agent_send (p->agent, p->stream_id, 1, chunk,
                               (const gchar *) p->out + p->out_done);

      if (n < 0)
        return;                 /* reliable-transport-writable brings us back */
      g_assert_cmpint (n, >, 0);
      g_assert_cmpint (n, <=, (gint) chunk);
      p->out_done += n;
    }
}

static void
on_writable (NavAgent *agent,
             guint     stream_id,
             guint     component_id,
             Peer     *p)
{
  g_assert_cmpuint (stream_id, ==, p->stream_id);
  g_assert_cmpuint (component_id, ==, 1);
  p->writable++;
  pump (p);
}

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  data)
{
  Peer *p = data;

  g_assert_cmpuint (len, >, 0);
  p->in_len += len;
  g_checksum_update (p->in_sum, (const guchar *) buf, len);
  if (p->in_copy != NULL)
    g_byte_array_append (p->in_copy, (const guint8 *) buf, len);
}

static void
peer_init (Peer    *p,
           gboolean controlling,
           gboolean by_option)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  gboolean reliable = FALSE;

  if (by_option)
    p->agent = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC5245, NAV_AGENT_OPTION_RELIABLE);
  else
    p->agent = nav_agent_new_reliable (NULL, NAV_COMPATIBILITY_RFC5245);
  g_object_get (p->agent, "reliable", &reliable, NULL);
  g_assert_true (reliable);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE, NULL);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_signal_connect (p->agent, "component-state-changed",
                    G_CALLBACK (agent_test_set_state), &p->state);
  g_signal_connect (p->agent, "candidate-gathering-done",
                    G_CALLBACK (agent_test_set_flag), &p->gathered);
  g_signal_connect (p->agent, "reliable-transport-writable", G_CALLBACK (on_writable), p);
  p->in_sum = g_checksum_new (G_CHECKSUM_SHA256);
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  g_clear_pointer (&p->out, g_free);
  g_clear_pointer (&p->out_sum, g_checksum_free);
  g_clear_pointer (&p->in_sum, g_checksum_free);
  if (p->in_copy != NULL)
    g_byte_array_unref (p->in_copy);
}

static gboolean
both_gathered (gpointer data)
{
  Fixture *f = data;

  return f->a.gathered && f->b.gathered;
}

static gboolean
both_ready (gpointer data)
{
  Fixture *f = data;

  return f->a.state == NAV_COMPONENT_STATE_READY && f->b.state == NAV_COMPONENT_STATE_READY;
}

/* The connection is open on both sides once each said it is writable. */
static gboolean
both_open (gpointer data)
{
  Fixture *f = data;

  return f->a.writable > 0 && f->b.writable > 0;
}

/* ------------------------------------------------------- the lossy relay */

static GSocketAddress *
host_address (Peer *p)
{
  GSList *local = nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
  GSocketAddress *address;

  g_assert_nonnull (local);
  address = nav_address_to_socket_address (&((NavCandidate *) local->data)->addr);
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  return address;
}

/* ------------------------------------------------------------- set-up */

static void
fixture_connect (Fixture *f,
                 gboolean lossy,
                 gboolean by_option)
{
  peer_init (&f->a, TRUE, by_option);
  peer_init (&f->b, FALSE, by_option);
  g_assert_true (nav_agent_gather_candidates (f->a.agent, f->a.stream_id));
  g_assert_true (nav_agent_gather_candidates (f->b.agent, f->b.stream_id));
  wait_for (both_gathered, f);
  agent_test_signal_credentials_both (f->a.agent, f->a.stream_id, f->b.agent, f->b.stream_id);
  if (lossy)
    {
      /* Each agent's one remote candidate: the relay socket it talks to. */
      lossy_relay_init (&f->relay, host_address (&f->a), host_address (&f->b));
      agent_test_signal_candidates (f->a.agent, f->a.stream_id, 1,
                                    g_slist_prepend (NULL, lossy_relay_candidate (&f->relay, 0,
                                                                                  f->a.stream_id)));
      agent_test_signal_candidates (f->b.agent, f->b.stream_id, 1,
                                    g_slist_prepend (NULL, lossy_relay_candidate (&f->relay, 1,
                                                                                  f->b.stream_id)));
    }
  else
    agent_test_signal_candidates_both (f->a.agent, f->a.stream_id, f->b.agent, f->b.stream_id);
  wait_for (both_ready, f);
  wait_for (both_open, f);
}

static void
fixture_clear (Fixture *f)
{
  peer_clear (&f->a);
  peer_clear (&f->b);
  lossy_relay_clear (&f->relay);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
prepare_data (Peer  *p,
              gsize  len,
              guint  seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gsize i;

  p->out = g_malloc (len);
  for (i = 0; i < len; i++)
    p->out[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  p->out_len = len;
  p->out_sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (p->out_sum, p->out, len);
}

static gboolean
both_received (gpointer data)
{
  Fixture *f = data;

  return f->a.in_len >= f->b.out_len && f->b.in_len >= f->a.out_len;
}

/* ------------------------------------------------------------- tests */

/* wait_for() with a longer failure guard, for the lossy transfers
 * (never a timing assertion). */
static void
wait_long (Condition condition,
           gpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + 150 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

static gboolean
print_progress (gpointer data)
{
  Fixture *f = data;

  g_test_message ("progress: A sent %zu received %zu, B sent %zu received %zu; "
                  "relay %u relayed %u dropped", f->a.out_done, f->a.in_len, f->b.out_done,
                  f->b.in_len, f->relay.relayed, f->relay.dropped);
  return G_SOURCE_CONTINUE;
}

static void
transfer (gboolean lossy,
          gboolean by_option)
{
  Fixture f = { 0 };
  guint progress;

  fixture_connect (&f, lossy, by_option);
  g_assert_true (nav_agent_attach_recv (f.a.agent, f.a.stream_id, 1, NULL, on_recv, &f.a));
  g_assert_true (nav_agent_attach_recv (f.b.agent, f.b.stream_id, 1, NULL, on_recv, &f.b));
  prepare_data (&f.a, MIB, 1);
  prepare_data (&f.b, MIB, 2);
  pump (&f.a);
  pump (&f.b);
  progress = g_timeout_add_seconds (1, print_progress, &f);
  wait_long (both_received, &f);
  g_source_remove (progress);

  /* Whole, in order, nothing more. */
  g_assert_cmpuint (f.b.in_len, ==, MIB);
  g_assert_cmpuint (f.a.in_len, ==, MIB);
  g_assert_cmpstr (g_checksum_get_string (f.b.in_sum), ==, g_checksum_get_string (f.a.out_sum));
  g_assert_cmpstr (g_checksum_get_string (f.a.in_sum), ==, g_checksum_get_string (f.b.out_sum));
  if (lossy)
    {
      g_test_message ("relay: %u datagrams relayed, %u dropped", f.relay.relayed,
                      f.relay.dropped);
      g_assert_cmpuint (f.relay.dropped, >, 0);
    }
  fixture_clear (&f);
}

static void
test_transfer (void)
{
  transfer (FALSE, FALSE);
}

static void
test_transfer_option (void)
{
  transfer (FALSE, TRUE);
}

static void
test_transfer_lossy (void)
{
  transfer (TRUE, FALSE);
}

/* send() takes what fits: part of a large buffer, then -1; once the peer
 * reads, reliable-transport-writable comes and the rest goes. */
static void
test_send_would_block (void)
{
  Fixture f = { 0 };
  gint n;
  guint writable_before;

  fixture_connect (&f, FALSE, FALSE);
  prepare_data (&f.a, MIB, 3);
  /* B takes nothing yet: its receive window closes. */
  n = nav_agent_send (f.a.agent, f.a.stream_id, 1, f.a.out_len, (const gchar *) f.a.out);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, <, (gint) f.a.out_len);
  f.a.out_done = n;
  n = nav_agent_send (f.a.agent, f.a.stream_id, 1, f.a.out_len - f.a.out_done,
                      (const gchar *) f.a.out + f.a.out_done);
  g_assert_cmpint (n, ==, -1);

  /* Now B reads: A is told it may write, and pump() (the signal
   * handler) finishes the transfer. */
  writable_before = f.a.writable;
  f.b.in_copy = g_byte_array_new ();
  g_assert_true (nav_agent_attach_recv (f.b.agent, f.b.stream_id, 1, NULL, on_recv, &f.b));
  wait_for (both_received, &f);
  g_assert_cmpuint (f.a.writable, >, writable_before);
  g_assert_cmpuint (f.b.in_copy->len, ==, MIB);
  g_assert_true (memcmp (f.b.in_copy->data, f.a.out, MIB) == 0);
  fixture_clear (&f);
}

/* recv_messages() fills the messages as one byte stream. */
static void
test_recv_messages (void)
{
  Fixture f = { 0 };
  guint8 out[5000], b1[1000], b2[1500], b3[2500];
  GInputVector v1[] = { { b1, sizeof b1 }, { b2, sizeof b2 } };
  GInputVector v2[] = { { b3, sizeof b3 } };
  NavInputMessage messages[] = { { v1, 2, NULL, 0 }, { v2, 1, NULL, 0 } };
  g_autoptr (GError) error = NULL;
  gint n;
  guint i;

  fixture_connect (&f, FALSE, FALSE);
  for (i = 0; i < sizeof out; i++)
    out[i] = i * 7;
  n = nav_agent_recv_messages_nonblocking (f.b.agent, f.b.stream_id, 1, messages, 2, NULL,
                                           &error);
  g_assert_cmpint (n, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  g_assert_cmpint (nav_agent_send (f.a.agent, f.a.stream_id, 1, sizeof out, (const gchar *) out),
                   ==, sizeof out);
  /* Blocking: runs the context until both messages are full. */
  n = nav_agent_recv_messages (f.b.agent, f.b.stream_id, 1, messages, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpuint (messages[0].length, ==, 2500);
  g_assert_cmpuint (messages[1].length, ==, 2500);
  g_assert_true (memcmp (b1, out, 1000) == 0);
  g_assert_true (memcmp (b2, out + 1000, 1500) == 0);
  g_assert_true (memcmp (b3, out + 2500, 2500) == 0);
  fixture_clear (&f);
}

typedef struct {
  GPollableOutputStream *out;
  GPollableInputStream *in;
  const guint8 *data;
  gsize len;
  gsize written;
  GChecksum *sum;
  gsize read;
  gboolean eos;
  gboolean closed;
} PollState;

static gboolean
on_pollable_writable (GObject  *stream,
                      gpointer  data)
{
  PollState *s = data;

  while (s->written < s->len)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (s->out, s->data + s->written,
                                                            MIN (s->len - s->written, 8192),
                                                            NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return G_SOURCE_CONTINUE;
        }
      s->written += n;
    }
  /* All queued: the FIN follows the data. */
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (s->out), NULL, NULL));
  s->closed = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_pollable_readable (GObject  *stream,
                      gpointer  data)
{
  PollState *s = data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      guint8 buf[4096];
      gssize n = g_pollable_input_stream_read_nonblocking (s->in, buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return G_SOURCE_CONTINUE;
        }
      if (n == 0)
        {
          s->eos = TRUE;
          return G_SOURCE_REMOVE;
        }
      g_checksum_update (s->sum, buf, n);
      s->read += n;
    }
}

static gboolean
poll_done (gpointer data)
{
  PollState *s = data;

  return s->closed && s->eos;
}

/* The GIOStream: pollable, writes until the send buffer is full, the
 * reader sees every byte and then the end of the stream (our FIN). */
static void
test_io_stream (void)
{
  Fixture f = { 0 };
  g_autoptr (GIOStream) io_a = NULL;
  g_autoptr (GIOStream) io_b = NULL;
  g_autoptr (GChecksum) expected = g_checksum_new (G_CHECKSUM_SHA256);
  PollState s = { 0 };
  GSource *write_source, *read_source;
  guint8 small[3] = { 'a', 'b', 'c' };
  guint8 back[3];
  gsize done = 0;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *data = NULL;

  fixture_connect (&f, FALSE, FALSE);
  io_a = nav_agent_get_io_stream (f.a.agent, f.a.stream_id, 1);
  io_b = nav_agent_get_io_stream (f.b.agent, f.b.stream_id, 1);
  g_assert_nonnull (io_a);
  g_assert_true (io_a == nav_agent_get_io_stream (f.a.agent, f.a.stream_id, 1));
  g_object_unref (io_a);
  g_assert_true (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (io_b)));
  g_assert_true (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (io_a)));

  /* A blocking write and read first. */
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (io_b), small,
                                            sizeof small, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, sizeof small);
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (io_a), back, sizeof back,
                                          &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, sizeof small);
  g_assert_true (memcmp (small, back, sizeof small) == 0);

  /* Not in f.a.out: on_writable() would send that too. */
  data = g_malloc (512 * 1024);
  for (gsize i = 0; i < 512 * 1024; i++)
    data[i] = (i * 131) >> 3;
  g_checksum_update (expected, data, 512 * 1024);
  s.out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (io_a));
  s.in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (io_b));
  s.data = data;
  s.len = 512 * 1024;
  s.sum = g_checksum_new (G_CHECKSUM_SHA256);
  write_source = g_pollable_output_stream_create_source (s.out, NULL);
  g_source_set_callback (write_source, (GSourceFunc) (void (*) (void)) on_pollable_writable, &s,
                         NULL);
  g_source_attach (write_source, NULL);
  read_source = g_pollable_input_stream_create_source (s.in, NULL);
  g_source_set_callback (read_source, (GSourceFunc) (void (*) (void)) on_pollable_readable, &s,
                         NULL);
  g_source_attach (read_source, NULL);
  wait_for (poll_done, &s);
  g_assert_cmpuint (s.read, ==, s.len);
  g_assert_cmpstr (g_checksum_get_string (s.sum), ==, g_checksum_get_string (expected));
  /* At the end of the stream a read returns 0 at once. */
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (s.in), back, sizeof back, NULL, &error),
                   ==, 0);
  g_assert_no_error (error);

  g_source_destroy (write_source);
  g_source_unref (write_source);
  g_source_destroy (read_source);
  g_source_unref (read_source);
  g_checksum_free (s.sum);
  g_clear_object (&io_b);
  fixture_clear (&f);
}

static gboolean
b_failed (gpointer data)
{
  Fixture *f = data;

  return f->b.state == NAV_COMPONENT_STATE_FAILED;
}

/* Removing the stream resets the connection: the peer's component fails
 * at once (no consent timeout involved), its sends fail and its reads
 * see the end of the stream. */
static void
test_reset (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;
  guint8 buf[16];
  gint n;

  fixture_connect (&f, FALSE, FALSE);
  nav_agent_remove_stream (f.a.agent, f.a.stream_id);
  wait_for (b_failed, &f);
  n = nav_agent_send (f.b.agent, f.b.stream_id, 1, 4, "late");
  g_assert_cmpint (n, ==, -1);
  /* A reset stream reads as ended, as libnice's does. */
  n = nav_agent_recv_nonblocking (f.b.agent, f.b.stream_id, 1, buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  fixture_clear (&f);
}

/* The default (unreliable) agent has no io stream. */
static void
test_unreliable_has_no_io_stream (void)
{
  if (g_test_subprocess ())
    {
      NavAgent *agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);

      g_assert_null (nav_agent_get_io_stream (agent, 1, 1));
      g_object_unref (agent);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agent->reliable*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/reliable/transfer-1mib", test_transfer);
  g_test_add_func ("/reliable/transfer-1mib-option", test_transfer_option);
  g_test_add_func ("/reliable/transfer-1mib-lossy", test_transfer_lossy);
  g_test_add_func ("/reliable/send-would-block", test_send_would_block);
  g_test_add_func ("/reliable/recv-messages", test_recv_messages);
  g_test_add_func ("/reliable/io-stream", test_io_stream);
  g_test_add_func ("/reliable/reset", test_reset);
  g_test_add_func ("/reliable/unreliable-has-no-io-stream", test_unreliable_has_no_io_stream);
  return g_test_run ();
}
