/* nav-group.c: a group of peers with an elected hub, over a signaling room
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "inspect/nav-inspect-private.h"
#include "nav-election-private.h"
#include "nav-net-addr-monitor.h"

/**
 * NavGroup:
 *
 * A group of peers that meet in a room of a signaling server, exchange
 * their signed capability records there and elect a hub
 * ([class@Nav.Election] does the election; the group carries its records
 * and runs its clock on the thread-default main context).
 *
 * The application's messages ([method@Nav.Group.send],
 * [signal@Nav.Group::message]) follow [property@Nav.Group:topology]: in
 * a star, a spoke sends to the hub, which relays to every member and
 * acknowledges; a spoke keeps what is not acknowledged and sends it again
 * to the next hub, and receivers drop what they already delivered
 * (per-origin sequence numbers; each message names its predecessor, so
 * that a receiver also waits, briefly, for an origin's earlier messages
 * overtaken by a later one), so that a message is neither lost nor
 * duplicated when the hub changes.  In a mesh, members send to each
 * other directly.  In a hybrid, a member of the core (the mesh) sends
 * to the other core members directly over its open links and to the
 * hub as a spoke does; the hub relays it to the others only, and the
 * message is done when the hub acknowledges it.  Each message is signed once by its sender's device
 * key (over the room, the sender's session id, its device id, its
 * sequence number, the sequence number of its previous message and the
 * payload) and verified by every receiver, so a
 * hub relays messages but cannot forge or alter them: refusals are
 * counted in [property@Nav.Group:messages-refused], replays in
 * [property@Nav.Group:messages-replayed].
 *
 * The group measures what its links carry and checks the members'
 * bandwidth claims against it ([property@Nav.Election:check-bandwidth]).
 * It tells its election which links are direct (their ICE selected pair
 * has no relayed end: [method@Nav.Election.set_direct_link]), so that
 * the members verify each other's reachability
 * ([method@Nav.Election.is_member_reachable]).
 *
 * Once two members are linked — a [class@Nav.PeerConnection] between
 * them, negotiated through addressed messages of the room, with a
 * reliable ordered data channel `nav-group` — records and messages
 * between them travel over that channel; the room carries them only to
 * members not linked yet (and is the fallback when a link fails).  Which
 * links a member keeps follows the topology: in a star, spokes ↔ hub
 * (the hub relays the spokes' records to the others); in a mesh, every
 * pair.  The refusals of [class@Nav.Election] apply whatever the path;
 * a record that arrives over both paths while a link opens is one
 * record, not a replay.
 *
 * Records and messages travel in the room as `candidate` messages (the
 * signaling protocol's only free-text payload), prefixed `nav-election/1`
 * and `nav-group/2`, and the same text over the data channels;
 * docs/election.md has the format.
 *
 * Since: 1.0
 */

#define RECORD_PREFIX "nav-election/1 "
#define MESSAGE_PREFIX "nav-group/2 "
/* Messages before PREV was in them (refused: see handle_message()). */
#define MESSAGE_PREFIX_1 "nav-group/1 "
#define ACK_PREFIX "nav-group-ack/1 "
#define RELAY_PREFIX "nav-election-relay/1 "
#define LINK_PREFIX "nav-link/1 "

/* At most this many members' keys are kept for their links. */
#define LINK_KEYS_MAX 4096
#define LINK_LABEL "nav-group"

/* Records seen, by signature, to tell a copy on another path (one
 * record) from a replay on the same one. */
#define SEEN_MAX 1024
/* The window over which a link's rate is measured. */
#define MEASURE_WINDOW_US (1000 * 1000)
/* How long a gap in an origin's sequence holds later messages back. */
#define GAP_HOLD_US (1000 * 1000)
/* How long a link the topology no longer wants is kept (views differ
 * for a moment while members come and go). */
#define UNWANTED_LINGER_US (1000 * 1000)
/* How long a link whose path was lost may take to come back through ICE
 * restarts before it is dropped (and made anew if still wanted). */
#define STALLED_GIVE_UP_US (20 * 1000 * 1000)
/* Consent freshness on the links (RFC 7675 §5.1 says 30 s; a group
 * wants to notice a moved member sooner). */
#define LINK_CONSENT_INTERVAL_MS 500
#define LINK_CONSENT_TIMEOUT_MS 2500
/* What went over a link reliably in this long is kept, at most
 * RESENT_MAX texts, to be sent again through the room if the link's
 * association dies after its path stalled (a partition that lasted:
 * SCTP gives up while the data is still queued).  Above the time SCTP
 * takes to give up (its retransmissions, RTO doubling up to 10 s). */
#define RESEND_WINDOW_US (60 * G_USEC_PER_SEC)
#define RESEND_MAX 1024
/* Of those, what went from a little before the stall on: the path had
 * failed for up to the consent timeout before ICE said so; what SCTP
 * had acknowledged before that arrived.  (The room's rate limit, 50
 * texts a second by default, is the reason not to send more.) */
#define RESEND_BEFORE_STALL_US (2 * LINK_CONSENT_TIMEOUT_MS * 1000)

typedef enum
{
  PATH_ROOM,
  PATH_CHANNEL,
  PATH_RELAY,                /* relayed by the hub over its link */
  PATH_ROOM_RELAY,           /* relayed by the hub through the room */
} Path;

typedef struct _Link Link;

struct _Link
{
  NavGroup *group;           /* not owned */
  gchar *peer;               /* signaling peer id */
  gchar *device_id;          /* the remote member */
  gchar *nonce;              /* chosen by the offerer, in every message */
  NavPeerConnection *pc;
  NavDataChannel *channel;
  GCancellable *cancellable;
  gboolean offerer;
  gboolean open;
  gboolean restarting;       /* an ICE restart of ours is under way */
  gboolean making_offer;
  gint64 unwanted_since_us;  /* 0 while the topology wants it */
  gboolean was_open;         /* negotiated and opened once */
  gint64 stalled_since_us;   /* ICE lost (or our network changed): 0 when fine */
  gint64 last_stall_us;      /* when it last stalled: 0 never */
  GQueue sent;               /* SentText: reliable texts of RESEND_WINDOW_US */
  GPtrArray *remote_candidates; /* before the remote description */
  guint64 window_rx, window_tx; /* bytes of the group's texts, this window */
  guint32 peak_kbps;         /* the highest rate of a window, either way */
  gboolean direct;           /* open over a pair with no relayed end, as
                              * told to the election */
};

typedef struct
{
  gint64 at_us;
  gchar *text;
} SentText;

static void
sent_text_free (gpointer data)
{
  SentText *t = data;

  g_free (t->text);
  g_free (t);
}

typedef struct
{
  gchar *session;            /* the origin's session id the order is of */
  guint64 last;              /* the last delivered in order (or where the
                              * order starts); below it: replays */
  gboolean started;          /* FALSE: where this session's order starts
                              * here is not known yet (see deliver()) */
  guint64 high;              /* the highest sequence taken (delivered or held) */
  GTree *held;               /* sequence → Held, after a gap */
  GTree *done;               /* sequence → its PREV (guint64 *): delivered
                              * out of order, above last */
  gint64 gap_since_us;
  gboolean gap_given_up;     /* deliver at once, out of order, until it fills */
} Origin;

typedef struct
{
  guint64 prev;              /* the origin's previous message (0: none) */
  gboolean start;            /* may start the order: nothing before it to
                              * wait for (see deliver()) */
  GBytes *data;
} Held;

static void
held_free (gpointer data)
{
  Held *h = data;

  g_bytes_unref (h->data);
  g_free (h);
}

typedef struct
{
  guint64 sequence;
  gchar *text;               /* the signed message, as sent (and sent again) */
  gchar **direct;            /* hybrid: the core members that had it from
                              * this device over their links (NULL: none) */
} Pending;

struct _NavGroup
{
  GObject parent_instance;

  NavDeviceIdentity *identity;
  NavElection *election;
  NavGroupTopology topology;
  NavSignalingClient *client;
  gchar *room;
  gboolean joined;
  guint tick_id;

  GHashTable *peer_ids;      /* device id → signaling peer id */
  GHashTable *delivered;     /* origin device id → Origin */
  GQueue pending;            /* Pending: sent through a hub, not acknowledged */
  guint64 sequence;           /* the last sent (or the session's start) */
  gboolean sent_any;         /* a message sent in this session */
  gint64 joined_us;          /* monotonic: when the room was first joined */
  gulong hub_changed_id, send_id;

  gboolean use_channels;
  gboolean warm_standby;
  guint core_size;
  gchar *session_id;
  GHashTable *links;         /* device id → Link */
  GHashTable *seen;          /* record signature (GBytes) → Path */
  GQueue seen_order;         /* GBytes, oldest first */
  guint gap_id;
  guint links_created;
  guint ice_restarts;
  guint links_refused;
  GHashTable *link_keys;     /* device id → its public key (GBytes), as
                              * verified for a link: a member moving may
                              * drop out of the view while its link's
                              * restarts go on */
  gboolean ever_connected;
  GHashTable *addresses;     /* this device's interface addresses (text) */
  gint64 next_address_check_us;
  NavNetAddrMonitor *address_monitor; /* NULL: no netlink, the group polls */
  GMainContext *context;     /* the monitor's and the debounce's */
  GSource *address_debounce;
  gint64 address_event_first_us; /* the first event of the debounced run */
  gboolean reconnect_pending; /* a new signaling connection to make */
  gboolean reconnecting;     /* that connection is being made */
  gboolean address_came;     /* ... and an address came meanwhile */
  guint64 received[4];       /* by Path */
  guint64 duplicates;
  GHashTable *messages_seen; /* message signature (GBytes) → first sender's peer id */
  GQueue messages_seen_order; /* GBytes, oldest first */
  GHashTable *messages_relayed; /* signatures (of messages_seen) this hub relayed */
  guint64 messages_from_origin; /* delivered as their origin sent them to us */
  guint64 messages_via_relay;  /* delivered as a hub relayed them */
  guint64 message_copies;      /* dropped: delivered already, another copy */
  guint messages_refused;
  guint messages_replayed;
  gint64 measure_since_us;   /* the current measurement window's start */
};

enum {
  PROP_0,
  PROP_IDENTITY,
  PROP_ELECTION,
  PROP_TOPOLOGY,
  PROP_ROOM,
  PROP_USE_CHANNELS,
  PROP_WARM_STANDBY,
  PROP_CORE_SIZE,
  PROP_SESSION_ID,
  PROP_LINKS_OPEN,
  PROP_LINKS_CREATED,
  PROP_ICE_RESTARTS,
  PROP_LINKS_REFUSED,
  PROP_MESSAGES_REFUSED,
  PROP_MESSAGES_REPLAYED,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE,
  SIGNAL_LINK_CHANGED,
  SIGNAL_RECORD_REFUSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavGroup, nav_group, G_TYPE_OBJECT)

static void reconcile_links (NavGroup *self, gboolean prune);

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_free (p->text);
  g_strfreev (p->direct);
  g_free (p);
}

/* Through the room: to one peer, or to everyone (@to NULL). */
static void
send_room (NavGroup    *self,
           const gchar *to,
           const gchar *text)
{
  g_autoptr (GError) error = NULL;

  if (self->client == NULL || !self->joined)
    return;
  if (!nav_signaling_client_send_candidate (self->client, self->room, to, text, &error))
    g_debug ("group: send failed: %s", error->message);
}

static Link *
link_for_device (NavGroup    *self,
                 const gchar *device_id)
{
  return device_id != NULL ? g_hash_table_lookup (self->links, device_id) : NULL;
}

static Link *
link_for_peer (NavGroup    *self,
               const gchar *peer)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Link *) value)->peer, peer) == 0)
      return value;
  return NULL;
}

/* Records skip a stalled link (the room carries them meanwhile: they
 * are repeated anyway); messages take it (@reliable): its SCTP
 * association keeps and retransmits them until the ICE restart brings
 * the path back, so that they arrive once, in order. */
static gboolean
link_send_full (Link        *link,
                const gchar *text,
                gboolean     reliable)
{
  g_autoptr (GError) error = NULL;

  if (link == NULL || !link->open || (link->stalled_since_us != 0 && !reliable))
    return FALSE;
  if (!nav_data_channel_send_text (link->channel, text, &error))
    {
      g_debug ("group: send to %s over its channel failed: %s", link->device_id, error->message);
      return FALSE;
    }
  link->window_tx += strlen (text);
  if (reliable)
    {
      SentText *t = g_new (SentText, 1);
      gint64 now = g_get_monotonic_time ();

      t->at_us = now;
      t->text = g_strdup (text);
      g_queue_push_tail (&link->sent, t);
      while (g_queue_get_length (&link->sent) > RESEND_MAX ||
             now - ((SentText *) g_queue_peek_head (&link->sent))->at_us > RESEND_WINDOW_US)
        sent_text_free (g_queue_pop_head (&link->sent));
    }
  return TRUE;
}

static gboolean
link_send (Link        *link,
           const gchar *text)
{
  return link_send_full (link, text, FALSE);
}

