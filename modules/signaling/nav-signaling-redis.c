/* nav-signaling-redis.c: rooms shared between servers through Redis
 *
 * Each server holds its own WebSockets; Redis holds who is in which room
 * and carries what crosses servers.  For a room R:
 *
 *   HASH     nav:room:R   peer id → instance id of the server holding it
 *   CHANNEL  nav:room:R   envelopes {"i":instance,"k":kind,"p":peer,
 *                         "t":to,"m":message} published by the servers
 *                         with a peer in R, read by every server with a
 *                         peer in R (SUBSCRIBE while it has one)
 *
 *   STRING   nav:instance:I  set by server I every few seconds with a
 *                           short expiry: I is alive
 *
 * A join takes its seat with one script (EVAL: count the hash, refuse
 * when full, else HSET, and answer every member), so a room's capacity
 * holds across servers however their joins interleave.  The same script
 * first clears the seats of servers whose liveness key has expired (a
 * crashed server cannot give its seats back) and publishes a peer-left
 * for each, so the room is neither full of ghosts nor shows them.
 *
 * Two connections, because a connection in subscribe mode takes no other
 * command.  When Redis goes away both are re-established with backoff
 * (100 ms doubling to 5 s); the rooms are subscribed again and the
 * server seats its members again (a restarted Redis remembers nothing).  hiredis does the RESP parsing; its GLib adapter puts the
 * sockets in our main context, so nothing blocks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gi18n-lib.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-redis.h"

#define KEY_PREFIX "nav:room:"
#define INSTANCE_PREFIX "nav:instance:"
/* Stale members of a crashed server vanish with the room's key, or
 * sooner at the next join (its liveness key expired). */
#define ROOM_TTL_SECONDS 86400
#define HEARTBEAT_SECONDS 5
#define INSTANCE_TTL_SECONDS 15
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

/* KEYS[1] room hash; ARGV: peer, instance, capacity (0: none), TTL,
 * room name, protocol version.  Seats of dead servers go first (with a
 * peer-left on the room's channel, in the envelope every server reads);
 * then nil when full, else HGETALL after the seat is taken. */
static const gchar join_script[] =
  "local seats = redis.call('HGETALL', KEYS[1]) "
  "for n = 1, #seats, 2 do "
  "  local inst = seats[n + 1] "
  "  if inst ~= ARGV[2] and redis.call('EXISTS', '" INSTANCE_PREFIX "' .. inst) == 0 then "
  "    redis.call('HDEL', KEYS[1], seats[n]) "
  "    local ev = cjson.encode({v = tonumber(ARGV[6]), type = 'peer-left', room = ARGV[5], peer = seats[n]}) "
  "    redis.call('PUBLISH', KEYS[1], cjson.encode({i = inst, k = 'peer-left', p = seats[n], m = ev})) "
  "  end "
  "end "
  "local cap = tonumber(ARGV[3]) "
  "if cap > 0 and redis.call('HLEN', KEYS[1]) >= cap "
  "and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end "
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
  "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4])) "
  "return redis.call('HGETALL', KEYS[1])";

struct _NavSignalingRedis
{
  GMainContext *context;
  gchar *host;
  guint port;
  gchar *instance;
  NavSignalingRedisEventFunc func;
  NavSignalingRedisStateFunc state_func;
  gpointer user_data;

  redisAsyncContext *cmd;
  redisAsyncContext *sub;
  GSource *cmd_source;
  GSource *sub_source;
  gboolean cmd_up;
  gboolean sub_up;
  gboolean was_up;                      /* both were up, and that was told */
  gboolean ever_up;
  gboolean freeing;
  guint resubscribing;                  /* confirmations awaited after a reconnection */
  GSList *dead_sources;                 /* of freed contexts: destroyed later */
  GSource *retry;
  GSource *heartbeat;
  guint backoff_ms;
  GHashTable *subscribed;               /* room name → Subscription* */
};

/* A room's subscription, and who waits for Redis to confirm it: a join
 * reads the room's members only after the confirmation, so that every
 * peer-joined published after that read reaches us (two joins racing on
 * two servers then always learn of each other, one way or the other). */
