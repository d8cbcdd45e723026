/* nav-ice-pairs.c: the checker's streams, credentials, candidates and
 * check lists (RFC 8445 §6.1.2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-ice-checker-private.h"

/* ------------------------------------------------------------ structures */

void
nav_ice_pair_stop_check (Pair *pair)
{
  g_clear_pointer (&pair->check, nav_stun_transaction_free);
}

static void
pair_free (gpointer data)
{
  Pair *pair = data;

  nav_ice_pair_stop_check (pair);
  for (guint i = 0; i < CONSENT_TIDS; i++)
    g_clear_pointer (&pair->consent[i], nav_stun_transaction_free);
  g_free (pair->foundation);
  g_free (pair);
}

static void
component_free (gpointer data)
{
  Component *component = data;

  g_ptr_array_unref (component->local);
  g_ptr_array_unref (component->remote);
  g_free (component);
}

void
nav_ice_stream_free (gpointer data)
{
  Stream *stream = data;

  g_ptr_array_unref (stream->pairs);
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  g_clear_pointer (&stream->local_key, g_bytes_unref);
  g_clear_pointer (&stream->remote_key, g_bytes_unref);
  g_hash_table_unref (stream->components);
  g_free (stream);
}

/* Called with the lock held. */
Stream *
nav_ice_ensure_stream (NavIceChecker *self,
               guint          stream_id)
{
  Stream *stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));

  if (stream == NULL)
    {
      stream = g_new0 (Stream, 1);
      stream->checker = self;
      stream->id = stream_id;
      stream->components = g_hash_table_new_full (NULL, NULL, NULL, component_free);
      stream->pairs = g_ptr_array_new_with_free_func (pair_free);
      g_hash_table_insert (self->streams, GUINT_TO_POINTER (stream_id), stream);
    }
  return stream;
}

/* Called with the lock held. */
Component *
nav_ice_ensure_component (Stream *stream,
                  guint   component_id)
{
  Component *component = g_hash_table_lookup (stream->components,
                                               GUINT_TO_POINTER (component_id));

  if (component == NULL)
    {
      component = g_new0 (Component, 1);
      component->stream = stream;
      component->id = component_id;
      component->state = NAV_COMPONENT_STATE_DISCONNECTED;
      component->local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      component->remote = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      g_hash_table_insert (stream->components, GUINT_TO_POINTER (component_id), component);
    }
  return component;
}

void
nav_ice_remove_triggered (NavIceChecker *self,
                  Pair          *pair)
{
  if (pair->triggered)
    {
      g_queue_remove (&self->triggered, pair);
      pair->triggered = FALSE;
    }
}

void
nav_ice_set_pair_state (NavIceChecker *self,
                Pair          *pair,
                NavPairState   state)
{
  if (pair->state == state)
    return;
  pair->state = state;
  g_debug ("Stream %u component %u: pair %s %s state %d", pair->stream->id,
           pair->component->id, pair->local->foundation, pair->remote->foundation, state);
  nav_ice_queue_event (self, EVENT_PAIR_STATE, pair->stream->id, pair->component->id,
               pair->local, pair->remote, state);
}

/* RFC 8445 §6.1.2.3 */
static guint64
compute_pair_priority (gboolean controlling,
                       guint32  local_priority,
                       guint32  remote_priority)
{
  guint64 g = controlling ? local_priority : remote_priority;
  guint64 d = controlling ? remote_priority : local_priority;

  return (MIN (g, d) << 32) + 2 * MAX (g, d) + (g > d ? 1 : 0);
}

static gint
compare_pairs (gconstpointer a,
               gconstpointer b)
{
  const Pair *pa = *(const Pair **) a;
  const Pair *pb = *(const Pair **) b;

  if (pa->priority == pb->priority)
    return 0;
  return pa->priority > pb->priority ? -1 : 1;
}

