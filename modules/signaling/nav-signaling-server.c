/* nav-signaling-server.c: the signaling server as a NavServer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

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
 * The WebSockets are spread over many small workers, each with its own
 * main context and its own listening socket on the same port
 * (`SO_REUSEPORT`: the kernel spreads the connections), run by
 * [property@Nav.SignalingServer:threads] threads through epoll.  Rooms
 * live in the server's [property@Nav.Server:context] (the "hub");
 * workers and hub talk by message passing only, so no room state is
 * shared between threads.
 *
 * Since: 1.0
 */

/* Why small workers: libsoup re-creates a connection's input source
 * after each read, and GLib keeps a context's poll records in one list
 * sorted by file descriptor, so each message costs a walk over every
 * connection of its context; and each iteration polls and checks every
 * source of the context.  With 10,000 connections in one context those,
 * not the protocol, were the server's main cost. */

#define DEFAULT_LISTENING_IP "0.0.0.0"
#define DEFAULT_LISTENING_PORT 8080
#define DEFAULT_MAX_ROOM_SIZE 64
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_RATE 50
#define DEFAULT_BURST 100
#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_MAX_ROOMS_PER_PEER 8
#define MAX_THREADS 256
/* Main contexts per thread: an iteration of a context costs a pass over
 * all its sources, so each holds few connections (see driver_run()). */
#define SHARDS_PER_THREAD 256
#define PEER_ID_LENGTH 12
#define SHUTDOWN_GRACE_MS 1000
#define LISTEN_BACKLOG 4096

/* WebSocket close codes (RFC 6455 §7.4.1). */
#define CLOSE_GOING_AWAY       1001
#define CLOSE_UNSUPPORTED_DATA 1003
#define CLOSE_POLICY           1008
#define CLOSE_TRY_AGAIN_LATER  1013

/* Counters written by several threads, read by any. */
#define STAT_ADD(field, n) __atomic_fetch_add (&(field), (n), __ATOMIC_RELAXED)
#define STAT_INC(field) STAT_ADD (field, 1)
#define STAT_GET(field) __atomic_load_n (&(field), __ATOMIC_RELAXED)
#define STAT_SET(field, v) __atomic_store_n (&(field), (v), __ATOMIC_RELAXED)

typedef struct _Mailbox Mailbox;
typedef struct _Worker Worker;
typedef struct _Driver Driver;
typedef struct _Conn Conn;
typedef struct _Peer Peer;
typedef struct _Room Room;

/* Work handed to another thread's main context: a queue, and one idle
 * source while the queue is not empty (so a burst costs one wakeup).  A
 * pthread mutex rather than a GMutex (futex calls inside GLib): thread
 * sanitizers see its ordering, so the hand-over checks clean. */
struct _Mailbox
{
  pthread_mutex_t lock;
  GMainContext *context;
  GQueue ops;                           /* Op* */
  GSource *source;                      /* pending drain, or NULL */
};

typedef void (*OpFunc) (gpointer data);