/* To one member: over its link when open, else through the room. */
static void
send_text (NavGroup    *self,
           const gchar *to,
           const gchar *text,
           gboolean     reliable)
{
  Link *link = to != NULL ? link_for_peer (self, to) : NULL;

  if (to == NULL || !link_send_full (link, text, reliable))
    send_room (self, to, text);
}

/* Every member of the view but this one has an open link. */
static gboolean
all_linked (NavGroup *self,
            gboolean  reliable)
{
  g_auto (GStrv) members = nav_election_dup_members (self->election);
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  guint i;

  /* Alone in its view: a newcomer, heard only through the room. */
  if (g_strv_length (members) < 2)
    return FALSE;
  for (i = 0; members[i] != NULL; i++)
    {
      Link *link;

      if (strcmp (members[i], me) == 0)
        continue;
      link = link_for_device (self, members[i]);
      if (link == NULL || !link->open || (link->stalled_since_us != 0 && !reliable))
        return FALSE;
    }
  return TRUE;
}

/* To every member directly: over the open links, and through the room
 * too while some member of the view has none (receivers drop the
 * second copy).  Messages (@reliable) skip the members of @skip too:
 * they had the message from its origin directly (hybrid). */
static void
broadcast_direct (NavGroup            *self,
                  const gchar         *text,
                  const gchar         *except_peer,
                  gboolean             reliable,
                  const gchar * const *skip)
{
  GHashTableIter iter;
  gpointer value;

  if (reliable)
    {
      /* Messages: one path per member, so that they arrive in order —
       * its link (even stalled: SCTP keeps them), else the room,
       * addressed to it. */
      /* Every member heard from, not only the view: one that lapsed
       * for a moment (a busy machine, a network change) gets it too. */
      const gchar *me = nav_device_identity_get_device_id (self->identity);
      GHashTableIter members;
      gpointer device, peer;

      g_hash_table_iter_init (&members, self->peer_ids);
      while (g_hash_table_iter_next (&members, &device, &peer))
        {
          Link *link = link_for_device (self, device);

          if (strcmp (device, me) == 0 || g_strcmp0 (peer, except_peer) == 0 ||
              (skip != NULL && g_strv_contains (skip, device)))
            continue;
          if (!link_send_full (link, text, TRUE))
            send_room (self, peer, text);
        }
      return;
    }
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      if (g_strcmp0 (link->peer, except_peer) != 0)
        link_send_full (link, text, reliable);
    }
  if (!all_linked (self, reliable))
    send_room (self, NULL, text);
}

/* The hub relays the spokes' records between them (star, hybrid). */
static gboolean
relays_through_hub (NavGroup *self)
{
  return self->topology != NAV_GROUP_TOPOLOGY_MESH;
}

static void
on_election_send (NavElection *election,
                  GBytes      *record,
                  NavGroup    *self)
{
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (record, NULL),
                                           g_bytes_get_size (record));
  g_autofree gchar *text = g_strconcat (RECORD_PREFIX, b64, NULL);
  g_autofree gchar *hub = nav_election_dup_hub_id (self->election);
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  Link *hub_link;

  if (!self->use_channels)
    {
      send_room (self, NULL, text);
      return;
    }
  hub_link = link_for_device (self, hub);
  if (relays_through_hub (self) && hub != NULL && strcmp (hub, me) != 0 &&
      hub_link != NULL && hub_link->open && hub_link->stalled_since_us == 0)
    {
      /* A spoke: its links, the hub relays to the rest. */
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->links);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        link_send (value, text);
      return;
    }
  broadcast_direct (self, text, NULL, FALSE, NULL);
}

/* What an application message's signature covers: the room (the
 * group), the sender's session id, its device id, its sequence number,
 * the sequence number of its previous message in this session (0 for
 * the session's first) and the payload.  A hub (or anyone on the way)
 * can relay it, not alter it, nor move it to another group or session,
 * nor make a receiver wait for, or skip, a message that was not sent.
 * (Version 2: version 1 had no PREV.) */
static GBytes *
message_signed_bytes (const gchar *room,
                      const gchar *session,
                      const gchar *origin,
                      guint64      sequence,
                      guint64      prev,
                      GBytes      *data)
{
  GByteArray *bytes = g_byte_array_new ();
  g_autofree gchar *head = g_strdup_printf ("nav-group-message/2 %s %s %s %" G_GUINT64_FORMAT
                                            " %" G_GUINT64_FORMAT " ",
                                            room != NULL ? room : "", session, origin, sequence,
                                            prev);

  g_byte_array_append (bytes, (const guint8 *) head, strlen (head));
  g_byte_array_append (bytes, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  return g_byte_array_free_to_bytes (bytes);
}

/* `nav-group/2 ORIGIN SESSION SEQUENCE PREV PAYLOAD KEY SIGNATURE` (the
 * last three base64): signed once, here, by this device's key; relays
 * send the same text. */
static gchar *
message_text (NavGroup *self,
              guint64   sequence,
              guint64   prev,
              GBytes   *data)
{
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  g_autoptr (GBytes) signed_bytes = message_signed_bytes (self->room, self->session_id, me,
                                                          sequence, prev, data);
  g_autoptr (GBytes) signature = nav_device_identity_sign (self->identity, signed_bytes);
  g_autoptr (GBytes) key = nav_device_identity_get_public_key (self->identity);
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (data, NULL),
                                           g_bytes_get_size (data));
  g_autofree gchar *key64 = g_base64_encode (g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  g_autofree gchar *sig64 = g_base64_encode (g_bytes_get_data (signature, NULL),
                                             g_bytes_get_size (signature));

  return g_strdup_printf (MESSAGE_PREFIX "%s %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " %s %s %s", me, self->session_id, sequence, prev, b64, key64, sig64);
}

/* The first @n members of the election's order hold @device_id. */
static gboolean
in_core (const gchar * const *members,
         guint                n,
         const gchar         *device_id)
{
  guint i;

  for (i = 0; members[i] != NULL && i < n; i++)
    if (strcmp (members[i], device_id) == 0)
      return TRUE;
  return FALSE;
}

/* Hybrid: when this device is in the core (the first core-size members
 * of its view), the other core members but @hub whose links from this
 * device are open, not stalled and still wanted — those its messages go
 * to directly, over the core's mesh.  The hub relays to everyone else
 * (it learns whom to skip from `direct=`, this device's word: views of
 * the core and of the links differ for a moment while members come and
 * go, and only the sender knows which of its links took the message).
 * NULL when none (an outer member, another topology, no open link). */
static gchar **
direct_targets (NavGroup    *self,
                const gchar *hub)
{
  g_auto (GStrv) members = NULL;
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  GStrvBuilder *builder;
  gchar **out;
  guint i;

  if (self->topology != NAV_GROUP_TOPOLOGY_HYBRID || !self->use_channels)
    return NULL;
  members = nav_election_dup_members (self->election);
  if (!in_core ((const gchar * const *) members, self->core_size, me))
    return NULL;
  builder = g_strv_builder_new ();
  for (i = 0; members[i] != NULL && i < self->core_size; i++)
    {
      Link *link = link_for_device (self, members[i]);

      /* Not a link on its way out (the topology no longer wants it:
       * closed within a second, whatever its association still holds)
       * nor a stalled one: the hub relays to those. */
      if (strcmp (members[i], me) == 0 || g_strcmp0 (members[i], hub) == 0 ||
          link == NULL || !link->open || link->stalled_since_us != 0 ||
          link->unwanted_since_us != 0)
        continue;
      g_strv_builder_add (builder, members[i]);
    }
  out = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  if (out[0] == NULL)
    g_clear_pointer (&out, g_strfreev);
  return out;
}

/* What goes to the hub: the signed message, and after it (outside the
 * signature: it is this device's word to its hub, not part of the
 * message) ` direct=ID,ID` naming the members that had it directly,
 * whom the hub's relay skips. */
static gchar *
pending_hub_text (Pending *p)
{
  g_autofree gchar *list = NULL;

  if (p->direct == NULL)
    return g_strdup (p->text);
  list = g_strjoinv (",", p->direct);
  return g_strconcat (p->text, " direct=", list, NULL);
}

/* Sends what the hub has not acknowledged to the (new) hub. */
static void
flush_pending (NavGroup *self)
{
  g_autofree gchar *hub = nav_election_dup_hub_id (self->election);
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  const gchar *hub_peer;
  GList *l;

  if (hub == NULL)
    return;
  if (strcmp (hub, me) == 0)
    {
      /* This device is the hub now: it relays its own. */
      while (!g_queue_is_empty (&self->pending))
        {
          Pending *p = g_queue_pop_head (&self->pending);

          broadcast_direct (self, p->text, NULL, TRUE, (const gchar * const *) p->direct);
          pending_free (p);
        }
      return;
    }
  hub_peer = g_hash_table_lookup (self->peer_ids, hub);
  if (hub_peer == NULL)
    return;
  for (l = self->pending.head; l != NULL; l = l->next)
    {
      Pending *p = l->data;
      g_autofree gchar *text = pending_hub_text (p);

      send_text (self, hub_peer, text, TRUE);
    }
}

static void
on_hub_changed (NavElection *election,
                const gchar *hub_id,
                guint64      epoch,
                NavGroup    *self)
{
  if (hub_id != NULL && self->topology != NAV_GROUP_TOPOLOGY_MESH)
    flush_pending (self);
  reconcile_links (self, FALSE);
}

static void schedule_tick (NavGroup *self, gint64 due);
static void link_update_direct (Link *link);
static void check_own_addresses (NavGroup *self, gint64 now_us, gboolean now_anyway);

/* The bandwidth of each link, as the election checks claims against
 * it: the highest rate (kbit/s) the group's own traffic reached over
 * it in a one-second window, either way — what the link demonstrably
 * carried, measured the same at both ends.  This device's own figure is
 * the highest of its links'.  No probe traffic is sent: a group that
 * only exchanges records measures a few tens of kbit/s, and bandwidth
 * claims count for that much until the application's traffic shows
 * more. */
static void
measure_links (NavGroup *self,
               gint64    now_us)
{
  gint64 elapsed = now_us - self->measure_since_us;
  GHashTableIter iter;
  gpointer value;
  guint32 own = 0;

  if (self->measure_since_us == 0)
    {
      self->measure_since_us = now_us;
      return;
    }
  if (elapsed < MEASURE_WINDOW_US)
    return;
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;
      guint64 kbps = MAX (link->window_rx, link->window_tx) * 8 * 1000 / (guint64) elapsed;

      /* The selected pair may change (an ICE restart, a better pair
       * nominated): looked at again once a window. */
      link_update_direct (link);
      link->window_rx = link->window_tx = 0;
      if (kbps > link->peak_kbps)
        {
          link->peak_kbps = (guint32) MIN (kbps, G_MAXUINT32);
          nav_election_set_measured_bandwidth (self->election, link->device_id, link->peak_kbps);
        }
      own = MAX (own, link->peak_kbps);
    }
  self->measure_since_us = now_us;
  if (own > 0)
    nav_election_set_measured_bandwidth (self->election,
                                         nav_device_identity_get_device_id (self->identity), own);
}

static gboolean
tick_cb (gpointer data)
{
  NavGroup *self = data;
  gint64 now = g_get_monotonic_time ();

  self->tick_id = 0;
  measure_links (self, now);
  schedule_tick (self, nav_election_tick (self->election, now));
  reconcile_links (self, TRUE);
  check_own_addresses (self, now, FALSE);
  return G_SOURCE_REMOVE;
}

static void
schedule_tick (NavGroup *self,
               gint64    due)
{
  gint64 delay_ms = (due - g_get_monotonic_time () + 999) / 1000;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (!self->joined)
    return;
  self->tick_id = g_timeout_add (CLAMP (delay_ms, 1, 60000), tick_cb, self);
}

static void
origin_free (gpointer data)
{
  Origin *o = data;

  g_free (o->session);
  g_tree_unref (o->held);
  g_tree_unref (o->done);
  g_free (o);
}

static gint
sequence_compare (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

static Held *
first_held (GTree   *held,
            guint64 *sequence)
{
  GTreeNode *node = g_tree_node_first (held);

  if (node == NULL)
    return NULL;
  *sequence = *(const guint64 *) g_tree_node_key (node);
  return g_tree_node_value (node);
}

static void schedule_gap_check (NavGroup *self);

/* Moves @o->last over what was delivered out of order: the next of the
 * origin's messages is the one whose PREV is at or below last (each
 * message names its predecessor, so nothing lies between the two). */
static void
advance (Origin *o)
{
  GTreeNode *node;

  while ((node = g_tree_node_first (o->done)) != NULL &&
         *(const guint64 *) g_tree_node_value (node) <= o->last)
    {
      guint64 sequence = *(const guint64 *) g_tree_node_key (node);

      o->last = MAX (o->last, sequence);
      g_tree_remove (o->done, &sequence);
    }
  if (g_tree_nnodes (o->done) == 0)
    o->gap_given_up = FALSE;
}

static void
emit_message (NavGroup    *self,
              const gchar *origin,
              Origin      *o,
              guint64      sequence,
              guint64      prev,
              GBytes      *data)
{
  if (prev <= o->last)
    o->last = sequence;
  else
    g_tree_insert (o->done, g_memdup2 (&sequence, sizeof sequence), g_memdup2 (&prev, sizeof prev));
  advance (o);
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, origin, data);
}

/* The order of the origin's session starts here: at @h (the earliest
 * held), whose PREV is 0 (the session's first message) or one this
 * device could not have been sent, or one it waited for long enough. */
static void
start_order (Origin  *o,
             Held    *h,
             guint64  sequence)
{
  o->last = MAX (o->last, h->prev != 0 ? h->prev : sequence - 1);
  o->started = TRUE;
}

/* Delivers the held messages: those that follow without a gap, or all
 * of them once the gap was given up. */
static void
drain (NavGroup    *self,
       const gchar *origin,
       Origin      *o)
{
  guint64 next;
  Held *h;

  while ((h = first_held (o->held, &next)) != NULL && (h->prev <= o->last || o->gap_given_up))
    {
      g_autoptr (GBytes) data = g_bytes_ref (h->data);
      guint64 prev = h->prev;

      g_tree_remove (o->held, &next);
      if (next > o->last && !g_tree_lookup_extended (o->done, &next, NULL, NULL))
        emit_message (self, origin, o, next, prev, data);
    }
  o->gap_since_us = g_tree_nnodes (o->held) > 0 ? g_get_monotonic_time () : 0;
}

static void
hold (NavGroup    *self,
      const gchar *origin,
      Origin      *o,
      guint64      sequence,
      Held        *h)
{
  g_debug ("group: message %" G_GUINT64_FORMAT " of %s held: %" G_GUINT64_FORMAT
           " not delivered yet", sequence, origin, h->prev);
  g_tree_insert (o->held, g_memdup2 (&sequence, sizeof sequence), h);
  if (o->gap_since_us == 0)
    o->gap_since_us = g_get_monotonic_time ();
  schedule_gap_check (self);
}

/* Delivers an application message once per (origin, sequence), in the
 * origin's order: each message names its predecessor (@prev, 0 for the
 * first of the origin's session), and one whose predecessor was not
 * delivered yet waits for it — a message may arrive by one path (a
 * link, the new hub's relay) before an earlier one by another (the
 * room, the old hub).  After GAP_HOLD_US the gap is given up for
 * ordering, not for delivery: what waited is delivered, and a message
 * of the gap that comes later still is delivered then (late, but once).
 *
 * The first messages heard of an origin's session too: with
 * @may_wait (the predecessor was sent after this device joined, see
 * handle_message()) a message waits for its predecessor, then that one
 * for its own, until one that starts the order (the session's first, or
 * one whose predecessor this device could not get) or the hold runs out
 * (the order then starts at the earliest held).  Returns FALSE for a
 * message already delivered or held (or of an origin's earlier
 * session). */
static gboolean
deliver (NavGroup    *self,
         const gchar *origin,
         const gchar *session,
         guint64      sequence,
         guint64      prev,
         gboolean     may_wait,
         GBytes      *data)
{
  Origin *o = g_hash_table_lookup (self->delivered, origin);
  Held *h;
  guint64 first;

  if (o == NULL)
    {
      o = g_new0 (Origin, 1);
      o->session = g_strdup (session);
      o->held = g_tree_new_full (sequence_compare, NULL, g_free, held_free);
      o->done = g_tree_new_full (sequence_compare, NULL, g_free, g_free);
      g_hash_table_insert (self->delivered, g_strdup (origin), o);
    }
  if (strcmp (o->session, session) != 0)
    {
      /* Sequences start at the wall clock: a session of that device
       * older than the one we follow is below it (a replay). */
      if (sequence <= MAX (o->last, o->high))
        return FALSE;
      /* A new session (the device's group was made again): what the old
       * one left held goes out, then the new order starts afresh. */
      if (!o->started && (h = first_held (o->held, &first)) != NULL)
        start_order (o, h, first);
      o->gap_given_up = TRUE;
      drain (self, origin, o);
      g_tree_remove_all (o->done);
      o->gap_given_up = FALSE;
      o->started = FALSE;
      g_free (o->session);
      o->session = g_strdup (session);
    }
  if (sequence <= o->last || g_tree_lookup_extended (o->done, &sequence, NULL, NULL) ||
      g_tree_lookup_extended (o->held, &sequence, NULL, NULL))
    return FALSE;
  o->high = MAX (o->high, sequence);
  if (!o->started)
    {
      h = g_new0 (Held, 1);
      h->prev = prev;
      h->start = prev == 0 || !may_wait;
      h->data = g_bytes_ref (data);
      g_tree_insert (o->held, g_memdup2 (&sequence, sizeof sequence), h);
      h = first_held (o->held, &first);
      if (h->start)
        {
          start_order (o, h, first);
          drain (self, origin, o);
          if (g_tree_nnodes (o->held) > 0)
            schedule_gap_check (self);
        }
      else
        {
          g_debug ("group: message %" G_GUINT64_FORMAT " of %s held: %" G_GUINT64_FORMAT
                   " (sent after this device joined) not delivered yet", first, origin, h->prev);
          if (o->gap_since_us == 0)
            o->gap_since_us = g_get_monotonic_time ();
          schedule_gap_check (self);
        }
      return TRUE;
    }
  if (prev <= o->last || o->gap_given_up)
    {
      emit_message (self, origin, o, sequence, prev, data);
      drain (self, origin, o);
      return TRUE;
    }
  h = g_new0 (Held, 1);
  h->prev = prev;
  h->data = g_bytes_ref (data);
  hold (self, origin, o, sequence, h);
  return TRUE;
}

static gboolean
gap_check_cb (gpointer data)
{
  NavGroup *self = data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GList) origins = g_hash_table_get_keys (self->delivered);
  gboolean waiting = FALSE;
  GList *l;

  self->gap_id = 0;
  for (l = origins; l != NULL; l = l->next)
    {
      Origin *o = g_hash_table_lookup (self->delivered, l->data);
      guint64 next;
      Held *h;

      if (o == NULL || (h = first_held (o->held, &next)) == NULL)
        continue;
      if (now - o->gap_since_us >= GAP_HOLD_US)
        {
          if (!o->started)
            {
              g_debug ("group: message %" G_GUINT64_FORMAT " of %s late: the order starts "
                       "after it, at %" G_GUINT64_FORMAT, h->prev, (const gchar *) l->data, next);
              start_order (o, h, next);
            }
          else
            g_debug ("group: messages after %" G_GUINT64_FORMAT " before %" G_GUINT64_FORMAT
                     " of %s late: the ones after them delivered first", o->last, next,
                     (const gchar *) l->data);
          o->gap_given_up = TRUE;
          drain (self, l->data, o);
        }
      waiting |= g_tree_nnodes (o->held) > 0;
    }
  if (waiting)
    schedule_gap_check (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_gap_check (NavGroup *self)
{
  if (self->gap_id == 0)
    self->gap_id = g_timeout_add (100, gap_check_cb, self);
}

static void
refuse_message (NavGroup    *self,
                const gchar *from,
                const gchar *why)
{
  self->messages_refused++;
  g_debug ("group: message from %s refused: %s", from, why);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES_REFUSED]);
}

