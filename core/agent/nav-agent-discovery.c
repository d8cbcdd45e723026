/* nav-agent-discovery.c: NavAgent's gathering: the registry's gatherers
 * and the candidates they find
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-checks-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-strategy-private.h"
#include "nav-host-gatherer-private.h"

/* Whether UDP sockets are opened with ice-udp off, for the STUN server
 * only: without them no TCP candidate would learn its mapped address.
 * Only for simultaneous-open (TCP hole punching, an option libnice does
 * not have): otherwise ice-udp off means no UDP socket at all, as in
 * libnice, and gathering never waits for a STUN server. */
static gboolean
wants_discovery_sockets (NavAgent *agent)
{
  return !agent->ice_udp && agent->ice_tcp && agent->ice_tcp_so && !agent->force_relay &&
         agent->full_mode && agent->stun_server != NULL && agent->stun_server[0] != '\0';
}

/* Called with the lock held.  Server-reflexive TCP candidates (RFC 6544
 * §5.2), derived as libnice derives them: for each host TCP candidate on
 * the base IP of @udp_srflx, the mapped IP with the host candidate's own
 * port and tcptype, on the host candidate's transport (its base, RFC 8445
 * §6.1.2.4: checks leave from there, and nothing binds the mapped
 * address).  That assumes a NAT which keeps ports for TCP, the common
 * kind; where it does not, the candidate simply fails its checks.  New
 * candidates are added to @component and @out. */
static void
derive_tcp_srflx (NavAgent           *agent,
                  AgentComponent     *component,
                  const NavCandidate *udp_srflx,
                  GPtrArray          *out)
{
  guint i, n = component->local->len;

  if (!agent->ice_tcp || agent->force_relay || !agent->full_mode)
    return;
  for (i = 0; i < n; i++)
    {
      const NavCandidate *host = g_ptr_array_index (component->local, i);
      g_autoptr (NavCandidate) c = NULL;
      g_autofree gchar *key = NULL;
      gchar foundation[16];
      guint direction;

      if (host->type != NAV_CANDIDATE_TYPE_HOST ||
          host->transport == NAV_CANDIDATE_TRANSPORT_UDP ||
          !nav_address_equal_no_port (&host->base_addr, &udp_srflx->base_addr))
        continue;
      c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
      c->transport = host->transport;
      c->addr = udp_srflx->addr;
      nav_address_set_port (&c->addr, nav_address_get_port (&host->addr));
      c->base_addr = host->addr;
      c->related_addr = host->addr;
      c->stream_id = host->stream_id;
      c->component_id = host->component_id;
      /* RFC 8445 §5.1.3: one equal to its base is redundant. */
      if (nav_address_equal (&c->addr, &host->addr) || nav_agent_has_candidate (component->local, c))
        continue;
      /* RFC 6544 §4.2: the direction preferences of its table's row for a
       * NATed host (simultaneous-open 6, active 4, passive 2), as libnice
       * gives reflexive candidates, and the host candidate's other
       * preference. */
      direction = host->transport == NAV_CANDIDATE_TRANSPORT_TCP_SO ? 6 :
                  host->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE ? 4 : 2;
      c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                                    host->transport,
                                                    (direction << 13) |
                                                    ((host->priority >> 8) & 0x1fff),
                                                    host->component_id);
      /* RFC 8445 §5.1.1.3: type, base IP and server are those of the UDP
       * candidate's foundation; the transport makes the difference. */
      key = g_strdup_printf ("%s/%s", udp_srflx->foundation,
                             nav_candidate_transport_to_string (host->transport));
      g_snprintf (foundation, sizeof foundation, "%u", g_str_hash (key));
      nav_candidate_set_foundation (c, foundation);
      nav_candidate_set_owner (c, host->owner);
      g_ptr_array_add (component->local, nav_candidate_copy (c));
      g_ptr_array_add (out, g_steal_pointer (&c));
    }
}

