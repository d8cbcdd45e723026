/* nav-signaling-server.c: the signaling server as a NavServer: its
 * properties, and the rooms (the "hub")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-io.h"
#include "nav-signaling-protocol.h"
#include "nav-signaling-redis.h"
#include "nav-signaling-server.h"

/**
 * NavSignalingServer:
 *
 * The signaling server of the `signaling` module: peers join a room over
 * a WebSocket and exchange their SDP offers, answers and candidates
 * through it, as JSON messages described in `docs/signaling.md`.  A
 * [iface@Nav.Server] registered as `signaling` at the `nav-server`
 * extension point.
 *
 * It enforces a room capacity, an optional HMAC-signed join token, a
 * message rate and size per connection and per source address, limits
 * on connections and on pending handshakes, a handshake and an idle
 * timeout; it serves `wss://` when given a certificate, answers
 * `GET /health` and `GET /stats` on the same port, and on
 * [method@Nav.Server.stop] tells every client it is going away (a `bye`
 * message, then a 1001 close).  With [property@Nav.SignalingServer:redis]
 * set, several servers share their rooms through Redis
 * publish/subscribe.
 *
 * The connections are held by [property@Nav.SignalingServer:threads]
 * worker threads, each with its own listening socket on the same port
 * (`SO_REUSEPORT`: the kernel spreads the connections) and one epoll
 * set.  A worker handles the messages it reads itself, the rooms under
 * one lock, and writes to its own connections directly: a forwarded
 * message crosses at most one thread.  With Redis the rooms are the
 * server's [property@Nav.Server:context]'s (the "hub"), where the Redis
 * connection lives.
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
#define DEFAULT_LISTENING_PORT 8080
#define DEFAULT_MAX_ROOM_SIZE 64
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_HANDSHAKE_TIMEOUT 10
#define DEFAULT_RATE 50
#define DEFAULT_BURST 100
#define DEFAULT_IP_RATE 500
#define DEFAULT_IP_BURST 1000
#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_MAX_CONNECTIONS_PER_IP 1024
#define DEFAULT_MAX_PENDING 1024
#define DEFAULT_MAX_PENDING_PER_IP 64
#define DEFAULT_MAX_ROOMS_PER_PEER 8
#define MAX_THREADS 256
#define SHUTDOWN_GRACE_MS 1000
/* Descriptors beyond the connections: listening sockets, epoll sets,
 * eventfds, Redis, logs, what the rest of the process holds. */
#define FD_RESERVE 64

#define STAT_INC(f) NAV_SIGNALING_STAT_INC (self->stats.f)
#define STAT_SET(f, v) NAV_SIGNALING_STAT_SET (self->stats.f, v)
#define STAT_GET(f) NAV_SIGNALING_STAT_GET (self->stats.f)

typedef struct _Peer Peer;
typedef struct _Room Room;

/* A peer, in the hub: what rooms know of a connection. */
struct _Peer
{
  NavSignalingServer *server;           /* unowned: the server outlives its peers */
  guint worker;                         /* where its WebSocket lives */
  gchar *id;
  gchar *remote;
  GHashTable *rooms;                    /* name → Room*, unowned */
  gboolean closing;
};

struct _Room
{
  gchar *name;
  GHashTable *peers;                    /* id → Peer*, local, unowned */
  GHashTable *remote_peers;             /* id → instance id, through Redis */
  guint pending_joins;                  /* joins waiting for Redis */
};

struct _NavSignalingServer
{
  GObject parent_instance;

  GMainContext *context;                /* the hub */
  gboolean running;                     /* atomic: read by workers */

  gchar *listening_ip;
  guint listening_port;
  guint bound_port;
  guint max_room_size;
  guint max_message_size;
  guint idle_timeout;
  guint handshake_timeout;
  guint rate;
  guint burst;
  guint ip_rate;
  guint ip_burst;
  guint max_connections;
  guint max_connections_per_ip;
  guint max_pending;
  guint max_pending_per_ip;
  guint max_rooms_per_peer;
  guint threads;
  gchar *secret;
  gchar *cert_file;
  gchar *pkey_file;
  gchar *redis_url;

  NavSignalingIo *io;                   /* the connections, in the workers */
  /* The rooms: handled by the workers (or with Redis by the hub), under
   * @lock.  A pthread mutex: thread sanitizers see it. */
  pthread_mutex_t lock;
  GHashTable *peers;                    /* id → Peer*, owned */
  GHashTable *rooms;                    /* name → Room*, owned */
  NavSignalingRedis *redis;             /* hub only */
  gint redis_up;                        /* atomic mirror, for /health */
  gint n_threads;                       /* atomic: threads running the workers */
  NavSignalingStats stats;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_PORT,
  PROP_MAX_ROOM_SIZE,
  PROP_MAX_MESSAGE_SIZE,
  PROP_IDLE_TIMEOUT,
  PROP_RATE,
  PROP_BURST,
  PROP_MAX_CONNECTIONS,
  PROP_MAX_ROOMS_PER_PEER,
  PROP_SECRET,
  PROP_CERT_FILE,
  PROP_PKEY_FILE,
  PROP_REDIS,
  PROP_BOUND_PORT,
  PROP_THREADS,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_IP_RATE,
  PROP_IP_BURST,
  PROP_MAX_CONNECTIONS_PER_IP,
  PROP_MAX_PENDING,
  PROP_MAX_PENDING_PER_IP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_signaling_server_server_init (NavServerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavSignalingServer, nav_signaling_server, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_SERVER,
                                                               nav_signaling_server_server_init))

/**
 * nav_signaling_server_register: (skip)
 * @module: the `signaling` module
 *
 * Registers [class@Nav.SignalingServer] in @module.
 */
void
nav_signaling_server_register (GTypeModule *module)
{
  nav_signaling_server_register_type (module);
}

/* --------------------------------------------------------------- sending */

static void
peer_send_text (Peer             *peer,
                NavSignalingText *text)
{
  if (peer->closing)
    return;
  nav_signaling_io_send (peer->server->io, peer->worker, peer->id, text);
}

static void
peer_send_plain (Peer        *peer,
                 const gchar *text)
{
  NavSignalingText *t = nav_signaling_text_new (text, -1);

  peer_send_text (peer, t);
  nav_signaling_text_unref (t);
}

static void
peer_send_owned (Peer  *peer,
                 gchar *text)
{
  peer_send_plain (peer, text);
  g_free (text);
}

