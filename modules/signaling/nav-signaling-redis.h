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

/* @members maps peer id → instance id; %NULL with @error set. */
typedef void (*NavSignalingRedisMembersFunc) (GHashTable   *members,
                                              const GError *error,
                                              gpointer      user_data);

NavSignalingRedis *nav_signaling_redis_new          (const gchar                 *url,
                                                     GMainContext                *context,
                                                     NavSignalingRedisEventFunc   func,
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
void         nav_signaling_redis_get_members        (NavSignalingRedis *self,
                                                     const gchar       *room,
                                                     NavSignalingRedisMembersFunc func,
                                                     gpointer           user_data);
void         nav_signaling_redis_join               (NavSignalingRedis *self,
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
