/* nice-reliable.c: libnice's reliable mode, written for libnice only
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built twice from this one source, like nice-messages.c: against the
 * real libnice (pkg-config nice) and against NetAvanue's compatibility
 * headers (pkg-config netavanue-nice-1.0); both builds must pass.  Two
 * reliable agents (nice_agent_new_reliable()) in one process on
 * 127.0.0.1.  256 KiB go from A to B with nice_agent_send(), restarted
 * by reliable-transport-writable, into B's receive function; 256 KiB go
 * from B to A through B's GIOStream (nice_agent_get_io_stream()), written
 * from its output stream's pollable source, into A's receive function.
 * Checksums must match.
 */
#include "nice-test-pair.h"

#define BYTES (256 * 1024)

static guint8 *a_to_b, *b_to_a;
static gsize a_sent, b_written;
static GChecksum *b_sum, *a_sum;
static gsize b_received, a_read;
static GPollableOutputStream *b_out;

static void
pump_a (void)
{
  while (a_sent < BYTES)
    {
      gint n = nice_agent_send (a.agent, a.stream, 1, MIN (BYTES - a_sent, 10000),
                                (const gchar *) a_to_b + a_sent);

      if (n < 0)
        return;
      if (n == 0)
        fail ("send returned 0");
      a_sent += n;
    }
}

static void
on_writable (NiceAgent *agent,
             guint      stream_id,
             guint      component_id,
             gpointer   data)
{
  if (agent == a.agent)
    pump_a ();
}

static void
on_b_recv (NiceAgent *agent,
           guint      stream_id,
           guint      component_id,
           guint      len,
           gchar     *buf,
           gpointer   data)
{
  g_checksum_update (b_sum, (const guchar *) buf, len);
  b_received += len;
}

static gboolean
b_can_write (GObject  *stream,
             gpointer  data)
{
  while (b_written < BYTES)
    {
      GError *error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (b_out, b_to_a + b_written,
                                                            MIN (BYTES - b_written, 8192),
                                                            NULL, &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            fail (error->message);
          g_error_free (error);
          return G_SOURCE_CONTINUE;
        }
      b_written += n;
    }
  return G_SOURCE_REMOVE;
}

static void
on_a_recv (NiceAgent *agent,
           guint      stream_id,
           guint      component_id,
           guint      len,
           gchar     *buf,
           gpointer   data)
{
  g_checksum_update (a_sum, (const guchar *) buf, len);
  a_read += len;
}

static void
peer_init (Peer     *p,
           gboolean  controlling)
{
  NiceAgent *agent = nice_agent_new_reliable (NULL, NICE_COMPATIBILITY_RFC5245);
  gboolean reliable = FALSE;

  g_object_get (agent, "reliable", &reliable, NULL);
  if (!reliable)
    fail ("the agent is not reliable");
  peer_setup (p, agent, controlling);
  g_signal_connect (p->agent, "reliable-transport-writable", G_CALLBACK (on_writable), p);
}

static gboolean
done (void)
{
  return b_received >= BYTES && a_read >= BYTES;
}

static guint8 *
pattern (guint seed)
{
  guint8 *data = g_malloc (BYTES);
  GRand *rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < BYTES; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  return data;
}

int
main (void)
{
  GIOStream *b_io;
  GSource *write_source;
  gchar *expect_b, *expect_a;

  a_to_b = pattern (1);
  b_to_a = pattern (2);
  expect_b = g_compute_checksum_for_data (G_CHECKSUM_SHA256, a_to_b, BYTES);
  expect_a = g_compute_checksum_for_data (G_CHECKSUM_SHA256, b_to_a, BYTES);
  b_sum = g_checksum_new (G_CHECKSUM_SHA256);
  a_sum = g_checksum_new (G_CHECKSUM_SHA256);

  peer_init (&a, TRUE);
  peer_init (&b, FALSE);
  nice_agent_attach_recv (b.agent, b.stream, 1, g_main_context_default (), on_b_recv, NULL);
  nice_agent_attach_recv (a.agent, a.stream, 1, g_main_context_default (), on_a_recv, NULL);
  connect_pair ();

  b_io = nice_agent_get_io_stream (b.agent, b.stream, 1);
  if (b_io == NULL)
    fail ("nice_agent_get_io_stream");
  b_out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (b_io));
  /* libnice makes the input stream on first use, with the agent it still
   * has: made now, not when the agent's finalization closes the stream. */
  g_io_stream_get_input_stream (b_io);
  write_source = g_pollable_output_stream_create_source (b_out, NULL);
  g_source_set_callback (write_source, (GSourceFunc) (void (*) (void)) b_can_write, NULL, NULL);
  g_source_attach (write_source, NULL);

  pump_a ();
  run_until (done, "256 KiB each way");
  if (b_received != BYTES || strcmp (g_checksum_get_string (b_sum), expect_b) != 0)
    fail ("B did not receive A's bytes");
  if (a_read != BYTES || strcmp (g_checksum_get_string (a_sum), expect_a) != 0)
    fail ("A did not read B's bytes");
  printf ("256 KiB each way, checksums match\n");

  g_source_destroy (write_source);
  g_source_unref (write_source);
  g_object_unref (b_io);
  g_object_unref (a.agent);
  g_object_unref (b.agent);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_checksum_free (a_sum);
  g_checksum_free (b_sum);
  g_free (expect_a);
  g_free (expect_b);
  g_free (a_to_b);
  g_free (b_to_a);
  return 0;
}