typedef struct
{
  OpFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Op;

/* A worker thread: its context, its SoupServer, its WebSockets.  Only
 * the worker's thread touches @soup, @conns and what they hold. */
struct _Worker
{
  NavSignalingServer *server;           /* unowned: outlives its workers */
  guint index;
  GMainContext *context;
  Driver *driver;                       /* the thread running this context */
  gint listen_fd;
  GPollFD *fds;                         /* the context's descriptors, last query */
  gint n_fds;
  gint alloc_fds;
  struct epoll_event *reg;              /* registered in the driver's epoll, by fd */
  gint n_reg;
  gint64 deadline;                      /* next timer, monotonic µs; -1: none */
  gboolean ready;
  Mailbox mailbox;
  SoupServer *soup;
  GSource *sweep;
  GHashTable *conns;                    /* id → Conn*, owned */
  gboolean quit;

  /* A snapshot of the configuration, taken at start. */
  guint max_message_size;
  guint idle_timeout;
  guint rate;
  guint burst;
  guint max_connections;
  gboolean token_required;
};

/* A thread driving many small worker contexts through one epoll set:
 * only the contexts with a ready descriptor (or a due timer) iterate. */
struct _Driver
{
  NavSignalingServer *server;
  GThread *thread;
  gint epfd;
  GPtrArray *shards;                    /* Worker*, unowned */
};

/* A WebSocket, in its worker. */
struct _Conn
{
  Worker *worker;
  SoupWebsocketConnection *ws;
  gchar *id;
  gint64 last_activity;                 /* monotonic µs */
  gdouble bucket;                       /* token bucket, messages */
  gint64 bucket_time;
  guint strikes;                        /* messages refused in a row for rate */
  gulong message_id;
  gulong closed_id;
  gboolean closing;
};

/* A peer, in the hub: what rooms know of a connection. */
struct _Peer
{
  NavSignalingServer *server;           /* unowned: the server outlives its peers */
  Worker *worker;                       /* where its WebSocket lives */
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
  guint rate;
  guint burst;
  guint max_connections;
  guint max_rooms_per_peer;
  guint threads;
  gchar *secret;
  gchar *cert_file;
  gchar *pkey_file;
  gchar *redis_url;

  Mailbox mailbox;                      /* work for the hub */
  GPtrArray *workers;                   /* Worker*, owned: the shards */
  GPtrArray *drivers;                   /* Driver*, owned: the threads */
  GHashTable *peers;                    /* id → Peer*, owned; hub only */
  GHashTable *rooms;                    /* name → Room*, owned; hub only */
  NavSignalingRedis *redis;             /* hub only */
  gint redis_up;                        /* atomic mirror, for /health */

  gint open_connections;                /* atomic: WebSockets held by workers */
  gint n_threads;                       /* atomic: threads running the workers */
  guint64 n_peers;                      /* mirrors of the hub's tables, for /stats */
  guint64 n_rooms;
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
  PROP_THREADS,
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

/* ------------------------------------------------------------ shared text */

/* An immutable string shared by the hub and the workers (one message to
 * a whole room): GRefString's counting happens inside GLib, where thread
 * sanitizers cannot see it; this one is counted here. */
typedef struct
{
  gint refs;
  gchar text[];
} SharedText;

#define SHARED_TEXT(t) ((SharedText *) ((t) - G_STRUCT_OFFSET (SharedText, text)))

static gchar *
shared_text_new (const gchar *text)
{
  gsize len = strlen (text);
  SharedText *st = g_malloc (sizeof (SharedText) + len + 1);

  st->refs = 1;
  memcpy (st->text, text, len + 1);
  return st->text;
}

static gchar *
shared_text_ref (gchar *text)
{
  __atomic_fetch_add (&SHARED_TEXT (text)->refs, 1, __ATOMIC_RELAXED);
  return text;
}

static void
shared_text_unref (gchar *text)
{
  if (__atomic_sub_fetch (&SHARED_TEXT (text)->refs, 1, __ATOMIC_ACQ_REL) == 0)
    g_free (SHARED_TEXT (text));
}

/* -------------------------------------------------------------- mailboxes */

static void
mailbox_init (Mailbox      *mb,
              GMainContext *context)
{
  pthread_mutex_init (&mb->lock, NULL);
  g_queue_init (&mb->ops);
  mb->context = g_main_context_ref (context);
}

static void
op_free (Op *op,
         gboolean run)
{
  if (run)
    op->func (op->data);
  if (op->destroy != NULL)
    op->destroy (op->data);
  g_free (op);
}

static gboolean
mailbox_drain (gpointer user_data)
{
  Mailbox *mb = user_data;
  GQueue ops;
  Op *op;

  pthread_mutex_lock (&mb->lock);
  ops = mb->ops;
  g_queue_init (&mb->ops);
  /* The context holds the source while it dispatches. */
  g_clear_pointer (&mb->source, g_source_unref);
  pthread_mutex_unlock (&mb->lock);
  while ((op = g_queue_pop_head (&ops)) != NULL)
    op_free (op, TRUE);
  return G_SOURCE_REMOVE;
}

static void
mailbox_post (Mailbox        *mb,
              OpFunc          func,
              gpointer        data,
              GDestroyNotify  destroy)
{
  Op *op = g_new (Op, 1);

  op->func = func;
  op->data = data;
  op->destroy = destroy;
  pthread_mutex_lock (&mb->lock);
  g_queue_push_tail (&mb->ops, op);
  if (mb->source == NULL)
    {
      mb->source = g_idle_source_new ();
      g_source_set_priority (mb->source, G_PRIORITY_DEFAULT);
      g_source_set_callback (mb->source, mailbox_drain, mb, NULL);
      g_source_set_static_name (mb->source, "nav-signaling-mailbox");
      g_source_attach (mb->source, mb->context);
    }
  pthread_mutex_unlock (&mb->lock);
}

/* Runs (@run) or drops what waits, from the mailbox's own thread. */
static void
mailbox_flush (Mailbox  *mb,
               gboolean  run)
{
  GQueue ops;
  Op *op;

  pthread_mutex_lock (&mb->lock);
  ops = mb->ops;
  g_queue_init (&mb->ops);
  if (mb->source != NULL)
    {
      g_source_destroy (mb->source);
      g_clear_pointer (&mb->source, g_source_unref);
    }
  pthread_mutex_unlock (&mb->lock);
  while ((op = g_queue_pop_head (&ops)) != NULL)
    op_free (op, run);
}

static void
mailbox_clear (Mailbox *mb)
{
  mailbox_flush (mb, FALSE);
  g_clear_pointer (&mb->context, g_main_context_unref);
  pthread_mutex_destroy (&mb->lock);
}

/* ------------------------------------------------ worker side: WebSockets */

static void
conn_send_text (Conn        *conn,
                const gchar *text)
{
  if (conn->closing ||
      soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (conn->ws, text);
}

static void
conn_send_error (Conn        *conn,
                 gint         code,
                 const gchar *reason,
                 const gchar *ref_type)
{
  g_autofree gchar *text = nav_signaling_build_error (code, reason, ref_type);

  STAT_INC (conn->worker->server->n_errors);
  g_debug ("event=error peer=%s code=%d reason=\"%s\"", conn->id, code, reason);
  conn_send_text (conn, text);
}

static void
conn_close (Conn        *conn,
            gushort      code,
            const gchar *reason)
{
  if (conn->closing)
    return;
  conn->closing = TRUE;
  if (soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, code, reason);
}

static void
conn_free (Conn *conn)
{
  g_signal_handler_disconnect (conn->ws, conn->message_id);
  g_signal_handler_disconnect (conn->ws, conn->closed_id);
  g_object_unref (conn->ws);
  g_free (conn->id);
  g_atomic_int_add (&conn->worker->server->open_connections, -1);
  g_free (conn);
}

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
  Worker *worker;
  WorkerOpKind kind;
  gchar *id;
  gchar *text;                          /* a shared text */
  gushort code;
} WorkerOp;

static void
worker_op_free (gpointer data)
{
  WorkerOp *op = data;

  g_free (op->id);
  g_clear_pointer (&op->text, shared_text_unref);
  g_free (op);
}

static void
worker_shutdown (Worker *w)
{
  g_clear_pointer (&w->sweep, g_source_destroy);
  if (w->soup != NULL)
    {
      soup_server_disconnect (w->soup);
      g_clear_object (&w->soup);
    }
  g_hash_table_remove_all (w->conns);
  w->quit = TRUE;
}

static void
worker_op_run (gpointer data)
{
  WorkerOp *op = data;
  Worker *w = op->worker;
  Conn *conn = op->id != NULL ? g_hash_table_lookup (w->conns, op->id) : NULL;

  switch (op->kind)
    {
    case WORKER_SEND:
      if (conn != NULL)
        conn_send_text (conn, op->text);
      break;
    case WORKER_CLOSE:
      if (conn != NULL)
        conn_close (conn, op->code, op->text);
      break;
    case WORKER_SHUTDOWN:
      {
        GHashTableIter iter;
        gpointer value;

        /* Those held get the bye and a close (new ones are refused). */
        g_hash_table_iter_init (&iter, w->conns);
        while (g_hash_table_iter_next (&iter, NULL, &value))
          {
            conn_send_text (value, op->text);
            conn_close (value, CLOSE_GOING_AWAY, "server shutting down");
          }
      }
      break;
    case WORKER_QUIT:
      worker_shutdown (w);
      break;
    }
}

static void
worker_post (Worker       *w,
             WorkerOpKind  kind,
             const gchar  *id,
             gchar        *ref_text,
             gushort       code)
{
  WorkerOp *op = g_new0 (WorkerOp, 1);

  op->worker = w;
  op->kind = kind;
  op->id = g_strdup (id);
  op->text = ref_text != NULL ? shared_text_ref (ref_text) : NULL;
  op->code = code;
  mailbox_post (&w->mailbox, worker_op_run, op, worker_op_free);
}

/* What a worker tells the hub. */
typedef enum
{
  HUB_CONNECTED,
  HUB_MESSAGE,
  HUB_CLOSED,
} HubOpKind;

typedef struct
{
  Worker *worker;
  HubOpKind kind;
  gchar *id;
  gchar *remote;
  gchar *data;                          /* a copy: hub and worker share no buffer */
  gsize len;
  gushort code;
} HubOp;

static void
hub_op_free (gpointer data)
{
  HubOp *op = data;

  g_free (op->id);
  g_free (op->remote);
  g_free (op->data);
  g_free (op);
}

static void hub_op_run (gpointer data);

static void
hub_post (Worker      *w,
          HubOpKind    kind,
          const gchar *id,
          const gchar *remote,
          GBytes      *bytes,
          gushort      code)
{
  HubOp *op = g_new0 (HubOp, 1);

  op->worker = w;
  op->kind = kind;
  op->id = g_strdup (id);
  op->remote = g_strdup (remote);
  if (bytes != NULL)
    {
      const gchar *data = g_bytes_get_data (bytes, &op->len);

      /* Never NULL, even for an empty message. */
      op->data = g_malloc (op->len + 1);
      if (op->len > 0)
        memcpy (op->data, data, op->len);
      op->data[op->len] = '\0';
    }
  op->code = code;
  mailbox_post (&w->server->mailbox, hub_op_run, op, hub_op_free);
}

/* Token bucket: @rate messages a second on average, @burst at once.  A
 * peer that keeps sending into an empty bucket is disconnected. */
static gboolean
conn_take_token (Conn *conn)
{
  Worker *w = conn->worker;
  gint64 now = g_get_monotonic_time ();

  if (w->rate == 0)
    return TRUE;
  conn->bucket = MIN ((gdouble) w->burst,
                      conn->bucket + (now - conn->bucket_time) * (gdouble) w->rate / G_USEC_PER_SEC);
  conn->bucket_time = now;
  if (conn->bucket >= 1.0)
    {
      conn->bucket -= 1.0;
      conn->strikes = 0;
      return TRUE;
    }
  STAT_INC (w->server->n_dropped);
  if (conn->strikes++ == 0)
    conn_send_error (conn, NAV_SIGNALING_ERROR_RATE_LIMITED, _("Too many messages; slow down"), NULL);
  if (conn->strikes > MAX (w->burst, 10))
    {
      g_message ("event=rate-limit-close peer=%s", conn->id);
      STAT_INC (w->server->n_rate_closed);
      conn_close (conn, CLOSE_POLICY, "rate limit");
    }
  return FALSE;
}

/* The checks that need no room: rate, frame type, size.  The rest is the
 * hub's. */
static void
on_message (SoupWebsocketConnection *ws,
            gint                     data_type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Conn *conn = user_data;
  Worker *w = conn->worker;

  if (conn->closing)
    return;
  STAT_INC (w->server->n_received);
  conn->last_activity = g_get_monotonic_time ();
  if (!conn_take_token (conn))
    return;
  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      STAT_INC (w->server->n_dropped);
      conn_close (conn, CLOSE_UNSUPPORTED_DATA, "binary frames are not part of the protocol");
      return;
    }
  if (g_bytes_get_size (bytes) > w->max_message_size)
    {
      /* libsoup closes with 1009 above its own limit; this catches a
       * limit lowered after the connection opened. */
      STAT_INC (w->server->n_dropped);
      conn_send_error (conn, NAV_SIGNALING_ERROR_TOO_LARGE, _("Message too large"), NULL);
      return;
    }
  hub_post (w, HUB_MESSAGE, conn->id, NULL, bytes, 0);
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Conn *conn = user_data;
  Worker *w = conn->worker;
  gushort code = soup_websocket_connection_get_close_code (ws);

  g_debug ("event=disconnect peer=%s code=%u", conn->id, code);
  hub_post (w, HUB_CLOSED, conn->id, NULL, NULL, code);
  /* The emission holds a reference on @ws: freeing the connection here is safe. */
  g_hash_table_remove (w->conns, conn->id);
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Worker *w = user_data;
  NavSignalingServer *self = w->server;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *welcome = NULL;
  GSocket *sock;
  Conn *conn;
  gint open;

  STAT_INC (self->n_connections);
  open = g_atomic_int_add (&self->open_connections, 1);
  if ((w->max_connections > 0 && (guint) open >= w->max_connections) ||
      !g_atomic_int_get (&self->running))
    {
      g_atomic_int_add (&self->open_connections, -1);
      STAT_INC (self->n_refused);
      soup_websocket_connection_close (ws, CLOSE_TRY_AGAIN_LATER, "too many connections");
      return;
    }

  conn = g_new0 (Conn, 1);
  conn->worker = w;
  conn->ws = g_object_ref (ws);
  do
    {
      g_free (conn->id);
      conn->id = nav_signaling_random_code (PEER_ID_LENGTH);
    }
  while (g_hash_table_contains (w->conns, conn->id));
  conn->last_activity = conn->bucket_time = g_get_monotonic_time ();
  conn->bucket = w->burst;
  g_hash_table_insert (w->conns, conn->id, conn);

  /* Signaling sends bursts of small frames (an answer, then candidates):
   * with Nagle's algorithm the second waits for the peer's delayed ACK,
   * 40 ms on Linux. */
  sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (ws, w->max_message_size);
  conn->message_id = g_signal_connect (ws, "message", G_CALLBACK (on_message), conn);
  conn->closed_id = g_signal_connect (ws, "closed", G_CALLBACK (on_closed), conn);

  /* The hub hears of the peer before any of its messages (one queue). */
  hub_post (w, HUB_CONNECTED, conn->id, soup_server_message_get_remote_host (msg), NULL, 0);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "v");
  json_builder_add_int_value (b, NAV_SIGNALING_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "welcome");
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, conn->id);
  json_builder_set_member_name (b, "max-message-size");
  json_builder_add_int_value (b, w->max_message_size);
  json_builder_set_member_name (b, "idle-timeout");
  json_builder_add_int_value (b, w->idle_timeout);
  json_builder_set_member_name (b, "token-required");
  json_builder_add_boolean_value (b, w->token_required);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  welcome = json_to_string (root, FALSE);
  conn_send_text (conn, welcome);
}

