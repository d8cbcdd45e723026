/* nav-ice-checker.c: the ICE connectivity checker (RFC 8445)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-ice-checker.h"

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

/* RFC 8445 §14.2: Ta, the pacing of new checks, defaults to 50 ms. */
#define DEFAULT_STUN_PACING_TIMER 50
/* RFC 8489 §6.2.1: an RTO of 500 ms; Rc = 7 transmissions. */
#define DEFAULT_STUN_INITIAL_TIMEOUT 500
#define DEFAULT_STUN_MAX_RETRANSMISSIONS 6
/* libnice's reliable timeout (its STUN timer's default), not the 39.5 s of
 * RFC 8489 §6.2.2: a TCP check that long unanswered has failed. */
#define DEFAULT_STUN_RELIABLE_TIMEOUT 7900
/* RFC 7675 §5.1: consent every 5 s, lost after 30 s of silence. */
#define DEFAULT_CONSENT_INTERVAL 5000
#define DEFAULT_CONSENT_TIMEOUT 30000
/* RFC 8445 §11: Tr, at least 15 s; libnice uses 25 s. */
#define DEFAULT_KEEPALIVE_INTERVAL 25000
/* RFC 8445 §6.1.2.5: libnice's default limit. */
#define DEFAULT_MAX_CHECKS 100
/* How long a controlling agent in regular mode waits for better pairs
 * after the first valid one, in units of Ta. */
#define NOMINATION_WAIT_TA 20
/* ... but when that pair is relayed, it waits for each better direct
 * pair until that pair's check went out this many times (0, 0.5, 1.5 and
 * 3.5 s with the default RTO): a check or two lost, or candidates that
 * came late (a lost STUN request), must not put the session on a relay
 * for good.  At most this long after the first valid pair, in Ta. */
#define NOMINATION_RELAY_WAIT_TRANSMISSIONS 4
#define NOMINATION_RELAY_MAX_WAIT_TA 200
#define CONSENT_TIDS 4

typedef struct _Stream Stream;
typedef struct _Component Component;
typedef struct _Pair Pair;

struct _Component
{
  Stream *stream;
  guint id;
  GPtrArray *local;             /* NavCandidate */
  GPtrArray *remote;            /* NavCandidate */
  NavComponentState state;
  Pair *selected;
  gint64 first_valid_time;      /* µs, 0 when none yet */
  gboolean nominating;          /* a USE-CANDIDATE check is under way */
  gboolean forced;              /* the application chose the pair: no more checks */
  gboolean consent_revoked;     /* RFC 7675 §5.2: nav_checker_revoke_consent() */
};

struct _Stream
{
  guint id;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  GBytes *local_key;
  GBytes *remote_key;
  GHashTable *components;       /* component id → Component */
  GPtrArray *pairs;             /* Pair, the check list, by priority */
  gboolean remote_gathering_done;
  gboolean started;
  guint prflx_counter;
};

struct _Pair
{
  Stream *stream;
  Component *component;
  NavCandidate *local;          /* borrowed from component->local */
  NavCandidate *remote;         /* borrowed from component->remote */
  guint64 priority;
  gchar *foundation;            /* local foundation ":" remote foundation */
  NavPairState state;
  gboolean valid;
  gboolean nominated;
  gboolean use_candidate;       /* the check in flight carries USE-CANDIDATE */
  gboolean nominate_on_success; /* controlled: the peer nominated it (§7.3.1.5) */
  gboolean triggered;           /* queued in the triggered check queue */
  Pair *valid_pair;             /* the valid pair its success produced */

  /* the check in flight */
  guint8 tid[NAV_STUN_TRANSACTION_ID_LENGTH];
  GBytes *request;
  guint transmissions;
  guint rto;
  gint64 check_started;         /* monotonic µs, for Ti over TCP */
  gboolean sent_controlling;
  GSource *timer;

  /* consent freshness, RFC 7675 */
  gint64 last_consent;          /* µs */
  gint64 next_consent;          /* µs */
  guint8 consent_tids[CONSENT_TIDS][NAV_STUN_TRANSACTION_ID_LENGTH];
  guint consent_next;
};

typedef enum {
  EVENT_PAIR_STATE,
  EVENT_SELECTED_PAIR,
  EVENT_COMPONENT_STATE,
} EventKind;

typedef struct {
  EventKind kind;
  guint stream_id;
  guint component_id;
  NavCandidate *local;
  NavCandidate *remote;
  guint state;
} Event;

struct _NavIceChecker
{
  GObject parent_instance;

  GMainContext *context;
  gboolean controlling_mode;
  NavIceNominationMode nomination_mode;
  guint stun_pacing_timer;
  guint stun_initial_timeout;
  guint stun_max_retransmissions;
  guint stun_reliable_timeout;
  gboolean consent_freshness;
  guint consent_interval;
  guint consent_timeout;
  guint keepalive_interval;
  guint max_checks;
  gboolean ice_trickle;
  gboolean lite;                /* RFC 8445 §2.5: answers checks, never sends any */
  guint64 tie_breaker;
  gchar *software;              /* SOFTWARE of every request and response, or NULL */

