/* nav-signaling-io.h: the signaling server's connections: listening
 * sockets, worker threads, HTTP upgrade, WebSocket framing, TLS, limits
 *
 * Between nav-signaling-server.c (the rooms, in the hub's main context)
 * and nav-signaling-io.c (the sockets, in the worker threads): the hub
 * hears of connections and messages through a callback run in its
 * context, and hands texts back to send.  Nothing else is shared.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Counters written by any thread, read by any (/stats). */
typedef struct
{
  guint64 received;
  guint64 answered;
  guint64 forwarded;
  guint64 dropped;
  guint64 errors;
  guint64 connections;
  guint64 refused;
  guint64 idle_closed;
  guint64 rate_closed;
  guint64 handshake_timeouts;
  guint64 too_large;
  guint64 accept_errors;
  guint64 peers;
  guint64 rooms;
  gint open;                            /* WebSockets open */
  gint pending;                         /* connections before their upgrade */
} NavSignalingStats;

#define NAV_SIGNALING_STAT_ADD(field, n) __atomic_fetch_add (&(field), (n), __ATOMIC_RELAXED)
#define NAV_SIGNALING_STAT_INC(field) NAV_SIGNALING_STAT_ADD (field, 1)
#define NAV_SIGNALING_STAT_GET(field) __atomic_load_n (&(field), __ATOMIC_RELAXED)
#define NAV_SIGNALING_STAT_SET(field, v) __atomic_store_n (&(field), (v), __ATOMIC_RELAXED)

typedef struct
{
  guint threads;
  guint max_message_size;
  guint idle_timeout;                   /* s */
  guint handshake_timeout;              /* s */
  guint rate;                           /* messages/s per connection; 0: none */
  guint burst;
  guint ip_rate;                        /* messages and connections/s per address; 0: none */
  guint ip_burst;
  guint max_connections;                /* pending and open; 0: none */
  guint max_connections_per_ip;
  guint max_pending;
  guint max_pending_per_ip;
  gboolean token_required;
  /* The hub's callback runs in the worker threads (the caller locks its
   * own state), not in the hub's context. */
  gboolean events_in_workers;
  gchar *cert_file;
  gchar *pkey_file;
} NavSignalingIoConfig;

/* An immutable text shared by the hub and the workers (one message to a
 * whole room), counted here rather than by GRefString so that thread
 * sanitizers see the counting. */
typedef struct
{
  gint refs;
  guint32 len;
  gchar text[];
} NavSignalingText;

#define NAV_SIGNALING_TEXT_PREFIX G_STRUCT_OFFSET (NavSignalingText, text)

NavSignalingText *nav_signaling_text_new    (const gchar *text,
                                             gssize       len);
NavSignalingText *nav_signaling_text_adopt  (gchar       *block,
                                             gsize        len);
NavSignalingText *nav_signaling_text_ref    (NavSignalingText *text);
void              nav_signaling_text_unref  (NavSignalingText *text);

typedef enum {
  NAV_SIGNALING_IO_CONNECTED,           /* @remote: the peer's address */
  NAV_SIGNALING_IO_MESSAGE,             /* @data, @len: one text message, NUL-terminated */
  NAV_SIGNALING_IO_CLOSED,              /* @code: the close code, 0 when none */
} NavSignalingIoEvent;

/* Called in the hub's context, or in the worker threads with
 * config.events_in_workers; nav_signaling_io_send() and
 * nav_signaling_io_close() may be called from it. */
typedef void (*NavSignalingIoFunc) (gpointer             user_data,
                                    NavSignalingIoEvent  event,
                                    guint                worker,
                                    const gchar         *peer,
                                    const gchar         *remote,
                                    const gchar         *data,
                                    gsize                len,
                                    gushort              code);

/* The body of GET @path (/health, /stats), or NULL; run by the workers. */
typedef gchar *(*NavSignalingHttpFunc) (gpointer     user_data,
                                        const gchar *path);

typedef struct _NavSignalingIo NavSignalingIo;

NavSignalingIo *nav_signaling_io_new      (const NavSignalingIoConfig  *config,
                                           NavSignalingStats           *stats,
                                           GMainContext                *hub,
                                           NavSignalingIoFunc           func,
                                           NavSignalingHttpFunc         http_func,
                                           gpointer                     user_data,
                                           GError                     **error);
gboolean        nav_signaling_io_listen   (NavSignalingIo  *io,
                                           GInetAddress    *address,
                                           guint            port,
                                           guint           *bound_port,
                                           GError         **error);
guint           nav_signaling_io_start    (NavSignalingIo  *io);
void            nav_signaling_io_send     (NavSignalingIo   *io,
                                           guint             worker,
                                           const gchar      *peer,
                                           NavSignalingText *text);
void            nav_signaling_io_close    (NavSignalingIo  *io,
                                           guint            worker,
                                           const gchar     *peer,
                                           gushort          code,
                                           const gchar     *reason);
void            nav_signaling_io_shutdown (NavSignalingIo  *io,
                                           const gchar     *bye);
void            nav_signaling_io_dispatch (NavSignalingIo  *io);
void            nav_signaling_io_free     (NavSignalingIo  *io);
/* Before nav_signaling_io_start(): GET /relay upgrades go to @relay. */
struct _NavSignalingRelay;
void            nav_signaling_io_set_relay (NavSignalingIo            *io,
                                            struct _NavSignalingRelay *relay);

G_END_DECLS
