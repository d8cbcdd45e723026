/* nav-ice-checks.c: the checker's own checks: sending, pacing, nomination,
 * responses (RFC 8445 §6.1.4, §7.2, §8)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-ice-checker-private.h"

static void check_failed (NavIceChecker *self, Pair *pair);
static void maybe_nominate (NavIceChecker *self);
static void update_all_components (NavIceChecker *self);

/* -------------------------------------------------------- sending checks */

gboolean
nav_ice_send_on (NavCandidate      *local,
                 const NavAddress  *to,
                 const guint8      *data,
                 gsize              len,
                 GError           **error)
{
  if (local->owner == NULL)
    {
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                           "The candidate has no transport");
      return FALSE;
    }
  return nav_transport_send (local->owner, to, data, len, error);
}

static guint32
prflx_priority (const NavCandidate *local)
{
  /* RFC 8445 §7.1.1: the priority a peer-reflexive candidate learnt from
   * this check would have. */
  return nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE, local->transport,
                                         (local->priority >> 8) & 0xffff,
                                         local->component_id);
}

/* Builds a Binding request of RFC 8445 §7.2.2 for @pair; NULL without the
 * peer's credentials. */
GBytes *
nav_ice_build_request (NavIceChecker *self,
                       Pair          *pair,
                       gboolean       use_candidate)
{
  Stream *stream = pair->stream;
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autofree gchar *username = NULL;
  gsize key_len;
  const guint8 *key;

  if (stream->remote_ufrag == NULL || stream->local_ufrag == NULL)
    return NULL;

  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
  username = g_strconcat (stream->remote_ufrag, ":", stream->local_ufrag, NULL);
  key = g_bytes_get_data (stream->remote_key, &key_len);
  if (!nav_stun_message_builder_add_username (builder, username, NULL) ||
      !nav_stun_message_builder_add_priority (builder, prflx_priority (pair->local), NULL) ||
      !(self->controlling_mode
        ? nav_stun_message_builder_add_ice_controlling (builder, self->tie_breaker, NULL)
        : nav_stun_message_builder_add_ice_controlled (builder, self->tie_breaker, NULL)) ||
      (use_candidate && !nav_stun_message_builder_add_use_candidate (builder, NULL)) ||
      (self->software != NULL &&
       !nav_stun_message_builder_add_software (builder, self->software, NULL)) ||
      !nav_stun_message_builder_add_message_integrity (builder, key, key_len, NULL) ||
      !nav_stun_message_builder_add_fingerprint (builder, NULL))
    return NULL;
  return nav_stun_message_builder_finish (builder, NULL);
}

/* The transactions' timers take the checker's lock (and emit what they
 * queued under it as they release it), as every other path in. */
static void
transaction_lock (gpointer data)
{
  g_mutex_lock (&((NavIceChecker *) data)->lock);
}

static void
transaction_unlock (gpointer data)
{
  nav_ice_unlock_and_emit (data);
}

/* A request of @pair's (a check or a consent request) as a transaction
 * of core/net's engine, not started.  Called with the lock held. */
NavStunTransaction *
nav_ice_transaction_new (NavIceChecker                 *self,
                         Pair                          *pair,
                         GBytes                        *request,
                         const NavStunRetransmitParams *params,
                         NavStunTransactionSendFunc     send_func,
                         NavStunTransactionDoneFunc     done_func)
{
  NavStunTransaction *t = nav_stun_transaction_new (self->context, request, FALSE, params,
                                                    send_func, done_func, pair);

  nav_stun_transaction_set_lock (t, transaction_lock, transaction_unlock, self);
  return t;
}

/* Sends a request of @pair's (a transaction's send function).  Over UDP
 * a lost datagram is what retransmissions are for; over ICE-TCP a check
 * is lost with its connection (RFC 6544 §7.1: refused, reset, timed
 * out), and so is the check when @tcp_failure_fails. */