static GBytes *
decode_field (const gchar *b64,
              gsize        expected)
{
  gsize length = 0;
  guchar *decoded = g_base64_decode (b64, &length);

  if (expected != 0 && length != expected)
    {
      g_free (decoded);
      return NULL;
    }
  return g_bytes_new_take (decoded, length);
}

/* Remembers who first gave us a message (by its signature): the same
 * message again from another sender is a copy on another path (the old
 * hub's relay, then the new hub's), from the same sender a replay. */
static gboolean
message_is_copy (NavGroup    *self,
                 GBytes      *signature,
                 const gchar *from)
{
  const gchar *first = g_hash_table_lookup (self->messages_seen, signature);

  return first != NULL && strcmp (first, from) != 0;
}

static void
remember_message (NavGroup    *self,
                  GBytes      *signature,
                  const gchar *from)
{
  if (g_hash_table_contains (self->messages_seen, signature))
    return;
  g_hash_table_insert (self->messages_seen, g_bytes_ref (signature), g_strdup (from));
  g_queue_push_tail (&self->messages_seen_order, g_bytes_ref (signature));
  while (g_queue_get_length (&self->messages_seen_order) > SEEN_MAX)
    {
      GBytes *old = g_queue_pop_head (&self->messages_seen_order);

      g_hash_table_remove (self->messages_seen, old);
      g_hash_table_remove (self->messages_relayed, old);
      g_bytes_unref (old);
    }
}

/* `nav-group/2 ORIGIN SESSION SEQUENCE PREV PAYLOAD KEY SIGNATURE`: the key
 * must be the one ORIGIN is derived from (device ids are the hash of
 * the public key) and the signature must verify with it, whoever passed
 * the message on; only a message over the origin's own link is taken
 * without (that link's DTLS certificate is bound to the same key by
 * the signed offer and answer).  A forged or altered message is refused
 * and counted (messages-refused); a sequence not above what the origin's
 * session already gave us is a replay (messages-replayed) unless it is
 * a copy of the same message from another sender (a resend to the next
 * hub): dropped either way, never fatal. */
static void
handle_message (NavGroup    *self,
                const gchar *from,
                const gchar *body,
                Path         path)
{
  g_auto (GStrv) parts = g_strsplit (body, " ", 9);
  g_auto (GStrv) direct = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GBytes) signature = NULL;
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  const gchar *origin_peer;
  Link *link;
  guint64 sequence, prev;
  guint n_parts = g_strv_length (parts);
  gboolean fresh, from_origin, may_wait;

  /* PREV is below SEQUENCE, or 0 (the session's first message). */
  if ((n_parts != 7 && n_parts != 8) || strlen (parts[0]) != 32 || strlen (parts[1]) == 0 ||
      strlen (parts[1]) > 64 ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, G_MAXUINT64, &sequence, NULL) ||
      !g_ascii_string_to_unsigned (parts[3], 10, 0, sequence - 1, &prev, NULL))
    {
      refuse_message (self, from, "malformed");
      return;
    }
  if (n_parts == 8)
    {
      /* ` direct=ID,ID`: the members the origin sent it to directly
       * (hybrid), for its hub; not signed, and not relayed. */
      guint i;

      if (!g_str_has_prefix (parts[7], "direct="))
        {
          refuse_message (self, from, "malformed");
          return;
        }
      direct = g_strsplit (parts[7] + strlen ("direct="), ",", 65);
      for (i = 0; direct[i] != NULL; i++)
        if (i >= 64 || strlen (direct[i]) != 32)
          {
            refuse_message (self, from, "malformed");
            return;
          }
      g_clear_pointer (&parts[7], g_free);
    }
  if (strcmp (parts[0], me) == 0)
    return;   /* our own, relayed back */
  data = decode_field (parts[4], 0);
  key = decode_field (parts[5], NAV_DEVICE_PUBLIC_KEY_SIZE);
  signature = decode_field (parts[6], NAV_DEVICE_SIGNATURE_SIZE);
  if (key == NULL || signature == NULL)
    {
      refuse_message (self, from, "malformed");
      return;
    }
  link = link_for_peer (self, from);
  if (path != PATH_CHANNEL || link == NULL || !link->open ||
      g_strcmp0 (link->device_id, parts[0]) != 0)
    {
      g_autofree gchar *key_id = nav_device_id_from_public_key (key);
      g_autoptr (GBytes) signed_bytes = NULL;

      if (strcmp (key_id, parts[0]) != 0)
        {
          refuse_message (self, from, "not the origin's key");
          return;
        }
      signed_bytes = message_signed_bytes (self->room, parts[1], parts[0], sequence, prev, data);
      if (!nav_device_identity_verify (key, signed_bytes, signature))
        {
          refuse_message (self, from, "bad signature");
          return;
        }
    }

  /* From its origin: through the room from the origin's peer id, or
   * over the origin's own link.  Both, since a member that moved has a
   * new peer id in the room while its link (the same peer connection,
   * ICE restarted) still carries what it sent before: which of the two
   * this member knows first depends on the race between the new
   * connection's records and the link's retransmissions. */
  origin_peer = g_hash_table_lookup (self->peer_ids, parts[0]);
  from_origin = (origin_peer != NULL && strcmp (origin_peer, from) == 0) ||
                (path == PATH_CHANNEL && link != NULL && g_strcmp0 (link->device_id, parts[0]) == 0);

  /* Whether a first message of the origin's session waits for its
   * predecessor: only if that one was sent after this device joined the
   * room — before, nobody sent it here.  The two sequences are the
   * sender's clock (µs), so SEQUENCE − PREV is how long before this
   * message the previous one was sent, and "now − joined" is an upper
   * bound on how long after this device joined this one was: if the
   * first is shorter than the second, the predecessor may have been sent
   * after the join (or up to this message's time on the way before it),
   * and this one waits for it, at most GAP_HOLD_US; if not, it was sent
   * before the join, and the order starts here at once.  No clock is
   * compared with another's. */
  may_wait = prev != 0 && self->joined_us != 0 &&
             sequence - prev < (guint64) MAX (g_get_monotonic_time () - self->joined_us, 0);
  fresh = deliver (self, parts[0], parts[1], sequence, prev, may_wait, data);
  if (fresh)
    {
      remember_message (self, signature, from);
      if (from_origin)
        self->messages_from_origin++;
      else
        self->messages_via_relay++;
    }
  else if (message_is_copy (self, signature, from) || (from_origin && direct != NULL))
    {
      /* Another sender's copy; or the origin's own again, addressed to
       * a hub (`direct=`) after it sent it here over the core's mesh:
       * it sends what its hub did not acknowledge to the next hub, this
       * member. */
      self->duplicates++;
      self->message_copies++;
    }
  else
    {
      self->messages_replayed++;
      g_debug ("group: message %" G_GUINT64_FORMAT " of %s from %s replayed", sequence, parts[0], from);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES_REPLAYED]);
    }

  if (self->topology != NAV_GROUP_TOPOLOGY_MESH &&
      nav_election_get_role (self->election) == NAV_ELECTION_ROLE_HUB && from_origin)
    {
      /* Sent to us as hub by its origin: relay to every member (the
       * same signed text, without `direct=`) but those that had it from
       * the origin directly (a core member's message, hybrid), once,
       * then acknowledge (each copy: the origin sends it again to a new
       * hub, or through the room after its link stalled).  A relay of
       * another hub's is only delivered. */
      g_autofree gchar *ack = g_strdup_printf (ACK_PREFIX "%" G_GUINT64_FORMAT, sequence);

      if ((fresh || g_hash_table_contains (self->messages_seen, signature)) &&
          !g_hash_table_contains (self->messages_relayed, signature))
        {
          g_autofree gchar *signed_part = g_strjoinv (" ", parts);
          g_autofree gchar *text = g_strconcat (MESSAGE_PREFIX, signed_part, NULL);

          g_hash_table_add (self->messages_relayed, g_bytes_ref (signature));
          broadcast_direct (self, text, from, TRUE, (const gchar * const *) direct);
        }
      send_text (self, from, ack, TRUE);
    }
}

