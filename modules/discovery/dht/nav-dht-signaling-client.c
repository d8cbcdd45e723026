/* nav-dht-signaling-client.c: NavSignalingClient over OpenDHT, the
 * `dht` implementation: signaling rooms with no server (`dht://` URIs)
 *
 * Each client is a DHT node of its own (OpenDHT's DhtRunner, its thread)
 * with a fresh RSA key; its peer id is the identity's public key id
 * (40 hex digits).  A room is a DHT key, H("netavanue-room:" ROOM): a
 * member announces itself there with a value signed by its key, and
 * listens there for the others'.  A message for a peer goes to its
 * inbox, H("netavanue-inbox:" PEER-ID), encrypted to its public key and
 * signed by the sender's, as Jami's dhtnet exchanges its ICE
 * descriptions: only the peer reads it, and the sender's id is the
 * signature's key, not a claim.  The peer's key comes with its signed
 * announce; to a peer known only by its id, OpenDHT's putEncrypted looks
 * its certificate up.  A value that is not
 * signed, or whose signer is not the peer it names, is ignored (and
 * counted).
 *
 *   dht://                           an embedded node, alone until others bootstrap from it
 *   dht://HOST:PORT[,HOST:PORT…]/    bootstrap nodes (dhtnode, or another client)
 *   …?port=N                         the local UDP port (else a random one)
 *   …&network=N                      the DHT network id
 *
 * SPDX-License-Identifier: GPL-3.0-or-later (it links OpenDHT)
 */
#include "config.h"

#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>
#include <opendht/opendht_c.h>

#include "nav-dht-signaling-client.h"

#define ANNOUNCE_INTERVAL_S 20      /* a member says it is there again */
#define MEMBER_STALE_S 60           /* and is gone when it has not for this long */
#define REORDER_WAIT_US (2 * G_USEC_PER_SEC)
#define MAX_PENDING 256
/* A peer's key may not be in the DHT yet when its announce is (its node
 * publishes its certificate as it starts): a put to it is tried again,
 * 250 ms then doubling, before it is reported missing (about 4 s). */
#define PUT_ATTEMPTS 5
#define PUT_RETRY_MS 250
#define PROTOCOL_VERSION 1
#define ANNOUNCE_TYPE "(usxb)"      /* version, peer id, wall-clock µs, present */
#define MESSAGE_TYPE "(utsss)"      /* version, sequence, type, room, value */
#define SEALED_TYPE "(say)"         /* recipient id, MESSAGE_TYPE encrypted to its key */

typedef struct {
  gatomicrefcount ref;
  GWeakRef client;
  GMainContext *context;
} Shared;

typedef struct {
  gchar *name;
  dht_infohash key;
  dht_op_token *listen;
  GHashTable *members;      /* peer id → gint64 (wall µs of its last announce) */
  gboolean joined;          /* "joined" emitted */
} Room;

typedef struct {
  guint64 next;
  GHashTable *pending;      /* guint64* seq → GVariant message */
  gint64 waiting_since;
} Inbound;

struct _NavDhtSignalingClient
{
  NavSignalingClient parent_instance;

  GMainContext *context;
  gchar *uri;
  gchar *ca_file;
  gboolean reconnect;
  guint keepalive_interval;
  NavSignalingClientState state;
  gchar *peer_id;

  GPtrArray *bootstrap;     /* "HOST:PORT" */
  guint16 port;
  guint32 network;

  Shared *shared;
  dht_runner *runner;
  dht_identity identity;
  GTask *connect_task;
  guint pings_left;
  GHashTable *rooms;        /* name → Room */
  GHashTable *out_seq;      /* peer id → guint64* */
  GHashTable *inbound;      /* peer id → Inbound */
  GHashTable *keys;         /* peer id → dht_publickey*, from its signed announces */
  GPtrArray *callback_data; /* what the runner's callbacks point to, freed after the runner */
  dht_op_token *inbox_listen;
  dht_infohash inbox_key;
  GSource *tick;
  guint ticks;

  /* counters */
  guint64 unsigned_ignored;
  guint64 mismatched_ignored;
  guint64 malformed_ignored;
};

enum {
  PROP_0,
  PROP_URI,
  PROP_CONTEXT,
  PROP_RECONNECT,
  PROP_KEEPALIVE_INTERVAL,
  PROP_CA_FILE,
  PROP_STATE,
  PROP_PEER_ID,
  PROP_UNSIGNED_IGNORED,
  PROP_MISMATCHED_IGNORED,
  PROP_MALFORMED_IGNORED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavDhtSignalingClient, nav_dht_signaling_client, NAV_TYPE_SIGNALING_CLIENT,
                                G_TYPE_FLAG_FINAL, {})

void
nav_dht_signaling_client_register (GTypeModule *module)
{
  nav_dht_signaling_client_register_type (module);
}

/* ------------------------------------------------------------ threads */

