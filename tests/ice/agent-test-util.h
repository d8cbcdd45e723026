/* agent-test-util.h: helpers shared by the NavAgent tests in tests/ice
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents in one process and one main context, on loopback: the main
 * loop is run until a condition holds, and one agent's credentials and
 * candidates are handed to the other as signalling would.
 */
#pragma once

#include <glib.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 30

typedef gboolean (*Condition) (gpointer data);

/* Iterates the default main context until @condition (@data) holds. */
static inline void
wait_for (Condition condition,
          gpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!condition (data))
    {
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

/* Hands @from's local credentials of @from_stream to @to's @to_stream. */
static inline void
agent_test_signal_credentials (NavAgent *from,
                               guint     from_stream,
                               NavAgent *to,
                               guint     to_stream)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;

  g_assert_true (nav_agent_get_local_credentials (from, from_stream, &ufrag, &pwd));
  g_assert_true (nav_agent_set_remote_credentials (to, to_stream, ufrag, pwd));
}

/* Sets @list (NavCandidate, not empty) as @to's remote candidates of
 * @component and frees it: every candidate must be taken. */
static inline void
agent_test_signal_candidates (NavAgent *to,
                              guint     to_stream,
                              guint     component,
                              GSList   *list)
{
  g_assert_nonnull (list);
  g_assert_cmpint (nav_agent_set_remote_candidates (to, to_stream, component, list), ==,
                   (gint) g_slist_length (list));
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
}

/* A Condition: the gboolean @data points to is set. */
static inline gboolean
agent_test_flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* A handler of "candidate-gathering-done" that sets the gboolean it is
 * given. */
static inline void
agent_test_set_flag (NavAgent *agent,
                     guint     stream_id,
                     gboolean *flag)
{
  *flag = TRUE;
}

/* A handler of "component-state-changed" that stores the state in the
 * NavComponentState it is given. */
static inline void
agent_test_set_state (NavAgent          *agent,
                      guint              stream_id,
                      guint              component_id,
                      guint              state,
                      NavComponentState *out)
{
  *out = state;
}

/* Hands each agent's local credentials to the other. */
static inline void
agent_test_signal_credentials_both (NavAgent *a,
                                    guint     a_stream,
                                    NavAgent *b,
                                    guint     b_stream)
{
  agent_test_signal_credentials (a, a_stream, b, b_stream);
  agent_test_signal_credentials (b, b_stream, a, a_stream);
}

/* Hands each agent's local candidates of component 1 to the other. */
static inline void
agent_test_signal_candidates_both (NavAgent *a,
                                   guint     a_stream,
                                   NavAgent *b,
                                   guint     b_stream)
{
  agent_test_signal_candidates (b, b_stream, 1, nav_agent_get_local_candidates (a, a_stream, 1));
  agent_test_signal_candidates (a, a_stream, 1, nav_agent_get_local_candidates (b, b_stream, 1));
}

/* A new RFC 5245 NavAgent of @options with the local address 127.0.0.1,
 * whose "candidate-gathering-done" sets *@gathering_done. */
static inline NavAgent *
agent_test_new_loopback (NavAgentOption  options,
                         gboolean       *gathering_done)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  NavAgent *agent = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC5245, options);

  g_assert_true (nav_agent_add_local_address (agent, addr));
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (agent_test_set_flag),
                    gathering_done);
  return agent;
}

/* What two agents' signals said of their stream: gathering done, the
 * state of component 1; agent_test_watch() keeps it, the conditions
 * below read a pair of them. */
typedef struct {
  gboolean gathered;
  NavComponentState state;
} AgentTestWatch;

static inline void
agent_test_watch (NavAgent       *agent,
                  AgentTestWatch *watch)
{
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (agent_test_set_flag),
                    &watch->gathered);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (agent_test_set_state),
                    &watch->state);
}

/* Conditions on AgentTestWatch *[2]. */
static inline gboolean
agent_test_watches_gathered (gpointer data)
{
  AgentTestWatch **w = data;

  return w[0]->gathered && w[1]->gathered;
}

static inline gboolean
agent_test_watches_ready (gpointer data)
{
  AgentTestWatch **w = data;

  return w[0]->state == NAV_COMPONENT_STATE_READY && w[1]->state == NAV_COMPONENT_STATE_READY;
}

/* Gathers on both watched agents, hands each one's credentials and
 * candidates to the other, and waits until both are READY. */
static inline void
agent_test_connect_watched (NavAgent       *a,
                            guint           a_stream,
                            AgentTestWatch *a_watch,
                            NavAgent       *b,
                            guint           b_stream,
                            AgentTestWatch *b_watch)
{
  AgentTestWatch *w[2] = { a_watch, b_watch };

  g_assert_true (nav_agent_gather_candidates (a, a_stream));
  g_assert_true (nav_agent_gather_candidates (b, b_stream));
  wait_for (agent_test_watches_gathered, w);
  agent_test_signal_credentials_both (a, a_stream, b, b_stream);
  agent_test_signal_candidates_both (a, a_stream, b, b_stream);
  wait_for (agent_test_watches_ready, w);
}