  GMutex lock;
  GHashTable *streams;          /* stream id → Stream */
  GQueue triggered;             /* Pair */
  GSource *tick;                /* Ta */
  GSource *consent_tick;
  GPtrArray *events;            /* Event, emitted after unlocking */
  gboolean notify_role;         /* notify controlling-mode after unlocking */
  gint64 last_keepalive;
};

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

static GType nav_ice_nomination_mode_type = G_TYPE_INVALID;

GType
nav_ice_nomination_mode_get_type (void)
{
  return nav_ice_nomination_mode_type;
}

/**
 * nav_ice_checker_register: (skip)
 * @module: the `ice` module
 *
 * Registers [class@Nav.IceChecker] and [enum@Nav.IceNominationMode] in
 * @module.
 */
void
nav_ice_checker_register (GTypeModule *module)
{
  static const GEnumValue nomination_modes[] = {
    { NAV_ICE_NOMINATION_MODE_REGULAR, "NAV_ICE_NOMINATION_MODE_REGULAR", "regular" },
    { NAV_ICE_NOMINATION_MODE_AGGRESSIVE, "NAV_ICE_NOMINATION_MODE_AGGRESSIVE", "aggressive" },
    { 0, NULL, NULL },
  };

  nav_ice_nomination_mode_type =
    g_type_module_register_enum (module, "NavIceNominationMode", nomination_modes);
  nav_ice_checker_register_type (module);
}

static void schedule_tick (NavIceChecker *self);
static void schedule_consent (NavIceChecker *self);
static void update_component_state (NavIceChecker *self, Component *component);

/* ---------------------------------------------------------------- events */

static void
event_free (gpointer data)
{
  Event *event = data;

  g_clear_pointer (&event->local, nav_candidate_free);
  g_clear_pointer (&event->remote, nav_candidate_free);
  g_free (event);
}

static void
queue_event (NavIceChecker      *self,
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
static void
unlock_and_emit (NavIceChecker *self)
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
        }
    }
  g_object_unref (self);
}

/* ------------------------------------------------------------ structures */

static void
pair_stop_check (Pair *pair)
{
  if (pair->timer != NULL)
    {
      g_source_destroy (pair->timer);
      g_clear_pointer (&pair->timer, g_source_unref);
    }
  g_clear_pointer (&pair->request, g_bytes_unref);
}

static void
pair_free (gpointer data)
{
  Pair *pair = data;

  pair_stop_check (pair);
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

static void
stream_free (gpointer data)
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
static Stream *
ensure_stream (NavIceChecker *self,
               guint          stream_id)
{
  Stream *stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));

  if (stream == NULL)
    {
      stream = g_new0 (Stream, 1);
      stream->id = stream_id;
      stream->components = g_hash_table_new_full (NULL, NULL, NULL, component_free);
      stream->pairs = g_ptr_array_new_with_free_func (pair_free);
      g_hash_table_insert (self->streams, GUINT_TO_POINTER (stream_id), stream);
    }
  return stream;
}

