/* nav-agent-checks.c: NavAgent and its checker: the checks, selected
 * pairs, ICE restarts, consent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-checks-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-reliable-private.h"
#include "nav-agent-strategy-private.h"

/* ----------------------------------------------------------- the checker */

static void
on_checker_component_state (NavChecker        *checker,
                            guint              stream_id,
                            guint              component_id,
                            NavComponentState  state,
                            NavAgent          *agent)
{
  AgentComponent *component;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    nav_agent_set_component_state (agent, component, state);
  nav_agent_unlock_and_emit (agent);
}

static void
on_checker_selected_pair (NavChecker   *checker,
                          guint         stream_id,
                          guint         component_id,
                          NavCandidate *local,
                          NavCandidate *remote,
                          NavAgent     *agent)
{
  AgentComponent *component;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      g_clear_pointer (&component->selected_local, nav_candidate_free);
      g_clear_pointer (&component->selected_remote, nav_candidate_free);
      component->selected_local = nav_candidate_copy (local);
      component->selected_remote = nav_candidate_copy (remote);
      /* The data path follows: the channel is rebound to the pair, and
       * data from its remote is accepted. */
      nav_agent_accept_source (agent, component, local->owner, &remote->addr);
      nav_agent_update_channel (agent, component);
      nav_agent_queue_signal (agent, SIG_NEW_SELECTED_PAIR_FULL, stream_id, component_id, 0, local, remote);
      nav_agent_queue_signal (agent, SIG_NEW_SELECTED_PAIR, stream_id, component_id, 0, local, remote);
      if (agent->reliable)
        nav_agent_reliable_selected_pair (agent, component);
    }
  nav_agent_unlock_and_emit (agent);
}

static void
on_checker_pair_state (NavChecker   *checker,
                       NavCandidate *local,
                       NavCandidate *remote,
                       NavPairState  state,
                       NavAgent     *agent)
{
  AgentComponent *component;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, remote->stream_id, remote->component_id);
  if (component != NULL)
    {
      /* A pair whose check succeeded (RFC 8445 §7.2.5.3): its remote may
       * send data before it is selected. */
      if (state == NAV_PAIR_STATE_SUCCEEDED)
        nav_agent_accept_source (agent, component, local->owner, &remote->addr);
      /* Peer-reflexive candidates learnt by the checker (RFC 8445
       * §7.2.5.3.1 and §7.3.1.3) are announced as libnice does. */
      if (remote->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
          !nav_agent_has_candidate (component->remote, remote))
        {
          g_ptr_array_add (component->remote, nav_candidate_copy (remote));
          nav_agent_queue_signal (agent, SIG_NEW_REMOTE_CANDIDATE_FULL, remote->stream_id,
                        remote->component_id, 0, NULL, remote);
          nav_agent_queue_signal (agent, SIG_NEW_REMOTE_CANDIDATE, remote->stream_id,
                        remote->component_id, 0, NULL, remote);
        }
      if (local->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
          !nav_agent_has_candidate (component->local, local))
        {
          g_ptr_array_add (component->local, nav_candidate_copy (local));
          nav_agent_queue_signal (agent, SIG_NEW_CANDIDATE_FULL, local->stream_id, local->component_id,
                        0, local, NULL);
          nav_agent_queue_signal (agent, SIG_NEW_CANDIDATE, local->stream_id, local->component_id,
                        0, local, NULL);
        }
    }
  nav_agent_unlock_and_emit (agent);
}

/* The peer's check passed authentication (RFC 8445 §7.3): its source
 * is the peer's, data from it is accepted, as libnice does for the
 * remote candidates of the checks it answers. */
static void
on_checker_incoming_check (NavChecker   *checker,
                           NavCandidate *local,
                           NavCandidate *remote,
                           NavAgent     *agent)
{
  AgentComponent *component;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, remote->stream_id, remote->component_id);
  if (component != NULL)
    nav_agent_accept_source (agent, component, local->owner, &remote->addr);
  nav_agent_unlock_and_emit (agent);
}

static void
on_checker_role (GObject    *checker,
                 GParamSpec *pspec,
                 NavAgent   *agent)
{
  gboolean controlling;
  gboolean changed;

  g_object_get (checker, "controlling-mode", &controlling, NULL);
  nav_agent_lock (agent);
  changed = agent->controlling_mode != controlling;
  agent->controlling_mode = controlling;
  nav_agent_unlock_and_emit (agent);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (agent), nav_agent_properties[PROP_CONTROLLING_MODE]);
}

