/* tcp-peer-test-util.h: one NavAgent of the ICE-TCP tests and what it
 * saw (state, selected pair, data), shared by test-ice-tcp.c and
 * test-ice-tcp-so.c
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
