/* nav-agent-sockets-private.h: what NavAgent's socket options (nav-agent-sockets.c)
 * give the other parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

void nav_agent_transport_set_tos (NavTransport *transport,
                                  gint          tos);

G_END_DECLS
