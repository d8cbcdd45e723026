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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

#define TIMEOUT_SECONDS 30

typedef struct {
  NiceAgent *agent;
  guint stream;
  gboolean gathered;
  gboolean ready;
} Peer;

static Peer a, b;
static guint a_received;
static gchar *b_data[8];
static guint b_count;
static NiceAddress b_from;

static void
fail (const gchar *what)
{
  fprintf (stderr, "FAIL: %s\n", what);
  exit (1);
}

static void
on_gathered (NiceAgent *agent,
             guint      stream_id,
             gpointer   data)
{
  ((Peer *) data)->gathered = TRUE;
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  if (state == NICE_COMPONENT_STATE_READY)
    ((Peer *) data)->ready = TRUE;
  else if (state == NICE_COMPONENT_STATE_FAILED)
    fail ("a component failed");
}

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
  NiceAddress addr;

  p->agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE,
                NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (p->agent, &addr);
  g_signal_connect (p->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), p);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  p->stream = nice_agent_add_stream (p->agent, 1);
  if (attach)
    nice_agent_attach_recv (p->agent, p->stream, 1, g_main_context_default (), on_recv, p);
}

static void
exchange (Peer *from,
          Peer *to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *list;

  nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd);
  nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd);
  list = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  if (nice_agent_set_remote_candidates (to->agent, to->stream, 1, list) < 1)
    fail ("set_remote_candidates");
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  g_free (ufrag);
  g_free (pwd);
}

typedef gboolean (*Condition) (void);

static void
run_until (Condition    condition,
           const gchar *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!condition ())
    {
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "FAIL: timed out waiting for %s\n", what);
          exit (1);
        }
    }
}

static gboolean
gathered (void)
{
  return a.gathered && b.gathered;
}

static gboolean
ready (void)
{
  return a.ready && b.ready;
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
  nice_agent_gather_candidates (a.agent, a.stream);
  nice_agent_gather_candidates (b.agent, b.stream);
  run_until (gathered, "gathering");
  exchange (&a, &b);
  exchange (&b, &a);
  run_until (ready, "READY");

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
