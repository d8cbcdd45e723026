/* nav-signaling-server.c: the signaling server as a NavServer: its
 * properties, and the rooms (the "hub")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-io.h"
#include "nav-signaling-protocol.h"
#include "nav-signaling-redis.h"
#include "nav-signaling-server.h"
#include "nav-signaling-server-private.h"

/**
 * NavSignalingServer:
 *
 * The signaling server of the `signaling` module: peers join a room over
 * a WebSocket and exchange their SDP offers, answers and candidates
 * through it, as JSON messages described in `docs/signaling.md`.  A
 * [iface@Nav.Server] registered as `signaling` at the `nav-server`
 * extension point.
 *
 * It enforces a room capacity, an optional HMAC-signed join token, a
 * message rate and size per connection and per source address, limits
 * on connections and on pending handshakes, a handshake and an idle
 * timeout; it serves `wss://` when given a certificate, answers
 * `GET /health` and `GET /stats` on the same port, and on
 * [method@Nav.Server.stop] tells every client it is going away (a `bye`
 * message, then a 1001 close).  With [property@Nav.SignalingServer:redis]
 * set, several servers share their rooms through Redis
 * publish/subscribe.
 *
 * The connections are held by [property@Nav.SignalingServer:threads]
 * worker threads, each with its own listening socket on the same port
 * (`SO_REUSEPORT`: the kernel spreads the connections) and one epoll
 * set.  A worker handles the messages it reads itself, the rooms under
 * one lock, and writes to its own connections directly: a forwarded
 * message crosses at most one thread.  With Redis the rooms are the
 * server's [property@Nav.Server:context]'s (the "hub"), where the Redis
 * connection lives.
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
#define DEFAULT_LISTENING_PORT 8080
#define DEFAULT_MAX_ROOM_SIZE 64
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_HANDSHAKE_TIMEOUT 10
#define DEFAULT_RATE 50
#define DEFAULT_BURST 100
#define DEFAULT_IP_RATE 500
#define DEFAULT_IP_BURST 1000
#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_MAX_CONNECTIONS_PER_IP 1024
#define DEFAULT_MAX_PENDING 1024
#define DEFAULT_MAX_PENDING_PER_IP 64
#define DEFAULT_RELAY_QUOTA (G_GUINT64_CONSTANT (4) << 30)   /* 4 GiB a session */
#define DEFAULT_RELAY_IDLE_TIMEOUT 60
#define DEFAULT_MAX_ROOMS_PER_PEER 8
#define MAX_THREADS 256
#define SHUTDOWN_GRACE_MS 1000
/* Descriptors beyond the connections: listening sockets, epoll sets,
 * eventfds, Redis, logs, what the rest of the process holds. */
#define FD_RESERVE 64


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
  PROP_HANDSHAKE_TIMEOUT,
  PROP_IP_RATE,
  PROP_IP_BURST,
  PROP_MAX_CONNECTIONS_PER_IP,
  PROP_MAX_PENDING,
  PROP_MAX_PENDING_PER_IP,
  PROP_RELAY,
  PROP_RELAY_QUOTA,
  PROP_RELAY_IDLE_TIMEOUT,
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

static GVariant *nav_signaling_server_get_stats (NavServer *server);

