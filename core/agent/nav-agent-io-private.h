/* nav-agent-io-private.h: what NavAgent's message I/O (nav-agent-io.c) gives the
 * other parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

/* Each component's channel (nav_agent_get_channel()), bound to its
 * selected pair; with the lock held. */
void            nav_agent_component_init_io    (NavAgent           *agent,
                                                AgentComponent     *component);
void            nav_agent_component_clear_io   (NavAgent           *agent,
                                                AgentComponent     *component);
void            nav_agent_update_channel       (NavAgent           *agent,
                                                AgentComponent     *component);
void            nav_agent_close_channel        (NavAgent           *agent,
                                                AgentComponent     *component);
/* A source the component's data is accepted from (RFC 8445 §11). */
void            nav_agent_accept_source        (NavAgent           *agent,
                                                AgentComponent     *component,
                                                NavTransport       *transport,
                                                const NavAddress   *addr);

/* Hooks the agent's demultiplexer on a candidate's transport, or takes
 * it off and closes the transport; with the lock held. */
void            nav_agent_hook_transport       (NavAgent           *agent,
                                                AgentComponent     *component,
                                                NavTransport       *transport);
void            nav_agent_unhook_candidates    (NavAgent           *agent,
                                                GPtrArray          *candidates);
gboolean        nav_agent_unhook_transport     (NavAgent           *agent,
                                                NavTransport       *transport);
/* Whether the component has a path to send on; with the lock held. */
gboolean        nav_agent_can_send             (AgentComponent     *component);

/* A receive function called in another main context. */
typedef struct {
  NavAgent *agent;
  guint stream_id;
  guint component_id;
  NavAgentRecvFunc func;
  gpointer user_data;
  GBytes *data;
} NavAgentRecvInvocation;

gboolean        nav_agent_recv_invoke          (gpointer            user_data);
void            nav_agent_recv_invocation_free (gpointer            data);

/* The loop of a receive call: a pass takes what is there, then waits
 * for the queues to change. */
typedef enum {
  NAV_AGENT_RECV_GONE,          /* no such component (any more) */
  NAV_AGENT_RECV_ATTACHED       /* a receive function takes its data */
} NavAgentRecvRefusal;

void            nav_agent_recv_wake            (NavAgent           *agent);
void            nav_agent_recv_ring_clear      (AgentRecvRing      *ring);
void            nav_agent_recv_wait            (NavAgent           *agent,
                                                guint64             generation,
                                                GCancellable       *cancellable);
AgentComponent *nav_agent_recv_pass_begin      (NavAgent           *agent,
                                                guint               stream_id,
                                                guint               component_id,
                                                guint64            *generation,
                                                NavAgentRecvRefusal *why);
void            nav_agent_recv_refused         (NavAgentRecvRefusal why,
                                                guint               stream_id,
                                                guint               component_id,
                                                GError            **error);
gboolean        nav_agent_recv_pass_end        (gint                got,
                                                gboolean            blocking,
                                                GCancellable       *cancellable,
                                                gint               *ret,
                                                GError            **error);

G_END_DECLS