void
nav_agent_configure_checker (NavAgent *agent)
{
  g_autoptr (NavConfig) config = NULL;
  g_autoptr (GError) error = NULL;

  if (agent->checker == NULL)
    return;
  g_signal_handlers_block_by_func (agent->checker, on_checker_role, agent);
  g_object_set (agent->checker, "controlling-mode", agent->controlling_mode && agent->full_mode,
                NULL);
  g_signal_handlers_unblock_by_func (agent->checker, on_checker_role, agent);

  /* The settings nav-checker.c declares, each of them. */
  config = nav_config_new_for_checker ();
  if (!nav_config_set (config, &error,
                       "nomination-mode", agent->nomination_mode,
                       "stun-pacing-timer", MAX (agent->stun_pacing_timer, 1u),
                       "max-connectivity-checks", MAX (agent->max_connectivity_checks, 1u),
                       /* A lite agent sends no consent checks: it keeps
                        * answering the peer's. */
                       "consent-freshness", agent->consent_freshness && agent->full_mode,
                       "lite", !agent->full_mode,
                       "consent-interval", agent->consent_interval,
                       "consent-timeout", agent->consent_timeout,
                       "ice-trickle", agent->ice_trickle,
                       "stun-initial-timeout", MAX (agent->stun_initial_timeout, 1u),
                       "stun-max-retransmissions", agent->stun_max_retransmissions,
                       "stun-reliable-timeout", MAX (agent->stun_reliable_timeout, 1u),
                       "software", agent->software,
                       NULL))
    g_critical ("%s", error->message);
  else if (!nav_checker_configure (agent->checker, config, &error) && !agent->checker_config_failed)
    {
      /* Once: the agent configures its checker again at each change. */
      agent->checker_config_failed = TRUE;
      g_warning (_("The ICE checker does not take the agent's settings: %s"), error->message);
    }
}

/* Called with the lock held. */
void
nav_agent_maybe_start_checks (NavAgent    *agent,
                    AgentStream *stream)
{
  g_autoptr (GError) error = NULL;

  if (agent->checker == NULL || stream->checks_started || stream->remote_ufrag == NULL)
    return;
  if (!stream->gathering_done && !(agent->ice_trickle && stream->gathering))
    return;
  stream->checks_started = TRUE;
  if (!nav_checker_start (agent->checker, stream->id, &error))
    g_warning ("Stream %u: the checks did not start: %s", stream->id, error->message);
}

/* Called with the lock held.  RFC 8445 §9: new local credentials, the
 * peer's forgotten with its candidates and every pair; the local
 * candidates stay.  The selected pair keeps carrying data until the
 * restarted checks select one. */
static void
restart_stream (NavAgent    *agent,
                AgentStream *stream)
{
  guint i, j;

  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  stream->local_ufrag = nav_agent_random_ice_string (4);
  stream->local_pwd = nav_agent_random_ice_string (22);
  g_clear_pointer (&stream->remote_ufrag, g_free);
  g_clear_pointer (&stream->remote_pwd, g_free);
  stream->checks_started = FALSE;
  stream->initial_binding_seen = FALSE;
  stream->peer_gathering_done = FALSE;
  if (agent->checker != NULL)
    {
      nav_checker_remove_stream (agent->checker, stream->id);
      nav_checker_set_local_credentials (agent->checker, stream->id, stream->local_ufrag,
                                         stream->local_pwd);
    }
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];

      g_ptr_array_set_size (component->remote, 0);
      for (j = 0; j < component->local->len; j++)
        {
          NavCandidate *c = g_ptr_array_index (component->local, j);

          if (c->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
            {
              g_ptr_array_remove_index (component->local, j--);
              continue;
            }
          if (agent->checker != NULL &&
              (!agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED))
            nav_checker_add_local_candidate (agent->checker, c);
        }
      if (component->selected_local == NULL)
        nav_agent_set_component_state (agent, component, NAV_COMPONENT_STATE_GATHERING);
    }
  nav_agent_gather_new_addresses (agent, stream);
}

