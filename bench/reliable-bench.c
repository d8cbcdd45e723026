/* reliable-bench.c: reliable mode (pseudo-TCP) throughput, NavAgent vs
 * libnice
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One libnice-API source built twice, as ice-bench.c: against the real
 * libnice (reliable-bench-libnice) and against the compatibility headers
 * (reliable-bench, which also runs the libnice build and prints both
 * figures and the ratio).  Two reliable agents in one process on
 * 127.0.0.1; once READY, A writes --mib MiB with nice_agent_send(),
 * restarted by reliable-transport-writable, into B's receive function.
 * The time runs from the first send to the last byte received.
 *
 *   meson compile -C build reliable-bench reliable-bench-libnice
 *   meson devenv -C build bench/reliable-bench [--mib=64] [--runs=3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

typedef struct {
  NiceAgent *agent;
  guint stream;
  gboolean gathered;
  gboolean ready;
} Peer;

static Peer a, b;
static guint8 chunk[65536];
static gsize total, sent, received;

static void
on_gathered (NiceAgent *agent, guint stream_id, gpointer data)
{
  ((Peer *) data)->gathered = TRUE;
}

static void
on_state (NiceAgent *agent, guint stream_id, guint component_id, guint state, gpointer data)
{
  if (state == NICE_COMPONENT_STATE_READY)
    ((Peer *) data)->ready = TRUE;
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "a component failed\n");
      exit (1);
    }
}

static void
pump (void)
{
  while (sent < total)
    {
      gint n = nice_agent_send (a.agent, a.stream, 1, MIN (total - sent, sizeof chunk),
                                (const gchar *) chunk);

      if (n <= 0)
        return;
      sent += n;
    }
}

static void
on_writable (NiceAgent *agent, guint stream_id, guint component_id, gpointer data)
{
  if (agent == a.agent)
    pump ();
}

static void
on_recv (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
         gpointer data)
{
  received += len;
}

static void
peer_init (Peer *p, gboolean controlling)
{
  NiceAddress addr;

  p->agent = nice_agent_new_reliable (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE,
                NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (p->agent, &addr);
  g_signal_connect (p->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), p);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "reliable-transport-writable", G_CALLBACK (on_writable), p);
  p->stream = nice_agent_add_stream (p->agent, 1);
  nice_agent_attach_recv (p->agent, p->stream, 1, g_main_context_default (), on_recv, p);
}

static void
exchange (Peer *from, Peer *to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *list;

  nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd);
  nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd);
  list = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  nice_agent_set_remote_candidates (to->agent, to->stream, 1, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  g_free (ufrag);
  g_free (pwd);
}

/* One transfer: MB/s (10^6 bytes a second). */
static gdouble
run_once (gsize bytes)
{
  gint64 start;

  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  total = bytes;
  sent = received = 0;
  peer_init (&a, TRUE);
  peer_init (&b, FALSE);
  nice_agent_gather_candidates (a.agent, a.stream);
  nice_agent_gather_candidates (b.agent, b.stream);
  while (!(a.gathered && b.gathered))
    g_main_context_iteration (NULL, TRUE);
  exchange (&a, &b);
  exchange (&b, &a);
  while (!(a.ready && b.ready))
    g_main_context_iteration (NULL, TRUE);
  /* The pseudo-TCP connection opens once a pair is selected: wait for
   * the first send to be taken. */
  while (sent == 0)
    {
      pump ();
      g_main_context_iteration (NULL, sent == 0);
    }
  start = g_get_monotonic_time ();
  while (received < total)
    g_main_context_iteration (NULL, TRUE);
  start = g_get_monotonic_time () - start;
  g_object_unref (a.agent);
  g_object_unref (b.agent);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return (gdouble) total / (gdouble) MAX (start, 1);
}

int
main (int argc, char **argv)
{
  guint mib = 64, runs = 3;
  gdouble best = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--mib="))
        mib = atoi (argv[i] + 6);
      else if (g_str_has_prefix (argv[i], "--runs="))
        runs = atoi (argv[i] + 7);
    }
  for (guint i = 0; i < runs; i++)
    best = MAX (best, run_once ((gsize) mib * 1024 * 1024));
#ifdef RELIABLE_BENCH_NETAVANUE
  {
    gchar *args[] = { RELIABLE_BENCH_PEER, g_strdup_printf ("--mib=%u", mib),
                      g_strdup_printf ("--runs=%u", runs), NULL };
    gchar *out = NULL;
    gdouble theirs = 0;

    if (!g_spawn_sync (NULL, args, NULL, 0, NULL, NULL, &out, NULL, NULL, NULL) ||
        out == NULL || sscanf (out, "libnice %lf", &theirs) != 1)
      {
        fprintf (stderr, "could not run %s\n", RELIABLE_BENCH_PEER);
        return 1;
      }
    printf ("reliable throughput, %u MiB one way, best of %u:\n", mib, runs);
    printf ("  libnice    %8.1f MB/s\n", theirs);
    printf ("  NetAvanue  %8.1f MB/s  (%.2f x libnice)\n", best, best / theirs);
    g_free (out);
    g_free (args[1]);
    g_free (args[2]);
  }
#else
  printf ("libnice %.1f\n", best);
#endif
  return 0;
}
