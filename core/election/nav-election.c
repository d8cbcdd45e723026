/* nav-election.c: the hub election of a group, without I/O
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-election-private.h"

/**
 * NavElection:
 *
 * The hub election of a group of peers, as a state machine without I/O
 * (the pattern of the SCTP association and of the STUN transactions): the
 * caller hands it the records it receives ([method@Nav.Election.receive]),
 * calls [method@Nav.Election.tick] when the time it returned comes, and
 * broadcasts what [signal@Nav.Election::send] emits to every member,
 * through a signaling room or data channels ([class@Nav.Group] does).
 *
 * The rules (docs/election.md):
 *
 * - Every member broadcasts a signed [struct@Nav.CapabilityRecord] every
 *   [property@Nav.Election:heartbeat-interval]; the hub's records are of
 *   kind %NAV_RECORD_KIND_HUB and renew its lease.
 * - Members are ranked by score (the @score vfunc; by default
 *   nav_capability_claims_default_score()), ties broken by the lower
 *   public key.  A member whose battery is under
 *   [property@Nav.Election:battery-threshold] and not charging may not be
 *   hub (degraded).
 * - The hub stays hub while its lease is renewed, it is not degraded and no
 *   member beats its score by more than
 *   [property@Nav.Election:hysteresis] percent.  Otherwise the best member
 *   claims the next epoch (the highest seen plus one); the others accept
 *   a claim of a higher epoch only from a member within that margin of the
 *   best of their view (anything else is a forged hub claim, refused and
 *   counted), and a claim of their own epoch only from their hub, so that
 *   one epoch has one hub.
 * - A hub that sees another claim for its own or a higher epoch from a
 *   member it outranks claims a higher epoch again: after a partition
 *   heals, the two hubs converge on the better one.
 * - Each record lists the members its signer reached directly
 *   ([method@Nav.Election.set_direct_link]); a member listed by another
 *   member's valid record is reachable, verified
 *   ([method@Nav.Election.is_member_reachable]): the @score vfunc sees
 *   that, not the member's own word.
 *
 * Since: 1.0
 */

/* A member that is not the hub sends its record every this many
 * heartbeat intervals. */
#define MEMBER_RECORD_INTERVALS 4

/* At most this many removed members' last sequence numbers are kept. */
#define GONE_MAX 4096

typedef struct
{
  guint8 key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  gchar *device_id;
  NavCapabilityClaims claims;
  guint score;
  guint64 last_sequence;
  gint64 last_seen_us;
  gboolean self;
  gboolean capped;           /* its bandwidth claim counts less than claimed */
  guint32 counted_kbps;      /* then: how much it counts */
  guint8 prefix[NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE]; /* of its device id */
  guint reached_count;       /* the members its last record lists as reached */
  guint8 reached[NAV_CAPABILITY_RECORD_MAX_REACHED * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE];
  gboolean verified;         /* another member's record lists it */
  gint64 unconfirmed_since_us; /* it claims reachable, no one confirms: since */
  gboolean unconfirmed_counted;
} Member;

typedef struct
{
  NavDeviceIdentity *identity;
  guint8 key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  NavCapabilityClaims claims;
  guint64 sequence;

  GHashTable *members;       /* device id → Member */
  GHashTable *senders;       /* transport sender → device id (bound) */
  GHashTable *gone;          /* device id → last sequence (guint64 *) of
                              * a member removed by timeout or leave */
  Member *me;
  Member *hub;               /* NULL when electing */
  guint64 epoch;
  /* The hub this device followed in @epoch, kept when its lease runs
   * out: the same member may take that epoch back, no other. */
  guint8 epoch_hub_key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  gboolean epoch_hub_known;
  guint64 max_epoch;
  gint64 hub_renewed_us;
  gint64 counter_claim_us;   /* the last claim against a competing hub */
  gint64 stale_answer_us;    /* the last record sent to a hub of an older epoch */
  gint64 started_us;
  gint64 next_send_us;
  gint64 last_now_us;
  gboolean started;
  NavElectionRole role;

  guint heartbeat_interval_ms;
  guint lease_timeout_ms;
  guint member_timeout_ms;
  guint battery_threshold;
  guint hysteresis;
  guint freshness_window_ms;
  guint claim_margin;
  gboolean check_bandwidth;
  GHashTable *measured;      /* device id → kbit/s measured (GUINT_TO_POINTER) */
  guint64 capped_claims;
  GHashTable *direct;        /* device ids this device has a direct link to */
  guint64 unconfirmed_claims;

  guint64 refusals[NAV_RECORD_REFUSAL_LAST];
} NavElectionPrivate;

enum {
  PROP_0,
  PROP_IDENTITY,
  PROP_HEARTBEAT_INTERVAL,
  PROP_LEASE_TIMEOUT,
  PROP_MEMBER_TIMEOUT,
  PROP_BATTERY_THRESHOLD,
  PROP_HYSTERESIS,
  PROP_FRESHNESS_WINDOW,
  PROP_CLAIM_MARGIN,
  PROP_CHECK_BANDWIDTH,
  PROP_ROLE,
  PROP_EPOCH,
  N_PROPS
};