static void
on_candidate_gathered (NavGatherer  *gatherer,
                       NavCandidate *candidate,
                       NavAgent     *agent)
{
  AgentComponent *component;
  AgentStream *stream;
  NavChecker *checker = NULL;
  g_autoptr (GPtrArray) derived = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  gboolean offer;
  guint i;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, candidate->stream_id, candidate->component_id);
  if (component == NULL || nav_agent_has_candidate (component->local, candidate) ||
      nav_agent_has_candidate (component->discovery, candidate))
    {
      nav_agent_unlock_and_emit (agent);
      return;
    }
  stream = component->stream;
  /* nav_agent_set_stream_tos() covers the sockets that come later. */
  if (stream->tos >= 0 && candidate->owner != NULL)
    nav_transport_set_tos (candidate->owner, stream->tos);
  if (!agent->ice_udp && candidate->transport == NAV_CANDIDATE_TRANSPORT_UDP &&
      candidate->type != NAV_CANDIDATE_TYPE_RELAYED)
    {
      /* A discovery socket (wants_discovery_sockets()) and what it
       * learnt: kept from the peer, the checker and the application. */
      g_ptr_array_add (component->discovery, nav_candidate_copy (candidate));
      if (candidate->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE)
        derive_tcp_srflx (agent, component, candidate, derived);
    }
  else
    {
      nav_agent_hook_transport (agent, component, candidate->owner);
      g_ptr_array_add (component->local, nav_candidate_copy (candidate));
      if (candidate->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
          candidate->transport == NAV_CANDIDATE_TRANSPORT_UDP)
        derive_tcp_srflx (agent, component, candidate, derived);
      /* A host TCP candidate after the UDP srflx (trickled gatherers in
       * any order): its twin too. */
      if (candidate->type == NAV_CANDIDATE_TYPE_HOST &&
          candidate->transport != NAV_CANDIDATE_TRANSPORT_UDP)
        for (GPtrArray *a = component->local; a != NULL;
             a = a == component->local ? component->discovery : NULL)
          for (i = 0; i < a->len; i++)
            {
              const NavCandidate *c = g_ptr_array_index (a, i);

              if (c->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
                  c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
                derive_tcp_srflx (agent, component, c, derived);
            }
      g_ptr_array_insert (derived, 0, nav_candidate_copy (candidate));
    }

  /* force-relay: the host and reflexive candidates are only the bases of
   * relayed ones; the peer never learns them. */
  for (i = 0; i < derived->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (derived, i);

      offer = !agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED;
      if (!offer)
        {
          g_ptr_array_remove_index (derived, i--);
          continue;
        }
      nav_agent_queue_signal (agent, SIG_NEW_CANDIDATE_FULL, stream->id, component->id, 0, c, NULL);
      nav_agent_queue_signal (agent, SIG_NEW_CANDIDATE, stream->id, component->id, 0, c, NULL);
    }
  if (derived->len > 0 && agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  nav_agent_unlock_and_emit (agent);

  if (checker != NULL)
    {
      for (i = 0; i < derived->len; i++)
        if (!nav_agent_strategy_hold_local (agent, candidate->stream_id, candidate->component_id,
                                              g_ptr_array_index (derived, i)))
          nav_checker_add_local_candidate (checker, g_ptr_array_index (derived, i));
      g_object_unref (checker);
    }
}

static GPtrArray *
dup_host_bases (AgentComponent *component)
{
  GPtrArray *bases = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  guint i;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST)
        g_ptr_array_add (bases, nav_candidate_copy (c));
    }
  for (i = 0; i < component->discovery->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->discovery, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST)
        g_ptr_array_add (bases, nav_candidate_copy (c));
    }
  return bases;
}

/* A gatherer of the registry, given the agent's settings
 * (nav-gatherer.c declares them): a setting it does not take is an error
 * naming it, and the gatherer is not used. */
static NavGatherer *
create_gatherer (NavAgent         *agent,
                 const gchar      *name,
                 const NavConfig  *config,
                 GError          **error)
{
  g_autoptr (GObject) object = NULL;

  object = nav_registry_create (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                                name, error, "context", agent->context, NULL);
  if (object == NULL || !nav_gatherer_configure (NAV_GATHERER (object), config, error))
    return NULL;
  return NAV_GATHERER (g_steal_pointer (&object));
}

/* libnice's discovery retransmits its STUN and TURN requests with the
 * agent's settings, as the checks do: so do the gatherers. */
