/* nav-signaling-server.c: the signaling server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-redis.h"
#include "nav-signaling-server.h"

/**
 * NavSignalingServer:
 *
 * The signaling server of the `signaling` module: peers join a room over
 * a WebSocket (libsoup 3) and exchange their SDP offers, answers and
 * candidates through it, as JSON messages (json-glib) described in
 * `docs/signaling.md`.  A [iface@Nav.Server] registered as `signaling` at
 * the `nav-server` extension point.
 *
 * It enforces a room capacity, an optional HMAC-signed join token, a
 * per-connection message rate and size, and an idle timeout; it serves
 * `wss://` when given a certificate, answers `GET /health` and
 * `GET /stats` on the same port, and on [method@Nav.Server.stop] tells
 * every client it is going away (a `bye` message, then a 1001 close).
 * With [property@Nav.SignalingServer:redis] set, several servers share
 * their rooms through Redis publish/subscribe.
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
#define DEFAULT_LISTENING_PORT 8080
#define DEFAULT_MAX_ROOM_SIZE 64
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_RATE 50
#define DEFAULT_BURST 100
#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_MAX_ROOMS_PER_PEER 8
#define PEER_ID_LENGTH 12
#define SHUTDOWN_GRACE_MS 1000
#define LISTEN_BACKLOG 4096

/* WebSocket close codes (RFC 6455 §7.4.1). */
#define CLOSE_GOING_AWAY       1001
#define CLOSE_UNSUPPORTED_DATA 1003
#define CLOSE_POLICY           1008
#define CLOSE_TRY_AGAIN_LATER  1013

typedef struct _Peer Peer;
typedef struct _Room Room;

struct _Peer
{
  NavSignalingServer *server;           /* unowned: the server outlives its peers */
  SoupWebsocketConnection *ws;
  gchar *id;
  gchar *remote;
  GHashTable *rooms;                    /* name → Room*, unowned */
  gint64 last_activity;                 /* monotonic µs */
  gdouble bucket;                       /* token bucket, messages */
  gint64 bucket_time;
  guint strikes;                        /* messages refused in a row for rate */
  gulong message_id;
  gulong closed_id;
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

  GMainContext *context;
  gboolean running;

  gchar *listening_ip;
  guint listening_port;
  guint bound_port;
  guint max_room_size;
  guint max_message_size;
  guint idle_timeout;
  guint rate;
  guint burst;
  guint max_connections;
  guint max_rooms_per_peer;
  gchar *secret;
  gchar *cert_file;
  gchar *pkey_file;
  gchar *redis_url;

  SoupServer *soup;
  GSource *sweep;
  GHashTable *peers;                    /* id → Peer*, owned */
  GHashTable *rooms;                    /* name → Room*, owned */
  NavSignalingRedis *redis;