void
nav_ice_set_role (NavIceChecker *self,
          gboolean       controlling)
{
  GHashTableIter iter;
  Stream *stream;

  if (self->controlling_mode == controlling)
    return;
  g_debug ("Switching to the %s role", controlling ? "controlling" : "controlled");
  self->controlling_mode = controlling;
  self->notify_role = TRUE;
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      guint i;

      GHashTableIter citer;
      Component *component;

      for (i = 0; i < stream->pairs->len; i++)
        {
          Pair *pair = g_ptr_array_index (stream->pairs, i);

          pair->priority = compute_pair_priority (controlling, pair->local->priority,
                                                  pair->remote->priority);
        }
      g_ptr_array_sort (stream->pairs, compare_pairs);
      /* A nomination under way belongs to the role we leave: a
       * controlling agent nominates again from scratch, so none may stay
       * pending forever (one agent READY, the other never). */
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        if (component->selected == NULL)
          component->nominating = FALSE;
        else if (controlling && !component->forced)
          {
            /* Selected while controlled (the other agent nominated it,
             * then the roles swapped: colliding offers, a role conflict):
             * the peer, now controlled, waits for our nomination
             * (RFC 8445 §8.1.1), so it is sent on the selected pair. */
            component->selected->use_candidate = TRUE;
            nav_ice_enqueue_triggered (self, component->selected);
          }
    }
  /* Notified by nav_ice_unlock_and_emit(), with no lock held. */
}

Pair *
nav_ice_find_pair (Stream             *stream,
           const NavCandidate *local,
           const NavCandidate *remote)
{
  guint i;

  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);

      if (pair->local == local && pair->remote == remote)
        return pair;
    }
  return NULL;
}

/* The candidate a local candidate is checked from: a server-reflexive
 * candidate is replaced by its base (RFC 8445 §6.1.2.4). */
static NavCandidate *
pairing_base (Component    *component,
              NavCandidate *local)
{
  guint i;

  if (local->type != NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE)
    return local;
  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST && c->owner == local->owner &&
          nav_address_equal (&c->addr, &local->base_addr))
        return c;
    }
  return NULL;
}

gboolean
nav_ice_foundation_active (Stream      *stream,
                   const gchar *foundation)
{
  guint i;

  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);

      if (g_strcmp0 (pair->foundation, foundation) == 0 &&
          (pair->state == NAV_PAIR_STATE_WAITING ||
           pair->state == NAV_PAIR_STATE_IN_PROGRESS))
        return TRUE;
    }
  return FALSE;
}

Pair *
nav_ice_add_pair (NavIceChecker *self,
          Component     *component,
          NavCandidate  *local,
          NavCandidate  *remote)
{
  Stream *stream = component->stream;
  Pair *pair;

  pair = nav_ice_find_pair (stream, local, remote);
  if (pair != NULL)
    return pair;

  pair = g_new0 (Pair, 1);
  pair->stream = stream;
  pair->component = component;
  pair->local = local;
  pair->remote = remote;
  pair->priority = compute_pair_priority (self->controlling_mode, local->priority,
                                          remote->priority);
  pair->foundation = g_strconcat (local->foundation, ":", remote->foundation, NULL);
  pair->state = NAV_PAIR_STATE_FROZEN;
  pair->current_rtt = -1;
  g_ptr_array_add (stream->pairs, pair);
  g_ptr_array_sort (stream->pairs, compare_pairs);
  nav_ice_queue_event (self, EVENT_PAIR_STATE, stream->id, component->id, local, remote,
               NAV_PAIR_STATE_FROZEN);

  /* RFC 8838 §10 and RFC 8445 §6.1.2.6: a pair whose foundation has no
   * check under way may start at once; the rest wait their turn. */
  if (stream->started && !nav_ice_foundation_active (stream, pair->foundation))
    nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);

  /* RFC 8445 §6.1.2.5: keep the list bounded; the lowest-priority Frozen
   * pairs go first. */
  if (stream->pairs->len > self->max_checks)
    {
      guint i;

      for (i = stream->pairs->len; i > 0; i--)
        {
          Pair *victim = g_ptr_array_index (stream->pairs, i - 1);

          if (victim->state == NAV_PAIR_STATE_FROZEN && victim != pair &&
              !victim->valid && victim->component->selected != victim)
            {
              nav_ice_remove_triggered (self, victim);
              g_ptr_array_remove_index (stream->pairs, i - 1);
              break;
            }
        }
    }
  return pair;
}

/* RFC 6544 §6.2: the transport a peer's candidate must have to pair with
 * a local one of @transport: active with passive, passive with active,
 * simultaneous-open with simultaneous-open, UDP with UDP.  It is also the
 * transport of a peer-reflexive candidate learnt on a local one. */
NavCandidateTransport
nav_ice_peer_transport (NavCandidateTransport transport)
{
  switch (transport)
    {
    case NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
    case NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
    case NAV_CANDIDATE_TRANSPORT_TCP_SO:
    case NAV_CANDIDATE_TRANSPORT_UDP:
    default:
      return transport;
    }
}