/* One timer per worker for all its connections, not one each: with
 * 10,000 peers a source per peer would cost more than the peers. */
static gboolean
on_sweep (gpointer user_data)
{
  Worker *w = user_data;
  gint64 deadline = g_get_monotonic_time () - (gint64) w->idle_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer value;
  GPtrArray *idle = g_ptr_array_new ();
  guint i;

  g_hash_table_iter_init (&iter, w->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (!conn->closing && conn->last_activity < deadline)
        g_ptr_array_add (idle, conn);
    }
  for (i = 0; i < idle->len; i++)
    {
      Conn *conn = idle->pdata[i];

      g_debug ("event=idle-close peer=%s", conn->id);
      STAT_INC (w->server->n_idle_closed);
      conn_close (conn, CLOSE_POLICY, "idle timeout");
    }
  g_ptr_array_free (idle, TRUE);
  return G_SOURCE_CONTINUE;
}

static GVariant *nav_signaling_server_get_stats (NavServer *server);

/* Runs in a worker: reads only atomics. */
static void
on_http (SoupServer        *soup,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Worker *w = user_data;
  NavSignalingServer *self = w->server;
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (GString) body = g_string_new (NULL);

  if (!g_str_equal (method, SOUP_METHOD_GET) && !g_str_equal (method, SOUP_METHOD_HEAD))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
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

/* The context's descriptors (with its timeout), as GLib would poll them. */
static void
shard_query (Worker *w,
             gint   *max_priority,
             gint   *timeout)
{
  gint n;

  g_main_context_prepare (w->context, max_priority);
  while ((n = g_main_context_query (w->context, *max_priority, timeout, w->fds, w->alloc_fds)) > w->alloc_fds)
    {
      w->alloc_fds = n;
      w->fds = g_renew (GPollFD, w->fds, w->alloc_fds);
    }
  w->n_fds = n;
}

static gint
cmp_event_fd (gconstpointer a,
              gconstpointer b)
{
  return ((const struct epoll_event *) a)->data.fd - ((const struct epoll_event *) b)->data.fd;
}

static void
epoll_set (Driver             *d,
           Worker             *w,
           gint                op,
           struct epoll_event *e)
{
  struct epoll_event ev = { .events = e->events, .data.ptr = w };

  if (epoll_ctl (d->epfd, op, e->data.fd, &ev) < 0)
    {
      if (op == EPOLL_CTL_MOD && errno == ENOENT)
        epoll_ctl (d->epfd, EPOLL_CTL_ADD, e->data.fd, &ev);
      else if (op == EPOLL_CTL_ADD && errno == EEXIST)
        epoll_ctl (d->epfd, EPOLL_CTL_MOD, e->data.fd, &ev);
    }
}

/* Brings the epoll set in line with the last query.  @full: a
 * descriptor may have been closed and its number reused (a connection
 * accepted), so re-register every one. */
static void
shard_sync (Worker   *w,
            gboolean  full)
{
  Driver *d = w->driver;
  g_autofree struct epoll_event *want = g_new (struct epoll_event, MAX (w->n_fds, 1));
  gint n = 0, i, j;

  for (i = 0; i < w->n_fds; i++)
    {
      guint32 events = ((w->fds[i].events & (G_IO_IN | G_IO_PRI)) ? EPOLLIN : 0) |
                       ((w->fds[i].events & G_IO_OUT) ? EPOLLOUT : 0);

      want[n].data.fd = w->fds[i].fd;
      want[n].events = events;
      n++;
    }
  qsort (want, n, sizeof *want, cmp_event_fd);
  /* One entry per descriptor (two sources may poll one socket). */
  for (i = 0, j = 0; i < n; i++)
    {
      if (j > 0 && want[j - 1].data.fd == want[i].data.fd)
        want[j - 1].events |= want[i].events;
      else
        want[j++] = want[i];
    }
  n = j;

  for (i = 0, j = 0; i < n || j < w->n_reg;)
    {
      if (j >= w->n_reg || (i < n && want[i].data.fd < w->reg[j].data.fd))
        epoll_set (d, w, EPOLL_CTL_ADD, &want[i++]);
      else if (i >= n || w->reg[j].data.fd < want[i].data.fd)
        epoll_ctl (d->epfd, EPOLL_CTL_DEL, w->reg[j++].data.fd, NULL);
      else
        {
          if (full || want[i].events != w->reg[j].events)
            epoll_set (d, w, EPOLL_CTL_MOD, &want[i]);
          i++;
          j++;
        }
    }
  g_free (w->reg);
  w->reg = g_steal_pointer (&want);
  w->n_reg = n;
}

static void
shard_unregister (Worker *w)
{
  gint i;

  for (i = 0; i < w->n_reg; i++)
    epoll_ctl (w->driver->epfd, EPOLL_CTL_DEL, w->reg[i].data.fd, NULL);
  g_clear_pointer (&w->reg, g_free);
  w->n_reg = 0;
}

/* One iteration of the context, as g_main_context_iteration() would do
 * it, then the descriptors it will want next go to the epoll set. */
static void
shard_iterate (Worker *w)
{
  gint max_priority, timeout, i;
  gboolean accepted = FALSE;

  g_main_context_push_thread_default (w->context);
  shard_query (w, &max_priority, &timeout);
  if (w->n_fds > 0)
    poll ((struct pollfd *) w->fds, w->n_fds, 0);
  for (i = 0; i < w->n_fds; i++)
    if (w->fds[i].fd == w->listen_fd && w->fds[i].revents != 0)
      accepted = TRUE;
  g_main_context_check (w->context, max_priority, w->fds, w->n_fds);
  g_main_context_dispatch (w->context);
  if (w->quit)
    {
      shard_unregister (w);
      w->deadline = -1;
    }
  else
    {
      shard_query (w, &max_priority, &timeout);
      shard_sync (w, accepted);
      w->deadline = timeout < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout * 1000;
    }
  g_main_context_pop_thread_default (w->context);
}

/* GLib polls every descriptor of a context on each iteration, and libsoup
 * re-creates a WebSocket's source after each read (a walk of the
 * context's descriptor list): both cost in proportion to the context's
 * connections.  So a thread runs many small contexts, and epoll(7) tells
 * it which ones to iterate. */
static gpointer
driver_run (gpointer data)
{
  Driver *d = data;
  struct epoll_event events[256];
  /* Plain memory (no GSlice: its hand-over between threads is hidden
   * from thread sanitizers). */
  Worker **ready = g_new (Worker *, d->shards->len);
  guint n_ready = 0, i;

  /* Owned for good: GLib wakes a context (its eventfd, in our epoll set)
   * when another thread attaches a source only if the context has an
   * owner. */
  for (i = 0; i < d->shards->len; i++)
    g_main_context_acquire (((Worker *) d->shards->pdata[i])->context);
  for (i = 0; i < d->shards->len; i++)
    shard_iterate (d->shards->pdata[i]);
  for (;;)
    {
      gint64 now = g_get_monotonic_time (), next = -1;
      gboolean all_quit = TRUE;
      gint n, timeout, k;

      for (i = 0; i < d->shards->len; i++)
        {
          Worker *w = d->shards->pdata[i];

          if (w->quit)
            continue;
          all_quit = FALSE;
          if (w->deadline >= 0 && (next < 0 || w->deadline < next))
            next = w->deadline;
        }
      if (all_quit)
        break;
      timeout = next < 0 ? -1 : next <= now ? 0 : (gint) MIN ((next - now + 999) / 1000, G_MAXINT);
      n = epoll_wait (d->epfd, events, G_N_ELEMENTS (events), timeout);
      for (k = 0; k < n; k++)
        {
          Worker *w = events[k].data.ptr;

          if (!w->ready)
            {
              w->ready = TRUE;
              ready[n_ready++] = w;
            }
        }
      now = g_get_monotonic_time ();
      for (i = 0; i < d->shards->len; i++)
        {
          Worker *w = d->shards->pdata[i];

          if (!w->ready && !w->quit && w->deadline >= 0 && w->deadline <= now)
            {
              w->ready = TRUE;
              ready[n_ready++] = w;
            }
        }
      for (i = 0; i < n_ready; i++)
        {
          Worker *w = ready[i];

          w->ready = FALSE;
          if (!w->quit)
            shard_iterate (w);
        }
      n_ready = 0;
    }
  g_free (ready);

  /* Let the WebSockets just closed finish closing their streams. */
  for (i = 0; i < d->shards->len; i++)
    {
      Worker *w = d->shards->pdata[i];
      guint k;

      g_main_context_push_thread_default (w->context);
      for (k = 0; k < 100 && g_main_context_iteration (w->context, FALSE); k++)
        ;
      g_main_context_pop_thread_default (w->context);
      g_main_context_release (w->context);
    }
  return NULL;
}

static void
driver_free (Driver *d)
{
  if (d->thread != NULL)
    g_thread_join (d->thread);
  close (d->epfd);
  g_ptr_array_unref (d->shards);
  g_free (d);
}

static Worker *
worker_new (NavSignalingServer *self,
            guint               index)
{
  Worker *w = g_new0 (Worker, 1);

  w->server = self;
  w->index = index;
  w->context = g_main_context_new ();
  mailbox_init (&w->mailbox, w->context);
  w->conns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) conn_free);
  w->listen_fd = -1;
  w->deadline = -1;
  w->max_message_size = self->max_message_size;
  w->idle_timeout = self->idle_timeout;
  w->rate = self->rate;
  w->burst = self->burst;
  w->max_connections = self->max_connections;
  w->token_required = self->secret != NULL;
  return w;
}