  guint64 n_received;
  guint64 n_forwarded;
  guint64 n_answered;
  guint64 n_dropped;
  guint64 n_errors;
  guint64 n_connections;
  guint64 n_refused;
  guint64 n_idle_closed;
  guint64 n_rate_closed;
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

/* ---------------------------------------------------------------- sending */

static void
peer_send_text (Peer        *peer,
                const gchar *text)
{
  if (peer->closing ||
      soup_websocket_connection_get_state (peer->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (peer->ws, text);
}

static void
peer_send_node (Peer     *peer,
                JsonNode *node)
{
  g_autofree gchar *text = json_to_string (node, FALSE);

  peer_send_text (peer, text);
}

static void
peer_send_error (Peer        *peer,
                 gint         code,
                 const gchar *reason,
                 const gchar *ref_type)
{
  g_autofree gchar *text = nav_signaling_build_error (code, reason, ref_type);

  peer->server->n_errors++;
  g_debug ("event=error peer=%s remote=%s code=%d reason=\"%s\"",
           peer->id, peer->remote, code, reason);
  peer_send_text (peer, text);
}

static void
peer_close (Peer        *peer,
            gushort      code,
            const gchar *reason)
{
  if (peer->closing)
    return;
  peer->closing = TRUE;
  if (soup_websocket_connection_get_state (peer->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->ws, code, reason);
}

/* {"v":1,"type":TYPE,"room":ROOM,"peer":PEER} */
static gchar *
build_room_event (const gchar *type,
                  const gchar *room,
                  const gchar *peer_id)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, room);
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, peer_id);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ------------------------------------------------------------------ rooms */

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
}

/* Delivers @text to the local peers of @room, except @except. */
static void
room_broadcast_local (Room        *room,
                      const gchar *text,
                      const gchar *except)
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
peer_leave_room (Peer    *peer,
                 Room    *room,
                 gboolean notify_self)
{
  NavSignalingServer *self = peer->server;
  g_autofree gchar *event = build_room_event ("peer-left", room->name, peer->id);

  g_hash_table_remove (room->peers, peer->id);
  g_hash_table_remove (peer->rooms, room->name);
  room_broadcast_local (room, event, NULL);
  if (self->redis != NULL)
    nav_signaling_redis_leave (self->redis, room->name, peer->id, event);
  if (notify_self)
    {
      g_autofree gchar *left = build_room_event ("left", room->name, peer->id);

      peer_send_text (peer, left);
    }
  g_debug ("event=leave room=%s peer=%s", room->name, peer->id);
  room_maybe_drop (self, room);
}

/* The peer enters the room: it learns who is there, they learn of it. */
static void
peer_enter_room (Peer *peer,
                 Room *room)
{
  NavSignalingServer *self = peer->server;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *event = build_room_event ("peer-joined", room->name, peer->id);
  GHashTableIter iter;
  gpointer key;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "joined");
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, room->name);
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, peer->id);
  json_builder_set_member_name (b, "peers");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    json_builder_add_string_value (b, key);
  g_hash_table_iter_init (&iter, room->remote_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    json_builder_add_string_value (b, key);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);

  room_broadcast_local (room, event, NULL);
  g_hash_table_insert (room->peers, peer->id, peer);
  g_hash_table_insert (peer->rooms, room->name, room);
  peer_send_node (peer, root);
  self->n_answered++;
  g_debug ("event=join room=%s peer=%s size=%u", room->name, peer->id, room_size (room));
}

/* What Redis tells us: a peer of another instance joined or left, or a
 * message arrives for our peers.  @text is forwarded as is. */
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
  Room *room = g_hash_table_lookup (self->rooms, room_name);

  if (room == NULL)
    return;
  if (g_str_equal (kind, "peer-joined"))
    {
      if (g_hash_table_contains (room->peers, peer_id))
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
          peer_send_text (peer, text);
          self->n_forwarded++;
        }
    }
  else
    {
      room_broadcast_local (room, text, peer_id);
      self->n_forwarded++;
    }
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

/* Redis answered with the members the other instances hold. */
static void
on_redis_members (GHashTable   *members,
                  const GError *error,
                  gpointer      user_data)
{
  RedisJoin *j = user_data;
  NavSignalingServer *self = j->server;
  Peer *peer = self->running ? g_hash_table_lookup (self->peers, j->peer_id) : NULL;
  Room *room = g_hash_table_lookup (self->rooms, j->room);
  GHashTableIter iter;
  gpointer key, value;
  guint size;

  if (room != NULL && room->pending_joins > 0)
    room->pending_joins--;
  if (peer == NULL || error != NULL || self->redis == NULL)
    {
      if (peer != NULL)
        peer_send_error (peer, NAV_SIGNALING_ERROR_UNAVAILABLE,
                         error != NULL ? error->message : _("Redis is unreachable"), "join");
      room = self->redis != NULL ? g_hash_table_lookup (self->rooms, j->room) : NULL;
      if (room != NULL)
        room_maybe_drop (self, room);
      goto out;
    }
  room = room_lookup_or_new (self, j->room);
  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (room->peers, key) &&
        !g_str_equal (value, nav_signaling_redis_get_instance (self->redis)))
      g_hash_table_replace (room->remote_peers, g_strdup (key), g_strdup (value));
  size = room_size (room);
  if (g_hash_table_contains (peer->rooms, j->room))
    ;
  else if (self->max_room_size > 0 && size >= self->max_room_size)
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_ROOM_FULL, _("The room is full"), "join");
      room_maybe_drop (self, room);
    }
  else
    {
      g_autofree gchar *event = build_room_event ("peer-joined", j->room, peer->id);

      peer_enter_room (peer, room);
      nav_signaling_redis_join (self->redis, j->room, peer->id, event);
    }
