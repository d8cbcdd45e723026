/* nav-signaling-io-private.h: what nav-signaling-io.c (workers,
 * accepting, hand-overs, books per address) and nav-signaling-conn.c (one
 * connection: TLS, HTTP upgrade, frames, budgets) share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <pthread.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>

#include "nav-signaling-io.h"
#include "nav-signaling-relay.h"

G_BEGIN_DECLS

#define PEER_ID_LENGTH 12
#define LISTEN_BACKLOG 4096
#define SCRATCH_SIZE (64 * 1024)
#define READ_CHUNK (16 * 1024)
#define SWEEP_INTERVAL_US (250 * 1000)
#define LINGER_US (2 * G_USEC_PER_SEC)
#define ACCEPT_BACKOFF_MIN_MS 5
#define ACCEPT_BACKOFF_MAX_MS 200
#define ACCEPTS_PER_WAKEUP 64
#define MAX_FRAGMENTS 64
#define TRIM_INTERVAL_US (2 * G_USEC_PER_SEC)

#define STAT_INC(f) NAV_SIGNALING_STAT_INC (io->stats->f)

/* -------------------------------------------------------------- mailboxes */

/* Work handed to another thread: a list, and an eventfd written only
 * when the list becomes non-empty (a burst costs one wakeup).  A pthread
 * mutex, not a GMutex (futexes inside GLib): thread sanitizers see it. */
typedef struct _Link Link;
struct _Link
{
  Link *next;
};

typedef struct
{
  pthread_mutex_t lock;
  Link *head, *tail;
  gboolean signaled;
  gint efd;
} Mailbox;


/* What the hub asks of a worker. */
typedef enum
{
  WORKER_SEND,
  WORKER_CLOSE,
  WORKER_SHUTDOWN,
  WORKER_QUIT,
} WorkerOpKind;

typedef struct
{
  Link link;
  WorkerOpKind kind;
  gushort code;
  gchar id[PEER_ID_LENGTH + 4];
  NavSignalingText *text;
} WorkerOp;


/* What a worker tells the hub: one allocation, the message inline. */
typedef struct
{
  Link link;
  NavSignalingIoEvent event;
  guint worker;
  gushort code;
  gchar id[PEER_ID_LENGTH + 4];
  gchar remote[INET6_ADDRSTRLEN];
  gsize len;
  gchar data[];
} HubOp;


/* ---------------------------------------------------- source addresses */

/* What is known of one source address (an IPv6 /64: one subscriber's
 * prefix, not one of its 2^64 addresses).  Under io->ip_lock. */
typedef struct
{
  guint8 key[16];
  guint refs;                           /* connections of this address */
  guint pending;
  guint open;
  gdouble bucket;                       /* messages and connections */
  gint64 bucket_time;
  /* The budget of its last connections, so that reconnecting does not
   * renew it: the lowest bucket and the highest overdraft left. */
  gboolean saved;
  gdouble saved_bucket;
  gdouble saved_overdraft;
  gint64 saved_time;
} IpRecord;


static inline gdouble
refill (gdouble level,
        gint64  since,
        gint64  now,
        guint   rate)
{
  return level + (now - since) * (gdouble) rate / G_USEC_PER_SEC;
}


/* ----------------------------------------------------------- connections */

typedef enum
{
  CONN_TLS_HANDSHAKE,
  CONN_HTTP,                            /* reading the request's head */
  CONN_OPEN,                            /* a WebSocket */
  CONN_CLOSING,                         /* an answer queued: flush, then shut down */
  CONN_LINGER,                          /* shut down for writing: drain until EOF */
} ConnState;

typedef struct _Worker Worker;
typedef struct _Conn Conn;

struct _Conn
{
  Worker *worker;
  Conn *prev, *next;                    /* every connection of the worker */
  Conn *next_dirty;
  Conn *next_dead;
  gint fd;
  ConnState state;
  IpRecord *ip;
  gnutls_session_t tls;
  gsize tls_retry;                      /* a record send to finish (GNUTLS_E_AGAIN) */
  gchar id[PEER_ID_LENGTH + 4];
  gchar remote[INET6_ADDRSTRLEN];
  gint64 deadline;                      /* handshake or linger end, monotonic µs */
  gint64 last_activity;

  gdouble bucket;                       /* token bucket, messages */
  gint64 bucket_time;
  gdouble overdraft;                    /* messages refused, decaying at the rate */
  gboolean warned;                      /* the 429 of this run of refusals was sent */

  guint8 *in;                           /* unprocessed input */
  gsize in_len, in_cap;
  gsize need;                           /* input the next unit needs; 0: unknown */

  guint8 *msg;                          /* a fragmented message */
  gsize msg_len;
  guint8 msg_opcode;
  guint n_fragments;
  gboolean in_message;

  guint8 *out;
  gsize out_off, out_len, out_cap;

  guint32 events;                       /* registered in epoll */
  gboolean dirty;
  gboolean dead;
  gboolean announced;                   /* the hub knows the peer */
  gboolean counted_open;
  gboolean budget_saved;
};

struct _Worker
{
  NavSignalingIo *io;
  guint index;
  GThread *thread;
  gint epfd;
  gint listen_fd;
  gboolean listening;                   /* listen_fd in the epoll set */
  gint64 accept_resume;                 /* -1: not backing off */
  guint accept_backoff_ms;
  gint64 last_accept_warning;
  Mailbox mailbox;
  GHashTable *by_id;                    /* id → Conn*, open ones */
  Conn *conns;
  guint n_conns;
  guint trim_mark;                      /* n_conns at the last malloc_trim() */
  Conn *dirty;
  Conn *dead;
  Link *to_hub_head, *to_hub_tail;
  Link **outbox_head, **outbox_tail;    /* per worker: what this one hands over */
  gint64 next_sweep;
  guint8 *scratch;
  gboolean stopping;
  gboolean quit;
};

struct _NavSignalingIo
{
  NavSignalingIoConfig config;
  NavSignalingStats *stats;
  NavSignalingIoFunc func;
  gpointer user_data;
  NavSignalingHttpFunc http_func;
  GMainContext *hub;
  Mailbox hub_mailbox;
  GSource *hub_source;
  GPtrArray *workers;
  gsize out_limit;
  gboolean started;

  pthread_mutex_t ip_lock;
  GHashTable *ips;                      /* key → IpRecord*, owned */

  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t priority;

  NavSignalingRelay *relay;             /* GET /relay goes there; NULL: refused */
};


/* The worker this thread runs, if it runs one. */
extern __thread Worker *nav_signaling_current_worker;

/* nav-signaling-conn.c */
void     nav_signaling_conn_readable    (Conn         *c);
void     nav_signaling_conn_flush       (Conn         *c);
void     nav_signaling_conn_kill        (Conn         *c);
void     nav_signaling_conn_free        (Conn         *c);
void     nav_signaling_conn_queue_frame (Conn         *c,
                                         guint8        opcode,
                                         const guint8 *payload,
                                         gsize         len);
void     nav_signaling_conn_close_ws    (Conn         *c,
                                         gushort       code,
                                         const gchar  *reason);

/* nav-signaling-io.c */
gboolean nav_signaling_ip_take_token_locked (NavSignalingIo *io,
                                             IpRecord       *rec,
                                             gint64          now);

G_END_DECLS
