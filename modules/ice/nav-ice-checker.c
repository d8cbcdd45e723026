/* nav-ice-checker.c: the ICE connectivity checker (RFC 8445): the object,
 * its properties, its lock and events, the NavChecker entry points
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gi18n-lib.h>

#include "nav-ice-checker-private.h"

/**
 * NavIceChecker:
 *
 * The ICE checker of the `ice` module: a [iface@Nav.Checker] registered
 * as `ice` at the `nav-checker` extension point.
 *
 * Per stream it keeps the local and remote credentials (RFC 8445 §5.3)
 * and a check list (§6.1.2): local candidates are paired with remote
 * candidates of the same component and address family, server-reflexive
 * local candidates are replaced by their bases and duplicates pruned
 * (§6.1.2.4), the list is sorted by pair priority (§6.1.2.3) and cut to
 * [property@Nav.IceChecker:max-connectivity-checks] pairs (§6.1.2.5).
 * Pairs start Frozen, one per foundation Waiting (§6.1.2.6); one check
 * leaves every Ta ([property@Nav.IceChecker:stun-pacing-timer], §6.1.4.2),
 * triggered checks first (§7.3.1.4).  Checks are STUN Binding requests
 * with PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED, USERNAME,
 * MESSAGE-INTEGRITY (short-term credentials) and FINGERPRINT (§7.2.2),
 * retransmitted with a doubling RTO.
 *
 * Incoming checks are authenticated with the local password, answered
 * with XOR-MAPPED-ADDRESS, turn unknown sources into peer-reflexive remote
 * candidates (§7.3.1.3) and trigger checks.  Responses must come from the
 * address the check went to (§7.2.5.2.1); a mapped address that is no
 * local candidate becomes a peer-reflexive local candidate (§7.2.5.3.1).
 * Role conflicts are resolved with the tie-breakers and 487 (§7.3.1.1,
 * §7.2.5.1).  The controlling agent nominates regularly (a second check
 * with USE-CANDIDATE on the best valid pair, §8.1.1) or aggressively (every
 * check carries it, RFC 5245 §8.1.1.2, as libnice's default); the
 * controlled agent nominates the pair of a USE-CANDIDATE check once it is
 * valid (§7.3.1.5).  A component's selected pair is its highest-priority
 * nominated pair.
 *
 * Once a pair is selected, consent freshness (RFC 7675) sends a Binding
 * request every [property@Nav.IceChecker:consent-interval] (randomized
 * ±20 %, §5.1) and fails the component when no response authenticated
 * for it came within [property@Nav.IceChecker:consent-timeout] (30 s by
 * default, the RFC's bound).  Without consent freshness, Binding
 * indications keep NAT bindings open (RFC 8445 §11).
 *
 * All work happens in the checker's main context; the methods may be
 * called from any thread, and signals are emitted with no lock held.
 *
 * Since: 1.0
 */

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_CONTROLLING_MODE,
  PROP_NOMINATION_MODE,
  PROP_STUN_PACING_TIMER,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_CONSENT_FRESHNESS,
  PROP_CONSENT_INTERVAL,
  PROP_CONSENT_TIMEOUT,
  PROP_KEEPALIVE_INTERVAL,
  PROP_MAX_CONNECTIVITY_CHECKS,
  PROP_ICE_TRICKLE,
  PROP_TIE_BREAKER,
  PROP_LITE,
  PROP_SOFTWARE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_ice_checker_checker_init (NavCheckerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavIceChecker, nav_ice_checker, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_CHECKER,
                                                               nav_ice_checker_checker_init))

/**
 * nav_ice_checker_register: (skip)
 * @module: the `ice` module
 *
 * Registers [class@Nav.IceChecker] in @module.
 */
void
nav_ice_checker_register (GTypeModule *module)
{
  nav_ice_checker_register_type (module);
}

/* ---------------------------------------------------------------- events */