out:
  redis_join_free (j);
}

/* Subscribed: now read who is there (see nav-signaling-redis.c). */
static void
on_redis_subscribed (gboolean ok,
                     gpointer user_data)
{
  RedisJoin *j = user_data;
  NavSignalingServer *self = j->server;

  if (ok && self->redis != NULL)
    {
      nav_signaling_redis_get_members (self->redis, j->room, on_redis_members, j);
    }
  else
    {
      g_autoptr (GError) error = g_error_new_literal (NAV_ERROR, NAV_ERROR_FAILED, _("Redis is unreachable"));

      on_redis_members (NULL, error, j);
    }
}

static void
handle_join (Peer       *peer,
             JsonObject *msg)
{
  NavSignalingServer *self = peer->server;
  const gchar *room_name = json_object_get_string_member_with_default (msg, "room", NULL);
  const gchar *token = json_object_get_string_member_with_default (msg, "token", NULL);
  g_autofree gchar *generated = NULL;
  Room *room;

  if (json_object_has_member (msg, "room") && room_name == NULL)
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“room” must be a string"), "join");
      return;
    }
  if (room_name == NULL)
    {
      /* A fresh room: 8 characters of Crockford base32, 40 bits. */
      generated = nav_signaling_random_code (NAV_SIGNALING_ROOM_CODE_LENGTH);
      room_name = generated;
    }
  if (!nav_signaling_id_is_valid (room_name))
    {
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE,
                       _("A room id is 1 to 64 characters of A–Z, a–z, 0–9, “-”, “_” and “.”"), "join");
      return;
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
      RedisJoin *j = g_new0 (RedisJoin, 1);

      if (!nav_signaling_redis_is_connected (self->redis))
        {
          g_free (j);
          peer_send_error (peer, NAV_SIGNALING_ERROR_UNAVAILABLE, _("Redis is unreachable"), "join");
          return;
        }
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
      return;
    }
  peer_enter_room (peer, room);
}

static Room *
peer_room_of (Peer        *peer,
              JsonObject  *msg,
              const gchar *type)
{
  const gchar *room_name = json_object_get_string_member_with_default (msg, "room", NULL);
  Room *room;

  if (room_name == NULL)
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
  room = g_hash_table_lookup (peer->rooms, room_name);
  if (room == NULL)
    peer_send_error (peer, NAV_SIGNALING_ERROR_NOT_IN_ROOM, _("Not in this room"), type);
  return room;
}

static void
handle_leave (Peer       *peer,
              JsonObject *msg)
{
  Room *room = peer_room_of (peer, msg, "leave");

  if (room != NULL)
    peer_leave_room (peer, room, TRUE);
}

static gboolean
check_string_member (Peer        *peer,
                     JsonObject  *msg,
                     const gchar *member,
                     const gchar *type)
{
  JsonNode *node = json_object_get_member (msg, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree gchar *reason = g_strdup_printf (_("“%s” must be a string"), member);

      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, reason, type);
      return FALSE;
    }
  return TRUE;
}

/* offer, answer, candidate, end-of-candidates, bye: to the peer named by
 * "to", or to every other peer of the room without it.  The server sets
 * "from" and "room"; the rest travels untouched. */
