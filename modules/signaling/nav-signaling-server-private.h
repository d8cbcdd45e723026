/* nav-signaling-server-private.h: what nav-signaling-server.c (the
 * object: properties, start, stop, stats) and nav-signaling-rooms.c (the
 * peers, the rooms and the protocol) share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <pthread.h>

#include "nav-signaling-io.h"
#include "nav-signaling-redis.h"
#include "nav-signaling-relay.h"
#include "nav-signaling-server.h"

G_BEGIN_DECLS

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
  gboolean relay_enabled;               /* GET /relay: the WebSocket relay */
  guint64 relay_quota;                  /* bytes per relay session; 0: none */
  guint relay_idle_timeout;             /* s */
  NavSignalingRelay *relay;
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

/* The rooms are under the server's lock (recursive: a Redis call may
 * answer at once, from inside a join); ROOMS_LOCKED (self) holds it to
 * the end of the scope. */
typedef pthread_mutex_t NavSignalingRoomsLock;

static inline NavSignalingRoomsLock *
nav_signaling_rooms_lock (NavSignalingServer *self)
{
  pthread_mutex_lock (&self->lock);
  return &self->lock;
}

static inline void
nav_signaling_rooms_unlock (NavSignalingRoomsLock *lock)
{
  pthread_mutex_unlock (lock);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavSignalingRoomsLock, nav_signaling_rooms_unlock)
#define ROOMS_LOCKED(self) \
  g_autoptr (NavSignalingRoomsLock) G_PASTE (rooms_locked_, __LINE__) G_GNUC_UNUSED = nav_signaling_rooms_lock (self)

/* nav-signaling-rooms.c: what the connections and Redis tell the rooms. */
typedef struct
{
  NavSignalingIoFunc io_event;
  NavSignalingRedisEventFunc redis_event;
  NavSignalingRedisStateFunc redis_state;
} NavSignalingRoomsHooks;

extern const NavSignalingRoomsHooks nav_signaling_rooms_hooks;

void nav_signaling_rooms_peer_leave_all (Peer *peer);
void nav_signaling_rooms_peer_free    (Peer *peer);
void nav_signaling_rooms_room_free    (Room *room);

G_END_DECLS
