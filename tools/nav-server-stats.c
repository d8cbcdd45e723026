/* nav-server-stats.c: the HTTP stats endpoint of nav-server
 *
 * One small HTTP/1.1 server that shows the counters of every NavServer
 * the daemon runs, keyed by the server's name (stun, turn, signaling),
 * the way coturn's Prometheus exporter does:
 *
 *   GET /health   {"status":"ok","servers":["turn"]}
 *   GET /stats    {"turn":{"received":12,…},…}  (JSON, every counter)
 *   GET /metrics  Prometheus text exposition format 0.0.4:
 *                 nav_turn_received_total 12, nav_turn_allocations 1, …
 *   GET /internals       a page like chrome://webrtc-internals: these
 *                        servers, and the agents and peer connections of
 *                        the processes that export them (NAV_DEBUG_EXPORT=1,
 *                        docs/inspect.md), with graphs of bitrate and RTT
 *   GET /internals.json  what the page polls
 *
 * Counters only grow, so they are Prometheus counters with the
 * `_total` suffix; the few values that go up and down (current
 * allocations, connections, rooms, peers) are gauges.
 *
 * It is built on the core's socket layer like the servers themselves
 * (core/net): the accept loop backs off and resumes when descriptors run
 * out (issue 14), one request per connection (Connection: close), a
 * request head above 8 KiB gets 431 and a client that does not finish
 * its request within 5 s is disconnected, and no more than 64
 * connections are served at once (the others are closed at once).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "nav-net.h"
#include "nav-server-stats.h"
#include "nav-inspect-client.h"

#define MAX_HEAD 8192
#define MAX_CONNECTIONS 64
#define REQUEST_TIMEOUT_US (5 * G_USEC_PER_SEC)

typedef struct
{
  gchar *name;
  NavServer *server;
} Entry;

typedef struct
{
  NavServerStats *stats;
  NavNetStream *stream;
  GString *head;
  gint64 since;
  gboolean answered;
} Client;

struct _NavServerStats
{
  GMainContext *context;
  NavNetListener *listener;
  GHashTable *clients;  /* set of Client */
  GPtrArray *dead;      /* of Client, freed once the dispatch is over */
  GSource *reap;
  GSource *sweep;
  GPtrArray *entries;   /* of Entry */
  guint port;
};

static void client_free (gpointer data);
static void client_finish (Client *c);

/* Values of get_stats() that are current amounts, not running totals,
 * as server/key.  The signaling server's `connections` is the running
 * total of accepted connections (a counter); `open` and `pending` are
 * the connections open now and those still in their handshake. */
static const gchar * const gauges[] = {
  "stun/tcp-connections", "turn/allocations", "turn/connections", "turn/threads",
  "signaling/rooms", "signaling/peers", "signaling/open", "signaling/pending", NULL
};

static gboolean
is_gauge (const gchar *server,
          const gchar *key)
{
  g_autofree gchar *name = g_strconcat (server, "/", key, NULL);

  return g_strv_contains (gauges, name);
}

/* Keys whose metric says more than the key: the signaling server's
 * `open` is nav_signaling_open_connections (server/key, metric key). */
static const gchar * const metric_keys[][2] = {
  { "signaling/open", "open-connections" },
  { "signaling/pending", "pending-connections" },
};

static const gchar *
metric_key (const gchar *server,
            const gchar *key)
{
  g_autofree gchar *name = g_strconcat (server, "/", key, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (metric_keys); i++)
    if (g_str_equal (metric_keys[i][0], name))
      return metric_keys[i][1];
  return key;
}

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->name);
  g_object_unref (e->server);
  g_free (e);
}

/**
 * nav_server_stats_new:
 *
 * Returns: (transfer full): an endpoint that serves nothing until
 *   [func@nav_server_stats_listen]
 */