typedef struct
{
  gboolean confirmed;
  gboolean renewing;                    /* counted in resubscribing */
  GSList *waiters;                      /* Waiter* */
} Subscription;

typedef struct
{
  NavSignalingRedisReadyFunc func;
  gpointer user_data;
} Waiter;

static void
subscription_release (Subscription *sub,
                      gboolean      ok)
{
  GSList *waiters = g_slist_reverse (g_steal_pointer (&sub->waiters)), *l;

  for (l = waiters; l != NULL; l = l->next)
    {
      Waiter *w = l->data;

      w->func (ok, w->user_data);
      g_free (w);
    }
  g_slist_free (waiters);
}

static void
subscription_free (Subscription *sub)
{
  subscription_release (sub, FALSE);
  g_free (sub);
}

gboolean
nav_signaling_redis_parse_url (const gchar  *url,
                               gchar       **host,
                               guint        *port,
                               GError      **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "redis") != 0 ||
      g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a redis://HOST:PORT URL"), url);
      return FALSE;
    }
  *host = g_strdup (g_uri_get_host (uri));
  *port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 6379;
  return TRUE;
}

static void schedule_retry (NavSignalingRedis *self);
static void resubscribe (NavSignalingRedis *self);

/* Our liveness key: other servers' joins clear our seats once it
 * expires (we crashed, or lost Redis for longer than its expiry). */
static gboolean
on_heartbeat (gpointer user_data)
{
  NavSignalingRedis *self = user_data;
  g_autofree gchar *key = g_strconcat (INSTANCE_PREFIX, self->instance, NULL);

  if (self->cmd != NULL && self->cmd_up)
    redisAsyncCommand (self->cmd, NULL, NULL, "SET %s 1 EX %d", key, INSTANCE_TTL_SECONDS);
  return G_SOURCE_CONTINUE;
}

static void
start_heartbeat (NavSignalingRedis *self)
{
  /* Before any seat of ours: commands on one connection run in order. */
  on_heartbeat (self);
  if (self->heartbeat != NULL)
    return;
  self->heartbeat = g_timeout_source_new_seconds (HEARTBEAT_SECONDS);
  g_source_set_callback (self->heartbeat, on_heartbeat, self, NULL);
  g_source_set_static_name (self->heartbeat, "nav-signaling-redis-heartbeat");
  g_source_attach (self->heartbeat, self->context);
}

/* Up: both connections, and every room subscribed again. */
static void
tell_state (NavSignalingRedis *self)
{
  gboolean up = self->cmd_up && self->sub_up && self->resubscribing == 0;

  if (up == self->was_up)
    return;
  self->was_up = up;
  if (up)
    {
      gboolean again = self->ever_up;

      self->ever_up = TRUE;
      self->backoff_ms = 0;
      start_heartbeat (self);
      g_message ("event=%s host=%s port=%u instance=%s",
                 again ? "redis-reconnected" : "redis-connected",
                 self->host, self->port, self->instance);
      self->state_func (self, TRUE, again, self->user_data);
    }
  else
    {
      self->state_func (self, FALSE, FALSE, self->user_data);
    }
}

/* @ac is gone (hiredis frees it once we return): forget it, keep its
 * source until then, and try again later. */
static void
lost (NavSignalingRedis       *self,
      const redisAsyncContext *ac)
{
  if (ac == self->cmd)
    {
      self->cmd = NULL;
      self->cmd_up = FALSE;
      self->dead_sources = g_slist_prepend (self->dead_sources, g_steal_pointer (&self->cmd_source));
    }
  else if (ac == self->sub)
    {
      GHashTableIter iter;
      gpointer value;
      GSList *waiters = NULL, *l;

      self->sub = NULL;
      self->sub_up = FALSE;
      self->resubscribing = 0;
      self->dead_sources = g_slist_prepend (self->dead_sources, g_steal_pointer (&self->sub_source));
      /* Nobody will confirm these subscriptions now (they are renewed
       * on reconnection).  Collect first: a waiter may drop a room, and
       * with it a subscription. */
      g_hash_table_iter_init (&iter, self->subscribed);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Subscription *sub = value;

          sub->confirmed = FALSE;
          waiters = g_slist_concat (waiters, g_steal_pointer (&sub->waiters));
        }
      for (l = waiters; l != NULL; l = l->next)
        {
          Waiter *w = l->data;

          w->func (FALSE, w->user_data);
          g_free (w);
        }
      g_slist_free (waiters);
    }
  tell_state (self);
  schedule_retry (self);
}