/* Called with the lock held. */
static Component *
ensure_component (Stream *stream,
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

static void
remove_triggered (NavIceChecker *self,
                  Pair          *pair)
{
  if (pair->triggered)
    {
      g_queue_remove (&self->triggered, pair);
      pair->triggered = FALSE;
    }
}

static void
set_pair_state (NavIceChecker *self,
                Pair          *pair,
                NavPairState   state)
{
  if (pair->state == state)
    return;
  pair->state = state;
  g_debug ("Stream %u component %u: pair %s %s state %d", pair->stream->id,
           pair->component->id, pair->local->foundation, pair->remote->foundation, state);
  queue_event (self, EVENT_PAIR_STATE, pair->stream->id, pair->component->id,
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

static void
set_role (NavIceChecker *self,
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

      for (i = 0; i < stream->pairs->len; i++)
        {
          Pair *pair = g_ptr_array_index (stream->pairs, i);

          pair->priority = compute_pair_priority (controlling, pair->local->priority,
                                                  pair->remote->priority);
        }
      g_ptr_array_sort (stream->pairs, compare_pairs);
    }
  /* Notified by unlock_and_emit(), with no lock held. */
}

static Pair *
find_pair (Stream             *stream,
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

static gboolean
foundation_active (Stream      *stream,
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

static Pair *
add_pair (NavIceChecker *self,
          Component     *component,
          NavCandidate  *local,
          NavCandidate  *remote)
{
  Stream *stream = component->stream;
  Pair *pair;

  pair = find_pair (stream, local, remote);
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
  g_ptr_array_add (stream->pairs, pair);
  g_ptr_array_sort (stream->pairs, compare_pairs);
  queue_event (self, EVENT_PAIR_STATE, stream->id, component->id, local, remote,
               NAV_PAIR_STATE_FROZEN);

  /* RFC 8838 §10 and RFC 8445 §6.1.2.6: a pair whose foundation has no
   * check under way may start at once; the rest wait their turn. */
  if (stream->started && !foundation_active (stream, pair->foundation))
    set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);

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
              remove_triggered (self, victim);
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
static NavCandidateTransport
peer_transport (NavCandidateTransport transport)
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

static gboolean
is_tcp (NavCandidateTransport transport)
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
          if (remote->transport != peer_transport (base->transport))
            continue;
          /* RFC 6544 §6.2: a passive candidate sends no check, so its
           * pairs are pruned; the peer's checks on it make their own
           * (handle_request). */
          if (base->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
            continue;
          if (nav_address_get_family (&base->addr) != nav_address_get_family (&remote->addr))
            continue;
          /* Link-local addresses only reach link-local addresses. */
          if (nav_address_is_link_local (&base->addr) != nav_address_is_link_local (&remote->addr))
            continue;
          add_pair (self, component, base, remote);
        }
    }
}

static Component *
lookup_component (NavIceChecker *self,
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

static void
nav_ice_checker_set_local_credentials (NavChecker  *checker,
                                       guint        stream_id,
                                       const gchar *ufrag,
                                       const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, stream_id);
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  g_clear_pointer (&stream->local_key, g_bytes_unref);
  stream->local_ufrag = g_strdup (ufrag);
  stream->local_pwd = g_strdup (pwd);
  stream->local_key = derive_key (pwd);
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_set_remote_credentials (NavChecker  *checker,
                                        guint        stream_id,
                                        const gchar *ufrag,
                                        const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, stream_id);
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  g_clear_pointer (&stream->remote_key, g_bytes_unref);
  stream->remote_ufrag = g_strdup (ufrag);
  stream->remote_pwd = g_strdup (pwd);
  stream->remote_key = derive_key (pwd);
  /* Checks triggered before the peer's credentials were known can go. */
  if (self->triggered.length > 0)
    schedule_tick (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ candidates */

static NavCandidate *
find_candidate (GPtrArray          *candidates,
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
  stream = ensure_stream (self, candidate->stream_id);
  component = ensure_component (stream, candidate->component_id);
  candidates = local ? component->local : component->remote;
  known = find_candidate (candidates, candidate);
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
      unlock_and_emit (self);
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
      schedule_tick (self);
      update_component_state (self, component);
    }
  unlock_and_emit (self);
}

static void
nav_ice_checker_add_local_candidate (NavChecker         *checker,
                                     const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, TRUE);
}

static void
nav_ice_checker_add_remote_candidate (NavChecker         *checker,
                                      const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, FALSE);
}

static void
nav_ice_checker_remote_gathering_done (NavChecker *checker,
                                       guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;
  GHashTableIter iter;
  Component *component;

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, stream_id);
  stream->remote_gathering_done = TRUE;
  if (stream->started)
    {
      g_hash_table_iter_init (&iter, stream->components);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &component))
        update_component_state (self, component);
    }
  unlock_and_emit (self);
}

/* -------------------------------------------------------- sending checks */

static gboolean
send_on (NavCandidate     *local,
         const NavAddress *to,
         GBytes           *message)
{
  g_autoptr (GError) error = NULL;

  if (local->owner == NULL)
    return FALSE;
  /* A lost datagram is what retransmissions are for. */
  if (!nav_transport_send_bytes (local->owner, to, message, &error))
    {
      g_debug ("Sending a check failed: %s", error->message);
      return FALSE;
    }
  return TRUE;
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
static GBytes *
build_request (NavIceChecker *self,
               Pair          *pair,
               gboolean       use_candidate,
               guint8        *tid_out)
{
  Stream *stream = pair->stream;
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autofree gchar *username = NULL;
  gsize key_len;
  const guint8 *key;
  GBytes *bytes;

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
  memcpy (tid_out, nav_stun_message_builder_get_transaction_id (builder),
          NAV_STUN_TRANSACTION_ID_LENGTH);
  bytes = nav_stun_message_builder_finish (builder, NULL);
  return bytes;
}

static void check_failed (NavIceChecker *self, Pair *pair);

typedef struct {
  NavIceChecker *self;          /* weak: the checker outlives its sources */
  Pair *pair;
} Retransmit;

static gboolean
retransmit_cb (gpointer user_data)
{
  Retransmit *r = user_data;
  NavIceChecker *self = r->self;
  Pair *pair = r->pair;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&pair->timer, g_source_unref);
  if (pair->transmissions > self->stun_max_retransmissions ||
      (is_tcp (pair->local->transport) &&
       g_get_monotonic_time () - pair->check_started >=
       (gint64) self->stun_reliable_timeout * 1000))
    {
      g_debug ("Stream %u component %u: check %s timed out", pair->stream->id,
               pair->component->id, pair->foundation);
      check_failed (self, pair);
    }
  else if (!send_on (pair->local, &pair->remote->addr, pair->request) &&
           is_tcp (pair->local->transport))
    {
      /* RFC 6544 §7.1: the TCP connection of the check failed (refused,
       * reset, timed out): so did the check. */
      g_debug ("Stream %u component %u: TCP connection of %s failed", pair->stream->id,
               pair->component->id, pair->foundation);
      check_failed (self, pair);
    }
  else
    {
      guint wait;

      pair->transmissions++;
      pair->rto *= 2;
      /* RFC 8489 §6.2.1: after the last transmission, wait Rm × RTO (here
       * twice the last interval).  Over TCP, no longer than Ti. */
      wait = pair->rto;
      if (is_tcp (pair->local->transport))
        {
          gint64 left = (gint64) self->stun_reliable_timeout -
                        (g_get_monotonic_time () - pair->check_started) / 1000;

          wait = (guint) CLAMP (left, 1, (gint64) wait);
        }
      pair->timer = g_timeout_source_new (wait);
      g_source_set_callback (pair->timer, retransmit_cb, g_memdup2 (r, sizeof *r), g_free);
      g_source_set_static_name (pair->timer, "[nav-ice] check retransmission");
      g_source_attach (pair->timer, self->context);
    }
  unlock_and_emit (self);
  return G_SOURCE_REMOVE;
}