static void
handle_ack (NavGroup    *self,
            const gchar *body)
{
  guint64 sequence;

  if (!g_ascii_string_to_unsigned (body, 10, 1, G_MAXUINT64, &sequence, NULL))
    return;
  while (!g_queue_is_empty (&self->pending) &&
         ((Pending *) g_queue_peek_head (&self->pending))->sequence <= sequence)
    pending_free (g_queue_pop_head (&self->pending));
}

static void
remember_seen (NavGroup *self,
               GBytes   *signature,
               Path      path)
{
  if (g_hash_table_contains (self->seen, signature))
    return;
  g_hash_table_insert (self->seen, g_bytes_ref (signature), GINT_TO_POINTER (path));
  g_queue_push_tail (&self->seen_order, g_bytes_ref (signature));
  while (g_queue_get_length (&self->seen_order) > SEEN_MAX)
    {
      GBytes *old = g_queue_pop_head (&self->seen_order);

      g_hash_table_remove (self->seen, old);
      g_bytes_unref (old);
    }
}

static void
handle_record (NavGroup    *self,
               const gchar *from,
               const gchar *b64,
               Path         path,
               const gchar *signer_peer)
{
  gsize length = 0;
  guchar *decoded = g_base64_decode (b64, &length);
  g_autoptr (GBytes) bytes = g_bytes_new_take (decoded, length);
  g_autoptr (GBytes) signature = NULL;
  NavRecordRefusal refusal = NAV_RECORD_REFUSAL_MALFORMED;
  gboolean accepted;
  gpointer seen_path;
  gboolean sized = length >= NAV_CAPABILITY_RECORD_MIN_SIZE &&
                   length <= NAV_CAPABILITY_RECORD_MAX_SIZE;

  if (sized && path >= PATH_RELAY)
    {
      g_autoptr (GBytes) mine = nav_device_identity_get_public_key (self->identity);

      /* The hub's relay through the room reaches the signer too. */
      if (memcmp (decoded + 8, g_bytes_get_data (mine, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE) == 0)
        return;
    }
  if (sized)
    {
      signature = g_bytes_new (decoded + length - NAV_DEVICE_SIGNATURE_SIZE,
                               NAV_DEVICE_SIGNATURE_SIZE);
      /* The same record over another path while a link opens (or a
       * relay of one heard directly): one record, not a replay.  The
       * same bytes again on the same path are a replay, refused below. */
      if (g_hash_table_lookup_extended (self->seen, signature, NULL, &seen_path) &&
          GPOINTER_TO_INT (seen_path) != (gint) path)
        {
          g_autoptr (GBytes) key = g_bytes_new (decoded + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);
          g_autofree gchar *signer = nav_device_id_from_public_key (key);

          /* Only from its signer or a relay: another sender's copy is
           * the election's to refuse (wrong key, replay). */
          if (path >= PATH_RELAY ||
              g_strcmp0 (g_hash_table_lookup (self->peer_ids, signer), from) == 0)
            {
              self->duplicates++;
              return;
            }
        }
    }
  /* A relayed record's transport sender is the hub, not its signer: it
   * is checked on its own signature only. */
  accepted = nav_election_receive (self->election, path >= PATH_RELAY ? NULL : from, bytes,
                                   g_get_monotonic_time (), &refusal);
  if (!accepted)
    {
      guint64 sequence = 0;
      g_autofree gchar *signer = NULL;

      if (sized)
        {
          g_autoptr (GBytes) key = g_bytes_new (decoded + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);

          memcpy (&sequence, decoded + 40, sizeof sequence);
          sequence = GUINT64_FROM_BE (sequence);
          signer = nav_device_id_from_public_key (key);
        }
      g_debug ("group: record from %s (path %d, seq %" G_GUINT64_FORMAT ", seen %d) refused: %s", from, path,
               sequence, signature != NULL && g_hash_table_contains (self->seen, signature),
               nav_record_refusal_to_string (refusal));
      g_signal_emit (self, signals[SIGNAL_RECORD_REFUSED], 0, from, signer, sequence,
                     (gint) refusal);
    }
  if (!accepted && signature != NULL && path < PATH_RELAY &&
      (refusal == NAV_RECORD_REFUSAL_FORGED_HUB || refusal == NAV_RECORD_REFUSAL_STALE_EPOCH))
    {
      /* A hub claim the election refuses is still its signer's (the
       * signature, the sender's binding, the sequence and the claims
       * were checked first), and the signer a member of the view: where
       * it is in the room is how to link to it, and to measure what it
       * claims (a member that claims the hub on a bandwidth no one else
       * believes sends nothing else). */
      g_autoptr (GBytes) key = g_bytes_new (decoded + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);
      gchar *id = nav_device_id_from_public_key (key);

      g_hash_table_insert (self->peer_ids, id, g_strdup (from));
    }
  if (accepted && signature != NULL)
    {
      g_autoptr (GBytes) key = g_bytes_new (decoded + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);
      gchar *id = nav_device_id_from_public_key (key);

      if (path < PATH_RELAY)
        {
          Link *link = g_hash_table_lookup (self->links, id);

          if (link != NULL && path == PATH_ROOM && g_strcmp0 (link->peer, from) != 0)
            {
              g_free (link->peer);
              link->peer = g_strdup (from);
            }
          g_hash_table_insert (self->peer_ids, id, g_strdup (from));
        }
      else if (signer_peer != NULL && !g_hash_table_contains (self->peer_ids, id))
        {
          /* The hub says where the signer is in the room: how two
           * spokes that only hear each other through it find each
           * other to link (the warm standby's runner-up). */
          g_hash_table_insert (self->peer_ids, id, g_strdup (signer_peer));
        }
      else
        g_free (id);
      remember_seen (self, signature, path);
      if (path == PATH_CHANNEL && relays_through_hub (self) &&
          nav_election_get_role (self->election) == NAV_ELECTION_ROLE_HUB)
        {
          g_autofree gchar *text = g_strconcat (RELAY_PREFIX, from, " ", b64, NULL);

          broadcast_direct (self, text, from, FALSE, NULL);
        }
    }
  /* An election may have happened: run the clock now. */
  schedule_tick (self, g_get_monotonic_time ());
}

static void handle_link (NavGroup *self, const gchar *from, const gchar *body);

/* A text of the group, from the room or from a link's channel. */
static void
handle_text (NavGroup    *self,
             const gchar *from,
             const gchar *text,
             Path         path)
{
  if (g_str_has_prefix (text, RECORD_PREFIX))
    {
      self->received[path]++;
      handle_record (self, from, text + strlen (RECORD_PREFIX), path, NULL);
    }
  else if (g_str_has_prefix (text, RELAY_PREFIX))
    {
      g_autofree gchar *hub = nav_election_dup_hub_id (self->election);
      const gchar *hub_peer = hub != NULL ? g_hash_table_lookup (self->peer_ids, hub) : NULL;
      /* `nav-election-relay/1 SIGNER-PEER-ID BASE64` */
      g_auto (GStrv) parts = g_strsplit (text + strlen (RELAY_PREFIX), " ", 2);

      /* Only the hub relays (a newcomer knows no hub yet). */
      if ((hub != NULL && g_strcmp0 (hub_peer, from) != 0) || g_strv_length (parts) != 2 ||
          strlen (parts[0]) == 0 || strlen (parts[0]) > 64)
        return;
      self->received[PATH_RELAY]++;
      handle_record (self, from, parts[1], path == PATH_ROOM ? PATH_ROOM_RELAY : PATH_RELAY,
                     parts[0]);
    }
  else if (g_str_has_prefix (text, MESSAGE_PREFIX))
    {
      self->received[path]++;
      handle_message (self, from, text + strlen (MESSAGE_PREFIX), path);
    }
  else if (g_str_has_prefix (text, MESSAGE_PREFIX_1))
    {
      /* Version 1 had no PREV: its signature covers none, so nothing
       * tells where the sender's order starts. */
      self->received[path]++;
      refuse_message (self, from, "version 1 (no PREV)");
    }
  else if (g_str_has_prefix (text, ACK_PREFIX))
    handle_ack (self, text + strlen (ACK_PREFIX));
  else if (g_str_has_prefix (text, LINK_PREFIX) && path == PATH_ROOM)
    handle_link (self, from, text + strlen (LINK_PREFIX));
}

static void
on_candidate (NavSignalingClient *client,
              const gchar        *room,
              const gchar        *from,
              const gchar        *candidate,
              NavGroup           *self)
{
  if (g_strcmp0 (room, self->room) != 0 || from == NULL || candidate == NULL)
    return;
  handle_text (self, from, candidate, PATH_ROOM);
}

/* ------------------------------------------------------------ links */

static void link_send_signal (Link *link, const gchar *kind, const gchar *payload);

static guint
count_open_links (NavGroup *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += ((Link *) value)->open;
  return n;
}

static void
link_free (gpointer data)
{
  Link *link = data;

  if (link->direct && link->group->election != NULL)
    nav_election_set_direct_link (link->group->election, link->device_id, FALSE);
  g_cancellable_cancel (link->cancellable);
  g_clear_object (&link->cancellable);
  if (link->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (link->channel, link);
      nav_channel_close (NAV_CHANNEL (link->channel));
      g_clear_object (&link->channel);
    }
  if (link->pc != NULL)
    {
      g_signal_handlers_disconnect_by_data (link->pc, link);
      nav_peer_connection_close (link->pc);
      g_clear_object (&link->pc);
    }
  g_queue_clear_full (&link->sent, sent_text_free);
  g_ptr_array_unref (link->remote_candidates);
  g_free (link->peer);
  g_free (link->device_id);
  g_free (link->nonce);
  g_free (link);
}

/* Whether the link reached its member directly: open, not stalled,
 * and its ICE selected pair has neither end relayed (host, srflx or
 * prflx at both ends, RFC 8445 §5.1.1.1: the two reached each other
 * without a TURN server).  The election lists such members in this
 * device's records: how the others verify their reachability. */
static void
link_update_direct (Link *link)
{
  NavCandidate *local = NULL, *remote = NULL;
  gboolean direct = FALSE;

  if (link->open && link->stalled_since_us == 0 && link->pc != NULL &&
      nav_agent_get_selected_pair (nav_peer_connection_get_agent (link->pc), 1, 1,
                                   &local, &remote))
    {
      direct = local->type != NAV_CANDIDATE_TYPE_RELAYED &&
               remote->type != NAV_CANDIDATE_TYPE_RELAYED;
      nav_candidate_free (local);
      nav_candidate_free (remote);
    }
  if (direct == link->direct)
    return;
  link->direct = direct;
  g_debug ("group: link to %s %s", link->device_id, direct ? "direct" : "not direct");
  nav_election_set_direct_link (link->group->election, link->device_id, direct);
  /* The change goes out with the next record: now. */
  schedule_tick (link->group, g_get_monotonic_time ());
}

static void
link_set_open (Link     *link,
               gboolean  open)
{
  NavGroup *self = link->group;

  if (link->open == open)
    return;
  link->open = open;
  link->was_open |= open;
  g_debug ("group: link to %s %s", link->device_id, open ? "open" : "closed");
  link_update_direct (link);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINKS_OPEN]);
  g_signal_emit (self, signals[SIGNAL_LINK_CHANGED], 0, link->device_id, open);
}

