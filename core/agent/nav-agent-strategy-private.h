/* nav-agent-strategy-private.h: the NAT-aware strategy of NavAgent
 * (nav-agent-strategy.c), what the other parts of the agent call
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-agent-private.h"

G_BEGIN_DECLS

/* The session-level SDP attribute carrying a peer's RFC 5780 NAT type:
 * "a=x-nav-nat:MAPPING FILTERING" (nav_agent_strategy_append_sdp). */
#define NAV_STRATEGY_SDP_ATTRIBUTE "a=x-nav-nat:"

/* How long the candidates the plan puts second are held back from the
 * checker: a TURN allocation, a permission and a check or two. */
#define NAV_STRATEGY_HEAD_START_MS 2000

/* The properties, installed after the agent's own (ids from N_PROPS). */
enum {
  STRATEGY_PROP_NAT_TYPE = N_PROPS,
  STRATEGY_PROP_REMOTE_NAT_TYPE,
  STRATEGY_PROP_CONNECT_PLAN,
  STRATEGY_PROP_NAT_DISCOVERY,
  STRATEGY_N_PROPS
};

void      nav_agent_strategy_install_properties (GObjectClass       *klass);
gboolean  nav_agent_strategy_get_property       (NavAgent           *agent,
                                                 guint               prop_id,
                                                 GValue             *value);
gboolean  nav_agent_strategy_set_property       (NavAgent           *agent,
                                                 guint               prop_id,
                                                 const GValue       *value);
void      nav_agent_strategy_dispose            (NavAgent           *agent);

/* Called with the lock held when a stream starts gathering: RFC 5780
 * discovery with the agent's STUN server, once per agent, when
 * [property@Nav.Agent:nat-discovery] asks for it and no NAT type is set. */
void      nav_agent_strategy_start_discovery    (NavAgent           *agent);

/* Called with the lock held. */
void      nav_agent_strategy_append_sdp         (NavAgent           *agent,
                                                 GString            *sdp);
gboolean  nav_agent_strategy_hold               (NavAgent           *agent,
                                                 AgentComponent     *component,
                                                 const NavCandidate *candidate);
gboolean  nav_agent_strategy_holds              (NavAgent           *agent,
                                                 guint               stream_id);

/* Without the lock: TRUE when a local candidate is held back. */
gboolean  nav_agent_strategy_hold_local         (NavAgent           *agent,
                                                 guint               stream_id,
                                                 guint               component_id,
                                                 const NavCandidate *candidate);

/* Without the lock: the value of NAV_STRATEGY_SDP_ATTRIBUTE in a remote
 * description. */
/* For the statistics, with the lock held: the plan's name and both NAT
 * types (NULL when unknown). */
void      nav_agent_strategy_describe          (NavAgent           *agent,
                                                const gchar       **plan,
                                                const gchar       **nat_type,
                                                const gchar       **remote_nat_type);
void      nav_agent_strategy_set_remote_nat     (NavAgent           *agent,
                                                 const gchar        *value);

/* The strategy matrix itself (exposed for the unit test): the plan for
 * two NAT types in nav_agent_strategy_parse()'s syntax, or
 * NAV_CONNECT_PLAN_ICE when one is unknown or unparsable. */
NavConnectPlan nav_agent_strategy_plan_for      (const gchar        *local,
                                                 const gchar        *remote);
const gchar   *nav_agent_strategy_plan_name     (NavConnectPlan      plan);

G_END_DECLS