static void
handle_forward (Peer                    *peer,
                JsonNode                *root,
                NavSignalingMessageType  kind,
                const gchar             *type)
{
  NavSignalingServer *self = peer->server;
  JsonObject *msg = json_node_get_object (root);
  const gchar *to = NULL;
  g_autofree gchar *text = NULL;
  Room *room;

  if (kind == NAV_SIGNALING_MSG_OFFER || kind == NAV_SIGNALING_MSG_ANSWER)
    {
      if (!check_string_member (peer, msg, "sdp", type))
        return;
    }
  else if (kind == NAV_SIGNALING_MSG_CANDIDATE)
    {
      if (!check_string_member (peer, msg, "candidate", type))
        return;
    }
  if (json_object_has_member (msg, "to"))
    {
      if (!check_string_member (peer, msg, "to", type))
        return;
      to = json_object_get_string_member (msg, "to");
    }
  room = peer_room_of (peer, msg, type);
  if (room == NULL)
    return;

  json_object_set_string_member (msg, "from", peer->id);
  json_object_set_string_member (msg, "room", room->name);
  json_object_set_int_member (msg, "v", NAV_SIGNALING_PROTOCOL_VERSION);
  json_object_remove_member (msg, "token");
  text = json_to_string (root, FALSE);

  if (to != NULL)
    {
      Peer *target = g_hash_table_lookup (room->peers, to);

      if (target != NULL)
        {
          peer_send_text (target, text);
          self->n_forwarded++;
        }
      else if (self->redis != NULL && g_hash_table_contains (room->remote_peers, to))
        {
          nav_signaling_redis_forward (self->redis, room->name, peer->id, to, text);
          self->n_forwarded++;
        }
      else
        {
          peer_send_error (peer, NAV_SIGNALING_ERROR_NO_SUCH_PEER, _("No such peer in this room"), type);
        }
      return;
    }

  room_broadcast_local (room, text, peer->id);
  if (self->redis != NULL && g_hash_table_size (room->remote_peers) > 0)
    nav_signaling_redis_forward (self->redis, room->name, peer->id, NULL, text);
  self->n_forwarded++;
}

static void
handle_ping (Peer       *peer,
             JsonObject *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonNode *id = json_object_get_member (msg, "id");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "pong");
  if (id != NULL && JSON_NODE_HOLDS_VALUE (id))
    {
      json_builder_set_member_name (b, "id");
      json_builder_add_value (b, json_node_copy (id));
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  peer_send_node (peer, root);
  peer->server->n_answered++;
}

/* Token bucket: @rate messages a second on average, @burst at once.  A
 * peer that keeps sending into an empty bucket is disconnected. */
static gboolean
peer_take_token (Peer *peer)
{
  NavSignalingServer *self = peer->server;
  gint64 now = g_get_monotonic_time ();

  if (self->rate == 0)
    return TRUE;
  peer->bucket = MIN ((gdouble) self->burst,
                      peer->bucket + (now - peer->bucket_time) * (gdouble) self->rate / G_USEC_PER_SEC);
  peer->bucket_time = now;
  if (peer->bucket >= 1.0)
    {
      peer->bucket -= 1.0;
      peer->strikes = 0;
      return TRUE;
    }
  self->n_dropped++;
  if (peer->strikes++ == 0)
    peer_send_error (peer, NAV_SIGNALING_ERROR_RATE_LIMITED, _("Too many messages; slow down"), NULL);
  if (peer->strikes > MAX (self->burst, 10))
    {
      g_message ("event=rate-limit-close peer=%s remote=%s", peer->id, peer->remote);
      self->n_rate_closed++;
      peer_close (peer, CLOSE_POLICY, "rate limit");
    }
  return FALSE;
}