gboolean
nav_ice_send_request (Pair          *pair,
                      const guint8  *data,
                      gsize          len,
                      gboolean       tcp_failure_fails,
                      GError       **error)
{
  g_autoptr (GError) local_error = NULL;

  if (nav_ice_send_on (pair->local, &pair->remote->addr, data, len, &local_error))
    return TRUE;
  g_debug ("Stream %u component %u: sending a request of %s failed: %s", pair->stream->id,
           pair->component->id, pair->foundation, local_error->message);
  if (!tcp_failure_fails || !nav_ice_is_tcp (pair->local->transport))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
send_check (NavStunTransaction  *transaction,
            const guint8        *data,
            gsize                len,
            gpointer             user_data,
            GError             **error)
{
  Pair *pair = user_data;

  pair->requests_sent++;
  return nav_ice_send_request (pair, data, len, TRUE, error);
}

/* Responses are judged by nav_ice_handle_response(), with where they
 * came from; here the check ends without one. */
static void
check_done (NavStunTransaction *transaction,
            NavStunMessage     *response,
            const GError       *error,
            gpointer            user_data)
{
  Pair *pair = user_data;

  if (response != NULL)
    return;
  g_debug ("Stream %u component %u: check %s failed: %s", pair->stream->id,
           pair->component->id, pair->foundation, error->message);
  check_failed (pair->stream->checker, pair);
}

/* RFC 8445 §14.3: RTO = MAX (500 ms, Ta × (Num-Waiting + Num-In-Progress)),
 * the 500 ms being stun-initial-timeout; Rc from stun-max-retransmissions;
 * after the last transmission twice the last interval, as libnice's
 * checks wait (RFC 8489's Rm × RTO with a single transmission); Ti
 * (stun-reliable-timeout) over ICE-TCP, where each retransmission may
 * open a new connection (the engine's PACED mode). */
static void
check_params (NavIceChecker           *self,
              NavStunRetransmitParams *params)
{
  GHashTableIter iter;
  Stream *stream;
  guint in_flight = 0;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    for (guint i = 0; i < stream->pairs->len; i++)
      {
        Pair *pair = g_ptr_array_index (stream->pairs, i);

        if (pair->state == NAV_PAIR_STATE_WAITING || pair->state == NAV_PAIR_STATE_IN_PROGRESS)
          in_flight++;
      }
  params->rto_ms = MAX (MAX (self->stun_initial_timeout, 1),
                        (guint) MIN ((guint64) self->stun_pacing_timer * in_flight, G_MAXUINT));
  params->rc = self->stun_max_retransmissions + 1;
  params->rm = params->rc == 1 ? 1 : 0;
  params->ti_ms = MAX (self->stun_reliable_timeout, 1);
}

/* Sends the check of @pair and moves it to In-Progress. */
static void
start_check (NavIceChecker *self,
             Pair          *pair)
{
  g_autoptr (GBytes) request = NULL;
  NavStunRetransmitParams params;
  gboolean use_candidate;

  nav_ice_pair_stop_check (pair);
  use_candidate = self->controlling_mode &&
                  (self->nomination_mode == NAV_NOMINATION_MODE_AGGRESSIVE ||
                   pair->use_candidate);
  pair->use_candidate = use_candidate;
  request = nav_ice_build_request (self, pair, use_candidate);
  if (request == NULL)
    return;
  pair->sent_controlling = self->controlling_mode;
  check_params (self, &params);
  nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_IN_PROGRESS);
  g_debug ("Stream %u component %u: checking %s%s (RTO %u ms)", pair->stream->id,
           pair->component->id, pair->foundation, use_candidate ? " (USE-CANDIDATE)" : "",
           params.rto_ms);
  pair->check = nav_ice_transaction_new (self, pair, request, &params, send_check, check_done);
  if (nav_ice_is_tcp (pair->local->transport))
    nav_stun_transaction_set_mode (pair->check, NAV_STUN_RETRANSMIT_PACED);
  self->last_check = g_get_monotonic_time ();
  /* A check whose connection cannot be opened fails here. */
  nav_stun_transaction_start (pair->check);
}

/* How many times the check of @pair went out so far. */
static guint
pair_transmissions (Pair *pair)
{
  return pair->check != NULL ? nav_stun_transaction_get_transmissions (pair->check) : 0;
}

/* ------------------------------------------------------------ scheduling */