static NavConfig *
new_gatherer_config (NavAgent *agent)
{
  NavConfig *config = nav_config_new_for_gatherer ();
  g_autoptr (GError) error = NULL;

  if (!nav_config_set (config, &error,
                       "stun-initial-timeout", MAX (agent->stun_initial_timeout, 1u),
                       "stun-max-retransmissions", agent->stun_max_retransmissions,
                       "stun-reliable-timeout", MAX (agent->stun_reliable_timeout, 1u),
                       "software", agent->software,
                       NULL))
    g_critical ("%s", error->message);
  return config;
}

static void on_gatherer_done (NavGatherer *gatherer, guint stream_id, guint component_id,
                              NavAgent *agent);

static void
on_gatherer_failed (NavGatherer  *gatherer,
                    guint         stream_id,
                    guint         component_id,
                    const GError *error,
                    NavAgent     *agent)
{
  g_debug ("event=gathering-error stream=%u component=%u error=\"%s\"",
           stream_id, component_id, error->message);
  nav_agent_lock (agent);
  if (nav_agent_lookup_component (agent, stream_id, component_id) != NULL)
    nav_agent_queue_gathering_error (agent, stream_id, component_id, error);
  nav_agent_unlock_and_emit (agent);
}

static void
start_gatherer (NavAgent       *agent,
                AgentComponent *component,
                NavGatherer    *gatherer,
                GPtrArray      *bases)
{
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate_gathered), agent);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_gatherer_done), agent);
  g_signal_connect (gatherer, "server-failed", G_CALLBACK (on_gatherer_failed), agent);
  g_ptr_array_add (component->gatherers, gatherer);
  component->pending_gatherers++;
  nav_gatherer_gather (gatherer, component->stream->id, component->id, bases);
}

/* The host candidates are in: start the gatherers built on them. */
static void
start_second_stage (NavAgent       *agent,
                    AgentComponent *component)
{
  g_autoptr (GPtrArray) bases = dup_host_bases (component);
  guint i;

  if (agent->stun_server != NULL && agent->stun_server[0] != '\0' && !agent->force_relay)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *server = NULL;
      g_autoptr (NavConfig) config = new_gatherer_config (agent);
      NavGatherer *stun = NULL;
      const gchar *servers[2] = { NULL, NULL };

      server = strchr (agent->stun_server, ':') != NULL
               ? g_strdup_printf ("[%s]:%u", agent->stun_server, agent->stun_server_port)
               : g_strdup_printf ("%s:%u", agent->stun_server, agent->stun_server_port);
      servers[0] = server;
      if (nav_config_set (config, &error, "stun-servers", servers, NULL))
        stun = create_gatherer (agent, "stun", config, &error);
      if (stun == NULL)
        g_warning (_("Server-reflexive candidates of stream %u are not gathered: %s"),
                   component->stream->id, error->message);
      else
        start_gatherer (agent, component, stun, bases);
    }

  for (i = 0; i < component->relays->len; i++)
    {
      RelayInfo *info = g_ptr_array_index (component->relays, i);
      g_autoptr (GError) error = NULL;
      g_autofree gchar *server = NULL;
      g_autoptr (NavConfig) config = new_gatherer_config (agent);
      NavGatherer *turn = NULL;

      server = strchr (info->server, ':') != NULL
               ? g_strdup_printf ("[%s]:%u", info->server, info->port)
               : g_strdup_printf ("%s:%u", info->server, info->port);
      if (nav_config_set (config, &error,
                          "relay-server", server,
                          "relay-type", info->type,
                          "relay-username", info->username,
                          "relay-password", info->password,
                          NULL))
        turn = create_gatherer (agent, "turn", config, &error);
      if (turn == NULL)
        g_warning (_("Relayed candidates of stream %u are not gathered: %s"),
                   component->stream->id, error->message);
      else
        start_gatherer (agent, component, turn, bases);
    }
}