static Shared *
shared_ref (Shared *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

static void
shared_unref (Shared *s)
{
  if (!g_atomic_ref_count_dec (&s->ref))
    return;
  g_weak_ref_clear (&s->client);
  g_main_context_unref (s->context);
  g_free (s);
}

typedef enum {
  EVENT_ROOM_VALUE,
  EVENT_INBOX_VALUE,
  EVENT_ROOM_DONE,
  EVENT_PUT_DONE,
  EVENT_PING_DONE,
} EventKind;

/* Runner callbacks point to one of these; freed after the runner. */
typedef struct {
  Shared *shared;
  EventKind kind;
  gchar *room;
  gchar *to;
  gchar *type;
  GBytes *payload;
  guint attempts;
} CallbackData;

static void
callback_data_clear (CallbackData *cd)
{
  shared_unref (cd->shared);
  g_free (cd->room);
  g_free (cd->to);
  g_free (cd->type);
  g_clear_pointer (&cd->payload, g_bytes_unref);
}

/* What a runner callback saw, copied, for the client's context. */
typedef struct {
  CallbackData what;    /* the callback's data, copied */
  GBytes *data;
  gchar *owner;         /* hex id of the signer, or NULL */
  GBytes *owner_key;    /* its public key, exported */
  gchar *recipient;     /* hex id, or NULL */
  gboolean ok;
} Event;

static void
event_free (gpointer data)
{
  Event *e = data;

  callback_data_clear (&e->what);
  g_clear_pointer (&e->data, g_bytes_unref);
  g_free (e->owner);
  g_free (e->recipient);
  g_clear_pointer (&e->owner_key, g_bytes_unref);
  g_free (e);
}

static gboolean dispatch_event (gpointer data);

static void
post (Event *e)
{
  g_main_context_invoke_full (e->what.shared->context, G_PRIORITY_DEFAULT, dispatch_event, e, event_free);
}


static void
callback_data_free (gpointer data)
{
  callback_data_clear (data);
  g_free (data);
}

static CallbackData *
callback_data (NavDhtSignalingClient *self,
               EventKind              kind,
               const gchar           *room,
               const gchar           *to,
               const gchar           *type)
{
  CallbackData *cd = g_new0 (CallbackData, 1);

  cd->shared = shared_ref (self->shared);
  cd->kind = kind;
  cd->room = g_strdup (room);
  cd->to = g_strdup (to);
  cd->type = g_strdup (type);
  g_ptr_array_add (self->callback_data, cd);
  return cd;
}

static Event *
event_new (CallbackData *cd)
{
  Event *e = g_new0 (Event, 1);

  e->what.shared = shared_ref (cd->shared);
  e->what.kind = cd->kind;
  e->what.room = g_strdup (cd->room);
  e->what.to = g_strdup (cd->to);
  e->what.type = g_strdup (cd->type);
  e->what.payload = cd->payload != NULL ? g_bytes_ref (cd->payload) : NULL;
  e->what.attempts = cd->attempts;
  return e;
}

/* Runs in the runner's thread. */
static bool
on_value (const dht_value *value,
          bool             expired,
          void            *user_data)
{
  CallbackData *cd = user_data;
  dht_data_view view = dht_value_get_data (value);
  dht_publickey *owner;
  dht_infohash recipient;
  Event *e;

  if (expired)
    return true;
  e = event_new (cd);
  e->data = g_bytes_new (view.data, view.size);
  owner = dht_value_get_owner (value);
  if (owner != NULL)
    {
      dht_infohash id = dht_publickey_get_id (owner);
      gchar key[4096];
      size_t key_len = sizeof key;

      e->owner = g_strdup (dht_infohash_print (&id));
      if (dht_publickey_export (owner, key, &key_len) == 0)
        e->owner_key = g_bytes_new (key, key_len);
      dht_publickey_delete (owner);
    }
  recipient = dht_value_get_recipient (value);
  if (!dht_infohash_is_zero (&recipient))
    e->recipient = g_strdup (dht_infohash_print (&recipient));
  post (e);
  return true;
}

static void
on_done (bool  ok,
         void *user_data)
{
  Event *e = event_new (user_data);

  e->ok = ok;
  post (e);
}

/* ------------------------------------------------------------ state */

static void
set_state (NavDhtSignalingClient   *self,
           NavSignalingClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
room_free (gpointer data)
{
  Room *room = data;

  g_free (room->name);
  g_hash_table_unref (room->members);
  g_free (room);
}

static void
inbound_free (gpointer data)
{
  Inbound *in = data;

  g_hash_table_unref (in->pending);
  g_free (in);
}

/* The keys of rooms and inboxes are in the lower half of the key space
 * (the first bit cleared) and the clients' own nodes in the upper half
 * (identity_made()): a client behind a NAT is never among the nodes
 * closest to a key that clients use.  Were it, the others' puts and
 * listens there would wait for it to answer (OpenDHT waits a second for
 * each silent node among the closest; a port-restricted NAT never lets
 * them in), which made a rendezvous take one to three seconds instead
 * of a few round trips.  The keys are stored by the other nodes: the
 * bootstrap nodes and the rest of the DHT. */
static void
key_for (dht_infohash *key,
         const gchar  *prefix,
         const gchar  *name)
{
  g_autofree gchar *text = g_strconcat (prefix, name, NULL);

  dht_infohash_get_from_string (key, text);
  key->d[0] &= 0x7f;
}

static gboolean
is_peer_id (const gchar *id)
{
  gsize i;

  if (id == NULL || strlen (id) != 40)
    return FALSE;
  for (i = 0; i < 40; i++)
    if (!g_ascii_isxdigit (id[i]))
      return FALSE;
  return TRUE;
}

/* RFC-less but the signaling protocol's rule (signaling.md): 1–64
 * characters of A–Z a–z 0–9 - _ . */
static gboolean
is_room_id (const gchar *room)
{
  gsize i, n = strlen (room);

  if (n == 0 || n > 64)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (room[i]) && room[i] != '-' && room[i] != '_' && room[i] != '.')
      return FALSE;
  return TRUE;
}

static void
announce (NavDhtSignalingClient *self,
          Room                  *room,
          gboolean               present)
{
  g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new (ANNOUNCE_TYPE, PROTOCOL_VERSION, self->peer_id,
                                                              g_get_real_time (), present));
  dht_value *value = dht_value_new (g_variant_get_data (v), g_variant_get_size (v));

  dht_runner_put_signed (self->runner, &room->key, value, NULL, NULL, false);
  dht_value_unref (value);
}

/* ------------------------------------------------------------ rooms */