static void
on_connect (const redisAsyncContext *ac,
            int                      status)
{
  NavSignalingRedis *self = ac->data;

  if (self->freeing)
    return;
  if (status != REDIS_OK)
    {
      /* hiredis frees @ac after this, without a disconnect callback. */
      if (!self->ever_up || self->backoff_ms <= RETRY_FIRST_MS)
        g_warning ("event=redis-connect-failed host=%s port=%u error=\"%s\"",
                   self->host, self->port, ac->errstr);
      lost (self, ac);
      return;
    }
  if (ac == self->cmd)
    self->cmd_up = TRUE;
  else
    {
      self->sub_up = TRUE;
      if (self->ever_up)
        resubscribe (self);
    }
  tell_state (self);
}

static void
on_disconnect (const redisAsyncContext *ac,
               int                      status)
{
  NavSignalingRedis *self = ac->data;

  if (self->freeing)
    return;
  g_warning ("event=redis-disconnected host=%s port=%u error=\"%s\"",
             self->host, self->port, ac->errstr != NULL ? ac->errstr : "");
  lost (self, ac);
}

static redisAsyncContext *
connect_one (NavSignalingRedis  *self,
             GSource           **source,
             GError            **error)
{
  redisAsyncContext *ac = redisAsyncConnect (self->host, (int) self->port);

  if (ac == NULL || ac->err)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot connect to Redis at %s:%u: %s"),
                   self->host, self->port, ac != NULL ? ac->errstr : g_strerror (ENOMEM));
      if (ac != NULL)
        redisAsyncFree (ac);
      return NULL;
    }
  ac->data = self;
  redisAsyncSetConnectCallback (ac, on_connect);
  redisAsyncSetDisconnectCallback (ac, on_disconnect);
  *source = redis_source_new (ac);
  g_source_set_static_name (*source, "nav-signaling-redis");
  g_source_attach (*source, self->context);
  /* hiredis learns that a non-blocking connect finished from the first
   * write it is asked for: ask for one. */
  redisAsyncCommand (ac, NULL, NULL, "PING");
  return ac;
}

static void
destroy_dead_sources (NavSignalingRedis *self)
{
  GSList *l;

  for (l = self->dead_sources; l != NULL; l = l->next)
    {
      g_source_destroy (l->data);
      g_source_unref (l->data);
    }
  g_clear_pointer (&self->dead_sources, g_slist_free);
}

static gboolean
on_retry (gpointer user_data)
{
  NavSignalingRedis *self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->retry, g_source_unref);
  destroy_dead_sources (self);
  if (self->cmd == NULL && (self->cmd = connect_one (self, &self->cmd_source, &error)) == NULL)
    g_message ("event=redis-retry-failed error=\"%s\"", error->message);
  g_clear_error (&error);
  if (self->sub == NULL && (self->sub = connect_one (self, &self->sub_source, &error)) == NULL)
    g_message ("event=redis-retry-failed error=\"%s\"", error->message);
  if (self->cmd == NULL || self->sub == NULL)
    schedule_retry (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (NavSignalingRedis *self)
{
  if (self->retry != NULL || self->freeing)
    return;
  self->backoff_ms = self->backoff_ms == 0 ? RETRY_FIRST_MS : MIN (self->backoff_ms * 2, RETRY_MAX_MS);
  g_debug ("event=redis-retry in_ms=%u", self->backoff_ms);
  self->retry = g_timeout_source_new (self->backoff_ms);
  g_source_set_callback (self->retry, on_retry, self, NULL);
  g_source_set_static_name (self->retry, "nav-signaling-redis-retry");
  g_source_attach (self->retry, self->context);
}

NavSignalingRedis *
nav_signaling_redis_new (const gchar                 *url,
                         GMainContext                *context,
                         NavSignalingRedisEventFunc   func,
                         NavSignalingRedisStateFunc   state_func,
                         gpointer                     user_data,
                         GError                     **error)
{
  NavSignalingRedis *self = g_new0 (NavSignalingRedis, 1);

  self->context = g_main_context_ref (context);
  self->func = func;
  self->state_func = state_func;
  self->user_data = user_data;
  self->instance = nav_signaling_random_code (12);
  self->subscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) subscription_free);
  if (!nav_signaling_redis_parse_url (url, &self->host, &self->port, error) ||
      (self->cmd = connect_one (self, &self->cmd_source, error)) == NULL ||
      (self->sub = connect_one (self, &self->sub_source, error)) == NULL)
    {
      nav_signaling_redis_free (self);
      return NULL;
    }
  return self;
}