static void
event_free (gpointer data)
{
  Event *event = data;

  g_clear_pointer (&event->local, nav_candidate_free);
  g_clear_pointer (&event->remote, nav_candidate_free);
  g_free (event);
}

void
nav_ice_queue_event (NavIceChecker      *self,
             EventKind           kind,
             guint               stream_id,
             guint               component_id,
             const NavCandidate *local,
             const NavCandidate *remote,
             guint               state)
{
  Event *event = g_new0 (Event, 1);

  event->kind = kind;
  event->stream_id = stream_id;
  event->component_id = component_id;
  event->local = local != NULL ? nav_candidate_copy (local) : NULL;
  event->remote = remote != NULL ? nav_candidate_copy (remote) : NULL;
  event->state = state;
  g_ptr_array_add (self->events, event);
}

/* Releases the lock, then emits what was queued under it, so handlers may
 * call back into the checker. */
void
nav_ice_unlock_and_emit (NavIceChecker *self)
{
  g_autoptr (GPtrArray) events = NULL;
  gboolean notify_role = self->notify_role;
  guint i;

  self->notify_role = FALSE;
  if (self->events->len == 0 && !notify_role)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  events = self->events;
  self->events = g_ptr_array_new_with_free_func (event_free);
  g_mutex_unlock (&self->lock);

  g_object_ref (self);
  if (notify_role)
    g_object_notify_by_pspec (G_OBJECT (self),
                              g_object_class_find_property (G_OBJECT_GET_CLASS (self),
                                                            "controlling-mode"));
  for (i = 0; i < events->len; i++)
    {
      Event *event = g_ptr_array_index (events, i);

      switch (event->kind)
        {
        case EVENT_PAIR_STATE:
          g_signal_emit_by_name (self, "pair-state-changed",
                                 event->local, event->remote, event->state);
          break;
        case EVENT_SELECTED_PAIR:
          g_signal_emit_by_name (self, "selected-pair", event->stream_id,
                                 event->component_id, event->local, event->remote);
          break;
        case EVENT_COMPONENT_STATE:
          g_signal_emit_by_name (self, "component-state-changed", event->stream_id,
                                 event->component_id, event->state);
          break;
        case EVENT_INCOMING_CHECK:
          g_signal_emit_by_name (self, "incoming-check", event->local, event->remote);
          break;
        }
    }
  g_object_unref (self);
}

/* --------------------------------------------------------- start, remove */

static gboolean
nav_ice_checker_start (NavChecker  *checker,
                       guint        stream_id,
                       GError     **error)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;
  GHashTableIter iter;
  Component *component;
  GHashTable *seen;
  guint i;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));

  /* RFC 8445 §7.2.2: checks are authenticated with the peer's password
   * and answered with ours; without both there is nothing to check. */
  if (stream == NULL || stream->local_ufrag == NULL || stream->local_pwd == NULL)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Stream %u has no local credentials"), stream_id);
      return FALSE;
    }
  if (stream->remote_ufrag == NULL || stream->remote_pwd == NULL)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Stream %u has no remote credentials"), stream_id);
      return FALSE;
    }
  if (stream->started)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  stream->started = TRUE;

  /* §6.1.2.6: for each foundation, the pair of the lowest component id
   * (then the highest priority) starts Waiting. */
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);
      Pair *first = g_hash_table_lookup (seen, pair->foundation);

      if (first == NULL || pair->component->id < first->component->id)
        g_hash_table_insert (seen, pair->foundation, pair);
    }
  {
    GHashTableIter fiter;
    Pair *pair;

    g_hash_table_iter_init (&fiter, seen);
    while (g_hash_table_iter_next (&fiter, NULL, (gpointer *) &pair))
      if (pair->state == NAV_PAIR_STATE_FROZEN)
        nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
  }
  g_hash_table_unref (seen);

  g_hash_table_iter_init (&iter, stream->components);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &component))
    nav_ice_update_component_state (self, component);
  nav_ice_schedule_tick (self);
  nav_ice_unlock_and_emit (self);
  return TRUE;
}