static void
on_message (SoupWebsocketConnection *ws,
            gint                     data_type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Peer *peer = user_data;
  NavSignalingServer *self = peer->server;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *data;
  const gchar *type;
  gsize len;
  JsonNode *root;
  JsonObject *msg;
  JsonNode *v;
  NavSignalingMessageType kind;

  if (peer->closing)
    return;
  self->n_received++;
  peer->last_activity = g_get_monotonic_time ();
  if (!peer_take_token (peer))
    return;

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      self->n_dropped++;
      peer_close (peer, CLOSE_UNSUPPORTED_DATA, "binary frames are not part of the protocol");
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  if (len > self->max_message_size)
    {
      /* libsoup closes with 1009 above its own limit; this catches a
       * limit lowered after the connection opened. */
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_TOO_LARGE, _("Message too large"), NULL);
      return;
    }
  if (!nav_signaling_check_nesting (data, len, NAV_SIGNALING_MAX_NESTING))
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("JSON nested too deeply"), NULL);
      return;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("Not JSON"), NULL);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("A message is a JSON object"), NULL);
      return;
    }
  /* The parser's tree is immutable (shared, sealed): forwarding sets
   * "from", so work on a copy. */
  root = json_node_copy (root);
  msg = json_node_get_object (root);

  type = json_object_get_string_member_with_default (msg, "type", NULL);
  v = json_object_get_member (msg, "v");
  if (type == NULL)
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“type” is missing"), NULL);
      goto out;
    }
  if (v == NULL || !JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64)
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“v” is missing"), type);
      goto out;
    }
  if (json_node_get_int (v) != NAV_SIGNALING_PROTOCOL_VERSION)
    {
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_VERSION, _("This server speaks version 1"), type);
      goto out;
    }

  kind = nav_signaling_type_from_string (type);
  switch (kind)
    {
    case NAV_SIGNALING_MSG_JOIN:
      handle_join (peer, msg);
      break;
    case NAV_SIGNALING_MSG_LEAVE:
      handle_leave (peer, msg);
      break;
    case NAV_SIGNALING_MSG_PING:
      handle_ping (peer, msg);
      break;
    case NAV_SIGNALING_MSG_PONG:
      break;
    case NAV_SIGNALING_MSG_OFFER:
    case NAV_SIGNALING_MSG_ANSWER:
    case NAV_SIGNALING_MSG_CANDIDATE:
    case NAV_SIGNALING_MSG_END_OF_CANDIDATES:
    case NAV_SIGNALING_MSG_BYE:
      handle_forward (peer, root, kind, type);
      break;
    case NAV_SIGNALING_MSG_UNKNOWN:
    default:
      self->n_dropped++;
      peer_send_error (peer, NAV_SIGNALING_ERROR_UNKNOWN_TYPE, _("Unknown message type"), type);
      break;
    }
out:
  json_node_unref (root);
}

static void
peer_free (Peer *peer)
{
  g_signal_handler_disconnect (peer->ws, peer->message_id);
  g_signal_handler_disconnect (peer->ws, peer->closed_id);
  g_object_unref (peer->ws);
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
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Peer *peer = user_data;
  NavSignalingServer *self = peer->server;

  g_debug ("event=disconnect peer=%s remote=%s code=%u",
           peer->id, peer->remote, soup_websocket_connection_get_close_code (ws));
  peer_leave_all (peer);
  /* The emission holds a reference on @ws: freeing the peer here is safe. */
  g_hash_table_remove (self->peers, peer->id);
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  NavSignalingServer *self = user_data;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;
  Peer *peer;

  self->n_connections++;
  if (self->max_connections > 0 && g_hash_table_size (self->peers) >= self->max_connections)
    {
      self->n_refused++;
      soup_websocket_connection_close (ws, CLOSE_TRY_AGAIN_LATER, "too many connections");
      return;
    }

  peer = g_new0 (Peer, 1);
  peer->server = self;
  peer->ws = g_object_ref (ws);
  do
    {
      g_free (peer->id);
      peer->id = nav_signaling_random_code (PEER_ID_LENGTH);
    }
  while (g_hash_table_contains (self->peers, peer->id));
  peer->remote = g_strdup (soup_server_message_get_remote_host (msg));
  peer->rooms = g_hash_table_new (g_str_hash, g_str_equal);
  peer->last_activity = peer->bucket_time = g_get_monotonic_time ();
  peer->bucket = self->burst;
  g_hash_table_insert (self->peers, peer->id, peer);

  soup_websocket_connection_set_max_incoming_payload_size (ws, self->max_message_size);
  peer->message_id = g_signal_connect (ws, "message", G_CALLBACK (on_message), peer);
  peer->closed_id = g_signal_connect (ws, "closed", G_CALLBACK (on_closed), peer);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "welcome");
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, peer->id);
  json_builder_set_member_name (b, "max-message-size");
  json_builder_add_int_value (b, self->max_message_size);
  json_builder_set_member_name (b, "idle-timeout");
  json_builder_add_int_value (b, self->idle_timeout);
  json_builder_set_member_name (b, "token-required");
  json_builder_add_boolean_value (b, self->secret != NULL);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  peer_send_node (peer, root);
  g_debug ("event=connect peer=%s remote=%s", peer->id, peer->remote);
}