static void
free_context (redisAsyncContext **ac,
              GSource           **source)
{
  if (*ac != NULL)
    redisAsyncFree (*ac);
  *ac = NULL;
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

void
nav_signaling_redis_free (NavSignalingRedis *self)
{
  /* Pending callbacks run with a NULL reply from inside redisAsyncFree. */
  self->freeing = TRUE;
  free_context (&self->sub, &self->sub_source);
  free_context (&self->cmd, &self->cmd_source);
  destroy_dead_sources (self);
  if (self->retry != NULL)
    {
      g_source_destroy (self->retry);
      g_clear_pointer (&self->retry, g_source_unref);
    }
  if (self->heartbeat != NULL)
    {
      g_source_destroy (self->heartbeat);
      g_clear_pointer (&self->heartbeat, g_source_unref);
    }
  g_hash_table_unref (self->subscribed);
  g_main_context_unref (self->context);
  g_free (self->host);
  g_free (self->instance);
  g_free (self);
}

const gchar *
nav_signaling_redis_get_instance (NavSignalingRedis *self)
{
  return self->instance;
}

gboolean
nav_signaling_redis_is_connected (NavSignalingRedis *self)
{
  return self->cmd_up && self->sub_up;
}

static gchar *
room_key (const gchar *room)
{
  return g_strconcat (KEY_PREFIX, room, NULL);
}

/* A message on a room channel: RESP array ["message", channel, payload].
 * Payloads come from other servers; still parsed as untrusted. */
static void
on_subscription (redisAsyncContext *ac,
                 void              *r,
                 void              *privdata)
{
  NavSignalingRedis *self = privdata;
  redisReply *reply = r;
  NavSignalingMessage *env = NULL;
  g_autofree gchar *instance = NULL, *kind = NULL, *peer = NULL, *to = NULL, *text = NULL;
  const gchar *channel;

  if (reply == NULL || self->freeing || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING)
    return;
  channel = reply->element[1]->str;
  if (!g_str_has_prefix (channel, KEY_PREFIX))
    return;
  if (strcmp (reply->element[0]->str, "subscribe") == 0)
    {
      Subscription *sub = g_hash_table_lookup (self->subscribed, channel + strlen (KEY_PREFIX));

      if (sub != NULL && !sub->confirmed)
        {
          sub->confirmed = TRUE;
          subscription_release (sub, TRUE);
        }
      if (sub != NULL && sub->renewing)
        {
          sub->renewing = FALSE;
          if (self->resubscribing > 0 && --self->resubscribing == 0)
            tell_state (self);
        }
      return;
    }
  if (strcmp (reply->element[0]->str, "message") != 0 || reply->element[2]->type != REDIS_REPLY_STRING)
    return;

  env = g_new (NavSignalingMessage, 1);
  if (nav_signaling_message_parse (env, reply->element[2]->str, reply->element[2]->len, 4) != NAV_JSON_OK)
    {
      g_free (env);
      return;
    }
  instance = nav_json_member_dup_string (nav_signaling_message_find (env, "i"));
  kind = nav_json_member_dup_string (nav_signaling_message_find (env, "k"));
  peer = nav_json_member_dup_string (nav_signaling_message_find (env, "p"));
  to = nav_json_member_dup_string (nav_signaling_message_find (env, "t"));
  text = nav_json_member_dup_string (nav_signaling_message_find (env, "m"));
  g_free (env);
  if (instance == NULL || kind == NULL || peer == NULL || text == NULL ||
      !nav_signaling_id_is_valid (peer) || (to != NULL && !nav_signaling_id_is_valid (to)))
    return;
  /* Our own publications come back to us: already delivered locally. */
  if (g_str_equal (instance, self->instance))
    return;
  self->func (self, channel + strlen (KEY_PREFIX), kind, peer, instance, to, text, self->user_data);
}

void
nav_signaling_redis_subscribe (NavSignalingRedis          *self,
                               const gchar                *room,
                               NavSignalingRedisReadyFunc  func,
                               gpointer                    user_data)
{
  g_autofree gchar *key = NULL;
  Subscription *sub;

  if (self->sub == NULL)
    {
      if (func != NULL)
        func (FALSE, user_data);
      return;
    }
  sub = g_hash_table_lookup (self->subscribed, room);
  if (sub == NULL)
    {
      sub = g_new0 (Subscription, 1);
      g_hash_table_insert (self->subscribed, g_strdup (room), sub);
      key = room_key (room);
      redisAsyncCommand (self->sub, on_subscription, self, "SUBSCRIBE %s", key);
    }
  if (func == NULL)
    return;
  if (sub->confirmed)
    {
      func (TRUE, user_data);
      return;
    }
  {
    Waiter *w = g_new0 (Waiter, 1);

    w->func = func;
    w->user_data = user_data;
    sub->waiters = g_slist_prepend (sub->waiters, w);
  }
}

/* A new subscribe connection: every room again. */
static void
resubscribe (NavSignalingRedis *self)
{
  GHashTableIter iter;
  gpointer key;

  gpointer value;

  g_hash_table_iter_init (&iter, self->subscribed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree gchar *channel = room_key (key);

      ((Subscription *) value)->confirmed = FALSE;
      ((Subscription *) value)->renewing = TRUE;
      self->resubscribing++;
      redisAsyncCommand (self->sub, on_subscription, self, "SUBSCRIBE %s", channel);
    }
}

void
nav_signaling_redis_unsubscribe (NavSignalingRedis *self,
                                 const gchar       *room)
{
  g_autofree gchar *key = NULL;

  Subscription *sub = g_hash_table_lookup (self->subscribed, room);

  if (sub == NULL)
    return;
  if (sub->renewing && self->resubscribing > 0 && --self->resubscribing == 0)
    {
      g_hash_table_remove (self->subscribed, room);
      tell_state (self);
    }
  else
    g_hash_table_remove (self->subscribed, room);
  if (self->sub == NULL)
    return;
  key = room_key (room);
  redisAsyncCommand (self->sub, NULL, NULL, "UNSUBSCRIBE %s", key);
}

typedef struct
{
  NavSignalingRedisAdmitFunc func;
  gpointer user_data;
} AdmitCall;

static void
on_admit (redisAsyncContext *ac,
          void              *r,
          void              *privdata)
{
  AdmitCall *call = privdata;
  redisReply *reply = r;
  g_autoptr (GHashTable) members = NULL;
  g_autoptr (GError) error = NULL;
  gsize i;

  if (reply != NULL && reply->type == REDIS_REPLY_NIL)
    {
      call->func (NULL, TRUE, NULL, call->user_data);
      g_free (call);
      return;
    }
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
        g_warning ("event=redis-error command=join error=\"%s\"", reply->str);
      g_set_error (&error, NAV_ERROR, NAV_ERROR_FAILED, _("Redis did not answer"));
      call->func (NULL, FALSE, error, call->user_data);
      g_free (call);
      return;
    }
  members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (i = 0; i + 1 < reply->elements; i += 2)
    if (reply->element[i]->type == REDIS_REPLY_STRING &&
        reply->element[i + 1]->type == REDIS_REPLY_STRING &&
        nav_signaling_id_is_valid (reply->element[i]->str))
      g_hash_table_replace (members, g_strdup (reply->element[i]->str),
                            g_strdup (reply->element[i + 1]->str));
  call->func (members, FALSE, NULL, call->user_data);
  g_free (call);
}

