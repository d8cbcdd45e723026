/* nav-agent-checks-private.h: what NavAgent's checker glue (nav-agent-checks.c)
 * gives the other parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

/* Asks the registry for the checker and connects it (construction). */
void     nav_agent_create_checker       (NavAgent    *agent);
/* With the lock held: the agent's settings to the checker, and the
 * checks of a stream started once everything they need is there. */
void     nav_agent_configure_checker    (NavAgent    *agent);
void     nav_agent_maybe_start_checks   (NavAgent    *agent,
                                         AgentStream *stream);

G_END_DECLS
