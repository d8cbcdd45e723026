/* nav-signaling-redis.h: rooms shared between servers through Redis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _NavSignalingRedis NavSignalingRedis;

/* @kind is "peer-joined", "peer-left" or "message"; @peer_id the peer
 * concerned (the sender of a message); @to the addressee of a message,
 * %NULL for the whole room; @text the protocol message to deliver. */
typedef void (*NavSignalingRedisEventFunc) (NavSignalingRedis *redis,
                                            const gchar       *room,
                                            const gchar       *kind,
                                            const gchar       *peer_id,
                                            const gchar       *instance,
                                            const gchar       *to,
                                            const gchar       *text,
                                            gpointer           user_data);

/* @members maps peer id → instance id (the new member included); %NULL
 * when the room is @full or with @error set. */
typedef void (*NavSignalingRedisAdmitFunc) (GHashTable   *members,
                                            gboolean      full,
                                            const GError *error,
                                            gpointer      user_data);

/* Both connections are @up, or one was lost (a reconnection with backoff
 * is then under way).  @again: up after having been down; subscriptions
 * are renewed, but a restarted Redis forgot the rooms' members: the
 * caller seats its members again (nav_signaling_redis_rejoin()). */
typedef void (*NavSignalingRedisStateFunc) (NavSignalingRedis *redis,
                                            gboolean           up,
                                            gboolean           again,
                                            gpointer           user_data);

NavSignalingRedis *nav_signaling_redis_new          (const gchar                 *url,
                                                     GMainContext                *context,
                                                     NavSignalingRedisEventFunc   func,
                                                     NavSignalingRedisStateFunc   state_func,
                                                     gpointer                     user_data,
                                                     GError                     **error);
void         nav_signaling_redis_free               (NavSignalingRedis *self);
const gchar *nav_signaling_redis_get_instance       (NavSignalingRedis *self);
gboolean     nav_signaling_redis_is_connected       (NavSignalingRedis *self);
/* Called once the subscription to @room is confirmed (@ok), or when it
 * never will be (Redis gone). */
typedef void (*NavSignalingRedisReadyFunc) (gboolean ok,
                                            gpointer user_data);

void         nav_signaling_redis_subscribe          (NavSignalingRedis          *self,
                                                     const gchar                *room,
                                                     NavSignalingRedisReadyFunc  func,
                                                     gpointer                    user_data);
void         nav_signaling_redis_unsubscribe        (NavSignalingRedis *self,
                                                     const gchar       *room);
/* Takes a seat for @peer_id in @room unless @capacity (0: no limit)
 * seats are taken, atomically across every server of the Redis. */
void         nav_signaling_redis_try_join           (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     const gchar       *peer_id,
                                                     guint              capacity,
                                                     NavSignalingRedisAdmitFunc func,
                                                     gpointer           user_data);
/* Tells the other servers that @peer_id (seated) joined. */
void         nav_signaling_redis_announce           (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     const gchar       *peer_id,
                                                     const gchar       *event);
/* Seats @peer_id again, without a capacity check, and announces it. */
void         nav_signaling_redis_rejoin             (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     const gchar       *peer_id,
                                                     const gchar       *event);
void         nav_signaling_redis_leave              (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     const gchar       *peer_id,
                                                     const gchar       *event);
void         nav_signaling_redis_forward            (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     const gchar       *from,
                                                     const gchar       *to,
                                                     const gchar       *text);

gboolean     nav_signaling_redis_parse_url          (const gchar  *url,
                                                     gchar       **host,
                                                     guint        *port,
                                                     GError      **error);

G_END_DECLS