static void
peer_send_error (Peer        *peer,
                 gint         code,
                 const gchar *reason,
                 const gchar *ref_type)
{
  NavSignalingServer *self = peer->server;

  STAT_INC (errors);
  g_debug ("event=error peer=%s remote=%s code=%d reason=\"%s\"",
           peer->id, peer->remote, code, reason);
  peer_send_owned (peer, nav_signaling_build_error (code, reason, ref_type));
}

/* ----------------------------------------------------------------- rooms */

static void
room_free (Room *room)
{
  g_free (room->name);
  g_hash_table_unref (room->peers);
  g_hash_table_unref (room->remote_peers);
  g_free (room);
}

static Room *
room_lookup_or_new (NavSignalingServer *self,
                    const gchar        *name)
{
  Room *room = g_hash_table_lookup (self->rooms, name);

  if (room != NULL)
    return room;
  room = g_new0 (Room, 1);
  room->name = g_strdup (name);
  room->peers = g_hash_table_new (g_str_hash, g_str_equal);
  room->remote_peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (self->rooms, room->name, room);
  STAT_SET (rooms, g_hash_table_size (self->rooms));
  return room;
}

static guint
room_size (Room *room)
{
  return g_hash_table_size (room->peers) + g_hash_table_size (room->remote_peers);
}

static void
room_maybe_drop (NavSignalingServer *self,
                 Room               *room)
{
  if (g_hash_table_size (room->peers) > 0 || room->pending_joins > 0)
    return;
  if (self->redis != NULL)
    nav_signaling_redis_unsubscribe (self->redis, room->name);
  g_hash_table_remove (self->rooms, room->name);
  STAT_SET (rooms, g_hash_table_size (self->rooms));
}

/* Delivers @text to the local peers of @room, except @except; one text
 * shared by all. */
static void
room_broadcast_text (Room             *room,
                     NavSignalingText *text,
                     const gchar      *except)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *other = value;

      if (except == NULL || strcmp (other->id, except) != 0)
        peer_send_text (other, text);
    }
}

static void
room_broadcast_local (Room        *room,
                      const gchar *text,
                      const gchar *except)
{
  NavSignalingText *t;

  if (g_hash_table_size (room->peers) == 0)
    return;
  t = nav_signaling_text_new (text, -1);
  room_broadcast_text (room, t, except);
  nav_signaling_text_unref (t);
}

static void
peer_leave_room (Peer    *peer,
                 Room    *room,
                 gboolean notify_self)
{
  NavSignalingServer *self = peer->server;
  g_autofree gchar *event = nav_signaling_build_room_event ("peer-left", room->name, peer->id);

  g_hash_table_remove (room->peers, peer->id);
  g_hash_table_remove (peer->rooms, room->name);
  room_broadcast_local (room, event, NULL);
  if (self->redis != NULL)
    nav_signaling_redis_leave (self->redis, room->name, peer->id, event);
  if (notify_self)
    peer_send_owned (peer, nav_signaling_build_room_event ("left", room->name, peer->id));
  g_debug ("event=leave room=%s peer=%s", room->name, peer->id);
  room_maybe_drop (self, room);
}

/* The peer enters the room: it learns who is there, they learn of it. */
static void
peer_enter_room (Peer *peer,
                 Room *room)
{
  NavSignalingServer *self = peer->server;
  g_autofree gchar *event = nav_signaling_build_room_event ("peer-joined", room->name, peer->id);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);
  g_hash_table_iter_init (&iter, room->remote_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);

  room_broadcast_local (room, event, NULL);
  g_hash_table_insert (room->peers, peer->id, peer);
  g_hash_table_insert (peer->rooms, room->name, room);
  peer_send_owned (peer, nav_signaling_build_joined (room->name, peer->id,
                                                     (const gchar *const *) ids->pdata, ids->len));
  STAT_INC (answered);
  g_debug ("event=join room=%s peer=%s size=%u", room->name, peer->id, room_size (room));
}

/* ------------------------------------------------------------------ Redis */

/* What Redis tells us: a peer of another instance joined or left, or a
 * message arrives for our peers.  @text is forwarded as is. */
static void
redis_event_locked (NavSignalingRedis *redis,
                    const gchar       *room_name,
                    const gchar       *kind,
                    const gchar       *peer_id,
                    const gchar       *instance,
                    const gchar       *to,
                    const gchar       *text,
                    gpointer           user_data)
{
  NavSignalingServer *self = user_data;
  Room *room = g_hash_table_lookup (self->rooms, room_name);

  if (room == NULL)
    return;
  if (g_str_equal (kind, "peer-joined"))
    {
      const gchar *known = g_hash_table_lookup (room->remote_peers, peer_id);

      if (g_hash_table_contains (room->peers, peer_id) || g_strcmp0 (known, instance) == 0)
        return;
      g_hash_table_replace (room->remote_peers, g_strdup (peer_id), g_strdup (instance));
      room_broadcast_local (room, text, NULL);
    }
  else if (g_str_equal (kind, "peer-left"))
    {
      if (g_hash_table_remove (room->remote_peers, peer_id))
        room_broadcast_local (room, text, NULL);
    }
  else if (to != NULL)
    {
      Peer *peer = g_hash_table_lookup (room->peers, to);

      if (peer != NULL)
        {
          peer_send_plain (peer, text);
          STAT_INC (forwarded);
        }
    }
  else
    {
      room_broadcast_local (room, text, peer_id);
      STAT_INC (forwarded);
    }
}

/* Under the lock: Redis delivers in the hub's context, while the
 * workers may be handling messages. */
static void
on_redis_event (NavSignalingRedis *redis,
                const gchar       *room_name,
                const gchar       *kind,
                const gchar       *peer_id,
                const gchar       *instance,
                const gchar       *to,
                const gchar       *text,
                gpointer           user_data)
{
  NavSignalingServer *self = user_data;

  pthread_mutex_lock (&self->lock);
  redis_event_locked (redis, room_name, kind, peer_id, instance, to, text, user_data);
  pthread_mutex_unlock (&self->lock);
}

typedef struct
{
  NavSignalingServer *server;
  gchar *peer_id;
  gchar *room;
} RedisJoin;

static void
redis_join_free (RedisJoin *j)
{
  g_object_unref (j->server);
  g_free (j->peer_id);
  g_free (j->room);
  g_free (j);
}

/* Redis admitted the peer (its seat is taken in the room's hash, in the
 * same script that counted the seats: see nav-signaling-redis.c) and
 * answered with every member, or found the room full. */