void
nav_ice_enqueue_triggered (NavIceChecker *self,
                   Pair          *pair)
{
  if (!pair->triggered)
    {
      g_queue_push_tail (&self->triggered, pair);
      pair->triggered = TRUE;
    }
  if (pair->state != NAV_PAIR_STATE_IN_PROGRESS)
    nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
  nav_ice_schedule_tick (self);
}

static gboolean
component_done (Component *component)
{
  return component->selected != NULL &&
         (component->state == NAV_COMPONENT_STATE_READY);
}

/* RFC 8445 §6.1.4.2: the next ordinary check of a started stream. */
static Pair *
next_ordinary (NavIceChecker *self)
{
  GHashTableIter iter;
  Stream *stream;
  Pair *best_frozen = NULL;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      guint i;

      if (!stream->started || stream->remote_ufrag == NULL)
        continue;
      for (i = 0; i < stream->pairs->len; i++)
        {
          Pair *pair = g_ptr_array_index (stream->pairs, i);

          if (component_done (pair->component) && self->controlling_mode)
            continue;
          if (pair->state == NAV_PAIR_STATE_WAITING)
            return pair;
          if (pair->state == NAV_PAIR_STATE_FROZEN && best_frozen == NULL &&
              !nav_ice_foundation_active (stream, pair->foundation))
            best_frozen = pair;
        }
    }
  return best_frozen;
}

static void schedule_tick_in (NavIceChecker *self, guint delay_ms);

/* Ta (RFC 8445 §6.1.4.2): each tick sends one check, a triggered one
 * first (§7.3.1.4), skipping those that still wait for the peer's
 * credentials. */
static gboolean
tick_cb (gpointer user_data)
{
  NavIceChecker *self = user_data;
  Pair *pair = NULL;
  gboolean pending = FALSE;
  GList *l;

  g_mutex_lock (&self->lock);
  /* This tick is spent; the next one is scheduled below, if any. */
  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
  maybe_nominate (self);

  for (l = self->triggered.head; l != NULL; l = l->next)
    {
      Pair *candidate = l->data;

      if (candidate->stream->remote_ufrag != NULL)
        {
          pair = candidate;
          g_queue_delete_link (&self->triggered, l);
          pair->triggered = FALSE;
          break;
        }
    }
  if (pair == NULL)
    pair = next_ordinary (self);

  if (pair != NULL)
    start_check (self, pair);
  else
    {
      /* Nothing to send: a controlling agent in regular mode still
       * polls for nomination (maybe_nominate() waits for better pairs a
       * while), and triggered checks may wait for credentials. */
      GHashTableIter iter;
      Stream *stream;

      g_hash_table_iter_init (&iter, self->streams);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream) && !pending)
        for (guint i = 0; i < stream->pairs->len; i++)
          {
            Pair *p = g_ptr_array_index (stream->pairs, i);

            if (p->valid && self->controlling_mode && !p->component->nominating &&
                self->nomination_mode == NAV_NOMINATION_MODE_REGULAR &&
                p->component->selected == NULL)
              pending = TRUE;
          }
      pending = pending || self->triggered.length > 0;
    }
  update_all_components (self);
  /* After a check, the next tick comes Ta after it (it may find nothing
   * to do and stop); a poll comes back after Ta. */
  if (pair != NULL)
    nav_ice_schedule_tick (self);
  else if (pending)
    schedule_tick_in (self, MAX (self->stun_pacing_timer, 1));
  nav_ice_unlock_and_emit (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_tick_in (NavIceChecker *self,
                  guint          delay_ms)
{
  /* RFC 8445 §2.5: a lite agent sends no checks, ordinary or triggered. */
  if (self->tick != NULL || self->lite)
    return;
  self->tick = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->tick, tick_cb, self, NULL);
  g_source_set_static_name (self->tick, "[nav-ice] Ta");
  g_source_attach (self->tick, self->context);
}

/* Called with the lock held when a check may be due.  RFC 8445 §14:
 * new checks leave at least Ta apart; the first one after a quiet spell
 * (the checks just started, a pair just formed, the peer's check to
 * answer with a triggered one) leaves at once rather than a Ta later. */