/* The key that signed a value of @peer is @peer's (its id is the key's):
 * kept, so that messages to the peer are encrypted without looking its
 * key up in the DHT, where it may not be yet. */
static void
remember_key (NavDhtSignalingClient *self,
              const gchar           *peer,
              GBytes                *owner_key)
{
  dht_publickey *key;
  dht_infohash id;

  if (owner_key == NULL || g_hash_table_contains (self->keys, peer))
    return;
  key = dht_publickey_import (g_bytes_get_data (owner_key, NULL), g_bytes_get_size (owner_key));
  if (key == NULL)
    return;
  id = dht_publickey_get_id (key);
  if (g_ascii_strcasecmp (dht_infohash_print (&id), peer) == 0)
    g_hash_table_insert (self->keys, g_ascii_strdown (peer, -1), key);
  else
    dht_publickey_delete (key);
}

static void inbox_value (NavDhtSignalingClient *self,
                         Event                 *e);

static void
room_value (NavDhtSignalingClient *self,
            Event                 *e)
{
  Room *room = g_hash_table_lookup (self->rooms, e->what.room);
  g_autoptr (GVariant) v = NULL;
  const gchar *peer;
  guint32 version;
  gint64 when;
  gboolean present, known;

  if (room == NULL)
    return;
  if (e->owner == NULL)
    {
      /* Anyone may put a value at a public key; only signed ones count. */
      self->unsigned_ignored++;
      g_debug ("room %s: unsigned value ignored (%" G_GUINT64_FORMAT ")", room->name, self->unsigned_ignored);
      return;
    }
  v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (ANNOUNCE_TYPE), e->data, FALSE));
  if (!g_variant_is_normal_form (v))
    {
      g_autoptr (GVariant) sealed =
        g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (SEALED_TYPE), e->data, FALSE));
      const gchar *to = NULL;

      /* A message sealed to a member (put_message()): ours is opened as
       * if it came to the inbox, the others' are none of our business. */
      if (g_variant_is_normal_form (sealed))
        {
          g_variant_get (sealed, "(&s@ay)", &to, NULL);
          if (g_ascii_strcasecmp (to, self->peer_id) == 0)
            inbox_value (self, e);
          return;
        }
      self->malformed_ignored++;
      return;
    }
  g_variant_get (v, ANNOUNCE_TYPE, &version, &peer, &when, &present);
  if (version != PROTOCOL_VERSION || !is_peer_id (peer))
    {
      self->malformed_ignored++;
      g_free ((gchar *) peer);
      return;
    }
  if (g_ascii_strcasecmp (peer, e->owner) != 0)
    {
      /* Signed, but by another key than the one of the peer it names. */
      self->mismatched_ignored++;
      g_debug ("room %s: announce of %s signed by %s ignored", room->name, peer, e->owner);
      g_free ((gchar *) peer);
      return;
    }
  if (g_ascii_strcasecmp (peer, self->peer_id) == 0 || g_get_real_time () - when > MEMBER_STALE_S * G_USEC_PER_SEC)
    {
      g_free ((gchar *) peer);
      return;
    }
  remember_key (self, peer, e->owner_key);
  known = g_hash_table_contains (room->members, peer);
  if (present)
    {
      gint64 *last = g_hash_table_lookup (room->members, peer);

      if (last != NULL && *last >= when)
        {
          g_free ((gchar *) peer);
          return;
        }
      last = g_new (gint64, 1);
      *last = when;
      g_hash_table_replace (room->members, g_strdup (peer), last);
      if (!known && room->joined)
        g_signal_emit_by_name (self, "peer-joined", room->name, peer);
    }
  else if (known)
    {
      gint64 *last = g_hash_table_lookup (room->members, peer);

      if (*last <= when)
        {
          g_hash_table_remove (room->members, peer);
          if (room->joined)
            g_signal_emit_by_name (self, "peer-left", room->name, peer);
        }
    }
  g_free ((gchar *) peer);
}

static gint
freshest_first (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  GHashTable *members = user_data;
  gint64 x = *(gint64 *) g_hash_table_lookup (members, *(const gchar * const *) a);
  gint64 y = *(gint64 *) g_hash_table_lookup (members, *(const gchar * const *) b);

  return x > y ? -1 : x < y ? 1 : 0;
}

static void
room_done (NavDhtSignalingClient *self,
           Event                 *e)
{
  Room *room = g_hash_table_lookup (self->rooms, e->what.room);
  g_autoptr (GPtrArray) peers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  if (room == NULL || room->joined)
    return;
  room->joined = TRUE;
  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (peers, key);
  /* The peer heard from last first: the one most likely alive. */
  g_ptr_array_sort_with_data (peers, freshest_first, room->members);
  g_ptr_array_add (peers, NULL);
  g_signal_emit_by_name (self, "joined", room->name, (const gchar * const *) peers->pdata);
}

/* ------------------------------------------------------------ messages */

static void
deliver (NavDhtSignalingClient *self,
         const gchar           *from,
         GVariant              *message)
{
  const gchar *type, *room, *value;
  guint32 version;
  guint64 seq;

  g_variant_get (message, "(ut&s&s&s)", &version, &seq, &type, &room, &value);
  g_debug ("message %s #%" G_GUINT64_FORMAT " from %s in %s", type, seq, from, room);
  if (g_str_equal (type, "offer") || g_str_equal (type, "answer") || g_str_equal (type, "candidate"))
    g_signal_emit_by_name (self, type, room, from, value);
  else if (g_str_equal (type, "end-of-candidates"))
    g_signal_emit_by_name (self, type, room, from);
  else if (g_str_equal (type, "bye"))
    g_signal_emit_by_name (self, type, room, from, *value != '\0' ? value : NULL);
}