void
nav_signaling_redis_try_join (NavSignalingRedis          *self,
                              const gchar                *room,
                              const gchar                *peer_id,
                              guint                       capacity,
                              NavSignalingRedisAdmitFunc  func,
                              gpointer                    user_data)
{
  g_autofree gchar *key = room_key (room);
  g_autofree gchar *cap = g_strdup_printf ("%u", capacity);
  g_autofree gchar *ttl = g_strdup_printf ("%d", ROOM_TTL_SECONDS);
  AdmitCall *call = g_new0 (AdmitCall, 1);

  call->func = func;
  call->user_data = user_data;
  if (self->cmd == NULL ||
      redisAsyncCommand (self->cmd, on_admit, call, "EVAL %s 1 %s %s %s %s %s %s %d",
                         join_script, key, peer_id, self->instance, cap, ttl, room,
                         NAV_SIGNALING_PROTOCOL_VERSION) != REDIS_OK)
    on_admit (NULL, NULL, call);
}

static void
publish (NavSignalingRedis *self,
         const gchar       *room,
         const gchar       *kind,
         const gchar       *peer_id,
         const gchar       *to,
         const gchar       *text)
{
  g_autoptr (GString) payload = g_string_new ("{\"i\":");
  g_autofree gchar *key = room_key (room);

  nav_json_append_string (payload, self->instance, -1);
  g_string_append (payload, ",\"k\":");
  nav_json_append_string (payload, kind, -1);
  g_string_append (payload, ",\"p\":");
  nav_json_append_string (payload, peer_id, -1);
  if (to != NULL)
    {
      g_string_append (payload, ",\"t\":");
      nav_json_append_string (payload, to, -1);
    }
  g_string_append (payload, ",\"m\":");
  nav_json_append_string (payload, text, -1);
  g_string_append_c (payload, '}');
  /* %b: binary-safe, the payload may hold any byte. */
  redisAsyncCommand (self->cmd, NULL, NULL, "PUBLISH %s %b", key, payload->str, payload->len);
}

