/* nice-messages.c: libnice's message-vector API, written for libnice only
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built twice from this one source, like nice-peer.c: against the real
 * libnice (pkg-config nice) and against NetAvanue's compatibility headers
 * (pkg-config netavanue-nice-1.0).  Both builds must pass, which shows the
 * two behave alike.  Two agents in one process on 127.0.0.1: A has a
 * receive function, B has none and takes its data with
 * nice_agent_recv_messages_nonblocking(), polled from the main loop, and
 * with a blocking nice_agent_recv_messages() in another thread.  A sends
 * with nice_agent_send_messages_nonblocking(), one message in two
 * buffers.
 */
#include "nice-test-pair.h"

static guint a_received;
static gchar *b_data[8];
static guint b_count;
static NiceAddress b_from;

static void
on_recv (NiceAgent *agent,
         guint      stream_id,
         guint      component_id,
         guint      len,
         gchar     *buf,
         gpointer   data)
{
  a_received++;
}

/* B's receive loop: take what is waiting, keep going on WOULD_BLOCK. */
static gboolean
poll_b (gpointer data)
{
  gchar buffers[4][256];
  GInputVector vectors[4];
  NiceInputMessage messages[4];
  GError *error = NULL;
  gint i, n;

  for (i = 0; i < 4; i++)
    {
      vectors[i].buffer = buffers[i];
      vectors[i].size = sizeof buffers[i];
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
      messages[i].from = i == 0 ? &b_from : NULL;
      messages[i].length = 0;
    }
  n = nice_agent_recv_messages_nonblocking (b.agent, b.stream, 1, messages, 4, NULL, &error);
  if (n < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        fail (error->message);
      g_clear_error (&error);
      return G_SOURCE_CONTINUE;
    }
  for (i = 0; i < n && b_count < G_N_ELEMENTS (b_data); i++)
    b_data[b_count++] = g_strndup (buffers[i], messages[i].length);
  return G_SOURCE_CONTINUE;
}

static void
peer_init (Peer     *p,
           gboolean  controlling,
           gboolean  attach)
{
  peer_setup (p, nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245), controlling);
  if (attach)
    nice_agent_attach_recv (p->agent, p->stream, 1, g_main_context_default (), on_recv, p);
}

static gboolean
b_has_three (void)
{
  return b_count >= 3;
}

static gboolean
a_has_one (void)
{
  return a_received >= 1;
}

typedef struct {
  gint result;
  gchar buffer[256];
  gsize length;
  GError *error;
  gint done;
} Blocking;

static gpointer
blocking_recv (gpointer data)
{
  Blocking *t = data;
  GInputVector vector = { t->buffer, sizeof t->buffer };
  NiceInputMessage message = { &vector, 1, NULL, 0 };

  t->result = nice_agent_recv_messages (b.agent, b.stream, 1, &message, 1, NULL, &t->error);
  t->length = message.length;
  g_atomic_int_set (&t->done, 1);
  return NULL;
}

static Blocking blocking;

static gboolean
blocking_done (void)
{
  return g_atomic_int_get (&blocking.done);
}

int
main (void)
{
  GOutputVector two[2] = { { "hello ", 6 }, { "world", 5 } };
  GOutputVector one[1] = { { "again", 5 } };
  GOutputVector back[1] = { { "back", 4 } };
  NiceOutputMessage out[3] = { { two, 2 }, { one, 1 }, { one, 1 } };
  NiceOutputMessage reply = { back, 1 };
  NiceCandidate *local = NULL, *remote = NULL;
  GError *error = NULL;
  guint poll_id;
  GThread *thread;
  guint i;

  peer_init (&a, TRUE, TRUE);
  peer_init (&b, FALSE, FALSE);
  poll_id = g_timeout_add (1, poll_b, NULL);
  connect_pair ();

  if (nice_agent_send_messages_nonblocking (a.agent, a.stream, 1, out, 3, NULL, &error) != 3)
    fail (error != NULL ? error->message : "send_messages_nonblocking sent fewer");
  run_until (b_has_three, "three messages at B");
  if (strcmp (b_data[0], "hello world") != 0 || strcmp (b_data[1], "again") != 0)
    fail ("B got other data");
  if (!nice_agent_get_selected_pair (b.agent, b.stream, 1, &local, &remote) ||
      !nice_address_equal (&b_from, &remote->addr))
    fail ("NiceInputMessage.from is not the peer");

  if (nice_agent_send_messages_nonblocking (b.agent, b.stream, 1, &reply, 1, NULL, &error) != 1)
    fail (error != NULL ? error->message : "send_messages_nonblocking from B");
  run_until (a_has_one, "the reply at A");

  /* A blocking receive in another thread while this one runs the loop. */
  g_source_remove (poll_id);
  thread = g_thread_new ("recv", blocking_recv, &blocking);
  g_usleep (G_USEC_PER_SEC / 20);
  for (i = 0; i < 1000 && !blocking_done (); i++)
    {
      /* Resent until it arrives: the thread may have started late. */
      nice_agent_send (a.agent, a.stream, 1, 7, "blocked");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  run_until (blocking_done, "the blocking receive");
  g_thread_join (thread);
  if (blocking.result != 1 || blocking.length != 7 || memcmp (blocking.buffer, "blocked", 7) != 0)
    fail (blocking.error != NULL ? blocking.error->message : "the blocking receive");

  printf ("OK: %s\n", "send_messages_nonblocking, recv_messages(_nonblocking)");
  nice_agent_remove_stream (a.agent, a.stream);
  nice_agent_remove_stream (b.agent, b.stream);
  g_object_unref (a.agent);
  g_object_unref (b.agent);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (i = 0; i < b_count; i++)
    g_free (b_data[i]);
  return 0;
}