static void
redis_admitted_locked (GHashTable   *members,
                       gboolean      full,
                       const GError *error,
                       gpointer      user_data)
{
  RedisJoin *j = user_data;
  NavSignalingServer *self = j->server;
  Peer *peer = g_atomic_int_get (&self->running) ? g_hash_table_lookup (self->peers, j->peer_id) : NULL;
  Room *room = g_hash_table_lookup (self->rooms, j->room);
  GHashTableIter iter;
  gpointer key, value;

  if (room != NULL && room->pending_joins > 0)
    room->pending_joins--;
  if (error != NULL || self->redis == NULL || full || peer == NULL || peer->closing)
    {
      if (peer != NULL && full)
        peer_send_error (peer, NAV_SIGNALING_ERROR_ROOM_FULL, _("The room is full"), "join");
      else if (peer != NULL)
        peer_send_error (peer, NAV_SIGNALING_ERROR_UNAVAILABLE,
                         error != NULL ? error->message : _("Redis is unreachable"), "join");
      else if (error == NULL && !full && self->redis != NULL)
        {
          /* Gone while Redis seated it: give the seat back. */
          g_autofree gchar *event = nav_signaling_build_room_event ("peer-left", j->room, j->peer_id);

          nav_signaling_redis_leave (self->redis, j->room, j->peer_id, event);
        }
      if (room != NULL)
        room_maybe_drop (self, room);
      goto out;
    }
  room = room_lookup_or_new (self, j->room);
  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (room->peers, key) && !g_str_equal (key, peer->id) &&
        !g_str_equal (value, nav_signaling_redis_get_instance (self->redis)))
      g_hash_table_replace (room->remote_peers, g_strdup (key), g_strdup (value));
  if (!g_hash_table_contains (peer->rooms, j->room))
    {
      g_autofree gchar *event = nav_signaling_build_room_event ("peer-joined", j->room, peer->id);

      peer_enter_room (peer, room);
      nav_signaling_redis_announce (self->redis, j->room, peer->id, event);
    }
out:
  redis_join_free (j);
}

static void
on_redis_admitted (GHashTable   *members,
                   gboolean      full,
                   const GError *error,
                   gpointer      user_data)
{
  RedisJoin *j = user_data;
  g_autoptr (NavSignalingServer) self = g_object_ref (j->server);

  pthread_mutex_lock (&self->lock);
  redis_admitted_locked (members, full, error, user_data);
  pthread_mutex_unlock (&self->lock);
}

/* Subscribed: now take a seat and read who is there (see
 * nav-signaling-redis.c for why in this order). */
static void
on_redis_subscribed (gboolean ok,
                     gpointer user_data)
{
  RedisJoin *j = user_data;
  NavSignalingServer *self = j->server;

  if (ok && self->redis != NULL)
    {
      nav_signaling_redis_try_join (self->redis, j->room, j->peer_id, self->max_room_size,
                                    on_redis_admitted, j);
    }
  else
    {
      g_autoptr (GError) error = g_error_new_literal (NAV_ERROR, NAV_ERROR_FAILED, _("Redis is unreachable"));

      on_redis_admitted (NULL, FALSE, error, j);
    }
}

/* Redis came (back): a restarted Redis forgot who is where, so every
 * local member takes its seat again (and is announced: the other
 * servers that still know it ignore the repeat), and we read again who
 * the others hold.  Subscriptions are renewed by nav-signaling-redis.c. */
static void
redis_state_locked (NavSignalingRedis *redis,
                    gboolean           up,
                    gboolean           again,
                    gpointer           user_data)
{
  NavSignalingServer *self = user_data;
  GHashTableIter iter, piter;
  gpointer value, key;

  g_atomic_int_set (&self->redis_up, up);
  if (!up || !again)
    return;
  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Room *room = value;

      g_hash_table_iter_init (&piter, room->peers);
      while (g_hash_table_iter_next (&piter, &key, NULL))
        {
          g_autofree gchar *event = nav_signaling_build_room_event ("peer-joined", room->name, key);

          nav_signaling_redis_rejoin (redis, room->name, key, event);
        }
    }
}

static void
on_redis_state (NavSignalingRedis *redis,
                gboolean           up,
                gboolean           again,
                gpointer           user_data)
{
  NavSignalingServer *self = user_data;

  pthread_mutex_lock (&self->lock);
  redis_state_locked (redis, up, again, user_data);
  pthread_mutex_unlock (&self->lock);
}

/* --------------------------------------------------------- the protocol */

/* --------------------------------------------------------- the protocol */

/* A room id member: a string of 1 to 64 characters of [A-Za-z0-9._-],
 * read whole ("abc\u0000x" and "abc\n" are refused, not taken for
 * "abc").  FALSE with an error sent. */
static gboolean
read_room_id (Peer                      *peer,
              const NavSignalingMessage *msg,
              const gchar               *type,
              gchar                      buf[NAV_SIGNALING_MAX_ID_LENGTH + 1])
{
  const NavJsonMember *m = nav_signaling_message_get (msg, NAV_SIGNALING_KEY_ROOM);
  gsize len = 0;

  if (m->kind != NAV_JSON_STRING)
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“room” must be a string"), type);
      return FALSE;
    }
  if (!nav_signaling_message_get_string (msg, NAV_SIGNALING_KEY_ROOM, buf, NAV_SIGNALING_MAX_ID_LENGTH + 1, &len) ||
      !nav_signaling_id_is_valid_len (buf, len))
    {
      NAV_SIGNALING_STAT_INC (peer->server->stats.dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE,
                       _("A room id is 1 to 64 characters of A–Z, a–z, 0–9, “-”, “_” and “.”"), type);
      return FALSE;
    }
  return TRUE;
}