static void
nav_ice_checker_remove_stream (NavChecker *checker,
                               guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  if (stream != NULL)
    {
      guint i;

      for (i = 0; i < stream->pairs->len; i++)
        nav_ice_remove_triggered (self, g_ptr_array_index (stream->pairs, i));
      g_hash_table_remove (self->streams, GUINT_TO_POINTER (stream_id));
    }
  g_mutex_unlock (&self->lock);
}

/* libnice's nice_agent_set_selected_pair(): the application's pair wins
 * and the component's checks stop. */
static gboolean
nav_ice_checker_set_selected_pair (NavChecker         *checker,
                                   const NavCandidate *local,
                                   const NavCandidate *remote)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Component *component;
  NavCandidate *l = NULL, *r = NULL;
  Pair *pair;
  guint i;

  g_mutex_lock (&self->lock);
  component = nav_ice_lookup_component (self, local->stream_id, local->component_id);
  if (component != NULL && remote->stream_id == local->stream_id &&
      remote->component_id == local->component_id)
    {
      l = nav_ice_find_candidate (component->local, local);
      r = nav_ice_find_candidate (component->remote, remote);
    }
  if (l == NULL || r == NULL)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  pair = nav_ice_add_pair (self, component, l, r);
  for (i = 0; i < component->stream->pairs->len; i++)
    {
      Pair *other = g_ptr_array_index (component->stream->pairs, i);

      if (other->component != component)
        continue;
      nav_ice_remove_triggered (self, other);
      nav_ice_pair_stop_check (other);
      other->use_candidate = FALSE;
      if (other != pair && other->state != NAV_PAIR_STATE_SUCCEEDED)
        nav_ice_set_pair_state (self, other, NAV_PAIR_STATE_FAILED);
    }
  pair->valid = TRUE;
  nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);
  /* No checks ran: the component is CONNECTING before its pair is
   * selected, as when the checks select one. */
  if (component->state < NAV_COMPONENT_STATE_CONNECTING ||
      component->state == NAV_COMPONENT_STATE_FAILED)
    nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_CONNECTING);
  component->forced = FALSE;
  component->selected = NULL;
  nav_ice_select_pair (self, pair);
  component->forced = TRUE;
  nav_ice_unlock_and_emit (self);
  return TRUE;
}

/* RFC 7675 §5.2 (libnice's nice_agent_consent_lost()): the component
 * fails, its checks stop, and the peer's requests get a 403. */
static gboolean
nav_ice_checker_revoke_consent (NavChecker *checker,
                                guint       stream_id,
                                guint       component_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Component *component;
  Stream *stream;
  guint i;

  g_mutex_lock (&self->lock);
  stream = nav_ice_ensure_stream (self, stream_id);
  component = nav_ice_ensure_component (stream, component_id);
  component->consent_revoked = TRUE;
  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);

      if (pair->component != component)
        continue;
      nav_ice_remove_triggered (self, pair);
      nav_ice_pair_stop_check (pair);
      pair->use_candidate = FALSE;
    }
  component->nominating = FALSE;
  g_debug ("Stream %u component %u: consent revoked", stream_id, component_id);
  nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
  nav_ice_unlock_and_emit (self);
  return TRUE;
}

/* The settings NavChecker declares, every one of them; those not set
 * keep their value. */
