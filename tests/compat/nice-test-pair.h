/* nice-test-pair.h: two libnice agents in one process, for the programs
 * written against libnice's API only (nice-messages.c, nice-reliable.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Uses nothing but libnice's public API, so the programs including it
 * still build unchanged against the real libnice and against NetAvanue's
 * compatibility headers.  Peer A is controlling, B controlled; both use
 * host UDP candidates on 127.0.0.1 only.
 */
#ifndef NICE_TEST_PAIR_H
#define NICE_TEST_PAIR_H

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

/* Takes @agent: controlling or not, no TCP, no UPnP, 127.0.0.1 only, one
 * stream of one component. */
static void
peer_setup (Peer      *p,
            NiceAgent *agent,
            gboolean   controlling)
{
  NiceAddress addr;

  p->agent = agent;
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE,
                NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (p->agent, &addr);
  g_signal_connect (p->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), p);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  p->stream = nice_agent_add_stream (p->agent, 1);
}

/* Signals @from's credentials and candidates to @to. */
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

/* Runs the default main context until @condition holds; a failure guard,
 * never a timing assertion. */
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

/* Gathers on both, exchanges candidates and waits until both are READY. */
static void
connect_pair (void)
{
  nice_agent_gather_candidates (a.agent, a.stream);
  nice_agent_gather_candidates (b.agent, b.stream);
  run_until (gathered, "gathering");
  exchange (&a, &b);
  exchange (&b, &a);
  run_until (ready, "both READY");
}

#endif /* NICE_TEST_PAIR_H */