static gboolean
remove_link_idle (gpointer data)
{
  NavGroup *self = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      NavPeerConnectionState state = nav_peer_connection_get_connection_state (link->pc);

      if (state == NAV_PEER_CONNECTION_STATE_CLOSED ||
          (state == NAV_PEER_CONNECTION_STATE_FAILED && !link->was_open) ||
          (link->channel != NULL &&
           nav_channel_get_state (NAV_CHANNEL (link->channel)) >= NAV_CHANNEL_STATE_CLOSING))
        g_hash_table_iter_remove (&iter);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* A link that stalled and then died (its association gave up: a
 * partition, a member gone for long) may have taken messages that never
 * arrived: what it carried reliably lately goes again through the room
 * (the receiver delivers each message once, by origin and sequence).  A
 * link that never stalled and is closed lost nothing. */
static void
link_resend (Link *link)
{
  gint64 now = g_get_monotonic_time ();

  if (link->last_stall_us != 0 && now - link->last_stall_us < RESEND_WINDOW_US &&
      link->peer != NULL)
    {
      guint count = 0;

      while (!g_queue_is_empty (&link->sent))
        {
          SentText *t = g_queue_pop_head (&link->sent);

          if (t->at_us >= link->last_stall_us - RESEND_BEFORE_STALL_US)
            {
              send_room (link->group, link->peer, t->text);
              count++;
            }
          sent_text_free (t);
        }
      if (count > 0)
        g_debug ("group: link to %s lost after a stall: %u texts again through the room",
                 link->device_id, count);
    }
  g_queue_clear_full (&link->sent, sent_text_free);
}

/* Failed or closed: dropped (from an idle: we are in its callbacks);
 * the room carries its traffic again, and the link is made anew if
 * still wanted. */
static void
link_lost (Link *link)
{
  link_resend (link);
  link_set_open (link, FALSE);
  g_idle_add (remove_link_idle, g_object_ref (link->group));
}

static void
on_link_text (NavDataChannel *channel,
              const gchar    *text,
              Link           *link)
{
  link->window_rx += strlen (text);
  handle_text (link->group, link->peer, text, PATH_CHANNEL);
}

static void
on_link_channel_state (NavChannel      *channel,
                       NavChannelState  state,
                       Link            *link)
{
  if (state == NAV_CHANNEL_STATE_OPEN)
    link_set_open (link, TRUE);
  else if (state >= NAV_CHANNEL_STATE_CLOSING)
    link_lost (link);
}

static void
link_take_channel (Link           *link,
                   NavDataChannel *channel)
{
  link->channel = channel;
  g_signal_connect (channel, "text-message", G_CALLBACK (on_link_text), link);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_link_channel_state), link);
  if (nav_channel_get_state (NAV_CHANNEL (channel)) == NAV_CHANNEL_STATE_OPEN)
    link_set_open (link, TRUE);
}

static void
on_link_data_channel (NavPeerConnection *pc,
                      NavDataChannel    *channel,
                      Link              *link)
{
  g_autofree gchar *label = nav_data_channel_dup_label (channel);

  if (link->channel != NULL || g_strcmp0 (label, LINK_LABEL) != 0)
    return;
  link_take_channel (link, g_object_ref (channel));
}

static void
on_link_ice_candidate (NavPeerConnection *pc,
                       const gchar       *candidate,
                       const gchar       *mid,
                       guint              index,
                       Link              *link)
{
  if (candidate != NULL)
    link_send_signal (link, "cand", candidate);
}

static void
on_link_state (NavPeerConnection *pc,
               GParamSpec        *pspec,
               Link              *link)
{
  NavPeerConnectionState state = nav_peer_connection_get_connection_state (pc);

  /* A link that worked and fails (its path lost: a member moved) is
   * kept: the peer connection asks for an ICE restart, which keeps the
   * DTLS association and the channel (persistent sessions). */
  if (state == NAV_PEER_CONNECTION_STATE_CLOSED ||
      (state == NAV_PEER_CONNECTION_STATE_FAILED && !link->was_open))
    link_lost (link);
}

static void
link_stall (Link *link)
{
  if (link->stalled_since_us == 0)
    {
      g_debug ("group: link to %s stalled", link->device_id);
      link->stalled_since_us = g_get_monotonic_time ();
      link->last_stall_us = link->stalled_since_us;
      link_update_direct (link);
    }
}

/* After a renegotiation, or when ICE says so: a link whose ICE is
 * connected again (the restart's new pair, or the old one still
 * carrying data) takes the group's traffic again. */
static void
link_check_unstall (Link *link)
{
  NavIceConnectionState state = nav_peer_connection_get_ice_connection_state (link->pc);

  if (link->stalled_since_us == 0 ||
      nav_peer_connection_get_signaling_state (link->pc) != NAV_SIGNALING_STATE_STABLE ||
      (state != NAV_ICE_CONNECTION_STATE_CONNECTED && state != NAV_ICE_CONNECTION_STATE_COMPLETED))
    return;
  g_debug ("group: link to %s back after %" G_GINT64_FORMAT " ms", link->device_id,
           (g_get_monotonic_time () - link->stalled_since_us) / 1000);
  link->stalled_since_us = 0;
  link_update_direct (link);
}

static void
on_link_ice_state (NavPeerConnection *pc,
                   GParamSpec        *pspec,
                   Link              *link)
{
  NavIceConnectionState state = nav_peer_connection_get_ice_connection_state (pc);

  if (state == NAV_ICE_CONNECTION_STATE_DISCONNECTED || state == NAV_ICE_CONNECTION_STATE_FAILED)
    {
      if (link->was_open)
        link_stall (link);
    }
  else
    link_check_unstall (link);
}

static void link_make_offer (Link *link);

/* The peer connection wants an ICE restart (its path failed, or we
 * asked): renegotiated through the room with the link's nonce. */
static void
on_link_negotiation_needed (NavPeerConnection *pc,
                            Link              *link)
{
  if (!link->was_open)
    return;     /* the first offer is link_create()'s */
  link->group->ice_restarts++;
  link_stall (link);
  link_make_offer (link);
}

static Link *
link_new (NavGroup    *self,
          const gchar *peer,
          const gchar *device_id,
          const gchar *nonce,
          gboolean     offerer)
{
  Link *link = g_new0 (Link, 1);

  link->group = self;
  link->peer = g_strdup (peer);
  link->device_id = g_strdup (device_id);
  link->nonce = g_strdup (nonce);
  link->offerer = offerer;
  link->cancellable = g_cancellable_new ();
  link->remote_candidates = g_ptr_array_new_with_free_func (g_free);
  link->pc = nav_peer_connection_new (NULL);
  g_signal_connect (link->pc, "ice-candidate", G_CALLBACK (on_link_ice_candidate), link);
  g_signal_connect (link->pc, "data-channel", G_CALLBACK (on_link_data_channel), link);
  g_signal_connect (link->pc, "notify::connection-state", G_CALLBACK (on_link_state), link);
  g_signal_connect (link->pc, "notify::ice-connection-state", G_CALLBACK (on_link_ice_state), link);
  g_signal_connect (link->pc, "negotiation-needed", G_CALLBACK (on_link_negotiation_needed), link);
  g_object_set (nav_peer_connection_get_agent (link->pc),
                "consent-interval", (guint) LINK_CONSENT_INTERVAL_MS,
                "consent-timeout", (guint) LINK_CONSENT_TIMEOUT_MS, NULL);
  g_hash_table_replace (self->links, link->device_id, link);
  self->links_created++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINKS_CREATED]);
  return link;
}

/* Negotiation through addressed messages of the room:
 * `nav-link/1 KIND DEVICE-ID NONCE PAYLOAD`, KIND offer, answer or cand,
 * PAYLOAD base64 (SDP, or a candidate line). */
/* What a link's offer or answer signs: the kind, the sender's and the
 * receiver's device ids, the link's nonce and the session description
 * (hence its a=fingerprint, RFC 8122 §5: the DTLS certificate the peer
 * connection then insists on).  A description signed by the device key
 * of the member it names binds that member's key to the link's DTLS
 * certificate: another room member cannot offer a link in its name. */
static GBytes *
link_signed_bytes (const gchar *kind,
                   const gchar *from_id,
                   const gchar *to_id,
                   const gchar *nonce,
                   const gchar *payload)
{
  gchar *text = g_strdup_printf ("nav-link-signature/1 %s %s %s %s %s", kind, from_id, to_id,
                                 nonce, payload);

  return g_bytes_new_take (text, strlen (text));
}

static void
link_send_signal (Link        *link,
                  const gchar *kind,
                  const gchar *payload)
{
  NavGroup *self = link->group;
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  g_autofree gchar *b64 = g_base64_encode ((const guchar *) payload, strlen (payload));
  g_autofree gchar *text = NULL;

  if (strcmp (kind, "cand") != 0)
    {
      g_autoptr (GBytes) data = link_signed_bytes (kind, me, link->device_id, link->nonce, payload);
      g_autoptr (GBytes) signature = nav_device_identity_sign (self->identity, data);
      g_autofree gchar *sig64 = g_base64_encode (g_bytes_get_data (signature, NULL),
                                                 g_bytes_get_size (signature));

      text = g_strdup_printf (LINK_PREFIX "%s %s %s %s %s", kind, me, link->nonce, b64, sig64);
    }
  else
    text = g_strdup_printf (LINK_PREFIX "%s %s %s %s", kind, me, link->nonce, b64);
  send_room (self, link->peer, text);
}

/* Whether an offer or answer is signed by the device key of the member
 * it names (known from that member's verified records). */
static gboolean
link_signature_valid (NavGroup    *self,
                      const gchar *kind,
                      const gchar *from_id,
                      const gchar *nonce,
                      const gchar *payload,
                      const gchar *sig64)
{
  guint8 key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  g_autoptr (GBytes) key_bytes = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GBytes) signature = NULL;
  guchar *decoded;
  gsize length = 0;

  if (sig64 == NULL)
    return FALSE;
  if (nav_election_lookup_member_key (self->election, from_id, key))
    key_bytes = g_bytes_new (key, sizeof key);
  else if (g_hash_table_contains (self->link_keys, from_id))
    key_bytes = g_bytes_ref (g_hash_table_lookup (self->link_keys, from_id));
  else
    return FALSE;
  decoded = g_base64_decode (sig64, &length);
  signature = g_bytes_new_take (decoded, length);
  data = link_signed_bytes (kind, from_id, nav_device_identity_get_device_id (self->identity),
                            nonce, payload);
  if (!nav_device_identity_verify (key_bytes, data, signature))
    return FALSE;
  if (g_hash_table_size (self->link_keys) >= LINK_KEYS_MAX)
    g_hash_table_remove_all (self->link_keys);
  g_hash_table_replace (self->link_keys, g_strdup (from_id), g_bytes_ref (key_bytes));
  return TRUE;
}

/* Callbacks of async calls get the peer id, not the link: the link may
 * be gone (replaced, failed) when they run. */
typedef struct
{
  NavGroup *group;
  gchar *peer;               /* the device id */
  gchar *nonce;
} LinkRef;

static LinkRef *
link_ref_new (Link *link)
{
  LinkRef *ref = g_new0 (LinkRef, 1);

  ref->group = g_object_ref (link->group);
  ref->peer = g_strdup (link->device_id);
  ref->nonce = g_strdup (link->nonce);
  return ref;
}

static Link *
link_ref_resolve (LinkRef *ref)
{
  Link *link = g_hash_table_lookup (ref->group->links, ref->peer);

  return link != NULL && strcmp (link->nonce, ref->nonce) == 0 ? link : NULL;
}

static void
link_ref_free (LinkRef *ref)
{
  g_object_unref (ref->group);
  g_free (ref->peer);
  g_free (ref->nonce);
  g_free (ref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LinkRef, link_ref_free)

static void
link_flush_remote (Link *link)
{
  guint i;

  for (i = 0; i < link->remote_candidates->len; i++)
    nav_peer_connection_add_ice_candidate (link->pc, g_ptr_array_index (link->remote_candidates, i),
                                           NULL, -1, NULL);
  g_ptr_array_set_size (link->remote_candidates, 0);
}

static void
link_described (GObject      *source,
                GAsyncResult *result,
                LinkRef      *ref,
                gboolean      offer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) description = NULL;
  NavPeerConnection *pc = NAV_PEER_CONNECTION (source);
  Link *link;

  description = offer ? nav_peer_connection_create_offer_finish (pc, result, &error)
                      : nav_peer_connection_create_answer_finish (pc, result, &error);
  link = link_ref_resolve (ref);
  if (link != NULL && offer)
    link->making_offer = FALSE;
  if (description == NULL || link == NULL || link->pc != pc)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("group: link negotiation failed: %s", error->message);
      return;
    }
  if (!nav_peer_connection_set_local_description (link->pc, description, &error))
    {
      g_debug ("group: link description not set: %s", error->message);
      return;
    }
  link_send_signal (link, offer ? "offer" : "answer", nav_session_description_get_sdp (description));
  if (!offer)
    link_check_unstall (link);
}