static void
on_gatherer_done (NavGatherer *gatherer,
                  guint        stream_id,
                  guint        component_id,
                  NavAgent    *agent)
{
  AgentComponent *component;
  AgentStream *stream;
  guint i;
  gboolean all_done = TRUE;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL || component->pending_gatherers == 0)
    {
      nav_agent_unlock_and_emit (agent);
      return;
    }
  stream = component->stream;
  component->pending_gatherers--;
  /* RFC 8445 §2.5: a lite agent has host candidates only. */
  if (gatherer == component->host_gatherer && agent->full_mode)
    start_second_stage (agent, component);

  for (i = 0; i < stream->n_components; i++)
    if (stream->components[i].pending_gatherers > 0)
      all_done = FALSE;
  if (all_done && stream->gathering && !stream->gathering_done)
    {
      stream->gathering_done = TRUE;
      nav_agent_queue_signal (agent, SIG_CANDIDATE_GATHERING_DONE, stream->id, 0, 0, NULL, NULL);
      nav_agent_maybe_start_checks (agent, stream);
      /* RFC 8838 §8: see nav_agent_peer_candidate_gathering_done(). */
      if (stream->peer_gathering_done && agent->checker != NULL && !nav_agent_strategy_holds (agent, stream->id))
        nav_checker_remote_gathering_done (agent->checker, stream->id);
    }
  nav_agent_unlock_and_emit (agent);
}

/* Called with the lock held: the host gatherer of @component, set up as
 * the agent wants it. */
static NavHostGatherer *
new_host_gatherer (NavAgent       *agent,
                   AgentComponent *component)
{
  NavHostGatherer *host = nav_host_gatherer_new (agent->context);
  guint j;

  /* Relay-only: TCP host candidates would never be offered, and no
   * relay is built on them; no listener is opened either. */
  g_object_set (host,
                "ice-udp", agent->ice_udp || wants_discovery_sockets (agent),
                "ice-tcp", agent->ice_tcp && !agent->force_relay,
                "tcp-passive-only", !agent->full_mode,
                "tcp-simultaneous-open", agent->ice_tcp_so,
                "min-port", component->min_port,
                "max-port", component->max_port,
                NULL);
  for (j = 0; j < agent->local_addresses->len; j++)
    nav_host_gatherer_add_local_address (host, &g_array_index (agent->local_addresses,
                                                               NavAddress, j));
  return host;
}

/* Whether @component has a host candidate on @address's IP. */
static gboolean
has_host_on (AgentComponent   *component,
             const NavAddress *address)
{
  GPtrArray *arrays[] = { component->local, component->discovery };
  guint a, i;

  for (a = 0; a < G_N_ELEMENTS (arrays); a++)
    for (i = 0; i < arrays[a]->len; i++)
      {
        const NavCandidate *c = g_ptr_array_index (arrays[a], i);

        if (c->type == NAV_CANDIDATE_TYPE_HOST && nav_address_equal_no_port (&c->addr, address))
          return TRUE;
      }
  return FALSE;
}

/* The highest numeric foundation of the component's candidates. */
static guint64
highest_foundation (AgentComponent *component)
{
  GPtrArray *arrays[] = { component->local, component->discovery };
  guint64 highest = 0;
  guint a, i;

  for (a = 0; a < G_N_ELEMENTS (arrays); a++)
    for (i = 0; i < arrays[a]->len; i++)
      highest = MAX (highest, g_ascii_strtoull (((NavCandidate *) g_ptr_array_index (arrays[a], i))->foundation,
                                                NULL, 10));
  return highest;
}

/* An ICE restart after a network change (RFC 8445 §9: "a change in the
 * addresses"): the interfaces' addresses that have no host candidate
 * yet (a new address, a second interface) get theirs, announced as
 * gathered ones and paired by the checks that follow.  The old
 * candidates stay, as a restart keeps them.  Only when the agent
 * enumerates the interfaces itself (no nav_agent_add_local_address())
 * and the stream gathered once.  Called with the lock held. */
