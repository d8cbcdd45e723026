/* tcp-peer-test-util.h: one NavAgent of the ICE-TCP tests and what it
 * saw (state, selected pair, data), shared by test-ice-tcp.c,
 * test-ice-tcp-so.c and test-ice-tcp-srflx.c; and the checker's pairs
 * of hand-made candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

typedef struct {
  NavAgent *agent;
  guint stream_id;
  gboolean gathering_done;
  NavComponentState state;
  gboolean failed_seen;
  NavCandidate *selected_local;
  NavCandidate *selected_remote;
  GPtrArray *received;          /* GBytes, in arrival order */
} Peer;

static inline void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  p->state = state;
  if (state == NAV_COMPONENT_STATE_FAILED)
    p->failed_seen = TRUE;
}

static inline void
on_selected (NavAgent     *agent,
             guint         stream_id,
             guint         component_id,
             NavCandidate *local,
             NavCandidate *remote,
             Peer         *p)
{
  g_clear_pointer (&p->selected_local, nav_candidate_free);
  g_clear_pointer (&p->selected_remote, nav_candidate_free);
  p->selected_local = nav_candidate_copy (local);
  p->selected_remote = nav_candidate_copy (remote);
}

static inline void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  Peer *p = user_data;

  g_ptr_array_add (p->received, g_bytes_new (buf, len));
}


/* Takes @agent (configured by the caller) into @p: the local address
 * @ip, one stream of one component, and every handler above. */
static inline void
tcp_peer_setup (Peer        *p,
                NavAgent    *agent,
                const gchar *ip)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string (ip, NULL);

  p->agent = agent;
  p->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  g_signal_connect (p->agent, "candidate-gathering-done",
                    G_CALLBACK (agent_test_set_flag), &p->gathering_done);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_selected), p);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_assert_cmpuint (p->stream_id, >, 0);
  g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_recv, p));
}

static inline void
peer_clear (Peer *p)
{
  nav_agent_remove_stream (p->agent, p->stream_id);
  g_clear_object (&p->agent);
  g_clear_pointer (&p->selected_local, nav_candidate_free);
  g_clear_pointer (&p->selected_remote, nav_candidate_free);
  g_ptr_array_unref (p->received);
  /* Let the closed connections' sources go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Conditions of wait_for () on one Peer, or on an array of two. */
static inline gboolean
peer_gathered (gpointer data)
{
  Peer *p = data;

  return p->gathering_done;
}

static inline gboolean
peers_gathered (gpointer data)
{
  Peer *p = data;

  return p[0].gathering_done && p[1].gathering_done;
}

static inline gboolean
peer_failed (gpointer data)
{
  Peer *p = data;

  return p->failed_seen;
}

static inline gboolean
peers_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state == NAV_COMPONENT_STATE_READY && p[0].selected_local != NULL &&
         p[1].state == NAV_COMPONENT_STATE_READY && p[1].selected_local != NULL;
}

/* Signals @from's credentials and every local candidate to @to. */
static inline void
tcp_peer_exchange (Peer *from,
                   Peer *to)
{
  agent_test_signal_credentials (from->agent, from->stream_id, to->agent, to->stream_id);
  agent_test_signal_candidates (to->agent, to->stream_id, 1,
                                nav_agent_get_local_candidates (from->agent,
                                                                from->stream_id, 1));
}

/* ------------------------------------------------- the checker's pairs */

/* A candidate of stream 1, component 1 with the priority of a local
 * preference of 1000. */
static inline NavCandidate *
test_candidate_new (NavCandidateType       type,
                    NavCandidateTransport  transport,
                    const gchar           *address,
                    const gchar           *base,
                    const gchar           *foundation)
{
  NavCandidate *c = nav_candidate_new (type);
  g_autoptr (NavAddress) addr = nav_address_new_from_string (address, NULL);
  g_autoptr (NavAddress) base_addr = nav_address_new_from_string (base, NULL);

  c->transport = transport;
  c->addr = *addr;
  c->base_addr = *base_addr;
  c->stream_id = 1;
  c->component_id = 1;
  c->priority = nav_candidate_compute_priority (type, transport, 1000, 1);
  nav_candidate_set_foundation (c, foundation);
  return c;
}

static inline void
on_pair (NavChecker   *checker,
         NavCandidate *local,
         NavCandidate *remote,
         NavPairState  state,
         GPtrArray    *pairs)
{
  g_autofree gchar *name = g_strdup_printf ("%s>%s", local->foundation, remote->foundation);

  if (!g_ptr_array_find_with_equal_func (pairs, name, g_str_equal, NULL))
    g_ptr_array_add (pairs, g_steal_pointer (&name));
}

/* A controlling ICE checker that adds the name "L>R" (foundations) of
 * each pair it forms to @pairs, once. */
static inline NavChecker *
pair_checker_new (GPtrArray *pairs)
{
  g_autoptr (GError) error = NULL;
  GObject *object;

  object = nav_registry_create (nav_registry_get_default (), NAV_CHECKER_EXTENSION_POINT_NAME,
                                "ice", &error, "controlling-mode", TRUE, NULL);
  g_assert_no_error (error);
  g_signal_connect (object, "pair-state-changed", G_CALLBACK (on_pair), pairs);
  return NAV_CHECKER (object);
}

/* @pairs are exactly the @n_expected names of @expected; each is
 * logged after @label. */
static inline void
assert_pairs (GPtrArray          *pairs,
              const gchar *const *expected,
              guint               n_expected,
              const gchar        *label)
{
  for (guint i = 0; i < pairs->len; i++)
    g_test_message ("%spair %s", label, (const gchar *) g_ptr_array_index (pairs, i));
  g_assert_cmpuint (pairs->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (pairs, expected[i], g_str_equal, NULL));
}