/**
 * nav_agent_restart_stream:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Restarts ICE on one stream (RFC 8445 §9), as
 * `nice_agent_restart_stream()`: new local credentials, the peer's
 * credentials and candidates forgotten, checks run again once the new
 * remote credentials are set.  Call it to restart, and when the peer's
 * credentials change (its restart).
 *
 * Returns: %TRUE when the stream exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_restart_stream (NavAgent *agent,
                          guint     stream_id)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream != NULL)
    restart_stream (agent, stream);
  nav_agent_unlock_and_emit (agent);
  return stream != NULL;
}

/**
 * nav_agent_restart:
 * @agent: an agent
 *
 * Restarts ICE on every stream, as `nice_agent_restart()`; see
 * [method@Nav.Agent.restart_stream].
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
nav_agent_restart (NavAgent *agent)
{
  GHashTableIter iter;
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    restart_stream (agent, stream);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}

/**
 * nav_agent_peer_candidate_gathering_done:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Says the peer sent all its candidates for the stream (RFC 8838
 * end-of-candidates), as `nice_agent_peer_candidate_gathering_done()`.
 * With [property@Nav.Agent:ice-trickle] a component whose checks have all
 * failed waits for this, and for the end of its own gathering, before it
 * becomes %NAV_COMPONENT_STATE_FAILED (RFC 8838 §8); once both hold, it
 * fails at once.
 *
 * Returns: %TRUE when the stream exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_peer_candidate_gathering_done (NavAgent *agent,
                                         guint     stream_id)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      stream->peer_gathering_done = TRUE;
      /* RFC 8838 §8: a check list may fail only once the peer said
       * end-of-candidates AND our own gathering is over (a late local
       * candidate makes new pairs): the checker hears of it when both
       * hold, here or when gathering ends. */
      if (agent->checker != NULL && stream->gathering_done && !nav_agent_strategy_holds (agent, stream_id))
        nav_checker_remote_gathering_done (agent->checker, stream_id);
    }
  nav_agent_unlock_and_emit (agent);
  return stream != NULL;
}

/**
 * nav_agent_get_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @local: (out) (transfer full) (optional): the selected pair's local
 *   candidate
 * @remote: (out) (transfer full) (optional): its remote candidate
 *
 * Returns the component's selected pair, as
 * `nice_agent_get_selected_pair()` (which returns its own copies here).
 *
 * Returns: %TRUE when a pair is selected
 *
 * Since: 1.0
 */
gboolean
nav_agent_get_selected_pair (NavAgent      *agent,
                             guint          stream_id,
                             guint          component_id,
                             NavCandidate **local,
                             NavCandidate **remote)
{
  AgentComponent *component;
  gboolean ok = FALSE;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  if (local != NULL)
    *local = NULL;
  if (remote != NULL)
    *remote = NULL;
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->selected_local != NULL)
    {
      if (local != NULL)
        *local = nav_candidate_copy (component->selected_local);
      if (remote != NULL)
        *remote = nav_candidate_copy (component->selected_remote);
      ok = TRUE;
    }
  nav_agent_unlock_and_emit (agent);
  return ok;
}

/* Called with the lock held: the highest-priority candidate of @foundation. */
static NavCandidate *
find_by_foundation (GPtrArray   *candidates,
                    const gchar *foundation)
{
  NavCandidate *best = NULL;
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (candidates, i);

      if (g_str_equal (c->foundation, foundation) && (best == NULL || c->priority > best->priority))
        best = c;
    }
  return best;
}

/* Takes copies of the pair and hands it to the checker, without the lock. */
static gboolean
force_pair (NavAgent           *agent,
            const NavCandidate *local,
            const NavCandidate *remote)
{
  g_autoptr (NavCandidate) l = nav_candidate_copy (local);
  g_autoptr (NavCandidate) r = nav_candidate_copy (remote);
  NavChecker *checker;
  gboolean ok;

  checker = agent->checker != NULL ? g_object_ref (agent->checker) : NULL;
  nav_agent_unlock_and_emit (agent);
  if (checker == NULL)
    return FALSE;
  ok = nav_checker_set_selected_pair (checker, l, r);
  g_object_unref (checker);
  return ok;
}