static void
handle_join (Peer                      *peer,
             const NavSignalingMessage *msg)
{
  NavSignalingServer *self = peer->server;
  gchar room_buf[NAV_SIGNALING_MAX_ID_LENGTH + 1];
  g_autofree gchar *token = nav_signaling_message_dup_string (msg, NAV_SIGNALING_KEY_TOKEN);
  g_autofree gchar *generated = NULL;
  const gchar *room_name;
  Room *room;

  if (nav_signaling_message_get (msg, NAV_SIGNALING_KEY_ROOM) != NULL)
    {
      if (!read_room_id (peer, msg, "join", room_buf))
        return;
      room_name = room_buf;
    }
  else
    {
      /* A fresh room: 8 characters of Crockford base32, 40 bits. */
      generated = nav_signaling_random_code (NAV_SIGNALING_ROOM_CODE_LENGTH);
      room_name = generated;
    }
  if (self->secret != NULL &&
      !nav_signaling_token_verify (self->secret, room_name, token, g_get_real_time () / G_USEC_PER_SEC))
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_UNAUTHORIZED,
                       token == NULL ? _("This server needs a join token") : _("Invalid or expired join token"),
                       "join");
      return;
    }
  if (g_hash_table_contains (peer->rooms, room_name))
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("Already in this room"), "join");
      return;
    }
  if (self->max_rooms_per_peer > 0 && g_hash_table_size (peer->rooms) >= self->max_rooms_per_peer)
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_TOO_MANY_ROOMS, _("In too many rooms"), "join");
      return;
    }

  if (self->redis != NULL)
    {
      RedisJoin *j;

      if (!nav_signaling_redis_is_connected (self->redis))
        {
          peer_send_error (peer, NAV_SIGNALING_ERROR_UNAVAILABLE, _("Redis is unreachable"), "join");
          return;
        }
      j = g_new0 (RedisJoin, 1);
      j->server = g_object_ref (self);
      j->peer_id = g_strdup (peer->id);
      j->room = g_strdup (room_name);
      /* Keep the room (and so the subscription) while Redis answers. */
      room_lookup_or_new (self, room_name)->pending_joins++;
      nav_signaling_redis_subscribe (self->redis, room_name, on_redis_subscribed, j);
      return;
    }

  room = room_lookup_or_new (self, room_name);
  if (self->max_room_size > 0 && room_size (room) >= self->max_room_size)
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_ROOM_FULL, _("The room is full"), "join");
      room_maybe_drop (self, room);
      return;
    }
  peer_enter_room (peer, room);
}

static Room *
peer_room_of (Peer                      *peer,
              const NavSignalingMessage *msg,
              const gchar               *type)
{
  gchar room_buf[NAV_SIGNALING_MAX_ID_LENGTH + 1];
  Room *room;

  if (nav_signaling_message_get (msg, NAV_SIGNALING_KEY_ROOM) == NULL)
    {
      /* One room joined: "room" may be left out. */
      if (g_hash_table_size (peer->rooms) == 1)
        {
          GHashTableIter iter;
          gpointer value = NULL;

          g_hash_table_iter_init (&iter, peer->rooms);
          g_hash_table_iter_next (&iter, NULL, &value);
          return value;
        }
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“room” is missing"), type);
      return NULL;
    }
  if (!read_room_id (peer, msg, type, room_buf))
    return NULL;
  room = g_hash_table_lookup (peer->rooms, room_buf);
  if (room == NULL)
    peer_send_error (peer, NAV_SIGNALING_ERROR_NOT_IN_ROOM, _("Not in this room"), type);
  return room;
}

static void
handle_leave (Peer                      *peer,
              const NavSignalingMessage *msg)
{
  Room *room = peer_room_of (peer, msg, "leave");

  if (room != NULL)
    peer_leave_room (peer, room, TRUE);
}

static gboolean
check_string_member (Peer                      *peer,
                     const NavSignalingMessage *msg,
                     NavSignalingKey            key,
                     const gchar               *member,
                     const gchar               *type)
{
  const NavJsonMember *m = nav_signaling_message_get (msg, key);

  if (m == NULL || m->kind != NAV_JSON_STRING)
    {
      g_autofree gchar *reason = g_strdup_printf (_("“%s” must be a string"), member);

      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, reason, type);
      return FALSE;
    }
  return TRUE;
}

/* offer, answer, candidate, end-of-candidates, bye: to the peer named by
 * "to", or to every other peer of the room without it.  The server sets
 * "v", "from" and "room" and removes "token"; the rest travels as it
 * came, spliced into the new text rather than parsed and written
 * again. */
static void
handle_forward (Peer                      *peer,
                const NavSignalingMessage *msg,
                NavSignalingMessageType    kind,
                const gchar               *type)
{
  NavSignalingServer *self = peer->server;
  gchar to_buf[NAV_SIGNALING_MAX_ID_LENGTH + 1];
  const gchar *to = NULL;
  NavSignalingText *text;
  gchar *block;
  gsize len;
  Room *room;

  if (kind == NAV_SIGNALING_MSG_OFFER || kind == NAV_SIGNALING_MSG_ANSWER)
    {
      if (!check_string_member (peer, msg, NAV_SIGNALING_KEY_SDP, "sdp", type))
        return;
    }
  else if (kind == NAV_SIGNALING_MSG_CANDIDATE)
    {
      if (!check_string_member (peer, msg, NAV_SIGNALING_KEY_CANDIDATE, "candidate", type))
        return;
    }
  if (nav_signaling_message_get (msg, NAV_SIGNALING_KEY_TO) != NULL)
    {
      gsize to_len = 0;

      if (!check_string_member (peer, msg, NAV_SIGNALING_KEY_TO, "to", type))
        return;
      /* Not a peer id: no peer has it. */
      if (!nav_signaling_message_get_string (msg, NAV_SIGNALING_KEY_TO, to_buf, sizeof to_buf, &to_len) ||
          strlen (to_buf) != to_len)
        to_buf[0] = '\0';
      to = to_buf;
    }
  room = peer_room_of (peer, msg, type);
  if (room == NULL)
    return;

  block = nav_signaling_build_forward (msg, peer->id, room->name, NAV_SIGNALING_TEXT_PREFIX, &len);
  text = nav_signaling_text_adopt (block, len);
  if (to != NULL)
    {
      Peer *target = g_hash_table_lookup (room->peers, to);

      if (target != NULL)
        {
          peer_send_text (target, text);
          STAT_INC (forwarded);
        }
      else if (self->redis != NULL && g_hash_table_contains (room->remote_peers, to))
        {
          nav_signaling_redis_forward (self->redis, room->name, peer->id, to, text->text);
          STAT_INC (forwarded);
        }
      else
        {
          peer_send_error (peer, NAV_SIGNALING_ERROR_NO_SUCH_PEER, _("No such peer in this room"), type);
        }
    }
  else
    {
      room_broadcast_text (room, text, peer->id);
      if (self->redis != NULL && g_hash_table_size (room->remote_peers) > 0)
        nav_signaling_redis_forward (self->redis, room->name, peer->id, NULL, text->text);
      STAT_INC (forwarded);
    }
  nav_signaling_text_unref (text);
}

/* A message from a peer, already checked for rate and size by its
 * worker. */
