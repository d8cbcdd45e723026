/* tcp-peer-test-util.h: one NavAgent of the ICE-TCP tests and what it
 * saw (state, selected pair, data), shared by test-ice-tcp.c and
 * test-ice-tcp-so.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <netavanue/netavanue.h>

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