/* After its thread ended (or when it never started). */
static void
worker_free (Worker *w)
{
  if (w->soup != NULL || w->sweep != NULL || g_hash_table_size (w->conns) > 0)
    {
      g_main_context_push_thread_default (w->context);
      worker_shutdown (w);
      g_main_context_pop_thread_default (w->context);
    }
  mailbox_clear (&w->mailbox);
  g_hash_table_unref (w->conns);
  g_free (w->fds);
  g_free (w->reg);
  g_main_context_unref (w->context);
  g_free (w);
}

/* g_socket_bind() clears SO_REUSEPORT on stream sockets: bind here. */
static gboolean
socket_bind_shared (GSocket         *socket,
                    GSocketAddress  *address,
                    gboolean         share,
                    GError         **error)
{
  struct sockaddr_storage native;
  gsize len = g_socket_address_get_native_size (address);

  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error) ||
      (share && !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error)) ||
      !g_socket_address_to_native (address, &native, sizeof native, error))
    return FALSE;
  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native, len) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Error binding to address: %s"), g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* Creates the worker's SoupServer listening on @port (0: any) of @inet;
 * every worker's socket has SO_REUSEPORT, so they share the port. */
static gboolean
worker_listen (Worker          *w,
               GInetAddress    *inet,
               guint            port,
               GTlsCertificate *certificate,
               guint           *bound_port,
               GError         **error)
{
  NavSignalingServer *self = w->server;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocket) listener = NULL;
  SoupServerListenOptions options = certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0;
  GSList *uris;
  gboolean ok;

  g_main_context_push_thread_default (w->context);
  w->soup = g_object_new (SOUP_TYPE_SERVER,
                          "server-header", "netavanue-signaling/" NAV_VERSION_S " ",
                          "tls-certificate", certificate,
                          NULL);
  /* permessage-deflate costs two zlib streams (hundreds of KiB) a
   * connection and invites decompression bombs; messages are small. */
  soup_server_remove_websocket_extension (w->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler (w->soup, "/health", on_http, w, NULL);
  soup_server_add_handler (w->soup, "/stats", on_http, w, NULL);
  soup_server_add_websocket_handler (w->soup, "/", NULL, NULL, on_websocket, w, NULL);

  /* Our own socket, for its backlog (GIO's default of 10 drops the
   * handshakes of clients that arrive together: every client of a
   * restarted server reconnects within a second) and SO_REUSEPORT. */
  address = g_inet_socket_address_new (inet, port);
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  ok = listener != NULL;
  if (ok)
    {
      g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
      ok = socket_bind_shared (listener, address, self->workers->len > 1, error) &&
           g_socket_listen (listener, error) &&
           soup_server_listen_socket (w->soup, listener, options, error);
    }
  if (ok)
    {
      w->listen_fd = g_socket_get_fd (listener);
      uris = soup_server_get_uris (w->soup);
      *bound_port = uris != NULL ? (guint) g_uri_get_port (uris->data) : port;
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

      /* Not g_timeout_source_new_seconds(): hundreds of workers would
       * all sweep at the same instant, a stall every second.  Periods
       * of 1.000 to 1.099 s keep them apart. */
      w->sweep = g_timeout_source_new (1000 + w->index % 100);
      g_source_set_callback (w->sweep, on_sweep, w, NULL);
      g_source_set_static_name (w->sweep, "nav-signaling-sweep");
      g_source_attach (w->sweep, w->context);
      g_source_unref (w->sweep);        /* w->sweep: borrowed, destroyed in worker_shutdown */
    }
  g_main_context_pop_thread_default (w->context);
  return ok;
}