static void
drain (NavDhtSignalingClient *self,
       const gchar           *from,
       Inbound               *in)
{
  GVariant *next;

  while ((next = g_hash_table_lookup (in->pending, &in->next)) != NULL)
    {
      g_autoptr (GVariant) message = g_variant_ref (next);

      g_hash_table_remove (in->pending, &in->next);
      in->next++;
      deliver (self, from, message);
    }
  in->waiting_since = g_hash_table_size (in->pending) > 0 ? g_get_monotonic_time () : 0;
}

static void
inbox_value (NavDhtSignalingClient *self,
             Event                 *e)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GBytes) plain = NULL;
  const gchar *type, *room, *value;
  guint32 version;
  guint64 seq;
  Inbound *in;

  if (e->owner == NULL)
    {
      self->unsigned_ignored++;
      g_debug ("inbox: unsigned value ignored (%" G_GUINT64_FORMAT ")", self->unsigned_ignored);
      return;
    }
  if (e->recipient != NULL)
    {
      /* Decrypted by OpenDHT (putEncrypted): it must be for us. */
      if (g_ascii_strcasecmp (e->recipient, self->peer_id) != 0)
        {
          self->mismatched_ignored++;
          return;
        }
      plain = g_bytes_ref (e->data);
    }
  else
    {
      /* Signed, and sealed to our key by the sender: only what names us
       * as its recipient is opened (OpenDHT's decryption throws C++
       * exceptions on other bytes, caught, but costly). */
      g_autoptr (GVariant) wrapped =
        g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (SEALED_TYPE), e->data, FALSE));
      const gchar *to = NULL;
      const guint8 *sealed = NULL;
      gsize sealed_len = 0;
      dht_blob *opened = NULL;
      dht_data_view view;

      if (g_variant_is_normal_form (wrapped))
        {
          g_autoptr (GVariant) bytes = NULL;

          g_variant_get (wrapped, "(&s@ay)", &to, &bytes);
          sealed = g_variant_get_fixed_array (bytes, &sealed_len, 1);
          if (g_ascii_strcasecmp (to, self->peer_id) == 0 && sealed_len > 0)
            opened = dht_privatekey_decrypt (self->identity.privatekey, (const char *) sealed, sealed_len);
        }
      if (opened == NULL)
        {
          /* Not encrypted to us (anyone may put anything at our inbox). */
          self->mismatched_ignored++;
          g_debug ("inbox: value from %s not encrypted to us ignored", e->owner);
          return;
        }
      view = dht_blob_get_data (opened);
      plain = g_bytes_new (view.data, view.size);
      dht_blob_delete (opened);
    }
  v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (MESSAGE_TYPE), plain, FALSE));
  if (!g_variant_is_normal_form (v))
    {
      self->malformed_ignored++;
      return;
    }
  g_variant_get (v, "(ut&s&s&s)", &version, &seq, &type, &room, &value);
  if (version != PROTOCOL_VERSION || seq == 0 || !g_hash_table_contains (self->rooms, room))
    {
      self->malformed_ignored++;
      return;
    }
  /* A reply goes back sealed to the key that signed this message, even
   * before the sender's announce (or its certificate) reached us. */
  remember_key (self, e->owner, e->owner_key);
  in = g_hash_table_lookup (self->inbound, e->owner);
  if (in == NULL)
    {
      in = g_new0 (Inbound, 1);
      in->next = 1;
      in->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_variant_unref);
      g_hash_table_insert (self->inbound, g_strdup (e->owner), in);
    }
  /* A DHT delivers values in no particular order: a candidate may come
   * before the offer it follows.  They are put back in the sender's
   * order; a gap is waited for 2 s, then skipped. */
  if (seq < in->next || g_hash_table_size (in->pending) >= MAX_PENDING)
    return;
  {
    guint64 *key = g_new (guint64, 1);

    *key = seq;
    g_hash_table_replace (in->pending, key, g_variant_ref (v));
  }
  drain (self, e->owner, in);
}

static void
put_message (NavDhtSignalingClient *self,
             const gchar           *room,
             const gchar           *to,
             const gchar           *type,
             GBytes                *payload,
             guint                  attempts)
{
  dht_infohash inbox, recipient;
  CallbackData *cd;
  dht_value *v;
  Room *r;
  gsize len;
  const guint8 *data = g_bytes_get_data (payload, &len);

  g_autofree gchar *lower = g_ascii_strdown (to, -1);
  dht_publickey *key = g_hash_table_lookup (self->keys, lower);

  key_for (&inbox, "netavanue-inbox:", to);
  dht_infohash_from_hex (&recipient, to);
  cd = callback_data (self, EVENT_PUT_DONE, room, to, type);
  cd->payload = g_bytes_ref (payload);
  cd->attempts = attempts;
  if (key != NULL)
    {
      /* The peer's key came with its signed announce: encrypted here,
       * signed by ours (no lookup of its certificate in the DHT). */
      dht_blob *sealed = dht_publickey_encrypt (key, (const char *) data, len);
      dht_data_view view = dht_blob_get_data (sealed);
      g_autoptr (GVariant) wrapped =
        g_variant_ref_sink (g_variant_new ("(s@ay)", lower,
                                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, view.data,
                                                                      view.size, 1)));

      v = dht_value_new (g_variant_get_data (wrapped), g_variant_get_size (wrapped));
      dht_blob_delete (sealed);
      dht_runner_put_signed (self->runner, &inbox, v, on_done, cd, false);
      /* And in the room both listen to, whose search both have made: no
       * new search for the inbox's key before the message leaves.  The
       * first copy to arrive counts (the sequence numbers drop the
       * other). */
      if (room != NULL && (r = g_hash_table_lookup (self->rooms, room)) != NULL && r->listen != NULL)
        dht_runner_put_signed (self->runner, &r->key, v, NULL, NULL, false);
    }
  else
    {
      /* OpenDHT looks the peer's certificate up by its id. */
      v = dht_value_new (data, len);
      dht_runner_put_encrypted (self->runner, &inbox, &recipient, v, on_done, cd, false);
    }
  dht_value_unref (v);
}