gboolean
nav_ice_is_tcp (NavCandidateTransport transport)
{
  return transport != NAV_CANDIDATE_TRANSPORT_UDP;
}

/* Pairs @local (one of the component's) with every remote candidate, or
 * @remote with every local candidate. */
static void
pair_candidates (NavIceChecker *self,
                 Component     *component,
                 NavCandidate  *new_local,
                 NavCandidate  *new_remote)
{
  guint i, j;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *local = g_ptr_array_index (component->local, i);
      NavCandidate *base;

      if (new_local != NULL && local != new_local)
        continue;
      /* Peer-reflexive local candidates are never paired (§7.2.5.3.1). */
      if (local->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
        continue;
      base = pairing_base (component, local);
      if (base == NULL)
        continue;
      for (j = 0; j < component->remote->len; j++)
        {
          NavCandidate *remote = g_ptr_array_index (component->remote, j);

          if (new_remote != NULL && remote != new_remote)
            continue;
          if (remote->transport != nav_ice_peer_transport (base->transport))
            continue;
          /* RFC 6544 §6.2: a passive candidate sends no check, so its
           * pairs are pruned; the peer's checks on it make their own
           * (nav_ice_handle_request). */
          if (base->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
            continue;
          if (nav_address_get_family (&base->addr) != nav_address_get_family (&remote->addr))
            continue;
          /* Link-local addresses only reach link-local addresses. */
          if (nav_address_is_link_local (&base->addr) != nav_address_is_link_local (&remote->addr))
            continue;
          nav_ice_add_pair (self, component, base, remote);
        }
    }
}

Component *
nav_ice_lookup_component (NavIceChecker *self,
                  guint          stream_id,
                  guint          component_id)
{
  Stream *stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));

  if (stream == NULL)
    return NULL;
  return g_hash_table_lookup (stream->components, GUINT_TO_POINTER (component_id));
}

/* ----------------------------------------------------------- credentials */

static GBytes *
derive_key (const gchar *pwd)
{
  g_autoptr (GError) error = NULL;
  GBytes *key = nav_stun_derive_short_term_key (pwd, &error);

  /* ICE passwords are ice-chars (RFC 8839 §5.4), which the OpaqueString
   * profile keeps as they are; anything else is used as raw bytes. */
  if (key == NULL)
    key = g_bytes_new (pwd, strlen (pwd));
  return key;
}

void
nav_ice_checker_set_local_credentials (NavChecker  *checker,
                                       guint        stream_id,
                                       const gchar *ufrag,
                                       const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = nav_ice_ensure_stream (self, stream_id);
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  g_clear_pointer (&stream->local_key, g_bytes_unref);
  stream->local_ufrag = g_strdup (ufrag);
  stream->local_pwd = g_strdup (pwd);
  stream->local_key = derive_key (pwd);
  g_mutex_unlock (&self->lock);
}

void
nav_ice_checker_set_remote_credentials (NavChecker  *checker,
                                        guint        stream_id,
                                        const gchar *ufrag,
                                        const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = nav_ice_ensure_stream (self, stream_id);
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  g_clear_pointer (&stream->remote_key, g_bytes_unref);
  stream->remote_ufrag = g_strdup (ufrag);
  stream->remote_pwd = g_strdup (pwd);
  stream->remote_key = derive_key (pwd);
  /* Checks triggered before the peer's credentials were known can go. */
  if (self->triggered.length > 0)
    nav_ice_schedule_tick (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ candidates */

NavCandidate *
nav_ice_find_candidate (GPtrArray          *candidates,
                const NavCandidate *candidate)
{
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      NavCandidate *other = g_ptr_array_index (candidates, i);

      if (other->transport == candidate->transport &&
          nav_address_equal (&other->addr, &candidate->addr))
        return other;
    }
  return NULL;
}

static void
add_candidate (NavIceChecker      *self,
               const NavCandidate *candidate,
               gboolean            local)
{
  Stream *stream;
  Component *component;
  GPtrArray *candidates;
  NavCandidate *known, *copy;

  g_return_if_fail (candidate != NULL);
  g_return_if_fail (candidate->component_id > 0);

  g_mutex_lock (&self->lock);
  stream = nav_ice_ensure_stream (self, candidate->stream_id);
  component = nav_ice_ensure_component (stream, candidate->component_id);
  candidates = local ? component->local : component->remote;
  known = nav_ice_find_candidate (candidates, candidate);
  if (known != NULL)
    {
      /* A signalled candidate replaces the peer-reflexive one learnt
       * from a check (RFC 8445 §7.3.1.3 and RFC 8838 §11): it keeps its
       * pairs, and takes the signalled type and foundation. */
      if (!local && known->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
          candidate->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
        {
          known->type = candidate->type;
          known->related_addr = candidate->related_addr;
          nav_candidate_set_foundation (known, candidate->foundation);
        }
      g_debug ("Stream %u component %u: %s candidate already known, ignored",
               candidate->stream_id, candidate->component_id, local ? "local" : "remote");
      nav_ice_unlock_and_emit (self);
      return;
    }
  copy = nav_candidate_copy (candidate);
  g_ptr_array_add (candidates, copy);
  if (local)
    pair_candidates (self, component, copy, NULL);
  else
    pair_candidates (self, component, NULL, copy);
  if (stream->started)
    {
      nav_ice_schedule_tick (self);
      nav_ice_update_component_state (self, component);
    }
  nav_ice_unlock_and_emit (self);
}

void
nav_ice_checker_add_local_candidate (NavChecker         *checker,
                                     const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, TRUE);
}

void
nav_ice_checker_add_remote_candidate (NavChecker         *checker,
                                      const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, FALSE);
}