/* --------------------------------------------------- hub side: the rooms */

static void
peer_send_text (Peer        *peer,
                const gchar *ref_text)
{
  if (peer->closing)
    return;
  worker_post (peer->worker, WORKER_SEND, peer->id, (gchar *) ref_text, 0);
}

static void
peer_send_plain (Peer        *peer,
                 const gchar *text)
{
  gchar *ref = shared_text_new (text);

  peer_send_text (peer, ref);
  shared_text_unref (ref);
}

static void
peer_send_node (Peer     *peer,
                JsonNode *node)
{
  g_autofree gchar *text = json_to_string (node, FALSE);

  peer_send_plain (peer, text);
}

static void
peer_send_error (Peer        *peer,
                 gint         code,
                 const gchar *reason,
                 const gchar *ref_type)
{
  g_autofree gchar *text = nav_signaling_build_error (code, reason, ref_type);

  STAT_INC (peer->server->n_errors);
  g_debug ("event=error peer=%s remote=%s code=%d reason=\"%s\"",
           peer->id, peer->remote, code, reason);
  peer_send_plain (peer, text);
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
  STAT_SET (self->n_rooms, g_hash_table_size (self->rooms));
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
  STAT_SET (self->n_rooms, g_hash_table_size (self->rooms));
}

/* Delivers @text to the local peers of @room, except @except. */
static void
room_broadcast_local (Room        *room,
                      const gchar *text,
                      const gchar *except)
{
  GHashTableIter iter;
  gpointer value;
  gchar *ref = NULL;

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *other = value;

      if (except != NULL && strcmp (other->id, except) == 0)
        continue;
      if (ref == NULL)
        ref = shared_text_new (text);
      peer_send_text (other, ref);
    }
  g_clear_pointer (&ref, shared_text_unref);
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

      peer_send_plain (peer, left);
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
  STAT_INC (self->n_answered);
  g_debug ("event=join room=%s peer=%s size=%u", room->name, peer->id, room_size (room));
}