enum {
  SIGNAL_SEND,
  SIGNAL_HUB_CHANGED,
  SIGNAL_REFUSED,
  SIGNAL_CLAIM_CAPPED,
  SIGNAL_REACHABILITY_CHANGED,
  SIGNAL_CLAIM_UNCONFIRMED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (NavElection, nav_election, G_TYPE_OBJECT)

#define PRIV(self) ((NavElectionPrivate *) nav_election_get_instance_private (self))

static void
member_free (gpointer data)
{
  Member *m = data;

  g_free (m->device_id);
  g_free (m);
}

static guint
default_score (NavElection               *self,
               const NavCapabilityClaims *claims)
{
  return nav_capability_claims_default_score (claims);
}

/* The member's score from its claims, its bandwidth claim counted only
 * up to what this device measured on its link to it plus claim-margin
 * (with check-bandwidth; unmeasured counts as 0): a claim nobody here
 * can check does not buy the hub.  This device's own claim goes through
 * the same rule, with what it measured on its own links, so that its
 * view of itself stays close to the others' view of it. */
static guint
member_score (NavElection *self,
              Member      *m)
{
  NavElectionPrivate *priv = PRIV (self);
  NavCapabilityClaims claims = m->claims;
  guint64 measured, cap;

  /* Reachability counts only as others verified it, never on the
   * member's word (there is nothing to cap: it is verified or not). */
  claims.reachable = m->verified;
  if (!priv->check_bandwidth)
    return NAV_ELECTION_GET_CLASS (self)->score (self, &claims);
  measured = GPOINTER_TO_UINT (g_hash_table_lookup (priv->measured, m->device_id));
  cap = measured * (100 + priv->claim_margin) / 100;
  if (claims.bandwidth_kbps > cap)
    {
      if (!m->capped || m->counted_kbps != cap)
        {
          priv->capped_claims++;
          g_debug ("election: member %s claims %u kbit/s, measured %" G_GUINT64_FORMAT
                   ": counted as %" G_GUINT64_FORMAT, m->device_id, claims.bandwidth_kbps,
                   measured, cap);
          g_signal_emit (self, signals[SIGNAL_CLAIM_CAPPED], 0, m->device_id,
                         claims.bandwidth_kbps, (guint) cap);
        }
      m->capped = TRUE;
      m->counted_kbps = (guint32) cap;
      claims.bandwidth_kbps = (guint32) cap;
    }
  else
    m->capped = FALSE;
  return NAV_ELECTION_GET_CLASS (self)->score (self, &claims);
}

/* > 0 when a ranks above b: higher score, then lower public key. */
static gint
rank_compare (const Member *a,
              const Member *b)
{
  if (a->score != b->score)
    return a->score > b->score ? 1 : -1;
  return -memcmp (a->key, b->key, NAV_DEVICE_PUBLIC_KEY_SIZE);
}

static gboolean
member_eligible (NavElectionPrivate *priv,
                 const Member       *m)
{
  return !nav_capability_claims_is_degraded (&m->claims, priv->battery_threshold);
}

/* The best eligible member, @except excluded; NULL if none. */
static Member *
best_member (NavElectionPrivate *priv,
             const Member       *except)
{
  GHashTableIter iter;
  gpointer value;
  Member *best = NULL;

  g_hash_table_iter_init (&iter, priv->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Member *m = value;

      if (m == except || !member_eligible (priv, m))
        continue;
      if (best == NULL || rank_compare (m, best) > 0)
        best = m;
    }
  return best;
}

/* This device's own list of members reached directly: those of its
 * direct links (set_direct_link()) that are members of its view, and
 * its own reachable claim: the application's, or any such link (a peer
 * reached it).  TRUE if either changed. */
static gboolean
refresh_own (NavElection *self)
{
  NavElectionPrivate *priv = PRIV (self);
  Member *me = priv->me;
  guint8 reached[sizeof me->reached];
  guint count = 0;
  gboolean reachable, changed;
  GHashTableIter iter;
  gpointer key;

  if (me == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, priv->direct);
  while (g_hash_table_iter_next (&iter, &key, NULL) && count < NAV_CAPABILITY_RECORD_MAX_REACHED)
    {
      Member *m = g_hash_table_lookup (priv->members, key);

      if (m == NULL || m == me)
        continue;
      memcpy (reached + count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE, m->prefix,
              NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE);
      count++;
    }
  reachable = priv->claims.reachable || count > 0;
  changed = count != me->reached_count || reachable != me->claims.reachable ||
            memcmp (reached, me->reached, count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE) != 0;
  me->claims = priv->claims;
  me->claims.reachable = reachable;
  me->reached_count = count;
  memcpy (me->reached, reached, count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE);
  return changed;
}

static gboolean
member_lists (const Member *lister,
              const Member *m)
{
  guint i;

  for (i = 0; i < lister->reached_count; i++)
    if (memcmp (lister->reached + i * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE, m->prefix,
                NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE) == 0)
      return TRUE;
  return FALSE;
}

/* Whose reachability is verified: a member is when another member's
 * last valid record (this device's own list included) lists it; its own
 * list verifies nothing about itself.  Called when a list or the view
 * changes; a member whose verification changes is scored again. */
static void
update_reachability (NavElection *self)
{
  NavElectionPrivate *priv = PRIV (self);
  GHashTableIter iter, other;
  gpointer value, value2;

  if (refresh_own (self) && priv->started)
    priv->next_send_us = MIN (priv->next_send_us, priv->last_now_us);   /* tell at once */

  g_hash_table_iter_init (&iter, priv->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Member *m = value;
      gboolean verified = FALSE;

      g_hash_table_iter_init (&other, priv->members);
      while (!verified && g_hash_table_iter_next (&other, NULL, &value2))
        verified = value2 != m && member_lists (value2, m);
      if (verified == m->verified)
        continue;
      m->verified = verified;
      m->score = member_score (self, m);
      g_debug ("election: member %s %s reachable", m->device_id, verified ? "verified" : "no longer verified");
      g_signal_emit (self, signals[SIGNAL_REACHABILITY_CHANGED], 0, m->device_id, verified);
    }
}

/* A member that claims to be reachable but that no other member lists
 * for a member timeout (every member's record comes at least that
 * often, and a lister that goes is dropped from lists as fast) is
 * counted once per such stretch.  Not a penalty: the claim counted
 * for nothing anyway; and a member that claims nothing is never
 * counted, whether or not anyone could link to it. */
static void
check_unconfirmed (NavElection *self,
                   gint64       now_us)
{
  NavElectionPrivate *priv = PRIV (self);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, priv->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Member *m = value;

      if (!m->claims.reachable || m->verified)
        {
          m->unconfirmed_since_us = 0;
          m->unconfirmed_counted = FALSE;
          continue;
        }
      if (m->unconfirmed_since_us == 0)
        m->unconfirmed_since_us = now_us;
      else if (!m->unconfirmed_counted &&
               now_us - m->unconfirmed_since_us > (gint64) priv->member_timeout_ms * 1000)
        {
          m->unconfirmed_counted = TRUE;
          priv->unconfirmed_claims++;
          g_debug ("election: member %s claims to be reachable; no member confirms it",
                   m->device_id);
          g_signal_emit (self, signals[SIGNAL_CLAIM_UNCONFIRMED], 0, m->device_id, "reachable");
        }
    }
}

