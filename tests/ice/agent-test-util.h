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

/* A handler of "candidate-gathering-done" that sets the gboolean it is
 * given. */
static inline void
agent_test_set_flag (NavAgent *agent,
                     guint     stream_id,
                     gboolean *flag)
{
  *flag = TRUE;
}
