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

/* nav-signaling-rooms.c */
void nav_signaling_rooms_io_event     (gpointer             user_data,
                                       NavSignalingIoEvent  event,
                                       guint                worker,
                                       const gchar         *peer,
                                       const gchar         *remote,
                                       const gchar         *data,
                                       gsize                len,
                                       gushort              code);
void nav_signaling_rooms_redis_event  (NavSignalingRedis *redis,
                                       const gchar       *room,
                                       const gchar       *kind,
                                       const gchar       *peer_id,
                                       const gchar       *instance,
                                       const gchar       *to,
                                       const gchar       *text,
                                       gpointer           user_data);
void nav_signaling_rooms_redis_state  (NavSignalingRedis *redis,
                                       gboolean           up,
                                       gboolean           again,
                                       gpointer           user_data);
void nav_signaling_rooms_peer_leave_all (Peer *peer);
void nav_signaling_rooms_peer_free    (Peer *peer);
void nav_signaling_rooms_room_free    (Room *room);

G_END_DECLS