void
nav_agent_gather_new_addresses (NavAgent    *agent,
                                AgentStream *stream)
{
  GList *addresses, *l;
  guint i;

  if (!stream->gathering || agent->local_addresses->len > 0)
    return;
  addresses = nav_host_gatherer_list_local_addresses (FALSE, TRUE, TRUE);
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];
      NavHostGatherer *host = NULL;
      g_autoptr (GPtrArray) candidates = NULL;
      gchar text[NAV_ADDRESS_STRING_LEN];
      guint j;

      for (l = addresses; l != NULL; l = l->next)
        if (!has_host_on (component, l->data))
          {
            if (host == NULL)
              host = new_host_gatherer (agent, component);
            g_debug ("Stream %u component %u: a new local address since gathering: %s", stream->id,
                     component->id, nav_address_to_string_buf (l->data, text));
            nav_host_gatherer_add_local_address (host, l->data);
          }
      if (host == NULL)
        continue;
      candidates = nav_host_gatherer_gather_sync (host, stream->id, component->id);
      /* The gatherer owns the new sockets: it lives with the component. */
      g_ptr_array_add (component->gatherers, host);
      /* Its foundations count from 1 as the first gatherer's did: after
       * the highest in use, so that a new base never shares the
       * foundation of an old one (RFC 8445 §5.1.1.3), which would make
       * the checks take their pairs for the old ones. */
      for (j = 0; j < candidates->len; j++)
        {
          NavCandidate *c = g_ptr_array_index (candidates, j);
          gchar foundation[NAV_CANDIDATE_MAX_FOUNDATION];

          g_snprintf (foundation, sizeof foundation, "%" G_GUINT64_FORMAT,
                      highest_foundation (component) + g_ascii_strtoull (c->foundation, NULL, 10));
          nav_candidate_set_foundation (c, foundation);
        }
      for (j = 0; j < candidates->len; j++)
        on_candidate_gathered (NAV_GATHERER (host), g_ptr_array_index (candidates, j), agent);
    }
  g_list_free_full (addresses, (GDestroyNotify) nav_address_free);
}

/**
 * nav_agent_gather_candidates:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Starts gathering the stream's local candidates, as
 * `nice_agent_gather_candidates()`.  The host candidates are made before
 * it returns (their sockets bound, from the component's port range when
 * [method@Nav.Agent.set_port_range] set one) and announced with
 * [signal@Nav.Agent::new-candidate-full] once it returns; server-reflexive
 * and relayed ones follow as their servers answer, then
 * [signal@Nav.Agent::candidate-gathering-done] (at once when there is no
 * server to ask).
 *
 * Returns: %FALSE when the stream does not exist, or when some component
 *   got no host candidate at all (no local address could be bound: every
 *   port of its range is taken, or no interface is usable), as libnice
 *   says; the stream then gathered nothing and may gather again.  %TRUE
 *   otherwise, also when the stream was already gathering.
 *
 * Since: 1.0
 */
gboolean
nav_agent_gather_candidates (NavAgent *agent,
                             guint     stream_id)
{
  g_autoptr (GPtrArray) hosts = NULL;
  g_autoptr (GPtrArray) found = NULL;
  AgentStream *stream;
  guint i, j;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream == NULL || stream->gathering)
    {
      nav_agent_unlock_and_emit (agent);
      return stream != NULL;
    }

  /* Every component's host sockets first: a component that gets none
   * fails the call before anything is announced (libnice's rule). */
  hosts = g_ptr_array_new_with_free_func (g_object_unref);
  found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];
      NavHostGatherer *host = new_host_gatherer (agent, component);
      GPtrArray *candidates = nav_host_gatherer_gather_sync (host, stream->id, component->id);

      g_ptr_array_add (hosts, host);
      g_ptr_array_add (found, candidates);
      if (candidates->len == 0)
        {
          g_debug ("Stream %u component %u: no local address could be bound (ports %u–%u)",
                   stream->id, component->id, component->min_port, component->max_port);
          nav_agent_unlock_and_emit (agent);
          return FALSE;
        }
    }

  stream->gathering = TRUE;
  nav_agent_strategy_start_discovery (agent);
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];
      NavGatherer *host = g_ptr_array_index (hosts, i);
      GPtrArray *candidates = g_ptr_array_index (found, i);

      nav_agent_set_component_state (agent, component, NAV_COMPONENT_STATE_GATHERING);
      component->host_gatherer = host;
      g_ptr_array_add (component->gatherers, g_object_ref (host));
      component->pending_gatherers++;
      /* As if the gatherer had emitted them: the handlers are the same
       * as the other gatherers'. */
      for (j = 0; j < candidates->len; j++)
        on_candidate_gathered (host, g_ptr_array_index (candidates, j), agent);
      on_gatherer_done (host, stream->id, component->id, agent);
    }
  nav_agent_maybe_start_checks (agent, stream);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}