/* Sends the check of @pair and moves it to In-Progress. */
static void
start_check (NavIceChecker *self,
             Pair          *pair)
{
  gboolean use_candidate;
  Retransmit r = { self, pair };

  pair_stop_check (pair);
  use_candidate = self->controlling_mode &&
                  (self->nomination_mode == NAV_ICE_NOMINATION_MODE_AGGRESSIVE ||
                   pair->use_candidate);
  pair->use_candidate = use_candidate;
  pair->request = build_request (self, pair, use_candidate, pair->tid);
  if (pair->request == NULL)
    return;
  pair->sent_controlling = self->controlling_mode;
  pair->transmissions = 1;
  pair->rto = MAX (self->stun_initial_timeout, 1);
  pair->check_started = g_get_monotonic_time ();
  set_pair_state (self, pair, NAV_PAIR_STATE_IN_PROGRESS);
  g_debug ("Stream %u component %u: checking %s%s", pair->stream->id, pair->component->id,
           pair->foundation, use_candidate ? " (USE-CANDIDATE)" : "");
  if (!send_on (pair->local, &pair->remote->addr, pair->request) &&
      is_tcp (pair->local->transport))
    {
      /* No connection to send on (a passive candidate's peer went away,
       * or the last connect failed): the check fails (RFC 6544 §7.1). */
      check_failed (self, pair);
      return;
    }
  pair->timer = g_timeout_source_new (is_tcp (pair->local->transport)
                                      ? MIN (pair->rto, MAX (self->stun_reliable_timeout, 1))
                                      : pair->rto);
  g_source_set_callback (pair->timer, retransmit_cb, g_memdup2 (&r, sizeof r), g_free);
  g_source_set_static_name (pair->timer, "[nav-ice] check retransmission");
  g_source_attach (pair->timer, self->context);
}

/* ------------------------------------------------------------ scheduling */

static void
enqueue_triggered (NavIceChecker *self,
                   Pair          *pair)
{
  if (!pair->triggered)
    {
      g_queue_push_tail (&self->triggered, pair);
      pair->triggered = TRUE;
    }
  if (pair->state != NAV_PAIR_STATE_IN_PROGRESS)
    set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
  schedule_tick (self);
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
              !foundation_active (stream, pair->foundation))
            best_frozen = pair;
        }
    }
  return best_frozen;
}

static void maybe_nominate (NavIceChecker *self);
static void update_all_components (NavIceChecker *self);

static gboolean
tick_cb (gpointer user_data)
{
  NavIceChecker *self = user_data;
  Pair *pair = NULL;
  GList *l;

  g_mutex_lock (&self->lock);
  maybe_nominate (self);

  /* Triggered checks first (§7.3.1.4), skipping those that still wait
   * for the peer's credentials. */
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
      /* Nothing left to send: stop pacing until there is. */
      gboolean pending = FALSE;
      GHashTableIter iter;
      Stream *stream;

      g_hash_table_iter_init (&iter, self->streams);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream) && !pending)
        {
          guint i;

          for (i = 0; i < stream->pairs->len; i++)
            {
              Pair *p = g_ptr_array_index (stream->pairs, i);

              /* A controlling agent in regular mode polls for nomination. */
              if (p->valid && self->controlling_mode && !p->component->nominating &&
                  self->nomination_mode == NAV_ICE_NOMINATION_MODE_REGULAR &&
                  p->component->selected == NULL)
                pending = TRUE;
            }
        }
      if (!pending && self->triggered.length == 0)
        {
          g_source_destroy (self->tick);
          g_clear_pointer (&self->tick, g_source_unref);
        }
    }
  update_all_components (self);
  unlock_and_emit (self);
  return G_SOURCE_CONTINUE;
}

/* Called with the lock held. */
static void
schedule_tick (NavIceChecker *self)
{
  /* RFC 8445 §2.5: a lite agent sends no checks, ordinary or triggered. */
  if (self->tick != NULL || self->lite)
    return;
  self->tick = g_timeout_source_new (MAX (self->stun_pacing_timer, 1));
  g_source_set_callback (self->tick, tick_cb, self, NULL);
  g_source_set_static_name (self->tick, "[nav-ice] Ta");
  g_source_attach (self->tick, self->context);
}

/* ------------------------------------------------------ component states */

static void
set_component_state (NavIceChecker     *self,
                     Component         *component,
                     NavComponentState  state)
{
  if (component->state == state)
    return;
  g_debug ("Stream %u component %u: state %d → %d", component->stream->id, component->id,
           component->state, state);
  component->state = state;
  queue_event (self, EVENT_COMPONENT_STATE, component->stream->id, component->id,
               NULL, NULL, state);
}