static void
hub_handle_message (Peer        *peer,
                    const gchar *data,
                    gsize        len)
{
  NavSignalingServer *self = peer->server;
  NavSignalingMessage msg;
  gchar type[64];
  gsize type_len = 0;
  gint64 v;
  NavSignalingMessageType kind;

  switch (nav_signaling_message_parse (&msg, data, len, NAV_SIGNALING_MAX_NESTING))
    {
    case NAV_JSON_OK:
      break;
    case NAV_JSON_TOO_DEEP:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("JSON nested too deeply"), NULL);
      return;
    case NAV_JSON_NOT_OBJECT:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("A message is a JSON object"), NULL);
      return;
    case NAV_JSON_TOO_MANY_MEMBERS:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("Too many members in a message"), NULL);
      return;
    case NAV_JSON_DUPLICATE:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("A member appears twice"), NULL);
      return;
    case NAV_JSON_INVALID:
    default:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("Not JSON"), NULL);
      return;
    }

  if (!nav_signaling_message_get_string (&msg, NAV_SIGNALING_KEY_TYPE, type, sizeof type, &type_len))
    {
      const NavJsonMember *m = nav_signaling_message_get (&msg, NAV_SIGNALING_KEY_TYPE);

      if (m == NULL || m->kind != NAV_JSON_STRING)
        {
          STAT_INC (dropped);
          peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“type” is missing"), NULL);
          return;
        }
      /* Longer than any type: unknown. */
      g_strlcpy (type, "", sizeof type);
    }
  if (!nav_signaling_message_get_int (&msg, NAV_SIGNALING_KEY_V, &v))
    {
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“v” is missing"), type);
      return;
    }
  if (v != NAV_SIGNALING_PROTOCOL_VERSION)
    {
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_VERSION, _("This server speaks version 1"), type);
      return;
    }

  kind = strlen (type) == type_len ? nav_signaling_type_from_string (type) : NAV_SIGNALING_MSG_UNKNOWN;
  switch (kind)
    {
    case NAV_SIGNALING_MSG_JOIN:
      handle_join (peer, &msg);
      break;
    case NAV_SIGNALING_MSG_LEAVE:
      handle_leave (peer, &msg);
      break;
    case NAV_SIGNALING_MSG_PING:
      peer_send_owned (peer, nav_signaling_build_pong (&msg));
      STAT_INC (answered);
      break;
    case NAV_SIGNALING_MSG_PONG:
      break;
    case NAV_SIGNALING_MSG_OFFER:
    case NAV_SIGNALING_MSG_ANSWER:
    case NAV_SIGNALING_MSG_CANDIDATE:
    case NAV_SIGNALING_MSG_END_OF_CANDIDATES:
    case NAV_SIGNALING_MSG_BYE:
      handle_forward (peer, &msg, kind, type);
      break;
    case NAV_SIGNALING_MSG_UNKNOWN:
    default:
      STAT_INC (dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_UNKNOWN_TYPE, _("Unknown message type"), type);
      break;
    }
}

static void
peer_free (Peer *peer)
{
  g_hash_table_unref (peer->rooms);
  g_free (peer->id);
  g_free (peer->remote);
  g_free (peer);
}

static void
peer_leave_all (Peer *peer)
{
  GList *rooms = g_hash_table_get_values (peer->rooms);
  GList *l;

  for (l = rooms; l != NULL; l = l->next)
    peer_leave_room (peer, l->data, FALSE);
  g_list_free (rooms);
}

static void
hub_remove_peer (NavSignalingServer *self,
                 Peer               *peer)
{
  peer_leave_all (peer);
  g_hash_table_remove (self->peers, peer->id);
  STAT_SET (peers, g_hash_table_size (self->peers));
}

static void
io_event_locked (gpointer             user_data,
                 NavSignalingIoEvent  event,
                 guint                worker,
                 const gchar         *id,
                 const gchar         *remote,
                 const gchar         *data,
                 gsize                len,
                 gushort              code)
{
  NavSignalingServer *self = user_data;
  Peer *peer = g_hash_table_lookup (self->peers, id);

  switch (event)
    {
    case NAV_SIGNALING_IO_CONNECTED:
      if (peer != NULL || !g_atomic_int_get (&self->running))
        {
          /* Two workers drew the same 60-bit id, or we are stopping. */
          nav_signaling_io_close (self->io, worker, id, NAV_SIGNALING_CLOSE_TRY_AGAIN_LATER, "try again");
          return;
        }
      peer = g_new0 (Peer, 1);
      peer->server = self;
      peer->worker = worker;
      peer->id = g_strdup (id);
      peer->remote = g_strdup (remote);
      peer->rooms = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (self->peers, peer->id, peer);
      STAT_SET (peers, g_hash_table_size (self->peers));
      g_debug ("event=connect peer=%s remote=%s worker=%u", peer->id, peer->remote, worker);
      break;
    case NAV_SIGNALING_IO_MESSAGE:
      if (peer != NULL && peer->worker == worker && !peer->closing)
        hub_handle_message (peer, data, len);
      break;
    case NAV_SIGNALING_IO_CLOSED:
      if (peer != NULL && peer->worker == worker)
        {
          g_debug ("event=disconnect peer=%s remote=%s code=%u", peer->id, peer->remote, code);
          hub_remove_peer (self, peer);
        }
      break;
    }
}

/* What the connections say: in the worker that read it (or, with Redis,
 * in the hub's context), under the lock. */
static void
on_io_event (gpointer             user_data,
             NavSignalingIoEvent  event,
             guint                worker,
             const gchar         *id,
             const gchar         *remote,
             const gchar         *data,
             gsize                len,
             gushort              code)
{
  NavSignalingServer *self = user_data;

  pthread_mutex_lock (&self->lock);
  io_event_locked (user_data, event, worker, id, remote, data, len, code);
  pthread_mutex_unlock (&self->lock);
}

static GVariant *nav_signaling_server_get_stats (NavServer *server);

/* GET /health and /stats, answered by the workers: reads only atomics. */
static gchar *
on_http (gpointer     user_data,
         const gchar *path)
{
  NavSignalingServer *self = user_data;
  GString *body = g_string_new (NULL);

  if (g_str_equal (path, "/health"))
    {
      g_string_append_printf (body, "{\"status\":\"%s\",\"redis\":\"%s\",\"threads\":%u}\n",
                              g_atomic_int_get (&self->running) ? "ok" : "stopping",
                              self->redis_url == NULL ? "off" :
                              g_atomic_int_get (&self->redis_up) ? "ok" : "down",
                              g_atomic_int_get (&self->n_threads));
    }
  else if (g_str_equal (path, "/stats"))
    {
      g_autoptr (GVariant) stats = g_variant_ref_sink (nav_signaling_server_get_stats (NAV_SERVER (self)));
      GVariantIter iter;
      const gchar *key;
      guint64 value;
      gboolean first = TRUE;

      g_string_append_c (body, '{');
      g_variant_iter_init (&iter, stats);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        {
          g_string_append_printf (body, "%s\"%s\":%" G_GUINT64_FORMAT, first ? "" : ",", key, value);
          first = FALSE;
        }
      g_string_append (body, "}\n");
    }
  else
    {
      g_string_free (body, TRUE);
      return NULL;
    }
  return g_string_free (body, FALSE);
}