typedef struct {
  GWeakRef client;
  gchar *room, *to, *type;
  GBytes *payload;
  guint attempts;
} Retry;

static void
retry_free (gpointer data)
{
  Retry *r = data;

  g_weak_ref_clear (&r->client);
  g_free (r->room);
  g_free (r->to);
  g_free (r->type);
  g_bytes_unref (r->payload);
  g_free (r);
}

static gboolean
on_retry (gpointer data)
{
  Retry *r = data;
  g_autoptr (NavDhtSignalingClient) self = g_weak_ref_get (&r->client);

  if (self != NULL && self->runner != NULL && self->state == NAV_SIGNALING_CLIENT_STATE_CONNECTED)
    put_message (self, r->room, r->to, r->type, r->payload, r->attempts);
  return G_SOURCE_REMOVE;
}

static gboolean
dispatch_event (gpointer data)
{
  Event *e = data;
  g_autoptr (NavDhtSignalingClient) self = g_weak_ref_get (&e->what.shared->client);

  if (self == NULL || self->state == NAV_SIGNALING_CLIENT_STATE_DISCONNECTED)
    return G_SOURCE_REMOVE;
  switch (e->what.kind)
    {
    case EVENT_ROOM_VALUE:
      room_value (self, e);
      break;
    case EVENT_INBOX_VALUE:
      inbox_value (self, e);
      break;
    case EVENT_ROOM_DONE:
      room_done (self, e);
      break;
    case EVENT_PUT_DONE:
      if (!e->ok && e->what.attempts < PUT_ATTEMPTS)
        {
          Retry *r = g_new0 (Retry, 1);
          GSource *timer = g_timeout_source_new (PUT_RETRY_MS << (e->what.attempts - 1));

          g_weak_ref_init (&r->client, self);
          r->room = g_strdup (e->what.room);
          r->to = g_strdup (e->what.to);
          r->type = g_strdup (e->what.type);
          r->payload = g_bytes_ref (e->what.payload);
          r->attempts = e->what.attempts + 1;
          g_source_set_callback (timer, on_retry, r, retry_free);
          g_source_attach (timer, self->context);
          g_source_unref (timer);
        }
      else if (!e->ok)
        {
          g_autofree gchar *reason = g_strdup_printf (_("Peer %s was not found in the DHT (no public key "
                                                        "published under its id)"), e->what.to);

          g_debug ("%s", reason);
          g_signal_emit_by_name (self, "server-error", 404, reason, e->what.type);
        }
      break;
    case EVENT_PING_DONE:
      if (self->connect_task == NULL)
        break;
      self->pings_left--;
      if (e->ok || self->pings_left == 0)
        {
          GTask *task = g_steal_pointer (&self->connect_task);

          if (e->ok)
            {
              set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTED);
              g_signal_emit_by_name (self, "connected", self->peer_id);
              g_task_return_boolean (task, TRUE);
            }
          else
            {
              g_autofree gchar *nodes = g_strjoinv (", ", (gchar **) self->bootstrap->pdata);

              set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                                       _("No DHT bootstrap node answered (%s)"), nodes);
            }
          g_object_unref (task);
        }
      break;
    }
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  NavDhtSignalingClient *self = user_data;
  gint64 now = g_get_monotonic_time (), wall = g_get_real_time ();
  GHashTableIter iter, members;
  Room *room;
  Inbound *in;
  const gchar *from;

  self->ticks++;
  g_hash_table_iter_init (&iter, self->inbound);
  while (g_hash_table_iter_next (&iter, (gpointer *) &from, (gpointer *) &in))
    if (in->waiting_since != 0 && now - in->waiting_since > REORDER_WAIT_US)
      {
        /* Skip the gap: the lowest sequence waiting is next. */
        GHashTableIter p;
        guint64 *seq, lowest = G_MAXUINT64;

        g_hash_table_iter_init (&p, in->pending);
        while (g_hash_table_iter_next (&p, (gpointer *) &seq, NULL))
          lowest = MIN (lowest, *seq);
        in->next = lowest;
        drain (self, from, in);
      }
  if (self->ticks % ANNOUNCE_INTERVAL_S == 0)
    {
      g_hash_table_iter_init (&iter, self->rooms);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
        {
          const gchar *peer;
          gint64 *last;

          announce (self, room, TRUE);
          g_hash_table_iter_init (&members, room->members);
          while (g_hash_table_iter_next (&members, (gpointer *) &peer, (gpointer *) &last))
            if (wall - *last > MEMBER_STALE_S * G_USEC_PER_SEC)
              {
                g_autofree gchar *gone = g_strdup (peer);

                g_hash_table_iter_remove (&members);
                g_signal_emit_by_name (self, "peer-left", room->name, gone);
              }
        }
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ connecting */

static gboolean
parse_uri (NavDhtSignalingClient  *self,
           GError                **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GHashTable) params = NULL;
  const gchar *host, *query, *value;
  g_autofree gchar *authority = NULL;

  if (self->uri == NULL || !g_str_has_prefix (self->uri, "dht:"))
    goto bad;
  /* GUri takes one host; the list of bootstrap nodes is read by hand. */
  host = self->uri + strlen ("dht:");
  if (g_str_has_prefix (host, "//"))
    host += 2;
  authority = g_strndup (host, strcspn (host, "/?#"));
  if (*authority != '\0')
    {
      g_auto (GStrv) nodes = g_strsplit (authority, ",", -1);
      guint i;

      for (i = 0; nodes[i] != NULL; i++)
        {
          const gchar *colon = strrchr (nodes[i], ':');

          if (colon == NULL || colon == nodes[i] || colon[1] == '\0' ||
              g_ascii_strtoull (colon + 1, NULL, 10) == 0 || g_ascii_strtoull (colon + 1, NULL, 10) > 65535)
            goto bad;
          g_ptr_array_insert (self->bootstrap, self->bootstrap->len - 1, g_strdup (nodes[i]));
        }
    }
  query = strchr (self->uri, '?');
  if (query != NULL)
    {
      params = g_uri_parse_params (query + 1, -1, "&", G_URI_PARAMS_NONE, error);
      if (params == NULL)
        return FALSE;
      if ((value = g_hash_table_lookup (params, "port")) != NULL)
        self->port = (guint16) MIN (g_ascii_strtoull (value, NULL, 10), 65535);
      if ((value = g_hash_table_lookup (params, "network")) != NULL)
        self->network = (guint32) g_ascii_strtoull (value, NULL, 10);
    }
  (void) uri;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a DHT URI (dht://, or dht://HOST:PORT,… for bootstrap nodes)"),
               self->uri != NULL ? self->uri : "");
  return FALSE;
}