static void
on_link_offer (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (LinkRef) ref = user_data;

  link_described (source, result, ref, TRUE);
}

static void
on_link_answer (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (LinkRef) ref = user_data;

  link_described (source, result, ref, FALSE);
}

static void
link_make_offer (Link *link)
{
  if (link->making_offer)
    return;
  link->making_offer = TRUE;
  nav_peer_connection_create_offer_async (link->pc, link->cancellable, on_link_offer,
                                          link_ref_new (link));
}

static void
link_create (NavGroup    *self,
             const gchar *peer,
             const gchar *device_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *nonce = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  Link *link = link_new (self, peer, device_id, nonce, TRUE);
  NavDataChannel *channel = nav_peer_connection_create_data_channel (link->pc, LINK_LABEL, NULL,
                                                                      &error);

  if (channel == NULL)
    {
      g_debug ("group: no channel to %s: %s", device_id, error->message);
      g_hash_table_remove (self->links, device_id);
      return;
    }
  link_take_channel (link, channel);
  link_make_offer (link);
}

static void
handle_link (NavGroup    *self,
             const gchar *from,
             const gchar *body)
{
  g_auto (GStrv) parts = g_strsplit (body, " ", 5);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *payload = NULL;
  Link *link;
  gsize length;
  guchar *decoded;
  guint n = g_strv_length (parts);

  if (!self->use_channels || n < 4 || strlen (parts[1]) != 32 ||
      strlen (parts[2]) == 0 || strlen (parts[2]) > 64)
    {
      g_debug ("group: malformed link message from %s dropped", from);
      return;
    }
  decoded = g_base64_decode (parts[3], &length);
  payload = g_strndup ((const gchar *) decoded, length);
  g_free (decoded);
  if (strcmp (parts[1], nav_device_identity_get_device_id (self->identity)) == 0)
    return;
  if ((strcmp (parts[0], "offer") == 0 || strcmp (parts[0], "answer") == 0) &&
      !link_signature_valid (self, parts[0], parts[1], parts[2], payload, n == 5 ? parts[4] : NULL))
    {
      self->links_refused++;
      g_debug ("group: link %s from %s in the name of %s not signed by its device key: refused",
               parts[0], from, parts[1]);
      return;
    }
  link = g_hash_table_lookup (self->links, parts[1]);
  if (link != NULL && strcmp (link->nonce, parts[2]) == 0 && g_strcmp0 (link->peer, from) != 0)
    {
      /* The member reconnected to the signaling server (a network
       * change): the link's messages go to its new peer id. */
      g_free (link->peer);
      link->peer = g_strdup (from);
    }

  if (strcmp (parts[0], "offer") == 0)
    {
      g_autoptr (NavSessionDescription) offer = nav_session_description_new (NAV_SDP_TYPE_OFFER, payload);

      if (link == NULL || strcmp (link->nonce, parts[2]) != 0)
        {
          const gchar *me = nav_signaling_client_get_peer_id (self->client);

          /* Both offered at once: the lower peer id's offer wins. */
          if (link != NULL && link->offerer && !link->open && g_strcmp0 (me, from) < 0)
            return;
          /* A working link is not replaced by another's word. */
          if (link != NULL && link->open && link->stalled_since_us == 0)
            return;
          if (link != NULL)
            g_hash_table_remove (self->links, parts[1]);
          link = link_new (self, from, parts[1], parts[2], FALSE);
        }
      else if (nav_peer_connection_get_signaling_state (link->pc) == NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER)
        {
          /* Both restart at once: the lower device id's offer wins
           * (W3C webrtc-pc §10.7's perfect negotiation, by device id). */
          g_autoptr (NavSessionDescription) rollback = NULL;

          if (strcmp (nav_device_identity_get_device_id (self->identity), parts[1]) < 0)
            return;
          rollback = nav_session_description_new (NAV_SDP_TYPE_ROLLBACK, "");
          nav_peer_connection_set_local_description (link->pc, rollback, NULL);
        }
      /* Else a renegotiation of our link (an ICE restart, RFC 8445 §9:
       * the same DTLS association and channel go on). */
      if (!nav_peer_connection_set_remote_description (link->pc, offer, &error))
        {
          g_debug ("group: unusable link offer from %s: %s", from, error->message);
          return;
        }
      link_flush_remote (link);
      nav_peer_connection_create_answer_async (link->pc, link->cancellable, on_link_answer,
                                               link_ref_new (link));
    }
  else if (link == NULL || strcmp (link->nonce, parts[2]) != 0)
    return;
  else if (strcmp (parts[0], "answer") == 0)
    {
      g_autoptr (NavSessionDescription) answer = nav_session_description_new (NAV_SDP_TYPE_ANSWER, payload);

      if (!nav_peer_connection_set_remote_description (link->pc, answer, &error))
        {
          g_debug ("group: unusable link answer from %s: %s", from, error->message);
          return;
        }
      link->restarting = FALSE;
      link_flush_remote (link);
      link_check_unstall (link);
    }
  else if (strcmp (parts[0], "cand") == 0)
    {
      g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (link->pc);

      if (remote == NULL || link->restarting)
        g_ptr_array_add (link->remote_candidates, g_steal_pointer (&payload));
      else if (!nav_peer_connection_add_ice_candidate (link->pc, payload, NULL, -1, &error))
        g_debug ("group: link candidate from %s not used: %s", from, error->message);
    }
}

/* Whether this member keeps a link to @device_id (docs/election.md):
 * mesh, every pair; star, the hub with every spoke (and, with
 * warm-standby, the runner-up with every spoke too); hybrid, a mesh
 * among the first core-size members of the election's order, a star
 * for the others. */
static gboolean
link_wanted (NavGroup           *self,
             const gchar        *device_id,
             const gchar        *hub,
             const gchar        *runner_up,
             const gchar * const *members)
{
  const gchar *me = nav_device_identity_get_device_id (self->identity);

  if (self->topology == NAV_GROUP_TOPOLOGY_MESH)
    return TRUE;
  if (hub == NULL)
    return FALSE;
  if (strcmp (me, hub) == 0 || strcmp (device_id, hub) == 0)
    return TRUE;
  if (self->warm_standby && runner_up != NULL &&
      (strcmp (me, runner_up) == 0 || strcmp (device_id, runner_up) == 0))
    return TRUE;
  if (self->topology == NAV_GROUP_TOPOLOGY_HYBRID)
    {
      gboolean me_core = FALSE, them_core = FALSE;
      guint i;

      for (i = 0; members[i] != NULL && i < self->core_size; i++)
        {
          me_core |= strcmp (members[i], me) == 0;
          them_core |= strcmp (members[i], device_id) == 0;
        }
      return me_core && them_core;
    }
  return FALSE;
}

/* Makes the links the topology wants to the members of the view.  Of a
 * pair, the member whose signaling peer id sorts first offers (the other
 * would too if its view differs: the offers' glare is resolved the same
 * way in handle_link). */
static void
reconcile_links (NavGroup *self,
                 gboolean  prune)
{
  g_autofree gchar *hub = NULL;
  g_autofree gchar *runner_up = NULL;
  g_auto (GStrv) members = NULL;
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  const gchar *my_peer;
  guint i;

  if (!self->use_channels || !self->joined)
    return;
  my_peer = nav_signaling_client_get_peer_id (self->client);
  hub = nav_election_dup_hub_id (self->election);
  runner_up = nav_election_dup_runner_up_id (self->election);
  members = nav_election_dup_members (self->election);
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  for (i = 0; members[i] != NULL; i++)
    {
      const gchar *peer = g_hash_table_lookup (self->peer_ids, members[i]);

      if (strcmp (members[i], me) == 0 || peer == NULL ||
          g_hash_table_contains (self->links, members[i]) ||
          !link_wanted (self, members[i], hub, runner_up, (const gchar * const *) members))
        continue;
      if (g_strcmp0 (my_peer, peer) < 0)
        link_create (self, peer, members[i]);
    }

  /* Links the topology no longer wants (or to members gone from the
   * view) are closed after a linger; only from the clock, never inside
   * a link's own callbacks. */
  if (!prune)
    return;
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;
      /* A member gone from the view may be moving (its records come
       * back when its ICE restart does): its link goes only when its
       * path does not come back.  While electing, nothing is pruned. */
      gboolean wanted = hub == NULL ||
                        !g_strv_contains ((const gchar * const *) members, link->device_id) ||
                        link_wanted (self, link->device_id, hub, runner_up,
                                     (const gchar * const *) members);

      if (link->stalled_since_us != 0 && now - link->stalled_since_us >= STALLED_GIVE_UP_US)
        {
          g_debug ("group: link to %s did not come back: dropped", link->device_id);
          link_resend (link);
          link_set_open (link, FALSE);
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (wanted)
        link->unwanted_since_us = 0;
      else if (link->unwanted_since_us == 0)
        link->unwanted_since_us = now;
      else if (now - link->unwanted_since_us >= UNWANTED_LINGER_US)
        {
          g_debug ("group: link to %s no longer wanted: closed", link->device_id);
          link_set_open (link, FALSE);
          g_hash_table_iter_remove (&iter);
        }
    }
}

/* Connected to the signaling server again after losing it: this
 * member's network most likely changed.  Its links restart ICE (the
 * peer connections, their DTLS associations and channels stay: a
 * persistent session), negotiated through the room from the new peer
 * id; until they are back, the room carries the traffic. */
static void
on_client_connected (NavSignalingClient *client,
                     const gchar        *peer_id,
                     NavGroup           *self)
{
  if (!self->ever_connected)
    {
      self->ever_connected = TRUE;
      return;
    }
  g_debug ("group: signaling connected again as %s", peer_id);
  nav_group_network_changed (self);
}

/* How often the group lists this device's interface addresses: once a
 * second when it has no netlink socket (and while a new signaling
 * connection is to be tried again); with one, the kernel says when an
 * address goes and the listing is only a safety net. */
#define ADDRESS_CHECK_US (G_USEC_PER_SEC)
#define ADDRESS_SAFETY_CHECK_US (5 * G_USEC_PER_SEC)
/* After a notification, the group waits this long for the next one
 * before it lists the addresses (up to ADDRESS_DEBOUNCE_MAX_US after the
 * first): `ip addr del` then `ip addr add`, or a DHCP client replacing
 * its lease, is one change, and one new signaling connection. */
#define ADDRESS_DEBOUNCE_US (10 * 1000)
#define ADDRESS_DEBOUNCE_MAX_US (50 * 1000)

/* The addresses of this device's interfaces that are up, loopback and
 * IPv6 link-local left out, as text. */
static GHashTable *
list_own_addresses (void)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GList *list = nav_host_gatherer_list_local_addresses (FALSE, TRUE, TRUE);
  GList *l;

  for (l = list; l != NULL; l = l->next)
    g_hash_table_add (set, nav_address_to_string (l->data));
  g_list_free_full (list, (GDestroyNotify) nav_address_free);
  return set;
}

static void reconnect_signaling (NavGroup *self);

static void
on_reconnected (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (NavGroup) self = user_data;
  g_autoptr (GError) error = NULL;

  if (NAV_SIGNALING_CLIENT (source) != self->client)
    return;   /* left, or replaced again meanwhile */
  self->reconnecting = FALSE;
  if (!nav_signaling_client_connect_finish (self->client, result, &error) ||
      !nav_signaling_client_join (self->client, self->room, NULL, &error))
    {
      g_debug ("group: signaling connection from the new address failed: %s", error->message);
      if (self->address_came)
        {
          /* It started between an address's removal and its
           * replacement's arrival (an IPv6-only host has no address at
           * all in between): the new one is there now. */
          reconnect_signaling (self);
          return;
        }
      /* Tried again at the next address notification or check, within
       * a second (the new address may not be there yet). */
      self->reconnect_pending = TRUE;
      self->next_address_check_us = MIN (self->next_address_check_us,
                                         g_get_monotonic_time () + ADDRESS_CHECK_US);
      return;
    }
  g_debug ("group: signaling connected again from the new address as %s",
           nav_signaling_client_get_peer_id (self->client));
  g_signal_connect (self->client, "connected", G_CALLBACK (on_client_connected), self);
  nav_group_network_changed (self);
}

/* A new signaling connection, from the addresses this device has now. */
static void
reconnect_signaling (NavGroup *self)
{
  g_autofree gchar *uri = g_strdup (nav_signaling_client_get_uri (self->client));
  NavSignalingClient *client = nav_signaling_client_new (uri);

  self->reconnect_pending = FALSE;
  if (client == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->client, self);
  nav_signaling_client_disconnect (self->client);
  g_object_unref (self->client);
  self->client = client;
  g_signal_connect (self->client, "candidate", G_CALLBACK (on_candidate), self);
  self->reconnecting = TRUE;
  self->address_came = FALSE;
  nav_signaling_client_connect_async (self->client, NULL, on_reconnected, g_object_ref (self));
}