/* ------------------------------------------------------------- NavServer */

/* How many descriptors the limits need, and what the process may open:
 * said once, clearly, at start (the daemon raises its soft limit first,
 * see tools/nav-server-signaling.c). */
static void
check_descriptor_budget (NavSignalingServer *self)
{
  struct rlimit rl;
  guint64 needed;

  if (self->max_connections == 0 || getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return;
  needed = (guint64) self->max_connections + FD_RESERVE;
  if ((guint64) rl.rlim_cur >= needed)
    return;
  g_warning ("event=fd-limit server=signaling descriptors=%" G_GUINT64_FORMAT " needed=%" G_GUINT64_FORMAT
             " max-connections=%u: about %" G_GUINT64_FORMAT " connections fit; beyond, accepting pauses "
             "until descriptors are free (raise the limit, e.g. ulimit -n %" G_GUINT64_FORMAT
             ", or lower --signaling-max-connections)",
             (guint64) rl.rlim_cur, needed, self->max_connections,
             (guint64) rl.rlim_cur > FD_RESERVE ? (guint64) rl.rlim_cur - FD_RESERVE : 0, needed);
}

static gboolean
nav_signaling_server_start (NavServer  *server,
                            GError    **error)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GError) local_error = NULL;
  NavSignalingIoConfig config = { 0 };
  guint n_threads, port = 0;

  if (self->running)
    return TRUE;

  inet = g_inet_address_new_from_string (self->listening_ip);
  if (inet == NULL)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address"), self->listening_ip);
      return FALSE;
    }
  if (self->max_message_size < 256)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The largest message must be at least 256 bytes"));
      return FALSE;
    }

  n_threads = self->threads > 0 ? self->threads : (guint) g_get_num_processors ();
  config.threads = CLAMP (n_threads, 1, MAX_THREADS);
  config.max_message_size = self->max_message_size;
  config.idle_timeout = self->idle_timeout;
  config.handshake_timeout = self->handshake_timeout;
  config.rate = self->rate;
  config.burst = self->burst;
  config.ip_rate = self->ip_rate;
  config.ip_burst = self->ip_burst;
  config.max_connections = self->max_connections;
  config.max_connections_per_ip = self->max_connections_per_ip;
  config.max_pending = self->max_pending;
  config.max_pending_per_ip = self->max_pending_per_ip;
  config.token_required = self->secret != NULL;
  /* Redis is reached from the hub's context only: then the rooms are
   * handled there. */
  config.events_in_workers = self->redis_url == NULL;
  config.cert_file = self->cert_file;
  config.pkey_file = self->pkey_file;
  memset (&self->stats, 0, sizeof self->stats);

  self->io = nav_signaling_io_new (&config, &self->stats, self->context, on_io_event, on_http, self, error);
  if (self->io == NULL)
    return FALSE;
  if (!nav_signaling_io_listen (self->io, inet, self->listening_port, &port, &local_error))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot listen on %s port %u: %s"),
                   self->listening_ip, self->listening_port, local_error->message);
      g_clear_pointer (&self->io, nav_signaling_io_free);
      return FALSE;
    }
  self->bound_port = port;

  if (self->redis_url != NULL)
    {
      self->redis = nav_signaling_redis_new (self->redis_url, self->context, on_redis_event,
                                             on_redis_state, self, error);
      if (self->redis == NULL)
        {
          g_clear_pointer (&self->io, nav_signaling_io_free);
          return FALSE;
        }
    }

  check_descriptor_budget (self);
  g_atomic_int_set (&self->running, TRUE);
  g_atomic_int_set (&self->n_threads, nav_signaling_io_start (self->io));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_PORT]);
  g_message ("event=listening server=signaling url=%s://%s%s%s:%u/ threads=%u redis=%s",
             self->cert_file != NULL ? "wss" : "ws",
             strchr (self->listening_ip, ':') ? "[" : "", self->listening_ip,
             strchr (self->listening_ip, ':') ? "]" : "", self->bound_port, config.threads,
             self->redis_url != NULL ? self->redis_url : "off");
  return TRUE;
}

/* Tells every client the server goes away: a "bye" message, then a 1001
 * close (RFC 6455 §7.4.1), so a client reconnects elsewhere rather than
 * waiting for a timeout.  The workers send them; the hub (this context)
 * runs a short while, until every peer is gone. */
static void
nav_signaling_server_stop (NavServer *server)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  GHashTableIter iter;
  gpointer value;
  gint64 deadline;

  if (!self->running)
    return;
  g_atomic_int_set (&self->running, FALSE);

  pthread_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Peer *) value)->closing = TRUE;
  pthread_mutex_unlock (&self->lock);
  nav_signaling_io_shutdown (self->io, "{\"v\":1,\"type\":\"bye\",\"reason\":\"server shutting down\"}");
  deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_MS * 1000;
  for (;;)
    {
      guint left;

      pthread_mutex_lock (&self->lock);
      left = g_hash_table_size (self->peers);
      pthread_mutex_unlock (&self->lock);
      if ((left == 0 && STAT_GET (open) <= 0) || g_get_monotonic_time () >= deadline)
        break;
      if (!g_main_context_iteration (self->context, FALSE))
        g_usleep (1000);
    }

  /* What the workers said last (closed connections), then whoever did
   * not answer the close in time is dropped. */
  nav_signaling_io_dispatch (self->io);
  g_clear_pointer (&self->io, nav_signaling_io_free);
  g_atomic_int_set (&self->n_threads, 0);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    peer_leave_all (value);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->rooms);
  STAT_SET (peers, 0);
  STAT_SET (rooms, 0);
  g_clear_pointer (&self->redis, nav_signaling_redis_free);
  g_atomic_int_set (&self->redis_up, FALSE);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_message ("event=stopped server=signaling");
}