void
nav_ice_schedule_tick (NavIceChecker *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 due = self->last_check + (gint64) MAX (self->stun_pacing_timer, 1) * 1000;

  schedule_tick_in (self, due > now ? (guint) ((due - now + 999) / 1000) : 0);
}

/* ------------------------------------------------------ component states */

void
nav_ice_set_component_state (NavIceChecker     *self,
                     Component         *component,
                     NavComponentState  state)
{
  if (component->state == state)
    return;
  g_debug ("Stream %u component %u: state %d → %d", component->stream->id, component->id,
           component->state, state);
  component->state = state;
  nav_ice_queue_event (self, EVENT_COMPONENT_STATE, component->stream->id, component->id,
               NULL, NULL, state);
}

void
nav_ice_update_component_state (NavIceChecker *self,
                        Component     *component)
{
  Stream *stream = component->stream;
  gboolean any_valid = FALSE, any_pending = FALSE, any_pair = FALSE;
  guint i;

  if (!stream->started || component->consent_revoked)
    return;
  if (component->selected != NULL)
    {
      /* READY, or FAILED once consent is lost (set elsewhere). */
      return;
    }
  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);

      if (pair->component != component)
        continue;
      any_pair = TRUE;
      if (pair->valid)
        any_valid = TRUE;
      if (pair->state != NAV_PAIR_STATE_FAILED && pair->state != NAV_PAIR_STATE_SUCCEEDED)
        any_pending = TRUE;
      if (pair->triggered)
        any_pending = TRUE;
    }
  /* A valid pair is not enough for CONNECTED: as in libnice, a
   * component is CONNECTED once a pair is selected (data can flow on it),
   * and the agent signals CONNECTED then READY when one is; until then a
   * component with valid pairs waits for nomination, CONNECTING. */
  if (!any_valid && any_pair && !any_pending &&
      (!self->ice_trickle || stream->remote_gathering_done))
    nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
  else
    nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_CONNECTING);
}

static void
update_all_components (NavIceChecker *self)
{
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        nav_ice_update_component_state (self, component);
    }
}

/* The selected pair is the highest-priority nominated valid pair
 * (RFC 8445 §8.1.1; RFC 5245 §8.1.1.2 for aggressive nomination). */
void
nav_ice_select_pair (NavIceChecker *self,
             Pair          *pair)
{
  Component *component = pair->component;

  /* nav_checker_set_selected_pair() has the last word; a revoked
   * component selects nothing until the stream restarts. */
  if ((component->forced && component->selected != pair) || component->consent_revoked)
    return;
  pair->nominated = TRUE;
  component->nominating = FALSE;
  if (component->selected != NULL && component->selected->priority >= pair->priority &&
      component->state == NAV_COMPONENT_STATE_READY)
    return;
  component->selected = pair;
  pair->last_consent = g_get_monotonic_time ();
  pair->next_consent = pair->last_consent +
                       (gint64) self->consent_interval * 1000 * g_random_double_range (0.8, 1.2);
  g_debug ("Stream %u component %u: selected %s", pair->stream->id, component->id,
           pair->foundation);
  nav_ice_queue_event (self, EVENT_SELECTED_PAIR, pair->stream->id, component->id,
               pair->local, pair->remote, 0);
  nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_READY);

  /* A controlling agent stops checking the component's other pairs
   * (RFC 8445 §8.1.2). */
  if (self->controlling_mode)
    {
      guint i;

      for (i = 0; i < pair->stream->pairs->len; i++)
        {
          Pair *other = g_ptr_array_index (pair->stream->pairs, i);

          if (other->component == component &&
              (other->state == NAV_PAIR_STATE_FROZEN || other->state == NAV_PAIR_STATE_WAITING))
            {
              nav_ice_remove_triggered (self, other);
              nav_ice_set_pair_state (self, other, NAV_PAIR_STATE_FAILED);
            }
        }
    }
  nav_ice_schedule_consent (self);
}

/* Regular nomination (RFC 8445 §8.1.1): once the best valid pair cannot
 * be beaten by a pair still being checked, or after a while, check it
 * again with USE-CANDIDATE. */