/* This device's own interface address changed (ip addr del/add, a new
 * DHCP lease; not its NAT's public address, which the signaling
 * connection's loss tells).  The signaling connection's socket is bound
 * to the address that went away: what it sends leaves with a source
 * address nobody answers, and the server's side is not told: it would
 * take the keepalive's timeout to notice.  So the group opens a new
 * connection at once and, joined again, restarts ICE on its links
 * through it (nav_group_network_changed()); the restarts gather host
 * candidates on the new address (the agent does at an ICE restart).
 *
 * The listing decides, whatever told the group to look (a netlink
 * notification, debounced; the periodic check): only an address that
 * was there and is not any more counts, so a new address alone changes
 * nothing, and a notification about an address the listing leaves out
 * (loopback, IPv6 link-local) or about nothing that matters costs one
 * listing. */
static void
check_own_addresses (NavGroup *self,
                     gint64    now_us,
                     gboolean  now_anyway)
{
  g_autoptr (GHashTable) now = NULL;
  GHashTableIter iter;
  gpointer key;
  const gchar *gone = NULL;

  if (!self->joined || self->client == NULL)
    return;
  if (!now_anyway && now_us < self->next_address_check_us)
    return;
  self->next_address_check_us = now_us + (self->address_monitor != NULL && !self->reconnect_pending
                                          ? ADDRESS_SAFETY_CHECK_US : ADDRESS_CHECK_US);
  now = list_own_addresses ();
  if (self->addresses != NULL)
    {
      g_hash_table_iter_init (&iter, self->addresses);
      while (gone == NULL && g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (now, key))
          gone = key;
      /* A new address while a new connection is being made: if that
       * attempt fails (it may have had no address to leave from), the
       * next goes at once instead of at the next check. */
      g_hash_table_iter_init (&iter, now);
      while (self->reconnecting && !self->address_came &&
             g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (self->addresses, key))
          self->address_came = TRUE;
    }
  if (gone != NULL)
    {
      g_debug ("group: the address %s of this device is gone: a new signaling connection", gone);
      self->reconnect_pending = TRUE;
    }
  g_clear_pointer (&self->addresses, g_hash_table_unref);
  self->addresses = g_steal_pointer (&now);
  if (self->reconnect_pending)
    reconnect_signaling (self);
}

static gboolean
address_debounce_cb (gpointer data)
{
  NavGroup *self = data;

  g_clear_pointer (&self->address_debounce, g_source_unref);
  self->address_event_first_us = 0;
  check_own_addresses (self, g_get_monotonic_time (), TRUE);
  return G_SOURCE_REMOVE;
}

/* The kernel announced an address or link change (or lost some
 * announcements): the addresses are listed once the run of
 * notifications is over (ADDRESS_DEBOUNCE_US of quiet, at most
 * ADDRESS_DEBOUNCE_MAX_US after its first). */
static void
on_address_event (const NavNetAddrEvent *event,
                  gpointer               user_data)
{
  NavGroup *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 due;

  if ((event->kind == NAV_NET_ADDR_EVENT_ADDED || event->kind == NAV_NET_ADDR_EVENT_REMOVED) &&
      nav_net_addr_event_is_local_only (event))
    return;
  if (event->kind == NAV_NET_ADDR_EVENT_REMOVED)
    {
      gchar text[64];

      g_debug ("group: netlink: the address %s of interface %u went",
               nav_net_addr_event_address_to_string (event, text, sizeof text), event->ifindex);
    }
  if (self->address_event_first_us == 0)
    self->address_event_first_us = now;
  due = MIN (now + ADDRESS_DEBOUNCE_US, self->address_event_first_us + ADDRESS_DEBOUNCE_MAX_US);
  if (self->address_debounce == NULL)
    {
      self->address_debounce = g_timeout_source_new (ADDRESS_DEBOUNCE_US / 1000);
      g_source_set_callback (self->address_debounce, address_debounce_cb, self, NULL);
      g_source_set_static_name (self->address_debounce, "[nav] group address debounce");
      g_source_attach (self->address_debounce, self->context);
    }
  /* A ready time, not a timeout's interval: moved at each event. */
  g_source_set_ready_time (self->address_debounce, due);
}

/* Joined: the addresses this device has now, and the kernel's
 * notifications of their changes from here on (without them, the
 * periodic check finds a change up to ADDRESS_CHECK_US late).
 * NAV_ADDRESS_MONITOR=0 in the environment makes the group poll, as
 * without netlink. */
static void
watch_own_addresses (NavGroup *self)
{
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->addresses, g_hash_table_unref);
  self->addresses = list_own_addresses ();
  if (self->address_monitor != NULL)
    return;
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (g_strcmp0 (g_getenv ("NAV_ADDRESS_MONITOR"), "0") == 0)
    {
      g_debug ("group: NAV_ADDRESS_MONITOR=0: polling the addresses");
      return;
    }
  self->address_monitor = nav_net_addr_monitor_new (self->context, on_address_event, self, &error);
  if (self->address_monitor == NULL)
    g_debug ("group: no address notifications (%s): polling the addresses", error->message);
  self->next_address_check_us = g_get_monotonic_time () +
                                (self->address_monitor != NULL ? ADDRESS_SAFETY_CHECK_US
                                                               : ADDRESS_CHECK_US);
}

static void
unwatch_own_addresses (NavGroup *self)
{
  g_clear_pointer (&self->address_monitor, nav_net_addr_monitor_free);
  if (self->address_debounce != NULL)
    {
      g_source_destroy (self->address_debounce);
      g_clear_pointer (&self->address_debounce, g_source_unref);
    }
  self->address_event_first_us = 0;
  self->reconnecting = self->address_came = FALSE;
  g_clear_pointer (&self->context, g_main_context_unref);
}

/**
 * nav_group_network_changed:
 * @self: a group
 *
 * Tells the group that this device's network changed (an application
 * that watches `GNetworkMonitor` calls it; the group calls it itself
 * when its signaling connection comes back after a loss): every link
 * restarts ICE (RFC 8445 §9) on its peer connection, keeping the DTLS
 * association and the data channel, so that the session goes on and
 * what was sent on the reliable channels arrives once.
 *
 * Since: 1.0
 */
void
nav_group_network_changed (NavGroup *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NAV_IS_GROUP (self));
  g_debug ("group: network changed: ICE restarts on %u links", g_hash_table_size (self->links));
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      if (!link->was_open)
        continue;
      link_stall (link);
      nav_peer_connection_restart_ice (link->pc);
    }
}

/**
 * nav_group_send:
 * @self: a group
 * @data: the message
 * @error: return location for a #GError
 *
 * Sends @data to every other member, through the hub in a star (kept
 * until the hub acknowledges it, and sent again to the next hub).  In a
 * hybrid, a member of the core sends it to the other core members
 * directly over its open links too, and the hub relays it to the
 * others only.
 *
 * Returns: %TRUE if sent or queued
 *
 * Since: 1.0
 */