void
nav_signaling_redis_announce (NavSignalingRedis *self,
                              const gchar       *room,
                              const gchar       *peer_id,
                              const gchar       *event)
{
  if (self->cmd == NULL)
    return;
  publish (self, room, "peer-joined", peer_id, NULL, event);
}

void
nav_signaling_redis_rejoin (NavSignalingRedis *self,
                            const gchar       *room,
                            const gchar       *peer_id,
                            const gchar       *event)
{
  g_autofree gchar *key = room_key (room);

  if (self->cmd == NULL)
    return;
  redisAsyncCommand (self->cmd, NULL, NULL, "HSET %s %s %s", key, peer_id, self->instance);
  redisAsyncCommand (self->cmd, NULL, NULL, "EXPIRE %s %d", key, ROOM_TTL_SECONDS);
  publish (self, room, "peer-joined", peer_id, NULL, event);
}

void
nav_signaling_redis_leave (NavSignalingRedis *self,
                           const gchar       *room,
                           const gchar       *peer_id,
                           const gchar       *event)
{
  g_autofree gchar *key = room_key (room);

  if (self->cmd == NULL || self->freeing)
    return;
  redisAsyncCommand (self->cmd, NULL, NULL, "HDEL %s %s", key, peer_id);
  publish (self, room, "peer-left", peer_id, NULL, event);
}

void
nav_signaling_redis_forward (NavSignalingRedis *self,
                             const gchar       *room,
                             const gchar       *from,
                             const gchar       *to,
                             const gchar       *text)
{
  if (self->cmd == NULL)
    return;
  publish (self, room, "message", from, to, text);
}