NavServerStats *
nav_server_stats_new (void)
{
  NavServerStats *self = g_new0 (NavServerStats, 1);

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->clients = g_hash_table_new_full (g_direct_hash, g_direct_equal, client_free, NULL);
  self->dead = g_ptr_array_new_with_free_func (client_free);
  return self;
}

/**
 * nav_server_stats_add:
 * @self: an endpoint
 * @name: the server's name, `[a-z]+` (stun, turn, signaling)
 * @server: the server whose [method@Nav.Server.get_stats] to show
 */
void
nav_server_stats_add (NavServerStats *self,
                      const gchar    *name,
                      NavServer      *server)
{
  Entry *e = g_new0 (Entry, 1);

  g_return_if_fail (NAV_IS_SERVER (server));
  e->name = g_strdup (name);
  e->server = g_object_ref (server);
  g_ptr_array_add (self->entries, e);
  /* Seen by nav-inspect --live too when NAV_DEBUG_EXPORT=1 (issue 20). */
  nav_inspect_export_object (G_OBJECT (server), name);
}

/* A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, so `-` becomes `_`. */
static gchar *
metric_name (const gchar *server,
             const gchar *key,
             gboolean     counter)
{
  GString *s = g_string_new ("nav_");
  const gchar *p;

  for (p = server; *p != '\0'; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '_');
  g_string_append_c (s, '_');
  for (p = key; *p != '\0'; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '_');
  if (counter && !g_str_has_suffix (s->str, "_total"))
    g_string_append (s, "_total");
  return g_string_free (s, FALSE);
}

/* Keys are the servers' counter names ([a-z0-9-]) and values integers:
 * no escaping is ever needed, but a key is escaped anyway should a
 * server name one otherwise. */