static void
maybe_nominate (NavIceChecker *self)
{
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;
  gint64 now = g_get_monotonic_time ();

  if (!self->controlling_mode || self->nomination_mode != NAV_NOMINATION_MODE_REGULAR)
    return;
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        {
          Pair *best = NULL;
          gboolean better_pending = FALSE, direct_untried = FALSE;
          guint wait_ta;
          guint i;

          if (component->selected != NULL || component->nominating ||
              component->first_valid_time == 0)
            continue;
          for (i = 0; i < stream->pairs->len; i++)
            {
              Pair *pair = g_ptr_array_index (stream->pairs, i);

              if (pair->component != component)
                continue;
              if (pair->valid && best == NULL)
                best = pair;
              if (best == NULL && pair->state != NAV_PAIR_STATE_FAILED &&
                  pair->state != NAV_PAIR_STATE_SUCCEEDED)
                {
                  better_pending = TRUE;
                  if (pair->local->type != NAV_CANDIDATE_TYPE_RELAYED &&
                      pair->remote->type != NAV_CANDIDATE_TYPE_RELAYED)
                    {
                      if (pair->state != NAV_PAIR_STATE_IN_PROGRESS ||
                          pair_transmissions (pair) < NOMINATION_RELAY_WAIT_TRANSMISSIONS)
                        direct_untried = TRUE;
                    }
                }
            }
          if (best == NULL)
            continue;
          wait_ta = direct_untried &&
                    (best->local->type == NAV_CANDIDATE_TYPE_RELAYED ||
                     best->remote->type == NAV_CANDIDATE_TYPE_RELAYED)
                    ? NOMINATION_RELAY_MAX_WAIT_TA : NOMINATION_WAIT_TA;
          if (better_pending &&
              now - component->first_valid_time <
              (gint64) wait_ta * self->stun_pacing_timer * 1000)
            continue;
          g_debug ("Stream %u component %u: nominating %s", stream->id, component->id,
                   best->foundation);
          component->nominating = TRUE;
          best->use_candidate = TRUE;
          nav_ice_remove_triggered (self, best);
          start_check (self, best);
        }
    }
}

/* ------------------------------------------------------------- responses */

static void
check_failed (NavIceChecker *self,
              Pair          *pair)
{
  nav_ice_pair_stop_check (pair);
  if (pair->use_candidate)
    pair->component->nominating = FALSE;
  pair->use_candidate = FALSE;
  nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_FAILED);
  nav_ice_update_component_state (self, pair->component);
  nav_ice_schedule_tick (self);
}

static NavCandidate *
find_local_by_addr (Component        *component,
                    const NavAddress *addr,
                    NavTransport     *owner)
{
  guint i;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (nav_address_equal (&c->addr, addr) && c->owner == owner)
        return c;
    }
  return NULL;
}

static void
unfreeze_foundation (NavIceChecker *self,
                     const gchar   *foundation)
{
  GHashTableIter iter;
  Stream *stream;

  /* RFC 8445 §7.2.5.3.3: every check list. */
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      guint i;

      for (i = 0; i < stream->pairs->len; i++)
        {
          Pair *pair = g_ptr_array_index (stream->pairs, i);

          if (pair->state == NAV_PAIR_STATE_FROZEN &&
              g_strcmp0 (pair->foundation, foundation) == 0)
            nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
        }
    }
}