/* The identity: an RSA key of 2048 bits (tens of milliseconds), made in
 * a thread.  No certificate: values are signed with the key, and peers
 * learn it from the signed announces (OpenDHT's generated identities
 * are 4096-bit keys with a certificate, one to five seconds each on a
 * busy machine). */
static void
make_identity (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  dht_identity *id = g_new0 (dht_identity, 1);

  id->privatekey = dht_privatekey_generate (2048);
  g_task_return_pointer (task, id, g_free);
}

static gboolean
resolve_node (const gchar           *node,
              struct sockaddr_storage *ss,
              socklen_t             *len)
{
  g_autofree gchar *host = g_strdup (node);
  gchar *colon = strrchr (host, ':');
  struct addrinfo hints = { 0, }, *res = NULL;

  *colon = '\0';
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      memmove (host, host + 1, strlen (host));
      host[strlen (host) - 1] = '\0';
    }
  if (getaddrinfo (host, colon + 1, &hints, &res) != 0 || res == NULL)
    return FALSE;
  memcpy (ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo (res);
  return TRUE;
}

static void
identity_made (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (source);
  g_autofree dht_identity *id = g_task_propagate_pointer (G_TASK (result), NULL);
  GTask *task = self->connect_task;
  dht_runner_config config;
  dht_infohash own;
  CallbackData *cd;
  guint i;
  int rc;

  if (task == NULL || id == NULL || id->privatekey == NULL)
    {
      if (id != NULL)
        dht_identity_delete (id);
      if (task != NULL)
        {
          self->connect_task = NULL;
          set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot make a DHT identity"));
          g_object_unref (task);
        }
      return;
    }
  self->identity = *id;
  dht_runner_config_default (&config);
  config.dht_config.id = self->identity;
  config.dht_config.node_config.network = self->network;
  /* In the upper half: see key_for(). */
  for (i = 0; i < G_N_ELEMENTS (config.dht_config.node_config.node_id.d); i++)
    config.dht_config.node_config.node_id.d[i] = g_random_int_range (0, 256);
  config.dht_config.node_config.node_id.d[0] |= 0x80;
  config.threaded = true;
  /* OpenDHT's own multicast discovery of local nodes stays off: the lab
   * and the user say which nodes to join. */
  config.peer_discovery = false;
  config.peer_publish = false;
  self->runner = dht_runner_new ();
  rc = dht_runner_run_config (self->runner, self->port, &config);
  if (rc != 0)
    {
      self->connect_task = NULL;
      set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (ABS (rc)),
                               _("Cannot start the DHT node on port %u: %s"), self->port, g_strerror (ABS (rc)));
      g_object_unref (task);
      return;
    }
  own = dht_runner_get_id (self->runner);
  g_free (self->peer_id);
  self->peer_id = g_strdup (dht_infohash_print (&own));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_ID]);
  key_for (&self->inbox_key, "netavanue-inbox:", self->peer_id);
  cd = callback_data (self, EVENT_INBOX_VALUE, NULL, NULL, NULL);
  self->inbox_listen = dht_runner_listen (self->runner, &self->inbox_key, on_value, NULL, cd);
  self->tick = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->tick, on_tick, self, NULL);
  g_source_attach (self->tick, self->context);

  if (self->bootstrap->len <= 1)
    {
      /* No bootstrap node: an embedded node, others join it. */
      self->connect_task = NULL;
      set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTED);
      g_signal_emit_by_name (self, "connected", self->peer_id);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  self->pings_left = self->bootstrap->len - 1;
  for (i = 0; i + 1 < self->bootstrap->len; i++)
    {
      const gchar *node = g_ptr_array_index (self->bootstrap, i);
      struct sockaddr_storage ss;
      socklen_t len = 0;
      g_autofree gchar *host = g_strndup (node, strrchr (node, ':') - node);

      dht_runner_bootstrap (self->runner, host, strrchr (node, ':') + 1);
      cd = callback_data (self, EVENT_PING_DONE, NULL, NULL, NULL);
      if (resolve_node (node, &ss, &len))
        dht_runner_ping (self->runner, (struct sockaddr *) &ss, len, on_done, cd);
      else
        on_done (true, cd);   /* a name: bootstrapped through OpenDHT's own resolver */
    }
}

