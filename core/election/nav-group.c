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
 * (per-origin sequence numbers), so that a message is neither lost nor
 * duplicated when the hub changes.  In a mesh, members send to each
 * other directly.
 *
 * Records and messages travel as `candidate` messages of the room (the
 * signaling protocol's only free-text payload), prefixed `nav-election/1`
 * and `nav-group/1`; docs/election.md has the format.
 *
 * Since: 1.0
 */

#define RECORD_PREFIX "nav-election/1 "
#define MESSAGE_PREFIX "nav-group/1 "
#define ACK_PREFIX "nav-group-ack/1 "

typedef struct
{
  guint64 sequence;
  GBytes *data;
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
  GHashTable *delivered;     /* origin device id → guint64* last sequence */
  GQueue pending;            /* Pending: sent through a hub, not acknowledged */
  guint64 sequence;
  gulong hub_changed_id, send_id;
};

enum {
  PROP_0,
  PROP_IDENTITY,
  PROP_ELECTION,
  PROP_TOPOLOGY,
  PROP_ROOM,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavGroup, nav_group, G_TYPE_OBJECT)

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_bytes_unref (p->data);
  g_free (p);
}

static void
send_text (NavGroup    *self,
           const gchar *to,
           const gchar *text)
{
  g_autoptr (GError) error = NULL;

  if (self->client == NULL || !self->joined)
    return;
  if (!nav_signaling_client_send_candidate (self->client, self->room, to, text, &error))
    g_debug ("group: send failed: %s", error->message);
}

static void
on_election_send (NavElection *election,
                  GBytes      *record,
                  NavGroup    *self)
{
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (record, NULL),
                                           g_bytes_get_size (record));
  g_autofree gchar *text = g_strconcat (RECORD_PREFIX, b64, NULL);

  send_text (self, NULL, text);
}

static gchar *
message_text (const gchar *origin,
              guint64      sequence,
              GBytes      *data)
{
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (data, NULL),
                                           g_bytes_get_size (data));

  return g_strdup_printf (MESSAGE_PREFIX "%s %" G_GUINT64_FORMAT " %s", origin, sequence, b64);
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
          g_autofree gchar *text = message_text (me, p->sequence, p->data);

          send_text (self, NULL, text);
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
      g_autofree gchar *text = message_text (me, p->sequence, p->data);

      send_text (self, hub_peer, text);
    }
}

static void
on_hub_changed (NavElection *election,
                const gchar *hub_id,
                guint64      epoch,
                NavGroup    *self)
{
  if (hub_id != NULL && self->topology == NAV_GROUP_TOPOLOGY_STAR)
    flush_pending (self);
}

static void schedule_tick (NavGroup *self, gint64 due);

static gboolean
tick_cb (gpointer data)
{
  NavGroup *self = data;

  self->tick_id = 0;
  schedule_tick (self, nav_election_tick (self->election, g_get_monotonic_time ()));
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

/* Delivers an application message once per (origin, sequence). */
static void
deliver (NavGroup    *self,
         const gchar *origin,
         guint64      sequence,
         GBytes      *data)
{
  guint64 *last = g_hash_table_lookup (self->delivered, origin);

  if (last != NULL && sequence <= *last)
    return;
  if (last == NULL)
    {
      last = g_new (guint64, 1);
      g_hash_table_insert (self->delivered, g_strdup (origin), last);
    }
  *last = sequence;
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, origin, data);
}

static void
handle_message (NavGroup    *self,
                const gchar *from,
                const gchar *body)
{
  g_auto (GStrv) parts = g_strsplit (body, " ", 3);
  g_autoptr (GBytes) data = NULL;
  const gchar *me = nav_device_identity_get_device_id (self->identity);
  guint64 sequence;
  guchar *decoded;
  gsize length;

  if (g_strv_length (parts) != 3 || strlen (parts[0]) != 32 ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT64, &sequence, NULL))
    {
      g_debug ("group: malformed message from %s dropped", from);
      return;
    }
  decoded = g_base64_decode (parts[2], &length);
  data = g_bytes_new_take (decoded, length);
  if (strcmp (parts[0], me) == 0)
    return;   /* our own, relayed back */

  if (self->topology == NAV_GROUP_TOPOLOGY_STAR &&
      nav_election_get_role (self->election) == NAV_ELECTION_ROLE_HUB)
    {
      /* Sent to us as hub: relay to the room, then acknowledge.  A relay
       * of another hub's is only delivered. */
      const gchar *origin_peer = g_hash_table_lookup (self->peer_ids, parts[0]);

      if (origin_peer != NULL && strcmp (origin_peer, from) == 0)
        {
          g_autofree gchar *text = message_text (parts[0], sequence, data);
          g_autofree gchar *ack = g_strdup_printf (ACK_PREFIX "%" G_GUINT64_FORMAT, sequence);

          send_text (self, NULL, text);
          send_text (self, from, ack);
        }
    }
  deliver (self, parts[0], sequence, data);
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
on_candidate (NavSignalingClient *client,
              const gchar        *room,
              const gchar        *from,
              const gchar        *candidate,
              NavGroup           *self)
{
  if (g_strcmp0 (room, self->room) != 0 || from == NULL || candidate == NULL)
    return;

  if (g_str_has_prefix (candidate, RECORD_PREFIX))
    {
      gsize length = 0;
      guchar *decoded = g_base64_decode (candidate + strlen (RECORD_PREFIX), &length);
      g_autoptr (GBytes) bytes = g_bytes_new_take (decoded, length);

      if (nav_election_receive (self->election, from, bytes, g_get_monotonic_time (), NULL) &&
          length == NAV_CAPABILITY_RECORD_SIZE)
        {
          g_autoptr (GBytes) key = g_bytes_new (decoded + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);
          gchar *id = nav_device_id_from_public_key (key);

          g_hash_table_insert (self->peer_ids, id, g_strdup (from));
        }
      /* An election may have happened: run the clock now. */
      schedule_tick (self, g_get_monotonic_time ());
    }
  else if (g_str_has_prefix (candidate, MESSAGE_PREFIX))
    handle_message (self, from, candidate + strlen (MESSAGE_PREFIX));
  else if (g_str_has_prefix (candidate, ACK_PREFIX))
    handle_ack (self, candidate + strlen (ACK_PREFIX));
}

/**
 * nav_group_send:
 * @self: a group
 * @data: the message
 * @error: return location for a #GError
 *
 * Sends @data to every other member, through the hub in a star (kept
 * until the hub acknowledges it, and sent again to the next hub).
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
  self->sequence++;
  hub = nav_election_dup_hub_id (self->election);
  if (self->topology == NAV_GROUP_TOPOLOGY_MESH || g_strcmp0 (hub, me) == 0)
    {
      g_autofree gchar *text = message_text (me, self->sequence, data);

      send_text (self, NULL, text);
      return TRUE;
    }
  p = g_new0 (Pending, 1);
  p->sequence = self->sequence;
  p->data = g_bytes_ref (data);
  g_queue_push_tail (&self->pending, p);
  if (hub != NULL)
    {
      const gchar *hub_peer = g_hash_table_lookup (self->peer_ids, hub);

      if (hub_peer != NULL)
        {
          g_autofree gchar *text = message_text (me, p->sequence, data);

          send_text (self, hub_peer, text);
        }
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

  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  self->delivered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->pending);
}