static void
update_component_state (NavIceChecker *self,
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
  if (any_valid)
    set_component_state (self, component, NAV_COMPONENT_STATE_CONNECTED);
  else if (any_pair && !any_pending && (!self->ice_trickle || stream->remote_gathering_done))
    set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
  else
    set_component_state (self, component, NAV_COMPONENT_STATE_CONNECTING);
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
        update_component_state (self, component);
    }
}

/* The selected pair is the highest-priority nominated valid pair
 * (RFC 8445 §8.1.1; RFC 5245 §8.1.1.2 for aggressive nomination). */
static void
select_pair (NavIceChecker *self,
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
  queue_event (self, EVENT_SELECTED_PAIR, pair->stream->id, component->id,
               pair->local, pair->remote, 0);
  set_component_state (self, component, NAV_COMPONENT_STATE_READY);

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
              remove_triggered (self, other);
              set_pair_state (self, other, NAV_PAIR_STATE_FAILED);
            }
        }
    }
  schedule_consent (self);
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

  if (!self->controlling_mode || self->nomination_mode != NAV_ICE_NOMINATION_MODE_REGULAR)
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
                          pair->transmissions < NOMINATION_RELAY_WAIT_TRANSMISSIONS)
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
          remove_triggered (self, best);
          start_check (self, best);
        }
    }
}

/* ------------------------------------------------------------- responses */

static void
check_failed (NavIceChecker *self,
              Pair          *pair)
{
  pair_stop_check (pair);
  if (pair->use_candidate)
    pair->component->nominating = FALSE;
  pair->use_candidate = FALSE;
  set_pair_state (self, pair, NAV_PAIR_STATE_FAILED);
  update_component_state (self, pair->component);
  schedule_tick (self);
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
            set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
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

  pair_stop_check (pair);

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

  set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);

  /* §7.2.5.3.2: the valid pair. */
  if (local == pair->local)
    valid = pair;
  else
    {
      valid = find_pair (pair->stream, local, pair->remote);
      if (valid == NULL)
        {
          valid = add_pair (self, component, local, pair->remote);
          set_pair_state (self, valid, NAV_PAIR_STATE_SUCCEEDED);
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
    select_pair (self, valid);
  pair->use_candidate = FALSE;

  update_component_state (self, component);
  schedule_tick (self);
}

static void
handle_response (NavIceChecker    *self,
                 Stream           *stream,
                 Pair             *pair,
                 NavStunMessage   *msg,
                 NavTransport     *transport,
                 const NavAddress *from)
{
  gsize key_len;
  const guint8 *key = g_bytes_get_data (stream->remote_key, &key_len);

  if (!nav_stun_message_check_integrity (msg, key, key_len, NULL))
    {
      g_debug ("Stream %u: response with a bad MESSAGE-INTEGRITY dropped", stream->id);
      return;
    }

  if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      guint code = 0;

      nav_stun_message_get_error_code (msg, &code, NULL, NULL);
      if (code == NAV_STUN_ERROR_CODE_ROLE_CONFLICT)
        {
          /* RFC 8445 §7.2.5.1: switch to the role opposite to the one
           * the check was sent in, and check the pair again. */
          if (pair->sent_controlling == self->controlling_mode)
            set_role (self, !pair->sent_controlling);
          pair_stop_check (pair);
          enqueue_triggered (self, pair);
          return;
        }
      g_debug ("Stream %u: check answered with error %u", stream->id, code);
      check_failed (self, pair);
      return;
    }
  handle_success (self, pair, msg, transport, from);
}

/* -------------------------------------------------------------- requests */

static void
send_response (NavIceChecker         *self,
               NavTransport          *transport,
               const NavAddress      *to,
               NavStunMessageBuilder *builder,
               GBytes                *key)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize key_len = 0;
  const guint8 *key_data = key != NULL ? g_bytes_get_data (key, &key_len) : NULL;

  /* RFC 8489 §14.14 (libnice's nice_agent_set_software()). */
  if (self->software != NULL)
    nav_stun_message_builder_add_software (builder, self->software, NULL);
  if ((key != NULL && !nav_stun_message_builder_add_message_integrity (builder, key_data,
                                                                      key_len, NULL)) ||
      !nav_stun_message_builder_add_fingerprint (builder, NULL))
    return;
  bytes = nav_stun_message_builder_finish (builder, NULL);
  if (bytes != NULL && !nav_transport_send_bytes (transport, to, bytes, &error))
    g_debug ("Sending a response failed: %s", error->message);
}

static void
send_error (NavIceChecker    *self,
            NavTransport     *transport,
            const NavAddress *to,
            NavStunMessage   *request,
            guint             code,
            GBytes           *key)
{
  g_autoptr (NavStunMessageBuilder) builder =
    nav_stun_message_builder_new_response (request, NAV_STUN_CLASS_ERROR_RESPONSE);

  nav_stun_message_builder_add_error_code (builder, code,
                                           nav_stun_error_code_get_reason (code), NULL);
  send_response (self, transport, to, builder, key);
}

