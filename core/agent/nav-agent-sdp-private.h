/* nav-agent-sdp-private.h: what NavAgent's SDP (nav-agent-sdp.c) gives the other
 * parts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

/* The candidate of the m= and c= lines; with the lock held. */
const NavCandidate *nav_agent_default_candidate (NavAgent       *agent,
                                                 AgentComponent *component);

G_END_DECLS