/* GET /health and /stats, answered by the workers: reads only atomics. */
static gchar *
on_http (gpointer     user_data,
         const gchar *path)
{
  NavSignalingServer *self = user_data;
  GString *body = g_string_new (NULL);

  if (g_str_equal (path, "/health"))
    {
      g_string_append_printf (body, "{\"status\":\"%s\",\"redis\":\"%s\",\"threads\":%u",
                              g_atomic_int_get (&self->running) ? "ok" : "stopping",
                              self->redis_url == NULL ? "off" :
                              g_atomic_int_get (&self->redis_up) ? "ok" : "down",
                              g_atomic_int_get (&self->n_threads));
      /* The relay lives from start to stop; so do the workers that
       * answer this. */
      if (self->relay != NULL)
        g_string_append_printf (body, ",\"relay\":\"ok\",\"relay-sessions\":%u",
                                nav_signaling_relay_get_sessions (self->relay));
      g_string_append (body, "}\n");
    }
  else if (g_str_equal (path, "/demo"))
    {
      /* The data channel demo page (demo.html, a resource of the module). */
      g_autoptr (GBytes) page = g_resources_lookup_data ("/org/netavanue/signaling/demo.html",
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

      if (page != NULL)
        g_string_append_len (body, g_bytes_get_data (page, NULL), g_bytes_get_size (page));
    }
  else if (g_str_equal (path, "/stats"))
    {
      g_autoptr (GVariant) stats = g_variant_ref_sink (nav_signaling_server_get_stats (NAV_SERVER (self)));
      GVariantIter iter;
      const gchar *key;
      guint64 value;
      gboolean first = TRUE;

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
      g_string_free (body, TRUE);
      return NULL;
    }
  return g_string_free (body, FALSE);
}

/* ------------------------------------------------------------- NavServer */

/* How many descriptors the limits need, and what the process may open:
 * said once, clearly, at start (the daemon raises its soft limit first,
 * see tools/nav-server-signaling.c). */
static void
check_descriptor_budget (NavSignalingServer *self)
{
  struct rlimit rl;
  guint64 needed;

  if (self->max_connections == 0 || getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return;
  needed = (guint64) self->max_connections + FD_RESERVE;
  if ((guint64) rl.rlim_cur >= needed)
    return;
  g_warning ("event=fd-limit server=signaling descriptors=%" G_GUINT64_FORMAT " needed=%" G_GUINT64_FORMAT
             " max-connections=%u: about %" G_GUINT64_FORMAT " connections fit; beyond, accepting pauses "
             "until descriptors are free (raise the limit, e.g. ulimit -n %" G_GUINT64_FORMAT
             ", or lower --signaling-max-connections)",
             (guint64) rl.rlim_cur, needed, self->max_connections,
             (guint64) rl.rlim_cur > FD_RESERVE ? (guint64) rl.rlim_cur - FD_RESERVE : 0, needed);
}

static gboolean
nav_signaling_server_start (NavServer  *server,
                            GError    **error)
{
  NavSignalingServer *self = NAV_SIGNALING_SERVER (server);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GError) local_error = NULL;
  NavSignalingIoConfig config = { 0 };
  guint n_threads, port = 0;

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

  n_threads = self->threads > 0 ? self->threads : (guint) g_get_num_processors ();
  config.threads = CLAMP (n_threads, 1, MAX_THREADS);
  config.max_message_size = self->max_message_size;
  config.idle_timeout = self->idle_timeout;
  config.handshake_timeout = self->handshake_timeout;
  config.rate = self->rate;
  config.burst = self->burst;
  config.ip_rate = self->ip_rate;
  config.ip_burst = self->ip_burst;
  config.max_connections = self->max_connections;
  config.max_connections_per_ip = self->max_connections_per_ip;
  config.max_pending = self->max_pending;
  config.max_pending_per_ip = self->max_pending_per_ip;
  config.token_required = self->secret != NULL;
  /* Redis is reached from the hub's context only: then the rooms are
   * handled there. */
  config.events_in_workers = self->redis_url == NULL;
  config.cert_file = self->cert_file;
  config.pkey_file = self->pkey_file;
  memset (&self->stats, 0, sizeof self->stats);

  self->io = nav_signaling_io_new (&config, &self->stats, self->context, nav_signaling_rooms_hooks.io_event,
                                   on_http, self, error);
  if (self->io == NULL)
    return FALSE;
  if (self->relay_enabled)
    {
      self->relay = nav_signaling_relay_new (self->relay_quota, self->relay_idle_timeout, error);
      if (self->relay == NULL)
        {
          g_clear_pointer (&self->io, nav_signaling_io_free);
          return FALSE;
        }
      nav_signaling_io_set_relay (self->io, self->relay);
    }
  if (!nav_signaling_io_listen (self->io, inet, self->listening_port, &port, &local_error))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot listen on %s port %u: %s"),
                   self->listening_ip, self->listening_port, local_error->message);
      g_clear_pointer (&self->io, nav_signaling_io_free);
      g_clear_pointer (&self->relay, nav_signaling_relay_free);
      return FALSE;
    }
  self->bound_port = port;

  if (self->redis_url != NULL)
    {
      self->redis = nav_signaling_redis_new (self->redis_url, self->context, nav_signaling_rooms_hooks.redis_event,
                                             nav_signaling_rooms_hooks.redis_state, self, error);
      if (self->redis == NULL)
        {
          g_clear_pointer (&self->io, nav_signaling_io_free);
          g_clear_pointer (&self->relay, nav_signaling_relay_free);
          return FALSE;
        }
    }

  check_descriptor_budget (self);
  g_atomic_int_set (&self->running, TRUE);
  g_atomic_int_set (&self->n_threads, nav_signaling_io_start (self->io));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_PORT]);
  g_message ("event=listening server=signaling url=%s://%s%s%s:%u/ threads=%u redis=%s",
             self->cert_file != NULL ? "wss" : "ws",
             strchr (self->listening_ip, ':') ? "[" : "", self->listening_ip,
             strchr (self->listening_ip, ':') ? "]" : "", self->bound_port, config.threads,
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
  GHashTableIter iter;
  gpointer value;
  gint64 deadline;

  if (!self->running)
    return;
  g_atomic_int_set (&self->running, FALSE);

  pthread_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Peer *) value)->closing = TRUE;
  pthread_mutex_unlock (&self->lock);
  nav_signaling_io_shutdown (self->io, "{\"v\":1,\"type\":\"bye\",\"reason\":\"server shutting down\"}");
  deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_MS * 1000;
  for (;;)
    {
      guint left;

      pthread_mutex_lock (&self->lock);
      left = g_hash_table_size (self->peers);
      pthread_mutex_unlock (&self->lock);
      if ((left == 0 && STAT_GET (open) <= 0) || g_get_monotonic_time () >= deadline)
        break;
      if (!g_main_context_iteration (self->context, FALSE))
        g_usleep (1000);
    }

  /* What the workers said last (closed connections), then whoever did
   * not answer the close in time is dropped. */
  nav_signaling_io_dispatch (self->io);
  g_clear_pointer (&self->io, nav_signaling_io_free);
  /* After the workers: none hands it a socket any more. */
  g_clear_pointer (&self->relay, nav_signaling_relay_free);
  g_atomic_int_set (&self->n_threads, 0);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    nav_signaling_rooms_peer_leave_all (value);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->rooms);
  STAT_SET (peers, 0);
  STAT_SET (rooms, 0);
  g_clear_pointer (&self->redis, nav_signaling_redis_free);
  g_atomic_int_set (&self->redis_up, FALSE);

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
  g_variant_builder_add (&builder, "{st}", "received", STAT_GET (received));
  g_variant_builder_add (&builder, "{st}", "answered", STAT_GET (answered));
  g_variant_builder_add (&builder, "{st}", "forwarded", STAT_GET (forwarded));
  g_variant_builder_add (&builder, "{st}", "dropped", STAT_GET (dropped));
  g_variant_builder_add (&builder, "{st}", "errors", STAT_GET (errors));
  g_variant_builder_add (&builder, "{st}", "rooms", STAT_GET (rooms));
  g_variant_builder_add (&builder, "{st}", "peers", STAT_GET (peers));
  g_variant_builder_add (&builder, "{st}", "connections", STAT_GET (connections));
  g_variant_builder_add (&builder, "{st}", "refused", STAT_GET (refused));
  g_variant_builder_add (&builder, "{st}", "idle-closed", STAT_GET (idle_closed));
  g_variant_builder_add (&builder, "{st}", "rate-closed", STAT_GET (rate_closed));
  g_variant_builder_add (&builder, "{st}", "handshake-timeouts", STAT_GET (handshake_timeouts));
  g_variant_builder_add (&builder, "{st}", "too-large", STAT_GET (too_large));
  g_variant_builder_add (&builder, "{st}", "accept-errors", STAT_GET (accept_errors));
  g_variant_builder_add (&builder, "{st}", "open", (guint64) MAX (STAT_GET (open), 0));
  g_variant_builder_add (&builder, "{st}", "pending", (guint64) MAX (STAT_GET (pending), 0));
  if (self->relay != NULL)
    nav_signaling_relay_add_stats (self->relay, &builder);
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
  pthread_mutex_destroy (&self->lock);
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
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_IP_RATE:
      g_value_set_uint (value, self->ip_rate);
      break;
    case PROP_IP_BURST:
      g_value_set_uint (value, self->ip_burst);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      g_value_set_uint (value, self->max_connections_per_ip);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_MAX_PENDING_PER_IP:
      g_value_set_uint (value, self->max_pending_per_ip);
      break;
    case PROP_RELAY:
      g_value_set_boolean (value, self->relay_enabled);
      break;
    case PROP_RELAY_QUOTA:
      g_value_set_uint64 (value, self->relay_quota);
      break;
    case PROP_RELAY_IDLE_TIMEOUT:
      g_value_set_uint (value, self->relay_idle_timeout);
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
    case PROP_HANDSHAKE_TIMEOUT:
      self->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_IP_RATE:
      self->ip_rate = g_value_get_uint (value);
      break;
    case PROP_IP_BURST:
      self->ip_burst = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      self->max_connections_per_ip = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING_PER_IP:
      self->max_pending_per_ip = g_value_get_uint (value);
      break;
    case PROP_RELAY:
      self->relay_enabled = g_value_get_boolean (value);
      break;
    case PROP_RELAY_QUOTA:
      self->relay_quota = g_value_get_uint64 (value);
      break;
    case PROP_RELAY_IDLE_TIMEOUT:
      self->relay_idle_timeout = g_value_get_uint (value);
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
   * The most connections at once, WebSockets and connections still in
   * their handshake; more are refused (HTTP 503).  0 for no limit.
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
   * Worker threads holding the WebSockets, each with its own epoll set
   * and its own socket on the listening port (`SO_REUSEPORT`);
   * rooms stay in [property@Nav.Server:context].  0 for one per CPU.
   * Read at [method@Nav.Server.start].
   *
   * Since: 1.0
   */
  properties[PROP_THREADS] =
    g_param_spec_uint ("threads", "Threads", "Worker threads holding the WebSockets; 0 for one per CPU",
                       0, MAX_THREADS, 0, rw);

  /**
   * NavSignalingServer:handshake-timeout:
   *
   * Seconds a new connection has to finish its TLS and WebSocket
   * handshakes; then it is closed.
   *
   * Since: 1.0
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", "Handshake timeout",
                       "Seconds a connection has to finish its handshakes",
                       1, 3600, DEFAULT_HANDSHAKE_TIMEOUT, rw);

  /**
   * NavSignalingServer:ip-rate:
   *
   * Messages (pings included) and new connections a second from one
   * source address (an IPv6 /64), all its connections together; beyond
   * it they are refused as for [property@Nav.SignalingServer:rate].
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_IP_RATE] =
    g_param_spec_uint ("ip-rate", "Rate per address",
                       "Messages and connections a second per source address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_IP_RATE, rw);

  /**
   * NavSignalingServer:ip-burst:
   *
   * Messages and connections at once above
   * [property@Nav.SignalingServer:ip-rate].
   *
   * Since: 1.0
   */
  properties[PROP_IP_BURST] =
    g_param_spec_uint ("ip-burst", "Burst per address", "Messages and connections at once above the rate per address",
                       1, G_MAXUINT, DEFAULT_IP_BURST, rw);

  /**
   * NavSignalingServer:max-connections-per-ip:
   *
   * The most connections (handshakes included) from one source address
   * (an IPv6 /64).  0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONNECTIONS_PER_IP] =
    g_param_spec_uint ("max-connections-per-ip", "Maximum connections per address",
                       "The most connections from one source address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_CONNECTIONS_PER_IP, rw);

  /**
   * NavSignalingServer:max-pending:
   *
   * The most connections still in their TLS or WebSocket handshake.
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", "Maximum pending handshakes",
                       "The most connections in their handshake; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_PENDING, rw);

  /**
   * NavSignalingServer:max-pending-per-ip:
   *
   * The most connections in their handshake from one source address.
   * 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PENDING_PER_IP] =
    g_param_spec_uint ("max-pending-per-ip", "Maximum pending handshakes per address",
                       "The most connections in their handshake from one address; 0 for no limit",
                       0, G_MAXUINT, DEFAULT_MAX_PENDING_PER_IP, rw);

  /**
   * NavSignalingServer:relay:
   *
   * Whether `GET /relay` upgrades to the WebSocket relay: binary
   * messages between the two ends of one session, for peers whose UDP
   * is blocked and who have no TURN server (nav-share).  Plain `ws://`
   * only.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY] =
    g_param_spec_boolean ("relay", "Relay", "Whether GET /relay is the WebSocket relay", FALSE, rw);
  /**
   * NavSignalingServer:relay-quota:
   *
   * The most bytes one relay session carries (both ways); 0 for no
   * limit.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY_QUOTA] =
    g_param_spec_uint64 ("relay-quota", "Relay quota", "The most bytes one relay session carries; 0 for no limit",
                         0, G_MAXUINT64, DEFAULT_RELAY_QUOTA, rw);
  /**
   * NavSignalingServer:relay-idle-timeout:
   *
   * Seconds without a byte relayed after which a relay session is closed.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY_IDLE_TIMEOUT] =
    g_param_spec_uint ("relay-idle-timeout", "Relay idle timeout",
                       "Seconds without a byte relayed after which a relay session is closed",
                       1, G_MAXUINT, DEFAULT_RELAY_IDLE_TIMEOUT, rw);

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
  pthread_mutexattr_t attr;

  /* Recursive: a Redis call may answer at once, from inside a join. */
  pthread_mutexattr_init (&attr);
  pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init (&self->lock, &attr);
  pthread_mutexattr_destroy (&attr);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) nav_signaling_rooms_peer_free);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) nav_signaling_rooms_room_free);
}