/* One timer for every connection, not one each: with 10,000 peers a
 * source per peer would cost more than the peers. */
static gboolean
on_sweep (gpointer user_data)
{
  NavSignalingServer *self = user_data;
  gint64 deadline = g_get_monotonic_time () - (gint64) self->idle_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer value;
  GPtrArray *idle = g_ptr_array_new ();
  guint i;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;

      if (!peer->closing && peer->last_activity < deadline)
        g_ptr_array_add (idle, peer);
    }
  for (i = 0; i < idle->len; i++)
    {
      Peer *peer = idle->pdata[i];

      g_debug ("event=idle-close peer=%s remote=%s", peer->id, peer->remote);
      self->n_idle_closed++;
      peer_close (peer, CLOSE_POLICY, "idle timeout");
    }
  g_ptr_array_free (idle, TRUE);
  return G_SOURCE_CONTINUE;
}

static GVariant *nav_signaling_server_get_stats (NavServer *server);

static void
on_http (SoupServer        *soup,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  NavSignalingServer *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (GString) body = g_string_new (NULL);

  if (!g_str_equal (method, SOUP_METHOD_GET) && !g_str_equal (method, SOUP_METHOD_HEAD))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (g_str_equal (path, "/health"))
    {
      g_string_append_printf (body, "{\"status\":\"%s\",\"redis\":\"%s\"}\n",
                              self->running ? "ok" : "stopping",
                              self->redis == NULL ? "off" :
                              nav_signaling_redis_is_connected (self->redis) ? "ok" : "down");
    }
  else if (g_str_equal (path, "/stats"))
    {
      g_autoptr (GVariant) stats = nav_signaling_server_get_stats (NAV_SERVER (self));
      GVariantIter iter;
      const gchar *key;
      guint64 value;
      gboolean first = TRUE;

      g_variant_ref_sink (stats);
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
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str, body->len);
}

/* ------------------------------------------------------------- NavServer */