/* Callable from any thread (the workers answer /stats with it). */
static GVariant *
nav_signaling_server_get_stats (NavServer *server)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "received", STAT_GET (received));
  g_variant_builder_add (&builder, "{st}", "answered", STAT_GET (answered));
  g_variant_builder_add (&builder, "{st}", "forwarded", STAT_GET (forwarded));
  g_variant_builder_add (&builder, "{st}", "dropped", STAT_GET (dropped));
  g_variant_builder_add (&builder, "{st}", "errors", STAT_GET (errors));
  g_variant_builder_add (&builder, "{st}", "rooms", STAT_GET (rooms));
  g_variant_builder_add (&builder, "{st}", "peers", STAT_GET (peers));
  g_variant_builder_add (&builder, "{st}", "connections", STAT_GET (connections));
  g_variant_builder_add (&builder, "{st}", "refused", STAT_GET (refused));
  g_variant_builder_add (&builder, "{st}", "idle-closed", STAT_GET (idle_closed));
  g_variant_builder_add (&builder, "{st}", "rate-closed", STAT_GET (rate_closed));
  g_variant_builder_add (&builder, "{st}", "handshake-timeouts", STAT_GET (handshake_timeouts));
  g_variant_builder_add (&builder, "{st}", "too-large", STAT_GET (too_large));
  g_variant_builder_add (&builder, "{st}", "accept-errors", STAT_GET (accept_errors));
  g_variant_builder_add (&builder, "{st}", "open", (guint64) MAX (STAT_GET (open), 0));
  g_variant_builder_add (&builder, "{st}", "pending", (guint64) MAX (STAT_GET (pending), 0));
  return g_variant_builder_end (&builder);
}

static void
nav_signaling_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_signaling_server_start;
  iface->stop = nav_signaling_server_stop;
  iface->get_stats = nav_signaling_server_get_stats;
}

static void
nav_signaling_server_constructed (GObject *object)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  G_OBJECT_CLASS (nav_signaling_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_signaling_server_dispose (GObject *object)
{
  nav_signaling_server_stop (NAV_SERVER (object));

  G_OBJECT_CLASS (nav_signaling_server_parent_class)->dispose (object);
}

static void
nav_signaling_server_finalize (GObject *object)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->rooms);
  pthread_mutex_destroy (&self->lock);
  g_free (self->listening_ip);
  g_free (self->secret);
  g_free (self->cert_file);
  g_free (self->pkey_file);
  g_free (self->redis_url);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_signaling_server_parent_class)->finalize (object);
}

static void
nav_signaling_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_LISTENING_IP:
      g_value_set_string (value, self->listening_ip);
      break;
    case PROP_LISTENING_PORT:
      g_value_set_uint (value, self->listening_port);
      break;
    case PROP_MAX_ROOM_SIZE:
      g_value_set_uint (value, self->max_room_size);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->max_message_size);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_RATE:
      g_value_set_uint (value, self->rate);
      break;
    case PROP_BURST:
      g_value_set_uint (value, self->burst);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_MAX_ROOMS_PER_PEER:
      g_value_set_uint (value, self->max_rooms_per_peer);
      break;
    case PROP_SECRET:
      g_value_set_string (value, self->secret);
      break;
    case PROP_CERT_FILE:
      g_value_set_string (value, self->cert_file);
      break;
    case PROP_PKEY_FILE:
      g_value_set_string (value, self->pkey_file);
      break;
    case PROP_REDIS:
      g_value_set_string (value, self->redis_url);
      break;
    case PROP_BOUND_PORT:
      g_value_set_uint (value, self->bound_port);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, self->threads);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_IP_RATE:
      g_value_set_uint (value, self->ip_rate);
      break;
    case PROP_IP_BURST:
      g_value_set_uint (value, self->ip_burst);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      g_value_set_uint (value, self->max_connections_per_ip);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_MAX_PENDING_PER_IP:
      g_value_set_uint (value, self->max_pending_per_ip);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (gchar       **field,
            const GValue *value)
{
  const gchar *s = g_value_get_string (value);

  g_free (*field);
  *field = (s != NULL && s[0] != '\0') ? g_strdup (s) : NULL;
}