static void
handle_success (NavIceChecker    *self,
                Pair             *pair,
                NavStunMessage   *msg,
                NavTransport     *transport,
                const NavAddress *from)
{
  Component *component = pair->component;
  NavAddress mapped;
  NavCandidate *local;
  Pair *valid;

  /* RFC 8445 §7.2.5.2.1: the response must come from where the check
   * went, to where it left from. */
  if (!nav_address_equal (from, &pair->remote->addr) || transport != pair->local->owner)
    {
      g_debug ("Stream %u component %u: asymmetric response for %s", pair->stream->id,
               component->id, pair->foundation);
      check_failed (self, pair);
      return;
    }
  if (!nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL))
    {
      check_failed (self, pair);
      return;
    }

  nav_ice_pair_stop_check (pair);

  /* §7.2.5.3.1: a mapped address that no local candidate has is a
   * peer-reflexive local candidate. */
  local = find_local_by_addr (component, &mapped, pair->local->owner);
  /* RFC 6544 §7.2: an active candidate's connection leaves from an
   * ephemeral port, never from the port 9 it advertises: the mapped
   * address of its own host IP is still that candidate, not a new
   * peer-reflexive one (libnice matches it the same way). */
  if (local == NULL && pair->local->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
      pair->local->type == NAV_CANDIDATE_TYPE_HOST &&
      nav_address_equal_no_port (&mapped, &pair->local->addr))
    local = pair->local;
  if (local == NULL)
    {
      NavCandidate *prflx = nav_candidate_new (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
      gchar foundation[NAV_CANDIDATE_MAX_FOUNDATION];

      prflx->transport = pair->local->transport;
      prflx->addr = mapped;
      prflx->base_addr = pair->local->base_addr;
      prflx->related_addr = pair->local->addr;
      prflx->stream_id = pair->local->stream_id;
      prflx->component_id = component->id;
      prflx->priority = prflx_priority (pair->local);
      g_snprintf (foundation, sizeof foundation, "%s", pair->local->foundation);
      nav_candidate_set_foundation (prflx, foundation);
      nav_candidate_set_owner (prflx, pair->local->owner);
      g_ptr_array_add (component->local, prflx);
      local = prflx;
      g_debug ("Stream %u component %u: new peer-reflexive local candidate",
               pair->stream->id, component->id);
    }

  nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);

  /* §7.2.5.3.2: the valid pair. */
  if (local == pair->local)
    valid = pair;
  else
    {
      valid = nav_ice_find_pair (pair->stream, local, pair->remote);
      if (valid == NULL)
        {
          valid = nav_ice_add_pair (self, component, local, pair->remote);
          nav_ice_set_pair_state (self, valid, NAV_PAIR_STATE_SUCCEEDED);
        }
    }
  valid->valid = TRUE;
  pair->valid_pair = valid;
  if (component->first_valid_time == 0)
    component->first_valid_time = g_get_monotonic_time ();
  valid->last_consent = g_get_monotonic_time ();

  unfreeze_foundation (self, pair->foundation);

  /* §7.2.5.3.4 and §7.3.1.5: nomination. */
  if ((pair->use_candidate && pair->sent_controlling && self->controlling_mode) ||
      (!self->controlling_mode && (pair->nominate_on_success || valid->nominate_on_success)))
    nav_ice_select_pair (self, valid);
  else if (pair->use_candidate)
    /* The nomination was sent in a role we left meanwhile (a role
     * conflict, RFC 8445 §7.3.1.1, or colliding offers settled by the
     * application): it nominated nothing, and a controlling agent must
     * nominate again. */
    component->nominating = FALSE;
  pair->use_candidate = FALSE;

  /* Regular nomination (§8.1.1) follows the first success at once when
   * no better pair is still being checked, rather than a tick later. */
  maybe_nominate (self);

  nav_ice_update_component_state (self, component);
  nav_ice_schedule_tick (self);
}

/* The authenticated response to @pair's check, which its transaction
 * took (nav_ice_checker_handle_message()). */
void
nav_ice_handle_response (NavIceChecker    *self,
                         Stream           *stream,
                         Pair             *pair,
                         NavStunMessage   *msg,
                         NavTransport     *transport,
                         const NavAddress *from)
{
  if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      guint code = 0;

      nav_stun_message_get_error_code (msg, &code, NULL, NULL);
      if (code == NAV_STUN_ERROR_CODE_ROLE_CONFLICT)
        {
          /* RFC 8445 §7.2.5.1: switch to the role opposite to the one
           * the check was sent in, and check the pair again. */
          if (pair->sent_controlling == self->controlling_mode)
            nav_ice_set_role (self, !pair->sent_controlling);
          nav_ice_pair_stop_check (pair);
          nav_ice_enqueue_triggered (self, pair);
          return;
        }
      g_debug ("Stream %u: check answered with error %u", stream->id, code);
      check_failed (self, pair);
      return;
    }
  handle_success (self, pair, msg, transport, from);
}