static gboolean
nav_ice_checker_configure (NavChecker       *checker,
                           const NavConfig  *config,
                           GError          **error)
{
  static const gchar * const taken[] = {
    "nomination-mode", "stun-pacing-timer", "max-connectivity-checks",
    "stun-initial-timeout", "stun-max-retransmissions", "stun-reliable-timeout",
    "consent-freshness", "consent-interval", "consent-timeout", "ice-trickle", "lite",
    "software", NULL
  };
  NavIceChecker *self = NAV_ICE_CHECKER (checker);

  if (!nav_config_check (config, taken, G_OBJECT_TYPE_NAME (self), error))
    return FALSE;
  g_mutex_lock (&self->lock);
#define TAKE(name, field) \
  if (nav_config_is_set (config, name)) \
    nav_config_get (config, name, &self->field, NULL)
  TAKE ("nomination-mode", nomination_mode);
  TAKE ("stun-pacing-timer", stun_pacing_timer);
  TAKE ("max-connectivity-checks", max_checks);
  TAKE ("stun-initial-timeout", stun_initial_timeout);
  TAKE ("stun-max-retransmissions", stun_max_retransmissions);
  TAKE ("stun-reliable-timeout", stun_reliable_timeout);
  TAKE ("consent-freshness", consent_freshness);
  TAKE ("consent-interval", consent_interval);
  TAKE ("consent-timeout", consent_timeout);
  TAKE ("ice-trickle", ice_trickle);
  TAKE ("lite", lite);
#undef TAKE
  if (nav_config_is_set (config, "software"))
    {
      g_clear_pointer (&self->software, g_free);
      nav_config_get (config, "software", &self->software, NULL);
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
nav_ice_checker_checker_init (NavCheckerInterface *iface)
{
  iface->set_local_credentials = nav_ice_checker_set_local_credentials;
  iface->set_remote_credentials = nav_ice_checker_set_remote_credentials;
  iface->add_local_candidate = nav_ice_checker_add_local_candidate;
  iface->add_remote_candidate = nav_ice_checker_add_remote_candidate;
  iface->remote_gathering_done = nav_ice_checker_remote_gathering_done;
  iface->start = nav_ice_checker_start;
  iface->remove_stream = nav_ice_checker_remove_stream;
  iface->handle_message = nav_ice_checker_handle_message;
  iface->set_selected_pair = nav_ice_checker_set_selected_pair;
  iface->revoke_consent = nav_ice_checker_revoke_consent;
  iface->configure = nav_ice_checker_configure;
  iface->get_pair_stats = nav_ice_checker_get_pair_stats;
}

/* ----------------------------------------------------- inspection (tests) */

static GPtrArray *
dup_candidates (NavIceChecker *self,
                guint          stream_id,
                guint          component_id,
                gboolean       local)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  Component *component;

  g_mutex_lock (&self->lock);
  component = nav_ice_lookup_component (self, stream_id, component_id);
  if (component != NULL)
    {
      GPtrArray *candidates = local ? component->local : component->remote;
      guint i;

      for (i = 0; i < candidates->len; i++)
        g_ptr_array_add (copy, nav_candidate_copy (g_ptr_array_index (candidates, i)));
    }
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * nav_ice_checker_dup_local_candidates: (skip)
 * @self: a checker
 * @stream_id: a stream
 * @component_id: a component of the stream
 *
 * Returns: (transfer full): copies of the component's local candidates,
 *   peer-reflexive ones included, in the order they were learnt
 */
GPtrArray *
nav_ice_checker_dup_local_candidates (NavIceChecker *self,
                                      guint          stream_id,
                                      guint          component_id)
{
  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), NULL);

  return dup_candidates (self, stream_id, component_id, TRUE);
}

/**
 * nav_ice_checker_dup_remote_candidates: (skip)
 * @self: a checker
 * @stream_id: a stream
 * @component_id: a component of the stream
 *
 * Returns: (transfer full): copies of the component's remote candidates,
 *   peer-reflexive ones included, in the order they were learnt
 */
GPtrArray *
nav_ice_checker_dup_remote_candidates (NavIceChecker *self,
                                       guint          stream_id,
                                       guint          component_id)
{
  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), NULL);

  return dup_candidates (self, stream_id, component_id, FALSE);
}

/**
 * nav_ice_checker_get_remote_gathering_done: (skip)
 * @self: a checker
 * @stream_id: a stream
 *
 * Returns: whether the peer signalled the end of its candidates for the
 *   stream (RFC 8838 §4)
 */
gboolean
nav_ice_checker_get_remote_gathering_done (NavIceChecker *self,
                                           guint          stream_id)
{
  Stream *stream;
  gboolean done;

  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), FALSE);

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  done = stream != NULL && stream->remote_gathering_done;
  g_mutex_unlock (&self->lock);
  return done;
}