/* The local candidate that is the base of @transport in @component: its
 * host or relayed candidate. */
static NavCandidate *
base_of_transport (Component    *component,
                   NavTransport *transport)
{
  guint i;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->owner == transport &&
          (c->type == NAV_CANDIDATE_TYPE_HOST || c->type == NAV_CANDIDATE_TYPE_RELAYED))
        return c;
    }
  return NULL;
}

static void
handle_request (NavIceChecker    *self,
                Stream           *stream,
                Component        *component,
                NavCandidate     *base,
                NavStunMessage   *msg,
                NavTransport     *transport,
                const NavAddress *from)
{
  g_autofree gchar *username = NULL;
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  gsize key_len, ufrag_len;
  const guint8 *key;
  guint64 their_tie_breaker;
  guint32 priority;
  gboolean use_candidate;
  NavCandidate *remote;
  Pair *pair;

  if (stream->local_key == NULL)
    return;

  /* RFC 8445 §7.3 and RFC 8489 §9.1.3: authenticate with our password. */
  username = nav_stun_message_get_username (msg, NULL);
  if (username == NULL || !nav_stun_message_has_message_integrity (msg))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_BAD_REQUEST, NULL);
      return;
    }
  ufrag_len = strlen (stream->local_ufrag);
  if (strncmp (username, stream->local_ufrag, ufrag_len) != 0 || username[ufrag_len] != ':')
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_UNAUTHENTICATED, NULL);
      return;
    }
  key = g_bytes_get_data (stream->local_key, &key_len);
  if (!nav_stun_message_check_integrity (msg, key, key_len, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_UNAUTHENTICATED, NULL);
      return;
    }
  /* RFC 7675 §5.2: consent revoked by the application; the 403 is
   * authenticated so that the peer believes it. */
  if (component->consent_revoked)
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_FORBIDDEN, stream->local_key);
      return;
    }
  if (!nav_stun_message_get_priority (msg, &priority, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_BAD_REQUEST, stream->local_key);
      return;
    }

  /* §6.1.1: a lite agent is controlled; a full peer that says it is
   * controlled too is told so with a 487 and takes the controlling role. */
  if (self->lite && nav_stun_message_get_ice_controlled (msg, &their_tie_breaker, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
      return;
    }

  /* §7.3.1.1: role conflicts. */
  if (self->controlling_mode &&
      nav_stun_message_get_ice_controlling (msg, &their_tie_breaker, NULL))
    {
      if (self->tie_breaker >= their_tie_breaker)
        {
          send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
          return;
        }
      set_role (self, FALSE);
    }
  else if (!self->controlling_mode &&
           nav_stun_message_get_ice_controlled (msg, &their_tie_breaker, NULL))
    {
      if (self->tie_breaker >= their_tie_breaker)
        set_role (self, TRUE);
      else
        {
          send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
          return;
        }
    }
  use_candidate = nav_stun_message_get_use_candidate (msg);

  /* §7.3.1.2: answer with the source transport address. */
  builder = nav_stun_message_builder_new_response (msg, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  nav_stun_message_builder_add_xor_mapped_address (builder, from, NULL);
  send_response (self, transport, from, builder, stream->local_key);

  /* §7.3.1.3: an unknown source is a peer-reflexive remote candidate. */
  remote = NULL;
  {
    guint i;

    for (i = 0; i < component->remote->len; i++)
      {
        NavCandidate *c = g_ptr_array_index (component->remote, i);

        /* RFC 6544 §7.2: over TCP, the source of a check on a passive
         * candidate is the peer's connection, from an ephemeral port:
         * a peer-reflexive active candidate, below. */
        if (c->transport == peer_transport (base->transport) &&
            nav_address_equal (&c->addr, from))
          {
            remote = c;
            break;
          }
      }
  }
  if (remote == NULL)
    {
      gchar foundation[NAV_CANDIDATE_MAX_FOUNDATION];

      remote = nav_candidate_new (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
      remote->transport = peer_transport (base->transport);
      remote->addr = *from;
      remote->base_addr = *from;
      remote->priority = priority;
      /* A connection to a passive candidate comes from the peer's active
       * candidate, which was signalled with port 9 and so never matches
       * by address (RFC 6544 §4.5).  Ranked with that candidate's
       * priority, the pair has the priority the peer computes for it
       * (from its own active candidate), so that both agents order the
       * TCP pairs alike and nominate the same one. */
      if (base->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        {
          guint i;

          for (i = 0; i < component->remote->len; i++)
            {
              NavCandidate *c = g_ptr_array_index (component->remote, i);

              if (c->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
                  c->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
                  nav_address_equal_no_port (&c->addr, from))
                {
                  remote->priority = c->priority;
                  break;
                }
            }
        }
      remote->stream_id = stream->id;
      remote->component_id = component->id;
      g_snprintf (foundation, sizeof foundation, "prflx%u", ++stream->prflx_counter);
      nav_candidate_set_foundation (remote, foundation);
      g_ptr_array_add (component->remote, remote);
      g_debug ("Stream %u component %u: new peer-reflexive remote candidate",
               stream->id, component->id);
    }

  /* §7.3.1.4: the triggered check. */
  pair = find_pair (stream, base, remote);
  if (pair == NULL)
    pair = add_pair (self, component, base, remote);

  if (self->lite)
    {
      /* A lite agent sends no triggered check: the pair a check arrived
       * on is valid, and USE-CANDIDATE nominates it (RFC 8445 §7.3.1.4,
       * §7.3.1.5). */
      if (!pair->valid)
        {
          pair->valid = TRUE;
          set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);
        }
      if (use_candidate)
        select_pair (self, pair);
      else if (stream->started)
        update_component_state (self, component);
      return;
    }

  if (use_candidate && !self->controlling_mode)
    {
      /* §7.3.1.5 */
      pair->nominate_on_success = TRUE;
      if (pair->state == NAV_PAIR_STATE_SUCCEEDED && pair->valid_pair != NULL)
        {
          select_pair (self, pair->valid_pair);
          return;
        }
      if (pair->valid)
        {
          select_pair (self, pair);
          return;
        }
    }

  switch (pair->state)
    {
    case NAV_PAIR_STATE_SUCCEEDED:
      break;
    case NAV_PAIR_STATE_IN_PROGRESS:
      /* The check under way carries on; its success will do. */
      break;
    default:
      enqueue_triggered (self, pair);
      break;
    }
  if (stream->started)
    update_component_state (self, component);
}

/* ------------------------------------------------------- consent (7675) */

static gboolean
consent_cb (gpointer user_data)
{
  NavIceChecker *self = user_data;
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;
  gint64 now = g_get_monotonic_time ();
  gboolean any = FALSE;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        {
          Pair *pair = component->selected;

          if (pair == NULL || component->state != NAV_COMPONENT_STATE_READY)
            continue;
          any = TRUE;
          if (self->consent_freshness)
            {
              /* RFC 7675 §5.1: consent is lost when no response came
               * within the timeout. */
              if (now - pair->last_consent > (gint64) self->consent_timeout * 1000)
                {
                  g_debug ("Stream %u component %u: consent expired", stream->id,
                           component->id);
                  set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
                  continue;
                }
              if (now >= pair->next_consent)
                {
                  guint8 tid[NAV_STUN_TRANSACTION_ID_LENGTH];
                  g_autoptr (GBytes) request = build_request (self, pair, FALSE, tid);

                  if (request != NULL)
                    {
                      memcpy (pair->consent_tids[pair->consent_next], tid, sizeof tid);
                      pair->consent_next = (pair->consent_next + 1) % CONSENT_TIDS;
                      send_on (pair->local, &pair->remote->addr, request);
                    }
                  pair->next_consent = now + (gint64) self->consent_interval * 1000 *
                                             g_random_double_range (0.8, 1.2);
                }
            }
          else if (now - self->last_keepalive > (gint64) self->keepalive_interval * 1000)
            {
              /* RFC 8445 §11: a Binding indication keeps the bindings. */
              g_autoptr (NavStunMessageBuilder) builder =
                nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION,
                                              NAV_STUN_METHOD_BINDING, NULL);
              g_autoptr (GBytes) bytes = NULL;

              nav_stun_message_builder_add_fingerprint (builder, NULL);
              bytes = nav_stun_message_builder_finish (builder, NULL);
              if (bytes != NULL)
                send_on (pair->local, &pair->remote->addr, bytes);
            }
        }
    }
  if (!self->consent_freshness && now - self->last_keepalive > (gint64) self->keepalive_interval * 1000)
    self->last_keepalive = now;
  if (!any)
    {
      g_source_destroy (self->consent_tick);
      g_clear_pointer (&self->consent_tick, g_source_unref);
    }
  unlock_and_emit (self);
  return G_SOURCE_CONTINUE;
}