gboolean
nav_group_send (NavGroup  *self,
                GBytes    *data,
                GError   **error)
{
  const gchar *me;
  g_autofree gchar *hub = NULL;
  guint64 prev;
  Pending *p;

  g_return_val_if_fail (NAV_IS_GROUP (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (!self->joined)
    {
      g_set_error_literal (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_FAILED,
                           _("The group is not joined"));
      return FALSE;
    }
  me = nav_device_identity_get_device_id (self->identity);
  /* The sequence is this device's wall clock in µs (strictly increasing
   * whatever the clock does), PREV the previous message's: a receiver
   * tells from their difference how long before this message the
   * previous one was sent (deliver()), on the sender's clock alone. */
  prev = self->sent_any ? self->sequence : 0;
  self->sequence = MAX (self->sequence + 1, (guint64) MAX (g_get_real_time (), 1));
  self->sent_any = TRUE;
  hub = nav_election_dup_hub_id (self->election);
  if (self->topology == NAV_GROUP_TOPOLOGY_MESH || g_strcmp0 (hub, me) == 0)
    {
      g_autofree gchar *text = message_text (self, self->sequence, prev, data);

      broadcast_direct (self, text, NULL, TRUE, NULL);
      return TRUE;
    }
  /* Signed once: the hub relays these bytes, and the next hub gets
   * them again if this one does not acknowledge. */
  p = g_new0 (Pending, 1);
  p->sequence = self->sequence;
  p->text = message_text (self, p->sequence, prev, data);
  /* Hybrid, from a core member: to the hub, which relays it to the
   * others only, and straight to the other core members over the core's
   * open links (their SCTP associations keep the copy until delivered,
   * and a link lost after a stall sends it again through the room).
   * The hub's first: the outer ring's path is the longer one.  The
   * message is still done when the hub acknowledges it. */
  p->direct = direct_targets (self, hub);
  g_queue_push_tail (&self->pending, p);
  if (hub != NULL)
    {
      const gchar *hub_peer = g_hash_table_lookup (self->peer_ids, hub);

      if (hub_peer != NULL)
        {
          g_autofree gchar *text = pending_hub_text (p);

          send_text (self, hub_peer, text, TRUE);
        }
    }
  for (guint i = 0; p->direct != NULL && p->direct[i] != NULL; i++)
    if (!link_send_full (link_for_device (self, p->direct[i]), p->text, TRUE))
      {
        /* Named to the hub as had directly: through the room, then. */
        const gchar *peer = g_hash_table_lookup (self->peer_ids, p->direct[i]);

        if (peer != NULL)
          send_room (self, peer, p->text);
      }
  return TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  NavGroup *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!nav_signaling_client_connect_finish (NAV_SIGNALING_CLIENT (source), result, &error) ||
      !nav_signaling_client_join (self->client, self->room, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->joined = TRUE;
  if (self->joined_us == 0)
    self->joined_us = g_get_monotonic_time ();
  watch_own_addresses (self);
  nav_election_start (self->election, g_get_monotonic_time ());
  schedule_tick (self, g_get_monotonic_time ());
  g_task_return_boolean (task, TRUE);
}

/**
 * nav_group_join_async:
 * @self: a group
 * @uri: the signaling server (`ws://…` or `wss://…`)
 * @room: the group's room
 * @cancellable: (nullable): a cancellable
 * @callback: called when joined
 * @user_data: data for @callback
 *
 * Connects to @uri, joins @room and starts the election.
 *
 * Since: 1.0
 */
void
nav_group_join_async (NavGroup            *self,
                      const gchar         *uri,
                      const gchar         *room,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (NAV_IS_GROUP (self));
  g_return_if_fail (uri != NULL && room != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_group_join_async);
  if (self->client != NULL)
    {
      g_task_return_new_error (task, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_FAILED,
                               _("The group is already joined"));
      return;
    }
  self->client = nav_signaling_client_new (uri);
  if (self->client == NULL)
    {
      g_task_return_new_error (task, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_FAILED,
                               _("No signaling client for %s"), uri);
      return;
    }
  g_free (self->room);
  self->room = g_strdup (room);
  g_signal_connect (self->client, "candidate", G_CALLBACK (on_candidate), self);
  g_signal_connect (self->client, "connected", G_CALLBACK (on_client_connected), self);
  nav_signaling_client_connect_async (self->client, cancellable, on_connected,
                                      g_steal_pointer (&task));
}

/**
 * nav_group_join_finish:
 * @self: a group
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE if joined
 *
 * Since: 1.0
 */
gboolean
nav_group_join_finish (NavGroup      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nav_group_leave:
 * @self: a group
 *
 * Says goodbye (the group elects at once if this device was the hub) and
 * leaves the room.
 *
 * Since: 1.0
 */
void
nav_group_leave (NavGroup *self)
{
  g_return_if_fail (NAV_IS_GROUP (self));

  if (self->joined)
    {
      nav_election_leave (self->election, g_get_monotonic_time ());
      nav_signaling_client_leave (self->client, self->room, NULL);
      self->joined = FALSE;
    }
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->gap_id, g_source_remove);
  unwatch_own_addresses (self);
  g_hash_table_remove_all (self->links);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      nav_signaling_client_disconnect (self->client);
      g_clear_object (&self->client);
    }
}

/**
 * nav_group_set_claims:
 * @self: a group
 * @claims: this device's capabilities
 *
 * nav_election_set_claims() of the group's election.
 *
 * Since: 1.0
 */
void
nav_group_set_claims (NavGroup                  *self,
                      const NavCapabilityClaims *claims)
{
  g_return_if_fail (NAV_IS_GROUP (self));
  nav_election_set_claims (self->election, claims);
}

/**
 * nav_group_get_path_counts:
 * @self: a group
 * @room: (out) (optional): records and messages received through the room
 * @channel: (out) (optional): received over a link's data channel
 * @relay: (out) (optional): records relayed by the hub
 * @duplicates: (out) (optional): records dropped as copies over another path
 *
 * What came which way, for tests and statistics.
 *
 * Since: 1.0
 */
void
nav_group_get_path_counts (NavGroup *self,
                           guint64  *room,
                           guint64  *channel,
                           guint64  *relay,
                           guint64  *duplicates)
{
  g_return_if_fail (NAV_IS_GROUP (self));
  if (room != NULL)
    *room = self->received[PATH_ROOM];
  if (channel != NULL)
    *channel = self->received[PATH_CHANNEL];
  if (relay != NULL)
    *relay = self->received[PATH_RELAY];
  if (duplicates != NULL)
    *duplicates = self->duplicates;
}

/**
 * nav_group_get_message_counts:
 * @self: a group
 * @from_origin: (out) (optional): application messages delivered as
 *   their origin sent them to this member (over its link, or through the
 *   room from it): a hub's own, or, in a hybrid, a core member's to the
 *   other core members
 * @relayed: (out) (optional): delivered as a hub relayed them
 * @copies: (out) (optional): dropped as copies of what was delivered
 *   already (another path, a resend to the next hub)
 *
 * Which way the application's messages came, for tests and statistics
 * (replays and refusals are [property@Nav.Group:messages-replayed] and
 * [property@Nav.Group:messages-refused]).
 *
 * Since: 1.0
 */
void
nav_group_get_message_counts (NavGroup *self,
                              guint64  *from_origin,
                              guint64  *relayed,
                              guint64  *copies)
{
  g_return_if_fail (NAV_IS_GROUP (self));
  if (from_origin != NULL)
    *from_origin = self->messages_from_origin;
  if (relayed != NULL)
    *relayed = self->messages_via_relay;
  if (copies != NULL)
    *copies = self->message_copies;
}

/**
 * nav_group_get_election:
 * @self: a group
 *
 * Returns: (transfer none): the group's election
 *
 * Since: 1.0
 */
NavElection *
nav_group_get_election (NavGroup *self)
{
  g_return_val_if_fail (NAV_IS_GROUP (self), NULL);
  return self->election;
}

/**
 * nav_group_new:
 * @identity: this device's identity
 *
 * Returns: (transfer full): a group, not joined
 *
 * Since: 1.0
 */
NavGroup *
nav_group_new (NavDeviceIdentity *identity)
{
  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (identity), NULL);
  return g_object_new (NAV_TYPE_GROUP, "identity", identity, NULL);
}

static void
nav_group_constructed (GObject *object)
{
  NavGroup *self = NAV_GROUP (object);

  G_OBJECT_CLASS (nav_group_parent_class)->constructed (object);
  if (self->identity == NULL)
    self->identity = nav_device_identity_new_ephemeral ();
  if (self->election == NULL)
    self->election = nav_election_new (self->identity);
  /* Bandwidth claims count up to what the links measure. */
  g_object_set (self->election, "check-bandwidth", TRUE, NULL);
  self->send_id = g_signal_connect (self->election, "send", G_CALLBACK (on_election_send), self);
  self->hub_changed_id = g_signal_connect (self->election, "hub-changed",
                                           G_CALLBACK (on_hub_changed), self);
  /* Seen by nav-inspect --live (core/inspect), as agents are. */
  nav_inspect_track (object, "group");
}

static void
nav_group_dispose (GObject *object)
{
  NavGroup *self = NAV_GROUP (object);

  nav_group_leave (self);
  if (self->election != NULL)
    {
      g_clear_signal_handler (&self->send_id, self->election);
      g_clear_signal_handler (&self->hub_changed_id, self->election);
    }
  g_clear_object (&self->election);
  g_clear_object (&self->identity);
  g_queue_clear_full (&self->pending, pending_free);
  G_OBJECT_CLASS (nav_group_parent_class)->dispose (object);
}

static void
nav_group_finalize (GObject *object)
{
  NavGroup *self = NAV_GROUP (object);

  g_hash_table_unref (self->peer_ids);
  g_hash_table_unref (self->delivered);
  g_hash_table_unref (self->links);
  g_hash_table_unref (self->seen);
  g_queue_clear_full (&self->seen_order, (GDestroyNotify) g_bytes_unref);
  g_hash_table_unref (self->messages_seen);
  g_hash_table_unref (self->messages_relayed);
  g_queue_clear_full (&self->messages_seen_order, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->addresses, g_hash_table_unref);
  g_hash_table_unref (self->link_keys);
  g_free (self->session_id);
  g_free (self->room);
  G_OBJECT_CLASS (nav_group_parent_class)->finalize (object);
}

static void
nav_group_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  NavGroup *self = NAV_GROUP (object);

  switch (prop_id)
    {
    case PROP_IDENTITY: g_value_set_object (value, self->identity); break;
    case PROP_ELECTION: g_value_set_object (value, self->election); break;
    case PROP_TOPOLOGY: g_value_set_enum (value, self->topology); break;
    case PROP_ROOM: g_value_set_string (value, self->room); break;
    case PROP_USE_CHANNELS: g_value_set_boolean (value, self->use_channels); break;
    case PROP_WARM_STANDBY: g_value_set_boolean (value, self->warm_standby); break;
    case PROP_CORE_SIZE: g_value_set_uint (value, self->core_size); break;
    case PROP_SESSION_ID: g_value_set_string (value, self->session_id); break;
    case PROP_LINKS_OPEN: g_value_set_uint (value, count_open_links (self)); break;
    case PROP_LINKS_CREATED: g_value_set_uint (value, self->links_created); break;
    case PROP_ICE_RESTARTS: g_value_set_uint (value, self->ice_restarts); break;
    case PROP_LINKS_REFUSED: g_value_set_uint (value, self->links_refused); break;
    case PROP_MESSAGES_REFUSED: g_value_set_uint (value, self->messages_refused); break;
    case PROP_MESSAGES_REPLAYED: g_value_set_uint (value, self->messages_replayed); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_group_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  NavGroup *self = NAV_GROUP (object);

  switch (prop_id)
    {
    case PROP_IDENTITY: self->identity = g_value_dup_object (value); break;
    case PROP_ELECTION: self->election = g_value_dup_object (value); break;
    case PROP_TOPOLOGY: self->topology = g_value_get_enum (value); break;
    case PROP_USE_CHANNELS: self->use_channels = g_value_get_boolean (value); break;
    case PROP_WARM_STANDBY: self->warm_standby = g_value_get_boolean (value); break;
    case PROP_CORE_SIZE: self->core_size = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_group_class_init (NavGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_group_constructed;
  object_class->dispose = nav_group_dispose;
  object_class->finalize = nav_group_finalize;
  object_class->get_property = nav_group_get_property;
  object_class->set_property = nav_group_set_property;

  /**
   * NavGroup:identity:
   *
   * This device's identity (an ephemeral one when not given).
   *
   * Since: 1.0
   */
  properties[PROP_IDENTITY] =
    g_param_spec_object ("identity", NULL, NULL, NAV_TYPE_DEVICE_IDENTITY, co);

  /**
   * NavGroup:election:
   *
   * The election (a [class@Nav.Election] of the identity when not given;
   * give a subclass to plug another scorer in).
   *
   * Since: 1.0
   */
  properties[PROP_ELECTION] =
    g_param_spec_object ("election", NULL, NULL, NAV_TYPE_ELECTION, co);

  /**
   * NavGroup:topology:
   *
   * How the application's messages travel.
   *
   * Since: 1.0
   */
  properties[PROP_TOPOLOGY] =
    g_param_spec_enum ("topology", NULL, NULL, NAV_TYPE_GROUP_TOPOLOGY,
                       NAV_GROUP_TOPOLOGY_STAR, co);

  /**
   * NavGroup:room:
   *
   * The signaling room, once joined.
   *
   * Since: 1.0
   */
  properties[PROP_ROOM] =
    g_param_spec_string ("room", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:use-channels:
   *
   * Whether members link over data channels once they know each other
   * (else everything goes through the room).
   *
   * Since: 1.0
   */
  properties[PROP_USE_CHANNELS] =
    g_param_spec_boolean ("use-channels", NULL, NULL, TRUE, co);

  /**
   * NavGroup:warm-standby:
   *
   * In a star (and for the outer members of a hybrid), whether spokes
   * keep a link to the runner-up too, so that when the hub goes the new
   * hub's links are up already.
   *
   * Since: 1.0
   */
  properties[PROP_WARM_STANDBY] =
    g_param_spec_boolean ("warm-standby", NULL, NULL, TRUE, co);

  /**
   * NavGroup:core-size:
   *
   * With [enum@Nav.GroupTopology.HYBRID]: how many members, from the
   * head of the election's order (the hub, then its standbys), form the
   * mesh.
   *
   * Since: 1.0
   */
  properties[PROP_CORE_SIZE] =
    g_param_spec_uint ("core-size", NULL, NULL, 2, 64, 3, co);

  /**
   * NavGroup:session-id:
   *
   * This member's session in the group: random, made with the group,
   * kept across network changes (its links are restarted, not made
   * anew).
   *
   * Since: 1.0
   */
  properties[PROP_SESSION_ID] =
    g_param_spec_string ("session-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:links-open:
   *
   * How many links to other members have their data channel open.
   *
   * Since: 1.0
   */
  properties[PROP_LINKS_OPEN] =
    g_param_spec_uint ("links-open", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:links-created:
   *
   * How many peer connections this member has made to others (each an
   * ICE setup and a DTLS handshake) since it was made.
   *
   * Since: 1.0
   */
  properties[PROP_LINKS_CREATED] =
    g_param_spec_uint ("links-created", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:ice-restarts:
   *
   * How many ICE restarts this member's links have offered (a path
   * lost, or this member's network changed): each keeps its peer
   * connection, DTLS association and channel.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_RESTARTS] =
    g_param_spec_uint ("ice-restarts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:links-refused:
   *
   * How many link offers and answers this member refused because they
   * were not signed by the device key of the member they name (their
   * DTLS fingerprint is then not that member's): a room member posing
   * as another.
   *
   * Since: 1.0
   */
  properties[PROP_LINKS_REFUSED] =
    g_param_spec_uint ("links-refused", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:messages-refused:
   *
   * How many application messages this member refused: malformed, or
   * whose signature does not verify with the key of the member they
   * name as origin (forged, or altered on the way, e.g. by a hub that
   * relays them).  Each is dropped; none is fatal.
   *
   * Since: 1.0
   */
  properties[PROP_MESSAGES_REFUSED] =
    g_param_spec_uint ("messages-refused", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavGroup:messages-replayed:
   *
   * How many validly signed application messages this member dropped as
   * replays: a sequence number not above what it already had of that
   * origin's session, from a sender that had already given it that
   * message (a copy of it from another sender, as when a member sends
   * again to the next hub, is dropped without being counted; so is, in
   * a hybrid, the origin's own copy sent to this member as the next hub
   * after it had the message directly).
   *
   * Since: 1.0
   */
  properties[PROP_MESSAGES_REPLAYED] =
    g_param_spec_uint ("messages-replayed", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NavGroup::link-changed:
   * @self: the group
   * @device_id: the other member
   * @open: whether the link's channel is open now
   *
   * A link to another member opened or closed.
   *
   * Since: 1.0
   */
  signals[SIGNAL_LINK_CHANGED] =
    g_signal_new ("link-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  /**
   * NavGroup::record-refused:
   * @self: the group
   * @sender: the transport sender: the signaling peer id it came from
   *   (over the room or that peer's link), or the hub's for a relay
   * @signer: (nullable): the device id of the key the record names
   *   (not verified: the signature may be what was refused), or %NULL
   *   for a record of the wrong size
   * @sequence: the record's sequence number (0 for a record of the
   *   wrong size)
   * @reason: a #NavRecordRefusal
   *
   * A record this group's election refused (after
   * [signal@Nav.Election::refused], which counts it), with where it
   * came from: which sender's records were refused, and why.  A
   * record is refused once per path it arrives on (docs/election.md);
   * an honest member's hub claim is refused too while another member
   * outranks it (forged-hub, or stale-epoch), as after a lease that
   * ran out under load.
   *
   * Since: 1.0
   */
  signals[SIGNAL_RECORD_REFUSED] =
    g_signal_new ("record-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_UINT64, NAV_TYPE_RECORD_REFUSAL);

  /**
   * NavGroup::message:
   * @self: the group
   * @origin: the sender's device id
   * @data: the message
   *
   * A message of another member, delivered once.
   *
   * Since: 1.0
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BYTES);
}

static void
nav_group_init (NavGroup *self)
{
  self->peer_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->delivered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, origin_free);
  self->links = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, link_free);
  self->link_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_bytes_unref);
  self->seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                      (GDestroyNotify) g_bytes_unref, NULL);
  self->messages_seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                               (GDestroyNotify) g_bytes_unref, g_free);
  self->messages_relayed = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                  (GDestroyNotify) g_bytes_unref, NULL);
  self->session_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (), g_random_int (),
                                      g_random_int (), g_random_int ());
  /* Message sequences start at the wall clock (µs), as the records' do:
   * a later session of this device numbers above an earlier one, so a
   * receiver tells an old session's message (a replay) from a new
   * session's. */
  self->sequence = (guint64) MAX (g_get_real_time (), 1);
  self->use_channels = TRUE;
  self->warm_standby = TRUE;
  self->core_size = 3;
  g_queue_init (&self->pending);
}