static void
emit_record (NavElection   *self,
             NavRecordKind  kind)
{
  NavElectionPrivate *priv = PRIV (self);
  NavCapabilityRecord record = { 0 };
  g_autoptr (GBytes) bytes = NULL;

  record.kind = kind;
  record.sequence = ++priv->sequence;
  record.epoch = priv->epoch;
  record.timestamp_ms = g_get_real_time () / 1000;
  if (priv->me != NULL)
    {
      record.claims = priv->me->claims;
      record.reached_count = priv->me->reached_count;
      memcpy (record.reached, priv->me->reached,
              priv->me->reached_count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE);
    }
  else
    record.claims = priv->claims;
  /* The hub of our epoch as we know it, even with its lease lapsed
   * here: a hub tells by it whether we would follow it again (see
   * nav_election_receive()). */
  if (priv->hub != NULL)
    memcpy (record.hub_key, priv->hub->key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  else if (priv->epoch_hub_known)
    memcpy (record.hub_key, priv->epoch_hub_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  bytes = nav_capability_record_sign (&record, priv->identity);
  g_signal_emit (self, signals[SIGNAL_SEND], 0, bytes);
}

static void
set_hub (NavElection *self,
         Member      *hub,
         guint64      epoch,
         gint64       now_us)
{
  NavElectionPrivate *priv = PRIV (self);
  gboolean changed = hub != priv->hub || epoch != priv->epoch;
  NavElectionRole role;

  if (hub != NULL)
    {
      memcpy (priv->epoch_hub_key, hub->key, NAV_DEVICE_PUBLIC_KEY_SIZE);
      priv->epoch_hub_known = TRUE;
    }
  else if (epoch != priv->epoch)
    priv->epoch_hub_known = FALSE;
  priv->hub = hub;
  priv->epoch = epoch;
  priv->max_epoch = MAX (priv->max_epoch, epoch);
  priv->hub_renewed_us = now_us;
  role = hub == NULL ? NAV_ELECTION_ROLE_ELECTING :
         hub == priv->me ? NAV_ELECTION_ROLE_HUB : NAV_ELECTION_ROLE_SPOKE;
  if (role != priv->role)
    {
      priv->role = role;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
    }
  if (changed)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
      g_signal_emit (self, signals[SIGNAL_HUB_CHANGED], 0,
                     hub != NULL ? hub->device_id : NULL, epoch);
    }
}

/* Whether the current hub keeps its place (hysteresis). */
static gboolean
hub_retained (NavElectionPrivate *priv,
              Member             *top)
{
  Member *hub = priv->hub;

  if (hub == NULL || !member_eligible (priv, hub))
    return FALSE;
  if (top == NULL || top == hub)
    return TRUE;
  return (guint64) top->score * 100 <= (guint64) hub->score * (100 + priv->hysteresis);
}

static void
decide (NavElection *self,
        gint64       now_us)
{
  NavElectionPrivate *priv = PRIV (self);
  Member *top = best_member (priv, NULL);

  if (hub_retained (priv, top))
    return;

  if (priv->hub == priv->me && priv->me != NULL)
    {
      /* Yield: tell the group at once (a capability record from the hub
       * is its resignation) rather than let its lease run out. */
      set_hub (self, NULL, priv->epoch, now_us);
      emit_record (self, NAV_RECORD_KIND_CAPABILITY);
    }
  else if (priv->hub != NULL)
    set_hub (self, NULL, priv->epoch, now_us);

  /* Wait for the others' records before the first claim. */
  if (top == priv->me && top != NULL &&
      now_us - priv->started_us >= (gint64) priv->lease_timeout_ms * 1000)
    {
      set_hub (self, priv->me, priv->max_epoch + 1, now_us);
      emit_record (self, NAV_RECORD_KIND_HUB);
      priv->next_send_us = now_us + (gint64) priv->heartbeat_interval_ms * 1000;
    }
}

static void
refuse (NavElection      *self,
        NavRecordRefusal  reason,
        NavRecordRefusal *refusal)
{
  NavElectionPrivate *priv = PRIV (self);

  priv->refusals[reason]++;
  if (refusal != NULL)
    *refusal = reason;
  g_debug ("election: record refused (%s)", nav_record_refusal_to_string (reason));
  g_signal_emit (self, signals[SIGNAL_REFUSED], 0, (gint) reason);
}

/* The last sequence number of a member that is removed is kept, so
 * that a copy of one of its old records arriving late (another path, a
 * slow relay) is refused as a replay instead of bringing the member
 * back: a dead hub brought back would be the best candidate again, and
 * the group would wait for the member timeout to elect. */
static void
bury_member (NavElectionPrivate *priv,
             const Member       *m)
{
  guint64 *sequence;

  if (g_hash_table_size (priv->gone) >= GONE_MAX)
    g_hash_table_remove_all (priv->gone);
  sequence = g_new (guint64, 1);
  *sequence = m->last_sequence;
  g_hash_table_insert (priv->gone, g_strdup (m->device_id), sequence);
}

static void
remove_member (NavElection *self,
               Member      *m,
               gint64       now_us)
{
  NavElectionPrivate *priv = PRIV (self);

  g_debug ("election: member %s removed", m->device_id);
  bury_member (priv, m);
  if (priv->hub == m)
    set_hub (self, NULL, priv->epoch, now_us);
  g_hash_table_remove (priv->members, m->device_id);
  update_reachability (self);
}

/**
 * nav_election_receive:
 * @self: an election
 * @sender: (nullable): the transport's name of the peer the bytes came
 *   from (a signaling peer id, a data channel's peer); once a sender has
 *   sent a valid record, it is bound to that record's key
 * @bytes: a record as received
 * @now_us: the monotonic time, microseconds
 * @refusal: (out) (optional): why the record was refused
 *
 * Handles a record from the network.  Refused records are counted by
 * reason and otherwise ignored.
 *
 * Returns: %TRUE if the record was accepted
 *
 * Since: 1.0
 */
gboolean
nav_election_receive (NavElection      *self,
                      const gchar      *sender,
                      GBytes           *bytes,
                      gint64            now_us,
                      NavRecordRefusal *refusal)
{
  NavElectionPrivate *priv;
  g_autoptr (NavCapabilityRecord) record = NULL;
  g_autoptr (GBytes) key = NULL;
  g_autofree gchar *device_id = NULL;
  NavRecordRefusal reason = NAV_RECORD_REFUSAL_MALFORMED;
  const gchar *bound;
  const guint64 *gone;
  Member *m, *top;
  gboolean new_member = FALSE;
  gint64 now_ms;

  g_return_val_if_fail (NAV_IS_ELECTION (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  priv = PRIV (self);
  priv->last_now_us = now_us;

  record = nav_capability_record_parse (bytes, &reason, NULL);
  if (record == NULL)
    {
      refuse (self, reason, refusal);
      return FALSE;
    }

  key = g_bytes_new (record->public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  device_id = nav_device_id_from_public_key (key);

  bound = sender != NULL ? g_hash_table_lookup (priv->senders, sender) : NULL;
  if (bound != NULL && strcmp (bound, device_id) != 0)
    {
      refuse (self, NAV_RECORD_REFUSAL_WRONG_KEY, refusal);
      return FALSE;
    }

  now_ms = g_get_real_time () / 1000;
  if (record->timestamp_ms > now_ms + priv->freshness_window_ms ||
      record->timestamp_ms < now_ms - priv->freshness_window_ms)
    {
      refuse (self, NAV_RECORD_REFUSAL_STALE, refusal);
      return FALSE;
    }

  m = g_hash_table_lookup (priv->members, device_id);
  gone = m == NULL ? g_hash_table_lookup (priv->gone, device_id) : NULL;
  if ((m != NULL && (m->self || record->sequence <= m->last_sequence)) ||
      (gone != NULL && record->sequence <= *gone))
    {
      refuse (self, NAV_RECORD_REFUSAL_REPLAY, refusal);
      return FALSE;
    }
  if (gone != NULL)
    g_hash_table_remove (priv->gone, device_id);

  if (sender != NULL && bound == NULL)
    g_hash_table_insert (priv->senders, g_strdup (sender), g_strdup (device_id));

  /* Any valid record tells the epoch its signer is in: a claim of ours
   * goes above it (bounded, so that one record cannot push the epochs to
   * their end). */
  if (record->epoch > priv->max_epoch && record->epoch - priv->max_epoch <= 1024)
    priv->max_epoch = record->epoch;

  if (record->kind == NAV_RECORD_KIND_LEAVE)
    {
      if (m != NULL)
        {
          remove_member (self, m, now_us);
          decide (self, now_us);
        }
      return TRUE;
    }

  if (m == NULL)
    {
      m = g_new0 (Member, 1);
      memcpy (m->key, record->public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
      m->device_id = g_strdup (device_id);
      nav_device_id_prefix (m->device_id, m->prefix);
      g_hash_table_insert (priv->members, m->device_id, m);
      new_member = TRUE;
      g_debug ("election: member %s added (kind %d, seq %" G_GUINT64_FORMAT ", epoch %" G_GUINT64_FORMAT ", from %s)",
               device_id, record->kind, record->sequence, record->epoch, sender != NULL ? sender : "-");
    }
  m->claims = record->claims;
  if (new_member || record->reached_count != m->reached_count ||
      memcmp (record->reached, m->reached,
              record->reached_count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE) != 0)
    {
      m->reached_count = record->reached_count;
      memcpy (m->reached, record->reached,
              record->reached_count * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE);
      update_reachability (self);
    }
  m->score = member_score (self, m);
  m->last_sequence = record->sequence;
  m->last_seen_us = now_us;

  /* A member we did not know: answer with our record at once, so that a
   * newcomer knows the whole group well before its first claim (members
   * other than the hub send theirs only every few heartbeats). */
  if (new_member && priv->started)
    emit_record (self, priv->role == NAV_ELECTION_ROLE_HUB ?
                 NAV_RECORD_KIND_HUB : NAV_RECORD_KIND_CAPABILITY);

  if (record->kind == NAV_RECORD_KIND_CAPABILITY)
    {
      /* The hub's capability record for its own epoch is its resignation. */
      if (m == priv->hub && record->epoch >= priv->epoch)
        set_hub (self, NULL, priv->epoch, now_us);
      /* A member of a later epoch than ours, while we are its hub (a
       * healed partition whose other side elected, then lost its hub, or
       * is still electing): it refuses our heartbeats as stale and waits
       * for the best member to claim an epoch above its own, so claim one
       * (at most once a heartbeat interval, as below), or the two sides
       * never meet again. */
      else if (priv->hub == priv->me && priv->me != NULL && record->epoch > priv->epoch &&
               record->epoch - priv->epoch < 1024 && rank_compare (priv->me, m) > 0 &&
               (priv->counter_claim_us == 0 ||
                now_us - priv->counter_claim_us >= (gint64) priv->heartbeat_interval_ms * 1000))
        {
          priv->counter_claim_us = now_us;
          g_debug ("election: member %s is in epoch %" G_GUINT64_FORMAT " above ours: claiming a new one",
                   m->device_id, record->epoch);
          set_hub (self, priv->me, MAX (record->epoch, priv->max_epoch) + 1, now_us);
          emit_record (self, NAV_RECORD_KIND_HUB);
          return TRUE;
        }
      /* A member of our own epoch whose hub of that epoch is not us
       * (its record names another, or none): two members claimed this
       * epoch at once across a healing partition and it took the other's
       * claim first, so it refuses ours as a second hub of its epoch, for
       * good, while we see nothing above our epoch to answer.  Claim the
       * next one (once a heartbeat interval at most), which it can take.
       * A member whose lease of us lapsed names us: it takes us back in
       * this epoch by itself. */
      else if (priv->hub == priv->me && priv->me != NULL && record->epoch == priv->epoch &&
               memcmp (record->hub_key, priv->me->key, NAV_DEVICE_PUBLIC_KEY_SIZE) != 0 &&
               rank_compare (priv->me, m) > 0 &&
               (priv->counter_claim_us == 0 ||
                now_us - priv->counter_claim_us >= (gint64) priv->heartbeat_interval_ms * 1000))
        {
          priv->counter_claim_us = now_us;
          g_debug ("election: member %s is in our epoch %" G_GUINT64_FORMAT " without following us: "
                   "claiming a new one", m->device_id, record->epoch);
          set_hub (self, priv->me, priv->max_epoch + 1, now_us);
          emit_record (self, NAV_RECORD_KIND_HUB);
          return TRUE;
        }
      decide (self, now_us);
      return TRUE;
    }

  /* A hub claim: its hub key must be its own key. */
  top = best_member (priv, NULL);
  if (memcmp (record->hub_key, record->public_key, NAV_DEVICE_PUBLIC_KEY_SIZE) != 0 ||
      !member_eligible (priv, m))
    {
      refuse (self, NAV_RECORD_REFUSAL_FORGED_HUB, refusal);
      return FALSE;
    }

  if (record->epoch == priv->epoch && m == priv->hub)
    {
      priv->hub_renewed_us = now_us;
      decide (self, now_us);
      return TRUE;
    }

  /* The hub of our epoch, whose lease ran out here (its heartbeats late,
   * not lost: a loaded machine, a slow path) but which is still hub: it
   * takes its epoch back if it would win an election, as a claim of a
   * new epoch would.  Refusing it would leave this member electing for
   * as long as that hub lives, since a hub renews its epoch and does not
   * claim a new one while no one competes.  One epoch still has one
   * hub: no other member is accepted for this epoch. */
  if (record->epoch == priv->epoch && priv->hub == NULL && priv->epoch_hub_known &&
      memcmp (priv->epoch_hub_key, m->key, NAV_DEVICE_PUBLIC_KEY_SIZE) == 0 &&
      (m == top || top == NULL ||
       (guint64) top->score * 100 <= (guint64) m->score * (100 + priv->hysteresis)))
    {
      g_debug ("election: hub %s of epoch %" G_GUINT64_FORMAT " back", m->device_id, priv->epoch);
      set_hub (self, m, record->epoch, now_us);
      return TRUE;
    }

  /* A new epoch is accepted from a member that would keep the hub by the
   * hysteresis rule if it held it: the best, or one within the margin of
   * the best (a member that joins a group whose hub is not the best by a
   * small margin follows that hub, as the others do). */
  if (record->epoch > priv->epoch &&
      (m == top || top == NULL ||
       (guint64) top->score * 100 <= (guint64) m->score * (100 + priv->hysteresis)))
    {
      set_hub (self, m, record->epoch, now_us);
      return TRUE;
    }

  reason = record->epoch < priv->epoch ? NAV_RECORD_REFUSAL_STALE_EPOCH :
           NAV_RECORD_REFUSAL_FORGED_HUB;

  /* A competing hub this one outranks (a healed partition, or a claim
   * made before our records arrived): claim a higher epoch, so that the
   * group converges on the better of the two. */
  /* At most once a heartbeat interval: a member that never yields (one
   * whose claims only it believes, such as a bandwidth no one here
   * measured) would otherwise raise the epoch as fast as records
   * travel; a competing honest hub yields to the first one. */
  if (priv->hub == priv->me && priv->me != NULL && record->epoch >= priv->epoch &&
      record->epoch - priv->epoch < 1024 && rank_compare (priv->me, m) > 0)
    {
      if (priv->counter_claim_us == 0 ||
          now_us - priv->counter_claim_us >= (gint64) priv->heartbeat_interval_ms * 1000)
        {
          priv->counter_claim_us = now_us;
          set_hub (self, priv->me, MAX (record->epoch, priv->max_epoch) + 1, now_us);
          emit_record (self, NAV_RECORD_KIND_HUB);
        }
    }
  else if (priv->hub == priv->me && priv->me != NULL && record->epoch == priv->epoch &&
           m == top)
    {
      /* The same epoch, claimed by a better member: yield; it claims a
       * higher epoch when it sees our claim. */
      set_hub (self, NULL, priv->epoch, now_us);
      emit_record (self, NAV_RECORD_KIND_CAPABILITY);
    }
  else if (reason == NAV_RECORD_REFUSAL_STALE_EPOCH && priv->hub == NULL && m == top &&
           priv->me != NULL &&
           (priv->stale_answer_us == 0 ||
            now_us - priv->stale_answer_us >= (gint64) priv->heartbeat_interval_ms * 1000))
    {
      /* The best member still renews an older epoch (it did not hear that
       * this side elected past it: a partition's heal): we wait for it to
       * claim above our epoch, so tell it our epoch now, at most once a
       * heartbeat interval, rather than at our next periodic record. */
      priv->stale_answer_us = now_us;
      emit_record (self, NAV_RECORD_KIND_CAPABILITY);
    }

  refuse (self, reason, refusal);
  return FALSE;
}

/**
 * nav_election_tick:
 * @self: an election
 * @now_us: the monotonic time, microseconds
 *
 * Sends the periodic record, expires members and the hub's lease, and
 * elects when needed.
 *
 * Returns: the time the next call is due, microseconds
 *
 * Since: 1.0
 */
gint64
nav_election_tick (NavElection *self,
                   gint64       now_us)
{
  NavElectionPrivate *priv;
  GHashTableIter iter;
  gpointer value;
  gint64 interval;
  gboolean expired = FALSE;

  g_return_val_if_fail (NAV_IS_ELECTION (self), now_us);
  priv = PRIV (self);
  priv->last_now_us = now_us;
  interval = (gint64) priv->heartbeat_interval_ms * 1000;
  if (!priv->started)
    return now_us + interval;

  g_hash_table_iter_init (&iter, priv->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Member *m = value;

      if (m->self || now_us - m->last_seen_us <= (gint64) priv->member_timeout_ms * 1000)
        continue;
      g_debug ("election: member %s timed out", m->device_id);
      bury_member (priv, m);
      if (priv->hub == m)
        set_hub (self, NULL, priv->epoch, now_us);
      g_hash_table_iter_remove (&iter);
      expired = TRUE;
    }
  if (expired)
    update_reachability (self);

  /* A hub whose lease ran out is forgotten as a member too (its next
   * record, if it is alive, brings it back), so that it is not the best
   * candidate of the election that replaces it. */
  if (priv->hub != NULL && priv->hub != priv->me &&
      now_us - priv->hub_renewed_us > (gint64) priv->lease_timeout_ms * 1000)
    remove_member (self, priv->hub, now_us);

  check_unconfirmed (self, now_us);
  decide (self, now_us);

  if (now_us >= priv->next_send_us)
    {
      /* The hub renews its lease every interval; the others only prove
       * they are alive, every MEMBER_RECORD_INTERVALS intervals: the
       * group's traffic grows with its size, not with its square. */
      if (priv->role == NAV_ELECTION_ROLE_HUB)
        {
          emit_record (self, NAV_RECORD_KIND_HUB);
          priv->next_send_us = now_us + interval;
        }
      else
        {
          emit_record (self, NAV_RECORD_KIND_CAPABILITY);
          priv->next_send_us = now_us + interval * MEMBER_RECORD_INTERVALS;
        }
    }
  return MIN (priv->next_send_us, now_us + interval);
}

/**
 * nav_election_set_claims:
 * @self: an election
 * @claims: this device's capabilities
 *
 * Sets what this device claims (from the election module's
 * `NavDeviceCapability`, its probe of this machine, or from the
 * application).  The change is broadcast with the next record, and may
 * make this device yield (a battery under the threshold) or claim the hub.
 *
 * Since: 1.0
 */
void
nav_election_set_claims (NavElection               *self,
                         const NavCapabilityClaims *claims)
{
  NavElectionPrivate *priv;

  g_return_if_fail (NAV_IS_ELECTION (self));
  g_return_if_fail (claims != NULL);
  priv = PRIV (self);

  priv->claims = *claims;
  if (priv->me != NULL)
    {
      refresh_own (self);
      priv->me->score = member_score (self, priv->me);
      /* The caller's clock, as last seen (tests run on a virtual one). */
      decide (self, priv->last_now_us);
    }
}

/**
 * nav_election_start:
 * @self: an election
 * @now_us: the monotonic time, microseconds
 *
 * Joins: this device becomes a member of its own view, broadcasts its
 * first record, and claims the hub after one lease time if no better
 * member appeared.
 *
 * Since: 1.0
 */
void
nav_election_start (NavElection *self,
                    gint64       now_us)
{
  NavElectionPrivate *priv;
  Member *m;

  g_return_if_fail (NAV_IS_ELECTION (self));
  priv = PRIV (self);
  if (priv->started)
    return;

  m = g_new0 (Member, 1);
  memcpy (m->key, priv->key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  m->device_id = g_strdup (nav_device_identity_get_device_id (priv->identity));
  nav_device_id_prefix (m->device_id, m->prefix);
  m->claims = priv->claims;
  m->self = TRUE;
  m->score = member_score (self, m);
  g_hash_table_insert (priv->members, m->device_id, m);
  priv->me = m;
  refresh_own (self);
  priv->started = TRUE;
  priv->started_us = now_us;
  priv->last_now_us = now_us;
  priv->next_send_us = now_us;
  nav_election_tick (self, now_us);
}

/**
 * nav_election_leave:
 * @self: an election
 * @now_us: the monotonic time, microseconds
 *
 * Broadcasts a leave record (the group elects at once if this device was
 * the hub) and stops.
 *
 * Since: 1.0
 */
void
nav_election_leave (NavElection *self,
                    gint64       now_us)
{
  NavElectionPrivate *priv;

  g_return_if_fail (NAV_IS_ELECTION (self));
  priv = PRIV (self);
  if (!priv->started)
    return;
  emit_record (self, NAV_RECORD_KIND_LEAVE);
  set_hub (self, NULL, priv->epoch, now_us);
  priv->started = FALSE;
  priv->me = NULL;
  g_hash_table_remove_all (priv->members);
}

/**
 * nav_election_get_role:
 * @self: an election
 *
 * Returns: this device's role
 *
 * Since: 1.0
 */
NavElectionRole
nav_election_get_role (NavElection *self)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), NAV_ELECTION_ROLE_ELECTING);
  return PRIV (self)->role;
}

/**
 * nav_election_get_epoch:
 * @self: an election
 *
 * Returns: the current epoch (0 before the first election)
 *
 * Since: 1.0
 */
guint64
nav_election_get_epoch (NavElection *self)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  return PRIV (self)->epoch;
}

/**
 * nav_election_dup_hub_id:
 * @self: an election
 *
 * Returns: (transfer full) (nullable): the device id of the hub, %NULL
 *   while electing
 *
 * Since: 1.0
 */
gchar *
nav_election_dup_hub_id (NavElection *self)
{
  NavElectionPrivate *priv;

  g_return_val_if_fail (NAV_IS_ELECTION (self), NULL);
  priv = PRIV (self);
  return priv->hub != NULL ? g_strdup (priv->hub->device_id) : NULL;
}

/**
 * nav_election_dup_runner_up_id:
 * @self: an election
 *
 * The member that would be hub if the hub left: the one a star spoke
 * keeps a warm standby connection to.
 *
 * Returns: (transfer full) (nullable): its device id, %NULL if none
 *
 * Since: 1.0
 */
gchar *
nav_election_dup_runner_up_id (NavElection *self)
{
  NavElectionPrivate *priv;
  Member *m;

  g_return_val_if_fail (NAV_IS_ELECTION (self), NULL);
  priv = PRIV (self);
  m = best_member (priv, priv->hub);
  return m != NULL ? g_strdup (m->device_id) : NULL;
}

static gint
rank_compare_desc (gconstpointer a,
                   gconstpointer b)
{
  return rank_compare (*(Member * const *) b, *(Member * const *) a);
}

/**
 * nav_election_dup_members:
 * @self: an election
 *
 * The members in this device's view, itself included, best first (the
 * order of the election: score, then public key; degraded members
 * after the others).  [class@Nav.Group] picks the links of its hybrid
 * topology from the head of this list.
 *
 * Returns: (transfer full) (array zero-terminated=1): their device ids
 *
 * Since: 1.0
 */
gchar **
nav_election_dup_members (NavElection *self)
{
  NavElectionPrivate *priv;
  g_autoptr (GPtrArray) eligible = g_ptr_array_new ();
  g_autoptr (GPtrArray) degraded = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  GStrvBuilder *builder;
  gchar **out;
  guint i;

  g_return_val_if_fail (NAV_IS_ELECTION (self), NULL);
  priv = PRIV (self);
  g_hash_table_iter_init (&iter, priv->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (member_eligible (priv, value) ? eligible : degraded, value);
  g_ptr_array_sort (eligible, rank_compare_desc);
  g_ptr_array_sort (degraded, rank_compare_desc);
  builder = g_strv_builder_new ();
  for (i = 0; i < eligible->len; i++)
    g_strv_builder_add (builder, ((Member *) g_ptr_array_index (eligible, i))->device_id);
  for (i = 0; i < degraded->len; i++)
    g_strv_builder_add (builder, ((Member *) g_ptr_array_index (degraded, i))->device_id);
  out = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return out;
}

/**
 * nav_election_get_member_count:
 * @self: an election
 *
 * Returns: the members in this device's view, itself included
 *
 * Since: 1.0
 */
guint
nav_election_get_member_count (NavElection *self)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  return g_hash_table_size (PRIV (self)->members);
}

/**
 * nav_election_get_member_score:
 * @self: an election
 * @device_id: a member's device id
 *
 * Returns: the member's score, 0 if it is not a member
 *
 * Since: 1.0
 */
guint
nav_election_get_member_score (NavElection *self,
                               const gchar *device_id)
{
  Member *m;

  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  g_return_val_if_fail (device_id != NULL, 0);
  m = g_hash_table_lookup (PRIV (self)->members, device_id);
  return m != NULL ? m->score : 0;
}

/* The public key of a member of this view (verified by its records),
 * into @key (NAV_DEVICE_PUBLIC_KEY_SIZE bytes); FALSE if unknown. */
gboolean
nav_election_lookup_member_key (NavElection *self,
                                const gchar *device_id,
                                guint8      *key)
{
  Member *m = g_hash_table_lookup (PRIV (self)->members, device_id);

  if (m == NULL)
    return FALSE;
  memcpy (key, m->key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  return TRUE;
}

/**
 * nav_election_set_measured_bandwidth:
 * @self: an election
 * @device_id: a member's device id (this device's own for its own claim)
 * @kbps: the bandwidth this device measured on its link to that member,
 *   kbit/s
 *
 * With [property@Nav.Election:check-bandwidth], that member's bandwidth
 * claim counts in its score up to @kbps plus
 * [property@Nav.Election:claim-margin].  The measurement is kept while
 * the member comes and goes.
 *
 * Since: 1.0
 */
void
nav_election_set_measured_bandwidth (NavElection *self,
                                     const gchar *device_id,
                                     guint32      kbps)
{
  NavElectionPrivate *priv;
  Member *m;

  g_return_if_fail (NAV_IS_ELECTION (self));
  g_return_if_fail (device_id != NULL);
  priv = PRIV (self);

  if (GPOINTER_TO_UINT (g_hash_table_lookup (priv->measured, device_id)) == kbps &&
      g_hash_table_contains (priv->measured, device_id))
    return;
  if (g_hash_table_size (priv->measured) >= GONE_MAX &&
      !g_hash_table_contains (priv->measured, device_id))
    g_hash_table_remove_all (priv->measured);
  g_hash_table_replace (priv->measured, g_strdup (device_id), GUINT_TO_POINTER (kbps));
  m = g_hash_table_lookup (priv->members, device_id);
  if (m != NULL)
    m->score = member_score (self, m);
}

/**
 * nav_election_get_capped_claims:
 * @self: an election
 *
 * Returns: how many times a member's bandwidth claim was capped: started
 *   counting for less than claimed, or its cap moved with a new
 *   measurement ([signal@Nav.Election::claim-capped])
 *
 * Since: 1.0
 */
guint64
nav_election_get_capped_claims (NavElection *self)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  return PRIV (self)->capped_claims;
}

/**
 * nav_election_set_direct_link:
 * @self: an election
 * @device_id: a member's device id
 * @direct: whether this device has a working direct link to that member:
 *   one whose ICE selected pair has no relayed end (host, server- or
 *   peer-reflexive at both ends: the two reached each other without a
 *   TURN server)
 *
 * This device's records list the members it has a direct link to (those
 * of its view, at most %NAV_CAPABILITY_RECORD_MAX_REACHED), which is how
 * the others verify that those members are reachable, and claim that
 * this device is reachable while it has one.  [class@Nav.Group] calls it
 * for its links; an application with links of its own can too.  A change
 * goes out with the next tick's record.
 *
 * Since: 1.0
 */
void
nav_election_set_direct_link (NavElection *self,
                              const gchar *device_id,
                              gboolean     direct)
{
  NavElectionPrivate *priv;

  g_return_if_fail (NAV_IS_ELECTION (self));
  g_return_if_fail (device_id != NULL);
  priv = PRIV (self);

  if (direct == g_hash_table_contains (priv->direct, device_id))
    return;
  if (direct && g_hash_table_size (priv->direct) >= GONE_MAX)
    g_hash_table_remove_all (priv->direct);   /* not links: a caller's bug */
  if (direct)
    g_hash_table_add (priv->direct, g_strdup (device_id));
  else
    g_hash_table_remove (priv->direct, device_id);
  update_reachability (self);
}

/**
 * nav_election_is_member_reachable:
 * @self: an election
 * @device_id: a member's device id (this device's own included)
 *
 * Whether the member is reachable, verified by a peer: another member's
 * valid record (signed by that member's key, or this device's own list
 * of direct links) lists it as reached over a direct link.  The
 * member's own claim counts for nothing here.  This is what the @score
 * vfunc of [class@Nav.Election] sees as the claims' `reachable`; the
 * default score does not use it.  A change is signalled by
 * [signal@Nav.Election::reachability-changed].
 *
 * Returns: %TRUE if verified reachable; %FALSE if not, or not a member
 *
 * Since: 1.0
 */
gboolean
nav_election_is_member_reachable (NavElection *self,
                                  const gchar *device_id)
{
  Member *m;

  g_return_val_if_fail (NAV_IS_ELECTION (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);
  m = g_hash_table_lookup (PRIV (self)->members, device_id);
  return m != NULL && m->verified;
}

/**
 * nav_election_get_unconfirmed_claims:
 * @self: an election
 *
 * Counts the reachable claims no member confirmed: see
 * [signal@Nav.Election::claim-unconfirmed].
 *
 * Returns: how many times a member claimed to be reachable while no
 *   other member's record confirmed it for a whole
 *   [property@Nav.Election:member-timeout] (each such stretch once;
 *   [signal@Nav.Election::claim-unconfirmed])
 *
 * Since: 1.0
 */
guint64
nav_election_get_unconfirmed_claims (NavElection *self)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  return PRIV (self)->unconfirmed_claims;
}

/**
 * nav_election_get_refusals:
 * @self: an election
 * @reason: a refusal reason
 *
 * Returns: how many records were refused for @reason
 *
 * Since: 1.0
 */
guint64
nav_election_get_refusals (NavElection      *self,
                           NavRecordRefusal  reason)
{
  g_return_val_if_fail (NAV_IS_ELECTION (self), 0);
  g_return_val_if_fail ((guint) reason < NAV_RECORD_REFUSAL_LAST, 0);
  return PRIV (self)->refusals[reason];
}

/**
 * nav_election_new:
 * @identity: this device's identity
 *
 * Returns: (transfer full): a new election, not started
 *
 * Since: 1.0
 */
NavElection *
nav_election_new (NavDeviceIdentity *identity)
{
  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (identity), NULL);
  return g_object_new (NAV_TYPE_ELECTION, "identity", identity, NULL);
}

static guint *
uint_field (NavElectionPrivate *priv,
            guint               prop_id)
{
  switch (prop_id)
    {
    case PROP_HEARTBEAT_INTERVAL: return &priv->heartbeat_interval_ms;
    case PROP_LEASE_TIMEOUT: return &priv->lease_timeout_ms;
    case PROP_MEMBER_TIMEOUT: return &priv->member_timeout_ms;
    case PROP_BATTERY_THRESHOLD: return &priv->battery_threshold;
    case PROP_HYSTERESIS: return &priv->hysteresis;
    case PROP_FRESHNESS_WINDOW: return &priv->freshness_window_ms;
    case PROP_CLAIM_MARGIN: return &priv->claim_margin;
    default: return NULL;
    }
}

static void
rescore_all (NavElection *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, PRIV (self)->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Member *) value)->score = member_score (self, value);
}