static void
append_json_string (GString     *out,
                    const gchar *text)
{
  g_string_append_c (out, '"');
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static gchar *
render_json (NavServerStats *self)
{
  GString *out = g_string_new ("{\n");
  guint i;

  for (i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autoptr (GVariant) stats = nav_server_get_stats (e->server);
      GVariantIter iter;
      const gchar *key;
      guint64 value;
      gboolean first = TRUE;

      g_string_append (out, "  ");
      append_json_string (out, e->name);
      g_string_append (out, " : {");
      g_variant_iter_init (&iter, stats);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        {
          g_string_append (out, first ? "\n    " : ",\n    ");
          append_json_string (out, key);
          /* JSON numbers are doubles to most readers, but counters
           * stay below 2^53 for centuries */
          g_string_append_printf (out, " : %" G_GUINT64_FORMAT, MIN (value, (guint64) G_MAXINT64));
          first = FALSE;
        }
      g_string_append (out, first ? "}" : "\n  }");
      g_string_append (out, i + 1 < self->entries->len ? ",\n" : "\n");
    }
  g_string_append (out, "}\n");
  return g_string_free (out, FALSE);
}

/* What /internals polls: the servers' counters, and each exporting
 * process's objects with their statistics (read over D-Bus, as
 * nav-inspect --live does; a process that does not answer is left out). */
static gchar *
render_internals (NavServerStats *self)
{
  g_autoptr (GPtrArray) endpoints = nav_inspect_find_endpoints (0);
  g_autoptr (GVariant) all = NULL;
  GVariantBuilder top, servers, processes;

  g_variant_builder_init (&servers, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autoptr (GVariant) counters = nav_server_get_stats (e->server);

      g_variant_builder_add (&servers, "{sv}", e->name, counters);
    }
  g_variant_builder_init (&processes, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < endpoints->len; i++)
    {
      Endpoint *e = g_ptr_array_index (endpoints, i);
      g_autofree gchar *program = nav_inspect_get_program (e);
      g_autoptr (GVariant) objects = nav_inspect_list_objects (e, NULL);
      GVariantBuilder p, o;
      GVariantIter iter;
      const gchar *name, *type, *state;

      if (objects == NULL)
        continue;
      g_variant_builder_init (&o, G_VARIANT_TYPE_VARDICT);
      g_variant_iter_init (&iter, objects);
      while (g_variant_iter_next (&iter, "(&s&s&s)", &name, &type, &state))
        {
          g_autofree gchar *path = g_strdup_printf (NAV_INSPECT_OBJECT_PATH "/%s", name);
          g_autoptr (GVariant) stats = nav_inspect_call (e, path, OBJECT_IFACE, "GetStats", NULL,
                                                         G_VARIANT_TYPE ("(a{sa{sv}})"), NULL);
          g_autoptr (GVariant) inner = NULL;
          GVariantBuilder d;

          if (stats == NULL)
            continue;
          inner = g_variant_get_child_value (stats, 0);
          g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
          g_variant_builder_add (&d, "{sv}", "type", g_variant_new_string (type));
          g_variant_builder_add (&d, "{sv}", "state", g_variant_new_string (state));
          g_variant_builder_add (&d, "{sv}", "stats", inner);
          g_variant_builder_add (&o, "{sv}", name, g_variant_builder_end (&d));
        }
      g_variant_builder_init (&p, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&p, "{sv}", "pid", g_variant_new_uint32 (e->pid));
      g_variant_builder_add (&p, "{sv}", "program", g_variant_new_string (program));
      g_variant_builder_add (&p, "{sv}", "objects", g_variant_builder_end (&o));
      g_variant_builder_add_value (&processes, g_variant_builder_end (&p));
    }
  g_variant_builder_init (&top, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&top, "{sv}", "time", g_variant_new_double (g_get_real_time () / 1000.0));
  g_variant_builder_add (&top, "{sv}", "servers", g_variant_builder_end (&servers));
  g_variant_builder_add (&top, "{sv}", "processes", g_variant_builder_end (&processes));
  all = g_variant_ref_sink (g_variant_builder_end (&top));
  return nav_stats_to_json (all, FALSE);
}

static gchar *
render_metrics (NavServerStats *self)
{
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autoptr (GVariant) stats = nav_server_get_stats (e->server);
      GVariantIter iter;
      const gchar *key;
      guint64 value;

      g_variant_iter_init (&iter, stats);
      while (g_variant_iter_next (&iter, "{&st}", &key, &value))
        {
          gboolean counter = !is_gauge (e->name, key);
          g_autofree gchar *name = metric_name (e->name, metric_key (e->name, key), counter);

          g_string_append_printf (out, "# HELP %s %s server: %s\n", name, e->name, key);
          g_string_append_printf (out, "# TYPE %s %s\n", name, counter ? "counter" : "gauge");
          g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, value);
        }
    }
  return g_string_free (out, FALSE);
}

static void
respond (Client      *c,
         guint        status,
         const gchar *reason,
         const gchar *type,
         const gchar *extra_headers,
         const gchar *body,
         gboolean     head_only)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gsize len = body != NULL ? strlen (body) : 0;

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n"
                          "Server: netavanue-stats/" PACKAGE_VERSION "\r\n"
                          "Connection: close\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                          status, reason, len);
  if (type != NULL)
    g_string_append_printf (out, "Content-Type: %s\r\n", type);
  if (extra_headers != NULL)
    g_string_append (out, extra_headers);
  g_string_append (out, "\r\n");
  if (body != NULL && !head_only)
    g_string_append_len (out, body, len);
  c->answered = TRUE;
  nav_net_stream_write (c->stream, (const guint8 *) out->str, out->len);
  /* closed once written (drained) */
  if (nav_net_stream_get_queued (c->stream) == 0)
    client_finish (c);
}