/* ---------------------------------------------------------------- object */

static void
nav_ice_checker_constructed (GObject *object)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  G_OBJECT_CLASS (nav_ice_checker_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  if (self->tie_breaker == 0)
    self->tie_breaker = ((guint64) g_random_int () << 32) | g_random_int ();
}

static void
nav_ice_checker_dispose (GObject *object)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  g_mutex_lock (&self->lock);
  g_queue_clear (&self->triggered);
  g_hash_table_remove_all (self->streams);
  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
  if (self->consent_tick != NULL)
    {
      g_source_destroy (self->consent_tick);
      g_clear_pointer (&self->consent_tick, g_source_unref);
    }
  g_ptr_array_set_size (self->events, 0);
  g_mutex_unlock (&self->lock);

  G_OBJECT_CLASS (nav_ice_checker_parent_class)->dispose (object);
}

static void
nav_ice_checker_finalize (GObject *object)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  g_hash_table_unref (self->streams);
  g_ptr_array_unref (self->events);
  g_free (self->software);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_ice_checker_parent_class)->finalize (object);
}

static void
nav_ice_checker_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_CONTROLLING_MODE:
      g_value_set_boolean (value, self->controlling_mode);
      break;
    case PROP_NOMINATION_MODE:
      g_value_set_enum (value, self->nomination_mode);
      break;
    case PROP_STUN_PACING_TIMER:
      g_value_set_uint (value, self->stun_pacing_timer);
      break;
    case PROP_STUN_INITIAL_TIMEOUT:
      g_value_set_uint (value, self->stun_initial_timeout);
      break;
    case PROP_STUN_MAX_RETRANSMISSIONS:
      g_value_set_uint (value, self->stun_max_retransmissions);
      break;
    case PROP_STUN_RELIABLE_TIMEOUT:
      g_value_set_uint (value, self->stun_reliable_timeout);
      break;
    case PROP_CONSENT_FRESHNESS:
      g_value_set_boolean (value, self->consent_freshness);
      break;
    case PROP_CONSENT_INTERVAL:
      g_value_set_uint (value, self->consent_interval);
      break;
    case PROP_CONSENT_TIMEOUT:
      g_value_set_uint (value, self->consent_timeout);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_MAX_CONNECTIVITY_CHECKS:
      g_value_set_uint (value, self->max_checks);
      break;
    case PROP_ICE_TRICKLE:
      g_value_set_boolean (value, self->ice_trickle);
      break;
    case PROP_TIE_BREAKER:
      g_value_set_uint64 (value, self->tie_breaker);
      break;
    case PROP_LITE:
      g_value_set_boolean (value, self->lite);
      break;
    case PROP_SOFTWARE:
      g_value_set_string (value, self->software);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  if (prop_id == PROP_CONTEXT)
    {
      self->context = g_value_dup_boxed (value);
      return;
    }

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_CONTROLLING_MODE:
      nav_ice_set_role (self, g_value_get_boolean (value));
      self->notify_role = FALSE;  /* GObject notifies this one */
      break;
    case PROP_NOMINATION_MODE:
      self->nomination_mode = g_value_get_enum (value);
      break;
    case PROP_STUN_PACING_TIMER:
      self->stun_pacing_timer = g_value_get_uint (value);
      break;
    case PROP_STUN_INITIAL_TIMEOUT:
      self->stun_initial_timeout = g_value_get_uint (value);
      break;
    case PROP_STUN_MAX_RETRANSMISSIONS:
      self->stun_max_retransmissions = g_value_get_uint (value);
      break;
    case PROP_STUN_RELIABLE_TIMEOUT:
      self->stun_reliable_timeout = g_value_get_uint (value);
      break;
    case PROP_CONSENT_FRESHNESS:
      self->consent_freshness = g_value_get_boolean (value);
      break;
    case PROP_CONSENT_INTERVAL:
      self->consent_interval = g_value_get_uint (value);
      break;
    case PROP_CONSENT_TIMEOUT:
      self->consent_timeout = g_value_get_uint (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIVITY_CHECKS:
      self->max_checks = g_value_get_uint (value);
      break;
    case PROP_ICE_TRICKLE:
      self->ice_trickle = g_value_get_boolean (value);
      break;
    case PROP_TIE_BREAKER:
      self->tie_breaker = g_value_get_uint64 (value);
      break;
    case PROP_LITE:
      self->lite = g_value_get_boolean (value);
      break;
    case PROP_SOFTWARE:
      g_free (self->software);
      self->software = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_class_init (NavIceCheckerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_ice_checker_constructed;
  object_class->dispose = nav_ice_checker_dispose;
  object_class->finalize = nav_ice_checker_finalize;
  object_class->get_property = nav_ice_checker_get_property;
  object_class->set_property = nav_ice_checker_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_CONTROLLING_MODE, "controlling-mode");

  /**
   * NavIceChecker:nomination-mode:
   *
   * How pairs are nominated when the checker is controlling, as
   * libnice's `nomination-mode`.
   *
   * Since: 1.0
   */
  properties[PROP_NOMINATION_MODE] =
    g_param_spec_enum ("nomination-mode", "Nomination mode",
                       "How the controlling agent nominates pairs (RFC 8445 §8.1.1)",
                       NAV_TYPE_NOMINATION_MODE,
                       NAV_NOMINATION_MODE_REGULAR, flags);

  /**
   * NavIceChecker:stun-pacing-timer:
   *
   * Ta, the interval in milliseconds between two new checks
   * (RFC 8445 §14.2), as libnice's `stun-pacing-timer`.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_PACING_TIMER] =
    g_param_spec_uint ("stun-pacing-timer", "STUN pacing timer",
                       "Milliseconds between two new connectivity checks (Ta, RFC 8445 §14.2)",
                       1, G_MAXUINT, DEFAULT_STUN_PACING_TIMER, flags);

  /**
   * NavIceChecker:stun-initial-timeout:
   *
   * The first retransmission timeout of a check, in milliseconds; it
   * doubles after each transmission (RFC 8489 §6.2.1).
   *
   * Since: 1.0
   */
  properties[PROP_STUN_INITIAL_TIMEOUT] =
    g_param_spec_uint ("stun-initial-timeout", "STUN initial timeout",
                       "First retransmission timeout of a check, in milliseconds",
                       1, G_MAXUINT, DEFAULT_STUN_INITIAL_TIMEOUT, flags);

  /**
   * NavIceChecker:stun-max-retransmissions:
   *
   * How many times a check is sent again before its pair fails.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_MAX_RETRANSMISSIONS] =
    g_param_spec_uint ("stun-max-retransmissions", "STUN max retransmissions",
                       "Retransmissions of a check before its pair fails",
                       0, 64, DEFAULT_STUN_MAX_RETRANSMISSIONS, flags);

  /**
   * NavIceChecker:stun-reliable-timeout:
   *
   * How long a check over ICE-TCP waits for its response, in
   * milliseconds (Ti, RFC 8489 §6.2.2): a request over TCP is sent once,
   * and the retransmission timer only paces new connection attempts of
   * simultaneous-open pairs.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_RELIABLE_TIMEOUT] =
    g_param_spec_uint ("stun-reliable-timeout", "STUN reliable timeout",
                       "How long a check over TCP waits for its response, in milliseconds",
                       1, G_MAXUINT, DEFAULT_STUN_RELIABLE_TIMEOUT, flags);

  /**
   * NavIceChecker:consent-freshness:
   *
   * Whether selected pairs are kept only while the peer consents
   * (RFC 7675).
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_FRESHNESS] =
    g_param_spec_boolean ("consent-freshness", "Consent freshness",
                          "Check the peer's consent on selected pairs (RFC 7675)",
                          TRUE, flags);

  /**
   * NavIceChecker:consent-interval:
   *
   * Milliseconds between two consent requests (RFC 7675 §5.1: 5000,
   * randomized by ±20 %).
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_INTERVAL] =
    g_param_spec_uint ("consent-interval", "Consent interval",
                       "Milliseconds between two consent requests (RFC 7675 §5.1)",
                       10, G_MAXUINT, DEFAULT_CONSENT_INTERVAL, flags);

  /**
   * NavIceChecker:consent-timeout:
   *
   * Milliseconds without an answer after which consent is lost and the
   * component fails (RFC 7675 §5.1: 30000).
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_TIMEOUT] =
    g_param_spec_uint ("consent-timeout", "Consent timeout",
                       "Milliseconds of silence after which consent is lost (RFC 7675 §5.1)",
                       20, G_MAXUINT, DEFAULT_CONSENT_TIMEOUT, flags);

  /**
   * NavIceChecker:keepalive-interval:
   *
   * Milliseconds between two keepalive Binding indications when consent
   * freshness is off (RFC 8445 §11).
   *
   * Since: 1.0
   */
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", "Keepalive interval",
                       "Milliseconds between two keepalives (RFC 8445 §11)",
                       10, G_MAXUINT, DEFAULT_KEEPALIVE_INTERVAL, flags);

  /**
   * NavIceChecker:max-connectivity-checks:
   *
   * The largest number of pairs of a check list (RFC 8445 §6.1.2.5).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONNECTIVITY_CHECKS] =
    g_param_spec_uint ("max-connectivity-checks", "Max connectivity checks",
                       "Largest number of pairs in a check list (RFC 8445 §6.1.2.5)",
                       1, G_MAXUINT, DEFAULT_MAX_CHECKS, flags);

  /**
   * NavIceChecker:ice-trickle:
   *
   * Whether the peer trickles its candidates (RFC 8838): a component
   * then fails only after the peer's end-of-candidates.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TRICKLE] =
    g_param_spec_boolean ("ice-trickle", "ICE trickle",
                          "Wait for the end of the peer's candidates before failing (RFC 8838)",
                          FALSE, flags);

  /**
   * NavIceChecker:lite:
   *
   * Whether this is an ICE-lite agent (RFC 8445 §2.5): it never sends a
   * check, answers the full peer's, is always controlled (a check that
   * says the peer is controlled too gets a 487, so that the full peer
   * takes the controlling role, §6.1.1) and selects the pair the peer
   * nominates (§7.3.1.5).
   *
   * Since: 1.0
   */
  properties[PROP_LITE] =
    g_param_spec_boolean ("lite", "Lite", "ICE-lite: answer checks, never send any (RFC 8445 §2.5)",
                          FALSE, flags);

  /**
   * NavIceChecker:tie-breaker:
   *
   * The tie-breaker of role conflicts (RFC 8445 §7.3.1.1); random unless
   * set.
   *
   * Since: 1.0
   */
  properties[PROP_TIE_BREAKER] =
    g_param_spec_uint64 ("tie-breaker", "Tie-breaker",
                         "Tie-breaker of role conflicts (RFC 8445 §7.3.1.1)",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NavIceChecker:software:
   *
   * The SOFTWARE attribute (RFC 8489 §14.14, fewer than 128 characters)
   * of every check, consent request and response the checker sends, or
   * %NULL for none: libnice's `nice_agent_set_software()`.
   *
   * Since: 1.0
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", "Software",
                         "SOFTWARE attribute of the checker's requests and responses",
                         NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  for (guint i = PROP_NOMINATION_MODE; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_ice_checker_class_finalize (NavIceCheckerClass *klass)
{
}

static void
nav_ice_checker_init (NavIceChecker *self)
{
  g_mutex_init (&self->lock);
  self->streams = g_hash_table_new_full (NULL, NULL, NULL, nav_ice_stream_free);
  self->events = g_ptr_array_new_with_free_func (event_free);
  g_queue_init (&self->triggered);
}