static void
client_connect_async (NavSignalingClient  *client,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);
  g_autoptr (GError) error = NULL;
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GTask *worker;

  g_task_set_source_tag (task, client_connect_async);
  if (self->state != NAV_SIGNALING_CLIENT_STATE_DISCONNECTED || self->runner != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, _("The client is already connected"));
      g_object_unref (task);
      return;
    }
  if (!parse_uri (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  self->connect_task = task;
  set_state (self, NAV_SIGNALING_CLIENT_STATE_CONNECTING);
  worker = g_task_new (self, NULL, identity_made, NULL);
  g_task_run_in_thread (worker, make_identity);
  g_object_unref (worker);
}

static gboolean
client_connect_finish (NavSignalingClient  *client,
                       GAsyncResult        *result,
                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
leave_room (NavDhtSignalingClient *self,
            Room                  *room)
{
  announce (self, room, FALSE);
  if (room->listen != NULL)
    {
      dht_runner_cancel_listen (self->runner, &room->key, room->listen);
      dht_op_token_delete (room->listen);
      room->listen = NULL;
    }
  return TRUE;
}

static void
client_disconnect (NavSignalingClient *client)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);
  GHashTableIter iter;
  Room *room;

  if (self->runner != NULL)
    {
      g_hash_table_iter_init (&iter, self->rooms);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
        leave_room (self, room);
    }
  g_hash_table_remove_all (self->rooms);
  set_state (self, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
}

static const gchar *
client_get_uri (NavSignalingClient *client)
{
  return NAV_DHT_SIGNALING_CLIENT (client)->uri;
}

static const gchar *
client_get_peer_id (NavSignalingClient *client)
{
  return NAV_DHT_SIGNALING_CLIENT (client)->peer_id;
}

static NavSignalingClientState
client_get_state (NavSignalingClient *client)
{
  return NAV_DHT_SIGNALING_CLIENT (client)->state;
}

static gchar **
client_list_rooms (NavSignalingClient *client)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);

  g_autofree gchar **keys = (gchar **) g_hash_table_get_keys_as_array (self->rooms, NULL);

  /* The keys are the table's: the caller gets copies. */
  return g_strdupv (keys);
}

static gboolean
client_join (NavSignalingClient  *client,
             const gchar         *name,
             const gchar         *token,
             GError             **error)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);
  CallbackData *cd;
  Room *room;

  if (self->state != NAV_SIGNALING_CLIENT_STATE_CONNECTED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("The DHT client is not connected"));
      return FALSE;
    }
  if (!is_room_id (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("“%s” is not a room id"), name);
      return FALSE;
    }
  if (g_hash_table_contains (self->rooms, name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Already in room %s"), name);
      return FALSE;
    }
  room = g_new0 (Room, 1);
  room->name = g_strdup (name);
  room->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  key_for (&room->key, "netavanue-room:", name);
  g_hash_table_insert (self->rooms, g_strdup (name), room);
  cd = callback_data (self, EVENT_ROOM_VALUE, name, NULL, NULL);
  room->listen = dht_runner_listen (self->runner, &room->key, on_value, NULL, cd);
  announce (self, room, TRUE);
  /* "joined" at once, with no one: the members already there come as
   * "peer-joined" when the listen finds their announces.  (Waiting for
   * a DHT search to end would cost a second or more: nodes behind NATs
   * that cannot answer are waited for.) */
  {
    Event *e = g_new0 (Event, 1);

    e->what.shared = shared_ref (self->shared);
    e->what.kind = EVENT_ROOM_DONE;
    e->what.room = g_strdup (name);
    e->ok = TRUE;
    post (e);
  }
  return TRUE;
}

static gboolean
client_leave (NavSignalingClient  *client,
              const gchar         *name,
              GError             **error)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);
  Room *room = g_hash_table_lookup (self->rooms, name);

  if (room == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Not in room %s"), name);
      return FALSE;
    }
  leave_room (self, room);
  g_hash_table_remove (self->rooms, name);
  g_signal_emit_by_name (self, "left", name);
  return TRUE;
}

static gboolean
emit_pong (gpointer data)
{
  g_signal_emit_by_name (data, "pong");
  return G_SOURCE_REMOVE;
}

static gboolean
send_one (NavDhtSignalingClient *self,
          const gchar           *type,
          const gchar           *room,
          const gchar           *to,
          const gchar           *value)
{
  guint64 *seq = g_hash_table_lookup (self->out_seq, to);
  g_autoptr (GVariant) message = NULL;
  g_autoptr (GBytes) payload = NULL;

  if (seq == NULL)
    {
      seq = g_new0 (guint64, 1);
      g_hash_table_insert (self->out_seq, g_strdup (to), seq);
    }
  (*seq)++;
  message = g_variant_ref_sink (g_variant_new (MESSAGE_TYPE, PROTOCOL_VERSION, *seq, type, room,
                                               value != NULL ? value : ""));
  payload = g_variant_get_data_as_bytes (message);
  put_message (self, room, to, type, payload, 1);
  return TRUE;
}

static gboolean
client_send (NavSignalingClient  *client,
             const gchar         *type,
             const gchar         *room_name,
             const gchar         *to,
             const gchar         *name,
             const gchar         *value,
             GError             **error)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (client);
  Room *room;

  if (self->state != NAV_SIGNALING_CLIENT_STATE_CONNECTED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("The DHT client is not connected"));
      return FALSE;
    }
  if (g_str_equal (type, "ping"))
    {
      /* No server to answer: the node itself is the other end. */
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, emit_pong, g_object_ref (self), g_object_unref);
      g_source_attach (idle, self->context);
      g_source_unref (idle);
      return TRUE;
    }
  room = g_hash_table_lookup (self->rooms, room_name);
  if (room == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Not in room %s"), room_name);
      return FALSE;
    }
  if (to != NULL)
    {
      if (!is_peer_id (to))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("“%s” is not a DHT peer id"), to);
          return FALSE;
        }
      return send_one (self, type, room_name, to, value);
    }
  {
    GHashTableIter iter;
    const gchar *peer;

    g_hash_table_iter_init (&iter, room->members);
    while (g_hash_table_iter_next (&iter, (gpointer *) &peer, NULL))
      send_one (self, type, room_name, peer, value);
  }
  return TRUE;
}