static void
schedule_consent (NavIceChecker *self)
{
  guint period;

  if (self->consent_tick != NULL)
    return;
  period = self->consent_freshness ? MIN (self->consent_interval, self->consent_timeout) / 4
                                   : self->keepalive_interval / 4;
  self->consent_tick = g_timeout_source_new (CLAMP (period, 5, 1000));
  g_source_set_callback (self->consent_tick, consent_cb, self, NULL);
  g_source_set_static_name (self->consent_tick, "[nav-ice] consent");
  g_source_attach (self->consent_tick, self->context);
}

static gboolean
handle_consent_response (NavIceChecker    *self,
                         NavStunMessage   *msg,
                         const NavAddress *from)
{
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        {
          Pair *pair = component->selected;
          guint i;

          if (pair == NULL)
            continue;
          for (i = 0; i < CONSENT_TIDS; i++)
            if (nav_stun_message_has_transaction_id (msg, pair->consent_tids[i]))
              {
                gsize key_len;
                const guint8 *key = g_bytes_get_data (stream->remote_key, &key_len);

                /* RFC 7675 §5.1: only an authenticated success response
                 * from the peer refreshes consent. */
                if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_SUCCESS_RESPONSE &&
                    nav_address_equal (from, &pair->remote->addr) &&
                    nav_stun_message_check_integrity (msg, key, key_len, NULL))
                  pair->last_consent = g_get_monotonic_time ();
                /* RFC 7675 §5.2: an authenticated 403 revokes consent at
                 * once. */
                else if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE &&
                         nav_address_equal (from, &pair->remote->addr) &&
                         nav_stun_message_check_integrity (msg, key, key_len, NULL))
                  {
                    guint code = 0;

                    nav_stun_message_get_error_code (msg, &code, NULL, NULL);
                    if (code == NAV_STUN_ERROR_CODE_FORBIDDEN &&
                        component->state == NAV_COMPONENT_STATE_READY)
                      {
                        g_debug ("Stream %u component %u: the peer revoked consent",
                                 stream->id, component->id);
                        set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
                      }
                  }
                return TRUE;
              }
        }
    }
  return FALSE;
}

