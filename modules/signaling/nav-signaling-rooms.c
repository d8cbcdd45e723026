/* nav-signaling-rooms.c: the signaling server's peers and rooms, and the
 * protocol (docs/signaling.md): joins, leaves, forwards, pings, tokens,
 * Redis.  Run by the worker that read a message (or, with Redis, in the
 * server's context), always under the server's lock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-server-private.h"

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
  g_debug ("event=error peer=%s client=%s code=%d reason=\"%s\"",
           peer->id, peer->remote, code, reason);
  peer_send_owned (peer, nav_signaling_build_error (code, reason, ref_type));
}

/* ----------------------------------------------------------------- rooms */

void
nav_signaling_rooms_room_free (Room *room)
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

/* What Redis tells us (in the hub's context): a peer of another instance
 * joined or left, or a message arrives for our peers.  @text is
 * forwarded as is. */
static void
rooms_redis_event (NavSignalingRedis *redis,
                   const gchar       *room_name,
                   const gchar       *kind,
                   const gchar       *peer_id,
                   const gchar       *instance,
                   const gchar       *to,
                   const gchar       *text,
                   gpointer           user_data)
{
  NavSignalingServer *self = user_data;
  ROOMS_LOCKED (self);
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
on_redis_admitted (GHashTable   *members,
                   gboolean      full,
                   const GError *error,
                   gpointer      user_data)
{
  RedisJoin *j = user_data;
  g_autoptr (NavSignalingServer) self = g_object_ref (j->server);
  ROOMS_LOCKED (self);
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
rooms_redis_state (NavSignalingRedis *redis,
                   gboolean           up,
                   gboolean           again,
                   gpointer           user_data)
{
  NavSignalingServer *self = user_data;
  ROOMS_LOCKED (self);
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

void
nav_signaling_rooms_peer_free (Peer *peer)
{
  g_hash_table_unref (peer->rooms);
  g_free (peer->id);
  g_free (peer->remote);
  g_free (peer);
}

void
nav_signaling_rooms_peer_leave_all (Peer *peer)
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
  nav_signaling_rooms_peer_leave_all (peer);
  g_hash_table_remove (self->peers, peer->id);
  STAT_SET (peers, g_hash_table_size (self->peers));
}

/* What the connections say: in the worker that read it (or, with Redis,
 * in the hub's context). */
static void
rooms_io_event (gpointer             user_data,
                NavSignalingIoEvent  event,
                guint                worker,
                const gchar         *id,
                const gchar         *remote,
                const gchar         *data,
                gsize                len,
                gushort              code)
{
  NavSignalingServer *self = user_data;
  ROOMS_LOCKED (self);
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
      g_debug ("event=connect peer=%s client=%s worker=%u", peer->id, peer->remote, worker);
      break;
    case NAV_SIGNALING_IO_MESSAGE:
      if (peer != NULL && peer->worker == worker && !peer->closing)
        hub_handle_message (peer, data, len);
      break;
    case NAV_SIGNALING_IO_CLOSED:
      if (peer != NULL && peer->worker == worker)
        {
          g_debug ("event=disconnect peer=%s client=%s code=%u", peer->id, peer->remote, code);
          hub_remove_peer (self, peer);
        }
      break;
    }
}


const NavSignalingRoomsHooks nav_signaling_rooms_hooks = {
  rooms_io_event,
  rooms_redis_event,
  rooms_redis_state,
};
