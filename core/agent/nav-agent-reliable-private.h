/* nav-agent-reliable-private.h: what NavAgent's reliable mode (nav-agent-reliable.c)
 * gives the other parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

gboolean nav_agent_reliable_pair_is_stream (AgentComponent         *component);
void     nav_agent_reliable_component_free (NavAgent               *agent,
                                            AgentComponent         *component);
gboolean nav_agent_reliable_receive        (NavAgent               *agent,
                                            NavTransport           *transport,
                                            guint                   stream_id,
                                            guint                   component_id,
                                            const guint8           *data,
                                            gsize                   len);
void     nav_agent_reliable_selected_pair  (NavAgent               *agent,
                                            AgentComponent         *component);
void     nav_agent_reliable_recv_attached  (NavAgent               *agent,
                                            AgentComponent         *component);
gint     nav_agent_reliable_send           (NavAgent               *agent,
                                            guint                   stream_id,
                                            guint                   component_id,
                                            const NavOutputMessage *messages,
                                            guint                   n_messages,
                                            gboolean                allow_partial,
                                            GError                **error);
gint     nav_agent_reliable_recv_messages  (NavAgent               *agent,
                                            guint                   stream_id,
                                            guint                   component_id,
                                            NavInputMessage        *messages,
                                            guint                   n_messages,
                                            gboolean                blocking,
                                            GCancellable           *cancellable,
                                            GError                **error);

G_END_DECLS