/* ------------------------------------------------------------ object */

static const gsize fields[N_PROPS] = {
  [PROP_URI] = G_STRUCT_OFFSET (NavDhtSignalingClient, uri),
  [PROP_CONTEXT] = G_STRUCT_OFFSET (NavDhtSignalingClient, context),
  [PROP_RECONNECT] = G_STRUCT_OFFSET (NavDhtSignalingClient, reconnect),
  [PROP_KEEPALIVE_INTERVAL] = G_STRUCT_OFFSET (NavDhtSignalingClient, keepalive_interval),
  [PROP_CA_FILE] = G_STRUCT_OFFSET (NavDhtSignalingClient, ca_file),
  [PROP_STATE] = G_STRUCT_OFFSET (NavDhtSignalingClient, state),
  [PROP_PEER_ID] = G_STRUCT_OFFSET (NavDhtSignalingClient, peer_id),
  [PROP_UNSIGNED_IGNORED] = G_STRUCT_OFFSET (NavDhtSignalingClient, unsigned_ignored),
  [PROP_MISMATCHED_IGNORED] = G_STRUCT_OFFSET (NavDhtSignalingClient, mismatched_ignored),
  [PROP_MALFORMED_IGNORED] = G_STRUCT_OFFSET (NavDhtSignalingClient, malformed_ignored),
};

NAV_DEFINE_FIELD_PROPERTIES (nav_dht_signaling_client, fields)

static void
nav_dht_signaling_client_constructed (GObject *object)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (object);

  G_OBJECT_CLASS (nav_dht_signaling_client_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  self->shared = g_new0 (Shared, 1);
  g_atomic_ref_count_init (&self->shared->ref);
  g_weak_ref_init (&self->shared->client, self);
  self->shared->context = g_main_context_ref (self->context);
}

static void
nav_dht_signaling_client_dispose (GObject *object)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (object);

  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
  if (self->runner != NULL)
    {
      client_disconnect (NAV_SIGNALING_CLIENT (self));
      if (self->inbox_listen != NULL)
        {
          dht_runner_cancel_listen (self->runner, &self->inbox_key, self->inbox_listen);
          dht_op_token_delete (self->inbox_listen);
        }
      self->inbox_listen = NULL;
      /* Joins the runner's threads: no callback runs after this. */
      dht_runner_delete (self->runner);
      self->runner = NULL;
      dht_identity_delete (&self->identity);
    }
  g_ptr_array_set_size (self->callback_data, 0);
  G_OBJECT_CLASS (nav_dht_signaling_client_parent_class)->dispose (object);
}

static void
nav_dht_signaling_client_finalize (GObject *object)
{
  NavDhtSignalingClient *self = NAV_DHT_SIGNALING_CLIENT (object);

  g_free (self->uri);
  g_free (self->ca_file);
  g_free (self->peer_id);
  g_ptr_array_unref (self->bootstrap);
  g_hash_table_unref (self->rooms);
  g_hash_table_unref (self->out_seq);
  g_hash_table_unref (self->inbound);
  g_hash_table_unref (self->keys);
  g_ptr_array_unref (self->callback_data);
  if (self->shared != NULL)
    shared_unref (self->shared);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (nav_dht_signaling_client_parent_class)->finalize (object);
}

static void
nav_dht_signaling_client_class_init (NavDhtSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NavSignalingClientClass *client_class = NAV_SIGNALING_CLIENT_CLASS (klass);
  static const gchar *names[] = {
    NULL, "uri", "context", "reconnect", "keepalive-interval", "ca-file", "state", "peer-id",
  };
  guint i;

  object_class->constructed = nav_dht_signaling_client_constructed;
  object_class->dispose = nav_dht_signaling_client_dispose;
  object_class->finalize = nav_dht_signaling_client_finalize;
  object_class->get_property = nav_dht_signaling_client_get_property;
  object_class->set_property = nav_dht_signaling_client_set_property;
  client_class->connect_async = client_connect_async;
  client_class->connect_finish = client_connect_finish;
  client_class->disconnect = client_disconnect;
  client_class->get_uri = client_get_uri;
  client_class->get_peer_id = client_get_peer_id;
  client_class->get_state = client_get_state;
  client_class->list_rooms = client_list_rooms;
  client_class->join = client_join;
  client_class->leave = client_leave;
  client_class->send = client_send;

  /* NavSignalingClient's properties (documented there). */
  for (i = 1; i < G_N_ELEMENTS (names); i++)
    {
      g_object_class_override_property (object_class, i, names[i]);
      properties[i] = g_object_class_find_property (object_class, names[i]);
    }
  /* Counters of values ignored: not signed; signed by another key than
   * the one of the peer they name (or not encrypted to us); malformed. */
  properties[PROP_UNSIGNED_IGNORED] =
    g_param_spec_uint64 ("unsigned-ignored", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MISMATCHED_IGNORED] =
    g_param_spec_uint64 ("mismatched-ignored", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MALFORMED_IGNORED] =
    g_param_spec_uint64 ("malformed-ignored", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  for (i = PROP_UNSIGNED_IGNORED; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_dht_signaling_client_class_finalize (NavDhtSignalingClientClass *klass)
{
}

static void
nav_dht_signaling_client_init (NavDhtSignalingClient *self)
{
  self->reconnect = TRUE;
  self->bootstrap = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->bootstrap, NULL);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, room_free);
  self->out_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->inbound = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, inbound_free);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) dht_publickey_delete);
  self->callback_data = g_ptr_array_new_with_free_func (callback_data_free);
}