static void
nav_election_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  NavElectionPrivate *priv = PRIV (NAV_ELECTION (object));
  guint *field = uint_field (priv, prop_id);

  if (field != NULL)
    {
      *field = g_value_get_uint (value);
      if (prop_id == PROP_CLAIM_MARGIN)
        rescore_all (NAV_ELECTION (object));
      return;
    }
  switch (prop_id)
    {
    case PROP_IDENTITY:
      {
        g_autoptr (GBytes) key = NULL;

        priv->identity = g_value_dup_object (value);
        key = nav_device_identity_get_public_key (priv->identity);
        memcpy (priv->key, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
      }
      break;
    case PROP_CHECK_BANDWIDTH:
      priv->check_bandwidth = g_value_get_boolean (value);
      rescore_all (NAV_ELECTION (object));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_election_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  NavElectionPrivate *priv = PRIV (NAV_ELECTION (object));
  guint *field = uint_field (priv, prop_id);

  if (field != NULL)
    {
      g_value_set_uint (value, *field);
      return;
    }
  switch (prop_id)
    {
    case PROP_IDENTITY:
      g_value_set_object (value, priv->identity);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, priv->role);
      break;
    case PROP_EPOCH:
      g_value_set_uint64 (value, priv->epoch);
      break;
    case PROP_CHECK_BANDWIDTH:
      g_value_set_boolean (value, priv->check_bandwidth);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_election_finalize (GObject *object)
{
  NavElectionPrivate *priv = PRIV (NAV_ELECTION (object));

  g_hash_table_unref (priv->members);
  g_hash_table_unref (priv->senders);
  g_hash_table_unref (priv->gone);
  g_hash_table_unref (priv->measured);
  g_hash_table_unref (priv->direct);
  g_clear_object (&priv->identity);
  G_OBJECT_CLASS (nav_election_parent_class)->finalize (object);
}

static void
nav_election_class_init (NavElectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->set_property = nav_election_set_property;
  object_class->get_property = nav_election_get_property;
  object_class->finalize = nav_election_finalize;
  klass->score = default_score;

  /**
   * NavElection:identity:
   *
   * This device's identity: its records are signed with it.
   *
   * Since: 1.0
   */
  properties[PROP_IDENTITY] =
    g_param_spec_object ("identity", NULL, NULL, NAV_TYPE_DEVICE_IDENTITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NavElection:heartbeat-interval:
   *
   * Milliseconds between two records of the hub (they renew its lease);
   * the other members send theirs every four intervals.  The default, 50 ms, with the 200 ms lease, elects a new hub
   * within 500 ms of the old one's loss on a LAN.
   *
   * Since: 1.0
   */
  properties[PROP_HEARTBEAT_INTERVAL] =
    g_param_spec_uint ("heartbeat-interval", NULL, NULL, 5, 60000, 50, rw);

  /**
   * NavElection:lease-timeout:
   *
   * Milliseconds without a hub record after which the hub is lost; also
   * how long a member listens before its first claim.
   *
   * Since: 1.0
   */
  properties[PROP_LEASE_TIMEOUT] =
    g_param_spec_uint ("lease-timeout", NULL, NULL, 10, 600000, 200, rw);

  /**
   * NavElection:member-timeout:
   *
   * Milliseconds without a record after which a member is forgotten.
   *
   * Since: 1.0
   */
  properties[PROP_MEMBER_TIMEOUT] =
    g_param_spec_uint ("member-timeout", NULL, NULL, 10, 3600000, 1000, rw);

  /**
   * NavElection:battery-threshold:
   *
   * The battery level, in percent, under which a member that does not
   * charge may not be hub (and a hub yields).
   *
   * Since: 1.0
   */
  properties[PROP_BATTERY_THRESHOLD] =
    g_param_spec_uint ("battery-threshold", NULL, NULL, 0, 100, 20, rw);

  /**
   * NavElection:hysteresis:
   *
   * How much better, in percent of the hub's score, a member must score
   * for the hub to hand over while it is alive and not degraded.
   *
   * Since: 1.0
   */
  properties[PROP_HYSTERESIS] =
    g_param_spec_uint ("hysteresis", NULL, NULL, 0, 1000, 10, rw);

  /**
   * NavElection:freshness-window:
   *
   * Milliseconds a record's timestamp may differ from this device's clock.
   *
   * Since: 1.0
   */
  properties[PROP_FRESHNESS_WINDOW] =
    g_param_spec_uint ("freshness-window", NULL, NULL, 1, G_MAXUINT, 30000, rw);

  /**
   * NavElection:claim-margin:
   *
   * With [property@Nav.Election:check-bandwidth], how much more than
   * this device measured on its link to a member that member's
   * bandwidth claim may count for, in percent of the measurement
   * (default 50: up to 1.5 times the measurement).
   *
   * Since: 1.0
   */
  properties[PROP_CLAIM_MARGIN] =
    g_param_spec_uint ("claim-margin", NULL, NULL, 0, 100000, 50, rw);

  /**
   * NavElection:check-bandwidth:
   *
   * Whether a member's claimed bandwidth counts in its score only up to
   * what this device measured on its link to it
   * ([method@Nav.Election.set_measured_bandwidth]) plus
   * [property@Nav.Election:claim-margin]; a member not measured counts
   * for no bandwidth.  [class@Nav.Group] turns it on and measures its
   * links; a bare election counts claims as they are.
   *
   * Since: 1.0
   */
  properties[PROP_CHECK_BANDWIDTH] =
    g_param_spec_boolean ("check-bandwidth", NULL, NULL, FALSE, rw);

  /**
   * NavElection:role:
   *
   * This device's role.
   *
   * Since: 1.0
   */
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, NAV_TYPE_ELECTION_ROLE,
                       NAV_ELECTION_ROLE_ELECTING, ro);

  /**
   * NavElection:epoch:
   *
   * The current epoch: it increases with every new hub.
   *
   * Since: 1.0
   */
  properties[PROP_EPOCH] =
    g_param_spec_uint64 ("epoch", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NavElection::send:
   * @self: the election
   * @record: the signed record
   *
   * Emitted with a record to broadcast to every member.
   *
   * Since: 1.0
   */
  signals[SIGNAL_SEND] =
    g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * NavElection::hub-changed:
   * @self: the election
   * @hub_id: (nullable): the new hub's device id, %NULL while electing
   * @epoch: the epoch
   *
   * Emitted when the hub or the epoch changes.
   *
   * Since: 1.0
   */
  signals[SIGNAL_HUB_CHANGED] =
    g_signal_new ("hub-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);

  /**
   * NavElection::refused:
   * @self: the election
   * @reason: a #NavRecordRefusal
   *
   * Emitted when a record is refused (after it is counted).
   *
   * Since: 1.0
   */
  signals[SIGNAL_REFUSED] =
    g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_RECORD_REFUSAL);

  /**
   * NavElection::claim-capped:
   * @self: the election
   * @device_id: the member
   * @claimed_kbps: the bandwidth it claims, kbit/s
   * @counted_kbps: what its score counts: the measurement plus the margin
   *
   * Emitted (after it is counted, [method@Nav.Election.get_capped_claims])
   * when a member's bandwidth claim starts counting for less than
   * claimed (with [property@Nav.Election:check-bandwidth]), and when
   * what it counts for changes (a new measurement).
   *
   * Since: 1.0
   */
  signals[SIGNAL_CLAIM_CAPPED] =
    g_signal_new ("claim-capped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);

  /**
   * NavElection::reachability-changed:
   * @self: the election
   * @device_id: the member
   * @reachable: whether it is now reachable, verified by a peer
   *
   * Emitted when another member's record starts (or stops) listing a
   * member as reached directly: see
   * [method@Nav.Election.is_member_reachable].
   *
   * Since: 1.0
   */
  signals[SIGNAL_REACHABILITY_CHANGED] =
    g_signal_new ("reachability-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  /**
   * NavElection::claim-unconfirmed:
   * @self: the election
   * @device_id: the member
   * @claim: the claim no one confirms: `reachable`
   *
   * Emitted (after it is counted,
   * [method@Nav.Election.get_unconfirmed_claims]) when a member has
   * claimed to be reachable for a whole
   * [property@Nav.Election:member-timeout] while no other member's
   * record listed it as reached directly.  The claim counts for nothing
   * in the score either way; a member that claims nothing is never
   * counted, whether or not anyone could link to it.
   *
   * Since: 1.0
   */
  signals[SIGNAL_CLAIM_UNCONFIRMED] =
    g_signal_new ("claim-unconfirmed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
nav_election_init (NavElection *self)
{
  NavElectionPrivate *priv = PRIV (self);

  priv->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, member_free);
  priv->senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->measured = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  priv->direct = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Sequence numbers survive restarts: they start from the wall clock. */
  priv->sequence = (guint64) g_get_real_time ();
}