void
nav_ice_checker_remote_gathering_done (NavChecker *checker,
                                       guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;
  GHashTableIter iter;
  Component *component;

  g_mutex_lock (&self->lock);
  stream = nav_ice_ensure_stream (self, stream_id);
  stream->remote_gathering_done = TRUE;
  if (stream->started)
    {
      g_hash_table_iter_init (&iter, stream->components);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &component))
        nav_ice_update_component_state (self, component);
    }
  nav_ice_unlock_and_emit (self);
}

/* ------------------------------------------------------------ statistics */

static void
stats_add_candidate (GVariantBuilder    *b,
               const gchar        *side,
               const NavCandidate *c)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];
  gchar key[32];

  g_snprintf (key, sizeof key, "%s-address", side);
  g_variant_builder_add (b, "{sv}", key,
                         g_variant_new_string (nav_address_to_string_buf (&c->addr, buf)));
  g_snprintf (key, sizeof key, "%s-transport", side);
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint32 (c->transport));
  g_snprintf (key, sizeof key, "%s-type", side);
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint32 (c->type));
}

/* nav_checker_get_pair_stats(): a copy of the counters, under the lock. */
GVariant *
nav_ice_checker_get_pair_stats (NavChecker *checker,
                                guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  GVariantBuilder pairs;
  Stream *stream;
  guint i;

  g_variant_builder_init (&pairs, G_VARIANT_TYPE ("aa{sv}"));
  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  for (i = 0; stream != NULL && i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);
      GVariantBuilder b;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "component-id", g_variant_new_uint32 (pair->component->id));
      stats_add_candidate (&b, "local", pair->local);
      stats_add_candidate (&b, "remote", pair->remote);
      g_variant_builder_add (&b, "{sv}", "state", g_variant_new_uint32 (pair->state));
      g_variant_builder_add (&b, "{sv}", "nominated", g_variant_new_boolean (pair->nominated));
      g_variant_builder_add (&b, "{sv}", "selected",
                             g_variant_new_boolean (pair->component->selected == pair));
      g_variant_builder_add (&b, "{sv}", "priority", g_variant_new_uint64 (pair->priority));
      g_variant_builder_add (&b, "{sv}", "requests-sent", g_variant_new_uint64 (pair->requests_sent));
      g_variant_builder_add (&b, "{sv}", "consent-requests-sent",
                             g_variant_new_uint64 (pair->consent_requests_sent));
      g_variant_builder_add (&b, "{sv}", "responses-received",
                             g_variant_new_uint64 (pair->responses_received));
      g_variant_builder_add (&b, "{sv}", "requests-received",
                             g_variant_new_uint64 (pair->requests_received));
      g_variant_builder_add (&b, "{sv}", "responses-sent", g_variant_new_uint64 (pair->responses_sent));
      g_variant_builder_add (&b, "{sv}", "current-rtt", g_variant_new_int64 (pair->current_rtt));
      g_variant_builder_add (&b, "{sv}", "total-rtt", g_variant_new_int64 (pair->total_rtt));
      g_variant_builder_add (&b, "{sv}", "rtt-count", g_variant_new_uint64 (pair->rtt_count));
      g_variant_builder_add_value (&pairs, g_variant_builder_end (&b));
    }
  g_mutex_unlock (&self->lock);
  return g_variant_builder_end (&pairs);
}