/* --------------------------------------------------------------- demux */

static gboolean
nav_ice_checker_handle_message (NavChecker       *checker,
                                NavTransport     *transport,
                                const guint8     *data,
                                gsize             len,
                                const NavAddress *from)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  g_autoptr (NavStunMessage) msg = NULL;
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;
  gboolean consumed = FALSE;
  NavStunClass klass;

  if (!nav_stun_message_is_stun (data, len))
    return FALSE;
  /* RFC 8445 §7.2.2: every ICE message carries FINGERPRINT. */
  msg = nav_stun_message_parse_full (data, len, NAV_STUN_PARSE_REQUIRE_FINGERPRINT, NULL);
  if (msg == NULL || nav_stun_message_get_method (msg) != NAV_STUN_METHOD_BINDING)
    return FALSE;
  klass = nav_stun_message_get_class (msg);
  if (klass == NAV_STUN_CLASS_INDICATION)
    return TRUE;                /* keepalives need no answer */

  g_mutex_lock (&self->lock);
  if (klass == NAV_STUN_CLASS_REQUEST)
    {
      g_hash_table_iter_init (&iter, self->streams);
      while (!consumed && g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
        {
          g_hash_table_iter_init (&citer, stream->components);
          while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
            {
              NavCandidate *base = base_of_transport (component, transport);

              if (base != NULL)
                {
                  handle_request (self, stream, component, base, msg, transport, from);
                  consumed = TRUE;
                  break;
                }
            }
        }
    }
  else
    {
      g_hash_table_iter_init (&iter, self->streams);
      while (!consumed && g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
        {
          guint i;

          for (i = 0; i < stream->pairs->len; i++)
            {
              Pair *pair = g_ptr_array_index (stream->pairs, i);

              if (pair->request != NULL && pair->state == NAV_PAIR_STATE_IN_PROGRESS &&
                  nav_stun_message_has_transaction_id (msg, pair->tid))
                {
                  handle_response (self, stream, pair, msg, transport, from);
                  consumed = TRUE;
                  break;
                }
            }
        }
      if (!consumed)
        consumed = handle_consent_response (self, msg, from);
    }
  unlock_and_emit (self);
  return consumed;
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
        set_pair_state (self, pair, NAV_PAIR_STATE_WAITING);
  }
  g_hash_table_unref (seen);

  g_hash_table_iter_init (&iter, stream->components);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &component))
    update_component_state (self, component);
  schedule_tick (self);
  unlock_and_emit (self);
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
        remove_triggered (self, g_ptr_array_index (stream->pairs, i));
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
  component = lookup_component (self, local->stream_id, local->component_id);
  if (component != NULL && remote->stream_id == local->stream_id &&
      remote->component_id == local->component_id)
    {
      l = find_candidate (component->local, local);
      r = find_candidate (component->remote, remote);
    }
  if (l == NULL || r == NULL)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  pair = add_pair (self, component, l, r);
  for (i = 0; i < component->stream->pairs->len; i++)
    {
      Pair *other = g_ptr_array_index (component->stream->pairs, i);

      if (other->component != component)
        continue;
      remove_triggered (self, other);
      pair_stop_check (other);
      other->use_candidate = FALSE;
      if (other != pair && other->state != NAV_PAIR_STATE_SUCCEEDED)
        set_pair_state (self, other, NAV_PAIR_STATE_FAILED);
    }
  pair->valid = TRUE;
  set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);
  component->forced = FALSE;
  component->selected = NULL;
  select_pair (self, pair);
  component->forced = TRUE;
  unlock_and_emit (self);
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
  stream = ensure_stream (self, stream_id);
  component = ensure_component (stream, component_id);
  component->consent_revoked = TRUE;
  for (i = 0; i < stream->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (stream->pairs, i);

      if (pair->component != component)
        continue;
      remove_triggered (self, pair);
      pair_stop_check (pair);
      pair->use_candidate = FALSE;
    }
  component->nominating = FALSE;
  g_debug ("Stream %u component %u: consent revoked", stream_id, component_id);
  set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
  unlock_and_emit (self);
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
  component = lookup_component (self, stream_id, component_id);
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
      set_role (self, g_value_get_boolean (value));
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
                       NAV_TYPE_ICE_NOMINATION_MODE,
                       NAV_ICE_NOMINATION_MODE_REGULAR, flags);

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
  self->streams = g_hash_table_new_full (NULL, NULL, NULL, stream_free);
  self->events = g_ptr_array_new_with_free_func (event_free);
  g_queue_init (&self->triggered);
}