/* One request: its head is complete in c->head. */
static void
handle_request (Client *c)
{
  NavServerStats *self = c->stats;
  g_auto (GStrv) words = NULL;
  gchar *eol = strstr (c->head->str, "\r\n");
  const gchar *method, *path;
  gboolean head_only;
  g_autofree gchar *body = NULL;
  const gchar *type = "application/json";

  *eol = '\0';
  words = g_strsplit (c->head->str, " ", -1);
  if (g_strv_length (words) != 3 || !g_str_has_prefix (words[2], "HTTP/1."))
    {
      respond (c, 400, "Bad Request", NULL, NULL, NULL, FALSE);
      return;
    }
  method = words[0];
  path = words[1];
  head_only = g_str_equal (method, "HEAD");
  if (!g_str_equal (method, "GET") && !head_only)
    {
      respond (c, 405, "Method Not Allowed", NULL, "Allow: GET, HEAD\r\n", NULL, FALSE);
      return;
    }
  if (strchr (path, '?') != NULL)
    *strchr (path, '?') = '\0';
  if (g_str_equal (path, "/health"))
    {
      g_autoptr (GString) s = g_string_new ("{\"status\":\"ok\",\"servers\":[");

      for (guint i = 0; i < self->entries->len; i++)
        g_string_append_printf (s, "%s\"%s\"", i > 0 ? "," : "",
                                ((Entry *) g_ptr_array_index (self->entries, i))->name);
      g_string_append (s, "]}\n");
      body = g_strdup (s->str);
    }
  else if (g_str_equal (path, "/stats"))
    body = render_json (self);
  else if (g_str_equal (path, "/metrics"))
    {
      body = render_metrics (self);
      type = "text/plain; version=0.0.4; charset=utf-8";
    }
  else if (g_str_equal (path, "/internals.json"))
    body = render_internals (self);
  else if (g_str_equal (path, "/internals") || g_str_equal (path, "/internals/"))
    {
      g_autoptr (GBytes) page = g_resources_lookup_data ("/org/netavanue/server/nav-server-internals.html",
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

      body = page != NULL ? g_strndup (g_bytes_get_data (page, NULL), g_bytes_get_size (page)) : NULL;
      type = "text/html; charset=utf-8";
      if (body == NULL)
        {
          respond (c, 404, "Not Found", NULL, NULL, NULL, FALSE);
          return;
        }
    }
  else
    {
      respond (c, 404, "Not Found", NULL, NULL, NULL, FALSE);
      return;
    }
  respond (c, 200, "OK", type, NULL, body, head_only);
}

static void
client_free (gpointer data)
{
  Client *c = data;

  nav_net_stream_close (c->stream);
  nav_net_stream_unref (c->stream);
  g_string_free (c->head, TRUE);
  g_free (c);
}

static gboolean
reap (gpointer user_data)
{
  NavServerStats *self = user_data;

  g_clear_pointer (&self->reap, g_source_unref);
  g_ptr_array_set_size (self->dead, 0);
  return G_SOURCE_REMOVE;
}

/* Closes the connection now; frees it after the callback that called
 * this (the stream's own, often) returns. */
static void
client_finish (Client *c)
{
  NavServerStats *self = c->stats;

  if (!g_hash_table_steal (self->clients, c))
    return;
  nav_net_stream_close (c->stream);
  g_ptr_array_add (self->dead, c);
  if (self->reap == NULL)
    {
      self->reap = g_idle_source_new ();
      g_source_set_callback (self->reap, reap, self, NULL);
      g_source_attach (self->reap, self->context);
    }
}

static void
client_bytes (NavNetStream *stream,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  Client *c = user_data;
  const gchar *end;

  if (c->answered)
    return;                     /* one request a connection */
  g_string_append_len (c->head, (const gchar *) data, len);
  if (memchr (c->head->str, '\0', c->head->len) != NULL)
    {
      respond (c, 400, "Bad Request", NULL, NULL, NULL, FALSE);
      return;
    }
  end = strstr (c->head->str, "\r\n\r\n");
  if ((end != NULL && end - c->head->str > MAX_HEAD) || (end == NULL && c->head->len > MAX_HEAD))
    respond (c, 431, "Request Header Fields Too Large", NULL, NULL, NULL, FALSE);
  else if (end != NULL)
    handle_request (c);
}

static void
client_closed (NavNetStream *stream,
               const GError *error,
               gpointer      user_data)
{
  client_finish (user_data);
}

/* The answer left: the connection closes. */
static void
client_drained (NavNetStream *stream,
                gpointer      user_data)
{
  Client *c = user_data;

  if (c->answered)
    client_finish (c);
}

static const NavNetStreamFuncs client_funcs = {
  client_bytes, NULL, NULL, client_closed, client_drained,
};

static void
on_accepted (NavNetListener   *listener,
             int               fd,
             const NavAddress *remote,
             gpointer          user_data)
{
  NavServerStats *self = user_data;
  Client *c;

  if (g_hash_table_size (self->clients) >= MAX_CONNECTIONS)
    {
      close (fd);
      return;
    }
  c = g_new0 (Client, 1);
  c->stats = self;
  c->head = g_string_new (NULL);
  c->since = g_get_monotonic_time ();
  g_hash_table_add (self->clients, c);
  c->stream = nav_net_stream_new (self->context, fd, NULL, NULL, NAV_NET_FRAMING_RAW,
                                  &client_funcs, c, FALSE);
}

/* Clients that do not finish their request in time are not kept. */
static gboolean
sweep (gpointer user_data)
{
  NavServerStats *self = user_data;
  gint64 limit = g_get_monotonic_time () - REQUEST_TIMEOUT_US;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (((Client *) key)->since <= limit)
      {
        Client *c = key;

        g_hash_table_iter_steal (&iter);
        nav_net_stream_close (c->stream);
        g_ptr_array_add (self->dead, c);
      }
  g_ptr_array_set_size (self->dead, 0);
  return G_SOURCE_CONTINUE;
}

/**
 * nav_server_stats_listen:
 * @self: an endpoint
 * @ip: the address to listen on (plain HTTP: keep it private)
 * @port: the TCP port, 0 for any free one
 * @error: return location for a #GError
 *
 * Starts answering on the thread-default main context.
 *
 * Returns: %TRUE when listening
 */
gboolean
nav_server_stats_listen (NavServerStats *self,
                         const gchar    *ip,
                         guint           port,
                         GError        **error)
{
  g_autoptr (GError) local_error = NULL;
  NavAddress address;

  g_return_val_if_fail (self->listener == NULL, FALSE);

  if (!nav_address_set_ip_from_string (&address, ip, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not an IP address"), ip);
      return FALSE;
    }
  nav_address_set_port (&address, port);
  self->context = g_main_context_ref_thread_default ();
  self->listener = nav_net_listener_new (self->context, &address, 0, 64, on_accepted, self,
                                         "HTTP", &local_error);
  if (self->listener == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot listen for stats on %s port %u: %s"), ip, port, local_error->message);
      return FALSE;
    }
  self->port = nav_address_get_port (nav_net_listener_get_address (self->listener));
  self->sweep = g_timeout_source_new (1000);
  g_source_set_callback (self->sweep, sweep, self, NULL);
  g_source_set_static_name (self->sweep, "[nav-server] stats clients");
  g_source_attach (self->sweep, self->context);
  return TRUE;
}

/**
 * nav_server_stats_get_port:
 * @self: a listening endpoint
 *
 * Returns: the TCP port it listens on
 */
guint
nav_server_stats_get_port (NavServerStats *self)
{
  return self->port;
}

/**
 * nav_server_stats_free:
 * @self: (transfer full): an endpoint
 *
 * Stops listening and drops the references to the servers.
 */
void
nav_server_stats_free (NavServerStats *self)
{
  if (self == NULL)
    return;
  nav_net_source_clear (&self->sweep);
  nav_net_source_clear (&self->reap);
  g_clear_pointer (&self->listener, nav_net_listener_free);
  g_hash_table_unref (self->clients);
  g_ptr_array_unref (self->dead);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_ptr_array_unref (self->entries);
  g_free (self);
}