/**
 * nav_agent_set_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @lfoundation: the foundation of a local candidate of the component
 * @rfoundation: the foundation of one of its remote candidates
 *
 * Makes that pair the component's selected pair whatever the checks say,
 * as `nice_agent_set_selected_pair()`: the component's checks stop, it
 * becomes %NAV_COMPONENT_STATE_READY and
 * [signal@Nav.Agent::new-selected-pair-full] is emitted.  Keepalives (and
 * consent checks, with [property@Nav.Agent:consent-freshness]) go on.
 *
 * Returns: %TRUE when both candidates exist
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_selected_pair (NavAgent    *agent,
                             guint        stream_id,
                             guint        component_id,
                             const gchar *lfoundation,
                             const gchar *rfoundation)
{
  AgentComponent *component;
  NavCandidate *local = NULL, *remote = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (lfoundation != NULL && rfoundation != NULL, FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      local = find_by_foundation (component->local, lfoundation);
      remote = find_by_foundation (component->remote, rfoundation);
    }
  if (local == NULL || remote == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  return force_pair (agent, local, remote);
}

/**
 * nav_agent_set_selected_remote_candidate:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @candidate: the peer's candidate, known or not
 *
 * Sends the component's data to @candidate whatever the checks say, as
 * `nice_agent_set_selected_remote_candidate()` (for a peer that does not
 * speak ICE): the candidate is added to the remote ones when it is new,
 * paired with the highest-priority local candidate of its address family
 * and transport (a relayed one with [property@Nav.Agent:force-relay]),
 * and the pair is selected as by [method@Nav.Agent.set_selected_pair].
 *
 * Returns: %TRUE when a pair was selected
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_selected_remote_candidate (NavAgent     *agent,
                                         guint         stream_id,
                                         guint         component_id,
                                         NavCandidate *candidate)
{
  AgentComponent *component;
  NavCandidate *local = NULL, *remote = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (candidate != NULL, FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL || !nav_agent_add_remote_candidate (agent, component, candidate))
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  for (i = 0; i < component->remote->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->remote, i);

      if (c->transport == candidate->transport && nav_address_equal (&c->addr, &candidate->addr))
        remote = c;
    }
  for (i = 0; remote != NULL && i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->owner == NULL || c->transport != NAV_CANDIDATE_TRANSPORT_UDP ||
          remote->transport != NAV_CANDIDATE_TRANSPORT_UDP ||
          nav_address_get_family (&c->addr) != nav_address_get_family (&remote->addr) ||
          (agent->force_relay && c->type != NAV_CANDIDATE_TYPE_RELAYED))
        continue;
      if (local == NULL || c->priority > local->priority)
        local = c;
    }
  if (local == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  /* A peer that does not speak ICE sends from wherever it likes: data
   * from any source is accepted from now on, as in libnice's fallback
   * mode. */
  component->any_source = TRUE;
  return force_pair (agent, local, remote);
}

/**
 * nav_agent_consent_lost:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Tells the agent that consent to receive on the component is revoked
 * (RFC 7675 §5.2: the application's own protocol on top, e.g. DTLS,
 * received a close), as `nice_agent_consent_lost()`: every Binding
 * request the peer sends on the component from now on is answered with
 * a 403 (Forbidden) error, which ends the peer's consent at once; the
 * component becomes %NAV_COMPONENT_STATE_FAILED and sends nothing more
 * ([method@Nav.Agent.send] returns -1).  An ICE restart
 * ([method@Nav.Agent.restart_stream]) makes the stream usable again.
 *
 * It only acts with consent freshness on
 * ([property@Nav.Agent:consent-freshness], the
 * %NAV_AGENT_OPTION_CONSENT_FRESHNESS option, or RFC 8445 compatibility).
 *
 * Returns: %FALSE when the component does not exist or consent freshness
 *   is off, %TRUE otherwise
 *
 * Since: 1.0
 */
gboolean
nav_agent_consent_lost (NavAgent *agent,
                        guint     stream_id,
                        guint     component_id)
{
  AgentComponent *component;
  NavChecker *checker = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (!agent->consent_freshness)
    g_debug ("Stream %u component %u: consent lost ignored, consent freshness is off",
             stream_id, component_id);
  if (component == NULL || !agent->consent_freshness)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  /* The component fails here whatever the checker does: no send gets
   * through nav_agent_can_send() any more. */
  nav_agent_set_component_state (agent, component, NAV_COMPONENT_STATE_FAILED);
  if (agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  nav_agent_unlock_and_emit (agent);
  if (checker != NULL)
    {
      nav_checker_revoke_consent (checker, stream_id, component_id);
      g_object_unref (checker);
    }
  return TRUE;
}

/* Asks the registry for the preferred checker and follows its signals. */
void
nav_agent_create_checker (NavAgent *agent)
{
  g_autoptr (GError) error = NULL;
  GObject *checker;

  checker = nav_registry_create (nav_registry_get_default (), NAV_CHECKER_EXTENSION_POINT_NAME,
                                 NULL, &error, "context", agent->context, NULL);
  if (checker == NULL)
    {
      /* Gathering still works; the checks cannot run. */
      agent->checker_error = g_strdup (error->message);
      g_warning (_("No ICE checker is available: %s"), error->message);
      return;
    }
  agent->checker = NAV_CHECKER (checker);
  g_signal_connect (checker, "component-state-changed",
                    G_CALLBACK (on_checker_component_state), agent);
  g_signal_connect (checker, "selected-pair", G_CALLBACK (on_checker_selected_pair), agent);
  g_signal_connect (checker, "pair-state-changed", G_CALLBACK (on_checker_pair_state), agent);
  g_signal_connect (checker, "notify::controlling-mode", G_CALLBACK (on_checker_role), agent);
  g_signal_connect (checker, "incoming-check", G_CALLBACK (on_checker_incoming_check), agent);
  nav_agent_configure_checker (agent);
}