static void
nav_signaling_server_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_IP:
      g_free (self->listening_ip);
      self->listening_ip = g_value_dup_string (value);
      if (self->listening_ip == NULL)
        self->listening_ip = g_strdup (DEFAULT_LISTENING_IP);
      break;
    case PROP_LISTENING_PORT:
      self->listening_port = g_value_get_uint (value);
      break;
    case PROP_MAX_ROOM_SIZE:
      self->max_room_size = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_RATE:
      self->rate = g_value_get_uint (value);
      break;
    case PROP_BURST:
      self->burst = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_ROOMS_PER_PEER:
      self->max_rooms_per_peer = g_value_get_uint (value);
      break;
    case PROP_SECRET:
      set_string (&self->secret, value);
      break;
    case PROP_CERT_FILE:
      set_string (&self->cert_file, value);
      break;
    case PROP_PKEY_FILE:
      set_string (&self->pkey_file, value);
      break;
    case PROP_REDIS:
      set_string (&self->redis_url, value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      self->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_IP_RATE:
      self->ip_rate = g_value_get_uint (value);
      break;
    case PROP_IP_BURST:
      self->ip_burst = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      self->max_connections_per_ip = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING_PER_IP:
      self->max_pending_per_ip = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_signaling_server_class_init (NavSignalingServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_signaling_server_constructed;
  object_class->dispose = nav_signaling_server_dispose;
  object_class->finalize = nav_signaling_server_finalize;
  object_class->get_property = nav_signaling_server_get_property;
  object_class->set_property = nav_signaling_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavSignalingServer:listening-ip:
   *
   * The IP address to listen on; `0.0.0.0` or `::` for every address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         DEFAULT_LISTENING_IP, rw);

  /**
   * NavSignalingServer:listening-port:
   *
   * The TCP port of the WebSocket endpoint; 0 for any free port (then
   * read [property@Nav.SignalingServer:bound-port]).
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The TCP port of the WebSocket endpoint",
                       0, G_MAXUINT16, DEFAULT_LISTENING_PORT, rw);

  /**
   * NavSignalingServer:max-room-size:
   *
   * The most peers one room holds; a peer joining a full room gets error
   * 409.  0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ROOM_SIZE] =
    g_param_spec_uint ("max-room-size", "Maximum room size",
                       "The most peers in one room; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_ROOM_SIZE, rw);

  /**
   * NavSignalingServer:max-message-size:
   *
   * The largest WebSocket message accepted, in bytes; a larger one closes
   * the connection with code 1009 (RFC 6455 §7.4.1).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_MESSAGE_SIZE] =
    g_param_spec_uint ("max-message-size", "Maximum message size",
                       "The largest message accepted, in bytes",
                       256, 16 * 1024 * 1024, DEFAULT_MAX_MESSAGE_SIZE, rw);

  /**
   * NavSignalingServer:idle-timeout:
   *
   * Seconds without a message after which a connection is closed (1008);
   * clients send `ping` to stay.
   *
   * Since: 1.0
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", "Idle timeout",
                       "Seconds without a message before a connection is closed",
                       1, 24 * 3600, DEFAULT_IDLE_TIMEOUT, rw);

  /**
   * NavSignalingServer:rate:
   *
   * Messages a second one connection may send on average; beyond it
   * messages are refused with error 429, and a connection that keeps on
   * is closed (1008).  0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_RATE] =
    g_param_spec_uint ("rate", "Rate", "Messages a second per connection; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_RATE, rw);

  /**
   * NavSignalingServer:burst:
   *
   * Messages one connection may send at once above
   * [property@Nav.SignalingServer:rate].
   *
   * Since: 1.0
   */
  properties[PROP_BURST] =
    g_param_spec_uint ("burst", "Burst", "Messages at once above the rate",
                       1, G_MAXUINT, DEFAULT_BURST, rw);

  /**
   * NavSignalingServer:max-connections:
   *
   * The most connections at once, WebSockets and connections still in
   * their handshake; more are refused (HTTP 503).  0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", "Maximum connections",
                       "The most connections at once; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_CONNECTIONS, rw);

  /**
   * NavSignalingServer:max-rooms-per-peer:
   *
   * The most rooms one connection may be in; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ROOMS_PER_PEER] =
    g_param_spec_uint ("max-rooms-per-peer", "Maximum rooms per peer",
                       "The most rooms one connection may be in",
                       0, G_MAXUINT, DEFAULT_MAX_ROOMS_PER_PEER, rw);

  /**
   * NavSignalingServer:secret:
   *
   * The shared secret of join tokens; %NULL lets anyone join any room.
   * A token is `EXPIRES.HEX(HMAC-SHA256(secret, "EXPIRES:ROOM"))`.
   *
   * Since: 1.0
   */
  properties[PROP_SECRET] =
    g_param_spec_string ("secret", "Secret", "The shared secret of join tokens",
                         NULL, rw);

  /**
   * NavSignalingServer:cert-file:
   *
   * A PEM certificate: with it the server speaks `wss://` only.
   *
   * Since: 1.0
   */
  properties[PROP_CERT_FILE] =
    g_param_spec_string ("cert-file", "Certificate file", "A PEM certificate (wss://)",
                         NULL, rw);

  /**
   * NavSignalingServer:pkey-file:
   *
   * The PEM private key of [property@Nav.SignalingServer:cert-file];
   * %NULL when the key is in the certificate file.
   *
   * Since: 1.0
   */
  properties[PROP_PKEY_FILE] =
    g_param_spec_string ("pkey-file", "Private key file", "The PEM private key",
                         NULL, rw);

  /**
   * NavSignalingServer:redis:
   *
   * A `redis://HOST:PORT` URL: rooms are shared with every server using
   * the same Redis.  %NULL keeps rooms in this process.
   *
   * Since: 1.0
   */
  properties[PROP_REDIS] =
    g_param_spec_string ("redis", "Redis", "redis://HOST:PORT to share rooms through",
                         NULL, rw);

  /**
   * NavSignalingServer:bound-port:
   *
   * The port the server listens on once started.
   *
   * Since: 1.0
   */
  properties[PROP_BOUND_PORT] =
    g_param_spec_uint ("bound-port", "Bound port", "The port listened on",
                       0, G_MAXUINT16, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * NavSignalingServer:threads:
   *
   * Worker threads holding the WebSockets, each with its own epoll set
   * and its own socket on the listening port (`SO_REUSEPORT`);
   * rooms stay in [property@Nav.Server:context].  0 for one per CPU.
   * Read at [method@Nav.Server.start].
   *
   * Since: 1.0
   */
  properties[PROP_THREADS] =
    g_param_spec_uint ("threads", "Threads", "Worker threads holding the WebSockets; 0 for one per CPU",
                       0, MAX_THREADS, 0, rw);

  /**
   * NavSignalingServer:handshake-timeout:
   *
   * Seconds a new connection has to finish its TLS and WebSocket
   * handshakes; then it is closed.
   *
   * Since: 1.0
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", "Handshake timeout",
                       "Seconds a connection has to finish its handshakes",
                       1, 3600, DEFAULT_HANDSHAKE_TIMEOUT, rw);

  /**
   * NavSignalingServer:ip-rate:
   *
   * Messages (pings included) and new connections a second from one
   * source address (an IPv6 /64), all its connections together; beyond
   * it they are refused as for [property@Nav.SignalingServer:rate].
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_IP_RATE] =
    g_param_spec_uint ("ip-rate", "Rate per address",
                       "Messages and connections a second per source address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_IP_RATE, rw);

  /**
   * NavSignalingServer:ip-burst:
   *
   * Messages and connections at once above
   * [property@Nav.SignalingServer:ip-rate].
   *
   * Since: 1.0
   */
  properties[PROP_IP_BURST] =
    g_param_spec_uint ("ip-burst", "Burst per address", "Messages and connections at once above the rate per address",
                       1, G_MAXUINT, DEFAULT_IP_BURST, rw);

  /**
   * NavSignalingServer:max-connections-per-ip:
   *
   * The most connections (handshakes included) from one source address
   * (an IPv6 /64).  0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONNECTIONS_PER_IP] =
    g_param_spec_uint ("max-connections-per-ip", "Maximum connections per address",
                       "The most connections from one source address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_CONNECTIONS_PER_IP, rw);

  /**
   * NavSignalingServer:max-pending:
   *
   * The most connections still in their TLS or WebSocket handshake.
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", "Maximum pending handshakes",
                       "The most connections in their handshake; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_PENDING, rw);

  /**
   * NavSignalingServer:max-pending-per-ip:
   *
   * The most connections in their handshake from one source address.
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PENDING_PER_IP] =
    g_param_spec_uint ("max-pending-per-ip", "Maximum pending handshakes per address",
                       "The most connections in their handshake from one address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_PENDING_PER_IP, rw);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_signaling_server_class_finalize (NavSignalingServerClass *klass)
{
}

static void
nav_signaling_server_init (NavSignalingServer *self)
{
  pthread_mutexattr_t attr;

  /* Recursive: a Redis call may answer at once, from inside a join. */
  pthread_mutexattr_init (&attr);
  pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init (&self->lock, &attr);
  pthread_mutexattr_destroy (&attr);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_free);
}