static gboolean
nav_signaling_server_start (NavServer  *server,
                            GError    **error)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GSocket) listener = NULL;
  SoupServerListenOptions options = 0;
  GSList *uris;
  gboolean ok;

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
  if (self->cert_file != NULL)
    {
      certificate = g_tls_certificate_new_from_files (self->cert_file,
                                                      self->pkey_file != NULL ? self->pkey_file : self->cert_file,
                                                      error);
      if (certificate == NULL)
        return FALSE;
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  g_main_context_push_thread_default (self->context);

  self->soup = g_object_new (SOUP_TYPE_SERVER,
                             "server-header", "netavanue-signaling/" NAV_VERSION_S " ",
                             "tls-certificate", certificate,
                             NULL);
  /* permessage-deflate costs two zlib streams (hundreds of KiB) a
   * connection and invites decompression bombs; messages are small. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler (self->soup, "/health", on_http, self, NULL);
  soup_server_add_handler (self->soup, "/stats", on_http, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/", NULL, NULL, on_websocket, self, NULL);

  /* Our own socket, for its backlog: GIO's default of 10 drops the
   * handshakes of clients that arrive together (every client of a
   * restarted server reconnects within a second). */
  address = g_inet_socket_address_new (inet, self->listening_port);
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, &local_error);
  ok = listener != NULL;
  if (ok)
    {
      g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
      ok = g_socket_bind (listener, address, TRUE, &local_error) &&
           g_socket_listen (listener, &local_error) &&
           soup_server_listen_socket (self->soup, listener, options, &local_error);
    }
  if (!ok)
    {
      g_main_context_pop_thread_default (self->context);
      g_clear_object (&self->soup);
      g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot listen on %s port %u: %s"),
                   self->listening_ip, self->listening_port, local_error->message);
      return FALSE;
    }
  uris = soup_server_get_uris (self->soup);
  self->bound_port = uris != NULL ? (guint) g_uri_get_port (uris->data) : self->listening_port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (self->redis_url != NULL)
    {
      self->redis = nav_signaling_redis_new (self->redis_url, self->context, on_redis_event, self, error);
      if (self->redis == NULL)
        {
          g_main_context_pop_thread_default (self->context);
          soup_server_disconnect (self->soup);
          g_clear_object (&self->soup);
          return FALSE;
        }
    }

  g_main_context_pop_thread_default (self->context);

  self->sweep = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->sweep, on_sweep, self, NULL);
  g_source_set_static_name (self->sweep, "nav-signaling-sweep");
  g_source_attach (self->sweep, self->context);

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_PORT]);
  g_message ("event=listening server=signaling url=%s://%s%s%s:%u/ redis=%s",
             certificate != NULL ? "wss" : "ws",
             strchr (self->listening_ip, ':') ? "[" : "", self->listening_ip,
             strchr (self->listening_ip, ':') ? "]" : "", self->bound_port,
             self->redis_url != NULL ? self->redis_url : "off");
  return TRUE;
}

/* Tells every client the server goes away: a "bye" message, then a 1001
 * close (RFC 6455 §7.4.1), so a client reconnects elsewhere rather than
 * waiting for a timeout.  The close frames need the main loop to reach
 * the wire: run the context a short while, until every peer is gone. */
static void
nav_signaling_server_stop (NavServer *server)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  g_autofree gchar *bye = NULL;
  GHashTableIter iter;
  gpointer value;
  gint64 deadline;

  if (!self->running)
    return;
  self->running = FALSE;

  bye = g_strdup_printf ("{\"v\":%d,\"type\":\"bye\",\"reason\":\"server shutting down\"}",
                         NAV_SIGNALING_PROTOCOL_VERSION);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;

      peer_send_text (peer, bye);
      peer_close (peer, CLOSE_GOING_AWAY, "server shutting down");
    }
  deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_MS * 1000;
  while (g_hash_table_size (self->peers) > 0 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (self->context, FALSE))
        g_usleep (1000);
    }

  /* Whoever did not answer the close in time is dropped. */
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    peer_leave_all (value);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->rooms);

  g_clear_pointer (&self->redis, nav_signaling_redis_free);
  g_source_destroy (self->sweep);
  g_clear_pointer (&self->sweep, g_source_unref);
  soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_message ("event=stopped server=signaling");
}

static GVariant *
nav_signaling_server_get_stats (NavServer *server)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "received", self->n_received);
  g_variant_builder_add (&builder, "{st}", "answered", self->n_answered);
  g_variant_builder_add (&builder, "{st}", "forwarded", self->n_forwarded);
  g_variant_builder_add (&builder, "{st}", "dropped", self->n_dropped);
  g_variant_builder_add (&builder, "{st}", "errors", self->n_errors);
  g_variant_builder_add (&builder, "{st}", "rooms", (guint64) g_hash_table_size (self->rooms));
  g_variant_builder_add (&builder, "{st}", "peers", (guint64) g_hash_table_size (self->peers));
  g_variant_builder_add (&builder, "{st}", "connections", self->n_connections);
  g_variant_builder_add (&builder, "{st}", "refused", self->n_refused);
  g_variant_builder_add (&builder, "{st}", "idle-closed", self->n_idle_closed);
  g_variant_builder_add (&builder, "{st}", "rate-closed", self->n_rate_closed);
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
   * The most WebSocket connections at once; more are closed with 1013.
   * 0 for no limit.
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
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_free);
}