/* ------------------------------------------------------------------ Redis */

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
          STAT_INC (self->n_forwarded);
        }
    }
  else
    {
      room_broadcast_local (room, text, peer_id);
      STAT_INC (self->n_forwarded);
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
          g_autofree gchar *event = build_room_event ("peer-left", j->room, j->peer_id);

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
      g_autofree gchar *event = build_room_event ("peer-joined", j->room, peer->id);

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
on_redis_state (NavSignalingRedis *redis,
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
          g_autofree gchar *event = build_room_event ("peer-joined", room->name, key);

          nav_signaling_redis_rejoin (redis, room->name, key, event);
        }
    }
}

/* --------------------------------------------------------- the protocol */

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
          peer_send_plain (target, text);
          STAT_INC (self->n_forwarded);
        }
      else if (self->redis != NULL && g_hash_table_contains (room->remote_peers, to))
        {
          nav_signaling_redis_forward (self->redis, room->name, peer->id, to, text);
          STAT_INC (self->n_forwarded);
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
  STAT_INC (self->n_forwarded);
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
  STAT_INC (peer->server->n_answered);
}

/* A message from a peer, checked for rate and size by its worker. */
static void
hub_handle_message (Peer        *peer,
                    const gchar *data,
                    gsize        len)
{
  NavSignalingServer *self = peer->server;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *type;
  JsonNode *root;
  JsonObject *msg;
  JsonNode *v;
  NavSignalingMessageType kind;

  if (!nav_signaling_check_nesting (data, len, NAV_SIGNALING_MAX_NESTING))
    {
      STAT_INC (self->n_dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("JSON nested too deeply"), NULL);
      return;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      STAT_INC (self->n_dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("Not JSON"), NULL);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      STAT_INC (self->n_dropped);
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
      STAT_INC (self->n_dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“type” is missing"), NULL);
      goto out;
    }
  if (v == NULL || !JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64)
    {
      STAT_INC (self->n_dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_BAD_MESSAGE, _("“v” is missing"), type);
      goto out;
    }
  if (json_node_get_int (v) != NAV_SIGNALING_PROTOCOL_VERSION)
    {
      STAT_INC (self->n_dropped);
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
      STAT_INC (self->n_dropped);
      peer_send_error (peer, NAV_SIGNALING_ERROR_UNKNOWN_TYPE, _("Unknown message type"), type);
      break;
    }
out:
  json_node_unref (root);
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
  STAT_SET (self->n_peers, g_hash_table_size (self->peers));
}

static void
hub_op_run (gpointer data)
{
  HubOp *op = data;
  Worker *w = op->worker;
  NavSignalingServer *self = w->server;
  Peer *peer = g_hash_table_lookup (self->peers, op->id);

  switch (op->kind)
    {
    case HUB_CONNECTED:
      if (peer != NULL || !g_atomic_int_get (&self->running))
        {
          /* Two workers drew the same 60-bit id, or we are stopping. */
          gchar *reason = shared_text_new ("try again");

          worker_post (w, WORKER_CLOSE, op->id, reason, CLOSE_TRY_AGAIN_LATER);
          shared_text_unref (reason);
          return;
        }
      peer = g_new0 (Peer, 1);
      peer->server = self;
      peer->worker = w;
      peer->id = g_strdup (op->id);
      peer->remote = g_strdup (op->remote);
      peer->rooms = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (self->peers, peer->id, peer);
      STAT_SET (self->n_peers, g_hash_table_size (self->peers));
      g_debug ("event=connect peer=%s remote=%s worker=%u", peer->id, peer->remote, w->index);
      break;
    case HUB_MESSAGE:
      if (peer != NULL && peer->worker == w && !peer->closing)
        hub_handle_message (peer, op->data, op->len);
      break;
    case HUB_CLOSED:
      if (peer != NULL && peer->worker == w)
        {
          g_debug ("event=disconnect peer=%s remote=%s code=%u", peer->id, peer->remote, op->code);
          hub_remove_peer (self, peer);
        }
      break;
    }
}

/* ------------------------------------------------------------- NavServer */

static void
stop_workers (NavSignalingServer *self)
{
  guint i;

  if (self->drivers->len == 0)
    return;
  for (i = 0; i < self->workers->len; i++)
    worker_post (self->workers->pdata[i], WORKER_QUIT, NULL, NULL, 0);
  g_ptr_array_set_size (self->drivers, 0);
  g_atomic_int_set (&self->n_threads, 0);
}

static gboolean
nav_signaling_server_start (NavServer  *server,
                            GError    **error)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GError) local_error = NULL;
  guint n_threads, n_shards, i, port;

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
    }

  n_threads = self->threads > 0 ? self->threads : (guint) g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, MAX_THREADS);
  n_shards = n_threads * SHARDS_PER_THREAD;
  mailbox_init (&self->mailbox, self->context);
  for (i = 0; i < n_shards; i++)
    g_ptr_array_add (self->workers, worker_new (self, i));
  port = self->listening_port;
  /* SO_REUSEPORT would let us join a port that another server of the same
   * user already listens on, and the kernel would split the clients
   * between the two.  A socket without it can only bind a free port. */
  if (port != 0 && n_shards > 1)
    {
      g_autoptr (GSocketAddress) probe_address = g_inet_socket_address_new (inet, port);
      g_autoptr (GSocket) probe = g_socket_new (g_inet_address_get_family (inet),
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                &local_error);

      if (probe == NULL || !socket_bind_shared (probe, probe_address, FALSE, &local_error))
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot listen on %s port %u: %s"),
                       self->listening_ip, port, local_error->message);
          g_ptr_array_set_size (self->workers, 0);
          mailbox_clear (&self->mailbox);
          return FALSE;
        }
    }
  for (i = 0; i < n_shards; i++)
    {
      /* The first socket picks the port (perhaps any free one); the
       * others join it. */
      if (!worker_listen (self->workers->pdata[i], inet, port, certificate, &port, &local_error))
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot listen on %s port %u: %s"),
                       self->listening_ip, port, local_error->message);
          g_ptr_array_set_size (self->workers, 0);
          mailbox_clear (&self->mailbox);
          return FALSE;
        }
    }
  self->bound_port = port;

  if (self->redis_url != NULL)
    {
      self->redis = nav_signaling_redis_new (self->redis_url, self->context, on_redis_event,
                                             on_redis_state, self, error);
      if (self->redis == NULL)
        {
          g_ptr_array_set_size (self->workers, 0);
          mailbox_clear (&self->mailbox);
          return FALSE;
        }
    }

  g_atomic_int_set (&self->running, TRUE);
  for (i = 0; i < n_threads; i++)
    {
      Driver *d = g_new0 (Driver, 1);

      d->server = self;
      d->epfd = epoll_create1 (EPOLL_CLOEXEC);
      d->shards = g_ptr_array_new ();
      g_ptr_array_add (self->drivers, d);
    }
  for (i = 0; i < n_shards; i++)
    {
      Worker *w = self->workers->pdata[i];
      Driver *d = self->drivers->pdata[i % n_threads];

      w->driver = d;
      g_ptr_array_add (d->shards, w);
    }
  for (i = 0; i < n_threads; i++)
    {
      Driver *d = self->drivers->pdata[i];
      g_autofree gchar *name = g_strdup_printf ("nav-signal-%u", i);

      d->thread = g_thread_new (name, driver_run, d);
    }
  g_atomic_int_set (&self->n_threads, n_threads);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_PORT]);
  g_message ("event=listening server=signaling url=%s://%s%s%s:%u/ threads=%u redis=%s",
             certificate != NULL ? "wss" : "ws",
             strchr (self->listening_ip, ':') ? "[" : "", self->listening_ip,
             strchr (self->listening_ip, ':') ? "]" : "", self->bound_port, n_threads,
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
  gchar *bye;
  GHashTableIter iter;
  gpointer value;
  gint64 deadline;
  guint i;

  if (!self->running)
    return;
  g_atomic_int_set (&self->running, FALSE);

  bye = shared_text_new ("{\"v\":1,\"type\":\"bye\",\"reason\":\"server shutting down\"}");
  for (i = 0; i < self->workers->len; i++)
    worker_post (self->workers->pdata[i], WORKER_SHUTDOWN, NULL, bye, 0);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Peer *) value)->closing = TRUE;
  deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_MS * 1000;
  while ((g_hash_table_size (self->peers) > 0 || g_atomic_int_get (&self->open_connections) > 0) &&
         g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (self->context, FALSE))
        g_usleep (1000);
    }

  stop_workers (self);
  /* What the workers said last (closed connections), then whoever did
   * not answer the close in time is dropped. */
  mailbox_flush (&self->mailbox, TRUE);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    peer_leave_all (value);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->rooms);
  STAT_SET (self->n_peers, 0);
  STAT_SET (self->n_rooms, 0);
  g_clear_pointer (&self->redis, nav_signaling_redis_free);
  g_atomic_int_set (&self->redis_up, FALSE);
  g_ptr_array_set_size (self->workers, 0);
  mailbox_clear (&self->mailbox);
  shared_text_unref (bye);

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
  g_variant_builder_add (&builder, "{st}", "received", STAT_GET (self->n_received));
  g_variant_builder_add (&builder, "{st}", "answered", STAT_GET (self->n_answered));
  g_variant_builder_add (&builder, "{st}", "forwarded", STAT_GET (self->n_forwarded));
  g_variant_builder_add (&builder, "{st}", "dropped", STAT_GET (self->n_dropped));
  g_variant_builder_add (&builder, "{st}", "errors", STAT_GET (self->n_errors));
  g_variant_builder_add (&builder, "{st}", "rooms", STAT_GET (self->n_rooms));
  g_variant_builder_add (&builder, "{st}", "peers", STAT_GET (self->n_peers));
  g_variant_builder_add (&builder, "{st}", "connections", STAT_GET (self->n_connections));
  g_variant_builder_add (&builder, "{st}", "refused", STAT_GET (self->n_refused));
  g_variant_builder_add (&builder, "{st}", "idle-closed", STAT_GET (self->n_idle_closed));
  g_variant_builder_add (&builder, "{st}", "rate-closed", STAT_GET (self->n_rate_closed));
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
  g_ptr_array_unref (self->workers);
  g_ptr_array_unref (self->drivers);
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

  /**
   * NavSignalingServer:threads:
   *
   * Worker threads holding the WebSockets, each with its own main
   * context and its own socket on the listening port (`SO_REUSEPORT`);
   * rooms stay in [property@Nav.Server:context].  0 for one per CPU.
   * Read at [method@Nav.Server.start].
   *
   * Since: 1.0
   */
  properties[PROP_THREADS] =
    g_param_spec_uint ("threads", "Threads", "Worker threads holding the WebSockets; 0 for one per CPU",
                       0, MAX_THREADS, 0, rw);

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
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  self->drivers = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_free);
}
